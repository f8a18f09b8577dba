"""
The keeper's virtual znode /zookeeper/drover/disconnected (src/keeper/
dr_keeper_virtual.c), seen by any client: it lists the live sessions that
lost their TCP connection, fires its data watches when that changes, is
read-only and invisible to listings; ZooKeeper has no such node.
"""

import socket
import threading

import pytest
from kazoo.exceptions import NoNodeError

import drover_fixture as df
from zk_fixture import keeper, server, stop_client, zookeeper   # noqa: F401

VNODE = "/zookeeper/drover/disconnected"

pytestmark = pytest.mark.drover_only


def sessions(data):
    return {int(line, 16) for line in data.decode().split()}


def test_lists_dropped_sessions_until_they_resume_or_end(keeper):
    watcher = keeper.client()
    holder = keeper.client(timeout=10.0)
    try:
        data, st = watcher.get(VNODE)
        assert data == b"" and st.ephemeralOwner == 0
        assert st.numChildren == 0

        fired = threading.Event()
        watcher.get(VNODE, watch=lambda ev: fired.set())

        sid = holder.client_id[0]
        holder.create("/vnode-eph", b"x", ephemeral=True)
        holder._connection._socket.shutdown(socket.SHUT_RDWR)

        assert fired.wait(df.scaled(3)), "the data watch did not fire"

        def listed():
            data, st2 = watcher.get(VNODE)
            return sid in sessions(data) and st2.version > st.version
        df.wait_for(listed, 3, "session 0x%x listed" % sid)

        # kazoo reconnects and resumes: the session leaves the list
        df.wait_for(lambda: sid not in sessions(watcher.get(VNODE)[0]), 10,
                    "session 0x%x gone from the list" % sid)
        assert holder.client_id[0] == sid
        assert watcher.exists("/vnode-eph").ephemeralOwner == sid

        # a session that closes is not listed (it is gone, not dropped)
        holder.stop()
        df.stays(lambda: sid not in sessions(watcher.get(VNODE)[0]), 0.3)
    finally:
        stop_client(holder)
        stop_client(watcher)


def test_read_only_and_not_listed(keeper):
    zk = keeper.client()
    try:
        assert "drover" not in zk.get_children("/zookeeper")
        assert zk.get_children(VNODE) == []
        assert zk.exists(VNODE) is not None
        with pytest.raises(NoNodeError):
            zk.set(VNODE, b"0x1\n")
        with pytest.raises(NoNodeError):
            zk.delete(VNODE)
        with pytest.raises(NoNodeError):
            zk.create(VNODE + "/x")
        assert zk.get(VNODE)[0] == b""
    finally:
        stop_client(zk)


def test_zookeeper_has_none(zookeeper):
    zk = zookeeper.client()
    try:
        assert zk.exists(VNODE) is None
        with pytest.raises(NoNodeError):
            zk.get(VNODE)
    finally:
        stop_client(zk)
