/*
 * Listening sockets and socket I/O.
 *
 * Listening sockets belong to a cycle and are opened by the master: fresh
 * ones at start, taken over from the previous cycle at a reload (same type
 * and address: the fd and its accept queue carry over, so a reload refuses
 * nobody), or inherited from the old binary at an upgrade (USR2 passes
 * them in DROVER="fd;fd;"). Sockets are never close-on-exec for that
 * reason. With reuseport, each worker slot gets its own socket (a clone of
 * the dr_listening_t) and the kernel spreads connections between them.
 *
 * The I/O half (recv, send, writev, sendfile) works on connections and so
 * reaches up into the event layer (ready/eof flags), as nginx's os layer
 * does. Edge-triggered epoll means "ready" is only cleared when a call
 * proves the socket drained: a short read/write, or EAGAIN.
 *
 * Runs in the master (listening) and in any process with an event loop
 * (I/O). Nothing here blocks except the 500 ms pause between bind retries.
 */

#include <sys/sendfile.h>

#include "dr_event.h"


#define DR_IOVS_PREALLOCATE     64
/* Linux sendfile() moves at most 2G - 1 bytes per call */
#define DR_SENDFILE_MAXSIZE     2147483647L

typedef struct {
    struct iovec   *iovs;
    dr_uint_t       count;
    size_t          size;
    dr_uint_t       nalloc;
} dr_socket_iovec_t;


static size_t dr_socket_addr_max_len(int family);
static dr_int_t dr_socket_inherited(dr_cycle_t *cycle, dr_listening_t *ls);
static void dr_socket_close(dr_socket_t s, dr_listening_t *ls, dr_log_t *log);
static void dr_socket_unlink(dr_listening_t *ls, dr_log_t *log);
static size_t dr_socket_pagesize(void);
static dr_chain_t *dr_socket_chain_to_iovec(dr_socket_iovec_t *vec,
    dr_chain_t *in, size_t limit, dr_log_t *log);
static ssize_t dr_socket_writev(dr_connection_t *c, dr_socket_iovec_t *vec);
static off_t dr_socket_coalesce_file(dr_chain_t **in, off_t limit);
static ssize_t dr_socket_sendfile(dr_connection_t *c, dr_buf_t *file,
    size_t size);
static dr_int_t dr_socket_cork(dr_connection_t *c);


dr_listening_t *
dr_create_listening(dr_conf_t *cf, struct sockaddr *sockaddr,
    socklen_t socklen)
{
    size_t            len;
    u_char            text[DR_SOCKADDR_STRLEN];
    dr_listening_t   *ls;
    struct sockaddr  *sa;

    ls = dr_array_push(&cf->cycle->listening);
    if (ls == NULL) {
        return NULL;
    }

    dr_memzero(ls, sizeof(dr_listening_t));

    sa = dr_palloc(cf->pool, socklen);
    if (sa == NULL) {
        return NULL;
    }

    dr_memcpy(sa, sockaddr, socklen);

    ls->sockaddr = sa;
    ls->socklen = socklen;

    len = dr_sock_ntop(sa, socklen, text, DR_SOCKADDR_STRLEN, 1);

    /* NUL-terminated: a unix socket's path is unlinked from it */

    ls->addr_text.data = dr_pnalloc(cf->pool, len + 1);
    if (ls->addr_text.data == NULL) {
        return NULL;
    }

    dr_memcpy(ls->addr_text.data, text, len);
    ls->addr_text.data[len] = '\0';
    ls->addr_text.len = len;

    ls->addr_text_max_len = dr_socket_addr_max_len(sa->sa_family);

    ls->fd = (dr_socket_t) -1;
    ls->type = SOCK_STREAM;
    ls->backlog = DR_LISTEN_BACKLOG;
    ls->rcvbuf = -1;
    ls->sndbuf = -1;
    ls->fastopen = -1;
    ls->ipv6only = 1;
    ls->wildcard = (sa->sa_family != AF_UNIX && dr_inet_wildcard(sa));
    ls->pool_size = 512;
    ls->process = DR_PROCESS_WORKER;

    ls->logp = &cf->cycle->new_log;
    ls->log = *cf->log;
    ls->log.data = &ls->addr_text;
    ls->log.handler = dr_listening_log_error;

    return ls;
}


dr_int_t
dr_clone_listening(dr_cycle_t *cycle, dr_listening_t *ls)
{
    dr_int_t          n, count;
    dr_core_conf_t   *ccf;
    dr_listening_t    ols, *nls;

    if (!ls->reuseport || ls->worker != 0 || ls->process != DR_PROCESS_WORKER)
    {
        return DR_OK;
    }

    ols = *ls;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    /* a single process (master_process off) is slot 0 and needs one socket */

    count = ccf->master ? ccf->worker_processes : 1;

    for (n = 1; n < count; n++) {

        nls = dr_array_push(&cycle->listening);
        if (nls == NULL) {
            return DR_ERROR;
        }

        *nls = ols;
        nls->worker = n;
    }

    return DR_OK;
}


