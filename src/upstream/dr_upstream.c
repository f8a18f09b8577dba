/*
 * Upstream pools: their configuration and their life in each process.
 *
 * Config time (master): dr_upstream_add() finds or makes a pool for an
 * upstream{} block or a proxy_pass URL (nginx's ngx_http_upstream_add:
 * an upstream{} defined after the proxy_pass that names it takes over the
 * reference); dr_upstream_server() parses `server` lines; after http{},
 * dr_upstream_init_pools() resolves implicit pools, turns the servers into
 * configured peers, runs each balancer's init_pool and, for pools without
 * a zone, makes the process-local table (each worker gets its copy at
 * fork, so per-worker counters come for free).
 *
 * Zones: a pool with `zone name size` keeps its table in shared memory.
 * The zone's slab root is a small directory of the pools' zone structs by
 * name, so several pools may share a zone and a reload finds its pool's
 * state again. The zone's init (when the cycle maps its zones) builds the
 * first table of a pool new to the zone; a pool the zone already knew is
 * published its configured peers only in init_module, once the new cycle
 * is committed: a reload that fails later leaves the running table alone.
 *
 * Run time: workers attach to the zones (an epoch slot each), quiesce them
 * at the top of every loop turn and wake at least once a second so that
 * retired tables do not wait for an idle worker; the master reclaims once
 * a second; the agent process starts the pools' tasks.
 */

#include "dr_upstream_round_robin.h"


typedef struct {
    dr_uint_t                  n;
    dr_upstream_zone_t        *zones[1];
} dr_upstream_zone_dir_t;

/* a shm zone's data (config time): the pools that use it */
typedef struct {
    dr_array_t                 pools;      /* dr_upstream_conf_t * */
} dr_upstream_zone_users_t;


static dr_int_t dr_upstream_resolve_implicit(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_check_params(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_init_zone(dr_shm_zone_t *shm_zone, void *data);
static dr_upstream_zone_t *dr_upstream_zone_dir_find(
    dr_upstream_zone_dir_t *dir, dr_str_t *name);
static dr_int_t dr_upstream_zone_dir_add(dr_slab_pool_t *shpool,
    dr_upstream_zone_dir_t **dirp, dr_upstream_zone_t *uz, dr_log_t *log);
static void dr_upstream_loop_hook(dr_cycle_t *cycle, void *data);
static void dr_upstream_wake_handler(dr_event_t *ev);


static dr_event_t  dr_upstream_wake_event;
static dr_msec_t   dr_upstream_reclaimed;

#define DR_UPSTREAM_WAKE  1000


dr_upstream_conf_t *
dr_upstream_add(dr_conf_t *cf, dr_array_t *pools, dr_url_t *u,
    dr_uint_t flags)
{
    dr_uint_t             i;
    dr_upstream_conf_t   *us, **usp;

    usp = pools->elts;

    for (i = 0; i < pools->nelts; i++) {
        us = usp[i];

        if (us->name.len != u->host.len
            || dr_strncasecmp(us->name.data, u->host.data, u->host.len) != 0)
        {
            continue;
        }

        if ((flags & DR_UPSTREAM_CREATE)
            && (us->flags & DR_UPSTREAM_CREATE))
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "duplicate upstream \"%V\"", &u->host);
            return NULL;
        }

        if ((us->flags & DR_UPSTREAM_CREATE) && !u->no_port) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "upstream \"%V\" may not have port %d",
                              &u->host, (int) u->port);
            return NULL;
        }

        if ((flags & DR_UPSTREAM_CREATE) && !us->no_port) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "upstream \"%V\" may not have port %d in %s:%ui",
                              &u->host, (int) us->port, us->file_name,
                              us->line);
            return NULL;
        }

        if (us->port && u->port && us->port != u->port) {
            continue;
        }

        if (flags & DR_UPSTREAM_CREATE) {
            /* the block that a proxy_pass referred to before it */
            us->flags = flags;
            us->implicit = 0;
            us->file_name = cf->conf_file->file.name.data;
            us->line = cf->conf_file->line;

            if (us->servers == NULL) {
                us->servers = dr_array_create(cf->pool, 4,
                                              sizeof(dr_upstream_server_t));
                if (us->servers == NULL) {
                    return NULL;
                }
            }
        }

        return us;
    }

    us = dr_pcalloc(cf->pool, sizeof(dr_upstream_conf_t));
    if (us == NULL) {
        return NULL;
    }

    us->name = u->host;
    us->flags = flags;
    us->file_name = cf->conf_file->file.name.data;
    us->line = cf->conf_file->line;
    us->port = u->port;
    us->no_port = u->no_port;
    us->implicit = !(flags & DR_UPSTREAM_CREATE);

    us->keepalive_requests = DR_CONF_UNSET_UINT;
    us->keepalive_timeout = DR_CONF_UNSET_MSEC;
    us->keepalive_time = DR_CONF_UNSET_MSEC;

    if (flags & DR_UPSTREAM_CREATE) {
        us->servers = dr_array_create(cf->pool, 4,
                                      sizeof(dr_upstream_server_t));
        if (us->servers == NULL) {
            return NULL;
        }
    }

    usp = dr_array_push(pools);
    if (usp == NULL) {
        return NULL;
    }

    *usp = us;

    return us;
}


