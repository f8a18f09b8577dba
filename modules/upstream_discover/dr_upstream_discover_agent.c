/*
 * Discovery in the agent process: ZooKeeper watches in, peer tables out.
 *
 * One ZooKeeper client (src/zk) per distinct ensemble (hosts + auth), on
 * the agent's event loop. For each discover line (a source) the agent
 * keeps a children watch on the path and a data watch on every child
 * (Dubbo children are read once: their name is their data), plus a data
 * watch on the source's override document. What the replies say lands in
 * the source's nodes, sorted by name; a change marks the pool dirty and
 * posts its publish event, which runs at the end of the loop turn -- once
 * the reads that the change started have returned (a burst of watches
 * becomes one table), or DR_UPSTREAM_DISCOVER_BATCH ms later if they keep
 * coming. A publish (dr_upstream_discover_publish.c) builds the configured
 * peers + the discovered ones and calls dr_upstream_zone_publish():
 * workers see it at their next pick.
 *
 * Safety: nothing changes while a registry is unreachable (its nodes keep
 * what they said; the state handler logs it); the first table of a pool
 * waits until each of its sources was read once; a publish that would
 * take a pool's discovered peers from some usable to none is held for
 * empty_guard unless it persists.
 *
 * The embedded keeper's fast path: its virtual znode
 * DR_UPSTREAM_DISCOVER_VNODE lists the sessions that are alive but lost
 * their connection; the agent watches it (ZooKeeper has no such node:
 * NoNode, and the agent stops asking for that session) and drains the
 * instances those sessions own until they reconnect (then slow_start
 * starts over) or expire (their znodes go).
 *
 * Memory: everything here is malloc'ed and lives as long as the agent,
 * but nodes, which come and go with their znodes. A node is referenced by
 * its source's array, by each request in flight for it and by its armed
 * watch; a removed node waits in its source's limbo list until the last
 * reference goes. Agent process (or the single process) only.
 */

#include <netdb.h>

#include "dr_upstream_discover_agent.h"


static dr_int_t dr_upstream_discover_agent_ens(dr_cycle_t *cycle,
    dr_upstream_discover_src_t *src);
static void dr_upstream_discover_agent_state(dr_zk_client_t *zc,
    dr_zk_client_state_e state, void *data);
static void dr_upstream_discover_agent_expired(dr_upstream_discover_ens_t *ens);
static void dr_upstream_discover_agent_resync(dr_upstream_discover_src_t *src);
static void dr_upstream_discover_agent_list(dr_upstream_discover_src_t *src);
static void dr_upstream_discover_agent_list_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data);
static void dr_upstream_discover_agent_exist(dr_upstream_discover_src_t *src);
static void dr_upstream_discover_agent_exist_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data);
static void dr_upstream_discover_agent_list_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data);
static void dr_upstream_discover_agent_exist_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data);
static dr_int_t dr_upstream_discover_agent_children(
    dr_upstream_discover_src_t *src, dr_zk_reader_t *body);
static void dr_upstream_discover_agent_remove(dr_upstream_discover_src_t *src,
    dr_upstream_discover_node_t *n);
static dr_upstream_discover_node_t *dr_upstream_discover_agent_node(
    dr_upstream_discover_src_t *src, dr_str_t *name);
static void dr_upstream_discover_agent_unref(dr_upstream_discover_node_t *n);
static void dr_upstream_discover_agent_read(dr_upstream_discover_node_t *n);
static void dr_upstream_discover_agent_read_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data);
static void dr_upstream_discover_agent_read_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data);
static void dr_upstream_discover_agent_parse(dr_upstream_discover_node_t *n,
    dr_str_t *data);
static dr_int_t dr_upstream_discover_agent_resolve(
    dr_upstream_discover_instance_t *inst);
static void dr_upstream_discover_agent_ov(dr_upstream_discover_src_t *src);
static void dr_upstream_discover_agent_ov_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data);
static void dr_upstream_discover_agent_ov_exist(
    dr_upstream_discover_src_t *src);
static void dr_upstream_discover_agent_ov_exist_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data);
static void dr_upstream_discover_agent_ov_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data);
static void dr_upstream_discover_agent_ov_set(dr_upstream_discover_src_t *src,
    dr_str_t *data);
static void dr_upstream_discover_agent_vnode(dr_upstream_discover_ens_t *ens);
static void dr_upstream_discover_agent_vnode_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data);
static void dr_upstream_discover_agent_vnode_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data);
static void dr_upstream_discover_agent_sessions(dr_upstream_discover_ens_t *ens,
    int64_t *ids, dr_uint_t n);
static dr_uint_t dr_upstream_discover_agent_armed(
    dr_upstream_discover_read_t *rd, int32_t err, dr_uint_t exists);
static void dr_upstream_discover_agent_failed(dr_upstream_discover_src_t *src,
    const char *what, int32_t err);
static void dr_upstream_discover_agent_retry(dr_event_t *ev);
static void dr_upstream_discover_agent_ens_dirty(
    dr_upstream_discover_ens_t *ens);
static void dr_upstream_discover_agent_free_pool(
    dr_upstream_discover_pool_t *pool);
static void dr_upstream_discover_agent_loop_hook(dr_cycle_t *cycle,
    void *data);
static int dr_upstream_discover_agent_cmp_name(const void *a, const void *b);
static int dr_upstream_discover_agent_cmp_ov(const void *a, const void *b);


static dr_queue_t  dr_upstream_discover_agent_ensembles;
static dr_queue_t  dr_upstream_discover_agent_pools;
static dr_uint_t   dr_upstream_discover_agent_started;
static dr_log_t   *dr_upstream_discover_agent_log;


