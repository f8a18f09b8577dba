"""
Dynamic overrides: a YAML document in /drover/upstreams/<upstream> (per
instance, by znode name or host:port: weight, down, drain) is watched and
applied live -- ZooKeeper's configuration maintenance by publish/subscribe.
The observed distribution of requests follows it. Against the keeper, then
ZooKeeper.
"""

import pytest

import drover_fixture as df
from discovery_util import disco, registry, zookeeper_server   # noqa: F401

pytestmark = pytest.mark.drover_only

OVERRIDES = "/drover/upstreams/app"


def share(seen, port):
    return seen[port] / float(sum(seen.values()))


def test_overrides_change_weights_live(disco):
    disco.start()
    b1, b2 = disco.backend(), disco.backend()
    disco.register("b1", b1.addr)
    disco.register("b2", b2.addr)
    disco.wait_routable({b1.port, b2.port})

    seen = disco.ports(60)
    assert 0.3 < share(seen, b1.port) < 0.7, seen

    zk = disco.client()
    if zk.exists(OVERRIDES):
        zk.delete(OVERRIDES)

    # weight 5 for b1, by znode name
    mark = disco.d.log_mark()
    zk.create(OVERRIDES, b"b1: {weight: 5}\n", makepath=True)
    disco.d.wait_for_log(r'peer changed %s \(znode b1\), weight 5'
                         % b1.addr, since=mark)
    seen = disco.ports(120)
    assert share(seen, b1.port) > 0.75, seen
    assert seen[b2.port] > 0, seen

    # drain b2, by address: no new requests for it
    mark = disco.d.log_mark()
    zk.set(OVERRIDES, ("b1: {weight: 5}\n%s: {drain: true}\n"
                       % b2.addr).encode())
    disco.d.wait_for_log(r'peer changed %s \(znode b2\), drained' % b2.addr,
                         since=mark)
    assert disco.ports(40) == {b1.port: 40}

    # JSON works too; down b1, b2 back
    mark = disco.d.log_mark()
    zk.set(OVERRIDES, b'{"b1": {"down": true}}')
    disco.d.wait_for_log(r'peer changed %s \(znode b2\).*back from drain'
                         % b2.addr, since=mark)
    disco.wait_routable({b2.port})

    # a malformed document is ignored: the last good one stays
    mark = disco.d.log_mark()
    zk.set(OVERRIDES, b"b1: {wieght: 1}")
    disco.d.wait_for_log(r'overrides in %s ignored' % OVERRIDES, since=mark)
    assert disco.ports(20) == {b2.port: 20}

    # gone: back to even
    zk.delete(OVERRIDES)
    disco.wait_routable({b1.port, b2.port})
    seen = disco.ports(60)
    assert 0.3 < share(seen, b1.port) < 0.7, seen


def test_overrides_written_before_start_and_off(disco):
    zk = None
    if not disco.registry.is_keeper:
        zk = disco.client()
        zk.ensure_path("/drover/elsewhere")
        if zk.exists("/drover/elsewhere/app"):
            zk.delete("/drover/elsewhere/app")

    disco.start(discover="overrides=/drover/elsewhere/app")
    zk = disco.client()
    b1, b2 = disco.backend(), disco.backend()
    zk.ensure_path("/drover/elsewhere")
    zk.create("/drover/elsewhere/app", b"b2: {down: yes}")
    disco.register("b1", b1.addr)
    disco.register("b2", b2.addr)
    disco.wait_routable({b1.port})

    # the default path means nothing to this upstream
    zk.ensure_path("/drover/upstreams")
    if zk.exists(OVERRIDES):
        zk.delete(OVERRIDES)
    zk.create(OVERRIDES, b"b1: {down: yes}")
    df.stays(lambda: set(disco.ports(5)) == {b1.port}, 0.5)
    zk.delete(OVERRIDES)
