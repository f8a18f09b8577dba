/*
 * The balancer modules' algorithms (modules/upstream_*): least_conn
 * (fewest connections per weight, ties round-robin, backups), hash (the
 * same key keeps its peer, weights, rehash past an unusable peer) and
 * hash consistent (ketama: removing or adding one of N peers moves about
 * 1/N of the keys, and only those of that peer), ip_hash (a /24 keeps its
 * peer), random (weights, "two" takes the less loaded). Peers are
 * process-local tables; the pick context is built by hand.
 */

#include <criterion/criterion.h>

#include "dr_http_upstream.h"
#include "dr_upstream_round_robin.h"

#include "../../../../modules/upstream_least_conn/dr_upstream_least_conn_module.c"
#include "../../../../modules/upstream_hash/dr_upstream_hash_module.c"
#include "../../../../modules/upstream_ip_hash/dr_upstream_ip_hash_module.c"
#include "../../../../modules/upstream_random/dr_upstream_random_module.c"


static dr_log_t        test_log;
static dr_cycle_t      test_cycle;
static dr_pool_t      *test_pool;


static void
test_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
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

    test_log.log_level = DR_LOG_INFO;
    test_log.writer = test_writer;

    test_cycle.log = &test_log;
    dr_cycle = &test_cycle;

    test_pool = dr_create_pool(16384, &test_log);
    cr_assert_not_null(test_pool);

    dr_current_msec = 1000000;
    srandom(42);
}


static void
teardown(void)
{
    dr_destroy_pool(test_pool);
}


TestSuite(balancers, .init = setup, .fini = teardown);


/* "10.0.0.<n>:80" */
static void
test_peer(dr_upstream_zpeer_t *zp, int n, dr_int_t w)
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


/* a pool of n peers 1..n (weight 1) with the balancer <init_pool> */
static void
test_pool_of(dr_upstream_conf_t *us, dr_upstream_zpeer_t *p, dr_uint_t n,
    dr_upstream_init_pool_pt init_pool, void *data)
{
    dr_memzero(us, sizeof(dr_upstream_conf_t));

    us->name.data = (u_char *) "backend";
    us->name.len = 7;
    us->balancer_data = data;
    us->zone = dr_upstream_zone_create_local(test_pool, &us->name, p, n);
    cr_assert_not_null(us->zone);
    cr_assert_eq(init_pool(NULL, us), DR_OK);
}


static void
test_pick(dr_upstream_pick_t *pk, dr_peer_connection_t *pc)
{
    dr_memzero(pc, sizeof(dr_peer_connection_t));
    dr_memzero(pk, sizeof(dr_upstream_pick_t));

    pk->pc = pc;
    pk->pool = test_pool;
    pk->log = &test_log;
}


static int
test_octet(dr_peer_connection_t *pc)
{
    return (int) (ntohl(((struct sockaddr_in *) pc->sockaddr)
                        ->sin_addr.s_addr) & 0xff);
}


/* the peer a key goes to (and the connection is given back at once) */
static int
test_hash_key(dr_upstream_conf_t *us, const char *key)
{
    int                   n;
    dr_str_t              k;
    dr_upstream_pick_t    pk;
    dr_peer_connection_t  pc;

    test_pick(&pk, &pc);

    k.data = (u_char *) key;
    k.len = strlen(key);

    cr_assert_eq(dr_upstream_hash_init_peer_key(&pk, us, &k), DR_OK);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    n = test_octet(&pc);
    pc.free(&pc, pc.data, 0);

    return n;
}


