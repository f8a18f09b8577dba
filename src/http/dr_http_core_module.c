/*
 * The http core module's configuration (nginx's ngx_http_core_module.c,
 * first half): the directives of http{}, server{} and location{}, their
 * conf structs' create and merge, listen and server_name parsing, types{}.
 *
 * The defaults are nginx's and live only in the merge functions. Values
 * that must be checked against each other (alias vs root, try_files and
 * error_page arguments) are checked where the directive is parsed, so an
 * error names the file and line. Runs in the master at config time; the
 * request-time half is dr_http_core_phases.c.
 */

#include "dr_http.h"
#include "dr_http_upstream.h"


static dr_int_t dr_http_core_preconfiguration(dr_conf_t *cf);
static dr_int_t dr_http_core_postconfiguration(dr_conf_t *cf);
static void *dr_http_core_create_main_conf(dr_conf_t *cf);
static char *dr_http_core_init_main_conf(dr_conf_t *cf, void *conf);
static void *dr_http_core_create_srv_conf(dr_conf_t *cf);
static char *dr_http_core_merge_srv_conf(dr_conf_t *cf, void *parent,
    void *child);
static void *dr_http_core_create_loc_conf(dr_conf_t *cf);
static char *dr_http_core_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);

static char *dr_http_core_server(dr_conf_t *cf, dr_command_t *cmd,
    void *dummy);
static char *dr_http_core_location(dr_conf_t *cf, dr_command_t *cmd,
    void *dummy);
static dr_int_t dr_http_core_regex_location(dr_conf_t *cf,
    dr_http_core_loc_conf_t *clcf, dr_str_t *regex, dr_uint_t caseless);
