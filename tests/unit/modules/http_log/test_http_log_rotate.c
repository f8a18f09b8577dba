/*
 * Unit tests of modules/http_log/dr_http_log_rotate.c, the built-in
 * rotation engine: interval boundaries in local time (DST included),
 * when a file is due (size, interval, a file left from an earlier period,
 * empty files and symlinks), rotated names (a taken second gets -N),
 * keep= purging, gzip compression (content, owner, mode and times kept;
 * waiting until no process holds the file; the /proc fallback), and the
 * master's tick end to end: rename, USR1 to itself, then the helper
 * process that compresses.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_os.h"

#include "../../../../modules/http_log/dr_http_log_rotate.c"

#include <criterion/criterion.h>
#include <poll.h>


static dr_log_t    test_log;
static dr_uint_t   test_errors;
static dr_time_t   test_clock;
static char        test_dir[64];
static dr_pool_t  *test_pool;


static void
test_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;

    if (level <= DR_LOG_ERR) {
        test_errors++;
        fprintf(stderr, "%.*s\n", (int) len, buf);
    }
}


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();
    test_log.log_level = DR_LOG_DEBUG;
    test_log.writer = test_writer;
    test_errors = 0;

    setenv("TZ", "UTC", 1);
    tzset();

    test_clock.sec = 1700000000;        /* 2023-11-14 22:13:20 UTC */
    dr_cached_time = &test_clock;

    snprintf(test_dir, sizeof(test_dir), "/tmp/dr-logrot-XXXXXX");
    cr_assert_not_null(mkdtemp(test_dir));

    test_pool = dr_create_pool(4096, &test_log);
    cr_assert_not_null(test_pool);
}


static void
teardown(void)
{
    char  cmd[128];

    dr_destroy_pool(test_pool);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(http_log_rotate, .init = setup, .fini = teardown);


static dr_str_t
test_name(const char *rel)
{
    dr_str_t  s;

    s.data = dr_pnalloc(test_pool, 256);
    cr_assert_not_null(s.data);
    s.len = snprintf((char *) s.data, 256, "%s/%s", test_dir, rel);

    return s;
}


static void
test_write(const char *rel, const char *text, time_t mtime)
{
    int             fd;
    dr_str_t        name;
    struct timeval  tv[2];

    name = test_name(rel);
    fd = open((char *) name.data, O_WRONLY|O_CREAT|O_TRUNC, 0644);
    cr_assert_neq(fd, -1);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);

    if (mtime) {
        tv[0].tv_sec = tv[1].tv_sec = mtime;
        tv[0].tv_usec = tv[1].tv_usec = 0;
        cr_assert_eq(utimes((char *) name.data, tv), 0);
    }
}


static int
test_exists(const char *rel)
{
    dr_str_t     name;
    struct stat  st;

    name = test_name(rel);
    return lstat((char *) name.data, &st) == 0;
}


/* the names in test_dir, sorted, joined with spaces */
static char *
test_ls(void)
{
    int              i, n;
    char            *out;
    size_t           len;
    struct dirent  **list;

    n = scandir(test_dir, &list, NULL, alphasort);
    cr_assert_geq(n, 0);

    out = (char *) dr_pnalloc(test_pool, 4096);
    cr_assert_not_null(out);
    out[0] = '\0';
    len = 0;

    for (i = 0; i < n; i++) {
        if (list[i]->d_name[0] != '.') {
            len += snprintf(out + len, 4096 - len, "%s%s", len ? " " : "",
                            list[i]->d_name);
        }
        free(list[i]);
    }

    free(list);

    return out;
}


/* a child that holds <rel> open for <ms>; returns its pid once it does */
static pid_t
test_hold(const char *rel, int ms)
{
    int       p[2], fd;
    char      c;
    pid_t     pid;
    dr_str_t  name;

    name = test_name(rel);
    cr_assert_eq(pipe(p), 0);

    pid = fork();
    cr_assert_neq(pid, -1);

    if (pid == 0) {
        fd = open((char *) name.data, O_WRONLY|O_APPEND);
        (void) write(p[1], "x", 1);
        usleep(ms * 1000);
        close(fd);
        _exit(0);
    }

    cr_assert_eq(read(p[0], &c, 1), 1);
    close(p[0]);
    close(p[1]);

    return pid;
}


/* interval boundaries */

