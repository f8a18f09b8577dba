/*
 * The asynchronous ZooKeeper client.
 *
 * Runs on the event loop of the process that owns it (the agent), never
 * blocks after dr_zk_client_create(), and behaves as the reference clients
 * do on the wire (zk-protocol.md):
 *
 *   - hosts are tried in random order; a lost server is replaced by the
 *     next one, with a growing pause once all of them failed in a row;
 *   - the first frame is a ConnectRequest with our session id and password
 *     (zero for a new session) and the readOnly byte; a reply with timeout
 *     0 means the session expired: every watch is gone, waiting requests
 *     fail with SESSIONEXPIRED, and a new session is started at once;
 *   - after the ConnectResponse: the digest auth packet (xid -4), then, when
 *     a session is resumed, SetWatches (xid -8, relativeZxid = the last
 *     zxid seen, split every 128 KiB as the Java client does), then the
 *     requests that waited;
 *   - replies come strictly in request order: an xid that is not the oldest
 *     outstanding one is a protocol error that drops the connection;
 *   - a ping (xid -2) goes out after timeout/3 without sending, and the
 *     connection is dropped after 2/3 of the timeout without receiving.
 *
 * Memory: the client, its requests and watches are malloc'ed (a handful per
 * upstream, long-lived); frames are encoded into one growing output buffer
 * and replies read into one input buffer, both reused.
 */

#include "dr_zk_client.h"

#define DR_ZK_CLIENT_DEFAULT_MAX_FRAME   (4 * 1024 * 1024)
#define DR_ZK_CLIENT_SET_WATCHES_SPLIT   (128 * 1024)
#define DR_ZK_CLIENT_BACKOFF_MAX         1000

typedef enum {
    DR_ZK_WATCH_DATA = 0,       /* getData: NodeDataChanged, NodeDeleted */
    DR_ZK_WATCH_EXIST,          /* exists on a missing node: NodeCreated */
    DR_ZK_WATCH_CHILD           /* getChildren */
} dr_zk_watch_type_e;

typedef struct dr_zk_client_request_s  dr_zk_client_request_t;

struct dr_zk_client_request_s {
    dr_queue_t           queue;
    int32_t              xid;
    int32_t              type;
    dr_zk_reply_pt       handler;
    void                *data;

    /* a watch to arm when the reply allows it */
    dr_zk_watch_pt       watcher;
    void                *wdata;
    u_char              *path;          /* server path, with the chroot */
    size_t               path_len;

    u_char              *frame;         /* encoded, with its length prefix */
    size_t               frame_len;
};

typedef struct {
    dr_queue_t           queue;
    dr_zk_watch_type_e   type;
    dr_zk_watch_pt       handler;
    void                *data;
    size_t               path_len;
    u_char               path[1];       /* server path */
} dr_zk_client_watch_t;

struct dr_zk_client_s {
    dr_zk_client_state_e   state;
    dr_log_t              *log;

    dr_addr_t             *addrs;
    dr_uint_t              naddrs;
    dr_uint_t              current;
    dr_uint_t              failures;    /* connection attempts since success */
    dr_str_t               chroot;
    dr_str_t               auth;

    dr_msec_t              requested_timeout;
    dr_msec_t              timeout;     /* negotiated */
    int64_t                session_id;
    u_char                 passwd[DR_ZK_PASSWD_LEN];
    int64_t                last_zxid;
    int32_t                next_xid;

    dr_peer_connection_t   peer;
    dr_connection_t       *connection;
    unsigned               handshake_done:1;
    unsigned               destroying:1;

    /* requests not yet sent, and sent ones waiting for their reply */
    dr_queue_t             waiting;
    dr_queue_t             sent;
    dr_queue_t             watches;

    u_char                *in;
    size_t                 in_len;
    size_t                 in_size;
    size_t                 max_frame;

    u_char                *out;
    size_t                 out_pos;     /* sent so far */
    size_t                 out_len;
    size_t                 out_size;

    dr_event_t             ping;        /* send idleness */
    dr_event_t             idle;        /* receive idleness */
    dr_event_t             reconnect;

    dr_zk_state_pt         state_handler;
    void                  *data;

    u_char                 server_text[DR_SOCKADDR_STRLEN];
    dr_str_t               server;
};

static dr_int_t dr_zk_client_parse_hosts(dr_zk_client_t *zc, dr_str_t *hosts);
static void dr_zk_client_free_addrs(dr_zk_client_t *zc);
static void dr_zk_client_connect(dr_zk_client_t *zc);
static void dr_zk_client_connected(dr_event_t *wev);
static void dr_zk_client_read_handler(dr_event_t *rev);
static void dr_zk_client_write_handler(dr_event_t *wev);
static dr_int_t dr_zk_client_process(dr_zk_client_t *zc, dr_str_t *frame);
static dr_int_t dr_zk_client_handshake(dr_zk_client_t *zc, dr_str_t *frame);
static void dr_zk_client_notify(dr_zk_client_t *zc, dr_zk_reader_t *rd);
static dr_int_t dr_zk_client_flush(dr_zk_client_t *zc);
static dr_int_t dr_zk_client_append(dr_zk_client_t *zc, u_char *p, size_t n);
static dr_int_t dr_zk_client_send_set_watches(dr_zk_client_t *zc);
static void dr_zk_client_send_waiting(dr_zk_client_t *zc);
static void dr_zk_client_drop(dr_zk_client_t *zc, const char *why);
static void dr_zk_client_fail(dr_zk_client_t *zc, dr_queue_t *q,
    int32_t err);
static void dr_zk_client_forget_watches(dr_zk_client_t *zc);
static void dr_zk_client_set_state(dr_zk_client_t *zc,
    dr_zk_client_state_e state);
static void dr_zk_client_ping_handler(dr_event_t *ev);
static void dr_zk_client_idle_handler(dr_event_t *ev);
static void dr_zk_client_reconnect_handler(dr_event_t *ev);
static dr_int_t dr_zk_client_submit(dr_zk_client_t *zc, int32_t type,
    void *record, const dr_zk_jute_record_t *rec, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data);
static dr_int_t dr_zk_client_full_path(dr_zk_client_t *zc, dr_str_t *path,
    dr_str_t *full);
static void dr_zk_client_arm_watch(dr_zk_client_t *zc, dr_zk_client_request_t *r,
    int32_t err);
static void dr_zk_client_free_request(dr_zk_client_request_t *r);


