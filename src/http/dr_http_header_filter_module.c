/*
 * The end of the header filter chain (nginx's ngx_http_header_filter_
 * module.c): writes the status line and the header block into one buffer
 * of exactly the needed size from r->pool, and hands it to the write
 * filter, which keeps it until the body joins it (one writev for a small
 * response). Adds Server (server_tokens), Date (the cached time string),
 * Content-Type, Content-Length, Last-Modified, an absolute Location
 * (absolute_redirect, server_name_in_redirect, port_in_redirect),
 * Transfer-Encoding and Connection/Keep-Alive. Runs in workers.
 */

#include "dr_http.h"


static dr_int_t dr_http_header_filter_init(dr_conf_t *cf);
static dr_int_t dr_http_header_filter(dr_http_request_t *r);
static u_char *dr_http_header_filter_number(u_char *p, off_t n);


static dr_http_module_t  dr_http_header_filter_module_ctx = {
    .postconfiguration = dr_http_header_filter_init,
};


dr_module_t  dr_http_header_filter_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_header_filter",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_header_filter_module_ctx,
};


static u_char  dr_http_server_string[] = "Server: drover" CRLF;
static u_char  dr_http_server_full_string[] = "Server: " DR_VER CRLF;
static u_char  dr_http_server_build_string[] = "Server: " DR_VER " ("
                                               DR_COMPILER ")" CRLF;


static dr_str_t  dr_http_status_lines[] = {

    dr_string("200 OK"),
    dr_string("201 Created"),
    dr_string("202 Accepted"),
    dr_null_string,  /* "203 Non-Authoritative Information" */
    dr_string("204 No Content"),
    dr_null_string,  /* "205 Reset Content" */
    dr_string("206 Partial Content"),

    /* dr_null_string, */  /* "207 Multi-Status" */

#define DR_HTTP_LAST_2XX  207
#define DR_HTTP_OFF_3XX   (DR_HTTP_LAST_2XX - 200)

    /* dr_null_string, */  /* "300 Multiple Choices" */

    dr_string("301 Moved Permanently"),
    dr_string("302 Moved Temporarily"),
    dr_string("303 See Other"),
    dr_string("304 Not Modified"),
    dr_null_string,  /* "305 Use Proxy" */
    dr_null_string,  /* "306 unused" */
    dr_string("307 Temporary Redirect"),
    dr_string("308 Permanent Redirect"),

#define DR_HTTP_LAST_3XX  309
#define DR_HTTP_OFF_4XX   (DR_HTTP_LAST_3XX - 301 + DR_HTTP_OFF_3XX)

    dr_string("400 Bad Request"),
    dr_string("401 Unauthorized"),
    dr_string("402 Payment Required"),
    dr_string("403 Forbidden"),
    dr_string("404 Not Found"),
    dr_string("405 Not Allowed"),
    dr_string("406 Not Acceptable"),
    dr_null_string,  /* "407 Proxy Authentication Required" */
    dr_string("408 Request Time-out"),
    dr_string("409 Conflict"),
    dr_string("410 Gone"),
    dr_string("411 Length Required"),
    dr_string("412 Precondition Failed"),
    dr_string("413 Request Entity Too Large"),
    dr_string("414 Request-URI Too Large"),
    dr_string("415 Unsupported Media Type"),
    dr_string("416 Requested Range Not Satisfiable"),
    dr_null_string,  /* "417 Expectation Failed" */
    dr_null_string,  /* "418 unused" */
    dr_null_string,  /* "419 unused" */
    dr_null_string,  /* "420 unused" */
    dr_string("421 Misdirected Request"),
    dr_null_string,  /* "422 Unprocessable Entity" */
    dr_null_string,  /* "423 Locked" */
    dr_null_string,  /* "424 Failed Dependency" */
    dr_null_string,  /* "425 unused" */
    dr_null_string,  /* "426 Upgrade Required" */
    dr_null_string,  /* "427 unused" */
    dr_null_string,  /* "428 Precondition Required" */
    dr_string("429 Too Many Requests"),

#define DR_HTTP_LAST_4XX  430
#define DR_HTTP_OFF_5XX   (DR_HTTP_LAST_4XX - 400 + DR_HTTP_OFF_4XX)

    dr_string("500 Internal Server Error"),
    dr_string("501 Not Implemented"),
    dr_string("502 Bad Gateway"),
    dr_string("503 Service Temporarily Unavailable"),
    dr_string("504 Gateway Time-out"),
    dr_string("505 HTTP Version Not Supported"),
    dr_null_string,        /* "506 Variant Also Negotiates" */
    dr_string("507 Insufficient Storage"),

    /* dr_null_string, */  /* "508 unused" */
    /* dr_null_string, */  /* "509 unused" */
    /* dr_null_string, */  /* "510 Not Extended" */

#define DR_HTTP_LAST_5XX  508

};

