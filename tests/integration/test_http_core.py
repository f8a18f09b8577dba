"""
The HTTP/1.1 engine end to end: a real binary, real clients (curl,
python requests, raw sockets). Keep-alive and its limits, pipelining,
HEAD, HTTP/1.0, the response header block, request bodies (length and
chunked, in memory and spilled to a temp file, 100-continue, 413), and
malformed or oversized heads: 400/414/494(400)/501/505 then a closed
connection, never a crash.
"""

import os
import re
import socket
import subprocess
import time

import pytest
import requests

import drover_fixture as df
from http_helpers import (Conn, get, parse_responses, raw_exchange,
                          start_http)


OK_SERVER = """
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}
"""


def test_minimal_return_200_curl(drover):
    port = start_http(drover, OK_SERVER)
    p = subprocess.run(["curl", "-s", "-i", "http://127.0.0.1:%d/" % port],
                       stdout=subprocess.PIPE, timeout=10)
    out = p.stdout.decode()
    assert out.startswith("HTTP/1.1 200 OK\r\n"), out
    assert out.endswith("\r\n\r\nok")
    assert "Content-Length: 2\r\n" in out
    assert "Content-Type: text/plain\r\n" in out
    assert "Server: drover/" in out
    assert "Date: " in out
    assert "Connection: keep-alive\r\n" in out


def test_python_requests_session_reuses_connection(drover):
    port = start_http(drover, OK_SERVER + """
    server {{
        listen 127.0.0.1:{port2};
        location / {{ return 200 "$connection:$connection_requests"; }}
    }}""", port_names=("a", "b"))
    port2 = drover.port("b")
    s = requests.Session()
    bodies = [s.get("http://127.0.0.1:%d/" % port2).text for _ in range(5)]
    conns = {b.split(":")[0] for b in bodies}
    assert len(conns) == 1, bodies
    assert [b.split(":")[1] for b in bodies] == ["1", "2", "3", "4", "5"]
    assert requests.get("http://127.0.0.1:%d/" % port).text == "ok"


