/*
 * Tests of dr_http_parse_request() (src/http/dr_http_parse_request.c and
 * the field machinery of dr_http_parse.c).
 *
 * Every input ends at a PROT_NONE guard page, so an over-read crashes the
 * (forked) test. Each valid and invalid request is also fed split at every
 * byte boundary, byte by byte with the bytes moving between calls, and with
 * a growing length over a fixed buffer; all must end with the same result
 * as the whole input, compared through a dump of every view as offsets.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"

#include <criterion/criterion.h>


#define ARENA_SIZE   (256 * 1024)
#define MAX_HEADERS  64
#define DUMP_SIZE    8192


static u_char *
guarded(const void *data, size_t len)
{
    static u_char  *end;
    size_t          page;
    u_char         *m;

    if (end == NULL) {
        page = (size_t) sysconf(_SC_PAGESIZE);
        m = mmap(NULL, ARENA_SIZE + page, PROT_READ|PROT_WRITE,
                 MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
        cr_assert(m != MAP_FAILED);
        cr_assert_eq(mprotect(m + ARENA_SIZE, page, PROT_NONE), 0);
        end = m + ARENA_SIZE;
    }

    cr_assert(len <= ARENA_SIZE);
    memmove(end - len, data, len);

    return end - len;
}


static void
dump_str(char *out, const char *name, dr_str_t *s, u_char *buf, size_t len)
{
    size_t  n = strlen(out);

    if (s->data == NULL) {
        cr_assert_eq(s->len, 0, "%s: NULL data with len %zu", name, s->len);
        snprintf(out + n, DUMP_SIZE - n, "%s=-;", name);
        return;
    }

    cr_assert(s->data >= buf && s->data + s->len <= buf + len,
              "%s is outside the buffer", name);

    snprintf(out + n, DUMP_SIZE - n, "%s=%zu+%zu;", name,
             (size_t) (s->data - buf), s->len);
}


static void
dump_num(char *out, const char *name, long long v)
{
    size_t  n = strlen(out);

    snprintf(out + n, DUMP_SIZE - n, "%s=%lld;", name, v);
}


static void
dump_fields(char *out, dr_http_parse_fields_t *f, u_char *buf, size_t len)
{
    dr_uint_t  i;

    dump_num(out, "nh", f->nheaders);

    for (i = 0; f->headers && i < f->nheaders; i++) {
        dump_str(out, "hn", &f->headers[i].name, buf, len);
        dump_str(out, "hv", &f->headers[i].value, buf, len);
        dump_num(out, "hid", f->headers[i].id);
    }

    dump_num(out, "cl", f->content_length_n);
    dump_str(out, "clv", &f->content_length, buf, len);
    dump_str(out, "te", &f->transfer_encoding, buf, len);
    dump_str(out, "host", &f->host, buf, len);
    dump_str(out, "hname", &f->host_name, buf, len);
    dump_str(out, "hport", &f->host_port, buf, len);
    dump_str(out, "conn", &f->connection, buf, len);
    dump_str(out, "upg", &f->upgrade, buf, len);
    dump_str(out, "exp", &f->expect, buf, len);
    dump_num(out, "flags", f->chunked | f->conn_close << 1
                           | f->conn_keep_alive << 2 | f->conn_upgrade << 3
                           | f->expect_continue << 4 | f->keep_alive << 5);
}


static void
dump_request(char *out, dr_int_t rc, dr_http_parse_request_t *st, u_char *buf,
    size_t len)
{
    out[0] = '\0';

    dump_num(out, "rc", rc);
    dump_num(out, "state", st->state);
    dump_num(out, "err", st->err);

    if (rc < 0) {
        return;
    }

    cr_assert((size_t) rc <= len);

    dump_str(out, "line", &st->request_line, buf, len);
    dump_str(out, "mname", &st->method_name, buf, len);
    dump_num(out, "m", st->method);
    dump_str(out, "target", &st->target, buf, len);
    dump_num(out, "form", st->target_form);
    dump_str(out, "schema", &st->schema, buf, len);
    dump_str(out, "uhost", &st->uri_host, buf, len);
    dump_str(out, "uport", &st->uri_port, buf, len);
    dump_str(out, "path", &st->path, buf, len);
    dump_str(out, "args", &st->args, buf, len);
    dump_num(out, "v", st->http_version);
    dump_str(out, "server", &st->server, buf, len);
    dump_num(out, "uflags", st->complex_uri | st->quoted_uri << 1
                            | st->plus_in_uri << 2 | st->empty_path << 3);
    dump_fields(out, &st->fields, buf, len);
}


/*
 * Parses <in> whole, then split at every boundary, byte by byte with the
 * bytes moving, and growing in place; asserts all agree. Returns the whole
 * input's result; <st> and the returned buffer hold it.
 */
