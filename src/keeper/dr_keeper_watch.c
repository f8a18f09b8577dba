/*
 * Watches, as ZooKeeper 3.8's WatchManager pair (dataWatches for exists
 * and getData, childWatches for getChildren), owned by connections.
 *
 * A watched path (dr_keeper_wpath_t, one per table and path) lists its
 * watches; a watch (dr_keeper_watch_t) is one connection's on one path in
 * one table, with a mode: standard (fires once, then is gone), persistent
 * or persistent-recursive (addWatch). A second hash by (path, connection)
 * finds a connection's watch on a path in O(1), so re-arming a watch on a
 * path thousands of connections watch stays cheap. Both structures come
 * from objpools; a path of more than DR_KEEPER_WPATH_INLINE bytes is
 * allocated on its own.
 *
 * Firing follows DataTree: a create fires NodeCreated on the path (data)
 * and NodeChildrenChanged on the parent (child); a delete fires
 * NodeDeleted on the path (data, then child, a connection notified by the
 * first not again) and NodeChildrenChanged on the parent; setData fires
 * NodeDataChanged (data). Recursive watches fire on every descendant too,
 * except for NodeChildrenChanged. Within one trigger a connection gets one
 * notification however many of its watches match (a stamp per trigger).
 *
 * Notifications are queued on the connection (xid -1, zxid -1, state
 * SyncConnected) like replies, so they go out in order and only once the
 * transaction that fired them is durable. A connection that cannot queue
 * one (no memory) is marked broken and closed at the end of the turn.
 * Keeper process.
 */

#include "dr_keeper.h"


#define DR_KEEPER_WPATH_INLINE   96
#define DR_KEEPER_WATCH_MIN      1024


struct dr_keeper_wpath_s {
    dr_keeper_wpath_t     *hnext;
    dr_uint_t              hash;
    dr_uint_t              table;
    dr_queue_t             watchers;
    dr_uint_t              nwatchers;
    dr_str_t               path;
    u_char                 inline_path[DR_KEEPER_WPATH_INLINE];
};

struct dr_keeper_watch_s {
    dr_keeper_watch_t     *hnext;
    dr_queue_t             path_link;
    dr_queue_t             conn_link;
    dr_keeper_wpath_t     *wpath;
    dr_keeper_conn_t      *conn;
    dr_uint_t              mode;
};

typedef struct {
    int32_t                type;
    dr_str_t              *path;
} dr_keeper_watch_event_t;


static dr_uint_t dr_keeper_watch_hash(dr_uint_t table, u_char *p, size_t len);
static dr_keeper_wpath_t *dr_keeper_watch_find_path(dr_keeper_t *k,
    dr_uint_t table, u_char *p, size_t len);
static dr_uint_t dr_keeper_watch_conn_hash(dr_keeper_wpath_t *wp,
    dr_keeper_conn_t *kc);
static dr_keeper_watch_t *dr_keeper_watch_find(dr_keeper_t *k,
    dr_keeper_wpath_t *wp, dr_keeper_conn_t *kc);
static dr_int_t dr_keeper_watch_grow(dr_keeper_t *k, dr_uint_t paths);
static void dr_keeper_watch_remove(dr_keeper_t *k, dr_keeper_watch_t *w);
static void dr_keeper_watch_trigger(dr_keeper_t *k, dr_uint_t table,
    dr_str_t *path, int32_t type, dr_uint_t stamp);
static void dr_keeper_watch_fire(dr_keeper_t *k, dr_keeper_conn_t *kc,
    int32_t type, dr_str_t *path, dr_uint_t stamp);
static dr_int_t dr_keeper_watch_encode(dr_zk_writer_t *wr, void *data);


