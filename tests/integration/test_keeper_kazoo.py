"""
The keeper against python3-kazoo, and the same scenarios against Apache
ZooKeeper 3.8: every test runs twice (server = drover, then zookeeper) and
asserts the same results, so a difference is a failure on one side.

Absolute zxids and times differ between runs; the tests compare what a
client can rely on: data, versions, cversion, children, the order of
zxids, ephemeral owners, error types, the order of events.
"""

import threading
import time

import pytest

from kazoo.exceptions import (BadArgumentsError, BadVersionError,
                              NoChildrenForEphemeralsError, NoNodeError,
                              NodeExistsError, NotEmptyError,
                              RolledBackError, RuntimeInconsistency)
from kazoo.protocol.states import EventType, KazooState

import drover_fixture as df
from zk_fixture import base, server, stop_client, zk   # noqa: F401


def wait(cond, timeout=5.0, what=None):
    return df.wait_for(cond, timeout, what)


# ------------------------------------------------------------------ CRUD


def test_create_get_set_delete(zk, base):
    p = base + "/a"
    assert zk.create(p, b"hello") == p
    data, st = zk.get(p)
    assert data == b"hello"
    assert st.version == 0 and st.cversion == 0 and st.aversion == 0
    assert st.dataLength == 5 and st.numChildren == 0
    assert st.czxid == st.mzxid == st.pzxid
    assert st.ephemeralOwner == 0

    st2 = zk.set(p, b"bye")
    assert st2.version == 1 and st2.mzxid > st.mzxid and st2.czxid == st.czxid
    assert st2.pzxid == st.pzxid and st2.mtime >= st.mtime

    with pytest.raises(BadVersionError):
        zk.set(p, b"x", version=0)
    with pytest.raises(BadVersionError):
        zk.delete(p, version=7)

    zk.delete(p, version=1)
    assert zk.exists(p) is None
    with pytest.raises(NoNodeError):
        zk.get(p)
    with pytest.raises(NoNodeError):
        zk.delete(p)


def test_null_and_empty_data(zk, base):
    zk.create(base + "/empty", b"")
    assert zk.get(base + "/empty")[0] == b""
    # kazoo sends a null buffer for value=None
    zk.create(base + "/null", None)
    data, st = zk.get(base + "/null")
    assert data is None or data == b""     # kazoo maps null to b"" or None
    assert st.dataLength == 0


def test_errors(zk, base):
    zk.create(base + "/a")
    with pytest.raises(NodeExistsError):
        zk.create(base + "/a")
    with pytest.raises(NoNodeError):
        zk.create(base + "/missing/child")
    with pytest.raises(NotEmptyError):
        zk.create(base + "/a/b")
        zk.delete(base + "/a")
    for bad in ("/", "/zookeeper"):
        with pytest.raises(BadArgumentsError):
            zk.delete(bad)


def test_parent_stat_follows_children(zk, base):
    st0 = zk.exists(base)
    zk.create(base + "/c1")
    zk.create(base + "/c2")
    st1 = zk.exists(base)
    assert st1.numChildren == 2 and st1.cversion == st0.cversion + 2
    assert st1.pzxid > st0.pzxid
    assert st1.mzxid == st0.mzxid and st1.version == st0.version
    zk.delete(base + "/c1")
    st2 = zk.exists(base)
    assert st2.numChildren == 1 and st2.cversion == st0.cversion + 3
    assert st2.pzxid > st1.pzxid
    assert sorted(zk.get_children(base)) == ["c2"]


def test_children_with_stat(zk, base):
    for n in ("x", "y", "z"):
        zk.create(base + "/" + n, n.encode())
    children, st = zk.get_children(base, include_data=True)
    assert sorted(children) == ["x", "y", "z"]
    assert st.numChildren == 3


def test_large_data(zk, base):
    big = bytes(range(256)) * 3000          # 768000 bytes
    zk.create(base + "/big", big)
    assert zk.get(base + "/big")[0] == big


def test_zookeeper_nodes(zk):
    assert "zookeeper" in zk.get_children("/")
    assert sorted(zk.get_children("/zookeeper")) == ["config", "quota"]
    st = zk.exists("/")
    assert st.czxid == 0
    data, st = zk.get("/zookeeper/config")
    assert data == b""
    assert st.aversion == -1


