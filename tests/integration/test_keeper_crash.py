"""
The keeper's durability under SIGKILL: clients write under load, the keeper
process is killed at random moments many times (the master respawns it and
it recovers from data_dir), and after each restart the state must be what
the clients were told:

  - every acknowledged write is there, with the acknowledged content; a
    write whose answer was lost with the connection (ConnectionLoss) may
    or may not be there, but in one piece: a node's data is one of the
    values written to it, a multi's two creates are both there or neither,
    nothing appears that no client asked for;
  - once seen, a state stays (what a client could read was durable);
  - sequential numbers are never given twice and keep growing;
  - sessions survive the restarts (same session id, ephemerals kept, no
    LOST), a closed session stays closed, an abandoned one expires;
  - the zxid never goes below one a client saw.

Random timing, fixed outcome: the seed (KEEPER_CRASH_SEED, printed on
failure) drives the operations and the kill times; KEEPER_CRASH_KILLS sets
how many kills (default 15). fsync is on, snapshots every 300 transactions
(so recovery mixes snapshots and log replay), keep_snapshots 2.
"""

import os
import random
import re
import signal
import struct
import threading
import time

import pytest

from kazoo.client import KazooClient
from kazoo.exceptions import (ConnectionLoss, NodeExistsError, NoNodeError,
                              SessionExpiredError, ZookeeperError)
from kazoo.handlers.threading import KazooTimeoutError
from kazoo.protocol.states import KazooState

import drover_fixture as df
from zk_fixture import RawClient, four_letter, frame, ustring

pytestmark = pytest.mark.drover_only

KILLS = int(os.environ.get("KEEPER_CRASH_KILLS", "15"))
SEED = int(os.environ.get("KEEPER_CRASH_SEED", str(time.time_ns() % 10**9)))
WRITERS = 4
OP_TIMEOUT = 5.0
TICK_MS = 500
ABSENT = "<absent>"
ROOT = "/crash"


class Violation(AssertionError):
    pass


def violation(msg):
    raise Violation("%s (KEEPER_CRASH_SEED=%d)" % (msg, SEED))


# ------------------------------------------------------------ the model


class Path:
    """What a znode may hold: every state it could be in given what the
    clients were told. <settled>: False once a request to it timed out in
    the client (it may still be sent later), so no observation pins it."""

    def __init__(self, state):
        self.possible = {state}
        self.settled = True

    def certain(self):
        return len(self.possible) == 1 and self.settled

    def state(self):
        return next(iter(self.possible))


