"""
Drive the real drover binary (or Debian's nginx, which it mirrors) from pytest.

One Drover object owns one fresh prefix directory (conf/, logs/, html/) and
every master process started in it. It writes the configuration, starts the
binary as a user would (`$DROVER_BIN -p <prefix>/ -c conf/drover.conf`),
waits for it with deadline polls (never sleep-and-hope), looks at its
processes through /proc and at its error log, and at teardown stops what it
started (by pid: QUIT, then TERM, then KILL) and fails the test when a log
holds [alert]/[crit] lines, sanitizer reports or "exited on signal" lines
that the test did not declare expected (the nginx-tests rule).

What differs between drover and nginx (the program name in messages and
process titles, the variable that carries inherited sockets, -V's lines) is
in Flavour, read from `-v`, so the same tests validate the harness against
/usr/sbin/nginx: DROVER_BIN=/usr/sbin/nginx python3 -m pytest tests/integration

Environment:
  DROVER_BIN                  the binary (default: <repo>/objs/drover)
  DROVER_TEST_TIMEOUT_SCALE   multiply every timeout (sanitizer builds: 3)
  DROVER_TEST_TMPDIR          where prefixes are created (default: /tmp)
  DROVER_TEST_KEEP            keep prefixes of passing tests too
  DROVER_TEST_LISTENER        a config snippet with {port} that makes the
                              binary listen (default: an http/server/listen)
"""

import errno
import os
import re
import shutil
import signal as _signal
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

BAD_LOG_PATTERNS = [
    r"\[alert\]",
    r"\[crit\]",
    r"AddressSanitizer",
    r"LeakSanitizer",
    r"runtime error:",
    r"exited on signal",
]

DEFAULT_LISTENER = "http {{\n    server {{\n        listen 127.0.0.1:{port};\n    }}\n}}"


class WaitTimeout(AssertionError):
    pass


class StartError(AssertionError):
    pass


def timeout_scale():
    try:
        return float(os.environ.get("DROVER_TEST_TIMEOUT_SCALE", "1"))
    except ValueError:
        return 1.0


def scaled(seconds):
    return seconds * timeout_scale()


def wait_for(cond, timeout=5.0, what=None, interval=0.005):
    """Polls cond() until it returns a true value (which is returned) or the
    deadline passes (WaitTimeout naming <what>). The poll interval starts
    small and backs off to 50 ms, so fast events cost milliseconds."""
    deadline = time.monotonic() + scaled(timeout)
    while True:
        value = cond()
        if value:
            return value
        if time.monotonic() >= deadline:
            desc = what or getattr(cond, "__name__", repr(cond))
            raise WaitTimeout("timed out after %.1fs waiting for %s"
                              % (scaled(timeout), desc))
        time.sleep(interval)
        interval = min(interval * 2, 0.05)


def stays(cond, duration=0.3, what=None, interval=0.02):
    """Asserts that cond() stays true during <duration> seconds: the check
    for "nothing changes" (a bad reload must leave the workers alone)."""
    deadline = time.monotonic() + duration
    while True:
        if not cond():
            raise AssertionError("condition stopped holding: %s"
                                 % (what or getattr(cond, "__name__", cond)))
        if time.monotonic() >= deadline:
            return
        time.sleep(interval)


def run(argv, timeout=10, env=None, cwd=None):
    """Runs a command to completion: (rc, stdout, stderr) as str."""
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=scaled(timeout),
                       env=env, cwd=cwd)
    return (p.returncode, p.stdout.decode(errors="replace"),
            p.stderr.decode(errors="replace"))


def binary_path():
    b = os.environ.get("DROVER_BIN")
    if b:
        return os.path.abspath(b)
    return str(REPO / "objs" / "drover")


# ---------------------------------------------------------------- /proc


def proc_stat(pid):
    """(state, ppid) of <pid>, or None if there is no such process."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            data = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    rest = data[data.rindex(")") + 2:].split()
    return rest[0], int(rest[1])


def alive(pid):
    """True if <pid> exists and is not a zombie."""
    st = proc_stat(pid)
    return st is not None and st[0] not in ("Z", "X")


def ppid_of(pid):
    st = proc_stat(pid)
    return st[1] if st else None


def cmdline(pid):
    """The process title as ps shows it (setproctitle pads with spaces)."""
    try:
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return ""
    return raw.replace(b"\0", b" ").decode(errors="replace").strip()


def children(ppid):
    """Live children of <ppid> (the kernel here has no task/*/children, so
    this scans /proc/*/stat)."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        st = proc_stat(int(name))
        if st and st[1] == ppid and st[0] not in ("Z", "X"):
            out.append(int(name))
    return sorted(out)


