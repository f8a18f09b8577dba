"""
Service discovery when the registry itself misbehaves: restarted under
load (drover's keeper killed and respawned by the master; ZooKeeper
stopped and started again), unreachable for a while (frozen with SIGSTOP),
or saying that every instance is gone at once (the empty guard). In each
case the pool keeps its last known membership and no client request
fails. Each test runs against the keeper, then ZooKeeper.
"""

import os
import signal
import time

import pytest

import drover_fixture as df
from discovery_util import (Load, disco, registry,          # noqa: F401
                            zookeeper_server)

pytestmark = pytest.mark.drover_only


def registry_pid(disco):
    if disco.registry.is_keeper:
        return disco.keeper_pid()
    return disco.registry.zookeeper.proc.pid


def test_registry_restarted_under_load(disco):
    disco.start()
    b1 = disco.proc_backend("b1", timeout=10.0)
    b2 = disco.proc_backend("b2", timeout=10.0)
    disco.wait_routable({b1.port, b2.port})

    mark = disco.d.log_mark()
    load = Load(disco, threads=3)
    try:
        time.sleep(0.3)

        if disco.registry.is_keeper:
            old = disco.keeper_pid()
            disco.d.expect_log(r"keeper process %d exited on signal 9" % old)
            os.kill(old, signal.SIGKILL)
            df.wait_for(lambda: disco.keeper_pid() not in (None, old), 10,
                        "a new keeper process")
        else:
            zk = disco.registry.zookeeper
            zk.stop()
            time.sleep(0.5)
            zk.start()

        # the agent finds its way back to the registry
        disco.d.wait_for_log(r"ZooKeeper \S+ is reachable again", since=mark,
                             timeout=20)
        time.sleep(1.0)
        seen = load.snapshot()
        time.sleep(1.0)
        after = load.snapshot()
    finally:
        load.stop()

    assert load.failures == [], load.failures[:5]
    assert not disco.d.grep_log(r"peer removed", since=mark)
    assert after[b1.port] > seen[b1.port] and after[b2.port] > seen[b2.port]
    disco.wait_routable({b1.port, b2.port})


def test_registry_unreachable_keeps_membership(disco):
    disco.start(discover="session_timeout=2s")
    b1 = disco.proc_backend("b1", timeout=10.0)
    b2 = disco.proc_backend("b2", timeout=10.0)
    disco.wait_routable({b1.port, b2.port})

    pid = registry_pid(disco)
    mark = disco.d.log_mark()
    load = Load(disco, threads=2)
    try:
        os.kill(pid, signal.SIGSTOP)
        try:
            disco.d.wait_for_log(r"ZooKeeper \S+ is unreachable, keeping the "
                                 r"last membership", since=mark, timeout=10)
            before = load.snapshot()
            time.sleep(0.5)
            during = load.snapshot()
        finally:
            os.kill(pid, signal.SIGCONT)

        disco.d.wait_for_log(r"ZooKeeper \S+ is reachable again", since=mark,
                             timeout=20)
        time.sleep(0.5)
    finally:
        load.stop()

    assert load.failures == [], load.failures[:5]
    assert during[b1.port] > before[b1.port]
    assert during[b2.port] > before[b2.port]
    # (the keeper may have seen the backends' own connections time out
    # meanwhile: drained, then back, and the empty guard covered that)
    assert not disco.d.grep_log(r"peer removed", since=mark)
    disco.wait_routable({b1.port, b2.port}, timeout=15)


def test_empty_guard_holds_a_mass_removal(disco):
    disco.start(discover="empty_guard=2s")
    b1, b2 = disco.backend(), disco.backend()
    disco.register("b1", b1.addr)
    disco.register("b2", b2.addr)
    disco.wait_routable({b1.port, b2.port})

    # every instance gone in one change: held, unless it persists

    mark = disco.d.log_mark()
    zk = disco.client()
    tx = zk.transaction()
    tx.delete(disco.path + "/b1")
    tx.delete(disco.path + "/b2")
    tx.commit()

    disco.d.wait_for_log(r"discovery would leave no usable peer of 2, "
                         r"keeping them for 2000 ms \(empty_guard\)",
                         since=mark)
    assert set(disco.ports(20)) == {b1.port, b2.port}

    # back within the guard: nothing was ever applied
    disco.register("b1", b1.addr)
    disco.d.wait_for_log(r"discovered peers are back within empty_guard",
                         since=mark)
    disco.wait_routable({b1.port})
    assert not disco.d.grep_log(r"applying it \(empty_guard\)", since=mark)

    # gone for longer than the guard: applied
    mark = disco.d.log_mark()
    disco.unregister("b1")
    t0 = time.monotonic()
    disco.d.wait_for_log(r"no usable discovered peer for 2000 ms, applying "
                         r"it \(empty_guard\)", since=mark, timeout=6)
    assert time.monotonic() - t0 >= 1.5
    df.wait_for(lambda: disco.get()[0] == 502, 3, "no peer left: 502")


def test_empty_guard_off(disco):
    disco.start(discover="empty_guard=off")
    b1 = disco.backend()
    disco.register("b1", b1.addr)
    disco.wait_routable({b1.port})

    disco.unregister("b1")
    df.wait_for(lambda: disco.get()[0] == 502, 2, "no peer left: 502")
    assert not disco.d.grep_log(r"\(empty_guard\)")


def test_path_created_later_and_deleted(disco):
    disco.start()
    b1 = disco.backend()
    disco.d.wait_for_log(r"znode %s does not exist \(yet\)" % disco.path)

    disco.register("b1", b1.addr)           # makepath: the parent appears
    disco.wait_routable({b1.port})

    # the whole path deleted: the guard holds, then applies it
    mark = disco.d.log_mark()
    disco.client().delete(disco.path, recursive=True)
    disco.d.wait_for_log(r"znode %s does not exist \(yet\)" % disco.path,
                         since=mark)
    disco.d.wait_for_log(r"keeping them for", since=mark)
