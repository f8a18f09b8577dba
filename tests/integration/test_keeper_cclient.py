"""
The ZooKeeper C client (libzookeeper_mt 3.8, Debian's libzookeeper-mt-dev):
keeper_cclient.c runs the same scenario against the keeper and ZooKeeper
(create, create2 with ephemeral-sequential, containers, get/set with
watches, children, exists, multi with a failing op, auth and an "auth" ACL,
close), and both must print the same lines.
"""

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

import drover_fixture as df
from zk_fixture import keeper, zookeeper   # noqa: F401

SRC = Path(__file__).with_name("keeper_cclient.c")


@pytest.fixture(scope="module")
def cclient():
    if not os.path.exists("/usr/include/zookeeper/zookeeper.h"):
        pytest.skip("libzookeeper-mt-dev is not installed")
    d = tempfile.mkdtemp(prefix="keeper-cclient-")
    exe = os.path.join(d, "keeper_cclient")
    cc = shutil.which("cc") or shutil.which("gcc")
    p = subprocess.run([cc, "-O1", "-o", exe, str(SRC), "-lzookeeper_mt",
                        "-lpthread"], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    yield exe
    shutil.rmtree(d, ignore_errors=True)


def run(exe, server):
    p = subprocess.run([exe, server.hosts], capture_output=True, text=True,
                       timeout=df.scaled(60))
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_c_client_scenario_matches_zookeeper(cclient, keeper, zookeeper):
    ours = run(cclient, keeper)
    theirs = run(cclient, zookeeper)
    for line in ("connected 1 timeout 10000", "create 0 /cc",
                 "create again -110", "create2 0 /cc/e-0000000000 "
                 "owner-is-me 1 datalen 0", "container 0 /cc/box",
                 "get 0 hello version 0 children 2 cversion 2", "set 0",
                 "event 3 /cc", "set stale -103", "children 0 2",
                 "exists -101", "multi -110 0 -110 -2",
                 "multi create+delete 0 0 0", "event 4 /cc", "auth 0",
                 "create private 0", "close 0", "after close 0 0",
                 "cleanup 0"):
        assert line + "\n" in ours, ours
    assert ours == theirs
