/*
 * The keeper layer's umbrella header: the embedded ZooKeeper-compatible
 * server. One keeper process (role "keeper process", started by the master
 * when the configuration has a keeper{} block) owns everything declared
 * here: the znode tree (dr_keeper_tree.h), the sessions, the client
 * connections, the watches and the transaction log. Nothing of it is
 * shared with other processes: the listening sockets are opened by the
 * master (so they survive keeper restarts) and accepted on only here.
 *
 * Files: dr_keeper_module.c (the keeper{} block, the process role),
 * dr_keeper_process.c (the process and its loop), dr_keeper_server.c
 * (connections, framing, the handshake, replies and their order),
 * dr_keeper_session.c (sessions and their expiry), dr_keeper_ops.c (the
 * request handlers), dr_keeper_watch.c, dr_keeper_acl.c, dr_keeper_4lw.c,
 * dr_keeper_txn.c (the commit seam, see dr_keeper_txn.h).
 */
#ifndef DR_KEEPER_H_INCLUDED
#define DR_KEEPER_H_INCLUDED

#include "dr_config.h"
#include "dr_core.h"
#include "dr_event.h"
#include "dr_zk.h"

#include "dr_keeper_txn.h"
#include "dr_keeper_tree.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"


/* the keeper{} block's directives */
#define DR_KEEPER_CONF                0x02000000

#define DR_KEEPER_PROCESS_ROLE        "keeper process"

/* ZooKeeper's "3.8.0-<git>, built on <date>": clients parse the 3.8 */
#define DR_KEEPER_ZK_VERSION          "3.8.0-drover/" DR_VERSION              \
                                      ", built on " DR_VER

/* four_letter_words: one bit per word */
#define DR_KEEPER_4LW_RUOK            0x0001
#define DR_KEEPER_4LW_STAT            0x0002
#define DR_KEEPER_4LW_SRVR            0x0004
#define DR_KEEPER_4LW_MNTR            0x0008
#define DR_KEEPER_4LW_CONS            0x0010
#define DR_KEEPER_4LW_WCHS            0x0020
#define DR_KEEPER_4LW_DUMP            0x0040
#define DR_KEEPER_4LW_CONF            0x0080
#define DR_KEEPER_4LW_ENVI            0x0100
#define DR_KEEPER_4LW_ISRO            0x0200
#define DR_KEEPER_4LW_WCHC            0x0400
#define DR_KEEPER_4LW_WCHP            0x0800
#define DR_KEEPER_4LW_CRST            0x1000
#define DR_KEEPER_4LW_SRST            0x2000
#define DR_KEEPER_4LW_DIRS            0x4000
#define DR_KEEPER_4LW_ALL             0x7fff

/* output blocks of a connection: replies are encoded straight into them */
#define DR_KEEPER_OBUF_SIZE           (16 * 1024)
/* a connection that is not sent its replies stops being read beyond this */
#define DR_KEEPER_OUT_HIGH            (4 * 1024 * 1024)
/* ZooKeeper closes a connection that has not said hello within 10 s */
#define DR_KEEPER_HANDSHAKE_TIMEOUT   10000


typedef struct dr_keeper_conn_s      dr_keeper_conn_t;
typedef struct dr_keeper_session_s  dr_keeper_session_t;
typedef struct dr_keeper_obuf_s     dr_keeper_obuf_t;
typedef struct dr_keeper_wpath_s    dr_keeper_wpath_t;
typedef struct dr_keeper_watch_s    dr_keeper_watch_t;


typedef struct {
    dr_sockaddr_t            sockaddr;
    socklen_t                socklen;
    dr_str_t                 text;          /* as written, for messages */
    int                      backlog;
} dr_keeper_listen_t;

typedef struct {
    dr_flag_t                enabled;       /* a keeper{} block was seen */
    dr_array_t               listen;        /* dr_keeper_listen_t */
    dr_str_t                 data_dir;      /* absolute after init_conf */
    dr_msec_t                tick_time;
    dr_msec_t                min_session_timeout;
    dr_msec_t                max_session_timeout;
    dr_flag_t                fsync;
    dr_int_t                 snapshot_every;
    dr_int_t                 keep_snapshots;
    dr_int_t                 max_connections_per_ip;
    size_t                   max_frame;
    dr_int_t                 max_outstanding;
    dr_int_t                 max_watches;
    dr_uint_t                four_letter_words;
    dr_str_t                 super_digest;  /* "super:base64(sha1)" */
    dr_flag_t                extended_types;
    dr_msec_t                container_reap_interval;
    dr_str_t                 fingerprint;   /* canonical text of the block */
} dr_keeper_conf_t;


