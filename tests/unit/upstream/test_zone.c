/*
 * The shared peer tables (src/upstream/dr_upstream_zone.c): a membership
 * published keeps the state of the peers that stay, gives fresh state to
 * new ones and retires the others; retired tables and states are freed
 * only once every attached worker has passed a quiescent point and no
 * connection holds the state; a reload keeps discovered peers; a zone
 * that is full leaves the membership as it was; slots of dead workers are
 * given back.
 */

#include <criterion/criterion.h>

#include "dr_upstream.h"


static dr_log_t        test_zone_log;
static dr_cycle_t      test_zone_cycle;
static dr_shm_zone_t   test_zone_shm;


static void
test_zone_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;
    (void) buf;
    (void) len;
}


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();

    test_zone_log.log_level = DR_LOG_DEBUG;
    test_zone_log.writer = test_zone_writer;

    test_zone_cycle.log = &test_zone_log;
    dr_cycle = &test_zone_cycle;

    dr_slab_sizes_init();
}


TestSuite(upstream_zone, .init = setup);


static dr_slab_pool_t *
test_zone_slab(size_t size)
{
    dr_memzero(&test_zone_shm, sizeof(dr_shm_zone_t));

    test_zone_shm.shm.size = size;
    test_zone_shm.shm.log = &test_zone_log;
    test_zone_shm.shm.name.data = (u_char *) "ups";
    test_zone_shm.shm.name.len = 3;

    cr_assert_eq(dr_shm_alloc(&test_zone_shm.shm), DR_OK);
    cr_assert_eq(dr_shm_zone_init_pool(&test_zone_log, &test_zone_shm),
                 DR_OK);

    return (dr_slab_pool_t *) test_zone_shm.shm.addr;
}


/* "10.0.0.<n>:80" with weight <w> */
static void
test_zone_peer(dr_upstream_zpeer_t *zp, int n, dr_int_t w)
{
    struct sockaddr_in  *sin;

    dr_memzero(zp, sizeof(dr_upstream_zpeer_t));

    sin = &zp->sockaddr.sockaddr_in;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(80);
    sin->sin_addr.s_addr = htonl(0x0a000000 | (uint32_t) n);

    zp->socklen = sizeof(struct sockaddr_in);
    zp->name_len = dr_sock_ntop(&zp->sockaddr.sockaddr, zp->socklen,
                                zp->name, DR_SOCKADDR_STRLEN, 1);
    zp->weight = w;
    zp->max_fails = 1;
    zp->fail_timeout = 10000;
}


static dr_upstream_zpeer_t *
test_zone_find(dr_upstream_ztable_t *t, int n)
{
    dr_uint_t  i;

    for (i = 0; i < t->npeers; i++) {
        if (ntohl(t->peers[i].sockaddr.sockaddr_in.sin_addr.s_addr)
            == (0x0a000000 | (uint32_t) n))
        {
            return &t->peers[i];
        }
    }

    return NULL;
}


static dr_upstream_zone_t *
test_zone_make(dr_slab_pool_t *sp)
{
    dr_str_t             name = dr_string("backend");
    dr_upstream_zone_t  *uz;

    uz = dr_upstream_zone_create(sp, &name, &test_zone_log);
    cr_assert_not_null(uz);
    cr_assert_null(uz->table);
    cr_assert_eq(uz->lock_sh, &sp->lock);

    return uz;
}


Test(upstream_zone, first_table_orders_primaries_then_backups)
{
    dr_slab_pool_t        *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[4];
    dr_upstream_ztable_t  *t;

    test_zone_peer(&p[0], 1, 5);
    test_zone_peer(&p[1], 2, 1);
    p[1].backup = 1;
    test_zone_peer(&p[2], 3, 0);        /* counts as 1 */
    test_zone_peer(&p[3], 4, 2);
    p[3].down = 1;

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 4, &test_zone_log), DR_OK);

    t = dr_upstream_zone_table(uz);
    cr_assert_eq(t->npeers, 4);
    cr_assert_eq(t->nprimary, 3);
    cr_assert_eq(t->generation, 1);
    cr_assert_eq(uz->generation, 1);
    cr_assert_str_eq((char *) t->peers[0].name, "10.0.0.1:80");
    cr_assert_str_eq((char *) t->peers[1].name, "10.0.0.3:80");
    cr_assert_str_eq((char *) t->peers[2].name, "10.0.0.4:80");
    cr_assert_str_eq((char *) t->peers[3].name, "10.0.0.2:80");
    cr_assert_eq(t->peers[1].weight, 1);
    cr_assert_eq(t->total_weight, 5 + 1 + 2);   /* down ones count */

    /* the first table's states start without a slow_start origin */
    cr_assert_eq(t->peers[0].state->health_changed, 0);
    cr_assert_eq(t->peers[0].state->effective_weight, 5);
    cr_assert_eq(t->peers[0].state->refs, 1);
}


