/*
 * Unit tests of src/keeper/dr_keeper_watch.c through the request handlers
 * (dr_keeper_ops.c): which notifications a change queues on which
 * connection, in ZooKeeper 3.8's order and encoding (xid -1, zxid -1,
 * SyncConnected), one-shot versus persistent and recursive watches, one
 * NodeDeleted for a data + child watch, exists on a missing node, the
 * notification before the reply that shows the change, watches of a
 * closed connection dropped, checkWatches/removeWatches, max_watches.
 */

#include "keeper/keeper_test.h"


static dr_keeper_t  *k;
static u_char        out[65536];


static void
setup(void)
{
    k = kt_keeper();
}


TestSuite(keeper_watch, .init = setup);


typedef struct {
    int32_t   xid;
    int32_t   err;
    int32_t   type;          /* notifications */
    char      path[64];
} frame_t;


/* the frames <kc> queued, decoded, into <f>; returns how many */
static int
frames(dr_keeper_conn_t *kc, frame_t *f, int max)
{
    int       n;
    u_char   *p;
    size_t    len, off, flen, plen;

    len = kt_output(kc, out, sizeof(out));
    off = 0;
    n = 0;

    while (off < len) {
        cr_assert_lt(n, max);
        p = kt_frame(out, len, &off, &flen);
        f[n].xid = (int32_t) dr_keeper_get32(p);
        f[n].err = (int32_t) dr_keeper_get32(p + 12);
        f[n].type = 0;
        f[n].path[0] = '\0';

        if (f[n].xid == DR_ZK_XID_NOTIFICATION) {
            cr_assert_eq(dr_keeper_get32(p + 4), 0xffffffff);  /* zxid -1 */
            cr_assert_eq(dr_keeper_get32(p + 8), 0xffffffff);
            f[n].type = (int32_t) dr_keeper_get32(p + 16);
            cr_assert_eq(dr_keeper_get32(p + 20), DR_ZK_STATE_SYNC_CONNECTED);
            plen = dr_keeper_get32(p + 24);
            cr_assert_lt(plen, sizeof(f[n].path));
            memcpy(f[n].path, p + 28, plen);
            f[n].path[plen] = '\0';
        }

        n++;
    }

    return n;
}


static void
create(dr_keeper_conn_t *kc, int32_t xid, const char *path, int32_t flags)
{
    u_char  body[512];
    size_t  len;

    len = kt_create_body(body, path, "", flags);
    cr_assert_eq(kt_request(kc, xid, DR_ZK_OPCODE_CREATE, body, len), DR_OK);
}


static void
path_op(dr_keeper_conn_t *kc, int32_t xid, int32_t type, const char *path,
    int32_t tail, dr_uint_t bool_tail)
{
    u_char  body[512], *p;

    p = kt_ustring(body, path);

    if (bool_tail) {
        *p++ = (u_char) tail;

    } else {
        p = kt_int(p, tail);
    }

    cr_assert_eq(kt_request(kc, xid, type, body, (size_t) (p - body)), DR_OK);
}


static void
set_data(dr_keeper_conn_t *kc, int32_t xid, const char *path)
{
    u_char  body[512], *p;

    p = kt_ustring(body, path);
    p = kt_ustring(p, "new");
    p = kt_int(p, -1);

    cr_assert_eq(kt_request(kc, xid, DR_ZK_OPCODE_SET_DATA, body,
                            (size_t) (p - body)), DR_OK);
}


#define get_data(kc, xid, path, w)                                           \
    path_op(kc, xid, DR_ZK_OPCODE_GET_DATA, path, w, 1)
#define exists(kc, xid, path, w)                                             \
    path_op(kc, xid, DR_ZK_OPCODE_EXISTS, path, w, 1)
#define get_children(kc, xid, path, w)                                       \
    path_op(kc, xid, DR_ZK_OPCODE_GET_CHILDREN, path, w, 1)
#define delete(kc, xid, path)                                                \
    path_op(kc, xid, DR_ZK_OPCODE_DELETE, path, -1, 0)
#define add_watch(kc, xid, path, mode)                                       \
    path_op(kc, xid, DR_ZK_OPCODE_ADD_WATCH, path, mode, 0)


Test(keeper_watch, data_watch_fires_once)
{
    frame_t            f[8];
    dr_keeper_conn_t  *a, *b;

    a = kt_session_conn(k, "127.0.0.1", 7000);
    b = kt_session_conn(k, "127.0.0.1", 7001);

    create(a, 1, "/w", 0);
    get_data(b, 2, "/w", 1);
    cr_assert_eq(frames(b, f, 8), 1);
    cr_assert_eq(k->nwatches, 1);

    set_data(a, 3, "/w");
    set_data(a, 4, "/w");

    cr_assert_eq(frames(b, f, 8), 1);
    cr_assert_eq(f[0].type, DR_ZK_EVENT_NODE_DATA_CHANGED);
    cr_assert_str_eq(f[0].path, "/w");
    cr_assert_eq(k->nwatches, 0);
    cr_assert_eq(frames(a, f, 8), 3);       /* replies only */
}


