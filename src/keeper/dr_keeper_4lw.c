/*
 * The four-letter words: text commands on a fresh connection, answered in
 * ZooKeeper 3.8's formats (NIOServerCnxn.checkFourLetterWord and the
 * commands of org.apache.zookeeper.server.command), then the connection
 * is closed.
 *
 * The first four bytes of a connection are a word when they spell one
 * this server knows; anything else is the length of the ConnectRequest
 * (ZooKeeper reads them the same way). A known word that is not in
 * four_letter_words is answered "<word> is not executed because it is not
 * in the whitelist.". The answer is built in the keeper's frame pool,
 * queued like a reply (so it waits for nothing but the txns already
 * applied), and the connection closes once it is sent.
 *
 * Differences that remain (docs/keeper.md): the version string names
 * drover, envi describes this process instead of a JVM, mntr has the
 * counters drover keeps (the first block of ZooKeeper's, same names and
 * order) rather than ZooKeeper's hundreds of internal metrics.
 */

#include "dr_keeper.h"

#include <sys/utsname.h>


typedef struct {
    u_char           *start;
    u_char           *pos;
    u_char           *end;
    dr_pool_t        *pool;
    dr_uint_t         failed;
} dr_keeper_text_t;


static void dr_keeper_4lw_printf(dr_keeper_text_t *t, const char *fmt, ...);
static void dr_keeper_4lw_latency(dr_keeper_text_t *t, const char *sep,
    dr_keeper_latency_t *lat);
static void dr_keeper_4lw_double(dr_keeper_text_t *t, dr_keeper_latency_t *lat);
static void dr_keeper_4lw_srvr(dr_keeper_conn_t *kc, dr_keeper_text_t *t,
    dr_uint_t stat);
static void dr_keeper_4lw_cons(dr_keeper_conn_t *kc, dr_keeper_text_t *t,
    dr_uint_t brief);
static void dr_keeper_4lw_conn(dr_keeper_conn_t *me, dr_keeper_conn_t *kc,
    dr_keeper_text_t *t, dr_uint_t brief);
static void dr_keeper_4lw_mntr(dr_keeper_conn_t *kc, dr_keeper_text_t *t);
static void dr_keeper_4lw_wchs(dr_keeper_conn_t *kc, dr_keeper_text_t *t);
static void dr_keeper_4lw_watches(dr_keeper_conn_t *kc, dr_keeper_text_t *t,
    dr_uint_t by_path);
static void dr_keeper_4lw_dump(dr_keeper_conn_t *kc, dr_keeper_text_t *t);
static void dr_keeper_4lw_conf(dr_keeper_conn_t *kc, dr_keeper_text_t *t);
static void dr_keeper_4lw_envi(dr_keeper_conn_t *kc, dr_keeper_text_t *t);
static void dr_keeper_4lw_dirs(dr_keeper_conn_t *kc, dr_keeper_text_t *t);
static off_t dr_keeper_4lw_dir_size(dr_str_t *dir);
static void dr_keeper_4lw_date(dr_keeper_text_t *t, dr_msec_t wall);
static void dr_keeper_4lw_addr(dr_keeper_text_t *t, dr_connection_t *c);
static dr_uint_t dr_keeper_4lw_outstanding(dr_keeper_t *k);
static dr_uint_t dr_keeper_4lw_count_session(dr_keeper_t *k, int64_t id);


