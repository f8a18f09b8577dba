/*
 * The error log (nginx's format and behaviour).
 *
 * A line is "YYYY/MM/DD HH:MM:SS [level] pid#tid: *conn message (errno:
 * text) while <action><handler context>". A dr_log_t chain is sorted by
 * level, most verbose first; each link whose level admits the line writes it
 * whole with one write() to a file opened O_APPEND, so lines from several
 * processes never interleave. While dr_use_stderr is set (start-up, -t, the
 * master before it detaches), emerg..warn lines are also printed on stderr as
 * "drover: [level] message", which is what users see from `drover -t`.
 *
 * error_log is handled here for every context: the errlog core module owns
 * the main-context directive; http modules call dr_log_set_log() for theirs.
 */

#include "dr_core.h"

static char *dr_error_log(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *dr_log_set_levels(dr_conf_t *cf, dr_log_t *log);
static void dr_log_write(dr_log_t *log, dr_uint_t level, u_char *buf,
    size_t len);

dr_uint_t           dr_use_stderr = 1;

static dr_open_file_t  dr_log_file;
static dr_log_t        dr_log;

const dr_str_t  dr_log_levels[] = {
    dr_string("stderr"),
    dr_string("emerg"),
    dr_string("alert"),
    dr_string("crit"),
    dr_string("error"),
    dr_string("warn"),
    dr_string("notice"),
    dr_string("info"),
    dr_string("debug")
};

static dr_command_t  dr_errlog_commands[] = {

    { dr_string("error_log"),
      DR_MAIN_CONF|DR_CONF_1MORE,
      dr_error_log,
      0,
      0,
      NULL },

    dr_null_command
};

static dr_core_module_t  dr_errlog_module_ctx = {
    .name = dr_string("errlog"),
};

dr_module_t  dr_errlog_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "errlog",
    .type = DR_CORE_MODULE,
    .ctx = &dr_errlog_module_ctx,
    .commands = dr_errlog_commands,
};


void
dr_log_error(dr_uint_t level, dr_log_t *log, dr_err_t err,
    const char *fmt, ...)
{
    va_list     args;
    u_char     *p, *last, *msg;
    u_char      errstr[DR_MAX_ERROR_STR];
    dr_uint_t   wrote_stderr;

    if (log == NULL) {
        log = &dr_log;
    }

    last = errstr + DR_MAX_ERROR_STR;

    if (dr_cached_err_log_time.data == NULL) {
        dr_time_init();         /* a log line before main() set the time */
    }

    p = dr_cpymem(errstr, dr_cached_err_log_time.data,
                  dr_cached_err_log_time.len);

    p = dr_slprintf(p, last, " [%V] ", &dr_log_levels[level]);

    /* pid#tid as nginx; drover's processes are single-threaded: tid = pid */
    p = dr_slprintf(p, last, "%P#%P: ", (pid_t) getpid(), (pid_t) getpid());

    if (log->connection) {
        p = dr_slprintf(p, last, "*%uA ", log->connection);
    }

    msg = p;

    va_start(args, fmt);
    p = dr_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = dr_log_errno(p, last, err);
    }

    /* the action first, then the handler's context (", client: ...") */

    if (level != DR_LOG_DEBUG && log->action) {
        p = dr_slprintf(p, last, " while %s", log->action);
    }

    if (level != DR_LOG_DEBUG && log->handler) {
        p = log->handler(log, p, last - p);
    }

    if (p > last - 1) {
        p = last - 1;
    }

    *p++ = LF;

    wrote_stderr = 0;

    while (log) {

        if (log->log_level < level) {
            break;
        }

        if (log->writer) {
            log->writer(log, level, errstr, p - errstr);
            goto next;
        }

        if (log->file == NULL || log->file->fd == DR_INVALID_FILE) {
            goto next;
        }

        dr_log_write(log, level, errstr, p - errstr);

        if (log->file->fd == STDERR_FILENO) {
            wrote_stderr = 1;
        }

    next:

        log = log->next;
    }

    if (!dr_use_stderr || level > DR_LOG_WARN || wrote_stderr) {
        return;
    }

    msg -= (sizeof("drover: [] ") - 1 + dr_log_levels[level].len);

    (void) dr_sprintf(msg, "drover: [%V] ", &dr_log_levels[level]);

    (void) dr_write_fd_all(STDERR_FILENO, msg, p - msg);
}


static void
dr_log_write(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    ssize_t  n;

    if (log->disk_full_time == dr_time()) {
        /* on a full disk, one failed write per second is enough */
        return;
    }

    n = write(log->file->fd, buf, len);

    if (n == -1 && errno == ENOSPC) {
        log->disk_full_time = dr_time();
    }
}


u_char *
dr_log_errno(u_char *buf, u_char *last, dr_err_t err)
{
    if (buf > last - 50) {

        /* leave a space for an error code */

        buf = last - 50;
        *buf++ = '.';
        *buf++ = '.';
        *buf++ = '.';
    }

    buf = dr_slprintf(buf, last, " (%d: ", err);
    buf = dr_strerror(err, buf, last - buf);

    if (buf < last) {
        *buf++ = ')';
    }

    return buf;
}


