/*
 * The event loop and the events{} block.
 *
 * dr_events_module (a core module) owns the events{} block: it builds the
 * conf context of the event modules (event_core, epoll) and parses the
 * block with them. Unlike nginx, drover does not require the block: when
 * it is absent every event setting takes its default.
 *
 * dr_event_core_module holds worker_connections, use, multi_accept,
 * accept_mutex and accept_mutex_delay. Its hooks run in the master
 * (init_module: registers the "worker process" role, maps the page shared
 * by all workers: accept mutex, connection counter) and in every child
 * with a loop (init_process: epoll, connection table, accept events;
 * exit_process: reports connections a graceful exit left open).
 *
 * accept_mutex: off by default as in nginx >= 1.11.3. Off, listening
 * sockets are registered with EPOLLEXCLUSIVE when there are several
 * workers, so the kernel wakes one of them per connection (and the
 * waiters are reordered now and then, see dr_event_accept.c). On, the
 * workers take turns as in nginx: only the holder of a shared-memory
 * mutex (dr_shmtx) has the listening sockets in its epoll set, the others
 * retry every accept_mutex_delay. A worker whose connections are 7/8 used
 * stays out of the race for a while either way.
 */

#include "dr_event.h"


#define DR_EVENT_DEFAULT_CONNECTIONS  512


