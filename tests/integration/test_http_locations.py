"""
location{} and server{} selection end to end, as nginx documents them:
"=", "^~", the longest prefix, regexes in file order, nested and named
locations, internal; virtual servers by Host (exact, wildcards, regex
with captures, default_server, ""), per listen address.
"""

import pytest

from http_helpers import get, raw_exchange, parse_responses, start_http


LOCATIONS = """
    server {{
        listen 127.0.0.1:{port};
        location = / {{ return 200 "A"; }}
        location / {{ return 200 "B"; }}
        location /documents/ {{ return 200 "C"; }}
        location ^~ /images/ {{ return 200 "D"; }}
        location ~* \\.(gif|jpg|jpeg)$ {{ return 200 "E"; }}
        location = /exact {{ return 200 "exact"; }}
        location /exact {{ return 200 "exact-prefix"; }}
        location ~ ^/re/one {{ return 200 "re-one"; }}
        location ~ ^/re/ {{ return 200 "re-any"; }}
        location /nest/ {{
            location /nest/deeper/ {{ return 200 "deeper"; }}
            location ~ \\.txt$ {{ return 200 "nest-txt"; }}
            return 200 "nest";
        }}
        location ~ \\.txt$ {{ return 200 "top-txt"; }}
        location /secret {{ internal; return 200 "secret"; }}
        location @named {{ return 200 "named"; }}
        location ~ ^/cap/(?<first>[a-z]+)/(\\d+)$ {{ return 200 "$first:$2"; }}
    }}
"""


@pytest.mark.parametrize("uri,body", [
    ("/", "A"),
    ("/index.html", "B"),
    ("/documents/document.html", "C"),
    ("/images/1.gif", "D"),
    ("/documents/1.jpg", "E"),
    ("/documents/1.JPG", "E"),
    ("/exact", "exact"),
    ("/exactly", "exact-prefix"),
    ("/re/one/two", "re-one"),
    ("/re/two", "re-any"),
    ("/nest/x", "nest"),
    ("/nest/deeper/x", "deeper"),
    ("/nest/a.txt", "nest-txt"),
    ("/other/a.txt", "top-txt"),
    ("/@named", "B"),
    ("/cap/abc/42", "abc:42"),
    ("/%64ocuments/x", "C"),
    ("/images/../documents/y", "C"),
])
def test_location_precedence(drover, uri, body):
    port = start_http(drover, LOCATIONS)
    r = get(port, uri)
    assert r.status == 200 and r.body.decode() == body, (uri, r)


def test_internal_location_is_404_from_outside(drover):
    port = start_http(drover, LOCATIONS)
    assert get(port, "/secret").status == 404


def test_location_config_errors(drover):
    for conf, msg in [
        ("location = /a { location /a/b { } }", "cannot be inside the exact location"),
        ("location /a { location /b { } }", 'location "/b" is outside location "/a"'),
        ("location /a { location @n { } }", 'named location "@n" can be on the server level only'),
        ("location ~ ( { }", "pcre2_compile\\(\\) failed"),
        ("location /a { } location /a { }", 'duplicate location "/a"'),
        ("location ~~ /a { }", 'invalid location modifier "~~"'),
    ]:
        text = drover.config("http {\nserver {\nlisten 127.0.0.1:%d;\n%s\n}\n}\n"
                             % (drover.port(), conf))
        rc, out, err = drover.test_config(text)
        assert rc != 0, conf
        import re
        assert re.search(msg, err), (conf, err)


SERVERS = """
    server {{
        listen 127.0.0.1:{port};
        server_name first.test;
        location / {{ return 200 "first $server_name"; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name www.example.com;
        location / {{ return 200 "exact"; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name *.example.com;
        location / {{ return 200 "head"; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name www.example.*;
        location / {{ return 200 "tail"; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name ~^(?<sub>[a-z]+)\\.regex\\.test$ ~^(\\d+)\\.num\\.test$;
        location / {{ return 200 "regex $sub$1 host=$host"; }}
    }}
    server {{
        listen 127.0.0.1:{port};
        server_name "";
        location / {{ return 200 "nohost"; }}
    }}
    server {{
        listen 127.0.0.1:{port2} default_server;
        server_name second-default.test;
        location / {{ return 200 "d2"; }}
    }}
    server {{
        listen 127.0.0.1:{port2};
        server_name other.test;
        location / {{ return 200 "o2"; }}
    }}
"""


@pytest.mark.parametrize("host,body", [
    ("first.test", "first first.test"),
    ("unknown.test", "first first.test"),
    ("www.example.com", "exact"),
    ("WWW.Example.COM", "exact"),
    ("www.example.com.", "exact"),
    ("www.example.com:8080", "exact"),
    ("mail.example.com", "head"),
    ("www.example.org", "tail"),
    ("abc.regex.test", "regex abcabc host=abc.regex.test"),  # named is $1 too
    ("12.num.test", "regex 12 host=12.num.test"),
])
def test_server_name_selection(drover, host, body):
    port = start_http(drover, SERVERS, port_names=("a", "b"))
    r = get(port, host=host)
    assert r.body.decode() == body, (host, r)


def test_request_without_host_uses_empty_name(drover):
    port = start_http(drover, SERVERS, port_names=("a", "b"))
    data, _ = raw_exchange(port, b"GET / HTTP/1.0\r\n\r\n")
    rs, _ = parse_responses(data)
    assert rs[0].body == b"nohost"


def test_absolute_form_target_selects_server(drover):
    port = start_http(drover, SERVERS, port_names=("a", "b"))
    data, _ = raw_exchange(port, b"GET http://www.example.com/x HTTP/1.1\r\n"
                           b"Host: www.example.com\r\nConnection: close\r\n\r\n")
    rs, _ = parse_responses(data)
    assert rs[0].body == b"exact"


def test_default_server_per_address(drover):
    start_http(drover, SERVERS, port_names=("a", "b"))
    port2 = drover.port("b")
    assert get(port2, host="nomatch").body == b"d2"
    assert get(port2, host="other.test").body == b"o2"
    # names of the other address are not seen here
    assert get(port2, host="www.example.com").body == b"d2"
