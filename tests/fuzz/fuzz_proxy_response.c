/*
 * libFuzzer target for the proxy's side of an upstream response
 * (modules/http_proxy/dr_http_proxy_response.c): the head through
 * dr_http_proxy_process_header() (interim responses skipped, fields copied
 * into the pool), then the body through the input filter that undoes
 * chunked framing in place, fed in pieces whose sizes come from the input.
 *
 * The first input byte picks the request method (HEAD or GET) and the
 * piece size of the body. Invariants: the head's result is OK, AGAIN or
 * INVALID_HEADER; the buffer position never passes its end; the filter
 * never grows a piece, keeps the payload at the front of it, and once it
 * says the body is complete it lets nothing more through.
 */

#include "../../modules/http_proxy/dr_http_proxy_module.c"
#include "../../modules/http_proxy/dr_http_proxy_response.c"


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)


static dr_log_t   fuzz_log;
static dr_cycle_t fuzz_cycle;


static void
fuzz_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;
    (void) buf;
    (void) len;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                   *buf, *p;
    size_t                    step, n, off, len;
    dr_int_t                  rc;
    dr_buf_t                  b;
    dr_pool_t                *pool;
    dr_connection_t           c;
    dr_http_request_t         r;
    dr_http_upstream_t        u;
    dr_http_proxy_ctx_t       ctx;
    dr_http_upstream_conf_t   uconf;
    void                     *ctxs[1];

    static dr_uint_t          init;

    if (!init) {
        dr_use_stderr = 0;
        dr_time_init();
        fuzz_log.log_level = DR_LOG_EMERG;
        fuzz_log.writer = fuzz_writer;
        fuzz_cycle.log = &fuzz_log;
        dr_cycle = &fuzz_cycle;
        init = 1;
    }

    if (size < 1) {
        return 0;
    }

    pool = dr_create_pool(4096, &fuzz_log);
    if (pool == NULL) {
        return 0;
    }

    dr_memzero(&c, sizeof(c));
    dr_memzero(&r, sizeof(r));
    dr_memzero(&u, sizeof(u));
    dr_memzero(&ctx, sizeof(ctx));
    dr_memzero(&uconf, sizeof(uconf));

    c.log = &fuzz_log;
    r.pool = pool;
    r.connection = &c;
    r.method = (data[0] & 1) ? DR_HTTP_HEAD : DR_HTTP_GET;
    r.http_version = DR_HTTP_VERSION_11;
    r.ctx = ctxs;
    r.upstream = &u;
    dr_http_proxy_module.ctx_index = 0;
    ctxs[0] = &ctx;
    u.conf = &uconf;
    uconf.change_buffering = 1;
    ctx.upgrade_sent = (data[0] & 2) != 0;

    step = 1 + (data[0] >> 2);

    data++;
    size--;

    /* the exact size: ASan sees any read past the end */

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        dr_destroy_pool(pool);
        return 0;
    }

    dr_memcpy(buf, data, size);

    if (dr_http_proxy_reinit_request(&r) != DR_OK
        || dr_list_init(&u.headers_in.headers, pool, 8,
                        sizeof(dr_table_elt_t)) != DR_OK)
    {
        goto done;
    }

    u.buffer.start = buf;
    u.buffer.pos = buf;
    u.buffer.last = buf + size;
    u.buffer.end = buf + size;

    rc = dr_http_proxy_process_header(&r);

    fuzz_assert(rc == DR_OK || rc == DR_AGAIN
                || rc == DR_HTTP_UPSTREAM_INVALID_HEADER);
    fuzz_assert(u.buffer.pos <= u.buffer.last);

    if (rc != DR_OK || u.upgrade) {
        goto done;
    }

    fuzz_assert(u.headers_in.status_n >= 200 && u.headers_in.status_n <= 599);

    if (dr_http_proxy_input_filter_init(&r) != DR_OK) {
        goto done;
    }

    /* the body, in pieces of <step> bytes, each in a buffer of its own */

    len = u.buffer.last - u.buffer.pos;
    p = u.buffer.pos;

    for (off = 0; off < len; off += n) {
        n = dr_min(step, len - off);

        dr_memzero(&b, sizeof(b));
        b.start = p + off;
        b.pos = p + off;
        b.last = p + off + n;
        b.end = p + off + n;

        if (u.length == 0) {
            rc = dr_http_proxy_input_filter(&r, &b);
            fuzz_assert(rc == DR_OK && b.last == b.pos);
            continue;
        }

        rc = dr_http_proxy_input_filter(&r, &b);

        fuzz_assert(b.pos == p + off);
        fuzz_assert(b.last >= b.pos && b.last <= p + off + n);

        if (rc != DR_OK) {
            break;
        }
    }

done:

    free(buf);
    dr_destroy_pool(pool);

    return 0;
}