dr_int_t
dr_keeper_4lw(dr_keeper_conn_t *kc, u_char *word)
{
    dr_uint_t          bit;
    dr_keeper_t       *k;
    dr_keeper_text_t   t;

    bit = dr_keeper_4lw_bit(word, 4);
    if (bit == 0) {
        return DR_DECLINED;
    }

    k = kc->k;
    kc->four = 1;
    kc->received++;
    k->received++;

    dr_memzero(&t, sizeof(dr_keeper_text_t));
    t.pool = k->frame_pool;

    if (!(k->conf->four_letter_words & bit)) {
        dr_keeper_4lw_printf(&t, "%*s is not executed because it is not in "
                             "the whitelist.\n", (size_t) 4, word);
        goto done;
    }

    switch (bit) {

    case DR_KEEPER_4LW_RUOK:
        dr_keeper_4lw_printf(&t, "imok");
        break;

    case DR_KEEPER_4LW_ISRO:
        dr_keeper_4lw_printf(&t, "rw");
        break;

    case DR_KEEPER_4LW_SRVR:
        dr_keeper_4lw_srvr(kc, &t, 0);
        break;

    case DR_KEEPER_4LW_STAT:
        dr_keeper_4lw_srvr(kc, &t, 1);
        break;

    case DR_KEEPER_4LW_CONS:
        dr_keeper_4lw_cons(kc, &t, 0);
        dr_keeper_4lw_printf(&t, "\n");
        break;

    case DR_KEEPER_4LW_MNTR:
        dr_keeper_4lw_mntr(kc, &t);
        break;

    case DR_KEEPER_4LW_WCHS:
        dr_keeper_4lw_wchs(kc, &t);
        break;

    case DR_KEEPER_4LW_WCHC:
        dr_keeper_4lw_watches(kc, &t, 0);
        break;

    case DR_KEEPER_4LW_WCHP:
        dr_keeper_4lw_watches(kc, &t, 1);
        break;

    case DR_KEEPER_4LW_DUMP:
        dr_keeper_4lw_dump(kc, &t);
        break;

    case DR_KEEPER_4LW_CONF:
        dr_keeper_4lw_conf(kc, &t);
        break;

    case DR_KEEPER_4LW_ENVI:
        dr_keeper_4lw_envi(kc, &t);
        break;

    case DR_KEEPER_4LW_DIRS:
        dr_keeper_4lw_dirs(kc, &t);
        break;

    case DR_KEEPER_4LW_CRST:
        dr_keeper_4lw_reset_conns(k);
        dr_keeper_4lw_printf(&t, "Connection stats reset.\n");
        break;

    case DR_KEEPER_4LW_SRST:
        k->received = 0;
        k->sent = 0;
        dr_memzero(&k->latency, sizeof(dr_keeper_latency_t));
        k->latency.min = DR_TIMER_INFINITE;
        dr_keeper_4lw_printf(&t, "Server stats reset.\n");
        break;
    }

done:

    if (t.failed || (t.pos > t.start
                     && dr_keeper_queue_raw(kc, t.start,
                                            (size_t) (t.pos - t.start))
                        != DR_OK))
    {
        kc->broken = 1;
    }

    dr_reset_pool(k->frame_pool);

    dr_keeper_conn_finalize(kc);

    return DR_OK;
}


/* appends to the text, growing it in the frame pool as needed */
static void
dr_keeper_4lw_printf(dr_keeper_text_t *t, const char *fmt, ...)
{
    u_char   *p, *n;
    size_t    size;
    va_list   args;

    for ( ;; ) {
        if (t->failed) {
            return;
        }

        if (t->start) {
            va_start(args, fmt);
            p = dr_vslprintf(t->pos, t->end, fmt, args);
            va_end(args);

            /* a full buffer may hide a truncation: grow and format again */

            if (p < t->end) {
                t->pos = p;
                return;
            }
        }

        size = t->start ? (size_t) (t->end - t->start) * 2 : 4096;

        n = dr_pnalloc(t->pool, size);
        if (n == NULL) {
            t->failed = 1;
            return;
        }

        if (t->start) {
            dr_memcpy(n, t->start, (size_t) (t->pos - t->start));
        }

        t->pos = n + (t->pos - t->start);
        t->start = n;
        t->end = n + size;
    }
}


/* "min/avg/max" with ZooKeeper's conventions: 0 when nothing was measured */
static void
dr_keeper_4lw_latency(dr_keeper_text_t *t, const char *sep,
    dr_keeper_latency_t *lat)
{
    dr_keeper_4lw_printf(t, "%M%s", lat->count ? lat->min : 0, sep);
    dr_keeper_4lw_double(t, lat);
    dr_keeper_4lw_printf(t, "%s%M", sep, lat->max);
}


