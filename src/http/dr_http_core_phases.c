/*
 * The http core at request time (nginx's ngx_http_core_module.c, second
 * half): the phase engine and its checkers, location lookup, try_files,
 * internal and named redirects, and the helpers content handlers call
 * (send header, output filter, content type, ETag, URI to path).
 *
 * The engine walks cmcf->phase_engine.handlers from r->phase_handler; a
 * checker returns DR_AGAIN to go on, DR_OK to stop (the request continues
 * from an event or was finalized). Everything runs in a worker, on the
 * request's pool; nothing here allocates outside r->pool.
 */

#include "dr_http.h"


static dr_int_t dr_http_core_find_static_location(dr_http_request_t *r,
    dr_http_location_tree_node_t *node);
static dr_int_t dr_http_core_content_default(dr_http_request_t *r);


void
dr_http_handler(dr_http_request_t *r)
{
    dr_http_core_main_conf_t  *cmcf;

    r->connection->log->action = NULL;

    if (!r->internal) {
        switch (r->headers_in.connection_type) {
        case 0:
            r->keepalive = (r->http_version > DR_HTTP_VERSION_10);
            break;

        case DR_HTTP_CONNECTION_CLOSE:
            r->keepalive = 0;
            break;

        case DR_HTTP_CONNECTION_KEEP_ALIVE:
            r->keepalive = 1;
            break;
        }

        r->lingering_close = (r->headers_in.content_length_n > 0
                              || r->headers_in.chunked);
        r->phase_handler = 0;

    } else {
        cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);
        r->phase_handler = cmcf->phase_engine.server_rewrite_index;
    }

    r->valid_location = 1;
    r->write_event_handler = dr_http_core_run_phases;
    dr_http_core_run_phases(r);
}


void
dr_http_core_run_phases(dr_http_request_t *r)
{
    dr_int_t                   rc;
    dr_http_phase_handler_t   *ph;
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    ph = cmcf->phase_engine.handlers;

    while (ph[r->phase_handler].checker) {

        rc = ph[r->phase_handler].checker(r, &ph[r->phase_handler]);

        if (rc == DR_OK) {
            return;
        }
    }
}


dr_int_t
dr_http_core_generic_phase(dr_http_request_t *r, dr_http_phase_handler_t *ph)
{
    dr_int_t  rc;

    /*
     * generic phase checker,
     * used by the post read and pre-access phases
     */

    rc = ph->handler(r);

    if (rc == DR_OK) {
        r->phase_handler = ph->next;
        return DR_AGAIN;
    }

    if (rc == DR_DECLINED) {
        r->phase_handler++;
        return DR_AGAIN;
    }

    if (rc == DR_AGAIN || rc == DR_DONE) {
        return DR_OK;
    }

    /* rc == DR_ERROR || rc == DR_HTTP_...  */

    dr_http_finalize_request(r, rc);

    return DR_OK;
}


dr_int_t
dr_http_core_rewrite_phase(dr_http_request_t *r, dr_http_phase_handler_t *ph)
{
    dr_int_t  rc;

    rc = ph->handler(r);

    if (rc == DR_DECLINED) {
        r->phase_handler++;
        return DR_AGAIN;
    }

    if (rc == DR_DONE) {
        return DR_OK;
    }

    /* DR_OK, DR_AGAIN, DR_ERROR, DR_HTTP_...  */

    dr_http_finalize_request(r, rc);

    return DR_OK;
}