/*
 * An output block. A reply is encoded into the free space of the last
 * block of its connection; one that does not fit gets a new block (of the
 * reply's size if larger than DR_KEEPER_OBUF_SIZE). Standard blocks go
 * back to the keeper's free list once sent.
 */
struct dr_keeper_obuf_s {
    dr_keeper_obuf_t        *next;
    u_char                  *pos;           /* next byte to send */
    u_char                  *last;          /* end of the data */
    u_char                  *end;
    dr_uint_t                frames;        /* replies that end here */
    size_t                   size;
};

/*
 * Bytes from <pos> (a count of bytes ever queued on the connection) on
 * wait until the txn <barrier> is durable; <frames> replies of them,
 * received at <received> at the earliest (latency statistics).
 */
typedef struct {
    dr_queue_t               queue;
    uint64_t                 pos;
    int64_t                  barrier;
    dr_uint_t                frames;
    dr_msec_t                received;
} dr_keeper_mark_t;

typedef struct {
    dr_msec_t                min;
    dr_msec_t                max;
    uint64_t                 total;
    uint64_t                 count;
    dr_msec_t                last;
} dr_keeper_latency_t;

struct dr_keeper_conn_s {
    dr_connection_t         *c;
    dr_keeper_t             *k;
    dr_keeper_session_t     *session;       /* NULL before the handshake */
    dr_queue_t               queue;         /* in k->conns */
    dr_queue_t               dirty;         /* in k->dirty; next NULL if not */
    dr_queue_t               held;          /* in k->held while it has marks */

    /* input: frames are parsed in place, views into them live until the
     * next read moves the buffer */
    u_char                  *in_start;
    u_char                  *in_pos;
    u_char                  *in_last;
    u_char                  *in_end;
    size_t                   in_size;       /* standard size, for shrinking */

    /* output */
    dr_keeper_obuf_t        *out_head;
    dr_keeper_obuf_t        *out_tail;
    uint64_t                 out_total;     /* bytes ever queued */
    uint64_t                 out_sent;
    dr_queue_t               marks;         /* dr_keeper_mark_t, held bytes */
    dr_uint_t                queued;        /* replies not yet sent */

    /* auth: the ids the connection proved (the first is "ip:<addr>") */
    dr_zk_id_t              *auth;
    dr_uint_t                nauth;
    dr_uint_t                auth_size;
    dr_uint_t                super;

    /* watches: dr_keeper_watch_t of this connection */
    dr_queue_t               watches;
    dr_uint_t                nwatches;
    dr_uint_t                trigger_stamp; /* see dr_keeper_watch.c */

    /* statistics, for cons/stat */
    uint64_t                 received;
    uint64_t                 sent;
    int64_t                  last_cxid;
    int64_t                  last_zxid;
    const char              *last_op;
    dr_msec_t                established;   /* ms since the epoch */
    dr_msec_t                last_response; /* ms since the epoch */
    dr_keeper_latency_t      latency;
    dr_msec_t                frame_received;

    unsigned                 hello:1;       /* ConnectRequest processed */
    unsigned                 closing:1;     /* send what is queued, close */
    unsigned                 paused:1;      /* back-pressure: not reading */
    unsigned                 four:1;        /* a four-letter word */
    unsigned                 broken:1;      /* could not queue: close it */
};

struct dr_keeper_session_s {
    int64_t                  id;
    u_char                   passwd[DR_ZK_PASSWD_LEN];
    int32_t                  timeout;       /* negotiated, ms */
    int32_t                  created_timeout; /* as logged */
    dr_rbtree_node_t         expiry;        /* key: deadline, dr_msec_t */
    dr_keeper_session_t     *hnext;         /* hash chain */
    dr_keeper_conn_t        *conn;          /* NULL while disconnected */
    unsigned                 closing:1;     /* closeSession applied */
    unsigned                 in_expiry:1;
};