/* the average as Java prints a double: "0.0", "1.5", "2.3333" */
static void
dr_keeper_4lw_double(dr_keeper_text_t *t, dr_keeper_latency_t *lat)
{
    u_char   buf[64], *p;
    double   avg;

    avg = lat->count ? (double) lat->total / (double) lat->count : 0.0;

    p = dr_snprintf(buf, sizeof(buf) - 1, "%.4f", avg);

    while (p > buf + 1 && p[-1] == '0' && p[-2] != '.') {
        p--;
    }

    dr_keeper_4lw_printf(t, "%*s", (size_t) (p - buf), buf);
}


static void
dr_keeper_4lw_srvr(dr_keeper_conn_t *kc, dr_keeper_text_t *t, dr_uint_t stat)
{
    dr_keeper_t  *k;

    k = kc->k;

    dr_keeper_4lw_printf(t, "Zookeeper version: %s\n", DR_KEEPER_ZK_VERSION);

    if (stat) {
        dr_keeper_4lw_printf(t, "Clients:\n");
        dr_keeper_4lw_cons(kc, t, 1);
        dr_keeper_4lw_printf(t, "\n");
    }

    dr_keeper_4lw_printf(t, "Latency min/avg/max: ");
    dr_keeper_4lw_latency(t, "/", &k->latency);

    dr_keeper_4lw_printf(t, "\nReceived: %uL\nSent: %uL\nConnections: %ui\n"
                         "Outstanding: %ui\nZxid: 0x%xL\nMode: standalone\n"
                         "Node count: %ui\n",
                         k->received, k->sent, k->nconns,
                         dr_keeper_4lw_outstanding(k), k->last_zxid,
                         k->tree->nnodes + 1);
}


static dr_uint_t
dr_keeper_4lw_outstanding(dr_keeper_t *k)
{
    dr_uint_t          n;
    dr_queue_t        *q;
    dr_keeper_mark_t  *m;
    dr_keeper_conn_t  *kc;

    /* requests whose replies wait for the log */

    n = 0;

    for (q = dr_queue_head(&k->held);
         q != dr_queue_sentinel(&k->held);
         q = dr_queue_next(q))
    {
        kc = dr_queue_data(q, dr_keeper_conn_t, held);

        for (m = (dr_keeper_mark_t *) dr_queue_head(&kc->marks);
             &m->queue != dr_queue_sentinel(&kc->marks);
             m = (dr_keeper_mark_t *) dr_queue_next(&m->queue))
        {
            n += m->frames;
        }
    }

    return n;
}


/* every connection, newest last, as ServerCnxn.dumpConnectionInfo() */
static void
dr_keeper_4lw_cons(dr_keeper_conn_t *kc, dr_keeper_text_t *t, dr_uint_t brief)
{
    dr_queue_t        *q;
    dr_keeper_t       *k;
    dr_keeper_conn_t  *other;

    k = kc->k;

    for (q = dr_queue_head(&k->conns);
         q != dr_queue_sentinel(&k->conns);
         q = dr_queue_next(q))
    {
        other = dr_queue_data(q, dr_keeper_conn_t, queue);
        dr_keeper_4lw_conn(kc, other, t, brief);
    }
}


