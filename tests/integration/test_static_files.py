"""
Static files as nginx serves them (modules/http_static, http_index,
http_autoindex): Content-Type from mime.types and default_type,
Content-Length, Last-Modified, ETag, HEAD, 404/403/405, the 301 to the
slash URI for a directory, index files, autoindex in HTML (byte for byte
nginx's page) and JSON, and a 100 MB file through sendfile and without it.

Every test also passes against Debian's nginx:
    DROVER_BIN=/usr/sbin/nginx python3 -m pytest tests/integration -k static
"""

import hashlib
import json
import os
import socket
import time

import pytest
import requests

import drover_fixture as df
import static_util as su

LISTENER_OK, LISTENER_REASON = df.listener_probe()
pytestmark = pytest.mark.skipif(not LISTENER_OK,
                                reason=LISTENER_REASON or "n/a")


# ------------------------------------------------------------- files


def test_file_headers_and_body(drover):
    p = su.write(drover, "page.html", "<p>hello</p>\n", mtime=1700000000)
    su.write(drover, "data.json", '{"a": 1}')
    su.write(drover, "blob.unknownext", b"\x00\x01\x02")
    url = su.start(drover)

    r = requests.get(url + "/page.html")
    assert r.status_code == 200
    assert r.content == b"<p>hello</p>\n"
    assert r.headers["Content-Type"] == "text/html"
    assert r.headers["Content-Length"] == "13"
    assert r.headers["Last-Modified"] == "Tue, 14 Nov 2023 22:13:20 GMT"
    assert r.headers["ETag"] == su.etag_of(p) == '"6553f100-d"'
    assert r.headers["Accept-Ranges"] == "bytes"

    assert requests.get(url + "/data.json").headers["Content-Type"] \
        == "application/json"
    r = requests.get(url + "/blob.unknownext")
    assert r.headers["Content-Type"] == "application/octet-stream"
    assert r.content == b"\x00\x01\x02"


def test_extension_is_matched_case_insensitively(drover):
    su.write(drover, "IMAGE.PNG", b"\x89PNG")
    su.write(drover, "style.Css", "a{}")
    url = su.start(drover)
    assert requests.get(url + "/IMAGE.PNG").headers["Content-Type"] \
        == "image/png"
    assert requests.get(url + "/style.Css").headers["Content-Type"] \
        == "text/css"


def test_types_block_and_default_type_per_location(drover):
    su.write(drover, "t/x.foo", "foo")
    su.write(drover, "t/y.bar", "bar")
    url = su.start(drover, server="""
location /t/ {
    types { text/x-foo foo; }
    default_type text/plain;
}""")
    assert requests.get(url + "/t/x.foo").headers["Content-Type"] \
        == "text/x-foo"
    assert requests.get(url + "/t/y.bar").headers["Content-Type"] \
        == "text/plain"


def test_empty_file(drover):
    su.write(drover, "empty.txt", b"")
    url = su.start(drover)
    r = requests.get(url + "/empty.txt")
    assert r.status_code == 200
    assert r.content == b""
    assert r.headers["Content-Length"] == "0"


def test_head_has_headers_and_no_body(drover):
    su.write(drover, "f.txt", "x" * 1000)
    port = drover.port()
    su.start(drover)
    status, h, body = su.get(port, "/f.txt", method="HEAD")
    assert status == 200
    assert h["content-length"] == "1000"
    assert h["content-type"] == "text/plain"
    assert "etag" in h and "last-modified" in h
    assert body == b""


def test_http10_request(drover):
    su.write(drover, "f.txt", "ten")
    port = drover.port()
    su.start(drover)
    status, h, body = su.raw(port, "GET /f.txt HTTP/1.0\r\n\r\n")
    assert status == 200
    assert body == b"ten"
    assert h["content-length"] == "3"


def test_keepalive_serves_several_files(drover):
    su.write(drover, "a.txt", "A" * 10)
    su.write(drover, "b.txt", "B" * 20000)
    url = su.start(drover)
    with requests.Session() as s:
        for _ in range(3):
            assert s.get(url + "/a.txt").content == b"A" * 10
            assert s.get(url + "/b.txt").content == b"B" * 20000


# ------------------------------------------------------------- errors


def test_missing_file_is_404_and_logged(drover):
    url = su.start(drover)
    r = requests.get(url + "/nope.html")
    assert r.status_code == 404
    assert r.headers["Content-Type"] == "text/html"
    assert "404 Not Found" in r.text
    drover.wait_for_log(r'\[error\].*open\(\) ".*/html/nope.html" failed '
                        r'\(2: No such file or directory\)')


def test_log_not_found_off(drover):
    url = su.start(drover, server="log_not_found off;")
    assert requests.get(url + "/nope.html").status_code == 404
    assert requests.get(url + "/dir/nope.html").status_code == 404
    time.sleep(0.2)
    assert not drover.grep_log(r"nope.html")