static char *dr_http_core_types(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_type(dr_conf_t *cf, dr_command_t *dummy,
    void *conf);
static char *dr_http_core_listen(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_listen_option(dr_conf_t *cf,
    dr_http_listen_opt_t *lsopt, dr_str_t *value);
static char *dr_http_core_server_name(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_root(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_internal(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_keepalive(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_large_buffers(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_error_page(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_try_files(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_error_log(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_client_body_temp_path(dr_conf_t *cf,
    dr_command_t *cmd, void *conf);
static char *dr_http_core_resolver(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_core_lowat_check(dr_conf_t *cf, void *post,
    void *data);
static char *dr_http_core_pool_size(dr_conf_t *cf, void *post, void *data);


static dr_conf_post_t  dr_http_core_lowat_post =
    { dr_http_core_lowat_check };

static dr_conf_post_t  dr_http_core_pool_size_p =
    { dr_http_core_pool_size };


static dr_conf_enum_t  dr_http_core_request_body_in_file[] = {
    { dr_string("off"), DR_HTTP_REQUEST_BODY_FILE_OFF },
    { dr_string("on"), DR_HTTP_REQUEST_BODY_FILE_ON },
    { dr_string("clean"), DR_HTTP_REQUEST_BODY_FILE_CLEAN },
    { dr_null_string, 0 }
};


static dr_conf_enum_t  dr_http_core_satisfy[] = {
    { dr_string("all"), DR_HTTP_SATISFY_ALL },
    { dr_string("any"), DR_HTTP_SATISFY_ANY },
    { dr_null_string, 0 }
};


static dr_conf_enum_t  dr_http_core_lingering_close[] = {
    { dr_string("off"), DR_HTTP_LINGERING_OFF },
    { dr_string("on"), DR_HTTP_LINGERING_ON },
    { dr_string("always"), DR_HTTP_LINGERING_ALWAYS },
    { dr_null_string, 0 }
};


static dr_conf_enum_t  dr_http_core_server_tokens[] = {
    { dr_string("off"), DR_HTTP_SERVER_TOKENS_OFF },
    { dr_string("on"), DR_HTTP_SERVER_TOKENS_ON },
    { dr_string("build"), DR_HTTP_SERVER_TOKENS_BUILD },
    { dr_null_string, 0 }
};


static dr_conf_enum_t  dr_http_core_if_modified_since[] = {
    { dr_string("off"), DR_HTTP_IMS_OFF },
    { dr_string("exact"), DR_HTTP_IMS_EXACT },
    { dr_string("before"), DR_HTTP_IMS_BEFORE },
    { dr_null_string, 0 }
};


static dr_conf_bitmask_t  dr_http_core_keepalive_disable[] = {
    { dr_string("none"), DR_HTTP_KEEPALIVE_DISABLE_NONE },
    { dr_string("msie6"), DR_HTTP_KEEPALIVE_DISABLE_MSIE6 },
    { dr_string("safari"), DR_HTTP_KEEPALIVE_DISABLE_SAFARI },
    { dr_null_string, 0 }
};


static dr_command_t  dr_http_core_commands[] = {

    { dr_string("variables_hash_max_size"),
      DR_HTTP_MAIN_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_MAIN_CONF_OFFSET,
      offsetof(dr_http_core_main_conf_t, variables_hash_max_size),
      NULL },

    { dr_string("variables_hash_bucket_size"),
      DR_HTTP_MAIN_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_MAIN_CONF_OFFSET,
      offsetof(dr_http_core_main_conf_t, variables_hash_bucket_size),
      NULL },

    { dr_string("server_names_hash_max_size"),
      DR_HTTP_MAIN_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_MAIN_CONF_OFFSET,
      offsetof(dr_http_core_main_conf_t, server_names_hash_max_size),
      NULL },

    { dr_string("server_names_hash_bucket_size"),
      DR_HTTP_MAIN_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_MAIN_CONF_OFFSET,
      offsetof(dr_http_core_main_conf_t, server_names_hash_bucket_size),
      NULL },

    { dr_string("server"),
      DR_HTTP_MAIN_CONF|DR_CONF_BLOCK|DR_CONF_NOARGS,
      dr_http_core_server,
      0,
      0,
      NULL },

    { dr_string("connection_pool_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, connection_pool_size),
      &dr_http_core_pool_size_p },

    { dr_string("request_pool_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, request_pool_size),
      &dr_http_core_pool_size_p },

    { dr_string("client_header_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, client_header_timeout),
      NULL },

    { dr_string("client_header_buffer_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, client_header_buffer_size),
      NULL },

    { dr_string("large_client_header_buffers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_TAKE2,
      dr_http_core_large_buffers,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, large_client_header_buffers),
      NULL },

    { dr_string("ignore_invalid_headers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, ignore_invalid_headers),
      NULL },

    { dr_string("merge_slashes"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, merge_slashes),
      NULL },

    { dr_string("underscores_in_headers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_SRV_CONF_OFFSET,
      offsetof(dr_http_core_srv_conf_t, underscores_in_headers),
      NULL },

    { dr_string("location"),
      DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_BLOCK|DR_CONF_TAKE12,
      dr_http_core_location,
      DR_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { dr_string("listen"),
      DR_HTTP_SRV_CONF|DR_CONF_1MORE,
      dr_http_core_listen,
      DR_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { dr_string("server_name"),
      DR_HTTP_SRV_CONF|DR_CONF_1MORE,
      dr_http_core_server_name,
      DR_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { dr_string("types_hash_max_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, types_hash_max_size),
      NULL },

    { dr_string("types_hash_bucket_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, types_hash_bucket_size),
      NULL },

    { dr_string("types"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF
                                          |DR_CONF_BLOCK|DR_CONF_NOARGS,
      dr_http_core_types,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("default_type"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, default_type),
      NULL },

    { dr_string("root"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                        |DR_CONF_TAKE1,
      dr_http_core_root,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("alias"),
      DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_http_core_root,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("client_max_body_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_off_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, client_max_body_size),
      NULL },

    { dr_string("client_body_buffer_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, client_body_buffer_size),
      NULL },

    { dr_string("client_body_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, client_body_timeout),
      NULL },

    { dr_string("client_body_temp_path"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1234,
      dr_http_core_client_body_temp_path,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("client_body_in_file_only"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, client_body_in_file_only),
      &dr_http_core_request_body_in_file },

    { dr_string("client_body_in_single_buffer"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, client_body_in_single_buffer),
      NULL },

    { dr_string("sendfile"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                        |DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, sendfile),
      NULL },

    { dr_string("sendfile_max_chunk"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, sendfile_max_chunk),
      NULL },

    { dr_string("tcp_nopush"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, tcp_nopush),
      NULL },

    { dr_string("tcp_nodelay"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, tcp_nodelay),
      NULL },

    { dr_string("send_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, send_timeout),
      NULL },

    { dr_string("send_lowat"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, send_lowat),
      &dr_http_core_lowat_post },

    { dr_string("postpone_output"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, postpone_output),
      NULL },

    { dr_string("keepalive_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE12,
      dr_http_core_keepalive,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("keepalive_requests"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, keepalive_requests),
      NULL },

    { dr_string("keepalive_disable"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE12,
      dr_conf_set_bitmask_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, keepalive_disable),
      &dr_http_core_keepalive_disable },

    { dr_string("satisfy"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, satisfy),
      &dr_http_core_satisfy },

    { dr_string("internal"),
      DR_HTTP_LOC_CONF|DR_CONF_NOARGS,
      dr_http_core_internal,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("lingering_close"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, lingering_close),
      &dr_http_core_lingering_close },

    { dr_string("lingering_time"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, lingering_time),
      NULL },

    { dr_string("lingering_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, lingering_timeout),
      NULL },

    { dr_string("reset_timedout_connection"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, reset_timedout_connection),
      NULL },

    { dr_string("absolute_redirect"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, absolute_redirect),
      NULL },

    { dr_string("server_name_in_redirect"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, server_name_in_redirect),
      NULL },

    { dr_string("port_in_redirect"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, port_in_redirect),
      NULL },

    { dr_string("msie_padding"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, msie_padding),
      NULL },

    { dr_string("msie_refresh"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, msie_refresh),
      NULL },

    { dr_string("log_not_found"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, log_not_found),
      NULL },

    { dr_string("log_subrequest"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, log_subrequest),
      NULL },

    { dr_string("recursive_error_pages"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, recursive_error_pages),
      NULL },

    { dr_string("server_tokens"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, server_tokens),
      &dr_http_core_server_tokens },

    { dr_string("if_modified_since"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, if_modified_since),
      &dr_http_core_if_modified_since },

    { dr_string("max_ranges"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, max_ranges),
      NULL },

    { dr_string("chunked_transfer_encoding"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, chunked_transfer_encoding),
      NULL },

    { dr_string("etag"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_core_loc_conf_t, etag),
      NULL },

    { dr_string("error_page"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                        |DR_CONF_2MORE,
      dr_http_core_error_page,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("try_files"),
      DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_2MORE,
      dr_http_core_try_files,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("error_log"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_http_core_error_log,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("resolver"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_http_core_resolver,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("resolver_timeout"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_http_core_resolver,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_core_module_ctx = {
    .preconfiguration = dr_http_core_preconfiguration,
    .postconfiguration = dr_http_core_postconfiguration,
    .create_main_conf = dr_http_core_create_main_conf,
    .init_main_conf = dr_http_core_init_main_conf,
    .create_srv_conf = dr_http_core_create_srv_conf,
    .merge_srv_conf = dr_http_core_merge_srv_conf,
    .create_loc_conf = dr_http_core_create_loc_conf,
    .merge_loc_conf = dr_http_core_merge_loc_conf,
};


dr_module_t  dr_http_core_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_core",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_core_module_ctx,
    .commands = dr_http_core_commands,
};


dr_str_t  dr_http_core_get_method = { 3, (u_char *) "GET" };


static dr_int_t
dr_http_core_preconfiguration(dr_conf_t *cf)
{
    return dr_http_variables_add_core_vars(cf);
}


static dr_int_t
dr_http_core_postconfiguration(dr_conf_t *cf)
{
    dr_http_top_request_body_filter = dr_http_request_body_save_filter;

    if (dr_http_core_add_default_content_handler(cf) != DR_OK) {
        return DR_ERROR;
    }

    return dr_http_add_phase_handler(cf, DR_HTTP_PRECONTENT_PHASE,
                                     dr_http_core_try_files_handler);
}


static void *
dr_http_core_create_main_conf(dr_conf_t *cf)
{
    dr_http_core_main_conf_t  *cmcf;

    cmcf = dr_pcalloc(cf->pool, sizeof(dr_http_core_main_conf_t));
    if (cmcf == NULL) {
        return NULL;
    }

    if (dr_array_init(&cmcf->servers, cf->pool, 4,
                      sizeof(dr_http_core_srv_conf_t *))
        != DR_OK)
    {
        return NULL;
    }

    cmcf->server_names_hash_max_size = DR_CONF_UNSET_UINT;
    cmcf->server_names_hash_bucket_size = DR_CONF_UNSET_UINT;

    cmcf->variables_hash_max_size = DR_CONF_UNSET_UINT;
    cmcf->variables_hash_bucket_size = DR_CONF_UNSET_UINT;

    return cmcf;
}


static char *
dr_http_core_init_main_conf(dr_conf_t *cf, void *conf)
{
    dr_http_core_main_conf_t *cmcf = conf;

    dr_conf_init_uint_value(cmcf->server_names_hash_max_size, 512);
    dr_conf_init_uint_value(cmcf->server_names_hash_bucket_size, 64);

    dr_conf_init_uint_value(cmcf->variables_hash_max_size, 1024);
    dr_conf_init_uint_value(cmcf->variables_hash_bucket_size, 64);

    if (cmcf->ncaptures) {
        cmcf->ncaptures = (cmcf->ncaptures + 1) * 3;
    }

    return DR_CONF_OK;
}


static void *
dr_http_core_create_srv_conf(dr_conf_t *cf)
{
    dr_http_core_srv_conf_t  *cscf;

    cscf = dr_pcalloc(cf->pool, sizeof(dr_http_core_srv_conf_t));
    if (cscf == NULL) {
        return NULL;
    }

    if (dr_array_init(&cscf->server_names, cf->temp_pool, 4,
                      sizeof(dr_http_server_name_t))
        != DR_OK)
    {
        return NULL;
    }

    cscf->connection_pool_size = DR_CONF_UNSET_SIZE;
    cscf->request_pool_size = DR_CONF_UNSET_SIZE;
    cscf->client_header_timeout = DR_CONF_UNSET_MSEC;
    cscf->client_header_buffer_size = DR_CONF_UNSET_SIZE;
    cscf->ignore_invalid_headers = DR_CONF_UNSET;
    cscf->merge_slashes = DR_CONF_UNSET;
    cscf->underscores_in_headers = DR_CONF_UNSET;

    cscf->file_name = cf->conf_file ? cf->conf_file->file.name.data : NULL;
    cscf->line = cf->conf_file ? cf->conf_file->line : 0;

    return cscf;
}


static char *
dr_http_core_merge_srv_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_core_srv_conf_t *prev = parent;
    dr_http_core_srv_conf_t *conf = child;

    dr_str_t                name;
    dr_http_server_name_t  *sn;

    dr_conf_merge_size_value(conf->connection_pool_size,
                             prev->connection_pool_size, 64 * sizeof(void *));
    dr_conf_merge_size_value(conf->request_pool_size,
                             prev->request_pool_size, 4096);
    dr_conf_merge_msec_value(conf->client_header_timeout,
                             prev->client_header_timeout, 60000);
    dr_conf_merge_size_value(conf->client_header_buffer_size,
                             prev->client_header_buffer_size, 1024);

    if (conf->large_client_header_buffers.num == 0) {
        if (prev->large_client_header_buffers.num) {
            conf->large_client_header_buffers =
                                             prev->large_client_header_buffers;

        } else {
            conf->large_client_header_buffers.num = 4;
            conf->large_client_header_buffers.size = 8192;
        }
    }

    if (conf->large_client_header_buffers.size < conf->connection_pool_size)
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the \"large_client_header_buffers\" size must be "
                          "equal to or greater than \"connection_pool_size\"");
        return DR_CONF_ERROR;
    }

    dr_conf_merge_value(conf->ignore_invalid_headers,
                        prev->ignore_invalid_headers, 1);

    dr_conf_merge_value(conf->merge_slashes, prev->merge_slashes, 1);

    dr_conf_merge_value(conf->underscores_in_headers,
                        prev->underscores_in_headers, 0);

    if (conf->server_names.nelts == 0) {
        /* the array has 4 empty preallocated elements, so push cannot fail */
        sn = dr_array_push(&conf->server_names);
        sn->regex = NULL;
        sn->server = conf;
        dr_str_set(&sn->name, "");
    }

    sn = conf->server_names.elts;
    name = sn[0].name;

    if (sn->regex) {
        name.len++;
        name.data--;
    }

    if (conf->server_name.data == NULL) {
        conf->server_name = name;
    }

    return DR_CONF_OK;
}


static void *
dr_http_core_create_loc_conf(dr_conf_t *cf)
{
    dr_http_core_loc_conf_t  *clcf;

    clcf = dr_pcalloc(cf->pool, sizeof(dr_http_core_loc_conf_t));
    if (clcf == NULL) {
        return NULL;
    }

    /*
     * set by dr_pcalloc():
     *
     *     clcf->escaped_name = { 0, NULL };
     *     clcf->root = { 0, NULL };
     *     clcf->limit_except = 0;
     *     clcf->post_action = { 0, NULL };
     *     clcf->types = NULL;
     *     clcf->default_type = { 0, NULL };
     *     clcf->error_log = NULL;
     *     clcf->error_pages = NULL;
     *     clcf->try_files = NULL;
     *     clcf->client_body_temp_path = { 0, NULL };
     *     clcf->regex = NULL;
     *     clcf->exact_match = 0;
     *     clcf->auto_redirect = 0;
     *     clcf->alias = 0;
     */

    clcf->client_max_body_size = DR_CONF_UNSET;
    clcf->client_body_buffer_size = DR_CONF_UNSET_SIZE;
    clcf->client_body_timeout = DR_CONF_UNSET_MSEC;
    clcf->satisfy = DR_CONF_UNSET_UINT;
    clcf->keepalive_disable = 0;
    clcf->if_modified_since = DR_CONF_UNSET_UINT;
    clcf->max_ranges = DR_CONF_UNSET_UINT;
    clcf->client_body_in_file_only = DR_CONF_UNSET_UINT;
    clcf->client_body_in_single_buffer = DR_CONF_UNSET;
    clcf->internal = DR_CONF_UNSET;
    clcf->sendfile = DR_CONF_UNSET;
    clcf->sendfile_max_chunk = DR_CONF_UNSET_SIZE;
    clcf->tcp_nopush = DR_CONF_UNSET;
    clcf->tcp_nodelay = DR_CONF_UNSET;
    clcf->send_timeout = DR_CONF_UNSET_MSEC;
    clcf->send_lowat = DR_CONF_UNSET_SIZE;
    clcf->postpone_output = DR_CONF_UNSET_SIZE;
    clcf->keepalive_timeout = DR_CONF_UNSET_MSEC;
    clcf->keepalive_header = DR_CONF_UNSET;
    clcf->keepalive_requests = DR_CONF_UNSET_UINT;
    clcf->lingering_close = DR_CONF_UNSET_UINT;
    clcf->lingering_time = DR_CONF_UNSET_MSEC;
    clcf->lingering_timeout = DR_CONF_UNSET_MSEC;
    clcf->reset_timedout_connection = DR_CONF_UNSET;
    clcf->absolute_redirect = DR_CONF_UNSET;
    clcf->server_name_in_redirect = DR_CONF_UNSET;
    clcf->port_in_redirect = DR_CONF_UNSET;
    clcf->msie_padding = DR_CONF_UNSET;
    clcf->msie_refresh = DR_CONF_UNSET;
    clcf->log_not_found = DR_CONF_UNSET;
    clcf->log_subrequest = DR_CONF_UNSET;
    clcf->recursive_error_pages = DR_CONF_UNSET;
    clcf->chunked_transfer_encoding = DR_CONF_UNSET;
    clcf->etag = DR_CONF_UNSET;
    clcf->server_tokens = DR_CONF_UNSET_UINT;
    clcf->types_hash_max_size = DR_CONF_UNSET_UINT;
    clcf->types_hash_bucket_size = DR_CONF_UNSET_UINT;

    return clcf;
}


static dr_str_t  dr_http_core_text_html_type = dr_string("text/html");
static dr_str_t  dr_http_core_image_gif_type = dr_string("image/gif");
static dr_str_t  dr_http_core_image_jpeg_type = dr_string("image/jpeg");

static dr_hash_key_t  dr_http_core_default_types[] = {
    { dr_string("html"), 0, &dr_http_core_text_html_type },
    { dr_string("gif"), 0, &dr_http_core_image_gif_type },
    { dr_string("jpg"), 0, &dr_http_core_image_jpeg_type },
    { dr_null_string, 0, NULL }
};


static char *
dr_http_core_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_core_loc_conf_t *prev = parent;
    dr_http_core_loc_conf_t *conf = child;

    dr_uint_t        i;
    dr_hash_key_t   *type;
    dr_hash_init_t   types_hash;

    if (conf->root.data == NULL) {

        conf->alias = prev->alias;
        conf->root = prev->root;
        conf->root_lengths = prev->root_lengths;
        conf->root_values = prev->root_values;

        if (prev->root.data == NULL) {
            dr_str_set(&conf->root, "html");

            if (dr_conf_full_name(cf->cycle, &conf->root, 0) != DR_OK) {
                return DR_CONF_ERROR;
            }
        }
    }

    if (conf->post_action.data == NULL) {
        conf->post_action = prev->post_action;
    }

    dr_conf_merge_uint_value(conf->types_hash_max_size,
                             prev->types_hash_max_size, 1024);

    dr_conf_merge_uint_value(conf->types_hash_bucket_size,
                             prev->types_hash_bucket_size, 64);

    /*
     * the special handling of the "types" directive in the "http" section
     * to inherit the http's conf->types_hash to all servers
     */

    if (prev->types && prev->types_hash.slots == NULL) {

        types_hash.hash = &prev->types_hash;
        types_hash.max_size = conf->types_hash_max_size;
        types_hash.bucket_size = conf->types_hash_bucket_size;
        types_hash.name = "types_hash";
        types_hash.pool = cf->pool;
        types_hash.temp_pool = NULL;

        if (dr_hash_init(&types_hash, prev->types->elts, prev->types->nelts)
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }
    }

    if (conf->types == NULL) {
        conf->types = prev->types;
        conf->types_hash = prev->types_hash;
    }

    if (conf->types == NULL) {
        conf->types = dr_array_create(cf->pool, 3, sizeof(dr_hash_key_t));
        if (conf->types == NULL) {
            return DR_CONF_ERROR;
        }

        for (i = 0; dr_http_core_default_types[i].key.len; i++) {
            type = dr_array_push(conf->types);
            if (type == NULL) {
                return DR_CONF_ERROR;
            }

            type->key = dr_http_core_default_types[i].key;
            type->key_hash =
                       dr_hash_key_lc(dr_http_core_default_types[i].key.data,
                                      dr_http_core_default_types[i].key.len);
            type->value = dr_http_core_default_types[i].value;
        }
    }

    if (conf->types_hash.slots == NULL) {

        types_hash.hash = &conf->types_hash;
        types_hash.max_size = conf->types_hash_max_size;
        types_hash.bucket_size = conf->types_hash_bucket_size;
        types_hash.name = "types_hash";
        types_hash.pool = cf->pool;
        types_hash.temp_pool = NULL;

        if (dr_hash_init(&types_hash, conf->types->elts, conf->types->nelts)
            != DR_OK)
        {
            return DR_CONF_ERROR;
        }
    }

    if (conf->error_log == NULL) {
        if (prev->error_log) {
            conf->error_log = prev->error_log;

        } else {
            conf->error_log = &cf->cycle->new_log;
        }
    }

    if (conf->error_pages == NULL && prev->error_pages) {
        conf->error_pages = prev->error_pages;
    }

    dr_conf_merge_str_value(conf->default_type,
                            prev->default_type, "text/plain");

    dr_conf_merge_off_value(conf->client_max_body_size,
                            prev->client_max_body_size, 1 * 1024 * 1024);
    dr_conf_merge_size_value(conf->client_body_buffer_size,
                             prev->client_body_buffer_size,
                             (size_t) 2 * 8192);
    dr_conf_merge_msec_value(conf->client_body_timeout,
                             prev->client_body_timeout, 60000);

    dr_conf_merge_bitmask_value(conf->keepalive_disable,
                                prev->keepalive_disable,
                                (DR_CONF_BITMASK_SET
                                 |DR_HTTP_KEEPALIVE_DISABLE_MSIE6));
    dr_conf_merge_uint_value(conf->satisfy, prev->satisfy,
                             DR_HTTP_SATISFY_ALL);
    dr_conf_merge_uint_value(conf->if_modified_since, prev->if_modified_since,
                             DR_HTTP_IMS_EXACT);
    dr_conf_merge_uint_value(conf->max_ranges, prev->max_ranges,
                             DR_MAX_INT_T_VALUE);
    dr_conf_merge_uint_value(conf->client_body_in_file_only,
                             prev->client_body_in_file_only,
                             DR_HTTP_REQUEST_BODY_FILE_OFF);
    dr_conf_merge_value(conf->client_body_in_single_buffer,
                        prev->client_body_in_single_buffer, 0);
    dr_conf_merge_value(conf->internal, prev->internal, 0);
    dr_conf_merge_value(conf->sendfile, prev->sendfile, 0);
    dr_conf_merge_size_value(conf->sendfile_max_chunk,
                             prev->sendfile_max_chunk, 2 * 1024 * 1024);
    dr_conf_merge_value(conf->tcp_nopush, prev->tcp_nopush, 0);
    dr_conf_merge_value(conf->tcp_nodelay, prev->tcp_nodelay, 1);

    dr_conf_merge_msec_value(conf->send_timeout, prev->send_timeout, 60000);
    dr_conf_merge_size_value(conf->send_lowat, prev->send_lowat, 0);
    dr_conf_merge_size_value(conf->postpone_output, prev->postpone_output,
                             1460);

    dr_conf_merge_msec_value(conf->keepalive_timeout,
                             prev->keepalive_timeout, 75000);
    dr_conf_merge_sec_value(conf->keepalive_header,
                            prev->keepalive_header, 0);
    dr_conf_merge_uint_value(conf->keepalive_requests,
                             prev->keepalive_requests, 1000);
    dr_conf_merge_uint_value(conf->lingering_close,
                             prev->lingering_close, DR_HTTP_LINGERING_ON);
    dr_conf_merge_msec_value(conf->lingering_time,
                             prev->lingering_time, 30000);
    dr_conf_merge_msec_value(conf->lingering_timeout,
                             prev->lingering_timeout, 5000);

    dr_conf_merge_value(conf->reset_timedout_connection,
                        prev->reset_timedout_connection, 0);
    dr_conf_merge_value(conf->absolute_redirect,
                        prev->absolute_redirect, 1);
    dr_conf_merge_value(conf->server_name_in_redirect,
                        prev->server_name_in_redirect, 0);
    dr_conf_merge_value(conf->port_in_redirect, prev->port_in_redirect, 1);
    dr_conf_merge_value(conf->msie_padding, prev->msie_padding, 1);
    dr_conf_merge_value(conf->msie_refresh, prev->msie_refresh, 0);
    dr_conf_merge_value(conf->log_not_found, prev->log_not_found, 1);
    dr_conf_merge_value(conf->log_subrequest, prev->log_subrequest, 0);
    dr_conf_merge_value(conf->recursive_error_pages,
                        prev->recursive_error_pages, 0);
    dr_conf_merge_value(conf->chunked_transfer_encoding,
                        prev->chunked_transfer_encoding, 1);
    dr_conf_merge_value(conf->etag, prev->etag, 1);

    dr_conf_merge_uint_value(conf->server_tokens, prev->server_tokens,
                             DR_HTTP_SERVER_TOKENS_ON);

    if (conf->client_body_temp_path.data == NULL) {
        conf->client_body_temp_path = prev->client_body_temp_path;

        if (conf->client_body_temp_path.data == NULL) {
            dr_str_set(&conf->client_body_temp_path, "client_body_temp");

            if (dr_conf_full_name(cf->cycle, &conf->client_body_temp_path, 0)
                != DR_OK)
            {
                return DR_CONF_ERROR;
            }
        }
    }

    /*
     * the master makes it (and gives it to "user") with the proxy's temp
     * directories: workers could not create it in a root-owned prefix
     */

    if (dr_http_upstream_add_temp_path(cf, &conf->client_body_temp_path)
        != DR_OK)
    {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


/* server { } */

static char *
dr_http_core_server(dr_conf_t *cf, dr_command_t *cmd, void *dummy)
{
    char                        *rv;
    void                        *mconf;
    size_t                       len;
    u_char                      *p;
    dr_uint_t                    i;
    dr_conf_t                    pcf;
    dr_http_module_t            *module;
    struct sockaddr_in          *sin;
    dr_http_conf_ctx_t          *ctx, *http_ctx;
    dr_http_listen_opt_t         lsopt;
    dr_http_core_srv_conf_t     *cscf, **cscfp;
    dr_http_core_main_conf_t    *cmcf;

    ctx = dr_pcalloc(cf->pool, sizeof(dr_http_conf_ctx_t));
    if (ctx == NULL) {
        return DR_CONF_ERROR;
    }

    http_ctx = cf->ctx;
    ctx->main_conf = http_ctx->main_conf;

    /* the server{}'s srv_conf */

    ctx->srv_conf = dr_pcalloc(cf->pool,
                               sizeof(void *) * (dr_http_max_module + 1));
    if (ctx->srv_conf == NULL) {
        return DR_CONF_ERROR;
    }

    /* the server{}'s loc_conf */

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

        if (module->create_srv_conf) {
            mconf = module->create_srv_conf(cf);
            if (mconf == NULL) {
                return DR_CONF_ERROR;
            }

            ctx->srv_conf[cf->cycle->modules[i]->ctx_index] = mconf;
        }

        if (module->create_loc_conf) {
            mconf = module->create_loc_conf(cf);
            if (mconf == NULL) {
                return DR_CONF_ERROR;
            }

            ctx->loc_conf[cf->cycle->modules[i]->ctx_index] = mconf;
        }
    }

    /* the server configuration context */

    cscf = ctx->srv_conf[dr_http_core_module.ctx_index];
    cscf->ctx = ctx;

    cmcf = ctx->main_conf[dr_http_core_module.ctx_index];

    cscfp = dr_array_push(&cmcf->servers);
    if (cscfp == NULL) {
        return DR_CONF_ERROR;
    }

    *cscfp = cscf;

    /* parse inside server{} */

    pcf = *cf;
    cf->ctx = ctx;
    cf->cmd_type = DR_HTTP_SRV_CONF;

    rv = dr_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv == DR_CONF_OK && !cscf->listen) {

        /* nginx's default: *:80 for root, *:8000 otherwise */

        dr_memzero(&lsopt, sizeof(dr_http_listen_opt_t));

        sin = dr_pcalloc(cf->pool, sizeof(struct sockaddr_in));
        if (sin == NULL) {
            return DR_CONF_ERROR;
        }

        sin->sin_family = AF_INET;
        sin->sin_port = htons((getuid() == 0) ? 80 : 8000);
        sin->sin_addr.s_addr = INADDR_ANY;

        lsopt.sockaddr = (struct sockaddr *) sin;
        lsopt.socklen = sizeof(struct sockaddr_in);

        lsopt.backlog = DR_LISTEN_BACKLOG;
        lsopt.rcvbuf = -1;
        lsopt.sndbuf = -1;
        lsopt.wildcard = 1;

        len = DR_SOCKADDR_STRLEN;
        p = dr_pnalloc(cf->pool, len);
        if (p == NULL) {
            return DR_CONF_ERROR;
        }

        lsopt.addr_text.data = p;
        lsopt.addr_text.len = dr_sock_ntop(lsopt.sockaddr, lsopt.socklen, p,
                                           len, 1);

        if (dr_http_add_listen(cf, cscf, &lsopt) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    return rv;
}


/* location [ = | ~ | ~* | ^~ ] uri { ... } and location @name { ... } */

static char *
dr_http_core_location(dr_conf_t *cf, dr_command_t *cmd, void *dummy)
{
    char                      *rv;
    u_char                    *mod;
    size_t                     len;
    dr_str_t                  *value, *name;
    dr_uint_t                  i;
    dr_conf_t                  save;
    dr_http_module_t          *module;
    dr_http_conf_ctx_t        *ctx, *pctx;
    dr_http_core_loc_conf_t   *clcf, *pclcf;

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
            ctx->loc_conf[cf->cycle->modules[i]->ctx_index] =
                                                   module->create_loc_conf(cf);
            if (ctx->loc_conf[cf->cycle->modules[i]->ctx_index] == NULL) {
                return DR_CONF_ERROR;
            }
        }
    }

    clcf = ctx->loc_conf[dr_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;

    value = cf->args->elts;

    if (cf->args->nelts == 3) {

        len = value[1].len;
        mod = value[1].data;
        name = &value[2];

        if (len == 1 && mod[0] == '=') {

            clcf->name = *name;
            clcf->exact_match = 1;

        } else if (len == 2 && mod[0] == '^' && mod[1] == '~') {

            clcf->name = *name;
            clcf->noregex = 1;

        } else if (len == 1 && mod[0] == '~') {

            if (dr_http_core_regex_location(cf, clcf, name, 0) != DR_OK) {
                return DR_CONF_ERROR;
            }

        } else if (len == 2 && mod[0] == '~' && mod[1] == '*') {

            if (dr_http_core_regex_location(cf, clcf, name, 1) != DR_OK) {
                return DR_CONF_ERROR;
            }

        } else {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid location modifier \"%V\"", &value[1]);
            return DR_CONF_ERROR;
        }

    } else {

        name = &value[1];

        if (name->len == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "empty location name");
            return DR_CONF_ERROR;
        }

        if (name->data[0] == '=') {

            clcf->name.len = name->len - 1;
            clcf->name.data = name->data + 1;
            clcf->exact_match = 1;

        } else if (name->data[0] == '^') {

            if (name->len < 2 || name->data[1] != '~') {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "invalid location modifier \"%V\"", name);
                return DR_CONF_ERROR;
            }

            clcf->name.len = name->len - 2;
            clcf->name.data = name->data + 2;
            clcf->noregex = 1;

        } else if (name->data[0] == '~') {

            name->len--;
            name->data++;

            if (name->len && name->data[0] == '*') {

                name->len--;
                name->data++;

                if (dr_http_core_regex_location(cf, clcf, name, 1) != DR_OK) {
                    return DR_CONF_ERROR;
                }

            } else {
                if (dr_http_core_regex_location(cf, clcf, name, 0) != DR_OK) {
                    return DR_CONF_ERROR;
                }
            }

        } else {

            clcf->name = *name;

            if (name->data[0] == '@') {
                clcf->named = 1;
            }
        }
    }

    pclcf = pctx->loc_conf[dr_http_core_module.ctx_index];

    if (cf->cmd_type == DR_HTTP_LOC_CONF) {

        /* nested location */

        if (pclcf->exact_match) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "location \"%V\" cannot be inside "
                              "the exact location \"%V\"",
                              &clcf->name, &pclcf->name);
            return DR_CONF_ERROR;
        }

        if (pclcf->named) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "location \"%V\" cannot be inside "
                              "the named location \"%V\"",
                              &clcf->name, &pclcf->name);
            return DR_CONF_ERROR;
        }

        if (clcf->named) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "named location \"%V\" can be "
                              "on the server level only",
                              &clcf->name);
            return DR_CONF_ERROR;
        }

        len = pclcf->name.len;

        if (clcf->regex == NULL
            && (clcf->name.len < len
                || dr_memcmp(clcf->name.data, pclcf->name.data, len) != 0))
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "location \"%V\" is outside location \"%V\"",
                              &clcf->name, &pclcf->name);
            return DR_CONF_ERROR;
        }
    }

    if (dr_http_add_location(cf, &pclcf->locations, clcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    save = *cf;
    cf->ctx = ctx;
    cf->cmd_type = DR_HTTP_LOC_CONF;

    rv = dr_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


static dr_int_t
dr_http_core_regex_location(dr_conf_t *cf, dr_http_core_loc_conf_t *clcf,
    dr_str_t *regex, dr_uint_t caseless)
{
    u_char              errstr[DR_MAX_CONF_ERRSTR];
    dr_regex_compile_t  rc;

    dr_memzero(&rc, sizeof(dr_regex_compile_t));

    rc.pattern = *regex;
    rc.err.len = DR_MAX_CONF_ERRSTR;
    rc.err.data = errstr;
    rc.options = caseless ? DR_REGEX_CASELESS : 0;

    clcf->regex = dr_http_regex_compile(cf, &rc);
    if (clcf->regex == NULL) {
        return DR_ERROR;
    }

    clcf->name = *regex;

    return DR_OK;
}


/* types { type ext ...; } */

static char *
dr_http_core_types(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    char       *rv;
    dr_conf_t   save;

    if (clcf->types == NULL) {
        clcf->types = dr_array_create(cf->pool, 64, sizeof(dr_hash_key_t));
        if (clcf->types == NULL) {
            return DR_CONF_ERROR;
        }
    }

    save = *cf;
    cf->handler = dr_http_core_type;
    cf->handler_conf = conf;

    rv = dr_conf_parse(cf, NULL);

    *cf = save;

    return rv;
}


static char *
dr_http_core_type(dr_conf_t *cf, dr_command_t *dummy, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    dr_str_t       *value, *content_type, *old;
    dr_uint_t       i, n, hash;
    dr_hash_key_t  *type;

    value = cf->args->elts;

    if (dr_strcmp(value[0].data, "include") == 0) {
        if (cf->args->nelts != 2) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid number of arguments"
                              " in \"include\" directive");
            return DR_CONF_ERROR;
        }

        return dr_conf_include(cf, dummy, conf);
    }

    if (cf->args->nelts < 2) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "a MIME type needs at least one extension: \"%V\"",
                          &value[0]);
        return DR_CONF_ERROR;
    }

    content_type = dr_palloc(cf->pool, sizeof(dr_str_t));
    if (content_type == NULL) {
        return DR_CONF_ERROR;
    }

    *content_type = value[0];

    for (i = 1; i < cf->args->nelts; i++) {

        hash = dr_hash_strlow(value[i].data, value[i].data, value[i].len);

        type = clcf->types->elts;
        for (n = 0; n < clcf->types->nelts; n++) {
            if (type[n].key.len == value[i].len
                && dr_memcmp(value[i].data, type[n].key.data, value[i].len)
                   == 0)
            {
                old = type[n].value;
                type[n].value = content_type;

                dr_conf_log_error(DR_LOG_WARN, cf, 0,
                                  "duplicate extension \"%V\", "
                                  "content type: \"%V\", "
                                  "previous content type: \"%V\"",
                                  &value[i], content_type, old);
                goto next;
            }
        }

        type = dr_array_push(clcf->types);
        if (type == NULL) {
            return DR_CONF_ERROR;
        }

        type->key = value[i];
        type->key_hash = hash;
        type->value = content_type;

    next:
        continue;
    }

    return DR_CONF_OK;
}


/*
 * listen address[:port] | port | unix:path [default_server] [bind]
 *     [backlog=N] [rcvbuf=size] [sndbuf=size] [deferred] [reuseport]
 *     [ipv6only=on|off] [so_keepalive=on|off|[idle]:[intvl]:[cnt]]
 */
static char *
dr_http_core_listen(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_srv_conf_t *cscf = conf;

    char                  *rv;
    dr_str_t              *value;
    dr_uint_t              i, n;
    dr_url_t               u;
    dr_http_listen_opt_t   lsopt;

    cscf->listen = 1;

    value = cf->args->elts;

    dr_memzero(&u, sizeof(dr_url_t));

    u.url = value[1];
    u.listen = 1;
    u.default_port = 80;

    if (dr_parse_url(cf->pool, &u) != DR_OK) {
        if (u.err) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "%s in \"%V\" of the \"listen\" directive",
                              u.err, &u.url);
        }

        return DR_CONF_ERROR;
    }

    dr_memzero(&lsopt, sizeof(dr_http_listen_opt_t));

    lsopt.backlog = DR_LISTEN_BACKLOG;
    lsopt.rcvbuf = -1;
    lsopt.sndbuf = -1;
    lsopt.ipv6only = 1;

    for (n = 2; n < cf->args->nelts; n++) {
        rv = dr_http_core_listen_option(cf, &lsopt, &value[n]);
        if (rv != DR_CONF_OK) {
            return rv;
        }
    }

    for (n = 0; n < u.naddrs; n++) {

        for (i = 0; i < n; i++) {
            if (dr_cmp_sockaddr(u.addrs[n].sockaddr, u.addrs[n].socklen,
                                u.addrs[i].sockaddr, u.addrs[i].socklen, 1)
                == DR_OK)
            {
                goto next;
            }
        }

        lsopt.sockaddr = u.addrs[n].sockaddr;
        lsopt.socklen = u.addrs[n].socklen;
        lsopt.addr_text = u.addrs[n].name;
        lsopt.wildcard = (lsopt.sockaddr->sa_family != AF_UNIX
                          && dr_inet_wildcard(lsopt.sockaddr));

        if (dr_http_add_listen(cf, cscf, &lsopt) != DR_OK) {
            return DR_CONF_ERROR;
        }

    next:
        continue;
    }

    return DR_CONF_OK;
}


static char *
dr_http_core_listen_option(dr_conf_t *cf, dr_http_listen_opt_t *lsopt,
    dr_str_t *value)
{
    u_char     *p, *end;
    dr_str_t    s;
    dr_int_t    v;

    if (dr_str_eq_lit(value, "default_server")
        || dr_str_eq_lit(value, "default"))
    {
        lsopt->default_server = 1;
        return DR_CONF_OK;
    }

    if (dr_str_eq_lit(value, "bind")) {
        lsopt->set = 1;
        lsopt->bind = 1;
        return DR_CONF_OK;
    }

    if (value->len > 8 && dr_strncmp(value->data, "backlog=", 8) == 0) {
        v = dr_atoi(value->data + 8, value->len - 8);
        lsopt->set = 1;
        lsopt->bind = 1;

        if (v == DR_ERROR || v == 0 || v > INT_MAX) {
            return "has invalid backlog";
        }

        lsopt->backlog = (int) v;
        return DR_CONF_OK;
    }

    if (value->len > 7 && (dr_strncmp(value->data, "rcvbuf=", 7) == 0
                           || dr_strncmp(value->data, "sndbuf=", 7) == 0))
    {
        s.len = value->len - 7;
        s.data = value->data + 7;

        v = dr_parse_size(&s);

        if (v == DR_ERROR || v > INT_MAX) {
            return (value->data[0] == 'r') ? "has invalid rcvbuf"
                                           : "has invalid sndbuf";
        }

        lsopt->set = 1;
        lsopt->bind = 1;

        if (value->data[0] == 'r') {
            lsopt->rcvbuf = (int) v;
        } else {
            lsopt->sndbuf = (int) v;
        }

        return DR_CONF_OK;
    }

    if (dr_str_eq_lit(value, "deferred")) {
#if (DR_HAVE_DEFERRED_ACCEPT)
        lsopt->deferred_accept = 1;
        lsopt->set = 1;
        lsopt->bind = 1;
        return DR_CONF_OK;
#else
        return "has \"deferred\" parameter, which is not supported "
               "on this platform";
#endif
    }

    if (dr_str_eq_lit(value, "reuseport")) {
#if (DR_HAVE_REUSEPORT)
        lsopt->reuseport = 1;
        lsopt->set = 1;
        lsopt->bind = 1;
        return DR_CONF_OK;
#else
        return "has \"reuseport\" parameter, which is not supported "
               "on this platform";
#endif
    }

    if (value->len > 9 && dr_strncmp(value->data, "ipv6only=", 9) == 0) {
        if (dr_strcmp(&value->data[9], "on") == 0) {
            lsopt->ipv6only = 1;

        } else if (dr_strcmp(&value->data[9], "off") == 0) {
            lsopt->ipv6only = 0;

        } else {
            return "has invalid ipv6only value";
        }

        lsopt->set = 1;
        lsopt->bind = 1;
        return DR_CONF_OK;
    }

    if (value->len > 13 && dr_strncmp(value->data, "so_keepalive=", 13) == 0)
    {
        if (dr_strcmp(&value->data[13], "on") == 0) {
            lsopt->so_keepalive = 1;

        } else if (dr_strcmp(&value->data[13], "off") == 0) {
            lsopt->so_keepalive = 2;

        } else {

#if (DR_HAVE_KEEPALIVE_TUNABLE)
            p = &value->data[13];
            end = value->data + value->len;

            s.data = p;
            p = dr_strlchr(p, end, ':');
            if (p == NULL) {
                goto invalid_so_keepalive;
            }

            s.len = p - s.data;

            if (s.len) {
                v = dr_parse_time(&s, 1);
                if (v == DR_ERROR || v == 0) {
                    goto invalid_so_keepalive;
                }
                lsopt->tcp_keepidle = (int) v;
            }

            s.data = p + 1;
            p = dr_strlchr(s.data, end, ':');
            if (p == NULL) {
                goto invalid_so_keepalive;
            }

            s.len = p - s.data;

            if (s.len) {
                v = dr_parse_time(&s, 1);
                if (v == DR_ERROR || v == 0) {
                    goto invalid_so_keepalive;
                }
                lsopt->tcp_keepintvl = (int) v;
            }

            s.data = p + 1;
            s.len = end - s.data;

            if (s.len) {
                v = dr_atoi(s.data, s.len);
                if (v == DR_ERROR || v == 0) {
                    goto invalid_so_keepalive;
                }
                lsopt->tcp_keepcnt = (int) v;
            }

            if (lsopt->tcp_keepidle == 0 && lsopt->tcp_keepintvl == 0
                && lsopt->tcp_keepcnt == 0)
            {
                goto invalid_so_keepalive;
            }

            lsopt->so_keepalive = 1;

#else
            (void) p;
            (void) end;
            return "has \"so_keepalive\" parameter, which is not supported "
                   "on this platform";
#endif
        }

        lsopt->set = 1;
        lsopt->bind = 1;
        return DR_CONF_OK;

#if (DR_HAVE_KEEPALIVE_TUNABLE)
    invalid_so_keepalive:

        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid so_keepalive value: \"%s\"",
                          &value->data[13]);
        return DR_CONF_ERROR;
#endif
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid parameter \"%V\"", value);
    return DR_CONF_ERROR;
}


static char *
dr_http_core_server_name(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_srv_conf_t *cscf = conf;

    u_char                    ch, errstr[DR_MAX_CONF_ERRSTR];
    dr_str_t                 *value;
    dr_uint_t                 i;
    dr_regex_compile_t        rc;
    dr_http_server_name_t    *sn;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        ch = value[i].len ? value[i].data[0] : '\0';

        if ((ch == '*' && (value[i].len < 3 || value[i].data[1] != '.'))
            || (ch == '.' && value[i].len < 2))
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "server name \"%V\" is invalid", &value[i]);
            return DR_CONF_ERROR;
        }

        if (ch != '~' && dr_strchr(value[i].data, '/')) {
            dr_conf_log_error(DR_LOG_WARN, cf, 0,
                              "server name \"%V\" has suspicious symbols",
                              &value[i]);
        }

        sn = dr_array_push(&cscf->server_names);
        if (sn == NULL) {
            return DR_CONF_ERROR;
        }

        sn->regex = NULL;
        sn->server = cscf;

        if (dr_strcasecmp(value[i].data, (u_char *) "$hostname") == 0) {
            sn->name = cf->cycle->hostname;

        } else {
            sn->name = value[i];
        }

        if (value[i].len == 0 || value[i].data[0] != '~') {
            dr_strlow(sn->name.data, sn->name.data, sn->name.len);
            continue;
        }

        if (value[i].len == 1) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "empty regex in server name \"%V\"", &value[i]);
            return DR_CONF_ERROR;
        }

        value[i].len--;
        value[i].data++;

        dr_memzero(&rc, sizeof(dr_regex_compile_t));

        rc.pattern = value[i];
        rc.err.len = DR_MAX_CONF_ERRSTR;
        rc.err.data = errstr;

        /* host names are lowercase: the pattern matches them as written */

        sn->regex = dr_http_regex_compile(cf, &rc);
        if (sn->regex == NULL) {
            return DR_CONF_ERROR;
        }

        sn->name = value[i];
        cscf->captures = (rc.captures > 0);
    }

    return DR_CONF_OK;
}


/* root path; alias path */

static char *
dr_http_core_root(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    dr_str_t                  *value;
    dr_int_t                   alias;
    dr_uint_t                  n;
    dr_http_script_compile_t   sc;

    alias = (cmd->name.len == sizeof("alias") - 1) ? 1 : 0;

    if (clcf->root.data) {

        if ((clcf->alias != 0) == alias) {
            return "is duplicate";
        }

        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%V\" directive is duplicate, "
                          "\"%s\" directive was specified earlier",
                          &cmd->name, clcf->alias ? "alias" : "root");

        return DR_CONF_ERROR;
    }

    if (clcf->named && alias) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the \"alias\" directive cannot be used "
                          "inside the named location");

        return DR_CONF_ERROR;
    }

    value = cf->args->elts;

    if (dr_strstr(value[1].data, "$document_root")
        || dr_strstr(value[1].data, "${document_root}"))
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the $document_root variable cannot be used "
                          "in the \"%V\" directive",
                          &cmd->name);

        return DR_CONF_ERROR;
    }

    if (dr_strstr(value[1].data, "$realpath_root")
        || dr_strstr(value[1].data, "${realpath_root}"))
    {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the $realpath_root variable cannot be used "
                          "in the \"%V\" directive",
                          &cmd->name);

        return DR_CONF_ERROR;
    }

    clcf->alias = alias ? clcf->name.len : 0;
    clcf->root = value[1];

    if (!alias && clcf->root.len > 0
        && clcf->root.data[clcf->root.len - 1] == '/')
    {
        clcf->root.len--;
    }

    if (clcf->root.data[0] != '$') {
        if (dr_conf_full_name(cf->cycle, &clcf->root, 0) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    n = dr_http_script_variables_count(&clcf->root);

    dr_memzero(&sc, sizeof(dr_http_script_compile_t));
    sc.variables = n;

    if (alias && clcf->regex) {
        clcf->alias = DR_MAX_SIZE_T_VALUE;
        n = 1;
    }

    if (n) {
        sc.cf = cf;
        sc.source = &clcf->root;
        sc.lengths = &clcf->root_lengths;
        sc.values = &clcf->root_values;
        sc.complete_lengths = 1;
        sc.complete_values = 1;

        if (dr_http_script_compile(&sc) != DR_OK) {
            return DR_CONF_ERROR;
        }
    }

    return DR_CONF_OK;
}


static char *
dr_http_core_internal(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    if (clcf->internal != DR_CONF_UNSET) {
        return "is duplicate";
    }

    clcf->internal = 1;

    return DR_CONF_OK;
}


/* keepalive_timeout timeout [header_timeout] */

static char *
dr_http_core_keepalive(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    dr_str_t  *value;
    dr_int_t   t;

    if (clcf->keepalive_timeout != DR_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    t = dr_parse_time(&value[1], 0);
    if (t == DR_ERROR) {
        return "invalid value";
    }

    clcf->keepalive_timeout = (dr_msec_t) t;

    if (cf->args->nelts == 2) {
        return DR_CONF_OK;
    }

    t = dr_parse_time(&value[2], 1);
    if (t == DR_ERROR) {
        return "invalid value";
    }

    clcf->keepalive_header = (time_t) t;

    return DR_CONF_OK;
}


/* large_client_header_buffers number size */

static char *
dr_http_core_large_buffers(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_srv_conf_t *cscf = conf;

    dr_str_t  *value;
    dr_int_t   num;
    ssize_t    size;

    if (cscf->large_client_header_buffers.num) {
        return "is duplicate";
    }

    value = cf->args->elts;

    num = dr_atoi(value[1].data, value[1].len);
    if (num == DR_ERROR || num == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid value \"%V\"", &value[1]);
        return DR_CONF_ERROR;
    }

    size = dr_parse_size(&value[2]);
    if (size == DR_ERROR || size == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid value \"%V\"", &value[2]);
        return DR_CONF_ERROR;
    }

    cscf->large_client_header_buffers.num = num;
    cscf->large_client_header_buffers.size = size;

    return DR_CONF_OK;
}


/* error_page code ... [=[response]] uri */

static char *
dr_http_core_error_page(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    u_char                            *p;
    dr_int_t                           overwrite;
    dr_str_t                          *value, uri, args;
    dr_uint_t                          i, n;
    dr_http_err_page_t                *err;
    dr_http_complex_value_t            cv;
    dr_http_compile_complex_value_t    ccv;

    if (clcf->error_pages == NULL) {
        clcf->error_pages = dr_array_create(cf->pool, 4,
                                            sizeof(dr_http_err_page_t));
        if (clcf->error_pages == NULL) {
            return DR_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    i = cf->args->nelts - 2;

    if (value[i].data[0] == '=') {
        if (i == 1) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid value \"%V\"", &value[i]);
            return DR_CONF_ERROR;
        }

        if (value[i].len > 1) {
            overwrite = dr_atoi(&value[i].data[1], value[i].len - 1);

            if (overwrite == DR_ERROR) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "invalid value \"%V\"", &value[i]);
                return DR_CONF_ERROR;
            }

        } else {
            overwrite = 0;
        }

        n = 2;

    } else {
        overwrite = -1;
        n = 1;
    }

    uri = value[cf->args->nelts - 1];

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &uri;
    ccv.complex_value = &cv;

    if (dr_http_compile_complex_value(&ccv) != DR_OK) {
        return DR_CONF_ERROR;
    }

    dr_str_null(&args);

    if (cv.lengths == NULL && uri.len && uri.data[0] == '/') {
        p = (u_char *) dr_strchr(uri.data, '?');

        if (p) {
            cv.value.len = p - uri.data;
            cv.value.data = uri.data;
            p++;
            args.len = (uri.data + uri.len) - p;
            args.data = p;
        }
    }

    for (i = 1; i < cf->args->nelts - n; i++) {
        err = dr_array_push(clcf->error_pages);
        if (err == NULL) {
            return DR_CONF_ERROR;
        }

        err->status = dr_atoi(value[i].data, value[i].len);

        if (err->status == DR_ERROR || err->status == 499) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid value \"%V\"", &value[i]);
            return DR_CONF_ERROR;
        }

        if (err->status < 300 || err->status > 599) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "value \"%V\" must be between 300 and 599",
                              &value[i]);
            return DR_CONF_ERROR;
        }

        err->overwrite = overwrite;

        if (overwrite == -1
            && err->status == DR_HTTP_REQUEST_HEADER_TOO_LARGE)
        {
            err->overwrite = DR_HTTP_BAD_REQUEST;
        }

        err->value = cv;
        err->args = args;
    }

    return DR_CONF_OK;
}


/* try_files file ... uri | =code */

static char *
dr_http_core_try_files(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    dr_str_t                  *value;
    dr_int_t                   code;
    dr_uint_t                  i, n;
    dr_http_try_file_t        *tf;
    dr_http_script_compile_t   sc;

    if (clcf->try_files) {
        return "is duplicate";
    }

    tf = dr_pcalloc(cf->pool, cf->args->nelts * sizeof(dr_http_try_file_t));
    if (tf == NULL) {
        return DR_CONF_ERROR;
    }

    clcf->try_files = tf;

    value = cf->args->elts;

    for (i = 0; i < cf->args->nelts - 1; i++) {

        tf[i].name = value[i + 1];

        if (tf[i].name.len > 0
            && tf[i].name.data[tf[i].name.len - 1] == '/'
            && i + 2 < cf->args->nelts)
        {
            tf[i].test_dir = 1;
            tf[i].name.len--;
            tf[i].name.data[tf[i].name.len] = '\0';
        }

        n = dr_http_script_variables_count(&tf[i].name);

        if (n) {
            dr_memzero(&sc, sizeof(dr_http_script_compile_t));

            sc.cf = cf;
            sc.source = &tf[i].name;
            sc.lengths = &tf[i].lengths;
            sc.values = &tf[i].values;
            sc.variables = n;
            sc.complete_lengths = 1;
            sc.complete_values = 1;

            if (dr_http_script_compile(&sc) != DR_OK) {
                return DR_CONF_ERROR;
            }

        } else {
            /* add trailing '\0' to length */
            tf[i].name.len++;
        }
    }

    if (tf[i - 1].name.data[0] == '=') {

        code = dr_atoi(tf[i - 1].name.data + 1, tf[i - 1].name.len - 2);

        if (code == DR_ERROR || code > 999) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid code \"%*s\"",
                              tf[i - 1].name.len - 1, tf[i - 1].name.data);
            return DR_CONF_ERROR;
        }

        tf[i].code = code;
    }

    return DR_CONF_OK;
}


