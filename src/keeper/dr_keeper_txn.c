/*
 * The commit seam (see dr_keeper_txn.h): applied transactions go to the
 * log, and what the connections hold back waits for the log's completion.
 *
 * A connection queues its replies and notifications as they are computed;
 * bytes computed while a txn was not yet durable carry a mark (barrier =
 * the last applied zxid, or for a read the zxids of what it showed).
 * dr_keeper_txn_durable() releases, on every connection holding marks
 * (k->held), the marks whose barrier is now durable, and the end-of-turn
 * flush writes them. The log calls it once per durable batch (its
 * "durable" hook), so one fdatasync releases a whole batch with one pass
 * over the connections that wait; the per-txn completion only watches for
 * a failed log.
 *
 * Replay (recovery) is here too, since it must treat the session txns the
 * tree does not know: createSession rebuilds a session (with its logged
 * password), closeSession deletes its ephemerals and the session, an
 * error txn only advances the zxid.
 *
 * Keeper process only.
 */

#include "dr_keeper.h"


static void dr_keeper_txn_done(void *data, dr_int_t rc);


dr_int_t
dr_keeper_commit(dr_keeper_t *k, dr_keeper_txn_t *txn)
{
    dr_keeper_log_txn_t  ltxn;

    if (k->txn_log == NULL) {
        dr_keeper_txn_durable(k, txn->zxid);
        return DR_OK;
    }

    ltxn.zxid = txn->zxid;
    ltxn.session = txn->session_id;
    ltxn.time = txn->time;
    ltxn.cxid = txn->cxid;
    ltxn.type = txn->type;
    ltxn.body = txn->body;

    /* the zxid itself is the completion's data: nothing to allocate */

    if (dr_keeper_log_append(k->txn_log, &ltxn, dr_keeper_txn_done,
                             (void *) (intptr_t) txn->zxid)
        != DR_OK)
    {
        dr_log_error(DR_LOG_ALERT, k->log, 0,
                     "keeper: the transaction log refused zxid 0x%xL",
                     txn->zxid);
        return DR_ERROR;
    }

    return DR_OK;
}


/* the log's completion of one txn, in append order: failures only */
static void
dr_keeper_txn_done(void *data, dr_int_t rc)
{
    dr_keeper_t  *k;

    k = dr_keeper;

    if (rc != DR_OK) {

        /*
         * The disk holds an unknown prefix of what was appended: nothing
         * more may be acknowledged. Exit; the master respawns the keeper,
         * which recovers from what the disk really has.
         */

        dr_log_error(DR_LOG_EMERG, k->log, 0,
                     "keeper: the transaction log failed, exiting to "
                     "recover from the disk");

        dr_child_process_exit(k->cycle, 1);
    }

    /* released by the batch: dr_keeper_txn_batch_durable() */
}


/* the log's once-per-batch hook: everything up to <zxid> is on disk */
void
dr_keeper_txn_batch_durable(void *data, int64_t zxid)
{
    dr_keeper_txn_durable(data, zxid);
}


void
dr_keeper_txn_durable(dr_keeper_t *k, int64_t zxid)
{
    dr_queue_t        *q, *next;
    dr_keeper_conn_t  *kc;

    if (zxid <= k->durable_zxid) {
        return;
    }

    k->durable_zxid = zxid;

    for (q = dr_queue_head(&k->held);
         q != dr_queue_sentinel(&k->held);
         q = next)
    {
        next = dr_queue_next(q);
        kc = dr_queue_data(q, dr_keeper_conn_t, held);

        dr_keeper_conn_release(kc);
    }
}


void
dr_keeper_txn_session_body(u_char *buf, int32_t timeout, const u_char *passwd)
{
    uint32_t  t;

    t = (uint32_t) timeout;

    buf[0] = (u_char) (t >> 24);
    buf[1] = (u_char) (t >> 16);
    buf[2] = (u_char) (t >> 8);
    buf[3] = (u_char) t;

    dr_memcpy(buf + 4, passwd, DR_ZK_PASSWD_LEN);
}