dr_int_t
dr_set_inherited_sockets(dr_cycle_t *cycle)
{
    u_char           *inherited, *p, *v;
    dr_int_t          s;
    dr_uint_t         i;
    dr_listening_t   *ls;

    inherited = (u_char *) getenv(DR_LISTENING_ENV);

    if (inherited == NULL) {
        return DR_OK;
    }

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                 "using inherited sockets from \"%s\"", inherited);

    if (cycle->listening.elts == NULL
        && dr_array_init(&cycle->listening, cycle->pool, 10,
                         sizeof(dr_listening_t))
           != DR_OK)
    {
        return DR_ERROR;
    }

    for (p = inherited, v = p; *p; p++) {
        if (*p != ':' && *p != ';') {
            continue;
        }

        s = dr_atoi(v, p - v);

        if (s == DR_ERROR) {
            dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                         "invalid socket number \"%s\" in " DR_LISTENING_ENV
                         " environment variable, ignoring the rest"
                         " of the variable", v);
            break;
        }

        v = p + 1;

        ls = dr_array_push(&cycle->listening);
        if (ls == NULL) {
            return DR_ERROR;
        }

        dr_memzero(ls, sizeof(dr_listening_t));

        ls->fd = (dr_socket_t) s;
        ls->inherited = 1;
    }

    if (v != p) {
        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "invalid socket number \"%s\" in " DR_LISTENING_ENV
                     " environment variable, ignoring", v);
    }

    dr_inherited = 1;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (dr_socket_inherited(cycle, &ls[i]) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/* reads what an inherited socket is: its address, type and options */
static dr_int_t
dr_socket_inherited(dr_cycle_t *cycle, dr_listening_t *ls)
{
    int            value;
    size_t         len;
    socklen_t      olen;
    dr_sockaddr_t  sa;

    ls->socklen = sizeof(dr_sockaddr_t);

    if (getsockname(ls->fd, &sa.sockaddr, &ls->socklen) == -1) {
        dr_log_error(DR_LOG_CRIT, cycle->log, dr_socket_errno,
                     "getsockname() of the inherited socket #%d failed",
                     ls->fd);
        ls->ignore = 1;
        return DR_OK;
    }

    if (ls->socklen > (socklen_t) sizeof(dr_sockaddr_t)) {
        ls->socklen = sizeof(dr_sockaddr_t);
    }

    switch (sa.sockaddr.sa_family) {
    case AF_INET:
    case AF_INET6:
    case AF_UNIX:
        break;

    default:
        dr_log_error(DR_LOG_CRIT, cycle->log, 0,
                     "the inherited socket #%d has "
                     "an unsupported protocol family", ls->fd);
        ls->ignore = 1;
        return DR_OK;
    }

    ls->sockaddr = dr_palloc(cycle->pool, ls->socklen);
    if (ls->sockaddr == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(ls->sockaddr, &sa, ls->socklen);

    ls->addr_text.data = dr_pnalloc(cycle->pool, DR_SOCKADDR_STRLEN + 1);
    if (ls->addr_text.data == NULL) {
        return DR_ERROR;
    }

    len = dr_sock_ntop(ls->sockaddr, ls->socklen, ls->addr_text.data,
                       DR_SOCKADDR_STRLEN, 1);
    if (len == 0) {
        return DR_ERROR;
    }

    ls->addr_text.data[len] = '\0';
    ls->addr_text.len = len;
    ls->addr_text_max_len = dr_socket_addr_max_len(ls->sockaddr->sa_family);

    ls->backlog = DR_LISTEN_BACKLOG;
    ls->fastopen = -1;
    ls->process = DR_PROCESS_WORKER;
    ls->log = *cycle->log;
    ls->logp = cycle->log;
    ls->log.data = &ls->addr_text;
    ls->log.handler = dr_listening_log_error;

    olen = sizeof(int);

    if (getsockopt(ls->fd, SOL_SOCKET, SO_TYPE, (void *) &ls->type, &olen)
        == -1)
    {
        dr_log_error(DR_LOG_CRIT, cycle->log, dr_socket_errno,
                     "getsockopt(SO_TYPE) %V failed", &ls->addr_text);
        ls->ignore = 1;
        return DR_OK;
    }

    olen = sizeof(int);

    if (getsockopt(ls->fd, SOL_SOCKET, SO_RCVBUF, (void *) &ls->rcvbuf, &olen)
        == -1)
    {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                     "getsockopt(SO_RCVBUF) %V failed, ignored",
                     &ls->addr_text);
        ls->rcvbuf = -1;
    }

    olen = sizeof(int);

    if (getsockopt(ls->fd, SOL_SOCKET, SO_SNDBUF, (void *) &ls->sndbuf, &olen)
        == -1)
    {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                     "getsockopt(SO_SNDBUF) %V failed, ignored",
                     &ls->addr_text);
        ls->sndbuf = -1;
    }

    value = 0;
    olen = sizeof(int);

    if (getsockopt(ls->fd, SOL_SOCKET, SO_REUSEPORT, (void *) &value, &olen)
        == -1)
    {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                     "getsockopt(SO_REUSEPORT) %V failed, ignored",
                     &ls->addr_text);

    } else {
        ls->reuseport = value ? 1 : 0;
    }

    if (ls->type != SOCK_STREAM || ls->sockaddr->sa_family == AF_UNIX) {
        return DR_OK;
    }

    value = 0;
    olen = sizeof(int);

    if (getsockopt(ls->fd, IPPROTO_TCP, TCP_FASTOPEN, (void *) &value, &olen)
        == -1)
    {
        dr_log_error(DR_LOG_NOTICE, cycle->log, dr_socket_errno,
                     "getsockopt(TCP_FASTOPEN) %V failed, ignored",
                     &ls->addr_text);

    } else if (value) {
        ls->fastopen = value;
    }

    value = 0;
    olen = sizeof(int);

    if (getsockopt(ls->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT, &value, &olen)
        == -1)
    {
        dr_log_error(DR_LOG_NOTICE, cycle->log, dr_errno,
                     "getsockopt(TCP_DEFER_ACCEPT) for %V failed, ignored",
                     &ls->addr_text);
        return DR_OK;
    }

    if (olen == sizeof(int) && value != 0) {
        ls->deferred_accept = 1;
    }

    return DR_OK;
}


