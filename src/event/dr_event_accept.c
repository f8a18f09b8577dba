/*
 * Accepting connections (workers, keeper, single process).
 *
 * A listening socket's read event runs dr_event_accept(): accept4() as
 * many connections as multi_accept allows, give each a slot of the table,
 * its own pool (ls->pool_size), its own copy of the listening log, a
 * number (shared counter: "*N" is unique across the workers of a master)
 * and its peer's address text, then hand it to ls->handler (http, keeper),
 * which owns it from then on.
 *
 * Out of file descriptors (EMFILE/ENFILE), accepting is paused for
 * accept_mutex_delay instead of spinning on a socket that stays readable.
 * With EPOLLEXCLUSIVE the kernel wakes the first waiter on the socket,
 * so every 16th accept (or whenever this worker is loaded) the socket is
 * re-added at the end of the queue to let the other workers have a turn.
 */

#include "dr_event.h"


static void dr_event_reorder_accept_events(dr_listening_t *ls);
static void dr_event_close_accepted(dr_connection_t *c);


void
dr_event_accept(dr_event_t *ev)
{
    size_t             len;
    socklen_t          socklen;
    dr_err_t           err;
    dr_log_t          *log;
    dr_uint_t          level;
    dr_cycle_t        *cycle;
    dr_socket_t        s;
    dr_event_t        *rev, *wev;
    dr_sockaddr_t      sa;
    dr_listening_t    *ls;
    dr_connection_t   *c, *lc;
    dr_event_conf_t   *ecf;

    cycle = (dr_cycle_t *) dr_cycle;

    if (ev->timedout) {

        /* the pause after EMFILE/ENFILE is over */

        if (dr_enable_accept_events(cycle) != DR_OK) {
            return;
        }

        ev->timedout = 0;
    }

    ecf = dr_event_get_conf(cycle->conf_ctx, dr_event_core_module);

    ev->available = ecf->multi_accept;

    lc = ev->data;
    ls = lc->listening;
    ev->ready = 0;

    dr_log_debug(ev->log, "accept on %V, ready: %d", &ls->addr_text,
                 ev->available);

    do {
        socklen = sizeof(dr_sockaddr_t);

        s = accept4(lc->fd, &sa.sockaddr, &socklen, SOCK_NONBLOCK);

        if (s == (dr_socket_t) -1) {
            err = dr_socket_errno;

            if (err == DR_EAGAIN) {
                dr_log_debug(ev->log, "accept() not ready");
                return;
            }

            level = DR_LOG_ALERT;

            if (err == DR_ECONNABORTED) {
                level = DR_LOG_ERR;

            } else if (err == DR_EMFILE || err == DR_ENFILE) {
                level = DR_LOG_CRIT;
            }

            dr_log_error(level, ev->log, err, "accept4() failed");

            if (err == DR_ECONNABORTED && ev->available) {
                continue;
            }

            if (err == DR_EMFILE || err == DR_ENFILE) {
                if (dr_disable_accept_events(cycle, 1) != DR_OK) {
                    return;
                }

                if (dr_use_accept_mutex) {
                    if (dr_accept_mutex_held) {
                        dr_shmtx_unlock(&dr_accept_mutex);
                        dr_accept_mutex_held = 0;
                    }

                    dr_accept_disabled = 1;

                } else {
                    dr_event_add_timer(ev, ecf->accept_mutex_delay);
                }
            }

            return;
        }

        dr_accept_disabled = (dr_int_t) (cycle->connection_n / 8)
                             - (dr_int_t) cycle->free_connection_n;

        c = dr_get_connection(s, ev->log);

        if (c == NULL) {
            if (close(s) == -1) {
                dr_log_error(DR_LOG_ALERT, ev->log, dr_socket_errno,
                             "close() socket failed");
            }

            return;
        }

        c->type = SOCK_STREAM;

        c->pool = dr_create_pool(ls->pool_size, ev->log);
        if (c->pool == NULL) {
            dr_event_close_accepted(c);
            return;
        }

        if (socklen > (socklen_t) sizeof(dr_sockaddr_t)) {
            socklen = sizeof(dr_sockaddr_t);
        }

        c->sockaddr = dr_palloc(c->pool, socklen);
        if (c->sockaddr == NULL) {
            dr_event_close_accepted(c);
            return;
        }

        dr_memcpy(c->sockaddr, &sa, socklen);

        log = dr_palloc(c->pool, sizeof(dr_log_t));
        if (log == NULL) {
            dr_event_close_accepted(c);
            return;
        }

        *log = ls->log;

        c->recv = dr_unix_recv;
        c->send = dr_unix_send;
        c->send_chain = dr_linux_sendfile_chain;

        c->log = log;
        c->pool->log = log;

        c->socklen = socklen;
        c->listening = ls;
        c->local_sockaddr = ls->sockaddr;
        c->local_socklen = ls->socklen;

        if (c->sockaddr->sa_family == AF_UNIX) {
            c->tcp_nopush = DR_TCP_NOPUSH_DISABLED;
            c->tcp_nodelay = DR_TCP_NODELAY_DISABLED;
        }

        rev = c->read;
        wev = c->write;

        wev->ready = 1;

        if (ev->deferred_accept) {

            /* TCP_DEFER_ACCEPT: the request is there already */

            rev->ready = 1;
            rev->available = 1;
        }

        rev->log = log;
        wev->log = log;

        c->number = dr_atomic_fetch_add(dr_connection_counter, 1);
        c->start_time = dr_current_msec;

        c->addr_text.data = dr_pnalloc(c->pool, ls->addr_text_max_len);
        if (c->addr_text.data == NULL) {
            dr_event_close_accepted(c);
            return;
        }

        len = dr_sock_ntop(c->sockaddr, c->socklen, c->addr_text.data,
                           ls->addr_text_max_len, 0);
        if (len == 0) {
            dr_event_close_accepted(c);
            return;
        }

        c->addr_text.len = len;

        dr_log_debug(log, "*%uL accept: %V fd:%d", (uint64_t) c->number,
                     &c->addr_text, s);

        /* from here on the owner's log context, and "*N" on every line */

        log->connection = c->number;
        log->data = NULL;
        log->handler = NULL;

        ls->handler(c);

    } while (ev->available);

    dr_event_reorder_accept_events(ls);
}


