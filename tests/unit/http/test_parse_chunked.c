/*
 * Tests of dr_http_parse_chunked() (src/http/dr_http_parse_chunked.c).
 *
 * Every piece handed to the decoder ends at a PROT_NONE guard page. Each
 * body is decoded whole, split in two at every byte boundary, byte by byte
 * and in pseudo-random pieces; the payload, the bytes consumed and the
 * verdict must not depend on the splitting.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"

#include <criterion/criterion.h>


#define ARENA_SIZE  (256 * 1024)
#define OUT_SIZE    (64 * 1024)


typedef struct {
    dr_int_t   rc;          /* DR_OK (done), DR_PARSE_AGAIN, _ERROR */
    dr_uint_t  err;
    size_t     consumed;    /* bytes of the input taken by the body */
    size_t     len;
    u_char     data[OUT_SIZE];
} result_t;


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


/* feeds one piece, looping as a caller does; false once finished */
static int
feed(dr_http_parse_chunked_t *ctx, const u_char *piece, size_t n,
    result_t *r)
{
    u_char    *b, *p, *last;
    dr_int_t   rc;
    dr_str_t   data;

    b = guarded(piece, n);
    p = b;
    last = b + n;

    do {
        rc = dr_http_parse_chunked(ctx, p, last - p, &data);

        if (rc == DR_PARSE_ERROR) {
            cr_assert_eq(ctx->state, DR_HTTP_PARSE_CHUNKED_ERROR);
            r->rc = DR_PARSE_ERROR;
            r->err = ctx->err;
            return 0;
        }

        if (rc == DR_PARSE_AGAIN) {
            cr_assert_eq(data.len, 0);
            r->consumed += last - p;
            return 1;
        }

        cr_assert(rc >= 0 && rc <= last - p);

        if (data.len) {
            cr_assert(data.data >= p && data.data + data.len <= p + rc);
            cr_assert(r->len + data.len <= OUT_SIZE);
            memcpy(r->data + r->len, data.data, data.len);
            r->len += data.len;

        } else {
            cr_assert(dr_http_parse_chunked_done(ctx));
        }

        p += rc;
        r->consumed += rc;

        if (dr_http_parse_chunked_done(ctx)) {
            r->rc = DR_OK;

            /* once done, nothing more is taken */
            cr_assert_eq(dr_http_parse_chunked(ctx, p, last - p, &data), 0);
            cr_assert_eq(data.len, 0);
            return 0;
        }

    } while (p < last);

    return 1;
}


static void
decode_pieces(const u_char *in, size_t len, const size_t *cuts, size_t ncuts,
    off_t max, result_t *r)
{
    size_t                   i, from, to;
    dr_http_parse_chunked_t  ctx;

    memset(r, 0, offsetof(result_t, data));
    r->rc = DR_PARSE_AGAIN;

    dr_http_parse_chunked_init(&ctx, max);
    from = 0;

    for (i = 0; i <= ncuts; i++) {
        to = (i < ncuts) ? cuts[i] : len;

        if (!feed(&ctx, in + from, to - from, r)) {
            return;
        }

        from = to;
    }
}


static void
assert_same(result_t *a, result_t *b, const char *how, size_t at)
{
    cr_assert_eq(a->rc, b->rc, "%s %zu: rc %ld vs %ld", how, at,
                 (long) a->rc, (long) b->rc);
    cr_assert_eq(a->err, b->err, "%s %zu: %s vs %s", how, at,
                 dr_http_parse_err_text(a->err),
                 dr_http_parse_err_text(b->err));

    if (a->rc != DR_PARSE_ERROR) {
        cr_assert_eq(a->consumed, b->consumed, "%s %zu", how, at);
        cr_assert_eq(a->len, b->len, "%s %zu", how, at);
        cr_assert_eq(memcmp(a->data, b->data, a->len), 0, "%s %zu", how, at);
    }
}


static void
decode_bytes(const u_char *in, size_t len, off_t max, result_t *r)
{
    size_t                   i;
    dr_http_parse_chunked_t  ctx;

    memset(r, 0, offsetof(result_t, data));
    r->rc = DR_PARSE_AGAIN;

    dr_http_parse_chunked_init(&ctx, max);

    for (i = 0; i < len; i++) {
        if (!feed(&ctx, in + i, 1, r)) {
            return;
        }
    }
}