dr_int_t
dr_listening_inherit_from(dr_cycle_t *cycle, dr_cycle_t *old_cycle)
{
    dr_uint_t         i, n;
    dr_listening_t   *ls, *nls;

    nls = cycle->listening.elts;

    if (old_cycle == NULL || old_cycle->listening.nelts == 0) {
        for (n = 0; n < cycle->listening.nelts; n++) {
            nls[n].open = 1;
            nls[n].add_deferred = nls[n].deferred_accept;
        }

        return DR_OK;
    }

    ls = old_cycle->listening.elts;

    for (i = 0; i < old_cycle->listening.nelts; i++) {
        ls[i].remain = 0;
    }

    for (n = 0; n < cycle->listening.nelts; n++) {

        for (i = 0; i < old_cycle->listening.nelts; i++) {

            if (ls[i].ignore || ls[i].remain || ls[i].fd == (dr_socket_t) -1
                || ls[i].type != nls[n].type)
            {
                continue;
            }

            if (dr_cmp_sockaddr(nls[n].sockaddr, nls[n].socklen,
                                ls[i].sockaddr, ls[i].socklen, 1)
                != DR_OK)
            {
                continue;
            }

            nls[n].fd = ls[i].fd;
            nls[n].inherited = ls[i].inherited;
            nls[n].previous = &ls[i];
            ls[i].remain = 1;

            if (ls[i].backlog != nls[n].backlog) {
                nls[n].listen = 1;
            }

            if (ls[i].deferred_accept && !nls[n].deferred_accept) {
                nls[n].delete_deferred = 1;

            } else if (nls[n].deferred_accept != ls[i].deferred_accept) {
                nls[n].add_deferred = 1;
            }

            if (nls[n].reuseport && !ls[i].reuseport) {
                nls[n].add_reuseport = 1;
            }

            break;
        }

        if (nls[n].fd == (dr_socket_t) -1) {
            nls[n].open = 1;
            nls[n].add_deferred = nls[n].deferred_accept;
        }
    }

    return DR_OK;
}