char *
dr_upstream_server(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    dr_int_t               weight, max_fails, max_conns;
    dr_uint_t              i;
    dr_str_t              *value, s;
    dr_url_t               u;
    dr_msec_t              fail_timeout, slow_start;
    dr_upstream_server_t  *server;

    server = dr_array_push(us->servers);
    if (server == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(server, sizeof(dr_upstream_server_t));

    value = cf->args->elts;

    weight = 1;
    max_fails = 1;
    max_conns = 0;
    fail_timeout = 10000;
    slow_start = 0;

    for (i = 2; i < cf->args->nelts; i++) {

        if (dr_strncmp(value[i].data, "weight=", 7) == 0) {
            weight = dr_atoi(&value[i].data[7], value[i].len - 7);
            if (weight == DR_ERROR || weight == 0) {
                goto invalid;
            }
            continue;
        }

        if (dr_strncmp(value[i].data, "max_fails=", 10) == 0) {
            max_fails = dr_atoi(&value[i].data[10], value[i].len - 10);
            if (max_fails == DR_ERROR) {
                goto invalid;
            }
            continue;
        }

        if (dr_strncmp(value[i].data, "max_conns=", 10) == 0) {
            max_conns = dr_atoi(&value[i].data[10], value[i].len - 10);
            if (max_conns == DR_ERROR) {
                goto invalid;
            }
            continue;
        }

        if (dr_strncmp(value[i].data, "fail_timeout=", 13) == 0) {
            s.len = value[i].len - 13;
            s.data = &value[i].data[13];

            fail_timeout = (dr_msec_t) dr_parse_time(&s, 0);
            if (fail_timeout == (dr_msec_t) DR_ERROR) {
                goto invalid;
            }
            continue;
        }

        if (dr_strncmp(value[i].data, "slow_start=", 11) == 0) {
            s.len = value[i].len - 11;
            s.data = &value[i].data[11];

            slow_start = (dr_msec_t) dr_parse_time(&s, 0);
            if (slow_start == (dr_msec_t) DR_ERROR) {
                goto invalid;
            }
            continue;
        }

        if (dr_str_eq_lit(&value[i], "backup")) {
            server->backup = 1;
            continue;
        }

        if (dr_str_eq_lit(&value[i], "down")) {
            server->down = 1;
            continue;
        }

        goto invalid;
    }

    dr_memzero(&u, sizeof(dr_url_t));

    u.url = value[1];
    u.default_port = 80;

    if (dr_parse_url(cf->pool, &u) != DR_OK) {
        if (u.err) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "%s in upstream \"%V\"", u.err, &u.url);
        }

        return DR_CONF_ERROR;
    }

    server->name = u.url;
    server->addrs = u.addrs;
    server->naddrs = u.naddrs;
    server->weight = weight;
    server->max_fails = (dr_uint_t) max_fails;
    server->max_conns = (dr_uint_t) max_conns;
    server->fail_timeout = fail_timeout;
    server->slow_start = slow_start;
    server->file_name = cf->conf_file->file.name.data;
    server->line = cf->conf_file->line;

    return DR_CONF_OK;

