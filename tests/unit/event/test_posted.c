/*
 * Posted events (src/event/dr_event_posted.c): FIFO order, a second post
 * of the same event is a no-op, deletion, handlers that post more work to
 * the queue being processed, and the posted-next queue that waits one
 * epoll round and comes back ready.
 */

#include <criterion/criterion.h>

#include "dr_event.h"


#define TEST_POSTED_N  8

static dr_log_t    test_posted_log;
static dr_event_t  test_posted_ev[TEST_POSTED_N];
static int         test_posted_order[64];
static int         test_posted_n;


static void
test_posted_record(dr_event_t *ev)
{
    cr_assert_not(ev->posted);
    test_posted_order[test_posted_n++] = (int) (uintptr_t) ev->data;
}


static void
setup(void)
{
    dr_uint_t  i;

    dr_use_stderr = 0;
    test_posted_log.log_level = DR_LOG_ERR;

    dr_queue_init(&dr_posted_accept_events);
    dr_queue_init(&dr_posted_next_events);
    dr_queue_init(&dr_posted_events);

    for (i = 0; i < TEST_POSTED_N; i++) {
        dr_memzero(&test_posted_ev[i], sizeof(dr_event_t));
        test_posted_ev[i].log = &test_posted_log;
        test_posted_ev[i].data = (void *) (uintptr_t) i;
        test_posted_ev[i].handler = test_posted_record;
    }

    test_posted_n = 0;
}


TestSuite(posted, .init = setup);


Test(posted, runs_in_post_order_once)
{
    dr_post_event(&test_posted_ev[3], &dr_posted_events);
    dr_post_event(&test_posted_ev[1], &dr_posted_events);
    dr_post_event(&test_posted_ev[2], &dr_posted_events);
    dr_post_event(&test_posted_ev[3], &dr_posted_events);   /* no-op */

    cr_assert(test_posted_ev[3].posted);

    dr_event_process_posted(NULL, &dr_posted_events);

    cr_assert_eq(test_posted_n, 3);
    cr_assert_eq(test_posted_order[0], 3);
    cr_assert_eq(test_posted_order[1], 1);
    cr_assert_eq(test_posted_order[2], 2);
    cr_assert(dr_queue_empty(&dr_posted_events));
}


Test(posted, deleted_event_does_not_run)
{
    dr_post_event(&test_posted_ev[0], &dr_posted_events);
    dr_post_event(&test_posted_ev[1], &dr_posted_events);
    dr_post_event(&test_posted_ev[2], &dr_posted_events);

    dr_delete_posted_event(&test_posted_ev[1]);
    cr_assert_not(test_posted_ev[1].posted);

    dr_event_process_posted(NULL, &dr_posted_events);

    cr_assert_eq(test_posted_n, 2);
    cr_assert_eq(test_posted_order[0], 0);
    cr_assert_eq(test_posted_order[1], 2);
}


static void
test_posted_chain(dr_event_t *ev)
{
    dr_uint_t  i;

    test_posted_record(ev);

    i = (dr_uint_t) (uintptr_t) ev->data;

    if (i + 1 < TEST_POSTED_N && (i != 0 || test_posted_n == 1)) {
        test_posted_ev[i + 1].handler = test_posted_chain;
        dr_post_event(&test_posted_ev[i + 1], &dr_posted_events);
    }

    /* posting itself again from its own handler is allowed */

    if (i == 0 && test_posted_n == 1) {
        dr_post_event(ev, &dr_posted_events);
    }
}


Test(posted, handlers_posting_to_the_same_queue_run_in_the_same_call)
{
    test_posted_ev[0].handler = test_posted_chain;
    dr_post_event(&test_posted_ev[0], &dr_posted_events);

    dr_event_process_posted(NULL, &dr_posted_events);

    /* 0, 1, then 0 again (posted after 1), 2 ... 7 */

    cr_assert_eq(test_posted_n, TEST_POSTED_N + 1);
    cr_assert_eq(test_posted_order[0], 0);
    cr_assert_eq(test_posted_order[1], 1);
    cr_assert_eq(test_posted_order[2], 0);
    cr_assert_eq(test_posted_order[3], 2);
    cr_assert_eq(test_posted_order[TEST_POSTED_N], TEST_POSTED_N - 1);
}


Test(posted, separate_queues)
{
    dr_post_event(&test_posted_ev[0], &dr_posted_events);
    dr_post_event(&test_posted_ev[1], &dr_posted_accept_events);

    dr_event_process_posted(NULL, &dr_posted_accept_events);

    cr_assert_eq(test_posted_n, 1);
    cr_assert_eq(test_posted_order[0], 1);
    cr_assert(test_posted_ev[0].posted);
}


Test(posted, next_events_come_back_ready_after_the_others)
{
    dr_post_event(&test_posted_ev[0], &dr_posted_events);
    dr_post_event(&test_posted_ev[4], &dr_posted_next_events);
    dr_post_event(&test_posted_ev[5], &dr_posted_next_events);

    cr_assert_not(test_posted_ev[4].ready);

    dr_event_move_posted_next(NULL);

    cr_assert(dr_queue_empty(&dr_posted_next_events));
    cr_assert(test_posted_ev[4].ready);
    cr_assert(test_posted_ev[5].ready);
    cr_assert_eq(test_posted_ev[4].available, -1);

    dr_event_process_posted(NULL, &dr_posted_events);

    cr_assert_eq(test_posted_n, 3);
    cr_assert_eq(test_posted_order[0], 0);
    cr_assert_eq(test_posted_order[1], 4);
    cr_assert_eq(test_posted_order[2], 5);

    /* an empty next queue moves nothing */

    dr_event_move_posted_next(NULL);
    cr_assert(dr_queue_empty(&dr_posted_events));
}
