"""
Four-letter words over raw sockets, against the keeper and ZooKeeper 3.8
with the same whitelist ("ruok srvr stat mntr cons wchs dump conf envi
isro"): the answers have the same shape, line for line; words outside the
whitelist get the same refusal; kazoo's server_version() (envi) reads a
3.8 version from both.
"""

import re

import pytest

import zk_fixture as zf

WHITELIST = "ruok,srvr,stat,mntr,cons,wchs,dump,conf,envi,isro"


@pytest.fixture(scope="module", params=["drover", "zookeeper"])
def server(request):
    srv = zf.make_server(request.param, tick_time=500, whitelist=WHITELIST)
    yield srv
    zf.finish_server(srv)


@pytest.fixture
def watcher(server):
    """A kazoo client with a session, an ephemeral and two watches."""
    c = server.client()
    c.ensure_path("/4lw")
    c.create("/4lw/eph", b"", ephemeral=True)
    c.get("/4lw", watch=lambda ev: None)
    c.get_children("/4lw", watch=lambda ev: None)
    yield c
    zf.stop_client(c)


def test_ruok_isro(server):
    assert server.four("ruok") == b"imok"
    assert server.four("isro") == b"rw"


def test_not_whitelisted(server):
    assert server.four("wchp") == (b"wchp is not executed because it is not "
                                   b"in the whitelist.\n")
    assert server.four("crst") == (b"crst is not executed because it is not "
                                   b"in the whitelist.\n")


def test_unknown_word_is_a_frame_length(server):
    assert server.four("xxxx") == b""


def test_srvr_and_stat(server, watcher):
    srvr = server.four("srvr").decode()
    assert re.fullmatch(
        r"Zookeeper version: 3\.8\.\d+-\S+, built on .+\n"
        r"Latency min/avg/max: \d+/\d+\.\d+/\d+\n"
        r"Received: \d+\nSent: \d+\nConnections: \d+\nOutstanding: \d+\n"
        r"Zxid: 0x[0-9a-f]+\nMode: standalone\nNode count: \d+\n", srvr), srvr
    stat = server.four("stat").decode()
    head, clients, rest = stat.split("\n", 2)[0], stat.split("\n")[1], stat
    assert clients == "Clients:"
    assert re.search(r"\n /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,"
                     r"sent=\d+\)\n", stat), stat
    # this connection, answering: interest ops 0 (in any order, as 3.8)
    assert re.search(r"\n /127\.0\.0\.1:\d+\[0\]\(queued=0,recved=1,"
                     r"sent=0\)\n", stat), stat
    assert "\n\nLatency min/avg/max: " in stat


def test_node_count_counts_the_root_twice(server):
    c = server.client()
    try:
        c.delete("/4lw", recursive=True) if c.exists("/4lw") else None
        n = int(re.search(r"Node count: (\d+)", server.four("srvr").decode())
                .group(1))
        nodes = 0
        stack = ["/"]
        while stack:
            p = stack.pop()
            nodes += 1
            for k in c.get_children(p):
                stack.append(p.rstrip("/") + "/" + k)
        assert n == nodes + 1
    finally:
        zf.stop_client(c)


def test_mntr(server, watcher):
    mntr = server.four("mntr").decode()
    kv = dict(line.split("\t", 1) for line in mntr.splitlines())
    assert kv["zk_server_state"] == "standalone"
    assert kv["zk_version"].startswith("3.8.")
    for key in ("zk_znode_count", "zk_watch_count", "zk_ephemerals_count",
                "zk_num_alive_connections", "zk_outstanding_requests",
                "zk_packets_received", "zk_packets_sent",
                "zk_approximate_data_size", "zk_open_file_descriptor_count",
                "zk_max_file_descriptor_count", "zk_min_latency",
                "zk_max_latency", "zk_global_sessions"):
        assert re.fullmatch(r"\d+", kv[key]), key
    assert re.fullmatch(r"\d+\.\d+", kv["zk_avg_latency"])
    assert int(kv["zk_ephemerals_count"]) >= 1
    assert int(kv["zk_watch_count"]) >= 2


def test_cons(server, watcher):
    cons = server.four("cons").decode()
    assert cons.endswith("\n\n")
    assert re.search(
        r" /127\.0\.0\.1:\d+\[1\]\(queued=0,recved=\d+,sent=\d+,"
        r"sid=0x[0-9a-f]+,lop=\w+,est=\d+,to=10000,lcxid=0x[0-9a-f]+,"
        r"lzxid=0x[0-9a-f]+,lresp=\d+,llat=\d+,minlat=\d+,avglat=\d+,"
        r"maxlat=\d+\)\n", cons), cons


def test_wchs(server, watcher):
    # DataTree.getWatchesSummary(): the data watches only
    wchs = server.four("wchs").decode()
    m = re.fullmatch(r"(\d+) connections watching (\d+) paths\n"
                     r"Total watches:(\d+)\n", wchs)
    assert m, wchs
    assert int(m.group(1)) >= 1 and int(m.group(3)) >= 1


def test_dump(server, watcher):
    dump = server.four("dump").decode()
    assert re.match(r"SessionTracker dump:\nSession Sets \(\d+\)/\(\d+\):\n",
                    dump), dump
    sid = "0x%x" % watcher.client_id[0]
    assert "\n\t%s\n" % sid in dump
    assert "Sessions with Ephemerals (" in dump
    assert "\n%s:\n\t/4lw/eph\n" % sid in dump
    assert re.search(r"Connections dump:\nConnections Sets \(\d+\)/\(\d+\):\n",
                     dump)
    assert re.search(r"\tip: /127\.0\.0\.1:\d+ sessionId: %s\n" % sid, dump)


def test_conf(server):
    conf = server.four("conf").decode()
    kv = dict(line.split("=", 1) for line in conf.splitlines())
    assert kv["clientPort"] == str(server.port)
    assert kv["tickTime"] == "500"
    assert kv["minSessionTimeout"] == "1000"
    assert kv["maxSessionTimeout"] == "10000"
    assert kv["maxClientCnxns"] == "60"
    assert kv["serverId"] == "0"
    for key in ("dataDir", "dataLogDir", "dataDirSize", "dataLogSize",
                "secureClientPort", "clientPortListenBacklog"):
        assert key in kv


def test_envi_and_kazoo_server_version(server, watcher):
    envi = server.four("envi").decode()
    assert envi.startswith("Environment:\nzookeeper.version=3.8.")
    assert "\nhost.name=" in envi and "\nos.name=Linux\n" in envi
    assert watcher.server_version()[:2] == (3, 8)
