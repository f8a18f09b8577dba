/*
 * `discover zk://host:port[,host:port...]/path [parameters]` in an
 * upstream{} block: the pool's members come from the children of a znode
 * of the embedded keeper or of any ZooKeeper ensemble, live, with no
 * reload (docs/discovery.md; the runtime is dr_upstream_discover_agent.c).
 *
 * Config time, in the master: the directive is parsed into a source conf
 * (several discover lines may feed one pool, beside its `server` lines),
 * the first one registers the pool's agent task; after http{},
 * postconfiguration checks that every such pool has a `zone` (discovered
 * peers live in shared memory: workers see them with no message) and
 * gives the task its fingerprint: the canonical text of the pool's zone,
 * balancer, servers and discover lines, so that a reload that changes
 * none of them keeps the agent and its ZooKeeper sessions.
 *
 * The agent process runs the task; every process's exit_process lets the
 * agent close its sessions.
 */

#include "dr_http_upstream.h"
#include "dr_upstream_discover.h"


static char *dr_upstream_discover(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_upstream_discover_url(dr_conf_t *cf,
    dr_upstream_discover_source_conf_t *scf, dr_str_t *url);
static char *dr_upstream_discover_hosts(dr_conf_t *cf,
    dr_upstream_discover_source_conf_t *scf, dr_str_t *hosts);
static char *dr_upstream_discover_param(dr_conf_t *cf,
    dr_upstream_discover_source_conf_t *scf, dr_str_t *param);
static dr_array_t *dr_upstream_discover_list(dr_conf_t *cf, dr_str_t *value);
static dr_int_t dr_upstream_discover_postconfiguration(dr_conf_t *cf);
static dr_int_t dr_upstream_discover_fingerprint(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static void dr_upstream_discover_exit_process(dr_cycle_t *cycle);
static int dr_upstream_discover_cmp_str(const void *a, const void *b);


static dr_command_t  dr_upstream_discover_commands[] = {

    { dr_string("discover"),
      DR_HTTP_UPS_CONF|DR_CONF_1MORE,
      dr_upstream_discover,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_upstream_discover_module_ctx = {
    .postconfiguration = dr_upstream_discover_postconfiguration,
};


dr_module_t  dr_upstream_discover_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "upstream_discover",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_upstream_discover_module_ctx,
    .commands = dr_upstream_discover_commands,
    .exit_process = dr_upstream_discover_exit_process,
};


static char *
dr_upstream_discover(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    u_char                              *p;
    char                                *rv;
    size_t                               len;
    dr_str_t                            *value, *name;
    dr_uint_t                            i;
    dr_upstream_conf_t                  *us;
    dr_upstream_discover_conf_t         *dcf;
    dr_upstream_discover_source_conf_t  *scf;

    us = dr_http_conf_upstream_pool(cf);
    value = cf->args->elts;

    dcf = us->discover;

    if (dcf == NULL) {
        dcf = dr_pcalloc(cf->pool, sizeof(dr_upstream_discover_conf_t));
        if (dcf == NULL) {
            return DR_CONF_ERROR;
        }

        if (dr_array_init(&dcf->sources, cf->pool, 1,
                          sizeof(dr_upstream_discover_source_conf_t))
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }

        dcf->us = us;

        if (dr_upstream_agent_add_task(cf, us,
                                       dr_upstream_discover_agent_init, dcf)
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }

        us->discover = dcf;
    }

    scf = dr_array_push(&dcf->sources);
    if (scf == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(scf, sizeof(dr_upstream_discover_source_conf_t));

    scf->file_name = cf->conf_file->file.name.data;
    scf->line = cf->conf_file->line;
    scf->weight = 1;
    scf->max_fails = 1;
    scf->fail_timeout = 10000;
    scf->empty_guard = 5000;
    scf->session_timeout = 10000;

    rv = dr_upstream_discover_url(cf, scf, &value[1]);
    if (rv != DR_CONF_OK) {
        return rv;
    }

    name = &us->name;
    scf->overrides.len = sizeof("/drover/upstreams/") - 1 + name->len;
    scf->overrides.data = dr_pnalloc(cf->pool, scf->overrides.len);
    if (scf->overrides.data == NULL) {
        return DR_CONF_ERROR;
    }

    dr_sprintf(scf->overrides.data, "/drover/upstreams/%V", name);

    if (dr_zk_path_validate(&scf->overrides, 0) != DR_OK) {
        dr_str_null(&scf->overrides);     /* a name no znode can have */
    }

    for (i = 2; i < cf->args->nelts; i++) {
        rv = dr_upstream_discover_param(cf, scf, &value[i]);
        if (rv != DR_CONF_OK) {
            return rv;
        }
    }

    if (scf->empty_guard > dcf->empty_guard) {
        dcf->empty_guard = scf->empty_guard;
    }

    /* the words as written, for the fingerprint */

    len = 0;
    for (i = 1; i < cf->args->nelts; i++) {
        len += value[i].len + 1;
    }

    p = dr_pnalloc(cf->pool, len);
    if (p == NULL) {
        return DR_CONF_ERROR;
    }

    scf->raw.data = p;

    for (i = 1; i < cf->args->nelts; i++) {
        p = dr_cpymem(p, value[i].data, value[i].len);
        *p++ = ' ';
    }

    scf->raw.len = p - scf->raw.data - 1;

    return DR_CONF_OK;
}


/* zk://hosts/path */
static char *
dr_upstream_discover_url(dr_conf_t *cf,
    dr_upstream_discover_source_conf_t *scf, dr_str_t *url)
{
    u_char    *p, *last, *slash;
    dr_str_t   hosts;

    scf->url = *url;

    if (url->len < 5 || dr_strncasecmp(url->data, (u_char *) "zk://", 5) != 0)
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid URL \"%V\" in \"discover\": "
                          "\"zk://host:port[,host:port...]/path\" expected",
                          url);
        return DR_CONF_ERROR;
    }

    p = url->data + 5;
    last = url->data + url->len;

    slash = dr_strlchr(p, last, '/');

    if (slash == NULL || slash == p) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "no %s in \"discover\" URL \"%V\"",
                          slash ? "ZooKeeper host" : "znode path", url);
        return DR_CONF_ERROR;
    }

    scf->path.data = slash;
    scf->path.len = last - slash;

    if (scf->path.len < 2 || dr_zk_path_validate(&scf->path, 0) != DR_OK) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid znode path \"%V\" in \"discover\"",
                          &scf->path);
        return DR_CONF_ERROR;
    }

    hosts.data = p;
    hosts.len = slash - p;

    return dr_upstream_discover_hosts(cf, scf, &hosts);
}


