"""
Containers and TTL nodes (extended types on), against the keeper and
ZooKeeper 3.8 with a one-second reaper: a container is deleted once it had
a child and is empty again, never before; a TTL node without children goes
after its ttl; both show ephemeralOwner 0 to clients.
"""

import struct
import time

import pytest

import drover_fixture as df
import zk_fixture as zf

WORLD = struct.pack(">ii", 1, 31) + zf.ustring("world") + zf.ustring("anyone")


@pytest.fixture(scope="module", params=["drover", "zookeeper"])
def server(request):
    srv = zf.make_server(request.param, tick_time=500, extended_types=True,
                         reap_ms=500)
    yield srv
    zf.finish_server(srv)


def create(c, xid, path, flags=0, op=1, ttl=None):
    body = (zf.ustring(path) + zf.ustring(b"") + WORLD
            + struct.pack(">i", flags))
    if ttl is not None:
        body += struct.pack(">q", ttl)
    c.request(xid, op, body)
    return c.reply()


def exists(c, xid, path):
    c.request(xid, 3, zf.ustring(path) + b"\0")
    xid, zxid, err, body = c.reply()
    if err:
        return None
    return struct.unpack(">qqqqiiiqiiq", body)


def test_container_reaped_after_its_last_child(server):
    c = server.raw()
    c.handshake()
    assert create(c, 1, "/cont", op=19)[2] == 0        # createContainer
    assert create(c, 2, "/cont2", flags=4)[2] == 0     # create, mode 4
    st = exists(c, 3, "/cont")
    assert st[7] == 0                                  # ephemeralOwner
    time.sleep(1.5)
    # never had a child: kept
    assert exists(c, 4, "/cont") is not None
    assert create(c, 5, "/cont/child")[2] == 0
    c.request(6, 2, zf.ustring("/cont/child") + struct.pack(">i", -1))
    assert c.reply()[2] == 0
    df.wait_for(lambda: exists(c, 7, "/cont") is None, 10,
                "the empty container reaped")
    assert exists(c, 8, "/cont2") is not None
    c.request(9, 2, zf.ustring("/cont2") + struct.pack(">i", -1))
    c.reply()


def test_ttl_node_expires(server):
    c = server.raw()
    c.handshake()
    _, zxid, err, body = create(c, 1, "/ttl", flags=5, op=21, ttl=300)
    assert err == 0
    st = exists(c, 2, "/ttl")
    assert st[7] == 0
    assert create(c, 3, "/ttl-seq-", flags=6, op=21, ttl=300)[2] == 0
    assert create(c, 4, "/ttl-bad", flags=5, op=21, ttl=0)[2] == -8
    assert create(c, 5, "/ttl-bad", flags=0, op=21, ttl=300)[2] == -8
    df.wait_for(lambda: exists(c, 6, "/ttl") is None, 10, "the TTL node gone")

    def seq_gone():
        c.request(7, 8, zf.ustring("/") + b"\0")
        return b"ttl-seq-" not in c.reply()[3]

    df.wait_for(seq_gone, 10, "the sequential TTL node gone")
