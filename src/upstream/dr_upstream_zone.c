/*
 * Upstream peers in shared memory: publishing a membership, carrying the
 * state of the peers that stay over to it, and freeing what no worker can
 * reach any more (dr_upstream_zone.h states the contract).
 *
 * Writers are the master (the first table at a zone's init, the configured
 * peers at a reload) and the agent (discovery, overrides). They hold the
 * zone's lock, the slab's mutex, while they build and publish, so the slab
 * calls here are the _locked ones. A new table is visible to a worker
 * after one acquire load; the retired one stays allocated until every
 * attached worker has begun an event-loop iteration after the change
 * (its epoch), and a retired state until its connections are gone too.
 *
 * States are matched by address (family, address and port). An old state
 * goes to one new peer at most, so an address listed twice gets two states,
 * as nginx gives two peers: the smooth weighted round-robin needs one
 * current weight per entry.
 *
 * Zones made with dr_upstream_zone_create_local() live in a pool of the
 * process; they never change after the fork and are never published to.
 */

#include "dr_core.h"
#include "dr_upstream_zone.h"


static dr_int_t dr_upstream_zone_publish_locked(dr_upstream_zone_t *uz,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_uint_t keep_discovered,
    dr_log_t *log);
static dr_int_t dr_upstream_zone_take_state(dr_upstream_ztable_t *cur,
    u_char *claimed, dr_upstream_zpeer_t *peer);
static void dr_upstream_zone_copy_peers(dr_upstream_ztable_t *t,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_upstream_ztable_t *cur,
    dr_uint_t keep_discovered);
static void dr_upstream_zone_reclaim_locked(dr_upstream_zone_t *uz,
    dr_log_t *log);
static dr_uint_t dr_upstream_zone_min_epoch(dr_upstream_zone_t *uz,
    dr_log_t *log);


dr_int_t
dr_upstream_zone_attach(dr_upstream_zone_t *uz, pid_t pid, dr_uint_t *slot)
{
    dr_uint_t  i;

    for (i = 0; i < DR_UPSTREAM_MAX_WORKERS; i++) {

        if (__atomic_load_n(&uz->owners[i], __ATOMIC_ACQUIRE) != 0) {
            continue;
        }

        if (!dr_atomic_cmp_set(&uz->owners[i], 0, (dr_atomic_uint_t) pid)) {
            continue;
        }

        dr_upstream_zone_quiesce(uz, i);

        *slot = i;

        return DR_OK;
    }

    return DR_BUSY;
}


void
dr_upstream_zone_detach(dr_upstream_zone_t *uz, dr_uint_t slot)
{
    __atomic_store_n(&uz->owners[slot], 0, __ATOMIC_RELEASE);
}


dr_upstream_zone_t *
dr_upstream_zone_create(dr_slab_pool_t *shpool, dr_str_t *name,
    dr_log_t *log)
{
    dr_upstream_zone_t  *uz;

    dr_shmtx_lock(&shpool->mutex);

    uz = dr_slab_calloc_locked(shpool, sizeof(dr_upstream_zone_t));
    if (uz == NULL) {
        goto nomem;
    }

    uz->name.data = dr_slab_alloc_locked(shpool, name->len);
    if (uz->name.data == NULL) {
        dr_slab_free_locked(shpool, uz);
        goto nomem;
    }

    dr_memcpy(uz->name.data, name->data, name->len);
    uz->name.len = name->len;

    dr_shmtx_unlock(&shpool->mutex);

    uz->lock = shpool->mutex;
    uz->lock_sh = &shpool->lock;
    uz->shpool = shpool;

    return uz;

nomem:

    dr_shmtx_unlock(&shpool->mutex);

    dr_log_error(DR_LOG_EMERG, log, 0,
                 "no memory for upstream \"%V\" in its zone", name);

    return NULL;
}


