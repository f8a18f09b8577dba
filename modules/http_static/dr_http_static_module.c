/*
 * The static module (nginx's ngx_http_static_module): a CONTENT phase
 * handler that answers a GET or HEAD for a URI not ending in '/' with the
 * file root/alias + URI, as one file buf the write filter sends with
 * sendfile (or reads, with `sendfile off`). The header filters downstream
 * make 304/412 (not_modified), 206/416 (range) and gzip of it.
 *
 * Answers as nginx: 405 for a method other than GET/HEAD/POST, and for a
 * POST to a file; 301 to "URI/" (with the args) for a directory; 404 for
 * ENOENT/ENOTDIR/ENAMETOOLONG and for what is not a regular file; 403 for
 * EACCES and for a symlink refused by disable_symlinks; 500 otherwise. It
 * declines a URI ending in '/': the index and autoindex modules take it.
 *
 * It also owns the `open_file_cache*` and `disable_symlinks` directives
 * (nginx core directives) and dr_http_static_open_file(), which the
 * other static-files modules use: one place decides how files are opened.
 * A request costs one pool cleanup and one buf; with open_file_cache the
 * open()/fstat() pair is skipped while the cached entry is valid.
 */

#include "dr_http_static_module.h"


static dr_int_t dr_http_static_handler(dr_http_request_t *r);
static dr_int_t dr_http_static_redirect(dr_http_request_t *r,
    dr_http_core_loc_conf_t *clcf, dr_str_t *path, u_char *last,
    size_t root);
static dr_int_t dr_http_static_set_disable_symlinks(dr_http_request_t *r,
    dr_http_static_loc_conf_t *slcf, dr_str_t *path,
    dr_open_file_info_t *of);

