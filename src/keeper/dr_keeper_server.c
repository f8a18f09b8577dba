/*
 * The keeper's client connections: accept, framing, the handshake, and the
 * ordered, batched output of replies and notifications.
 *
 * Input: each connection reads into its own buffer (16 KB, grown to the
 * size of a larger frame up to max_frame, shrunk back once drained) and
 * handles every complete frame in place, synchronously: the decoded
 * request is a set of views into the buffer that live until its reply is
 * encoded. The first frame is the ConnectRequest (or, if the first four
 * bytes spell one, a four-letter word); the others go to
 * dr_keeper_ops_request(). A frame longer than max_frame, a malformed
 * frame or an unknown opcode ends that connection only.
 *
 * Output: replies are encoded straight into the connection's output blocks
 * in request order, notifications before the reply that reveals their
 * change (the tree reports changes during apply, the reply is encoded
 * after). Bytes encoded while a transaction is not yet durable are held
 * behind a mark (dr_keeper_txn.c); the rest go out at the end of the loop
 * turn, one writev per connection for everything it has (k->flush_event).
 *
 * Back-pressure: a connection with max_outstanding replies not yet sent,
 * or more than DR_KEEPER_OUT_HIGH bytes queued, is not read until its
 * peer catches up, so a client that pipelines without reading cannot make
 * the keeper buffer without bound.
 *
 * Keeper process (or the single process of "master_process off").
 */

#include "dr_keeper.h"


#define DR_KEEPER_IBUF_SIZE      (16 * 1024)
#define DR_KEEPER_READ_BUDGET    (256 * 1024)
#define DR_KEEPER_FREE_OBUFS     64
#define DR_KEEPER_IOVS           64
#define DR_KEEPER_SEND_TIMEOUT   30000
/* a reply that does not fit in this is an error (getChildren of millions) */
#define DR_KEEPER_REPLY_MAX      (256 * 1024 * 1024)

#define dr_keeper_obuf_start(ob)  ((u_char *) (ob) + sizeof(dr_keeper_obuf_t))


static void dr_keeper_read_handler(dr_event_t *rev);
static void dr_keeper_write_handler(dr_event_t *wev);
static void dr_keeper_read(dr_keeper_conn_t *kc);
static dr_int_t dr_keeper_input(dr_keeper_conn_t *kc);
static dr_int_t dr_keeper_input_room(dr_keeper_conn_t *kc, size_t need);
static dr_int_t dr_keeper_handshake(dr_keeper_conn_t *kc, dr_str_t *payload);
static dr_int_t dr_keeper_connect_reply(dr_keeper_conn_t *kc,
    dr_zk_connect_response_t *rsp);
static dr_int_t dr_keeper_encode_connect(dr_zk_writer_t *wr, void *data);
static dr_int_t dr_keeper_encode_reply(dr_zk_writer_t *wr, void *data);
static dr_keeper_obuf_t *dr_keeper_obuf_get(dr_keeper_conn_t *kc,
    size_t need);
static void dr_keeper_obuf_free(dr_keeper_t *k, dr_keeper_obuf_t *ob);
static dr_int_t dr_keeper_hold(dr_keeper_conn_t *kc, dr_uint_t reply);
static dr_int_t dr_keeper_write(dr_keeper_conn_t *kc);
static void dr_keeper_sent(dr_keeper_conn_t *kc, size_t n);
static uint64_t dr_keeper_sendable(dr_keeper_conn_t *kc);
static void dr_keeper_latency(dr_keeper_latency_t *lat, dr_msec_t ms);
static dr_uint_t dr_keeper_backpressure(dr_keeper_conn_t *kc);


typedef struct {
    dr_zk_reply_header_t         hdr;
    const dr_zk_jute_record_t   *rec;
    void                        *r;
} dr_keeper_reply_ctx_t;