dr_upstream_zone_t *
dr_upstream_zone_create_local(dr_pool_t *pool, dr_str_t *name,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers)
{
    dr_uint_t              i;
    dr_upstream_zone_t    *uz;
    dr_upstream_ztable_t  *t;
    dr_upstream_zstate_t  *states;

    uz = dr_pcalloc(pool, sizeof(dr_upstream_zone_t));
    if (uz == NULL) {
        return NULL;
    }

    t = dr_pcalloc(pool, sizeof(dr_upstream_ztable_t)
                         + npeers * sizeof(dr_upstream_zpeer_t));
    if (t == NULL) {
        return NULL;
    }

    states = dr_pcalloc(pool, (npeers ? npeers : 1)
                              * sizeof(dr_upstream_zstate_t));
    if (states == NULL) {
        return NULL;
    }

    dr_upstream_zone_copy_peers(t, peers, npeers, NULL, 0);

    for (i = 0; i < npeers; i++) {
        states[i].effective_weight = t->peers[i].weight;
        states[i].refs = 1;
        t->peers[i].state = &states[i];
    }

    t->generation = 1;

    uz->name = *name;
    uz->table = t;
    uz->generation = 1;

    return uz;
}


dr_int_t
dr_upstream_zone_publish(dr_upstream_zone_t *uz, dr_upstream_zpeer_t *peers,
    dr_uint_t npeers, dr_log_t *log)
{
    dr_int_t  rc;

    if (uz->lock_sh == NULL) {
        dr_log_error(DR_LOG_ALERT, log, 0,
                     "upstream \"%V\" has no zone to publish to", &uz->name);
        return DR_ERROR;
    }

    dr_shmtx_lock(&uz->lock);

    rc = dr_upstream_zone_publish_locked(uz, peers, npeers, 0, log);

    if (rc == DR_OK) {
        dr_upstream_zone_reclaim_locked(uz, log);
    }

    dr_shmtx_unlock(&uz->lock);

    return rc;
}


dr_int_t
dr_upstream_zone_publish_config(dr_upstream_zone_t *uz,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_log_t *log)
{
    dr_int_t  rc;

    if (uz->lock_sh == NULL) {
        dr_log_error(DR_LOG_ALERT, log, 0,
                     "upstream \"%V\" has no zone to publish to", &uz->name);
        return DR_ERROR;
    }

    dr_shmtx_lock(&uz->lock);

    rc = dr_upstream_zone_publish_locked(uz, peers, npeers, 1, log);

    if (rc == DR_OK) {
        dr_upstream_zone_reclaim_locked(uz, log);
    }

    dr_shmtx_unlock(&uz->lock);

    return rc;
}


void
dr_upstream_zone_reclaim(dr_upstream_zone_t *uz, dr_log_t *log)
{
    if (uz->lock_sh == NULL) {
        return;
    }

    dr_shmtx_lock(&uz->lock);
    dr_upstream_zone_reclaim_locked(uz, log);
    dr_shmtx_unlock(&uz->lock);
}


/*
 * Builds the table of <peers> (plus, with <keep_discovered>, the
 * discovered peers of the current table) and swaps it in. Lock held.
 */
