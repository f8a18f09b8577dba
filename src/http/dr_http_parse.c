/*
 * What the HTTP/1.x head parsers share: the byte classes, the error table,
 * Host syntax and the header field machinery (one field line at a time,
 * with the framing fields interpreted as they are seen).
 *
 * A field line reaches dr_http_parse_fields_line() whole: the caller has
 * found its LF, so the loops below stop at that LF (no byte class holds it)
 * and need no bounds checks. Field values are validated eight bytes at a
 * time; names go through the token table.
 *
 * Strictness follows RFC 9112 and nginx's choices where they agree: obs-fold,
 * bare CR or LF, NUL and other controls, whitespace before the colon, any
 * duplicate Content-Length (even an equal one), Host or Transfer-Encoding,
 * both Content-Length and Transfer-Encoding, and a Transfer-Encoding that
 * is not exactly one final "chunked" are errors, never guesses.
 *
 * Pure code: no allocation, no logging; safe in any process.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


const uint8_t  dr_http_parse_chars[256] = {
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* 00 */
    0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* 08 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* 10 */
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,  /* 18 */
    0x02, 0x1f, 0x0e, 0x03, 0x1f, 0x17, 0x1f, 0x1f,  /* 20 */
    0x1e, 0x1e, 0x1f, 0x57, 0x1e, 0x5f, 0x5f, 0x06,  /* 28 */
    0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f,  /* 30 */
    0x7f, 0x7f, 0x0e, 0x1e, 0x0e, 0x1e, 0x0e, 0x06,  /* 38 */
    0x0e, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x5f,  /* 40 */
    0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f,  /* 48 */
    0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f,  /* 50 */
    0x5f, 0x5f, 0x5f, 0x0e, 0x0e, 0x0e, 0x0f, 0x1f,  /* 58 */
    0x0f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x7f, 0x5f,  /* 60 */
    0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f,  /* 68 */
    0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f, 0x5f,  /* 70 */
    0x5f, 0x5f, 0x5f, 0x0e, 0x0f, 0x0e, 0x1f, 0x00,  /* 78 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* 80 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* 88 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* 90 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* 98 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* a0 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* a8 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* b0 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* b8 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* c0 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* c8 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* d0 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* d8 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* e0 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* e8 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* f0 */
    0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e, 0x0e,  /* f8 */
};


