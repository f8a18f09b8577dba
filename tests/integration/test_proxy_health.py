"""
Active health checks (health_check in upstream{}, match{} blocks): run
in the agent process, one probe per peer per interval for the whole
server; a failing peer leaves the rotation within fails x interval and
comes back after passes; match conditions on status, fields and body;
port=; a zone is required.
"""

import time

import pytest

import drover_fixture as df
from proxy_util import backends, start, server, get  # noqa

pytestmark = pytest.mark.drover_only


def health_requests(b):
    return sum(1 for p in b.paths if p.startswith("/health"))


def served(port, n=20):
    return [get(port, "/").header("X-Backend") for _ in range(n)]


def test_failing_peer_leaves_and_returns(drover, backends):
    a, b = backends(2, ["a", "b"])
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s;
            server %s;
            health_check interval=200ms fails=2 passes=2 uri=/health;
        }
        %s""" % (a.addr, b.addr, server(
        "location / { proxy_pass http://pool; }")))

    # the agent runs beside the worker
    master = drover.master_pid
    titles = [df.cmdline(p) for p in df.children(master)]
    assert any("agent process" in t for t in titles), titles

    df.wait_for(lambda: health_requests(a) >= 2 and health_requests(b) >= 2,
                3, "first checks")
    assert set(served(port)) == {"a", "b"}

    b.set_health(500)
    t0 = time.monotonic()
    drover.wait_for_log(r"peer %s is down after 2 failed health checks"
                        % b.addr, timeout=3)
    # fails x interval, plus one interval of phase and some slack
    assert time.monotonic() - t0 < 0.2 * 3 + 0.5
    assert set(served(port)) == {"a"}

    b.set_health(200)
    t0 = time.monotonic()
    drover.wait_for_log(r"peer %s is up after 2 passed health checks"
                        % b.addr, timeout=3)
    assert time.monotonic() - t0 < 0.2 * 3 + 0.5
    assert set(served(port)) == {"a", "b"}


def test_one_probe_per_interval_for_the_whole_server(drover, backends):
    (a,) = backends(1)
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s;
            health_check interval=250ms uri=/health;
        }
        %s""" % (a.addr, server("location / { proxy_pass http://pool; }")),
        workers=4)
    time.sleep(0.3)
    before = health_requests(a)
    time.sleep(2.0)
    n = health_requests(a) - before
    # 8 intervals in 2 s: one probe each, not one per worker
    assert 6 <= n <= 10, n


def test_match_conditions(drover, backends):
    a, b, c, d = backends(4, ["a", "b", "c", "d"])
    port = start(drover, """
        match good {
            status 200-299;
            header X-Backend ~ "^[abc]$";
            header ! X-Broken;
            body !~ "sick";
        }
        upstream pool {
            zone pool 64k;
            server %s;
            server %s;
            server %s;
            server %s;
            health_check interval=200ms uri=/health match=good;
        }
        %s""" % (a.addr, b.addr, c.addr, d.addr, server(
        "location / { proxy_pass http://pool; }")))

    # d fails by its X-Backend field at once
    drover.wait_for_log(r"peer %s is down" % d.addr, timeout=3)
    assert set(served(port, 12)) == {"a", "b", "c"}

    # b: a status in the range, but "sick" in the body; c: a 500
    b.set_health(299)
    c.set_health(500)
    drover.wait_for_log(r"peer %s is down" % b.addr, timeout=3)
    drover.wait_for_log(r"peer %s is down" % c.addr, timeout=3)
    assert set(served(port, 12)) == {"a"}


def test_port_parameter(drover, backends):
    a, h = backends(2, ["a", "h"])
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s;
            health_check interval=200ms uri=/health port=%d;
        }
        %s""" % (a.addr, h.port, server(
        "location / { proxy_pass http://pool; }")))

    df.wait_for(lambda: health_requests(h) >= 2, 3, "probes on port=")
    assert health_requests(a) == 0

    h.set_health(503)
    drover.wait_for_log(r"peer 127.0.0.1:%d is down" % h.port, timeout=3)
    assert get(port, "/").status == 502
    drover.wait_for_log(r"no live upstreams")


def test_dead_peer_is_found_by_connect_failures(drover, backends):
    (a,) = backends(1, ["a"])
    dead = df.free_port()
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s;
            server 127.0.0.1:%d max_fails=0;
            health_check interval=200ms fails=1;
        }
        %s""" % (a.addr, dead, server(
        "location / { proxy_pass http://pool; }")))

    drover.wait_for_log(r"peer 127.0.0.1:%d is down .*connect" % dead,
                        timeout=3)
    # max_fails=0: passive health would keep trying it; the check does not
    for _ in range(10):
        assert get(port, "/").header("X-Backend") == "a"


def test_health_check_needs_a_zone(drover):
    rc, out, err = drover.test_config(drover.config(
        "http { upstream p { server 127.0.0.1:9; health_check; } "
        "server { listen 127.0.0.1:%d; location / { proxy_pass http://p; } }"
        " }" % drover.port()))
    assert rc != 0
    assert "health_check requires a \"zone\"" in err


def test_match_syntax_errors(drover):
    for bad, msg in (("status 700;", "invalid status"),
                     ("header X ?? y;", "invalid \"header\" operator"),
                     ("body = x;", "invalid \"body\" condition"),
                     ("colour red;", "unknown match condition")):
        rc, out, err = drover.test_config(drover.config(
            "http { match m { %s } }" % bad))
        assert rc != 0 and msg in err, (bad, err)

    rc, out, err = drover.test_config(drover.config(
        "http { upstream p { zone p 64k; server 127.0.0.1:9; "
        "health_check match=nope; } }"))
    assert rc != 0 and "no match block \"nope\"" in err


def test_slow_start_after_recovery(drover, backends):
    a, b = backends(2, ["a", "b"])
    port = start(drover, """
        upstream pool {
            zone pool 64k;
            server %s weight=10;
            server %s weight=10 slow_start=4s;
            health_check interval=100ms uri=/health;
        }
        %s""" % (a.addr, b.addr, server(
        "location / { proxy_pass http://pool; }")))

    b.set_health(500)
    drover.wait_for_log(r"peer %s is down" % b.addr, timeout=3)
    b.set_health(200)
    drover.wait_for_log(r"peer %s is up" % b.addr, timeout=3)

    # right after the recovery b weighs little: a small share
    early = served(port, 40).count("b")
    time.sleep(4.2)
    late = served(port, 40).count("b")

    assert early <= 8, early
    assert 14 <= late <= 26, late
