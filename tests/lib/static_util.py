"""
Helpers of the static-files integration tests (tests/integration/test_static_*):
a server{} with a root in the prefix's html/, files written there, raw
HTTP/1.x exchanges for what requests hides (HTTP/1.0, exact header
bytes), and the expected validators (ETag "mtime-size" in hex, HTTP
dates). The tests run against drover and, to check the tests themselves,
against Debian's nginx (DROVER_BIN=/usr/sbin/nginx).
"""

import email.utils
import os
import shutil
import socket
from pathlib import Path

import drover_fixture as df

REPO = Path(__file__).resolve().parents[2]


def http_conf(drover, server="", http="", port_name="default", main=""):
    """The whole config: mime.types (the shipped one), default_type, a
    server{} on a fresh loopback port with root html, plus <server> lines
    inside it and <http> lines before it."""
    shutil.copy(REPO / "conf" / "mime.types", drover.conf_dir / "mime.types")
    port = drover.port(port_name)
    body = """http {
    include mime.types;
    default_type application/octet-stream;
%s
    server {
        listen 127.0.0.1:%d;
        root html;
%s
    }
}""" % (_indent(http, 4), port, _indent(server, 8))
    return drover.config(body, main=main)


def _indent(text, n):
    return "\n".join((" " * n + l) if l.strip() else l
                     for l in text.strip("\n").splitlines())


def start(drover, server="", http="", **kw):
    """Writes the config, starts the binary, waits until it accepts;
    returns the base URL."""
    drover.start(lambda d: http_conf(d, server, http, **kw))
    port = drover.port()
    df.wait_for(lambda: df.can_connect(port), 5.0,
                "127.0.0.1:%d to accept connections" % port)
    return "http://127.0.0.1:%d" % port


def write(drover, rel, data, mtime=None, mode=None):
    """Writes html/<rel> (bytes or str); sets its mtime/mode if given."""
    p = drover.html_dir / rel
    p.parent.mkdir(parents=True, exist_ok=True)
    for d in reversed(list(p.parent.relative_to(drover.prefix).parents)):
        os.chmod(drover.prefix / d, 0o755)
    os.chmod(p.parent, 0o755)
    if isinstance(data, str):
        data = data.encode()
    p.write_bytes(data)
    os.chmod(p, 0o644 if mode is None else mode)
    if mtime is not None:
        os.utime(p, (mtime, mtime))
    return p


def etag_of(path):
    """nginx's ETag: "<mtime hex>-<size hex>"."""
    st = os.stat(path)
    return '"%x-%x"' % (int(st.st_mtime), st.st_size)


def http_date(t):
    return email.utils.formatdate(t, usegmt=True)


def raw(port, request, timeout=10.0):
    """Sends <request> (str or bytes) on a new connection, reads until the
    server closes; returns (status, headers dict lowercased, body bytes).
    Use "Connection: close" (or HTTP/1.0) in the request."""
    if isinstance(request, str):
        request = request.encode()
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(timeout))
    try:
        s.sendall(request)
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    finally:
        s.close()
    return parse_response(data)


def parse_response(data):
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for l in lines[1:]:
        k, _, v = l.partition(":")
        k = k.strip().lower()
        v = v.strip()
        if k in headers:
            headers[k] += ", " + v
        else:
            headers[k] = v
    if headers.get("transfer-encoding") == "chunked":
        body = dechunk(body)
    return status, headers, body


def dechunk(body):
    out = b""
    while True:
        line, _, rest = body.partition(b"\r\n")
        size = int(line.split(b";")[0], 16)
        if size == 0:
            return out
        out += rest[:size]
        body = rest[size + 2:]


def get(port, path, headers=(), method="GET", version="1.1", body=b""):
    """One raw request with Host and Connection: close."""
    req = "%s %s HTTP/%s\r\nHost: localhost\r\nConnection: close\r\n" % (
        method, path, version)
    for h in headers:
        req += h + "\r\n"
    if body:
        req += "Content-Length: %d\r\n" % len(body)
    req = req.encode() + b"\r\n" + body
    return raw(port, req)