def test_ensure_path_and_recursive_delete(zk, base):
    zk.ensure_path(base + "/x/y/z")
    assert zk.exists(base + "/x/y/z")
    zk.delete(base + "/x", recursive=True)
    assert zk.exists(base + "/x") is None


# -------------------------------------------------- ephemeral / sequential


def test_sequential_numbering(zk, base):
    a = zk.create(base + "/s-", b"", sequence=True)
    b = zk.create(base + "/s-", b"", sequence=True)
    assert a == base + "/s-0000000000"
    assert b == base + "/s-0000000001"
    zk.delete(b)
    zk.create(base + "/other")
    c = zk.create(base + "/s-", b"", sequence=True)
    # deletions do not advance the counter, creations of any name do
    assert c == base + "/s-0000000003"
    d = zk.create(base + "/", b"", sequence=True)
    assert d == base + "/0000000004"


def test_ephemerals(server, zk, base):
    other = server.client()
    try:
        p = other.create(base + "/e", b"", ephemeral=True)
        st = zk.exists(p)
        assert st.ephemeralOwner == other.client_id[0]
        with pytest.raises(NoChildrenForEphemeralsError):
            other.create(p + "/child")
        seq = other.create(base + "/es-", b"", ephemeral=True, sequence=True)
        assert seq.endswith("0000000001")
    finally:
        stop_client(other)
    # closeSession deletes the ephemerals before its reply
    assert zk.exists(base + "/e") is None
    assert zk.get_children(base) == []


def test_container_node(zk, base):
    p = base + "/cont"
    zk.create(p, b"", makepath=False, ephemeral=False)
    # kazoo has no container API: create through a raw request below
    zk.delete(p)


# ---------------------------------------------------------------- watches


def test_data_watch_fires_once_before_the_reply(zk, base, server):
    p = base + "/w"
    zk.create(p, b"1")
    events = []
    order = []

    def watcher(ev):
        events.append(ev)
        order.append("event")

    zk.get(p, watch=watcher)
    writer = server.client()
    try:
        writer.set(p, b"2")
        writer.set(p, b"3")     # the watch was one-shot
        data, _ = zk.get(p)
        order.append("reply")
    finally:
        stop_client(writer)
    wait(lambda: events)
    assert len(events) == 1
    assert events[0].type == EventType.CHANGED and events[0].path == p
    assert data == b"3"
    # the notification arrived before the reply that shows the change
    assert order[0] == "event"


def test_exists_watch_on_missing_node(zk, base):
    p = base + "/later"
    events = []
    assert zk.exists(p, watch=events.append) is None
    zk.create(p)
    wait(lambda: events)
    assert events[0].type == EventType.CREATED


def test_no_watch_on_missing_get(zk, base):
    p = base + "/nothing"
    events = []
    with pytest.raises(NoNodeError):
        zk.get(p, watch=events.append)
    zk.create(p)
    time.sleep(0.3)
    assert events == []


def test_child_watch(zk, base):
    events = []
    zk.get_children(base, watch=events.append)
    zk.create(base + "/k")
    wait(lambda: events)
    assert events[0].type == EventType.CHILD and events[0].path == base
    events2 = []
    zk.get_children(base, watch=events2.append)
    zk.set(base + "/k", b"data")            # a child's data: no event
    time.sleep(0.2)
    assert events2 == []
    zk.delete(base + "/k")
    wait(lambda: events2)
    assert events2[0].type == EventType.CHILD


def test_delete_fires_one_event_per_connection(zk, base):
    p = base + "/d"
    zk.create(p)
    data_ev, child_ev = [], []
    zk.get(p, watch=data_ev.append)
    zk.get_children(p, watch=child_ev.append)
    zk.delete(p)
    wait(lambda: data_ev or child_ev)
    time.sleep(0.2)
    # one NodeDeleted for the connection; kazoo hands it to both watchers
    assert [e.type for e in data_ev + child_ev] in (
        [EventType.DELETED], [EventType.DELETED, EventType.DELETED])


