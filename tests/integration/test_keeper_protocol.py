"""
The keeper's wire protocol with raw sockets, against the keeper and Apache
ZooKeeper 3.8 alike (server = drover, zookeeper): the handshake and its
rejections, framing limits, malformed and unknown requests, pipelining,
session expiry of a frozen connection and resumption, watch notifications
and their order (persistent, recursive, SetWatches catch-up), the
opcodes kazoo never sends (checkWatches, removeWatches, addWatch,
multiRead, getEphemerals, getAllChildrenNumber, whoAmI, sasl, reconfig),
create flags and ACL validation, and the zxids failed writes consume.

The expected values were read from ZooKeeper 3.8.0; each test asserts
them for both servers.
"""

import struct
import time

import pytest

import drover_fixture as df
import zk_fixture as zf
from zk_fixture import server   # noqa: F401

WORLD = struct.pack(">ii", 1, 31) + zf.ustring("world") + zf.ustring("anyone")
END = struct.pack(">i?i", -1, True, -1)


def create(c, xid, path, data=b"", flags=0, acl=WORLD):
    c.request(xid, 1, zf.ustring(path) + zf.ustring(data) + acl
              + struct.pack(">i", flags))
    return c.reply()


def delete(c, xid, path, version=-1):
    c.request(xid, 2, zf.ustring(path) + struct.pack(">i", version))
    return c.reply()


def set_data(c, xid, path, data, version=-1):
    c.request(xid, 5, zf.ustring(path) + zf.ustring(data)
              + struct.pack(">i", version))
    return c.reply()


def vec(*items):
    return struct.pack(">i", len(items)) + b"".join(zf.ustring(x)
                                                   for x in items)


def until_reply(c, xid):
    """Notifications (type, path) then ("reply", xid, err) of <xid>."""
    out = []
    while True:
        rxid, zxid, err, body = c.reply()
        if rxid == -1:
            assert zxid == -1 and err == 0
            etype, state = struct.unpack(">ii", body[:8])
            assert state == 3
            out.append((etype, body[12:].decode()))
            continue
        out.append(("reply", rxid, err))
        if rxid == xid:
            return out


def session(server, timeout=10000):
    c = server.raw()
    c.handshake(timeout=timeout)
    return c


# ------------------------------------------------------------- handshake


def test_connect_response_with_and_without_readonly_byte(server):
    for ro, size in ((True, 37), (False, 37), (None, 36)):
        c = server.raw()
        to, sid, pw, rsp = c.handshake(read_only=ro)
        assert len(rsp) == size
        assert to == 10000 and sid != 0 and len(pw) == 16
        assert sid != -0x8000000000000000 and (sid >> 56) & 0xff != 0xff
        c.close()


def test_negotiated_timeout_is_clamped(server):
    for asked, got in ((1, 1000), (4000, 4000), (60000, 10000)):
        c = server.raw()
        assert c.handshake(timeout=asked)[0] == got
        c.close()


def test_client_ahead_of_the_server_is_refused(server):
    c = server.raw()
    c.send(zf.connect_request(last_zxid=1 << 40))
    assert c.closed()


def test_unknown_session_is_expired(server):
    c = server.raw()
    to, sid, pw, rsp = c.handshake(session_id=0x1234, passwd=b"x" * 16)
    assert (to, sid, pw) == (0, 0, b"\0" * 16)
    assert len(rsp) == 37
    assert c.closed()


def test_resume_moves_the_session_and_checks_the_password(server):
    a = server.raw()
    to, sid, pw, _ = a.handshake(timeout=4000)
    b = server.raw()
    to2, sid2, pw2, _ = b.handshake(timeout=6000, session_id=sid, passwd=pw)
    assert (to2, sid2, pw2) == (6000, sid, pw)
    assert a.closed()            # the old connection of the session
    c = server.raw()
    assert c.handshake(session_id=sid, passwd=b"\1" * 16)[:2] == (0, 0)
    assert c.closed()
    assert b.closed()            # 3.8 drops it even on a bad password


def test_pipelined_requests_behind_the_connect_request(server):
    c = server.raw()
    c.send(zf.connect_request()
           + zf.frame(struct.pack(">ii", -4, 100) + struct.pack(">i", 0)
                      + zf.ustring("digest") + zf.ustring(b"a:b"))
           + zf.frame(struct.pack(">ii", 1, 3) + zf.ustring("/") + b"\0"))
    assert len(c.recv_frame()) == 37
    assert c.reply()[:3] == (-4, 0, 0)
    xid, zxid, err, body = c.reply()
    assert (xid, err, len(body)) == (1, 0, 68)


