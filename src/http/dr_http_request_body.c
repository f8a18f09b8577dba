/*
 * Request bodies (nginx's ngx_http_request_body.c): reading them for a
 * content handler, or discarding them.
 *
 * Bytes go through two filters: the framing one (Content-Length counts
 * down; chunked goes through dr_http_parse_chunked(), which also enforces
 * client_max_body_size) turns input into views of the payload, and the
 * save filter (dr_http_top_request_body_filter) collects them in
 * r->request_body->bufs. Memory is bounded by client_body_buffer_size:
 * the read buffer is reused once its content is written to a temp file
 * in client_body_temp_path (unlinked at once unless client_body_in_file_
 * only keeps it). Reads never go past the body, so a pipelined request
 * stays in the socket: a Content-Length body is read to its exact length,
 * a chunked one by at most what its framing guarantees.
 *
 * Expect: 100-continue is answered before the first read. Discarding
 * reads and drops the body (keep-alive needs it gone), bounded by
 * lingering_time once the response is sent. Runs in workers.
 */

#include "dr_http.h"


static void dr_http_read_client_request_body_handler(dr_http_request_t *r);
static dr_int_t dr_http_do_read_client_request_body(dr_http_request_t *r);
static dr_int_t dr_http_write_request_body(dr_http_request_t *r);
static dr_int_t dr_http_read_discarded_request_body(dr_http_request_t *r);
static dr_int_t dr_http_discard_request_body_filter(dr_http_request_t *r,
    dr_buf_t *b);
static dr_int_t dr_http_test_expect(dr_http_request_t *r);

static dr_int_t dr_http_request_body_filter(dr_http_request_t *r,
    dr_chain_t *in);
static dr_int_t dr_http_request_body_length_filter(dr_http_request_t *r,
    dr_chain_t *in);
static dr_int_t dr_http_request_body_chunked_filter(dr_http_request_t *r,
    dr_chain_t *in);
static off_t dr_http_request_body_chunked_rest(dr_http_parse_chunked_t *ch);
static dr_int_t dr_http_request_body_chunked_error(dr_http_request_t *r,
    dr_http_parse_chunked_t *ch);
static dr_int_t dr_http_create_temp_file(dr_http_request_t *r);
static void dr_http_temp_file_cleanup(void *data);


/* a tag for the view bufs the framing filters make */
static u_char  dr_http_request_body_tag;


