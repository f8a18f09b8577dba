/*
 * Variables (nginx's ngx_http_variables.h).
 *
 * A variable is declared at config time, by its owner with
 * dr_http_add_variable() (get/set handlers, flags), and referenced by
 * users with dr_http_get_variable_index(). At run time a request has one
 * dr_http_variable_value_t per indexed variable (r->variables), computed
 * on first use and cached unless the variable is DR_HTTP_VAR_NOCACHEABLE.
 *
 * Prefix variables ($http_, $arg_, $cookie_, $sent_http_ ...) are
 * declared with DR_HTTP_VAR_PREFIX: a reference to "$arg_foo" resolves to
 * the "arg_" handler, whose <data> is then a dr_str_t * of the full name.
 */
#ifndef DR_HTTP_VARIABLES_H_INCLUDED
#define DR_HTTP_VARIABLES_H_INCLUDED

typedef struct {
    unsigned     len:28;
    unsigned     valid:1;
    unsigned     no_cacheable:1;
    unsigned     not_found:1;
    unsigned     escape:1;
    u_char      *data;
} dr_http_variable_value_t;

#define dr_http_variable(v)  { sizeof(v) - 1, 1, 0, 0, 0, (u_char *) v }

typedef void (*dr_http_set_variable_pt)(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);
/*
 * Fills <v> (valid, len, data; or not_found) and returns DR_OK; DR_ERROR
 * only on no memory. Data may point into the request or r->pool.
 */
typedef dr_int_t (*dr_http_get_variable_pt)(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);


#define DR_HTTP_VAR_CHANGEABLE   1     /* "set" may change it */
#define DR_HTTP_VAR_NOCACHEABLE  2     /* computed at every use */
#define DR_HTTP_VAR_INDEXED      4
#define DR_HTTP_VAR_NOHASH       8     /* only by index, not by name */
#define DR_HTTP_VAR_WEAK         16    /* a later declaration replaces it */
#define DR_HTTP_VAR_PREFIX       32    /* "http_" matches "$http_*" */


struct dr_http_variable_s {
    dr_str_t                  name;    /* must be first, for dr_hash */
    dr_http_set_variable_pt   set_handler;
    dr_http_get_variable_pt   get_handler;
    uintptr_t                 data;
    dr_uint_t                 flags;
    dr_uint_t                 index;
};

#define dr_http_null_variable  { dr_null_string, NULL, NULL, 0, 0, 0 }


/*
 * Declares <name>. Returns the variable for the caller to set its
 * handlers, or NULL (logged: "the duplicate \"x\" variable", no memory).
 * Declaring a name twice is allowed only if both are CHANGEABLE (or the
 * first is WEAK). Config time (preconfiguration or a directive).
 */
dr_http_variable_t *dr_http_add_variable(dr_conf_t *cf, dr_str_t *name,
    dr_uint_t flags);
/*
 * The index of <name> (without '$') for dr_http_get_indexed_variable();
 * the variable need not be declared yet (checked at the end of http{}:
 * "unknown \"x\" variable"). DR_ERROR on no memory.
 */
dr_int_t dr_http_get_variable_index(dr_conf_t *cf, dr_str_t *name);
/* the value for this request, computed and cached on first use; NULL on
 * error. Check ->not_found. */
dr_http_variable_value_t *dr_http_get_indexed_variable(dr_http_request_t *r,
    dr_uint_t index);
/* the same, but a non-cacheable value is computed again */
dr_http_variable_value_t *dr_http_get_flushed_variable(dr_http_request_t *r,
    dr_uint_t index);
/* by name at run time (lowercase <name>, <key> = dr_hash_key(name)) */
dr_http_variable_value_t *dr_http_get_variable(dr_http_request_t *r,
    dr_str_t *name, dr_uint_t key);

/*
 * The value of header <var> ("http_user_agent" after skipping <prefix>
 * bytes; '_' matches '-') among the dr_table_elt_t of <part>. Lines of
 * the same name are joined with ", " ("; " for Cookie).
 */
dr_int_t dr_http_variable_unknown_header(dr_http_request_t *r,
    dr_http_variable_value_t *v, dr_str_t *var, dr_list_part_t *part,
    size_t prefix);

/* regex captures as variables: $1..$9 and named groups */

typedef struct {
    dr_uint_t                 capture;
    dr_int_t                  index;
} dr_http_regex_variable_t;

typedef struct {
    dr_regex_t               *regex;
    dr_uint_t                 ncaptures;
    dr_http_regex_variable_t *variables;
    dr_uint_t                 nvariables;
    dr_str_t                  name;
} dr_http_regex_t;

/* compiles rc->pattern, declares its named captures as variables; NULL
 * on error (logged with the pattern) */
dr_http_regex_t *dr_http_regex_compile(dr_conf_t *cf,
    dr_regex_compile_t *rc);
/*
 * Matches <s>; on success r->captures hold the groups for $1..$9 (and the
 * named captures are set). DR_OK, DR_DECLINED (no match), DR_ERROR.
 */
dr_int_t dr_http_regex_exec(dr_http_request_t *r, dr_http_regex_t *re,
    dr_str_t *s);


/* dr_http_core_module's preconfiguration / end of http{} */
dr_int_t dr_http_variables_add_core_vars(dr_conf_t *cf);
dr_int_t dr_http_variables_init_vars(dr_conf_t *cf);


extern dr_http_variable_value_t  dr_http_variable_null_value;
extern dr_http_variable_value_t  dr_http_variable_true_value;

#endif /* DR_HTTP_VARIABLES_H_INCLUDED */