def test_ping(server):
    c = session(server)
    c.request(-2, 11)
    xid, zxid, err, body = c.reply()
    assert (xid, err, body) == (-2, 0, b"")
    c.request(77, 11)                # any xid: the answer says -2
    assert c.reply()[0] == -2


# --------------------------------------------------------- malformed input


def test_frame_over_max_frame_closes_the_connection(server):
    c = session(server)
    c.send(struct.pack(">i", 0x100000))
    assert c.closed()
    # the server is fine
    assert session(server)


def test_largest_frame_is_accepted(server):
    c = session(server)
    body = (zf.ustring("/nothere")
            + zf.ustring(b"a" * (0xFFFFF - 8 - 12 - 4 - 4))
            + struct.pack(">i", -1))
    assert len(body) + 8 == 0xFFFFF
    c.request(1, 5, body)
    assert c.reply()[:3:2] == (1, -101)


def test_truncated_header_closes(server):
    c = session(server)
    c.send(zf.frame(b"\0\0\0"))
    assert c.closed()


def test_garbage_body_is_a_marshalling_error(server):
    c = session(server)
    c.request(5, 4, b"\xff\xff")
    assert c.reply()[:3:2] == (5, -5)
    c.request(6, 1, b"\xff\xff")
    xid, zxid6, err, body = c.reply()
    assert (xid, err) == (6, -5)
    # the connection goes on
    c.request(7, 3, zf.ustring("/") + b"\0")
    assert c.reply()[2] == 0


def test_garbage_before_the_handshake(server):
    c = server.raw()
    c.send(b"\0\0\0\x05hello")
    assert c.closed()


def test_unknown_opcode_reply(server):
    c = session(server)
    c.request(5, 999)
    xid, zxid, err, body = c.reply()
    assert (xid, err, body) == (5, -6, b"")
    assert c.closed()


def test_refused_opcodes(server):
    c = session(server)
    c.request(7, 20, b"/zookeeper")          # deleteContainer
    assert c.reply()[2] == -8
    c.request(8, 16, zf.ustring(None) * 3 + struct.pack(">q", -1))
    assert c.reply()[2] == -123              # reconfig disabled
    c.request(9, 102, zf.ustring(b"token"))  # sasl: no SASL server
    assert c.reply() == (9, 0, 0, b"\xff\xff\xff\xff")
    assert not c.closed(0.5)


# ------------------------------------------------------------ zxids


def test_failed_writes_consume_zxids(server):
    c = session(server)
    zxids = []
    for xid in range(3):
        _, zxid, err, _ = create(c, xid, "/zookeeper")
        assert err == -110
        zxids.append(zxid)
    c.request(3, 14, END)                     # an empty multi
    _, zxid, err, body = c.reply()
    assert err == 0 and body == END
    zxids.append(zxid)
    c.request(4, 3, zf.ustring("/") + b"\0")  # a read: the last zxid
    zxids.append(c.reply()[1])
    base = zxids[0]
    assert [z - base for z in zxids] == [0, 1, 2, 3, 3]


# ------------------------------------------------------- create rules


def test_create_flags_paths_and_acls(server):
    c = session(server)
    results = []

    def acl1(scheme, ident, perms=31):
        return (struct.pack(">ii", 1, perms) + zf.ustring(scheme)
                + zf.ustring(ident))

    for xid, (path, flags, acl) in enumerate([
            ("/f7", 7, WORLD),                  # no such mode
            ("/f5", 5, WORLD),                  # TTL: extended types off
            ("/fm", -1, WORLD),
            ("/zz", 0, struct.pack(">i", 0)),   # empty ACL
            ("/zz/", 0, WORLD),                 # parent missing first
            ("/zz/", 2, WORLD),
            ("/a//b", 0, WORLD),
            ("/zookeeper/x", 0, WORLD),         # allowed
            ("/inv", 0, acl1("foo", "bar")),
            ("/inv", 0, acl1("auth", "")),      # no authenticated id
            ("/inv", 0, acl1("digest", "a:")),
            ("/inv", 0, acl1("ip", "1.2.3.4/33")),
            ("/inv", 0, acl1("world", "bob")),
            ("/inv", 0, acl1("world", "anyone", 0))]):
        results.append(create(c, xid, path, flags=flags, acl=acl)[2])
    c.request(20, 2, zf.ustring("/zookeeper/x") + struct.pack(">i", -1))
    results.append(c.reply()[2])
    c.request(21, 5, zf.ustring("/zookeeper/config") + zf.ustring(b"x")
              + struct.pack(">i", -1))
    results.append(c.reply()[2])
    c.request(22, 21, zf.ustring("/ttl") + zf.ustring(b"") + WORLD
              + struct.pack(">iq", 5, 1000))
    results.append(c.reply()[2])
    delete(c, 23, "/inv")
    assert results == [-8, -6, -8, -114, -101, -101, -101, 0, -114, -114,
                       -114, -114, -114, 0, 0, -102, -6]


