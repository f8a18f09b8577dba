/*
 * The timer tree of a process (worker, keeper, agent, single).
 *
 * Why a red-black tree and not a binary heap: the node is embedded in the
 * event, so dr_event_add_timer() never allocates and has no error path (a
 * heap array must grow, and a timer that silently fails to arm is a
 * connection that never times out). Insert and delete are O(log n), the
 * minimum is a walk down the left spine, and the in-order walk that
 * dr_event_no_timers_left() needs is free. Keys are dr_msec_t deadlines
 * compared with wraparound (dr_rbtree_insert_timer_value()); equal
 * deadlines fire in the order they were armed.
 *
 * Handlers run from dr_event_expire_timers() with ev->timedout set; a
 * handler may arm or delete any timer, this one included.
 */

#include "dr_event.h"


dr_rbtree_t              dr_event_timer_rbtree;
static dr_rbtree_node_t  dr_event_timer_sentinel;


dr_int_t
dr_event_timer_init(dr_log_t *log)
{
    (void) log;

    dr_rbtree_init(&dr_event_timer_rbtree, &dr_event_timer_sentinel,
                   dr_rbtree_insert_timer_value);

    return DR_OK;
}


dr_msec_t
dr_event_find_timer(void)
{
    dr_msec_int_t      timer;
    dr_rbtree_node_t  *node, *root, *sentinel;

    if (dr_event_timer_rbtree.root == &dr_event_timer_sentinel) {
        return DR_TIMER_INFINITE;
    }

    root = dr_event_timer_rbtree.root;
    sentinel = dr_event_timer_rbtree.sentinel;

    node = dr_rbtree_min(root, sentinel);

    timer = (dr_msec_int_t) ((dr_msec_t) node->key - dr_current_msec);

    return (dr_msec_t) (timer > 0 ? timer : 0);
}


void
dr_event_expire_timers(void)
{
    dr_event_t        *ev;
    dr_rbtree_node_t  *node, *root, *sentinel;

    sentinel = dr_event_timer_rbtree.sentinel;

    for ( ;; ) {
        root = dr_event_timer_rbtree.root;

        if (root == sentinel) {
            return;
        }

        node = dr_rbtree_min(root, sentinel);

        /* node->key > dr_current_msec */

        if ((dr_msec_int_t) ((dr_msec_t) node->key - dr_current_msec) > 0) {
            return;
        }

        ev = dr_rbtree_data(node, dr_event_t, timer);

        dr_log_debug(ev->log, "event timer del: %p: %M", ev->data,
                     (dr_msec_t) ev->timer.key);

        dr_rbtree_delete(&dr_event_timer_rbtree, &ev->timer);

#if (DR_DEBUG)
        ev->timer.left = NULL;
        ev->timer.right = NULL;
        ev->timer.parent = NULL;
#endif

        ev->timer_set = 0;
        ev->timedout = 1;

        ev->handler(ev);
    }
}


dr_int_t
dr_event_no_timers_left(void)
{
    dr_event_t        *ev;
    dr_rbtree_node_t  *node, *root, *sentinel;

    sentinel = dr_event_timer_rbtree.sentinel;
    root = dr_event_timer_rbtree.root;

    if (root == sentinel) {
        return DR_OK;
    }

    for (node = dr_rbtree_min(root, sentinel);
         node;
         node = dr_rbtree_next(&dr_event_timer_rbtree, node))
    {
        ev = dr_rbtree_data(node, dr_event_t, timer);

        if (!ev->cancelable) {
            return DR_AGAIN;
        }
    }

    /* only cancelable timers left */

    return DR_OK;
}