dr_int_t
dr_keeper_watch_init(dr_keeper_t *k)
{
    k->wpaths = dr_calloc(DR_KEEPER_WATCH_MIN * sizeof(void *), k->log);
    if (k->wpaths == NULL) {
        return DR_ERROR;
    }

    k->wpaths_mask = DR_KEEPER_WATCH_MIN - 1;

    k->wconn = dr_calloc(DR_KEEPER_WATCH_MIN * sizeof(void *), k->log);
    if (k->wconn == NULL) {
        return DR_ERROR;
    }

    k->wconn_mask = DR_KEEPER_WATCH_MIN - 1;

    if (dr_objpool_init(&k->wpath_pool, sizeof(dr_keeper_wpath_t), 0, k->log)
        != DR_OK
        || dr_objpool_init(&k->watch_pool, sizeof(dr_keeper_watch_t), 0,
                           k->log)
           != DR_OK)
    {
        return DR_ERROR;
    }

    k->wpath_pool.name = "keeper watched path";
    k->watch_pool.name = "keeper watch";

    return DR_OK;
}


void
dr_keeper_watch_done(dr_keeper_t *k)
{
    dr_uint_t           i;
    dr_keeper_wpath_t  *wp;

    if (k->wpaths) {

        /* paths that did not fit inline were allocated on their own */

        for (i = 0; i <= k->wpaths_mask; i++) {
            for (wp = k->wpaths[i]; wp; wp = wp->hnext) {
                if (wp->path.data != wp->inline_path) {
                    dr_free(wp->path.data);
                }
            }
        }

        dr_free(k->wpaths);
        k->wpaths = NULL;
    }

    if (k->wconn) {
        dr_free(k->wconn);
        k->wconn = NULL;
    }

    dr_objpool_destroy(&k->wpath_pool);
    dr_objpool_destroy(&k->watch_pool);
}


static dr_uint_t
dr_keeper_watch_hash(dr_uint_t table, u_char *p, size_t len)
{
    uint64_t  h;

    /* FNV-1a */

    h = 0xcbf29ce484222325ULL ^ table;

    while (len--) {
        h ^= *p++;
        h *= 0x100000001b3ULL;
    }

    return (dr_uint_t) (h ^ (h >> 32));
}


static dr_keeper_wpath_t *
dr_keeper_watch_find_path(dr_keeper_t *k, dr_uint_t table, u_char *p,
    size_t len)
{
    dr_uint_t           hash;
    dr_keeper_wpath_t  *wp;

    hash = dr_keeper_watch_hash(table, p, len);

    for (wp = k->wpaths[hash & k->wpaths_mask]; wp; wp = wp->hnext) {
        if (wp->hash == hash && wp->table == table && wp->path.len == len
            && dr_memcmp(wp->path.data, p, len) == 0)
        {
            return wp;
        }
    }

    return NULL;
}


static dr_uint_t
dr_keeper_watch_conn_hash(dr_keeper_wpath_t *wp, dr_keeper_conn_t *kc)
{
    uint64_t  h;

    h = (uint64_t) (uintptr_t) wp * 0x9e3779b97f4a7c15ULL
        ^ (uint64_t) (uintptr_t) kc;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 32;

    return (dr_uint_t) h;
}


static dr_keeper_watch_t *
dr_keeper_watch_find(dr_keeper_t *k, dr_keeper_wpath_t *wp,
    dr_keeper_conn_t *kc)
{
    dr_keeper_watch_t  *w;

    for (w = k->wconn[dr_keeper_watch_conn_hash(wp, kc) & k->wconn_mask];
         w;
         w = w->hnext)
    {
        if (w->wpath == wp && w->conn == kc) {
            return w;
        }
    }

    return NULL;
}


