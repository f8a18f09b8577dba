/*
 * Timers: one red-black tree of deadlines per process (dr_event_timer.c).
 * An event's timer is its embedded rbtree node, so arming a timer never
 * allocates and cannot fail.
 */
#ifndef DR_EVENT_TIMER_H_INCLUDED
#define DR_EVENT_TIMER_H_INCLUDED

/* re-arming within this many ms of the current deadline keeps the timer */
#define DR_TIMER_LAZY_DELAY  300

extern dr_rbtree_t  dr_event_timer_rbtree;

/* empties the tree; call once per process before the loop starts */
dr_int_t dr_event_timer_init(dr_log_t *log);

/* ms until the nearest deadline (0 if one passed), DR_TIMER_INFINITE if none */
dr_msec_t dr_event_find_timer(void);

/* runs, in deadline order, the handlers of the events whose time has come */
void dr_event_expire_timers(void);

/*
 * DR_OK if only cancelable timers are left (a graceful shutdown may end),
 * DR_AGAIN otherwise.
 */
dr_int_t dr_event_no_timers_left(void);


static inline void
dr_event_del_timer(dr_event_t *ev)
{
    dr_log_debug(ev->log, "event timer del: %p: %M", ev->data,
                 (dr_msec_t) ev->timer.key);

    dr_rbtree_delete(&dr_event_timer_rbtree, &ev->timer);

#if (DR_DEBUG)
    ev->timer.left = NULL;
    ev->timer.right = NULL;
    ev->timer.parent = NULL;
#endif

    ev->timer_set = 0;
}


/*
 * Arms (or re-arms) <ev>'s timer to fire <timer> ms from the loop's
 * current time. A re-arm that moves the deadline by less than
 * DR_TIMER_LAZY_DELAY keeps the old one: keep-alive and read timeouts are
 * re-armed after every read, and a tree update each time costs more than
 * the precision is worth.
 */
static inline void
dr_event_add_timer(dr_event_t *ev, dr_msec_t timer)
{
    dr_msec_t      key;
    dr_msec_int_t  diff;

    key = dr_current_msec + timer;

    if (ev->timer_set) {
        diff = (dr_msec_int_t) (key - (dr_msec_t) ev->timer.key);

        if (dr_abs(diff) < DR_TIMER_LAZY_DELAY) {
            return;
        }

        dr_event_del_timer(ev);
    }

    ev->timer.key = (dr_rbtree_key_t) key;

    dr_log_debug(ev->log, "event timer add: %p: %M:%M", ev->data, timer,
                 key);

    dr_rbtree_insert(&dr_event_timer_rbtree, &ev->timer);

    ev->timer_set = 1;
}

#define dr_add_timer  dr_event_add_timer
#define dr_del_timer  dr_event_del_timer

#endif /* DR_EVENT_TIMER_H_INCLUDED */
