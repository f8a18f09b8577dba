/*
 * epoll: the event method of every drover process that has a loop.
 *
 * Edge-triggered for connections, level-triggered for listening sockets.
 * A connection's fd is registered once, for both directions, with EPOLLET
 * and stays registered until it is closed: no epoll_ctl() per request or
 * per EAGAIN, which is most of what level-triggered mode costs a proxy
 * that writes as much as it reads. The price is discipline, kept in
 * dr_socket.c: an event's <ready> flag stays set until a call proves the
 * socket drained (EAGAIN or a short read/write), and a handler that stops
 * early on purpose must post itself (dr_posted_next_events) since no new
 * edge will come. Listening sockets are level-triggered so that a worker
 * without multi_accept that takes one connection per turn is woken again
 * for the rest of the backlog.
 *
 * Stale events: a handler may close a connection whose slot is reused for
 * a new fd within the same epoll_wait() batch. The connection pointer in
 * epoll_data carries the slot's <instance> bit in its low bit (slots are
 * aligned); dr_get_connection() flips the bit, so a leftover result for
 * the old fd no longer matches and is dropped.
 *
 * EPOLLRDHUP (Linux >= 2.6.17) tells a peer's shutdown apart from data,
 * which lets recv() skip a syscall on a drained socket (dr_unix_recv()).
 */

#include "dr_event.h"


typedef struct {
    dr_int_t   events;
} dr_epoll_conf_t;


static void *dr_epoll_create_conf(dr_cycle_t *cycle);
static char *dr_epoll_init_conf(dr_cycle_t *cycle, void *conf);


static int                  dr_epoll_fd = -1;
static struct epoll_event  *dr_epoll_event_list;
static dr_uint_t            dr_epoll_nevents;

static dr_str_t             dr_epoll_name = dr_string("epoll");

static dr_conf_num_bounds_t  dr_epoll_events_bounds = {
    dr_conf_check_num_bounds, 1, INT_MAX
};


static dr_command_t  dr_epoll_commands[] = {

    { dr_string("epoll_events"),
      DR_EVENT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      0,
      offsetof(dr_epoll_conf_t, events),
      &dr_epoll_events_bounds },

    dr_null_command
};


static dr_event_module_t  dr_epoll_module_ctx = {
    .name = &dr_epoll_name,
    .create_conf = dr_epoll_create_conf,
    .init_conf = dr_epoll_init_conf,
};


dr_module_t  dr_epoll_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "epoll",
    .type = DR_EVENT_MODULE,
    .ctx = &dr_epoll_module_ctx,
    .commands = dr_epoll_commands,
};


/*
 * Creates the epoll instance and the result array of this process.
 * DR_OK or DR_ERROR (emerg logged). Child process init.
 */
dr_int_t
dr_epoll_init(dr_cycle_t *cycle)
{
    dr_epoll_conf_t  *epcf;

    epcf = dr_event_get_conf(cycle->conf_ctx, dr_epoll_module);

    if (dr_epoll_fd == -1) {
        dr_epoll_fd = epoll_create1(EPOLL_CLOEXEC);

        if (dr_epoll_fd == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "epoll_create1() failed");
            return DR_ERROR;
        }
    }

    if (dr_epoll_nevents < (dr_uint_t) epcf->events) {
        if (dr_epoll_event_list) {
            dr_free(dr_epoll_event_list);
        }

        dr_epoll_event_list = dr_alloc(sizeof(struct epoll_event)
                                       * epcf->events, cycle->log);
        if (dr_epoll_event_list == NULL) {
            dr_epoll_nevents = 0;
            return DR_ERROR;
        }
    }

    dr_epoll_nevents = (dr_uint_t) epcf->events;

    return DR_OK;
}


void
dr_epoll_done(dr_cycle_t *cycle)
{
    if (dr_epoll_fd != -1 && close(dr_epoll_fd) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "epoll close() failed");
    }

    dr_epoll_fd = -1;

    dr_free(dr_epoll_event_list);

    dr_epoll_event_list = NULL;
    dr_epoll_nevents = 0;
}


/*
 * Adds interest in <event> (DR_READ_EVENT or DR_WRITE_EVENT) of ev's
 * connection, keeping the other direction's registration. <flags>:
 * DR_CLEAR_EVENT (edge-triggered), DR_LEVEL_EVENT, DR_EXCLUSIVE_EVENT
 * (listening sockets: one process woken per connection). DR_OK or
 * DR_ERROR (alert logged).
 */
