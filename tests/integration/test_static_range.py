"""
Byte ranges of static files (modules/http_range): single ranges (206 with
Content-Range), suffix and open ranges, multipart/byteranges for several,
416 with "Content-Range: bytes */len", ranges nginx ignores (overlaps
adding up to more than the file, more than max_ranges), If-Range with an
ETag or a date, and ranges of a big file through sendfile. Checked against
nginx 1.22 too.
"""

import email.parser
import hashlib
import os
import re

import pytest
import requests

import drover_fixture as df
import static_util as su

LISTENER_OK, LISTENER_REASON = df.listener_probe()
pytestmark = pytest.mark.skipif(not LISTENER_OK,
                                reason=LISTENER_REASON or "n/a")

MTIME = 1700000000
DATA = bytes(range(256)) * 4          # 1024 bytes


@pytest.fixture
def served(drover):
    p = su.write(drover, "f.bin", DATA, mtime=MTIME)
    su.start(drover)
    return drover.port(), su.etag_of(p)


def _range(port, value, path="/f.bin", extra=()):
    return su.get(port, path, headers=["Range: " + value] + list(extra))


def _multipart(h, body):
    """[(content-type, content-range, data)] of a multipart/byteranges."""
    m = re.match(r"multipart/byteranges; boundary=(\S+)$", h["content-type"])
    assert m, h["content-type"]
    boundary = m.group(1).encode()
    assert body.startswith(b"\r\n--" + boundary + b"\r\n")
    assert body.endswith(b"\r\n--" + boundary + b"--\r\n")
    parts = []
    for chunk in body.split(b"\r\n--" + boundary)[1:-1]:
        assert chunk.startswith(b"\r\n")
        head, _, data = chunk[2:].partition(b"\r\n\r\n")
        msg = email.parser.Parser().parsestr(head.decode())
        parts.append((msg["Content-Type"], msg["Content-Range"], data))
    return parts


# ------------------------------------------------------------- single


@pytest.mark.parametrize("value,start,end", [
    ("bytes=0-0", 0, 0),
    ("bytes=0-99", 0, 99),
    ("bytes=100-199", 100, 199),
    ("bytes=1000-", 1000, 1023),
    ("bytes=-24", 1000, 1023),
    ("bytes=-5000", 0, 1023),
    ("bytes=1000-5000", 1000, 1023),
    ("bytes=1023-1023", 1023, 1023),
    ("bytes= 10 - 20 ", 10, 20),
    ("BYTES=10-20", 10, 20),
])
def test_single_range(served, value, start, end):
    port, _ = served
    status, h, body = _range(port, value)
    assert status == 206
    assert h["content-range"] == "bytes %d-%d/1024" % (start, end)
    assert h["content-length"] == str(end - start + 1)
    assert body == DATA[start:end + 1]
    assert "accept-ranges" not in h


def test_range_with_requests(served):
    port, _ = served
    r = requests.get("http://127.0.0.1:%d/f.bin" % port,
                     headers={"Range": "bytes=512-"})
    assert r.status_code == 206
    assert r.content == DATA[512:]


def test_no_range_has_accept_ranges(served):
    port, _ = served
    status, h, body = su.get(port, "/f.bin")
    assert status == 200
    assert h["accept-ranges"] == "bytes"
    assert body == DATA


# ------------------------------------------------------------- multipart


def test_multiple_ranges(served):
    port, _ = served
    status, h, body = _range(port, "bytes=0-9,100-109,-5")
    assert status == 206
    assert "content-range" not in h
    assert int(h["content-length"]) == len(body)
    parts = _multipart(h, body)
    assert parts == [
        ("application/octet-stream", "bytes 0-9/1024", DATA[0:10]),
        ("application/octet-stream", "bytes 100-109/1024", DATA[100:110]),
        ("application/octet-stream", "bytes 1019-1023/1024", DATA[1019:]),
    ]


def test_multiple_ranges_keep_their_order(served):
    port, _ = served
    status, h, body = _range(port, "bytes=500-501,0-1")
    assert status == 206
    parts = _multipart(h, body)
    assert [p[1] for p in parts] == ["bytes 500-501/1024", "bytes 0-1/1024"]


def test_multipart_type_is_the_files(drover):
    su.write(drover, "t.txt", "abcdefghij")
    port = drover.port()
    su.start(drover)
    status, h, body = _range(port, "bytes=0-1,5-6", path="/t.txt")
    assert status == 206
    parts = _multipart(h, body)
    assert [p[0] for p in parts] == ["text/plain", "text/plain"]
    assert [p[2] for p in parts] == [b"ab", b"fg"]


def test_multipart_head(served):
    port, _ = served
    status, h, body = su.get(port, "/f.bin", method="HEAD",
                             headers=["Range: bytes=0-1,4-5"])
    assert status == 206
    assert h["content-type"].startswith("multipart/byteranges; boundary=")
    assert body == b""


def test_unsatisfiable_ranges_are_dropped_from_a_set(served):
    port, _ = served
    status, h, body = _range(port, "bytes=5000-6000,0-1")
    assert status == 206
    assert h["content-range"] == "bytes 0-1/1024"
    assert body == DATA[0:2]


