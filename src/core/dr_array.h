/* Growable arrays in a pool; growth doubles, in place when at the pool's end. */
#ifndef DR_ARRAY_H_INCLUDED
#define DR_ARRAY_H_INCLUDED

typedef struct {
    void        *elts;
    dr_uint_t    nelts;
    size_t       size;
    dr_uint_t    nalloc;
    dr_pool_t   *pool;
} dr_array_t;

dr_array_t *dr_array_create(dr_pool_t *p, dr_uint_t n, size_t size);
void *dr_array_push(dr_array_t *a);
void *dr_array_push_n(dr_array_t *a, dr_uint_t n);

static inline dr_int_t
dr_array_init(dr_array_t *array, dr_pool_t *pool, dr_uint_t n, size_t size)
{
    array->nelts = 0;
    array->size = size;
    array->nalloc = n;
    array->pool = pool;
    array->elts = dr_palloc(pool, n * size);
    if (array->elts == NULL) {
        return DR_ERROR;
    }
    return DR_OK;
}

#endif