Test(http_log_rotate, boundary_utc)
{
    cr_assert_eq(dr_http_log_rotate_boundary(1000, 86400), 86400);
    cr_assert_eq(dr_http_log_rotate_boundary(86399, 86400), 86400);
    cr_assert_eq(dr_http_log_rotate_boundary(86400, 86400), 2 * 86400);
    cr_assert_eq(dr_http_log_rotate_boundary(1700000000, 3600),
                 1700002800);
    cr_assert_eq(dr_http_log_rotate_boundary(1700000000, 1), 1700000001);
}


Test(http_log_rotate, boundary_is_local_midnight)
{
    setenv("TZ", "XXX-2", 1);           /* UTC+2 */
    tzset();

    /* 1970-01-01 02:00 local: the next local midnight is 22:00 UTC */
    cr_assert_eq(dr_http_log_rotate_boundary(0, 86400), 79200);
    cr_assert_eq(dr_http_log_rotate_boundary(79199, 86400), 79200);
    cr_assert_eq(dr_http_log_rotate_boundary(79200, 86400), 79200 + 86400);
}


Test(http_log_rotate, boundary_across_dst)
{
    setenv("TZ", "CET-1CEST,M3.5.0,M10.5.0/3", 1);
    tzset();

    /* 2024-03-30 23:30 UTC = 03-31 00:30 CET; clocks go forward at
     * 01:00 UTC; the next midnight is 04-01 00:00 CEST = 03-31 22:00 UTC */
    cr_assert_eq(dr_http_log_rotate_boundary(1711841400, 86400),
                 1711922400);

    /* and back: 2024-10-27 00:30 UTC (02:30 CEST) -> 10-28 00:00 CET */
    cr_assert_eq(dr_http_log_rotate_boundary(1729989000, 86400),
                 1730070000);
}


/* due */

static dr_http_log_rotate_file_t
test_file(const char *rel, dr_http_log_rotate_conf_t *rcf)
{
    dr_http_log_rotate_file_t  f;

    dr_memzero(&f, sizeof(f));
    f.name = test_name(rel);
    f.conf = rcf;

    return f;
}


Test(http_log_rotate, due_by_size)
{
    dr_http_log_rotate_conf_t  rcf = { .size = 10 };
    dr_http_log_rotate_file_t  f = test_file("a.log", &rcf);

    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log),
                 DR_DECLINED, "a missing file is not due");

    test_write("a.log", "", 0);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log),
                 DR_DECLINED, "an empty file is not due");

    test_write("a.log", "123456789", 0);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log),
                 DR_DECLINED);

    test_write("a.log", "1234567890", 0);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log), DR_OK);
}


Test(http_log_rotate, due_by_interval)
{
    dr_http_log_rotate_conf_t  rcf = { .interval = 3600 };
    dr_http_log_rotate_file_t  f = test_file("a.log", &rcf);

    /* written in the current hour (22:00..23:00): not due at start */
    test_write("a.log", "x\n", 1700000000 - 60);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log),
                 DR_DECLINED);
    cr_assert_eq(f.next, 1700002800);

    cr_assert_eq(dr_http_log_rotate_due(&f, 1700002799, &test_log),
                 DR_DECLINED);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700002800, &test_log), DR_OK);
    cr_assert_eq(f.next, 1700006400);

    /* a boundary passed while the file stayed empty: nothing to do */
    test_write("a.log", "", 0);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700006401, &test_log),
                 DR_DECLINED);
    cr_assert_eq(f.next, 1700010000);
}


Test(http_log_rotate, due_at_start_when_written_in_an_earlier_period)
{
    dr_http_log_rotate_conf_t  rcf = { .interval = 86400 };
    dr_http_log_rotate_file_t  f = test_file("a.log", &rcf);

    /* last written yesterday: rotated as soon as drover starts */
    test_write("a.log", "x\n", 1700000000 - 86400);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log), DR_OK);
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000001, &test_log),
                 DR_DECLINED, "only at the first look");
}


Test(http_log_rotate, symlinks_and_devices_are_never_due)
{
    dr_str_t                   target;
    dr_http_log_rotate_conf_t  rcf = { .size = 1 };
    dr_http_log_rotate_file_t  f = test_file("link.log", &rcf);

    test_write("real.log", "0123456789\n", 0);
    target = test_name("real.log");
    cr_assert_eq(symlink((char *) target.data, (char *) f.name.data), 0);

    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log),
                 DR_DECLINED);

    f.name.data = (u_char *) "/dev/null";
    f.name.len = 9;
    cr_assert_eq(dr_http_log_rotate_due(&f, 1700000000, &test_log),
                 DR_DECLINED);
    cr_assert_eq(test_errors, 0);
}