dr_int_t
dr_upstream_discover_agent_init(dr_cycle_t *cycle, dr_upstream_conf_t *us,
    void *data)
{
    dr_upstream_discover_conf_t  *dcf = data;

    size_t                               n;
    dr_uint_t                            i;
    dr_upstream_discover_src_t          *src;
    dr_upstream_discover_pool_t         *pool;
    dr_upstream_discover_source_conf_t  *scf;

    if (!dr_upstream_discover_agent_started) {
        dr_queue_init(&dr_upstream_discover_agent_ensembles);
        dr_queue_init(&dr_upstream_discover_agent_pools);
        dr_upstream_discover_agent_log = cycle->log;
        dr_upstream_discover_agent_started = 1;

        if (dr_event_add_loop_hook(cycle,
                                   dr_upstream_discover_agent_loop_hook, NULL)
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    if (us->zone == NULL || us->shm_zone == NULL) {
        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "upstream \"%V\": discovery without a zone", &us->name);
        return DR_ERROR;
    }

    n = dcf->sources.nelts;

    pool = dr_calloc(sizeof(dr_upstream_discover_pool_t)
                     + n * sizeof(dr_upstream_discover_src_t *), cycle->log);
    if (pool == NULL) {
        return DR_ERROR;
    }

    pool->us = us;
    pool->dcf = dcf;
    pool->uz = us->zone;
    pool->log = cycle->log;
    pool->sources = (dr_upstream_discover_src_t **) (pool + 1);
    pool->started = dr_current_msec;

    pool->publish.handler = dr_upstream_discover_publish_handler;
    pool->publish.data = pool;
    pool->publish.log = cycle->log;
    pool->batch.handler = dr_upstream_discover_publish_timer;
    pool->batch.data = pool;
    pool->batch.log = cycle->log;
    pool->batch.cancelable = 1;
    pool->guard.handler = dr_upstream_discover_publish_timer;
    pool->guard.data = pool;
    pool->guard.log = cycle->log;
    pool->guard.cancelable = 1;

    dr_queue_insert_tail(&dr_upstream_discover_agent_pools, &pool->queue);

    if (dr_upstream_discover_publish_initial(pool) != DR_OK) {
        return DR_ERROR;
    }

    scf = dcf->sources.elts;

    for (i = 0; i < n; i++) {
        src = dr_calloc(sizeof(dr_upstream_discover_src_t), cycle->log);
        if (src == NULL) {
            return DR_ERROR;
        }

        pool->sources[pool->nsources++] = src;

        src->conf = &scf[i];
        src->pool = pool;
        dr_queue_init(&src->limbo);

        src->retry.handler = dr_upstream_discover_agent_retry;
        src->retry.data = src;
        src->retry.log = cycle->log;
        src->retry.cancelable = 1;

        switch (scf[i].format) {
        case DR_UPSTREAM_DISCOVER_DUBBO:
            src->dubbo = 1;
            break;
        case DR_UPSTREAM_DISCOVER_DATA:
            break;
        default:
            src->dubbo = (scf[i].path.len >= sizeof("/providers") - 1
                          && dr_memcmp(scf[i].path.data + scf[i].path.len
                                       - (sizeof("/providers") - 1),
                                       "/providers",
                                       sizeof("/providers") - 1) == 0);
        }

        if (dr_upstream_discover_agent_ens(cycle, src) != DR_OK) {
            return DR_ERROR;
        }

        dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                     "upstream \"%V\": discovering %V from ZooKeeper %V%s",
                     &us->name, &scf[i].path, &scf[i].hosts,
                     src->dubbo ? " (Dubbo providers)" : "");

        dr_upstream_discover_agent_resync(src);
    }

    return DR_OK;
}


/* the source's ensemble: an existing client, or a new one started now */


static dr_int_t
dr_upstream_discover_agent_ens(dr_cycle_t *cycle,
    dr_upstream_discover_src_t *src)
{
    dr_queue_t                  *q;
    dr_zk_client_conf_t          zcf;
    dr_upstream_discover_ens_t  *ens;

    for (q = dr_queue_head(&dr_upstream_discover_agent_ensembles);
         q != dr_queue_sentinel(&dr_upstream_discover_agent_ensembles);
         q = dr_queue_next(q))
    {
        ens = dr_queue_data(q, dr_upstream_discover_ens_t, queue);

        if (dr_str_eq(&ens->hosts, &src->conf->hosts)
            && ens->auth.len == src->conf->auth.len
            && (ens->auth.len == 0
                || dr_memcmp(ens->auth.data, src->conf->auth.data,
                             ens->auth.len) == 0))
        {
            src->ens = ens;
            dr_queue_insert_tail(&ens->sources, &src->queue);
            return DR_OK;
        }
    }

    ens = dr_calloc(sizeof(dr_upstream_discover_ens_t)
                    + src->conf->hosts.len + src->conf->auth.len, cycle->log);
    if (ens == NULL) {
        return DR_ERROR;
    }

    ens->hosts.data = (u_char *) (ens + 1);
    ens->hosts.len = src->conf->hosts.len;
    dr_memcpy(ens->hosts.data, src->conf->hosts.data, ens->hosts.len);
    ens->auth.data = ens->hosts.data + ens->hosts.len;
    ens->auth.len = src->conf->auth.len;

    if (ens->auth.len) {
        dr_memcpy(ens->auth.data, src->conf->auth.data, ens->auth.len);
    }

    dr_queue_init(&ens->sources);
    dr_queue_insert_tail(&dr_upstream_discover_agent_ensembles, &ens->queue);

    dr_memzero(&zcf, sizeof(dr_zk_client_conf_t));
    zcf.hosts = ens->hosts;
    zcf.auth = ens->auth;
    zcf.session_timeout = src->conf->session_timeout;
    zcf.state_handler = dr_upstream_discover_agent_state;
    zcf.data = ens;
    zcf.log = cycle->log;

    ens->zc = dr_zk_client_create(&zcf);
    if (ens->zc == NULL) {
        return DR_ERROR;
    }

    src->ens = ens;
    dr_queue_insert_tail(&ens->sources, &src->queue);

    if (dr_zk_client_start(ens->zc) != DR_OK) {
        return DR_ERROR;
    }

    dr_upstream_discover_agent_vnode(ens);

    return DR_OK;
}


static void
dr_upstream_discover_agent_state(dr_zk_client_t *zc,
    dr_zk_client_state_e state, void *data)
{
    dr_upstream_discover_ens_t  *ens = data;

    if (ens->closing) {
        return;
    }

    switch (state) {

    case DR_ZK_CLIENT_CONNECTED:
        if (ens->suspended) {
            dr_log_error(DR_LOG_NOTICE, dr_upstream_discover_agent_log, 0,
                         "discovery: ZooKeeper %V is reachable again "
                         "(session 0x%xL)", &ens->hosts,
                         dr_zk_client_session_id(zc));
            ens->suspended = 0;
        }
        break;

    case DR_ZK_CLIENT_SUSPENDED:
        if (!ens->suspended) {
            dr_log_error(DR_LOG_WARN, dr_upstream_discover_agent_log, 0,
                         "discovery: ZooKeeper %V is unreachable, keeping "
                         "the last membership of its upstreams until it is "
                         "back", &ens->hosts);
            ens->suspended = 1;
        }
        break;

    case DR_ZK_CLIENT_EXPIRED:
        dr_upstream_discover_agent_expired(ens);
        break;

    case DR_ZK_CLIENT_AUTH_FAILED:
        dr_log_error(DR_LOG_ERR, dr_upstream_discover_agent_log, 0,
                     "discovery: ZooKeeper %V refused the credentials of "
                     "\"auth=\": discovery from it stopped, the last "
                     "membership is kept", &ens->hosts);
        break;

    default:
        break;
    }
}