static dr_str_t  dr_http_status_100 = dr_string("100 Continue");
static dr_str_t  dr_http_status_101 = dr_string("101 Switching Protocols");


dr_str_t *
dr_http_status_line(dr_uint_t status)
{
    dr_str_t  *s;

    if (status == DR_HTTP_CONTINUE) {
        return &dr_http_status_100;
    }

    if (status == DR_HTTP_SWITCHING_PROTOCOLS) {
        return &dr_http_status_101;
    }

    if (status >= DR_HTTP_OK && status < DR_HTTP_LAST_2XX) {
        s = &dr_http_status_lines[status - DR_HTTP_OK];

    } else if (status >= DR_HTTP_MOVED_PERMANENTLY
               && status < DR_HTTP_LAST_3XX)
    {
        s = &dr_http_status_lines[status - DR_HTTP_MOVED_PERMANENTLY
                                  + DR_HTTP_OFF_3XX];

    } else if (status >= DR_HTTP_BAD_REQUEST && status < DR_HTTP_LAST_4XX) {
        s = &dr_http_status_lines[status - DR_HTTP_BAD_REQUEST
                                  + DR_HTTP_OFF_4XX];

    } else if (status >= DR_HTTP_INTERNAL_SERVER_ERROR
               && status < DR_HTTP_LAST_5XX)
    {
        s = &dr_http_status_lines[status - DR_HTTP_INTERNAL_SERVER_ERROR
                                  + DR_HTTP_OFF_5XX];

    } else {
        return NULL;
    }

    return s->len ? s : NULL;
}