dr_zk_client_t *
dr_zk_client_create(dr_zk_client_conf_t *conf)
{
    dr_zk_client_t  *zc;

    zc = dr_calloc(sizeof(dr_zk_client_t), conf->log);
    if (zc == NULL) {
        return NULL;
    }

    zc->log = conf->log;
    zc->requested_timeout = conf->session_timeout ? conf->session_timeout
                                                  : 10000;
    zc->max_frame = conf->max_frame ? conf->max_frame
                                    : DR_ZK_CLIENT_DEFAULT_MAX_FRAME;
    zc->state_handler = conf->state_handler;
    zc->data = conf->data;
    zc->next_xid = 1;

    dr_queue_init(&zc->waiting);
    dr_queue_init(&zc->sent);
    dr_queue_init(&zc->watches);

    if (conf->auth.len) {
        zc->auth.data = dr_alloc(conf->auth.len, zc->log);
        if (zc->auth.data == NULL) {
            goto failed;
        }
        dr_memcpy(zc->auth.data, conf->auth.data, conf->auth.len);
        zc->auth.len = conf->auth.len;
    }

    if (dr_zk_client_parse_hosts(zc, &conf->hosts) != DR_OK) {
        goto failed;
    }

    zc->ping.handler = dr_zk_client_ping_handler;
    zc->ping.data = zc;
    zc->ping.log = zc->log;
    zc->ping.cancelable = 1;
    zc->idle.handler = dr_zk_client_idle_handler;
    zc->idle.data = zc;
    zc->idle.log = zc->log;
    zc->idle.cancelable = 1;
    zc->reconnect.handler = dr_zk_client_reconnect_handler;
    zc->reconnect.data = zc;
    zc->reconnect.log = zc->log;
    zc->reconnect.cancelable = 1;

    return zc;

failed:

    dr_zk_client_free_addrs(zc);
    dr_free(zc->auth.data);
    dr_free(zc->chroot.data);
    dr_free(zc);
    return NULL;
}


static void
dr_zk_client_free_addrs(dr_zk_client_t *zc)
{
    dr_uint_t  i;

    for (i = 0; i < zc->naddrs; i++) {
        dr_free(zc->addrs[i].sockaddr);
    }

    dr_free(zc->addrs);
    zc->addrs = NULL;
    zc->naddrs = 0;
}


/*
 * "h1:2181,h2,[::1]:2181/chroot": each host resolved now (all of its
 * addresses become candidates), the list shuffled.
 */
static dr_int_t
dr_zk_client_parse_hosts(dr_zk_client_t *zc, dr_str_t *hosts)
{
    u_char       *p, *last, *comma, *slash;
    dr_uint_t     i, j, n;
    dr_url_t      u;
    dr_addr_t     tmp, *a;
    dr_pool_t    *pool;
    socklen_t     len;

    p = hosts->data;
    last = hosts->data + hosts->len;

    slash = dr_strlchr(p, last, '/');

    if (slash) {
        if (last - slash > 1) {         /* "/" alone is no chroot */
            zc->chroot.len = last - slash;
        }

        last = slash;
    }

    if (zc->chroot.len) {
        zc->chroot.data = dr_alloc(zc->chroot.len, zc->log);
        if (zc->chroot.data == NULL) {
            return DR_ERROR;
        }
        dr_memcpy(zc->chroot.data, slash, zc->chroot.len);

        if (zc->chroot.data[zc->chroot.len - 1] == '/') {
            dr_log_error(DR_LOG_ERR, zc->log, 0,
                         "zookeeper chroot \"%V\" must not end with \"/\"",
                         &zc->chroot);
            return DR_ERROR;
        }
    }

    pool = dr_create_pool(4096, zc->log);
    if (pool == NULL) {
        return DR_ERROR;
    }

    n = 0;

    for (p = hosts->data; p < last; p = comma + 1) {

        comma = dr_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        dr_memzero(&u, sizeof(dr_url_t));
        u.url.data = p;
        u.url.len = comma - p;
        u.default_port = 2181;

        if (u.url.len == 0 || dr_parse_url(pool, &u) != DR_OK) {
            dr_log_error(DR_LOG_ERR, zc->log, 0,
                         "invalid zookeeper host \"%*s\": %s",
                         (size_t) (comma - p), p,
                         u.err ? u.err : "empty");
            goto failed;
        }

        a = realloc(zc->addrs, (n + u.naddrs) * sizeof(dr_addr_t));
        if (a == NULL) {
            dr_log_error(DR_LOG_ERR, zc->log, dr_errno, "realloc() failed");
            goto failed;
        }
        zc->addrs = a;

        for (i = 0; i < u.naddrs; i++) {
            len = u.addrs[i].socklen;
            a[n].sockaddr = dr_alloc(len + u.addrs[i].name.len, zc->log);
            if (a[n].sockaddr == NULL) {
                goto failed;
            }
            dr_memcpy(a[n].sockaddr, u.addrs[i].sockaddr, len);
            a[n].socklen = len;
            a[n].name.data = (u_char *) a[n].sockaddr + len;
            a[n].name.len = u.addrs[i].name.len;
            dr_memcpy(a[n].name.data, u.addrs[i].name.data,
                      u.addrs[i].name.len);
            n++;
            zc->naddrs = n;
        }
    }

    if (n == 0) {
        dr_log_error(DR_LOG_ERR, zc->log, 0, "no zookeeper hosts in \"%V\"",
                     hosts);
        goto failed;
    }

    /* random order, so that many drovers spread over an ensemble */

    for (i = n - 1; i > 0; i--) {
        j = (dr_uint_t) random() % (i + 1);
        tmp = zc->addrs[i];
        zc->addrs[i] = zc->addrs[j];
        zc->addrs[j] = tmp;
    }

    dr_destroy_pool(pool);
    return DR_OK;

failed:

    dr_destroy_pool(pool);
    return DR_ERROR;
}


dr_int_t
dr_zk_client_start(dr_zk_client_t *zc)
{
    dr_zk_client_connect(zc);
    return DR_OK;
}


dr_zk_client_state_e
dr_zk_client_state(dr_zk_client_t *zc)
{
    return zc->state;
}


int64_t
dr_zk_client_session_id(dr_zk_client_t *zc)
{
    return zc->session_id;
}


dr_str_t *
dr_zk_client_server(dr_zk_client_t *zc)
{
    return &zc->server;
}


static void
dr_zk_client_set_state(dr_zk_client_t *zc, dr_zk_client_state_e state)
{
    if (zc->state == state) {
        return;
    }

    zc->state = state;

    if (zc->state_handler && !zc->destroying) {
        zc->state_handler(zc, state, zc->data);
    }
}