class Writer(threading.Thread):
    """One client: creates, sets, deletes its own nodes under
    /crash/w<n>, sequential nodes under /crash/seq, and multis. Records
    acknowledged and uncertain outcomes; never reuses an uncertain path."""

    def __init__(self, n, hosts, seed):
        super().__init__(name="writer-%d" % n, daemon=True)
        self.n = n
        self.rnd = random.Random(seed)
        self.dir = "%s/w%d" % (ROOT, n)
        self.paths = {}             # path -> Path
        self.multis = []            # (a, b, value, acked)
        self.seqs = []              # (path or None, token, acked)
        self.next = 0
        self.acked = 0
        self.uncertain = 0
        self.errors = []
        self.max_zxid = 0
        self.lock = threading.Lock()
        self.pause = threading.Event()
        self.parked = threading.Event()
        self.stop = threading.Event()
        self.states = []
        self.zk = KazooClient(hosts=hosts, timeout=10.0,
                              connection_retry=dict(max_tries=-1, delay=0.05,
                                                    backoff=1.3,
                                                    max_delay=0.3,
                                                    max_jitter=0.05))
        self.zk.add_listener(self.states.append)

    def start_client(self):
        self.zk.start(timeout=df.scaled(15))
        self.session = self.zk.client_id
        self.zk.ensure_path(self.dir)

    def fresh(self, what="n"):
        self.next += 1
        return "%s/%s%d" % (self.dir, what, self.next), \
            "w%d:%d:%d" % (self.n, self.next, self.rnd.randrange(10**6))

    def wait(self, async_result):
        return async_result.get(timeout=df.scaled(OP_TIMEOUT))

    def certain_present(self):
        return [p for p, m in self.paths.items()
                if m.certain() and m.state() != ABSENT]

    def run(self):
        try:
            while not self.stop.is_set():
                if self.pause.is_set():
                    self.parked.set()
                    while self.pause.is_set() and not self.stop.is_set():
                        time.sleep(0.005)
                    self.parked.clear()
                    continue
                self.one()
        except Violation as e:
            self.errors.append(str(e))
        except Exception as e:      # a bug of the test or of the client
            self.errors.append("%s: %r (KEEPER_CRASH_SEED=%d)"
                               % (self.name, e, SEED))
        finally:
            self.parked.set()

    def one(self):
        r = self.rnd.random()
        present = self.certain_present()
        if r < 0.35 or not present:
            self.op_create()
        elif r < 0.60:
            self.op_set(self.rnd.choice(sorted(present)))
        elif r < 0.70:
            self.op_delete(self.rnd.choice(sorted(present)))
        elif r < 0.85:
            self.op_sequential()
        else:
            self.op_multi()

    # each op: the acknowledged outcome, or an uncertain one

    def outcome(self, fn):
        """"ok" with fn's result, "lost" (connection loss: it may have
        applied), "timeout" (it may still be sent)."""
        try:
            return "ok", fn()
        except ConnectionLoss:
            return "lost", None
        except KazooTimeoutError:
            return "timeout", None
        except SessionExpiredError:
            violation("%s: its session expired" % self.name)

    def settle(self, path, state, how):
        with self.lock:
            m = self.paths.get(path)
            if how == "ok":
                self.acked += 1
                self.paths[path] = Path(state)
                return
            self.uncertain += 1
            if m is None:
                m = self.paths[path] = Path(ABSENT)
            m.possible.add(state)
            if how == "timeout":
                m.settled = False

    def op_create(self):
        path, value = self.fresh()
        how, _ = self.outcome(lambda: self.wait(
            self.zk.create_async(path, value.encode())))
        self.settle(path, value, how)

    def op_set(self, path):
        value = "%s:set%d" % (path, self.rnd.randrange(10**6))
        try:
            how, st = self.outcome(lambda: self.wait(
                self.zk.set_async(path, value.encode())))
        except NoNodeError:
            violation("%s: acknowledged node %s is gone" % (self.name, path))
        if how == "ok":
            self.max_zxid = max(self.max_zxid, st.mzxid)
        self.settle(path, value, how)

    def op_delete(self, path):
        try:
            how, _ = self.outcome(lambda: self.wait(
                self.zk.delete_async(path)))
        except NoNodeError:
            violation("%s: acknowledged node %s is gone" % (self.name, path))
        self.settle(path, ABSENT, how)

    def op_sequential(self):
        token = "w%d:seq:%d" % (self.n, self.rnd.randrange(10**9))
        try:
            how, path = self.outcome(lambda: self.wait(self.zk.create_async(
                "%s/seq/w%d-" % (ROOT, self.n), token.encode(),
                sequence=True)))
        except NodeExistsError:
            violation("%s: a sequential create hit NodeExists: a number "
                      "was given twice" % self.name)
        with self.lock:
            self.seqs.append((path, token, how == "ok"))
            if how == "ok":
                self.acked += 1
            else:
                self.uncertain += 1

    def op_multi(self):
        a, value = self.fresh("m")
        b = a + "b"
        a = a + "a"

        def commit():
            t = self.zk.transaction()
            t.create(a, value.encode())
            t.create(b, value.encode())
            return self.wait(t.commit_async())

        how, results = self.outcome(commit)
        if how == "ok" and any(isinstance(x, Exception) for x in results):
            violation("%s: multi %s failed: %r" % (self.name, a, results))
        with self.lock:
            self.multis.append((a, b, value, how == "ok"))
            if how == "ok":
                self.acked += 1
            else:
                self.uncertain += 1


# ------------------------------------------------------------ the test


def keeper_conf(d, port):
    block = ("keeper {\n"
             "    listen 127.0.0.1:%d;\n"
             "    data_dir %s;\n"
             "    fsync on;\n"
             "    snapshot_every 300;\n"
             "    keep_snapshots 2;\n"
             "    tick_time %dms;\n"
             "    session_timeout 1s 10s;\n"
             "    four_letter_words ruok srvr;\n"
             "}\n" % (port, d.path("data"), TICK_MS))
    return df.main_conf(block, events=None)


