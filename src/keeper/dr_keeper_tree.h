/*
 * The znode tree of the keeper: nodes by full path in a hash, child lists,
 * ZooKeeper 3.8's Stat maintenance, ephemerals by session, containers and
 * TTL nodes, interned ACLs. Pure code (no I/O); the keeper process owns the
 * one tree. Every mutation goes through dr_keeper_tree_apply(), which is
 * deterministic given the tree and the transaction, so the live server and
 * log replay run the same code.
 */
#ifndef DR_KEEPER_TREE_H_INCLUDED
#define DR_KEEPER_TREE_H_INCLUDED

#include "dr_zk.h"
#include "dr_objpool.h"


/* EphemeralType.TTL's largest ttl (ms): 40 bits, about 34 years */
#define DR_KEEPER_TREE_TTL_MAX    0xffffffffffLL

typedef struct dr_keeper_tree_s        dr_keeper_tree_t;
typedef struct dr_keeper_tree_node_s   dr_keeper_tree_node_t;
typedef struct dr_keeper_tree_acl_s    dr_keeper_tree_acl_t;
typedef struct dr_keeper_tree_owner_s  dr_keeper_tree_owner_t;

/* an entry of the tree's hashes (nodes, ACLs, ephemeral owners) */
typedef struct dr_keeper_tree_hentry_s  dr_keeper_tree_hentry_t;

struct dr_keeper_tree_hentry_s {
    dr_keeper_tree_hentry_t  *next;
    uint64_t                  hash;
};

/* a hash with incremental rehashing (no pause when it doubles) */
typedef struct {
    dr_keeper_tree_hentry_t  **buckets[2];
    dr_uint_t                  size[2];      /* powers of 2; [1] 0 if idle */
    dr_uint_t                  nelts;
    dr_uint_t                  rehash;       /* next bucket of [0] to move */
} dr_keeper_tree_hash_t;

/*
 * An interned ACL list, shared by every node that has it (most share
 * world:anyone), kept as its encoded jute elements so that getACL is a
 * copy and the ACL checks walk it with dr_zk_vec_iter().
 */
struct dr_keeper_tree_acl_s {
    dr_keeper_tree_hentry_t   h;
    dr_uint_t                 refs;
    int32_t                   nelts;
    size_t                    len;
    u_char                    data[];
};

struct dr_keeper_tree_node_s {
    dr_keeper_tree_hentry_t   h;            /* by path; graveyard link */
    dr_keeper_tree_node_t    *parent;       /* NULL for the root */
    dr_queue_t                children;
    dr_queue_t                sibling;
    dr_queue_t                owner_link;   /* ephemerals or containers */
    dr_keeper_tree_owner_t   *owner;        /* an ephemeral's session */

    dr_str_t                  path;         /* "/a/b" ("/" for the root) */
    dr_str_t                  name;         /* "b", inside path */
    dr_str_t                  data;         /* data NULL: null */
    dr_keeper_tree_acl_t     *acl;

    int64_t                   czxid;
    int64_t                   mzxid;
    int64_t                   pzxid;
    int64_t                   ctime;
    int64_t                   mtime;
    /*
     * as ZooKeeper persists it: the session id of an ephemeral,
     * DR_ZK_EPHEMERAL_CONTAINER, or 0xff << 56 | ttl; clients see 0 for
     * the last two
     */
    int64_t                   ephemeral_owner;
    int32_t                   version;
    int32_t                   aversion;
    int32_t                   cversion;     /* child creations, as persisted */
    int32_t                   num_children;
};

/* the ephemerals of one session, in creation order */
struct dr_keeper_tree_owner_s {
    dr_keeper_tree_hentry_t   h;
    int64_t                   session_id;
    dr_queue_t                nodes;
    dr_uint_t                 count;
};

/* a change for the watch manager, reported once its transaction committed */
typedef void (*dr_keeper_tree_event_pt)(void *data, int32_t type,
    dr_str_t *path);

/*
 * The permission hooks of the live server (NULL during replay, when the
 * logged transaction was checked already). <ctx> is the transaction's.
 * check: DR_ZK_OK, or DR_ZK_NOAUTH if the session lacks <perm> on <node>.
 * fixup: the ACL to store for <in> (a create's or setACL's): DR_ZK_OK with
 * <out> (valid during the apply call), or DR_ZK_INVALIDACL.
 */