invalid:

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid parameter \"%V\"", &value[i]);

    return DR_CONF_ERROR;
}


char *
dr_upstream_zone_directive(dr_conf_t *cf, dr_upstream_conf_t *us, void *tag)
{
    ssize_t                    size;
    dr_str_t                  *value;
    dr_upstream_conf_t       **usp;
    dr_upstream_zone_users_t  *users;

    value = cf->args->elts;

    if (us->shm_zone) {
        return "is duplicate";
    }

    if (value[1].len == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid zone name \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    size = 0;

    if (cf->args->nelts == 3) {
        size = dr_parse_size(&value[2]);

        if (size == DR_ERROR) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid zone size \"%V\"", &value[2]);
            return DR_CONF_ERROR;
        }

        if (size < (ssize_t) (8 * (size_t) sysconf(_SC_PAGESIZE))) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "zone \"%V\" is too small", &value[1]);
            return DR_CONF_ERROR;
        }
    }

    us->shm_zone = dr_shared_memory_add(cf, &value[1], (size_t) size, tag);
    if (us->shm_zone == NULL) {
        return DR_CONF_ERROR;
    }

    users = us->shm_zone->data;

    if (users == NULL) {
        users = dr_pcalloc(cf->pool, sizeof(dr_upstream_zone_users_t));
        if (users == NULL) {
            return DR_CONF_ERROR;
        }

        if (dr_array_init(&users->pools, cf->pool, 2, sizeof(void *))
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }

        us->shm_zone->data = users;
        us->shm_zone->init = dr_upstream_init_zone;
    }

    usp = dr_array_push(&users->pools);
    if (usp == NULL) {
        return DR_CONF_ERROR;
    }

    *usp = us;

    return DR_CONF_OK;
}


