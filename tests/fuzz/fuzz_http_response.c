/*
 * libFuzzer target for the upstream response head parser.
 *
 * The input is what an upstream sends. It is parsed whole, in two pieces
 * (the first in a buffer of its own, so views must follow the bytes), and
 * growing one byte at a time in place; all must agree on the verdict, the
 * reason and every view. Invariants: at most the length is consumed, views
 * lie inside the buffer, a parsed status is 100..599 of HTTP/1.x, the
 * status line alone parses to the same status, and the body kind is
 * consistent with the framing fields for every method. 1xx heads are
 * followed by the next head, as the proxy reads them. Buffers are malloc'd
 * at the exact size so ASan sees any over-read.
 * Seeds: tests/fuzz/corpus/http_response/.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)

#define FUZZ_MAX_HEADERS  16


static dr_http_parse_header_t  fuzz_h1[FUZZ_MAX_HEADERS];
static dr_http_parse_header_t  fuzz_h2[FUZZ_MAX_HEADERS];


static void
fuzz_view(dr_str_t *s, u_char *buf, size_t len)
{
    if (s->data == NULL) {
        fuzz_assert(s->len == 0);
        return;
    }

    fuzz_assert(s->data >= buf && s->len <= len
                && (size_t) (s->data - buf) <= len - s->len);
}


static void
fuzz_same_view(dr_str_t *a, u_char *abuf, dr_str_t *b, u_char *bbuf)
{
    fuzz_assert((a->data == NULL) == (b->data == NULL));
    fuzz_assert(a->len == b->len);

    if (a->data) {
        fuzz_assert(a->data - abuf == b->data - bbuf);
    }
}


#define FUZZ_VIEWS(X, a, b)                                                   \
    X(&(a)->status_line, &(b)->status_line);                                  \
    X(&(a)->reason, &(b)->reason);                                            \
    X(&(a)->fields.content_length, &(b)->fields.content_length);              \
    X(&(a)->fields.transfer_encoding, &(b)->fields.transfer_encoding);        \
    X(&(a)->fields.connection, &(b)->fields.connection);                      \
    X(&(a)->fields.upgrade, &(b)->fields.upgrade);                            \
    X(&(a)->fields.expect, &(b)->fields.expect)


static void
fuzz_check(dr_int_t rc, dr_http_parse_response_t *st, u_char *buf, size_t len)
{
    static const dr_uint_t  methods[] = {
        DR_HTTP_PARSE_METHOD_GET, DR_HTTP_PARSE_METHOD_HEAD,
        DR_HTTP_PARSE_METHOD_POST, DR_HTTP_PARSE_METHOD_CONNECT,
    };
    dr_uint_t  i, body;

#define FUZZ_IN(s, unused)  fuzz_view(s, buf, len)

    fuzz_assert(rc == DR_PARSE_ERROR || rc == DR_PARSE_AGAIN
                || (rc >= 0 && (size_t) rc <= len));

    if (rc == DR_PARSE_ERROR) {
        fuzz_assert(st->state == DR_HTTP_PARSE_STATE_ERROR);
        fuzz_assert(st->err > 0 && st->err < DR_HTTP_PARSE_ERR_LAST);
        return;
    }

    fuzz_assert(st->fields.nheaders <= FUZZ_MAX_HEADERS);

    FUZZ_VIEWS(FUZZ_IN, st, st);

    for (i = 0; i < st->fields.nheaders; i++) {
        fuzz_view(&st->fields.headers[i].name, buf, len);
        fuzz_view(&st->fields.headers[i].value, buf, len);
    }

    if (rc < 0) {
        return;
    }

    fuzz_assert(st->state == DR_HTTP_PARSE_STATE_DONE);
    fuzz_assert(st->http_major == 1);
    fuzz_assert(st->status >= 100 && st->status <= 599);
    fuzz_assert(!(st->fields.chunked && st->fields.content_length.data));

    for (i = 0; i < dr_nelems(methods); i++) {
        body = dr_http_parse_response_body(st, methods[i]);

        if (!dr_http_parse_response_has_body(st->status, methods[i])) {
            fuzz_assert(body == DR_HTTP_PARSE_BODY_NONE);

        } else if (st->fields.chunked) {
            fuzz_assert(body == DR_HTTP_PARSE_BODY_CHUNKED);

        } else if (st->fields.content_length.data) {
            fuzz_assert(body == DR_HTTP_PARSE_BODY_LENGTH);
            fuzz_assert(st->fields.content_length_n >= 0);

        } else {
            fuzz_assert(body == DR_HTTP_PARSE_BODY_CLOSE);
        }
    }
}


static void
fuzz_same(dr_int_t ra, dr_http_parse_response_t *a, u_char *abuf,
    dr_int_t rb, dr_http_parse_response_t *b, u_char *bbuf)
{
    dr_uint_t  i;

#define FUZZ_EQ(x, y)  fuzz_same_view(x, abuf, y, bbuf)

    fuzz_assert(ra == rb);

    if (ra == DR_PARSE_ERROR) {
        fuzz_assert(a->err == b->err);
        return;
    }

    if (ra < 0) {
        return;
    }

    FUZZ_VIEWS(FUZZ_EQ, a, b);

    fuzz_assert(a->status == b->status);
    fuzz_assert(a->http_version == b->http_version);
    fuzz_assert(a->fields.nheaders == b->fields.nheaders);
    fuzz_assert(a->fields.content_length_n == b->fields.content_length_n);
    fuzz_assert(a->fields.chunked == b->fields.chunked);
    fuzz_assert(a->fields.keep_alive == b->fields.keep_alive);

    for (i = 0; i < a->fields.nheaders; i++) {
        FUZZ_EQ(&a->fields.headers[i].name, &b->fields.headers[i].name);
        FUZZ_EQ(&a->fields.headers[i].value, &b->fields.headers[i].value);
    }
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                    *buf, *piece;
    size_t                     k, i, off;
    uint32_t                   h;
    dr_int_t                   rc, r2;
    dr_http_parse_response_t   st, st2;

    buf = malloc(size ? size : 1);

    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    dr_http_parse_response_init(&st, fuzz_h1, FUZZ_MAX_HEADERS);
    rc = dr_http_parse_response(&st, buf, size);
    fuzz_check(rc, &st, buf, size);
    fuzz_assert(dr_http_parse_response(&st, buf, size) == rc);

    /* the status line alone agrees with the full parse */

    dr_http_parse_response_init(&st2, fuzz_h2, FUZZ_MAX_HEADERS);
    r2 = dr_http_parse_status_line(&st2, buf, size);

    if (rc >= 0) {
        fuzz_assert(r2 > 0 && r2 <= rc);
        fuzz_assert(st2.status == st.status);
        fuzz_assert(st2.fields.nheaders == 0);
        fuzz_assert(dr_http_parse_status_line(&st, buf, size) == r2);
    }

    /* two pieces */

    h = 2166136261u;

    for (i = 0; i < size; i++) {
        h = (h ^ data[i]) * 16777619u;
    }

    k = size ? h % size : 0;
    piece = malloc(k ? k : 1);

    if (piece) {
        memcpy(piece, data, k);

        dr_http_parse_response_init(&st2, fuzz_h2, FUZZ_MAX_HEADERS);
        r2 = dr_http_parse_response(&st2, piece, k);
        fuzz_check(r2, &st2, piece, k);

        if (r2 == DR_PARSE_ERROR) {
            fuzz_assert(rc == DR_PARSE_ERROR && st2.err == st.err);

        } else {
            if (rc >= 0 && k < (size_t) rc) {
                fuzz_assert(r2 == DR_PARSE_AGAIN);
            }

            r2 = dr_http_parse_response(&st2, buf, size);
            fuzz_check(r2, &st2, buf, size);
            fuzz_same(rc, &st, buf, r2, &st2, buf);
        }

        free(piece);
    }

    /* growing in place */

    dr_http_parse_response_init(&st2, fuzz_h2, FUZZ_MAX_HEADERS);
    r2 = DR_PARSE_AGAIN;

    for (i = 0; i <= size && r2 == DR_PARSE_AGAIN; i++) {
        r2 = dr_http_parse_response(&st2, buf, i);
        fuzz_check(r2, &st2, buf, i);
    }

    if (r2 >= 0) {
        r2 = dr_http_parse_response(&st2, buf, size);
    }

    fuzz_same(rc, &st, buf, r2, &st2, buf);

    /* interim 1xx heads: the final head follows */

    off = 0;

    for (i = 0; i < 8 && rc >= 0 && st.status < 200; i++) {
        off += (size_t) rc;
        dr_http_parse_response_init(&st, fuzz_h1, FUZZ_MAX_HEADERS);
        rc = dr_http_parse_response(&st, buf + off, size - off);
        fuzz_check(rc, &st, buf + off, size - off);
    }

    free(buf);

    return 0;
}