static const struct {
    const char  *text;
    dr_uint_t    status;
} dr_http_parse_errors[DR_HTTP_PARSE_ERR_LAST] = {
    [DR_HTTP_PARSE_ERR_NONE] =
        { "no error", 200 },
    [DR_HTTP_PARSE_ERR_INVALID_METHOD] =
        { "invalid method", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_REQUEST_LINE] =
        { "invalid request line", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_TARGET] =
        { "invalid request target", 400 },
    [DR_HTTP_PARSE_ERR_ASTERISK_FORM] =
        { "asterisk-form request target without OPTIONS", 400 },
    [DR_HTTP_PARSE_ERR_AUTHORITY_FORM] =
        { "authority-form request target without CONNECT", 400 },
    [DR_HTTP_PARSE_ERR_CONNECT_TARGET] =
        { "CONNECT without an authority-form target", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_SCHEME] =
        { "absolute-form target with a scheme other than http/https", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_URI_HOST] =
        { "invalid host in request line", 400 },
    [DR_HTTP_PARSE_ERR_USERINFO] =
        { "userinfo in request target", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_VERSION] =
        { "invalid HTTP version", 400 },
    [DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION] =
        { "unsupported HTTP version", 505 },
    [DR_HTTP_PARSE_ERR_BARE_LF] =
        { "bare LF as line terminator", 400 },
    [DR_HTTP_PARSE_ERR_BARE_CR] =
        { "bare CR not followed by LF", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME] =
        { "invalid header name", 400 },
    [DR_HTTP_PARSE_ERR_SPACE_BEFORE_COLON] =
        { "whitespace between header name and colon", 400 },
    [DR_HTTP_PARSE_ERR_OBS_FOLD] =
        { "header line starting with whitespace (obs-fold)", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_HEADER_VALUE] =
        { "invalid character in header value", 400 },
    [DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS] =
        { "too many header lines", 494 },
    [DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH] =
        { "duplicate Content-Length header", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH] =
        { "invalid Content-Length header", 400 },
    [DR_HTTP_PARSE_ERR_DUP_TRANSFER_ENCODING] =
        { "duplicate Transfer-Encoding header", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING] =
        { "invalid Transfer-Encoding header", 400 },
    [DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING] =
        { "unknown Transfer-Encoding", 501 },
    [DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED] =
        { "both Content-Length and Transfer-Encoding headers", 400 },
    [DR_HTTP_PARSE_ERR_TRANSFER_ENCODING_HTTP10] =
        { "Transfer-Encoding in an HTTP/1.0 message", 400 },
    [DR_HTTP_PARSE_ERR_DUP_HOST] =
        { "duplicate Host header", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_HOST] =
        { "invalid Host header", 400 },
    [DR_HTTP_PARSE_ERR_NO_HOST] =
        { "HTTP/1.1 request without Host header", 400 },
    [DR_HTTP_PARSE_ERR_HOST_MISMATCH] =
        { "Host header not matching the absolute-form target", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_STATUS_LINE] =
        { "invalid status line", 502 },
    [DR_HTTP_PARSE_ERR_INVALID_STATUS] =
        { "invalid status code", 502 },
    [DR_HTTP_PARSE_ERR_INVALID_CHUNK_SIZE] =
        { "invalid chunk size", 400 },
    [DR_HTTP_PARSE_ERR_CHUNK_SIZE_OVERFLOW] =
        { "too large chunk size", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_CHUNK_EXT] =
        { "invalid chunk extension", 400 },
    [DR_HTTP_PARSE_ERR_CHUNK_LINE_TOO_LONG] =
        { "too long chunk size line", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_CHUNK_END] =
        { "chunk data not followed by CRLF", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_TRAILER] =
        { "invalid trailer field", 400 },
    [DR_HTTP_PARSE_ERR_TRAILERS_TOO_LARGE] =
        { "too large trailer section", 400 },
    [DR_HTTP_PARSE_ERR_BODY_TOO_LARGE] =
        { "too large chunked body", 413 },
    [DR_HTTP_PARSE_ERR_INVALID_URI] =
        { "invalid URI", 400 },
    [DR_HTTP_PARSE_ERR_INVALID_PERCENT] =
        { "invalid percent-encoding in URI", 400 },
    [DR_HTTP_PARSE_ERR_ENCODED_NUL] =
        { "encoded NUL in URI", 400 },
    [DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT] =
        { "URI path above the root", 400 },
};


static dr_int_t dr_http_parse_content_length(dr_http_parse_fields_t *f,
    dr_str_t *v, dr_uint_t *err);
static dr_int_t dr_http_parse_transfer_encoding(dr_http_parse_fields_t *f,
    dr_str_t *v, dr_uint_t *err);
static dr_int_t dr_http_parse_host_field(dr_http_parse_fields_t *f,
    dr_str_t *v, dr_uint_t *err);
static void dr_http_parse_connection(dr_http_parse_fields_t *f, dr_str_t *v);
static dr_uint_t dr_http_parse_header_id(u_char *name, size_t len);


const char *
dr_http_parse_err_text(dr_uint_t err)
{
    if (err >= DR_HTTP_PARSE_ERR_LAST) {
        return "unknown error";
    }

    return dr_http_parse_errors[err].text;
}


dr_uint_t
dr_http_parse_err_status(dr_uint_t err)
{
    if (err == DR_HTTP_PARSE_ERR_NONE || err >= DR_HTTP_PARSE_ERR_LAST) {
        return 400;
    }

    return dr_http_parse_errors[err].status;
}


/*
 * Compares <n> bytes of <s> with the lower-case <lower>, ignoring case.
 * Folding with | 0x20 is exact here: the bytes it would confuse with a
 * letter, digit or '-' are controls, which no caller lets through.
 */
dr_int_t
dr_http_parse_iequal(u_char *s, const char *lower, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if ((u_char) (s[i] | 0x20) != (u_char) lower[i]) {
            return 0;
        }
    }

    return 1;
}


