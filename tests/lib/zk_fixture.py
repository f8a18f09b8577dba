"""
ZooKeeper servers for the keeper tests: Apache ZooKeeper 3.8 (Debian's
`zookeeper` package) and drover's keeper, behind one interface, so that a
test written once runs against both and asserts the same results.

    from zk_fixture import server          # parametrized: drover, zookeeper

    def test_create(server):
        zk = server.client()                # a started KazooClient
        assert zk.create("/a", b"x") == "/a"

ZooKeeperServer starts `java ... org.apache.zookeeper.server.ZooKeeperServerMain
zoo.cfg` on a free loopback port with a temporary zoo.cfg and dataDir (the
classpath is zkEnv.sh's: the conf dir and /usr/share/java/zookeeper.jar),
polls `ruok` with a deadline, and is killed by pid. KeeperServer starts
objs/drover with a keeper-only configuration through drover_fixture.Drover
and fails the test module if the error log has [alert]/[crit] lines.
Both are module-scoped: a JVM takes about two seconds to start.

Environment:
  ZK_TEST_JAVA      the java binary (default: /usr/bin/java)
  ZK_TEST_JAR       the server jar (default: /usr/share/java/zookeeper.jar)
  ZK_TEST_CLI       zkCli.sh (default: /usr/share/zookeeper/bin/zkCli.sh)
"""

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

import drover_fixture as df

JAVA = os.environ.get("ZK_TEST_JAVA", "/usr/bin/java")
JAR = os.environ.get("ZK_TEST_JAR", "/usr/share/java/zookeeper.jar")
ZKCLI = os.environ.get("ZK_TEST_CLI", "/usr/share/zookeeper/bin/zkCli.sh")

LOG4J = """\
log4j.rootLogger=INFO, FILE
log4j.appender.FILE=org.apache.log4j.FileAppender
log4j.appender.FILE.File={log}
log4j.appender.FILE.layout=org.apache.log4j.PatternLayout
log4j.appender.FILE.layout.ConversionPattern=%d{{ISO8601}} %-5p [%t] %c{{1}} - %m%n
"""


def have_zookeeper():
    return os.access(JAVA, os.X_OK) and os.path.exists(JAR)


def four_letter(port, word, timeout=5.0, host="127.0.0.1"):
    """Sends a four-letter word on a fresh connection and returns everything
    the server writes before it closes (b"" if it closes at once)."""
    if isinstance(word, str):
        word = word.encode()
    with socket.create_connection((host, port), timeout=df.scaled(timeout)) as s:
        s.sendall(word)
        out = b""
        while True:
            try:
                data = s.recv(65536)
            except ConnectionResetError:
                break
            if not data:
                break
            out += data
        return out


# ------------------------------------------------------------ raw protocol


def frame(payload):
    return struct.pack(">i", len(payload)) + payload


def connect_request(timeout=10000, session_id=0, passwd=b"\0" * 16,
                    last_zxid=0, read_only=True):
    body = struct.pack(">iqiqi", 0, last_zxid, timeout, session_id,
                       len(passwd)) + passwd
    if read_only is not None:
        body += b"\1" if read_only else b"\0"
    return frame(body)


def ustring(s):
    if s is None:
        return struct.pack(">i", -1)
    if isinstance(s, str):
        s = s.encode()
    return struct.pack(">i", len(s)) + s


class RawClient:
    """A socket speaking the jute framing by hand, for what kazoo cannot
    send: malformed frames, unknown opcodes, pipelining, frozen sessions."""

    def __init__(self, port, timeout=5.0, host="127.0.0.1"):
        self.sock = socket.create_connection((host, port),
                                             timeout=df.scaled(timeout))
        self.buf = b""

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass

    def send(self, data):
        self.sock.sendall(data)

    def recv_exact(self, n):
        while len(self.buf) < n:
            data = self.sock.recv(65536)
            if not data:
                raise EOFError("connection closed after %d of %d bytes"
                               % (len(self.buf), n))
            self.buf += data
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def recv_frame(self):
        (n,) = struct.unpack(">i", self.recv_exact(4))
        return self.recv_exact(n)

    def closed(self, timeout=3.0):
        """True if the server closes the connection (EOF or reset) within
        <timeout> without sending anything more."""
        self.sock.settimeout(df.scaled(timeout))
        try:
            data = self.sock.recv(65536)
        except (ConnectionResetError, BrokenPipeError):
            return True
        except socket.timeout:
            return False
        if data:
            self.buf += data
            return False
        return True

    def handshake(self, timeout=10000, session_id=0, passwd=b"\0" * 16,
                  read_only=True):
        """(negotiated timeout, session id, password) of a ConnectResponse."""
        self.send(connect_request(timeout, session_id, passwd,
                                  read_only=read_only))
        rsp = self.recv_frame()
        proto, to, sid, plen = struct.unpack(">iiqi", rsp[:20])
        return to, sid, rsp[20:20 + plen], rsp

    def request(self, xid, op, body=b""):
        self.send(frame(struct.pack(">ii", xid, op) + body))

    def reply(self):
        """(xid, zxid, err, body) of the next frame."""
        f = self.recv_frame()
        xid, zxid, err = struct.unpack(">iqi", f[:16])
        return xid, zxid, err, f[16:]


