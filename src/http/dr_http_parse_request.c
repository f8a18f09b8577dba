/*
 * The request head parser: request line, header fields, framing checks.
 *
 * Work is done a line at a time. The driver looks for the line's LF among
 * the bytes it has not searched yet (memchr), and only a complete line is
 * parsed, in one pass, with that LF as the sentinel that stops every loop.
 * A line split over many reads therefore costs one search per new byte and
 * one parse: linear, however the bytes arrive. While the request line is
 * incomplete its method is checked on each call, so a client speaking TLS
 * or another protocol is refused at once rather than when a buffer fills.
 *
 * The request-target is classified while it is scanned: origin-form,
 * absolute-form (http/https only, userinfo refused), authority-form (only
 * for CONNECT) and asterisk-form (only for OPTIONS), and the flags that
 * tell the caller whether dr_http_parse_uri_normalize() must run are set.
 *
 * Views point into the caller's buffer; state is kept as offsets from the
 * start the caller passed, so a caller may move the bytes between calls.
 * Runs in HTTP workers; allocates nothing.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"


static dr_int_t dr_http_parse_request_line(dr_http_parse_request_t *st,
    u_char *p, u_char *lf, dr_uint_t *err);
static dr_uint_t dr_http_parse_request_method(u_char *m, size_t len);
static u_char *dr_http_parse_request_target(dr_http_parse_request_t *st,
    u_char *p, dr_uint_t *err);
static u_char *dr_http_parse_request_path(dr_http_parse_request_t *st,
    u_char *p);
static dr_int_t dr_http_parse_request_early(dr_http_parse_request_t *st,
    u_char *p, u_char *last);
static dr_int_t dr_http_parse_request_done(dr_http_parse_request_t *st);
static dr_uint_t dr_http_parse_request_same_host(dr_http_parse_request_t *st);
static dr_uint_t dr_http_parse_request_port(dr_str_t *port, dr_uint_t dflt);
static void dr_http_parse_request_rebase(dr_http_parse_request_t *st,
    ptrdiff_t d);
static dr_int_t dr_http_parse_request_fail(dr_http_parse_request_t *st,
    dr_uint_t err);


/* methods longer than this are still tokens, just not checked early */
#define DR_HTTP_PARSE_REQUEST_EARLY  32


void
dr_http_parse_request_init(dr_http_parse_request_t *st,
    dr_http_parse_header_t *headers, dr_uint_t max_headers)
{
    dr_memzero(st, sizeof(dr_http_parse_request_t));
    dr_http_parse_fields_init(&st->fields, headers, max_headers, 1);
}


dr_int_t
dr_http_parse_request(dr_http_parse_request_t *st, u_char *buf, size_t len)
{
    u_char     *p, *lf, *last;
    dr_int_t    rc;
    dr_uint_t   err;

    if (st->state == DR_HTTP_PARSE_STATE_ERROR) {
        return DR_PARSE_ERROR;
    }

    if (st->base != buf) {
        if (st->base) {
            dr_http_parse_request_rebase(st, (uintptr_t) buf
                                             - (uintptr_t) st->base);
        }

        st->base = buf;
    }

    if (st->state == DR_HTTP_PARSE_STATE_DONE) {
        return st->pos;
    }

    if (len < st->scan) {
        /* fewer bytes than last time: a caller's bug; never read past len */
        return DR_PARSE_AGAIN;
    }

    last = buf + len;

    if (st->state == DR_HTTP_PARSE_STATE_START) {

        /* RFC 9112 2.2: empty lines before the request line are ignored */

        p = buf + st->pos;

        while (last - p >= 2 && p[0] == CR && p[1] == LF) {
            p += 2;
        }

        st->pos = p - buf;
        st->scan = st->pos;

        if (p == last || (p[0] == CR && p + 1 == last)) {
            return DR_PARSE_AGAIN;
        }

        if (p[0] == LF) {
            return dr_http_parse_request_fail(st, DR_HTTP_PARSE_ERR_BARE_LF);
        }

        if (p[0] == CR) {
            return dr_http_parse_request_fail(st, DR_HTTP_PARSE_ERR_BARE_CR);
        }

        st->state = DR_HTTP_PARSE_STATE_LINE;
    }

    for ( ;; ) {
        lf = memchr(buf + st->scan, LF, len - st->scan);

        if (lf == NULL) {
            st->scan = len;

            if (st->state == DR_HTTP_PARSE_STATE_LINE) {
                return dr_http_parse_request_early(st, buf + st->pos, last);
            }

            return DR_PARSE_AGAIN;
        }

        p = buf + st->pos;
        err = DR_HTTP_PARSE_ERR_NONE;

        if (st->state == DR_HTTP_PARSE_STATE_LINE) {
            rc = dr_http_parse_request_line(st, p, lf, &err);

        } else {
            rc = dr_http_parse_fields_line(&st->fields, p, lf, &err);
        }

        if (rc == DR_PARSE_ERROR) {
            return dr_http_parse_request_fail(st, err);
        }

        st->pos = lf + 1 - buf;
        st->scan = st->pos;

        if (st->state == DR_HTTP_PARSE_STATE_LINE) {
            st->state = DR_HTTP_PARSE_STATE_HEADERS;
            st->fields.http_version = st->http_version;
            continue;
        }

        if (rc == DR_DONE) {
            if (dr_http_parse_request_done(st) != DR_OK) {
                return DR_PARSE_ERROR;
            }

            st->state = DR_HTTP_PARSE_STATE_DONE;
            return st->pos;
        }
    }
}