def test_keepalive_requests_limit_closes(drover):
    port = start_http(drover, """
    keepalive_requests 3;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    c = Conn(port)
    for i in range(2):
        r = c.request("/")
        assert r.header("Connection") == "keep-alive"
    r = c.request("/")
    assert r.header("Connection") == "close"
    assert c.closed()


def test_keepalive_timeout_closes_idle_connection(drover):
    port = start_http(drover, """
    keepalive_timeout 1;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    c = Conn(port)
    assert c.request("/").status == 200
    t0 = time.monotonic()
    assert c.closed(timeout=5)
    assert time.monotonic() - t0 < df.scaled(3)


def test_keepalive_timeout_zero_disables(drover):
    port = start_http(drover, """
    keepalive_timeout 0;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    c = Conn(port)
    r = c.request("/")
    assert r.header("Connection") == "close"
    assert c.closed()


def test_keepalive_header_timeout(drover):
    port = start_http(drover, """
    keepalive_timeout 30s 25;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    c = Conn(port)
    r = c.request("/")
    assert r.header("Keep-Alive") == "timeout=25"


def test_pipelined_requests_answered_in_order(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "$uri"; }}
    }}""")
    reqs = b"".join(b"GET /r%d HTTP/1.1\r\nHost: x\r\n\r\n" % i for i in range(20))
    reqs += b"GET /last HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    data, closed = raw_exchange(port, reqs)
    rs, rest = parse_responses(data)
    assert closed and rest == b""
    assert [r.body for r in rs] == [b"/r%d" % i for i in range(20)] + [b"/last"]


def test_pipelined_requests_split_across_reads(drover):
    port = start_http(drover, """
    client_header_buffer_size 64;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "$uri"; }}
    }}""")
    reqs = b"".join(b"GET /p%d HTTP/1.1\r\nHost: x\r\nX-Pad: %s\r\n\r\n"
                    % (i, b"y" * 30) for i in range(10))
    reqs += b"GET /end HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    chunks = [reqs[i:i + 7] for i in range(0, len(reqs), 7)]
    data, closed = raw_exchange(port, None, chunks=chunks)
    rs, _ = parse_responses(data)
    assert [r.body for r in rs] == [b"/p%d" % i for i in range(10)] + [b"/end"]


def test_head_has_no_body_and_keeps_length(drover):
    port = start_http(drover, OK_SERVER)
    c = Conn(port)
    r = c.request("/", method="HEAD")
    assert r.status == 200 and r.body == b""
    assert r.header("Content-Length") == "2"
    # the connection is still usable: no stray body bytes
    r = c.request("/")
    assert r.body == b"ok"


def test_http10_closes_unless_keepalive(drover):
    port = start_http(drover, OK_SERVER)
    data, closed = raw_exchange(port, b"GET / HTTP/1.0\r\n\r\n")
    assert closed
    rs, _ = parse_responses(data)
    assert rs[0].status == 200 and rs[0].header("Connection") == "close"

    c = Conn(port)
    c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    r = c.read_response()
    assert r.header("Connection") == "keep-alive"
    c.send(b"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
    assert c.read_response().body == b"ok"


def test_http11_without_host_is_400(drover):
    port = start_http(drover, OK_SERVER)
    data, closed = raw_exchange(port, b"GET / HTTP/1.1\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 ")
    assert closed


MALFORMED = [
    ("cl_and_te", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  b"Transfer-Encoding: chunked\r\n\r\n", 400),
    ("dup_cl", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
               b"Content-Length: 4\r\n\r\nabc", 400),
    ("bad_cl", b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3x\r\n\r\n", 400),
    ("te_not_chunked_last", b"POST / HTTP/1.1\r\nHost: x\r\n"
                            b"Transfer-Encoding: chunked, gzip\r\n\r\n", 400),
    ("te_unknown", b"POST / HTTP/1.1\r\nHost: x\r\n"
                   b"Transfer-Encoding: gzip\r\n\r\n", 501),
    ("obs_fold", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\r\n b\r\n\r\n", 400),
    ("bare_lf", b"GET / HTTP/1.1\nHost: x\n\n", 400),
    ("bare_cr", b"GET / HTTP/1.1\r\nHost: x\rY: z\r\n\r\n", 400),
    ("nul_in_header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x00b\r\n\r\n", 400),
    ("ctl_in_header", b"GET / HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400),
    ("space_before_colon", b"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400),
    ("bad_field_name", b"GET / HTTP/1.1\r\nHost: x\r\nX(A): b\r\n\r\n", 400),
    ("dup_host", b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400),
    ("bad_host", b"GET / HTTP/1.1\r\nHost: a b\r\n\r\n", 400),
    ("host_mismatch", b"GET http://a/ HTTP/1.1\r\nHost: b\r\n\r\n", 400),
    ("bad_version", b"GET / HTTP/1.x\r\nHost: x\r\n\r\n", 400),
    ("http2_version", b"GET / HTTP/2.0\r\nHost: x\r\n\r\n", 505),
    ("bad_method", b"G(T / HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("uri_above_root", b"GET /../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("encoded_nul", b"GET /a%00b HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("bad_percent", b"GET /a%zzb HTTP/1.1\r\nHost: x\r\n\r\n", 400),
    ("te_http10", b"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400),
    ("tls_hello", b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400),
]


@pytest.mark.parametrize("name,req,status", MALFORMED, ids=[m[0] for m in MALFORMED])
def test_malformed_request_gets_error_and_close(drover, name, req, status):
    port = start_http(drover, OK_SERVER)
    data, closed = raw_exchange(port, req + b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 %d " % status), data[:200]
    assert closed, "connection left open after %d" % status
    rs, _ = parse_responses(data)
    assert len(rs) == 1, "a request after the bad one was served"
    assert rs[0].header("Connection") == "close"
    # the worker survived
    assert get(port).status == 200


def test_garbage_bytes_never_crash(drover):
    port = start_http(drover, OK_SERVER)
    import random
    rnd = random.Random(1)
    for i in range(60):
        junk = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 300)))
        if i % 3 == 0:
            junk = b"GET /" + junk
        raw_exchange(port, junk, timeout=1.0, half_close=True)
    assert get(port).status == 200


def test_too_long_request_line_414(drover):
    port = start_http(drover, """
    client_header_buffer_size 128;
    large_client_header_buffers 2 512;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok $uri"; }}
    }}""")
    # fits in a large buffer: accepted
    r = get(port, "/" + "a" * 400)
    assert r.status == 200 and r.body == b"ok /" + b"a" * 400
    data, closed = raw_exchange(port, b"GET /" + b"a" * 600 + b" HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 414 Request-URI Too Large\r\n")
    assert closed


def test_too_long_header_line_400_too_large(drover):
    port = start_http(drover, """
    client_header_buffer_size 128;
    large_client_header_buffers 2 512;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    # many header lines, each short, head below 2 x 512: fine
    hdrs = [("X-H%d" % i, "v" * 40) for i in range(16)]
    assert get(port, headers=hdrs).status == 200
    data, closed = raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\nCookie: "
                                + b"c" * 600 + b"\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 Bad Request\r\n")
    assert b"Request Header Or Cookie Too Large" in data
    assert closed
    # the whole head beyond num * size
    hdrs = [("X-H%d" % i, "v" * 150) for i in range(8)]
    r = get(port, headers=hdrs)
    assert r.status == 400 and b"Request Header Or Cookie Too Large" in r.body


