"""
disable_symlinks (off | on | if_not_owner [from=]) and open_file_cache
(open_file_cache, _valid, _min_uses, _errors) on static files
(modules/http_static, src/core/dr_open_file_cache.c): symlinked files and
directories refused with 403/404 as nginx answers, links in an allowed
prefix, owners; a cached file that changes, is replaced or removed is
served correctly once `valid` has passed, cached errors, and the
directives' syntax errors. Checked against nginx 1.22 too.
"""

import os
import time

import pytest
import requests

import drover_fixture as df
import static_util as su

LISTENER_OK, LISTENER_REASON = df.listener_probe()
pytestmark = pytest.mark.skipif(not LISTENER_OK,
                                reason=LISTENER_REASON or "n/a")


def _links(drover):
    su.write(drover, "real/f.txt", "real file")
    su.write(drover, "real/index.html", "real index")
    os.symlink("f.txt", drover.html_dir / "real" / "flink.txt")
    os.symlink("real", drover.html_dir / "dlink")
    os.symlink("/nonexistent", drover.html_dir / "dangling")


# ------------------------------------------------------------- symlinks


def test_symlinks_followed_by_default(drover):
    _links(drover)
    url = su.start(drover)
    assert requests.get(url + "/real/flink.txt").text == "real file"
    assert requests.get(url + "/dlink/f.txt").text == "real file"
    assert requests.get(url + "/dlink/").text == "real index"
    assert requests.get(url + "/dangling").status_code == 404


def test_disable_symlinks_on(drover):
    _links(drover)
    url = su.start(drover, server="disable_symlinks on;")
    assert requests.get(url + "/real/f.txt").text == "real file"
    assert requests.get(url + "/real/").text == "real index"

    r = requests.get(url + "/real/flink.txt")
    assert r.status_code == 403
    drover.wait_for_log(r'\[error\].*openat\(\) ".*/html/real/flink.txt" '
                        r'failed \(40: Too many levels of symbolic links\)')

    # a symlinked directory on the way: ENOTDIR, as nginx
    assert requests.get(url + "/dlink/f.txt").status_code == 404
    assert requests.get(url + "/dangling").status_code == 403


def test_disable_symlinks_on_index_and_redirect(drover):
    _links(drover)
    su.write(drover, "ix/target.html", "t")
    os.symlink("target.html", drover.html_dir / "ix" / "index.html")
    url = su.start(drover, server="disable_symlinks on;")
    assert requests.get(url + "/ix/").status_code == 403
    r = requests.get(url + "/dlink", allow_redirects=False)
    assert r.status_code in (403, 404)


def test_disable_symlinks_from(drover):
    _links(drover)
    root = str(drover.html_dir)
    url = su.start(drover, server="""
location /dlink/ { disable_symlinks on from=%s/dlink; }
location /real/ { disable_symlinks on from=%s; }""" % (root, root))
    assert requests.get(url + "/dlink/f.txt").text == "real file"
    assert requests.get(url + "/dlink/flink.txt").status_code == 403
    assert requests.get(url + "/real/flink.txt").status_code == 403
    assert requests.get(url + "/real/f.txt").text == "real file"


def test_disable_symlinks_if_not_owner(drover):
    if os.geteuid() != 0:
        pytest.skip("lchown() to another owner needs root")
    _links(drover)
    os.symlink("f.txt", drover.html_dir / "real" / "other.txt")
    os.lchown(drover.html_dir / "real" / "other.txt", 65534, 65534)
    url = su.start(drover, server="disable_symlinks if_not_owner;")
    assert requests.get(url + "/real/flink.txt").text == "real file"
    assert requests.get(url + "/dlink/f.txt").text == "real file"
    assert requests.get(url + "/real/other.txt").status_code == 403


def test_disable_symlinks_with_open_file_cache(drover):
    _links(drover)
    url = su.start(drover, server="""
open_file_cache max=100;
location /on/ { alias html/real/; disable_symlinks on; }""")
    assert requests.get(url + "/real/flink.txt").text == "real file"
    assert requests.get(url + "/on/flink.txt").status_code == 403
    assert requests.get(url + "/real/flink.txt").text == "real file"


@pytest.mark.parametrize("args,message", [
    ("", "invalid number of arguments"),
    ("maybe", 'invalid parameter "maybe"'),
    ("off from=/x", '"from=" cannot be used with "off" parameter'),
    ("from=/x", 'must have "off", "on" or "if_not_owner" parameter'),
    ("on off", 'duplicate parameters "on off"'),
])
def test_disable_symlinks_errors(drover, args, message):
    rc, _, err = drover.test_config(su.http_conf(
        drover, "disable_symlinks %s;" % args))
    assert rc != 0
    assert message in err


# ------------------------------------------------------------- open_file_cache


