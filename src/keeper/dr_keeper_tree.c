/*
 * The znode tree (keeper process). Nodes live in three structures at once:
 * a hash by full path (SipHash with a random key: paths come from clients),
 * their parent's child list, and either their session's ephemeral list or
 * the tree's container/TTL list. Nodes and owners come from dr_objpool;
 * paths and data are malloc'ed per node; ACL lists are interned and
 * refcounted. The hashes double with incremental rehashing, so no apply
 * stalls on a million-node rehash.
 *
 * dr_keeper_tree_apply() is the one place that mutates. It follows
 * ZooKeeper 3.8's PrepRequestProcessor check order (so the same request
 * gets the same error) and DataTree's Stat rules: the parent's cversion
 * counts creations (the sequential suffix; clients see 2c - numChildren),
 * pzxid is the zxid of the last child create or delete, child changes
 * leave the parent's mzxid and version alone. Each change is logged in an
 * undo list: a failed multi is rolled back, a committed one frees what the
 * undo entries kept. Watch events are queued and delivered after commit;
 * deleted nodes wait in a graveyard until the next apply, so result and
 * event paths stay valid meanwhile. Watches, ACL evaluation, sessions and
 * the log are other files: they plug in through the hooks in the tree.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_zk.h"
#include "dr_keeper_tree.h"

#if (DR_HAVE_GETRANDOM)
#include <sys/random.h>
#endif


#define DR_KEEPER_TREE_UNDO_SET_ACL  DR_ZK_OPCODE_SET_ACL

typedef dr_uint_t (*dr_keeper_tree_eq_pt)(dr_keeper_tree_hentry_t *e,
    void *key);

typedef struct {
    int32_t      nelts;
    u_char      *data;
    size_t       len;
} dr_keeper_tree_acl_key_t;

typedef struct {
    dr_keeper_tree_acl_t    *acl;
    dr_keeper_tree_owner_t  *owner;
    dr_str_t                 path;      /* the new node's, malloc'ed */
    dr_str_t                 data;
} dr_keeper_tree_alloc_t;


static dr_int_t dr_keeper_tree_op_create(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, int32_t type, dr_zk_create_request_t *r,
    dr_keeper_tree_result_t *res);
static dr_int_t dr_keeper_tree_op_delete(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, dr_zk_path_version_request_t *r,
    dr_keeper_tree_result_t *res);
static dr_int_t dr_keeper_tree_op_set_data(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, dr_zk_set_data_request_t *r,
    dr_keeper_tree_result_t *res);
static dr_int_t dr_keeper_tree_op_set_acl(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, dr_zk_set_acl_request_t *r,
    dr_keeper_tree_result_t *res);
static dr_int_t dr_keeper_tree_op_check(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, dr_zk_path_version_request_t *r,
    dr_keeper_tree_result_t *res);
static dr_int_t dr_keeper_tree_op_delete_container(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, dr_str_t *path, dr_keeper_tree_result_t *res);
static dr_int_t dr_keeper_tree_op_close_session(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn);
static dr_int_t dr_keeper_tree_op_multi(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn);

static void dr_keeper_tree_commit(dr_keeper_tree_t *tree);
static void dr_keeper_tree_rollback(dr_keeper_tree_t *tree);


