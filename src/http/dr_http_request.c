/*
 * The life of an HTTP/1.x connection and its requests in a worker
 * (nginx's ngx_http_request.c).
 *
 * accept -> dr_http_init_connection(): a small dr_http_connection_t in
 * c->pool, a timer, no buffer yet. Bytes arrive -> a header buffer of
 * client_header_buffer_size (c->buffer) and a request with its own pool.
 * The head is parsed by dr_http_parse_request() as bytes come (it rescans
 * nothing); a head that outgrows the buffer moves to one large buffer
 * (large_client_header_buffers: a line longer than one of them is a 414
 * or a 494, a head longer than all of them together a 494). The parsed
 * head is turned into r->uri (normalised only when it needs it), the
 * virtual server (Host), and r->headers_in, all views into the buffer.
 *
 * After the response, the request pool is destroyed. With keep-alive the
 * connection waits for the next request holding only its struct: the
 * header buffers are freed (unless pipelined bytes are in them; those are
 * parsed in place by the next request). Otherwise it closes, lingering
 * (reading and dropping) when the client may still be sending.
 */

#include "dr_http.h"


static u_char *dr_http_hbuf_alloc(size_t size, dr_log_t *log);
static dr_pool_t *dr_http_request_pool_get(size_t size, dr_log_t *log);
static void dr_http_request_pool_put(dr_pool_t *pool);
static void dr_http_hbuf_release(dr_connection_t *c);
static void dr_http_wait_request_handler(dr_event_t *ev);
static void dr_http_process_request_head(dr_event_t *rev);
static ssize_t dr_http_read_request_header(dr_http_request_t *r);
static dr_int_t dr_http_alloc_large_header_buffer(dr_http_request_t *r);
static dr_int_t dr_http_grow_headers(dr_http_request_t *r);
static dr_int_t dr_http_check_head_lines(dr_http_request_t *r);
static void dr_http_head_error(dr_http_request_t *r, dr_uint_t status,
    const char *text);
static void dr_http_head_fields(dr_http_request_t *r);
static dr_int_t dr_http_process_headers(dr_http_request_t *r);
static dr_uint_t dr_http_valid_header_name(dr_str_t *name,
    dr_uint_t underscores);
static dr_int_t dr_http_set_virtual_server(dr_http_request_t *r,
    dr_str_t *host);
static dr_int_t dr_http_find_virtual_server(dr_http_request_t *r,
    dr_http_virtual_names_t *virtual_names, dr_str_t *host,
    dr_http_core_srv_conf_t **cscfp);

static dr_int_t dr_http_process_header_line(dr_http_request_t *r,
    dr_table_elt_t *h, dr_uint_t offset);
static dr_int_t dr_http_process_unique_header_line(dr_http_request_t *r,
    dr_table_elt_t *h, dr_uint_t offset);
static dr_int_t dr_http_process_user_agent(dr_http_request_t *r,
    dr_table_elt_t *h, dr_uint_t offset);

static void dr_http_request_handler(dr_event_t *ev);
static void dr_http_finalize_connection(dr_http_request_t *r);
static dr_int_t dr_http_set_write_handler(dr_http_request_t *r);
static void dr_http_writer(dr_http_request_t *r);
static void dr_http_set_keepalive(dr_http_request_t *r);
static void dr_http_keepalive_handler(dr_event_t *ev);
static void dr_http_set_lingering_close(dr_connection_t *c);
static void dr_http_lingering_close_handler(dr_event_t *ev);
static void dr_http_close_request(dr_http_request_t *r, dr_int_t error);
static void dr_http_log_request(dr_http_request_t *r);

static u_char *dr_http_log_error_request(dr_http_request_t *r, u_char *buf,
    size_t len);


/*
 * The first parser header array (doubled up to DR_HTTP_MAX_HEADERS) and
 * output header list part: sized so that a typical request fits the first
 * block of a 4k request pool (one malloc per request).
 */
#define DR_HTTP_HEADERS_START      12
#define DR_HTTP_HEADERS_OUT_START  8


dr_http_header_t  dr_http_headers_in[] = {
    { dr_string("Host"), offsetof(dr_http_headers_in_t, host),
                 dr_http_process_unique_header_line },

    { dr_string("Connection"), offsetof(dr_http_headers_in_t, connection),
                 dr_http_process_header_line },

    { dr_string("If-Modified-Since"),
                 offsetof(dr_http_headers_in_t, if_modified_since),
                 dr_http_process_unique_header_line },

    { dr_string("If-Unmodified-Since"),
                 offsetof(dr_http_headers_in_t, if_unmodified_since),
                 dr_http_process_unique_header_line },

    { dr_string("If-Match"),
                 offsetof(dr_http_headers_in_t, if_match),
                 dr_http_process_unique_header_line },

    { dr_string("If-None-Match"),
                 offsetof(dr_http_headers_in_t, if_none_match),
                 dr_http_process_unique_header_line },

    { dr_string("User-Agent"), offsetof(dr_http_headers_in_t, user_agent),
                 dr_http_process_user_agent },

    { dr_string("Referer"), offsetof(dr_http_headers_in_t, referer),
                 dr_http_process_header_line },

    { dr_string("Content-Length"),
                 offsetof(dr_http_headers_in_t, content_length),
                 dr_http_process_unique_header_line },

    { dr_string("Content-Range"),
                 offsetof(dr_http_headers_in_t, content_range),
                 dr_http_process_unique_header_line },

    { dr_string("Content-Type"),
                 offsetof(dr_http_headers_in_t, content_type),
                 dr_http_process_header_line },

    { dr_string("Range"), offsetof(dr_http_headers_in_t, range),
                 dr_http_process_header_line },

    { dr_string("If-Range"),
                 offsetof(dr_http_headers_in_t, if_range),
                 dr_http_process_unique_header_line },

    { dr_string("Transfer-Encoding"),
                 offsetof(dr_http_headers_in_t, transfer_encoding),
                 dr_http_process_unique_header_line },

    { dr_string("TE"),
                 offsetof(dr_http_headers_in_t, te),
                 dr_http_process_header_line },

    { dr_string("Expect"),
                 offsetof(dr_http_headers_in_t, expect),
                 dr_http_process_unique_header_line },

    { dr_string("Upgrade"),
                 offsetof(dr_http_headers_in_t, upgrade),
                 dr_http_process_header_line },

    { dr_string("Accept-Encoding"),
                 offsetof(dr_http_headers_in_t, accept_encoding),
                 dr_http_process_header_line },

    { dr_string("Via"), offsetof(dr_http_headers_in_t, via),
                 dr_http_process_header_line },

    { dr_string("Authorization"),
                 offsetof(dr_http_headers_in_t, authorization),
                 dr_http_process_unique_header_line },

    { dr_string("Keep-Alive"), offsetof(dr_http_headers_in_t, keep_alive),
                 dr_http_process_header_line },

    { dr_string("X-Forwarded-For"),
                 offsetof(dr_http_headers_in_t, x_forwarded_for),
                 dr_http_process_header_line },

    { dr_string("X-Real-IP"),
                 offsetof(dr_http_headers_in_t, x_real_ip),
                 dr_http_process_header_line },

    { dr_string("Accept"), offsetof(dr_http_headers_in_t, accept),
                 dr_http_process_header_line },

    { dr_string("Accept-Language"),
                 offsetof(dr_http_headers_in_t, accept_language),
                 dr_http_process_header_line },

    { dr_string("Cookie"), offsetof(dr_http_headers_in_t, cookie),
                 dr_http_process_header_line },

    { dr_null_string, 0, NULL }
};


/*
 * Header buffers (client_header_buffer_size) are not in c->pool: a
 * connection takes one when bytes arrive and gives it back when it goes
 * idle, to a small per-process cache of buffers of the size most used,
 * so neither an idle connection nor the request rate costs malloc().
 * c->buffer->pos == NULL means "no memory attached".
 */

#define DR_HTTP_HBUF_CACHE  256

typedef struct dr_http_hbuf_s  dr_http_hbuf_t;

struct dr_http_hbuf_s {
    dr_http_hbuf_t  *next;
};

static dr_http_hbuf_t  *dr_http_hbuf_free;
static dr_uint_t        dr_http_hbuf_nfree;
static size_t           dr_http_hbuf_size;


