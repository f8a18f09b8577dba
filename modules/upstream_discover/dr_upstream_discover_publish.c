/*
 * Discovery's tables: from what the agent knows of each source's nodes
 * (dr_upstream_discover_agent.c) to the pool's membership in its zone.
 *
 * A change marks the pool dirty and posts its publish event; the event
 * runs at the end of the loop turn and publishes once the reads that the
 * change started have returned (so a burst of watches, or the several
 * events of one multi, make one table), or DR_UPSTREAM_DISCOVER_BATCH ms
 * later if reads keep coming. The first table of a pool waits until each
 * source was read once (at most DR_UPSTREAM_DISCOVER_SYNC_WAIT ms: after
 * that, the sources not read yet keep the zone's discovered peers).
 *
 * A table is the configured peers plus the discovered ones (registration,
 * the source's defaults, overrides, the keeper's drain), one peer per
 * address, sorted by znode name. It is not published when it equals the
 * last one, nor -- for empty_guard -- when it would leave the pool no
 * usable peer while it had some. Each publish logs what came, went and
 * changed, and restarts slow_start for peers back from a drain.
 */

#include "dr_upstream_discover_agent.h"


static dr_uint_t dr_upstream_discover_publish_synced(
    dr_upstream_discover_src_t *src);
static void dr_upstream_discover_publish(
    dr_upstream_discover_pool_t *pool, dr_uint_t all_synced);
static dr_upstream_discover_peer_t *dr_upstream_discover_publish_build(
    dr_upstream_discover_pool_t *pool, dr_uint_t all_synced, dr_uint_t *n);
static void dr_upstream_discover_publish_peer(dr_upstream_discover_node_t *n,
    dr_upstream_discover_peer_t *p);
static dr_uint_t dr_upstream_discover_publish_dedup(
    dr_upstream_discover_peer_t *p, dr_uint_t n);
static dr_uint_t dr_upstream_discover_publish_usable(
    dr_upstream_discover_peer_t *p, dr_uint_t n);
static dr_uint_t dr_upstream_discover_publish_nusable(dr_upstream_zpeer_t *zp,
    dr_uint_t n);
static dr_uint_t dr_upstream_discover_publish_same(dr_upstream_zpeer_t *a,
    dr_upstream_zpeer_t *b);
static dr_int_t dr_upstream_discover_publish_config_matches(
    dr_upstream_discover_pool_t *pool);
static void dr_upstream_discover_publish_changes(
    dr_upstream_discover_pool_t *pool, dr_upstream_zpeer_t *next,
    dr_uint_t n);
static void dr_upstream_discover_publish_log_peer(
    dr_upstream_discover_pool_t *pool, dr_upstream_zpeer_t *zp,
    dr_upstream_zpeer_t *old);
static void dr_upstream_discover_publish_slow_start(
    dr_upstream_discover_pool_t *pool, dr_upstream_zpeer_t *zp, dr_uint_t n);
static int dr_upstream_discover_publish_cmp_peer(const void *a, const void *b);
static int dr_upstream_discover_publish_cmp_zpeer(const void *a, const void *b);
static int dr_upstream_discover_publish_cmp_addr(dr_upstream_zpeer_t *a,
    dr_upstream_zpeer_t *b);


/*
 * Something that a table shows changed: the publish event runs at the
 * end of this loop turn (it waits there for the reads still in flight).
 */
void
dr_upstream_discover_publish_dirty(dr_upstream_discover_pool_t *pool)
{
    if (!pool->dirty) {
        pool->dirty = 1;
        pool->dirty_since = dr_current_msec;
    }

    dr_post_event(&pool->publish, &dr_posted_events);
}


void
dr_upstream_discover_publish_handler(dr_event_t *ev)
{
    dr_upstream_discover_pool_t  *pool = ev->data;

    dr_uint_t  i, inflight, synced;
    dr_msec_t  now, at;

    if (!pool->dirty || dr_exiting || dr_quit || dr_terminate) {
        return;
    }

    now = dr_current_msec;
    inflight = 0;
    synced = 1;

    for (i = 0; i < pool->nsources; i++) {
        inflight += pool->sources[i]->inflight;

        if (!dr_upstream_discover_publish_synced(pool->sources[i])) {
            synced = 0;
        }
    }

    at = 0;

    if (!pool->synced && !synced) {

        /* the first table waits for every source's first reading */

        if (now - pool->started < DR_UPSTREAM_DISCOVER_SYNC_WAIT) {
            at = pool->started + DR_UPSTREAM_DISCOVER_SYNC_WAIT;
        }

    } else if (inflight
               && now - pool->dirty_since < DR_UPSTREAM_DISCOVER_BATCH)
    {
        at = pool->dirty_since + DR_UPSTREAM_DISCOVER_BATCH;
    }

    if (at) {
        if (!pool->batch.timer_set) {
            dr_add_timer(&pool->batch, at - now);
        }

        return;
    }

    if (pool->batch.timer_set) {
        dr_del_timer(&pool->batch);
    }

    pool->dirty = 0;

    dr_upstream_discover_publish(pool, synced);
}


