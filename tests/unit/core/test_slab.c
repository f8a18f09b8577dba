/*
 * Shared memory, the slab allocator and the shared mutex.
 *
 * The slab is driven hard: random sizes 1..8192 allocated and freed in
 * random order with a fill pattern per allocation (any overlap shows up as
 * a corrupted pattern), then everything is freed and the whole zone must
 * be allocatable again in one piece (no leaked or fragmented page). The
 * mutex is checked across fork: exact counts under contention, trylock,
 * the master's force_unlock of a dead holder, a sleeper taking over the
 * lock of a dead process. Zones follow reloads: reuse on equal name, size
 * and tag, fresh mappings otherwise, old ones unmapped.
 */

#include <criterion/criterion.h>

#include "dr_core.h"


static u_char       test_slab_logbuf[16384];
static size_t       test_slab_loglen;
static dr_log_t     test_slab_log;
static dr_cycle_t   test_slab_cycle;


static void
test_slab_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;

    len = dr_min(len, sizeof(test_slab_logbuf) - test_slab_loglen - 1);
    dr_memcpy(test_slab_logbuf + test_slab_loglen, buf, len);
    test_slab_loglen += len;
    test_slab_logbuf[test_slab_loglen] = '\0';
}


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();

    test_slab_log.log_level = DR_LOG_DEBUG;
    test_slab_log.writer = test_slab_writer;
    test_slab_loglen = 0;
    test_slab_logbuf[0] = '\0';

    test_slab_cycle.log = &test_slab_log;
    dr_cycle = &test_slab_cycle;

    dr_slab_sizes_init();
}


TestSuite(slab, .init = setup);
TestSuite(shmtx, .init = setup);
TestSuite(shm, .init = setup);


static dr_slab_pool_t *
test_slab_zone(dr_shm_zone_t *zone, size_t size)
{
    dr_memzero(zone, sizeof(dr_shm_zone_t));

    zone->shm.size = size;
    zone->shm.log = &test_slab_log;
    zone->shm.name.data = (u_char *) "test";
    zone->shm.name.len = 4;

    cr_assert_eq(dr_shm_alloc(&zone->shm), DR_OK);
    cr_assert_eq(dr_shm_zone_init_pool(&test_slab_log, zone), DR_OK);

    return (dr_slab_pool_t *) zone->shm.addr;
}


static dr_uint_t
test_slab_used(dr_slab_pool_t *sp)
{
    dr_uint_t  i, n, used;

    n = 0;
    for (i = (dr_uint_t) sysconf(_SC_PAGESIZE); i >>= 1; n++) { /* void */ }

    used = 0;
    for (i = 0; i < n - sp->min_shift; i++) {
        used += sp->stats[i].used;
    }

    return used;
}


Test(slab, zone_layout)
{
    size_t           ps;
    dr_shm_zone_t    zone;
    dr_slab_pool_t  *sp;

    ps = (size_t) sysconf(_SC_PAGESIZE);

    sp = test_slab_zone(&zone, 64 * ps);

    cr_assert_eq(sp->addr, (void *) sp);
    cr_assert_eq(sp->end, zone.shm.addr + 64 * ps);
    cr_assert_eq(sp->min_size, 8);
    cr_assert_eq(((uintptr_t) sp->start) % ps, 0);
    cr_assert_leq(sp->start + (sp->last - sp->pages) * ps, sp->end);
    cr_assert_gt(sp->pfree, 50);
    cr_assert_str_eq((char *) sp->log_ctx, " in shared zone \"test\"");
    cr_assert_str_eq((char *) sp->mutex.name, "test");
    cr_assert_eq(dr_slab_max_size(), ps / 2);

    /* an inherited mapping is accepted as is */
    zone.shm.exists = 1;
    cr_assert_eq(dr_shm_zone_init_pool(&test_slab_log, &zone), DR_OK);

    dr_shm_free(&zone.shm);
    cr_assert_null(zone.shm.addr);
}