static void
dr_keeper_4lw_conn(dr_keeper_conn_t *me, dr_keeper_conn_t *kc,
    dr_keeper_text_t *t, dr_uint_t brief)
{
    dr_keeper_4lw_printf(t, " ");
    dr_keeper_4lw_addr(t, kc->c);

    /* the interest set: reading (1) unless answering a four-letter word */

    dr_keeper_4lw_printf(t, "[%s](queued=%ui,recved=%uL,sent=%uL",
                         (kc == me || kc->four || kc->paused) ? "0" : "1",
                         kc->queued, kc->received, kc->sent);

    if (!brief && kc->session) {
        dr_keeper_4lw_printf(t, ",sid=0x%xL,lop=%s,est=%M,to=%D",
                             kc->session->id, kc->last_op, kc->established,
                             kc->session->timeout);

        if (kc->last_cxid >= 0) {
            dr_keeper_4lw_printf(t, ",lcxid=0x%xL", kc->last_cxid);
        }

        /* lresp is on the monotonic clock, avglat a long: as ZooKeeper's */

        dr_keeper_4lw_printf(t, ",lzxid=0x%xL,lresp=%M,llat=%M,minlat=%M,"
                             "avglat=%uL,maxlat=%M)\n",
                             kc->last_zxid, kc->last_response,
                             kc->latency.last,
                             kc->latency.count ? kc->latency.min : 0,
                             kc->latency.count
                             ? kc->latency.total / kc->latency.count : 0,
                             kc->latency.max);
        return;
    }

    dr_keeper_4lw_printf(t, ")\n");
}


/* Java's InetSocketAddress: "/127.0.0.1:5678", "/[0:0:0:0:0:0:0:1]:5678" */
static void
dr_keeper_4lw_addr(dr_keeper_text_t *t, dr_connection_t *c)
{
    u_char  text[DR_SOCKADDR_STRLEN];
    size_t  len;

    len = dr_sock_ntop(c->sockaddr, c->socklen, text, sizeof(text), 1);

    dr_keeper_4lw_printf(t, "/%*s", len, text);
}


void
dr_keeper_4lw_reset_conns(dr_keeper_t *k)
{
    dr_queue_t        *q;
    dr_keeper_conn_t  *kc;

    for (q = dr_queue_head(&k->conns);
         q != dr_queue_sentinel(&k->conns);
         q = dr_queue_next(q))
    {
        kc = dr_queue_data(q, dr_keeper_conn_t, queue);

        kc->received = 0;
        kc->sent = 0;
        kc->last_cxid = -1;
        kc->last_zxid = -1;
        kc->last_op = "NA";
        kc->last_response = 0;
        dr_memzero(&kc->latency, sizeof(dr_keeper_latency_t));
        kc->latency.min = DR_TIMER_INFINITE;
    }
}


static void
dr_keeper_4lw_mntr(dr_keeper_conn_t *kc, dr_keeper_text_t *t)
{
    dr_keeper_t     *k;
    struct rlimit    rlim;
    dr_uint_t        fds;
    DIR             *dir;
    struct dirent   *de;

    k = kc->k;

    fds = 0;
    dir = opendir("/proc/self/fd");

    if (dir) {
        while ((de = readdir(dir)) != NULL) {
            if (de->d_name[0] != '.') {
                fds++;
            }
        }

        (void) closedir(dir);

        fds--;          /* the directory's own fd */
    }

    if (getrlimit(RLIMIT_NOFILE, &rlim) == -1) {
        rlim.rlim_cur = 0;
    }

    dr_keeper_4lw_printf(t, "zk_version\t%s\nzk_server_state\tstandalone\n"
                         "zk_ephemerals_count\t%ui\n"
                         "zk_num_alive_connections\t%ui\n"
                         "zk_avg_latency\t",
                         DR_KEEPER_ZK_VERSION, k->tree->nephemerals,
                         k->nconns);
    dr_keeper_4lw_double(t, &k->latency);

    dr_keeper_4lw_printf(t, "\nzk_outstanding_requests\t%ui\n"
                         "zk_znode_count\t%ui\n"
                         "zk_global_sessions\t%ui\n"
                         "zk_non_mtls_remote_conn_count\t0\n"
                         "zk_packets_sent\t%uL\n"
                         "zk_packets_received\t%uL\n"
                         "zk_watch_count\t%ui\n"
                         "zk_auth_failed_count\t%uL\n"
                         "zk_min_latency\t%M\n"
                         "zk_max_file_descriptor_count\t%uL\n"
                         "zk_approximate_data_size\t%uL\n"
                         "zk_open_file_descriptor_count\t%ui\n"
                         "zk_local_sessions\t0\n"
                         "zk_uptime\t%M\n"
                         "zk_max_latency\t%M\n"
                         "zk_outstanding_tls_handshake\t0\n"
                         "zk_non_mtls_local_conn_count\t0\n"
                         "zk_connection_rejected\t%uL\n"
                         "zk_last_proposal_size\t-1\n",
                         dr_keeper_4lw_outstanding(k),
                         k->tree->nnodes + 1, k->nsessions,
                         k->sent, k->received, k->nwatches, k->auth_failed,
                         k->latency.count ? k->latency.min : 0,
                         (uint64_t) rlim.rlim_cur, k->tree->data_size, fds,
                         dr_current_msec - k->started, k->latency.max,
                         k->rejected);
}


