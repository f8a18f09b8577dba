"""
Streams through the proxy: a WebSocket echo after the 101 (Upgrade with
$http_upgrade and the built-in $connection_upgrade), a 101 nobody asked
for is refused, and a 1 GiB download and a 1 GiB upload with the
worker's memory bounded: the body goes through a few buffers (and a temp
file for a slow client), never whole into memory. The bound asserted is
the worker's RSS growth: under 32 MiB for 1 GiB each way.
"""

import base64
import http.client
import os
import socket
import threading
import time
import zlib

import pytest

import drover_fixture as df
from backend import ws_frame, ws_read_frame
from proxy_util import backends, start, server, get, request, raw  # noqa
from proxy_util import worker_rss_kb

pytestmark = pytest.mark.drover_only

GiB = 1 << 30
RSS_BOUND_KB = 32 * 1024

UPGRADE = """
    proxy_http_version 1.1;
    proxy_set_header Upgrade $http_upgrade;
    proxy_set_header Connection $connection_upgrade;
"""


def _ws_connect(port, path="/ws"):
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(5))
    key = base64.b64encode(os.urandom(16)).decode()
    s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
               "Sec-WebSocket-Version: 13\r\n\r\n" % (path, key)).encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        d = s.recv(4096)
        assert d, buf
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    return s, head.decode(), rest


def test_websocket_echo(drover, backends):
    (b,) = backends(1)
    port = start(drover, server(
        "location / { %s proxy_pass http://%s; }" % (UPGRADE, b.addr)))

    s, head, rest = _ws_connect(port)
    assert head.startswith("HTTP/1.1 101"), head
    assert "upgrade: websocket" in head.lower()
    assert "connection: upgrade" in head.lower()

    for msg in (b"hello", b"x" * 200, os.urandom(70000)):
        s.sendall(ws_frame(2, msg))
        frame, rest = ws_read_frame(s, rest)
        assert frame == (2, msg)

    s.sendall(ws_frame(8, b""))
    frame, rest = ws_read_frame(s, rest)
    assert frame[0] == 8
    s.close()

    # the upstream got the upgrade fields
    (path,) = [p for p in b.paths if p == "/ws"]


def test_upgrade_needs_the_fields(drover, backends):
    (b,) = backends(1)
    port = start(drover, server(
        "location / { proxy_pass http://%s; }" % b.addr))

    # no Upgrade sent upstream: a 101 back is not allowed
    s, head, rest = _ws_connect(port)
    assert head.startswith("HTTP/1.1 502"), head
    s.close()
    drover.wait_for_log(r"upstream sent unexpected 101")


def test_connection_upgrade_variable(drover, backends):
    (b,) = backends(1)
    port = start(drover, server(
        "location / { %s proxy_pass http://%s; }" % (UPGRADE, b.addr)))
    e = get(port, "/plain").json()
    assert e["headers"]["connection"] == "close"
    assert "upgrade" not in e["headers"]


class RssSampler(threading.Thread):
    def __init__(self, pid):
        super().__init__(daemon=True)
        self.pid = pid
        self.max = 0
        self.stop_ev = threading.Event()

    def run(self):
        while not self.stop_ev.is_set():
            self.max = max(self.max, worker_rss_kb(self.pid))
            time.sleep(0.02)

    def stop(self):
        self.stop_ev.set()
        self.join()
        return self.max


@pytest.mark.parametrize("buffering", ["on", "off"])
def test_one_gib_download_bounded_memory(drover, backends, buffering):
    (b,) = backends(1)
    port = start(drover, server("""
        location / {
            proxy_buffering %s;
            proxy_pass http://%s;
        }""" % (buffering, b.addr)))
    (worker,) = drover.worker_pids()
    base = worker_rss_kb(worker)
    sampler = RssSampler(worker)
    sampler.start()

    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/big?size=%d" % GiB)
    r = c.getresponse()
    assert r.status == 200
    assert r.getheader("Content-Length") == str(GiB)
    block = bytes(range(256)) * 256
    got = 0
    t0 = time.monotonic()
    while True:
        d = r.read(1 << 20)
        if not d:
            break
        if got % (64 << 20) == 0:
            assert d[:256] == block[:256]
        got += len(d)
    c.close()
    took = time.monotonic() - t0
    peak = sampler.stop()

    assert got == GiB
    assert peak - base < RSS_BOUND_KB, (base, peak)
    assert took < df.scaled(30), took