/* the keeper process's whole state */
struct dr_keeper_s {
    dr_cycle_t              *cycle;
    dr_log_t                *log;
    dr_keeper_conf_t        *conf;
    dr_keeper_tree_t        *tree;
    dr_keeper_log_t         *txn_log;       /* NULL: no durability */
    dr_keeper_snap_t         snap;
    dr_str_t                 data_dir;      /* NUL-terminated copy */
    int                      lock_fd;       /* data_dir/lock, held */
    dr_pool_t               *frame_pool;    /* per request, reset after it */

    int64_t                  last_zxid;     /* the last applied */
    int64_t                  durable_zxid;
    int64_t                  acl_zxid;      /* the last setACL applied */
    int64_t                  barrier;       /* of the frame queued now; 0:
                                               the last applied zxid */
    int32_t                  txn_err;       /* of the next error txn */
    dr_uint_t                stopped;

    /* sessions: hash by id, expiry tree by deadline */
    dr_keeper_session_t    **sessions;
    dr_uint_t                sessions_mask;
    dr_uint_t                nsessions;
    dr_rbtree_t              expiry;
    dr_rbtree_node_t         expiry_sentinel;
    dr_objpool_t             session_pool;
    int64_t                  next_session_id;

    /* connections */
    dr_queue_t               conns;
    dr_uint_t                nconns;
    dr_queue_t               dirty;
    dr_queue_t               held;          /* connections with marks */
    dr_objpool_t             conn_pool;
    dr_objpool_t             mark_pool;
    dr_keeper_obuf_t        *free_obufs;
    dr_uint_t                nfree_obufs;

    /* watches: two tables (data/exists, children), path -> watchers */
    dr_keeper_wpath_t      **wpaths;
    dr_uint_t                wpaths_mask;
    dr_uint_t                nwpaths;
    dr_keeper_watch_t      **wconn;         /* (path, connection) -> watch */
    dr_uint_t                wconn_mask;
    dr_uint_t                nwatches;
    dr_uint_t                nrecursive;
    dr_uint_t                trigger_stamp;
    dr_objpool_t             wpath_pool;
    dr_objpool_t             watch_pool;

    dr_event_t               flush_event;
    dr_event_t               tick_event;
    dr_event_t               reap_event;
    dr_msec_t                next_tick;

    /* statistics, for the four-letter words */
    dr_msec_t                started;
    uint64_t                 received;
    uint64_t                 sent;
    uint64_t                 auth_failed;
    uint64_t                 rejected;
    dr_keeper_latency_t      latency;
};


/* ms since the epoch, from the loop's cached time */
static inline int64_t
dr_keeper_now(void)
{
    return (int64_t) dr_cached_time->sec * 1000
           + (int64_t) dr_cached_time->msec;
}


static inline uint32_t
dr_keeper_get32(const u_char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}

extern dr_module_t   dr_keeper_module;
extern dr_keeper_t  *dr_keeper;             /* the keeper process's */


/* dr_keeper_process.c */
void dr_keeper_process_run(dr_cycle_t *cycle, dr_uint_t slot);
dr_int_t dr_keeper_init(dr_keeper_t *k, dr_cycle_t *cycle,
    dr_keeper_conf_t *kcf);
void dr_keeper_done(dr_keeper_t *k);


/* dr_keeper_server.c */
void dr_keeper_init_connection(dr_connection_t *c);
/*
 * Queues one frame on <kc>: <len> bytes at most encoded by <encode> into
 * the writer it is given (it returns DR_OK, or DR_ERROR if <len> was not
 * enough: it is called again with twice the room, up to max_frame).
 * Returns DR_OK or DR_ERROR (no memory: the connection is closed). Used
 * for replies and notifications alike; the frame waits for the barrier.
 */
typedef dr_int_t (*dr_keeper_encode_pt)(dr_zk_writer_t *wr, void *data);
dr_int_t dr_keeper_queue_frame(dr_keeper_conn_t *kc, size_t len,
    dr_keeper_encode_pt encode, void *data, dr_uint_t reply);
/* raw bytes (a four-letter word's answer), counted as one reply */
dr_int_t dr_keeper_queue_raw(dr_keeper_conn_t *kc, u_char *p, size_t len);
/* a reply header (+ record <rec> of <r> when err == 0; <hint>: its size) */
dr_int_t dr_keeper_reply(dr_keeper_conn_t *kc, int32_t xid, int64_t zxid,
    int32_t err, const dr_zk_jute_record_t *rec, void *r, size_t hint);
