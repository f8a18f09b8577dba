"""
Service discovery, the basics: instances registered as ephemeral znodes
(kazoo, zkCli.sh) become routable without a reload and stop receiving
traffic once deleted; Curator's JSON, drover's YAML and Dubbo provider
URLs are understood; a malformed instance is skipped with a warning and
never breaks the pool; both workers see the same membership. Each test
runs with drover's own keeper as the registry, then with Apache ZooKeeper.

The propagation times (create -> first request routed, delete -> last one)
are printed (pytest -s) and bounded loosely here; tests/bench measures
them properly.
"""

import json
import subprocess
import time
import urllib.parse
import uuid

import pytest

import drover_fixture as df
import zk_fixture as zf
from discovery_util import disco, registry, zookeeper_server   # noqa: F401

pytestmark = pytest.mark.drover_only


def test_register_route_unregister(disco):
    disco.start()
    b1, b2 = disco.backend(), disco.backend()

    # nothing registered yet: no peer, a 502 (not a hang)
    assert disco.get()[0] == 502

    t0 = time.monotonic()
    disco.register("b1", b1.addr)
    routable = disco.time_until(lambda: disco.get()[0] == 200)
    disco.d.wait_for_log(r'upstream "app": peer added %s \(znode b1\)'
                         % b1.addr)

    disco.register("b2", json.dumps({"address": "127.0.0.1",
                                     "port": b2.port}))
    disco.wait_routable({b1.port, b2.port})

    mark = disco.d.log_mark()
    t1 = time.monotonic()
    disco.unregister("b1")
    gone = disco.time_until(
        lambda: all(p == b2.port for p in disco.ports(10)))
    disco.d.wait_for_log(r'upstream "app": peer removed %s \(znode b1\)'
                         % b1.addr, since=mark)

    print("\n[%s] create -> routable %.1f ms, delete -> gone %.1f ms"
          % (disco.registry.kind, routable * 1000, gone * 1000))
    assert routable < 2.0 and gone < 2.0
    assert t1 > t0

    # no reload happened: one generation of workers all along
    assert not disco.d.grep_log("reconfiguring")


def test_zkcli_delete(disco):
    if not zf.os.path.exists(zf.ZKCLI):
        pytest.skip("zkCli.sh is not installed (Debian package zookeeper)")

    disco.start()
    b1, b2 = disco.backend(), disco.backend()
    disco.register("b1", b1.addr)
    disco.register("b2", b2.addr)
    disco.wait_routable({b1.port, b2.port})

    rc, out, err = df.run([zf.ZKCLI, "-server", disco.hosts, "delete",
                           disco.path + "/b1"], timeout=60)
    assert rc == 0, out + err

    disco.wait_routable({b2.port})
    assert disco.ports(30) == {b2.port: 30}


def test_curator_json_and_yaml(disco):
    disco.start()
    b1, b2, b3 = disco.backend(), disco.backend(), disco.backend()

    # Curator x-discovery: /<base>/<service>/<uuid>, JsonInstanceSerializer
    curator = {
        "name": "app", "id": str(uuid.uuid4()), "address": "127.0.0.1",
        "port": b1.port, "sslPort": None, "payload": None,
        "registrationTimeUTC": int(time.time() * 1000),
        "serviceType": "DYNAMIC",
        "uriSpec": {"parts": [{"value": "scheme", "variable": True},
                              {"value": "://", "variable": False}]},
    }
    disco.register(curator["id"], json.dumps(curator))

    # Spring Cloud Zookeeper's payload, taken out of service
    spring = dict(curator, id=str(uuid.uuid4()), port=b2.port,
                  payload={"@class": "org.springframework.cloud.zookeeper."
                                     "discovery.ZookeeperInstance",
                           "id": "app-2", "name": "app",
                           "metadata": {"instance_status": "OUT_OF_SERVICE"}})
    disco.register(spring["id"], json.dumps(spring))

    # drover's own fields in YAML
    disco.register("b3", "host: 127.0.0.1\nport: %d\nweight: 3\n" % b3.port)

    disco.wait_routable({b1.port, b3.port})
    disco.d.wait_for_log(r"peer added 127.0.0.1:%d \(znode %s\), weight 1, "
                         r"down" % (b2.port, spring["id"][:63]))

    seen = disco.ports(80)
    assert seen[b3.port] > seen[b1.port] * 2       # weight 3 against 1