dr_int_t
dr_open_listening_sockets(dr_cycle_t *cycle)
{
    int               reuseaddr, reuseport, ipv6only;
    dr_err_t          err;
    dr_uint_t         i, tries, failed;
    dr_log_t         *log;
    dr_socket_t       s;
    dr_listening_t   *ls;

    reuseaddr = 1;
    reuseport = 1;
    failed = 0;

    log = cycle->log;

    for (tries = 5; tries; tries--) {
        failed = 0;

        ls = cycle->listening.elts;

        for (i = 0; i < cycle->listening.nelts; i++) {

            if (ls[i].ignore) {
                continue;
            }

            if (ls[i].add_reuseport) {

                /*
                 * the old socket must have SO_REUSEPORT too before the
                 * per-worker sockets can be bound beside it
                 */

                if (setsockopt(ls[i].fd, SOL_SOCKET, SO_REUSEPORT,
                               (const void *) &reuseport, sizeof(int))
                    == -1)
                {
                    dr_log_error(DR_LOG_ALERT, log, dr_socket_errno,
                                 "setsockopt(SO_REUSEPORT) %V failed, "
                                 "ignored", &ls[i].addr_text);
                }

                ls[i].add_reuseport = 0;
            }

            if (ls[i].fd != (dr_socket_t) -1 || ls[i].inherited) {
                continue;
            }

            s = socket(ls[i].sockaddr->sa_family, ls[i].type, 0);

            if (s == (dr_socket_t) -1) {
                dr_log_error(DR_LOG_EMERG, log, dr_socket_errno,
                             "socket() %V failed", &ls[i].addr_text);
                return DR_ERROR;
            }

            if (setsockopt(s, SOL_SOCKET, SO_REUSEADDR,
                           (const void *) &reuseaddr, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_EMERG, log, dr_socket_errno,
                             "setsockopt(SO_REUSEADDR) %V failed",
                             &ls[i].addr_text);
                dr_socket_close(s, &ls[i], log);
                return DR_ERROR;
            }

            if (ls[i].reuseport && !dr_test_config) {

                if (setsockopt(s, SOL_SOCKET, SO_REUSEPORT,
                               (const void *) &reuseport, sizeof(int))
                    == -1)
                {
                    dr_log_error(DR_LOG_EMERG, log, dr_socket_errno,
                                 "setsockopt(SO_REUSEPORT) %V failed",
                                 &ls[i].addr_text);
                    dr_socket_close(s, &ls[i], log);
                    return DR_ERROR;
                }
            }

            if (ls[i].sockaddr->sa_family == AF_INET6) {
                ipv6only = ls[i].ipv6only;

                if (setsockopt(s, IPPROTO_IPV6, IPV6_V6ONLY,
                               (const void *) &ipv6only, sizeof(int))
                    == -1)
                {
                    dr_log_error(DR_LOG_EMERG, log, dr_socket_errno,
                                 "setsockopt(IPV6_V6ONLY) %V failed, ignored",
                                 &ls[i].addr_text);
                }
            }

            if (dr_nonblocking(s) == -1) {
                dr_log_error(DR_LOG_EMERG, log, dr_socket_errno,
                             "fcntl(O_NONBLOCK) %V failed",
                             &ls[i].addr_text);
                dr_socket_close(s, &ls[i], log);
                return DR_ERROR;
            }

            dr_log_debug(log, "bind() %V #%d ", &ls[i].addr_text, s);

            if (bind(s, ls[i].sockaddr, ls[i].socklen) == -1) {
                err = dr_socket_errno;

                if (err != DR_EADDRINUSE || !dr_test_config) {
                    dr_log_error(DR_LOG_EMERG, log, err,
                                 "bind() to %V failed", &ls[i].addr_text);
                }

                dr_socket_close(s, &ls[i], log);

                if (err != DR_EADDRINUSE) {
                    return DR_ERROR;
                }

                if (!dr_test_config) {
                    failed = 1;
                }

                continue;
            }

            if (ls[i].sockaddr->sa_family == AF_UNIX) {
                u_char  *name;

                name = ls[i].addr_text.data + sizeof("unix:") - 1;

                if (chmod((char *) name, S_IRUSR|S_IWUSR|S_IRGRP|S_IWGRP
                                         |S_IROTH|S_IWOTH)
                    == -1)
                {
                    dr_log_error(DR_LOG_EMERG, log, dr_errno,
                                 "chmod() \"%s\" failed", name);
                }

                if (dr_test_config) {
                    dr_socket_unlink(&ls[i], log);
                }
            }

            if (ls[i].type != SOCK_STREAM) {
                ls[i].fd = s;
                continue;
            }

            if (listen(s, ls[i].backlog) == -1) {
                err = dr_socket_errno;

                /*
                 * OpenVZ after suspend/resume reports EADDRINUSE here
                 * rather than from bind()
                 */

                if (err != DR_EADDRINUSE || !dr_test_config) {
                    dr_log_error(DR_LOG_EMERG, log, err,
                                 "listen() to %V, backlog %d failed",
                                 &ls[i].addr_text, ls[i].backlog);
                }

                dr_socket_close(s, &ls[i], log);

                if (err != DR_EADDRINUSE) {
                    return DR_ERROR;
                }

                if (!dr_test_config) {
                    failed = 1;
                }

                continue;
            }

            ls[i].listen = 1;
            ls[i].fd = s;
        }

        if (!failed) {
            break;
        }

        dr_log_error(DR_LOG_NOTICE, log, 0,
                     "try again to bind() after 500ms");

        (void) usleep(500 * 1000);
    }

    if (failed) {
        dr_log_error(DR_LOG_EMERG, log, 0, "still could not bind()");
        return DR_ERROR;
    }

    return DR_OK;
}


