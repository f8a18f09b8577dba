/*
 * The connection table of a process.
 *
 * cycle->connections, read_events and write_events are three arrays of
 * worker_connections entries allocated once by the event module's
 * init_process hook (dr_event.c); free slots are chained through c->data.
 * A slot outlives many sockets: dr_get_connection() zeroes it and flips
 * the events' <instance> bit so that epoll results still queued for the
 * slot's previous socket are recognised as stale (dr_epoll.c).
 *
 * Keep-alive connections waiting for their next request are "reusable": on
 * shortage the oldest are asked to close (their read handler runs with
 * c->close set), as nginx does, rather than refusing new clients. Only the
 * owner of a connection (http, proxy, keeper) closes it; this file never
 * frees a connection's pool.
 */

#include "dr_event.h"


static time_t  dr_connection_reuse_time;


dr_connection_t *
dr_get_connection(dr_socket_t s, dr_log_t *log)
{
    dr_uint_t          instance;
    dr_event_t        *rev, *wev;
    dr_cycle_t        *cycle;
    dr_connection_t   *c;

    cycle = (dr_cycle_t *) dr_cycle;

    /* when slots run low (1/16 left), idle keep-alive ones make room */

    dr_drain_connections(cycle);

    c = cycle->free_connections;

    if (c == NULL) {
        dr_log_error(DR_LOG_ALERT, log, 0,
                     "%ui worker_connections are not enough",
                     cycle->connection_n);
        return NULL;
    }

    cycle->free_connections = c->data;
    cycle->free_connection_n--;

    rev = c->read;
    wev = c->write;

    dr_memzero(c, sizeof(dr_connection_t));

    c->read = rev;
    c->write = wev;
    c->fd = s;
    c->log = log;

    instance = rev->instance;

    dr_memzero(rev, sizeof(dr_event_t));
    dr_memzero(wev, sizeof(dr_event_t));

    rev->instance = !instance;
    wev->instance = !instance;

    rev->data = c;
    wev->data = c;

    wev->write = 1;

    return c;
}


void
dr_free_connection(dr_connection_t *c)
{
    dr_cycle_t  *cycle;

    cycle = (dr_cycle_t *) dr_cycle;

    c->data = cycle->free_connections;
    cycle->free_connections = c;
    cycle->free_connection_n++;
}


void
dr_close_connection(dr_connection_t *c)
{
    dr_err_t      err;
    dr_uint_t     log_error, level;
    dr_socket_t   fd;

    if (c->fd == (dr_socket_t) -1) {
        dr_log_error(DR_LOG_ALERT, c->log, 0, "connection already closed");
        return;
    }

    if (c->read->timer_set) {
        dr_event_del_timer(c->read);
    }

    if (c->write->timer_set) {
        dr_event_del_timer(c->write);
    }

    if (!c->shared) {
        (void) dr_del_conn(c, DR_CLOSE_EVENT);

    } else if (c->read->active || c->write->active) {
        /* the fd stays open elsewhere: its registration would too */
        (void) dr_del_conn(c, 0);
    }

    if (c->read->posted) {
        dr_delete_posted_event(c->read);
    }

    if (c->write->posted) {
        dr_delete_posted_event(c->write);
    }

    c->read->closed = 1;
    c->write->closed = 1;

    dr_reusable_connection(c, 0);

    log_error = c->log_error;

    dr_free_connection(c);

    fd = c->fd;
    c->fd = (dr_socket_t) -1;

    if (c->shared) {
        return;
    }

    if (close(fd) == -1) {
        err = dr_socket_errno;

        if (err == DR_ECONNRESET || err == DR_ENOTCONN) {

            switch (log_error) {

            case DR_ERROR_INFO:
                level = DR_LOG_INFO;
                break;

            case DR_ERROR_ERR:
                level = DR_LOG_ERR;
                break;

            default:
                level = DR_LOG_CRIT;
            }

        } else {
            level = DR_LOG_CRIT;
        }

        dr_log_error(level, c->log, err, "close() socket %d failed", fd);
    }
}


void
dr_reusable_connection(dr_connection_t *c, dr_uint_t reusable)
{
    dr_cycle_t  *cycle;

    cycle = (dr_cycle_t *) dr_cycle;

    if (c->reusable) {
        dr_queue_remove(&c->queue);
        cycle->reusable_connections_n--;
    }

    c->reusable = reusable;

    if (reusable) {
        dr_queue_insert_head(&cycle->reusable_connections_queue, &c->queue);
        cycle->reusable_connections_n++;
    }
}