/* doubles the path hash (<paths>) or the (path, connection) hash */
static dr_int_t
dr_keeper_watch_grow(dr_keeper_t *k, dr_uint_t paths)
{
    dr_uint_t            i, n, b;
    dr_keeper_watch_t  **wb, *w, *wnext;
    dr_keeper_wpath_t  **pb, *wp, *pnext;

    if (paths) {
        n = (k->wpaths_mask + 1) * 2;

        pb = dr_calloc(n * sizeof(void *), k->log);
        if (pb == NULL) {
            return DR_ERROR;
        }

        for (i = 0; i <= k->wpaths_mask; i++) {
            for (wp = k->wpaths[i]; wp; wp = pnext) {
                pnext = wp->hnext;
                b = wp->hash & (n - 1);
                wp->hnext = pb[b];
                pb[b] = wp;
            }
        }

        dr_free(k->wpaths);
        k->wpaths = pb;
        k->wpaths_mask = n - 1;

        return DR_OK;
    }

    n = (k->wconn_mask + 1) * 2;

    wb = dr_calloc(n * sizeof(void *), k->log);
    if (wb == NULL) {
        return DR_ERROR;
    }

    for (i = 0; i <= k->wconn_mask; i++) {
        for (w = k->wconn[i]; w; w = wnext) {
            wnext = w->hnext;
            b = dr_keeper_watch_conn_hash(w->wpath, w->conn) & (n - 1);
            w->hnext = wb[b];
            wb[b] = w;
        }
    }

    dr_free(k->wconn);
    k->wconn = wb;
    k->wconn_mask = n - 1;

    return DR_OK;
}


dr_int_t
dr_keeper_watch_add(dr_keeper_conn_t *kc, dr_str_t *path, dr_uint_t table,
    dr_uint_t mode)
{
    dr_uint_t           b;
    dr_keeper_t        *k;
    dr_keeper_watch_t  *w;
    dr_keeper_wpath_t  *wp;

    k = kc->k;

    wp = dr_keeper_watch_find_path(k, table, path->data, path->len);

    if (wp) {
        w = dr_keeper_watch_find(k, wp, kc);

        if (w) {

            /* one watch per connection and path: the last mode wins (3.8) */

            if (w->mode == DR_KEEPER_WATCH_RECURSIVE) {
                k->nrecursive--;
            }

            if (mode == DR_KEEPER_WATCH_RECURSIVE) {
                k->nrecursive++;
            }

            w->mode = mode;

            return DR_OK;
        }
    }

    if (k->conf->max_watches
        && kc->nwatches >= (dr_uint_t) k->conf->max_watches)
    {
        return DR_DECLINED;
    }

    if (k->nwatches > k->wconn_mask && dr_keeper_watch_grow(k, 0) != DR_OK) {
        return DR_ERROR;
    }

    w = NULL;

    if (wp == NULL) {
        w = dr_objpool_alloc(&k->watch_pool);
        if (w == NULL) {
            return DR_ERROR;
        }

        if (k->nwpaths > k->wpaths_mask
            && dr_keeper_watch_grow(k, 1) != DR_OK)
        {
            dr_objpool_free(&k->watch_pool, w);
            return DR_ERROR;
        }

        wp = dr_objpool_alloc(&k->wpath_pool);
        if (wp == NULL) {
            dr_objpool_free(&k->watch_pool, w);
            return DR_ERROR;
        }

        if (path->len <= DR_KEEPER_WPATH_INLINE) {
            wp->path.data = wp->inline_path;

        } else {
            wp->path.data = dr_alloc(path->len, k->log);
            if (wp->path.data == NULL) {
                dr_objpool_free(&k->wpath_pool, wp);
                dr_objpool_free(&k->watch_pool, w);
                return DR_ERROR;
            }
        }

        dr_memcpy(wp->path.data, path->data, path->len);
        wp->path.len = path->len;
        wp->table = table;
        wp->hash = dr_keeper_watch_hash(table, path->data, path->len);
        dr_queue_init(&wp->watchers);

        b = wp->hash & k->wpaths_mask;
        wp->hnext = k->wpaths[b];
        k->wpaths[b] = wp;
        k->nwpaths++;
    }

    if (w == NULL) {
        w = dr_objpool_alloc(&k->watch_pool);
        if (w == NULL) {
            return DR_ERROR;
        }
    }

    w->wpath = wp;
    w->conn = kc;
    w->mode = mode;

    b = dr_keeper_watch_conn_hash(wp, kc) & k->wconn_mask;
    w->hnext = k->wconn[b];
    k->wconn[b] = w;

    dr_queue_insert_tail(&wp->watchers, &w->path_link);
    wp->nwatchers++;

    dr_queue_insert_tail(&kc->watches, &w->conn_link);
    kc->nwatches++;

    k->nwatches++;

    if (mode == DR_KEEPER_WATCH_RECURSIVE) {
        k->nrecursive++;
    }

    return DR_OK;
}