/* starts a connection to the next host; failures schedule a retry */
static void
dr_zk_client_connect(dr_zk_client_t *zc)
{
    dr_int_t          rc;
    dr_addr_t        *addr;
    dr_connection_t  *c;

    if (zc->state == DR_ZK_CLIENT_CLOSED
        || zc->state == DR_ZK_CLIENT_AUTH_FAILED)
    {
        return;
    }

    addr = &zc->addrs[zc->current];
    zc->current = (zc->current + 1) % zc->naddrs;

    zc->server.len = dr_min(addr->name.len, sizeof(zc->server_text));
    zc->server.data = zc->server_text;
    dr_memcpy(zc->server_text, addr->name.data, zc->server.len);

    dr_memzero(&zc->peer, sizeof(dr_peer_connection_t));
    zc->peer.sockaddr = addr->sockaddr;
    zc->peer.socklen = addr->socklen;
    zc->peer.name = &addr->name;
    zc->peer.get = dr_event_get_peer;
    zc->peer.log = zc->log;
    zc->peer.log_error = DR_ERROR_INFO;     /* each attempt warns below */

    zc->handshake_done = 0;
    zc->in_len = 0;
    zc->out_pos = 0;
    zc->out_len = 0;

    rc = dr_event_connect_peer(&zc->peer);

    if (rc == DR_ERROR || rc == DR_BUSY || rc == DR_DECLINED) {
        zc->failures++;
        dr_log_error(DR_LOG_WARN, zc->log, 0,
                     "zookeeper %V: cannot connect", &zc->server);
        dr_zk_client_drop(zc, NULL);
        return;
    }

    c = zc->peer.connection;
    zc->connection = c;

    c->data = zc;
    c->log = zc->log;
    c->read->handler = dr_zk_client_read_handler;
    c->write->handler = dr_zk_client_connected;
    c->read->log = zc->log;
    c->write->log = zc->log;

    /* the connect and the handshake must finish within a share of the timeout */

    dr_add_timer(c->write, dr_max(zc->requested_timeout / zc->naddrs, 1000));

    if (rc == DR_OK) {
        dr_zk_client_connected(c->write);
    }
}


static void
dr_zk_client_connected(dr_event_t *wev)
{
    int                       err;
    socklen_t                 len;
    u_char                    buf[64], passwd[DR_ZK_PASSWD_LEN];
    dr_zk_writer_t            wr;
    dr_connection_t          *c;
    dr_zk_client_t           *zc;
    dr_zk_connect_request_t   req;
    size_t                    mark;

    c = wev->data;
    zc = c->data;

    if (wev->timedout) {
        dr_log_error(DR_LOG_WARN, zc->log, DR_ETIMEDOUT,
                     "zookeeper %V: connect timed out", &zc->server);
        zc->failures++;
        dr_zk_client_drop(zc, NULL);
        return;
    }

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = dr_socket_errno;
    }

    if (err) {
        dr_log_error(DR_LOG_WARN, zc->log, err,
                     "zookeeper %V: connect() failed", &zc->server);
        zc->failures++;
        dr_zk_client_drop(zc, NULL);
        return;
    }

    c->write->handler = dr_zk_client_write_handler;

    /* small frames, often several per loop turn: no Nagle (as Java's) */

    if (dr_tcp_nodelay(c) != DR_OK) {
        dr_zk_client_drop(zc, NULL);
        return;
    }

    /* the ConnectRequest, with the readOnly byte the 3.8 clients send */

    dr_memzero(&req, sizeof(req));
    req.protocol_version = 0;
    req.last_zxid_seen = zc->last_zxid;
    req.timeout = (int32_t) zc->requested_timeout;
    req.session_id = zc->session_id;

    if (zc->session_id) {
        dr_memcpy(passwd, zc->passwd, DR_ZK_PASSWD_LEN);
    } else {
        dr_memzero(passwd, DR_ZK_PASSWD_LEN);
    }

    req.passwd.data = passwd;
    req.passwd.len = DR_ZK_PASSWD_LEN;
    req.read_only = 0;
    req.has_read_only = 1;

    wr = dr_zk_writer_init(buf, sizeof(buf));

    if (dr_zk_jute_frame_begin(&wr, &mark) != DR_OK
        || dr_zk_connect_request_encode(&wr, &req) != DR_OK
        || dr_zk_jute_frame_end(&wr, mark, DR_ZK_JUTE_MAXBUFFER) != DR_OK
        || dr_zk_client_append(zc, buf, wr.pos - wr.start) != DR_OK)
    {
        dr_zk_client_drop(zc, "cannot encode the connect request");
        return;
    }

    if (dr_zk_client_flush(zc) != DR_OK) {
        dr_zk_client_drop(zc, "send failed");
        return;
    }

    if (c->read->ready) {
        dr_zk_client_read_handler(c->read);
    }
}


static void
dr_zk_client_read_handler(dr_event_t *rev)
{
    u_char           *p;
    size_t            size;
    ssize_t           n, used;
    dr_str_t          frame;
    dr_connection_t  *c;
    dr_zk_client_t   *zc;

    c = rev->data;
    zc = c->data;

    for ( ;; ) {

        if (zc->in_size - zc->in_len < 4096) {
            size = zc->in_size ? zc->in_size * 2 : 16384;

            if (size > zc->max_frame + 4 + 16384) {
                size = zc->max_frame + 4 + 16384;
            }

            if (size <= zc->in_len) {
                dr_zk_client_drop(zc, "reply larger than the frame limit");
                return;
            }

            p = realloc(zc->in, size);
            if (p == NULL) {
                dr_zk_client_drop(zc, "out of memory");
                return;
            }

            zc->in = p;
            zc->in_size = size;
        }

        n = c->recv(c, zc->in + zc->in_len, zc->in_size - zc->in_len);

        if (n == DR_AGAIN) {
            break;
        }

        if (n == DR_ERROR || n == 0) {

            /* a server that drops us before its hello counts as a failure:
             * the pause after a round of them (one that is starting, or
             * refusing) keeps this from spinning */

            if (!zc->handshake_done) {
                zc->failures++;
            }

            dr_zk_client_drop(zc, n == 0 ? "the server closed the connection"
                                         : "recv() failed");
            return;
        }

        zc->in_len += n;

        /* any byte from the server proves it alive */

        if (zc->handshake_done) {
            dr_add_timer(&zc->idle, zc->timeout * 2 / 3);
        }

        p = zc->in;

        for ( ;; ) {
            used = dr_zk_jute_frame_parse(p, zc->in + zc->in_len - p,
                                          zc->max_frame, &frame);

            if (used == DR_PARSE_AGAIN) {
                break;
            }

            if (used == DR_PARSE_ERROR) {
                dr_zk_client_drop(zc, "invalid frame length");
                return;
            }

            p += used;

            if (dr_zk_client_process(zc, &frame) != DR_OK) {
                return;         /* dropped, or the client is gone */
            }

            if (zc->connection == NULL) {
                return;
            }
        }

        /* keep the partial frame at the start */

        zc->in_len = zc->in + zc->in_len - p;
        if (zc->in_len && p != zc->in) {
            dr_memmove(zc->in, p, zc->in_len);
        }
    }
}