def test_cached_file_changes_are_seen_after_valid(drover):
    su.write(drover, "c.txt", "version one")
    url = su.start(drover, server="""
open_file_cache max=10 inactive=60s;
open_file_cache_valid 1s;""")
    assert requests.get(url + "/c.txt").text == "version one"

    # a new inode, as deploys and editors do
    tmp = su.write(drover, "c.tmp", "version two, longer")
    os.rename(tmp, drover.html_dir / "c.txt")

    def updated():
        r = requests.get(url + "/c.txt")
        assert r.status_code == 200
        assert r.text in ("version one", "version two, longer")
        assert len(r.content) == int(r.headers["Content-Length"])
        return r.text == "version two, longer"
    df.wait_for(updated, 5.0, "the replaced file to be served")


def test_cached_file_rewritten_in_place(drover):
    p = su.write(drover, "c.txt", "aaaa", mtime=1600000000)
    url = su.start(drover, server="""
open_file_cache max=10;
open_file_cache_valid 1s;""")
    assert requests.get(url + "/c.txt").text == "aaaa"
    time.sleep(1.1)
    with open(p, "wb") as f:
        f.write(b"bbbbbbbb")
    os.utime(p, (1600000100, 1600000100))
    time.sleep(1.1)
    r = requests.get(url + "/c.txt")
    assert r.text == "bbbbbbbb"
    assert r.headers["ETag"] == su.etag_of(p)


def test_cached_file_removed_is_404_after_valid(drover):
    su.write(drover, "gone.txt", "here")
    url = su.start(drover, server="""
open_file_cache max=10;
open_file_cache_valid 1s;""")
    assert requests.get(url + "/gone.txt").status_code == 200
    os.unlink(drover.html_dir / "gone.txt")
    df.wait_for(lambda: requests.get(url + "/gone.txt").status_code == 404,
                5.0, "404 for the removed file")


def test_open_file_cache_errors(drover):
    url = su.start(drover, server="""
open_file_cache max=10;
open_file_cache_valid 2s;
open_file_cache_errors on;""")
    assert requests.get(url + "/late.txt").status_code == 404
    su.write(drover, "late.txt", "now here")
    assert requests.get(url + "/late.txt").status_code == 404, \
        "the cached ENOENT holds until valid passes"
    df.wait_for(lambda: requests.get(url + "/late.txt").status_code == 200,
                5.0, "the file once the cached error expired")


def test_open_file_cache_without_errors(drover):
    url = su.start(drover, server="""
open_file_cache max=10;
open_file_cache_valid 60s;""")
    assert requests.get(url + "/late.txt").status_code == 404
    su.write(drover, "late.txt", "now here")
    assert requests.get(url + "/late.txt").text == "now here"


def test_open_file_cache_serves_many_files(drover):
    for i in range(30):
        su.write(drover, "m/%d.txt" % i, "file %d" % i * (i + 1))
    url = su.start(drover, server="""
open_file_cache max=8 inactive=20s;
open_file_cache_min_uses 2;""")
    with requests.Session() as s:
        for _ in range(3):
            for i in range(30):
                assert s.get(url + "/m/%d.txt" % i).text == \
                    "file %d" % i * (i + 1)


def test_open_file_cache_directories_and_index(drover):
    su.write(drover, "d/index.html", "index")
    url = su.start(drover, server="open_file_cache max=10;")
    for _ in range(3):
        r = requests.get(url + "/d", allow_redirects=False)
        assert r.status_code == 301
        assert requests.get(url + "/d/").text == "index"


def test_open_file_cache_reload(drover):
    su.write(drover, "r.txt", "before")
    url = su.start(drover, server="open_file_cache max=10;")
    assert requests.get(url + "/r.txt").text == "before"
    old = drover.worker_pids()
    drover.write_conf(su.http_conf(drover, "open_file_cache max=20;"))
    import signal
    drover.signal(signal.SIGHUP)
    drover.wait_workers(1, exclude=old)
    drover.wait_gone(old)
    assert requests.get(url + "/r.txt").text == "before"


@pytest.mark.parametrize("line,message", [
    ("open_file_cache max=0;", 'invalid "open_file_cache" parameter "max=0"'),
    ("open_file_cache inactive=10s;",
     '"open_file_cache" must have the "max" parameter'),
    ("open_file_cache max=10 size=3;",
     'invalid "open_file_cache" parameter "size=3"'),
    ("open_file_cache max=10 inactive=zz;",
     'invalid "open_file_cache" parameter "inactive=zz"'),
    ("open_file_cache off; open_file_cache off;",
     '"open_file_cache" directive is duplicate'),
    ("open_file_cache_valid abc;", "invalid value"),
    ("open_file_cache_min_uses x;", "invalid number"),
    ("open_file_cache_errors maybe;", "invalid value"),
])
def test_open_file_cache_errors_in_config(drover, line, message):
    rc, _, err = drover.test_config(su.http_conf(drover, line))
    assert rc != 0
    assert message in err
