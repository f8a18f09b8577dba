/*
 * Smooth weighted round-robin (src/upstream/dr_upstream_round_robin.c):
 * nginx's exact sequence for weights 5,1,1, proportions, down, backup,
 * max_conns, max_fails/fail_timeout with recovery, tries within one
 * request, the single-peer rules, slow_start's ramp, one sequence shared
 * by two "workers" through a zone, and a request whose table changes
 * between two attempts.
 */

#include <criterion/criterion.h>

#include "dr_upstream_round_robin.h"


static dr_log_t        test_rr_log;
static dr_cycle_t      test_rr_cycle;
static dr_pool_t      *test_rr_pool;


static void
test_rr_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
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

    test_rr_log.log_level = DR_LOG_DEBUG;
    test_rr_log.writer = test_rr_writer;

    test_rr_cycle.log = &test_rr_log;
    dr_cycle = &test_rr_cycle;

    dr_slab_sizes_init();

    test_rr_pool = dr_create_pool(16384, &test_rr_log);
    cr_assert_not_null(test_rr_pool);

    dr_current_msec = 1000000;
}


static void
teardown(void)
{
    dr_destroy_pool(test_rr_pool);
}


TestSuite(upstream_rr, .init = setup, .fini = teardown);


/* "10.0.0.<n>:80" */
static void
test_rr_peer(dr_upstream_zpeer_t *zp, int n, dr_int_t w)
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


static void
test_rr_local(dr_upstream_conf_t *us, dr_upstream_zpeer_t *p, dr_uint_t n)
{
    dr_memzero(us, sizeof(dr_upstream_conf_t));

    us->name.data = (u_char *) "backend";
    us->name.len = 7;
    us->zone = dr_upstream_zone_create_local(test_rr_pool, &us->name, p, n);
    cr_assert_not_null(us->zone);
    cr_assert_eq(dr_upstream_rr_init_pool(NULL, us), DR_OK);
}


/* a new request's peer connection */
static void
test_rr_request(dr_upstream_conf_t *us, dr_peer_connection_t *pc)
{
    dr_upstream_pick_t  pk;

    dr_memzero(pc, sizeof(dr_peer_connection_t));
    dr_memzero(&pk, sizeof(dr_upstream_pick_t));

    pk.pc = pc;
    pk.pool = test_rr_pool;
    pk.log = &test_rr_log;

    cr_assert_eq(us->init_peer(&pk, us), DR_OK);
}


/* the last octet of the peer <pc> got, as a letter: 1 -> 'a' */
static char
test_rr_letter(dr_peer_connection_t *pc)
{
    struct sockaddr_in  *sin = (struct sockaddr_in *) pc->sockaddr;

    return (char) ('a' - 1 + (ntohl(sin->sin_addr.s_addr) & 0xff));
}


/* one whole request: pick, succeed; the letter of the peer */
static char
test_rr_one(dr_upstream_conf_t *us)
{
    char                  l;
    dr_peer_connection_t  pc;

    test_rr_request(us, &pc);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    l = test_rr_letter(&pc);
    pc.free(&pc, pc.data, 0);

    return l;
}


Test(upstream_rr, smooth_sequence_5_1_1)
{
    dr_upstream_conf_t   us;
    dr_upstream_zpeer_t  p[3];
    char                 seq[22];
    int                  i;

    test_rr_peer(&p[0], 1, 5);
    test_rr_peer(&p[1], 2, 1);
    test_rr_peer(&p[2], 3, 1);
    test_rr_local(&us, p, 3);

    for (i = 0; i < 21; i++) {
        seq[i] = test_rr_one(&us);
    }
    seq[21] = '\0';

    cr_assert_str_eq(seq, "aabacaaaabacaaaabacaa");
}


Test(upstream_rr, proportions_follow_weights)
{
    dr_upstream_conf_t   us;
    dr_upstream_zpeer_t  p[3];
    int                  i, count[3] = { 0, 0, 0 };

    test_rr_peer(&p[0], 1, 3);
    test_rr_peer(&p[1], 2, 2);
    test_rr_peer(&p[2], 3, 1);
    test_rr_local(&us, p, 3);

    for (i = 0; i < 600; i++) {
        count[test_rr_one(&us) - 'a']++;
    }

    cr_assert_eq(count[0], 300);
    cr_assert_eq(count[1], 200);
    cr_assert_eq(count[2], 100);
}