/* names */

Test(http_log_rotate, rename_uses_the_local_time_and_a_sequence)
{
    u_char    out[256 + DR_HTTP_LOG_ROTATE_SUFFIX_LEN + 1];
    dr_str_t  name = test_name("access.log");
    char      expect[128];

    cr_assert_eq(dr_http_log_rotate_rename(&name, 1700000000, out,
                                           &test_log), DR_DECLINED);

    test_write("access.log", "1\n", 0);
    cr_assert_eq(dr_http_log_rotate_rename(&name, 1700000000, out,
                                           &test_log), DR_OK);
    snprintf(expect, sizeof(expect), "%s/access.log.20231114-221320",
             test_dir);
    cr_assert_str_eq((char *) out, expect);

    test_write("access.log", "2\n", 0);
    cr_assert_eq(dr_http_log_rotate_rename(&name, 1700000000, out,
                                           &test_log), DR_OK);

    /* a compressed file holds -2 */
    test_write("access.log.20231114-221320-2.gz", "", 0);
    test_write("access.log", "3\n", 0);
    cr_assert_eq(dr_http_log_rotate_rename(&name, 1700000000, out,
                                           &test_log), DR_OK);

    cr_assert_str_eq(test_ls(), "access.log.20231114-221320 "
                     "access.log.20231114-221320-1 "
                     "access.log.20231114-221320-2.gz "
                     "access.log.20231114-221320-3");
}


Test(http_log_rotate, match)
{
    dr_str_t                  base = dr_string("access.log");
    dr_http_log_rotate_key_t  key;

    cr_assert_eq(dr_http_log_rotate_match(&base,
                 (u_char *) "access.log.20231114-221320", &key), DR_OK);
    cr_assert_eq(key.seq, 0);
    cr_assert_eq(key.gz, 0);
    cr_assert_eq(dr_memcmp(key.stamp, "20231114-221320", 15), 0);

    cr_assert_eq(dr_http_log_rotate_match(&base,
                 (u_char *) "access.log.20231114-221320-12.gz", &key),
                 DR_OK);
    cr_assert_eq(key.seq, 12);
    cr_assert_eq(key.gz, 1);

    static const char  *bad[] = {
        "access.log", "access.log.", "access.log.1", "access.log.1.gz",
        "access.log.20231114-22132", "access.log.20231114_221320",
        "access.log.20231114-221320-", "access.log.20231114-221320-0",
        "access.log.20231114-221320.gz.tmp", "access.log.20231114-221320x",
        "access.logx20231114-221320", "error.log.20231114-221320",
        "access.log.20231114-221320-1234567890",
        "xaccess.log.20231114-221320",
    };

    for (size_t i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(dr_http_log_rotate_match(&base, (u_char *) bad[i], &key),
                     DR_DECLINED, "%s", bad[i]);
    }
}


Test(http_log_rotate, purge_keeps_the_newest)
{
    dr_str_t  name = test_name("access.log");

    test_write("access.log", "live\n", 0);
    test_write("access.log.20231113-000000.gz", "", 0);
    test_write("access.log.20231114-000000", "", 0);
    test_write("access.log.20231114-000000-1.gz", "", 0);
    test_write("access.log.20231114-000000-2", "", 0);
    test_write("access.log.20231114-000000-10", "", 0);
    test_write("access.log.1", "", 0);
    test_write("other.log.20231101-000000", "", 0);

    cr_assert_eq(dr_http_log_rotate_purge(&name, 2, &test_log), 3);
    cr_assert_str_eq(test_ls(), "access.log access.log.1 "
                     "access.log.20231114-000000-10 "
                     "access.log.20231114-000000-2 "
                     "other.log.20231101-000000");

    cr_assert_eq(dr_http_log_rotate_purge(&name, 2, &test_log), 0);
    cr_assert_eq(dr_http_log_rotate_purge(&name, 1, &test_log), 1);
    cr_assert(test_exists("access.log.20231114-000000-10"));

    name = test_name("missing/access.log");
    cr_assert_eq(dr_http_log_rotate_purge(&name, 1, &test_log), DR_ERROR);
    cr_assert_eq(test_errors, 1);
}


/* compression */