static dr_int_t
dr_upstream_zone_publish_locked(dr_upstream_zone_t *uz,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_uint_t keep_discovered,
    dr_log_t *log)
{
    u_char                *claimed;
    dr_int_t               j, *from;
    dr_uint_t              i, n, gen, ncur;
    dr_upstream_zpeer_t   *zp;
    dr_upstream_ztable_t  *t, *cur;
    dr_upstream_zstate_t  *st;

    cur = uz->table;
    ncur = cur ? cur->npeers : 0;

    n = npeers;

    if (keep_discovered) {
        for (i = 0; i < ncur; i++) {
            if (cur->peers[i].source == DR_UPSTREAM_SOURCE_DISCOVERED) {
                n++;
            }
        }
    }

    t = dr_slab_calloc_locked(uz->shpool, sizeof(dr_upstream_ztable_t)
                                          + n * sizeof(dr_upstream_zpeer_t));
    if (t == NULL) {
        goto nomem;
    }

    /*
     * scratch, in the process's heap: from[i] is the old index whose state
     * new peer i takes (-1: a fresh state); claimed[j] says old peer j's
     * state was taken
     */

    claimed = dr_calloc(sizeof(dr_int_t) * (n + 1) + ncur, log);
    if (claimed == NULL) {
        dr_slab_free_locked(uz->shpool, t);
        goto nomem;
    }

    from = (dr_int_t *) claimed;
    claimed += sizeof(dr_int_t) * (n + 1);

    dr_upstream_zone_copy_peers(t, peers, npeers, cur, keep_discovered);

    gen = (dr_uint_t) uz->generation + 1;

    for (i = 0; i < t->npeers; i++) {
        zp = &t->peers[i];

        j = cur ? dr_upstream_zone_take_state(cur, claimed, zp) : -1;
        from[i] = j;

        if (j >= 0) {
            zp->state = cur->peers[j].state;
            continue;
        }

        st = dr_slab_calloc_locked(uz->shpool, sizeof(dr_upstream_zstate_t));
        if (st == NULL) {
            goto undo;
        }

        st->effective_weight = zp->weight;
        st->refs = 1;

        if (cur && zp->slow_start) {
            st->health_changed = dr_current_msec;
        }

        zp->state = st;
    }

    /* committed: nothing below fails */

    for (i = 0; i < t->npeers; i++) {
        j = from[i];

        if (j >= 0 && cur->peers[j].weight != t->peers[i].weight) {
            st = t->peers[i].state;
            st->effective_weight = t->peers[i].weight;
            st->current_weight = 0;
        }
    }

    /* the states of the peers that left retire with this generation */

    for (i = 0; i < ncur; i++) {
        if (claimed[i]) {
            continue;
        }

        st = cur->peers[i].state;

        st->refs = 0;
        st->retired_gen = gen;
        st->next_retired = uz->retired_states;
        uz->retired_states = st;
    }

    dr_free(from);

    t->generation = gen;

    __atomic_store_n(&uz->table, t, __ATOMIC_RELEASE);
    __atomic_store_n(&uz->generation, gen, __ATOMIC_SEQ_CST);

    if (cur) {
        cur->next_retired = uz->retired_tables;
        uz->retired_tables = cur;
    }

    dr_log_error(DR_LOG_INFO, log, 0,
                 "upstream \"%V\": %ui peers, generation %ui",
                 &uz->name, t->npeers, gen);

    return DR_OK;

undo:

    while (i--) {
        if (from[i] < 0) {
            dr_slab_free_locked(uz->shpool, t->peers[i].state);
        }
    }

    dr_free(from);
    dr_slab_free_locked(uz->shpool, t);

nomem:

    dr_log_error(DR_LOG_ERR, log, 0,
                 "upstream \"%V\": no memory in its zone for %ui peers, "
                 "membership unchanged", &uz->name, npeers);

    return DR_ERROR;
}


/* the first unclaimed peer of <cur> with <peer>'s address, claimed; -1 */
static dr_int_t
dr_upstream_zone_take_state(dr_upstream_ztable_t *cur, u_char *claimed,
    dr_upstream_zpeer_t *peer)
{
    dr_uint_t             i;
    dr_upstream_zpeer_t  *op;

    for (i = 0; i < cur->npeers; i++) {
        op = &cur->peers[i];

        if (claimed[i] || op->socklen != peer->socklen) {
            continue;
        }

        if (dr_cmp_sockaddr(&op->sockaddr.sockaddr, op->socklen,
                            &peer->sockaddr.sockaddr, peer->socklen, 1)
            != DR_OK)
        {
            continue;
        }

        claimed[i] = 1;

        return (dr_int_t) i;
    }

    return -1;
}


/*
 * Fills <t> (room for all of them) with <peers> and, with
 * <keep_discovered>, the discovered peers of <cur>: primaries first, then
 * backups, each group in order. State pointers are left to the caller.
 */