dr_int_t
dr_http_core_find_config_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph)
{
    u_char                    *p;
    size_t                     len;
    dr_int_t                   rc;
    dr_str_t                   loc;
    dr_http_core_loc_conf_t   *clcf;

    r->content_handler = NULL;
    r->uri_changed = 0;

    rc = dr_http_core_find_location(r);

    if (rc == DR_ERROR) {
        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_OK;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (!r->internal && clcf->internal) {
        dr_http_finalize_request(r, DR_HTTP_NOT_FOUND);
        return DR_OK;
    }

    dr_log_debug(r->connection->log, "using configuration \"%s%V\"",
                 (clcf->noname ? "*" : (clcf->exact_match ? "=" : "")),
                 &clcf->name);

    dr_http_update_location_config(r);

    if (r->headers_in.content_length_n != -1
        && !r->discard_body
        && clcf->client_max_body_size
        && clcf->client_max_body_size < r->headers_in.content_length_n)
    {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "client intended to send too large body: %O bytes",
                     r->headers_in.content_length_n);

        r->expect_tested = 1;
        (void) dr_http_discard_request_body(r);
        dr_http_finalize_request(r, DR_HTTP_REQUEST_ENTITY_TOO_LARGE);
        return DR_OK;
    }

    if (rc == DR_DONE) {

        /* "/dir" for a location "/dir/" with auto_redirect: 301 to "/dir/" */

        len = clcf->name.len
              + 2 * dr_http_escape_uri(NULL, clcf->name.data, clcf->name.len,
                                       DR_ESCAPE_URI);

        if (r->args.len) {
            len += 1 + r->args.len;
        }

        loc.data = dr_pnalloc(r->pool, len);
        if (loc.data == NULL) {
            dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_OK;
        }

        p = (u_char *) dr_http_escape_uri(loc.data, clcf->name.data,
                                          clcf->name.len, DR_ESCAPE_URI);

        if (r->args.len) {
            *p++ = '?';
            p = dr_cpymem(p, r->args.data, r->args.len);
        }

        loc.len = p - loc.data;

        dr_http_clear_location(r);

        r->headers_out.location = dr_list_push(&r->headers_out.headers);
        if (r->headers_out.location == NULL) {
            dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
            return DR_OK;
        }

        r->headers_out.location->hash = 1;
        r->headers_out.location->next = NULL;
        r->headers_out.location->lowcase_key = NULL;
        dr_str_set(&r->headers_out.location->key, "Location");
        r->headers_out.location->value = loc;

        dr_http_finalize_request(r, DR_HTTP_MOVED_PERMANENTLY);
        return DR_OK;
    }

    r->phase_handler++;
    return DR_AGAIN;
}


dr_int_t
dr_http_core_post_rewrite_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph)
{
    dr_http_core_srv_conf_t  *cscf;

    if (!r->uri_changed) {
        r->phase_handler++;
        return DR_AGAIN;
    }

    r->uri_changes--;

    if (r->uri_changes == 0) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle "
                     "while processing \"%V\"", &r->uri);

        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_OK;
    }

    r->phase_handler = ph->next;

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
    r->loc_conf = cscf->ctx->loc_conf;

    return DR_AGAIN;
}


dr_int_t
dr_http_core_access_phase(dr_http_request_t *r, dr_http_phase_handler_t *ph)
{
    dr_int_t                  rc;
    dr_http_core_loc_conf_t  *clcf;

    rc = ph->handler(r);

    if (rc == DR_DECLINED) {
        r->phase_handler++;
        return DR_AGAIN;
    }

    if (rc == DR_AGAIN || rc == DR_DONE) {
        return DR_OK;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->satisfy == DR_HTTP_SATISFY_ALL) {

        if (rc == DR_OK) {
            r->phase_handler++;
            return DR_AGAIN;
        }

    } else {
        if (rc == DR_OK) {
            r->access_code = 0;

            if (r->headers_out.www_authenticate) {
                r->headers_out.www_authenticate->hash = 0;
            }

            r->phase_handler = ph->next;
            return DR_AGAIN;
        }

        if (rc == DR_HTTP_FORBIDDEN || rc == DR_HTTP_UNAUTHORIZED) {
            if (r->access_code != DR_HTTP_UNAUTHORIZED) {
                r->access_code = rc;
            }

            r->phase_handler++;
            return DR_AGAIN;
        }
    }

    /* rc == DR_ERROR || rc == DR_HTTP_...  */

    dr_http_finalize_request(r, rc);
    return DR_OK;
}


dr_int_t
dr_http_core_post_access_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph)
{
    dr_int_t  access_code;

    access_code = r->access_code;

    if (access_code) {
        r->access_code = 0;

        if (access_code == DR_HTTP_FORBIDDEN) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "access forbidden by rule");
        }

        dr_http_finalize_request(r, access_code);
        return DR_OK;
    }

    r->phase_handler++;
    return DR_AGAIN;
}


dr_int_t
dr_http_core_content_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph)
{
    size_t     root;
    dr_int_t   rc;
    dr_str_t   path;

    if (r->content_handler) {
        r->write_event_handler = dr_http_request_empty_handler;
        dr_http_finalize_request(r, r->content_handler(r));
        return DR_OK;
    }

    rc = ph->handler(r);

    if (rc != DR_DECLINED) {
        dr_http_finalize_request(r, rc);
        return DR_OK;
    }

    /* rc == DR_DECLINED */

    ph++;

    if (ph->checker) {
        r->phase_handler++;
        return DR_AGAIN;
    }

    /* no content handler was found */

    if (r->uri.data[r->uri.len - 1] == '/') {

        if (dr_http_map_uri_to_path(r, &path, &root, 0) != NULL) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "directory index of \"%s\" is forbidden", path.data);
        }

        dr_http_finalize_request(r, DR_HTTP_FORBIDDEN);
        return DR_OK;
    }

    dr_log_error(DR_LOG_ERR, r->connection->log, 0, "no handler found");

    dr_http_finalize_request(r, DR_HTTP_NOT_FOUND);
    return DR_OK;
}