void
dr_keeper_init_connection(dr_connection_t *c)
{
    dr_keeper_t       *k;
    dr_keeper_conn_t  *kc;

    k = dr_keeper;

    if (k->cycle == NULL) {

        /* "master_process off" without a keeper block cannot get here */

        dr_log_error(DR_LOG_INFO, c->log, 0,
                     "keeper: connection on %V closed: the keeper does not "
                     "run in this process", &c->listening->addr_text);
        goto failed;
    }

    if (k->conf->max_connections_per_ip
        && dr_keeper_conns_from(k, c->sockaddr)
           >= (dr_uint_t) k->conf->max_connections_per_ip)
    {
        k->rejected++;

        dr_log_error(DR_LOG_WARN, c->log, 0,
                     "keeper: too many connections from %V - max is %i",
                     &c->addr_text, k->conf->max_connections_per_ip);
        goto failed;
    }

    kc = dr_objpool_alloc(&k->conn_pool);
    if (kc == NULL) {
        goto failed;
    }

    kc->in_start = dr_alloc(DR_KEEPER_IBUF_SIZE, c->log);
    if (kc->in_start == NULL) {
        dr_objpool_free(&k->conn_pool, kc);
        goto failed;
    }

    kc->in_pos = kc->in_start;
    kc->in_last = kc->in_start;
    kc->in_end = kc->in_start + DR_KEEPER_IBUF_SIZE;

    kc->c = c;
    kc->k = k;
    c->data = kc;

    dr_queue_init(&kc->marks);
    dr_queue_init(&kc->watches);
    kc->last_cxid = -1;
    kc->last_op = "NA";
    kc->established = (dr_msec_t) dr_keeper_now();
    kc->latency.min = DR_TIMER_INFINITE;

    dr_queue_insert_tail(&k->conns, &kc->queue);
    k->nconns++;

    if (dr_keeper_acl_init_conn(kc) != DR_OK) {
        dr_keeper_conn_close(kc);
        return;
    }

    c->log_error = DR_ERROR_INFO;
    c->idle = 1;                /* a graceful exit closes it */

    c->read->handler = dr_keeper_read_handler;
    c->write->handler = dr_keeper_write_handler;

    if (dr_add_conn(c) != DR_OK) {
        dr_keeper_conn_close(kc);
        return;
    }

    (void) dr_tcp_nodelay(c);

    dr_event_add_timer(c->read, DR_KEEPER_HANDSHAKE_TIMEOUT);

    return;

failed:

    dr_close_connection(c);
    dr_destroy_pool(c->pool);
}


dr_uint_t
dr_keeper_conns_from(dr_keeper_t *k, struct sockaddr *sa)
{
    dr_uint_t          n;
    dr_queue_t        *q;
    dr_keeper_conn_t  *kc;

    n = 0;

    for (q = dr_queue_head(&k->conns);
         q != dr_queue_sentinel(&k->conns);
         q = dr_queue_next(q))
    {
        kc = dr_queue_data(q, dr_keeper_conn_t, queue);

        if (dr_cmp_sockaddr(kc->c->sockaddr, kc->c->socklen, sa,
                            kc->c->socklen, 0)
            == DR_OK)
        {
            n++;
        }
    }

    return n;
}


static void
dr_keeper_read_handler(dr_event_t *rev)
{
    dr_connection_t   *c;
    dr_keeper_conn_t  *kc;

    c = rev->data;
    kc = c->data;

    if (c->close) {
        dr_keeper_conn_close(kc);
        return;
    }

    if (rev->timedout) {
        dr_log_error(DR_LOG_INFO, c->log, 0,
                     "keeper: client timed out before its handshake");
        dr_keeper_conn_close(kc);
        return;
    }

    dr_keeper_read(kc);
}


static void
dr_keeper_write_handler(dr_event_t *wev)
{
    dr_connection_t   *c;
    dr_keeper_conn_t  *kc;

    c = wev->data;
    kc = c->data;

    if (wev->timedout) {
        dr_log_error(DR_LOG_INFO, c->log, 0,
                     "keeper: client timed out reading its replies");
        dr_keeper_conn_close(kc);
        return;
    }

    if (kc->out_sent < kc->out_total) {
        dr_keeper_conn_dirty(kc);
    }
}


/*
 * Reads and handles frames until the socket is drained, the budget of one
 * turn is spent (then the read is posted for the next turn: no new edge
 * would come) or back-pressure stops it.
 */