Test(upstream_rr, down_peer_is_never_chosen)
{
    dr_upstream_conf_t   us;
    dr_upstream_zpeer_t  p[3];
    int                  i;

    test_rr_peer(&p[0], 1, 1);
    test_rr_peer(&p[1], 2, 1);
    p[1].down = 1;
    test_rr_peer(&p[2], 3, 1);
    test_rr_local(&us, p, 3);

    for (i = 0; i < 50; i++) {
        cr_assert_neq(test_rr_one(&us), 'b');
    }
}


Test(upstream_rr, backup_only_when_no_primary_can)
{
    dr_upstream_conf_t     us;
    dr_upstream_zpeer_t    p[3];
    dr_upstream_ztable_t  *t;
    dr_peer_connection_t   pc;
    int                    i;

    test_rr_peer(&p[0], 1, 1);
    test_rr_peer(&p[1], 2, 1);
    p[1].backup = 1;
    test_rr_peer(&p[2], 3, 1);
    test_rr_local(&us, p, 3);

    for (i = 0; i < 20; i++) {
        cr_assert_neq(test_rr_one(&us), 'b');
    }

    /* both primaries fail once (max_fails=1): the backup takes over */

    test_rr_request(&us, &pc);
    cr_assert_eq(pc.tries, 3);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    pc.free(&pc, pc.data, DR_PEER_FAILED);
    cr_assert_eq(pc.tries, 2);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    pc.free(&pc, pc.data, DR_PEER_FAILED);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    cr_assert_eq(test_rr_letter(&pc), 'b');
    pc.free(&pc, pc.data, 0);

    for (i = 0; i < 5; i++) {
        cr_assert_eq(test_rr_one(&us), 'b');
    }

    /* an active check that says the backup is down leaves nothing */

    t = dr_upstream_zone_table(us.zone);
    t->peers[2].state->health = DR_UPSTREAM_HEALTH_DOWN;

    test_rr_request(&us, &pc);
    cr_assert_eq(pc.get(&pc, pc.data), DR_BUSY);
    cr_assert_str_eq((char *) pc.name->data, "backend");

    /* fail_timeout later the primaries are tried again */

    dr_current_msec += 10001;
    cr_assert_neq(test_rr_one(&us), 'b');
}


Test(upstream_rr, max_conns_caps_a_peer)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[2];
    dr_peer_connection_t  pc1, pc2, pc3;

    test_rr_peer(&p[0], 1, 1);
    p[0].max_conns = 1;
    test_rr_peer(&p[1], 2, 1);
    p[1].max_conns = 1;
    test_rr_local(&us, p, 2);

    test_rr_request(&us, &pc1);
    test_rr_request(&us, &pc2);
    test_rr_request(&us, &pc3);

    cr_assert_eq(pc1.get(&pc1, pc1.data), DR_OK);
    cr_assert_eq(pc2.get(&pc2, pc2.data), DR_OK);
    cr_assert_neq(test_rr_letter(&pc1), test_rr_letter(&pc2));

    /* both are at their limit */
    cr_assert_eq(pc3.get(&pc3, pc3.data), DR_BUSY);

    pc2.free(&pc2, pc2.data, 0);
    cr_assert_eq(pc3.get(&pc3, pc3.data), DR_OK);
    cr_assert_eq(test_rr_letter(&pc3), test_rr_letter(&pc2));

    pc1.free(&pc1, pc1.data, 0);
    pc3.free(&pc3, pc3.data, 0);

    cr_assert_eq(dr_upstream_zone_table(us.zone)->peers[0].state->conns, 0);
    cr_assert_eq(dr_upstream_zone_table(us.zone)->peers[1].state->conns, 0);
}


