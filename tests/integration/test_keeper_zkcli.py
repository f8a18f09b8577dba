"""
zkCli.sh (the ZooKeeper 3.8 Java client) scripted on stdin, against the
keeper and against ZooKeeper: the outputs must be the same once what
legitimately differs is masked (zxids, times, session ids).

Covers create -e/-s/-c, ls -R, get -s, stat, set, addWatch (persistent
recursive by default) and its notifications, getEphemerals,
getAllChildrenNumber, addauth + whoami, deleteall (getChildren then one
multi), sync, config and quit (closeSession).
"""

import os
import re
import subprocess

import pytest

import drover_fixture as df
import zk_fixture as zf
from zk_fixture import keeper, zookeeper   # noqa: F401

SCRIPT = """\
create /cli hello
create -e /cli/eph e
create -s /cli/seq- s
create -c /cli-cont
create /cli-cont/x
ls -R /cli
get -s /cli
addWatch /cli
set /cli world
getEphemerals
whoami
addauth digest bob:pw
whoami
getAllChildrenNumber /cli
stat /cli
ls -s /cli
deleteall /cli
ls /
get /cli
config
sync /
quit
"""


def run_cli(srv, script=SCRIPT):
    if not os.access(zf.ZKCLI, os.X_OK):
        pytest.skip("zkCli.sh is not installed")
    p = subprocess.run([zf.ZKCLI, "-server", srv.hosts],
                       input=script.encode(), capture_output=True,
                       timeout=df.scaled(60))
    err = [line for line in p.stderr.decode(errors="replace").splitlines()
           if not line.startswith(("SLF4J", "log4j"))]
    return p.stdout.decode(errors="replace") + "--- stderr\n" + "\n".join(err)


def normalize(text):
    lines = []
    for line in text.splitlines():
        if line.startswith(("Connecting to", "SLF4J", "log4j")):
            continue
        line = re.sub(r"0x[0-9a-f]+", "0x?", line)
        line = re.sub(r"= \w{3} \w{3} \d\d \d\d:\d\d:\d\d \w+ \d{4}",
                      "= DATE", line)
        lines.append(line)
    return "\n".join(lines)


def test_zkcli_script_matches_zookeeper(keeper, zookeeper):
    ours = run_cli(keeper)
    theirs = run_cli(zookeeper)
    for expected in ("/cli\n/cli/eph\n/cli/seq-0000000001",
                     "WatchedEvent state:SyncConnected type:NodeDataChanged "
                     "path:/cli",
                     "[/cli/eph]",
                     "Auth scheme: User\ndigest: bob\nip: 127.0.0.1",
                     "cversion = 2\ndataVersion = 1",
                     "type:NodeDeleted path:/cli\n",
                     "[cli-cont, zookeeper]",
                     "Node does not exist: /cli",
                     "Sync is OK"):
        assert expected in ours, ours
    assert normalize(ours) == normalize(theirs)


def test_zkcli_errors_match_zookeeper(keeper, zookeeper):
    script = ("create /e1\ncreate /e1\ndelete /nope\nset /e1 x 7\n"
              "create /e1/a/b\nrmr /e1\ndelete /zookeeper\nquit\n")
    ours = run_cli(keeper, script)
    theirs = run_cli(zookeeper, script)
    assert "Node already exists: /e1" in ours
    assert normalize(ours) == normalize(theirs)
    run_cli(keeper, "deleteall /e1\nquit\n")
    run_cli(zookeeper, "deleteall /e1\nquit\n")
