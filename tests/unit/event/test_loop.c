/*
 * The event loop on real sockets: socketpairs and loopback TCP.
 *
 * Read events (edge-triggered: one call per edge, recv's ready/eof
 * bookkeeping), write events after a full socket buffer (writev chains),
 * sendfile chains with headers (TCP_CORK), timers and posted events inside
 * the loop, stale epoll results after a handler closed a connection and
 * its slot was reused, accept (addresses, numbering, multi_accept), the
 * pause on EMFILE, the accept mutex, outgoing connects (success and
 * refusal), draining reusable connections, graceful shutdown with and
 * without worker_shutdown_timeout.
 */

#include <criterion/criterion.h>

#include "event/event_fixture.h"


static volatile int      test_loop_calls;
static volatile int      test_loop_flag;
static dr_connection_t  *test_loop_conns[16];
static int               test_loop_nconns;
static u_char            test_loop_buf[65536];
static ssize_t           test_loop_n;


static void
setup(void)
{
    test_loop_calls = 0;
    test_loop_flag = 0;
    test_loop_nconns = 0;
    test_loop_n = 0;
}


TestSuite(loop, .init = setup, .timeout = 30);


/* a connection over one end of a fresh non-blocking socketpair */
static dr_connection_t *
test_loop_pair(int *peer, dr_event_handler_pt rh)
{
    int               sv[2];
    dr_connection_t  *c;

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);

    c = dr_get_connection(sv[0], &evfx.log);
    cr_assert_not_null(c);

    c->recv = dr_unix_recv;
    c->send = dr_unix_send;
    c->send_chain = dr_linux_sendfile_chain;
    c->read->log = &evfx.log;
    c->write->log = &evfx.log;
    c->read->handler = rh;

    *peer = sv[1];

    return c;
}


static void
test_loop_count(dr_event_t *ev)
{
    (void) ev;

    test_loop_calls++;
    test_loop_flag = 1;
}


static void
test_loop_reader(dr_event_t *ev)
{
    dr_connection_t  *c = ev->data;

    test_loop_calls++;
    test_loop_n = c->recv(c, test_loop_buf, sizeof(test_loop_buf));
    test_loop_flag = 1;
}


Test(loop, read_event_fires_and_recv_tracks_readiness)
{
    int               peer;
    dr_uint_t         nfree;
    dr_connection_t  *c;

    evfx_init(0);
    evfx_start();

    nfree = evfx.cycle.free_connection_n;

    c = test_loop_pair(&peer, test_loop_reader);
    cr_assert_eq(evfx.cycle.free_connection_n, nfree - 1);

    cr_assert_eq(dr_handle_read_event(c->read, 0), DR_OK);
    cr_assert(c->read->active);

    /* nothing to read: the loop times out without calling the handler */

    cr_assert_not(evfx_run_until(&test_loop_flag, 50));

    cr_assert_eq(write(peer, "ping", 4), 4);
    cr_assert(evfx_run_until(&test_loop_flag, 2000));

    cr_assert_eq(test_loop_calls, 1);
    cr_assert_eq(test_loop_n, 4);
    cr_assert_eq(dr_memcmp(test_loop_buf, "ping", 4), 0);

    /* a short read proves the socket drained: the next one is free */

    cr_assert_not(c->read->ready);
    cr_assert_eq(c->read->available, 0);
    cr_assert_eq(c->recv(c, test_loop_buf, 10), DR_AGAIN);

    /* the peer goes away: EOF */

    test_loop_flag = 0;
    close(peer);

    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    cr_assert_eq(test_loop_n, 0);
    cr_assert(c->read->eof);
    cr_assert(c->read->pending_eof);

    dr_close_connection(c);

    cr_assert_eq(c->fd, -1);
    cr_assert_eq(evfx.cycle.free_connection_n, nfree);
    cr_assert(c->read->closed);

    /* closing twice is a bug, and said so */

    dr_close_connection(c);
    cr_assert(evfx_log_has("connection already closed"));
}