static void
dr_keeper_read(dr_keeper_conn_t *kc)
{
    size_t            budget;
    ssize_t           n;
    dr_int_t          rc;
    dr_connection_t  *c;

    c = kc->c;
    budget = DR_KEEPER_READ_BUDGET;

    for ( ;; ) {

        rc = dr_keeper_input(kc);

        if (rc == DR_ERROR) {
            dr_keeper_conn_close(kc);
            return;
        }

        if (rc == DR_DONE || rc == DR_AGAIN) {
            return;
        }

        if (!c->read->ready) {
            return;
        }

        if (budget == 0) {
            dr_post_event(c->read, &dr_posted_next_events);
            return;
        }

        n = c->recv(c, kc->in_last, (size_t) (kc->in_end - kc->in_last));

        if (n == DR_AGAIN) {
            return;
        }

        if (n == DR_ERROR || n == 0) {
            dr_log_error(DR_LOG_INFO, c->log, 0,
                         "keeper: client closed the connection"
                         "%s, session 0x%xL",
                         n == 0 ? "" : " with an error",
                         kc->session ? kc->session->id : (int64_t) 0);
            dr_keeper_conn_close(kc);
            return;
        }

        kc->in_last += n;
        budget = (size_t) n > budget ? 0 : budget - (size_t) n;
    }
}


/*
 * Handles the complete frames in the buffer and makes room for the next
 * read. DR_OK: read more; DR_AGAIN: stop reading (back-pressure); DR_DONE:
 * the connection is closing; DR_ERROR: close it now.
 */
static dr_int_t
dr_keeper_input(dr_keeper_conn_t *kc)
{
    size_t        avail;
    ssize_t       n;
    uint32_t      len;
    dr_int_t      rc;
    dr_str_t      payload;
    dr_keeper_t  *k;

    k = kc->k;

    for ( ;; ) {

        if (kc->closing) {
            return DR_DONE;
        }

        avail = (size_t) (kc->in_last - kc->in_pos);

        if (avail == 0) {
            kc->in_pos = kc->in_start;
            kc->in_last = kc->in_start;
            break;
        }

        if (dr_keeper_backpressure(kc)) {
            kc->paused = 1;
            return DR_AGAIN;
        }

        if (!kc->hello && kc->received == 0 && avail >= 4
            && dr_keeper_4lw(kc, kc->in_pos) == DR_OK)
        {
            kc->in_pos += 4;
            return DR_DONE;
        }

        n = dr_zk_jute_frame_parse(kc->in_pos, avail, k->conf->max_frame,
                                   &payload);

        if (n == DR_PARSE_ERROR) {
            dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                         "keeper: frame length %uD is beyond max_frame "
                         "%uz, closing the connection",
                         (uint32_t) dr_keeper_get32(kc->in_pos),
                         k->conf->max_frame);
            return DR_ERROR;
        }

        if (n == DR_PARSE_AGAIN) {
            if (avail < 4) {
                len = 4;
            } else {
                len = dr_keeper_get32(kc->in_pos) + 4;
            }

            if (dr_keeper_input_room(kc, len) != DR_OK) {
                return DR_ERROR;
            }

            return DR_OK;
        }

        kc->in_pos += n;
        kc->received++;
        k->received++;
        kc->frame_received = dr_current_msec;

        if (!kc->hello) {
            rc = dr_keeper_handshake(kc, &payload);

        } else {
            rc = dr_keeper_ops_request(kc, payload.data, payload.len);
        }

        if (rc != DR_OK) {
            return rc;
        }
    }

    /* drained: a buffer grown for a large frame shrinks back */

    if ((size_t) (kc->in_end - kc->in_start) > DR_KEEPER_IBUF_SIZE) {
        dr_free(kc->in_start);

        kc->in_start = dr_alloc(DR_KEEPER_IBUF_SIZE, kc->c->log);
        if (kc->in_start == NULL) {
            kc->in_end = NULL;
            return DR_ERROR;
        }

        kc->in_pos = kc->in_start;
        kc->in_last = kc->in_start;
        kc->in_end = kc->in_start + DR_KEEPER_IBUF_SIZE;
    }

    return DR_OK;
}


