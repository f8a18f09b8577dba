/*
 * Posted events: handlers deferred to the end of the current loop turn
 * (dr_event_posted.c). An event is in at most one queue (ev->posted).
 */
#ifndef DR_EVENT_POSTED_H_INCLUDED
#define DR_EVENT_POSTED_H_INCLUDED

#define dr_post_event(ev, q)                                                  \
    if (!(ev)->posted) {                                                      \
        (ev)->posted = 1;                                                     \
        dr_queue_insert_tail(q, &(ev)->queue);                                \
        dr_log_debug((ev)->log, "post event %p", ev);                         \
    } else {                                                                  \
        dr_log_debug((ev)->log, "update posted event %p", ev);                \
    }

#define dr_delete_posted_event(ev)                                            \
    (ev)->posted = 0;                                                         \
    dr_queue_remove(&(ev)->queue);                                            \
    dr_log_debug((ev)->log, "delete posted event %p", ev)

/*
 * Runs the handlers of <posted> in order, removing each first; events a
 * handler posts to the same queue run in this call too.
 */
void dr_event_process_posted(dr_cycle_t *cycle, dr_queue_t *posted);
/*
 * Moves dr_posted_next_events to dr_posted_events, with ready set: the
 * events that stopped on purpose (a read budget) get their next turn after
 * one epoll round, so they cannot starve the others.
 */
void dr_event_move_posted_next(dr_cycle_t *cycle);

/* accepts run before the other handlers (they hold the accept mutex) */
extern dr_queue_t  dr_posted_accept_events;
extern dr_queue_t  dr_posted_next_events;
extern dr_queue_t  dr_posted_events;

#endif /* DR_EVENT_POSTED_H_INCLUDED */