/*
 * method SP request-target SP HTTP-version CRLF, in [p, lf]. Exactly one
 * SP between the parts (RFC 9112 3), the version as "HTTP/" DIGIT "."
 * DIGIT: major 1 with any minor is served (HTTP/1.2 as 1.1, as nginx),
 * another major is 505, anything malformed 400.
 */
static dr_int_t
dr_http_parse_request_line(dr_http_parse_request_t *st, u_char *p,
    u_char *lf, dr_uint_t *err)
{
    u_char  *m;

    st->request_line.data = p;
    m = p;

    while (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_TCHAR) {
        p++;
    }

    if (p == m || *p != ' ') {
        *err = DR_HTTP_PARSE_ERR_INVALID_METHOD;
        return DR_PARSE_ERROR;
    }

    st->method_name.data = m;
    st->method_name.len = p - m;
    st->method = dr_http_parse_request_method(m, p - m);

    p = dr_http_parse_request_target(st, p + 1, err);

    if (p == NULL) {
        return DR_PARSE_ERROR;
    }

    if (*p != ' ') {
        if (*p == LF) {
            *err = DR_HTTP_PARSE_ERR_BARE_LF;

        } else if (*p == CR) {
            /* "GET /" alone is HTTP/0.9, which we do not speak */
            *err = (p + 1 == lf) ? DR_HTTP_PARSE_ERR_INVALID_REQUEST_LINE
                                 : DR_HTTP_PARSE_ERR_BARE_CR;

        } else {
            *err = DR_HTTP_PARSE_ERR_INVALID_TARGET;
        }

        return DR_PARSE_ERROR;
    }

    p++;

    if (lf[-1] != CR) {
        *err = DR_HTTP_PARSE_ERR_BARE_LF;
        return DR_PARSE_ERROR;
    }

    if (lf - 1 - p != 8
        || p[0] != 'H' || p[1] != 'T' || p[2] != 'T' || p[3] != 'P'
        || p[4] != '/' || p[5] < '0' || p[5] > '9' || p[6] != '.'
        || p[7] < '0' || p[7] > '9')
    {
        *err = DR_HTTP_PARSE_ERR_INVALID_VERSION;
        return DR_PARSE_ERROR;
    }

    st->http_major = p[5] - '0';
    st->http_minor = p[7] - '0';

    if (st->http_major != 1) {
        *err = DR_HTTP_PARSE_ERR_UNSUPPORTED_VERSION;
        return DR_PARSE_ERROR;
    }

    st->http_version = st->http_major * 1000 + st->http_minor;
    st->request_line.len = lf - 1 - st->request_line.data;

    return DR_OK;
}


