/*
 * The end of the body filter chain (nginx's ngx_http_write_filter_
 * module.c): appends what comes to r->out and sends it with
 * c->send_chain (writev for memory, sendfile for file buffers, TCP_CORK
 * around them when tcp_nopush allows) once there is a reason to: the last
 * buffer, a flush, or postpone_output bytes. What the socket did not take
 * stays in r->out (c->buffered) and the caller gets DR_AGAIN; the request's
 * write handler resumes it, bounded by send_timeout. sendfile_max_chunk
 * caps one call so a fast client cannot monopolise the worker.
 *
 * Chain links come from and return to a per-request free list, so a long
 * response sent in many pieces does not grow r->pool. The two chain
 * helpers at the end are nginx's ngx_chain_get_free_buf/update_chains,
 * for filters (chunked, gzip) and the proxy.
 */

#include "dr_http.h"


static dr_int_t dr_http_write_filter_init(dr_conf_t *cf);


static dr_http_module_t  dr_http_write_filter_module_ctx = {
    .postconfiguration = dr_http_write_filter_init,
};


dr_module_t  dr_http_write_filter_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_write_filter",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_write_filter_module_ctx,
};


dr_chain_t *
dr_http_alloc_chain_link(dr_http_request_t *r)
{
    dr_chain_t  *cl;

    cl = r->free_links;

    if (cl) {
        r->free_links = cl->next;
        return cl;
    }

    return dr_alloc_chain_link(r->pool);
}


void
dr_http_free_chain_link(dr_http_request_t *r, dr_chain_t *cl)
{
    cl->next = r->free_links;
    r->free_links = cl;
}


dr_int_t
dr_http_write_filter(dr_http_request_t *r, dr_chain_t *in)
{
    off_t                      size, sent, limit;
    dr_uint_t                  last, flush, sync;
    dr_chain_t                *cl, *ln, **ll, *chain;
    dr_connection_t           *c;
    dr_http_core_loc_conf_t   *clcf;

    c = r->connection;

    if (c->error) {
        return DR_ERROR;
    }

    size = 0;
    flush = 0;
    sync = 0;
    last = 0;
    ll = &r->out;

    /* find the size, the flush point and the last link of the saved chain */

    for (cl = r->out; cl; cl = cl->next) {
        ll = &cl->next;

        size += dr_buf_size(cl->buf);

        if (cl->buf->flush || cl->buf->recycled) {
            flush = 1;
        }

        if (cl->buf->sync) {
            sync = 1;
        }

        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    /* add the new chain to the existent one */

    for (ln = in; ln; ln = ln->next) {

        if (dr_buf_size(ln->buf) == 0 && !dr_buf_special(ln->buf)) {
            dr_log_error(DR_LOG_ALERT, c->log, 0,
                         "zero size buf in writer "
                         "t:%d r:%d f:%d %p %p-%p %p %O-%O",
                         ln->buf->temporary, ln->buf->recycled,
                         ln->buf->in_file, ln->buf->start, ln->buf->pos,
                         ln->buf->last, ln->buf->file, ln->buf->file_pos,
                         ln->buf->file_last);
            return DR_ERROR;
        }

        if (dr_buf_size(ln->buf) < 0) {
            dr_log_error(DR_LOG_ALERT, c->log, 0,
                         "negative size buf in writer");
            return DR_ERROR;
        }

        cl = dr_http_alloc_chain_link(r);
        if (cl == NULL) {
            return DR_ERROR;
        }

        cl->buf = ln->buf;
        *ll = cl;
        ll = &cl->next;

        size += dr_buf_size(cl->buf);

        if (cl->buf->flush || cl->buf->recycled) {
            flush = 1;
        }

        if (cl->buf->sync) {
            sync = 1;
        }

        if (cl->buf->last_buf) {
            last = 1;
        }
    }

    *ll = NULL;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    /*
     * avoid the output if there are no last buf, no flush point,
     * there are the incoming bufs and the size of all bufs
     * is smaller than "postpone_output" directive
     */

    if (!last && !flush && in && size < (off_t) clcf->postpone_output) {
        return DR_OK;
    }

    if (c->write->delayed) {
        c->buffered |= DR_HTTP_WRITE_BUFFERED;
        return DR_AGAIN;
    }

    if (size == 0
        && !(c->buffered & DR_HTTP_LOWLEVEL_BUFFERED)
        && !(last && c->need_last_buf))
    {
        if (last || flush || sync) {
            for (cl = r->out; cl; /* void */) {
                ln = cl;
                cl = cl->next;
                dr_http_free_chain_link(r, ln);
            }

            r->out = NULL;
            c->buffered &= ~DR_HTTP_WRITE_BUFFERED;

            return DR_OK;
        }

        dr_log_error(DR_LOG_ALERT, c->log, 0,
                     "the http output chain is empty");

        return DR_ERROR;
    }

    limit = clcf->sendfile_max_chunk;

    sent = c->sent;

    chain = c->send_chain(c, r->out, limit);

    if (chain == DR_CHAIN_ERROR) {
        c->error = 1;
        return DR_ERROR;
    }

    if (c->write->ready
        && clcf->sendfile_max_chunk
        && (size_t) (c->sent - sent)
           >= clcf->sendfile_max_chunk - 2 * (size_t) getpagesize())
    {
        /* let the others run: resume at the next loop turn */
        c->write->delayed = 1;
        dr_add_timer(c->write, 1);
    }

    for (cl = r->out; cl && cl != chain; /* void */) {
        ln = cl;
        cl = cl->next;
        dr_http_free_chain_link(r, ln);
    }

    r->out = chain;

    if (chain) {
        c->buffered |= DR_HTTP_WRITE_BUFFERED;
        return DR_AGAIN;
    }

    c->buffered &= ~DR_HTTP_WRITE_BUFFERED;

    if (c->buffered & DR_HTTP_LOWLEVEL_BUFFERED) {
        return DR_AGAIN;
    }

    return DR_OK;
}


static dr_int_t
dr_http_write_filter_init(dr_conf_t *cf)
{
    dr_http_top_body_filter = dr_http_write_filter;

    return DR_OK;
}


dr_chain_t *
dr_http_chain_get_free_buf(dr_http_request_t *r, dr_chain_t **free)
{
    dr_chain_t  *cl;

    if (*free) {
        cl = *free;
        *free = cl->next;
        cl->next = NULL;
        return cl;
    }

    cl = dr_http_alloc_chain_link(r);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = dr_calloc_buf(r->pool);
    if (cl->buf == NULL) {
        return NULL;
    }

    cl->next = NULL;

    return cl;
}


void
dr_http_chain_update_chains(dr_http_request_t *r, dr_chain_t **free,
    dr_chain_t **busy, dr_chain_t **out, dr_buf_tag_t tag)
{
    dr_chain_t  *cl;

    if (*out) {
        if (*busy == NULL) {
            *busy = *out;

        } else {
            for (cl = *busy; cl->next; cl = cl->next) { /* void */ }

            cl->next = *out;
        }

        *out = NULL;
    }

    while (*busy) {
        cl = *busy;

        if (cl->buf->tag != tag) {
            *busy = cl->next;
            dr_http_free_chain_link(r, cl);
            continue;
        }

        if (dr_buf_size(cl->buf) != 0) {
            break;
        }

        cl->buf->pos = cl->buf->start;
        cl->buf->last = cl->buf->start;

        *busy = cl->next;
        cl->next = *free;
        *free = cl;
    }
}