static char *
test_gunzip(const char *rel)
{
    int       n;
    char     *buf;
    gzFile    gz;
    size_t    len;
    dr_str_t  name;

    name = test_name(rel);
    gz = gzopen((char *) name.data, "rb");
    cr_assert_not_null(gz);

    buf = (char *) dr_pnalloc(test_pool, 1 << 21);
    cr_assert_not_null(buf);
    len = 0;

    while ((n = gzread(gz, buf + len, (1 << 21) - 1 - len)) > 0) {
        len += n;
    }

    cr_assert_eq(n, 0);
    cr_assert_eq(gzclose(gz), Z_OK);
    buf[len] = '\0';

    return buf;
}


Test(http_log_rotate, gzip_keeps_content_mode_and_times)
{
    char         *text, *p;
    dr_str_t      path, gz;
    struct stat   st;
    dr_uint_t     i;

    text = (char *) dr_pnalloc(test_pool, 1 << 20);
    cr_assert_not_null(text);

    for (p = text, i = 0; i < 10000; i++) {
        p += sprintf(p, "127.0.0.1 - - [14/Nov/2023:22:13:20 +0000] "
                     "\"GET /item/%lu HTTP/1.1\" 200 %lu\n",
                     (unsigned long) i, (unsigned long) (i * 7919 % 100000));
    }

    test_write("a.log.20231114-221320", text, 1700000000);
    path = test_name("a.log.20231114-221320");
    cr_assert_eq(chmod((char *) path.data, 0640), 0);

    cr_assert_eq(dr_http_log_rotate_gzip(path.data, 1000, &test_log), DR_OK);

    cr_assert_str_eq(test_ls(), "a.log.20231114-221320.gz");
    cr_assert_str_eq(test_gunzip("a.log.20231114-221320.gz"), text);

    gz = test_name("a.log.20231114-221320.gz");
    cr_assert_eq(stat((char *) gz.data, &st), 0);
    cr_assert_eq(st.st_mode & 07777, 0640);
    cr_assert_eq(st.st_mtime, 1700000000);
    cr_assert_lt(st.st_size, (off_t) strlen(text) / 4);

    cr_assert_eq(dr_http_log_rotate_gzip(path.data, 1000, &test_log),
                 DR_DECLINED, "already gone");

    /* an empty file is a valid empty gzip stream */
    test_write("b.log.20231114-221320", "", 0);
    path = test_name("b.log.20231114-221320");
    cr_assert_eq(dr_http_log_rotate_gzip(path.data, 1000, &test_log), DR_OK);
    cr_assert_str_eq(test_gunzip("b.log.20231114-221320.gz"), "");
    cr_assert_eq(test_errors, 0);
}


Test(http_log_rotate, gzip_waits_until_nobody_holds_the_file)
{
    int        status;
    pid_t      pid;
    dr_str_t   path;

    test_write("a.log.20231114-221320", "line\n", 0);
    path = test_name("a.log.20231114-221320");

    pid = test_hold("a.log.20231114-221320", 400);

    cr_assert_eq(dr_http_log_rotate_gzip(path.data, 50, &test_log),
                 DR_AGAIN);
    cr_assert_str_eq(test_ls(), "a.log.20231114-221320",
                     "left as it was");

    cr_assert_eq(dr_http_log_rotate_gzip(path.data, 10000, &test_log),
                 DR_OK);
    cr_assert_eq(waitpid(pid, &status, WNOHANG), pid,
                 "compressed before the holder closed it");
    cr_assert_str_eq(test_gunzip("a.log.20231114-221320.gz"), "line\n");
}


Test(http_log_rotate, held_by_lease_and_by_proc)
{
    int          fd, status;
    pid_t        pid;
    dr_str_t     path;
    struct stat  st;

    test_write("a.log", "x", 0);
    path = test_name("a.log");

    fd = open((char *) path.data, O_RDONLY);
    cr_assert_neq(fd, -1);
    cr_assert_eq(fstat(fd, &st), 0);

    cr_assert_eq(dr_http_log_rotate_held(fd), 0);
    cr_assert_eq(dr_http_log_rotate_proc_held(&st), 0);

    pid = test_hold("a.log", 5000);

    cr_assert_eq(dr_http_log_rotate_held(fd), 1);
    cr_assert_eq(dr_http_log_rotate_proc_held(&st), 1);

    kill(pid, SIGKILL);
    cr_assert_eq(waitpid(pid, &status, 0), pid);

    cr_assert_eq(dr_http_log_rotate_held(fd), 0);
    cr_assert_eq(dr_http_log_rotate_proc_held(&st), 0);
    close(fd);
}


