"""
The command line, as nginx's: -v -V -h -t -T -q -g -p -c -e -s.
Messages are nginx's with the program name in front ("drover: ...").
"""

import re
import signal

import pytest

import drover_fixture as df


emerg_re = df.emerg_re


# ------------------------------------------------------------- -v -V -h


def test_v_prints_version(drover):
    rc, out, err = drover.run_cli(["-v"])
    assert rc == 0
    assert re.search(r"^%s version: %s/\d+\.\d+\.\d+" % (drover.name, drover.name),
                     out + err, re.M), out + err


def test_V_prints_build_information(drover):
    rc, out, err = drover.run_cli(["-V"])
    text = out + err
    assert rc == 0
    assert re.search(r"^%s version: %s/" % (drover.name, drover.name), text, re.M)
    for line in drover.flavour.version_info:
        assert re.search(r"^" + re.escape(line), text, re.M), (line, text)


@pytest.mark.drover_only
def test_V_configure_arguments_are_the_ones_used(drover):
    # configure records its options; a default build may have none, but
    # the line must exist and end the output
    rc, out, err = drover.run_cli(["-V"])
    lines = (out + err).rstrip("\n").splitlines()
    assert lines[-1].startswith("configure arguments:"), lines


@pytest.mark.parametrize("opt", ["-h", "-?"])
def test_help_lists_options(drover, opt):
    rc, out, err = drover.run_cli([opt])
    text = out + err
    assert rc == 0
    assert "Usage: %s" % drover.name in text
    for o in ["-?,-h", "-v", "-V", "-t", "-T", "-q", "-s signal", "-p prefix",
              "-e filename", "-c filename", "-g directives"]:
        assert o in text, (o, text)
    assert "stop, quit, reopen, reload" in text


def test_unknown_option_fails(drover):
    rc, out, err = drover.run_cli(["-Z"])
    assert rc == 1
    assert '%s: invalid option: "Z"' % drover.name in err


@pytest.mark.parametrize("opt,what", [("-c", "requires file name"),
                                      ("-e", "requires file name"),
                                      ("-p", "requires directory name"),
                                      ("-g", "requires parameter"),
                                      ("-s", "requires parameter")])
def test_option_without_argument_fails(drover, opt, what):
    rc, out, err = drover.run_cli([opt])
    assert rc == 1
    assert 'option "%s" %s' % (opt, what) in err


def test_s_with_unknown_signal_fails(drover):
    rc, out, err = drover.run_cli(["-s", "foo"])
    assert rc == 1
    assert 'invalid option: "-s foo"' in err


# ------------------------------------------------------------- -t -q -T


def test_t_good_file(drover):
    rc, out, err = drover.test_config(drover.config())
    path = drover.conf_path
    assert rc == 0, err
    assert "%s: the configuration file %s syntax is ok" % (drover.name, path) in err
    assert "%s: configuration file %s test is successful" % (drover.name, path) in err
    # -t may create the pid file to test that it is writable (nginx does),
    # but never writes a pid into it
    assert drover.pid() is None


def test_q_t_is_silent_on_success(drover):
    drover.write_conf(drover.config())
    rc, out, err = drover.run("-q", "-t")
    assert rc == 0
    assert out == "" and err == ""
    rc, out, err = drover.run("-tq")
    assert rc == 0 and out == "" and err == ""


def test_q_t_still_reports_errors(drover):
    drover.write_conf(drover.config(main="foo;"))
    rc, out, err = drover.run("-q", "-t")
    assert rc == 1
    assert re.search(emerg_re('unknown directive "foo"'), err)


def test_T_dumps_main_file_and_includes(drover):
    inc1 = "env FROM_INC1;\n"
    inc2 = "# second include\nenv FROM_INC2;\n"
    drover.write_conf(inc1, "inc/a.conf")
    drover.write_conf(inc2, "inc/b.conf")
    main = drover.config(main="include inc/*.conf;")
    drover.write_conf(main)
    rc, out, err = drover.run("-T")
    assert rc == 0, err
    assert "syntax is ok" in err and "test is successful" in err
    files = [(drover.conf_path, main), (drover.conf_dir / "inc/a.conf", inc1),
             (drover.conf_dir / "inc/b.conf", inc2)]
    pos = 0
    for path, content in files:
        block = "# configuration file %s:\n%s" % (path, content)
        i = out.find(block, pos)
        assert i >= 0, (block, out)
        pos = i + len(block)


def test_T_on_bad_file_dumps_nothing_and_fails(drover):
    drover.write_conf(drover.config(main="foo;"))
    rc, out, err = drover.run("-T")
    assert rc == 1
    assert "# configuration file" not in out


def test_t_missing_config_file(drover):
    rc, out, err = drover.run("-t", conf="conf/absent.conf")
    assert rc == 1
    assert re.search(r'\[emerg\] (\d+#\d+: )?open\(\) "%s" failed \(2: No such file'
                     % re.escape(str(drover.conf_dir / "absent.conf")), err), err
    assert "test failed" in err


# ------------------------------------------------------------- -g


def test_g_applies_directives(drover):
    drover.start(drover.config(worker_processes=None), args=["-g", "worker_processes 3;"])
    drover.wait_workers(3)


def test_g_duplicate_with_file_is_an_error(drover):
    conf = drover.config(worker_processes=2)
    drover.write_conf(conf)
    rc, out, err = drover.run("-t", "-g", "worker_processes 3;")
    assert rc == 1
    line = conf.splitlines().index("worker_processes 2;") + 1
    assert re.search(emerg_re(r'"worker_processes" directive is duplicate',
                              "%s:%d" % (drover.conf_path, line)), err), err


