"""
The proxy and upstream directives not covered elsewhere: interim 1xx
responses, proxy_intercept_errors, X-Accel-Redirect and
proxy_ignore_headers, Refresh with proxy_redirect, the timeouts
(connect, send), proxy_ignore_client_abort, keepalive_timeout, a pool
named before its upstream{} block, a zone keeping the round-robin state
across a reload, and the configuration errors of the buffer settings.
"""

import socket
import threading
import time

import pytest

import drover_fixture as df
from proxy_util import backends, start, server, get, request, raw  # noqa

pytestmark = pytest.mark.drover_only


def test_interim_responses_are_skipped(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("location / { proxy_pass http://%s; }"
                                % b.addr))
    r = get(port, "/interim")
    assert r.status == 200 and r.body == b"final"


def test_intercept_errors(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location / { proxy_pass http://%(a)s; }
        location /i/ {
            proxy_intercept_errors on;
            error_page 503 /oops.html;
            proxy_pass http://%(a)s/;
        }
        location = /oops.html { return 200 "local oops\n"; }
    """ % {"a": b.addr}))

    r = get(port, "/status/503")
    assert r.status == 503 and b"port" in r.body

    r = get(port, "/i/status/503")
    assert r.status == 503 and r.body == b"local oops\n"

    # a status without an error_page passes through
    r = get(port, "/i/status/404")
    assert r.status == 404 and b"port" in r.body


def test_x_accel_redirect(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location / { proxy_pass http://%(a)s; }
        location /ign/ {
            proxy_ignore_headers X-Accel-Redirect;
            proxy_pass http://%(a)s/;
        }
        location /protected/ { internal; return 200 "internal $uri\n"; }
    """ % {"a": b.addr}))

    r = get(port, "/accel?to=/protected/inner.txt")
    assert r.status == 200 and r.body == b"internal /protected/inner.txt\n"
    assert r.header("Set-Cookie") == "a=1"

    r = get(port, "/ign/accel?to=/protected/inner.txt")
    assert r.body == b"from upstream"
    assert r.header("X-Accel-Redirect") is None     # hidden all the same


def test_refresh_is_rewritten(drover, backends):
    (b,) = backends(1)
    port = start(drover, server(
        "location /one/ { proxy_pass http://%s/two/; }" % b.addr))
    r = get(port, "/one/refresh?to=http://%s/two/next" % b.addr)
    assert r.header("Refresh") == "5; url=/one/next", r.header("Refresh")


def test_connect_timeout(drover):
    # a listener that never accepts, its backlog full: SYNs go unanswered
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(0)
    addr = ls.getsockname()
    fillers = []
    for _ in range(4):
        s = socket.socket()
        s.setblocking(False)
        try:
            s.connect(addr)
        except BlockingIOError:
            pass
        fillers.append(s)
    time.sleep(0.2)

    port = start(drover, server("""
        location / {
            proxy_connect_timeout 300ms;
            proxy_pass http://127.0.0.1:%d;
        }""" % addr[1]))
    t0 = time.monotonic()
    r = get(port, "/")
    assert r.status == 504
    assert time.monotonic() - t0 < 2
    drover.wait_for_log(r"upstream timed out")
    for s in fillers:
        s.close()
    ls.close()


def test_send_timeout(drover):
    # a peer that accepts but never reads: a big body fills the socket
    ls = socket.socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    ls.bind(("127.0.0.1", 0))
    ls.listen(8)
    held = []

    def acceptor():
        while True:
            try:
                c, _ = ls.accept()
            except OSError:
                return
            held.append(c)

    threading.Thread(target=acceptor, daemon=True).start()

    port = start(drover, server("""
        client_max_body_size 0;
        location / {
            proxy_send_timeout 300ms;
            proxy_pass http://127.0.0.1:%d;
        }""" % ls.getsockname()[1]))
    r = request(port, "/", "POST", body=b"x" * (16 << 20))
    assert r.status == 504
    drover.wait_for_log(r"upstream timed out")
    ls.close()
    for c in held:
        c.close()


def _abort_after(port, path, delay):
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % path.encode())
    time.sleep(delay)
    s.close()