/* decodes <in> every way; <whole> gets the result of the whole input */
static void
decode_all_ways(const void *data, size_t len, off_t max, result_t *whole)
{
    static result_t  r;
    const u_char    *in = data;
    size_t           k, cuts[64], n, i;
    uint32_t         seed;

    decode_pieces(in, len, NULL, 0, max, whole);

    for (k = 0; k <= len; k++) {
        decode_pieces(in, len, &k, 1, max, &r);
        assert_same(whole, &r, "split", k);
    }

    decode_bytes(in, len, max, &r);
    assert_same(whole, &r, "byte by byte", 0);

    seed = 12345;

    for (k = 0; k < 50; k++) {
        n = 0;
        i = 0;

        while (n < 64) {
            seed = seed * 1103515245 + 12345;
            i += 1 + (seed >> 16) % 13;

            if (i >= len) {
                break;
            }

            cuts[n++] = i;
        }

        decode_pieces(in, len, cuts, n, max, &r);
        assert_same(whole, &r, "random", k);
    }
}


static void
expect_body(const char *in, const char *payload, size_t consumed)
{
    static result_t  r;

    decode_all_ways(in, strlen(in), 0, &r);

    cr_assert_eq(r.rc, DR_OK, "\"%s\": %s", in, dr_http_parse_err_text(r.err));
    cr_assert_eq(r.len, strlen(payload), "\"%s\"", in);
    cr_assert_eq(memcmp(r.data, payload, r.len), 0, "\"%s\"", in);
    cr_assert_eq(r.consumed, consumed, "\"%s\"", in);
}


static void
expect_whole(const char *in, const char *payload)
{
    expect_body(in, payload, strlen(in));
}


static void
expect_err(const char *in, off_t max, dr_uint_t err)
{
    static result_t  r;

    decode_all_ways(in, strlen(in), max, &r);

    cr_assert_eq(r.rc, DR_PARSE_ERROR, "\"%s\" decoded", in);
    cr_assert_eq(r.err, err, "\"%s\": got \"%s\", want \"%s\"", in,
                 dr_http_parse_err_text(r.err), dr_http_parse_err_text(err));
}


Test(parse_chunked, simple)
{
    const char  *in = "5\r\nhello\r\n0\r\n\r\n";

    expect_body(in, "hello", strlen(in));
}

Test(parse_chunked, several_chunks_and_hex)
{
    const char  *in = "3\r\nabc\r\n4\r\ndefg\r\nA\r\n0123456789\r\n"
                      "a\r\nABCDEFGHIJ\r\n1\r\n!\r\n0\r\n\r\n";

    expect_body(in, "abcdefg0123456789ABCDEFGHIJ!", strlen(in));
}

Test(parse_chunked, empty_body)
{
    expect_body("0\r\n\r\n", "", 5);
    expect_body("000\r\n\r\n", "", 7);
}

Test(parse_chunked, leading_zeros)
{
    const char  *in = "0005\r\nhello\r\n00000000000000000000001\r\nx\r\n"
                      "0\r\n\r\n";

    expect_body(in, "hellox", strlen(in));
}

Test(parse_chunked, binary_payload_with_crlf_inside)
{
    static const u_char  in[] = "8\r\n\r\n\0\n\r0\r\n\r\n0\r\n\r\n";
    static result_t      r;

    decode_all_ways(in, sizeof(in) - 1, 0, &r);
    cr_assert_eq(r.rc, DR_OK);
    cr_assert_eq(r.len, 8);
    cr_assert_eq(memcmp(r.data, "\r\n\0\n\r0\r\n", 8), 0);
}

Test(parse_chunked, extensions)
{
    expect_body("5;name=value\r\nhello\r\n0;last\r\n\r\n", "hello", 31);
    expect_whole("5 ; a = b ; c=\"q\\\"x;y\" ;d\t\r\nhello\r\n0\r\n\r\n",
                 "hello");
    expect_whole("5;a;b;c=\"\"\r\nhello\r\n0\r\n\r\n", "hello");
    expect_whole("5;a=\"\x80\tx\"\r\nhello\r\n0\r\n\r\n", "hello");
}

Test(parse_chunked, whitespace_after_size)
{
    /* not in the grammar, but harmless and sent in the wild (nginx too) */
    expect_whole("5 \r\nhello\r\n0\t\r\n\r\n", "hello");
}

