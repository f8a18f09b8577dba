/* Pools, arrays, lists and buffers (src/core/dr_palloc.c, dr_array.c, ...). */

#include <criterion/criterion.h>
#include "dr_core.h"

static int  cleanups;

static void
count_cleanup(void *data)
{
    cleanups += *(int *) data;
}

Test(palloc, small_allocations_are_aligned_and_distinct)
{
    dr_pool_t  *pool = dr_create_pool(1024, NULL);
    u_char     *a, *b;
    int         i;

    cr_assert_not_null(pool);

    for (i = 0; i < 1000; i++) {
        a = dr_palloc(pool, 24);
        b = dr_palloc(pool, 7);
        cr_assert_not_null(a);
        cr_assert_not_null(b);
        cr_assert_eq((uintptr_t) a % sizeof(unsigned long), 0);
        cr_assert_eq((uintptr_t) b % sizeof(unsigned long), 0);
        memset(a, 0xaa, 24);
        memset(b, 0xbb, 7);
        cr_assert_eq(a[23], 0xaa);
    }

    dr_destroy_pool(pool);
}

Test(palloc, large_allocations_can_be_freed_early)
{
    dr_pool_t  *pool = dr_create_pool(1024, NULL);
    void       *big;

    big = dr_palloc(pool, 1 << 20);
    cr_assert_not_null(big);
    memset(big, 1, 1 << 20);
    cr_assert_eq(dr_pfree(pool, big), DR_OK);
    cr_assert_eq(dr_pfree(pool, big), DR_DECLINED);
    cr_assert_not_null(dr_pcalloc(pool, 8192));
    dr_destroy_pool(pool);
}

Test(palloc, cleanups_run_at_destroy)
{
    dr_pool_t          *pool = dr_create_pool(1024, NULL);
    dr_pool_cleanup_t  *cln;

    cleanups = 0;
    cln = dr_pool_cleanup_add(pool, sizeof(int));
    cr_assert_not_null(cln);
    *(int *) cln->data = 3;
    cln->handler = count_cleanup;
    cln = dr_pool_cleanup_add(pool, sizeof(int));
    *(int *) cln->data = 4;
    cln->handler = count_cleanup;

    dr_destroy_pool(pool);
    cr_assert_eq(cleanups, 7);
}

Test(palloc, reset_reuses_the_first_block)
{
    dr_pool_t  *pool = dr_create_pool(4096, NULL);
    u_char     *first, *again;

    first = dr_palloc(pool, 64);
    (void) dr_palloc(pool, 100000);
    dr_reset_pool(pool);
    again = dr_palloc(pool, 64);
    cr_assert_eq(first, again);
    dr_destroy_pool(pool);
}

Test(array, grows_and_keeps_contents)
{
    dr_pool_t   *pool = dr_create_pool(1024, NULL);
    dr_array_t  *a = dr_array_create(pool, 2, sizeof(int));
    int         *e;
    int          i;

    for (i = 0; i < 1000; i++) {
        e = dr_array_push(a);
        cr_assert_not_null(e);
        *e = i;
    }

    cr_assert_eq(a->nelts, 1000);
    for (i = 0; i < 1000; i++) {
        cr_assert_eq(((int *) a->elts)[i], i);
    }

    e = dr_array_push_n(a, 50);
    cr_assert_not_null(e);
    cr_assert_eq(a->nelts, 1050);
    dr_destroy_pool(pool);
}

Test(list, push_never_moves_elements)
{
    dr_pool_t       *pool = dr_create_pool(1024, NULL);
    dr_list_t       *l = dr_list_create(pool, 4, sizeof(int));
    dr_list_part_t  *part;
    int             *first, *e, i, n;

    first = dr_list_push(l);
    *first = -1;

    for (i = 0; i < 100; i++) {
        e = dr_list_push(l);
        *e = i;
    }

    cr_assert_eq(*first, -1);

    n = 0;
    for (part = &l->part; part; part = part->next) {
        n += part->nelts;
    }
    cr_assert_eq(n, 101);
    dr_destroy_pool(pool);
}

Test(buf, chains_sizes_and_update_sent)
{
    dr_pool_t   *pool = dr_create_pool(1024, NULL);
    dr_bufs_t    bufs = { 3, 10 };
    dr_chain_t  *cl, *rest, *copy;
    dr_buf_t    *b;

    cl = dr_create_chain_of_bufs(pool, &bufs);
    cr_assert_not_null(cl);

    for (rest = cl; rest; rest = rest->next) {
        b = rest->buf;
        b->last = dr_cpymem(b->last, "0123456789", 10);
    }

    cr_assert_eq(dr_chain_size(cl), 30);

    copy = NULL;
    cr_assert_eq(dr_chain_add_copy(pool, &copy, cl), DR_OK);
    cr_assert_eq(dr_chain_size(copy), 30);

    rest = dr_chain_update_sent(cl, 15);
    cr_assert_eq(rest, cl->next);
    cr_assert_eq(rest->buf->last - rest->buf->pos, 5);
    cr_assert_eq(dr_chain_size(cl), 15);

    rest = dr_chain_update_sent(cl, 15);
    cr_assert_null(rest);
    dr_destroy_pool(pool);
}