static dr_int_t
parse_all_ways(const char *in, size_t len, dr_http_parse_request_t *st,
    dr_http_parse_header_t *h, u_char **bufp)
{
    static char              want[DUMP_SIZE], got[DUMP_SIZE];
    static dr_http_parse_header_t  h2[MAX_HEADERS];
    u_char                  *buf;
    size_t                   k;
    dr_int_t                 rc, r1, r2;
    dr_http_parse_request_t  st2;

    /* whole */

    dr_http_parse_request_init(st, h, MAX_HEADERS);
    buf = guarded(in, len);
    rc = dr_http_parse_request(st, buf, len);
    dump_request(want, rc, st, buf, len);

    /* a second call after the verdict returns the same */

    r1 = dr_http_parse_request(st, buf, len);
    cr_assert_eq(r1, rc);

    /* every split: prefix then the whole, the bytes moved in between */

    for (k = 0; k < len; k++) {
        dr_http_parse_request_init(&st2, h2, MAX_HEADERS);

        r1 = dr_http_parse_request(&st2, guarded(in, k), k);

        if (rc >= 0 && k < (size_t) rc) {
            cr_assert_eq(r1, DR_PARSE_AGAIN, "split %zu of %s: %ld", k, in,
                         (long) r1);
        }

        if (r1 == DR_PARSE_ERROR) {
            cr_assert_eq(rc, DR_PARSE_ERROR, "split %zu of %s", k, in);
            cr_assert_eq(st2.err, st->err, "split %zu of %s: %s", k, in,
                         dr_http_parse_err_text(st2.err));
            continue;
        }

        buf = guarded(in, len);
        r2 = dr_http_parse_request(&st2, buf, len);
        dump_request(got, r2, &st2, buf, len);
        cr_assert_str_eq(got, want, "split at %zu of \"%s\"", k, in);
    }

    /* byte by byte, moving */

    dr_http_parse_request_init(&st2, h2, MAX_HEADERS);
    r2 = DR_PARSE_AGAIN;

    for (k = 0; k <= len && r2 == DR_PARSE_AGAIN; k++) {
        buf = guarded(in, k);
        r2 = dr_http_parse_request(&st2, buf, k);
    }

    if (r2 != DR_PARSE_ERROR) {
        /* the same bytes as the whole-input run, at the same place */
        buf = guarded(in, len);
        r2 = dr_http_parse_request(&st2, buf, len);
    }

    dump_request(got, r2, &st2, buf, len);
    cr_assert_str_eq(got, want, "byte by byte: \"%s\"", in);

    /* growing in place */

    dr_http_parse_request_init(&st2, h2, MAX_HEADERS);
    buf = guarded(in, len);
    r2 = DR_PARSE_AGAIN;

    for (k = 0; k <= len && r2 == DR_PARSE_AGAIN; k++) {
        r2 = dr_http_parse_request(&st2, buf, k);
    }

    if (r2 >= 0) {
        r2 = dr_http_parse_request(&st2, buf, len);
    }

    dump_request(got, r2, &st2, buf, len);
    cr_assert_str_eq(got, want, "growing: \"%s\"", in);

    /* leave the whole-input result in <st> */

    dr_http_parse_request_init(st, h, MAX_HEADERS);
    buf = guarded(in, len);
    rc = dr_http_parse_request(st, buf, len);
    *bufp = buf;

    return rc;
}


static dr_http_parse_header_t  hdrs[MAX_HEADERS];


static dr_int_t
parse(const char *in, dr_http_parse_request_t *st, u_char **bufp)
{
    return parse_all_ways(in, strlen(in), st, hdrs, bufp);
}


static void
expect_err(const char *in, dr_uint_t err, dr_uint_t status)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    cr_assert_eq(parse(in, &st, &buf), DR_PARSE_ERROR, "\"%s\" parsed", in);
    cr_assert_eq(st.err, err, "\"%s\": got \"%s\", want \"%s\"", in,
                 dr_http_parse_err_text(st.err), dr_http_parse_err_text(err));
    cr_assert_eq(dr_http_parse_err_status(st.err), status, "\"%s\"", in);
    cr_assert_eq(st.state, DR_HTTP_PARSE_STATE_ERROR);
}


static void
expect_ok(const char *in, dr_http_parse_request_t *st, u_char **bufp)
{
    dr_int_t  rc;

    rc = parse(in, st, bufp);
    cr_assert(rc >= 0, "\"%s\": %s", in, dr_http_parse_err_text(st->err));
    cr_assert_eq(st->state, DR_HTTP_PARSE_STATE_DONE);
}


#define assert_view(s, lit)                                                   \
    cr_assert((s)->len == sizeof(lit) - 1                                     \
              && memcmp((s)->data, lit, sizeof(lit) - 1) == 0,                \
              #s " is \"%.*s\", want \"%s\"", (int) (s)->len,                 \
              (s)->data ? (char *) (s)->data : "", lit)


/* ----------------------------------------------------------- valid */

Test(parse_request, simple_get)
{
    const char              *in = "GET / HTTP/1.1\r\nHost: example.com\r\n\r\n";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    cr_assert_eq(parse(in, &st, &buf), (dr_int_t) strlen(in));
    cr_assert_eq(st.method, DR_HTTP_PARSE_METHOD_GET);
    assert_view(&st.method_name, "GET");
    assert_view(&st.request_line, "GET / HTTP/1.1");
    assert_view(&st.target, "/");
    assert_view(&st.path, "/");
    cr_assert_null(st.args.data);
    cr_assert_eq(st.target_form, DR_HTTP_PARSE_TARGET_ORIGIN);
    cr_assert_eq(st.http_version, DR_HTTP_PARSE_VERSION_11);
    cr_assert_eq(st.http_major, 1);
    cr_assert_eq(st.http_minor, 1);
    assert_view(&st.server, "example.com");
    cr_assert_eq(st.fields.nheaders, 1);
    assert_view(&hdrs[0].name, "Host");
    assert_view(&hdrs[0].value, "example.com");
    cr_assert_eq(hdrs[0].id, DR_HTTP_PARSE_HDR_HOST);
    cr_assert_eq(st.fields.content_length_n, -1);
    cr_assert_eq(st.fields.chunked, 0);
    cr_assert_eq(st.fields.keep_alive, 1);
    cr_assert_eq(st.complex_uri | st.quoted_uri | st.plus_in_uri, 0);
}