Test(http_log_rotate, compress_takes_every_plain_rotated_file)
{
    dr_str_t  name = test_name("access.log");

    test_write("access.log", "live\n", 0);
    test_write("access.log.20231114-000000", "one\n", 0);
    test_write("access.log.20231114-000000-1", "two\n", 0);
    test_write("access.log.20231114-000000-2.gz", "", 0);
    test_write("access.log.20231114-000000-3", "three\n", 0);

    cr_assert_eq(dr_http_log_rotate_compress(&name, 1000, &test_log), 3);

    cr_assert_str_eq(test_ls(), "access.log "
                     "access.log.20231114-000000-1.gz "
                     "access.log.20231114-000000-2.gz "
                     "access.log.20231114-000000-3.gz "
                     "access.log.20231114-000000.gz");
    cr_assert_str_eq(test_gunzip("access.log.20231114-000000-3.gz"),
                     "three\n");
    cr_assert_str_eq(test_gunzip("access.log"), "live\n");
}


/* the master's tick */

static void
test_wait_helper(void)
{
    struct pollfd  pfd;

    cr_assert_neq(dr_http_log_rotate_helper_fd, DR_INVALID_FILE);

    pfd.fd = dr_http_log_rotate_helper_fd;
    pfd.events = POLLIN;
    cr_assert_eq(poll(&pfd, 1, 10000), 1, "the helper ends");
    cr_assert_eq(dr_http_log_rotate_busy(&test_log), 0);
    cr_assert_eq(dr_http_log_rotate_helper_fd, DR_INVALID_FILE);
}

Test(http_log_rotate, tick_rotates_signals_and_compresses)
{
    int                         n;
    dr_msec_t                   next;
    sigset_t                    set, pending;
    dr_cycle_t                  cycle;
    dr_array_t                  files;
    dr_http_log_rotate_conf_t   rcf = { .size = 10, .keep = 2,
                                        .compress = 1 };
    dr_http_log_rotate_file_t  *f;

    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    cr_assert_eq(sigprocmask(SIG_BLOCK, &set, NULL), 0);

    dr_memzero(&cycle, sizeof(cycle));
    cycle.log = &test_log;

    cr_assert_eq(dr_array_init(&files, test_pool, 2,
                               sizeof(dr_http_log_rotate_file_t)), DR_OK);
    f = dr_array_push(&files);
    *f = test_file("access.log", &rcf);

    test_write("access.log", "short\n", 0);
    test_write("access.log.20231101-000000", "left by a former run\n", 0);

    /* the first look starts a helper for what is left uncompressed */
    next = 0;
    dr_current_msec = 5000;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(next, 5000 + DR_HTTP_LOG_ROTATE_CHECK_MSEC);
    cr_assert_eq(dr_http_log_rotate_pending, 0);
    test_wait_helper();
    cr_assert_str_eq(test_ls(), "access.log access.log.20231101-000000.gz");
    cr_assert_str_eq(test_gunzip("access.log.20231101-000000.gz"),
                     "left by a former run\n");
    cr_assert_eq(unlink((char *) test_name("access.log.20231101-000000.gz")
                        .data), 0);

    test_write("access.log", "long enough\n", 0);
    next = 0;
    dr_http_log_rotate_tick(&cycle, &files, &next);

    cr_assert_str_eq(test_ls(), "access.log.20231114-221320");
    cr_assert_eq(sigpending(&pending), 0);
    cr_assert(sigismember(&pending, SIGUSR1), "the reopen signal");
    cr_assert(dr_http_log_rotate_pending);
    cr_assert_eq(dr_http_log_rotate_helper_fd, DR_INVALID_FILE,
                 "no helper before the master has reopened");

    n = sigwaitinfo(&set, NULL);
    cr_assert_eq(n, SIGUSR1);

    /* the next wake-up starts the helper */
    next = 0;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(dr_http_log_rotate_pending, 0);
    cr_assert_neq(dr_http_log_rotate_helper_fd, DR_INVALID_FILE);

    test_wait_helper();

    cr_assert_str_eq(test_ls(), "access.log.20231114-221320.gz");
    cr_assert_str_eq(test_gunzip("access.log.20231114-221320.gz"),
                     "long enough\n");

    /* two more rotations in the same second; keep=2 */
    test_write("access.log", "second rotation\n", 0);
    next = 0;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(sigwaitinfo(&set, NULL), SIGUSR1);
    test_write("access.log", "third rotation\n", 0);
    next = 0;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(sigwaitinfo(&set, NULL), SIGUSR1);

    cr_assert_str_eq(test_ls(), "access.log.20231114-221320-1 "
                     "access.log.20231114-221320-2");
    cr_assert_eq(test_errors, 0);
    dr_http_log_rotate_child_init();
}