void
dr_upstream_discover_publish_timer(dr_event_t *ev)
{
    dr_upstream_discover_pool_t  *pool = ev->data;

    if (ev == &pool->guard || pool->dirty) {
        dr_upstream_discover_publish_dirty(pool);
    }
}


/* read once: the children, their data, the overrides, the keeper's list */


static dr_uint_t
dr_upstream_discover_publish_synced(dr_upstream_discover_src_t *src)
{
    dr_uint_t  i;

    if (!src->listed || src->ens->vnode == DR_UPSTREAM_DISCOVER_VNODE_UNKNOWN
        || (src->conf->overrides.len && !src->ov_done))
    {
        return 0;
    }

    for (i = 0; i < src->nnodes; i++) {
        if (src->nodes[i]->state == DR_UPSTREAM_DISCOVER_PENDING) {
            return 0;
        }
    }

    return 1;
}


/*
 * Builds the discovered peers and publishes them with the configured
 * ones, unless nothing changed or the empty guard holds the change.
 */
static void
dr_upstream_discover_publish(dr_upstream_discover_pool_t *pool,
    dr_uint_t all_synced)
{
    dr_int_t                      rc;
    dr_uint_t                     i, n, usable, before;
    dr_msec_t                     now;
    dr_upstream_zpeer_t          *zp, *peers;
    dr_upstream_conf_t           *us;
    dr_upstream_discover_peer_t  *built;

    us = pool->us;
    now = dr_current_msec;

    built = dr_upstream_discover_publish_build(pool, all_synced, &n);
    if (built == NULL) {
        goto retry;
    }

    usable = dr_upstream_discover_publish_usable(built, n);
    before = dr_upstream_discover_publish_nusable(pool->published,
                                                pool->npublished);

    /* a `server` that is not down keeps the pool from being empty */

    for (i = 0; i < us->nconfig_peers; i++) {
        if (!us->config_peers[i].down) {
            before = 0;
            break;
        }
    }

    if (pool->dcf->empty_guard && before && !usable) {

        if (!pool->guarding) {
            pool->guarding = 1;
            pool->guard_until = now + pool->dcf->empty_guard;

            dr_log_error(DR_LOG_WARN, pool->log, 0,
                         "upstream \"%V\": discovery would leave no usable "
                         "peer of %ui, keeping them for %M ms "
                         "(empty_guard) unless that persists",
                         &us->name, before, pool->dcf->empty_guard);

            if (pool->guard.timer_set) {
                dr_del_timer(&pool->guard);
            }

            dr_add_timer(&pool->guard, pool->dcf->empty_guard);
        }

        if (now < pool->guard_until) {
            dr_free(built);
            return;
        }

        dr_log_error(DR_LOG_WARN, pool->log, 0,
                     "upstream \"%V\": no usable discovered peer for %M ms, "
                     "applying it (empty_guard)", &us->name,
                     pool->dcf->empty_guard);

        pool->guarding = 0;

    } else if (pool->guarding) {
        pool->guarding = 0;

        if (pool->guard.timer_set) {
            dr_del_timer(&pool->guard);
        }

        dr_log_error(DR_LOG_NOTICE, pool->log, 0,
                     "upstream \"%V\": discovered peers are back within "
                     "empty_guard", &us->name);
    }

    /* the discovered peers alone, then the whole table */

    zp = dr_alloc((n + us->nconfig_peers + 1) * sizeof(dr_upstream_zpeer_t),
                  pool->log);
    if (zp == NULL) {
        dr_free(built);
        goto retry;
    }

    peers = zp + us->nconfig_peers;

    for (i = 0; i < n; i++) {
        peers[i] = built[i].zp;
    }

    dr_free(built);

    if (pool->synced && !pool->initial && n == pool->npublished) {
        for (i = 0; i < n; i++) {
            if (!dr_upstream_discover_publish_same(&peers[i],
                                                 &pool->published[i]))
            {
                break;
            }
        }

        if (i == n) {
            dr_free(zp);
            return;                 /* e.g. a data change of no effect */
        }
    }

    if (dr_upstream_discover_publish_config_matches(pool) != DR_OK) {
        dr_free(zp);
        return;
    }

    if (us->nconfig_peers) {
        dr_memcpy(zp, us->config_peers,
                  us->nconfig_peers * sizeof(dr_upstream_zpeer_t));
    }

    rc = dr_upstream_zone_publish(pool->uz, zp, us->nconfig_peers + n,
                                  pool->log);

    if (rc != DR_OK) {
        dr_free(zp);
        goto retry;
    }

    dr_upstream_discover_publish_changes(pool, peers, n);
    dr_upstream_discover_publish_slow_start(pool, peers, n);

    /* published: the discovered part, kept (moved to the front) */

    dr_memmove(zp, peers, n * sizeof(dr_upstream_zpeer_t));

    dr_free(pool->published);
    pool->published = zp;
    pool->npublished = n;
    pool->synced = 1;
    pool->initial = 0;

    return;

retry:

    /* no memory (logged): the same again in a second */

    pool->dirty = 1;

    if (!pool->batch.timer_set) {
        dr_add_timer(&pool->batch, 1000);
    }
}