Test(loop, edge_triggered_one_call_per_edge)
{
    int               peer;
    dr_connection_t  *c;

    evfx_init(0);
    evfx_start();

    c = test_loop_pair(&peer, test_loop_count);
    cr_assert_eq(dr_handle_read_event(c->read, 0), DR_OK);

    cr_assert_eq(write(peer, "a", 1), 1);
    cr_assert(evfx_run_until(&test_loop_flag, 2000));

    /* not read: level-triggered would call again at once, edge does not */

    test_loop_flag = 0;
    cr_assert_not(evfx_run_until(&test_loop_flag, 100));
    cr_assert_eq(test_loop_calls, 1);
    cr_assert(c->read->ready);

    cr_assert_eq(write(peer, "b", 1), 1);
    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    cr_assert_eq(test_loop_calls, 2);

    /* dr_handle_read_event() adds nothing to an active event */

    cr_assert_eq(dr_handle_read_event(c->read, 0), DR_OK);

    dr_close_connection(c);
    close(peer);
}


static dr_chain_t  *test_loop_out;
static dr_uint_t    test_loop_received;


static void
test_loop_writer(dr_event_t *ev)
{
    dr_connection_t  *c = ev->data;

    test_loop_calls++;

    test_loop_out = c->send_chain(c, test_loop_out, 0);
    cr_assert_neq(test_loop_out, DR_CHAIN_ERROR);

    if (test_loop_out) {
        cr_assert_eq(dr_handle_write_event(ev, 0), DR_OK);
    }
}


static void
test_loop_drain(dr_event_t *ev)
{
    ssize_t           n;
    dr_connection_t  *c = ev->data;

    for ( ;; ) {
        n = c->recv(c, test_loop_buf, sizeof(test_loop_buf));

        if (n == DR_AGAIN) {
            return;
        }

        cr_assert_gt(n, 0);

        for (ssize_t i = 0; i < n; i++) {
            cr_assert_eq(test_loop_buf[i],
                         (u_char) ((test_loop_received + i) % 251));
        }

        test_loop_received += n;

        if (test_loop_received == 3 * 300000) {
            test_loop_flag = 1;
            return;
        }
    }
}


Test(loop, writev_chain_resumes_on_write_events)
{
    int               peer, sndbuf;
    u_char           *data;
    dr_uint_t         i;
    dr_chain_t        cl[3];
    dr_buf_t          b[3];
    dr_connection_t  *c, *r;

    evfx_init(0);
    evfx_start();

    c = test_loop_pair(&peer, test_loop_count);
    c->send_chain = dr_writev_chain;
    c->write->handler = test_loop_writer;

    sndbuf = 4096;
    cr_assert_eq(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
                            sizeof(int)), 0);

    r = dr_get_connection(peer, &evfx.log);
    r->recv = dr_unix_recv;
    r->read->handler = test_loop_drain;
    r->read->log = &evfx.log;
    cr_assert_eq(dr_handle_read_event(r->read, 0), DR_OK);

    data = malloc(3 * 300000);
    cr_assert_not_null(data);

    for (i = 0; i < 3 * 300000; i++) {
        data[i] = (u_char) (i % 251);
    }

    for (i = 0; i < 3; i++) {
        dr_memzero(&b[i], sizeof(dr_buf_t));
        b[i].start = b[i].pos = data + i * 300000;
        b[i].end = b[i].last = data + (i + 1) * 300000;
        b[i].memory = 1;
        cl[i].buf = &b[i];
        cl[i].next = (i < 2) ? &cl[i + 1] : NULL;
    }

    test_loop_received = 0;

    c->write->ready = 1;
    test_loop_out = c->send_chain(c, cl, 0);

    /* the small socket buffer filled: the rest waits for a write event */

    cr_assert_not_null(test_loop_out);
    cr_assert_not(c->write->ready);
    cr_assert_eq(dr_handle_write_event(c->write, 0), DR_OK);

    cr_assert(evfx_run_until(&test_loop_flag, 10000));

    cr_assert_null(test_loop_out);
    cr_assert_eq(c->sent, 3 * 300000);
    cr_assert_gt(test_loop_calls, 0);
    cr_assert_eq(b[2].pos, b[2].last);

    dr_close_connection(c);
    dr_close_connection(r);
    free(data);
}


