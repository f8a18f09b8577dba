/*
 * Active health checks (modules/upstream_health_check): shared types of
 * the configuration side (dr_upstream_health_check_module.c: the
 * health_check and match directives) and the agent side
 * (dr_upstream_health_check_probe.c: timers, probes, verdicts).
 */
#ifndef DR_UPSTREAM_HEALTH_CHECK_H_INCLUDED
#define DR_UPSTREAM_HEALTH_CHECK_H_INCLUDED

#include "dr_http_upstream.h"


/* one condition of a match{} block */
#define DR_UPSTREAM_HC_STATUS       0
#define DR_UPSTREAM_HC_HEADER       1
#define DR_UPSTREAM_HC_BODY         2

#define DR_UPSTREAM_HC_OP_EXISTS    0   /* header Name */
#define DR_UPSTREAM_HC_OP_ABSENT    1   /* header ! Name */
#define DR_UPSTREAM_HC_OP_EQUAL     2   /* = value */
#define DR_UPSTREAM_HC_OP_NOTEQUAL  3   /* != value */
#define DR_UPSTREAM_HC_OP_MATCH     4   /* ~ regex */
#define DR_UPSTREAM_HC_OP_NOMATCH   5   /* !~ regex */

typedef struct {
    dr_uint_t                  low;
    dr_uint_t                  high;
} dr_upstream_hc_range_t;

typedef struct {
    dr_uint_t                  type;       /* DR_UPSTREAM_HC_* */
    dr_uint_t                  op;         /* DR_UPSTREAM_HC_OP_* */
    dr_uint_t                  negate;     /* status ! ... */
    dr_array_t                *ranges;     /* dr_upstream_hc_range_t */
    dr_str_t                   name;       /* a header's */
    dr_str_t                   value;
    dr_regex_t                *regex;
} dr_upstream_hc_cond_t;

typedef struct {
    dr_str_t                   name;
    dr_array_t                 conds;      /* dr_upstream_hc_cond_t */
    dr_uint_t                  has_status;
    dr_uint_t                  has_body;
    u_char                    *file_name;
    dr_uint_t                  line;
} dr_upstream_hc_match_t;


typedef struct dr_upstream_hc_peer_s  dr_upstream_hc_peer_t;

/* the health_check of one pool */
typedef struct {
    dr_msec_t                  interval;
    dr_msec_t                  timeout;
    dr_uint_t                  fails;
    dr_uint_t                  passes;
    dr_str_t                   uri;
    in_port_t                  port;       /* 0: the peer's */
    dr_str_t                   match_name;
    dr_upstream_hc_match_t    *match;      /* NULL: a 2xx or 3xx */

    dr_upstream_conf_t        *us;

    u_char                    *file_name;
    dr_uint_t                  line;

    /* the agent's */
    dr_event_t                 timer;
    dr_upstream_hc_peer_t     *peers;
    dr_log_t                  *log;
    dr_uint_t                  ticks;
} dr_upstream_hc_conf_t;


typedef struct {
    dr_array_t                 matches;    /* dr_upstream_hc_match_t * */
    dr_array_t                 checks;     /* dr_upstream_hc_conf_t * */
} dr_upstream_hc_main_conf_t;


/* dr_upstream_health_check_probe.c */

/* the agent task: starts the pool's timer (the agent process) */
dr_int_t dr_upstream_hc_start(dr_cycle_t *cycle, dr_upstream_conf_t *us,
    void *data);
/*
 * 1 if a response passes <m> (NULL: a 2xx or 3xx status): <st> is the
 * parsed head, <body> what was read of the body (may be empty).
 */
dr_uint_t dr_upstream_hc_match(dr_upstream_hc_match_t *m,
    dr_http_parse_response_t *st, dr_str_t *body);

extern dr_module_t  dr_upstream_health_check_module;

#endif /* DR_UPSTREAM_HEALTH_CHECK_H_INCLUDED */