/*
 * The discovered peers now, sorted by znode name then address. Until
 * every source was read once, the zone's discovered peers that no read
 * source claims are kept (they belong to the others).
 */
static dr_upstream_discover_peer_t *
dr_upstream_discover_publish_build(dr_upstream_discover_pool_t *pool,
    dr_uint_t all_synced, dr_uint_t *n)
{
    dr_uint_t                     i, j, k, m, total, start;
    dr_upstream_discover_src_t   *src;
    dr_upstream_discover_peer_t  *out, *p;

    total = pool->initial ? pool->npublished : 0;

    for (i = 0; i < pool->nsources; i++) {
        total += pool->sources[i]->nnodes;
    }

    out = dr_alloc((total ? total : 1) * sizeof(dr_upstream_discover_peer_t),
                   pool->log);
    if (out == NULL) {
        return NULL;
    }

    m = 0;

    for (i = 0; i < pool->nsources; i++) {
        src = pool->sources[i];

        if (!all_synced && !dr_upstream_discover_publish_synced(src)) {
            continue;
        }

        start = m;

        for (j = 0; j < src->nnodes; j++) {
            if (src->nodes[j]->state == DR_UPSTREAM_DISCOVER_VALID) {
                dr_upstream_discover_publish_peer(src->nodes[j], &out[m++]);
            }
        }

        m = start + dr_upstream_discover_publish_dedup(&out[start], m - start);
    }

    if (!all_synced && pool->initial) {
        k = m;

        for (i = 0; i < pool->npublished; i++) {
            for (j = 0; j < k; j++) {
                if (dr_upstream_discover_publish_cmp_addr(&out[j].zp,
                                                  &pool->published[i]) == 0)
                {
                    break;
                }
            }

            if (j == k) {
                p = &out[m++];
                dr_memzero(p, sizeof(dr_upstream_discover_peer_t));
                p->zp = pool->published[i];
            }
        }
    }

    qsort(out, m, sizeof(dr_upstream_discover_peer_t),
          dr_upstream_discover_publish_cmp_peer);

    *n = m;

    return out;
}


/* a node's instance as a peer, with the source's defaults and overrides */