/* unlinks <w> everywhere, and its path if it was the last watch on it */
static void
dr_keeper_watch_remove(dr_keeper_t *k, dr_keeper_watch_t *w)
{
    dr_keeper_watch_t  **wq;
    dr_keeper_wpath_t   *wp, **pq;

    wp = w->wpath;

    for (wq = &k->wconn[dr_keeper_watch_conn_hash(wp, w->conn)
                        & k->wconn_mask];
         *wq;
         wq = &(*wq)->hnext)
    {
        if (*wq == w) {
            *wq = w->hnext;
            break;
        }
    }

    dr_queue_remove(&w->path_link);
    dr_queue_remove(&w->conn_link);

    wp->nwatchers--;
    w->conn->nwatches--;
    k->nwatches--;

    if (w->mode == DR_KEEPER_WATCH_RECURSIVE) {
        k->nrecursive--;
    }

    dr_objpool_free(&k->watch_pool, w);

    if (wp->nwatchers) {
        return;
    }

    for (pq = &k->wpaths[wp->hash & k->wpaths_mask]; *pq; pq = &(*pq)->hnext)
    {
        if (*pq == wp) {
            *pq = wp->hnext;
            break;
        }
    }

    k->nwpaths--;

    if (wp->path.data != wp->inline_path) {
        dr_free(wp->path.data);
    }

    dr_objpool_free(&k->wpath_pool, wp);
}


void
dr_keeper_watch_drop(dr_keeper_conn_t *kc)
{
    dr_keeper_watch_t  *w;

    while (!dr_queue_empty(&kc->watches)) {
        w = dr_queue_data(dr_queue_head(&kc->watches), dr_keeper_watch_t,
                          conn_link);
        dr_keeper_watch_remove(kc->k, w);
    }
}


/*
 * checkWatches (<remove> 0) and removeWatches (1): <type> is
 * DR_ZK_WATCHER_CHILDREN, _DATA or _ANY. DR_OK if the connection had such
 * a watch (now removed), DR_DECLINED if not (NoWatcher).
 */
dr_int_t
dr_keeper_watch_check(dr_keeper_conn_t *kc, dr_str_t *path, int32_t type,
    dr_uint_t remove)
{
    dr_uint_t           t, found;
    dr_keeper_t        *k;
    dr_keeper_watch_t  *w;
    dr_keeper_wpath_t  *wp;

    k = kc->k;
    found = 0;

    for (t = DR_KEEPER_WATCH_DATA; t <= DR_KEEPER_WATCH_CHILD; t++) {

        if ((t == DR_KEEPER_WATCH_DATA && type == DR_ZK_WATCHER_CHILDREN)
            || (t == DR_KEEPER_WATCH_CHILD && type == DR_ZK_WATCHER_DATA))
        {
            continue;
        }

        wp = dr_keeper_watch_find_path(k, t, path->data, path->len);
        if (wp == NULL) {
            continue;
        }

        w = dr_keeper_watch_find(k, wp, kc);
        if (w == NULL) {
            continue;
        }

        found = 1;

        if (remove) {
            dr_keeper_watch_remove(k, w);
        }
    }

    return found ? DR_OK : DR_DECLINED;
}


void
dr_keeper_watch_event(dr_keeper_t *k, int32_t type, dr_str_t *path)
{
    dr_uint_t  stamp;

    stamp = ++k->trigger_stamp;

    switch (type) {

    case DR_ZK_EVENT_NODE_CREATED:
    case DR_ZK_EVENT_NODE_DATA_CHANGED:
        dr_keeper_watch_trigger(k, DR_KEEPER_WATCH_DATA, path, type, stamp);
        break;

    case DR_ZK_EVENT_NODE_DELETED:

        /* a connection with both a data and a child watch gets one event */

        dr_keeper_watch_trigger(k, DR_KEEPER_WATCH_DATA, path, type, stamp);
        dr_keeper_watch_trigger(k, DR_KEEPER_WATCH_CHILD, path, type, stamp);
        break;

    case DR_ZK_EVENT_NODE_CHILDREN_CHANGED:
        dr_keeper_watch_trigger(k, DR_KEEPER_WATCH_CHILD, path, type, stamp);
        break;
    }
}


