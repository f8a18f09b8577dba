/*
 * The http layer's umbrella header (nginx's ngx_http.h).
 *
 * An HTTP module is a dr_module_t of type DR_HTTP_MODULE whose ctx is a
 * dr_http_module_t: hooks to create and merge its conf structs for the
 * http{}, server{} and location{} levels, plus pre/postconfiguration. In
 * postconfiguration a module registers phase handlers
 * (dr_http_add_phase_handler), filters (dr_http_top_header_filter /
 * dr_http_top_body_filter) and variables. docs/internals/http.md tells
 * the whole story with an example.
 */
#ifndef DR_HTTP_H_INCLUDED
#define DR_HTTP_H_INCLUDED

#include "dr_event.h"
#include "dr_regex.h"


/* "HTTP" */
#define DR_HTTP_MODULE           0x50545448

/* contexts of http directives (cmd->type) */
#define DR_HTTP_MAIN_CONF        0x02000000
#define DR_HTTP_SRV_CONF         0x04000000
#define DR_HTTP_LOC_CONF         0x08000000
#define DR_HTTP_UPS_CONF         0x10000000
#define DR_HTTP_SIF_CONF         0x20000000     /* "if" in server{} */
#define DR_HTTP_LIF_CONF         0x40000000     /* "if" in location{} */
#define DR_HTTP_LMT_CONF         0x80000000     /* limit_except{} */


typedef struct dr_http_request_s       dr_http_request_t;
typedef struct dr_http_upstream_s      dr_http_upstream_t;
typedef struct dr_http_log_ctx_s       dr_http_log_ctx_t;
typedef struct dr_http_core_loc_conf_s dr_http_core_loc_conf_t;
typedef struct dr_http_variable_s      dr_http_variable_t;


/*
 * A header line of a request or a response. hash 0 means "deleted" (a
 * filter removes a header by zeroing it); <next> links the lines of the
 * same name (X-Forwarded-For, Cookie) for the shortcuts that keep them.
 */
typedef struct dr_table_elt_s  dr_table_elt_t;

struct dr_table_elt_s {
    dr_uint_t          hash;
    dr_str_t           key;
    dr_str_t           value;
    u_char            *lowcase_key;
    dr_table_elt_t    *next;
};

typedef dr_int_t (*dr_http_header_handler_pt)(dr_http_request_t *r,
    dr_table_elt_t *h, dr_uint_t offset);
typedef u_char *(*dr_http_log_handler_pt)(dr_http_request_t *r,
    dr_http_request_t *sr, u_char *buf, size_t len);

/* a phase handler: DR_OK, DR_DECLINED, DR_AGAIN, DR_DONE, DR_ERROR or a
 * status (see dr_http_core_module.h for what each phase makes of it) */
typedef dr_int_t (*dr_http_handler_pt)(dr_http_request_t *r);

typedef dr_int_t (*dr_http_output_header_filter_pt)(dr_http_request_t *r);
typedef dr_int_t (*dr_http_output_body_filter_pt)(dr_http_request_t *r,
    dr_chain_t *chain);
typedef dr_int_t (*dr_http_request_body_filter_pt)(dr_http_request_t *r,
    dr_chain_t *chain);

/* the conf structs of one level: [module.ctx_index] -> conf */
typedef struct {
    void        **main_conf;
    void        **srv_conf;
    void        **loc_conf;
} dr_http_conf_ctx_t;


#include "dr_http_parse.h"
#include "dr_http_variables.h"
#include "dr_http_request.h"
#include "dr_http_script.h"
#include "dr_http_core_module.h"

typedef struct {
    dr_int_t    (*preconfiguration)(dr_conf_t *cf);
    dr_int_t    (*postconfiguration)(dr_conf_t *cf);

    void       *(*create_main_conf)(dr_conf_t *cf);
    char       *(*init_main_conf)(dr_conf_t *cf, void *conf);

    void       *(*create_srv_conf)(dr_conf_t *cf);
    char       *(*merge_srv_conf)(dr_conf_t *cf, void *prev, void *conf);

    void       *(*create_loc_conf)(dr_conf_t *cf);
    char       *(*merge_loc_conf)(dr_conf_t *cf, void *prev, void *conf);
} dr_http_module_t;


#define DR_HTTP_MAIN_CONF_OFFSET  offsetof(dr_http_conf_ctx_t, main_conf)
#define DR_HTTP_SRV_CONF_OFFSET   offsetof(dr_http_conf_ctx_t, srv_conf)
#define DR_HTTP_LOC_CONF_OFFSET   offsetof(dr_http_conf_ctx_t, loc_conf)