/* checks each host:port and sorts them: "b,a" and "a,b" are one ensemble */
static char *
dr_upstream_discover_hosts(dr_conf_t *cf,
    dr_upstream_discover_source_conf_t *scf, dr_str_t *hosts)
{
    u_char      *p, *last, *comma, *q;
    dr_url_t     u;
    dr_str_t    *h;
    dr_uint_t    i, n;
    dr_array_t  *list;

    list = dr_array_create(cf->pool, 3, sizeof(dr_str_t));
    if (list == NULL) {
        return DR_CONF_ERROR;
    }

    p = hosts->data;
    last = hosts->data + hosts->len;

    for ( /* void */ ; p <= last; p = comma + 1) {
        comma = dr_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        dr_memzero(&u, sizeof(dr_url_t));
        u.url.data = p;
        u.url.len = comma - p;
        u.default_port = 2181;
        u.no_resolve = 1;

        if (u.url.len == 0 || dr_parse_url(cf->pool, &u) != DR_OK
            || u.host.len == 0)
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid ZooKeeper host \"%V\" in "
                              "\"discover\"%s%s", &u.url,
                              u.err ? ": " : "", u.err ? u.err : "");
            return DR_CONF_ERROR;
        }

        h = dr_array_push(list);
        if (h == NULL) {
            return DR_CONF_ERROR;
        }

        *h = u.url;
    }

    n = list->nelts;
    h = list->elts;

    qsort(h, n, sizeof(dr_str_t), dr_upstream_discover_cmp_str);

    scf->hosts.len = 0;
    for (i = 0; i < n; i++) {
        scf->hosts.len += h[i].len + 1;
    }

    q = dr_pnalloc(cf->pool, scf->hosts.len);
    if (q == NULL) {
        return DR_CONF_ERROR;
    }

    scf->hosts.data = q;

    for (i = 0; i < n; i++) {
        if (i) {
            *q++ = ',';
        }
        q = dr_cpymem(q, h[i].data, h[i].len);
    }

    scf->hosts.len = q - scf->hosts.data;

    return DR_CONF_OK;
}


