/*
 * Access log line formats (log_format): compiled once into ops, run for
 * each line. See dr_http_log_format.c.
 */
#ifndef DR_HTTP_LOG_FORMAT_H_INCLUDED
#define DR_HTTP_LOG_FORMAT_H_INCLUDED

#include "dr_http.h"


typedef struct dr_http_log_format_op_s  dr_http_log_format_op_t;

/* writes its part of the line at <buf>; returns the end */
typedef u_char *(*dr_http_log_format_run_pt)(dr_http_request_t *r,
    u_char *buf, dr_http_log_format_op_t *op);
/* the length of a variable's part (escaped), for this request */
typedef size_t (*dr_http_log_format_getlen_pt)(dr_http_request_t *r,
    uintptr_t data);

struct dr_http_log_format_op_s {
    size_t                          len;     /* a bound; 0: ask getlen */
    dr_http_log_format_getlen_pt    getlen;
    dr_http_log_format_run_pt       run;
    uintptr_t                       data;    /* text, or a variable index */
};

typedef struct {
    dr_str_t                        name;
    dr_array_t                     *flushes; /* dr_int_t variable indices */
    dr_array_t                     *ops;     /* dr_http_log_format_op_t */
} dr_http_log_format_t;


/* an empty format named <name> (a view kept as is); DR_OK or DR_ERROR */
dr_int_t dr_http_log_format_init(dr_pool_t *pool, dr_http_log_format_t *fmt,
    dr_str_t *name);
/*
 * Compiles args[s..] into <fmt>: an optional "escape=default|json|none"
 * first, then strings joined without a separator, "$name"/"${name}"
 * variables in them. DR_CONF_OK or DR_CONF_ERROR (logged as nginx does).
 * Config time: variables are resolved at the end of http{}.
 */
char *dr_http_log_format_compile(dr_conf_t *cf, dr_http_log_format_t *fmt,
    dr_array_t *args, dr_uint_t s);
/*
 * A bound of the length of <fmt>'s line for <r>, without the LF. Computes
 * the variables (anew the non-cacheable ones); run() uses the same values.
 */
size_t dr_http_log_format_len(dr_http_request_t *r,
    dr_http_log_format_t *fmt);
/* writes the line (no LF) at <buf>, which has room for _len() bytes */
u_char *dr_http_log_format_run(dr_http_request_t *r,
    dr_http_log_format_t *fmt, u_char *buf);

#endif /* DR_HTTP_LOG_FORMAT_H_INCLUDED */