# ------------------------------------------------------------ servers


class ZooKeeperServer:
    """Apache ZooKeeper 3.8 standalone on loopback. See the module comment."""

    kind = "zookeeper"

    def __init__(self, tick_time=2000, whitelist="*", extra=None,
                 extended_types=False, super_digest=None, reap_ms=None,
                 base=None):
        self.base = Path(base or tempfile.mkdtemp(prefix="zk-test-"))
        self.conf_dir = self.base / "conf"
        self.data_dir = self.base / "data"
        self.log_path = self.base / "zookeeper.log"
        self.out_path = self.base / "zookeeper.out"
        self.port = df.free_port()
        self.tick_time = tick_time
        self.whitelist = whitelist
        self.extra = extra or {}
        self.extended_types = extended_types
        self.super_digest = super_digest
        self.reap_ms = reap_ms
        self.proc = None

    @property
    def hosts(self):
        return "127.0.0.1:%d" % self.port

    def write_conf(self):
        self.conf_dir.mkdir(parents=True, exist_ok=True)
        self.data_dir.mkdir(parents=True, exist_ok=True)
        cfg = {
            "tickTime": self.tick_time,
            "dataDir": self.data_dir,
            "clientPort": self.port,
            "clientPortAddress": "127.0.0.1",
            "4lw.commands.whitelist": self.whitelist,
            "admin.enableServer": "false",
            "maxClientCnxns": 60,
        }
        cfg.update(self.extra)
        (self.conf_dir / "zoo.cfg").write_text(
            "".join("%s=%s\n" % kv for kv in cfg.items()))
        (self.conf_dir / "log4j.properties").write_text(
            LOG4J.format(log=self.log_path))

    def start(self, timeout=60.0):
        self.write_conf()
        argv = [JAVA, "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-Dzookeeper.log.dir=%s" % self.base,
                "-Dlog4j.configuration=file:%s"
                % (self.conf_dir / "log4j.properties"),
                "-cp", "%s:%s" % (self.conf_dir, JAR)]
        if self.extended_types:
            argv.append("-Dzookeeper.extendedTypesEnabled=true")
        if self.super_digest:
            argv.append("-Dzookeeper.DigestAuthenticationProvider.superDigest=%s"
                        % self.super_digest)
        if self.reap_ms:
            argv.append("-Dznode.container.checkIntervalMs=%d" % self.reap_ms)
        argv += ["org.apache.zookeeper.server.ZooKeeperServerMain",
                 str(self.conf_dir / "zoo.cfg")]
        out = open(self.out_path, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL,
                                     stdout=out, stderr=subprocess.STDOUT,
                                     cwd=str(self.base))
        out.close()

        def ready():
            if self.proc.poll() is not None:
                raise df.StartError("ZooKeeper exited with %d:\n%s"
                                    % (self.proc.returncode,
                                       self.out_path.read_text()[-2000:]))
            # ruok answers before the database is loaded: wait for a session
            try:
                c = RawClient(self.port, timeout=1)
                try:
                    to, sid, pw, rsp = c.handshake()
                    return sid != 0
                finally:
                    c.close()
            except (OSError, EOFError):
                return False

        df.wait_for(ready, timeout, "ZooKeeper on port %d" % self.port,
                    interval=0.05)
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)

    def four(self, word):
        return four_letter(self.port, word)

    def client(self, **kw):
        return start_client(self.hosts, **kw)

    def raw(self, **kw):
        return RawClient(self.port, **kw)