def test_ignore_client_abort(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location /stop/ { proxy_pass http://%(a)s/; }
        location /keep/ {
            proxy_ignore_client_abort on;
            proxy_pass http://%(a)s/;
        }""" % {"a": b.addr}))

    _abort_after(port, "/stop/sleep/800", 0.2)
    drover.wait_for_log(r"client prematurely closed connection, "
                        r"so upstream connection is closed too")

    mark = drover.log_mark()
    _abort_after(port, "/keep/sleep/500", 0.1)
    time.sleep(0.8)
    assert not drover.grep_log(r"so upstream connection is closed",
                               since=mark)


def test_keepalive_timeout(drover, backends):
    (b,) = backends(1)
    port = start(drover, """
        upstream pool { server %s; keepalive 4; keepalive_timeout 300ms; }
        %s""" % (b.addr, server("""
        location / {
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_pass http://pool;
        }""")))
    assert get(port, "/").status == 200
    assert b.active == 1            # kept idle by drover
    df.wait_for(lambda: b.active == 0, 2, "idle connection closed")


def test_pool_named_before_its_block(drover, backends):
    a, c = backends(2, ["a", "c"])
    port = start(drover, server("location / { proxy_pass http://later; }")
                 + "upstream later { server %s; server %s; }"
                 % (a.addr, c.addr))
    assert {get(port, "/").header("X-Backend") for _ in range(4)} \
        == {"a", "c"}


def test_zone_keeps_round_robin_state_across_reload(drover, backends):
    a, b, c = backends(3, ["a", "b", "c"])

    def conf(extra):
        return drover.config("http {\n%s\n}\n" % ("""
            upstream pool {
                zone pool 64k;
                server %s weight=5;
                server %s;
                server %s;
            }
            %s""" % (a.addr, b.addr, c.addr,
                     server("location / { proxy_pass http://pool; %s }"
                            % extra).replace("{port}", str(drover.port())))))

    port = drover.port()
    drover.start(conf(""), workers=1, ports=[port])
    first = "".join(get(port, "/").header("X-Backend") for _ in range(5))

    old = drover.worker_pids()
    drover.write_conf(conf("proxy_read_timeout 30s;"))
    drover.signal(df._signal.SIGHUP)
    drover.wait_workers(1, exclude=old, timeout=10)

    rest = "".join(get(port, "/").header("X-Backend") for _ in range(9))
    # the new workers go on where the old ones stopped
    assert first + rest == "aabacaaaabacaa"


@pytest.mark.parametrize("conf,msg", [
    ("proxy_buffers 1 4k;", "at least 2"),
    ("proxy_buffers 4 4k; proxy_busy_buffers_size 16k;",
     "must be less than the size of all"),
    ("proxy_buffer_size 8k; proxy_busy_buffers_size 4k;",
     "must be equal to or greater than"),
    ("proxy_max_temp_file_size 1k;", "must be equal to zero"),
    ("proxy_next_upstream bogus;", "invalid value"),
    ("proxy_http_version 2.0;", "invalid value"),
])
def test_buffer_settings_are_checked(drover, conf, msg):
    rc, out, err = drover.test_config(drover.config(
        "http { server { listen 127.0.0.1:%d; location / { %s "
        "proxy_pass http://127.0.0.1:9; } } }" % (drover.port(), conf)))
    assert rc != 0 and msg in err, err


@pytest.mark.parametrize("conf,msg", [
    ("upstream u { }", "no servers are inside upstream"),
    ("upstream u { server 127.0.0.1:9 weight=0; }", "invalid parameter"),
    ("upstream u { server 127.0.0.1:9 bogus; }", "invalid parameter"),
    ("upstream u { hash $uri; server 127.0.0.1:9 backup; }",
     "does not support parameter \"backup\""),
    ("upstream u { server 127.0.0.1:9; } upstream u { server 127.0.0.1:9; }",
     "duplicate upstream"),
    ("upstream u { zone z 1k; server 127.0.0.1:9; }", "is too small"),
    ("upstream u { random three; server 127.0.0.1:9; }",
     "invalid parameter"),
    ("upstream u { keepalive 0; server 127.0.0.1:9; }", "invalid value"),
])
def test_upstream_errors(drover, conf, msg):
    rc, out, err = drover.test_config(drover.config("http { %s }" % conf))
    assert rc != 0 and msg in err, err


def test_next_upstream_invalid_header(drover, backends):
    a, b = backends(2, ["a", "b"])
    a.broken = True
    port = start(drover, """
        upstream pool { server %s max_fails=0; server %s max_fails=0; }
        %s""" % (a.addr, b.addr, server("""
        location /plain/ { proxy_pass http://pool/; }
        location /next/ {
            proxy_next_upstream error timeout invalid_header;
            proxy_pass http://pool/;
        }""")))

    codes = sorted(get(port, "/plain/x").status for _ in range(4))
    assert codes == [200, 200, 502, 502], codes

    for _ in range(4):
        r = get(port, "/next/x")
        assert r.status == 200 and r.header("X-Backend") == "b"
