/*
 * The health check's verdict on a parsed answer (dr_upstream_hc_match in
 * modules/upstream_health_check): the default (2xx or 3xx), status codes,
 * ranges and their negation, header presence, absence, equality and
 * regexes (any line of the name may satisfy it), body regexes, and all
 * conditions together.
 */

#include <criterion/criterion.h>

#include "../../../../modules/upstream_health_check/dr_upstream_health_check_probe.c"


static dr_log_t     test_log;
static dr_cycle_t   test_cycle;
static dr_pool_t   *test_pool;


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();
    test_log.log_level = DR_LOG_EMERG;
    test_cycle.log = &test_log;
    dr_cycle = &test_cycle;

    test_pool = dr_create_pool(16384, &test_log);
    cr_assert_not_null(test_pool);
}


static void
teardown(void)
{
    dr_destroy_pool(test_pool);
}


TestSuite(hc_match, .init = setup, .fini = teardown);


static dr_http_parse_header_t  test_headers[16];
static dr_http_parse_response_t  test_st;
static u_char                  test_head[512];


static void
test_parse(const char *head)
{
    size_t  len = strlen(head);

    dr_memcpy(test_head, head, len);
    dr_http_parse_response_init(&test_st, test_headers, 16);
    cr_assert_eq(dr_http_parse_response(&test_st, test_head, len),
                 (dr_int_t) len);
}


static dr_upstream_hc_match_t *
test_match(void)
{
    dr_upstream_hc_match_t  *m;

    m = dr_pcalloc(test_pool, sizeof(dr_upstream_hc_match_t));
    cr_assert_not_null(m);
    cr_assert_eq(dr_array_init(&m->conds, test_pool, 4,
                               sizeof(dr_upstream_hc_cond_t)), DR_OK);
    return m;
}


static void
test_status(dr_upstream_hc_match_t *m, dr_uint_t negate, dr_uint_t low,
    dr_uint_t high)
{
    dr_upstream_hc_cond_t   *c;
    dr_upstream_hc_range_t  *r;

    c = dr_array_push(&m->conds);
    dr_memzero(c, sizeof(*c));
    c->type = DR_UPSTREAM_HC_STATUS;
    c->negate = negate;
    c->ranges = dr_array_create(test_pool, 1, sizeof(dr_upstream_hc_range_t));
    r = dr_array_push(c->ranges);
    r->low = low;
    r->high = high;
    m->has_status = 1;
}


static dr_regex_t *
test_regex(const char *pattern)
{
    u_char              err[256];
    dr_regex_compile_t  rc;

    dr_memzero(&rc, sizeof(rc));
    rc.pattern.data = (u_char *) pattern;
    rc.pattern.len = strlen(pattern);
    rc.pool = test_pool;
    rc.err.data = err;
    rc.err.len = sizeof(err);

    cr_assert_eq(dr_regex_compile(&rc), DR_OK);
    return rc.regex;
}


static void
test_cond(dr_upstream_hc_match_t *m, dr_uint_t type, dr_uint_t op,
    const char *name, const char *value)
{
    dr_upstream_hc_cond_t  *c;

    c = dr_array_push(&m->conds);
    dr_memzero(c, sizeof(*c));
    c->type = type;
    c->op = op;

    if (name) {
        c->name.data = (u_char *) name;
        c->name.len = strlen(name);
    }

    if (value) {
        c->value.data = (u_char *) value;
        c->value.len = strlen(value);

        if (op == DR_UPSTREAM_HC_OP_MATCH || op == DR_UPSTREAM_HC_OP_NOMATCH)
        {
            c->regex = test_regex(value);
        }
    }

    if (type == DR_UPSTREAM_HC_BODY) {
        m->has_body = 1;
    }
}


static dr_uint_t
test_judge(dr_upstream_hc_match_t *m, const char *body)
{
    dr_str_t  b;

    b.data = (u_char *) body;
    b.len = strlen(body);

    return dr_upstream_hc_match(m, &test_st, &b);
}


Test(hc_match, default_is_2xx_or_3xx)
{
    test_parse("HTTP/1.1 204 No Content\r\n\r\n");
    cr_assert(test_judge(NULL, ""));
    test_parse("HTTP/1.1 302 Found\r\n\r\n");
    cr_assert(test_judge(NULL, ""));
    test_parse("HTTP/1.1 404 Not Found\r\n\r\n");
    cr_assert(!test_judge(NULL, ""));
    test_parse("HTTP/1.1 500 Error\r\n\r\n");
    cr_assert(!test_judge(NULL, ""));

    /* a match without status still wants 2xx/3xx */
    test_parse("HTTP/1.1 500 Error\r\nX: 1\r\n\r\n");
    cr_assert(!test_judge(test_match(), ""));
}


Test(hc_match, status_ranges_and_negation)
{
    dr_upstream_hc_match_t  *m = test_match();

    test_status(m, 0, 200, 399);
    test_status(m, 1, 301, 301);

    test_parse("HTTP/1.1 200 OK\r\n\r\n");
    cr_assert(test_judge(m, ""));
    test_parse("HTTP/1.1 301 Moved\r\n\r\n");
    cr_assert(!test_judge(m, ""));
    test_parse("HTTP/1.1 404 Not Found\r\n\r\n");
    cr_assert(!test_judge(m, ""));

    /* a status condition replaces the default: 503 may be wanted */
    m = test_match();
    test_status(m, 0, 503, 503);
    test_parse("HTTP/1.1 503 Unavailable\r\n\r\n");
    cr_assert(test_judge(m, ""));
}


Test(hc_match, headers)
{
    dr_upstream_hc_match_t  *m;

    test_parse("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
               "X-Role: replica\r\nX-Role: primary\r\n\r\n");

    m = test_match();
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_EXISTS,
              "content-type", NULL);
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_ABSENT,
              "X-Draining", NULL);
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_MATCH,
              "Content-Type", "json$");
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_EQUAL,
              "X-Role", "primary");
    cr_assert(test_judge(m, ""));

    m = test_match();
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_ABSENT,
              "X-Role", NULL);
    cr_assert(!test_judge(m, ""));

    m = test_match();
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_NOMATCH,
              "Content-Type", "html");
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_NOTEQUAL,
              "Content-Type", "text/plain");
    cr_assert(test_judge(m, ""));

    /* a condition on a field that is not there fails */
    m = test_match();
    test_cond(m, DR_UPSTREAM_HC_HEADER, DR_UPSTREAM_HC_OP_EQUAL,
              "X-Missing", "x");
    cr_assert(!test_judge(m, ""));
}


Test(hc_match, body)
{
    dr_upstream_hc_match_t  *m;

    test_parse("HTTP/1.1 200 OK\r\n\r\n");

    m = test_match();
    test_cond(m, DR_UPSTREAM_HC_BODY, DR_UPSTREAM_HC_OP_MATCH, NULL,
              "\"status\": *\"ok\"");
    cr_assert(test_judge(m, "{\"status\": \"ok\"}"));
    cr_assert(!test_judge(m, "{\"status\": \"degraded\"}"));

    m = test_match();
    test_cond(m, DR_UPSTREAM_HC_BODY, DR_UPSTREAM_HC_OP_NOMATCH, NULL,
              "maintenance");
    cr_assert(test_judge(m, "all good"));
    cr_assert(!test_judge(m, "down for maintenance"));
}