Test(upstream_zone, states_follow_addresses)
{
    dr_slab_pool_t        *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[3], q[3];
    dr_upstream_ztable_t  *t1, *t2;
    dr_upstream_zstate_t  *s1, *s2, *s3;
    dr_uint_t              w;

    test_zone_peer(&p[0], 1, 1);
    test_zone_peer(&p[1], 2, 1);
    test_zone_peer(&p[2], 3, 3);
    p[2].slow_start = 30000;

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 3, &test_zone_log), DR_OK);
    t1 = dr_upstream_zone_table(uz);

    s1 = test_zone_find(t1, 1)->state;
    s2 = test_zone_find(t1, 2)->state;
    s3 = test_zone_find(t1, 3)->state;

    /* an attached worker that has not quiesced keeps the retired around */
    cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &w), DR_OK);

    s1->conns = 7;
    s1->fails = 2;
    s3->current_weight = 4;
    s3->effective_weight = 2;

    /* 2 leaves, 4 comes, 3 changes its weight, 1 stays as it is */

    test_zone_peer(&q[0], 3, 2);
    q[0].slow_start = 30000;
    test_zone_peer(&q[1], 4, 1);
    q[1].slow_start = 30000;
    test_zone_peer(&q[2], 1, 1);

    dr_current_msec = 123456;

    cr_assert_eq(dr_upstream_zone_publish(uz, q, 3, &test_zone_log), DR_OK);
    t2 = dr_upstream_zone_table(uz);

    cr_assert_neq(t1, t2);
    cr_assert_eq(t2->generation, 2);
    cr_assert_eq(uz->generation, 2);

    cr_assert_eq(test_zone_find(t2, 1)->state, s1);
    cr_assert_eq(s1->conns, 7);
    cr_assert_eq(s1->fails, 2);

    cr_assert_eq(test_zone_find(t2, 3)->state, s3);
    cr_assert_eq(s3->effective_weight, 2);      /* reset to the new weight */
    cr_assert_eq(s3->current_weight, 0);
    cr_assert_eq(s3->health_changed, 0);        /* not a newcomer */

    cr_assert_null(test_zone_find(t2, 2));
    cr_assert_eq(s2->retired_gen, 2);
    cr_assert_eq(s2->refs, 0);
    cr_assert_eq(uz->retired_states, s2);

    /* a newcomer ramps up from now */
    cr_assert_eq(test_zone_find(t2, 4)->state->health_changed, 123456);
    cr_assert_eq(test_zone_find(t2, 4)->state->effective_weight, 1);

    cr_assert_eq(uz->retired_tables, t1);

    dr_upstream_zone_quiesce(uz, w);
    dr_upstream_zone_reclaim(uz, &test_zone_log);
    cr_assert_null(uz->retired_tables);
    cr_assert_null(uz->retired_states);

    /* with no worker attached, a publish frees the old table at once */
    dr_upstream_zone_detach(uz, w);
    cr_assert_eq(dr_upstream_zone_publish(uz, p, 3, &test_zone_log), DR_OK);
    cr_assert_null(uz->retired_tables);
    cr_assert_null(uz->retired_states);
}


Test(upstream_zone, duplicate_addresses_get_their_own_states)
{
    dr_slab_pool_t        *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[2];
    dr_upstream_ztable_t  *t1, *t2;

    test_zone_peer(&p[0], 1, 1);
    test_zone_peer(&p[1], 1, 1);

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 2, &test_zone_log), DR_OK);
    t1 = dr_upstream_zone_table(uz);
    cr_assert_neq(t1->peers[0].state, t1->peers[1].state);

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 2, &test_zone_log), DR_OK);
    t2 = dr_upstream_zone_table(uz);
    cr_assert_eq(t2->peers[0].state, t1->peers[0].state);
    cr_assert_eq(t2->peers[1].state, t1->peers[1].state);

    /* one of them leaves: one state retires, one stays */
    cr_assert_eq(dr_upstream_zone_publish(uz, p, 1, &test_zone_log), DR_OK);
    t2 = dr_upstream_zone_table(uz);
    cr_assert_eq(t2->npeers, 1);
}