/* DR_OK to go on; DR_ERROR when the connection was dropped */
static dr_int_t
dr_zk_client_process(dr_zk_client_t *zc, dr_str_t *frame)
{
    dr_queue_t            *q;
    dr_zk_reply_t          reply;
    dr_zk_reader_t         rd;
    dr_zk_client_request_t       *r;
    dr_zk_reply_header_t   hdr;

    if (!zc->handshake_done) {
        return dr_zk_client_handshake(zc, frame);
    }

    rd = dr_zk_reader_init(frame->data, frame->len);

    if (dr_zk_reply_header_decode(&rd, &hdr) != DR_OK) {
        dr_zk_client_drop(zc, "malformed reply header");
        return DR_ERROR;
    }

    if (hdr.zxid > 0 && hdr.zxid > zc->last_zxid) {
        zc->last_zxid = hdr.zxid;
    }

    switch (hdr.xid) {

    case DR_ZK_XID_NOTIFICATION:
        dr_zk_client_notify(zc, &rd);
        return zc->connection ? DR_OK : DR_ERROR;

    case DR_ZK_XID_PING:
        return DR_OK;

    case DR_ZK_XID_AUTH:
        if (hdr.err == DR_ZK_AUTHFAILED) {
            dr_log_error(DR_LOG_ERR, zc->log, 0,
                         "zookeeper %V: authentication failed, giving up",
                         &zc->server);
            dr_zk_client_fail(zc, &zc->sent, DR_ZK_AUTHFAILED);
            dr_zk_client_fail(zc, &zc->waiting, DR_ZK_AUTHFAILED);
            dr_zk_client_set_state(zc, DR_ZK_CLIENT_AUTH_FAILED);
            dr_zk_client_drop(zc, NULL);
            return DR_ERROR;
        }
        return DR_OK;

    case DR_ZK_XID_SET_WATCHES:
        if (hdr.err != DR_ZK_OK) {
            dr_log_error(DR_LOG_WARN, zc->log, 0,
                         "zookeeper %V: SetWatches failed: %s",
                         &zc->server, dr_zk_err_name(hdr.err));
        }
        return DR_OK;
    }

    if (dr_queue_empty(&zc->sent)) {
        dr_zk_client_drop(zc, "a reply to no request");
        return DR_ERROR;
    }

    q = dr_queue_head(&zc->sent);
    r = dr_queue_data(q, dr_zk_client_request_t, queue);

    if (r->xid != hdr.xid) {
        dr_log_error(DR_LOG_ERR, zc->log, 0,
                     "zookeeper %V: xid %D out of order, expected %D",
                     &zc->server, hdr.xid, r->xid);
        dr_zk_client_drop(zc, NULL);
        return DR_ERROR;
    }

    dr_queue_remove(q);

    dr_zk_client_arm_watch(zc, r, hdr.err);

    reply.err = hdr.err;
    reply.zxid = hdr.zxid;
    reply.body = rd;

    if (r->handler) {
        r->handler(zc, &reply, r->data);
    }

    dr_zk_client_free_request(r);

    return zc->connection ? DR_OK : DR_ERROR;
}


static dr_int_t
dr_zk_client_handshake(dr_zk_client_t *zc, dr_str_t *frame)
{
    size_t                     mark;
    u_char                     buf[512];
    dr_uint_t                  resumed;
    dr_zk_reader_t             rd;
    dr_zk_writer_t             wr;
    dr_zk_auth_packet_t        auth;
    dr_zk_request_header_t     hdr;
    dr_zk_connect_response_t   resp;

    rd = dr_zk_reader_init(frame->data, frame->len);

    if (dr_zk_connect_response_decode(&rd, &resp) != DR_OK
        || (resp.timeout > 0 && resp.passwd.len != DR_ZK_PASSWD_LEN))
    {
        dr_zk_client_drop(zc, "malformed connect response");
        return DR_ERROR;
    }

    if (resp.timeout <= 0) {

        /* the session is gone: so are its watches and its ephemerals */

        dr_log_error(DR_LOG_WARN, zc->log, 0,
                     "zookeeper %V: session 0x%xL expired", &zc->server,
                     zc->session_id);

        zc->session_id = 0;
        dr_memzero(zc->passwd, DR_ZK_PASSWD_LEN);

        dr_zk_client_forget_watches(zc);
        dr_zk_client_fail(zc, &zc->sent, DR_ZK_SESSIONEXPIRED);
        dr_zk_client_fail(zc, &zc->waiting, DR_ZK_SESSIONEXPIRED);
        dr_zk_client_set_state(zc, DR_ZK_CLIENT_EXPIRED);

        /* a new session at once, from the same server */

        zc->failures = 0;
        zc->current = (zc->current + zc->naddrs - 1) % zc->naddrs;
        dr_zk_client_drop(zc, NULL);
        return DR_ERROR;
    }

    resumed = (zc->session_id == resp.session_id);

    zc->session_id = resp.session_id;
    dr_memcpy(zc->passwd, resp.passwd.data, DR_ZK_PASSWD_LEN);
    zc->timeout = (dr_msec_t) resp.timeout;
    zc->handshake_done = 1;
    zc->failures = 0;

    dr_del_timer(zc->connection->write);

    dr_log_error(DR_LOG_INFO, zc->log, 0,
                 "zookeeper %V: session 0x%xL %s, timeout %M ms",
                 &zc->server, zc->session_id,
                 resumed ? "resumed" : "established", zc->timeout);

    if (zc->auth.len) {
        wr = dr_zk_writer_init(buf, sizeof(buf));

        hdr.xid = DR_ZK_XID_AUTH;
        hdr.type = DR_ZK_OPCODE_AUTH;
        auth.type = 0;
        dr_str_set(&auth.scheme, "digest");
        auth.auth = zc->auth;

        if (dr_zk_jute_frame_begin(&wr, &mark) != DR_OK
            || dr_zk_request_header_encode(&wr, &hdr) != DR_OK
            || dr_zk_auth_packet_encode(&wr, &auth) != DR_OK
            || dr_zk_jute_frame_end(&wr, mark, DR_ZK_JUTE_MAXBUFFER) != DR_OK
            || dr_zk_client_append(zc, buf, wr.pos - wr.start) != DR_OK)
        {
            dr_zk_client_drop(zc, "cannot encode the auth packet");
            return DR_ERROR;
        }
    }

    if (resumed && !dr_queue_empty(&zc->watches)) {
        if (dr_zk_client_send_set_watches(zc) != DR_OK) {
            dr_zk_client_drop(zc, "cannot encode SetWatches");
            return DR_ERROR;
        }

    } else if (!resumed) {
        /* a new session has none of the old one's watches */
        dr_zk_client_forget_watches(zc);
    }

    dr_zk_client_send_waiting(zc);

    if (dr_zk_client_flush(zc) != DR_OK) {
        dr_zk_client_drop(zc, "send failed");
        return DR_ERROR;
    }

    dr_add_timer(&zc->idle, zc->timeout * 2 / 3);

    dr_zk_client_set_state(zc, DR_ZK_CLIENT_CONNECTED);

    return zc->connection ? DR_OK : DR_ERROR;
}


