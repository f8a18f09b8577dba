/*
 * Built-in access log rotation ("access_log_rotate", a drover extension).
 *
 * Only the master renames (STYLE.md, section 6). Each time it wakes, the master
 * runs the module's master_tick, which lstat()s the rotated logs: a file
 * past size=, or written before the current interval= period began, is
 * renamed to <log>.YYYYMMDD-HHMMSS[-N]. Then the master sends itself USR1:
 * the ordinary reopen path, where every process first flushes its
 * buffered lines into the file it holds (the renamed one) and then opens
 * the name afresh. No line is lost and none lands twice: a line is in the
 * renamed file if it was written before its writer reopened, else in the
 * new one. keep= purges the oldest rotated files at once.
 *
 * compress: the master forks a helper (DR_PROCESS_HELPER, "access log
 * compressor"), one at a time but at its own exit, when the last
 * rotations get one whatever runs (each file is flock()ed by the helper
 * compressing it). The first tick of a configuration starts one too, for
 * what an earlier run left. It closes what it inherited (listening sockets
 * above all) but the error log, then gzips every rotated file of the
 * compressed logs not compressed yet, oldest first, each only once no
 * process holds it open any more: a write lease (F_SETLEASE) is granted
 * only then; without leases, /proc/<pid>/fd tells. A file still open
 * after five minutes is left for the next helper. The master learns that
 * the helper ended from a pipe whose write end only the helper holds
 * (SIGCHLD reaps it anonymously): 'd', then EOF; EOF alone is a helper
 * that died, an [alert]. It starts another one if new work came
 * meanwhile.
 *
 * State across reloads is just the helper's pipe and the pending flag;
 * interval boundaries are recomputed from the clock (aligned on local
 * time: interval=1d rotates at midnight), so a reload loses nothing.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_os.h"
#include "dr_http_log_rotate.h"

#include <sys/file.h>
#include <zlib.h>


#define DR_HTTP_LOG_ROTATE_GZIP_CHUNK  65536


typedef struct {
    dr_http_log_rotate_key_t    key;
    u_char                     *path;      /* NUL-terminated */
} dr_http_log_rotate_entry_t;


static dr_int_t dr_http_log_rotate_one(dr_http_log_rotate_file_t *f,
    time_t now, dr_log_t *log);
static dr_msec_t dr_http_log_rotate_delay(dr_http_log_rotate_file_t *f,
    time_t now);
static dr_uint_t dr_http_log_rotate_busy(dr_log_t *log);
static dr_int_t dr_http_log_rotate_spawn(dr_cycle_t *cycle,
    dr_array_t *files);
static void dr_http_log_rotate_helper(dr_cycle_t *cycle, dr_array_t *files,
    int keep_fd);
static void dr_http_log_rotate_close_fds(dr_cycle_t *cycle, int keep_fd);
static dr_array_t *dr_http_log_rotate_list(dr_pool_t *pool, dr_str_t *name,
    dr_log_t *log);
static int dr_http_log_rotate_cmp(const void *one, const void *two);
static dr_int_t dr_http_log_rotate_wait(dr_fd_t fd, u_char *path,
    dr_msec_t wait, dr_log_t *log);
static dr_int_t dr_http_log_rotate_proc_held(struct stat *target);
static dr_int_t dr_http_log_rotate_gzip_tmp(dr_fd_t fd, u_char *path,
    u_char *tmp, dr_log_t *log);
static dr_int_t dr_http_log_rotate_deflate(dr_fd_t in, dr_fd_t out,
    u_char *path, dr_log_t *log);


/* the master's end of the running helper's pipe, and its pid */
static dr_fd_t    dr_http_log_rotate_helper_fd = DR_INVALID_FILE;
static pid_t      dr_http_log_rotate_helper_pid;
/* rotated files wait for a helper */
static dr_uint_t  dr_http_log_rotate_pending;


