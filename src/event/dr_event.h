/*
 * The event layer's umbrella header: events, the epoll loop, the events{}
 * block and its modules.
 *
 * An event is one direction of a file descriptor (c->read, c->write) or a
 * pure timer. Its handler runs when epoll reports it (ready = 1), when its
 * timer fires (timedout = 1) or when it was posted. Handlers run in the
 * one thread of a worker (or keeper, agent) process; nothing here is
 * shared between processes except the accept mutex and the connection
 * counter.
 */
#ifndef DR_EVENT_H_INCLUDED
#define DR_EVENT_H_INCLUDED

#include "dr_os.h"

#include <sys/epoll.h>

#define DR_TIMER_INFINITE  (dr_msec_t) -1

struct dr_event_s {
    void                 *data;         /* the connection, usually */
    dr_event_handler_pt   handler;
    dr_log_t             *log;

    unsigned              write:1;
    unsigned              accept:1;         /* a listening socket's */
    unsigned              instance:1;       /* see dr_epoll.c: stale events */
    unsigned              active:1;         /* registered with epoll */
    unsigned              ready:1;          /* I/O may make progress */
    unsigned              eof:1;
    unsigned              error:1;
    unsigned              timedout:1;
    unsigned              timer_set:1;
    unsigned              delayed:1;        /* rate limited: wait for timer */
    unsigned              deferred_accept:1;
    unsigned              pending_eof:1;    /* EPOLLRDHUP: the peer shut down */
    unsigned              posted:1;
    unsigned              closed:1;
    unsigned              cancelable:1;     /* does not delay a graceful exit */

    /*
     * read events: -1 unknown, 0 drained (recv() returned less than asked
     * since the last edge); listening sockets: accept more than one
     * connection per wakeup (multi_accept)
     */
    int                   available;

    dr_rbtree_node_t      timer;
    dr_queue_t            queue;        /* in a posted queue */
};

/* the events of dr_add_event()/dr_del_event() */
#define DR_READ_EVENT      (EPOLLIN|EPOLLRDHUP)
#define DR_WRITE_EVENT     EPOLLOUT

/* dr_add_event() flags: edge- or level-triggered, exclusive wakeup */
#define DR_CLEAR_EVENT     EPOLLET
#define DR_LEVEL_EVENT     0
#ifdef EPOLLEXCLUSIVE
#define DR_EXCLUSIVE_EVENT EPOLLEXCLUSIVE
#else
#define DR_EXCLUSIVE_EVENT 0
#endif

/* dr_del_event() flags */
#define DR_CLOSE_EVENT     1    /* the fd is about to be closed */
#define DR_DISABLE_EVENT   2

/* dr_epoll_process_events() flags */
#define DR_UPDATE_TIME     1
#define DR_POST_EVENTS     2

/* the events{} block: DR_EVENT_MODULE modules, DR_EVENT_CONF directives */
#define DR_EVENT_MODULE    0x544e5645   /* "EVNT" */
#define DR_EVENT_CONF      0x02000000

typedef struct {
    dr_str_t     *name;
    void       *(*create_conf)(dr_cycle_t *cycle);
    char       *(*init_conf)(dr_cycle_t *cycle, void *conf);
} dr_event_module_t;

typedef struct {
    dr_uint_t     connections;
    dr_uint_t     use;                  /* ctx_index of the event method */
    dr_flag_t     multi_accept;
    dr_flag_t     accept_mutex;
    dr_msec_t     accept_mutex_delay;
    u_char       *name;
} dr_event_conf_t;

extern dr_module_t  dr_events_module;
extern dr_module_t  dr_event_core_module;
extern dr_module_t  dr_epoll_module;

/* conf_ctx[dr_events_module.index] is a (void ***): the event modules' confs */
#define dr_event_get_conf(conf_ctx, module)                                   \
    (*((void ***) dr_get_conf(conf_ctx, dr_events_module)))[module.ctx_index]

extern dr_atomic_t     *dr_connection_counter;
extern dr_atomic_t     *dr_accept_mutex_ptr;
extern dr_shmtx_t       dr_accept_mutex;
extern dr_uint_t        dr_use_accept_mutex;
extern dr_uint_t        dr_accept_events;
extern dr_uint_t        dr_accept_mutex_held;
extern dr_msec_t        dr_accept_mutex_delay;
extern dr_int_t         dr_accept_disabled;
extern dr_uint_t        dr_use_exclusive_accept;
extern sig_atomic_t     dr_event_timer_alarm;