Test(balancers, least_conn_goes_to_the_idle_peer)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[3];
    dr_upstream_pick_t    pk;
    dr_peer_connection_t  pc[4];
    int                   i, seen[4] = { 0, 0, 0, 0 };

    for (i = 0; i < 3; i++) {
        test_peer(&p[i], i + 1, 1);
    }

    test_pool_of(&us, p, 3, dr_upstream_least_conn_init_pool, NULL);

    /* three long requests: one on each peer */

    for (i = 0; i < 3; i++) {
        test_pick(&pk, &pc[i]);
        cr_assert_eq(us.init_peer(&pk, &us), DR_OK);
        cr_assert_eq(pc[i].get(&pc[i], pc[i].data), DR_OK);
        seen[test_octet(&pc[i])]++;
    }

    cr_assert(seen[1] == 1 && seen[2] == 1 && seen[3] == 1);

    /* the one on peer 2 ends: the next request goes there */

    for (i = 0; i < 3; i++) {
        if (test_octet(&pc[i]) == 2) {
            pc[i].free(&pc[i], pc[i].data, 0);
        }
    }

    test_pick(&pk, &pc[3]);
    cr_assert_eq(us.init_peer(&pk, &us), DR_OK);
    cr_assert_eq(pc[3].get(&pc[3], pc[3].data), DR_OK);
    cr_assert_eq(test_octet(&pc[3]), 2);
}


Test(balancers, least_conn_weighs_connections)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[2];
    dr_upstream_pick_t    pk;
    dr_peer_connection_t  pc[6];
    int                   i, count[3] = { 0, 0, 0 };

    test_peer(&p[0], 1, 2);
    test_peer(&p[1], 2, 1);

    test_pool_of(&us, p, 2, dr_upstream_least_conn_init_pool, NULL);

    /* six held requests: twice as many on the peer of weight 2 */

    for (i = 0; i < 6; i++) {
        test_pick(&pk, &pc[i]);
        cr_assert_eq(us.init_peer(&pk, &us), DR_OK);
        cr_assert_eq(pc[i].get(&pc[i], pc[i].data), DR_OK);
        count[test_octet(&pc[i])]++;
    }

    cr_assert_eq(count[1], 4);
    cr_assert_eq(count[2], 2);
}


Test(balancers, least_conn_backup)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[2];
    dr_upstream_pick_t    pk;
    dr_peer_connection_t  pc;

    test_peer(&p[0], 1, 1);
    p[0].down = 1;
    test_peer(&p[1], 2, 1);
    p[1].backup = 1;

    test_pool_of(&us, p, 2, dr_upstream_least_conn_init_pool, NULL);

    test_pick(&pk, &pc);
    cr_assert_eq(us.init_peer(&pk, &us), DR_OK);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    cr_assert_eq(test_octet(&pc), 2);
}


Test(balancers, hash_keeps_a_key_on_its_peer)
{
    dr_upstream_conf_t        us;
    dr_upstream_zpeer_t       p[4];
    dr_upstream_hash_conf_t   hcf;
    char                      key[32];
    int                       i, first, count[5] = { 0, 0, 0, 0, 0 };

    for (i = 0; i < 4; i++) {
        test_peer(&p[i], i + 1, i == 0 ? 3 : 1);
    }

    dr_memzero(&hcf, sizeof(hcf));
    test_pool_of(&us, p, 4, dr_upstream_hash_init_pool, &hcf);

    for (i = 0; i < 6000; i++) {
        snprintf(key, sizeof(key), "/item/%d", i);
        first = test_hash_key(&us, key);
        cr_assert_eq(test_hash_key(&us, key), first);
        count[first]++;
    }

    /* weight 3 of 6: about half of the keys */
    cr_assert(count[1] > 2500 && count[1] < 3500, "peer 1: %d", count[1]);
    cr_assert(count[2] > 600 && count[2] < 1400, "peer 2: %d", count[2]);
}


Test(balancers, hash_rehashes_past_a_down_peer)
{
    dr_upstream_conf_t        us;
    dr_upstream_zpeer_t       p[3];
    dr_upstream_hash_conf_t   hcf;
    char                      key[32];
    int                       i, before[200], n;

    for (i = 0; i < 3; i++) {
        test_peer(&p[i], i + 1, 1);
    }

    dr_memzero(&hcf, sizeof(hcf));
    test_pool_of(&us, p, 3, dr_upstream_hash_init_pool, &hcf);

    for (i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        before[i] = test_hash_key(&us, key);
    }

    dr_upstream_zone_table(us.zone)->peers[1].down = 1;

    for (i = 0; i < 200; i++) {
        snprintf(key, sizeof(key), "k%d", i);
        n = test_hash_key(&us, key);
        cr_assert_neq(n, 2);

        if (before[i] != 2) {
            cr_assert_eq(n, before[i], "key %d moved", i);
        }
    }
}