/* SipHash-1-3 of <p, len> under the tree's random key */
static uint64_t
dr_keeper_tree_siphash(dr_keeper_tree_t *tree, const u_char *p, size_t len)
{
    uint64_t  v0, v1, v2, v3, m, b;
    size_t    i, blocks;

#define DR_ROTL(x, n)  (((x) << (n)) | ((x) >> (64 - (n))))
#define DR_SIPROUND                                                           \
    v0 += v1; v1 = DR_ROTL(v1, 13); v1 ^= v0; v0 = DR_ROTL(v0, 32);           \
    v2 += v3; v3 = DR_ROTL(v3, 16); v3 ^= v2;                                 \
    v0 += v3; v3 = DR_ROTL(v3, 21); v3 ^= v0;                                 \
    v2 += v1; v1 = DR_ROTL(v1, 17); v1 ^= v2; v2 = DR_ROTL(v2, 32)

    v0 = 0x736f6d6570736575ULL ^ tree->seed[0];
    v1 = 0x646f72616e646f6dULL ^ tree->seed[1];
    v2 = 0x6c7967656e657261ULL ^ tree->seed[0];
    v3 = 0x7465646279746573ULL ^ tree->seed[1];

    blocks = len / 8;

    for (i = 0; i < blocks; i++, p += 8) {
        m = (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
            | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
            | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
            | (uint64_t) p[7] << 56;
        v3 ^= m;
        DR_SIPROUND;
        v0 ^= m;
    }

    b = (uint64_t) len << 56;

    for (i = 0; i < (len & 7); i++) {
        b |= (uint64_t) p[i] << (8 * i);
    }

    v3 ^= b;
    DR_SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    DR_SIPROUND;
    DR_SIPROUND;
    DR_SIPROUND;

#undef DR_SIPROUND
#undef DR_ROTL

    return v0 ^ v1 ^ v2 ^ v3;
}


/* the hashes: chained, doubling at load 1, one bucket moved per access */

static dr_int_t
dr_keeper_tree_hash_init(dr_keeper_tree_hash_t *h, dr_uint_t size,
    dr_log_t *log)
{
    dr_memzero(h, sizeof(dr_keeper_tree_hash_t));

    h->buckets[0] = dr_calloc(size * sizeof(dr_keeper_tree_hentry_t *), log);
    if (h->buckets[0] == NULL) {
        return DR_ERROR;
    }

    h->size[0] = size;

    return DR_OK;
}


static void
dr_keeper_tree_hash_step(dr_keeper_tree_hash_t *h)
{
    dr_uint_t                 n;
    dr_keeper_tree_hentry_t  *e, *next, **b;

    if (h->size[1] == 0) {
        return;
    }

    /* move one chain, skipping at most a few empty buckets */
    for (n = 0; n < 8 && h->rehash < h->size[0]; n++) {
        e = h->buckets[0][h->rehash];
        h->buckets[0][h->rehash++] = NULL;

        if (e == NULL) {
            continue;
        }

        for ( /* void */ ; e; e = next) {
            next = e->next;
            b = &h->buckets[1][e->hash & (h->size[1] - 1)];
            e->next = *b;
            *b = e;
        }

        break;
    }

    if (h->rehash == h->size[0]) {
        dr_free(h->buckets[0]);
        h->buckets[0] = h->buckets[1];
        h->size[0] = h->size[1];
        h->buckets[1] = NULL;
        h->size[1] = 0;
        h->rehash = 0;
    }
}


static dr_keeper_tree_hentry_t *
dr_keeper_tree_hash_find(dr_keeper_tree_hash_t *h, uint64_t hash,
    dr_keeper_tree_eq_pt eq, void *key)
{
    dr_uint_t                 t;
    dr_keeper_tree_hentry_t  *e;

    dr_keeper_tree_hash_step(h);

    for (t = 0; t < 2 && h->size[t]; t++) {
        for (e = h->buckets[t][hash & (h->size[t] - 1)]; e; e = e->next) {
            if (e->hash == hash && eq(e, key)) {
                return e;
            }
        }
    }

    return NULL;
}


/* never fails: without memory to grow, the chains just get longer */
static void
dr_keeper_tree_hash_insert(dr_keeper_tree_hash_t *h,
    dr_keeper_tree_hentry_t *e, dr_log_t *log)
{
    dr_uint_t                  t;
    dr_keeper_tree_hentry_t  **b;

    dr_keeper_tree_hash_step(h);

    if (h->size[1] == 0 && h->nelts >= h->size[0]
        && h->size[0] < ((dr_uint_t) 1 << (sizeof(dr_uint_t) * 8 - 2)))
    {
        h->buckets[1] = dr_calloc(2 * h->size[0]
                                  * sizeof(dr_keeper_tree_hentry_t *), log);
        if (h->buckets[1]) {
            h->size[1] = 2 * h->size[0];
            h->rehash = 0;
        }
    }

    t = h->size[1] ? 1 : 0;
    b = &h->buckets[t][e->hash & (h->size[t] - 1)];
    e->next = *b;
    *b = e;
    h->nelts++;
}


static void
dr_keeper_tree_hash_remove(dr_keeper_tree_hash_t *h,
    dr_keeper_tree_hentry_t *e)
{
    dr_uint_t                  t;
    dr_keeper_tree_hentry_t  **pp;

    for (t = 0; t < 2 && h->size[t]; t++) {
        for (pp = &h->buckets[t][e->hash & (h->size[t] - 1)]; *pp;
             pp = &(*pp)->next)
        {
            if (*pp == e) {
                *pp = e->next;
                e->next = NULL;
                h->nelts--;
                return;
            }
        }
    }
}


static dr_uint_t
dr_keeper_tree_node_eq(dr_keeper_tree_hentry_t *e, void *key)
{
    dr_str_t               *path = key;
    dr_keeper_tree_node_t  *node = (dr_keeper_tree_node_t *) e;

    return node->path.len == path->len
           && dr_memcmp(node->path.data, path->data, path->len) == 0;
}


static dr_uint_t
dr_keeper_tree_acl_eq(dr_keeper_tree_hentry_t *e, void *key)
{
    dr_keeper_tree_acl_key_t  *k = key;
    dr_keeper_tree_acl_t      *acl = (dr_keeper_tree_acl_t *) e;

    return acl->nelts == k->nelts && acl->len == k->len
           && (k->len == 0 || dr_memcmp(acl->data, k->data, k->len) == 0);
}


static dr_uint_t
dr_keeper_tree_owner_eq(dr_keeper_tree_hentry_t *e, void *key)
{
    return ((dr_keeper_tree_owner_t *) e)->session_id == *(int64_t *) key;
}


dr_keeper_tree_node_t *
dr_keeper_tree_find(dr_keeper_tree_t *tree, dr_str_t *path)
{
    if (path->data == NULL || path->len == 0) {
        return NULL;
    }

    return (dr_keeper_tree_node_t *) dr_keeper_tree_hash_find(&tree->nodes,
                 dr_keeper_tree_siphash(tree, path->data, path->len),
                 dr_keeper_tree_node_eq, path);
}


dr_keeper_tree_owner_t *
dr_keeper_tree_owner(dr_keeper_tree_t *tree, int64_t session_id)
{
    u_char  key[8];

    dr_memcpy(key, &session_id, 8);

    return (dr_keeper_tree_owner_t *) dr_keeper_tree_hash_find(&tree->owners,
                 dr_keeper_tree_siphash(tree, key, 8),
                 dr_keeper_tree_owner_eq, &session_id);
}


static dr_keeper_tree_owner_t *
dr_keeper_tree_owner_get(dr_keeper_tree_t *tree, int64_t session_id)
{
    u_char                   key[8];
    dr_keeper_tree_owner_t  *o;

    o = dr_keeper_tree_owner(tree, session_id);
    if (o) {
        return o;
    }

    o = dr_objpool_alloc(&tree->owner_pool);
    if (o == NULL) {
        return NULL;
    }

    dr_memcpy(key, &session_id, 8);
    o->session_id = session_id;
    o->h.hash = dr_keeper_tree_siphash(tree, key, 8);
    dr_queue_init(&o->nodes);
    dr_keeper_tree_hash_insert(&tree->owners, &o->h, tree->log);

    return o;
}


/* frees the owner entry of <session_id> if it has no ephemerals left */
static void
dr_keeper_tree_owner_sweep(dr_keeper_tree_t *tree, int64_t session_id)
{
    dr_keeper_tree_owner_t  *o;

    o = dr_keeper_tree_owner(tree, session_id);

    if (o && o->count == 0) {
        dr_keeper_tree_hash_remove(&tree->owners, &o->h);
        dr_objpool_free(&tree->owner_pool, o);
    }
}


void
dr_keeper_tree_acl_vec(dr_keeper_tree_acl_t *acl, dr_zk_vec_t *vec)
{
    vec->nelts = acl->nelts;
    vec->start = acl->data;
    vec->end = acl->data + acl->len;
    vec->elts = NULL;
}


/* the interned copy of <vec> with one more reference, or NULL (logged) */
static dr_keeper_tree_acl_t *
dr_keeper_tree_acl_get(dr_keeper_tree_t *tree, dr_zk_vec_t *vec)
{
    u_char                    *tmp;
    size_t                     size;
    uint64_t                   hash;
    dr_zk_writer_t             wr;
    dr_zk_vec_iter_t           it;
    dr_zk_acl_t                a;
    dr_keeper_tree_acl_t      *acl;
    dr_keeper_tree_acl_key_t   key;

    tmp = NULL;
    key.nelts = vec->nelts > 0 ? vec->nelts : 0;

    if (key.nelts && vec->elts) {
        /* an array (snapshot restore, tests): encode it first */
        size = 0;
        it = dr_zk_vec_iter(vec);

        while (dr_zk_vec_next_acl(&it, &a) == DR_OK) {
            size += 12 + a.id.scheme.len + a.id.id.len;
        }

        tmp = dr_alloc(size + 4, tree->log);
        if (tmp == NULL) {
            return NULL;
        }

        wr = dr_zk_writer_init(tmp, size + 4);
        if (dr_zk_jute_write_vec(&wr, DR_ZK_VEC_ACL, vec) != DR_OK) {
            dr_free(tmp);
            return NULL;
        }

        key.data = tmp + 4;
        key.len = size;

    } else {
        key.data = key.nelts ? vec->start : NULL;
        key.len = key.nelts ? (size_t) (vec->end - vec->start) : 0;
    }

    hash = dr_keeper_tree_siphash(tree, key.data ? key.data : (u_char *) "",
                                  key.len) ^ (uint64_t) key.nelts;

    acl = (dr_keeper_tree_acl_t *) dr_keeper_tree_hash_find(&tree->acls, hash,
                                                    dr_keeper_tree_acl_eq,
                                                    &key);
    if (acl == NULL) {
        acl = dr_alloc(sizeof(dr_keeper_tree_acl_t) + key.len, tree->log);

        if (acl) {
            acl->h.hash = hash;
            acl->refs = 0;
            acl->nelts = key.nelts;
            acl->len = key.len;
            if (key.len) {
                dr_memcpy(acl->data, key.data, key.len);
            }
            dr_keeper_tree_hash_insert(&tree->acls, &acl->h, tree->log);
        }
    }

    if (tmp) {
        dr_free(tmp);
    }

    if (acl) {
        acl->refs++;
    }

    return acl;
}


static void
dr_keeper_tree_acl_put(dr_keeper_tree_t *tree, dr_keeper_tree_acl_t *acl)
{
    if (acl && --acl->refs == 0) {
        dr_keeper_tree_hash_remove(&tree->acls, &acl->h);
        dr_free(acl);
    }
}


static dr_uint_t
dr_keeper_tree_is_container(int64_t owner)
{
    return owner == DR_ZK_EPHEMERAL_CONTAINER
           || ((uint64_t) owner & DR_ZK_EPHEMERAL_TTL_MASK)
              == DR_ZK_EPHEMERAL_TTL_MASK;
}


/* a session's ephemeral: not plain, not a container or TTL node */
static dr_uint_t
dr_keeper_tree_is_ephemeral(int64_t owner)
{
    return owner != 0 && !dr_keeper_tree_is_container(owner);
}


void
dr_keeper_tree_stat(dr_keeper_tree_node_t *node, dr_zk_stat_t *st)
{
    st->czxid = node->czxid;
    st->mzxid = node->mzxid;
    st->ctime = node->ctime;
    st->mtime = node->mtime;
    st->version = node->version;
    st->cversion = (int32_t) ((uint32_t) node->cversion * 2
                              - (uint32_t) node->num_children);
    st->aversion = node->aversion;
    st->ephemeral_owner = dr_keeper_tree_is_ephemeral(node->ephemeral_owner)
                          ? node->ephemeral_owner : 0;
    st->data_length = (int32_t) node->data.len;
    st->num_children = node->num_children;
    st->pzxid = node->pzxid;
}


/* events and undo entries: reserved before anything changes */
static dr_int_t
dr_keeper_tree_reserve(dr_keeper_tree_t *tree, dr_uint_t nevents,
    dr_uint_t nundo)
{
    void       *p;
    dr_uint_t   cap;

    if (tree->nevents + nevents > tree->events_cap) {
        cap = dr_max(2 * tree->events_cap, tree->nevents + nevents);
        p = realloc(tree->events, cap * sizeof(dr_keeper_tree_event_t));
        if (p == NULL) {
            dr_log_error(DR_LOG_CRIT, tree->log, dr_errno,
                         "realloc() of %ui tree events failed", cap);
            return DR_ERROR;
        }
        tree->events = p;
        tree->events_cap = cap;
    }

    if (tree->nundo + nundo > tree->undo_cap) {
        cap = dr_max(2 * tree->undo_cap, tree->nundo + nundo);
        p = realloc(tree->undo, cap * sizeof(dr_keeper_tree_undo_t));
        if (p == NULL) {
            dr_log_error(DR_LOG_CRIT, tree->log, dr_errno,
                         "realloc() of %ui tree undo entries failed", cap);
            return DR_ERROR;
        }
        tree->undo = p;
        tree->undo_cap = cap;
    }

    return DR_OK;
}


static void
dr_keeper_tree_event_add(dr_keeper_tree_t *tree, int32_t type,
    dr_keeper_tree_node_t *node)
{
    dr_keeper_tree_event_t  *ev;

    ev = &tree->events[tree->nevents++];
    ev->type = type;
    ev->path = &node->path;
}


static dr_keeper_tree_undo_t *
dr_keeper_tree_undo_add(dr_keeper_tree_t *tree, int32_t type,
    dr_keeper_tree_node_t *node)
{
    dr_keeper_tree_undo_t  *u;

    u = &tree->undo[tree->nundo++];
    dr_memzero(u, sizeof(dr_keeper_tree_undo_t));
    u->type = type;
    u->node = node;
    u->owner_id = dr_keeper_tree_is_ephemeral(node->ephemeral_owner)
                  ? node->ephemeral_owner : 0;

    return u;
}


static void
dr_keeper_tree_data_free(dr_str_t *data)
{
    if (data->data && data->len) {
        dr_free(data->data);
    }
}


/* a private copy of request data: NULL stays null, empty is not null */
static dr_int_t
dr_keeper_tree_data_copy(dr_keeper_tree_t *tree, dr_str_t *src,
    dr_str_t *dst)
{
    dst->len = src->len;

    if (src->data == NULL) {
        dst->data = NULL;
        dst->len = 0;
        return DR_OK;
    }

    if (src->len == 0) {
        dst->data = DR_ZK_EMPTY_DATA;
        return DR_OK;
    }

    dst->data = dr_alloc(src->len, tree->log);
    if (dst->data == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(dst->data, src->data, src->len);

    return DR_OK;
}


/* links a new node everywhere; nothing here can fail */
static void
dr_keeper_tree_link(dr_keeper_tree_t *tree, dr_keeper_tree_node_t *node,
    dr_keeper_tree_node_t *parent, dr_keeper_tree_owner_t *owner)
{
    node->parent = parent;
    node->h.hash = dr_keeper_tree_siphash(tree, node->path.data,
                                          node->path.len);
    dr_keeper_tree_hash_insert(&tree->nodes, &node->h, tree->log);
    dr_queue_init(&node->children);

    if (parent) {
        dr_queue_insert_tail(&parent->children, &node->sibling);
        parent->num_children++;
    }

    node->owner = owner;

    if (owner) {
        dr_queue_insert_tail(&owner->nodes, &node->owner_link);
        owner->count++;
        tree->nephemerals++;

    } else if (dr_keeper_tree_is_container(node->ephemeral_owner)) {
        dr_queue_insert_tail(&tree->containers, &node->owner_link);
        tree->ncontainers++;

    } else {
        dr_queue_init(&node->owner_link);
    }

    tree->nnodes++;
    tree->data_size += node->path.len + node->data.len;
}


static void
dr_keeper_tree_unlink(dr_keeper_tree_t *tree, dr_keeper_tree_node_t *node)
{
    dr_keeper_tree_hash_remove(&tree->nodes, &node->h);

    if (node->parent) {
        dr_queue_remove(&node->sibling);
        node->parent->num_children--;
    }

    if (node->owner) {
        dr_queue_remove(&node->owner_link);
        node->owner->count--;
        tree->nephemerals--;

    } else if (dr_keeper_tree_is_container(node->ephemeral_owner)) {
        dr_queue_remove(&node->owner_link);
        tree->ncontainers--;
    }

    tree->nnodes--;
    tree->data_size -= node->path.len + node->data.len;
}


static void
dr_keeper_tree_node_free(dr_keeper_tree_t *tree, dr_keeper_tree_node_t *node)
{
    dr_free(node->path.data);
    dr_keeper_tree_data_free(&node->data);
    dr_keeper_tree_acl_put(tree, node->acl);
    dr_objpool_free(&tree->node_pool, node);
}


void
dr_keeper_tree_release(dr_keeper_tree_t *tree)
{
    dr_keeper_tree_node_t  *node;

    while (tree->graveyard) {
        node = tree->graveyard;
        tree->graveyard = (dr_keeper_tree_node_t *) node->h.next;
        dr_keeper_tree_node_free(tree, node);
    }
}


/*
 * The parent of <path> whose last '/' is at <slash>: ZooKeeper takes
 * path[0, slash) as the parent's path, and "" is the root.
 */
static dr_keeper_tree_node_t *
dr_keeper_tree_parent(dr_keeper_tree_t *tree, dr_str_t *path, size_t slash)
{
    dr_str_t  ppath;

    if (slash == 0) {
        return tree->root;
    }

    ppath.data = path->data;
    ppath.len = slash;

    return dr_keeper_tree_find(tree, &ppath);
}


/* the index of the last '/', or -1 if none or the path holds a NUL */
static ssize_t
dr_keeper_tree_last_slash(dr_str_t *path)
{
    ssize_t  i, slash;

    slash = -1;

    for (i = 0; i < (ssize_t) path->len; i++) {
        if (path->data[i] == '/') {
            slash = i;

        } else if (path->data[i] == '\0') {
            return -1;
        }
    }

    return slash;
}


static dr_uint_t
dr_keeper_tree_is_special(dr_str_t *path)
{
    return dr_str_eq_lit(path, "/") || dr_str_eq_lit(path, "/zookeeper")
           || dr_str_eq_lit(path, "/zookeeper/quota")
           || dr_str_eq_lit(path, "/zookeeper/config");
}


static int32_t
dr_keeper_tree_check(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_keeper_tree_node_t *node, int32_t perm)
{
    return tree->check ? tree->check(txn->ctx, node, perm) : DR_ZK_OK;
}


static int32_t
dr_keeper_tree_fixup(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_zk_vec_t *in, dr_zk_vec_t *out)
{
    if (tree->fixup) {
        return tree->fixup(txn->ctx, in, out);
    }

    *out = *in;

    return DR_ZK_OK;
}


/* version checks: -1 matches any; a match returns the next version */
static dr_uint_t
dr_keeper_tree_version_ok(int32_t current, int32_t expected)
{
    return expected == -1 || expected == current;
}

#define dr_keeper_tree_version_next(v)  ((int32_t) ((uint32_t) (v) + 1))


/* "%010d" of a Java int, as the sequential suffix is formatted */
static size_t
dr_keeper_tree_seq(u_char *buf, int32_t v)
{
    u_char    tmp[10];
    size_t    n, i, len;
    uint32_t  u;

    len = 0;
    u = (uint32_t) v;

    if (v < 0) {
        buf[len++] = '-';
        u = 0U - u;
    }

    n = 0;
    do {
        tmp[n++] = (u_char) ('0' + u % 10);
        u /= 10;
    } while (u);

    for (i = (v < 0) ? n + 1 : n; i < 10; i++) {
        buf[len++] = '0';
    }

    while (n) {
        buf[len++] = tmp[--n];
    }

    return len;
}


/* an op's error answer: the tree is unchanged; returns DR_OK */
static dr_int_t
dr_keeper_tree_fail(dr_keeper_tree_result_t *res, int32_t err)
{
    res->err = err;
    res->path.len = 0;
    res->path.data = NULL;

    return DR_OK;
}


/*
 * create, create2, createContainer, createTTL. <type> decides container
 * and TTL as the txn types do in ZooKeeper; in a multi, the caller maps
 * the op to its effective type first.
 */
static dr_int_t
dr_keeper_tree_op_create(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    int32_t type, dr_zk_create_request_t *r, dr_keeper_tree_result_t *res)
{
    u_char                  *p;
    size_t                   slen;
    ssize_t                  slash;
    int32_t                  err, flags;
    int64_t                  ttl, owner_id;
    dr_str_t                 path;
    dr_uint_t                ttl_mode, sequential, ephemeral;
    dr_zk_vec_t              acl;
    dr_keeper_tree_node_t   *parent, *node;
    dr_keeper_tree_undo_t   *u;
    dr_keeper_tree_alloc_t   a;
    u_char                   suffix[16];

    res->type = (type == DR_ZK_OPCODE_CREATE) ? DR_ZK_OPCODE_CREATE
                                              : DR_ZK_OPCODE_CREATE2;
    flags = r->flags;

    if (flags < DR_ZK_CREATE_PERSISTENT
        || flags > DR_ZK_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL)
    {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    ttl_mode = (flags == DR_ZK_CREATE_PERSISTENT_WITH_TTL
                || flags == DR_ZK_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL);

    if (ttl_mode && !tree->extended_types) {
        return dr_keeper_tree_fail(res, DR_ZK_UNIMPLEMENTED);
    }

    ttl = (type == DR_ZK_OPCODE_CREATE_TTL) ? r->ttl : -1;

    if (ttl_mode ? (ttl <= 0 || ttl > DR_KEEPER_TREE_TTL_MAX)
                 : (type == DR_ZK_OPCODE_CREATE_TTL))
    {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    if (r->path.data == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_MARSHALLINGERROR);
    }

    slash = dr_keeper_tree_last_slash(&r->path);
    if (slash < 0) {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    err = dr_keeper_tree_fixup(tree, txn, &r->acl, &acl);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    parent = dr_keeper_tree_parent(tree, &r->path, (size_t) slash);
    if (parent == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    err = dr_keeper_tree_check(tree, txn, parent, DR_ZK_PERM_CREATE);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    sequential = (flags == DR_ZK_CREATE_PERSISTENT_SEQUENTIAL
                  || flags == DR_ZK_CREATE_EPHEMERAL_SEQUENTIAL
                  || flags == DR_ZK_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL);
    slen = sequential ? dr_keeper_tree_seq(suffix, parent->cversion) : 0;

    dr_memzero(&a, sizeof(a));

    a.path.len = r->path.len + slen;
    a.path.data = dr_alloc(a.path.len, tree->log);
    if (a.path.data == NULL) {
        return DR_ERROR;
    }

    p = dr_cpymem(a.path.data, r->path.data, r->path.len);
    if (slen) {
        dr_memcpy(p, suffix, slen);
    }

    path = a.path;

    if (dr_zk_path_validate(&path, 0) != DR_OK) {
        dr_free(a.path.data);
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    if (dr_keeper_tree_find(tree, &path)) {
        dr_free(a.path.data);
        return dr_keeper_tree_fail(res, DR_ZK_NODEEXISTS);
    }

    if (dr_keeper_tree_is_ephemeral(parent->ephemeral_owner)) {
        dr_free(a.path.data);
        return dr_keeper_tree_fail(res, DR_ZK_NOCHILDRENFOREPHEMERALS);
    }

    ephemeral = (flags == DR_ZK_CREATE_EPHEMERAL
                 || flags == DR_ZK_CREATE_EPHEMERAL_SEQUENTIAL);

    if (type == DR_ZK_OPCODE_CREATE_CONTAINER
        || flags == DR_ZK_CREATE_CONTAINER)
    {
        owner_id = DR_ZK_EPHEMERAL_CONTAINER;

    } else if (ttl_mode) {
        owner_id = (int64_t) (DR_ZK_EPHEMERAL_TTL_MASK | (uint64_t) ttl);

    } else if (ephemeral) {
        owner_id = txn->session_id;

    } else {
        owner_id = 0;
    }

    /* everything that may fail, before anything changes */

    if (dr_keeper_tree_reserve(tree, 2, 1) != DR_OK
        || dr_keeper_tree_data_copy(tree, &r->data, &a.data) != DR_OK)
    {
        goto failed;
    }

    a.acl = dr_keeper_tree_acl_get(tree, &acl);
    if (a.acl == NULL) {
        goto failed;
    }

    if (dr_keeper_tree_is_ephemeral(owner_id)) {
        a.owner = dr_keeper_tree_owner_get(tree, owner_id);
        if (a.owner == NULL) {
            goto failed;
        }
    }

    node = dr_objpool_alloc(&tree->node_pool);
    if (node == NULL) {
        goto failed;
    }

    node->path = a.path;
    node->name.data = a.path.data + slash + 1;
    node->name.len = a.path.len - slash - 1;
    node->data = a.data;
    node->acl = a.acl;
    node->czxid = txn->zxid;
    node->mzxid = txn->zxid;
    node->pzxid = txn->zxid;
    node->ctime = txn->time;
    node->mtime = txn->time;
    node->ephemeral_owner = owner_id;

    u = dr_keeper_tree_undo_add(tree, DR_ZK_OPCODE_CREATE, node);
    u->old_pzxid = parent->pzxid;
    u->old_cversion = parent->cversion;

    dr_keeper_tree_link(tree, node, parent, a.owner);

    parent->cversion = dr_keeper_tree_version_next(parent->cversion);
    parent->pzxid = txn->zxid;

    dr_keeper_tree_event_add(tree, DR_ZK_EVENT_NODE_CREATED, node);
    dr_keeper_tree_event_add(tree, DR_ZK_EVENT_NODE_CHILDREN_CHANGED, parent);

    res->err = DR_ZK_OK;
    res->path = node->path;
    dr_keeper_tree_stat(node, &res->stat);

    return DR_OK;

failed:

    /* an owner created for this node is swept with the undo log */
    dr_keeper_tree_acl_put(tree, a.acl);
    dr_keeper_tree_data_free(&a.data);
    dr_free(a.path.data);

    if (a.owner && a.owner->count == 0) {
        dr_keeper_tree_owner_sweep(tree, owner_id);
    }

    return DR_ERROR;
}


/* unlinks <node> into the graveyard with its events and undo entry */
static void
dr_keeper_tree_remove(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_keeper_tree_node_t *node)
{
    dr_keeper_tree_node_t  *parent;
    dr_keeper_tree_undo_t  *u;

    parent = node->parent;

    u = dr_keeper_tree_undo_add(tree, DR_ZK_OPCODE_DELETE, node);
    u->old_pzxid = parent->pzxid;

    dr_keeper_tree_unlink(tree, node);

    /* DataTree.deleteNode: never move pzxid back (log replay) */
    if (txn->zxid > parent->pzxid) {
        parent->pzxid = txn->zxid;
    }

    node->h.next = (dr_keeper_tree_hentry_t *) tree->graveyard;
    tree->graveyard = node;

    dr_keeper_tree_event_add(tree, DR_ZK_EVENT_NODE_DELETED, node);
    dr_keeper_tree_event_add(tree, DR_ZK_EVENT_NODE_CHILDREN_CHANGED, parent);
}


static dr_int_t
dr_keeper_tree_op_delete(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_zk_path_version_request_t *r, dr_keeper_tree_result_t *res)
{
    ssize_t                 slash;
    int32_t                 err;
    dr_keeper_tree_node_t  *parent, *node;

    res->type = DR_ZK_OPCODE_DELETE;

    if (r->path.data == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_MARSHALLINGERROR);
    }

    slash = dr_keeper_tree_last_slash(&r->path);

    if (slash < 0 || dr_keeper_tree_is_special(&r->path)) {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    parent = dr_keeper_tree_parent(tree, &r->path, (size_t) slash);
    if (parent == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    err = dr_keeper_tree_check(tree, txn, parent, DR_ZK_PERM_DELETE);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    node = dr_keeper_tree_find(tree, &r->path);

    if (node == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    if (!dr_keeper_tree_version_ok(node->version, r->version)) {
        return dr_keeper_tree_fail(res, DR_ZK_BADVERSION);
    }

    if (node->num_children > 0) {
        return dr_keeper_tree_fail(res, DR_ZK_NOTEMPTY);
    }

    if (dr_keeper_tree_reserve(tree, 2, 1) != DR_OK) {
        return DR_ERROR;
    }

    dr_keeper_tree_remove(tree, txn, node);

    res->err = DR_ZK_OK;
    res->path = node->path;

    return DR_OK;
}


/* the container reaper's delete (PrepRequestProcessor's deleteContainer) */
static dr_int_t
dr_keeper_tree_op_delete_container(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn, dr_str_t *path, dr_keeper_tree_result_t *res)
{
    dr_keeper_tree_node_t  *node;

    res->type = DR_ZK_OPCODE_DELETE;

    if (path->data == NULL || dr_keeper_tree_last_slash(path) < 0
        || dr_keeper_tree_is_special(path))
    {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    node = dr_keeper_tree_find(tree, path);

    if (node == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    if (node->num_children > 0) {
        return dr_keeper_tree_fail(res, DR_ZK_NOTEMPTY);
    }

    if (dr_keeper_tree_is_ephemeral(node->ephemeral_owner)) {
        return dr_keeper_tree_fail(res, DR_ZK_BADVERSION);
    }

    if (dr_keeper_tree_reserve(tree, 2, 1) != DR_OK) {
        return DR_ERROR;
    }

    dr_keeper_tree_remove(tree, txn, node);

    res->err = DR_ZK_OK;
    res->path = node->path;

    return DR_OK;
}


static dr_int_t
dr_keeper_tree_op_set_data(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_zk_set_data_request_t *r, dr_keeper_tree_result_t *res)
{
    int32_t                 err;
    dr_str_t                data;
    dr_keeper_tree_node_t  *node;
    dr_keeper_tree_undo_t  *u;

    res->type = DR_ZK_OPCODE_SET_DATA;

    if (r->path.data == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_MARSHALLINGERROR);
    }

    if (dr_zk_path_validate(&r->path, 0) != DR_OK) {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    node = dr_keeper_tree_find(tree, &r->path);
    if (node == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    err = dr_keeper_tree_check(tree, txn, node, DR_ZK_PERM_WRITE);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    if (!dr_keeper_tree_version_ok(node->version, r->version)) {
        return dr_keeper_tree_fail(res, DR_ZK_BADVERSION);
    }

    if (dr_keeper_tree_reserve(tree, 1, 1) != DR_OK
        || dr_keeper_tree_data_copy(tree, &r->data, &data) != DR_OK)
    {
        return DR_ERROR;
    }

    u = dr_keeper_tree_undo_add(tree, DR_ZK_OPCODE_SET_DATA, node);
    u->old_data = node->data;
    u->old_version = node->version;
    u->old_mzxid = node->mzxid;
    u->old_mtime = node->mtime;

    tree->data_size += data.len;
    tree->data_size -= node->data.len;

    node->data = data;
    node->version = dr_keeper_tree_version_next(node->version);
    node->mzxid = txn->zxid;
    node->mtime = txn->time;

    dr_keeper_tree_event_add(tree, DR_ZK_EVENT_NODE_DATA_CHANGED, node);

    res->err = DR_ZK_OK;
    res->path = node->path;
    dr_keeper_tree_stat(node, &res->stat);

    return DR_OK;
}


static dr_int_t
dr_keeper_tree_op_set_acl(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_zk_set_acl_request_t *r, dr_keeper_tree_result_t *res)
{
    int32_t                 err;
    dr_zk_vec_t             vec;
    dr_keeper_tree_acl_t   *acl;
    dr_keeper_tree_node_t  *node;
    dr_keeper_tree_undo_t  *u;

    res->type = DR_ZK_OPCODE_SET_ACL;

    if (r->path.data == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_MARSHALLINGERROR);
    }

    if (dr_zk_path_validate(&r->path, 0) != DR_OK) {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    err = dr_keeper_tree_fixup(tree, txn, &r->acl, &vec);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    node = dr_keeper_tree_find(tree, &r->path);
    if (node == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    err = dr_keeper_tree_check(tree, txn, node, DR_ZK_PERM_ADMIN);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    if (!dr_keeper_tree_version_ok(node->aversion, r->version)) {
        return dr_keeper_tree_fail(res, DR_ZK_BADVERSION);
    }

    if (dr_keeper_tree_reserve(tree, 0, 1) != DR_OK) {
        return DR_ERROR;
    }

    acl = dr_keeper_tree_acl_get(tree, &vec);
    if (acl == NULL) {
        return DR_ERROR;
    }

    u = dr_keeper_tree_undo_add(tree, DR_KEEPER_TREE_UNDO_SET_ACL, node);
    u->old_acl = node->acl;
    u->old_version = node->aversion;

    node->acl = acl;
    node->aversion = dr_keeper_tree_version_next(node->aversion);

    res->err = DR_ZK_OK;
    res->path = node->path;
    dr_keeper_tree_stat(node, &res->stat);

    return DR_OK;
}


static dr_int_t
dr_keeper_tree_op_check(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn,
    dr_zk_path_version_request_t *r, dr_keeper_tree_result_t *res)
{
    int32_t                 err;
    dr_keeper_tree_node_t  *node;

    res->type = DR_ZK_OPCODE_CHECK;

    if (r->path.data == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_MARSHALLINGERROR);
    }

    if (dr_zk_path_validate(&r->path, 0) != DR_OK) {
        return dr_keeper_tree_fail(res, DR_ZK_BADARGUMENTS);
    }

    node = dr_keeper_tree_find(tree, &r->path);
    if (node == NULL) {
        return dr_keeper_tree_fail(res, DR_ZK_NONODE);
    }

    err = dr_keeper_tree_check(tree, txn, node, DR_ZK_PERM_READ);
    if (err != DR_ZK_OK) {
        return dr_keeper_tree_fail(res, err);
    }

    if (!dr_keeper_tree_version_ok(node->version, r->version)) {
        return dr_keeper_tree_fail(res, DR_ZK_BADVERSION);
    }

    res->err = DR_ZK_OK;
    res->path = node->path;

    return DR_OK;
}


/* closeSession and expiry: the session's ephemerals go, oldest first */
static dr_int_t
dr_keeper_tree_op_close_session(dr_keeper_tree_t *tree,
    dr_keeper_tree_txn_t *txn)
{
    dr_queue_t              *q;
    dr_keeper_tree_owner_t  *owner;

    owner = dr_keeper_tree_owner(tree, txn->session_id);

    if (owner == NULL) {
        return DR_OK;
    }

    if (dr_keeper_tree_reserve(tree, 2 * owner->count, owner->count)
        != DR_OK)
    {
        return DR_ERROR;
    }

    while (!dr_queue_empty(&owner->nodes)) {
        q = dr_queue_head(&owner->nodes);
        dr_keeper_tree_remove(tree, txn, dr_keeper_tree_owner_node(q));
    }

    return DR_OK;
}


/*
 * ZooKeeper turns each create-family op of a multi into create,
 * createContainer or createTTL by its flags (MultiOperationRecord and
 * Op.create): a create2 or a createContainer with flags 0 is a plain
 * create answered with a path only. TTL flags need the createTTL record:
 * without it ZooKeeper fails the whole request with MARSHALLINGERROR.
 */
static int32_t
dr_keeper_tree_multi_create_type(dr_zk_multi_op_t *op)
{
    int32_t  flags;

    flags = op->u.create.flags;

    if (flags == DR_ZK_CREATE_PERSISTENT_WITH_TTL
        || flags == DR_ZK_CREATE_PERSISTENT_SEQUENTIAL_WITH_TTL)
    {
        return (op->type == DR_ZK_OPCODE_CREATE_TTL) ? DR_ZK_OPCODE_CREATE_TTL
                                                     : DR_ZK_OPCODE_ERROR;
    }

    return (flags == DR_ZK_CREATE_CONTAINER) ? DR_ZK_OPCODE_CREATE_CONTAINER
                                             : DR_ZK_OPCODE_CREATE;
}


/*
 * What ZooKeeper refuses while deserializing the whole multi, before any
 * op runs (MARSHALLINGERROR): TTL flags without a createTTL record, reads
 * (they belong in a multiRead), and a malformed sequence.
 */
static dr_uint_t
dr_keeper_tree_multi_valid(dr_zk_multi_request_t *m)
{
    dr_int_t          rc;
    dr_uint_t         n;
    dr_zk_reader_t    ops;
    dr_zk_multi_op_t  op;

    ops = m->ops;
    n = 0;

    while ((rc = dr_zk_multi_next(&ops, &op)) == DR_OK) {

        switch (op.type) {

        case DR_ZK_OPCODE_CREATE:
        case DR_ZK_OPCODE_CREATE2:
        case DR_ZK_OPCODE_CREATE_CONTAINER:
        case DR_ZK_OPCODE_CREATE_TTL:
            if (dr_keeper_tree_multi_create_type(&op) == DR_ZK_OPCODE_ERROR) {
                return 0;
            }
            break;

        case DR_ZK_OPCODE_DELETE:
        case DR_ZK_OPCODE_SET_DATA:
        case DR_ZK_OPCODE_CHECK:
            break;

        default:
            return 0;
        }

        n++;
    }

    return rc == DR_DONE && n == m->nops;
}


static dr_int_t
dr_keeper_tree_op_multi(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn)
{
    dr_int_t                  rc;
    dr_uint_t                 i, n, nops, failed;
    dr_zk_reader_t            ops;
    dr_zk_multi_op_t          op;
    dr_keeper_tree_result_t  *res;

    nops = txn->req->multi.nops;

    if (!dr_keeper_tree_multi_valid(&txn->req->multi)) {
        txn->err = DR_ZK_MARSHALLINGERROR;
        txn->nresults = 0;
        return DR_OK;
    }

    ops = txn->req->multi.ops;
    failed = nops;

    for (n = 0; n < nops && dr_zk_multi_next(&ops, &op) == DR_OK; n++) {
        res = &txn->results[n];

        switch (op.type) {

        case DR_ZK_OPCODE_DELETE:
            rc = dr_keeper_tree_op_delete(tree, txn, &op.u.del, res);
            break;

        case DR_ZK_OPCODE_SET_DATA:
            rc = dr_keeper_tree_op_set_data(tree, txn, &op.u.set_data, res);
            break;

        case DR_ZK_OPCODE_CHECK:
            rc = dr_keeper_tree_op_check(tree, txn, &op.u.check, res);
            break;

        default:    /* the create family, checked above */
            rc = dr_keeper_tree_op_create(tree, txn,
                                      dr_keeper_tree_multi_create_type(&op),
                                      &op.u.create, res);
        }

        if (rc != DR_OK) {
            return DR_ERROR;        /* no memory: the caller rolls back */
        }

        if (res->err != DR_ZK_OK) {
            failed = n;
            break;
        }
    }

    txn->nresults = nops;

    if (failed == nops) {
        return DR_OK;
    }

    /* all ops share the fate of the failed one */
    dr_keeper_tree_rollback(tree);

    for (i = 0; i < nops; i++) {
        res = &txn->results[i];
        res->err = (i < failed) ? DR_ZK_OK
                   : (i == failed) ? res->err
                   : DR_ZK_RUNTIMEINCONSISTENCY;
        res->type = DR_ZK_OPCODE_ERROR;
        res->path.len = 0;
        res->path.data = NULL;
    }

    return DR_OK;
}


static void
dr_keeper_tree_commit(dr_keeper_tree_t *tree)
{
    dr_uint_t               i;
    dr_keeper_tree_undo_t  *u;

    for (i = 0; i < tree->nundo; i++) {
        u = &tree->undo[i];

        switch (u->type) {

        case DR_ZK_OPCODE_SET_DATA:
            dr_keeper_tree_data_free(&u->old_data);
            break;

        case DR_KEEPER_TREE_UNDO_SET_ACL:
            dr_keeper_tree_acl_put(tree, u->old_acl);
            break;

        case DR_ZK_OPCODE_DELETE:
            if (u->owner_id) {
                dr_keeper_tree_owner_sweep(tree, u->owner_id);
            }
            break;
        }
    }

    tree->nundo = 0;

    if (tree->event) {
        for (i = 0; i < tree->nevents; i++) {
            tree->event(tree->event_data, tree->events[i].type,
                        tree->events[i].path);
        }
    }

    tree->nevents = 0;
}


static void
dr_keeper_tree_rollback(dr_keeper_tree_t *tree)
{
    dr_uint_t               i;
    dr_keeper_tree_node_t  *node, *parent;
    dr_keeper_tree_undo_t  *u;

    for (i = tree->nundo; i-- > 0; /* void */) {
        u = &tree->undo[i];
        node = u->node;

        switch (u->type) {

        case DR_ZK_OPCODE_CREATE:
            parent = node->parent;
            dr_keeper_tree_unlink(tree, node);
            parent->cversion = u->old_cversion;
            parent->pzxid = u->old_pzxid;
            dr_keeper_tree_node_free(tree, node);
            break;

        case DR_ZK_OPCODE_DELETE:
            /* the graveyard is LIFO: this node is its head */
            tree->graveyard = (dr_keeper_tree_node_t *) node->h.next;
            parent = node->parent;
            dr_keeper_tree_link(tree, node, parent, node->owner);
            parent->pzxid = u->old_pzxid;
            break;

        case DR_ZK_OPCODE_SET_DATA:
            tree->data_size += u->old_data.len;
            tree->data_size -= node->data.len;
            dr_keeper_tree_data_free(&node->data);
            node->data = u->old_data;
            node->version = u->old_version;
            node->mzxid = u->old_mzxid;
            node->mtime = u->old_mtime;
            break;

        case DR_KEEPER_TREE_UNDO_SET_ACL:
            dr_keeper_tree_acl_put(tree, node->acl);
            node->acl = u->old_acl;
            node->aversion = u->old_version;
            break;
        }
    }

    /* owners created for rolled back ephemerals */
    for (i = 0; i < tree->nundo; i++) {
        if (tree->undo[i].owner_id) {
            dr_keeper_tree_owner_sweep(tree, tree->undo[i].owner_id);
        }
    }

    tree->nundo = 0;
    tree->nevents = 0;
}


dr_int_t
dr_keeper_tree_apply(dr_keeper_tree_t *tree, dr_keeper_tree_txn_t *txn)
{
    dr_int_t                  rc;
    dr_zk_request_t          *req;
    dr_keeper_tree_result_t  *res;

    dr_keeper_tree_release(tree);

    tree->nundo = 0;
    tree->nevents = 0;

    req = txn->req;
    res = txn->results;
    txn->err = DR_ZK_OK;
    txn->nresults = 1;

    switch (txn->type) {

    case DR_ZK_OPCODE_CREATE:
    case DR_ZK_OPCODE_CREATE2:
    case DR_ZK_OPCODE_CREATE_CONTAINER:
    case DR_ZK_OPCODE_CREATE_TTL:
        rc = dr_keeper_tree_op_create(tree, txn, txn->type, &req->create, res);
        break;

    case DR_ZK_OPCODE_DELETE:
        rc = dr_keeper_tree_op_delete(tree, txn, &req->path_version, res);
        break;

    case DR_ZK_OPCODE_DELETE_CONTAINER:
        rc = dr_keeper_tree_op_delete_container(tree, txn, &req->path.path,
                                                res);
        break;

    case DR_ZK_OPCODE_SET_DATA:
        rc = dr_keeper_tree_op_set_data(tree, txn, &req->set_data, res);
        break;

    case DR_ZK_OPCODE_SET_ACL:
        rc = dr_keeper_tree_op_set_acl(tree, txn, &req->set_acl, res);
        break;

    case DR_ZK_OPCODE_CHECK:
        rc = dr_keeper_tree_op_check(tree, txn, &req->path_version, res);
        break;

    case DR_ZK_OPCODE_MULTI:
        rc = dr_keeper_tree_op_multi(tree, txn);
        break;

    case DR_ZK_OPCODE_CLOSE_SESSION:
        txn->nresults = 0;
        rc = dr_keeper_tree_op_close_session(tree, txn);
        break;

    default:
        txn->err = DR_ZK_UNIMPLEMENTED;
        txn->nresults = 0;
        return DR_OK;
    }

    if (rc != DR_OK) {
        dr_keeper_tree_rollback(tree);
        dr_keeper_tree_release(tree);
        return DR_ERROR;
    }

    if (txn->type != DR_ZK_OPCODE_MULTI && txn->nresults) {
        txn->err = res->err;
    }

    dr_keeper_tree_commit(tree);

    return DR_OK;
}


int32_t
dr_keeper_tree_descendants(dr_keeper_tree_t *tree, dr_keeper_tree_node_t *node)
{
    int32_t                 n;
    dr_queue_t             *q;
    dr_keeper_tree_node_t  *cur;

    if (node == tree->root) {
        return (int32_t) (tree->nnodes - 1);
    }

    n = 0;
    cur = node;

    for ( ;; ) {
        if (!dr_queue_empty(&cur->children)) {
            cur = dr_keeper_tree_child(dr_queue_head(&cur->children));
            n++;
            continue;
        }

        /* no children: the next sibling of cur or of an ancestor */
        while (cur != node) {
            q = dr_queue_next(&cur->sibling);

            if (q != dr_queue_sentinel(&cur->parent->children)) {
                cur = dr_keeper_tree_child(q);
                n++;
                break;
            }

            cur = cur->parent;
        }

        if (cur == node) {
            return n;
        }
    }
}


dr_uint_t
dr_keeper_tree_reapable(dr_keeper_tree_t *tree, int64_t now,
    dr_keeper_tree_node_t **out, dr_uint_t max)
{
    int64_t                 ttl;
    dr_uint_t               n;
    dr_queue_t             *q;
    dr_keeper_tree_node_t  *node;

    n = 0;

    for (q = dr_queue_head(&tree->containers);
         q != dr_queue_sentinel(&tree->containers) && n < max;
         q = dr_queue_next(q))
    {
        node = dr_queue_data(q, dr_keeper_tree_node_t, owner_link);

        if (node->num_children) {
            continue;
        }

        if (node->ephemeral_owner == DR_ZK_EPHEMERAL_CONTAINER) {
            /* a container that never had a child stays */
            if (node->cversion > 0) {
                out[n++] = node;
            }
            continue;
        }

        ttl = (int64_t) ((uint64_t) node->ephemeral_owner
                         & ~DR_ZK_EPHEMERAL_TTL_MASK);

        if (ttl != 0 && now - node->mtime > ttl) {
            out[n++] = node;
        }
    }

    return n;
}


/* a node with no parent or a given parent, for init and restore */
static dr_keeper_tree_node_t *
dr_keeper_tree_node_add(dr_keeper_tree_t *tree, dr_keeper_tree_node_t *parent,
    dr_str_t *path, dr_str_t *data, dr_zk_vec_t *acl, int64_t owner_id)
{
    size_t                   slash;
    dr_keeper_tree_node_t   *node;
    dr_keeper_tree_alloc_t   a;

    dr_memzero(&a, sizeof(a));

    a.path.len = path->len;
    a.path.data = dr_alloc(path->len, tree->log);
    if (a.path.data == NULL) {
        return NULL;
    }

    dr_memcpy(a.path.data, path->data, path->len);

    if (dr_keeper_tree_data_copy(tree, data, &a.data) != DR_OK) {
        goto failed;
    }

    a.acl = dr_keeper_tree_acl_get(tree, acl);
    if (a.acl == NULL) {
        goto failed;
    }

    if (dr_keeper_tree_is_ephemeral(owner_id)) {
        a.owner = dr_keeper_tree_owner_get(tree, owner_id);
        if (a.owner == NULL) {
            goto failed;
        }
    }

    node = dr_objpool_alloc(&tree->node_pool);
    if (node == NULL) {
        goto failed;
    }

    for (slash = path->len; slash > 0 && path->data[slash - 1] != '/';
         slash--)
    {
        /* void */
    }

    node->path = a.path;
    node->name.data = a.path.data + slash;
    node->name.len = a.path.len - slash;
    node->data = a.data;
    node->acl = a.acl;
    node->ephemeral_owner = owner_id;

    dr_keeper_tree_link(tree, node, parent, a.owner);

    return node;

failed:

    dr_keeper_tree_acl_put(tree, a.acl);
    dr_keeper_tree_data_free(&a.data);
    dr_free(a.path.data);

    return NULL;
}


dr_int_t
dr_keeper_tree_restore(dr_keeper_tree_t *tree, dr_str_t *path,
    dr_str_t *data, dr_zk_vec_t *acl, dr_keeper_tree_node_t *stat)
{
    ssize_t                 slash;
    dr_str_t                copy;
    dr_keeper_tree_acl_t   *a;
    dr_keeper_tree_node_t  *node, *parent;

    if (path->data == NULL || dr_zk_path_validate(path, 0) != DR_OK) {
        return DR_DECLINED;
    }

    node = dr_keeper_tree_find(tree, path);

    if (node) {
        /* only plain nodes (the /zookeeper ones) are updated in place */
        if (node->owner || dr_keeper_tree_is_ephemeral(stat->ephemeral_owner)
            || dr_keeper_tree_is_container(stat->ephemeral_owner)
               != dr_keeper_tree_is_container(node->ephemeral_owner))
        {
            return DR_DECLINED;
        }

        if (dr_keeper_tree_data_copy(tree, data, &copy) != DR_OK) {
            return DR_ERROR;
        }

        a = dr_keeper_tree_acl_get(tree, acl);
        if (a == NULL) {
            dr_keeper_tree_data_free(&copy);
            return DR_ERROR;
        }

        tree->data_size += copy.len;
        tree->data_size -= node->data.len;
        dr_keeper_tree_data_free(&node->data);
        node->data = copy;
        dr_keeper_tree_acl_put(tree, node->acl);
        node->acl = a;

    } else {
        slash = dr_keeper_tree_last_slash(path);
        parent = dr_keeper_tree_parent(tree, path, (size_t) slash);

        if (parent == NULL
            || dr_keeper_tree_is_ephemeral(parent->ephemeral_owner))
        {
            return DR_DECLINED;
        }

        node = dr_keeper_tree_node_add(tree, parent, path, data, acl,
                                       stat->ephemeral_owner);
        if (node == NULL) {
            return DR_ERROR;
        }
    }

    node->czxid = stat->czxid;
    node->mzxid = stat->mzxid;
    node->pzxid = stat->pzxid;
    node->ctime = stat->ctime;
    node->mtime = stat->mtime;
    node->version = stat->version;
    node->aversion = stat->aversion;
    node->cversion = stat->cversion;

    return DR_OK;
}


dr_int_t
dr_keeper_tree_init(dr_keeper_tree_t *tree, dr_log_t *log)
{
    dr_str_t         path, empty;
    dr_zk_acl_t      world;
    dr_zk_vec_t      acl;
    dr_keeper_tree_node_t  *zk;

    dr_memzero(tree, sizeof(dr_keeper_tree_t));
    tree->log = log;
    dr_queue_init(&tree->containers);

#if (DR_HAVE_GETRANDOM)
    if (getrandom(tree->seed, sizeof(tree->seed), 0)
        != (ssize_t) sizeof(tree->seed))
#endif
    {
        tree->seed[0] = (uint64_t) time(NULL) ^ ((uint64_t) getpid() << 32);
        tree->seed[1] = (uint64_t) (uintptr_t) tree ^ 0x9e3779b97f4a7c15ULL;
    }

    if (dr_objpool_init(&tree->node_pool, sizeof(dr_keeper_tree_node_t), 0,
                        log) != DR_OK
        || dr_objpool_init(&tree->owner_pool, sizeof(dr_keeper_tree_owner_t),
                           0, log) != DR_OK)
    {
        return DR_ERROR;
    }

    tree->node_pool.name = "znode";
    tree->owner_pool.name = "ephemeral owner";

    if (dr_keeper_tree_hash_init(&tree->nodes, 1024, log) != DR_OK
        || dr_keeper_tree_hash_init(&tree->acls, 64, log) != DR_OK
        || dr_keeper_tree_hash_init(&tree->owners, 256, log) != DR_OK)
    {
        goto failed;
    }

    world.perms = DR_ZK_PERM_ALL;
    dr_str_set(&world.id.scheme, "world");
    dr_str_set(&world.id.id, "anyone");
    acl.nelts = 1;
    acl.elts = &world;
    acl.start = NULL;
    acl.end = NULL;

    empty.len = 0;
    empty.data = DR_ZK_EMPTY_DATA;

    dr_str_set(&path, "/");
    tree->root = dr_keeper_tree_node_add(tree, NULL, &path, &empty, &acl, 0);
    if (tree->root == NULL) {
        goto failed;
    }

    dr_str_set(&path, "/zookeeper");
    zk = dr_keeper_tree_node_add(tree, tree->root, &path, &empty, &acl, 0);
    if (zk == NULL) {
        goto failed;
    }

    dr_str_set(&path, "/zookeeper/quota");
    if (dr_keeper_tree_node_add(tree, zk, &path, &empty, &acl, 0) == NULL) {
        goto failed;
    }

    /* standalone 3.8: empty, world read-only, set once with version -1 */
    world.perms = DR_ZK_PERM_READ;
    dr_str_set(&path, "/zookeeper/config");
    zk = dr_keeper_tree_node_add(tree, zk, &path, &empty, &acl, 0);
    if (zk == NULL) {
        goto failed;
    }

    zk->aversion = -1;

    return DR_OK;

failed:

    dr_keeper_tree_destroy(tree);

    return DR_ERROR;
}


void
dr_keeper_tree_destroy(dr_keeper_tree_t *tree)
{
    dr_uint_t                 t, i;
    dr_keeper_tree_hash_t    *h;
    dr_keeper_tree_hentry_t  *e, *next;

    dr_keeper_tree_release(tree);

    h = &tree->nodes;
    for (t = 0; t < 2; t++) {
        for (i = 0; i < h->size[t]; i++) {
            for (e = h->buckets[t][i]; e; e = next) {
                next = e->next;
                dr_free(((dr_keeper_tree_node_t *) e)->path.data);
                dr_keeper_tree_data_free(&((dr_keeper_tree_node_t *) e)->data);
            }
        }
    }

    h = &tree->acls;
    for (t = 0; t < 2; t++) {
        for (i = 0; i < h->size[t]; i++) {
            for (e = h->buckets[t][i]; e; e = next) {
                next = e->next;
                dr_free(e);
            }
        }
    }

    for (t = 0; t < 2; t++) {
        dr_free(tree->nodes.buckets[t]);
        dr_free(tree->acls.buckets[t]);
        dr_free(tree->owners.buckets[t]);
    }

    dr_objpool_destroy(&tree->node_pool);
    dr_objpool_destroy(&tree->owner_pool);

    dr_free(tree->undo);
    dr_free(tree->events);

    dr_memzero(tree, sizeof(dr_keeper_tree_t));
}
