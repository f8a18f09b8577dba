/*
 * Unit tests of src/core/dr_open_file_cache.c: opening without a cache
 * (the pool closes the descriptor), the cache's reuse of descriptors and
 * stat() results, revalidation after `valid` (same inode kept, replaced
 * file reopened, removed file forgotten), error caching, min_uses, the LRU
 * limit and `inactive` (on a fake clock), and disable_symlinks on,
 * if_not_owner and from= on a real directory tree.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_open_file_cache.h"

#include <criterion/criterion.h>


static dr_log_t    test_log;
static dr_uint_t   test_alerts;
static dr_time_t   test_clock;
static char        test_dir[64];
static dr_pool_t  *test_cycle_pool;


static void
test_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) buf;
    (void) len;

    if (level <= DR_LOG_CRIT) {
        test_alerts++;
    }
}


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();
    test_log.log_level = DR_LOG_DEBUG;
    test_log.writer = test_writer;
    test_alerts = 0;

    /* a clock the tests move: dr_time() reads dr_cached_time */
    test_clock.sec = 1000000;
    dr_cached_time = &test_clock;

    snprintf(test_dir, sizeof(test_dir), "/tmp/dr-ofc-XXXXXX");
    cr_assert_not_null(mkdtemp(test_dir));

    test_cycle_pool = dr_create_pool(4096, &test_log);
    cr_assert_not_null(test_cycle_pool);
}


static void
teardown(void)
{
    char  cmd[128];

    if (test_cycle_pool) {
        dr_destroy_pool(test_cycle_pool);
    }

    snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
    cr_assert_eq(system(cmd), 0);
    cr_assert_eq(test_alerts, 0, "crit/alert lines were logged");
}


/* <test_dir>/<rel> as a writable NUL-terminated dr_str_t in <pool> */
static dr_str_t
test_path(dr_pool_t *pool, const char *rel)
{
    dr_str_t  s;

    s.data = dr_pnalloc(pool, 256);
    cr_assert_not_null(s.data);
    s.len = snprintf((char *) s.data, 256, "%s/%s", test_dir, rel);

    return s;
}


static void
test_write(const char *rel, const char *content)
{
    char   path[256];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", test_dir, rel);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(content, f);
    cr_assert_eq(fclose(f), 0);
}


/* replaces <rel> by a new inode (what editors and deploys do) */
static void
test_replace(const char *rel, const char *content)
{
    char  from[256], to[256];

    test_write("replace.tmp", content);
    snprintf(from, sizeof(from), "%s/replace.tmp", test_dir);
    snprintf(to, sizeof(to), "%s/%s", test_dir, rel);
    cr_assert_eq(rename(from, to), 0);
}


static void
test_mkdir(const char *rel)
{
    char  path[256];

    snprintf(path, sizeof(path), "%s/%s", test_dir, rel);
    cr_assert_eq(mkdir(path, 0755), 0);
}


static void
test_symlink(const char *target, const char *rel)
{
    char  path[256];

    snprintf(path, sizeof(path), "%s/%s", test_dir, rel);
    cr_assert_eq(symlink(target, path), 0);
}


static int
test_fd_open(dr_fd_t fd)
{
    return fcntl(fd, F_GETFD) != -1;
}


static dr_int_t
test_open(dr_open_file_cache_t *cache, dr_pool_t *pool, const char *rel,
    dr_open_file_info_t *of)
{
    dr_str_t  name;

    name = test_path(pool, rel);
    return dr_open_cached_file(cache, &name, of, pool);
}


static dr_open_file_info_t
test_of(time_t valid, dr_uint_t min_uses, dr_uint_t errors)
{
    dr_open_file_info_t  of;

    dr_memzero(&of, sizeof(of));
    of.valid = valid;
    of.min_uses = min_uses;
    of.errors = errors;

    return of;
}


TestSuite(open_file_cache, .init = setup, .fini = teardown);


