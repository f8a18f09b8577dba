/*
 * The default balancer: nginx's smooth weighted round-robin over the peer
 * tables of dr_upstream_zone.h, with backups, down, max_conns, passive
 * health (max_fails/fail_timeout) and slow_start. Its per-request data and
 * helpers are the base of the other balancers (least_conn, hash, ip_hash,
 * random), which pick differently but track tries and failures the same
 * way.
 */
#ifndef DR_UPSTREAM_ROUND_ROBIN_H_INCLUDED
#define DR_UPSTREAM_ROUND_ROBIN_H_INCLUDED

#include "dr_upstream.h"


/* one request's attempts on one pool */
typedef struct {
    dr_upstream_conf_t        *us;
    dr_upstream_zone_t        *uz;
    dr_pool_t                 *pool;

    /* the peers tried so far: a bitmap over the table of <generation>,
     * and their states, to rebuild the bitmap when the table changes */
    dr_uint_t                  generation;
    uintptr_t                 *tried;
    dr_uint_t                  tried_bits;
    dr_upstream_zstate_t     **tried_states;
    dr_uint_t                  ntried;
    dr_uint_t                  tried_cap;

    /* the current peer (one of its conns is ours until free) */
    dr_upstream_zstate_t      *state;
    dr_int_t                   weight;
    dr_uint_t                  max_fails;
    dr_msec_t                  fail_timeout;
    dr_msec_t                  slow_start;
    unsigned                   single:1;

    dr_sockaddr_t              sockaddr;
    socklen_t                  socklen;
    dr_str_t                   name;
    u_char                     name_data[DR_SOCKADDR_STRLEN + 1];
} dr_upstream_rr_peer_data_t;


/* the balancer hooks */
dr_int_t dr_upstream_rr_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us);
dr_int_t dr_upstream_rr_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
dr_int_t dr_upstream_rr_get(dr_peer_connection_t *pc, void *data);
void dr_upstream_rr_free(dr_peer_connection_t *pc, void *data,
    dr_uint_t state);

/*
 * For the other balancers. dr_upstream_rr_create() is init_peer's work
 * without the hooks (the caller sets its own). dr_upstream_rr_sync()
 * loads the current table and re-maps the tried peers onto it; NULL on
 * no memory. Between lock and unlock (no-ops without a zone) the shared
 * counters may be written.
 */
dr_upstream_rr_peer_data_t *dr_upstream_rr_create(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
dr_upstream_ztable_t *dr_upstream_rr_sync(dr_upstream_rr_peer_data_t *rrp);
/* 1 if peer <i> of the synced table was tried by this request */
dr_uint_t dr_upstream_rr_tried(dr_upstream_rr_peer_data_t *rrp, dr_uint_t i);
/*
 * 1 if <zp> may take a request now: not down or draining, not found down
 * by an active check, not failed max_fails times within fail_timeout
 * (unless <ignore_fails>), below max_conns.
 */
dr_uint_t dr_upstream_rr_usable(dr_upstream_zpeer_t *zp, dr_msec_t now,
    dr_uint_t ignore_fails);
/* <zp>'s weight now: ramped from 1 during slow_start after a recovery */
dr_int_t dr_upstream_rr_weight(dr_upstream_zpeer_t *zp, dr_msec_t now);
/*
 * Smooth weighted round-robin among the usable, untried peers
 * [from, to) of <t>: the index chosen, or -1. Lock held.
 */
dr_int_t dr_upstream_rr_pick(dr_upstream_rr_peer_data_t *rrp,
    dr_upstream_ztable_t *t, dr_uint_t from, dr_uint_t to, dr_msec_t now);
/*
 * Makes peer <i> of <t> the current one: takes a connection slot, marks it
 * tried, fills pc's address. DR_OK or DR_ERROR (no memory: nothing taken).
 */
dr_int_t dr_upstream_rr_take(dr_upstream_rr_peer_data_t *rrp,
    dr_upstream_ztable_t *t, dr_uint_t i, dr_peer_connection_t *pc,
    dr_msec_t now);
void dr_upstream_rr_lock(dr_upstream_zone_t *uz);
void dr_upstream_rr_unlock(dr_upstream_zone_t *uz);

#endif /* DR_UPSTREAM_ROUND_ROBIN_H_INCLUDED */
