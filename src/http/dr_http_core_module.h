/*
 * The http core module (nginx's ngx_http_core_module.h): the phases, the
 * http/server/location conf structs, listen options and the request API
 * modules call (send header, output filter, finalize, redirects, paths).
 */
#ifndef DR_HTTP_CORE_MODULE_H_INCLUDED
#define DR_HTTP_CORE_MODULE_H_INCLUDED


#define DR_HTTP_GZIP_PROXIED_OFF       0x0002
#define DR_HTTP_GZIP_PROXIED_EXPIRED   0x0004
#define DR_HTTP_GZIP_PROXIED_NO_CACHE  0x0008
#define DR_HTTP_GZIP_PROXIED_NO_STORE  0x0010
#define DR_HTTP_GZIP_PROXIED_PRIVATE   0x0020
#define DR_HTTP_GZIP_PROXIED_NO_LM     0x0040
#define DR_HTTP_GZIP_PROXIED_NO_ETAG   0x0080
#define DR_HTTP_GZIP_PROXIED_AUTH      0x0100
#define DR_HTTP_GZIP_PROXIED_ANY       0x0200

#define DR_HTTP_SATISFY_ALL            0
#define DR_HTTP_SATISFY_ANY            1

#define DR_HTTP_LINGERING_OFF          0
#define DR_HTTP_LINGERING_ON           1
#define DR_HTTP_LINGERING_ALWAYS       2

#define DR_HTTP_IMS_OFF                0
#define DR_HTTP_IMS_EXACT              1
#define DR_HTTP_IMS_BEFORE             2

#define DR_HTTP_KEEPALIVE_DISABLE_NONE    0x0002
#define DR_HTTP_KEEPALIVE_DISABLE_MSIE6   0x0004
#define DR_HTTP_KEEPALIVE_DISABLE_SAFARI  0x0008

#define DR_HTTP_SERVER_TOKENS_OFF      0
#define DR_HTTP_SERVER_TOKENS_ON       1
#define DR_HTTP_SERVER_TOKENS_BUILD    2

#define DR_HTTP_REQUEST_BODY_FILE_OFF    0
#define DR_HTTP_REQUEST_BODY_FILE_ON     1
#define DR_HTTP_REQUEST_BODY_FILE_CLEAN  2


typedef struct dr_http_location_tree_node_s  dr_http_location_tree_node_t;


/* the options of one "listen" directive */
typedef struct {
    struct sockaddr           *sockaddr;
    socklen_t                  socklen;
    dr_str_t                   addr_text;

    unsigned                   set:1;          /* an option beyond the address */
    unsigned                   default_server:1;
    unsigned                   bind:1;         /* a socket of its own */
    unsigned                   wildcard:1;
    unsigned                   ipv6only:1;
    unsigned                   deferred_accept:1;
    unsigned                   reuseport:1;
    unsigned                   so_keepalive:2; /* 1 on, 2 off */

    int                        backlog;
    int                        rcvbuf;
    int                        sndbuf;
    int                        tcp_keepidle;
    int                        tcp_keepintvl;
    int                        tcp_keepcnt;
} dr_http_listen_opt_t;


typedef enum {
    DR_HTTP_POST_READ_PHASE = 0,

    DR_HTTP_SERVER_REWRITE_PHASE,

    DR_HTTP_FIND_CONFIG_PHASE,
    DR_HTTP_REWRITE_PHASE,
    DR_HTTP_POST_REWRITE_PHASE,

    DR_HTTP_PREACCESS_PHASE,

    DR_HTTP_ACCESS_PHASE,
    DR_HTTP_POST_ACCESS_PHASE,

    DR_HTTP_PRECONTENT_PHASE,          /* try_files */

    DR_HTTP_CONTENT_PHASE,

    DR_HTTP_LOG_PHASE
} dr_http_phases;

#define DR_HTTP_TRY_FILES_PHASE  DR_HTTP_PRECONTENT_PHASE