dr_int_t
dr_http_read_client_request_body(dr_http_request_t *r,
    dr_http_client_body_handler_pt post_handler)
{
    size_t                    preread;
    ssize_t                   size;
    dr_int_t                  rc;
    dr_buf_t                 *b;
    dr_chain_t                out;
    dr_http_request_body_t   *rb;
    dr_http_core_loc_conf_t  *clcf;

    r->main->count++;

    if (r->request_body || r->discard_body) {
        r->request_body_no_buffering = 0;
        post_handler(r);
        return DR_OK;
    }

    if (dr_http_test_expect(r) != DR_OK) {
        rc = DR_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    rb = dr_pcalloc(r->pool, sizeof(dr_http_request_body_t));
    if (rb == NULL) {
        rc = DR_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    /*
     * set by dr_pcalloc():
     *
     *     rb->temp_file = NULL;
     *     rb->bufs = NULL;
     *     rb->buf = NULL;
     *     rb->free = NULL;
     *     rb->busy = NULL;
     *     rb->chunked = NULL;
     *     rb->received = 0;
     *     rb->filter_need_buffering = 0;
     *     rb->last_sent = 0;
     *     rb->last_saved = 0;
     */

    rb->rest = -1;
    rb->post_handler = post_handler;

    r->request_body = rb;

    if (r->headers_in.content_length_n < 0 && !r->headers_in.chunked) {
        r->request_body_no_buffering = 0;
        post_handler(r);
        return DR_OK;
    }

    preread = r->header_in->last - r->header_in->pos;

    if (preread) {

        /* there is the pre-read part of the request body */

        out.buf = r->header_in;
        out.next = NULL;

        rc = dr_http_request_body_filter(r, &out);

        if (rc != DR_OK) {
            goto done;
        }

        r->request_length += preread - (r->header_in->last - r->header_in->pos);

        if (!r->headers_in.chunked
            && rb->rest > 0
            && rb->rest <= (off_t) (r->header_in->end - r->header_in->last))
        {
            /* the whole request body may be placed in r->header_in */

            b = dr_calloc_buf(r->pool);
            if (b == NULL) {
                rc = DR_HTTP_INTERNAL_SERVER_ERROR;
                goto done;
            }

            b->temporary = 1;
            b->start = r->header_in->pos;
            b->pos = r->header_in->pos;
            b->last = r->header_in->last;
            b->end = r->header_in->end;

            rb->buf = b;

            r->read_event_handler = dr_http_read_client_request_body_handler;
            r->write_event_handler = dr_http_request_empty_handler;

            rc = dr_http_do_read_client_request_body(r);
            goto done;
        }

    } else {
        /* set rb->rest */

        rc = dr_http_request_body_filter(r, NULL);

        if (rc != DR_OK) {
            goto done;
        }
    }

    if (rb->rest == 0 && rb->last_saved) {
        /* the whole request body was pre-read */
        r->request_body_no_buffering = 0;
        post_handler(r);
        return DR_OK;
    }

    if (rb->rest < 0) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "negative request body rest");
        rc = DR_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    size = clcf->client_body_buffer_size;
    size += size >> 2;

    if (!r->headers_in.chunked && rb->rest < size) {
        size = (ssize_t) rb->rest;

        if (r->request_body_in_single_buf) {
            size += preread;
        }

        if (size == 0) {
            size++;
        }

    } else {
        size = clcf->client_body_buffer_size;
    }

    rb->buf = dr_create_temp_buf(r->pool, size);
    if (rb->buf == NULL) {
        rc = DR_HTTP_INTERNAL_SERVER_ERROR;
        goto done;
    }

    r->read_event_handler = dr_http_read_client_request_body_handler;
    r->write_event_handler = dr_http_request_empty_handler;

    rc = dr_http_do_read_client_request_body(r);

done:

    if (r->request_body_no_buffering
        && (rc == DR_OK || rc == DR_AGAIN))
    {
        if (rc == DR_OK) {
            r->request_body_no_buffering = 0;

        } else {
            /* rc == DR_AGAIN */
            r->reading_body = 1;
        }

        r->read_event_handler = dr_http_block_reading;
        post_handler(r);
    }

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        r->main->count--;
    }

    return rc;
}


dr_int_t
dr_http_read_unbuffered_request_body(dr_http_request_t *r)
{
    dr_int_t  rc;

    if (r->connection->read->timedout) {
        r->connection->timedout = 1;
        return DR_HTTP_REQUEST_TIME_OUT;
    }

    rc = dr_http_do_read_client_request_body(r);

    if (rc == DR_OK) {
        r->reading_body = 0;
    }

    return rc;
}


static void
dr_http_read_client_request_body_handler(dr_http_request_t *r)
{
    dr_int_t  rc;

    if (r->connection->read->timedout) {
        r->connection->timedout = 1;
        dr_http_finalize_request(r, DR_HTTP_REQUEST_TIME_OUT);
        return;
    }

    rc = dr_http_do_read_client_request_body(r);

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        dr_http_finalize_request(r, rc);
    }
}