void
dr_configure_listening_sockets(dr_cycle_t *cycle)
{
    int               value;
    dr_uint_t         i;
    dr_listening_t   *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        if (ls[i].fd == (dr_socket_t) -1 || ls[i].ignore) {
            continue;
        }

        /* the log is known only now that the whole config is read */

        if (ls[i].logp) {
            ls[i].log = *ls[i].logp;
        }

        ls[i].log.data = &ls[i].addr_text;
        ls[i].log.handler = dr_listening_log_error;

        if (ls[i].rcvbuf != -1) {
            if (setsockopt(ls[i].fd, SOL_SOCKET, SO_RCVBUF,
                           (const void *) &ls[i].rcvbuf, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(SO_RCVBUF, %d) %V failed, ignored",
                             ls[i].rcvbuf, &ls[i].addr_text);
            }
        }

        if (ls[i].sndbuf != -1) {
            if (setsockopt(ls[i].fd, SOL_SOCKET, SO_SNDBUF,
                           (const void *) &ls[i].sndbuf, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(SO_SNDBUF, %d) %V failed, ignored",
                             ls[i].sndbuf, &ls[i].addr_text);
            }
        }

        if (ls[i].keepalive) {
            value = (ls[i].keepalive == 1) ? 1 : 0;

            if (setsockopt(ls[i].fd, SOL_SOCKET, SO_KEEPALIVE,
                           (const void *) &value, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(SO_KEEPALIVE, %d) %V failed, "
                             "ignored", value, &ls[i].addr_text);
            }
        }

        if (ls[i].keepidle) {
            value = ls[i].keepidle;

            if (setsockopt(ls[i].fd, IPPROTO_TCP, TCP_KEEPIDLE,
                           (const void *) &value, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(TCP_KEEPIDLE, %d) %V failed, "
                             "ignored", value, &ls[i].addr_text);
            }
        }

        if (ls[i].keepintvl) {
            value = ls[i].keepintvl;

            if (setsockopt(ls[i].fd, IPPROTO_TCP, TCP_KEEPINTVL,
                           (const void *) &value, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(TCP_KEEPINTVL, %d) %V failed, "
                             "ignored", value, &ls[i].addr_text);
            }
        }

        if (ls[i].keepcnt) {
            value = ls[i].keepcnt;

            if (setsockopt(ls[i].fd, IPPROTO_TCP, TCP_KEEPCNT,
                           (const void *) &value, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(TCP_KEEPCNT, %d) %V failed, "
                             "ignored", value, &ls[i].addr_text);
            }
        }

        if (ls[i].fastopen != -1) {
            if (setsockopt(ls[i].fd, IPPROTO_TCP, TCP_FASTOPEN,
                           (const void *) &ls[i].fastopen, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "setsockopt(TCP_FASTOPEN, %d) %V failed, "
                             "ignored", ls[i].fastopen, &ls[i].addr_text);
            }
        }

        if (ls[i].listen) {

            /* a new backlog takes effect through another listen() */

            if (listen(ls[i].fd, ls[i].backlog) == -1) {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_socket_errno,
                             "listen() to %V, backlog %d failed, ignored",
                             &ls[i].addr_text, ls[i].backlog);
            }
        }

        /* last: the one option whose failure skips the rest */

        if (ls[i].add_deferred || ls[i].delete_deferred) {

            value = ls[i].add_deferred
                    ? (int) (ls[i].post_accept_timeout / 1000) : 0;

            /* TCP_DEFER_ACCEPT 0 means off: keep at least one second */

            if (ls[i].add_deferred && value == 0) {
                value = 1;
            }

            if (setsockopt(ls[i].fd, IPPROTO_TCP, TCP_DEFER_ACCEPT,
                           &value, sizeof(int))
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                             "setsockopt(TCP_DEFER_ACCEPT, %d) for %V "
                             "failed, ignored", value, &ls[i].addr_text);
                continue;
            }

            ls[i].deferred_accept = ls[i].add_deferred;
        }
    }
}


void
dr_close_listening_sockets(dr_cycle_t *cycle)
{
    dr_uint_t          i;
    dr_listening_t    *ls;
    dr_connection_t   *c;

    dr_accept_mutex_held = 0;
    dr_use_accept_mutex = 0;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        c = ls[i].connection;

        if (c) {
            if (c->read->timer_set) {
                dr_event_del_timer(c->read);
            }

            if (c->read->posted) {
                dr_delete_posted_event(c->read);
            }

            if (c->read->active) {

                /*
                 * the master (and the other workers) still hold the
                 * socket: close() alone would leave it in our epoll set
                 */

                (void) dr_del_event(c->read, DR_READ_EVENT, 0);
            }

            dr_free_connection(c);

            c->fd = (dr_socket_t) -1;
            ls[i].connection = NULL;
        }

        if (ls[i].fd == (dr_socket_t) -1) {
            continue;
        }

        dr_log_debug(cycle->log, "close listening %V #%d ",
                     &ls[i].addr_text, ls[i].fd);

        if (close(ls[i].fd) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_socket_errno,
                         "close() socket %V failed", &ls[i].addr_text);
        }

        /*
         * the socket file goes with the last user: not from a worker, not
         * while a new binary uses it, not from a new binary whose old
         * master (the parent) is still alive
         */

        if (ls[i].sockaddr->sa_family == AF_UNIX
            && dr_process <= DR_PROCESS_MASTER
            && dr_new_binary == 0
            && (!ls[i].inherited || getppid() != dr_parent))
        {
            dr_socket_unlink(&ls[i], cycle->log);
        }

        ls[i].fd = (dr_socket_t) -1;
    }

    cycle->listening.nelts = 0;
}


dr_int_t
dr_listening_env(dr_cycle_t *cycle, dr_str_t *out)
{
    u_char           *p;
    dr_uint_t         i;
    dr_listening_t   *ls;

    p = dr_pnalloc(cycle->pool,
                   cycle->listening.nelts * (DR_INT_T_LEN + 1) + 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    out->data = p;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].ignore || ls[i].fd == (dr_socket_t) -1) {
            continue;
        }

        p = dr_sprintf(p, "%d;", ls[i].fd);
    }

    *p = '\0';
    out->len = p - out->data;

    return DR_OK;
}


u_char *
dr_listening_log_error(dr_log_t *log, u_char *buf, size_t len)
{
    return dr_snprintf(buf, len, " while accepting new connection on %V",
                       (dr_str_t *) log->data);
}