void
dr_http_log_rotate_tick(dr_cycle_t *cycle, dr_array_t *files,
    dr_msec_t *next)
{
    time_t                      now;
    dr_uint_t                   i, rotated;
    dr_msec_t                   delay, d;
    dr_http_log_rotate_file_t  *f;

    now = dr_time();
    delay = DR_HTTP_LOG_ROTATE_MAX_SLEEP_MSEC;
    rotated = 0;

    f = files->elts;

    for (i = 0; i < files->nelts; i++) {

        if (!f[i].seen) {
            /* files a former run rotated but did not compress */
            f[i].seen = 1;
            dr_http_log_rotate_pending |= f[i].conf->compress;
        }

        if (dr_http_log_rotate_due(&f[i], now, cycle->log) == DR_OK
            && dr_http_log_rotate_one(&f[i], now, cycle->log) == DR_OK)
        {
            rotated = 1;
        }

        d = dr_http_log_rotate_delay(&f[i], now);

        if (d < delay) {
            delay = d;
        }
    }

    if (rotated) {

        /*
         * the USR1 path exactly: the master reopens its files and passes
         * the signal on to every child, which flushes, then reopens
         */

        if (kill(getpid(), DR_REOPEN_SIGNAL) == -1) {
            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "kill(%P, SIGUSR1) failed", getpid());
        }
    }

    if (dr_http_log_rotate_pending) {

        /* after a rotation the helper starts once the master reopened */

        if (rotated || dr_http_log_rotate_busy(cycle->log)
            || dr_http_log_rotate_spawn(cycle, files) != DR_OK)
        {
            delay = dr_min(delay, DR_HTTP_LOG_ROTATE_CHECK_MSEC);

        } else {
            dr_http_log_rotate_pending = 0;
        }
    }

    if (*next == 0 || dr_current_msec + delay < *next) {
        *next = dr_current_msec + delay;
    }
}


void
dr_http_log_rotate_exit(dr_cycle_t *cycle, dr_array_t *files)
{
    /* the last rotations are compressed after the master is gone */

    if (dr_http_log_rotate_pending) {
        (void) dr_http_log_rotate_spawn(cycle, files);
        dr_http_log_rotate_pending = 0;
    }
}


void
dr_http_log_rotate_child_init(void)
{
    if (dr_http_log_rotate_helper_fd != DR_INVALID_FILE) {
        (void) close(dr_http_log_rotate_helper_fd);
        dr_http_log_rotate_helper_fd = DR_INVALID_FILE;
    }

    dr_http_log_rotate_pending = 0;
}


/* renames <f>, purges beyond keep=; the helper will compress */
static dr_int_t
dr_http_log_rotate_one(dr_http_log_rotate_file_t *f, time_t now,
    dr_log_t *log)
{
    u_char    *rotated;
    dr_int_t   rc;

    rotated = dr_alloc(f->name.len + DR_HTTP_LOG_ROTATE_SUFFIX_LEN + 1, log);
    if (rotated == NULL) {
        return DR_ERROR;
    }

    rc = dr_http_log_rotate_rename(&f->name, now, rotated, log);

    if (rc == DR_OK) {
        dr_log_error(DR_LOG_NOTICE, log, 0,
                     "access log \"%s\" rotated to \"%s\"",
                     f->name.data, rotated);

        if (f->conf->keep) {
            (void) dr_http_log_rotate_purge(&f->name, f->conf->keep, log);
        }

        if (f->conf->compress) {
            dr_http_log_rotate_pending = 1;
        }
    }

    dr_free(rotated);

    return rc;
}


/* when <f> must be looked at again, in ms from now */
static dr_msec_t
dr_http_log_rotate_delay(dr_http_log_rotate_file_t *f, time_t now)
{
    dr_msec_t  d;

    if (f->conf->size || f->err || f->next <= now) {
        return DR_HTTP_LOG_ROTATE_CHECK_MSEC;
    }

    /* just after the boundary's second begins */

    d = (dr_msec_t) (f->next - now) * 1000;

    if (d > dr_cached_time->msec) {
        d -= dr_cached_time->msec;
    }

    return d;
}


time_t
dr_http_log_rotate_boundary(time_t now, time_t interval)
{
    time_t     off, b, b2;
    struct tm  tm;

    dr_localtime(now, &tm);
    off = tm.tm_gmtoff;

    b = ((now + off) / interval + 1) * interval - off;

    /* a DST change before the boundary: count in the offset it has */

    dr_localtime(b, &tm);

    if (tm.tm_gmtoff != off) {
        off = tm.tm_gmtoff;
        b2 = ((now + off) / interval + 1) * interval - off;

        if (b2 > now) {
            b = b2;
        }
    }

    return b;
}


