/*
 * The proxy module's shared types (modules/http_proxy): the location
 * conf, the parts of a proxy_pass URL, the per-request context. The
 * module is split in two: dr_http_proxy_module.c (directives, the
 * handler, the request to the upstream, the variables) and
 * dr_http_proxy_response.c (the response head, body framing,
 * proxy_redirect).
 */
#ifndef DR_HTTP_PROXY_H_INCLUDED
#define DR_HTTP_PROXY_H_INCLUDED

#include "dr_http_upstream.h"


/* a proxy_pass URL in parts */
typedef struct {
    dr_str_t                   key_start;      /* "http://" */
    dr_str_t                   schema;         /* "http://" */
    dr_str_t                   host_header;    /* "host[:port]" */
    dr_str_t                   port;           /* "80" */
    dr_str_t                   uri;            /* "/path", may be empty */
} dr_http_proxy_vars_t;


/* one field sent to the upstream: proxy_set_header, or a default */
#define DR_HTTP_PROXY_HEADER_VALUE     0
#define DR_HTTP_PROXY_HEADER_LENGTH    1   /* the body's Content-Length */
#define DR_HTTP_PROXY_HEADER_CHUNKED   2   /* "chunked" if streamed */

typedef struct {
    dr_str_t                   key;
    dr_http_complex_value_t    value;
    dr_uint_t                  special;    /* DR_HTTP_PROXY_HEADER_* */
} dr_http_proxy_header_t;


/* proxy_redirect: a prefix (or a regex) of Location/Refresh rewritten */
typedef struct {
    dr_http_complex_value_t    pattern;
    dr_http_regex_t           *regex;
    dr_http_complex_value_t    replacement;
} dr_http_proxy_rewrite_t;


typedef struct {
    dr_http_upstream_conf_t    upstream;

    dr_array_t                *headers_source;  /* dr_keyval_t */
    dr_array_t                *headers;     /* dr_http_proxy_header_t */

    dr_http_complex_value_t   *url_cv;      /* proxy_pass with variables */

    dr_array_t                *redirects;   /* dr_http_proxy_rewrite_t */

    dr_str_t                   location;    /* the location's name */
    dr_str_t                   url;         /* proxy_pass as written */
    dr_http_proxy_vars_t       vars;

    dr_flag_t                  redirect;    /* 0: proxy_redirect off */
    dr_uint_t                  http_version;
} dr_http_proxy_loc_conf_t;


typedef struct {
    dr_http_proxy_vars_t       vars;

    dr_http_parse_response_t   parse;
    dr_http_parse_header_t    *headers;     /* the parser's array */
    dr_http_parse_chunked_t    chunked;
    dr_uint_t                  body;        /* DR_HTTP_PARSE_BODY_* */

    off_t                      body_length; /* what Content-Length says */
    unsigned                   upgrade_sent:1;
} dr_http_proxy_ctx_t;


#define DR_HTTP_PROXY_MAX_HEADERS  DR_HTTP_MAX_HEADERS


/* dr_http_proxy_response.c: the upstream callbacks */
dr_int_t dr_http_proxy_reinit_request(dr_http_request_t *r);
dr_int_t dr_http_proxy_process_header(dr_http_request_t *r);
dr_int_t dr_http_proxy_input_filter_init(dr_http_request_t *r);
dr_int_t dr_http_proxy_input_filter(dr_http_request_t *r, dr_buf_t *b);
dr_int_t dr_http_proxy_rewrite_redirect(dr_http_request_t *r,
    dr_table_elt_t *h, size_t prefix);

/* proxy_redirect's directive and its default, for the conf code */
char *dr_http_proxy_redirect(dr_conf_t *cf, dr_command_t *cmd, void *conf);
dr_int_t dr_http_proxy_merge_redirects(dr_conf_t *cf,
    dr_http_proxy_loc_conf_t *conf, dr_http_proxy_loc_conf_t *prev);

extern dr_module_t  dr_http_proxy_module;

#endif /* DR_HTTP_PROXY_H_INCLUDED */