def test_overlapping_ranges_within_the_size(served):
    port, _ = served
    status, h, body = _range(port, "bytes=0-9,5-14")
    assert status == 206
    parts = _multipart(h, body)
    assert [p[2] for p in parts] == [DATA[0:10], DATA[5:15]]


def test_ranges_adding_up_to_more_than_the_file_are_ignored(served):
    port, _ = served
    status, h, body = _range(port, "bytes=0-,0-")
    assert status == 200
    assert body == DATA
    assert h["accept-ranges"] == "bytes"


# ------------------------------------------------------------- 416 / ignored


@pytest.mark.parametrize("value", [
    "bytes=1024-",
    "bytes=2000-3000",
    "bytes=-0",
    "bytes=abc",
    "bytes=5-1",
    "bytes=1-2-3",
    "bytes=1-2;3",
    "bytes=99999999999999999999-",
    "bytes=--5",
    "bytes=10-20,",
    "bytes=,10-20",
])
def test_not_satisfiable(served, value):
    port, _ = served
    status, h, body = _range(port, value)
    assert status == 416
    assert h["content-range"] == "bytes */1024"
    assert b"416 Requested Range Not Satisfiable" in body


@pytest.mark.parametrize("value", [
    "items=0-1",
    "bytes=",
    "bytes",
])
def test_other_units_are_ignored(served, value):
    port, _ = served
    status, h, body = _range(port, value)
    assert status == 200
    assert body == DATA


def test_ranges_of_an_empty_file(drover):
    su.write(drover, "e", b"")
    port = drover.port()
    su.start(drover)
    # from 0 (or a suffix) means the whole, empty, body: 200 (nginx)
    for value in ("bytes=0-", "bytes=-1", "bytes=0-0,5-6"):
        status, h, body = _range(port, value, path="/e")
        assert status == 200, value
        assert body == b""
    status, h, _ = _range(port, "bytes=5-", path="/e")
    assert status == 416
    assert h["content-range"] == "bytes */0"


def test_max_ranges(drover):
    su.write(drover, "f.bin", DATA)
    port = drover.port()
    su.start(drover, server="""
location /one/ { max_ranges 1; alias html/; }
location /none/ { max_ranges 0; alias html/; }""")
    status, h, _ = _range(port, "bytes=0-1", path="/one/f.bin")
    assert status == 206
    status, h, body = _range(port, "bytes=0-1,3-4", path="/one/f.bin")
    assert status == 200
    assert body == DATA
    status, h, body = _range(port, "bytes=0-1", path="/none/f.bin")
    assert status == 200
    assert "accept-ranges" not in h


# ------------------------------------------------------------- If-Range


def test_if_range_etag(served):
    port, etag = served
    status, _, body = _range(port, "bytes=0-3", extra=["If-Range: " + etag])
    assert status == 206
    assert body == DATA[:4]
    status, _, body = _range(port, "bytes=0-3",
                             extra=['If-Range: "other-1"'])
    assert status == 200
    assert body == DATA


def test_if_range_date(served):
    port, _ = served
    lm = su.http_date(MTIME)
    status, _, body = _range(port, "bytes=0-3", extra=["If-Range: " + lm])
    assert status == 206
    status, _, body = _range(port, "bytes=0-3",
                             extra=["If-Range: " + su.http_date(MTIME + 1)])
    assert status == 200
    assert body == DATA


def test_if_range_mismatch_keeps_416_away(served):
    port, _ = served
    status, _, _ = _range(port, "bytes=5000-", extra=['If-Range: "x"'])
    assert status == 200


def test_range_after_304_check(served):
    port, etag = served
    status, _, _ = _range(port, "bytes=0-3", extra=["If-None-Match: " + etag])
    assert status == 304


# ------------------------------------------------------------- big files


@pytest.mark.parametrize("sendfile", ["on", "off"])
def test_ranges_of_a_big_file(drover, sendfile):
    size = 20 * 1024 * 1024
    p = drover.html_dir / "big.bin"
    with open(p, "wb") as f:
        for i in range(20):
            f.write(hashlib.sha512(b"%d" % i).digest() * (1024 * 1024 // 64))
    os.chmod(p, 0o644)
    data = p.read_bytes()
    port = drover.port()
    su.start(drover, http="sendfile %s;" % sendfile)

    start, end = 7 * 1024 * 1024 + 3, 15 * 1024 * 1024 + 77
    status, h, body = _range(port, "bytes=%d-%d" % (start, end),
                             path="/big.bin")
    assert status == 206
    assert body == data[start:end + 1]

    status, h, body = _range(port, "bytes=0-9,%d-%d,-10" % (start, end),
                             path="/big.bin")
    assert status == 206
    parts = _multipart(h, body)
    assert [p[2] for p in parts] == [data[:10], data[start:end + 1],
                                     data[-10:]]
    assert parts[1][1] == "bytes %d-%d/%d" % (start, end, size)