dr_int_t
dr_http_log_rotate_due(dr_http_log_rotate_file_t *f, time_t now,
    dr_log_t *log)
{
    dr_err_t                    err;
    dr_uint_t                   passed;
    struct stat                 st;
    dr_http_log_rotate_conf_t  *rcf;

    rcf = f->conf;
    passed = 0;

    if (rcf->interval) {

        if (f->next == 0) {
            /* at start: a file last written in an earlier period is due */
            f->next = dr_http_log_rotate_boundary(now, rcf->interval);
            passed = 2;

        } else if (now >= f->next) {
            f->next = dr_http_log_rotate_boundary(now, rcf->interval);
            passed = 1;
        }
    }

    /* lstat: a symlink (/dev/stdout) or a pipe is never rotated */

    if (lstat((char *) f->name.data, &st) == -1) {
        err = dr_errno;

        if (err == ENOENT) {
            f->err = 0;
            return DR_DECLINED;
        }

        if (err != f->err) {
            dr_log_error(DR_LOG_ERR, log, err, "lstat() \"%s\" failed",
                         f->name.data);
            f->err = err;
        }

        return DR_ERROR;
    }

    f->err = 0;

    if (!S_ISREG(st.st_mode) || st.st_size == 0) {
        return DR_DECLINED;
    }

    if (passed == 1
        || (passed == 2 && st.st_mtime < f->next - rcf->interval)
        || (rcf->size && st.st_size >= rcf->size))
    {
        return DR_OK;
    }

    return DR_DECLINED;
}


dr_int_t
dr_http_log_rotate_rename(dr_str_t *name, time_t now, u_char *rotated,
    dr_log_t *log)
{
    u_char       *p, *stamp_end;
    dr_uint_t     seq;
    struct tm     tm;
    struct stat   st;

    dr_localtime(now, &tm);

    p = dr_cpymem(rotated, name->data, name->len);
    stamp_end = dr_sprintf(p, ".%4d%02d%02d-%02d%02d%02d",
                           tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                           tm.tm_hour, tm.tm_min, tm.tm_sec);

    /* a name of this second is taken (size= on a busy log): add -N */

    for (seq = 0; seq < 100000; seq++) {

        p = stamp_end;

        if (seq) {
            p = dr_sprintf(p, "-%ui", seq);
        }

        p = dr_cpymem(p, ".gz", 4);         /* with the NUL */

        if (lstat((char *) rotated, &st) == 0) {
            continue;
        }

        p[-4] = '\0';

        if (lstat((char *) rotated, &st) == 0) {
            continue;
        }

        if (rename((char *) name->data, (char *) rotated) == 0) {
            return DR_OK;
        }

        if (dr_errno == ENOENT) {
            return DR_DECLINED;
        }

        dr_log_error(DR_LOG_ERR, log, dr_errno,
                     "rename() \"%s\" to \"%s\" failed",
                     name->data, rotated);
        return DR_ERROR;
    }

    dr_log_error(DR_LOG_ERR, log, 0,
                 "no free rotated name for \"%s\"", name->data);

    return DR_ERROR;
}


dr_int_t
dr_http_log_rotate_match(dr_str_t *base, u_char *entry,
    dr_http_log_rotate_key_t *key)
{
    u_char     *p;
    dr_uint_t   i, n, seq;

    if (dr_strncmp(entry, base->data, base->len) != 0
        || entry[base->len] != '.')
    {
        return DR_DECLINED;
    }

    p = entry + base->len + 1;

    for (i = 0; i < 15; i++) {
        if (i == 8 ? p[i] != '-' : (p[i] < '0' || p[i] > '9')) {
            return DR_DECLINED;
        }
    }

    dr_memcpy(key->stamp, p, 15);
    p += 15;

    seq = 0;

    if (*p == '-') {
        p++;

        for (n = 0; p[n] >= '0' && p[n] <= '9'; n++) {
            if (n == 9) {
                return DR_DECLINED;
            }
            seq = seq * 10 + (p[n] - '0');
        }

        if (n == 0 || seq == 0) {
            return DR_DECLINED;
        }

        p += n;
    }

    key->seq = seq;
    key->gz = 0;

    if (dr_strcmp(p, ".gz") == 0) {
        key->gz = 1;
        return DR_OK;
    }

    return (*p == '\0') ? DR_OK : DR_DECLINED;
}