class KeeperServer:
    """drover's keeper alone (no http{}, no events{}) on loopback."""

    kind = "drover"

    def __init__(self, tick_time=2000, whitelist="*", extra="",
                 extended_types=False, super_digest=None, reap_ms=None):
        self.d = df.Drover()
        self.port = self.d.port("keeper")
        self.tick_time = tick_time
        self.whitelist = whitelist
        self.extra = extra
        self.extended_types = extended_types
        if super_digest:
            self.extra += "    super_digest %s;\n" % super_digest
        if reap_ms:
            self.extra += "    container_reap_interval %dms;\n" % reap_ms

    @property
    def hosts(self):
        return "127.0.0.1:%d" % self.port

    def conf(self, d=None):
        words = "*" if self.whitelist == "*" else self.whitelist.replace(",", " ")
        block = ("keeper {\n"
                 "    listen 127.0.0.1:%d;\n"
                 "    tick_time %dms;\n"
                 "    fsync off;\n"
                 "    four_letter_words %s;\n"
                 "    extended_types %s;\n"
                 "%s"
                 "}\n" % (self.port, self.tick_time, words,
                          "on" if self.extended_types else "off",
                          self.extra))
        return df.main_conf(block, events=None)

    def start(self, timeout=10.0):
        self.d.start(self.conf())

        def ready():
            try:
                return four_letter(self.port, "ruok", timeout=1) == b"imok"
            except OSError:
                return False

        df.wait_for(ready, timeout, "the keeper on port %d" % self.port)
        return self

    def keeper_pid(self):
        for pid in self.d.children():
            if "keeper process" in df.cmdline(pid):
                return pid
        return None

    def stop(self):
        return self.d.teardown()

    def cleanup(self):
        self.d.cleanup()

    def four(self, word):
        return four_letter(self.port, word)

    def client(self, **kw):
        return start_client(self.hosts, **kw)

    def raw(self, **kw):
        return RawClient(self.port, **kw)


def digest(user, password):
    """ZooKeeper's digest id: "user:base64(sha1(user:password))"."""
    import base64
    import hashlib
    cred = ("%s:%s" % (user, password)).encode()
    return "%s:%s" % (user, base64.b64encode(hashlib.sha1(cred).digest())
                      .decode())


def start_client(hosts, timeout=10.0, **kw):
    from kazoo.client import KazooClient
    zk = KazooClient(hosts=hosts, timeout=timeout, **kw)
    zk.start(timeout=df.scaled(15))
    return zk


def stop_client(zk):
    try:
        zk.stop()
    finally:
        zk.close()


def make_server(kind, **kw):
    if kind == "zookeeper":
        if not have_zookeeper():
            pytest.skip("ZooKeeper is not installed (Debian package zookeeper)")
        return ZooKeeperServer(**kw).start()
    return KeeperServer(**kw).start()


def finish_server(srv):
    bad = srv.stop()
    if bad:
        pytest.fail("bad lines in the keeper's logs (%s):\n  %s"
                    % (srv.d.prefix, "\n  ".join(bad)), pytrace=False)
    if not os.environ.get("DROVER_TEST_KEEP"):
        srv.cleanup()


# ------------------------------------------------------------ fixtures


@pytest.fixture(scope="module", params=["drover", "zookeeper"])
def server(request):
    """Each test of the module runs against the keeper, then ZooKeeper
    (tick_time 500 ms: sessions of 1..10 s, expiry tests stay short)."""
    srv = make_server(request.param, tick_time=500)
    yield srv
    finish_server(srv)


@pytest.fixture(scope="module")
def zookeeper():
    """A real ZooKeeper alone (tick 500 ms)."""
    srv = make_server("zookeeper", tick_time=500)
    yield srv
    finish_server(srv)


@pytest.fixture(scope="module")
def keeper():
    """drover's keeper alone (tick 500 ms)."""
    srv = make_server("drover", tick_time=500)
    yield srv
    finish_server(srv)


@pytest.fixture
def zk(server):
    """A kazoo client of <server>, stopped after the test."""
    c = server.client()
    yield c
    stop_client(c)


@pytest.fixture
def base(zk, request):
    """A fresh znode for the test, "/t-<name>", deleted afterwards."""
    path = "/t-" + request.node.name.replace("[", "-").replace("]", "")
    if zk.exists(path):
        zk.delete(path, recursive=True)
    zk.create(path)
    yield path
    try:
        if zk.connected and zk.exists(path):
            zk.delete(path, recursive=True)
    except Exception:
        pass
