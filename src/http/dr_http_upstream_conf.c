/*
 * The HTTP side of proxying, configuration: the upstream{} block (a pool
 * of dr_upstream_conf_t, src/upstream), its `server`, `zone`,
 * `keepalive*` directives, the balancer directives' access to the pool
 * being defined, the merge of the proxy-like modules' common location
 * settings, the $upstream_* variables, and the module hooks that run the
 * pools in each process (zones, workers' quiescent points, the agent).
 *
 * An upstream{} block gets a conf context of its own, as a server{} does,
 * whose dr_http_upstream_module srv_conf is the pool itself: directives of
 * other modules in the block (least_conn, hash, health_check, discover)
 * reach it with dr_http_conf_upstream_pool(cf). Config time in the master;
 * the variables in workers.
 */

#include "dr_http_upstream.h"


static char *dr_http_upstream_block(dr_conf_t *cf, dr_command_t *cmd,
    void *dummy);
static char *dr_http_upstream_server(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_upstream_zone(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_upstream_keepalive(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_upstream_keepalive_param(dr_conf_t *cf,
    dr_command_t *cmd, void *conf);
static dr_int_t dr_http_upstream_add_variables(dr_conf_t *cf);
static void *dr_http_upstream_create_main_conf(dr_conf_t *cf);
static char *dr_http_upstream_init_main_conf(dr_conf_t *cf, void *conf);
static dr_int_t dr_http_upstream_init_module(dr_cycle_t *cycle);
static dr_int_t dr_http_upstream_init_process(dr_cycle_t *cycle);
static void dr_http_upstream_exit_process(dr_cycle_t *cycle);
static void dr_http_upstream_master_tick(dr_cycle_t *cycle, dr_msec_t *next);
static dr_int_t dr_http_upstream_addr_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_upstream_status_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_upstream_time_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_upstream_length_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_upstream_header_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);


static dr_command_t  dr_http_upstream_commands[] = {

    { dr_string("upstream"),
      DR_HTTP_MAIN_CONF|DR_CONF_BLOCK|DR_CONF_TAKE1,
      dr_http_upstream_block,
      0,
      0,
      NULL },

    { dr_string("server"),
      DR_HTTP_UPS_CONF|DR_CONF_1MORE,
      dr_http_upstream_server,
      DR_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { dr_string("zone"),
      DR_HTTP_UPS_CONF|DR_CONF_TAKE12,
      dr_http_upstream_zone,
      DR_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { dr_string("keepalive"),
      DR_HTTP_UPS_CONF|DR_CONF_TAKE1,
      dr_http_upstream_keepalive,
      DR_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { dr_string("keepalive_requests"),
      DR_HTTP_UPS_CONF|DR_CONF_TAKE1,
      dr_http_upstream_keepalive_param,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_upstream_conf_t, keepalive_requests),
      NULL },

    { dr_string("keepalive_timeout"),
      DR_HTTP_UPS_CONF|DR_CONF_TAKE1,
      dr_http_upstream_keepalive_param,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_upstream_conf_t, keepalive_timeout),
      NULL },

    { dr_string("keepalive_time"),
      DR_HTTP_UPS_CONF|DR_CONF_TAKE1,
      dr_http_upstream_keepalive_param,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_upstream_conf_t, keepalive_time),
      NULL },

    dr_null_command
};
static dr_http_module_t  dr_http_upstream_module_ctx = {
    .preconfiguration = dr_http_upstream_add_variables,
    .create_main_conf = dr_http_upstream_create_main_conf,
    .init_main_conf = dr_http_upstream_init_main_conf,
};
dr_module_t  dr_http_upstream_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_upstream",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_upstream_module_ctx,
    .commands = dr_http_upstream_commands,
    .init_module = dr_http_upstream_init_module,
    .init_process = dr_http_upstream_init_process,
    .exit_process = dr_http_upstream_exit_process,
    .master_tick = dr_http_upstream_master_tick,
};
#define DR_HTTP_UPSTREAM_ADDR     0
#define DR_HTTP_UPSTREAM_RESP     1
#define DR_HTTP_UPSTREAM_CONNECT  2
#define DR_HTTP_UPSTREAM_HEADER   3
#define DR_HTTP_UPSTREAM_LENGTH   4
#define DR_HTTP_UPSTREAM_RECEIVED 5
#define DR_HTTP_UPSTREAM_SENT     6
#define DR_HTTP_UPSTREAM_STATUS   7

static dr_http_variable_t  dr_http_upstream_vars[] = {

    { dr_string("upstream_addr"), NULL, dr_http_upstream_addr_variable, 0,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_status"), NULL, dr_http_upstream_status_variable,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_response_time"), NULL,
      dr_http_upstream_time_variable, DR_HTTP_UPSTREAM_RESP,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_connect_time"), NULL,
      dr_http_upstream_time_variable, DR_HTTP_UPSTREAM_CONNECT,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_header_time"), NULL,
      dr_http_upstream_time_variable, DR_HTTP_UPSTREAM_HEADER,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_response_length"), NULL,
      dr_http_upstream_length_variable, DR_HTTP_UPSTREAM_LENGTH,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_bytes_received"), NULL,
      dr_http_upstream_length_variable, DR_HTTP_UPSTREAM_RECEIVED,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_bytes_sent"), NULL,
      dr_http_upstream_length_variable, DR_HTTP_UPSTREAM_SENT,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("upstream_http_"), NULL, dr_http_upstream_header_variable,
      0, DR_HTTP_VAR_NOCACHEABLE|DR_HTTP_VAR_PREFIX, 0 },

    dr_http_null_variable
};
dr_conf_bitmask_t  dr_http_upstream_next_upstream_masks[] = {
    { dr_string("error"), DR_HTTP_UPSTREAM_FT_ERROR },
    { dr_string("timeout"), DR_HTTP_UPSTREAM_FT_TIMEOUT },
    { dr_string("invalid_header"), DR_HTTP_UPSTREAM_FT_INVALID_HEADER },
    { dr_string("non_idempotent"), DR_HTTP_UPSTREAM_FT_NON_IDEMPOTENT },
    { dr_string("http_500"), DR_HTTP_UPSTREAM_FT_HTTP_500 },
    { dr_string("http_502"), DR_HTTP_UPSTREAM_FT_HTTP_502 },
    { dr_string("http_503"), DR_HTTP_UPSTREAM_FT_HTTP_503 },
    { dr_string("http_504"), DR_HTTP_UPSTREAM_FT_HTTP_504 },
    { dr_string("http_403"), DR_HTTP_UPSTREAM_FT_HTTP_403 },
    { dr_string("http_404"), DR_HTTP_UPSTREAM_FT_HTTP_404 },
    { dr_string("http_429"), DR_HTTP_UPSTREAM_FT_HTTP_429 },
    { dr_string("off"), DR_HTTP_UPSTREAM_FT_OFF },
    { dr_null_string, 0 }
};
dr_conf_bitmask_t  dr_http_upstream_ignore_headers_masks[] = {
    { dr_string("X-Accel-Redirect"), DR_HTTP_UPSTREAM_IGN_XA_REDIRECT },
    { dr_string("X-Accel-Expires"), DR_HTTP_UPSTREAM_IGN_XA_EXPIRES },
    { dr_string("X-Accel-Limit-Rate"), DR_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE },
    { dr_string("X-Accel-Buffering"), DR_HTTP_UPSTREAM_IGN_XA_BUFFERING },
    { dr_string("X-Accel-Charset"), DR_HTTP_UPSTREAM_IGN_XA_CHARSET },
    { dr_string("Expires"), DR_HTTP_UPSTREAM_IGN_EXPIRES },
    { dr_string("Cache-Control"), DR_HTTP_UPSTREAM_IGN_CACHE_CONTROL },
    { dr_string("Set-Cookie"), DR_HTTP_UPSTREAM_IGN_SET_COOKIE },
    { dr_string("Vary"), DR_HTTP_UPSTREAM_IGN_VARY },
    { dr_null_string, 0 }
};