Test(keeper_watch, notification_before_the_writers_reply)
{
    frame_t            f[8];
    dr_keeper_conn_t  *a;

    a = kt_session_conn(k, "127.0.0.1", 7002);

    create(a, 1, "/own", 0);
    get_data(a, 2, "/own", 1);
    frames(a, f, 8);

    set_data(a, 3, "/own");
    cr_assert_eq(frames(a, f, 8), 2);
    cr_assert_eq(f[0].xid, -1);
    cr_assert_eq(f[0].type, DR_ZK_EVENT_NODE_DATA_CHANGED);
    cr_assert_eq(f[1].xid, 3);
    cr_assert_eq(f[1].err, 0);
}


Test(keeper_watch, exists_on_a_missing_node)
{
    frame_t            f[8];
    dr_keeper_conn_t  *a, *b;

    a = kt_session_conn(k, "127.0.0.1", 7003);
    b = kt_session_conn(k, "127.0.0.1", 7004);

    exists(b, 1, "/later", 1);
    cr_assert_eq(frames(b, f, 8), 1);
    cr_assert_eq(f[0].err, DR_ZK_NONODE);

    /* getData on a missing node arms nothing */
    get_data(b, 2, "/other", 1);
    cr_assert_eq(k->nwatches, 1);

    create(a, 3, "/later", 0);
    create(a, 4, "/other", 0);

    cr_assert_eq(frames(b, f, 8), 2);
    cr_assert_eq(f[0].err, DR_ZK_NONODE);
    cr_assert_eq(f[1].type, DR_ZK_EVENT_NODE_CREATED);
    cr_assert_str_eq(f[1].path, "/later");
}


Test(keeper_watch, children_and_delete)
{
    frame_t            f[8];
    dr_keeper_conn_t  *a, *b;

    a = kt_session_conn(k, "127.0.0.1", 7005);
    b = kt_session_conn(k, "127.0.0.1", 7006);

    create(a, 1, "/p", 0);
    create(a, 2, "/p/c", 0);

    get_children(b, 3, "/p", 1);
    get_data(b, 4, "/p/c", 1);
    get_children(b, 5, "/p/c", 1);
    frames(b, f, 8);

    set_data(a, 6, "/p");                   /* the parent's data: nothing */
    delete(a, 7, "/p/c");

    cr_assert_eq(frames(b, f, 8), 2);
    cr_assert_eq(f[0].type, DR_ZK_EVENT_NODE_DELETED);   /* once */
    cr_assert_str_eq(f[0].path, "/p/c");
    cr_assert_eq(f[1].type, DR_ZK_EVENT_NODE_CHILDREN_CHANGED);
    cr_assert_str_eq(f[1].path, "/p");
    cr_assert_eq(k->nwatches, 0);
}


Test(keeper_watch, persistent_and_recursive)
{
    frame_t            f[16];
    dr_keeper_conn_t  *a, *b;

    a = kt_session_conn(k, "127.0.0.1", 7007);
    b = kt_session_conn(k, "127.0.0.1", 7008);

    create(a, 1, "/p", 0);
    add_watch(b, 2, "/p", DR_ZK_ADD_WATCH_PERSISTENT);
    add_watch(b, 3, "/", DR_ZK_ADD_WATCH_PERSISTENT_RECURSIVE);
    cr_assert_eq(frames(b, f, 16), 2);
    cr_assert_eq(k->nwatches, 3);           /* data + child, data */

    create(a, 4, "/p/c", 0);
    set_data(a, 5, "/p");
    set_data(a, 6, "/p");
    delete(a, 7, "/p/c");

    cr_assert_eq(frames(b, f, 16), 6);
    cr_assert_eq(f[0].type, DR_ZK_EVENT_NODE_CREATED);
    cr_assert_str_eq(f[0].path, "/p/c");    /* recursive */
    cr_assert_eq(f[1].type, DR_ZK_EVENT_NODE_CHILDREN_CHANGED);
    cr_assert_str_eq(f[1].path, "/p");      /* persistent */
    cr_assert_eq(f[2].type, DR_ZK_EVENT_NODE_DATA_CHANGED);
    cr_assert_eq(f[3].type, DR_ZK_EVENT_NODE_DATA_CHANGED);
    cr_assert_eq(f[4].type, DR_ZK_EVENT_NODE_DELETED);
    cr_assert_str_eq(f[4].path, "/p/c");
    cr_assert_eq(f[5].type, DR_ZK_EVENT_NODE_CHILDREN_CHANGED);
    cr_assert_eq(k->nwatches, 3);
    cr_assert_eq(k->nrecursive, 1);
}


