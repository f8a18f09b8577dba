"""
The configuration language (nginx's grammar) and the main/events
directives: every error class is an [emerg] naming the reason and
file:line, exit code 1; good values are accepted; a bad config at start
exits non-zero before writing the pid file.
"""

import os
import re

import pytest

import drover_fixture as df

emerg_re = df.emerg_re


def assert_t_fails(drover, conf, msg, line=None, path=None):
    """-t on <conf> fails with [emerg] <msg> at <path>:<line> (<line> None:
    the last line of <conf>)."""
    rc, out, err = drover.test_config(conf)
    path = path or drover.conf_path
    if line is None:
        line = conf.rstrip("\n").count("\n") + 1
    assert rc == 1, err
    assert re.search(emerg_re(msg, "%s:%d" % (path, line)), err), err
    assert "%s: configuration file %s test failed" % (drover.name, drover.conf_path) in err
    assert "syntax is ok" not in err
    return err


def line_of(conf, text):
    return conf.splitlines().index(text) + 1


# ------------------------------------------------------------- error classes

BAD_CONFIGS = [
    # (id, text appended on the last line, expected [emerg] message)
    ("unknown_directive", "foo;", r'unknown directive "foo"'),
    ("not_allowed_here", "worker_connections 10;",
     r'"worker_connections" directive is not allowed here'),
    ("nargs_none", "worker_processes;",
     r'invalid number of arguments in "worker_processes" directive'),
    ("nargs_many", "pid a b;",
     r'invalid number of arguments in "pid" directive'),
    ("invalid_value", "worker_processes abc;",
     r'"worker_processes" directive invalid value'),
    ("flag_value", "master_process maybe;",
     r'invalid value "maybe" in "master_process" directive, it must be "on" or "off"'),
    ("unexpected_brace", "}",
     r'unexpected "}"'),
    ("no_opening_brace", "events;",
     r'directive "events" has no opening "{"'),
    ("not_terminated", "daemon {}",
     r'directive "daemon" is not terminated by ";"'),
    ("include_nargs", "include;",
     r'invalid number of arguments in "include" directive'),
]


@pytest.mark.parametrize("case", BAD_CONFIGS, ids=[c[0] for c in BAD_CONFIGS])
def test_t_bad_file_reports_reason_and_location(drover, case):
    name, text, msg = case
    conf = drover.config(worker_processes=None, events=None) + "events {\n}\n" + text + "\n"
    assert_t_fails(drover, conf, msg)


def test_unexpected_end_of_file_in_block(drover):
    conf = drover.config(events=None) + "events {\n    worker_connections 10;\n"
    # the end of file is on the line after the last newline
    assert_t_fails(drover, conf, r'unexpected end of file, expecting "}"',
                   line=conf.count("\n") + 1)


def test_unexpected_end_of_file_in_directive(drover):
    conf = drover.config() + "worker_rlimit_nofile 1024"
    assert_t_fails(drover, conf, r'unexpected end of file, expecting ";" or "}"')


def test_unterminated_quoted_string(drover):
    conf = drover.config() + 'env "UNTERMINATED;\n'
    if drover.flavour.is_drover:
        # drover names the quote and the line where it opens
        assert_t_fails(drover, conf, r'unterminated quoted string',
                       line=conf.count("\n"))
    else:
        # nginx reports the end of file it runs into
        assert_t_fails(drover, conf, r'unexpected end of file, expecting ";" or "}"',
                       line=conf.count("\n") + 1)


def test_error_line_counts_comments_and_blank_lines(drover):
    conf = ("# a comment\n\nworker_processes 1; # trailing comment\n"
            "events {\n    # inside\n}\n\n\nbogus on;\n")
    assert_t_fails(drover, conf, r'unknown directive "bogus"', line=9)


def test_error_line_inside_multiline_directive(drover):
    conf = drover.config() + "env\n    A=1\n    B=2;\n"
    # the error is reported where the directive ends
    assert_t_fails(drover, conf, r'invalid number of arguments in "env" directive')


# ------------------------------------------------------------- lexical


def test_quotes_escapes_and_variables_are_accepted(drover):
    conf = drover.config(main="\n".join([
        "env 'A=x\\'y';",
        'env "B=a b";',
        "env C=\\;;",
        'env "D={;}";',
        "env 'E=$host${x}';",
        'env "F=tab\\tnewline\\n";',
        "env\tG=1 ;",
        "env H=1;env I=2;",
    ]))
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err
    assert "syntax is ok" in err


def test_quoted_directive_name(drover):
    conf = drover.config(main='"env" A;')
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err


