/*
 * The keeper's transaction log: append-only files in data_dir, written with
 * group commit on the keeper's event loop and made durable by one
 * fdatasync per batch in a dedicated thread (dr_keeper_log.c says why).
 *
 * On disk (all integers big-endian):
 *
 *   log.<first zxid, 16 hex digits>, preallocated in chunks, zero-filled:
 *     file header, 32 bytes:
 *        0  u32  magic "DRKL"          4  u32  version (1)
 *        8  i64  prev: the zxid of the last record written before this
 *                file (0 for the first file ever); chains the segments
 *       16  i64  first: the zxid of its first record (= the name)
 *       24  u32  reserved (0)         28  u32  crc32 of bytes 0..27
 *     records, back to back, then zeros (the unused preallocation):
 *        0  u32  len: the bytes after this 8-byte frame (32 + body)
 *        4  u32  crc32 of the 4 bytes of len and the len bytes that follow
 *        8  i64  zxid    16  i64  session id    24  i64  time (ms)
 *       32  i32  cxid    36  i32  type          40  body (jute request)
 *     a len of 0 ends the records.
 *
 * Records are strictly increasing in zxid, within a file and across the
 * chain (next.prev = the last zxid of the file before it).
 */
#ifndef DR_KEEPER_LOG_H_INCLUDED
#define DR_KEEPER_LOG_H_INCLUDED

#include "dr_event.h"
#include "dr_zk.h"


#define DR_KEEPER_LOG_MAGIC          0x44524b4cU     /* "DRKL" */
#define DR_KEEPER_LOG_VERSION        1
#define DR_KEEPER_LOG_HEADER_SIZE    32
#define DR_KEEPER_LOG_FRAME_SIZE     8               /* len + crc */
#define DR_KEEPER_LOG_TXN_SIZE       32              /* zxid..type */
#define DR_KEEPER_LOG_RECORD_MIN     (DR_KEEPER_LOG_FRAME_SIZE               \
                                      + DR_KEEPER_LOG_TXN_SIZE)
/* a body is a request frame: far above any max_frame, far below 4 GiB */
#define DR_KEEPER_LOG_BODY_MAX       (256 * 1024 * 1024)

#define DR_KEEPER_LOG_PREALLOC       (64 * 1024 * 1024)
#define DR_KEEPER_LOG_ROLL_SIZE      (64 * 1024 * 1024)

#define DR_KEEPER_LOG_NAME_MAX       (sizeof("snapshot.0123456789abcdef.tmp"))


/*
 * One transaction as the log stores it. <body> is the jute-encoded request
 * (what the tree's apply function needs to do it again); append copies
 * it, a parse returns a view into the parsed bytes.
 */
typedef struct {
    int64_t                 zxid;
    int64_t                 session;
    int64_t                 time;
    int32_t                 cxid;
    int32_t                 type;
    dr_str_t                body;
} dr_keeper_log_txn_t;

typedef struct {
    int64_t                 prev;
    int64_t                 first;
} dr_keeper_log_header_t;

/*
 * Called once per appended transaction, in append order, on the event
 * loop: rc DR_OK once it is durable (fdatasync returned; with "fsync off"
 * once written), DR_ERROR if the log failed (then the transaction may or
 * may not be on disk: the keeper must not acknowledge it and should exit,
 * to recover from what the disk really holds).
 */
typedef void (*dr_keeper_log_done_pt)(void *data, dr_int_t rc);

typedef struct dr_keeper_log_s   dr_keeper_log_t;
typedef struct dr_keeper_snap_s  dr_keeper_snap_t;

typedef struct {
    dr_str_t                dir;        /* absolute, NUL-terminated */
    dr_flag_t               fsync;
    off_t                   prealloc;   /* 0: DR_KEEPER_LOG_PREALLOC */
    off_t                   roll_size;  /* 0: DR_KEEPER_LOG_ROLL_SIZE */
    dr_uint_t               snapshot_every;     /* 0: never */
    dr_keeper_snap_t       *snap;       /* started when due; may be NULL */

    /*
     * Optional: called once per durable batch, after its completions, with
     * its last zxid: everything appended up to <zxid> is durable. Cheaper
     * than a completion per transaction for "release what waits up to
     * zxid" (append with done NULL then).
     */
    void                  (*durable)(void *data, int64_t zxid);
    void                   *data;
} dr_keeper_log_conf_t;


/*
 * Starts the log after recovery: <zxid> is the last zxid recovered (the
 * first file written gets it as prev). Starts the sync thread and
 * registers its eventfd with the event loop, so call it in the keeper
 * process after the event module's init_process. Files are created at
 * the first append. NULL on failure (logged); the keeper cannot serve.
 */
dr_keeper_log_t *dr_keeper_log_init(dr_keeper_log_conf_t *conf,
    int64_t zxid, dr_log_t *log);