static char *
dr_upstream_discover_param(dr_conf_t *cf,
    dr_upstream_discover_source_conf_t *scf, dr_str_t *param)
{
    u_char     *eq;
    dr_int_t    n;
    dr_str_t    name, v;
    dr_uint_t   is_time;

    if (dr_str_eq_lit(param, "backup")) {
        scf->backup = 1;
        return DR_CONF_OK;
    }

    eq = dr_strlchr(param->data, param->data + param->len, '=');

    if (eq == NULL) {
        goto invalid;
    }

    name.data = param->data;
    name.len = eq - param->data;
    v.data = eq + 1;
    v.len = param->data + param->len - v.data;

    if (dr_str_eq_lit(&name, "auth")) {
        if (dr_strlchr(v.data, v.data + v.len, ':') == NULL) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "\"auth\" of \"discover\" must be "
                              "\"user:password\" (a digest credential)");
            return DR_CONF_ERROR;
        }

        scf->auth = v;
        return DR_CONF_OK;
    }

    if (dr_str_eq_lit(&name, "format")) {
        if (dr_str_eq_lit(&v, "auto")) {
            scf->format = DR_UPSTREAM_DISCOVER_AUTO;
        } else if (dr_str_eq_lit(&v, "data")) {
            scf->format = DR_UPSTREAM_DISCOVER_DATA;
        } else if (dr_str_eq_lit(&v, "dubbo")) {
            scf->format = DR_UPSTREAM_DISCOVER_DUBBO;
        } else {
            goto invalid;
        }
        return DR_CONF_OK;
    }

    if (dr_str_eq_lit(&name, "version")) {
        scf->filter.versions = dr_upstream_discover_list(cf, &v);
        return scf->filter.versions ? DR_CONF_OK : DR_CONF_ERROR;
    }

    if (dr_str_eq_lit(&name, "group")) {
        scf->filter.groups = dr_upstream_discover_list(cf, &v);
        return scf->filter.groups ? DR_CONF_OK : DR_CONF_ERROR;
    }

    if (dr_str_eq_lit(&name, "protocol")) {
        scf->filter.protocols = dr_upstream_discover_list(cf, &v);
        return scf->filter.protocols ? DR_CONF_OK : DR_CONF_ERROR;
    }

    if (dr_str_eq_lit(&name, "tags")) {
        if (v.len == 0) {
            goto invalid;
        }
        scf->filter.tags = dr_upstream_discover_list(cf, &v);
        return scf->filter.tags ? DR_CONF_OK : DR_CONF_ERROR;
    }

    if (dr_str_eq_lit(&name, "overrides")) {
        if (dr_str_eq_lit(&v, "off")) {
            dr_str_null(&scf->overrides);
            return DR_CONF_OK;
        }

        if (v.len < 2 || dr_zk_path_validate(&v, 0) != DR_OK) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "\"overrides\" of \"discover\" must be a "
                              "znode path or \"off\", not \"%V\"", &v);
            return DR_CONF_ERROR;
        }

        scf->overrides = v;
        return DR_CONF_OK;
    }

    if (dr_str_eq_lit(&name, "empty_guard") && dr_str_eq_lit(&v, "off")) {
        scf->empty_guard = 0;
        return DR_CONF_OK;
    }

    is_time = dr_str_eq_lit(&name, "fail_timeout")
              || dr_str_eq_lit(&name, "slow_start")
              || dr_str_eq_lit(&name, "empty_guard")
              || dr_str_eq_lit(&name, "session_timeout");

    if (is_time) {
        n = dr_parse_time(&v, 0);
        if (n == DR_ERROR) {
            goto invalid;
        }

        if (name.data[0] == 'f') {
            scf->fail_timeout = (dr_msec_t) n;
        } else if (name.data[0] == 's' && name.data[1] == 'l') {
            scf->slow_start = (dr_msec_t) n;
        } else if (name.data[0] == 'e') {
            scf->empty_guard = (dr_msec_t) n;
        } else {
            if (n < 1000) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "\"session_timeout\" of \"discover\" "
                                  "must be at least 1s");
                return DR_CONF_ERROR;
            }
            scf->session_timeout = (dr_msec_t) n;
        }

        return DR_CONF_OK;
    }

    if (dr_str_eq_lit(&name, "weight") || dr_str_eq_lit(&name, "max_conns")
        || dr_str_eq_lit(&name, "max_fails"))
    {
        n = dr_atoi(v.data, v.len);
        if (n == DR_ERROR || (name.data[0] == 'w' && n == 0)) {
            goto invalid;
        }

        if (name.data[0] == 'w') {
            scf->weight = n;
        } else if (name.data[4] == 'c') {
            scf->max_conns = (dr_uint_t) n;
        } else {
            scf->max_fails = (dr_uint_t) n;
        }

        return DR_CONF_OK;
    }

invalid:

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid parameter \"%V\" in \"discover\"", param);

    return DR_CONF_ERROR;
}


/* "a,b,c" -> dr_str_t views; "" -> one empty value */
static dr_array_t *
dr_upstream_discover_list(dr_conf_t *cf, dr_str_t *value)
{
    u_char      *p, *last, *comma;
    dr_str_t    *s;
    dr_array_t  *a;

    a = dr_array_create(cf->pool, 2, sizeof(dr_str_t));
    if (a == NULL) {
        return NULL;
    }

    p = value->data;
    last = value->data + value->len;

    do {
        comma = dr_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        s = dr_array_push(a);
        if (s == NULL) {
            return NULL;
        }

        s->data = p;
        s->len = comma - p;

        p = comma + 1;

    } while (p <= last);

    return a;
}


