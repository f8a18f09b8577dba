/*
 * The open file cache (nginx's ngx_open_file_cache.c, without vnode
 * events: epoll has none, so entries are revalidated after `valid`
 * seconds).
 *
 * A cache belongs to a configuration generation (its struct lives in the
 * cycle pool) but is filled only in the worker that uses it, after fork,
 * so each worker has its own: no locks, no shared memory. An entry holds a
 * file's descriptor and stat() result, a directory's stat() result, or an
 * error (ENOENT, EACCES ... with `open_file_cache_errors on`). Entries sit
 * in a red-black tree by name and in an LRU queue; they are malloc'ed (one
 * block with the name) because they outlive requests, and freed when
 * forgotten: on overflow (the least recently used goes), when unused for
 * `inactive` (one or two are checked each time a request releases a file)
 * and when the cycle pool is destroyed.
 *
 * A request that gets a cached descriptor holds a reference (count) until
 * its pool is destroyed; an entry replaced or forgotten meanwhile is marked
 * `close` and freed by the last holder. Without a cache, the descriptor is
 * simply closed by the pool cleanup.
 *
 * disable_symlinks: ON opens every component of the path with openat()
 * and O_NOFOLLOW, NOTOWNER opens them following links but refuses one
 * whose owner differs from its target's (ELOOP). "from=" leaves a prefix
 * of the path to a plain open().
 */

#include "dr_core.h"
#include "dr_open_file_cache.h"


typedef struct {
    dr_open_file_cache_t    *cache;
    dr_cached_open_file_t   *file;
    dr_uint_t                min_uses;
    dr_log_t                *log;
} dr_open_file_cache_cleanup_t;

typedef struct {
    dr_fd_t                  fd;
    u_char                  *name;
    dr_log_t                *log;
} dr_open_file_cache_fd_cleanup_t;


static void dr_open_file_cache_cleanup(void *data);
static dr_fd_t dr_open_file_cache_openat_owner(dr_fd_t at_fd, u_char *name,
    int flags);
static dr_fd_t dr_open_file_cache_open(dr_str_t *name,
    dr_open_file_info_t *of, int flags, dr_log_t *log);
static dr_int_t dr_open_file_cache_stat(dr_str_t *name,
    dr_open_file_info_t *of, struct stat *st, dr_log_t *log);
static dr_int_t dr_open_file_cache_open_and_stat(dr_str_t *name,
    dr_open_file_info_t *of, dr_log_t *log);
static void dr_open_file_cache_set_info(dr_open_file_info_t *of,
    struct stat *st);
static void dr_open_file_cache_close_fd(dr_fd_t fd, u_char *name,
    dr_log_t *log);
static void dr_open_file_cache_fd_cleanup(void *data);
static void dr_open_file_cache_file_cleanup(void *data);
static void dr_open_file_cache_close_file(dr_open_file_cache_t *cache,
    dr_cached_open_file_t *file, dr_uint_t min_uses, dr_log_t *log);
static void dr_open_file_cache_expire(dr_open_file_cache_t *cache,
    dr_uint_t n, dr_log_t *log);
static void dr_open_file_cache_forget(dr_open_file_cache_t *cache,
    dr_cached_open_file_t *file, dr_log_t *log);


#define dr_open_file_cache_name(file)  ((u_char *) ((file) + 1))