/*
 * The last content handler of the engine (the core registers it first,
 * so it runs last): declines, which makes the content checker answer
 * 403 or 404 as nginx does when nothing served the request.
 */
static dr_int_t
dr_http_core_content_default(dr_http_request_t *r)
{
    return DR_DECLINED;
}


dr_int_t
dr_http_core_add_default_content_handler(dr_conf_t *cf)
{
    return dr_http_add_phase_handler(cf, DR_HTTP_CONTENT_PHASE,
                                     dr_http_core_content_default);
}


void
dr_http_set_connection_log(dr_connection_t *c, dr_log_t *log)
{
    c->log->file = log->file;
    c->log->next = log->next;
    c->log->writer = log->writer;
    c->log->wdata = log->wdata;

    if (c->log->log_level < DR_LOG_DEBUG) {
        c->log->log_level = log->log_level;
    }
}


void
dr_http_update_location_config(dr_http_request_t *r)
{
    dr_http_core_loc_conf_t  *clcf;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (r->method & clcf->limit_except) {
        r->loc_conf = clcf->limit_except_loc_conf;
        clcf = r->loc_conf[dr_http_core_module.ctx_index];
    }

    dr_http_set_connection_log(r->connection, clcf->error_log);

    r->connection->sendfile = clcf->sendfile ? 1 : 0;

    if (clcf->client_body_in_file_only) {
        r->request_body_in_file_only = 1;
        r->request_body_in_persistent_file = 1;
        r->request_body_in_clean_file =
            clcf->client_body_in_file_only == DR_HTTP_REQUEST_BODY_FILE_CLEAN;
        r->request_body_file_log_level = DR_LOG_NOTICE;

    } else {
        r->request_body_file_log_level = DR_LOG_WARN;
    }

    r->request_body_in_single_buf = clcf->client_body_in_single_buffer;

    if (r->keepalive) {
        if (clcf->keepalive_timeout == 0) {
            r->keepalive = 0;

        } else if (r->connection->requests >= clcf->keepalive_requests) {
            r->keepalive = 0;

        } else if (r->headers_in.msie6
                   && r->method == DR_HTTP_POST
                   && (clcf->keepalive_disable
                       & DR_HTTP_KEEPALIVE_DISABLE_MSIE6))
        {
            /*
             * MSIE may wait for some time if an response for
             * a POST request was sent over a keepalive connection
             */
            r->keepalive = 0;

        } else if (r->headers_in.safari
                   && (clcf->keepalive_disable
                       & DR_HTTP_KEEPALIVE_DISABLE_SAFARI))
        {
            /*
             * Safari may send a POST request to a closed keepalive
             * connection and may stall for some time, see
             *     https://bugs.webkit.org/show_bug.cgi?id=5760
             */
            r->keepalive = 0;
        }
    }

    if (!clcf->tcp_nopush) {
        /* disable TCP_NOPUSH/TCP_CORK use */
        r->connection->tcp_nopush = DR_TCP_NOPUSH_DISABLED;
    }

    if (clcf->handler) {
        r->content_handler = clcf->handler;
    }
}


/*
 * DR_OK       - exact or regex match
 * DR_DONE     - auto redirect
 * DR_AGAIN    - inclusive match
 * DR_ERROR    - regex error
 * DR_DECLINED - no match
 */
dr_int_t
dr_http_core_find_location(dr_http_request_t *r)
{
    dr_int_t                   rc, n;
    dr_uint_t                  noregex;
    dr_http_core_loc_conf_t   *pclcf, *clcf, **clcfp;

    noregex = 0;
    pclcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    rc = dr_http_core_find_static_location(r, pclcf->static_locations);

    if (rc == DR_AGAIN) {

        clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

        noregex = clcf->noregex;

        /* look up nested locations */

        rc = dr_http_core_find_location(r);
    }

    if (rc == DR_OK || rc == DR_DONE) {
        return rc;
    }

    /* rc == DR_DECLINED or rc == DR_AGAIN in nested location */

    if (noregex == 0 && pclcf->regex_locations) {

        for (clcfp = pclcf->regex_locations; *clcfp; clcfp++) {

            n = dr_http_regex_exec(r, (*clcfp)->regex, &r->uri);

            if (n == DR_OK) {
                r->loc_conf = (*clcfp)->loc_conf;

                /* look up nested locations */

                rc = dr_http_core_find_location(r);

                return (rc == DR_ERROR) ? rc : DR_OK;
            }

            if (n == DR_DECLINED) {
                continue;
            }

            return DR_ERROR;
        }
    }

    return rc;
}