dr_int_t
dr_upstream_init_pools(dr_conf_t *cf, dr_array_t *pools)
{
    dr_uint_t             i;
    dr_upstream_conf_t  **usp;

    usp = pools->elts;

    for (i = 0; i < pools->nelts; i++) {
        if (dr_upstream_init_pool(cf, usp[i]) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_upstream_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    dr_int_t  rc;

    if (us->implicit && us->servers == NULL) {
        if (dr_upstream_resolve_implicit(cf, us) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (us->servers->nelts == 0 && us->discover == NULL) {
        /* a pool fed by discovery may start empty */
        dr_log_error(DR_LOG_EMERG, cf->log, 0,
                     "no servers are inside upstream in %s:%ui",
                     us->file_name, us->line);
        return DR_ERROR;
    }

    if (dr_upstream_check_params(cf, us) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_upstream_config_peers(cf->pool, us, cf->log) != DR_OK) {
        return DR_ERROR;
    }

    rc = us->init_pool ? us->init_pool(cf, us)
                       : dr_upstream_rr_init_pool(cf, us);
    if (rc != DR_OK) {
        return DR_ERROR;
    }

    if (us->keepalive) {
        if (dr_upstream_keepalive_init(cf, us) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (us->shm_zone == NULL) {
        us->zone = dr_upstream_zone_create_local(cf->pool, &us->name,
                                                 us->config_peers,
                                                 us->nconfig_peers);
        if (us->zone == NULL) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_upstream_config_peers(dr_pool_t *pool, dr_upstream_conf_t *us,
    dr_log_t *log)
{
    size_t                 len;
    dr_uint_t              i, j, n;
    dr_upstream_zpeer_t   *zp;
    dr_upstream_server_t  *server;

    server = us->servers->elts;
    n = 0;

    for (i = 0; i < us->servers->nelts; i++) {
        n += server[i].naddrs;
    }

    zp = dr_pcalloc(pool, (n ? n : 1) * sizeof(dr_upstream_zpeer_t));
    if (zp == NULL) {
        return DR_ERROR;
    }

    us->config_peers = zp;
    us->nconfig_peers = n;

    for (i = 0; i < us->servers->nelts; i++) {
        for (j = 0; j < server[i].naddrs; j++) {

            dr_memcpy(&zp->sockaddr, server[i].addrs[j].sockaddr,
                      server[i].addrs[j].socklen);
            zp->socklen = server[i].addrs[j].socklen;

            len = dr_sock_ntop(server[i].addrs[j].sockaddr,
                               server[i].addrs[j].socklen, zp->name,
                               DR_SOCKADDR_STRLEN, 1);
            if (len == 0) {
                dr_log_error(DR_LOG_EMERG, log, 0,
                             "unsupported address of \"%V\" in upstream "
                             "\"%V\"", &server[i].name, &us->name);
                return DR_ERROR;
            }

            zp->name_len = len;
            zp->weight = server[i].weight;
            zp->max_conns = server[i].max_conns;
            zp->max_fails = server[i].max_fails;
            zp->fail_timeout = server[i].fail_timeout;
            zp->slow_start = server[i].slow_start;
            zp->backup = server[i].backup;
            zp->down = server[i].down;
            zp->source = DR_UPSTREAM_SOURCE_CONFIG;

            zp++;
        }
    }

    return DR_OK;
}


/* the pool of a proxy_pass URL that no upstream{} claimed: its host */
static dr_int_t
dr_upstream_resolve_implicit(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    u_char                *p;
    dr_url_t               u;
    dr_upstream_server_t  *server;

    if (us->no_port) {
        dr_log_error(DR_LOG_EMERG, cf->log, 0,
                     "no port in upstream \"%V\" in %s:%ui",
                     &us->name, us->file_name, us->line);
        return DR_ERROR;
    }

    dr_memzero(&u, sizeof(dr_url_t));

    p = dr_pnalloc(cf->pool, us->name.len + sizeof(":65535") - 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    u.url.data = p;
    u.url.len = dr_sprintf(p, "%V:%d", &us->name, (int) us->port) - p;
    u.default_port = us->port;

    if (dr_parse_url(cf->pool, &u) != DR_OK) {
        dr_log_error(DR_LOG_EMERG, cf->log, 0,
                     "%s in upstream \"%V\" in %s:%ui",
                     u.err ? u.err : "no memory", &u.url, us->file_name,
                     us->line);
        return DR_ERROR;
    }

    us->servers = dr_array_create(cf->pool, 1, sizeof(dr_upstream_server_t));
    if (us->servers == NULL) {
        return DR_ERROR;
    }

    server = dr_array_push(us->servers);
    if (server == NULL) {
        return DR_ERROR;
    }

    dr_memzero(server, sizeof(dr_upstream_server_t));

    server->name = u.url;
    server->addrs = u.addrs;
    server->naddrs = u.naddrs;
    server->weight = 1;
    server->max_fails = 1;
    server->fail_timeout = 10000;
    server->file_name = us->file_name;
    server->line = us->line;

    return DR_OK;
}


/* the server parameters the pool's balancer does not support */
static dr_int_t
dr_upstream_check_params(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    dr_uint_t              i;
    const char            *param;
    dr_upstream_server_t  *server;

    if (!(us->flags & DR_UPSTREAM_CREATE)) {
        return DR_OK;
    }

    server = us->servers->elts;

    for (i = 0; i < us->servers->nelts; i++) {
        param = NULL;

        if (server[i].backup && !(us->flags & DR_UPSTREAM_BACKUP)) {
            param = "backup";

        } else if (server[i].weight != 1
                   && !(us->flags & DR_UPSTREAM_WEIGHT))
        {
            param = "weight";

        } else if (server[i].down && !(us->flags & DR_UPSTREAM_DOWN)) {
            param = "down";

        } else if (server[i].slow_start
                   && !(us->flags & DR_UPSTREAM_SLOW_START))
        {
            param = "slow_start";
        }

        if (param) {
            dr_log_error(DR_LOG_EMERG, cf->log, 0,
                         "balancing method \"%s\" does not support "
                         "parameter \"%s\" in %s:%ui",
                         us->balancer ? us->balancer : "round_robin", param,
                         server[i].file_name, server[i].line);
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/*
 * The zone's init, in the master when the cycle maps its zones. <data> is
 * the previous cycle's users struct when the mapping was taken over.
 */
static dr_int_t
dr_upstream_init_zone(dr_shm_zone_t *shm_zone, void *data)
{
    dr_uint_t                  i;
    dr_slab_pool_t            *shpool;
    dr_upstream_conf_t        *us, **usp;
    dr_upstream_zone_t        *uz;
    dr_upstream_zone_dir_t    *dir;
    dr_upstream_zone_users_t  *users;

    users = shm_zone->data;
    shpool = (dr_slab_pool_t *) shm_zone->shm.addr;

    dir = shm_zone->shm.exists ? shpool->data : NULL;

    usp = users->pools.elts;

    for (i = 0; i < users->pools.nelts; i++) {
        us = usp[i];

        uz = dr_upstream_zone_dir_find(dir, &us->name);

        if (uz) {
            /* published its new peers by init_module, once committed */
            us->zone = uz;
            us->zone_seen = 0;
            continue;
        }

        uz = dr_upstream_zone_create(shpool, &us->name, shm_zone->shm.log);
        if (uz == NULL) {
            return DR_ERROR;
        }

        if (dr_upstream_zone_publish(uz, us->config_peers, us->nconfig_peers,
                                     shm_zone->shm.log)
            != DR_OK)
        {
            return DR_ERROR;
        }

        if (dr_upstream_zone_dir_add(shpool, &dir, uz, shm_zone->shm.log)
            != DR_OK)
        {
            return DR_ERROR;
        }

        us->zone = uz;
        us->zone_seen = 0;
    }

    shpool->data = dir;

    return DR_OK;
}


static dr_upstream_zone_t *
dr_upstream_zone_dir_find(dr_upstream_zone_dir_t *dir, dr_str_t *name)
{
    dr_uint_t  i;

    if (dir == NULL) {
        return NULL;
    }

    for (i = 0; i < dir->n; i++) {
        if (dr_str_eq(&dir->zones[i]->name, name)) {
            return dir->zones[i];
        }
    }

    return NULL;
}


static dr_int_t
dr_upstream_zone_dir_add(dr_slab_pool_t *shpool,
    dr_upstream_zone_dir_t **dirp, dr_upstream_zone_t *uz, dr_log_t *log)
{
    dr_uint_t                n;
    dr_upstream_zone_dir_t  *dir, *old;

    old = *dirp;
    n = old ? old->n : 0;

    dir = dr_slab_alloc(shpool, sizeof(dr_upstream_zone_dir_t)
                                + n * sizeof(dr_upstream_zone_t *));
    if (dir == NULL) {
        dr_log_error(DR_LOG_EMERG, log, 0,
                     "no memory for upstream \"%V\" in its zone", &uz->name);
        return DR_ERROR;
    }

    if (n) {
        dr_memcpy(dir->zones, old->zones, n * sizeof(dr_upstream_zone_t *));
    }

    dir->zones[n] = uz;
    dir->n = n + 1;

    /* the master alone reads the directory: no reader to wait for */

    if (old) {
        dr_slab_free(shpool, old);
    }

    *dirp = dir;

    return DR_OK;
}


dr_int_t
dr_upstream_init_module(dr_cycle_t *cycle, dr_array_t *pools)
{
    dr_uint_t             i;
    dr_upstream_conf_t  **usp;

    usp = pools->elts;

    for (i = 0; i < pools->nelts; i++) {

        if (usp[i]->shm_zone == NULL || usp[i]->zone == NULL) {
            continue;
        }

        /*
         * A pool that the zone knew already; a new one got this very
         * table at the zone's init, which this publishes again, keeping
         * every state: simpler than remembering which is which.
         */

        if (dr_upstream_zone_publish_config(usp[i]->zone,
                                            usp[i]->config_peers,
                                            usp[i]->nconfig_peers,
                                            cycle->log)
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return dr_upstream_agent_init_module(cycle, pools);
}


dr_int_t
dr_upstream_init_process(dr_cycle_t *cycle, dr_array_t *pools)
{
    dr_uint_t             i, nzones;
    dr_upstream_conf_t   *us, **usp;

    if (dr_process == DR_PROCESS_AGENT) {
        return dr_upstream_agent_init_process(cycle, pools);
    }

    if (dr_process != DR_PROCESS_WORKER && dr_process != DR_PROCESS_SINGLE) {
        return DR_OK;
    }

    usp = pools->elts;
    nzones = 0;

    for (i = 0; i < pools->nelts; i++) {
        us = usp[i];

        us->zone_seen = dr_upstream_zone_table(us->zone)->generation;

        if (us->shm_zone == NULL) {
            continue;
        }

        if (dr_upstream_zone_attach(us->zone, dr_pid, &us->zone_slot)
            != DR_OK)
        {
            dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                         "upstream \"%V\": no free epoch slot in its zone "
                         "(more than %d workers?)", &us->name,
                         DR_UPSTREAM_MAX_WORKERS);
            return DR_ERROR;
        }

        us->zone_attached = 1;
        nzones++;
    }

    if (pools->nelts) {
        if (dr_event_add_loop_hook(cycle, dr_upstream_loop_hook, pools)
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    if (nzones) {
        dr_memzero(&dr_upstream_wake_event, sizeof(dr_event_t));
        dr_upstream_wake_event.handler = dr_upstream_wake_handler;
        dr_upstream_wake_event.log = cycle->log;
        dr_upstream_wake_event.data = cycle;
        dr_upstream_wake_event.cancelable = 1;

        dr_add_timer(&dr_upstream_wake_event, DR_UPSTREAM_WAKE);
    }

    if (dr_process == DR_PROCESS_SINGLE) {
        return dr_upstream_agent_init_process(cycle, pools);
    }

    return DR_OK;
}


void
dr_upstream_exit_process(dr_cycle_t *cycle, dr_array_t *pools)
{
    dr_uint_t             i;
    dr_upstream_conf_t  **usp;

    usp = pools->elts;

    for (i = 0; i < pools->nelts; i++) {
        if (usp[i]->zone_attached) {
            dr_upstream_zone_detach(usp[i]->zone, usp[i]->zone_slot);
            usp[i]->zone_attached = 0;
        }
    }
}


void
dr_upstream_master_tick(dr_cycle_t *cycle, dr_array_t *pools,
    dr_msec_t *next)
{
    dr_uint_t             i, any;
    dr_msec_t             at;
    dr_upstream_conf_t  **usp;

    usp = pools->elts;
    any = 0;

    for (i = 0; i < pools->nelts; i++) {
        if (usp[i]->shm_zone && usp[i]->zone) {
            any = 1;
            break;
        }
    }

    if (!any) {
        return;
    }

    if (dr_current_msec - dr_upstream_reclaimed >= DR_UPSTREAM_WAKE) {
        dr_upstream_reclaimed = dr_current_msec;

        for (i = 0; i < pools->nelts; i++) {
            if (usp[i]->shm_zone && usp[i]->zone) {
                dr_upstream_zone_reclaim(usp[i]->zone, cycle->log);
            }
        }
    }

    at = dr_upstream_reclaimed + DR_UPSTREAM_WAKE;

    if (*next == 0 || at < *next) {
        *next = at;
    }
}


/* the top of every loop turn of a worker */
static void
dr_upstream_loop_hook(dr_cycle_t *cycle, void *data)
{
    dr_array_t  *pools = data;

    dr_uint_t             i;
    dr_upstream_conf_t   *us, **usp;

    usp = pools->elts;

    for (i = 0; i < pools->nelts; i++) {
        us = usp[i];

        if (!us->zone_attached) {
            continue;
        }

        dr_upstream_zone_quiesce(us->zone, us->zone_slot);

        if (us->keepalive_cache
            && us->zone_seen != (dr_uint_t) us->zone->generation)
        {
            dr_upstream_keepalive_sync(us);
        }
    }
}


/* an idle worker still turns its loop once a second (see the top) */
static void
dr_upstream_wake_handler(dr_event_t *ev)
{
    if (dr_exiting) {
        return;
    }

    dr_add_timer(ev, DR_UPSTREAM_WAKE);
}
