/*
 * Listening sockets and socket I/O.
 *
 * A dr_listening_t is one bound address of a cycle (cycle->listening): the
 * master opens it (or takes it over from the previous cycle, or from the
 * old binary through the DROVER environment variable), the processes that
 * accept on it find it there after fork. The I/O functions work on an
 * accepted or connected dr_connection_t and keep its read/write events'
 * ready flags true to edge-triggered epoll (see src/event/dr_epoll.c).
 */
#ifndef DR_SOCKET_H_INCLUDED
#define DR_SOCKET_H_INCLUDED

#define DR_LISTEN_BACKLOG        511
#define DR_LISTENING_ENV         "DROVER"   /* "fd;fd;" at binary upgrade */

#ifndef DR_CHAIN_ERROR
#define DR_CHAIN_ERROR           (dr_chain_t *) DR_ERROR
#endif

/* c->tcp_nopush, c->tcp_nodelay */
#define DR_TCP_NOPUSH_UNSET      0
#define DR_TCP_NOPUSH_SET        1
#define DR_TCP_NOPUSH_DISABLED   2

#define DR_TCP_NODELAY_UNSET     0
#define DR_TCP_NODELAY_SET       1
#define DR_TCP_NODELAY_DISABLED  2

typedef struct dr_listening_s  dr_listening_t;

struct dr_listening_s {
    dr_socket_t               fd;

    struct sockaddr          *sockaddr;
    socklen_t                 socklen;
    size_t                    addr_text_max_len;    /* of a peer's address */
    dr_str_t                  addr_text;            /* "127.0.0.1:80" */

    int                       type;                 /* SOCK_STREAM */
    int                       backlog;
    int                       rcvbuf;               /* -1: system default */
    int                       sndbuf;
    int                       fastopen;             /* -1: off */
    int                       keepidle;             /* so_keepalive=i:i:c */
    int                       keepintvl;
    int                       keepcnt;

    /* called for each accepted connection, in the accepting process */
    dr_connection_handler_pt  handler;
    void                     *servers;              /* the http layer's */

    dr_log_t                  log;                  /* copied from *logp */
    dr_log_t                 *logp;

    size_t                    pool_size;            /* of c->pool */
    dr_msec_t                 post_accept_timeout;  /* TCP_DEFER_ACCEPT */

    dr_listening_t           *previous;     /* same socket, old cycle */
    dr_connection_t          *connection;   /* its accept connection */

    /*
     * Which processes accept on it: DR_PROCESS_WORKER (the default) or
     * another role's (DR_PROCESS_KEEPER); a single process takes all.
     * With reuseport each worker slot has its own socket, the copy whose
     * <worker> is its slot.
     */
    dr_uint_t                 process;
    dr_uint_t                 worker;

    unsigned                  open:1;       /* opened by this cycle */
    unsigned                  remain:1;     /* taken over by the new cycle */
    unsigned                  ignore:1;     /* not ours: never used, kept */
    unsigned                  inherited:1;  /* from the old binary */
    unsigned                  listen:1;     /* (re)call listen() */
    unsigned                  wildcard:1;
    unsigned                  ipv6only:1;
    unsigned                  reuseport:1;
    unsigned                  add_reuseport:1;
    unsigned                  keepalive:2;  /* 0 unset, 1 on, 2 off */
    unsigned                  deferred_accept:1;
    unsigned                  delete_deferred:1;
    unsigned                  add_deferred:1;
};


/*
 * Adds a listening socket for <sockaddr> to cf->cycle->listening with
 * nginx's defaults (backlog 511, system buffer sizes, accepted by the
 * workers). The address is copied into cf->pool. NULL on no memory.
 * Master, config time.
 */
dr_listening_t *dr_create_listening(dr_conf_t *cf, struct sockaddr *sockaddr,
    socklen_t socklen);

/*
 * Makes worker_processes - 1 copies of a reuseport socket, one per worker
 * slot (<ls> is slot 0). Called once per cycle before the sockets are
 * matched with the old cycle's. DR_OK or DR_ERROR (no memory).
 */
