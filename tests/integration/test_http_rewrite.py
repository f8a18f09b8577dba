"""
The rewrite module and the core's redirect machinery end to end: return
(codes, text, URLs, 444), rewrite with last/break/redirect/permanent and
argument handling, set, if (variables, =, !=, ~, ~*, !~, -f/-d/-e),
break, the redirect cycle limit, error_page (URI, =code, @named,
redirect), try_files, and how Location is made absolute
(absolute_redirect, port_in_redirect, server_name_in_redirect).
"""

import os
import re

import pytest

from http_helpers import Conn, get, start_http


def test_return_forms(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location /text {{ return 200 "hello $uri"; }}
        location /code {{ return 418; }}
        location /url {{ return http://example.com/x; }}
        location /perm {{ return 301 https://example.com/p; }}
        location /rel {{ return 302 /target; }}
        location /close {{ return 444; }}
        location /empty {{ return 200; }}
    }}""")
    r = get(port, "/text")
    assert r.status == 200 and r.body == b"hello /text"
    r = get(port, "/code")
    assert r.status == 418 and r.body == b""
    r = get(port, "/url")
    assert r.status == 302 and r.header("Location") == "http://example.com/x"
    r = get(port, "/perm")
    assert r.status == 301 and r.header("Location") == "https://example.com/p"
    assert b"301 Moved Permanently" in r.body
    r = get(port, "/rel", host="h.test")
    assert r.status == 302 and r.header("Location") == "http://h.test:%d/target" % port
    r = get(port, "/empty")
    assert r.status == 200 and r.header("Content-Length") == "0"


def test_absolute_redirect_settings(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        server_name canonical.test;
        location /a {{ return 301 /x; }}
        location /b {{ absolute_redirect off; return 301 /x; }}
        location /c {{ port_in_redirect off; return 301 /x; }}
        location /d {{ server_name_in_redirect on; return 301 /x; }}
    }}""")
    assert get(port, "/a", host="h.test").header("Location") == "http://h.test:%d/x" % port
    assert get(port, "/b", host="h.test").header("Location") == "/x"
    assert get(port, "/c", host="h.test").header("Location") == "http://h.test/x"
    assert get(port, "/d", host="h.test").header("Location") == \
        "http://canonical.test:%d/x" % port


def test_rewrite_flags(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        rewrite ^/srv/(.*)$ /to/$1 last;
        location /last/ {{
            rewrite ^/last/(.*)$ /to/$1 last;
            return 200 "not reached";
        }}
        location /break/ {{
            rewrite ^/break/(.*)$ /moved/$1 break;
            return 200 "not reached: break ends the rewrite directives";
        }}
        location /redir/ {{ rewrite ^/redir/(.*)$ /to/$1 redirect; }}
        location /perm/ {{ rewrite ^/perm/(.*)$ /to/$1 permanent; }}
        location /ext/ {{ rewrite ^ http://other.test$uri; }}
        location /to/ {{ return 200 "to: $uri args=$args"; }}
        location /moved/ {{ return 200 "moved location"; }}
        location /chain/ {{
            rewrite ^/chain/a$ /chain/b;
            rewrite ^/chain/b$ /chain/c;
            return 200 "chain: $uri";
        }}
    }}""")
    assert get(port, "/srv/x?q=1").body == b"to: /to/x args=q=1"
    assert get(port, "/last/y").body == b"to: /to/y args="
    # break: no new location search (not /moved/), no more rewrite
    # directives; the content phase of /break/ serves /moved/z (404 here)
    r = get(port, "/break/z")
    assert r.status == 404
    drover.wait_for_log(r'html/moved/z" (is not found|failed)|no handler found')
    r = get(port, "/redir/a?k=v", host="h.test")
    assert r.status == 302 and r.header("Location") == "http://h.test:%d/to/a?k=v" % port
    r = get(port, "/perm/a")
    assert r.status == 301 and r.header("Location").endswith("/to/a")
    r = get(port, "/ext/q")
    assert r.status == 302 and r.header("Location") == "http://other.test/ext/q"
    assert get(port, "/chain/a").body == b"chain: /chain/c"


def test_rewrite_arguments(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location /keep/ {{ rewrite ^/keep/(.*)$ /to/$1 last; }}
        location /drop/ {{ rewrite ^/drop/(.*)$ /to/$1? last; }}
        location /add/ {{ rewrite ^/add/(.*)$ /to/x?id=$1 last; }}
        location /to/ {{ return 200 "$uri|$args|$arg_id"; }}
    }}""")
    assert get(port, "/keep/a?x=1").body == b"/to/a|x=1|"
    assert get(port, "/drop/a?x=1").body == b"/to/a||"
    assert get(port, "/add/7?x=1").body == b"/to/x|id=7&x=1|7"


def test_rewrite_cycle_is_500(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location / {{ rewrite ^(.*)$ $1 last; }}
    }}""")
    assert get(port, "/loop").status == 500
    drover.wait_for_log(r"rewrite or internal redirection cycle")


def test_set_and_if(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            set $flag "none";
            if ($arg_a) {{ set $flag "a"; }}
            if ($arg_b = "yes") {{ set $flag "b=yes"; }}
            if ($arg_c != "no") {{ set $flag "${{flag}}+c"; }}
            if ($http_user_agent ~* (bot|spider)) {{ set $flag "bot:$1"; }}
            if ($uri !~ ^/) {{ return 500; }}
            return 200 "$flag";
        }}
    }}""")
    assert get(port, "/?c=no").body == b"none"
    assert get(port, "/?a=1&c=no").body == b"a"
    assert get(port, "/?b=yes&c=no").body == b"b=yes"
    assert get(port, "/").body == b"none+c"
    r = get(port, "/?c=no", headers=[("User-Agent", "GoogleBOT/2")])
    assert r.body == b"bot:BOT"