Test(loop, writev_chain_honours_limit_and_skips_special_bufs)
{
    int               peer;
    ssize_t           n;
    dr_chain_t        cl[3], *rest;
    dr_buf_t          b[3];
    dr_connection_t  *c;

    evfx_init(0);
    evfx_start();

    c = test_loop_pair(&peer, test_loop_count);

    dr_memzero(b, sizeof(b));

    b[0].pos = b[0].start = (u_char *) "hello, ";
    b[0].last = b[0].end = b[0].pos + 7;
    b[0].memory = 1;

    b[1].flush = 1;                 /* special: no data */

    b[2].pos = b[2].start = (u_char *) "world";
    b[2].last = b[2].end = b[2].pos + 5;
    b[2].memory = 1;

    cl[0].buf = &b[0]; cl[0].next = &cl[1];
    cl[1].buf = &b[1]; cl[1].next = &cl[2];
    cl[2].buf = &b[2]; cl[2].next = NULL;

    c->write->ready = 1;

    rest = dr_writev_chain(c, cl, 9);

    cr_assert_eq(rest, &cl[2]);
    cr_assert_eq(b[2].last - b[2].pos, 3);
    cr_assert_eq(c->sent, 9);

    rest = dr_writev_chain(c, rest, 0);
    cr_assert_null(rest);

    n = read(peer, test_loop_buf, sizeof(test_loop_buf));
    cr_assert_eq(n, 12);
    cr_assert_eq(dr_memcmp(test_loop_buf, "hello, world", 12), 0);

    /* a file buf has no place in writev */

    dr_memzero(&b[0], sizeof(dr_buf_t));
    b[0].in_file = 1;
    b[0].file_last = 10;
    cl[0].next = NULL;

    cr_assert_eq(dr_writev_chain(c, cl, 0), DR_CHAIN_ERROR);
    cr_assert(evfx_log_has("file buf in writev"));

    dr_close_connection(c);
    close(peer);
}


static dr_connection_t  *test_loop_accepted;


static void
test_loop_accept_handler(dr_connection_t *c)
{
    test_loop_conns[test_loop_nconns++] = c;
    test_loop_accepted = c;
    test_loop_flag = 1;
}


Test(loop, sendfile_chain_with_headers_corks_and_sends_all)
{
    int               fd, client;
    char              name[] = "/tmp/dr_test_sendfile_XXXXXX";
    size_t            total, got;
    ssize_t           n;
    u_char           *expect;
    dr_uint_t         i;
    dr_file_t         file;
    dr_buf_t          b[4];
    dr_chain_t        cl[4], *in;
    dr_listening_t   *ls;
    dr_connection_t  *c;

    evfx_init(0);
    ls = evfx_listen(0, test_loop_accept_handler);
    evfx_start();

    client = evfx_client(evfx_port(ls));
    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    c = test_loop_accepted;

    fd = mkstemp(name);
    cr_assert_neq(fd, -1);
    unlink(name);

    for (i = 0; i < 200000; i++) {
        u_char  ch = (u_char) (i % 253);
        cr_assert_eq(write(fd, &ch, 1), 1);
    }

    dr_memzero(&file, sizeof(dr_file_t));
    file.fd = fd;
    dr_str_set(&file.name, "test file");

    dr_memzero(b, sizeof(b));

    b[0].pos = b[0].start = (u_char *) "HEADER\r\n";
    b[0].last = b[0].end = b[0].pos + 8;
    b[0].memory = 1;

    /* two file parts that continue each other: sent as one */

    b[1].in_file = 1; b[1].file = &file;
    b[1].file_pos = 100; b[1].file_last = 50000;
    b[2].in_file = 1; b[2].file = &file;
    b[2].file_pos = 50000; b[2].file_last = 150000;

    b[3].pos = b[3].start = (u_char *) "TRAILER";
    b[3].last = b[3].end = b[3].pos + 7;
    b[3].memory = 1;
    b[3].last_buf = 1;

    for (i = 0; i < 4; i++) {
        cl[i].buf = &b[i];
        cl[i].next = (i < 3) ? &cl[i + 1] : NULL;
    }

    total = 8 + 149900 + 7;

    expect = malloc(total);
    dr_memcpy(expect, "HEADER\r\n", 8);
    for (i = 0; i < 149900; i++) {
        expect[8 + i] = (u_char) ((100 + i) % 253);
    }
    dr_memcpy(expect + 8 + 149900, "TRAILER", 7);

    cr_assert_eq(dr_nonblocking(client), 0);

    in = cl;
    got = 0;

    while (got < total) {

        if (in && c->write->ready) {
            in = c->send_chain(c, in, 0);
            cr_assert_neq(in, DR_CHAIN_ERROR);

            if (in == NULL) {
                /* uncork, as http does at the end of a response */
                cr_assert_eq(c->tcp_nopush, DR_TCP_NOPUSH_SET);
                cr_assert_eq(dr_tcp_push(c->fd), 0);
            }
        }

        n = recv(client, test_loop_buf, sizeof(test_loop_buf), 0);

        if (n > 0) {
            cr_assert_leq(got + n, total);
            cr_assert_eq(dr_memcmp(test_loop_buf, expect + got, n), 0,
                         "bytes %zu..%zu differ", got, got + n);
            got += n;
        }

        if (in && !c->write->ready) {
            cr_assert_eq(dr_handle_write_event(c->write, 0), DR_OK);
            c->write->handler = test_loop_count;
            test_loop_flag = 0;
            (void) evfx_run_until(&test_loop_flag, 20);
        }

        if (in == NULL && n == 0) {
            break;
        }
    }

    cr_assert_eq(got, total);
    cr_assert_null(in);
    cr_assert_eq(c->sent, (off_t) total);

    dr_close_connection(c);
    dr_destroy_pool(c->pool);
    close(client);
    close(fd);
    free(expect);
}