static dr_int_t
dr_http_core_find_static_location(dr_http_request_t *r,
    dr_http_location_tree_node_t *node)
{
    dr_int_t                  rc;
    dr_http_core_loc_conf_t  *found;

    found = NULL;

    rc = dr_http_find_static_location(node, &r->uri, &found);

    if (found) {
        r->loc_conf = found->loc_conf;
    }

    return rc;
}


/* try_files file ... uri | =code */

dr_int_t
dr_http_core_try_files_handler(dr_http_request_t *r)
{
    size_t                        len, root, alias, reserve, allocated;
    u_char                       *p, *name;
    dr_str_t                      path, args;
    dr_uint_t                     test_dir;
    struct stat                   st;
    dr_http_try_file_t           *tf;
    dr_http_script_code_pt        code;
    dr_http_script_engine_t       e;
    dr_http_core_loc_conf_t      *clcf;
    dr_http_script_len_code_pt    lcode;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->try_files == NULL) {
        return DR_DECLINED;
    }

    allocated = 0;
    root = 0;
    name = NULL;
    path.data = NULL;
    path.len = 0;

    tf = clcf->try_files;

    alias = clcf->alias;

    for ( ;; ) {

        if (tf->lengths) {
            dr_memzero(&e, sizeof(dr_http_script_engine_t));

            e.ip = tf->lengths->elts;
            e.request = r;

            /* 1 is for terminating '\0' as in static names */
            len = 1;

            while (*(uintptr_t *) e.ip) {
                lcode = *(dr_http_script_len_code_pt *) e.ip;
                len += lcode(&e);
            }

        } else {
            len = tf->name.len;
        }

        if (!alias) {
            reserve = len > r->uri.len ? len - r->uri.len : 0;

        } else if (alias == DR_MAX_SIZE_T_VALUE) {
            reserve = len;

        } else {
            reserve = len > r->uri.len - alias ? len - (r->uri.len - alias) : 0;
        }

        if (reserve > allocated || !allocated) {

            /* 16 bytes are preallocation */
            allocated = reserve + 16;

            if (dr_http_map_uri_to_path(r, &path, &root, allocated) == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            name = path.data + root;
        }

        if (tf->values == NULL) {

            /* tf->name.len includes the terminating '\0' */

            dr_memcpy(name, tf->name.data, tf->name.len);

            path.len = (name + tf->name.len - 1) - path.data;

        } else {
            e.ip = tf->values->elts;
            e.pos = name;
            e.flushed = 1;

            while (*(uintptr_t *) e.ip) {
                code = *(dr_http_script_code_pt *) e.ip;
                code((dr_http_script_engine_t *) &e);
            }

            path.len = e.pos - path.data;

            *e.pos = '\0';

            if (alias && alias != DR_MAX_SIZE_T_VALUE
                && dr_strncmp(name, r->uri.data, alias) == 0)
            {
                dr_memmove(name, name + alias, len - alias);
                path.len -= alias;
            }
        }

        test_dir = tf->test_dir;

        tf++;

        dr_log_debug(r->connection->log, "trying to use %s: \"%s\" \"%s\"",
                     test_dir ? "dir" : "file", name, path.data);

        if (tf->lengths == NULL && tf->name.data == NULL) {

            if (tf->code) {
                return tf->code;
            }

            path.len -= root;
            path.data += root;

            if (path.data[0] == '@') {
                (void) dr_http_named_location(r, &path);

            } else {
                dr_http_split_args(r, &path, &args);

                (void) dr_http_internal_redirect(r, &path, &args);
            }

            dr_http_finalize_request(r, DR_DONE);
            return DR_DONE;
        }

        if (stat((char *) path.data, &st) == -1) {

            if (errno != ENOENT && errno != ENOTDIR && errno != ENAMETOOLONG
                && errno != EACCES)
            {
                dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                             "stat() \"%s\" failed", path.data);
            }

            continue;
        }

        if ((S_ISDIR(st.st_mode) ? 1 : 0) != test_dir) {
            continue;
        }

        path.len -= root;
        path.data += root;

        if (!alias) {
            r->uri = path;

        } else if (alias == DR_MAX_SIZE_T_VALUE) {
            if (!test_dir) {
                r->uri = path;
                r->add_uri_to_alias = 1;
            }

        } else {
            name = r->uri.data;

            r->uri.len = alias + path.len;
            r->uri.data = dr_pnalloc(r->pool, r->uri.len);
            if (r->uri.data == NULL) {
                r->uri.len = 0;
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = dr_cpymem(r->uri.data, name, alias);
            dr_memcpy(p, path.data, path.len);
        }

        dr_http_set_exten(r);

        dr_log_debug(r->connection->log, "try file uri: \"%V\"", &r->uri);

        return DR_DECLINED;
    }

    /* not reached */
}


