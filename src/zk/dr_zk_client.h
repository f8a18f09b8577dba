/*
 * An asynchronous ZooKeeper client on drover's event loop: the agent's way
 * to the embedded keeper or to any ZooKeeper ensemble (one code path for
 * both). See dr_zk_client.c for the life of a session.
 */
#ifndef DR_ZK_CLIENT_H_INCLUDED
#define DR_ZK_CLIENT_H_INCLUDED

#include "dr_zk.h"
#include "dr_event.h"

typedef struct dr_zk_client_s  dr_zk_client_t;

/* the client's state, as the state handler sees it change */
typedef enum {
    DR_ZK_CLIENT_CONNECTING = 0,    /* no session yet, or looking for a server */
    DR_ZK_CLIENT_CONNECTED,         /* a session, and a server that has it */
    DR_ZK_CLIENT_SUSPENDED,         /* lost the server; the session may live */
    DR_ZK_CLIENT_EXPIRED,           /* the session is gone with its watches */
    DR_ZK_CLIENT_AUTH_FAILED,       /* the server refused our credentials */
    DR_ZK_CLIENT_CLOSED
} dr_zk_client_state_e;

typedef struct {
    int32_t              err;       /* DR_ZK_OK or a DR_ZK_* error */
    int64_t              zxid;
    dr_zk_reader_t       body;      /* the response record (err == 0) */
} dr_zk_reply_t;

/* <r> and what it points to are valid only during the call */
typedef void (*dr_zk_reply_pt)(dr_zk_client_t *zc, dr_zk_reply_t *r,
    void *data);
/* <ev>->path is the client's path (chroot removed), valid during the call */
typedef void (*dr_zk_watch_pt)(dr_zk_client_t *zc, dr_zk_watcher_event_t *ev,
    void *data);
typedef void (*dr_zk_state_pt)(dr_zk_client_t *zc,
    dr_zk_client_state_e state, void *data);

typedef struct {
    dr_str_t             hosts;     /* "h1:2181,h2:2181/chroot" */
    dr_msec_t            session_timeout;
    dr_str_t             auth;      /* "user:password" for digest, or empty */
    size_t               max_frame; /* largest reply accepted; 0: 4 MiB */
    dr_zk_state_pt       state_handler;
    void                *data;
    dr_log_t            *log;
} dr_zk_client_conf_t;

/*
 * Parses and resolves the hosts (blocking getaddrinfo: call it at start,
 * not from a busy loop), in random order as ZooKeeper clients do. NULL on
 * error, logged. The client is malloc'ed and lives until destroy.
 */
dr_zk_client_t *dr_zk_client_create(dr_zk_client_conf_t *conf);
/* starts connecting; the state handler reports progress */
dr_int_t dr_zk_client_start(dr_zk_client_t *zc);
/*
 * Closes the session (closeSession if connected: the server deletes our
 * ephemerals at once) and frees the client. Pending callbacks are called
 * with DR_ZK_CONNECTIONLOSS first.
 */
void dr_zk_client_destroy(dr_zk_client_t *zc);

dr_zk_client_state_e dr_zk_client_state(dr_zk_client_t *zc);
int64_t dr_zk_client_session_id(dr_zk_client_t *zc);
/* the server we are (or were last) connected to, "127.0.0.1:2181" */
dr_str_t *dr_zk_client_server(dr_zk_client_t *zc);

/*
 * Requests. Each returns DR_OK (the callback will be called exactly once,
 * with the reply or with DR_ZK_CONNECTIONLOSS / DR_ZK_SESSIONEXPIRED) or
 * DR_ERROR (invalid arguments or no memory: the callback is not called).
 * Requests made while disconnected wait for the session. <watcher>, if not
 * NULL, is armed as ZooKeeper arms it: getData/getChildren only when the
 * node exists, exists always; it is called once when it fires, and kept
 * across reconnections (SetWatches) but not across a session expiry.
 */
dr_int_t dr_zk_get_children(dr_zk_client_t *zc, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data);
dr_int_t dr_zk_get_data(dr_zk_client_t *zc, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data);
dr_int_t dr_zk_exists(dr_zk_client_t *zc, dr_str_t *path,
    dr_zk_watch_pt watcher, void *wdata, dr_zk_reply_pt cb, void *data);
/* <data> NULL stores a null value; ACL world:anyone:ALL */
dr_int_t dr_zk_create(dr_zk_client_t *zc, dr_str_t *path, dr_str_t *value,
    int32_t flags, dr_zk_reply_pt cb, void *data);
dr_int_t dr_zk_delete(dr_zk_client_t *zc, dr_str_t *path, int32_t version,
    dr_zk_reply_pt cb, void *data);
dr_int_t dr_zk_set_data(dr_zk_client_t *zc, dr_str_t *path, dr_str_t *value,
    int32_t version, dr_zk_reply_pt cb, void *data);

#endif /* DR_ZK_CLIENT_H_INCLUDED */