def keeper_pid(d):
    for pid in d.children():
        if "keeper process" in df.cmdline(pid):
            return pid
    return None


def serving(port):
    try:
        return four_letter(port, "ruok", timeout=1) == b"imok"
    except OSError:
        return False


def server_zxid(port):
    out = four_letter(port, "srvr").decode()
    m = re.search(r"^Zxid: 0x([0-9a-f]+)", out, re.M)
    assert m, out
    return int(m.group(1), 16)


def raw_create(c, xid, path, data, flags):
    acl = struct.pack(">ii", 1, 31) + ustring("world") + ustring("anyone")
    c.request(xid, 1, ustring(path) + struct.pack(">i", len(data)) + data
              + acl + struct.pack(">i", flags))
    rxid, zxid, err, body = c.reply()
    assert rxid == xid and err == 0, (rxid, err)
    return zxid


class Checker:
    def __init__(self, zk, writers):
        self.zk = zk
        self.writers = writers
        self.seen_seq = {}          # number -> full name, ever observed
        self.max_seq = -1
        self.max_zxid = 0
        self.checks = 0

    def data(self, path):
        try:
            value, st = self.zk.get(path)
        except NoNodeError:
            return ABSENT
        self.max_zxid = max(self.max_zxid, st.mzxid, st.czxid)
        return value.decode()

    def check(self):
        self.checks += 1
        for w in self.writers:
            self.check_writer(w)
        self.check_sequential()

    def check_writer(self, w):
        children = set(self.zk.get_children(w.dir))
        known = set()
        for path, m in list(w.paths.items()):
            known.add(path.rsplit("/", 1)[1])
            got = self.data(path)
            if got not in m.possible:
                violation("%s holds %r, expected one of %r (check %d)"
                          % (path, got, sorted(m.possible), self.checks))
            if m.settled:
                m.possible = {got}      # what was read was durable
        for a, b, value, acked in w.multis:
            known.add(a.rsplit("/", 1)[1])
            known.add(b.rsplit("/", 1)[1])
            ga, gb = self.data(a), self.data(b)
            if (ga, gb) not in ((value, value), (ABSENT, ABSENT)) \
                    or (acked and ga != value):
                violation("multi %s: %r, %r, written %r (acked %s)"
                          % (a, ga, gb, value, acked))
        phantoms = children - known
        if phantoms:
            violation("%s: nodes no client created: %r"
                      % (w.dir, sorted(phantoms)))

    def check_sequential(self):
        names = self.zk.get_children(ROOT + "/seq")
        numbers = {}
        for name in names:
            n = int(name[-10:])
            if n in numbers:
                violation("sequential number %d given twice: %s, %s"
                          % (n, numbers[n], name))
            numbers[n] = name
        for n, name in self.seen_seq.items():
            if numbers.get(n) != name:
                violation("sequential %s was seen and is now %r"
                          % (name, numbers.get(n)))
        acked = []
        for w in self.writers:
            for path, token, ok in w.seqs:
                if ok:
                    acked.append((path, token))
        for path, token in acked:
            name = path.rsplit("/", 1)[1]
            if numbers.get(int(name[-10:])) != name:
                violation("acknowledged sequential %s is gone" % path)
            if self.data(path) != token:
                violation("acknowledged sequential %s lost its data" % path)
        for n, name in numbers.items():
            self.seen_seq[n] = name
        new_max = max(numbers) if numbers else -1
        if new_max < self.max_seq:
            violation("sequential numbers went back: %d after %d"
                      % (new_max, self.max_seq))
        self.max_seq = new_max


