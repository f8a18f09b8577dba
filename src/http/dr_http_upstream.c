/*
 * The HTTP side of proxying (nginx's ngx_http_upstream.c): a request's
 * way to an upstream response head: pick a peer, connect, send the
 * request (whole, or streamed while the client body arrives), read the
 * head (the protocol module parses it), retry on another peer when
 * proxy_next_upstream allows, hand the head to the client. The body and
 * upgraded connections are dr_http_upstream_body.c's; the upstream{}
 * block, the shared settings and the variables dr_http_upstream_conf.c's.
 *
 * Every attempt gets a state (r->upstream_states) for the variables and
 * the log. A peer connection has its own small pool; when the response
 * was complete and the protocol says the connection may carry another
 * request (u->keepalive), the balancer's free() may keep it (the pool's
 * keep-alive cache), else it is closed. A request's cleanup makes sure
 * the upstream side ends when the client's request is terminated.
 *
 * Retries: an attempt that failed before anything was sent to the client
 * goes to the next peer if its failure type is in proxy_next_upstream,
 * tries and proxy_next_upstream_timeout allow, and the request may be
 * repeated (a POST, LOCK or PATCH that was sent only with non_idempotent;
 * a streamed body never). A cached keep-alive connection that fails
 * before answering costs no try and no failure of the peer: the peer
 * closed an idle connection, which is no fault of it.
 *
 * Config time in the master; the rest in workers.
 */

#include "dr_http_upstream.h"


static void dr_http_upstream_init_request(dr_http_request_t *r);
static void dr_http_upstream_handler(dr_event_t *ev);
static void dr_http_upstream_rd_check_broken_connection(
    dr_http_request_t *r);
static void dr_http_upstream_wr_check_broken_connection(
    dr_http_request_t *r);
static void dr_http_upstream_check_broken_connection(dr_http_request_t *r,
    dr_event_t *ev);
