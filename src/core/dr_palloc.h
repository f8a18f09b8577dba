/*
 * Region pools (nginx's): many small allocations freed all at once when the
 * pool is destroyed (a config generation, a connection, a request). Large
 * allocations (> max) are kept on a list and may be freed early with
 * dr_pfree(). Cleanup handlers run at destroy time, last added first.
 * A pool is single-threaded; every allocation may fail and returns NULL.
 */
#ifndef DR_PALLOC_H_INCLUDED
#define DR_PALLOC_H_INCLUDED

#define DR_MAX_ALLOC_FROM_POOL  (4096 - 1)
#define DR_DEFAULT_POOL_SIZE    (16 * 1024)
#define DR_POOL_ALIGNMENT       16
#define DR_MIN_POOL_SIZE                                                      \
    dr_align((sizeof(dr_pool_t) + 2 * sizeof(dr_pool_large_t)),              \
             DR_POOL_ALIGNMENT)

typedef void (*dr_pool_cleanup_pt)(void *data);

typedef struct dr_pool_cleanup_s  dr_pool_cleanup_t;

struct dr_pool_cleanup_s {
    dr_pool_cleanup_pt   handler;
    void                *data;
    dr_pool_cleanup_t   *next;
};

typedef struct dr_pool_large_s  dr_pool_large_t;

struct dr_pool_large_s {
    dr_pool_large_t     *next;
    void                *alloc;
};

typedef struct {
    u_char              *last;
    u_char              *end;
    dr_pool_t           *next;
    dr_uint_t            failed;
} dr_pool_data_t;

struct dr_pool_s {
    dr_pool_data_t       d;
    size_t               max;
    dr_pool_t           *current;
    dr_pool_large_t     *large;
    dr_pool_cleanup_t   *cleanup;
    dr_log_t            *log;
};

void *dr_alloc(size_t size, dr_log_t *log);
void *dr_calloc(size_t size, dr_log_t *log);
#define dr_free  free

dr_pool_t *dr_create_pool(size_t size, dr_log_t *log);
void dr_destroy_pool(dr_pool_t *pool);
/* frees everything allocated but keeps the first block: reuse for the next request */
void dr_reset_pool(dr_pool_t *pool);

void *dr_palloc(dr_pool_t *pool, size_t size);      /* aligned */
void *dr_pnalloc(dr_pool_t *pool, size_t size);     /* unaligned, for strings */
void *dr_pcalloc(dr_pool_t *pool, size_t size);
void *dr_pmemalign(dr_pool_t *pool, size_t size, size_t alignment);
dr_int_t dr_pfree(dr_pool_t *pool, void *p);

dr_pool_cleanup_t *dr_pool_cleanup_add(dr_pool_t *p, size_t size);

#endif