/*
 * The session and its watches are gone, and what changed meanwhile is
 * unknown: everything is read again in the new session. Reads in flight
 * were failed (SESSIONEXPIRED) before this is called.
 */
static void
dr_upstream_discover_agent_expired(dr_upstream_discover_ens_t *ens)
{
    dr_uint_t                     i;
    dr_queue_t                   *q, *lq, *next;
    dr_upstream_discover_src_t   *src;
    dr_upstream_discover_node_t  *n;

    dr_log_error(DR_LOG_WARN, dr_upstream_discover_agent_log, 0,
                 "discovery: ZooKeeper %V expired our session, reading "
                 "everything again", &ens->hosts);

    ens->vnode_read.watch = 0;
    ens->vnode = DR_UPSTREAM_DISCOVER_VNODE_UNKNOWN;

    for (q = dr_queue_head(&ens->sources);
         q != dr_queue_sentinel(&ens->sources);
         q = dr_queue_next(q))
    {
        src = dr_queue_data(q, dr_upstream_discover_src_t, queue);

        src->list.watch = 0;
        src->exist.watch = 0;
        src->ov_read.watch = 0;
        src->ov_exist.watch = 0;

        for (i = 0; i < src->nnodes; i++) {
            n = src->nodes[i];
            n->have_data = 0;

            if (n->read.watch) {
                n->read.watch = 0;
                dr_upstream_discover_agent_unref(n);
            }
        }

        /* removed nodes that waited only for their watch go now */

        for (lq = dr_queue_head(&src->limbo);
             lq != dr_queue_sentinel(&src->limbo);
             lq = next)
        {
            next = dr_queue_next(lq);
            n = dr_queue_data(lq, dr_upstream_discover_node_t, limbo);

            if (n->read.watch) {
                n->read.watch = 0;
                dr_upstream_discover_agent_unref(n);
            }
        }
    }

    dr_upstream_discover_agent_vnode(ens);

    for (q = dr_queue_head(&ens->sources);
         q != dr_queue_sentinel(&ens->sources);
         q = dr_queue_next(q))
    {
        src = dr_queue_data(q, dr_upstream_discover_src_t, queue);
        dr_upstream_discover_agent_resync(src);
    }
}


/* reads again what has neither a watch armed nor a read in flight */


static void
dr_upstream_discover_agent_resync(dr_upstream_discover_src_t *src)
{
    dr_uint_t                     i;
    dr_upstream_discover_node_t  *n;

    if (src->missing) {
        if (!src->exist.watch && !src->exist.reading) {
            dr_upstream_discover_agent_exist(src);
        }

    } else if (!src->list.watch && !src->list.reading) {
        dr_upstream_discover_agent_list(src);
    }

    if (src->conf->overrides.len) {
        if (src->ov_missing) {
            if (!src->ov_exist.watch && !src->ov_exist.reading) {
                dr_upstream_discover_agent_ov_exist(src);
            }

        } else if (!src->ov_read.watch && !src->ov_read.reading) {
            dr_upstream_discover_agent_ov(src);
        }
    }

    for (i = 0; i < src->nnodes; i++) {
        n = src->nodes[i];

        if (!n->read.reading && (src->dubbo ? !n->have_data : !n->read.watch))
        {
            dr_upstream_discover_agent_read(n);
        }
    }

    if (src->ens->vnode == DR_UPSTREAM_DISCOVER_VNODE_UNKNOWN
        && !src->ens->vnode_read.reading)
    {
        dr_upstream_discover_agent_vnode(src->ens);
    }
}


/*
 * Bookkeeping of a read's reply: clears reading, and whether the watch it
 * carried is now armed (ZooKeeper arms getData/getChildren watches on
 * success, exists watches on success and on NoNode). Returns 1 when the
 * reply is to be acted upon, 0 for a lost connection (the read is made
 * again by the caller) or an expired session (everything is read again).
 */
static dr_uint_t
dr_upstream_discover_agent_armed(dr_upstream_discover_read_t *rd, int32_t err,
    dr_uint_t exists)
{
    rd->reading = 0;

    if (rd->carry) {
        rd->carry = 0;

        if (err == DR_ZK_OK || (exists && err == DR_ZK_NONODE)) {
            rd->watch = 1;
        }
    }

    if (err == DR_ZK_CONNECTIONLOSS) {
        rd->again = 1;
        return 0;
    }

    if (err == DR_ZK_SESSIONEXPIRED) {
        rd->again = 0;
        return 0;
    }

    return 1;
}


static void
dr_upstream_discover_agent_list(dr_upstream_discover_src_t *src)
{
    dr_uint_t       carry;
    dr_zk_watch_pt  watcher;

    if (src->ens->closing) {
        return;
    }

    if (src->list.reading) {
        src->list.again = 1;
        return;
    }

    carry = !src->list.watch;
    watcher = carry ? dr_upstream_discover_agent_list_fired : NULL;

    /* before the call: a send that fails calls back from inside it */

    src->list.reading = 1;
    src->list.carry = carry;
    src->list.again = 0;
    src->inflight++;

    if (dr_zk_get_children(src->ens->zc, &src->conf->path, watcher, src,
                           dr_upstream_discover_agent_list_done, src)
        != DR_OK)
    {
        src->list.reading = 0;
        src->list.carry = 0;
        src->inflight--;
        dr_upstream_discover_agent_failed(src, "the children",
                                          DR_ZK_SYSTEMERROR);
    }
}