Test(parse_chunked, trailers_dropped)
{
    const char  *in = "5\r\nhello\r\n0\r\nX-Sum: abc\r\nY:\r\nZ: a\tb \r\n\r\n";

    expect_body(in, "hello", strlen(in));
}

Test(parse_chunked, stops_at_the_next_message)
{
    expect_body("5\r\nhello\r\n0\r\n\r\nGET / HTTP/1.1\r\n", "hello", 15);
    expect_body("0\r\n\r\n0\r\n\r\n", "", 5);
}

Test(parse_chunked, again_means_all_consumed)
{
    dr_http_parse_chunked_t  ctx;
    dr_str_t                 data;
    u_char                  *b;

    dr_http_parse_chunked_init(&ctx, 0);

    b = guarded("5\r\n", 3);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 3, &data), DR_PARSE_AGAIN);
    cr_assert_eq(data.len, 0);

    b = guarded("hel", 3);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 3, &data), 3);
    cr_assert_eq(data.data, b);
    cr_assert_eq(data.len, 3);
    cr_assert_eq(ctx.size, 2);

    b = guarded("lo\r\n0\r\n\r\n", 9);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 9, &data), 2);
    cr_assert_eq(data.data, b);
    cr_assert_eq(data.len, 2);
    cr_assert(!dr_http_parse_chunked_done(&ctx));

    cr_assert_eq(dr_http_parse_chunked(&ctx, b + 2, 7, &data), 7);
    cr_assert_eq(data.len, 0);
    cr_assert(dr_http_parse_chunked_done(&ctx));
    cr_assert_eq(ctx.total, 5);

    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 0, &data), 0);

    dr_http_parse_chunked_init(&ctx, 0);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 0, &data), DR_PARSE_AGAIN);
}

Test(parse_chunked, large_chunk)
{
    static u_char    in[40000];
    static result_t  r;
    size_t           n, i;

    n = (size_t) sprintf((char *) in, "7530\r\n");   /* 30000 */

    for (i = 0; i < 30000; i++) {
        in[n++] = (u_char) ('a' + i % 26);
    }

    memcpy(in + n, "\r\n0\r\n\r\n", 7);
    n += 7;

    decode_pieces(in, n, NULL, 0, 0, &r);
    cr_assert_eq(r.rc, DR_OK);
    cr_assert_eq(r.len, 30000);
    cr_assert_eq(r.data[29999], 'a' + 29999 % 26);
    cr_assert_eq(r.consumed, n);
}

Test(parse_chunked, size_errors)
{
    expect_err("x\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err("\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err("-5\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err("+5\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err(" 5\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err("0x5\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err("5g\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
    expect_err("5\n", 0, DR_HTTP_PARSE_ERR_BARE_LF);
    expect_err("5\rx", 0, DR_HTTP_PARSE_ERR_BARE_CR);
    expect_err("5\r\r\n", 0, DR_HTTP_PARSE_ERR_BARE_CR);
    expect_err("10000000000000000\r\n", 0,
               DR_HTTP_PARSE_ERR_CHUNK_SIZE_OVERFLOW);
    expect_err("ffffffffffffffffffff\r\n", 0,
               DR_HTTP_PARSE_ERR_CHUNK_SIZE_OVERFLOW);
}

Test(parse_chunked, totals_bounded)
{
    /* 2^60 - 1, three times: more than DR_HTTP_PARSE_MAX_LENGTH in all */
    dr_http_parse_chunked_t  ctx;
    dr_str_t                 data;
    u_char                  *b;

    dr_http_parse_chunked_init(&ctx, 0);
    b = guarded("fffffffffffffff\r\n", 17);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 17, &data), DR_PARSE_AGAIN);
    cr_assert_eq(ctx.total, ((off_t) 1 << 60) - 1);

    ctx.size = 0;           /* pretend the data went by */
    ctx.state = 0;
    ctx.line = 0;
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 17, &data), DR_PARSE_AGAIN);
    ctx.size = 0;
    ctx.state = 0;
    ctx.line = 0;
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 17, &data), DR_PARSE_AGAIN);
    ctx.size = 0;
    ctx.state = 0;
    ctx.line = 0;
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 17, &data), DR_PARSE_AGAIN);
    ctx.size = 0;
    ctx.state = 0;
    ctx.line = 0;
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 17, &data), DR_PARSE_ERROR);
    cr_assert_eq(ctx.err, DR_HTTP_PARSE_ERR_BODY_TOO_LARGE);
}

