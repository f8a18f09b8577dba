/*
 * `least_conn` in an upstream{} block (nginx's least_conn module): the
 * peer with the fewest active connections relative to its weight; ties go
 * through the smooth weighted round-robin among the tied peers. Backups
 * are tried when no primary can be.
 *
 * With a zone, the connection counts are the pool's, across all workers;
 * without one each worker counts its own (as nginx). Workers, per attempt;
 * the counts are read without the lock (a stale count only skews one
 * choice), the round-robin weights written under it.
 */

#include "dr_http_upstream.h"
#include "dr_upstream_round_robin.h"


static char *dr_upstream_least_conn(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static dr_int_t dr_upstream_least_conn_init_pool(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_least_conn_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_least_conn_get(dr_peer_connection_t *pc,
    void *data);
static dr_int_t dr_upstream_least_conn_pick(dr_upstream_rr_peer_data_t *rrp,
    dr_upstream_ztable_t *t, dr_uint_t from, dr_uint_t to, dr_msec_t now);


static dr_command_t  dr_upstream_least_conn_commands[] = {

    { dr_string("least_conn"),
      DR_HTTP_UPS_CONF|DR_CONF_NOARGS,
      dr_upstream_least_conn,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_upstream_least_conn_module_ctx = {
    .preconfiguration = NULL,
};


dr_module_t  dr_upstream_least_conn_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "upstream_least_conn",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_upstream_least_conn_module_ctx,
    .commands = dr_upstream_least_conn_commands,
};


static dr_int_t
dr_upstream_least_conn_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    us->init_peer = dr_upstream_least_conn_init_peer;

    return DR_OK;
}


static dr_int_t
dr_upstream_least_conn_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us)
{
    dr_upstream_rr_peer_data_t  *rrp;

    rrp = dr_upstream_rr_create(pk, us);
    if (rrp == NULL) {
        return DR_ERROR;
    }

    pk->pc->get = dr_upstream_least_conn_get;
    pk->pc->free = dr_upstream_rr_free;
    pk->pc->data = rrp;

    return DR_OK;
}


static dr_int_t
dr_upstream_least_conn_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_rr_peer_data_t  *rrp = data;

    dr_int_t               i;
    dr_msec_t              now;
    dr_upstream_ztable_t  *t;

    t = dr_upstream_rr_sync(rrp);
    if (t == NULL) {
        return DR_ERROR;
    }

    if (t->npeers == 1) {
        return dr_upstream_rr_get(pc, data);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = dr_current_msec;

    dr_upstream_rr_lock(rrp->uz);

    i = dr_upstream_least_conn_pick(rrp, t, 0, t->nprimary, now);

    if (i < 0 && t->nprimary < t->npeers) {
        i = dr_upstream_least_conn_pick(rrp, t, t->nprimary, t->npeers, now);
    }

    if (i < 0) {
        dr_upstream_rr_unlock(rrp->uz);
        pc->name = &rrp->us->name;
        return DR_BUSY;
    }

    if (dr_upstream_rr_take(rrp, t, (dr_uint_t) i, pc, now) != DR_OK) {
        dr_upstream_rr_unlock(rrp->uz);
        return DR_ERROR;
    }

    dr_upstream_rr_unlock(rrp->uz);

    return DR_OK;
}


/* conns / weight is compared as conns_a * weight_b against the other */
static dr_int_t
dr_upstream_least_conn_pick(dr_upstream_rr_peer_data_t *rrp,
    dr_upstream_ztable_t *t, dr_uint_t from, dr_uint_t to, dr_msec_t now)
{
    dr_int_t               best, p, w, bw, total;
    dr_uint_t              i, many, conns, bconns;
    dr_upstream_zpeer_t   *zp;
    dr_upstream_zstate_t  *st, *pst;

    best = -1;
    bw = 1;
    bconns = 0;
    many = 0;

    for (i = from; i < to; i++) {
        zp = &t->peers[i];

        if (dr_upstream_rr_tried(rrp, i)
            || !dr_upstream_rr_usable(zp, now, 0))
        {
            continue;
        }

        w = dr_upstream_rr_weight(zp, now);
        conns = __atomic_load_n(&zp->state->conns, __ATOMIC_RELAXED);

        if (best < 0 || conns * bw < bconns * w) {
            best = (dr_int_t) i;
            bw = w;
            bconns = conns;
            many = 0;

        } else if (conns * bw == bconns * w) {
            many = 1;
        }
    }

    if (best < 0 || !many) {
        return best;
    }

    /* several share the least load: round-robin among them */

    p = -1;
    pst = NULL;
    total = 0;

    for (i = (dr_uint_t) best; i < to; i++) {
        zp = &t->peers[i];
        st = zp->state;

        if (dr_upstream_rr_tried(rrp, i)
            || !dr_upstream_rr_usable(zp, now, 0))
        {
            continue;
        }

        w = dr_upstream_rr_weight(zp, now);
        conns = __atomic_load_n(&st->conns, __ATOMIC_RELAXED);

        if (conns * bw != bconns * w) {
            continue;
        }

        if (st->effective_weight > w) {
            st->effective_weight = w;
        }

        st->current_weight += st->effective_weight;
        total += st->effective_weight;

        if (st->effective_weight < w) {
            st->effective_weight++;
        }

        if (pst == NULL || st->current_weight > pst->current_weight) {
            p = (dr_int_t) i;
            pst = st;
        }
    }

    pst->current_weight -= total;

    return p;
}


static char *
dr_upstream_least_conn(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_upstream_conf_t  *us;

    us = dr_http_conf_upstream_pool(cf);

    if (us->init_pool) {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "load balancing method redefined");
    }

    us->balancer = "least_conn";
    us->init_pool = dr_upstream_least_conn_init_pool;

    us->flags = DR_UPSTREAM_CREATE
                |DR_UPSTREAM_WEIGHT
                |DR_UPSTREAM_MAX_CONNS
                |DR_UPSTREAM_MAX_FAILS
                |DR_UPSTREAM_FAIL_TIMEOUT
                |DR_UPSTREAM_DOWN
                |DR_UPSTREAM_BACKUP
                |DR_UPSTREAM_SLOW_START;

    return DR_CONF_OK;
}