Test(open_file_cache, without_cache_the_pool_closes_the_descriptor)
{
    dr_pool_t            *pool = dr_create_pool(1024, &test_log);
    dr_open_file_info_t   of = test_of(60, 1, 0);
    dr_fd_t               fd;
    char                  buf[16];

    test_write("a.txt", "hello world");

    cr_assert_eq(test_open(NULL, pool, "a.txt", &of), DR_OK);
    cr_assert_neq(of.fd, DR_INVALID_FILE);
    cr_assert_eq(of.size, 11);
    cr_assert(of.is_file);
    cr_assert(!of.is_dir);
    cr_assert_eq(of.err, 0);
    cr_assert_eq(pread(of.fd, buf, 5, 6), 5);
    cr_assert_eq(memcmp(buf, "world", 5), 0);
    cr_assert_eq(fcntl(of.fd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);

    fd = of.fd;
    dr_destroy_pool(pool);
    cr_assert(!test_fd_open(fd));
}


Test(open_file_cache, without_cache_errors_and_directories)
{
    dr_pool_t            *pool = dr_create_pool(1024, &test_log);
    dr_open_file_info_t   of = test_of(60, 1, 0);

    test_write("file", "x");
    test_mkdir("dir");

    cr_assert_eq(test_open(NULL, pool, "missing", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOENT);
    cr_assert_str_eq(of.failed, "open()");
    cr_assert_eq(of.fd, DR_INVALID_FILE);

    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(NULL, pool, "file/x", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOTDIR);

    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(NULL, pool, "dir", &of), DR_OK);
    cr_assert(of.is_dir);
    cr_assert_eq(of.fd, DR_INVALID_FILE);

    of = test_of(60, 1, 0);
    of.test_dir = 1;
    cr_assert_eq(test_open(NULL, pool, "dir", &of), DR_OK);
    cr_assert(of.is_dir);
    cr_assert_eq(of.fd, DR_INVALID_FILE);

    /* test_only: stat() only */
    of = test_of(60, 1, 0);
    of.test_only = 1;
    cr_assert_eq(test_open(NULL, pool, "file", &of), DR_OK);
    cr_assert(of.is_file);
    cr_assert_eq(of.size, 1);
    cr_assert_eq(of.fd, DR_INVALID_FILE);

    of = test_of(60, 1, 0);
    of.test_only = 1;
    cr_assert_eq(test_open(NULL, pool, "missing", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOENT);
    cr_assert_str_eq(of.failed, "stat()");

    dr_destroy_pool(pool);
}


Test(open_file_cache, a_fifo_does_not_block)
{
    dr_pool_t            *pool = dr_create_pool(1024, &test_log);
    dr_open_file_info_t   of = test_of(60, 1, 0);
    char                  path[256];

    snprintf(path, sizeof(path), "%s/fifo", test_dir);
    cr_assert_eq(mkfifo(path, 0644), 0);

    cr_assert_eq(test_open(NULL, pool, "fifo", &of), DR_OK);
    cr_assert(!of.is_file);
    cr_assert(!of.is_dir);

    dr_destroy_pool(pool);
}


Test(open_file_cache, cached_descriptor_is_shared_and_kept)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r1, *r2;
    dr_open_file_info_t    of1 = test_of(60, 1, 0), of2 = test_of(60, 1, 0);

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    cr_assert_not_null(cache);
    test_write("a", "12345");

    r1 = dr_create_pool(1024, &test_log);
    r2 = dr_create_pool(1024, &test_log);

    cr_assert_eq(test_open(cache, r1, "a", &of1), DR_OK);
    cr_assert_eq(test_open(cache, r2, "a", &of2), DR_OK);
    cr_assert_eq(of1.fd, of2.fd);
    cr_assert_eq(of2.size, 5);
    cr_assert_eq(cache->current, 1);

    dr_destroy_pool(r1);
    dr_destroy_pool(r2);

    /* min_uses 1: the descriptor stays open for the next request */
    cr_assert(test_fd_open(of1.fd));

    /* the cycle pool closes it */
    dr_destroy_pool(test_cycle_pool);
    test_cycle_pool = NULL;
    cr_assert(!test_fd_open(of1.fd));
}


Test(open_file_cache, within_valid_the_stat_result_is_reused)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of = test_of(5, 1, 0);

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_write("a", "12345");

    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    dr_destroy_pool(r);

    test_replace("a", "1234567890");
    test_clock.sec += 4;

    of = test_of(5, 1, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    cr_assert_eq(of.size, 5, "still the cached result");
    dr_destroy_pool(r);

    test_clock.sec += 1;

    of = test_of(5, 1, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    cr_assert_eq(of.size, 10, "revalidated after valid");
    dr_destroy_pool(r);

    cr_assert_eq(cache->current, 1);
}


Test(open_file_cache, revalidation_keeps_the_same_inode_and_its_fd)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of = test_of(0, 1, 0);
    dr_fd_t                fd;

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_write("a", "12345");

    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    fd = of.fd;
    dr_destroy_pool(r);

    /* rewritten in place: same inode, new size */
    test_write("a", "1234567");

    of = test_of(0, 1, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    cr_assert_eq(of.fd, fd);
    cr_assert_eq(of.size, 7);
    dr_destroy_pool(r);
}


Test(open_file_cache, a_replaced_file_is_reopened_while_the_old_is_sent)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r1, *r2, *r3;
    dr_open_file_info_t    of1 = test_of(0, 1, 0), of2 = test_of(0, 1, 0),
                           of3 = test_of(0, 1, 0);
    char                   buf[16];

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_write("a", "old");

    r1 = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r1, "a", &of1), DR_OK);

    test_replace("a", "new!");

    /* r1 still sends the old inode */
    r2 = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r2, "a", &of2), DR_OK);
    cr_assert_neq(of2.fd, of1.fd);
    cr_assert_eq(of2.size, 4);
    cr_assert_eq(pread(of1.fd, buf, 3, 0), 3);
    cr_assert_eq(memcmp(buf, "old", 3), 0);
    cr_assert_eq(pread(of2.fd, buf, 4, 0), 4);
    cr_assert_eq(memcmp(buf, "new!", 4), 0);
    cr_assert_eq(cache->current, 1);

    dr_destroy_pool(r1);
    cr_assert(!test_fd_open(of1.fd), "the old entry dies with its holder");
    dr_destroy_pool(r2);
    cr_assert(test_fd_open(of2.fd));

    /* replaced again while nobody holds it: the entry is reused */
    test_replace("a", "newer");
    r3 = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r3, "a", &of3), DR_OK);
    cr_assert_eq(of3.size, 5);
    cr_assert(!test_fd_open(of2.fd) || of3.fd == of2.fd);
    dr_destroy_pool(r3);
    cr_assert_eq(cache->current, 1);
}


