/*
 * Timers (src/event/dr_event_timer.c): deadline order, ties in arming
 * order, delete, re-arm (and the lazy-delay rule that keeps a deadline
 * moved by less than 300 ms), handlers that arm or delete timers while
 * expiring, and the graceful-exit check that ignores cancelable timers.
 * Time is driven by hand through dr_current_msec.
 */

#include <criterion/criterion.h>

#include "dr_event.h"


#define TEST_TIMER_N  64

static dr_log_t    test_timer_log;
static dr_event_t  test_timer_ev[TEST_TIMER_N];
static int         test_timer_fired[TEST_TIMER_N];
static int         test_timer_nfired;


static void
setup(void)
{
    dr_uint_t  i;

    dr_use_stderr = 0;
    dr_time_init();

    test_timer_log.log_level = DR_LOG_ERR;

    dr_event_timer_init(&test_timer_log);

    dr_current_msec = 1000000;

    for (i = 0; i < TEST_TIMER_N; i++) {
        dr_memzero(&test_timer_ev[i], sizeof(dr_event_t));
        test_timer_ev[i].log = &test_timer_log;
        test_timer_ev[i].data = (void *) (uintptr_t) i;
    }

    test_timer_nfired = 0;
}


TestSuite(timer, .init = setup);


static void
test_timer_record(dr_event_t *ev)
{
    cr_assert(ev->timedout);
    cr_assert_not(ev->timer_set);

    test_timer_fired[test_timer_nfired++] = (int) (uintptr_t) ev->data;
}


static void
test_timer_arm(dr_uint_t i, dr_msec_t msec)
{
    test_timer_ev[i].handler = test_timer_record;
    dr_event_add_timer(&test_timer_ev[i], msec);
}


Test(timer, empty_tree_is_infinite_and_no_timers_left)
{
    cr_assert_eq(dr_event_find_timer(), DR_TIMER_INFINITE);
    cr_assert_eq(dr_event_no_timers_left(), DR_OK);

    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 0);
}


Test(timer, find_timer_is_the_nearest_deadline)
{
    test_timer_arm(0, 5000);
    test_timer_arm(1, 700);
    test_timer_arm(2, 3000);

    cr_assert(test_timer_ev[0].timer_set);
    cr_assert_eq(dr_event_find_timer(), 700);

    dr_current_msec += 200;
    cr_assert_eq(dr_event_find_timer(), 500);

    /* a deadline in the past is "now", never negative */

    dr_current_msec += 10000;
    cr_assert_eq(dr_event_find_timer(), 0);
}


Test(timer, expire_in_deadline_order_and_only_what_is_due)
{
    static const dr_msec_t  msec[] = { 900, 100, 500, 300, 700, 200 };
    static const int        order[] = { 1, 5, 3, 2, 4, 0 };
    dr_uint_t               i;

    for (i = 0; i < dr_nelems(msec); i++) {
        test_timer_arm(i, msec[i]);
    }

    dr_current_msec += 99;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 0);

    dr_current_msec += 401;     /* +500: 100 200 300 500 are due */
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 4);

    dr_current_msec += 1000;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 6);

    for (i = 0; i < dr_nelems(order); i++) {
        cr_assert_eq(test_timer_fired[i], order[i], "fired[%u] = %d",
                     (unsigned) i, test_timer_fired[i]);
    }

    cr_assert_eq(dr_event_find_timer(), DR_TIMER_INFINITE);
}


Test(timer, equal_deadlines_fire_in_arming_order)
{
    dr_uint_t  i;

    for (i = 0; i < 10; i++) {
        test_timer_arm(i, 250);
    }

    dr_current_msec += 250;
    dr_event_expire_timers();

    cr_assert_eq(test_timer_nfired, 10);

    for (i = 0; i < 10; i++) {
        cr_assert_eq(test_timer_fired[i], (int) i);
    }
}


Test(timer, deleted_timer_never_fires)
{
    test_timer_arm(0, 100);
    test_timer_arm(1, 200);
    test_timer_arm(2, 300);

    dr_event_del_timer(&test_timer_ev[1]);
    cr_assert_not(test_timer_ev[1].timer_set);

    dr_current_msec += 1000;
    dr_event_expire_timers();

    cr_assert_eq(test_timer_nfired, 2);
    cr_assert_eq(test_timer_fired[0], 0);
    cr_assert_eq(test_timer_fired[1], 2);
    cr_assert_not(test_timer_ev[1].timedout);
}


