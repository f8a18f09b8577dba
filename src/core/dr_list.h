/* A list of fixed-size parts: push never moves existing elements. */
#ifndef DR_LIST_H_INCLUDED
#define DR_LIST_H_INCLUDED

typedef struct dr_list_part_s  dr_list_part_t;

struct dr_list_part_s {
    void             *elts;
    dr_uint_t         nelts;
    dr_list_part_t   *next;
};

typedef struct {
    dr_list_part_t   *last;
    dr_list_part_t    part;
    size_t            size;
    dr_uint_t         nalloc;
    dr_pool_t        *pool;
} dr_list_t;

dr_list_t *dr_list_create(dr_pool_t *pool, dr_uint_t n, size_t size);
void *dr_list_push(dr_list_t *list);

static inline dr_int_t
dr_list_init(dr_list_t *list, dr_pool_t *pool, dr_uint_t n, size_t size)
{
    list->part.elts = dr_palloc(pool, n * size);
    if (list->part.elts == NULL) {
        return DR_ERROR;
    }
    list->part.nelts = 0;
    list->part.next = NULL;
    list->last = &list->part;
    list->size = size;
    list->nalloc = n;
    list->pool = pool;
    return DR_OK;
}

#endif