static void
dr_upstream_zone_copy_peers(dr_upstream_ztable_t *t,
    dr_upstream_zpeer_t *peers, dr_uint_t npeers, dr_upstream_ztable_t *cur,
    dr_uint_t keep_discovered)
{
    dr_uint_t             i, n, pass, backup;
    dr_upstream_zpeer_t  *src, *zp;

    n = 0;
    t->total_weight = 0;

    for (pass = 0; pass < 2; pass++) {
        backup = pass;

        for (i = 0; i < npeers; i++) {
            src = &peers[i];

            if (src->backup != backup) {
                continue;
            }

            zp = &t->peers[n++];
            *zp = *src;
            zp->state = NULL;
        }

        if (keep_discovered && cur) {
            for (i = 0; i < cur->npeers; i++) {
                src = &cur->peers[i];

                if (src->source != DR_UPSTREAM_SOURCE_DISCOVERED
                    || src->backup != backup)
                {
                    continue;
                }

                zp = &t->peers[n++];
                *zp = *src;
                zp->state = NULL;
            }
        }

        if (pass == 0) {
            t->nprimary = n;
        }
    }

    t->npeers = n;

    for (i = 0; i < n; i++) {
        zp = &t->peers[i];

        if (zp->weight < 1) {
            zp->weight = 1;
        }

        if (i < t->nprimary) {
            t->total_weight += zp->weight;
        }
    }
}


static void
dr_upstream_zone_reclaim_locked(dr_upstream_zone_t *uz, dr_log_t *log)
{
    dr_uint_t              min;
    dr_upstream_ztable_t  *t, **tp;
    dr_upstream_zstate_t  *st, **sp;

    if (uz->retired_tables == NULL && uz->retired_states == NULL) {
        return;
    }

    min = dr_upstream_zone_min_epoch(uz, log);

    /* a table stopped being current when generation became its own + 1 */

    for (tp = &uz->retired_tables; *tp; /* void */) {
        t = *tp;

        if (t->generation + 1 <= min) {
            *tp = t->next_retired;
            dr_slab_free_locked(uz->shpool, t);
            continue;
        }

        tp = &t->next_retired;
    }

    for (sp = &uz->retired_states; *sp; /* void */) {
        st = *sp;

        if (st->retired_gen <= min
            && __atomic_load_n(&st->conns, __ATOMIC_ACQUIRE) == 0)
        {
            *sp = st->next_retired;
            dr_slab_free_locked(uz->shpool, st);
            continue;
        }

        sp = &st->next_retired;
    }
}


/*
 * The oldest generation an attached worker may still be looking at; the
 * current one if no worker is attached. Slots of owners that are gone
 * (a worker killed before it could detach) are freed on the way.
 */
static dr_uint_t
dr_upstream_zone_min_epoch(dr_upstream_zone_t *uz, dr_log_t *log)
{
    pid_t      pid;
    dr_uint_t  i, min, e;

    min = (dr_uint_t) __atomic_load_n(&uz->generation, __ATOMIC_SEQ_CST);

    for (i = 0; i < DR_UPSTREAM_MAX_WORKERS; i++) {

        pid = (pid_t) __atomic_load_n(&uz->owners[i], __ATOMIC_ACQUIRE);
        if (pid == 0) {
            continue;
        }

        if (kill(pid, 0) == -1 && errno == ESRCH) {
            dr_log_error(DR_LOG_NOTICE, log, 0,
                         "upstream \"%V\": epoch slot %ui of the dead "
                         "process %P freed", &uz->name, i, pid);
            (void) dr_atomic_cmp_set(&uz->owners[i], (dr_atomic_uint_t) pid,
                                     0);
            continue;
        }

        e = (dr_uint_t) __atomic_load_n(&uz->epochs[i], __ATOMIC_SEQ_CST);

        if (e < min) {
            min = e;
        }
    }

    return min;
}
