/*
 * Unit tests of modules/http_range/dr_http_range_parse.c: nginx's Range
 * rules case by case (single, open, suffix, clipping, blanks, several
 * ranges, overlaps, max_ranges, unsatisfiable and invalid values, off_t
 * overflow, empty bodies). Every input ends at a PROT_NONE page: the
 * parser must stop at <last> (header values are not NUL-terminated).
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http.h"

#include "../../../../modules/http_range/dr_http_range_parse.c"

#include <criterion/criterion.h>


static dr_pool_t   *pool;
static u_char      *guard;      /* two pages: data, then PROT_NONE */
static long         pagesize;
static dr_array_t   ranges;


static void
setup(void)
{
    pool = dr_create_pool(4096, NULL);
    cr_assert_not_null(pool);

    pagesize = sysconf(_SC_PAGESIZE);
    guard = mmap(NULL, 2 * pagesize, PROT_READ|PROT_WRITE,
                 MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
    cr_assert_neq(guard, MAP_FAILED);
    cr_assert_eq(mprotect(guard + pagesize, pagesize, PROT_NONE), 0);
}


static void
teardown(void)
{
    munmap(guard, 2 * pagesize);
    dr_destroy_pool(pool);
}


/* parses <value> (after "bytes=") placed right before the guard page */
static dr_int_t
parse(const char *value, off_t length, dr_uint_t max)
{
    size_t   len;
    u_char  *p;

    len = strlen(value);
    cr_assert_leq(len, (size_t) pagesize);
    p = guard + pagesize - len;
    memcpy(p, value, len);

    cr_assert_eq(dr_array_init(&ranges, pool, 1, sizeof(dr_http_range_t)),
                 DR_OK);

    return dr_http_range_parse(p, p + len, length, max, &ranges);
}


static void
expect_range(dr_uint_t i, off_t start, off_t end)
{
    dr_http_range_t  *r = ranges.elts;

    cr_assert_lt(i, ranges.nelts);
    cr_assert_eq(r[i].start, start, "range %lu start %lld, want %lld",
                 (unsigned long) i, (long long) r[i].start, (long long) start);
    cr_assert_eq(r[i].end, end, "range %lu end %lld, want %lld",
                 (unsigned long) i, (long long) r[i].end, (long long) end);
}


#define MAX  INT32_MAX

TestSuite(http_range, .init = setup, .fini = teardown);


Test(http_range, single)
{
    cr_assert_eq(parse("0-99", 1000, MAX), DR_OK);
    cr_assert_eq(ranges.nelts, 1);
    expect_range(0, 0, 100);

    cr_assert_eq(parse("999-999", 1000, MAX), DR_OK);
    expect_range(0, 999, 1000);

    cr_assert_eq(parse("0-0", 1, MAX), DR_OK);
    expect_range(0, 0, 1);
}


Test(http_range, open_end_runs_to_the_end)
{
    cr_assert_eq(parse("500-", 1000, MAX), DR_OK);
    expect_range(0, 500, 1000);

    cr_assert_eq(parse("0-", 1000, MAX), DR_OK);
    expect_range(0, 0, 1000);
}


Test(http_range, end_beyond_the_body_is_clipped)
{
    cr_assert_eq(parse("900-5000", 1000, MAX), DR_OK);
    expect_range(0, 900, 1000);

    cr_assert_eq(parse("0-9223372036854775807", 1000, MAX), DR_OK);
    expect_range(0, 0, 1000);
}


Test(http_range, suffix)
{
    cr_assert_eq(parse("-100", 1000, MAX), DR_OK);
    expect_range(0, 900, 1000);

    cr_assert_eq(parse("-1000", 1000, MAX), DR_OK);
    expect_range(0, 0, 1000);

    /* longer than the body: all of it, never a negative start */
    cr_assert_eq(parse("-5000", 1000, MAX), DR_OK);
    expect_range(0, 0, 1000);

    cr_assert_eq(parse("-9223372036854775807", 1000, MAX), DR_OK);
    expect_range(0, 0, 1000);
}


Test(http_range, blanks_around_numbers_and_dash)
{
    cr_assert_eq(parse("  10 - 20  ", 1000, MAX), DR_OK);
    expect_range(0, 10, 21);

    cr_assert_eq(parse(" 10 -", 1000, MAX), DR_OK);
    expect_range(0, 10, 1000);

    cr_assert_eq(parse("1-2, 5-6,  -3", 1000, MAX), DR_OK);
    cr_assert_eq(ranges.nelts, 3);
    expect_range(2, 997, 1000);
}


Test(http_range, several_in_request_order)
{
    cr_assert_eq(parse("500-599,0-9,-10", 1000, MAX), DR_OK);
    cr_assert_eq(ranges.nelts, 3);
    expect_range(0, 500, 600);
    expect_range(1, 0, 10);
    expect_range(2, 990, 1000);
}


Test(http_range, overlapping_within_the_body)
{
    cr_assert_eq(parse("0-499,250-749", 1000, MAX), DR_OK);
    cr_assert_eq(ranges.nelts, 2);
}


Test(http_range, adding_up_to_more_than_the_body_is_declined)
{
    cr_assert_eq(parse("0-,0-", 1000, MAX), DR_DECLINED);
    cr_assert_eq(parse("0-600,400-", 1000, MAX), DR_DECLINED);
    cr_assert_eq(parse("0-499,500-", 1000, MAX), DR_OK);

    /* huge ranges must not wrap the sum around */
    cr_assert_eq(parse("0-,0-,0-,0-,0-,0-,0-,0-,0-",
                       DR_MAX_OFF_T_VALUE / 4, MAX), DR_DECLINED);
}


Test(http_range, declined_beats_a_later_syntax_error)
{
    /* nginx goes on parsing: the error wins */
    cr_assert_eq(parse("0-,0-,x", 1000, MAX), DR_HTTP_RANGE_NOT_SATISFIABLE);
}


Test(http_range, max_ranges)
{
    cr_assert_eq(parse("0-1,3-4", 1000, 2), DR_OK);
    cr_assert_eq(parse("0-1,3-4,6-7", 1000, 2), DR_DECLINED);
    cr_assert_eq(parse("0-1", 1000, 1), DR_OK);
    cr_assert_eq(parse("0-1,3-4", 1000, 1), DR_DECLINED);

    /* unsatisfiable ranges do not count */
    cr_assert_eq(parse("5000-,0-1,6000-", 1000, 1), DR_OK);
    cr_assert_eq(ranges.nelts, 1);
}


Test(http_range, unsatisfiable)
{
    cr_assert_eq(parse("1000-", 1000, MAX), DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("1000-2000", 1000, MAX),
                 DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("-0", 1000, MAX), DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("5-1", 1000, MAX), DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(ranges.nelts, 0);
}


Test(http_range, unsatisfiable_ones_are_skipped)
{
    cr_assert_eq(parse("5000-6000,10-19,2000-", 1000, MAX), DR_OK);
    cr_assert_eq(ranges.nelts, 1);
    expect_range(0, 10, 20);
}


Test(http_range, invalid_values)
{
    static const char  *bad[] = {
        "", " ", "-", "--5", "a-5", "5-a", "5", "5 6-7", "1-2-3", "1-2;x",
        "1-2,", ",1-2", "1-2,,3-4", "1--2", "+1-2", "0x10-20", "1-2 x",
        "\t1-2", "1-\t2", "-1-2", "1,2",
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(parse(bad[i], 1000, MAX), DR_HTTP_RANGE_NOT_SATISFIABLE,
                     "\"%s\"", bad[i]);
    }
}


Test(http_range, overflow_is_unsatisfiable)
{
    cr_assert_eq(parse("9223372036854775807-", DR_MAX_OFF_T_VALUE, MAX),
                 DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("9223372036854775808-", 1000, MAX),
                 DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("0-9223372036854775808", 1000, MAX),
                 DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("-99999999999999999999", 1000, MAX),
                 DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("9223372036854775806-9223372036854775806",
                       DR_MAX_OFF_T_VALUE, MAX), DR_OK);
    expect_range(0, DR_MAX_OFF_T_VALUE - 1, DR_MAX_OFF_T_VALUE);
}


Test(http_range, empty_body)
{
    /* from 0, or a suffix: the whole (empty) body, no 416 (nginx) */
    cr_assert_eq(parse("0-", 0, MAX), DR_DECLINED);
    cr_assert_eq(parse("0-10", 0, MAX), DR_DECLINED);
    cr_assert_eq(parse("-1", 0, MAX), DR_DECLINED);
    cr_assert_eq(parse("0-0,5-6", 0, MAX), DR_DECLINED);
    cr_assert_eq(parse("5-", 0, MAX), DR_HTTP_RANGE_NOT_SATISFIABLE);
    cr_assert_eq(parse("-0", 0, MAX), DR_DECLINED);
}


Test(http_range, every_prefix_stays_in_bounds)
{
    const char  *value = " 10 - 20 , -5, 30-, 7-8";
    char         buf[64];
    size_t       n;

    /* each truncation is parsed where it ends at the guard page */
    for (n = 0; n <= strlen(value); n++) {
        memcpy(buf, value, n);
        buf[n] = '\0';
        (void) parse(buf, 1000, MAX);
    }

    cr_assert_eq(parse(value, 1000, MAX), DR_OK);
    cr_assert_eq(ranges.nelts, 4);
}
