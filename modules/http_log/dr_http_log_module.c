/*
 * The access log (nginx's ngx_http_log_module): access_log, log_format
 * (compiled by dr_http_log_format.c), and the configuration of
 * access_log_rotate, drover's built-in rotation (the engine is
 * dr_http_log_rotate.c; the master runs it from this module's master_tick
 * and exit_master hooks).
 *
 * In the LOG phase, each access_log of the location that handled the
 * request gets one line: its length is bounded first, then the line is
 * written in one pass, straight into the file's buffer when the log is
 * buffered and the line fits, else into r->pool. A line, or a buffer of
 * whole lines, goes to one write() on an O_APPEND descriptor, so the lines
 * of concurrent workers never mix.
 *
 * A buffer belongs to its open file (cycle pool; each worker has its own
 * copy after fork). It is written out when the next line does not fit,
 * when flush= expires (a cancelable timer: it does not delay a graceful
 * exit), and through the open file's flush hook, which the core calls
 * before USR1 reopens the file and when a worker exits. With gzip, each
 * write is one gzip member (zcat reads the concatenation).
 *
 * A path with variables is opened, written and closed for every line and
 * cannot be buffered (nginx's rule), nor rotated by access_log_rotate.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http.h"
#include "dr_http_log_format.h"
#include "dr_http_log_rotate.h"

#include <zlib.h>


#define DR_HTTP_LOG_GZIP_BUFFER     (64 * 1024)


typedef struct {
    dr_array_t                    formats;  /* dr_http_log_format_t, [0]
                                               is "combined" */
    dr_uint_t                     combined_used;
    dr_array_t                    rotate;   /* dr_http_log_rotate_file_t */
} dr_http_log_main_conf_t;

typedef struct {
    u_char                       *start;
    u_char                       *pos;
    u_char                       *last;
    dr_event_t                   *event;    /* flush=; NULL without */
    dr_msec_t                     flush;
    dr_int_t                      gzip;     /* level; 0: plain */
} dr_http_log_buf_t;

typedef struct {
    dr_open_file_t               *file;     /* NULL: a path with variables */
    dr_http_complex_value_t      *script;
    time_t                        disk_full_time;
    time_t                        error_log_time;
    dr_http_log_format_t         *format;
    dr_http_complex_value_t      *filter;   /* if= */
} dr_http_log_t;

typedef struct {
    dr_array_t                   *logs;     /* dr_http_log_t */
    dr_uint_t                     off;
    dr_http_log_rotate_conf_t    *rotate;   /* NULL: off */
} dr_http_log_loc_conf_t;


static dr_int_t dr_http_log_handler(dr_http_request_t *r);
static dr_int_t dr_http_log_line(dr_http_request_t *r, dr_http_log_t *log);
static void dr_http_log_write(dr_http_request_t *r, dr_http_log_t *log,
    u_char *buf, size_t len);
static ssize_t dr_http_log_script_write(dr_http_request_t *r,
    dr_http_complex_value_t *script, u_char **name, u_char *buf, size_t len);
static ssize_t dr_http_log_gzip(dr_fd_t fd, u_char *buf, size_t len,
    dr_int_t level, dr_log_t *log);
static void dr_http_log_flush(dr_open_file_t *file, dr_log_t *log);
static void dr_http_log_flush_handler(dr_event_t *ev);

