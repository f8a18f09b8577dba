/*
 * PCRE2 glue (nginx's ngx_regex.c, PCRE2 only).
 *
 * Compilation runs at config time in the master: PCRE2 allocates through a
 * general context whose allocator takes memory from the pool the caller
 * names (the cycle's), so a pattern is freed with its configuration and a
 * failed reload leaks nothing. The allocator's pool is passed per call
 * (dr_regex_compile sets it), as PCRE2 gives its callback no other way.
 *
 * Matching runs in workers. One match-data block per process, grown to the
 * largest capture count asked for, serves every match: it is allocated
 * with malloc (not a pool: it outlives cycles) and stays reachable from a
 * static, so it is not a leak. PCRE2's JIT is used when available.
 */

#include "dr_core.h"
#include "dr_regex.h"

#define PCRE2_CODE_UNIT_WIDTH  8
#include <pcre2.h>


static void *dr_regex_malloc(PCRE2_SIZE size, void *data);
static void dr_regex_free(void *p, void *data);
static void dr_regex_cleanup(void *data);


static pcre2_match_data  *dr_regex_match_data;
static dr_uint_t          dr_regex_match_data_size;


static void *
dr_regex_malloc(PCRE2_SIZE size, void *data)
{
    dr_pool_t  *pool = data;

    if (pool == NULL) {
        return malloc(size);
    }

    return dr_palloc(pool, size);
}


static void
dr_regex_free(void *p, void *data)
{
    if (data == NULL) {
        free(p);
    }

    /* pool memory goes with the pool */
}


/* the JIT code of a pattern is mmap()ed by PCRE2, outside the pool */
static void
dr_regex_cleanup(void *data)
{
    pcre2_code_free(data);
}


dr_int_t
dr_regex_compile(dr_regex_compile_t *rc)
{
    int                     n, errcode;
    char                   *p;
    u_char                  errstr[128];
    size_t                  erroff;
    uint32_t                options;
    pcre2_code             *re;
    dr_regex_t             *rx;
    pcre2_general_context  *gctx;
    dr_pool_cleanup_t      *cln;
    pcre2_compile_context  *cctx;

    gctx = pcre2_general_context_create(dr_regex_malloc, dr_regex_free,
                                        rc->pool);
    if (gctx == NULL) {
        goto nomem;
    }

    cctx = pcre2_compile_context_create(gctx);
    if (cctx == NULL) {
        goto nomem;
    }

    options = 0;

    if (rc->options & DR_REGEX_CASELESS) {
        options |= PCRE2_CASELESS;
    }

    re = pcre2_compile(rc->pattern.data, rc->pattern.len, options,
                       &errcode, &erroff, cctx);

    if (re == NULL) {
        pcre2_get_error_message(errcode, errstr, sizeof(errstr));

        if ((size_t) erroff == rc->pattern.len) {
            rc->err.len = dr_snprintf(rc->err.data, rc->err.len,
                              "pcre2_compile() failed: %s in \"%V\"",
                               errstr, &rc->pattern)
                          - rc->err.data;

        } else {
            rc->err.len = dr_snprintf(rc->err.data, rc->err.len,
                              "pcre2_compile() failed: %s in \"%V\" at \"%s\"",
                               errstr, &rc->pattern,
                               rc->pattern.data + erroff)
                          - rc->err.data;
        }

        return DR_ERROR;
    }

    cln = dr_pool_cleanup_add(rc->pool, 0);
    if (cln == NULL) {
        pcre2_code_free(re);
        goto nomem;
    }

    cln->handler = dr_regex_cleanup;
    cln->data = re;

    /* JIT is an optimisation: a failure only costs speed */
    (void) pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);

    rx = dr_pcalloc(rc->pool, sizeof(dr_regex_t));
    if (rx == NULL) {
        goto nomem;
    }

    rx->code = re;
    rc->regex = rx;

    n = 0;
    if (pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &n) < 0) {
        p = "pcre2_pattern_info(\"%V\", PCRE2_INFO_CAPTURECOUNT) failed";
        goto failed;
    }

    if (n >= DR_REGEX_MAX_CAPTURES) {
        rc->err.len = dr_snprintf(rc->err.data, rc->err.len,
                                  "too many captures in \"%V\"", &rc->pattern)
                      - rc->err.data;
        return DR_ERROR;
    }

    rc->captures = n;
    rx->captures = n;

    n = 0;
    if (pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &n) < 0) {
        p = "pcre2_pattern_info(\"%V\", PCRE2_INFO_NAMECOUNT) failed";
        goto failed;
    }

    rc->named_captures = n;
    rx->named_captures = n;

    if (n == 0) {
        return DR_OK;
    }

    if (pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &rc->name_size) < 0) {
        p = "pcre2_pattern_info(\"%V\", PCRE2_INFO_NAMEENTRYSIZE) failed";
        goto failed;
    }

    if (pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &rc->names) < 0) {
        p = "pcre2_pattern_info(\"%V\", PCRE2_INFO_NAMETABLE) failed";
        goto failed;
    }

    rx->name_size = rc->name_size;
    rx->names = rc->names;

    return DR_OK;