Test(loop, sendfile_of_a_truncated_file_is_an_error)
{
    int               fd, client;
    char              name[] = "/tmp/dr_test_sendfile_XXXXXX";
    dr_file_t         file;
    dr_buf_t          b;
    dr_chain_t        cl;
    dr_listening_t   *ls;
    dr_connection_t  *c;

    evfx_init(0);
    ls = evfx_listen(0, test_loop_accept_handler);
    evfx_start();

    client = evfx_client(evfx_port(ls));
    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    c = test_loop_accepted;

    fd = mkstemp(name);
    unlink(name);
    cr_assert_eq(write(fd, "short", 5), 5);

    dr_memzero(&file, sizeof(dr_file_t));
    file.fd = fd;
    dr_str_set(&file.name, "truncated");

    dr_memzero(&b, sizeof(dr_buf_t));
    b.in_file = 1;
    b.file = &file;
    b.file_pos = 1000;
    b.file_last = 2000;
    cl.buf = &b;
    cl.next = NULL;

    cr_assert_eq(c->send_chain(c, &cl, 0), DR_CHAIN_ERROR);
    cr_assert(evfx_log_has("sendfile() reported that \"truncated\" was "
                           "truncated at 1000"));

    dr_close_connection(c);
    dr_destroy_pool(c->pool);
    close(client);
    close(fd);
}


Test(loop, accept_sets_up_the_connection_and_hands_it_over)
{
    int               client;
    in_port_t         port;
    dr_listening_t   *ls;
    dr_connection_t  *c;
    dr_pool_t        *pool;

    evfx_init(0);
    ls = evfx_listen(0, test_loop_accept_handler);
    ls->pool_size = 1024;
    evfx_start();

    cr_assert_not_null(ls->connection);
    cr_assert(ls->connection->read->accept);
    cr_assert(ls->connection->read->active);

    port = evfx_port(ls);
    client = evfx_client(port);

    cr_assert(evfx_run_until(&test_loop_flag, 2000));

    c = test_loop_accepted;

    cr_assert_eq(c->listening, ls);
    cr_assert_not_null(c->pool);
    cr_assert_eq(c->type, SOCK_STREAM);
    cr_assert(c->addr_text.len == sizeof("127.0.0.1") - 1
              && dr_memcmp(c->addr_text.data, "127.0.0.1", 9) == 0);
    cr_assert_eq(c->sockaddr->sa_family, AF_INET);
    cr_assert_eq(c->local_sockaddr, ls->sockaddr);
    cr_assert_gt(c->number, 0);
    cr_assert_eq(c->log->connection, c->number);
    cr_assert_null(c->log->handler);
    cr_assert(c->write->ready);
    cr_assert_not(c->read->ready);
    cr_assert_eq(c->recv, dr_unix_recv);
    cr_assert_eq(c->send_chain, dr_linux_sendfile_chain);

    /* the peer talks */

    c->read->handler = test_loop_reader;
    cr_assert_eq(dr_handle_read_event(c->read, 0), DR_OK);

    test_loop_flag = 0;
    cr_assert_eq(write(client, "hello", 5), 5);
    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    cr_assert_eq(test_loop_n, 5);

    /* the answer */

    cr_assert_eq(c->send(c, (u_char *) "bye", 3), 3);
    cr_assert_eq(read(client, test_loop_buf, 3), 3);
    cr_assert_eq(dr_memcmp(test_loop_buf, "bye", 3), 0);

    /* the local address of a wildcard-less listener is the listener's */

    {
        u_char    text[DR_SOCKADDR_STRLEN];
        dr_str_t  s = { DR_SOCKADDR_STRLEN, text };

        cr_assert_eq(dr_connection_local_sockaddr(c, &s, 1), DR_OK);
        cr_assert(s.len > sizeof("127.0.0.1:") - 1);
        cr_assert_eq(dr_memcmp(text, "127.0.0.1:", 10), 0);
    }

    cr_assert_eq(dr_tcp_nodelay(c), DR_OK);
    cr_assert_eq(c->tcp_nodelay, DR_TCP_NODELAY_SET);

    pool = c->pool;
    dr_close_connection(c);
    dr_destroy_pool(pool);
    close(client);
}