def test_exists_checks_only_for_nul(server):
    c = session(server)
    c.request(1, 3, zf.ustring("relative") + b"\1")
    assert c.reply()[2] == -101
    c.request(2, 3, zf.ustring("/a\0b") + b"\0")
    assert c.reply()[2] == -8


# ------------------------------------------------------------- watches


def test_persistent_and_recursive_watches(server):
    a, b = session(server), session(server)
    create(b, 1, "/p")
    a.request(2, 106, zf.ustring("/p") + struct.pack(">i", 0))
    assert a.reply()[2:] == (0, b"\0\0\0\0")
    a.request(3, 106, zf.ustring("/") + struct.pack(">i", 1))
    xid, zxid, err, body = a.reply()
    assert (err, body) == (0, b"\0\0\0\0")
    create(b, 2, "/p/c")
    set_data(b, 3, "/p", b"x")
    delete(b, 4, "/p/c")
    delete(b, 5, "/p")
    a.request(9, 9, zf.ustring("/"))
    assert until_reply(a, 9)[-7:] == [
        (1, "/p/c"), (4, "/p"), (3, "/p"), (2, "/p/c"), (4, "/p"),
        (2, "/p"), ("reply", 9, 0)]
    a.request(10, 18, zf.ustring("/") + struct.pack(">i", 3))
    assert a.reply()[2] == 0


def test_set_watches_catches_up(server):
    a, b = session(server), session(server)
    z0 = create(b, 1, "/sw")[1]
    create(b, 2, "/sw2")
    set_data(b, 3, "/sw", b"x")
    create(b, 4, "/sw/c")
    body = (struct.pack(">q", z0) + vec("/sw", "/sw2", "/gone")
            + vec("/sw2", "/nothere") + vec("/sw", "/sw2", "/gone"))
    a.request(-8, 101, body)
    got = until_reply(a, -8)
    assert got == [(3, "/sw"), (3, "/sw2"), (2, "/gone"), (1, "/sw2"),
                   (4, "/sw"), (4, "/sw2"), (2, "/gone"), ("reply", -8, 0)]
    set_data(b, 5, "/sw2", b"y")            # nothing armed there
    create(b, 6, "/nothere")                 # armed: NodeCreated
    a.request(9, 9, zf.ustring("/"))
    assert until_reply(a, 9) == [(1, "/nothere"), ("reply", 9, 0)]
    for p in ("/sw/c", "/sw", "/sw2", "/nothere"):
        delete(b, 10, p)


def test_notification_before_the_reply_of_the_writer(server):
    a = session(server)
    create(a, 1, "/own")
    a.request(2, 4, zf.ustring("/own") + b"\1")
    a.reply()
    a.request(3, 5, zf.ustring("/own") + zf.ustring(b"new")
              + struct.pack(">i", -1))
    assert until_reply(a, 3) == [(3, "/own"), ("reply", 3, 0)]
    delete(a, 4, "/own")


def test_check_and_remove_watches(server):
    c = session(server)
    out = []
    for t in (1, 2, 3, 4):
        c.request(1, 17, zf.ustring("/") + struct.pack(">i", t))
        out.append(c.reply()[2])
    c.request(2, 3, zf.ustring("/") + b"\1")
    c.reply()
    for t in (1, 3, 2):
        c.request(3, 17, zf.ustring("/") + struct.pack(">i", t))
        out.append(c.reply()[2])
    for _ in range(2):
        c.request(4, 18, zf.ustring("/") + struct.pack(">i", 2))
        out.append(c.reply()[2])
    assert out == [-121, -121, -121, -5, -121, 0, 0, 0, -121]


def test_add_watch_mode_is_checked(server):
    c = session(server)
    c.request(1, 106, zf.ustring("/") + struct.pack(">i", 7))
    assert c.reply()[2] == -5


# ------------------------------------------------------- other opcodes


def test_whoami_and_digest_auth(server):
    c = session(server)
    c.request(1, 107)
    xid, zxid, err, body = c.reply()
    assert (err, body) == (0, struct.pack(">i", 1) + zf.ustring("ip")
                           + zf.ustring("127.0.0.1"))
    c.request(-4, 100, struct.pack(">i", 0) + zf.ustring("digest")
              + zf.ustring(b"bob:pw"))
    assert c.reply() == (-4, 0, 0, b"")
    c.request(2, 107)
    body = c.reply()[3]
    assert struct.unpack(">i", body[:4])[0] == 2
    assert zf.ustring("digest") + zf.ustring("bob") in body
    assert zf.ustring("ip") + zf.ustring("127.0.0.1") in body


