"""
Service discovery scenarios (tests/integration/test_discovery_*.py): drover
proxying to an upstream that `discover`s its members, with the registry
either drover's own keeper (a keeper{} block in the same configuration) or
a real Apache ZooKeeper 3.8 started on loopback, so every scenario runs
against both:

    def test_x(disco):                  # parametrized: keeper, zookeeper
        disco.start()                   # drover + (keeper) + upstream "app"
        b = disco.backend()             # an HTTP backend on a free port
        disco.register("b1", b.addr)    # an ephemeral znode, through kazoo
        disco.wait_routable({b.port})

Backends answer "backend <port>" and count what they serve; ProcBackend is
the same in a child process that registers itself (kazoo), so that SIGKILL
takes its ZooKeeper session's connection down with it.
"""

import http.client
import http.server
import os
import signal
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

import drover_fixture as df
import zk_fixture as zf

LIB = Path(__file__).resolve().parent
BACKEND_SCRIPT = LIB / "discovery_backend.py"


# ------------------------------------------------------------ backends


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        srv = self.server
        with srv.lock:
            srv.hits += 1
        body = ("backend %d %s\n" % (srv.server_address[1],
                                      self.headers.get("X-Worker", "-"))
                ).encode()
        # one write: a backend killed mid-answer sends nothing of it
        self.wfile.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
                         b"Content-Length: %d\r\n\r\n%s" % (len(body), body))

    def log_message(self, *args):
        pass


class _Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


class Backend:
    """A threaded HTTP server in the test process."""

    def __init__(self, port=None):
        self.port = port or df.free_port()
        self.srv = _Server(("127.0.0.1", self.port), _Handler)
        self.srv.hits = 0
        self.srv.lock = threading.Lock()
        self.thread = threading.Thread(target=self.srv.serve_forever,
                                       daemon=True)
        self.thread.start()

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    @property
    def hits(self):
        return self.srv.hits

    def stop(self):
        self.srv.shutdown()
        self.srv.server_close()


class ProcBackend:
    """An HTTP backend in its own process that registers itself (an
    ephemeral znode through its own kazoo session) once it listens."""

    def __init__(self, hosts, path, name, port=None, timeout=10.0,
                 data=None):
        self.port = port or df.free_port()
        argv = [sys.executable if sys.executable.startswith("/usr/bin")
                else "/usr/bin/python3", str(BACKEND_SCRIPT),
                "--port", str(self.port), "--hosts", hosts,
                "--path", path + "/" + name, "--timeout", str(timeout)]
        if data is not None:
            argv += ["--data", data]
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE,
                                     stdin=subprocess.DEVNULL)
        line = self.proc.stdout.readline().decode()
        if not line.startswith("registered"):
            err = self.proc.stderr.read().decode(errors="replace")
            self.kill()
            raise AssertionError("backend did not register: %r %s"
                                 % (line, err[-2000:]))
        self.session = int(line.split()[1], 16)

    @property
    def addr(self):
        return "127.0.0.1:%d" % self.port

    def kill(self, sig=signal.SIGKILL):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(timeout=10)


# ------------------------------------------------------------ registries


class Registry:
    """Where instances register: drover's keeper (in the drover under
    test) or a ZooKeeper server shared by the module."""

    def __init__(self, kind, zookeeper=None):
        self.kind = kind
        self.zookeeper = zookeeper
        self.hosts = zookeeper.hosts if zookeeper else None

    @property
    def is_keeper(self):
        return self.kind == "keeper"


@pytest.fixture(scope="module")
def zookeeper_server():
    if not zf.have_zookeeper():
        pytest.skip("ZooKeeper is not installed (Debian package zookeeper)")
    srv = zf.ZooKeeperServer(tick_time=500).start()
    yield srv
    srv.stop()
    if not os.environ.get("DROVER_TEST_KEEP"):
        srv.cleanup()