Test(loop, multi_accept_takes_the_whole_backlog_at_once)
{
    int                client[3];
    dr_uint_t          i;
    dr_listening_t    *ls;
    dr_event_conf_t   *ecf;

    evfx_init(0);
    ls = evfx_listen(0, test_loop_accept_handler);
    evfx_start();

    for (i = 0; i < 3; i++) {
        client[i] = evfx_client(evfx_port(ls));
    }

    /* off: one per wakeup, the level-triggered socket wakes us again */

    dr_process_events_and_timers(&evfx.cycle);
    cr_assert_eq(test_loop_nconns, 1);

    dr_process_events_and_timers(&evfx.cycle);
    dr_process_events_and_timers(&evfx.cycle);
    cr_assert_eq(test_loop_nconns, 3);

    /* on: all at once */

    ecf = dr_event_get_conf(evfx.cycle.conf_ctx, dr_event_core_module);
    ecf->multi_accept = 1;

    for (i = 0; i < 3; i++) {
        close(client[i]);
        client[i] = evfx_client(evfx_port(ls));
    }

    dr_process_events_and_timers(&evfx.cycle);
    cr_assert_eq(test_loop_nconns, 6);

    /* connection numbers are unique and increasing */

    for (i = 1; i < 6; i++) {
        cr_assert_gt(test_loop_conns[i]->number,
                     test_loop_conns[i - 1]->number);
    }

    for (i = 0; i < 3; i++) {
        close(client[i]);
    }
}


Test(loop, emfile_pauses_accepting_then_resumes)
{
    int                client, fd;
    struct rlimit      rl, low;
    dr_listening_t    *ls;
    dr_event_conf_t   *ecf;

    evfx_init(0);
    ls = evfx_listen(0, test_loop_accept_handler);
    evfx_start();

    ecf = dr_event_get_conf(evfx.cycle.conf_ctx, dr_event_core_module);
    ecf->accept_mutex_delay = 100;

    client = evfx_client(evfx_port(ls));

    /* the lowest free descriptor becomes the limit: accept4() fails */

    fd = dup(0);
    cr_assert_neq(fd, -1);
    close(fd);

    cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
    low = rl;
    low.rlim_cur = (rlim_t) fd;
    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);

    dr_process_events_and_timers(&evfx.cycle);

    cr_assert_eq(test_loop_nconns, 0);
    cr_assert(evfx_log_has("[crit]"));
    cr_assert(evfx_log_has("accept4() failed (24: "));
    cr_assert_not(ls->connection->read->active);
    cr_assert(ls->connection->read->timer_set);

    cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);

    /* after accept_mutex_delay the socket is watched again */

    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    cr_assert_eq(test_loop_nconns, 1);
    cr_assert(ls->connection->read->active);

    close(client);
}


static void
test_loop_fail(dr_event_t *ev)
{
    (void) ev;

    cr_assert_fail("a stale event reached a reused slot");
}


static dr_connection_t  *test_loop_victim[2];
static dr_connection_t  *test_loop_reused;
static int               test_loop_reuse_peer;


static void
test_loop_close_other(dr_event_t *ev)
{
    int               other;
    dr_connection_t  *c = ev->data;

    test_loop_calls++;

    other = (c == test_loop_victim[0]) ? 1 : 0;

    if (test_loop_victim[other]->fd == -1) {
        return;
    }

    dr_close_connection(test_loop_victim[other]);

    /* the freed slot is taken at once by a new socket, watched too */

    test_loop_reused = test_loop_pair(&test_loop_reuse_peer, test_loop_fail);
    cr_assert_eq(test_loop_reused, test_loop_victim[other]);
    cr_assert_eq(dr_handle_read_event(test_loop_reused->read, 0), DR_OK);
}