Test(slab, zone_too_small)
{
    dr_shm_zone_t  zone;

    dr_memzero(&zone, sizeof(dr_shm_zone_t));
    zone.shm.size = 4096;
    zone.shm.log = &test_slab_log;
    zone.shm.name.data = (u_char *) "tiny";
    zone.shm.name.len = 4;

    cr_assert_eq(dr_shm_alloc(&zone.shm), DR_OK);
    cr_assert_eq(dr_shm_zone_init_pool(&test_slab_log, &zone), DR_ERROR);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "shared zone \"tiny\" is too small"));
    dr_shm_free(&zone.shm);
}


Test(slab, chunk_sizes_and_alignment)
{
    u_char          *p;
    size_t           size, align, ps;
    dr_shm_zone_t    zone;
    dr_slab_pool_t  *sp;

    ps = (size_t) sysconf(_SC_PAGESIZE);
    sp = test_slab_zone(&zone, 256 * ps);

    for (size = 1; size <= 3 * ps; size++) {
        p = dr_slab_calloc(sp, size);
        cr_assert_not_null(p, "size %zu", size);

        if (size > ps / 2) {
            align = ps;

        } else {
            for (align = 8; align < size; align <<= 1) { /* void */ }
        }

        cr_assert_eq((uintptr_t) p % align, 0, "size %zu at %p", size, p);
        cr_assert(p >= sp->start && p + size <= sp->end);
        cr_assert_eq(p[0], 0);
        cr_assert_eq(p[size - 1], 0);
        dr_memset(p, 0xee, size);

        dr_slab_free(sp, p);
    }

    cr_assert_eq(test_slab_used(sp), 1);    /* the zone's own name */
    cr_assert_eq(test_slab_loglen, 0, "%s", test_slab_logbuf);

    dr_shm_free(&zone.shm);
}


typedef struct {
    u_char     *p;
    size_t      size;
    u_char      pat;
} test_slab_alloc_t;


static void
test_slab_check(test_slab_alloc_t *a)
{
    size_t  i;

    for (i = 0; i < a->size; i++) {
        if (a->p[i] != a->pat) {
            cr_assert_fail("chunk %p (%zu bytes) corrupted at %zu: %02x != "
                           "%02x", a->p, a->size, i, a->p[i], a->pat);
        }
    }
}


/* random sizes 1..8192, random order; returns the number of fills done */
static dr_uint_t
test_slab_churn(dr_slab_pool_t *sp, dr_uint_t nlive, dr_uint_t iters,
    dr_uint_t seed, dr_uint_t locked)
{
    dr_uint_t           i, k, fills;
    test_slab_alloc_t  *live;

    live = calloc(nlive, sizeof(test_slab_alloc_t));
    cr_assert_not_null(live);

    srandom((unsigned) seed);
    fills = 0;

    for (i = 0; i < iters; i++) {
        k = (dr_uint_t) random() % nlive;

        if (live[k].p) {
            test_slab_check(&live[k]);

            if (locked) {
                dr_slab_free(sp, live[k].p);
            } else {
                dr_slab_free_locked(sp, live[k].p);
            }

            live[k].p = NULL;
            continue;
        }

        /* mostly small, a share of page-sized ones */
        live[k].size = (random() % 4) ? 1 + random() % 512
                                      : 1 + random() % 8192;
        live[k].pat = (u_char) (1 + random() % 255);
        live[k].p = locked ? dr_slab_alloc(sp, live[k].size)
                           : dr_slab_alloc_locked(sp, live[k].size);

        cr_assert_not_null(live[k].p, "alloc of %zu failed", live[k].size);
        dr_memset(live[k].p, live[k].pat, live[k].size);
        fills++;

        if (i % 20000 == 0) {
            for (k = 0; k < nlive; k++) {
                if (live[k].p) {
                    test_slab_check(&live[k]);
                }
            }
        }
    }

    for (k = 0; k < nlive; k++) {
        if (live[k].p) {
            test_slab_check(&live[k]);
            if (locked) {
                dr_slab_free(sp, live[k].p);
            } else {
                dr_slab_free_locked(sp, live[k].p);
            }
        }
    }

    free(live);

    return fills;
}