dr_int_t
dr_trylock_accept_mutex(dr_cycle_t *cycle)
{
    if (dr_shmtx_trylock(&dr_accept_mutex)) {

        dr_log_debug(cycle->log, "accept mutex locked");

        if (dr_accept_mutex_held && dr_accept_events == 0) {
            return DR_OK;
        }

        if (dr_enable_accept_events(cycle) == DR_ERROR) {
            dr_shmtx_unlock(&dr_accept_mutex);
            return DR_ERROR;
        }

        dr_accept_events = 0;
        dr_accept_mutex_held = 1;

        return DR_OK;
    }

    dr_log_debug(cycle->log, "accept mutex lock failed: %ui",
                 dr_accept_mutex_held);

    if (dr_accept_mutex_held) {
        if (dr_disable_accept_events(cycle, 0) == DR_ERROR) {
            return DR_ERROR;
        }

        dr_accept_mutex_held = 0;
    }

    return DR_OK;
}


dr_int_t
dr_enable_accept_events(dr_cycle_t *cycle)
{
    dr_uint_t          i, flags;
    dr_listening_t    *ls;
    dr_connection_t   *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        c = ls[i].connection;

        if (c == NULL || c->read->active) {
            continue;
        }

        flags = (dr_use_exclusive_accept && !ls[i].reuseport)
                ? DR_EXCLUSIVE_EVENT : DR_LEVEL_EVENT;

        if (dr_add_event(c->read, DR_READ_EVENT, flags) == DR_ERROR) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/*
 * <all>: also the reuseport sockets, which are this worker's alone and so
 * are kept when only the accept mutex is lost.
 */
dr_int_t
dr_disable_accept_events(dr_cycle_t *cycle, dr_uint_t all)
{
    dr_uint_t          i;
    dr_listening_t    *ls;
    dr_connection_t   *c;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        c = ls[i].connection;

        if (c == NULL || !c->read->active) {
            continue;
        }

        if (ls[i].reuseport && !all) {
            continue;
        }

        if (dr_del_event(c->read, DR_READ_EVENT, DR_DISABLE_EVENT)
            == DR_ERROR)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


void
dr_event_accept_mutex_release(pid_t pid)
{
    if (dr_accept_mutex_ptr == NULL) {
        return;
    }

    (void) dr_shmtx_force_unlock(&dr_accept_mutex, pid);
}


static void
dr_event_reorder_accept_events(dr_listening_t *ls)
{
    dr_connection_t  *c;

    if (!dr_use_exclusive_accept || ls->reuseport) {
        return;
    }

    c = ls->connection;

    if (c == NULL || !c->read->active) {
        return;
    }

    if (c->requests++ % 16 != 0 && dr_accept_disabled <= 0) {
        return;
    }

    if (dr_del_event(c->read, DR_READ_EVENT, DR_DISABLE_EVENT) == DR_ERROR) {
        return;
    }

    (void) dr_add_event(c->read, DR_READ_EVENT, DR_EXCLUSIVE_EVENT);
}


static void
dr_event_close_accepted(dr_connection_t *c)
{
    dr_socket_t  fd;

    dr_free_connection(c);

    fd = c->fd;
    c->fd = (dr_socket_t) -1;

    if (close(fd) == -1) {
        dr_log_error(DR_LOG_ALERT, c->log, dr_socket_errno,
                     "close() socket failed");
    }

    if (c->pool) {
        dr_destroy_pool(c->pool);
    }
}