/* a WatcherEvent: fires (and forgets) the watches it concerns */
static void
dr_zk_client_notify(dr_zk_client_t *zc, dr_zk_reader_t *rd)
{
    dr_uint_t               fire;
    dr_queue_t              fired, *q, *next;
    dr_zk_client_watch_t          *w;
    dr_zk_watcher_event_t   ev, user;

    if (dr_zk_watcher_event_decode(rd, &ev) != DR_OK) {
        dr_zk_client_drop(zc, "malformed notification");
        return;
    }

    if (ev.type == DR_ZK_EVENT_NONE) {
        return;
    }

    user = ev;

    if (zc->chroot.len) {
        if (ev.path.len < zc->chroot.len
            || dr_memcmp(ev.path.data, zc->chroot.data, zc->chroot.len) != 0)
        {
            return;             /* outside our chroot: not ours */
        }

        user.path.data = ev.path.data + zc->chroot.len;
        user.path.len = ev.path.len - zc->chroot.len;

        if (user.path.len == 0) {
            dr_str_set(&user.path, "/");
        }
    }

    /* take the matching watches off the list first: a handler re-arms */

    dr_queue_init(&fired);

    for (q = dr_queue_head(&zc->watches);
         q != dr_queue_sentinel(&zc->watches);
         q = next)
    {
        next = dr_queue_next(q);
        w = dr_queue_data(q, dr_zk_client_watch_t, queue);

        if (w->path_len != ev.path.len
            || dr_memcmp(w->path, ev.path.data, ev.path.len) != 0)
        {
            continue;
        }

        switch (ev.type) {
        case DR_ZK_EVENT_NODE_CREATED:
        case DR_ZK_EVENT_NODE_DATA_CHANGED:
            fire = (w->type == DR_ZK_WATCH_DATA
                    || w->type == DR_ZK_WATCH_EXIST);
            break;
        case DR_ZK_EVENT_NODE_CHILDREN_CHANGED:
            fire = (w->type == DR_ZK_WATCH_CHILD);
            break;
        case DR_ZK_EVENT_NODE_DELETED:
            fire = 1;
            break;
        default:
            fire = 0;
        }

        if (fire) {
            dr_queue_remove(q);
            dr_queue_insert_tail(&fired, q);
        }
    }

    while (!dr_queue_empty(&fired)) {
        q = dr_queue_head(&fired);
        dr_queue_remove(q);
        w = dr_queue_data(q, dr_zk_client_watch_t, queue);

        w->handler(zc, &user, w->data);
        dr_free(w);
    }
}


static void
dr_zk_client_arm_watch(dr_zk_client_t *zc, dr_zk_client_request_t *r, int32_t err)
{
    dr_zk_client_watch_t       *w;
    dr_zk_watch_type_e   type;

    if (r->watcher == NULL) {
        return;
    }

    switch (r->type) {

    case DR_ZK_OPCODE_EXISTS:
        if (err == DR_ZK_OK) {
            type = DR_ZK_WATCH_DATA;
        } else if (err == DR_ZK_NONODE) {
            type = DR_ZK_WATCH_EXIST;
        } else {
            return;
        }
        break;

    case DR_ZK_OPCODE_GET_DATA:
        if (err != DR_ZK_OK) {
            return;
        }
        type = DR_ZK_WATCH_DATA;
        break;

    default:    /* getChildren */
        if (err != DR_ZK_OK) {
            return;
        }
        type = DR_ZK_WATCH_CHILD;
        break;
    }

    w = dr_alloc(sizeof(dr_zk_client_watch_t) + r->path_len, zc->log);
    if (w == NULL) {
        return;         /* logged; the caller re-reads on its next event */
    }

    w->type = type;
    w->handler = r->watcher;
    w->data = r->wdata;
    w->path_len = r->path_len;
    dr_memcpy(w->path, r->path, r->path_len);

    dr_queue_insert_tail(&zc->watches, &w->queue);
}


static dr_int_t
dr_zk_client_emit_set_watches(dr_zk_client_t *zc, dr_zk_vec_t *vec)
{
    size_t                   mark, size;
    u_char                  *buf;
    dr_int_t                 rc;
    dr_uint_t                i;
    dr_zk_writer_t           wr;
    dr_zk_request_header_t   hdr;

    size = 64;

    for (i = 0; i < 3; i++) {
        size += 4 + vec[i].nelts * 4 + (size_t) (vec[i].end - vec[i].start);
    }

    buf = dr_alloc(size, zc->log);
    if (buf == NULL) {
        return DR_ERROR;
    }

    wr = dr_zk_writer_init(buf, size);
    hdr.xid = DR_ZK_XID_SET_WATCHES;
    hdr.type = DR_ZK_OPCODE_SET_WATCHES;

    /* vec[i].start..end only sized the buffer: encode from elts */

    for (i = 0; i < 3; i++) {
        vec[i].start = NULL;
        vec[i].end = NULL;
    }

    rc = DR_ERROR;

    if (dr_zk_jute_frame_begin(&wr, &mark) == DR_OK
        && dr_zk_request_header_encode(&wr, &hdr) == DR_OK
        && dr_zk_jute_write_long(&wr, zc->last_zxid) == DR_OK
        && dr_zk_jute_write_vec(&wr, DR_ZK_VEC_USTRING, &vec[0]) == DR_OK
        && dr_zk_jute_write_vec(&wr, DR_ZK_VEC_USTRING, &vec[1]) == DR_OK
        && dr_zk_jute_write_vec(&wr, DR_ZK_VEC_USTRING, &vec[2]) == DR_OK
        && dr_zk_jute_frame_end(&wr, mark, DR_ZK_JUTE_MAXBUFFER) == DR_OK)
    {
        rc = dr_zk_client_append(zc, buf, wr.pos - wr.start);
    }

    dr_free(buf);

    for (i = 0; i < 3; i++) {
        vec[i].nelts = 0;
    }

    return rc;
}


