"""
The keeper as a drover process (drover only): the keeper{} block and its
errors, a keeper-only configuration, reloads that keep or restart the
keeper, a killed keeper respawned with its data and sessions, the
connections-per-IP limit and back-pressure on a client that pipelines
without reading.
"""

import os
import signal
import socket
import struct
import time

import pytest

import drover_fixture as df
import zk_fixture as zf

pytestmark = pytest.mark.drover_only


def keeper_conf(port, extra=""):
    return df.main_conf("keeper {\n    listen 127.0.0.1:%d;\n    fsync off;\n"
                        "    tick_time 500ms;\n%s}\n" % (port, extra),
                        events=None)


def keeper_pid(d):
    def find():
        for pid in d.children():
            if "keeper process" in df.cmdline(pid):
                return pid
        return None
    return df.wait_for(find, 5, "the keeper process")


def wait_ruok(port):
    def ok():
        try:
            return zf.four_letter(port, "ruok", timeout=1) == b"imok"
        except OSError:
            return False
    df.wait_for(ok, 10, "ruok on %d" % port)


@pytest.mark.parametrize("block, message", [
    ("keeper { listen 127.0.0.1:1; listen 127.0.0.1:1; }", "duplicate listen"),
    ("keeper { tick_time 0; }", "must be between"),
    ("keeper { session_timeout 10s 1s; }", "has a minimum above its maximum"),
    ("keeper { max_frame 10; }", "must be between 1k and 64m"),
    ("keeper { four_letter_words ruok nope; }", "unknown four-letter word"),
    ("keeper { super_digest nocolon; }", "must be"),
    ("keeper { super_digest super:short; }", "base64 of a SHA-1"),
    ("keeper { fsync maybe; }", "it must be \"on\" or \"off\""),
    ("keeper { listen unix:/tmp/x; }", "does not take unix sockets"),
    ("keeper { listen 127.0.0.1:1 backlog=x; }", "invalid backlog"),
    ("keeper { } keeper { }", "is duplicate"),
    ("keeper { bogus 1; }", "unknown directive \"bogus\""),
])
def test_config_errors(drover, block, message):
    rc, out, err = drover.test_config(df.main_conf(block, events=None))
    assert rc != 0
    assert message in err, err


def test_config_ok(drover):
    conf = df.main_conf("""keeper {
    listen 127.0.0.1:2999 backlog=64;
    listen 2998;
    data_dir keeper-data;
    tick_time 1s;
    session_timeout 2s 30s;
    fsync on;
    snapshot_every 1000;
    keep_snapshots 5;
    max_connections_per_ip 10;
    max_frame 4m;
    max_outstanding 100;
    max_watches 1000;
    four_letter_words ruok srvr;
    super_digest super:D/InIHSb7yEEbrWz8b9l71RjZJU=;
    extended_types on;
    container_reap_interval 10s;
}
""", events=None)
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err


def test_keeper_only_config_serves(drover):
    port = drover.port("keeper")
    drover.start(keeper_conf(port))
    wait_ruok(port)
    zk = zf.start_client("127.0.0.1:%d" % port)
    try:
        assert zk.create("/only", b"x") == "/only"
    finally:
        zf.stop_client(zk)
    assert (drover.path("keeper")).is_dir()


def test_reload_keeps_an_unchanged_keeper(drover):
    port = drover.port("keeper")
    drover.start(keeper_conf(port))
    wait_ruok(port)
    pid = keeper_pid(drover)
    zk = zf.start_client("127.0.0.1:%d" % port)
    try:
        states = []
        zk.add_listener(states.append)
        sid = zk.client_id[0]
        # a different text, the same settings: the same fingerprint
        drover.write_conf(keeper_conf(port).replace("fsync off;",
                                                    "# comment\n fsync  off ;"))
        mark = drover.log_mark()
        drover.signal(signal.SIGHUP)
        drover.wait_for_log(r"keeper process: configuration unchanged",
                            since=mark)
        df.stays(lambda: keeper_pid(drover) == pid, 0.5)
        zk.create("/still", b"")
        assert zk.client_id[0] == sid and states == []
    finally:
        zf.stop_client(zk)