void *
dr_http_test_content_type(dr_http_request_t *r, dr_hash_t *types_hash)
{
    u_char      c, *lowcase;
    size_t      len;
    dr_uint_t   i, hash;

    /* empty: "*" (types_slot leaves no keys), any type matches (nginx) */

    if (types_hash->nelts == 0) {
        return (void *) 4;
    }

    if (r->headers_out.content_type.len == 0) {
        return NULL;
    }

    len = r->headers_out.content_type_len;

    if (r->headers_out.content_type_lowcase == NULL) {

        lowcase = dr_pnalloc(r->pool, len);
        if (lowcase == NULL) {
            return NULL;
        }

        r->headers_out.content_type_lowcase = lowcase;

        hash = 0;

        for (i = 0; i < len; i++) {
            c = dr_tolower(r->headers_out.content_type.data[i]);
            hash = dr_hash(hash, c);
            lowcase[i] = c;
        }

        r->headers_out.content_type_hash = hash;
    }

    return dr_hash_find(types_hash, r->headers_out.content_type_hash,
                        r->headers_out.content_type_lowcase, len);
}


dr_int_t
dr_http_set_content_type(dr_http_request_t *r)
{
    u_char                   c, *exten;
    dr_str_t                *type;
    dr_uint_t                i, hash;
    dr_http_core_loc_conf_t  *clcf;

    if (r->headers_out.content_type.len) {
        return DR_OK;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (r->exten.len) {

        hash = 0;

        for (i = 0; i < r->exten.len; i++) {
            c = r->exten.data[i];

            if (c >= 'A' && c <= 'Z') {

                exten = dr_pnalloc(r->pool, r->exten.len);
                if (exten == NULL) {
                    return DR_ERROR;
                }

                hash = dr_hash_strlow(exten, r->exten.data, r->exten.len);

                r->exten.data = exten;

                break;
            }

            hash = dr_hash(hash, c);
        }

        type = dr_hash_find(&clcf->types_hash, hash,
                            r->exten.data, r->exten.len);

        if (type) {
            r->headers_out.content_type_len = type->len;
            r->headers_out.content_type = *type;

            return DR_OK;
        }
    }

    r->headers_out.content_type_len = clcf->default_type.len;
    r->headers_out.content_type = clcf->default_type;

    return DR_OK;
}


void
dr_http_set_exten(dr_http_request_t *r)
{
    dr_int_t  i;

    dr_str_null(&r->exten);

    for (i = r->uri.len - 1; i > 1; i--) {
        if (r->uri.data[i] == '.' && r->uri.data[i - 1] != '/') {

            r->exten.len = r->uri.len - i - 1;
            r->exten.data = &r->uri.data[i + 1];

            return;

        } else if (r->uri.data[i] == '/') {
            return;
        }
    }

    return;
}


dr_int_t
dr_http_set_etag(dr_http_request_t *r)
{
    dr_table_elt_t           *etag;
    dr_http_core_loc_conf_t  *clcf;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (!clcf->etag) {
        return DR_OK;
    }

    etag = dr_list_push(&r->headers_out.headers);
    if (etag == NULL) {
        return DR_ERROR;
    }

    etag->hash = 1;
    etag->next = NULL;
    etag->lowcase_key = NULL;
    dr_str_set(&etag->key, "ETag");

    etag->value.data = dr_pnalloc(r->pool, DR_OFF_T_LEN + DR_TIME_T_LEN + 3);
    if (etag->value.data == NULL) {
        etag->hash = 0;
        return DR_ERROR;
    }

    etag->value.len = dr_sprintf(etag->value.data, "\"%xL-%xL\"",
                                 (int64_t) r->headers_out.last_modified_time,
                                 (int64_t) r->headers_out.content_length_n)
                      - etag->value.data;

    r->headers_out.etag = etag;

    return DR_OK;
}


void
dr_http_weak_etag(dr_http_request_t *r)
{
    size_t           len;
    u_char          *p;
    dr_table_elt_t  *etag;

    etag = r->headers_out.etag;

    if (etag == NULL) {
        return;
    }

    if (etag->value.len > 2
        && etag->value.data[0] == 'W'
        && etag->value.data[1] == '/')
    {
        return;
    }

    if (etag->value.len < 1 || etag->value.data[0] != '"') {
        r->headers_out.etag->hash = 0;
        r->headers_out.etag = NULL;
        return;
    }

    p = dr_pnalloc(r->pool, etag->value.len + 2);
    if (p == NULL) {
        r->headers_out.etag->hash = 0;
        r->headers_out.etag = NULL;
        return;
    }

    len = dr_sprintf(p, "W/%V", &etag->value) - p;

    etag->value.data = p;
    etag->value.len = len;
}


dr_int_t
dr_http_send_response(dr_http_request_t *r, dr_uint_t status,
    dr_str_t *ct, dr_http_complex_value_t *cv)
{
    dr_int_t     rc;
    dr_str_t     val;
    dr_buf_t    *b;
    dr_chain_t   out;

    if (dr_http_discard_request_body(r) != DR_OK) {
        r->keepalive = 0;
    }

    r->headers_out.status = status;

    if (dr_http_complex_value(r, cv, &val) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (status == DR_HTTP_MOVED_PERMANENTLY
        || status == DR_HTTP_MOVED_TEMPORARILY
        || status == DR_HTTP_SEE_OTHER
        || status == DR_HTTP_TEMPORARY_REDIRECT
        || status == DR_HTTP_PERMANENT_REDIRECT)
    {
        dr_http_clear_location(r);

        r->headers_out.location = dr_list_push(&r->headers_out.headers);
        if (r->headers_out.location == NULL) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        r->headers_out.location->hash = 1;
        r->headers_out.location->next = NULL;
        r->headers_out.location->lowcase_key = NULL;
        dr_str_set(&r->headers_out.location->key, "Location");
        r->headers_out.location->value = val;

        return status;
    }

    r->headers_out.content_length_n = val.len;

    if (ct) {
        r->headers_out.content_type_len = ct->len;
        r->headers_out.content_type = *ct;

    } else {
        if (dr_http_set_content_type(r) != DR_OK) {
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->pos = val.data;
    b->last = val.data + val.len;
    b->memory = val.len ? 1 : 0;
    b->last_buf = 1;
    b->last_in_chain = 1;
    b->sync = (b->last_buf || b->memory) ? 0 : 1;

    out.buf = b;
    out.next = NULL;

    rc = dr_http_send_header(r);

    if (rc == DR_ERROR || rc > DR_OK || r->header_only) {
        return rc;
    }

    return dr_http_output_filter(r, &out);
}


dr_int_t
dr_http_send_header(dr_http_request_t *r)
{
    if (r->post_action) {
        return DR_OK;
    }

    if (r->header_sent) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "header already sent");
        return DR_ERROR;
    }

    if (r->err_status) {
        r->headers_out.status = r->err_status;
        r->headers_out.status_line.len = 0;
    }

    return dr_http_top_header_filter(r);
}


dr_int_t
dr_http_output_filter(dr_http_request_t *r, dr_chain_t *in)
{
    dr_int_t          rc;
    dr_connection_t  *c;

    c = r->connection;

    rc = dr_http_top_body_filter(r, in);

    if (rc == DR_ERROR) {
        /* DR_ERROR may be returned by any filter */
        c->error = 1;
    }

    return rc;
}


u_char *
dr_http_map_uri_to_path(dr_http_request_t *r, dr_str_t *path,
    size_t *root_length, size_t reserved)
{
    u_char                    *last;
    size_t                     alias;
    dr_http_core_loc_conf_t   *clcf;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    alias = clcf->alias;

    if (alias && !r->valid_location) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "\"alias\" cannot be used in location \"%V\" "
                     "where URI was rewritten", &clcf->name);
        return NULL;
    }

    if (clcf->root_lengths == NULL) {

        *root_length = clcf->root.len;

        path->len = clcf->root.len + reserved + r->uri.len - alias + 1;

        path->data = dr_pnalloc(r->pool, path->len);
        if (path->data == NULL) {
            return NULL;
        }

        last = dr_cpymem(path->data, clcf->root.data, clcf->root.len);

    } else {

        if (alias == DR_MAX_SIZE_T_VALUE) {
            reserved += r->add_uri_to_alias ? r->uri.len + 1 : 1;

        } else {
            reserved += r->uri.len - alias + 1;
        }

        if (dr_http_script_run(r, path, clcf->root_lengths->elts, reserved,
                               clcf->root_values->elts)
            == NULL)
        {
            return NULL;
        }

        if (dr_get_full_name(r->pool, (dr_str_t *) &dr_cycle->prefix, path)
            != DR_OK)
        {
            return NULL;
        }

        *root_length = path->len - reserved;
        last = path->data + *root_length;

        if (alias == DR_MAX_SIZE_T_VALUE) {
            if (!r->add_uri_to_alias) {
                *last = '\0';
                return last;
            }

            alias = 0;
        }
    }

    last = dr_cpymem(last, r->uri.data + alias, r->uri.len - alias);
    *last = '\0';

    return last;
}