/*
 * Returns the first byte in [p, end) that may not appear in a field value
 * (a control other than HTAB, or DEL), or <end>. With SSE2 (any x86-64),
 * sixteen bytes at a time: a byte is fine when it is >= 0x20 (unsigned max
 * with 0x20 leaves it unchanged) and not 0x7f; a HTAB is stepped over.
 * Elsewhere, and for the tail, eight bytes at a time: a word is clean when
 * none of its bytes is below 0x20 or equal to 0x7f (exact tests, see "Bit
 * Twiddling Hacks", hasless and haszero); a word with a HTAB or a bad byte
 * is looked at byte by byte.
 */
u_char *
dr_http_parse_value_end(u_char *p, u_char *end)
{
    u_char    *stop;
    uint64_t   x, y;

#if defined(__SSE2__)
    unsigned   ok;
    __m128i    v, sp, del;

    sp = _mm_set1_epi8(0x20);
    del = _mm_set1_epi8(0x7f);

    while (end - p >= 16) {
        v = _mm_loadu_si128((const __m128i *) p);

        ok = (unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_max_epu8(v, sp),
                                                         v))
             & ~(unsigned) _mm_movemask_epi8(_mm_cmpeq_epi8(v, del));

        if (ok == 0xffff) {
            p += 16;
            continue;
        }

        p += __builtin_ctz(~ok);

        if (*p != '\t') {
            return p;
        }

        p++;
    }
#endif

    for ( ;; ) {
        while (end - p >= 8) {
            memcpy(&x, p, 8);
            y = x ^ 0x7f7f7f7f7f7f7f7fULL;

            if ((((x - 0x2020202020202020ULL) & ~x)
                 | ((y - 0x0101010101010101ULL) & ~y))
                & 0x8080808080808080ULL)
            {
                break;
            }

            p += 8;
        }

        stop = (end - p > 8) ? p + 8 : end;

        while (p < stop && (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_VALUE)) {
            p++;
        }

        if (p < stop || p == end) {
            return p;
        }
    }
}


dr_int_t
dr_http_parse_host(u_char *p, size_t len, dr_str_t *name, dr_str_t *port)
{
    u_char     *start, *last;
    dr_uint_t   colons, n, digits;

    start = p;
    last = p + len;

    if (p == last) {
        return DR_PARSE_ERROR;
    }

    if (*p == '[') {
        colons = 0;

        for (p++; p < last && *p != ']'; p++) {
            if (*p == ':') {
                colons++;

            } else if (*p != '.'
                       && !(dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_HEX))
            {
                return DR_PARSE_ERROR;
            }
        }

        if (p == last || colons < 2) {
            return DR_PARSE_ERROR;
        }

        p++;
        name->data = start;
        name->len = p - start;

    } else {
        for ( /* void */ ; p < last && *p != ':'; p++) {

            if (!(dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_HOST)) {
                return DR_PARSE_ERROR;
            }

            if (*p == '.' && p > start && p[-1] == '.') {
                return DR_PARSE_ERROR;
            }

            if (*p == '%') {
                if (last - p < 3
                    || !(dr_http_parse_chars[p[1]] & DR_HTTP_PARSE_C_HEX)
                    || !(dr_http_parse_chars[p[2]] & DR_HTTP_PARSE_C_HEX))
                {
                    return DR_PARSE_ERROR;
                }

                p += 2;
            }
        }

        name->data = start;
        name->len = p - start;

        if (name->len && start[name->len - 1] == '.') {
            name->len--;
        }

        if (name->len == 0) {
            return DR_PARSE_ERROR;
        }
    }

    if (p == last) {
        port->data = last;
        port->len = 0;
        return DR_OK;
    }

    if (*p++ != ':') {
        return DR_PARSE_ERROR;
    }

    port->data = p;
    n = 0;

    for (digits = 0; p < last; p++, digits++) {
        if (*p < '0' || *p > '9' || digits == 5) {
            return DR_PARSE_ERROR;
        }

        n = n * 10 + (*p - '0');
    }

    if (n > 65535) {
        return DR_PARSE_ERROR;
    }

    port->len = p - port->data;

    return DR_OK;
}


void
dr_http_parse_fields_init(dr_http_parse_fields_t *f,
    dr_http_parse_header_t *headers, dr_uint_t max_headers, dr_uint_t request)
{
    /* <f> is part of a zeroed request or response state */

    f->headers = headers;
    f->max_headers = max_headers;
    f->content_length_n = -1;
    f->request = request ? 1 : 0;
}


