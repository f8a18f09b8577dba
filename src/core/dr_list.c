/* Lists of fixed-size parts: a push never moves existing elements. */

#include "dr_core.h"


dr_list_t *
dr_list_create(dr_pool_t *pool, dr_uint_t n, size_t size)
{
    dr_list_t  *list;

    list = dr_palloc(pool, sizeof(dr_list_t));
    if (list == NULL) {
        return NULL;
    }

    if (dr_list_init(list, pool, n, size) != DR_OK) {
        return NULL;
    }

    return list;
}


void *
dr_list_push(dr_list_t *l)
{
    void            *elt;
    dr_list_part_t  *last;

    last = l->last;

    if (last->nelts == l->nalloc) {

        last = dr_palloc(l->pool, sizeof(dr_list_part_t));
        if (last == NULL) {
            return NULL;
        }

        last->elts = dr_palloc(l->pool, l->nalloc * l->size);
        if (last->elts == NULL) {
            return NULL;
        }

        last->nelts = 0;
        last->next = NULL;

        l->last->next = last;
        l->last = last;
    }

    elt = (char *) last->elts + l->size * last->nelts;
    last->nelts++;

    return elt;
}
