/*
 * The agent side of discovery, shared by its two files:
 * dr_upstream_discover_agent.c (ZooKeeper sessions, watches and reads:
 * what each source's nodes say) and dr_upstream_discover_publish.c (from
 * the nodes to the pool's peer table: batching, the empty guard, the log
 * of changes). Agent process (or the single process) only.
 */
#ifndef DR_UPSTREAM_DISCOVER_AGENT_H_INCLUDED
#define DR_UPSTREAM_DISCOVER_AGENT_H_INCLUDED

#include "dr_upstream_discover.h"


#define DR_UPSTREAM_DISCOVER_BATCH      50      /* ms a publish waits */
#define DR_UPSTREAM_DISCOVER_SYNC_WAIT  10000   /* ms for the first reads */
#define DR_UPSTREAM_DISCOVER_RETRY      1000    /* ms, after an error */
#define DR_UPSTREAM_DISCOVER_RETRY_MAX  30000

#define DR_UPSTREAM_DISCOVER_VNODE_UNKNOWN  0
#define DR_UPSTREAM_DISCOVER_VNODE_PRESENT  1
#define DR_UPSTREAM_DISCOVER_VNODE_ABSENT   2

#define DR_UPSTREAM_DISCOVER_PENDING    0       /* no data read yet */
#define DR_UPSTREAM_DISCOVER_VALID      1
#define DR_UPSTREAM_DISCOVER_INVALID    2       /* malformed: skipped */
#define DR_UPSTREAM_DISCOVER_FILTERED   3       /* version, group, tags */
#define DR_UPSTREAM_DISCOVER_MISSING    4       /* deleted, not yet listed */


typedef struct dr_upstream_discover_ens_s   dr_upstream_discover_ens_t;
typedef struct dr_upstream_discover_pool_s  dr_upstream_discover_pool_t;
typedef struct dr_upstream_discover_src_s   dr_upstream_discover_src_t;
typedef struct dr_upstream_discover_node_s  dr_upstream_discover_node_t;

/*
 * A read that may arm a watch: at most one in flight (reading), which
 * carries a watcher when none is armed (carry; a success arms it: watch).
 * A watch that fires during a read asks for another one (again), since
 * that read may carry no watcher.
 */
typedef struct {
    unsigned                       reading:1;
    unsigned                       carry:1;
    unsigned                       watch:1;
    unsigned                       again:1;
} dr_upstream_discover_read_t;

struct dr_upstream_discover_ens_s {
    dr_queue_t                     queue;       /* all ensembles */
    dr_str_t                       hosts;
    dr_str_t                       auth;
    dr_zk_client_t                *zc;
    dr_queue_t                     sources;

    /* the keeper's disconnected sessions, sorted */
    int64_t                       *disconnected;
    dr_uint_t                      ndisconnected;
    dr_upstream_discover_read_t    vnode_read;
    dr_uint_t                      vnode;       /* ..._VNODE_* */

    unsigned                       suspended:1;
    unsigned                       closing:1;
};

struct dr_upstream_discover_pool_s {
    dr_queue_t                     queue;       /* all pools */
    dr_upstream_conf_t            *us;
    dr_upstream_discover_conf_t   *dcf;
    dr_upstream_zone_t            *uz;
    dr_log_t                      *log;

    dr_upstream_discover_src_t   **sources;
    dr_uint_t                      nsources;

    dr_event_t                     publish;     /* posted */
    dr_event_t                     batch;       /* a deferred publish */
    dr_event_t                     guard;       /* empty_guard's end */
    dr_msec_t                      started;
    dr_msec_t                      dirty_since;
    dr_msec_t                      guard_until;

    /* the discovered peers of the last table (at start: of the zone's) */
    dr_upstream_zpeer_t           *published;
    dr_uint_t                      npublished;

    unsigned                       dirty:1;
    unsigned                       synced:1;    /* published once */
    unsigned                       guarding:1;
    unsigned                       initial:1;   /* published: the zone's */
};

struct dr_upstream_discover_src_s {
    dr_queue_t                     queue;       /* in its ensemble's */
    dr_upstream_discover_source_conf_t  *conf;
    dr_upstream_discover_pool_t   *pool;
    dr_upstream_discover_ens_t    *ens;

    dr_upstream_discover_node_t  **nodes;       /* sorted by name */
    dr_uint_t                      nnodes;
    dr_queue_t                     limbo;       /* removed, referenced */

    dr_uint_t                      inflight;    /* membership reads */
    dr_upstream_discover_read_t    list;        /* getChildren */
    dr_upstream_discover_read_t    exist;       /* exists, while missing */
    dr_upstream_discover_read_t    ov_read;     /* getData */
    dr_upstream_discover_read_t    ov_exist;    /* exists, while absent */

    /* the override document */
    dr_pool_t                     *ov_pool;
    dr_upstream_discover_override_t  *ov;
    dr_uint_t                      nov;

    dr_event_t                     retry;
    dr_msec_t                      retry_delay;

    unsigned                       dubbo:1;
    unsigned                       listed:1;    /* children read once */
    unsigned                       missing:1;   /* the path is not there */
    unsigned                       ov_done:1;   /* overrides read once */
    unsigned                       ov_missing:1;
};

struct dr_upstream_discover_node_s {
    dr_queue_t                     limbo;
    dr_upstream_discover_src_t    *src;
    dr_uint_t                      refs;
    dr_upstream_discover_read_t    read;

    int64_t                        owner;       /* ephemeralOwner */
    int64_t                        czxid;
    dr_uint_t                      state;       /* ..._PENDING ... */
    unsigned                       gone:1;
    unsigned                       have_data:1;

    dr_upstream_discover_instance_t  inst;

    dr_str_t                       name;        /* in path */
    size_t                         path_len;
    u_char                         path[1];
};

/* a peer being built, with what dedup and the logs need */
typedef struct {
    dr_upstream_zpeer_t            zp;
    int64_t                        czxid;
    int64_t                        owner;
} dr_upstream_discover_peer_t;


/* dr_upstream_discover_agent.c */
dr_upstream_discover_override_t *dr_upstream_discover_agent_ov_find(
    dr_upstream_discover_src_t *src, u_char *key, size_t len);
dr_uint_t dr_upstream_discover_agent_disconnected(
    dr_upstream_discover_ens_t *ens, int64_t owner);


/* dr_upstream_discover_publish.c */
/* the pool shows a change: its publish event runs at the end of the turn */
void dr_upstream_discover_publish_dirty(dr_upstream_discover_pool_t *pool);
void dr_upstream_discover_publish_handler(dr_event_t *ev);
void dr_upstream_discover_publish_timer(dr_event_t *ev);
dr_int_t dr_upstream_discover_publish_initial(
    dr_upstream_discover_pool_t *pool);

#endif /* DR_UPSTREAM_DISCOVER_AGENT_H_INCLUDED */