static size_t
dr_socket_addr_max_len(int family)
{
    switch (family) {
    case AF_INET6:
        return DR_INET6_ADDRSTRLEN;
    case AF_UNIX:
        return DR_UNIX_ADDRSTRLEN;
    case AF_INET:
        return DR_INET_ADDRSTRLEN;
    default:
        return DR_SOCKADDR_STRLEN;
    }
}


static void
dr_socket_close(dr_socket_t s, dr_listening_t *ls, dr_log_t *log)
{
    if (close(s) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_socket_errno,
                     "close() socket %V failed", &ls->addr_text);
    }
}


static void
dr_socket_unlink(dr_listening_t *ls, dr_log_t *log)
{
    u_char  *name;

    name = ls->addr_text.data + sizeof("unix:") - 1;

    if (unlink((char *) name) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "unlink() %s failed", name);
    }
}


int
dr_nonblocking(dr_socket_t s)
{
    int  flags;

    flags = fcntl(s, F_GETFL);
    if (flags == -1) {
        return -1;
    }

    return fcntl(s, F_SETFL, flags | O_NONBLOCK);
}


int
dr_blocking(dr_socket_t s)
{
    int  flags;

    flags = fcntl(s, F_GETFL);
    if (flags == -1) {
        return -1;
    }

    return fcntl(s, F_SETFL, flags & ~O_NONBLOCK);
}


int
dr_tcp_nopush(dr_socket_t s)
{
    int  cork;

    cork = 1;

    return setsockopt(s, IPPROTO_TCP, TCP_CORK, (const void *) &cork,
                      sizeof(int));
}


int
dr_tcp_push(dr_socket_t s)
{
    int  cork;

    cork = 0;

    return setsockopt(s, IPPROTO_TCP, TCP_CORK, (const void *) &cork,
                      sizeof(int));
}


/*
 * EPOLLRDHUP tells that the peer shut its side down; until it is seen, a
 * read that returned less than asked proves the socket empty, so the next
 * one can return DR_AGAIN without a syscall (rev->available == 0).
 */
ssize_t
dr_unix_recv(dr_connection_t *c, u_char *buf, size_t size)
{
    ssize_t      n;
    dr_err_t     err;
    dr_event_t  *rev;

    rev = c->read;

    if (rev->available == 0 && !rev->pending_eof) {
        rev->ready = 0;
        return DR_AGAIN;
    }

    do {
        n = recv(c->fd, buf, size, 0);

        dr_log_debug(c->log, "recv: fd:%d %z of %uz", c->fd, n, size);

        if (n == 0) {
            rev->ready = 0;
            rev->eof = 1;
            return 0;
        }

        if (n > 0) {
            if ((size_t) n < size) {
                if (!rev->pending_eof) {
                    rev->ready = 0;
                }

                rev->available = 0;
            }

            return n;
        }

        err = dr_socket_errno;

        if (err == DR_EAGAIN || err == DR_EINTR) {
            n = DR_AGAIN;

        } else {
            n = dr_connection_error(c, err, "recv() failed");
            break;
        }

    } while (err == DR_EINTR);

    rev->ready = 0;

    if (n == DR_ERROR) {
        rev->error = 1;
    }

    return n;
}


ssize_t
dr_unix_send(dr_connection_t *c, u_char *buf, size_t size)
{
    ssize_t      n;
    dr_err_t     err;
    dr_event_t  *wev;

    wev = c->write;

    for ( ;; ) {
        n = send(c->fd, buf, size, 0);

        dr_log_debug(c->log, "send: fd:%d %z of %uz", c->fd, n, size);

        if (n > 0) {
            if (n < (ssize_t) size) {
                wev->ready = 0;
            }

            c->sent += n;

            return n;
        }

        err = dr_socket_errno;

        if (n == 0) {
            dr_log_error(DR_LOG_ALERT, c->log, err, "send() returned zero");
            wev->ready = 0;
            return n;
        }

        if (err == DR_EINTR) {
            continue;
        }

        wev->ready = 0;

        if (err == DR_EAGAIN) {
            return DR_AGAIN;
        }

        wev->error = 1;
        (void) dr_connection_error(c, err, "send() failed");

        return DR_ERROR;
    }
}