Test(parse_request, browser_request)
{
    const char  *in =
        "GET /static/app.js?v=12&x=%20y HTTP/1.1\r\n"
        "Host: www.example.org:8080\r\n"
        "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:109.0) Gecko/20100101"
        " Firefox/115.0\r\n"
        "Accept: */*\r\n"
        "Accept-Language: en-US,en;q=0.5\r\n"
        "Accept-Encoding: gzip, deflate, br\r\n"
        "Referer: https://www.example.org/\r\n"
        "Cookie: a=1; b=\"two\"; c=\xc3\xa9t\xc3\xa9\r\n"
        "Connection: keep-alive\r\n"
        "Sec-Fetch-Dest: script\r\n"
        "\r\n";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    cr_assert_eq(parse(in, &st, &buf), (dr_int_t) strlen(in));
    cr_assert_eq(st.fields.nheaders, 9);
    assert_view(&st.path, "/static/app.js");
    assert_view(&st.args, "v=12&x=%20y");
    assert_view(&st.server, "www.example.org");
    assert_view(&st.fields.host_port, "8080");
    assert_view(&hdrs[1].name, "User-Agent");
    assert_view(&hdrs[6].value, "a=1; b=\"two\"; c=\xc3\xa9t\xc3\xa9");
    cr_assert_eq(hdrs[7].id, DR_HTTP_PARSE_HDR_CONNECTION);
    cr_assert_eq(st.fields.conn_keep_alive, 1);
    cr_assert_eq(st.fields.keep_alive, 1);
    /* % in the query does not make the path quoted */
    cr_assert_eq(st.quoted_uri, 0);
    cr_assert_eq(st.complex_uri, 0);
}

Test(parse_request, post_content_length_body_not_consumed)
{
    const char  *in = "POST /form HTTP/1.1\r\nHost: a\r\n"
                      "Content-Type: application/x-www-form-urlencoded\r\n"
                      "Content-Length: 7\r\n\r\nx=1&y=2";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    cr_assert_eq(parse(in, &st, &buf), (dr_int_t) strlen(in) - 7);
    cr_assert_eq(st.method, DR_HTTP_PARSE_METHOD_POST);
    cr_assert_eq(st.fields.content_length_n, 7);
    assert_view(&st.fields.content_length, "7");
    cr_assert_eq(hdrs[2].id, DR_HTTP_PARSE_HDR_CONTENT_LENGTH);
}

Test(parse_request, chunked_request)
{
    const char  *in = "PUT /up HTTP/1.1\r\nHost: a\r\n"
                      "Transfer-Encoding: chunked\r\n\r\n"
                      "5\r\nhello\r\n0\r\n\r\n";
    u_char                  *buf;
    dr_http_parse_request_t  st;
    dr_int_t                 rc;

    rc = parse(in, &st, &buf);
    cr_assert_eq(rc, (dr_int_t) (strstr(in, "\r\n\r\n") - in + 4));
    cr_assert_eq(st.method, DR_HTTP_PARSE_METHOD_PUT);
    cr_assert_eq(st.fields.chunked, 1);
    cr_assert_eq(st.fields.content_length_n, -1);
}

Test(parse_request, transfer_encoding_case_and_ows)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:  ChUnKeD \r\n"
              "\r\n", &st, &buf);
    cr_assert_eq(st.fields.chunked, 1);
    assert_view(&st.fields.transfer_encoding, "ChUnKeD");

    /* empty list elements are allowed (RFC 9110 5.6.1) */
    expect_ok("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: , chunked\r\n"
              "\r\n", &st, &buf);
    cr_assert_eq(st.fields.chunked, 1);
}

Test(parse_request, http10_without_host)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("GET /index.html HTTP/1.0\r\n\r\n", &st, &buf);
    cr_assert_eq(st.http_version, DR_HTTP_PARSE_VERSION_10);
    cr_assert_eq(st.fields.keep_alive, 0);
    cr_assert_null(st.fields.host.data);
    cr_assert_eq(st.server.len, 0);

    expect_ok("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", &st, &buf);
    cr_assert_eq(st.fields.keep_alive, 1);
}

Test(parse_request, keep_alive_rules)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.fields.conn_close, 1);
    cr_assert_eq(st.fields.keep_alive, 0);

    expect_ok("GET / HTTP/1.1\r\nHost: a\r\n"
              "Connection: foo, CLOSE ,bar\r\n\r\n", &st, &buf);
    cr_assert_eq(st.fields.keep_alive, 0);

    expect_ok("GET / HTTP/1.0\r\nConnection: keep-alive\r\n"
              "Connection: close\r\n\r\n", &st, &buf);
    cr_assert_eq(st.fields.keep_alive, 0);
    assert_view(&st.fields.connection, "keep-alive");
}

Test(parse_request, upgrade_and_expect)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("GET /chat HTTP/1.1\r\nHost: server.example.com\r\n"
              "Upgrade: websocket\r\nConnection: Upgrade\r\n"
              "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
              "Sec-WebSocket-Version: 13\r\n\r\n", &st, &buf);
    cr_assert_eq(st.fields.conn_upgrade, 1);
    assert_view(&st.fields.upgrade, "websocket");
    cr_assert_eq(hdrs[1].id, DR_HTTP_PARSE_HDR_UPGRADE);

    expect_ok("PUT /f HTTP/1.1\r\nHost: a\r\nContent-Length: 100\r\n"
              "Expect: 100-Continue\r\n\r\n", &st, &buf);
    cr_assert_eq(st.fields.expect_continue, 1);
    assert_view(&st.fields.expect, "100-Continue");

    expect_ok("PUT /f HTTP/1.1\r\nHost: a\r\nExpect: 200-ok\r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.fields.expect_continue, 0);
}