Test(slab, random_alloc_free_no_overlap_no_leak)
{
    u_char          *p;
    size_t           ps;
    dr_uint_t        pfree0;
    dr_shm_zone_t    zone;
    dr_slab_pool_t  *sp;

    ps = (size_t) sysconf(_SC_PAGESIZE);
    sp = test_slab_zone(&zone, 32 * 1024 * 1024);

    pfree0 = sp->pfree;

    cr_assert_gt(test_slab_churn(sp, 2000, 300000, 7, 0), 100000);

    cr_assert_eq(test_slab_used(sp), 1);
    cr_assert_eq(sp->pfree, pfree0);

    /* every free page coalesced back: the largest run is allocatable */

    p = dr_slab_alloc(sp, pfree0 * ps);
    cr_assert_not_null(p, "the free pages were left fragmented");
    cr_assert_eq(sp->pfree, 0);

    /* and now the zone is full */
    sp->log_nomem = 0;
    cr_assert_null(dr_slab_alloc(sp, ps));
    sp->log_nomem = 1;

    dr_slab_free(sp, p);
    cr_assert_eq(sp->pfree, pfree0);

    cr_assert_eq(test_slab_loglen, 0, "%s", test_slab_logbuf);

    dr_shm_free(&zone.shm);
}


Test(slab, exhaustion_and_recovery)
{
    u_char          *ptrs[4096];
    size_t           ps;
    dr_uint_t        n, i, pfree0;
    dr_shm_zone_t    zone;
    dr_slab_pool_t  *sp;

    ps = (size_t) sysconf(_SC_PAGESIZE);
    sp = test_slab_zone(&zone, 64 * ps);
    pfree0 = sp->pfree;

    for (n = 0; n < 4096; n++) {
        ptrs[n] = dr_slab_alloc(sp, 100);
        if (ptrs[n] == NULL) {
            break;
        }
    }

    cr_assert_lt(n, 4096);
    cr_assert_gt(n, 50 * (ps / 128) - 64);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "dr_slab_alloc() failed: no memory in shared "
                              "zone \"test\""));

    /* too big for the zone at all */
    cr_assert_null(dr_slab_alloc(sp, 128 * ps));
    cr_assert_null(dr_slab_alloc(sp, (size_t) -1));

    for (i = 0; i < n; i++) {
        dr_slab_free(sp, ptrs[i]);
    }

    cr_assert_eq(sp->pfree, pfree0);
    cr_assert_not_null(dr_slab_alloc(sp, pfree0 * ps));

    dr_shm_free(&zone.shm);
}


Test(slab, bad_frees_are_logged_and_ignored)
{
    u_char          *small, *small2, *exact, *big, *pages, local;
    size_t           ps;
    dr_uint_t        pfree;
    dr_shm_zone_t    zone;
    dr_slab_pool_t  *sp;

    ps = (size_t) sysconf(_SC_PAGESIZE);
    sp = test_slab_zone(&zone, 64 * ps);

    small = dr_slab_alloc(sp, 16);
    exact = dr_slab_alloc(sp, ps / (8 * sizeof(uintptr_t)));
    big = dr_slab_alloc(sp, ps / 4);
    pages = dr_slab_alloc(sp, 3 * ps);
    cr_assert(small && exact && big && pages);

    dr_slab_free(sp, &local);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "dr_slab_free(): outside of pool"));

    dr_slab_free(sp, small + 1);
    dr_slab_free(sp, exact + 1);
    dr_slab_free(sp, big + 8);
    dr_slab_free(sp, pages + 8);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "dr_slab_free(): pointer to wrong chunk"));

    dr_slab_free(sp, pages + ps);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "dr_slab_free(): pointer to wrong page"));

    /* the bitmap chunks at the start of a small-chunk page */
    dr_slab_free(sp, (u_char *) ((uintptr_t) small & ~(ps - 1)));

    test_slab_loglen = 0;
    test_slab_logbuf[0] = '\0';

    /* a second chunk keeps the page in use, so the first stays a chunk */
    small2 = dr_slab_alloc(sp, 16);
    cr_assert_not_null(small2);

    dr_slab_free(sp, small);
    dr_slab_free(sp, small);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "dr_slab_free(): chunk is already free"));
    dr_slab_free(sp, small2);

    dr_slab_free(sp, exact);
    dr_slab_free(sp, big);
    dr_slab_free(sp, pages);

    pfree = sp->pfree;

    dr_slab_free(sp, pages);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "dr_slab_free(): page is already free"));
    cr_assert_eq(sp->pfree, pfree);
    cr_assert_eq(test_slab_used(sp), 1);

    dr_shm_free(&zone.shm);
}