/* makes <need> contiguous bytes available from in_pos on */
static dr_int_t
dr_keeper_input_room(dr_keeper_conn_t *kc, size_t need)
{
    u_char  *p;
    size_t   have, size;

    have = (size_t) (kc->in_last - kc->in_pos);

    if ((size_t) (kc->in_end - kc->in_pos) >= need
        && kc->in_last < kc->in_end)
    {
        return DR_OK;
    }

    size = (size_t) (kc->in_end - kc->in_start);

    if (need <= size) {
        dr_memmove(kc->in_start, kc->in_pos, have);

    } else {
        p = dr_alloc(need, kc->c->log);
        if (p == NULL) {
            return DR_ERROR;
        }

        dr_memcpy(p, kc->in_pos, have);
        dr_free(kc->in_start);

        kc->in_start = p;
        kc->in_end = p + need;
    }

    kc->in_pos = kc->in_start;
    kc->in_last = kc->in_start + have;

    return DR_OK;
}


static dr_uint_t
dr_keeper_backpressure(dr_keeper_conn_t *kc)
{
    return kc->queued >= (dr_uint_t) kc->k->conf->max_outstanding
           || kc->out_total - kc->out_sent > DR_KEEPER_OUT_HIGH;
}


/*
 * The ConnectRequest: a new session (a createSession txn), or the resume
 * of one with its password. ZooKeeper's processConnectRequest, in order.
 */
static dr_int_t
dr_keeper_handshake(dr_keeper_conn_t *kc, dr_str_t *payload)
{
    u_char                     body[DR_KEEPER_TXN_SESSION_BODY];
    int32_t                    timeout;
    dr_keeper_t               *k;
    dr_zk_reader_t             rd;
    dr_keeper_txn_t            txn;
    dr_keeper_session_t       *s;
    dr_zk_connect_request_t    req;
    dr_zk_connect_response_t   rsp;

    k = kc->k;

    rd = dr_zk_reader_init(payload->data, payload->len);

    if (dr_zk_connect_request_decode(&rd, &req) != DR_OK) {
        dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                     "keeper: malformed connect request, closing");
        return DR_ERROR;
    }

    if (req.last_zxid_seen > k->last_zxid) {

        /* the client saw a later state: it must try another server */

        dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                     "keeper: refusing session request for client %V as "
                     "it has seen zxid 0x%xL, our last zxid is 0x%xL",
                     &kc->c->addr_text, req.last_zxid_seen, k->last_zxid);
        return DR_ERROR;
    }

    kc->hello = 1;

    if (kc->c->read->timer_set) {
        dr_event_del_timer(kc->c->read);
    }

    timeout = dr_keeper_session_clamp(k, req.timeout);

    dr_memzero(&rsp, sizeof(dr_zk_connect_response_t));
    rsp.has_read_only = req.has_read_only;

    if (req.session_id == 0) {
        s = dr_keeper_session_create(k, 0, timeout, NULL);
        if (s == NULL) {
            return DR_ERROR;
        }

        dr_keeper_txn_session_body(body, timeout, s->passwd);

        dr_memzero(&txn, sizeof(dr_keeper_txn_t));
        txn.session_id = s->id;
        txn.zxid = ++k->last_zxid;
        txn.time = dr_keeper_now();
        txn.type = DR_ZK_OPCODE_CREATE_SESSION;
        txn.body.data = body;
        txn.body.len = sizeof(body);

        if (dr_keeper_commit(k, &txn) != DR_OK) {
            dr_child_process_exit(k->cycle, 1);
        }

        dr_log_debug(kc->c->log, "keeper: session 0x%xL created, "
                     "timeout %D", s->id, timeout);

    } else {
        s = dr_keeper_session_find(k, req.session_id);

        /* ZooKeeper drops the session's other connection first, whatever
         * the password */

        if (s && s->conn && s->conn != kc) {
            dr_log_error(DR_LOG_INFO, s->conn->c->log, 0,
                         "keeper: session 0x%xL moved to %V, closing its "
                         "old connection", s->id, &kc->c->addr_text);
            dr_keeper_conn_close(s->conn);
        }

        if (s == NULL || s->closing
            || req.passwd.len != DR_ZK_PASSWD_LEN
            || dr_memcmp(req.passwd.data, s->passwd, DR_ZK_PASSWD_LEN) != 0)
        {
            dr_log_error(DR_LOG_INFO, kc->c->log, 0,
                         "keeper: invalid session 0x%xL for client %V, "
                         "probably expired", req.session_id,
                         &kc->c->addr_text);

            rsp.passwd.data = (u_char *) "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0";
            rsp.passwd.len = DR_ZK_PASSWD_LEN;

            if (dr_keeper_connect_reply(kc, &rsp) != DR_OK) {
                return DR_ERROR;
            }

            dr_keeper_conn_finalize(kc);
            return DR_DONE;
        }

        s->timeout = timeout;
    }

    s->conn = kc;
    kc->session = s;

    dr_keeper_virtual_session(k, s, 0);

    dr_keeper_session_touch(k, s);

    rsp.timeout = timeout;
    rsp.session_id = s->id;
    rsp.passwd.data = s->passwd;
    rsp.passwd.len = DR_ZK_PASSWD_LEN;

    return dr_keeper_connect_reply(kc, &rsp);
}