/* every pool that discovers needs a zone; the agent tasks' fingerprints */
static dr_int_t
dr_upstream_discover_postconfiguration(dr_conf_t *cf)
{
    dr_uint_t                            i, j;
    const char                          *param;
    dr_upstream_conf_t                  *us, **usp;
    dr_upstream_discover_conf_t         *dcf;
    dr_http_upstream_main_conf_t        *umcf;
    dr_upstream_discover_source_conf_t  *scf;

    if (dr_http_upstream_module.ctx_index == DR_MODULE_UNSET_INDEX) {
        return DR_OK;           /* built without upstream{}: no pools */
    }

    umcf = dr_http_conf_get_module_main_conf(cf, dr_http_upstream_module);
    if (umcf == NULL) {
        return DR_OK;
    }

    usp = umcf->pools.elts;

    for (i = 0; i < umcf->pools.nelts; i++) {
        us = usp[i];

        dcf = us->discover;

        if (dcf == NULL) {
            continue;
        }

        scf = dcf->sources.elts;

        if (us->shm_zone == NULL) {
            dr_log_error(DR_LOG_EMERG, cf->log, 0,
                         "upstream \"%V\" uses \"discover\" but has no "
                         "\"zone\": discovered peers live in shared memory, "
                         "add e.g. \"zone %V 256k;\" to the upstream in "
                         "%s:%ui", &us->name, &us->name, scf[0].file_name,
                         scf[0].line);
            return DR_ERROR;
        }

        for (j = 0; j < dcf->sources.nelts; j++) {
            param = NULL;

            if (us->balancer && scf[j].slow_start
                && !(us->flags & DR_UPSTREAM_SLOW_START))
            {
                param = "slow_start";

            } else if (us->balancer && scf[j].backup
                       && !(us->flags & DR_UPSTREAM_BACKUP))
            {
                param = "backup";
            }

            if (param) {
                dr_log_error(DR_LOG_EMERG, cf->log, 0,
                             "balancing method \"%s\" does not support "
                             "parameter \"%s\" in %s:%ui", us->balancer,
                             param, scf[j].file_name, scf[j].line);
                return DR_ERROR;
            }
        }

        if (dr_upstream_discover_fingerprint(cf, us) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/*
 * Everything the pool's discovery runs from, in a canonical text: the
 * zone, the balancer, the configured servers (the agent publishes them
 * beside the discovered peers) and the discover lines as written.
 */
static dr_int_t
dr_upstream_discover_fingerprint(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    u_char                       *p, *last;
    size_t                        len;
    dr_uint_t                     i;
    dr_upstream_server_t         *server;
    dr_upstream_discover_conf_t         *dcf;
    dr_upstream_discover_source_conf_t  *scf;

    dcf = us->discover;
    server = us->servers ? us->servers->elts : NULL;
    scf = dcf->sources.elts;

    len = sizeof("zone  \nbalancer \n") + us->shm_zone->shm.name.len
          + DR_INT_T_LEN + 32;

    for (i = 0; us->servers && i < us->servers->nelts; i++) {
        len += sizeof("server  \n") + server[i].name.len + 6 * DR_INT_T_LEN
               + 16;
    }

    for (i = 0; i < dcf->sources.nelts; i++) {
        len += sizeof("discover \n") + scf[i].raw.len;
    }

    p = dr_pnalloc(cf->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    dcf->fingerprint.data = p;
    last = p + len;

    p = dr_slprintf(p, last, "zone %V %uz\nbalancer %s\n",
                    &us->shm_zone->shm.name, us->shm_zone->shm.size,
                    us->balancer ? us->balancer : "round_robin");

    for (i = 0; us->servers && i < us->servers->nelts; i++) {
        p = dr_slprintf(p, last, "server %V %i %ui %ui %M %M %ui %ui\n",
                        &server[i].name, server[i].weight,
                        server[i].max_conns, server[i].max_fails,
                        server[i].fail_timeout, server[i].slow_start,
                        (dr_uint_t) server[i].down,
                        (dr_uint_t) server[i].backup);
    }

    for (i = 0; i < dcf->sources.nelts; i++) {
        p = dr_slprintf(p, last, "discover %V\n", &scf[i].raw);
    }

    dcf->fingerprint.len = p - dcf->fingerprint.data;

    return dr_upstream_agent_fingerprint(us, dcf, &dcf->fingerprint);
}


static void
dr_upstream_discover_exit_process(dr_cycle_t *cycle)
{
    if (dr_process == DR_PROCESS_AGENT || dr_process == DR_PROCESS_SINGLE) {
        dr_upstream_discover_agent_exit(cycle);
    }
}


static int
dr_upstream_discover_cmp_str(const void *a, const void *b)
{
    const dr_str_t  *x = a, *y = b;

    return (int) dr_memn2cmp(x->data, y->data, x->len, y->len);
}