Test(slab, concurrent_processes)
{
    int              status;
    pid_t            pids[4];
    dr_uint_t        i, pfree0;
    dr_shm_zone_t    zone;
    dr_slab_pool_t  *sp;

    sp = test_slab_zone(&zone, 16 * 1024 * 1024);
    pfree0 = sp->pfree;

    for (i = 0; i < 4; i++) {
        pids[i] = fork();
        cr_assert_neq(pids[i], -1);

        if (pids[i] == 0) {
            (void) test_slab_churn(sp, 300, 40000, 100 + i, 1);
            _exit(0);
        }
    }

    for (i = 0; i < 4; i++) {
        cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                  "child %lu failed: status %d", (unsigned long) i, status);
    }

    cr_assert_eq(sp->pfree, pfree0);
    cr_assert_eq(test_slab_used(sp), 1);
    cr_assert_eq(*sp->mutex.lock, 0);

    dr_shm_free(&zone.shm);
}


/* shmtx */

typedef struct {
    dr_shmtx_sh_t     lock;
    volatile long     counter;
    volatile long     inside;
    volatile long     overlap;
} test_shmtx_shared_t;


static test_shmtx_shared_t *
test_shmtx_shared(dr_shmtx_t *mtx)
{
    test_shmtx_shared_t  *sh;

    sh = mmap(NULL, sizeof(test_shmtx_shared_t), PROT_READ|PROT_WRITE,
              MAP_ANONYMOUS|MAP_SHARED, -1, 0);
    cr_assert_neq(sh, MAP_FAILED);
    dr_memzero(sh, sizeof(test_shmtx_shared_t));

    cr_assert_eq(dr_shmtx_create(mtx, &sh->lock, (u_char *) "test"), DR_OK);

    return sh;
}


Test(shmtx, trylock_and_unlock)
{
    int                   status;
    pid_t                 pid;
    dr_shmtx_t            mtx;
    test_shmtx_shared_t  *sh;

    sh = test_shmtx_shared(&mtx);

    cr_assert_eq(dr_shmtx_trylock(&mtx), 1);
    cr_assert_eq(*mtx.lock, (dr_atomic_uint_t) getpid());
    /* not reentrant */
    cr_assert_eq(dr_shmtx_trylock(&mtx), 0);

    pid = fork();
    if (pid == 0) {
        _exit(dr_shmtx_trylock(&mtx) == 0 ? 0 : 1);
    }

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(WEXITSTATUS(status), 0, "child got a held lock");

    dr_shmtx_unlock(&mtx);
    cr_assert_eq(*mtx.lock, 0);

    pid = fork();
    if (pid == 0) {
        if (dr_shmtx_trylock(&mtx) != 1) {
            _exit(1);
        }
        dr_shmtx_unlock(&mtx);
        _exit(0);
    }

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(WEXITSTATUS(status), 0);
    cr_assert_eq(*mtx.lock, 0);

    /* unlocking a lock we do not hold is a bug: logged, lock untouched */
    *mtx.lock = 1;
    dr_shmtx_unlock(&mtx);
    cr_assert_eq(*mtx.lock, 1);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "shared mutex \"test\" unlocked by"));

    munmap(sh, sizeof(test_shmtx_shared_t));
}