dr_open_file_cache_t *
dr_open_file_cache_init(dr_pool_t *pool, dr_uint_t max, time_t inactive)
{
    dr_pool_cleanup_t     *cln;
    dr_open_file_cache_t  *cache;

    cache = dr_palloc(pool, sizeof(dr_open_file_cache_t));
    if (cache == NULL) {
        return NULL;
    }

    dr_rbtree_init(&cache->rbtree, &cache->sentinel,
                   dr_rbtree_insert_str_value);
    dr_queue_init(&cache->expire_queue);

    cache->current = 0;
    cache->max = max;
    cache->inactive = inactive;
    cache->log = pool->log;

    cln = dr_pool_cleanup_add(pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    cln->handler = dr_open_file_cache_cleanup;
    cln->data = cache;

    return cache;
}


/* the cycle pool goes: close and free everything (requests are gone) */
static void
dr_open_file_cache_cleanup(void *data)
{
    dr_open_file_cache_t  *cache = data;

    dr_queue_t             *q;
    dr_cached_open_file_t  *file;

    while (!dr_queue_empty(&cache->expire_queue)) {
        q = dr_queue_last(&cache->expire_queue);
        file = dr_queue_data(q, dr_cached_open_file_t, queue);

        file->count = 0;
        dr_open_file_cache_forget(cache, file, cache->log);
    }

    if (cache->current != 0
        || cache->rbtree.root != cache->rbtree.sentinel)
    {
        dr_log_error(DR_LOG_ALERT, cache->log, 0,
                     "%ui items still left in open file cache",
                     cache->current);
    }
}


dr_int_t
dr_open_cached_file(dr_open_file_cache_t *cache, dr_str_t *name,
    dr_open_file_info_t *of, dr_pool_t *pool)
{
    time_t                           now;
    dr_int_t                         rc;
    dr_uint_t                        hash;
    struct stat                      st;
    dr_pool_cleanup_t               *cln;
    dr_cached_open_file_t           *file;
    dr_open_file_cache_cleanup_t    *ofcln;
    dr_open_file_cache_fd_cleanup_t *fdcln;

    of->fd = DR_INVALID_FILE;
    of->err = 0;

    if (cache == NULL) {

        if (of->test_only) {
            if (dr_open_file_cache_stat(name, of, &st, pool->log) != DR_OK) {
                return DR_ERROR;
            }

            dr_open_file_cache_set_info(of, &st);
            return DR_OK;
        }

        cln = dr_pool_cleanup_add(pool,
                                  sizeof(dr_open_file_cache_fd_cleanup_t));
        if (cln == NULL) {
            return DR_ERROR;
        }

        rc = dr_open_file_cache_open_and_stat(name, of, pool->log);

        if (rc == DR_OK && !of->is_dir) {
            cln->handler = dr_open_file_cache_fd_cleanup;
            fdcln = cln->data;
            fdcln->fd = of->fd;
            fdcln->name = name->data;
            fdcln->log = pool->log;
        }

        return rc;
    }

    cln = dr_pool_cleanup_add(pool, sizeof(dr_open_file_cache_cleanup_t));
    if (cln == NULL) {
        return DR_ERROR;
    }

    now = dr_time();
    hash = dr_hash_key(name->data, name->len);

    file = (dr_cached_open_file_t *) dr_rbtree_lookup_str(&cache->rbtree,
                                                          name, hash);
    if (file) {
        file->uses++;
        dr_queue_remove(&file->queue);

        if (file->fd == DR_INVALID_FILE && file->err == 0 && !file->is_dir) {

            /* known, but not used often enough to keep it open */

            rc = dr_open_file_cache_open_and_stat(name, of, pool->log);

            if (rc != DR_OK && (of->err == 0 || !of->errors)) {
                goto failed;
            }

            goto update;
        }

        if (now - file->created < of->valid
            && of->disable_symlinks == file->disable_symlinks
            && of->disable_symlinks_from == file->disable_symlinks_from)
        {
            if (file->err == 0) {
                of->fd = file->fd;
                of->uniq = file->uniq;
                of->mtime = file->mtime;
                of->size = file->size;
                of->is_dir = file->is_dir;
                of->is_file = file->is_file;
                of->is_link = file->is_link;
                of->is_exec = file->is_exec;

                if (!file->is_dir) {
                    file->count++;
                }

            } else {
                of->err = file->err;
                of->failed = file->disable_symlinks ? "openat()" : "open()";
            }

            goto found;
        }

        /* revalidate: the same inode keeps its descriptor */

        if (file->is_dir) {
            of->test_dir = 1;
        }

        of->fd = file->fd;
        of->uniq = file->uniq;

        rc = dr_open_file_cache_open_and_stat(name, of, pool->log);

        if (rc != DR_OK && (of->err == 0 || !of->errors)) {
            goto failed;
        }

        if (of->is_dir) {
            if (file->is_dir || file->err) {
                goto update;
            }

            /* a file became a directory */

        } else if (of->err == 0) {
            if (file->is_dir || file->err) {
                goto update;
            }

            if (of->uniq == file->uniq) {
                goto update;
            }

            /* the file was replaced */

        } else {
            if (file->err || file->is_dir) {
                goto update;
            }

            /* the file was removed */
        }

        if (file->count == 0) {
            if (file->fd != DR_INVALID_FILE) {
                dr_open_file_cache_close_fd(file->fd,
                                            dr_open_file_cache_name(file),
                                            pool->log);
                file->fd = DR_INVALID_FILE;
            }

            goto update;
        }

        /* requests still send the old one: it leaves the tree */

        dr_rbtree_delete(&cache->rbtree, &file->node.node);
        cache->current--;
        file->close = 1;

        goto create;
    }

    rc = dr_open_file_cache_open_and_stat(name, of, pool->log);

    if (rc != DR_OK && (of->err == 0 || !of->errors)) {
        goto failed;
    }

create:

    if (cache->current >= cache->max) {
        dr_open_file_cache_expire(cache, 0, pool->log);
    }

    file = dr_alloc(sizeof(dr_cached_open_file_t) + name->len + 1, pool->log);
    if (file == NULL) {
        goto failed;
    }

    dr_memcpy(dr_open_file_cache_name(file), name->data, name->len);
    dr_open_file_cache_name(file)[name->len] = '\0';

    file->node.node.key = hash;
    file->node.str.len = name->len;
    file->node.str.data = dr_open_file_cache_name(file);

    dr_rbtree_insert(&cache->rbtree, &file->node.node);
    cache->current++;

    file->uses = 1;
    file->count = 0;
    file->close = 0;

update:

    file->fd = of->fd;
    file->err = of->err;
    file->disable_symlinks = of->disable_symlinks;
    file->disable_symlinks_from = of->disable_symlinks_from;

    if (of->err == 0) {
        file->uniq = of->uniq;
        file->mtime = of->mtime;
        file->size = of->size;
        file->close = 0;
        file->is_dir = of->is_dir;
        file->is_file = of->is_file;
        file->is_link = of->is_link;
        file->is_exec = of->is_exec;

        if (!of->is_dir) {
            file->count++;
        }
    }

    file->created = now;

found:

    file->accessed = now;
    dr_queue_insert_head(&cache->expire_queue, &file->queue);

    if (of->err == 0) {
        if (!of->is_dir) {
            cln->handler = dr_open_file_cache_file_cleanup;
            ofcln = cln->data;
            ofcln->cache = cache;
            ofcln->file = file;
            ofcln->min_uses = of->min_uses;
            ofcln->log = pool->log;
        }

        return DR_OK;
    }

    return DR_ERROR;

failed:

    if (file) {
        dr_rbtree_delete(&cache->rbtree, &file->node.node);
        cache->current--;

        if (file->count == 0) {
            if (file->fd != DR_INVALID_FILE && file->fd != of->fd) {
                dr_open_file_cache_close_fd(file->fd,
                                            dr_open_file_cache_name(file),
                                            pool->log);
            }

            dr_free(file);

        } else {
            file->close = 1;
        }
    }

    if (of->fd != DR_INVALID_FILE) {
        dr_open_file_cache_close_fd(of->fd, name->data, pool->log);
        of->fd = DR_INVALID_FILE;
    }

    return DR_ERROR;
}


/*
 * openat() that follows a symlink only if the link and its target have the
 * same owner. The race between openat() and fstatat() means we cannot know
 * whether a link was followed, so the uids are always compared (nginx).
 */
static dr_fd_t
dr_open_file_cache_openat_owner(dr_fd_t at_fd, u_char *name, int flags)
{
    dr_fd_t      fd;
    dr_err_t     err;
    struct stat  st, atst;

    fd = openat(at_fd, (char *) name, flags);
    if (fd == -1) {
        return DR_INVALID_FILE;
    }

    if (fstatat(at_fd, (char *) name, &atst, AT_SYMLINK_NOFOLLOW) == -1) {
        err = dr_errno;
        goto failed;
    }

    if (fstat(fd, &st) == -1) {
        err = dr_errno;
        goto failed;
    }

    if (st.st_uid != atst.st_uid) {
        err = DR_ELOOP;
        goto failed;
    }

    return fd;

failed:

    (void) close(fd);
    dr_set_errno(err);

    return DR_INVALID_FILE;
}


/* open(<name>, <flags>) honouring of->disable_symlinks; sets of->err */
static dr_fd_t
dr_open_file_cache_open(dr_str_t *name, dr_open_file_info_t *of, int flags,
    dr_log_t *log)
{
    u_char    *p, *cp, *end, c;
    dr_fd_t    fd, at_fd;
    dr_uint_t  notowner;

    if (of->disable_symlinks == DR_DISABLE_SYMLINKS_OFF) {
        fd = open((char *) name->data, flags);

        if (fd == -1) {
            of->err = dr_errno;
            of->failed = "open()";
            return DR_INVALID_FILE;
        }

        return fd;
    }

    notowner = (of->disable_symlinks == DR_DISABLE_SYMLINKS_NOTOWNER);
    end = name->data + name->len;

    if (of->disable_symlinks_from) {

        /* symlinks are allowed in the prefix */

        p = name->data + of->disable_symlinks_from;
        c = *p;
        *p = '\0';
        at_fd = open((char *) name->data, O_PATH|O_DIRECTORY|O_NONBLOCK);
        *p = c;
        p++;

    } else if (name->data[0] == '/') {
        at_fd = open("/", O_PATH|O_DIRECTORY|O_NONBLOCK);
        p = name->data + 1;

    } else {
        at_fd = AT_FDCWD;
        p = name->data;
    }

    if (at_fd == -1) {
        of->err = dr_errno;
        of->failed = "openat()";
        return DR_INVALID_FILE;
    }

    for ( ;; ) {
        cp = dr_strlchr(p, end, '/');
        if (cp == NULL) {
            break;
        }

        if (cp == p) {
            p++;        /* an empty component ("a//b") */
            continue;
        }

        *cp = '\0';

        if (notowner) {
            fd = dr_open_file_cache_openat_owner(at_fd, p,
                                              O_PATH|O_DIRECTORY|O_NONBLOCK);
        } else {
            fd = openat(at_fd, (char *) p,
                        O_PATH|O_DIRECTORY|O_NOFOLLOW|O_NONBLOCK);
        }

        *cp = '/';

        if (fd == -1) {
            of->err = dr_errno;
            of->failed = "openat()";
            goto done;
        }

        if (at_fd != AT_FDCWD) {
            (void) close(at_fd);
        }

        at_fd = fd;
        p = cp + 1;
    }

    if (p == end) {
        /* the path ends with '/': the directory itself */
        fd = openat(at_fd, ".", flags);

    } else if (notowner) {
        fd = dr_open_file_cache_openat_owner(at_fd, p, flags);

    } else {
        fd = openat(at_fd, (char *) p, flags|O_NOFOLLOW);
    }

    if (fd == -1) {
        of->err = dr_errno;
        of->failed = "openat()";
    }

done:

    if (at_fd != AT_FDCWD) {
        (void) close(at_fd);
    }

    (void) log;

    return fd == -1 ? DR_INVALID_FILE : fd;
}


/* stat() honouring of->disable_symlinks (then open + fstat + close) */
static dr_int_t
dr_open_file_cache_stat(dr_str_t *name, dr_open_file_info_t *of,
    struct stat *st, dr_log_t *log)
{
    dr_fd_t   fd;
    dr_int_t  rc;

    if (of->disable_symlinks == DR_DISABLE_SYMLINKS_OFF) {
        if (stat((char *) name->data, st) == -1) {
            of->err = dr_errno;
            of->failed = "stat()";
            return DR_ERROR;
        }

        return DR_OK;
    }

    fd = dr_open_file_cache_open(name, of, O_RDONLY|O_NONBLOCK, log);
    if (fd == DR_INVALID_FILE) {
        return DR_ERROR;
    }

    rc = DR_OK;

    if (fstat(fd, st) == -1) {
        of->err = dr_errno;
        of->failed = "fstat()";
        rc = DR_ERROR;
    }

    dr_open_file_cache_close_fd(fd, name->data, log);

    return rc;
}


/*
 * Opens and stats <name>. A directory gets no descriptor. With of->fd
 * already open (revalidation) a stat() that finds the same inode keeps it.
 * DR_OK or DR_ERROR (of->err set; 0 if already logged).
 */
static dr_int_t
dr_open_file_cache_open_and_stat(dr_str_t *name, dr_open_file_info_t *of,
    dr_log_t *log)
{
    dr_fd_t      fd;
    struct stat  st;

    if (of->fd != DR_INVALID_FILE) {
        if (dr_open_file_cache_stat(name, of, &st, log) != DR_OK) {
            of->fd = DR_INVALID_FILE;
            return DR_ERROR;
        }

        if (of->uniq == st.st_ino) {
            goto done;
        }

    } else if (of->test_dir) {
        if (dr_open_file_cache_stat(name, of, &st, log) != DR_OK) {
            of->fd = DR_INVALID_FILE;
            return DR_ERROR;
        }

        if (S_ISDIR(st.st_mode)) {
            of->fd = DR_INVALID_FILE;
            goto done;
        }
    }

    /* non-blocking: a FIFO must not hang the worker */

    fd = dr_open_file_cache_open(name, of, O_RDONLY|O_NONBLOCK|O_CLOEXEC, log);
    if (fd == DR_INVALID_FILE) {
        of->fd = DR_INVALID_FILE;
        return DR_ERROR;
    }

    if (fstat(fd, &st) == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno, "fstat() \"%V\" failed",
                     name);
        dr_open_file_cache_close_fd(fd, name->data, log);
        of->fd = DR_INVALID_FILE;
        return DR_ERROR;
    }

    if (S_ISDIR(st.st_mode)) {
        dr_open_file_cache_close_fd(fd, name->data, log);
        of->fd = DR_INVALID_FILE;

    } else {
        of->fd = fd;
    }

done:

    dr_open_file_cache_set_info(of, &st);

    return DR_OK;
}