static void
dr_upstream_discover_agent_list_done(dr_zk_client_t *zc, dr_zk_reply_t *r,
    void *data)
{
    dr_upstream_discover_src_t  *src = data;

    src->inflight--;

    if (dr_upstream_discover_agent_armed(&src->list, r->err, 0)) {

        switch (r->err) {

        case DR_ZK_OK:
            if (dr_upstream_discover_agent_children(src, &r->body) != DR_OK) {
                dr_upstream_discover_agent_failed(src, "the children",
                                                  DR_ZK_MARSHALLINGERROR);
                break;
            }

            src->retry_delay = 0;
            src->listed = 1;
            break;

        case DR_ZK_NONODE:
            dr_log_error(DR_LOG_NOTICE, src->pool->log, 0,
                         "upstream \"%V\": znode %V does not exist (yet), "
                         "waiting for it", &src->pool->us->name,
                         &src->conf->path);

            /* every instance went with it */

            while (src->nnodes) {
                dr_upstream_discover_agent_remove(src,
                                              src->nodes[--src->nnodes]);
            }

            src->missing = 1;
            src->listed = 1;
            src->list.again = 0;

            dr_upstream_discover_publish_dirty(src->pool);
            dr_upstream_discover_agent_exist(src);
            break;

        default:
            dr_upstream_discover_agent_failed(src, "the children", r->err);
            break;
        }
    }

    if (src->list.again && !src->missing) {
        dr_upstream_discover_agent_list(src);
    }

    if (src->pool->dirty) {
        dr_upstream_discover_publish_dirty(src->pool);
    }
}


static void
dr_upstream_discover_agent_list_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data)
{
    dr_upstream_discover_src_t  *src = data;

    src->list.watch = 0;

    /* NodeChildrenChanged, or NodeDeleted: the list tells which */

    dr_upstream_discover_agent_list(src);
}


/* while the path is missing: exists() with a watch for its creation */


static void
dr_upstream_discover_agent_exist(dr_upstream_discover_src_t *src)
{
    dr_uint_t       carry;
    dr_zk_watch_pt  watcher;

    if (src->ens->closing) {
        return;
    }

    if (src->exist.reading) {
        src->exist.again = 1;
        return;
    }

    carry = !src->exist.watch;
    watcher = carry ? dr_upstream_discover_agent_exist_fired : NULL;

    src->exist.reading = 1;
    src->exist.carry = carry;
    src->exist.again = 0;
    src->inflight++;

    if (dr_zk_exists(src->ens->zc, &src->conf->path, watcher, src,
                     dr_upstream_discover_agent_exist_done, src)
        != DR_OK)
    {
        src->exist.reading = 0;
        src->exist.carry = 0;
        src->inflight--;
        dr_upstream_discover_agent_failed(src, "the path", DR_ZK_SYSTEMERROR);
    }
}


static void
dr_upstream_discover_agent_exist_done(dr_zk_client_t *zc, dr_zk_reply_t *r,
    void *data)
{
    dr_upstream_discover_src_t  *src = data;

    src->inflight--;

    if (dr_upstream_discover_agent_armed(&src->exist, r->err, 1)) {

        switch (r->err) {

        case DR_ZK_OK:
            /* created meanwhile: list it (the data watch left is harmless) */
            src->missing = 0;
            src->exist.again = 0;
            dr_upstream_discover_agent_list(src);
            break;

        case DR_ZK_NONODE:
            break;              /* the watch tells when it comes */

        default:
            dr_upstream_discover_agent_failed(src, "the path", r->err);
            break;
        }
    }

    if (src->exist.again && src->missing) {
        dr_upstream_discover_agent_exist(src);
    }

    if (src->pool->dirty) {
        dr_upstream_discover_publish_dirty(src->pool);
    }
}


static void
dr_upstream_discover_agent_exist_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data)
{
    dr_upstream_discover_src_t  *src = data;

    src->exist.watch = 0;

    if (src->missing) {
        src->missing = 0;
    }

    /* created (or its data changed, or deleted again): list says */

    dr_upstream_discover_agent_list(src);
}


/* the reply's children against the nodes: new ones are read, gone go */


static dr_int_t
dr_upstream_discover_agent_children(dr_upstream_discover_src_t *src,
    dr_zk_reader_t *body)
{
    dr_int_t                        c;
    dr_str_t                       *names, name;
    dr_uint_t                       i, j, k, n, removed;
    dr_zk_vec_iter_t                it;
    dr_upstream_discover_node_t   **nodes, *node;
    dr_zk_get_children_response_t   resp;

    if (dr_zk_get_children_response_decode(body, &resp) != DR_OK) {
        return DR_ERROR;
    }

    n = resp.children.nelts > 0 ? (dr_uint_t) resp.children.nelts : 0;

    names = dr_alloc((n ? n : 1) * sizeof(dr_str_t), src->pool->log);
    if (names == NULL) {
        return DR_ERROR;
    }

    nodes = dr_alloc((n ? n : 1) * sizeof(dr_upstream_discover_node_t *),
                     src->pool->log);
    if (nodes == NULL) {
        dr_free(names);
        return DR_ERROR;
    }

    it = dr_zk_vec_iter(&resp.children);
    i = 0;

    while (i < n && dr_zk_vec_next_str(&it, &name) == DR_OK) {
        if (name.data && name.len) {
            names[i++] = name;
        }
    }

    n = i;

    qsort(names, n, sizeof(dr_str_t), dr_upstream_discover_agent_cmp_name);

    /* a merge of two sorted lists */

    i = 0;
    j = 0;
    k = 0;
    removed = 0;

    while (i < n || j < src->nnodes) {

        if (i == n) {
            c = 1;

        } else if (j == src->nnodes) {
            c = -1;

        } else {
            c = dr_memn2cmp(names[i].data, src->nodes[j]->name.data,
                            names[i].len, src->nodes[j]->name.len);
        }

        if (c == 0) {
            nodes[k++] = src->nodes[j++];
            i++;
            continue;
        }

        if (c > 0) {
            dr_upstream_discover_agent_remove(src, src->nodes[j++]);
            removed++;
            continue;
        }

        node = dr_upstream_discover_agent_node(src, &names[i++]);

        if (node) {
            nodes[k++] = node;
        }
    }

    dr_free(names);
    dr_free(src->nodes);

    src->nodes = nodes;
    src->nnodes = k;

    for (i = 0; i < k; i++) {
        if (nodes[i]->state == DR_UPSTREAM_DISCOVER_PENDING
            && !nodes[i]->read.reading)
        {
            dr_upstream_discover_agent_read(nodes[i]);
        }
    }

    if (removed) {
        dr_upstream_discover_publish_dirty(src->pool);
    }

    return DR_OK;
}


/* a node leaves its source's array for the limbo of referenced ones */


static void
dr_upstream_discover_agent_remove(dr_upstream_discover_src_t *src,
    dr_upstream_discover_node_t *n)
{
    n->gone = 1;
    dr_queue_insert_tail(&src->limbo, &n->limbo);
    dr_upstream_discover_agent_unref(n);
}


