/*
 * The proxy module's side of the response: the head, parsed by the strict
 * response parser (src/http/dr_http_parse_response.c) straight from the
 * upstream buffer; the body's framing, undone in place; proxy_redirect.
 *
 * The head: anything the parser refuses (a bad status line, an invalid
 * field, a duplicate or bad Content-Length, Content-Length with chunked,
 * too many fields) is logged with the parser's reason and makes the
 * attempt fail as invalid_header (a 502, or the next peer). 100, 102 and
 * 103 are skipped; 101 is accepted only after an Upgrade was sent. The
 * fields are copied into the request's pool, so the buffer can carry the
 * body afterwards.
 *
 * The body: no body (HEAD, 1xx, 204, 304), Content-Length (bytes beyond
 * it are dropped and the connection not reused), chunked (decoded by
 * dr_http_parse_chunked(), payload moved to the front of the buffer; an
 * error cuts the response), or delimited by the close. Workers only.
 */

#include "dr_http_proxy.h"


static dr_int_t dr_http_proxy_copy_headers(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_http_proxy_ctx_t *ctx);
static dr_int_t dr_http_proxy_rewrite(dr_http_request_t *r,
    dr_table_elt_t *h, size_t prefix, dr_http_proxy_rewrite_t *pr);


dr_int_t
dr_http_proxy_reinit_request(dr_http_request_t *r)
{
    dr_http_proxy_ctx_t  *ctx;

    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    if (ctx == NULL) {
        return DR_OK;
    }

    if (ctx->headers == NULL) {
        ctx->headers = dr_palloc(r->pool, DR_HTTP_PROXY_MAX_HEADERS
                                          * sizeof(dr_http_parse_header_t));
        if (ctx->headers == NULL) {
            return DR_ERROR;
        }
    }

    dr_http_parse_response_init(&ctx->parse, ctx->headers,
                                DR_HTTP_PROXY_MAX_HEADERS);

    dr_memzero(&ctx->chunked, sizeof(dr_http_parse_chunked_t));
    ctx->body = DR_HTTP_PARSE_BODY_NONE;

    return DR_OK;
}


dr_int_t
dr_http_proxy_process_header(dr_http_request_t *r)
{
    dr_int_t              rc;
    dr_uint_t             status;
    dr_table_elt_t       *h;
    dr_http_upstream_t   *u;
    dr_http_proxy_ctx_t  *ctx;

    u = r->upstream;
    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    for ( ;; ) {

        rc = dr_http_parse_response(&ctx->parse, u->buffer.pos,
                                    u->buffer.last - u->buffer.pos);

        if (rc == DR_PARSE_AGAIN) {
            return DR_AGAIN;
        }

        if (rc == DR_PARSE_ERROR) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "upstream sent %s while reading response header "
                         "from upstream",
                         dr_http_parse_err_text(ctx->parse.err));
            return DR_HTTP_UPSTREAM_INVALID_HEADER;
        }

        status = ctx->parse.status;

        if (status >= 100 && status < 200
            && status != DR_HTTP_SWITCHING_PROTOCOLS)
        {
            /* an interim response: the final one follows */
            u->buffer.pos += rc;
            dr_http_parse_response_init(&ctx->parse, ctx->headers,
                                        DR_HTTP_PROXY_MAX_HEADERS);
            continue;
        }

        break;
    }

    if (status == DR_HTTP_SWITCHING_PROTOCOLS) {
        if (!ctx->upgrade_sent || r->http_version < DR_HTTP_VERSION_11) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "upstream sent unexpected 101 while reading "
                         "response header from upstream");
            return DR_HTTP_UPSTREAM_INVALID_HEADER;
        }

        u->upgrade = 1;
    }

    if (dr_http_proxy_copy_headers(r, u, ctx) != DR_OK) {
        return DR_ERROR;
    }

    u->headers_in.status_n = status;

    u->headers_in.status_line.data = dr_pnalloc(r->pool,
                                 sizeof("999 ") - 1 + ctx->parse.reason.len);
    if (u->headers_in.status_line.data == NULL) {
        return DR_ERROR;
    }

    u->headers_in.status_line.len = dr_sprintf(u->headers_in.status_line.data,
                                               "%03ui %V", status,
                                               &ctx->parse.reason)
                                    - u->headers_in.status_line.data;

    if (u->state) {
        u->state->status = status;
    }

    u->headers_in.content_length_n = ctx->parse.fields.content_length_n;
    u->headers_in.chunked = ctx->parse.fields.chunked;
    u->headers_in.connection_close = !ctx->parse.fields.keep_alive;

    u->keepalive = ctx->parse.fields.keep_alive && !u->upgrade;

    ctx->body = dr_http_parse_response_body(&ctx->parse, r->method);

    if (u->upgrade) {
        ctx->body = DR_HTTP_PARSE_BODY_NONE;
    }

    h = u->headers_in.x_accel_buffering;

    if (h && !(u->conf->ignore_headers & DR_HTTP_UPSTREAM_IGN_XA_BUFFERING)
        && u->conf->change_buffering)
    {
        if (h->value.len == 3
            && dr_strncasecmp(h->value.data, (u_char *) "yes", 3) == 0)
        {
            u->buffering = 1;

        } else if (h->value.len == 2
                   && dr_strncasecmp(h->value.data, (u_char *) "no", 2) == 0)
        {
            u->buffering = 0;
        }
    }

    u->buffer.pos += rc;

    return DR_OK;
}


