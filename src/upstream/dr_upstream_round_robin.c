/*
 * Smooth weighted round-robin (nginx's ngx_http_upstream_round_robin.c),
 * on the peer tables of dr_upstream_zone.h.
 *
 * Each pick adds every candidate's effective weight to its current
 * weight, takes the candidate with the largest current weight and
 * subtracts the total from it: over a cycle each peer is chosen in
 * proportion to its weight, spread out (5,1,1 gives a a b a c a a). A
 * failure lowers the peer's effective weight by weight/max_fails; each
 * pick that considers it raises it by one again. Backups are tried only
 * when no primary can be; a table of one peer ignores max_fails, as
 * nginx's single-peer upstreams do.
 *
 * Runs in workers, once per attempt. With a zone the weights and failure
 * times are shared by all workers and written under the zone's lock;
 * without one they are the worker's own and nothing locks. The request
 * keeps no table pointer between attempts (a table may be reclaimed once
 * the loop turns): it keeps the states of the peers it tried and, for the
 * one it is connected to, a connection slot, which keeps that state alive.
 */

#include "dr_upstream_round_robin.h"


#define DR_UPSTREAM_RR_TRIED_BITS  (8 * sizeof(uintptr_t))


static dr_int_t dr_upstream_rr_grow_tried(dr_upstream_rr_peer_data_t *rrp,
    dr_uint_t nbits);


dr_int_t
dr_upstream_rr_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    us->init_peer = dr_upstream_rr_init_peer;

    return DR_OK;
}


dr_int_t
dr_upstream_rr_init_peer(dr_upstream_pick_t *pk, dr_upstream_conf_t *us)
{
    dr_upstream_rr_peer_data_t  *rrp;

    rrp = dr_upstream_rr_create(pk, us);
    if (rrp == NULL) {
        return DR_ERROR;
    }

    pk->pc->get = dr_upstream_rr_get;
    pk->pc->free = dr_upstream_rr_free;
    pk->pc->data = rrp;

    return DR_OK;
}


dr_upstream_rr_peer_data_t *
dr_upstream_rr_create(dr_upstream_pick_t *pk, dr_upstream_conf_t *us)
{
    dr_upstream_ztable_t        *t;
    dr_upstream_rr_peer_data_t  *rrp;

    rrp = dr_pcalloc(pk->pool, sizeof(dr_upstream_rr_peer_data_t));
    if (rrp == NULL) {
        return NULL;
    }

    rrp->us = us;
    rrp->uz = us->zone;
    rrp->pool = pk->pool;

    t = dr_upstream_zone_table(rrp->uz);

    if (dr_upstream_rr_grow_tried(rrp, t->npeers) != DR_OK) {
        return NULL;
    }

    rrp->generation = t->generation;

    pk->pc->tries = t->npeers;

    return rrp;
}


dr_int_t
dr_upstream_rr_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_rr_peer_data_t  *rrp = data;

    dr_int_t               i;
    dr_msec_t              now;
    dr_upstream_zpeer_t   *zp;
    dr_upstream_ztable_t  *t;

    pc->cached = 0;
    pc->connection = NULL;

    t = dr_upstream_rr_sync(rrp);
    if (t == NULL) {
        return DR_ERROR;
    }

    now = dr_current_msec;

    dr_upstream_rr_lock(rrp->uz);

    if (t->npeers == 1) {
        /*
         * nginx's single peer: tried or not, failed or not; the caller's
         * tries decide (a broken keep-alive connection is retried on it)
         */
        zp = &t->peers[0];

        if (!dr_upstream_rr_usable(zp, now, 1)) {
            goto failed;
        }

        i = 0;

    } else {
        i = dr_upstream_rr_pick(rrp, t, 0, t->nprimary, now);

        if (i < 0 && t->nprimary < t->npeers) {
            i = dr_upstream_rr_pick(rrp, t, t->nprimary, t->npeers, now);
        }

        if (i < 0) {
            goto failed;
        }
    }

    if (dr_upstream_rr_take(rrp, t, (dr_uint_t) i, pc, now) != DR_OK) {
        dr_upstream_rr_unlock(rrp->uz);
        return DR_ERROR;
    }

    dr_upstream_rr_unlock(rrp->uz);

    return DR_OK;

failed:

    dr_upstream_rr_unlock(rrp->uz);

    pc->name = &rrp->us->name;

    return DR_BUSY;
}