/* "/a/b" -> "/a", "/a" -> "/" (ZooKeeper: "" becomes "/") */
void
dr_keeper_watch_parent(dr_str_t *path, dr_str_t *parent)
{
    size_t  i;

    parent->data = path->data;

    for (i = path->len; i > 0; i--) {
        if (path->data[i - 1] == '/') {
            break;
        }
    }

    parent->len = (i > 1) ? i - 1 : 1;
}


/* WatchManager.triggerWatch(): the path, then its ancestors (recursive) */
static void
dr_keeper_watch_trigger(dr_keeper_t *k, dr_uint_t table, dr_str_t *path,
    int32_t type, dr_uint_t stamp)
{
    size_t              len;
    dr_queue_t         *q, *next;
    dr_keeper_watch_t  *w;
    dr_keeper_wpath_t  *wp;

    wp = dr_keeper_watch_find_path(k, table, path->data, path->len);

    if (wp) {
        for (q = dr_queue_head(&wp->watchers);
             q != dr_queue_sentinel(&wp->watchers);
             q = next)
        {
            next = dr_queue_next(q);
            w = dr_queue_data(q, dr_keeper_watch_t, path_link);

            if (w->mode == DR_KEEPER_WATCH_RECURSIVE) {
                if (type != DR_ZK_EVENT_NODE_CHILDREN_CHANGED) {
                    dr_keeper_watch_fire(k, w->conn, type, path, stamp);
                }

                continue;
            }

            dr_keeper_watch_fire(k, w->conn, type, path, stamp);

            if (w->mode == DR_KEEPER_WATCH_STANDARD) {

                /* the last watch of the path frees it: stop there */

                if (wp->nwatchers == 1) {
                    dr_keeper_watch_remove(k, w);
                    break;
                }

                dr_keeper_watch_remove(k, w);
            }
        }
    }

    if (k->nrecursive == 0 || type == DR_ZK_EVENT_NODE_CHILDREN_CHANGED) {
        return;
    }

    len = path->len;

    while (len > 1) {

        /* the next ancestor: "/a/b/c" -> "/a/b" -> "/a" -> "/" */

        do {
            len--;
        } while (len > 0 && path->data[len] != '/');

        if (len == 0) {
            len = 1;
        }

        wp = dr_keeper_watch_find_path(k, table, path->data, len);
        if (wp == NULL) {
            continue;
        }

        for (q = dr_queue_head(&wp->watchers);
             q != dr_queue_sentinel(&wp->watchers);
             q = dr_queue_next(q))
        {
            w = dr_queue_data(q, dr_keeper_watch_t, path_link);

            if (w->mode == DR_KEEPER_WATCH_RECURSIVE) {
                dr_keeper_watch_fire(k, w->conn, type, path, stamp);
            }
        }
    }
}


static void
dr_keeper_watch_fire(dr_keeper_t *k, dr_keeper_conn_t *kc, int32_t type,
    dr_str_t *path, dr_uint_t stamp)
{
    if (kc->trigger_stamp == stamp) {
        return;
    }

    kc->trigger_stamp = stamp;

    (void) dr_keeper_watch_notify(kc, type, path);
}