/* --------------------------------------------------------- variables */


static dr_int_t
dr_http_upstream_addr_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *p;
    size_t                     len;
    dr_uint_t                  i;
    dr_http_upstream_state_t  *state;

    if (r->upstream_states == NULL || r->upstream_states->nelts == 0) {
        v->not_found = 1;
        return DR_OK;
    }

    len = 0;
    state = r->upstream_states->elts;

    for (i = 0; i < r->upstream_states->nelts; i++) {
        len += (state[i].peer ? state[i].peer->len : 0) + 2;
    }

    p = dr_pnalloc(r->pool, len + 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->data = p;

    for (i = 0; i < r->upstream_states->nelts; i++) {

        if (state[i].peer == NULL) {
            /* an internal redirect's separator */
            if (p > v->data) {
                p -= 2;
            }
            p = dr_cpymem(p, " : ", 3);
            continue;
        }

        p = dr_cpymem(p, state[i].peer->data, state[i].peer->len);

        if (i + 1 < r->upstream_states->nelts) {
            *p++ = ',';
            *p++ = ' ';
        }
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


/* the values of all attempts, ", " between them, " : " between groups */
static dr_int_t
dr_http_upstream_join(dr_http_request_t *r, dr_http_variable_value_t *v,
    dr_uint_t what)
{
    u_char                    *p, *last;
    size_t                     len;
    dr_uint_t                  i;
    dr_msec_int_t              ms;
    dr_http_upstream_state_t  *state;

    if (r->upstream_states == NULL || r->upstream_states->nelts == 0) {
        v->not_found = 1;
        return DR_OK;
    }

    len = r->upstream_states->nelts * (DR_TIME_T_LEN + 4 + 3);

    p = dr_pnalloc(r->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->data = p;
    last = p + len;
    state = r->upstream_states->elts;

    for (i = 0; i < r->upstream_states->nelts; i++) {

        if (state[i].peer == NULL && state[i].status == 0) {
            if (p > v->data) {
                p -= 2;
            }
            p = dr_cpymem(p, " : ", 3);
            continue;
        }

        switch (what) {

        case DR_HTTP_UPSTREAM_STATUS:
            if (state[i].status) {
                p = dr_slprintf(p, last, "%ui", state[i].status);

            } else {
                *p++ = '-';
            }
            break;

        case DR_HTTP_UPSTREAM_RESP:
        case DR_HTTP_UPSTREAM_CONNECT:
        case DR_HTTP_UPSTREAM_HEADER:
            ms = (dr_msec_int_t) (what == DR_HTTP_UPSTREAM_RESP
                                  ? state[i].response_time
                                  : what == DR_HTTP_UPSTREAM_CONNECT
                                    ? state[i].connect_time
                                    : state[i].header_time);

            if (ms != -1) {
                ms = dr_max(ms, 0);
                p = dr_slprintf(p, last, "%T.%03M", (time_t) ms / 1000,
                                (dr_msec_t) (ms % 1000));

            } else {
                *p++ = '-';
            }
            break;

        case DR_HTTP_UPSTREAM_LENGTH:
            p = dr_slprintf(p, last, "%O", state[i].response_length);
            break;

        case DR_HTTP_UPSTREAM_RECEIVED:
            p = dr_slprintf(p, last, "%O", state[i].bytes_received);
            break;

        default: /* DR_HTTP_UPSTREAM_SENT */
            p = dr_slprintf(p, last, "%O", state[i].bytes_sent);
            break;
        }

        if (i + 1 < r->upstream_states->nelts) {
            *p++ = ',';
            *p++ = ' ';
        }
    }

    v->len = p - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


static dr_int_t
dr_http_upstream_status_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    return dr_http_upstream_join(r, v, DR_HTTP_UPSTREAM_STATUS);
}


static dr_int_t
dr_http_upstream_time_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    return dr_http_upstream_join(r, v, data);
}


static dr_int_t
dr_http_upstream_length_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    return dr_http_upstream_join(r, v, data);
}


static dr_int_t
dr_http_upstream_header_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->upstream == NULL || r->upstream->headers_in.headers.part.elts
                               == NULL)
    {
        v->not_found = 1;
        return DR_OK;
    }

    return dr_http_variable_unknown_header(r, v, (dr_str_t *) data,
                                       &r->upstream->headers_in.headers.part,
                                       sizeof("upstream_http_") - 1);
}