static dr_upstream_discover_node_t *
dr_upstream_discover_agent_node(dr_upstream_discover_src_t *src,
    dr_str_t *name)
{
    u_char                       *p;
    dr_str_t                     *path;
    dr_upstream_discover_node_t  *n;

    path = &src->conf->path;

    n = dr_calloc(sizeof(dr_upstream_discover_node_t) + path->len + 1
                  + name->len, src->pool->log);
    if (n == NULL) {
        return NULL;    /* logged; read again at the next children change */
    }

    n->src = src;
    n->refs = 1;
    n->state = DR_UPSTREAM_DISCOVER_PENDING;

    p = dr_cpymem(n->path, path->data, path->len);
    *p++ = '/';
    n->name.data = p;
    n->name.len = name->len;
    p = dr_cpymem(p, name->data, name->len);
    n->path_len = p - n->path;

    return n;
}


static void
dr_upstream_discover_agent_unref(dr_upstream_discover_node_t *n)
{
    if (--n->refs) {
        return;
    }

    if (n->gone) {
        dr_queue_remove(&n->limbo);
    }

    dr_free(n);
}


/* getData (with a data watch, but for Dubbo children: read once) */


static void
dr_upstream_discover_agent_read(dr_upstream_discover_node_t *n)
{
    dr_str_t                     path;
    dr_uint_t                    carry;
    dr_zk_watch_pt               watcher;
    dr_upstream_discover_src_t  *src;

    src = n->src;

    if (src->ens->closing || n->gone) {
        return;
    }

    if (n->read.reading) {
        n->read.again = 1;
        return;
    }

    path.data = n->path;
    path.len = n->path_len;

    carry = !n->read.watch && !src->dubbo;
    watcher = carry ? dr_upstream_discover_agent_read_fired : NULL;

    /* one reference for the request, one for the watch it may arm */

    n->refs += carry ? 2 : 1;
    n->read.reading = 1;
    n->read.carry = carry;
    n->read.again = 0;
    src->inflight++;

    if (dr_zk_get_data(src->ens->zc, &path, watcher, n,
                       dr_upstream_discover_agent_read_done, n)
        != DR_OK)
    {
        n->refs -= carry ? 2 : 1;
        n->read.reading = 0;
        n->read.carry = 0;
        src->inflight--;
        dr_upstream_discover_agent_failed(src, "an instance",
                                          DR_ZK_SYSTEMERROR);
    }
}


static void
dr_upstream_discover_agent_read_done(dr_zk_client_t *zc, dr_zk_reply_t *r,
    void *data)
{
    dr_upstream_discover_node_t  *n = data;

    dr_uint_t                     carried;
    dr_upstream_discover_src_t   *src;
    dr_zk_get_data_response_t     resp;

    src = n->src;
    src->inflight--;

    carried = n->read.carry;

    if (dr_upstream_discover_agent_armed(&n->read, r->err, 0)) {

        switch (r->err) {

        case DR_ZK_OK:
            if (dr_zk_get_data_response_decode(&r->body, &resp) != DR_OK) {
                dr_upstream_discover_agent_failed(src, "an instance",
                                                  DR_ZK_MARSHALLINGERROR);
                break;
            }

            n->owner = resp.stat.ephemeral_owner;
            n->czxid = resp.stat.czxid;
            n->have_data = 1;

            if (!n->gone) {
                dr_upstream_discover_agent_parse(n, &resp.data);
                dr_upstream_discover_publish_dirty(src->pool);
            }

            break;

        case DR_ZK_NONODE:
            /* deleted after it was listed: the children watch will tell */

            n->have_data = 1;
            n->read.again = 0;

            if (!n->gone && n->state != DR_UPSTREAM_DISCOVER_MISSING) {
                n->state = DR_UPSTREAM_DISCOVER_MISSING;
                dr_upstream_discover_publish_dirty(src->pool);
            }

            break;

        default:
            dr_upstream_discover_agent_failed(src, "an instance", r->err);
            break;
        }
    }

    if (carried && r->err != DR_ZK_OK) {
        dr_upstream_discover_agent_unref(n);    /* no watch was armed */
    }

    if (n->read.again) {
        dr_upstream_discover_agent_read(n);
    }

    if (src->pool->dirty) {
        dr_upstream_discover_publish_dirty(src->pool);
    }

    dr_upstream_discover_agent_unref(n);
}


static void
dr_upstream_discover_agent_read_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data)
{
    dr_upstream_discover_node_t  *n = data;

    n->read.watch = 0;

    if (!n->gone) {
        if (ev->type == DR_ZK_EVENT_NODE_DELETED) {

            /*
             * The instance goes now, before its parent's event comes; the
             * publish waits for a listing of the parent, whose reply
             * shows every deletion of the same transaction (a multi's
             * events may come in more than one read): one table for all.
             */

            n->state = DR_UPSTREAM_DISCOVER_MISSING;
            dr_upstream_discover_publish_dirty(n->src->pool);
            dr_upstream_discover_agent_list(n->src);

        } else {
            dr_upstream_discover_agent_read(n);
        }
    }

    dr_upstream_discover_agent_unref(n);
}


/* what the node says now: its instance, or why it is skipped */


static void
dr_upstream_discover_agent_parse(dr_upstream_discover_node_t *n,
    dr_str_t *data)
{
    dr_int_t                          rc;
    const char                       *err;
    dr_upstream_discover_src_t       *src;
    dr_upstream_discover_instance_t   inst;

    src = n->src;
    err = NULL;

    if (src->dubbo) {
        rc = dr_upstream_discover_parse_dubbo(n->name.data, n->name.len,
                                              &inst, &err);
    } else {
        rc = dr_upstream_discover_parse_data(data->data, data->len, &inst,
                                             &err);
    }

    if (rc == DR_OK) {
        rc = dr_upstream_discover_parse_addr(&inst);

        if (rc == DR_DECLINED) {
            rc = dr_upstream_discover_agent_resolve(&inst);
            err = "host not found";

        } else if (rc != DR_OK) {
            err = "invalid address";
        }
    }

    if (rc != DR_OK) {

        /* a registration that was good stays as it was: never breaks */

        if (n->state == DR_UPSTREAM_DISCOVER_VALID) {
            dr_log_error(DR_LOG_WARN, src->pool->log, 0,
                         "upstream \"%V\": znode %*s is malformed now (%s), "
                         "keeping its last valid registration",
                         &src->pool->us->name, n->path_len, n->path, err);
            return;
        }

        dr_log_error(DR_LOG_WARN, src->pool->log, 0,
                     "upstream \"%V\": znode %*s skipped: %s",
                     &src->pool->us->name, n->path_len, n->path, err);

        n->state = DR_UPSTREAM_DISCOVER_INVALID;
        return;
    }

    if (!dr_upstream_discover_parse_match(&src->conf->filter, &inst)) {

        if (n->state != DR_UPSTREAM_DISCOVER_FILTERED) {
            dr_log_error(DR_LOG_INFO, src->pool->log, 0,
                         "upstream \"%V\": znode %*s does not match the "
                         "version, group, protocol or tags asked for",
                         &src->pool->us->name, n->path_len, n->path);
        }

        n->state = DR_UPSTREAM_DISCOVER_FILTERED;
        return;
    }

    n->inst = inst;
    n->state = DR_UPSTREAM_DISCOVER_VALID;
}


