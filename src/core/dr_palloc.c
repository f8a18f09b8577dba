/*
 * Region pools (nginx's ngx_palloc.c, trimmed). A pool is a chain of blocks;
 * small allocations bump a pointer in the current block, large ones are
 * malloc'ed and listed. Blocks that failed to fit an allocation 4 times stop
 * being tried (current moves on), which keeps allocation O(1) amortised.
 * Owned by one process and one thread; nothing here locks.
 */

#include "dr_core.h"

static void *dr_palloc_small(dr_pool_t *pool, size_t size, dr_uint_t align);
static void *dr_palloc_block(dr_pool_t *pool, size_t size);
static void *dr_palloc_large(dr_pool_t *pool, size_t size);


void *
dr_alloc(size_t size, dr_log_t *log)
{
    void  *p;

    p = malloc(size);
    if (p == NULL && log) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "malloc(%uz) failed", size);
    }

    return p;
}


void *
dr_calloc(size_t size, dr_log_t *log)
{
    void  *p;

    p = dr_alloc(size, log);
    if (p) {
        dr_memzero(p, size);
    }

    return p;
}


dr_pool_t *
dr_create_pool(size_t size, dr_log_t *log)
{
    dr_pool_t  *p;

    if (size < DR_MIN_POOL_SIZE) {
        size = DR_MIN_POOL_SIZE;
    }

    if (posix_memalign((void **) &p, DR_POOL_ALIGNMENT, size) != 0) {
        if (log) {
            dr_log_error(DR_LOG_EMERG, log, dr_errno,
                         "posix_memalign(%uz) failed", size);
        }
        return NULL;
    }

    p->d.last = (u_char *) p + sizeof(dr_pool_t);
    p->d.end = (u_char *) p + size;
    p->d.next = NULL;
    p->d.failed = 0;

    size = size - sizeof(dr_pool_t);
    p->max = (size < DR_MAX_ALLOC_FROM_POOL) ? size : DR_MAX_ALLOC_FROM_POOL;

    p->current = p;
    p->large = NULL;
    p->cleanup = NULL;
    p->log = log;

    return p;
}


void
dr_destroy_pool(dr_pool_t *pool)
{
    dr_pool_t          *p, *n;
    dr_pool_large_t    *l;
    dr_pool_cleanup_t  *c;

    for (c = pool->cleanup; c; c = c->next) {
        if (c->handler) {
            c->handler(c->data);
        }
    }

    for (l = pool->large; l; l = l->next) {
        if (l->alloc) {
            dr_free(l->alloc);
        }
    }

    for (p = pool, n = pool->d.next; /* void */; p = n, n = n->d.next) {
        dr_free(p);
        if (n == NULL) {
            break;
        }
    }
}


void
dr_reset_pool(dr_pool_t *pool)
{
    dr_pool_t        *p;
    dr_pool_large_t  *l;

    for (l = pool->large; l; l = l->next) {
        if (l->alloc) {
            dr_free(l->alloc);
        }
    }

    for (p = pool; p; p = p->d.next) {
        p->d.last = (u_char *) p + sizeof(dr_pool_t);
        p->d.failed = 0;
    }

    pool->current = pool;
    pool->large = NULL;
    pool->cleanup = NULL;
}


void *
dr_palloc(dr_pool_t *pool, size_t size)
{
    if (size <= pool->max) {
        return dr_palloc_small(pool, size, 1);
    }

    return dr_palloc_large(pool, size);
}


void *
dr_pnalloc(dr_pool_t *pool, size_t size)
{
    if (size <= pool->max) {
        return dr_palloc_small(pool, size, 0);
    }

    return dr_palloc_large(pool, size);
}


static void *
dr_palloc_small(dr_pool_t *pool, size_t size, dr_uint_t align)
{
    u_char     *m;
    dr_pool_t  *p;

    p = pool->current;

    do {
        m = p->d.last;

        if (align) {
            m = dr_align_ptr(m, DR_ALIGNMENT);
        }

        if ((size_t) (p->d.end - m) >= size) {
            p->d.last = m + size;
            return m;
        }

        p = p->d.next;

    } while (p);

    return dr_palloc_block(pool, size);
}


static void *
dr_palloc_block(dr_pool_t *pool, size_t size)
{
    u_char     *m;
    size_t      psize;
    dr_pool_t  *p, *new;

    psize = (size_t) (pool->d.end - (u_char *) pool);

    if (posix_memalign((void **) &m, DR_POOL_ALIGNMENT, psize) != 0) {
        dr_log_error(DR_LOG_EMERG, pool->log, dr_errno,
                     "posix_memalign(%uz) failed", psize);
        return NULL;
    }

    new = (dr_pool_t *) m;

    new->d.end = m + psize;
    new->d.next = NULL;
    new->d.failed = 0;

    m += sizeof(dr_pool_data_t);
    m = dr_align_ptr(m, DR_ALIGNMENT);
    new->d.last = m + size;

    for (p = pool->current; p->d.next; p = p->d.next) {
        if (p->d.failed++ > 4) {
            pool->current = p->d.next;
        }
    }

    p->d.next = new;

    return m;
}


static void *
dr_palloc_large(dr_pool_t *pool, size_t size)
{
    void             *p;
    dr_uint_t         n;
    dr_pool_large_t  *large;

    p = dr_alloc(size, pool->log);
    if (p == NULL) {
        return NULL;
    }

    n = 0;

    for (large = pool->large; large; large = large->next) {
        if (large->alloc == NULL) {
            large->alloc = p;
            return p;
        }

        if (n++ > 3) {
            break;
        }
    }

    large = dr_palloc_small(pool, sizeof(dr_pool_large_t), 1);
    if (large == NULL) {
        dr_free(p);
        return NULL;
    }

    large->alloc = p;
    large->next = pool->large;
    pool->large = large;

    return p;
}


void *
dr_pmemalign(dr_pool_t *pool, size_t size, size_t alignment)
{
    void             *p;
    dr_pool_large_t  *large;

    if (posix_memalign(&p, alignment, size) != 0) {
        dr_log_error(DR_LOG_EMERG, pool->log, dr_errno,
                     "posix_memalign(%uz, %uz) failed", alignment, size);
        return NULL;
    }

    large = dr_palloc_small(pool, sizeof(dr_pool_large_t), 1);
    if (large == NULL) {
        dr_free(p);
        return NULL;
    }

    large->alloc = p;
    large->next = pool->large;
    pool->large = large;

    return p;
}


dr_int_t
dr_pfree(dr_pool_t *pool, void *p)
{
    dr_pool_large_t  *l;

    for (l = pool->large; l; l = l->next) {
        if (p == l->alloc) {
            dr_free(l->alloc);
            l->alloc = NULL;
            return DR_OK;
        }
    }

    return DR_DECLINED;
}


void *
dr_pcalloc(dr_pool_t *pool, size_t size)
{
    void  *p;

    p = dr_palloc(pool, size);
    if (p) {
        dr_memzero(p, size);
    }

    return p;
}


dr_pool_cleanup_t *
dr_pool_cleanup_add(dr_pool_t *p, size_t size)
{
    dr_pool_cleanup_t  *c;

    c = dr_palloc(p, sizeof(dr_pool_cleanup_t));
    if (c == NULL) {
        return NULL;
    }

    if (size) {
        c->data = dr_palloc(p, size);
        if (c->data == NULL) {
            return NULL;
        }
    } else {
        c->data = NULL;
    }

    c->handler = NULL;
    c->next = p->cleanup;
    p->cleanup = c;

    return c;
}
