/*
 * Reading request bodies (src/http/dr_http_request_body.c) through the
 * whole engine: a real http{} configuration (the event layer's test
 * fixture parses it with the real module table), a real loopback
 * connection, and a content handler of the test's own that reads the body
 * with dr_http_read_client_request_body() and answers with its length, a
 * checksum and where it was kept (memory or temp file). Bodies arrive in
 * one piece, byte by byte, chunked (with extensions and trailers), with
 * Expect: 100-continue, larger than client_body_buffer_size (spilled to a
 * file), too large (413) and malformed (400); the pipelined request after
 * a body must be served, not swallowed.
 */

#include <criterion/criterion.h>

#include "dr_http.h"
#include "event/event_fixture.h"


static volatile int   done_flag;
static dr_uint_t      got_in_file;


static uint32_t
test_body_sum(const u_char *p, size_t n, uint32_t sum)
{
    while (n--) {
        sum = sum * 31 + *p++;
    }

    return sum;
}


static void
test_body_post(dr_http_request_t *r)
{
    off_t        len, off;
    ssize_t      n;
    uint32_t     sum;
    dr_buf_t    *b;
    dr_chain_t  *cl, out;
    u_char       buf[4096], *p;

    len = 0;
    sum = 0;
    got_in_file = 0;

    if (r->request_body) {
        for (cl = r->request_body->bufs; cl; cl = cl->next) {
            b = cl->buf;

            if (b->in_file) {
                got_in_file = 1;

                for (off = b->file_pos; off < b->file_last; off += n) {
                    n = pread(b->file->fd, buf,
                              dr_min((off_t) sizeof(buf), b->file_last - off),
                              off);
                    cr_assert(n > 0);
                    sum = test_body_sum(buf, n, sum);
                    len += n;
                }

                continue;
            }

            sum = test_body_sum(b->pos, b->last - b->pos, sum);
            len += b->last - b->pos;
        }
    }

    p = dr_pnalloc(r->pool, 64);
    cr_assert_not_null(p);

    b = dr_calloc_buf(r->pool);
    b->pos = p;
    b->last = dr_sprintf(p, "len=%O sum=%uD file=%ui", len, sum, got_in_file);
    b->memory = 1;
    b->last_buf = 1;

    r->headers_out.status = DR_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    dr_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;

    out.buf = b;
    out.next = NULL;

    done_flag = 1;

    if (dr_http_send_header(r) != DR_OK) {
        dr_http_finalize_request(r, DR_ERROR);
        return;
    }

    dr_http_finalize_request(r, dr_http_output_filter(r, &out));
}


static dr_int_t
test_body_handler(dr_http_request_t *r)
{
    dr_int_t  rc;

    rc = dr_http_read_client_request_body(r, test_body_post);

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        done_flag = 1;
        return rc;
    }

    return DR_DONE;
}


static in_port_t  port;


/* a loopback port that was free a moment ago */
static in_port_t
test_free_port(void)
{
    int                 s;
    socklen_t           len;
    struct sockaddr_in  sin;

    s = socket(AF_INET, SOCK_STREAM, 0);
    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s, (struct sockaddr *) &sin, sizeof(sin)), 0);
    len = sizeof(sin);
    cr_assert_eq(getsockname(s, (struct sockaddr *) &sin, &len), 0);
    close(s);

    return ntohs(sin.sin_port);
}