@pytest.fixture(params=["keeper", "zookeeper"])
def registry(request):
    if request.param == "keeper":
        return Registry("keeper")
    return Registry("zookeeper", request.getfixturevalue("zookeeper_server"))


# ------------------------------------------------------------ the setup


class Discovery:
    """One drover with upstream "app" discovered from <registry>, and the
    backends and kazoo clients of the test."""

    def __init__(self, drover, registry, name):
        self.d = drover
        self.registry = registry
        self.port = drover.port("http")
        self.path = "/svc/" + name.replace("[", "-").replace("]", "")
        self.backends = []
        self.clients = []
        self._zk = None
        if registry.is_keeper:
            self.keeper_port = drover.port("keeper")
            registry.hosts = "127.0.0.1:%d" % self.keeper_port

    @property
    def hosts(self):
        return self.registry.hosts

    def conf(self, discover="", upstream="", workers=2, location="",
             http="", keeper=""):
        kb = ""
        if self.registry.is_keeper:
            kb = ("keeper {\n    listen 127.0.0.1:%d;\n    data_dir keeper;\n"
                  "    tick_time 500ms;\n    fsync off;\n%s}\n"
                  % (self.keeper_port, keeper))
        body = (kb + "http {\n"
                "    upstream app {\n"
                "        zone app 256k;\n"
                "        discover zk://%s%s %s;\n"
                "%s"
                "    }\n"
                "%s"
                "    server {\n"
                "        listen 127.0.0.1:%d;\n"
                "        location / {\n"
                "            proxy_pass http://app;\n"
                "            proxy_connect_timeout 1s;\n"
                "            proxy_set_header X-Worker $pid;\n"
                "%s"
                "        }\n"
                "    }\n"
                "}\n" % (self.hosts, self.path, discover, upstream, http,
                         self.port, location))
        return df.main_conf(body, worker_processes=workers)

    def start(self, **kw):
        self.d.start(self.conf(**kw))
        self.wait_agent()
        return self

    def wait_agent(self):
        """The agent has read the path once (the first table is out)."""
        self.d.wait_for_log(r'upstream "app": (znode \S+ does not exist|'
                            r'peer added)|discovering', timeout=10)
        self.client()       # the registry answers

    def reload(self, **kw):
        """Writes the new configuration and sends HUP; returns a log mark
        from before the signal."""
        mark = self.d.log_mark()
        self.d.write_conf(self.conf(**kw))
        self.d.signal(signal.SIGHUP)
        self.d.wait_for_log(r"reconfiguring", since=mark)
        return mark

    def agent_pid(self):
        for pid in self.d.children():
            if "agent process" in df.cmdline(pid):
                return pid
        return None

    def keeper_pid(self):
        for pid in self.d.children():
            if "keeper process" in df.cmdline(pid):
                return pid
        return None

    # -- registry side -----------------------------------------------------

    def client(self, timeout=10.0):
        """A kazoo client of the registry (one per test, stopped after)."""
        if self._zk is None:
            def connect():
                try:
                    return zf.start_client(self.hosts, timeout=timeout)
                except Exception:
                    return None
            self._zk = df.wait_for(connect, 15, "a session with %s"
                                   % self.hosts, interval=0.1)
            self.clients.append(self._zk)
        return self._zk

    def new_client(self, timeout=10.0):
        c = zf.start_client(self.hosts, timeout=timeout)
        self.clients.append(c)
        return c

    def register(self, name, data, ephemeral=True, client=None):
        zk = client or self.client()
        if isinstance(data, str):
            data = data.encode()
        return zk.create(self.path + "/" + name, data, ephemeral=ephemeral,
                         makepath=True)

    def unregister(self, name):
        self.client().delete(self.path + "/" + name)

    def backend(self):
        b = Backend()
        self.backends.append(b)
        return b

    def proc_backend(self, name, timeout=10.0, data=None):
        b = ProcBackend(self.hosts, self.path, name, timeout=timeout,
                        data=data)
        self.backends.append(b)
        return b

    # -- traffic -----------------------------------------------------------

    def get(self, path="/", timeout=5.0, port=None):
        """(status, body) of one request on a fresh connection."""
        c = http.client.HTTPConnection("127.0.0.1", port or self.port,
                                       timeout=df.scaled(timeout))
        try:
            c.request("GET", path)
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def ports(self, n=20, workers=None, port=None):
        """The backend ports that answered <n> requests (0: a non-200);
        <workers>, a dict, gets the ports each worker pid used."""
        out = Counter()
        for _ in range(n):
            status, body = self.get(port=port)
            if status == 200 and body.startswith(b"backend "):
                words = body.split()
                out[int(words[1])] += 1
                if workers is not None:
                    workers.setdefault(words[2].decode(), set()).add(
                        int(words[1]))
            else:
                out[0] += 1
        return out

    def wait_routable(self, ports, timeout=5.0, n=20):
        """Until <n> requests in a row reach exactly the set <ports>."""
        ports = set(ports)

        def check():
            seen = self.ports(n)
            return set(seen) == ports and seen
        return df.wait_for(check, timeout, "traffic to exactly %s"
                           % sorted(ports))

    def time_until(self, cond, timeout=5.0):
        """Seconds until cond() (polled back to back) is true."""
        t0 = time.monotonic()
        deadline = t0 + df.scaled(timeout)
        while True:
            if cond():
                return time.monotonic() - t0
            if time.monotonic() > deadline:
                raise df.WaitTimeout("condition not met in %.1fs" % timeout)

    def cleanup(self):
        for c in self.clients:
            try:
                zf.stop_client(c)
            except Exception:
                pass
        for b in self.backends:
            try:
                if isinstance(b, Backend):
                    b.stop()
                else:
                    b.kill()
            except Exception:
                pass