Test(parse_request, methods)
{
    static const struct {
        const char  *name;
        dr_uint_t    bit;
    } m[] = {
        { "GET", DR_HTTP_PARSE_METHOD_GET },
        { "HEAD", DR_HTTP_PARSE_METHOD_HEAD },
        { "POST", DR_HTTP_PARSE_METHOD_POST },
        { "PUT", DR_HTTP_PARSE_METHOD_PUT },
        { "DELETE", DR_HTTP_PARSE_METHOD_DELETE },
        { "OPTIONS", DR_HTTP_PARSE_METHOD_OPTIONS },
        { "PATCH", DR_HTTP_PARSE_METHOD_PATCH },
        { "TRACE", DR_HTTP_PARSE_METHOD_TRACE },
        { "MKCOL", DR_HTTP_PARSE_METHOD_MKCOL },
        { "COPY", DR_HTTP_PARSE_METHOD_COPY },
        { "MOVE", DR_HTTP_PARSE_METHOD_MOVE },
        { "PROPFIND", DR_HTTP_PARSE_METHOD_PROPFIND },
        { "PROPPATCH", DR_HTTP_PARSE_METHOD_PROPPATCH },
        { "LOCK", DR_HTTP_PARSE_METHOD_LOCK },
        { "UNLOCK", DR_HTTP_PARSE_METHOD_UNLOCK },
        /* any token is a method; the server decides (405/501) */
        { "FOO", DR_HTTP_PARSE_METHOD_UNKNOWN },
        { "get", DR_HTTP_PARSE_METHOD_UNKNOWN },
        { "GETS", DR_HTTP_PARSE_METHOD_UNKNOWN },
        { "M-SEARCH", DR_HTTP_PARSE_METHOD_UNKNOWN },
        { "X!#$%&'*+.^_`|~1", DR_HTTP_PARSE_METHOD_UNKNOWN },
    };
    char                     in[256];
    u_char                  *buf;
    size_t                   i;
    dr_http_parse_request_t  st;

    for (i = 0; i < dr_nelems(m); i++) {
        snprintf(in, sizeof(in), "%s /x HTTP/1.1\r\nHost: h\r\n\r\n",
                 m[i].name);
        expect_ok(in, &st, &buf);
        cr_assert_eq(st.method, m[i].bit, "%s", m[i].name);
        cr_assert_eq(st.method_name.len, strlen(m[i].name));
    }
}

Test(parse_request, versions)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("GET / HTTP/1.0\r\n\r\n", &st, &buf);
    cr_assert_eq(st.http_version, 1000);

    /* 1.2 .. 1.9 are served as 1.1 is (nginx) */
    expect_ok("GET / HTTP/1.2\r\nHost: a\r\n\r\n", &st, &buf);
    cr_assert_eq(st.http_version, 1002);
    cr_assert_eq(st.fields.keep_alive, 1);

    expect_ok("GET / HTTP/1.9\r\nHost: a\r\n\r\n", &st, &buf);
    cr_assert_eq(st.http_minor, 9);
}

Test(parse_request, absolute_form)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("GET http://Example.COM:8080/a/b?x=1 HTTP/1.1\r\n"
              "Host: example.com:8080\r\n\r\n", &st, &buf);
    cr_assert_eq(st.target_form, DR_HTTP_PARSE_TARGET_ABSOLUTE);
    assert_view(&st.schema, "http");
    assert_view(&st.uri_host, "Example.COM");
    assert_view(&st.uri_port, "8080");
    assert_view(&st.path, "/a/b");
    assert_view(&st.args, "x=1");
    assert_view(&st.target, "http://Example.COM:8080/a/b?x=1");
    /* the target's authority wins */
    assert_view(&st.server, "Example.COM");

    /* default ports compare equal to none */
    expect_ok("GET https://a.example/ HTTP/1.1\r\nHost: a.example:443\r\n\r\n",
              &st, &buf);
    expect_ok("GET HTTP://a.example:80/ HTTP/1.1\r\nHost: A.example\r\n\r\n",
              &st, &buf);
    expect_ok("GET http://a.example./ HTTP/1.1\r\nHost: a.example\r\n\r\n",
              &st, &buf);
    assert_view(&st.server, "a.example");

    /* no path: "/" implied */
    expect_ok("GET http://a.example HTTP/1.1\r\nHost: a.example\r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.empty_path, 1);
    cr_assert_eq(st.path.len, 0);

    expect_ok("GET http://a.example?q=1 HTTP/1.1\r\nHost: a.example\r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.empty_path, 1);
    assert_view(&st.args, "q=1");

    /* IPv6 literal */
    expect_ok("GET http://[::1]:81/x HTTP/1.1\r\nHost: [::1]:81\r\n\r\n",
              &st, &buf);
    assert_view(&st.uri_host, "[::1]");
    assert_view(&st.uri_port, "81");

    /* HTTP/1.0 without Host */
    expect_ok("GET http://a.example/ HTTP/1.0\r\n\r\n", &st, &buf);
    assert_view(&st.server, "a.example");
}

Test(parse_request, connect_authority_form)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("CONNECT server.example.com:443 HTTP/1.1\r\n"
              "Host: server.example.com:443\r\n\r\n", &st, &buf);
    cr_assert_eq(st.method, DR_HTTP_PARSE_METHOD_CONNECT);
    cr_assert_eq(st.target_form, DR_HTTP_PARSE_TARGET_AUTHORITY);
    assert_view(&st.uri_host, "server.example.com");
    assert_view(&st.uri_port, "443");
    assert_view(&st.server, "server.example.com");
    cr_assert_eq(st.path.len, 0);

    /* RFC 9110 9.3.6's example: the Host without the port */
    expect_ok("CONNECT server.example.com:80 HTTP/1.1\r\n"
              "Host: server.example.com\r\n\r\n", &st, &buf);
}

Test(parse_request, asterisk_form)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", &st, &buf);
    cr_assert_eq(st.target_form, DR_HTTP_PARSE_TARGET_ASTERISK);
    assert_view(&st.target, "*");
    assert_view(&st.path, "*");
}