def test_file_as_directory_is_404(drover):
    su.write(drover, "file.txt", "x")
    url = su.start(drover)
    assert requests.get(url + "/file.txt/more").status_code == 404


def test_unreadable_file_is_403(drover):
    if os.geteuid() == 0 and not _workers_drop_root(drover):
        pytest.skip("workers run as root: permissions do not apply")
    su.write(drover, "secret.txt", "s", mode=0o000)
    url = su.start(drover)
    r = requests.get(url + "/secret.txt")
    assert r.status_code == 403
    assert "403 Forbidden" in r.text
    drover.wait_for_log(r'\[error\].*open\(\) ".*/secret.txt" failed '
                        r'\(13: Permission denied\)')


def _workers_drop_root(drover):
    # drover and nginx started as root run their workers as nobody
    return True


def test_directory_without_index_is_403(drover):
    (drover.html_dir / "empty").mkdir()
    os.chmod(drover.html_dir / "empty", 0o755)
    url = su.start(drover)
    r = requests.get(url + "/empty/")
    assert r.status_code == 403
    drover.wait_for_log(r'\[error\].*directory index of ".*/html/empty/" '
                        r'is forbidden')


def test_missing_directory_is_404(drover):
    url = su.start(drover)
    r = requests.get(url + "/nodir/")
    assert r.status_code == 404
    drover.wait_for_log(r'\[error\].*".*/html/nodir/index.html" is not found')


def test_post_to_file_is_405(drover):
    su.write(drover, "f.txt", "x")
    url = su.start(drover)
    r = requests.post(url + "/f.txt", data=b"body")
    assert r.status_code == 405
    assert "405 Not Allowed" in r.text


@pytest.mark.parametrize("method", ["PUT", "DELETE", "OPTIONS", "PATCH"])
def test_other_methods_are_405(drover, method):
    su.write(drover, "f.txt", "x")
    su.write(drover, "d/index.html", "i")
    url = su.start(drover)
    assert requests.request(method, url + "/f.txt").status_code == 405
    assert requests.request(method, url + "/d/").status_code == 405
    assert requests.request(method, url + "/missing").status_code == 405


def test_post_to_missing_file_is_404(drover):
    url = su.start(drover)
    assert requests.post(url + "/nope", data=b"x").status_code == 404


def test_fifo_is_not_served(drover):
    os.mkfifo(drover.html_dir / "pipe")
    os.chmod(drover.html_dir / "pipe", 0o644)
    url = su.start(drover)
    assert requests.get(url + "/pipe", timeout=5).status_code == 404
    drover.expect_log(r'\[crit\].*"/.*/html/pipe" is not a regular file')
    drover.wait_for_log(r'is not a regular file')


# ------------------------------------------------------------- directories


def test_directory_redirects_to_slash(drover):
    su.write(drover, "docs/index.html", "docs index")
    port = drover.port()
    su.start(drover)
    status, h, body = su.get(port, "/docs")
    assert status == 301
    assert h["location"] == "http://localhost:%d/docs/" % port
    assert b"301 Moved Permanently" in body

    status, h, _ = su.get(port, "/docs?a=1&b=2")
    assert status == 301
    assert h["location"] == "http://localhost:%d/docs/?a=1&b=2" % port

    r = requests.get("http://127.0.0.1:%d/docs" % port)
    assert r.status_code == 200
    assert r.text == "docs index"
    assert r.history[0].status_code == 301


def test_directory_redirect_with_alias(drover):
    su.write(drover, "real/sub/index.html", "sub")
    port = drover.port()
    su.start(drover, server="location /al/ { alias html/real/; }")
    status, h, _ = su.get(port, "/al/sub")
    assert status == 301
    assert h["location"] == "http://localhost:%d/al/sub/" % port


def test_post_to_directory_is_301(drover):
    (drover.html_dir / "d").mkdir()
    port = drover.port()
    su.start(drover)
    status, h, _ = su.get(port, "/d", method="POST", body=b"x")
    assert status == 301


def test_absolute_redirect_off(drover):
    (drover.html_dir / "d").mkdir()
    port = drover.port()
    su.start(drover, server="absolute_redirect off;")
    status, h, _ = su.get(port, "/d")
    assert status == 301
    assert h["location"] == "/d/"


# ------------------------------------------------------------- index


def test_default_index(drover):
    su.write(drover, "index.html", "root index")
    su.write(drover, "a/index.html", "a index")
    url = su.start(drover)
    r = requests.get(url + "/")
    assert r.text == "root index"
    assert r.headers["Content-Type"] == "text/html"
    assert requests.get(url + "/a/").text == "a index"


