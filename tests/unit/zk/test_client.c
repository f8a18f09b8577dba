/*
 * The asynchronous ZooKeeper client (src/zk/dr_zk_client.c) against a
 * scripted server: a forked child that speaks jute on a blocking socket,
 * checks what the client sends and exits non-zero on any surprise. The
 * parent runs drover's event loop with the client and checks what the
 * client reports. Covers the handshake (readOnly byte), chroot, ordered
 * replies, watches, resume with SetWatches, expiry, a misordered xid and
 * a refused authentication, a silent server and one that hangs up before
 * its hello (the reconnections pause).
 */

#include <criterion/criterion.h>
#include <sys/wait.h>

#include "event/event_fixture.h"
#include "dr_zk_client.h"

#define SRV_FAIL(...)                                                         \
    do { fprintf(stderr, "fake server: " __VA_ARGS__); fputc('\n', stderr);  \
         _exit(10 + __LINE__ % 200); } while (0)

typedef void (*srv_script_pt)(int lfd);

static int     srv_lfd;
static pid_t   srv_pid;
static in_port_t  srv_port;

/* client-side observations */
static volatile int  done;
static int           states[16];
static int           nstates;
static int           replies[16];
static int           nreplies;
static char          last_data[64];
static char          watch_path[64];
static int           watch_type;
static dr_zk_client_t  *zc;


/* ---- the fake server's helpers (run in the child) ---- */

static void
srv_read_full(int fd, u_char *p, size_t n)
{
    ssize_t  r;

    while (n) {
        r = read(fd, p, n);
        if (r <= 0) {
            SRV_FAIL("read: %s", r == 0 ? "eof" : strerror(errno));
        }
        p += r;
        n -= r;
    }
}


/* reads one frame; returns its payload length */
static size_t
srv_frame(int fd, u_char *buf, size_t size)
{
    u_char    len[4];
    uint32_t  n;

    srv_read_full(fd, len, 4);
    n = (uint32_t) len[0] << 24 | len[1] << 16 | len[2] << 8 | len[3];
    if (n > size) {
        SRV_FAIL("frame of %u bytes", n);
    }
    srv_read_full(fd, buf, n);
    return n;
}


static void
srv_send(int fd, dr_zk_writer_t *wr, size_t mark)
{
    if (dr_zk_jute_frame_end(wr, mark, DR_ZK_JUTE_MAXBUFFER) != DR_OK) {
        SRV_FAIL("frame_end");
    }
    if (dr_write_fd_all(fd, wr->start, wr->pos - wr->start) == -1) {
        SRV_FAIL("write");
    }
}


