/*
 * Shared set-up of the keeper unit tests (header-only: each test binary
 * includes it once): the keeper state of dr_keeper_process.c without a
 * process or a loop, fake client connections with real pools and
 * sockaddrs, and a reader of what a connection has queued.
 */
#ifndef KEEPER_TEST_H_INCLUDED
#define KEEPER_TEST_H_INCLUDED

#include "dr_config.h"
#include "dr_core.h"
#include "dr_event.h"
#include "dr_keeper.h"

#include <criterion/criterion.h>


/* not every test binary uses every helper */
#define KT_HELPER  static __attribute__((unused))


static dr_log_t          kt_log;
static dr_cycle_t        kt_cycle;
static dr_keeper_conf_t  kt_conf;


static void
kt_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;
    (void) buf;
    (void) len;
}


/* the keeper of this process (dr_keeper), ready for requests */
KT_HELPER dr_keeper_t *
kt_keeper(void)
{
    dr_keeper_t         *k;
    dr_keeper_listen_t  *kl;
    struct sockaddr_in  *sin;

    dr_use_stderr = 0;
    dr_time_init();

    kt_log.log_level = DR_LOG_DEBUG;
    kt_log.writer = kt_writer;

    dr_memzero(&kt_cycle, sizeof(dr_cycle_t));
    kt_cycle.log = &kt_log;
    dr_str_set(&kt_cycle.hostname, "testhost");

    dr_memzero(&kt_conf, sizeof(dr_keeper_conf_t));
    kt_conf.enabled = 1;
    kt_conf.tick_time = 2000;
    kt_conf.min_session_timeout = 4000;
    kt_conf.max_session_timeout = 40000;
    kt_conf.max_connections_per_ip = 60;
    kt_conf.max_frame = DR_ZK_JUTE_MAXBUFFER;
    kt_conf.max_outstanding = 1000;
    kt_conf.four_letter_words = DR_KEEPER_4LW_ALL;
    kt_conf.container_reap_interval = 60000;
    dr_str_set(&kt_conf.data_dir, "/nonexistent/keeper");

    kt_conf.listen.elts = calloc(1, sizeof(dr_keeper_listen_t));
    kt_conf.listen.nelts = 1;
    kl = kt_conf.listen.elts;
    sin = &kl->sockaddr.sockaddr_in;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(2181);
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    kl->socklen = sizeof(struct sockaddr_in);
    kl->backlog = DR_LISTEN_BACKLOG;

    dr_queue_init(&dr_posted_events);
    dr_queue_init(&dr_posted_next_events);
    cr_assert_eq(dr_event_timer_init(&kt_log), DR_OK);

    k = dr_keeper;
    dr_memzero(k, sizeof(dr_keeper_t));

    k->cycle = &kt_cycle;
    k->log = &kt_log;
    k->conf = &kt_conf;
    k->lock_fd = -1;
    k->latency.min = DR_TIMER_INFINITE;

    dr_queue_init(&k->conns);
    dr_queue_init(&k->dirty);
    dr_queue_init(&k->held);

    k->frame_pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &kt_log);
    cr_assert(k->frame_pool);

    cr_assert_eq(dr_objpool_init(&k->conn_pool, sizeof(dr_keeper_conn_t), 0,
                                 &kt_log), DR_OK);
    cr_assert_eq(dr_objpool_init(&k->mark_pool, sizeof(dr_keeper_mark_t), 0,
                                 &kt_log), DR_OK);

    k->tree = calloc(1, sizeof(dr_keeper_tree_t));
    cr_assert_eq(dr_keeper_tree_init(k->tree, &kt_log), DR_OK);
    cr_assert_eq(dr_keeper_session_init(k), DR_OK);
    cr_assert_eq(dr_keeper_watch_init(k), DR_OK);

    dr_keeper_ops_init(k);

    k->flush_event.handler = dr_keeper_flush;
    k->flush_event.data = k;
    k->flush_event.log = &kt_log;

    return k;
}


/* a client connection from <ip>:<port>, as accepted (no socket) */
KT_HELPER dr_keeper_conn_t *
kt_conn(dr_keeper_t *k, const char *ip, int port)
{
    dr_connection_t     *c;
    dr_keeper_conn_t    *kc;
    struct sockaddr_in  *sin;

    c = calloc(1, sizeof(dr_connection_t));
    c->read = calloc(1, sizeof(dr_event_t));
    c->write = calloc(1, sizeof(dr_event_t));
    c->read->data = c;
    c->write->data = c;
    c->fd = -1;
    c->log = &kt_log;
    c->pool = dr_create_pool(1024, &kt_log);

    sin = dr_pcalloc(c->pool, sizeof(struct sockaddr_in));
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t) port);
    inet_pton(AF_INET, ip, &sin->sin_addr);
    c->sockaddr = (struct sockaddr *) sin;
    c->socklen = sizeof(struct sockaddr_in);

    kc = dr_objpool_alloc(&k->conn_pool);
    cr_assert(kc);

    kc->c = c;
    kc->k = k;
    c->data = kc;

    dr_queue_init(&kc->marks);
    dr_queue_init(&kc->watches);
    kc->last_cxid = -1;
    kc->last_op = "NA";
    kc->latency.min = DR_TIMER_INFINITE;

    dr_queue_insert_tail(&k->conns, &kc->queue);
    k->nconns++;

    cr_assert_eq(dr_keeper_acl_init_conn(kc), DR_OK);

    return kc;
}