static dr_int_t
dr_keeper_connect_reply(dr_keeper_conn_t *kc, dr_zk_connect_response_t *rsp)
{
    return dr_keeper_queue_frame(kc, 64, dr_keeper_encode_connect, rsp, 1);
}


static dr_int_t
dr_keeper_encode_connect(dr_zk_writer_t *wr, void *data)
{
    return dr_zk_connect_response_encode(wr, data);
}


dr_int_t
dr_keeper_reply(dr_keeper_conn_t *kc, int32_t xid, int64_t zxid, int32_t err,
    const dr_zk_jute_record_t *rec, void *r, size_t hint)
{
    dr_keeper_reply_ctx_t  ctx;

    ctx.hdr.xid = xid;
    ctx.hdr.zxid = zxid;
    ctx.hdr.err = err;
    ctx.rec = (err == DR_ZK_OK) ? rec : NULL;
    ctx.r = r;

    if (xid >= 0) {
        kc->last_cxid = xid;
    }

    kc->last_zxid = zxid;
    kc->last_response = dr_current_msec;

    return dr_keeper_queue_frame(kc, DR_ZK_REPLY_HEADER_SIZE + hint,
                                 dr_keeper_encode_reply, &ctx, 1);
}


static dr_int_t
dr_keeper_encode_reply(dr_zk_writer_t *wr, void *data)
{
    dr_keeper_reply_ctx_t  *ctx = data;

    if (dr_zk_reply_header_encode(wr, &ctx->hdr) != DR_OK) {
        return DR_ERROR;
    }

    if (ctx->rec == NULL) {
        return DR_OK;
    }

    return dr_zk_jute_encode(ctx->rec, wr, ctx->r);
}


dr_int_t
dr_keeper_queue_frame(dr_keeper_conn_t *kc, size_t len,
    dr_keeper_encode_pt encode, void *data, dr_uint_t reply)
{
    size_t             need, mark, n;
    dr_zk_writer_t     wr;
    dr_keeper_obuf_t  *ob;

    need = len + 4;

    for ( ;; ) {
        ob = dr_keeper_obuf_get(kc, need);
        if (ob == NULL) {
            return DR_ERROR;
        }

        wr = dr_zk_writer_init(ob->last, (size_t) (ob->end - ob->last));

        if (dr_zk_jute_frame_begin(&wr, &mark) == DR_OK
            && encode(&wr, data) == DR_OK
            && dr_zk_jute_frame_end(&wr, mark, 0) == DR_OK)
        {
            break;
        }

        /* it did not fit: twice the room (the block may be reused) */

        need = dr_max(need, (size_t) (ob->end - ob->last)) * 2;

        if (need > DR_KEEPER_REPLY_MAX) {
            dr_log_error(DR_LOG_ERR, kc->c->log, 0,
                         "keeper: a reply of more than %uz bytes, closing",
                         (size_t) DR_KEEPER_REPLY_MAX);
            return DR_ERROR;
        }
    }

    n = dr_zk_writer_len(&wr);

    if (dr_keeper_hold(kc, reply) != DR_OK) {
        return DR_ERROR;
    }

    ob->last += n;
    ob->frames++;
    kc->out_total += n;
    kc->queued++;

    dr_keeper_conn_dirty(kc);

    return DR_OK;
}