static char *
dr_http_core_error_log(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    return dr_log_set_log(cf, &clcf->error_log);
}


/* client_body_temp_path path [level1 [level2 [level3]]] */

static char *
dr_http_core_client_body_temp_path(dr_conf_t *cf, dr_command_t *cmd,
    void *conf)
{
    dr_http_core_loc_conf_t *clcf = conf;

    dr_str_t   *value;
    dr_int_t    level;
    dr_uint_t   i;

    if (clcf->client_body_temp_path.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* levels are accepted for compatibility: files go in the directory */

    for (i = 2; i < cf->args->nelts; i++) {
        level = dr_atoi(value[i].data, value[i].len);
        if (level == DR_ERROR || level == 0 || level > 2) {
            return "invalid value";
        }
    }

    clcf->client_body_temp_path = value[1];

    if (clcf->client_body_temp_path.len > 1
        && clcf->client_body_temp_path.data[clcf->client_body_temp_path.len
                                            - 1] == '/')
    {
        clcf->client_body_temp_path.len--;
    }

    if (dr_conf_full_name(cf->cycle, &clcf->client_body_temp_path, 0)
        != DR_OK)
    {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


/* resolver: accepted for compatibility; drover resolves at config time */

static char *
dr_http_core_resolver(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_conf_log_error(DR_LOG_NOTICE, cf, 0,
                      "\"%V\" is ignored: upstream names are resolved "
                      "when the configuration is read", &cmd->name);

    return DR_CONF_OK;
}


static char *
dr_http_core_lowat_check(dr_conf_t *cf, void *post, void *data)
{
    size_t  *np = data;

    if (*np >= 64 * 1024 * 1024) {
        return "is too large";
    }

    return DR_CONF_OK;
}


static char *
dr_http_core_pool_size(dr_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    if (*sp < DR_MIN_POOL_SIZE) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the pool size must be no less than %uz",
                          (size_t) DR_MIN_POOL_SIZE);
        return DR_CONF_ERROR;
    }

    if (*sp % DR_POOL_ALIGNMENT) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the pool size must be a multiple of %uz",
                          (size_t) DR_POOL_ALIGNMENT);
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}