Test(keeper_watch, last_mode_wins)
{
    frame_t            f[8];
    dr_keeper_conn_t  *a, *b;

    a = kt_session_conn(k, "127.0.0.1", 7009);
    b = kt_session_conn(k, "127.0.0.1", 7010);

    create(a, 1, "/m", 0);
    add_watch(b, 2, "/m", DR_ZK_ADD_WATCH_PERSISTENT_RECURSIVE);
    get_data(b, 3, "/m", 1);                /* now a standard watch */
    frames(b, f, 8);
    cr_assert_eq(k->nrecursive, 0);

    set_data(a, 4, "/m");
    set_data(a, 5, "/m");
    cr_assert_eq(frames(b, f, 8), 1);
}


Test(keeper_watch, check_remove_and_drop)
{
    frame_t            f[8];
    dr_keeper_conn_t  *b;

    b = kt_session_conn(k, "127.0.0.1", 7011);

    exists(b, 1, "/x", 1);
    get_children(b, 2, "/", 1);
    frames(b, f, 8);
    cr_assert_eq(k->nwatches, 2);

    path_op(b, 3, DR_ZK_OPCODE_CHECK_WATCHES, "/x", DR_ZK_WATCHER_CHILDREN, 0);
    path_op(b, 4, DR_ZK_OPCODE_CHECK_WATCHES, "/x", DR_ZK_WATCHER_DATA, 0);
    path_op(b, 5, DR_ZK_OPCODE_REMOVE_WATCHES, "/x", DR_ZK_WATCHER_ANY, 0);
    path_op(b, 6, DR_ZK_OPCODE_REMOVE_WATCHES, "/x", DR_ZK_WATCHER_ANY, 0);
    path_op(b, 7, DR_ZK_OPCODE_CHECK_WATCHES, "/", 4, 0);

    cr_assert_eq(frames(b, f, 8), 5);
    cr_assert_eq(f[0].err, DR_ZK_NOWATCHER);
    cr_assert_eq(f[1].err, DR_ZK_OK);
    cr_assert_eq(f[2].err, DR_ZK_OK);
    cr_assert_eq(f[3].err, DR_ZK_NOWATCHER);
    cr_assert_eq(f[4].err, DR_ZK_MARSHALLINGERROR);
    cr_assert_eq(k->nwatches, 1);

    dr_keeper_watch_drop(b);
    cr_assert_eq(k->nwatches, 0);
    cr_assert_eq(k->nwpaths, 0);
}


Test(keeper_watch, many_watchers_on_one_path)
{
    int                i;
    frame_t            f[4];
    dr_keeper_conn_t  *a, *w[200];

    a = kt_session_conn(k, "127.0.0.1", 7012);
    create(a, 1, "/hot", 0);

    for (i = 0; i < 200; i++) {
        w[i] = kt_session_conn(k, "127.0.0.1", 8000 + i);
        get_data(w[i], 2, "/hot", 1);
        get_data(w[i], 3, "/hot", 1);       /* the same watch again */
        frames(w[i], f, 4);
    }

    cr_assert_eq(k->nwatches, 200);
    cr_assert_eq(k->nwpaths, 1);

    delete(a, 4, "/hot");

    for (i = 0; i < 200; i++) {
        cr_assert_eq(frames(w[i], f, 4), 1);
        cr_assert_eq(f[0].type, DR_ZK_EVENT_NODE_DELETED);
    }

    cr_assert_eq(k->nwatches, 0);
    cr_assert_eq(k->nwpaths, 0);
}


Test(keeper_watch, max_watches)
{
    frame_t            f[8];
    dr_keeper_conn_t  *b;

    kt_conf.max_watches = 2;

    b = kt_session_conn(k, "127.0.0.1", 7013);
    exists(b, 1, "/a", 1);
    exists(b, 2, "/b", 1);
    exists(b, 3, "/a", 1);                  /* re-arming is not a new one */
    exists(b, 4, "/c", 1);

    cr_assert_eq(frames(b, f, 8), 4);
    cr_assert_eq(f[2].err, DR_ZK_NONODE);
    cr_assert_eq(f[3].err, DR_ZK_THROTTLEDOP);
    cr_assert_eq(k->nwatches, 2);
}


Test(keeper_watch, long_paths)
{
    char               path[300];
    frame_t            f[4];
    dr_keeper_conn_t  *a, *b;

    memset(path, 'x', sizeof(path));
    path[0] = '/';
    path[200] = '\0';

    a = kt_session_conn(k, "127.0.0.1", 7014);
    b = kt_session_conn(k, "127.0.0.1", 7015);

    exists(b, 1, path, 1);
    frames(b, f, 4);
    create(a, 2, path, 0);

    cr_assert_eq(kt_output(b, out, sizeof(out)), 4 + 16 + 12 + strlen(path));
    cr_assert_eq(k->nwpaths, 0);
}
