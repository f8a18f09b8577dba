/*
 * Non-blocking connect() for the proxy and the ZooKeeper client.
 *
 * The socket is registered with epoll (both directions, edge-triggered)
 * before connect() so that completion is reported as a write event, like
 * any later write readiness. Errors that mean "this peer, not us"
 * (refused, reset, unreachable, a full unix socket backlog) return
 * DR_DECLINED so that the caller's balancer can try the next peer; the
 * others are local failures. Runs in a process with an event loop.
 */

#include "dr_event.h"


dr_int_t
dr_event_connect_peer(dr_peer_connection_t *pc)
{
    int                rc, type, value;
    dr_err_t           err;
    dr_uint_t          level;
    dr_socket_t        s;
    dr_connection_t   *c;

    rc = (int) pc->get(pc, pc->data);
    if (rc != DR_OK) {
        return rc;
    }

    type = pc->type ? pc->type : SOCK_STREAM;

    s = socket(pc->sockaddr->sa_family, type | SOCK_NONBLOCK | SOCK_CLOEXEC,
               0);

    dr_log_debug(pc->log, "socket %d", s);

    if (s == (dr_socket_t) -1) {
        dr_log_error(DR_LOG_ALERT, pc->log, dr_socket_errno,
                     "socket() failed");
        return DR_ERROR;
    }

    c = dr_get_connection(s, pc->log);

    if (c == NULL) {
        if (close(s) == -1) {
            dr_log_error(DR_LOG_ALERT, pc->log, dr_socket_errno,
                         "close() failed");
        }

        return DR_ERROR;
    }

    c->type = type;

    if (pc->rcvbuf) {
        if (setsockopt(s, SOL_SOCKET, SO_RCVBUF,
                       (const void *) &pc->rcvbuf, sizeof(int)) == -1)
        {
            dr_log_error(DR_LOG_ALERT, pc->log, dr_socket_errno,
                         "setsockopt(SO_RCVBUF) failed");
            goto failed;
        }
    }

    if (pc->so_keepalive) {
        value = 1;

        if (setsockopt(s, SOL_SOCKET, SO_KEEPALIVE,
                       (const void *) &value, sizeof(int)) == -1)
        {
            dr_log_error(DR_LOG_ALERT, pc->log, dr_socket_errno,
                         "setsockopt(SO_KEEPALIVE) failed, ignored");
        }
    }

    if (pc->local) {

        /* a source address without a port: let connect() pick the port */

        if (pc->sockaddr->sa_family != AF_UNIX
            && dr_inet_get_port(pc->local->sockaddr) == 0)
        {
            value = 1;

            if (setsockopt(s, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT,
                           (const void *) &value, sizeof(int)) == -1)
            {
                err = dr_socket_errno;

                if (err != EOPNOTSUPP && err != ENOPROTOOPT) {
                    dr_log_error(DR_LOG_CRIT, pc->log, err,
                                 "setsockopt(IP_BIND_ADDRESS_NO_PORT) "
                                 "failed, ignored");
                }
            }
        }

        if (bind(s, pc->local->sockaddr, pc->local->socklen) == -1) {
            dr_log_error(DR_LOG_CRIT, pc->log, dr_socket_errno,
                         "bind(%V) failed", &pc->local->name);
            goto failed;
        }
    }

    c->recv = dr_unix_recv;
    c->send = dr_unix_send;
    c->send_chain = dr_linux_sendfile_chain;
    c->sendfile = 1;

    if (pc->sockaddr->sa_family == AF_UNIX) {
        c->tcp_nopush = DR_TCP_NOPUSH_DISABLED;
        c->tcp_nodelay = DR_TCP_NODELAY_DISABLED;
    }

    c->log_error = pc->log_error;

    c->read->log = pc->log;
    c->write->log = pc->log;

    pc->connection = c;

    c->number = dr_atomic_fetch_add(dr_connection_counter, 1);
    c->start_time = dr_current_msec;

    if (dr_add_conn(c) == DR_ERROR) {
        goto failed;
    }

    dr_log_debug(pc->log, "connect to %V, fd:%d #%uL", pc->name, s,
                 (uint64_t) c->number);

    rc = connect(s, pc->sockaddr, pc->socklen);

    if (rc == -1) {
        err = dr_socket_errno;

        if (err == DR_EINPROGRESS) {
            return DR_AGAIN;
        }

        if (err == DR_ECONNREFUSED

            /* Linux: a unix socket whose backlog is full */
            || err == DR_EAGAIN

            || err == DR_ECONNRESET
            || err == ENETDOWN
            || err == ENETUNREACH
            || err == EHOSTDOWN
            || err == EHOSTUNREACH)
        {
            level = DR_LOG_ERR;

        } else {
            level = DR_LOG_CRIT;
        }

        dr_log_error(level, c->log, err, "connect() to %V failed", pc->name);

        dr_close_connection(c);
        pc->connection = NULL;

        return DR_DECLINED;
    }

    dr_log_debug(pc->log, "connected");

    c->write->ready = 1;

    return DR_OK;

failed:

    dr_close_connection(c);
    pc->connection = NULL;

    return DR_ERROR;
}


dr_int_t
dr_event_get_peer(dr_peer_connection_t *pc, void *data)
{
    (void) pc;
    (void) data;

    return DR_OK;
}