/* accepts, reads the ConnectRequest, answers it; returns the socket */
static int
srv_handshake(int lfd, int64_t expect_session, int64_t session,
    int32_t timeout)
{
    int                       fd;
    u_char                    buf[256], out[256];
    size_t                    n, mark;
    dr_zk_reader_t            rd;
    dr_zk_writer_t            wr;
    dr_zk_connect_request_t   req;
    dr_zk_connect_response_t  resp;

    fd = accept(lfd, NULL, NULL);
    if (fd == -1) {
        SRV_FAIL("accept");
    }

    n = srv_frame(fd, buf, sizeof(buf));
    rd = dr_zk_reader_init(buf, n);

    if (dr_zk_connect_request_decode(&rd, &req) != DR_OK) {
        SRV_FAIL("connect request");
    }
    if (!req.has_read_only || n != 45) {
        SRV_FAIL("no readOnly byte (%zu bytes)", n);
    }
    if (req.session_id != expect_session) {
        SRV_FAIL("session 0x%lx, expected 0x%lx", (long) req.session_id,
                 (long) expect_session);
    }
    if (expect_session && dr_memcmp(req.passwd.data, "0123456789abcdef", 16)) {
        SRV_FAIL("wrong password on resume");
    }

    dr_memzero(&resp, sizeof(resp));
    resp.timeout = timeout;
    resp.session_id = timeout ? session : 0;
    resp.passwd.data = (u_char *) (timeout ? "0123456789abcdef"
                                           : "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
    resp.passwd.len = 16;
    resp.has_read_only = 1;

    wr = dr_zk_writer_init(out, sizeof(out));
    dr_zk_jute_frame_begin(&wr, &mark);
    dr_zk_connect_response_encode(&wr, &resp);
    srv_send(fd, &wr, mark);

    return fd;
}


/* reads a request; returns its header and leaves <rd> on its body */
static dr_zk_request_header_t
srv_request(int fd, u_char *buf, size_t size, dr_zk_reader_t *rd)
{
    size_t                   n;
    dr_zk_request_header_t   hdr;

    for ( ;; ) {
        n = srv_frame(fd, buf, size);
        *rd = dr_zk_reader_init(buf, n);

        if (dr_zk_request_header_decode(rd, &hdr) != DR_OK) {
            SRV_FAIL("request header");
        }

        if (hdr.xid != DR_ZK_XID_PING) {
            return hdr;
        }
    }
}


static void
srv_reply_begin(dr_zk_writer_t *wr, u_char *out, size_t size, size_t *mark,
    int32_t xid, int64_t zxid, int32_t err)
{
    dr_zk_reply_header_t  h = { xid, zxid, err };

    *wr = dr_zk_writer_init(out, size);
    dr_zk_jute_frame_begin(wr, mark);
    dr_zk_reply_header_encode(wr, &h);
}


static void
srv_expect_path(dr_zk_reader_t *rd, const char *path)
{
    dr_str_t   s;
    dr_uint_t  null;

    if (dr_zk_jute_read_ustring(rd, &s, &null) != DR_OK
        || s.len != strlen(path) || dr_memcmp(s.data, path, s.len) != 0)
    {
        SRV_FAIL("expected path %s, got %.*s", path, (int) s.len, s.data);
    }
}


static void
srv_notify(int fd, int32_t type, const char *path)
{
    u_char                 out[256];
    size_t                 mark;
    dr_zk_writer_t         wr;
    dr_zk_watcher_event_t  ev;

    srv_reply_begin(&wr, out, sizeof(out), &mark, DR_ZK_XID_NOTIFICATION, -1,
                    0);
    ev.type = type;
    ev.state = DR_ZK_STATE_SYNC_CONNECTED;
    ev.path.data = (u_char *) path;
    ev.path.len = strlen(path);
    dr_zk_watcher_event_encode(&wr, &ev);
    srv_send(fd, &wr, mark);
}


static void
srv_get_data_reply(int fd, int32_t xid, int64_t zxid, const char *value)
{
    u_char          out[256];
    size_t          mark;
    dr_zk_writer_t  wr;
    dr_zk_stat_t    st;
    dr_str_t        v;

    srv_reply_begin(&wr, out, sizeof(out), &mark, xid, zxid, 0);
    v.data = (u_char *) value;
    v.len = strlen(value);
    dr_zk_jute_write_buffer(&wr, &v);
    dr_memzero(&st, sizeof(st));
    st.mzxid = zxid;
    dr_zk_jute_write_stat(&wr, &st);
    srv_send(fd, &wr, mark);
}


static void
srv_start(srv_script_pt script)
{
    struct sockaddr_in  sin;
    socklen_t           len;

    srv_lfd = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_neq(srv_lfd, -1);

    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(srv_lfd, (struct sockaddr *) &sin, sizeof(sin)), 0);
    cr_assert_eq(listen(srv_lfd, 8), 0);

    len = sizeof(sin);
    getsockname(srv_lfd, (struct sockaddr *) &sin, &len);
    srv_port = ntohs(sin.sin_port);

    srv_pid = fork();
    cr_assert_neq(srv_pid, -1);

    if (srv_pid == 0) {
        script(srv_lfd);
        _exit(0);
    }

    close(srv_lfd);
}


static void
srv_finish(void)
{
    int  status;

    cr_assert_eq(waitpid(srv_pid, &status, 0), srv_pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
              "the fake server saw something wrong (status %d)", status);
}


/* ---- the client side ---- */

static void
on_state(dr_zk_client_t *c, dr_zk_client_state_e state, void *data)
{
    if (nstates < 16) {
        states[nstates++] = state;
    }
}


static void
on_reply(dr_zk_client_t *c, dr_zk_reply_t *r, void *data)
{
    dr_str_t   v;
    dr_uint_t  null;

    if (nreplies < 16) {
        replies[nreplies++] = r->err;
    }

    if (r->err == DR_ZK_OK && data == (void *) 1
        && dr_zk_jute_read_buffer(&r->body, &v, &null) == DR_OK)
    {
        snprintf(last_data, sizeof(last_data), "%.*s", (int) v.len, v.data);
    }

    if (data == (void *) 2) {
        done = 1;
    }
}