#include "dr_connection.h"
#include "dr_event_timer.h"
#include "dr_event_posted.h"
#include "dr_event_connect.h"

/* epoll, src/event/dr_epoll.c: the only event method */
dr_int_t dr_epoll_init(dr_cycle_t *cycle);
void dr_epoll_done(dr_cycle_t *cycle);
dr_int_t dr_epoll_add_event(dr_event_t *ev, dr_uint_t event, dr_uint_t flags);
dr_int_t dr_epoll_del_event(dr_event_t *ev, dr_uint_t event, dr_uint_t flags);
dr_int_t dr_epoll_add_connection(dr_connection_t *c);
dr_int_t dr_epoll_del_connection(dr_connection_t *c, dr_uint_t flags);
dr_int_t dr_epoll_process_events(dr_cycle_t *cycle, dr_msec_t timer,
    dr_uint_t flags);

#define dr_add_event       dr_epoll_add_event
#define dr_del_event       dr_epoll_del_event
#define dr_add_conn        dr_epoll_add_connection
#define dr_del_conn        dr_epoll_del_connection
#define dr_process_events  dr_epoll_process_events

/*
 * One turn of a process's loop: waits in epoll for I/O or the nearest
 * timer, runs the handlers (accepts first), the expired timers, then the
 * posted events. Returns after each wakeup (a signal included) so the
 * caller can look at dr_quit, dr_terminate, dr_reopen.
 */
void dr_process_events_and_timers(dr_cycle_t *cycle);

/*
 * Call after an I/O returned DR_AGAIN (or before waiting for the first
 * data): registers the event with epoll if it is not yet. With
 * edge-triggered epoll the registration stays; <flags> and the removal
 * they ask level-triggered methods for do not apply. DR_OK or DR_ERROR.
 */
dr_int_t dr_handle_read_event(dr_event_t *rev, dr_uint_t flags);
/* the same for writing; <lowat> sets SO_SNDLOWAT (0: leave it) */
dr_int_t dr_handle_write_event(dr_event_t *wev, size_t lowat);
dr_int_t dr_send_lowat(dr_connection_t *c, size_t lowat);

/* accepting (dr_event_accept.c) */
void dr_event_accept(dr_event_t *ev);
dr_int_t dr_trylock_accept_mutex(dr_cycle_t *cycle);
dr_int_t dr_enable_accept_events(dr_cycle_t *cycle);
dr_int_t dr_disable_accept_events(dr_cycle_t *cycle, dr_uint_t all);
/*
 * Master: a child exited; if it held the accept mutex, release it (a
 * worker holds it while it waits in epoll, so a crash would stop every
 * worker from accepting). Safe to call for any pid, any time.
 */
void dr_event_accept_mutex_release(pid_t pid);

/*
 * Worker role entry (dr_event_worker.c): child init, then the loop until
 * the process exits. Never returns.
 */
void dr_event_worker_run(dr_cycle_t *cycle, dr_uint_t slot);
/*
 * The loop of an evented child (worker, keeper, agent, single process),
 * after dr_child_process_init(): turns until TERM, or until QUIT's
 * graceful shutdown has nothing left to wait for; reopens logs on USR1.
 * Never returns (exits through dr_child_process_exit()).
 */
void dr_event_loop(dr_cycle_t *cycle);
/*
 * Per-iteration hooks: <handler>(cycle, data) runs at the top of every
 * turn of dr_event_loop(), before the wait, in registration order (a
 * quiescent point: upstream zones record there that no table pointer of
 * the previous turn is held). Register from an init_process hook; they
 * are per process, and at most DR_EVENT_LOOP_HOOKS. DR_OK or DR_ERROR
 * (logged: too many).
 */
#define DR_EVENT_LOOP_HOOKS  8

typedef void (*dr_event_loop_hook_pt)(dr_cycle_t *cycle, void *data);

dr_int_t dr_event_add_loop_hook(dr_cycle_t *cycle,
    dr_event_loop_hook_pt handler, void *data);
/*
 * Begins a graceful shutdown of this process: stops accepting, closes idle
 * keep-alive connections, arms worker_shutdown_timeout. The loop then
 * exits once dr_event_no_timers_left() says so. Idempotent.
 */
void dr_event_shutdown(dr_cycle_t *cycle);

#endif /* DR_EVENT_H_INCLUDED */
