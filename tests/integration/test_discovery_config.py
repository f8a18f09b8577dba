"""
The `discover` directive's checks (drover -t): the URL, each parameter,
the zone it needs, what the pool's balancer supports; and configurations
that are valid (several discover lines, static servers beside them, the
keeper of the same configuration as the registry).
"""

import pytest

import drover_fixture as df
from discovery_util import discover_only_supported

pytestmark = pytest.mark.drover_only


@pytest.fixture(autouse=True)
def discover_only(request):
    ok, reason = discover_only_supported()
    if not ok and request.node.name != "test_mixed_and_several":
        pytest.skip("the binary refuses an upstream with only `discover`: "
                    "%s" % reason)


def conf(drover, discover, upstream="        zone app 64k;\n", extra=""):
    return df.main_conf(
        "http {\n"
        "    upstream app {\n"
        "%s"
        "        discover %s;\n"
        "%s"
        "    }\n"
        "    server {\n"
        "        listen 127.0.0.1:%d;\n"
        "        location / { proxy_pass http://app; }\n"
        "    }\n"
        "}\n" % (upstream, discover, extra, drover.port()))


def check(drover, text):
    rc, out, err = drover.test_config(text)
    return rc, out + err


@pytest.mark.parametrize("discover", [
    "zk://127.0.0.1:2181/services/app",
    "zk://127.0.0.1:2181,127.0.0.2:2182,localhost/services/app",
    "zk://127.0.0.1/a auth=user:secret format=data weight=3 max_conns=10 "
    "max_fails=2 fail_timeout=5s slow_start=30s backup empty_guard=10s "
    "session_timeout=4s overrides=/drover/o/app version=1.0,2.0 group=a "
    "tags=blue,eu protocol=rest,tri",
    "zk://127.0.0.1/dubbo/com.example.S/providers format=dubbo version=",
    "zk://127.0.0.1/a empty_guard=off overrides=off format=auto",
])
def test_valid(drover, discover):
    rc, out = check(drover, conf(drover, discover))
    assert rc == 0, out


def test_mixed_and_several(drover):
    rc, out = check(drover, conf(
        drover, "zk://127.0.0.1:2181/services/app",
        extra="        server 127.0.0.1:9001 backup;\n"
              "        discover zk://127.0.0.2:2181/services/app2 weight=2;\n"))
    assert rc == 0, out


def test_needs_a_zone(drover):
    rc, out = check(drover, conf(drover, "zk://127.0.0.1/services/app",
                                 upstream=""))
    assert rc != 0
    assert 'upstream "app" uses "discover" but has no "zone"' in out, out
    assert "drover.conf:" in out


@pytest.mark.parametrize("discover, message", [
    ("http://127.0.0.1/a", r'invalid URL "http://127.0.0.1/a"'),
    ("zk:///services/app", r"no ZooKeeper host"),
    ("zk://127.0.0.1:2181", r"no znode path"),
    ("zk://127.0.0.1:2181/", r'invalid znode path "/"'),
    ("zk://127.0.0.1/a/", r'invalid znode path "/a/"'),
    ("zk://127.0.0.1/a//b", r"invalid znode path"),
    ("zk://127.0.0.1:xx/a", r'invalid ZooKeeper host "127.0.0.1:xx"'),
    ("zk://127.0.0.1,,h2/a", r'invalid ZooKeeper host ""'),
    ("zk://127.0.0.1/a foo=1", r'invalid parameter "foo=1"'),
    ("zk://127.0.0.1/a weight=0", r'invalid parameter "weight=0"'),
    ("zk://127.0.0.1/a format=xml", r'invalid parameter "format=xml"'),
    ("zk://127.0.0.1/a slow_start=soon", r'invalid parameter'),
    ("zk://127.0.0.1/a auth=nocolon", r'"auth" of "discover" must be'),
    ("zk://127.0.0.1/a overrides=relative",
     r'"overrides" of "discover" must be a znode path'),
    ("zk://127.0.0.1/a session_timeout=500ms",
     r'"session_timeout" of "discover" must be at least 1s'),
    ("zk://127.0.0.1/a tags=", r'invalid parameter "tags="'),
])
def test_invalid(drover, discover, message):
    rc, out = check(drover, conf(drover, discover))
    assert rc != 0, out
    assert df.re.search(message, out), out


def test_balancer_parameters(drover):
    rc, out = check(drover, conf(drover, "zk://127.0.0.1/a slow_start=10s",
                                 extra="        hash $uri;\n"))
    assert rc != 0
    assert 'balancing method "hash" does not support parameter "slow_start"' \
        in out, out

    rc, out = check(drover, conf(drover, "zk://127.0.0.1/a backup",
                                 extra="        hash $uri;\n"))
    assert rc != 0
    assert 'does not support parameter "backup"' in out, out

    rc, out = check(drover, conf(drover, "zk://127.0.0.1/a slow_start=10s",
                                 extra="        least_conn;\n"))
    assert rc == 0, out


def test_embedded_keeper_as_registry(drover):
    port = drover.port("keeper")
    text = conf(drover, "zk://127.0.0.1:%d/services/app" % port)
    text = text.replace("http {", "keeper {\n    listen 127.0.0.1:%d;\n"
                        "    data_dir keeper;\n}\nhttp {" % port, 1)
    rc, out = check(drover, text)
    assert rc == 0, out