Test(parse_request, uri_flags)
{
    static const struct {
        const char  *target;
        const char  *path;
        const char  *args;
        unsigned     complex, quoted, plus;
    } t[] = {
        { "/a/b/c.html", "/a/b/c.html", NULL, 0, 0, 0 },
        { "/a//b", "/a//b", NULL, 1, 0, 0 },
        { "/a/./b", "/a/./b", NULL, 1, 0, 0 },
        { "/a/../b", "/a/../b", NULL, 1, 0, 0 },
        { "/.hidden", "/.hidden", NULL, 1, 0, 0 },
        { "/a.b/c.d", "/a.b/c.d", NULL, 0, 0, 0 },
        { "/a%20b", "/a%20b", NULL, 0, 1, 0 },
        { "/a+b", "/a+b", NULL, 0, 0, 1 },
        { "/a?b=c+d%20//./", "/a", "b=c+d%20//./", 0, 0, 0 },
        { "/a?", "/a", "", 0, 0, 0 },
        { "/a?b?c", "/a", "b?c", 0, 0, 0 },
        { "/a#frag", "/a", NULL, 1, 0, 0 },
        { "/a?x=1#f#g", "/a", "x=1", 1, 0, 0 },
        { "/~user/{x}|\"^`\\", "/~user/{x}|\"^`\\", NULL, 0, 0, 0 },
        { "/caf\xc3\xa9", "/caf\xc3\xa9", NULL, 0, 0, 0 },
        { "/a:b@c;d=e,f!$&'()*", "/a:b@c;d=e,f!$&'()*", NULL, 0, 0, 0 },
    };
    char                     in[512];
    u_char                  *buf;
    size_t                   i;
    dr_http_parse_request_t  st;

    for (i = 0; i < dr_nelems(t); i++) {
        snprintf(in, sizeof(in), "GET %s HTTP/1.1\r\nHost: h\r\n\r\n",
                 t[i].target);
        expect_ok(in, &st, &buf);

        cr_assert_eq(st.target.len, strlen(t[i].target), "%s", t[i].target);
        cr_assert_eq(st.path.len, strlen(t[i].path), "%s", t[i].target);
        cr_assert_eq(memcmp(st.path.data, t[i].path, st.path.len), 0);

        if (t[i].args) {
            cr_assert_eq(st.args.len, strlen(t[i].args), "%s", t[i].target);
            cr_assert_eq(memcmp(st.args.data, t[i].args, st.args.len), 0);

        } else {
            cr_assert_null(st.args.data, "%s", t[i].target);
        }

        cr_assert_eq(st.complex_uri, t[i].complex, "%s", t[i].target);
        cr_assert_eq(st.quoted_uri, t[i].quoted, "%s", t[i].target);
        cr_assert_eq(st.plus_in_uri, t[i].plus, "%s", t[i].target);
    }
}

Test(parse_request, header_values_trimmed_and_checked)
{
    const char  *in = "GET / HTTP/1.1\r\n"
                      "Host:a\r\n"
                      "X-Empty:\r\n"
                      "X-Spaces:    \r\n"
                      "X-Tabs:\t v \t w\t \r\n"
                      "X-Obs: \x80\xff\r\n"
                      "X-Long: 0123456789abcdef0123456789abcdef0123456789\r\n"
                      "X-Tab-In-Long: 01234567\t89abcdef0123456789\r\n"
                      "!#$%&'*+-.^_`|~09azAZ: token name\r\n"
                      "\r\n";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok(in, &st, &buf);
    cr_assert_eq(st.fields.nheaders, 8);
    assert_view(&hdrs[0].value, "a");
    assert_view(&hdrs[1].value, "");
    cr_assert_not_null(hdrs[1].value.data);
    assert_view(&hdrs[2].value, "");
    assert_view(&hdrs[3].value, "v \t w");
    assert_view(&hdrs[4].value, "\x80\xff");
    assert_view(&hdrs[5].value, "0123456789abcdef0123456789abcdef0123456789");
    assert_view(&hdrs[6].value, "01234567\t89abcdef0123456789");
    assert_view(&hdrs[7].name, "!#$%&'*+-.^_`|~09azAZ");
}

Test(parse_request, header_names_any_case)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("POST / HTTP/1.1\r\nHOST: a\r\ncontent-LENGTH: 3\r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.fields.content_length_n, 3);
    assert_view(&st.server, "a");
    cr_assert_eq(hdrs[0].id, DR_HTTP_PARSE_HDR_HOST);

    /* names that only look alike are not ours */
    expect_ok("GET / HTTP/1.1\r\nHost: a\r\nContent-Length2: x\r\n"
              "Hosts: b\r\nX-Host: c\r\n\r\n", &st, &buf);
    cr_assert_eq(hdrs[1].id, DR_HTTP_PARSE_HDR_OTHER);
    cr_assert_eq(hdrs[2].id, DR_HTTP_PARSE_HDR_OTHER);
    cr_assert_eq(st.fields.content_length_n, -1);
}

Test(parse_request, content_length_values)
{
    u_char                  *buf;
    dr_http_parse_request_t  st;

    expect_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.fields.content_length_n, 0);

    expect_ok("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:  007 \r\n\r\n",
              &st, &buf);
    cr_assert_eq(st.fields.content_length_n, 7);

    /* 2^62 is the largest accepted */
    expect_ok("POST / HTTP/1.1\r\nHost: a\r\n"
              "Content-Length: 4611686018427387904\r\n\r\n", &st, &buf);
    cr_assert_eq(st.fields.content_length_n, (off_t) 1 << 62);
}

Test(parse_request, host_values)
{
    static const char  *ok[] = {
        "example.com", "EXAMPLE.com", "a", "1.2.3.4", "1.2.3.4:80",
        "[::1]", "[2001:db8::1]:8080", "x.y.", "a-b_c~d", "a%41b",
        "sub!$&'()*+,;=", "host:", "host:65535",
    };
    char                     in[256];
    u_char                  *buf;
    size_t                   i;
    dr_http_parse_request_t  st;

    for (i = 0; i < dr_nelems(ok); i++) {
        snprintf(in, sizeof(in), "GET / HTTP/1.1\r\nHost: %s\r\n\r\n", ok[i]);
        expect_ok(in, &st, &buf);
    }

    expect_ok("GET / HTTP/1.1\r\nHost: Www.Example.com.:8080\r\n\r\n",
              &st, &buf);
    assert_view(&st.fields.host, "Www.Example.com.:8080");
    assert_view(&st.fields.host_name, "Www.Example.com");
    assert_view(&st.fields.host_port, "8080");
    assert_view(&st.server, "Www.Example.com");
}

