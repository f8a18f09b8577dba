/*
 * The upstream response head parser: status line and header fields.
 *
 * The same line-at-a-time driver as the request side, and the same field
 * machinery with the same strictness: a response that a careful reader and
 * a careless one would frame differently (duplicate Content-Length, even
 * equal ones as nginx 1.23; Content-Length with Transfer-Encoding; a coding
 * other than one final chunked; obs-fold; bare CR or LF) is an error, which
 * the proxy turns into a 502 and a log line with the reason. A response
 * that does not start with "HTTP/" (HTTP/0.9, another protocol) is refused
 * as soon as its first bytes arrive.
 *
 * 1xx heads parse like any other; the proxy skips them and parses the next
 * head with a fresh state. What kind of body follows is answered by
 * dr_http_parse_response_body(), which needs the request method.
 * Runs in HTTP workers and in the agent's health checker; allocates nothing.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"


static dr_int_t dr_http_parse_response_run(dr_http_parse_response_t *st,
    u_char *buf, size_t len, dr_uint_t line_only);
static dr_int_t dr_http_parse_response_line(dr_http_parse_response_t *st,
    u_char *p, u_char *lf, dr_uint_t *err);
static size_t dr_http_parse_response_line_end(dr_http_parse_response_t *st);
static void dr_http_parse_response_rebase(dr_http_parse_response_t *st,
    ptrdiff_t d);
static dr_int_t dr_http_parse_response_fail(dr_http_parse_response_t *st,
    dr_uint_t err);


void
dr_http_parse_response_init(dr_http_parse_response_t *st,
    dr_http_parse_header_t *headers, dr_uint_t max_headers)
{
    dr_memzero(st, sizeof(dr_http_parse_response_t));
    dr_http_parse_fields_init(&st->fields, headers, max_headers, 0);
    st->state = DR_HTTP_PARSE_STATE_LINE;
}


dr_int_t
dr_http_parse_status_line(dr_http_parse_response_t *st, u_char *buf,
    size_t len)
{
    return dr_http_parse_response_run(st, buf, len, 1);
}


dr_int_t
dr_http_parse_response(dr_http_parse_response_t *st, u_char *buf, size_t len)
{
    return dr_http_parse_response_run(st, buf, len, 0);
}


dr_uint_t
dr_http_parse_response_has_body(dr_uint_t status, dr_uint_t method)
{
    if (method & DR_HTTP_PARSE_METHOD_HEAD) {
        return 0;
    }

    if (status < 200 || status == 204 || status == 304) {
        return 0;
    }

    if ((method & DR_HTTP_PARSE_METHOD_CONNECT) && status < 300) {
        return 0;
    }

    return 1;
}


dr_uint_t
dr_http_parse_response_body(dr_http_parse_response_t *st, dr_uint_t method)
{
    if (!dr_http_parse_response_has_body(st->status, method)) {
        return DR_HTTP_PARSE_BODY_NONE;
    }

    if (st->fields.chunked) {
        return DR_HTTP_PARSE_BODY_CHUNKED;
    }

    if (st->fields.content_length_n >= 0) {
        return DR_HTTP_PARSE_BODY_LENGTH;
    }

    return DR_HTTP_PARSE_BODY_CLOSE;
}


static dr_int_t
dr_http_parse_response_run(dr_http_parse_response_t *st, u_char *buf,
    size_t len, dr_uint_t line_only)
{
    u_char     *p, *lf;
    size_t      n;
    dr_int_t    rc;
    dr_uint_t   err;

    if (st->state == DR_HTTP_PARSE_STATE_ERROR) {
        return DR_PARSE_ERROR;
    }

    if (st->base != buf) {
        if (st->base) {
            dr_http_parse_response_rebase(st, (uintptr_t) buf
                                              - (uintptr_t) st->base);
        }

        st->base = buf;
    }

    if (st->state == DR_HTTP_PARSE_STATE_DONE) {
        return line_only ? (dr_int_t) dr_http_parse_response_line_end(st)
                         : (dr_int_t) st->pos;
    }

    if (line_only && st->state == DR_HTTP_PARSE_STATE_HEADERS) {
        return dr_http_parse_response_line_end(st);
    }

    if (len < st->scan) {
        return DR_PARSE_AGAIN;
    }

    for ( ;; ) {
        lf = memchr(buf + st->scan, LF, len - st->scan);

        if (lf == NULL) {
            st->scan = len;

            if (st->state == DR_HTTP_PARSE_STATE_LINE) {
                n = dr_min(len, 5);

                if (memcmp(buf, "HTTP/", n) != 0) {
                    return dr_http_parse_response_fail(st,
                                         DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE);
                }
            }

            return DR_PARSE_AGAIN;
        }

        p = buf + st->pos;
        err = DR_HTTP_PARSE_ERR_NONE;

        if (st->state == DR_HTTP_PARSE_STATE_LINE) {
            rc = dr_http_parse_response_line(st, p, lf, &err);

        } else {
            rc = dr_http_parse_fields_line(&st->fields, p, lf, &err);
        }

        if (rc == DR_PARSE_ERROR) {
            return dr_http_parse_response_fail(st, err);
        }

        st->pos = lf + 1 - buf;
        st->scan = st->pos;

        if (st->state == DR_HTTP_PARSE_STATE_LINE) {
            st->state = DR_HTTP_PARSE_STATE_HEADERS;
            st->fields.http_version = st->http_version;

            if (line_only) {
                return st->pos;
            }

            continue;
        }

        if (rc == DR_DONE) {
            dr_http_parse_fields_done(&st->fields);
            st->state = DR_HTTP_PARSE_STATE_DONE;
            return st->pos;
        }
    }
}


/*
 * HTTP-version SP 3DIGIT [ SP reason-phrase ] CRLF, in [p, lf]. The SP
 * before an empty reason is often left out and is not needed to frame the
 * line (nginx accepts it too). Major version 1 only; status 100..599.
 */