dr_int_t
dr_http_log_rotate_purge(dr_str_t *name, dr_uint_t keep, dr_log_t *log)
{
    dr_int_t                     n;
    dr_uint_t                    i;
    dr_pool_t                   *pool;
    dr_array_t                  *list;
    dr_http_log_rotate_entry_t  *e;

    pool = dr_create_pool(4096, log);
    if (pool == NULL) {
        return DR_ERROR;
    }

    list = dr_http_log_rotate_list(pool, name, log);
    if (list == NULL) {
        dr_destroy_pool(pool);
        return DR_ERROR;
    }

    e = list->elts;
    n = 0;

    for (i = 0; i + keep < list->nelts; i++) {

        if (unlink((char *) e[i].path) == -1) {
            if (dr_errno != ENOENT) {
                dr_log_error(DR_LOG_ERR, log, dr_errno,
                             "unlink() \"%s\" failed", e[i].path);
            }
            continue;
        }

        dr_log_error(DR_LOG_INFO, log, 0, "rotated access log \"%s\" "
                     "deleted (keep=%ui)", e[i].path, keep);
        n++;
    }

    dr_destroy_pool(pool);

    return n;
}


dr_int_t
dr_http_log_rotate_compress(dr_str_t *name, dr_msec_t wait, dr_log_t *log)
{
    dr_int_t                     n;
    dr_uint_t                    i;
    dr_pool_t                   *pool;
    dr_array_t                  *list;
    dr_http_log_rotate_entry_t  *e;

    pool = dr_create_pool(4096, log);
    if (pool == NULL) {
        return DR_ERROR;
    }

    list = dr_http_log_rotate_list(pool, name, log);
    if (list == NULL) {
        dr_destroy_pool(pool);
        return DR_ERROR;
    }

    e = list->elts;
    n = 0;

    for (i = 0; i < list->nelts; i++) {
        if (!e[i].key.gz
            && dr_http_log_rotate_gzip(e[i].path, wait, log) == DR_OK)
        {
            n++;
        }
    }

    dr_destroy_pool(pool);

    return n;
}


/* the rotated files of <name>, oldest first; NULL on error (logged) */
static dr_array_t *
dr_http_log_rotate_list(dr_pool_t *pool, dr_str_t *name, dr_log_t *log)
{
    DIR                         *dir;
    u_char                      *slash, *dname, *p;
    size_t                       len;
    dr_str_t                     base;
    dr_array_t                  *list;
    struct dirent               *de;
    dr_http_log_rotate_key_t     key;
    dr_http_log_rotate_entry_t  *e;

    list = dr_array_create(pool, 16, sizeof(dr_http_log_rotate_entry_t));
    if (list == NULL) {
        return NULL;
    }

    slash = name->data + name->len;

    while (slash > name->data && slash[-1] != '/') {
        slash--;
    }

    base.data = slash;
    base.len = name->data + name->len - slash;

    len = (slash > name->data + 1) ? (size_t) (slash - 1 - name->data)
                                    : (size_t) (slash - name->data);

    dname = dr_pnalloc(pool, len + 2);
    if (dname == NULL) {
        return NULL;
    }

    if (len == 0) {
        dname[len++] = '.';
    } else {
        dr_memcpy(dname, name->data, len);
    }

    dname[len] = '\0';

    dir = opendir((char *) dname);
    if (dir == NULL) {
        dr_log_error(DR_LOG_ERR, log, dr_errno, "opendir() \"%s\" failed",
                     dname);
        return NULL;
    }

    for ( ;; ) {
        errno = 0;
        de = readdir(dir);

        if (de == NULL) {
            break;
        }

        if (dr_http_log_rotate_match(&base, (u_char *) de->d_name, &key)
            != DR_OK)
        {
            continue;
        }

        e = dr_array_push(list);
        if (e == NULL) {
            (void) closedir(dir);
            return NULL;
        }

        e->key = key;
        e->path = dr_pnalloc(pool, len + 1 + dr_strlen(de->d_name) + 1);
        if (e->path == NULL) {
            (void) closedir(dir);
            return NULL;
        }

        p = dr_cpymem(e->path, dname, len);

        if (p[-1] != '/') {
            *p++ = '/';
        }

        (void) dr_cpystrn(p, (u_char *) de->d_name,
                          dr_strlen(de->d_name) + 1);
    }

    if (errno) {
        dr_log_error(DR_LOG_ERR, log, dr_errno, "readdir() \"%s\" failed",
                     dname);
        (void) closedir(dir);
        return NULL;
    }

    (void) closedir(dir);

    qsort(list->elts, list->nelts, sizeof(dr_http_log_rotate_entry_t),
          dr_http_log_rotate_cmp);

    return list;
}