/*
 * Appends <txn> (its body is copied: the caller may reuse it at once).
 * <done>(<data>, rc) runs later on the loop when the whole batch it joined
 * is durable. Transactions submitted in one loop iteration, or while a
 * sync is in flight, form one batch: one write, one fdatasync. DR_OK, or
 * DR_ERROR (nothing appended, <done> never runs) when the log has failed,
 * the zxid does not grow, or memory runs out.
 */
dr_int_t dr_keeper_log_append(dr_keeper_log_t *lg, dr_keeper_log_txn_t *txn,
    dr_keeper_log_done_pt done, void *data);

/* the next batch starts a new file (after a snapshot) */
void dr_keeper_log_roll(dr_keeper_log_t *lg);

/* the zxid of the last durable record (or the recovered zxid) */
int64_t dr_keeper_log_durable_zxid(dr_keeper_log_t *lg);
/* the zxid of the last appended record */
int64_t dr_keeper_log_last_zxid(dr_keeper_log_t *lg);

typedef struct {
    uint64_t                batches;    /* writes, each with its fdatasync */
    uint64_t                records;
    uint64_t                bytes;
    uint64_t                files;      /* files started */
    uint64_t                max_batch;  /* the most records in one batch */
    uint64_t                sync_usec;  /* write + fdatasync, all batches */
    uint64_t                max_sync_usec;
} dr_keeper_log_stats_t;

/* what the log did so far (durable batches only) */
void dr_keeper_log_stats(dr_keeper_log_t *lg, dr_keeper_log_stats_t *st);

/*
 * Blocks until everything appended is durable and its completions ran
 * (shutdown, tests). DR_OK or DR_ERROR (the log failed).
 */
dr_int_t dr_keeper_log_sync(dr_keeper_log_t *lg);

/*
 * Syncs what is pending, stops the thread, releases the unused
 * preallocation of the current file and frees everything.
 */
void dr_keeper_log_close(dr_keeper_log_t *lg);


/*
 * Parsers of the on-disk format (own nothing; used by recovery, the tests
 * and the fuzzer).
 *
 * header_parse: DR_OK, or DR_ERROR (short, bad magic/version/crc).
 *
 * record_parse: the bytes the record takes (frame included) with <txn>
 * viewing <p>; 0 when the length field is 0 (the end of the records);
 * DR_PARSE_AGAIN when the record runs past <len> (a short tail);
 * DR_PARSE_ERROR when its length is impossible or its crc is wrong.
 */
dr_int_t dr_keeper_log_header_parse(u_char *p, size_t len,
    dr_keeper_log_header_t *h);
ssize_t dr_keeper_log_record_parse(u_char *p, size_t len,
    dr_keeper_log_txn_t *txn);

/* encoders, for the writer, the tests and the fuzzer; <p> has room */
void dr_keeper_log_header_write(u_char *p, dr_keeper_log_header_t *h);
/* writes the record with its crc; returns the bytes written */
size_t dr_keeper_log_record_write(u_char *p, dr_keeper_log_txn_t *txn);
/* computes the crc of the record at <p> (whose len field is set) */
void dr_keeper_log_record_seal(u_char *p);

/* "log.%016x" into <buf> (DR_KEEPER_LOG_NAME_MAX), NUL-terminated */
u_char *dr_keeper_log_name(u_char *buf, const char *prefix, int64_t zxid,
    const char *suffix);
/*
 * Splits "<prefix>.<hex>[<suffix>]"; DR_OK with the zxid, or DR_DECLINED
 * for any other name.
 */
dr_int_t dr_keeper_log_name_parse(const char *name, const char *prefix,
    const char *suffix, int64_t *zxid);


/* big-endian helpers shared by the log, snapshot and recovery code */

static inline uint32_t
dr_keeper_log_get32(const u_char *p)
{
    return (uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
           | (uint32_t) p[2] << 8 | (uint32_t) p[3];
}


static inline uint64_t
dr_keeper_log_get64(const u_char *p)
{
    return (uint64_t) dr_keeper_log_get32(p) << 32
           | dr_keeper_log_get32(p + 4);
}


static inline u_char *
dr_keeper_log_put32(u_char *p, uint32_t v)
{
    p[0] = (u_char) (v >> 24);
    p[1] = (u_char) (v >> 16);
    p[2] = (u_char) (v >> 8);
    p[3] = (u_char) v;

    return p + 4;
}


static inline u_char *
dr_keeper_log_put64(u_char *p, uint64_t v)
{
    p = dr_keeper_log_put32(p, (uint32_t) (v >> 32));
    return dr_keeper_log_put32(p, (uint32_t) v);
}

#endif /* DR_KEEPER_LOG_H_INCLUDED */
