/*
 * Upstream peers in shared memory: the contract between the processes that
 * pick peers (HTTP workers), the one that checks them (the agent's active
 * health checks) and the ones that change membership (the agent's
 * discovery, the master at a reload).
 *
 * An upstream with `zone name size;` keeps its peers in that zone:
 *
 *   dr_upstream_zone_t   one per upstream, at a fixed place in the zone
 *     ->table            the current membership: an IMMUTABLE array of
 *                        dr_upstream_zpeer_t, replaced whole (never edited)
 *     ->generation       bumped with every new table
 *     ->epochs[]         the generation each worker last saw (see below)
 *
 *   dr_upstream_zpeer_t  what a membership says of a peer: address, weight,
 *                        backup, down, max_conns, max_fails, fail_timeout,
 *                        slow_start, and where it came from (config or a
 *                        znode) -- plus a pointer to its state:
 *   dr_upstream_zstate_t the MUTABLE per-peer state shared by every worker:
 *                        active connections, failures, health, the smooth
 *                        weighted round-robin weights, slow-start origin.
 *                        A state object outlives the tables that point at
 *                        it: a peer that stays across a new table (same
 *                        address) keeps its state, so least_conn, max_conns
 *                        and health survive membership changes and reloads.
 *
 * Readers (workers) take no lock to find the membership: one atomic load of
 * ->table per balancing decision. Balancers that keep shared counters
 * (round-robin's current weights) update them under ->lock, as nginx's
 * zone does; conns/fails are atomics. ->lock is the zone's slab mutex
 * (every upstream of a zone shares it), so the master releases it when a
 * process dies holding it, as it does for any zone.
 *
 * Writers (the agent; the master at a reload) serialize on ->lock, build
 * the new table in the zone's slab, reuse the state of peers that stay,
 * publish with a release store of ->table and an increment of
 * ->generation. The old table and the states of removed peers are retired,
 * not freed: a worker may be between loading ->table and incrementing a
 * state's conns. They are freed once every worker's epoch (the generation
 * it saw at the start of its latest event-loop iteration: a quiescent
 * point, as in RCU) is >= the retiring generation AND the retired state's
 * conns is 0 (requests in flight to a removed peer finish first).
 * A worker claims an epoch slot with dr_upstream_zone_attach() (its pid
 * in ->owners[]) and gives it back at exit: slots are not worker numbers,
 * because during a reload the old and the new workers with the same
 * number run side by side. A slot whose owner died is freed by reclaim.
 * Nothing may keep a table pointer from one loop iteration to the next;
 * a state pointer only while holding one of its conns.
 *
 * Health verdicts of active checks land in zstate->health; passive health
 * (max_fails/fail_timeout) in zstate->fails/checked. A peer is usable when
 * !down && health != DOWN && !(fails >= max_fails within fail_timeout).
 *
 * Without a zone, an upstream's peers live in each worker's memory, exactly
 * as nginx without a zone (per-worker counters, no discovery): the same
 * structures, made by dr_upstream_zone_create_local() before the fork, so
 * each worker has its own copy; ->lock_sh is NULL and nothing locks.
 */
#ifndef DR_UPSTREAM_ZONE_H_INCLUDED
#define DR_UPSTREAM_ZONE_H_INCLUDED

#include "dr_core.h"

#define DR_UPSTREAM_MAX_WORKERS    512      /* worker_processes' bound */

#define DR_UPSTREAM_HEALTH_UNKNOWN 0        /* no active check (yet) */
#define DR_UPSTREAM_HEALTH_UP      1
#define DR_UPSTREAM_HEALTH_DOWN    2

#define DR_UPSTREAM_SOURCE_CONFIG  0        /* a `server` line */
#define DR_UPSTREAM_SOURCE_DISCOVERED 1     /* a znode (discover) */

typedef struct dr_upstream_zstate_s  dr_upstream_zstate_t;
typedef struct dr_upstream_ztable_s  dr_upstream_ztable_t;

struct dr_upstream_zstate_s {
    dr_atomic_t              conns;         /* active, all workers */
    dr_atomic_t              requests;      /* served, for status */
    dr_atomic_t              fails;         /* passive, in fail_timeout */
    dr_atomic_t              accessed;      /* last failure, msec */
    dr_atomic_t              checked;       /* fail_timeout window start */
    dr_atomic_t              health;        /* DR_UPSTREAM_HEALTH_* */
    dr_atomic_t              health_changed;/* msec; slow_start origin */

    /* smooth weighted round-robin, under the zone's lock */
    dr_int_t                 current_weight;
    dr_int_t                 effective_weight;

    dr_uint_t                refs;          /* tables pointing here */
    dr_uint_t                retired_gen;   /* 0: live */
    dr_upstream_zstate_t    *next_retired;
};

