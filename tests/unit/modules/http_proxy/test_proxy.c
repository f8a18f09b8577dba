/*
 * The proxy module's pure parts (modules/http_proxy): nginx's URI
 * replacement rules (dr_http_proxy_uri) on requests built by hand, and the
 * response side: a head split at every byte gives the same result as a
 * whole one (interim responses skipped, fields copied, framing decided),
 * broken heads are refused with the parser's reason, and the body filter
 * undoes chunked framing in place across any split, stops at the final
 * chunk, and cuts a Content-Length body at its length.
 */

#include <criterion/criterion.h>

#include "../../../../modules/http_proxy/dr_http_proxy_module.c"
#include "../../../../modules/http_proxy/dr_http_proxy_response.c"


static dr_log_t             test_log;
static dr_cycle_t           test_cycle;
static dr_pool_t           *test_pool;
static dr_connection_t      test_conn;
static dr_http_request_t    test_r;
static dr_http_upstream_t   test_u;
static dr_http_upstream_conf_t  test_uconf;
static dr_http_proxy_ctx_t  test_ctx;
static void                *test_ctxs[1];
static char                 test_logbuf[4096];


static void
test_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;

    len = dr_min(len, sizeof(test_logbuf) - 1);
    dr_memcpy(test_logbuf, buf, len);
    test_logbuf[len] = '\0';
}


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();

    test_log.log_level = DR_LOG_INFO;
    test_log.writer = test_writer;
    test_logbuf[0] = '\0';

    test_cycle.log = &test_log;
    dr_cycle = &test_cycle;

    /* some tests start over within one test: one pool at a time */
    if (test_pool) {
        dr_destroy_pool(test_pool);
    }

    test_pool = dr_create_pool(16384, &test_log);
    cr_assert_not_null(test_pool);

    dr_memzero(&test_conn, sizeof(test_conn));
    test_conn.log = &test_log;

    dr_memzero(&test_r, sizeof(test_r));
    test_r.pool = test_pool;
    test_r.connection = &test_conn;
    test_r.method = DR_HTTP_GET;
    test_r.http_version = DR_HTTP_VERSION_11;
    test_r.ctx = test_ctxs;
    test_r.upstream = &test_u;

    dr_http_proxy_module.ctx_index = 0;
    test_ctxs[0] = &test_ctx;

    dr_memzero(&test_ctx, sizeof(test_ctx));
    dr_memzero(&test_u, sizeof(test_u));
    dr_memzero(&test_uconf, sizeof(test_uconf));
    test_u.conf = &test_uconf;
}


static void
teardown(void)
{
    if (test_pool) {
        dr_destroy_pool(test_pool);
        test_pool = NULL;
    }
}


TestSuite(proxy, .init = setup, .fini = teardown);


/* ------------------------------------------------------------- URIs */


static void
test_set(dr_str_t *s, const char *v)
{
    s->data = (u_char *) v;
    s->len = v ? strlen(v) : 0;
}


/*
 * The target sent upstream for a request (<uri>, <args>, as the client
 * sent it: <unparsed>) in a location <loc> with proxy_pass URI part
 * <part> (NULL: none).
 */
static char *
test_target(const char *loc, const char *part, const char *uri,
    const char *args, const char *unparsed, dr_uint_t valid_unparsed,
    dr_uint_t valid_location)
{
    static char                 out[256];
    dr_str_t                    target;
    dr_http_proxy_loc_conf_t    plcf;

    dr_memzero(&plcf, sizeof(plcf));
    test_set(&plcf.location, loc);
    test_set(&test_ctx.vars.uri, part);

    test_set(&test_r.uri, uri);
    test_set(&test_r.args, args);
    test_set(&test_r.unparsed_uri, unparsed);
    test_r.valid_unparsed_uri = valid_unparsed;
    test_r.valid_location = valid_location;

    cr_assert_eq(dr_http_proxy_uri(&test_r, &test_ctx, &plcf, &target),
                 DR_OK);

    cr_assert_lt(target.len, sizeof(out));
    dr_memcpy(out, target.data, target.len);
    out[target.len] = '\0';

    return out;
}


