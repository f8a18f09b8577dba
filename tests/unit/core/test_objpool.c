/*
 * dr_objpool: objects are zeroed, aligned and distinct, freed ones are
 * reused first, counters follow, max is enforced with a log line, debug
 * builds catch double and foreign frees.
 */

#include <criterion/criterion.h>

#include "dr_core.h"
#include "dr_objpool.h"


static u_char    test_op_logbuf[8192];
static size_t    test_op_loglen;
static dr_log_t  test_op_log;


static void
test_op_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;

    len = dr_min(len, sizeof(test_op_logbuf) - test_op_loglen - 1);
    dr_memcpy(test_op_logbuf + test_op_loglen, buf, len);
    test_op_loglen += len;
    test_op_logbuf[test_op_loglen] = '\0';
}


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();
    test_op_log.log_level = DR_LOG_DEBUG;
    test_op_log.writer = test_op_writer;
    test_op_loglen = 0;
    test_op_logbuf[0] = '\0';
}


TestSuite(objpool, .init = setup);


typedef struct {
    uint64_t    a;
    char        name[21];
    double      d;
} test_op_obj_t;


Test(objpool, init_rejects_zero_size)
{
    dr_objpool_t  pool;

    cr_assert_eq(dr_objpool_init(&pool, 0, 8, &test_op_log), DR_ERROR);
}


Test(objpool, alloc_zeroed_aligned_distinct)
{
    dr_uint_t       i, j;
    dr_objpool_t    pool;
    test_op_obj_t  *objs[100];
    u_char          zero[sizeof(test_op_obj_t)];

    dr_memzero(zero, sizeof(zero));

    cr_assert_eq(dr_objpool_init(&pool, sizeof(test_op_obj_t), 16,
                                 &test_op_log), DR_OK);
    cr_assert_eq(pool.used, 0);
    cr_assert_eq(pool.total, 0);

    for (i = 0; i < 100; i++) {
        objs[i] = dr_objpool_alloc(&pool);
        cr_assert_not_null(objs[i]);
        cr_assert_eq(((uintptr_t) objs[i]) % 16, 0);
        cr_assert_eq(dr_memcmp(objs[i], zero, sizeof(zero)), 0);
        dr_memset(objs[i], (int) i + 1, sizeof(test_op_obj_t));
    }

    cr_assert_eq(pool.used, 100);
    cr_assert_eq(pool.total, 112);      /* 7 chunks of 16 */
    cr_assert_eq(pool.nchunks, 7);

    /* nothing overlapped */
    for (i = 0; i < 100; i++) {
        for (j = 0; j < sizeof(test_op_obj_t); j++) {
            cr_assert_eq(((u_char *) objs[i])[j], (u_char) (i + 1));
        }
    }

    /* freed objects come back first, zeroed */

    dr_objpool_free(&pool, objs[42]);
    dr_objpool_free(&pool, objs[7]);
    cr_assert_eq(pool.used, 98);

    cr_assert_eq(dr_objpool_alloc(&pool), objs[7]);
    objs[42] = dr_objpool_alloc(&pool);
    cr_assert_eq(dr_memcmp(objs[42], zero, sizeof(zero)), 0);
    cr_assert_eq(pool.used, 100);
    cr_assert_eq(pool.total, 112);

    for (i = 0; i < 100; i++) {
        dr_objpool_free(&pool, objs[i]);
    }

    cr_assert_eq(pool.used, 0);
    cr_assert_eq(pool.total, 112);

    dr_objpool_free(&pool, NULL);

    dr_objpool_destroy(&pool);
    cr_assert_eq(pool.total, 0);
    cr_assert_eq(test_op_loglen, 0, "unexpected log: %s", test_op_logbuf);
}


Test(objpool, tiny_objects_hold_the_link)
{
    dr_uint_t      i;
    dr_objpool_t   pool;
    u_char        *p[64];

    cr_assert_eq(dr_objpool_init(&pool, 1, 0, &test_op_log), DR_OK);
    cr_assert_geq(pool.elt_size, sizeof(void *));
    cr_assert_gt(pool.per_chunk, 64);

    for (i = 0; i < 64; i++) {
        p[i] = dr_objpool_alloc(&pool);
        cr_assert_not_null(p[i]);
        cr_assert_eq(*p[i], 0);
        *p[i] = 0xff;
    }

    for (i = 0; i < 64; i += 2) {
        dr_objpool_free(&pool, p[i]);
    }

    for (i = 0; i < 64; i += 2) {
        p[i] = dr_objpool_alloc(&pool);
        cr_assert_eq(*p[i], 0);
    }

    cr_assert_eq(pool.nchunks, 1);
    dr_objpool_destroy(&pool);
}