failed:

    rc->err.len = dr_snprintf(rc->err.data, rc->err.len, p, &rc->pattern)
                  - rc->err.data;
    return DR_ERROR;

nomem:

    rc->err.len = dr_snprintf(rc->err.data, rc->err.len,
                              "regex \"%V\" compilation failed: no memory",
                              &rc->pattern)
                  - rc->err.data;
    return DR_ERROR;
}


dr_int_t
dr_regex_exec(dr_regex_t *re, dr_str_t *s, int *captures, dr_uint_t size)
{
    int          rc;
    dr_uint_t    i, n, pairs;
    PCRE2_SIZE  *ov;

    /* pairs PCRE2 needs room for: all groups plus the whole match */
    pairs = re->captures + 1;

    if (dr_regex_match_data == NULL || pairs > dr_regex_match_data_size) {

        if (dr_regex_match_data) {
            pcre2_match_data_free(dr_regex_match_data);
            dr_regex_match_data = NULL;
            dr_regex_match_data_size = 0;
        }

        n = dr_max(pairs, 10);

        dr_regex_match_data = pcre2_match_data_create(n, NULL);
        if (dr_regex_match_data == NULL) {
            return PCRE2_ERROR_NOMEMORY;
        }

        dr_regex_match_data_size = n;
    }

    rc = pcre2_match(re->code, s->data, s->len, 0, 0, dr_regex_match_data,
                     NULL);

    if (rc == PCRE2_ERROR_NOMATCH) {
        return DR_REGEX_NO_MATCHED;
    }

    if (rc < 0) {
        return rc;
    }

    n = pcre2_get_ovector_count(dr_regex_match_data);
    ov = pcre2_get_ovector_pointer(dr_regex_match_data);

    if (n > size / 3) {
        n = size / 3;
    }

    for (i = 0; i < n; i++) {
        if (ov[i * 2] == PCRE2_UNSET) {
            captures[i * 2] = -1;
            captures[i * 2 + 1] = -1;

        } else {
            captures[i * 2] = (int) ov[i * 2];
            captures[i * 2 + 1] = (int) ov[i * 2 + 1];
        }
    }

    if ((dr_uint_t) rc > n) {
        return 0;
    }

    return rc;
}


dr_int_t
dr_regex_exec_array(dr_array_t *a, dr_str_t *s, dr_log_t *log)
{
    dr_int_t         n;
    dr_uint_t        i;
    dr_regex_elt_t  *re;

    re = a->elts;

    for (i = 0; i < a->nelts; i++) {

        n = dr_regex_exec(re[i].regex, s, NULL, 0);

        if (n == DR_REGEX_NO_MATCHED) {
            continue;
        }

        if (n < 0) {
            dr_log_error(DR_LOG_ALERT, log, 0,
                         "pcre2_match() failed: %i on \"%V\" using \"%s\"",
                         n, s, re[i].name);
            return DR_ERROR;
        }

        /* match */

        return DR_OK;
    }

    return DR_DECLINED;
}


dr_int_t
dr_regex_named_capture(dr_regex_t *re, u_char *name, size_t len)
{
    u_char     *p;
    dr_uint_t   i;

    for (i = 0, p = re->names; i < re->named_captures; i++, p += re->name_size)
    {
        if (dr_strncmp(&p[2], name, len) == 0 && p[2 + len] == '\0') {
            return (p[0] << 8) + p[1];
        }
    }

    return -1;
}