/* the parser's views into the buffer become fields of r->pool */
static dr_int_t
dr_http_proxy_copy_headers(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_http_proxy_ctx_t *ctx)
{
    u_char                  *p;
    dr_uint_t                i;
    dr_table_elt_t          *h;
    dr_http_parse_header_t  *ph;

    ph = ctx->parse.fields.headers;

    for (i = 0; i < ctx->parse.fields.nheaders; i++) {

        h = dr_list_push(&u->headers_in.headers);
        if (h == NULL) {
            return DR_ERROR;
        }

        p = dr_pnalloc(r->pool, 2 * ph[i].name.len + ph[i].value.len + 2);
        if (p == NULL) {
            return DR_ERROR;
        }

        h->key.len = ph[i].name.len;
        h->key.data = p;
        p = dr_cpymem(p, ph[i].name.data, ph[i].name.len);
        *p++ = '\0';

        h->value.len = ph[i].value.len;
        h->value.data = p;
        p = dr_cpymem(p, ph[i].value.data, ph[i].value.len);
        *p++ = '\0';

        h->lowcase_key = p;
        h->hash = dr_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
        h->next = NULL;

        if (h->hash == 0) {
            h->hash = 1;
        }

#define dr_http_proxy_is(name)                                                \
    (h->key.len == sizeof(name) - 1                                           \
     && dr_memcmp(h->lowcase_key, name, sizeof(name) - 1) == 0)

        if (dr_http_proxy_is("x-accel-redirect")) {
            u->headers_in.x_accel_redirect = h;

        } else if (dr_http_proxy_is("x-accel-buffering")) {
            u->headers_in.x_accel_buffering = h;

        } else if (dr_http_proxy_is("location")) {
            u->headers_in.location = h;

        } else if (dr_http_proxy_is("refresh")) {
            u->headers_in.refresh = h;

        } else if (dr_http_proxy_is("content-length")) {
            u->headers_in.content_length = h;
        }

#undef dr_http_proxy_is
    }

    return DR_OK;
}


dr_int_t
dr_http_proxy_input_filter_init(dr_http_request_t *r)
{
    dr_http_upstream_t   *u;
    dr_http_proxy_ctx_t  *ctx;

    u = r->upstream;
    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    switch (ctx->body) {

    case DR_HTTP_PARSE_BODY_NONE:
        u->length = 0;
        u->headers_in.chunked = 0;
        break;

    case DR_HTTP_PARSE_BODY_LENGTH:
        u->length = u->headers_in.content_length_n;
        break;

    case DR_HTTP_PARSE_BODY_CHUNKED:
        u->length = -1;
        u->headers_in.chunked = 1;
        dr_http_parse_chunked_init(&ctx->chunked, 0);
        break;

    default: /* DR_HTTP_PARSE_BODY_CLOSE */
        u->length = -1;
        u->keepalive = 0;
    }

    return DR_OK;
}


/*
 * Turns the raw bytes of <b> into payload, in place. Sets u->length to 0
 * once the body is complete; anything after it costs the connection its
 * reuse. DR_OK or DR_ERROR (logged; the payload before the error is left
 * in <b>).
 */
