/*
 * The configuration language (nginx's grammar) and directive dispatch.
 *
 * One tokenizer reads a file (or the -g string) into words; a directive is
 * words up to ';' or '{'. Each module declares a table of dr_command_t; the
 * parser finds the row whose name matches, checks that the directive is
 * allowed in the current context (cf->cmd_type) and takes that many
 * arguments, then calls the row's handler with the module's conf struct for
 * this context. A handler returns DR_CONF_OK or a phrase that the framework
 * completes with the directive name and file:line:
 *   "worker_processes" directive invalid value in conf/drover.conf:3
 * Defaults live only in merge/init: create sets DR_CONF_UNSET*.
 */
#ifndef DR_CONF_FILE_H_INCLUDED
#define DR_CONF_FILE_H_INCLUDED

/* argument count flags */
#define DR_CONF_NOARGS      0x00000001
#define DR_CONF_TAKE1       0x00000002
#define DR_CONF_TAKE2       0x00000004
#define DR_CONF_TAKE3       0x00000008
#define DR_CONF_TAKE4       0x00000010
#define DR_CONF_TAKE5       0x00000020
#define DR_CONF_TAKE6       0x00000040
#define DR_CONF_TAKE7       0x00000080
#define DR_CONF_MAX_ARGS    8

#define DR_CONF_TAKE12      (DR_CONF_TAKE1|DR_CONF_TAKE2)
#define DR_CONF_TAKE13      (DR_CONF_TAKE1|DR_CONF_TAKE3)
#define DR_CONF_TAKE23      (DR_CONF_TAKE2|DR_CONF_TAKE3)
#define DR_CONF_TAKE123     (DR_CONF_TAKE1|DR_CONF_TAKE2|DR_CONF_TAKE3)
#define DR_CONF_TAKE1234    (DR_CONF_TAKE1|DR_CONF_TAKE2|DR_CONF_TAKE3        \
                             |DR_CONF_TAKE4)

#define DR_CONF_ARGS_NUMBER 0x000000ff
#define DR_CONF_BLOCK       0x00000100
#define DR_CONF_FLAG        0x00000200      /* exactly one arg: on|off */
#define DR_CONF_ANY         0x00000400
#define DR_CONF_1MORE       0x00000800
#define DR_CONF_2MORE       0x00001000

/* contexts */
#define DR_DIRECT_CONF      0x00010000      /* conf is the module's main conf */
#define DR_MAIN_CONF        0x01000000
#define DR_ANY_CONF         0xFF000000

#define DR_CONF_UNSET       -1
#define DR_CONF_UNSET_UINT  (dr_uint_t) -1
#define DR_CONF_UNSET_PTR   (void *) -1
#define DR_CONF_UNSET_SIZE  (size_t) -1
#define DR_CONF_UNSET_MSEC  (dr_msec_t) -1

#define DR_CONF_OK          NULL
#define DR_CONF_ERROR       (void *) -1

#define DR_CONF_BLOCK_START 1
#define DR_CONF_BLOCK_DONE  2
#define DR_CONF_FILE_DONE   3

#define DR_CORE_MODULE      0x45524f43  /* "CORE" */
#define DR_CONF_MODULE      0x464e4f43  /* "CONF" */

#define DR_MAX_CONF_ERRSTR  1024

struct dr_command_s {
    dr_str_t     name;
    dr_uint_t    type;
    char      *(*set)(dr_conf_t *cf, dr_command_t *cmd, void *conf);
    dr_uint_t    conf;      /* offset of the ctx array: DR_HTTP_LOC_CONF_OFFSET ... */
    dr_uint_t    offset;    /* offset of the field in the module's conf struct */
    void        *post;
};

#define dr_null_command  { dr_null_string, 0, NULL, 0, 0, NULL }

typedef struct {
    dr_file_t    file;
    dr_buf_t    *buffer;    /* the whole file's text */
    dr_uint_t    line;
} dr_conf_file_t;

typedef struct {
    dr_str_t     name;
    dr_buf_t    *buffer;
} dr_conf_dump_t;

typedef char *(*dr_conf_handler_pt)(dr_conf_t *cf, dr_command_t *dummy,
    void *conf);

struct dr_conf_s {
    char                *name;
    dr_array_t          *args;      /* dr_str_t words of the current directive */

    dr_cycle_t          *cycle;
    dr_pool_t           *pool;
    dr_pool_t           *temp_pool;
    dr_conf_file_t      *conf_file;
    dr_log_t            *log;

    void                *ctx;
    dr_uint_t            module_type;
    dr_uint_t            cmd_type;

    /* set by blocks whose content is not directives (types {}, map {}) */
    dr_conf_handler_pt   handler;
    void                *handler_conf;
};

typedef char *(*dr_conf_post_handler_pt)(dr_conf_t *cf, void *data,
    void *conf);

typedef struct {
    dr_conf_post_handler_pt  post_handler;
} dr_conf_post_t;