def test_if_file_tests(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        root html;
        location / {{
            if (-f $request_filename) {{ return 200 "file"; }}
            if (-d $request_filename) {{ return 200 "dir"; }}
            if (!-e $request_filename) {{ return 200 "missing"; }}
            return 200 "other";
        }}
    }}""")
    (drover.html_dir / "f.txt").write_text("x")
    (drover.html_dir / "sub").mkdir(exist_ok=True)
    assert get(port, "/f.txt").body == b"file"
    assert get(port, "/sub").body == b"dir"
    assert get(port, "/nope").body == b"missing"


def test_break_stops_the_program(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location / {{
            set $v "1";
            break;
            set $v "2";
            return 200 "not reached";
        }}
        error_page 404 = /err;
        location = /err {{ return 200 "after break: $v"; }}
    }}""")
    r = get(port, "/x")
    assert r.status == 200 and r.body == b"after break: 1"


def test_error_page_forms(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        error_page 404 /custom404;
        error_page 403 =200 /ok;
        error_page 500 502 =503 @down;
        error_page 410 http://example.com/gone;
        error_page 418 =301 http://example.com/teapot;
        location /missing {{ return 404; }}
        location /forbidden {{ return 403; }}
        location /boom {{ return 500; }}
        location /gone {{ return 410; }}
        location /tea {{ return 418; }}
        location = /custom404 {{ return 200 "custom 404 for $request_uri"; }}
        location = /ok {{ return 200 "ok instead"; }}
        location @down {{ return 200 "named fallback"; }}
    }}""")
    r = get(port, "/missing")
    assert r.status == 404 and r.body == b"custom 404 for /missing"
    r = get(port, "/forbidden")
    assert r.status == 200 and r.body == b"ok instead"
    r = get(port, "/boom")
    assert r.status == 503 and r.body == b"named fallback"
    r = get(port, "/gone")
    assert r.status == 302 and r.header("Location") == "http://example.com/gone"
    r = get(port, "/tea", host="h.test")
    assert r.status == 301 and r.header("Location") == "http://example.com/teapot"


def test_recursive_error_pages(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        error_page 404 /e1;
        location /e1 {{ return 404; }}
        location /r/ {{
            recursive_error_pages on;
            error_page 404 /r/e1;
            location /r/e1 {{ error_page 404 /r/e2; return 404; }}
            location /r/e2 {{ return 200 "second"; }}
            return 404;
        }}
    }}""")
    r = get(port, "/x")
    assert r.status == 404 and b"404 Not Found" in r.body
    assert get(port, "/r/x").body == b"second"