static dr_int_t
dr_http_upstream_add_variables(dr_conf_t *cf)
{
    dr_http_variable_t  *var, *v;

    for (v = dr_http_upstream_vars; v->name.len; v++) {
        var = dr_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return DR_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return DR_OK;
}


/* ------------------------------------------------------ configuration */


dr_upstream_conf_t *
dr_http_upstream_add(dr_conf_t *cf, dr_url_t *u, dr_uint_t flags)
{
    dr_http_upstream_main_conf_t  *umcf;

    if (dr_http_upstream_module.ctx_index == DR_MODULE_UNSET_INDEX) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "dr_http_upstream_module is not in the module "
                          "table (configure's DR_SRC_MODULES)");
        return NULL;
    }

    umcf = dr_http_conf_get_module_main_conf(cf, dr_http_upstream_module);

    return dr_upstream_add(cf, &umcf->pools, u, flags);
}


dr_upstream_conf_t *
dr_http_upstream_find(dr_http_request_t *r, dr_str_t *name)
{
    dr_uint_t                      i;
    dr_upstream_conf_t           **usp;
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_http_get_module_main_conf(r, dr_http_upstream_module);
    usp = umcf->pools.elts;

    for (i = 0; i < umcf->pools.nelts; i++) {
        if ((usp[i]->flags & DR_UPSTREAM_CREATE)
            && usp[i]->name.len == name->len
            && dr_strncasecmp(usp[i]->name.data, name->data, name->len) == 0)
        {
            return usp[i];
        }
    }

    return NULL;
}


