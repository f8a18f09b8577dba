"""
Small helpers for the HTTP core tests (test_http_*.py): start drover with
an http{} block, talk raw HTTP over a socket, parse responses. Kept out of
tests/lib/ (the fixture owner's) on purpose.
"""

import socket
import time

import drover_fixture as df


def start_http(drover, http_body, *, workers=1, main="", events=None,
               port_names=("default",)):
    """Starts drover with `http { <http_body> }`, where {port}, {port2}...
    in <http_body> are replaced by loopback ports (drover.port(name)).
    Returns the first port."""
    def render(d):
        ports = {"port": d.port(port_names[0])}
        for i, name in enumerate(port_names[1:], 2):
            ports["port%d" % i] = d.port(name)
        body = "http {\n" + http_body.format(**ports) + "\n}\n"
        kw = {"worker_processes": workers, "main": main}
        if events is not None:
            kw["events"] = events
        return d.config(body, **kw)

    drover.start(render, timeout=10)
    port = drover.port(port_names[0])
    df.wait_for(lambda: df.can_connect(port), 5, "port %d" % port)
    return port


class Response:
    def __init__(self, status, reason, version, headers, body, raw):
        self.status = status
        self.reason = reason
        self.version = version
        self.headers = headers          # list of (name, value)
        self.body = body
        self.raw = raw

    def header(self, name, default=None):
        for k, v in self.headers:
            if k.lower() == name.lower():
                return v
        return default

    def header_all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:200])


def parse_responses(data, head_only=()):
    """Splits <data> into Response objects (Content-Length, chunked, or
    until the end). <head_only>: indexes of responses to HEAD requests.
    Returns (responses, rest)."""
    out = []
    i = 0
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1").split("\r\n")
        version, status, *reason = head[0].split(" ", 2)
        headers = []
        for line in head[1:]:
            k, v = line.split(":", 1)
            headers.append((k, v.strip()))
        rest = data[end + 4:]
        r = Response(int(status), reason[0] if reason else "", version,
                     headers, b"", data[:end + 4])
        te = r.header("Transfer-Encoding")
        cl = r.header("Content-Length")
        if i in head_only or r.status in (204, 304) or 100 <= r.status < 200:
            body = b""
        elif te and te.lower() == "chunked":
            body = b""
            while True:
                line_end = rest.find(b"\r\n")
                if line_end < 0:
                    raise ValueError("truncated chunk size line")
                size = int(rest[:line_end].split(b";")[0], 16)
                rest = rest[line_end + 2:]
                if size == 0:
                    t_end = rest.find(b"\r\n\r\n") if not rest.startswith(b"\r\n") else 0
                    rest = rest[t_end + 2:] if t_end == 0 else rest[t_end + 4:]
                    break
                body += rest[:size]
                if rest[size:size + 2] != b"\r\n":
                    raise ValueError("chunk not followed by CRLF")
                rest = rest[size + 2:]
        elif cl is not None:
            n = int(cl)
            body = rest[:n]
            if len(body) < n:
                raise ValueError("truncated body: %d of %d" % (len(body), n))
            rest = rest[n:]
        else:
            body = rest
            rest = b""
        r.body = body
        r.raw += body
        out.append(r)
        data = rest
        i += 1
    return out, data


def raw_exchange(port, data, timeout=3.0, half_close=False, chunks=None,
                 delay=0.0):
    """Sends <data> (or the list <chunks>, <delay> apart), reads until the
    server closes (or <timeout>). Returns (bytes, closed_by_server)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(timeout))
    try:
        if chunks is None:
            chunks = [data]
        for c in chunks:
            s.sendall(c)
            if delay:
                time.sleep(delay)
        if half_close:
            s.shutdown(socket.SHUT_WR)
        out = b""
        closed = False
        while True:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            except ConnectionResetError:
                closed = True
                break
            if not d:
                closed = True
                break
            out += d
        return out, closed
    finally:
        s.close()


def get(port, path="/", host="localhost", headers=(), method="GET",
        body=None, version="HTTP/1.1", timeout=3.0):
    """One request on its own connection (Connection: close): a Response."""
    lines = ["%s %s %s" % (method, path, version)]
    if host is not None:
        lines.append("Host: %s" % host)
    for k, v in headers:
        lines.append("%s: %s" % (k, v))
    if body is not None:
        lines.append("Content-Length: %d" % len(body))
    lines.append("Connection: close")
    req = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    if body is not None:
        req += body
    data, _ = raw_exchange(port, req, timeout=timeout)
    rs, _ = parse_responses(data, head_only=(0,) if method == "HEAD" else ())
    assert rs, "no response to %r: %r" % (req, data)
    return rs[0]


class Conn:
    """A kept-alive client connection: send requests, read responses."""

    def __init__(self, port, timeout=3.0):
        self.s = socket.create_connection(("127.0.0.1", port),
                                          timeout=df.scaled(timeout))
        self.buf = b""

    def send(self, data):
        self.s.sendall(data)

    def request(self, path="/", host="localhost", headers=(), method="GET"):
        lines = ["%s %s HTTP/1.1" % (method, path), "Host: %s" % host]
        lines += ["%s: %s" % kv for kv in headers]
        self.send(("\r\n".join(lines) + "\r\n\r\n").encode())
        return self.read_response(head=(method == "HEAD"))

    def read_response(self, head=False):
        while True:
            try:
                rs, rest = parse_responses(self.buf, head_only=(0,) if head else ())
                if rs and (rs[0].header("Content-Length") is not None
                           or rs[0].header("Transfer-Encoding") or head
                           or rs[0].status in (204, 304)):
                    first = rs[0]
                    self.buf = self.buf[len(first.raw):]
                    return first
            except ValueError:
                pass
            d = self.s.recv(65536)
            if not d:
                rs, rest = parse_responses(self.buf)
                if rs:
                    self.buf = b""
                    return rs[0]
                raise EOFError("connection closed, buffered %r" % self.buf)
            self.buf += d

    def closed(self, timeout=3.0):
        """True if the server closes the connection within <timeout>."""
        self.s.settimeout(df.scaled(timeout))
        try:
            while True:
                d = self.s.recv(65536)
                if not d:
                    return True
                self.buf += d
        except socket.timeout:
            return False
        except ConnectionResetError:
            return True

    def close(self):
        self.s.close()
