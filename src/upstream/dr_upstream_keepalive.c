/*
 * Idle upstream connections kept for reuse (nginx's keepalive module),
 * per worker and per pool: `keepalive N` bounds how many stay idle.
 *
 * The cache wraps the pool's balancer: get() lets the balancer choose the
 * peer, then hands out an idle connection to that address if there is one
 * (DR_DONE); free() keeps a connection the protocol side says is reusable
 * (DR_PEER_KEEPALIVE), evicting the least recently used one when full.
 * An idle connection is closed when the peer sends anything or closes
 * (its read handler peeks), after keepalive_timeout, once it served
 * keepalive_requests requests or lived keepalive_time, and when its peer
 * leaves the pool's table (dr_upstream_keepalive_sync, from the loop hook).
 * The items are allocated at config time; each worker has its own copy.
 */

#include "dr_upstream.h"


struct dr_upstream_keepalive_s {
    dr_uint_t                  max_cached;
    dr_queue_t                 cache;      /* most recently used first */
    dr_queue_t                 free;
    dr_uint_t                  ncached;
    dr_upstream_init_peer_pt   original_init_peer;
    dr_upstream_conf_t        *us;
};


typedef struct {
    dr_upstream_keepalive_t   *conf;
    dr_queue_t                 queue;
    dr_connection_t           *connection;
    socklen_t                  socklen;
    dr_sockaddr_t              sockaddr;
} dr_upstream_keepalive_item_t;


typedef struct {
    dr_upstream_keepalive_t   *conf;
    void                      *data;
    dr_event_get_peer_pt       original_get_peer;
    dr_event_free_peer_pt      original_free_peer;
} dr_upstream_keepalive_peer_data_t;


static dr_int_t dr_upstream_keepalive_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_keepalive_get(dr_peer_connection_t *pc,
    void *data);
static void dr_upstream_keepalive_free(dr_peer_connection_t *pc,
    void *data, dr_uint_t state);
static void dr_upstream_keepalive_dummy_handler(dr_event_t *ev);
static void dr_upstream_keepalive_close_handler(dr_event_t *ev);
static void dr_upstream_keepalive_close(dr_upstream_keepalive_item_t *item);


dr_int_t
dr_upstream_keepalive_init(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    dr_uint_t                      i;
    dr_upstream_keepalive_t       *kc;
    dr_upstream_keepalive_item_t  *items;

    dr_conf_init_uint_value(us->keepalive_requests, 1000);
    dr_conf_init_msec_value(us->keepalive_timeout, 60000);
    dr_conf_init_msec_value(us->keepalive_time, 3600000);

    kc = dr_pcalloc(cf->pool, sizeof(dr_upstream_keepalive_t));
    if (kc == NULL) {
        return DR_ERROR;
    }

    items = dr_pcalloc(cf->pool, us->keepalive
                                 * sizeof(dr_upstream_keepalive_item_t));
    if (items == NULL) {
        return DR_ERROR;
    }

    kc->max_cached = us->keepalive;
    kc->us = us;
    kc->original_init_peer = us->init_peer;

    dr_queue_init(&kc->cache);
    dr_queue_init(&kc->free);

    for (i = 0; i < us->keepalive; i++) {
        items[i].conf = kc;
        dr_queue_insert_head(&kc->free, &items[i].queue);
    }

    us->keepalive_cache = kc;
    us->init_peer = dr_upstream_keepalive_init_peer;

    return DR_OK;
}


static dr_int_t
dr_upstream_keepalive_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us)
{
    dr_upstream_keepalive_t            *kc = us->keepalive_cache;
    dr_upstream_keepalive_peer_data_t  *kp;

    kp = dr_palloc(pk->pool, sizeof(dr_upstream_keepalive_peer_data_t));
    if (kp == NULL) {
        return DR_ERROR;
    }

    if (kc->original_init_peer(pk, us) != DR_OK) {
        return DR_ERROR;
    }

    kp->conf = kc;
    kp->data = pk->pc->data;
    kp->original_get_peer = pk->pc->get;
    kp->original_free_peer = pk->pc->free;

    pk->pc->data = kp;
    pk->pc->get = dr_upstream_keepalive_get;
    pk->pc->free = dr_upstream_keepalive_free;

    return DR_OK;
}


static dr_int_t
dr_upstream_keepalive_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_keepalive_peer_data_t  *kp = data;

    dr_int_t                       rc;
    dr_queue_t                    *q;
    dr_connection_t               *c;
    dr_upstream_keepalive_item_t  *item;

    rc = kp->original_get_peer(pc, kp->data);

    if (rc != DR_OK) {
        return rc;
    }

    for (q = dr_queue_head(&kp->conf->cache);
         q != dr_queue_sentinel(&kp->conf->cache);
         q = dr_queue_next(q))
    {
        item = dr_queue_data(q, dr_upstream_keepalive_item_t, queue);

        if (dr_cmp_sockaddr(&item->sockaddr.sockaddr, item->socklen,
                            pc->sockaddr, pc->socklen, 1)
            != DR_OK)
        {
            continue;
        }

        dr_queue_remove(q);
        dr_queue_insert_head(&kp->conf->free, q);
        kp->conf->ncached--;

        c = item->connection;
        item->connection = NULL;

        if (c->read->timer_set) {
            dr_del_timer(c->read);
        }

        c->idle = 0;
        c->sent = 0;
        c->data = NULL;
        c->log = pc->log;
        c->read->log = pc->log;
        c->write->log = pc->log;
        c->pool->log = pc->log;

        pc->connection = c;
        pc->cached = 1;

        dr_log_debug(pc->log, "get keepalive peer: using connection %p", c);

        return DR_DONE;
    }

    return DR_OK;
}


