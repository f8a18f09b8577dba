/*
 * Built-in access log rotation, a drover extension ("access_log_rotate"):
 * the engine the master runs from the http_log module's master_tick hook,
 * and the compression helper it forks. dr_http_log_rotate.c tells how.
 *
 * Rotated files are named <log>.YYYYMMDD-HHMMSS (local time of the
 * rotation), with "-N" added when that name is taken within the second,
 * and ".gz" once compressed. Nothing else in the directory is touched.
 */
#ifndef DR_HTTP_LOG_ROTATE_H_INCLUDED
#define DR_HTTP_LOG_ROTATE_H_INCLUDED

#include "dr_core.h"
#include "dr_os.h"


/* what a rotated name adds to the log's: ".YYYYMMDD-HHMMSS-N.gz.tmp" */
#define DR_HTTP_LOG_ROTATE_SUFFIX_LEN                                         \
    (sizeof(".YYYYMMDD-HHMMSS-4294967295.gz.tmp") - 1)

/* how often the master looks at the sizes */
#define DR_HTTP_LOG_ROTATE_CHECK_MSEC      1000
/* the longest the master sleeps without looking (the clock may jump) */
#define DR_HTTP_LOG_ROTATE_MAX_SLEEP_MSEC  60000
/* how long the helper waits for every process to close a rotated file */
#define DR_HTTP_LOG_ROTATE_WAIT_MSEC       300000


/* one access_log_rotate directive */
typedef struct {
    off_t                       size;       /* 0: no size limit */
    time_t                      interval;   /* seconds; 0: none */
    dr_uint_t                   keep;       /* rotated files kept; 0: all */
    dr_uint_t                   compress;
} dr_http_log_rotate_conf_t;

/* a log file the master rotates (one per file, whatever uses it) */
typedef struct {
    dr_str_t                    name;       /* absolute, NUL-terminated */
    dr_http_log_rotate_conf_t  *conf;
    time_t                      next;       /* next interval boundary; 0:
                                               not computed yet */
    dr_err_t                    err;        /* the stat() error last logged */
    dr_uint_t                   seen;       /* looked at by this cycle */
} dr_http_log_rotate_file_t;

/* a rotated file's name, parsed */
typedef struct {
    u_char                      stamp[15];  /* YYYYMMDD-HHMMSS */
    dr_uint_t                   seq;
    dr_uint_t                   gz;
} dr_http_log_rotate_key_t;


/*
 * The master's periodic work (from master_tick): rotates the <files>
 * (dr_http_log_rotate_file_t) that are due, has every process reopen its
 * logs, purges beyond keep=, starts the compression helper when needed.
 * Lowers *next (a dr_current_msec deadline, 0 = none) to when it wants to
 * run again. Master only; never blocks on more than stat/rename/unlink.
 */
void dr_http_log_rotate_tick(dr_cycle_t *cycle, dr_array_t *files,
    dr_msec_t *next);
/* the master's exit: a compression still to do gets its helper */
void dr_http_log_rotate_exit(dr_cycle_t *cycle, dr_array_t *files);
/* in a child process: closes the master's end of the helper's pipe */
void dr_http_log_rotate_child_init(void);

/* the first boundary after <now> of <interval>s counted in local time */
time_t dr_http_log_rotate_boundary(time_t now, time_t interval);
/*
 * Whether <f> is due at <now>: DR_OK (rotate it), DR_DECLINED (not now,
 * or missing, or empty), DR_ERROR (stat() failed, logged once per errno).
 * Moves f->next past <now> when a boundary went by.
 */
dr_int_t dr_http_log_rotate_due(dr_http_log_rotate_file_t *f, time_t now,
    dr_log_t *log);
/*
 * Renames <name> to its rotated name for <now> into <rotated> (room for
 * name->len + DR_HTTP_LOG_ROTATE_SUFFIX_LEN + 1 bytes, NUL-terminated).
 * DR_OK, DR_DECLINED (no such file), DR_ERROR (logged).
 */
dr_int_t dr_http_log_rotate_rename(dr_str_t *name, time_t now,
    u_char *rotated, dr_log_t *log);
/* whether <entry> (a directory entry) is a rotated file of <base> (the
 * log's file name without its directory): DR_OK with <key>, DR_DECLINED */
dr_int_t dr_http_log_rotate_match(dr_str_t *base, u_char *entry,
    dr_http_log_rotate_key_t *key);
/* deletes the rotated files of <name> but the <keep> newest: the number
 * deleted, or DR_ERROR (the directory cannot be read; logged) */
dr_int_t dr_http_log_rotate_purge(dr_str_t *name, dr_uint_t keep,
    dr_log_t *log);
/*
 * Compresses, oldest first, every rotated file of <name> not compressed
 * yet, each once no process holds it open any more (waiting up to <wait>
 * ms for each). The number compressed, or DR_ERROR. Blocks: helper only.
 */
dr_int_t dr_http_log_rotate_compress(dr_str_t *name, dr_msec_t wait,
    dr_log_t *log);
/*
 * <path> -> <path>.gz (through <path>.gz.tmp, same owner and times), then
 * <path> is removed. DR_OK; DR_DECLINED (gone, purged meanwhile, or
 * being compressed by another helper: they flock() the file);
 * DR_AGAIN (still open somewhere after <wait> ms: left as it is); DR_ERROR.
 */
dr_int_t dr_http_log_rotate_gzip(u_char *path, dr_msec_t wait,
    dr_log_t *log);
/* whether a process other than this one has <fd>'s file open: 1, 0, or
 * DR_ERROR (cannot tell) */
dr_int_t dr_http_log_rotate_held(dr_fd_t fd);

#endif /* DR_HTTP_LOG_ROTATE_H_INCLUDED */