Test(loop, stale_events_of_a_closed_connection_are_dropped)
{
    int  peer[2];

    evfx_init(0);
    evfx_start();

    test_loop_victim[0] = test_loop_pair(&peer[0], test_loop_close_other);
    test_loop_victim[1] = test_loop_pair(&peer[1], test_loop_close_other);

    cr_assert_eq(dr_handle_read_event(test_loop_victim[0]->read, 0), DR_OK);
    cr_assert_eq(dr_handle_read_event(test_loop_victim[1]->read, 0), DR_OK);

    /* both readable before the loop turns: one epoll_wait() batch */

    cr_assert_eq(write(peer[0], "x", 1), 1);
    cr_assert_eq(write(peer[1], "y", 1), 1);

    dr_process_events_and_timers(&evfx.cycle);

    cr_assert_eq(test_loop_calls, 1);
    cr_assert_not_null(test_loop_reused);
}


static dr_event_t  test_loop_timer_ev;
static dr_event_t  test_loop_posted_ev;
static dr_msec_t   test_loop_fired_at;


static void
test_loop_timer_handler(dr_event_t *ev)
{
    cr_assert(ev->timedout);

    test_loop_fired_at = dr_current_msec;

    /* posted now, run in this same turn after the timers */

    dr_post_event(&test_loop_posted_ev, &dr_posted_events);
}


Test(loop, timers_fire_in_the_loop_and_posted_events_follow)
{
    dr_msec_t  start;

    evfx_init(0);
    evfx_start();

    dr_memzero(&test_loop_timer_ev, sizeof(dr_event_t));
    test_loop_timer_ev.handler = test_loop_timer_handler;
    test_loop_timer_ev.log = &evfx.log;

    dr_memzero(&test_loop_posted_ev, sizeof(dr_event_t));
    test_loop_posted_ev.handler = test_loop_count;
    test_loop_posted_ev.log = &evfx.log;

    start = dr_current_msec;
    dr_event_add_timer(&test_loop_timer_ev, 60);

    /* no I/O at all: epoll_wait() sleeps until the timer */

    dr_process_events_and_timers(&evfx.cycle);

    cr_assert_geq(test_loop_fired_at - start, 60);
    cr_assert_lt(test_loop_fired_at - start, 1000);
    cr_assert_eq(test_loop_calls, 1);
    cr_assert_not(test_loop_posted_ev.posted);
}


static dr_connection_t  *test_loop_connected;


static void
test_loop_connect_done(dr_event_t *ev)
{
    test_loop_connected = ev->data;
    test_loop_flag = 1;
}


Test(loop, connect_peer_reaches_a_listener)
{
    dr_int_t               rc;
    dr_str_t               name = dr_string("127.0.0.1:port");
    dr_listening_t        *ls;
    struct sockaddr_in     sin;
    dr_peer_connection_t   pc;

    evfx_init(0);
    ls = evfx_listen(0, test_loop_accept_handler);
    evfx_start();

    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(evfx_port(ls));
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    dr_memzero(&pc, sizeof(pc));
    pc.sockaddr = (struct sockaddr *) &sin;
    pc.socklen = sizeof(sin);
    pc.name = &name;
    pc.get = dr_event_get_peer;
    pc.log = &evfx.log;

    rc = dr_event_connect_peer(&pc);

    cr_assert(rc == DR_OK || rc == DR_AGAIN, "rc %d", (int) rc);
    cr_assert_not_null(pc.connection);
    cr_assert(pc.connection->read->active && pc.connection->write->active);
    cr_assert(pc.connection->sendfile);

    if (rc == DR_AGAIN) {
        pc.connection->write->handler = test_loop_connect_done;
        pc.connection->read->handler = test_loop_fail;
        cr_assert(evfx_run_until(&test_loop_flag, 2000));
        cr_assert_eq(test_loop_connected, pc.connection);
    }

    cr_assert(pc.connection->write->ready);

    /* and the listener took it (maybe in the same turn) */

    if (test_loop_nconns == 0) {
        test_loop_flag = 0;
        cr_assert(evfx_run_until(&test_loop_flag, 2000));
    }

    cr_assert_eq(test_loop_nconns, 1);

    dr_close_connection(pc.connection);
}


static dr_int_t
test_loop_get_busy(dr_peer_connection_t *pc, void *data)
{
    (void) pc;
    (void) data;

    return DR_BUSY;
}