/*
 * A host name in a registration: the system resolver, blocking (names
 * are rare there, and the lookup happens once per change of the znode).
 */
static dr_int_t
dr_upstream_discover_agent_resolve(dr_upstream_discover_instance_t *inst)
{
    int               rc;
    char              host[sizeof(inst->host) + 1];
    struct addrinfo   hints, *res, *ai, *pick;

    dr_memcpy(host, inst->host, inst->host_len);
    host[inst->host_len] = '\0';

    dr_memzero(&hints, sizeof(struct addrinfo));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(host, NULL, &hints, &res);
    if (rc != 0) {
        return DR_ERROR;
    }

    /* IPv4 first, as the configuration's names */

    pick = NULL;

    for (ai = res; ai; ai = ai->ai_next) {
        if (ai->ai_family == AF_INET) {
            pick = ai;
            break;
        }

        if (pick == NULL && ai->ai_family == AF_INET6) {
            pick = ai;
        }
    }

    if (pick == NULL || pick->ai_addrlen > sizeof(dr_sockaddr_t)) {
        freeaddrinfo(res);
        return DR_ERROR;
    }

    dr_memcpy(&inst->sockaddr, pick->ai_addr, pick->ai_addrlen);
    inst->socklen = pick->ai_addrlen;
    dr_inet_set_port(&inst->sockaddr.sockaddr, inst->port);

    freeaddrinfo(res);

    return DR_OK;
}


/* the override document: getData with a watch */


static void
dr_upstream_discover_agent_ov(dr_upstream_discover_src_t *src)
{
    dr_uint_t       carry;
    dr_zk_watch_pt  watcher;

    if (src->ens->closing) {
        return;
    }

    if (src->ov_read.reading) {
        src->ov_read.again = 1;
        return;
    }

    carry = !src->ov_read.watch;
    watcher = carry ? dr_upstream_discover_agent_ov_fired : NULL;

    src->ov_read.reading = 1;
    src->ov_read.carry = carry;
    src->ov_read.again = 0;
    src->inflight++;

    if (dr_zk_get_data(src->ens->zc, &src->conf->overrides, watcher, src,
                       dr_upstream_discover_agent_ov_done, src)
        != DR_OK)
    {
        src->ov_read.reading = 0;
        src->ov_read.carry = 0;
        src->inflight--;
        dr_upstream_discover_agent_failed(src, "the overrides",
                                          DR_ZK_SYSTEMERROR);
    }
}


static void
dr_upstream_discover_agent_ov_done(dr_zk_client_t *zc, dr_zk_reply_t *r,
    void *data)
{
    dr_upstream_discover_src_t  *src = data;

    dr_str_t                    none;
    dr_zk_get_data_response_t   resp;

    src->inflight--;

    if (dr_upstream_discover_agent_armed(&src->ov_read, r->err, 0)) {

        switch (r->err) {

        case DR_ZK_OK:
            if (dr_zk_get_data_response_decode(&r->body, &resp) != DR_OK) {
                dr_upstream_discover_agent_failed(src, "the overrides",
                                                  DR_ZK_MARSHALLINGERROR);
                break;
            }

            dr_upstream_discover_agent_ov_set(src, &resp.data);
            src->ov_done = 1;
            break;

        case DR_ZK_NONODE:
            dr_str_null(&none);
            dr_upstream_discover_agent_ov_set(src, &none);
            src->ov_done = 1;
            src->ov_missing = 1;
            src->ov_read.again = 0;
            dr_upstream_discover_agent_ov_exist(src);
            break;

        default:
            dr_upstream_discover_agent_failed(src, "the overrides", r->err);
            break;
        }
    }

    if (src->ov_read.again && !src->ov_missing) {
        dr_upstream_discover_agent_ov(src);
    }

    if (src->pool->dirty) {
        dr_upstream_discover_publish_dirty(src->pool);
    }
}


static void
dr_upstream_discover_agent_ov_exist(dr_upstream_discover_src_t *src)
{
    dr_uint_t       carry;
    dr_zk_watch_pt  watcher;

    if (src->ens->closing) {
        return;
    }

    if (src->ov_exist.reading) {
        src->ov_exist.again = 1;
        return;
    }

    carry = !src->ov_exist.watch;
    watcher = carry ? dr_upstream_discover_agent_ov_fired : NULL;

    src->ov_exist.reading = 1;
    src->ov_exist.carry = carry;
    src->ov_exist.again = 0;
    src->inflight++;

    if (dr_zk_exists(src->ens->zc, &src->conf->overrides, watcher, src,
                     dr_upstream_discover_agent_ov_exist_done, src)
        != DR_OK)
    {
        src->ov_exist.reading = 0;
        src->ov_exist.carry = 0;
        src->inflight--;
        dr_upstream_discover_agent_failed(src, "the overrides",
                                          DR_ZK_SYSTEMERROR);
    }
}


static void
dr_upstream_discover_agent_ov_exist_done(dr_zk_client_t *zc,
    dr_zk_reply_t *r, void *data)
{
    dr_upstream_discover_src_t  *src = data;

    src->inflight--;

    if (dr_upstream_discover_agent_armed(&src->ov_exist, r->err, 1)) {

        if (r->err == DR_ZK_OK) {
            src->ov_missing = 0;
            src->ov_exist.again = 0;
            dr_upstream_discover_agent_ov(src);

        } else if (r->err != DR_ZK_NONODE) {
            dr_upstream_discover_agent_failed(src, "the overrides", r->err);
        }
    }

    if (src->ov_exist.again && src->ov_missing) {
        dr_upstream_discover_agent_ov_exist(src);
    }

    if (src->pool->dirty) {
        dr_upstream_discover_publish_dirty(src->pool);
    }
}