Test(timer, rearm_moves_the_deadline_unless_within_lazy_delay)
{
    test_timer_arm(0, 1000);

    /* 200 ms later: within DR_TIMER_LAZY_DELAY, the old deadline stays */

    dr_event_add_timer(&test_timer_ev[0], 1200);
    cr_assert_eq(dr_event_find_timer(), 1000);

    /* far enough: re-armed */

    dr_event_add_timer(&test_timer_ev[0], 5000);
    cr_assert_eq(dr_event_find_timer(), 5000);

    dr_event_add_timer(&test_timer_ev[0], 10);
    cr_assert_eq(dr_event_find_timer(), 10);

    dr_current_msec += 10;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 1);

    /* it was in the tree once only */

    dr_current_msec += 100000;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 1);
}


static void
test_timer_rearm_self(dr_event_t *ev)
{
    test_timer_fired[test_timer_nfired++] = (int) (uintptr_t) ev->data;

    if (test_timer_nfired < 3) {
        dr_event_add_timer(ev, 100);
    }
}


static void
test_timer_delete_other(dr_event_t *ev)
{
    test_timer_fired[test_timer_nfired++] = (int) (uintptr_t) ev->data;

    if (test_timer_ev[1].timer_set) {
        dr_event_del_timer(&test_timer_ev[1]);
    }
}


Test(timer, handlers_may_rearm_and_delete_while_expiring)
{
    test_timer_ev[0].handler = test_timer_rearm_self;
    dr_event_add_timer(&test_timer_ev[0], 100);

    /* a re-armed timer is due only after another 100 ms */

    dr_current_msec += 150;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 1);
    cr_assert(test_timer_ev[0].timer_set);

    dr_current_msec += 100;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 2);

    dr_current_msec += 100;
    dr_event_expire_timers();
    cr_assert_eq(test_timer_nfired, 3);
    cr_assert_not(test_timer_ev[0].timer_set);

    /* the first due handler removes the second, due at the same time */

    test_timer_nfired = 0;
    test_timer_ev[2].handler = test_timer_delete_other;
    dr_event_add_timer(&test_timer_ev[2], 50);
    test_timer_arm(1, 50);

    dr_current_msec += 50;
    dr_event_expire_timers();

    cr_assert_eq(test_timer_nfired, 1);
    cr_assert_eq(test_timer_fired[0], 2);
}


Test(timer, no_timers_left_ignores_cancelable_timers)
{
    test_timer_ev[0].cancelable = 1;
    test_timer_arm(0, 100);
    test_timer_ev[1].cancelable = 1;
    test_timer_arm(1, 60000);

    cr_assert_eq(dr_event_no_timers_left(), DR_OK);

    test_timer_arm(2, 30000);
    cr_assert_eq(dr_event_no_timers_left(), DR_AGAIN);

    dr_event_del_timer(&test_timer_ev[2]);
    cr_assert_eq(dr_event_no_timers_left(), DR_OK);
}


Test(timer, many_random_timers_fire_sorted)
{
    dr_uint_t  i, n;
    dr_msec_t  deadline[TEST_TIMER_N], prev;

    srandom(42);

    for (i = 0; i < TEST_TIMER_N; i++) {
        deadline[i] = 1 + (dr_msec_t) (random() % 100000);
        test_timer_arm(i, deadline[i]);
    }

    /* delete every fifth */

    n = TEST_TIMER_N;

    for (i = 0; i < TEST_TIMER_N; i += 5) {
        dr_event_del_timer(&test_timer_ev[i]);
        n--;
    }

    dr_current_msec += 100000;
    dr_event_expire_timers();

    cr_assert_eq(test_timer_nfired, (int) n);

    prev = 0;

    for (i = 0; i < n; i++) {
        cr_assert_neq(test_timer_fired[i] % 5, 0);
        cr_assert_geq(deadline[test_timer_fired[i]], prev);
        prev = deadline[test_timer_fired[i]];
    }
}