static void *dr_http_log_create_main_conf(dr_conf_t *cf);
static void *dr_http_log_create_loc_conf(dr_conf_t *cf);
static char *dr_http_log_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);
static char *dr_http_log_set_log(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static dr_int_t dr_http_log_set_path(dr_conf_t *cf, dr_http_log_t *log,
    dr_str_t *path);
static char *dr_http_log_set_log_params(dr_conf_t *cf, dr_http_log_t *log,
    dr_str_t *value, dr_uint_t n);
static char *dr_http_log_set_buffer(dr_conf_t *cf, dr_http_log_t *log,
    dr_str_t *path, size_t size, dr_msec_t flush, dr_int_t gzip);
static char *dr_http_log_set_format(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_log_set_rotate(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_http_log_rotate_param(dr_conf_t *cf,
    dr_http_log_rotate_conf_t *rcf, dr_str_t *value);
static char *dr_http_log_rotate_register(dr_conf_t *cf, dr_array_t *logs,
    dr_http_log_rotate_conf_t *rcf);
static dr_int_t dr_http_log_init(dr_conf_t *cf);
static dr_int_t dr_http_log_init_process(dr_cycle_t *cycle);
static void dr_http_log_master_tick(dr_cycle_t *cycle, dr_msec_t *next);
static void dr_http_log_exit_master(dr_cycle_t *cycle);


static dr_command_t  dr_http_log_commands[] = {

    { dr_string("log_format"),
      DR_HTTP_MAIN_CONF|DR_CONF_2MORE,
      dr_http_log_set_format,
      DR_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { dr_string("access_log"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                        |DR_HTTP_LMT_CONF|DR_CONF_1MORE,
      dr_http_log_set_log,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { dr_string("access_log_rotate"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_CONF_1MORE,
      dr_http_log_set_rotate,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_log_module_ctx = {
    .postconfiguration = dr_http_log_init,
    .create_main_conf = dr_http_log_create_main_conf,
    .create_loc_conf = dr_http_log_create_loc_conf,
    .merge_loc_conf = dr_http_log_merge_loc_conf,
};


dr_module_t  dr_http_log_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX, .index = DR_MODULE_UNSET_INDEX,
    .name = "http_log", .type = DR_HTTP_MODULE,
    .ctx = &dr_http_log_module_ctx, .commands = dr_http_log_commands,
    .init_process = dr_http_log_init_process,
    .master_tick = dr_http_log_master_tick,
    .exit_master = dr_http_log_exit_master,
};


static dr_str_t  dr_http_access_log = dr_string(DR_HTTP_LOG_PATH);

static dr_str_t  dr_http_combined_fmt =
    dr_string("$remote_addr - $remote_user [$time_local] "
              "\"$request\" $status $body_bytes_sent "
              "\"$http_referer\" \"$http_user_agent\"");


/*
 * The LOG phase: one line per access_log of the location. Always DR_OK
 * but on no memory; write errors are logged (at most once a minute per
 * log) and after ENOSPC the log rests for the rest of that second.
 */
static dr_int_t
dr_http_log_handler(dr_http_request_t *r)
{
    dr_uint_t                l;
    dr_http_log_t           *log;
    dr_http_log_loc_conf_t  *lcf;

    lcf = dr_http_get_module_loc_conf(r, dr_http_log_module);

    if (lcf->off || lcf->logs == NULL) {
        return DR_OK;
    }

    log = lcf->logs->elts;

    for (l = 0; l < lcf->logs->nelts; l++) {
        if (dr_http_log_line(r, &log[l]) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/* one line to <log>: DR_OK (written, buffered or skipped) or DR_ERROR */
static dr_int_t
dr_http_log_line(dr_http_request_t *r, dr_http_log_t *log)
{
    u_char             *line, *p;
    size_t              len;
    dr_str_t            val;
    dr_http_log_buf_t  *buffer;

    if (log->filter) {
        if (dr_http_complex_value(r, log->filter, &val) != DR_OK) {
            return DR_ERROR;
        }

        if (val.len == 0 || (val.len == 1 && val.data[0] == '0')) {
            return DR_OK;
        }
    }

    if (dr_time() == log->disk_full_time) {
        return DR_OK;
    }

    len = dr_http_log_format_len(r, log->format) + 1;      /* LF */

    buffer = log->file ? log->file->data : NULL;

    if (buffer) {

        if (len > (size_t) (buffer->last - buffer->pos)) {
            dr_http_log_write(r, log, buffer->start,
                              buffer->pos - buffer->start);
            buffer->pos = buffer->start;
        }

        if (len <= (size_t) (buffer->last - buffer->pos)) {

            if (buffer->event && buffer->pos == buffer->start) {
                dr_event_add_timer(buffer->event, buffer->flush);
            }

            p = dr_http_log_format_run(r, log->format, buffer->pos);
            *p++ = LF;
            buffer->pos = p;

            return DR_OK;
        }

        /* longer than the whole buffer: on its own, the buffer is empty */

        if (buffer->event && buffer->event->timer_set) {
            dr_event_del_timer(buffer->event);
        }
    }

    line = dr_pnalloc(r->pool, len);
    if (line == NULL) {
        return DR_ERROR;
    }

    p = dr_http_log_format_run(r, log->format, line);
    *p++ = LF;

    dr_http_log_write(r, log, line, p - line);

    return DR_OK;
}


/* <buf> (whole lines) to <log>'s file in one write() */
static void
dr_http_log_write(dr_http_request_t *r, dr_http_log_t *log, u_char *buf,
    size_t len)
{
    u_char             *name;
    time_t              now;
    ssize_t             n;
    dr_err_t            err;
    dr_http_log_buf_t  *buffer;

    if (len == 0) {
        return;
    }

    if (log->script == NULL) {
        name = log->file->name.data;
        buffer = log->file->data;

        if (buffer && buffer->gzip) {
            n = dr_http_log_gzip(log->file->fd, buf, len, buffer->gzip,
                                 r->connection->log);
        } else {
            n = write(log->file->fd, buf, len);
        }

    } else {
        name = NULL;
        n = dr_http_log_script_write(r, log->script, &name, buf, len);
    }

    if (n == (ssize_t) len) {
        return;
    }

    err = dr_errno;
    now = dr_time();

    if (n == -1 && err == ENOSPC) {
        log->disk_full_time = now;
    }

    if (now - log->error_log_time < 60) {
        return;
    }

    log->error_log_time = now;

    if (n == -1) {
        dr_log_error(DR_LOG_CRIT, r->connection->log, err,
                     "write() to \"%s\" failed",
                     name ? name : (u_char *) "(access log)");
        return;
    }

    dr_log_error(DR_LOG_CRIT, r->connection->log, 0,
                 "write() to \"%s\" was incomplete: %z of %uz",
                 name ? name : (u_char *) "(access log)", n, len);
}


/*
 * A path with variables: opened, written, closed. -1 with errno, and
 * *name set once the path is known (NULL when it could not be made).
 */
static ssize_t
dr_http_log_script_write(dr_http_request_t *r,
    dr_http_complex_value_t *script, u_char **name, u_char *buf, size_t len)
{
    u_char    *path, *p, *last;
    ssize_t    n;
    dr_fd_t    fd;
    dr_err_t   err;
    dr_str_t   value;

    if (dr_http_complex_value(r, script, &value) != DR_OK) {
        errno = ENOMEM;
        return -1;
    }

    path = dr_pnalloc(r->pool, value.len + 1);
    if (path == NULL) {
        errno = ENOMEM;
        return -1;
    }

    last = value.len ? dr_cpymem(path, value.data, value.len) : path;
    *last = '\0';
    *name = path;

    /* a value must not cut the path short nor climb out of its place */

    if (dr_strlchr(path, last, '\0') != NULL) {
        errno = EINVAL;
        return -1;
    }

    for (p = path; p + 2 < last + 1; p++) {
        if (p[0] == '/' && p[1] == '.' && p[2] == '.'
            && (p + 3 == last || p[3] == '/'))
        {
            dr_log_error(DR_LOG_ERR, r->connection->log, 0,
                         "access log path \"%s\" has a \"..\" segment, "
                         "not written", path);
            errno = EACCES;
            return -1;
        }
    }

    fd = open((char *) path, O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0644);

    if (fd == DR_INVALID_FILE) {
        return -1;
    }

    n = write(fd, buf, len);
    err = dr_errno;

    if (close(fd) == -1) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, dr_errno,
                     "close() \"%s\" failed", path);
    }

    errno = err;

    return n;
}


/*
 * <buf> as one gzip member in one write(): <len> when all of it was
 * written, 0 when only part, -1 with errno on an error (zlib's logged).
 */
static ssize_t
dr_http_log_gzip(dr_fd_t fd, u_char *buf, size_t len, dr_int_t level,
    dr_log_t *log)
{
    int        rc, wbits, memlevel;
    u_char    *out;
    size_t     size;
    ssize_t    n;
    dr_err_t   err;
    z_stream   zs;

    /* a small buffer needs a small window: less memory per flush */

    wbits = MAX_WBITS;
    memlevel = MAX_MEM_LEVEL - 1;

    while ((ssize_t) len < ((1 << (wbits - 1)) - 262)) {
        wbits--;
        memlevel--;
    }

    if (memlevel < 1) {
        memlevel = 1;
    }

    dr_memzero(&zs, sizeof(z_stream));

    rc = deflateInit2(&zs, (int) level, Z_DEFLATED, wbits + 16, memlevel,
                      Z_DEFAULT_STRATEGY);

    if (rc != Z_OK) {
        dr_log_error(DR_LOG_ALERT, log, 0, "deflateInit2() failed: %d", rc);
        errno = ENOMEM;
        return -1;
    }

    size = deflateBound(&zs, len);

    out = dr_alloc(size, log);
    if (out == NULL) {
        (void) deflateEnd(&zs);
        errno = ENOMEM;
        return -1;
    }

    zs.next_in = buf;
    zs.avail_in = len;
    zs.next_out = out;
    zs.avail_out = size;

    rc = deflate(&zs, Z_FINISH);

    if (rc != Z_STREAM_END) {
        dr_log_error(DR_LOG_ALERT, log, 0, "deflate(Z_FINISH) failed: %d",
                     rc);
        (void) deflateEnd(&zs);
        dr_free(out);
        errno = EIO;
        return -1;
    }

    size -= zs.avail_out;
    (void) deflateEnd(&zs);

    n = write(fd, out, size);
    err = dr_errno;

    dr_free(out);

    if (n == (ssize_t) size) {
        return len;
    }

    errno = err;

    return (n == -1) ? -1 : 0;
}


/*
 * The open file's flush hook: writes the buffered lines. The core calls
 * it before a reopen (USR1) and at a worker's exit; the flush= timer and
 * a full buffer call it too. Never blocks on more than the write().
 */
static void
dr_http_log_flush(dr_open_file_t *file, dr_log_t *log)
{
    size_t              len;
    ssize_t             n;
    dr_http_log_buf_t  *buffer;

    buffer = file->data;

    len = buffer->pos - buffer->start;

    if (len == 0) {
        return;
    }

    if (buffer->gzip) {
        n = dr_http_log_gzip(file->fd, buffer->start, len, buffer->gzip, log);
    } else {
        n = write(file->fd, buffer->start, len);
    }

    if (n == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno, "write() to \"%s\" failed",
                     file->name.data);

    } else if ((size_t) n != len) {
        dr_log_error(DR_LOG_CRIT, log, 0,
                     "write() to \"%s\" was incomplete: %z of %uz",
                     file->name.data, n, len);
    }

    buffer->pos = buffer->start;

    if (buffer->event && buffer->event->timer_set) {
        dr_event_del_timer(buffer->event);
    }
}


static void
dr_http_log_flush_handler(dr_event_t *ev)
{
    dr_http_log_flush(ev->data, ev->log);
}


/* configuration */

static void *
dr_http_log_create_main_conf(dr_conf_t *cf)
{
    dr_str_t                  name = dr_string("combined");
    dr_http_log_format_t     *fmt;
    dr_http_log_main_conf_t  *lmcf;

    lmcf = dr_pcalloc(cf->pool, sizeof(dr_http_log_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    if (dr_array_init(&lmcf->formats, cf->pool, 4,
                      sizeof(dr_http_log_format_t))
        != DR_OK
        || dr_array_init(&lmcf->rotate, cf->pool, 4,
                         sizeof(dr_http_log_rotate_file_t))
           != DR_OK)
    {
        return NULL;
    }

    /* "combined" is compiled at the end of http{} if something uses it */

    fmt = dr_array_push(&lmcf->formats);
    if (fmt == NULL
        || dr_http_log_format_init(cf->pool, fmt, &name) != DR_OK)
    {
        return NULL;
    }

    return lmcf;
}


static void *
dr_http_log_create_loc_conf(dr_conf_t *cf)
{
    dr_http_log_loc_conf_t  *conf;

    conf = dr_pcalloc(cf->pool, sizeof(dr_http_log_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by dr_pcalloc():
     *
     *     conf->logs = NULL;
     *     conf->off = 0;
     */

    conf->rotate = DR_CONF_UNSET_PTR;

    return conf;
}


/*
 * A level without access_log inherits its parent's logs; with none up to
 * http{}, a server gets logs/access.log in "combined" (nginx). The logs a
 * level declares (or gets by default) are rotated per the
 * access_log_rotate in effect at that level.
 */
static char *
dr_http_log_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_log_loc_conf_t *prev = parent;
    dr_http_log_loc_conf_t *conf = child;

    dr_http_log_t            *log;
    dr_http_log_format_t     *fmt;
    dr_http_log_main_conf_t  *lmcf;

    dr_conf_merge_ptr_value(conf->rotate, prev->rotate, NULL);

    if (conf->logs == NULL && !conf->off) {

        conf->logs = prev->logs;
        conf->off = prev->off;

        if (conf->logs || conf->off) {
            return DR_CONF_OK;
        }

        conf->logs = dr_array_create(cf->pool, 2, sizeof(dr_http_log_t));
        if (conf->logs == NULL) {
            return DR_CONF_ERROR;
        }

        log = dr_array_push(conf->logs);
        if (log == NULL) {
            return DR_CONF_ERROR;
        }

        dr_memzero(log, sizeof(dr_http_log_t));

        log->file = dr_conf_open_file(cf->cycle, &dr_http_access_log);
        if (log->file == NULL) {
            return DR_CONF_ERROR;
        }

        lmcf = dr_http_conf_get_module_main_conf(cf, dr_http_log_module);
        fmt = lmcf->formats.elts;

        log->format = &fmt[0];
        lmcf->combined_used = 1;
    }

    return dr_http_log_rotate_register(cf, conf->logs, conf->rotate);
}


/* access_log off | path [format [buffer=size] [gzip[=level]]
 *                        [flush=time] [if=condition]] */
static char *
dr_http_log_set_log(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_log_loc_conf_t *llcf = conf;

    dr_str_t                 *value, name;
    dr_uint_t                 i;
    dr_http_log_t            *log;
    dr_http_log_format_t     *fmt;
    dr_http_log_main_conf_t  *lmcf;

    value = cf->args->elts;

    if (value[1].len == 3 && dr_strncmp(value[1].data, "off", 3) == 0) {
        llcf->off = 1;

        if (cf->args->nelts == 2) {
            return DR_CONF_OK;
        }

        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "invalid parameter \"%V\"",
                          &value[2]);
        return DR_CONF_ERROR;
    }

    if (value[1].len >= 7 && dr_strncmp(value[1].data, "syslog:", 7) == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "logging to syslog is not supported");
        return DR_CONF_ERROR;
    }

    if (llcf->logs == NULL) {
        llcf->logs = dr_array_create(cf->pool, 2, sizeof(dr_http_log_t));
        if (llcf->logs == NULL) {
            return DR_CONF_ERROR;
        }
    }

    lmcf = dr_http_conf_get_module_main_conf(cf, dr_http_log_module);

    log = dr_array_push(llcf->logs);
    if (log == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(log, sizeof(dr_http_log_t));

    if (dr_http_log_set_path(cf, log, &value[1]) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (cf->args->nelts >= 3) {
        name = value[2];

    } else {
        dr_str_set(&name, "combined");
    }

    fmt = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (dr_str_eq(&fmt[i].name, &name)) {
            log->format = &fmt[i];
            break;
        }
    }

    if (log->format == NULL) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "unknown log format \"%V\"",
                          &name);
        return DR_CONF_ERROR;
    }

    if (i == 0) {
        lmcf->combined_used = 1;
    }

    return dr_http_log_set_log_params(cf, log, value, cf->args->nelts);
}


/*
 * A path without variables is an open file of the cycle (shared by every
 * access_log and error_log naming it); one with variables is compiled,
 * relative to the prefix. DR_OK or DR_ERROR.
 */
static dr_int_t
dr_http_log_set_path(dr_conf_t *cf, dr_http_log_t *log, dr_str_t *path)
{
    dr_http_compile_complex_value_t  ccv;

    if (dr_http_script_variables_count(path) == 0) {
        log->file = dr_conf_open_file(cf->cycle, path);
        return (log->file == NULL) ? DR_ERROR : DR_OK;
    }

    if (dr_conf_full_name(cf->cycle, path, 0) != DR_OK) {
        return DR_ERROR;
    }

    log->script = dr_pcalloc(cf->pool, sizeof(dr_http_complex_value_t));
    if (log->script == NULL) {
        return DR_ERROR;
    }

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = path;
    ccv.complex_value = log->script;

    return dr_http_compile_complex_value(&ccv);
}


/* buffer=, gzip, flush=, if= of an access_log (value[3] on) */
static char *
dr_http_log_set_log_params(dr_conf_t *cf, dr_http_log_t *log,
    dr_str_t *value, dr_uint_t n)
{
    size_t                             size;
    dr_int_t                           gzip;
    dr_str_t                           s;
    dr_msec_t                          flush;
    dr_uint_t                          i;
    dr_http_compile_complex_value_t    ccv;

    size = 0;
    flush = 0;
    gzip = 0;

    for (i = 3; i < n; i++) {

        if (dr_strncmp(value[i].data, "buffer=", 7) == 0) {
            s.len = value[i].len - 7;
            s.data = value[i].data + 7;

            size = dr_parse_size(&s);

            if (size == (size_t) DR_ERROR || size == 0) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "invalid buffer size \"%V\"", &s);
                return DR_CONF_ERROR;
            }

        } else if (dr_strncmp(value[i].data, "flush=", 6) == 0) {
            s.len = value[i].len - 6;
            s.data = value[i].data + 6;

            flush = dr_parse_time(&s, 0);

            if (flush == (dr_msec_t) DR_ERROR || flush == 0) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "invalid flush time \"%V\"", &s);
                return DR_CONF_ERROR;
            }

        } else if (dr_strncmp(value[i].data, "gzip", 4) == 0
                   && (value[i].len == 4 || value[i].data[4] == '='))
        {
            size = size ? size : DR_HTTP_LOG_GZIP_BUFFER;
            gzip = (value[i].len == 4)
                   ? Z_BEST_SPEED
                   : dr_atoi(value[i].data + 5, value[i].len - 5);

            if (gzip < 1 || gzip > 9) {
                s.len = value[i].len - 5;
                s.data = value[i].data + 5;
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "invalid compression level \"%V\"", &s);
                return DR_CONF_ERROR;
            }

        } else if (dr_strncmp(value[i].data, "if=", 3) == 0) {
            s.len = value[i].len - 3;
            s.data = value[i].data + 3;

            log->filter = dr_pcalloc(cf->pool,
                                     sizeof(dr_http_complex_value_t));
            if (log->filter == NULL) {
                return DR_CONF_ERROR;
            }

            dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

            ccv.cf = cf;
            ccv.value = &s;
            ccv.complex_value = log->filter;

            if (dr_http_compile_complex_value(&ccv) != DR_OK) {
                return DR_CONF_ERROR;
            }

        } else {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[i]);
            return DR_CONF_ERROR;
        }
    }

    if (flush && size == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "no buffer is defined for access_log \"%V\"",
                          &value[1]);
        return DR_CONF_ERROR;
    }

    if (size == 0) {
        return DR_CONF_OK;
    }

    return dr_http_log_set_buffer(cf, log, &value[1], size, flush, gzip);
}


/*
 * Gives <log>'s file its buffer, or checks that the buffer another
 * access_log gave the same file has the same parameters.
 */
static char *
dr_http_log_set_buffer(dr_conf_t *cf, dr_http_log_t *log, dr_str_t *path,
    size_t size, dr_msec_t flush, dr_int_t gzip)
{
    dr_http_log_buf_t  *buffer;

    if (log->script) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "buffered logs cannot have variables in name");
        return DR_CONF_ERROR;
    }

    if (log->file->data) {
        buffer = log->file->data;

        if ((size_t) (buffer->last - buffer->start) != size
            || buffer->flush != flush || buffer->gzip != gzip)
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "access_log \"%V\" already defined "
                              "with conflicting parameters", path);
            return DR_CONF_ERROR;
        }

        return DR_CONF_OK;
    }

    buffer = dr_pcalloc(cf->pool, sizeof(dr_http_log_buf_t));
    if (buffer == NULL) {
        return DR_CONF_ERROR;
    }

    buffer->start = dr_pnalloc(cf->pool, size);
    if (buffer->start == NULL) {
        return DR_CONF_ERROR;
    }

    buffer->pos = buffer->start;
    buffer->last = buffer->start + size;

    if (flush) {
        buffer->event = dr_pcalloc(cf->pool, sizeof(dr_event_t));
        if (buffer->event == NULL) {
            return DR_CONF_ERROR;
        }

        buffer->event->data = log->file;
        buffer->event->handler = dr_http_log_flush_handler;
        buffer->event->log = &cf->cycle->new_log;

        /* a graceful exit does not wait for it: exit flushes anyway */
        buffer->event->cancelable = 1;

        buffer->flush = flush;
    }

    buffer->gzip = gzip;

    log->file->flush = dr_http_log_flush;
    log->file->data = buffer;

    return DR_CONF_OK;
}