def proc_status_field(pid, field):
    try:
        with open("/proc/%d/status" % pid) as f:
            for line in f:
                if line.startswith(field + ":"):
                    return line.split(":", 1)[1].split()
    except FileNotFoundError:
        return None
    return None


def proc_limit(pid, name):
    """Soft limit from /proc/<pid>/limits, e.g. proc_limit(p, "Max open files")."""
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith(name):
                return line[len(name):].split()[0]
    return None


def ncpu_candidates():
    """What `worker_processes auto` may resolve to: online CPUs (nginx) or
    the CPUs this process may run on."""
    c = {os.sysconf("SC_NPROCESSORS_ONLN")}
    try:
        c.add(len(os.sched_getaffinity(0)))
    except AttributeError:
        pass
    return c


# ---------------------------------------------------------------- ports

_ports_lock = threading.Lock()
_ports_handed = set()


def free_port():
    """A loopback TCP port that was free a moment ago and was not handed out
    before in this process. Races with other programs are possible: start()
    re-renders a callable config with new ports on EADDRINUSE."""
    with _ports_lock:
        for _ in range(100):
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            try:
                s.bind(("127.0.0.1", 0))
                port = s.getsockname()[1]
            finally:
                s.close()
            if port not in _ports_handed:
                _ports_handed.add(port)
                return port
    raise RuntimeError("no free port")


def can_connect(port, host="127.0.0.1", timeout=0.5):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


# ---------------------------------------------------------------- flavour


class Flavour:
    """What differs between drover and the nginx it mirrors."""

    def __init__(self, binary):
        self.binary = binary
        if not os.access(binary, os.X_OK):
            raise FileNotFoundError(binary)
        rc, out, err = run([binary, "-v"])
        m = re.search(r"^(\S+) version: (\S+?)/(\S+)", out + err, re.M)
        if rc != 0 or not m:
            raise RuntimeError("%s -v: rc=%d, output %r" % (binary, rc, out + err))
        self.name = m.group(1)          # "drover" | "nginx"
        self.product = m.group(2)
        self.version = m.group(3)
        self.env_var = self.name.upper()    # inherited listening sockets
        self.is_drover = self.name == "drover"
        # -V lines beyond the version; Debian builds nginx without "built by"
        self.version_info = ["built with OpenSSL", "configure arguments:"]
        if self.is_drover:
            self.version_info.insert(0, "built by")

    def master_title(self):
        return "%s: master process" % self.name

    def worker_title(self):
        return "%s: worker process" % self.name


_flavour = None


def flavour():
    global _flavour
    if _flavour is None:
        _flavour = Flavour(binary_path())
    return _flavour


# ---------------------------------------------------------------- config


def main_conf(body="", *, worker_processes=1, daemon=False,
              error_log="logs/error.log info", pid="logs/drover.pid",
              events="worker_connections 256;", main=""):
    """The main/events boilerplate around <body>. Any keyword set to None
    leaves its directive out (the binary's default applies)."""
    lines = []
    if worker_processes is not None:
        lines.append("worker_processes %s;" % worker_processes)
    if error_log is not None:
        lines.append("error_log %s;" % error_log)
    if pid is not None:
        lines.append("pid %s;" % pid)
    if daemon is not None:
        lines.append("daemon %s;" % ("on" if daemon else "off"))
    if main:
        lines.append(main.rstrip())
    if events is not None:
        lines.append("events {\n    %s\n}" % events.strip())
    if body:
        lines.append(body.rstrip())
    return "\n".join(lines) + "\n"


def _directive_arg(text, name):
    """First argument of the first `name arg...;` at the start of a line
    (good enough for the boilerplate-shaped configs the tests write)."""
    m = re.search(r"^\s*%s\s+([^\s;]+)" % re.escape(name), text, re.M)
    return m.group(1).strip("\"'") if m else None


