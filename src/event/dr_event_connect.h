/*
 * Outgoing connections (dr_event_connect.c): a peer connection is one
 * attempt to reach one of the peers a balancer (or the ZooKeeper client's
 * host list) chooses from; get() picks the peer, free() reports how it went.
 */
#ifndef DR_EVENT_CONNECT_H_INCLUDED
#define DR_EVENT_CONNECT_H_INCLUDED

/* free() <state> bits */
#define DR_PEER_KEEPALIVE  1
#define DR_PEER_NEXT       2
#define DR_PEER_FAILED     4

typedef struct dr_peer_connection_s  dr_peer_connection_t;

/*
 * Fills pc->sockaddr, socklen and name. DR_OK: connect to it; DR_BUSY: no
 * peer is available; DR_DONE: pc->connection is a cached (keep-alive)
 * connection to use as is; DR_ERROR.
 */
typedef dr_int_t (*dr_event_get_peer_pt)(dr_peer_connection_t *pc,
    void *data);
typedef void (*dr_event_free_peer_pt)(dr_peer_connection_t *pc, void *data,
    dr_uint_t state);

struct dr_peer_connection_s {
    dr_connection_t         *connection;

    struct sockaddr         *sockaddr;
    socklen_t                socklen;
    dr_str_t                *name;

    dr_uint_t                tries;
    dr_msec_t                start_time;

    dr_event_get_peer_pt     get;
    dr_event_free_peer_pt    free;
    void                    *data;

    dr_addr_t               *local;     /* bind() to it first; NULL: any */

    int                      type;      /* 0: SOCK_STREAM */
    int                      rcvbuf;    /* 0: system default */

    dr_log_t                *log;

    unsigned                 cached:1;
    unsigned                 so_keepalive:1;
    unsigned                 down:1;

    unsigned                 log_error:3;   /* DR_ERROR_* */
};

/*
 * Picks a peer with pc->get() and starts a non-blocking connect to it.
 * DR_OK: connected (pc->connection; its write event is ready); DR_AGAIN:
 * in progress, the connection's write event fires when done (check the
 * result with getsockopt(SO_ERROR) or the first I/O); DR_DECLINED: the peer
 * refused or is unreachable (logged at error: try the next one); DR_BUSY
 * or DR_DONE: as returned by get(); DR_ERROR: a local failure.
 * The connection is registered with epoll (both directions,
 * edge-triggered) and has no pool: the caller provides one.
 */
dr_int_t dr_event_connect_peer(dr_peer_connection_t *pc);
/* a get() for a peer connection whose sockaddr is already set */
dr_int_t dr_event_get_peer(dr_peer_connection_t *pc, void *data);

#endif /* DR_EVENT_CONNECT_H_INCLUDED */
