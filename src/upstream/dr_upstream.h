/*
 * Upstream pools, protocol-free: what an `upstream name { ... }` block (or
 * the implicit pool of a `proxy_pass http://host:port`) describes, the
 * balancer interface, the per-worker keep-alive cache and the agent's task
 * list. The http side (src/http/dr_http_upstream.c) parses the block into
 * these structures and drives them per request; health checks and
 * discovery plug into the agent through dr_upstream_agent_add_task().
 *
 * A balancer is nginx's four hooks:
 *   init_pool(cf, us)     config time, once per pool: checks the servers'
 *                         parameters and sets us->init_peer
 *   init_peer(pk, us)     per request: sets pk->pc->get, free, data, tries
 *   get(pc, data)         picks a peer: DR_OK, DR_BUSY (none), DR_DONE
 *                         (a cached keep-alive connection in pc), DR_ERROR
 *   free(pc, data, state) the attempt is over; <state> DR_PEER_FAILED
 *                         feeds passive health (max_fails/fail_timeout)
 * The round-robin one (dr_upstream_round_robin.h) is the default and the
 * base the others build on: they all read the same peer tables
 * (dr_upstream_zone.h), shared or process-local.
 */
#ifndef DR_UPSTREAM_H_INCLUDED
#define DR_UPSTREAM_H_INCLUDED

#include "dr_event.h"
#include "dr_upstream_zone.h"


/* the server parameters a balancer accepts (us->flags) */
#define DR_UPSTREAM_CREATE        0x0001    /* an upstream{} block */
#define DR_UPSTREAM_WEIGHT        0x0002
#define DR_UPSTREAM_MAX_FAILS     0x0004
#define DR_UPSTREAM_FAIL_TIMEOUT  0x0008
#define DR_UPSTREAM_DOWN          0x0010
#define DR_UPSTREAM_BACKUP        0x0020
#define DR_UPSTREAM_MAX_CONNS     0x0100
#define DR_UPSTREAM_SLOW_START    0x0200


typedef struct dr_upstream_conf_s       dr_upstream_conf_t;
typedef struct dr_upstream_pick_s       dr_upstream_pick_t;
typedef struct dr_upstream_keepalive_s  dr_upstream_keepalive_t;

typedef dr_int_t (*dr_upstream_init_pool_pt)(dr_conf_t *cf,
    dr_upstream_conf_t *us);
typedef dr_int_t (*dr_upstream_init_peer_pt)(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
/* an agent task's start, in the agent process: DR_OK or DR_ERROR */
typedef dr_int_t (*dr_upstream_agent_init_pt)(dr_cycle_t *cycle,
    dr_upstream_conf_t *us, void *data);


/* one `server` line */
typedef struct {
    dr_str_t                   name;       /* as written: "app1:8080" */
    dr_addr_t                 *addrs;      /* what it resolved to */
    dr_uint_t                  naddrs;

    dr_int_t                   weight;
    dr_uint_t                  max_conns;
    dr_uint_t                  max_fails;
    dr_msec_t                  fail_timeout;
    dr_msec_t                  slow_start;

    unsigned                   down:1;
    unsigned                   backup:1;

    u_char                    *file_name;
    dr_uint_t                  line;
} dr_upstream_server_t;


/* what init_peer works with: one request's choice of peers */
struct dr_upstream_pick_s {
    dr_peer_connection_t      *pc;
    dr_pool_t                 *pool;       /* the request's */
    dr_log_t                  *log;
    void                      *request;    /* dr_http_request_t * */
    struct sockaddr           *client;     /* ip_hash */
    socklen_t                  client_len;
};


typedef struct {
    dr_upstream_agent_init_pt  init;
    void                      *data;
    dr_str_t                   fingerprint;    /* see ..._agent_fingerprint */
} dr_upstream_agent_task_t;


struct dr_upstream_conf_s {
    dr_str_t                   name;       /* "backend", or "host:port" */
    u_char                    *file_name;
    dr_uint_t                  line;
    in_port_t                  port;       /* implicit pools */
    dr_uint_t                  flags;      /* DR_UPSTREAM_* */

    dr_array_t                *servers;    /* dr_upstream_server_t */

    /* the balancer: NULL init_pool means round robin */
    const char                *balancer;   /* "least_conn", for messages */
    dr_upstream_init_pool_pt   init_pool;
    dr_upstream_init_peer_pt   init_peer;
    void                      *balancer_data;

    /* the configured peers, and the table the workers pick from */
    dr_upstream_zpeer_t       *config_peers;
    dr_uint_t                  nconfig_peers;
    dr_shm_zone_t             *shm_zone;   /* `zone`, else NULL */
    dr_upstream_zone_t        *zone;       /* shared or process-local */
    dr_uint_t                  zone_slot;  /* this worker's epoch slot */
    dr_uint_t                  zone_seen;  /* generation the cache saw */

    /* `keepalive N` and friends; the per-worker cache */
    dr_uint_t                  keepalive;
    dr_uint_t                  keepalive_requests;
    dr_msec_t                  keepalive_timeout;
    dr_msec_t                  keepalive_time;
    dr_upstream_keepalive_t   *keepalive_cache;

    dr_array_t                *agent_tasks;    /* dr_upstream_agent_task_t */

    void                      *health_check;   /* the health_check module's */
    void                      *discover;       /* the discover module's */

    unsigned                   implicit:1;     /* from a proxy_pass URL */
    unsigned                   zone_attached:1;
    unsigned                   no_port:1;
};


/* dr_upstream.c: configuration (master) */

/*
 * Finds the pool <u> names in <pools> (dr_upstream_conf_t *), or adds it.
 * <flags> DR_UPSTREAM_CREATE: an upstream{} block (a second block of that
 * name is an error); else a reference from proxy_pass, which an upstream{}
 * of the same name satisfies (by name alone, as nginx, when the URL has no
 * port) and which otherwise becomes an implicit pool of u's addresses.
 * NULL on error (logged).
 */
dr_upstream_conf_t *dr_upstream_add(dr_conf_t *cf, dr_array_t *pools,
    dr_url_t *u, dr_uint_t flags);
/*
 * The words of a `server` directive in cf->args: adds a server to <us>.
 * DR_CONF_OK or a phrase for the framework ("invalid parameter \"x\"").
 */
char *dr_upstream_server(dr_conf_t *cf, dr_upstream_conf_t *us);
/* `zone name [size]`; <tag> identifies the owner of the shm zone */
char *dr_upstream_zone_directive(dr_conf_t *cf, dr_upstream_conf_t *us,
    void *tag);
/*
 * After the http{} block: builds the configured peers of every pool, runs
 * its balancer's init_pool (round robin when none) and makes the
 * process-local table of the pools without a zone. DR_OK or DR_ERROR.
 */
dr_int_t dr_upstream_init_pools(dr_conf_t *cf, dr_array_t *pools);
/* one pool (implicit pools of runtime proxy_pass values use it too) */
dr_int_t dr_upstream_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us);
/*
 * The configured peers of <us> as a zpeer array in <pool> (names resolved
 * at config time): what a zone's first table and every reload publish.
 */