def test_too_many_header_lines(drover):
    port = start_http(drover, """
    large_client_header_buffers 4 64k;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    assert get(port, headers=[("X-%d" % i, "1") for i in range(90)]).status == 200
    r = get(port, headers=[("X-%d" % i, "1") for i in range(150)])
    assert r.status == 400 and b"Request Header Or Cookie Too Large" in r.body


def test_client_header_timeout(drover):
    port = start_http(drover, """
    client_header_timeout 1s;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    t0 = time.monotonic()
    data, closed = raw_exchange(port, b"GET / HTTP/1.1\r\nHost: x\r\n", timeout=5)
    assert closed and data == b""
    assert time.monotonic() - t0 < df.scaled(3)
    drover.wait_for_log(r"client timed out")


def test_idle_connection_without_request_times_out(drover):
    port = start_http(drover, """
    client_header_timeout 1s;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(5))
    assert s.recv(10) == b""
    s.close()


BODY_SERVER = """
    client_max_body_size 1k;
    client_body_buffer_size 64;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}
"""


def test_body_discarded_and_connection_reused(drover):
    port = start_http(drover, BODY_SERVER)
    c = Conn(port)
    c.send(b"POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789"
           b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.read_response().body == b"ok"
    assert c.read_response().body == b"ok"


def test_chunked_body_discarded_then_pipelined_request(drover):
    port = start_http(drover, BODY_SERVER)
    c = Conn(port)
    c.send(b"POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
           b"5\r\nhello\r\n3;ext=1\r\nabc\r\n0\r\nX-Trailer: 1\r\n\r\n"
           b"GET /b HTTP/1.1\r\nHost: x\r\n\r\n")
    assert c.read_response().status == 200
    assert c.read_response().status == 200


def test_body_too_large_413(drover):
    port = start_http(drover, BODY_SERVER)
    r = get(port, method="POST", body=b"x" * 2000)
    assert r.status == 413
    drover.wait_for_log(r"client intended to send too large body: 2000 bytes")


def test_chunked_body_too_large_413(drover):
    port = start_http(drover, BODY_SERVER + """
    server {{
        listen 127.0.0.1:{port2};
        client_max_body_size 100;
        location / {{ return 200 "ok"; }}
    }}""", port_names=("a", "b"))
    body = b"".join(b"40\r\n" + b"y" * 64 + b"\r\n" for _ in range(5)) + b"0\r\n\r\n"
    data, _ = raw_exchange(drover.port("b"),
                           b"POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" + body)
    # a discarded body is not limited; only a read one is (see the proxy)
    assert data.startswith(b"HTTP/1.1 200")


def test_invalid_chunked_body_400(drover):
    port = start_http(drover, BODY_SERVER)
    data, closed = raw_exchange(port, b"POST / HTTP/1.1\r\nHost: x\r\n"
                                b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400 ") or data.startswith(b"HTTP/1.1 200 ")
    assert closed


def test_expect_100_continue_on_discard(drover):
    port = start_http(drover, BODY_SERVER)
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(3))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
              b"Expect: 100-continue\r\n\r\n")
    first = s.recv(100)
    assert first.startswith(b"HTTP/1.1 100 Continue\r\n\r\n"), first
    s.sendall(b"hello")
    data = first[len(b"HTTP/1.1 100 Continue\r\n\r\n"):]
    while b"ok" not in data:
        data += s.recv(1000)
    assert data.startswith(b"HTTP/1.1 200 OK")
    s.close()


def test_curl_post_large_body(drover):
    port = start_http(drover, """
    client_max_body_size 10m;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    p = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}",
                        "--data-binary", "@-", "http://127.0.0.1:%d/" % port],
                       input=os.urandom(3 * 1024 * 1024), stdout=subprocess.PIPE,
                       timeout=30)
    assert p.stdout == b"200"


