/*
 * Scripts and complex values (nginx's ngx_http_script.h).
 *
 * A complex value is a config string with variables ("$scheme://$host$uri")
 * compiled once into two code arrays: one computes the length, the other
 * copies the bytes, so evaluating it costs one allocation of the exact
 * size in r->pool. A string without '$' stays a plain dr_str_t.
 *
 * The same machinery runs the rewrite module's programs (rewrite, set,
 * if, return, break): each directive appends codes to the location's code
 * array and the engine runs them in order in the rewrite phases.
 */
#ifndef DR_HTTP_SCRIPT_H_INCLUDED
#define DR_HTTP_SCRIPT_H_INCLUDED


typedef struct {
    u_char                       *ip;
    u_char                       *pos;
    dr_http_variable_value_t     *sp;

    dr_str_t                      buf;
    dr_str_t                      line;

    /* the start of the args */
    u_char                       *args;

    unsigned                      flushed:1;
    unsigned                      skip:1;
    unsigned                      quote:1;
    unsigned                      is_args:1;
    unsigned                      log:1;

    dr_int_t                      status;
    dr_http_request_t            *request;
} dr_http_script_engine_t;


typedef struct {
    dr_conf_t                    *cf;
    dr_str_t                     *source;

    dr_array_t                  **flushes;
    dr_array_t                  **lengths;
    dr_array_t                  **values;

    dr_uint_t                     variables;
    dr_uint_t                     ncaptures;
    dr_uint_t                     captures_mask;
    dr_uint_t                     size;

    void                         *main;

    unsigned                      compile_args:1;
    unsigned                      complete_lengths:1;
    unsigned                      complete_values:1;
    unsigned                      zero:1;
    unsigned                      conf_prefix:1;
    unsigned                      root_prefix:1;

    unsigned                      dup_capture:1;
    unsigned                      args:1;
} dr_http_script_compile_t;


typedef struct {
    dr_str_t                      value;   /* the text; the result if static */
    dr_uint_t                    *flushes;
    void                         *lengths; /* NULL: static text */
    void                         *values;

    union {
        size_t                    size;
    } u;
} dr_http_complex_value_t;


typedef struct {
    dr_conf_t                    *cf;
    dr_str_t                     *value;
    dr_http_complex_value_t      *complex_value;

    unsigned                      zero:1;         /* NUL-terminate */
    unsigned                      conf_prefix:1;  /* relative: conf prefix */
    unsigned                      root_prefix:1;  /* relative: prefix */
} dr_http_compile_complex_value_t;


typedef void (*dr_http_script_code_pt)(dr_http_script_engine_t *e);
typedef size_t (*dr_http_script_len_code_pt)(dr_http_script_engine_t *e);


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     len;
} dr_http_script_copy_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     index;
} dr_http_script_var_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    dr_http_set_variable_pt       handler;
    uintptr_t                     data;
} dr_http_script_var_handler_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     n;
} dr_http_script_copy_capture_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    dr_http_regex_t              *regex;
    dr_array_t                   *lengths;
    uintptr_t                     size;
    uintptr_t                     status;
    uintptr_t                     next;

    unsigned                      test:1;
    unsigned                      negative_test:1;
    unsigned                      uri:1;
    unsigned                      args:1;

    /* add the r->args to the new arguments */
    unsigned                      add_args:1;

    unsigned                      redirect:1;
    unsigned                      break_cycle:1;

    dr_str_t                      name;
} dr_http_script_regex_code_t;


typedef struct {
    dr_http_script_code_pt        code;

    unsigned                      uri:1;
    unsigned                      args:1;

    /* add the r->args to the new arguments */
    unsigned                      add_args:1;

    unsigned                      redirect:1;
} dr_http_script_regex_end_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     conf_prefix;
} dr_http_script_full_name_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     status;
    dr_http_complex_value_t       text;
} dr_http_script_return_code_t;


