/*
 * The request (nginx's ngx_http_request.h, trimmed).
 *
 * A request lives in its own pool (r->pool), created when the first byte
 * of its head arrives and destroyed when it is finalized; the connection
 * (c->pool, a small http connection struct, a header buffer that is freed
 * while idle) outlives it across keep-alive. Header names and values,
 * r->request_line, r->unparsed_uri and r->args are views into the
 * connection's header buffer, which stays put until the request is freed.
 *
 * Subrequests are not implemented: r->main == r, r->parent == NULL. The
 * fields keep nginx's names so that module code reads the same.
 */
#ifndef DR_HTTP_REQUEST_H_INCLUDED
#define DR_HTTP_REQUEST_H_INCLUDED


#define DR_HTTP_MAX_URI_CHANGES           10
#define DR_HTTP_MAX_SUBREQUESTS           50

/* header lines of a request: a request with more is a 494 */
#define DR_HTTP_MAX_HEADERS               100

#define DR_HTTP_LC_HEADER_LEN             32

#define DR_HTTP_DISCARD_BUFFER_SIZE       4096
#define DR_HTTP_LINGERING_BUFFER_SIZE     4096

#define DR_HTTP_VERSION_9                 9
#define DR_HTTP_VERSION_10                1000
#define DR_HTTP_VERSION_11                1001

/* methods: a bitmask (limit_except, $request_method checks) */
#define DR_HTTP_UNKNOWN                   DR_HTTP_PARSE_METHOD_UNKNOWN
#define DR_HTTP_GET                       DR_HTTP_PARSE_METHOD_GET
#define DR_HTTP_HEAD                      DR_HTTP_PARSE_METHOD_HEAD
#define DR_HTTP_POST                      DR_HTTP_PARSE_METHOD_POST
#define DR_HTTP_PUT                       DR_HTTP_PARSE_METHOD_PUT
#define DR_HTTP_DELETE                    DR_HTTP_PARSE_METHOD_DELETE
#define DR_HTTP_MKCOL                     DR_HTTP_PARSE_METHOD_MKCOL
#define DR_HTTP_COPY                      DR_HTTP_PARSE_METHOD_COPY
#define DR_HTTP_MOVE                      DR_HTTP_PARSE_METHOD_MOVE
#define DR_HTTP_OPTIONS                   DR_HTTP_PARSE_METHOD_OPTIONS
#define DR_HTTP_PROPFIND                  DR_HTTP_PARSE_METHOD_PROPFIND
#define DR_HTTP_PROPPATCH                 DR_HTTP_PARSE_METHOD_PROPPATCH
#define DR_HTTP_LOCK                      DR_HTTP_PARSE_METHOD_LOCK
#define DR_HTTP_UNLOCK                    DR_HTTP_PARSE_METHOD_UNLOCK
#define DR_HTTP_PATCH                     DR_HTTP_PARSE_METHOD_PATCH
#define DR_HTTP_TRACE                     DR_HTTP_PARSE_METHOD_TRACE
#define DR_HTTP_CONNECT                   DR_HTTP_PARSE_METHOD_CONNECT

#define DR_HTTP_CONNECTION_CLOSE          1
#define DR_HTTP_CONNECTION_KEEP_ALIVE     2

/* r->http_state */
#define DR_HTTP_INITING_REQUEST_STATE     0
#define DR_HTTP_READING_REQUEST_STATE     1
#define DR_HTTP_PROCESS_REQUEST_STATE     2
#define DR_HTTP_CONNECT_UPSTREAM_STATE    3
#define DR_HTTP_WRITING_UPSTREAM_STATE    4
#define DR_HTTP_READING_UPSTREAM_STATE    5
#define DR_HTTP_WRITING_REQUEST_STATE     6
#define DR_HTTP_LINGERING_CLOSE_STATE     7
#define DR_HTTP_KEEPALIVE_STATE           8


#define DR_HTTP_CONTINUE                  100
#define DR_HTTP_SWITCHING_PROTOCOLS       101
#define DR_HTTP_PROCESSING                102

#define DR_HTTP_OK                        200
#define DR_HTTP_CREATED                   201
#define DR_HTTP_ACCEPTED                  202
#define DR_HTTP_NO_CONTENT                204
#define DR_HTTP_PARTIAL_CONTENT           206

