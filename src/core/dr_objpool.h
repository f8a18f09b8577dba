/*
 * Typed free-list pools for long-lived objects freed one by one (znodes,
 * sessions, watches, peers): HAProxy's pools. Objects come from malloc'ed
 * chunks of <per_chunk> elements; a freed object goes on the pool's free
 * list and is handed out again before a new chunk is allocated. Chunks are
 * returned to malloc only by dr_objpool_destroy(). Single process, single
 * thread: each process has its own pools.
 */
#ifndef DR_OBJPOOL_H_INCLUDED
#define DR_OBJPOOL_H_INCLUDED

typedef struct dr_objpool_chunk_s  dr_objpool_chunk_t;

typedef struct {
    void                  *free;        /* free list: first word = next */
    dr_objpool_chunk_t    *chunks;
    size_t                 elt_size;    /* rounded up to the alignment */
    size_t                 size;        /* as given to init */
    dr_uint_t              per_chunk;
    dr_uint_t              used;        /* objects handed out */
    dr_uint_t              total;       /* objects in all chunks */
    dr_uint_t              nchunks;
    dr_uint_t              max;         /* 0: no limit on total */
    dr_uint_t              fails;
    const char            *name;        /* for log lines: "znode" */
    dr_log_t              *log;
} dr_objpool_t;

/*
 * Prepares an empty pool (no memory allocated yet). <per_chunk> 0 picks a
 * chunk of about 16KB. DR_OK, or DR_ERROR on a zero <elt_size>.
 */
dr_int_t dr_objpool_init(dr_objpool_t *pool, size_t elt_size,
    dr_uint_t per_chunk, dr_log_t *log);
/*
 * Returns a ZEROED object of elt_size bytes (aligned for any scalar), or
 * NULL after logging (no memory, or pool->max reached).
 */
void *dr_objpool_alloc(dr_objpool_t *pool);
/* returns <obj> (from this pool) to the free list; NULL is ignored */
void dr_objpool_free(dr_objpool_t *pool, void *obj);
/* frees every chunk: objects still in use become invalid */
void dr_objpool_destroy(dr_objpool_t *pool);

#endif /* DR_OBJPOOL_H_INCLUDED */