typedef enum {
    dr_http_script_file_plain = 0,
    dr_http_script_file_not_plain,
    dr_http_script_file_dir,
    dr_http_script_file_not_dir,
    dr_http_script_file_exists,
    dr_http_script_file_not_exists,
    dr_http_script_file_exec,
    dr_http_script_file_not_exec
} dr_http_script_file_op_e;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     op;
} dr_http_script_file_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     next;
    void                        **loc_conf;
} dr_http_script_if_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    dr_array_t                   *lengths;
} dr_http_script_complex_value_code_t;


typedef struct {
    dr_http_script_code_pt        code;
    uintptr_t                     value;
    uintptr_t                     text_len;
    uintptr_t                     text_data;
} dr_http_script_value_code_t;


/*
 * Evaluates <val> for <r> into <value> (in r->pool, or the static text).
 * DR_OK or DR_ERROR (no memory).
 */
dr_int_t dr_http_complex_value(dr_http_request_t *r,
    dr_http_complex_value_t *val, dr_str_t *value);
/* a size ("10k") from a complex value; <default_value> if it is empty or
 * invalid */
size_t dr_http_complex_value_size(dr_http_request_t *r,
    dr_http_complex_value_t *val, size_t default_value);
/* compiles ccv->value into ccv->complex_value; DR_OK or DR_ERROR (logged) */
dr_int_t dr_http_compile_complex_value(dr_http_compile_complex_value_t *ccv);

/* setters for a dr_http_complex_value_t * field of a conf struct */
char *dr_http_set_complex_value_slot(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
char *dr_http_set_complex_value_zero_slot(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
char *dr_http_set_complex_value_size_slot(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);

/* the number of '$' in <value>: 0 means the string is static */
dr_uint_t dr_http_script_variables_count(dr_str_t *value);
dr_int_t dr_http_script_compile(dr_http_script_compile_t *sc);
/* runs a length program then a value program into a new string */
u_char *dr_http_script_run(dr_http_request_t *r, dr_str_t *value,
    void *code_lengths, size_t reserved, void *code_values);
void dr_http_script_flush_no_cacheable_variables(dr_http_request_t *r,
    dr_array_t *indices);
void dr_http_script_flush_complex_value(dr_http_request_t *r,
    dr_http_complex_value_t *val);

void *dr_http_script_start_code(dr_pool_t *pool, dr_array_t **codes,
    size_t size);
/* appends <size> bytes to <codes>; *main is rebased if the array moved */
void *dr_http_script_add_code(dr_array_t *codes, size_t size, void *code);

size_t dr_http_script_copy_len_code(dr_http_script_engine_t *e);
void dr_http_script_copy_code(dr_http_script_engine_t *e);
size_t dr_http_script_copy_var_len_code(dr_http_script_engine_t *e);
void dr_http_script_copy_var_code(dr_http_script_engine_t *e);
size_t dr_http_script_copy_capture_len_code(dr_http_script_engine_t *e);
void dr_http_script_copy_capture_code(dr_http_script_engine_t *e);
size_t dr_http_script_mark_args_code(dr_http_script_engine_t *e);
void dr_http_script_start_args_code(dr_http_script_engine_t *e);
void dr_http_script_regex_start_code(dr_http_script_engine_t *e);
void dr_http_script_regex_end_code(dr_http_script_engine_t *e);
void dr_http_script_return_code(dr_http_script_engine_t *e);
void dr_http_script_break_code(dr_http_script_engine_t *e);
void dr_http_script_if_code(dr_http_script_engine_t *e);
void dr_http_script_equal_code(dr_http_script_engine_t *e);
void dr_http_script_not_equal_code(dr_http_script_engine_t *e);
void dr_http_script_file_code(dr_http_script_engine_t *e);
void dr_http_script_complex_value_code(dr_http_script_engine_t *e);
void dr_http_script_value_code(dr_http_script_engine_t *e);
void dr_http_script_set_var_code(dr_http_script_engine_t *e);
void dr_http_script_var_set_handler_code(dr_http_script_engine_t *e);
void dr_http_script_var_code(dr_http_script_engine_t *e);
void dr_http_script_nop_code(dr_http_script_engine_t *e);

#endif /* DR_HTTP_SCRIPT_H_INCLUDED */