static void
start(const char *extra)
{
    char                        conf[2048];
    dr_listening_t             *ls;
    dr_http_conf_ctx_t         *ctx;
    dr_http_core_srv_conf_t   **cscfp;
    dr_http_core_loc_conf_t    *clcf;
    dr_http_core_main_conf_t   *cmcf;
    char                        tmpdir[] = "/tmp/dr_test_body_XXXXXX";

    evfx_init(0);

    /* relative paths (html, logs) resolve against a prefix */
    dr_str_set(&evfx.cycle.prefix, "/tmp/");
    dr_str_set(&evfx.cycle.conf_prefix, "/tmp/");

    /* the access log module opens files: give the cycle its list */
    cr_assert_eq(dr_list_init(&evfx.cycle.open_files, evfx.cycle.pool, 4,
                              sizeof(dr_open_file_t)), DR_OK);

    cr_assert_not_null(mkdtemp(tmpdir));

    port = test_free_port();

    snprintf(conf, sizeof(conf),
             "http {\n"
             "    client_body_temp_path %s;\n"
             "    %s\n"
             "    server { listen 127.0.0.1:%u; }\n"
             "}\n", tmpdir, extra, (unsigned) port);

    cr_assert_eq(evfx_parse(conf), DR_CONF_OK, "%s", evfx.logbuf);

    ctx = evfx.cycle.conf_ctx[dr_http_module.index];
    cmcf = ctx->main_conf[dr_http_core_module.ctx_index];
    cscfp = cmcf->servers.elts;
    clcf = cscfp[0]->ctx->loc_conf[dr_http_core_module.ctx_index];
    clcf->handler = test_body_handler;

    evfx_start();

    ls = evfx.cycle.listening.elts;
    cr_assert_eq(evfx_port(&ls[0]), port);
}


/* sends <req> in pieces of <step> bytes while the loop runs, then reads
 * the response until the server closes or <want> responses came */
static void
exchange(const char *req, size_t len, size_t step, char *resp, size_t size)
{
    int      s, flags;
    size_t   sent, n;
    ssize_t  r;
    size_t   got;
    int      zero = 0;

    s = evfx_client(port);
    flags = fcntl(s, F_GETFL);
    fcntl(s, F_SETFL, flags | O_NONBLOCK);

    for (sent = 0; sent < len; /* void */) {
        n = dr_min(step, len - sent);
        r = send(s, req + sent, n, 0);

        if (r > 0) {
            sent += r;
        }

        evfx_run_until(&zero, step < 16 ? 1 : 5);
    }

    got = 0;

    for (int i = 0; i < 200; i++) {
        evfx_run_until(&zero, 5);

        r = recv(s, resp + got, size - 1 - got, 0);

        if (r > 0) {
            got += r;
            resp[got] = '\0';
            continue;
        }

        if (r == 0) {
            break;
        }
    }

    resp[got] = '\0';
    close(s);
}


TestSuite(request_body);


Test(request_body, content_length_in_memory)
{
    char  resp[4096];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                  "Connection: close\r\n\r\nhello world";

    start("client_body_buffer_size 1k;");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    cr_assert(strstr(resp, "HTTP/1.1 200 OK\r\n"), "%s", resp);
    cr_assert(strstr(resp, "len=11 sum="), "%s", resp);
    cr_assert(strstr(resp, "file=0"), "%s", resp);
}


Test(request_body, content_length_byte_by_byte)
{
    char  resp[4096], expect[64];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n"
                  "Connection: close\r\n\r\nhello world";

    start("client_body_buffer_size 1k;");
    exchange(req, sizeof(req) - 1, 1, resp, sizeof(resp));

    snprintf(expect, sizeof(expect), "len=11 sum=%u file=0",
             test_body_sum((u_char *) "hello world", 11, 0));
    cr_assert(strstr(resp, expect), "%s", resp);
}


Test(request_body, chunked_with_extensions_and_trailers)
{
    char  resp[4096], expect[64];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "Connection: close\r\n\r\n"
                  "5;ext=1\r\nhello\r\n1\r\n \r\n5\r\nworld\r\n0\r\nX-T: 1\r\n\r\n";

    start("client_body_buffer_size 1k;");
    exchange(req, sizeof(req) - 1, 3, resp, sizeof(resp));

    snprintf(expect, sizeof(expect), "len=11 sum=%u file=0",
             test_body_sum((u_char *) "hello world", 11, 0));
    cr_assert(strstr(resp, expect), "%s", resp);
}