typedef struct {
    dr_conf_post_handler_pt  post_handler;
    dr_int_t                 low;
    dr_int_t                 high;
} dr_conf_num_bounds_t;

typedef struct {
    dr_str_t     name;
    dr_uint_t    value;
} dr_conf_enum_t;

#define DR_CONF_BITMASK_SET  1

typedef struct {
    dr_str_t     name;
    dr_uint_t    mask;
} dr_conf_bitmask_t;

char *dr_conf_check_num_bounds(dr_conf_t *cf, void *post, void *data);

#define dr_get_conf(conf_ctx, module)  conf_ctx[module.index]

#define dr_conf_init_value(conf, default)                                     \
    if (conf == DR_CONF_UNSET) { conf = default; }
#define dr_conf_init_ptr_value(conf, default)                                 \
    if (conf == DR_CONF_UNSET_PTR) { conf = default; }
#define dr_conf_init_uint_value(conf, default)                                \
    if (conf == DR_CONF_UNSET_UINT) { conf = default; }
#define dr_conf_init_size_value(conf, default)                                \
    if (conf == DR_CONF_UNSET_SIZE) { conf = default; }
#define dr_conf_init_msec_value(conf, default)                                \
    if (conf == DR_CONF_UNSET_MSEC) { conf = default; }

#define dr_conf_merge_value(conf, prev, default)                              \
    if (conf == DR_CONF_UNSET) {                                              \
        conf = (prev == DR_CONF_UNSET) ? default : prev;                      \
    }
#define dr_conf_merge_ptr_value(conf, prev, default)                          \
    if (conf == DR_CONF_UNSET_PTR) {                                          \
        conf = (prev == DR_CONF_UNSET_PTR) ? default : prev;                  \
    }
#define dr_conf_merge_uint_value(conf, prev, default)                         \
    if (conf == DR_CONF_UNSET_UINT) {                                         \
        conf = (prev == DR_CONF_UNSET_UINT) ? default : prev;                 \
    }
#define dr_conf_merge_msec_value(conf, prev, default)                         \
    if (conf == DR_CONF_UNSET_MSEC) {                                         \
        conf = (prev == DR_CONF_UNSET_MSEC) ? default : prev;                 \
    }
#define dr_conf_merge_sec_value(conf, prev, default)                          \
    if (conf == DR_CONF_UNSET) {                                              \
        conf = (prev == DR_CONF_UNSET) ? default : prev;                      \
    }
#define dr_conf_merge_size_value(conf, prev, default)                         \
    if (conf == DR_CONF_UNSET_SIZE) {                                         \
        conf = (prev == DR_CONF_UNSET_SIZE) ? default : prev;                 \
    }
#define dr_conf_merge_off_value(conf, prev, default)                          \
    if (conf == DR_CONF_UNSET) {                                              \
        conf = (prev == DR_CONF_UNSET) ? default : prev;                      \
    }
#define dr_conf_merge_str_value(conf, prev, default)                          \
    if (conf.data == NULL) {                                                  \
        if (prev.data) {                                                      \
            conf.len = prev.len;                                              \
            conf.data = prev.data;                                            \
        } else {                                                              \
            conf.len = sizeof(default) - 1;                                   \
            conf.data = (u_char *) default;                                   \
        }                                                                     \
    }
#define dr_conf_merge_bitmask_value(conf, prev, default)                      \
    if (conf == 0) {                                                          \
        conf = (prev == 0) ? default : prev;                                  \
    }

/* -g "directives": parsed as if they were at the end of the main context */
char *dr_conf_param(dr_conf_t *cf);
/*
 * Parses <filename> (NULL: the rest of the current block or -g string) in
 * the context cf describes. DR_CONF_OK or DR_CONF_ERROR (already logged).
 */
char *dr_conf_parse(dr_conf_t *cf, dr_str_t *filename);
char *dr_conf_include(dr_conf_t *cf, dr_command_t *cmd, void *conf);

/* resolves a relative path against the prefix (conf_prefix if <conf_prefix>) */
dr_int_t dr_conf_full_name(dr_cycle_t *cycle, dr_str_t *name,
    dr_uint_t conf_prefix);
dr_open_file_t *dr_conf_open_file(dr_cycle_t *cycle, dr_str_t *name);

/* logs "<message> in file:line" at <level> */
void dr_conf_log_error(dr_uint_t level, dr_conf_t *cf, dr_err_t err,
    const char *fmt, ...);

/* generic setters: offsets into the module's conf struct */
char *dr_conf_set_flag_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_str_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_str_array_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_keyval_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_num_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_size_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_off_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_msec_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_sec_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_bufs_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_enum_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_bitmask_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);
char *dr_conf_set_path_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf);

/* value parsers: "10k" "1m" "1g"; "500ms" "30s" "1h" "2d"; DR_ERROR if invalid */
ssize_t dr_parse_size(dr_str_t *line);
off_t dr_parse_offset(dr_str_t *line);
dr_int_t dr_parse_time(dr_str_t *line, dr_uint_t is_sec);

#endif