/* per request */
#define dr_http_get_module_ctx(r, module)  (r)->ctx[(module).ctx_index]
#define dr_http_set_ctx(r, c, module)      (r)->ctx[(module).ctx_index] = c

#define dr_http_get_module_main_conf(r, module)                               \
    (r)->main_conf[(module).ctx_index]
#define dr_http_get_module_srv_conf(r, module)                                \
    (r)->srv_conf[(module).ctx_index]
#define dr_http_get_module_loc_conf(r, module)                                \
    (r)->loc_conf[(module).ctx_index]

/* at config time, in a directive handler or a postconfiguration hook */
#define dr_http_conf_get_module_main_conf(cf, module)                         \
    ((dr_http_conf_ctx_t *) (cf)->ctx)->main_conf[(module).ctx_index]
#define dr_http_conf_get_module_srv_conf(cf, module)                          \
    ((dr_http_conf_ctx_t *) (cf)->ctx)->srv_conf[(module).ctx_index]
#define dr_http_conf_get_module_loc_conf(cf, module)                          \
    ((dr_http_conf_ctx_t *) (cf)->ctx)->loc_conf[(module).ctx_index]

/* from a cycle (init_module, init_process): NULL without an http{} block */
#define dr_http_cycle_get_module_main_conf(cycle, module)                     \
    ((cycle)->conf_ctx[dr_http_module.index]                                  \
     ? ((dr_http_conf_ctx_t *) (cycle)->conf_ctx[dr_http_module.index])       \
           ->main_conf[(module).ctx_index]                                    \
     : NULL)


/* the log context of a connection serving HTTP (c->log->data) */
struct dr_http_log_ctx_s {
    dr_connection_t     *connection;
    dr_http_request_t   *request;
    dr_http_request_t   *current_request;
};


extern dr_module_t  dr_http_module;
extern dr_uint_t    dr_http_max_module;

extern dr_str_t     dr_http_html_default_types[];

extern dr_http_output_header_filter_pt  dr_http_top_header_filter;
extern dr_http_output_body_filter_pt    dr_http_top_body_filter;
extern dr_http_request_body_filter_pt   dr_http_top_request_body_filter;


/* dr_http.c: configuration assembly */

/*
 * Adds <h> to the handlers of <phase> (DR_HTTP_*_PHASE). Call from a
 * module's postconfiguration. Within a phase, handlers run in the reverse
 * order of registration, i.e. a module later in the module table runs
 * first (nginx). DR_OK or DR_ERROR.
 */
dr_int_t dr_http_add_phase_handler(dr_conf_t *cf, dr_uint_t phase,
    dr_http_handler_pt h);
dr_int_t dr_http_add_location(dr_conf_t *cf, dr_queue_t **locations,
    dr_http_core_loc_conf_t *clcf);
dr_int_t dr_http_add_listen(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_listen_opt_t *lsopt);
/*
 * The best location of the static tree for <uri> (exact, then the longest
 * prefix): DR_OK (an "=" match, stop), DR_DONE ("^~" or a prefix whose
 * nested regexes already failed: stop), DR_AGAIN (a prefix; try the
 * regexes), DR_DECLINED (no prefix matched). *found gets the location.
 */
dr_int_t dr_http_find_static_location(dr_http_location_tree_node_t *node,
    dr_str_t *uri, dr_http_core_loc_conf_t **found);
/*
 * Freezes a server{}'s (or a location's) queue of locations into
 * clcf->static_locations (a balanced tree) and clcf->regex_locations.
 * Exposed for the unit tests; dr_http.c calls it for every level.
 */
dr_int_t dr_http_init_locations(dr_conf_t *cf, dr_http_core_srv_conf_t *cscf,
    dr_http_core_loc_conf_t *pclcf);
dr_int_t dr_http_init_static_location_trees(dr_conf_t *cf,
    dr_http_core_loc_conf_t *pclcf);

char *dr_http_types_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_http_merge_types(dr_conf_t *cf, dr_array_t **keys,
    dr_hash_t *types_hash, dr_array_t **prev_keys,
    dr_hash_t *prev_types_hash, dr_str_t *default_types);
dr_int_t dr_http_set_default_types(dr_conf_t *cf, dr_array_t **types,
    dr_str_t *default_type);


/* dr_http_request.c: the connection and request life cycle */

void dr_http_init_connection(dr_connection_t *c);
void dr_http_close_connection(dr_connection_t *c);
dr_http_request_t *dr_http_create_request(dr_connection_t *c);
dr_int_t dr_http_process_request_uri(dr_http_request_t *r);
dr_int_t dr_http_process_request_header(dr_http_request_t *r);
void dr_http_process_request(dr_http_request_t *r);
void dr_http_update_location_config(dr_http_request_t *r);
void dr_http_handler(dr_http_request_t *r);
void dr_http_run_posted_requests(dr_connection_t *c);