Test(shmtx, mutual_exclusion_across_fork, .timeout = 60)
{
    int                   status;
    long                  i, n, c;
    pid_t                 pids[6];
    dr_shmtx_t            mtx;
    test_shmtx_shared_t  *sh;

    sh = test_shmtx_shared(&mtx);
    n = 6;

    for (i = 0; i < n; i++) {
        pids[i] = fork();
        cr_assert_neq(pids[i], -1);

        if (pids[i] == 0) {
            for (c = 0; c < 50000; c++) {
                dr_shmtx_lock(&mtx);

                if (sh->inside++ != 0) {
                    sh->overlap++;
                }

                sh->counter++;

                /* now and then hold it long enough for others to sleep */
                if (c % 5000 == 0) {
                    usleep(2000);
                }

                sh->inside--;

                dr_shmtx_unlock(&mtx);
            }

            _exit(0);
        }
    }

    for (i = 0; i < n; i++) {
        cr_assert_eq(waitpid(pids[i], &status, 0), pids[i]);
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }

    cr_assert_eq(sh->overlap, 0);
    cr_assert_eq(sh->counter, n * 50000);
    cr_assert_eq(*mtx.lock, 0);
    cr_assert_eq(*mtx.waiters, 0);

    munmap(sh, sizeof(test_shmtx_shared_t));
}


Test(shmtx, force_unlock_of_a_dead_holder)
{
    int                   status;
    pid_t                 pid;
    dr_shmtx_t            mtx;
    test_shmtx_shared_t  *sh;

    sh = test_shmtx_shared(&mtx);

    pid = fork();
    if (pid == 0) {
        dr_shmtx_lock(&mtx);
        _exit(0);           /* "crashes" holding the lock */
    }

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(*mtx.lock, (dr_atomic_uint_t) pid);

    cr_assert_eq(dr_shmtx_force_unlock(&mtx, pid + 1), 0);
    cr_assert_eq(*mtx.lock, (dr_atomic_uint_t) pid);

    cr_assert_eq(dr_shmtx_force_unlock(&mtx, pid), 1);
    cr_assert_eq(*mtx.lock, 0);

    cr_assert_eq(dr_shmtx_trylock(&mtx), 1);
    dr_shmtx_unlock(&mtx);

    munmap(sh, sizeof(test_shmtx_shared_t));
}


Test(shmtx, force_unlock_wakes_a_sleeper, .timeout = 30)
{
    int                   status;
    pid_t                 holder, waiter;
    dr_shmtx_t            mtx;
    test_shmtx_shared_t  *sh;

    sh = test_shmtx_shared(&mtx);

    /* a live holder that never unlocks */
    holder = fork();
    if (holder == 0) {
        dr_shmtx_lock(&mtx);
        sh->inside = 1;
        pause();
        _exit(0);
    }

    while (sh->inside == 0) {
        usleep(1000);
    }

    waiter = fork();
    if (waiter == 0) {
        dr_shmtx_lock(&mtx);
        sh->counter = 1;
        dr_shmtx_unlock(&mtx);
        _exit(0);
    }

    while (*mtx.waiters == 0) {
        usleep(1000);
    }

    cr_assert_eq(sh->counter, 0);

    cr_assert_eq(dr_shmtx_force_unlock(&mtx, holder), 1);

    cr_assert_eq(waitpid(waiter, &status, 0), waiter);
    cr_assert_eq(sh->counter, 1);

    kill(holder, SIGKILL);
    waitpid(holder, &status, 0);

    munmap(sh, sizeof(test_shmtx_shared_t));
}


Test(shmtx, sleeper_takes_over_a_dead_holders_lock, .timeout = 30)
{
    int                   status;
    pid_t                 pid;
    dr_shmtx_t            mtx;
    test_shmtx_shared_t  *sh;

    sh = test_shmtx_shared(&mtx);

    pid = fork();
    if (pid == 0) {
        dr_shmtx_lock(&mtx);
        _exit(0);
    }

    /* reaped: the pid no longer exists */
    cr_assert_eq(waitpid(pid, &status, 0), pid);

    dr_shmtx_lock(&mtx);
    cr_assert_eq(*mtx.lock, (dr_atomic_uint_t) getpid());
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "was held by the dead process"));
    dr_shmtx_unlock(&mtx);

    munmap(sh, sizeof(test_shmtx_shared_t));
}


/* zones across cycles */

static int  test_shm_tag_a, test_shm_tag_b;

