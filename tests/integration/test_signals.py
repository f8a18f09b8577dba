"""
Signals, as nginx's: HUP reload (good and bad config), a killed worker is
respawned, QUIT graceful / TERM and INT fast shutdown, USR1 reopens the
logs in every process, WINCH stops the workers, USR2 + WINCH + QUIT
upgrades the binary. The "no refused connection" parts need a listening
socket; they skip, with the binary's own -t message as the reason, until the
binary accepts DROVER_TEST_LISTENER (the http issue).
"""

import os
import signal

import pytest

import drover_fixture as df

LISTENER_OK, LISTENER_REASON = df.listener_probe()
needs_listener = pytest.mark.skipif(not LISTENER_OK, reason=LISTENER_REASON or "n/a")


# ------------------------------------------------------------- HUP


def test_hup_good_config_replaces_workers(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    old = drover.worker_pids()
    mark = drover.log_mark()
    drover.write_conf(drover.config(worker_processes=3))
    drover.signal(signal.SIGHUP)
    drover.wait_for_log(r"reconfiguring", since=mark)
    new = drover.wait_workers(3, exclude=old)
    drover.wait_gone(old)
    assert len(set(new)) == 3
    assert drover.pid() == master and df.alive(master)
    assert drover.worker_pids() == new


def test_hup_bad_config_keeps_old_workers(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    old = drover.worker_pids()
    bad = drover.config(worker_processes=3) + "foo bar;\n"
    line = bad.count("\n")
    drover.write_conf(bad)
    mark = drover.log_mark()
    drover.signal(signal.SIGHUP)
    drover.wait_for_log(df.emerg_re(r'unknown directive "foo"',
                                    "%s:%d" % (drover.conf_path, line)), since=mark)
    df.stays(lambda: drover.worker_pids() == old and df.alive(master), 0.5,
             "old workers %s unchanged" % old)
    assert drover.pid() == master
    # still in charge: the next good reload works
    drover.write_conf(drover.config(worker_processes=1))
    drover.signal(signal.SIGHUP)
    drover.wait_workers(1, exclude=old)
    drover.wait_gone(old)


def test_hup_missing_include_keeps_old_workers(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    old = drover.worker_pids()
    drover.write_conf(drover.config(worker_processes=2, main="include missing.conf;"))
    mark = drover.log_mark()
    drover.signal(signal.SIGHUP)
    drover.wait_for_log(r"\[emerg\].*missing\.conf", since=mark)
    df.stays(lambda: drover.worker_pids() == old, 0.3)
    assert df.alive(master)


# ------------------------------------------------------------- respawn


def test_killed_worker_is_logged_and_respawned(drover):
    drover.expect_log(r"exited on signal 9")
    drover.start(drover.config(worker_processes=2), workers=2)
    old = drover.worker_pids()
    victim = old[0]
    os.kill(victim, signal.SIGKILL)
    drover.wait_for_log(r"worker process %d exited on signal 9" % victim)
    new = drover.wait_workers(2, exclude=[victim], timeout=10)
    assert old[1] in new


def test_worker_killed_twice_is_respawned_again(drover):
    drover.expect_log(r"exited on signal 9")
    drover.start(drover.config(worker_processes=1), workers=1)
    for _ in range(2):
        w = drover.worker_pids()[0]
        os.kill(w, signal.SIGKILL)
        drover.wait_for_log(r"worker process %d exited on signal 9" % w)
        drover.wait_workers(1, exclude=[w], timeout=10)


# ------------------------------------------------------------- shutdown


def test_quit_is_graceful_and_exits_zero(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    workers = drover.worker_pids()
    mark = drover.log_mark()
    drover.signal(signal.SIGQUIT)
    assert drover.wait_exit() == 0
    drover.wait_gone(workers)
    assert not drover.pid_path.exists()
    assert drover.grep_log(r"signal 3 \(SIGQUIT\) received", since=mark)
    for w in workers:
        assert drover.grep_log(r"\[notice\] %d#\d+: (gracefully shutting down|exiting)" % w,
                               since=mark), w
    assert drover.grep_log(r"\[notice\] %d#\d+: exit$" % master, since=mark)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["TERM", "INT"])
def test_fast_shutdown_exits_zero(drover, sig):
    drover.start(drover.config(worker_processes=2), workers=2)
    workers = drover.worker_pids()
    drover.signal(sig)
    assert drover.wait_exit() == 0
    drover.wait_gone(workers)
    assert not drover.pid_path.exists()


# ------------------------------------------------------------- USR1


def test_usr1_reopens_logs_in_master_and_workers(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    workers = drover.worker_pids()
    moved = drover.logs_dir / "error.log.1"
    os.rename(drover.error_log, moved)
    drover.signal(signal.SIGUSR1)
    df.wait_for(drover.error_log.exists, 5, "a new %s" % drover.error_log)
    # the lines about this reopen went to the file each process had open:
    # wait until every process has reopened, then ask again
    for p in [master] + workers:
        drover.wait_for_log(r"\[notice\] %d#\d+: reopening logs" % p, path=moved)
    drover.signal(signal.SIGUSR1)
    for p in [master] + workers:
        drover.wait_for_log(r"\[notice\] %d#\d+: reopening logs" % p)
    # each process said "reopening logs" once in the old file, the second
    # time in the new one
    assert len(drover.grep_log(r"\d+#\d+: reopening logs$", path=moved)) == len(workers) + 1


# ------------------------------------------------------------- WINCH, USR2


def test_winch_stops_workers_master_stays(drover):
    # as nginx: WINCH is honoured only by a daemonized master
    master = drover.start(drover.config(daemon=True, worker_processes=2), workers=2)
    workers = drover.worker_pids()
    drover.signal(signal.SIGWINCH)
    drover.wait_gone(workers)
    df.stays(lambda: df.alive(master) and drover.worker_pids() == [], 0.3,
             "master alive with no workers")


def _upgrade(drover, during=None):
    """USR2 -> new master (child of the old one), WINCH -> old workers
    leave, QUIT -> old master leaves. Returns the new master's pid."""
    old = drover.master_pid
    old_workers = drover.worker_pids()
    oldbin = drover.pid_path.parent / (drover.pid_path.name + ".oldbin")
    drover.signal(signal.SIGUSR2)
    df.wait_for(lambda: drover.pid(oldbin) == old, 5, "%s naming %d" % (oldbin, old))

    def new_master():
        p = drover.pid()
        return p if p and p != old and df.alive(p) else None
    new = df.wait_for(new_master, 5, "a new pid in %s" % drover.pid_path)
    drover.track(new)
    assert df.ppid_of(new) == old
    assert df.cmdline(new).startswith(drover.flavour.master_title()), df.cmdline(new)
    new_workers = drover.wait_workers(len(old_workers), master=new)
    # both generations run side by side until told otherwise
    assert all(df.alive(w) for w in old_workers)
    if during:
        during()
    drover.signal(signal.SIGWINCH, old)
    drover.wait_gone(old_workers)
    assert df.alive(old)
    drover.signal(signal.SIGQUIT, old)
    drover.wait_exit(old)
    df.wait_for(lambda: not oldbin.exists(), 5, "%s removed" % oldbin)
    assert drover.pid() == new and df.alive(new)
    assert drover.worker_pids(new) == new_workers
    drover.master_pid = new
    return new


def test_usr2_binary_upgrade_process_succession(drover):
    # daemon on: as nginx, a master whose parent is still the process that
    # started it ignores USR2 (the parent could be an old binary)
    drover.start(drover.config(daemon=True, worker_processes=2), workers=2)
    new = _upgrade(drover)
    # the new master is now on its own and fully in charge
    assert df.ppid_of(new) != drover.launcher.pid
    mark = drover.log_mark()
    drover.signal(signal.SIGHUP)
    drover.wait_for_log("reconfiguring", since=mark)


@needs_listener
def test_usr2_upgrade_refuses_no_connection(drover):
    drover.start(lambda d: d.config(df.listener_snippet(d.port()), daemon=True,
                                    worker_processes=2),
                 workers=2, ports=[drover.port()])
    port = drover.port()
    loop = df.ConnectLoop(port)
    loop.start()
    try:
        df.wait_for(lambda: loop.counts["ok"] > 0, 5, "a first connection")
        _upgrade(drover)
        ok_before = loop.counts["ok"]
        df.wait_for(lambda: loop.counts["ok"] > ok_before, 5, "connections after")
    finally:
        counts = loop.stop()
    assert counts["refused"] == 0 and counts["reset"] == 0 and \
        counts["timeout"] == 0 and counts["other"] == 0, (counts, loop.errors)


@needs_listener
def test_hup_refuses_no_connection(drover):
    drover.start(lambda d: d.config(df.listener_snippet(d.port()), worker_processes=2),
                 workers=2, ports=[drover.port()])
    loop = df.ConnectLoop(drover.port())
    loop.start()
    try:
        df.wait_for(lambda: loop.counts["ok"] > 0, 5, "a first connection")
        for n in (3, 1, 2):
            old = drover.worker_pids()
            drover.write_conf(drover.config(df.listener_snippet(drover.port()),
                                            worker_processes=n))
            drover.signal(signal.SIGHUP)
            drover.wait_workers(n, exclude=old)
            drover.wait_gone(old)
    finally:
        counts = loop.stop()
    assert counts["ok"] > 0
    assert counts["refused"] == 0 and counts["reset"] == 0 and \
        counts["timeout"] == 0 and counts["other"] == 0, (counts, loop.errors)


@needs_listener
def test_quit_closes_the_listener(drover):
    drover.start(lambda d: d.config(df.listener_snippet(d.port())),
                 workers=1, ports=[drover.port()])
    drover.signal(signal.SIGQUIT)
    assert drover.wait_exit() == 0
    assert not df.can_connect(drover.port())


@pytest.mark.drover_only
def test_usr2_upgrades_a_foreground_master(drover):
    # nginx ignores USR2 in a master whose parent is its launcher (so in
    # every daemon-off master); drover upgrades it. WINCH stays a daemon-only
    # signal, so the old master is told QUIT, which also drains its workers.
    old = drover.start(drover.config(worker_processes=2), workers=2)
    old_workers = drover.worker_pids()
    oldbin = drover.pid_path.parent / (drover.pid_path.name + ".oldbin")
    drover.signal(signal.SIGUSR2)
    df.wait_for(lambda: drover.pid(oldbin) == old, 5, "%s naming %d" % (oldbin, old))
    new = df.wait_for(lambda: (lambda p: p if p and p != old and df.alive(p) else None)(drover.pid()),
                      5, "a new master")
    drover.track(new)
    assert df.ppid_of(new) == old
    drover.wait_workers(2, master=new)
    # a second USR2 to either master is ignored while both run
    mark = drover.log_mark()
    drover.signal(signal.SIGUSR2, new)
    drover.signal(signal.SIGUSR2, old)
    drover.wait_for_log(r"signal 12 \(SIGUSR2\) received.*ignoring", since=mark, count=2)
    assert drover.pid() == new
    drover.signal(signal.SIGQUIT, old)
    assert drover.wait_exit(old) == 0
    drover.wait_gone(old_workers)
    df.wait_for(lambda: not oldbin.exists(), 5, "%s removed" % oldbin)
    assert drover.pid() == new and df.alive(new)
    drover.master_pid = new
