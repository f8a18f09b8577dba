/*
 * Unit tests of src/keeper/dr_keeper_session.c: ids (never 0, the
 * container marker or a TTL-marked value; restored ids push the counter),
 * random passwords, the hash through growth and removals, deadlines on the
 * tick grid, timeout clamping, and expiry by the tick (the session's
 * ephemerals deleted, its connection closed, the watchers told).
 */

#include "keeper/keeper_test.h"


static dr_keeper_t  *k;


static void
setup(void)
{
    k = kt_keeper();
}


TestSuite(keeper_session, .init = setup);


Test(keeper_session, ids_and_passwords)
{
    dr_keeper_session_t  *a, *b, *c;

    a = dr_keeper_session_create(k, 0, 5000, NULL);
    b = dr_keeper_session_create(k, 0, 5000, NULL);
    cr_assert(a && b);
    cr_assert_neq(a->id, 0);
    cr_assert_eq(b->id, a->id + 1);
    cr_assert_eq((uint64_t) a->id >> 56, 0);
    cr_assert(memcmp(a->passwd, b->passwd, DR_ZK_PASSWD_LEN) != 0);
    cr_assert_eq(dr_keeper_session_find(k, a->id), a);

    /* the markers are skipped */

    k->next_session_id = DR_ZK_EPHEMERAL_CONTAINER;
    c = dr_keeper_session_create(k, 0, 5000, NULL);
    cr_assert_neq(c->id, DR_ZK_EPHEMERAL_CONTAINER);

    k->next_session_id = (int64_t) 0xff00000000000005ULL;
    c = dr_keeper_session_create(k, 0, 5000, NULL);
    cr_assert_neq((uint64_t) c->id >> 56, 0xff);
    cr_assert_neq(c->id, 0);
}


Test(keeper_session, restored_ids_push_the_counter)
{
    u_char                pw[DR_ZK_PASSWD_LEN];
    dr_keeper_session_t  *s, *t;

    memset(pw, 7, sizeof(pw));

    s = dr_keeper_session_create(k, k->next_session_id + 100, 3000, pw);
    cr_assert(s);
    cr_assert(memcmp(s->passwd, pw, sizeof(pw)) == 0);

    t = dr_keeper_session_create(k, 0, 3000, NULL);
    cr_assert_eq(t->id, s->id + 1);
}


Test(keeper_session, hash_grows_and_removes)
{
    int                   i;
    int64_t               ids[3000];
    dr_keeper_session_t  *s;

    for (i = 0; i < 3000; i++) {
        s = dr_keeper_session_create(k, 0, 4000, NULL);
        cr_assert(s);
        ids[i] = s->id;
    }

    cr_assert_eq(k->nsessions, 3000);
    cr_assert_gt(k->sessions_mask, 2048);

    for (i = 0; i < 3000; i += 2) {
        dr_keeper_session_remove(k, dr_keeper_session_find(k, ids[i]));
    }

    for (i = 0; i < 3000; i++) {
        s = dr_keeper_session_find(k, ids[i]);
        cr_assert_eq(s != NULL, i % 2 == 1);
    }

    cr_assert_eq(k->nsessions, 1500);
}


Test(keeper_session, deadlines_on_the_tick_grid)
{
    dr_keeper_session_t  *s;

    dr_current_msec = 1000123;

    s = dr_keeper_session_create(k, 0, 10000, NULL);
    cr_assert_eq((dr_msec_t) s->expiry.key,
                 ((1000123 + 10000) / 2000 + 1) * 2000);

    /* heard from within the same tick: the deadline does not move */

    dr_current_msec += 500;
    dr_keeper_session_touch(k, s);
    cr_assert_eq((dr_msec_t) s->expiry.key, 1012000);

    dr_current_msec += 1500;
    dr_keeper_session_touch(k, s);
    cr_assert_eq((dr_msec_t) s->expiry.key, 1014000);
}


Test(keeper_session, clamp)
{
    cr_assert_eq(dr_keeper_session_clamp(k, 1), 4000);
    cr_assert_eq(dr_keeper_session_clamp(k, -5), 4000);
    cr_assert_eq(dr_keeper_session_clamp(k, 6000), 6000);
    cr_assert_eq(dr_keeper_session_clamp(k, 1 << 30), 40000);
}


Test(keeper_session, body_round_trip)
{
    u_char    body[DR_KEEPER_TXN_SESSION_BODY], pw[16], back[16];
    int32_t   to;
    dr_str_t  s;

    memset(pw, 0xab, sizeof(pw));
    dr_keeper_txn_session_body(body, 30000, pw);

    s.data = body;
    s.len = sizeof(body);
    cr_assert_eq(dr_keeper_txn_session_parse(&s, &to, back), DR_OK);
    cr_assert_eq(to, 30000);
    cr_assert(memcmp(back, pw, 16) == 0);

    s.len--;
    cr_assert_eq(dr_keeper_txn_session_parse(&s, &to, back), DR_ERROR);
}


Test(keeper_session, tick_expires_with_ephemerals_and_watches)
{
    u_char             body[512], out[4096];
    size_t             n, len, off, flen;
    u_char            *f;
    int64_t            id;
    dr_keeper_conn_t  *owner, *watcher;

    dr_current_msec = 5000000;

    owner = kt_session_conn(k, "127.0.0.1", 6000);
    watcher = kt_session_conn(k, "127.0.0.1", 6001);
    id = owner->session->id;

    len = kt_create_body(body, "/mine", "", DR_ZK_CREATE_EPHEMERAL);
    cr_assert_eq(kt_request(owner, 1, DR_ZK_OPCODE_CREATE, body, len), DR_OK);
    kt_output(owner, out, sizeof(out));

    /* the watcher arms an exists watch on the ephemeral */

    len = (size_t) (kt_ustring(body, "/mine") - body);
    body[len++] = 1;
    cr_assert_eq(kt_request(watcher, 2, DR_ZK_OPCODE_EXISTS, body, len),
                 DR_OK);
    kt_output(watcher, out, sizeof(out));

    k->tick_event.data = k;
    k->tick_event.log = &kt_log;

    /* the watcher keeps pinging, the owner is silent */

    dr_current_msec += 9000;
    dr_keeper_session_touch(k, watcher->session);
    dr_keeper_session_tick(&k->tick_event);
    cr_assert(dr_keeper_session_find(k, id) != NULL);

    dr_current_msec += 4000;
    dr_keeper_session_touch(k, watcher->session);
    dr_keeper_session_tick(&k->tick_event);

    cr_assert_null(dr_keeper_session_find(k, id));
    cr_assert_eq(k->tree->nephemerals, 0);
    cr_assert_eq(k->nconns, 1);             /* the owner's connection */

    n = kt_output(watcher, out, sizeof(out));
    off = 0;
    f = kt_frame(out, n, &off, &flen);
    cr_assert_eq((int32_t) dr_keeper_get32(f), DR_ZK_XID_NOTIFICATION);
    cr_assert_eq((int32_t) dr_keeper_get32(f + 16), DR_ZK_EVENT_NODE_DELETED);
    cr_assert(memcmp(f + 28, "/mine", 5) == 0);
    cr_assert_eq(off, n);

    cr_assert(k->tick_event.timer_set);
}