# ---------------------------------------------------------------- Drover


class Drover:
    """One prefix and the masters started in it. See the module comment."""

    def __init__(self, base=None, fl=None):
        self.flavour = fl or flavour()
        self.bin = self.flavour.binary
        self.name = self.flavour.name
        if base is None:
            base = tempfile.mkdtemp(
                prefix="drover-test-",
                dir=os.environ.get("DROVER_TEST_TMPDIR", "/tmp"))
        self.base = Path(base)
        # workers run as nobody when the tests run as root: they must be
        # able to reach the prefix (USR1 makes them open logs by name)
        os.chmod(self.base, 0o755)
        self.prefix = self.base / "prefix"
        self.cwd = self.base            # not the prefix: catches cwd-relative bugs
        self.conf_dir = self.prefix / "conf"
        self.logs_dir = self.prefix / "logs"
        self.html_dir = self.prefix / "html"
        for d in (self.prefix, self.conf_dir, self.logs_dir, self.html_dir):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
        self.conf_path = self.conf_dir / "drover.conf"
        self.pid_path = self.logs_dir / "drover.pid"
        self.error_log = self.logs_dir / "error.log"
        self.master_pid = None
        self.launcher = None            # Popen of the last start()
        self._popens = {}               # pid -> Popen (our own children)
        self._masters = []              # every master pid seen, to stop
        self._expected = []             # regexes of bad lines that are fine
        self._ports = {}
        self._captures = []             # stdout/stderr files of launches
        self._nstart = 0

    # -- paths and config ------------------------------------------------

    @property
    def prefix_arg(self):
        return str(self.prefix) + "/"

    def path(self, rel):
        """<prefix>/<rel>: how the binary resolves a relative pid/log path."""
        return self.prefix / rel

    def port(self, name="default"):
        """A free loopback port, the same one for the same <name>."""
        if name not in self._ports:
            self._ports[name] = free_port()
        return self._ports[name]

    def config(self, body="", **kw):
        return main_conf(body, **kw)

    def write_conf(self, text, name="drover.conf"):
        """Writes <text> to <prefix>/conf/<name> (or an absolute path)."""
        p = Path(name)
        if not p.is_absolute():
            p = self.conf_dir / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
        return p

    def _track_paths(self, text):
        pid = _directive_arg(text, "pid")
        if pid:
            self.pid_path = self.path(pid) if not pid.startswith("/") else Path(pid)
        log = _directive_arg(text, "error_log")
        if log and log != "stderr":
            self.error_log = self.path(log) if not log.startswith("/") else Path(log)

    # -- command line ----------------------------------------------------

    def run_cli(self, args, timeout=10, env=None):
        """Runs the binary with exactly <args>: (rc, stdout, stderr)."""
        return run([self.bin] + [str(a) for a in args], timeout=timeout,
                   env=env, cwd=str(self.cwd))

    def run(self, *args, conf="conf/drover.conf", timeout=10):
        """Runs the binary with -p <prefix>/ -c <conf> and <args>."""
        return self.run_cli(["-p", self.prefix_arg, "-c", conf] + list(args),
                            timeout=timeout)

    def test_config(self, text=None, *args, name="drover.conf"):
        """`-t` on <text> (written to conf/<name>) or on the current file."""
        if text is not None:
            self.write_conf(text, name)
        return self.run("-t", *args, conf="conf/" + name)

    # -- starting --------------------------------------------------------

    def start(self, conf=None, *, args=(), workers=None, ports=(),
              timeout=5.0, retries=3, env=None, conf_arg="conf/drover.conf"):
        """Starts a master and waits until its pid file names a live process.

        <conf> is the config text (written to conf/drover.conf), or a
        callable(self) -> text that is rendered again with fresh ports if the
        start fails with EADDRINUSE, or None to use the files as they are.
        <conf_arg> is what -c gets.
        With daemon off the launched process is the master; with daemon on
        it must exit 0 and the pid file names the daemon. <workers>: wait for
        that many worker processes; <ports>: wait until they accept.
        Returns the master pid (also self.master_pid)."""
        for attempt in range(retries):
            text = conf(self) if callable(conf) else conf
            if text is not None:
                self.write_conf(text)
                self._track_paths(text)
            try:
                pid = self._launch(args, timeout, env, conf_arg)
            except StartError as e:
                if callable(conf) and "Address already in use" in str(e) \
                        and attempt + 1 < retries:
                    self._ports = {}
                    continue
                raise
            break
        if workers is not None:
            self.wait_workers(workers, timeout=timeout)
        for p in ports:
            wait_for(lambda: can_connect(p), timeout,
                     "127.0.0.1:%d to accept connections" % p)
        return pid

    def _launch(self, args, timeout, env, conf_arg):
        self._nstart += 1
        out = open(self.base / ("launch%d.out" % self._nstart), "wb")
        err = open(self.base / ("launch%d.err" % self._nstart), "wb")
        self._captures += [Path(out.name), Path(err.name)]
        argv = [self.bin, "-p", self.prefix_arg, "-c", conf_arg]
        argv += [str(a) for a in args]
        try:
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=err, cwd=str(self.cwd), env=env)
        finally:
            out.close()
            err.close()
        self.launcher = proc
        self._popens[proc.pid] = proc
        launched_at = time.time()

        def ready():
            pid = self._read_pid(self.pid_path, newer_than=launched_at - 1)
            if pid and alive(pid) and (pid == proc.pid or proc.poll() == 0):
                return pid
            rc = proc.poll()
            if rc is not None and rc != 0:
                raise StartError("%s exited with %d before writing %s\n%s"
                                 % (" ".join(argv), rc, self.pid_path,
                                    self._diag()))
            return None

        try:
            pid = wait_for(ready, timeout, "the pid file %s" % self.pid_path)
        except WaitTimeout as e:
            if proc.poll() is None:
                self._track_master(proc.pid)
            raise StartError("%s\n%s" % (e, self._diag()))
        self._track_master(pid)
        self.master_pid = pid
        return pid

    def start_fail(self, conf=None, *, args=(), timeout=5.0):
        """Starts the binary expecting it to fail: waits for its exit and
        returns (rc, stdout, stderr)."""
        if conf is not None:
            self.write_conf(conf)
            self._track_paths(conf)
        argv = ["-p", self.prefix_arg, "-c", "conf/drover.conf"] + list(args)
        p = subprocess.Popen([self.bin] + argv, stdin=subprocess.DEVNULL,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             cwd=str(self.cwd))
        self._popens[p.pid] = p
        try:
            out, err = p.communicate(timeout=scaled(timeout))
        except subprocess.TimeoutExpired:
            self._track_master(p.pid)
            raise AssertionError("expected %s to fail, it is still running"
                                 % argv)
        return p.returncode, out.decode(errors="replace"), err.decode(errors="replace")

    def _track_master(self, pid):
        if pid not in self._masters:
            self._masters.append(pid)

    def track(self, pid):
        """Makes teardown stop <pid> too (e.g. the master USR2 started)."""
        self._track_master(pid)

    @staticmethod
    def _read_pid(path, newer_than=None):
        try:
            st = os.stat(path)
            if newer_than is not None and st.st_mtime < newer_than:
                return None
            text = Path(path).read_text()
        except FileNotFoundError:
            return None
        if not text.endswith("\n") or not text.strip().isdigit():
            return None                 # not written completely yet
        return int(text)

    def pid(self, path=None):
        """The pid in the pid file (None if absent)."""
        return self._read_pid(path or self.pid_path)

    # -- processes -------------------------------------------------------

    def children(self, master=None):
        return children(master or self.master_pid)

    def worker_pids(self, master=None, include_exiting=False):
        """Worker processes of <master> (default: the current one). Workers
        told to stop retitle themselves "... is shutting down"; they are
        left out unless <include_exiting>."""
        out = []
        for c in children(master or self.master_pid):
            t = cmdline(c)
            if "worker process" not in t:
                continue
            if not include_exiting and "shutting down" in t:
                continue
            out.append(c)
        return out

    def wait_workers(self, n, master=None, timeout=5.0, exclude=()):
        """Waits until exactly <n> workers run, none of them in <exclude>;
        returns their pids."""
        exclude = set(exclude)

        def ok():
            w = self.worker_pids(master)
            return w if len(w) == n and not exclude & set(w) else None
        return wait_for(ok, timeout, "%d workers of %s (excluding %s), have %s"
                        % (n, master or self.master_pid, sorted(exclude),
                           self.worker_pids(master)))

    def wait_gone(self, pids, timeout=5.0):
        pids = list(pids)
        wait_for(lambda: not any(alive(p) for p in pids), timeout,
                 "processes %s to exit" % pids)
        for p in pids:
            self._reap(p)

    def _reap(self, pid):
        proc = self._popens.get(pid)
        if proc is not None:
            try:
                return proc.wait(timeout=scaled(5))
            except subprocess.TimeoutExpired:
                return None
        return None

    def signal(self, sig, pid=None):
        os.kill(pid or self.master_pid, sig)

    def wait_exit(self, pid=None, timeout=10.0):
        """Waits for <pid> (default: the master) to end; returns its exit
        status if it is our child (daemon off), else None."""
        pid = pid or self.master_pid
        proc = self._popens.get(pid)
        if proc is not None:
            try:
                return proc.wait(timeout=scaled(timeout))
            except subprocess.TimeoutExpired:
                raise WaitTimeout("process %d did not exit within %.1fs"
                                  % (pid, scaled(timeout)))
        wait_for(lambda: not alive(pid), timeout, "process %d to exit" % pid)
        return None

    def stop(self, pid=None, timeout=10.0):
        """QUIT, then TERM, then KILL <pid> (and its remaining children),
        each after a deadline. Returns the exit status if known."""
        pid = pid or self.master_pid
        if pid is None or not alive(pid):
            return self._reap(pid) if pid else None
        kids = children(pid)
        for sig, t in ((_signal.SIGQUIT, timeout), (_signal.SIGTERM, 5.0),
                       (_signal.SIGKILL, 5.0)):
            try:
                os.kill(pid, sig)
                os.kill(pid, _signal.SIGCONT)   # in case a test stopped it
            except ProcessLookupError:
                break
            try:
                status = self.wait_exit(pid, t)
                break
            except WaitTimeout:
                kids = sorted(set(kids) | set(children(pid)))
                continue
        else:
            status = None
        for k in kids:                  # orphans after a KILL
            if alive(k):
                try:
                    os.kill(k, _signal.SIGKILL)
                except ProcessLookupError:
                    pass
        return status

    # -- logs ------------------------------------------------------------

    def log_text(self, path=None):
        try:
            return Path(path or self.error_log).read_text(errors="replace")
        except FileNotFoundError:
            return ""

    def log_lines(self, path=None):
        return self.log_text(path).splitlines()

    def log_mark(self, path=None):
        """An offset to pass as since= so only later lines count."""
        try:
            return os.path.getsize(path or self.error_log)
        except FileNotFoundError:
            return 0

    def grep_log(self, regex, since=0, path=None):
        text = self.log_text(path)[since:]
        return [l for l in text.splitlines() if re.search(regex, l)]

    def wait_for_log(self, regex, timeout=5.0, since=0, path=None, count=1):
        """Waits until <count> lines after offset <since> match <regex>;
        returns the matching lines."""
        def found():
            lines = self.grep_log(regex, since, path)
            return lines if len(lines) >= count else None
        try:
            return wait_for(found, timeout, "log line /%s/ in %s"
                            % (regex, path or self.error_log))
        except WaitTimeout as e:
            raise WaitTimeout("%s\n--- log:\n%s" % (e, self.log_text(path)[-4000:]))

    def expect_log(self, regex):
        """Declares that lines matching <regex> (which teardown would treat
        as failures) are expected by this test."""
        self._expected.append(regex)

    def bad_log_lines(self):
        """[alert]/[crit]/sanitizer/"exited on signal" lines from every log
        and every captured stdout/stderr, minus the expected ones."""
        files = [p for p in self.logs_dir.rglob("*")
                 if p.is_file() and not p.name.endswith((".pid", ".oldbin"))]
        files += [p for p in self._captures if p.exists()]
        if self.error_log not in files and self.error_log.exists():
            files.append(self.error_log)
        bad = []
        for f in files:
            for line in self.log_lines(f):
                if any(re.search(b, line) for b in BAD_LOG_PATTERNS) and \
                        not any(re.search(e, line) for e in self._expected):
                    bad.append("%s: %s" % (f.name, line))
        return bad

    def _diag(self):
        parts = []
        for p in self._captures[-2:]:
            if p.exists() and p.stat().st_size:
                parts.append("--- %s:\n%s" % (p.name, p.read_text(errors="replace")[-3000:]))
        parts.append("--- %s:\n%s" % (self.error_log, self.log_text()[-3000:]))
        return "\n".join(parts)

    # -- teardown --------------------------------------------------------

    def teardown(self):
        """Stops every master we started (and the ones we were told about),
        then returns the bad log lines (the caller fails the test on them)."""
        errors = []
        for pid in reversed(self._masters):
            try:
                self.stop(pid)
            except Exception as e:      # keep stopping the others
                errors.append("stopping %d: %s" % (pid, e))
        for pid, proc in self._popens.items():
            if proc.poll() is None:
                try:
                    proc.kill()
                    proc.wait(timeout=5)
                except Exception:
                    pass
        return errors + self.bad_log_lines()

    def cleanup(self):
        shutil.rmtree(self.base, ignore_errors=True)


