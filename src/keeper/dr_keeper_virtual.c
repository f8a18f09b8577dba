/*
 * The keeper's virtual znode /zookeeper/drover/disconnected: the ids of
 * the sessions that are alive but lost their TCP connection during this
 * keeper process's life, one "0x%016x" line each, sorted. It exists for
 * drover's discovery (modules/upstream_discover): the agent watches it
 * and stops routing to an instance whose registering session is listed,
 * at once, instead of waiting for the session to expire -- ZooKeeper
 * itself only deletes ephemerals at expiry, and tells nobody about a
 * dropped connection in the meantime (docs/discovery.md).
 *
 * The node is not in the tree: reads find it through dr_keeper_virtual_
 * find() when the tree has no node at the path (getData, exists,
 * getChildren, getACL see a world-readable node without children), and
 * no write can reach it (a write's path is resolved in the tree: NoNode).
 * It is never logged nor snapshotted: a restarted keeper starts with an
 * empty list (restored sessions that have not reconnected yet are not
 * "dropped": their clients may simply be on their way back), so a keeper
 * restart never drains everything.
 *
 * The server tells it when a session's connection may have changed
 * (dr_keeper_virtual_session()); the list is computed again at the end
 * of the loop turn (a session that moved to a new connection within the
 * turn never shows), and a change bumps the node's version and fires its
 * data watches. Keeper process only; memory is malloc'ed and kept for
 * the process's life.
 */

#include "dr_keeper.h"


#define DR_KEEPER_VIRTUAL_PATH  "/zookeeper/drover/disconnected"
#define DR_KEEPER_VIRTUAL_LINE  (sizeof("0x0123456789abcdef\n") - 1)


typedef struct {
    dr_keeper_t              *k;
    dr_keeper_tree_node_t     node;
    dr_keeper_tree_acl_t     *acl;

    int64_t                  *ids;          /* dropped, maybe stale */
    dr_uint_t                 nids;
    dr_uint_t                 cap;

    u_char                   *text;         /* the node's data */

    dr_event_t                event;
    dr_uint_t                 ready;
} dr_keeper_virtual_t;


static dr_int_t dr_keeper_virtual_init(dr_keeper_t *k);
static void dr_keeper_virtual_update(dr_event_t *ev);
static dr_uint_t dr_keeper_virtual_listed(int64_t id);
static dr_int_t dr_keeper_virtual_add(int64_t id);
static int dr_keeper_virtual_cmp(const void *a, const void *b);


static dr_keeper_virtual_t  dr_keeper_virtual;


/*
 * The server's hook: <s>'s connection was closed, or it got one (resumed
 * or moved), or <s> is going (<gone>: expired or closed). Cheap: the list
 * is rebuilt once at the end of the loop turn.
 */
void
dr_keeper_virtual_session(dr_keeper_t *k, dr_keeper_session_t *s,
    dr_uint_t gone)
{
    dr_keeper_virtual_t  *v = &dr_keeper_virtual;

    if (k->stopped || (!v->ready && dr_keeper_virtual_init(k) != DR_OK)) {
        return;
    }

    if (gone || s->conn || s->closing) {
        if (!dr_keeper_virtual_listed(s->id)) {
            return;             /* nothing to take off */
        }

    } else if (!dr_keeper_virtual_listed(s->id)) {
        if (dr_keeper_virtual_add(s->id) != DR_OK) {
            return;             /* logged; the next change retries */
        }
    }

    dr_post_event(&v->event, &dr_posted_events);
}


/* the virtual node at <path>, or NULL: for reads that missed the tree */
dr_keeper_tree_node_t *
dr_keeper_virtual_find(dr_keeper_t *k, dr_str_t *path)
{
    dr_keeper_virtual_t  *v = &dr_keeper_virtual;

    if (!dr_str_eq_lit(path, DR_KEEPER_VIRTUAL_PATH)) {
        return NULL;
    }

    if (!v->ready && dr_keeper_virtual_init(k) != DR_OK) {
        return NULL;
    }

    return &v->node;
}


