/*
 * Connections: the per-process table (cycle->connections, sized by
 * worker_connections) of sockets in use, each with its read and write
 * event (dr_connection.c).
 */
#ifndef DR_CONNECTION_H_INCLUDED
#define DR_CONNECTION_H_INCLUDED

typedef ssize_t (*dr_recv_pt)(dr_connection_t *c, u_char *buf, size_t size);
typedef ssize_t (*dr_send_pt)(dr_connection_t *c, u_char *buf, size_t size);
typedef dr_chain_t *(*dr_send_chain_pt)(dr_connection_t *c, dr_chain_t *in,
    off_t limit);

/* c->log_error: the level of "peer went away" errors (dr_connection_error) */
#define DR_ERROR_ALERT              0
#define DR_ERROR_ERR                1
#define DR_ERROR_INFO               2
#define DR_ERROR_IGNORE_ECONNRESET  3
#define DR_ERROR_IGNORE_EINVAL      4

struct dr_connection_s {
    void               *data;       /* the owner's (request); free list link */
    dr_event_t         *read;
    dr_event_t         *write;

    dr_socket_t         fd;

    dr_recv_pt          recv;
    dr_send_pt          send;
    dr_send_chain_pt    send_chain;

    dr_listening_t     *listening;  /* NULL for outgoing connections */

    off_t               sent;

    dr_log_t           *log;
    dr_pool_t          *pool;

    int                 type;       /* SOCK_STREAM */

    struct sockaddr    *sockaddr;   /* the peer */
    socklen_t           socklen;
    dr_str_t            addr_text;

    struct sockaddr    *local_sockaddr;
    socklen_t           local_socklen;

    dr_buf_t           *buffer;

    dr_queue_t          queue;      /* in cycle->reusable_connections_queue */

    dr_atomic_uint_t    number;     /* "*N" in the log, unique per master */
    dr_msec_t           start_time;
    dr_uint_t           requests;

    unsigned            buffered:8;
    unsigned            log_error:3;    /* DR_ERROR_* */

    unsigned            timedout:1;
    unsigned            error:1;
    unsigned            destroyed:1;

    unsigned            idle:1;         /* between requests: may be closed */
    unsigned            reusable:1;     /* may be closed to free a slot */
    unsigned            close:1;        /* the owner is asked to close it */
    unsigned            shared:1;       /* the fd is not ours to close */

    unsigned            sendfile:1;
    unsigned            sndlowat:1;
    unsigned            tcp_nodelay:2;  /* DR_TCP_NODELAY_* */
    unsigned            tcp_nopush:2;   /* DR_TCP_NOPUSH_* */

    unsigned            need_last_buf:1;
};

/*
 * Takes a free slot of the table for <s> with zeroed events (their
 * <instance> flipped, see dr_epoll.c). When few are left (1/16), first
 * asks reusable keep-alive connections to close (dr_drain_connections()).
 * NULL (alert logged) if the table is full. The caller still owns <s> on
 * failure. dr_cycle must be the process's current cycle.
 */
dr_connection_t *dr_get_connection(dr_socket_t s, dr_log_t *log);
/* puts <c> back on the free list; does not close anything */
void dr_free_connection(dr_connection_t *c);
/*
 * Closes <c>: deletes its timers, posted events and epoll registration,
 * frees the slot and closes the fd (unless shared). The pool is the
 * owner's to destroy (after this call).
 */
void dr_close_connection(dr_connection_t *c);
/* marks <c> as closable under pressure (keep-alive) or not */
void dr_reusable_connection(dr_connection_t *c, dr_uint_t reusable);
/*
 * Out of connections: asks up to 32 reusable ones (the oldest first) to
 * close by calling their read handler with c->close set.
 */
void dr_drain_connections(dr_cycle_t *cycle);
/* graceful shutdown: asks every idle connection to close */
void dr_close_idle_connections(dr_cycle_t *cycle);
/*
 * Logs a socket error on <c> at the level it deserves: a peer that reset
 * or vanished is "info" or "error" (by c->log_error), anything else is an
 * alert. Returns DR_ERROR (0 if the error is to be ignored).
 */
dr_int_t dr_connection_error(dr_connection_t *c, dr_err_t err, char *text);
/*
 * Fills c->local_sockaddr (getsockname() when the listening address is a
 * wildcard) and, if <s>, its text (with the port if <port>) into
 * s->data, which has s->len bytes. DR_OK or DR_ERROR.
 */
dr_int_t dr_connection_local_sockaddr(dr_connection_t *c, dr_str_t *s,
    dr_uint_t port);
/* sets TCP_NODELAY once (c->tcp_nodelay); DR_OK or DR_ERROR */
dr_int_t dr_tcp_nodelay(dr_connection_t *c);

#endif /* DR_CONNECTION_H_INCLUDED */