def emerg_re(msg, where=None):
    """A regex for an [emerg] line in either format the binary prints: the
    log's ("[emerg] 12#12: <msg> in f:1") or stderr's ("drover: [emerg]
    <msg> in f:1"). <msg> is a regex; <where> ("file:line") is literal."""
    r = r"\[emerg\] (\d+#\d+: )?" + msg
    if where:
        r += r" in " + re.escape(str(where))
    return r


# ---------------------------------------------------------------- listener


def listener_snippet(port):
    """Config text that makes the binary listen on 127.0.0.1:<port>."""
    tmpl = os.environ.get("DROVER_TEST_LISTENER", DEFAULT_LISTENER)
    return tmpl.format(port=port)


_listener_probe = None


def listener_probe():
    """(supported, reason): does the binary accept a listening socket in its
    config yet? Asked once with -t, so tests that need one skip with the
    binary's own reason until the http layer lands."""
    global _listener_probe
    if _listener_probe is not None:
        return _listener_probe
    try:
        d = Drover()
    except Exception as e:
        _listener_probe = (False, "binary not usable: %s" % e)
        return _listener_probe
    try:
        rc, out, err = d.test_config(main_conf(listener_snippet(free_port())))
        if rc == 0:
            _listener_probe = (True, "")
        else:
            first = [l for l in err.splitlines() if "[emerg]" in l][:1]
            _listener_probe = (False, "pending the http issue: %s -t rejects "
                               "a listener: %s" % (d.name, first[0] if first else err.strip()))
    finally:
        d.cleanup()
    return _listener_probe