void
dr_upstream_rr_free(dr_peer_connection_t *pc, void *data, dr_uint_t state)
{
    dr_upstream_rr_peer_data_t  *rrp = data;

    dr_msec_t              now;
    dr_upstream_zstate_t  *st;

    st = rrp->state;

    if (st == NULL) {
        return;
    }

    rrp->state = NULL;

    if (rrp->single) {
        /* nothing else to try, and nothing to learn: nginx's single peer */
        (void) __atomic_sub_fetch(&st->conns, 1, __ATOMIC_RELEASE);
        pc->tries = 0;
        return;
    }

    now = dr_current_msec;

    dr_upstream_rr_lock(rrp->uz);

    if (state & DR_PEER_FAILED) {
        (void) __atomic_add_fetch(&st->fails, 1, __ATOMIC_RELAXED);
        __atomic_store_n(&st->accessed, now, __ATOMIC_RELAXED);
        __atomic_store_n(&st->checked, now, __ATOMIC_RELAXED);

        if (rrp->max_fails) {
            st->effective_weight -= rrp->weight / (dr_int_t) rrp->max_fails;
        }

        if (st->effective_weight < 0) {
            st->effective_weight = 0;
        }

    } else if (__atomic_load_n(&st->accessed, __ATOMIC_RELAXED)
               < __atomic_load_n(&st->checked, __ATOMIC_RELAXED))
    {
        /* the first success after a failure window: the peer is back */

        if (rrp->max_fails
            && __atomic_load_n(&st->fails, __ATOMIC_RELAXED)
               >= rrp->max_fails
            && rrp->slow_start)
        {
            __atomic_store_n(&st->health_changed, now, __ATOMIC_RELAXED);
        }

        __atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
    }

    /* last: once conns may drop to 0, a retired state may be freed */

    (void) __atomic_sub_fetch(&st->conns, 1, __ATOMIC_RELEASE);

    dr_upstream_rr_unlock(rrp->uz);

    if (pc->tries) {
        pc->tries--;
    }
}


dr_upstream_ztable_t *
dr_upstream_rr_sync(dr_upstream_rr_peer_data_t *rrp)
{
    dr_uint_t              i, j, n;
    dr_upstream_ztable_t  *t;

    t = dr_upstream_zone_table(rrp->uz);

    if (t->generation == rrp->generation) {
        return t;
    }

    if (t->npeers > rrp->tried_bits) {
        if (dr_upstream_rr_grow_tried(rrp, t->npeers) != DR_OK) {
            return NULL;
        }

    } else {
        n = (rrp->tried_bits + DR_UPSTREAM_RR_TRIED_BITS - 1)
            / DR_UPSTREAM_RR_TRIED_BITS;
        dr_memzero(rrp->tried, n * sizeof(uintptr_t));
    }

    for (i = 0; i < t->npeers; i++) {
        for (j = 0; j < rrp->ntried; j++) {
            if (t->peers[i].state == rrp->tried_states[j]) {
                rrp->tried[i / DR_UPSTREAM_RR_TRIED_BITS]
                    |= (uintptr_t) 1 << (i % DR_UPSTREAM_RR_TRIED_BITS);
                break;
            }
        }
    }

    rrp->generation = t->generation;

    return t;
}


dr_uint_t
dr_upstream_rr_tried(dr_upstream_rr_peer_data_t *rrp, dr_uint_t i)
{
    return (rrp->tried[i / DR_UPSTREAM_RR_TRIED_BITS]
            >> (i % DR_UPSTREAM_RR_TRIED_BITS)) & 1;
}


dr_uint_t
dr_upstream_rr_usable(dr_upstream_zpeer_t *zp, dr_msec_t now,
    dr_uint_t ignore_fails)
{
    dr_upstream_zstate_t  *st = zp->state;

    if (zp->down || zp->drain) {
        return 0;
    }

    if (__atomic_load_n(&st->health, __ATOMIC_RELAXED)
        == DR_UPSTREAM_HEALTH_DOWN)
    {
        return 0;
    }

    if (!ignore_fails
        && zp->max_fails
        && __atomic_load_n(&st->fails, __ATOMIC_RELAXED) >= zp->max_fails
        && now - __atomic_load_n(&st->checked, __ATOMIC_RELAXED)
           <= zp->fail_timeout)
    {
        return 0;
    }

    if (zp->max_conns
        && __atomic_load_n(&st->conns, __ATOMIC_RELAXED) >= zp->max_conns)
    {
        return 0;
    }

    return 1;
}


dr_int_t
dr_upstream_rr_weight(dr_upstream_zpeer_t *zp, dr_msec_t now)
{
    dr_int_t   w;
    dr_msec_t  since, changed;

    if (zp->slow_start == 0) {
        return zp->weight;
    }

    changed = __atomic_load_n(&zp->state->health_changed, __ATOMIC_RELAXED);

    if (changed == 0 || now < changed) {
        return zp->weight;
    }

    since = now - changed;

    if (since >= zp->slow_start) {
        return zp->weight;
    }

    w = (dr_int_t) ((dr_msec_t) zp->weight * since / zp->slow_start);

    return w < 1 ? 1 : w;
}


