/*
 * Typed free-list pools (HAProxy's pools) for objects that outlive any
 * request and die one at a time: znodes, sessions, watches, peers.
 *
 * A pool hands out fixed-size objects carved from malloc'ed chunks of
 * <per_chunk> objects; dr_objpool_free() pushes an object on a LIFO free
 * list (its first word becomes the link), the next alloc pops it: the
 * cache-warm object is reused first and no malloc call happens in steady
 * state. Chunks go back to malloc only at dr_objpool_destroy(), so a pool
 * stays at its high-water mark; set <max> to bound it.
 *
 * Objects are zeroed on alloc: callers initialise only what is not zero,
 * and a reused object never leaks its previous life. Debug builds poison
 * freed objects and catch double frees and foreign pointers (at alert).
 * A pool belongs to one process and is not locked.
 */

#include "dr_core.h"
#include "dr_objpool.h"


struct dr_objpool_chunk_s {
    dr_objpool_chunk_t   *next;
    u_char               *start;
    u_char               *end;
};

#define DR_OBJPOOL_CHUNK_SIZE  16384
#define DR_OBJPOOL_POISON      0xdeadbeefcafef00dULL

#define dr_objpool_hdr_size                                                   \
    dr_align(sizeof(dr_objpool_chunk_t), 16)


static dr_int_t dr_objpool_grow(dr_objpool_t *pool);
#if (DR_DEBUG)
static dr_uint_t dr_objpool_owns(dr_objpool_t *pool, u_char *p);
#endif


dr_int_t
dr_objpool_init(dr_objpool_t *pool, size_t elt_size, dr_uint_t per_chunk,
    dr_log_t *log)
{
    size_t  size;

    dr_memzero(pool, sizeof(dr_objpool_t));

    pool->log = log;
    pool->name = "objpool";

    if (elt_size == 0 || elt_size > DR_OBJPOOL_CHUNK_SIZE * 64) {
        dr_log_error(DR_LOG_ALERT, log, 0,
                     "objpool: invalid object size %uz", elt_size);
        return DR_ERROR;
    }

    /* room for the free-list link and, in debug builds, the poison word */

    size = dr_max(elt_size, 2 * sizeof(void *));
    size = dr_align(size, 16);

    if (per_chunk == 0) {
        per_chunk = (DR_OBJPOOL_CHUNK_SIZE - dr_objpool_hdr_size) / size;

        if (per_chunk == 0) {
            per_chunk = 1;
        }
    }

    pool->size = elt_size;
    pool->elt_size = size;
    pool->per_chunk = per_chunk;

    return DR_OK;
}


void *
dr_objpool_alloc(dr_objpool_t *pool)
{
    void  *obj;

    if (pool->free == NULL) {
        if (dr_objpool_grow(pool) != DR_OK) {
            pool->fails++;
            return NULL;
        }
    }

    obj = pool->free;

#if (DR_DEBUG)
    if (((uint64_t *) obj)[1] != DR_OBJPOOL_POISON) {
        dr_log_error(DR_LOG_ALERT, pool->log, 0,
                     "%s pool: object %p was written after free",
                     pool->name, obj);
    }
#endif

    pool->free = *(void **) obj;
    pool->used++;

    dr_memzero(obj, pool->elt_size);

    return obj;
}


void
dr_objpool_free(dr_objpool_t *pool, void *obj)
{
    if (obj == NULL) {
        return;
    }

#if (DR_DEBUG)
    if (!dr_objpool_owns(pool, obj)) {
        dr_log_error(DR_LOG_ALERT, pool->log, 0,
                     "%s pool: freeing %p, not one of its objects",
                     pool->name, obj);
        return;
    }

    if (((uint64_t *) obj)[1] == DR_OBJPOOL_POISON) {
        dr_log_error(DR_LOG_ALERT, pool->log, 0,
                     "%s pool: object %p freed twice", pool->name, obj);
        return;
    }

    dr_memset(obj, 0x5a, pool->elt_size);
    ((uint64_t *) obj)[1] = DR_OBJPOOL_POISON;
#endif

    *(void **) obj = pool->free;
    pool->free = obj;
    pool->used--;
}


void
dr_objpool_destroy(dr_objpool_t *pool)
{
    dr_objpool_chunk_t  *chunk, *next;

    if (pool->used) {
        dr_log_error(DR_LOG_WARN, pool->log, 0,
                     "%s pool destroyed with %ui objects in use",
                     pool->name, pool->used);
    }

    for (chunk = pool->chunks; chunk; chunk = next) {
        next = chunk->next;
        dr_free(chunk);
    }

    pool->chunks = NULL;
    pool->free = NULL;
    pool->used = 0;
    pool->total = 0;
    pool->nchunks = 0;
}


/* one more chunk, its objects pushed on the free list in address order */
static dr_int_t
dr_objpool_grow(dr_objpool_t *pool)
{
    u_char              *p;
    dr_uint_t            n, i;
    dr_objpool_chunk_t  *chunk;

    if (pool->elt_size == 0) {
        dr_log_error(DR_LOG_ALERT, pool->log, 0,
                     "%s pool: used before dr_objpool_init()", pool->name);
        return DR_ERROR;
    }

    n = pool->per_chunk;

    if (pool->max) {
        if (pool->total >= pool->max) {
            dr_log_error(DR_LOG_ERR, pool->log, 0,
                         "%s pool: the limit of %ui objects is reached",
                         pool->name, pool->max);
            return DR_ERROR;
        }

        n = dr_min(n, pool->max - pool->total);
    }

    if (n > (SIZE_MAX - dr_objpool_hdr_size) / pool->elt_size) {
        dr_log_error(DR_LOG_ALERT, pool->log, 0,
                     "%s pool: chunk of %ui objects is too large",
                     pool->name, n);
        return DR_ERROR;
    }

    chunk = dr_alloc(dr_objpool_hdr_size + n * pool->elt_size, pool->log);
    if (chunk == NULL) {
        dr_log_error(DR_LOG_ERR, pool->log, 0,
                     "%s pool: no memory for %ui more objects",
                     pool->name, n);
        return DR_ERROR;
    }

    chunk->start = (u_char *) chunk + dr_objpool_hdr_size;
    chunk->end = chunk->start + n * pool->elt_size;
    chunk->next = pool->chunks;
    pool->chunks = chunk;

    for (i = n; i > 0; i--) {
        p = chunk->start + (i - 1) * pool->elt_size;

#if (DR_DEBUG)
        dr_memset(p, 0x5a, pool->elt_size);
        ((uint64_t *) p)[1] = DR_OBJPOOL_POISON;
#endif

        *(void **) p = pool->free;
        pool->free = p;
    }

    pool->total += n;
    pool->nchunks++;

    return DR_OK;
}


#if (DR_DEBUG)

static dr_uint_t
dr_objpool_owns(dr_objpool_t *pool, u_char *p)
{
    dr_objpool_chunk_t  *chunk;

    for (chunk = pool->chunks; chunk; chunk = chunk->next) {
        if (p >= chunk->start && p < chunk->end) {
            return ((size_t) (p - chunk->start) % pool->elt_size) == 0;
        }
    }

    return 0;
}

#endif
