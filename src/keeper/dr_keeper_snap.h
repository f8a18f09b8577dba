/*
 * Snapshots of the keeper's tree and sessions (dr_keeper_snap.c).
 *
 * On disk, snapshot.<zxid, 16 hex digits> (big-endian, jute encodings):
 *   header, 48 bytes:
 *      0  u32  magic "DRKS"        4  u32  version (1)
 *      8  i64  zxid: the last transaction the image contains
 *     16  u64  node count         24  u64  session count
 *     32  i64  time taken (ms since the epoch)
 *     40  u32  reserved (0)       44  u32  crc32 of bytes 0..43
 *   node count nodes, parents before their children:
 *     ustring path, buffer data (-1: null, distinct from empty),
 *     vector<ACL> acl, Stat (68 bytes; ephemeralOwner as the tree keeps
 *     it, container and TTL markers included), int seq (the children
 *     created so far: the next sequential suffix)
 *   session count sessions:
 *     long id, int timeout (ms), buffer passwd (16 bytes),
 *     long last_seen (ms since the epoch)
 *   trailer, 16 bytes:
 *      0  u32  magic "DRKE"   4  u64  body length   12  u32  crc32 of body
 * (the body is everything between the header and the trailer).
 */
#ifndef DR_KEEPER_SNAP_H_INCLUDED
#define DR_KEEPER_SNAP_H_INCLUDED

#include "dr_keeper_log.h"


#define DR_KEEPER_SNAP_MAGIC         0x44524b53U     /* "DRKS" */
#define DR_KEEPER_SNAP_END_MAGIC     0x44524b45U     /* "DRKE" */
#define DR_KEEPER_SNAP_VERSION       1
#define DR_KEEPER_SNAP_HEADER_SIZE   48
#define DR_KEEPER_SNAP_TRAILER_SIZE  16

#define DR_KEEPER_SNAP_KEEP          3


typedef struct {
    dr_str_t                path;
    dr_str_t                data;       /* data NULL: null */
    dr_zk_vec_t             acl;        /* of dr_zk_acl_t */
    dr_zk_stat_t            stat;
    int32_t                 seq;
} dr_keeper_snap_node_t;

typedef struct {
    int64_t                 id;
    int32_t                 timeout;
    u_char                  passwd[DR_ZK_PASSWD_LEN];
    int64_t                 last_seen;
} dr_keeper_snap_session_t;

typedef struct {
    int64_t                 zxid;
    uint64_t                nodes;
    uint64_t                sessions;
    int64_t                 time;
} dr_keeper_snap_info_t;

typedef struct dr_keeper_snap_writer_s  dr_keeper_snap_writer_t;

/*
 * What the keeper gives the snapshotter. zxid() runs in the keeper at
 * fork time: the zxid of the last transaction applied to the tree. walk()
 * runs in the forked child on its copy-on-write image: it calls
 * dr_keeper_snap_write_node() for every znode, parents before children,
 * then dr_keeper_snap_write_session() for every session, and returns
 * DR_OK or DR_ERROR (the first error of a write_*() call, passed on).
 */
typedef struct {
    void                   *data;
    int64_t               (*zxid)(void *data);
    dr_int_t              (*walk)(void *data, dr_keeper_snap_writer_t *w);
} dr_keeper_snap_source_t;

/*
 * What recovery feeds: the nodes in file order, then the sessions. The
 * views point into the mapped file and die after the call. A callback
 * returns DR_OK or DR_ERROR (recovery then fails).
 */
typedef struct {
    void                   *data;
    dr_int_t              (*node)(void *data, dr_keeper_snap_node_t *n);
    dr_int_t              (*session)(void *data, dr_keeper_snap_session_t *s);
} dr_keeper_snap_sink_t;

/* one snapshotter per keeper; the fields above "private" are its conf */
struct dr_keeper_snap_s {
    dr_str_t                dir;        /* absolute, NUL-terminated */
    dr_uint_t               keep;       /* snapshots kept, >= 1 */
    dr_flag_t               fsync;
    dr_keeper_snap_source_t source;
    dr_log_t               *log;

    /* private */
    pid_t                   pid;
    int64_t                 zxid;
    int64_t                 durable;
    int64_t                 last;       /* zxid of the last one published */
    dr_connection_t        *c;
    dr_msec_t               started;
    dr_keeper_snap_info_t   info;
    dr_uint_t               done;       /* published so far */
    dr_uint_t               failed;     /* failures so far */
    unsigned                running:1;
    unsigned                written:1;
    unsigned                go:1;
};


dr_int_t dr_keeper_snap_write_node(dr_keeper_snap_writer_t *w,
    dr_keeper_snap_node_t *n);
dr_int_t dr_keeper_snap_write_session(dr_keeper_snap_writer_t *w,
    dr_keeper_snap_session_t *s);

/*
 * Forks a child (DR_PROCESS_HELPER, "drover: keeper snapshot") that writes
 * snapshot.<zxid>.tmp from its copy-on-write image of the tree and fsyncs
 * it; once the log is durable up to that zxid (dr_keeper_snap_durable())
 * the child renames it into place and fsyncs the directory; the keeper
 * then purges what keep no longer needs. <durable>: the log's durable zxid
 * now. Keeper process, on the loop. DR_OK (started), DR_BUSY (one runs),
 * DR_DECLINED (nothing new since the last one), DR_ERROR (logged).
 */
dr_int_t dr_keeper_snap_start(dr_keeper_snap_t *snap, int64_t durable);
/* the log tells every durable zxid; releases a waiting child */
void dr_keeper_snap_durable(dr_keeper_snap_t *snap, int64_t durable);
/* kills a running child and removes its file (keeper exit) */
void dr_keeper_snap_abort(dr_keeper_snap_t *snap);