Test(open_file_cache, a_removed_file_is_forgotten)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of = test_of(0, 1, 0);
    dr_fd_t                fd;
    char                   path[256];

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_write("a", "x");

    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    fd = of.fd;
    dr_destroy_pool(r);

    snprintf(path, sizeof(path), "%s/a", test_dir);
    cr_assert_eq(unlink(path), 0);

    of = test_of(0, 1, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOENT);
    dr_destroy_pool(r);

    cr_assert_eq(cache->current, 0);
    cr_assert(!test_fd_open(fd));
}


Test(open_file_cache, errors_are_cached_only_when_asked)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of;

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);

    of = test_of(10, 1, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "late", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOENT);
    cr_assert_eq(cache->current, 0);

    of = test_of(10, 1, 1);
    cr_assert_eq(test_open(cache, r, "late", &of), DR_ERROR);
    cr_assert_eq(cache->current, 1);
    dr_destroy_pool(r);

    test_write("late", "here");

    of = test_of(10, 1, 1);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "late", &of), DR_ERROR,
                 "the cached ENOENT holds for valid seconds");
    cr_assert_eq(of.err, ENOENT);
    dr_destroy_pool(r);

    test_clock.sec += 10;

    of = test_of(10, 1, 1);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "late", &of), DR_OK);
    cr_assert_eq(of.size, 4);
    dr_destroy_pool(r);
}