/* the data watches only, as DataTree.getWatchesSummary() */
static void
dr_keeper_4lw_wchs(dr_keeper_conn_t *kc, dr_keeper_text_t *t)
{
    dr_uint_t  conns, paths, watches;

    dr_keeper_watch_summary(kc->k, DR_KEEPER_WATCH_DATA, &conns, &paths,
                            &watches);

    dr_keeper_4lw_printf(t, "%ui connections watching %ui paths\n"
                         "Total watches:%ui\n", conns, paths, watches);
}


typedef struct {
    dr_keeper_text_t   *t;
    dr_keeper_conn_t   *last;
    dr_str_t           *last_path;
    dr_uint_t           by_path;
} dr_keeper_4lw_watch_ctx_t;


static void
dr_keeper_4lw_watch_line(dr_keeper_conn_t *kc, dr_str_t *path, void *data)
{
    dr_keeper_4lw_watch_ctx_t  *ctx = data;

    int64_t  sid;

    sid = kc->session ? kc->session->id : 0;

    if (ctx->by_path) {
        if (ctx->last_path == NULL || !dr_str_eq(ctx->last_path, path)) {
            dr_keeper_4lw_printf(ctx->t, "%V\n", path);
            ctx->last_path = path;
        }

        dr_keeper_4lw_printf(ctx->t, "\t0x%xL\n", sid);
        return;
    }

    if (ctx->last != kc) {
        dr_keeper_4lw_printf(ctx->t, "0x%xL\n", sid);
        ctx->last = kc;
    }

    dr_keeper_4lw_printf(ctx->t, "\t%V\n", path);
}


/* wchc (by session) and wchp (by path) */
static void
dr_keeper_4lw_watches(dr_keeper_conn_t *kc, dr_keeper_text_t *t,
    dr_uint_t by_path)
{
    dr_keeper_4lw_watch_ctx_t  ctx;

    dr_memzero(&ctx, sizeof(ctx));
    ctx.t = t;
    ctx.by_path = by_path;

    dr_keeper_watch_walk(kc->k, !by_path, DR_KEEPER_WATCH_DATA,
                         dr_keeper_4lw_watch_line, &ctx);

    dr_keeper_4lw_printf(t, "\n");
}


typedef struct {
    dr_keeper_t        *k;
    dr_keeper_text_t   *t;
    dr_uint_t           n;
} dr_keeper_4lw_dump_ctx_t;


static void
dr_keeper_4lw_dump_ephemerals(dr_keeper_session_t *s, void *data)
{
    dr_keeper_4lw_dump_ctx_t  *ctx = data;

    dr_queue_t              *q;
    dr_keeper_tree_owner_t  *owner;
    dr_keeper_tree_node_t   *node;

    owner = dr_keeper_tree_owner(ctx->k->tree, s->id);

    if (owner == NULL || owner->count == 0) {
        return;
    }

    dr_keeper_4lw_printf(ctx->t, "0x%xL:\n", s->id);

    for (q = dr_queue_head(&owner->nodes);
         q != dr_queue_sentinel(&owner->nodes);
         q = dr_queue_next(q))
    {
        node = dr_keeper_tree_owner_node(q);
        dr_keeper_4lw_printf(ctx->t, "\t%V\n", &node->path);
    }
}


static dr_uint_t
dr_keeper_4lw_count_session(dr_keeper_t *k, int64_t id)
{
    dr_keeper_tree_owner_t  *owner;

    owner = dr_keeper_tree_owner(k->tree, id);

    return owner && owner->count;
}


