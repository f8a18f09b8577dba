"""
The access log (modules/http_log): log_format with the three escapings,
the predefined combined format, access_log with several logs per context,
inheritance http -> server -> location and "off", if=, buffer= with
flush= and the flush at exit, gzip, paths with variables, the directives'
errors; rotation both ways under load, counting that every request is in
exactly one file: by rename + USR1 (as logrotate does; run against nginx
too) and by drover's own access_log_rotate (size=, interval=, keep=,
compress); the shipped logrotate example. error_log per server/location.

Requests go to URIs the server answers 404 ("log_not_found off" keeps the
error log quiet), so these tests need no content module.
"""

import collections
import gzip
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

import drover_fixture as df

emerg_re = df.emerg_re
drover_only = pytest.mark.drover_only


def _probe():
    """Skip everything, with the binary's reason, until it takes access
    logs (the http core and this module)."""
    d = df.Drover()
    try:
        rc, out, err = d.test_config(d.config(
            "http {\n    log_format probe '$status';\n"
            "    access_log logs/probe.log probe;\n    server {\n"
            "        listen 127.0.0.1:%d;\n    }\n}" % df.free_port()))
    finally:
        d.cleanup()
    if rc == 0:
        return None
    first = [l for l in err.splitlines() if "[emerg]" in l][:1]
    return "%s -t rejects an access log: %s" % (
        d.name, first[0] if first else err.strip())


_REASON = _probe()
pytestmark = pytest.mark.skipif(_REASON is not None, reason=_REASON or "")


# ------------------------------------------------------------- helpers


def http_conf(drover, http, workers=1, main=""):
    """The main boilerplate around an http{} block whose body is <http>
    (with {port} filled in)."""
    body = "http {\n%s\n}" % http.replace("{port}", str(drover.port()))
    return drover.config(body, worker_processes=workers, main=main)


def server(body="", locations=""):
    return ("    server {\n        listen 127.0.0.1:{port};\n"
            "        log_not_found off;\n%s\n%s\n    }" % (body, locations))


def request(port, path="/", headers=(), host=b"localhost", version=b"1.1"):
    """One request on its own connection; (status, raw response)."""
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    req = b"GET " + path.encode() + b" HTTP/" + version + b"\r\nHost: " + \
        host + b"\r\nConnection: close\r\n"
    for k, v in headers:
        req += k + b": " + v + b"\r\n"
    s.sendall(req + b"\r\n")
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    return int(data.split(b" ", 2)[1]), data


def read_log(path):
    """The bytes of a log, gunzipped if it is a .gz; b"" if it is gone."""
    try:
        if str(path).endswith(".gz"):
            with gzip.open(path) as f:
                return f.read()
        return Path(path).read_bytes()
    except FileNotFoundError:
        return b""


def wait_lines(path, n, timeout=5.0):
    """Waits until <path> has at least <n> lines; returns them (bytes)."""
    def enough():
        lines = read_log(path).splitlines()
        return lines if len(lines) >= n else None
    return df.wait_for(enough, timeout, "%d lines in %s" % (n, path))


class Load:
    """Threads sending keep-alive requests for /req/<id> until stopped;
    <done> holds the ids whose response arrived."""

    def __init__(self, port, threads=4, tag="r"):
        self.port = port
        self.tag = tag
        self.stop_event = threading.Event()
        self.done = []
        self.errors = []
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self._run, args=(i,))
                        for i in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _run(self, t):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        n = 0
        mine = []
        try:
            while not self.stop_event.is_set():
                rid = "%s%d-%d" % (self.tag, t, n)
                conn.request("GET", "/req/" + rid)
                resp = conn.getresponse()
                resp.read()
                mine.append(rid)
                n += 1
                if resp.will_close:
                    conn.close()
                    conn = http.client.HTTPConnection("127.0.0.1", self.port,
                                                      timeout=10)
        except Exception as e:          # reported by stop()
            self.errors.append("%s: %r" % (rid, e))
        finally:
            conn.close()
            with self.lock:
                self.done.extend(mine)

    def stop(self):
        self.stop_event.set()
        for t in self.threads:
            t.join(30)
        assert not self.errors, self.errors[:5]
        return self.done


