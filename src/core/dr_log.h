/*
 * The error log, in nginx's line format:
 *   YYYY/MM/DD HH:MM:SS [level] pid#tid: *conn message[, action]
 * A log is a chain: each dr_log_t writes to its file when the level passes,
 * then hands the line to <next> (error_log may be given several times).
 * [alert] means a bug; tests fail on it.
 */
#ifndef DR_LOG_H_INCLUDED
#define DR_LOG_H_INCLUDED

#define DR_LOG_STDERR      0
#define DR_LOG_EMERG       1
#define DR_LOG_ALERT       2
#define DR_LOG_CRIT        3
#define DR_LOG_ERR         4
#define DR_LOG_WARN        5
#define DR_LOG_NOTICE      6
#define DR_LOG_INFO        7
#define DR_LOG_DEBUG       8

#define DR_MAX_ERROR_STR   2048

typedef u_char *(*dr_log_handler_pt)(dr_log_t *log, u_char *buf, size_t len);
typedef void (*dr_log_writer_pt)(dr_log_t *log, dr_uint_t level,
    u_char *buf, size_t len);

struct dr_log_s {
    dr_uint_t            log_level;
    dr_open_file_t      *file;
    dr_atomic_uint_t     connection;     /* "*N " when non-zero */
    time_t               disk_full_time;

    /*
     * appends context after dr_log_error() wrote " while <action>":
     * ", client: ..., server: ..."
     */
    dr_log_handler_pt    handler;
    void                *data;

    dr_log_writer_pt     writer;
    void                *wdata;

    /* "while <action>" is appended when set */
    char                *action;

    dr_log_t            *next;
};

extern const dr_str_t  dr_log_levels[];

void dr_log_error(dr_uint_t level, dr_log_t *log, dr_err_t err,
    const char *fmt, ...);

#if (DR_DEBUG)
#define dr_log_debug(log, fmt, ...)                                          \
    do {                                                                      \
        if ((log)->log_level >= DR_LOG_DEBUG)                                 \
            dr_log_error(DR_LOG_DEBUG, log, 0, fmt, ##__VA_ARGS__);           \
    } while (0)
#else
#define dr_log_debug(log, fmt, ...)  do { (void) (log); } while (0)
#endif

/* the bootstrap log: stderr, until the config's error_log is opened */
dr_log_t *dr_log_init(u_char *prefix, u_char *error_log);
/* writes "drover: <message>\n" to stderr (command line messages, -t) */
void dr_log_stderr(dr_err_t err, const char *fmt, ...);
u_char *dr_log_errno(u_char *buf, u_char *last, dr_err_t err);
/* handles "error_log file [level]" arguments for any context */
char *dr_log_set_log(dr_conf_t *cf, dr_log_t **head);
void dr_log_insert(dr_log_t *log, dr_log_t *new_log);
/* dups the error log's fd onto stderr so that stray writes land in it */
dr_int_t dr_log_redirect_stderr(dr_cycle_t *cycle);
dr_log_t *dr_log_get_file_log(dr_log_t *head);

extern dr_uint_t  dr_use_stderr;

#endif