/*
 * Re-arms our watches on a resumed session: the server fires at once what
 * changed after last_zxid and keeps the rest. Split every 128 KiB.
 */
static dr_int_t
dr_zk_client_send_set_watches(dr_zk_client_t *zc)
{
    size_t          total;
    dr_int_t        rc;
    dr_uint_t       n, i, t;
    dr_str_t       *paths[3], *s;
    dr_queue_t     *q;
    dr_zk_vec_t     vec[3];
    dr_zk_client_watch_t  *w;

    n = 0;
    for (q = dr_queue_head(&zc->watches);
         q != dr_queue_sentinel(&zc->watches);
         q = dr_queue_next(q))
    {
        n++;
    }

    for (i = 0; i < 3; i++) {
        paths[i] = dr_alloc(n * sizeof(dr_str_t), zc->log);
        if (paths[i] == NULL) {
            while (i--) {
                dr_free(paths[i]);
            }
            return DR_ERROR;
        }

        vec[i].nelts = 0;
        vec[i].elts = paths[i];
        vec[i].start = NULL;
        vec[i].end = NULL;
    }

    rc = DR_OK;
    total = 0;

    for (q = dr_queue_head(&zc->watches);
         q != dr_queue_sentinel(&zc->watches);
         q = dr_queue_next(q))
    {
        w = dr_queue_data(q, dr_zk_client_watch_t, queue);

        /* SetWatches' order: dataWatches, existWatches, childWatches */
        t = (w->type == DR_ZK_WATCH_DATA) ? 0
            : (w->type == DR_ZK_WATCH_EXIST) ? 1 : 2;

        s = &paths[t][vec[t].nelts++];
        s->data = w->path;
        s->len = w->path_len;

        /* only to size the frame: start..end spans the text lengths */
        vec[t].end = (u_char *) vec[t].end + w->path_len;

        total += w->path_len + 4;

        if (total > DR_ZK_CLIENT_SET_WATCHES_SPLIT) {
            rc = dr_zk_client_emit_set_watches(zc, vec);
            if (rc != DR_OK) {
                break;
            }

            for (i = 0; i < 3; i++) {
                vec[i].elts = paths[i];
            }

            total = 0;
        }
    }

    if (rc == DR_OK && total) {
        rc = dr_zk_client_emit_set_watches(zc, vec);
    }

    for (i = 0; i < 3; i++) {
        dr_free(paths[i]);
    }

    return rc;
}


static void
dr_zk_client_send_waiting(dr_zk_client_t *zc)
{
    dr_queue_t       *q;
    dr_zk_client_request_t  *r;

    while (!dr_queue_empty(&zc->waiting)) {
        q = dr_queue_head(&zc->waiting);
        r = dr_queue_data(q, dr_zk_client_request_t, queue);

        if (dr_zk_client_append(zc, r->frame, r->frame_len) != DR_OK) {
            return;     /* logged; it stays waiting */
        }

        dr_queue_remove(q);
        dr_queue_insert_tail(&zc->sent, q);

        /* the frame is on its way: its memory can go */
        dr_free(r->frame);
        r->frame = NULL;
    }
}


static dr_int_t
dr_zk_client_append(dr_zk_client_t *zc, u_char *p, size_t n)
{
    u_char  *out;
    size_t   size;

    if (zc->out_pos == zc->out_len) {
        zc->out_pos = 0;
        zc->out_len = 0;
    }

    if (zc->out_len + n > zc->out_size) {
        size = dr_max(zc->out_size * 2, zc->out_len + n);
        size = dr_max(size, 4096);

        out = realloc(zc->out, size);
        if (out == NULL) {
            dr_log_error(DR_LOG_ERR, zc->log, dr_errno, "realloc() failed");
            return DR_ERROR;
        }

        zc->out = out;
        zc->out_size = size;
    }

    dr_memcpy(zc->out + zc->out_len, p, n);
    zc->out_len += n;

    return DR_OK;
}


/* sends what is buffered; DR_OK (maybe partly: the write event resumes) */
static dr_int_t
dr_zk_client_flush(dr_zk_client_t *zc)
{
    ssize_t           n;
    dr_connection_t  *c;

    c = zc->connection;

    if (c == NULL) {
        return DR_OK;
    }

    while (zc->out_pos < zc->out_len) {
        n = c->send(c, zc->out + zc->out_pos, zc->out_len - zc->out_pos);

        if (n == DR_AGAIN) {
            return DR_OK;
        }

        if (n == DR_ERROR) {
            return DR_ERROR;
        }

        zc->out_pos += n;
    }

    zc->out_pos = 0;
    zc->out_len = 0;

    /* sending resets the ping clock */

    if (zc->handshake_done) {
        dr_add_timer(&zc->ping, dr_max(zc->timeout / 3, 1));
    }

    return DR_OK;
}


static void
dr_zk_client_write_handler(dr_event_t *wev)
{
    dr_connection_t  *c;
    dr_zk_client_t   *zc;

    c = wev->data;
    zc = c->data;

    if (wev->timedout) {

        /* connect()'s timer, armed for the handshake too: no hello */

        wev->timedout = 0;

        if (!zc->handshake_done) {
            dr_log_error(DR_LOG_WARN, zc->log, DR_ETIMEDOUT,
                         "zookeeper %V: no answer to the connect request",
                         &zc->server);
            zc->failures++;
            dr_zk_client_drop(zc, NULL);
            return;
        }
    }

    if (dr_zk_client_flush(zc) != DR_OK) {
        dr_zk_client_drop(zc, "send failed");
    }
}


static void
dr_zk_client_ping_handler(dr_event_t *ev)
{
    u_char                   buf[16];
    size_t                   mark;
    dr_zk_writer_t           wr;
    dr_zk_client_t          *zc;
    dr_zk_request_header_t   hdr;

    zc = ev->data;

    if (zc->connection == NULL || !zc->handshake_done) {
        return;
    }

    wr = dr_zk_writer_init(buf, sizeof(buf));
    hdr.xid = DR_ZK_XID_PING;
    hdr.type = DR_ZK_OPCODE_PING;

    if (dr_zk_jute_frame_begin(&wr, &mark) != DR_OK
        || dr_zk_request_header_encode(&wr, &hdr) != DR_OK
        || dr_zk_jute_frame_end(&wr, mark, DR_ZK_JUTE_MAXBUFFER) != DR_OK
        || dr_zk_client_append(zc, buf, wr.pos - wr.start) != DR_OK
        || dr_zk_client_flush(zc) != DR_OK)
    {
        dr_zk_client_drop(zc, "ping failed");
    }
}