typedef struct {
    dr_uint_t   calls;
    void       *old_data;
    dr_uint_t   fail;
} test_shm_init_t;

static test_shm_init_t  test_shm_inits[8];


static dr_int_t
test_shm_zone_init(dr_shm_zone_t *zone, void *data)
{
    test_shm_init_t  *ti;
    dr_slab_pool_t   *sp;

    ti = &test_shm_inits[zone->shm.name.data[0] - 'a'];
    ti->calls++;
    ti->old_data = data;

    if (ti->fail) {
        return DR_ERROR;
    }

    sp = (dr_slab_pool_t *) zone->shm.addr;

    if (data) {
        zone->data = data;
        return DR_OK;
    }

    zone->data = dr_slab_alloc(sp, 64);

    return zone->data ? DR_OK : DR_ERROR;
}


static void
test_shm_cycle(dr_cycle_t *cycle, dr_conf_t *cf)
{
    dr_memzero(cycle, sizeof(dr_cycle_t));
    dr_memzero(cf, sizeof(dr_conf_t));

    cycle->log = &test_slab_log;
    cycle->pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &test_slab_log);
    cr_assert_not_null(cycle->pool);
    cr_assert_eq(dr_list_init(&cycle->shared_memory, cycle->pool, 1,
                              sizeof(dr_shm_zone_t)), DR_OK);

    cf->cycle = cycle;
    cf->pool = cycle->pool;
    cf->log = &test_slab_log;
}


static dr_shm_zone_t *
test_shm_add(dr_conf_t *cf, char *name, size_t size, void *tag)
{
    dr_str_t        s;
    dr_shm_zone_t  *zone;

    s.data = (u_char *) name;
    s.len = strlen(name);

    zone = dr_shared_memory_add(cf, &s, size, tag);

    if (zone && zone->init == NULL) {
        zone->init = test_shm_zone_init;
    }

    return zone;
}


Test(shm, shared_memory_add)
{
    dr_conf_t       cf;
    dr_cycle_t      cycle;
    dr_shm_zone_t  *z1, *z2;

    test_shm_cycle(&cycle, &cf);

    /* a reference first, the size later */
    z1 = test_shm_add(&cf, "a", 0, &test_shm_tag_a);
    cr_assert_not_null(z1);
    cr_assert_eq(z1->shm.size, 0);

    z2 = test_shm_add(&cf, "a", 1 << 20, &test_shm_tag_a);
    cr_assert_eq(z2, z1);
    cr_assert_eq(z1->shm.size, 1 << 20);

    cr_assert_eq(test_shm_add(&cf, "a", 0, &test_shm_tag_a), z1);

    cr_assert_null(test_shm_add(&cf, "a", 2 << 20, &test_shm_tag_a));
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "the size 2097152 of shared memory zone \"a\" "
                              "conflicts with already declared size 1048576"));

    cr_assert_null(test_shm_add(&cf, "a", 1 << 20, &test_shm_tag_b));
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "the shared memory zone \"a\" is already "
                              "declared for a different use"));

    /* a zone only referenced is an error when the cycle maps its zones */
    cr_assert_not_null(test_shm_add(&cf, "b", 0, &test_shm_tag_a));
    cr_assert_eq(dr_shm_cycle_zones(&cycle, NULL), DR_ERROR);
    cr_assert_not_null(strstr((char *) test_slab_logbuf,
                              "zero size shared memory zone \"b\""));

    dr_shm_cycle_rollback(&cycle, NULL);
    cr_assert_null(z1->shm.addr);

    dr_destroy_pool(cycle.pool);
}


