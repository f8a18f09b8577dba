/*
 * The index module (nginx's ngx_http_index_module): for a URI ending in
 * '/', the first of the `index` files that exists in the directory is
 * served through an internal redirect to URI + name (so its location,
 * type and filters apply). An index starting with '/' is a URI: the
 * redirect goes there unconditionally. Names may hold variables.
 *
 * The files are only stat()ed here (through the static module's
 * open_file_cache and disable_symlinks). When the first one is missing,
 * the directory itself is checked once, so that a missing directory is a
 * 404 (and not the core's 403 "directory index is forbidden"). EACCES is a
 * 403 ("... is forbidden"), a refused symlink too. When no index exists
 * the module declines: autoindex, then the core's 403, answer.
 */

#include "dr_http_static_module.h"


#define DR_HTTP_INDEX_DEFAULT  "index.html"


typedef struct {
    dr_str_t                   name;       /* static name, without NUL */
    dr_http_complex_value_t   *cv;         /* a name with variables */
} dr_http_index_t;


typedef struct {
    dr_array_t                *indices;    /* dr_http_index_t */
    size_t                     max_index_len;  /* of static names, + NUL */
} dr_http_index_loc_conf_t;


static dr_int_t dr_http_index_handler(dr_http_request_t *r);
static dr_int_t dr_http_index_test_dir(dr_http_request_t *r,
    dr_http_core_loc_conf_t *clcf, u_char *path, u_char *last);
static dr_int_t dr_http_index_error(dr_http_request_t *r,
    dr_http_core_loc_conf_t *clcf, u_char *file, dr_err_t err);