def test_g_errors_say_command_line(drover):
    drover.write_conf(drover.config())
    rc, out, err = drover.run("-t", "-g", "foo;")
    assert rc == 1
    assert re.search(r'\[emerg\] (\d+#\d+: )?unknown directive "foo" in command line', err), err


# ------------------------------------------------------------- -p -c


def test_relative_c_resolves_against_prefix(drover):
    drover.write_conf(drover.config(), "alt/main.conf")
    rc, out, err = drover.run("-t", conf="conf/alt/main.conf")
    assert rc == 0, err
    assert "configuration file %s syntax is ok" % (drover.conf_dir / "alt/main.conf") in err


def test_absolute_c(drover):
    p = drover.write_conf(drover.config(), "abs.conf")
    rc, out, err = drover.run("-t", conf=str(p))
    assert rc == 0, err
    assert "configuration file %s syntax is ok" % p in err


def test_prefix_without_trailing_slash(drover):
    drover.write_conf(drover.config())
    rc, out, err = drover.run_cli(["-p", str(drover.prefix), "-c", "conf/drover.conf", "-t"])
    assert rc == 0, err
    assert "configuration file %s syntax is ok" % drover.conf_path in err


def test_includes_resolve_against_config_directory(drover):
    # the main file lives in <prefix>/site/; "include inc.conf" is
    # <prefix>/site/inc.conf, not <prefix>/conf/inc.conf
    (drover.prefix / "site").mkdir()
    drover.write_conf("worker_rlimit_nofile 2048;\n", str(drover.prefix / "site/inc.conf"))
    drover.write_conf("bogus_in_conf_dir;\n", "inc.conf")
    drover.write_conf(drover.config(main="include inc.conf;"),
                      str(drover.prefix / "site/main.conf"))
    rc, out, err = drover.run("-t", conf="site/main.conf")
    assert rc == 0, err


def test_relative_pid_and_error_log_resolve_against_prefix(drover):
    # the config is in a subdirectory; relative pid and error_log paths are
    # still relative to the prefix, and nothing lands in the working directory
    (drover.prefix / "site").mkdir()
    (drover.prefix / "run").mkdir()
    (drover.prefix / "var").mkdir()
    drover.write_conf(drover.config(pid="run/x.pid", error_log="var/x.log info"),
                      str(drover.prefix / "site/drover.conf"))
    drover.pid_path = drover.path("run/x.pid")
    drover.error_log = drover.path("var/x.log")
    pid = drover.start(conf_arg="site/drover.conf", workers=1)
    assert drover.pid(drover.path("run/x.pid")) == pid
    drover.wait_for_log(r"\[notice\]", path=drover.path("var/x.log"))
    for d in (drover.cwd / "run", drover.cwd / "var",
              drover.prefix / "site/run", drover.prefix / "site/var"):
        assert not d.exists(), d
    assert drover.stop() == 0


# ------------------------------------------------------------- -e


def test_e_stderr_sends_startup_errors_to_stderr(drover):
    drover.write_conf(drover.config(main="foo;"))
    rc, out, err = drover.run("-t", "-e", "stderr")
    assert rc == 1
    # the timestamped log format, on stderr
    assert re.search(r'^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: '
                     r'unknown directive "foo"', err, re.M), err


def test_e_file_receives_startup_errors(drover):
    drover.write_conf(drover.config(main="foo;"))
    rc, out, err = drover.run("-t", "-e", "logs/startup.log")
    assert rc == 1
    log = drover.path("logs/startup.log")
    assert re.search(r'^\d{4}/\d\d/\d\d \d\d:\d\d:\d\d \[emerg\] \d+#\d+: '
                     r'unknown directive "foo" in %s:' % re.escape(str(drover.conf_path)),
                     drover.log_text(log), re.M), drover.log_text(log)


def test_e_file_is_the_log_when_config_has_no_error_log(drover):
    drover.start(drover.config(error_log=None), args=["-e", "logs/custom.log"],
                 workers=1)
    log = drover.path("logs/custom.log")
    # default level is error; a reload with a broken file logs an [emerg]
    drover.write_conf(drover.config(error_log=None, main="foo;"))
    drover.signal(signal.SIGHUP)
    drover.wait_for_log(r'\[emerg\] \d+#\d+: unknown directive "foo"', path=log)
    assert not drover.path("logs/error.log").exists() or \
        "unknown directive" not in drover.log_text(drover.path("logs/error.log"))


# ------------------------------------------------------------- -s


def test_s_reload_reopen_quit(drover):
    drover.start(drover.config(worker_processes=1), workers=1)
    old = drover.worker_pids()
    mark = drover.log_mark()
    drover.write_conf(drover.config(worker_processes=2))
    rc, out, err = drover.run("-s", "reload")
    assert rc == 0, err
    drover.wait_for_log(r"reconfiguring", since=mark)
    drover.wait_workers(2, exclude=old)
    mark = drover.log_mark()
    rc, out, err = drover.run("-s", "reopen")
    assert rc == 0, err
    drover.wait_for_log(r"reopening logs", since=mark)
    rc, out, err = drover.run("-s", "quit")
    assert rc == 0, err
    assert drover.wait_exit() == 0
    assert not drover.pid_path.exists()


def test_s_stop(drover):
    drover.start(drover.config(), workers=1)
    rc, out, err = drover.run("-s", "stop")
    assert rc == 0, err
    assert drover.wait_exit() == 0
    assert not drover.pid_path.exists()


def test_s_without_running_master_fails(drover):
    drover.write_conf(drover.config())
    rc, out, err = drover.run("-s", "reload")
    assert rc == 1
    assert re.search(r'open\(\) "%s" failed \(2: No such file or directory\)'
                     % re.escape(str(drover.pid_path)), err), err