/* raw bytes (a four-letter word's answer), split over blocks as needed */
dr_int_t
dr_keeper_queue_raw(dr_keeper_conn_t *kc, u_char *p, size_t len)
{
    size_t             n;
    dr_keeper_obuf_t  *ob;

    if (len == 0) {
        return DR_OK;
    }

    /* not a request: it does not count in the latencies */

    if (dr_keeper_hold(kc, 0) != DR_OK) {
        return DR_ERROR;
    }

    ob = NULL;

    while (len) {
        ob = dr_keeper_obuf_get(kc, 1);
        if (ob == NULL) {
            return DR_ERROR;
        }

        n = dr_min(len, (size_t) (ob->end - ob->last));

        ob->last = dr_cpymem(ob->last, p, n);
        kc->out_total += n;
        p += n;
        len -= n;
    }

    ob->frames++;
    kc->queued++;

    dr_keeper_conn_dirty(kc);

    return DR_OK;
}


/*
 * The block where <need> more contiguous bytes go: the last one if it has
 * the room, else a new one appended (from the free list when standard).
 */
static dr_keeper_obuf_t *
dr_keeper_obuf_get(dr_keeper_conn_t *kc, size_t need)
{
    size_t             size;
    dr_keeper_t       *k;
    dr_keeper_obuf_t  *ob;

    ob = kc->out_tail;

    if (ob && (size_t) (ob->end - ob->last) >= need) {
        return ob;
    }

    k = kc->k;

    if (need <= DR_KEEPER_OBUF_SIZE && k->free_obufs) {
        ob = k->free_obufs;
        k->free_obufs = ob->next;
        k->nfree_obufs--;

    } else {
        size = dr_max(need, (size_t) DR_KEEPER_OBUF_SIZE);

        ob = dr_alloc(sizeof(dr_keeper_obuf_t) + size, kc->c->log);
        if (ob == NULL) {
            return NULL;
        }

        ob->size = size;
    }

    ob->next = NULL;
    ob->pos = dr_keeper_obuf_start(ob);
    ob->last = ob->pos;
    ob->end = ob->pos + ob->size;
    ob->frames = 0;

    if (kc->out_tail) {
        kc->out_tail->next = ob;

    } else {
        kc->out_head = ob;
    }

    kc->out_tail = ob;

    return ob;
}


static void
dr_keeper_obuf_free(dr_keeper_t *k, dr_keeper_obuf_t *ob)
{
    if (ob->size == DR_KEEPER_OBUF_SIZE
        && k->nfree_obufs < DR_KEEPER_FREE_OBUFS)
    {
        ob->next = k->free_obufs;
        k->free_obufs = ob;
        k->nfree_obufs++;
        return;
    }

    dr_free(ob);
}


/*
 * Called before a frame is appended: if its barrier (the last applied
 * txn, or what a read showed) is not durable yet, the frame waits behind a
 * mark of that barrier (one mark per distinct barrier, the last one
 * extended otherwise); a frame behind a mark waits for it anyway.
 */
static dr_int_t
dr_keeper_hold(dr_keeper_conn_t *kc, dr_uint_t reply)
{
    int64_t            barrier;
    dr_keeper_t       *k;
    dr_keeper_mark_t  *m;

    k = kc->k;

    /* a read says what it showed (k->barrier); the rest, everything */

    barrier = k->barrier ? k->barrier : k->last_zxid;

    m = dr_queue_empty(&kc->marks)
        ? NULL
        : dr_queue_data(dr_queue_last(&kc->marks), dr_keeper_mark_t, queue);

    if (k->txn_log && barrier > k->durable_zxid
        && (m == NULL || m->barrier < barrier))
    {
        m = dr_objpool_alloc(&k->mark_pool);
        if (m == NULL) {
            return DR_ERROR;
        }

        m->pos = kc->out_total;
        m->barrier = barrier;
        m->frames = reply;
        m->received = kc->frame_received;

        if (dr_queue_empty(&kc->marks)) {
            dr_queue_insert_tail(&k->held, &kc->held);
        }

        dr_queue_insert_tail(&kc->marks, &m->queue);

        return DR_OK;
    }

    if (m) {
        m->frames += reply;
        return DR_OK;
    }

    if (reply) {
        dr_keeper_latency(&kc->latency, dr_current_msec - kc->frame_received);
        dr_keeper_latency(&k->latency, dr_current_msec - kc->frame_received);
    }

    return DR_OK;
}