Test(upstream_rr, max_fails_within_fail_timeout)
{
    dr_upstream_conf_t     us;
    dr_upstream_zpeer_t    p[2];
    dr_upstream_zstate_t  *sa;
    dr_peer_connection_t   pc;
    int                    i;

    test_rr_peer(&p[0], 1, 3);
    p[0].max_fails = 3;
    p[0].fail_timeout = 5000;
    test_rr_peer(&p[1], 2, 1);
    test_rr_local(&us, p, 2);

    sa = dr_upstream_zone_table(us.zone)->peers[0].state;

    /* two failures of a: still in rotation */

    for (i = 0; i < 2; i++) {
        do {
            test_rr_request(&us, &pc);
            cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
            if (test_rr_letter(&pc) != 'a') {
                pc.free(&pc, pc.data, 0);
            }
        } while (test_rr_letter(&pc) != 'a');

        pc.free(&pc, pc.data, DR_PEER_FAILED);
    }

    cr_assert_eq(sa->fails, 2);
    cr_assert_lt(sa->effective_weight, 3);  /* each failure took 3/3 */

    /* it recovers its weight pick by pick; a third failure takes it out */

    do {
        test_rr_request(&us, &pc);
        cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
        if (test_rr_letter(&pc) != 'a') {
            pc.free(&pc, pc.data, 0);
        }
    } while (test_rr_letter(&pc) != 'a');

    pc.free(&pc, pc.data, DR_PEER_FAILED);
    cr_assert_eq(sa->fails, 3);

    for (i = 0; i < 20; i++) {
        cr_assert_eq(test_rr_one(&us), 'b');
    }

    /* after fail_timeout it gets a chance; a success clears the count */

    dr_current_msec += 5001;

    for (i = 0; i < 4; i++) {
        (void) test_rr_one(&us);
    }

    cr_assert_eq(sa->fails, 0);
}


Test(upstream_rr, tries_do_not_repeat_a_peer)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[3];
    dr_peer_connection_t  pc;
    char                  seen[4] = { 0, 0, 0, 0 };
    int                   i;

    test_rr_peer(&p[0], 1, 1);
    test_rr_peer(&p[1], 2, 1);
    test_rr_peer(&p[2], 3, 1);
    for (i = 0; i < 3; i++) {
        p[i].max_fails = 0;         /* failures do not count */
    }
    test_rr_local(&us, p, 3);

    test_rr_request(&us, &pc);

    for (i = 0; i < 3; i++) {
        cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
        cr_assert_eq(seen[test_rr_letter(&pc) - 'a'], 0);
        seen[test_rr_letter(&pc) - 'a'] = 1;
        pc.free(&pc, pc.data, DR_PEER_FAILED);
    }

    cr_assert_eq(pc.tries, 0);
    cr_assert_eq(pc.get(&pc, pc.data), DR_BUSY);

    /* max_fails=0: the failures took no one out for the next request */
    cr_assert_eq(test_rr_one(&us) != 0, 1);
}


Test(upstream_rr, single_peer_ignores_failures)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[1];
    dr_peer_connection_t  pc;
    int                   i;

    test_rr_peer(&p[0], 1, 1);
    test_rr_local(&us, p, 1);

    for (i = 0; i < 5; i++) {
        test_rr_request(&us, &pc);
        cr_assert_eq(pc.tries, 1);
        cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
        pc.free(&pc, pc.data, DR_PEER_FAILED);
        cr_assert_eq(pc.tries, 0);
    }

    cr_assert_eq(dr_upstream_zone_table(us.zone)->peers[0].state->fails, 0);
    cr_assert_eq(test_rr_one(&us), 'a');

    /* but down is down */
    dr_upstream_zone_table(us.zone)->peers[0].down = 1;
    test_rr_request(&us, &pc);
    cr_assert_eq(pc.get(&pc, pc.data), DR_BUSY);
}


Test(upstream_rr, slow_start_ramps_the_weight)
{
    dr_upstream_zpeer_t   p[1];
    dr_pool_t            *pool = test_rr_pool;
    dr_str_t              name = dr_string("x");
    dr_upstream_zone_t   *uz;
    dr_upstream_zpeer_t  *zp;

    test_rr_peer(&p[0], 1, 10);
    p[0].slow_start = 10000;

    uz = dr_upstream_zone_create_local(pool, &name, p, 1);
    zp = &dr_upstream_zone_table(uz)->peers[0];

    cr_assert_eq(dr_upstream_rr_weight(zp, dr_current_msec), 10);

    zp->state->health_changed = dr_current_msec;
    cr_assert_eq(dr_upstream_rr_weight(zp, dr_current_msec), 1);
    cr_assert_eq(dr_upstream_rr_weight(zp, dr_current_msec + 5000), 5);
    cr_assert_eq(dr_upstream_rr_weight(zp, dr_current_msec + 9999), 9);
    cr_assert_eq(dr_upstream_rr_weight(zp, dr_current_msec + 10000), 10);
}