LINE_RE = re.compile(rb"^/req/([a-z0-9-]+) 404 [0-9]+\.[0-9]{3}$")


def count_ids(logs_dir, base):
    """Counter of request ids over <base> and its rotated files (.gz too);
    every line must be whole."""
    ids = collections.Counter()
    for p in sorted(Path(logs_dir).iterdir()):
        if not p.name.startswith(base) or p.name.endswith(".tmp"):
            continue
        for line in read_log(p).splitlines():
            m = LINE_RE.match(line)
            assert m, "torn or foreign line in %s: %r" % (p.name, line)
            ids[m.group(1).decode()] += 1
    return ids


def assert_exactly_once(sent, ids):
    missing = set(sent) - set(ids)
    dup = [i for i, c in ids.items() if c > 1]
    extra = set(ids) - set(sent)
    assert not missing, "%d of %d requests not logged, e.g. %s" % (
        len(missing), len(sent), sorted(missing)[:5])
    assert not dup, "logged more than once: %s" % dup[:5]
    assert not extra, "logged but never answered: %s" % sorted(extra)[:5]


IDS_FORMAT = "    log_format ids '$request_uri $status $msec';\n"


# ------------------------------------------------------------- formats


def test_combined_is_the_default_format(drover):
    port = drover.port()
    drover.start(http_conf(drover, "    access_log logs/a.log;\n" + server()),
                 ports=[port])
    status, _ = request(port, "/x?y=1", headers=[
        (b"User-Agent", b"tester/1.0"), (b"Referer", b"http://r/")])
    assert status == 404
    line = wait_lines(drover.path("logs/a.log"), 1)[0].decode()
    assert re.match(r'^127\.0\.0\.1 - - \[\d\d/[A-Z][a-z]{2}/\d{4}:'
                    r'\d\d:\d\d:\d\d [+-]\d{4}\] "GET /x\?y=1 HTTP/1\.1" 404 '
                    r'\d+ "http://r/" "tester/1\.0"$', line), line


@drover_only
def test_default_log_without_access_log(drover):
    port = drover.port()
    drover.start(http_conf(drover, server()), ports=[port])
    request(port, "/nolog-directive")
    line = wait_lines(drover.path("logs/access.log"), 1)[0].decode()
    assert '"GET /nolog-directive HTTP/1.1" 404' in line


ESC_HTTP = IDS_FORMAT + """
    log_format dflt '[$http_x_test] [$http_x_missing] $status';
    log_format json escape=json '{"t":"$http_x_test","m":"$http_x_missing"}';
    log_format none escape=none '[$http_x_test] [$http_x_missing]';
    log_format glue '${status}x$status$pipe$msec';
    access_log logs/dflt.log dflt;
    access_log logs/json.log json;
    access_log logs/none.log none;
    access_log logs/glue.log glue;
"""


def test_escaping(drover):
    port = drover.port()
    drover.start(http_conf(drover, ESC_HTTP + server()), ports=[port])
    value = b'say "hi" \\o/\tcaf\xc3\xa9'
    request(port, "/esc", headers=[(b"X-Test", value)])

    dflt = wait_lines(drover.path("logs/dflt.log"), 1)[0]
    assert dflt == rb'[say \x22hi\x22 \x5Co/\x09caf\xC3\xA9] [-] 404', dflt

    js = wait_lines(drover.path("logs/json.log"), 1)[0]
    assert js == b'{"t":"say \\"hi\\" \\\\o/\\tcaf\xc3\xa9","m":""}', js

    none = wait_lines(drover.path("logs/none.log"), 1)[0]
    assert none == b"[" + value + b"] []", none

    glue = wait_lines(drover.path("logs/glue.log"), 1)[0].decode()
    assert re.match(r"^404x404\.\d+\.\d{3}$", glue), glue
    assert abs(float(glue[8:]) - time.time()) < 60


def test_request_uri_is_logged_as_sent(drover):
    port = drover.port()
    conf = IDS_FORMAT + ("    log_format j escape=json '$request_uri|$args';\n"
                         "    access_log logs/j.log j;\n")
    drover.start(http_conf(drover, conf + server()), ports=[port])
    # the raw request target is logged as sent: %-escapes stay
    request(port, "/a%22b%01?q=%5C")
    line = wait_lines(drover.path("logs/j.log"), 1)[0]
    assert line == b"/a%22b%01?q=%5C|q=%5C", line


