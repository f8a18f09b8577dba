/*
 * The HTTP side of proxying (nginx's ngx_http_upstream.h, trimmed): the
 * `upstream {}` block and its directives, and the machinery a protocol
 * module (modules/http_proxy) drives per request: pick a peer through the
 * pool's balancer, connect, send the request (buffered or streamed body),
 * read and check the response head, pass it to the client, relay the body
 * (buffered with a temp file, or with back-pressure), tunnel an upgraded
 * connection, retry the next peer, keep the connection for reuse.
 *
 * A protocol module fills r->upstream (dr_http_upstream_create()) with its
 * location conf (dr_http_upstream_conf_t), the pool, and its callbacks:
 *
 *   create_request(r)   builds u->request_bufs (head, then body bufs)
 *   reinit_request(r)   before a retry: resets its parsing state
 *   process_header(r)   parses u->buffer: DR_OK (u->headers_in filled),
 *                       DR_AGAIN, DR_HTTP_UPSTREAM_INVALID_HEADER
 *   input_filter_init(r) sets u->length and the framing state
 *   input_filter(r, b)  turns the raw bytes of <b> into payload in place;
 *                       DR_OK or DR_ERROR; sets u->length = 0 when done
 *   abort_request(r), finalize_request(r, rc)
 *   rewrite_redirect(r, h, prefix): proxy_redirect for Location/Refresh
 *
 * then calls dr_http_upstream_init() (as the request body's post handler).
 */
#ifndef DR_HTTP_UPSTREAM_H_INCLUDED
#define DR_HTTP_UPSTREAM_H_INCLUDED

#include "dr_http.h"
#include "dr_upstream.h"


/* proxy_next_upstream */
#define DR_HTTP_UPSTREAM_FT_ERROR           0x00000002
#define DR_HTTP_UPSTREAM_FT_TIMEOUT         0x00000004
#define DR_HTTP_UPSTREAM_FT_INVALID_HEADER  0x00000008
#define DR_HTTP_UPSTREAM_FT_HTTP_500        0x00000010
#define DR_HTTP_UPSTREAM_FT_HTTP_502        0x00000020
#define DR_HTTP_UPSTREAM_FT_HTTP_503        0x00000040
#define DR_HTTP_UPSTREAM_FT_HTTP_504        0x00000080
#define DR_HTTP_UPSTREAM_FT_HTTP_403        0x00000100
#define DR_HTTP_UPSTREAM_FT_HTTP_404        0x00000200
#define DR_HTTP_UPSTREAM_FT_HTTP_429        0x00000400
#define DR_HTTP_UPSTREAM_FT_NON_IDEMPOTENT  0x00002000
#define DR_HTTP_UPSTREAM_FT_NOLIVE          0x40000000
#define DR_HTTP_UPSTREAM_FT_OFF             0x80000000

#define DR_HTTP_UPSTREAM_FT_STATUS  (DR_HTTP_UPSTREAM_FT_HTTP_500             \
                                     |DR_HTTP_UPSTREAM_FT_HTTP_502            \
                                     |DR_HTTP_UPSTREAM_FT_HTTP_503            \
                                     |DR_HTTP_UPSTREAM_FT_HTTP_504            \
                                     |DR_HTTP_UPSTREAM_FT_HTTP_403            \
                                     |DR_HTTP_UPSTREAM_FT_HTTP_404            \
                                     |DR_HTTP_UPSTREAM_FT_HTTP_429)

#define DR_HTTP_UPSTREAM_INVALID_HEADER     40

/* proxy_ignore_headers */
#define DR_HTTP_UPSTREAM_IGN_XA_REDIRECT    0x00000002
#define DR_HTTP_UPSTREAM_IGN_XA_EXPIRES     0x00000004
#define DR_HTTP_UPSTREAM_IGN_EXPIRES        0x00000008
#define DR_HTTP_UPSTREAM_IGN_CACHE_CONTROL  0x00000010
#define DR_HTTP_UPSTREAM_IGN_SET_COOKIE     0x00000020
#define DR_HTTP_UPSTREAM_IGN_XA_LIMIT_RATE  0x00000040
#define DR_HTTP_UPSTREAM_IGN_XA_BUFFERING   0x00000080
#define DR_HTTP_UPSTREAM_IGN_XA_CHARSET     0x00000100
#define DR_HTTP_UPSTREAM_IGN_VARY           0x00000200