def test_slow_client_download_spills_bounded(drover, backends):
    """A slow client: the response goes to the temp file up to
    proxy_max_temp_file_size, then the upstream is read no faster than
    the client; memory stays bounded all along."""
    (b,) = backends(1)
    size = 64 << 20
    port = start(drover, server("""
        location / {
            proxy_max_temp_file_size 8m;
            proxy_pass http://%s;
        }""" % b.addr))
    (worker,) = drover.worker_pids()
    base = worker_rss_kb(worker)

    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.sendall(b"GET /big?size=%d HTTP/1.1\r\nHost: x\r\n\r\n" % size)
    time.sleep(1.0)         # not reading: drover fills its buffers, the file

    drover.wait_for_log(r"buffered to a temporary file")
    temp = drover.prefix / "proxy_temp"
    assert temp.is_dir()
    assert worker_rss_kb(worker) - base < RSS_BOUND_KB

    got = 0
    head = b""
    while b"\r\n\r\n" not in head:
        head += s.recv(4096)
    _, body = head.split(b"\r\n\r\n", 1)
    got = len(body)
    while got < size:
        d = s.recv(1 << 20)
        if not d:
            break
        got += len(d)
    s.close()
    assert got == size


def _body(total, chunk=1 << 20):
    block = os.urandom(chunk)
    sent = 0
    crc = 0
    while sent < total:
        n = min(chunk, total - sent)
        crc = zlib.crc32(block[:n], crc)
        sent += n
        yield block[:n]
    _body.crc = crc


@pytest.mark.parametrize("mode", ["streamed", "buffered"])
def test_one_gib_upload_bounded_memory(drover, backends, mode):
    (b,) = backends(1)
    port = start(drover, server("""
        client_max_body_size 0;
        location / {
            proxy_http_version 1.1;
            proxy_request_buffering %s;
            proxy_pass http://%s;
        }""" % ("off" if mode == "streamed" else "on", b.addr)))
    (worker,) = drover.worker_pids()
    base = worker_rss_kb(worker)
    sampler = RssSampler(worker)
    sampler.start()

    total = GiB if mode == "streamed" else GiB // 4
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("POST", "/upload", body=_body(total),
              headers={"Transfer-Encoding": "chunked"}, encode_chunked=True)
    r = c.getresponse()
    e = r.read()
    c.close()
    took = time.monotonic() - t0
    peak = sampler.stop()

    import json
    e = json.loads(e)
    assert r.status == 200
    assert e["body_len"] == total
    assert e["crc"] == _body.crc
    assert peak - base < RSS_BOUND_KB, (base, peak)
    assert took < df.scaled(30), took
    if mode == "streamed":
        assert e["headers"]["transfer-encoding"] == "chunked"
    else:
        assert e["headers"]["content-length"] == str(total)


def test_no_temp_file_and_own_temp_path(drover, backends):
    """proxy_max_temp_file_size 0: a slow client holds the upstream back,
    nothing goes to disk; proxy_temp_path names where spills would go."""
    (b,) = backends(1)
    size = 16 << 20
    port = start(drover, server("""
        location /none/ {
            proxy_max_temp_file_size 0;
            proxy_pass http://%(a)s/;
        }
        location /mine/ {
            proxy_temp_path spill;
            proxy_max_temp_file_size 4m;
            proxy_pass http://%(a)s/;
        }""" % {"a": b.addr}))

    for prefix, spills in (("/none/", False), ("/mine/", True)):
        mark = drover.log_mark()
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
        s.sendall(b"GET %sbig?size=%d HTTP/1.1\r\nHost: x\r\n\r\n"
                  % (prefix.encode(), size))
        time.sleep(0.8)
        got = 0
        while got < size:
            d = s.recv(1 << 20)
            if not d:
                break
            got += len(d)
        s.close()
        assert got > size      # the head and all of the body
        spilled = drover.grep_log(r"buffered to a temporary file", since=mark)
        assert bool(spilled) == spills, spilled
        if spills:
            assert "/spill/" in spilled[0]

    assert (drover.prefix / "spill").is_dir()