def test_T_dump_is_byte_exact(drover):
    conf = drover.config(main="env   'A=x\\'y' ;   # kept as written\n\n\n")
    drover.write_conf(conf)
    rc, out, err = drover.run("-T")
    assert rc == 0, err
    assert "# configuration file %s:\n%s" % (drover.conf_path, conf) in out


# ------------------------------------------------------------- include


def test_include_of_missing_file_is_an_error(drover):
    conf = drover.config(main="include nothere.conf;")
    assert_t_fails(drover, conf,
                   r'open\(\) "%s" failed \(2: No such file or directory\)'
                   % re.escape(str(drover.conf_dir / "nothere.conf")),
                   line=line_of(conf, "include nothere.conf;"))


def test_include_glob_without_match_is_not_an_error(drover):
    rc, out, err = drover.test_config(drover.config(main="include nothere/*.conf;"))
    assert rc == 0, err
    assert "syntax is ok" in err


def test_error_inside_include_names_the_included_file(drover):
    inc = drover.write_conf("env OK;\n\nbar 1;\n", "sub/inc.conf")
    conf = drover.config(main="include sub/inc.conf;")
    rc, out, err = drover.test_config(conf)
    assert rc == 1
    assert re.search(emerg_re(r'unknown directive "bar"', "%s:3" % inc), err), err
    # and the main file's lines are counted right after the include
    conf = drover.config(main="include sub/ok.conf;\nbaz;")
    drover.write_conf("env OK;\n\n\n\n", "sub/ok.conf")
    assert_t_fails(drover, conf, r'unknown directive "baz"', line=line_of(conf, "baz;"))


def test_include_inside_block(drover):
    drover.write_conf("worker_connections 77;\nmulti_accept on;\n", "ev.conf")
    conf = drover.config(events="include ev.conf;")
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err
    # and the context carries into the included file
    drover.write_conf("worker_processes 1;\n", "ev.conf")
    assert_t_fails(drover, drover.config(worker_processes=None, events="include ev.conf;"),
                   r'"worker_processes" directive is not allowed here', line=1,
                   path=drover.conf_dir / "ev.conf")


def test_nested_include_resolves_against_main_config_directory(drover):
    # as nginx: every relative include is relative to the directory of the
    # main config file, not to the including file's directory
    drover.write_conf("include sub/b.conf;\n", "sub/a.conf")
    drover.write_conf("env FROM_B;\n", "sub/b.conf")
    rc, out, err = drover.test_config(drover.config(main="include sub/a.conf;"))
    assert rc == 0, err


def test_include_glob_matches_in_sorted_order(drover):
    for n in ("c", "a", "b"):
        drover.write_conf("env %s=1;\n" % n.upper(), "many/%s.conf" % n)
    drover.write_conf(drover.config(main="include many/*.conf;"))
    rc, out, err = drover.run("-T")
    assert rc == 0, err
    order = re.findall(r"^# configuration file .*/many/(\w)\.conf:$", out, re.M)
    assert order == ["a", "b", "c"], out


def test_absolute_include(drover):
    other = drover.base / "elsewhere.conf"
    other.write_text("env ABS=1;\n")
    rc, out, err = drover.test_config(drover.config(main="include %s;" % other))
    assert rc == 0, err


# ------------------------------------------------------------- directives


def test_all_main_and_events_directives_accepted(drover):
    main = "\n".join([
        "master_process on;",
        "worker_rlimit_nofile 4096;",
        "worker_shutdown_timeout 10s;",
        "env TZ;",
        "env DROVER_TEST=1;",
    ])
    events = "worker_connections 512;\n    use epoll;\n    multi_accept on;\n    accept_mutex off;"
    conf = drover.config(worker_processes="auto", main=main, events=events)
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err


@pytest.mark.parametrize("level", ["debug", "info", "notice", "warn", "error",
                                   "crit", "alert", "emerg"])
def test_error_log_levels(drover, level):
    rc, out, err = drover.test_config(drover.config(error_log="logs/error.log " + level))
    assert rc == 0, err


def test_error_log_stderr(drover):
    rc, out, err = drover.test_config(drover.config(error_log="stderr info"))
    assert rc == 0, err


@pytest.mark.parametrize("value", ["1", "2", "16", "auto"])
def test_worker_processes_values(drover, value):
    rc, out, err = drover.test_config(drover.config(worker_processes=value))
    assert rc == 0, err


@pytest.mark.parametrize("value", ["5s", "100ms", "1m", "0", "30"])
def test_worker_shutdown_timeout_values(drover, value):
    rc, out, err = drover.test_config(drover.config(main="worker_shutdown_timeout %s;" % value))
    assert rc == 0, err