/* log_format name [escape=default|json|none] string ... */
static char *
dr_http_log_set_format(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_log_main_conf_t *lmcf = conf;

    dr_str_t              *value;
    dr_uint_t              i;
    dr_http_log_format_t  *fmt;

    value = cf->args->elts;

    fmt = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (dr_str_eq(&fmt[i].name, &value[1])) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "duplicate \"log_format\" name \"%V\"",
                              &value[1]);
            return DR_CONF_ERROR;
        }
    }

    fmt = dr_array_push(&lmcf->formats);
    if (fmt == NULL
        || dr_http_log_format_init(cf->pool, fmt, &value[1]) != DR_OK)
    {
        return DR_CONF_ERROR;
    }

    return dr_http_log_format_compile(cf, fmt, cf->args, 2);
}


/* access_log_rotate off | [size=size] [interval=time] [keep=n] [compress] */
static char *
dr_http_log_set_rotate(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_log_loc_conf_t *llcf = conf;

    char                       *rv;
    dr_str_t                   *value;
    dr_uint_t                   i;
    dr_http_log_rotate_conf_t  *rcf;

    if (llcf->rotate != DR_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 3 && dr_strncmp(value[1].data, "off", 3) == 0) {
        if (cf->args->nelts != 2) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[2]);
            return DR_CONF_ERROR;
        }

        llcf->rotate = NULL;
        return DR_CONF_OK;
    }

    rcf = dr_pcalloc(cf->pool, sizeof(dr_http_log_rotate_conf_t));
    if (rcf == NULL) {
        return DR_CONF_ERROR;
    }

    for (i = 1; i < cf->args->nelts; i++) {
        rv = dr_http_log_rotate_param(cf, rcf, &value[i]);
        if (rv != DR_CONF_OK) {
            return rv;
        }
    }

    if (rcf->size == 0 && rcf->interval == 0) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"access_log_rotate\" needs \"size=\" "
                          "or \"interval=\"");
        return DR_CONF_ERROR;
    }

    llcf->rotate = rcf;

    return DR_CONF_OK;
}


