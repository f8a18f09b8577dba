"""
A small HTTP/1.1 upstream for the proxy tests: threaded, on loopback, with
behaviour chosen per request path and switchable at run time, and counters
the tests assert on (connections accepted, requests served).

Paths (any query string is ignored unless said):
  /anything            200, a JSON echo: port, name, method, path, the
                       request headers (lowercase names), body length
  /status/NNN          that status, with the echo as the body
  /sleep/MS            waits MS milliseconds, then the echo
  /chunked?n=K&size=S  K chunks of S bytes ('c' * S), chunked framing
  /close?size=S        S bytes, delimited by the close (HTTP/1.0 style)
  /big?size=S          S bytes from a generator, Content-Length, streamed
  /upload              reads the body (Content-Length or chunked), answers
                       its length and crc32 as JSON
  /ws                  a WebSocket echo after the 101 handshake
  /bad/<kind>          a broken response: dup-length, bad-status,
                       bad-header, truncated, huge-header, bad-chunk
  /redirect?to=URL     302 with Location: URL
  /refresh?to=URL      200 with Refresh: 5; url=URL
  /accel?to=URI        200 with X-Accel-Redirect: URI (and a Set-Cookie)
  /interim             100 and 103 before the final 200
  /health              200 "ok", or what set_health() says
  /headers?...         200 with the query's k=v pairs as response fields

Behaviour switches: set_health(status), set_delay(ms) (every request),
broken (every answer but /health is an invalid head), drop_reused (a
second request on a connection is dropped unanswered, as
when a peer closes an idle connection just as it is reused), stop()
closes the listener and every connection (a dead backend), reset_counts().
"""

import base64
import hashlib
import json
import socket
import socketserver
import struct
import threading
import time
import zlib
from urllib.parse import urlsplit, parse_qsl


class _Handler(socketserver.BaseRequestHandler):

    def setup(self):
        self.server.owner._conn_opened(self.request)

    def finish(self):
        self.server.owner._conn_closed(self.request)

    def handle(self):
        sock = self.request
        sock.settimeout(60)
        buf = b""
        nreq = 0
        while True:
            while b"\r\n\r\n" not in buf:
                try:
                    data = sock.recv(65536)
                except OSError:
                    return
                if not data:
                    return
                buf += data
            head, buf = buf.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            try:
                method, target, version = lines[0].split(" ", 2)
            except ValueError:
                return
            headers = {}
            raw_headers = []
            for l in lines[1:]:
                k, v = l.split(":", 1)
                raw_headers.append((k, v.strip()))
                k = k.strip().lower()
                if k in headers:
                    headers[k] += ", " + v.strip()
                else:
                    headers[k] = v.strip()
            req = _Request(self, sock, method, target, version, headers,
                           raw_headers, buf)
            nreq += 1
            if nreq > 1 and self.server.owner.drop_reused:
                # a request on a kept-alive connection: gone, unanswered
                with self.server.owner.lock:
                    self.server.owner.dropped += 1
                return
            keep = req.serve()
            buf = req.rest
            if not keep:
                try:
                    sock.shutdown(socket.SHUT_WR)
                except OSError:
                    pass
                return