dr_int_t
dr_keeper_txn_session_parse(dr_str_t *body, int32_t *timeout, u_char *passwd)
{
    u_char  *p;

    if (body->len != DR_KEEPER_TXN_SESSION_BODY) {
        return DR_ERROR;
    }

    p = body->data;

    *timeout = (int32_t) ((uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
                          | (uint32_t) p[2] << 8 | (uint32_t) p[3]);

    if (*timeout <= 0) {
        return DR_ERROR;
    }

    dr_memcpy(passwd, p + 4, DR_ZK_PASSWD_LEN);

    return DR_OK;
}


dr_int_t
dr_keeper_txn_replay(dr_keeper_t *k, dr_keeper_txn_t *txn)
{
    int32_t                   timeout;
    u_char                    passwd[DR_ZK_PASSWD_LEN];
    dr_uint_t                 i;
    dr_zk_reader_t            rd;
    const dr_zk_op_t         *op;
    dr_zk_request_t           req;
    dr_keeper_session_t      *s;
    dr_keeper_tree_txn_t      ttxn;
    dr_keeper_tree_result_t   results[1];

    if (txn->zxid <= k->last_zxid) {
        dr_log_error(DR_LOG_EMERG, k->log, 0,
                     "keeper: replayed zxid 0x%xL after 0x%xL",
                     txn->zxid, k->last_zxid);
        return DR_ERROR;
    }

    switch (txn->type) {

    case DR_ZK_OPCODE_ERROR:
        break;

    case DR_ZK_OPCODE_CREATE_SESSION:

        if (dr_keeper_txn_session_parse(&txn->body, &timeout, passwd)
            != DR_OK
            || txn->session_id == 0
            || dr_keeper_session_find(k, txn->session_id) != NULL)
        {
            goto invalid;
        }

        s = dr_keeper_session_create(k, txn->session_id, timeout, passwd);
        if (s == NULL) {
            return DR_ERROR;
        }

        break;

    default:

        if (txn->type == DR_ZK_OPCODE_CLOSE_SESSION) {
            op = NULL;

        } else {
            op = dr_zk_op_find(txn->type);

            if (op == NULL || !(op->flags & DR_ZK_OP_WRITE)) {
                goto invalid;
            }

            rd = dr_zk_reader_init(txn->body.data, txn->body.len);

            if (dr_zk_op_decode(op, &rd, &req) != DR_OK) {
                goto invalid;
            }
        }

        dr_memzero(&ttxn, sizeof(dr_keeper_tree_txn_t));

        ttxn.zxid = txn->zxid;
        ttxn.time = txn->time;
        ttxn.session_id = txn->session_id;
        ttxn.type = txn->type;
        ttxn.req = op ? &req : NULL;
        ttxn.results = results;

        if (txn->type == DR_ZK_OPCODE_MULTI) {
            ttxn.results = dr_keeper_ops_results(k, req.multi.nops);
            if (ttxn.results == NULL) {
                return DR_ERROR;
            }
        }

        if (dr_keeper_tree_apply(k->tree, &ttxn) != DR_OK) {
            return DR_ERROR;
        }

        if (ttxn.err != DR_ZK_OK) {
            goto invalid;
        }

        for (i = 0; i < ttxn.nresults; i++) {
            if (ttxn.results[i].err != DR_ZK_OK) {
                goto invalid;
            }
        }

        if (txn->type == DR_ZK_OPCODE_CLOSE_SESSION) {
            s = dr_keeper_session_find(k, txn->session_id);

            if (s) {
                dr_keeper_session_remove(k, s);
            }
        }

        break;
    }

    k->last_zxid = txn->zxid;
    k->durable_zxid = txn->zxid;

    return DR_OK;

invalid:

    dr_log_error(DR_LOG_EMERG, k->log, 0,
                 "keeper: logged transaction 0x%xL (type %D, session "
                 "0x%xL) does not apply", txn->zxid, txn->type,
                 txn->session_id);

    return DR_ERROR;
}
