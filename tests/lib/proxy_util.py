"""
Helpers for the proxy tests (tests/integration/test_proxy_*.py): backends
as a pytest fixture, a config around an http{} body, and small HTTP/1.1
clients that show exactly what came back (status, fields, body) on a
connection the test controls.
"""

import http.client
import os
import json
import socket
import time

import pytest

import drover_fixture as df
from backend import Backend


@pytest.fixture
def backends():
    """backends(n) -> n started Backend objects (named b1..bn); all are
    stopped at teardown."""
    made = []

    def make(n=1, names=None):
        out = []
        for i in range(n):
            name = names[i] if names else "b%d" % (len(made) + 1)
            b = Backend(name)
            made.append(b)
            out.append(b)
        return out

    yield make
    for b in made:
        b.stop()


def start(drover, http_body, workers=1, main="", events=None):
    """Starts drover with `http { <http_body> }` and a listener on
    drover.port(); returns the port."""
    port = drover.port()
    body = http_body.replace("{port}", str(port))
    # the core's client_body_temp_path is made by the worker, which runs
    # as nobody when the tests run as root: give it a directory it may use
    cbt = drover.prefix / "client_body_temp"
    cbt.mkdir(exist_ok=True)
    os.chmod(cbt, 0o777)
    kw = {}
    if events is not None:
        kw["events"] = events
    drover.start(drover.config("http {\n%s\n}\n" % body,
                               worker_processes=workers, main=main, **kw),
                 workers=workers, ports=[port])
    return port


def server(locations, port_marker="{port}", extra=""):
    """A server{} on the test port with <locations> (text)."""
    return ("server {\n    listen 127.0.0.1:%s;\n%s\n%s\n}\n"
            % (port_marker, extra, locations))


class Response:
    def __init__(self, status, reason, headers, body):
        self.status = status
        self.reason = reason
        self.headers = headers          # list of (name, value)
        self.body = body

    def header(self, name):
        name = name.lower()
        for k, v in self.headers:
            if k.lower() == name:
                return v
        return None

    def json(self):
        return json.loads(self.body)


def request(port, path="/", method="GET", headers=None, body=None,
            timeout=10, conn=None):
    """One request; returns a Response. <conn>: reuse an
    http.client.HTTPConnection (keep-alive)."""
    c = conn or http.client.HTTPConnection("127.0.0.1", port,
                                           timeout=df.scaled(timeout))
    try:
        chunked = any(k.lower() == "transfer-encoding"
                      and "chunked" in v.lower()
                      for k, v in (headers or {}).items())
        c.request(method, path, body=body, headers=headers or {},
                  encode_chunked=chunked)
        r = c.getresponse()
        data = r.read()
        return Response(r.status, r.reason, r.getheaders(), data)
    finally:
        if conn is None:
            c.close()


def get(port, path="/", **kw):
    return request(port, path, **kw)


def raw(port, data, timeout=5, read_until_close=True):
    """Sends raw bytes, returns all bytes until the server closes (or the
    timeout, when read_until_close)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(timeout))
    try:
        s.sendall(data)
        out = b""
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            out += d
        return out
    finally:
        s.close()


def worker_rss_kb(pid):
    """VmRSS of <pid> in KiB."""
    v = df.proc_status_field(pid, "VmRSS")
    return int(v[0]) if v else 0


def wait_until(cond, timeout=5.0, what=None):
    return df.wait_for(cond, timeout, what)


def log_has(drover, regex):
    return drover.grep_log(regex)


def sleep(s):
    time.sleep(s)