typedef int32_t (*dr_keeper_tree_check_pt)(void *ctx,
    dr_keeper_tree_node_t *node, int32_t perm);
typedef int32_t (*dr_keeper_tree_fixup_pt)(void *ctx, dr_zk_vec_t *in,
    dr_zk_vec_t *out);

/* how to undo one change of a multi (and to finish it when it commits) */
typedef struct {
    int32_t                   type;     /* create, delete, setData, setACL */
    dr_keeper_tree_node_t    *node;
    int64_t                   owner_id;     /* an ephemeral's session, or 0 */
    int64_t                   old_pzxid;    /* the parent's */
    int32_t                   old_cversion; /* the parent's */
    int32_t                   old_version;  /* version or aversion */
    int64_t                   old_mzxid;
    int64_t                   old_mtime;
    dr_str_t                  old_data;
    dr_keeper_tree_acl_t     *old_acl;
} dr_keeper_tree_undo_t;

typedef struct {
    int32_t                   type;
    dr_str_t                 *path;
} dr_keeper_tree_event_t;

struct dr_keeper_tree_s {
    dr_keeper_tree_hash_t     nodes;
    dr_keeper_tree_hash_t     acls;
    dr_keeper_tree_hash_t     owners;
    dr_keeper_tree_node_t    *root;
    dr_queue_t                containers;   /* container and TTL nodes */

    dr_objpool_t              node_pool;
    dr_objpool_t              owner_pool;

    dr_keeper_tree_check_pt   check;
    dr_keeper_tree_fixup_pt   fixup;
    dr_keeper_tree_event_pt   event;
    void                     *event_data;
    /* zookeeper.extendedTypesEnabled: TTL nodes */
    dr_uint_t                 extended_types;

    dr_uint_t                 nnodes;       /* the root included, once */
    dr_uint_t                 nephemerals;
    dr_uint_t                 ncontainers;  /* containers and TTL nodes */
    /* mntr's zk_approximate_data_size: path and data bytes of all nodes */
    uint64_t                  data_size;

    /* per apply: the multi undo log, deferred events, freed nodes */
    dr_keeper_tree_undo_t    *undo;
    dr_uint_t                 nundo;
    dr_uint_t                 undo_cap;
    dr_keeper_tree_event_t   *events;
    dr_uint_t                 nevents;
    dr_uint_t                 events_cap;
    dr_keeper_tree_node_t    *graveyard;

    uint64_t                  seed[2];
    dr_log_t                 *log;
};


/* one result of a transaction (a multi has one per op) */
typedef struct {
    /*
     * the reply's result type: DR_ZK_OPCODE_CREATE (path), CREATE2 (path
     * and stat), DELETE, SET_DATA (stat), SET_ACL (stat), CHECK, and
     * DR_ZK_OPCODE_ERROR with err for every result of a failed multi
     */
    int32_t                   type;
    int32_t                   err;
    dr_str_t                  path;         /* valid until the next apply */
    dr_zk_stat_t              stat;
} dr_keeper_tree_result_t;

/*
 * A transaction: what the keeper applies live and what replay applies
 * again. <type> is the opcode: create, create2, createContainer,
 * createTTL, delete, setData, setACL, check, multi, closeSession, or
 * deleteContainer (the server's own reaper; clients get BADARGUMENTS
 * from the keeper, not from here). <req> is the decoded body (NULL for
 * closeSession). <results> has room for one result, or one per op of a
 * multi.
 */
typedef struct {
    int64_t                   zxid;
    int64_t                   time;         /* ms since the epoch */
    int64_t                   session_id;
    int32_t                   type;
    dr_zk_request_t          *req;
    void                     *ctx;          /* for the check/fixup hooks */

    /*
     * out: err is the reply header's: the op's error for a single op; for
     * a multi DR_ZK_OK even when it failed (see results), or
     * MARSHALLINGERROR for an op ZooKeeper cannot decode (a create with
     * TTL flags but no ttl, a read) and UNIMPLEMENTED for an unknown type
     */
    int32_t                   err;
    dr_uint_t                 nresults;
    dr_keeper_tree_result_t  *results;
} dr_keeper_tree_txn_t;


