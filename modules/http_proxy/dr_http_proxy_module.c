/*
 * proxy_pass and the proxy_* directives (nginx's ngx_http_proxy_module):
 * a location's content handler that sends the request to an upstream pool
 * over HTTP/1.0 or 1.1 and relays the answer, with dr_http_upstream.c
 * doing the connection work.
 *
 * The URL: `proxy_pass http://name` names an upstream{} (or an implicit
 * pool of that host:port); with a URI part (http://b/new/), the part of
 * the request's URI that matched the location is replaced by it; without
 * one, the request's URI goes as the client sent it (or, after a rewrite,
 * as it is now). A URL with variables is evaluated per request: its URI
 * part, if any, is sent as is, and its host names an upstream{} or is a
 * literal address (names are not resolved at run time: no resolver). A
 * URI part is refused in regex and named locations, in "if" and
 * limit_except, unless variables are used (nginx's rule).
 *
 * The request head sent upstream: the request line, the proxy_set_header
 * fields (defaults: Host $proxy_host, Connection close, and Content-Length
 * or Transfer-Encoding as the body needs), then the client's fields but
 * those set above (and hop-by-hop ones). An empty value leaves a field
 * out. Config time in the master; the handler and variables in workers.
 */

#include "dr_http_proxy.h"
#include "dr_upstream_round_robin.h"


static dr_int_t dr_http_proxy_handler(dr_http_request_t *r);
static dr_int_t dr_http_proxy_eval(dr_http_request_t *r,
    dr_http_proxy_ctx_t *ctx, dr_http_proxy_loc_conf_t *plcf);
static dr_int_t dr_http_proxy_create_request(dr_http_request_t *r);
static dr_int_t dr_http_proxy_uri(dr_http_request_t *r,
    dr_http_proxy_ctx_t *ctx, dr_http_proxy_loc_conf_t *plcf, dr_str_t *uri);
static dr_int_t dr_http_proxy_body(dr_http_request_t *r, dr_chain_t **ll);
static dr_uint_t dr_http_proxy_is_set(dr_http_proxy_loc_conf_t *plcf,
    dr_str_t *name);
static void dr_http_proxy_abort_request(dr_http_request_t *r);
static void dr_http_proxy_finalize_request(dr_http_request_t *r,
    dr_int_t rc);

static dr_int_t dr_http_proxy_host_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_proxy_port_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_proxy_add_x_forwarded_for_variable(
    dr_http_request_t *r, dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_proxy_connection_upgrade_variable(
    dr_http_request_t *r, dr_http_variable_value_t *v, uintptr_t data);

static dr_int_t dr_http_proxy_add_variables(dr_conf_t *cf);
static void *dr_http_proxy_create_loc_conf(dr_conf_t *cf);
static char *dr_http_proxy_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);
static dr_int_t dr_http_proxy_init_headers(dr_conf_t *cf,
    dr_http_proxy_loc_conf_t *conf);
