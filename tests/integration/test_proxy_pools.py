"""
Upstream pools through the proxy: keep-alive reuse (and a reused
connection that breaks is retried for an idempotent request, not for a
POST), passive health (max_fails/fail_timeout), backup, down, max_conns,
proxy_next_upstream (status codes, tries, non_idempotent, off),
least_conn across two workers with a zone, the weighted sequence shared
by two workers through a zone, consistent hashing across a reload, and a
backend killed under continuous load without a failed client request.
"""

import http.client
import threading
import time

import pytest

import drover_fixture as df
from proxy_util import backends, start, server, get, request  # noqa

pytestmark = pytest.mark.drover_only


KEEPALIVE = """
    proxy_http_version 1.1;
    proxy_set_header Connection "";
"""


def test_keepalive_reuses_connections(drover, backends):
    (b,) = backends(1)
    port = start(drover, """
        upstream pool { server %s; keepalive 4; }
        %s""" % (b.addr, server(
        "location / { %s proxy_pass http://pool; }" % KEEPALIVE)))

    for i in range(200):
        r = get(port, "/k%d" % i)
        assert r.status == 200
        assert r.json()["version"] == "HTTP/1.1"
        assert "connection" not in r.json()["headers"]

    assert b.requests == 200
    assert b.connections <= 2, b.connections


def test_keepalive_requests_bounds_a_connection(drover, backends):
    (b,) = backends(1)
    port = start(drover, """
        upstream pool { server %s; keepalive 4; keepalive_requests 10; }
        %s""" % (b.addr, server(
        "location / { %s proxy_pass http://pool; }" % KEEPALIVE)))

    for i in range(50):
        assert get(port, "/").status == 200

    assert b.connections == 5, b.connections


def test_without_keepalive_each_request_connects(drover, backends):
    (b,) = backends(1)
    port = start(drover, """
        upstream pool { server %s; }
        %s""" % (b.addr, server("location / { proxy_pass http://pool; }")))

    for i in range(20):
        assert get(port, "/").status == 200

    assert b.connections == 20


def test_broken_reused_connection_is_retried(drover, backends):
    (b,) = backends(1)
    port = start(drover, """
        upstream pool { server %s; keepalive 4; }
        %s""" % (b.addr, server(
        "location / { %s proxy_pass http://pool; }" % KEEPALIVE)))

    assert get(port, "/first").status == 200

    # the idle connection goes bad just as it is reused
    b.drop_reused = True

    r = get(port, "/again")
    assert r.status == 200
    assert b.dropped == 1

    # a POST may have been processed: it is not repeated
    assert get(port, "/prime").status == 200
    assert b.dropped == 2
    r = request(port, "/upload", "POST", body=b"x" * 10)
    assert r.status == 502
    assert b.dropped == 3
    drover.wait_for_log(r"upstream prematurely closed connection")


def test_passive_health_max_fails(drover, backends):
    (b,) = backends(1)
    dead = df.free_port()
    port = start(drover, """
        log_format up '$upstream_addr';
        access_log logs/up.log up;
        upstream pool {
            server 127.0.0.1:%d max_fails=1 fail_timeout=2s;
            server %s;
        }
        %s""" % (dead, b.addr, server(
        "location / { proxy_pass http://pool; }")))

    for i in range(10):
        assert get(port, "/").status == 200

    lines = drover.path("logs/up.log").read_text().splitlines()
    # the dead peer is tried once, then left alone for fail_timeout
    tried_dead = [l for l in lines if ("127.0.0.1:%d" % dead) in l]
    assert len(tried_dead) == 1, lines
    assert lines[0] == "127.0.0.1:%d, %s" % (dead, b.addr)


def test_backup_and_down(drover, backends):
    a, bk, dn = backends(3, ["a", "bk", "dn"])
    port = start(drover, """
        upstream pool {
            server %s;
            server %s down;
            server %s backup;
        }
        %s""" % (a.addr, dn.addr, bk.addr, server(
        "location / { proxy_pass http://pool; }")))

    for i in range(6):
        assert get(port, "/").header("X-Backend") == "a"

    a.stop()

    for i in range(6):
        assert get(port, "/").header("X-Backend") == "bk"

    assert dn.requests == 0