class Load:
    """Back-to-back requests from <threads> threads until stop(): counts of
    answers by backend port and the failures (anything but a 200)."""

    def __init__(self, disco, threads=4):
        self.disco = disco
        self.seen = Counter()
        self.failures = []
        self.requests = 0
        self.lock = threading.Lock()
        self.running = True
        self.threads = [threading.Thread(target=self._run, daemon=True)
                        for _ in range(threads)]
        for t in self.threads:
            t.start()

    def _run(self):
        while self.running:
            try:
                status, body = self.disco.get(timeout=10)
                ok = status == 200 and body.startswith(b"backend ")
            except Exception as e:      # noqa: BLE001 -- any failure counts
                status, body, ok = None, repr(e).encode(), False
            with self.lock:
                self.requests += 1
                if ok:
                    self.seen[int(body.split()[1])] += 1
                else:
                    self.failures.append((status, body[:200]))

    def snapshot(self):
        with self.lock:
            return Counter(self.seen)

    def stop(self):
        self.running = False
        for t in self.threads:
            t.join(timeout=15)
        return self


_discover_only = None


def discover_only_supported():
    """(ok, reason): does the binary take an upstream with `discover` and
    no `server`? Asked once with -t."""
    global _discover_only
    if _discover_only is None:
        d = df.Drover()
        try:
            text = df.main_conf(
                "http {\n upstream app {\n  zone app 64k;\n"
                "  discover zk://127.0.0.1:1/a;\n }\n"
                " server {\n  listen 127.0.0.1:%d;\n"
                "  location / { proxy_pass http://app; }\n }\n}\n"
                % d.port())
            rc, out, err = d.test_config(text)
            _discover_only = (rc == 0, (out + err).strip())
        finally:
            d.cleanup()
    return _discover_only


@pytest.fixture
def disco(drover, registry, request):
    ok, reason = discover_only_supported()
    if not ok and "static_servers" not in request.node.name:
        pytest.skip("the binary refuses an upstream with only `discover`: "
                    "%s" % reason)
    d = Discovery(drover, registry, request.node.name)
    yield d
    d.cleanup()