# ------------------------------------------------------------- contexts


CONTEXTS = IDS_FORMAT + """
    access_log logs/http.log ids;
    server {
        listen 127.0.0.1:{port};
        log_not_found off;
        location /srv { }
        location /loc {
            access_log logs/loc1.log ids;
            access_log logs/loc2.log ids;
        }
        location /off { access_log off; }
        location /nested {
            access_log logs/outer.log ids;
            location /nested/inner { }
            location /nested/own { access_log logs/inner.log ids; }
        }
    }
    server {
        listen 127.0.0.1:{port};
        server_name other;
        log_not_found off;
        access_log logs/other.log ids;
        location /off { access_log off; }
    }
"""


def test_inheritance_several_logs_and_off(drover):
    port = drover.port()
    drover.start(http_conf(drover, CONTEXTS), ports=[port])
    for path in ("/srv", "/loc", "/off", "/nested/inner", "/nested/own",
                 "/nested"):
        request(port, path)
    request(port, "/x", host=b"other")
    request(port, "/off", host=b"other")

    def uris(name):
        return [l.split(b" ")[0].decode()
                for l in read_log(drover.path("logs/" + name)).splitlines()]

    df.wait_for(lambda: len(uris("http.log")) == 1 and
                len(uris("outer.log")) == 2 and len(uris("other.log")) == 1,
                5, "the lines of every log")
    time.sleep(0.2)
    assert uris("http.log") == ["/srv"]
    assert uris("loc1.log") == ["/loc"] and uris("loc2.log") == ["/loc"]
    assert sorted(uris("outer.log")) == ["/nested", "/nested/inner"]
    assert uris("inner.log") == ["/nested/own"]
    assert uris("other.log") == ["/x"]


def test_if_condition(drover):
    port = drover.port()
    conf = IDS_FORMAT + "    access_log logs/c.log ids if=$arg_log;\n"
    drover.start(http_conf(drover, conf + server()), ports=[port])
    for q in ("log=1", "log=0", "log=", "x=1", "log=yes"):
        request(port, "/req/q?" + q)
    request(port, "/req/last?log=1")
    lines = wait_lines(drover.path("logs/c.log"), 3)
    time.sleep(0.2)
    lines = read_log(drover.path("logs/c.log")).splitlines()
    assert [l.split(b" ")[0] for l in lines] == [
        b"/req/q?log=1", b"/req/q?log=yes", b"/req/last?log=1"]


# ------------------------------------------------------------- buffers


def test_buffer_flushes_on_time(drover):
    port = drover.port()
    conf = IDS_FORMAT + \
        "    access_log logs/b.log ids buffer=64k flush=700ms;\n"
    drover.start(http_conf(drover, conf + server()), ports=[port])
    t0 = time.monotonic()
    request(port, "/req/b1")
    request(port, "/req/b2")
    assert read_log(drover.path("logs/b.log")) == b"", "held in the buffer"
    lines = wait_lines(drover.path("logs/b.log"), 2, timeout=5)
    assert time.monotonic() - t0 >= 0.6
    assert [l.split(b" ")[0] for l in lines] == [b"/req/b1", b"/req/b2"]


@pytest.mark.parametrize("sig", [signal.SIGQUIT, signal.SIGTERM])
def test_buffer_flushes_at_exit(drover, sig):
    port = drover.port()
    conf = IDS_FORMAT + "    access_log logs/b.log ids buffer=64k;\n"
    drover.start(http_conf(drover, conf + server(), workers=2), ports=[port],
                 workers=2)
    for i in range(20):
        request(port, "/req/x%d" % i)
    time.sleep(0.3)
    assert read_log(drover.path("logs/b.log")) == b""
    drover.signal(sig)
    drover.wait_exit()
    lines = read_log(drover.path("logs/b.log")).splitlines()
    assert sorted(l.split(b" ")[0] for l in lines) == \
        sorted(("/req/x%d" % i).encode() for i in range(20))