static dr_uint_t
dr_http_parse_request_method(u_char *m, size_t len)
{
    switch (len) {

    case 3:
        if (memcmp(m, "GET", 3) == 0) {
            return DR_HTTP_PARSE_METHOD_GET;
        }
        if (memcmp(m, "PUT", 3) == 0) {
            return DR_HTTP_PARSE_METHOD_PUT;
        }
        break;

    case 4:
        if (memcmp(m, "POST", 4) == 0) {
            return DR_HTTP_PARSE_METHOD_POST;
        }
        if (memcmp(m, "HEAD", 4) == 0) {
            return DR_HTTP_PARSE_METHOD_HEAD;
        }
        if (memcmp(m, "COPY", 4) == 0) {
            return DR_HTTP_PARSE_METHOD_COPY;
        }
        if (memcmp(m, "MOVE", 4) == 0) {
            return DR_HTTP_PARSE_METHOD_MOVE;
        }
        if (memcmp(m, "LOCK", 4) == 0) {
            return DR_HTTP_PARSE_METHOD_LOCK;
        }
        break;

    case 5:
        if (memcmp(m, "PATCH", 5) == 0) {
            return DR_HTTP_PARSE_METHOD_PATCH;
        }
        if (memcmp(m, "TRACE", 5) == 0) {
            return DR_HTTP_PARSE_METHOD_TRACE;
        }
        if (memcmp(m, "MKCOL", 5) == 0) {
            return DR_HTTP_PARSE_METHOD_MKCOL;
        }
        break;

    case 6:
        if (memcmp(m, "DELETE", 6) == 0) {
            return DR_HTTP_PARSE_METHOD_DELETE;
        }
        if (memcmp(m, "UNLOCK", 6) == 0) {
            return DR_HTTP_PARSE_METHOD_UNLOCK;
        }
        break;

    case 7:
        if (memcmp(m, "OPTIONS", 7) == 0) {
            return DR_HTTP_PARSE_METHOD_OPTIONS;
        }
        if (memcmp(m, "CONNECT", 7) == 0) {
            return DR_HTTP_PARSE_METHOD_CONNECT;
        }
        break;

    case 8:
        if (memcmp(m, "PROPFIND", 8) == 0) {
            return DR_HTTP_PARSE_METHOD_PROPFIND;
        }
        break;

    case 9:
        if (memcmp(m, "PROPPATCH", 9) == 0) {
            return DR_HTTP_PARSE_METHOD_PROPPATCH;
        }
        break;
    }

    return DR_HTTP_PARSE_METHOD_UNKNOWN;
}


/*
 * Classifies and scans the request-target starting at <p>; returns the
 * byte after it (SP when the line is well-formed), or NULL with *err.
 */
