/*
 * The slab allocator (nginx's ngx_slab) for shared memory zones: the pool
 * header sits at the start of the zone, followed by the slot lists, the
 * per-size statistics, the page descriptors and the pages themselves.
 *
 * Sizes up to half a page come from slabs of power-of-two chunks (8 bytes
 * minimum); larger requests take whole pages. All pointers inside are
 * absolute: the zone must be mapped at the same address in every process
 * (it is: mapped by the master before fork).
 *
 * The *_locked variants expect the caller to hold pool->mutex.
 */
#ifndef DR_SLAB_H_INCLUDED
#define DR_SLAB_H_INCLUDED

typedef struct dr_slab_page_s  dr_slab_page_t;

struct dr_slab_page_s {
    uintptr_t            slab;
    dr_slab_page_t      *next;
    uintptr_t            prev;
};

typedef struct {
    dr_uint_t            total;
    dr_uint_t            used;
    dr_uint_t            reqs;
    dr_uint_t            fails;
} dr_slab_stat_t;

typedef struct {
    dr_shmtx_sh_t        lock;

    size_t               min_size;
    size_t               min_shift;     /* set before init; 0 means 3 */

    dr_slab_page_t      *pages;
    dr_slab_page_t      *last;
    dr_slab_page_t       free;

    dr_slab_stat_t      *stats;
    dr_uint_t            pfree;         /* free pages */

    u_char              *start;
    u_char              *end;           /* set before init */

    dr_shmtx_t           mutex;

    u_char              *log_ctx;       /* appended to messages: " in zone" */
    u_char               zero;

    unsigned             log_nomem:1;   /* log "no memory" (default on) */

    void                *data;          /* the zone owner's root object */
    void                *addr;          /* where the zone was mapped */
} dr_slab_pool_t;

/* computes the page-size dependent constants; once, before any init */
void dr_slab_sizes_init(void);
/*
 * Lays out the pool over [pool, pool->end). The caller has set end and
 * min_shift (and created pool->mutex over pool->lock).
 */
void dr_slab_init(dr_slab_pool_t *pool);

/* NULL when the zone is full (logged at crit unless log_nomem is off) */
void *dr_slab_alloc(dr_slab_pool_t *pool, size_t size);
void *dr_slab_alloc_locked(dr_slab_pool_t *pool, size_t size);
void *dr_slab_calloc(dr_slab_pool_t *pool, size_t size);
void *dr_slab_calloc_locked(dr_slab_pool_t *pool, size_t size);
/* frees <p>; a bad pointer or double free is logged at alert and ignored */
void dr_slab_free(dr_slab_pool_t *pool, void *p);
void dr_slab_free_locked(dr_slab_pool_t *pool, void *p);

/* the largest chunk size served from slabs (half a page) */
size_t dr_slab_max_size(void);

#endif /* DR_SLAB_H_INCLUDED */