static dr_int_t
dr_http_do_read_client_request_body(dr_http_request_t *r)
{
    off_t                      rest;
    size_t                     size;
    ssize_t                    n;
    dr_int_t                   rc;
    dr_chain_t                 out;
    dr_connection_t           *c;
    dr_http_request_body_t    *rb;
    dr_http_core_loc_conf_t   *clcf;

    c = r->connection;
    rb = r->request_body;

    for ( ;; ) {
        for ( ;; ) {
            if (rb->rest == 0) {
                break;
            }

            if (rb->buf->last == rb->buf->end) {

                /* update chains */

                rc = dr_http_request_body_filter(r, NULL);

                if (rc != DR_OK) {
                    return rc;
                }

                if (rb->busy != NULL) {
                    if (r->request_body_no_buffering) {
                        if (c->read->timer_set) {
                            dr_del_timer(c->read);
                        }

                        if (dr_handle_read_event(c->read, 0) != DR_OK) {
                            return DR_HTTP_INTERNAL_SERVER_ERROR;
                        }

                        return DR_AGAIN;
                    }

                    dr_log_error(DR_LOG_ALERT, c->log, 0,
                                 "busy buffers after request body flush");

                    return DR_HTTP_INTERNAL_SERVER_ERROR;
                }

                rb->buf->pos = rb->buf->start;
                rb->buf->last = rb->buf->start;
            }

            size = rb->buf->end - rb->buf->last;
            rest = rb->rest - (rb->buf->last - rb->buf->pos);

            if ((off_t) size > rest) {
                size = (size_t) rest;
            }

            if (size == 0) {
                break;
            }

            n = c->recv(c, rb->buf->last, size);

            if (n == DR_AGAIN) {
                break;
            }

            if (n == 0) {
                dr_log_error(DR_LOG_INFO, c->log, 0,
                             "client prematurely closed connection");
            }

            if (n == 0 || n == DR_ERROR) {
                c->error = 1;
                return DR_HTTP_BAD_REQUEST;
            }

            rb->buf->last += n;
            r->request_length += n;

            /* pass buffer to request body filter chain */

            out.buf = rb->buf;
            out.next = NULL;

            rc = dr_http_request_body_filter(r, &out);

            if (rc != DR_OK) {
                return rc;
            }

            if (rb->rest == 0) {
                break;
            }

            if (rb->buf->last < rb->buf->end) {
                break;
            }
        }

        if (rb->rest == 0) {
            break;
        }

        if (!c->read->ready) {

            clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);
            dr_add_timer(c->read, clcf->client_body_timeout);

            if (dr_handle_read_event(c->read, 0) != DR_OK) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            return DR_AGAIN;
        }
    }

    if (c->read->timer_set) {
        dr_del_timer(c->read);
    }

    if (!r->request_body_no_buffering) {
        r->read_event_handler = dr_http_block_reading;
        rb->post_handler(r);
    }

    return DR_OK;
}


/*
 * Writes the memory bufs of rb->bufs to the temp file (created on first
 * use) and marks them consumed, so the read buffer can be reused.
 */
static dr_int_t
dr_http_write_request_body(dr_http_request_t *r)
{
    int                       niov;
    off_t                     offset;
    ssize_t                   n;
    size_t                    total;
    dr_chain_t               *cl, *ln;
    struct iovec              iov[64];
    dr_http_request_body_t   *rb;

    rb = r->request_body;

    if (rb->temp_file == NULL) {
        if (dr_http_create_temp_file(r) != DR_OK) {
            return DR_ERROR;
        }
    }

    cl = rb->bufs;

    while (cl) {

        niov = 0;
        total = 0;

        for (ln = cl; ln && niov < 64; ln = ln->next) {
            if (!dr_buf_in_memory(ln->buf) || ln->buf->last == ln->buf->pos) {
                continue;
            }

            iov[niov].iov_base = ln->buf->pos;
            iov[niov].iov_len = ln->buf->last - ln->buf->pos;
            total += iov[niov].iov_len;
            niov++;
        }

        offset = rb->temp_file->file.offset;

        while (total) {
            n = pwritev(rb->temp_file->file.fd, iov, niov, offset);

            if (n == -1) {
                if (errno == EINTR) {
                    continue;
                }

                dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                             "pwritev() \"%V\" failed",
                             &rb->temp_file->file.name);
                return DR_ERROR;
            }

            offset += n;
            total -= n;

            /* skip what was written, keep the rest of the iovecs */

            while (niov && (size_t) n >= iov[0].iov_len) {
                n -= iov[0].iov_len;
                dr_memmove(&iov[0], &iov[1], (niov - 1) * sizeof(iov[0]));
                niov--;
            }

            if (niov && n) {
                iov[0].iov_base = (u_char *) iov[0].iov_base + n;
                iov[0].iov_len -= n;
            }
        }

        rb->temp_file->file.offset = offset;

        /* the written bufs are consumed; their links go back to the list */

        while (cl != ln) {
            cl->buf->pos = cl->buf->last;
            rb->bufs = cl->next;
            dr_http_free_chain_link(r, cl);
            cl = rb->bufs;
        }
    }

    rb->bufs = NULL;

    return DR_OK;
}