static void
on_watch(dr_zk_client_t *c, dr_zk_watcher_event_t *ev, void *data)
{
    watch_type = ev->type;
    snprintf(watch_path, sizeof(watch_path), "%.*s", (int) ev->path.len,
             ev->path.data);
    done = 1;
}


static dr_zk_client_t *
client(const char *suffix, const char *auth)
{
    static char           hosts[128];
    dr_zk_client_conf_t   conf;

    snprintf(hosts, sizeof(hosts), "127.0.0.1:%u%s", srv_port, suffix);

    dr_memzero(&conf, sizeof(conf));
    conf.hosts.data = (u_char *) hosts;
    conf.hosts.len = strlen(hosts);
    conf.session_timeout = 6000;
    conf.state_handler = on_state;
    conf.log = &evfx.log;

    if (auth) {
        conf.auth.data = (u_char *) auth;
        conf.auth.len = strlen(auth);
    }

    zc = dr_zk_client_create(&conf);
    cr_assert_not_null(zc);
    cr_assert_eq(dr_zk_client_start(zc), DR_OK);

    return zc;
}


static void
setup(void)
{
    evfx_init(0);
    evfx_start();
    done = 0;
    nstates = 0;
    nreplies = 0;
    watch_type = 0;
    watch_path[0] = '\0';
    last_data[0] = '\0';
}

TestSuite(zk_client, .init = setup);


/* --- basic: handshake, chroot, in-order replies, a watch that fires --- */

static void
script_basic(int lfd)
{
    int                      fd;
    u_char                   buf[1024], out[256];
    size_t                   mark;
    dr_zk_reader_t           rd;
    dr_zk_writer_t           wr;
    dr_zk_request_header_t   h1, h2;
    dr_str_t                 s;

    fd = srv_handshake(lfd, 0, 0x1234, 6000);

    h1 = srv_request(fd, buf, sizeof(buf), &rd);
    if (h1.type != DR_ZK_OPCODE_CREATE) {
        SRV_FAIL("create expected, got %d", h1.type);
    }
    srv_expect_path(&rd, "/app/svc");

    srv_reply_begin(&wr, out, sizeof(out), &mark, h1.xid, 5, 0);
    s.data = (u_char *) "/app/svc";
    s.len = 8;
    dr_zk_jute_write_ustring(&wr, &s);
    srv_send(fd, &wr, mark);

    h2 = srv_request(fd, buf, sizeof(buf), &rd);
    if (h2.type != DR_ZK_OPCODE_GET_DATA || h2.xid != h1.xid + 1) {
        SRV_FAIL("getData with the next xid expected");
    }
    srv_expect_path(&rd, "/app/svc");

    srv_get_data_reply(fd, h2.xid, 6, "v1");
    srv_notify(fd, DR_ZK_EVENT_NODE_DATA_CHANGED, "/app/svc");

    /* the client closes the session when destroyed */
    h1 = srv_request(fd, buf, sizeof(buf), &rd);
    if (h1.type != DR_ZK_OPCODE_CLOSE_SESSION) {
        SRV_FAIL("closeSession expected, got %d", h1.type);
    }
    close(fd);
}

Test(zk_client, handshake_chroot_replies_and_watch)
{
    dr_str_t  path = dr_string("/svc"), value = dr_string("x");

    srv_start(script_basic);
    client("/app", NULL);

    cr_assert_eq(dr_zk_create(zc, &path, &value, DR_ZK_CREATE_EPHEMERAL,
                              on_reply, NULL), DR_OK);
    cr_assert_eq(dr_zk_get_data(zc, &path, on_watch, NULL, on_reply,
                                (void *) 1), DR_OK);

    cr_assert(evfx_run_until(&done, 5000), "no watch event");

    cr_assert_eq(nstates, 1);
    cr_assert_eq(states[0], DR_ZK_CLIENT_CONNECTED);
    cr_assert_eq(dr_zk_client_session_id(zc), 0x1234);
    cr_assert_eq(nreplies, 2);
    cr_assert_eq(replies[0], DR_ZK_OK);
    cr_assert_eq(replies[1], DR_ZK_OK);
    cr_assert_str_eq(last_data, "v1");
    cr_assert_eq(watch_type, DR_ZK_EVENT_NODE_DATA_CHANGED);
    cr_assert_str_eq(watch_path, "/svc");       /* the chroot is removed */

    dr_zk_client_destroy(zc);
    srv_finish();
}