def test_sigkill_under_load(drover):
    rnd = random.Random(SEED)
    d = drover
    port = d.port("keeper")
    d.expect_log(r"keeper process \d+ exited on signal 9")
    d.start(keeper_conf(d, port))
    df.wait_for(lambda: serving(port), 10, "the keeper")
    hosts = "127.0.0.1:%d" % port

    writers = [Writer(i, hosts, SEED * 100 + i) for i in range(WRITERS)]
    holder = admin = None
    try:
        admin = KazooClient(hosts=hosts, timeout=10.0,
                            connection_retry=dict(max_tries=-1, delay=0.05,
                                                  backoff=1.3, max_delay=0.3))
        admin.start(timeout=df.scaled(15))
        admin.ensure_path(ROOT + "/seq")
        for w in writers:
            w.start_client()

        # sessions: one that lives on, one closed, one abandoned

        holder_states = []
        holder = KazooClient(hosts=hosts, timeout=10.0,
                             connection_retry=dict(max_tries=-1, delay=0.05,
                                                   backoff=1.3,
                                                   max_delay=0.3))
        holder.add_listener(holder_states.append)
        holder.start(timeout=df.scaled(15))
        holder.create(ROOT + "/eph-holder", b"h", ephemeral=True)
        holder_session = holder.client_id

        closed = KazooClient(hosts=hosts, timeout=10.0)
        closed.start(timeout=df.scaled(15))
        closed.create(ROOT + "/eph-closed", b"c", ephemeral=True)
        closed_session = closed.client_id
        closed.stop()
        closed.close()

        raw = RawClient(port)
        to, sid, pw, _ = raw.handshake(timeout=2000)
        assert sid and to == 2000
        raw_create(raw, 1, ROOT + "/eph-orphan", b"o", 1)
        raw.close()         # no closeSession: it must expire
        orphan_gone = False

        checker = Checker(admin, writers)
        for w in writers:
            w.start()

        kills = 0
        pid = keeper_pid(d)
        born = time.monotonic()
        stats = []
        for kills in range(1, KILLS + 1):
            for w in writers:
                w.pause.clear()
            acked0 = sum(w.acked for w in writers)

            # load for 100-500 ms; a keeper younger than 1 s that dies
            # twice in a row would be respawned with a back-off
            time.sleep(rnd.uniform(0.1, 0.5))
            time.sleep(max(0.0, 1.05 - (time.monotonic() - born)))

            os.kill(pid, signal.SIGKILL)
            killed_at = time.monotonic()
            df.wait_for(lambda: keeper_pid(d) not in (None, pid), 10,
                        "the keeper to be respawned")
            pid = keeper_pid(d)
            born = time.monotonic()
            df.wait_for(lambda: serving(port), 10, "the respawned keeper")
            restart = time.monotonic() - killed_at

            for w in writers:
                w.pause.set()
            for w in writers:
                if not w.parked.wait(df.scaled(OP_TIMEOUT * 3)):
                    violation("%s did not stop" % w.name)
                if w.errors:
                    violation("; ".join(w.errors))

            # the zxid a client saw before the crash is not lost
            seen = max([checker.max_zxid] + [w.max_zxid for w in writers])
            if server_zxid(port) < seen:
                violation("the zxid went back: %d < %d"
                          % (server_zxid(port), seen))

            checker.check()

            if admin.exists(ROOT + "/eph-holder") is None:
                violation("the holder's ephemeral is gone after kill %d"
                          % kills)
            if admin.exists(ROOT + "/eph-closed") is not None:
                violation("a closed session's ephemeral came back")
            orphan = admin.exists(ROOT + "/eph-orphan") is not None
            if orphan_gone and orphan:
                violation("an expired session's ephemeral came back")
            orphan_gone = not orphan
            stats.append((round(restart, 3),
                          sum(w.acked for w in writers) - acked0))

        # sessions: resumed, never lost; the abandoned one expires

        for w in writers:
            w.pause.clear()
        time.sleep(0.3)
        for w in writers:
            w.stop.set()
        for w in writers:
            w.join(df.scaled(OP_TIMEOUT * 3))
            if w.errors:
                violation("; ".join(w.errors))
            if w.zk.client_id != w.session:
                violation("%s: a new session after the restarts" % w.name)
            if KazooState.LOST in w.states:
                violation("%s: its session was lost" % w.name)
        if holder.client_id != holder_session \
                or KazooState.LOST in holder_states:
            violation("the holder's session did not survive")
        if KazooState.SUSPENDED not in holder_states:
            violation("the holder never noticed a restart")

        df.wait_for(lambda: admin.exists(ROOT + "/eph-orphan") is None,
                    2.0 + 3 * TICK_MS / 1000.0 + 1.0,
                    "the abandoned session to expire")

        raw = RawClient(port)
        to, sid, pw, _ = raw.handshake(timeout=10000,
                                       session_id=closed_session[0],
                                       passwd=closed_session[1])
        raw.close()
        if (to, sid) != (0, 0):
            violation("the closed session 0x%x could be resumed"
                      % closed_session[0])

        checker.check()

        acked = sum(w.acked for w in writers)
        uncertain = sum(w.uncertain for w in writers)
        files = sorted(os.listdir(d.path("data")))
        print("\nkeeper crash test: seed %d, %d kills, %d acknowledged "
              "writes, %d uncertain, restarts (s, writes before the kill): "
              "%s; data_dir: %s" % (SEED, kills, acked, uncertain, stats,
                                    files))
        assert acked > KILLS * 10, "too little load to mean anything"
        assert any(f.startswith("snapshot.") for f in files)
        assert d.grep_log(r"snapshot of zxid 0x[0-9a-f]+ written")
    finally:
        for w in writers:
            w.stop.set()
            w.pause.clear()
        for w in writers:
            if w.is_alive():
                w.join(df.scaled(OP_TIMEOUT * 3))
            try:
                w.zk.stop()
                w.zk.close()
            except Exception:
                pass
        for c in (holder, admin):
            if c is not None:
                try:
                    c.stop()
                    c.close()
                except Exception:
                    pass


