/*
 * Active health checks, configuration (a drover extension in NGINX
 * Plus's syntax):
 *
 *   upstream app {
 *       zone app 64k;
 *       server 10.0.0.1:8080 slow_start=30s;
 *       health_check interval=2s fails=3 passes=2 uri=/health match=ok;
 *   }
 *   match ok { status 200-399; header Content-Type ~ json; body !~ down; }
 *
 * health_check goes in the upstream{} block, not in a location as in
 * NGINX Plus: checks belong to the pool, run once for the whole server in
 * the agent process (not per worker, not per location), and their
 * verdicts land in the pool's zone, which is therefore required. A match
 * block is defined at the http{} level and may be used by several pools.
 *
 * Each pool with a check becomes an agent task (dr_upstream.h) with a
 * fingerprint of everything the check runs from, so a reload that leaves
 * the checks unchanged keeps the running agent. Config time, the master.
 */

#include "dr_upstream_health_check.h"


static void *dr_upstream_hc_create_main_conf(dr_conf_t *cf);
static dr_int_t dr_upstream_hc_postconfiguration(dr_conf_t *cf);
static dr_int_t dr_upstream_hc_fingerprint(dr_conf_t *cf,
    dr_upstream_hc_conf_t *hc, dr_str_t *fp);
static char *dr_upstream_hc(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *dr_upstream_hc_match_block(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_upstream_hc_match_line(dr_conf_t *cf, dr_command_t *dummy,
    void *conf);
static char *dr_upstream_hc_status(dr_conf_t *cf,
    dr_upstream_hc_match_t *m);
static char *dr_upstream_hc_header(dr_conf_t *cf,
    dr_upstream_hc_match_t *m);
static char *dr_upstream_hc_body(dr_conf_t *cf, dr_upstream_hc_match_t *m);
static dr_regex_t *dr_upstream_hc_regex(dr_conf_t *cf, dr_str_t *pattern);


static dr_command_t  dr_upstream_hc_commands[] = {

    { dr_string("health_check"),
      DR_HTTP_UPS_CONF|DR_CONF_NOARGS|DR_CONF_ANY,
      dr_upstream_hc,
      0,
      0,
      NULL },

    { dr_string("match"),
      DR_HTTP_MAIN_CONF|DR_CONF_BLOCK|DR_CONF_TAKE1,
      dr_upstream_hc_match_block,
      DR_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_upstream_hc_module_ctx = {
    .postconfiguration = dr_upstream_hc_postconfiguration,
    .create_main_conf = dr_upstream_hc_create_main_conf,
};


dr_module_t  dr_upstream_health_check_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "upstream_health_check",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_upstream_hc_module_ctx,
    .commands = dr_upstream_hc_commands,
};


static void *
dr_upstream_hc_create_main_conf(dr_conf_t *cf)
{
    dr_upstream_hc_main_conf_t  *hmcf;

    hmcf = dr_pcalloc(cf->pool, sizeof(dr_upstream_hc_main_conf_t));
    if (hmcf == NULL) {
        return NULL;
    }

    if (dr_array_init(&hmcf->matches, cf->pool, 2, sizeof(void *)) != DR_OK
        || dr_array_init(&hmcf->checks, cf->pool, 2, sizeof(void *))
           != DR_OK)
    {
        return NULL;
    }

    return hmcf;
}


/*
 * After http{}: each check finds its match block and its zone, and is
 * given to the agent.
 */
static dr_int_t
dr_upstream_hc_postconfiguration(dr_conf_t *cf)
{
    dr_str_t                     fp;
    dr_uint_t                    i, j;
    dr_upstream_hc_conf_t      **hcp, *hc;
    dr_upstream_hc_match_t     **mp;
    dr_upstream_hc_main_conf_t  *hmcf;

    hmcf = dr_http_conf_get_module_main_conf(cf,
                                             dr_upstream_health_check_module);

    hcp = hmcf->checks.elts;
    mp = hmcf->matches.elts;

    for (i = 0; i < hmcf->checks.nelts; i++) {
        hc = hcp[i];

        if (hc->match_name.len) {
            for (j = 0; j < hmcf->matches.nelts; j++) {
                if (dr_str_eq(&mp[j]->name, &hc->match_name)) {
                    hc->match = mp[j];
                    break;
                }
            }

            if (hc->match == NULL) {
                dr_log_error(DR_LOG_EMERG, cf->log, 0,
                             "health_check: no match block \"%V\" in %s:%ui",
                             &hc->match_name, hc->file_name, hc->line);
                return DR_ERROR;
            }
        }

        if (hc->us->shm_zone == NULL) {
            dr_log_error(DR_LOG_EMERG, cf->log, 0,
                         "health_check requires a \"zone\" in upstream "
                         "\"%V\" in %s:%ui", &hc->us->name, hc->file_name,
                         hc->line);
            return DR_ERROR;
        }

        if (dr_upstream_agent_add_task(cf, hc->us, dr_upstream_hc_start, hc)
            != DR_OK)
        {
            return DR_ERROR;
        }

        if (dr_upstream_hc_fingerprint(cf, hc, &fp) != DR_OK
            || dr_upstream_agent_fingerprint(hc->us, hc, &fp) != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/* all a check runs from, as text: equal text, same check */
static dr_int_t
dr_upstream_hc_fingerprint(dr_conf_t *cf, dr_upstream_hc_conf_t *hc,
    dr_str_t *fp)
{
    u_char                 *p, *last;
    size_t                  len;
    dr_uint_t               i, j;
    dr_upstream_hc_cond_t  *cond;
    dr_upstream_hc_range_t *range;

    len = 256 + hc->uri.len + hc->us->shm_zone->shm.name.len;

    if (hc->match) {
        cond = hc->match->conds.elts;

        for (i = 0; i < hc->match->conds.nelts; i++) {
            len += 64 + cond[i].name.len + cond[i].value.len;

            if (cond[i].ranges) {
                len += cond[i].ranges->nelts * 2 * (DR_INT_T_LEN + 1);
            }
        }
    }

    p = dr_pnalloc(cf->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    fp->data = p;
    last = p + len;

    p = dr_slprintf(p, last, "health_check zone=%V:%uz interval=%M "
                    "timeout=%M fails=%ui passes=%ui port=%d uri=%V",
                    &hc->us->shm_zone->shm.name, hc->us->shm_zone->shm.size,
                    hc->interval, hc->timeout, hc->fails, hc->passes,
                    (int) hc->port, &hc->uri);

    if (hc->match) {
        cond = hc->match->conds.elts;

        for (i = 0; i < hc->match->conds.nelts; i++) {
            p = dr_slprintf(p, last, ";%ui/%ui/%ui/", cond[i].type,
                            cond[i].op, cond[i].negate);

            /* a status condition has no name nor value (NULL data) */

            if (cond[i].name.len) {
                p = dr_slprintf(p, last, "%V", &cond[i].name);
            }

            if (p < last) {
                *p++ = '/';
            }

            if (cond[i].value.len) {
                p = dr_slprintf(p, last, "%V", &cond[i].value);
            }

            if (cond[i].ranges) {
                range = cond[i].ranges->elts;

                for (j = 0; j < cond[i].ranges->nelts; j++) {
                    p = dr_slprintf(p, last, ",%ui-%ui", range[j].low,
                                    range[j].high);
                }
            }
        }
    }

    fp->len = p - fp->data;

    return DR_OK;
}


/* health_check [interval=] [timeout=] [fails=] [passes=] [uri=] [port=]
 * [match=] */
static char *
dr_upstream_hc(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_int_t                     n;
    dr_str_t                    *value, s;
    dr_uint_t                    i;
    dr_upstream_conf_t          *us;
    dr_upstream_hc_conf_t       *hc, **hcp;
    dr_upstream_hc_main_conf_t  *hmcf;

    us = dr_http_conf_upstream_pool(cf);

    if (us->health_check) {
        return "is duplicate";
    }

    hc = dr_pcalloc(cf->pool, sizeof(dr_upstream_hc_conf_t));
    if (hc == NULL) {
        return DR_CONF_ERROR;
    }

    hc->interval = 5000;
    hc->timeout = DR_CONF_UNSET_MSEC;
    hc->fails = 1;
    hc->passes = 1;
    dr_str_set(&hc->uri, "/");
    hc->us = us;
    hc->file_name = cf->conf_file->file.name.data;
    hc->line = cf->conf_file->line;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (dr_strncmp(value[i].data, "interval=", 9) == 0) {
            s.data = value[i].data + 9;
            s.len = value[i].len - 9;

            n = dr_parse_time(&s, 0);
            if (n == DR_ERROR || n == 0) {
                goto invalid;
            }

            hc->interval = (dr_msec_t) n;
            continue;
        }

        if (dr_strncmp(value[i].data, "timeout=", 8) == 0) {
            s.data = value[i].data + 8;
            s.len = value[i].len - 8;

            n = dr_parse_time(&s, 0);
            if (n == DR_ERROR || n == 0) {
                goto invalid;
            }

            hc->timeout = (dr_msec_t) n;
            continue;
        }

        if (dr_strncmp(value[i].data, "fails=", 6) == 0) {
            n = dr_atoi(value[i].data + 6, value[i].len - 6);
            if (n == DR_ERROR || n == 0) {
                goto invalid;
            }

            hc->fails = (dr_uint_t) n;
            continue;
        }

        if (dr_strncmp(value[i].data, "passes=", 7) == 0) {
            n = dr_atoi(value[i].data + 7, value[i].len - 7);
            if (n == DR_ERROR || n == 0) {
                goto invalid;
            }

            hc->passes = (dr_uint_t) n;
            continue;
        }

        if (dr_strncmp(value[i].data, "uri=", 4) == 0) {
            hc->uri.data = value[i].data + 4;
            hc->uri.len = value[i].len - 4;

            if (hc->uri.len == 0 || hc->uri.data[0] != '/') {
                goto invalid;
            }

            for (n = 0; n < (dr_int_t) hc->uri.len; n++) {
                if (hc->uri.data[n] <= ' ' || hc->uri.data[n] == 0x7f) {
                    goto invalid;
                }
            }

            continue;
        }

        if (dr_strncmp(value[i].data, "port=", 5) == 0) {
            n = dr_atoi(value[i].data + 5, value[i].len - 5);
            if (n == DR_ERROR || n < 1 || n > 65535) {
                goto invalid;
            }

            hc->port = (in_port_t) n;
            continue;
        }

        if (dr_strncmp(value[i].data, "match=", 6) == 0) {
            hc->match_name.data = value[i].data + 6;
            hc->match_name.len = value[i].len - 6;

            if (hc->match_name.len == 0) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    /* a probe never outlives its interval */

    if (hc->timeout == DR_CONF_UNSET_MSEC) {
        hc->timeout = hc->interval < 1000 ? hc->interval : 1000;
    }

    if (hc->timeout > hc->interval) {
        hc->timeout = hc->interval;
    }

    hmcf = dr_http_conf_get_module_main_conf(cf,
                                             dr_upstream_health_check_module);

    hcp = dr_array_push(&hmcf->checks);
    if (hcp == NULL) {
        return DR_CONF_ERROR;
    }

    *hcp = hc;
    us->health_check = hc;

    return DR_CONF_OK;

invalid:

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid parameter \"%V\"", &value[i]);

    return DR_CONF_ERROR;
}


/* match name { ... } */
static char *
dr_upstream_hc_match_block(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_upstream_hc_main_conf_t  *hmcf = conf;

    char                     *rv;
    dr_str_t                 *value;
    dr_uint_t                 i;
    dr_conf_t                 save;
    dr_upstream_hc_match_t   *m, **mp;

    value = cf->args->elts;
    mp = hmcf->matches.elts;

    for (i = 0; i < hmcf->matches.nelts; i++) {
        if (dr_str_eq(&mp[i]->name, &value[1])) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "duplicate match \"%V\"", &value[1]);
            return DR_CONF_ERROR;
        }
    }

    m = dr_pcalloc(cf->pool, sizeof(dr_upstream_hc_match_t));
    if (m == NULL) {
        return DR_CONF_ERROR;
    }

    m->name = value[1];
    m->file_name = cf->conf_file->file.name.data;
    m->line = cf->conf_file->line;

    if (dr_array_init(&m->conds, cf->pool, 4, sizeof(dr_upstream_hc_cond_t))
        != DR_OK)
    {
        return DR_CONF_ERROR;
    }

    mp = dr_array_push(&hmcf->matches);
    if (mp == NULL) {
        return DR_CONF_ERROR;
    }

    *mp = m;

    save = *cf;
    cf->handler = dr_upstream_hc_match_line;
    cf->handler_conf = m;

    rv = dr_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


static char *
dr_upstream_hc_match_line(dr_conf_t *cf, dr_command_t *dummy, void *conf)
{
    dr_upstream_hc_match_t  *m = conf;

    dr_str_t  *value;

    value = cf->args->elts;

    if (dr_str_eq_lit(&value[0], "status")) {
        return dr_upstream_hc_status(cf, m);
    }

    if (dr_str_eq_lit(&value[0], "header")) {
        return dr_upstream_hc_header(cf, m);
    }

    if (dr_str_eq_lit(&value[0], "body")) {
        return dr_upstream_hc_body(cf, m);
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "unknown match condition \"%V\"", &value[0]);

    return DR_CONF_ERROR;
}


/* status [!] 200 | 200-399 | 200 204 ... */
static char *
dr_upstream_hc_status(dr_conf_t *cf, dr_upstream_hc_match_t *m)
{
    u_char                  *dash;
    dr_int_t                 low, high;
    dr_str_t                *value;
    dr_uint_t                i;
    dr_upstream_hc_cond_t   *cond;
    dr_upstream_hc_range_t  *range;

    value = cf->args->elts;

    cond = dr_array_push(&m->conds);
    if (cond == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(cond, sizeof(dr_upstream_hc_cond_t));

    cond->type = DR_UPSTREAM_HC_STATUS;

    cond->ranges = dr_array_create(cf->pool, 2,
                                   sizeof(dr_upstream_hc_range_t));
    if (cond->ranges == NULL) {
        return DR_CONF_ERROR;
    }

    i = 1;

    if (cf->args->nelts > 1 && dr_str_eq_lit(&value[1], "!")) {
        cond->negate = 1;
        i++;
    }

    if (i == cf->args->nelts) {
        return "\"status\" needs a code or a range";
    }

    for ( /* void */ ; i < cf->args->nelts; i++) {
        dash = dr_strlchr(value[i].data, value[i].data + value[i].len, '-');

        if (dash) {
            low = dr_atoi(value[i].data, dash - value[i].data);
            high = dr_atoi(dash + 1, value[i].data + value[i].len - dash - 1);

        } else {
            low = dr_atoi(value[i].data, value[i].len);
            high = low;
        }

        if (low < 100 || high > 599 || low > high) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid status \"%V\"", &value[i]);
            return DR_CONF_ERROR;
        }

        range = dr_array_push(cond->ranges);
        if (range == NULL) {
            return DR_CONF_ERROR;
        }

        range->low = (dr_uint_t) low;
        range->high = (dr_uint_t) high;
    }

    m->has_status = 1;

    return DR_CONF_OK;
}


/* header Name | ! Name | Name = v | Name != v | Name ~ re | Name !~ re */
static char *
dr_upstream_hc_header(dr_conf_t *cf, dr_upstream_hc_match_t *m)
{
    dr_str_t               *value;
    dr_upstream_hc_cond_t  *cond;

    value = cf->args->elts;

    cond = dr_array_push(&m->conds);
    if (cond == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(cond, sizeof(dr_upstream_hc_cond_t));

    cond->type = DR_UPSTREAM_HC_HEADER;

    switch (cf->args->nelts) {

    case 2:
        cond->op = DR_UPSTREAM_HC_OP_EXISTS;
        cond->name = value[1];
        break;

    case 3:
        if (!dr_str_eq_lit(&value[1], "!")) {
            return "invalid \"header\" condition";
        }

        cond->op = DR_UPSTREAM_HC_OP_ABSENT;
        cond->name = value[2];
        break;

    case 4:
        cond->name = value[1];
        cond->value = value[3];

        if (dr_str_eq_lit(&value[2], "=")) {
            cond->op = DR_UPSTREAM_HC_OP_EQUAL;

        } else if (dr_str_eq_lit(&value[2], "!=")) {
            cond->op = DR_UPSTREAM_HC_OP_NOTEQUAL;

        } else if (dr_str_eq_lit(&value[2], "~")
                   || dr_str_eq_lit(&value[2], "!~"))
        {
            cond->op = value[2].data[0] == '~' ? DR_UPSTREAM_HC_OP_MATCH
                                               : DR_UPSTREAM_HC_OP_NOMATCH;

            cond->regex = dr_upstream_hc_regex(cf, &value[3]);
            if (cond->regex == NULL) {
                return DR_CONF_ERROR;
            }

        } else {
            return "invalid \"header\" operator";
        }

        break;

    default:
        return "invalid number of arguments in \"header\" condition";
    }

    if (cond->name.len == 0) {
        return "invalid \"header\" name";
    }

    return DR_CONF_OK;
}


/* body ~ re | body !~ re */
static char *
dr_upstream_hc_body(dr_conf_t *cf, dr_upstream_hc_match_t *m)
{
    dr_str_t               *value;
    dr_upstream_hc_cond_t  *cond;

    value = cf->args->elts;

    if (cf->args->nelts != 3
        || !(dr_str_eq_lit(&value[1], "~") || dr_str_eq_lit(&value[1], "!~")))
    {
        return "invalid \"body\" condition";
    }

    cond = dr_array_push(&m->conds);
    if (cond == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(cond, sizeof(dr_upstream_hc_cond_t));

    cond->type = DR_UPSTREAM_HC_BODY;
    cond->op = value[1].data[0] == '~' ? DR_UPSTREAM_HC_OP_MATCH
                                       : DR_UPSTREAM_HC_OP_NOMATCH;
    cond->value = value[2];

    cond->regex = dr_upstream_hc_regex(cf, &value[2]);
    if (cond->regex == NULL) {
        return DR_CONF_ERROR;
    }

    m->has_body = 1;

    return DR_CONF_OK;
}


static dr_regex_t *
dr_upstream_hc_regex(dr_conf_t *cf, dr_str_t *pattern)
{
    u_char              errstr[DR_MAX_CONF_ERRSTR];
    dr_regex_compile_t  rc;

    dr_memzero(&rc, sizeof(dr_regex_compile_t));

    rc.pattern = *pattern;
    rc.pool = cf->pool;
    rc.err.len = DR_MAX_CONF_ERRSTR;
    rc.err.data = errstr;

    if (dr_regex_compile(&rc) != DR_OK) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "%V", &rc.err);
        return NULL;
    }

    return rc.regex;
}
