/*
 * The worker process, and the loop every evented child runs.
 *
 * The master forks a worker per slot of the "worker process" role
 * (registered by dr_event_core_module's init_module) and calls
 * dr_event_worker_run() in it; with master_process off the single
 * process calls it too, with slot 0. After the common child start
 * (dr_child_process_init(): privileges, rlimits, every module's
 * init_process, which sets up epoll and the accept events), the loop
 * turns until a signal ends it. Signal handlers only set flags
 * (dr_process.h); they are acted upon here, between two turns:
 *
 *   TERM/INT  exit at once, connections are cut
 *   QUIT      graceful: stop accepting, close idle keep-alive
 *             connections, let the others finish (bounded by
 *             worker_shutdown_timeout), exit when no timer that matters
 *             is left
 *   USR1      reopen the log files
 *
 * The keeper and agent processes run the same loop (dr_event_loop()).
 * Modules may hook the top of each turn (dr_event_add_loop_hook()).
 */

#include "dr_event.h"


static void dr_event_shutdown_handler(dr_event_t *ev);


typedef struct {
    dr_event_loop_hook_pt   handler;
    void                   *data;
} dr_event_loop_hook_t;


static dr_event_t            dr_event_shutdown_event;
static dr_event_loop_hook_t  dr_event_loop_hooks[DR_EVENT_LOOP_HOOKS];
static dr_uint_t             dr_event_nloop_hooks;


void
dr_event_worker_run(dr_cycle_t *cycle, dr_uint_t slot)
{
    dr_worker = slot;

    /* master_process off: this is the single process, not a worker */

    dr_child_process_init(cycle, dr_process == DR_PROCESS_SINGLE
                                 ? DR_PROCESS_SINGLE : DR_PROCESS_WORKER);

    dr_event_loop(cycle);
}


dr_int_t
dr_event_add_loop_hook(dr_cycle_t *cycle, dr_event_loop_hook_pt handler,
    void *data)
{
    if (dr_event_nloop_hooks == DR_EVENT_LOOP_HOOKS) {
        dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                     "more than %d event loop hooks", DR_EVENT_LOOP_HOOKS);
        return DR_ERROR;
    }

    dr_event_loop_hooks[dr_event_nloop_hooks].handler = handler;
    dr_event_loop_hooks[dr_event_nloop_hooks].data = data;
    dr_event_nloop_hooks++;

    return DR_OK;
}


void
dr_event_loop(dr_cycle_t *cycle)
{
    dr_uint_t  i;

    for ( ;; ) {

        for (i = 0; i < dr_event_nloop_hooks; i++) {
            dr_event_loop_hooks[i].handler(cycle, dr_event_loop_hooks[i].data);
        }

        if (dr_exiting && dr_event_no_timers_left() == DR_OK) {
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "exiting");
            dr_child_process_exit(cycle, 0);
        }

        dr_log_debug(cycle->log, "worker cycle");

        dr_process_events_and_timers(cycle);

        if (dr_terminate) {
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "exiting");
            dr_child_process_exit(cycle, 0);
        }

        if (dr_quit) {
            dr_quit = 0;

            dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                         "gracefully shutting down");

            if (dr_process == DR_PROCESS_WORKER) {
                dr_setproctitle("worker process is shutting down");
            }

            dr_event_shutdown(cycle);
        }

        if (dr_reopen) {
            dr_reopen = 0;

            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "reopening logs");

            dr_reopen_files(cycle, (uid_t) -1);
        }

        if (dr_reconfigure && dr_process == DR_PROCESS_SINGLE) {
            dr_reconfigure = 0;

            /*
             * a new cycle means new listening sockets and a new connection
             * table while the old connections live on: that takes a master
             */

            dr_log_error(DR_LOG_WARN, cycle->log, 0,
                         "reloading the configuration needs "
                         "\"master_process on\", ignored");
        }
    }
}


void
dr_event_shutdown(dr_cycle_t *cycle)
{
    dr_core_conf_t  *ccf;

    if (dr_exiting) {
        return;
    }

    dr_exiting = 1;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (ccf->shutdown_timeout && ccf->shutdown_timeout != DR_CONF_UNSET_MSEC)
    {
        dr_memzero(&dr_event_shutdown_event, sizeof(dr_event_t));

        dr_event_shutdown_event.handler = dr_event_shutdown_handler;
        dr_event_shutdown_event.data = cycle;
        dr_event_shutdown_event.log = cycle->log;

        /* this timer alone must not keep the process alive */

        dr_event_shutdown_event.cancelable = 1;

        dr_event_add_timer(&dr_event_shutdown_event, ccf->shutdown_timeout);
    }

    dr_close_listening_sockets(cycle);

    dr_close_idle_connections(cycle);

    dr_event_process_posted(cycle, &dr_posted_events);
}


/* worker_shutdown_timeout: the owners are asked to close what is left */
static void
dr_event_shutdown_handler(dr_event_t *ev)
{
    dr_uint_t          i;
    dr_cycle_t        *cycle;
    dr_connection_t   *c;

    cycle = ev->data;

    c = cycle->connections;

    for (i = 0; i < cycle->connection_n; i++) {

        if (c[i].fd == (dr_socket_t) -1 || c[i].read->accept) {
            continue;
        }

        dr_log_debug(ev->log, "*%uL shutdown timeout",
                     (uint64_t) c[i].number);

        c[i].close = 1;
        c[i].error = 1;

        c[i].read->handler(c[i].read);
    }
}