/* --- a lost connection: resume with the password, SetWatches --- */

static void
script_resume(int lfd)
{
    int                      fd;
    u_char                   buf[1024];
    int64_t                  rz;
    int32_t                  n;
    dr_zk_reader_t           rd;
    dr_zk_request_header_t   h;

    fd = srv_handshake(lfd, 0, 0x1234, 6000);

    h = srv_request(fd, buf, sizeof(buf), &rd);
    if (h.type != DR_ZK_OPCODE_GET_CHILDREN) {
        SRV_FAIL("getChildren expected");
    }

    {
        u_char          out[256];
        size_t          mark;
        dr_zk_writer_t  wr;
        dr_str_t        kid = dr_string("b1");
        dr_zk_vec_t     v = { 1, NULL, NULL, &kid };

        srv_reply_begin(&wr, out, sizeof(out), &mark, h.xid, 42, 0);
        dr_zk_jute_write_vec(&wr, DR_ZK_VEC_USTRING, &v);
        srv_send(fd, &wr, mark);
    }

    close(fd);      /* the server is "lost" */

    fd = srv_handshake(lfd, 0x1234, 0x1234, 6000);

    h = srv_request(fd, buf, sizeof(buf), &rd);
    if (h.xid != DR_ZK_XID_SET_WATCHES || h.type != DR_ZK_OPCODE_SET_WATCHES) {
        SRV_FAIL("SetWatches expected, got xid %d type %d", h.xid, h.type);
    }

    if (dr_zk_jute_read_long(&rd, &rz) != DR_OK || rz != 42) {
        SRV_FAIL("relativeZxid %ld, expected 42", (long) rz);
    }

    /* dataWatches and existWatches empty, childWatches ["/svc"] */
    if (dr_zk_jute_read_int(&rd, &n) != DR_OK || n != 0
        || dr_zk_jute_read_int(&rd, &n) != DR_OK || n != 0
        || dr_zk_jute_read_int(&rd, &n) != DR_OK || n != 1)
    {
        SRV_FAIL("watch vectors");
    }
    srv_expect_path(&rd, "/svc");

    srv_notify(fd, DR_ZK_EVENT_NODE_CHILDREN_CHANGED, "/svc");

    /* wait for the client to go away */
    (void) read(fd, buf, 1);
    close(fd);
}

Test(zk_client, resume_sends_set_watches_and_keeps_watches)
{
    dr_str_t  path = dr_string("/svc");

    srv_start(script_resume);
    client("", NULL);

    cr_assert_eq(dr_zk_get_children(zc, &path, on_watch, NULL, on_reply,
                                    NULL), DR_OK);

    cr_assert(evfx_run_until(&done, 8000), "the watch did not fire");

    cr_assert_eq(watch_type, DR_ZK_EVENT_NODE_CHILDREN_CHANGED);
    cr_assert_str_eq(watch_path, "/svc");
    cr_assert_eq(replies[0], DR_ZK_OK);
    cr_assert_geq(nstates, 3);
    cr_assert_eq(states[0], DR_ZK_CLIENT_CONNECTED);
    cr_assert_eq(states[1], DR_ZK_CLIENT_SUSPENDED);
    cr_assert_eq(states[2], DR_ZK_CLIENT_CONNECTED);
    cr_assert_eq(dr_zk_client_session_id(zc), 0x1234);

    dr_zk_client_destroy(zc);
    srv_finish();
}


/* --- expiry: timeout 0 on resume; a new session follows --- */

static void
script_expire(int lfd)
{
    int             fd;
    u_char          buf[64];

    fd = srv_handshake(lfd, 0, 0x1234, 6000);
    close(fd);

    fd = srv_handshake(lfd, 0x1234, 0, 0);     /* expired */
    close(fd);

    fd = srv_handshake(lfd, 0, 0x5678, 6000);  /* a fresh session */
    (void) read(fd, buf, 1);
    close(fd);
}

Test(zk_client, expired_session_is_reported_and_replaced)
{
    int  i, connected;

    srv_start(script_expire);
    client("", NULL);

    for (i = 0; i < 100 && dr_zk_client_session_id(zc) != 0x5678; i++) {
        evfx_run_until(&done, 50);
    }

    cr_assert_eq(dr_zk_client_session_id(zc), 0x5678);

    connected = 0;
    for (i = 0; i < nstates; i++) {
        if (states[i] == DR_ZK_CLIENT_EXPIRED) {
            cr_assert_gt(connected, 0);
            connected = -100;
        }
        if (states[i] == DR_ZK_CLIENT_CONNECTED) {
            connected++;
        }
    }
    cr_assert_eq(connected, -99, "EXPIRED then CONNECTED expected");
    cr_assert_eq(dr_zk_client_state(zc), DR_ZK_CLIENT_CONNECTED);

    dr_zk_client_destroy(zc);
    srv_finish();
}