/* one parameter of access_log_rotate into <rcf> */
static char *
dr_http_log_rotate_param(dr_conf_t *cf, dr_http_log_rotate_conf_t *rcf,
    dr_str_t *value)
{
    off_t     size;
    dr_int_t  n;
    dr_str_t  s;

    if (dr_strncmp(value->data, "size=", 5) == 0) {
        s.len = value->len - 5;
        s.data = value->data + 5;

        size = dr_parse_offset(&s);

        if (size == DR_ERROR || size == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0, "invalid size \"%V\"", &s);
            return DR_CONF_ERROR;
        }

        rcf->size = size;
        return DR_CONF_OK;
    }

    if (dr_strncmp(value->data, "interval=", 9) == 0) {
        s.len = value->len - 9;
        s.data = value->data + 9;

        n = dr_parse_time(&s, 1);

        if (n == DR_ERROR || n == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid interval \"%V\"", &s);
            return DR_CONF_ERROR;
        }

        rcf->interval = (time_t) n;
        return DR_CONF_OK;
    }

    if (dr_strncmp(value->data, "keep=", 5) == 0) {
        n = dr_atoi(value->data + 5, value->len - 5);

        if (n == DR_ERROR || n == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid number of files to keep \"%V\"",
                              value);
            return DR_CONF_ERROR;
        }

        rcf->keep = n;
        return DR_CONF_OK;
    }

    if (value->len == 8 && dr_strncmp(value->data, "compress", 8) == 0) {
        rcf->compress = 1;
        return DR_CONF_OK;
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0, "invalid parameter \"%V\"", value);

    return DR_CONF_ERROR;
}