static int
dr_http_log_rotate_cmp(const void *one, const void *two)
{
    int                                rc;
    const dr_http_log_rotate_entry_t  *a, *b;

    a = one;
    b = two;

    rc = dr_memcmp(a->key.stamp, b->key.stamp, 15);

    if (rc) {
        return rc;
    }

    if (a->key.seq != b->key.seq) {
        return (a->key.seq < b->key.seq) ? -1 : 1;
    }

    return (int) a->key.gz - (int) b->key.gz;
}


dr_int_t
dr_http_log_rotate_gzip(u_char *path, dr_msec_t wait, dr_log_t *log)
{
    size_t        len;
    u_char       *tmp, *gz;
    dr_fd_t       fd;
    dr_int_t      rc;
    struct stat   st;

    fd = open((char *) path, O_RDONLY|O_CLOEXEC|O_NOFOLLOW);

    if (fd == DR_INVALID_FILE) {
        if (dr_errno == ENOENT) {
            return DR_DECLINED;
        }

        dr_log_error(DR_LOG_ERR, log, dr_errno, "open() \"%s\" failed",
                     path);
        return DR_ERROR;
    }

    /*
     * one compressor per file: the one that started at master exit may
     * run beside the usual one; and a file the other one has just
     * finished is gone (no link left)
     */

    if (flock(fd, LOCK_EX|LOCK_NB) == -1
        || (fstat(fd, &st) == 0 && st.st_nlink == 0))
    {
        (void) close(fd);
        return DR_DECLINED;
    }

    rc = dr_http_log_rotate_wait(fd, path, wait, log);

    if (rc != DR_OK) {
        (void) close(fd);
        return rc;
    }

    len = dr_strlen(path);

    tmp = dr_alloc(2 * (len + sizeof(".gz.tmp")), log);
    if (tmp == NULL) {
        (void) close(fd);
        return DR_ERROR;
    }

    gz = tmp + len + sizeof(".gz.tmp");
    (void) dr_cpymem(dr_cpymem(tmp, path, len), ".gz.tmp", sizeof(".gz.tmp"));
    (void) dr_cpymem(dr_cpymem(gz, path, len), ".gz", sizeof(".gz"));

    rc = dr_http_log_rotate_gzip_tmp(fd, path, tmp, log);

    if (rc == DR_OK) {

        /* keep= purged it meanwhile: do not bring it back */

        if (fstat(fd, &st) == 0 && st.st_nlink == 0) {
            (void) unlink((char *) tmp);
            rc = DR_DECLINED;

        } else if (rename((char *) tmp, (char *) gz) == -1) {
            dr_log_error(DR_LOG_ERR, log, dr_errno,
                         "rename() \"%s\" to \"%s\" failed", tmp, gz);
            (void) unlink((char *) tmp);
            rc = DR_ERROR;

        } else {
            if (unlink((char *) path) == -1 && dr_errno != ENOENT) {
                dr_log_error(DR_LOG_ERR, log, dr_errno,
                             "unlink() \"%s\" failed", path);
            }

            dr_log_error(DR_LOG_INFO, log, 0,
                         "rotated access log \"%s\" compressed", path);
        }
    }

    (void) close(fd);
    dr_free(tmp);

    return rc;
}


/*
 * Writes <fd> (opened at its start) gzipped into <tmp>, with <fd>'s owner,
 * mode and times, synced. DR_OK, or DR_ERROR with <tmp> removed (logged).
 */
