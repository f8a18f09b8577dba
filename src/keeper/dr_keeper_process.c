/*
 * The keeper process: its start (recovery, the log, the loop), its loop
 * and its end.
 *
 * The master forks it for the "keeper process" role and calls
 * dr_keeper_process_run(). The common child start (dr_child_process_init)
 * runs every module's init_process: the event module's sets up epoll, the
 * connection table and the accept events of the sockets marked for the
 * keeper, then ours (dr_keeper_init) recovers the state from data_dir
 * (newest valid snapshot, then the log), starts the log and the timers.
 * Only then does the loop turn, so no client is accepted before the tree
 * is whole.
 *
 * The loop is the workers' (dr_event_worker.c) with one difference: on
 * QUIT or TERM the keeper first closes its clients and the log (the
 * pending batch is synced), so that the event module's exit check finds no
 * socket of ours open and every acknowledged write is on disk. Clients see
 * their connection close and reconnect, to the new keeper of a reload or
 * to this one restarted: their sessions were logged, they resume them.
 *
 * Single process ("master_process off"): the keeper does not run (the
 * master warns); connections to its sockets are closed at once.
 */

#include "dr_keeper.h"


static void dr_keeper_loop(dr_cycle_t *cycle);
static void dr_keeper_stop(dr_keeper_t *k);
static dr_int_t dr_keeper_lock(dr_keeper_t *k);
static dr_int_t dr_keeper_recover_all(dr_keeper_t *k);
static dr_int_t dr_keeper_recover_node(void *data, dr_keeper_snap_node_t *n);
static dr_int_t dr_keeper_recover_session(void *data,
    dr_keeper_snap_session_t *s);
static dr_int_t dr_keeper_recover_txn(void *data, dr_keeper_log_txn_t *txn);
static int64_t dr_keeper_snap_zxid(void *data);
static dr_int_t dr_keeper_snap_walk(void *data, dr_keeper_snap_writer_t *w);
static void dr_keeper_snap_session(dr_keeper_session_t *s, void *data);


static dr_keeper_t   dr_keeper_state;
dr_keeper_t         *dr_keeper = &dr_keeper_state;


void
dr_keeper_process_run(dr_cycle_t *cycle, dr_uint_t slot)
{
    dr_worker = slot;

    dr_child_process_init(cycle, DR_PROCESS_KEEPER);

    dr_keeper_loop(cycle);
}


static void
dr_keeper_loop(dr_cycle_t *cycle)
{
    dr_keeper_t  *k;

    k = dr_keeper;

    for ( ;; ) {

        if (dr_exiting && dr_event_no_timers_left() == DR_OK) {
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "exiting");
            dr_keeper_stop(k);
            dr_child_process_exit(cycle, 0);
        }

        dr_process_events_and_timers(cycle);

        if (dr_terminate) {
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "exiting");
            dr_keeper_stop(k);
            dr_child_process_exit(cycle, 0);
        }

        if (dr_quit) {
            dr_quit = 0;

            dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                         "gracefully shutting down");

            dr_setproctitle("keeper process is shutting down");

            dr_keeper_stop(k);
            dr_event_shutdown(cycle);
        }

        if (dr_reopen) {
            dr_reopen = 0;

            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "reopening logs");

            dr_reopen_files(cycle, (uid_t) -1);
        }
    }
}


/*
 * Called from the keeper module's init_process, in the keeper process
 * (after the event module's). DR_OK, or DR_ERROR (logged at emerg): the
 * process exits with 2 and the master does not respawn it.
 */