def test_response_header_block(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
        location /off {{ server_tokens off; return 404; }}
        location /text {{ default_type application/x-test; return 200 "t"; }}
    }}""")
    r = get(port)
    assert r.header("Server").startswith("drover/")
    assert r.header("Date").endswith(" GMT")
    r = get(port, "/off")
    assert r.status == 404 and r.header("Server") == "drover"
    assert b"<hr><center>drover</center>" in r.body
    assert b"404 Not Found" in r.body
    r = get(port, "/text")
    assert r.header("Content-Type") == "application/x-test"


def test_error_page_bodies_and_status_lines(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location /403 {{ return 403; }}
        location /500 {{ return 500; }}
        location /503 {{ return 503; }}
        location /204 {{ return 204; }}
        location /444 {{ return 444; }}
        location /x {{ return 499; }}
    }}""")
    assert get(port, "/403").reason == "Forbidden"
    r = get(port, "/500")
    assert r.status == 500 and b"500 Internal Server Error" in r.body
    assert get(port, "/503").reason == "Service Temporarily Unavailable"
    r = get(port, "/204")
    assert r.status == 204 and r.body == b"" and r.header("Content-Type") is None
    data, closed = raw_exchange(port, b"GET /444 HTTP/1.1\r\nHost: x\r\n\r\n")
    assert data == b"" and closed


def test_many_connections_and_requests(drover):
    port = start_http(drover, OK_SERVER, workers=2)
    import concurrent.futures as cf
    def work(i):
        c = Conn(port)
        try:
            return all(c.request("/%d" % j).body == b"ok" for j in range(20))
        finally:
            c.close()
    with cf.ThreadPoolExecutor(16) as ex:
        assert all(ex.map(work, range(64)))


def test_lingering_close_drains_unread_body(drover):
    port = start_http(drover, """
    client_max_body_size 1k;
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "ok"; }}
    }}""")
    # a large body the server refuses: the 413 must arrive, not an RST
    s = socket.create_connection(("127.0.0.1", port), timeout=df.scaled(5))
    s.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 200000\r\n\r\n")
    try:
        for _ in range(10):
            s.sendall(b"z" * 10000)
    except (BrokenPipeError, ConnectionResetError):
        pass
    data = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            data += d
    except (ConnectionResetError, socket.timeout):
        pass
    s.close()
    assert data.startswith(b"HTTP/1.1 413 ")


def test_listen_wildcard_and_specific_address_share_port(drover):
    port = start_http(drover, """
    server {{
        listen {port};
        location / {{ return 200 "wildcard"; }}
    }}
    server {{
        listen 127.0.0.2:{port};
        location / {{ return 200 "specific"; }}
    }}""")
    assert get(port).body == b"wildcard"
    s = socket.create_connection(("127.0.0.2", port), timeout=3)
    s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = s.recv(1000)
        if not d:
            break
        data += d
    assert data.endswith(b"specific")


def test_listen_options_accepted(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port} default_server backlog=64 rcvbuf=64k sndbuf=64k
               deferred reuseport so_keepalive=on;
        location / {{ return 200 "ok"; }}
    }}""", workers=2)
    for _ in range(10):
        assert get(port).body == b"ok"


@pytest.mark.parametrize("conf,msg", [
    ("server {{ listen 127.0.0.1:{port}; listen 127.0.0.1:{port}; }}",
     r"a duplicate listen 127.0.0.1:\d+"),
    ("server {{ listen 127.0.0.1:{port} default_server; }}"
     "server {{ listen 127.0.0.1:{port} default_server; }}",
     r"a duplicate default server for 127.0.0.1:\d+"),
    ("server {{ listen 127.0.0.1:{port} backlog=x; }}",
     r'"listen" directive has invalid backlog'),
    ("server {{ listen 127.0.0.1:{port} foo; }}",
     r'invalid parameter "foo"'),
    ("server {{ listen 127.0.0.1:99999; }}",
     r'invalid port'),
    ("server {{ listen 127.0.0.1:{port} reuseport; }}"
     "server {{ listen 127.0.0.1:{port} backlog=5; }}",
     r"duplicate listen options for 127.0.0.1:\d+"),
])
def test_listen_errors(drover, conf, msg):
    text = drover.config("http {\n" + conf.format(port=drover.port()) + "\n}\n")
    rc, out, err = drover.test_config(text)
    assert rc != 0
    assert re.search(msg, err), err