static char *dr_events_block(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *dr_events_init_conf(dr_cycle_t *cycle, void *conf);
static void ***dr_event_create_ctx(dr_cycle_t *cycle, dr_pool_t *pool);
static char *dr_event_init_ctx(dr_cycle_t *cycle, void ***ctx);
static char *dr_event_connections(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_event_use(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static void *dr_event_core_create_conf(dr_cycle_t *cycle);
static char *dr_event_core_init_conf(dr_cycle_t *cycle, void *conf);
static dr_int_t dr_event_module_init(dr_cycle_t *cycle);
static dr_int_t dr_event_process_init(dr_cycle_t *cycle);
static dr_int_t dr_event_init_connections(dr_cycle_t *cycle);
static dr_int_t dr_event_init_listening(dr_cycle_t *cycle,
    dr_core_conf_t *ccf);
static void dr_event_process_exit(dr_cycle_t *cycle);
static void dr_event_timer_signal_handler(int signo);


static dr_msec_t     dr_event_timer_resolution;
sig_atomic_t         dr_event_timer_alarm;

static dr_atomic_t   dr_event_connection_counter0 = 1;
dr_atomic_t         *dr_connection_counter = &dr_event_connection_counter0;

dr_atomic_t         *dr_accept_mutex_ptr;
dr_shmtx_t           dr_accept_mutex;
dr_uint_t            dr_use_accept_mutex;
dr_uint_t            dr_accept_events;
dr_uint_t            dr_accept_mutex_held;
dr_msec_t            dr_accept_mutex_delay;
dr_int_t             dr_accept_disabled;
dr_uint_t            dr_use_exclusive_accept;


static dr_command_t  dr_events_commands[] = {

    { dr_string("events"),
      DR_MAIN_CONF|DR_CONF_BLOCK|DR_CONF_NOARGS,
      dr_events_block,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_core_module_t  dr_events_module_ctx = {
    .name = dr_string("events"),
    .create_conf = NULL,
    .init_conf = dr_events_init_conf,
};


dr_module_t  dr_events_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "events",
    .type = DR_CORE_MODULE,
    .ctx = &dr_events_module_ctx,
    .commands = dr_events_commands,
};


static dr_str_t  dr_event_core_name = dr_string("event_core");


static dr_command_t  dr_event_core_commands[] = {

    { dr_string("worker_connections"),
      DR_EVENT_CONF|DR_CONF_TAKE1,
      dr_event_connections,
      0,
      0,
      NULL },

    { dr_string("use"),
      DR_EVENT_CONF|DR_CONF_TAKE1,
      dr_event_use,
      0,
      0,
      NULL },

    { dr_string("multi_accept"),
      DR_EVENT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      0,
      offsetof(dr_event_conf_t, multi_accept),
      NULL },

    { dr_string("accept_mutex"),
      DR_EVENT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      0,
      offsetof(dr_event_conf_t, accept_mutex),
      NULL },

    { dr_string("accept_mutex_delay"),
      DR_EVENT_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      0,
      offsetof(dr_event_conf_t, accept_mutex_delay),
      NULL },

    dr_null_command
};


static dr_event_module_t  dr_event_core_module_ctx = {
    .name = &dr_event_core_name,
    .create_conf = dr_event_core_create_conf,
    .init_conf = dr_event_core_init_conf,
};


dr_module_t  dr_event_core_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "event_core",
    .type = DR_EVENT_MODULE,
    .ctx = &dr_event_core_module_ctx,
    .commands = dr_event_core_commands,
    .init_module = dr_event_module_init,
    .init_process = dr_event_process_init,
    .exit_process = dr_event_process_exit,
};


void
dr_process_events_and_timers(dr_cycle_t *cycle)
{
    dr_uint_t  flags;
    dr_msec_t  timer;

    if (dr_event_timer_resolution) {
        timer = DR_TIMER_INFINITE;
        flags = 0;

    } else {
        timer = dr_event_find_timer();
        flags = DR_UPDATE_TIME;
    }

    if (dr_use_accept_mutex) {
        if (dr_accept_disabled > 0) {
            dr_accept_disabled--;

        } else {
            if (dr_trylock_accept_mutex(cycle) == DR_ERROR) {
                return;
            }

            if (dr_accept_mutex_held) {
                flags |= DR_POST_EVENTS;

            } else if (timer == DR_TIMER_INFINITE
                       || timer > dr_accept_mutex_delay)
            {
                timer = dr_accept_mutex_delay;
            }
        }
    }

    if (!dr_queue_empty(&dr_posted_next_events)) {
        dr_event_move_posted_next(cycle);
        timer = 0;
    }

    /* work posted outside a handler (a timer, an init) must not wait */

    if (!dr_queue_empty(&dr_posted_events)) {
        timer = 0;
    }

    (void) dr_process_events(cycle, timer, flags);

    dr_event_process_posted(cycle, &dr_posted_accept_events);

    if (dr_accept_mutex_held) {
        dr_shmtx_unlock(&dr_accept_mutex);
    }

    dr_event_expire_timers();

    dr_event_process_posted(cycle, &dr_posted_events);
}


dr_int_t
dr_handle_read_event(dr_event_t *rev, dr_uint_t flags)
{
    (void) flags;

    if (!rev->active && !rev->ready) {
        if (dr_add_event(rev, DR_READ_EVENT, DR_CLEAR_EVENT) == DR_ERROR) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_handle_write_event(dr_event_t *wev, size_t lowat)
{
    dr_connection_t  *c;

    c = wev->data;

    if (lowat) {
        if (dr_send_lowat(c, lowat) == DR_ERROR) {
            return DR_ERROR;
        }
    }

    if (!wev->active && !wev->ready) {
        if (dr_add_event(wev, DR_WRITE_EVENT, DR_CLEAR_EVENT) == DR_ERROR) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_send_lowat(dr_connection_t *c, size_t lowat)
{
    int  sndlowat;

    if (lowat == 0 || c->sndlowat) {
        return DR_OK;
    }

    sndlowat = (int) lowat;

    if (setsockopt(c->fd, SOL_SOCKET, SO_SNDLOWAT,
                   (const void *) &sndlowat, sizeof(int))
        == -1)
    {
        dr_connection_error(c, dr_socket_errno,
                            "setsockopt(SO_SNDLOWAT) failed");
        return DR_ERROR;
    }

    c->sndlowat = 1;

    return DR_OK;
}


static char *
dr_events_block(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char        *rv;
    void      ***ctx;
    dr_conf_t    pcf;

    (void) cmd;

    if (*(void **) conf) {
        return "is duplicate";
    }

    ctx = dr_event_create_ctx(cf->cycle, cf->pool);
    if (ctx == NULL) {
        return DR_CONF_ERROR;
    }

    *(void **) conf = ctx;

    pcf = *cf;
    cf->ctx = ctx;
    cf->module_type = DR_EVENT_MODULE;
    cf->cmd_type = DR_EVENT_CONF;

    rv = dr_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != DR_CONF_OK) {
        return rv;
    }

    return dr_event_init_ctx(cf->cycle, ctx);
}


/* numbers the event modules and creates their conf structs */
static void ***
dr_event_create_ctx(dr_cycle_t *cycle, dr_pool_t *pool)
{
    void               ***ctx;
    dr_int_t              n;
    dr_uint_t             i;
    dr_event_module_t    *m;

    n = dr_count_modules(cycle, DR_EVENT_MODULE);

    ctx = dr_pcalloc(pool, sizeof(void *));
    if (ctx == NULL) {
        return NULL;
    }

    *ctx = dr_pcalloc(pool, (n ? n : 1) * sizeof(void *));
    if (*ctx == NULL) {
        return NULL;
    }

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != DR_EVENT_MODULE) {
            continue;
        }

        m = cycle->modules[i]->ctx;

        if (m->create_conf) {
            (*ctx)[cycle->modules[i]->ctx_index] = m->create_conf(cycle);

            if ((*ctx)[cycle->modules[i]->ctx_index] == NULL) {
                return NULL;
            }
        }
    }

    return ctx;
}


static char *
dr_event_init_ctx(dr_cycle_t *cycle, void ***ctx)
{
    char               *rv;
    dr_uint_t           i;
    dr_event_module_t  *m;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != DR_EVENT_MODULE) {
            continue;
        }

        m = cycle->modules[i]->ctx;

        if (m->init_conf) {
            rv = m->init_conf(cycle, (*ctx)[cycle->modules[i]->ctx_index]);
            if (rv != DR_CONF_OK) {
                return rv;
            }
        }
    }

    return DR_CONF_OK;
}


/*
 * After the whole configuration is read: supplies the defaults when there
 * was no events{} block, checks worker_connections against the listening
 * sockets and gives each worker slot its reuseport socket.
 */
static char *
dr_events_init_conf(dr_cycle_t *cycle, void *conf)
{
    void           ***ctx = conf;
    dr_uint_t         i;
    dr_listening_t   *ls;

    if (ctx == NULL) {
        ctx = dr_event_create_ctx(cycle, cycle->pool);
        if (ctx == NULL) {
            return DR_CONF_ERROR;
        }

        if (dr_event_init_ctx(cycle, ctx) != DR_CONF_OK) {
            return DR_CONF_ERROR;
        }

        cycle->conf_ctx[dr_events_module.index] = ctx;
    }

    if (cycle->connection_n < cycle->listening.nelts + 1) {

        /* one connection per listening socket, and one to serve */

        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "%ui worker_connections are not enough "
                     "for %ui listening sockets",
                     cycle->connection_n, cycle->listening.nelts);

        return DR_CONF_ERROR;
    }

    if (dr_test_config) {
        return DR_CONF_OK;
    }

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        if (!ls[i].reuseport || ls[i].worker != 0) {
            continue;
        }

        if (dr_clone_listening(cycle, &ls[i]) != DR_OK) {
            return DR_CONF_ERROR;
        }

        /* cloning may have moved the array */

        ls = cycle->listening.elts;
    }

    return DR_CONF_OK;
}


