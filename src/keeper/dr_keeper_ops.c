/*
 * The request handlers: one per opcode of src/zk/dr_zk_proto.h, in a
 * table indexed like dr_zk_op_find()'s, each ZooKeeper 3.8's
 * FinalRequestProcessor / PrepRequestProcessor case with its checks in
 * the same order and its error codes.
 *
 * Writes (create*, delete, setData, setACL, check, multi) go through
 * dr_keeper_tree_apply() with the next zxid; the tree calls back here for
 * ACL checks (with the connection's ids) and ACL fixups, and reports the
 * changes that fire watches. A failed write is an error txn: it takes the
 * zxid, changes nothing, and is logged as such. Then the reply is queued
 * and the txn committed (dr_keeper_txn.h explains why the reply may not
 * leave before the log says so). A create or setACL whose ACL the fixup
 * changed ("auth" ids expanded, duplicates removed) is logged with the
 * ACL the tree stored, so that replay stores the same.
 *
 * Reads are answered from the tree at once; their replies wait behind the
 * connection's earlier ones. Watches are armed as ZooKeeper arms them:
 * exists on a missing node arms one (NodeCreated), getData/getChildren on
 * a missing node or without permission do not.
 *
 * Everything a request needs beyond its frame comes from k->frame_pool,
 * reset after each request. Keeper process.
 */

#include "dr_keeper.h"


typedef struct dr_keeper_req_s  dr_keeper_req_t;

typedef dr_int_t (*dr_keeper_op_pt)(dr_keeper_req_t *r);

typedef struct {
    u_char                   *in;           /* the decoded ACL's start */
    dr_zk_vec_t               out;
} dr_keeper_fixup_t;

struct dr_keeper_req_s {
    dr_keeper_t              *k;
    dr_keeper_conn_t         *kc;
    const dr_zk_op_t         *op;
    int32_t                   xid;
    int32_t                   type;
    dr_str_t                  body;
    dr_zk_request_t           req;

    dr_keeper_fixup_t         fixups[8];
    dr_keeper_fixup_t        *more;         /* beyond 8, in the frame pool */
    dr_uint_t                 nfixups;
    dr_uint_t                 nmore;
    dr_uint_t                 changed;      /* a fixup changed an ACL */
};

typedef struct {
    dr_zk_reply_header_t      hdr;
    dr_keeper_tree_node_t    *node;
    dr_uint_t                 stat;         /* getChildren2 */
    dr_uint_t                 admin;        /* getACL */
    dr_keeper_tree_result_t  *results;
    dr_zk_multi_result_t     *mresults;
    dr_uint_t                 nresults;
    dr_str_t                 *strs;
    dr_uint_t                 nstrs;
    dr_zk_client_info_t      *infos;
} dr_keeper_ops_reply_t;


