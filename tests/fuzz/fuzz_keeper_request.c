/*
 * libFuzzer target for the keeper's request path: framing, the handshake,
 * the four-letter words and every op handler (dr_keeper_server.c,
 * dr_keeper_ops.c, with the real tree, sessions, watches and ACLs).
 *
 * The input is what a client sends on a fresh connection, byte for byte:
 * it is fed to the connection's input buffer in chunks (the first byte
 * picks the chunk size, so frames split at every place) and parsed as the
 * keeper parses a socket's bytes. A second connection with a recursive
 * watch on "/" (and no session) receives the notifications. Whatever happens,
 * the keeper must not crash, leak or queue a reply that is not a whole
 * frame; everything is torn down and built again for the next input.
 * Seeds: tests/fuzz/corpus/keeper_request/ (handshakes, creates, multis,
 * watches, auth, SetWatches, four-letter words, malformed frames).
 */

#include "../../src/keeper/dr_keeper_server.c"


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)


static dr_log_t          fuzz_log;
static dr_cycle_t        fuzz_cycle;
static dr_keeper_conf_t  fuzz_conf;
static dr_keeper_listen_t  fuzz_listen;


static void
fuzz_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;
    (void) buf;
    (void) len;
}


static void
fuzz_init_once(void)
{
    struct sockaddr_in  *sin;

    dr_use_stderr = 0;
    dr_time_init();

    fuzz_log.log_level = DR_LOG_ERR;
    fuzz_log.writer = fuzz_writer;

    fuzz_cycle.log = &fuzz_log;
    dr_str_set(&fuzz_cycle.hostname, "fuzz");

    fuzz_conf.enabled = 1;
    fuzz_conf.tick_time = 2000;
    fuzz_conf.min_session_timeout = 4000;
    fuzz_conf.max_session_timeout = 40000;
    fuzz_conf.max_frame = 64 * 1024;
    fuzz_conf.max_outstanding = 1000;
    fuzz_conf.max_watches = 64;
    fuzz_conf.four_letter_words = DR_KEEPER_4LW_ALL & ~DR_KEEPER_4LW_ENVI;
    fuzz_conf.extended_types = 1;
    fuzz_conf.container_reap_interval = 60000;
    dr_str_set(&fuzz_conf.data_dir, "/nonexistent");
    dr_str_set(&fuzz_conf.super_digest, "super:lK75jTNcA+U9vtVEw5vB51mj/w4=");

    sin = &fuzz_listen.sockaddr.sockaddr_in;
    sin->sin_family = AF_INET;
    sin->sin_port = htons(2181);
    fuzz_listen.socklen = sizeof(struct sockaddr_in);
    fuzz_listen.backlog = DR_LISTEN_BACKLOG;
    fuzz_conf.listen.elts = &fuzz_listen;
    fuzz_conf.listen.nelts = 1;

    dr_queue_init(&dr_posted_events);
    dr_queue_init(&dr_posted_next_events);
    (void) dr_event_timer_init(&fuzz_log);
}


static dr_keeper_t *
fuzz_keeper(void)
{
    dr_keeper_t  *k;

    k = dr_keeper;
    dr_memzero(k, sizeof(dr_keeper_t));

    k->cycle = &fuzz_cycle;
    k->log = &fuzz_log;
    k->conf = &fuzz_conf;
    k->lock_fd = -1;
    k->latency.min = DR_TIMER_INFINITE;

    dr_queue_init(&k->conns);
    dr_queue_init(&k->dirty);
    dr_queue_init(&k->held);

    k->frame_pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &fuzz_log);
    fuzz_assert(k->frame_pool);

    fuzz_assert(dr_objpool_init(&k->conn_pool, sizeof(dr_keeper_conn_t), 0,
                                &fuzz_log) == DR_OK);
    fuzz_assert(dr_objpool_init(&k->mark_pool, sizeof(dr_keeper_mark_t), 0,
                                &fuzz_log) == DR_OK);

    k->tree = calloc(1, sizeof(dr_keeper_tree_t));
    fuzz_assert(k->tree);
    fuzz_assert(dr_keeper_tree_init(k->tree, &fuzz_log) == DR_OK);
    fuzz_assert(dr_keeper_session_init(k) == DR_OK);
    fuzz_assert(dr_keeper_watch_init(k) == DR_OK);

    dr_keeper_ops_init(k);

    k->flush_event.handler = dr_keeper_flush;
    k->flush_event.data = k;
    k->flush_event.log = &fuzz_log;

    return k;
}