static void
dr_keeper_4lw_count_ephemerals(dr_keeper_session_t *s, void *data)
{
    dr_keeper_4lw_dump_ctx_t  *ctx = data;

    ctx->n += dr_keeper_4lw_count_session(ctx->k, s->id);
}


/*
 * SessionTracker dump (sessions grouped by expiry time), the ephemerals
 * by session, and the connections.
 */
static void
dr_keeper_4lw_dump(dr_keeper_conn_t *kc, dr_keeper_text_t *t)
{
    dr_msec_t                  key, wall;
    dr_uint_t                  sets, n;
    dr_queue_t                *q;
    dr_keeper_t               *k;
    dr_rbtree_node_t          *node, *next, *first;
    dr_keeper_conn_t          *other;
    dr_keeper_session_t       *s;
    dr_keeper_4lw_dump_ctx_t   ctx;

    k = kc->k;
    wall = (dr_msec_t) dr_keeper_now();

    /* the sets of sessions that expire at the same tick */

    sets = 0;
    key = 0;

    if (!dr_rbtree_empty(&k->expiry)) {
        for (node = dr_rbtree_min(k->expiry.root, k->expiry.sentinel);
             node;
             node = dr_rbtree_next(&k->expiry, node))
        {
            if (sets == 0 || (dr_msec_t) node->key != key) {
                sets++;
                key = (dr_msec_t) node->key;
            }
        }
    }

    dr_keeper_4lw_printf(t, "SessionTracker dump:\nSession Sets (%ui)/(%ui):\n",
                         sets, k->nsessions);

    if (!dr_rbtree_empty(&k->expiry)) {
        node = dr_rbtree_min(k->expiry.root, k->expiry.sentinel);

        while (node) {
            first = node;
            key = (dr_msec_t) node->key;
            n = 0;

            for (next = node; next && (dr_msec_t) next->key == key;
                 next = dr_rbtree_next(&k->expiry, next))
            {
                n++;
            }

            dr_keeper_4lw_printf(t, "%ui expire at ", n);
            dr_keeper_4lw_date(t, wall + (key - dr_current_msec));
            dr_keeper_4lw_printf(t, ":\n");

            for (node = first; node != next;
                 node = dr_rbtree_next(&k->expiry, node))
            {
                s = dr_rbtree_data(node, dr_keeper_session_t, expiry);
                dr_keeper_4lw_printf(t, "\t0x%xL\n", s->id);
            }

            node = next;
        }
    }

    ctx.k = k;
    ctx.t = t;
    ctx.n = 0;

    dr_keeper_session_walk(k, dr_keeper_4lw_count_ephemerals, &ctx);

    dr_keeper_4lw_printf(t, "ephemeral nodes dump:\n"
                         "Sessions with Ephemerals (%ui):\n", ctx.n);

    dr_keeper_session_walk(k, dr_keeper_4lw_dump_ephemerals, &ctx);

    dr_keeper_4lw_printf(t, "Connections dump:\n"
                         "Connections Sets (%ui)/(%ui):\n",
                         k->nconns ? 1 : 0, k->nconns);

    if (k->nconns) {
        dr_keeper_4lw_printf(t, "%ui expire at ", k->nconns);
        dr_keeper_4lw_date(t, wall + k->conf->tick_time);
        dr_keeper_4lw_printf(t, ":\n");

        for (q = dr_queue_head(&k->conns);
             q != dr_queue_sentinel(&k->conns);
             q = dr_queue_next(q))
        {
            other = dr_queue_data(q, dr_keeper_conn_t, queue);

            dr_keeper_4lw_printf(t, "\tip: ");
            dr_keeper_4lw_addr(t, other->c);
            dr_keeper_4lw_printf(t, " sessionId: 0x%xL\n",
                                 other->session ? other->session->id
                                                : (int64_t) 0);
        }
    }
}