static char *
dr_event_connections(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_event_conf_t  *ecf = conf;

    dr_int_t   n;
    dr_str_t  *value;

    (void) cmd;

    if (ecf->connections != DR_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = dr_atoi(value[1].data, value[1].len);

    if (n == DR_ERROR) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid number \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    ecf->connections = (dr_uint_t) n;
    cf->cycle->connection_n = ecf->connections;

    return DR_CONF_OK;
}


static char *
dr_event_use(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_event_conf_t  *ecf = conf;

    dr_str_t  *value;

    (void) cmd;

    if (ecf->use != DR_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* epoll is the only event method drover has */

    if (!dr_str_eq_lit(&value[1], "epoll")) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid event type \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    ecf->use = dr_epoll_module.ctx_index;
    ecf->name = (u_char *) "epoll";

    return DR_CONF_OK;
}


static void *
dr_event_core_create_conf(dr_cycle_t *cycle)
{
    dr_event_conf_t  *ecf;

    ecf = dr_palloc(cycle->pool, sizeof(dr_event_conf_t));
    if (ecf == NULL) {
        return NULL;
    }

    ecf->connections = DR_CONF_UNSET_UINT;
    ecf->use = DR_CONF_UNSET_UINT;
    ecf->multi_accept = DR_CONF_UNSET;
    ecf->accept_mutex = DR_CONF_UNSET;
    ecf->accept_mutex_delay = DR_CONF_UNSET_MSEC;
    ecf->name = NULL;

    return ecf;
}


static char *
dr_event_core_init_conf(dr_cycle_t *cycle, void *conf)
{
    dr_event_conf_t  *ecf = conf;

    dr_conf_init_uint_value(ecf->connections, DR_EVENT_DEFAULT_CONNECTIONS);
    cycle->connection_n = ecf->connections;

    if (ecf->use == DR_CONF_UNSET_UINT) {
        ecf->use = dr_epoll_module.ctx_index;
        ecf->name = (u_char *) "epoll";
    }

    dr_conf_init_value(ecf->multi_accept, 0);
    dr_conf_init_value(ecf->accept_mutex, 0);
    dr_conf_init_msec_value(ecf->accept_mutex_delay, 500);

    return DR_CONF_OK;
}


/*
 * Master, after each successful parse: registers the workers and, once
 * per master, maps the page the workers share.
 */
/* 0 when listening sockets exist and none of them is for the workers */
static dr_uint_t
dr_event_workers_needed(dr_cycle_t *cycle)
{
    dr_uint_t        i;
    dr_listening_t  *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].process == DR_PROCESS_WORKER) {
            return 1;
        }
    }

    return cycle->listening.nelts == 0;
}