Test(loop, connect_peer_refused_is_declined)
{
    int                    s, err;
    dr_int_t               rc;
    socklen_t              len;
    dr_str_t               name = dr_string("127.0.0.1:closed");
    struct sockaddr_in     sin;
    dr_peer_connection_t   pc;

    evfx_init(0);
    evfx_start();

    /* a port nobody listens on */

    s = socket(AF_INET, SOCK_STREAM, 0);
    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s, (struct sockaddr *) &sin, sizeof(sin)), 0);
    len = sizeof(sin);
    cr_assert_eq(getsockname(s, (struct sockaddr *) &sin, &len), 0);
    close(s);

    dr_memzero(&pc, sizeof(pc));
    pc.sockaddr = (struct sockaddr *) &sin;
    pc.socklen = sizeof(sin);
    pc.name = &name;
    pc.get = dr_event_get_peer;
    pc.log = &evfx.log;

    rc = dr_event_connect_peer(&pc);

    if (rc == DR_DECLINED) {
        cr_assert_null(pc.connection);
        cr_assert(evfx_log_has("connect() to 127.0.0.1:closed failed"));
        cr_assert(evfx_log_has("[error]"));

    } else {
        cr_assert_eq(rc, DR_AGAIN);

        pc.connection->write->handler = test_loop_connect_done;
        pc.connection->read->handler = test_loop_connect_done;
        cr_assert(evfx_run_until(&test_loop_flag, 2000));

        err = 0;
        len = sizeof(int);
        cr_assert_eq(getsockopt(pc.connection->fd, SOL_SOCKET, SO_ERROR,
                                &err, &len), 0);
        cr_assert_eq(err, ECONNREFUSED);

        dr_close_connection(pc.connection);
    }

    /* the balancer has nothing: connect() is not even tried */

    pc.get = test_loop_get_busy;
    pc.connection = NULL;
    cr_assert_eq(dr_event_connect_peer(&pc), DR_BUSY);
    cr_assert_null(pc.connection);
}


static void
test_loop_closer(dr_event_t *ev)
{
    dr_connection_t  *c = ev->data;

    test_loop_calls++;

    if (c->close) {
        if (c->error) {
            test_loop_flag = 1;
        }

        dr_close_connection(c);
    }
}


Test(loop, reusable_connections_are_drained_when_slots_run_out)
{
    int               peer[8], i, s;
    dr_connection_t  *c;

    evfx_init(8);
    evfx_start();

    cr_assert_eq(evfx.cycle.free_connection_n, 8);

    for (i = 0; i < 8; i++) {
        c = test_loop_pair(&peer[i], test_loop_closer);
        dr_reusable_connection(c, 1);
    }

    cr_assert_eq(evfx.cycle.free_connection_n, 0);
    cr_assert_eq(evfx.cycle.reusable_connections_n, 8);

    /* a ninth socket: the oldest keep-alive one is asked to close */

    s = dup(peer[0]);
    c = dr_get_connection(s, &evfx.log);

    cr_assert_not_null(c);
    cr_assert_eq(test_loop_calls, 1);
    cr_assert_eq(evfx.cycle.reusable_connections_n, 7);
    cr_assert(evfx_log_has("8 worker_connections are not enough, "
                           "reusing connections"));

    dr_close_connection(c);

    /* nothing reusable left: the table is full */

    for (i = 0; i < 8; i++) {
        if (evfx.cycle.connections[i].fd != -1) {
            dr_reusable_connection(&evfx.cycle.connections[i], 0);
        }
    }

    while (evfx.cycle.free_connection_n) {
        cr_assert_not_null(dr_get_connection(dup(peer[1]), &evfx.log));
    }

    cr_assert_null(dr_get_connection(peer[1], &evfx.log));
    cr_assert(evfx_log_has("[alert]"));
    cr_assert(evfx_log_has("8 worker_connections are not enough"));
}