dr_int_t
dr_upstream_rr_pick(dr_upstream_rr_peer_data_t *rrp, dr_upstream_ztable_t *t,
    dr_uint_t from, dr_uint_t to, dr_msec_t now)
{
    dr_int_t               best, total, w;
    dr_uint_t              i;
    dr_upstream_zpeer_t   *zp;
    dr_upstream_zstate_t  *st, *bst;

    best = -1;
    bst = NULL;
    total = 0;

    for (i = from; i < to; i++) {
        zp = &t->peers[i];
        st = zp->state;

        if (dr_upstream_rr_tried(rrp, i)
            || !dr_upstream_rr_usable(zp, now, 0))
        {
            continue;
        }

        w = dr_upstream_rr_weight(zp, now);

        if (st->effective_weight > w) {
            st->effective_weight = w;
        }

        st->current_weight += st->effective_weight;
        total += st->effective_weight;

        if (st->effective_weight < w) {
            st->effective_weight++;
        }

        if (bst == NULL || st->current_weight > bst->current_weight) {
            best = (dr_int_t) i;
            bst = st;
        }
    }

    if (bst) {
        bst->current_weight -= total;
    }

    return best;
}


dr_int_t
dr_upstream_rr_take(dr_upstream_rr_peer_data_t *rrp, dr_upstream_ztable_t *t,
    dr_uint_t i, dr_peer_connection_t *pc, dr_msec_t now)
{
    dr_upstream_zpeer_t    *zp;
    dr_upstream_zstate_t   *st, **ts;

    zp = &t->peers[i];
    st = zp->state;

    if (rrp->ntried == rrp->tried_cap) {
        ts = dr_palloc(rrp->pool, 2 * (rrp->tried_cap + 4) * sizeof(void *));
        if (ts == NULL) {
            return DR_ERROR;
        }

        if (rrp->ntried) {
            dr_memcpy(ts, rrp->tried_states, rrp->ntried * sizeof(void *));
        }

        rrp->tried_states = ts;
        rrp->tried_cap = 2 * (rrp->tried_cap + 4);
    }

    (void) __atomic_add_fetch(&st->conns, 1, __ATOMIC_ACQ_REL);
    (void) __atomic_add_fetch(&st->requests, 1, __ATOMIC_RELAXED);

    if (now - __atomic_load_n(&st->checked, __ATOMIC_RELAXED)
        > zp->fail_timeout)
    {
        __atomic_store_n(&st->checked, now, __ATOMIC_RELAXED);
    }

    rrp->tried_states[rrp->ntried++] = st;
    rrp->tried[i / DR_UPSTREAM_RR_TRIED_BITS]
        |= (uintptr_t) 1 << (i % DR_UPSTREAM_RR_TRIED_BITS);

    rrp->state = st;
    rrp->weight = zp->weight;
    rrp->max_fails = zp->max_fails;
    rrp->fail_timeout = zp->fail_timeout;
    rrp->slow_start = zp->slow_start;
    rrp->single = (t->npeers == 1);

    dr_memcpy(&rrp->sockaddr, &zp->sockaddr, zp->socklen);
    rrp->socklen = zp->socklen;

    dr_memcpy(rrp->name_data, zp->name, zp->name_len);
    rrp->name.data = rrp->name_data;
    rrp->name.len = zp->name_len;

    pc->sockaddr = &rrp->sockaddr.sockaddr;
    pc->socklen = rrp->socklen;
    pc->name = &rrp->name;

    return DR_OK;
}


void
dr_upstream_rr_lock(dr_upstream_zone_t *uz)
{
    if (uz->lock_sh) {
        dr_shmtx_lock(&uz->lock);
    }
}


void
dr_upstream_rr_unlock(dr_upstream_zone_t *uz)
{
    if (uz->lock_sh) {
        dr_shmtx_unlock(&uz->lock);
    }
}


/* a zeroed bitmap of at least <nbits> bits */
static dr_int_t
dr_upstream_rr_grow_tried(dr_upstream_rr_peer_data_t *rrp, dr_uint_t nbits)
{
    dr_uint_t   n;
    uintptr_t  *tried;

    n = (nbits + DR_UPSTREAM_RR_TRIED_BITS - 1) / DR_UPSTREAM_RR_TRIED_BITS;

    if (n == 0) {
        n = 1;
    }

    tried = dr_pcalloc(rrp->pool, n * sizeof(uintptr_t));
    if (tried == NULL) {
        return DR_ERROR;
    }

    rrp->tried = tried;
    rrp->tried_bits = n * DR_UPSTREAM_RR_TRIED_BITS;

    return DR_OK;
}