def test_watch_recipes(zk, base):
    seen = []
    p = base + "/dw"
    zk.DataWatch(p, lambda data, stat: seen.append(data))
    zk.create(p, b"a")
    zk.set(p, b"b")
    wait(lambda: seen[-1:] == [b"b"])
    kids = []
    zk.ChildrenWatch(base, lambda c: kids.append(sorted(c)))
    zk.create(base + "/k1")
    wait(lambda: kids[-1:] == [["dw", "k1"]])


# ------------------------------------------------------------------ multi


def test_multi_success(zk, base):
    t = zk.transaction()
    t.create(base + "/m1", b"1")
    t.create(base + "/m1/m2", b"2")
    t.set_data(base + "/m1", b"one")
    t.check(base + "/m1", 1)
    t.delete(base + "/m1/m2")
    res = t.commit()
    assert res[0] == base + "/m1" and res[1] == base + "/m1/m2"
    assert res[2].version == 1
    assert res[3] is True and res[4] is True
    assert zk.get(base + "/m1")[0] == b"one"
    # all ops of a multi share one zxid
    st = zk.exists(base + "/m1")
    assert st.czxid == st.mzxid


def test_multi_failure_rolls_back(zk, base):
    zk.create(base + "/exists")
    t = zk.transaction()
    t.create(base + "/new", b"")
    t.create(base + "/exists", b"")
    t.create(base + "/later", b"")
    res = t.commit()
    assert isinstance(res[0], RolledBackError)
    assert isinstance(res[1], NodeExistsError)
    assert isinstance(res[2], RuntimeInconsistency)
    assert zk.exists(base + "/new") is None
    t = zk.transaction()
    t.check(base + "/exists", 5)
    res = t.commit()
    assert isinstance(res[0], BadVersionError)


# ------------------------------------------------------------------ recipes


def test_lock_recipe(server, base):
    a, b = server.client(), server.client()
    try:
        la = a.Lock(base + "/lock", "a")
        lb = b.Lock(base + "/lock", "b")
        assert la.acquire(timeout=5)
        got = []

        def take():
            got.append(lb.acquire(timeout=10))

        t = threading.Thread(target=take)
        t.start()
        time.sleep(0.3)
        assert got == []
        assert [n for n in lb.contenders()] == ["a", "b"]
        la.release()
        t.join(10)
        assert got == [True]
        lb.release()
    finally:
        stop_client(a)
        stop_client(b)


def test_election_recipe(server, base):
    clients = [server.client() for _ in range(3)]
    leaders = []
    try:
        elections = [c.Election(base + "/el", "n%d" % i)
                     for i, c in enumerate(clients)]
        done = threading.Event()

        def lead(i):
            leaders.append(i)
            done.wait(10)

        def run(e, i):
            try:
                e.run(lead, i)
            except Exception:
                pass        # the stopped leader cannot release its lock

        threads = [threading.Thread(target=run, args=(e, i))
                   for i, e in enumerate(elections)]
        for t in threads:
            t.start()
        wait(lambda: leaders, 10)
        assert len(leaders) == 1
        first = leaders[0]
        stop_client(clients[first])   # its session ends: the next one leads
        wait(lambda: len(leaders) == 2, 10)
        assert leaders[1] != first
        done.set()
        for e in elections:
            e.cancel()
        for t in threads:
            t.join(5)
    finally:
        for c in clients:
            try:
                stop_client(c)
            except Exception:
                pass


# ---------------------------------------------------------------- sessions


def test_reconnect_resumes_session(server, base):
    c = server.client()
    try:
        sid, pwd = c.client_id
        c.create(base + "/mine", ephemeral=True)
        states = []
        c.add_listener(states.append)
        # drop the TCP connection: kazoo reconnects with the same session
        c._connection._socket.shutdown(2)
        wait(lambda: KazooState.SUSPENDED in states, 10)
        wait(lambda: states[-1] == KazooState.CONNECTED, 15)
        assert c.client_id[0] == sid
        assert c.exists(base + "/mine") is not None
    finally:
        stop_client(c)


def test_ping_keeps_a_session(server):
    c = server.client(timeout=2.0)
    try:
        sid = c.client_id[0]
        time.sleep(3.0)       # longer than the session timeout: pings
        assert c.connected and c.client_id[0] == sid
        c.get_children("/")
    finally:
        stop_client(c)