#define DR_HTTP_SPECIAL_RESPONSE          300
#define DR_HTTP_MOVED_PERMANENTLY         301
#define DR_HTTP_MOVED_TEMPORARILY         302
#define DR_HTTP_SEE_OTHER                 303
#define DR_HTTP_NOT_MODIFIED              304
#define DR_HTTP_TEMPORARY_REDIRECT        307
#define DR_HTTP_PERMANENT_REDIRECT        308

#define DR_HTTP_BAD_REQUEST               400
#define DR_HTTP_UNAUTHORIZED              401
#define DR_HTTP_FORBIDDEN                 403
#define DR_HTTP_NOT_FOUND                 404
#define DR_HTTP_NOT_ALLOWED               405
#define DR_HTTP_REQUEST_TIME_OUT          408
#define DR_HTTP_CONFLICT                  409
#define DR_HTTP_LENGTH_REQUIRED           411
#define DR_HTTP_PRECONDITION_FAILED       412
#define DR_HTTP_REQUEST_ENTITY_TOO_LARGE  413
#define DR_HTTP_REQUEST_URI_TOO_LARGE     414
#define DR_HTTP_UNSUPPORTED_MEDIA_TYPE    415
#define DR_HTTP_RANGE_NOT_SATISFIABLE     416
#define DR_HTTP_MISDIRECTED_REQUEST       421
#define DR_HTTP_TOO_MANY_REQUESTS         429

/* nginx's own codes: never sent as such */
#define DR_HTTP_CLOSE                     444     /* close, send nothing */
#define DR_HTTP_NGINX_CODES               494
#define DR_HTTP_REQUEST_HEADER_TOO_LARGE  494     /* sent as 400 */
#define DR_HTTP_CLIENT_CLOSED_REQUEST     499     /* logged only */

#define DR_HTTP_INTERNAL_SERVER_ERROR     500
#define DR_HTTP_NOT_IMPLEMENTED           501
#define DR_HTTP_BAD_GATEWAY               502
#define DR_HTTP_SERVICE_UNAVAILABLE       503
#define DR_HTTP_GATEWAY_TIME_OUT          504
#define DR_HTTP_VERSION_NOT_SUPPORTED     505
#define DR_HTTP_INSUFFICIENT_STORAGE      507


/* r->buffered, c->buffered: who holds output back */
#define DR_HTTP_LOWLEVEL_BUFFERED         0xf0
#define DR_HTTP_WRITE_BUFFERED            0x10
#define DR_HTTP_GZIP_BUFFERED             0x20
#define DR_HTTP_SSI_BUFFERED              0x01
#define DR_HTTP_SUB_BUFFERED              0x02
#define DR_HTTP_COPY_BUFFERED             0x04


typedef struct {
    dr_list_t                  headers;        /* dr_table_elt_t */

    dr_table_elt_t            *host;
    dr_table_elt_t            *connection;
    dr_table_elt_t            *if_modified_since;
    dr_table_elt_t            *if_unmodified_since;
    dr_table_elt_t            *if_match;
    dr_table_elt_t            *if_none_match;
    dr_table_elt_t            *user_agent;
    dr_table_elt_t            *referer;
    dr_table_elt_t            *content_length;
    dr_table_elt_t            *content_range;
    dr_table_elt_t            *content_type;
    dr_table_elt_t            *range;
    dr_table_elt_t            *if_range;
    dr_table_elt_t            *transfer_encoding;
    dr_table_elt_t            *te;
    dr_table_elt_t            *expect;
    dr_table_elt_t            *upgrade;
    dr_table_elt_t            *accept_encoding;
    dr_table_elt_t            *via;
    dr_table_elt_t            *authorization;
    dr_table_elt_t            *keep_alive;
    dr_table_elt_t            *x_forwarded_for;    /* ->next: the others */
    dr_table_elt_t            *x_real_ip;
    dr_table_elt_t            *accept;
    dr_table_elt_t            *accept_language;
    dr_table_elt_t            *cookie;             /* ->next: the others */

    dr_str_t                   user;               /* basic auth, unused */
    dr_str_t                   passwd;

    /* the virtual host: the target's host, else Host's; lowercase, no
     * port, no final dot ($host when not empty) */
    dr_str_t                   server;

    off_t                      content_length_n;   /* -1: none */
    time_t                     keep_alive_n;

    unsigned                   connection_type:2;  /* DR_HTTP_CONNECTION_* */
    unsigned                   chunked:1;
    unsigned                   upgrade_requested:1;
    unsigned                   expect_continue:1;
    unsigned                   msie:1;
    unsigned                   msie6:1;
    unsigned                   opera:1;
    unsigned                   gecko:1;
    unsigned                   chrome:1;
    unsigned                   safari:1;
    unsigned                   konqueror:1;
} dr_http_headers_in_t;