/* the share of <nkeys> keys whose peer differs between two pools */
static void
test_chash_maps(dr_upstream_conf_t *us, int *map, int nkeys)
{
    char  key[32];
    int   i;

    for (i = 0; i < nkeys; i++) {
        snprintf(key, sizeof(key), "/session/%d", i);
        map[i] = test_hash_key(us, key);
    }
}


Test(balancers, consistent_hash_moves_about_one_nth)
{
    dr_upstream_conf_t        a, b, c;
    dr_upstream_zpeer_t       p[11];
    dr_upstream_hash_conf_t   ha, hb, hc;
    int                       i, moved, nkeys = 20000;
    int                      *ma, *mb, *mc;

    ma = calloc(nkeys, sizeof(int));
    mb = calloc(nkeys, sizeof(int));
    mc = calloc(nkeys, sizeof(int));
    cr_assert(ma && mb && mc);

    for (i = 0; i < 11; i++) {
        test_peer(&p[i], i + 1, 1);
    }

    dr_memzero(&ha, sizeof(ha));
    dr_memzero(&hb, sizeof(hb));
    dr_memzero(&hc, sizeof(hc));
    ha.consistent = hb.consistent = hc.consistent = 1;

    /* ten peers; the same ten but peer 4; eleven */

    test_pool_of(&a, p, 10, dr_upstream_hash_init_pool, &ha);
    test_chash_maps(&a, ma, nkeys);

    {
        dr_upstream_zpeer_t  q[9];
        int                  j = 0;

        for (i = 0; i < 10; i++) {
            if (i != 3) {
                q[j++] = p[i];
            }
        }

        test_pool_of(&b, q, 9, dr_upstream_hash_init_pool, &hb);
        test_chash_maps(&b, mb, nkeys);
    }

    test_pool_of(&c, p, 11, dr_upstream_hash_init_pool, &hc);
    test_chash_maps(&c, mc, nkeys);

    /* removing peer 4: its keys move, and only those */

    moved = 0;

    for (i = 0; i < nkeys; i++) {
        if (ma[i] != mb[i]) {
            moved++;
            cr_assert_eq(ma[i], 4, "key %d moved off peer %d", i, ma[i]);
        }
    }

    cr_assert(moved > nkeys / 10 * 0.6 && moved < nkeys / 10 * 1.4,
              "removing 1 of 10 moved %d of %d keys", moved, nkeys);

    /* adding an eleventh: about 1/11 move, all of them to it */

    moved = 0;

    for (i = 0; i < nkeys; i++) {
        if (ma[i] != mc[i]) {
            moved++;
            cr_assert_eq(mc[i], 11, "key %d moved to peer %d", i, mc[i]);
        }
    }

    cr_assert(moved > nkeys / 11 * 0.6 && moved < nkeys / 11 * 1.4,
              "adding an 11th moved %d of %d keys", moved, nkeys);

    free(ma);
    free(mb);
    free(mc);

    /* the workers' rings live as long as a worker; not here */
    dr_free(ha.points);
    dr_free(hb.points);
    dr_free(hc.points);
}


Test(balancers, consistent_hash_skips_an_unusable_peer)
{
    dr_upstream_conf_t        us;
    dr_upstream_zpeer_t       p[5];
    dr_upstream_hash_conf_t   hcf;
    int                       i, map[500];
    char                      key[32];

    for (i = 0; i < 5; i++) {
        test_peer(&p[i], i + 1, 1);
    }

    dr_memzero(&hcf, sizeof(hcf));
    hcf.consistent = 1;
    test_pool_of(&us, p, 5, dr_upstream_hash_init_pool, &hcf);

    test_chash_maps(&us, map, 500);

    /* peer 3 is down: its keys go elsewhere, the others stay */

    dr_upstream_zone_table(us.zone)->peers[2].down = 1;

    for (i = 0; i < 500; i++) {
        snprintf(key, sizeof(key), "/session/%d", i);

        if (map[i] == 3) {
            cr_assert_neq(test_hash_key(&us, key), 3);

        } else {
            cr_assert_eq(test_hash_key(&us, key), map[i]);
        }
    }

    dr_free(hcf.points);
}