static char *
dr_http_upstream_block(dr_conf_t *cf, dr_command_t *cmd, void *dummy)
{
    char                  *rv;
    void                  *mconf;
    dr_str_t              *value;
    dr_url_t               u;
    dr_uint_t              m;
    dr_conf_t              pcf;
    dr_http_module_t      *module;
    dr_upstream_conf_t    *us;
    dr_http_conf_ctx_t    *ctx, *http_ctx;

    value = cf->args->elts;

    dr_memzero(&u, sizeof(dr_url_t));

    u.host = value[1];
    u.no_resolve = 1;
    u.no_port = 1;

    us = dr_http_upstream_add(cf, &u, DR_UPSTREAM_CREATE
                                      |DR_UPSTREAM_WEIGHT
                                      |DR_UPSTREAM_MAX_CONNS
                                      |DR_UPSTREAM_MAX_FAILS
                                      |DR_UPSTREAM_FAIL_TIMEOUT
                                      |DR_UPSTREAM_DOWN
                                      |DR_UPSTREAM_BACKUP
                                      |DR_UPSTREAM_SLOW_START);
    if (us == NULL) {
        return DR_CONF_ERROR;
    }

    ctx = dr_pcalloc(cf->pool, sizeof(dr_http_conf_ctx_t));
    if (ctx == NULL) {
        return DR_CONF_ERROR;
    }

    http_ctx = cf->ctx;
    ctx->main_conf = http_ctx->main_conf;

    ctx->srv_conf = dr_pcalloc(cf->pool, sizeof(void *) * dr_http_max_module);
    if (ctx->srv_conf == NULL) {
        return DR_CONF_ERROR;
    }

    ctx->srv_conf[dr_http_upstream_module.ctx_index] = us;

    ctx->loc_conf = dr_pcalloc(cf->pool, sizeof(void *) * dr_http_max_module);
    if (ctx->loc_conf == NULL) {
        return DR_CONF_ERROR;
    }

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != DR_HTTP_MODULE
            || cf->cycle->modules[m] == &dr_http_upstream_module)
        {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;

        if (module->create_srv_conf) {
            mconf = module->create_srv_conf(cf);
            if (mconf == NULL) {
                return DR_CONF_ERROR;
            }

            ctx->srv_conf[cf->cycle->modules[m]->ctx_index] = mconf;
        }

        if (module->create_loc_conf) {
            mconf = module->create_loc_conf(cf);
            if (mconf == NULL) {
                return DR_CONF_ERROR;
            }

            ctx->loc_conf[cf->cycle->modules[m]->ctx_index] = mconf;
        }
    }

    pcf = *cf;
    cf->ctx = ctx;
    cf->cmd_type = DR_HTTP_UPS_CONF;

    rv = dr_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != DR_CONF_OK) {
        return rv;
    }

    if (us->servers->nelts == 0 && us->discover == NULL) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "no servers are inside upstream");
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


static char *
dr_http_upstream_server(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    return dr_upstream_server(cf, conf);
}