typedef struct dr_http_phase_handler_s  dr_http_phase_handler_t;

/* runs the handler <ph> of a phase; DR_OK: stop the engine for now */
typedef dr_int_t (*dr_http_phase_handler_pt)(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);

struct dr_http_phase_handler_s {
    dr_http_phase_handler_pt   checker;
    dr_http_handler_pt         handler;
    dr_uint_t                  next;       /* the first handler of the next
                                              phase (or of find config) */
};

typedef struct {
    dr_http_phase_handler_t   *handlers;
    dr_uint_t                  server_rewrite_index;
    dr_uint_t                  location_rewrite_index;
} dr_http_phase_engine_t;

typedef struct {
    dr_array_t                 handlers;   /* dr_http_handler_pt */
} dr_http_phase_t;


typedef struct {
    dr_array_t                 servers;    /* dr_http_core_srv_conf_t * */

    dr_http_phase_engine_t     phase_engine;

    dr_hash_t                  headers_in_hash;

    dr_hash_t                  variables_hash;

    dr_array_t                 variables;          /* dr_http_variable_t */
    dr_array_t                 prefix_variables;   /* dr_http_variable_t */
    dr_uint_t                  ncaptures;

    dr_uint_t                  server_names_hash_max_size;
    dr_uint_t                  server_names_hash_bucket_size;

    dr_uint_t                  variables_hash_max_size;
    dr_uint_t                  variables_hash_bucket_size;

    dr_hash_keys_arrays_t     *variables_keys;

    dr_array_t                *ports;      /* dr_http_conf_port_t */

    dr_http_phase_t            phases[DR_HTTP_LOG_PHASE + 1];
} dr_http_core_main_conf_t;


typedef struct {
    /* array of the dr_http_server_name_t, "server_name" directive */
    dr_array_t                 server_names;

    /* server ctx */
    dr_http_conf_ctx_t        *ctx;

    u_char                    *file_name;
    dr_uint_t                  line;

    dr_str_t                   server_name;    /* the first name */

    size_t                     connection_pool_size;
    size_t                     request_pool_size;
    size_t                     client_header_buffer_size;

    dr_bufs_t                  large_client_header_buffers;

    dr_msec_t                  client_header_timeout;

    dr_flag_t                  ignore_invalid_headers;
    dr_flag_t                  merge_slashes;
    dr_flag_t                  underscores_in_headers;

    unsigned                   listen:1;
    unsigned                   captures:1;     /* a ~regex name has them */

    dr_http_core_loc_conf_t  **named_locations;    /* NULL-terminated */
} dr_http_core_srv_conf_t;


/* list of structures to find core_srv_conf quickly at run time */

typedef struct {
    dr_http_regex_t           *regex;
    dr_http_core_srv_conf_t   *server;     /* virtual name server conf */
    dr_str_t                   name;
} dr_http_server_name_t;


typedef struct {
    dr_hash_combined_t         names;

    dr_uint_t                  nregex;
    dr_http_server_name_t     *regex;
} dr_http_virtual_names_t;


struct dr_http_addr_conf_s {
    /* the default server configuration for this address:port */
    dr_http_core_srv_conf_t   *default_server;

    dr_http_virtual_names_t   *virtual_names;

    unsigned                   ssl:1;
    unsigned                   proxy_protocol:1;
};


/* the addresses a listening socket serves (several behind a wildcard) */
typedef struct {
    dr_sockaddr_t              sockaddr;
    socklen_t                  socklen;
    dr_http_addr_conf_t        conf;
} dr_http_in_addr_t;

typedef struct {
    /* dr_http_in_addr_t: the specific addresses first, the wildcard last */
    dr_http_in_addr_t         *addrs;
    dr_uint_t                  naddrs;
} dr_http_port_t;


/* config-time collection of listen addresses */
typedef struct {
    int                        family;
    in_port_t                  port;
    dr_array_t                 addrs;      /* dr_http_conf_addr_t */
} dr_http_conf_port_t;