/*
 * Builds an empty tree: the root, /zookeeper, /zookeeper/quota and
 * /zookeeper/config (world:anyone READ, aversion -1) as ZooKeeper 3.8
 * starts. DR_OK, or DR_ERROR (logged) without memory. Keeper process.
 */
dr_int_t dr_keeper_tree_init(dr_keeper_tree_t *tree, dr_log_t *log);
/* frees every node, ACL and index */
void dr_keeper_tree_destroy(dr_keeper_tree_t *tree);

/*
 * Applies <txn> with ZooKeeper's checks, in ZooKeeper's order. DR_OK with
 * txn->err and the results (an error is an answer, the tree unchanged);
 * DR_ERROR only without memory, the tree then unchanged too (a multi is
 * rolled back). Events go to tree->event after the whole transaction, in
 * order. Result paths stay valid until the next apply.
 */
dr_int_t dr_keeper_tree_apply(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn);

/* frees the nodes deleted by the last apply (apply does it anyway) */
void dr_keeper_tree_release(dr_keeper_tree_t *tree);

/*
 * The node at <path>, or NULL. Paths are looked up as given: "/a/" or
 * "/a//b" find nothing, and neither does "" (ZooKeeper's alias of the
 * root, not reproduced).
 */
dr_keeper_tree_node_t *dr_keeper_tree_find(dr_keeper_tree_t *tree,
    dr_str_t *path);

/*
 * The Stat clients see: cversion as creations + deletions (ZooKeeper
 * reports 2 * creations - numChildren), ephemeralOwner 0 for containers
 * and TTL nodes, dataLength 0 for null data.
 */
void dr_keeper_tree_stat(dr_keeper_tree_node_t *node, dr_zk_stat_t *st);

/* the ACL of <node> as a vector for GetACLResponse or the checks */
void dr_keeper_tree_acl_vec(dr_keeper_tree_acl_t *acl, dr_zk_vec_t *vec);

/* children of a node, in creation order (ZooKeeper: hash order) */
#define dr_keeper_tree_children_each(node, q)                                 \
    for ((q) = dr_queue_head(&(node)->children);                              \
         (q) != dr_queue_sentinel(&(node)->children);                         \
         (q) = dr_queue_next(q))
#define dr_keeper_tree_child(q)                                               \
    (dr_queue_data(q, dr_keeper_tree_node_t, sibling))

/* getAllChildrenNumber: all descendants of <node>, walked without recursion */
int32_t dr_keeper_tree_descendants(dr_keeper_tree_t *tree,
    dr_keeper_tree_node_t *node);

/* the ephemerals of <session_id> (walk owner->nodes), or NULL */
dr_keeper_tree_owner_t *dr_keeper_tree_owner(dr_keeper_tree_t *tree,
    int64_t session_id);
#define dr_keeper_tree_owner_node(q)                                          \
    (dr_queue_data(q, dr_keeper_tree_node_t, owner_link))

/*
 * The container reaper's candidates at <now> (ZooKeeper's ContainerManager):
 * empty containers that once had a child, and TTL nodes without children
 * unchanged for longer than their ttl. Up to <max> into <out>; returns how
 * many. Delete each with a deleteContainer transaction.
 */
dr_uint_t dr_keeper_tree_reapable(dr_keeper_tree_t *tree, int64_t now,
    dr_keeper_tree_node_t **out, dr_uint_t max);

/*
 * Snapshot restore: creates <path> under its existing parent, or updates
 * it if it exists (the /zookeeper nodes), with the given data (data NULL
 * is null), encoded ACL elements and persisted stat (cversion = creations;
 * num_children and data_length are ignored). DR_OK, DR_DECLINED (no
 * parent, an invalid path, or an ephemeral parent), DR_ERROR without
 * memory.
 */
dr_int_t dr_keeper_tree_restore(dr_keeper_tree_t *tree, dr_str_t *path,
    dr_str_t *data, dr_zk_vec_t *acl, dr_keeper_tree_node_t *stat);

#endif /* DR_KEEPER_TREE_H_INCLUDED */