/* the connection's marks whose barrier is durable let their bytes go */
void dr_keeper_conn_release(dr_keeper_conn_t *kc);
int64_t dr_keeper_conn_barrier(dr_keeper_conn_t *kc);
/* asks for the connection to be closed once what is queued is sent */
void dr_keeper_conn_finalize(dr_keeper_conn_t *kc);
/* closes at once (an error, a replaced session): queued bytes are lost */
void dr_keeper_conn_close(dr_keeper_conn_t *kc);
/* marks <kc> as having output to write at the end of this loop turn */
void dr_keeper_conn_dirty(dr_keeper_conn_t *kc);
void dr_keeper_flush(dr_event_t *ev);
dr_uint_t dr_keeper_conns_from(dr_keeper_t *k, struct sockaddr *sa);


/* dr_keeper_session.c */
dr_int_t dr_keeper_session_init(dr_keeper_t *k);
void dr_keeper_session_done(dr_keeper_t *k);
/* arms the tick (the keeper's loop is about to turn) */
void dr_keeper_session_start(dr_keeper_t *k);
dr_keeper_session_t *dr_keeper_session_find(dr_keeper_t *k, int64_t id);
/*
 * Creates a session (id and password chosen here unless <id> != 0, as in
 * replay and snapshot loading). NULL on no memory. The caller logs it.
 */
dr_keeper_session_t *dr_keeper_session_create(dr_keeper_t *k, int64_t id,
    int32_t timeout, const u_char *passwd);
/* removes <s> from the tables and frees it (its connection is detached) */
void dr_keeper_session_remove(dr_keeper_t *k, dr_keeper_session_t *s);
/* the session was heard from: its deadline moves */
void dr_keeper_session_touch(dr_keeper_t *k, dr_keeper_session_t *s);
/* the tick: expires what is due, arms the next tick */
void dr_keeper_session_tick(dr_event_t *ev);
dr_int_t dr_keeper_session_random(u_char *buf, size_t len);
int32_t dr_keeper_session_clamp(dr_keeper_t *k, int32_t timeout);
/* calls <handler> for each live session (snapshots, 4lw dump) */
typedef void (*dr_keeper_session_walk_pt)(dr_keeper_session_t *s,
    void *data);
void dr_keeper_session_walk(dr_keeper_t *k, dr_keeper_session_walk_pt handler,
    void *data);


/* dr_keeper_acl.c */
/*
 * ZooKeeper's digest: "user:base64(sha1(user:password))" of <cred>, into
 * <out> (at least <cred's user part> + 29 bytes). Returns its length.
 */
size_t dr_keeper_acl_digest(dr_str_t *cred, u_char *out);
/* DR_OK, or DR_ZK_NOAUTH: may <kc> do <perm> on a node with <acl>? */
int32_t dr_keeper_acl_check(dr_keeper_conn_t *kc, dr_zk_vec_t *acl,
    int32_t perm);
/*
 * ZooKeeper's fixupACL: checks <in> (a decoded ACL vector) and writes the
 * ACL to store into <wr> as a jute vector ("auth" ids expanded to the
 * connection's ids, duplicates removed). DR_OK, DR_ZK_INVALIDACL, or
 * DR_ERROR if <wr> is too small.
 */
int32_t dr_keeper_acl_fixup(dr_keeper_conn_t *kc, dr_zk_vec_t *in,
    dr_zk_writer_t *wr);
/* an auth packet: DR_OK, DR_ZK_AUTHFAILED, or DR_ERROR (no memory) */
dr_int_t dr_keeper_acl_auth(dr_keeper_conn_t *kc, dr_zk_auth_packet_t *ap);
/* adds the implicit "ip:<address>" id of a new connection */
dr_int_t dr_keeper_acl_init_conn(dr_keeper_conn_t *kc);
/* encodes <acl> into <wr>, digest ids as "user:x" unless <admin> */
dr_int_t dr_keeper_acl_write_masked(dr_zk_writer_t *wr, dr_zk_vec_t *acl,
    dr_uint_t admin);


/* dr_keeper_watch.c */
#define DR_KEEPER_WATCH_DATA          0
#define DR_KEEPER_WATCH_CHILD         1

#define DR_KEEPER_WATCH_STANDARD      0
#define DR_KEEPER_WATCH_PERSISTENT    1
#define DR_KEEPER_WATCH_RECURSIVE     2

