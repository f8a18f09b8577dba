/*
 * The gzip_static module (nginx's ngx_http_gzip_static_module): a CONTENT
 * phase handler that answers a GET or HEAD for "/f" with the file "f.gz"
 * next to "f", as "Content-Encoding: gzip", when it exists and:
 *
 *   gzip_static on      the client accepts gzip (dr_http_gzip_ok());
 *                       with gzip_vary on, "Vary: Accept-Encoding" is set
 *                       whenever a .gz exists, accepted or not
 *   gzip_static always  whatever the client says (for gunzip downstream)
 *
 * Otherwise it declines and the static module serves "f". The type is
 * that of "f" (r->exten is unchanged), the ETag and Last-Modified those
 * of "f.gz"; no ranges. Runs before the static module (later in the
 * module table). Needs the gzip module (gzip_ok and its directives) and
 * the static module (dr_http_static_open_file).
 */

#include "dr_http_static_module.h"
#include "dr_http_gzip.h"


#define DR_HTTP_GZIP_STATIC_OFF     0
#define DR_HTTP_GZIP_STATIC_ON      1
#define DR_HTTP_GZIP_STATIC_ALWAYS  2


typedef struct {
    dr_uint_t  enable;
} dr_http_gzip_static_loc_conf_t;


static dr_int_t dr_http_gzip_static_handler(dr_http_request_t *r);
static void *dr_http_gzip_static_create_conf(dr_conf_t *cf);
static char *dr_http_gzip_static_merge_conf(dr_conf_t *cf, void *parent,
    void *child);
static dr_int_t dr_http_gzip_static_init(dr_conf_t *cf);


static dr_conf_enum_t  dr_http_gzip_static[] = {
    { dr_string("off"), DR_HTTP_GZIP_STATIC_OFF },
    { dr_string("on"), DR_HTTP_GZIP_STATIC_ON },
    { dr_string("always"), DR_HTTP_GZIP_STATIC_ALWAYS },
    { dr_null_string, 0 }
};


static dr_command_t  dr_http_gzip_static_commands[] = {

    { dr_string("gzip_static"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_static_loc_conf_t, enable),
      &dr_http_gzip_static },

    dr_null_command
};


static dr_http_module_t  dr_http_gzip_static_module_ctx = {
    .postconfiguration = dr_http_gzip_static_init,
    .create_loc_conf = dr_http_gzip_static_create_conf,
    .merge_loc_conf = dr_http_gzip_static_merge_conf,
};


dr_module_t  dr_http_gzip_static_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_gzip_static",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_gzip_static_module_ctx,
    .commands = dr_http_gzip_static_commands,
};


static dr_int_t
dr_http_gzip_static_handler(dr_http_request_t *r)
{
    u_char                           *p;
    size_t                            root;
    dr_str_t                          path;
    dr_int_t                          rc;
    dr_uint_t                         level;
    dr_log_t                         *log;
    dr_buf_t                         *b;
    dr_chain_t                        out;
    dr_table_elt_t                   *h;
    dr_open_file_info_t               of;
    dr_http_gzip_loc_conf_t          *glcf;
    dr_http_gzip_static_loc_conf_t   *gzcf;

    if (!(r->method & (DR_HTTP_GET|DR_HTTP_HEAD))) {
        return DR_DECLINED;
    }

    if (r->uri.data[r->uri.len - 1] == '/') {
        return DR_DECLINED;
    }

    gzcf = dr_http_get_module_loc_conf(r, dr_http_gzip_static_module);

    if (gzcf->enable == DR_HTTP_GZIP_STATIC_OFF) {
        return DR_DECLINED;
    }

    if (gzcf->enable == DR_HTTP_GZIP_STATIC_ON) {
        rc = dr_http_gzip_ok(r);

    } else {
        rc = DR_OK;
    }

    glcf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

    if (!glcf->vary && rc != DR_OK) {
        return DR_DECLINED;
    }

    log = r->connection->log;

    p = dr_http_map_uri_to_path(r, &path, &root, sizeof(".gz") - 1);
    if (p == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    *p++ = '.';
    *p++ = 'g';
    *p++ = 'z';
    *p = '\0';

    path.len = p - path.data;

    dr_memzero(&of, sizeof(dr_open_file_info_t));

    if (dr_http_static_open_file(r, &path, &of) != DR_OK) {

        switch (of.err) {

        case 0:
            return DR_HTTP_INTERNAL_SERVER_ERROR;

        case DR_ENOENT:
        case DR_ENOTDIR:
        case ENAMETOOLONG:
            return DR_DECLINED;

        case DR_EACCES:
        case EMLINK:
        case DR_ELOOP:
            level = DR_LOG_ERR;
            break;

        default:
            level = DR_LOG_CRIT;
            break;
        }

        dr_log_error(level, log, of.err, "%s \"%s\" failed", of.failed,
                     path.data);

        return DR_DECLINED;
    }

    if (gzcf->enable == DR_HTTP_GZIP_STATIC_ON) {

        /* the core's header filter adds "Vary: Accept-Encoding" */

        if (glcf->vary) {
            r->gzip_vary = 1;
        }

        if (rc != DR_OK) {
            return DR_DECLINED;
        }
    }

    if (of.is_dir) {
        return DR_DECLINED;
    }

    if (!of.is_file) {
        dr_log_error(DR_LOG_CRIT, log, 0, "\"%s\" is not a regular file",
                     path.data);
        return DR_HTTP_NOT_FOUND;
    }

    r->root_tested = !r->error_page;

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

    h = dr_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    h->lowcase_key = NULL;
    dr_str_set(&h->key, "Content-Encoding");
    dr_str_set(&h->value, "gzip");
    r->headers_out.content_encoding = h;

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


static void *
dr_http_gzip_static_create_conf(dr_conf_t *cf)
{
    dr_http_gzip_static_loc_conf_t  *conf;

    conf = dr_palloc(cf->pool, sizeof(dr_http_gzip_static_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = DR_CONF_UNSET_UINT;

    return conf;
}


static char *
dr_http_gzip_static_merge_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_gzip_static_loc_conf_t  *prev = parent;
    dr_http_gzip_static_loc_conf_t  *conf = child;

    dr_conf_merge_uint_value(conf->enable, prev->enable,
                             DR_HTTP_GZIP_STATIC_OFF);

    return DR_CONF_OK;
}


static dr_int_t
dr_http_gzip_static_init(dr_conf_t *cf)
{
    return dr_http_add_phase_handler(cf, DR_HTTP_CONTENT_PHASE,
                                     dr_http_gzip_static_handler);
}