static dr_int_t
dr_http_log_rotate_gzip_tmp(dr_fd_t fd, u_char *path, u_char *tmp,
    dr_log_t *log)
{
    dr_fd_t          out;
    struct stat      st;
    struct timespec  times[2];

    if (fstat(fd, &st) == -1) {
        dr_log_error(DR_LOG_ERR, log, dr_errno, "fstat() \"%s\" failed",
                     path);
        return DR_ERROR;
    }

    /* a leftover of a helper that died is overwritten */

    out = open((char *) tmp, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC|O_NOFOLLOW,
               0600);

    if (out == DR_INVALID_FILE) {
        dr_log_error(DR_LOG_ERR, log, dr_errno, "open() \"%s\" failed", tmp);
        return DR_ERROR;
    }

    if (dr_http_log_rotate_deflate(fd, out, path, log) != DR_OK) {
        goto failed;
    }

    if ((st.st_uid != geteuid() || st.st_gid != getegid())
        && fchown(out, st.st_uid, st.st_gid) == -1)
    {
        dr_log_error(DR_LOG_WARN, log, dr_errno, "fchown(\"%s\") failed",
                     tmp);
    }

    if (fchmod(out, st.st_mode & 07777) == -1) {
        dr_log_error(DR_LOG_WARN, log, dr_errno, "fchmod(\"%s\") failed",
                     tmp);
    }

    times[0] = st.st_atim;
    times[1] = st.st_mtim;

    if (futimens(out, times) == -1) {
        dr_log_error(DR_LOG_WARN, log, dr_errno, "futimens(\"%s\") failed",
                     tmp);
    }

    /* durable before the original goes */

    if (fsync(out) == -1) {
        dr_log_error(DR_LOG_ERR, log, dr_errno, "fsync() \"%s\" failed",
                     tmp);
        goto failed;
    }

    if (close(out) == -1) {
        dr_log_error(DR_LOG_ERR, log, dr_errno, "close() \"%s\" failed",
                     tmp);
        (void) unlink((char *) tmp);
        return DR_ERROR;
    }

    return DR_OK;

failed:

    (void) close(out);
    (void) unlink((char *) tmp);

    return DR_ERROR;
}


/*
 * Waits until no other process has <fd>'s file open: DR_OK, or DR_AGAIN
 * after <wait> ms. When that cannot be told (no leases, /proc hidden),
 * the file is taken after a grace of a few seconds: workers reopen within
 * milliseconds of USR1.
 */
static dr_int_t
dr_http_log_rotate_wait(dr_fd_t fd, u_char *path, dr_msec_t wait,
    dr_log_t *log)
{
    dr_int_t   held;
    dr_msec_t  waited, delay, blind;

    waited = 0;
    delay = 10;
    blind = dr_min(wait, 5000);

    for ( ;; ) {
        held = dr_http_log_rotate_held(fd);

        if (held == 0) {
            return DR_OK;
        }

        if (held == DR_ERROR && waited >= blind) {
            return DR_OK;
        }

        if (waited >= wait) {
            dr_log_error(DR_LOG_WARN, log, 0,
                         "rotated access log \"%s\" is still open after "
                         "%M ms, not compressed yet", path, waited);
            return DR_AGAIN;
        }

        (void) usleep((useconds_t) delay * 1000);

        waited += delay;
        delay = dr_min(delay * 2, 1000);
    }
}


dr_int_t
dr_http_log_rotate_held(dr_fd_t fd)
{
    struct stat  st;

    /* a write lease is granted only when nobody else has the file open */

    if (fcntl(fd, F_SETLEASE, F_WRLCK) == 0) {
        (void) fcntl(fd, F_SETLEASE, F_UNLCK);
        return 0;
    }

    if (dr_errno == EAGAIN || dr_errno == EBUSY) {
        return 1;
    }

    if (fstat(fd, &st) == -1) {
        return DR_ERROR;
    }

    return dr_http_log_rotate_proc_held(&st);
}


/* the same question asked of every /proc/<pid>/fd (no leases here) */
static dr_int_t
dr_http_log_rotate_proc_held(struct stat *target)
{
    DIR            *proc, *fds;
    char            path[600];
    pid_t           self;
    dr_uint_t       held, blind;
    struct stat     st;
    struct dirent  *pe, *fe;

    proc = opendir("/proc");
    if (proc == NULL) {
        return DR_ERROR;
    }

    self = getpid();
    held = 0;
    blind = 0;

    while (!held && (pe = readdir(proc)) != NULL) {

        if (pe->d_name[0] < '0' || pe->d_name[0] > '9'
            || atoi(pe->d_name) == self)
        {
            continue;
        }

        (void) snprintf(path, sizeof(path), "/proc/%s/fd", pe->d_name);

        fds = opendir(path);
        if (fds == NULL) {
            blind |= (errno == EACCES || errno == EPERM);
            continue;
        }

        while ((fe = readdir(fds)) != NULL) {

            if (fe->d_name[0] == '.') {
                continue;
            }

            (void) snprintf(path, sizeof(path), "/proc/%s/fd/%s",
                            pe->d_name, fe->d_name);

            if (stat(path, &st) == 0 && st.st_dev == target->st_dev
                && st.st_ino == target->st_ino)
            {
                held = 1;
                break;
            }
        }

        (void) closedir(fds);
    }

    (void) closedir(proc);

    if (held) {
        return 1;
    }

    return blind ? DR_ERROR : 0;
}


