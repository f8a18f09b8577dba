/*
 * Variables (nginx's ngx_http_variables.c).
 *
 * Config time: modules declare variables (dr_http_add_variable) into
 * cmcf->variables_keys; users ask for indexes (dr_http_get_variable_index)
 * which grow cmcf->variables. At the end of http{} every indexed name is
 * bound to its declaration or a prefix one ($http_*, $arg_*, ...), else
 * "unknown variable" stops the configuration. Run time: r->variables[i]
 * is computed on first use; values point into the request, its buffer
 * or r->pool and are never copied otherwise. Regex captures become
 * $1..$9 through r->captures, named ones become variables.
 */

#include "dr_http.h"


static dr_http_variable_t *dr_http_add_prefix_variable(dr_conf_t *cf,
    dr_str_t *name, dr_uint_t flags);

static dr_int_t dr_http_variable_request(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static void dr_http_variable_request_set(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_line(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_header(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_headers_internal(dr_http_request_t *r,
    dr_http_variable_value_t *v, dr_table_elt_t *h, u_char sep);
static dr_int_t dr_http_variable_unknown_header_in(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_unknown_header_out(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_unknown_trailer_out(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_cookie(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_argument(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_host(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_binary_remote_addr(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_remote_addr(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_remote_port(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_server_addr(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_server_port(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_scheme(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_https(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_is_args(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_document_root(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_realpath_root(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_filename(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_server_name(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_method(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_remote_user(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_bytes_sent(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_body_bytes_sent(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_pipe(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_completion(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_body(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_body_file(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_length(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_time(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_request_id(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_status(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_content_length(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_content_type(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_content_length(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_location(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_last_modified(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_connection(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_keep_alive(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_sent_transfer_encoding(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_connection(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_connection_requests(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_connection_time(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_version(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_hostname(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_pid(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_msec(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_time_iso8601(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_time_local(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
static dr_int_t dr_http_variable_not_found(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);


/*
 * the $http_host, $http_user_agent, $http_referer, and $http_via
 * variables may be handled by generic
 * dr_http_variable_unknown_header_in(), but for performance reasons
 * they are handled using dedicated entries
 */

static dr_http_variable_t  dr_http_core_variables[] = {

    { dr_string("http_host"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.host), 0, 0 },

    { dr_string("http_user_agent"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.user_agent), 0, 0 },

    { dr_string("http_referer"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.referer), 0, 0 },

    { dr_string("http_via"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.via), 0, 0 },

    { dr_string("http_x_forwarded_for"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.x_forwarded_for), 0, 0 },

    { dr_string("http_cookie"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.cookie), 0, 0 },

    { dr_string("content_length"), NULL, dr_http_variable_content_length,
      0, 0, 0 },

    { dr_string("content_type"), NULL, dr_http_variable_header,
      offsetof(dr_http_request_t, headers_in.content_type), 0, 0 },

    { dr_string("host"), NULL, dr_http_variable_host, 0, 0, 0 },

    { dr_string("binary_remote_addr"), NULL,
      dr_http_variable_binary_remote_addr, 0, 0, 0 },

    { dr_string("remote_addr"), NULL, dr_http_variable_remote_addr, 0, 0, 0 },

    { dr_string("remote_port"), NULL, dr_http_variable_remote_port, 0, 0, 0 },

    { dr_string("server_addr"), NULL, dr_http_variable_server_addr, 0, 0, 0 },

    { dr_string("server_port"), NULL, dr_http_variable_server_port, 0, 0, 0 },

    { dr_string("server_protocol"), NULL, dr_http_variable_request,
      offsetof(dr_http_request_t, http_protocol), 0, 0 },

    { dr_string("scheme"), NULL, dr_http_variable_scheme, 0, 0, 0 },

    { dr_string("https"), NULL, dr_http_variable_https, 0, 0, 0 },

    { dr_string("request_uri"), NULL, dr_http_variable_request,
      offsetof(dr_http_request_t, unparsed_uri), 0, 0 },

    { dr_string("uri"), NULL, dr_http_variable_request,
      offsetof(dr_http_request_t, uri),
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("document_uri"), NULL, dr_http_variable_request,
      offsetof(dr_http_request_t, uri),
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("request"), NULL, dr_http_variable_request_line, 0, 0, 0 },

    { dr_string("document_root"), NULL,
      dr_http_variable_document_root, 0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("realpath_root"), NULL,
      dr_http_variable_realpath_root, 0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("query_string"), NULL, dr_http_variable_request,
      offsetof(dr_http_request_t, args),
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("args"),
      dr_http_variable_request_set,
      dr_http_variable_request,
      offsetof(dr_http_request_t, args),
      DR_HTTP_VAR_CHANGEABLE|DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("is_args"), NULL, dr_http_variable_is_args,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("request_filename"), NULL,
      dr_http_variable_request_filename, 0,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("server_name"), NULL, dr_http_variable_server_name, 0, 0, 0 },

    { dr_string("request_method"), NULL,
      dr_http_variable_request_method, 0,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("remote_user"), NULL, dr_http_variable_remote_user, 0, 0, 0 },

    { dr_string("bytes_sent"), NULL, dr_http_variable_bytes_sent,
      0, 0, 0 },

    { dr_string("body_bytes_sent"), NULL, dr_http_variable_body_bytes_sent,
      0, 0, 0 },

    { dr_string("pipe"), NULL, dr_http_variable_pipe,
      0, 0, 0 },

    { dr_string("request_completion"), NULL,
      dr_http_variable_request_completion,
      0, 0, 0 },

    { dr_string("request_body"), NULL,
      dr_http_variable_request_body,
      0, 0, 0 },

    { dr_string("request_body_file"), NULL,
      dr_http_variable_request_body_file,
      0, 0, 0 },

    { dr_string("request_length"), NULL, dr_http_variable_request_length,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("request_time"), NULL, dr_http_variable_request_time,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("request_id"), NULL,
      dr_http_variable_request_id,
      0, 0, 0 },

    { dr_string("status"), NULL,
      dr_http_variable_status, 0,
      DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("sent_http_content_type"), NULL,
      dr_http_variable_sent_content_type, 0, 0, 0 },

    { dr_string("sent_http_content_length"), NULL,
      dr_http_variable_sent_content_length, 0, 0, 0 },

    { dr_string("sent_http_location"), NULL,
      dr_http_variable_sent_location, 0, 0, 0 },

    { dr_string("sent_http_last_modified"), NULL,
      dr_http_variable_sent_last_modified, 0, 0, 0 },

    { dr_string("sent_http_connection"), NULL,
      dr_http_variable_sent_connection, 0, 0, 0 },

    { dr_string("sent_http_keep_alive"), NULL,
      dr_http_variable_sent_keep_alive, 0, 0, 0 },

    { dr_string("sent_http_transfer_encoding"), NULL,
      dr_http_variable_sent_transfer_encoding, 0, 0, 0 },

    { dr_string("connection"), NULL,
      dr_http_variable_connection, 0, 0, 0 },

    { dr_string("connection_requests"), NULL,
      dr_http_variable_connection_requests, 0, 0, 0 },

    { dr_string("connection_time"), NULL, dr_http_variable_connection_time,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("nginx_version"), NULL, dr_http_variable_version,
      0, 0, 0 },

    { dr_string("drover_version"), NULL, dr_http_variable_version,
      0, 0, 0 },

    { dr_string("hostname"), NULL, dr_http_variable_hostname,
      0, 0, 0 },

    { dr_string("pid"), NULL, dr_http_variable_pid,
      0, 0, 0 },

    { dr_string("msec"), NULL, dr_http_variable_msec,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("time_iso8601"), NULL, dr_http_variable_time_iso8601,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("time_local"), NULL, dr_http_variable_time_local,
      0, DR_HTTP_VAR_NOCACHEABLE, 0 },

    { dr_string("http_"), NULL, dr_http_variable_unknown_header_in,
      0, DR_HTTP_VAR_PREFIX, 0 },

    { dr_string("sent_http_"), NULL, dr_http_variable_unknown_header_out,
      0, DR_HTTP_VAR_PREFIX, 0 },

    { dr_string("sent_trailer_"), NULL, dr_http_variable_unknown_trailer_out,
      0, DR_HTTP_VAR_PREFIX, 0 },

    { dr_string("cookie_"), NULL, dr_http_variable_cookie,
      0, DR_HTTP_VAR_PREFIX, 0 },

    { dr_string("arg_"), NULL, dr_http_variable_argument,
      0, DR_HTTP_VAR_NOCACHEABLE|DR_HTTP_VAR_PREFIX, 0 },

      dr_http_null_variable
};


dr_http_variable_value_t  dr_http_variable_null_value =
    dr_http_variable("");
dr_http_variable_value_t  dr_http_variable_true_value =
    dr_http_variable("1");


static dr_uint_t  dr_http_variable_depth = 100;


dr_http_variable_t *
dr_http_add_variable(dr_conf_t *cf, dr_str_t *name, dr_uint_t flags)
{
    dr_int_t                   rc;
    dr_uint_t                  i;
    dr_hash_key_t             *key;
    dr_http_variable_t        *v;
    dr_http_core_main_conf_t  *cmcf;

    if (name->len == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid variable name \"$\"");
        return NULL;
    }

    if (flags & DR_HTTP_VAR_PREFIX) {
        return dr_http_add_prefix_variable(cf, name, flags);
    }

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    key = cmcf->variables_keys->keys.elts;
    for (i = 0; i < cmcf->variables_keys->keys.nelts; i++) {
        if (name->len != key[i].key.len
            || dr_strncasecmp(name->data, key[i].key.data, name->len) != 0)
        {
            continue;
        }

        v = key[i].value;

        if (!(v->flags & DR_HTTP_VAR_CHANGEABLE)) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "the duplicate \"%V\" variable", name);
            return NULL;
        }

        if (!(flags & DR_HTTP_VAR_WEAK)) {
            v->flags &= ~DR_HTTP_VAR_WEAK;
        }

        return v;
    }

    v = dr_palloc(cf->pool, sizeof(dr_http_variable_t));
    if (v == NULL) {
        return NULL;
    }

    v->name.len = name->len;
    v->name.data = dr_pnalloc(cf->pool, name->len);
    if (v->name.data == NULL) {
        return NULL;
    }

    dr_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = flags;
    v->index = 0;

    rc = dr_hash_add_key(cmcf->variables_keys, &v->name, v, 0);

    if (rc == DR_ERROR) {
        return NULL;
    }

    if (rc == DR_BUSY) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "conflicting variable name \"%V\"", name);
        return NULL;
    }

    return v;
}


static dr_http_variable_t *
dr_http_add_prefix_variable(dr_conf_t *cf, dr_str_t *name, dr_uint_t flags)
{
    dr_uint_t                  i;
    dr_http_variable_t        *v;
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    v = cmcf->prefix_variables.elts;
    for (i = 0; i < cmcf->prefix_variables.nelts; i++) {
        if (name->len != v[i].name.len
            || dr_strncasecmp(name->data, v[i].name.data, name->len) != 0)
        {
            continue;
        }

        v = &v[i];

        if (!(v->flags & DR_HTTP_VAR_CHANGEABLE)) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "the duplicate \"%V\" variable", name);
            return NULL;
        }

        if (!(flags & DR_HTTP_VAR_WEAK)) {
            v->flags &= ~DR_HTTP_VAR_WEAK;
        }

        return v;
    }

    v = dr_array_push(&cmcf->prefix_variables);
    if (v == NULL) {
        return NULL;
    }

    v->name.len = name->len;
    v->name.data = dr_pnalloc(cf->pool, name->len);
    if (v->name.data == NULL) {
        return NULL;
    }

    dr_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = flags;
    v->index = 0;

    return v;
}


dr_int_t
dr_http_get_variable_index(dr_conf_t *cf, dr_str_t *name)
{
    dr_uint_t                  i;
    dr_http_variable_t        *v;
    dr_http_core_main_conf_t  *cmcf;

    if (name->len == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid variable name \"$\"");
        return DR_ERROR;
    }

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    v = cmcf->variables.elts;

    if (v == NULL) {
        if (dr_array_init(&cmcf->variables, cf->pool, 4,
                          sizeof(dr_http_variable_t))
            != DR_OK)
        {
            return DR_ERROR;
        }

    } else {
        for (i = 0; i < cmcf->variables.nelts; i++) {
            if (name->len != v[i].name.len
                || dr_strncasecmp(name->data, v[i].name.data, name->len) != 0)
            {
                continue;
            }

            return i;
        }
    }

    v = dr_array_push(&cmcf->variables);
    if (v == NULL) {
        return DR_ERROR;
    }

    v->name.len = name->len;
    v->name.data = dr_pnalloc(cf->pool, name->len);
    if (v->name.data == NULL) {
        return DR_ERROR;
    }

    dr_strlow(v->name.data, name->data, name->len);

    v->set_handler = NULL;
    v->get_handler = NULL;
    v->data = 0;
    v->flags = 0;
    v->index = cmcf->variables.nelts - 1;

    return v->index;
}


dr_http_variable_value_t *
dr_http_get_indexed_variable(dr_http_request_t *r, dr_uint_t index)
{
    dr_http_variable_t        *v;
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    if (cmcf->variables.nelts <= index) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "unknown variable index: %ui", index);
        return NULL;
    }

    if (r->variables[index].not_found || r->variables[index].valid) {
        return &r->variables[index];
    }

    v = cmcf->variables.elts;

    if (dr_http_variable_depth == 0) {
        dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                     "cycle while evaluating variable \"%V\"",
                     &v[index].name);
        return NULL;
    }

    dr_http_variable_depth--;

    if (v[index].get_handler(r, &r->variables[index], v[index].data)
        == DR_OK)
    {
        dr_http_variable_depth++;

        if (v[index].flags & DR_HTTP_VAR_NOCACHEABLE) {
            r->variables[index].no_cacheable = 1;
        }

        return &r->variables[index];
    }

    dr_http_variable_depth++;

    r->variables[index].valid = 0;
    r->variables[index].not_found = 1;

    return NULL;
}


dr_http_variable_value_t *
dr_http_get_flushed_variable(dr_http_request_t *r, dr_uint_t index)
{
    dr_http_variable_value_t  *v;

    v = &r->variables[index];

    if (v->valid || v->not_found) {
        if (!v->no_cacheable) {
            return v;
        }

        v->valid = 0;
        v->not_found = 0;
    }

    return dr_http_get_indexed_variable(r, index);
}


dr_http_variable_value_t *
dr_http_get_variable(dr_http_request_t *r, dr_str_t *name, dr_uint_t key)
{
    size_t                      len;
    dr_uint_t                   i, n;
    dr_http_variable_t         *v;
    dr_http_variable_value_t   *vv;
    dr_http_core_main_conf_t   *cmcf;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    v = dr_hash_find(&cmcf->variables_hash, key, name->data, name->len);

    if (v) {
        if (v->flags & DR_HTTP_VAR_INDEXED) {
            return dr_http_get_flushed_variable(r, v->index);
        }

        if (dr_http_variable_depth == 0) {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "cycle while evaluating variable \"%V\"", name);
            return NULL;
        }

        dr_http_variable_depth--;

        vv = dr_palloc(r->pool, sizeof(dr_http_variable_value_t));

        if (vv && v->get_handler(r, vv, v->data) == DR_OK) {
            dr_http_variable_depth++;
            return vv;
        }

        dr_http_variable_depth++;
        return NULL;
    }

    vv = dr_palloc(r->pool, sizeof(dr_http_variable_value_t));
    if (vv == NULL) {
        return NULL;
    }

    len = 0;

    v = cmcf->prefix_variables.elts;
    n = cmcf->prefix_variables.nelts;

    for (i = 0; i < cmcf->prefix_variables.nelts; i++) {
        if (name->len >= v[i].name.len && name->len > len
            && dr_strncmp(name->data, v[i].name.data, v[i].name.len) == 0)
        {
            len = v[i].name.len;
            n = i;
        }
    }

    if (n != cmcf->prefix_variables.nelts) {
        if (v[n].get_handler(r, vv, (uintptr_t) name) == DR_OK) {
            return vv;
        }

        return NULL;
    }

    vv->not_found = 1;

    return vv;
}


static dr_int_t
dr_http_variable_request(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_str_t  *s;

    s = (dr_str_t *) ((char *) r + data);

    if (s->data) {
        v->len = s->len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = s->data;

    } else {
        v->not_found = 1;
    }

    return DR_OK;
}


static void
dr_http_variable_request_set(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_str_t  *s;

    s = (dr_str_t *) ((char *) r + data);

    s->len = v->len;
    s->data = v->data;
}


static dr_int_t
dr_http_variable_request_line(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->request_line.data == NULL) {
        v->not_found = 1;
        return DR_OK;
    }

    v->len = r->request_line.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = r->request_line.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_header(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_table_elt_t  *h;

    h = *(dr_table_elt_t **) ((char *) r + data);

    return dr_http_variable_headers_internal(r, v, h,
                 (data == offsetof(dr_http_request_t, headers_in.cookie))
                 ? ';' : ',');
}


/* the lines of one name, joined with ", " ("; " for Cookie) */
static dr_int_t
dr_http_variable_headers_internal(dr_http_request_t *r,
    dr_http_variable_value_t *v, dr_table_elt_t *h, u_char sep)
{
    size_t           len;
    u_char          *p;
    dr_table_elt_t  *th;

    len = 0;

    for (th = h; th; th = th->next) {

        if (th->hash == 0) {
            continue;
        }

        len += th->value.len + 2;
    }

    if (len == 0) {
        v->not_found = 1;
        return DR_OK;
    }

    len -= 2;

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    if (h->next == NULL) {
        v->len = h->value.len;
        v->data = h->value.data;

        return DR_OK;
    }

    p = dr_pnalloc(r->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = len;
    v->data = p;

    for (th = h; th; th = th->next) {

        if (th->hash == 0) {
            continue;
        }

        p = dr_cpymem(p, th->value.data, th->value.len);

        if (th->next == NULL) {
            break;
        }

        *p++ = sep; *p++ = ' ';
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_unknown_header_in(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    return dr_http_variable_unknown_header(r, v, (dr_str_t *) data,
                                           &r->headers_in.headers.part,
                                           sizeof("http_") - 1);
}


static dr_int_t
dr_http_variable_unknown_header_out(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    return dr_http_variable_unknown_header(r, v, (dr_str_t *) data,
                                           &r->headers_out.headers.part,
                                           sizeof("sent_http_") - 1);
}


static dr_int_t
dr_http_variable_unknown_trailer_out(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    return dr_http_variable_unknown_header(r, v, (dr_str_t *) data,
                                           &r->headers_out.trailers.part,
                                           sizeof("sent_trailer_") - 1);
}


dr_int_t
dr_http_variable_unknown_header(dr_http_request_t *r,
    dr_http_variable_value_t *v, dr_str_t *var, dr_list_part_t *part,
    size_t prefix)
{
    u_char           *p, ch;
    size_t            len;
    dr_uint_t         i, n;
    dr_table_elt_t   *header, *h, **ph;

    ph = &h;

    len = 0;

    header = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        if (header[i].key.len != var->len - prefix) {
            continue;
        }

        for (n = 0; n < var->len - prefix; n++) {
            ch = header[i].key.data[n];

            if (ch >= 'A' && ch <= 'Z') {
                ch |= 0x20;

            } else if (ch == '-') {
                ch = '_';
            }

            if (var->data[n + prefix] != ch) {
                break;
            }
        }

        if (n != var->len - prefix) {
            continue;
        }

        len += header[i].value.len + 2;

        *ph = &header[i];
        ph = &header[i].next;
    }

    *ph = NULL;

    if (h == NULL) {
        v->not_found = 1;
        return DR_OK;
    }

    len -= 2;

    if (h->next == NULL) {

        v->len = h->value.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = h->value.data;

        return DR_OK;
    }

    p = dr_pnalloc(r->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    for ( ;; ) {

        p = dr_cpymem(p, h->value.data, h->value.len);

        if (h->next == NULL) {
            break;
        }

        if (prefix == sizeof("http_") - 1
            && var->len - prefix == sizeof("cookie") - 1
            && dr_strncmp(var->data + prefix, "cookie", 6) == 0)
        {
            *p++ = ';'; *p++ = ' ';

        } else {
            *p++ = ','; *p++ = ' ';
        }

        h = h->next;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_cookie(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_str_t *name = (dr_str_t *) data;

    dr_str_t  cookie, s;

    s.len = name->len - (sizeof("cookie_") - 1);
    s.data = name->data + sizeof("cookie_") - 1;

    if (dr_http_cookie(r, &s, &cookie) == NULL) {
        v->not_found = 1;
        return DR_OK;
    }

    v->len = cookie.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = cookie.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_argument(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_str_t *name = (dr_str_t *) data;

    u_char     *arg;
    size_t      len;
    dr_str_t    value;

    len = name->len - (sizeof("arg_") - 1);
    arg = name->data + sizeof("arg_") - 1;

    if (len == 0 || dr_http_arg(r, arg, len, &value) != DR_OK) {
        v->not_found = 1;
        return DR_OK;
    }

    v->data = value.data;
    v->len = value.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


static dr_int_t
dr_http_variable_host(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_http_core_srv_conf_t  *cscf;

    if (r->headers_in.server.len) {
        v->len = r->headers_in.server.len;
        v->data = r->headers_in.server.data;

    } else {
        cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);

        v->len = cscf->server_name.len;
        v->data = cscf->server_name.data;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


static dr_int_t
dr_http_variable_binary_remote_addr(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    struct sockaddr_in   *sin;
#if (DR_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    switch (r->connection->sockaddr->sa_family) {

#if (DR_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;

        v->len = sizeof(struct in6_addr);
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = sin6->sin6_addr.s6_addr;

        break;
#endif

    case AF_UNIX:

        v->len = r->connection->addr_text.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->connection->addr_text.data;

        break;

    default: /* AF_INET */
        sin = (struct sockaddr_in *) r->connection->sockaddr;

        v->len = sizeof(in_addr_t);
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = (u_char *) &sin->sin_addr;

        break;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_remote_addr(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    v->len = r->connection->addr_text.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = r->connection->addr_text.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_remote_port(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_uint_t  port;

    v->len = 0;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    v->data = dr_pnalloc(r->pool, sizeof("65535") - 1);
    if (v->data == NULL) {
        return DR_ERROR;
    }

    port = dr_inet_get_port(r->connection->sockaddr);

    if (port > 0 && port < 65536) {
        v->len = dr_sprintf(v->data, "%ui", port) - v->data;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_server_addr(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_str_t  s;
    u_char    addr[DR_SOCKADDR_STRLEN];

    s.len = DR_SOCKADDR_STRLEN;
    s.data = addr;

    if (dr_connection_local_sockaddr(r->connection, &s, 0) != DR_OK) {
        return DR_ERROR;
    }

    s.data = dr_pnalloc(r->pool, s.len);
    if (s.data == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(s.data, addr, s.len);

    v->len = s.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = s.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_server_port(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_uint_t  port;

    v->len = 0;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    if (dr_connection_local_sockaddr(r->connection, NULL, 0) != DR_OK) {
        return DR_ERROR;
    }

    v->data = dr_pnalloc(r->pool, sizeof("65535") - 1);
    if (v->data == NULL) {
        return DR_ERROR;
    }

    port = dr_inet_get_port(r->connection->local_sockaddr);

    if (port > 0 && port < 65536) {
        v->len = dr_sprintf(v->data, "%ui", port) - v->data;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_scheme(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    v->len = sizeof("http") - 1;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) "http";

    return DR_OK;
}


static dr_int_t
dr_http_variable_https(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    *v = dr_http_variable_null_value;

    return DR_OK;
}


static dr_int_t
dr_http_variable_is_args(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->args.len == 0) {
        *v = dr_http_variable_null_value;
        return DR_OK;
    }

    v->len = 1;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) "?";

    return DR_OK;
}


static dr_int_t
dr_http_variable_document_root(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_str_t                  path;
    dr_http_core_loc_conf_t  *clcf;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->root_lengths == NULL) {
        v->len = clcf->root.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = clcf->root.data;

    } else {
        if (dr_http_script_run(r, &path, clcf->root_lengths->elts, 0,
                               clcf->root_values->elts)
            == NULL)
        {
            return DR_ERROR;
        }

        if (dr_get_full_name(r->pool, (dr_str_t *) &dr_cycle->prefix, &path)
            != DR_OK)
        {
            return DR_ERROR;
        }

        v->len = path.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = path.data;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_realpath_root(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char                    *real;
    size_t                     len;
    dr_str_t                   path;
    dr_http_core_loc_conf_t   *clcf;
    u_char                     buffer[PATH_MAX];

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->root_lengths == NULL) {
        path = clcf->root;

    } else {
        if (dr_http_script_run(r, &path, clcf->root_lengths->elts, 1,
                               clcf->root_values->elts)
            == NULL)
        {
            return DR_ERROR;
        }

        path.data[path.len - 1] = '\0';

        if (dr_get_full_name(r->pool, (dr_str_t *) &dr_cycle->prefix, &path)
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    path.data = (u_char *) dr_pstrz(r->pool, &path);
    if (path.data == NULL) {
        return DR_ERROR;
    }

    real = (u_char *) realpath((char *) path.data, (char *) buffer);

    if (real == NULL) {
        dr_log_error(DR_LOG_CRIT, r->connection->log, errno,
                     "realpath() \"%s\" failed", path.data);
        return DR_ERROR;
    }

    len = dr_strlen(real);

    v->data = dr_pnalloc(r->pool, len);
    if (v->data == NULL) {
        return DR_ERROR;
    }

    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    dr_memcpy(v->data, real, len);

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_filename(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    size_t     root;
    dr_str_t   path;

    if (dr_http_map_uri_to_path(r, &path, &root, 0) == NULL) {
        return DR_ERROR;
    }

    /* dr_http_map_uri_to_path() allocates memory for terminating '\0' */

    v->len = path.len - 1;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = path.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_server_name(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_http_core_srv_conf_t  *cscf;

    cscf = dr_http_get_module_srv_conf(r, dr_http_core_module);

    v->len = cscf->server_name.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = cscf->server_name.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_method(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->main->method_name.data) {
        v->len = r->main->method_name.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->main->method_name.data;

    } else {
        v->not_found = 1;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_remote_user(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    /* basic authentication is not built in: never set */
    v->not_found = 1;

    return DR_OK;
}


static dr_int_t
dr_http_variable_bytes_sent(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, DR_OFF_T_LEN);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = dr_sprintf(p, "%O", r->connection->sent) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_body_bytes_sent(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    off_t    sent;
    u_char  *p;

    sent = r->connection->sent - r->header_size;

    if (sent < 0) {
        sent = 0;
    }

    p = dr_pnalloc(r->pool, DR_OFF_T_LEN);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = dr_sprintf(p, "%O", sent) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_pipe(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    v->data = (u_char *) (r->pipeline ? "p" : ".");
    v->len = 1;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_completion(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->request_complete) {
        v->len = 2;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = (u_char *) "OK";

        return DR_OK;
    }

    *v = dr_http_variable_null_value;

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_body(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char      *p;
    size_t       len;
    dr_buf_t    *buf;
    dr_chain_t  *cl;

    if (r->request_body == NULL
        || r->request_body->bufs == NULL
        || r->request_body->temp_file)
    {
        v->not_found = 1;

        return DR_OK;
    }

    cl = r->request_body->bufs;
    buf = cl->buf;

    if (cl->next == NULL) {
        v->len = buf->last - buf->pos;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = buf->pos;

        return DR_OK;
    }

    len = 0;

    for ( /* void */ ; cl; cl = cl->next) {
        len += cl->buf->last - cl->buf->pos;
    }

    p = dr_pnalloc(r->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->data = p;
    cl = r->request_body->bufs;

    for ( /* void */ ; cl; cl = cl->next) {
        p = dr_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_body_file(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->request_body == NULL || r->request_body->temp_file == NULL) {
        v->not_found = 1;

        return DR_OK;
    }

    v->len = r->request_body->temp_file->file.name.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = r->request_body->temp_file->file.name.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_length(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, DR_OFF_T_LEN);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = dr_sprintf(p, "%O", r->request_length) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_request_time(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char        *p;
    dr_time_t     *tp;
    dr_msec_int_t  ms;

    p = dr_pnalloc(r->pool, DR_TIME_T_LEN + 4);
    if (p == NULL) {
        return DR_ERROR;
    }

    tp = dr_timeofday();

    ms = (dr_msec_int_t)
             ((tp->sec - r->start_sec) * 1000 + (tp->msec - r->start_msec));
    ms = dr_max(ms, 0);

    v->len = dr_sprintf(p, "%T.%03M", (time_t) ms / 1000,
                        (dr_msec_t) (ms % 1000)) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


/*
 * 16 random bytes in hex. A per-process xorshift128+ seeded once from
 * getrandom(): no syscall per request, unpredictable enough for an id
 * (not a secret).
 */
static dr_int_t
dr_http_variable_request_id(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char           *id;
    uint64_t          s1, s0, out[2];
    dr_uint_t         i;
    static uint64_t   state[2];

    id = dr_pnalloc(r->pool, 32);
    if (id == NULL) {
        return DR_ERROR;
    }

    if (state[0] == 0 && state[1] == 0) {
        if (getentropy(state, sizeof(state)) != 0) {
            state[0] = (uint64_t) getpid() * 0x9e3779b97f4a7c15ULL
                       ^ (uint64_t) dr_current_msec;
            state[1] = (uint64_t) time(NULL) * 0xbf58476d1ce4e5b9ULL;
        }

        state[0] |= 1;
    }

    for (i = 0; i < 2; i++) {
        s1 = state[0];
        s0 = state[1];
        state[0] = s0;
        s1 ^= s1 << 23;
        state[1] = s1 ^ s0 ^ (s1 >> 17) ^ (s0 >> 26);
        out[i] = state[1] + s0;
    }

    dr_hex_dump(id, (u_char *) out, 16);

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->len = 32;
    v->data = id;

    return DR_OK;
}


static dr_int_t
dr_http_variable_status(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_uint_t  status;

    v->data = dr_pnalloc(r->pool, DR_INT_T_LEN);
    if (v->data == NULL) {
        return DR_ERROR;
    }

    if (r->err_status) {
        status = r->err_status;

    } else if (r->headers_out.status) {
        status = r->headers_out.status;

    } else if (r->http_version == DR_HTTP_VERSION_9) {
        status = 9;

    } else {
        status = 0;
    }

    v->len = dr_sprintf(v->data, "%03ui", status) - v->data;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return DR_OK;
}


static dr_int_t
dr_http_variable_content_length(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    if (r->headers_in.content_length) {
        v->len = r->headers_in.content_length->value.len;
        v->data = r->headers_in.content_length->value.data;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;

    } else if (r->reading_body) {
        v->not_found = 1;
        v->no_cacheable = 1;

    } else if (r->headers_in.content_length_n >= 0) {
        p = dr_pnalloc(r->pool, DR_OFF_T_LEN);
        if (p == NULL) {
            return DR_ERROR;
        }

        v->len = dr_sprintf(p, "%O", r->headers_in.content_length_n) - p;
        v->data = p;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;

    } else {
        v->not_found = 1;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_sent_content_type(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->headers_out.content_type.len) {
        v->len = r->headers_out.content_type.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->headers_out.content_type.data;

    } else {
        v->not_found = 1;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_sent_content_length(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    if (r->headers_out.content_length) {
        v->len = r->headers_out.content_length->value.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->headers_out.content_length->value.data;

        return DR_OK;
    }

    if (r->headers_out.content_length_n >= 0) {
        p = dr_pnalloc(r->pool, DR_OFF_T_LEN);
        if (p == NULL) {
            return DR_ERROR;
        }

        v->len = dr_sprintf(p, "%O", r->headers_out.content_length_n) - p;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = p;

        return DR_OK;
    }

    v->not_found = 1;

    return DR_OK;
}


static dr_int_t
dr_http_variable_sent_location(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    dr_str_t  name;

    if (r->headers_out.location) {
        v->len = r->headers_out.location->value.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->headers_out.location->value.data;

        return DR_OK;
    }

    dr_str_set(&name, "sent_http_location");

    return dr_http_variable_unknown_header(r, v, &name,
                                           &r->headers_out.headers.part,
                                           sizeof("sent_http_") - 1);
}


static dr_int_t
dr_http_variable_sent_last_modified(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    if (r->headers_out.last_modified) {
        v->len = r->headers_out.last_modified->value.len;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = r->headers_out.last_modified->value.data;

        return DR_OK;
    }

    if (r->headers_out.last_modified_time >= 0) {
        p = dr_pnalloc(r->pool, sizeof("Mon, 28 Sep 1970 06:00:00 GMT") - 1);
        if (p == NULL) {
            return DR_ERROR;
        }

        v->len = dr_http_time(p, r->headers_out.last_modified_time) - p;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = p;

        return DR_OK;
    }

    v->not_found = 1;

    return DR_OK;
}


static dr_int_t
dr_http_variable_sent_connection(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    size_t   len;
    char    *p;

    if (r->headers_out.status == DR_HTTP_SWITCHING_PROTOCOLS) {
        len = sizeof("upgrade") - 1;
        p = "upgrade";

    } else if (r->keepalive) {
        len = sizeof("keep-alive") - 1;
        p = "keep-alive";

    } else {
        len = sizeof("close") - 1;
        p = "close";
    }

    v->len = len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_sent_keep_alive(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char                   *p;
    dr_http_core_loc_conf_t  *clcf;

    if (r->keepalive) {
        clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

        if (clcf->keepalive_header) {

            p = dr_pnalloc(r->pool, sizeof("timeout=") - 1 + DR_TIME_T_LEN);
            if (p == NULL) {
                return DR_ERROR;
            }

            v->len = dr_sprintf(p, "timeout=%T", clcf->keepalive_header) - p;
            v->valid = 1;
            v->no_cacheable = 0;
            v->not_found = 0;
            v->data = p;

            return DR_OK;
        }
    }

    v->not_found = 1;

    return DR_OK;
}


static dr_int_t
dr_http_variable_sent_transfer_encoding(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    if (r->chunked) {
        v->len = sizeof("chunked") - 1;
        v->valid = 1;
        v->no_cacheable = 0;
        v->not_found = 0;
        v->data = (u_char *) "chunked";

    } else {
        v->not_found = 1;
    }

    return DR_OK;
}


static dr_int_t
dr_http_variable_connection(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, DR_INT_T_LEN);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = dr_sprintf(p, "%uL", (uint64_t) r->connection->number) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_connection_requests(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, DR_INT_T_LEN);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = dr_sprintf(p, "%ui", r->connection->requests) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_connection_time(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char     *p;
    dr_msec_t   ms;

    p = dr_pnalloc(r->pool, DR_TIME_T_LEN + 4);
    if (p == NULL) {
        return DR_ERROR;
    }

    ms = dr_current_msec - r->connection->start_time;

    v->len = dr_sprintf(p, "%T.%03M",
                        (time_t) ms / 1000, ms % 1000) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_version(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    v->len = sizeof(DR_VERSION) - 1;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = (u_char *) DR_VERSION;

    return DR_OK;
}


static dr_int_t
dr_http_variable_hostname(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    v->len = dr_cycle->hostname.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = dr_cycle->hostname.data;

    return DR_OK;
}


static dr_int_t
dr_http_variable_pid(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, DR_INT_T_LEN);
    if (p == NULL) {
        return DR_ERROR;
    }

    v->len = dr_sprintf(p, "%P", dr_pid) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_msec(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char     *p;
    dr_time_t  *tp;

    p = dr_pnalloc(r->pool, DR_TIME_T_LEN + 4);
    if (p == NULL) {
        return DR_ERROR;
    }

    tp = dr_timeofday();

    v->len = dr_sprintf(p, "%T.%03M", tp->sec, (dr_msec_t) tp->msec) - p;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_time_iso8601(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, dr_cached_http_log_iso8601.len);
    if (p == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(p, dr_cached_http_log_iso8601.data,
              dr_cached_http_log_iso8601.len);

    v->len = dr_cached_http_log_iso8601.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_time_local(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data)
{
    u_char  *p;

    p = dr_pnalloc(r->pool, dr_cached_http_log_time.len);
    if (p == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(p, dr_cached_http_log_time.data, dr_cached_http_log_time.len);

    v->len = dr_cached_http_log_time.len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->data = p;

    return DR_OK;
}


static dr_int_t
dr_http_variable_not_found(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    v->not_found = 1;
    return DR_OK;
}


dr_http_regex_t *
dr_http_regex_compile(dr_conf_t *cf, dr_regex_compile_t *rc)
{
    u_char                     *p;
    size_t                      size;
    dr_str_t                    name;
    dr_uint_t                   i, n;
    dr_http_variable_t         *v;
    dr_http_regex_t            *re;
    dr_http_regex_variable_t   *rv;
    dr_http_core_main_conf_t   *cmcf;

    rc->pool = cf->pool;

    if (dr_regex_compile(rc) != DR_OK) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "%V", &rc->err);
        return NULL;
    }

    re = dr_pcalloc(cf->pool, sizeof(dr_http_regex_t));
    if (re == NULL) {
        return NULL;
    }

    re->regex = rc->regex;
    re->ncaptures = rc->captures;
    re->name = rc->pattern;

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);
    cmcf->ncaptures = dr_max(cmcf->ncaptures, re->ncaptures);

    n = (dr_uint_t) rc->named_captures;

    if (n == 0) {
        return re;
    }

    rv = dr_palloc(rc->pool, n * sizeof(dr_http_regex_variable_t));
    if (rv == NULL) {
        return NULL;
    }

    re->variables = rv;
    re->nvariables = n;

    size = rc->name_size;
    p = rc->names;

    for (i = 0; i < n; i++) {
        rv[i].capture = 2 * ((p[0] << 8) + p[1]);

        name.data = &p[2];
        name.len = dr_strlen(name.data);

        v = dr_http_add_variable(cf, &name, DR_HTTP_VAR_CHANGEABLE);
        if (v == NULL) {
            return NULL;
        }

        rv[i].index = dr_http_get_variable_index(cf, &name);
        if (rv[i].index == DR_ERROR) {
            return NULL;
        }

        v->get_handler = dr_http_variable_not_found;

        p += size;
    }

    return re;
}


dr_int_t
dr_http_regex_exec(dr_http_request_t *r, dr_http_regex_t *re, dr_str_t *s)
{
    dr_int_t                    rc, index;
    dr_uint_t                   i, n, len;
    dr_http_variable_value_t   *vv;
    dr_http_core_main_conf_t   *cmcf;

    cmcf = dr_http_get_module_main_conf(r, dr_http_core_module);

    if (re->ncaptures) {
        len = cmcf->ncaptures;

        if (r->captures == NULL) {
            r->captures = dr_palloc(r->pool, len * sizeof(int));
            if (r->captures == NULL) {
                return DR_ERROR;
            }
        }

    } else {
        len = 0;
    }

    rc = dr_regex_exec(re->regex, s, r->captures, len);

    if (rc == DR_REGEX_NO_MATCHED) {
        return DR_DECLINED;
    }

    if (rc < 0) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "pcre2_match() failed: %i on \"%V\" using \"%V\"",
                     rc, s, &re->name);
        return DR_ERROR;
    }

    for (i = 0; i < re->nvariables; i++) {

        n = re->variables[i].capture;
        index = re->variables[i].index;
        vv = &r->variables[index];

        if (r->captures[n] < 0) {
            vv->len = 0;
            vv->data = (u_char *) "";

        } else {
            vv->len = r->captures[n + 1] - r->captures[n];
            vv->data = &s->data[r->captures[n]];
        }

        vv->valid = 1;
        vv->no_cacheable = 0;
        vv->not_found = 0;
    }

    if (re->ncaptures) {
        r->ncaptures = (rc ? rc : (dr_int_t) (len / 3)) * 2;
        r->captures_data = s->data;
    }

    return DR_OK;
}


dr_int_t
dr_http_variables_add_core_vars(dr_conf_t *cf)
{
    dr_http_variable_t        *cv, *v;
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    cmcf->variables_keys = dr_pcalloc(cf->temp_pool,
                                      sizeof(dr_hash_keys_arrays_t));
    if (cmcf->variables_keys == NULL) {
        return DR_ERROR;
    }

    if (dr_hash_keys_array_init(cmcf->variables_keys, cf->pool,
                                cf->temp_pool)
        != DR_OK)
    {
        return DR_ERROR;
    }

    if (dr_array_init(&cmcf->prefix_variables, cf->pool, 8,
                      sizeof(dr_http_variable_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    for (cv = dr_http_core_variables; cv->name.len; cv++) {
        v = dr_http_add_variable(cf, &cv->name, cv->flags);
        if (v == NULL) {
            return DR_ERROR;
        }

        *v = *cv;
    }

    return DR_OK;
}


dr_int_t
dr_http_variables_init_vars(dr_conf_t *cf)
{
    size_t                      len;
    dr_uint_t                   i, n;
    dr_hash_key_t              *key;
    dr_hash_init_t              hash;
    dr_http_variable_t         *v, *av, *pv;
    dr_http_core_main_conf_t   *cmcf;

    /* set the handlers for the indexed http variables */

    cmcf = dr_http_conf_get_module_main_conf(cf, dr_http_core_module);

    v = cmcf->variables.elts;
    pv = cmcf->prefix_variables.elts;
    key = cmcf->variables_keys->keys.elts;

    for (i = 0; i < cmcf->variables.nelts; i++) {

        for (n = 0; n < cmcf->variables_keys->keys.nelts; n++) {

            av = key[n].value;

            if (v[i].name.len == key[n].key.len
                && dr_strncmp(v[i].name.data, key[n].key.data, v[i].name.len)
                   == 0)
            {
                v[i].get_handler = av->get_handler;
                v[i].data = av->data;

                av->flags |= DR_HTTP_VAR_INDEXED;
                v[i].flags = av->flags;

                av->index = i;

                if (av->get_handler == NULL
                    || (av->flags & DR_HTTP_VAR_WEAK))
                {
                    break;
                }

                goto next;
            }
        }

        len = 0;
        av = NULL;

        for (n = 0; n < cmcf->prefix_variables.nelts; n++) {
            if (v[i].name.len >= pv[n].name.len && v[i].name.len > len
                && dr_strncmp(v[i].name.data, pv[n].name.data, pv[n].name.len)
                   == 0)
            {
                av = &pv[n];
                len = pv[n].name.len;
            }
        }

        if (av) {
            v[i].get_handler = av->get_handler;
            v[i].data = (uintptr_t) &v[i].name;
            v[i].flags = av->flags;

            goto next;
        }

        if (v[i].get_handler == NULL) {
            dr_log_error(DR_LOG_EMERG, cf->log, 0,
                         "unknown \"%V\" variable", &v[i].name);

            return DR_ERROR;
        }

    next:
        continue;
    }

    for (n = 0; n < cmcf->variables_keys->keys.nelts; n++) {
        av = key[n].value;

        if (av->flags & DR_HTTP_VAR_NOHASH) {
            key[n].key.data = NULL;
        }
    }

    /* drop the NOHASH keys: dr_hash_init() takes every key it is given */

    for (i = 0, n = 0; n < cmcf->variables_keys->keys.nelts; n++) {
        if (key[n].key.data) {
            key[i++] = key[n];
        }
    }

    hash.hash = &cmcf->variables_hash;
    hash.max_size = cmcf->variables_hash_max_size;
    hash.bucket_size = cmcf->variables_hash_bucket_size;
    hash.name = "variables_hash";
    hash.pool = cf->pool;
    hash.temp_pool = NULL;

    if (dr_hash_init(&hash, key, i) != DR_OK) {
        return DR_ERROR;
    }

    cmcf->variables_keys = NULL;

    return DR_OK;
}
