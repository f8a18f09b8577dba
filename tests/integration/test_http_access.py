"""
allow / deny (modules/http_access): the first matching rule decides, in
order; deny is a 403 logged "access forbidden by rule"; no match lets the
request through; a context without rules inherits its parent's list whole;
bad addresses are configuration errors with file:line. The test client is
always 127.0.0.1, so the rules are written around it. Files are served,
not `return`ed: return runs in the rewrite phase, before access (as nginx).
"""

import re

from http_helpers import get, start_http


def make_files(drover, names):
    """<prefix>/site/<name>/index.html whose body is <name>"""
    for name in names:
        d = drover.prefix / "site" / name.strip("/")
        d.mkdir(parents=True, exist_ok=True)
        (d / "index.html").write_text(name.strip("/").split("/")[-1])


def test_first_matching_rule_decides(drover):
    make_files(drover, ["open", "all", "me", "net", "else", "nomatch", "v6"])
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        root site;
        location /open/ {{ }}
        location /all/  {{ deny all; }}
        location /me/   {{ allow 127.0.0.1; deny all; }}
        location /net/  {{ deny 127.0.0.0/8; allow all; }}
        location /else/ {{ allow 10.0.0.0/8; deny all; }}
        location /nomatch/ {{ deny 10.0.0.1; deny ::2; }}
        location /v6/   {{ allow ::1; deny 127.0.0.1; }}
    }}""")
    drover.expect_log(r"access forbidden by rule")

    assert get(port, "/open/").status == 200
    assert get(port, "/all/").status == 403
    r = get(port, "/me/")
    assert r.status == 200 and r.body == b"me"
    assert get(port, "/net/").status == 403
    assert get(port, "/else/").status == 403
    r = get(port, "/nomatch/")
    assert r.status == 200 and r.body == b"nomatch"
    assert get(port, "/v6/").status == 403      # an IPv4 client: ::1 no match

    drover.wait_for_log(r"\[error\] .*access forbidden by rule.*client: 127\.0\.0\.1")


def test_rules_are_inherited_whole(drover):
    make_files(drover, ["inherit", "own", "outer/inner"])
    port = start_http(drover, """
    deny all;
    server {{
        listen 127.0.0.1:{port};
        root site;
        location /inherit/ {{ }}
        location /own/ {{ allow 127.0.0.1; }}
        location /outer/ {{
            allow 127.0.0.1;
            deny all;
            location /outer/inner/ {{ }}
        }}
    }}""")
    drover.expect_log(r"access forbidden by rule")

    assert get(port, "/inherit/").status == 403
    assert get(port, "/own/").body == b"own"
    assert get(port, "/outer/inner/").body == b"inner"


def test_bad_addresses_are_config_errors(drover):
    for bad in ("10.0.0.300", "10.0.0.0/33", "nonsense", "::1/129"):
        rc, out, err = drover.test_config(drover.config(
            "http { server { listen 127.0.0.1:1; location / { allow %s; } } }"
            % bad))
        assert rc != 0, err
        assert re.search(r'invalid parameter "%s" in \S+:\d+' % re.escape(bad),
                         err), err


def test_low_address_bits_warn(drover):
    rc, out, err = drover.test_config(drover.config(
        "http { server { listen 127.0.0.1:1; location / { allow 127.0.0.1/8; } } }"))
    assert rc == 0, err
    assert "low address bits of 127.0.0.1/8 are meaningless" in err