dr_int_t
dr_http_proxy_input_filter(dr_http_request_t *r, dr_buf_t *b)
{
    u_char               *p, *w;
    dr_int_t              rc;
    dr_str_t              data;
    dr_http_upstream_t   *u;
    dr_http_proxy_ctx_t  *ctx;

    u = r->upstream;
    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    if (ctx->body == DR_HTTP_PARSE_BODY_CLOSE) {
        return DR_OK;
    }

    if (ctx->body == DR_HTTP_PARSE_BODY_LENGTH) {

        if (b->last - b->pos > u->length) {
            dr_log_error(DR_LOG_WARN, r->connection->log, 0,
                         "upstream sent more data than specified in "
                         "\"Content-Length\" header");
            b->last = b->pos + u->length;
            u->keepalive = 0;
        }

        u->length -= b->last - b->pos;

        return DR_OK;
    }

    if (ctx->body != DR_HTTP_PARSE_BODY_CHUNKED) {
        /* no body was expected at all */
        if (b->last > b->pos) {
            u->keepalive = 0;
            b->last = b->pos;
        }

        u->length = 0;
        return DR_OK;
    }

    if (u->length == 0) {
        /* the body ended in an earlier buffer: the rest is not ours */
        if (b->last > b->pos) {
            u->keepalive = 0;
            b->last = b->pos;
        }

        return DR_OK;
    }

    p = b->pos;
    w = b->pos;

    while (p < b->last) {

        rc = dr_http_parse_chunked(&ctx->chunked, p, b->last - p, &data);

        if (rc == DR_PARSE_AGAIN) {
            p = b->last;
            break;
        }

        if (rc == DR_PARSE_ERROR) {
            /* what was decoded so far still goes to the client */
            b->last = w;

            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "upstream sent %s",
                         dr_http_parse_err_text(ctx->chunked.err));
            return DR_ERROR;
        }

        if (data.len) {
            dr_memmove(w, data.data, data.len);
            w += data.len;
        }

        p += rc;

        if (dr_http_parse_chunked_done(&ctx->chunked)) {
            u->length = 0;

            if (p < b->last) {
                dr_log_error(DR_LOG_WARN, r->connection->log, 0,
                             "upstream sent data after the final chunk");
                u->keepalive = 0;
            }

            break;
        }
    }

    b->last = w;

    return DR_OK;
}


/* ------------------------------------------------------ proxy_redirect */


dr_int_t
dr_http_proxy_rewrite_redirect(dr_http_request_t *r, dr_table_elt_t *h,
    size_t prefix)
{
    u_char                    *p, *last;
    dr_int_t                   rc;
    dr_uint_t                  i;
    dr_http_proxy_rewrite_t   *pr;
    dr_http_proxy_loc_conf_t  *plcf;

    plcf = dr_http_get_module_loc_conf(r, dr_http_proxy_module);

    if (plcf->redirects == NULL || plcf->redirects == DR_CONF_UNSET_PTR) {
        return DR_DECLINED;
    }

    if (h->key.len == 7) {
        /* Refresh: "5; url=http://..." */
        last = h->value.data + h->value.len;
        p = dr_strlcasestrn(h->value.data, last, (u_char *) "url=", 4);

        if (p == NULL) {
            return DR_DECLINED;
        }

        prefix = p + 4 - h->value.data;
    }

    pr = plcf->redirects->elts;

    for (i = 0; i < plcf->redirects->nelts; i++) {
        rc = dr_http_proxy_rewrite(r, h, prefix, &pr[i]);

        if (rc != DR_DECLINED) {
            return rc;
        }
    }

    return DR_DECLINED;
}


static dr_int_t
dr_http_proxy_rewrite(dr_http_request_t *r, dr_table_elt_t *h, size_t prefix,
    dr_http_proxy_rewrite_t *pr)
{
    u_char    *p;
    size_t     len, matched;
    dr_int_t   rc;
    dr_str_t   pattern, replacement, s;

    s.data = h->value.data + prefix;
    s.len = h->value.len - prefix;

    if (pr->regex) {
        rc = dr_http_regex_exec(r, pr->regex, &s);

        if (rc != DR_OK) {
            return rc;
        }

        /* a regex replaces the whole URL */
        matched = s.len;

    } else {
        if (dr_http_complex_value(r, &pr->pattern, &pattern) != DR_OK) {
            return DR_ERROR;
        }

        if (pattern.len > s.len
            || dr_memcmp(s.data, pattern.data, pattern.len) != 0)
        {
            return DR_DECLINED;
        }

        matched = pattern.len;
    }

    if (dr_http_complex_value(r, &pr->replacement, &replacement) != DR_OK) {
        return DR_ERROR;
    }

    len = h->value.len - matched + replacement.len;

    p = dr_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    s.data = p;
    p = dr_cpymem(p, h->value.data, prefix);
    p = dr_cpymem(p, replacement.data, replacement.len);
    p = dr_cpymem(p, h->value.data + prefix + matched,
                  h->value.len - prefix - matched);
    *p = '\0';

    h->value.data = s.data;
    h->value.len = len;

    return DR_OK;
}


