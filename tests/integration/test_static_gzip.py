"""
gzip of responses (modules/http_gzip) and precompressed files
(modules/http_gzip_static): clients decode what they get (python requests,
curl --compressed, zlib), Content-Encoding/Vary/Content-Length/ETag as
nginx sets them, gzip_types, gzip_min_length, gzip_http_version,
gzip_proxied, gzip_disable, gzip_comp_level, gzip_buffers with a file far
bigger than the buffers (through a slow reader), ranges on gzipped
responses, and gzip_static on/always/off. Checked against nginx 1.22 too.
"""

import gzip
import hashlib
import os
import socket
import time
import zlib

import pytest
import requests

import drover_fixture as df
import static_util as su

LISTENER_OK, LISTENER_REASON = df.listener_probe()
pytestmark = pytest.mark.skipif(not LISTENER_OK,
                                reason=LISTENER_REASON or "n/a")

TEXT = ("<html><body>" + "drover serves this page compressed. " * 300
        + "</body></html>\n").encode()
AE = "Accept-Encoding: gzip"


def _gz(port, path, headers=(), method="GET", version="1.1"):
    return su.get(port, path, headers=[AE] + list(headers), method=method,
                  version=version)


def _plain(data):
    return gzip.decompress(data)


# ------------------------------------------------------------- gzip


def test_gzip_decoded_by_clients(drover):
    p = su.write(drover, "page.html", TEXT)
    url = su.start(drover, http="gzip on;")

    r = requests.get(url + "/page.html")      # sends Accept-Encoding: gzip
    assert r.status_code == 200
    assert r.headers["Content-Encoding"] == "gzip"
    assert "Content-Length" not in r.headers
    assert r.headers["Transfer-Encoding"] == "chunked"
    assert r.headers["Content-Type"] == "text/html"
    assert r.headers["ETag"] == "W/" + su.etag_of(p)
    assert "Accept-Ranges" not in r.headers
    assert r.content == TEXT

    out = drover.base / "curl.out"
    rc, _, err = df.run(["curl", "-sS", "--compressed", "-o", str(out),
                         url + "/page.html"])
    assert rc == 0, err
    assert out.read_bytes() == TEXT


def test_gzip_is_a_valid_gzip_stream(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on;")
    status, h, body = _gz(port, "/page.html")
    assert status == 200
    assert body[:3] == b"\x1f\x8b\x08"
    assert len(body) < len(TEXT) / 5
    # the trailer: CRC32 and length of the original
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)
    assert d.decompress(body) == TEXT
    assert d.eof and d.unused_data == b""