static void
dr_upstream_discover_publish_peer(dr_upstream_discover_node_t *n,
    dr_upstream_discover_peer_t *p)
{
    dr_upstream_zpeer_t                 *zp;
    dr_upstream_discover_src_t          *src;
    dr_upstream_discover_instance_t     *inst;
    dr_upstream_discover_override_t     *ov;
    dr_upstream_discover_source_conf_t  *scf;

    src = n->src;
    scf = src->conf;
    inst = &n->inst;
    zp = &p->zp;

    dr_memzero(p, sizeof(dr_upstream_discover_peer_t));

    p->czxid = n->czxid;
    p->owner = n->owner;

    dr_memcpy(&zp->sockaddr, &inst->sockaddr, inst->socklen);
    zp->socklen = inst->socklen;
    zp->name_len = dr_sock_ntop(&zp->sockaddr.sockaddr, zp->socklen,
                                zp->name, DR_SOCKADDR_STRLEN, 1);

    zp->weight = (inst->weight >= 0) ? inst->weight : scf->weight;
    zp->max_conns = (inst->max_conns >= 0) ? (dr_uint_t) inst->max_conns
                                           : scf->max_conns;
    zp->backup = (inst->backup >= 0) ? (inst->backup != 0) : scf->backup;
    zp->down = !inst->enabled;
    zp->max_fails = scf->max_fails;
    zp->fail_timeout = scf->fail_timeout;
    zp->slow_start = scf->slow_start;
    zp->source = DR_UPSTREAM_SOURCE_DISCOVERED;

    zp->drain = dr_upstream_discover_agent_disconnected(src->ens, n->owner);

    zp->id_len = dr_min(n->name.len, sizeof(zp->id) - 1);
    dr_memcpy(zp->id, n->name.data, zp->id_len);

    /* an override names the znode, or the address */

    ov = dr_upstream_discover_agent_ov_find(src, n->name.data, n->name.len);
    if (ov == NULL) {
        ov = dr_upstream_discover_agent_ov_find(src, zp->name, zp->name_len);
    }

    if (ov) {
        if (ov->weight >= 0) {
            zp->weight = ov->weight;
        }

        if (ov->down >= 0) {
            zp->down = (ov->down != 0);
        }

        if (ov->drain > 0) {
            zp->drain = 1;
        }
    }

    /* weight 0 (Dubbo's, or an override's): no traffic */

    if (zp->weight == 0) {
        zp->weight = 1;
        zp->down = 1;
    }
}


/*
 * Two znodes with one address (a restarted backend whose old session has
 * not expired yet): one peer, the usable one, else the newer.
 */
static dr_uint_t
dr_upstream_discover_publish_dedup(dr_upstream_discover_peer_t *p, dr_uint_t n)
{
    dr_uint_t                     i, j, k;
    dr_upstream_discover_peer_t   tmp;

    k = 0;

    for (i = 0; i < n; i++) {

        for (j = 0; j < k; j++) {
            if (dr_upstream_discover_publish_cmp_addr(&p[j].zp, &p[i].zp) == 0) {
                break;
            }
        }

        if (j == k) {
            if (k != i) {
                p[k] = p[i];
            }
            k++;
            continue;
        }

        /* p[j] and p[i] share the address: keep the better one in j */

        tmp = p[i];

        if ((!(tmp.zp.down || tmp.zp.drain) && (p[j].zp.down || p[j].zp.drain))
            || ((tmp.zp.down || tmp.zp.drain) == (p[j].zp.down || p[j].zp.drain)
                && tmp.czxid > p[j].czxid))
        {
            p[j] = tmp;
        }
    }

    return k;
}


static dr_uint_t
dr_upstream_discover_publish_usable(dr_upstream_discover_peer_t *p, dr_uint_t n)
{
    dr_uint_t  i, usable;

    usable = 0;

    for (i = 0; i < n; i++) {
        if (!p[i].zp.down && !p[i].zp.drain) {
            usable++;
        }
    }

    return usable;
}


static dr_uint_t
dr_upstream_discover_publish_nusable(dr_upstream_zpeer_t *zp, dr_uint_t n)
{
    dr_uint_t  i, usable;

    usable = 0;

    for (i = 0; i < n; i++) {
        if (!zp[i].down && !zp[i].drain) {
            usable++;
        }
    }

    return usable;
}


static dr_uint_t
dr_upstream_discover_publish_same(dr_upstream_zpeer_t *a, dr_upstream_zpeer_t *b)
{
    return a->socklen == b->socklen
           && dr_memcmp(&a->sockaddr, &b->sockaddr, a->socklen) == 0
           && a->weight == b->weight && a->max_conns == b->max_conns
           && a->max_fails == b->max_fails
           && a->fail_timeout == b->fail_timeout
           && a->slow_start == b->slow_start && a->backup == b->backup
           && a->down == b->down && a->drain == b->drain
           && a->id_len == b->id_len
           && dr_memcmp(a->id, b->id, a->id_len) == 0;
}


/*
 * The configured peers of the current table are ours: else the master
 * published a new configuration that this agent does not run (it is
 * being replaced), and publishing would undo it. DR_OK or DR_DECLINED.
 */