/*
 * Adds the files of <logs> to the ones the master rotates with <rcf>. A
 * file is rotated one way: two different access_log_rotate for the same
 * file are an error; one with and one without rotate it.
 */
static char *
dr_http_log_rotate_register(dr_conf_t *cf, dr_array_t *logs,
    dr_http_log_rotate_conf_t *rcf)
{
    dr_uint_t                   i, j;
    dr_http_log_t              *log;
    dr_http_log_main_conf_t    *lmcf;
    dr_http_log_rotate_file_t  *f;

    if (logs == NULL || rcf == NULL || rcf == DR_CONF_UNSET_PTR) {
        return DR_CONF_OK;
    }

    lmcf = dr_http_conf_get_module_main_conf(cf, dr_http_log_module);
    log = logs->elts;

    for (i = 0; i < logs->nelts; i++) {

        if (log[i].file == NULL || log[i].file->name.len == 0) {
            continue;
        }

        f = lmcf->rotate.elts;

        for (j = 0; j < lmcf->rotate.nelts; j++) {
            if (dr_str_eq(&f[j].name, &log[i].file->name)) {
                break;
            }
        }

        if (j < lmcf->rotate.nelts) {

            if (f[j].conf->size != rcf->size
                || f[j].conf->interval != rcf->interval
                || f[j].conf->keep != rcf->keep
                || f[j].conf->compress != rcf->compress)
            {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "access log \"%V\" is rotated by "
                                  "conflicting \"access_log_rotate\" "
                                  "directives", &log[i].file->name);
                return DR_CONF_ERROR;
            }

            continue;
        }

        f = dr_array_push(&lmcf->rotate);
        if (f == NULL) {
            return DR_CONF_ERROR;
        }

        dr_memzero(f, sizeof(dr_http_log_rotate_file_t));

        f->name = log[i].file->name;
        f->conf = rcf;
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_http_log_init(dr_conf_t *cf)
{
    dr_str_t                 *value;
    dr_array_t                a;
    dr_http_log_format_t     *fmt;
    dr_http_log_loc_conf_t   *lcf;
    dr_http_log_main_conf_t  *lmcf;

    lmcf = dr_http_conf_get_module_main_conf(cf, dr_http_log_module);

    if (lmcf->combined_used) {
        if (dr_array_init(&a, cf->pool, 1, sizeof(dr_str_t)) != DR_OK) {
            return DR_ERROR;
        }

        value = dr_array_push(&a);
        if (value == NULL) {
            return DR_ERROR;
        }

        *value = dr_http_combined_fmt;
        fmt = lmcf->formats.elts;

        if (dr_http_log_format_compile(cf, fmt, &a, 0) != DR_CONF_OK) {
            return DR_ERROR;
        }
    }

    /* the logs of http{} itself: no merge reaches them */

    lcf = dr_http_conf_get_module_loc_conf(cf, dr_http_log_module);

    if (dr_http_log_rotate_register(cf, lcf->logs, lcf->rotate)
        != DR_CONF_OK)
    {
        return DR_ERROR;
    }

    return dr_http_add_phase_handler(cf, DR_HTTP_LOG_PHASE,
                                     dr_http_log_handler);
}


static dr_int_t
dr_http_log_init_process(dr_cycle_t *cycle)
{
    dr_http_log_main_conf_t  *lmcf;

    dr_http_log_rotate_child_init();

    if (dr_process != DR_PROCESS_SINGLE) {
        return DR_OK;
    }

    lmcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_log_module);

    if (lmcf && lmcf->rotate.nelts) {
        dr_log_error(DR_LOG_WARN, cycle->log, 0,
                     "\"access_log_rotate\" needs the master process "
                     "(\"master_process on\"), logs are not rotated");
    }

    return DR_OK;
}


/* the master, each time it wakes: built-in rotation */
static void
dr_http_log_master_tick(dr_cycle_t *cycle, dr_msec_t *next)
{
    dr_http_log_main_conf_t  *lmcf;

    lmcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_log_module);

    if (lmcf == NULL || lmcf->rotate.nelts == 0) {
        return;
    }

    dr_http_log_rotate_tick(cycle, &lmcf->rotate, next);
}


static void
dr_http_log_exit_master(dr_cycle_t *cycle)
{
    dr_http_log_main_conf_t  *lmcf;

    lmcf = dr_http_cycle_get_module_main_conf(cycle, dr_http_log_module);

    if (lmcf == NULL || lmcf->rotate.nelts == 0) {
        return;
    }

    dr_http_log_rotate_exit(cycle, &lmcf->rotate);
}