dr_int_t dr_keeper_watch_init(dr_keeper_t *k);
void dr_keeper_watch_done(dr_keeper_t *k);
/*
 * Arms a watch of <kc> on <path> in <table> with <mode> (one per
 * connection, path and table; the last mode set wins, as in 3.8).
 * DR_OK, DR_DECLINED (max_watches reached) or DR_ERROR (no memory).
 */
dr_int_t dr_keeper_watch_add(dr_keeper_conn_t *kc, dr_str_t *path,
    dr_uint_t table, dr_uint_t mode);
/* does <kc> watch <path> (DR_ZK_WATCHER_*)?  removes: DR_OK / DR_DECLINED */
dr_int_t dr_keeper_watch_check(dr_keeper_conn_t *kc, dr_str_t *path,
    int32_t type, dr_uint_t remove);
/* drops every watch of <kc> (its connection is closing) */
void dr_keeper_watch_drop(dr_keeper_conn_t *kc);
/*
 * A change the tree reports from dr_keeper_tree_apply(), in its order:
 * NodeCreated (path), NodeDeleted (path), NodeDataChanged (path),
 * NodeChildrenChanged (the parent). Queues the notifications on the
 * watching connections, with DataTree's trigger rules.
 */
void dr_keeper_watch_event(dr_keeper_t *k, int32_t type, dr_str_t *path);
/* "/a/b" -> "/a", "/a" -> "/" (a view of <path>) */
void dr_keeper_watch_parent(dr_str_t *path, dr_str_t *parent);
typedef void (*dr_keeper_watch_walk_pt)(dr_keeper_conn_t *kc, dr_str_t *path,
    void *data);
void dr_keeper_watch_walk(dr_keeper_t *k, dr_uint_t by_conn, dr_uint_t table,
    dr_keeper_watch_walk_pt handler, void *data);
void dr_keeper_watch_summary(dr_keeper_t *k, dr_uint_t table,
    dr_uint_t *conns, dr_uint_t *paths, dr_uint_t *watches);
/* a notification to one connection (SetWatches catch-up) */
dr_int_t dr_keeper_watch_notify(dr_keeper_conn_t *kc, int32_t type,
    dr_str_t *path);
/* number of distinct watched paths, and of watches */
dr_uint_t dr_keeper_watch_paths(dr_keeper_t *k);


/* dr_keeper_ops.c */
/*
 * Handles one request frame of an established connection (<payload>, the
 * frame without its length). DR_OK; DR_DONE: stop reading (the connection
 * is closing); DR_ERROR: malformed, close the connection.
 */
dr_int_t dr_keeper_ops_request(dr_keeper_conn_t *kc, u_char *payload,
    size_t len);
/* sets the tree's hooks (ACL checks, fixups, watch events) */
void dr_keeper_ops_init(dr_keeper_t *k);
/* closes <s> through a closeSession txn (<expired>, or on request) */
dr_int_t dr_keeper_ops_close_session(dr_keeper_t *k, dr_keeper_session_t *s,
    int32_t cxid, dr_uint_t expired);
/* room for <n> tree results in the frame pool */
dr_keeper_tree_result_t *dr_keeper_ops_results(dr_keeper_t *k, dr_uint_t n);
void dr_keeper_ops_logged(dr_keeper_t *k, int32_t err);
/* the container / TTL reaper's timer */
void dr_keeper_ops_reap(dr_event_t *ev);


/* dr_keeper_virtual.c: /zookeeper/drover/disconnected, for discovery */
/* <s>'s connection closed or came (or <s> is <gone>): the list follows */
void dr_keeper_virtual_session(dr_keeper_t *k, dr_keeper_session_t *s,
    dr_uint_t gone);
/* the virtual node at <path>, or NULL: reads that missed the tree ask it */
dr_keeper_tree_node_t *dr_keeper_virtual_find(dr_keeper_t *k, dr_str_t *path);


/* dr_keeper_4lw.c */
/* DR_OK if <word> is a four-letter word (answer queued), else DR_DECLINED */
dr_int_t dr_keeper_4lw(dr_keeper_conn_t *kc, u_char *word);
/* the bit of a four-letter word name, 0 if it is not one we know */
dr_uint_t dr_keeper_4lw_bit(u_char *name, size_t len);
void dr_keeper_4lw_reset_conns(dr_keeper_t *k);

#endif /* DR_KEEPER_H_INCLUDED */
