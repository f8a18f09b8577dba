"""
Service discovery under failure: a backend process that registered itself
is killed with SIGKILL under continuous load. With drover's keeper its
instance leaves the rotation at once (the keeper sees the registering
session's connection drop); with ZooKeeper at the session's expiry. In
both cases no client request fails: the proxy's retries (proxy_next_upstream
error) cover the gap. The keeper's fast path is also checked on its own: a
session whose connection drops is drained, and back when it resumes.
"""

import signal
import socket
import time

import pytest

import drover_fixture as df
from discovery_util import (Load, disco, registry,          # noqa: F401
                            zookeeper_server)

pytestmark = pytest.mark.drover_only

SESSION = 4.0       # the backends' kazoo session timeout, seconds


# Known issue, open: about one run in four, one request more reaches the
# killed backend after its drain is logged (a request already in flight, or
# a late drain: not yet told apart). Non-strict so the fix shows as XPASS.
@pytest.mark.xfail(strict=False, reason="intermittent: one request after "
                   "the drain point (open, issue 6)")
def test_sigkill_under_load(disco):
    disco.start()
    b1 = disco.proc_backend("b1", timeout=SESSION)
    b2 = disco.proc_backend("b2", timeout=SESSION)
    b3 = disco.proc_backend("b3", timeout=SESSION)
    disco.wait_routable({b1.port, b2.port, b3.port})

    load = Load(disco, threads=4)
    try:
        time.sleep(0.5)
        mark = disco.d.log_mark()
        t0 = time.monotonic()
        b2.kill(signal.SIGKILL)

        if disco.registry.is_keeper:
            # the registering connection dropped: drained within ms
            disco.d.wait_for_log(r'peer changed %s \(znode b2\), drained'
                                 % b2.addr, since=mark, timeout=2)
            took = time.monotonic() - t0
            assert took < 1.0, took
            what = "drained"
        else:
            # ZooKeeper deletes the ephemeral when the session expires
            disco.d.wait_for_log(r'peer removed %s \(znode b2\)' % b2.addr,
                                 since=mark, timeout=SESSION * 3)
            took = time.monotonic() - t0
            assert took >= SESSION * 0.5, took
            what = "removed"

        print("\n[%s] SIGKILL -> %s in %.1f ms"
              % (disco.registry.kind, what, took * 1000))

        # no more traffic for it from now on
        before = load.snapshot()
        time.sleep(1.0)
        after = load.snapshot()
    finally:
        load.stop()

    assert load.failures == [], load.failures[:5]
    assert load.requests > 100
    assert after[b2.port] == before[b2.port]
    assert after[b1.port] > before[b1.port]
    assert after[b3.port] > before[b3.port]


@pytest.mark.parametrize("registry", ["keeper"], indirect=True)
def test_keeper_drains_a_dropped_session_and_resumes_it(disco):
    """The keeper's virtual znode: an instance whose session loses its TCP
    connection is drained at once, and routable again when the session
    resumes on a new connection (ZooKeeper would keep routing to it until
    expiry, and say nothing)."""
    disco.start(discover="slow_start=2s")
    b1, b2 = disco.backend(), disco.backend()

    holder = disco.new_client(timeout=10.0)
    disco.register("b1", b1.addr, client=holder)
    disco.register("b2", b2.addr)
    disco.wait_routable({b1.port, b2.port})

    # the virtual node lists the session while its connection is down
    zk = disco.client()
    data, st = zk.get("/zookeeper/drover/disconnected")
    assert data == b""

    mark = disco.d.log_mark()
    sid = holder.client_id[0]
    holder._connection._socket.shutdown(socket.SHUT_RDWR)

    disco.d.wait_for_log(r'peer changed %s \(znode b1\), drained' % b1.addr,
                         since=mark, timeout=2)

    # kazoo reconnects within its retry policy and resumes the session
    disco.d.wait_for_log(r'peer changed %s \(znode b1\), back from drain'
                         % b1.addr, since=mark, timeout=10)
    assert holder.client_id[0] == sid
    disco.wait_routable({b1.port, b2.port}, timeout=5)


@pytest.mark.parametrize("registry", ["zookeeper"], indirect=True)
def test_zookeeper_has_no_virtual_node(disco):
    """Against ZooKeeper the agent finds no /zookeeper/drover node and goes
    on with sessions as ZooKeeper sees them."""
    disco.start()
    zk = disco.client()
    assert zk.exists("/zookeeper/drover/disconnected") is None
    assert not disco.d.grep_log("is drover's keeper")