dr_int_t
dr_http_server_addr(dr_http_request_t *r, dr_str_t *s)
{
    dr_connection_t  *c;

    c = r->connection;

    if (dr_connection_local_sockaddr(c, NULL, 0) != DR_OK) {
        return DR_ERROR;
    }

    if (s == NULL) {
        return DR_OK;
    }

    s->len = dr_sock_ntop(c->local_sockaddr, c->local_socklen,
                          s->data, s->len, 0);

    return DR_OK;
}


dr_int_t
dr_http_internal_redirect(dr_http_request_t *r, dr_str_t *uri,
    dr_str_t *args)
{
    dr_http_core_srv_conf_t  *cscf;

    r->uri_changes--;

    if (r->uri_changes == 0) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle "
                     "while internally redirecting to \"%V\"", uri);

        r->main->count++;
        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_DONE;
    }

    r->uri = *uri;

    if (args) {
        r->args = *args;

    } else {
        dr_str_null(&r->args);
    }

    dr_log_debug(r->connection->log, "internal redirect: \"%V?%V\"",
                 uri, &r->args);

    dr_http_set_exten(r);

    /* clear the modules contexts */
    dr_memzero(r->ctx, sizeof(void *) * dr_http_max_module);

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);
    r->loc_conf = cscf->ctx->loc_conf;

    dr_http_update_location_config(r);

    r->internal = 1;
    r->valid_unparsed_uri = 0;
    r->add_uri_to_alias = 0;
    r->main->count++;

    dr_http_handler(r);

    return DR_DONE;
}