/* proxy_redirect default | off | [~[*]]redirect replacement */
char *
dr_http_proxy_redirect(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_proxy_loc_conf_t *plcf = conf;

    u_char                            errstr[DR_MAX_CONF_ERRSTR];
    dr_str_t                         *value;
    dr_regex_compile_t                rc;
    dr_http_proxy_rewrite_t          *pr;
    dr_http_compile_complex_value_t   ccv;

    if (plcf->redirect == 0) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2) {
        if (dr_str_eq_lit(&value[1], "off")) {

            if (plcf->redirects != DR_CONF_UNSET_PTR) {
                return "is duplicate";
            }

            plcf->redirect = 0;
            plcf->redirects = NULL;
            return DR_CONF_OK;
        }

        if (!dr_str_eq_lit(&value[1], "default")) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[1]);
            return DR_CONF_ERROR;
        }
    }

    plcf->redirect = 1;

    if (plcf->redirects == DR_CONF_UNSET_PTR) {
        plcf->redirects = dr_array_create(cf->pool, 1,
                                          sizeof(dr_http_proxy_rewrite_t));
        if (plcf->redirects == NULL) {
            return DR_CONF_ERROR;
        }
    }

    pr = dr_array_push(plcf->redirects);
    if (pr == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(pr, sizeof(dr_http_proxy_rewrite_t));

    if (cf->args->nelts == 2) {
        /* "default" */

        if (plcf->url_cv) {
            return "default cannot be used with \"proxy_pass\" "
                   "directive with variables";
        }

        if (plcf->url.data == NULL) {
            return "default should be placed after the \"proxy_pass\" "
                   "directive";
        }

        if (plcf->vars.uri.len) {
            pr->pattern.value = plcf->url;
            pr->replacement.value = plcf->location;

        } else {
            pr->pattern.value.len = plcf->url.len + 1;
            pr->pattern.value.data = dr_pnalloc(cf->pool,
                                                pr->pattern.value.len);
            if (pr->pattern.value.data == NULL) {
                return DR_CONF_ERROR;
            }

            dr_memcpy(pr->pattern.value.data, plcf->url.data, plcf->url.len);
            pr->pattern.value.data[plcf->url.len] = '/';

            dr_str_set(&pr->replacement.value, "/");
        }

        return DR_CONF_OK;
    }

    if (value[1].len && value[1].data[0] == '~') {
        value[1].len--;
        value[1].data++;

        dr_memzero(&rc, sizeof(dr_regex_compile_t));

        if (value[1].len && value[1].data[0] == '*') {
            value[1].len--;
            value[1].data++;
            rc.options = DR_REGEX_CASELESS;
        }

        rc.pattern = value[1];
        rc.err.len = DR_MAX_CONF_ERRSTR;
        rc.err.data = errstr;
        rc.pool = cf->pool;

        pr->regex = dr_http_regex_compile(cf, &rc);
        if (pr->regex == NULL) {
            return DR_CONF_ERROR;
        }

    } else {
        dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &value[1];
        ccv.complex_value = &pr->pattern;

        if (dr_http_compile_complex_value(&ccv) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[2];
    ccv.complex_value = &pr->replacement;

    if (dr_http_compile_complex_value(&ccv) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


/* proxy_redirect's inheritance and its default (the proxy_pass URL) */
dr_int_t
dr_http_proxy_merge_redirects(dr_conf_t *cf, dr_http_proxy_loc_conf_t *conf,
    dr_http_proxy_loc_conf_t *prev)
{
    dr_http_proxy_rewrite_t  *pr;

    dr_conf_merge_value(conf->redirect, prev->redirect, 1);

    if (conf->redirects == DR_CONF_UNSET_PTR) {
        conf->redirects = prev->redirects == DR_CONF_UNSET_PTR
                          ? NULL : prev->redirects;
    }

    if (!conf->redirect) {
        conf->redirects = NULL;
        return DR_OK;
    }

    if (conf->redirects || conf->url.data == NULL || conf->url_cv) {
        return DR_OK;
    }

    conf->redirects = dr_array_create(cf->pool, 1,
                                      sizeof(dr_http_proxy_rewrite_t));
    if (conf->redirects == NULL) {
        return DR_ERROR;
    }

    pr = dr_array_push(conf->redirects);
    if (pr == NULL) {
        return DR_ERROR;
    }

    dr_memzero(pr, sizeof(dr_http_proxy_rewrite_t));

    if (conf->vars.uri.len) {
        pr->pattern.value = conf->url;
        pr->replacement.value = conf->location;

    } else {
        pr->pattern.value.len = conf->url.len + 1;
        pr->pattern.value.data = dr_pnalloc(cf->pool, pr->pattern.value.len);
        if (pr->pattern.value.data == NULL) {
            return DR_ERROR;
        }

        dr_memcpy(pr->pattern.value.data, conf->url.data, conf->url.len);
        pr->pattern.value.data[conf->url.len] = '/';

        dr_str_set(&pr->replacement.value, "/");
    }

    return DR_OK;
}