dr_int_t dr_upstream_config_peers(dr_pool_t *pool, dr_upstream_conf_t *us,
    dr_log_t *log);

/*
 * init_module (master, committed configuration): publishes the configured
 * peers to the zones this reload took over, registers the agent role when
 * a pool has agent tasks. DR_OK or DR_ERROR.
 */
dr_int_t dr_upstream_init_module(dr_cycle_t *cycle, dr_array_t *pools);
/* init_process: workers attach to zones; the agent starts its tasks */
dr_int_t dr_upstream_init_process(dr_cycle_t *cycle, dr_array_t *pools);
void dr_upstream_exit_process(dr_cycle_t *cycle, dr_array_t *pools);
/* master_tick: reclaims what workers left behind, once a second */
void dr_upstream_master_tick(dr_cycle_t *cycle, dr_array_t *pools,
    dr_msec_t *next);

/* the table to pick from (one acquire load) */
#define dr_upstream_table(us)  dr_upstream_zone_table((us)->zone)


/* dr_upstream_keepalive.c: idle connections, per worker and pool */

/*
 * Wraps us->init_peer so that get() first looks for an idle connection to
 * the chosen peer and free() keeps a reusable one (state has
 * DR_PEER_KEEPALIVE). Config time, after the balancer's init_pool.
 */
dr_int_t dr_upstream_keepalive_init(dr_conf_t *cf, dr_upstream_conf_t *us);
/*
 * Closes the idle connections to peers that left the table (the zone's
 * generation changed since <us>->zone_seen). Workers, each loop turn.
 */
void dr_upstream_keepalive_sync(dr_upstream_conf_t *us);
/* the idle connections of <us> in this worker (tests, status) */
dr_uint_t dr_upstream_keepalive_count(dr_upstream_conf_t *us);


/* dr_upstream_agent.c: the agent process */

#define DR_UPSTREAM_AGENT_ROLE  "agent process"

/*
 * Adds a task that the agent process starts for <us> (health checks,
 * discovery). Config time. DR_OK or DR_ERROR.
 */
dr_int_t dr_upstream_agent_add_task(dr_conf_t *cf, dr_upstream_conf_t *us,
    dr_upstream_agent_init_pt init, void *data);
/*
 * Gives the task <data> of <us> a fingerprint: a canonical text of
 * everything it runs from (its directives, the pool's servers and zone).
 * A reload keeps the running agent, with its connections and ZooKeeper
 * sessions, when every task of every pool has one and the whole is
 * unchanged; a task without one makes every reload replace the agent.
 * Config time, after the pool is complete. DR_OK, or DR_ERROR (no task).
 */
dr_int_t dr_upstream_agent_fingerprint(dr_upstream_conf_t *us, void *data,
    dr_str_t *fingerprint);
/* master: adds the agent role if some pool has a task */
dr_int_t dr_upstream_agent_init_module(dr_cycle_t *cycle, dr_array_t *pools);
/* the agent (or the single process): starts every task */
dr_int_t dr_upstream_agent_init_process(dr_cycle_t *cycle,
    dr_array_t *pools);

#endif /* DR_UPSTREAM_H_INCLUDED */