def test_unknown_auth_scheme_closes(server):
    c = session(server)
    c.request(-4, 100, struct.pack(">i", 0) + zf.ustring("foo")
              + zf.ustring(b"x"))
    assert c.reply() == (-4, 0, -115, b"")
    assert c.closed()


def test_multi_read(server):
    c = session(server)
    body = (struct.pack(">i?i", 4, False, -1) + zf.ustring("/zookeeper/quota")
            + b"\0" + struct.pack(">i?i", 8, False, -1) + zf.ustring("/nope")
            + b"\0" + struct.pack(">i?i", 8, False, -1)
            + zf.ustring("/zookeeper") + b"\0" + END)
    c.request(1, 22, body)
    xid, zxid, err, rsp = c.reply()
    assert err == 0
    # getData: header {4, false, 0}, empty data, a stat
    assert rsp[:9] == struct.pack(">i?i", 4, False, 0)
    assert rsp[9:13] == b"\0\0\0\0"
    rest = rsp[13 + 68:]
    assert rest[:13] == struct.pack(">i?ii", -1, False, -101, -101)
    rest = rest[13:]
    assert rest[:13] == struct.pack(">i?ii", 8, False, 0, 2)
    # children in any order (ZooKeeper: hash order)
    names = rest[13:-len(END)]
    assert len(names) == 4 + 5 + 4 + 6
    assert zf.ustring("quota") in names and zf.ustring("config") in names
    assert rest.endswith(END)


def test_mixed_multi_is_a_marshalling_error(server):
    c = session(server)
    body = (struct.pack(">i?i", 4, False, -1) + zf.ustring("/") + b"\0"
            + struct.pack(">i?i", 13, False, -1) + zf.ustring("/")
            + struct.pack(">i", -1) + END)
    c.request(1, 14, body)
    assert c.reply()[2:] == (-5, b"")
    c.request(2, 22, body)
    assert c.reply()[2:] == (-5, b"")


def test_ephemerals_and_all_children_number(server):
    c = session(server)
    create(c, 1, "/eph1", flags=1)
    got = []
    for prefix in (" /e ", "/e", None, "/x"):
        c.request(2, 103, zf.ustring(prefix))
        got.append(c.reply()[2:])
    one = (0, struct.pack(">i", 1) + zf.ustring("/eph1"))
    assert got == [(0, b"\0\0\0\0"), one, one, (0, b"\0\0\0\0")]
    c.request(3, 104, zf.ustring("/zookeeper"))
    assert c.reply()[2:] == (0, struct.pack(">i", 2))
    c.request(4, 104, zf.ustring("/nope"))
    assert c.reply()[2] == -101
    delete(c, 5, "/eph1")


def test_sync_echoes_the_path(server):
    c = session(server)
    c.request(1, 9, zf.ustring("whatever"))
    assert c.reply()[2:] == (0, zf.ustring("whatever"))


# ------------------------------------------------------------- sessions


def test_frozen_connection_expires(server):
    a = server.raw()
    to, sid, pw, _ = a.handshake(timeout=1000)
    assert to == 1000
    create(a, 1, "/frozen", flags=1)
    b = session(server)
    b.request(2, 3, zf.ustring("/frozen") + b"\1")
    b.reply()
    t0 = time.monotonic()
    xid, zxid, err, body = b.reply()        # a never pings again
    elapsed = time.monotonic() - t0
    assert xid == -1 and struct.unpack(">i", body[:4])[0] == 2
    # between timeout and timeout + tick (500 ms), plus scheduling slack
    assert 0.9 <= elapsed <= df.scaled(2.0)
    assert a.closed()
    c = server.raw()
    assert c.handshake(session_id=sid, passwd=pw)[:2] == (0, 0)


def test_close_session_deletes_ephemerals_before_its_reply(server):
    a, b = session(server), session(server)
    create(a, 1, "/bye", flags=1)
    b.request(2, 3, zf.ustring("/bye") + b"\1")
    b.reply()
    a.request(3, -11)
    xid, zxid, err, body = a.reply()
    assert (xid, err, body) == (3, 0, b"")
    assert a.closed()
    b.request(4, 3, zf.ustring("/bye") + b"\0")
    assert until_reply(b, 4) == [(2, "/bye"), ("reply", 4, -101)]