dr_int_t
dr_http_named_location(dr_http_request_t *r, dr_str_t *name)
{
    dr_http_core_srv_conf_t    *cscf;
    dr_http_core_loc_conf_t   **clcfp;
    dr_http_core_main_conf_t   *cmcf;

    r->main->count++;
    r->uri_changes--;

    if (r->uri_changes == 0) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "rewrite or internal redirection cycle "
                     "while redirect to named location \"%V\"", name);

        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_DONE;
    }

    if (r->uri.len == 0) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                      "empty URI in redirect to named location \"%V\"", name);

        dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);
        return DR_DONE;
    }

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);

    if (cscf->named_locations) {

        for (clcfp = cscf->named_locations; *clcfp; clcfp++) {

            if (name->len != (*clcfp)->name.len
                || dr_strncmp(name->data, (*clcfp)->name.data, name->len) != 0)
            {
                continue;
            }

            r->loc_conf = (*clcfp)->loc_conf;

            /* clear the modules contexts */
            dr_memzero(r->ctx, sizeof(void *) * dr_http_max_module);

            dr_http_update_location_config(r);

            cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

            r->phase_handler = cmcf->phase_engine.location_rewrite_index;

            r->write_event_handler = dr_http_core_run_phases;
            dr_http_core_run_phases(r);

            return DR_DONE;
        }
    }

    dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                 "could not find named location \"%V\"", name);

    dr_http_finalize_request(r, DR_HTTP_INTERNAL_SERVER_ERROR);

    return DR_DONE;
}


dr_http_cleanup_t *
dr_http_cleanup_add(dr_http_request_t *r, size_t size)
{
    dr_http_cleanup_t  *cln;

    r = r->main;

    cln = dr_palloc(r->pool, sizeof(dr_http_cleanup_t));
    if (cln == NULL) {
        return NULL;
    }

    if (size) {
        cln->data = dr_palloc(r->pool, size);
        if (cln->data == NULL) {
            return NULL;
        }

    } else {
        cln->data = NULL;
    }

    cln->handler = NULL;
    cln->next = r->cleanup;

    r->cleanup = cln;

    return cln;
}


/* one bit per byte: 1 = must be escaped (nginx's tables) */

