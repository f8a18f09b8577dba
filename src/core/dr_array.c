/*
 * Pool-backed growable arrays. Growth doubles the allocation; when the
 * array is the last thing in its pool block it grows in place. The old
 * memory of a moved array stays in the pool until the pool dies.
 */

#include "dr_core.h"


dr_array_t *
dr_array_create(dr_pool_t *p, dr_uint_t n, size_t size)
{
    dr_array_t  *a;

    a = dr_palloc(p, sizeof(dr_array_t));
    if (a == NULL) {
        return NULL;
    }

    if (dr_array_init(a, p, n, size) != DR_OK) {
        return NULL;
    }

    return a;
}


void *
dr_array_push(dr_array_t *a)
{
    return dr_array_push_n(a, 1);
}


void *
dr_array_push_n(dr_array_t *a, dr_uint_t n)
{
    void       *elt, *new;
    size_t      size;
    dr_uint_t   nalloc;
    dr_pool_t  *p;

    size = n * a->size;

    if (a->nelts + n > a->nalloc) {

        p = a->pool;

        if ((u_char *) a->elts + a->size * a->nalloc == p->d.last
            && p->d.last + size <= p->d.end)
        {
            p->d.last += size;
            a->nalloc += n;

        } else {
            nalloc = 2 * ((n >= a->nalloc) ? n : a->nalloc);
            if (nalloc == 0) {
                nalloc = n ? n : 1;
            }

            new = dr_palloc(p, nalloc * a->size);
            if (new == NULL) {
                return NULL;
            }

            if (a->nelts) {
                dr_memcpy(new, a->elts, a->nelts * a->size);
            }
            a->elts = new;
            a->nalloc = nalloc;
        }
    }

    elt = (u_char *) a->elts + a->size * a->nelts;
    a->nelts += n;

    return elt;
}