Test(request_body, large_body_spills_to_temp_file)
{
    char     *req, *p, resp[4096], expect[64];
    size_t    len, body;
    uint32_t  sum;

    body = 300000;
    req = malloc(body + 200);
    p = req + sprintf(req, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: %zu\r\n"
                      "Connection: close\r\n\r\n", body);

    for (size_t i = 0; i < body; i++) {
        p[i] = (char) ('a' + i % 23);
    }

    len = (p - req) + body;
    sum = test_body_sum((u_char *) p, body, 0);

    start("client_body_buffer_size 4k; client_max_body_size 1m;");
    exchange(req, len, 60000, resp, sizeof(resp));

    snprintf(expect, sizeof(expect), "len=%zu sum=%u file=1", body, sum);
    cr_assert(strstr(resp, expect), "%s", resp);
    cr_assert(evfx_log_has("a client request body is buffered to a temporary"),
              "%s", evfx.logbuf);

    free(req);
}


Test(request_body, large_chunked_body_spills_to_temp_file)
{
    char     *req, *p, resp[4096], expect[64];
    size_t    body, chunk, i;
    uint32_t  sum;

    body = 200000;
    req = malloc(body * 2 + 200);
    p = req + sprintf(req, "POST / HTTP/1.1\r\nHost: x\r\n"
                      "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n");
    sum = 0;

    for (i = 0; i < body; i += chunk) {
        chunk = dr_min((size_t) 777, body - i);
        p += sprintf(p, "%zx\r\n", chunk);

        for (size_t j = 0; j < chunk; j++) {
            p[j] = (char) ('A' + (i + j) % 26);
        }

        sum = test_body_sum((u_char *) p, chunk, sum);
        p += chunk;
        *p++ = '\r';
        *p++ = '\n';
    }

    p += sprintf(p, "0\r\n\r\n");

    start("client_body_buffer_size 2k; client_max_body_size 1m;");
    exchange(req, p - req, 50000, resp, sizeof(resp));

    snprintf(expect, sizeof(expect), "len=%zu sum=%u file=1", body, sum);
    cr_assert(strstr(resp, expect), "%s", resp);

    free(req);
}


Test(request_body, in_file_only)
{
    char  resp[4096];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n"
                  "Connection: close\r\n\r\nabc";

    start("client_body_in_file_only clean;");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    cr_assert(strstr(resp, "len=3 "), "%s", resp);
    cr_assert(strstr(resp, "file=1"), "%s", resp);
}


Test(request_body, chunked_too_large_is_413)
{
    char  resp[4096];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "\r\n10\r\n0123456789abcdef\r\n10\r\n0123456789abcdef\r\n0\r\n\r\n";

    start("client_max_body_size 20;");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    cr_assert(strncmp(resp, "HTTP/1.1 413 ", 13) == 0, "%s", resp);
}


Test(request_body, invalid_chunk_is_400)
{
    char  resp[4096];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "\r\n5\r\nhelloXX0\r\n\r\n";

    start("");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    cr_assert(strncmp(resp, "HTTP/1.1 400 ", 13) == 0, "%s", resp);
    cr_assert(strstr(resp, "Connection: close"), "%s", resp);
}


Test(request_body, expect_100_continue)
{
    char  resp[4096];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                  "Expect: 100-continue\r\nConnection: close\r\n\r\nok";

    start("");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    cr_assert(strncmp(resp, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK", 40)
              == 0, "%s", resp);
    cr_assert(strstr(resp, "len=2 "), "%s", resp);
}


Test(request_body, pipelined_request_after_bodies)
{
    char  resp[8192], *p;
    char  req[] = "POST /a HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                  "POST /b HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
                  "\r\n2\r\nde\r\n0\r\n\r\n"
                  "POST /c HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                  "Connection: close\r\n\r\nf";

    start("");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    p = strstr(resp, "len=3 ");
    cr_assert_not_null(p, "%s", resp);
    p = strstr(p, "len=2 ");
    cr_assert_not_null(p, "%s", resp);
    p = strstr(p, "len=1 ");
    cr_assert_not_null(p, "%s", resp);
}


Test(request_body, empty_body)
{
    char  resp[4096];
    char  req[] = "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
                  "Connection: close\r\n\r\n";

    start("");
    exchange(req, sizeof(req) - 1, sizeof(req), resp, sizeof(resp));

    cr_assert(strstr(resp, "len=0 "), "%s", resp);
}
