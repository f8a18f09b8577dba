/*
 * Tests of the upstream response head parser and the body rules
 * (src/http/dr_http_parse_response.c, fields in dr_http_parse.c).
 *
 * Inputs end at a PROT_NONE guard page; every response is also parsed
 * split at every byte boundary (the bytes moving between the calls), byte
 * by byte, and growing in place, and must give the same result.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"

#include <criterion/criterion.h>


#define ARENA_SIZE   (256 * 1024)
#define MAX_HEADERS  32
#define DUMP_SIZE    4096


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
        cr_assert_eq(s->len, 0);
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
dump_response(char *out, dr_int_t rc, dr_http_parse_response_t *st,
    u_char *buf, size_t len)
{
    dr_uint_t                i;
    dr_http_parse_fields_t  *f;

    out[0] = '\0';

    dump_num(out, "rc", rc);
    dump_num(out, "state", st->state);
    dump_num(out, "err", st->err);

    if (rc < 0) {
        return;
    }

    cr_assert((size_t) rc <= len);

    f = &st->fields;

    dump_str(out, "line", &st->status_line, buf, len);
    dump_num(out, "v", st->http_version);
    dump_num(out, "status", st->status);
    dump_str(out, "reason", &st->reason, buf, len);
    dump_num(out, "nh", f->nheaders);

    for (i = 0; f->headers && i < f->nheaders; i++) {
        dump_str(out, "hn", &f->headers[i].name, buf, len);
        dump_str(out, "hv", &f->headers[i].value, buf, len);
        dump_num(out, "hid", f->headers[i].id);
    }

    dump_num(out, "cl", f->content_length_n);
    dump_str(out, "te", &f->transfer_encoding, buf, len);
    dump_str(out, "conn", &f->connection, buf, len);
    dump_str(out, "upg", &f->upgrade, buf, len);
    dump_num(out, "flags", f->chunked | f->conn_close << 1
                           | f->conn_keep_alive << 2 | f->conn_upgrade << 3
                           | f->keep_alive << 5);
}


static dr_http_parse_header_t  hdrs[MAX_HEADERS];


static dr_int_t
parse_all_ways(const char *in, size_t len, dr_http_parse_response_t *st,
    u_char **bufp)
{
    static char                    want[DUMP_SIZE], got[DUMP_SIZE];
    static dr_http_parse_header_t  h2[MAX_HEADERS];
    u_char                        *buf;
    size_t                         k;
    dr_int_t                       rc, r1, r2;
    dr_http_parse_response_t       st2;

    dr_http_parse_response_init(st, hdrs, MAX_HEADERS);
    buf = guarded(in, len);
    rc = dr_http_parse_response(st, buf, len);
    dump_response(want, rc, st, buf, len);

    cr_assert_eq(dr_http_parse_response(st, buf, len), rc);

    for (k = 0; k < len; k++) {
        dr_http_parse_response_init(&st2, h2, MAX_HEADERS);
        r1 = dr_http_parse_response(&st2, guarded(in, k), k);

        if (rc >= 0 && k < (size_t) rc) {
            cr_assert_eq(r1, DR_PARSE_AGAIN, "split %zu of %s", k, in);
        }

        if (r1 == DR_PARSE_ERROR) {
            cr_assert_eq(rc, DR_PARSE_ERROR, "split %zu of %s", k, in);
            cr_assert_eq(st2.err, st->err, "split %zu of %s: %s", k, in,
                         dr_http_parse_err_text(st2.err));
            continue;
        }

        buf = guarded(in, len);
        r2 = dr_http_parse_response(&st2, buf, len);
        dump_response(got, r2, &st2, buf, len);
        cr_assert_str_eq(got, want, "split at %zu of \"%s\"", k, in);
    }

    dr_http_parse_response_init(&st2, h2, MAX_HEADERS);
    r2 = DR_PARSE_AGAIN;

    for (k = 0; k <= len && r2 == DR_PARSE_AGAIN; k++) {
        buf = guarded(in, k);
        r2 = dr_http_parse_response(&st2, buf, k);
    }

    if (r2 != DR_PARSE_ERROR) {
        buf = guarded(in, len);
        r2 = dr_http_parse_response(&st2, buf, len);
    }

    dump_response(got, r2, &st2, buf, len);
    cr_assert_str_eq(got, want, "byte by byte: \"%s\"", in);

    dr_http_parse_response_init(&st2, h2, MAX_HEADERS);
    buf = guarded(in, len);
    r2 = DR_PARSE_AGAIN;

    for (k = 0; k <= len && r2 == DR_PARSE_AGAIN; k++) {
        r2 = dr_http_parse_response(&st2, buf, k);
    }

    if (r2 >= 0) {
        r2 = dr_http_parse_response(&st2, buf, len);
    }

    dump_response(got, r2, &st2, buf, len);
    cr_assert_str_eq(got, want, "growing: \"%s\"", in);

    dr_http_parse_response_init(st, hdrs, MAX_HEADERS);
    buf = guarded(in, len);
    rc = dr_http_parse_response(st, buf, len);
    *bufp = buf;

    return rc;
}


static dr_int_t
parse(const char *in, dr_http_parse_response_t *st)
{
    u_char  *buf;

    return parse_all_ways(in, strlen(in), st, &buf);
}


static void
expect_ok(const char *in, dr_http_parse_response_t *st)
{
    dr_int_t  rc;

    rc = parse(in, st);
    cr_assert(rc >= 0, "\"%s\": %s", in, dr_http_parse_err_text(st->err));
}


static void
expect_err(const char *in, dr_uint_t err)
{
    dr_http_parse_response_t  st;

    cr_assert_eq(parse(in, &st), DR_PARSE_ERROR, "\"%s\" parsed", in);
    cr_assert_eq(st.err, err, "\"%s\": got \"%s\", want \"%s\"", in,
                 dr_http_parse_err_text(st.err), dr_http_parse_err_text(err));
}


#define assert_view(s, lit)                                                   \
    cr_assert((s)->len == sizeof(lit) - 1                                     \
              && memcmp((s)->data, lit, sizeof(lit) - 1) == 0,                \
              #s " is \"%.*s\", want \"%s\"", (int) (s)->len,                 \
              (s)->data ? (char *) (s)->data : "", lit)

#define GET   DR_HTTP_PARSE_METHOD_GET
#define HEAD  DR_HTTP_PARSE_METHOD_HEAD


/* ----------------------------------------------------------- valid */