static int
test_ip_hash(dr_upstream_conf_t *us, const char *ip)
{
    int                   n;
    struct sockaddr_in    sin;
    dr_upstream_pick_t    pk;
    dr_peer_connection_t  pc;

    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    cr_assert_eq(inet_pton(AF_INET, ip, &sin.sin_addr), 1);

    test_pick(&pk, &pc);
    pk.client = (struct sockaddr *) &sin;
    pk.client_len = sizeof(sin);

    cr_assert_eq(us->init_peer(&pk, us), DR_OK);
    cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
    n = test_octet(&pc);
    pc.free(&pc, pc.data, 0);

    return n;
}


Test(balancers, ip_hash_keeps_a_network_on_its_peer)
{
    dr_upstream_conf_t    us;
    dr_upstream_zpeer_t   p[3];
    char                  ip[32];
    int                   i, n, count[4] = { 0, 0, 0, 0 };

    for (i = 0; i < 3; i++) {
        test_peer(&p[i], i + 1, 1);
    }

    test_pool_of(&us, p, 3, dr_upstream_ip_hash_init_pool, NULL);

    n = test_ip_hash(&us, "192.168.7.1");
    cr_assert_eq(test_ip_hash(&us, "192.168.7.200"), n);
    cr_assert_eq(test_ip_hash(&us, "192.168.7.33"), n);

    for (i = 0; i < 255; i++) {
        snprintf(ip, sizeof(ip), "10.%d.%d.9", i, (i * 7) % 256);
        count[test_ip_hash(&us, ip)]++;
    }

    for (i = 1; i <= 3; i++) {
        cr_assert(count[i] > 40, "peer %d got %d networks", i, count[i]);
    }
}


Test(balancers, random_follows_weights)
{
    dr_upstream_conf_t           us;
    dr_upstream_zpeer_t          p[3];
    dr_upstream_random_conf_t    rcf;
    dr_upstream_pick_t           pk;
    dr_peer_connection_t         pc;
    int                          i, count[4] = { 0, 0, 0, 0 };

    test_peer(&p[0], 1, 6);
    test_peer(&p[1], 2, 3);
    test_peer(&p[2], 3, 1);

    dr_memzero(&rcf, sizeof(rcf));
    test_pool_of(&us, p, 3, dr_upstream_random_init_pool, &rcf);

    for (i = 0; i < 10000; i++) {
        test_pick(&pk, &pc);
        cr_assert_eq(us.init_peer(&pk, &us), DR_OK);
        cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
        count[test_octet(&pc)]++;
        pc.free(&pc, pc.data, 0);
    }

    cr_assert(count[1] > 5600 && count[1] < 6400, "peer 1: %d", count[1]);
    cr_assert(count[2] > 2600 && count[2] < 3400, "peer 2: %d", count[2]);
    cr_assert(count[3] > 700 && count[3] < 1300, "peer 3: %d", count[3]);

    dr_free(rcf.ranges);
}


Test(balancers, random_two_takes_the_less_loaded)
{
    dr_upstream_conf_t           us;
    dr_upstream_zpeer_t          p[2];
    dr_upstream_random_conf_t    rcf;
    dr_upstream_pick_t           pk;
    dr_peer_connection_t         pc;
    int                          i;

    test_peer(&p[0], 1, 1);
    test_peer(&p[1], 2, 1);

    dr_memzero(&rcf, sizeof(rcf));
    rcf.two = 1;
    test_pool_of(&us, p, 2, dr_upstream_random_init_pool, &rcf);

    /* peer 1 is busy: with two peers, "two" always sees both */

    dr_upstream_zone_table(us.zone)->peers[0].state->conns = 5;

    for (i = 0; i < 200; i++) {
        test_pick(&pk, &pc);
        cr_assert_eq(us.init_peer(&pk, &us), DR_OK);
        cr_assert_eq(pc.get(&pc, pc.data), DR_OK);
        cr_assert_eq(test_octet(&pc), 2);
        pc.free(&pc, pc.data, 0);
    }

    dr_free(rcf.ranges);
}