dr_int_t dr_clone_listening(dr_cycle_t *cycle, dr_listening_t *ls);

/*
 * Binary upgrade: reads DROVER="fd;fd;...;" set by the old master and
 * fills <cycle>->listening with those sockets (getsockname() and the
 * options in force), marked inherited; sets dr_inherited. DR_OK (also
 * when the variable is absent) or DR_ERROR (no memory). Master, startup.
 */
dr_int_t dr_set_inherited_sockets(dr_cycle_t *cycle);

/*
 * Reload (and start after a binary upgrade, where the old cycle holds the
 * inherited sockets): gives each listening socket of <cycle> the open fd
 * of an old cycle's socket with the same type and address (remembered in
 * ls->previous); the others are marked to be opened. Old sockets that are
 * taken over get <remain>: the caller closes the others once the new cycle
 * is committed. Call before dr_open_listening_sockets(). Always DR_OK.
 */
dr_int_t dr_listening_inherit_from(dr_cycle_t *cycle, dr_cycle_t *old_cycle);

/*
 * socket/SO_REUSEADDR/SO_REUSEPORT/bind/listen for each socket without an
 * fd yet; a bind() or listen() that fails with EADDRINUSE is retried 5
 * times 500 ms apart (the old process may be closing it). With
 * dr_test_config, EADDRINUSE is not an error. DR_OK or DR_ERROR (emerg
 * logged; the caller closes what this cycle opened). Master.
 */
dr_int_t dr_open_listening_sockets(dr_cycle_t *cycle);

/* backlog, buffers, keepalive, TCP_FASTOPEN, TCP_DEFER_ACCEPT; errors logged */
void dr_configure_listening_sockets(dr_cycle_t *cycle);

/*
 * Closes every listening socket of <cycle> (and removes its accept event
 * in a process that has one); unix socket files are removed by the master
 * unless a new binary still uses them. Empties cycle->listening.
 */
void dr_close_listening_sockets(dr_cycle_t *cycle);

/*
 * Writes "fd;fd;...;" (NUL-terminated, len without the NUL) of the
 * sockets to hand to a new binary into <out>, allocated in cycle->pool.
 * DR_OK or DR_ERROR. Master, on USR2.
 */
dr_int_t dr_listening_env(dr_cycle_t *cycle, dr_str_t *out);

/* log handler of a listening socket: " while accepting new connection on" */
u_char *dr_listening_log_error(dr_log_t *log, u_char *buf, size_t len);

int dr_nonblocking(dr_socket_t s);
int dr_blocking(dr_socket_t s);
/* TCP_CORK on/off; 0 or -1 with errno */
int dr_tcp_nopush(dr_socket_t s);
int dr_tcp_push(dr_socket_t s);

/*
 * I/O on a connection. recv/send return the bytes done, 0 at EOF (recv),
 * DR_AGAIN (the event's ready flag is cleared: wait for it) or DR_ERROR
 * (ev->error set, logged through dr_connection_error()).
 */
ssize_t dr_unix_recv(dr_connection_t *c, u_char *buf, size_t size);
ssize_t dr_unix_send(dr_connection_t *c, u_char *buf, size_t size);

/*
 * Send up to <limit> bytes (0: no limit) of the memory buffers of <in>
 * with writev(); buffers' pos advance by what was sent. Returns the first
 * link with data left (NULL when all was sent) or DR_CHAIN_ERROR. A file
 * buffer in the chain is a bug (DR_CHAIN_ERROR, alert).
 */
dr_chain_t *dr_writev_chain(dr_connection_t *c, dr_chain_t *in, off_t limit);

/*
 * As dr_writev_chain() but file buffers go out with sendfile(2). Memory
 * before a file part is corked (TCP_CORK) when c->tcp_nopush allows it,
 * so headers and the file's first bytes leave in full packets.
 */
dr_chain_t *dr_linux_sendfile_chain(dr_connection_t *c, dr_chain_t *in,
    off_t limit);

#endif /* DR_SOCKET_H_INCLUDED */