Test(upstream_rr, slow_start_share_grows)
{
    dr_upstream_conf_t     us;
    dr_upstream_zpeer_t    p[2];
    dr_upstream_ztable_t  *t;
    int                    i, early = 0, late = 0;

    test_rr_peer(&p[0], 1, 10);
    test_rr_peer(&p[1], 2, 10);
    p[1].slow_start = 20000;
    test_rr_local(&us, p, 2);

    t = dr_upstream_zone_table(us.zone);
    t->peers[1].state->health_changed = dr_current_msec;

    for (i = 0; i < 110; i++) {
        early += test_rr_one(&us) == 'b';
    }

    dr_current_msec += 20000;

    for (i = 0; i < 200; i++) {
        late += test_rr_one(&us) == 'b';
    }

    /* weight 1 of 11 at first, then an even share */
    cr_assert(early >= 8 && early <= 12, "early share %d", early);
    cr_assert(late >= 95 && late <= 105, "late share %d", late);
}


Test(upstream_rr, workers_share_one_sequence_through_a_zone)
{
    dr_upstream_conf_t    w1, w2;
    dr_upstream_zpeer_t   p[3];
    dr_shm_zone_t         shm;
    dr_str_t              name = dr_string("backend");
    dr_upstream_zone_t   *uz;
    char                  seq[15];
    int                   i;

    dr_memzero(&shm, sizeof(dr_shm_zone_t));
    shm.shm.size = 64 * 4096;
    shm.shm.log = &test_rr_log;
    shm.shm.name = name;
    cr_assert_eq(dr_shm_alloc(&shm.shm), DR_OK);
    cr_assert_eq(dr_shm_zone_init_pool(&test_rr_log, &shm), DR_OK);

    test_rr_peer(&p[0], 1, 5);
    test_rr_peer(&p[1], 2, 1);
    test_rr_peer(&p[2], 3, 1);

    uz = dr_upstream_zone_create((dr_slab_pool_t *) shm.shm.addr, &name,
                                 &test_rr_log);
    cr_assert_eq(dr_upstream_zone_publish(uz, p, 3, &test_rr_log), DR_OK);

    dr_memzero(&w1, sizeof(dr_upstream_conf_t));
    w1.name = name;
    w1.zone = uz;
    cr_assert_eq(dr_upstream_rr_init_pool(NULL, &w1), DR_OK);
    w2 = w1;

    /* alternate "workers": together they walk nginx's one sequence */
    for (i = 0; i < 14; i++) {
        seq[i] = test_rr_one(i % 2 ? &w2 : &w1);
    }
    seq[14] = '\0';

    cr_assert_str_eq(seq, "aabacaaaabacaa");

    dr_shm_free(&shm.shm);
}


Test(upstream_rr, tried_peers_survive_a_new_table)
{
    dr_upstream_conf_t     us;
    dr_upstream_zpeer_t    p[3], q[3];
    dr_shm_zone_t          shm;
    dr_str_t               name = dr_string("backend");
    dr_peer_connection_t   pc;
    char                   first, second;

    dr_memzero(&shm, sizeof(dr_shm_zone_t));
    shm.shm.size = 64 * 4096;
    shm.shm.log = &test_rr_log;
    shm.shm.name = name;
    cr_assert_eq(dr_shm_alloc(&shm.shm), DR_OK);
    cr_assert_eq(dr_shm_zone_init_pool(&test_rr_log, &shm), DR_OK);

    test_rr_peer(&p[0], 1, 1);
    test_rr_peer(&p[1], 2, 1);
    test_rr_peer(&p[2], 3, 1);

    dr_memzero(&us, sizeof(dr_upstream_conf_t));
    us.name = name;
    us.zone = dr_upstream_zone_create((dr_slab_pool_t *) shm.shm.addr, &name,
                                      &test_rr_log);
    cr_assert_eq(dr_upstream_zone_publish(us.zone, p, 3, &test_rr_log),
                 DR_OK);
    cr_assert_eq(dr_upstream_rr_init_pool(NULL, &us), DR_OK);

    test_rr_request(&us, &pc);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    first = test_rr_letter(&pc);
    pc.free(&pc, pc.data, 0);

    /* the membership changes between two attempts: a new peer, same
     * others in another order; the tried one must not come back */

    test_rr_peer(&q[0], 4, 1);
    test_rr_peer(&q[1], first - 'a' + 1, 1);
    test_rr_peer(&q[2], 5, 1);
    cr_assert_eq(dr_upstream_zone_publish(us.zone, q, 3, &test_rr_log),
                 DR_OK);

    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    second = test_rr_letter(&pc);
    cr_assert_neq(second, first);
    pc.free(&pc, pc.data, 0);

    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    cr_assert_neq(test_rr_letter(&pc), first);
    cr_assert_neq(test_rr_letter(&pc), second);
    pc.free(&pc, pc.data, 0);

    dr_shm_free(&shm.shm);
}