static char *
dr_http_upstream_zone(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    return dr_upstream_zone_directive(cf, conf, &dr_http_upstream_module);
}


static char *
dr_http_upstream_keepalive(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_upstream_conf_t  *us = conf;

    dr_int_t   n;
    dr_str_t  *value;

    if (us->keepalive) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = dr_atoi(value[1].data, value[1].len);

    if (n == DR_ERROR || n == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid value \"%V\" in \"%V\" directive",
                          &value[1], &cmd->name);
        return DR_CONF_ERROR;
    }

    us->keepalive = (dr_uint_t) n;

    return DR_CONF_OK;
}


/* keepalive_requests N, keepalive_timeout T, keepalive_time T */
static char *
dr_http_upstream_keepalive_param(dr_conf_t *cf, dr_command_t *cmd,
    void *conf)
{
    dr_int_t    n;
    dr_str_t   *value;
    dr_uint_t  *up;
    dr_msec_t  *mp;

    value = cf->args->elts;

    if (cmd->offset == offsetof(dr_upstream_conf_t, keepalive_requests)) {
        up = (dr_uint_t *) ((char *) conf + cmd->offset);

        if (*up != DR_CONF_UNSET_UINT) {
            return "is duplicate";
        }

        n = dr_atoi(value[1].data, value[1].len);
        if (n == DR_ERROR || n == 0) {
            return "invalid value";
        }

        *up = (dr_uint_t) n;
        return DR_CONF_OK;
    }

    mp = (dr_msec_t *) ((char *) conf + cmd->offset);

    if (*mp != DR_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    n = dr_parse_time(&value[1], 0);
    if (n == DR_ERROR) {
        return "invalid value";
    }

    *mp = (dr_msec_t) n;

    return DR_CONF_OK;
}


char *
dr_http_upstream_merge_conf(dr_conf_t *cf, dr_http_upstream_conf_t *conf,
    dr_http_upstream_conf_t *prev, dr_str_t *default_hide_headers)
{
    size_t      size;
    dr_str_t   *h, *ph, *s;
    dr_uint_t   i, j, hidden;

    dr_conf_merge_msec_value(conf->connect_timeout, prev->connect_timeout,
                             60000);
    dr_conf_merge_msec_value(conf->send_timeout, prev->send_timeout, 60000);
    dr_conf_merge_msec_value(conf->read_timeout, prev->read_timeout, 60000);
    dr_conf_merge_msec_value(conf->next_upstream_timeout,
                             prev->next_upstream_timeout, 0);

    dr_conf_merge_size_value(conf->send_lowat, prev->send_lowat, 0);
    dr_conf_merge_size_value(conf->buffer_size, prev->buffer_size,
                             (size_t) getpagesize());

    if (conf->bufs.num == 0) {
        conf->bufs = prev->bufs;

        if (conf->bufs.num == 0) {
            conf->bufs.num = 8;
            conf->bufs.size = (size_t) getpagesize();
        }
    }

    if (conf->bufs.num < 2) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "there must be at least 2 \"%V_buffers\"",
                          &conf->module);
        return DR_CONF_ERROR;
    }

    size = conf->buffer_size;
    if (size < conf->bufs.size) {
        size = conf->bufs.size;
    }

    dr_conf_merge_size_value(conf->busy_buffers_size_conf,
                             prev->busy_buffers_size_conf,
                             DR_CONF_UNSET_SIZE);

    conf->busy_buffers_size = conf->busy_buffers_size_conf
                              == DR_CONF_UNSET_SIZE
                              ? 2 * size : conf->busy_buffers_size_conf;

    if (conf->busy_buffers_size < size) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%V_busy_buffers_size\" must be equal to or "
                          "greater than the maximum of the value of "
                          "\"%V_buffer_size\" and one of the "
                          "\"%V_buffers\"", &conf->module, &conf->module,
                          &conf->module);
        return DR_CONF_ERROR;
    }

    if (conf->busy_buffers_size
        > (conf->bufs.num - 1) * conf->bufs.size)
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%V_busy_buffers_size\" must be less than the "
                          "size of all \"%V_buffers\" minus one buffer",
                          &conf->module, &conf->module);
        return DR_CONF_ERROR;
    }

    dr_conf_merge_size_value(conf->temp_file_write_size_conf,
                             prev->temp_file_write_size_conf,
                             DR_CONF_UNSET_SIZE);

    conf->temp_file_write_size = conf->temp_file_write_size_conf
                                 == DR_CONF_UNSET_SIZE
                                 ? 2 * size
                                 : conf->temp_file_write_size_conf;

    dr_conf_merge_size_value(conf->max_temp_file_size_conf,
                             prev->max_temp_file_size_conf,
                             DR_CONF_UNSET_SIZE);

    conf->max_temp_file_size = conf->max_temp_file_size_conf
                               == DR_CONF_UNSET_SIZE
                               ? 1024 * 1024 * 1024
                               : conf->max_temp_file_size_conf;

    if (conf->max_temp_file_size != 0
        && conf->max_temp_file_size < size)
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%V_max_temp_file_size\" must be equal to zero "
                          "to disable temporary files usage or must be "
                          "equal to or greater than the maximum of the "
                          "value of \"%V_buffer_size\" and one of the "
                          "\"%V_buffers\"", &conf->module, &conf->module,
                          &conf->module);
        return DR_CONF_ERROR;
    }

    dr_conf_merge_bitmask_value(conf->ignore_headers, prev->ignore_headers,
                                DR_CONF_BITMASK_SET);

    dr_conf_merge_bitmask_value(conf->next_upstream, prev->next_upstream,
                                DR_CONF_BITMASK_SET
                                |DR_HTTP_UPSTREAM_FT_ERROR
                                |DR_HTTP_UPSTREAM_FT_TIMEOUT);

    if (conf->next_upstream & DR_HTTP_UPSTREAM_FT_OFF) {
        conf->next_upstream = DR_CONF_BITMASK_SET|DR_HTTP_UPSTREAM_FT_OFF;
    }

    dr_conf_merge_uint_value(conf->next_upstream_tries,
                             prev->next_upstream_tries, 0);

    dr_conf_merge_value(conf->buffering, prev->buffering, 1);
    dr_conf_merge_value(conf->request_buffering, prev->request_buffering, 1);
    dr_conf_merge_value(conf->pass_request_headers,
                        prev->pass_request_headers, 1);
    dr_conf_merge_value(conf->pass_request_body, prev->pass_request_body, 1);
    dr_conf_merge_value(conf->ignore_client_abort, prev->ignore_client_abort,
                        0);
    dr_conf_merge_value(conf->intercept_errors, prev->intercept_errors, 0);

    if (conf->temp_path.data == NULL) {
        conf->temp_path = prev->temp_path;
    }

    /*
     * The hidden fields: the defaults and proxy_hide_header (a level
     * without it inherits its parent's), minus proxy_pass_header (the
     * same). The user's lists are kept as they are for the levels below.
     */

    if (conf->hide_headers == DR_CONF_UNSET_PTR) {
        conf->hide_headers = prev->hide_headers;
    }

    if (conf->pass_headers == DR_CONF_UNSET_PTR) {
        conf->pass_headers = prev->pass_headers;
    }

    conf->hidden = dr_array_create(cf->pool, 8, sizeof(dr_str_t));
    if (conf->hidden == NULL) {
        return DR_CONF_ERROR;
    }

    for (s = default_hide_headers; s && s->len; s++) {
        h = dr_array_push(conf->hidden);
        if (h == NULL) {
            return DR_CONF_ERROR;
        }

        *h = *s;
    }

    if (conf->hide_headers != DR_CONF_UNSET_PTR && conf->hide_headers) {
        ph = conf->hide_headers->elts;

        for (i = 0; i < conf->hide_headers->nelts; i++) {
            h = dr_array_push(conf->hidden);
            if (h == NULL) {
                return DR_CONF_ERROR;
            }

            *h = ph[i];
        }
    }

    if (conf->pass_headers != DR_CONF_UNSET_PTR && conf->pass_headers) {
        ph = conf->pass_headers->elts;
        h = conf->hidden->elts;

        for (i = 0; i < conf->pass_headers->nelts; i++) {
            for (j = 0; j < conf->hidden->nelts; j++) {
                hidden = h[j].len == ph[i].len
                         && dr_strncasecmp(h[j].data, ph[i].data,
                                           ph[i].len) == 0;
                if (hidden) {
                    h[j].len = 0;
                }
            }
        }
    }

    return DR_CONF_OK;
}