static dr_int_t
dr_event_module_init(dr_cycle_t *cycle)
{
    dr_shm_t            shm;
    struct rlimit       rlmt;
    dr_core_conf_t     *ccf;
    dr_event_conf_t    *ecf;
    dr_process_role_t   role;

    ecf = dr_event_get_conf(cycle->conf_ctx, dr_event_core_module);
    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (!dr_test_config && dr_process <= DR_PROCESS_MASTER) {
        dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                     "using the \"%s\" event method", ecf->name);
    }

    dr_event_timer_resolution = ccf->timer_resolution;

    if (getrlimit(RLIMIT_NOFILE, &rlmt) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "getrlimit(RLIMIT_NOFILE) failed, ignored");

    } else if (ecf->connections > (dr_uint_t) rlmt.rlim_cur
               && (ccf->rlimit_nofile == DR_CONF_UNSET
                   || ecf->connections > (dr_uint_t) ccf->rlimit_nofile))
    {
        dr_log_error(DR_LOG_WARN, cycle->log, 0,
                     "%ui worker_connections exceed "
                     "open file resource limit: %i", ecf->connections,
                     ccf->rlimit_nofile == DR_CONF_UNSET
                     ? (dr_int_t) rlmt.rlim_cur : ccf->rlimit_nofile);
    }

    /*
     * Workers serve the listening sockets meant for them. A configuration
     * whose sockets all belong to another role (a keeper-only drover) runs
     * no idle workers; one with no socket at all runs them, as nginx does.
     */

    if (dr_event_workers_needed(cycle) == 0) {
        goto shared;
    }

    dr_memzero(&role, sizeof(dr_process_role_t));

    role.name = "worker process";
    role.count = (dr_uint_t) ccf->worker_processes;
    role.run = dr_event_worker_run;

    if (dr_add_process_role(cycle, &role) != DR_OK) {
        return DR_ERROR;
    }