dr_int_t
dr_keeper_watch_notify(dr_keeper_conn_t *kc, int32_t type, dr_str_t *path)
{
    dr_keeper_watch_event_t  ev;

    if (kc->broken || kc->closing) {
        return DR_OK;
    }

    ev.type = type;
    ev.path = path;

    if (dr_keeper_queue_frame(kc, DR_ZK_REPLY_HEADER_SIZE + 12 + path->len,
                              dr_keeper_watch_encode, &ev, 0)
        != DR_OK)
    {
        kc->broken = 1;
        dr_keeper_conn_dirty(kc);
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_watch_encode(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_watch_event_t  *ev = data;

    dr_zk_reply_header_t   hdr;
    dr_zk_watcher_event_t  we;

    hdr.xid = DR_ZK_XID_NOTIFICATION;
    hdr.zxid = -1;
    hdr.err = DR_ZK_OK;

    we.type = ev->type;
    we.state = DR_ZK_STATE_SYNC_CONNECTED;
    we.path = *ev->path;

    if (dr_zk_reply_header_encode(wr, &hdr) != DR_OK) {
        return DR_ERROR;
    }

    return dr_zk_watcher_event_encode(wr, &we);
}


dr_uint_t
dr_keeper_watch_paths(dr_keeper_t *k)
{
    return k->nwpaths;
}


/*
 * Calls <handler> for each watch of <table>, by path (wchp) or by
 * connection (wchc). ZooKeeper's wchc, wchp and wchs show the data table
 * only.
 */
void
dr_keeper_watch_walk(dr_keeper_t *k, dr_uint_t by_conn, dr_uint_t table,
    dr_keeper_watch_walk_pt handler, void *data)
{
    dr_uint_t           i;
    dr_queue_t         *q, *wq;
    dr_keeper_conn_t   *kc;
    dr_keeper_watch_t  *w;
    dr_keeper_wpath_t  *wp;

    if (by_conn) {
        for (q = dr_queue_head(&k->conns);
             q != dr_queue_sentinel(&k->conns);
             q = dr_queue_next(q))
        {
            kc = dr_queue_data(q, dr_keeper_conn_t, queue);

            for (wq = dr_queue_head(&kc->watches);
                 wq != dr_queue_sentinel(&kc->watches);
                 wq = dr_queue_next(wq))
            {
                w = dr_queue_data(wq, dr_keeper_watch_t, conn_link);

                if (w->wpath->table == table) {
                    handler(kc, &w->wpath->path, data);
                }
            }
        }

        return;
    }

    for (i = 0; i <= k->wpaths_mask; i++) {
        for (wp = k->wpaths[i]; wp; wp = wp->hnext) {
            if (wp->table != table) {
                continue;
            }

            for (wq = dr_queue_head(&wp->watchers);
                 wq != dr_queue_sentinel(&wp->watchers);
                 wq = dr_queue_next(wq))
            {
                w = dr_queue_data(wq, dr_keeper_watch_t, path_link);
                handler(w->conn, &wp->path, data);
            }
        }
    }
}


/* wchs: connections, paths and watches of <table> */
void
dr_keeper_watch_summary(dr_keeper_t *k, dr_uint_t table, dr_uint_t *conns,
    dr_uint_t *paths, dr_uint_t *watches)
{
    dr_uint_t           i;
    dr_queue_t         *q, *wq;
    dr_keeper_conn_t   *kc;
    dr_keeper_watch_t  *w;
    dr_keeper_wpath_t  *wp;

    *conns = 0;
    *paths = 0;
    *watches = 0;

    for (i = 0; i <= k->wpaths_mask; i++) {
        for (wp = k->wpaths[i]; wp; wp = wp->hnext) {
            if (wp->table == table) {
                (*paths)++;
                *watches += wp->nwatchers;
            }
        }
    }

    for (q = dr_queue_head(&k->conns);
         q != dr_queue_sentinel(&k->conns);
         q = dr_queue_next(q))
    {
        kc = dr_queue_data(q, dr_keeper_conn_t, queue);

        for (wq = dr_queue_head(&kc->watches);
             wq != dr_queue_sentinel(&kc->watches);
             wq = dr_queue_next(wq))
        {
            w = dr_queue_data(wq, dr_keeper_watch_t, conn_link);

            if (w->wpath->table == table) {
                (*conns)++;
                break;
            }
        }
    }
}