Test(http_log_rotate, interval_wakes_the_master_at_the_boundary)
{
    dr_msec_t                   next;
    dr_cycle_t                  cycle;
    dr_array_t                  files;
    dr_http_log_rotate_conf_t   rcf = { .interval = 3600 };
    dr_http_log_rotate_file_t  *f;

    dr_memzero(&cycle, sizeof(cycle));
    cycle.log = &test_log;

    cr_assert_eq(dr_array_init(&files, test_pool, 2,
                               sizeof(dr_http_log_rotate_file_t)), DR_OK);
    f = dr_array_push(&files);
    *f = test_file("access.log", &rcf);

    /* 22:13:20.250, the boundary is 23:00:00: 2799.750 s away */
    test_clock.msec = 250;
    next = 0;
    dr_current_msec = 1000;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(next, 1000 + DR_HTTP_LOG_ROTATE_MAX_SLEEP_MSEC);

    test_clock.sec = 1700002800 - 30;
    next = 0;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(next, 1000 + 30000 - 250);

    /* an earlier deadline of another module stays */
    next = 500;
    dr_http_log_rotate_tick(&cycle, &files, &next);
    cr_assert_eq(next, 500);
}


Test(http_log_rotate, exit_starts_a_helper_for_pending_work)
{
    int                         fd, status;
    pid_t                       pid;
    dr_cycle_t                  cycle;
    dr_array_t                  files;
    dr_http_log_rotate_conf_t   rcf = { .size = 1, .compress = 1 };
    dr_http_log_rotate_file_t  *f;

    dr_memzero(&cycle, sizeof(cycle));
    cycle.log = &test_log;

    cr_assert_eq(dr_array_init(&files, test_pool, 2,
                               sizeof(dr_http_log_rotate_file_t)), DR_OK);
    f = dr_array_push(&files);
    *f = test_file("access.log", &rcf);

    dr_http_log_rotate_exit(&cycle, &files);
    cr_assert_eq(dr_http_log_rotate_helper_fd, DR_INVALID_FILE,
                 "nothing pending, no helper");

    test_write("access.log.20231114-221320", "last\n", 0);
    dr_http_log_rotate_pending = 1;

    /* another compressor holds the file: the new one leaves it */
    fd = open((char *) test_name("access.log.20231114-221320").data,
              O_RDONLY);
    cr_assert_neq(fd, -1);
    cr_assert_eq(flock(fd, LOCK_EX), 0);

    pid = fork();
    cr_assert_neq(pid, -1);

    if (pid == 0) {
        dr_http_log_rotate_exit(&cycle, &files);
        test_wait_helper();
        _exit(test_exists("access.log.20231114-221320.gz") ? 1 : 0);
    }

    cr_assert_eq(waitpid(pid, &status, 0), pid);
    cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(fd);

    dr_http_log_rotate_exit(&cycle, &files);
    cr_assert_eq(dr_http_log_rotate_pending, 0);
    test_wait_helper();
    cr_assert_str_eq(test_ls(), "access.log.20231114-221320.gz");
}


Test(http_log_rotate, a_helper_that_dies_is_an_alert)
{
    int  p[2];

    cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
    dr_http_log_rotate_helper_fd = p[0];
    dr_http_log_rotate_helper_pid = 4242;

    cr_assert_eq(dr_http_log_rotate_busy(&test_log), 1, "still running");
    cr_assert_eq(test_errors, 0);

    close(p[1]);
    cr_assert_eq(dr_http_log_rotate_busy(&test_log), 0);
    cr_assert_eq(test_errors, 1, "exited abnormally");
    cr_assert_eq(dr_http_log_rotate_helper_fd, DR_INVALID_FILE);

    /* 'd' first: a clean end */
    cr_assert_eq(pipe2(p, O_NONBLOCK), 0);
    dr_http_log_rotate_helper_fd = p[0];
    cr_assert_eq(write(p[1], "d", 1), 1);
    cr_assert_eq(dr_http_log_rotate_busy(&test_log), 0);
    cr_assert_eq(test_errors, 1);
    close(p[1]);
}