static u_char *
dr_http_parse_request_target(dr_http_parse_request_t *st, u_char *p,
    dr_uint_t *err)
{
    u_char  *start, *a;

    start = p;
    st->target.data = p;

    if (*p == '/') {
        st->target_form = DR_HTTP_PARSE_TARGET_ORIGIN;
        p = dr_http_parse_request_path(st, p);
        goto done;
    }

    if (*p == '*' && p[1] == ' ') {
        if (st->method != DR_HTTP_PARSE_METHOD_OPTIONS) {
            *err = DR_HTTP_PARSE_ERR_ASTERISK_FORM;
            return NULL;
        }

        st->target_form = DR_HTTP_PARSE_TARGET_ASTERISK;
        st->path.data = p;
        st->path.len = 1;
        p++;
        goto done;
    }

    if (st->method == DR_HTTP_PARSE_METHOD_CONNECT) {

        /* authority-form = uri-host ":" port, the port required */

        while ((dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_HOST)
               || *p == ':' || *p == '[' || *p == ']' || *p == '@')
        {
            p++;
        }

        if (*p != ' ' && *p != CR && *p != LF) {
            *err = DR_HTTP_PARSE_ERR_CONNECT_TARGET;
            return NULL;
        }

        if (dr_strlchr(start, p, '@')) {
            *err = DR_HTTP_PARSE_ERR_USERINFO;
            return NULL;
        }

        if (dr_http_parse_host(start, p - start, &st->uri_host, &st->uri_port)
            != DR_OK
            || st->uri_port.len == 0)
        {
            *err = (p == start) ? DR_HTTP_PARSE_ERR_CONNECT_TARGET
                                : DR_HTTP_PARSE_ERR_INVALID_URI_HOST;
            return NULL;
        }

        st->target_form = DR_HTTP_PARSE_TARGET_AUTHORITY;
        st->path.data = p;
        goto done;
    }

    /* absolute-form: scheme "://" authority path-abempty [ "?" query ] */

    if (!((*p | 0x20) >= 'a' && (*p | 0x20) <= 'z')) {
        *err = (*p == ' ') ? DR_HTTP_PARSE_ERR_INVALID_REQUEST_LINE
                           : DR_HTTP_PARSE_ERR_INVALID_TARGET;
        return NULL;
    }

    while (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_SCHEME) {
        p++;
    }

    if (*p != ':') {
        *err = DR_HTTP_PARSE_ERR_INVALID_TARGET;
        return NULL;
    }

    if (p[1] != '/' || p[2] != '/') {
        *err = DR_HTTP_PARSE_ERR_AUTHORITY_FORM;
        return NULL;
    }

    if (!((p - start == 4 && dr_http_parse_iequal(start, "http", 4))
          || (p - start == 5 && dr_http_parse_iequal(start, "https", 5))))
    {
        *err = DR_HTTP_PARSE_ERR_INVALID_SCHEME;
        return NULL;
    }

    st->schema.data = start;
    st->schema.len = p - start;

    p += 3;
    a = p;

    while ((dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_HOST)
           || *p == ':' || *p == '[' || *p == ']' || *p == '@')
    {
        p++;
    }

    if (dr_strlchr(a, p, '@')) {
        *err = DR_HTTP_PARSE_ERR_USERINFO;
        return NULL;
    }

    if (dr_http_parse_host(a, p - a, &st->uri_host, &st->uri_port) != DR_OK) {
        *err = DR_HTTP_PARSE_ERR_INVALID_URI_HOST;
        return NULL;
    }

    st->target_form = DR_HTTP_PARSE_TARGET_ABSOLUTE;

    if (*p == '/') {
        p = dr_http_parse_request_path(st, p);

    } else {
        /* "http://host" and "http://host?q" mean the path "/" */
        st->empty_path = 1;
        st->path.data = p;
        st->path.len = 0;

        if (*p == '?' || *p == '#') {
            p = dr_http_parse_request_path(st, p);
        }
    }

done:

    st->target.len = p - start;

    if (st->method == DR_HTTP_PARSE_METHOD_CONNECT
        && st->target_form != DR_HTTP_PARSE_TARGET_AUTHORITY)
    {
        *err = DR_HTTP_PARSE_ERR_CONNECT_TARGET;
        return NULL;
    }

    return p;
}


/*
 * The path (may be empty), "?" query and "#" fragment from <p>; stops at
 * the first byte no request-target may hold. Sets the flags nginx uses to
 * skip normalisation of plain paths: "//", "/." or "#" make the URI
 * complex, "%" quoted.
 */
static u_char *
dr_http_parse_request_path(dr_http_parse_request_t *st, u_char *p)
{
    st->path.data = p;

    for ( ;; ) {
        while (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_PLAIN) {
            p++;
        }

        switch (*p) {

        case '/':
            if (p[1] == '/' || p[1] == '.') {
                st->complex_uri = 1;
            }
            p++;
            continue;

        case '%':
            st->quoted_uri = 1;
            p++;
            continue;

        case '+':
            st->plus_in_uri = 1;
            p++;
            continue;
        }

        break;
    }

    st->path.len = p - st->path.data;

    if (*p == '?') {
        p++;
        st->args.data = p;

        while (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_URI) {
            p++;
        }

        st->args.len = p - st->args.data;
    }

    if (*p == '#') {
        st->complex_uri = 1;

        for (p++;
             (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_URI) || *p == '#';
             p++)
        { /* void */ }
    }

    return p;
}


/*
 * No LF yet: refuses a first line that cannot become a request (the method
 * so far is not a token followed by SP), else DR_PARSE_AGAIN.
 */