def test_index_list_first_existing_wins(drover):
    su.write(drover, "x/two.txt", "two")
    su.write(drover, "x/three.html", "three")
    url = su.start(drover, server="index one.html two.txt three.html;")
    r = requests.get(url + "/x/")
    assert r.text == "two"
    assert r.headers["Content-Type"] == "text/plain"


def test_index_is_an_internal_redirect(drover):
    su.write(drover, "x/index.html", "from x")
    su.write(drover, "other/x/index.html", "from other")
    url = su.start(drover, server="""
location = /x/index.html { root html/other; }""")
    assert requests.get(url + "/x/").text == "from other"


def test_absolute_index(drover):
    su.write(drover, "fallback.html", "fallback")
    su.write(drover, "y/local.html", "local")
    url = su.start(drover, server="index local.html /fallback.html;")
    assert requests.get(url + "/y/").text == "local"
    (drover.html_dir / "z").mkdir()
    assert requests.get(url + "/z/").text == "fallback"


def test_index_keeps_the_args(drover):
    (drover.html_dir / "q" / "index.html").mkdir(parents=True)
    port = drover.port()
    su.start(drover)
    status, h, _ = su.get(port, "/q/?k=v")
    assert status == 301
    assert h["location"] == "http://localhost:%d/q/index.html/?k=v" % port


def test_index_in_alias_location(drover):
    su.write(drover, "real/index.html", "aliased")
    url = su.start(drover, server="location /al/ { alias html/real/; }")
    assert requests.get(url + "/al/").text == "aliased"


def test_index_that_is_a_directory(drover):
    (drover.html_dir / "w" / "index.html").mkdir(parents=True)
    port = drover.port()
    su.start(drover)
    status, h, _ = su.get(port, "/w/")
    assert status == 301
    assert h["location"] == "http://localhost:%d/w/index.html/" % port


def test_index_directive_errors(drover):
    rc, _, err = drover.test_config(su.http_conf(drover, 'index "";'))
    assert rc != 0
    assert 'index "" in "index" directive is invalid' in err


# ------------------------------------------------------------- autoindex


def _listing_line(name, mtime, size, is_dir=False):
    t = time.gmtime(mtime)
    date = "%02d-%s-%d %02d:%02d" % (
        t.tm_mday, ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug",
                    "Sep", "Oct", "Nov", "Dec"][t.tm_mon - 1],
        t.tm_year, t.tm_hour, t.tm_min)
    shown = name + ("/" if is_dir else "")
    href = shown
    pad = " " * (50 - len(shown))
    size_s = ("%19s" % "-") if is_dir else ("%19d" % size)
    return '<a href="%s">%s</a>%s %s %s\r\n' % (href, shown, pad, date, size_s)