Test(parse_request, leading_empty_lines)
{
    const char              *in = "\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    cr_assert_eq(parse(in, &st, &buf), (dr_int_t) strlen(in));
    cr_assert_eq(st.request_line.data, buf + 4);
}

Test(parse_request, pipelined)
{
    const char  *in = "GET /1 HTTP/1.1\r\nHost: a\r\n\r\n"
                      "GET /2 HTTP/1.1\r\nHost: a\r\n\r\n";
    u_char                  *buf;
    size_t                   len;
    dr_int_t                 rc, rc2;
    dr_http_parse_request_t  st;

    len = strlen(in);
    rc = parse(in, &st, &buf);
    cr_assert_eq(rc, (dr_int_t) len / 2);
    assert_view(&st.path, "/1");

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    rc2 = dr_http_parse_request(&st, buf + rc, len - rc);
    cr_assert_eq(rc2, (dr_int_t) len / 2);
    assert_view(&st.path, "/2");
}

Test(parse_request, many_headers_up_to_the_limit)
{
    char                     in[8192];
    size_t                   n;
    dr_uint_t                i;
    u_char                  *buf;
    dr_http_parse_request_t  st;
    dr_http_parse_header_t   h[10];

    n = (size_t) snprintf(in, sizeof(in), "GET / HTTP/1.1\r\n");

    for (i = 0; i < 10; i++) {
        n += snprintf(in + n, sizeof(in) - n, "X-H%lu: %lu\r\n",
                      (unsigned long) i, (unsigned long) i);
    }

    n += snprintf(in + n, sizeof(in) - n, "\r\n");

    /* ten lines fit ten slots; Host missing is only found at the end */
    dr_http_parse_request_init(&st, h, 10);
    buf = guarded(in, n);
    cr_assert_eq(dr_http_parse_request(&st, buf, n), DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_NO_HOST);
    cr_assert_eq(st.fields.nheaders, 10);

    /* nine slots: the tenth line is one too many */
    dr_http_parse_request_init(&st, h, 9);
    buf = guarded(in, n);
    cr_assert_eq(dr_http_parse_request(&st, buf, n), DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS);
    cr_assert_eq(dr_http_parse_err_status(st.err), 494);

    /* no array: counted and checked, not stored */
    memcpy(in + n - 2, "Host: a\r\n\r\n", 11);
    n += 9;
    dr_http_parse_request_init(&st, NULL, 11);
    buf = guarded(in, n);
    cr_assert_eq(dr_http_parse_request(&st, buf, n), (dr_int_t) n);
    cr_assert_eq(st.fields.nheaders, 11);
    assert_view(&st.server, "a");
}


/* ---------------------------------------------- progress and buffers */

Test(parse_request, state_tells_line_from_headers)
{
    u_char                  *buf;
    const char              *in = "GET /very/long/uri HTTP/1.1\r\nHost: a\r\n"
                                  "X-Long: aaaaaaaa";
    dr_http_parse_request_t  st;

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);

    buf = guarded(in, 10);
    cr_assert_eq(dr_http_parse_request(&st, buf, 10), DR_PARSE_AGAIN);
    cr_assert_eq(st.state, DR_HTTP_PARSE_STATE_LINE);   /* -> 414 */
    cr_assert_eq(st.pos, 0);

    buf = guarded(in, strlen(in));
    cr_assert_eq(dr_http_parse_request(&st, buf, strlen(in)), DR_PARSE_AGAIN);
    cr_assert_eq(st.state, DR_HTTP_PARSE_STATE_HEADERS); /* -> 494 */
    cr_assert_eq(st.pos, strstr(in, "X-Long") - in);
    assert_view(&st.path, "/very/long/uri");
    assert_view(&hdrs[0].value, "a");
}

Test(parse_request, views_follow_moved_bytes)
{
    const char              *in = "GET /a?b HTTP/1.1\r\nHost: h:1\r\n"
                                  "X: y\r\n\r\n";
    static u_char            one[128], two[128];
    dr_http_parse_request_t  st;
    size_t                   len;

    len = strlen(in);
    memcpy(one, in, len);
    memcpy(two, in, len);

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    cr_assert_eq(dr_http_parse_request(&st, one, len - 6), DR_PARSE_AGAIN);
    cr_assert_eq(st.path.data, one + 4);

    memset(one, 'Z', sizeof(one));

    cr_assert_eq(dr_http_parse_request(&st, two, len), (dr_int_t) len);
    cr_assert_eq(st.path.data, two + 4);
    cr_assert_eq(st.args.data, two + 7);
    cr_assert_eq(hdrs[0].value.data, two + 25);
    assert_view(&st.fields.host_port, "1");
    assert_view(&st.server, "h");
    assert_view(&hdrs[1].name, "X");
}

Test(parse_request, partial_line_is_searched_once)
{
    /* many one-byte arrivals of a long line: scan grows, pos stays */
    static u_char            b[4096];
    dr_http_parse_request_t  st;
    size_t                   i, n;

    n = (size_t) snprintf((char *) b, sizeof(b), "GET /");
    memset(b + n, 'a', 3000);
    n += 3000;
    n += snprintf((char *) b + n, sizeof(b) - n,
                  " HTTP/1.1\r\nHost: a\r\n\r\n");

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);

    for (i = 1; i < n; i++) {
        cr_assert_eq(dr_http_parse_request(&st, b, i), DR_PARSE_AGAIN);
        cr_assert_eq(st.scan, i);
    }

    cr_assert_eq(dr_http_parse_request(&st, b, n), (dr_int_t) n);
    cr_assert_eq(st.path.len, 3001);
}