Test(proxy, uri_without_part_goes_as_sent)
{
    cr_assert_str_eq(test_target("/", NULL, "/a b", "x=1", "/a%20b?x=1",
                                 1, 1), "/a%20b?x=1");
}


Test(proxy, uri_part_replaces_the_location)
{
    cr_assert_str_eq(test_target("/api/", "/v2/", "/api/users", "q=1",
                                 "/api/users?q=1", 1, 1), "/v2/users?q=1");
    cr_assert_str_eq(test_target("/api/", "/", "/api/x/y", NULL,
                                 "/api/x/y", 1, 1), "/x/y");
    cr_assert_str_eq(test_target("/api", "/v2", "/api", NULL, "/api", 1, 1),
                     "/v2");
    cr_assert_str_eq(test_target("=/exact", "/target", "/exact", NULL,
                                 "/exact", 1, 1) + 0, "/target");
}


Test(proxy, uri_part_escapes_a_decoded_uri)
{
    test_r.quoted_uri = 1;

    cr_assert_str_eq(test_target("/api/", "/v2/", "/api/a b?c", "z=%20",
                                 "/api/a%20b%3Fc?z=%20", 1, 1),
                     "/v2/a%20b%3Fc?z=%20");
}


Test(proxy, rewritten_uri_without_part)
{
    /* a rewrite: the unparsed URI no longer holds */
    test_r.internal = 1;

    cr_assert_str_eq(test_target("/", NULL, "/new path", "a=1",
                                 "/old", 0, 1), "/new%20path?a=1");
}


Test(proxy, rewrite_break_keeps_the_location_part)
{
    /* rewrite ... break: valid_location is off, nothing is replaced */
    cr_assert_str_eq(test_target("/rw/", "/base/", "/moved/one", "z=9",
                                 "/rw/one?z=9", 0, 0), "/moved/one?z=9");
}


Test(proxy, uri_with_variables_goes_as_evaluated)
{
    dr_str_t                    target;
    dr_http_complex_value_t     cv;
    dr_http_proxy_loc_conf_t    plcf;

    dr_memzero(&plcf, sizeof(plcf));
    plcf.url_cv = &cv;
    test_set(&test_ctx.vars.uri, "/v/var/p");
    test_set(&test_r.uri, "/var/p");
    test_set(&test_r.args, "a=1");
    test_r.valid_location = 1;
    test_r.valid_unparsed_uri = 1;

    cr_assert_eq(dr_http_proxy_uri(&test_r, &test_ctx, &plcf, &target),
                 DR_OK);
    cr_assert_eq(target.len, 8);
    cr_assert_eq(dr_memcmp(target.data, "/v/var/p", 8), 0);
}


/* --------------------------------------------------------- responses */


static void
test_response_start(void)
{
    cr_assert_eq(dr_http_proxy_reinit_request(&test_r), DR_OK);
    cr_assert_eq(dr_list_init(&test_u.headers_in.headers, test_pool, 8,
                              sizeof(dr_table_elt_t)), DR_OK);
    test_u.headers_in.content_length_n = -1;
}


/* feeds <head> to process_header growing one byte at a time */
static dr_int_t
test_head_bytewise(const char *head, u_char *buf)
{
    size_t    n, len;
    dr_int_t  rc;

    len = strlen(head);
    dr_memcpy(buf, head, len);

    test_u.buffer.start = buf;
    test_u.buffer.pos = buf;
    test_u.buffer.end = buf + len;

    rc = DR_AGAIN;

    for (n = 1; n <= len; n++) {
        test_u.buffer.last = buf + n;

        rc = dr_http_proxy_process_header(&test_r);

        if (rc != DR_AGAIN) {
            break;
        }
    }

    return rc;
}