def test_buffer_full_writes_whole_lines(drover):
    port = drover.port()
    conf = IDS_FORMAT + "    access_log logs/b.log ids buffer=200;\n"
    drover.start(http_conf(drover, conf + server()), ports=[port])
    for i in range(30):
        request(port, "/req/full%d" % i)
    # a 200-byte buffer holds a few lines: most are on disk already
    lines = wait_lines(drover.path("logs/b.log"), 20)
    for l in lines:
        assert LINE_RE.match(l), l


def test_line_longer_than_the_buffer(drover):
    port = drover.port()
    conf = IDS_FORMAT + "    access_log logs/b.log ids buffer=100;\n"
    drover.start(http_conf(drover, conf + server()), ports=[port])
    long = "/req/" + "a" * 300
    request(port, "/req/short")
    request(port, long)
    lines = wait_lines(drover.path("logs/b.log"), 2)
    assert [l.split(b" ")[0] for l in lines] == [b"/req/short", long.encode()]


def test_gzip_buffer(drover):
    port = drover.port()
    conf = IDS_FORMAT + "    access_log logs/g.log.gz ids gzip=6 flush=300ms;\n"
    drover.start(http_conf(drover, conf + server()), ports=[port])
    for i in range(10):
        request(port, "/req/g%d" % i)
    time.sleep(0.2)
    for i in range(10, 15):
        request(port, "/req/g%d" % i)
    lines = df.wait_for(lambda: len(read_log(drover.path("logs/g.log.gz"))
                                    .splitlines()) == 15 and
                        read_log(drover.path("logs/g.log.gz")).splitlines(),
                        5, "15 gzipped lines")
    assert [l.split(b" ")[0] for l in lines] == \
        [("/req/g%d" % i).encode() for i in range(15)]
    raw = drover.path("logs/g.log.gz").read_bytes()
    assert raw[:2] == b"\x1f\x8b"


def test_variables_in_path(drover):
    port = drover.port()
    os.chmod(drover.logs_dir, 0o777)        # the workers create the files
    conf = IDS_FORMAT + "    access_log logs/host-$host.log ids;\n"
    drover.start(http_conf(drover, conf + server()), ports=[port])
    request(port, "/req/a", host=b"a.example")
    request(port, "/req/b", host=b"B.example")
    request(port, "/req/a2", host=b"a.example")
    a = wait_lines(drover.path("logs/host-a.example.log"), 2)
    b = wait_lines(drover.path("logs/host-b.example.log"), 1)
    assert [l.split(b" ")[0] for l in a] == [b"/req/a", b"/req/a2"]
    assert [l.split(b" ")[0] for l in b] == [b"/req/b"]


# ------------------------------------------------------------- errors


def assert_t_fails(drover, http, msg):
    conf = http_conf(drover, http)
    rc, out, err = drover.test_config(conf)
    assert rc == 1, err
    assert re.search(emerg_re(msg), err), err


