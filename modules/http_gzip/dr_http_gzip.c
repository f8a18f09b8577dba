/*
 * Whether a response may be gzipped for this client (nginx's
 * ngx_http_gzip_ok, ngx_http_gzip_accept_encoding and
 * ngx_http_gzip_quantity): Accept-Encoding, gzip_http_version,
 * gzip_disable and, behind a proxy (Via), gzip_proxied. Shared by the gzip
 * filter and gzip_static; reads the gzip filter's location conf. Header
 * values are views: every scan is bounded by the value's length.
 */

#include "dr_http_gzip.h"


static dr_uint_t dr_http_gzip_quantity(u_char *p, u_char *last);
static dr_uint_t dr_http_gzip_has_token(dr_table_elt_t *h, char *token,
    size_t len);


dr_int_t
dr_http_gzip_ok(dr_http_request_t *r)
{
    time_t                     date, expires;
    dr_uint_t                  p;
    dr_table_elt_t            *e, *d, *ae, *cc;
    dr_http_gzip_loc_conf_t   *conf;

    r->gzip_tested = 1;

    if (r != r->main) {
        return DR_DECLINED;
    }

    ae = r->headers_in.accept_encoding;
    if (ae == NULL) {
        return DR_DECLINED;
    }

    if (ae->value.len < sizeof("gzip") - 1) {
        return DR_DECLINED;
    }

    /*
     * The common case first, "gzip, deflate" and the like; the byte after
     * "gzip," exists since the value is at least "gzip," long.
     */

    if ((ae->value.len < 5 || dr_memcmp(ae->value.data, "gzip,", 5) != 0)
        && dr_http_gzip_accept_encoding(&ae->value) != DR_OK)
    {
        return DR_DECLINED;
    }

    conf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

    if (r->headers_in.msie6 && conf->disable_msie6) {
        return DR_DECLINED;
    }

    if (r->http_version < conf->http_version) {
        return DR_DECLINED;
    }

    if (r->headers_in.via == NULL) {
        goto ok;
    }

    p = conf->proxied;

    if (p & DR_HTTP_GZIP_PROXIED_OFF) {
        return DR_DECLINED;
    }

    if (p & DR_HTTP_GZIP_PROXIED_ANY) {
        goto ok;
    }

    if (r->headers_in.authorization && (p & DR_HTTP_GZIP_PROXIED_AUTH)) {
        goto ok;
    }

    e = r->headers_out.expires;

    if (e) {

        if (!(p & DR_HTTP_GZIP_PROXIED_EXPIRED)) {
            return DR_DECLINED;
        }

        expires = dr_parse_http_time(e->value.data, e->value.len);
        if (expires == DR_ERROR) {
            return DR_DECLINED;
        }

        d = r->headers_out.date;

        if (d) {
            date = dr_parse_http_time(d->value.data, d->value.len);
            if (date == DR_ERROR) {
                return DR_DECLINED;
            }

        } else {
            date = dr_time();
        }

        if (expires < date) {
            goto ok;
        }

        return DR_DECLINED;
    }

    cc = r->headers_out.cache_control;

    if (cc) {

        if ((p & DR_HTTP_GZIP_PROXIED_NO_CACHE)
            && dr_http_gzip_has_token(cc, "no-cache", 8))
        {
            goto ok;
        }

        if ((p & DR_HTTP_GZIP_PROXIED_NO_STORE)
            && dr_http_gzip_has_token(cc, "no-store", 8))
        {
            goto ok;
        }

        if ((p & DR_HTTP_GZIP_PROXIED_PRIVATE)
            && dr_http_gzip_has_token(cc, "private", 7))
        {
            goto ok;
        }

        return DR_DECLINED;
    }

    if ((p & DR_HTTP_GZIP_PROXIED_NO_LM) && r->headers_out.last_modified) {
        return DR_DECLINED;
    }

    if ((p & DR_HTTP_GZIP_PROXIED_NO_ETAG) && r->headers_out.etag) {
        return DR_DECLINED;
    }

ok:

    if (conf->disable && conf->disable->nelts && r->headers_in.user_agent) {

        if (dr_regex_exec_array(conf->disable,
                                &r->headers_in.user_agent->value,
                                r->connection->log)
            != DR_DECLINED)
        {
            return DR_DECLINED;
        }
    }

    r->gzip_ok = 1;

    return DR_OK;
}


dr_int_t
dr_http_gzip_accept_encoding(dr_str_t *ae)
{
    u_char  *p, *start, *last;

    start = ae->data;
    last = start + ae->len;

    for ( ;; ) {
        p = dr_strlcasestrn(start, last, (u_char *) "gzip", 4);
        if (p == NULL) {
            return DR_DECLINED;
        }

        if (p == ae->data || (*(p - 1) == ',' || *(p - 1) == ' ')) {
            break;
        }

        start = p + 4;
    }

    p += 4;

    while (p < last) {
        switch (*p++) {
        case ',':
            return DR_OK;
        case ';':
            goto quantity;
        case ' ':
            continue;
        default:
            return DR_DECLINED;
        }
    }

    return DR_OK;

quantity:

    while (p < last) {
        switch (*p++) {
        case 'q':
        case 'Q':
            goto equal;
        case ' ':
            continue;
        default:
            return DR_DECLINED;
        }
    }

    return DR_OK;

equal:

    if (p + 2 > last || *p++ != '=') {
        return DR_DECLINED;
    }

    if (dr_http_gzip_quantity(p, last) == 0) {
        return DR_DECLINED;
    }

    return DR_OK;
}


/* a q value as thousandths, 0 if invalid ("1", "0.5", "0.001", "1.000") */
static dr_uint_t
dr_http_gzip_quantity(u_char *p, u_char *last)
{
    u_char     c;
    dr_uint_t  n, q;

    c = *p++;

    if (c != '0' && c != '1') {
        return 0;
    }

    q = (c - '0') * 100;

    if (p == last) {
        return q;
    }

    c = *p++;

    if (c == ',' || c == ' ') {
        return q;
    }

    if (c != '.') {
        return 0;
    }

    n = 0;

    while (p < last) {
        c = *p++;

        if (c == ',' || c == ' ') {
            break;
        }

        if (c >= '0' && c <= '9') {
            q += c - '0';
            n++;
            continue;
        }

        return 0;
    }

    if (q > 100 || n > 3) {
        return 0;
    }

    return q;
}


/*
 * Is <token> one of the comma-separated directives of the header lines
 * <h> (and h->next ...)? Case-insensitive, whole tokens only ("private"
 * matches "private, max-age=0" but not "privately").
 */
static dr_uint_t
dr_http_gzip_has_token(dr_table_elt_t *h, char *token, size_t len)
{
    u_char  *start, *last, *p;

    for ( /* void */ ; h; h = h->next) {
        start = h->value.data;
        last = start + h->value.len;

        while (start < last) {
            p = dr_strlcasestrn(start, last, (u_char *) token, len);
            if (p == NULL) {
                break;
            }

            if ((p == h->value.data || *(p - 1) == ',' || *(p - 1) == ' ')
                && (p + len == last || p[len] == ',' || p[len] == ' '
                    || p[len] == ';' || p[len] == '='))
            {
                return 1;
            }

            start = p + len;
        }
    }

    return 0;
}