typedef struct {
    dr_http_listen_opt_t       opt;

    dr_hash_combined_t         names;      /* exact and wildcard names */
    dr_uint_t                  nregex;
    dr_http_server_name_t     *regex;

    /* the default server configuration for this address:port */
    dr_http_core_srv_conf_t   *default_server;
    dr_array_t                 servers;    /* dr_http_core_srv_conf_t * */
} dr_http_conf_addr_t;


typedef struct {
    dr_int_t                   status;
    dr_int_t                   overwrite;  /* "=code": -1 none, 0 upstream's */
    dr_http_complex_value_t    value;
    dr_str_t                   args;
} dr_http_err_page_t;


typedef struct {
    dr_array_t                *lengths;
    dr_array_t                *values;
    dr_str_t                   name;

    unsigned                   code:10;
    unsigned                   test_dir:1;
} dr_http_try_file_t;


struct dr_http_core_loc_conf_s {
    dr_str_t                   name;       /* location name */
    dr_str_t                   escaped_name;

    dr_http_regex_t           *regex;

    unsigned                   noname:1;   /* "if () {}" block or limit_except */
    unsigned                   lmt_excpt:1;
    unsigned                   named:1;    /* "@name" */

    unsigned                   exact_match:1;  /* "=" */
    unsigned                   noregex:1;      /* "^~" */

    unsigned                   auto_redirect:1;    /* proxy_pass ... "/x/" */

    dr_http_location_tree_node_t   *static_locations;
    dr_http_core_loc_conf_t       **regex_locations;   /* NULL-terminated */

    /* pointer to the modules' loc_conf */
    void                     **loc_conf;

    uint32_t                   limit_except;
    void                     **limit_except_loc_conf;

    dr_http_handler_pt         handler;    /* content handler (proxy_pass) */

    /* location name length for inclusive location with inherited alias */
    size_t                     alias;
    dr_str_t                   root;       /* root, alias */
    dr_str_t                   post_action;

    dr_array_t                *root_lengths;
    dr_array_t                *root_values;

    dr_array_t                *types;
    dr_hash_t                  types_hash;
    dr_str_t                   default_type;

    off_t                      client_max_body_size;

    size_t                     client_body_buffer_size;
    size_t                     send_lowat;
    size_t                     postpone_output;
    size_t                     sendfile_max_chunk;

    dr_msec_t                  client_body_timeout;
    dr_msec_t                  send_timeout;
    dr_msec_t                  keepalive_timeout;
    dr_msec_t                  lingering_time;
    dr_msec_t                  lingering_timeout;

    time_t                     keepalive_header;

    dr_uint_t                  keepalive_requests;
    dr_uint_t                  keepalive_disable;
    dr_uint_t                  satisfy;
    dr_uint_t                  lingering_close;
    dr_uint_t                  if_modified_since;
    dr_uint_t                  max_ranges;
    dr_uint_t                  client_body_in_file_only;

    dr_flag_t                  client_body_in_single_buffer;
    dr_flag_t                  internal;
    dr_flag_t                  sendfile;
    dr_flag_t                  tcp_nopush;
    dr_flag_t                  tcp_nodelay;
    dr_flag_t                  reset_timedout_connection;
    dr_flag_t                  absolute_redirect;
    dr_flag_t                  server_name_in_redirect;
    dr_flag_t                  port_in_redirect;
    dr_flag_t                  msie_padding;
    dr_flag_t                  msie_refresh;
    dr_flag_t                  log_not_found;
    dr_flag_t                  log_subrequest;
    dr_flag_t                  recursive_error_pages;
    dr_uint_t                  server_tokens;
    dr_flag_t                  chunked_transfer_encoding;
    dr_flag_t                  etag;

    dr_array_t                *error_pages;    /* dr_http_err_page_t */

    dr_str_t                   client_body_temp_path;  /* absolute */

    dr_log_t                  *error_log;

    dr_uint_t                  types_hash_max_size;
    dr_uint_t                  types_hash_bucket_size;