/* one attempt on one peer: what the $upstream_* variables show */
typedef struct {
    dr_uint_t                  status;
    dr_msec_t                  response_time;
    dr_msec_t                  connect_time;
    dr_msec_t                  header_time;
    off_t                      response_length;
    off_t                      bytes_received;
    off_t                      bytes_sent;
    dr_str_t                  *peer;
} dr_http_upstream_state_t;


typedef struct {
    dr_array_t                 pools;      /* dr_upstream_conf_t * */
    dr_array_t                 temp_paths; /* dr_str_t, absolute, NUL */
} dr_http_upstream_main_conf_t;


/* what a protocol module's location conf embeds (proxy_* directives) */
typedef struct {
    dr_upstream_conf_t        *upstream;

    dr_msec_t                  connect_timeout;
    dr_msec_t                  send_timeout;
    dr_msec_t                  read_timeout;
    dr_msec_t                  next_upstream_timeout;

    size_t                     send_lowat;
    size_t                     buffer_size;
    size_t                     busy_buffers_size;
    size_t                     max_temp_file_size;
    size_t                     temp_file_write_size;

    size_t                     busy_buffers_size_conf;
    size_t                     max_temp_file_size_conf;
    size_t                     temp_file_write_size_conf;

    dr_bufs_t                  bufs;

    dr_uint_t                  ignore_headers;
    dr_uint_t                  next_upstream;
    dr_uint_t                  next_upstream_tries;

    dr_flag_t                  buffering;
    dr_flag_t                  request_buffering;
    dr_flag_t                  pass_request_headers;
    dr_flag_t                  pass_request_body;
    dr_flag_t                  ignore_client_abort;
    dr_flag_t                  intercept_errors;

    dr_array_t                *hide_headers;   /* dr_str_t, as given */
    dr_array_t                *pass_headers;   /* dr_str_t, as given */
    dr_array_t                *hidden;         /* the result, merged */

    dr_str_t                   temp_path;      /* absolute */

    dr_str_t                   module;         /* "proxy", for messages */

    unsigned                   change_buffering:1;
} dr_http_upstream_conf_t;


/* the response head as the protocol module parsed it */
typedef struct {
    dr_list_t                  headers;        /* dr_table_elt_t, copies */

    dr_uint_t                  status_n;
    dr_str_t                   status_line;

    dr_table_elt_t            *content_length;
    dr_table_elt_t            *x_accel_redirect;
    dr_table_elt_t            *x_accel_buffering;
    dr_table_elt_t            *location;
    dr_table_elt_t            *refresh;

    off_t                      content_length_n;
    time_t                     last_modified_time;

    unsigned                   connection_close:1;
    unsigned                   chunked:1;
    unsigned                   no_body:1;      /* HEAD, 1xx, 204, 304 */
} dr_http_upstream_headers_in_t;


typedef void (*dr_http_upstream_handler_pt)(dr_http_request_t *r,
    dr_http_upstream_t *u);


/* the response body's way to the client (dr_http_upstream_body.c) */
typedef struct {
    dr_chain_t                *free;       /* empty memory bufs */
    dr_chain_t                *free_file;  /* spare file buf structs */
    dr_chain_t                *out;        /* payload not yet passed on */
    dr_chain_t               **last_out;
    dr_chain_t                *busy;       /* passed on, not yet sent */
    dr_uint_t                  allocated;  /* memory bufs made */
    dr_uint_t                  num;        /* at most */
    size_t                     size;       /* each */
    size_t                     busy_limit;
    off_t                      temp_limit; /* 0: no temp file */

    dr_file_t                  temp;       /* spill file, fd -1: none */
    dr_uint_t                  temp_bufs;  /* file bufs not yet sent */

    unsigned                   upstream_done:1;
    unsigned                   upstream_eof:1;
    unsigned                   upstream_error:1;
    unsigned                   downstream_error:1;
    unsigned                   last_sent:1;
} dr_http_upstream_pipe_t;


struct dr_http_upstream_s {
    dr_http_upstream_handler_pt    read_event_handler;
    dr_http_upstream_handler_pt    write_event_handler;

    dr_peer_connection_t       peer;
    dr_upstream_pick_t         pick;

    dr_http_upstream_conf_t   *conf;
    dr_upstream_conf_t        *upstream;   /* the pool */

    dr_http_upstream_headers_in_t  headers_in;

    /* the request to send; what is left of it */
    dr_chain_t                *request_bufs;
    dr_chain_t                *request_out;