Test(upstream_zone, reclaim_waits_for_every_attached_worker)
{
    dr_slab_pool_t        *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[2];
    dr_upstream_ztable_t  *t1, *t2;
    dr_upstream_zstate_t  *gone;
    dr_uint_t              w1, w2;

    test_zone_peer(&p[0], 1, 1);
    test_zone_peer(&p[1], 2, 1);

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 2, &test_zone_log), DR_OK);
    t1 = dr_upstream_zone_table(uz);
    gone = test_zone_find(t1, 2)->state;

    /* two workers (this process stands for both: slots are what counts) */
    cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &w1), DR_OK);
    cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &w2), DR_OK);
    cr_assert_neq(w1, w2);
    cr_assert_eq(uz->epochs[w1], 1);

    /* worker 2 is in the middle of a request to peer 2 */
    gone->conns = 1;

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 1, &test_zone_log), DR_OK);
    t2 = dr_upstream_zone_table(uz);
    cr_assert_eq(t2->generation, 2);
    cr_assert_eq(uz->retired_tables, t1);
    cr_assert_eq(uz->retired_states, gone);

    dr_upstream_zone_quiesce(uz, w1);
    dr_upstream_zone_reclaim(uz, &test_zone_log);
    cr_assert_eq(uz->retired_tables, t1, "worker 2 has not quiesced");

    dr_upstream_zone_quiesce(uz, w2);
    dr_upstream_zone_reclaim(uz, &test_zone_log);
    cr_assert_null(uz->retired_tables);
    cr_assert_eq(uz->retired_states, gone, "a connection holds it");

    gone->conns = 0;
    dr_upstream_zone_reclaim(uz, &test_zone_log);
    cr_assert_null(uz->retired_states);

    /* a detached worker no longer holds anything back */
    cr_assert_eq(dr_upstream_zone_publish(uz, p, 2, &test_zone_log), DR_OK);
    cr_assert_not_null(uz->retired_tables);
    dr_upstream_zone_detach(uz, w1);
    dr_upstream_zone_detach(uz, w2);
    dr_upstream_zone_reclaim(uz, &test_zone_log);
    cr_assert_null(uz->retired_tables);
}


Test(upstream_zone, dead_owner_gives_its_slot_back)
{
    dr_slab_pool_t        *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[1];
    dr_uint_t              slot;
    pid_t                  pid;
    int                    status;

    test_zone_peer(&p[0], 1, 1);
    cr_assert_eq(dr_upstream_zone_publish(uz, p, 1, &test_zone_log), DR_OK);

    pid = fork();
    cr_assert_neq(pid, -1);

    if (pid == 0) {
        /* attaches and dies without detaching, as a crashed worker */
        _exit(dr_upstream_zone_attach(uz, getpid(), &slot) == DR_OK ? 0 : 1);
    }

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert_eq(WEXITSTATUS(status), 0);
    cr_assert_eq(uz->owners[0], (dr_atomic_uint_t) pid);

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 1, &test_zone_log), DR_OK);

    /* its stale epoch did not hold the old table back, and the slot is free */
    cr_assert_null(uz->retired_tables);
    cr_assert_eq(uz->owners[0], 0);
}


Test(upstream_zone, attach_fails_when_all_slots_are_taken)
{
    dr_slab_pool_t      *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t  *uz = test_zone_make(sp);
    dr_uint_t            i, slot;

    for (i = 0; i < DR_UPSTREAM_MAX_WORKERS; i++) {
        cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &slot), DR_OK);
        cr_assert_eq(slot, i);
    }

    cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &slot), DR_BUSY);

    dr_upstream_zone_detach(uz, 17);
    cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &slot), DR_OK);
    cr_assert_eq(slot, 17);
}