class _Request:

    def __init__(self, handler, sock, method, target, version, headers,
                 raw_headers, rest):
        self.h = handler
        self.owner = handler.server.owner
        self.sock = sock
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.raw_headers = raw_headers
        self.rest = rest
        u = urlsplit(target)
        self.path = u.path
        self.query = dict(parse_qsl(u.query))
        self.body_len = 0
        self.crc = 0

    # -- reading the body ---------------------------------------------

    def _recv(self):
        data = self.sock.recv(1 << 20)
        if not data:
            raise ConnectionError("client closed")
        return data

    def read_body(self, sink=None):
        te = self.headers.get("transfer-encoding", "")
        if "chunked" in te.lower():
            buf = self.rest
            while True:
                while b"\r\n" not in buf:
                    buf += self._recv()
                line, buf = buf.split(b"\r\n", 1)
                size = int(line.split(b";")[0], 16)
                if size == 0:
                    while b"\r\n" not in buf:
                        buf += self._recv()
                    # trailers until an empty line
                    while not buf.startswith(b"\r\n"):
                        _, buf = buf.split(b"\r\n", 1)
                        while b"\r\n" not in buf:
                            buf += self._recv()
                    buf = buf[2:]
                    break
                while len(buf) < size + 2:
                    buf += self._recv()
                self._consume(buf[:size], sink)
                buf = buf[size + 2:]
            self.rest = buf
            return
        n = int(self.headers.get("content-length", "0") or 0)
        buf = self.rest
        while len(buf) < n:
            take = buf
            n -= len(take)
            self._consume(take, sink)
            buf = self._recv()
        self._consume(buf[:n], sink)
        self.rest = buf[n:]

    def _consume(self, data, sink):
        self.body_len += len(data)
        self.crc = zlib.crc32(data, self.crc)
        if sink is not None:
            sink.append(data)

    # -- writing ---------------------------------------------------------

    def send(self, data):
        self.sock.sendall(data)

    def respond(self, status, body=b"", headers=(), reason=None, close=False):
        reason = reason or {200: "OK", 101: "Switching Protocols",
                            302: "Found", 404: "Not Found",
                            500: "Internal Server Error",
                            502: "Bad Gateway", 503: "Service Unavailable",
                            504: "Gateway Timeout",
                            429: "Too Many Requests"}.get(status, "Status")
        out = ["HTTP/1.1 %d %s" % (status, reason)]
        names = {k.lower() for k, _ in headers}
        for k, v in headers:
            out.append("%s: %s" % (k, v))
        if "content-length" not in names and "transfer-encoding" not in names:
            out.append("Content-Length: %d" % len(body))
        if close or not self.keep_alive():
            out.append("Connection: close")
        out.append("X-Backend: %s" % self.owner.name)
        head = ("\r\n".join(out) + "\r\n\r\n").encode("latin-1")
        self.send(head + (b"" if self.method == "HEAD" else body))

    def keep_alive(self):
        conn = self.headers.get("connection", "").lower()
        if self.version == "HTTP/1.0":
            return "keep-alive" in conn
        return "close" not in conn

    def echo(self):
        return {
            "port": self.owner.port, "name": self.owner.name,
            "method": self.method, "path": self.target,
            "headers": self.headers, "raw_headers": self.raw_headers,
            "version": self.version, "body_len": self.body_len,
            "crc": self.crc,
        }

    # -- dispatch --------------------------------------------------------

    def serve(self):
        o = self.owner
        o._count_request(self)
        if o.delay:
            time.sleep(o.delay / 1000.0)
        p = self.path
        if o.broken and p != "/health":
            return self.bad("dup-length")
        if p == "/ws":
            return self.ws()
        if p == "/upload":
            self.read_body()
            self.respond(200, json.dumps(self.echo()).encode(),
                         [("Content-Type", "application/json")])
            return self.keep_alive()
        self.read_body()
        if p.startswith("/status/"):
            st = int(p.split("/")[2])
            self.respond(st, json.dumps(self.echo()).encode())
        elif p.startswith("/sleep/"):
            time.sleep(int(p.split("/")[2]) / 1000.0)
            self.respond(200, json.dumps(self.echo()).encode())
        elif p == "/chunked":
            n = int(self.query.get("n", "3"))
            size = int(self.query.get("size", "10"))
            head = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n" \
                   "X-Backend: %s\r\n\r\n" % o.name
            self.send(head.encode())
            for _ in range(n):
                self.send(b"%x\r\n%s\r\n" % (size, b"c" * size))
            self.send(b"0\r\n\r\n")
        elif p == "/close":
            size = int(self.query.get("size", "10"))
            self.send(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n"
                      + b"z" * size)
            return False
        elif p == "/big":
            size = int(self.query.get("size", "1048576"))
            self.send(("HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                       "Content-Type: application/octet-stream\r\n\r\n"
                       % size).encode())
            if self.method != "HEAD":
                block = bytes(range(256)) * 256     # 64 KiB
                left = size
                while left:
                    n = min(left, len(block))
                    self.send(block[:n])
                    left -= n
        elif p == "/interim":
            self.send(b"HTTP/1.1 100 Continue\r\n\r\n"
                      b"HTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\n")
            self.respond(200, b"final")
        elif p.endswith("/accel"):
            self.respond(200, b"from upstream",
                         [("X-Accel-Redirect", self.query["to"]),
                          ("Set-Cookie", "a=1")])
        elif p.endswith("/refresh"):
            self.respond(200, b"r", [("Refresh",
                                      "5; url=" + self.query["to"])])
        elif p.startswith("/bad/"):
            return self.bad(p.split("/")[2])
        elif p.endswith("/redirect"):
            self.respond(302, b"moved", [("Location", self.query["to"])])
        elif p == "/health":
            st = o.health_status
            self.respond(st, b"ok" if st == 200 else b"sick")
        elif p.endswith("/headers"):
            self.respond(200, b"fields", list(self.query.items()))
        else:
            self.respond(200, json.dumps(self.echo()).encode(),
                         [("Content-Type", "application/json")])
        return self.keep_alive()

    def bad(self, kind):
        if kind == "dup-length":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
                      b"Content-Length: 6\r\n\r\nhello")
        elif kind == "bad-status":
            self.send(b"HTTP/1.1 2000 OK\r\nContent-Length: 0\r\n\r\n")
        elif kind == "bad-header":
            self.send(b"HTTP/1.1 200 OK\r\nBad Header: x\r\n"
                      b"Content-Length: 0\r\n\r\n")
        elif kind == "truncated":
            self.send(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort")
        elif kind == "huge-header":
            self.send(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 65536
                      + b"\r\n\r\n")
        elif kind == "bad-chunk":
            self.send(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                      b"5\r\nhello\r\nzz\r\n")
        elif kind == "nothing":
            pass
        return False

    def ws(self):
        key = self.headers.get("sec-websocket-key", "")
        accept = base64.b64encode(hashlib.sha1(
            (key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11").encode()).digest())
        self.send(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
                  b"Connection: Upgrade\r\nSec-WebSocket-Accept: " + accept
                  + b"\r\n\r\n")
        buf = self.rest
        while True:
            frame, buf = ws_read_frame(self.sock, buf)
            if frame is None:
                return False
            opcode, payload = frame
            if opcode == 8:
                self.send(ws_frame(8, payload, mask=False))
                return False
            self.send(ws_frame(opcode, payload, mask=False))


def ws_frame(opcode, payload, mask=True):
    head = bytes([0x80 | opcode])
    n = len(payload)
    m = 0x80 if mask else 0
    if n < 126:
        head += bytes([m | n])
    elif n < 65536:
        head += bytes([m | 126]) + struct.pack("!H", n)
    else:
        head += bytes([m | 127]) + struct.pack("!Q", n)
    if mask:
        key = b"\x01\x02\x03\x04"
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
        head += key
    return head + payload


def ws_read_frame(sock, buf):
    """((opcode, payload), rest) or (None, rest) on EOF."""
    def need(n):
        nonlocal buf
        while len(buf) < n:
            data = sock.recv(65536)
            if not data:
                return False
            buf += data
        return True
    if not need(2):
        return None, buf
    opcode = buf[0] & 0x0f
    masked = buf[1] & 0x80
    n = buf[1] & 0x7f
    off = 2
    if n == 126:
        if not need(4):
            return None, buf
        n = struct.unpack("!H", buf[2:4])[0]
        off = 4
    elif n == 127:
        if not need(10):
            return None, buf
        n = struct.unpack("!Q", buf[2:10])[0]
        off = 10
    key = b""
    if masked:
        if not need(off + 4):
            return None, buf
        key = buf[off:off + 4]
        off += 4
    if not need(off + n):
        return None, buf
    payload = buf[off:off + n]
    if masked:
        payload = bytes(b ^ key[i % 4] for i, b in enumerate(payload))
    return (opcode, payload), buf[off + n:]


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class Backend:
    """One upstream on 127.0.0.1:<port> (0: any free port)."""

    def __init__(self, name="b", port=0):
        self.name = name
        self.health_status = 200
        self.delay = 0
        self.drop_reused = False
        self.dropped = 0
        self.broken = False
        self.lock = threading.Lock()
        self.connections = 0
        self.requests = 0
        self.active = 0
        self.max_active = 0
        self.paths = []
        self.socks = set()
        self.srv = _Server(("127.0.0.1", port), _Handler)
        self.srv.owner = self
        self.port = self.srv.server_address[1]
        self.addr = "127.0.0.1:%d" % self.port
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()
        self.stopped = False

    def _conn_opened(self, sock):
        with self.lock:
            self.connections += 1
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.socks.add(sock)

    def _conn_closed(self, sock):
        with self.lock:
            self.active -= 1
            self.socks.discard(sock)

    def _count_request(self, req):
        with self.lock:
            self.requests += 1
            self.paths.append(req.target)

    def set_health(self, status):
        self.health_status = status

    def set_delay(self, ms):
        self.delay = ms

    def reset_counts(self):
        with self.lock:
            self.connections = 0
            self.requests = 0
            self.paths = []

    def stop(self):
        """The backend dies: no listener, every connection reset."""
        if self.stopped:
            return
        self.stopped = True
        self.srv.shutdown()
        self.srv.server_close()
        with self.lock:
            socks = list(self.socks)
        for s in socks:
            try:
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                             struct.pack("ii", 1, 0))
                s.close()
            except OSError:
                pass

    close = stop