/* --- a reply out of order drops the connection: CONNECTIONLOSS --- */

static void
script_bad_xid(int lfd)
{
    int                      fd;
    u_char                   buf[256], out[64];
    size_t                   mark;
    dr_zk_reader_t           rd;
    dr_zk_writer_t           wr;
    dr_zk_request_header_t   h;

    fd = srv_handshake(lfd, 0, 0x1234, 6000);
    h = srv_request(fd, buf, sizeof(buf), &rd);

    srv_reply_begin(&wr, out, sizeof(out), &mark, h.xid + 7, 1, 0);
    srv_send(fd, &wr, mark);

    /* the client must hang up on us and come back */
    if (read(fd, buf, 1) != 0) {
        SRV_FAIL("the connection was not closed");
    }
    close(fd);

    fd = srv_handshake(lfd, 0x1234, 0x1234, 6000);
    (void) read(fd, buf, 1);
    close(fd);
}

Test(zk_client, out_of_order_reply_is_connection_loss)
{
    dr_str_t  path = dr_string("/x");
    int       i;

    srv_start(script_bad_xid);
    client("", NULL);

    cr_assert_eq(dr_zk_exists(zc, &path, NULL, NULL, on_reply, (void *) 2),
                 DR_OK);
    cr_assert(evfx_run_until(&done, 5000));
    cr_assert_eq(replies[0], DR_ZK_CONNECTIONLOSS);

    done = 0;
    for (i = 0; i < 100 && nstates < 3; i++) {
        evfx_run_until(&done, 50);
    }
    cr_assert_eq(states[nstates - 1], DR_ZK_CLIENT_CONNECTED);
    cr_assert(evfx_log_has("out of order"));

    dr_zk_client_destroy(zc);
    srv_finish();
}


/* --- AuthFailed: the client stops for good --- */

static void
script_auth_failed(int lfd)
{
    int                      fd;
    u_char                   buf[256], out[64];
    size_t                   mark;
    dr_str_t                 scheme, auth;
    dr_uint_t                null;
    int32_t                  type;
    dr_zk_reader_t           rd;
    dr_zk_writer_t           wr;
    dr_zk_request_header_t   h;

    fd = srv_handshake(lfd, 0, 0x1234, 6000);
    h = srv_request(fd, buf, sizeof(buf), &rd);

    if (h.xid != DR_ZK_XID_AUTH || h.type != DR_ZK_OPCODE_AUTH
        || dr_zk_jute_read_int(&rd, &type) != DR_OK
        || dr_zk_jute_read_ustring(&rd, &scheme, &null) != DR_OK
        || dr_zk_jute_read_buffer(&rd, &auth, &null) != DR_OK
        || scheme.len != 6 || auth.len != 8
        || dr_memcmp(auth.data, "bob:pass", 8) != 0)
    {
        SRV_FAIL("digest auth packet expected");
    }

    srv_reply_begin(&wr, out, sizeof(out), &mark, DR_ZK_XID_AUTH, 0,
                    DR_ZK_AUTHFAILED);
    srv_send(fd, &wr, mark);

    if (read(fd, buf, 1) > 0) {
        /* the pending request may arrive; then the close */
        while (read(fd, buf, sizeof(buf)) > 0) { /* void */ }
    }
    close(fd);
}

Test(zk_client, auth_failed_stops_the_client)
{
    dr_str_t  path = dr_string("/x");

    srv_start(script_auth_failed);
    client("", "bob:pass");

    cr_assert_eq(dr_zk_exists(zc, &path, NULL, NULL, on_reply, (void *) 2),
                 DR_OK);
    cr_assert(evfx_run_until(&done, 5000));

    cr_assert_eq(replies[0], DR_ZK_AUTHFAILED);
    cr_assert_eq(dr_zk_client_state(zc), DR_ZK_CLIENT_AUTH_FAILED);
    cr_assert_eq(dr_zk_exists(zc, &path, NULL, NULL, on_reply, NULL),
                 DR_ERROR);

    dr_zk_client_destroy(zc);
    srv_finish();
}