/* gzip <in> (from its start) into <out>: DR_OK or DR_ERROR (logged) */
static dr_int_t
dr_http_log_rotate_deflate(dr_fd_t in, dr_fd_t out, u_char *path,
    dr_log_t *log)
{
    int        rc, flush;
    u_char    *ibuf, *obuf;
    size_t     have;
    ssize_t    n;
    dr_int_t   ret;
    z_stream   zs;

    ibuf = dr_alloc(2 * DR_HTTP_LOG_ROTATE_GZIP_CHUNK, log);
    if (ibuf == NULL) {
        return DR_ERROR;
    }

    obuf = ibuf + DR_HTTP_LOG_ROTATE_GZIP_CHUNK;

    dr_memzero(&zs, sizeof(z_stream));

    rc = deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, MAX_WBITS + 16,
                      MAX_MEM_LEVEL - 1, Z_DEFAULT_STRATEGY);

    if (rc != Z_OK) {
        dr_log_error(DR_LOG_ERR, log, 0, "deflateInit2() failed: %d", rc);
        dr_free(ibuf);
        return DR_ERROR;
    }

    ret = DR_ERROR;

    do {
        n = read(in, ibuf, DR_HTTP_LOG_ROTATE_GZIP_CHUNK);

        if (n == -1) {
            if (dr_errno == EINTR) {
                continue;
            }

            dr_log_error(DR_LOG_ERR, log, dr_errno, "read() \"%s\" failed",
                         path);
            goto done;
        }

        zs.next_in = ibuf;
        zs.avail_in = (uInt) n;
        flush = (n == 0) ? Z_FINISH : Z_NO_FLUSH;

        do {
            zs.next_out = obuf;
            zs.avail_out = DR_HTTP_LOG_ROTATE_GZIP_CHUNK;

            rc = deflate(&zs, flush);

            if (rc == Z_STREAM_ERROR) {
                dr_log_error(DR_LOG_ERR, log, 0, "deflate() failed: %d", rc);
                goto done;
            }

            have = DR_HTTP_LOG_ROTATE_GZIP_CHUNK - zs.avail_out;

            if (have && dr_write_fd_all(out, obuf, have) == -1) {
                dr_log_error(DR_LOG_ERR, log, dr_errno,
                             "write() \"%s.gz.tmp\" failed", path);
                goto done;
            }

        } while (zs.avail_out == 0);

    } while (flush != Z_FINISH);

    ret = (rc == Z_STREAM_END) ? DR_OK : DR_ERROR;

    if (ret != DR_OK) {
        dr_log_error(DR_LOG_ERR, log, 0, "deflate() ended with %d", rc);
    }

done:

    (void) deflateEnd(&zs);
    dr_free(ibuf);

    return ret;
}


/*
 * 1 while the helper runs (its end of the pipe is open). It writes 'd'
 * when it is done; an EOF without it means it died (a crash, a kill).
 */
static dr_uint_t
dr_http_log_rotate_busy(dr_log_t *log)
{
    u_char   c;
    ssize_t  n;

    if (dr_http_log_rotate_helper_fd == DR_INVALID_FILE) {
        return 0;
    }

    n = read(dr_http_log_rotate_helper_fd, &c, 1);

    if (n == -1 && (dr_errno == EAGAIN || dr_errno == EINTR)) {
        return 1;
    }

    if (n == -1) {
        dr_log_error(DR_LOG_ALERT, log, dr_errno,
                     "read() from the access log compressor failed");

    } else if (n == 0) {
        dr_log_error(DR_LOG_ALERT, log, 0,
                     "access log compressor %P exited abnormally",
                     dr_http_log_rotate_helper_pid);
    }

    (void) close(dr_http_log_rotate_helper_fd);
    dr_http_log_rotate_helper_fd = DR_INVALID_FILE;

    return 0;
}