dr_chain_t *
dr_writev_chain(dr_connection_t *c, dr_chain_t *in, off_t limit)
{
    off_t               send, prev_send;
    ssize_t             n, sent;
    dr_chain_t         *cl;
    dr_event_t         *wev;
    struct iovec        iovs[DR_IOVS_PREALLOCATE];
    dr_socket_iovec_t   vec;

    wev = c->write;

    if (!wev->ready) {
        return in;
    }

    /* size_t and off_t are both 64 bits: the limit is off_t's maximum */

    if (limit == 0
        || limit > DR_MAX_OFF_T_VALUE - (off_t) dr_socket_pagesize())
    {
        limit = DR_MAX_OFF_T_VALUE - (off_t) dr_socket_pagesize();
    }

    send = 0;

    vec.iovs = iovs;
    vec.nalloc = DR_IOVS_PREALLOCATE;

    for ( ;; ) {
        prev_send = send;

        cl = dr_socket_chain_to_iovec(&vec, in, limit - send, c->log);

        if (cl == DR_CHAIN_ERROR) {
            return DR_CHAIN_ERROR;
        }

        if (cl && cl->buf->in_file) {
            dr_log_error(DR_LOG_ALERT, c->log, 0,
                         "file buf in writev t:%d r:%d f:%d %p %p-%p %p "
                         "%O-%O", cl->buf->temporary, cl->buf->recycled,
                         cl->buf->in_file, cl->buf->start, cl->buf->pos,
                         cl->buf->last, cl->buf->file, cl->buf->file_pos,
                         cl->buf->file_last);
            return DR_CHAIN_ERROR;
        }

        send += vec.size;

        n = dr_socket_writev(c, &vec);

        if (n == DR_ERROR) {
            return DR_CHAIN_ERROR;
        }

        sent = (n == DR_AGAIN) ? 0 : n;

        c->sent += sent;

        in = dr_chain_update_sent(in, sent);

        if (send - prev_send != sent) {
            wev->ready = 0;
            return in;
        }

        if (send >= limit || in == NULL) {
            return in;
        }
    }
}


dr_chain_t *
dr_linux_sendfile_chain(dr_connection_t *c, dr_chain_t *in, off_t limit)
{
    off_t               send, prev_send;
    size_t              file_size, sent;
    ssize_t             n;
    dr_buf_t           *file;
    dr_chain_t         *cl;
    dr_event_t         *wev;
    struct iovec        headers[DR_IOVS_PREALLOCATE];
    dr_socket_iovec_t   header;

    wev = c->write;

    if (!wev->ready) {
        return in;
    }

    if (limit == 0
        || limit > (off_t) (DR_SENDFILE_MAXSIZE - dr_socket_pagesize()))
    {
        limit = DR_SENDFILE_MAXSIZE - dr_socket_pagesize();
    }

    send = 0;

    header.iovs = headers;
    header.nalloc = DR_IOVS_PREALLOCATE;

    for ( ;; ) {
        prev_send = send;

        /* the memory bufs up to the next file buf, coalesced */

        cl = dr_socket_chain_to_iovec(&header, in, limit - send, c->log);

        if (cl == DR_CHAIN_ERROR) {
            return DR_CHAIN_ERROR;
        }

        send += header.size;

        if (c->tcp_nopush == DR_TCP_NOPUSH_UNSET
            && header.count != 0 && cl && cl->buf->in_file)
        {
            if (dr_socket_cork(c) != DR_OK) {
                return DR_CHAIN_ERROR;
            }
        }

        if (header.count == 0 && cl && cl->buf->in_file && send < limit) {
            file = cl->buf;

            file_size = (size_t) dr_socket_coalesce_file(&cl, limit - send);

            send += file_size;

            if (file_size == 0) {
                dr_log_error(DR_LOG_ALERT, c->log, 0,
                             "zero size file buf in sendfile");
                return DR_CHAIN_ERROR;
            }

            n = dr_socket_sendfile(c, file, file_size);

        } else {
            n = dr_socket_writev(c, &header);
        }

        if (n == DR_ERROR) {
            return DR_CHAIN_ERROR;
        }

        sent = (n == DR_AGAIN) ? 0 : (size_t) n;

        c->sent += sent;

        in = dr_chain_update_sent(in, sent);

        if ((size_t) (send - prev_send) != sent) {
            wev->ready = 0;
            return in;
        }

        if (send >= limit || in == NULL) {
            return in;
        }
    }
}


/*
 * Headers before a file: TCP_CORK holds partial frames until uncorked
 * (the http layer pushes at the end of the response). TCP_CORK and
 * TCP_NODELAY exclude each other, so a set TCP_NODELAY is cleared first.
 * An EINTR from setsockopt() is not worth failing the response for.
 */
static dr_int_t
dr_socket_cork(dr_connection_t *c)
{
    int       tcp_nodelay;
    dr_err_t  err;

    if (c->tcp_nodelay == DR_TCP_NODELAY_SET) {

        tcp_nodelay = 0;

        if (setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY,
                       (const void *) &tcp_nodelay, sizeof(int))
            == -1)
        {
            err = dr_socket_errno;

            if (err != DR_EINTR) {
                c->write->error = 1;
                dr_connection_error(c, err, "setsockopt(TCP_NODELAY) failed");
                return DR_ERROR;
            }

        } else {
            c->tcp_nodelay = DR_TCP_NODELAY_UNSET;
            dr_log_debug(c->log, "no tcp_nodelay");
        }
    }

    if (c->tcp_nodelay == DR_TCP_NODELAY_UNSET) {

        if (dr_tcp_nopush(c->fd) == -1) {
            err = dr_socket_errno;

            if (err != DR_EINTR) {
                c->write->error = 1;
                dr_connection_error(c, err, "setsockopt(TCP_CORK) failed");
                return DR_ERROR;
            }

        } else {
            c->tcp_nopush = DR_TCP_NOPUSH_SET;
            dr_log_debug(c->log, "tcp_nopush");
        }
    }

    return DR_OK;
}