static dr_int_t
dr_http_header_filter(dr_http_request_t *r)
{
    u_char                    *p;
    size_t                     len;
    dr_str_t                   host, *status_line;
    dr_buf_t                  *b;
    dr_uint_t                  status, i, port;
    dr_chain_t                 out;
    dr_list_part_t            *part;
    dr_table_elt_t            *header;
    dr_connection_t           *c;
    dr_http_core_loc_conf_t   *clcf;
    dr_http_core_srv_conf_t   *cscf;
    u_char                     addr[DR_SOCKADDR_STRLEN];

    if (r->header_sent) {
        return DR_OK;
    }

    r->header_sent = 1;

    if (r != r->main) {
        return DR_OK;
    }

    if (r->http_version < DR_HTTP_VERSION_10) {
        return DR_OK;
    }

    if (r->method == DR_HTTP_HEAD) {
        r->header_only = 1;
    }

    if (r->headers_out.last_modified_time != -1) {
        if (r->headers_out.status != DR_HTTP_OK
            && r->headers_out.status != DR_HTTP_PARTIAL_CONTENT
            && r->headers_out.status != DR_HTTP_NOT_MODIFIED)
        {
            r->headers_out.last_modified_time = -1;
            r->headers_out.last_modified = NULL;
        }
    }

    if (r->keepalive && (dr_terminate || dr_exiting)) {
        r->keepalive = 0;
    }

    len = sizeof("HTTP/1.x ") - 1 + sizeof(CRLF) - 1
          /* the end of the header */
          + sizeof(CRLF) - 1;

    /* status line */

    status = r->headers_out.status;

    if (r->headers_out.status_line.len) {
        len += r->headers_out.status_line.len;
        status_line = &r->headers_out.status_line;

    } else {

        if (status == DR_HTTP_NO_CONTENT) {
            r->header_only = 1;
            dr_str_null(&r->headers_out.content_type);
            r->headers_out.last_modified_time = -1;
            r->headers_out.last_modified = NULL;
            r->headers_out.content_length = NULL;
            r->headers_out.content_length_n = -1;
        }

        if (status == DR_HTTP_NOT_MODIFIED) {
            r->header_only = 1;
        }

        status_line = dr_http_status_line(status);

        if (status_line) {
            len += status_line->len;

        } else {
            len += DR_INT_T_LEN + 1 /* SP */;
        }
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (r->headers_out.server == NULL) {
        if (clcf->server_tokens == DR_HTTP_SERVER_TOKENS_ON) {
            len += sizeof(dr_http_server_full_string) - 1;

        } else if (clcf->server_tokens == DR_HTTP_SERVER_TOKENS_BUILD) {
            len += sizeof(dr_http_server_build_string) - 1;

        } else {
            len += sizeof(dr_http_server_string) - 1;
        }
    }

    if (r->headers_out.date == NULL) {
        len += sizeof("Date: Mon, 28 Sep 1970 06:00:00 GMT" CRLF) - 1;
    }

    if (r->headers_out.content_type.len) {
        len += sizeof("Content-Type: ") - 1
               + r->headers_out.content_type.len + 2;

        if (r->headers_out.content_type_len == r->headers_out.content_type.len
            && r->headers_out.charset.len)
        {
            len += sizeof("; charset=") - 1 + r->headers_out.charset.len;
        }
    }

    if (r->headers_out.content_length == NULL
        && r->headers_out.content_length_n >= 0)
    {
        len += sizeof("Content-Length: ") - 1 + DR_OFF_T_LEN + 2;
    }

    if (r->headers_out.last_modified == NULL
        && r->headers_out.last_modified_time != -1)
    {
        len += sizeof("Last-Modified: Mon, 28 Sep 1970 06:00:00 GMT" CRLF) - 1;
    }

    c = r->connection;

    if (r->headers_out.location
        && r->headers_out.location->hash
        && r->headers_out.location->value.len
        && r->headers_out.location->value.data[0] == '/'
        && clcf->absolute_redirect)
    {
        r->headers_out.location->hash = 0;

        if (clcf->server_name_in_redirect) {
            cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
            host = cscf->server_name;

        } else if (r->headers_in.server.len) {
            host = r->headers_in.server;

        } else {
            host.len = DR_SOCKADDR_STRLEN;
            host.data = addr;

            if (dr_connection_local_sockaddr(c, &host, 0) != DR_OK) {
                return DR_ERROR;
            }
        }

        if (dr_connection_local_sockaddr(c, NULL, 0) != DR_OK) {
            return DR_ERROR;
        }

        port = dr_inet_get_port(c->local_sockaddr);

        len += sizeof("Location: http://") - 1 + host.len
               + r->headers_out.location->value.len + 2;

        if (clcf->port_in_redirect) {
            port = (port == 80) ? 0 : port;

        } else {
            port = 0;
        }

        if (port) {
            len += sizeof(":65535") - 1;
        }

    } else {
        dr_str_null(&host);
        port = 0;
    }

    if (r->chunked) {
        len += sizeof("Transfer-Encoding: chunked" CRLF) - 1;
    }

    if (r->headers_out.status == DR_HTTP_SWITCHING_PROTOCOLS) {
        len += sizeof("Connection: upgrade" CRLF) - 1;

    } else if (r->keepalive) {
        len += sizeof("Connection: keep-alive" CRLF) - 1;

        /*
         * MSIE and Opera ignore the "Keep-Alive: timeout=<N>" header.
         * MSIE keeps the connection alive for about 60-65 seconds.
         * Opera keeps the connection alive very long.
         * Mozilla keeps the connection alive for N plus about 1-10 seconds.
         * Konqueror keeps the connection alive for about N seconds.
         */

        if (clcf->keepalive_header) {
            len += sizeof("Keep-Alive: timeout=") - 1 + DR_TIME_T_LEN + 2;
        }

    } else {
        len += sizeof("Connection: close" CRLF) - 1;
    }

    if (r->gzip_vary) {
        len += sizeof("Vary: Accept-Encoding" CRLF) - 1;
    }

    part = &r->headers_out.headers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        len += header[i].key.len + sizeof(": ") - 1 + header[i].value.len
               + sizeof(CRLF) - 1;
    }

    b = dr_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return DR_ERROR;
    }

    /* "HTTP/1.x " */
    b->last = dr_cpymem(b->last, "HTTP/1.1 ", sizeof("HTTP/1.x ") - 1);

    /* status line */
    if (status_line) {
        b->last = dr_cpymem(b->last, status_line->data, status_line->len);

    } else {
        b->last = dr_sprintf(b->last, "%03ui ", status);
    }
    *b->last++ = CR; *b->last++ = LF;

    if (r->headers_out.server == NULL) {
        if (clcf->server_tokens == DR_HTTP_SERVER_TOKENS_ON) {
            p = dr_http_server_full_string;
            len = sizeof(dr_http_server_full_string) - 1;

        } else if (clcf->server_tokens == DR_HTTP_SERVER_TOKENS_BUILD) {
            p = dr_http_server_build_string;
            len = sizeof(dr_http_server_build_string) - 1;

        } else {
            p = dr_http_server_string;
            len = sizeof(dr_http_server_string) - 1;
        }

        b->last = dr_cpymem(b->last, p, len);
    }

    if (r->headers_out.date == NULL) {
        b->last = dr_cpymem(b->last, "Date: ", sizeof("Date: ") - 1);
        b->last = dr_cpymem(b->last, dr_cached_http_time.data,
                            dr_cached_http_time.len);

        *b->last++ = CR; *b->last++ = LF;
    }

    if (r->headers_out.content_type.len) {
        b->last = dr_cpymem(b->last, "Content-Type: ",
                            sizeof("Content-Type: ") - 1);
        p = b->last;
        b->last = dr_cpymem(b->last, r->headers_out.content_type.data,
                            r->headers_out.content_type.len);

        if (r->headers_out.content_type_len == r->headers_out.content_type.len
            && r->headers_out.charset.len)
        {
            b->last = dr_cpymem(b->last, "; charset=",
                                sizeof("; charset=") - 1);
            b->last = dr_cpymem(b->last, r->headers_out.charset.data,
                                r->headers_out.charset.len);

            /* update r->headers_out.content_type for possible logging */

            r->headers_out.content_type.len = b->last - p;
            r->headers_out.content_type.data = p;
        }

        *b->last++ = CR; *b->last++ = LF;
    }

    if (r->headers_out.content_length == NULL
        && r->headers_out.content_length_n >= 0)
    {
        b->last = dr_cpymem(b->last, "Content-Length: ",
                            sizeof("Content-Length: ") - 1);
        b->last = dr_http_header_filter_number(b->last,
                                              r->headers_out.content_length_n);
        *b->last++ = CR; *b->last++ = LF;
    }

    if (r->headers_out.last_modified == NULL
        && r->headers_out.last_modified_time != -1)
    {
        b->last = dr_cpymem(b->last, "Last-Modified: ",
                            sizeof("Last-Modified: ") - 1);
        b->last = dr_http_time(b->last, r->headers_out.last_modified_time);

        *b->last++ = CR; *b->last++ = LF;
    }

    if (host.data) {

        p = b->last + sizeof("Location: ") - 1;

        b->last = dr_cpymem(b->last, "Location: http://",
                            sizeof("Location: http://") - 1);
        b->last = dr_cpymem(b->last, host.data, host.len);

        if (port) {
            b->last = dr_sprintf(b->last, ":%ui", port);
        }

        b->last = dr_cpymem(b->last, r->headers_out.location->value.data,
                            r->headers_out.location->value.len);

        /* update r->headers_out.location->value for possible logging */

        r->headers_out.location->value.len = b->last - p;
        r->headers_out.location->value.data = p;
        dr_str_set(&r->headers_out.location->key, "Location");

        *b->last++ = CR; *b->last++ = LF;
    }

    if (r->chunked) {
        b->last = dr_cpymem(b->last, "Transfer-Encoding: chunked" CRLF,
                            sizeof("Transfer-Encoding: chunked" CRLF) - 1);
    }

    if (r->headers_out.status == DR_HTTP_SWITCHING_PROTOCOLS) {
        b->last = dr_cpymem(b->last, "Connection: upgrade" CRLF,
                            sizeof("Connection: upgrade" CRLF) - 1);

    } else if (r->keepalive) {
        b->last = dr_cpymem(b->last, "Connection: keep-alive" CRLF,
                            sizeof("Connection: keep-alive" CRLF) - 1);

        if (clcf->keepalive_header) {
            b->last = dr_sprintf(b->last, "Keep-Alive: timeout=%T" CRLF,
                                 clcf->keepalive_header);
        }

    } else {
        b->last = dr_cpymem(b->last, "Connection: close" CRLF,
                            sizeof("Connection: close" CRLF) - 1);
    }

    if (r->gzip_vary) {
        b->last = dr_cpymem(b->last, "Vary: Accept-Encoding" CRLF,
                            sizeof("Vary: Accept-Encoding" CRLF) - 1);
    }

    part = &r->headers_out.headers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        b->last = dr_cpymem(b->last, header[i].key.data, header[i].key.len);
        *b->last++ = ':'; *b->last++ = ' ';

        b->last = dr_cpymem(b->last, header[i].value.data,
                            header[i].value.len);
        *b->last++ = CR; *b->last++ = LF;
    }

    /* the end of HTTP header */
    *b->last++ = CR; *b->last++ = LF;

    r->header_size = b->last - b->pos;

    if (r->header_only) {
        b->last_buf = 1;
    }

    out.buf = b;
    out.next = NULL;

    return dr_http_write_filter(r, &out);
}


/* decimal digits of <n> >= 0 at <p> (the hot path's only number) */
static u_char *
dr_http_header_filter_number(u_char *p, off_t n)
{
    u_char   tmp[DR_OFF_T_LEN], *t;

    t = tmp + DR_OFF_T_LEN;

    do {
        *--t = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    return dr_cpymem(p, t, tmp + DR_OFF_T_LEN - t);
}


static dr_int_t
dr_http_header_filter_init(dr_conf_t *cf)
{
    dr_http_top_header_filter = dr_http_header_filter;

    return DR_OK;
}