/* one handler for both watches of the document: read what is there now */


static void
dr_upstream_discover_agent_ov_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data)
{
    dr_upstream_discover_src_t  *src = data;

    if (src->ov_missing) {
        src->ov_exist.watch = 0;
        src->ov_missing = 0;

    } else {
        src->ov_read.watch = 0;
    }

    dr_upstream_discover_agent_ov(src);
}


/* a new override document: parsed, sorted by key; a bad one is ignored */


static void
dr_upstream_discover_agent_ov_set(dr_upstream_discover_src_t *src,
    dr_str_t *data)
{
    dr_uint_t                         n;
    dr_pool_t                        *p;
    const char                       *err;
    dr_upstream_discover_override_t  *ov;

    if (data->len == 0 && src->nov == 0) {
        return;
    }

    p = dr_create_pool(1024, src->pool->log);
    if (p == NULL) {
        return;
    }

    err = NULL;

    if (dr_upstream_discover_parse_overrides(data->data, data->len, p, &ov,
                                             &n, &err)
        != DR_OK)
    {
        dr_log_error(DR_LOG_WARN, src->pool->log, 0,
                     "upstream \"%V\": overrides in %V ignored: %s",
                     &src->pool->us->name, &src->conf->overrides, err);
        dr_destroy_pool(p);
        return;
    }

    if (n) {
        qsort(ov, n, sizeof(dr_upstream_discover_override_t),
              dr_upstream_discover_agent_cmp_ov);
    }

    if (src->ov_pool) {
        dr_destroy_pool(src->ov_pool);
    }

    src->ov_pool = p;
    src->ov = ov;
    src->nov = n;

    dr_log_error(DR_LOG_NOTICE, src->pool->log, 0,
                 "upstream \"%V\": %ui override%s from %V",
                 &src->pool->us->name, n, n == 1 ? "" : "s",
                 &src->conf->overrides);

    dr_upstream_discover_publish_dirty(src->pool);
}


dr_upstream_discover_override_t *
dr_upstream_discover_agent_ov_find(dr_upstream_discover_src_t *src,
    u_char *key, size_t len)
{
    dr_int_t   c;
    dr_uint_t  lo, hi, mid;

    lo = 0;
    hi = src->nov;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        c = dr_memn2cmp(src->ov[mid].key.data, key, src->ov[mid].key.len,
                        len);

        if (c == 0) {
            return &src->ov[mid];
        }

        if (c < 0) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return NULL;
}


/* the embedded keeper's list of sessions without a connection */


static void
dr_upstream_discover_agent_vnode(dr_upstream_discover_ens_t *ens)
{
    dr_str_t        path;
    dr_uint_t       carry;
    dr_zk_watch_pt  watcher;

    if (ens->closing || ens->vnode == DR_UPSTREAM_DISCOVER_VNODE_ABSENT) {
        return;
    }

    if (ens->vnode_read.reading) {
        ens->vnode_read.again = 1;
        return;
    }

    dr_str_set(&path, DR_UPSTREAM_DISCOVER_VNODE);

    carry = !ens->vnode_read.watch;
    watcher = carry ? dr_upstream_discover_agent_vnode_fired : NULL;

    ens->vnode_read.reading = 1;
    ens->vnode_read.carry = carry;
    ens->vnode_read.again = 0;

    if (dr_zk_get_data(ens->zc, &path, watcher, ens,
                       dr_upstream_discover_agent_vnode_done, ens)
        != DR_OK)
    {
        /* no memory, logged: resync asks again */
        ens->vnode_read.reading = 0;
        ens->vnode_read.carry = 0;
    }
}


static void
dr_upstream_discover_agent_vnode_done(dr_zk_client_t *zc, dr_zk_reply_t *r,
    void *data)
{
    dr_upstream_discover_ens_t  *ens = data;

    int64_t                     *ids;
    dr_int_t                     n;
    dr_zk_get_data_response_t    resp;

    if (dr_upstream_discover_agent_armed(&ens->vnode_read, r->err, 0)) {

        switch (r->err) {

        case DR_ZK_OK:
            if (dr_zk_get_data_response_decode(&r->body, &resp) != DR_OK) {
                break;
            }

            if (ens->vnode != DR_UPSTREAM_DISCOVER_VNODE_PRESENT) {
                dr_log_error(DR_LOG_NOTICE, dr_upstream_discover_agent_log, 0,
                             "discovery: %V is drover's keeper: instances "
                             "whose session loses its connection are "
                             "drained at once", &ens->hosts);
                ens->vnode = DR_UPSTREAM_DISCOVER_VNODE_PRESENT;
                dr_upstream_discover_agent_ens_dirty(ens);
            }

            n = resp.data.len / 3 + 1;

            ids = dr_alloc(n * sizeof(int64_t), dr_upstream_discover_agent_log);
            if (ids == NULL) {
                break;
            }

            n = dr_upstream_discover_parse_sessions(resp.data.data,
                                                    resp.data.len, ids, n);
            if (n < 0) {
                dr_log_error(DR_LOG_WARN, dr_upstream_discover_agent_log, 0,
                             "discovery: malformed %s from %V, ignored",
                             DR_UPSTREAM_DISCOVER_VNODE, &ens->hosts);
                dr_free(ids);
                break;
            }

            dr_upstream_discover_agent_sessions(ens, ids, n);
            break;

        case DR_ZK_NONODE:
            /* a ZooKeeper server: session state is not published there */
            ens->vnode = DR_UPSTREAM_DISCOVER_VNODE_ABSENT;
            ens->vnode_read.again = 0;
            dr_upstream_discover_agent_sessions(ens, NULL, 0);
            dr_upstream_discover_agent_ens_dirty(ens);
            break;

        default:
            ens->vnode = DR_UPSTREAM_DISCOVER_VNODE_ABSENT;
            ens->vnode_read.again = 0;
            dr_upstream_discover_agent_ens_dirty(ens);
            break;
        }
    }

    if (ens->vnode_read.again) {
        dr_upstream_discover_agent_vnode(ens);
    }
}


static void
dr_upstream_discover_agent_vnode_fired(dr_zk_client_t *zc,
    dr_zk_watcher_event_t *ev, void *data)
{
    dr_upstream_discover_ens_t  *ens = data;

    /*
     * NodeDataChanged; or NodeDeleted, which the keeper sends when our
     * SetWatches names the virtual node (it is not in the tree)
     */

    ens->vnode_read.watch = 0;

    dr_upstream_discover_agent_vnode(ens);
}