static dr_int_t
dr_http_parse_request_early(dr_http_parse_request_t *st, u_char *p,
    u_char *last)
{
    u_char  *m, *end;

    m = p;
    end = (last - p > DR_HTTP_PARSE_REQUEST_EARLY)
          ? p + DR_HTTP_PARSE_REQUEST_EARLY : last;

    while (p < end && (dr_http_parse_chars[*p] & DR_HTTP_PARSE_C_TCHAR)) {
        p++;
    }

    if (p == end || (*p == ' ' && p > m)) {
        return DR_PARSE_AGAIN;
    }

    if (*p == CR && p > m && p + 1 == last) {
        /* "GET\r": the LF will make it an invalid line, not a method */
        return DR_PARSE_AGAIN;
    }

    return dr_http_parse_request_fail(st, DR_HTTP_PARSE_ERR_INVALID_METHOD);
}


/* the checks that need the whole head */
static dr_int_t
dr_http_parse_request_done(dr_http_parse_request_t *st)
{
    dr_http_parse_fields_t  *f;

    f = &st->fields;

    if (f->host.data == NULL
        && st->http_version >= DR_HTTP_PARSE_VERSION_11)
    {
        return dr_http_parse_request_fail(st, DR_HTTP_PARSE_ERR_NO_HOST);
    }

    if (st->target_form == DR_HTTP_PARSE_TARGET_ABSOLUTE
        || st->target_form == DR_HTTP_PARSE_TARGET_AUTHORITY)
    {
        /* the target's authority wins (RFC 9112 3.2.2), but a Host that
         * names another server is a request two parties may read two
         * ways: refused */

        if (f->host.data && !dr_http_parse_request_same_host(st)) {
            return dr_http_parse_request_fail(st,
                                              DR_HTTP_PARSE_ERR_HOST_MISMATCH);
        }

        st->server = st->uri_host;

    } else {
        st->server = f->host_name;
    }

    dr_http_parse_fields_done(f);

    return DR_OK;
}


static dr_uint_t
dr_http_parse_request_same_host(dr_http_parse_request_t *st)
{
    size_t                   i;
    dr_uint_t                dflt, up, hp;
    dr_http_parse_fields_t  *f;

    f = &st->fields;

    if (st->uri_host.len != f->host_name.len) {
        return 0;
    }

    for (i = 0; i < st->uri_host.len; i++) {
        if (dr_tolower(st->uri_host.data[i])
            != dr_tolower(f->host_name.data[i]))
        {
            return 0;
        }
    }

    if (st->target_form == DR_HTTP_PARSE_TARGET_AUTHORITY) {
        /* "CONNECT host:443" with "Host: host" is RFC 9110's own example */
        return f->host_port.len == 0
               || dr_http_parse_request_port(&f->host_port, 0)
                  == dr_http_parse_request_port(&st->uri_port, 0);
    }

    dflt = (st->schema.len == 5) ? 443 : 80;
    up = dr_http_parse_request_port(&st->uri_port, dflt);
    hp = dr_http_parse_request_port(&f->host_port, dflt);

    return up == hp;
}


/* the digits were checked by dr_http_parse_host(): at most 65535 */
static dr_uint_t
dr_http_parse_request_port(dr_str_t *port, dr_uint_t dflt)
{
    size_t     i;
    dr_uint_t  n;

    if (port->len == 0) {
        return dflt;
    }

    n = 0;

    for (i = 0; i < port->len; i++) {
        n = n * 10 + (port->data[i] - '0');
    }

    return n;
}


static void
dr_http_parse_request_rebase(dr_http_parse_request_t *st, ptrdiff_t d)
{
    dr_http_parse_rebase_str(&st->request_line, d);
    dr_http_parse_rebase_str(&st->method_name, d);
    dr_http_parse_rebase_str(&st->target, d);
    dr_http_parse_rebase_str(&st->schema, d);
    dr_http_parse_rebase_str(&st->uri_host, d);
    dr_http_parse_rebase_str(&st->uri_port, d);
    dr_http_parse_rebase_str(&st->path, d);
    dr_http_parse_rebase_str(&st->args, d);
    dr_http_parse_rebase_str(&st->server, d);

    dr_http_parse_fields_rebase(&st->fields, d);
}


static dr_int_t
dr_http_parse_request_fail(dr_http_parse_request_t *st, dr_uint_t err)
{
    st->state = DR_HTTP_PARSE_STATE_ERROR;
    st->err = err;

    return DR_PARSE_ERROR;
}