static char *dr_http_proxy_pass(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_proxy_set_header(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_proxy_size(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static void dr_http_proxy_set_vars(dr_url_t *u, dr_http_proxy_vars_t *v);


static dr_conf_enum_t  dr_http_proxy_http_version[] = {
    { dr_string("1.0"), DR_HTTP_VERSION_10 },
    { dr_string("1.1"), DR_HTTP_VERSION_11 },
    { dr_null_string, 0 }
};


#define dr_http_proxy_upstream(field)                                         \
    offsetof(dr_http_proxy_loc_conf_t, upstream.field)

static dr_command_t  dr_http_proxy_commands[] = {

    { dr_string("proxy_pass"),
      DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF|DR_HTTP_LMT_CONF|DR_CONF_TAKE1,
      dr_http_proxy_pass,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("proxy_redirect"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE12,
      dr_http_proxy_redirect,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("proxy_set_header"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE2,
      dr_http_proxy_set_header,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_proxy_loc_conf_t, headers_source),
      NULL },

    { dr_string("proxy_http_version"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_proxy_loc_conf_t, http_version),
      &dr_http_proxy_http_version },

    { dr_string("proxy_pass_request_headers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(pass_request_headers),
      NULL },

    { dr_string("proxy_pass_request_body"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(pass_request_body),
      NULL },

    { dr_string("proxy_hide_header"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_array_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(hide_headers),
      NULL },

    { dr_string("proxy_pass_header"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_array_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(pass_headers),
      NULL },

    { dr_string("proxy_ignore_headers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_conf_set_bitmask_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(ignore_headers),
      &dr_http_upstream_ignore_headers_masks },

    { dr_string("proxy_connect_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(connect_timeout),
      NULL },

    { dr_string("proxy_send_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(send_timeout),
      NULL },

    { dr_string("proxy_read_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(read_timeout),
      NULL },

    { dr_string("proxy_buffering"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(buffering),
      NULL },

    { dr_string("proxy_request_buffering"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(request_buffering),
      NULL },

    { dr_string("proxy_buffer_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(buffer_size),
      NULL },

    { dr_string("proxy_buffers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE2,
      dr_conf_set_bufs_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(bufs),
      NULL },

    { dr_string("proxy_busy_buffers_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_http_proxy_size,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(busy_buffers_size_conf),
      NULL },

    { dr_string("proxy_max_temp_file_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_http_proxy_size,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(max_temp_file_size_conf),
      NULL },

    { dr_string("proxy_temp_file_write_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_http_proxy_size,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(temp_file_write_size_conf),
      NULL },

    { dr_string("proxy_temp_path"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_path_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(temp_path),
      NULL },

    { dr_string("proxy_intercept_errors"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(intercept_errors),
      NULL },

    { dr_string("proxy_ignore_client_abort"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(ignore_client_abort),
      NULL },

    { dr_string("proxy_next_upstream"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_conf_set_bitmask_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(next_upstream),
      &dr_http_upstream_next_upstream_masks },

    { dr_string("proxy_next_upstream_tries"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(next_upstream_tries),
      NULL },

    { dr_string("proxy_next_upstream_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      dr_http_proxy_upstream(next_upstream_timeout),
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_proxy_module_ctx = {
    .preconfiguration = dr_http_proxy_add_variables,
    .create_loc_conf = dr_http_proxy_create_loc_conf,
    .merge_loc_conf = dr_http_proxy_merge_loc_conf,
};


dr_module_t  dr_http_proxy_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_proxy",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_proxy_module_ctx,
    .commands = dr_http_proxy_commands,
};


/* the fields every request gets unless proxy_set_header says otherwise */
static dr_keyval_t  dr_http_proxy_default_headers[] = {
    { dr_string("Host"), dr_string("$proxy_host") },
    { dr_string("Connection"), dr_string("close") },
    { dr_string("Content-Length"), dr_string("") },
    { dr_string("Transfer-Encoding"), dr_string("") },
    { dr_string("TE"), dr_string("") },
    { dr_string("Keep-Alive"), dr_string("") },
    { dr_string("Expect"), dr_string("") },
    { dr_string("Upgrade"), dr_string("") },
    { dr_string("Proxy-Connection"), dr_string("") },
    { dr_null_string, dr_null_string }
};


static dr_str_t  dr_http_proxy_hide_headers[] = {
    dr_string("Date"),
    dr_string("Server"),
    dr_string("X-Pad"),
    dr_string("X-Accel-Expires"),
    dr_string("X-Accel-Redirect"),
    dr_string("X-Accel-Limit-Rate"),
    dr_string("X-Accel-Buffering"),
    dr_string("X-Accel-Charset"),
    dr_null_string
};


static dr_http_variable_t  dr_http_proxy_vars[] = {

    { dr_string("proxy_host"), NULL, dr_http_proxy_host_variable, 0,
      DR_HTTP_VAR_CHANGEABLE|DR_HTTP_VAR_NOCACHEABLE|DR_HTTP_VAR_NOHASH, 0 },

    { dr_string("proxy_port"), NULL, dr_http_proxy_port_variable, 0,
      DR_HTTP_VAR_CHANGEABLE|DR_HTTP_VAR_NOCACHEABLE|DR_HTTP_VAR_NOHASH, 0 },

    { dr_string("proxy_add_x_forwarded_for"), NULL,
      dr_http_proxy_add_x_forwarded_for_variable, 0,
      DR_HTTP_VAR_NOHASH, 0 },

    { dr_string("connection_upgrade"), NULL,
      dr_http_proxy_connection_upgrade_variable, 0, 0, 0 },

    dr_http_null_variable
};


static dr_int_t
dr_http_proxy_handler(dr_http_request_t *r)
{
    dr_int_t                   rc;
    dr_http_upstream_t        *u;
    dr_http_proxy_ctx_t       *ctx;
    dr_http_proxy_loc_conf_t  *plcf;

    if (dr_http_upstream_create(r) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = dr_pcalloc(r->pool, sizeof(dr_http_proxy_ctx_t));
    if (ctx == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    dr_http_set_ctx(r, ctx, dr_http_proxy_module);

    plcf = dr_http_get_module_loc_conf(r, dr_http_proxy_module);

    u = r->upstream;

    if (plcf->url_cv == NULL) {
        ctx->vars = plcf->vars;
        u->schema = plcf->vars.schema;
        u->upstream = plcf->upstream.upstream;

    } else {
        rc = dr_http_proxy_eval(r, ctx, plcf);

        if (rc != DR_OK) {
            return rc;
        }
    }

    u->conf = &plcf->upstream;

    u->create_request = dr_http_proxy_create_request;
    u->reinit_request = dr_http_proxy_reinit_request;
    u->process_header = dr_http_proxy_process_header;
    u->input_filter_init = dr_http_proxy_input_filter_init;
    u->input_filter = dr_http_proxy_input_filter;
    u->abort_request = dr_http_proxy_abort_request;
    u->finalize_request = dr_http_proxy_finalize_request;

    if (plcf->redirects) {
        u->rewrite_redirect = dr_http_proxy_rewrite_redirect;
    }

    u->buffering = plcf->upstream.buffering;

    /* a chunked body needs HTTP/1.1 to be streamed; 1.0 buffers it */

    if (!plcf->upstream.request_buffering
        && plcf->upstream.pass_request_body
        && (!r->headers_in.chunked
            || plcf->http_version == DR_HTTP_VERSION_11))
    {
        r->request_body_no_buffering = 1;
    }

    rc = dr_http_read_client_request_body(r, dr_http_upstream_init);

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return DR_DONE;
}


/*
 * proxy_pass with variables: the URL of this request, its pool (an
 * upstream{} or a literal address). DR_OK or a status.
 */
static dr_int_t
dr_http_proxy_eval(dr_http_request_t *r, dr_http_proxy_ctx_t *ctx,
    dr_http_proxy_loc_conf_t *plcf)
{
    u_char               *p;
    dr_str_t              proxy;
    dr_url_t              url;
    dr_uint_t             i;
    dr_upstream_conf_t   *us, **usp;
    dr_upstream_zpeer_t  *zp;
    dr_http_upstream_t   *u;

    dr_http_upstream_main_conf_t  *umcf;

    if (dr_http_complex_value(r, plcf->url_cv, &proxy) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (proxy.len > 7
        && dr_strncasecmp(proxy.data, (u_char *) "http://", 7) == 0)
    {
        p = proxy.data + 7;

    } else {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "invalid URL prefix in \"%V\"", &proxy);
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    u = r->upstream;

    dr_str_set(&u->schema, "http://");

    dr_memzero(&url, sizeof(dr_url_t));

    url.url.len = proxy.len - 7;
    url.url.data = p;
    url.default_port = 80;
    url.uri_part = 1;
    url.no_resolve = 1;

    if (dr_parse_url(r->pool, &url) != DR_OK) {
        if (url.err) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "%s in upstream \"%V\"", url.err, &url.url);
        }

        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (url.uri.len) {
        if (url.uri.data[0] == '?') {
            p = dr_pnalloc(r->pool, url.uri.len + 1);
            if (p == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            *p++ = '/';
            dr_memcpy(p, url.uri.data, url.uri.len);

            url.uri.len++;
            url.uri.data = p - 1;
        }
    }

    ctx->vars.key_start = u->schema;

    dr_http_proxy_set_vars(&url, &ctx->vars);

    /*
     * an upstream{} of that name (the URL without a port), or an implicit
     * pool of that host and port
     */

    umcf = dr_http_get_module_main_conf(r, dr_http_upstream_module);
    usp = umcf->pools.elts;

    for (i = 0; i < umcf->pools.nelts; i++) {
        us = usp[i];

        if (us->zone == NULL
            || us->name.len != url.host.len
            || dr_strncasecmp(us->name.data, url.host.data, url.host.len)
               != 0)
        {
            continue;
        }

        if ((us->flags & DR_UPSTREAM_CREATE) ? url.no_port
                                             : us->port == url.port)
        {
            u->upstream = us;
            return DR_OK;
        }
    }

    if (url.naddrs == 0) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "no resolver defined to resolve %V", &url.host);
        return DR_HTTP_BAD_GATEWAY;
    }

    /* a literal address: a pool of one, for this request */

    us = dr_pcalloc(r->pool, sizeof(dr_upstream_conf_t));
    zp = dr_pcalloc(r->pool, sizeof(dr_upstream_zpeer_t));

    if (us == NULL || zp == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    dr_memcpy(&zp->sockaddr, url.addrs[0].sockaddr, url.addrs[0].socklen);
    zp->socklen = url.addrs[0].socklen;
    zp->name_len = dr_sock_ntop(url.addrs[0].sockaddr, url.addrs[0].socklen,
                                zp->name, DR_SOCKADDR_STRLEN, 1);
    zp->weight = 1;

    us->name = url.host;
    us->zone = dr_upstream_zone_create_local(r->pool, &us->name, zp, 1);
    if (us->zone == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    us->init_peer = dr_upstream_rr_init_peer;

    u->upstream = us;

    return DR_OK;
}


static dr_int_t
dr_http_proxy_create_request(dr_http_request_t *r)
{
    off_t                      length;
    size_t                     len;
    u_char                    *p;
    dr_buf_t                  *b;
    dr_str_t                   uri, *value;
    dr_uint_t                  i, n, chunked;
    dr_chain_t                *cl, **ll;
    dr_table_elt_t            *h;
    dr_list_part_t            *part;
    dr_http_upstream_t        *u;
    dr_http_proxy_ctx_t       *ctx;
    dr_http_proxy_header_t    *ph;
    dr_http_proxy_loc_conf_t  *plcf;

    u = r->upstream;
    plcf = dr_http_get_module_loc_conf(r, dr_http_proxy_module);
    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    if (dr_http_proxy_uri(r, ctx, plcf, &uri) != DR_OK) {
        return DR_ERROR;
    }

    u->uri = uri;

    /* the body first: its length goes in the head */

    length = -1;
    chunked = 0;

    if (plcf->upstream.pass_request_body && r->request_body) {

        if (r->request_body_no_buffering) {
            if (r->headers_in.chunked) {
                chunked = 1;
                u->request_chunked = 1;

            } else {
                length = r->headers_in.content_length_n;
            }

        } else {
            length = 0;

            for (cl = r->request_body->bufs; cl; cl = cl->next) {
                length += dr_buf_size(cl->buf);
            }
        }
    }

    ctx->body_length = length;

    /* the values of the fields, evaluated once for the length and copy */

    ph = plcf->headers->elts;
    n = plcf->headers->nelts;

    value = dr_palloc(r->pool, (n ? n : 1) * sizeof(dr_str_t));
    if (value == NULL) {
        return DR_ERROR;
    }

    len = r->method_name.len + 1 + uri.len + sizeof(" HTTP/1.x" CRLF) - 1
          + sizeof(CRLF) - 1;

    for (i = 0; i < n; i++) {

        switch (ph[i].special) {

        case DR_HTTP_PROXY_HEADER_LENGTH:
            if (length < 0) {
                value[i].len = 0;
                break;
            }

            value[i].data = dr_pnalloc(r->pool, DR_OFF_T_LEN);
            if (value[i].data == NULL) {
                return DR_ERROR;
            }

            value[i].len = dr_sprintf(value[i].data, "%O", length)
                           - value[i].data;
            break;

        case DR_HTTP_PROXY_HEADER_CHUNKED:
            if (chunked) {
                dr_str_set(&value[i], "chunked");

            } else {
                value[i].len = 0;
            }
            break;

        default:
            if (dr_http_complex_value(r, &ph[i].value, &value[i]) != DR_OK) {
                return DR_ERROR;
            }
        }

        if (value[i].len) {
            len += ph[i].key.len + sizeof(": ") - 1 + value[i].len
                   + sizeof(CRLF) - 1;
        }
    }

    if (plcf->upstream.pass_request_headers) {
        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */ ; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].hash == 0 || dr_http_proxy_is_set(plcf, &h[i].key)) {
                continue;
            }

            len += h[i].key.len + sizeof(": ") - 1 + h[i].value.len
                   + sizeof(CRLF) - 1;
        }
    }

    b = dr_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return DR_ERROR;
    }

    p = b->last;

    p = dr_cpymem(p, r->method_name.data, r->method_name.len);
    *p++ = ' ';
    p = dr_cpymem(p, uri.data, uri.len);
    p = dr_cpymem(p, plcf->http_version == DR_HTTP_VERSION_11
                     ? " HTTP/1.1" CRLF : " HTTP/1.0" CRLF,
                  sizeof(" HTTP/1.x" CRLF) - 1);

    for (i = 0; i < n; i++) {
        if (value[i].len == 0) {
            continue;
        }

        p = dr_cpymem(p, ph[i].key.data, ph[i].key.len);
        *p++ = ':';
        *p++ = ' ';
        p = dr_cpymem(p, value[i].data, value[i].len);
        *p++ = CR;
        *p++ = LF;

        if (ph[i].key.len == 7
            && dr_strncasecmp(ph[i].key.data, (u_char *) "upgrade", 7) == 0)
        {
            ctx->upgrade_sent = 1;
        }
    }

    if (plcf->upstream.pass_request_headers) {
        part = &r->headers_in.headers.part;
        h = part->elts;

        for (i = 0; /* void */ ; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }

                part = part->next;
                h = part->elts;
                i = 0;
            }

            if (h[i].hash == 0 || dr_http_proxy_is_set(plcf, &h[i].key)) {
                continue;
            }

            p = dr_cpymem(p, h[i].key.data, h[i].key.len);
            *p++ = ':';
            *p++ = ' ';
            p = dr_cpymem(p, h[i].value.data, h[i].value.len);
            *p++ = CR;
            *p++ = LF;
        }
    }

    *p++ = CR;
    *p++ = LF;

    b->last = p;

    cl = dr_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return DR_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    u->request_bufs = cl;
    ll = &cl->next;

    if (plcf->upstream.pass_request_body && !r->request_body_no_buffering) {
        if (dr_http_proxy_body(r, ll) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (!plcf->upstream.pass_request_body && r->request_body_no_buffering) {
        r->request_body_no_buffering = 0;
    }

    return DR_OK;
}


/*
 * The request's buffered body as a chain of our own buf structs over the
 * same memory or file, so a retry can rewind them (b->start is where each
 * begins) without touching the originals.
 */
static dr_int_t
dr_http_proxy_body(dr_http_request_t *r, dr_chain_t **ll)
{
    dr_buf_t    *b;
    dr_chain_t  *in, *cl;

    if (r->request_body == NULL) {
        return DR_OK;
    }

    for (in = r->request_body->bufs; in; in = in->next) {

        if (dr_buf_size(in->buf) == 0) {
            continue;
        }

        b = dr_alloc_buf(r->pool);
        cl = dr_alloc_chain_link(r->pool);

        if (b == NULL || cl == NULL) {
            return DR_ERROR;
        }

        *b = *in->buf;
        b->start = b->pos;
        b->last_buf = 0;
        b->flush = 0;

        cl->buf = b;
        cl->next = NULL;

        *ll = cl;
        ll = &cl->next;
    }

    return DR_OK;
}


/*
 * The request-target sent upstream (nginx's rules, see the top). <uri>
 * points into r->pool or into the request.
 */
static dr_int_t
dr_http_proxy_uri(dr_http_request_t *r, dr_http_proxy_ctx_t *ctx,
    dr_http_proxy_loc_conf_t *plcf, dr_str_t *uri)
{
    u_char     *p;
    size_t      len, loc_len;
    uintptr_t   escape;

    if (plcf->url_cv && ctx->vars.uri.len) {
        *uri = ctx->vars.uri;
        return DR_OK;
    }

    if (ctx->vars.uri.len == 0 && r->valid_unparsed_uri) {
        *uri = r->unparsed_uri;
        return DR_OK;
    }

    loc_len = (r->valid_location && ctx->vars.uri.len) ? plcf->location.len
                                                        : 0;

    if (loc_len > r->uri.len) {
        loc_len = r->uri.len;
    }

    escape = 0;

    if (r->quoted_uri || r->internal) {
        escape = 2 * dr_http_escape_uri(NULL, r->uri.data + loc_len,
                                        r->uri.len - loc_len,
                                        DR_ESCAPE_URI);
    }

    len = (r->valid_location ? ctx->vars.uri.len : 0) + r->uri.len - loc_len
          + escape + sizeof("?") - 1 + r->args.len;

    p = dr_pnalloc(r->pool, len ? len : 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    uri->data = p;

    if (r->valid_location && ctx->vars.uri.len) {
        p = dr_cpymem(p, ctx->vars.uri.data, ctx->vars.uri.len);
    }

    if (escape) {
        dr_http_escape_uri(p, r->uri.data + loc_len, r->uri.len - loc_len,
                           DR_ESCAPE_URI);
        p += r->uri.len - loc_len + escape;

    } else {
        p = dr_cpymem(p, r->uri.data + loc_len, r->uri.len - loc_len);
    }

    if (r->args.len > 0) {
        *p++ = '?';
        p = dr_cpymem(p, r->args.data, r->args.len);
    }

    uri->len = p - uri->data;

    if (uri->len == 0) {
        dr_str_set(uri, "/");
    }

    return DR_OK;
}


/* a client field proxy_set_header (or a default) takes care of */
static dr_uint_t
dr_http_proxy_is_set(dr_http_proxy_loc_conf_t *plcf, dr_str_t *name)
{
    dr_uint_t                i;
    dr_http_proxy_header_t  *ph;

    ph = plcf->headers->elts;

    for (i = 0; i < plcf->headers->nelts; i++) {
        if (ph[i].key.len == name->len
            && dr_strncasecmp(ph[i].key.data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static void
dr_http_proxy_abort_request(dr_http_request_t *r)
{
    dr_log_debug(r->connection->log, "abort http proxy request");
}


static void
dr_http_proxy_finalize_request(dr_http_request_t *r, dr_int_t rc)
{
    dr_log_debug(r->connection->log, "finalize http proxy request");
}


/* --------------------------------------------------------- variables */


static dr_int_t
dr_http_proxy_host_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_http_proxy_ctx_t  *ctx;

    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return DR_OK;
    }

    v->len = ctx->vars.host_header.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = ctx->vars.host_header.data;

    return DR_OK;
}


static dr_int_t
dr_http_proxy_port_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_http_proxy_ctx_t  *ctx;

    ctx = dr_http_get_module_ctx(r, dr_http_proxy_module);

    if (ctx == NULL) {
        v->not_found = 1;
        return DR_OK;
    }

    v->len = ctx->vars.port.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = ctx->vars.port.data;

    return DR_OK;
}


static dr_int_t
dr_http_proxy_add_x_forwarded_for_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char          *p;
    size_t           len;
    dr_table_elt_t  *h, *xfwd;

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    xfwd = r->headers_in.x_forwarded_for;

    len = 0;

    for (h = xfwd; h; h = h->next) {
        len += h->value.len + sizeof(", ") - 1;
    }

    if (len == 0) {
        v->len = r->connection->addr_text.len;
        v->data = r->connection->addr_text.data;
        return DR_OK;
    }

    len += r->connection->addr_text.len;

    p = dr_pnalloc(r->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = len;
    v->data = p;

    for (h = xfwd; h; h = h->next) {
        p = dr_cpymem(p, h->value.data, h->value.len);
        *p++ = ',';
        *p++ = ' ';
    }

    dr_memcpy(p, r->connection->addr_text.data,
              r->connection->addr_text.len);

    return DR_OK;
}


/*
 * "upgrade" when the client asked for an Upgrade, else "close": nginx's
 * documented map of $http_upgrade, built in.
 */
static dr_int_t
dr_http_proxy_connection_upgrade_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    if (r->headers_in.upgrade && r->headers_in.upgrade->value.len) {
        v->len = sizeof("upgrade") - 1;
        v->data = (u_char *) "upgrade";

    } else {
        v->len = sizeof("close") - 1;
        v->data = (u_char *) "close";
    }

    return DR_OK;
}


static dr_int_t
dr_http_proxy_add_variables(dr_conf_t *cf)
{
    dr_http_variable_t  *var, *v;

    for (v = dr_http_proxy_vars; v->name.len; v++) {
        var = dr_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return DR_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return DR_OK;
}


/* ------------------------------------------------------ configuration */


static void *
dr_http_proxy_create_loc_conf(dr_conf_t *cf)
{
    dr_http_proxy_loc_conf_t  *conf;

    conf = dr_pcalloc(cf->pool, sizeof(dr_http_proxy_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by dr_pcalloc():
     *
     *     conf->upstream.bufs.num = 0;
     *     conf->upstream.ignore_headers = 0;
     *     conf->upstream.next_upstream = 0;
     *     conf->upstream.temp_path = { 0, NULL };
     *     conf->url_cv = NULL;
     *     conf->location = { 0, NULL };
     */

    conf->upstream.connect_timeout = DR_CONF_UNSET_MSEC;
    conf->upstream.send_timeout = DR_CONF_UNSET_MSEC;
    conf->upstream.read_timeout = DR_CONF_UNSET_MSEC;
    conf->upstream.next_upstream_timeout = DR_CONF_UNSET_MSEC;

    conf->upstream.send_lowat = DR_CONF_UNSET_SIZE;
    conf->upstream.buffer_size = DR_CONF_UNSET_SIZE;
    conf->upstream.busy_buffers_size_conf = DR_CONF_UNSET_SIZE;
    conf->upstream.max_temp_file_size_conf = DR_CONF_UNSET_SIZE;
    conf->upstream.temp_file_write_size_conf = DR_CONF_UNSET_SIZE;

    conf->upstream.next_upstream_tries = DR_CONF_UNSET_UINT;

    conf->upstream.buffering = DR_CONF_UNSET;
    conf->upstream.request_buffering = DR_CONF_UNSET;
    conf->upstream.pass_request_headers = DR_CONF_UNSET;
    conf->upstream.pass_request_body = DR_CONF_UNSET;
    conf->upstream.ignore_client_abort = DR_CONF_UNSET;
    conf->upstream.intercept_errors = DR_CONF_UNSET;

    conf->upstream.hide_headers = DR_CONF_UNSET_PTR;
    conf->upstream.pass_headers = DR_CONF_UNSET_PTR;

    dr_str_set(&conf->upstream.module, "proxy");

    /* X-Accel-Buffering may turn buffering on or off per response */
    conf->upstream.change_buffering = 1;

    conf->headers_source = DR_CONF_UNSET_PTR;
    conf->redirects = DR_CONF_UNSET_PTR;
    conf->redirect = DR_CONF_UNSET;
    conf->http_version = DR_CONF_UNSET_UINT;

    return conf;
}


static char *
dr_http_proxy_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_proxy_loc_conf_t  *prev = parent;
    dr_http_proxy_loc_conf_t  *conf = child;

    dr_http_core_loc_conf_t  *clcf;

    if (dr_http_upstream_merge_conf(cf, &conf->upstream, &prev->upstream,
                                    dr_http_proxy_hide_headers)
        != DR_CONF_OK)
    {
        return DR_CONF_ERROR;
    }

    if (conf->upstream.temp_path.data == NULL) {
        dr_str_set(&conf->upstream.temp_path, "proxy_temp");

        if (dr_conf_full_name(cf->cycle, &conf->upstream.temp_path, 0)
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }
    }

    if (dr_http_upstream_add_temp_path(cf, &conf->upstream.temp_path)
        != DR_OK)
    {
        return DR_CONF_ERROR;
    }

    dr_conf_merge_uint_value(conf->http_version, prev->http_version,
                             DR_HTTP_VERSION_10);

    if (conf->upstream.upstream == NULL && conf->url_cv == NULL) {
        conf->upstream.upstream = prev->upstream.upstream;
        conf->url_cv = prev->url_cv;
        conf->vars = prev->vars;
        conf->url = prev->url;
        conf->location = prev->location;
    }

    clcf = dr_http_conf_get_module_loc_conf(cf, dr_http_core_module);

    if (clcf->noname && clcf->handler == NULL
        && (conf->upstream.upstream || conf->url_cv))
    {
        clcf->handler = dr_http_proxy_handler;
    }

    if (dr_http_proxy_merge_redirects(cf, conf, prev) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (conf->headers_source == DR_CONF_UNSET_PTR) {
        conf->headers_source = prev->headers_source;
        conf->headers = prev->headers;
    }

    if (conf->headers == NULL) {
        if (dr_http_proxy_init_headers(cf, conf) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    return DR_CONF_OK;
}


/* the fields to send: the defaults, each replaced by a proxy_set_header */
static dr_int_t
dr_http_proxy_init_headers(dr_conf_t *cf, dr_http_proxy_loc_conf_t *conf)
{
    dr_uint_t                         i, j, n;
    dr_keyval_t                      *src, *kv;
    dr_http_proxy_header_t           *ph;
    dr_http_compile_complex_value_t   ccv;

    conf->headers = dr_array_create(cf->pool, 16,
                                    sizeof(dr_http_proxy_header_t));
    if (conf->headers == NULL) {
        return DR_ERROR;
    }

    src = NULL;
    n = 0;

    if (conf->headers_source && conf->headers_source != DR_CONF_UNSET_PTR) {
        src = conf->headers_source->elts;
        n = conf->headers_source->nelts;
    }

    /* the user's first, in order; then the defaults they did not set */

    for (i = 0; i < n + dr_nelems(dr_http_proxy_default_headers) - 1; i++) {

        if (i < n) {
            kv = &src[i];

        } else {
            kv = &dr_http_proxy_default_headers[i - n];

            for (j = 0; j < n; j++) {
                if (src[j].key.len == kv->key.len
                    && dr_strncasecmp(src[j].key.data, kv->key.data,
                                      kv->key.len) == 0)
                {
                    break;
                }
            }

            if (j < n) {
                continue;
            }
        }

        ph = dr_array_push(conf->headers);
        if (ph == NULL) {
            return DR_ERROR;
        }

        dr_memzero(ph, sizeof(dr_http_proxy_header_t));

        ph->key = kv->key;

        if (i >= n && kv->key.len == sizeof("Content-Length") - 1
            && dr_strncasecmp(kv->key.data, (u_char *) "Content-Length",
                              kv->key.len) == 0)
        {
            ph->special = DR_HTTP_PROXY_HEADER_LENGTH;
            continue;
        }

        if (i >= n && kv->key.len == sizeof("Transfer-Encoding") - 1
            && dr_strncasecmp(kv->key.data, (u_char *) "Transfer-Encoding",
                              kv->key.len) == 0)
        {
            ph->special = DR_HTTP_PROXY_HEADER_CHUNKED;
            continue;
        }

        dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = &kv->value;
        ccv.complex_value = &ph->value;

        if (dr_http_compile_complex_value(&ccv) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static char *
dr_http_proxy_pass(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_proxy_loc_conf_t *plcf = conf;

    size_t                             add;
    dr_str_t                          *value, *url;
    dr_url_t                           u;
    dr_http_core_loc_conf_t           *clcf;
    dr_http_compile_complex_value_t    ccv;

    if (plcf->upstream.upstream || plcf->url_cv) {
        return "is duplicate";
    }

    clcf = dr_http_conf_get_module_loc_conf(cf, dr_http_core_module);

    clcf->handler = dr_http_proxy_handler;

    if (clcf->name.len && clcf->name.data[clcf->name.len - 1] == '/') {
        clcf->auto_redirect = 1;
    }

    value = cf->args->elts;
    url = &value[1];

    if (dr_http_script_variables_count(url)) {

        plcf->url_cv = dr_pcalloc(cf->pool, sizeof(dr_http_complex_value_t));
        if (plcf->url_cv == NULL) {
            return DR_CONF_ERROR;
        }

        dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

        ccv.cf = cf;
        ccv.value = url;
        ccv.complex_value = plcf->url_cv;

        if (dr_http_compile_complex_value(&ccv) != DR_OK) {
            return DR_CONF_ERROR;
        }

        return DR_CONF_OK;
    }

    if (url->len > 7 && dr_strncasecmp(url->data, (u_char *) "http://", 7)
                        == 0)
    {
        add = 7;

    } else if (url->len > 8
               && dr_strncasecmp(url->data, (u_char *) "https://", 8) == 0)
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "https protocol requires SSL support, "
                          "which proxying to upstreams does not have yet");
        return DR_CONF_ERROR;

    } else {
        return "invalid URL prefix";
    }

    dr_memzero(&u, sizeof(dr_url_t));

    u.url.len = url->len - add;
    u.url.data = url->data + add;
    u.default_port = 80;
    u.uri_part = 1;
    u.no_resolve = 1;

    if (dr_parse_url(cf->pool, &u) != DR_OK) {
        if (u.err) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "%s in upstream \"%V\"", u.err, &u.url);
        }

        return DR_CONF_ERROR;
    }

    plcf->upstream.upstream = dr_http_upstream_add(cf, &u, 0);
    if (plcf->upstream.upstream == NULL) {
        return DR_CONF_ERROR;
    }

    dr_str_set(&plcf->vars.schema, "http://");
    plcf->vars.key_start = plcf->vars.schema;

    dr_http_proxy_set_vars(&u, &plcf->vars);

    plcf->location = clcf->name;

    if (clcf->named || clcf->regex || clcf->noname) {

        if (plcf->vars.uri.len) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "\"proxy_pass\" cannot have URI part in "
                              "location given by regular expression, "
                              "or inside named location, "
                              "or inside \"if\" statement, "
                              "or inside \"limit_except\" block");
            return DR_CONF_ERROR;
        }

        plcf->location.len = 0;
    }

    plcf->url = *url;

    return DR_CONF_OK;
}


static char *
dr_http_proxy_set_header(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_proxy_loc_conf_t *plcf = conf;

    dr_str_t     *value;
    dr_keyval_t  *kv;

    value = cf->args->elts;

    if (plcf->headers_source == DR_CONF_UNSET_PTR) {
        plcf->headers_source = dr_array_create(cf->pool, 4,
                                               sizeof(dr_keyval_t));
        if (plcf->headers_source == NULL) {
            return DR_CONF_ERROR;
        }
    }

    kv = dr_array_push(plcf->headers_source);
    if (kv == NULL) {
        return DR_CONF_ERROR;
    }

    kv->key = value[1];
    kv->value = value[2];

    return DR_CONF_OK;
}


/* a size, or "0" (proxy_max_temp_file_size 0 disables the file) */
static char *
dr_http_proxy_size(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    ssize_t    size;
    size_t    *sp;
    dr_str_t  *value;

    sp = (size_t *) ((char *) conf + cmd->offset);

    if (*sp != DR_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    size = dr_parse_size(&value[1]);
    if (size == DR_ERROR) {
        return "invalid value";
    }

    *sp = (size_t) size;

    return DR_CONF_OK;
}


static void
dr_http_proxy_set_vars(dr_url_t *u, dr_http_proxy_vars_t *v)
{
    if (u->family != AF_UNIX) {

        if (u->no_port || u->port == u->default_port) {
            v->host_header = u->host;

            if (u->default_port == 80) {
                dr_str_set(&v->port, "80");

            } else {
                dr_str_set(&v->port, "443");
            }

        } else {
            v->host_header.len = u->host.len + 1 + u->port_text.len;
            v->host_header.data = u->host.data;
            v->port = u->port_text;
        }

    } else {
        dr_str_set(&v->host_header, "localhost");
        dr_str_null(&v->port);
    }

    v->uri = u->uri;
}
