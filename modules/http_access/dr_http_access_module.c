/*
 * allow / deny: access by the client's address, nginx's access module.
 *
 *     location /admin/ { allow 10.0.0.0/8; allow ::1; deny all; }
 *
 * The rules of a context are checked in order and the first one that
 * matches decides: deny answers 403 (logged "access forbidden by rule", as
 * nginx), allow lets the request go on; no match declines, so the access
 * phase goes on as if there were no rule. A context without rules inherits
 * its parent's whole list (not merged rule by rule, as nginx). An
 * IPv4-mapped IPv6 client is matched against IPv4 rules (dr_cidr_match).
 * Runs in the workers' ACCESS phase; nothing is allocated per request.
 */

#include "dr_http.h"

typedef struct {
    dr_cidr_t     cidr;
    dr_uint_t     deny;      /* 1: deny, 0: allow */
} dr_http_access_rule_t;

typedef struct {
    dr_array_t   *rules;     /* dr_http_access_rule_t, NULL: none */
} dr_http_access_loc_conf_t;

static dr_int_t dr_http_access_handler(dr_http_request_t *r);
static void *dr_http_access_create_loc_conf(dr_conf_t *cf);
static char *dr_http_access_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);
static char *dr_http_access_rule(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static dr_int_t dr_http_access_init(dr_conf_t *cf);

static dr_command_t  dr_http_access_commands[] = {

    { dr_string("allow"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LMT_CONF
      |DR_CONF_TAKE1,
      dr_http_access_rule,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("deny"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LMT_CONF
      |DR_CONF_TAKE1,
      dr_http_access_rule,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};

static dr_http_module_t  dr_http_access_module_ctx = {
    .postconfiguration = dr_http_access_init,
    .create_loc_conf = dr_http_access_create_loc_conf,
    .merge_loc_conf = dr_http_access_merge_loc_conf,
};

dr_module_t  dr_http_access_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_access",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_access_module_ctx,
    .commands = dr_http_access_commands,
};


static dr_int_t
dr_http_access_handler(dr_http_request_t *r)
{
    dr_uint_t                   i;
    dr_array_t                  one;
    dr_http_access_rule_t      *rule;
    dr_http_access_loc_conf_t  *alcf;

    alcf = dr_http_get_module_loc_conf(r, dr_http_access_module);

    if (alcf->rules == NULL) {
        return DR_DECLINED;
    }

    rule = alcf->rules->elts;

    for (i = 0; i < alcf->rules->nelts; i++) {

        /* a one-element view, so that dr_cidr_match() decides the match */

        one.elts = &rule[i].cidr;
        one.nelts = 1;
        one.size = sizeof(dr_cidr_t);
        one.nalloc = 1;
        one.pool = NULL;

        if (dr_cidr_match(r->connection->sockaddr, &one) != DR_OK) {
            continue;
        }

        if (rule[i].deny) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "access forbidden by rule");
            return DR_HTTP_FORBIDDEN;
        }

        return DR_OK;
    }

    return DR_DECLINED;
}


static void *
dr_http_access_create_loc_conf(dr_conf_t *cf)
{
    /* dr_pcalloc(): rules = NULL */
    return dr_pcalloc(cf->pool, sizeof(dr_http_access_loc_conf_t));
}


static char *
dr_http_access_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_access_loc_conf_t  *prev = parent;
    dr_http_access_loc_conf_t  *conf = child;

    if (conf->rules == NULL) {
        conf->rules = prev->rules;
    }

    return DR_CONF_OK;
}


/* "allow|deny address|CIDR|all" */
static char *
dr_http_access_rule(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_access_loc_conf_t  *alcf = conf;

    dr_int_t                rc;
    dr_str_t               *value;
    dr_http_access_rule_t  *rule;

    value = cf->args->elts;

    if (alcf->rules == NULL) {
        alcf->rules = dr_array_create(cf->pool, 4,
                                      sizeof(dr_http_access_rule_t));
        if (alcf->rules == NULL) {
            return DR_CONF_ERROR;
        }
    }

    rule = dr_array_push(alcf->rules);
    if (rule == NULL) {
        return DR_CONF_ERROR;
    }

    rule->deny = (value[0].data[0] == 'd');

    rc = dr_ptocidr(&value[1], &rule->cidr);

    if (rc == DR_ERROR) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid parameter \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    if (rc == DR_DONE) {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "low address bits of %V are meaningless",
                          &value[1]);
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_http_access_init(dr_conf_t *cf)
{
    return dr_http_add_phase_handler(cf, DR_HTTP_ACCESS_PHASE,
                                     dr_http_access_handler);
}