typedef struct {
    dr_list_t                  headers;        /* dr_table_elt_t */
    dr_list_t                  trailers;

    dr_uint_t                  status;
    dr_str_t                   status_line;    /* "200 OK"; empty: by status */

    dr_table_elt_t            *server;
    dr_table_elt_t            *date;
    dr_table_elt_t            *content_length;
    dr_table_elt_t            *content_encoding;
    dr_table_elt_t            *location;
    dr_table_elt_t            *refresh;
    dr_table_elt_t            *last_modified;
    dr_table_elt_t            *content_range;
    dr_table_elt_t            *accept_ranges;
    dr_table_elt_t            *www_authenticate;
    dr_table_elt_t            *expires;
    dr_table_elt_t            *etag;
    dr_table_elt_t            *cache_control;
    dr_table_elt_t            *link;

    dr_str_t                  *override_charset;

    size_t                     content_type_len;
    dr_str_t                   content_type;
    dr_str_t                   charset;
    u_char                    *content_type_lowcase;
    dr_uint_t                  content_type_hash;

    off_t                      content_length_n;   /* -1: unknown */
    off_t                      content_offset;
    time_t                     date_time;
    time_t                     last_modified_time; /* -1: none */
} dr_http_headers_out_t;


/* the request headers the core interprets: name -> shortcut/handler */
typedef struct {
    dr_str_t                   name;
    dr_uint_t                  offset;     /* in dr_http_headers_in_t */
    dr_http_header_handler_pt  handler;
} dr_http_header_t;

extern dr_http_header_t  dr_http_headers_in[];


typedef void (*dr_http_client_body_handler_pt)(dr_http_request_t *r);

/* a request body spilled to disk (client_body_temp_path) */
typedef struct {
    dr_file_t                  file;           /* fd, name, offset */
    off_t                      offset;         /* bytes written */
    dr_pool_t                 *pool;
    unsigned                   persistent:1;   /* do not unlink */
} dr_http_temp_file_t;

typedef struct {
    dr_http_temp_file_t       *temp_file;
    /* the body as read: memory bufs, or one file buf (in_file) */
    dr_chain_t                *bufs;
    dr_buf_t                  *buf;            /* being filled */
    off_t                      rest;           /* to read; -1: unknown yet */
    off_t                      received;       /* payload bytes so far */
    dr_chain_t                *free;
    dr_chain_t                *busy;
    dr_http_parse_chunked_t   *chunked;
    dr_http_client_body_handler_pt  post_handler;
    unsigned                   filter_need_buffering:1;
    unsigned                   last_sent:1;
    unsigned                   last_saved:1;
} dr_http_request_body_t;


/* per connection, in c->pool: lives across keep-alive requests */
typedef struct dr_http_addr_conf_s  dr_http_addr_conf_t;

typedef struct {
    dr_http_addr_conf_t       *addr_conf;
    dr_http_conf_ctx_t        *conf_ctx;       /* the default server's */

    /* the large header buffer in use, freed at keep-alive */
    dr_buf_t                  *large;

    unsigned                   ssl:1;
    unsigned                   proxy_protocol:1;
} dr_http_connection_t;


typedef void (*dr_http_cleanup_pt)(void *data);

typedef struct dr_http_cleanup_s  dr_http_cleanup_t;

struct dr_http_cleanup_s {
    dr_http_cleanup_pt         handler;
    void                      *data;
    dr_http_cleanup_t         *next;
};


typedef void (*dr_http_event_handler_pt)(dr_http_request_t *r);


struct dr_http_request_s {
    uint32_t                   signature;      /* "HTTP" */

    dr_connection_t           *connection;

    void                     **ctx;            /* [module.ctx_index] */
    void                     **main_conf;
    void                     **srv_conf;
    void                     **loc_conf;

    dr_http_event_handler_pt   read_event_handler;
    dr_http_event_handler_pt   write_event_handler;

    dr_http_upstream_t        *upstream;       /* proxy's */
    dr_array_t                *upstream_states;

    dr_pool_t                 *pool;
    dr_buf_t                  *header_in;      /* the buffer the head is in */

    dr_http_headers_in_t       headers_in;
    dr_http_headers_out_t      headers_out;

    dr_http_request_body_t    *request_body;

    time_t                     lingering_time;
    time_t                     start_sec;
    dr_msec_t                  start_msec;

    dr_uint_t                  method;
    dr_uint_t                  http_version;