static void *dr_http_index_create_loc_conf(dr_conf_t *cf);
static char *dr_http_index_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);
static char *dr_http_index_set_index(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static dr_int_t dr_http_index_init(dr_conf_t *cf);


static dr_command_t  dr_http_index_commands[] = {

    { dr_string("index"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_http_index_set_index,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_index_module_ctx = {
    .postconfiguration = dr_http_index_init,
    .create_loc_conf = dr_http_index_create_loc_conf,
    .merge_loc_conf = dr_http_index_merge_loc_conf,
};


dr_module_t  dr_http_index_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_index",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_index_module_ctx,
    .commands = dr_http_index_commands,
};


/*
 * The first index is tried before the directory is tested: valid requests
 * should cost as few system calls as possible (nginx's reasoning).
 */
static dr_int_t
dr_http_index_handler(dr_http_request_t *r)
{
    u_char                     *p, *name;
    size_t                      root, reserve, allocated;
    dr_int_t                    rc;
    dr_str_t                    path, uri, value;
    dr_uint_t                   i, dir_tested;
    dr_http_index_t            *index;
    dr_open_file_info_t         of;
    dr_http_core_loc_conf_t    *clcf;
    dr_http_index_loc_conf_t   *ilcf;

    if (r->uri.data[r->uri.len - 1] != '/') {
        return DR_DECLINED;
    }

    if (!(r->method & (DR_HTTP_GET|DR_HTTP_HEAD|DR_HTTP_POST))) {
        return DR_DECLINED;
    }

    ilcf = dr_http_get_module_loc_conf(r, dr_http_index_module);
    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    allocated = 0;
    root = 0;
    dir_tested = 0;
    name = NULL;
    path.data = NULL;
    path.len = 0;

    index = ilcf->indices->elts;

    for (i = 0; i < ilcf->indices->nelts; i++) {

        if (index[i].cv == NULL) {
            value = index[i].name;

            if (value.data[0] == '/') {
                return dr_http_internal_redirect(r, &value, &r->args);
            }

            reserve = ilcf->max_index_len;

        } else {
            if (dr_http_complex_value(r, index[i].cv, &value) != DR_OK) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (value.len == 0) {
                continue;
            }

            if (value.data[0] == '/') {
                return dr_http_internal_redirect(r, &value, &r->args);
            }

            /* 16 bytes spare, for the next ones (nginx) */
            reserve = value.len + 1 + 16;
        }

        if (reserve > allocated) {
            name = dr_http_map_uri_to_path(r, &path, &root, reserve);
            if (name == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            allocated = path.data + path.len - name;
        }

        p = dr_cpymem(name, value.data, value.len);
        *p = '\0';
        path.len = p - path.data;

        dr_memzero(&of, sizeof(dr_open_file_info_t));
        of.test_only = 1;

        if (dr_http_static_open_file(r, &path, &of) != DR_OK) {

            if (of.err == 0) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            if (of.err == EMLINK || of.err == DR_ELOOP) {
                return DR_HTTP_FORBIDDEN;
            }

            if (of.err == DR_ENOTDIR
                || of.err == ENAMETOOLONG
                || of.err == DR_EACCES)
            {
                return dr_http_index_error(r, clcf, path.data, of.err);
            }

            if (!dir_tested) {
                rc = dr_http_index_test_dir(r, clcf, path.data, name - 1);
                if (rc != DR_OK) {
                    return rc;
                }

                dir_tested = 1;
            }

            if (of.err == DR_ENOENT) {
                continue;
            }

            dr_log_error(DR_LOG_CRIT, r->connection->log, of.err,
                         "%s \"%s\" failed", of.failed, path.data);

            return DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        uri.len = r->uri.len + value.len;

        if (!clcf->alias) {
            uri.data = path.data + root;

        } else {
            uri.data = dr_pnalloc(r->pool, uri.len);
            if (uri.data == NULL) {
                return DR_HTTP_INTERNAL_SERVER_ERROR;
            }

            p = dr_cpymem(uri.data, r->uri.data, r->uri.len);
            dr_memcpy(p, value.data, value.len);
        }

        return dr_http_internal_redirect(r, &uri, &r->args);
    }

    return DR_DECLINED;
}


/*
 * Is the directory of the index there? <last> is the '/' before the index
 * name, or the byte before it for an alias without a trailing slash.
 */
static dr_int_t
dr_http_index_test_dir(dr_http_request_t *r, dr_http_core_loc_conf_t *clcf,
    u_char *path, u_char *last)
{
    u_char               c;
    dr_str_t             dir;
    dr_open_file_info_t  of;

    c = *last;

    if (c != '/' || path == last) {
        /* "alias" without a trailing slash */
        c = *(++last);
    }

    *last = '\0';

    dir.len = last - path;
    dir.data = path;

    dr_memzero(&of, sizeof(dr_open_file_info_t));
    of.test_dir = 1;
    of.test_only = 1;

    if (dr_http_static_open_file(r, &dir, &of) != DR_OK) {

        if (of.err) {

            if (of.err == EMLINK || of.err == DR_ELOOP) {
                return DR_HTTP_FORBIDDEN;
            }

            if (of.err == DR_ENOENT) {
                *last = c;
                return dr_http_index_error(r, clcf, dir.data, DR_ENOENT);
            }

            if (of.err == DR_EACCES) {

                /*
                 * The first index gave another error than EACCES: the
                 * directory can be searched, only not read.
                 */

                *last = c;
                return DR_OK;
            }

            dr_log_error(DR_LOG_CRIT, r->connection->log, of.err,
                         "%s \"%s\" failed", of.failed, dir.data);
        }

        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    *last = c;

    if (of.is_dir) {
        return DR_OK;
    }

    dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                 "\"%s\" is not a directory", dir.data);

    return DR_HTTP_INTERNAL_SERVER_ERROR;
}


static dr_int_t
dr_http_index_error(dr_http_request_t *r, dr_http_core_loc_conf_t *clcf,
    u_char *file, dr_err_t err)
{
    if (err == DR_EACCES) {
        dr_log_error(DR_LOG_ERR, r->connection->log, err,
                     "\"%s\" is forbidden", file);

        return DR_HTTP_FORBIDDEN;
    }

    if (clcf->log_not_found) {
        dr_log_error(DR_LOG_ERR, r->connection->log, err,
                     "\"%s\" is not found", file);
    }

    return DR_HTTP_NOT_FOUND;
}


static void *
dr_http_index_create_loc_conf(dr_conf_t *cf)
{
    dr_http_index_loc_conf_t  *conf;

    conf = dr_palloc(cf->pool, sizeof(dr_http_index_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->indices = NULL;
    conf->max_index_len = 0;

    return conf;
}


static char *
dr_http_index_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_index_loc_conf_t  *prev = parent;
    dr_http_index_loc_conf_t  *conf = child;

    dr_http_index_t  *index;

    if (conf->indices == NULL) {
        conf->indices = prev->indices;
        conf->max_index_len = prev->max_index_len;
    }

    if (conf->indices == NULL) {
        conf->indices = dr_array_create(cf->pool, 1, sizeof(dr_http_index_t));
        if (conf->indices == NULL) {
            return DR_CONF_ERROR;
        }

        index = dr_array_push(conf->indices);
        if (index == NULL) {
            return DR_CONF_ERROR;
        }

        dr_str_set(&index->name, DR_HTTP_INDEX_DEFAULT);
        index->cv = NULL;

        conf->max_index_len = sizeof(DR_HTTP_INDEX_DEFAULT);
    }

    return DR_CONF_OK;
}


/* index file ... */
static char *
dr_http_index_set_index(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_index_loc_conf_t  *ilcf = conf;

    dr_str_t                         *value;
    dr_uint_t                         i;
    dr_http_index_t                  *index;
    dr_http_compile_complex_value_t   ccv;

    if (ilcf->indices == NULL) {
        ilcf->indices = dr_array_create(cf->pool, 2, sizeof(dr_http_index_t));
        if (ilcf->indices == NULL) {
            return DR_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "index \"%V\" in \"index\" directive is "
                              "invalid", &value[i]);
            return DR_CONF_ERROR;
        }

        if (value[i].data[0] == '/' && i != cf->args->nelts - 1) {
            dr_conf_log_error(DR_LOG_WARN, cf, 0,
                              "only the last index in \"index\" directive "
                              "should be absolute");
        }

        index = dr_array_push(ilcf->indices);
        if (index == NULL) {
            return DR_CONF_ERROR;
        }

        index->name = value[i];
        index->cv = NULL;

        if (dr_http_script_variables_count(&value[i]) == 0) {
            if (ilcf->max_index_len < value[i].len + 1) {
                ilcf->max_index_len = value[i].len + 1;
            }

            continue;
        }

        index->cv = dr_palloc(cf->pool, sizeof(dr_http_complex_value_t));
        if (index->cv == NULL) {
            return DR_CONF_ERROR;
        }

        dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &value[i];
        ccv.complex_value = index->cv;

        if (dr_http_compile_complex_value(&ccv) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_http_index_init(dr_conf_t *cf)
{
    return dr_http_add_phase_handler(cf, DR_HTTP_CONTENT_PHASE,
                                     dr_http_index_handler);
}