Test(shm, reload_reuses_matching_zones)
{
    dr_conf_t        cf, ncf;
    dr_cycle_t       old, cycle;
    dr_shm_zone_t   *a, *b, *c, *na, *nb, *nc, *nd;
    u_char          *b_addr, *c_addr;
    void            *a_data;

    dr_memzero(test_shm_inits, sizeof(test_shm_inits));

    test_shm_cycle(&old, &cf);

    a = test_shm_add(&cf, "a", 1 << 20, &test_shm_tag_a);
    b = test_shm_add(&cf, "b", 1 << 20, &test_shm_tag_a);
    c = test_shm_add(&cf, "c", 1 << 20, &test_shm_tag_a);
    cr_assert(a && b && c);

    cr_assert_eq(dr_shm_cycle_zones(&old, NULL), DR_OK);
    cr_assert(a->shm.addr && b->shm.addr && c->shm.addr);
    cr_assert_eq(test_shm_inits[0].calls, 1);
    cr_assert_null(test_shm_inits[0].old_data);
    a_data = a->data;
    cr_assert_not_null(a_data);

    /* contents survive in the reused zone */
    dr_memcpy(a_data, "kept", 5);

    b_addr = b->shm.addr;
    c_addr = c->shm.addr;

    /* the new config: a same, b resized, c for another module, d new */

    test_shm_cycle(&cycle, &ncf);

    na = test_shm_add(&ncf, "a", 1 << 20, &test_shm_tag_a);
    nb = test_shm_add(&ncf, "b", 2 << 20, &test_shm_tag_a);
    nc = test_shm_add(&ncf, "c", 1 << 20, &test_shm_tag_b);
    nd = test_shm_add(&ncf, "d", 1 << 20, &test_shm_tag_a);
    cr_assert(na && nb && nc && nd);

    cr_assert_eq(dr_shm_cycle_zones(&cycle, &old), DR_OK);

    cr_assert_eq(na->shm.addr, a->shm.addr);
    cr_assert_eq(na->shm.exists, 1);
    cr_assert_eq(test_shm_inits[0].calls, 2);
    cr_assert_eq(test_shm_inits[0].old_data, a_data);
    cr_assert_str_eq(na->data, "kept");

    cr_assert_neq(nb->shm.addr, b_addr);
    cr_assert_null(test_shm_inits[1].old_data);
    cr_assert_neq(nc->shm.addr, c_addr);
    cr_assert_not_null(nd->shm.addr);

    dr_shm_cycle_free_old(&cycle, &old);

    /* a is still mapped (the new cycle's), b and c of the old are not */
    cr_assert_not_null(a->shm.addr);
    cr_assert_null(b->shm.addr);
    cr_assert_null(c->shm.addr);
    cr_assert_eq(dr_memcmp(na->data, "kept", 5), 0);

    cr_assert_eq(test_slab_loglen, 0, "%s", test_slab_logbuf);

    dr_destroy_pool(old.pool);
    dr_destroy_pool(cycle.pool);
}


Test(shm, failed_reload_rolls_back)
{
    dr_conf_t        cf, ncf;
    dr_cycle_t       old, cycle;
    dr_shm_zone_t   *a, *na, *nb, *nc;

    dr_memzero(test_shm_inits, sizeof(test_shm_inits));

    test_shm_cycle(&old, &cf);
    a = test_shm_add(&cf, "a", 1 << 20, &test_shm_tag_a);
    cr_assert_eq(dr_shm_cycle_zones(&old, NULL), DR_OK);

    test_shm_cycle(&cycle, &ncf);
    na = test_shm_add(&ncf, "a", 1 << 20, &test_shm_tag_a);
    nb = test_shm_add(&ncf, "b", 1 << 20, &test_shm_tag_a);
    nc = test_shm_add(&ncf, "c", 1 << 20, &test_shm_tag_a);

    test_shm_inits[2].fail = 1;

    cr_assert_eq(dr_shm_cycle_zones(&cycle, &old), DR_ERROR);
    cr_assert_not_null(nb->shm.addr);

    dr_shm_cycle_rollback(&cycle, &old);

    /* the old cycle keeps its zone, the new ones are gone */
    cr_assert_null(na->shm.addr);
    cr_assert_null(nb->shm.addr);
    cr_assert_null(nc->shm.addr);
    cr_assert_not_null(a->shm.addr);
    ((u_char *) a->data)[0] = 1;      /* still mapped */

    dr_shm_cycle_free_old(&old, NULL);
    cr_assert_not_null(a->shm.addr);

    dr_destroy_pool(old.pool);
    dr_destroy_pool(cycle.pool);
}