/*
 * The synchronous parts (the child runs them; tests call them).
 * write_tmp: writes <dir>/snapshot.<zxid>.tmp through <src>->walk, fsyncs
 * it when <sync>; <info> gets the counts. publish: renames it to
 * snapshot.<zxid> and fsyncs the directory. Both DR_OK or DR_ERROR
 * (logged; write_tmp removes its file on failure).
 */
dr_int_t dr_keeper_snap_write_tmp(dr_str_t *dir, int64_t zxid,
    dr_keeper_snap_source_t *src, dr_flag_t sync,
    dr_keeper_snap_info_t *info, dr_log_t *log);
dr_int_t dr_keeper_snap_publish(dr_str_t *dir, int64_t zxid, dr_flag_t sync,
    dr_log_t *log);

/*
 * Validates a whole snapshot image <p>..<p + len> (header, trailer, crcs,
 * every record, the counts); only then, with a <sink>, feeds it. DR_OK,
 * or DR_ERROR (invalid: nothing was fed; or a sink callback failed).
 * Owns nothing.
 */
dr_int_t dr_keeper_snap_parse(u_char *p, size_t len,
    dr_keeper_snap_sink_t *sink, dr_keeper_snap_info_t *info);
/* maps <dir>/snapshot.<zxid> and parses it; DR_DECLINED if invalid */
dr_int_t dr_keeper_snap_load(dr_str_t *dir, int64_t zxid,
    dr_keeper_snap_sink_t *sink, dr_keeper_snap_info_t *info, dr_log_t *log);

/* the snapshot and log files of a data_dir, each sorted by zxid */
typedef struct {
    dr_array_t              snaps;      /* int64_t: snapshot.<zxid> */
    dr_array_t              logs;       /* int64_t: log.<zxid> */
    dr_array_t              tmps;       /* int64_t: snapshot.<zxid>.tmp */
} dr_keeper_snap_dir_t;

/* lists <dir> (malloc'ed arrays); DR_OK or DR_ERROR (logged at emerg) */
dr_int_t dr_keeper_snap_list(dr_str_t *dir, dr_keeper_snap_dir_t *d,
    dr_log_t *log);
void dr_keeper_snap_list_free(dr_keeper_snap_dir_t *d);

/*
 * Deletes the snapshots older than the newest <keep>, and the log files
 * holding only transactions the oldest kept snapshot already contains.
 */
void dr_keeper_snap_purge(dr_str_t *dir, dr_uint_t keep, dr_log_t *log);

/* the record decoders, for the fuzzer: DR_OK or DR_ERROR */
dr_int_t dr_keeper_snap_read_node(dr_zk_reader_t *rd,
    dr_keeper_snap_node_t *n);
dr_int_t dr_keeper_snap_read_session(dr_zk_reader_t *rd,
    dr_keeper_snap_session_t *s);



/*
 * Recovery (dr_keeper_recover.c), at keeper start, before serving: loads
 * the newest valid snapshot through <sink>, then replays every log record
 * with a greater zxid through apply(sink.data, txn), in zxid order. A torn
 * or corrupt tail of the last log file is cut off (warn). DR_ERROR (logged
 * at emerg) when the state on disk cannot be trusted: a corrupt record
 * followed by valid ones, a corrupt file that is not the last one, a
 * missing log segment, a sink or apply failure; the keeper must then exit
 * with code 2 rather than serve a wrong tree.
 */
typedef struct {
    dr_keeper_snap_sink_t   sink;
    dr_int_t              (*apply)(void *data, dr_keeper_log_txn_t *txn);
} dr_keeper_recover_handler_t;

typedef struct {
    int64_t                 zxid;       /* the last one: continue at +1 */
    int64_t                 snapshot;   /* the one loaded, -1: none */
    uint64_t                nodes;
    uint64_t                sessions;
    dr_uint_t               replayed;
    dr_uint_t               files;      /* log files read */
    off_t                   truncated;  /* bytes cut from a torn tail */
} dr_keeper_recover_info_t;

dr_int_t dr_keeper_recover(dr_str_t *dir, dr_keeper_recover_handler_t *h,
    dr_keeper_recover_info_t *info, dr_log_t *log);

#define DR_KEEPER_RECOVER_CLEAN     0   /* zeros or the end of the file */
#define DR_KEEPER_RECOVER_TORN      1   /* a bad tail: may be cut off */
#define DR_KEEPER_RECOVER_CORRUPT   2   /* bad bytes, then valid records */

typedef struct {
    size_t                  end;        /* after the last good record */
    int64_t                 last;       /* its zxid, or the header's prev */
    dr_uint_t               records;    /* valid ones */
    dr_uint_t               applied;    /* those above <after> */
    dr_uint_t               tail;       /* DR_KEEPER_RECOVER_* */
    const char             *why;        /* what is wrong at <end> */
} dr_keeper_recover_scan_t;

/*
 * Scans one log file image <p>..<p + size> whose header <hd> is valid:
 * the records after the header, each one's zxid strictly above the one
 * before (the first one = hd->first), applying those above <after>
 * through <h> (NULL: only validate), then classifies what follows the
 * last good record. DR_OK, or DR_ERROR with r->why: a record out of
 * order, or an apply failure (r->tail is then CORRUPT). Owns nothing.
 */
dr_int_t dr_keeper_recover_scan(u_char *p, size_t size,
    dr_keeper_log_header_t *hd, int64_t after, dr_keeper_recover_handler_t *h,
    dr_keeper_recover_scan_t *r);

#endif /* DR_KEEPER_SNAP_H_INCLUDED */