/* the barrier of the last mark of <kc>, 0 if none */
int64_t
dr_keeper_conn_barrier(dr_keeper_conn_t *kc)
{
    dr_keeper_mark_t  *m;

    if (dr_queue_empty(&kc->marks)) {
        return 0;
    }

    m = dr_queue_data(dr_queue_last(&kc->marks), dr_keeper_mark_t, queue);

    return m->barrier;
}


/* the marks whose barrier is durable now let their bytes go */
void
dr_keeper_conn_release(dr_keeper_conn_t *kc)
{
    dr_msec_t          ms;
    dr_uint_t          i;
    dr_keeper_t       *k;
    dr_keeper_mark_t  *m;

    k = kc->k;

    while (!dr_queue_empty(&kc->marks)) {
        m = dr_queue_data(dr_queue_head(&kc->marks), dr_keeper_mark_t, queue);

        if (m->barrier > k->durable_zxid) {
            break;
        }

        ms = dr_current_msec - m->received;

        for (i = 0; i < m->frames; i++) {
            dr_keeper_latency(&kc->latency, ms);
            dr_keeper_latency(&k->latency, ms);
        }

        dr_queue_remove(&m->queue);
        dr_objpool_free(&k->mark_pool, m);
    }

    if (dr_queue_empty(&kc->marks)) {
        dr_queue_remove(&kc->held);
        kc->held.next = NULL;
    }

    dr_keeper_conn_dirty(kc);
}


static void
dr_keeper_latency(dr_keeper_latency_t *lat, dr_msec_t ms)
{
    if (ms < lat->min) {
        lat->min = ms;
    }

    if (ms > lat->max) {
        lat->max = ms;
    }

    lat->total += ms;
    lat->count++;
    lat->last = ms;
}


void
dr_keeper_conn_dirty(dr_keeper_conn_t *kc)
{
    dr_keeper_t  *k;

    if (kc->dirty.next) {
        return;
    }

    k = kc->k;

    dr_queue_insert_tail(&k->dirty, &kc->dirty);

    dr_post_event(&k->flush_event, &dr_posted_events);
}


/*
 * The end of a loop turn: the log gets its batch, then every connection
 * with something new to send writes it (those with nothing sendable yet
 * wait for dr_keeper_txn_durable()).
 */
void
dr_keeper_flush(dr_event_t *ev)
{
    dr_queue_t        *q;
    dr_keeper_t       *k;
    dr_keeper_conn_t  *kc;

    k = ev->data;

    while (!dr_queue_empty(&k->dirty)) {
        q = dr_queue_head(&k->dirty);
        kc = dr_queue_data(q, dr_keeper_conn_t, dirty);

        dr_queue_remove(q);
        kc->dirty.next = NULL;

        if (kc->broken) {
            dr_keeper_conn_close(kc);
            continue;
        }

        if (dr_keeper_write(kc) == DR_ERROR) {
            dr_keeper_conn_close(kc);
        }
    }
}


static uint64_t
dr_keeper_sendable(dr_keeper_conn_t *kc)
{
    dr_keeper_mark_t  *m;

    if (dr_queue_empty(&kc->marks)) {
        return kc->out_total;
    }

    m = dr_queue_data(dr_queue_head(&kc->marks), dr_keeper_mark_t, queue);

    return m->pos;
}


/*
 * Writes what may be sent with writev. DR_OK (all of it sent, or the
 * socket is full and the write event will call again), DR_ERROR (the
 * connection is to be closed). Closes a finalized connection that has
 * sent everything; resumes reading a paused one that caught up.
 */