Test(proxy, head_split_at_every_byte)
{
    u_char          buf[512];
    const char     *head = "HTTP/1.1 100 Continue\r\n\r\n"
                           "HTTP/1.1 103 Early Hints\r\nLink: </s>\r\n\r\n"
                           "HTTP/1.1 201 Created\r\n"
                           "Content-Length: 7\r\n"
                           "X-Accel-Buffering: no\r\n"
                           "Location: http://b/x\r\n"
                           "X-Multi: 1\r\nX-Multi: 2\r\n\r\n"
                           "payload";
    dr_table_elt_t  *h;

    test_response_start();
    test_uconf.change_buffering = 1;
    test_u.buffering = 1;

    cr_assert_eq(test_head_bytewise(head, buf), DR_OK);

    cr_assert_eq(test_u.headers_in.status_n, 201);
    cr_assert_eq(test_u.headers_in.status_line.len, 11);
    cr_assert_eq(dr_memcmp(test_u.headers_in.status_line.data,
                           "201 Created", 11), 0);
    cr_assert_eq(test_u.headers_in.content_length_n, 7);
    cr_assert(test_u.keepalive);
    cr_assert_eq(test_u.buffering, 0);        /* X-Accel-Buffering: no */
    cr_assert_eq(test_ctx.body, DR_HTTP_PARSE_BODY_LENGTH);
    cr_assert_eq(test_u.headers_in.headers.part.nelts, 5);

    /* copies, not views into the buffer */
    h = test_u.headers_in.location;
    cr_assert_not_null(h);
    cr_assert(h->value.data < buf || h->value.data >= buf + sizeof(buf));
    cr_assert_eq(dr_memcmp(h->value.data, "http://b/x", 10), 0);
    cr_assert_eq(dr_memcmp(h->lowcase_key, "location", 8), 0);

    /* the body starts where the head ended */
    cr_assert_eq(test_u.buffer.pos, buf + strlen(head) - 7);
    cr_assert_eq(dr_memcmp(test_u.buffer.pos, "payload", 7), 0);
}


Test(proxy, head_errors_name_their_reason)
{
    u_char  buf[512];

    static const char  *bad[] = {
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "HTTP/1.1 2000 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1\r\n"
            "Transfer-Encoding: chunked\r\n\r\n",
        "SSH-2.0-OpenSSH\r\n",
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(bad); i++) {
        setup();
        test_response_start();

        cr_assert_eq(test_head_bytewise(bad[i], buf),
                     DR_HTTP_UPSTREAM_INVALID_HEADER, "case %u",
                     (unsigned) i);
        cr_assert(strstr(test_logbuf, "upstream sent ") != NULL,
                  "case %u: %s", (unsigned) i, test_logbuf);
        teardown();
    }

    setup();
}


Test(proxy, unexpected_101_is_refused)
{
    u_char  buf[128];

    test_response_start();

    cr_assert_eq(test_head_bytewise("HTTP/1.1 101 Switching Protocols\r\n"
                                    "Upgrade: websocket\r\n\r\n", buf),
                 DR_HTTP_UPSTREAM_INVALID_HEADER);

    setup();
    test_response_start();
    test_ctx.upgrade_sent = 1;

    cr_assert_eq(test_head_bytewise("HTTP/1.1 101 Switching Protocols\r\n"
                                    "Upgrade: websocket\r\n\r\n", buf),
                 DR_OK);
    cr_assert(test_u.upgrade);
    cr_assert_eq(test_u.keepalive, 0);
}


Test(proxy, no_body_for_head_204_304)
{
    u_char  buf[256];

    test_response_start();
    test_r.method = DR_HTTP_HEAD;
    cr_assert_eq(test_head_bytewise("HTTP/1.1 200 OK\r\n"
                                    "Content-Length: 100\r\n\r\n", buf),
                 DR_OK);
    cr_assert_eq(dr_http_proxy_input_filter_init(&test_r), DR_OK);
    cr_assert_eq(test_u.length, 0);

    setup();
    test_response_start();
    cr_assert_eq(test_head_bytewise("HTTP/1.1 304 Not Modified\r\n"
                                    "Content-Length: 100\r\n\r\n", buf),
                 DR_OK);
    cr_assert_eq(dr_http_proxy_input_filter_init(&test_r), DR_OK);
    cr_assert_eq(test_u.length, 0);

    setup();
    test_response_start();
    cr_assert_eq(test_head_bytewise("HTTP/1.0 200 OK\r\n\r\n", buf), DR_OK);
    cr_assert_eq(dr_http_proxy_input_filter_init(&test_r), DR_OK);
    cr_assert_eq(test_u.length, -1);
    cr_assert_eq(test_u.keepalive, 0);        /* close-delimited */
}


