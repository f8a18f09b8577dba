/*
 * `random [two [least_conn]]` in an upstream{} block (nginx's random
 * module): a primary drawn at random with probability proportional to its
 * weight; with "two", two different ones are drawn and the one with fewer
 * active connections per weight wins ("power of two choices"; least_conn
 * is the only method, and the default). An unusable draw is drawn again,
 * up to 20 times, then round-robin takes over.
 *
 * The cumulative weights are derived from the peer table; a worker
 * rebuilds its copy whenever the table's generation changes. Workers, per
 * attempt; random() is seeded per process by the upstream layer.
 */

#include "dr_http_upstream.h"
#include "dr_upstream_round_robin.h"


#define DR_UPSTREAM_RANDOM_TRIES  20


typedef struct {
    dr_uint_t                  two;

    /* this worker's cumulative weights, for the table of <generation> */
    dr_uint_t                  generation;
    dr_int_t                  *ranges;
    dr_uint_t                  nranges;
} dr_upstream_random_conf_t;

typedef struct {
    dr_upstream_rr_peer_data_t    *rrp;
    dr_upstream_random_conf_t     *conf;
    dr_uint_t                      tries;
} dr_upstream_random_peer_data_t;


static char *dr_upstream_random(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static dr_int_t dr_upstream_random_init_pool(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_random_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_random_get(dr_peer_connection_t *pc,
    void *data);
static dr_int_t dr_upstream_random_draw(dr_upstream_random_peer_data_t *rp,
    dr_upstream_ztable_t *t, dr_msec_t now, dr_int_t other);
static dr_int_t dr_upstream_random_ranges(dr_upstream_random_conf_t *rcf,
    dr_upstream_ztable_t *t);
static void dr_upstream_random_free(dr_peer_connection_t *pc, void *data,
    dr_uint_t state);


static dr_command_t  dr_upstream_random_commands[] = {

    { dr_string("random"),
      DR_HTTP_UPS_CONF|DR_CONF_NOARGS|DR_CONF_TAKE12,
      dr_upstream_random,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_upstream_random_module_ctx = {
    .preconfiguration = NULL,
};


dr_module_t  dr_upstream_random_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "upstream_random",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_upstream_random_module_ctx,
    .commands = dr_upstream_random_commands,
};


static dr_int_t
dr_upstream_random_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    us->init_peer = dr_upstream_random_init_peer;

    return DR_OK;
}


static dr_int_t
dr_upstream_random_init_peer(dr_upstream_pick_t *pk, dr_upstream_conf_t *us)
{
    dr_upstream_random_peer_data_t  *rp;

    rp = dr_pcalloc(pk->pool, sizeof(dr_upstream_random_peer_data_t));
    if (rp == NULL) {
        return DR_ERROR;
    }

    rp->rrp = dr_upstream_rr_create(pk, us);
    if (rp->rrp == NULL) {
        return DR_ERROR;
    }

    rp->conf = us->balancer_data;

    pk->pc->get = dr_upstream_random_get;
    pk->pc->free = dr_upstream_random_free;
    pk->pc->data = rp;

    return DR_OK;
}


static dr_int_t
dr_upstream_random_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_random_peer_data_t  *rp = data;

    dr_int_t                    i, j;
    dr_uint_t                   ci, cj;
    dr_msec_t                   now;
    dr_upstream_ztable_t       *t;
    dr_upstream_random_conf_t  *rcf;

    rcf = rp->conf;

    t = dr_upstream_rr_sync(rp->rrp);
    if (t == NULL) {
        return DR_ERROR;
    }

    if (rp->tries > DR_UPSTREAM_RANDOM_TRIES || t->nprimary < 2) {
        return dr_upstream_rr_get(pc, rp->rrp);
    }

    if (rcf->generation != t->generation) {
        if (dr_upstream_random_ranges(rcf, t) != DR_OK) {
            return DR_ERROR;
        }
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = dr_current_msec;

    dr_upstream_rr_lock(rp->rrp->uz);

    i = dr_upstream_random_draw(rp, t, now, -1);

    if (i < 0) {
        dr_upstream_rr_unlock(rp->rrp->uz);
        return dr_upstream_rr_get(pc, rp->rrp);
    }

    if (rcf->two) {
        j = dr_upstream_random_draw(rp, t, now, i);

        if (j >= 0) {
            ci = __atomic_load_n(&t->peers[i].state->conns,
                                 __ATOMIC_RELAXED);
            cj = __atomic_load_n(&t->peers[j].state->conns,
                                 __ATOMIC_RELAXED);

            if (cj * (dr_uint_t) dr_upstream_rr_weight(&t->peers[i], now)
                < ci * (dr_uint_t) dr_upstream_rr_weight(&t->peers[j], now))
            {
                i = j;
            }
        }
    }

    if (dr_upstream_rr_take(rp->rrp, t, (dr_uint_t) i, pc, now) != DR_OK) {
        dr_upstream_rr_unlock(rp->rrp->uz);
        return DR_ERROR;
    }

    dr_upstream_rr_unlock(rp->rrp->uz);

    return DR_OK;
}


/* a usable, untried primary other than <other>, drawn by weight; -1 */
static dr_int_t
dr_upstream_random_draw(dr_upstream_random_peer_data_t *rp,
    dr_upstream_ztable_t *t, dr_msec_t now, dr_int_t other)
{
    dr_int_t                    x;
    dr_uint_t                   i, j, k;
    dr_upstream_random_conf_t  *rcf = rp->conf;

    for ( ;; ) {
        x = (dr_int_t) ((dr_uint_t) random()
                        % (dr_uint_t) rcf->ranges[rcf->nranges - 1]);

        /* the first range above x */

        i = 0;
        j = rcf->nranges;

        while (j - i > 1) {
            k = (i + j) / 2;

            if (x < rcf->ranges[k - 1]) {
                j = k;

            } else {
                i = k;
            }
        }

        if ((dr_int_t) i != other
            && !dr_upstream_rr_tried(rp->rrp, i)
            && dr_upstream_rr_usable(&t->peers[i], now, 0))
        {
            return (dr_int_t) i;
        }

        if (++rp->tries > DR_UPSTREAM_RANDOM_TRIES) {
            return -1;
        }
    }
}


static dr_int_t
dr_upstream_random_ranges(dr_upstream_random_conf_t *rcf,
    dr_upstream_ztable_t *t)
{
    dr_int_t   *ranges, total;
    dr_uint_t   i;

    ranges = dr_alloc(t->nprimary * sizeof(dr_int_t), dr_cycle->log);
    if (ranges == NULL) {
        return DR_ERROR;
    }

    total = 0;

    for (i = 0; i < t->nprimary; i++) {
        total += t->peers[i].weight;
        ranges[i] = total;
    }

    if (rcf->ranges) {
        dr_free(rcf->ranges);
    }

    rcf->ranges = ranges;
    rcf->nranges = t->nprimary;
    rcf->generation = t->generation;

    return DR_OK;
}


/* the round-robin data is one level down */
static void
dr_upstream_random_free(dr_peer_connection_t *pc, void *data, dr_uint_t state)
{
    dr_upstream_random_peer_data_t  *rp = data;

    dr_upstream_rr_free(pc, rp->rrp, state);
}


static char *
dr_upstream_random(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_str_t                   *value;
    dr_upstream_conf_t         *us;
    dr_upstream_random_conf_t  *rcf;

    us = dr_http_conf_upstream_pool(cf);
    value = cf->args->elts;

    rcf = dr_pcalloc(cf->pool, sizeof(dr_upstream_random_conf_t));
    if (rcf == NULL) {
        return DR_CONF_ERROR;
    }

    if (cf->args->nelts > 1) {
        if (!dr_str_eq_lit(&value[1], "two")) {
            goto invalid;
        }

        rcf->two = 1;

        if (cf->args->nelts == 3 && !dr_str_eq_lit(&value[2], "least_conn")) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[2]);
            return DR_CONF_ERROR;
        }
    }

    if (us->init_pool) {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "load balancing method redefined");
    }

    us->balancer = "random";
    us->balancer_data = rcf;
    us->init_pool = dr_upstream_random_init_pool;

    us->flags = DR_UPSTREAM_CREATE
                |DR_UPSTREAM_WEIGHT
                |DR_UPSTREAM_MAX_CONNS
                |DR_UPSTREAM_MAX_FAILS
                |DR_UPSTREAM_FAIL_TIMEOUT
                |DR_UPSTREAM_DOWN;

    return DR_CONF_OK;

invalid:

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid parameter \"%V\"", &value[1]);

    return DR_CONF_ERROR;
}