/* a connection with a session, as after a successful handshake */
KT_HELPER dr_keeper_conn_t *
kt_session_conn(dr_keeper_t *k, const char *ip, int port)
{
    dr_keeper_conn_t     *kc;
    dr_keeper_session_t  *s;

    kc = kt_conn(k, ip, port);

    s = dr_keeper_session_create(k, 0, 10000, NULL);
    cr_assert(s);

    s->conn = kc;
    kc->session = s;
    kc->hello = 1;

    return kc;
}


/*
 * Takes what <kc> queued (as if it had been written): the bytes go to
 * <buf>, the blocks are freed. Returns the number of bytes.
 */
KT_HELPER size_t
kt_output(dr_keeper_conn_t *kc, u_char *buf, size_t size)
{
    size_t             n, len;
    dr_keeper_obuf_t  *ob, *next;

    n = 0;

    for (ob = kc->out_head; ob; ob = next) {
        next = ob->next;
        len = (size_t) (ob->last - ob->pos);

        cr_assert(n + len <= size);
        memcpy(buf + n, ob->pos, len);
        n += len;

        free(ob);
    }

    kc->out_head = NULL;
    kc->out_tail = NULL;
    kc->out_sent = kc->out_total;
    kc->queued = 0;

    return n;
}


/* one frame of <buf> at <*off>: its payload, and <*off> moves past it */
KT_HELPER u_char *
kt_frame(u_char *buf, size_t len, size_t *off, size_t *flen)
{
    uint32_t  n;

    cr_assert(*off + 4 <= len);
    n = dr_keeper_get32(buf + *off);
    cr_assert(*off + 4 + n <= len);

    *flen = n;
    *off += 4 + n;

    return buf + *off - n;
}


/* sends a request frame (header + body) through the op handlers */
KT_HELPER dr_int_t
kt_request(dr_keeper_conn_t *kc, int32_t xid, int32_t type, u_char *body,
    size_t len)
{
    u_char   frame[4096];

    cr_assert(len + 8 <= sizeof(frame));

    frame[0] = (u_char) ((uint32_t) xid >> 24);
    frame[1] = (u_char) ((uint32_t) xid >> 16);
    frame[2] = (u_char) ((uint32_t) xid >> 8);
    frame[3] = (u_char) xid;
    frame[4] = (u_char) ((uint32_t) type >> 24);
    frame[5] = (u_char) ((uint32_t) type >> 16);
    frame[6] = (u_char) ((uint32_t) type >> 8);
    frame[7] = (u_char) type;

    if (len) {
        memcpy(frame + 8, body, len);
    }

    return dr_keeper_ops_request(kc, frame, len + 8);
}


/* a jute ustring into <p>; returns the end */
KT_HELPER u_char *
kt_ustring(u_char *p, const char *s)
{
    uint32_t  n;

    n = (uint32_t) strlen(s);

    p[0] = (u_char) (n >> 24);
    p[1] = (u_char) (n >> 16);
    p[2] = (u_char) (n >> 8);
    p[3] = (u_char) n;

    memcpy(p + 4, s, n);

    return p + 4 + n;
}


KT_HELPER u_char *
kt_int(u_char *p, int32_t v)
{
    p[0] = (u_char) ((uint32_t) v >> 24);
    p[1] = (u_char) ((uint32_t) v >> 16);
    p[2] = (u_char) ((uint32_t) v >> 8);
    p[3] = (u_char) v;

    return p + 4;
}


/* a create request body with world:anyone */
KT_HELPER size_t
kt_create_body(u_char *buf, const char *path, const char *data, int32_t flags)
{
    u_char  *p;

    p = kt_ustring(buf, path);
    p = kt_ustring(p, data);
    p = kt_int(p, 1);
    p = kt_int(p, DR_ZK_PERM_ALL);
    p = kt_ustring(p, "world");
    p = kt_ustring(p, "anyone");
    p = kt_int(p, flags);

    return (size_t) (p - buf);
}

#endif /* KEEPER_TEST_H_INCLUDED */