static dr_int_t
dr_http_parse_response_line(dr_http_parse_response_t *st, u_char *p,
    u_char *lf, dr_uint_t *err)
{
    u_char  *end;

    st->status_line.data = p;

    if (lf - p < (dr_int_t) sizeof("HTTP/1.1 200\r") - 1
        || p[0] != 'H' || p[1] != 'T' || p[2] != 'T' || p[3] != 'P'
        || p[4] != '/' || p[5] < '0' || p[5] > '9' || p[6] != '.'
        || p[7] < '0' || p[7] > '9' || p[8] != ' ')
    {
        *err = DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE;
        return DR_PARSE_ERROR;
    }

    if (lf[-1] != CR) {
        *err = DR_HTTP_PARSE_ERR_BARE_LF;
        return DR_PARSE_ERROR;
    }

    st->http_major = p[5] - '0';
    st->http_minor = p[7] - '0';

    if (st->http_major != 1) {
        *err = DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION;
        return DR_PARSE_ERROR;
    }

    st->http_version = st->http_major * 1000 + st->http_minor;

    p += 9;

    if (p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9'
        || p[2] < '0' || p[2] > '9')
    {
        *err = DR_HTTP_PARSE_ERR_INVALID_STATUS;
        return DR_PARSE_ERROR;
    }

    st->status = (p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0');

    if (st->status < 100 || st->status > 599) {
        *err = DR_HTTP_PARSE_ERR_INVALID_STATUS;
        return DR_PARSE_ERROR;
    }

    p += 3;
    end = lf - 1;

    if (p < end) {
        if (*p != ' ') {
            *err = (*p >= '0' && *p <= '9')
                   ? DR_HTTP_PARSE_ERR_INVALID_STATUS
                   : DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE;
            return DR_PARSE_ERROR;
        }

        p++;
    }

    st->reason.data = p;

    if (p < end && dr_http_parse_value_end(p, end) != end) {
        *err = (*dr_http_parse_value_end(p, end) == CR)
               ? DR_HTTP_PARSE_ERR_BARE_CR
               : DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE;
        return DR_PARSE_ERROR;
    }

    st->reason.len = end - p;
    st->status_line.len = end - st->status_line.data;

    return DR_OK;
}


static size_t
dr_http_parse_response_line_end(dr_http_parse_response_t *st)
{
    return st->status_line.data + st->status_line.len + 2 - st->base;
}


static void
dr_http_parse_response_rebase(dr_http_parse_response_t *st, ptrdiff_t d)
{
    dr_http_parse_rebase_str(&st->status_line, d);
    dr_http_parse_rebase_str(&st->reason, d);

    dr_http_parse_fields_rebase(&st->fields, d);
}


static dr_int_t
dr_http_parse_response_fail(dr_http_parse_response_t *st, dr_uint_t err)
{
    st->state = DR_HTTP_PARSE_STATE_ERROR;
    st->err = err;

    return DR_PARSE_ERROR;
}
