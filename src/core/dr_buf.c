/* Buffers and chain links allocated from a pool. */

#include "dr_core.h"


dr_buf_t *
dr_create_temp_buf(dr_pool_t *pool, size_t size)
{
    dr_buf_t  *b;

    b = dr_calloc_buf(pool);
    if (b == NULL) {
        return NULL;
    }

    b->start = dr_palloc(pool, size);
    if (b->start == NULL) {
        return NULL;
    }

    b->pos = b->start;
    b->last = b->start;
    b->end = b->last + size;
    b->temporary = 1;

    return b;
}


dr_chain_t *
dr_alloc_chain_link(dr_pool_t *pool)
{
    return dr_palloc(pool, sizeof(dr_chain_t));
}


dr_chain_t *
dr_create_chain_of_bufs(dr_pool_t *pool, dr_bufs_t *bufs)
{
    u_char       *p;
    dr_int_t      i;
    dr_buf_t     *b;
    dr_chain_t   *chain, *cl, **ll;

    p = dr_palloc(pool, bufs->num * bufs->size);
    if (p == NULL) {
        return NULL;
    }

    ll = &chain;

    for (i = 0; i < bufs->num; i++) {

        b = dr_calloc_buf(pool);
        if (b == NULL) {
            return NULL;
        }

        b->pos = p;
        b->last = p;
        b->temporary = 1;
        b->start = p;
        p += bufs->size;
        b->end = p;

        cl = dr_alloc_chain_link(pool);
        if (cl == NULL) {
            return NULL;
        }

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    return chain;
}


dr_int_t
dr_chain_add_copy(dr_pool_t *pool, dr_chain_t **chain, dr_chain_t *in)
{
    dr_chain_t  *cl, **ll;

    ll = chain;

    for (cl = *chain; cl; cl = cl->next) {
        ll = &cl->next;
    }

    while (in) {
        cl = dr_alloc_chain_link(pool);
        if (cl == NULL) {
            *ll = NULL;
            return DR_ERROR;
        }

        cl->buf = in->buf;
        *ll = cl;
        ll = &cl->next;
        in = in->next;
    }

    *ll = NULL;

    return DR_OK;
}


dr_chain_t *
dr_chain_update_sent(dr_chain_t *in, off_t sent)
{
    off_t  size;

    for ( /* void */ ; in; in = in->next) {

        if (dr_buf_special(in->buf)) {
            continue;
        }

        if (sent == 0) {
            break;
        }

        size = dr_buf_size(in->buf);

        if (sent >= size) {
            sent -= size;

            if (dr_buf_in_memory(in->buf)) {
                in->buf->pos = in->buf->last;
            }
            if (in->buf->in_file) {
                in->buf->file_pos = in->buf->file_last;
            }
            continue;
        }

        if (dr_buf_in_memory(in->buf)) {
            in->buf->pos += (size_t) sent;
        }
        if (in->buf->in_file) {
            in->buf->file_pos += sent;
        }
        break;
    }

    return in;
}


off_t
dr_chain_size(dr_chain_t *in)
{
    off_t  size;

    for (size = 0; in; in = in->next) {
        if (!dr_buf_special(in->buf)) {
            size += dr_buf_size(in->buf);
        }
    }

    return size;
}
