/*
 * The HTTP side of proxying, part two: the response body on its way to
 * the client, and upgraded (101) connections.
 *
 * The body goes through a small pipe (nginx's event pipe, much reduced):
 * raw bytes are read into a buffer, the protocol's input filter turns
 * them into payload in place (removing chunk framing), and payload bufs
 * queue in <out> until they are handed to the output filters, which keep
 * what the client has not taken yet (<busy>); sent bufs are reused. Memory
 * is bounded: at most proxy_buffers (plus the head's buffer) are ever
 * allocated and at most proxy_busy_buffers_size of them wait for the
 * client. When every buffer is full and the client is slow, queued bufs
 * are written to a temp file (proxy_temp_path, unlinked at once) that the
 * client is then sent from with sendfile, up to proxy_max_temp_file_size;
 * beyond that, or with proxy_buffering off (one buffer, no file), the
 * upstream is read only as fast as the client takes: back-pressure. The
 * temp file is truncated whenever nothing in it remains to be sent, so a
 * long response never holds more than the limit on disk either.
 *
 * An upgraded connection is a tunnel: two buffers, bytes copied as they
 * come in each direction, idle time bounded by proxy_read_timeout.
 * Workers only.
 */

#include "dr_http_upstream.h"


static dr_int_t dr_http_upstream_pipe_init(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_process_upstream(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_process_downstream(dr_http_request_t *r);
static void dr_http_upstream_process_body(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_pipe_write(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_uint_t all);
static void dr_http_upstream_pipe_update(dr_http_request_t *r,
    dr_http_upstream_pipe_t *p);
static dr_int_t dr_http_upstream_pipe_read(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_pipe_filter(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_chain_t *cl);
static dr_chain_t *dr_http_upstream_pipe_get_buf(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_pipe_spill(dr_http_request_t *r,
    dr_http_upstream_t *u);
static dr_int_t dr_http_upstream_pipe_temp_file(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_pipe_temp_cleanup(void *data);

static void dr_http_upstream_upgraded_read_downstream(dr_http_request_t *r);
static void dr_http_upstream_upgraded_write_downstream(
    dr_http_request_t *r);
static void dr_http_upstream_upgraded_read_upstream(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_upgraded_write_upstream(dr_http_request_t *r,
    dr_http_upstream_t *u);
static void dr_http_upstream_process_upgraded(dr_http_request_t *r,
    dr_uint_t from_upstream, dr_uint_t do_write);


/* the pipe's memory bufs and its file bufs */
static u_char  dr_http_upstream_pipe_tag;
static u_char  dr_http_upstream_file_tag;


void
dr_http_upstream_send_response(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_int_t  rc;

    rc = dr_http_send_header(r);

    if (rc == DR_ERROR || rc > DR_OK || r->post_action) {
        dr_http_upstream_finalize_request(r, u, rc);
        return;
    }

    u->header_sent = 1;

    if (u->upgrade) {
        dr_http_upstream_upgrade(r, u);
        return;
    }

    if (u->input_filter_init(r) != DR_OK) {
        dr_http_upstream_finalize_request(r, u, DR_ERROR);
        return;
    }

    if (r->header_only || u->length == 0) {

        if (u->length != 0) {
            /* a body follows that nobody will read */
            u->keepalive = 0;
        }

        dr_http_upstream_finalize_request(r, u, rc);
        return;
    }

    r->connection->log->action = "reading upstream";

    if (dr_http_upstream_pipe_init(r, u) != DR_OK) {
        dr_http_upstream_finalize_request(r, u, DR_ERROR);
        return;
    }

    r->write_event_handler = dr_http_upstream_process_downstream;
    u->read_event_handler = dr_http_upstream_process_upstream;

    dr_http_upstream_process_body(r, u);
}


/*
 * The pipe's first buffer is the head's, with the body bytes that came
 * with the head in it.
 */
static dr_int_t
dr_http_upstream_pipe_init(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_buf_t                 *b;
    dr_chain_t               *cl;
    dr_http_upstream_pipe_t  *p;

    p = &u->pipe;

    p->last_out = &p->out;

    if (u->buffering) {
        p->num = (dr_uint_t) u->conf->bufs.num;
        p->size = u->conf->bufs.size;
        p->busy_limit = u->conf->busy_buffers_size;
        p->temp_limit = (off_t) u->conf->max_temp_file_size;

    } else {
        p->num = 1;
        p->allocated = 1;
        p->size = u->conf->buffer_size;
        p->busy_limit = u->conf->buffer_size;
        p->temp_limit = 0;
    }

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_ERROR;
    }

    *b = u->buffer;
    b->tag = &dr_http_upstream_pipe_tag;
    b->recycled = 1;
    b->temporary = 1;

    cl = dr_http_alloc_chain_link(r);
    if (cl == NULL) {
        return DR_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;

    if (b->pos == b->last) {
        b->pos = b->start;
        b->last = b->start;
        cl->next = p->free;
        p->free = cl;
        return DR_OK;
    }

    /* a body that fails at once is cut like one that fails later */
    (void) dr_http_upstream_pipe_filter(r, u, cl);

    return DR_OK;
}


static void
dr_http_upstream_process_upstream(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_connection_t  *uc;

    uc = u->peer.connection;

    uc->log->action = "reading upstream";

    if (uc->read->timedout) {
        uc->read->timedout = 0;
        dr_log_error(DR_LOG_ERR, uc->log, DR_ETIMEDOUT, "upstream timed out");
        u->pipe.upstream_error = 1;
    }

    dr_http_upstream_process_body(r, u);
}


static void
dr_http_upstream_process_downstream(dr_http_request_t *r)
{
    dr_connection_t     *c;
    dr_http_upstream_t  *u;

    c = r->connection;
    u = r->upstream;

    c->log->action = "sending to client";

    if (c->write->timedout) {
        c->timedout = 1;
        dr_log_error(DR_LOG_INFO, c->log, DR_ETIMEDOUT, "client timed out");
        dr_http_upstream_finalize_request(r, u, DR_HTTP_REQUEST_TIME_OUT);
        return;
    }

    dr_http_upstream_process_body(r, u);
}


/*
 * Moves data both ways as long as one of them makes progress, then
 * decides: done, failed, or wait for which events with which timers.
 */
static void
dr_http_upstream_process_body(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_int_t                   rc, progress;
    dr_connection_t           *c, *uc;
    dr_http_upstream_pipe_t   *p;
    dr_http_core_loc_conf_t   *clcf;

    p = &u->pipe;
    c = r->connection;
    uc = u->peer.connection;

    for ( ;; ) {
        progress = 0;

        if (!p->downstream_error) {
            rc = dr_http_upstream_pipe_write(r, u, 0);

            if (rc == DR_ERROR) {
                p->downstream_error = 1;
            }
        }

        if (!p->upstream_done && !p->upstream_error && !p->downstream_error) {
            rc = dr_http_upstream_pipe_read(r, u);

            if (rc == DR_OK) {
                progress = 1;
            }
        }

        if (!progress) {
            break;
        }
    }

    if (p->downstream_error) {
        dr_http_upstream_finalize_request(r, u, DR_ERROR);
        return;
    }

    if (p->upstream_error) {
        /* what came is sent; the client sees the response cut short */
        (void) dr_http_upstream_pipe_write(r, u, 1);
        dr_http_upstream_finalize_request(r, u, DR_HTTP_BAD_GATEWAY);
        return;
    }

    if (p->upstream_done) {
        if (dr_http_upstream_pipe_write(r, u, 1) == DR_ERROR) {
            dr_http_upstream_finalize_request(r, u, DR_ERROR);
            return;
        }

        dr_http_upstream_finalize_request(r, u, 0);
        return;
    }

    /* wait: the upstream for data (if a buffer is free), the client */

    if (uc->read->ready) {
        /* no buffer to read into: the client must take some first */
        if (uc->read->timer_set) {
            dr_del_timer(uc->read);
        }

    } else {
        dr_add_timer(uc->read, u->conf->read_timeout);

        if (dr_handle_read_event(uc->read, 0) != DR_OK) {
            dr_http_upstream_finalize_request(r, u, DR_ERROR);
            return;
        }
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (c->buffered || p->busy) {
        /* a delayed write (sendfile_max_chunk) has its own short timer */
        if (!c->write->ready && !c->write->delayed) {
            dr_add_timer(c->write, clcf->send_timeout);
        }

        if (dr_handle_write_event(c->write, clcf->send_lowat) != DR_OK) {
            dr_http_upstream_finalize_request(r, u, DR_ERROR);
            return;
        }

    } else if (c->write->timer_set && !c->write->delayed) {
        dr_del_timer(c->write);
    }
}


/*
 * Hands queued payload to the output filters while the bytes waiting for
 * the client stay under busy_limit (<all>: everything), and takes back
 * what was sent. DR_OK, DR_AGAIN (the client is slow) or DR_ERROR.
 */
static dr_int_t
dr_http_upstream_pipe_write(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_uint_t all)
{
    off_t                     busy_size, size;
    dr_int_t                  rc;
    dr_chain_t               *cl, *out, **ll, **busy_last;
    dr_connection_t          *c;
    dr_http_upstream_pipe_t  *p;

    p = &u->pipe;
    c = r->connection;

    /* what the filters hold goes first, as far as the client takes it */

    if (c->buffered && c->write->ready) {
        rc = dr_http_output_filter(r, NULL);

        if (rc == DR_ERROR) {
            return DR_ERROR;
        }
    }

    dr_http_upstream_pipe_update(r, p);

    busy_size = 0;
    busy_last = &p->busy;

    for (cl = p->busy; cl; cl = cl->next) {
        busy_size += dr_buf_size(cl->buf);
        busy_last = &cl->next;
    }

    if (p->out == NULL) {
        return c->buffered ? DR_AGAIN : DR_OK;
    }

    /* the longest prefix of <out> that fits (at least one buf) */

    out = p->out;
    ll = &p->out;

    for (cl = p->out; cl; cl = cl->next) {
        size = dr_buf_size(cl->buf);

        if (!all && busy_size && busy_size + size > (off_t) p->busy_limit) {
            break;
        }

        busy_size += size;
        ll = &cl->next;
    }

    if (ll == &p->out) {
        /* the client has enough to chew on */
        return DR_AGAIN;
    }

    p->out = *ll;
    *ll = NULL;

    if (p->out == NULL) {
        p->last_out = &p->out;
    }

    /* they are the client's now, until sent */

    *busy_last = out;

    rc = dr_http_output_filter(r, out);

    if (rc == DR_ERROR) {
        return DR_ERROR;
    }

    dr_http_upstream_pipe_update(r, p);

    return rc == DR_AGAIN || c->buffered ? DR_AGAIN : DR_OK;
}


/* the sent bufs at the head of <busy> go back to the free lists */
static void
dr_http_upstream_pipe_update(dr_http_request_t *r, dr_http_upstream_pipe_t *p)
{
    dr_buf_t    *b;
    dr_chain_t  *cl;

    while (p->busy) {
        cl = p->busy;
        b = cl->buf;

        if (dr_buf_size(b) != 0) {
            break;
        }

        p->busy = cl->next;

        if (b->tag == &dr_http_upstream_file_tag) {
            p->temp_bufs--;
            cl->next = p->free_file;
            p->free_file = cl;

        } else {
            b->pos = b->start;
            b->last = b->start;
            b->flush = 0;
            cl->next = p->free;
            p->free = cl;
        }
    }

    if (p->temp.fd != DR_INVALID_FILE && p->temp_bufs == 0
        && p->temp.offset)
    {
        /* nothing in the file is wanted any more: start it over */
        if (ftruncate(p->temp.fd, 0) == -1) {
            dr_log_error(DR_LOG_CRIT, r->connection->log, dr_errno,
                         "ftruncate() \"%V\" failed", &p->temp.name);
        }

        p->temp.offset = 0;
    }
}


/*
 * One read from the upstream into a free buffer (spilling to the temp
 * file to make one free if allowed). DR_OK: progress; DR_AGAIN: nothing
 * to read or nowhere to put it; DR_DONE/DR_ERROR set the pipe's flags.
 */
static dr_int_t
dr_http_upstream_pipe_read(dr_http_request_t *r, dr_http_upstream_t *u)
{
    ssize_t                   n;
    dr_buf_t                 *b;
    dr_chain_t               *cl;
    dr_connection_t          *uc;
    dr_http_upstream_pipe_t  *p;

    p = &u->pipe;
    uc = u->peer.connection;

    if (!uc->read->ready) {
        return DR_AGAIN;
    }

    cl = dr_http_upstream_pipe_get_buf(r, u);

    if (cl == NULL) {
        return p->upstream_error ? DR_ERROR : DR_AGAIN;
    }

    b = cl->buf;

    n = uc->recv(uc, b->last, b->end - b->last);

    if (n == DR_AGAIN || n == DR_ERROR || n == 0) {
        cl->next = p->free;
        p->free = cl;
    }

    if (n == DR_AGAIN) {
        return DR_AGAIN;
    }

    if (n == DR_ERROR) {
        p->upstream_error = 1;
        return DR_ERROR;
    }

    if (n == 0) {
        if (u->headers_in.chunked || u->length > 0) {
            dr_log_error(DR_LOG_ERR, uc->log, 0,
                         "upstream prematurely closed connection");
            p->upstream_error = 1;
            return DR_ERROR;
        }

        /* a body delimited by the close */
        u->keepalive = 0;
        p->upstream_done = 1;

        return DR_DONE;
    }

    u->state->bytes_received += n;
    b->last += n;

    if (dr_http_upstream_pipe_filter(r, u, cl) != DR_OK) {
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * Runs the input filter over the raw bytes of cl's buf and queues the
 * payload left in it (or gives the buf back). DR_OK, or DR_ERROR with
 * the pipe's upstream_error set (what was good is queued all the same).
 */
static dr_int_t
dr_http_upstream_pipe_filter(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_chain_t *cl)
{
    dr_int_t                  rc;
    dr_buf_t                 *b;
    dr_http_upstream_pipe_t  *p;

    p = &u->pipe;
    b = cl->buf;

    rc = u->input_filter(r, b);

    if (rc != DR_OK) {
        p->upstream_error = 1;
    }

    if (b->last > b->pos) {
        u->state->response_length += b->last - b->pos;

        b->flush = !u->buffering;

        cl->next = NULL;
        *p->last_out = cl;
        p->last_out = &cl->next;

    } else {
        b->pos = b->start;
        b->last = b->start;
        cl->next = p->free;
        p->free = cl;
    }

    if (u->length == 0 && rc == DR_OK) {
        p->upstream_done = 1;
    }

    return rc;
}


/* a free memory buf: reused, new (up to the limit), or freed by a spill */
static dr_chain_t *
dr_http_upstream_pipe_get_buf(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_buf_t                 *b;
    dr_chain_t               *cl;
    dr_http_upstream_pipe_t  *p;

    p = &u->pipe;

    if (p->free == NULL && p->allocated < p->num) {
        b = dr_create_temp_buf(r->pool, p->size);
        if (b == NULL) {
            p->upstream_error = 1;
            return NULL;
        }

        b->tag = &dr_http_upstream_pipe_tag;
        b->recycled = 1;

        cl = dr_http_alloc_chain_link(r);
        if (cl == NULL) {
            p->upstream_error = 1;
            return NULL;
        }

        cl->buf = b;
        cl->next = NULL;

        p->allocated++;

        return cl;
    }

    if (p->free == NULL && p->temp_limit) {
        if (dr_http_upstream_pipe_spill(r, u) == DR_ERROR) {
            p->upstream_error = 1;
            return NULL;
        }
    }

    cl = p->free;

    if (cl) {
        p->free = cl->next;
        cl->next = NULL;
    }

    return cl;
}


/*
 * Writes the memory bufs queued in <out> to the temp file, within
 * max_temp_file_size and about temp_file_write_size at a time, and queues
 * file bufs in their place, so the memory bufs are free again. DR_OK
 * (possibly nothing written: the file is full) or DR_ERROR.
 */
static dr_int_t
dr_http_upstream_pipe_spill(dr_http_request_t *r, dr_http_upstream_t *u)
{
    off_t                     size, written;
    ssize_t                   n;
    dr_buf_t                 *b, *fb;
    dr_chain_t               *cl, *fl, *prev, **ll;
    dr_http_upstream_pipe_t  *p;

    p = &u->pipe;

    if (p->temp.fd == DR_INVALID_FILE) {
        if (dr_http_upstream_pipe_temp_file(r, u) != DR_OK) {
            return DR_ERROR;
        }
    }

    prev = NULL;
    written = 0;

    for (ll = &p->out; *ll; ll = &(*ll)->next) {
        cl = *ll;
        b = cl->buf;

        if (b->tag != &dr_http_upstream_pipe_tag) {
            prev = cl;
            continue;
        }

        size = b->last - b->pos;

        if (p->temp.offset + size > p->temp_limit
            || written >= (off_t) u->conf->temp_file_write_size)
        {
            break;
        }

        written += size;

        n = pwrite(p->temp.fd, b->pos, (size_t) size, p->temp.offset);

        if (n != (ssize_t) size) {
            dr_log_error(DR_LOG_CRIT, r->connection->log,
                         n == -1 ? dr_errno : 0,
                         "pwrite() to \"%V\" failed", &p->temp.name);
            return DR_ERROR;
        }

        if (prev && prev->buf->tag == &dr_http_upstream_file_tag
            && prev->buf->file_last == p->temp.offset)
        {
            /* extends the file buf before it */
            prev->buf->file_last += size;
            *ll = cl->next;
            fl = prev;

        } else {
            fl = p->free_file;

            if (fl) {
                p->free_file = fl->next;
                fb = fl->buf;

            } else {
                fl = dr_http_alloc_chain_link(r);
                fb = dr_calloc_buf(r->pool);

                if (fl == NULL || fb == NULL) {
                    return DR_ERROR;
                }

                fl->buf = fb;
            }

            dr_memzero(fb, sizeof(dr_buf_t));

            fb->in_file = 1;
            fb->temp_file = 1;
            fb->file = &p->temp;
            fb->file_pos = p->temp.offset;
            fb->file_last = p->temp.offset + size;
            fb->tag = &dr_http_upstream_file_tag;
            fb->flush = 1;

            fl->next = cl->next;
            *ll = fl;

            p->temp_bufs++;
        }

        p->temp.offset += size;

        b->pos = b->start;
        b->last = b->start;
        cl->next = p->free;
        p->free = cl;

        prev = fl;
        ll = &fl->next;

        if (*ll == NULL) {
            break;
        }
    }

    /* where the next payload is queued */

    for (ll = &p->out; *ll; ll = &(*ll)->next) { /* void */ }
    p->last_out = ll;

    return DR_OK;
}


static dr_int_t
dr_http_upstream_pipe_temp_file(dr_http_request_t *r, dr_http_upstream_t *u)
{
    u_char                   *q;
    uint32_t                  n;
    dr_uint_t                 tries, made_dir;
    dr_pool_cleanup_t        *cln;
    dr_http_upstream_pipe_t  *p;

    static uint32_t           dr_http_upstream_temp_number;

    p = &u->pipe;

    p->temp.name.data = dr_pnalloc(r->pool, u->conf->temp_path.len + 12);
    if (p->temp.name.data == NULL) {
        return DR_ERROR;
    }

    if (dr_http_upstream_temp_number == 0) {
        dr_http_upstream_temp_number = (uint32_t) getpid() * 7919 + 1;
    }

    made_dir = 0;

    for (tries = 0; tries < 100; tries++) {
        n = dr_http_upstream_temp_number++;

        q = dr_sprintf(p->temp.name.data, "%V/%010uD%Z", &u->conf->temp_path,
                       n);
        p->temp.name.len = q - 1 - p->temp.name.data;

        p->temp.fd = open((char *) p->temp.name.data,
                          O_CREAT|O_EXCL|O_RDWR|O_CLOEXEC, 0600);

        if (p->temp.fd != DR_INVALID_FILE) {
            break;
        }

        if (errno == EEXIST) {
            continue;
        }

        if (errno == ENOENT && !made_dir) {
            made_dir = 1;

            if (mkdir((char *) u->conf->temp_path.data, 0700) == -1
                && errno != EEXIST)
            {
                dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                             "mkdir() \"%V\" failed", &u->conf->temp_path);
                return DR_ERROR;
            }

            continue;
        }

        dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                     "open() \"%V\" failed", &p->temp.name);
        return DR_ERROR;
    }

    if (p->temp.fd == DR_INVALID_FILE) {
        dr_log_error(DR_LOG_CRIT, r->connection->log, 0,
                     "no free temp file name in \"%V\"", &u->conf->temp_path);
        return DR_ERROR;
    }

    cln = dr_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        (void) close(p->temp.fd);
        (void) unlink((char *) p->temp.name.data);
        p->temp.fd = DR_INVALID_FILE;
        return DR_ERROR;
    }

    cln->handler = dr_http_upstream_pipe_temp_cleanup;
    cln->data = &p->temp;

    /* the open fd keeps the data; the name is of no use to anyone */
    (void) unlink((char *) p->temp.name.data);

    p->temp.offset = 0;
    p->temp.log = r->connection->log;

    dr_log_error(DR_LOG_WARN, r->connection->log, 0,
                 "an upstream response is buffered to a temporary file %V",
                 &p->temp.name);

    return DR_OK;
}


static void
dr_http_upstream_pipe_temp_cleanup(void *data)
{
    dr_file_t  *file = data;

    if (file->fd != DR_INVALID_FILE) {
        if (close(file->fd) == -1) {
            dr_log_error(DR_LOG_ALERT, file->log, dr_errno,
                         "close() \"%V\" failed", &file->name);
        }

        file->fd = DR_INVALID_FILE;
    }
}


/* ------------------------------------------------------------ upgraded */


void
dr_http_upstream_upgrade(dr_http_request_t *r, dr_http_upstream_t *u)
{
    dr_buf_t          *b;
    dr_connection_t   *c;

    c = r->connection;

    r->keepalive = 0;
    c->log->action = "proxying upgraded connection";

    u->read_event_handler = dr_http_upstream_upgraded_read_upstream;
    u->write_event_handler = dr_http_upstream_upgraded_write_upstream;
    r->read_event_handler = dr_http_upstream_upgraded_read_downstream;
    r->write_event_handler = dr_http_upstream_upgraded_write_downstream;

    /* what the client sent after its request goes first */

    b = &u->from_client;

    if (r->header_in->last > r->header_in->pos) {
        *b = *r->header_in;
        b->start = r->header_in->pos;
        b->pos = r->header_in->pos;
        b->last = r->header_in->last;
        r->header_in->pos = r->header_in->last;

        if ((size_t) (b->end - b->start) < 512) {
            b->end = b->last;
        }

    } else {
        b->start = dr_palloc(r->pool, u->conf->buffer_size);
        if (b->start == NULL) {
            dr_http_upstream_finalize_request(r, u, DR_ERROR);
            return;
        }

        b->pos = b->start;
        b->last = b->start;
        b->end = b->start + u->conf->buffer_size;
        b->temporary = 1;
    }

    u->from_upstream = &u->buffer;

    if (c->tcp_nodelay == DR_TCP_NODELAY_UNSET) {
        (void) dr_tcp_nodelay(c);
    }

    /* the 101 head goes now, before any byte of the new protocol */

    if (dr_http_send_special(r, DR_HTTP_FLUSH) == DR_ERROR) {
        dr_http_upstream_finalize_request(r, u, DR_ERROR);
        return;
    }

    if (u->peer.connection->read->timer_set) {
        dr_del_timer(u->peer.connection->read);
    }

    /* the client's side may have bytes waiting too: its turn comes next */

    if (b->last > b->pos || c->read->ready) {
        dr_post_event(c->read, &dr_posted_events);
    }

    dr_http_upstream_process_upgraded(r, 1, 1);
}


static void
dr_http_upstream_upgraded_read_downstream(dr_http_request_t *r)
{
    dr_http_upstream_process_upgraded(r, 0, 0);
}


static void
dr_http_upstream_upgraded_write_downstream(dr_http_request_t *r)
{
    dr_http_upstream_process_upgraded(r, 1, 1);
}


static void
dr_http_upstream_upgraded_read_upstream(dr_http_request_t *r,
    dr_http_upstream_t *u)
{
    dr_http_upstream_process_upgraded(r, 1, 0);
}


static void
dr_http_upstream_upgraded_write_upstream(dr_http_request_t *r,
    dr_http_upstream_t *u)
{
    dr_http_upstream_process_upgraded(r, 0, 1);
}


/*
 * Copies what arrived in one direction (from_upstream or not). The 101
 * head must have reached the client before the first raw byte does.
 */
static void
dr_http_upstream_process_upgraded(dr_http_request_t *r,
    dr_uint_t from_upstream, dr_uint_t do_write)
{
    size_t                     size;
    ssize_t                    n;
    dr_buf_t                  *b;
    dr_uint_t                  flags;
    dr_connection_t           *c, *downstream, *upstream, *dst, *src;
    dr_http_upstream_t        *u;
    dr_http_core_loc_conf_t   *clcf;

    c = r->connection;
    u = r->upstream;

    downstream = c;
    upstream = u->peer.connection;

    if (downstream->write->timedout) {
        c->timedout = 1;
        dr_log_error(DR_LOG_INFO, c->log, DR_ETIMEDOUT, "client timed out");
        dr_http_upstream_finalize_request(r, u, DR_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (upstream->read->timedout || upstream->write->timedout
        || downstream->read->timedout)
    {
        dr_log_error(DR_LOG_ERR, c->log, DR_ETIMEDOUT,
                     "upgraded connection timed out");
        dr_http_upstream_finalize_request(r, u, DR_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    if (c->buffered) {
        /* the rest of the 101 head first */
        if (dr_http_send_special(r, DR_HTTP_FLUSH) == DR_ERROR) {
            dr_http_upstream_finalize_request(r, u, DR_ERROR);
            return;
        }

        if (c->buffered) {
            clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);
            dr_add_timer(c->write, clcf->send_timeout);

            if (dr_handle_write_event(c->write, clcf->send_lowat) != DR_OK) {
                dr_http_upstream_finalize_request(r, u, DR_ERROR);
            }

            return;
        }
    }

    if (from_upstream) {
        src = upstream;
        dst = downstream;
        b = u->from_upstream;

    } else {
        src = downstream;
        dst = upstream;
        b = &u->from_client;
    }

    for ( ;; ) {

        if (do_write) {
            size = b->last - b->pos;

            if (size && dst->write->ready) {
                n = dst->send(dst, b->pos, size);

                if (n == DR_ERROR) {
                    dr_http_upstream_finalize_request(r, u, DR_ERROR);
                    return;
                }

                if (n > 0) {
                    b->pos += n;

                    if (b->pos == b->last) {
                        b->pos = b->start;
                        b->last = b->start;
                    }
                }
            }
        }

        size = b->end - b->last;

        if (size && src->read->ready) {

            n = src->recv(src, b->last, size);

            if (n == DR_AGAIN || n == 0) {
                break;
            }

            if (n > 0) {
                do_write = 1;
                b->last += n;

                if (from_upstream) {
                    u->state->bytes_received += n;
                }

                continue;
            }

            if (n == DR_ERROR) {
                src->read->eof = 1;
            }
        }

        break;
    }

    if ((upstream->read->eof && u->from_upstream->pos
                                == u->from_upstream->last)
        || (downstream->read->eof && u->from_client.pos
                                     == u->from_client.last)
        || (downstream->read->eof && upstream->read->eof))
    {
        dr_http_upstream_finalize_request(r, u, 0);
        return;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    flags = 0;

    if (dr_handle_write_event(upstream->write, u->conf->send_lowat) != DR_OK
        || dr_handle_read_event(upstream->read, flags) != DR_OK
        || dr_handle_write_event(downstream->write, clcf->send_lowat)
           != DR_OK
        || dr_handle_read_event(downstream->read, flags) != DR_OK)
    {
        dr_http_upstream_finalize_request(r, u, DR_ERROR);
        return;
    }

    /* data waiting to be written somewhere: that side has send_timeout */

    if (u->from_client.last > u->from_client.pos && !upstream->write->ready) {
        dr_add_timer(upstream->write, u->conf->send_timeout);

    } else if (upstream->write->timer_set) {
        dr_del_timer(upstream->write);
    }

    if (u->from_upstream->last > u->from_upstream->pos
        && !downstream->write->ready)
    {
        dr_add_timer(downstream->write, clcf->send_timeout);

    } else if (downstream->write->timer_set) {
        dr_del_timer(downstream->write);
    }

    /* and an idle tunnel ends after proxy_read_timeout */

    if (!upstream->read->ready) {
        dr_add_timer(upstream->read, u->conf->read_timeout);

    } else if (upstream->read->timer_set) {
        dr_del_timer(upstream->read);
    }
}