/*
 * Parses one line of the header section, [p, lf] with *lf == LF. Returns
 * DR_OK (a field was taken), DR_DONE (the empty line ending the section),
 * or DR_PARSE_ERROR with *err. f->http_version must be set: it decides
 * whether Transfer-Encoding is acceptable.
 */
dr_int_t
dr_http_parse_fields_line(dr_http_parse_fields_t *f, u_char *p, u_char *lf,
    dr_uint_t *err)
{
    u_char                  *name, *value, *end;
    size_t                   nlen;
    dr_str_t                 v;
    dr_uint_t                id;
    dr_http_parse_header_t  *h;

    if (*p == CR) {
        if (p + 1 == lf) {
            return DR_DONE;
        }

        *err = DR_HTTP_PARSE_ERR_BARE_CR;
        return DR_PARSE_ERROR;
    }

    name = p;

    while (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_TCHAR) {
        p++;
    }

    if (*p != ':' || p == name) {
        if (p == name) {
            *err = (*p == ' ' || *p == '\t') ? DR_HTTP_PARSE_ERR_OBS_FOLD
                   : (*p == LF) ? DR_HTTP_PARSE_ERR_BARE_LF
                   : DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME;

        } else if (*p == ' ' || *p == '\t') {
            *err = DR_HTTP_PARSE_ERR_SPACE_BEFORE_COLON;

        } else if (*p == LF) {
            *err = DR_HTTP_PARSE_ERR_BARE_LF;

        } else if (*p == CR) {
            *err = (p + 1 == lf) ? DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME
                                 : DR_HTTP_PARSE_ERR_BARE_CR;

        } else {
            *err = DR_HTTP_PARSE_ERR_INVALID_HEADER_NAME;
        }

        return DR_PARSE_ERROR;
    }

    nlen = p - name;
    id = dr_http_parse_header_id(name, nlen);

    /* the line holds at least "x:" before <lf>, so lf[-1] is in it */

    if (lf[-1] != CR) {
        *err = DR_HTTP_PARSE_ERR_BARE_LF;
        return DR_PARSE_ERROR;
    }

    end = lf - 1;

    for (p++; *p == ' ' || *p == '\t'; p++) { /* void */ }

    value = p;

    if (p < end) {
        p = dr_http_parse_value_end(p, end);

        if (p != end) {
            *err = (*p == CR) ? DR_HTTP_PARSE_ERR_BARE_CR
                              : DR_HTTP_PARSE_ERR_INVALID_HEADER_VALUE;
            return DR_PARSE_ERROR;
        }

        while (end[-1] == ' ' || end[-1] == '\t') {
            end--;
        }

    } else {
        end = value;
    }

    if (f->nheaders == f->max_headers) {
        *err = DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS;
        return DR_PARSE_ERROR;
    }

    v.data = value;
    v.len = end - value;

    if (f->headers) {
        h = &f->headers[f->nheaders];
        h->name.data = name;
        h->name.len = nlen;
        h->value = v;
        h->id = id;
    }

    f->nheaders++;

    switch (id) {

    case DR_HTTP_PARSE_HDR_OTHER:
        return DR_OK;

    case DR_HTTP_PARSE_HDR_CONTENT_LENGTH:
        return dr_http_parse_content_length(f, &v, err);

    case DR_HTTP_PARSE_HDR_TRANSFER_ENCODING:
        return dr_http_parse_transfer_encoding(f, &v, err);

    case DR_HTTP_PARSE_HDR_HOST:
        return f->request ? dr_http_parse_host_field(f, &v, err) : DR_OK;

    case DR_HTTP_PARSE_HDR_CONNECTION:
        dr_http_parse_connection(f, &v);
        return DR_OK;

    case DR_HTTP_PARSE_HDR_UPGRADE:
        if (f->upgrade.data == NULL) {
            f->upgrade = v;
        }
        return DR_OK;

    default: /* DR_HTTP_PARSE_HDR_EXPECT */
        if (f->expect.data == NULL) {
            f->expect = v;
        }

        if (v.len == 12 && dr_http_parse_iequal(v.data, "100-continue", 12)) {
            f->expect_continue = 1;
        }
        return DR_OK;
    }
}