static void dr_http_upstream_connect(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_reinit(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_send_request(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_uint_t do_write);
static dr_int_t dr_http_upstream_send_request_body(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_uint_t do_write);
static dr_int_t dr_http_upstream_take_body(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_chain_t ***llp);
static void dr_http_upstream_send_request_handler(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_read_request_handler(dr_http_request_t *r);
static void dr_http_upstream_process_header(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_test_next(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_intercept_errors(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_test_connect(dr_connection_t *c);
static dr_int_t dr_http_upstream_process_headers(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_copy_header(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_table_elt_t *h);
static dr_uint_t dr_http_upstream_hidden(dr_http_upstream_conf_t *conf,
    dr_str_t *name);
static void dr_http_upstream_dummy_handler(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_cleanup(void *data);
static void dr_http_upstream_close_peer(dr_http_upstream_t *u);


/* the chunk-size lines of a streamed chunked request body */
static u_char  dr_http_upstream_chunk_tag;


dr_int_t
dr_http_upstream_create(dr_http_request_t *r)
{
    dr_http_upstream_t  *u;

    u = r->upstream;

    if (u && u->cleanup) {
        /* a second content handler run (internal redirect): end the first */
        r->main->count++;
        dr_http_upstream_cleanup(r);
    }

    u = dr_pcalloc(r->pool, sizeof(dr_http_upstream_t));
    if (u == NULL) {
        return DR_ERROR;
    }

    r->upstream = u;

    u->peer.log = r->connection->log;
    u->peer.log_error = DR_ERROR_ERR;

    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;

    u->length = -1;

    u->pipe.temp.fd = DR_INVALID_FILE;

    return DR_OK;
}


void
dr_http_upstream_init(dr_http_request_t *r)
{
    dr_connection_t  *c;

    c = r->connection;

    if (c->read->timer_set) {
        dr_del_timer(c->read);
    }

    dr_http_upstream_init_request(r);
}


static void
dr_http_upstream_init_request(dr_http_request_t *r)
{
    dr_connection_t            *c;
    dr_http_cleanup_t          *cln;
    dr_http_upstream_t         *u;
    dr_http_upstream_state_t   *st;

    c = r->connection;
    u = r->upstream;

    if (!u->conf->ignore_client_abort) {
        r->read_event_handler = dr_http_upstream_rd_check_broken_connection;
        r->write_event_handler = dr_http_upstream_wr_check_broken_connection;
    }

    if (u->create_request(r) != DR_OK) {
        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (r->upstream_states == NULL) {
        r->upstream_states = dr_array_create(r->pool, 1,
                                             sizeof(dr_http_upstream_state_t));
        if (r->upstream_states == NULL) {
            dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

    } else {
        /* after an internal redirect: a group separator, " : " */
        st = dr_array_push(r->upstream_states);
        if (st == NULL) {
            dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        dr_memzero(st, sizeof(dr_http_upstream_state_t));
    }

    cln = dr_http_cleanup_add(r, 0);
    if (cln == NULL) {
        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    cln->handler = dr_http_upstream_cleanup;
    cln->data = r;
    u->cleanup = &cln->handler;

    u->pick.pc = &u->peer;
    u->pick.pool = r->pool;
    u->pick.log = c->log;
    u->pick.request = r;
    u->pick.client = c->sockaddr;
    u->pick.client_len = c->socklen;

    if (u->upstream->init_peer(&u->pick, u->upstream) != DR_OK) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u->peer.start_time = dr_current_msec;
    u->start_time = dr_current_msec;

    if (u->conf->next_upstream_tries
        && u->peer.tries > u->conf->next_upstream_tries)
    {
        u->peer.tries = u->conf->next_upstream_tries;
    }

    dr_http_upstream_connect(r, u);
}


static void
dr_http_upstream_handler(dr_event_t *ev)
{
    dr_connection_t     *c;
    dr_http_request_t   *r;
    dr_http_log_ctx_t   *ctx;
    dr_http_upstream_t  *u;

    c = ev->data;
    r = c->data;

    u = r->upstream;
    c = r->connection;

    ctx = c->log->data;
    ctx->current_request = r;

    if (ev->delayed && ev->timedout) {
        ev->delayed = 0;
        ev->timedout = 0;
    }

    if (ev->write) {
        u->write_event_handler(r, u);

    } else {
        u->read_event_handler(r, u);
    }

    dr_http_run_posted_requests(c);
}


static void
dr_http_upstream_rd_check_broken_connection(dr_http_request_t *r)
{
    dr_http_upstream_check_broken_connection(r, r->connection->read);
}


static void
dr_http_upstream_wr_check_broken_connection(dr_http_request_t *r)
{
    dr_http_upstream_check_broken_connection(r, r->connection->write);
}


/*
 * The client's side woke up while we wait for the upstream: if the client
 * went away, there is no one to answer (nginx's check_broken_connection).
 */
static void
dr_http_upstream_check_broken_connection(dr_http_request_t *r,
    dr_event_t *ev)
{
    int                  n;
    char                 buf[1];
    dr_err_t             err;
    dr_connection_t     *c;
    dr_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;

    if (c->error) {
        if (ev->active && dr_del_event(ev, ev->write ? DR_WRITE_EVENT
                                                     : DR_READ_EVENT, 0)
                          != DR_OK)
        {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        }

        return;
    }

    n = recv(c->fd, buf, 1, MSG_PEEK);
    err = dr_socket_errno;

    if (ev->write && (n >= 0 || err == DR_EAGAIN)) {
        return;
    }

    if (n > 0) {
        return;
    }

    if (n == -1 && err == DR_EAGAIN) {
        ev->ready = 0;
        return;
    }

    ev->eof = 1;
    c->error = 1;

    if (u->peer.connection) {
        dr_log_error(DR_LOG_INFO, ev->log, n == -1 ? err : 0,
                     "client prematurely closed connection, "
                     "so upstream connection is closed too");
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    dr_log_error(DR_LOG_INFO, ev->log, n == -1 ? err : 0,
                 "client prematurely closed connection");

    dr_http_upstream_finalize_request(r, u, DR_HTTP_CLIENT_CLOSED_REQUEST);
}


static void
dr_http_upstream_connect(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_int_t                   rc;
    dr_connection_t           *c;
    dr_http_upstream_state_t  *st;

    r->connection->log->action = "connecting to upstream";

    if (u->state && u->state->response_time == (dr_msec_t) -1) {
        u->state->response_time = dr_current_msec - u->attempt_start;
    }

    st = dr_array_push(r->upstream_states);
    if (st == NULL) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    dr_memzero(st, sizeof(dr_http_upstream_state_t));

    u->state = st;
    u->attempt_start = dr_current_msec;

    st->response_time = (dr_msec_t) -1;
    st->connect_time = (dr_msec_t) -1;
    st->header_time = (dr_msec_t) -1;

    rc = dr_event_connect_peer(&u->peer);

    if (rc == DR_ERROR) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* the balancer's name buffer is reused by the next attempt */

    if (u->peer.name) {
        st->peer = dr_palloc(r->pool, sizeof(dr_str_t));
        if (st->peer == NULL) {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        st->peer->len = u->peer.name->len;
        st->peer->data = dr_pstrdup(r->pool, u->peer.name);

        if (st->peer->data == NULL && st->peer->len) {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    if (rc == DR_BUSY) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0, "no live upstreams");
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_NOLIVE);
        return;
    }

    if (rc == DR_DECLINED) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    /* rc == DR_OK || rc == DR_AGAIN || rc == DR_DONE */

    c = u->peer.connection;

    c->requests++;
    c->data = r;

    c->write->handler = dr_http_upstream_handler;
    c->read->handler = dr_http_upstream_handler;

    u->write_event_handler = dr_http_upstream_send_request_handler;
    u->read_event_handler = dr_http_upstream_process_header;

    c->sendfile &= r->connection->sendfile;

    /* a request never waits in a corked socket */
    c->tcp_nopush = DR_TCP_NOPUSH_DISABLED;

    if (c->pool == NULL) {
        c->pool = dr_create_pool(128, r->connection->log);
        if (c->pool == NULL) {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }
    }

    c->log = r->connection->log;
    c->pool->log = c->log;
    c->read->log = c->log;
    c->write->log = c->log;

    if (dr_http_upstream_reinit(r, u) != DR_OK) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == DR_AGAIN) {
        dr_add_timer(c->write, u->conf->connect_timeout);
        return;
    }

    dr_http_upstream_send_request(r, u, 1);
}


/* what an attempt starts from: a fresh parse, the whole request again */
static dr_int_t
dr_http_upstream_reinit(dr_http_request_t *r, dr_http_upstream_t *u)
{
    off_t        file_pos;
    dr_buf_t    *b;
    dr_chain_t  *cl;

    if (u->reinit_request(r) != DR_OK) {
        return DR_ERROR;
    }

    u->keepalive = 0;
    u->upgrade = 0;
    u->response_started = 0;
    u->request_sent = 0;
    u->request_body_sent = 0;
    u->request_body_blocked = 0;
    u->request_out = NULL;

    dr_memzero(&u->headers_in, sizeof(dr_http_upstream_headers_in_t));
    u->headers_in.content_length_n = -1;
    u->headers_in.last_modified_time = -1;

    if (dr_list_init(&u->headers_in.headers, r->pool, 8,
                     sizeof(dr_table_elt_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    /* the head and a buffered body: the chain is made of our own bufs */

    file_pos = 0;

    for (cl = u->request_bufs; cl; cl = cl->next) {
        b = cl->buf;
        b->pos = b->start;

        if (b->in_file) {
            b->file_pos = file_pos;
            file_pos = b->file_last;
        }
    }

    if (u->buffer.start) {
        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
    }

    u->length = -1;

    return DR_OK;
}


static void
dr_http_upstream_send_request(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_uint_t do_write)
{
    dr_int_t          rc;
    dr_connection_t  *c;

    c = u->peer.connection;

    c->log->action = "sending request to upstream";

    if (u->state->connect_time == (dr_msec_t) -1) {
        u->state->connect_time = dr_current_msec - u->attempt_start;
    }

    if (!u->request_sent && dr_http_upstream_test_connect(c) != DR_OK) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    rc = dr_http_upstream_send_request_body(r, u, do_write);

    if (rc == DR_ERROR) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        dr_http_upstream_finalize_request(r, u, rc);
        return;
    }

    if (rc == DR_AGAIN) {
        if (!c->write->ready || u->request_body_blocked) {
            dr_add_timer(c->write, u->conf->send_timeout);

        } else if (c->write->timer_set) {
            dr_del_timer(c->write);
        }

        if (dr_handle_write_event(c->write, u->conf->send_lowat) != DR_OK) {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        return;
    }

    /* rc == DR_OK: all of it is sent */

    u->request_body_sent = 1;

    if (c->write->timer_set) {
        dr_del_timer(c->write);
    }

    u->write_event_handler = dr_http_upstream_dummy_handler;

    if (dr_handle_write_event(c->write, 0) != DR_OK) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (!u->response_started) {
        dr_add_timer(c->read, u->conf->read_timeout);
    }

    if (c->read->ready) {
        u->read_event_handler(r, u);
    }
}


/*
 * Sends what can be sent of the request. A buffered (or no) body goes
 * with the head as one chain; a streamed one (proxy_request_buffering
 * off) is relayed as the client sends it, chunk-framed when its length is
 * unknown. DR_OK (all sent), DR_AGAIN, DR_ERROR (the upstream failed) or
 * a status (the client's body failed).
 */
static dr_int_t
dr_http_upstream_send_request_body(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_uint_t do_write)
{
    dr_int_t          rc;
    dr_chain_t       *out, *cl, *next, **ll;
    dr_connection_t  *c;

    c = u->peer.connection;

    if (!r->request_body_no_buffering) {

        if (!u->request_sent) {
            u->request_sent = 1;
            u->request_out = u->request_bufs;
        }

        if (u->request_out == NULL) {
            return DR_OK;
        }

        out = c->send_chain(c, u->request_out, 0);

        if (out == DR_CHAIN_ERROR) {
            return DR_ERROR;
        }

        u->request_out = out;

        return out ? DR_AGAIN : DR_OK;
    }

    if (!u->request_sent) {
        u->request_sent = 1;

        /* the head, then whatever of the body arrived with it */

        ll = &u->request_out;

        for (cl = u->request_bufs; cl; cl = cl->next) {
            next = dr_http_alloc_chain_link(r);
            if (next == NULL) {
                return DR_ERROR;
            }

            next->buf = cl->buf;
            *ll = next;
            ll = &next->next;
        }

        *ll = NULL;

        if (dr_http_upstream_take_body(r, u, &ll) != DR_OK) {
            return DR_ERROR;
        }

        r->read_event_handler = dr_http_upstream_read_request_handler;

        do_write = 1;
    }

    for ( ;; ) {

        if (do_write && u->request_out) {
            out = c->send_chain(c, u->request_out, 0);

            if (out == DR_CHAIN_ERROR) {
                return DR_ERROR;
            }

            /* give back the links (and chunk heads) that are sent */

            while (u->request_out != out) {
                cl = u->request_out;
                u->request_out = cl->next;
                dr_http_free_chain_link(r, cl);
            }

            if (out) {
                u->request_body_blocked = 0;
                return DR_AGAIN;
            }
        }

        if (!r->reading_body) {
            break;
        }

        rc = dr_http_read_unbuffered_request_body(r);

        if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
            return rc;
        }

        /* after what is still waiting to be sent */

        for (ll = &u->request_out; *ll; ll = &(*ll)->next) { /* void */ }

        if (dr_http_upstream_take_body(r, u, &ll) != DR_OK) {
            return DR_ERROR;
        }

        if (u->request_out == NULL) {
            if (r->reading_body) {
                /* waiting for the client */
                u->request_body_blocked = 1;
                return DR_AGAIN;
            }

            break;
        }

        do_write = 1;
    }

    if (r->reading_body || u->request_out) {
        return DR_AGAIN;
    }

    if (!u->conf->ignore_client_abort) {
        r->read_event_handler = dr_http_upstream_rd_check_broken_connection;
    }

    return DR_OK;
}


/*
 * Moves the body bufs the client sent so far (r->request_body->bufs) to
 * *llp, framed as chunks if the protocol asked for it
 * (u->request_chunked), with the last chunk once the body is complete.
 */
static dr_int_t
dr_http_upstream_take_body(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_chain_t ***llp)
{
    off_t        size;
    dr_buf_t    *b;
    dr_chain_t  *cl, *in, *next, **ll;

    ll = *llp;

    if (r->request_body == NULL) {
        return DR_OK;
    }

    in = r->request_body->bufs;
    r->request_body->bufs = NULL;

    for (cl = in; cl; cl = next) {
        next = cl->next;
        size = dr_buf_size(cl->buf);

        if (size == 0) {
            dr_http_free_chain_link(r, cl);
            continue;
        }

        if (u->request_chunked) {
            b = dr_create_temp_buf(r->pool, sizeof("ffffffffffffffff" CRLF));
            if (b == NULL) {
                return DR_ERROR;
            }

            b->last = dr_sprintf(b->pos, "%xO" CRLF, size);
            b->tag = &dr_http_upstream_chunk_tag;

            *ll = dr_http_alloc_chain_link(r);
            if (*ll == NULL) {
                return DR_ERROR;
            }

            (*ll)->buf = b;
            ll = &(*ll)->next;
        }

        cl->next = NULL;
        *ll = cl;
        ll = &cl->next;

        if (u->request_chunked) {
            b = dr_calloc_buf(r->pool);
            if (b == NULL) {
                return DR_ERROR;
            }

            b->memory = 1;
            b->pos = (u_char *) CRLF;
            b->last = b->pos + 2;
            b->start = b->pos;
            b->tag = &dr_http_upstream_chunk_tag;

            *ll = dr_http_alloc_chain_link(r);
            if (*ll == NULL) {
                return DR_ERROR;
            }

            (*ll)->buf = b;
            ll = &(*ll)->next;
        }
    }

    if (!r->reading_body && u->request_chunked && !u->request_body_ended)
    {
        b = dr_calloc_buf(r->pool);
        if (b == NULL) {
            return DR_ERROR;
        }

        b->memory = 1;
        b->pos = (u_char *) "0" CRLF CRLF;
        b->last = b->pos + 5;
        b->start = b->pos;

        *ll = dr_http_alloc_chain_link(r);
        if (*ll == NULL) {
            return DR_ERROR;
        }

        (*ll)->buf = b;
        ll = &(*ll)->next;

        u->request_body_ended = 1;
    }

    *ll = NULL;
    *llp = ll;

    return DR_OK;
}


static void
dr_http_upstream_send_request_handler(dr_http_request_t *r,
    dr_http_upstream_t *u)
{
    dr_connection_t  *c;

    c = u->peer.connection;

    if (c->write->timedout) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (u->header_sent && !u->upgrade) {
        u->write_event_handler = dr_http_upstream_dummy_handler;
        (void) dr_handle_write_event(c->write, 0);
        return;
    }

    dr_http_upstream_send_request(r, u, 1);
}


/* the client sent more of a streamed body */
static void
dr_http_upstream_read_request_handler(dr_http_request_t *r)
{
    dr_connection_t     *c;
    dr_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;

    if (c->read->timedout) {
        c->timedout = 1;
        dr_http_upstream_finalize_request(r, u, DR_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (u->peer.connection == NULL || u->request_body_sent) {
        return;
    }

    dr_http_upstream_send_request(r, u, 0);
}


static void
dr_http_upstream_process_header(dr_http_request_t *r, dr_http_upstream_t *u)
{
    ssize_t           n;
    dr_int_t          rc;
    dr_connection_t  *c;

    c = u->peer.connection;

    c->log->action = "reading response header from upstream";

    if (c->read->timedout) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_TIMEOUT);
        return;
    }

    if (!u->request_sent && dr_http_upstream_test_connect(c) != DR_OK) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_ERROR);
        return;
    }

    if (u->buffer.start == NULL) {
        u->buffer.start = dr_palloc(r->pool, u->conf->buffer_size);
        if (u->buffer.start == NULL) {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            return;
        }

        u->buffer.pos = u->buffer.start;
        u->buffer.last = u->buffer.start;
        u->buffer.end = u->buffer.start + u->conf->buffer_size;
        u->buffer.temporary = 1;
    }

    for ( ;; ) {

        n = c->recv(c, u->buffer.last, u->buffer.end - u->buffer.last);

        if (n == DR_AGAIN) {
            if (dr_handle_read_event(c->read, 0) != DR_OK) {
                dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            }

            return;
        }

        if (n == 0) {
            dr_log_error(DR_LOG_ERR, c->log, 0,
                         "upstream prematurely closed connection");
        }

        if (n == DR_ERROR || n == 0) {
            dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_ERROR);
            return;
        }

        u->state->bytes_received += n;
        u->buffer.last += n;
        u->response_started = 1;

        rc = u->process_header(r);

        if (rc == DR_AGAIN) {

            if (u->buffer.last == u->buffer.end) {
                dr_log_error(DR_LOG_ERR, c->log, 0,
                             "upstream sent too big header");
                dr_http_upstream_next(r, u,
                                      DR_HTTP_UPSTREAM_FT_INVALID_HEADER);
                return;
            }

            continue;
        }

        break;
    }

    if (rc == DR_HTTP_UPSTREAM_INVALID_HEADER) {
        dr_http_upstream_next(r, u, DR_HTTP_UPSTREAM_FT_INVALID_HEADER);
        return;
    }

    if (rc == DR_ERROR) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    /* rc == DR_OK */

    u->state->header_time = dr_current_msec - u->attempt_start;

    if (c->read->timer_set) {
        dr_del_timer(c->read);
    }

    if (u->headers_in.status_n >= DR_HTTP_SPECIAL_RESPONSE) {

        if (dr_http_upstream_test_next(r, u) == DR_OK) {
            return;
        }

        if (dr_http_upstream_intercept_errors(r, u) == DR_OK) {
            return;
        }
    }

    if (dr_http_upstream_process_headers(r, u) != DR_OK) {
        return;
    }

    dr_http_upstream_send_response(r, u);
}


/* proxy_next_upstream http_5xx: DR_OK if the request went on elsewhere */
static dr_int_t
dr_http_upstream_test_next(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_uint_t   i, mask;
    dr_msec_t   timeout;

    static const struct {
        dr_uint_t  status;
        dr_uint_t  mask;
    } next[] = {
        { 500, DR_HTTP_UPSTREAM_FT_HTTP_500 },
        { 502, DR_HTTP_UPSTREAM_FT_HTTP_502 },
        { 503, DR_HTTP_UPSTREAM_FT_HTTP_503 },
        { 504, DR_HTTP_UPSTREAM_FT_HTTP_504 },
        { 403, DR_HTTP_UPSTREAM_FT_HTTP_403 },
        { 404, DR_HTTP_UPSTREAM_FT_HTTP_404 },
        { 429, DR_HTTP_UPSTREAM_FT_HTTP_429 },
    };

    for (i = 0; i < dr_nelems(next); i++) {

        if (u->headers_in.status_n != next[i].status) {
            continue;
        }

        mask = next[i].mask;
        timeout = u->conf->next_upstream_timeout;

        if (u->peer.tries > 1
            && (u->conf->next_upstream & mask)
            && !(u->request_sent && r->request_body_no_buffering)
            && !(timeout && dr_current_msec - u->peer.start_time >= timeout))
        {
            dr_http_upstream_next(r, u, mask);
            return DR_OK;
        }

        break;
    }

    return DR_DECLINED;
}


/* proxy_intercept_errors: the location's error_page answers instead */
static dr_int_t
dr_http_upstream_intercept_errors(dr_http_request_t *r,
    dr_http_upstream_t *u)
{
    dr_uint_t                  i, j, status;
    dr_table_elt_t            *h, *ho;
    dr_list_part_t            *part;
    dr_http_err_page_t        *err_page;
    dr_http_core_loc_conf_t   *clcf;

    if (!u->conf->intercept_errors) {
        return DR_DECLINED;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->error_pages == NULL) {
        return DR_DECLINED;
    }

    status = u->headers_in.status_n;
    err_page = clcf->error_pages->elts;

    for (i = 0; i < clcf->error_pages->nelts; i++) {

        if ((dr_uint_t) err_page[i].status != status) {
            continue;
        }

        /* the challenge of a 401 and the methods of a 405 stay */

        if (status == DR_HTTP_UNAUTHORIZED
            || status == DR_HTTP_NOT_ALLOWED)
        {
            part = &u->headers_in.headers.part;
            h = part->elts;

            for (j = 0; /* void */ ; j++) {

                if (j >= part->nelts) {
                    if (part->next == NULL) {
                        break;
                    }

                    part = part->next;
                    h = part->elts;
                    j = 0;
                }

                if (!(h[j].key.len == 16
                      && dr_memcmp(h[j].lowcase_key, "www-authenticate", 16)
                         == 0)
                    && !(h[j].key.len == 5
                         && dr_memcmp(h[j].lowcase_key, "allow", 5) == 0))
                {
                    continue;
                }

                ho = dr_list_push(&r->headers_out.headers);
                if (ho == NULL) {
                    dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
                    return DR_OK;
                }

                *ho = h[j];
                ho->next = NULL;
            }
        }

        /* the response body is not wanted: the connection cannot stay */
        u->keepalive = 0;

        dr_http_upstream_finalize_request(r, u, (dr_int_t) status);

        return DR_OK;
    }

    return DR_DECLINED;
}


static dr_int_t
dr_http_upstream_test_connect(dr_connection_t *c)
{
    int        err;
    socklen_t  len;

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = dr_socket_errno;
    }

    if (err) {
        c->log->action = "connecting to upstream";
        (void) dr_connection_error(c, err, "connect() failed");
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * Copies the upstream's head to r->headers_out, minus the hop-by-hop and
 * hidden fields; an X-Accel-Redirect becomes an internal redirect.
 * DR_OK, or DR_DONE (the request went on; nothing more to do here).
 */
static dr_int_t
dr_http_upstream_process_headers(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_str_t                   uri, args;
    dr_uint_t                  i, flags;
    dr_table_elt_t            *h;
    dr_list_part_t            *part;

    if (u->headers_in.x_accel_redirect
        && !(u->conf->ignore_headers & DR_HTTP_UPSTREAM_IGN_XA_REDIRECT))
    {
        u->keepalive = 0;
        dr_http_upstream_finalize_request(r, u, DR_DECLINED);

        /* the Set-Cookie fields go with the redirected response */

        part = &u->headers_in.headers.part;
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

            if (h[i].key.len == 10
                && dr_strncasecmp(h[i].key.data, (u_char *) "set-cookie", 10)
                   == 0
                && !(u->conf->ignore_headers
                     & DR_HTTP_UPSTREAM_IGN_SET_COOKIE))
            {
                if (dr_http_upstream_copy_header(r, u, &h[i]) != DR_OK) {
                    dr_http_finalize_request(r,
                                             DR_HTTP_INTERNAL_SERVER_ERROR);
                    return DR_DONE;
                }
            }
        }

        uri = u->headers_in.x_accel_redirect->value;

        if (uri.len && uri.data[0] == '@') {
            (void) dr_http_named_location(r, &uri);

        } else {
            dr_str_null(&args);
            flags = DR_HTTP_LOG_UNSAFE;

            if (dr_http_check_unsafe_uri(r, &uri, &args, &flags) != DR_OK) {
                dr_http_finalize_request(r, DR_HTTP_NOT_FOUND);
                return DR_DONE;
            }

            if (r->method != DR_HTTP_HEAD) {
                r->method = DR_HTTP_GET;
                dr_str_set(&r->method_name, "GET");
            }

            (void) dr_http_internal_redirect(r, &uri, &args);
        }

        dr_http_finalize_request(r, DR_DONE);
        return DR_DONE;
    }

    part = &u->headers_in.headers.part;
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

        if (h[i].hash == 0) {
            continue;
        }

        if (dr_http_upstream_hidden(u->conf, &h[i].key)) {
            continue;
        }

        if (dr_http_upstream_copy_header(r, u, &h[i]) != DR_OK) {
            dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_DONE;
        }
    }

    r->headers_out.status = u->headers_in.status_n;

    if (dr_http_status_line(u->headers_in.status_n) == NULL) {
        r->headers_out.status_line = u->headers_in.status_line;
    }

    r->headers_out.content_length_n = u->headers_in.content_length_n;

    /* what the upstream answered is not ours to turn into a 304 */
    r->disable_not_modified = 1;

    return DR_OK;
}


/* one response field to the client, into the shortcut it belongs to */
static dr_int_t
dr_http_upstream_copy_header(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_table_elt_t *h)
{
    u_char          *k;
    size_t           n;
    dr_table_elt_t  *ho;

    k = h->lowcase_key;
    n = h->key.len;

#define dr_http_upstream_is(name)                                             \
    (n == sizeof(name) - 1 && dr_memcmp(k, name, n) == 0)

    /* hop-by-hop: never passed (but Upgrade on a 101) */

    if (dr_http_upstream_is("connection")
        || dr_http_upstream_is("keep-alive")
        || dr_http_upstream_is("proxy-connection")
        || dr_http_upstream_is("transfer-encoding")
        || dr_http_upstream_is("te")
        || dr_http_upstream_is("trailer")
        || dr_http_upstream_is("content-length")
        || (dr_http_upstream_is("upgrade") && !u->upgrade))
    {
        return DR_OK;
    }

    if (dr_http_upstream_is("content-type")) {
        r->headers_out.content_type = h->value;
        r->headers_out.content_type_len = h->value.len;
        r->headers_out.content_type_lowcase = NULL;
        return DR_OK;
    }

    ho = dr_list_push(&r->headers_out.headers);
    if (ho == NULL) {
        return DR_ERROR;
    }

    *ho = *h;
    ho->next = NULL;

    if (dr_http_upstream_is("location") || dr_http_upstream_is("refresh")) {

        if (u->rewrite_redirect) {
            if (u->rewrite_redirect(r, ho, 0) == DR_ERROR) {
                return DR_ERROR;
            }
        }

        if (k[0] == 'l') {
            r->headers_out.location = ho;

        } else {
            r->headers_out.refresh = ho;
        }

    } else if (dr_http_upstream_is("server")) {
        r->headers_out.server = ho;

    } else if (dr_http_upstream_is("date")) {
        r->headers_out.date = ho;

    } else if (dr_http_upstream_is("last-modified")) {
        r->headers_out.last_modified = ho;
        r->headers_out.last_modified_time =
            dr_parse_http_time(ho->value.data, ho->value.len);

    } else if (dr_http_upstream_is("etag")) {
        r->headers_out.etag = ho;

    } else if (dr_http_upstream_is("accept-ranges")) {
        r->headers_out.accept_ranges = ho;

    } else if (dr_http_upstream_is("content-encoding")) {
        r->headers_out.content_encoding = ho;

    } else if (dr_http_upstream_is("content-range")) {
        r->headers_out.content_range = ho;

    } else if (dr_http_upstream_is("expires")) {
        r->headers_out.expires = ho;

    } else if (dr_http_upstream_is("cache-control")) {
        r->headers_out.cache_control = ho;

    } else if (dr_http_upstream_is("www-authenticate")) {
        r->headers_out.www_authenticate = ho;

    } else if (dr_http_upstream_is("link")) {
        r->headers_out.link = ho;
    }

#undef dr_http_upstream_is

    return DR_OK;
}


static dr_uint_t
dr_http_upstream_hidden(dr_http_upstream_conf_t *conf, dr_str_t *name)
{
    dr_uint_t   i;
    dr_str_t   *hh;

    if (conf->hidden == NULL) {
        return 0;
    }

    hh = conf->hidden->elts;

    for (i = 0; i < conf->hidden->nelts; i++) {
        if (hh[i].len == name->len
            && dr_strncasecmp(hh[i].data, name->data, name->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


void
dr_http_upstream_next(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_uint_t ft_type)
{
    dr_uint_t  status, state;
    dr_msec_t  timeout;

    if (ft_type == DR_HTTP_UPSTREAM_FT_TIMEOUT) {
        dr_log_error(DR_LOG_ERR, r->connection->log, DR_ETIMEDOUT,
                     "upstream timed out");
    }

    if (u->peer.sockaddr) {

        if (u->peer.connection) {
            u->state->bytes_sent = u->peer.connection->sent;
        }

        if (ft_type == DR_HTTP_UPSTREAM_FT_HTTP_403
            || ft_type == DR_HTTP_UPSTREAM_FT_HTTP_404)
        {
            state = DR_PEER_NEXT;

        } else if (u->peer.cached && ft_type == DR_HTTP_UPSTREAM_FT_ERROR
                   && !u->response_started)
        {
            /* an idle connection the peer had closed: not its failure */
            state = DR_PEER_NEXT;

        } else {
            state = DR_PEER_FAILED;
        }

        u->peer.free(&u->peer, u->peer.data, state);
        u->peer.sockaddr = NULL;

        if (state == DR_PEER_NEXT && ft_type == DR_HTTP_UPSTREAM_FT_ERROR) {
            /* and it costs no try */
            u->peer.tries++;
        }
    }

    switch (ft_type) {

    case DR_HTTP_UPSTREAM_FT_TIMEOUT:
    case DR_HTTP_UPSTREAM_FT_HTTP_504:
        status = DR_HTTP_GATEWAY_TIME_OUT;
        break;

    case DR_HTTP_UPSTREAM_FT_HTTP_500:
        status = DR_HTTP_INTERNAL_SERVER_ERROR;
        break;

    case DR_HTTP_UPSTREAM_FT_HTTP_503:
        status = DR_HTTP_SERVICE_UNAVAILABLE;
        break;

    case DR_HTTP_UPSTREAM_FT_HTTP_403:
        status = DR_HTTP_FORBIDDEN;
        break;

    case DR_HTTP_UPSTREAM_FT_HTTP_404:
        status = DR_HTTP_NOT_FOUND;
        break;

    case DR_HTTP_UPSTREAM_FT_HTTP_429:
        status = DR_HTTP_TOO_MANY_REQUESTS;
        break;

    default:
        status = DR_HTTP_BAD_GATEWAY;
    }

    if (r->connection->error) {
        dr_http_upstream_finalize_request(r, u,
                                          DR_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    u->state->status = status;

    timeout = u->conf->next_upstream_timeout;

    if (u->request_sent
        && (r->method & (DR_HTTP_POST|DR_HTTP_LOCK|DR_HTTP_PATCH)))
    {
        ft_type |= DR_HTTP_UPSTREAM_FT_NON_IDEMPOTENT;
    }

    if (u->peer.tries == 0
        || ((u->conf->next_upstream & ft_type) != ft_type)
        || (u->request_sent && r->request_body_no_buffering)
        || (timeout && dr_current_msec - u->peer.start_time >= timeout))
    {
        dr_http_upstream_finalize_request(r, u, (dr_int_t) status);
        return;
    }

    if (u->peer.connection) {
        dr_http_upstream_close_peer(u);
    }

    dr_http_upstream_connect(r, u);
}


static void
dr_http_upstream_cleanup(void *data)
{
    dr_http_request_t  *r = data;

    dr_http_upstream_finalize_request(r, r->upstream, DR_DONE);
}


static void
dr_http_upstream_close_peer(dr_http_upstream_t *u)
{
    dr_pool_t        *pool;
    dr_connection_t  *c;

    c = u->peer.connection;
    u->peer.connection = NULL;

    if (c == NULL) {
        return;
    }

    pool = c->pool;

    dr_close_connection(c);

    if (pool) {
        dr_destroy_pool(pool);
    }
}


void
dr_http_upstream_finalize_request(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_int_t rc)
{
    dr_uint_t  flush, state;

    if (u->cleanup == NULL) {
        /* the request was finalized already */
        dr_http_finalize_request(r, DR_DONE);
        return;
    }

    *u->cleanup = NULL;
    u->cleanup = NULL;

    if (u->state && u->state->response_time == (dr_msec_t) -1) {
        u->state->response_time = dr_current_msec - u->attempt_start;

        if (u->peer.connection) {
            u->state->bytes_sent = u->peer.connection->sent;
        }
    }

    u->finalize_request(r, rc);

    if (u->peer.free && u->peer.sockaddr) {
        state = (u->keepalive && rc != DR_ERROR) ? DR_PEER_KEEPALIVE : 0;
        u->peer.free(&u->peer, u->peer.data, state);
        u->peer.sockaddr = NULL;
    }

    if (u->peer.connection) {
        dr_http_upstream_close_peer(u);
    }

    r->read_event_handler = dr_http_block_reading;

    if (rc == DR_DECLINED) {
        return;
    }

    r->connection->log->action = "sending to client";

    if (!u->header_sent
        || rc == DR_HTTP_REQUEST_TIME_OUT
        || rc == DR_HTTP_CLIENT_CLOSED_REQUEST)
    {
        dr_http_finalize_request(r, rc);
        return;
    }

    flush = 0;

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        rc = DR_ERROR;
        flush = 1;
    }

    if (r->header_only || u->pipe.downstream_error) {
        dr_http_finalize_request(r, rc);
        return;
    }

    if (rc == 0) {
        if (!u->pipe.last_sent) {
            rc = dr_http_send_special(r, DR_HTTP_LAST);
        }

    } else if (flush) {
        r->keepalive = 0;
        rc = dr_http_send_special(r, DR_HTTP_FLUSH);
    }

    dr_http_finalize_request(r, rc);
}


static void
dr_http_upstream_dummy_handler(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_log_debug(r->connection->log, "http upstream dummy handler");
}