/*
 * Fills <vec> with the memory bufs of <in> (at most <limit> bytes),
 * merging bufs that are adjacent in memory; stops at a file buf, at the
 * limit or when vec is full. Returns the first link not (wholly) taken.
 */
static dr_chain_t *
dr_socket_chain_to_iovec(dr_socket_iovec_t *vec, dr_chain_t *in, size_t limit,
    dr_log_t *log)
{
    size_t         total, size;
    u_char        *prev;
    dr_uint_t      n;
    struct iovec  *iov;

    iov = NULL;
    prev = NULL;
    total = 0;
    n = 0;

    for ( /* void */ ; in && total < limit; in = in->next) {

        if (dr_buf_special(in->buf)) {
            continue;
        }

        if (in->buf->in_file) {
            break;
        }

        if (!dr_buf_in_memory(in->buf)) {
            dr_log_error(DR_LOG_ALERT, log, 0,
                         "bad buf in output chain t:%d r:%d f:%d %p %p-%p "
                         "%p %O-%O", in->buf->temporary, in->buf->recycled,
                         in->buf->in_file, in->buf->start, in->buf->pos,
                         in->buf->last, in->buf->file, in->buf->file_pos,
                         in->buf->file_last);
            return DR_CHAIN_ERROR;
        }

        size = in->buf->last - in->buf->pos;

        if (size > limit - total) {
            size = limit - total;
        }

        if (prev == in->buf->pos) {
            iov->iov_len += size;

        } else {
            if (n == vec->nalloc) {
                break;
            }

            iov = &vec->iovs[n++];

            iov->iov_base = (void *) in->buf->pos;
            iov->iov_len = size;
        }

        prev = in->buf->pos + size;
        total += size;
    }

    vec->count = n;
    vec->size = total;

    return in;
}


static ssize_t
dr_socket_writev(dr_connection_t *c, dr_socket_iovec_t *vec)
{
    ssize_t   n;
    dr_err_t  err;

    for ( ;; ) {
        n = writev(c->fd, vec->iovs, (int) vec->count);

        dr_log_debug(c->log, "writev: fd:%d %z of %uz", c->fd, n, vec->size);

        if (n != -1) {
            return n;
        }

        err = dr_socket_errno;

        switch (err) {
        case DR_EAGAIN:
            return DR_AGAIN;

        case DR_EINTR:
            continue;

        default:
            c->write->error = 1;
            (void) dr_connection_error(c, err, "writev() failed");
            return DR_ERROR;
        }
    }
}


/*
 * Merges the file bufs at the head of <*in> that continue each other in
 * the same file, up to <limit> bytes; a cut at the limit is moved to a
 * page boundary when that stays within the buf. Advances <*in> past the
 * wholly taken bufs; returns the byte count.
 */
static off_t
dr_socket_coalesce_file(dr_chain_t **in, off_t limit)
{
    off_t         total, size, aligned, fprev;
    dr_fd_t       fd;
    dr_chain_t   *cl;

    total = 0;

    cl = *in;
    fd = cl->buf->file->fd;

    do {
        size = cl->buf->file_last - cl->buf->file_pos;

        if (size > limit - total) {
            size = limit - total;

            aligned = (cl->buf->file_pos + size + dr_socket_pagesize() - 1)
                      & ~((off_t) dr_socket_pagesize() - 1);

            if (aligned <= cl->buf->file_last) {
                size = aligned - cl->buf->file_pos;
            }

            total += size;
            break;
        }

        total += size;
        fprev = cl->buf->file_pos + size;
        cl = cl->next;

    } while (cl
             && cl->buf->in_file
             && total < limit
             && fd == cl->buf->file->fd
             && fprev == cl->buf->file_pos);

    *in = cl;

    return total;
}


static ssize_t
dr_socket_sendfile(dr_connection_t *c, dr_buf_t *file, size_t size)
{
    off_t     offset;
    ssize_t   n;
    dr_err_t  err;

    offset = file->file_pos;

    for ( ;; ) {
        n = sendfile(c->fd, file->file->fd, &offset, size);

        dr_log_debug(c->log, "sendfile: %z of %uz @%O", n, size,
                     file->file_pos);

        if (n != -1) {
            break;
        }

        err = dr_errno;

        switch (err) {
        case DR_EAGAIN:
            return DR_AGAIN;

        case DR_EINTR:
            continue;

        default:
            c->write->error = 1;
            (void) dr_connection_error(c, err, "sendfile() failed");
            return DR_ERROR;
        }
    }

    if (n == 0) {

        /* the file was truncated under us: the offset is past its end */

        dr_log_error(DR_LOG_ALERT, c->log, 0,
                     "sendfile() reported that \"%V\" was truncated at %O",
                     &file->file->name, file->file_pos);

        return DR_ERROR;
    }

    return n;
}


static size_t
dr_socket_pagesize(void)
{
    static size_t  pagesize;

    if (pagesize == 0) {
        pagesize = (size_t) sysconf(_SC_PAGESIZE);
    }

    return pagesize;
}
