/*
 * The chunked transfer coding decoder (RFC 9112 7.1), for request bodies
 * and upstream responses.
 *
 * A byte-at-a-time state machine for the framing, which is small, and
 * whole slices for the payload, which is not: a call returns as soon as it
 * has a slice of chunk data, so the caller can pass the slice on (to a
 * temp file, a socket) without a copy. State lives in the context, so the
 * input may be split anywhere, down to single bytes.
 *
 * Strict and bounded: hex sizes without sign or leading whitespace (leading
 * zeros are fine) and without overflow, extensions checked against the
 * grammar and limited with the size to DR_HTTP_PARSE_CHUNK_LINE_MAX bytes,
 * CRLF only, data followed by CRLF (a longer chunk is a smuggling attempt,
 * not a typo), trailer fields checked like header fields, limited to
 * DR_HTTP_PARSE_TRAILERS_MAX bytes and dropped. The announced total is
 * checked against the caller's limit as each chunk size is read, before
 * the data arrives (413 for client_max_body_size, as nginx).
 * Pure code: no allocation, no logging.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"


enum {
    dr_http_parse_chunked_size_start = 0,
    dr_http_parse_chunked_size,
    dr_http_parse_chunked_bws,             /* after the size or a value */
    dr_http_parse_chunked_ext_name_start,  /* after ';' */
    dr_http_parse_chunked_ext_name,
    dr_http_parse_chunked_ext_after_name,
    dr_http_parse_chunked_ext_value_start, /* after '=' */
    dr_http_parse_chunked_ext_value,
    dr_http_parse_chunked_ext_quoted,
    dr_http_parse_chunked_ext_quoted_pair,
    dr_http_parse_chunked_size_lf,
    dr_http_parse_chunked_data,
    dr_http_parse_chunked_data_cr,
    dr_http_parse_chunked_data_lf,
    dr_http_parse_chunked_trailer_start,
    dr_http_parse_chunked_trailer_name,
    dr_http_parse_chunked_trailer_value,
    dr_http_parse_chunked_trailer_lf,
    dr_http_parse_chunked_last_lf
};


static dr_int_t dr_http_parse_chunked_size_done(dr_http_parse_chunked_t *ctx);
static dr_int_t dr_http_parse_chunked_fail(dr_http_parse_chunked_t *ctx,
    dr_uint_t err);


void
dr_http_parse_chunked_init(dr_http_parse_chunked_t *ctx, off_t max_size)
{
    dr_memzero(ctx, sizeof(dr_http_parse_chunked_t));
    ctx->max_size = max_size;
}