static dr_int_t dr_keeper_op_write(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_exists(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_get_data(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_get_children(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_get_acl(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_sync(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_ping(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_multi_read(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_watches(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_auth(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_sasl(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_set_watches(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_get_ephemerals(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_all_children(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_add_watch(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_who_am_i(dr_keeper_req_t *r);
static dr_int_t dr_keeper_op_close(dr_keeper_req_t *r);

static dr_int_t dr_keeper_ops_error(dr_keeper_req_t *r, int32_t err);
static int64_t dr_keeper_ops_quiet_zxid(dr_keeper_req_t *r);
static int64_t dr_keeper_ops_node_zxid(dr_keeper_req_t *r,
    dr_keeper_tree_node_t *node);
static int64_t dr_keeper_ops_missing_zxid(dr_keeper_req_t *r, dr_str_t *path);
static dr_int_t dr_keeper_ops_error_txn(dr_keeper_req_t *r, int32_t err);
static dr_int_t dr_keeper_ops_log(dr_keeper_t *k, int64_t session_id,
    int32_t cxid, int64_t zxid, int32_t type, dr_str_t *body);
static dr_int_t dr_keeper_ops_rebuild(dr_keeper_req_t *r, dr_str_t *body);
static dr_zk_vec_t *dr_keeper_ops_fixed(dr_keeper_req_t *r, dr_zk_vec_t *in);
static int32_t dr_keeper_ops_check(void *ctx, dr_keeper_tree_node_t *node,
    int32_t perm);
static int32_t dr_keeper_ops_fixup(void *ctx, dr_zk_vec_t *in,
    dr_zk_vec_t *out);
static void dr_keeper_ops_event(void *data, int32_t type, dr_str_t *path);
static int32_t dr_keeper_ops_read_node(dr_keeper_req_t *r, dr_str_t *path,
    int32_t perm, dr_keeper_tree_node_t **node);
static dr_int_t dr_keeper_ops_watch(dr_keeper_req_t *r, dr_str_t *path,
    dr_uint_t table, dr_uint_t mode);
static size_t dr_keeper_ops_children_size(dr_keeper_tree_node_t *node);
static dr_int_t dr_keeper_ops_write_children(dr_zk_writer_t *wr,
    dr_keeper_tree_node_t *node);

static dr_int_t dr_keeper_ops_encode_stat(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_data(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_children(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_acl(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_result(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_multi(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_strs(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_path(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_int(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_encode_who(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_ops_queue(dr_keeper_req_t *r,
    dr_keeper_ops_reply_t *rp, int64_t zxid, size_t hint,
    dr_keeper_encode_pt encode);


static dr_keeper_op_pt  dr_keeper_ops_handlers[DR_ZK_OPCODE_MULTI_READ + 1] = {
    [DR_ZK_OPCODE_CREATE] = dr_keeper_op_write,
    [DR_ZK_OPCODE_DELETE] = dr_keeper_op_write,
    [DR_ZK_OPCODE_EXISTS] = dr_keeper_op_exists,
    [DR_ZK_OPCODE_GET_DATA] = dr_keeper_op_get_data,
    [DR_ZK_OPCODE_SET_DATA] = dr_keeper_op_write,
    [DR_ZK_OPCODE_GET_ACL] = dr_keeper_op_get_acl,
    [DR_ZK_OPCODE_SET_ACL] = dr_keeper_op_write,
    [DR_ZK_OPCODE_GET_CHILDREN] = dr_keeper_op_get_children,
    [DR_ZK_OPCODE_SYNC] = dr_keeper_op_sync,
    [DR_ZK_OPCODE_PING] = dr_keeper_op_ping,
    [DR_ZK_OPCODE_GET_CHILDREN2] = dr_keeper_op_get_children,
    [DR_ZK_OPCODE_CHECK] = dr_keeper_op_write,
    [DR_ZK_OPCODE_MULTI] = dr_keeper_op_write,
    [DR_ZK_OPCODE_CREATE2] = dr_keeper_op_write,
    [DR_ZK_OPCODE_RECONFIG] = dr_keeper_op_write,
    [DR_ZK_OPCODE_CHECK_WATCHES] = dr_keeper_op_watches,
    [DR_ZK_OPCODE_REMOVE_WATCHES] = dr_keeper_op_watches,
    [DR_ZK_OPCODE_CREATE_CONTAINER] = dr_keeper_op_write,
    [DR_ZK_OPCODE_DELETE_CONTAINER] = dr_keeper_op_write,
    [DR_ZK_OPCODE_CREATE_TTL] = dr_keeper_op_write,
    [DR_ZK_OPCODE_MULTI_READ] = dr_keeper_op_multi_read,
};

static dr_keeper_op_pt  dr_keeper_ops_ext[] = {
    [DR_ZK_OPCODE_AUTH - DR_ZK_OPCODE_AUTH] = dr_keeper_op_auth,
    [DR_ZK_OPCODE_SET_WATCHES - DR_ZK_OPCODE_AUTH] = dr_keeper_op_set_watches,
    [DR_ZK_OPCODE_SASL - DR_ZK_OPCODE_AUTH] = dr_keeper_op_sasl,
    [DR_ZK_OPCODE_GET_EPHEMERALS - DR_ZK_OPCODE_AUTH] =
                                                dr_keeper_op_get_ephemerals,
    [DR_ZK_OPCODE_GET_ALL_CHILDREN_NUMBER - DR_ZK_OPCODE_AUTH] =
                                                dr_keeper_op_all_children,
    [DR_ZK_OPCODE_SET_WATCHES2 - DR_ZK_OPCODE_AUTH] =
                                                dr_keeper_op_set_watches,
    [DR_ZK_OPCODE_ADD_WATCH - DR_ZK_OPCODE_AUTH] = dr_keeper_op_add_watch,
    [DR_ZK_OPCODE_WHO_AM_I - DR_ZK_OPCODE_AUTH] = dr_keeper_op_who_am_i,
};


/* ServerCnxn's lastOp names, for cons */
static const char *
dr_keeper_ops_name(int32_t type)
{
    switch (type) {
    case DR_ZK_OPCODE_CREATE:
    case DR_ZK_OPCODE_CREATE2:
    case DR_ZK_OPCODE_CREATE_CONTAINER:
    case DR_ZK_OPCODE_CREATE_TTL:
        return "CREA";
    case DR_ZK_OPCODE_DELETE:
    case DR_ZK_OPCODE_DELETE_CONTAINER:
        return "DELE";
    case DR_ZK_OPCODE_EXISTS:
        return "EXIS";
    case DR_ZK_OPCODE_GET_DATA:
        return "GETD";
    case DR_ZK_OPCODE_SET_DATA:
        return "SETD";
    case DR_ZK_OPCODE_GET_ACL:
        return "GETA";
    case DR_ZK_OPCODE_SET_ACL:
        return "SETA";
    case DR_ZK_OPCODE_GET_CHILDREN:
    case DR_ZK_OPCODE_GET_CHILDREN2:
        return "GETC";
    case DR_ZK_OPCODE_SYNC:
        return "SYNC";
    case DR_ZK_OPCODE_PING:
        return "PING";
    case DR_ZK_OPCODE_CHECK:
        return "CHEC";
    case DR_ZK_OPCODE_MULTI:
        return "MULT";
    case DR_ZK_OPCODE_MULTI_READ:
        return "MLTR";
    case DR_ZK_OPCODE_RECONFIG:
        return "RECO";
    case DR_ZK_OPCODE_CHECK_WATCHES:
        return "CHKW";
    case DR_ZK_OPCODE_REMOVE_WATCHES:
        return "REMW";
    case DR_ZK_OPCODE_SET_WATCHES:
    case DR_ZK_OPCODE_SET_WATCHES2:
        return "SETW";
    case DR_ZK_OPCODE_GET_EPHEMERALS:
        return "GETE";
    case DR_ZK_OPCODE_GET_ALL_CHILDREN_NUMBER:
        return "GETACN";
    case DR_ZK_OPCODE_ADD_WATCH:
        return "ADDW";
    case DR_ZK_OPCODE_WHO_AM_I:
        return "HOMI";
    case DR_ZK_OPCODE_CLOSE_SESSION:
        return "CLOS";
    case DR_ZK_OPCODE_AUTH:
        return "AUTH";
    default:
        return "SASL";
    }
}


/* the tree's hooks are ours for the keeper's life */
void
dr_keeper_ops_init(dr_keeper_t *k)
{
    k->tree->check = dr_keeper_ops_check;
    k->tree->fixup = dr_keeper_ops_fixup;
    k->tree->event = dr_keeper_ops_event;
    k->tree->event_data = k;
    k->tree->extended_types = (dr_uint_t) k->conf->extended_types;
}


dr_int_t
dr_keeper_ops_request(dr_keeper_conn_t *kc, u_char *payload, size_t len)
{
    dr_int_t                 rc;
    dr_keeper_t             *k;
    dr_keeper_op_pt          handler;
    dr_zk_reader_t           rd;
    dr_keeper_req_t          r;
    dr_zk_request_header_t   hdr;

    k = kc->k;

    rd = dr_zk_reader_init(payload, len);

    if (dr_zk_request_header_decode(&rd, &hdr) != DR_OK) {
        dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                     "keeper: a frame of %uz bytes is no request, closing",
                     len);
        return DR_ERROR;
    }

    if (kc->session == NULL) {
        return DR_DONE;
    }

    dr_keeper_session_touch(k, kc->session);

    r.k = k;
    r.kc = kc;
    r.xid = hdr.xid;
    r.type = hdr.type;
    r.nfixups = 0;
    r.more = NULL;
    r.nmore = 0;
    r.changed = 0;

    r.op = dr_zk_op_find(hdr.type);
    handler = NULL;

    if (r.op) {
        if (hdr.type == DR_ZK_OPCODE_CLOSE_SESSION) {
            handler = dr_keeper_op_close;

        } else if (hdr.type >= 0 && hdr.type <= DR_ZK_OPCODE_MULTI_READ) {
            handler = dr_keeper_ops_handlers[hdr.type];

        } else if (hdr.type >= DR_ZK_OPCODE_AUTH
                   && hdr.type - DR_ZK_OPCODE_AUTH
                      < (int32_t) dr_nelems(dr_keeper_ops_ext))
        {
            handler = dr_keeper_ops_ext[hdr.type - DR_ZK_OPCODE_AUTH];
        }
    }

    if (handler == NULL) {
        dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                     "keeper: unknown opcode %D from session 0x%xL, closing",
                     hdr.type, kc->session->id);

        if (dr_keeper_ops_error(&r, DR_ZK_UNIMPLEMENTED) != DR_OK) {
            return DR_ERROR;
        }

        dr_keeper_conn_finalize(kc);
        return DR_DONE;
    }

    kc->last_op = dr_keeper_ops_name(hdr.type);

    r.body.data = rd.pos;
    r.body.len = dr_zk_reader_left(&rd);

    if (dr_zk_op_decode(r.op, &rd, &r.req) != DR_OK) {

        /* ZooKeeper: MarshallingError (a txn for a write) */

        dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                     "keeper: malformed %V request from session 0x%xL",
                     &r.op->name, kc->session->id);

        if (r.op->flags & DR_ZK_OP_WRITE) {
            rc = dr_keeper_ops_error_txn(&r, DR_ZK_MARSHALLINGERROR);

        } else {
            rc = dr_keeper_ops_error(&r, DR_ZK_MARSHALLINGERROR);
        }

    } else {
        if (!(r.op->flags & DR_ZK_OP_WRITE)
            && hdr.type != DR_ZK_OPCODE_CLOSE_SESSION)
        {
            k->barrier = dr_keeper_ops_quiet_zxid(&r);
        }

        rc = handler(&r);
    }

    k->barrier = 0;

    dr_reset_pool(k->frame_pool);

    return rc;
}


/*
 * A reply header alone. Its zxid is the request's barrier: what a read
 * showed (k->barrier, see dr_keeper_ops_request()), else the last zxid.
 */
static dr_int_t
dr_keeper_ops_error(dr_keeper_req_t *r, int32_t err)
{
    int64_t  zxid;

    zxid = r->k->barrier ? r->k->barrier : r->k->last_zxid;

    if (dr_keeper_reply(r->kc, r->xid, zxid, err, NULL, NULL, 0) != DR_OK) {
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * The zxids of reads. A read must not show what the log may still lose,
 * yet it need not wait for writes it does not show: its reply waits for
 * the zxids of what it read and carries the largest (never less than the
 * connection's earlier replies, which it follows). Stats and ACL checks
 * also depend on the last setACL (the tree keeps no zxid for those); a
 * missing node on the last create or delete under its nearest ancestor,
 * which its pzxid records.
 */
static int64_t
dr_keeper_ops_quiet_zxid(dr_keeper_req_t *r)
{
    int64_t  z, m;

    z = r->k->durable_zxid;
    m = dr_keeper_conn_barrier(r->kc);

    return dr_max(z, m);
}


static int64_t
dr_keeper_ops_node_zxid(dr_keeper_req_t *r, dr_keeper_tree_node_t *node)
{
    int64_t  z;

    z = dr_keeper_ops_quiet_zxid(r);
    z = dr_max(z, node->czxid);
    z = dr_max(z, node->mzxid);
    z = dr_max(z, node->pzxid);
    z = dr_max(z, r->k->acl_zxid);

    return z;
}


static int64_t
dr_keeper_ops_missing_zxid(dr_keeper_req_t *r, dr_str_t *path)
{
    int64_t                 z;
    dr_str_t                p;
    dr_keeper_tree_node_t  *node;

    z = dr_keeper_ops_quiet_zxid(r);

    if (path->data == NULL || path->len == 0 || path->data[0] != '/') {

        /* ZooKeeper finds nothing there whatever the tree holds */

        return z;
    }

    p = *path;

    do {
        dr_keeper_watch_parent(&p, &p);
        node = dr_keeper_tree_find(r->k->tree, &p);
    } while (node == NULL && p.len > 1);

    if (node) {
        z = dr_max(z, node->pzxid);
    }

    return z;
}


/* a failed write that ZooKeeper rejects before the tree: an error txn */
static dr_int_t
dr_keeper_ops_error_txn(dr_keeper_req_t *r, int32_t err)
{
    int64_t       zxid;
    dr_keeper_t  *k;

    k = r->k;
    zxid = ++k->last_zxid;

    if (dr_keeper_reply(r->kc, r->xid, zxid, err, NULL, NULL, 0) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_keeper_ops_log(k, r->kc->session->id, r->xid, zxid,
                          DR_ZK_OPCODE_ERROR, NULL)
        != DR_OK)
    {
        dr_child_process_exit(k->cycle, 1);
    }

    dr_keeper_ops_logged(k, err);

    return DR_OK;
}


/* commits one txn; <body> NULL with DR_ZK_OPCODE_ERROR: the code is in k */
static dr_int_t
dr_keeper_ops_log(dr_keeper_t *k, int64_t session_id, int32_t cxid,
    int64_t zxid, int32_t type, dr_str_t *body)
{
    u_char           err[4];
    dr_keeper_txn_t  txn;

    dr_memzero(&txn, sizeof(dr_keeper_txn_t));

    txn.session_id = session_id;
    txn.cxid = cxid;
    txn.zxid = zxid;
    txn.time = dr_keeper_now();
    txn.type = type;

    if (type == DR_ZK_OPCODE_ERROR) {
        txn.err = k->txn_err;
        err[0] = (u_char) ((uint32_t) txn.err >> 24);
        err[1] = (u_char) ((uint32_t) txn.err >> 16);
        err[2] = (u_char) ((uint32_t) txn.err >> 8);
        err[3] = (u_char) txn.err;
        txn.body.data = err;
        txn.body.len = 4;

    } else if (body) {
        txn.body = *body;
    }

    return dr_keeper_commit(k, &txn);
}


/* the error code of the next error txn (set before dr_keeper_ops_log) */
void
dr_keeper_ops_logged(dr_keeper_t *k, int32_t err)
{
    k->txn_err = err;
}


dr_keeper_tree_result_t *
dr_keeper_ops_results(dr_keeper_t *k, dr_uint_t n)
{
    return dr_palloc(k->frame_pool,
                     dr_max(n, 1) * sizeof(dr_keeper_tree_result_t));
}


/*
 * create, create2, createContainer, createTTL, delete, setData, setACL,
 * check, multi; reconfig and deleteContainer are refused as ZooKeeper
 * refuses them from clients.
 */
static dr_int_t
dr_keeper_op_write(dr_keeper_req_t *r)
{
    int32_t                   err;
    dr_int_t                  rc;
    dr_uint_t                 failed, i;
    dr_str_t                  body;
    dr_keeper_t              *k;
    dr_keeper_conn_t         *kc;
    dr_keeper_tree_txn_t      ttxn;
    dr_keeper_ops_reply_t     rp;
    dr_keeper_tree_result_t   one;

    k = r->k;
    kc = r->kc;

    if (r->type == DR_ZK_OPCODE_RECONFIG) {
        return dr_keeper_ops_error_txn(r, DR_ZK_RECONFIGDISABLED);
    }

    if (r->type == DR_ZK_OPCODE_DELETE_CONTAINER) {
        return dr_keeper_ops_error_txn(r, DR_ZK_BADARGUMENTS);
    }

    dr_memzero(&ttxn, sizeof(dr_keeper_tree_txn_t));

    ttxn.zxid = k->last_zxid + 1;
    ttxn.time = dr_keeper_now();
    ttxn.session_id = kc->session->id;
    ttxn.type = r->type;
    ttxn.req = &r->req;
    ttxn.ctx = r;
    ttxn.results = &one;

    if (r->type == DR_ZK_OPCODE_MULTI) {
        ttxn.results = dr_keeper_ops_results(k, r->req.multi.nops);
        if (ttxn.results == NULL) {
            return dr_keeper_ops_error(r, DR_ZK_SYSTEMERROR);
        }
    }

    if (dr_keeper_tree_apply(k->tree, &ttxn) != DR_OK) {

        /* no memory: the tree is unchanged, nothing is logged */

        dr_log_error(DR_LOG_ERR, kc->c->log, 0,
                     "keeper: no memory for a %V", &r->op->name);

        return dr_keeper_ops_error(r, DR_ZK_SYSTEMERROR);
    }

    k->last_zxid = ttxn.zxid;

    err = ttxn.err;
    failed = (err != DR_ZK_OK);

    if (r->type == DR_ZK_OPCODE_SET_ACL && !failed) {
        k->acl_zxid = ttxn.zxid;
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.hdr.err = err;

    if (r->type == DR_ZK_OPCODE_MULTI && !failed) {
        for (i = 0; i < ttxn.nresults; i++) {
            if (ttxn.results[i].type == DR_ZK_OPCODE_ERROR
                && ttxn.results[i].err != DR_ZK_OK)
            {
                failed = 1;
                err = ttxn.results[i].err;
            }
        }

        rp.results = ttxn.results;
        rp.nresults = ttxn.nresults;

        rc = dr_keeper_ops_queue(r, &rp, ttxn.zxid, 64 * ttxn.nresults,
                                 dr_keeper_ops_encode_multi);

    } else if (failed) {
        rc = dr_keeper_ops_queue(r, &rp, ttxn.zxid, 0, NULL);

    } else {
        rp.results = &ttxn.results[0];

        switch (r->type) {

        case DR_ZK_OPCODE_CREATE:
            rp.results->type = DR_ZK_OPCODE_CREATE;
            break;

        case DR_ZK_OPCODE_CREATE2:
        case DR_ZK_OPCODE_CREATE_CONTAINER:
        case DR_ZK_OPCODE_CREATE_TTL:
            rp.results->type = DR_ZK_OPCODE_CREATE2;
            break;

        case DR_ZK_OPCODE_SET_DATA:
        case DR_ZK_OPCODE_SET_ACL:
            rp.results->type = DR_ZK_OPCODE_SET_DATA;
            break;

        default:
            rp.results->type = DR_ZK_OPCODE_DELETE;
            break;
        }

        rc = dr_keeper_ops_queue(r, &rp, ttxn.zxid,
                                 rp.results->path.len + DR_ZK_STAT_SIZE + 8,
                                 dr_keeper_ops_encode_result);
    }

    if (rc != DR_OK) {
        return DR_ERROR;
    }

    if (failed) {
        dr_keeper_ops_logged(k, err);
        rc = dr_keeper_ops_log(k, kc->session->id, r->xid, ttxn.zxid,
                               DR_ZK_OPCODE_ERROR, NULL);

    } else {
        body = r->body;

        if (r->changed && dr_keeper_ops_rebuild(r, &body) != DR_OK) {
            dr_log_error(DR_LOG_EMERG, k->log, 0,
                         "keeper: no memory to log zxid 0x%xL", ttxn.zxid);
            rc = DR_ERROR;

        } else {
            rc = dr_keeper_ops_log(k, kc->session->id, r->xid, ttxn.zxid,
                                   r->type, &body);
        }
    }

    if (rc != DR_OK) {
        dr_child_process_exit(k->cycle, 1);
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_ops_queue(dr_keeper_req_t *r, dr_keeper_ops_reply_t *rp,
    int64_t zxid, size_t hint, dr_keeper_encode_pt encode)
{
    rp->hdr.xid = r->xid;
    rp->hdr.zxid = zxid;

    if (r->xid >= 0) {
        r->kc->last_cxid = r->xid;
    }

    r->kc->last_zxid = zxid;
    r->kc->last_response = dr_current_msec;

    r->k->barrier = zxid;

    if (encode == NULL || rp->hdr.err != DR_ZK_OK) {
        return dr_keeper_reply(r->kc, r->xid, zxid, rp->hdr.err, NULL, NULL,
                               0);
    }

    return dr_keeper_queue_frame(r->kc, DR_ZK_REPLY_HEADER_SIZE + hint,
                                 encode, rp, 1);
}


/* the ACL hooks of the tree: the request in progress is <ctx> */
static int32_t
dr_keeper_ops_check(void *ctx, dr_keeper_tree_node_t *node, int32_t perm)
{
    dr_keeper_req_t  *r = ctx;

    dr_zk_vec_t  acl;

    if (r == NULL) {
        return DR_ZK_OK;
    }

    dr_keeper_tree_acl_vec(node->acl, &acl);

    return dr_keeper_acl_check(r->kc, &acl, perm);
}


static int32_t
dr_keeper_ops_fixup(void *ctx, dr_zk_vec_t *in, dr_zk_vec_t *out)
{
    dr_keeper_req_t  *r = ctx;

    u_char             *buf;
    size_t              size, len;
    int32_t             rc;
    dr_uint_t           i;
    dr_zk_writer_t      wr;
    dr_keeper_conn_t   *kc;
    dr_keeper_fixup_t  *f, *more;

    if (r == NULL) {
        *out = *in;
        return DR_ZK_OK;
    }

    kc = r->kc;

    size = 64 + (size_t) (in->end - in->start);

    for (i = 0; i < kc->nauth; i++) {
        size += kc->auth[i].scheme.len + kc->auth[i].id.len + 16;
    }

    for ( ;; ) {
        buf = dr_pnalloc(r->k->frame_pool, size);
        if (buf == NULL) {
            return DR_ZK_SYSTEMERROR;
        }

        wr = dr_zk_writer_init(buf, size);

        rc = dr_keeper_acl_fixup(kc, in, &wr);

        if (rc != DR_ERROR) {
            break;
        }

        /* "auth" several times over: more room */

        size *= 2;
    }

    if (rc != DR_ZK_OK) {
        return rc;
    }

    out->nelts = (int32_t) dr_keeper_get32(buf);
    out->start = buf + 4;
    out->end = wr.pos;
    out->elts = NULL;

    /* remember it for the log, by the request's ACL it replaces */

    if (r->nfixups < dr_nelems(r->fixups)) {
        f = &r->fixups[r->nfixups++];

    } else {
        if (r->nmore % 8 == 0) {
            more = dr_palloc(r->k->frame_pool,
                             (r->nmore + 8) * sizeof(dr_keeper_fixup_t));
            if (more == NULL) {
                return DR_ZK_SYSTEMERROR;
            }

            if (r->more) {
                dr_memcpy(more, r->more,
                          r->nmore * sizeof(dr_keeper_fixup_t));
            }

            r->more = more;
        }

        f = &r->more[r->nmore++];
    }

    f->in = in->start;
    f->out = *out;

    len = (size_t) (in->end - in->start);

    if (out->nelts != in->nelts || (size_t) (out->end - out->start) != len
        || dr_memcmp(out->start, in->start, len) != 0)
    {
        r->changed = 1;
    }

    return DR_ZK_OK;
}


/* the ACL the tree stored for the request's ACL <in> */
static dr_zk_vec_t *
dr_keeper_ops_fixed(dr_keeper_req_t *r, dr_zk_vec_t *in)
{
    dr_uint_t  i;

    for (i = 0; i < r->nfixups; i++) {
        if (r->fixups[i].in == in->start) {
            return &r->fixups[i].out;
        }
    }

    for (i = 0; i < r->nmore; i++) {
        if (r->more[i].in == in->start) {
            return &r->more[i].out;
        }
    }

    return in;
}


/* the request body again, with the ACLs as the tree stored them */
static dr_int_t
dr_keeper_ops_rebuild(dr_keeper_req_t *r, dr_str_t *body)
{
    u_char             *buf;
    size_t              size;
    dr_int_t            rc;
    dr_uint_t           i;
    dr_zk_reader_t      ops;
    dr_zk_writer_t      wr;
    dr_zk_multi_op_t    op;
    dr_zk_create_request_t    cr;
    dr_zk_set_acl_request_t   sa;

    size = r->body.len + 64;

    for (i = 0; i < r->nfixups; i++) {
        size += (size_t) (r->fixups[i].out.end - r->fixups[i].out.start);
    }

    for (i = 0; i < r->nmore; i++) {
        size += (size_t) (r->more[i].out.end - r->more[i].out.start);
    }

    buf = dr_pnalloc(r->k->frame_pool, size);
    if (buf == NULL) {
        return DR_ERROR;
    }

    wr = dr_zk_writer_init(buf, size);

    switch (r->type) {

    case DR_ZK_OPCODE_SET_ACL:
        sa = r->req.set_acl;
        sa.acl = *dr_keeper_ops_fixed(r, &r->req.set_acl.acl);
        rc = dr_zk_set_acl_request_encode(&wr, &sa);
        break;

    case DR_ZK_OPCODE_CREATE_TTL:
        cr = r->req.create;
        cr.acl = *dr_keeper_ops_fixed(r, &r->req.create.acl);
        rc = dr_zk_create_ttl_request_encode(&wr, &cr);
        break;

    case DR_ZK_OPCODE_MULTI:
        ops = r->req.multi.ops;
        rc = DR_OK;

        while (rc == DR_OK && dr_zk_multi_next(&ops, &op) == DR_OK) {
            if (op.type == DR_ZK_OPCODE_CREATE
                || op.type == DR_ZK_OPCODE_CREATE2
                || op.type == DR_ZK_OPCODE_CREATE_CONTAINER
                || op.type == DR_ZK_OPCODE_CREATE_TTL)
            {
                op.u.create.acl = *dr_keeper_ops_fixed(r, &op.u.create.acl);
            }

            rc = dr_zk_multi_op_encode(&wr, &op);
        }

        if (rc == DR_OK) {
            rc = dr_zk_multi_end_encode(&wr);
        }

        break;

    default:
        cr = r->req.create;
        cr.acl = *dr_keeper_ops_fixed(r, &r->req.create.acl);
        rc = dr_zk_create_request_encode(&wr, &cr);
        break;
    }

    if (rc != DR_OK) {
        return DR_ERROR;
    }

    body->data = buf;
    body->len = dr_zk_writer_len(&wr);

    return DR_OK;
}


/* the tree's changes fire the watches (see dr_keeper_watch.c) */
static void
dr_keeper_ops_event(void *data, int32_t type, dr_str_t *path)
{
    dr_keeper_watch_event(data, type, path);
}


/*
 * The node at <path> for a read that needs <perm> (0: none): DR_ZK_OK,
 * DR_ZK_NONODE or DR_ZK_NOAUTH; k->barrier is what the answer shows.
 */
static int32_t
dr_keeper_ops_read_node(dr_keeper_req_t *r, dr_str_t *path, int32_t perm,
    dr_keeper_tree_node_t **node)
{
    dr_zk_vec_t  acl;

    if (path->data == NULL) {
        return DR_ZK_NONODE;
    }

    *node = dr_keeper_tree_find(r->k->tree, path);

    if (*node == NULL) {
        *node = dr_keeper_virtual_find(r->k, path);
    }

    if (*node == NULL) {
        r->k->barrier = dr_keeper_ops_missing_zxid(r, path);
        return DR_ZK_NONODE;
    }

    r->k->barrier = dr_keeper_ops_node_zxid(r, *node);

    if (perm == 0) {
        return DR_ZK_OK;
    }

    dr_keeper_tree_acl_vec((*node)->acl, &acl);

    return dr_keeper_acl_check(r->kc, &acl, perm);
}


/* DR_OK, DR_DECLINED (the reply is THROTTLEDOP: max_watches), DR_ERROR */
static dr_int_t
dr_keeper_ops_watch(dr_keeper_req_t *r, dr_str_t *path, dr_uint_t table,
    dr_uint_t mode)
{
    dr_int_t  rc;

    rc = dr_keeper_watch_add(r->kc, path, table, mode);

    if (rc == DR_DECLINED) {
        dr_log_error(DR_LOG_WARN, r->kc->c->log, 0,
                     "keeper: session 0x%xL reached max_watches %i",
                     r->kc->session->id, r->k->conf->max_watches);
    }

    return rc;
}


static dr_int_t
dr_keeper_op_exists(dr_keeper_req_t *r)
{
    int32_t                  err;
    dr_int_t                 rc;
    dr_str_t                *path;
    dr_keeper_tree_node_t   *node;
    dr_keeper_ops_reply_t    rp;

    path = &r->req.path_watch.path;

    /* ZooKeeper checks only for a NUL, and watches even a missing node */

    if (path->data == NULL
        || dr_strlchr(path->data, path->data + path->len, '\0'))
    {
        return dr_keeper_ops_error(r, DR_ZK_BADARGUMENTS);
    }

    if (r->req.path_watch.watch) {
        rc = dr_keeper_ops_watch(r, path, DR_KEEPER_WATCH_DATA,
                                 DR_KEEPER_WATCH_STANDARD);
        if (rc == DR_ERROR) {
            return DR_ERROR;
        }

        if (rc == DR_DECLINED) {
            return dr_keeper_ops_error(r, DR_ZK_THROTTLEDOP);
        }
    }

    err = dr_keeper_ops_read_node(r, path, 0, &node);

    if (err != DR_ZK_OK) {
        return dr_keeper_ops_error(r, err);
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.node = node;

    return dr_keeper_ops_queue(r, &rp, r->k->barrier, DR_ZK_STAT_SIZE,
                               dr_keeper_ops_encode_stat);
}


static dr_int_t
dr_keeper_op_get_data(dr_keeper_req_t *r)
{
    int32_t                  err;
    dr_int_t                 rc;
    dr_str_t                *path;
    dr_keeper_tree_node_t   *node;
    dr_keeper_ops_reply_t    rp;

    path = &r->req.path_watch.path;

    err = dr_keeper_ops_read_node(r, path, DR_ZK_PERM_READ, &node);

    if (err != DR_ZK_OK) {
        return dr_keeper_ops_error(r, err);
    }

    if (r->req.path_watch.watch) {
        rc = dr_keeper_ops_watch(r, path, DR_KEEPER_WATCH_DATA,
                                 DR_KEEPER_WATCH_STANDARD);
        if (rc == DR_ERROR) {
            return DR_ERROR;
        }

        if (rc == DR_DECLINED) {
            return dr_keeper_ops_error(r, DR_ZK_THROTTLEDOP);
        }
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.node = node;

    return dr_keeper_ops_queue(r, &rp, r->k->barrier,
                               node->data.len + DR_ZK_STAT_SIZE + 4,
                               dr_keeper_ops_encode_data);
}


static dr_int_t
dr_keeper_op_get_children(dr_keeper_req_t *r)
{
    int32_t                  err;
    dr_int_t                 rc;
    dr_str_t                *path;
    dr_keeper_tree_node_t   *node;
    dr_keeper_ops_reply_t    rp;

    path = &r->req.path_watch.path;

    err = dr_keeper_ops_read_node(r, path, DR_ZK_PERM_READ, &node);

    if (err != DR_ZK_OK) {
        return dr_keeper_ops_error(r, err);
    }

    if (r->req.path_watch.watch) {
        rc = dr_keeper_ops_watch(r, path, DR_KEEPER_WATCH_CHILD,
                                 DR_KEEPER_WATCH_STANDARD);
        if (rc == DR_ERROR) {
            return DR_ERROR;
        }

        if (rc == DR_DECLINED) {
            return dr_keeper_ops_error(r, DR_ZK_THROTTLEDOP);
        }
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.node = node;
    rp.stat = (r->type == DR_ZK_OPCODE_GET_CHILDREN2);

    return dr_keeper_ops_queue(r, &rp, r->k->barrier,
                               dr_keeper_ops_children_size(node)
                               + DR_ZK_STAT_SIZE,
                               dr_keeper_ops_encode_children);
}


static size_t
dr_keeper_ops_children_size(dr_keeper_tree_node_t *node)
{
    size_t       size;
    dr_queue_t  *q;

    size = 4;

    dr_keeper_tree_children_each(node, q) {
        size += 4 + dr_keeper_tree_child(q)->name.len;
    }

    return size;
}


static dr_int_t
dr_keeper_ops_write_children(dr_zk_writer_t *wr, dr_keeper_tree_node_t *node)
{
    dr_queue_t  *q;

    if (dr_zk_jute_write_int(wr, node->num_children) != DR_OK) {
        return DR_ERROR;
    }

    dr_keeper_tree_children_each(node, q) {
        if (dr_zk_jute_write_ustring(wr, &dr_keeper_tree_child(q)->name)
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_op_get_acl(dr_keeper_req_t *r)
{
    int32_t                  err;
    dr_zk_vec_t              acl;
    dr_keeper_tree_node_t   *node;
    dr_keeper_ops_reply_t    rp;

    err = dr_keeper_ops_read_node(r, &r->req.path.path,
                                  DR_ZK_PERM_READ|DR_ZK_PERM_ADMIN, &node);

    if (err != DR_ZK_OK) {
        return dr_keeper_ops_error(r, err);
    }

    dr_keeper_tree_acl_vec(node->acl, &acl);

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.node = node;
    rp.admin = (dr_keeper_acl_check(r->kc, &acl, DR_ZK_PERM_ADMIN)
                == DR_ZK_OK);

    return dr_keeper_ops_queue(r, &rp, r->k->last_zxid,
                               node->acl->len + DR_ZK_STAT_SIZE + 8,
                               dr_keeper_ops_encode_acl);
}


static dr_int_t
dr_keeper_op_sync(dr_keeper_req_t *r)
{
    dr_keeper_ops_reply_t  rp;

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.strs = &r->req.path.path;

    return dr_keeper_ops_queue(r, &rp, r->k->last_zxid,
                               r->req.path.path.len + 4,
                               dr_keeper_ops_encode_path);
}


/* ZooKeeper answers with the ping xid (-2) whatever the request's was */
static dr_int_t
dr_keeper_op_ping(dr_keeper_req_t *r)
{
    if (dr_keeper_reply(r->kc, DR_ZK_XID_PING, r->k->barrier, DR_ZK_OK,
                        NULL, NULL, 0)
        != DR_OK)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_op_all_children(dr_keeper_req_t *r)
{
    int32_t                  err;
    dr_keeper_tree_node_t   *node;
    dr_keeper_ops_reply_t    rp;

    err = dr_keeper_ops_read_node(r, &r->req.path.path, DR_ZK_PERM_READ,
                                  &node);

    if (err != DR_ZK_OK) {
        return dr_keeper_ops_error(r, err);
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.nresults = (dr_uint_t) dr_keeper_tree_descendants(r->k->tree, node);

    return dr_keeper_ops_queue(r, &rp, r->k->last_zxid, 4,
                               dr_keeper_ops_encode_int);
}


/* Java's String.trim(): what is <= ' ' at both ends */
static void
dr_keeper_ops_trim(dr_str_t *in, dr_str_t *out)
{
    *out = *in;

    while (out->len && out->data[0] <= ' ') {
        out->data++;
        out->len--;
    }

    while (out->len && out->data[out->len - 1] <= ' ') {
        out->len--;
    }
}


static dr_int_t
dr_keeper_op_get_ephemerals(dr_keeper_req_t *r)
{
    dr_uint_t                 all, n;
    dr_str_t                 *prefix, trimmed, *strs;
    dr_queue_t               *q;
    dr_keeper_tree_node_t    *node;
    dr_keeper_tree_owner_t   *owner;
    dr_keeper_ops_reply_t     rp;

    prefix = &r->req.path.path;

    dr_keeper_ops_trim(prefix, &trimmed);

    all = (prefix->data == NULL || trimmed.len == 0
           || dr_str_eq_lit(&trimmed, "/"));

    owner = dr_keeper_tree_owner(r->k->tree, r->kc->session->id);

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));

    n = 0;
    strs = NULL;

    if (owner && owner->count) {
        strs = dr_palloc(r->k->frame_pool, owner->count * sizeof(dr_str_t));
        if (strs == NULL) {
            return dr_keeper_ops_error(r, DR_ZK_SYSTEMERROR);
        }

        for (q = dr_queue_head(&owner->nodes);
             q != dr_queue_sentinel(&owner->nodes);
             q = dr_queue_next(q))
        {
            node = dr_keeper_tree_owner_node(q);

            /* path.startsWith(prefixPath): the prefix as sent, untrimmed */

            if (all || (node->path.len >= prefix->len
                        && dr_memcmp(node->path.data, prefix->data,
                                     prefix->len) == 0))
            {
                strs[n++] = node->path;
            }
        }
    }

    rp.strs = strs;
    rp.nstrs = n;

    return dr_keeper_ops_queue(r, &rp, r->k->last_zxid, 4 + n * 64,
                               dr_keeper_ops_encode_strs);
}


static dr_int_t
dr_keeper_op_add_watch(dr_keeper_req_t *r)
{
    dr_int_t                rc;
    int32_t                 mode;
    dr_str_t               *path;
    dr_keeper_ops_reply_t   rp;

    path = &r->req.path_type.path;
    mode = r->req.path_type.type;

    if (path->data == NULL
        || (mode != DR_ZK_ADD_WATCH_PERSISTENT
            && mode != DR_ZK_ADD_WATCH_PERSISTENT_RECURSIVE))
    {
        return dr_keeper_ops_error(r, DR_ZK_MARSHALLINGERROR);
    }

    /* DataTree.addWatch(): both tables, the data table alone if recursive */

    rc = dr_keeper_ops_watch(r, path, DR_KEEPER_WATCH_DATA,
                             mode == DR_ZK_ADD_WATCH_PERSISTENT
                             ? DR_KEEPER_WATCH_PERSISTENT
                             : DR_KEEPER_WATCH_RECURSIVE);

    if (rc == DR_OK && mode == DR_ZK_ADD_WATCH_PERSISTENT) {
        rc = dr_keeper_ops_watch(r, path, DR_KEEPER_WATCH_CHILD,
                                 DR_KEEPER_WATCH_PERSISTENT);
    }

    if (rc == DR_ERROR) {
        return DR_ERROR;
    }

    if (rc == DR_DECLINED) {
        return dr_keeper_ops_error(r, DR_ZK_THROTTLEDOP);
    }

    /* the reply carries an ErrorResponse(0) */

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.nresults = 0;

    return dr_keeper_ops_queue(r, &rp, r->k->barrier, 4,
                               dr_keeper_ops_encode_int);
}


static dr_int_t
dr_keeper_op_watches(dr_keeper_req_t *r)
{
    int32_t    type;
    dr_int_t   rc;
    dr_str_t  *path;

    path = &r->req.path_type.path;
    type = r->req.path_type.type;

    if (path->data == NULL
        || type < DR_ZK_WATCHER_CHILDREN || type > DR_ZK_WATCHER_ANY)
    {
        return dr_keeper_ops_error(r, DR_ZK_MARSHALLINGERROR);
    }

    rc = dr_keeper_watch_check(r->kc, path, type,
                               r->type == DR_ZK_OPCODE_REMOVE_WATCHES);

    return dr_keeper_ops_error(r, rc == DR_OK ? DR_ZK_OK : DR_ZK_NOWATCHER);
}


/*
 * Where Java's ConcurrentHashMap (ServerCnxn.authInfo is a set of them)
 * puts an Id: its bucket in a table of <n> slots. whoAmI lists the ids in
 * that order, as ZooKeeper does, so that zkCli's whoami reads the same.
 */
static dr_uint_t
dr_keeper_ops_java_bucket(dr_zk_id_t *id, dr_uint_t n)
{
    size_t    i;
    uint32_t  h, hs, hi;

    hs = 0;

    for (i = 0; i < id->scheme.len; i++) {
        hs = 31 * hs + id->scheme.data[i];
    }

    hi = 0;

    for (i = 0; i < id->id.len; i++) {
        hi = 31 * hi + id->id.data[i];
    }

    /* Id.hashCode(): 37 * (37 * 17 + scheme) + id; then CHM's spread() */

    h = 37 * (37 * 17 + hs) + hi;
    h = (h ^ (h >> 16)) & 0x7fffffff;

    return h & (n - 1);
}


static dr_int_t
dr_keeper_op_who_am_i(dr_keeper_req_t *r)
{
    u_char                 *colon;
    dr_uint_t               i, j, n, size, bucket[64];
    dr_zk_id_t             *id;
    dr_keeper_conn_t       *kc;
    dr_zk_client_info_t    *ci;
    dr_keeper_ops_reply_t   rp;

    kc = r->kc;

    ci = dr_palloc(r->k->frame_pool,
                   dr_max(kc->nauth, 1) * sizeof(dr_zk_client_info_t));
    if (ci == NULL) {
        return dr_keeper_ops_error(r, DR_ZK_SYSTEMERROR);
    }

    size = 16;

    while (kc->nauth > size * 3 / 4) {
        size *= 2;
    }

    for (i = 0; i < kc->nauth && i < dr_nelems(bucket); i++) {
        bucket[i] = dr_keeper_ops_java_bucket(&kc->auth[i], size);
    }

    /* by bucket, then in the order they were added */

    n = 0;

    for (j = 0; j < size && n < kc->nauth; j++) {
        for (i = 0; i < kc->nauth; i++) {
            if (bucket[i] != j) {
                continue;
            }

            /* AuthUtil.getClientInfos(): digest user names, ip, "" */

            id = &kc->auth[i];

            ci[n].auth_scheme = id->scheme;
            ci[n].user = id->id;

            if (dr_str_eq_lit(&id->scheme, "digest")) {
                colon = dr_strlchr(id->id.data, id->id.data + id->id.len,
                                   ':');
                if (colon) {
                    ci[n].user.len = (size_t) (colon - id->id.data);
                }

            } else if (!dr_str_eq_lit(&id->scheme, "ip")) {
                ci[n].user.len = 0;
            }

            n++;
        }
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.infos = ci;
    rp.nstrs = n;

    return dr_keeper_ops_queue(r, &rp, r->k->barrier, 64 * n + 4,
                               dr_keeper_ops_encode_who);
}


static dr_int_t
dr_keeper_op_auth(dr_keeper_req_t *r)
{
    dr_int_t  rc;

    rc = dr_keeper_acl_auth(r->kc, &r->req.auth);

    if (rc == DR_ERROR) {
        return DR_ERROR;
    }

    if (rc == DR_OK) {
        dr_log_error(DR_LOG_INFO, r->kc->c->log, 0,
                     "keeper: session 0x%xL: auth success for scheme %V",
                     r->kc->session->id, &r->req.auth.scheme);

        if (dr_keeper_reply(r->kc, r->xid, 0, DR_ZK_OK, NULL, NULL, 0)
            != DR_OK)
        {
            return DR_ERROR;
        }

        return DR_OK;
    }

    /* AuthFailed: the reply, then the connection is closed */

    r->k->auth_failed++;

    dr_log_error(DR_LOG_INFO, r->kc->c->log, 0,
                 "keeper: session 0x%xL: auth failed for scheme %V",
                 r->kc->session->id, &r->req.auth.scheme);

    if (dr_keeper_reply(r->kc, r->xid, 0, DR_ZK_AUTHFAILED, NULL, NULL, 0)
        != DR_OK)
    {
        return DR_ERROR;
    }

    dr_keeper_conn_finalize(r->kc);

    return DR_DONE;
}


/*
 * No SASL server here: ZooKeeper 3.8 without one answers every token with
 * a null one (zxid 0) and keeps the connection.
 */
static dr_int_t
dr_keeper_op_sasl(dr_keeper_req_t *r)
{
    dr_zk_sasl_t  rsp;

    rsp.token.data = NULL;
    rsp.token.len = 0;

    return dr_keeper_reply(r->kc, r->xid, 0, DR_ZK_OK,
                           &dr_zk_set_sasl_response_rec, &rsp, 4);
}


/*
 * SetWatches(2) after a reconnect (DataTree.setWatches()): what changed
 * after relativeZxid fires at once, the rest is armed again.
 */
static dr_int_t
dr_keeper_op_set_watches(dr_keeper_req_t *r)
{
    int32_t                 type;
    int64_t                 rel;
    dr_int_t                rc;
    dr_str_t                path;
    dr_uint_t               v, table, mode;
    dr_zk_vec_t            *vec;
    dr_zk_vec_iter_t        it;
    dr_keeper_tree_node_t  *node;

    rel = r->req.set_watches.relative_zxid;

    /* the catch-up shows any change: everything applied */

    r->k->barrier = 0;

    for (v = 0; v < 5; v++) {

        switch (v) {
        case 0:
            vec = &r->req.set_watches.data_watches;
            break;
        case 1:
            vec = &r->req.set_watches.exist_watches;
            break;
        case 2:
            vec = &r->req.set_watches.child_watches;
            break;
        case 3:
            vec = &r->req.set_watches.persistent_watches;
            break;
        default:
            vec = &r->req.set_watches.persistent_recursive_watches;
            break;
        }

        if (r->type == DR_ZK_OPCODE_SET_WATCHES && v >= 3) {
            break;
        }

        it = dr_zk_vec_iter(vec);

        while (dr_zk_vec_next_str(&it, &path) == DR_OK) {

            if (path.data == NULL) {
                continue;
            }

            node = dr_keeper_tree_find(r->k->tree, &path);
            type = 0;
            table = DR_KEEPER_WATCH_DATA;
            mode = DR_KEEPER_WATCH_STANDARD;

            switch (v) {

            case 0:
                if (node == NULL) {
                    type = DR_ZK_EVENT_NODE_DELETED;

                } else if (node->mzxid > rel) {
                    type = DR_ZK_EVENT_NODE_DATA_CHANGED;
                }

                break;

            case 1:
                if (node) {
                    type = DR_ZK_EVENT_NODE_CREATED;
                }

                break;

            case 2:
                table = DR_KEEPER_WATCH_CHILD;

                if (node == NULL) {
                    type = DR_ZK_EVENT_NODE_DELETED;

                } else if (node->pzxid > rel) {
                    type = DR_ZK_EVENT_NODE_CHILDREN_CHANGED;
                }

                break;

            case 3:
                mode = DR_KEEPER_WATCH_PERSISTENT;
                break;

            default:
                mode = DR_KEEPER_WATCH_RECURSIVE;
                break;
            }

            if (type) {
                if (dr_keeper_watch_notify(r->kc, type, &path) != DR_OK) {
                    return DR_ERROR;
                }

                continue;
            }

            rc = dr_keeper_ops_watch(r, &path, table, mode);

            if (rc == DR_OK && mode == DR_KEEPER_WATCH_PERSISTENT) {
                rc = dr_keeper_ops_watch(r, &path, DR_KEEPER_WATCH_CHILD,
                                         mode);
            }

            if (rc == DR_ERROR) {
                return DR_ERROR;
            }

            if (rc == DR_DECLINED) {
                return dr_keeper_ops_error(r, DR_ZK_THROTTLEDOP);
            }
        }
    }

    return dr_keeper_ops_error(r, DR_ZK_OK);
}


/* multiRead: getData and getChildren ops, each answered or failed alone */
static dr_int_t
dr_keeper_op_multi_read(dr_keeper_req_t *r)
{
    int32_t                  err;
    size_t                   hint;
    dr_uint_t                n, i;
    dr_str_t                *names;
    dr_queue_t              *q;
    dr_zk_reader_t           ops;
    dr_zk_multi_op_t         op;
    dr_zk_multi_result_t    *res;
    dr_keeper_tree_node_t   *node;
    dr_keeper_ops_reply_t    rp;

    if (r->req.multi.writes) {
        return dr_keeper_ops_error(r, DR_ZK_MARSHALLINGERROR);
    }

    res = dr_pcalloc(r->k->frame_pool,
                     dr_max(r->req.multi.nops, 1)
                     * sizeof(dr_zk_multi_result_t));
    if (res == NULL) {
        return dr_keeper_ops_error(r, DR_ZK_SYSTEMERROR);
    }

    ops = r->req.multi.ops;
    n = 0;
    hint = 16;

    while (n < r->req.multi.nops && dr_zk_multi_next(&ops, &op) == DR_OK) {

        err = dr_keeper_ops_read_node(r, &op.u.get.path, DR_ZK_PERM_READ,
                                      &node);

        if (err == DR_ZK_OK && op.u.get.watch
            && dr_keeper_ops_watch(r, &op.u.get.path,
                                   op.type == DR_ZK_OPCODE_GET_DATA
                                   ? DR_KEEPER_WATCH_DATA
                                   : DR_KEEPER_WATCH_CHILD,
                                   DR_KEEPER_WATCH_STANDARD)
               != DR_OK)
        {
            err = DR_ZK_THROTTLEDOP;
        }

        if (err != DR_ZK_OK) {
            res[n].type = DR_ZK_OPCODE_ERROR;
            res[n].err = err;
            n++;
            hint += 16;
            continue;
        }

        res[n].type = op.type;

        if (op.type == DR_ZK_OPCODE_GET_DATA) {
            res[n].data = node->data;
            dr_keeper_tree_stat(node, &res[n].stat);
            hint += 16 + node->data.len + DR_ZK_STAT_SIZE;

        } else {
            names = dr_palloc(r->k->frame_pool,
                              dr_max(node->num_children, 1)
                              * sizeof(dr_str_t));
            if (names == NULL) {
                return dr_keeper_ops_error(r, DR_ZK_SYSTEMERROR);
            }

            i = 0;

            dr_keeper_tree_children_each(node, q) {
                names[i++] = dr_keeper_tree_child(q)->name;
            }

            res[n].children.nelts = (int32_t) i;
            res[n].children.elts = names;
            hint += 16 + dr_keeper_ops_children_size(node);
        }

        n++;
    }

    dr_memzero(&rp, sizeof(dr_keeper_ops_reply_t));
    rp.mresults = res;
    rp.nresults = n;

    return dr_keeper_ops_queue(r, &rp, r->k->last_zxid, hint,
                               dr_keeper_ops_encode_multi);
}


static dr_int_t
dr_keeper_op_close(dr_keeper_req_t *r)
{
    if (dr_keeper_ops_close_session(r->k, r->kc->session, r->xid, 0)
        != DR_OK)
    {
        dr_child_process_exit(r->k->cycle, 1);
    }

    return DR_DONE;
}


/*
 * closeSession, asked for (<expired> 0: the reply, then the connection
 * closes) or on expiry (the connection, if any, closes at once): the
 * session's ephemerals are deleted by one txn, their watches fire, and
 * the session is gone. DR_OK or DR_ERROR (the log failed).
 */
dr_int_t
dr_keeper_ops_close_session(dr_keeper_t *k, dr_keeper_session_t *s,
    int32_t cxid, dr_uint_t expired)
{
    int64_t                   id;
    dr_keeper_conn_t         *kc;
    dr_keeper_tree_txn_t      ttxn;
    dr_keeper_tree_result_t   one;

    id = s->id;
    kc = s->conn;
    s->closing = 1;

    dr_memzero(&ttxn, sizeof(dr_keeper_tree_txn_t));

    ttxn.zxid = k->last_zxid + 1;
    ttxn.time = dr_keeper_now();
    ttxn.session_id = id;
    ttxn.type = DR_ZK_OPCODE_CLOSE_SESSION;
    ttxn.results = &one;

    if (dr_keeper_tree_apply(k->tree, &ttxn) != DR_OK) {
        dr_log_error(DR_LOG_ALERT, k->log, 0,
                     "keeper: no memory to close session 0x%xL", id);
        return DR_ERROR;
    }

    k->last_zxid = ttxn.zxid;

    if (kc) {
        if (expired) {
            dr_keeper_conn_close(kc);
            kc = NULL;

        } else {
            if (dr_keeper_reply(kc, cxid, ttxn.zxid, DR_ZK_OK, NULL, NULL, 0)
                != DR_OK)
            {
                kc->broken = 1;
            }

            dr_keeper_conn_finalize(kc);
        }
    }

    dr_keeper_session_remove(k, s);

    return dr_keeper_ops_log(k, id, cxid, ttxn.zxid,
                             DR_ZK_OPCODE_CLOSE_SESSION, NULL);
}


/*
 * The container reaper (ContainerManager): empty containers that had a
 * child and expired TTL nodes are deleted by deleteContainer txns of the
 * keeper's own (session 0, the path's bytes as the body).
 */
void
dr_keeper_ops_reap(dr_event_t *ev)
{
    dr_uint_t                 n, i;
    dr_str_t                 *paths;
    dr_keeper_t              *k;
    dr_zk_request_t           req;
    dr_keeper_tree_txn_t      ttxn;
    dr_keeper_tree_node_t    *nodes[256];
    dr_keeper_tree_result_t   one;

    k = ev->data;

    n = dr_keeper_tree_reapable(k->tree, dr_keeper_now(), nodes,
                                dr_nelems(nodes));

    paths = n ? dr_palloc(k->frame_pool, n * sizeof(dr_str_t)) : NULL;

    if (n && paths == NULL) {
        n = 0;
    }

    /* the paths outlive the nodes the txns delete */

    for (i = 0; i < n; i++) {
        paths[i].len = nodes[i]->path.len;
        paths[i].data = dr_pnalloc(k->frame_pool, paths[i].len);

        if (paths[i].data == NULL) {
            n = i;
            break;
        }

        dr_memcpy(paths[i].data, nodes[i]->path.data, paths[i].len);
    }

    for (i = 0; i < n; i++) {
        dr_memzero(&req, sizeof(dr_zk_request_t));
        req.path.path = paths[i];

        dr_memzero(&ttxn, sizeof(dr_keeper_tree_txn_t));

        ttxn.zxid = k->last_zxid + 1;
        ttxn.time = dr_keeper_now();
        ttxn.session_id = 0;
        ttxn.type = DR_ZK_OPCODE_DELETE_CONTAINER;
        ttxn.req = &req;
        ttxn.results = &one;

        if (dr_keeper_tree_apply(k->tree, &ttxn) != DR_OK) {
            break;
        }

        if (ttxn.err != DR_ZK_OK) {

            /* it changed since it was found: nothing applied, no zxid */

            continue;
        }

        k->last_zxid = ttxn.zxid;

        dr_log_debug(k->log, "keeper: reaped %V", &paths[i]);

        if (dr_keeper_ops_log(k, 0, 0, ttxn.zxid,
                              DR_ZK_OPCODE_DELETE_CONTAINER, &paths[i])
            != DR_OK)
        {
            dr_child_process_exit(k->cycle, 1);
        }
    }

    dr_reset_pool(k->frame_pool);

    dr_event_add_timer(ev, k->conf->container_reap_interval);
}


/* encoders of reply bodies (after the reply header) for queue_frame */

static dr_int_t
dr_keeper_ops_header(dr_zk_writer_t *wr, dr_keeper_ops_reply_t *rp)
{
    return dr_zk_reply_header_encode(wr, &rp->hdr);
}


static dr_int_t
dr_keeper_ops_encode_stat(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_zk_stat_t  st;

    dr_keeper_tree_stat(rp->node, &st);

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    return dr_zk_jute_write_stat(wr, &st);
}


static dr_int_t
dr_keeper_ops_encode_data(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_zk_stat_t  st;

    dr_keeper_tree_stat(rp->node, &st);

    if (dr_keeper_ops_header(wr, rp) != DR_OK
        || dr_zk_jute_write_buffer(wr, &rp->node->data) != DR_OK)
    {
        return DR_ERROR;
    }

    return dr_zk_jute_write_stat(wr, &st);
}


static dr_int_t
dr_keeper_ops_encode_children(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_zk_stat_t  st;

    if (dr_keeper_ops_header(wr, rp) != DR_OK
        || dr_keeper_ops_write_children(wr, rp->node) != DR_OK)
    {
        return DR_ERROR;
    }

    if (!rp->stat) {
        return DR_OK;
    }

    dr_keeper_tree_stat(rp->node, &st);

    return dr_zk_jute_write_stat(wr, &st);
}


static dr_int_t
dr_keeper_ops_encode_acl(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_zk_stat_t  st;
    dr_zk_vec_t   acl;

    dr_keeper_tree_acl_vec(rp->node->acl, &acl);
    dr_keeper_tree_stat(rp->node, &st);

    if (dr_keeper_ops_header(wr, rp) != DR_OK
        || dr_keeper_acl_write_masked(wr, &acl, rp->admin) != DR_OK)
    {
        return DR_ERROR;
    }

    return dr_zk_jute_write_stat(wr, &st);
}


/* one tree result of a single write: create, create2, stat, or nothing */
static dr_int_t
dr_keeper_ops_encode_result(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_keeper_tree_result_t  *res;

    res = rp->results;

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    switch (res->type) {

    case DR_ZK_OPCODE_CREATE:
        return dr_zk_jute_write_ustring(wr, &res->path);

    case DR_ZK_OPCODE_CREATE2:
        if (dr_zk_jute_write_ustring(wr, &res->path) != DR_OK) {
            return DR_ERROR;
        }

        return dr_zk_jute_write_stat(wr, &res->stat);

    case DR_ZK_OPCODE_SET_DATA:
        return dr_zk_jute_write_stat(wr, &res->stat);

    default:
        return DR_OK;
    }
}


/* multi (tree results) and multiRead (mresults) */
static dr_int_t
dr_keeper_ops_encode_multi(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_uint_t              i;
    dr_zk_multi_result_t   res;

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    for (i = 0; i < rp->nresults; i++) {

        if (rp->mresults) {
            res = rp->mresults[i];

        } else {
            dr_memzero(&res, sizeof(dr_zk_multi_result_t));
            res.type = rp->results[i].type;
            res.err = rp->results[i].err;
            res.path = rp->results[i].path;
            res.stat = rp->results[i].stat;
        }

        if (dr_zk_multi_result_encode(wr, &res) != DR_OK) {
            return DR_ERROR;
        }
    }

    return dr_zk_multi_end_encode(wr);
}


/* sync: the path; getAllChildrenNumber, addWatch: an int */
static dr_int_t
dr_keeper_ops_encode_path(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    return dr_zk_jute_write_ustring(wr, rp->strs);
}


static dr_int_t
dr_keeper_ops_encode_int(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    return dr_zk_jute_write_int(wr, (int32_t) rp->nresults);
}


/* getEphemerals: a vector of paths */
static dr_int_t
dr_keeper_ops_encode_strs(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_zk_vec_t  vec;

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    dr_memzero(&vec, sizeof(dr_zk_vec_t));
    vec.nelts = (int32_t) rp->nstrs;
    vec.elts = rp->strs;

    return dr_zk_jute_write_vec(wr, DR_ZK_VEC_USTRING, &vec);
}


static dr_int_t
dr_keeper_ops_encode_who(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_ops_reply_t  *rp = data;

    dr_zk_vec_t  vec;

    if (dr_keeper_ops_header(wr, rp) != DR_OK) {
        return DR_ERROR;
    }

    dr_memzero(&vec, sizeof(dr_zk_vec_t));
    vec.nelts = (int32_t) rp->nstrs;
    vec.elts = rp->infos;

    return dr_zk_jute_write_vec(wr, DR_ZK_VEC_CLIENT_INFO, &vec);
}