dr_int_t
dr_keeper_init(dr_keeper_t *k, dr_cycle_t *cycle, dr_keeper_conf_t *kcf)
{
    dr_keeper_log_conf_t  lconf;

    if (dr_process != DR_PROCESS_KEEPER) {
        dr_log_error(DR_LOG_WARN, cycle->log, 0,
                     "keeper: not started: it runs only under the master "
                     "(\"master_process on\")");
        return DR_OK;
    }

    dr_memzero(k, sizeof(dr_keeper_t));

    k->log = cycle->log;
    k->conf = kcf;
    k->lock_fd = -1;

    dr_queue_init(&k->conns);
    dr_queue_init(&k->dirty);
    dr_queue_init(&k->held);

    k->latency.min = DR_TIMER_INFINITE;

    k->frame_pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, k->log);
    if (k->frame_pool == NULL) {
        return DR_ERROR;
    }

    if (dr_objpool_init(&k->conn_pool, sizeof(dr_keeper_conn_t), 0, k->log)
        != DR_OK
        || dr_objpool_init(&k->mark_pool, sizeof(dr_keeper_mark_t), 0,
                           k->log)
           != DR_OK)
    {
        return DR_ERROR;
    }

    k->conn_pool.name = "keeper connection";
    k->mark_pool.name = "keeper mark";

    k->tree = dr_calloc(sizeof(dr_keeper_tree_t), k->log);
    if (k->tree == NULL) {
        return DR_ERROR;
    }

    if (dr_keeper_tree_init(k->tree, k->log) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_keeper_session_init(k) != DR_OK || dr_keeper_watch_init(k) != DR_OK)
    {
        return DR_ERROR;
    }

    /* the data_dir as the log wants it: NUL-terminated */

    k->data_dir.len = kcf->data_dir.len;
    k->data_dir.data = dr_alloc(kcf->data_dir.len + 1, k->log);
    if (k->data_dir.data == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(k->data_dir.data, kcf->data_dir.data, kcf->data_dir.len);
    k->data_dir.data[k->data_dir.len] = '\0';

    k->cycle = cycle;

    if (dr_keeper_lock(k) != DR_OK) {
        return DR_ERROR;
    }

    /* the log holds what was valid when it was written: TTL nodes too */

    k->tree->extended_types = 1;

    if (dr_keeper_recover_all(k) != DR_OK) {
        return DR_ERROR;
    }

    k->durable_zxid = k->last_zxid;

    k->snap.dir = k->data_dir;
    k->snap.keep = (dr_uint_t) kcf->keep_snapshots;
    k->snap.fsync = kcf->fsync;
    k->snap.source.data = k;
    k->snap.source.zxid = dr_keeper_snap_zxid;
    k->snap.source.walk = dr_keeper_snap_walk;
    k->snap.log = k->log;

    dr_memzero(&lconf, sizeof(dr_keeper_log_conf_t));
    lconf.dir = k->data_dir;
    lconf.fsync = kcf->fsync;
    lconf.snapshot_every = (dr_uint_t) kcf->snapshot_every;
    lconf.snap = &k->snap;
    lconf.durable = dr_keeper_txn_batch_durable;
    lconf.data = k;

    k->txn_log = dr_keeper_log_init(&lconf, k->last_zxid, k->log);
    if (k->txn_log == NULL) {
        return DR_ERROR;
    }

    dr_keeper_ops_init(k);

    k->flush_event.handler = dr_keeper_flush;
    k->flush_event.data = k;
    k->flush_event.log = k->log;

    dr_keeper_session_start(k);

    k->reap_event.handler = dr_keeper_ops_reap;
    k->reap_event.data = k;
    k->reap_event.log = k->log;
    k->reap_event.cancelable = 1;

    dr_event_add_timer(&k->reap_event, kcf->container_reap_interval);

    k->started = dr_current_msec;

    dr_log_error(DR_LOG_NOTICE, k->log, 0,
                 "keeper: serving zxid 0x%xL, %ui znodes, %ui sessions",
                 k->last_zxid, k->tree->nnodes, k->nsessions);

    return DR_OK;
}


/*
 * One keeper per data_dir: a reload that changes the keeper{} block starts
 * the new keeper before the old one has exited, and the old one still
 * syncs and closes its log. The new one waits here, before it reads
 * anything, for the old one's lock (a POSIX record lock on data_dir/lock:
 * held by the process, released when it exits, never inherited by the
 * snapshot children it forks).
 */
static dr_int_t
dr_keeper_lock(dr_keeper_t *k)
{
    int           fd;
    u_char       *path;
    dr_uint_t     waited;
    struct flock  fl;

    path = dr_alloc(k->data_dir.len + sizeof("/lock"), k->log);
    if (path == NULL) {
        return DR_ERROR;
    }

    (void) dr_sprintf(path, "%V/lock%Z", &k->data_dir);

    fd = open((char *) path, O_RDWR|O_CREAT|O_CLOEXEC, 0600);
    if (fd == -1) {
        dr_log_error(DR_LOG_EMERG, k->log, dr_errno,
                     "keeper: open(\"%s\") failed", path);
        dr_free(path);
        return DR_ERROR;
    }

    dr_memzero(&fl, sizeof(struct flock));
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;

    for (waited = 0; fcntl(fd, F_SETLK, &fl) == -1; waited++) {

        if (errno != EACCES && errno != EAGAIN && errno != EINTR) {
            dr_log_error(DR_LOG_EMERG, k->log, dr_errno,
                         "keeper: fcntl(\"%s\", F_SETLK) failed", path);
            goto failed;
        }

        if (dr_terminate || dr_quit) {
            dr_log_error(DR_LOG_NOTICE, k->log, 0,
                         "keeper: told to exit while waiting for data_dir");
            goto failed;
        }

        if (waited % 500 == 0) {
            dr_log_error(DR_LOG_NOTICE, k->log, 0,
                         "keeper: waiting for the previous keeper to "
                         "release \"%s\"", path);
        }

        (void) usleep(10000);
    }

    dr_free(path);
    k->lock_fd = fd;

    return DR_OK;

failed:

    (void) close(fd);
    dr_free(path);

    return DR_ERROR;
}


