/*
 * libFuzzer target for the chunked body decoder.
 *
 * The input is a body as it arrives after a head with "Transfer-Encoding:
 * chunked". It is decoded whole, then in pieces of 1 to 16 bytes (sizes
 * from a hash of the input), each piece in a buffer of its own exact size
 * so ASan sees any over-read. Both runs must agree on the verdict, the
 * reason, the payload (length and checksum) and the bytes consumed. Every
 * call must return at most its length, a data slice inside what it
 * consumed, and make progress. A third run with a small body limit must
 * fail with 413 exactly when the payload announced exceeds it.
 * Seeds: tests/fuzz/corpus/http_chunked/.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)


typedef struct {
    dr_int_t    rc;         /* DR_OK done, DR_PARSE_AGAIN, DR_PARSE_ERROR */
    dr_uint_t   err;
    size_t      consumed;
    size_t      len;
    uint32_t    sum;
    off_t       total;
} fuzz_result_t;


/* returns 0 once the decoder has finished (done or error) */
static int
fuzz_feed(dr_http_parse_chunked_t *ctx, u_char *b, size_t n, fuzz_result_t *r)
{
    u_char    *p, *last;
    dr_int_t   rc;
    dr_str_t   data;
    size_t     i;

    p = b;
    last = b + n;

    do {
        rc = dr_http_parse_chunked(ctx, p, last - p, &data);

        if (rc == DR_PARSE_ERROR) {
            fuzz_assert(ctx->err > 0 && ctx->err < DR_HTTP_PARSE_ERR_LAST);
            r->rc = DR_PARSE_ERROR;
            r->err = ctx->err;
            return 0;
        }

        if (rc == DR_PARSE_AGAIN) {
            fuzz_assert(data.len == 0);
            r->consumed += last - p;
            return 1;
        }

        fuzz_assert(rc >= 0 && rc <= last - p);

        if (data.len) {
            fuzz_assert(data.data >= p && data.data + data.len <= p + rc);

            for (i = 0; i < data.len; i++) {
                r->sum = r->sum * 31 + data.data[i];
            }

            r->len += data.len;

        } else {
            fuzz_assert(dr_http_parse_chunked_done(ctx));
        }

        p += rc;
        r->consumed += rc;

        if (dr_http_parse_chunked_done(ctx)) {
            r->rc = DR_OK;
            r->total = ctx->total;
            fuzz_assert(dr_http_parse_chunked(ctx, p, last - p, &data) == 0);
            return 0;
        }

    } while (p < last);

    return 1;
}


static void
fuzz_decode(const uint8_t *data, size_t size, uint32_t seed, off_t max,
    fuzz_result_t *r)
{
    u_char                   *b;
    size_t                    off, n;
    dr_http_parse_chunked_t   ctx;

    memset(r, 0, sizeof(fuzz_result_t));
    r->rc = DR_PARSE_AGAIN;

    dr_http_parse_chunked_init(&ctx, max);

    for (off = 0; off < size; off += n) {
        if (seed == 0) {
            n = size;

        } else {
            seed = seed * 1103515245u + 12345u;
            n = 1 + (seed >> 16) % 16;
            n = dr_min(n, size - off);
        }

        b = malloc(n);

        if (b == NULL) {
            return;
        }

        memcpy(b, data + off, n);

        if (!fuzz_feed(&ctx, b, n, r)) {
            free(b);
            return;
        }

        free(b);
    }

    r->total = ctx.total;
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          i;
    uint32_t        h;
    fuzz_result_t   whole, pieces, limited;

    h = 2166136261u;

    for (i = 0; i < size; i++) {
        h = (h ^ data[i]) * 16777619u;
    }

    fuzz_decode(data, size, 0, 0, &whole);
    fuzz_decode(data, size, h | 1, 0, &pieces);

    fuzz_assert(whole.rc == pieces.rc);
    fuzz_assert(whole.err == pieces.err);

    if (whole.rc != DR_PARSE_ERROR) {
        fuzz_assert(whole.consumed == pieces.consumed);
        fuzz_assert(whole.len == pieces.len);
        fuzz_assert(whole.sum == pieces.sum);
        fuzz_assert(whole.consumed <= size);
        fuzz_assert(whole.len <= whole.consumed);
    }

    if (whole.rc == DR_OK) {
        fuzz_assert((off_t) whole.len == whole.total);

        /* a limit below the payload is refused before the data (a limit
         * of 0 means none) */
        if (whole.len > 1) {
            fuzz_decode(data, size, h | 1, (off_t) whole.len - 1, &limited);
            fuzz_assert(limited.rc == DR_PARSE_ERROR);
            fuzz_assert(limited.err == DR_HTTP_PARSE_ERR_BODY_TOO_LARGE);
            fuzz_assert(limited.len < whole.len);
        }

        fuzz_decode(data, size, h | 1, (off_t) whole.len + 1, &limited);
        fuzz_assert(limited.rc == DR_OK && limited.len == whole.len);
    }

    return 0;
}