shared:

    if (ccf->master == 0 || dr_accept_mutex_ptr) {
        return DR_OK;
    }

    /*
     * One page for the master's lifetime (reloads keep it): the accept
     * mutex and the connection counter, each on its own cache line.
     */

    dr_memzero(&shm, sizeof(dr_shm_t));

    shm.size = 128 * 2;
    dr_str_set(&shm.name, "drover_event_shared");
    shm.log = cycle->log;

    if (dr_shm_alloc(&shm) != DR_OK) {
        return DR_ERROR;
    }

    dr_accept_mutex_ptr = (dr_atomic_t *) shm.addr;

    if (dr_shmtx_create(&dr_accept_mutex, (dr_shmtx_sh_t *) shm.addr,
                        (u_char *) "accept_mutex")
        != DR_OK)
    {
        return DR_ERROR;
    }

    dr_connection_counter = (dr_atomic_t *) (shm.addr + 128);

    *dr_connection_counter = dr_event_connection_counter0;

    /* a worker killed while it held the accept mutex must not stop accepting */
    dr_process_reaped_hook = dr_event_accept_mutex_release;

    return DR_OK;
}


/*
 * Each child that runs a loop (worker, keeper, agent, the single
 * process): epoll, the connection table and its listening sockets.
 * DR_OK or DR_ERROR (the child exits).
 */
static dr_int_t
dr_event_process_init(dr_cycle_t *cycle)
{
    dr_core_conf_t     *ccf;
    dr_event_conf_t    *ecf;
    struct sigaction    sa;
    struct itimerval    itv;

    if (dr_process != DR_PROCESS_SINGLE
        && dr_process != DR_PROCESS_WORKER
        && dr_process != DR_PROCESS_KEEPER
        && dr_process != DR_PROCESS_AGENT)
    {
        return DR_OK;
    }

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);
    ecf = dr_event_get_conf(cycle->conf_ctx, dr_event_core_module);

    dr_event_timer_resolution = ccf->timer_resolution;

    if (dr_process == DR_PROCESS_WORKER && ccf->master
        && ccf->worker_processes > 1 && ecf->accept_mutex
        && dr_accept_mutex_ptr)
    {
        dr_use_accept_mutex = 1;
        dr_accept_mutex_held = 0;
        dr_accept_mutex_delay = ecf->accept_mutex_delay;

    } else {
        dr_use_accept_mutex = 0;
    }

    dr_use_exclusive_accept = 0;

    dr_queue_init(&dr_posted_accept_events);
    dr_queue_init(&dr_posted_next_events);
    dr_queue_init(&dr_posted_events);

    if (dr_event_timer_init(cycle->log) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_epoll_init(cycle) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_event_timer_resolution) {
        dr_memzero(&sa, sizeof(struct sigaction));
        sa.sa_handler = dr_event_timer_signal_handler;
        sigemptyset(&sa.sa_mask);

        if (sigaction(SIGALRM, &sa, NULL) == -1) {
            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "sigaction(SIGALRM) failed");
            return DR_ERROR;
        }

        itv.it_interval.tv_sec = dr_event_timer_resolution / 1000;
        itv.it_interval.tv_usec = (dr_event_timer_resolution % 1000) * 1000;
        itv.it_value = itv.it_interval;

        if (setitimer(ITIMER_REAL, &itv, NULL) == -1) {
            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "setitimer() failed");
        }
    }

    if (dr_event_init_connections(cycle) != DR_OK) {
        return DR_ERROR;
    }

    return dr_event_init_listening(cycle, ccf);
}