static dr_uint_t
dr_http_parse_header_id(u_char *name, size_t len)
{
    switch (len) {

    case 4:
        return dr_http_parse_iequal(name, "host", 4)
               ? DR_HTTP_PARSE_HDR_HOST : DR_HTTP_PARSE_HDR_OTHER;

    case 6:
        return dr_http_parse_iequal(name, "expect", 6)
               ? DR_HTTP_PARSE_HDR_EXPECT : DR_HTTP_PARSE_HDR_OTHER;

    case 7:
        return dr_http_parse_iequal(name, "upgrade", 7)
               ? DR_HTTP_PARSE_HDR_UPGRADE : DR_HTTP_PARSE_HDR_OTHER;

    case 10:
        return dr_http_parse_iequal(name, "connection", 10)
               ? DR_HTTP_PARSE_HDR_CONNECTION : DR_HTTP_PARSE_HDR_OTHER;

    case 14:
        return dr_http_parse_iequal(name, "content-length", 14)
               ? DR_HTTP_PARSE_HDR_CONTENT_LENGTH : DR_HTTP_PARSE_HDR_OTHER;

    case 17:
        return dr_http_parse_iequal(name, "transfer-encoding", 17)
               ? DR_HTTP_PARSE_HDR_TRANSFER_ENCODING
               : DR_HTTP_PARSE_HDR_OTHER;

    default:
        return DR_HTTP_PARSE_HDR_OTHER;
    }
}


/*
 * 1*DIGIT, at most DR_HTTP_PARSE_MAX_LENGTH. A second Content-Length is an
 * error even when equal (nginx 1.23), and so is a list ("5, 5").
 */
static dr_int_t
dr_http_parse_content_length(dr_http_parse_fields_t *f, dr_str_t *v,
    dr_uint_t *err)
{
    off_t    n, d;
    u_char  *p, *last;

    if (f->content_length.data) {
        *err = DR_HTTP_PARSE_ERR_DUP_CONTENT_LENGTH;
        return DR_PARSE_ERROR;
    }

    f->content_length = *v;

    if (v->len == 0) {
        *err = DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH;
        return DR_PARSE_ERROR;
    }

    n = 0;
    last = v->data + v->len;

    for (p = v->data; p < last; p++) {
        if (*p < '0' || *p > '9') {
            *err = DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH;
            return DR_PARSE_ERROR;
        }

        d = *p - '0';

        if (n > (DR_HTTP_PARSE_MAX_LENGTH - d) / 10) {
            *err = DR_HTTP_PARSE_ERR_INVALID_CONTENT_LENGTH;
            return DR_PARSE_ERROR;
        }

        n = n * 10 + d;
    }

    f->content_length_n = n;

    if (f->transfer_encoding.data) {
        *err = DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED;
        return DR_PARSE_ERROR;
    }

    return DR_OK;
}


/*
 * Accepts exactly one coding, "chunked" (any case, no parameters), as the
 * list's only non-empty element. A chunked that is not last, or appears
 * twice, makes the length undeterminable: 400; any other coding is one we
 * do not implement: 501 (nginx). Both messages and HTTP/1.0 are refused.
 */