static dr_keeper_conn_t *
fuzz_conn(dr_keeper_t *k, int port)
{
    dr_connection_t     *c;
    dr_keeper_conn_t    *kc;
    struct sockaddr_in  *sin;

    c = calloc(1, sizeof(dr_connection_t));
    fuzz_assert(c);
    c->read = calloc(1, sizeof(dr_event_t));
    c->write = calloc(1, sizeof(dr_event_t));
    fuzz_assert(c->read && c->write);
    c->read->data = c;
    c->write->data = c;
    c->fd = -1;
    c->log = &fuzz_log;
    c->pool = dr_create_pool(1024, &fuzz_log);
    fuzz_assert(c->pool);

    sin = dr_pcalloc(c->pool, sizeof(struct sockaddr_in));
    fuzz_assert(sin);
    sin->sin_family = AF_INET;
    sin->sin_port = htons((uint16_t) port);
    sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->sockaddr = (struct sockaddr *) sin;
    c->socklen = sizeof(struct sockaddr_in);

    kc = dr_objpool_alloc(&k->conn_pool);
    fuzz_assert(kc);

    kc->c = c;
    kc->k = k;
    c->data = kc;

    kc->in_start = dr_alloc(DR_KEEPER_IBUF_SIZE, &fuzz_log);
    fuzz_assert(kc->in_start);
    kc->in_pos = kc->in_start;
    kc->in_last = kc->in_start;
    kc->in_end = kc->in_start + DR_KEEPER_IBUF_SIZE;

    dr_queue_init(&kc->marks);
    dr_queue_init(&kc->watches);
    kc->last_cxid = -1;
    kc->last_op = "NA";
    kc->latency.min = DR_TIMER_INFINITE;

    dr_queue_insert_tail(&k->conns, &kc->queue);
    k->nconns++;

    fuzz_assert(dr_keeper_acl_init_conn(kc) == DR_OK);

    return kc;
}


/* every queued frame is whole: length-prefixed, ending at the end */
static void
fuzz_check_output(dr_keeper_conn_t *kc)
{
    size_t             n, len, total;
    u_char             hdr[4];
    dr_keeper_obuf_t  *ob;

    if (kc->four) {
        return;                 /* raw text */
    }

    total = 0;
    n = 0;

    for (ob = kc->out_head; ob; ob = ob->next) {
        len = (size_t) (ob->last - ob->pos);
        total += len;
    }

    /* walk the frames across blocks */

    for (ob = kc->out_head; ob; ob = ob->next) {
        u_char  *p;

        for (p = ob->pos; p < ob->last; ) {
            fuzz_assert(ob->last - p >= 4);     /* a frame never splits */
            memcpy(hdr, p, 4);
            len = dr_keeper_get32(hdr);
            fuzz_assert((size_t) (ob->last - p) >= 4 + len);
            p += 4 + len;
            n += 4 + len;
        }
    }

    fuzz_assert(n == total);
}


/* what dr_keeper_conn_close() does, minus the socket */
static void
fuzz_close(dr_keeper_conn_t *kc)
{
    dr_keeper_t       *k;
    dr_connection_t   *c;
    dr_keeper_obuf_t  *ob, *next;
    dr_keeper_mark_t  *m;

    k = kc->k;
    c = kc->c;

    if (kc->session && kc->session->conn == kc) {
        kc->session->conn = NULL;
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

    dr_free(kc->in_start);

    if (kc->auth) {
        dr_free(kc->auth);
    }

    dr_objpool_free(&k->conn_pool, kc);

    dr_destroy_pool(c->pool);
    free(c->read);
    free(c->write);
    free(c);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                 chunk, n;
    dr_int_t               rc;
    dr_str_t               root;
    dr_keeper_t           *k;
    dr_keeper_conn_t      *kc, *watcher;
    dr_keeper_obuf_t      *ob;
    dr_keeper_session_t   *s;
    static dr_uint_t       once;

    if (!once) {
        fuzz_init_once();
        once = 1;
    }

    if (size == 0) {
        return 0;
    }

    chunk = (size_t) data[0] % 64 + 1;
    data++;
    size--;

    k = fuzz_keeper();

    /* no session: the input could resume it, and close this connection */

    watcher = fuzz_conn(k, 1);
    watcher->hello = 1;
    dr_str_set(&root, "/");
    fuzz_assert(dr_keeper_watch_add(watcher, &root, DR_KEEPER_WATCH_DATA,
                                    DR_KEEPER_WATCH_RECURSIVE) == DR_OK);

    kc = fuzz_conn(k, 2);

    while (size) {
        n = dr_min(chunk, size);

        if (dr_keeper_input_room(kc, n) != DR_OK) {
            break;
        }

        n = dr_min(n, (size_t) (kc->in_end - kc->in_last));
        memcpy(kc->in_last, data, n);
        kc->in_last += n;
        data += n;
        size -= n;

        rc = dr_keeper_input(kc);

        if (rc != DR_OK) {
            break;
        }
    }

    fuzz_check_output(kc);
    fuzz_check_output(watcher);

    for (ob = kc->out_head; ob; ob = ob->next) {
        fuzz_assert(ob->last <= ob->end);
    }

    /* the session of the fuzzed connection, if any, closes as on expiry */

    if (kc->session && !kc->session->closing) {
        s = kc->session;
        s->conn = NULL;
        kc->session = NULL;
        fuzz_assert(dr_keeper_ops_close_session(k, s, 0, 1) == DR_OK);
    }

    fuzz_close(kc);
    fuzz_close(watcher);

    dr_keeper_session_done(k);
    dr_keeper_watch_done(k);
    dr_keeper_tree_destroy(k->tree);
    free(k->tree);

    while (k->free_obufs) {
        ob = k->free_obufs;
        k->free_obufs = ob->next;
        dr_free(ob);
    }

    dr_objpool_destroy(&k->conn_pool);
    dr_objpool_destroy(&k->mark_pool);
    dr_destroy_pool(k->frame_pool);

    /* the posted flush never runs here */

    dr_queue_init(&dr_posted_events);

    return 0;
}
