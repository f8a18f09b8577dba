/*
 * Transactions: the seam between the keeper's request handling, the znode
 * tree (dr_keeper_tree.c) and the durability layer (dr_keeper_log.c,
 * dr_keeper_snap.c).
 *
 * Every request that changes state, successful or not, becomes one
 * transaction record: who (session id, cxid), when (zxid, time in ms since
 * the epoch), what (type, the jute-encoded request body as the client sent
 * it, or the error code of a failed write). The keeper process handles a
 * write in this order, all in one turn of its event loop:
 *
 *   1. decode, check ACLs, build the txn (dr_keeper_ops.c);
 *   2. dr_keeper_tree_apply() with the next zxid (k->last_zxid + 1): the
 *      one place that mutates the tree; the changes it reports fire the
 *      watches (notifications are queued on the watching connections,
 *      not sent); createSession touches only the session table;
 *   3. the reply is encoded and queued on its connection, behind the
 *      notifications;
 *   4. dr_keeper_commit(): hands the record to the log.
 *
 * Nothing computed after step 2 leaves the process before the txn is on
 * disk: every queued reply and notification carries a barrier (the last
 * applied zxid when it was encoded) and a connection writes only the bytes
 * whose barrier is <= the durable zxid. So a write is acknowledged only
 * when durable, replies of a session stay in request order (reads behind a
 * pending write of the same session included), and no client, of any
 * session, can see data that a crash could still take back. Group commit
 * falls out of it: the log makes everything appended in one loop turn
 * durable with one fdatasync, then reports the last zxid.
 *
 * Failed writes (NodeExists, BadVersion, NoAuth, a failed multi, ...) are
 * applied as error txns: they consume a zxid, change nothing and are logged
 * like the others (ZooKeeper logs an ErrorTxn), so the zxid a client saw in
 * a reply never goes backwards across a restart.
 *
 * The log is dr_keeper_log.h's (k->txn_log): dr_keeper_commit() appends
 * the record with dr_keeper_log_append(), whose completion calls
 * dr_keeper_txn_durable(). With no log (k->txn_log NULL) a txn is durable
 * as soon as it is committed. Snapshots take the tree (dr_keeper_tree.h)
 * and the sessions (dr_keeper_session_walk() / dr_keeper_session_create()
 * with an id, dr_keeper.h) at one zxid.
 */
#ifndef DR_KEEPER_TXN_H_INCLUDED
#define DR_KEEPER_TXN_H_INCLUDED

typedef struct dr_keeper_s        dr_keeper_t;
typedef struct dr_keeper_txn_s    dr_keeper_txn_t;

/*
 * Txn types are the opcodes of src/zk/dr_zk_proto.h, and their bodies the
 * jute request records of those opcodes:
 *
 *   DR_ZK_OPCODE_CREATE, _CREATE2,    CreateRequest (create2 is logged as
 *   _CREATE_CONTAINER                 the client sent it; the tree treats
 *                                     it as create)
 *   DR_ZK_OPCODE_CREATE_TTL           CreateTTLRequest
 *   DR_ZK_OPCODE_DELETE               DeleteRequest
 *   DR_ZK_OPCODE_DELETE_CONTAINER     the path's bytes (no length), as
 *                                     ZooKeeper's: the keeper's own
 *                                     reaping of an empty container or an
 *                                     expired TTL node (session id 0)
 *   DR_ZK_OPCODE_SET_DATA             SetDataRequest
 *   DR_ZK_OPCODE_SET_ACL              SetACLRequest (ACL ids as the client
 *                                     sent them but "auth" ones, already
 *                                     expanded by the keeper)
 *   DR_ZK_OPCODE_CHECK                CheckVersionRequest
 *   DR_ZK_OPCODE_MULTI                the multi request (MultiHeader + op
 *                                     record ..., end header); "auth" ACLs
 *                                     of its creates already expanded
 *   DR_ZK_OPCODE_CREATE_SESSION       DR_KEEPER_TXN_SESSION_BODY below
 *   DR_ZK_OPCODE_CLOSE_SESSION        empty: deletes the session's
 *                                     ephemerals, then the session
 *                                     (closeSession and expiry alike)
 *   DR_ZK_OPCODE_ERROR                int32 err (ZooKeeper's ErrorTxn):
 *                                     a failed write; <err> is set too
 *
 * A successful txn applied again to the state it was first applied to
 * gives the same result: sequential suffixes come from the parent's
 * counters, times and owners from the record. That is what makes replay
 * (the log's recovery) exact.
 *
 * The createSession body: int32 timeout (ms, negotiated) + 16 bytes of
 * password, big-endian as jute writes an int and raw bytes (no length).
 */
#define DR_KEEPER_TXN_SESSION_BODY   (4 + DR_ZK_PASSWD_LEN)

struct dr_keeper_txn_s {
    /* the record: all of it goes to the log */
    int64_t                  session_id;    /* 0: the keeper's own */
    int64_t                  zxid;          /* set before apply */
    int64_t                  time;          /* ms since the epoch */
    int32_t                  cxid;          /* the request's xid */
    int32_t                  type;          /* see above */
    int32_t                  err;           /* DR_ZK_OPCODE_ERROR only */
    dr_str_t                 body;          /* view; may be empty */

    /*
     * Not logged. <req>: the body already decoded by the keeper, so that
     * apply need not decode it again; NULL when replaying (apply then
     * decodes <body>). <data>: the caller's.
     */
    const void              *req;
    void                    *data;
};


/*
 * Hands an applied <txn> (zxid set) to the log (the record and its body
 * are copied: both may be reused on return). With no log, the txn is
 * durable at once. DR_OK, or DR_ERROR (already logged) when the log could
 * not take it: the tree is ahead of the disk, the keeper process exits
 * and recovers. Keeper process.
 */
dr_int_t dr_keeper_commit(dr_keeper_t *k, dr_keeper_txn_t *txn);

/*
 * The completion callback of the log: every txn with a zxid <= <zxid> is
 * on disk. Sends what the connections were holding for it (replies and
 * notifications, in order). Keeper process, loop thread.
 */
void dr_keeper_txn_durable(dr_keeper_t *k, int64_t zxid);
/* the same as the log's per-batch hook (<data>: the keeper) */
void dr_keeper_txn_batch_durable(void *data, int64_t zxid);

/*
 * Recovery: applies one logged <txn> (zxid set, req NULL) to the tree and
 * the session table without firing watches or queueing anything.
 * Sessions created by replay expire one session timeout after the keeper
 * started, as ZooKeeper's do. DR_OK, or DR_ERROR (logged) if the record
 * is malformed or does not apply: the log is corrupt at that record.
 * Called by recovery only, in zxid order, after the snapshot is loaded.
 */
dr_int_t dr_keeper_txn_replay(dr_keeper_t *k, dr_keeper_txn_t *txn);

/* encodes / decodes the createSession body; DR_ERROR if it is malformed */
void dr_keeper_txn_session_body(u_char *buf, int32_t timeout,
    const u_char *passwd);
dr_int_t dr_keeper_txn_session_parse(dr_str_t *body, int32_t *timeout,
    u_char *passwd);

#endif /* DR_KEEPER_TXN_H_INCLUDED */