Test(loop, graceful_shutdown_closes_idle_then_the_rest_on_timeout)
{
    int               client[2];
    dr_listening_t   *ls;
    dr_connection_t  *idle, *busy;

    evfx_init(0);
    evfx.ccf.shutdown_timeout = 100;
    ls = evfx_listen(0, test_loop_accept_handler);
    evfx_start();

    client[0] = evfx_client(evfx_port(ls));
    client[1] = evfx_client(evfx_port(ls));

    while (test_loop_nconns < 2) {
        dr_process_events_and_timers(&evfx.cycle);
    }

    idle = test_loop_conns[0];
    busy = test_loop_conns[1];

    idle->idle = 1;
    idle->read->handler = test_loop_closer;
    busy->read->handler = test_loop_closer;

    dr_event_shutdown(&evfx.cycle);

    cr_assert(dr_exiting);
    cr_assert_eq(idle->fd, -1);
    cr_assert_neq(busy->fd, -1);
    cr_assert_eq(evfx.cycle.listening.nelts, 0);

    /* the shutdown timer is cancelable: it does not hold the exit */

    cr_assert_eq(dr_event_no_timers_left(), DR_OK);

    /* new clients are refused now */

    {
        int                 s;
        struct sockaddr_in  sin;

        s = socket(AF_INET, SOCK_STREAM, 0);
        dr_memzero(&sin, sizeof(sin));
        sin.sin_family = AF_INET;
        sin.sin_port = ((struct sockaddr_in *) ls->sockaddr)->sin_port;
        sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        cr_assert_eq(connect(s, (struct sockaddr *) &sin, sizeof(sin)), -1);
        close(s);
    }

    /* worker_shutdown_timeout: the rest is closed with c->error set */

    test_loop_flag = 0;
    cr_assert(evfx_run_until(&test_loop_flag, 2000));
    cr_assert_eq(busy->fd, -1);

    /* idempotent */

    dr_event_shutdown(&evfx.cycle);

    close(client[0]);
    close(client[1]);
}


Test(loop, accept_mutex_takes_turns_between_workers)
{
    int                 client;
    dr_listening_t     *ls;
    dr_event_conf_t    *ecf;
    dr_process_role_t  *role;

    evfx_init(0);

    evfx.ccf.master = 1;
    evfx.ccf.worker_processes = 2;
    ecf = dr_event_get_conf(evfx.cycle.conf_ctx, dr_event_core_module);
    ecf->accept_mutex = 1;
    ecf->accept_mutex_delay = 50;

    ls = evfx_listen(0, test_loop_accept_handler);

    /* the master's part: the worker role and the shared page */

    cr_assert_eq(dr_event_core_module.init_module(&evfx.cycle), DR_OK);

    role = dr_cycle_find_role(&evfx.cycle, "worker process");
    cr_assert_not_null(role);
    cr_assert_eq(role->count, 2);
    cr_assert_eq(role->run, dr_event_worker_run);
    cr_assert_not_null(dr_accept_mutex_ptr);

    dr_process = DR_PROCESS_WORKER;
    evfx_start();

    cr_assert(dr_use_accept_mutex);
    cr_assert_not(ls->connection->read->active);

    /* another worker holds the mutex: we wait at most the delay */

    *dr_accept_mutex.lock = 999999;

    client = evfx_client(evfx_port(ls));

    dr_process_events_and_timers(&evfx.cycle);
    cr_assert_eq(test_loop_nconns, 0);
    cr_assert_not(dr_accept_mutex_held);

    /* it died: the master releases the mutex, we take it and accept */

    dr_event_accept_mutex_release(999999);
    cr_assert_eq(*dr_accept_mutex.lock, 0);

    dr_process_events_and_timers(&evfx.cycle);
    cr_assert(dr_accept_mutex_held);
    cr_assert(ls->connection->read->active);

    while (test_loop_nconns == 0) {
        dr_process_events_and_timers(&evfx.cycle);
    }

    /* released at the end of each turn, still "held" until lost */

    cr_assert_eq(*dr_accept_mutex.lock, 0);

    *dr_accept_mutex.lock = 999999;
    dr_process_events_and_timers(&evfx.cycle);
    cr_assert_not(dr_accept_mutex_held);
    cr_assert_not(ls->connection->read->active);

    close(client);
}


Test(loop, timer_resolution_wakes_the_loop_with_sigalrm)
{
    dr_msec_t  start;

    evfx_init(0);
    evfx.ccf.timer_resolution = 20;
    evfx_start();

    dr_memzero(&test_loop_timer_ev, sizeof(dr_event_t));
    test_loop_timer_ev.handler = test_loop_timer_handler;
    test_loop_timer_ev.log = &evfx.log;

    dr_memzero(&test_loop_posted_ev, sizeof(dr_event_t));
    test_loop_posted_ev.handler = test_loop_count;
    test_loop_posted_ev.log = &evfx.log;

    start = dr_current_msec;
    dr_event_add_timer(&test_loop_timer_ev, 50);

    /* epoll_wait() waits without a timeout: only SIGALRM ends each wait */

    while (test_loop_calls == 0) {
        dr_process_events_and_timers(&evfx.cycle);
        cr_assert_lt(dr_current_msec - start, 2000);
    }

    cr_assert_geq(test_loop_fired_at - start, 50);
    cr_assert_not(evfx_log_has("epoll_wait() failed"));
}