static void
dr_upstream_keepalive_free(dr_peer_connection_t *pc, void *data,
    dr_uint_t state)
{
    dr_upstream_keepalive_peer_data_t  *kp = data;

    dr_queue_t                    *q;
    dr_connection_t               *c;
    dr_upstream_keepalive_t       *kc;
    dr_upstream_keepalive_item_t  *item;

    kc = kp->conf;
    c = pc->connection;

    if ((state & DR_PEER_FAILED)
        || !(state & DR_PEER_KEEPALIVE)
        || c == NULL
        || c->read->eof
        || c->read->error
        || c->read->timedout
        || c->write->error
        || c->write->timedout)
    {
        goto invalid;
    }

    if (c->requests >= kc->us->keepalive_requests) {
        goto invalid;
    }

    if (dr_current_msec - c->start_time > kc->us->keepalive_time) {
        goto invalid;
    }

    if (dr_handle_read_event(c->read, 0) != DR_OK) {
        goto invalid;
    }

    if (dr_queue_empty(&kc->free)) {
        /* the least recently used one makes room */
        q = dr_queue_last(&kc->cache);
        item = dr_queue_data(q, dr_upstream_keepalive_item_t, queue);
        dr_upstream_keepalive_close(item);
    }

    q = dr_queue_head(&kc->free);
    dr_queue_remove(q);

    item = dr_queue_data(q, dr_upstream_keepalive_item_t, queue);

    dr_queue_insert_head(&kc->cache, q);
    kc->ncached++;

    item->connection = c;
    pc->connection = NULL;

    c->read->delayed = 0;
    dr_add_timer(c->read, kc->us->keepalive_timeout);

    if (c->write->timer_set) {
        dr_del_timer(c->write);
    }

    c->write->handler = dr_upstream_keepalive_dummy_handler;
    c->read->handler = dr_upstream_keepalive_close_handler;

    c->data = item;
    c->idle = 1;
    c->log = dr_cycle->log;
    c->read->log = dr_cycle->log;
    c->write->log = dr_cycle->log;
    c->pool->log = dr_cycle->log;

    item->socklen = pc->socklen;
    dr_memcpy(&item->sockaddr, pc->sockaddr, pc->socklen);

    if (c->read->ready) {
        dr_upstream_keepalive_close_handler(c->read);
    }

invalid:

    kp->original_free_peer(pc, kp->data, state);
}


void
dr_upstream_keepalive_sync(dr_upstream_conf_t *us)
{
    dr_uint_t                      i, found;
    dr_queue_t                    *q, *next;
    dr_upstream_zpeer_t           *zp;
    dr_upstream_ztable_t          *t;
    dr_upstream_keepalive_item_t  *item;

    t = dr_upstream_zone_table(us->zone);
    us->zone_seen = t->generation;

    if (us->keepalive_cache == NULL) {
        return;
    }

    for (q = dr_queue_head(&us->keepalive_cache->cache);
         q != dr_queue_sentinel(&us->keepalive_cache->cache);
         q = next)
    {
        next = dr_queue_next(q);
        item = dr_queue_data(q, dr_upstream_keepalive_item_t, queue);

        found = 0;

        for (i = 0; i < t->npeers; i++) {
            zp = &t->peers[i];

            if (dr_cmp_sockaddr(&zp->sockaddr.sockaddr, zp->socklen,
                                &item->sockaddr.sockaddr, item->socklen, 1)
                == DR_OK)
            {
                found = 1;
                break;
            }
        }

        if (!found) {
            dr_log_debug(dr_cycle->log, "upstream \"%V\": idle connection "
                         "to a removed peer closed", &us->name);
            dr_upstream_keepalive_close(item);
        }
    }
}


dr_uint_t
dr_upstream_keepalive_count(dr_upstream_conf_t *us)
{
    return us->keepalive_cache ? us->keepalive_cache->ncached : 0;
}


static void
dr_upstream_keepalive_dummy_handler(dr_event_t *ev)
{
    dr_log_debug(ev->log, "keepalive dummy handler");
}


/* an idle connection must stay silent: anything but EAGAIN ends it */
static void
dr_upstream_keepalive_close_handler(dr_event_t *ev)
{
    int                            n;
    char                           buf[1];
    dr_connection_t               *c;
    dr_upstream_keepalive_item_t  *item;

    c = ev->data;
    item = c->data;

    if (c->close || ev->timedout) {
        goto close;
    }

    n = recv(c->fd, buf, 1, MSG_PEEK);

    if (n == -1 && dr_socket_errno == DR_EAGAIN) {
        ev->ready = 0;

        if (dr_handle_read_event(c->read, 0) != DR_OK) {
            goto close;
        }

        return;
    }

close:

    dr_upstream_keepalive_close(item);
}


static void
dr_upstream_keepalive_close(dr_upstream_keepalive_item_t *item)
{
    dr_pool_t        *pool;
    dr_connection_t  *c;

    c = item->connection;
    item->connection = NULL;

    dr_queue_remove(&item->queue);
    dr_queue_insert_head(&item->conf->free, &item->queue);
    item->conf->ncached--;

    pool = c->pool;

    dr_close_connection(c);

    if (pool) {
        dr_destroy_pool(pool);
    }
}