def test_autoindex_html_is_nginx_page(drover):
    su.write(drover, "list/b.txt", "bb", mtime=1600000000)
    su.write(drover, "list/a.txt", "a" * 12345, mtime=1600000060)
    su.write(drover, "list/.hidden", "h")
    sub = drover.html_dir / "list" / "zdir"
    sub.mkdir()
    os.utime(sub, (1500000000, 1500000000))
    url = su.start(drover, server="location /list/ { autoindex on; }")

    r = requests.get(url + "/list/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "text/html"
    expected = (
        "<html>\r\n<head><title>Index of /list/</title></head>\r\n"
        "<body>\r\n<h1>Index of /list/</h1><hr><pre>"
        '<a href="../">../</a>\r\n'
        + _listing_line("zdir", 1500000000, 0, True)
        + _listing_line("a.txt", 1600000060, 12345)
        + _listing_line("b.txt", 1600000000, 2)
        + "</pre><hr></body>\r\n</html>\r\n")
    assert r.text == expected


def test_autoindex_approximate_sizes(drover):
    su.write(drover, "l/small", b"x" * 9999)
    su.write(drover, "l/kilo", b"x" * 10000)
    su.write(drover, "l/mega", b"x" * (3 * 1024 * 1024 + 600 * 1024))
    url = su.start(drover, server="""
location /l/ { autoindex on; autoindex_exact_size off; }""")
    text = requests.get(url + "/l/").text
    lines = {l.split('"')[1]: l for l in text.split("\r\n") if 'href="' in l}
    assert lines["small"].endswith("   9999")
    assert lines["kilo"].endswith("    10K")
    assert lines["mega"].endswith("     4M")


def test_autoindex_escapes_names(drover):
    su.write(drover, 'e/a b&c<d>.txt', "x", mtime=1600000000)
    url = su.start(drover, server="location /e/ { autoindex on; }")
    text = requests.get(url + "/e/").text
    assert '<a href="a%20b%26c%3Cd%3E.txt">a b&amp;c&lt;d&gt;.txt</a>' in text


def test_autoindex_long_name_is_cut(drover):
    name = "n" * 60 + ".txt"
    su.write(drover, "long/" + name, "x", mtime=1600000000)
    url = su.start(drover, server="location /long/ { autoindex on; }")
    text = requests.get(url + "/long/").text
    assert '<a href="%s">%s..&gt;</a> ' % (name, "n" * 47) in text


def test_autoindex_json(drover):
    su.write(drover, "j/f.txt", "12345", mtime=1600000000)
    su.write(drover, 'j/q"uote', "", mtime=1600000000)
    (drover.html_dir / "j" / "sub").mkdir()
    os.utime(drover.html_dir / "j" / "sub", (1500000000, 1500000000))
    url = su.start(drover, server="""
location /j/ { autoindex on; autoindex_format json; }""")
    r = requests.get(url + "/j/")
    assert r.status_code == 200
    assert r.headers["Content-Type"] == "application/json"
    assert r.json() == [
        {"name": "sub", "type": "directory",
         "mtime": "Fri, 14 Jul 2017 02:40:00 GMT"},
        {"name": "f.txt", "type": "file",
         "mtime": "Sun, 13 Sep 2020 12:26:40 GMT", "size": 5},
        {"name": 'q"uote', "type": "file",
         "mtime": "Sun, 13 Sep 2020 12:26:40 GMT", "size": 0},
    ]
    assert r.text.startswith('[\r\n{ "name":"sub", "type":"directory", ')


def test_autoindex_json_empty_directory(drover):
    (drover.html_dir / "emptyj").mkdir()
    url = su.start(drover, server="""
location /emptyj/ { autoindex on; autoindex_format json; }""")
    r = requests.get(url + "/emptyj/")
    assert r.text == "[\r\n]"
    assert json.loads(r.text) == []


def test_autoindex_index_file_wins(drover):
    su.write(drover, "both/index.html", "the index")
    url = su.start(drover, server="location /both/ { autoindex on; }")
    assert requests.get(url + "/both/").text == "the index"


def test_autoindex_missing_directory_is_404(drover):
    url = su.start(drover, server="autoindex on;")
    assert requests.get(url + "/nothere/").status_code == 404


def test_autoindex_head(drover):
    su.write(drover, "h/f", "x")
    port = drover.port()
    su.start(drover, server="location /h/ { autoindex on; }")
    status, h, body = su.get(port, "/h/", method="HEAD")
    assert status == 200
    assert h["content-type"] == "text/html"
    assert body == b""


def test_autoindex_post_is_403(drover):
    (drover.html_dir / "p").mkdir()
    url = su.start(drover, server="location /p/ { autoindex on; }")
    assert requests.post(url + "/p/", data=b"x").status_code == 403


# ------------------------------------------------------------- big files


def _big_file(path, size):
    """A sparse file with random blocks at a few offsets; its sha256."""
    with open(path, "wb") as f:
        f.truncate(size)
        for off in (0, size // 3, size // 2 + 3, size - 4096):
            f.seek(off)
            f.write(os.urandom(4096))
    os.chmod(path, 0o644)
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


@pytest.mark.parametrize("sendfile", ["on", "off"])
def test_100mb_file(drover, sendfile):
    size = 100 * 1000 * 1000 + 17
    digest = _big_file(drover.html_dir / "big.bin", size)
    url = su.start(drover, http="sendfile %s;" % sendfile)

    r = requests.get(url + "/big.bin", stream=True, timeout=60)
    assert r.status_code == 200
    assert r.headers["Content-Length"] == str(size)
    h = hashlib.sha256()
    n = 0
    for chunk in r.iter_content(1 << 20):
        h.update(chunk)
        n += len(chunk)
    assert n == size
    assert h.hexdigest() == digest


def test_100mb_file_with_curl(drover):
    size = 100 * 1024 * 1024
    digest = _big_file(drover.html_dir / "big.bin", size)
    url = su.start(drover, http="sendfile on; tcp_nopush on;")
    out = drover.base / "downloaded"
    rc, _, err = df.run(["curl", "-sS", "-o", str(out), "--limit-rate", "0",
                         url + "/big.bin"], timeout=60)
    assert rc == 0, err
    assert out.stat().st_size == size
    h = hashlib.sha256()
    with open(out, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    assert h.hexdigest() == digest


def test_slow_reader_gets_everything(drover):
    """A small receive window: the worker meets EAGAIN again and again and
    must resume where it stopped."""
    size = 8 * 1024 * 1024
    digest = _big_file(drover.html_dir / "big.bin", size)
    port = drover.port()
    su.start(drover, http="sendfile on;")
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16384)
    s.settimeout(df.scaled(10))
    s.connect(("127.0.0.1", port))
    s.sendall(b"GET /big.bin HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    time.sleep(0.3)
    chunks = []
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        time.sleep(0.001)
    s.close()
    status, h, body = su.parse_response(b"".join(chunks))
    assert status == 200
    assert len(body) == size
    assert hashlib.sha256(body).hexdigest() == digest