def test_no_accept_encoding_no_gzip(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on;")
    for ae in ([], ["Accept-Encoding: deflate, br"],
               ["Accept-Encoding: gzip;q=0"], ["Accept-Encoding: identity"]):
        status, h, body = su.get(port, "/page.html", headers=ae)
        assert status == 200
        assert "content-encoding" not in h, ae
        assert h["content-length"] == str(len(TEXT))
        assert body == TEXT


def test_gzip_off_by_default(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover)
    status, h, body = _gz(port, "/page.html")
    assert "content-encoding" not in h
    assert body == TEXT


def test_gzip_vary(drover):
    su.write(drover, "page.html", TEXT)
    su.write(drover, "pic.png", b"\x89PNG" * 100)
    su.write(drover, "tiny.html", "x")
    port = drover.port()
    su.start(drover, http="gzip on; gzip_vary on;")
    _, h, _ = _gz(port, "/page.html")
    assert h["vary"] == "Accept-Encoding"
    _, h, _ = su.get(port, "/page.html")
    assert h["vary"] == "Accept-Encoding", "also when not compressed"
    _, h, _ = _gz(port, "/pic.png")
    assert "vary" not in h, "not a gzip_types type"
    _, h, _ = _gz(port, "/tiny.html")
    assert "vary" not in h, "below gzip_min_length"


def test_no_vary_by_default(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on;")
    _, h, _ = _gz(port, "/page.html")
    assert "vary" not in h


def test_gzip_types(drover):
    su.write(drover, "a.css", TEXT)
    su.write(drover, "a.js", TEXT)
    su.write(drover, "a.txt", TEXT)
    su.write(drover, "a.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_types text/css application/javascript;")
    for path, compressed in (("/a.css", True), ("/a.js", True),
                             ("/a.txt", False), ("/a.html", True)):
        _, h, body = _gz(port, path)
        assert ("content-encoding" in h) == compressed, path
        assert (_plain(body) if compressed else body) == TEXT


def test_gzip_types_any(drover):
    su.write(drover, "a.bin", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_types *;")
    _, h, body = _gz(port, "/a.bin")
    assert h["content-encoding"] == "gzip"
    assert _plain(body) == TEXT


def test_gzip_min_length(drover):
    su.write(drover, "small.html", "x" * 99)
    su.write(drover, "big.html", "x" * 100)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_min_length 100;")
    _, h, _ = _gz(port, "/small.html")
    assert "content-encoding" not in h
    _, h, body = _gz(port, "/big.html")
    assert h["content-encoding"] == "gzip"
    assert _plain(body) == b"x" * 100


def test_gzip_default_min_length_is_20(drover):
    su.write(drover, "a.html", "x" * 19)
    su.write(drover, "b.html", "x" * 20)
    port = drover.port()
    su.start(drover, http="gzip on;")
    assert "content-encoding" not in _gz(port, "/a.html")[1]
    assert _gz(port, "/b.html")[1]["content-encoding"] == "gzip"


def test_gzip_http_version(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, server="""
location /v10/ { gzip_http_version 1.0; alias html/; }""", http="gzip on;")
    _, h, body = _gz(port, "/page.html", version="1.0")
    assert "content-encoding" not in h
    assert body == TEXT
    _, h, body = _gz(port, "/v10/page.html", version="1.0")
    assert h["content-encoding"] == "gzip"
    assert "transfer-encoding" not in h
    assert _plain(body) == TEXT, "HTTP/1.0: the end is the close"


@pytest.mark.parametrize("proxied,headers,compressed", [
    ("off", [], False),
    ("any", [], True),
    ("auth", ["Authorization: Basic dTpw"], True),
    # nginx: without Expires and Cache-Control, a response passes unless
    # no_etag / no_last_modified see that header (static files: ETag only)
    ("auth", [], True),
    ("expired", [], True),
    ("no-cache", [], True),
    ("no_etag", [], False),
    ("no_last_modified", [], True),
    ("no_etag auth", ["Authorization: Basic dTpw"], True),
])
def test_gzip_proxied(drover, proxied, headers, compressed):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_proxied %s;" % proxied)
    # without Via: always compressed
    _, h, _ = _gz(port, "/page.html")
    assert h["content-encoding"] == "gzip"
    _, h, body = _gz(port, "/page.html",
                     headers=["Via: 1.1 proxy"] + headers)
    assert ("content-encoding" in h) == compressed
    assert (_plain(body) if compressed else body) == TEXT


def test_gzip_proxied_no_etag_without_etag(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_proxied no_etag; etag off;")
    _, h, _ = _gz(port, "/page.html", headers=["Via: 1.1 proxy"])
    assert h["content-encoding"] == "gzip"


def test_gzip_disable(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http='gzip on; gzip_disable "OldBrowser/[0-9]+" msie6;')
    _, h, _ = _gz(port, "/page.html", headers=["User-Agent: oldbrowser/3"])
    assert "content-encoding" not in h, "caseless"
    _, h, _ = _gz(port, "/page.html", headers=["User-Agent: NewBrowser/3"])
    assert h["content-encoding"] == "gzip"
    _, h, _ = _gz(port, "/page.html",
                  headers=["User-Agent: Mozilla/4.0 (compatible; MSIE 6.0; "
                           "Windows NT 5.1)"])
    assert "content-encoding" not in h


@pytest.mark.parametrize("level", [1, 6, 9])
def test_gzip_comp_level(drover, level):
    data = (b"abcdefghij" * 5000 + os.urandom(1000)) * 4
    su.write(drover, "page.html", data)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_comp_level %d;" % level)
    _, h, body = _gz(port, "/page.html")
    assert h["content-encoding"] == "gzip"
    assert _plain(body) == data


def test_gzip_level_bounds(drover):
    rc, _, err = drover.test_config(su.http_conf(drover,
                                                 http="gzip_comp_level 10;"))
    assert rc != 0
    assert "must be between 1 and 9" in err


def test_gzip_big_file_small_buffers_slow_reader(drover):
    """A 6 MB file, 4 x 4k output buffers: the filter stops when they are
    all in flight and resumes when the client reads."""
    chunks = [hashlib.sha256(b"%d" % i).hexdigest().encode() * 100
              for i in range(1000)]
    data = b"".join(chunks) * 1
    data = data + os.urandom(200000) + data
    su.write(drover, "big.txt", data)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_types text/plain; "
                          "gzip_buffers 4 4k; sendfile on;")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.settimeout(df.scaled(20))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /big.txt HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n"
              b"Connection: close\r\n\r\n")
    time.sleep(0.3)
    got = []
    while True:
        c = s.recv(32768)
        if not c:
            break
        got.append(c)
        time.sleep(0.0005)
    s.close()
    status, h, body = su.parse_response(b"".join(got))
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert _plain(body) == data


def test_gzip_big_file(drover):
    p = drover.html_dir / "big.txt"
    with open(p, "wb") as f:
        for i in range(1000):
            f.write((b"line %08d of the big text file\n" % i) * 1000)
    os.chmod(p, 0o644)
    size = p.stat().st_size
    url = su.start(drover, http="gzip on; gzip_types text/plain;")
    r = requests.get(url + "/big.txt", stream=True, timeout=60)
    assert r.headers["Content-Encoding"] == "gzip"
    h = hashlib.sha256()
    n = 0
    for chunk in r.iter_content(1 << 20):      # decoded by urllib3
        h.update(chunk)
        n += len(chunk)
    assert n == size
    with open(p, "rb") as f:
        assert h.hexdigest() == hashlib.sha256(f.read()).hexdigest()


def test_gzip_error_pages(drover):
    port = drover.port()
    su.start(drover, http="gzip on;")
    status, h, body = _gz(port, "/missing.html")
    assert status == 404
    assert h["content-encoding"] == "gzip"
    assert b"404 Not Found" in _plain(body)


def test_gzip_head(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on;")
    status, h, body = _gz(port, "/page.html", method="HEAD")
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert "content-length" not in h
    assert body == b""


def test_gzip_and_range_gives_the_whole_gzipped_body(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on;")
    status, h, body = _gz(port, "/page.html", headers=["Range: bytes=0-9"])
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert _plain(body) == TEXT


def test_gzip_304(drover):
    p = su.write(drover, "page.html", TEXT)
    port = drover.port()
    su.start(drover, http="gzip on;")
    status, h, body = _gz(port, "/page.html",
                          headers=["If-None-Match: " + su.etag_of(p)])
    assert status == 304
    assert "content-encoding" not in h
    assert body == b""


def test_gzip_keepalive(drover):
    su.write(drover, "a.html", TEXT)
    su.write(drover, "b.html", TEXT[::-1])
    url = su.start(drover, http="gzip on;")
    with requests.Session() as s:
        for _ in range(5):
            assert s.get(url + "/a.html").content == TEXT
            assert s.get(url + "/b.html").content == TEXT[::-1]


def test_gzip_ratio_variable(drover):
    su.write(drover, "page.html", TEXT)
    port = drover.port()
    rc, _, err = drover.test_config(su.http_conf(
        drover, http="log_format g '$gzip_ratio'; access_log logs/g.log g;"))
    if rc != 0:
        pytest.skip("no access log yet: %s" % err.strip())
    su.start(drover, http="gzip on; log_format g '$gzip_ratio'; "
                          "access_log logs/g.log g;")
    _gz(port, "/page.html")
    su.get(port, "/page.html")
    df.wait_for(lambda: len(drover.log_lines(drover.logs_dir / "g.log")) == 2)
    ratio, none = drover.log_lines(drover.logs_dir / "g.log")
    assert float(ratio) > 5
    assert none == "-"


# ------------------------------------------------------------- gzip_static


def _static_files(drover):
    plain = su.write(drover, "s/app.js", TEXT, mtime=1600000000)
    gz = su.write(drover, "s/app.js.gz", gzip.compress(TEXT, mtime=0),
                  mtime=1600000100)
    return plain, gz


def test_gzip_static_on(drover):
    plain, gz = _static_files(drover)
    port = drover.port()
    su.start(drover, http="gzip_static on;")
    status, h, body = _gz(port, "/s/app.js")
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert h["content-type"] == "application/javascript"
    assert h["content-length"] == str(gz.stat().st_size)
    assert h["etag"] == su.etag_of(gz)
    assert h["last-modified"] == su.http_date(1600000100)
    assert "accept-ranges" not in h
    assert body == gz.read_bytes()

    status, h, body = su.get(port, "/s/app.js")
    assert "content-encoding" not in h
    assert body == TEXT
    assert h["etag"] == su.etag_of(plain)


def test_gzip_static_with_requests(drover):
    _static_files(drover)
    url = su.start(drover, http="gzip_static on;")
    r = requests.get(url + "/s/app.js")
    assert r.headers["Content-Encoding"] == "gzip"
    assert r.content == TEXT


def test_gzip_static_vary(drover):
    _static_files(drover)
    su.write(drover, "s/alone.js", TEXT)
    port = drover.port()
    su.start(drover, http="gzip_static on; gzip_vary on;")
    _, h, _ = _gz(port, "/s/app.js")
    assert h["vary"] == "Accept-Encoding"
    _, h, body = su.get(port, "/s/app.js")
    assert h["vary"] == "Accept-Encoding", "a .gz exists: the answer varies"
    assert body == TEXT
    _, h, _ = su.get(port, "/s/alone.js")
    assert "vary" not in h


def test_gzip_static_always(drover):
    _, gz = _static_files(drover)
    port = drover.port()
    su.start(drover, http="gzip_static always;")
    status, h, body = su.get(port, "/s/app.js")
    assert h["content-encoding"] == "gzip"
    assert body == gz.read_bytes()


def test_gzip_static_off_and_missing_gz(drover):
    _static_files(drover)
    su.write(drover, "s/other.js", TEXT)
    port = drover.port()
    su.start(drover, server="location /s/ { gzip_static on; }")
    _, h, body = _gz(port, "/s/other.js")
    assert "content-encoding" not in h
    assert body == TEXT
    su.write(drover, "t/app.js", TEXT)
    su.write(drover, "t/app.js.gz", gzip.compress(TEXT))
    _, h, body = _gz(port, "/t/app.js")
    assert "content-encoding" not in h, "gzip_static off outside /s/"


def test_gzip_static_head_and_304(drover):
    _, gz = _static_files(drover)
    port = drover.port()
    su.start(drover, http="gzip_static on;")
    status, h, body = _gz(port, "/s/app.js", method="HEAD")
    assert status == 200
    assert h["content-encoding"] == "gzip"
    assert body == b""
    status, h, _ = _gz(port, "/s/app.js",
                       headers=["If-None-Match: " + su.etag_of(gz)])
    assert status == 304


def test_gzip_static_with_gzip_on_does_not_compress_twice(drover):
    _, gz = _static_files(drover)
    port = drover.port()
    su.start(drover, http="gzip on; gzip_static on; "
                          "gzip_types application/javascript;")
    _, h, body = _gz(port, "/s/app.js")
    assert h["content-encoding"] == "gzip"
    assert body == gz.read_bytes()
    assert _plain(body) == TEXT


def test_gzip_static_post_and_directories(drover):
    _static_files(drover)
    (drover.html_dir / "d.gz").mkdir()
    su.write(drover, "d", TEXT)
    port = drover.port()
    su.start(drover, http="gzip_static on;")
    status, h, body = _gz(port, "/d")
    assert status == 200
    assert "content-encoding" not in h, "d.gz is a directory"
    status, _, _ = _gz(port, "/s/app.js", method="POST")
    assert status == 405