static u_char *
dr_http_hbuf_alloc(size_t size, dr_log_t *log)
{
    dr_http_hbuf_t  *hb;

    if (size == dr_http_hbuf_size && dr_http_hbuf_free) {
        hb = dr_http_hbuf_free;
        dr_http_hbuf_free = hb->next;
        dr_http_hbuf_nfree--;
        return (u_char *) hb;
    }

    if (dr_http_hbuf_size == 0 && size >= sizeof(dr_http_hbuf_t)) {
        dr_http_hbuf_size = size;
    }

    return dr_alloc(size, log);
}


/* detaches c->buffer's memory (if any) and caches or frees it */
static void
dr_http_hbuf_release(dr_connection_t *c)
{
    size_t           size;
    dr_buf_t        *b;
    dr_http_hbuf_t  *hb;

    b = c->buffer;

    if (b->pos == NULL || b->start == NULL) {
        return;
    }

    size = b->end - b->start;
    hb = (dr_http_hbuf_t *) b->start;

    b->pos = NULL;
    b->last = NULL;

    if (size == dr_http_hbuf_size && dr_http_hbuf_nfree < DR_HTTP_HBUF_CACHE)
    {
        hb->next = dr_http_hbuf_free;
        dr_http_hbuf_free = hb;
        dr_http_hbuf_nfree++;
        return;
    }

    dr_free(hb);
}


/*
 * Request pools are recycled the same way: a pool that kept to its first
 * block goes back, reset, to a per-process cache instead of free(), so a
 * request usually costs no malloc() at all. Its cleanups run first, as
 * dr_destroy_pool() would run them.
 */

#define DR_HTTP_POOL_CACHE  64

static dr_pool_t   *dr_http_pool_cache[DR_HTTP_POOL_CACHE];
static dr_uint_t    dr_http_pool_ncache;


static dr_pool_t *
dr_http_request_pool_get(size_t size, dr_log_t *log)
{
    dr_pool_t  *pool;

    if (dr_http_pool_ncache) {
        pool = dr_http_pool_cache[dr_http_pool_ncache - 1];

        if ((size_t) (pool->d.end - (u_char *) pool) == size) {
            dr_http_pool_ncache--;
            pool->log = log;
            return pool;
        }
    }

    return dr_create_pool(size, log);
}


static void
dr_http_request_pool_put(dr_pool_t *pool)
{
    dr_pool_cleanup_t  *cln;

    for (cln = pool->cleanup; cln; cln = cln->next) {
        if (cln->handler) {
            cln->handler(cln->data);
        }
    }

    pool->cleanup = NULL;

    if (pool->d.next == NULL && dr_http_pool_ncache < DR_HTTP_POOL_CACHE
        && (dr_http_pool_ncache == 0
            || dr_http_pool_cache[0]->d.end - (u_char *) dr_http_pool_cache[0]
               == pool->d.end - (u_char *) pool))
    {
        dr_reset_pool(pool);
        dr_http_pool_cache[dr_http_pool_ncache++] = pool;
        return;
    }

    dr_destroy_pool(pool);
}


void
dr_http_init_connection(dr_connection_t *c)
{
    dr_uint_t                 i;
    dr_event_t               *rev;
    struct sockaddr_in       *sin;
    dr_http_port_t           *port;
    dr_http_in_addr_t        *addr;
    dr_http_log_ctx_t        *ctx;
    dr_http_connection_t     *hc;
    dr_http_core_srv_conf_t  *cscf;
#if (DR_HAVE_INET6)
    struct sockaddr_in6      *sin6;
#endif

    hc = dr_pcalloc(c->pool, sizeof(dr_http_connection_t));
    if (hc == NULL) {
        dr_http_close_connection(c);
        return;
    }

    c->data = hc;

    /* find the server configuration for the address:port */

    port = c->listening->servers;

    if (port->naddrs > 1) {

        /*
         * there are several addresses on this port and one of them
         * is an "*:port" wildcard so getsockname() in dr_http_server_addr()
         * is required to determine a server address
         */

        if (dr_connection_local_sockaddr(c, NULL, 0) != DR_OK) {
            dr_http_close_connection(c);
            return;
        }

        addr = port->addrs;

        switch (c->local_sockaddr->sa_family) {

#if (DR_HAVE_INET6)
        case AF_INET6:
            sin6 = (struct sockaddr_in6 *) c->local_sockaddr;

            /* the last address is "*" */

            for (i = 0; i < port->naddrs - 1; i++) {
                if (addr[i].sockaddr.sockaddr.sa_family == AF_INET6
                    && dr_memcmp(&addr[i].sockaddr.sockaddr_in6.sin6_addr,
                                 &sin6->sin6_addr, 16) == 0)
                {
                    break;
                }
            }

            hc->addr_conf = &addr[i].conf;

            break;
#endif

        default: /* AF_INET */
            sin = (struct sockaddr_in *) c->local_sockaddr;

            /* the last address is "*" */

            for (i = 0; i < port->naddrs - 1; i++) {
                if (addr[i].sockaddr.sockaddr.sa_family == AF_INET
                    && addr[i].sockaddr.sockaddr_in.sin_addr.s_addr
                       == sin->sin_addr.s_addr)
                {
                    break;
                }
            }

            hc->addr_conf = &addr[i].conf;

            break;
        }

    } else {
        hc->addr_conf = &port->addrs[0].conf;
    }

    /* the default server configuration for the address:port */
    hc->conf_ctx = hc->addr_conf->default_server->ctx;

    ctx = dr_palloc(c->pool, sizeof(dr_http_log_ctx_t));
    if (ctx == NULL) {
        dr_http_close_connection(c);
        return;
    }

    ctx->connection = c;
    ctx->request = NULL;
    ctx->current_request = NULL;

    c->log->connection = c->number;
    c->log->handler = dr_http_log_error_handler;
    c->log->data = ctx;
    c->log->action = "waiting for request";

    c->log_error = DR_ERROR_INFO;

    rev = c->read;
    rev->handler = dr_http_wait_request_handler;
    c->write->handler = dr_http_empty_handler;

    if (rev->ready) {
        /* the deferred accept(): the request is there already */
        rev->handler(rev);
        return;
    }

    cscf = hc->conf_ctx->srv_conf[dr_http_core_module.ctx_index];

    dr_add_timer(rev, cscf->client_header_timeout);
    dr_reusable_connection(c, 1);

    if (dr_handle_read_event(rev, 0) != DR_OK) {
        dr_http_close_connection(c);
        return;
    }
}