/* snapshot + log -> the tree, the sessions and the last zxid */
static dr_int_t
dr_keeper_recover_all(dr_keeper_t *k)
{
    dr_keeper_recover_info_t     info;
    dr_keeper_recover_handler_t  h;

    h.sink.data = k;
    h.sink.node = dr_keeper_recover_node;
    h.sink.session = dr_keeper_recover_session;
    h.apply = dr_keeper_recover_txn;

    if (dr_keeper_recover(&k->data_dir, &h, &info, k->log) != DR_OK) {
        return DR_ERROR;
    }

    if (info.zxid > k->last_zxid) {
        k->last_zxid = info.zxid;
    }

    if (info.snapshot >= 0 || info.replayed) {
        dr_log_error(DR_LOG_NOTICE, k->log, 0,
                     "keeper: recovered snapshot 0x%xL and %ui "
                     "transactions from %ui log files, zxid 0x%xL",
                     info.snapshot, info.replayed, info.files, k->last_zxid);
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_recover_node(void *data, dr_keeper_snap_node_t *n)
{
    dr_keeper_t  *k = data;

    dr_int_t               rc;
    dr_keeper_tree_node_t  st;

    dr_memzero(&st, sizeof(dr_keeper_tree_node_t));

    st.czxid = n->stat.czxid;
    st.mzxid = n->stat.mzxid;
    st.pzxid = n->stat.pzxid;
    st.ctime = n->stat.ctime;
    st.mtime = n->stat.mtime;
    st.version = n->stat.version;
    st.aversion = n->stat.aversion;
    st.cversion = n->seq;
    st.ephemeral_owner = n->stat.ephemeral_owner;

    rc = dr_keeper_tree_restore(k->tree, &n->path, &n->data, &n->acl, &st);

    if (rc == DR_DECLINED) {
        dr_log_error(DR_LOG_EMERG, k->log, 0,
                     "keeper: snapshot node \"%V\" cannot be restored",
                     &n->path);
        return DR_ERROR;
    }

    return rc;
}


static dr_int_t
dr_keeper_recover_session(void *data, dr_keeper_snap_session_t *s)
{
    dr_keeper_t  *k = data;

    if (s->id == 0 || s->timeout <= 0
        || dr_keeper_session_find(k, s->id) != NULL)
    {
        dr_log_error(DR_LOG_EMERG, k->log, 0,
                     "keeper: snapshot session 0x%xL is invalid", s->id);
        return DR_ERROR;
    }

    if (dr_keeper_session_create(k, s->id, s->timeout, s->passwd) == NULL) {
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_recover_txn(void *data, dr_keeper_log_txn_t *ltxn)
{
    dr_keeper_t  *k = data;

    dr_int_t         rc;
    dr_keeper_txn_t  txn;

    dr_memzero(&txn, sizeof(dr_keeper_txn_t));

    txn.session_id = ltxn->session;
    txn.zxid = ltxn->zxid;
    txn.time = ltxn->time;
    txn.cxid = ltxn->cxid;
    txn.type = ltxn->type;
    txn.body = ltxn->body;

    rc = dr_keeper_txn_replay(k, &txn);

    dr_reset_pool(k->frame_pool);

    return rc;
}


/* the snapshotter's source: the zxid at fork, then the walk in the child */
static int64_t
dr_keeper_snap_zxid(void *data)
{
    dr_keeper_t  *k = data;

    return k->last_zxid;
}


typedef struct {
    dr_keeper_snap_writer_t  *w;
    dr_int_t                  rc;
} dr_keeper_snap_ctx_t;


static dr_int_t
dr_keeper_snap_walk(void *data, dr_keeper_snap_writer_t *w)
{
    dr_keeper_t  *k = data;

    dr_queue_t             *q;
    dr_keeper_snap_ctx_t    ctx;
    dr_keeper_tree_node_t  *node, *root;
    dr_keeper_snap_node_t   n;

    root = k->tree->root;
    node = root;

    /* preorder, without recursion: parents before their children */

    for ( ;; ) {
        n.path = node->path;
        n.data = node->data;
        dr_keeper_tree_acl_vec(node->acl, &n.acl);

        n.stat.czxid = node->czxid;
        n.stat.mzxid = node->mzxid;
        n.stat.ctime = node->ctime;
        n.stat.mtime = node->mtime;
        n.stat.version = node->version;
        n.stat.cversion = node->cversion;
        n.stat.aversion = node->aversion;
        n.stat.ephemeral_owner = node->ephemeral_owner;
        n.stat.data_length = (int32_t) node->data.len;
        n.stat.num_children = node->num_children;
        n.stat.pzxid = node->pzxid;
        n.seq = node->cversion;

        if (dr_keeper_snap_write_node(w, &n) != DR_OK) {
            return DR_ERROR;
        }

        if (!dr_queue_empty(&node->children)) {
            node = dr_keeper_tree_child(dr_queue_head(&node->children));
            continue;
        }

        while (node != root) {
            q = dr_queue_next(&node->sibling);

            if (q != dr_queue_sentinel(&node->parent->children)) {
                node = dr_keeper_tree_child(q);
                break;
            }

            node = node->parent;
        }

        if (node == root) {
            break;
        }
    }

    ctx.w = w;
    ctx.rc = DR_OK;

    dr_keeper_session_walk(k, dr_keeper_snap_session, &ctx);

    return ctx.rc;
}


static void
dr_keeper_snap_session(dr_keeper_session_t *s, void *data)
{
    dr_keeper_snap_ctx_t  *ctx = data;

    dr_keeper_snap_session_t  ss;

    if (ctx->rc != DR_OK || s->closing) {
        return;
    }

    ss.id = s->id;
    ss.timeout = s->created_timeout;
    dr_memcpy(ss.passwd, s->passwd, DR_ZK_PASSWD_LEN);
    ss.last_seen = dr_keeper_now();

    ctx->rc = dr_keeper_snap_write_session(ctx->w, &ss);
}


/*
 * QUIT or TERM: the clients are disconnected (their sessions live on, on
 * disk), the log syncs what it has and closes, a snapshot in progress is
 * abandoned. Idempotent.
 */
static void
dr_keeper_stop(dr_keeper_t *k)
{
    dr_keeper_conn_t  *kc;

    if (k->cycle == NULL || k->stopped) {
        return;
    }

    k->stopped = 1;

    while (!dr_queue_empty(&k->conns)) {
        kc = dr_queue_data(dr_queue_head(&k->conns), dr_keeper_conn_t, queue);
        dr_keeper_conn_close(kc);
    }

    if (k->txn_log) {
        dr_keeper_log_close(k->txn_log);
        k->txn_log = NULL;
    }

    dr_keeper_snap_abort(&k->snap);

    if (k->flush_event.posted) {
        dr_delete_posted_event(&k->flush_event);
    }

    if (k->tick_event.timer_set) {
        dr_event_del_timer(&k->tick_event);
    }

    if (k->reap_event.timer_set) {
        dr_event_del_timer(&k->reap_event);
    }
}


/* exit_process: frees what the keeper holds (sanitizer builds check it) */
void
dr_keeper_done(dr_keeper_t *k)
{
    dr_keeper_obuf_t  *ob;

    dr_keeper_stop(k);

    if (k->tree) {
        dr_keeper_tree_destroy(k->tree);
        dr_free(k->tree);
        k->tree = NULL;
    }

    dr_keeper_session_done(k);
    dr_keeper_watch_done(k);

    while (k->free_obufs) {
        ob = k->free_obufs;
        k->free_obufs = ob->next;
        dr_free(ob);
    }

    dr_objpool_destroy(&k->conn_pool);
    dr_objpool_destroy(&k->mark_pool);

    if (k->frame_pool) {
        dr_destroy_pool(k->frame_pool);
        k->frame_pool = NULL;
    }

    if (k->data_dir.data) {
        dr_free(k->data_dir.data);
        k->data_dir.data = NULL;
    }

    if (k->lock_fd != -1) {
        (void) close(k->lock_fd);
        k->lock_fd = -1;
    }

    k->cycle = NULL;
}