def test_max_conns(drover, backends):
    a, b = backends(2, ["a", "b"])
    a.set_delay(600)
    b.set_delay(600)
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s max_conns=1;
            server %s max_conns=1;
        }
        %s""" % (a.addr, b.addr, server(
        "location / { proxy_pass http://pool; }")))

    results = []

    def one():
        results.append(get(port, "/").status)

    ts = [threading.Thread(target=one) for _ in range(3)]
    for t in ts:
        t.start()
        time.sleep(0.05)
    for t in ts:
        t.join()

    # two slots for three concurrent requests: one is turned away
    assert sorted(results) == [200, 200, 502], results
    assert a.max_active == 1 and b.max_active == 1
    drover.wait_for_log(r"no live upstreams")


def test_next_upstream_on_status(drover, backends):
    a, b = backends(2, ["a", "b"])
    # max_fails=0: the 5xx taken as failures do not take peers out here
    port = start(drover, """
        upstream pool { server %s max_fails=0; server %s max_fails=0; }
        %s""" % (a.addr, b.addr, server("""
        location /plain/ { proxy_pass http://pool/; }
        location /retry/ {
            proxy_next_upstream error timeout http_503 http_429;
            proxy_pass http://pool/;
        }
        location /post/ {
            proxy_next_upstream error http_503;
            proxy_pass http://pool/;
        }
        location /postok/ {
            proxy_next_upstream error http_503 non_idempotent;
            proxy_pass http://pool/;
        }
        location /once/ {
            proxy_next_upstream error http_503;
            proxy_next_upstream_tries 1;
            proxy_pass http://pool/;
        }
        location /off/ {
            proxy_next_upstream off;
            proxy_pass http://pool/;
        }""")))

    # a 503 passes through by default
    assert get(port, "/plain/status/503").status == 503

    # with http_503 both peers are tried: both answer 503, the last wins
    a.reset_counts()
    b.reset_counts()
    assert get(port, "/retry/status/503").status == 503
    assert a.requests == 1 and b.requests == 1

    # a POST is not repeated unless non_idempotent
    a.reset_counts()
    b.reset_counts()
    assert request(port, "/post/status/503", "POST", body=b"x").status == 503
    assert a.requests + b.requests == 1
    a.reset_counts()
    b.reset_counts()
    assert request(port, "/postok/status/503", "POST",
                   body=b"x").status == 503
    assert a.requests + b.requests == 2

    a.reset_counts()
    b.reset_counts()
    assert get(port, "/once/status/503").status == 503
    assert a.requests + b.requests == 1

    # off: a refused connection is not retried either
    a.stop()
    codes = [get(port, "/off/x").status for _ in range(4)]
    assert 502 in codes and 200 in codes, codes


def test_next_upstream_timeout(drover, backends):
    a, b = backends(2, ["a", "b"])
    a.set_delay(1000)
    b.set_delay(1000)
    port = start(drover, """
        upstream pool { server %s; server %s; }
        %s""" % (a.addr, b.addr, server("""
        location / {
            proxy_read_timeout 300ms;
            proxy_next_upstream_timeout 200ms;
            proxy_pass http://pool;
        }""")))
    t0 = time.monotonic()
    assert get(port, "/").status == 504
    # the first timeout already used up next_upstream_timeout: no second try
    assert time.monotonic() - t0 < 0.9
    assert a.requests + b.requests == 1
    drover.expect_log(r"upstream timed out")


def test_least_conn_across_two_workers(drover, backends):
    a, b = backends(2, ["a", "b"])
    a.set_delay(800)
    b.set_delay(800)
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            least_conn;
            server %s;
            server %s;
        }
        %s""" % (a.addr, b.addr, server(
        "location / { proxy_pass http://pool; }")), workers=2)

    results = []

    def one(i):
        results.append(get(port, "/%d" % i).header("X-Backend"))

    ts = [threading.Thread(target=one, args=(i,)) for i in range(8)]
    for t in ts:
        t.start()
        time.sleep(0.03)
    for t in ts:
        t.join()

    # both workers saw the same counts: the load is split evenly
    assert results.count("a") == 4 and results.count("b") == 4, results
    assert a.max_active == 4 and b.max_active == 4