static void
dr_open_file_cache_set_info(dr_open_file_info_t *of, struct stat *st)
{
    of->uniq = st->st_ino;
    of->mtime = st->st_mtime;
    of->size = st->st_size;
    of->is_dir = S_ISDIR(st->st_mode) ? 1 : 0;
    of->is_file = S_ISREG(st->st_mode) ? 1 : 0;
    of->is_link = S_ISLNK(st->st_mode) ? 1 : 0;
    of->is_exec = (st->st_mode & S_IXUSR) ? 1 : 0;
}


static void
dr_open_file_cache_close_fd(dr_fd_t fd, u_char *name, dr_log_t *log)
{
    if (close(fd) == -1) {
        dr_log_error(DR_LOG_ALERT, log, dr_errno, "close() \"%s\" failed",
                     name);
    }
}


static void
dr_open_file_cache_fd_cleanup(void *data)
{
    dr_open_file_cache_fd_cleanup_t  *c = data;

    dr_open_file_cache_close_fd(c->fd, c->name, c->log);
}


/* a request releases a cached descriptor */
static void
dr_open_file_cache_file_cleanup(void *data)
{
    dr_open_file_cache_cleanup_t  *c = data;

    c->file->count--;

    dr_open_file_cache_close_file(c->cache, c->file, c->min_uses, c->log);

    /* forget one or two entries unused for too long */
    dr_open_file_cache_expire(c->cache, 1, c->log);
}