BAD_VALUES = [
    ("daemon", "daemon maybe;",
     r'invalid value "maybe" in "daemon" directive, it must be "on" or "off"'),
    ("error_log_level", "error_log logs/x.log loud;", r'invalid log level "loud"'),
    ("worker_rlimit_nofile", "worker_rlimit_nofile x;",
     r'"worker_rlimit_nofile" directive invalid number'),
    ("worker_shutdown_timeout", "worker_shutdown_timeout 10x;",
     r'"worker_shutdown_timeout" directive invalid value'),
    ("duplicate_daemon", "daemon on;", r'"daemon" directive is duplicate'),
    ("duplicate_pid", "pid logs/other.pid;", r'"pid" directive is duplicate'),
    ("duplicate_events", "events {}", r'"events" directive is duplicate'),
]


@pytest.mark.parametrize("case", BAD_VALUES, ids=[c[0] for c in BAD_VALUES])
def test_bad_main_values(drover, case):
    name, text, msg = case
    conf = drover.config(daemon=None if name == "daemon" else False) + text + "\n"
    assert_t_fails(drover, conf, msg)


BAD_EVENTS = [
    ("use", "use kqueue;", r'invalid event type "kqueue"'),
    ("worker_connections", "worker_connections abc;", r'invalid number "abc"'),
    ("multi_accept", "multi_accept yes;",
     r'invalid value "yes" in "multi_accept" directive, it must be "on" or "off"'),
    ("accept_mutex", "accept_mutex 1;",
     r'invalid value "1" in "accept_mutex" directive, it must be "on" or "off"'),
    ("nargs", "worker_connections 1 2;",
     r'invalid number of arguments in "worker_connections" directive'),
    ("main_in_events", "pid x.pid;", r'"pid" directive is not allowed here'),
]


@pytest.mark.parametrize("case", BAD_EVENTS, ids=[c[0] for c in BAD_EVENTS])
def test_bad_events_values(drover, case):
    name, text, msg = case
    conf = drover.config(events=text)
    assert_t_fails(drover, conf, msg, line=line_of(conf, "    " + text))


@pytest.mark.skipif(os.geteuid() != 0, reason="user is checked only as root")
def test_user_unknown(drover):
    conf = drover.config(main="user nosuchuserzz;")
    assert_t_fails(drover, conf, r'getpwnam\("nosuchuserzz"\) failed',
                   line=line_of(conf, "user nosuchuserzz;"))


@pytest.mark.skipif(os.geteuid() != 0, reason="user is checked only as root")
def test_user_unknown_group(drover):
    conf = drover.config(main="user nobody nosuchgroupzz;")
    assert_t_fails(drover, conf, r'getgrnam\("nosuchgroupzz"\) failed',
                   line=line_of(conf, "user nobody nosuchgroupzz;"))


# ------------------------------------------------------------- at start


@pytest.mark.parametrize("bad", ["foo;", "worker_processes abc;", "events {"])
def test_bad_config_at_start_exits_before_pid_file(drover, bad):
    conf = drover.config(worker_processes=None) + bad + "\n"
    rc, out, err = drover.start_fail(conf)
    assert rc != 0
    assert "[emerg]" in err + drover.log_text()
    assert drover.pid() is None
    assert not drover.pid_path.exists()


def test_bad_config_at_start_daemon_on(drover):
    conf = drover.config(daemon=True) + "foo;\n"
    rc, out, err = drover.start_fail(conf)
    assert rc != 0
    assert re.search(emerg_re(r'unknown directive "foo"'), err + drover.log_text())
    assert not drover.pid_path.exists()


def test_unwritable_pid_path_fails_at_start(drover):
    conf = drover.config(pid="no/such/dir/drover.pid")
    rc, out, err = drover.start_fail(conf)
    assert rc != 0
    assert re.search(r'\[emerg\] (\d+#\d+: )?open\(\) "%s" failed'
                     % re.escape(str(drover.path("no/such/dir/drover.pid"))),
                     err + drover.log_text()), err


def test_secondary_directives_accepted(drover):
    conf = drover.config(main="timer_resolution 100ms;\nworker_rlimit_core 500m;",
                         events="accept_mutex on;\n    accept_mutex_delay 200ms;")
    rc, out, err = drover.test_config(conf)
    assert rc == 0, err


@pytest.mark.drover_only
@pytest.mark.parametrize("value", ["0", "513"])
def test_worker_processes_out_of_range(drover, value):
    # nginx takes 0 (and runs no worker); drover bounds the count
    conf = drover.config(worker_processes=value)
    assert_t_fails(drover, conf,
                   r'"worker_processes" directive must be between 1 and 512 \(or "auto"\)',
                   line=line_of(conf, "worker_processes %s;" % value))