void
dr_log_stderr(dr_err_t err, const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;
    u_char    errstr[DR_MAX_ERROR_STR];

    last = errstr + DR_MAX_ERROR_STR;

    p = dr_cpymem(errstr, "drover: ", 8);

    va_start(args, fmt);
    p = dr_vslprintf(p, last, fmt, args);
    va_end(args);

    if (err) {
        p = dr_log_errno(p, last, err);
    }

    if (p > last - 1) {
        p = last - 1;
    }

    *p++ = LF;

    (void) dr_write_fd_all(STDERR_FILENO, errstr, p - errstr);
}


dr_log_t *
dr_log_init(u_char *prefix, u_char *error_log)
{
    u_char  *p, *name;
    size_t   nlen, plen;

    dr_log.file = &dr_log_file;
    dr_log.log_level = DR_LOG_NOTICE;

    if (error_log == NULL) {
        error_log = (u_char *) DR_ERROR_LOG_PATH;
    }

    name = error_log;
    nlen = dr_strlen(name);

    if (nlen == 0 || dr_strcmp(name, "stderr") == 0) {
        dr_log_file.fd = STDERR_FILENO;
        return &dr_log;
    }

    p = NULL;

    if (name[0] != '/') {

        if (prefix) {
            plen = dr_strlen(prefix);

        } else {
            prefix = (u_char *) DR_PREFIX;
            plen = dr_strlen(prefix);
        }

        if (plen) {
            name = malloc(plen + nlen + 2);
            if (name == NULL) {
                return NULL;
            }

            p = dr_cpymem(name, prefix, plen);

            if (!dr_path_separator(*(p - 1))) {
                *p++ = '/';
            }

            dr_cpystrn(p, error_log, nlen + 1);

            p = name;
        }
    }

    dr_log_file.fd = open((char *) name, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC,
                          0644);

    if (dr_log_file.fd == DR_INVALID_FILE) {
        dr_log_stderr(dr_errno,
                      "[alert] could not open error log file: "
                      "open() \"%s\" failed", name);
        dr_log_file.fd = STDERR_FILENO;
    }

    if (p) {
        free(p);
    }

    return &dr_log;
}


dr_int_t
dr_log_redirect_stderr(dr_cycle_t *cycle)
{
    dr_fd_t  fd;

    if (cycle->log_use_stderr) {
        return DR_OK;
    }

    /* the first one: the most verbose file log */
    fd = dr_log_get_file_log(cycle->log)->file->fd;

    if (fd != STDERR_FILENO) {
        if (dup2(fd, STDERR_FILENO) == -1) {
            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "dup2(STDERR) failed");
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_log_t *
dr_log_get_file_log(dr_log_t *head)
{
    dr_log_t  *log;

    for (log = head; log; log = log->next) {
        if (log->file != NULL) {
            return log;
        }
    }

    return NULL;
}


static char *
dr_log_set_levels(dr_conf_t *cf, dr_log_t *log)
{
    dr_uint_t   i, n;
    dr_str_t   *value;

    if (cf->args->nelts == 2) {
        log->log_level = DR_LOG_ERR;
        return DR_CONF_OK;
    }

    value = cf->args->elts;

    if (cf->args->nelts > 3) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid number of arguments in \"error_log\" "
                          "directive");
        return DR_CONF_ERROR;
    }

    for (n = 1; n <= DR_LOG_DEBUG; n++) {
        if (dr_str_eq(&value[2], &dr_log_levels[n])) {
            log->log_level = n;
            return DR_CONF_OK;
        }
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0, "invalid log level \"%V\"",
                      &value[2]);

    (void) i;
    return DR_CONF_ERROR;
}


char *
dr_log_set_log(dr_conf_t *cf, dr_log_t **head)
{
    dr_log_t   *new_log;
    dr_str_t   *value, name;

    if (*head != NULL && (*head)->log_level == 0) {
        new_log = *head;

    } else {
        new_log = dr_pcalloc(cf->pool, sizeof(dr_log_t));
        if (new_log == NULL) {
            return DR_CONF_ERROR;
        }

        if (*head == NULL) {
            *head = new_log;
        }
    }

    value = cf->args->elts;

    if (dr_str_eq_lit(&value[1], "stderr")) {
        dr_str_null(&name);
        cf->cycle->log_use_stderr = 1;

        new_log->file = dr_conf_open_file(cf->cycle, &name);
        if (new_log->file == NULL) {
            return DR_CONF_ERROR;
        }

    } else {
        name = value[1];

        new_log->file = dr_conf_open_file(cf->cycle, &name);
        if (new_log->file == NULL) {
            return DR_CONF_ERROR;
        }
    }

    if (dr_log_set_levels(cf, new_log) != DR_CONF_OK) {
        return DR_CONF_ERROR;
    }

    if (*head != new_log) {
        dr_log_insert(*head, new_log);
    }

    return DR_CONF_OK;
}


/* keeps the chain sorted by level, most verbose first (nginx's order) */
void
dr_log_insert(dr_log_t *log, dr_log_t *new_log)
{
    dr_log_t  tmp;

    if (new_log->log_level > log->log_level) {

        /* the head is embedded in a struct: swap contents, not pointers */

        tmp = *log;
        *log = *new_log;
        *new_log = tmp;

        log->next = new_log;
        return;
    }

    while (log->next) {
        if (new_log->log_level > log->next->log_level) {
            new_log->next = log->next;
            log->next = new_log;
            return;
        }

        log = log->next;
    }

    log->next = new_log;
}


static char *
dr_error_log(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_log_t  *dummy;

    dummy = &cf->cycle->new_log;

    return dr_log_set_log(cf, &dummy);
}
