"""
The process model: a master and N workers (its children), process titles,
daemon and master_process modes, privileges and limits of workers, the pid
file and the error log's line format.
"""

import os
import pwd
import re
import signal

import pytest

import drover_fixture as df


def test_master_and_two_workers(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    assert drover.launcher.pid == master          # daemon off: stays in the foreground
    workers = drover.worker_pids()
    assert len(workers) == 2
    for w in workers:
        assert df.ppid_of(w) == master
    # nothing else but the workers is a child of the master here
    assert sorted(drover.children()) == sorted(workers)


def test_worker_processes_default_is_one(drover):
    drover.start(drover.config(worker_processes=None), workers=1)


def test_worker_processes_auto_is_cpu_count(drover):
    drover.start(drover.config(worker_processes="auto"))
    want = df.ncpu_candidates()
    workers = df.wait_for(lambda: (lambda w: w if len(w) in want else None)(drover.worker_pids()),
                          5, "worker count in %s" % want)
    df.stays(lambda: len(drover.worker_pids()) == len(workers), 0.2)


def test_process_titles(drover):
    master = drover.start(drover.config(worker_processes=2), workers=2)
    title = df.cmdline(master)
    # nginx: "nginx: master process /usr/sbin/nginx -p ... -c ..."
    assert title.startswith(drover.flavour.master_title() + " "), title
    assert drover.bin in title and "-c conf/drover.conf" in title, title
    for w in drover.worker_pids():
        assert df.cmdline(w) == drover.flavour.worker_title(), df.cmdline(w)


def test_pid_file_content(drover):
    master = drover.start(drover.config())
    assert drover.pid_path.read_text() == "%d\n" % master


def test_log_names_each_started_worker(drover):
    drover.start(drover.config(worker_processes=2), workers=2)
    for w in drover.worker_pids():
        drover.wait_for_log(r"\[notice\] %d#\d+: start worker process %d$"
                            % (drover.master_pid, w))


LOG_LINE = re.compile(r"^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d "
                      r"\[(debug|info|notice|warn|error|crit|alert|emerg)\] "
                      r"\d+#\d+: (\*\d+ )?\S")


def test_error_log_line_format(drover):
    drover.start(drover.config(worker_processes=2), workers=2)
    drover.signal(signal.SIGHUP)
    drover.wait_for_log("reconfiguring")
    assert drover.stop() == 0
    lines = drover.log_lines()
    assert lines
    for l in lines:
        assert LOG_LINE.match(l), l
    # pid#tid: the master's own lines carry its pid
    assert any(l.split()[3] == "%d#%d:" % (drover.master_pid, drover.master_pid)
               for l in lines), lines


def test_master_process_off_runs_one_process(drover):
    pid = drover.start(drover.config(worker_processes=2, main="master_process off;"))
    df.stays(lambda: drover.children(pid) == [], 0.3, "no child processes")
    assert pid == drover.launcher.pid
    drover.signal(signal.SIGQUIT)
    assert drover.wait_exit() == 0
    assert not drover.pid_path.exists()


def test_daemon_on_detaches(drover):
    master = drover.start(drover.config(daemon=True, worker_processes=2), workers=2)
    assert drover.launcher.wait(timeout=5) == 0
    assert master != drover.launcher.pid
    assert df.ppid_of(master) != os.getpid()
    with open("/proc/%d/stat" % master) as f:
        session = int(f.read().rsplit(")", 1)[1].split()[3])
    assert session == master                      # setsid()
    drover.signal(signal.SIGQUIT)
    drover.wait_exit(master)
    df.wait_for(lambda: not drover.pid_path.exists(), 5, "pid file removal")


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to switch users")
def test_workers_run_as_user(drover):
    nobody = pwd.getpwnam("nobody")
    drover.start(drover.config(worker_processes=2, main="user nobody nogroup;"), workers=2)
    assert df.proc_status_field(drover.master_pid, "Uid")[0] == "0"
    for w in drover.worker_pids():
        uids = df.proc_status_field(w, "Uid")
        assert all(u == str(nobody.pw_uid) for u in uids), uids


def test_worker_rlimit_nofile(drover):
    drover.start(drover.config(worker_processes=2, main="worker_rlimit_nofile 2048;"),
                 workers=2)
    for w in drover.worker_pids():
        assert df.proc_limit(w, "Max open files") == "2048"