    dr_str_t                   request_line;
    dr_str_t                   uri;            /* decoded, normalised */
    dr_str_t                   args;
    dr_str_t                   exten;
    dr_str_t                   unparsed_uri;   /* as sent: $request_uri */

    dr_str_t                   method_name;
    dr_str_t                   http_protocol;
    dr_str_t                   schema;

    dr_chain_t                *out;            /* the write filter's */
    dr_http_request_t         *main;
    dr_http_request_t         *parent;

    dr_http_variable_value_t  *variables;      /* [cmcf->variables.nelts] */

    dr_uint_t                  ncaptures;      /* ints set in captures */
    int                       *captures;
    u_char                    *captures_data;

    size_t                     header_size;    /* bytes of the head */
    off_t                      request_length; /* head + body as read */

    dr_uint_t                  err_status;

    dr_http_connection_t      *http_connection;

    dr_http_log_handler_pt     log_handler;

    dr_http_cleanup_t         *cleanup;

    /* the head parser's state; its header array is in r->pool */
    dr_http_parse_request_t    parse;
    u_char                    *request_start;  /* the head in header_in */

    /* chain links the write and chunked filters recycle */
    dr_chain_t                *free_links;

    dr_int_t                   phase_handler;  /* index in the engine */
    dr_http_handler_pt         content_handler;
    dr_uint_t                  access_code;

    unsigned                   count:16;       /* references to the request */
    unsigned                   subrequests:8;
    unsigned                   blocked:8;      /* aio and the like */

    unsigned                   uri_changes:4;  /* left, from 11 */

    unsigned                   request_body_in_single_buf:1;
    unsigned                   request_body_in_file_only:1;
    unsigned                   request_body_in_persistent_file:1;
    unsigned                   request_body_in_clean_file:1;
    unsigned                   request_body_file_group_access:1;
    unsigned                   request_body_file_log_level:3;
    unsigned                   request_body_no_buffering:1;

    unsigned                   subrequest_in_memory:1;
    unsigned                   waited:1;

    unsigned                   gzip_tested:1;
    unsigned                   gzip_ok:1;
    unsigned                   gzip_vary:1;

    unsigned                   proxy:1;
    unsigned                   bypass_cache:1;
    unsigned                   no_cache:1;

    unsigned                   limit_conn_status:2;
    unsigned                   limit_req_status:3;

    unsigned                   limit_rate_set:1;
    unsigned                   limit_rate_after_set:1;

    unsigned                   pipeline:1;     /* more bytes after this one */
    unsigned                   chunked:1;      /* output is chunked */
    unsigned                   header_only:1;  /* HEAD, 204, 304 */
    unsigned                   expect_trailers:1;
    unsigned                   keepalive:1;
    unsigned                   lingering_close:1;
    unsigned                   discard_body:1;
    unsigned                   reading_body:1;
    unsigned                   internal:1;     /* internal redirect happened */
    unsigned                   error_page:1;
    unsigned                   filter_finalize:1;
    unsigned                   post_action:1;
    unsigned                   request_complete:1;
    unsigned                   request_output:1;
    unsigned                   header_sent:1;
    unsigned                   response_sent:1;
    unsigned                   expect_tested:1;
    unsigned                   root_tested:1;
    unsigned                   done:1;
    unsigned                   logged:1;
    unsigned                   terminated:1;

    unsigned                   buffered:4;

    unsigned                   main_filter_need_in_memory:1;
    unsigned                   filter_need_in_memory:1;
    unsigned                   filter_need_temporary:1;
    unsigned                   preserve_body:1;
    unsigned                   allow_ranges:1;
    unsigned                   subrequest_ranges:1;
    unsigned                   single_range:1;
    unsigned                   disable_not_modified:1;

    unsigned                   quoted_uri:1;
    unsigned                   complex_uri:1;
    unsigned                   plus_in_uri:1;
    unsigned                   empty_path_in_uri:1;
    unsigned                   valid_location:1;
    unsigned                   valid_unparsed_uri:1;
    unsigned                   uri_changed:1;
    unsigned                   add_uri_to_alias:1;
    unsigned                   invalid_header:1;

    unsigned                   http_state:4;

    unsigned                   stat_reading:1;
    unsigned                   stat_writing:1;
    unsigned                   stat_processing:1;
    unsigned                   health_check:1;

    /* the Server/Date/... headers the header filter adds are not wanted */
    unsigned                   no_date:1;
};


#endif /* DR_HTTP_REQUEST_H_INCLUDED */