Test(parse_response, ok_with_length)
{
    const char                *in = "HTTP/1.1 200 OK\r\nServer: x\r\n"
                                    "Content-Length: 5\r\n\r\nhello";
    dr_http_parse_response_t   st;

    cr_assert_eq(parse(in, &st), (dr_int_t) strlen(in) - 5);
    cr_assert_eq(st.status, 200);
    cr_assert_eq(st.http_version, DR_HTTP_PARSE_VERSION_11);
    assert_view(&st.reason, "OK");
    assert_view(&st.status_line, "HTTP/1.1 200 OK");
    cr_assert_eq(st.fields.nheaders, 2);
    assert_view(&hdrs[0].name, "Server");
    cr_assert_eq(st.fields.content_length_n, 5);
    cr_assert_eq(st.fields.keep_alive, 1);
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_LENGTH);
    cr_assert_eq(dr_http_parse_response_body(&st, HEAD),
                 DR_HTTP_PARSE_BODY_NONE);
}

Test(parse_response, http10_close_delimited)
{
    dr_http_parse_response_t  st;

    expect_ok("HTTP/1.0 404 Not Found\r\nContent-Type: text/html\r\n\r\n", &st);
    cr_assert_eq(st.status, 404);
    cr_assert_eq(st.http_version, DR_HTTP_PARSE_VERSION_10);
    assert_view(&st.reason, "Not Found");
    cr_assert_eq(st.fields.keep_alive, 0);
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_CLOSE);

    expect_ok("HTTP/1.0 200 OK\r\nConnection: keep-alive\r\n"
              "Content-Length: 0\r\n\r\n", &st);
    cr_assert_eq(st.fields.keep_alive, 1);
}

Test(parse_response, chunked)
{
    dr_http_parse_response_t  st;

    expect_ok("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
              "Connection: close\r\n\r\n", &st);
    cr_assert_eq(st.fields.chunked, 1);
    cr_assert_eq(st.fields.keep_alive, 0);
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_CHUNKED);
}

Test(parse_response, bodiless_statuses)
{
    dr_http_parse_response_t  st;

    expect_ok("HTTP/1.1 204 No Content\r\n\r\n", &st);
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_NONE);

    expect_ok("HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", &st);
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_NONE);

    expect_ok("HTTP/1.1 100 Continue\r\n\r\n", &st);
    cr_assert_eq(st.status, 100);
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_NONE);

    expect_ok("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n"
              "Connection: Upgrade\r\n\r\n", &st);
    cr_assert_eq(st.fields.conn_upgrade, 1);
    assert_view(&st.fields.upgrade, "websocket");
    cr_assert_eq(dr_http_parse_response_body(&st, GET),
                 DR_HTTP_PARSE_BODY_NONE);

    expect_ok("HTTP/1.1 200 Connection established\r\n\r\n", &st);
    cr_assert_eq(dr_http_parse_response_body(&st,
                                              DR_HTTP_PARSE_METHOD_CONNECT),
                 DR_HTTP_PARSE_BODY_NONE);
}