static dr_int_t
dr_upstream_discover_publish_config_matches(dr_upstream_discover_pool_t *pool)
{
    dr_int_t               rc;
    dr_uint_t              i, j, n;
    dr_upstream_zpeer_t   *cp, *zp;
    dr_upstream_ztable_t  *t;

    cp = pool->us->config_peers;
    rc = DR_OK;

    dr_shmtx_lock(&pool->uz->lock);

    t = pool->uz->table;
    n = 0;

    for (i = 0; t && i < t->npeers; i++) {
        zp = &t->peers[i];

        if (zp->source != DR_UPSTREAM_SOURCE_CONFIG) {
            continue;
        }

        n++;

        for (j = 0; j < pool->us->nconfig_peers; j++) {
            if (dr_upstream_discover_publish_cmp_addr(zp, &cp[j]) == 0
                && zp->weight == (cp[j].weight < 1 ? 1 : cp[j].weight)
                && zp->backup == cp[j].backup && zp->down == cp[j].down)
            {
                break;
            }
        }

        if (j == pool->us->nconfig_peers) {
            rc = DR_DECLINED;
            break;
        }
    }

    dr_shmtx_unlock(&pool->uz->lock);

    if (rc == DR_OK && n != pool->us->nconfig_peers) {
        rc = DR_DECLINED;
    }

    if (rc != DR_OK) {
        dr_log_error(DR_LOG_NOTICE, pool->log, 0,
                     "upstream \"%V\": the zone runs another configuration, "
                     "leaving it to the new agent", &pool->us->name);
    }

    return rc;
}


/* the log lines of a new table: what came, went and changed */


static void
dr_upstream_discover_publish_changes(dr_upstream_discover_pool_t *pool,
    dr_upstream_zpeer_t *next, dr_uint_t n)
{
    dr_int_t              c;
    dr_uint_t             i, j;
    dr_upstream_zpeer_t  *old;

    old = pool->published;
    i = 0;
    j = 0;

    /* both are sorted by id, then address */

    while (i < n || j < pool->npublished) {

        if (i == n) {
            c = 1;
        } else if (j == pool->npublished) {
            c = -1;
        } else {
            c = dr_upstream_discover_publish_cmp_zpeer(&next[i], &old[j]);
        }

        if (c < 0) {
            dr_upstream_discover_publish_log_peer(pool, &next[i++], NULL);

        } else if (c > 0) {
            dr_log_error(DR_LOG_NOTICE, pool->log, 0,
                         "upstream \"%V\": peer removed %*s (znode %*s)",
                         &pool->us->name, old[j].name_len, old[j].name,
                         old[j].id_len, old[j].id);
            j++;

        } else {
            if (!dr_upstream_discover_publish_same(&next[i], &old[j])) {
                dr_upstream_discover_publish_log_peer(pool, &next[i], &old[j]);
            }

            i++;
            j++;
        }
    }
}


static void
dr_upstream_discover_publish_log_peer(dr_upstream_discover_pool_t *pool,
    dr_upstream_zpeer_t *zp, dr_upstream_zpeer_t *old)
{
    u_char  buf[128], *p, *last;

    p = buf;
    last = buf + sizeof(buf);

    if (old == NULL || old->weight != zp->weight) {
        p = dr_slprintf(p, last, ", weight %i", zp->weight);
    }

    if (zp->backup && (old == NULL || !old->backup)) {
        p = dr_slprintf(p, last, ", backup");
    }

    if (old && old->backup && !zp->backup) {
        p = dr_slprintf(p, last, ", not backup");
    }

    if (zp->down && (old == NULL || !old->down)) {
        p = dr_slprintf(p, last, ", down");
    }

    if (old && old->down && !zp->down) {
        p = dr_slprintf(p, last, ", up");
    }

    if (zp->drain && (old == NULL || !old->drain)) {
        p = dr_slprintf(p, last, ", drained");
    }

    if (old && old->drain && !zp->drain) {
        p = dr_slprintf(p, last, ", back from drain");
    }

    if (old && old->max_conns != zp->max_conns) {
        p = dr_slprintf(p, last, ", max_conns %ui", zp->max_conns);
    }

    if (old == NULL) {
        dr_log_error(DR_LOG_NOTICE, pool->log, 0,
                     "upstream \"%V\": peer added %*s (znode %*s)%*s",
                     &pool->us->name, zp->name_len, zp->name, zp->id_len,
                     zp->id, p - buf, buf);
        return;
    }

    dr_log_error(DR_LOG_NOTICE, pool->log, 0,
                 "upstream \"%V\": peer changed %*s (znode %*s)%*s",
                 &pool->us->name, zp->name_len, zp->name, zp->id_len, zp->id,
                 p - buf, buf);
}