/*
 * The file is released (or forgotten, with file->close): keep its
 * descriptor if it is used often enough, else close it; free a forgotten
 * entry once nobody holds it.
 */
static void
dr_open_file_cache_close_file(dr_open_file_cache_t *cache,
    dr_cached_open_file_t *file, dr_uint_t min_uses, dr_log_t *log)
{
    if (!file->close) {
        file->accessed = dr_time();

        dr_queue_remove(&file->queue);
        dr_queue_insert_head(&cache->expire_queue, &file->queue);

        if (file->uses >= min_uses || file->count) {
            return;
        }
    }

    if (file->count) {
        return;
    }

    if (file->fd != DR_INVALID_FILE) {
        dr_open_file_cache_close_fd(file->fd, dr_open_file_cache_name(file),
                                    log);
        file->fd = DR_INVALID_FILE;
    }

    if (file->close) {
        dr_free(file);
    }
}


/*
 * n == 1: forgets the least recently used entry if it is inactive, then
 * the next one likewise (one or two). n == 0: forgets the least recently
 * used one whatever its age (the cache is full), then one or two inactive.
 */
static void
dr_open_file_cache_expire(dr_open_file_cache_t *cache, dr_uint_t n,
    dr_log_t *log)
{
    time_t                  now;
    dr_queue_t             *q;
    dr_cached_open_file_t  *file;

    now = dr_time();

    while (n < 3) {
        if (dr_queue_empty(&cache->expire_queue)) {
            return;
        }

        q = dr_queue_last(&cache->expire_queue);
        file = dr_queue_data(q, dr_cached_open_file_t, queue);

        if (n++ != 0 && now - file->accessed <= cache->inactive) {
            return;
        }

        dr_open_file_cache_forget(cache, file, log);
    }
}


/* takes <file> out of the tree and the queue; frees it unless held */
static void
dr_open_file_cache_forget(dr_open_file_cache_t *cache,
    dr_cached_open_file_t *file, dr_log_t *log)
{
    dr_queue_remove(&file->queue);
    dr_rbtree_delete(&cache->rbtree, &file->node.node);
    cache->current--;

    file->close = 1;

    dr_open_file_cache_close_file(cache, file, 0, log);
}