static void *dr_http_static_create_loc_conf(dr_conf_t *cf);
static char *dr_http_static_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);
static char *dr_http_static_open_file_cache(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_static_disable_symlinks(dr_conf_t *cf,
    dr_command_t *cmd, void *conf);
static dr_int_t dr_http_static_init(dr_conf_t *cf);


static dr_command_t  dr_http_static_commands[] = {

    { dr_string("open_file_cache"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE12,
      dr_http_static_open_file_cache,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("open_file_cache_valid"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_sec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_static_loc_conf_t, open_file_cache_valid),
      NULL },

    { dr_string("open_file_cache_min_uses"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_static_loc_conf_t, open_file_cache_min_uses),
      NULL },

    { dr_string("open_file_cache_errors"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_static_loc_conf_t, open_file_cache_errors),
      NULL },

    { dr_string("disable_symlinks"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE12,
      dr_http_static_disable_symlinks,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_static_module_ctx = {
    .postconfiguration = dr_http_static_init,
    .create_loc_conf = dr_http_static_create_loc_conf,
    .merge_loc_conf = dr_http_static_merge_loc_conf,
};


dr_module_t  dr_http_static_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_static",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_static_module_ctx,
    .commands = dr_http_static_commands,
};


static dr_int_t
dr_http_static_handler(dr_http_request_t *r)
{
    u_char                    *last;
    size_t                     root;
    dr_int_t                   rc;
    dr_uint_t                  level;
    dr_str_t                   path;
    dr_log_t                  *log;
    dr_buf_t                  *b;
    dr_chain_t                 out;
    dr_open_file_info_t        of;
    dr_http_core_loc_conf_t   *clcf;

    if (!(r->method & (DR_HTTP_GET|DR_HTTP_HEAD|DR_HTTP_POST))) {
        return DR_HTTP_NOT_ALLOWED;
    }

    if (r->uri.data[r->uri.len - 1] == '/') {
        return DR_DECLINED;
    }

    log = r->connection->log;

    /* the map reserves the NUL's byte: room for a redirect's '/' */

    last = dr_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = last - path.data;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    dr_memzero(&of, sizeof(dr_open_file_info_t));

    if (dr_http_static_open_file(r, &path, &of) != DR_OK) {

        switch (of.err) {

        case 0:
            return DR_HTTP_INTERNAL_SERVER_ERROR;

        case DR_ENOENT:
        case DR_ENOTDIR:
        case ENAMETOOLONG:
            level = DR_LOG_ERR;
            rc = DR_HTTP_NOT_FOUND;
            break;

        case DR_EACCES:
        case EMLINK:
        case DR_ELOOP:
            level = DR_LOG_ERR;
            rc = DR_HTTP_FORBIDDEN;
            break;

        default:
            level = DR_LOG_CRIT;
            rc = DR_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        if (rc != DR_HTTP_NOT_FOUND || clcf->log_not_found) {
            dr_log_error(level, log, of.err, "%s \"%s\" failed", of.failed,
                         path.data);
        }

        return rc;
    }

    r->root_tested = !r->error_page;

    if (of.is_dir) {
        return dr_http_static_redirect(r, clcf, &path, last, root);
    }

    if (!of.is_file) {
        dr_log_error(DR_LOG_CRIT, log, 0, "\"%s\" is not a regular file",
                     path.data);
        return DR_HTTP_NOT_FOUND;
    }

    if (r->method == DR_HTTP_POST) {
        return DR_HTTP_NOT_ALLOWED;
    }

    rc = dr_http_discard_request_body(r);
    if (rc != DR_OK) {
        return rc;
    }

    log->action = "sending response to client";

    r->headers_out.status = DR_HTTP_OK;
    r->headers_out.content_length_n = of.size;
    r->headers_out.last_modified_time = of.mtime;

    if (dr_http_set_etag(r) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (dr_http_set_content_type(r) != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->allow_ranges = 1;

    /* allocate before the header goes: a failure can still be a 500 */

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->file = dr_pcalloc(r->pool, sizeof(dr_file_t));
    if (b->file == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = dr_http_send_header(r);

    if (rc == DR_ERROR || rc > DR_OK || r->header_only) {
        return rc;
    }

    b->file_pos = 0;
    b->file_last = of.size;
    b->in_file = b->file_last ? 1 : 0;
    b->last_buf = 1;
    b->last_in_chain = 1;

    b->file->fd = of.fd;
    b->file->name = path;
    b->file->log = log;

    out.buf = b;
    out.next = NULL;

    return dr_http_output_filter(r, &out);
}


/*
 * 301 to the URI with a slash (and the args). Without alias or variables
 * in root, the path already holds the URI after the root: the Location is
 * built in place over the NUL.
 */
static dr_int_t
dr_http_static_redirect(dr_http_request_t *r, dr_http_core_loc_conf_t *clcf,
    dr_str_t *path, u_char *last, size_t root)
{
    size_t           len;
    u_char          *location;
    dr_table_elt_t  *h;

    dr_http_clear_location(r);

    h = dr_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = r->uri.len + 1;

    if (!clcf->alias && clcf->root_lengths == NULL && r->args.len == 0) {
        location = path->data + root;
        *last = '/';

    } else {
        if (r->args.len) {
            len += r->args.len + 1;
        }

        location = dr_pnalloc(r->pool, len);
        if (location == NULL) {
            h->hash = 0;
            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        last = dr_cpymem(location, r->uri.data, r->uri.len);
        *last = '/';

        if (r->args.len) {
            *++last = '?';
            dr_memcpy(++last, r->args.data, r->args.len);
        }
    }

    h->hash = 1;
    h->next = NULL;
    h->lowcase_key = NULL;
    dr_str_set(&h->key, "Location");
    h->value.len = len;
    h->value.data = location;

    r->headers_out.location = h;

    return DR_HTTP_MOVED_PERMANENTLY;
}


dr_int_t
dr_http_static_open_file(dr_http_request_t *r, dr_str_t *path,
    dr_open_file_info_t *of)
{
    dr_http_static_loc_conf_t  *slcf;

    slcf = dr_http_get_module_loc_conf(r, dr_http_static_module);

    of->valid = slcf->open_file_cache_valid;
    of->min_uses = slcf->open_file_cache_min_uses;
    of->errors = slcf->open_file_cache_errors ? 1 : 0;

    if (dr_http_static_set_disable_symlinks(r, slcf, path, of) != DR_OK) {
        of->err = 0;
        return DR_ERROR;
    }

    return dr_open_cached_file(slcf->open_file_cache, path, of, r->pool);
}


/*
 * of->disable_symlinks from the location; with "from=", symlinks stay
 * allowed in that prefix of <path> (nginx's ngx_http_set_disable_symlinks:
 * a prefix that is not one of the path's directories is ignored).
 */
static dr_int_t
dr_http_static_set_disable_symlinks(dr_http_request_t *r,
    dr_http_static_loc_conf_t *slcf, dr_str_t *path, dr_open_file_info_t *of)
{
    u_char    *p;
    dr_str_t   from;

    of->disable_symlinks = slcf->disable_symlinks;
    of->disable_symlinks_from = 0;

    if (slcf->disable_symlinks_from == NULL) {
        return DR_OK;
    }

    if (dr_http_complex_value(r, slcf->disable_symlinks_from, &from)
        != DR_OK)
    {
        return DR_ERROR;
    }

    if (from.len == 0
        || from.len > path->len
        || dr_memcmp(path->data, from.data, from.len) != 0)
    {
        return DR_OK;
    }

    if (from.len == path->len) {
        of->disable_symlinks = DR_DISABLE_SYMLINKS_OFF;
        return DR_OK;
    }

    p = path->data + from.len;

    if (*p == '/') {
        of->disable_symlinks_from = from.len;
        return DR_OK;
    }

    p--;

    if (*p == '/') {
        of->disable_symlinks_from = from.len - 1;
    }

    return DR_OK;
}


static void *
dr_http_static_create_loc_conf(dr_conf_t *cf)
{
    dr_http_static_loc_conf_t  *conf;

    conf = dr_palloc(cf->pool, sizeof(dr_http_static_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->open_file_cache = DR_CONF_UNSET_PTR;
    conf->open_file_cache_valid = DR_CONF_UNSET;
    conf->open_file_cache_min_uses = DR_CONF_UNSET_UINT;
    conf->open_file_cache_errors = DR_CONF_UNSET;
    conf->disable_symlinks = DR_CONF_UNSET_UINT;
    conf->disable_symlinks_from = DR_CONF_UNSET_PTR;

    return conf;
}


static char *
dr_http_static_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_static_loc_conf_t  *prev = parent;
    dr_http_static_loc_conf_t  *conf = child;

    dr_conf_merge_ptr_value(conf->open_file_cache, prev->open_file_cache,
                            NULL);
    dr_conf_merge_sec_value(conf->open_file_cache_valid,
                            prev->open_file_cache_valid, 60);
    dr_conf_merge_uint_value(conf->open_file_cache_min_uses,
                             prev->open_file_cache_min_uses, 1);
    dr_conf_merge_value(conf->open_file_cache_errors,
                        prev->open_file_cache_errors, 0);

    dr_conf_merge_uint_value(conf->disable_symlinks, prev->disable_symlinks,
                             DR_DISABLE_SYMLINKS_OFF);
    dr_conf_merge_ptr_value(conf->disable_symlinks_from,
                            prev->disable_symlinks_from, NULL);

    return DR_CONF_OK;
}


/* open_file_cache off | max=N [inactive=time] */
static char *
dr_http_static_open_file_cache(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_static_loc_conf_t  *slcf = conf;

    time_t     inactive;
    dr_str_t  *value, s;
    dr_int_t   max;
    dr_uint_t  i, off;

    if (slcf->open_file_cache != DR_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    max = 0;
    inactive = 60;
    off = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len > 4 && dr_strncmp(value[i].data, "max=", 4) == 0) {
            max = dr_atoi(value[i].data + 4, value[i].len - 4);
            if (max <= 0) {
                goto invalid;
            }

            continue;
        }

        if (value[i].len > 9
            && dr_strncmp(value[i].data, "inactive=", 9) == 0)
        {
            s.len = value[i].len - 9;
            s.data = value[i].data + 9;

            inactive = dr_parse_time(&s, 1);
            if (inactive == (time_t) DR_ERROR) {
                goto invalid;
            }

            continue;
        }

        if (dr_str_eq_lit(&value[i], "off")) {
            off = 1;
            continue;
        }

    invalid:

        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid \"open_file_cache\" parameter \"%V\"",
                          &value[i]);
        return DR_CONF_ERROR;
    }

    if (off) {
        slcf->open_file_cache = NULL;
        return DR_CONF_OK;
    }

    if (max == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"open_file_cache\" must have the \"max\" "
                          "parameter");
        return DR_CONF_ERROR;
    }

    slcf->open_file_cache = dr_open_file_cache_init(cf->pool, max, inactive);
    if (slcf->open_file_cache == NULL) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


/* disable_symlinks off | on | if_not_owner [from=part] */
static char *
dr_http_static_disable_symlinks(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_static_loc_conf_t  *slcf = conf;

    dr_str_t                          *value, from;
    dr_uint_t                          i;
    dr_http_complex_value_t           *cv;
    dr_http_compile_complex_value_t    ccv;

    if (slcf->disable_symlinks != DR_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (dr_str_eq_lit(&value[i], "off")) {
            slcf->disable_symlinks = DR_DISABLE_SYMLINKS_OFF;
            continue;
        }

        if (dr_str_eq_lit(&value[i], "if_not_owner")) {
            slcf->disable_symlinks = DR_DISABLE_SYMLINKS_NOTOWNER;
            continue;
        }

        if (dr_str_eq_lit(&value[i], "on")) {
            slcf->disable_symlinks = DR_DISABLE_SYMLINKS_ON;
            continue;
        }

        if (value[i].len >= 5 && dr_strncmp(value[i].data, "from=", 5) == 0) {
            from.len = value[i].len - 5;
            from.data = value[i].data + 5;

            cv = dr_palloc(cf->pool, sizeof(dr_http_complex_value_t));
            if (cv == NULL) {
                return DR_CONF_ERROR;
            }

            dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));
            ccv.cf = cf;
            ccv.value = &from;
            ccv.complex_value = cv;

            if (dr_http_compile_complex_value(&ccv) != DR_OK) {
                return DR_CONF_ERROR;
            }

            slcf->disable_symlinks_from = cv;
            continue;
        }

        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                          &value[i]);
        return DR_CONF_ERROR;
    }

    if (slcf->disable_symlinks == DR_CONF_UNSET_UINT) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%V\" must have \"off\", \"on\" or "
                          "\"if_not_owner\" parameter", &cmd->name);
        return DR_CONF_ERROR;
    }

    if (cf->args->nelts == 2) {
        slcf->disable_symlinks_from = NULL;
        return DR_CONF_OK;
    }

    if (slcf->disable_symlinks_from == DR_CONF_UNSET_PTR) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "duplicate parameters \"%V %V\"",
                          &value[1], &value[2]);
        return DR_CONF_ERROR;
    }

    if (slcf->disable_symlinks == DR_DISABLE_SYMLINKS_OFF) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"from=\" cannot be used with \"off\" parameter");
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_http_static_init(dr_conf_t *cf)
{
    return dr_http_add_phase_handler(cf, DR_HTTP_CONTENT_PHASE,
                                     dr_http_static_handler);
}