static uint32_t  dr_http_escape_uri_tbl[] = {
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0x80000029, /* 1000 0000 0000 0000  0000 0000 0010 1001 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0x80000000, /* 1000 0000 0000 0000  0000 0000 0000 0000 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};

static uint32_t  dr_http_escape_args_tbl[] = {
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0x88000869, /* 1000 1000 0000 0000  0000 1000 0110 1001 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0x80000000, /* 1000 0000 0000 0000  0000 0000 0000 0000 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};

static uint32_t  dr_http_escape_component_tbl[] = {
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0xfc009fff, /* 1111 1100 0000 0000  1001 1111 1111 1111 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x78000001, /* 0111 1000 0000 0000  0000 0000 0000 0001 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0xb8000001, /* 1011 1000 0000 0000  0000 0000 0000 0001 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};

static uint32_t  dr_http_escape_html_tbl[] = {
    0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0x000000ad, /* 0000 0000 0000 0000  0000 0000 1010 1101 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0x80000000, /* 1000 0000 0000 0000  0000 0000 0000 0000 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};

static uint32_t  dr_http_escape_refresh_tbl[] = {
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */

                /* ?>=< ;:98 7654 3210  /.-, +*)( '&%$ #"!  */
    0x00000085, /* 0000 0000 0000 0000  0000 0000 1000 0101 */

                /* _^]\ [ZYX WVUT SRQP  ONML KJIH GFED CBA@ */
    0x00000000, /* 0000 0000 0000 0000  0000 0000 0000 0000 */

                /*  ~}| {zyx wvut srqp  onml kjih gfed cba` */
    0x80000000, /* 1000 0000 0000 0000  0000 0000 0000 0000 */

    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff, /* 1111 1111 1111 1111  1111 1111 1111 1111 */
    0xffffffff  /* 1111 1111 1111 1111  1111 1111 1111 1111 */
};


uintptr_t
dr_http_escape_uri(u_char *dst, u_char *src, size_t size, dr_uint_t type)
{
    dr_uint_t           n;
    uint32_t           *escape;
    static u_char       hex[] = "0123456789ABCDEF";
    static uint32_t    *map[] = {
        dr_http_escape_uri_tbl, dr_http_escape_args_tbl,
        dr_http_escape_component_tbl, dr_http_escape_html_tbl,
        dr_http_escape_refresh_tbl
    };

    escape = map[type];

    if (dst == NULL) {

        /* find the number of the characters to be escaped */

        n = 0;

        while (size) {
            if (escape[*src >> 5] & (1U << (*src & 0x1f))) {
                n++;
            }
            src++;
            size--;
        }

        return (uintptr_t) n;
    }

    while (size) {
        if (escape[*src >> 5] & (1U << (*src & 0x1f))) {
            *dst++ = '%';
            *dst++ = hex[*src >> 4];
            *dst++ = hex[*src & 0xf];
            src++;

        } else {
            *dst++ = *src++;
        }
        size--;
    }

    return (uintptr_t) dst;
}


void
dr_http_unescape_uri(u_char **dst, u_char **src, size_t size)
{
    u_char  *d, *s, ch, c, decoded;
    enum {
        sw_usual = 0,
        sw_quoted,
        sw_quoted_second
    } state;

    d = *dst;
    s = *src;

    state = 0;
    decoded = 0;

    while (size--) {

        ch = *s++;

        switch (state) {
        case sw_usual:
            if (ch == '%') {
                state = sw_quoted;
                break;
            }

            *d++ = ch;
            break;

        case sw_quoted:

            if (ch >= '0' && ch <= '9') {
                decoded = (u_char) (ch - '0');
                state = sw_quoted_second;
                break;
            }

            c = (u_char) (ch | 0x20);
            if (c >= 'a' && c <= 'f') {
                decoded = (u_char) (c - 'a' + 10);
                state = sw_quoted_second;
                break;
            }

            /* the invalid quoted character */

            state = sw_usual;

            *d++ = '%';
            *d++ = ch;

            break;

        case sw_quoted_second:

            state = sw_usual;

            if (ch >= '0' && ch <= '9') {
                ch = (u_char) ((decoded << 4) + (ch - '0'));
                *d++ = ch;
                break;
            }

            c = (u_char) (ch | 0x20);
            if (c >= 'a' && c <= 'f') {
                ch = (u_char) ((decoded << 4) + (c - 'a') + 10);
                *d++ = ch;
                break;
            }

            /* the invalid quoted character: keep it as it was */

            *d++ = '%';
            *d++ = *(s - 2);
            *d++ = ch;

            break;
        }
    }

    if (state == sw_quoted) {
        *d++ = '%';

    } else if (state == sw_quoted_second) {
        *d++ = '%';
        *d++ = *(s - 1);
    }

    *dst = d;
    *src = s;
}