dr_int_t
dr_epoll_add_event(dr_event_t *ev, dr_uint_t event, dr_uint_t flags)
{
    int                  op;
    uint32_t             events, prev;
    dr_err_t             err;
    dr_event_t          *e;
    dr_connection_t     *c;
    struct epoll_event   ee;

    c = ev->data;

    if (event == DR_READ_EVENT) {
        e = c->write;
        prev = EPOLLOUT;
        events = EPOLLIN|EPOLLRDHUP;

    } else {
        e = c->read;
        prev = EPOLLIN|EPOLLRDHUP;
        events = EPOLLOUT;
    }

    if (e->active) {
        op = EPOLL_CTL_MOD;
        events |= prev;

    } else {
        op = EPOLL_CTL_ADD;
    }

    /* the kernel refuses EPOLLRDHUP beside EPOLLEXCLUSIVE */

    if (flags & DR_EXCLUSIVE_EVENT) {
        events &= ~EPOLLRDHUP;
    }

    ee.events = events | (uint32_t) flags;
    ee.data.ptr = (void *) ((uintptr_t) c | ev->instance);

    dr_log_debug(ev->log, "epoll add event: fd:%d op:%d ev:%08XD",
                 c->fd, op, ee.events);

    if (epoll_ctl(dr_epoll_fd, op, c->fd, &ee) == -1) {
        err = dr_errno;

        /* Linux < 4.5 has no EPOLLEXCLUSIVE: the caller falls back */

        dr_log_error((err == DR_EINVAL && (flags & DR_EXCLUSIVE_EVENT))
                     ? DR_LOG_NOTICE : DR_LOG_ALERT,
                     ev->log, err, "epoll_ctl(%d, %d) failed", op, c->fd);
        return DR_ERROR;
    }

    ev->active = 1;

    return DR_OK;
}


/*
 * Removes interest in <event>. DR_CLOSE_EVENT: the fd is about to be
 * closed, which removes it from epoll by itself (only when no other
 * process or fd holds the socket: listening sockets are deleted
 * explicitly).
 */
dr_int_t
dr_epoll_del_event(dr_event_t *ev, dr_uint_t event, dr_uint_t flags)
{
    int                  op;
    uint32_t             prev;
    dr_event_t          *e;
    dr_connection_t     *c;
    struct epoll_event   ee;

    if (flags & DR_CLOSE_EVENT) {
        ev->active = 0;
        return DR_OK;
    }

    c = ev->data;

    if (event == DR_READ_EVENT) {
        e = c->write;
        prev = EPOLLOUT;

    } else {
        e = c->read;
        prev = EPOLLIN|EPOLLRDHUP;
    }

    if (e->active) {
        op = EPOLL_CTL_MOD;
        ee.events = prev | EPOLLET;
        ee.data.ptr = (void *) ((uintptr_t) c | ev->instance);

    } else {
        op = EPOLL_CTL_DEL;
        ee.events = 0;
        ee.data.ptr = NULL;
    }

    dr_log_debug(ev->log, "epoll del event: fd:%d op:%d ev:%08XD",
                 c->fd, op, ee.events);

    if (epoll_ctl(dr_epoll_fd, op, c->fd, &ee) == -1) {
        dr_log_error(DR_LOG_ALERT, ev->log, dr_errno,
                     "epoll_ctl(%d, %d) failed", op, c->fd);
        return DR_ERROR;
    }

    ev->active = 0;

    return DR_OK;
}


/* registers both directions, edge-triggered (outgoing connections) */
dr_int_t
dr_epoll_add_connection(dr_connection_t *c)
{
    struct epoll_event  ee;

    ee.events = EPOLLIN|EPOLLOUT|EPOLLET|EPOLLRDHUP;
    ee.data.ptr = (void *) ((uintptr_t) c | c->read->instance);

    dr_log_debug(c->log, "epoll add connection: fd:%d ev:%08XD",
                 c->fd, ee.events);

    if (epoll_ctl(dr_epoll_fd, EPOLL_CTL_ADD, c->fd, &ee) == -1) {
        dr_log_error(DR_LOG_ALERT, c->log, dr_errno,
                     "epoll_ctl(EPOLL_CTL_ADD, %d) failed", c->fd);
        return DR_ERROR;
    }

    c->read->active = 1;
    c->write->active = 1;

    return DR_OK;
}


dr_int_t
dr_epoll_del_connection(dr_connection_t *c, dr_uint_t flags)
{
    struct epoll_event  ee;

    if (flags & DR_CLOSE_EVENT) {
        c->read->active = 0;
        c->write->active = 0;
        return DR_OK;
    }

    if (!c->read->active && !c->write->active) {
        return DR_OK;
    }

    dr_log_debug(c->log, "epoll del connection: fd:%d", c->fd);

    ee.events = 0;
    ee.data.ptr = NULL;

    if (epoll_ctl(dr_epoll_fd, EPOLL_CTL_DEL, c->fd, &ee) == -1) {
        dr_log_error(DR_LOG_ALERT, c->log, dr_errno,
                     "epoll_ctl(%d, %d) failed", EPOLL_CTL_DEL, c->fd);
        return DR_ERROR;
    }

    c->read->active = 0;
    c->write->active = 0;

    return DR_OK;
}