    dr_queue_t                *locations;

    dr_http_try_file_t        *try_files;  /* last one: name.len 0 or code */
};


/* config-time queue of locations (nginx's ngx_http_location_queue_t) */
typedef struct {
    dr_queue_t                 queue;
    dr_http_core_loc_conf_t   *exact;
    dr_http_core_loc_conf_t   *inclusive;
    dr_str_t                  *name;
    u_char                    *file_name;
    dr_uint_t                  line;
    dr_queue_t                 list;
} dr_http_location_queue_t;


/*
 * The static location tree: a binary tree on the names that are not a
 * prefix of one another; the names a node's name is a prefix of hang in
 * its <tree> with the common part cut off (nginx's).
 */
struct dr_http_location_tree_node_s {
    dr_http_location_tree_node_t   *left;
    dr_http_location_tree_node_t   *right;
    dr_http_location_tree_node_t   *tree;

    dr_http_core_loc_conf_t        *exact;
    dr_http_core_loc_conf_t        *inclusive;

    u_char                          auto_redirect;
    u_short                         len;
    u_char                          name[1];
};


/* phase checkers (the engine calls these; modules never do) */
dr_int_t dr_http_core_generic_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);
dr_int_t dr_http_core_rewrite_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);
dr_int_t dr_http_core_find_config_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);
dr_int_t dr_http_core_post_rewrite_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);
dr_int_t dr_http_core_access_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);
dr_int_t dr_http_core_post_access_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);
dr_int_t dr_http_core_content_phase(dr_http_request_t *r,
    dr_http_phase_handler_t *ph);

/* runs the phase engine from r->phase_handler until a handler stops it */
void dr_http_core_run_phases(dr_http_request_t *r);

/*
 * Looks the location up for r->uri in the current server (exact, longest
 * prefix, regexes in order, nested ones) and sets r->loc_conf.
 * DR_OK, DR_DONE (an auto-redirect: 301 already sent?), DR_ERROR.
 */
dr_int_t dr_http_core_find_location(dr_http_request_t *r);

/* the value of <hash> (types) for the response's content type, or NULL */
void *dr_http_test_content_type(dr_http_request_t *r, dr_hash_t *types_hash);
/* Content-Type from r->exten and the location's types (default_type) */
dr_int_t dr_http_set_content_type(dr_http_request_t *r);
void dr_http_set_exten(dr_http_request_t *r);
/* ETag from last_modified_time and content_length_n (if "etag on") */
dr_int_t dr_http_set_etag(dr_http_request_t *r);
void dr_http_weak_etag(dr_http_request_t *r);

/*
 * A whole response: <status> with <ct> as Content-Type and <cv> as the
 * body or, for 301..308, the Location. DR_OK, DR_ERROR or a status for
 * dr_http_finalize_request().
 */
dr_int_t dr_http_send_response(dr_http_request_t *r, dr_uint_t status,
    dr_str_t *ct, dr_http_complex_value_t *cv);

/*
 * root/alias + the URI: writes the path into a new buffer of r->pool with
 * <reserved> extra bytes at the end (for an index file name), sets *path
 * (its len counts the NUL) and *root_length (the root's part). Returns the
 * byte after the URI (where a caller appends), or NULL on no memory.
 */
u_char *dr_http_map_uri_to_path(dr_http_request_t *r, dr_str_t *path,
    size_t *root_length, size_t reserved);
/* the server's address text into <s> (getsockname if needed) */
dr_int_t dr_http_server_addr(dr_http_request_t *r, dr_str_t *s);

/*
 * Restarts the request at <uri> (+ <args>) from the server rewrite phase
 * (rewrite ... last, error_page, try_files, index). At most 10 per
 * request ("rewrite or internal redirection cycle": 500). Returns DR_DONE;
 * the caller must return DR_DONE too.
 */
dr_int_t dr_http_internal_redirect(dr_http_request_t *r, dr_str_t *uri,
    dr_str_t *args);
