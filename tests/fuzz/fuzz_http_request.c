/*
 * libFuzzer target for the request head parser and URI normalisation.
 *
 * The input is a byte stream from a client. It is parsed whole, then again
 * in two pieces (the first piece in a separate buffer, so the parser must
 * shift its views when the bytes move) and growing one byte at a time in
 * place; the three must agree on the verdict, the reason and every view
 * (compared as offsets). Invariants: the result is at most the length,
 * every view lies inside the buffer, the header count respects the limit.
 * A parsed head is followed by the next pipelined one, and its path is
 * normalised into an exactly sized buffer. Buffers are malloc'd at the
 * input's exact size so ASan sees any over-read.
 * Seeds: tests/fuzz/corpus/http_request/.
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
    X(&(a)->request_line, &(b)->request_line);                                \
    X(&(a)->method_name, &(b)->method_name);                                  \
    X(&(a)->target, &(b)->target);                                            \
    X(&(a)->schema, &(b)->schema);                                            \
    X(&(a)->uri_host, &(b)->uri_host);                                        \
    X(&(a)->uri_port, &(b)->uri_port);                                        \
    X(&(a)->path, &(b)->path);                                                \
    X(&(a)->args, &(b)->args);                                                \
    X(&(a)->server, &(b)->server);                                            \
    X(&(a)->fields.content_length, &(b)->fields.content_length);              \
    X(&(a)->fields.transfer_encoding, &(b)->fields.transfer_encoding);        \
    X(&(a)->fields.host, &(b)->fields.host);                                  \
    X(&(a)->fields.host_name, &(b)->fields.host_name);                        \
    X(&(a)->fields.host_port, &(b)->fields.host_port);                        \
    X(&(a)->fields.connection, &(b)->fields.connection);                      \
    X(&(a)->fields.upgrade, &(b)->fields.upgrade);                            \
    X(&(a)->fields.expect, &(b)->fields.expect)


static void
fuzz_check(dr_int_t rc, dr_http_parse_request_t *st, u_char *buf, size_t len)
{
    dr_uint_t  i;

#define FUZZ_IN(s, unused)  fuzz_view(s, buf, len)

    fuzz_assert(rc == DR_PARSE_ERROR || rc == DR_PARSE_AGAIN
                || (rc >= 0 && (size_t) rc <= len));

    if (rc == DR_PARSE_ERROR) {
        fuzz_assert(st->state == DR_HTTP_PARSE_STATE_ERROR);
        fuzz_assert(st->err > 0 && st->err < DR_HTTP_PARSE_ERR_LAST);
        fuzz_assert(dr_http_parse_err_text(st->err) != NULL);
        return;
    }

    fuzz_assert(st->fields.nheaders <= FUZZ_MAX_HEADERS);

    FUZZ_VIEWS(FUZZ_IN, st, st);

    for (i = 0; i < st->fields.nheaders; i++) {
        fuzz_view(&st->fields.headers[i].name, buf, len);
        fuzz_view(&st->fields.headers[i].value, buf, len);
        fuzz_assert(st->fields.headers[i].name.len > 0);
    }

    if (rc >= 0) {
        fuzz_assert(st->state == DR_HTTP_PARSE_STATE_DONE);
        fuzz_assert(st->http_major == 1);
        fuzz_assert(st->method_name.len > 0);
        fuzz_assert(!(st->fields.chunked && st->fields.content_length.data));
    }
}


static void
fuzz_same(dr_int_t ra, dr_http_parse_request_t *a, u_char *abuf, dr_int_t rb,
    dr_http_parse_request_t *b, u_char *bbuf)
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

    fuzz_assert(a->method == b->method);
    fuzz_assert(a->target_form == b->target_form);
    fuzz_assert(a->http_version == b->http_version);
    fuzz_assert(a->complex_uri == b->complex_uri);
    fuzz_assert(a->quoted_uri == b->quoted_uri);
    fuzz_assert(a->plus_in_uri == b->plus_in_uri);
    fuzz_assert(a->empty_path == b->empty_path);
    fuzz_assert(a->fields.nheaders == b->fields.nheaders);
    fuzz_assert(a->fields.content_length_n == b->fields.content_length_n);
    fuzz_assert(a->fields.chunked == b->fields.chunked);
    fuzz_assert(a->fields.keep_alive == b->fields.keep_alive);
    fuzz_assert(a->fields.expect_continue == b->fields.expect_continue);

    for (i = 0; i < a->fields.nheaders; i++) {
        FUZZ_EQ(&a->fields.headers[i].name, &b->fields.headers[i].name);
        FUZZ_EQ(&a->fields.headers[i].value, &b->fields.headers[i].value);
        fuzz_assert(a->fields.headers[i].id == b->fields.headers[i].id);
    }
}


static void
fuzz_normalize(dr_http_parse_request_t *st)
{
    u_char     *dst;
    size_t      n, cap;
    dr_uint_t   err;
    dr_int_t    rc;

    if (st->target_form == DR_HTTP_PARSE_TARGET_ASTERISK
        || st->target_form == DR_HTTP_PARSE_TARGET_AUTHORITY)
    {
        return;
    }

    cap = st->path.len ? st->path.len : 1;
    dst = malloc(cap);

    if (dst == NULL) {
        return;
    }

    rc = dr_http_parse_uri_normalize(st->path.data, st->path.len, dst, &n, 1,
                                     &err);

    if (rc == DR_OK) {
        fuzz_assert(n >= 1 && n <= cap && dst[0] == '/');

        /* normalising twice changes nothing but a decoded '%' */
        if (memchr(dst, '%', n) == NULL && memchr(dst, '?', n) == NULL
            && memchr(dst, '#', n) == NULL)
        {
            size_t  n2;
            u_char *again = malloc(n);

            if (again) {
                fuzz_assert(dr_http_parse_uri_normalize(dst, n, again, &n2, 1,
                                                        NULL)
                            == DR_OK);
                fuzz_assert(n2 == n && memcmp(again, dst, n) == 0);
                free(again);
            }
        }

    } else {
        fuzz_assert(rc == DR_PARSE_ERROR);
        fuzz_assert(dr_http_parse_err_status(err) == 400);
    }

    free(dst);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                   *buf, *piece;
    size_t                    k, i, off;
    uint32_t                  h;
    dr_int_t                  rc, r2;
    dr_http_parse_request_t   st, st2;

    buf = malloc(size ? size : 1);

    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    /* whole */

    dr_http_parse_request_init(&st, fuzz_h1, FUZZ_MAX_HEADERS);
    rc = dr_http_parse_request(&st, buf, size);
    fuzz_check(rc, &st, buf, size);
    fuzz_assert(dr_http_parse_request(&st, buf, size) == rc);

    /* two pieces, the first in its own buffer; the cut from a hash */

    h = 2166136261u;

    for (i = 0; i < size; i++) {
        h = (h ^ data[i]) * 16777619u;
    }

    k = size ? h % size : 0;
    piece = malloc(k ? k : 1);

    if (piece) {
        memcpy(piece, data, k);

        dr_http_parse_request_init(&st2, fuzz_h2, FUZZ_MAX_HEADERS);
        r2 = dr_http_parse_request(&st2, piece, k);
        fuzz_check(r2, &st2, piece, k);

        if (r2 == DR_PARSE_ERROR) {
            fuzz_assert(rc == DR_PARSE_ERROR && st2.err == st.err);

        } else {
            if (rc >= 0 && k < (size_t) rc) {
                fuzz_assert(r2 == DR_PARSE_AGAIN);
            }

            r2 = dr_http_parse_request(&st2, buf, size);
            fuzz_check(r2, &st2, buf, size);
            fuzz_same(rc, &st, buf, r2, &st2, buf);
        }

        free(piece);
    }

    /* growing in place, one byte at a time */

    dr_http_parse_request_init(&st2, fuzz_h2, FUZZ_MAX_HEADERS);
    r2 = DR_PARSE_AGAIN;

    for (i = 0; i <= size && r2 == DR_PARSE_AGAIN; i++) {
        r2 = dr_http_parse_request(&st2, buf, i);
        fuzz_check(r2, &st2, buf, i);
    }

    if (r2 >= 0) {
        r2 = dr_http_parse_request(&st2, buf, size);
    }

    fuzz_same(rc, &st, buf, r2, &st2, buf);

    /* what follows a parsed head: normalise, then the next request */

    off = 0;

    for (i = 0; i < 8 && rc >= 0; i++) {
        fuzz_normalize(&st);

        off += (size_t) rc;

        if (st.fields.content_length_n > 0
            && (size_t) st.fields.content_length_n <= size - off)
        {
            off += (size_t) st.fields.content_length_n;
        }

        if (off >= size || st.fields.chunked) {
            break;
        }

        dr_http_parse_request_init(&st, fuzz_h1, FUZZ_MAX_HEADERS);
        rc = dr_http_parse_request(&st, buf + off, size - off);
        fuzz_check(rc, &st, buf + off, size - off);
    }

    free(buf);

    return 0;
}