/* takes <ids> (sorted, malloc'ed; NULL for none) if they differ */


static void
dr_upstream_discover_agent_sessions(dr_upstream_discover_ens_t *ens,
    int64_t *ids, dr_uint_t n)
{
    if (n == ens->ndisconnected
        && (n == 0
            || dr_memcmp(ids, ens->disconnected, n * sizeof(int64_t)) == 0))
    {
        dr_free(ids);
        return;
    }

    dr_free(ens->disconnected);

    ens->disconnected = ids;
    ens->ndisconnected = n;

    dr_upstream_discover_agent_ens_dirty(ens);
}


dr_uint_t
dr_upstream_discover_agent_disconnected(dr_upstream_discover_ens_t *ens,
    int64_t owner)
{
    dr_uint_t  lo, hi, mid;

    if (owner == 0) {
        return 0;
    }

    lo = 0;
    hi = ens->ndisconnected;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (ens->disconnected[mid] == owner) {
            return 1;
        }

        if (ens->disconnected[mid] < owner) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }

    return 0;
}


/* an unexpected answer (NoAuth...): logged, read again after a pause */


static void
dr_upstream_discover_agent_failed(dr_upstream_discover_src_t *src,
    const char *what, int32_t err)
{
    if (src->ens->closing) {
        return;
    }

    src->retry_delay = src->retry_delay
                       ? dr_min(src->retry_delay * 2,
                                DR_UPSTREAM_DISCOVER_RETRY_MAX)
                       : DR_UPSTREAM_DISCOVER_RETRY;

    dr_log_error(DR_LOG_ERR, src->pool->log, 0,
                 "upstream \"%V\": reading %s of %V from ZooKeeper %V "
                 "failed: %s, trying again in %M ms", &src->pool->us->name,
                 what, &src->conf->path, &src->ens->hosts,
                 dr_zk_err_name(err), src->retry_delay);

    if (!src->retry.timer_set) {
        dr_add_timer(&src->retry, src->retry_delay);
    }
}


static void
dr_upstream_discover_agent_retry(dr_event_t *ev)
{
    dr_upstream_discover_agent_resync(ev->data);
}


static void
dr_upstream_discover_agent_ens_dirty(dr_upstream_discover_ens_t *ens)
{
    dr_queue_t                  *q;
    dr_upstream_discover_src_t  *src;

    for (q = dr_queue_head(&ens->sources);
         q != dr_queue_sentinel(&ens->sources);
         q = dr_queue_next(q))
    {
        src = dr_queue_data(q, dr_upstream_discover_src_t, queue);
        dr_upstream_discover_publish_dirty(src->pool);
    }
}


void
dr_upstream_discover_agent_exit(dr_cycle_t *cycle)
{
    dr_queue_t                  *q;
    dr_upstream_discover_ens_t  *ens;
    dr_upstream_discover_pool_t *pool;

    if (!dr_upstream_discover_agent_started) {
        return;
    }

    /* closeSession first: the callbacks of what was in flight run now */

    for (q = dr_queue_head(&dr_upstream_discover_agent_ensembles);
         q != dr_queue_sentinel(&dr_upstream_discover_agent_ensembles);
         q = dr_queue_next(q))
    {
        ens = dr_queue_data(q, dr_upstream_discover_ens_t, queue);
        ens->closing = 1;

        if (ens->zc) {
            dr_zk_client_destroy(ens->zc);
            ens->zc = NULL;
        }
    }

    while (!dr_queue_empty(&dr_upstream_discover_agent_pools)) {
        q = dr_queue_head(&dr_upstream_discover_agent_pools);
        dr_queue_remove(q);
        pool = dr_queue_data(q, dr_upstream_discover_pool_t, queue);

        dr_upstream_discover_agent_free_pool(pool);
    }

    while (!dr_queue_empty(&dr_upstream_discover_agent_ensembles)) {
        q = dr_queue_head(&dr_upstream_discover_agent_ensembles);
        dr_queue_remove(q);
        ens = dr_queue_data(q, dr_upstream_discover_ens_t, queue);

        dr_free(ens->disconnected);
        dr_free(ens);
    }

    dr_upstream_discover_agent_started = 0;
}


/*
 * A graceful shutdown began (QUIT, or a reload that replaces the agent):
 * the sessions are closed at the top of the next loop turn, so that the
 * loop finds no connection left when it exits.
 */
static void
dr_upstream_discover_agent_loop_hook(dr_cycle_t *cycle, void *data)
{
    if (dr_exiting && dr_upstream_discover_agent_started) {
        dr_upstream_discover_agent_exit(cycle);
    }
}


/* the client is gone: nodes are freed whatever their references */


static void
dr_upstream_discover_agent_free_pool(dr_upstream_discover_pool_t *pool)
{
    dr_uint_t                     i, j;
    dr_queue_t                   *q;
    dr_upstream_discover_src_t   *src;
    dr_upstream_discover_node_t  *n;

    if (pool->publish.posted) {
        dr_delete_posted_event(&pool->publish);
    }

    if (pool->batch.timer_set) {
        dr_del_timer(&pool->batch);
    }

    if (pool->guard.timer_set) {
        dr_del_timer(&pool->guard);
    }

    for (i = 0; i < pool->nsources; i++) {
        src = pool->sources[i];

        if (src->retry.timer_set) {
            dr_del_timer(&src->retry);
        }

        for (j = 0; j < src->nnodes; j++) {
            dr_free(src->nodes[j]);
        }

        while (!dr_queue_empty(&src->limbo)) {
            q = dr_queue_head(&src->limbo);
            dr_queue_remove(q);
            n = dr_queue_data(q, dr_upstream_discover_node_t, limbo);
            dr_free(n);
        }

        if (src->ov_pool) {
            dr_destroy_pool(src->ov_pool);
        }

        dr_free(src->nodes);
        dr_free(src);
    }

    dr_free(pool->published);
    dr_free(pool);
}


static int
dr_upstream_discover_agent_cmp_name(const void *a, const void *b)
{
    const dr_str_t  *x = a, *y = b;

    return (int) dr_memn2cmp(x->data, y->data, x->len, y->len);
}


static int
dr_upstream_discover_agent_cmp_ov(const void *a, const void *b)
{
    const dr_upstream_discover_override_t  *x = a, *y = b;

    return (int) dr_memn2cmp(x->key.data, y->key.data, x->key.len,
                             y->key.len);
}