static void
dr_http_wait_request_handler(dr_event_t *rev)
{
    size_t                    size;
    ssize_t                   n;
    dr_buf_t                 *b;
    dr_connection_t          *c;
    dr_http_connection_t     *hc;
    dr_http_core_srv_conf_t  *cscf;

    c = rev->data;

    if (rev->timedout) {
        dr_log_error(DR_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        dr_http_close_connection(c);
        return;
    }

    if (c->close) {
        dr_http_close_connection(c);
        return;
    }

    hc = c->data;
    cscf = hc->conf_ctx->srv_conf[dr_http_core_module.ctx_index];

    size = cscf->client_header_buffer_size;

    b = c->buffer;

    if (b == NULL) {
        b = dr_calloc_buf(c->pool);
        if (b == NULL) {
            dr_http_close_connection(c);
            return;
        }

        c->buffer = b;
        b->pos = NULL;
    }

    if (b->pos == NULL) {

        /* the buffer's memory was freed while idle: allocate it again */

        b->start = dr_http_hbuf_alloc(size, c->log);
        if (b->start == NULL) {
            dr_http_close_connection(c);
            return;
        }

        b->pos = b->start;
        b->last = b->start;
        b->end = b->last + size;
        b->temporary = 1;
    }

    n = c->recv(c, b->last, size);

    if (n == DR_AGAIN) {

        if (!rev->timer_set) {
            dr_add_timer(rev, cscf->client_header_timeout);
            dr_reusable_connection(c, 1);
        }

        if (dr_handle_read_event(rev, 0) != DR_OK) {
            dr_http_close_connection(c);
            return;
        }

        /* an idle connection holds no buffer */

        dr_http_hbuf_release(c);

        return;
    }

    if (n == DR_ERROR) {
        dr_http_close_connection(c);
        return;
    }

    if (n == 0) {
        dr_log_error(DR_LOG_INFO, c->log, 0,
                     "client closed connection");
        dr_http_close_connection(c);
        return;
    }

    b->last += n;

    c->log->action = "reading client request line";

    dr_reusable_connection(c, 0);

    c->data = dr_http_create_request(c);
    if (c->data == NULL) {
        c->data = hc;
        dr_http_close_connection(c);
        return;
    }

    rev->handler = dr_http_process_request_head;
    dr_http_process_request_head(rev);
}


dr_http_request_t *
dr_http_create_request(dr_connection_t *c)
{
    dr_pool_t                 *pool;
    dr_time_t                 *tp;
    dr_http_request_t         *r;
    dr_http_log_ctx_t         *ctx;
    dr_http_connection_t      *hc;
    dr_http_parse_header_t    *headers;
    dr_http_core_srv_conf_t   *cscf;
    dr_http_core_main_conf_t  *cmcf;

    c->requests++;

    hc = c->data;

    cscf = hc->conf_ctx->srv_conf[dr_http_core_module.ctx_index];

    pool = dr_http_request_pool_get(cscf->request_pool_size, c->log);
    if (pool == NULL) {
        return NULL;
    }

    r = dr_pcalloc(pool, sizeof(dr_http_request_t));
    if (r == NULL) {
        dr_http_request_pool_put(pool);
        return NULL;
    }

    r->pool = pool;

    r->http_connection = hc;
    r->signature = 0x50545448;      /* "HTTP" */
    r->connection = c;

    r->main_conf = hc->conf_ctx->main_conf;
    r->srv_conf = hc->conf_ctx->srv_conf;
    r->loc_conf = hc->conf_ctx->loc_conf;

    r->read_event_handler = dr_http_block_reading;

    r->header_in = hc->large ? hc->large : c->buffer;
    r->request_start = r->header_in->pos;

    headers = dr_palloc(pool, DR_HTTP_HEADERS_START
                              * sizeof(dr_http_parse_header_t));
    if (headers == NULL) {
        dr_http_request_pool_put(pool);
        return NULL;
    }

    dr_http_parse_request_init(&r->parse, headers, DR_HTTP_HEADERS_START);

    if (dr_list_init(&r->headers_out.headers, r->pool,
                     DR_HTTP_HEADERS_OUT_START, sizeof(dr_table_elt_t))
        != DR_OK)
    {
        dr_http_request_pool_put(r->pool);
        return NULL;
    }

    if (dr_list_init(&r->headers_out.trailers, r->pool, 1,
                     sizeof(dr_table_elt_t))
        != DR_OK)
    {
        dr_http_request_pool_put(r->pool);
        return NULL;
    }

    r->ctx = dr_pcalloc(r->pool, sizeof(void *) * (dr_http_max_module + 1));
    if (r->ctx == NULL) {
        dr_http_request_pool_put(r->pool);
        return NULL;
    }

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    r->variables = dr_pcalloc(r->pool, (cmcf->variables.nelts + 1)
                                       * sizeof(dr_http_variable_value_t));
    if (r->variables == NULL) {
        dr_http_request_pool_put(r->pool);
        return NULL;
    }

    r->main = r;
    r->count = 1;

    tp = dr_timeofday();
    r->start_sec = tp->sec;
    r->start_msec = tp->msec;

    r->method = DR_HTTP_UNKNOWN;
    r->http_version = DR_HTTP_VERSION_10;

    r->headers_in.content_length_n = -1;
    r->headers_in.keep_alive_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;

    r->uri_changes = DR_HTTP_MAX_URI_CHANGES + 1;
    r->subrequests = DR_HTTP_MAX_SUBREQUESTS + 1;

    r->http_state = DR_HTTP_READING_REQUEST_STATE;

    r->log_handler = NULL;

    ctx = c->log->data;
    ctx->request = r;
    ctx->current_request = r;

    return r;
}


/*
 * The head's read and parse loop. The parser is called with the whole
 * head so far each time; it resumes where it stopped, so nothing is
 * scanned twice. It runs again at once after a buffer move and after the
 * header array grew.
 */
static void
dr_http_process_request_head(dr_event_t *rev)
{
    ssize_t             n;
    dr_int_t            rc;
    dr_connection_t    *c;
    dr_http_request_t  *r;

    c = rev->data;
    r = c->data;

    if (rev->timedout) {
        dr_log_error(DR_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;
        dr_http_close_request(r, DR_HTTP_REQUEST_TIME_OUT);
        return;
    }

    for ( ;; ) {

        rc = dr_http_parse_request(&r->parse, r->request_start,
                                   r->header_in->last - r->request_start);

        if (rc >= 0) {

            /* the head is complete */

            r->header_in->pos = r->request_start + rc;
            r->header_size = rc;
            r->request_length = rc;

            if (dr_http_check_head_lines(r) != DR_OK) {
                break;
            }

            dr_http_head_fields(r);

            if (dr_http_process_request_uri(r) != DR_OK) {
                break;
            }

            if (dr_http_process_request_header(r) != DR_OK) {
                break;
            }

            dr_http_process_request(r);

            break;
        }

        if (rc == DR_PARSE_AGAIN) {

            if (r->header_in->last == r->header_in->end) {

                rc = dr_http_alloc_large_header_buffer(r);

                if (rc == DR_ERROR) {
                    dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
                    break;
                }

                if (rc == DR_DECLINED) {

                    if (r->parse.state <= DR_HTTP_PARSE_STATE_LINE) {
                        dr_http_head_error(r, DR_HTTP_REQUEST_URI_TOO_LARGE,
                                           "too long URI");
                        break;
                    }

                    dr_http_head_error(r, DR_HTTP_REQUEST_HEADER_TOO_LARGE,
                                       "too long header line or head");
                    break;
                }

                /* moved: parse the same bytes at their new place */
                continue;
            }

            n = dr_http_read_request_header(r);

            if (n == DR_AGAIN || n == DR_ERROR) {
                break;
            }

            continue;
        }

        /* DR_PARSE_ERROR */

        if (r->parse.err == DR_HTTP_PARSE_ERR_TOO_MANY_HEADERS) {
            rc = dr_http_grow_headers(r);

            if (rc == DR_OK) {
                continue;
            }

            if (rc == DR_ERROR) {
                dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
                break;
            }
        }

        dr_http_head_error(r, dr_http_parse_err_status(r->parse.err),
                           dr_http_parse_err_text(r->parse.err));
        break;
    }

    dr_http_run_posted_requests(c);
}


static ssize_t
dr_http_read_request_header(dr_http_request_t *r)
{
    ssize_t                   n;
    dr_event_t               *rev;
    dr_connection_t          *c;
    dr_http_core_srv_conf_t  *cscf;

    c = r->connection;
    rev = c->read;

    if (rev->ready) {
        n = c->recv(c, r->header_in->last,
                    r->header_in->end - r->header_in->last);

    } else {
        n = DR_AGAIN;
    }

    if (n == DR_AGAIN) {
        if (!rev->timer_set) {
            cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
            dr_add_timer(rev, cscf->client_header_timeout);
        }

        if (dr_handle_read_event(rev, 0) != DR_OK) {
            dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_ERROR;
        }

        return DR_AGAIN;
    }

    if (n == 0) {
        dr_log_error(DR_LOG_INFO, c->log, 0,
                     "client prematurely closed connection");
    }

    if (n == 0 || n == DR_ERROR) {
        c->error = 1;
        c->log->action = "reading client request headers";

        dr_http_finalize_request(r, DR_HTTP_BAD_REQUEST);
        return DR_ERROR;
    }

    r->header_in->last += n;

    return n;
}


/*
 * The head filled its buffer. A line (the request line, or the header
 * line being read) may be as long as one large buffer; the whole head
 * as long as all of them together. The head moves, whole, to the start
 * of its buffer (pipelining left it further in) or to a larger buffer
 * in c->pool, which is freed at keep-alive. DR_OK, DR_DECLINED (too
 * long), DR_ERROR.
 */
static dr_int_t
dr_http_alloc_large_header_buffer(dr_http_request_t *r)
{
    u_char                   *start;
    size_t                    used, line, size, max;
    dr_buf_t                 *old, *b;
    dr_connection_t          *c;
    dr_http_connection_t     *hc;
    dr_http_core_srv_conf_t  *cscf;

    c = r->connection;
    hc = r->http_connection;
    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);

    old = r->header_in;
    start = r->request_start;
    used = old->last - start;

    line = old->last - (start + r->parse.pos);

    if (line >= cscf->large_client_header_buffers.size) {
        return DR_DECLINED;
    }

    max = cscf->large_client_header_buffers.size
          * cscf->large_client_header_buffers.num;

    if (used >= max) {
        return DR_DECLINED;
    }

    if (start != old->start && used < (size_t) (old->end - old->start) / 2) {

        /* a pipelined head late in its buffer: move it to the start */

        dr_memmove(old->start, start, used);
        old->pos = old->start;
        old->last = old->start + used;
        r->request_start = old->start;

        return DR_OK;
    }

    size = dr_max((size_t) cscf->large_client_header_buffers.size, 2 * used);
    size = dr_min(size, max);

    b = hc->large;

    if (b == NULL) {
        b = dr_calloc_buf(c->pool);
        if (b == NULL) {
            return DR_ERROR;
        }
    }

    start = dr_palloc(c->pool, size);
    if (start == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(start, r->request_start, used);

    if (old == hc->large) {
        (void) dr_pfree(c->pool, old->start);

    } else {
        /* the small buffer is empty now: the next request may use it */
        old->pos = old->start;
        old->last = old->start;
    }

    b->start = start;
    b->pos = start;
    b->last = start + used;
    b->end = start + size;
    b->temporary = 1;

    hc->large = b;
    r->header_in = b;
    r->request_start = start;

    return DR_OK;
}


/*
 * A head that arrived in few reads may hold a line longer than one large
 * buffer, which nginx never accepts (414 for the request line, 494 for a
 * header line). Only a head larger than a large buffer can: the others
 * are not looked at.
 */
static dr_int_t
dr_http_check_head_lines(dr_http_request_t *r)
{
    size_t                    size;
    dr_uint_t                 i;
    dr_http_parse_header_t   *h;
    dr_http_core_srv_conf_t  *cscf;

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
    size = cscf->large_client_header_buffers.size;

    if (r->header_size < size) {
        return DR_OK;
    }

    if (r->parse.request_line.len + 2 > size) {
        dr_http_head_error(r, DR_HTTP_REQUEST_URI_TOO_LARGE, "too long URI");
        return DR_ERROR;
    }

    h = r->parse.fields.headers;

    for (i = 0; i < r->parse.fields.nheaders; i++) {
        if ((size_t) (h[i].value.data + h[i].value.len + 2 - h[i].name.data)
            > size)
        {
            dr_http_head_error(r, DR_HTTP_REQUEST_HEADER_TOO_LARGE,
                               "too long header line");
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/*
 * The parser's header array is full: give it a twice larger one, up to
 * DR_HTTP_MAX_HEADERS, and resume. The parser fails a line before taking
 * anything from it, so the failed line is simply parsed again.
 */
static dr_int_t
dr_http_grow_headers(dr_http_request_t *r)
{
    dr_uint_t                 n;
    dr_http_parse_fields_t   *f;
    dr_http_parse_header_t   *h;

    f = &r->parse.fields;

    if (f->max_headers >= DR_HTTP_MAX_HEADERS) {
        return DR_DECLINED;
    }

    n = dr_min(f->max_headers * 2, DR_HTTP_MAX_HEADERS);

    h = dr_palloc(r->pool, n * sizeof(dr_http_parse_header_t));
    if (h == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(h, f->headers, f->nheaders * sizeof(dr_http_parse_header_t));

    f->headers = h;
    f->max_headers = n;

    r->parse.state = DR_HTTP_PARSE_STATE_HEADERS;
    r->parse.err = DR_HTTP_PARSE_ERR_NONE;

    return DR_OK;
}


/* a head the parser or the limits refused: answer and close */
static void
dr_http_head_error(dr_http_request_t *r, dr_uint_t status, const char *text)
{
    dr_connection_t  *c;

    c = r->connection;

    if (r->parse.state >= DR_HTTP_PARSE_STATE_HEADERS
        || r->parse.request_line.len)
    {
        dr_http_head_fields(r);
    }

    c->log->action = "reading client request headers";

    dr_log_error(DR_LOG_INFO, c->log, 0, "client sent %s", text);

    r->keepalive = 0;
    r->lingering_close = 1;

    dr_http_finalize_request(r, status);
}


/* the request line's parts as the request keeps them */
static void
dr_http_head_fields(dr_http_request_t *r)
{
    dr_http_parse_request_t  *p;

    p = &r->parse;

    if (p->request_line.len == 0) {
        return;
    }

    r->request_line = p->request_line;
    r->method = p->method;
    r->method_name = p->method_name;

    if (p->http_version) {
        r->http_version = p->http_version;

        /* "HTTP/1.1" ends the request line */
        r->http_protocol.len = 8;
        r->http_protocol.data = p->request_line.data + p->request_line.len - 8;
    }

    r->schema = p->schema;

    r->quoted_uri = p->quoted_uri;
    r->complex_uri = p->complex_uri;
    r->plus_in_uri = p->plus_in_uri;
    r->empty_path_in_uri = p->empty_path;
}


dr_int_t
dr_http_process_request_uri(dr_http_request_t *r)
{
    u_char                   *end;
    size_t                    len;
    dr_uint_t                 err;
    dr_http_parse_request_t  *p;
    dr_http_core_srv_conf_t  *cscf;

    p = &r->parse;

    if (p->target_form == DR_HTTP_PARSE_TARGET_AUTHORITY) {
        dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                     "client sent CONNECT method");
        dr_http_finalize_request(r, DR_HTTP_NOT_ALLOWED);
        return DR_ERROR;
    }

    r->args = p->args;

    /* $request_uri: from the path on, as sent (nginx's unparsed_uri) */

    end = p->target.data + p->target.len;

    if (p->path.len || p->args.data) {
        r->unparsed_uri.data = p->path.data;
        r->unparsed_uri.len = end - p->path.data;
    }

    if (p->target_form == DR_HTTP_PARSE_TARGET_ASTERISK) {
        r->uri = p->path;

    } else if (p->path.len == 0) {
        dr_str_set(&r->uri, "/");

        if (r->unparsed_uri.len == 0 || r->unparsed_uri.data[0] != '/') {
            dr_str_set(&r->unparsed_uri, "/");
        }

    } else if (p->complex_uri || p->quoted_uri) {

        cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);

        r->uri.data = dr_pnalloc(r->pool, p->path.len);
        if (r->uri.data == NULL) {
            dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_ERROR;
        }

        if (dr_http_parse_uri_normalize(p->path.data, p->path.len,
                                        r->uri.data, &len,
                                        cscf->merge_slashes, &err)
            != DR_OK)
        {
            r->uri.len = 0;

            dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                         "client sent invalid request: %s",
                         dr_http_parse_err_text(err));

            r->keepalive = 0;
            dr_http_finalize_request(r, DR_HTTP_BAD_REQUEST);
            return DR_ERROR;
        }

        r->uri.len = len;

    } else {
        r->uri = p->path;
    }

    r->valid_unparsed_uri = 1;

    dr_http_set_exten(r);

    dr_log_debug(r->connection->log, "http uri: \"%V\" args: \"%V\"",
                 &r->uri, &r->args);

    return DR_OK;
}


dr_int_t
dr_http_process_request_header(dr_http_request_t *r)
{
    u_char                   *p, *e;
    dr_str_t                  host;
    dr_http_parse_fields_t   *f;

    f = &r->parse.fields;

    /* the virtual server: by the target's host, else by Host */

    host = r->parse.server;

    if (host.len) {
        for (p = host.data, e = host.data + host.len; p < e; p++) {
            if (*p >= 'A' && *p <= 'Z') {
                break;
            }
        }

        if (p < e) {
            host.data = dr_pnalloc(r->pool, host.len);
            if (host.data == NULL) {
                dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
                return DR_ERROR;
            }

            dr_strlow(host.data, r->parse.server.data, host.len);
        }
    }

    r->headers_in.server = host;

    if (dr_http_set_virtual_server(r, &host) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_http_process_headers(r) != DR_OK) {
        return DR_ERROR;
    }

    r->headers_in.content_length_n = f->content_length_n;
    r->headers_in.chunked = f->chunked;
    r->headers_in.expect_continue = f->expect_continue;
    r->headers_in.upgrade_requested = f->conn_upgrade;

    if (f->conn_close) {
        r->headers_in.connection_type = DR_HTTP_CONNECTION_CLOSE;

    } else if (f->conn_keep_alive) {
        r->headers_in.connection_type = DR_HTTP_CONNECTION_KEEP_ALIVE;
    }

    if (r->method == DR_HTTP_TRACE) {
        dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                     "client sent TRACE method");
        dr_http_finalize_request(r, DR_HTTP_NOT_ALLOWED);
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * r->headers_in.headers from the parser's array: views, with a lowercase
 * copy of each name and the shortcuts of the known ones. Names outside
 * [A-Za-z0-9-] (and '_' with underscores_in_headers) are dropped when
 * ignore_invalid_headers is on, as nginx does.
 */
static dr_int_t
dr_http_process_headers(dr_http_request_t *r)
{
    dr_uint_t                  i, n;
    dr_table_elt_t            *h;
    dr_http_header_t          *hh;
    dr_http_parse_header_t    *ph;
    dr_http_core_srv_conf_t   *cscf;
    dr_http_core_main_conf_t  *cmcf;

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    n = r->parse.fields.nheaders;
    ph = r->parse.fields.headers;

    if (dr_list_init(&r->headers_in.headers, r->pool, n ? n : 1,
                     sizeof(dr_table_elt_t))
        != DR_OK)
    {
        dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_ERROR;
    }

    for (i = 0; i < n; i++) {

        if (!dr_http_valid_header_name(&ph[i].name,
                                       cscf->underscores_in_headers))
        {
            if (cscf->ignore_invalid_headers) {
                dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                             "client sent invalid header line: \"%V\"",
                             &ph[i].name);
                continue;
            }
        }

        h = dr_list_push(&r->headers_in.headers);
        if (h == NULL) {
            dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_ERROR;
        }

        h->key = ph[i].name;
        h->value = ph[i].value;
        h->next = NULL;

        h->lowcase_key = dr_pnalloc(r->pool, h->key.len);
        if (h->lowcase_key == NULL) {
            dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_ERROR;
        }

        h->hash = dr_hash_strlow(h->lowcase_key, h->key.data, h->key.len);

        hh = dr_hash_find(&cmcf->headers_in_hash, h->hash, h->lowcase_key,
                          h->key.len);

        if (hh && hh->handler(r, h, hh->offset) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static dr_uint_t
dr_http_valid_header_name(dr_str_t *name, dr_uint_t underscores)
{
    u_char  *p, *last, ch;

    for (p = name->data, last = p + name->len; p < last; p++) {
        ch = *p;

        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')
            || (ch >= '0' && ch <= '9') || ch == '-')
        {
            continue;
        }

        if (ch == '_' && underscores) {
            continue;
        }

        return 0;
    }

    return 1;
}


static dr_int_t
dr_http_process_header_line(dr_http_request_t *r, dr_table_elt_t *h,
    dr_uint_t offset)
{
    dr_table_elt_t  **ph;

    ph = (dr_table_elt_t **) ((char *) &r->headers_in + offset);

    while (*ph) {
        ph = &(*ph)->next;
    }

    *ph = h;
    h->next = NULL;

    return DR_OK;
}


static dr_int_t
dr_http_process_unique_header_line(dr_http_request_t *r, dr_table_elt_t *h,
    dr_uint_t offset)
{
    dr_table_elt_t  **ph;

    ph = (dr_table_elt_t **) ((char *) &r->headers_in + offset);

    if (*ph == NULL) {
        *ph = h;
        h->next = NULL;
        return DR_OK;
    }

    dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                 "client sent duplicate header line: \"%V: %V\", "
                 "previous value: \"%V: %V\"",
                 &h->key, &h->value, &(*ph)->key, &(*ph)->value);

    r->keepalive = 0;
    r->lingering_close = 1;

    dr_http_finalize_request(r, DR_HTTP_BAD_REQUEST);

    return DR_ERROR;
}


static dr_int_t
dr_http_process_user_agent(dr_http_request_t *r, dr_table_elt_t *h,
    dr_uint_t offset)
{
    u_char  *user_agent, *msie;

    if (r->headers_in.user_agent) {
        return DR_OK;
    }

    r->headers_in.user_agent = h;
    h->next = NULL;

    /* check some widespread browsers while the header is in CPU cache */

    user_agent = h->value.data;

    msie = dr_strlcasestrn(user_agent, user_agent + h->value.len,
                           (u_char *) "MSIE ", 5);

    if (msie && msie + 7 < user_agent + h->value.len) {

        r->headers_in.msie = 1;

        if (msie[6] == '.') {

            switch (msie[5]) {
            case '4':
            case '5':
                r->headers_in.msie6 = 1;
                break;
            case '6':
                if (dr_strlcasestrn(msie + 8, user_agent + h->value.len,
                                    (u_char *) "SV1", 3)
                    == NULL)
                {
                    r->headers_in.msie6 = 1;
                }
                break;
            }
        }
    }

    if (dr_strlcasestrn(user_agent, user_agent + h->value.len,
                        (u_char *) "Opera", 5))
    {
        r->headers_in.opera = 1;
        r->headers_in.msie = 0;
        r->headers_in.msie6 = 0;
    }

    if (!r->headers_in.msie && !r->headers_in.opera) {

        if (dr_strlcasestrn(user_agent, user_agent + h->value.len,
                            (u_char *) "Gecko/", 6))
        {
            r->headers_in.gecko = 1;

        } else if (dr_strlcasestrn(user_agent, user_agent + h->value.len,
                                   (u_char *) "Chrome/", 7))
        {
            r->headers_in.chrome = 1;

        } else if (dr_strlcasestrn(user_agent, user_agent + h->value.len,
                                   (u_char *) "Safari/", 7)
                   && dr_strlcasestrn(user_agent, user_agent + h->value.len,
                                      (u_char *) "Mac OS X", 8))
        {
            r->headers_in.safari = 1;

        } else if (dr_strlcasestrn(user_agent, user_agent + h->value.len,
                                   (u_char *) "Konqueror", 9))
        {
            r->headers_in.konqueror = 1;
        }
    }

    return DR_OK;
}


static dr_int_t
dr_http_set_virtual_server(dr_http_request_t *r, dr_str_t *host)
{
    dr_int_t                  rc;
    dr_http_connection_t     *hc;
    dr_http_core_loc_conf_t  *clcf;
    dr_http_core_srv_conf_t  *cscf;

    hc = r->http_connection;

    rc = dr_http_find_virtual_server(r, hc->addr_conf->virtual_names, host,
                                     &cscf);

    if (rc == DR_ERROR) {
        dr_http_close_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_ERROR;
    }

    if (rc == DR_DECLINED) {
        return DR_OK;
    }

    r->srv_conf = cscf->ctx->srv_conf;
    r->loc_conf = cscf->ctx->loc_conf;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    dr_http_set_connection_log(r->connection, clcf->error_log);

    return DR_OK;
}


/*
 * nginx's order: the exact name, the longest "*.x" / ".x", the longest
 * "x.*" (one combined hash), then the ~regex names in the order of the
 * configuration; the address's default server otherwise (DR_DECLINED).
 */
static dr_int_t
dr_http_find_virtual_server(dr_http_request_t *r,
    dr_http_virtual_names_t *virtual_names, dr_str_t *host,
    dr_http_core_srv_conf_t **cscfp)
{
    u_char                   *name;
    dr_int_t                  rc;
    dr_uint_t                 i;
    dr_http_server_name_t    *sn;
    dr_http_core_srv_conf_t  *cscf;

    if (virtual_names == NULL) {
        return DR_DECLINED;
    }

    /* no Host: the "" name; never a NULL pointer to the hash's memcmp() */

    name = host->data ? host->data : (u_char *) "";

    cscf = dr_hash_find_combined(&virtual_names->names,
                                 dr_hash_key(name, host->len),
                                 name, host->len);

    if (cscf) {
        *cscfp = cscf;
        return DR_OK;
    }

    if (host->len && virtual_names->nregex) {

        sn = virtual_names->regex;

        for (i = 0; i < virtual_names->nregex; i++) {

            rc = dr_http_regex_exec(r, sn[i].regex, host);

            if (rc == DR_DECLINED) {
                continue;
            }

            if (rc == DR_OK) {
                *cscfp = sn[i].server;
                return DR_OK;
            }

            return DR_ERROR;
        }
    }

    return DR_DECLINED;
}


void
dr_http_process_request(dr_http_request_t *r)
{
    dr_connection_t  *c;

    c = r->connection;

    if (c->read->timer_set) {
        dr_del_timer(c->read);
    }

    r->http_state = DR_HTTP_PROCESS_REQUEST_STATE;

    c->read->handler = dr_http_request_handler;
    c->write->handler = dr_http_request_handler;
    r->read_event_handler = dr_http_block_reading;

    dr_http_handler(r);
}


static void
dr_http_request_handler(dr_event_t *ev)
{
    dr_connection_t    *c;
    dr_http_request_t  *r;
    dr_http_log_ctx_t  *ctx;

    c = ev->data;
    r = c->data;

    ctx = c->log->data;
    ctx->current_request = r;

    if (c->close) {
        r->main->count++;
        dr_http_terminate_request(r, 0);
        dr_http_run_posted_requests(c);
        return;
    }

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        r->write_event_handler(r);

    } else {
        r->read_event_handler(r);
    }

    dr_http_run_posted_requests(c);
}


/* no subrequests: nothing is ever posted; kept for nginx's call sites */
void
dr_http_run_posted_requests(dr_connection_t *c)
{
    (void) c;
}


void
dr_http_finalize_request(dr_http_request_t *r, dr_int_t rc)
{
    dr_connection_t  *c;

    c = r->connection;

    dr_log_debug(c->log, "http finalize request: %i, \"%V?%V\" a:%d, c:%d",
                 rc, &r->uri, &r->args, r == c->data, r->main->count);

    if (rc == DR_DONE) {
        dr_http_finalize_connection(r);
        return;
    }

    if (rc == DR_OK && r->filter_finalize) {
        c->error = 1;
    }

    if (rc == DR_DECLINED) {
        r->content_handler = NULL;
        r->write_event_handler = dr_http_core_run_phases;
        dr_http_core_run_phases(r);
        return;
    }

    if (rc == DR_ERROR
        || rc == DR_HTTP_REQUEST_TIME_OUT
        || rc == DR_HTTP_CLIENT_CLOSED_REQUEST
        || c->error)
    {
        dr_http_terminate_request(r, rc);
        return;
    }

    if (rc >= DR_HTTP_SPECIAL_RESPONSE
        || rc == DR_HTTP_CREATED
        || rc == DR_HTTP_NO_CONTENT)
    {
        if (rc == DR_HTTP_CLOSE) {
            c->timedout = 1;
            dr_http_terminate_request(r, rc);
            return;
        }

        if (c->read->timer_set) {
            dr_del_timer(c->read);
        }

        if (c->write->timer_set) {
            dr_del_timer(c->write);
        }

        c->read->handler = dr_http_request_handler;
        c->write->handler = dr_http_request_handler;

        dr_http_finalize_request(r, dr_http_special_response_handler(r, rc));
        return;
    }

    if (r->buffered || c->buffered) {

        if (dr_http_set_write_handler(r) != DR_OK) {
            dr_http_terminate_request(r, 0);
        }

        return;
    }

    if (r != c->data) {
        dr_log_error(DR_LOG_ALERT, c->log, 0,
                     "http finalize non-active request: \"%V?%V\"",
                     &r->uri, &r->args);
        return;
    }

    r->done = 1;

    r->read_event_handler = dr_http_block_reading;
    r->write_event_handler = dr_http_request_empty_handler;

    if (!r->post_action) {
        r->request_complete = 1;
    }

    if (c->read->timer_set) {
        dr_del_timer(c->read);
    }

    if (c->write->timer_set) {
        c->write->delayed = 0;
        dr_del_timer(c->write);
    }

    dr_http_finalize_connection(r);
}


void
dr_http_terminate_request(dr_http_request_t *r, dr_int_t rc)
{
    dr_http_cleanup_t  *cln;
    dr_http_request_t  *mr;

    mr = r->main;

    dr_log_debug(r->connection->log, "http terminate request count:%d",
                 mr->count);

    if (rc > 0 && (mr->headers_out.status == 0 || mr->connection->sent == 0)) {
        mr->headers_out.status = rc;
    }

    cln = mr->cleanup;
    mr->cleanup = NULL;

    while (cln) {
        if (cln->handler) {
            cln->handler(cln->data);
        }

        cln = cln->next;
    }

    mr->count = 1;

    dr_http_close_request(mr, rc);
}


static void
dr_http_finalize_connection(dr_http_request_t *r)
{
    dr_http_core_loc_conf_t  *clcf;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (r->main->count != 1) {

        if (r->discard_body) {
            r->read_event_handler = dr_http_discarded_request_body_handler;
            dr_add_timer(r->connection->read, clcf->lingering_timeout);

            if (r->lingering_time == 0) {
                r->lingering_time = dr_time()
                                      + (time_t) (clcf->lingering_time / 1000);
            }
        }

        dr_http_close_request(r, 0);
        return;
    }

    r = r->main;

    if (r->connection->read->eof) {
        dr_http_close_request(r, 0);
        return;
    }

    if (r->reading_body) {
        r->keepalive = 0;
        r->lingering_close = 1;
    }

    if (!dr_terminate
        && !dr_exiting
        && r->keepalive
        && clcf->keepalive_timeout > 0)
    {
        dr_http_set_keepalive(r);
        return;
    }

    if (clcf->lingering_close == DR_HTTP_LINGERING_ALWAYS
        || (clcf->lingering_close == DR_HTTP_LINGERING_ON
            && (r->lingering_close
                || r->header_in->pos < r->header_in->last
                || r->connection->read->ready
                || r->pipeline)))
    {
        dr_http_set_lingering_close(r->connection);
        return;
    }

    dr_http_close_request(r, 0);
}


static dr_int_t
dr_http_set_write_handler(dr_http_request_t *r)
{
    dr_event_t               *wev;
    dr_http_core_loc_conf_t  *clcf;

    r->http_state = DR_HTTP_WRITING_REQUEST_STATE;

    r->read_event_handler = r->discard_body
                            ? dr_http_discarded_request_body_handler
                            : dr_http_test_reading;
    r->write_event_handler = dr_http_writer;

    wev = r->connection->write;

    if (wev->ready && wev->delayed) {
        return DR_OK;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (!wev->delayed) {
        dr_add_timer(wev, clcf->send_timeout);
    }

    if (dr_handle_write_event(wev, clcf->send_lowat) != DR_OK) {
        dr_http_close_request(r, 0);
        return DR_ERROR;
    }

    return DR_OK;
}


static void
dr_http_writer(dr_http_request_t *r)
{
    dr_int_t                  rc;
    dr_event_t               *wev;
    dr_connection_t          *c;
    dr_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = c->write;

    clcf = dr_http_get_module_loc_conf(r->main, dr_http_core_module);

    if (wev->timedout) {
        dr_log_error(DR_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;

        dr_http_finalize_request(r, DR_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (wev->delayed) {
        if (dr_handle_write_event(wev, clcf->send_lowat) != DR_OK) {
            dr_http_close_request(r, 0);
        }

        return;
    }

    rc = dr_http_output_filter(r, NULL);

    if (r->buffered || c->buffered) {

        if (!wev->delayed) {
            dr_add_timer(wev, clcf->send_timeout);
        }

        if (dr_handle_write_event(wev, clcf->send_lowat) != DR_OK) {
            dr_http_close_request(r, 0);
        }

        return;
    }

    r->write_event_handler = dr_http_request_empty_handler;

    dr_http_finalize_request(r, rc);
}


void
dr_http_block_reading(dr_http_request_t *r)
{
    /* edge-triggered epoll: nothing to remove */
    (void) r;
}


void
dr_http_test_reading(dr_http_request_t *r)
{
    int                n;
    char               buf[1];
    dr_err_t           err;
    dr_event_t        *rev;
    dr_connection_t   *c;

    c = r->connection;
    rev = c->read;

    if (rev->pending_eof) {
        rev->eof = 1;
        c->error = 1;
        err = 0;
        goto closed;
    }

    n = recv(c->fd, buf, 1, MSG_PEEK);

    if (n == 0) {
        rev->eof = 1;
        c->error = 1;
        err = 0;

        goto closed;

    } else if (n == -1) {
        err = errno;

        if (err != EAGAIN && err != EINTR) {
            rev->eof = 1;
            c->error = 1;

            goto closed;
        }
    }

    return;

closed:

    if (err) {
        rev->error = 1;
    }

    dr_log_error(DR_LOG_INFO, c->log, err,
                 "client prematurely closed connection");

    dr_http_finalize_request(r, DR_HTTP_CLIENT_CLOSED_REQUEST);
}


static void
dr_http_set_keepalive(dr_http_request_t *r)
{
    dr_buf_t                 *b;
    dr_event_t               *rev, *wev;
    dr_connection_t          *c;
    dr_http_connection_t     *hc;
    dr_http_core_loc_conf_t  *clcf;

    c = r->connection;
    rev = c->read;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    c->log->action = "closing request";

    hc = r->http_connection;
    b = r->header_in;

    r->keepalive = 0;

    dr_http_free_request(r, 0);

    c->data = hc;

    if (dr_handle_read_event(rev, 0) != DR_OK) {
        dr_http_close_connection(c);
        return;
    }

    wev = c->write;
    wev->handler = dr_http_empty_handler;

    if (b->pos < b->last) {

        /* the pipelined request: parsed in place, where it is */

        c->log->action = "reading client pipelined request line";

        r = dr_http_create_request(c);
        if (r == NULL) {
            dr_http_close_connection(c);
            return;
        }

        r->pipeline = 1;

        c->data = r;

        c->sent = 0;
        c->destroyed = 0;

        if (rev->timer_set) {
            dr_del_timer(rev);
        }

        rev->handler = dr_http_process_request_head;
        dr_post_event(rev, &dr_posted_events);
        return;
    }

    /*
     * To keep a memory footprint as small as possible for an idle
     * keepalive connection we try to free the header buffers: only the
     * connection struct, c->pool's first block and a timer remain.
     */

    if (hc->large) {
        (void) dr_pfree(c->pool, hc->large->start);
        hc->large = NULL;
    }

    dr_http_hbuf_release(c);

    c->log->action = "keepalive";

    if (c->tcp_nopush == DR_TCP_NOPUSH_SET) {
        if (dr_tcp_push(c->fd) == -1) {
            dr_connection_error(c, errno, "tcp_push() failed");
            dr_http_close_connection(c);
            return;
        }

        c->tcp_nopush = DR_TCP_NOPUSH_UNSET;
    }

    if (clcf->tcp_nodelay && dr_tcp_nodelay(c) != DR_OK) {
        dr_http_close_connection(c);
        return;
    }

    c->idle = 1;
    dr_reusable_connection(c, 1);

    rev->handler = dr_http_keepalive_handler;

    dr_add_timer(rev, clcf->keepalive_timeout);

    c->sent = 0;
    c->destroyed = 0;

    if (rev->ready) {
        dr_post_event(rev, &dr_posted_events);
    }
}


static void
dr_http_keepalive_handler(dr_event_t *rev)
{
    size_t                    size;
    ssize_t                   n;
    dr_buf_t                 *b;
    dr_connection_t          *c;
    dr_http_connection_t     *hc;
    dr_http_core_srv_conf_t  *cscf;

    c = rev->data;

    if (rev->timedout || c->close) {
        dr_http_close_connection(c);
        return;
    }

    hc = c->data;
    cscf = hc->conf_ctx->srv_conf[dr_http_core_module.ctx_index];

    b = c->buffer;
    size = cscf->client_header_buffer_size;

    if (b->pos == NULL) {

        /*
         * the special note that c->buffer's memory was freed by
         * dr_http_set_keepalive()
         */

        b->start = dr_http_hbuf_alloc(size, c->log);
        if (b->start == NULL) {
            dr_http_close_connection(c);
            return;
        }

        b->pos = b->start;
        b->last = b->start;
        b->end = b->start + size;
    }

    c->log_error = DR_ERROR_IGNORE_ECONNRESET;
    errno = 0;

    n = c->recv(c, b->last, b->end - b->last);

    c->log_error = DR_ERROR_INFO;

    if (n == DR_AGAIN) {
        if (dr_handle_read_event(rev, 0) != DR_OK) {
            dr_http_close_connection(c);
            return;
        }

        dr_http_hbuf_release(c);

        return;
    }

    if (n == DR_ERROR) {
        dr_http_close_connection(c);
        return;
    }

    if (n == 0) {
        c->log->handler = NULL;
        c->log->action = NULL;

        dr_log_error(DR_LOG_INFO, c->log, errno,
                     "client %V closed keepalive connection", &c->addr_text);
        dr_http_close_connection(c);
        return;
    }

    b->last += n;

    c->log->action = "reading client request line";

    c->idle = 0;
    dr_reusable_connection(c, 0);

    c->data = dr_http_create_request(c);
    if (c->data == NULL) {
        c->data = hc;
        dr_http_close_connection(c);
        return;
    }

    c->sent = 0;
    c->destroyed = 0;

    dr_del_timer(rev);

    rev->handler = dr_http_process_request_head;
    dr_http_process_request_head(rev);
}


static void
dr_http_set_lingering_close(dr_connection_t *c)
{
    dr_event_t               *rev, *wev;
    dr_http_request_t        *r;
    dr_http_core_loc_conf_t  *clcf;

    r = c->data;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (r->lingering_time == 0) {
        r->lingering_time = dr_time() + (time_t) (clcf->lingering_time / 1000);
    }

    rev = c->read;
    rev->handler = dr_http_lingering_close_handler;

    if (dr_handle_read_event(rev, 0) != DR_OK) {
        dr_http_close_request(r, 0);
        return;
    }

    wev = c->write;
    wev->handler = dr_http_empty_handler;

    if (shutdown(c->fd, SHUT_WR) == -1) {
        dr_connection_error(c, errno, "shutdown() failed");
        dr_http_close_request(r, 0);
        return;
    }

    c->close = 0;
    dr_reusable_connection(c, 1);

    dr_add_timer(rev, clcf->lingering_timeout);

    if (rev->ready) {
        dr_http_lingering_close_handler(rev);
    }
}


static void
dr_http_lingering_close_handler(dr_event_t *rev)
{
    ssize_t                   n;
    dr_msec_t                 timer;
    dr_connection_t          *c;
    dr_http_request_t        *r;
    dr_http_core_loc_conf_t  *clcf;
    u_char                    buffer[DR_HTTP_LINGERING_BUFFER_SIZE];

    c = rev->data;
    r = c->data;

    if (rev->timedout || c->close) {
        dr_http_close_request(r, 0);
        return;
    }

    timer = (dr_msec_t) r->lingering_time - (dr_msec_t) dr_time();
    if ((dr_msec_int_t) timer <= 0) {
        dr_http_close_request(r, 0);
        return;
    }

    do {
        n = c->recv(c, buffer, DR_HTTP_LINGERING_BUFFER_SIZE);

        if (n == DR_AGAIN) {
            break;
        }

        if (n == DR_ERROR || n == 0) {
            dr_http_close_request(r, 0);
            return;
        }

    } while (rev->ready);

    if (dr_handle_read_event(rev, 0) != DR_OK) {
        dr_http_close_request(r, 0);
        return;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    timer *= 1000;

    if (timer > clcf->lingering_timeout) {
        timer = clcf->lingering_timeout;
    }

    dr_add_timer(rev, timer);
}


void
dr_http_empty_handler(dr_event_t *wev)
{
    (void) wev;
}


void
dr_http_request_empty_handler(dr_http_request_t *r)
{
    (void) r;
}


dr_int_t
dr_http_send_special(dr_http_request_t *r, dr_uint_t flags)
{
    dr_buf_t    *b;
    dr_chain_t   out;

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_ERROR;
    }

    if (flags & DR_HTTP_LAST) {

        if (!r->post_action) {
            b->last_buf = 1;

        } else {
            b->sync = 1;
            b->last_in_chain = 1;
        }
    }

    if (flags & DR_HTTP_FLUSH) {
        b->flush = 1;
    }

    out.buf = b;
    out.next = NULL;

    return dr_http_output_filter(r, &out);
}


static void
dr_http_close_request(dr_http_request_t *r, dr_int_t rc)
{
    dr_connection_t  *c;

    r = r->main;
    c = r->connection;

    if (r->count == 0) {
        dr_log_error(DR_LOG_ALERT, c->log, 0, "http request count is zero");
    }

    r->count--;

    if (r->count || r->blocked) {
        return;
    }

    dr_http_free_request(r, rc);
    dr_http_close_connection(c);
}


void
dr_http_free_request(dr_http_request_t *r, dr_int_t rc)
{
    dr_log_t                 *log;
    dr_pool_t                *pool;
    struct linger             linger;
    dr_http_cleanup_t        *cln;
    dr_http_log_ctx_t        *ctx;
    dr_http_core_loc_conf_t  *clcf;

    log = r->connection->log;

    if (r->pool == NULL) {
        dr_log_error(DR_LOG_ALERT, log, 0, "http request already closed");
        return;
    }

    cln = r->cleanup;
    r->cleanup = NULL;

    while (cln) {
        if (cln->handler) {
            cln->handler(cln->data);
        }

        cln = cln->next;
    }

    if (rc > 0 && (r->headers_out.status == 0 || r->connection->sent == 0)) {
        r->headers_out.status = rc;
    }

    if (!r->logged) {
        log->action = "logging request";

        dr_http_log_request(r);
    }

    log->action = "closing request";

    if (r->connection->timedout) {
        clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

        if (clcf->reset_timedout_connection) {
            linger.l_onoff = 1;
            linger.l_linger = 0;

            if (setsockopt(r->connection->fd, SOL_SOCKET, SO_LINGER,
                           (const void *) &linger, sizeof(struct linger))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, log, errno,
                             "setsockopt(SO_LINGER) failed");
            }
        }
    }

    /* the various request strings were allocated from r->pool */
    ctx = log->data;
    ctx->request = NULL;
    ctx->current_request = NULL;

    r->request_line.len = 0;

    pool = r->pool;
    r->pool = NULL;

    dr_http_request_pool_put(pool);
}


static void
dr_http_log_request(dr_http_request_t *r)
{
    dr_uint_t                  i, n;
    dr_http_handler_pt        *log_handler;
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    log_handler = cmcf->phases[DR_HTTP_LOG_PHASE].handlers.elts;
    n = cmcf->phases[DR_HTTP_LOG_PHASE].handlers.nelts;

    for (i = 0; i < n; i++) {
        log_handler[i](r);
    }

    r->logged = 1;
}


void
dr_http_close_connection(dr_connection_t *c)
{
    dr_pool_t  *pool;

    dr_log_debug(c->log, "close http connection: %d", c->fd);

    if (c->buffer) {
        dr_http_hbuf_release(c);
    }

    c->destroyed = 1;

    pool = c->pool;

    dr_close_connection(c);

    dr_destroy_pool(pool);
}


u_char *
dr_http_log_error_handler(dr_log_t *log, u_char *buf, size_t len)
{
    u_char              *p;
    dr_http_request_t   *r;
    dr_http_log_ctx_t   *ctx;

    /* the log core has written " while <action>" already */

    ctx = log->data;

    p = dr_snprintf(buf, len, ", client: %V", &ctx->connection->addr_text);
    len -= p - buf;

    r = ctx->request;

    if (r) {
        return dr_http_log_error_request(r, p, len);

    } else {
        p = dr_snprintf(p, len, ", server: %V",
                        &ctx->connection->listening->addr_text);
    }

    return p;
}


static u_char *
dr_http_log_error_request(dr_http_request_t *r, u_char *buf, size_t len)
{
    u_char                   *p, *s, *e, *q;
    dr_http_core_srv_conf_t  *cscf;

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);

    p = dr_snprintf(buf, len, ", server: %V", &cscf->server_name);
    len -= p - buf;
    buf = p;

    if (r->request_line.data == NULL && r->parse.request_line.data) {

        /* a request line the parser refused: up to its end or 512 bytes */

        s = r->parse.request_line.data;
        e = r->header_in->last;

        if (s >= r->header_in->start && s < e) {
            for (q = s; q < e && q - s < 512 && *q != CR && *q != LF; q++) {
                /* void */
            }

            p = dr_snprintf(buf, len, ", request: \"%*s\"",
                            (size_t) (q - s), s);
            len -= p - buf;
            buf = p;
        }
    }

    if (r->request_line.len) {
        p = dr_snprintf(buf, len, ", request: \"%V\"", &r->request_line);
        len -= p - buf;
        buf = p;
    }

    if (r->headers_in.host) {
        p = dr_snprintf(buf, len, ", host: \"%V\"",
                        &r->headers_in.host->value);
        len -= p - buf;
        buf = p;
    }

    if (r->headers_in.referer) {
        p = dr_snprintf(buf, len, ", referrer: \"%V\"",
                        &r->headers_in.referer->value);
        buf = p;
    }

    return buf;
}


dr_int_t
dr_http_arg(dr_http_request_t *r, u_char *name, size_t len, dr_str_t *value)
{
    u_char  *p, *last;

    if (r->args.len == 0) {
        return DR_DECLINED;
    }

    p = r->args.data;
    last = p + r->args.len;

    for ( /* void */ ; p < last; p++) {

        /* we need '=' after name, so drop one char from last */

        p = dr_strlcasestrn(p, last - 1, name, len);

        if (p == NULL) {
            return DR_DECLINED;
        }

        if ((p == r->args.data || *(p - 1) == '&')
            && p + len < last && *(p + len) == '=')
        {

            value->data = p + len + 1;

            p = dr_strlchr(p, last, '&');

            if (p == NULL) {
                p = r->args.data + r->args.len;
            }

            value->len = p - value->data;

            return DR_OK;
        }
    }

    return DR_DECLINED;
}


void
dr_http_split_args(dr_http_request_t *r, dr_str_t *uri, dr_str_t *args)
{
    u_char  *p, *last;

    last = uri->data + uri->len;

    p = dr_strlchr(uri->data, last, '?');

    if (p) {
        uri->len = p - uri->data;
        p++;
        args->len = last - p;
        args->data = p;

    } else {
        args->data = NULL;
        args->len = 0;
    }
}


dr_int_t
dr_http_check_unsafe_uri(dr_http_request_t *r, dr_str_t *uri,
    dr_str_t *args, dr_uint_t *flags)
{
    u_char      ch, *p, *src, *dst;
    size_t      len;
    dr_uint_t   quoted;

    len = uri->len;
    p = uri->data;
    quoted = 0;

    if (len == 0 || p[0] == '?') {
        goto unsafe;
    }

    if (p[0] == '.' && len > 1 && p[1] == '.'
        && (len == 2 || dr_path_separator(p[2])))
    {
        goto unsafe;
    }

    for ( /* void */ ; len; len--) {

        ch = *p++;

        if (ch == '%') {
            quoted = 1;
            continue;
        }

        if (ch == '\0') {
            goto unsafe;
        }

        if (ch == '?') {
            args->len = len - 1;
            args->data = p;
            uri->len -= len;

            break;
        }

        if (dr_path_separator(ch) && len > 2) {

            /* detect "/../" and "/.." */

            if (p[0] == '.' && p[1] == '.'
                && (len == 3 || dr_path_separator(p[2])))
            {
                goto unsafe;
            }
        }
    }

    if (quoted) {
        src = uri->data;

        dst = dr_pnalloc(r->pool, uri->len);
        if (dst == NULL) {
            return DR_ERROR;
        }

        uri->data = dst;

        dr_http_unescape_uri(&dst, &src, uri->len);

        uri->len = dst - uri->data;

        len = uri->len;
        p = uri->data;

        if (p[0] == '.' && len > 1 && p[1] == '.'
            && (len == 2 || dr_path_separator(p[2])))
        {
            goto unsafe;
        }

        for ( /* void */ ; len; len--) {

            ch = *p++;

            if (ch == '\0') {
                goto unsafe;
            }

            if (dr_path_separator(ch) && len > 2) {

                /* detect "/../" and "/.." */

                if (p[0] == '.' && p[1] == '.'
                    && (len == 3 || dr_path_separator(p[2])))
                {
                    goto unsafe;
                }
            }
        }
    }

    return DR_OK;

unsafe:

    if (*flags & DR_HTTP_LOG_UNSAFE) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "unsafe URI \"%V\" was detected", uri);
    }

    return DR_ERROR;
}


dr_table_elt_t *
dr_http_multi_header_lines(dr_http_request_t *r, dr_table_elt_t *headers,
    dr_str_t *name, dr_str_t *value)
{
    u_char          *start, *last, *end;
    dr_table_elt_t  *h;

    for (h = headers; h; h = h->next) {

        start = h->value.data;
        end = h->value.data + h->value.len;

        while (start < end) {

            while (start < end && *start == ' ') { start++; }

            last = start;

            while (last < end && *last != ';') { last++; }

            if ((size_t) (last - start) > name->len
                && dr_strncasecmp(start, name->data, name->len) == 0
                && start[name->len] == '=')
            {
                value->data = start + name->len + 1;
                value->len = last - value->data;

                while (value->len && value->data[value->len - 1] == ' ') {
                    value->len--;
                }

                return h;
            }

            start = last + 1;
        }
    }

    return NULL;
}


dr_table_elt_t *
dr_http_cookie(dr_http_request_t *r, dr_str_t *name, dr_str_t *value)
{
    return dr_http_multi_header_lines(r, r->headers_in.cookie, name, value);
}