static dr_int_t
dr_keeper_virtual_init(dr_keeper_t *k)
{
    u_char               *p;
    dr_keeper_virtual_t  *v = &dr_keeper_virtual;

    static u_char  world_read[] = {
        0, 0, 0, DR_ZK_PERM_READ,
        0, 0, 0, 5, 'w', 'o', 'r', 'l', 'd',
        0, 0, 0, 6, 'a', 'n', 'y', 'o', 'n', 'e'
    };

    v->acl = dr_calloc(sizeof(dr_keeper_tree_acl_t) + sizeof(world_read),
                       k->log);
    if (v->acl == NULL) {
        return DR_ERROR;
    }

    p = v->acl->data;
    dr_memcpy(p, world_read, sizeof(world_read));
    v->acl->refs = 1;
    v->acl->nelts = 1;
    v->acl->len = sizeof(world_read);

    v->k = k;

    dr_queue_init(&v->node.children);
    dr_str_set(&v->node.path, DR_KEEPER_VIRTUAL_PATH);
    v->node.name.data = v->node.path.data + sizeof("/zookeeper/drover");
    v->node.name.len = sizeof("disconnected") - 1;
    v->node.data.data = (u_char *) "";      /* empty, not null */
    v->node.data.len = 0;
    v->node.acl = v->acl;
    v->node.ctime = dr_keeper_now();
    v->node.mtime = v->node.ctime;
    v->node.czxid = k->last_zxid;
    v->node.mzxid = k->last_zxid;
    v->node.pzxid = k->last_zxid;

    v->event.handler = dr_keeper_virtual_update;
    v->event.data = v;
    v->event.log = k->log;

    v->ready = 1;

    return DR_OK;
}


/* the end of the loop turn: the list as it is now; watches on a change */
static void
dr_keeper_virtual_update(dr_event_t *ev)
{
    dr_keeper_virtual_t  *v = ev->data;

    u_char               *p, *text;
    dr_uint_t             i, n;
    dr_str_t              path;
    dr_keeper_session_t  *s;

    if (v->k->stopped) {
        return;
    }

    /* keep the sessions still alive and still without a connection */

    n = 0;

    for (i = 0; i < v->nids; i++) {
        s = dr_keeper_session_find(v->k, v->ids[i]);

        if (s && s->conn == NULL && !s->closing) {
            v->ids[n++] = v->ids[i];
        }
    }

    v->nids = n;

    if (n > 1) {
        qsort(v->ids, n, sizeof(int64_t), dr_keeper_virtual_cmp);
    }

    text = dr_alloc(n ? n * DR_KEEPER_VIRTUAL_LINE : 1, v->k->log);
    if (text == NULL) {
        return;                 /* the next change tries again */
    }

    p = text;

    for (i = 0; i < n; i++) {
        p = dr_sprintf(p, "0x%016xL\n", v->ids[i]);
    }

    if ((size_t) (p - text) == v->node.data.len
        && dr_memcmp(text, v->node.data.data, v->node.data.len) == 0)
    {
        dr_free(text);
        return;
    }

    dr_free(v->text);
    v->text = text;

    v->node.data.data = text;
    v->node.data.len = p - text;
    v->node.version++;
    v->node.mzxid = v->k->last_zxid;
    v->node.mtime = dr_keeper_now();

    dr_log_error(DR_LOG_INFO, v->k->log, 0,
                 "keeper: %ui session%s without a connection", n,
                 n == 1 ? "" : "s");

    dr_str_set(&path, DR_KEEPER_VIRTUAL_PATH);

    dr_keeper_watch_event(v->k, DR_ZK_EVENT_NODE_DATA_CHANGED, &path);
}


static dr_uint_t
dr_keeper_virtual_listed(int64_t id)
{
    dr_uint_t             i;
    dr_keeper_virtual_t  *v = &dr_keeper_virtual;

    for (i = 0; i < v->nids; i++) {
        if (v->ids[i] == id) {
            return 1;
        }
    }

    return 0;
}


static dr_int_t
dr_keeper_virtual_add(int64_t id)
{
    int64_t              *ids;
    dr_uint_t             cap;
    dr_keeper_virtual_t  *v = &dr_keeper_virtual;

    if (v->nids == v->cap) {
        cap = v->cap ? v->cap * 2 : 64;

        ids = realloc(v->ids, cap * sizeof(int64_t));
        if (ids == NULL) {
            dr_log_error(DR_LOG_ERR, v->k->log, dr_errno,
                         "keeper: realloc() failed");
            return DR_ERROR;
        }

        v->ids = ids;
        v->cap = cap;
    }

    v->ids[v->nids++] = id;

    return DR_OK;
}


static int
dr_keeper_virtual_cmp(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return (x > y) - (x < y);
}