static void *
dr_http_upstream_create_main_conf(dr_conf_t *cf)
{
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_pcalloc(cf->pool, sizeof(dr_http_upstream_main_conf_t));
    if (umcf == NULL) {
        return NULL;
    }

    if (dr_array_init(&umcf->pools, cf->pool, 4, sizeof(void *)) != DR_OK) {
        return NULL;
    }

    if (dr_array_init(&umcf->temp_paths, cf->pool, 1, sizeof(dr_str_t))
        != DR_OK)
    {
        return NULL;
    }

    return umcf;
}


static char *
dr_http_upstream_init_main_conf(dr_conf_t *cf, void *conf)
{
    dr_http_upstream_main_conf_t  *umcf = conf;

    if (dr_upstream_init_pools(cf, &umcf->pools) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


dr_int_t
dr_http_upstream_add_temp_path(dr_conf_t *cf, dr_str_t *path)
{
    dr_str_t                      *p;
    dr_uint_t                      i;
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_http_conf_get_module_main_conf(cf, dr_http_upstream_module);

    if (umcf == NULL) {
        return DR_OK;
    }

    p = umcf->temp_paths.elts;

    for (i = 0; i < umcf->temp_paths.nelts; i++) {
        if (dr_str_eq(&p[i], path)) {
            return DR_OK;
        }
    }

    p = dr_array_push(&umcf->temp_paths);
    if (p == NULL) {
        return DR_ERROR;
    }

    /* NUL-terminated for mkdir() */

    p->data = dr_pnalloc(cf->pool, path->len + 1);
    if (p->data == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(p->data, path->data, path->len);
    p->data[path->len] = '\0';
    p->len = path->len;

    return DR_OK;
}


/*
 * The master makes the temp directories the workers spill to, as nginx
 * does: the workers, running as "user", could not in a root-owned prefix.
 */
static dr_int_t
dr_http_upstream_create_temp_paths(dr_cycle_t *cycle,
    dr_http_upstream_main_conf_t *umcf)
{
    dr_str_t        *p;
    dr_uint_t        i;
    struct stat      st;
    dr_core_conf_t  *ccf;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);
    p = umcf->temp_paths.elts;

    for (i = 0; i < umcf->temp_paths.nelts; i++) {

        if (mkdir((char *) p[i].data, 0700) == -1 && errno != EEXIST) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "mkdir() \"%V\" failed", &p[i]);
            return DR_ERROR;
        }

        if (geteuid() != 0 || ccf->user == (uid_t) DR_CONF_UNSET_UINT) {
            continue;
        }

        if (stat((char *) p[i].data, &st) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "stat() \"%V\" failed", &p[i]);
            return DR_ERROR;
        }

        if (st.st_uid != ccf->user
            && chown((char *) p[i].data, ccf->user, (gid_t) -1) == -1)
        {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "chown(\"%V\", %d) failed", &p[i],
                         (int) ccf->user);
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static dr_int_t
dr_http_upstream_init_module(dr_cycle_t *cycle)
{
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_upstream_module);

    if (umcf == NULL) {
        return DR_OK;
    }

    if (!dr_test_config
        && dr_http_upstream_create_temp_paths(cycle, umcf) != DR_OK)
    {
        return DR_ERROR;
    }

    return dr_upstream_init_module(cycle, &umcf->pools);
}


static dr_int_t
dr_http_upstream_init_process(dr_cycle_t *cycle)
{
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_upstream_module);

    if (umcf == NULL) {
        return DR_OK;
    }

    srandom(((unsigned) dr_pid << 16) ^ (unsigned) dr_time()
            ^ (unsigned) dr_current_msec);

    return dr_upstream_init_process(cycle, &umcf->pools);
}


static void
dr_http_upstream_exit_process(dr_cycle_t *cycle)
{
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_upstream_module);

    if (umcf == NULL) {
        return;
    }

    dr_upstream_exit_process(cycle, &umcf->pools);
}


static void
dr_http_upstream_master_tick(dr_cycle_t *cycle, dr_msec_t *next)
{
    dr_http_upstream_main_conf_t  *umcf;

    umcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_upstream_module);

    if (umcf == NULL) {
        return;
    }

    dr_upstream_master_tick(cycle, &umcf->pools, next);
}