Test(upstream_zone, reload_keeps_discovered_peers)
{
    dr_slab_pool_t        *sp = test_zone_slab(64 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[3], c[1];
    dr_upstream_ztable_t  *t;
    dr_upstream_zstate_t  *s9;

    test_zone_peer(&p[0], 1, 1);
    test_zone_peer(&p[1], 9, 1);
    p[1].source = DR_UPSTREAM_SOURCE_DISCOVERED;
    dr_memcpy(p[1].id, "inst-0000000009", 15);
    p[1].id_len = 15;
    test_zone_peer(&p[2], 8, 1);
    p[2].source = DR_UPSTREAM_SOURCE_DISCOVERED;
    p[2].backup = 1;

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 3, &test_zone_log), DR_OK);
    s9 = test_zone_find(dr_upstream_zone_table(uz), 9)->state;
    s9->requests = 42;

    /* the new config: server 1 is gone, server 2 comes */
    test_zone_peer(&c[0], 2, 4);

    cr_assert_eq(dr_upstream_zone_publish_config(uz, c, 1, &test_zone_log),
                 DR_OK);

    t = dr_upstream_zone_table(uz);
    cr_assert_eq(t->npeers, 3);
    cr_assert_eq(t->nprimary, 2);
    cr_assert_not_null(test_zone_find(t, 2));
    cr_assert_null(test_zone_find(t, 1));
    cr_assert_eq(test_zone_find(t, 9)->state, s9);
    cr_assert_eq(s9->requests, 42);
    cr_assert_eq(test_zone_find(t, 9)->id_len, 15);
    cr_assert(test_zone_find(t, 8)->backup);
    cr_assert_eq(t->total_weight, 5);
}


Test(upstream_zone, full_zone_keeps_the_membership)
{
    dr_slab_pool_t        *sp = test_zone_slab(16 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[2], *many;
    dr_upstream_ztable_t  *t;
    dr_uint_t              i, n;

    test_zone_peer(&p[0], 1, 1);
    test_zone_peer(&p[1], 2, 1);
    cr_assert_eq(dr_upstream_zone_publish(uz, p, 2, &test_zone_log), DR_OK);
    t = dr_upstream_zone_table(uz);

    /* far more peers than the zone holds */
    n = 1000;
    many = calloc(n, sizeof(dr_upstream_zpeer_t));
    cr_assert_not_null(many);

    for (i = 0; i < n; i++) {
        test_zone_peer(&many[i], (int) i + 10, 1);
    }

    sp->log_nomem = 0;

    cr_assert_eq(dr_upstream_zone_publish(uz, many, n, &test_zone_log),
                 DR_ERROR);
    cr_assert_eq(dr_upstream_zone_table(uz), t);
    cr_assert_eq(uz->generation, 1);

    /* states allocated before the zone ran out were given back */
    for (i = 0; i < 50; i++) {
        cr_assert_eq(dr_upstream_zone_publish(uz, many + i, 10,
                                              &test_zone_log),
                     DR_OK, "round %u", (unsigned) i);
    }

    free(many);
}


Test(upstream_zone, churn_does_not_leak)
{
    dr_slab_pool_t        *sp = test_zone_slab(16 * 4096);
    dr_upstream_zone_t    *uz = test_zone_make(sp);
    dr_upstream_zpeer_t    p[20];
    dr_uint_t              i, round, slot;

    cr_assert_eq(dr_upstream_zone_attach(uz, getpid(), &slot), DR_OK);

    for (round = 0; round < 5000; round++) {
        for (i = 0; i < 20; i++) {
            test_zone_peer(&p[i], (int) ((round * 7 + i) % 40), 1);
        }

        cr_assert_eq(dr_upstream_zone_publish(uz, p, 20, &test_zone_log),
                     DR_OK, "round %u", (unsigned) round);

        dr_upstream_zone_quiesce(uz, slot);
    }

    dr_upstream_zone_reclaim(uz, &test_zone_log);
    cr_assert_null(uz->retired_tables);
    cr_assert_null(uz->retired_states);
}


Test(upstream_zone, local_zone_is_a_fixed_table)
{
    dr_pool_t             *pool;
    dr_str_t               name = dr_string("local");
    dr_upstream_zpeer_t    p[2];
    dr_upstream_zone_t    *uz;
    dr_upstream_ztable_t  *t;

    pool = dr_create_pool(4096, &test_zone_log);
    cr_assert_not_null(pool);

    test_zone_peer(&p[0], 1, 3);
    p[0].backup = 1;
    test_zone_peer(&p[1], 2, 2);

    uz = dr_upstream_zone_create_local(pool, &name, p, 2);
    cr_assert_not_null(uz);
    cr_assert_null(uz->lock_sh);

    t = dr_upstream_zone_table(uz);
    cr_assert_eq(t->npeers, 2);
    cr_assert_eq(t->nprimary, 1);
    cr_assert_str_eq((char *) t->peers[0].name, "10.0.0.2:80");
    cr_assert_eq(t->peers[1].state->effective_weight, 3);

    cr_assert_eq(dr_upstream_zone_publish(uz, p, 2, &test_zone_log),
                 DR_ERROR);

    dr_destroy_pool(pool);
}