class ConnectLoop(threading.Thread):
    """Connects to 127.0.0.1:<port> in a loop until stopped, counting the
    outcomes: every connection half-closes its side and waits for the
    server to close (EOF), so neither side leaves unread data (no RST from
    us). refused/reset/timeout are the failures a switch must not cause."""

    def __init__(self, port, read_timeout=3.0):
        super().__init__(daemon=True)
        self.port = port
        self.read_timeout = read_timeout
        self.counts = {"ok": 0, "refused": 0, "reset": 0, "timeout": 0, "other": 0}
        self.errors = []
        self._stop_ev = threading.Event()

    def run(self):
        while not self._stop_ev.is_set():
            self.counts[self._one()] += 1

    def _one(self):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(self.read_timeout)
        try:
            s.connect(("127.0.0.1", self.port))
            s.shutdown(socket.SHUT_WR)
            while s.recv(4096):
                pass
            return "ok"
        except ConnectionRefusedError:
            return "refused"
        except ConnectionResetError:
            return "reset"
        except socket.timeout:
            return "timeout"
        except OSError as e:
            self.errors.append(repr(e))
            return "other"
        finally:
            s.close()

    def stop(self):
        self._stop_ev.set()
        self.join(timeout=10)
        return self.counts


__all__ = [
    "Drover", "Flavour", "flavour", "binary_path", "main_conf", "wait_for",
    "stays", "WaitTimeout", "StartError", "alive", "cmdline", "children",
    "ppid_of", "proc_stat", "proc_status_field", "proc_limit", "free_port",
    "can_connect", "ncpu_candidates", "listener_snippet", "listener_probe",
    "ConnectLoop", "scaled", "run", "emerg_re",
]