/*
 * Ends (rc = DR_DONE, DR_OK, DR_ERROR, a status) or continues (DR_AGAIN)
 * the request; a status >= 300 sends that special response first. Every
 * content handler's result goes through here.
 */
void dr_http_finalize_request(dr_http_request_t *r, dr_int_t rc);
void dr_http_free_request(dr_http_request_t *r, dr_int_t rc);
void dr_http_terminate_request(dr_http_request_t *r, dr_int_t rc);

void dr_http_empty_handler(dr_event_t *wev);
void dr_http_request_empty_handler(dr_http_request_t *r);
void dr_http_block_reading(dr_http_request_t *r);
void dr_http_test_reading(dr_http_request_t *r);

#define DR_HTTP_LAST   1
#define DR_HTTP_FLUSH  2

/* sends an empty last (DR_HTTP_LAST) or flush buffer through the filters */
dr_int_t dr_http_send_special(dr_http_request_t *r, dr_uint_t flags);

/* a request's "arg" lookup: $arg_NAME; DR_OK with <value> or DR_DECLINED */
dr_int_t dr_http_arg(dr_http_request_t *r, u_char *name, size_t len,
    dr_str_t *value);
/* splits "<uri>?<args>" of an internal redirect target */
void dr_http_split_args(dr_http_request_t *r, dr_str_t *uri,
    dr_str_t *args);
/*
 * Checks a URI produced by a config or an upstream (X-Accel-Redirect):
 * splits off args, refuses ".." segments and NUL. DR_OK or DR_ERROR.
 */
dr_int_t dr_http_check_unsafe_uri(dr_http_request_t *r, dr_str_t *uri,
    dr_str_t *args, dr_uint_t *flags);
#define DR_HTTP_LOG_UNSAFE  1
/* the value of the first of <headers> named <name> (a cookie: "name=v") */
dr_table_elt_t *dr_http_multi_header_lines(dr_http_request_t *r,
    dr_table_elt_t *headers, dr_str_t *name, dr_str_t *value);
dr_table_elt_t *dr_http_cookie(dr_http_request_t *r, dr_str_t *name,
    dr_str_t *value);

/* the request log handler (c->log->handler): ", client: .., server: .." */
u_char *dr_http_log_error_handler(dr_log_t *log, u_char *buf, size_t len);


/* dr_http_request_body.c */

dr_int_t dr_http_read_client_request_body(dr_http_request_t *r,
    dr_http_client_body_handler_pt post_handler);
dr_int_t dr_http_read_unbuffered_request_body(dr_http_request_t *r);
dr_int_t dr_http_discard_request_body(dr_http_request_t *r);
void dr_http_discarded_request_body_handler(dr_http_request_t *r);
dr_int_t dr_http_request_body_save_filter(dr_http_request_t *r,
    dr_chain_t *in);


/* dr_http_special_response.c */

dr_int_t dr_http_special_response_handler(dr_http_request_t *r,
    dr_int_t error);
dr_int_t dr_http_filter_finalize_request(dr_http_request_t *r,
    dr_module_t *m, dr_int_t error);
void dr_http_clean_header(dr_http_request_t *r);
/* the reason phrase of a status ("404 Not Found"), or NULL */
dr_str_t *dr_http_status_line(dr_uint_t status);


/* dr_http_write_filter_module.c: the end of the body chain and chains */

dr_int_t dr_http_write_filter(dr_http_request_t *r, dr_chain_t *in);
/* chain links from (and back to) the request's free list */
dr_chain_t *dr_http_alloc_chain_link(dr_http_request_t *r);
void dr_http_free_chain_link(dr_http_request_t *r, dr_chain_t *cl);
/* a link with a zeroed buf from <*free>, or a new one (nginx's
 * ngx_chain_get_free_buf); NULL on no memory */
dr_chain_t *dr_http_chain_get_free_buf(dr_http_request_t *r,
    dr_chain_t **free);
/*
 * Appends <*out> to <*busy>, then moves the fully sent bufs of <tag> from
 * the head of <*busy> to <*free> (reset), dropping the links of other
 * tags (nginx's ngx_chain_update_chains).
 */
void dr_http_chain_update_chains(dr_http_request_t *r, dr_chain_t **free,
    dr_chain_t **busy, dr_chain_t **out, dr_buf_tag_t tag);

extern dr_module_t  dr_http_write_filter_module;
extern dr_module_t  dr_http_header_filter_module;
extern dr_module_t  dr_http_chunked_filter_module;


#endif /* DR_HTTP_H_INCLUDED */