Test(objpool, max_is_enforced)
{
    dr_uint_t      i;
    dr_objpool_t   pool;
    void          *p[10], *q;

    cr_assert_eq(dr_objpool_init(&pool, 32, 4, &test_op_log), DR_OK);
    pool.max = 10;
    pool.name = "session";

    for (i = 0; i < 10; i++) {
        p[i] = dr_objpool_alloc(&pool);
        cr_assert_not_null(p[i]);
    }

    /* the last chunk was cut to fit */
    cr_assert_eq(pool.total, 10);

    q = dr_objpool_alloc(&pool);
    cr_assert_null(q);
    cr_assert_eq(pool.fails, 1);
    cr_assert_not_null(strstr((char *) test_op_logbuf,
                              "session pool: the limit of 10 objects is "
                              "reached"));

    dr_objpool_free(&pool, p[3]);
    cr_assert_eq(dr_objpool_alloc(&pool), p[3]);

    dr_objpool_destroy(&pool);
}


Test(objpool, destroy_with_objects_in_use_warns)
{
    dr_objpool_t  pool;

    cr_assert_eq(dr_objpool_init(&pool, 8, 4, &test_op_log), DR_OK);
    pool.name = "watch";
    cr_assert_not_null(dr_objpool_alloc(&pool));

    dr_objpool_destroy(&pool);

    cr_assert_not_null(strstr((char *) test_op_logbuf,
                              "watch pool destroyed with 1 objects in use"));
    cr_assert_eq(pool.used, 0);

    /* a destroyed pool can be used again */
    cr_assert_not_null(dr_objpool_alloc(&pool));
    dr_objpool_destroy(&pool);
}


Test(objpool, churn)
{
    dr_uint_t      i, k, live;
    dr_objpool_t   pool;
    uint64_t      *slots[512];

    srandom(3);
    dr_memzero(slots, sizeof(slots));

    cr_assert_eq(dr_objpool_init(&pool, 40, 32, &test_op_log), DR_OK);

    live = 0;

    for (i = 0; i < 100000; i++) {
        k = (dr_uint_t) random() % 512;

        if (slots[k]) {
            cr_assert_eq(slots[k][0], (uint64_t) k);
            cr_assert_eq(slots[k][4], ~(uint64_t) k);
            dr_objpool_free(&pool, slots[k]);
            slots[k] = NULL;
            live--;

        } else {
            slots[k] = dr_objpool_alloc(&pool);
            cr_assert_not_null(slots[k]);
            cr_assert_eq(slots[k][0], 0);
            cr_assert_eq(slots[k][4], 0);
            slots[k][0] = k;
            slots[k][4] = ~(uint64_t) k;
            live++;
        }

        cr_assert_eq(pool.used, live);
    }

    /* never more than the high-water mark plus a chunk */
    cr_assert_leq(pool.total, 512 + 32);

    dr_objpool_destroy(&pool);
}


#if (DR_DEBUG)

Test(objpool, debug_catches_double_and_foreign_free)
{
    dr_objpool_t  pool;
    uint64_t      other[8];
    void         *p;

    cr_assert_eq(dr_objpool_init(&pool, 24, 4, &test_op_log), DR_OK);
    pool.name = "znode";

    p = dr_objpool_alloc(&pool);
    dr_objpool_free(&pool, p);
    dr_objpool_free(&pool, p);

    cr_assert_not_null(strstr((char *) test_op_logbuf, "freed twice"));
    cr_assert_eq(pool.used, 0);

    dr_objpool_free(&pool, other);
    cr_assert_not_null(strstr((char *) test_op_logbuf,
                              "not one of its objects"));
    cr_assert_eq(pool.used, 0);

    dr_objpool_destroy(&pool);
}

#endif