static dr_int_t
dr_http_create_temp_file(dr_http_request_t *r)
{
    u_char                   *p;
    size_t                    len;
    uint32_t                  n;
    dr_uint_t                 tries, made_dir;
    dr_pool_cleanup_t        *cln;
    dr_http_temp_file_t      *tf;
    dr_http_core_loc_conf_t  *clcf;
    static uint32_t           dr_http_temp_number;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    tf = dr_pcalloc(r->pool, sizeof(dr_http_temp_file_t));
    if (tf == NULL) {
        return DR_ERROR;
    }

    len = clcf->client_body_temp_path.len + 1 + 10 + 1;

    tf->file.name.data = dr_pnalloc(r->pool, len);
    if (tf->file.name.data == NULL) {
        return DR_ERROR;
    }

    tf->file.fd = DR_INVALID_FILE;
    tf->file.log = r->connection->log;
    tf->pool = r->pool;
    tf->persistent = r->request_body_in_persistent_file;

    if (dr_http_temp_number == 0) {
        dr_http_temp_number = (uint32_t) getpid() * 7919;
    }

    made_dir = 0;

    for (tries = 0; tries < 100; tries++) {

        n = dr_http_temp_number++;

        p = dr_sprintf(tf->file.name.data, "%V/%010uD%Z",
                       &clcf->client_body_temp_path, n);

        tf->file.name.len = p - 1 - tf->file.name.data;

        tf->file.fd = open((char *) tf->file.name.data,
                           O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC,
                           r->request_body_file_group_access ? 0660 : 0600);

        if (tf->file.fd != DR_INVALID_FILE) {
            break;
        }

        if (errno == EEXIST) {
            continue;
        }

        if (errno == ENOENT && !made_dir) {
            made_dir = 1;

            if (mkdir((char *) clcf->client_body_temp_path.data, 0700) == -1
                && errno != EEXIST)
            {
                dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                             "mkdir() \"%V\" failed",
                             &clcf->client_body_temp_path);
                return DR_ERROR;
            }

            continue;
        }

        dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                     "open() \"%V\" failed", &tf->file.name);
        return DR_ERROR;
    }

    if (tf->file.fd == DR_INVALID_FILE) {
        dr_log_error(DR_LOG_CRIT, r->connection->log, 0,
                     "no free temp file name in \"%V\"",
                     &clcf->client_body_temp_path);
        return DR_ERROR;
    }

    cln = dr_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        (void) close(tf->file.fd);
        (void) unlink((char *) tf->file.name.data);
        return DR_ERROR;
    }

    cln->handler = dr_http_temp_file_cleanup;
    cln->data = tf;

    if (!tf->persistent) {
        /* nobody needs the name: the open fd keeps the data */
        (void) unlink((char *) tf->file.name.data);

    } else if (r->request_body_in_clean_file) {
        tf->persistent = 0;
    }

    dr_log_error(r->request_body_file_log_level, r->connection->log, 0,
                 "a client request body is buffered to a temporary file %V",
                 &tf->file.name);

    r->request_body->temp_file = tf;

    return DR_OK;
}