static void
dr_zk_client_idle_handler(dr_event_t *ev)
{
    dr_zk_client_t  *zc;

    zc = ev->data;

    dr_log_error(DR_LOG_WARN, zc->log, 0,
                 "zookeeper %V: nothing received for %M ms, "
                 "trying another server", &zc->server, zc->timeout * 2 / 3);

    dr_zk_client_drop(zc, NULL);
}


static void
dr_zk_client_reconnect_handler(dr_event_t *ev)
{
    dr_zk_client_connect(ev->data);
}


/*
 * Closes the connection (not the session): sent requests fail with
 * CONNECTIONLOSS, waiting ones stay, and the next server is tried, at once
 * or after a pause when every server failed in a row.
 */
static void
dr_zk_client_drop(dr_zk_client_t *zc, const char *why)
{
    dr_msec_t  delay;

    if (why) {
        dr_log_error(DR_LOG_WARN, zc->log, 0,
                     "zookeeper %V: %s, reconnecting", &zc->server, why);
    }

    if (zc->connection) {
        dr_close_connection(zc->connection);
        zc->connection = NULL;
    }

    if (zc->ping.timer_set) {
        dr_del_timer(&zc->ping);
    }

    if (zc->idle.timer_set) {
        dr_del_timer(&zc->idle);
    }

    zc->handshake_done = 0;
    zc->in_len = 0;
    zc->out_pos = 0;
    zc->out_len = 0;

    dr_zk_client_fail(zc, &zc->sent, DR_ZK_CONNECTIONLOSS);

    if (zc->destroying || zc->state == DR_ZK_CLIENT_CLOSED
        || zc->state == DR_ZK_CLIENT_AUTH_FAILED)
    {
        return;
    }

    if (zc->state == DR_ZK_CLIENT_CONNECTED) {
        dr_zk_client_set_state(zc, DR_ZK_CLIENT_SUSPENDED);
    }

    /* a pause only after a whole round of failed servers */

    delay = 0;

    if (zc->failures >= zc->naddrs) {
        delay = dr_min(100 * (zc->failures / zc->naddrs),
                       DR_ZK_CLIENT_BACKOFF_MAX);
    }

    if (!zc->reconnect.timer_set) {
        dr_add_timer(&zc->reconnect, dr_max(delay, 1));
    }
}


static void
dr_zk_client_fail(dr_zk_client_t *zc, dr_queue_t *queue, int32_t err)
{
    dr_queue_t       *q, failed;
    dr_zk_reply_t     reply;
    dr_zk_client_request_t  *r;

    /* detach first: a handler may submit new requests */

    if (dr_queue_empty(queue)) {
        return;
    }

    failed = *queue;
    failed.next->prev = &failed;
    failed.prev->next = &failed;
    dr_queue_init(queue);

    while (!dr_queue_empty(&failed)) {
        q = dr_queue_head(&failed);
        dr_queue_remove(q);
        r = dr_queue_data(q, dr_zk_client_request_t, queue);

        dr_memzero(&reply, sizeof(reply));
        reply.err = err;

        if (r->handler) {
            r->handler(zc, &reply, r->data);
        }

        dr_zk_client_free_request(r);
    }
}


static void
dr_zk_client_forget_watches(dr_zk_client_t *zc)
{
    dr_queue_t     *q;
    dr_zk_client_watch_t  *w;

    while (!dr_queue_empty(&zc->watches)) {
        q = dr_queue_head(&zc->watches);
        dr_queue_remove(q);
        w = dr_queue_data(q, dr_zk_client_watch_t, queue);
        dr_free(w);
    }
}


static void
dr_zk_client_free_request(dr_zk_client_request_t *r)
{
    dr_free(r->frame);
    dr_free(r->path);
    dr_free(r);
}


/* "<chroot><path>", malloc'ed; DR_ERROR on an invalid path */
static dr_int_t
dr_zk_client_full_path(dr_zk_client_t *zc, dr_str_t *path, dr_str_t *full)
{
    size_t  len;

    if (dr_zk_path_validate(path, 0) != DR_OK) {
        dr_log_error(DR_LOG_ERR, zc->log, 0, "invalid znode path \"%V\"",
                     path);
        return DR_ERROR;
    }

    /* "/" under a chroot is the chroot itself */

    len = zc->chroot.len + ((zc->chroot.len && path->len == 1) ? 0
                                                                : path->len);

    full->data = dr_alloc(len ? len : 1, zc->log);
    if (full->data == NULL) {
        return DR_ERROR;
    }

    if (zc->chroot.len) {
        dr_memcpy(full->data, zc->chroot.data, zc->chroot.len);
    }

    dr_memcpy(full->data + zc->chroot.len, path->data, len - zc->chroot.len);
    full->len = len;

    return DR_OK;
}


/* encodes a request and queues it; sends it now if a session is up */
static dr_int_t
dr_zk_client_submit(dr_zk_client_t *zc, int32_t type, void *record,
    const dr_zk_jute_record_t *rec, dr_str_t *path, dr_zk_watch_pt watcher,
    void *wdata, dr_zk_reply_pt cb, void *data)
{
    size_t                   mark, size;
    dr_zk_writer_t           wr;
    dr_zk_client_request_t         *r;
    dr_zk_request_header_t   hdr;

    if (zc->state == DR_ZK_CLIENT_CLOSED
        || zc->state == DR_ZK_CLIENT_AUTH_FAILED)
    {
        dr_free(path->data);        /* ours, as on the other errors */
        return DR_ERROR;
    }

    r = dr_calloc(sizeof(dr_zk_client_request_t), zc->log);
    if (r == NULL) {
        dr_free(path->data);
        return DR_ERROR;
    }

    r->type = type;
    r->handler = cb;
    r->data = data;
    r->watcher = watcher;
    r->wdata = wdata;
    r->path = path->data;       /* the full path, now owned by r */
    r->path_len = path->len;

    r->xid = zc->next_xid;
    zc->next_xid = (zc->next_xid == INT32_MAX) ? 1 : zc->next_xid + 1;

    hdr.xid = r->xid;
    hdr.type = type;

    for (size = 256 + path->len; /* void */ ; size *= 2) {

        if (size > DR_ZK_JUTE_MAXBUFFER + 4) {
            dr_log_error(DR_LOG_ERR, zc->log, 0,
                         "zookeeper request for \"%V\" is too large", path);
            dr_zk_client_free_request(r);
            return DR_ERROR;
        }

        dr_free(r->frame);
        r->frame = dr_alloc(size, zc->log);
        if (r->frame == NULL) {
            dr_zk_client_free_request(r);
            return DR_ERROR;
        }

        wr = dr_zk_writer_init(r->frame, size);

        if (dr_zk_jute_frame_begin(&wr, &mark) == DR_OK
            && dr_zk_request_header_encode(&wr, &hdr) == DR_OK
            && dr_zk_jute_encode(rec, &wr, record) == DR_OK
            && dr_zk_jute_frame_end(&wr, mark, DR_ZK_JUTE_MAXBUFFER) == DR_OK)
        {
            break;
        }
    }

    r->frame_len = wr.pos - wr.start;

    dr_queue_insert_tail(&zc->waiting, &r->queue);

    if (zc->connection && zc->handshake_done) {
        dr_zk_client_send_waiting(zc);

        if (dr_zk_client_flush(zc) != DR_OK) {
            dr_zk_client_drop(zc, "send failed");
        }
    }

    return DR_OK;
}