Test(open_file_cache, min_uses_keeps_rarely_used_files_closed)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of;
    dr_fd_t                fd;

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_write("a", "x");

    of = test_of(60, 2, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    fd = of.fd;
    dr_destroy_pool(r);
    cr_assert(!test_fd_open(fd), "one use of two: closed");
    cr_assert_eq(cache->current, 1, "but remembered");

    of = test_of(60, 2, 0);
    r = dr_create_pool(1024, &test_log);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    fd = of.fd;
    dr_destroy_pool(r);
    cr_assert(test_fd_open(fd), "two uses: kept open");
}


Test(open_file_cache, max_forgets_the_least_recently_used)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of;
    dr_fd_t                fa, fb, fc;

    cache = dr_open_file_cache_init(test_cycle_pool, 2, 60);
    test_write("a", "a");
    test_write("b", "b");
    test_write("c", "c");

    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    fa = of.fd;
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "b", &of), DR_OK);
    fb = of.fd;
    dr_destroy_pool(r);

    /* "a" used again: "b" is now the least recently used */
    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    dr_destroy_pool(r);

    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "c", &of), DR_OK);
    fc = of.fd;
    dr_destroy_pool(r);

    cr_assert_eq(cache->current, 2);
    cr_assert(test_fd_open(fa));
    cr_assert(test_fd_open(fc));
    cr_assert(!test_fd_open(fb) || fb == fc);
}


Test(open_file_cache, a_held_entry_evicted_is_freed_by_its_holder)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r1, *r2;
    dr_open_file_info_t    of;
    dr_fd_t                fa;

    cache = dr_open_file_cache_init(test_cycle_pool, 1, 60);
    test_write("a", "a");
    test_write("b", "b");

    r1 = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r1, "a", &of), DR_OK);
    fa = of.fd;

    r2 = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r2, "b", &of), DR_OK);
    cr_assert_eq(cache->current, 1);
    cr_assert(test_fd_open(fa), "r1 still sends it");

    dr_destroy_pool(r1);
    cr_assert(!test_fd_open(fa));
    dr_destroy_pool(r2);
}


Test(open_file_cache, inactive_entries_expire_when_files_are_released)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of;
    dr_fd_t                fa;

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 20);
    test_write("a", "a");
    test_write("b", "b");

    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "a", &of), DR_OK);
    fa = of.fd;
    dr_destroy_pool(r);

    test_clock.sec += 21;

    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "b", &of), DR_OK);
    dr_destroy_pool(r);

    cr_assert_eq(cache->current, 1, "\"a\" was inactive for 21 s");
    cr_assert(!test_fd_open(fa));
}


Test(open_file_cache, directories_are_cached_without_descriptor)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of;

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_mkdir("d");

    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "d", &of), DR_OK);
    cr_assert(of.is_dir);
    cr_assert_eq(of.fd, DR_INVALID_FILE);
    of = test_of(60, 1, 0);
    of.test_dir = 1;
    cr_assert_eq(test_open(cache, r, "d", &of), DR_OK);
    cr_assert(of.is_dir);
    dr_destroy_pool(r);

    cr_assert_eq(cache->current, 1);
}