static void
dr_http_temp_file_cleanup(void *data)
{
    dr_http_temp_file_t  *tf = data;

    if (tf->file.fd != DR_INVALID_FILE) {
        if (close(tf->file.fd) == -1) {
            dr_log_error(DR_LOG_ALERT, tf->file.log, errno,
                         "close() \"%V\" failed", &tf->file.name);
        }

        tf->file.fd = DR_INVALID_FILE;
    }
}


dr_int_t
dr_http_discard_request_body(dr_http_request_t *r)
{
    ssize_t      size;
    dr_int_t     rc;
    dr_event_t  *rev;

    if (r != r->main || r->discard_body || r->request_body) {
        return DR_OK;
    }

    if (dr_http_test_expect(r) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    rev = r->connection->read;

    if (rev->timer_set) {
        dr_del_timer(rev);
    }

    if (r->headers_in.content_length_n <= 0 && !r->headers_in.chunked) {
        return DR_OK;
    }

    size = (size_t) (r->header_in->last - r->header_in->pos);

    if (size || r->headers_in.chunked) {
        rc = dr_http_discard_request_body_filter(r, r->header_in);

        if (rc != DR_OK) {
            return rc;
        }

        if (r->headers_in.content_length_n == 0) {
            return DR_OK;
        }
    }

    rc = dr_http_read_discarded_request_body(r);

    if (rc == DR_OK) {
        r->lingering_close = 0;
        return DR_OK;
    }

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    /* rc == DR_AGAIN */

    r->read_event_handler = dr_http_discarded_request_body_handler;

    if (dr_handle_read_event(rev, 0) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->count++;
    r->discard_body = 1;

    return DR_OK;
}


void
dr_http_discarded_request_body_handler(dr_http_request_t *r)
{
    dr_int_t                  rc;
    dr_msec_t                 timer;
    dr_event_t               *rev;
    dr_connection_t          *c;
    dr_http_core_loc_conf_t  *clcf;

    c = r->connection;
    rev = c->read;

    if (rev->timedout) {
        c->timedout = 1;
        c->error = 1;
        dr_http_finalize_request(r, DR_ERROR);
        return;
    }

    if (r->lingering_time) {
        timer = (dr_msec_t) r->lingering_time - (dr_msec_t) dr_time();

        if ((dr_msec_int_t) timer <= 0) {
            r->discard_body = 0;
            r->lingering_close = 0;
            dr_http_finalize_request(r, DR_ERROR);
            return;
        }

    } else {
        timer = 0;
    }

    rc = dr_http_read_discarded_request_body(r);

    if (rc == DR_OK) {
        r->discard_body = 0;
        r->lingering_close = 0;
        r->lingering_time = 0;
        dr_http_finalize_request(r, DR_DONE);
        return;
    }

    if (rc >= DR_HTTP_SPECIAL_RESPONSE) {
        c->error = 1;
        dr_http_finalize_request(r, DR_ERROR);
        return;
    }

    /* rc == DR_AGAIN */

    if (dr_handle_read_event(rev, 0) != DR_OK) {
        c->error = 1;
        dr_http_finalize_request(r, DR_ERROR);
        return;
    }

    if (timer) {

        clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

        timer *= 1000;

        if (timer > clcf->lingering_timeout) {
            timer = clcf->lingering_timeout;
        }

        dr_add_timer(rev, timer);
    }
}


static dr_int_t
dr_http_read_discarded_request_body(dr_http_request_t *r)
{
    size_t     size;
    ssize_t    n;
    dr_int_t   rc;
    dr_buf_t   b;
    u_char     buffer[DR_HTTP_DISCARD_BUFFER_SIZE];

    dr_memzero(&b, sizeof(dr_buf_t));

    b.temporary = 1;

    for ( ;; ) {
        if (r->headers_in.content_length_n == 0) {
            break;
        }

        if (!r->connection->read->ready) {
            return DR_AGAIN;
        }

        size = (size_t) dr_min(r->headers_in.content_length_n,
                               DR_HTTP_DISCARD_BUFFER_SIZE);

        n = r->connection->recv(r->connection, buffer, size);

        if (n == DR_ERROR) {
            r->connection->error = 1;
            return DR_OK;
        }

        if (n == DR_AGAIN) {
            return DR_AGAIN;
        }

        if (n == 0) {
            return DR_OK;
        }

        b.pos = buffer;
        b.last = buffer + n;

        rc = dr_http_discard_request_body_filter(r, &b);

        if (rc != DR_OK) {
            return rc;
        }
    }

    r->read_event_handler = dr_http_block_reading;

    return DR_OK;
}


/*
 * Drops body bytes of <b>; for a chunked body keeps
 * r->headers_in.content_length_n at what may still safely be read.
 */
static dr_int_t
dr_http_discard_request_body_filter(dr_http_request_t *r, dr_buf_t *b)
{
    size_t                    size;
    dr_int_t                  n;
    dr_str_t                  data;
    dr_http_request_body_t   *rb;

    if (r->headers_in.chunked) {

        rb = r->request_body;

        if (rb == NULL) {

            rb = dr_pcalloc(r->pool, sizeof(dr_http_request_body_t));
            if (rb == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            rb->chunked = dr_pcalloc(r->pool, sizeof(dr_http_parse_chunked_t));
            if (rb->chunked == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            /* a discarded body has no size limit but lingering_time */
            dr_http_parse_chunked_init(rb->chunked, 0);

            r->request_body = rb;
        }

        for ( ;; ) {

            if (b->pos == b->last) {
                break;
            }

            n = dr_http_parse_chunked(rb->chunked, b->pos, b->last - b->pos,
                                      &data);

            if (n == DR_PARSE_AGAIN) {
                b->pos = b->last;
                break;
            }

            if (n == DR_PARSE_ERROR) {
                dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                             "client sent invalid chunked body: %s",
                             dr_http_parse_err_text(rb->chunked->err));

                return DR_HTTP_BAD_REQUEST;
            }

            b->pos += n;

            if (dr_http_parse_chunked_done(rb->chunked)) {
                r->headers_in.content_length_n = 0;
                return DR_OK;
            }
        }

        r->headers_in.content_length_n =
                                   dr_http_request_body_chunked_rest(
                                                                rb->chunked);

    } else {
        size = b->last - b->pos;

        if ((off_t) size > r->headers_in.content_length_n) {
            b->pos += r->headers_in.content_length_n;
            r->headers_in.content_length_n = 0;

        } else {
            b->pos = b->last;
            r->headers_in.content_length_n -= size;
        }
    }

    return DR_OK;
}


static dr_int_t
dr_http_test_expect(dr_http_request_t *r)
{
    ssize_t    n;
    dr_str_t  *expect;

    if (r->expect_tested
        || r->headers_in.expect == NULL
        || r->http_version < DR_HTTP_VERSION_11)
    {
        return DR_OK;
    }

    r->expect_tested = 1;

    expect = &r->headers_in.expect->value;

    if (expect->len != sizeof("100-continue") - 1
        || dr_strncasecmp(expect->data, (u_char *) "100-continue",
                          sizeof("100-continue") - 1)
           != 0)
    {
        return DR_OK;
    }

    n = r->connection->send(r->connection,
                            (u_char *) "HTTP/1.1 100 Continue" CRLF CRLF,
                            sizeof("HTTP/1.1 100 Continue" CRLF CRLF) - 1);

    if (n == sizeof("HTTP/1.1 100 Continue" CRLF CRLF) - 1) {
        return DR_OK;
    }

    /* we assume that such small packet should be send successfully */

    r->connection->error = 1;

    return DR_ERROR;
}


static dr_int_t
dr_http_request_body_filter(dr_http_request_t *r, dr_chain_t *in)
{
    if (r->headers_in.chunked) {
        return dr_http_request_body_chunked_filter(r, in);

    } else {
        return dr_http_request_body_length_filter(r, in);
    }
}


static dr_int_t
dr_http_request_body_length_filter(dr_http_request_t *r, dr_chain_t *in)
{
    size_t                   size;
    dr_int_t                 rc;
    dr_buf_t                *b;
    dr_chain_t              *cl, *tl, *out, **ll;
    dr_http_request_body_t  *rb;

    rb = r->request_body;

    out = NULL;
    ll = &out;

    if (rb->rest == -1) {
        rb->rest = r->headers_in.content_length_n;

        if (rb->rest == 0) {

            tl = dr_http_chain_get_free_buf(r, &rb->free);
            if (tl == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            b = tl->buf;

            dr_memzero(b, sizeof(dr_buf_t));

            b->last_buf = 1;

            *ll = tl;
            ll = &tl->next;
        }
    }

    for (cl = in; cl; cl = cl->next) {

        if (rb->rest == 0) {
            break;
        }

        tl = dr_http_chain_get_free_buf(r, &rb->free);
        if (tl == NULL) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        b = tl->buf;

        dr_memzero(b, sizeof(dr_buf_t));

        b->temporary = 1;
        b->tag = (dr_buf_tag_t) &dr_http_request_body_tag;
        b->start = cl->buf->pos;
        b->pos = cl->buf->pos;
        b->last = cl->buf->last;
        b->end = cl->buf->end;
        b->flush = r->request_body_no_buffering;

        size = cl->buf->last - cl->buf->pos;

        if ((off_t) size < rb->rest) {
            cl->buf->pos = cl->buf->last;
            rb->rest -= size;

        } else {
            cl->buf->pos += (size_t) rb->rest;
            rb->rest = 0;
            b->last = cl->buf->pos;
            b->last_buf = 1;
        }

        rb->received += b->last - b->pos;

        *ll = tl;
        ll = &tl->next;
    }

    rc = dr_http_top_request_body_filter(r, out);

    dr_http_chain_update_chains(r, &rb->free, &rb->busy, &out,
                                (dr_buf_tag_t) &dr_http_request_body_tag);

    return rc;
}


static dr_int_t
dr_http_request_body_chunked_filter(dr_http_request_t *r, dr_chain_t *in)
{
    dr_int_t                  n, rc;
    dr_str_t                  data;
    dr_buf_t                 *b;
    dr_chain_t               *cl, *out, *tl, **ll;
    dr_http_request_body_t   *rb;
    dr_http_core_loc_conf_t  *clcf;

    rb = r->request_body;

    out = NULL;
    ll = &out;

    if (rb->rest == -1) {

        rb->chunked = dr_pcalloc(r->pool, sizeof(dr_http_parse_chunked_t));
        if (rb->chunked == NULL) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

        dr_http_parse_chunked_init(rb->chunked, clcf->client_max_body_size);

        r->headers_in.content_length_n = 0;
        rb->rest = dr_http_request_body_chunked_rest(rb->chunked);
    }

    for (cl = in; cl; cl = cl->next) {

        for ( ;; ) {

            if (cl->buf->pos == cl->buf->last) {
                break;
            }

            n = dr_http_parse_chunked(rb->chunked, cl->buf->pos,
                                      cl->buf->last - cl->buf->pos, &data);

            if (n == DR_PARSE_AGAIN) {
                cl->buf->pos = cl->buf->last;
                break;
            }

            if (n == DR_PARSE_ERROR) {
                return dr_http_request_body_chunked_error(r, rb->chunked);
            }

            cl->buf->pos += n;

            if (data.len) {

                tl = dr_http_chain_get_free_buf(r, &rb->free);
                if (tl == NULL) {
                    return DR_HTTP_INTERNAL_SERVER_ERROR;
                }

                b = tl->buf;

                dr_memzero(b, sizeof(dr_buf_t));

                b->temporary = 1;
                b->tag = (dr_buf_tag_t) &dr_http_request_body_tag;
                b->start = data.data;
                b->pos = data.data;
                b->last = data.data + data.len;
                b->end = cl->buf->end;
                b->flush = r->request_body_no_buffering;

                r->headers_in.content_length_n += data.len;
                rb->received += data.len;

                *ll = tl;
                ll = &tl->next;
            }

            if (dr_http_parse_chunked_done(rb->chunked)) {

                /* a whole response has been parsed successfully */

                rb->rest = 0;

                tl = dr_http_chain_get_free_buf(r, &rb->free);
                if (tl == NULL) {
                    return DR_HTTP_INTERNAL_SERVER_ERROR;
                }

                b = tl->buf;

                dr_memzero(b, sizeof(dr_buf_t));

                b->last_buf = 1;

                *ll = tl;
                ll = &tl->next;

                break;
            }
        }

        if (rb->rest == 0) {
            break;
        }

        rb->rest = dr_http_request_body_chunked_rest(rb->chunked);
    }

    rc = dr_http_top_request_body_filter(r, out);

    dr_http_chain_update_chains(r, &rb->free, &rb->busy, &out,
                                (dr_buf_tag_t) &dr_http_request_body_tag);

    return rc;
}


/*
 * How many bytes surely still belong to a chunked body: inside a chunk,
 * its rest, the CRLF after it and the shortest last chunk ("0" CRLF
 * CRLF); in the framing, one byte. Reading no more than that keeps a
 * pipelined request in the socket.
 */
static off_t
dr_http_request_body_chunked_rest(dr_http_parse_chunked_t *ch)
{
    if (dr_http_parse_chunked_done(ch)) {
        return 0;
    }

    if (ch->size > 0) {
        return ch->size + 2 + 5;
    }

    return 1;
}


static dr_int_t
dr_http_request_body_chunked_error(dr_http_request_t *r,
    dr_http_parse_chunked_t *ch)
{
    if (ch->err == DR_HTTP_PARSE_ERR_BODY_TOO_LARGE) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "client intended to send too large chunked body: "
                     "%O bytes", ch->total);

        r->lingering_close = 1;

        return DR_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    dr_log_error(DR_LOG_INFO, r->connection->log, 0,
                 "client sent invalid chunked body: %s",
                 dr_http_parse_err_text(ch->err));

    r->keepalive = 0;

    return DR_HTTP_BAD_REQUEST;
}


dr_int_t
dr_http_request_body_save_filter(dr_http_request_t *r, dr_chain_t *in)
{
    dr_buf_t                 *b;
    dr_chain_t               *cl, *tl, **ll;
    dr_http_request_body_t   *rb;

    rb = r->request_body;

    ll = &rb->bufs;

    for (cl = rb->bufs; cl; cl = cl->next) {
        ll = &cl->next;
    }

    for (cl = in; cl; cl = cl->next) {

        if (cl->buf->last_buf) {
            rb->last_saved = 1;

            if (dr_buf_size(cl->buf) == 0) {
                continue;
            }
        }

        tl = dr_http_alloc_chain_link(r);
        if (tl == NULL) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        tl->buf = cl->buf;
        *ll = tl;
        ll = &tl->next;
    }

    *ll = NULL;

    if (r->request_body_no_buffering) {
        return DR_OK;
    }

    if (rb->rest > 0) {

        if (rb->bufs && rb->buf && rb->buf->last == rb->buf->end
            && dr_http_write_request_body(r) != DR_OK)
        {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        return DR_OK;
    }

    if (!rb->last_saved) {
        return DR_OK;
    }

    /* rb->rest == 0 */

    if (rb->temp_file || r->request_body_in_file_only) {

        if (rb->bufs && dr_http_write_request_body(r) != DR_OK) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rb->temp_file == NULL
            && dr_http_create_temp_file(r) != DR_OK)
        {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        cl = dr_http_chain_get_free_buf(r, &rb->free);
        if (cl == NULL) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        b = cl->buf;

        dr_memzero(b, sizeof(dr_buf_t));

        b->in_file = 1;
        b->file_pos = 0;
        b->file_last = rb->temp_file->file.offset;
        b->file = &rb->temp_file->file;

        rb->bufs = cl;
    }

    return DR_OK;
}