/* Java's Date.toString(): "Wed Nov 25 03:01:31 UTC 2026" */
static void
dr_keeper_4lw_date(dr_keeper_text_t *t, dr_msec_t wall)
{
    char       buf[64];
    time_t     sec;
    struct tm  tm;

    sec = (time_t) (wall / 1000);

    if (localtime_r(&sec, &tm) == NULL
        || strftime(buf, sizeof(buf), "%a %b %d %H:%M:%S %Z %Y", &tm) == 0)
    {
        buf[0] = '\0';
    }

    dr_keeper_4lw_printf(t, "%s", buf);
}


static void
dr_keeper_4lw_conf(dr_keeper_conn_t *kc, dr_keeper_text_t *t)
{
    off_t                size;
    dr_keeper_t         *k;
    dr_keeper_conf_t    *kcf;
    dr_keeper_listen_t  *kl;

    k = kc->k;
    kcf = k->conf;
    kl = kcf->listen.elts;

    size = dr_keeper_4lw_dir_size(&kcf->data_dir);

    dr_keeper_4lw_printf(t, "clientPort=%ui\nsecureClientPort=-1\n"
                         "dataDir=%V\ndataDirSize=%O\n"
                         "dataLogDir=%V\ndataLogSize=%O\n"
                         "tickTime=%M\nmaxClientCnxns=%i\n"
                         "minSessionTimeout=%M\nmaxSessionTimeout=%M\n"
                         "clientPortListenBacklog=%d\nserverId=0\n",
                         (dr_uint_t) dr_inet_get_port(&kl[0].sockaddr.sockaddr),
                         &kcf->data_dir, size, &kcf->data_dir, size,
                         kcf->tick_time, kcf->max_connections_per_ip,
                         kcf->min_session_timeout, kcf->max_session_timeout,
                         kl[0].backlog == DR_LISTEN_BACKLOG ? -1
                                                            : kl[0].backlog);
}


static void
dr_keeper_4lw_dirs(dr_keeper_conn_t *kc, dr_keeper_text_t *t)
{
    off_t  size;

    size = dr_keeper_4lw_dir_size(&kc->k->conf->data_dir);

    dr_keeper_4lw_printf(t, "datadir_size: %O\nlogdir_size: %O\n",
                         size, size);
}


/* the bytes of the regular files of <dir> (not recursive) */
static off_t
dr_keeper_4lw_dir_size(dr_str_t *dir)
{
    int             fd;
    off_t           size;
    DIR            *d;
    char            path[PATH_MAX];
    struct stat     st;
    struct dirent  *de;

    if (dir->len >= sizeof(path)) {
        return 0;
    }

    dr_memcpy(path, dir->data, dir->len);
    path[dir->len] = '\0';

    d = opendir(path);
    if (d == NULL) {
        return 0;
    }

    fd = dirfd(d);
    size = 0;

    while ((de = readdir(d)) != NULL) {
        if (fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0
            && S_ISREG(st.st_mode))
        {
            size += st.st_size;
        }
    }

    (void) closedir(d);

    return size;
}


static void
dr_keeper_4lw_envi(dr_keeper_conn_t *kc, dr_keeper_text_t *t)
{
    char             cwd[PATH_MAX];
    struct passwd   *pw;
    struct utsname   u;

    if (uname(&u) == -1) {
        dr_memzero(&u, sizeof(u));
    }

    if (getcwd(cwd, sizeof(cwd)) == NULL) {
        cwd[0] = '\0';
    }

    pw = getpwuid(geteuid());

    dr_keeper_4lw_printf(t, "Environment:\nzookeeper.version=%s\n"
                         "host.name=%V\ndrover.version=%s\n"
                         "os.name=%s\nos.arch=%s\nos.version=%s\n"
                         "user.name=%s\nuser.home=%s\nuser.dir=%s\n"
                         "process.id=%P\n",
                         DR_KEEPER_ZK_VERSION, &kc->k->cycle->hostname,
                         DR_VERSION, u.sysname, u.machine, u.release,
                         pw ? pw->pw_name : "?", pw ? pw->pw_dir : "?", cwd,
                         dr_pid);
}