static dr_int_t
dr_keeper_write(dr_keeper_conn_t *kc)
{
    int                niov;
    size_t             total, len;
    ssize_t            n;
    uint64_t           limit, left;
    dr_err_t           err;
    dr_connection_t   *c;
    dr_keeper_obuf_t  *ob;
    struct iovec       iov[DR_KEEPER_IOVS];

    c = kc->c;

    limit = dr_keeper_sendable(kc);

    while (kc->out_sent < limit && c->write->ready) {

        niov = 0;
        total = 0;
        left = limit - kc->out_sent;

        for (ob = kc->out_head;
             ob && niov < DR_KEEPER_IOVS && left;
             ob = ob->next)
        {
            len = (size_t) (ob->last - ob->pos);

            if (len == 0) {
                continue;
            }

            if (len > left) {
                len = (size_t) left;
            }

            iov[niov].iov_base = ob->pos;
            iov[niov].iov_len = len;
            niov++;

            total += len;
            left -= len;
        }

        n = writev(c->fd, iov, niov);

        if (n == -1) {
            err = dr_socket_errno;

            if (err == DR_EAGAIN) {
                c->write->ready = 0;
                break;
            }

            if (err == DR_EINTR) {
                continue;
            }

            c->write->error = 1;
            (void) dr_connection_error(c, err, "writev() failed");

            return DR_ERROR;
        }

        dr_keeper_sent(kc, (size_t) n);

        if ((size_t) n < total) {
            c->write->ready = 0;
            break;
        }
    }

    if (kc->out_sent < kc->out_total) {

        /* a peer that stops reading its replies does not hold us forever */

        if (kc->out_sent < limit) {
            dr_event_add_timer(c->write, DR_KEEPER_SEND_TIMEOUT);

        } else if (c->write->timer_set) {
            dr_event_del_timer(c->write);
        }

        return DR_OK;
    }

    if (c->write->timer_set) {
        dr_event_del_timer(c->write);
    }

    if (kc->closing) {
        return DR_ERROR;
    }

    if (kc->paused && !dr_keeper_backpressure(kc)) {
        kc->paused = 0;
        dr_post_event(c->read, &dr_posted_events);
    }

    return DR_OK;
}


/* <n> bytes went out: sent blocks are freed (the last one is reused) */
static void
dr_keeper_sent(dr_keeper_conn_t *kc, size_t n)
{
    size_t             len;
    dr_keeper_t       *k;
    dr_keeper_obuf_t  *ob;

    k = kc->k;
    kc->out_sent += n;

    while (kc->out_head) {
        ob = kc->out_head;

        len = (size_t) (ob->last - ob->pos);

        if (n < len) {
            ob->pos += n;
            return;
        }

        n -= len;
        ob->pos = ob->last;

        if (ob->last < ob->end && ob == kc->out_tail) {

            /* the last block still has room: it is emptied, not freed */

            kc->queued -= ob->frames;
            kc->sent += ob->frames;
            k->sent += ob->frames;
            ob->frames = 0;
            ob->pos = dr_keeper_obuf_start(ob);
            ob->last = ob->pos;

            return;
        }

        kc->queued -= ob->frames;
        kc->sent += ob->frames;
        k->sent += ob->frames;

        kc->out_head = ob->next;

        if (kc->out_head == NULL) {
            kc->out_tail = NULL;
        }

        dr_keeper_obuf_free(k, ob);

        if (n == 0) {
            return;
        }
    }
}


void
dr_keeper_conn_finalize(dr_keeper_conn_t *kc)
{
    kc->closing = 1;

    dr_keeper_conn_dirty(kc);
}


void
dr_keeper_conn_close(dr_keeper_conn_t *kc)
{
    dr_keeper_t       *k;
    dr_connection_t   *c;
    dr_keeper_obuf_t  *ob, *next;
    dr_keeper_mark_t  *m;

    k = kc->k;
    c = kc->c;

    if (kc->session && kc->session->conn == kc) {
        kc->session->conn = NULL;
        dr_keeper_virtual_session(k, kc->session, 0);
    }

    dr_keeper_watch_drop(kc);

    dr_queue_remove(&kc->queue);
    k->nconns--;

    if (kc->dirty.next) {
        dr_queue_remove(&kc->dirty);
    }

    while (!dr_queue_empty(&kc->marks)) {
        m = dr_queue_data(dr_queue_head(&kc->marks), dr_keeper_mark_t, queue);
        dr_queue_remove(&m->queue);
        dr_objpool_free(&k->mark_pool, m);
    }

    if (kc->held.next) {
        dr_queue_remove(&kc->held);
    }

    for (ob = kc->out_head; ob; ob = next) {
        next = ob->next;
        dr_keeper_obuf_free(k, ob);
    }

    if (kc->in_start) {
        dr_free(kc->in_start);
    }

    if (kc->auth) {
        dr_free(kc->auth);
    }

    dr_objpool_free(&k->conn_pool, kc);

    dr_close_connection(c);
    dr_destroy_pool(c->pool);
}