/* the same to "@name": DR_DONE (500 if there is no such location) */
dr_int_t dr_http_named_location(dr_http_request_t *r, dr_str_t *name);

/* a cleanup that runs when the request is freed; NULL on no memory */
dr_http_cleanup_t *dr_http_cleanup_add(dr_http_request_t *r, size_t size);

/*
 * The filter chains. A header filter may change r->headers_out, then calls
 * the next one; a body filter takes a chain, may transform it, then calls
 * the next one with what it lets through. DR_OK, DR_AGAIN (buffered, the
 * write event will resume), DR_ERROR. A module links itself in its
 * postconfiguration:
 *     dr_http_mine_next_header_filter = dr_http_top_header_filter;
 *     dr_http_top_header_filter = dr_http_mine_header_filter;
 */
dr_int_t dr_http_send_header(dr_http_request_t *r);
dr_int_t dr_http_output_filter(dr_http_request_t *r, dr_chain_t *in);

/* the PRECONTENT handler of try_files (registered by the core) */
dr_int_t dr_http_core_try_files_handler(dr_http_request_t *r);
/* the core's last-resort CONTENT handler (403/404), registered first */
dr_int_t dr_http_core_add_default_content_handler(dr_conf_t *cf);

/*
 * Escapes <src> for use in a URI: DR_ESCAPE_URI (a path), DR_ESCAPE_ARGS
 * (a query), DR_ESCAPE_URI_COMPONENT, DR_ESCAPE_HTML. With <dst> NULL,
 * returns the number of bytes that need escaping (each takes 2 more);
 * else writes and returns the end of the output.
 */
#define DR_ESCAPE_URI            0
#define DR_ESCAPE_ARGS           1
#define DR_ESCAPE_URI_COMPONENT  2
#define DR_ESCAPE_HTML           3
#define DR_ESCAPE_REFRESH        4
uintptr_t dr_http_escape_uri(u_char *dst, u_char *src, size_t size,
    dr_uint_t type);
/* decodes %XX (and '+' stays): for $arg_ values and args; in place ok */
void dr_http_unescape_uri(u_char **dst, u_char **src, size_t size);

/* c->log takes the file, level and chain of <log> (error_log per location) */
void dr_http_set_connection_log(dr_connection_t *c, dr_log_t *log);

/* nginx's helpers for output headers */
#define dr_http_clear_content_length(r)                                       \
                                                                              \
    (r)->headers_out.content_length_n = -1;                                   \
    if ((r)->headers_out.content_length) {                                    \
        (r)->headers_out.content_length->hash = 0;                            \
        (r)->headers_out.content_length = NULL;                               \
    }

#define dr_http_clear_accept_ranges(r)                                        \
                                                                              \
    (r)->allow_ranges = 0;                                                    \
    if ((r)->headers_out.accept_ranges) {                                     \
        (r)->headers_out.accept_ranges->hash = 0;                             \
        (r)->headers_out.accept_ranges = NULL;                                \
    }

#define dr_http_clear_last_modified(r)                                        \
                                                                              \
    (r)->headers_out.last_modified_time = -1;                                 \
    if ((r)->headers_out.last_modified) {                                     \
        (r)->headers_out.last_modified->hash = 0;                             \
        (r)->headers_out.last_modified = NULL;                                \
    }

#define dr_http_clear_location(r)                                             \
                                                                              \
    if ((r)->headers_out.location) {                                          \
        (r)->headers_out.location->hash = 0;                                  \
        (r)->headers_out.location = NULL;                                     \
    }

#define dr_http_clear_etag(r)                                                 \
                                                                              \
    if ((r)->headers_out.etag) {                                              \
        (r)->headers_out.etag->hash = 0;                                      \
        (r)->headers_out.etag = NULL;                                         \
    }


extern dr_module_t  dr_http_core_module;

extern dr_str_t     dr_http_core_get_method;

#endif /* DR_HTTP_CORE_MODULE_H_INCLUDED */