void
dr_drain_connections(dr_cycle_t *cycle)
{
    dr_uint_t          i, n;
    dr_queue_t        *q;
    dr_connection_t   *c;

    if (cycle->free_connection_n > cycle->connection_n / 16
        || cycle->reusable_connections_n == 0)
    {
        return;
    }

    if (dr_connection_reuse_time != dr_time()) {
        dr_connection_reuse_time = dr_time();

        dr_log_error(DR_LOG_WARN, cycle->log, 0,
                     "%ui worker_connections are not enough, "
                     "reusing connections", cycle->connection_n);
    }

    c = NULL;
    n = dr_max(dr_min(32, cycle->reusable_connections_n / 8), 1);

    for (i = 0; i < n; i++) {
        if (dr_queue_empty(&cycle->reusable_connections_queue)) {
            break;
        }

        q = dr_queue_last(&cycle->reusable_connections_queue);
        c = dr_queue_data(q, dr_connection_t, queue);

        dr_log_debug(c->log, "reusing connection");

        c->close = 1;
        c->read->handler(c->read);
    }

    if (cycle->free_connection_n == 0 && c && c->reusable) {

        /*
         * no slot came free: the last one asked may have moved on to a
         * lingering close, which a second request finishes
         */

        dr_log_debug(c->log, "reusing connection again");

        c->close = 1;
        c->read->handler(c->read);
    }
}


void
dr_close_idle_connections(dr_cycle_t *cycle)
{
    dr_uint_t          i;
    dr_connection_t   *c;

    c = cycle->connections;

    if (c == NULL) {
        return;
    }

    for (i = 0; i < cycle->connection_n; i++) {

        if (c[i].fd != (dr_socket_t) -1 && c[i].idle) {
            c[i].close = 1;
            c[i].read->handler(c[i].read);
        }
    }
}


dr_int_t
dr_connection_error(dr_connection_t *c, dr_err_t err, char *text)
{
    dr_uint_t  level;

    if (err == DR_ECONNRESET && c->log_error == DR_ERROR_IGNORE_ECONNRESET) {
        return 0;
    }

    if (err == DR_EINVAL && c->log_error == DR_ERROR_IGNORE_EINVAL) {
        return 0;
    }

    if (err == 0
        || err == DR_ECONNRESET
        || err == DR_EPIPE
        || err == DR_ENOTCONN
        || err == DR_ETIMEDOUT
        || err == DR_ECONNREFUSED
        || err == ENETDOWN
        || err == ENETUNREACH
        || err == EHOSTDOWN
        || err == EHOSTUNREACH)
    {
        switch (c->log_error) {

        case DR_ERROR_IGNORE_EINVAL:
        case DR_ERROR_IGNORE_ECONNRESET:
        case DR_ERROR_INFO:
            level = DR_LOG_INFO;
            break;

        default:
            level = DR_LOG_ERR;
        }

    } else {
        level = DR_LOG_ALERT;
    }

    dr_log_error(level, c->log, err, "%s", text);

    return DR_ERROR;
}


dr_int_t
dr_connection_local_sockaddr(dr_connection_t *c, dr_str_t *s, dr_uint_t port)
{
    socklen_t      len;
    dr_sockaddr_t  sa;

    if (c->local_socklen == 0
        || (c->local_sockaddr->sa_family != AF_UNIX
            && dr_inet_wildcard(c->local_sockaddr)))
    {
        len = sizeof(dr_sockaddr_t);

        if (getsockname(c->fd, &sa.sockaddr, &len) == -1) {
            dr_connection_error(c, dr_socket_errno, "getsockname() failed");
            return DR_ERROR;
        }

        if (len > (socklen_t) sizeof(dr_sockaddr_t)) {
            len = sizeof(dr_sockaddr_t);
        }

        c->local_sockaddr = dr_palloc(c->pool, len);
        if (c->local_sockaddr == NULL) {
            return DR_ERROR;
        }

        dr_memcpy(c->local_sockaddr, &sa, len);

        c->local_socklen = len;
    }

    if (s == NULL) {
        return DR_OK;
    }

    s->len = dr_sock_ntop(c->local_sockaddr, c->local_socklen, s->data,
                          s->len, port);

    return DR_OK;
}


dr_int_t
dr_tcp_nodelay(dr_connection_t *c)
{
    int  tcp_nodelay;

    if (c->tcp_nodelay != DR_TCP_NODELAY_UNSET) {
        return DR_OK;
    }

    tcp_nodelay = 1;

    if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY,
                   (const void *) &tcp_nodelay, sizeof(int))
        == -1)
    {
        dr_connection_error(c, dr_socket_errno,
                            "setsockopt(TCP_NODELAY) failed");
        return DR_ERROR;
    }

    c->tcp_nodelay = DR_TCP_NODELAY_SET;

    return DR_OK;
}