    /* the response head, then (unbuffered) the body */
    dr_buf_t                   buffer;

    /* body bytes still expected: -1 unknown (chunked, close) */
    off_t                      length;

    dr_http_upstream_pipe_t    pipe;

    /* upgraded connections: the two directions' buffers */
    dr_buf_t                   from_client;
    dr_buf_t                  *from_upstream;

    dr_int_t                 (*create_request)(dr_http_request_t *r);
    dr_int_t                 (*reinit_request)(dr_http_request_t *r);
    dr_int_t                 (*process_header)(dr_http_request_t *r);
    dr_int_t                 (*input_filter_init)(dr_http_request_t *r);
    dr_int_t                 (*input_filter)(dr_http_request_t *r,
                                             dr_buf_t *b);
    void                     (*abort_request)(dr_http_request_t *r);
    void                     (*finalize_request)(dr_http_request_t *r,
                                                 dr_int_t rc);
    dr_int_t                 (*rewrite_redirect)(dr_http_request_t *r,
                                                 dr_table_elt_t *h,
                                                 size_t prefix);

    dr_msec_t                  start_time;     /* of the whole request */
    dr_msec_t                  attempt_start;
    dr_http_upstream_state_t  *state;

    dr_str_t                   schema;         /* "http://" */
    dr_str_t                   uri;

    dr_http_cleanup_pt        *cleanup;

    unsigned                   buffering:1;
    unsigned                   keepalive:1;    /* the connection is reusable */
    unsigned                   upgrade:1;
    unsigned                   request_sent:1;
    unsigned                   request_body_sent:1;
    unsigned                   request_body_blocked:1;
    unsigned                   request_chunked:1;   /* frame the body */
    unsigned                   request_body_ended:1;
    unsigned                   header_sent:1;
    unsigned                   response_started:1;  /* a byte came back */
};


/*
 * Inside an upstream{} block, the pool being defined: what a balancer
 * directive (least_conn, hash, ...) sets its hooks on.
 */
#define dr_http_conf_upstream_pool(cf)                                        \
    ((dr_upstream_conf_t *)                                                   \
     dr_http_conf_get_module_srv_conf(cf, dr_http_upstream_module))


/* dr_http_upstream.c */

/* a fresh r->upstream (r->pool); DR_OK or DR_ERROR */
dr_int_t dr_http_upstream_create(dr_http_request_t *r);
/* starts the attempts: the request body's post handler */
void dr_http_upstream_init(dr_http_request_t *r);
/* the pool of upstream{} <name> (exact), NULL if none */
dr_upstream_conf_t *dr_http_upstream_find(dr_http_request_t *r,
    dr_str_t *name);
/*
 * The pool a proxy_pass URL names at config time: an upstream{} or an
 * implicit pool of the URL's host:port. NULL on error (logged).
 */
dr_upstream_conf_t *dr_http_upstream_add(dr_conf_t *cf, dr_url_t *u,
    dr_uint_t flags);
/*
 * A temp directory (proxy_temp_path) the master makes at start and at
 * each reload (0700, owned by the workers' user). Config time.
 */
dr_int_t dr_http_upstream_add_temp_path(dr_conf_t *cf, dr_str_t *path);
/* merges a location's dr_http_upstream_conf_t (defaults of nginx) */
char *dr_http_upstream_merge_conf(dr_conf_t *cf,
    dr_http_upstream_conf_t *conf, dr_http_upstream_conf_t *prev,
    dr_str_t *default_hide_headers);
/* the "proxy_next_upstream" values and the like, for setters */
extern dr_conf_bitmask_t  dr_http_upstream_next_upstream_masks[];
extern dr_conf_bitmask_t  dr_http_upstream_ignore_headers_masks[];

/* internal to dr_http_upstream*.c */
void dr_http_upstream_finalize_request(dr_http_request_t *r,
    dr_http_upstream_t *u, dr_int_t rc);
void dr_http_upstream_next(dr_http_request_t *r, dr_http_upstream_t *u,
    dr_uint_t ft_type);
void dr_http_upstream_send_response(dr_http_request_t *r,
    dr_http_upstream_t *u);
void dr_http_upstream_upgrade(dr_http_request_t *r, dr_http_upstream_t *u);

extern dr_module_t  dr_http_upstream_module;

#endif /* DR_HTTP_UPSTREAM_H_INCLUDED */