def test_weighted_sequence_shared_by_two_workers(drover, backends):
    a, b, c = backends(3, ["a", "b", "c"])
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s weight=5;
            server %s;
            server %s;
        }
        %s""" % (a.addr, b.addr, c.addr, server(
        "location / { proxy_pass http://pool; }")), workers=2)

    seq = "".join(get(port, "/").header("X-Backend") for _ in range(14))
    assert seq == "aabacaaaabacaa"


def test_consistent_hash_across_a_reload(drover, backends):
    bs = backends(4, ["a", "b", "c", "d"])

    def conf(servers):
        return drover.config("http {\n%s\n}\n" % ("""
            upstream pool {
                hash $arg_k consistent;
                %s
            }
            %s""" % ("\n".join("server %s;" % s.addr for s in servers),
                     server("location / { proxy_pass http://pool; }")
                     .replace("{port}", str(drover.port())))))

    port = drover.port()
    drover.start(conf(bs), workers=1, ports=[port])

    keys = ["user%d" % i for i in range(400)]
    before = {k: get(port, "/?k=" + k).header("X-Backend") for k in keys}
    assert set(before.values()) == {"a", "b", "c", "d"}

    # c leaves the pool
    old = drover.worker_pids()
    drover.write_conf(conf([bs[0], bs[1], bs[3]]))
    drover.signal(df._signal.SIGHUP)
    drover.wait_workers(1, exclude=old, timeout=10)

    after = {k: get(port, "/?k=" + k).header("X-Backend") for k in keys}
    moved = [k for k in keys if before[k] != after[k]]
    assert all(before[k] == "c" for k in moved)
    assert 0.15 * len(keys) < len(moved) < 0.35 * len(keys), len(moved)
    assert "c" not in after.values()


# Known bug, open: about one run in four, a request retried after a backend
# reset is sent to the next peer and then waits for a response that never
# comes (logged "while sending request to upstream" until the client gives
# up). Kept running (non-strict) so the fix shows as XPASS.
@pytest.mark.xfail(strict=False, reason="intermittent: a retried request "
                   "can stall after a backend dies (open bug, issue 4)")
def test_backend_killed_under_load(drover, backends):
    a, b, c = backends(3, ["a", "b", "c"])
    port = start(drover, """
        upstream pool {
            server %s;
            server %s;
            server %s;
            keepalive 16;
        }
        %s""" % (a.addr, b.addr, c.addr, server(
        "location / { %s proxy_pass http://pool; }" % KEEPALIVE)),
        workers=2)

    stop = threading.Event()
    counts = {"ok": 0, "fail": 0}
    errors = []
    lock = threading.Lock()

    def loop():
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        while not stop.is_set():
            try:
                conn.request("GET", "/load")
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
                if not ok:
                    errors.append(r.status)
            except Exception as e:
                ok = False
                errors.append(repr(e))
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port,
                                                  timeout=10)
            with lock:
                counts["ok" if ok else "fail"] += 1
        conn.close()

    ts = [threading.Thread(target=loop) for _ in range(8)]
    for t in ts:
        t.start()

    time.sleep(2)
    served_before = b.requests
    b.stop()
    time.sleep(4)
    stop.set()
    for t in ts:
        t.join()

    assert counts["fail"] == 0, (counts, errors[:5])
    assert counts["ok"] > 1000, counts
    assert served_before > 100
    drover.expect_log(r"connect\(\) .*failed")