static dr_int_t
dr_zk_client_read_op(dr_zk_client_t *zc, int32_t type,
    const dr_zk_jute_record_t *rec, dr_str_t *path, dr_zk_watch_pt watcher,
    void *wdata, dr_zk_reply_pt cb, void *data)
{
    dr_str_t                     full;
    dr_zk_path_watch_request_t   req;

    if (dr_zk_client_full_path(zc, path, &full) != DR_OK) {
        return DR_ERROR;
    }

    req.path = full;
    req.watch = (watcher != NULL);

    return dr_zk_client_submit(zc, type, &req, rec, &full, watcher, wdata,
                               cb, data);
}


dr_int_t
dr_zk_get_children(dr_zk_client_t *zc, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data)
{
    return dr_zk_client_read_op(zc, DR_ZK_OPCODE_GET_CHILDREN,
                                &dr_zk_get_children_request_rec, path,
                                watcher, wdata, cb, data);
}


dr_int_t
dr_zk_get_data(dr_zk_client_t *zc, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data)
{
    return dr_zk_client_read_op(zc, DR_ZK_OPCODE_GET_DATA,
                                &dr_zk_get_data_request_rec, path,
                                watcher, wdata, cb, data);
}


dr_int_t
dr_zk_exists(dr_zk_client_t *zc, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data)
{
    return dr_zk_client_read_op(zc, DR_ZK_OPCODE_EXISTS,
                                &dr_zk_exists_request_rec, path,
                                watcher, wdata, cb, data);
}


dr_int_t
dr_zk_create(dr_zk_client_t *zc, dr_str_t *path, dr_str_t *value,
    int32_t flags, dr_zk_reply_pt cb, void *data)
{
    dr_str_t                 full;
    dr_zk_acl_t              acl;
    dr_zk_create_request_t   req;

    if (dr_zk_client_full_path(zc, path, &full) != DR_OK) {
        return DR_ERROR;
    }

    acl.perms = DR_ZK_PERM_ALL;
    dr_str_set(&acl.id.scheme, "world");
    dr_str_set(&acl.id.id, "anyone");

    dr_memzero(&req, sizeof(req));
    req.path = full;

    if (value) {
        req.data = *value;
        if (req.data.data == NULL) {
            req.data.data = DR_ZK_EMPTY_DATA;
        }
    }

    req.acl.nelts = 1;
    req.acl.elts = &acl;
    req.flags = flags;

    return dr_zk_client_submit(zc, DR_ZK_OPCODE_CREATE, &req,
                               &dr_zk_create_request_rec, &full, NULL, NULL,
                               cb, data);
}


dr_int_t
dr_zk_delete(dr_zk_client_t *zc, dr_str_t *path, int32_t version,
    dr_zk_reply_pt cb, void *data)
{
    dr_str_t                       full;
    dr_zk_path_version_request_t   req;

    if (dr_zk_client_full_path(zc, path, &full) != DR_OK) {
        return DR_ERROR;
    }

    req.path = full;
    req.version = version;

    return dr_zk_client_submit(zc, DR_ZK_OPCODE_DELETE, &req,
                               &dr_zk_delete_request_rec, &full, NULL, NULL,
                               cb, data);
}


dr_int_t
dr_zk_set_data(dr_zk_client_t *zc, dr_str_t *path, dr_str_t *value,
    int32_t version, dr_zk_reply_pt cb, void *data)
{
    dr_str_t                   full;
    dr_zk_set_data_request_t   req;

    if (dr_zk_client_full_path(zc, path, &full) != DR_OK) {
        return DR_ERROR;
    }

    dr_memzero(&req, sizeof(req));
    req.path = full;

    if (value) {
        req.data = *value;
        if (req.data.data == NULL) {
            req.data.data = DR_ZK_EMPTY_DATA;
        }
    }

    req.version = version;

    return dr_zk_client_submit(zc, DR_ZK_OPCODE_SET_DATA, &req,
                               &dr_zk_set_data_request_rec, &full, NULL, NULL,
                               cb, data);
}


void
dr_zk_client_destroy(dr_zk_client_t *zc)
{
    u_char                   buf[32];
    size_t                   mark;
    dr_zk_writer_t           wr;
    dr_zk_request_header_t   hdr;

    if (zc->connection && zc->handshake_done) {

        /* closeSession: the server drops our ephemerals now, not at expiry */

        wr = dr_zk_writer_init(buf, sizeof(buf));
        hdr.xid = zc->next_xid;
        hdr.type = DR_ZK_OPCODE_CLOSE_SESSION;

        if (dr_zk_jute_frame_begin(&wr, &mark) == DR_OK
            && dr_zk_request_header_encode(&wr, &hdr) == DR_OK
            && dr_zk_jute_frame_end(&wr, mark, DR_ZK_JUTE_MAXBUFFER) == DR_OK
            && dr_zk_client_append(zc, buf, wr.pos - wr.start) == DR_OK)
        {
            (void) dr_zk_client_flush(zc);
        }
    }

    zc->destroying = 1;
    zc->state = DR_ZK_CLIENT_CLOSED;

    dr_zk_client_drop(zc, NULL);
    dr_zk_client_fail(zc, &zc->waiting, DR_ZK_CONNECTIONLOSS);
    dr_zk_client_forget_watches(zc);

    if (zc->reconnect.timer_set) {
        dr_del_timer(&zc->reconnect);
    }

    dr_zk_client_free_addrs(zc);
    dr_free(zc->in);
    dr_free(zc->out);
    dr_free(zc->auth.data);
    dr_free(zc->chroot.data);
    dr_free(zc);
}