Test(zk_client, rejects_bad_hosts_and_paths)
{
    dr_zk_client_conf_t  conf;
    dr_str_t             bad = dr_string("relative");

    dr_memzero(&conf, sizeof(conf));
    conf.log = &evfx.log;

    dr_str_set(&conf.hosts, "");
    cr_assert_null(dr_zk_client_create(&conf));
    dr_str_set(&conf.hosts, "127.0.0.1:99999");
    cr_assert_null(dr_zk_client_create(&conf));
    dr_str_set(&conf.hosts, "127.0.0.1:2181/chroot/");
    cr_assert_null(dr_zk_client_create(&conf));

    dr_str_set(&conf.hosts, "127.0.0.1:1,127.0.0.2:2/a");
    zc = dr_zk_client_create(&conf);
    cr_assert_not_null(zc);
    cr_assert_eq(dr_zk_get_data(zc, &bad, NULL, NULL, on_reply, NULL),
                 DR_ERROR);
    dr_zk_client_destroy(zc);
}


/* --- a server that never answers the ConnectRequest is left --- */

static void
script_silent(int lfd)
{
    int     fd;
    u_char  buf[256];

    alarm(10);              /* a client that never leaves fails, not hangs */

    fd = accept(lfd, NULL, NULL);
    if (fd == -1) {
        SRV_FAIL("accept");
    }

    (void) srv_frame(fd, buf, sizeof(buf));

    /* say nothing: the client must give up on us after its timeout */
    if (read(fd, buf, 1) != 0) {
        SRV_FAIL("the silent connection was not closed");
    }
    close(fd);

    fd = srv_handshake(lfd, 0, 0x1234, 1500);
    (void) read(fd, buf, 1);
    close(fd);
}

Test(zk_client, silent_server_is_left_after_the_connect_timeout)
{
    int                   i;
    dr_zk_client_conf_t   conf;
    char                  hosts[64];

    srv_start(script_silent);

    snprintf(hosts, sizeof(hosts), "127.0.0.1:%u", srv_port);
    dr_memzero(&conf, sizeof(conf));
    conf.hosts.data = (u_char *) hosts;
    conf.hosts.len = strlen(hosts);
    conf.session_timeout = 1500;
    conf.state_handler = on_state;
    conf.log = &evfx.log;

    zc = dr_zk_client_create(&conf);
    cr_assert_not_null(zc);
    cr_assert_eq(dr_zk_client_start(zc), DR_OK);

    for (i = 0; i < 100 && dr_zk_client_state(zc) != DR_ZK_CLIENT_CONNECTED;
         i++)
    {
        evfx_run_until(&done, 50);
    }

    cr_assert_eq(dr_zk_client_state(zc), DR_ZK_CLIENT_CONNECTED);
    cr_assert_eq(dr_zk_client_session_id(zc), 0x1234);

    dr_zk_client_destroy(zc);
    srv_finish();
}


/* --- a server that hangs up before its hello: retried with pauses --- */

static void
script_hangs_up(int lfd)
{
    int             i, fd;
    u_char          buf[16];
    struct timeval  first, now;

    alarm(10);

    for (i = 0; i < 5; i++) {
        fd = accept(lfd, NULL, NULL);
        if (fd == -1) {
            SRV_FAIL("accept");
        }

        if (i == 0) {
            gettimeofday(&first, NULL);
        }

        close(fd);
    }

    gettimeofday(&now, NULL);

    /* pauses of 100, 200, 300, 400 ms: not a tight loop */
    if ((now.tv_sec - first.tv_sec) * 1000
        + (now.tv_usec - first.tv_usec) / 1000 < 800)
    {
        SRV_FAIL("reconnected without pausing");
    }

    fd = srv_handshake(lfd, 0, 0x1234, 6000);
    (void) read(fd, buf, 1);
    close(fd);
}

Test(zk_client, hang_ups_before_the_hello_back_off)
{
    int  i;

    srv_start(script_hangs_up);
    client("", NULL);

    for (i = 0; i < 100 && dr_zk_client_state(zc) != DR_ZK_CLIENT_CONNECTED;
         i++)
    {
        evfx_run_until(&done, 50);
    }

    cr_assert_eq(dr_zk_client_state(zc), DR_ZK_CLIENT_CONNECTED);

    dr_zk_client_destroy(zc);
    srv_finish();
}