Test(parse_response, has_body_rules)
{
    static const struct {
        dr_uint_t  status;
        dr_uint_t  method;
        dr_uint_t  body;
    } t[] = {
        { 100, GET, 0 }, { 101, GET, 0 }, { 199, GET, 0 },
        { 200, GET, 1 }, { 201, DR_HTTP_PARSE_METHOD_POST, 1 },
        { 204, GET, 0 }, { 205, GET, 1 }, { 206, GET, 1 },
        { 301, GET, 1 }, { 304, GET, 0 }, { 404, GET, 1 }, { 500, GET, 1 },
        { 200, HEAD, 0 }, { 404, HEAD, 0 },
        { 200, DR_HTTP_PARSE_METHOD_CONNECT, 0 },
        { 299, DR_HTTP_PARSE_METHOD_CONNECT, 0 },
        { 407, DR_HTTP_PARSE_METHOD_CONNECT, 1 },
    };
    size_t  i;

    for (i = 0; i < dr_nelems(t); i++) {
        cr_assert_eq(dr_http_parse_response_has_body(t[i].status, t[i].method),
                     t[i].body, "%lu", (unsigned long) t[i].status);
    }
}

Test(parse_response, reason_phrases)
{
    dr_http_parse_response_t  st;

    /* the SP before an empty reason is often left out */
    expect_ok("HTTP/1.1 200\r\n\r\n", &st);
    cr_assert_eq(st.reason.len, 0);
    assert_view(&st.status_line, "HTTP/1.1 200");

    expect_ok("HTTP/1.1 200 \r\n\r\n", &st);
    cr_assert_eq(st.reason.len, 0);

    expect_ok("HTTP/1.1 503 Service \tUnavailable \xe2\x9c\x93\r\n\r\n", &st);
    assert_view(&st.reason, "Service \tUnavailable \xe2\x9c\x93");

    expect_ok("HTTP/1.1 599 x\r\n\r\n", &st);
    cr_assert_eq(st.status, 599);
}

Test(parse_response, minor_versions)
{
    dr_http_parse_response_t  st;

    expect_ok("HTTP/1.2 200 OK\r\n\r\n", &st);
    cr_assert_eq(st.http_version, 1002);
    cr_assert_eq(st.fields.keep_alive, 1);
}

Test(parse_response, host_not_checked_in_responses)
{
    dr_http_parse_response_t  st;

    expect_ok("HTTP/1.1 200 OK\r\nHost: a b\r\nHost: c\r\n\r\n", &st);
    cr_assert_eq(st.fields.nheaders, 2);
    cr_assert_null(st.fields.host.data);
}

Test(parse_response, status_line_alone_then_rest)
{
    const char                *in = "HTTP/1.1 302 Found\r\n"
                                    "Location: /x\r\n\r\n";
    u_char                    *buf;
    size_t                     len;
    dr_http_parse_response_t   st;

    len = strlen(in);
    dr_http_parse_response_init(&st, hdrs, MAX_HEADERS);

    buf = guarded(in, 10);
    cr_assert_eq(dr_http_parse_status_line(&st, buf, 10), DR_PARSE_AGAIN);

    buf = guarded(in, len);
    cr_assert_eq(dr_http_parse_status_line(&st, buf, len), 20);
    cr_assert_eq(st.status, 302);
    cr_assert_eq(st.fields.nheaders, 0);
    cr_assert_eq(dr_http_parse_status_line(&st, buf, len), 20);

    cr_assert_eq(dr_http_parse_response(&st, buf, len), (dr_int_t) len);
    assert_view(&hdrs[0].value, "/x");
    cr_assert_eq(dr_http_parse_status_line(&st, buf, len), 20);
}

Test(parse_response, moved_buffer)
{
    const char                *in = "HTTP/1.1 200 OK\r\nA: b\r\n\r\n";
    static u_char              one[64], two[64];
    size_t                     len;
    dr_http_parse_response_t   st;

    len = strlen(in);
    memcpy(one, in, len);
    memcpy(two, in, len);

    dr_http_parse_response_init(&st, hdrs, MAX_HEADERS);
    cr_assert_eq(dr_http_parse_response(&st, one, len - 3), DR_PARSE_AGAIN);
    memset(one, 0, sizeof(one));
    cr_assert_eq(dr_http_parse_response(&st, two, len), (dr_int_t) len);
    assert_view(&st.reason, "OK");
    cr_assert_eq(st.reason.data, two + 13);
    assert_view(&hdrs[0].name, "A");
}


/* --------------------------------------------------------- invalid */