BAD = [
    ("unknown_format", "access_log logs/a.log nosuch;",
     r'unknown log format "nosuch"'),
    ("format_after_use", "access_log logs/a.log late; log_format late x;",
     r'unknown log format "late"'),
    ("duplicate_format", "log_format a x; log_format a y;",
     r'duplicate "log_format" name "a"'),
    ("redefine_combined", "log_format combined x;",
     r'duplicate "log_format" name "combined"'),
    ("bad_escape", "log_format a escape=xml x;",
     r'unknown log format escaping "xml"'),
    ("unknown_variable", "log_format a $no_such_variable_here;",
     r'unknown "no_such_variable_here" variable'),
    ("open_bracket", "log_format a ${status;",
     r'the closing bracket in "status;?" variable is missing'),
    ("lone_dollar", "log_format a 'x $';", r'invalid parameter "\$"'),
    ("bad_buffer", "access_log logs/a.log combined buffer=xx;",
     r'invalid buffer size "xx"'),
    ("bad_flush", "access_log logs/a.log combined buffer=1k flush=0;",
     r'invalid flush time "0"'),
    ("flush_no_buffer", "access_log logs/a.log combined flush=1s;",
     r'no buffer is defined for access_log "logs/a.log"'),
    ("bad_gzip", "access_log logs/a.log combined gzip=10;",
     r'invalid compression level "10"'),
    ("bad_param", "access_log logs/a.log combined fast;",
     r'invalid parameter "fast"'),
    ("off_param", "access_log off combined;", r'invalid parameter "combined"'),
    ("buffer_variables", "access_log logs/$host.log combined buffer=1k;",
     r"buffered logs cannot have variables in name"),
    ("conflict", "access_log logs/a.log combined buffer=1k; "
     "access_log logs/a.log combined buffer=2k;",
     r'access_log "logs/a.log" already defined with conflicting parameters'),
    ("log_format_in_server", "server { log_format a x; }",
     r'"log_format" directive is not allowed here'),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
def test_config_errors(drover, case):
    assert_t_fails(drover, "    " + case[1], case[2])


BAD_ROTATE = [
    ("no_trigger", "access_log_rotate keep=3;",
     r'"access_log_rotate" needs "size=" or "interval="'),
    ("bad_size", "access_log_rotate size=abc;", r'invalid size "abc"'),
    ("zero_interval", "access_log_rotate interval=0;",
     r'invalid interval "0"'),
    ("bad_keep", "access_log_rotate size=1m keep=0;",
     r'invalid number of files to keep "keep=0"'),
    ("bad_param", "access_log_rotate size=1m gzip;",
     r'invalid parameter "gzip"'),
    ("off_param", "access_log_rotate off size=1m;",
     r'invalid parameter "size=1m"'),
    ("duplicate", "access_log_rotate size=1m; access_log_rotate size=2m;",
     r'"access_log_rotate" directive is duplicate'),
    ("in_location", "server { location / { access_log_rotate size=1m; } }",
     r'"access_log_rotate" directive is not allowed here'),
    ("conflicting", "access_log logs/a.log; access_log_rotate size=1m; "
     "server { access_log_rotate size=2m; access_log logs/a.log; }",
     r'access log ".*/logs/a\.log" is rotated by conflicting '
     r'"access_log_rotate" directives'),
]


@drover_only
@pytest.mark.parametrize("case", BAD_ROTATE, ids=[c[0] for c in BAD_ROTATE])
def test_rotate_config_errors(drover, case):
    assert_t_fails(drover, "    " + case[1], case[2])


@drover_only
def test_rotate_config_accepted(drover):
    conf = http_conf(drover, """
    access_log_rotate size=10m interval=1d keep=14 compress;
    access_log logs/a.log;
    server {
        listen 127.0.0.1:{port};
        access_log_rotate off;
        access_log logs/b.log;
        access_log /dev/stdout;
    }
    server {
        listen 127.0.0.1:{port};
        server_name two;
        access_log_rotate size=10m interval=1d keep=14 compress;
        access_log logs/a.log;
    }""")
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err


# ------------------------------------------------------------- rotation


def rename_loop(drover, base, stop, times, pause=0.05):
    """Renames logs/<base> to <base>.N and sends USR1, <times> times or
    until <stop>; returns how many rotations it did."""
    n = 0
    path = drover.path("logs/" + base)
    while n < times and not stop.is_set():
        try:
            os.rename(path, "%s.%d" % (path, n))
        except FileNotFoundError:       # the master has not reopened yet
            time.sleep(0.005)
            continue
        drover.signal(signal.SIGUSR1)
        n += 1
        time.sleep(pause)
    return n


@pytest.mark.parametrize("buffered", [False, True],
                         ids=["unbuffered", "buffered"])
def test_usr1_rotation_under_load_loses_nothing(drover, buffered):
    port = drover.port()
    log = "    access_log logs/access.log ids%s;\n" % (
        " buffer=8k flush=200ms" if buffered else "")
    drover.start(http_conf(drover, IDS_FORMAT + log + server(), workers=2),
                 ports=[port], workers=2)

    load = Load(port, threads=4).start()
    time.sleep(0.3)
    stop = threading.Event()
    rotations = rename_loop(drover, "access.log", stop, 40)
    time.sleep(0.3)
    sent = load.stop()

    assert rotations == 40
    assert len(sent) > 500, "too little load to mean anything: %d" % len(sent)

    # what the workers still buffer is written when they exit
    drover.signal(signal.SIGQUIT)
    drover.wait_exit()

    ids = count_ids(drover.logs_dir, "access.log")
    assert_exactly_once(sent, ids)
    files = [p for p in drover.logs_dir.iterdir()
             if p.name.startswith("access.log")]
    assert len(files) == 41


@drover_only
def test_s_reopen(drover):
    port = drover.port()
    drover.start(http_conf(drover, IDS_FORMAT +
                           "    access_log logs/access.log ids;\n" + server()),
                 ports=[port])
    request(port, "/req/before")
    wait_lines(drover.path("logs/access.log"), 1)
    os.rename(drover.path("logs/access.log"), drover.path("logs/old.log"))
    mark = drover.log_mark()
    rc, out, err = drover.run("-s", "reopen")
    assert rc == 0, err
    drover.wait_for_log(r"reopening logs", since=mark)
    df.wait_for(lambda: drover.path("logs/access.log").exists(), 5,
                "the new access.log")
    request(port, "/req/after")
    assert [l.split(b" ")[0] for l in
            wait_lines(drover.path("logs/access.log"), 1)] == [b"/req/after"]
    assert [l.split(b" ")[0] for l in
            read_log(drover.path("logs/old.log")).splitlines()] == \
        [b"/req/before"]


def settled(logs_dir, base):
    """True once no compression is under way: no .tmp and no plain
    rotated file of <base> left."""
    for p in Path(logs_dir).iterdir():
        if p.name.startswith(base + ".") and not p.name.endswith(".gz"):
            return False
    return True


def rotated_files(logs_dir, base):
    return sorted(p.name for p in Path(logs_dir).iterdir()
                  if p.name.startswith(base + "."))


ROTATED_RE = r"^access\.log\.\d{8}-\d{6}(-\d+)?(\.gz)?$"


@drover_only
@pytest.mark.parametrize("variant", [
    "size=8k",
    "size=8k compress",
    "interval=1s",
    "interval=1s size=4k compress buffered",
])
def test_builtin_rotation_under_load_loses_nothing(drover, variant):
    port = drover.port()
    buffered = "buffered" in variant
    rotate = variant.replace(" buffered", "")
    log = "    access_log logs/access.log ids%s;\n" % (
        " buffer=4k flush=300ms" if buffered else "")
    conf = IDS_FORMAT + "    access_log_rotate %s;\n" % rotate + log + server()
    drover.start(http_conf(drover, conf, workers=2), ports=[port], workers=2)
    mark = drover.log_mark()

    load = Load(port, threads=4).start()
    drover.wait_for_log(r'access log ".*/logs/access\.log" rotated to',
                        since=mark, count=4, timeout=15)
    sent = load.stop()
    assert len(sent) > 500, "too little load to mean anything: %d" % len(sent)

    drover.signal(signal.SIGQUIT)
    drover.wait_exit()
    if "compress" in variant:
        df.wait_for(lambda: settled(drover.logs_dir, "access.log"), 20,
                    "the compressor to finish: %s"
                    % rotated_files(drover.logs_dir, "access.log"))

    ids = count_ids(drover.logs_dir, "access.log")
    assert_exactly_once(sent, ids)

    rotated = rotated_files(drover.logs_dir, "access.log")
    assert len(rotated) >= 4, rotated
    for name in rotated:
        assert re.match(ROTATED_RE, name), name
        assert name.endswith(".gz") == ("compress" in variant), name
    assert not [l for l in drover.grep_log(r"\[(error|warn)\]")
                if "client:" not in l]


@drover_only
def test_builtin_rotation_keep(drover):
    port = drover.port()
    conf = IDS_FORMAT + ("    access_log_rotate size=2k keep=2 compress;\n"
                         "    access_log logs/access.log ids;\n") + server()
    drover.start(http_conf(drover, conf), ports=[port])
    mark = drover.log_mark()
    load = Load(port, threads=2).start()
    drover.wait_for_log(r"rotated to", since=mark, count=5, timeout=15)
    sent = load.stop()
    df.wait_for(lambda: settled(drover.logs_dir, "access.log")
                and len(rotated_files(drover.logs_dir, "access.log")) == 2,
                10, "two compressed files: %s"
                % rotated_files(drover.logs_dir, "access.log"))
    drover.wait_for_log(r"\[info\] .*rotated access log \".*\" deleted "
                        r"\(keep=2\)", since=mark, count=3)
    ids = count_ids(drover.logs_dir, "access.log")
    assert all(c == 1 for c in ids.values())
    assert set(ids) <= set(sent)


@drover_only
def test_builtin_interval_rotates_a_stale_file_at_start(drover):
    port = drover.port()
    path = drover.path("logs/access.log")
    path.write_text("/req/yesterday 404 1.000\n")
    old = time.time() - 2 * 86400
    os.utime(path, (old, old))
    conf = IDS_FORMAT + ("    access_log_rotate interval=1d;\n"
                         "    access_log logs/access.log ids;\n") + server()
    mark = drover.log_mark()
    drover.start(http_conf(drover, conf), ports=[port])
    drover.wait_for_log(r"rotated to", since=mark)
    rotated = rotated_files(drover.logs_dir, "access.log")
    assert len(rotated) == 1
    assert read_log(drover.logs_dir / rotated[0]) == \
        b"/req/yesterday 404 1.000\n"
    request(port, "/req/today")
    lines = wait_lines(path, 1)
    assert lines[0].startswith(b"/req/today ")


@drover_only
def test_builtin_rotation_survives_reload(drover):
    port = drover.port()
    conf = IDS_FORMAT + ("    access_log_rotate size=1k;\n"
                         "    access_log logs/access.log ids;\n") + server()
    drover.start(http_conf(drover, conf), ports=[port])
    mark = drover.log_mark()
    drover.signal(signal.SIGHUP)
    drover.wait_for_log(r"reconfiguring", since=mark)
    for i in range(60):
        request(port, "/req/after-reload-%d" % i)
    drover.wait_for_log(r"rotated to", since=mark)


def test_logrotate_example(drover):
    logrotate = shutil.which("logrotate") or (
        "/usr/sbin/logrotate" if os.path.exists("/usr/sbin/logrotate")
        else None)
    if logrotate is None:
        pytest.skip("logrotate is not installed")
    port = drover.port()
    drover.start(http_conf(drover, IDS_FORMAT +
                           "    access_log logs/access.log ids buffer=4k;\n"
                           + server(), workers=2),
                 ports=[port], workers=2)
    example = (Path(df.REPO) / "conf/logrotate.d/drover").read_text()
    conf = example.replace("/usr/local/drover/", drover.prefix_arg)
    conf_path = drover.base / "logrotate.conf"
    conf_path.write_text(conf)
    os.chmod(conf_path, 0o644)
    state = drover.base / "logrotate.state"

    def rotate():
        rc = subprocess.run([logrotate, "-f", "-s", str(state),
                             str(conf_path)], capture_output=True)
        assert rc.returncode == 0, rc.stderr.decode()

    load = Load(port, threads=3).start()
    for _ in range(3):
        time.sleep(0.4)
        rotate()
    time.sleep(0.3)
    sent = load.stop()
    drover.signal(signal.SIGQUIT)
    drover.wait_exit()
    names = sorted(p.name for p in drover.logs_dir.iterdir()
                   if p.name.startswith("access.log"))
    # access.log, .1 (delaycompress), .2.gz, .3.gz
    assert names == ["access.log", "access.log.1", "access.log.2.gz",
                     "access.log.3.gz"], names
    assert_exactly_once(sent, count_ids(drover.logs_dir, "access.log"))


# ------------------------------------------------------------- error_log


def test_error_log_per_server_and_location(drover):
    port = drover.port()
    conf = """
    server {
        listen 127.0.0.1:{port};
        error_log logs/srv.log info;
        location /loc { error_log logs/loc.log info; }
    }"""
    drover.start(http_conf(drover, conf), ports=[port])
    request(port, "/srv/missing")
    request(port, "/loc/missing")
    srv, loc = drover.path("logs/srv.log"), drover.path("logs/loc.log")
    drover.wait_for_log(r'\[error\] .*/srv/missing', path=srv)
    drover.wait_for_log(r'\[error\] .*/loc/missing', path=loc)
    assert not drover.grep_log(r"/loc/missing", path=srv)


@drover_only
def test_builtin_rotation_needs_the_master(drover):
    port = drover.port()
    conf = IDS_FORMAT + ("    access_log_rotate size=1k;\n"
                         "    access_log logs/access.log ids;\n") + server()
    drover.start(http_conf(drover, conf, main="master_process off;"),
                 ports=[port])
    drover.wait_for_log(r'\[warn\] .*"access_log_rotate" needs the master '
                        r'process')