dr_int_t
dr_http_parse_chunked(dr_http_parse_chunked_t *ctx, u_char *buf, size_t len,
    dr_str_t *data)
{
    u_char     ch, c, *p, *last;
    off_t      n;
    dr_uint_t  state, cls;

    data->data = NULL;
    data->len = 0;

    if (ctx->state == DR_HTTP_PARSE_CHUNKED_DONE) {
        return 0;
    }

    if (ctx->state == DR_HTTP_PARSE_CHUNKED_ERROR) {
        return DR_PARSE_ERROR;
    }

    p = buf;
    last = buf + len;
    state = ctx->state;

    while (p < last) {

        if (state == dr_http_parse_chunked_data) {
            n = dr_min(ctx->size, (off_t) (last - p));

            data->data = p;
            data->len = (size_t) n;

            p += n;
            ctx->size -= n;

            if (ctx->size == 0) {
                state = dr_http_parse_chunked_data_cr;
            }

            ctx->state = state;
            return p - buf;
        }

        ch = *p++;
        cls = dr_http_parse_chars[ch];

        if (state <= dr_http_parse_chunked_size_lf) {
            if (++ctx->line > DR_HTTP_PARSE_CHUNK_LINE_MAX) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_CHUNK_LINE_TOO_LONG);
            }

        } else if (state >= dr_http_parse_chunked_trailer_start) {
            if (++ctx->line > DR_HTTP_PARSE_TRAILERS_MAX) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_TRAILERS_TOO_LARGE);
            }
        }

        switch (state) {

        case dr_http_parse_chunked_size_start:
        case dr_http_parse_chunked_size:

            if (cls & DR_HTTP_PARSE_C_HEX) {
                c = (u_char) (ch | 0x20);

                if (ctx->size > (DR_HTTP_PARSE_MAX_LENGTH >> 4)) {
                    return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_CHUNK_SIZE_OVERFLOW);
                }

                ctx->size = (ctx->size << 4)
                            + ((c >= 'a') ? c - 'a' + 10 : c - '0');
                state = dr_http_parse_chunked_size;
                break;
            }

            if (state == dr_http_parse_chunked_size_start) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE);
            }

            /* fall through */

        case dr_http_parse_chunked_bws:

            /* a size or an extension value ends: BWS, ';' or CRLF */

            if (ch == ' ' || ch == '\t') {
                state = dr_http_parse_chunked_bws;

            } else if (ch == ';') {
                state = dr_http_parse_chunked_ext_name_start;

            } else if (ch == CR) {
                state = dr_http_parse_chunked_size_lf;

            } else {
                return dr_http_parse_chunked_fail(ctx,
                           (ch == LF) ? DR_HTTP_PARSE_ERR_BARE_LF
                           : (state == dr_http_parse_chunked_size)
                           ? DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE
                           : DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }
            break;

        case dr_http_parse_chunked_ext_name_start:

            if (ch == ' ' || ch == '\t') {
                break;
            }

            if (!(cls & DR_HTTP_PARSE_C_TCHAR)) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }

            state = dr_http_parse_chunked_ext_name;
            break;

        case dr_http_parse_chunked_ext_name:

            if (cls & DR_HTTP_PARSE_C_TCHAR) {
                break;
            }

            /* fall through */

        case dr_http_parse_chunked_ext_after_name:

            if (ch == ' ' || ch == '\t') {
                state = dr_http_parse_chunked_ext_after_name;

            } else if (ch == '=') {
                state = dr_http_parse_chunked_ext_value_start;

            } else if (ch == ';') {
                state = dr_http_parse_chunked_ext_name_start;

            } else if (ch == CR) {
                state = dr_http_parse_chunked_size_lf;

            } else {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }
            break;

        case dr_http_parse_chunked_ext_value_start:

            if (ch == ' ' || ch == '\t') {
                break;
            }

            if (ch == '"') {
                state = dr_http_parse_chunked_ext_quoted;

            } else if (cls & DR_HTTP_PARSE_C_TCHAR) {
                state = dr_http_parse_chunked_ext_value;

            } else {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }
            break;

        case dr_http_parse_chunked_ext_value:

            if (cls & DR_HTTP_PARSE_C_TCHAR) {
                break;
            }

            if (ch == ' ' || ch == '\t') {
                state = dr_http_parse_chunked_bws;

            } else if (ch == ';') {
                state = dr_http_parse_chunked_ext_name_start;

            } else if (ch == CR) {
                state = dr_http_parse_chunked_size_lf;

            } else {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }
            break;

        case dr_http_parse_chunked_ext_quoted:

            if (ch == '"') {
                state = dr_http_parse_chunked_bws;

            } else if (ch == '\\') {
                state = dr_http_parse_chunked_ext_quoted_pair;

            } else if (!(cls & DR_HTTP_PARSE_C_VALUE)) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }
            break;

        case dr_http_parse_chunked_ext_quoted_pair:

            if (!(cls & DR_HTTP_PARSE_C_VALUE)) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT);
            }

            state = dr_http_parse_chunked_ext_quoted;
            break;

        case dr_http_parse_chunked_size_lf:

            if (ch != LF) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_BARE_CR);
            }

            if (dr_http_parse_chunked_size_done(ctx) != DR_OK) {
                return DR_PARSE_ERROR;
            }

            ctx->line = 0;
            state = (ctx->size == 0) ? dr_http_parse_chunked_trailer_start
                                     : dr_http_parse_chunked_data;
            break;

        case dr_http_parse_chunked_data_cr:

            if (ch != CR) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_END);
            }

            state = dr_http_parse_chunked_data_lf;
            break;

        case dr_http_parse_chunked_data_lf:

            if (ch != LF) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_CHUNK_END);
            }

            ctx->line = 0;
            state = dr_http_parse_chunked_size_start;
            break;

        case dr_http_parse_chunked_trailer_start:

            if (ch == CR) {
                state = dr_http_parse_chunked_last_lf;

            } else if (cls & DR_HTTP_PARSE_C_TCHAR) {
                state = dr_http_parse_chunked_trailer_name;

            } else {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_TRAILER);
            }
            break;

        case dr_http_parse_chunked_trailer_name:

            if (ch == ':') {
                state = dr_http_parse_chunked_trailer_value;

            } else if (!(cls & DR_HTTP_PARSE_C_TCHAR)) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_TRAILER);
            }
            break;

        case dr_http_parse_chunked_trailer_value:

            if (ch == CR) {
                state = dr_http_parse_chunked_trailer_lf;

            } else if (!(cls & DR_HTTP_PARSE_C_VALUE)) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_INVALID_TRAILER);
            }
            break;

        case dr_http_parse_chunked_trailer_lf:

            if (ch != LF) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_BARE_CR);
            }

            state = dr_http_parse_chunked_trailer_start;
            break;

        default: /* dr_http_parse_chunked_last_lf */

            if (ch != LF) {
                return dr_http_parse_chunked_fail(ctx,
                                    DR_HTTP_PARSE_ERR_BARE_CR);
            }

            ctx->state = DR_HTTP_PARSE_CHUNKED_DONE;
            return p - buf;
        }
    }

    ctx->state = state;

    return DR_PARSE_AGAIN;
}


/* a chunk-size line is complete: account for the chunk before its data */
static dr_int_t
dr_http_parse_chunked_size_done(dr_http_parse_chunked_t *ctx)
{
    if (ctx->size > DR_HTTP_PARSE_MAX_LENGTH - ctx->total) {
        return dr_http_parse_chunked_fail(ctx,
                                          DR_HTTP_PARSE_ERR_BODY_TOO_LARGE);
    }

    ctx->total += ctx->size;

    if (ctx->max_size && ctx->total > ctx->max_size) {
        return dr_http_parse_chunked_fail(ctx,
                                          DR_HTTP_PARSE_ERR_BODY_TOO_LARGE);
    }

    return DR_OK;
}


static dr_int_t
dr_http_parse_chunked_fail(dr_http_parse_chunked_t *ctx, dr_uint_t err)
{
    ctx->state = DR_HTTP_PARSE_CHUNKED_ERROR;
    ctx->err = err;

    return DR_PARSE_ERROR;
}