Test(parse_request, shorter_len_is_not_read)
{
    const char              *in = "GET / HTTP/1.1\r\nHo";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    buf = guarded(in, strlen(in));
    cr_assert_eq(dr_http_parse_request(&st, buf, strlen(in)), DR_PARSE_AGAIN);
    cr_assert_eq(dr_http_parse_request(&st, buf, 3), DR_PARSE_AGAIN);
}

Test(parse_request, error_is_sticky)
{
    u_char                  *buf;
    const char              *in = "GET / HTTP/1.1\r\nHost: a\r\n"
                                  "Host: b\r\n\r\n";
    dr_http_parse_request_t  st;

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    buf = guarded(in, strlen(in));
    cr_assert_eq(dr_http_parse_request(&st, buf, strlen(in)), DR_PARSE_ERROR);
    cr_assert_eq(dr_http_parse_request(&st, buf, strlen(in)), DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_DUP_HOST);
}

Test(parse_request, tls_and_garbage_refused_early)
{
    static const u_char      hello[] = { 0x16, 0x03, 0x01, 0x02, 0x00, 0x01 };
    u_char                  *buf;
    dr_http_parse_request_t  st;

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    buf = guarded(hello, sizeof(hello));
    cr_assert_eq(dr_http_parse_request(&st, buf, sizeof(hello)),
                 DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_INVALID_METHOD);

    /* HTTP/2 prior knowledge preface: refused at the request line */
    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    buf = guarded("PRI * HTTP/2.0\r\n", 16);
    cr_assert_eq(dr_http_parse_request(&st, buf, 16), DR_PARSE_ERROR);

    dr_http_parse_request_init(&st, hdrs, MAX_HEADERS);
    buf = guarded(" GET", 4);
    cr_assert_eq(dr_http_parse_request(&st, buf, 4), DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_INVALID_METHOD);
}


/* --------------------------------------------------------- invalid */