def test_dubbo_providers(disco):
    iface = "com.example.DemoService"
    port2 = disco.d.port("dubbo")
    http = ("    upstream demo {\n"
            "        zone demo 64k;\n"
            "        discover zk://%s/dubbo/%s/providers version=1.0.0;\n"
            "    }\n"
            "    server {\n"
            "        listen 127.0.0.1:%d;\n"
            "        location / { proxy_pass http://demo; }\n"
            "    }\n" % (disco.hosts, iface, port2))
    disco.start(http=http)

    zk = disco.client()
    zk.ensure_path("/dubbo/%s/providers" % iface)
    b1, b2, b3 = disco.backend(), disco.backend(), disco.backend()

    def provider(b, params):
        url = ("rest://127.0.0.1:%d/%s?anyhost=true&application=demo"
               "&interface=%s&methods=sayHello&side=provider&%s"
               % (b.port, iface, iface, params))
        name = urllib.parse.quote(url, safe="")
        zk.create("/dubbo/%s/providers/%s" % (iface, name), b"",
                  ephemeral=True)
        return name

    provider(b1, "version=1.0.0&weight=100")
    provider(b2, "version=1.0.0&weight=100&enabled=false")
    provider(b3, "version=2.0.0&weight=100")

    df.wait_for(lambda: set(disco.ports(20, port=port2)) == {b1.port}, 5,
                "Dubbo traffic to the enabled 1.0.0 provider only")
    disco.d.wait_for_log(r'upstream "demo": discovering /dubbo/%s/providers'
                         r'.*Dubbo' % iface)
    disco.d.wait_for_log(r'znode /dubbo/\S+ does not match the version')


def test_malformed_instance_is_skipped(disco):
    disco.start()
    b1 = disco.backend()
    disco.register("b1", b1.addr)
    disco.wait_routable({b1.port})

    disco.register("bad1", "not an address")
    disco.register("bad2", '{"address": "127.0.0.1", "port": "x"}')
    disco.register("bad3", b"")
    disco.d.wait_for_log(r'upstream "app": znode %s/bad1 skipped: '
                         % disco.path)
    disco.d.wait_for_log(r'znode %s/bad2 skipped: invalid "port"'
                         % disco.path)
    disco.d.wait_for_log(r'znode %s/bad3 skipped: no data' % disco.path)
    assert disco.ports(20) == {b1.port: 20}

    # a good registration gone bad keeps its last valid form
    disco.client().set(disco.path + "/b1", b"{broken")
    disco.d.wait_for_log(r"znode %s/b1 is malformed now .*keeping its last "
                         r"valid registration" % disco.path)
    assert disco.ports(20) == {b1.port: 20}

    # and a fix is taken
    b2 = disco.backend()
    disco.client().set(disco.path + "/b1", b2.addr.encode())
    disco.wait_routable({b2.port})


def test_two_workers_agree(disco):
    disco.start(workers=2)
    bs = [disco.backend() for _ in range(3)]
    for i, b in enumerate(bs):
        disco.register("b%d" % i, b.addr)
    disco.wait_routable({b.port for b in bs})

    disco.unregister("b1")
    disco.wait_routable({bs[0].port, bs[2].port})

    # from now on, every worker routes to exactly the two that are left
    workers = {}
    seen = disco.ports(200, workers)
    assert set(seen) == {bs[0].port, bs[2].port}
    assert len(workers) == 2, workers
    for pid, ports in workers.items():
        assert ports == {bs[0].port, bs[2].port}, (pid, ports)


def test_static_servers_and_discovery_mixed(disco):
    static = disco.backend()
    disco.start(upstream="        server %s;\n" % static.addr)
    disco.wait_routable({static.port})

    b1 = disco.backend()
    disco.register("b1", b1.addr)
    disco.wait_routable({static.port, b1.port})

    # the static server stays whatever discovery says
    disco.unregister("b1")
    disco.wait_routable({static.port})