Test(parse_chunked, max_size)
{
    /* announced sizes are checked before the data arrives */
    expect_err("b\r\n", 10, DR_HTTP_PARSE_ERR_BODY_TOO_LARGE);
    expect_err("5\r\nhello\r\n6\r\n", 10, DR_HTTP_PARSE_ERR_BODY_TOO_LARGE);
    expect_body("5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n", "helloworld", 25);
    cr_assert_eq(dr_http_parse_err_status(DR_HTTP_PARSE_ERR_BODY_TOO_LARGE),
                 413);
}

Test(parse_chunked, max_size_exact)
{
    static result_t  r;
    const char      *in = "5\r\nhello\r\n5\r\nworld\r\n0\r\n\r\n";

    decode_all_ways(in, strlen(in), 10, &r);
    cr_assert_eq(r.rc, DR_OK);
    cr_assert_eq(r.len, 10);
}

Test(parse_chunked, data_terminator_errors)
{
    expect_err("5\r\nhelloX\r\n0\r\n\r\n", 0,
               DR_HTTP_PARSE_ERR_INVALID_CHUNK_END);
    expect_err("5\r\nhello\n0\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_END);
    expect_err("5\r\nhello\r0\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_END);
    expect_err("5\r\nhell\r\n0\r\n\r\n", 0,
               DR_HTTP_PARSE_ERR_INVALID_CHUNK_END);
}

Test(parse_chunked, extension_errors)
{
    expect_err("5;\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;=x\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a=\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a b\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a=b c\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a=\"x\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a=\"x\\\r\"\r\nhello\r\n", 0,
               DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a\x01\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a=b\"\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5 x\r\nhello\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
    expect_err("5;a\n", 0, DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
}

Test(parse_chunked, line_bounded)
{
    static char  in[8192];
    size_t       n;

    n = (size_t) sprintf(in, "5;");
    memset(in + n, 'a', 5000);
    strcpy(in + n + 5000, "\r\nhello\r\n0\r\n\r\n");
    expect_err(in, 0, DR_HTTP_PARSE_ERR_CHUNK_LINE_TOO_LONG);

    /* leading zeros count too: no endless line */
    memset(in, '0', 5000);
    strcpy(in + 5000, "5\r\nhello\r\n0\r\n\r\n");
    expect_err(in, 0, DR_HTTP_PARSE_ERR_CHUNK_LINE_TOO_LONG);

    /* just under the limit */
    n = DR_HTTP_PARSE_CHUNK_LINE_MAX - 3;
    memset(in, '0', n);
    strcpy(in + n, "5\r\nhello\r\n0\r\n\r\n");
    expect_body(in, "hello", strlen(in));
}

Test(parse_chunked, trailer_errors)
{
    expect_err("0\r\nX : y\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\n y\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\nX: a\r\n b\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\nX: \x01\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\nX: y\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\nX\r\n\r\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\n\n", 0, DR_HTTP_PARSE_ERR_INVALID_TRAILER);
    expect_err("0\r\nX: y\rz\r\n\r\n", 0, DR_HTTP_PARSE_ERR_BARE_CR);
    expect_err("0\r\n\r\r", 0, DR_HTTP_PARSE_ERR_BARE_CR);
}

Test(parse_chunked, trailers_bounded)
{
    static char  in[16384];
    size_t       n;

    n = (size_t) sprintf(in, "0\r\n");

    while (n < 9000) {
        n += sprintf(in + n, "X-Trailer: 0123456789\r\n");
    }

    strcpy(in + n, "\r\n");
    expect_err(in, 0, DR_HTTP_PARSE_ERR_TRAILERS_TOO_LARGE);
}

Test(parse_chunked, errors_are_sticky)
{
    dr_http_parse_chunked_t  ctx;
    dr_str_t                 data;
    u_char                  *b;

    dr_http_parse_chunked_init(&ctx, 0);
    b = guarded("z", 1);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 1, &data), DR_PARSE_ERROR);
    b = guarded("5\r\n", 3);
    cr_assert_eq(dr_http_parse_chunked(&ctx, b, 3, &data), DR_PARSE_ERROR);
    cr_assert_eq(ctx.err, DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
}
