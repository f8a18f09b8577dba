"""
proxy_pass end to end against Python upstreams: the weighted round-robin
sequence, nginx's URI replacement rules (prefix and regex locations,
variables, after a rewrite), the request fields the upstream gets
(Host $proxy_host, Connection close, proxy_set_header, X-Forwarded-For,
proxy_pass_request_headers/body), bodies both ways (chunked and not,
buffered and streamed), the no-body responses, proxy_redirect and the
hidden/passed response fields, the $upstream_* and $proxy_* variables.
"""

import json
import socket
import zlib

import pytest

import drover_fixture as df
from proxy_util import backends, start, server, get, request, raw  # noqa

pytestmark = pytest.mark.drover_only


def test_weighted_round_robin_sequence(drover, backends):
    a, b, c = backends(3, ["a", "b", "c"])
    port = start(drover, """
        upstream pool {
            server %s weight=5;
            server %s;
            server %s;
        }
        %s""" % (a.addr, b.addr, c.addr,
                 server("location / { proxy_pass http://pool; }")))
    seq = "".join(get(port, "/x").header("X-Backend") for _ in range(14))
    assert seq == "aabacaaaabacaa"


def test_uri_replacement_rules(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location /plain/ { proxy_pass http://%(a)s; }
        location /new/ { proxy_pass http://%(a)s/other/; }
        location /strip/ { proxy_pass http://%(a)s/; }
        location = /exact { proxy_pass http://%(a)s/target; }
        location ~ ^/re/(.*)$ { proxy_pass http://%(a)s; }
        location /var/ { set $u %(a)s; proxy_pass http://$u/v$uri; }
        location /varhost/ { set $u %(a)s; proxy_pass http://$u; }
        location /rw/ {
            rewrite ^/rw/(.*)$ /moved/$1 break;
            proxy_pass http://%(a)s/base/;
        }
    """ % {"a": b.addr}))

    def path(p):
        return get(port, p).json()["path"]

    assert path("/plain/a%20b?x=1") == "/plain/a%20b?x=1"
    assert path("/new/x/y?q=2") == "/other/x/y?q=2"
    assert path("/strip/deep/er") == "/deep/er"
    assert path("/exact") == "/target"
    assert path("/re/zz?k=v") == "/re/zz?k=v"
    # variables with a URI: sent as is (no args added)
    assert path("/var/p?a=1") == "/v/var/p"
    # variables without a URI: the client's
    assert path("/varhost/q?a=1") == "/varhost/q?a=1"
    # rewrite ... break: the new URI, no location part replaced
    assert path("/rw/one?z=9") == "/moved/one?z=9"


def test_uri_part_refused_in_regex_location(drover):
    rc, out, err = drover.test_config(drover.config(
        "http { server { listen 127.0.0.1:%d; "
        "location ~ /x { proxy_pass http://127.0.0.1:9/y; } } }"
        % drover.port()))
    assert rc != 0
    assert "cannot have URI part" in err


def test_request_fields(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location / { proxy_pass http://%(a)s; }
        location /set/ {
            proxy_set_header X-Real-IP $remote_addr;
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header Host example.test;
            proxy_set_header X-Empty "";
            proxy_pass http://%(a)s;
        }
        location /nohdr/ {
            proxy_pass_request_headers off;
            proxy_pass http://%(a)s;
        }
    """ % {"a": b.addr}))

    e = get(port, "/a", headers={"X-Client": "1", "Keep-Alive": "300",
                                 "TE": "trailers", "X-Empty": "gone"}).json()
    h = e["headers"]
    assert h["host"] == b.addr
    assert h["connection"] == "close"
    assert h["x-client"] == "1"
    assert "keep-alive" not in h and "te" not in h
    assert e["version"] == "HTTP/1.0"

    e = get(port, "/set/", headers={"X-Forwarded-For": "1.2.3.4",
                                    "X-Empty": "gone"}).json()
    h = e["headers"]
    assert h["host"] == "example.test"
    assert h["x-real-ip"] == "127.0.0.1"
    assert h["x-forwarded-for"] == "1.2.3.4, 127.0.0.1"
    assert "x-empty" not in h

    e = get(port, "/nohdr/", headers={"X-Client": "1"}).json()
    assert "x-client" not in e["headers"]
    assert e["headers"]["host"] == b.addr


def test_request_bodies(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        client_max_body_size 10m;
        location / { proxy_pass http://%(a)s; }
        location /stream/ {
            proxy_http_version 1.1;
            proxy_request_buffering off;
            proxy_pass http://%(a)s;
        }
        location /nobody/ {
            proxy_pass_request_body off;
            proxy_pass http://%(a)s;
        }
    """ % {"a": b.addr}))

    data = bytes(range(256)) * 1000

    # a Content-Length body, buffered
    e = request(port, "/upload", "POST", body=data).json()
    assert e["body_len"] == len(data) and e["crc"] == zlib.crc32(data)
    assert e["headers"]["content-length"] == str(len(data))

    # a chunked body, buffered: the upstream gets a Content-Length
    def chunks():
        for i in range(0, len(data), 7000):
            yield data[i:i + 7000]

    e = request(port, "/upload", "POST", body=chunks(),
                headers={"Transfer-Encoding": "chunked"}).json()
    assert e["body_len"] == len(data) and e["crc"] == zlib.crc32(data)
    assert e["headers"].get("content-length") == str(len(data))

    # streamed: chunked stays chunked (HTTP/1.1 upstream)
    e = request(port, "/stream/upload", "POST", body=chunks(),
                headers={"Transfer-Encoding": "chunked"}).json()
    assert e["body_len"] == len(data) and e["crc"] == zlib.crc32(data)
    assert e["headers"].get("transfer-encoding") == "chunked"

    # streamed with a length
    e = request(port, "/stream/upload", "POST", body=data).json()
    assert e["body_len"] == len(data)
    assert e["headers"].get("content-length") == str(len(data))

    e = request(port, "/nobody/upload", "POST", body=data).json()
    assert e["body_len"] == 0
    assert "content-length" not in e["headers"]


def test_response_bodies_and_framing(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location / { proxy_pass http://%(a)s; }
        location /nb/ { proxy_buffering off; proxy_pass http://%(a)s/; }
    """ % {"a": b.addr}))

    for prefix in ("/", "/nb/"):
        r = get(port, prefix + "chunked?n=5&size=1000")
        assert r.status == 200 and r.body == b"c" * 5000
        assert r.header("Transfer-Encoding") == "chunked"

        r = get(port, prefix + "close?size=3000")
        assert r.body == b"z" * 3000

        r = get(port, prefix + "big?size=300000")
        assert len(r.body) == 300000
        assert r.header("Content-Length") == "300000"
        assert r.body[:256] == bytes(range(256))

    # an HTTP/1.0 client gets the chunked body unchunked, closed
    out = raw(port, b"GET /chunked?n=2&size=3 HTTP/1.0\r\n\r\n")
    assert out.endswith(b"\r\n\r\ncccccc"), out


def test_no_body_responses(drover, backends):
    (b,) = backends(1)
    port = start(drover, server(
        "location / { proxy_pass http://%s; }" % b.addr))

    r = request(port, "/big?size=1000", "HEAD")
    assert r.status == 200 and r.body == b""
    assert r.header("Content-Length") == "1000"

    for st in (204, 304):
        r = get(port, "/status/%d" % st)
        assert r.status == st and r.body == b""


def test_invalid_upstream_responses_are_502(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        proxy_buffer_size 4k;
        location / { proxy_pass http://%s; }
    """ % b.addr))

    for kind, reason in (("dup-length", "duplicate Content-Length"),
                         ("bad-status", "status"),
                         ("bad-header", "header"),
                         ("huge-header", "too big header"),
                         ("nothing", "prematurely closed")):
        mark = drover.log_mark()
        r = get(port, "/bad/" + kind)
        assert r.status == 502, kind
        lines = drover.grep_log(r"\[error\].*upstream", since=mark)
        assert lines and any(reason.lower() in l.lower() for l in lines), \
            (kind, lines)


def test_truncated_upstream_body_cuts_the_response(drover, backends):
    (b,) = backends(1)
    port = start(drover, server(
        "location / { proxy_pass http://%s; }" % b.addr))
    out = raw(port, b"GET /bad/truncated HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200")
    assert out.endswith(b"short")
    drover.wait_for_log(r"upstream prematurely closed connection")

    out = raw(port, b"GET /bad/bad-chunk HTTP/1.1\r\nHost: x\r\n\r\n")
    assert out.startswith(b"HTTP/1.1 200")
    assert not out.endswith(b"0\r\n\r\n")
    drover.wait_for_log(r"upstream sent .*chunk")


def test_timeouts_and_refused_are_504_and_502(drover, backends):
    (b,) = backends(1)
    dead = df.free_port()
    port = start(drover, server("""
        location /slow/ {
            proxy_read_timeout 300ms;
            proxy_pass http://%s/;
        }
        location /dead/ { proxy_pass http://127.0.0.1:%d/; }
    """ % (b.addr, dead)))
    r = get(port, "/slow/sleep/2000")
    assert r.status == 504
    drover.wait_for_log(r"upstream timed out")

    r = get(port, "/dead/x")
    assert r.status == 502
    drover.wait_for_log(r"connect\(\) (to .* )?failed.*Connection refused")


def test_proxy_redirect(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location /one/ { proxy_pass http://%(a)s/two/; }
        location /off/ { proxy_redirect off; proxy_pass http://%(a)s/two/; }
        location /mine/ {
            proxy_redirect http://elsewhere/ /there/;
            proxy_redirect ~^http://re\\.example/(.*)$ /re/$1;
            proxy_pass http://%(a)s/;
        }
    """ % {"a": b.addr}))

    r = get(port, "/one/redirect?to=http://%s/two/page" % b.addr)
    assert r.status == 302
    assert r.header("Location").endswith("/one/page"), r.header("Location")
    assert r.header("Location").startswith("http://")

    r = get(port, "/off/redirect?to=http://%s/two/page" % b.addr)
    assert r.header("Location") == "http://%s/two/page" % b.addr

    r = get(port, "/mine/redirect?to=http://elsewhere/x")
    assert r.header("Location").endswith("/there/x")

    r = get(port, "/mine/redirect?to=http://re.example/a/b")
    assert r.header("Location").endswith("/re/a/b")


def test_hide_and_pass_response_fields(drover, backends):
    (b,) = backends(1)
    port = start(drover, server("""
        location / { proxy_pass http://%(a)s; }
        location /p/ {
            proxy_pass_header Server;
            proxy_hide_header X-Secret;
            proxy_pass http://%(a)s/;
        }
    """ % {"a": b.addr}))

    q = "/headers?X-Secret=s&X-Pad=p&Server=upstream-srv&X-Ok=1"
    r = get(port, q)
    assert r.header("X-Secret") == "s"
    assert r.header("X-Pad") is None
    assert r.header("Server").startswith("drover")
    assert r.header("X-Ok") == "1"

    r = get(port, "/p" + q)
    assert r.header("X-Secret") is None
    assert r.header("Server") == "upstream-srv"


def test_upstream_variables(drover, backends):
    (b,) = backends(1)
    dead = df.free_port()
    port = start(drover, """
        log_format up '$upstream_addr|$upstream_status|$upstream_response_time|'
                      '$upstream_connect_time|$upstream_header_time|'
                      '$upstream_bytes_received|$upstream_response_length|'
                      '$proxy_host|$proxy_port|$upstream_http_x_backend';
        access_log logs/up.log up;
        upstream pool { server 127.0.0.1:%d; server %s; }
        %s""" % (dead, b.addr, server("""
        location / { proxy_pass http://pool; }
        location /direct/ { proxy_pass http://%s/; }
    """ % b.addr)))
    drover.expect_log(r"connect\(\) .*failed")

    r = get(port, "/big?size=1000")
    assert r.status == 200
    r = get(port, "/direct/big?size=10")
    assert r.status == 200

    lines = df.wait_for(lambda: (lambda t: t if len(t) >= 2 else None)(
        drover.path("logs/up.log").read_text().splitlines()
        if drover.path("logs/up.log").exists() else []), 5, "access log")

    f = lines[0].split("|")
    # the dead peer first (round-robin starts there), then the live one
    assert f[0] == "127.0.0.1:%d, %s" % (dead, b.addr), f
    assert f[1] == "502, 200", f
    assert f[2].count(",") == 1 and f[2].split(", ")[1].count(".") == 1
    assert f[5].split(", ")[1] == str(1000 + len(
        "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n"
        "Content-Type: application/octet-stream\r\n\r\n")), f
    assert f[6] == "0, 1000", f
    assert f[7] == "pool" and f[8] == "80", f

    f = lines[1].split("|")
    assert f[0] == b.addr and f[1] == "200" and f[6] == "10", f
    assert f[7] == b.addr and f[8] == str(b.port), f