Test(open_file_cache, disable_symlinks_on_refuses_every_link)
{
    dr_pool_t            *pool = dr_create_pool(1024, &test_log);
    dr_open_file_info_t   of;

    test_mkdir("real");
    test_write("real/f", "data");
    test_symlink("f", "real/flink");
    test_symlink("real", "dlink");

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    cr_assert_eq(test_open(NULL, pool, "real/f", &of), DR_OK);
    cr_assert_eq(of.size, 4);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    cr_assert_eq(test_open(NULL, pool, "real/flink", &of), DR_ERROR);
    cr_assert_eq(of.err, ELOOP);
    cr_assert_str_eq(of.failed, "openat()");

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    cr_assert_eq(test_open(NULL, pool, "dlink/f", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOTDIR);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    of.test_only = 1;
    cr_assert_eq(test_open(NULL, pool, "real/flink", &of), DR_ERROR);
    cr_assert_eq(of.err, ELOOP);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    cr_assert_eq(test_open(NULL, pool, "real/missing", &of), DR_ERROR);
    cr_assert_eq(of.err, ENOENT);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    cr_assert_eq(test_open(NULL, pool, "real", &of), DR_OK);
    cr_assert(of.is_dir);

    /* off follows them */
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(NULL, pool, "dlink/flink", &of), DR_OK);
    cr_assert_eq(of.size, 4);

    dr_destroy_pool(pool);
}


Test(open_file_cache, disable_symlinks_from_allows_links_in_the_prefix)
{
    dr_pool_t            *pool = dr_create_pool(1024, &test_log);
    dr_open_file_info_t   of;
    dr_str_t              name;

    test_mkdir("real");
    test_write("real/f", "data");
    test_symlink("f", "real/flink");
    test_symlink("real", "dlink");

    /* from = "<dir>/dlink": the link is in the allowed prefix */
    name = test_path(pool, "dlink/f");
    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    of.disable_symlinks_from = strlen(test_dir) + sizeof("/dlink") - 1;
    cr_assert_eq(dr_open_cached_file(NULL, &name, &of, pool), DR_OK);
    cr_assert_eq(of.size, 4);
    cr_assert_str_eq((char *) name.data + strlen(test_dir), "/dlink/f",
                     "the name is restored");

    name = test_path(pool, "dlink/flink");
    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    of.disable_symlinks_from = strlen(test_dir) + sizeof("/dlink") - 1;
    cr_assert_eq(dr_open_cached_file(NULL, &name, &of, pool), DR_ERROR);
    cr_assert_eq(of.err, ELOOP);

    dr_destroy_pool(pool);
}


Test(open_file_cache, disable_symlinks_if_not_owner)
{
    dr_pool_t            *pool = dr_create_pool(1024, &test_log);
    dr_open_file_info_t   of;
    char                  path[256];

    if (geteuid() != 0) {
        cr_skip_test("lchown() to another owner needs root");
    }

    test_mkdir("real");
    test_write("real/f", "data");
    test_symlink("f", "real/same");
    test_symlink("f", "real/other");
    snprintf(path, sizeof(path), "%s/real/other", test_dir);
    cr_assert_eq(lchown(path, 65534, 65534), 0);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_NOTOWNER;
    cr_assert_eq(test_open(NULL, pool, "real/same", &of), DR_OK);
    cr_assert_eq(of.size, 4);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_NOTOWNER;
    cr_assert_eq(test_open(NULL, pool, "real/other", &of), DR_ERROR);
    cr_assert_eq(of.err, ELOOP);

    dr_destroy_pool(pool);
}


Test(open_file_cache, a_cached_entry_is_not_reused_across_symlink_modes)
{
    dr_open_file_cache_t  *cache;
    dr_pool_t             *r;
    dr_open_file_info_t    of;

    cache = dr_open_file_cache_init(test_cycle_pool, 10, 60);
    test_write("f", "data");
    test_symlink("f", "link");

    r = dr_create_pool(1024, &test_log);
    of = test_of(60, 1, 0);
    cr_assert_eq(test_open(cache, r, "link", &of), DR_OK);

    of = test_of(60, 1, 0);
    of.disable_symlinks = DR_DISABLE_SYMLINKS_ON;
    cr_assert_eq(test_open(cache, r, "link", &of), DR_ERROR);
    cr_assert_eq(of.err, ELOOP);
    dr_destroy_pool(r);
}