def test_changed_block_restarts_the_keeper_sessions_survive(drover):
    port = drover.port("keeper")
    drover.start(keeper_conf(port))
    wait_ruok(port)
    pid = keeper_pid(drover)
    zk = zf.start_client("127.0.0.1:%d" % port)
    try:
        sid = zk.client_id[0]
        zk.create("/eph", b"", ephemeral=True)
        zk.create("/data", b"kept")
        drover.write_conf(keeper_conf(port, "    max_outstanding 500;\n"))
        drover.signal(signal.SIGHUP)
        df.wait_for(lambda: keeper_pid(drover) != pid, 10, "a new keeper")
        wait_ruok(port)
        df.wait_for(lambda: zk.connected, 15, "kazoo reconnected")
        assert zk.client_id[0] == sid
        assert zk.get("/data")[0] == b"kept"
        assert zk.exists("/eph").ephemeralOwner == sid
    finally:
        zf.stop_client(zk)


def test_killed_keeper_recovers(drover):
    port = drover.port("keeper")
    drover.start(keeper_conf(port))
    wait_ruok(port)
    zk = zf.start_client("127.0.0.1:%d" % port)
    try:
        sid = zk.client_id[0]
        for i in range(50):
            zk.create("/k%02d" % i, b"%d" % i)
        zk.create("/seq-", b"", sequence=True)
        last = zk.exists("/k49").czxid
        pid = keeper_pid(drover)
        drover.expect_log(r"keeper process \d+ exited on signal 9")
        os.kill(pid, signal.SIGKILL)
        df.wait_for(lambda: keeper_pid(drover) not in (None, pid), 10,
                    "a respawned keeper")
        wait_ruok(port)
        df.wait_for(lambda: zk.connected, 15, "kazoo reconnected")
        assert zk.client_id[0] == sid
        assert len([c for c in zk.get_children("/") if c.startswith("k")]) \
            == 50
        assert zk.exists("/k49").czxid == last
        # sequential numbering and zxids continue
        assert zk.create("/seq-", b"", sequence=True) == "/seq-0000000051"
        assert zk.create("/after").startswith("/after")
        assert zk.exists("/after").czxid > last
    finally:
        zf.stop_client(zk)


def test_connections_per_ip_limit(drover):
    port = drover.port("keeper")
    drover.start(keeper_conf(port, "    max_connections_per_ip 3;\n"))
    wait_ruok(port)
    held = [zf.RawClient(port) for _ in range(3)]
    for c in held:
        c.handshake()
    extra = zf.RawClient(port)
    assert extra.closed()
    drover.wait_for_log(r"too many connections from 127\.0\.0\.1 - max is 3")
    held[0].close()
    time.sleep(0.2)
    again = zf.RawClient(port)
    assert again.handshake()[1] != 0
    for c in held[1:] + [again]:
        c.close()


def test_backpressure_on_a_client_that_does_not_read(drover):
    port = drover.port("keeper")
    drover.start(keeper_conf(port, "    max_outstanding 16;\n"))
    wait_ruok(port)
    greedy = zf.RawClient(port)
    greedy.handshake()
    greedy.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    req = zf.frame(struct.pack(">ii", 1, 3) + zf.ustring("/") + b"\0")
    greedy.sock.setblocking(False)
    sent = 0
    deadline = time.monotonic() + df.scaled(5)
    while time.monotonic() < deadline:
        try:
            sent += greedy.sock.send(req * 64)
        except BlockingIOError:
            break
    # the keeper stopped reading it, and still serves the others
    assert sent < 64 * 1024 * 1024
    zk = zf.start_client("127.0.0.1:%d" % port)
    try:
        assert "zookeeper" in zk.get_children("/")
    finally:
        zf.stop_client(zk)
    greedy.sock.setblocking(True)
    greedy.sock.settimeout(5)
    # its replies are all there, in order, once it reads
    for _ in range(20):
        xid, zxid, err, body = greedy.reply()
        assert (xid, err) == (1, 0)
    greedy.close()