/*
 * Waits up to <timer> ms (DR_TIMER_INFINITE: no limit) and dispatches
 * what epoll reports: handlers run at once, or are posted with
 * DR_POST_EVENTS (accept events to their own queue). DR_OK, or DR_ERROR
 * when interrupted (a signal: info) or epoll_wait() failed (alert).
 */
dr_int_t
dr_epoll_process_events(dr_cycle_t *cycle, dr_msec_t timer, dr_uint_t flags)
{
    int                 events, timeout;
    uint32_t            revents;
    dr_int_t            i;
    dr_uint_t           instance, level;
    dr_err_t            err;
    dr_queue_t         *queue;
    dr_event_t         *rev, *wev;
    dr_connection_t    *c;

    timeout = (timer == DR_TIMER_INFINITE) ? -1
              : (timer > INT_MAX) ? INT_MAX : (int) timer;

    dr_log_debug(cycle->log, "epoll timer: %M", timer);

    events = epoll_wait(dr_epoll_fd, dr_epoll_event_list,
                        (int) dr_epoll_nevents, timeout);

    err = (events == -1) ? dr_errno : 0;

    if ((flags & DR_UPDATE_TIME) || dr_event_timer_alarm) {
        dr_time_update();
    }

    if (err) {
        if (err == DR_EINTR) {

            if (dr_event_timer_alarm) {
                dr_event_timer_alarm = 0;
                return DR_OK;
            }

            level = DR_LOG_INFO;

        } else {
            level = DR_LOG_ALERT;
        }

        dr_log_error(level, cycle->log, err, "epoll_wait() failed");
        return DR_ERROR;
    }

    if (events == 0) {
        if (timer != DR_TIMER_INFINITE) {
            return DR_OK;
        }

        dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                     "epoll_wait() returned no events without timeout");
        return DR_ERROR;
    }

    for (i = 0; i < events; i++) {
        c = dr_epoll_event_list[i].data.ptr;

        instance = (uintptr_t) c & 1;
        c = (dr_connection_t *) ((uintptr_t) c & (uintptr_t) ~1);

        rev = c->read;

        if (c->fd == -1 || rev->instance != instance) {

            /* the fd was closed (and maybe its slot reused) in this batch */

            dr_log_debug(cycle->log, "epoll: stale event %p", c);
            continue;
        }

        revents = dr_epoll_event_list[i].events;

        dr_log_debug(cycle->log, "epoll: fd:%d ev:%04XD d:%p",
                     c->fd, revents, dr_epoll_event_list[i].data.ptr);

        if ((revents & (EPOLLERR|EPOLLHUP))
            && (revents & (EPOLLIN|EPOLLOUT)) == 0)
        {
            /*
             * an error alone: let the active handlers find it with their
             * next read or write
             */

            revents |= EPOLLIN|EPOLLOUT;
        }

        if ((revents & EPOLLIN) && rev->active) {

            if (revents & EPOLLRDHUP) {
                rev->pending_eof = 1;
            }

            rev->ready = 1;
            rev->available = -1;

            if (flags & DR_POST_EVENTS) {
                queue = rev->accept ? &dr_posted_accept_events
                                    : &dr_posted_events;

                dr_post_event(rev, queue);

            } else {
                rev->handler(rev);
            }
        }

        wev = c->write;

        if ((revents & EPOLLOUT) && wev->active) {

            if (c->fd == -1 || wev->instance != instance) {

                /* the read handler closed the connection */

                dr_log_debug(cycle->log, "epoll: stale event %p", c);
                continue;
            }

            wev->ready = 1;

            if (flags & DR_POST_EVENTS) {
                dr_post_event(wev, &dr_posted_events);

            } else {
                wev->handler(wev);
            }
        }
    }

    return DR_OK;
}


static void *
dr_epoll_create_conf(dr_cycle_t *cycle)
{
    dr_epoll_conf_t  *epcf;

    epcf = dr_palloc(cycle->pool, sizeof(dr_epoll_conf_t));
    if (epcf == NULL) {
        return NULL;
    }

    epcf->events = DR_CONF_UNSET;

    return epcf;
}


static char *
dr_epoll_init_conf(dr_cycle_t *cycle, void *conf)
{
    dr_epoll_conf_t  *epcf = conf;

    (void) cycle;

    dr_conf_init_value(epcf->events, 512);

    return DR_CONF_OK;
}
