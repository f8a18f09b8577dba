/*
 * The rewrite module (nginx's ngx_http_rewrite_module.c): rewrite,
 * return, set, if, break, rewrite_log, uninitialized_variable_warn.
 *
 * Each server{} and location{} compiles its directives, in file order,
 * into one array of script codes (src/http/dr_http_script.c); an "if"
 * block compiles its condition and then its own directives into the same
 * array, with a jump over them. The program of the server runs in the
 * SERVER_REWRITE phase, the location's in the REWRITE phase; "rewrite
 * ... last" restarts the location search (at most 10 times), "break"
 * stops the program, "return" answers. Programs are config-lifetime; a
 * run allocates only its value stack in r->pool. Runs in workers.
 */

#include "dr_http.h"


typedef struct {
    dr_array_t  *codes;        /* uintptr_t */

    dr_uint_t    stack_size;

    dr_flag_t    log;
    dr_flag_t    uninitialized_variable_warn;
} dr_http_rewrite_loc_conf_t;


static void *dr_http_rewrite_create_loc_conf(dr_conf_t *cf);
static char *dr_http_rewrite_merge_loc_conf(dr_conf_t *cf,
    void *parent, void *child);
static dr_int_t dr_http_rewrite_init(dr_conf_t *cf);
static char *dr_http_rewrite(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *dr_http_rewrite_return(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_rewrite_break(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_rewrite_if(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_rewrite_if_condition(dr_conf_t *cf,
    dr_http_rewrite_loc_conf_t *lcf);
static char *dr_http_rewrite_variable(dr_conf_t *cf,
    dr_http_rewrite_loc_conf_t *lcf, dr_str_t *value);
static char *dr_http_rewrite_set(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_rewrite_value(dr_conf_t *cf,
    dr_http_rewrite_loc_conf_t *lcf, dr_str_t *value);


static dr_command_t  dr_http_rewrite_commands[] = {

    { dr_string("rewrite"),
      DR_HTTP_SRV_CONF|DR_HTTP_SIF_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                       |DR_CONF_TAKE23,
      dr_http_rewrite,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("return"),
      DR_HTTP_SRV_CONF|DR_HTTP_SIF_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                       |DR_CONF_TAKE12,
      dr_http_rewrite_return,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("break"),
      DR_HTTP_SRV_CONF|DR_HTTP_SIF_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                       |DR_CONF_NOARGS,
      dr_http_rewrite_break,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("if"),
      DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_BLOCK|DR_CONF_1MORE,
      dr_http_rewrite_if,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("set"),
      DR_HTTP_SRV_CONF|DR_HTTP_SIF_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                       |DR_CONF_TAKE2,
      dr_http_rewrite_set,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("rewrite_log"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_SIF_CONF|DR_HTTP_LOC_CONF
                        |DR_HTTP_LIF_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_rewrite_loc_conf_t, log),
      NULL },

    { dr_string("uninitialized_variable_warn"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_SIF_CONF|DR_HTTP_LOC_CONF
                        |DR_HTTP_LIF_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_rewrite_loc_conf_t, uninitialized_variable_warn),
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_rewrite_module_ctx = {
    .postconfiguration = dr_http_rewrite_init,
    .create_loc_conf = dr_http_rewrite_create_loc_conf,
    .merge_loc_conf = dr_http_rewrite_merge_loc_conf,
};


dr_module_t  dr_http_rewrite_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_rewrite",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_rewrite_module_ctx,
    .commands = dr_http_rewrite_commands,
};


static dr_int_t
dr_http_rewrite_handler(dr_http_request_t *r)
{
    dr_int_t                      index;
    dr_http_script_code_pt        code;
    dr_http_script_engine_t      *e;
    dr_http_core_srv_conf_t      *cscf;
    dr_http_core_main_conf_t     *cmcf;
    dr_http_rewrite_loc_conf_t   *rlcf;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);
    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
    index = cmcf->phase_engine.location_rewrite_index;

    if (r->phase_handler == index && r->loc_conf == cscf->ctx->loc_conf) {
        /* skipping location rewrite phase for server null location */
        return DR_DECLINED;
    }

    rlcf = dr_http_get_module_loc_conf(r, dr_http_rewrite_module);

    if (rlcf->codes == NULL) {
        return DR_DECLINED;
    }

    e = dr_pcalloc(r->pool, sizeof(dr_http_script_engine_t));
    if (e == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    e->sp = dr_pcalloc(r->pool,
                       rlcf->stack_size * sizeof(dr_http_variable_value_t));
    if (e->sp == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    e->ip = rlcf->codes->elts;
    e->request = r;
    e->quote = 1;
    e->log = rlcf->log;
    e->status = DR_DECLINED;

    while (*(uintptr_t *) e->ip) {
        code = *(dr_http_script_code_pt *) e->ip;
        code(e);
    }

    return e->status;
}


static dr_int_t
dr_http_rewrite_var(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_http_variable_t          *var;
    dr_http_core_main_conf_t    *cmcf;
    dr_http_rewrite_loc_conf_t  *rlcf;

    rlcf = dr_http_get_module_loc_conf(r, dr_http_rewrite_module);

    if (rlcf->uninitialized_variable_warn == 0) {
        *v = dr_http_variable_null_value;
        return DR_OK;
    }

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    var = cmcf->variables.elts;

    /*
     * the rewrite module sets variables directly in r->variables,
     * and they should be handled by dr_http_get_indexed_variable(),
     * so the handler is called only if the variable is not initialized
     */

    dr_log_error(DR_LOG_WARN, r->connection->log, 0,
                 "using uninitialized \"%V\" variable", &var[data].name);

    *v = dr_http_variable_null_value;

    return DR_OK;
}


static void *
dr_http_rewrite_create_loc_conf(dr_conf_t *cf)
{
    dr_http_rewrite_loc_conf_t  *conf;

    conf = dr_pcalloc(cf->pool, sizeof(dr_http_rewrite_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->stack_size = DR_CONF_UNSET_UINT;
    conf->log = DR_CONF_UNSET;
    conf->uninitialized_variable_warn = DR_CONF_UNSET;

    return conf;
}


static char *
dr_http_rewrite_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_rewrite_loc_conf_t *prev = parent;
    dr_http_rewrite_loc_conf_t *conf = child;

    uintptr_t  *code;

    dr_conf_merge_value(conf->log, prev->log, 0);
    dr_conf_merge_value(conf->uninitialized_variable_warn,
                        prev->uninitialized_variable_warn, 1);
    dr_conf_merge_uint_value(conf->stack_size, prev->stack_size, 10);

    if (conf->codes == NULL) {
        return DR_CONF_OK;
    }

    if (conf->codes == prev->codes) {
        return DR_CONF_OK;
    }

    code = dr_array_push_n(conf->codes, sizeof(uintptr_t));
    if (code == NULL) {
        return DR_CONF_ERROR;
    }

    *code = (uintptr_t) NULL;

    return DR_CONF_OK;
}


static dr_int_t
dr_http_rewrite_init(dr_conf_t *cf)
{
    if (dr_http_add_phase_handler(cf, DR_HTTP_SERVER_REWRITE_PHASE,
                                  dr_http_rewrite_handler)
        != DR_OK)
    {
        return DR_ERROR;
    }

    return dr_http_add_phase_handler(cf, DR_HTTP_REWRITE_PHASE,
                                     dr_http_rewrite_handler);
}


/* rewrite regex replacement [last|break|redirect|permanent] */

static char *
dr_http_rewrite(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_rewrite_loc_conf_t  *lcf = conf;

    u_char                            errstr[DR_MAX_CONF_ERRSTR];
    dr_str_t                         *value;
    dr_uint_t                         last;
    uintptr_t                        *code;
    dr_regex_compile_t                rc;
    dr_http_script_compile_t          sc;
    dr_http_script_regex_code_t      *regex;
    dr_http_script_regex_end_code_t  *regex_end;

    regex = dr_http_script_start_code(cf->pool, &lcf->codes,
                                      sizeof(dr_http_script_regex_code_t));
    if (regex == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(regex, sizeof(dr_http_script_regex_code_t));

    value = cf->args->elts;

    if (value[2].len == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "empty replacement");
        return DR_CONF_ERROR;
    }

    dr_memzero(&rc, sizeof(dr_regex_compile_t));

    rc.pattern = value[1];
    rc.err.len = DR_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    regex->regex = dr_http_regex_compile(cf, &rc);
    if (regex->regex == NULL) {
        return DR_CONF_ERROR;
    }

    regex->code = dr_http_script_regex_start_code;
    regex->uri = 1;
    regex->name = value[1];

    if (value[2].data[value[2].len - 1] == '?') {

        /* the last "?" drops the original arguments */
        value[2].len--;

    } else {
        regex->add_args = 1;
    }

    last = 0;

    if (dr_strncmp(value[2].data, "http://", sizeof("http://") - 1) == 0
        || dr_strncmp(value[2].data, "https://", sizeof("https://") - 1) == 0
        || dr_strncmp(value[2].data, "$scheme", sizeof("$scheme") - 1) == 0)
    {
        regex->status = DR_HTTP_MOVED_TEMPORARILY;
        regex->redirect = 1;
        last = 1;
    }

    if (cf->args->nelts == 4) {
        if (dr_strcmp(value[3].data, "last") == 0) {
            last = 1;

        } else if (dr_strcmp(value[3].data, "break") == 0) {
            regex->break_cycle = 1;
            last = 1;

        } else if (dr_strcmp(value[3].data, "redirect") == 0) {
            regex->status = DR_HTTP_MOVED_TEMPORARILY;
            regex->redirect = 1;
            last = 1;

        } else if (dr_strcmp(value[3].data, "permanent") == 0) {
            regex->status = DR_HTTP_MOVED_PERMANENTLY;
            regex->redirect = 1;
            last = 1;

        } else {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[3]);
            return DR_CONF_ERROR;
        }
    }

    dr_memzero(&sc, sizeof(dr_http_script_compile_t));

    sc.cf = cf;
    sc.source = &value[2];
    sc.lengths = &regex->lengths;
    sc.values = &lcf->codes;
    sc.variables = dr_http_script_variables_count(&value[2]);
    sc.main = regex;
    sc.complete_lengths = 1;
    sc.compile_args = !regex->redirect;

    if (dr_http_script_compile(&sc) != DR_OK) {
        return DR_CONF_ERROR;
    }

    regex = sc.main;

    regex->size = sc.size;
    regex->args = sc.args;

    if (sc.variables == 0 && !sc.dup_capture) {
        regex->lengths = NULL;
    }

    regex_end = dr_http_script_add_code(lcf->codes,
                                      sizeof(dr_http_script_regex_end_code_t),
                                      &regex);
    if (regex_end == NULL) {
        return DR_CONF_ERROR;
    }

    regex_end->code = dr_http_script_regex_end_code;
    regex_end->uri = regex->uri;
    regex_end->args = regex->args;
    regex_end->add_args = regex->add_args;
    regex_end->redirect = regex->redirect;

    if (last) {
        code = dr_http_script_add_code(lcf->codes, sizeof(uintptr_t), &regex);
        if (code == NULL) {
            return DR_CONF_ERROR;
        }

        *code = (uintptr_t) NULL;
    }

    regex->next = (u_char *) lcf->codes->elts + lcf->codes->nelts
                                              - (u_char *) regex;

    return DR_CONF_OK;
}


/* return code [text]; return code URL; return URL */

static char *
dr_http_rewrite_return(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_rewrite_loc_conf_t  *lcf = conf;

    u_char                            *p;
    dr_int_t                           status;
    dr_str_t                          *value, *v;
    dr_http_script_return_code_t      *ret;
    dr_http_compile_complex_value_t    ccv;

    ret = dr_http_script_start_code(cf->pool, &lcf->codes,
                                    sizeof(dr_http_script_return_code_t));
    if (ret == NULL) {
        return DR_CONF_ERROR;
    }

    value = cf->args->elts;

    dr_memzero(ret, sizeof(dr_http_script_return_code_t));

    ret->code = dr_http_script_return_code;

    p = value[1].data;

    status = dr_atoi(p, value[1].len);

    if (status == DR_ERROR) {

        if (cf->args->nelts == 2
            && (dr_strncmp(p, "http://", sizeof("http://") - 1) == 0
                || dr_strncmp(p, "https://", sizeof("https://") - 1) == 0
                || dr_strncmp(p, "$scheme", sizeof("$scheme") - 1) == 0))
        {
            ret->status = DR_HTTP_MOVED_TEMPORARILY;
            v = &value[1];

        } else {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid return code \"%V\"", &value[1]);
            return DR_CONF_ERROR;
        }

    } else {

        if (status > 999) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid return code \"%V\"", &value[1]);
            return DR_CONF_ERROR;
        }

        ret->status = (uintptr_t) status;

        if (cf->args->nelts == 2) {
            return DR_CONF_OK;
        }

        v = &value[2];
    }

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = v;
    ccv.complex_value = &ret->text;

    if (dr_http_compile_complex_value(&ccv) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


static char *
dr_http_rewrite_break(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_rewrite_loc_conf_t *lcf = conf;

    dr_http_script_code_pt  *code;

    code = dr_http_script_start_code(cf->pool, &lcf->codes, sizeof(uintptr_t));
    if (code == NULL) {
        return DR_CONF_ERROR;
    }

    *code = dr_http_script_break_code;

    return DR_CONF_OK;
}


/* if (condition) { ... } */

static char *
dr_http_rewrite_if(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_rewrite_loc_conf_t  *lcf = conf;

    void                         *mconf;
    char                         *rv;
    u_char                       *elts;
    dr_uint_t                     i;
    dr_conf_t                     save;
    dr_http_module_t             *module;
    dr_http_conf_ctx_t           *ctx, *pctx;
    dr_http_core_loc_conf_t      *clcf, *pclcf;
    dr_http_script_if_code_t     *if_code;
    dr_http_rewrite_loc_conf_t   *nlcf;

    ctx = dr_pcalloc(cf->pool, sizeof(dr_http_conf_ctx_t));
    if (ctx == NULL) {
        return DR_CONF_ERROR;
    }

    pctx = cf->ctx;
    ctx->main_conf = pctx->main_conf;
    ctx->srv_conf = pctx->srv_conf;

    ctx->loc_conf = dr_pcalloc(cf->pool,
                               sizeof(void *) * (dr_http_max_module + 1));
    if (ctx->loc_conf == NULL) {
        return DR_CONF_ERROR;
    }

    for (i = 0; cf->cycle->modules[i]; i++) {
        if (cf->cycle->modules[i]->type != DR_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[i]->ctx;

        if (module->create_loc_conf) {

            mconf = module->create_loc_conf(cf);
            if (mconf == NULL) {
                return DR_CONF_ERROR;
            }

            ctx->loc_conf[cf->cycle->modules[i]->ctx_index] = mconf;
        }
    }

    pclcf = pctx->loc_conf[dr_http_core_module.ctx_index];

    clcf = ctx->loc_conf[dr_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;
    clcf->name = pclcf->name;
    clcf->noname = 1;

    if (dr_http_add_location(cf, &pclcf->locations, clcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (dr_http_rewrite_if_condition(cf, lcf) != DR_CONF_OK) {
        return DR_CONF_ERROR;
    }

    if_code = dr_array_push_n(lcf->codes, sizeof(dr_http_script_if_code_t));
    if (if_code == NULL) {
        return DR_CONF_ERROR;
    }

    if_code->code = dr_http_script_if_code;

    elts = lcf->codes->elts;


    /* the inner directives must be compiled to the same code array */

    nlcf = ctx->loc_conf[dr_http_rewrite_module.ctx_index];
    nlcf->codes = lcf->codes;


    save = *cf;
    cf->ctx = ctx;

    if (cf->cmd_type == DR_HTTP_SRV_CONF) {
        if_code->loc_conf = NULL;
        cf->cmd_type = DR_HTTP_SIF_CONF;

    } else {
        if_code->loc_conf = ctx->loc_conf;
        cf->cmd_type = DR_HTTP_LIF_CONF;
    }

    rv = dr_conf_parse(cf, NULL);

    *cf = save;

    if (rv != DR_CONF_OK) {
        return rv;
    }


    if (elts != lcf->codes->elts) {
        if_code = (dr_http_script_if_code_t *)
                   ((u_char *) if_code + ((u_char *) lcf->codes->elts - elts));
    }

    if_code->next = (u_char *) lcf->codes->elts + lcf->codes->nelts
                                                - (u_char *) if_code;

    /* the code array belong to parent block */

    nlcf->codes = NULL;

    return DR_CONF_OK;
}


static char *
dr_http_rewrite_if_condition(dr_conf_t *cf, dr_http_rewrite_loc_conf_t *lcf)
{
    u_char                        *p;
    size_t                         len;
    dr_str_t                      *value;
    dr_uint_t                      cur, last;
    dr_regex_compile_t             rc;
    dr_http_script_code_pt        *code;
    dr_http_script_file_code_t    *fop;
    dr_http_script_regex_code_t   *regex;
    u_char                         errstr[DR_MAX_CONF_ERRSTR];

    value = cf->args->elts;
    last = cf->args->nelts - 1;

    if (value[1].len < 1 || value[1].data[0] != '(') {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid condition \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    if (value[1].len == 1) {
        cur = 2;

    } else {
        cur = 1;
        value[1].len--;
        value[1].data++;
    }

    if (value[last].len < 1 || value[last].data[value[last].len - 1] != ')') {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid condition \"%V\"", &value[last]);
        return DR_CONF_ERROR;
    }

    if (value[last].len == 1) {
        last--;

    } else {
        value[last].len--;
        value[last].data[value[last].len] = '\0';
    }

    if (cur > last) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "empty condition");
        return DR_CONF_ERROR;
    }

    len = value[cur].len;
    p = value[cur].data;

    if (len > 1 && p[0] == '$') {

        if (cur != last && cur + 2 != last) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid condition \"%V\"", &value[cur]);
            return DR_CONF_ERROR;
        }

        if (dr_http_rewrite_variable(cf, lcf, &value[cur]) != DR_CONF_OK) {
            return DR_CONF_ERROR;
        }

        if (cur == last) {
            return DR_CONF_OK;
        }

        cur++;

        len = value[cur].len;
        p = value[cur].data;

        if (len == 1 && p[0] == '=') {

            if (dr_http_rewrite_value(cf, lcf, &value[last]) != DR_CONF_OK) {
                return DR_CONF_ERROR;
            }

            code = dr_http_script_start_code(cf->pool, &lcf->codes,
                                             sizeof(uintptr_t));
            if (code == NULL) {
                return DR_CONF_ERROR;
            }

            *code = dr_http_script_equal_code;

            return DR_CONF_OK;
        }

        if (len == 2 && p[0] == '!' && p[1] == '=') {

            if (dr_http_rewrite_value(cf, lcf, &value[last]) != DR_CONF_OK) {
                return DR_CONF_ERROR;
            }

            code = dr_http_script_start_code(cf->pool, &lcf->codes,
                                             sizeof(uintptr_t));
            if (code == NULL) {
                return DR_CONF_ERROR;
            }

            *code = dr_http_script_not_equal_code;
            return DR_CONF_OK;
        }

        if ((len == 1 && p[0] == '~')
            || (len == 2 && p[0] == '~' && p[1] == '*')
            || (len == 2 && p[0] == '!' && p[1] == '~')
            || (len == 3 && p[0] == '!' && p[1] == '~' && p[2] == '*'))
        {
            regex = dr_http_script_start_code(cf->pool, &lcf->codes,
                                         sizeof(dr_http_script_regex_code_t));
            if (regex == NULL) {
                return DR_CONF_ERROR;
            }

            dr_memzero(regex, sizeof(dr_http_script_regex_code_t));

            dr_memzero(&rc, sizeof(dr_regex_compile_t));

            rc.pattern = value[last];
            rc.options = (p[len - 1] == '*') ? DR_REGEX_CASELESS : 0;
            rc.err.len = DR_MAX_CONF_ERRSTR;
            rc.err.data = errstr;

            regex->regex = dr_http_regex_compile(cf, &rc);
            if (regex->regex == NULL) {
                return DR_CONF_ERROR;
            }

            regex->code = dr_http_script_regex_start_code;
            regex->next = sizeof(dr_http_script_regex_code_t);
            regex->test = 1;
            if (p[0] == '!') {
                regex->negative_test = 1;
            }
            regex->name = value[last];

            return DR_CONF_OK;
        }

        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "unexpected \"%V\" in condition", &value[cur]);
        return DR_CONF_ERROR;

    } else if ((len == 2 && p[0] == '-')
               || (len == 3 && p[0] == '!' && p[1] == '-'))
    {
        if (cur + 1 != last) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid condition \"%V\"", &value[cur]);
            return DR_CONF_ERROR;
        }

        if (dr_http_rewrite_value(cf, lcf, &value[last]) != DR_CONF_OK) {
            return DR_CONF_ERROR;
        }

        fop = dr_http_script_start_code(cf->pool, &lcf->codes,
                                        sizeof(dr_http_script_file_code_t));
        if (fop == NULL) {
            return DR_CONF_ERROR;
        }

        fop->code = dr_http_script_file_code;

        if (p[0] == '-') {
            switch (p[1]) {
            case 'f':
                fop->op = dr_http_script_file_plain;
                return DR_CONF_OK;
            case 'd':
                fop->op = dr_http_script_file_dir;
                return DR_CONF_OK;
            case 'e':
                fop->op = dr_http_script_file_exists;
                return DR_CONF_OK;
            case 'x':
                fop->op = dr_http_script_file_exec;
                return DR_CONF_OK;
            }

        } else {
            switch (p[2]) {
            case 'f':
                fop->op = dr_http_script_file_not_plain;
                return DR_CONF_OK;
            case 'd':
                fop->op = dr_http_script_file_not_dir;
                return DR_CONF_OK;
            case 'e':
                fop->op = dr_http_script_file_not_exists;
                return DR_CONF_OK;
            case 'x':
                fop->op = dr_http_script_file_not_exec;
                return DR_CONF_OK;
            }
        }

        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid condition \"%V\"", &value[cur]);
        return DR_CONF_ERROR;
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid condition \"%V\"", &value[cur]);

    return DR_CONF_ERROR;
}


static char *
dr_http_rewrite_variable(dr_conf_t *cf, dr_http_rewrite_loc_conf_t *lcf,
    dr_str_t *value)
{
    dr_int_t                    index;
    dr_str_t                    name;
    dr_http_script_var_code_t  *var_code;

    name.len = value->len - 1;
    name.data = value->data + 1;

    index = dr_http_get_variable_index(cf, &name);

    if (index == DR_ERROR) {
        return DR_CONF_ERROR;
    }

    var_code = dr_http_script_start_code(cf->pool, &lcf->codes,
                                         sizeof(dr_http_script_var_code_t));
    if (var_code == NULL) {
        return DR_CONF_ERROR;
    }

    var_code->code = dr_http_script_var_code;
    var_code->index = index;

    return DR_CONF_OK;
}


/* set $variable value */

static char *
dr_http_rewrite_set(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_rewrite_loc_conf_t  *lcf = conf;

    dr_int_t                            index;
    dr_str_t                           *value;
    dr_http_variable_t                 *v;
    dr_http_script_var_code_t          *vcode;
    dr_http_script_var_handler_code_t  *vhcode;

    value = cf->args->elts;

    if (value[1].data[0] != '$') {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid variable name \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    value[1].len--;
    value[1].data++;

    v = dr_http_add_variable(cf, &value[1],
                             DR_HTTP_VAR_CHANGEABLE|DR_HTTP_VAR_WEAK);
    if (v == NULL) {
        return DR_CONF_ERROR;
    }

    index = dr_http_get_variable_index(cf, &value[1]);
    if (index == DR_ERROR) {
        return DR_CONF_ERROR;
    }

    if (v->get_handler == NULL) {
        v->get_handler = dr_http_rewrite_var;
        v->data = index;
    }

    if (dr_http_rewrite_value(cf, lcf, &value[2]) != DR_CONF_OK) {
        return DR_CONF_ERROR;
    }

    if (v->set_handler) {
        vhcode = dr_http_script_start_code(cf->pool, &lcf->codes,
                                   sizeof(dr_http_script_var_handler_code_t));
        if (vhcode == NULL) {
            return DR_CONF_ERROR;
        }

        vhcode->code = dr_http_script_var_set_handler_code;
        vhcode->handler = v->set_handler;
        vhcode->data = v->data;

        return DR_CONF_OK;
    }

    vcode = dr_http_script_start_code(cf->pool, &lcf->codes,
                                      sizeof(dr_http_script_var_code_t));
    if (vcode == NULL) {
        return DR_CONF_ERROR;
    }

    vcode->code = dr_http_script_set_var_code;
    vcode->index = (uintptr_t) index;

    return DR_CONF_OK;
}


static char *
dr_http_rewrite_value(dr_conf_t *cf, dr_http_rewrite_loc_conf_t *lcf,
    dr_str_t *value)
{
    dr_int_t                              n;
    dr_http_script_compile_t              sc;
    dr_http_script_value_code_t          *val;
    dr_http_script_complex_value_code_t  *complex;

    n = dr_http_script_variables_count(value);

    if (n == 0) {
        val = dr_http_script_start_code(cf->pool, &lcf->codes,
                                        sizeof(dr_http_script_value_code_t));
        if (val == NULL) {
            return DR_CONF_ERROR;
        }

        n = dr_atoi(value->data, value->len);

        if (n == DR_ERROR) {
            n = 0;
        }

        val->code = dr_http_script_value_code;
        val->value = (uintptr_t) n;
        val->text_len = (uintptr_t) value->len;
        val->text_data = (uintptr_t) value->data;

        return DR_CONF_OK;
    }

    complex = dr_http_script_start_code(cf->pool, &lcf->codes,
                                 sizeof(dr_http_script_complex_value_code_t));
    if (complex == NULL) {
        return DR_CONF_ERROR;
    }

    complex->code = dr_http_script_complex_value_code;
    complex->lengths = NULL;

    dr_memzero(&sc, sizeof(dr_http_script_compile_t));

    sc.cf = cf;
    sc.source = value;
    sc.lengths = &complex->lengths;
    sc.values = &lcf->codes;
    sc.variables = n;
    sc.complete_lengths = 1;

    if (dr_http_script_compile(&sc) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}
