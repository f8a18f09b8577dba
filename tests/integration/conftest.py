"""
pytest wiring for the integration suite: the `drover` fixture (a fresh
prefix and teardown that fails the test on bad log lines) and the session
check that the binary exists. The machinery is in tests/lib/drover_fixture.py.

Run:  /usr/bin/python3 -m pytest tests/integration            (objs/drover)
      DROVER_BIN=/usr/sbin/nginx /usr/bin/python3 -m pytest tests/integration
"""

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "lib"))

import drover_fixture as df   # noqa: E402


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "drover_only: behaviour drover has and nginx has not")
    try:
        fl = df.flavour()
    except FileNotFoundError as e:
        raise pytest.UsageError(
            "drover binary not found or not executable: %s (build it with "
            "`make`, or set DROVER_BIN)" % e)
    except Exception as e:
        raise pytest.UsageError("cannot use %s: %s" % (df.binary_path(), e))
    config._drover_flavour = fl


def pytest_report_header(config):
    fl = getattr(config, "_drover_flavour", None)
    if fl:
        return "binary: %s (%s %s)" % (fl.binary, fl.name, fl.version)


def pytest_collection_modifyitems(config, items):
    fl = config._drover_flavour
    if fl.is_drover:
        return
    skip = pytest.mark.skip(reason="drover-only behaviour (binary is %s)" % fl.name)
    for item in items:
        if "drover_only" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def flavour():
    return df.flavour()


@pytest.fixture
def drover(request):
    """A fresh prefix (conf/ logs/ html/) and everything started in it.
    Teardown stops the masters by pid and fails the test on [alert], [crit],
    sanitizer or "exited on signal" lines not declared with expect_log()."""
    d = df.Drover()
    yield d
    bad = d.teardown()
    call = getattr(request.node, "rep_call", None)
    passed = call is not None and call.passed
    if passed and not bad and not os.environ.get("DROVER_TEST_KEEP"):
        d.cleanup()
    if bad:
        pytest.fail("bad lines in the logs of %s:\n  %s"
                    % (d.prefix, "\n  ".join(bad)), pytrace=False)
    elif not passed:
        sys.stderr.write("\nprefix kept for inspection: %s\n" % d.prefix)
