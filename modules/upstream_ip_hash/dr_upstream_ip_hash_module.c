/*
 * `ip_hash` in an upstream{} block (nginx's ip_hash module): the first
 * three octets of an IPv4 client address (all sixteen of IPv6) hash to a
 * point of the weighted line of primaries, so a client keeps its peer; an
 * unusable peer makes it hash again, up to 20 times, then round-robin
 * takes over. Clients on unix sockets all hash alike. Workers, per attempt.
 */

#include "dr_http_upstream.h"
#include "dr_upstream_round_robin.h"


#define DR_UPSTREAM_IP_HASH_TRIES  20


typedef struct {
    dr_upstream_rr_peer_data_t    *rrp;
    dr_uint_t                      hash;
    u_char                         addrlen;
    u_char                         addr[16];
    dr_uint_t                      tries;
} dr_upstream_ip_hash_peer_data_t;


static char *dr_upstream_ip_hash(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static dr_int_t dr_upstream_ip_hash_init_pool(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_ip_hash_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_ip_hash_get(dr_peer_connection_t *pc,
    void *data);
static void dr_upstream_ip_hash_free(dr_peer_connection_t *pc, void *data,
    dr_uint_t state);


static dr_command_t  dr_upstream_ip_hash_commands[] = {

    { dr_string("ip_hash"),
      DR_HTTP_UPS_CONF|DR_CONF_NOARGS,
      dr_upstream_ip_hash,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_upstream_ip_hash_module_ctx = {
    .preconfiguration = NULL,
};


dr_module_t  dr_upstream_ip_hash_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "upstream_ip_hash",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_upstream_ip_hash_module_ctx,
    .commands = dr_upstream_ip_hash_commands,
};


static u_char  dr_upstream_ip_hash_pseudo_addr[3];


static dr_int_t
dr_upstream_ip_hash_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    us->init_peer = dr_upstream_ip_hash_init_peer;

    return DR_OK;
}


static dr_int_t
dr_upstream_ip_hash_init_peer(dr_upstream_pick_t *pk, dr_upstream_conf_t *us)
{
    struct sockaddr_in               *sin;
    struct sockaddr_in6              *sin6;
    dr_upstream_ip_hash_peer_data_t  *iphp;

    iphp = dr_pcalloc(pk->pool, sizeof(dr_upstream_ip_hash_peer_data_t));
    if (iphp == NULL) {
        return DR_ERROR;
    }

    iphp->rrp = dr_upstream_rr_create(pk, us);
    if (iphp->rrp == NULL) {
        return DR_ERROR;
    }

    switch (pk->client ? pk->client->sa_family : AF_UNIX) {

    case AF_INET:
        sin = (struct sockaddr_in *) pk->client;
        dr_memcpy(iphp->addr, &sin->sin_addr.s_addr, 3);
        iphp->addrlen = 3;
        break;

    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) pk->client;
        dr_memcpy(iphp->addr, sin6->sin6_addr.s6_addr, 16);
        iphp->addrlen = 16;
        break;

    default:
        dr_memcpy(iphp->addr, dr_upstream_ip_hash_pseudo_addr, 3);
        iphp->addrlen = 3;
    }

    iphp->hash = 89;

    pk->pc->get = dr_upstream_ip_hash_get;
    pk->pc->free = dr_upstream_ip_hash_free;
    pk->pc->data = iphp;

    return DR_OK;
}


static dr_int_t
dr_upstream_ip_hash_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_ip_hash_peer_data_t  *iphp = data;

    dr_int_t               w;
    dr_uint_t              i, p, hash;
    dr_msec_t              now;
    dr_upstream_ztable_t  *t;

    t = dr_upstream_rr_sync(iphp->rrp);
    if (t == NULL) {
        return DR_ERROR;
    }

    if (iphp->tries > DR_UPSTREAM_IP_HASH_TRIES || t->nprimary < 2) {
        return dr_upstream_rr_get(pc, iphp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = dr_current_msec;

    dr_upstream_rr_lock(iphp->rrp->uz);

    hash = iphp->hash;

    for ( ;; ) {

        for (i = 0; i < iphp->addrlen; i++) {
            hash = (hash * 113 + iphp->addr[i]) % 6271;
        }

        w = (dr_int_t) (hash % (dr_uint_t) t->total_weight);
        p = 0;

        while (w >= t->peers[p].weight) {
            w -= t->peers[p].weight;
            p++;
        }

        if (!dr_upstream_rr_tried(iphp->rrp, p)
            && dr_upstream_rr_usable(&t->peers[p], now, 0))
        {
            break;
        }

        if (++iphp->tries > DR_UPSTREAM_IP_HASH_TRIES) {
            dr_upstream_rr_unlock(iphp->rrp->uz);
            return dr_upstream_rr_get(pc, iphp->rrp);
        }
    }

    iphp->hash = hash;

    if (dr_upstream_rr_take(iphp->rrp, t, p, pc, now) != DR_OK) {
        dr_upstream_rr_unlock(iphp->rrp->uz);
        return DR_ERROR;
    }

    dr_upstream_rr_unlock(iphp->rrp->uz);

    return DR_OK;
}


/* the round-robin data is one level down */
static void
dr_upstream_ip_hash_free(dr_peer_connection_t *pc, void *data, dr_uint_t state)
{
    dr_upstream_ip_hash_peer_data_t  *iphp = data;

    dr_upstream_rr_free(pc, iphp->rrp, state);
}


static char *
dr_upstream_ip_hash(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_upstream_conf_t  *us;

    us = dr_http_conf_upstream_pool(cf);

    if (us->init_pool) {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "load balancing method redefined");
    }

    us->balancer = "ip_hash";
    us->init_pool = dr_upstream_ip_hash_init_pool;

    us->flags = DR_UPSTREAM_CREATE
                |DR_UPSTREAM_WEIGHT
                |DR_UPSTREAM_MAX_CONNS
                |DR_UPSTREAM_MAX_FAILS
                |DR_UPSTREAM_FAIL_TIMEOUT
                |DR_UPSTREAM_DOWN;

    return DR_CONF_OK;
}
