/*
 * The http{} block: building the configuration a worker runs (nginx's
 * ngx_http.c).
 *
 * Parsing http{} creates one conf struct per module per level (http,
 * each server, each location), then merges them downwards, then freezes
 * the lookup structures the request path uses:
 *   - per server and per location, the locations: a balanced tree of the
 *     static (prefix and "=") names, where the names a node is a prefix of
 *     hang below it, so a lookup is O(log n + depth of nesting); regex
 *     locations in file order; named locations in a sorted array;
 *   - per listening address:port, the server names: one combined hash
 *     (exact, "*.x" / ".x", "x.*") and the ~regex names in file order;
 *   - the phase engine: one flat array of handlers with precomputed jumps;
 *   - the listening sockets: one per address:port, or one wildcard socket
 *     for all the addresses of a port that did not ask for "bind".
 * Everything here runs in the master at config time and lives in the
 * cycle's pool; only dr_http_find_static_location() runs in workers.
 */

#include "dr_http.h"


static char *dr_http_block(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static dr_int_t dr_http_init_phases(dr_conf_t *cf,
    dr_http_core_main_conf_t *cmcf);
static dr_int_t dr_http_init_headers_in_hash(dr_conf_t *cf,
    dr_http_core_main_conf_t *cmcf);
static dr_int_t dr_http_init_phase_handlers(dr_conf_t *cf,
    dr_http_core_main_conf_t *cmcf);

static char *dr_http_merge_servers(dr_conf_t *cf,
    dr_http_core_main_conf_t *cmcf, dr_http_module_t *module,
    dr_uint_t ctx_index);
static char *dr_http_merge_locations(dr_conf_t *cf, dr_queue_t *locations,
    void **loc_conf, dr_http_module_t *module, dr_uint_t ctx_index);
static dr_int_t dr_http_cmp_locations(const dr_queue_t *one,
    const dr_queue_t *two);
static dr_int_t dr_http_join_exact_locations(dr_conf_t *cf,
    dr_queue_t *locations);
static void dr_http_create_locations_list(dr_queue_t *locations,
    dr_queue_t *q);
static dr_http_location_tree_node_t *
    dr_http_create_locations_tree(dr_conf_t *cf, dr_queue_t *locations,
    size_t prefix);
static dr_int_t dr_http_name_cmp(u_char *s1, size_t n1, u_char *s2,
    size_t n2);
static void dr_http_queue_sort(dr_queue_t *queue,
    dr_int_t (*cmp)(const dr_queue_t *, const dr_queue_t *));
static void dr_http_queue_cut(dr_queue_t *queue, dr_queue_t *q);
static void dr_http_queue_move(dr_queue_t *first, dr_queue_t *last,
    dr_queue_t *to);
static dr_queue_t *dr_http_queue_middle(dr_queue_t *queue);

static dr_int_t dr_http_add_addresses(dr_conf_t *cf,
    dr_http_core_srv_conf_t *cscf, dr_http_conf_port_t *port,
    dr_http_listen_opt_t *lsopt);
static dr_int_t dr_http_add_address(dr_conf_t *cf,
    dr_http_core_srv_conf_t *cscf, dr_http_conf_port_t *port,
    dr_http_listen_opt_t *lsopt);
static dr_int_t dr_http_add_server(dr_conf_t *cf,
    dr_http_core_srv_conf_t *cscf, dr_http_conf_addr_t *addr);
static dr_int_t dr_http_optimize_servers(dr_conf_t *cf,
    dr_http_core_main_conf_t *cmcf, dr_array_t *ports);
static dr_int_t dr_http_server_names(dr_conf_t *cf,
    dr_http_core_main_conf_t *cmcf, dr_http_conf_addr_t *addr);
static int dr_http_cmp_conf_addrs(const void *one, const void *two);
static dr_int_t dr_http_init_listening(dr_conf_t *cf,
    dr_http_conf_port_t *port);
static dr_listening_t *dr_http_add_listening(dr_conf_t *cf,
    dr_http_conf_addr_t *addr);
static dr_int_t dr_http_add_addrs(dr_conf_t *cf, dr_http_port_t *hport,
    dr_http_conf_addr_t *addr);


dr_uint_t   dr_http_max_module;


dr_http_output_header_filter_pt  dr_http_top_header_filter;
dr_http_output_body_filter_pt    dr_http_top_body_filter;
dr_http_request_body_filter_pt   dr_http_top_request_body_filter;


dr_str_t  dr_http_html_default_types[] = {
    dr_string("text/html"),
    dr_null_string
};


static dr_command_t  dr_http_commands[] = {

    { dr_string("http"),
      DR_MAIN_CONF|DR_CONF_BLOCK|DR_CONF_NOARGS,
      dr_http_block,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_core_module_t  dr_http_module_ctx = {
    .name = dr_string("http"),
    .create_conf = NULL,
    .init_conf = NULL,
};


dr_module_t  dr_http_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http",
    .type = DR_CORE_MODULE,
    .ctx = &dr_http_module_ctx,
    .commands = dr_http_commands,
};


static char *
dr_http_block(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char                        *rv;
    dr_uint_t                    mi, m, s;
    dr_conf_t                    pcf;
    dr_http_module_t            *module;
    dr_http_conf_ctx_t          *ctx;
    dr_http_core_loc_conf_t     *clcf;
    dr_http_core_srv_conf_t    **cscfp;
    dr_http_core_main_conf_t    *cmcf;

    if (*(dr_http_conf_ctx_t **) conf) {
        return "is duplicate";
    }

    /* the main http context */

    ctx = dr_pcalloc(cf->pool, sizeof(dr_http_conf_ctx_t));
    if (ctx == NULL) {
        return DR_CONF_ERROR;
    }

    *(dr_http_conf_ctx_t **) conf = ctx;

    /* count the number of the http modules and set up their indices */

    dr_http_max_module = dr_count_modules(cf->cycle, DR_HTTP_MODULE);

    /* the http main_conf, srv_conf and loc_conf contexts */

    ctx->main_conf = dr_pcalloc(cf->pool,
                                sizeof(void *) * (dr_http_max_module + 1));
    ctx->srv_conf = dr_pcalloc(cf->pool,
                               sizeof(void *) * (dr_http_max_module + 1));
    ctx->loc_conf = dr_pcalloc(cf->pool,
                               sizeof(void *) * (dr_http_max_module + 1));

    if (ctx->main_conf == NULL || ctx->srv_conf == NULL
        || ctx->loc_conf == NULL)
    {
        return DR_CONF_ERROR;
    }

    /*
     * create the main_conf's, the null srv_conf's, and the null loc_conf's
     * of the all http modules
     */

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != DR_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;
        mi = cf->cycle->modules[m]->ctx_index;

        if (module->create_main_conf) {
            ctx->main_conf[mi] = module->create_main_conf(cf);
            if (ctx->main_conf[mi] == NULL) {
                return DR_CONF_ERROR;
            }
        }

        if (module->create_srv_conf) {
            ctx->srv_conf[mi] = module->create_srv_conf(cf);
            if (ctx->srv_conf[mi] == NULL) {
                return DR_CONF_ERROR;
            }
        }

        if (module->create_loc_conf) {
            ctx->loc_conf[mi] = module->create_loc_conf(cf);
            if (ctx->loc_conf[mi] == NULL) {
                return DR_CONF_ERROR;
            }
        }
    }

    pcf = *cf;
    cf->ctx = ctx;

    /* the filter chains start empty at every configuration */

    dr_http_top_header_filter = NULL;
    dr_http_top_body_filter = NULL;
    dr_http_top_request_body_filter = NULL;

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != DR_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;

        if (module->preconfiguration) {
            if (module->preconfiguration(cf) != DR_OK) {
                return DR_CONF_ERROR;
            }
        }
    }

    /* parse inside the http{} block */

    cf->module_type = DR_HTTP_MODULE;
    cf->cmd_type = DR_HTTP_MAIN_CONF;
    rv = dr_conf_parse(cf, NULL);

    if (rv != DR_CONF_OK) {
        goto failed;
    }

    /*
     * init http{} main_conf's, merge the server{}s' srv_conf's
     * and its location{}s' loc_conf's
     */

    cmcf = ctx->main_conf[dr_http_core_module.ctx_index];
    cscfp = cmcf->servers.elts;

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != DR_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;
        mi = cf->cycle->modules[m]->ctx_index;

        /* init http{} main_conf's */

        if (module->init_main_conf) {
            rv = module->init_main_conf(cf, ctx->main_conf[mi]);
            if (rv != DR_CONF_OK) {
                goto failed;
            }
        }

        rv = dr_http_merge_servers(cf, cmcf, module, mi);
        if (rv != DR_CONF_OK) {
            goto failed;
        }
    }

    /* create location trees */

    for (s = 0; s < cmcf->servers.nelts; s++) {

        clcf = cscfp[s]->ctx->loc_conf[dr_http_core_module.ctx_index];

        if (dr_http_init_locations(cf, cscfp[s], clcf) != DR_OK) {
            return DR_CONF_ERROR;
        }

        if (dr_http_init_static_location_trees(cf, clcf) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    if (dr_http_init_phases(cf, cmcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (dr_http_init_headers_in_hash(cf, cmcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    for (m = 0; cf->cycle->modules[m]; m++) {
        if (cf->cycle->modules[m]->type != DR_HTTP_MODULE) {
            continue;
        }

        module = cf->cycle->modules[m]->ctx;

        if (module->postconfiguration) {
            if (module->postconfiguration(cf) != DR_OK) {
                return DR_CONF_ERROR;
            }
        }
    }

    if (dr_http_variables_init_vars(cf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    /*
     * http{}'s cf->ctx was needed while the configuration merging
     * and in postconfiguration process
     */

    *cf = pcf;

    if (dr_http_init_phase_handlers(cf, cmcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    /* optimize the lists of ports, addresses and server names */

    if (dr_http_optimize_servers(cf, cmcf, cmcf->ports) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;

failed:

    *cf = pcf;

    return rv;
}


static dr_int_t
dr_http_init_phases(dr_conf_t *cf, dr_http_core_main_conf_t *cmcf)
{
    dr_uint_t  i;

    for (i = 0; i <= DR_HTTP_LOG_PHASE; i++) {

        if (i == DR_HTTP_FIND_CONFIG_PHASE
            || i == DR_HTTP_POST_REWRITE_PHASE
            || i == DR_HTTP_POST_ACCESS_PHASE)
        {
            continue;
        }

        if (dr_array_init(&cmcf->phases[i].handlers, cf->pool,
                          (i == DR_HTTP_CONTENT_PHASE
                           || i == DR_HTTP_ACCESS_PHASE) ? 4 : 2,
                          sizeof(dr_http_handler_pt))
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_http_add_phase_handler(dr_conf_t *cf, dr_uint_t phase,
    dr_http_handler_pt h)
{
    dr_http_handler_pt        *hp;
    dr_http_core_main_conf_t  *cmcf;

    if (phase > DR_HTTP_LOG_PHASE
        || phase == DR_HTTP_FIND_CONFIG_PHASE
        || phase == DR_HTTP_POST_REWRITE_PHASE
        || phase == DR_HTTP_POST_ACCESS_PHASE)
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "no handlers may be added to http phase %ui",
                          phase);
        return DR_ERROR;
    }

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    hp = dr_array_push(&cmcf->phases[phase].handlers);
    if (hp == NULL) {
        return DR_ERROR;
    }

    *hp = h;

    return DR_OK;
}


static dr_int_t
dr_http_init_headers_in_hash(dr_conf_t *cf, dr_http_core_main_conf_t *cmcf)
{
    dr_array_t         headers_in;
    dr_hash_key_t     *hk;
    dr_hash_init_t     hash;
    dr_http_header_t  *header;

    if (dr_array_init(&headers_in, cf->temp_pool, 32, sizeof(dr_hash_key_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    for (header = dr_http_headers_in; header->name.len; header++) {
        hk = dr_array_push(&headers_in);
        if (hk == NULL) {
            return DR_ERROR;
        }

        hk->key = header->name;
        hk->key_hash = dr_hash_key_lc(header->name.data, header->name.len);
        hk->value = header;
    }

    hash.hash = &cmcf->headers_in_hash;
    hash.max_size = 512;
    hash.bucket_size = 64;
    hash.name = "headers_in_hash";
    hash.pool = cf->pool;
    hash.temp_pool = NULL;

    if (dr_hash_init(&hash, headers_in.elts, headers_in.nelts) != DR_OK) {
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * Lays the phases out as one array. Each entry's <next> is where the
 * engine jumps when the phase is done; the rewrite phases jump back to
 * find config (location rewrite) after a URI change; the access phase's
 * entries jump over the rest of the access handlers.
 */
static dr_int_t
dr_http_init_phase_handlers(dr_conf_t *cf, dr_http_core_main_conf_t *cmcf)
{
    dr_int_t                   j;
    dr_uint_t                  i, n;
    dr_uint_t                  find_config_index, use_rewrite, use_access;
    dr_http_handler_pt        *h;
    dr_http_phase_handler_t   *ph;
    dr_http_phase_handler_pt   checker;

    cmcf->phase_engine.server_rewrite_index = (dr_uint_t) -1;
    cmcf->phase_engine.location_rewrite_index = (dr_uint_t) -1;
    find_config_index = 0;
    use_rewrite = cmcf->phases[DR_HTTP_REWRITE_PHASE].handlers.nelts ? 1 : 0;
    use_access = cmcf->phases[DR_HTTP_ACCESS_PHASE].handlers.nelts ? 1 : 0;

    n = 1                  /* find config phase */
        + use_rewrite      /* post rewrite phase */
        + use_access;      /* post access phase */

    for (i = 0; i < DR_HTTP_LOG_PHASE; i++) {
        n += cmcf->phases[i].handlers.nelts;
    }

    ph = dr_pcalloc(cf->pool,
                    n * sizeof(dr_http_phase_handler_t) + sizeof(void *));
    if (ph == NULL) {
        return DR_ERROR;
    }

    cmcf->phase_engine.handlers = ph;
    n = 0;

    for (i = 0; i < DR_HTTP_LOG_PHASE; i++) {
        h = cmcf->phases[i].handlers.elts;

        switch (i) {

        case DR_HTTP_SERVER_REWRITE_PHASE:
            if (cmcf->phase_engine.server_rewrite_index == (dr_uint_t) -1) {
                cmcf->phase_engine.server_rewrite_index = n;
            }
            checker = dr_http_core_rewrite_phase;

            break;

        case DR_HTTP_FIND_CONFIG_PHASE:
            find_config_index = n;

            ph->checker = dr_http_core_find_config_phase;
            n++;
            ph++;

            continue;

        case DR_HTTP_REWRITE_PHASE:
            if (cmcf->phase_engine.location_rewrite_index == (dr_uint_t) -1) {
                cmcf->phase_engine.location_rewrite_index = n;
            }
            checker = dr_http_core_rewrite_phase;

            break;

        case DR_HTTP_POST_REWRITE_PHASE:
            if (use_rewrite) {
                ph->checker = dr_http_core_post_rewrite_phase;
                ph->next = find_config_index;
                n++;
                ph++;
            }

            continue;

        case DR_HTTP_ACCESS_PHASE:
            checker = dr_http_core_access_phase;
            n++;
            break;

        case DR_HTTP_POST_ACCESS_PHASE:
            if (use_access) {
                ph->checker = dr_http_core_post_access_phase;
                ph->next = n;
                ph++;
            }

            continue;

        case DR_HTTP_CONTENT_PHASE:
            checker = dr_http_core_content_phase;
            break;

        default:
            checker = dr_http_core_generic_phase;
        }

        n += cmcf->phases[i].handlers.nelts;

        for (j = cmcf->phases[i].handlers.nelts - 1; j >= 0; j--) {
            ph->checker = checker;
            ph->handler = h[j];
            ph->next = n;
            ph++;
        }
    }

    return DR_OK;
}


static char *
dr_http_merge_servers(dr_conf_t *cf, dr_http_core_main_conf_t *cmcf,
    dr_http_module_t *module, dr_uint_t ctx_index)
{
    char                        *rv;
    dr_uint_t                    s;
    dr_http_conf_ctx_t          *ctx, saved;
    dr_http_core_loc_conf_t     *clcf;
    dr_http_core_srv_conf_t    **cscfp;

    cscfp = cmcf->servers.elts;
    ctx = (dr_http_conf_ctx_t *) cf->ctx;
    saved = *ctx;
    rv = DR_CONF_OK;

    for (s = 0; s < cmcf->servers.nelts; s++) {

        /* merge the server{}s' srv_conf's */

        ctx->srv_conf = cscfp[s]->ctx->srv_conf;

        if (module->merge_srv_conf) {
            rv = module->merge_srv_conf(cf, saved.srv_conf[ctx_index],
                                        cscfp[s]->ctx->srv_conf[ctx_index]);
            if (rv != DR_CONF_OK) {
                goto failed;
            }
        }

        if (module->merge_loc_conf) {

            /* merge the server{}'s loc_conf */

            ctx->loc_conf = cscfp[s]->ctx->loc_conf;

            rv = module->merge_loc_conf(cf, saved.loc_conf[ctx_index],
                                        cscfp[s]->ctx->loc_conf[ctx_index]);
            if (rv != DR_CONF_OK) {
                goto failed;
            }

            /* merge the locations{}' loc_conf's */

            clcf = cscfp[s]->ctx->loc_conf[dr_http_core_module.ctx_index];

            rv = dr_http_merge_locations(cf, clcf->locations,
                                         cscfp[s]->ctx->loc_conf,
                                         module, ctx_index);
            if (rv != DR_CONF_OK) {
                goto failed;
            }
        }
    }

failed:

    *ctx = saved;

    return rv;
}


static char *
dr_http_merge_locations(dr_conf_t *cf, dr_queue_t *locations,
    void **loc_conf, dr_http_module_t *module, dr_uint_t ctx_index)
{
    char                       *rv;
    dr_queue_t                 *q;
    dr_http_conf_ctx_t         *ctx, saved;
    dr_http_core_loc_conf_t    *clcf;
    dr_http_location_queue_t   *lq;

    if (locations == NULL) {
        return DR_CONF_OK;
    }

    ctx = (dr_http_conf_ctx_t *) cf->ctx;
    saved = *ctx;

    for (q = dr_queue_head(locations);
         q != dr_queue_sentinel(locations);
         q = dr_queue_next(q))
    {
        lq = (dr_http_location_queue_t *) q;

        clcf = lq->exact ? lq->exact : lq->inclusive;
        ctx->loc_conf = clcf->loc_conf;

        rv = module->merge_loc_conf(cf, loc_conf[ctx_index],
                                    clcf->loc_conf[ctx_index]);
        if (rv != DR_CONF_OK) {
            return rv;
        }

        rv = dr_http_merge_locations(cf, clcf->locations, clcf->loc_conf,
                                     module, ctx_index);
        if (rv != DR_CONF_OK) {
            return rv;
        }
    }

    *ctx = saved;

    return DR_CONF_OK;
}


/*
 * Sorts a level's queue (static names, then regexes in file order, then
 * named, then nameless "if" blocks), recurses into each location, and
 * moves the regex and named ones out of the queue into their arrays;
 * nameless ones leave it (their owner keeps them).
 */
dr_int_t
dr_http_init_locations(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_core_loc_conf_t *pclcf)
{
    dr_uint_t                   n, r;
    dr_queue_t                 *q, *locations, *named, *regex, *noname;
    dr_http_core_loc_conf_t    *clcf;
    dr_http_location_queue_t   *lq;
    dr_http_core_loc_conf_t   **clcfp;

    locations = pclcf->locations;

    if (locations == NULL) {
        return DR_OK;
    }

    dr_http_queue_sort(locations, dr_http_cmp_locations);

    named = NULL;
    regex = NULL;
    noname = NULL;
    n = 0;
    r = 0;

    for (q = dr_queue_head(locations);
         q != dr_queue_sentinel(locations);
         q = dr_queue_next(q))
    {
        lq = (dr_http_location_queue_t *) q;

        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (dr_http_init_locations(cf, NULL, clcf) != DR_OK) {
            return DR_ERROR;
        }

        if (clcf->regex) {
            r++;

            if (regex == NULL) {
                regex = q;
            }

            continue;
        }

        if (clcf->named) {
            n++;

            if (named == NULL) {
                named = q;
            }

            continue;
        }

        if (clcf->noname) {
            noname = q;
            break;
        }
    }

    /* the sort put them last: noname, before it named, before it regex */

    if (noname) {
        dr_http_queue_cut(locations, noname);
    }

    if (named) {
        if (cscf == NULL) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "named location can be on server level only");
            return DR_ERROR;
        }

        clcfp = dr_palloc(cf->pool,
                          (n + 1) * sizeof(dr_http_core_loc_conf_t *));
        if (clcfp == NULL) {
            return DR_ERROR;
        }

        cscf->named_locations = clcfp;

        for (q = named;
             q != dr_queue_sentinel(locations);
             q = dr_queue_next(q))
        {
            lq = (dr_http_location_queue_t *) q;

            *(clcfp++) = lq->exact;
        }

        *clcfp = NULL;

        dr_http_queue_cut(locations, named);
    }

    if (regex) {
        clcfp = dr_palloc(cf->pool,
                          (r + 1) * sizeof(dr_http_core_loc_conf_t *));
        if (clcfp == NULL) {
            return DR_ERROR;
        }

        pclcf->regex_locations = clcfp;

        for (q = regex;
             q != dr_queue_sentinel(locations);
             q = dr_queue_next(q))
        {
            lq = (dr_http_location_queue_t *) q;

            *(clcfp++) = lq->exact;
        }

        *clcfp = NULL;

        dr_http_queue_cut(locations, regex);
    }

    return DR_OK;
}


/* removes <q> and everything after it from <queue> */
static void
dr_http_queue_cut(dr_queue_t *queue, dr_queue_t *q)
{
    queue->prev = q->prev;
    q->prev->next = queue;
}


/* moves [first, last] of a queue to the empty queue <to> */
static void
dr_http_queue_move(dr_queue_t *first, dr_queue_t *last, dr_queue_t *to)
{
    first->prev->next = last->next;
    last->next->prev = first->prev;

    to->next = first;
    to->prev = last;
    first->prev = to;
    last->next = to;
}


dr_int_t
dr_http_init_static_location_trees(dr_conf_t *cf,
    dr_http_core_loc_conf_t *pclcf)
{
    dr_queue_t                *q, *locations;
    dr_http_core_loc_conf_t   *clcf;
    dr_http_location_queue_t  *lq;

    locations = pclcf->locations;

    if (locations == NULL) {
        return DR_OK;
    }

    if (dr_queue_empty(locations)) {
        return DR_OK;
    }

    for (q = dr_queue_head(locations);
         q != dr_queue_sentinel(locations);
         q = dr_queue_next(q))
    {
        lq = (dr_http_location_queue_t *) q;

        clcf = lq->exact ? lq->exact : lq->inclusive;

        if (dr_http_init_static_location_trees(cf, clcf) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (dr_http_join_exact_locations(cf, locations) != DR_OK) {
        return DR_ERROR;
    }

    dr_http_create_locations_list(locations, dr_queue_head(locations));

    pclcf->static_locations = dr_http_create_locations_tree(cf, locations, 0);
    if (pclcf->static_locations == NULL) {
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_http_add_location(dr_conf_t *cf, dr_queue_t **locations,
    dr_http_core_loc_conf_t *clcf)
{
    dr_http_location_queue_t  *lq;

    if (*locations == NULL) {
        *locations = dr_palloc(cf->temp_pool,
                               sizeof(dr_http_location_queue_t));
        if (*locations == NULL) {
            return DR_ERROR;
        }

        dr_queue_init(*locations);
    }

    lq = dr_palloc(cf->temp_pool, sizeof(dr_http_location_queue_t));
    if (lq == NULL) {
        return DR_ERROR;
    }

    if (clcf->exact_match || clcf->regex || clcf->named || clcf->noname) {
        lq->exact = clcf;
        lq->inclusive = NULL;

    } else {
        lq->exact = NULL;
        lq->inclusive = clcf;
    }

    lq->name = &clcf->name;
    lq->file_name = cf->conf_file ? cf->conf_file->file.name.data : NULL;
    lq->line = cf->conf_file ? cf->conf_file->line : 0;

    dr_queue_init(&lq->list);

    dr_queue_insert_tail(*locations, &lq->queue);

    return DR_OK;
}


/*
 * Location names compare as file names with '/' the lowest byte (nginx's
 * ngx_filename_cmp), a name before any longer one it is a prefix of.
 */
static dr_int_t
dr_http_name_cmp(u_char *s1, size_t n1, u_char *s2, size_t n2)
{
    size_t     i, n;
    dr_uint_t  c1, c2;

    n = dr_min(n1, n2);

    for (i = 0; i < n; i++) {
        c1 = s1[i];
        c2 = s2[i];

        if (c1 == c2) {
            continue;
        }

        c1 = (c1 == '/') ? 0 : c1;
        c2 = (c2 == '/') ? 0 : c2;

        return (dr_int_t) c1 - (dr_int_t) c2;
    }

    if (n1 == n2) {
        return 0;
    }

    return (n1 < n2) ? -1 : 1;
}


static dr_int_t
dr_http_cmp_locations(const dr_queue_t *one, const dr_queue_t *two)
{
    dr_int_t                   rc;
    dr_http_core_loc_conf_t   *first, *second;
    dr_http_location_queue_t  *lq1, *lq2;

    lq1 = (dr_http_location_queue_t *) one;
    lq2 = (dr_http_location_queue_t *) two;

    first = lq1->exact ? lq1->exact : lq1->inclusive;
    second = lq2->exact ? lq2->exact : lq2->inclusive;

    if (first->noname && !second->noname) {
        /* shift no named locations to the end */
        return 1;
    }

    if (!first->noname && second->noname) {
        return -1;
    }

    if (first->noname || second->noname) {
        /* do not sort no named locations */
        return 0;
    }

    if (first->named && !second->named) {
        /* shift named locations to the end */
        return 1;
    }

    if (!first->named && second->named) {
        return -1;
    }

    if (first->named && second->named) {
        return dr_http_name_cmp(first->name.data, first->name.len,
                                second->name.data, second->name.len);
    }

    if (first->regex && !second->regex) {
        /* shift the regex matches to the end */
        return 1;
    }

    if (!first->regex && second->regex) {
        return -1;
    }

    if (first->regex || second->regex) {
        /* do not sort the regex matches */
        return 0;
    }

    rc = dr_http_name_cmp(first->name.data, first->name.len,
                          second->name.data, second->name.len);

    if (rc == 0 && !first->exact_match && second->exact_match) {
        /* an exact match must be before the same inclusive one */
        return 1;
    }

    return rc;
}


/* a stable insertion sort: equal elements keep their file order */
static void
dr_http_queue_sort(dr_queue_t *queue,
    dr_int_t (*cmp)(const dr_queue_t *, const dr_queue_t *))
{
    dr_queue_t  *q, *prev, *next;

    q = dr_queue_head(queue);

    if (q == dr_queue_last(queue)) {
        return;
    }

    for (q = dr_queue_next(q); q != dr_queue_sentinel(queue); q = next) {

        prev = dr_queue_prev(q);
        next = dr_queue_next(q);

        dr_queue_remove(q);

        do {
            if (cmp(prev, q) <= 0) {
                break;
            }

            prev = dr_queue_prev(prev);

        } while (prev != dr_queue_sentinel(queue));

        /* insert after prev */
        q->next = prev->next;
        q->next->prev = q;
        q->prev = prev;
        prev->next = q;
    }
}


static dr_int_t
dr_http_join_exact_locations(dr_conf_t *cf, dr_queue_t *locations)
{
    dr_queue_t                *q, *x;
    dr_http_location_queue_t  *lq, *lx;

    q = dr_queue_head(locations);

    while (q != dr_queue_last(locations)) {

        x = dr_queue_next(q);

        lq = (dr_http_location_queue_t *) q;
        lx = (dr_http_location_queue_t *) x;

        if (lq->name->len == lx->name->len
            && dr_memcmp(lq->name->data, lx->name->data, lx->name->len) == 0)
        {
            if ((lq->exact && lx->exact) || (lq->inclusive && lx->inclusive)) {
                dr_log_error(DR_LOG_EMERG, cf->log, 0,
                             "duplicate location \"%V\" in %s:%ui",
                             lx->name, lx->file_name, lx->line);

                return DR_ERROR;
            }

            lq->inclusive = lx->inclusive;

            dr_queue_remove(x);

            continue;
        }

        q = dr_queue_next(q);
    }

    return DR_OK;
}


/* moves the locations a name is a prefix of into its <list>, recursively */
static void
dr_http_create_locations_list(dr_queue_t *locations, dr_queue_t *q)
{
    u_char                    *name;
    size_t                     len;
    dr_queue_t                *x, *first;
    dr_http_location_queue_t  *lq, *lx;

    if (q == dr_queue_last(locations)) {
        return;
    }

    lq = (dr_http_location_queue_t *) q;

    if (lq->inclusive == NULL) {
        dr_http_create_locations_list(locations, dr_queue_next(q));
        return;
    }

    len = lq->name->len;
    name = lq->name->data;

    for (x = dr_queue_next(q);
         x != dr_queue_sentinel(locations);
         x = dr_queue_next(x))
    {
        lx = (dr_http_location_queue_t *) x;

        if (len > lx->name->len
            || dr_memcmp(name, lx->name->data, len) != 0)
        {
            break;
        }
    }

    first = dr_queue_next(q);

    if (first == x) {
        dr_http_create_locations_list(locations, x);
        return;
    }

    dr_http_queue_move(first, dr_queue_prev(x), &lq->list);

    dr_http_create_locations_list(&lq->list, dr_queue_head(&lq->list));

    if (x != dr_queue_sentinel(locations)) {
        dr_http_create_locations_list(locations, x);
    }
}


static dr_queue_t *
dr_http_queue_middle(dr_queue_t *queue)
{
    dr_queue_t  *middle, *next;

    middle = dr_queue_head(queue);

    if (middle == dr_queue_last(queue)) {
        return middle;
    }

    next = dr_queue_head(queue);

    for ( ;; ) {
        middle = dr_queue_next(middle);

        next = dr_queue_next(next);

        if (next == dr_queue_last(queue)) {
            return middle;
        }

        next = dr_queue_next(next);

        if (next == dr_queue_last(queue)) {
            return middle;
        }
    }
}


/* a balanced binary tree of a level's names, the middle one at the root */
static dr_http_location_tree_node_t *
dr_http_create_locations_tree(dr_conf_t *cf, dr_queue_t *locations,
    size_t prefix)
{
    size_t                          len;
    dr_queue_t                     *q, left, right;
    dr_http_location_queue_t       *lq;
    dr_http_location_tree_node_t   *node;

    q = dr_http_queue_middle(locations);

    lq = (dr_http_location_queue_t *) q;
    len = lq->name->len - prefix;

    if (lq->name->len > 65535) {
        dr_log_error(DR_LOG_EMERG, cf->log, 0,
                     "too long location \"%V\"", lq->name);
        return NULL;
    }

    node = dr_palloc(cf->pool,
                     offsetof(dr_http_location_tree_node_t, name) + len + 1);
    if (node == NULL) {
        return NULL;
    }

    node->left = NULL;
    node->right = NULL;
    node->tree = NULL;
    node->exact = lq->exact;
    node->inclusive = lq->inclusive;

    node->auto_redirect = (u_char) ((lq->exact && lq->exact->auto_redirect)
                           || (lq->inclusive && lq->inclusive->auto_redirect));

    node->len = (u_short) len;
    dr_memcpy(node->name, &lq->name->data[prefix], len);

    /* split the level around q */

    dr_queue_init(&left);
    dr_queue_init(&right);

    if (q != dr_queue_head(locations)) {
        left.next = dr_queue_head(locations);
        left.prev = dr_queue_prev(q);
        left.next->prev = &left;
        left.prev->next = &left;
    }

    if (q != dr_queue_last(locations)) {
        right.next = dr_queue_next(q);
        right.prev = dr_queue_last(locations);
        right.next->prev = &right;
        right.prev->next = &right;
    }

    if (!dr_queue_empty(&left)) {
        node->left = dr_http_create_locations_tree(cf, &left, prefix);
        if (node->left == NULL) {
            return NULL;
        }
    }

    if (!dr_queue_empty(&right)) {
        node->right = dr_http_create_locations_tree(cf, &right, prefix);
        if (node->right == NULL) {
            return NULL;
        }
    }

    if (dr_queue_empty(&lq->list)) {
        return node;
    }

    node->tree = dr_http_create_locations_tree(cf, &lq->list, prefix + len);
    if (node->tree == NULL) {
        return NULL;
    }

    return node;
}


dr_int_t
dr_http_find_static_location(dr_http_location_tree_node_t *node,
    dr_str_t *uri, dr_http_core_loc_conf_t **found)
{
    u_char    *p;
    size_t     len, n;
    dr_int_t   rc, rv;

    len = uri->len;
    p = uri->data;

    rv = DR_DECLINED;

    for ( ;; ) {

        if (node == NULL) {
            return rv;
        }

        n = (len <= (size_t) node->len) ? len : node->len;

        rc = dr_http_name_cmp(p, n, node->name, n);

        if (rc != 0) {
            node = (rc < 0) ? node->left : node->right;

            continue;
        }

        if (len > (size_t) node->len) {

            if (node->inclusive) {

                *found = node->inclusive;
                rv = DR_AGAIN;

                node = node->tree;
                p += n;
                len -= n;

                continue;
            }

            /* exact only */

            node = node->right;

            continue;
        }

        if (len == (size_t) node->len) {

            if (node->exact) {
                *found = node->exact;
                return DR_OK;

            } else {
                *found = node->inclusive;
                return DR_AGAIN;
            }
        }

        /* len < node->len */

        if (len + 1 == (size_t) node->len && node->auto_redirect) {

            *found = (node->exact) ? node->exact : node->inclusive;
            rv = DR_DONE;
        }

        node = node->left;
    }
}


/* listen: collect the address:port pairs and their servers */

dr_int_t
dr_http_add_listen(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_listen_opt_t *lsopt)
{
    in_port_t                  p;
    dr_uint_t                  i;
    struct sockaddr           *sa;
    dr_http_conf_port_t       *port;
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    if (cmcf->ports == NULL) {
        cmcf->ports = dr_array_create(cf->temp_pool, 2,
                                      sizeof(dr_http_conf_port_t));
        if (cmcf->ports == NULL) {
            return DR_ERROR;
        }
    }

    sa = lsopt->sockaddr;
    p = dr_inet_get_port(sa);

    port = cmcf->ports->elts;
    for (i = 0; i < cmcf->ports->nelts; i++) {

        if (p != port[i].port || sa->sa_family != port[i].family) {
            continue;
        }

        /* a port is already in the port list */

        return dr_http_add_addresses(cf, cscf, &port[i], lsopt);
    }

    /* add a port to the port list */

    port = dr_array_push(cmcf->ports);
    if (port == NULL) {
        return DR_ERROR;
    }

    port->family = sa->sa_family;
    port->port = p;
    port->addrs.elts = NULL;

    return dr_http_add_address(cf, cscf, port, lsopt);
}


static dr_int_t
dr_http_add_addresses(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_conf_port_t *port, dr_http_listen_opt_t *lsopt)
{
    dr_uint_t             i, default_server;
    dr_http_conf_addr_t  *addr;

    /*
     * we cannot compare whole sockaddr struct's as kernel
     * may fill some fields in inherited sockaddr struct's
     */

    addr = port->addrs.elts;

    for (i = 0; i < port->addrs.nelts; i++) {

        if (dr_cmp_sockaddr(lsopt->sockaddr, lsopt->socklen,
                            addr[i].opt.sockaddr, addr[i].opt.socklen, 0)
            != DR_OK)
        {
            continue;
        }

        /* the address is already in the address list */

        if (dr_http_add_server(cf, cscf, &addr[i]) != DR_OK) {
            return DR_ERROR;
        }

        /* preserve default_server bit during listen options overwriting */
        default_server = addr[i].opt.default_server;

        if (lsopt->set) {

            if (addr[i].opt.set) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "duplicate listen options for %V",
                                  &addr[i].opt.addr_text);
                return DR_ERROR;
            }

            addr[i].opt = *lsopt;
        }

        /* check the duplicate "default" server for this address:port */

        if (lsopt->default_server) {

            if (default_server) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "a duplicate default server for %V",
                                  &addr[i].opt.addr_text);
                return DR_ERROR;
            }

            default_server = 1;
            addr[i].default_server = cscf;
        }

        addr[i].opt.default_server = default_server;

        return DR_OK;
    }

    /* add the address to the addresses list that bound to this port */

    return dr_http_add_address(cf, cscf, port, lsopt);
}


static dr_int_t
dr_http_add_address(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_conf_port_t *port, dr_http_listen_opt_t *lsopt)
{
    dr_http_conf_addr_t  *addr;

    if (port->addrs.elts == NULL) {
        if (dr_array_init(&port->addrs, cf->temp_pool, 4,
                          sizeof(dr_http_conf_addr_t))
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    addr = dr_array_push(&port->addrs);
    if (addr == NULL) {
        return DR_ERROR;
    }

    dr_memzero(addr, sizeof(dr_http_conf_addr_t));

    addr->opt = *lsopt;
    addr->default_server = cscf;
    addr->servers.elts = NULL;

    return dr_http_add_server(cf, cscf, addr);
}


/* add the server core module configuration to the address:port */

static dr_int_t
dr_http_add_server(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_conf_addr_t *addr)
{
    dr_uint_t                  i;
    dr_http_core_srv_conf_t  **server;

    if (addr->servers.elts == NULL) {
        if (dr_array_init(&addr->servers, cf->temp_pool, 4,
                          sizeof(dr_http_core_srv_conf_t *))
            != DR_OK)
        {
            return DR_ERROR;
        }

    } else {
        server = addr->servers.elts;
        for (i = 0; i < addr->servers.nelts; i++) {
            if (server[i] == cscf) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "a duplicate listen %V",
                                  &addr->opt.addr_text);
                return DR_ERROR;
            }
        }
    }

    server = dr_array_push(&addr->servers);
    if (server == NULL) {
        return DR_ERROR;
    }

    *server = cscf;

    return DR_OK;
}


static dr_int_t
dr_http_optimize_servers(dr_conf_t *cf, dr_http_core_main_conf_t *cmcf,
    dr_array_t *ports)
{
    dr_uint_t             p, a;
    dr_http_conf_port_t  *port;
    dr_http_conf_addr_t  *addr;

    if (ports == NULL) {
        return DR_OK;
    }

    port = ports->elts;
    for (p = 0; p < ports->nelts; p++) {

        qsort(port[p].addrs.elts, (size_t) port[p].addrs.nelts,
              sizeof(dr_http_conf_addr_t), dr_http_cmp_conf_addrs);

        /*
         * check whether all name-based servers have the same
         * configuration as a default server for given address:port
         */

        addr = port[p].addrs.elts;
        for (a = 0; a < port[p].addrs.nelts; a++) {

            if (addr[a].servers.nelts > 1
                || addr[a].default_server->server_names.nelts > 1
                || addr[a].default_server->captures)
            {
                if (dr_http_server_names(cf, cmcf, &addr[a]) != DR_OK) {
                    return DR_ERROR;
                }
            }
        }

        if (dr_http_init_listening(cf, &port[p]) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static dr_int_t
dr_http_server_names(dr_conf_t *cf, dr_http_core_main_conf_t *cmcf,
    dr_http_conf_addr_t *addr)
{
    dr_int_t                   rc;
    dr_uint_t                  n, s, i, flags;
    dr_hash_keys_arrays_t      ha;
    dr_http_server_name_t     *name;
    dr_http_core_srv_conf_t  **cscfp;
    dr_uint_t                  regex;

    if (dr_hash_keys_array_init(&ha, cf->pool, cf->temp_pool) != DR_OK) {
        return DR_ERROR;
    }

    cscfp = addr->servers.elts;
    regex = 0;

    for (s = 0; s < addr->servers.nelts; s++) {

        name = cscfp[s]->server_names.elts;

        for (n = 0; n < cscfp[s]->server_names.nelts; n++) {

            if (name[n].regex) {
                regex++;
                continue;
            }

            flags = 0;

            if (name[n].name.len && (name[n].name.data[0] == '.'
                                     || dr_strlchr(name[n].name.data,
                                                   name[n].name.data
                                                   + name[n].name.len, '*')))
            {
                flags = DR_HASH_WILDCARD_KEY;
            }

            rc = dr_hash_add_key(&ha, &name[n].name, name[n].server, flags);

            if (rc == DR_ERROR) {
                return DR_ERROR;
            }

            if (rc == DR_DECLINED) {
                dr_log_error(DR_LOG_EMERG, cf->log, 0,
                             "invalid server name or wildcard \"%V\" on %V",
                             &name[n].name, &addr->opt.addr_text);
                return DR_ERROR;
            }

            if (rc == DR_BUSY) {
                dr_log_error(DR_LOG_WARN, cf->log, 0,
                             "conflicting server name \"%V\" on %V, ignored",
                             &name[n].name, &addr->opt.addr_text);
            }
        }
    }

    if (dr_hash_combined_init(&addr->names, &ha, "server_names_hash",
                              cmcf->server_names_hash_max_size)
        != DR_OK)
    {
        return DR_ERROR;
    }

    if (regex == 0) {
        return DR_OK;
    }

    addr->nregex = regex;
    addr->regex = dr_palloc(cf->pool, regex * sizeof(dr_http_server_name_t));
    if (addr->regex == NULL) {
        return DR_ERROR;
    }

    i = 0;

    for (s = 0; s < addr->servers.nelts; s++) {

        name = cscfp[s]->server_names.elts;

        for (n = 0; n < cscfp[s]->server_names.nelts; n++) {
            if (name[n].regex) {
                addr->regex[i++] = name[n];
            }
        }
    }

    return DR_OK;
}


static int
dr_http_cmp_conf_addrs(const void *one, const void *two)
{
    dr_http_conf_addr_t  *first, *second;

    first = (dr_http_conf_addr_t *) one;
    second = (dr_http_conf_addr_t *) two;

    if (first->opt.wildcard) {
        /* a wildcard address must be the last resort, shift it to the end */
        return 1;
    }

    if (second->opt.wildcard) {
        /* a wildcard address must be the last resort, shift it to the end */
        return -1;
    }

    if (first->opt.bind && !second->opt.bind) {
        /* shift explicit bind()ed addresses to the start */
        return -1;
    }

    if (!first->opt.bind && second->opt.bind) {
        /* shift explicit bind()ed addresses to the start */
        return 1;
    }

    /* do not sort by default */

    return 0;
}


/*
 * One listening socket per address that wants its own (bind, or no
 * wildcard on the port); the others share the port's wildcard socket and
 * are told apart by getsockname() at accept time.
 */
static dr_int_t
dr_http_init_listening(dr_conf_t *cf, dr_http_conf_port_t *port)
{
    dr_uint_t             i, last, bind_wildcard;
    dr_listening_t       *ls;
    dr_http_port_t       *hport;
    dr_http_conf_addr_t  *addr;

    addr = port->addrs.elts;
    last = port->addrs.nelts;

    /*
     * If there is a binding to an "*:port" then we need to bind() to
     * the "*:port" only and ignore other implicit bindings. The bindings
     * have been already sorted: explicit bindings are on the start, then
     * implicit bindings go, and wildcard binding is in the end.
     */

    if (addr[last - 1].opt.wildcard) {
        addr[last - 1].opt.bind = 1;
        bind_wildcard = 1;

    } else {
        bind_wildcard = 0;
    }

    i = 0;

    while (i < last) {

        if (bind_wildcard && !addr[i].opt.bind) {
            i++;
            continue;
        }

        ls = dr_http_add_listening(cf, &addr[i]);
        if (ls == NULL) {
            return DR_ERROR;
        }

        hport = dr_pcalloc(cf->pool, sizeof(dr_http_port_t));
        if (hport == NULL) {
            return DR_ERROR;
        }

        ls->servers = hport;

        hport->naddrs = i + 1;

        if (dr_http_add_addrs(cf, hport, addr) != DR_OK) {
            return DR_ERROR;
        }

        addr++;
        last--;
    }

    return DR_OK;
}


static dr_listening_t *
dr_http_add_listening(dr_conf_t *cf, dr_http_conf_addr_t *addr)
{
    dr_listening_t            *ls;
    dr_http_core_loc_conf_t   *clcf;
    dr_http_core_srv_conf_t   *cscf;

    ls = dr_create_listening(cf, addr->opt.sockaddr, addr->opt.socklen);
    if (ls == NULL) {
        return NULL;
    }

    ls->handler = dr_http_init_connection;

    cscf = addr->default_server;
    ls->pool_size = cscf->connection_pool_size;

    clcf = cscf->ctx->loc_conf[dr_http_core_module.ctx_index];

    ls->logp = clcf->error_log;
    ls->log.data = &ls->addr_text;
    ls->log.handler = dr_listening_log_error;

    ls->backlog = addr->opt.backlog;
    ls->rcvbuf = addr->opt.rcvbuf;
    ls->sndbuf = addr->opt.sndbuf;

    ls->keepalive = addr->opt.so_keepalive;
    ls->keepidle = addr->opt.tcp_keepidle;
    ls->keepintvl = addr->opt.tcp_keepintvl;
    ls->keepcnt = addr->opt.tcp_keepcnt;

    ls->deferred_accept = addr->opt.deferred_accept;
    ls->ipv6only = addr->opt.ipv6only;
    ls->reuseport = addr->opt.reuseport;
    ls->wildcard = addr->opt.wildcard;

    /* with TCP_DEFER_ACCEPT the client had its time to send the request */
    ls->post_accept_timeout = cscf->client_header_timeout;

    return ls;
}


static dr_int_t
dr_http_add_addrs(dr_conf_t *cf, dr_http_port_t *hport,
    dr_http_conf_addr_t *addr)
{
    dr_uint_t                 i;
    dr_http_in_addr_t        *addrs;
    dr_http_virtual_names_t  *vn;

    hport->addrs = dr_pcalloc(cf->pool,
                              hport->naddrs * sizeof(dr_http_in_addr_t));
    if (hport->addrs == NULL) {
        return DR_ERROR;
    }

    addrs = hport->addrs;

    for (i = 0; i < hport->naddrs; i++) {

        dr_memcpy(&addrs[i].sockaddr, addr[i].opt.sockaddr,
                  addr[i].opt.socklen);
        addrs[i].socklen = addr[i].opt.socklen;
        addrs[i].conf.default_server = addr[i].default_server;

        if (addr[i].names.hash.nelts == 0
            && addr[i].names.wc_head.nelts == 0
            && addr[i].names.wc_tail.nelts == 0
            && addr[i].nregex == 0)
        {
            continue;
        }

        vn = dr_palloc(cf->pool, sizeof(dr_http_virtual_names_t));
        if (vn == NULL) {
            return DR_ERROR;
        }

        addrs[i].conf.virtual_names = vn;

        vn->names = addr[i].names;
        vn->nregex = addr[i].nregex;
        vn->regex = addr[i].regex;
    }

    return DR_OK;
}


/* types { } of other modules: gzip_types, ... (nginx's ngx_http_types_slot) */

char *
dr_http_types_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t       *value, *default_type;
    dr_uint_t       i, n, hash;
    dr_array_t    **types;
    dr_hash_key_t  *type;

    types = (dr_array_t **) (p + cmd->offset);

    if (*types == (void *) 4) {
        return "is duplicate";
    }

    /* the module's default type (cmd->post: text/html) is always in */

    default_type = cmd->post;

    if (*types == NULL) {
        *types = dr_array_create(cf->temp_pool, 1, sizeof(dr_hash_key_t));
        if (*types == NULL) {
            return DR_CONF_ERROR;
        }

        if (default_type) {
            type = dr_array_push(*types);
            if (type == NULL) {
                return DR_CONF_ERROR;
            }

            type->key = *default_type;
            type->key_hash = dr_hash_key(default_type->data,
                                         default_type->len);
            type->value = (void *) 4;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 1 && value[i].data[0] == '*') {
            *types = (void *) 4;

            return DR_CONF_OK;
        }

        hash = dr_hash_strlow(value[i].data, value[i].data, value[i].len);
        value[i].data[value[i].len] = '\0';

        type = (*types)->elts;
        for (n = 0; n < (*types)->nelts; n++) {

            if (dr_strcmp(value[i].data, type[n].key.data) == 0) {
                dr_conf_log_error(DR_LOG_WARN, cf, 0,
                                  "duplicate MIME type \"%V\"", &value[i]);
                goto next;
            }
        }

        type = dr_array_push(*types);
        if (type == NULL) {
            return DR_CONF_ERROR;
        }

        type->key = value[i];
        type->key_hash = hash;
        type->value = (void *) 4;

    next:

        continue;
    }

    return DR_CONF_OK;
}


char *
dr_http_merge_types(dr_conf_t *cf, dr_array_t **keys, dr_hash_t *types_hash,
    dr_array_t **prev_keys, dr_hash_t *prev_types_hash,
    dr_str_t *default_types)
{
    dr_hash_init_t  hash;

    if (*keys) {

        if (*keys == (void *) 4) {
            return DR_CONF_OK;
        }

        hash.hash = types_hash;
        hash.max_size = 2048;
        hash.bucket_size = 64;
        hash.name = "test_types_hash";
        hash.pool = cf->pool;
        hash.temp_pool = NULL;

        if (dr_hash_init(&hash, (*keys)->elts, (*keys)->nelts) != DR_OK) {
            return DR_CONF_ERROR;
        }

        return DR_CONF_OK;
    }

    if (prev_types_hash->slots == NULL) {

        if (*prev_keys == NULL) {

            if (dr_http_set_default_types(cf, prev_keys, default_types)
                != DR_OK)
            {
                return DR_CONF_ERROR;
            }

        } else if (*prev_keys == (void *) 4) {
            *keys = *prev_keys;
            return DR_CONF_OK;
        }

        hash.hash = prev_types_hash;
        hash.max_size = 2048;
        hash.bucket_size = 64;
        hash.name = "test_types_hash";
        hash.pool = cf->pool;
        hash.temp_pool = NULL;

        if (dr_hash_init(&hash, (*prev_keys)->elts, (*prev_keys)->nelts)
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }
    }

    *types_hash = *prev_types_hash;

    return DR_CONF_OK;
}


dr_int_t
dr_http_set_default_types(dr_conf_t *cf, dr_array_t **types,
    dr_str_t *default_type)
{
    dr_hash_key_t  *type;

    *types = dr_array_create(cf->temp_pool, 1, sizeof(dr_hash_key_t));
    if (*types == NULL) {
        return DR_ERROR;
    }

    while (default_type->len) {

        type = dr_array_push(*types);
        if (type == NULL) {
            return DR_ERROR;
        }

        type->key = *default_type;
        type->key_hash = dr_hash_key(default_type->data, default_type->len);
        type->value = (void *) 4;

        default_type++;
    }

    return DR_OK;
}