static dr_int_t
dr_http_log_rotate_spawn(dr_cycle_t *cycle, dr_array_t *files)
{
    int    fds[2];
    pid_t  pid;

    if (pipe2(fds, O_CLOEXEC) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno, "pipe2() failed");
        return DR_ERROR;
    }

    if (fcntl(fds[0], F_SETFL, O_NONBLOCK) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "fcntl(O_NONBLOCK) failed");
        (void) close(fds[0]);
        (void) close(fds[1]);
        return DR_ERROR;
    }

    pid = fork();

    switch (pid) {

    case -1:
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "fork() failed while starting the access log "
                     "compressor");
        (void) close(fds[0]);
        (void) close(fds[1]);
        return DR_ERROR;

    case 0:
        (void) close(fds[0]);
        dr_http_log_rotate_helper(cycle, files, fds[1]);
        _exit(0);

    default:
        break;
    }

    (void) close(fds[1]);

    if (dr_http_log_rotate_helper_fd != DR_INVALID_FILE) {
        (void) close(dr_http_log_rotate_helper_fd);     /* at exit only */
    }

    dr_http_log_rotate_helper_fd = fds[0];
    dr_http_log_rotate_helper_pid = pid;

    dr_log_error(DR_LOG_INFO, cycle->log, 0,
                 "access log compressor %P started", pid);

    return DR_OK;
}


/* the helper process: never returns */
static void
dr_http_log_rotate_helper(dr_cycle_t *cycle, dr_array_t *files, int keep_fd)
{
    dr_uint_t                   i;
    sigset_t                    set;
    dr_http_log_rotate_file_t  *f;
    static int                  dfl[] = { SIGTERM, SIGINT, SIGCHLD,
                                          SIGALRM };
    static int                  ign[] = { SIGQUIT, SIGHUP, SIGUSR1,
                                          SIGUSR2, SIGWINCH, SIGIO,
                                          SIGPIPE };

    dr_process = DR_PROCESS_HELPER;
    dr_pid = getpid();

    /* it finishes its work whatever the master is told */

    for (i = 0; i < dr_nelems(dfl); i++) {
        (void) signal(dfl[i], SIG_DFL);
    }

    for (i = 0; i < dr_nelems(ign); i++) {
        (void) signal(ign[i], SIG_IGN);
    }

    sigemptyset(&set);
    (void) sigprocmask(SIG_SETMASK, &set, NULL);

    dr_http_log_rotate_close_fds(cycle, keep_fd);
    dr_setproctitle("access log compressor");

    f = files->elts;

    for (i = 0; i < files->nelts; i++) {
        if (f[i].conf->compress) {
            (void) dr_http_log_rotate_compress(&f[i].name,
                                               DR_HTTP_LOG_ROTATE_WAIT_MSEC,
                                               cycle->log);
        }
    }

    (void) write(keep_fd, "d", 1);

    _exit(0);
}


/*
 * Closes every descriptor the helper inherited but 0-2, <keep_fd> and the
 * error log's: a listening socket held here would outlive the master.
 */
static void
dr_http_log_rotate_close_fds(dr_cycle_t *cycle, int keep_fd)
{
    int             fd, n, i, fds[1024];
    DIR            *dir;
    dr_log_t       *l;
    dr_uint_t       keep;
    struct dirent  *de;

    do {
        dir = opendir("/proc/self/fd");
        if (dir == NULL) {
            return;
        }

        n = 0;

        while (n < (int) dr_nelems(fds) && (de = readdir(dir)) != NULL) {

            if (de->d_name[0] < '0' || de->d_name[0] > '9') {
                continue;
            }

            fd = atoi(de->d_name);

            if (fd <= 2 || fd == keep_fd || fd == dirfd(dir)) {
                continue;
            }

            keep = 0;

            for (l = cycle->log; l; l = l->next) {
                if (l->file && l->file->fd == fd) {
                    keep = 1;
                }
            }

            if (!keep) {
                fds[n++] = fd;
            }
        }

        (void) closedir(dir);

        for (i = 0; i < n; i++) {
            (void) close(fds[i]);
        }

    } while (n == (int) dr_nelems(fds));
}