/* the chunked body <in> cut into pieces of <step>: payload and framing */
static void
test_chunked(const char *in, size_t step, const char *want,
    dr_uint_t want_keepalive)
{
    u_char    buf[1024], out[1024];
    size_t    len, off, n, outlen;
    dr_buf_t  b;

    setup();
    test_ctx.body = DR_HTTP_PARSE_BODY_CHUNKED;
    dr_http_parse_chunked_init(&test_ctx.chunked, 0);
    test_u.length = -1;
    test_u.keepalive = 1;

    len = strlen(in);
    outlen = 0;

    for (off = 0; off < len; off += n) {
        n = dr_min(step, len - off);

        dr_memzero(&b, sizeof(b));
        dr_memcpy(buf, in + off, n);
        b.start = buf;
        b.pos = buf;
        b.last = buf + n;
        b.end = buf + sizeof(buf);

        cr_assert_eq(dr_http_proxy_input_filter(&test_r, &b), DR_OK,
                     "step %u at %u", (unsigned) step, (unsigned) off);

        /* the payload is moved to the front */
        cr_assert_eq(b.pos, buf);
        dr_memcpy(out + outlen, b.pos, b.last - b.pos);
        outlen += b.last - b.pos;
    }

    cr_assert_eq(outlen, strlen(want), "step %u", (unsigned) step);
    cr_assert_eq(dr_memcmp(out, want, outlen), 0);
    cr_assert_eq(test_u.length, 0, "step %u: not done", (unsigned) step);
    cr_assert_eq(test_u.keepalive, want_keepalive, "step %u",
                 (unsigned) step);

    teardown();
}


Test(proxy, chunked_body_any_split)
{
    const char  *body = "5\r\nhello\r\n1;ext=1\r\n \r\n10\r\n"
                        "0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n";
    size_t       step;

    for (step = 1; step <= strlen(body); step++) {
        test_chunked(body, step, "hello 0123456789abcdef", 1);
    }

    /* bytes after the final chunk: the connection is not reused */
    test_chunked("3\r\nabc\r\n0\r\n\r\nHTTP/1.1 200", 100, "abc", 0);

    setup();
}


Test(proxy, bad_chunk_keeps_what_came_before)
{
    u_char    buf[64];
    dr_buf_t  b;

    test_ctx.body = DR_HTTP_PARSE_BODY_CHUNKED;
    dr_http_parse_chunked_init(&test_ctx.chunked, 0);
    test_u.length = -1;

    dr_memcpy(buf, "5\r\nhello\r\nzz\r\n", 14);
    dr_memzero(&b, sizeof(b));
    b.start = buf;
    b.pos = buf;
    b.last = buf + 14;
    b.end = buf + sizeof(buf);

    cr_assert_eq(dr_http_proxy_input_filter(&test_r, &b), DR_ERROR);
    cr_assert_eq(b.last - b.pos, 5);
    cr_assert_eq(dr_memcmp(b.pos, "hello", 5), 0);
    cr_assert(strstr(test_logbuf, "upstream sent") != NULL);
}


Test(proxy, content_length_body_is_cut_at_its_length)
{
    u_char    buf[64];
    dr_buf_t  b;

    test_ctx.body = DR_HTTP_PARSE_BODY_LENGTH;
    test_u.length = 4;
    test_u.keepalive = 1;

    dr_memcpy(buf, "abcdefgh", 8);
    dr_memzero(&b, sizeof(b));
    b.start = buf;
    b.pos = buf;
    b.last = buf + 8;
    b.end = buf + sizeof(buf);

    cr_assert_eq(dr_http_proxy_input_filter(&test_r, &b), DR_OK);
    cr_assert_eq(b.last - b.pos, 4);
    cr_assert_eq(test_u.length, 0);
    cr_assert_eq(test_u.keepalive, 0);
}
