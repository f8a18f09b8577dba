/*
 * Posted event queues of a process.
 *
 * With the accept mutex held, epoll's results are not handled at once but
 * posted: the accepts run first and the mutex is released before the
 * (possibly long) handlers of the other events run. Handlers also post
 * events themselves to run them after the current one returns (e.g. to
 * finish a request without recursing). The queues are intrusive (ev->queue)
 * and need no memory.
 */

#include "dr_event.h"


dr_queue_t  dr_posted_accept_events;
dr_queue_t  dr_posted_next_events;
dr_queue_t  dr_posted_events;


void
dr_event_process_posted(dr_cycle_t *cycle, dr_queue_t *posted)
{
    dr_queue_t  *q;
    dr_event_t  *ev;

    (void) cycle;

    while (!dr_queue_empty(posted)) {

        q = dr_queue_head(posted);
        ev = dr_queue_data(q, dr_event_t, queue);

        dr_log_debug(ev->log, "posted event %p", ev);

        dr_delete_posted_event(ev);

        ev->handler(ev);
    }
}


void
dr_event_move_posted_next(dr_cycle_t *cycle)
{
    dr_queue_t  *q;
    dr_event_t  *ev;

    (void) cycle;

    for (q = dr_queue_head(&dr_posted_next_events);
         q != dr_queue_sentinel(&dr_posted_next_events);
         q = dr_queue_next(q))
    {
        ev = dr_queue_data(q, dr_event_t, queue);

        ev->ready = 1;
        ev->available = -1;
    }

    /* splice the whole queue onto the tail of dr_posted_events */

    if (!dr_queue_empty(&dr_posted_next_events)) {
        q = dr_queue_head(&dr_posted_next_events);
        q->prev = dr_posted_events.prev;
        q->prev->next = q;

        q = dr_queue_last(&dr_posted_next_events);
        q->next = &dr_posted_events;
        dr_posted_events.prev = q;

        dr_queue_init(&dr_posted_next_events);
    }
}