Test(parse_request, invalid_request_lines)
{
    expect_err("GET  / HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_REQUEST_LINE, 400);
    expect_err("GET /  HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/1.1 \r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err(" GET / HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_METHOD, 400);
    expect_err("GET\t/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_METHOD, 400);
    expect_err("G(T / HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_METHOD, 400);
    expect_err("GET\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_METHOD, 400);
    expect_err("GET /\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_REQUEST_LINE, 400);
    expect_err("GET / \r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/1.1\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("GET /\n", DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("GET / HTTP/1.1\r\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("\n", DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("\r\r\n", DR_HTTP_PARSE_ERR_BARE_CR, 400);
    expect_err("\r\n\nGET / HTTP/1.1\r\n\r\n", DR_HTTP_PARSE_ERR_BARE_LF, 400);
}

Test(parse_request, invalid_versions)
{
    expect_err("GET / HTTP/2.0\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION, 505);
    expect_err("GET / HTTP/3.0\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION, 505);
    expect_err("GET / HTTP/0.9\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION, 505);
    expect_err("GET / HTTP/1.10\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/10.0\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / http/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/1.x\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/1,1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTPS/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
    expect_err("GET / HTTP/1.1x\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_VERSION, 400);
}

Test(parse_request, invalid_targets)
{
    expect_err("GET /a\x01 HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("GET /a\x7f HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("GET /a\tb HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("GET /a?b\x02 HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("GET index.html HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("GET ?x HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("GET example.com:80 HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_AUTHORITY_FORM, 400);
    expect_err("GET http:/x HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_AUTHORITY_FORM, 400);
    expect_err("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_SCHEME, 400);
    expect_err("GET httpx://a/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_SCHEME, 400);
    expect_err("GET http://user:pw@a/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_USERINFO, 400);
    expect_err("GET http://a..b/ HTTP/1.1\r\nHost: a..b\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_URI_HOST, 400);
    expect_err("GET http:///x HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_URI_HOST, 400);
    expect_err("GET http://a:99999/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_URI_HOST, 400);
    expect_err("GET http://[zz]/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_URI_HOST, 400);
    expect_err("GET * HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_ASTERISK_FORM, 400);
    expect_err("OPTIONS *x HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TARGET, 400);
    expect_err("CONNECT / HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_CONNECT_TARGET, 400);
    expect_err("CONNECT http://a:1/ HTTP/1.1\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_CONNECT_TARGET, 400);
    expect_err("CONNECT a.example HTTP/1.1\r\nHost: a.example\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_URI_HOST, 400);
    expect_err("CONNECT u@a.example:443 HTTP/1.1\r\nHost: a.example\r\n\r\n",
               DR_HTTP_PARSE_ERR_USERINFO, 400);
}

Test(parse_request, nul_in_target)
{
    static const char        in[] = "GET /a\0b HTTP/1.1\r\nHost: a\r\n\r\n";
    u_char                  *buf;
    dr_http_parse_request_t  st;

    cr_assert_eq(parse_all_ways(in, sizeof(in) - 1, &st, hdrs, &buf),
                 DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_INVALID_TARGET);
}

Test(parse_request, invalid_header_lines)
{
    expect_err("GET / HTTP/1.1\r\nHost : a\r\n\r\n",
               DR_HTTP_PARSE_ERR_SPACE_BEFORE_COLON, 400);
    expect_err("GET / HTTP/1.1\r\nHost\t: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_SPACE_BEFORE_COLON, 400);
    expect_err("GET / HTTP/1.1\r\n Host: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_OBS_FOLD, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n c\r\n\r\n",
               DR_HTTP_PARSE_ERR_OBS_FOLD, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX: b\r\n\tc\r\n\r\n",
               DR_HTTP_PARSE_ERR_OBS_FOLD, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX@y: x\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX\xc3\xa9: x\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX(: x\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX: a\nY: b\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX:\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\n\n",
               DR_HTTP_PARSE_ERR_BARE_LF, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_CR, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX: a\r\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_CR, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nX\r: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_CR, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\n\rX\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_CR, 400);
}

Test(parse_request, control_bytes_in_values)
{
    static const char  bad[] = "\x00\x01\x08\x0b\x0c\x0e\x1b\x1f\x7f";
    char               in[256];
    size_t             i, n, pre;
    u_char            *buf;
    dr_int_t           rc;
    dr_http_parse_request_t  st;

    for (i = 0; i < sizeof(bad) - 1; i++) {

        /* at every place of the vector, word and byte loops */
        for (pre = 0; pre < 40; pre++) {
            n = (size_t) snprintf(in, sizeof(in),
                                  "GET / HTTP/1.1\r\nHost: a\r\nX: ");
            memset(in + n, 'v', pre);
            n += pre;
            in[n++] = bad[i];
            n += snprintf(in + n, sizeof(in) - n, "w\r\n\r\n");

            rc = parse_all_ways(in, n, &st, hdrs, &buf);
            cr_assert_eq(rc, DR_PARSE_ERROR, "byte %02x", bad[i]);
            cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_INVALID_HEADER_VALUE,
                         "byte %02x: %s", bad[i],
                         dr_http_parse_err_text(st.err));
        }
    }
}

Test(parse_request, tabs_anywhere_in_values)
{
    char                     in[256];
    size_t                   n, pre;
    u_char                  *buf;
    dr_http_parse_request_t  st;

    for (pre = 0; pre < 40; pre++) {
        n = (size_t) snprintf(in, sizeof(in),
                              "GET / HTTP/1.1\r\nHost: a\r\nX: ");
        memset(in + n, 'v', 40);
        in[n + pre] = '\t';
        in[n + 40] = '\0';
        strcat(in, "w\x80\r\n\r\n");

        expect_ok(in, &st, &buf);
        /* a tab first is OWS, trimmed */
        cr_assert_eq(hdrs[1].value.len, pre ? 42 : 41, "tab at %zu", pre);
    }
}

Test(parse_request, content_length_errors)
{
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
               "Content-Length: 5\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
               "content-length: 6\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 5\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +5\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1 0\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1.0\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length:\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Content-Length: 4611686018427387905\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Content-Length: 99999999999999999999999999\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH, 400);
}

Test(parse_request, transfer_encoding_errors)
{
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING, 501);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: gzip, chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING, 501);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: chunked;q=1\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING, 501);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: identity\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING, 501);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: chunked, gzip\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: chunked, chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding:\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: ,\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: chunked x\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: \"chunked\"\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: x;a=\"unterminated\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING, 400);
    /* a quoted comma does not split the list */
    expect_err("POST / HTTP/1.1\r\nHost: a\r\n"
               "Transfer-Encoding: x;a=\",chunked\"\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING, 501);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
               "Transfer-Encoding: chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_TRANSFER_ENCODING, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n"
               "Content-Length: 5\r\n\r\n",
               DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED, 400);
    expect_err("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n"
               "Transfer-Encoding: chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED, 400);
    expect_err("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_TRANSFER_ENCODING_HTTP10, 400);
}

Test(parse_request, host_errors)
{
    expect_err("GET / HTTP/1.1\r\n\r\n", DR_HTTP_PARSE_ERR_NO_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nX: y\r\n\r\n",
               DR_HTTP_PARSE_ERR_NO_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_HOST, 400);
    expect_err("GET / HTTP/1.0\r\nHost: a\r\nhost: b\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost:\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a b\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a/b\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\\b\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a..b\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: .\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a:b\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a:65536\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a:000080\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a:1:2\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: [::1\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: [::1]x\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: []\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a%zz\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: u@a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);
    expect_err("GET / HTTP/1.1\r\nHost: a\x80\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HOST, 400);

    /* absolute-form: the Host must name the same server */
    expect_err("GET http://a.example/ HTTP/1.1\r\nHost: b.example\r\n\r\n",
               DR_HTTP_PARSE_ERR_HOST_MISMATCH, 400);
    expect_err("GET http://a.example/ HTTP/1.1\r\nHost: a.example:81\r\n\r\n",
               DR_HTTP_PARSE_ERR_HOST_MISMATCH, 400);
    expect_err("GET https://a.example/ HTTP/1.1\r\nHost: a.example:80\r\n\r\n",
               DR_HTTP_PARSE_ERR_HOST_MISMATCH, 400);
    expect_err("GET http://a.example/ HTTP/1.1\r\n\r\n",
               DR_HTTP_PARSE_ERR_NO_HOST, 400);
    expect_err("CONNECT a.example:443 HTTP/1.1\r\nHost: a.example:8443\r\n\r\n",
               DR_HTTP_PARSE_ERR_HOST_MISMATCH, 400);
}

Test(parse_request, error_texts_and_statuses)
{
    dr_uint_t  e;

    for (e = 1; e < DR_HTTP_PARSE_ERR_LAST; e++) {
        cr_assert_not_null(dr_http_parse_err_text(e), "%lu", (unsigned long) e);
        cr_assert(strlen(dr_http_parse_err_text(e)) > 5);
        cr_assert(dr_http_parse_err_status(e) >= 400);
    }

    cr_assert_str_eq(dr_http_parse_err_text(DR_HTTP_PARSE_ERR_LAST),
                     "unknown error");
    cr_assert_eq(dr_http_parse_err_status(DR_HTTP_PARSE_ERR_LAST), 400);
    cr_assert_eq(dr_http_parse_err_status(
                     DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING), 501);
    cr_assert_eq(dr_http_parse_err_status(
                     DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION), 505);
    cr_assert_eq(dr_http_parse_err_status(DR_HTTP_PARSE_ERR_BODY_TOO_LARGE),
                 413);
}