# ------------------------------------------------------------ damaged logs


def start_keeper(d, port):
    d.start(keeper_conf(d, port))
    df.wait_for(lambda: serving(port), 10, "the keeper")


def fill(port, n):
    zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=10.0)
    zk.start(timeout=df.scaled(15))
    try:
        zk.ensure_path(ROOT)
        for i in range(n):
            zk.create("%s/n%03d" % (ROOT, i), b"value %d" % i)
    finally:
        zk.stop()
        zk.close()


def log_files(d):
    data = d.path("data")
    return sorted(os.path.join(data, f) for f in os.listdir(data)
                  if f.startswith("log."))


def test_torn_tail_is_cut(drover):
    d = drover
    port = d.port("keeper")
    start_keeper(d, port)
    fill(port, 20)
    d.stop()

    # the keeper died in the middle of a write that was never acknowledged
    last = log_files(d)[-1]
    size = os.path.getsize(last)
    with open(last, "ab") as f:
        f.write(struct.pack(">I", 200) + b"\x5a" * 37)

    mark = d.log_mark()
    start_keeper(d, port)
    assert d.grep_log(r"\[warn\] .*keeper: \"[^\"]+/log\.[0-9a-f]{16}\": "
                      r"a short record at offset %d, the log is truncated"
                      % size, since=mark)
    assert os.path.getsize(last) == size

    zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=10.0)
    zk.start(timeout=df.scaled(15))
    try:
        assert len(zk.get_children(ROOT)) == 20
        assert zk.get(ROOT + "/n019")[0] == b"value 19"
        zk.create(ROOT + "/after", b"x")
    finally:
        zk.stop()
        zk.close()


def test_corruption_in_the_middle_stops_the_keeper(drover):
    d = drover
    port = d.port("keeper")
    start_keeper(d, port)
    fill(port, 20)
    d.stop()

    # a bit flipped inside an acknowledged record: records follow it
    last = log_files(d)[-1]
    size = os.path.getsize(last)
    with open(last, "r+b") as f:
        f.seek(size // 2)
        b = f.read(1)
        f.seek(size // 2)
        f.write(bytes([b[0] ^ 0x08]))

    d.expect_log(r"keeper process \d+ exited with (fatal )?code 2")
    mark = d.log_mark()
    d.start(keeper_conf(d, port))
    d.wait_for_log(r"keeper process \d+ exited with fatal code 2 and cannot "
                   r"be respawned", timeout=10, since=mark)
    assert d.grep_log(r"\[emerg\] .*is corrupt at offset \d+ .*valid records "
                      r"follow.*refusing to serve", since=mark)
    assert not serving(port)
    assert os.path.getsize(last) == size, "the evidence was left alone"
    d.stop()

    # put the bit back: everything is there
    with open(last, "r+b") as f:
        f.seek(size // 2)
        f.write(b)
    start_keeper(d, port)
    zk = KazooClient(hosts="127.0.0.1:%d" % port, timeout=10.0)
    zk.start(timeout=df.scaled(15))
    try:
        assert len(zk.get_children(ROOT)) == 20
    finally:
        zk.stop()
        zk.close()
