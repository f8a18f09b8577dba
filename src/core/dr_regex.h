/*
 * Regular expressions: the PCRE2 glue (nginx's ngx_regex.c). PCRE2's own
 * types stay in dr_regex.c; callers see dr_regex_t.
 *
 * Compiled patterns live in the pool given at compile time (config
 * lifetime): PCRE2 allocates through that pool, so a cycle's patterns go
 * away with the cycle. Matching uses one per-process match block sized to
 * the largest pattern seen, so dr_regex_exec() never allocates.
 */
#ifndef DR_REGEX_H_INCLUDED
#define DR_REGEX_H_INCLUDED

#define DR_REGEX_NO_MATCHED   -1000     /* dr_regex_exec(): no match */

#define DR_REGEX_CASELESS     0x00000001

/* the most capture groups a pattern may have ($1..$9 plus named ones) */
#define DR_REGEX_MAX_CAPTURES 100

typedef struct {
    void         *code;           /* pcre2_code * */
    dr_uint_t     captures;       /* numbered groups, named ones included */
    dr_uint_t     named_captures;
    dr_uint_t     name_size;      /* bytes per entry of <names> */
    u_char       *names;          /* PCRE2's name table (2-byte index, NUL) */
} dr_regex_t;

typedef struct {
    dr_str_t      pattern;        /* in */
    dr_pool_t    *pool;           /* in: where the pattern lives */
    dr_uint_t     options;        /* in: DR_REGEX_CASELESS */

    dr_regex_t   *regex;          /* out */
    int           captures;
    int           named_captures;
    int           name_size;
    u_char       *names;
    dr_str_t      err;            /* in: room for the message; out: it */
} dr_regex_compile_t;

/* an element of the arrays dr_regex_exec_array() walks */
typedef struct {
    dr_regex_t   *regex;
    u_char       *name;           /* the pattern's text, NUL-terminated */
} dr_regex_elt_t;

/*
 * Compiles rc->pattern. rc->err must point to a buffer (rc->err.len bytes)
 * for the message. DR_OK, or DR_ERROR with rc->err set ("pcre2_compile()
 * failed: missing ) in \"(a\" at \"\""). Config time.
 */
dr_int_t dr_regex_compile(dr_regex_compile_t *rc);

/*
 * Matches <s>. <captures> (may be NULL when <size> is 0) receives <size>
 * ints: pairs of start/end offsets, as PCRE's ovector (size is a multiple
 * of 3 in nginx's habit; only 2/3 of it are filled). Returns the number of
 * pairs set (>= 1), 0 if <captures> was too small for all of them,
 * DR_REGEX_NO_MATCHED, or another negative PCRE2 error code. Never
 * allocates once the process has seen its largest pattern.
 */
dr_int_t dr_regex_exec(dr_regex_t *re, dr_str_t *s, int *captures,
    dr_uint_t size);

/*
 * Tries the dr_regex_elt_t of <a> in order: DR_OK at the first match,
 * DR_DECLINED if none matched, DR_ERROR (logged) on a PCRE2 failure.
 */
dr_int_t dr_regex_exec_array(dr_array_t *a, dr_str_t *s, dr_log_t *log);

/* the number of a named group, or -1 */
dr_int_t dr_regex_named_capture(dr_regex_t *re, u_char *name, size_t len);

#endif /* DR_REGEX_H_INCLUDED */