static dr_int_t
dr_http_parse_transfer_encoding(dr_http_parse_fields_t *f, dr_str_t *v,
    dr_uint_t *err)
{
    u_char     *p, *t, *last;
    size_t      tlen;
    dr_uint_t   params, quoted, elements, chunked, last_chunked, unknown;

    if (f->transfer_encoding.data) {
        *err = DR_HTTP_PARSE_ERR_DUP_TRANSFER_ENCODING;
        return DR_PARSE_ERROR;
    }

    f->transfer_encoding = *v;

    if (f->content_length.data) {
        *err = DR_HTTP_PARSE_ERR_LENGTH_AND_CHUNKED;
        return DR_PARSE_ERROR;
    }

    if (f->http_version < DR_HTTP_PARSE_VERSION_11) {
        *err = DR_HTTP_PARSE_ERR_TRANSFER_ENCODING_HTTP10;
        return DR_PARSE_ERROR;
    }

    elements = 0;
    chunked = 0;
    last_chunked = 0;
    unknown = 0;

    p = v->data;
    last = p + v->len;

    while (p < last) {

        if (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
            continue;
        }

        t = p;

        while (p < last && (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_TCHAR)) {
            p++;
        }

        tlen = p - t;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        params = 0;

        if (tlen == 0) {
            goto invalid;
        }

        if (p < last && *p == ';') {
            params = 1;
            quoted = 0;

            for ( /* void */ ; p < last; p++) {
                if (quoted) {
                    if (*p == '\\' && p + 1 < last) {
                        p++;

                    } else if (*p == '"') {
                        quoted = 0;
                    }

                    continue;
                }

                if (*p == '"') {
                    quoted = 1;

                } else if (*p == ',') {
                    break;
                }
            }

            if (quoted) {
                goto invalid;
            }

        } else if (p < last && *p != ',') {
            goto invalid;
        }

        elements++;

        if (!params && tlen == 7 && dr_http_parse_iequal(t, "chunked", 7)) {
            if (chunked) {
                goto invalid;
            }

            chunked = 1;
            last_chunked = 1;

        } else {
            unknown = 1;
            last_chunked = 0;
        }
    }

    if (elements == 0 || (chunked && !last_chunked)) {
        goto invalid;
    }

    if (unknown) {
        *err = DR_HTTP_PARSE_ERR_UNKNOWN_TRANSFER_ENCODING;
        return DR_PARSE_ERROR;
    }

    f->chunked = 1;

    return DR_OK;

invalid:

    *err = DR_HTTP_PARSE_ERR_INVALID_TRANSFER_ENCODING;
    return DR_PARSE_ERROR;
}


static dr_int_t
dr_http_parse_host_field(dr_http_parse_fields_t *f, dr_str_t *v,
    dr_uint_t *err)
{
    if (f->host.data) {
        *err = DR_HTTP_PARSE_ERR_DUP_HOST;
        return DR_PARSE_ERROR;
    }

    f->host = *v;

    if (dr_http_parse_host(v->data, v->len, &f->host_name, &f->host_port)
        != DR_OK)
    {
        *err = DR_HTTP_PARSE_ERR_INVALID_HOST;
        return DR_PARSE_ERROR;
    }

    return DR_OK;
}


/* a list of tokens; the ones not ours name hop-by-hop fields: ignored */
static void
dr_http_parse_connection(dr_http_parse_fields_t *f, dr_str_t *v)
{
    u_char  *p, *t, *e, *last;
    size_t   n;

    if (f->connection.data == NULL) {
        f->connection = *v;
    }

    p = v->data;
    last = p + v->len;

    while (p < last) {

        if (*p == ' ' || *p == '\t' || *p == ',') {
            p++;
            continue;
        }

        t = p;

        while (p < last && *p != ',') {
            p++;
        }

        for (e = p; e[-1] == ' ' || e[-1] == '\t'; e--) { /* void */ }

        n = e - t;

        if (n == 5 && dr_http_parse_iequal(t, "close", 5)) {
            f->conn_close = 1;

        } else if (n == 10 && dr_http_parse_iequal(t, "keep-alive", 10)) {
            f->conn_keep_alive = 1;

        } else if (n == 7 && dr_http_parse_iequal(t, "upgrade", 7)) {
            f->conn_upgrade = 1;
        }
    }
}


void
dr_http_parse_fields_done(dr_http_parse_fields_t *f)
{
    if (f->http_version >= DR_HTTP_PARSE_VERSION_11) {
        f->keep_alive = !f->conn_close;

    } else {
        f->keep_alive = f->conn_keep_alive && !f->conn_close;
    }
}


void
dr_http_parse_fields_rebase(dr_http_parse_fields_t *f, ptrdiff_t d)
{
    dr_uint_t                i;
    dr_http_parse_header_t  *h;

    if (f->headers) {
        for (i = 0; i < f->nheaders; i++) {
            h = &f->headers[i];
            dr_http_parse_rebase_str(&h->name, d);
            dr_http_parse_rebase_str(&h->value, d);
        }
    }

    dr_http_parse_rebase_str(&f->content_length, d);
    dr_http_parse_rebase_str(&f->transfer_encoding, d);
    dr_http_parse_rebase_str(&f->host, d);
    dr_http_parse_rebase_str(&f->host_name, d);
    dr_http_parse_rebase_str(&f->host_port, d);
    dr_http_parse_rebase_str(&f->connection, d);
    dr_http_parse_rebase_str(&f->upgrade, d);
    dr_http_parse_rebase_str(&f->expect, d);
}
