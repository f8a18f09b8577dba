"""
Service discovery across reloads: the discovered membership lives in the
upstream's zone, so a reload neither forgets it nor resets its peers'
state; a reload that changes nothing the agent runs from (the upstream's
zone, servers, balancer and discover lines) keeps the agent itself, with
its ZooKeeper session and watches; one that does change them starts a new
agent, which takes over without a gap. No client request fails meanwhile.
Against the keeper, then ZooKeeper.
"""

import time

import pytest

import drover_fixture as df
from discovery_util import (Load, disco, registry,          # noqa: F401
                            zookeeper_server)

pytestmark = pytest.mark.drover_only


def test_reload_keeps_agent_membership_and_state(disco):
    disco.start()
    b1, b2, b3 = disco.backend(), disco.backend(), disco.backend()
    for name, b in (("b1", b1), ("b2", b2), ("b3", b3)):
        disco.register(name, b.addr)
    disco.wait_routable({b1.port, b2.port, b3.port})

    # peer state that is not in any znode: b3 drained by an override
    zk = disco.client()
    zk.ensure_path("/drover/upstreams")
    if zk.exists("/drover/upstreams/app"):
        zk.delete("/drover/upstreams/app")
    zk.create("/drover/upstreams/app", b"b3: {drain: true}")
    disco.wait_routable({b1.port, b2.port})

    agent = disco.agent_pid()
    assert agent

    load = Load(disco, threads=3)
    try:
        # 1. a reload that the agent does not care about
        mark = disco.reload(http="    # a comment, a new generation\n")
        disco.d.wait_for_log(r"start worker process", since=mark)
        time.sleep(0.5)
        assert disco.agent_pid() == agent
        assert not disco.d.grep_log(r"session \S+ established|peer removed",
                                    since=mark)

        # 2. a reload that changes the discover line: a new agent
        mark = disco.reload(discover="weight=2")
        df.wait_for(lambda: disco.agent_pid() not in (None, agent), 10,
                    "a new agent process")
        disco.d.wait_for_log(r"peer changed %s \(znode b1\), weight 2"
                             % b1.addr, since=mark, timeout=10)
        time.sleep(0.5)
    finally:
        load.stop()

    assert load.failures == [], load.failures[:5]
    assert not disco.d.grep_log(r"peer removed", since=0)
    # the drained peer stayed drained through both reloads
    assert load.seen[b3.port] == 0, load.seen
    assert load.seen[b1.port] and load.seen[b2.port]
    disco.wait_routable({b1.port, b2.port})