typedef struct {
    dr_sockaddr_t            sockaddr;      /* by value: tables are copied */
    socklen_t                socklen;
    u_char                   name[DR_SOCKADDR_STRLEN + 1]; /* "10.0.0.1:80" */
    size_t                   name_len;

    dr_int_t                 weight;
    dr_uint_t                max_conns;     /* 0: unlimited */
    dr_uint_t                max_fails;
    dr_msec_t                fail_timeout;
    dr_msec_t                slow_start;

    unsigned                 backup:1;
    unsigned                 down:1;        /* config or override */
    unsigned                 drain:1;       /* override: no new requests */
    unsigned                 source:2;      /* DR_UPSTREAM_SOURCE_* */

    u_char                   id[64];        /* the znode name, or "" */
    size_t                   id_len;

    dr_upstream_zstate_t    *state;
} dr_upstream_zpeer_t;

struct dr_upstream_ztable_s {
    dr_uint_t                generation;
    dr_uint_t                npeers;        /* primaries first, then backups */
    dr_uint_t                nprimary;
    dr_int_t                 total_weight;  /* of the primaries, down ones
                                               too: the hash modulus */
    dr_upstream_ztable_t    *next_retired;
    dr_upstream_zpeer_t      peers[];
};

typedef struct {
    dr_shmtx_t               lock;          /* the slab's mutex */
    dr_shmtx_sh_t           *lock_sh;       /* NULL: process-local */
    dr_upstream_ztable_t    *volatile table;
    dr_atomic_t              generation;
    dr_atomic_t              epochs[DR_UPSTREAM_MAX_WORKERS];
    dr_atomic_t              owners[DR_UPSTREAM_MAX_WORKERS];  /* pids */

    dr_upstream_ztable_t    *retired_tables;
    dr_upstream_zstate_t    *retired_states;

    dr_slab_pool_t          *shpool;
    dr_str_t                 name;
} dr_upstream_zone_t;

/* the current table: one acquire load, no lock (workers, every pick) */
static inline dr_upstream_ztable_t *
dr_upstream_zone_table(dr_upstream_zone_t *uz)
{
    return __atomic_load_n(&uz->table, __ATOMIC_ACQUIRE);
}

/*
 * A worker's quiescent point: called at the start of each event-loop
 * iteration for every zone (cheap: one store per upstream with a zone).
 * <slot> is what dr_upstream_zone_attach() gave. The store is sequentially
 * consistent: it must be visible before this iteration's loads of ->table
 * (a release store could pass them), or a writer could free a table this
 * worker is about to read.
 */
static inline void
dr_upstream_zone_quiesce(dr_upstream_zone_t *uz, dr_uint_t slot)
{
    __atomic_store_n(&uz->epochs[slot],
                     __atomic_load_n(&uz->generation, __ATOMIC_ACQUIRE),
                     __ATOMIC_SEQ_CST);
}

/*
 * Claims an epoch slot for process <pid> (a worker, at its start) and
 * quiesces it. DR_OK with *slot, or DR_BUSY when all slots are taken
 * (logged by the caller; the worker must then not use the zone).
 */
dr_int_t dr_upstream_zone_attach(dr_upstream_zone_t *uz, pid_t pid,
    dr_uint_t *slot);
/* gives the slot back (the worker exits) */
void dr_upstream_zone_detach(dr_upstream_zone_t *uz, dr_uint_t slot);

/*
 * Makes an empty zone struct in <shpool> (a zone's slab, at its init in
 * the master): no table yet, the slab's mutex as the lock. NULL when the
 * zone is full (logged).
 */
dr_upstream_zone_t *dr_upstream_zone_create(dr_slab_pool_t *shpool,
    dr_str_t *name, dr_log_t *log);
/*
 * The same in process memory (<pool>), with the first table built from
 * <peers>: the peers of an upstream without a zone. NULL on no memory.
 */
dr_upstream_zone_t *dr_upstream_zone_create_local(dr_pool_t *pool,
    dr_str_t *name, dr_upstream_zpeer_t *peers, dr_uint_t npeers);

/*
 * Writers. Publishes a new membership built from <peers> (npeers entries,
 * state pointers ignored; the new table puts primaries first, backups
 * after, each in the given order; a weight below 1 counts as 1): peers
 * whose address matches a peer of the current table keep its state (and
 * its slow_start origin; a changed weight resets the smooth weights), each
 * old state going to one new peer at most; new ones get fresh state, with
 * their slow_start origin set to now when the table is not the first one
 * (a peer that appears ramps up like a recovered one). Takes the lock;
 * DR_OK, or DR_ERROR when the zone is out of memory (logged; the current
 * table stays). Then reclaims what is safe. Any process but a worker.
 */
dr_int_t dr_upstream_zone_publish(dr_upstream_zone_t *uz,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_log_t *log);
/*
 * A reload (the master): publishes the configured `server` peers and keeps
 * the DISCOVERED ones of the current table, so a reload neither forgets
 * what discovery found nor resets any peer's state.
 */
dr_int_t dr_upstream_zone_publish_config(dr_upstream_zone_t *uz,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_log_t *log);
/*
 * Frees retired tables and states that no worker can still reach; frees
 * the epoch slots of owners that no longer exist. Takes the lock.
 */
void dr_upstream_zone_reclaim(dr_upstream_zone_t *uz, dr_log_t *log);

#endif /* DR_UPSTREAM_ZONE_H_INCLUDED */