Test(parse_response, invalid_status_lines)
{
    expect_err("HTTP/1.1 20 OK\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS);
    expect_err("HTTP/1.1 2000 OK\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS);
    expect_err("HTTP/1.1 099 X\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS);
    expect_err("HTTP/1.1 600 X\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS);
    expect_err("HTTP/1.1 2x0 OK\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS);
    expect_err("HTTP/1.1  200 OK\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS);
    expect_err("HTTP/1.1 200OK\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("HTTP/2.0 200 OK\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION);
    expect_err("HTTP/0.9 200 OK\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION);
    expect_err("HTTP/1.10 200 OK\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("http/1.1 200 OK\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("HTTP/1.1\r\n\r\n", DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("HTTP/1.1 200 OK\n\r\n", DR_HTTP_PARSE_ERR_BARE_LF);
    expect_err("HTTP/1.1 200 O\x01K\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("HTTP/1.1 200 O\x7fK\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("HTTP/1.1 200 O\rK\r\n\r\n", DR_HTTP_PARSE_ERR_BARE_CR);
    expect_err("\r\nHTTP/1.1 200 OK\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    expect_err("\n", DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
}

Test(parse_response, garbage_refused_early)
{
    dr_http_parse_response_t   st;
    u_char                    *buf;

    /* HTTP/0.9-style bodies and other protocols, before any LF */
    dr_http_parse_response_init(&st, hdrs, MAX_HEADERS);
    buf = guarded("<html>", 6);
    cr_assert_eq(dr_http_parse_response(&st, buf, 6), DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
    cr_assert_eq(dr_http_parse_err_status(st.err), 502);

    dr_http_parse_response_init(&st, hdrs, MAX_HEADERS);
    buf = guarded("HTTPS", 5);
    cr_assert_eq(dr_http_parse_response(&st, buf, 5), DR_PARSE_ERROR);

    dr_http_parse_response_init(&st, hdrs, MAX_HEADERS);
    buf = guarded("HTT", 3);
    cr_assert_eq(dr_http_parse_response(&st, buf, 3), DR_PARSE_AGAIN);
    cr_assert_eq(dr_http_parse_response(&st, buf, 0), DR_PARSE_AGAIN);
}

Test(parse_response, framing_errors)
{
    /* identical duplicates too, as nginx 1.23 */
    expect_err("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
               "Content-Length: 5\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH);
    expect_err("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
               "Content-Length: 6\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH);
    expect_err("HTTP/1.1 200 OK\r\nContent-Length: 5, 5\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH);
    expect_err("HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH);
    expect_err("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n"
               "Transfer-Encoding: chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED);
    expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
               "Content-Length: 5\r\n\r\n",
               DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED);
    expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING);
    expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING);
    expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked, gzip\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING);
    expect_err("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
               "Transfer-Encoding: chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_DUP_TRANSFER_ENCODING);
    expect_err("HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
               DR_HTTP_PARSE_ERR_TRANSFER_ENCODING_HTTP10);
}

Test(parse_response, header_errors)
{
    expect_err("HTTP/1.1 200 OK\r\nX: a\r\n b\r\n\r\n",
               DR_HTTP_PARSE_ERR_OBS_FOLD);
    expect_err("HTTP/1.1 200 OK\r\nX : a\r\n\r\n",
               DR_HTTP_PARSE_ERR_SPACE_BEFORE_COLON);
    expect_err("HTTP/1.1 200 OK\r\nX: a\nY: b\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_LF);
    expect_err("HTTP/1.1 200 OK\r\nX: a\rY: b\r\n\r\n",
               DR_HTTP_PARSE_ERR_BARE_CR);
    expect_err("HTTP/1.1 200 OK\r\nX: a\x01\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_VALUE);
    expect_err("HTTP/1.1 200 OK\r\nX{: a\r\n\r\n",
               DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME);
}

Test(parse_response, too_many_headers)
{
    char                       in[4096];
    size_t                     n;
    dr_uint_t                  i;
    u_char                    *buf;
    dr_http_parse_response_t   st;
    dr_http_parse_header_t     h[4];

    n = (size_t) snprintf(in, sizeof(in), "HTTP/1.1 200 OK\r\n");

    for (i = 0; i < 5; i++) {
        n += snprintf(in + n, sizeof(in) - n, "X: %lu\r\n", (unsigned long) i);
    }

    n += snprintf(in + n, sizeof(in) - n, "\r\n");

    dr_http_parse_response_init(&st, h, 4);
    buf = guarded(in, n);
    cr_assert_eq(dr_http_parse_response(&st, buf, n), DR_PARSE_ERROR);
    cr_assert_eq(st.err, DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS);

    dr_http_parse_response_init(&st, NULL, 5);
    cr_assert_eq(dr_http_parse_response(&st, buf, n), (dr_int_t) n);
}