static dr_int_t
dr_event_init_connections(dr_cycle_t *cycle)
{
    dr_uint_t          i;
    dr_event_t        *rev, *wev;
    dr_connection_t   *c, *next;

    if (cycle->connection_n == 0) {
        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "0 worker_connections are not enough");
        return DR_ERROR;
    }

    cycle->connections = dr_alloc(sizeof(dr_connection_t)
                                  * cycle->connection_n, cycle->log);
    if (cycle->connections == NULL) {
        return DR_ERROR;
    }

    c = cycle->connections;

    cycle->read_events = dr_calloc(sizeof(dr_event_t) * cycle->connection_n,
                                   cycle->log);
    if (cycle->read_events == NULL) {
        return DR_ERROR;
    }

    rev = cycle->read_events;

    for (i = 0; i < cycle->connection_n; i++) {
        rev[i].closed = 1;
        rev[i].instance = 1;
    }

    cycle->write_events = dr_calloc(sizeof(dr_event_t) * cycle->connection_n,
                                    cycle->log);
    if (cycle->write_events == NULL) {
        return DR_ERROR;
    }

    wev = cycle->write_events;

    for (i = 0; i < cycle->connection_n; i++) {
        wev[i].closed = 1;
    }

    i = cycle->connection_n;
    next = NULL;

    do {
        i--;

        dr_memzero(&c[i], sizeof(dr_connection_t));

        c[i].data = next;
        c[i].read = &cycle->read_events[i];
        c[i].write = &cycle->write_events[i];
        c[i].fd = (dr_socket_t) -1;

        next = &c[i];
    } while (i);

    cycle->free_connections = next;
    cycle->free_connection_n = cycle->connection_n;

    dr_queue_init(&cycle->reusable_connections_queue);
    cycle->reusable_connections_n = 0;

    return DR_OK;
}


/* takes a connection for each listening socket this process accepts on */
static dr_int_t
dr_event_init_listening(dr_cycle_t *cycle, dr_core_conf_t *ccf)
{
    dr_uint_t          i;
    dr_event_t        *rev;
    dr_listening_t    *ls;
    dr_connection_t   *c, *old;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {

        if (ls[i].ignore || ls[i].fd == (dr_socket_t) -1) {
            continue;
        }

        if (dr_process != DR_PROCESS_SINGLE && ls[i].process != dr_process) {
            continue;
        }

        if (ls[i].reuseport && ls[i].worker != dr_worker) {
            continue;
        }

        c = dr_get_connection(ls[i].fd, cycle->log);
        if (c == NULL) {
            return DR_ERROR;
        }

        c->type = ls[i].type;
        c->log = &ls[i].log;

        c->listening = &ls[i];
        ls[i].connection = c;

        rev = c->read;

        rev->log = c->log;
        rev->accept = 1;
        rev->deferred_accept = ls[i].deferred_accept;
        rev->handler = dr_event_accept;

        if (ls[i].previous && ls[i].previous->connection) {

            /* a single process reloading: the old cycle's accept event */

            old = ls[i].previous->connection;

            if (old->read->active
                && dr_del_event(old->read, DR_READ_EVENT, 0) == DR_ERROR)
            {
                return DR_ERROR;
            }

            old->fd = (dr_socket_t) -1;
        }

        if (ls[i].reuseport) {
            if (dr_add_event(rev, DR_READ_EVENT, DR_LEVEL_EVENT) == DR_ERROR) {
                return DR_ERROR;
            }

            continue;
        }

        if (dr_use_accept_mutex) {
            continue;
        }

        if (DR_EXCLUSIVE_EVENT != 0 && dr_process == DR_PROCESS_WORKER
            && ccf->master && ccf->worker_processes > 1)
        {
            if (dr_add_event(rev, DR_READ_EVENT, DR_EXCLUSIVE_EVENT) == DR_OK) {
                dr_use_exclusive_accept = 1;
                continue;
            }

            /* a kernel older than 4.5: every worker is woken */
        }

        if (dr_add_event(rev, DR_READ_EVENT, DR_LEVEL_EVENT) == DR_ERROR) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/*
 * A graceful exit must leave no connection open: one that is left is a
 * handler that forgot to close it (an alert, which fails the tests).
 */
static void
dr_event_process_exit(dr_cycle_t *cycle)
{
    dr_uint_t          i;
    dr_connection_t   *c;

    c = cycle->connections;

    if (c == NULL) {
        return;
    }

    if (dr_exiting && !dr_terminate) {

        for (i = 0; i < cycle->connection_n; i++) {
            if (c[i].fd != (dr_socket_t) -1 && !c[i].read->accept) {
                dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                             "*%uL open socket #%d left in connection %ui",
                             (uint64_t) c[i].number, c[i].fd, i);
            }
        }
    }

    dr_epoll_done(cycle);
}


static void
dr_event_timer_signal_handler(int signo)
{
    (void) signo;

    dr_event_timer_alarm = 1;
}