/*
 * Peers back from a drain or down (a session that reconnected, an
 * override lifted) ramp up over slow_start as a recovered peer does.
 * <zp> and the published peers are both sorted (cmp_zpeer).
 */
static void
dr_upstream_discover_publish_slow_start(dr_upstream_discover_pool_t *pool,
    dr_upstream_zpeer_t *zp, dr_uint_t n)
{
    dr_int_t               c;
    dr_uint_t              i, j, k, locked;
    dr_upstream_zpeer_t   *old, *tp;
    dr_upstream_ztable_t  *t;

    old = pool->published;
    locked = 0;
    t = NULL;
    i = 0;
    j = 0;

    while (i < n && j < pool->npublished) {

        c = dr_upstream_discover_publish_cmp_zpeer(&zp[i], &old[j]);

        if (c != 0) {
            if (c < 0) {
                i++;
            } else {
                j++;
            }
            continue;
        }

        if (zp[i].slow_start && !zp[i].down && !zp[i].drain
            && (old[j].down || old[j].drain))
        {
            if (!locked) {
                dr_shmtx_lock(&pool->uz->lock);
                t = pool->uz->table;
                locked = 1;
            }

            for (k = 0; t && k < t->npeers; k++) {
                tp = &t->peers[k];

                if (tp->source == DR_UPSTREAM_SOURCE_DISCOVERED
                    && dr_upstream_discover_publish_cmp_zpeer(tp, &zp[i]) == 0)
                {
                    __atomic_store_n(&tp->state->health_changed,
                                     dr_current_msec, __ATOMIC_RELAXED);
                    break;
                }
            }
        }

        i++;
        j++;
    }

    if (locked) {
        dr_shmtx_unlock(&pool->uz->lock);
    }
}


/*
 * The discovered peers that the zone has when the agent starts (a reload
 * kept them, or an old agent published them): what the empty guard and
 * the sources not yet read compare with.
 */
dr_int_t
dr_upstream_discover_publish_initial(dr_upstream_discover_pool_t *pool)
{
    dr_uint_t              i, n;
    dr_upstream_ztable_t  *t;

    dr_shmtx_lock(&pool->uz->lock);

    t = pool->uz->table;
    n = 0;

    for (i = 0; t && i < t->npeers; i++) {
        if (t->peers[i].source == DR_UPSTREAM_SOURCE_DISCOVERED) {
            n++;
        }
    }

    pool->published = dr_alloc((n ? n : 1) * sizeof(dr_upstream_zpeer_t),
                               pool->log);

    if (pool->published) {
        n = 0;

        for (i = 0; t && i < t->npeers; i++) {
            if (t->peers[i].source == DR_UPSTREAM_SOURCE_DISCOVERED) {
                pool->published[n] = t->peers[i];
                pool->published[n].state = NULL;
                n++;
            }
        }
    }

    dr_shmtx_unlock(&pool->uz->lock);

    if (pool->published == NULL) {
        return DR_ERROR;
    }

    qsort(pool->published, n, sizeof(dr_upstream_zpeer_t),
          dr_upstream_discover_publish_cmp_zpeer);

    pool->npublished = n;
    pool->initial = 1;

    if (n) {
        dr_log_error(DR_LOG_INFO, pool->log, 0,
                     "upstream \"%V\": %ui discovered peers in the zone",
                     &pool->us->name, n);
    }

    return DR_OK;
}


static int
dr_upstream_discover_publish_cmp_peer(const void *a, const void *b)
{
    const dr_upstream_discover_peer_t  *x = a, *y = b;

    return dr_upstream_discover_publish_cmp_zpeer(&x->zp, &y->zp);
}


/* by znode name, then address */


static int
dr_upstream_discover_publish_cmp_zpeer(const void *a, const void *b)
{
    dr_upstream_zpeer_t  *x = (dr_upstream_zpeer_t *) a;
    dr_upstream_zpeer_t  *y = (dr_upstream_zpeer_t *) b;

    dr_int_t  c;

    c = dr_memn2cmp(x->id, y->id, x->id_len, y->id_len);

    if (c) {
        return (int) c;
    }

    return dr_upstream_discover_publish_cmp_addr(x, y);
}


static int
dr_upstream_discover_publish_cmp_addr(dr_upstream_zpeer_t *a,
    dr_upstream_zpeer_t *b)
{
    if (a->socklen != b->socklen) {
        return a->socklen < b->socklen ? -1 : 1;
    }

    return dr_memcmp(&a->sockaddr, &b->sockaddr, a->socklen);
}