def test_try_files(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        root html;
        location / {{ try_files $uri $uri/ /fallback?from=$uri; }}
        location /named/ {{ try_files $uri @back; }}
        location /code/ {{ try_files $uri =418; }}
        location = /fallback {{ return 200 "fallback $args"; }}
        location @back {{ return 200 "named $uri"; }}
    }}""")
    (drover.html_dir / "exists.txt").write_text("x")
    r = get(port, "/nope")
    assert r.body == b"fallback from=/nope"
    assert get(port, "/named/x").body == b"named /named/x"
    assert get(port, "/code/x").status == 418
    # an existing file is served by a content handler (static), never
    # by the fallback
    r = get(port, "/exists.txt")
    assert r.body != b"fallback from=/exists.txt"


def test_rewrite_config_errors(drover):
    for conf, msg in [
        ("location / { rewrite ^ /x foo; }", 'invalid parameter "foo"'),
        ("location / { rewrite ( /x; }", r"pcre2_compile\(\) failed"),
        ("location / { return abc; }", 'invalid return code "abc"'),
        ("location / { set x 1; }", 'invalid variable name "x"'),
        ("location / { if ($a =) { } }", "invalid condition|unexpected"),
        ("location / { if (x) { } }", 'invalid condition "x"'),
        ("location / { return 200 $nosuchvar; }", 'unknown "nosuchvar" variable'),
        ("location / { try_files =404; }", "invalid number of arguments"),
        ("location / { error_page 200 /x; }", 'value "200" must be between 300 and 599'),
    ]:
        text = drover.config("http {\nserver {\nlisten 127.0.0.1:%d;\n%s\n}\n}\n"
                             % (drover.port(), conf))
        rc, out, err = drover.test_config(text)
        assert rc != 0, conf
        assert re.search(msg, err), (conf, err)


def test_variables_in_responses(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        server_name vars.test;
        location / {{
            return 200 "$request_method|$request_uri|$uri|$args|$is_args|$host|$server_name|$server_protocol|$scheme|$remote_addr|$server_addr|$server_port|$http_x_test|$cookie_c|$arg_q|$content_length|$request_length|$connection_requests|$status";
        }}
    }}""")
    c = Conn(port)
    r = c.request("/p%20x?q=1&z=2", host="Vars.Test", headers=[("X-Test", "xv"), ("Cookie", "a=1; c=cv")])
    parts = r.body.decode().split("|")
    assert parts[:9] == ["GET", "/p%20x?q=1&z=2", "/p x", "q=1&z=2", "?", "vars.test",
                         "vars.test", "HTTP/1.1", "http"]
    assert parts[9] == "127.0.0.1" and parts[10] == "127.0.0.1"
    assert parts[11] == str(port)
    assert parts[12:15] == ["xv", "cv", "1"]
    assert parts[15] == ""
    assert int(parts[16]) > 40
    assert parts[17] == "1"
    r = c.request("/", host="vars.test")
    assert r.body.decode().split("|")[17] == "2"


def test_request_id_and_times(drover):
    port = start_http(drover, """
    server {{
        listen 127.0.0.1:{port};
        location / {{ return 200 "$request_id $msec $time_iso8601 $time_local $pid"; }}
    }}""")
    a = get(port).body.decode().split(" ", 2)
    b = get(port).body.decode().split(" ", 2)
    assert re.fullmatch(r"[0-9a-f]{32}", a[0]) and a[0] != b[0]
    assert re.fullmatch(r"\d+\.\d{3}", a[1])
    assert re.match(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d \d\d/\w{3}/\d{4}:", a[2])
