/*
 * Opening files to serve them, optionally through a small per-process cache
 * of open descriptors, stat() results and errors (nginx's
 * ngx_open_file_cache). The http static-files modules call it; the
 * `open_file_cache*` and `disable_symlinks` directives fill its inputs.
 */
#ifndef DR_OPEN_FILE_CACHE_H_INCLUDED
#define DR_OPEN_FILE_CACHE_H_INCLUDED

#define DR_DISABLE_SYMLINKS_OFF      0
#define DR_DISABLE_SYMLINKS_ON       1
#define DR_DISABLE_SYMLINKS_NOTOWNER 2


/*
 * One lookup: the caller sets the inputs (zero the struct first), the call
 * sets the outputs. <fd> stays open until the pool given to
 * dr_open_cached_file() is destroyed (a cleanup closes it or gives it back
 * to the cache): never close it yourself.
 */
typedef struct {
    /* outputs */
    dr_fd_t              fd;           /* DR_INVALID_FILE for a directory */
    ino_t                uniq;
    time_t               mtime;
    off_t                size;
    dr_err_t             err;          /* errno of a failure, 0 if none */
    const char          *failed;       /* the call that failed: "open()" */

    /* inputs */
    time_t               valid;        /* seconds a cached entry is trusted */
    dr_uint_t            min_uses;     /* uses within inactive to keep fd */
    size_t               disable_symlinks_from;  /* prefix length, or 0 */
    unsigned             disable_symlinks:2;     /* DR_DISABLE_SYMLINKS_* */
    unsigned             test_dir:1;   /* a directory is expected: stat */
    unsigned             test_only:1;  /* stat only, no descriptor wanted */
    unsigned             errors:1;     /* cache ENOENT and friends too */

    /* outputs */
    unsigned             is_dir:1;
    unsigned             is_file:1;
    unsigned             is_link:1;
    unsigned             is_exec:1;
} dr_open_file_info_t;


typedef struct dr_cached_open_file_s  dr_cached_open_file_t;

struct dr_cached_open_file_s {
    dr_rbtree_str_node_t  node;        /* key: dr_hash_key(name) */
    dr_queue_t            queue;       /* expire queue, most recent first */

    time_t                created;     /* last (re)validation */
    time_t                accessed;

    dr_fd_t               fd;
    dr_err_t              err;
    ino_t                 uniq;
    time_t                mtime;
    off_t                 size;
    size_t                disable_symlinks_from;

    dr_uint_t             uses;
    dr_uint_t             count;       /* requests holding fd */

    unsigned              disable_symlinks:2;
    unsigned              close:1;     /* out of the tree: free when unused */
    unsigned              is_dir:1;
    unsigned              is_file:1;
    unsigned              is_link:1;
    unsigned              is_exec:1;

    /* the NUL-terminated name follows the struct (one allocation) */
};


typedef struct {
    dr_rbtree_t           rbtree;
    dr_rbtree_node_t      sentinel;
    dr_queue_t            expire_queue;

    dr_uint_t             current;
    dr_uint_t             max;
    time_t                inactive;
    dr_log_t             *log;         /* the cycle's, for the cleanup */
} dr_open_file_cache_t;


/*
 * A cache of at most <max> entries that forgets an entry unused for
 * <inactive> seconds, in <pool> (a cycle's). A cleanup of <pool> closes
 * what the cache holds. NULL on no memory. Config time, master; each
 * process then has its own copy (the cache is filled after fork).
 */
dr_open_file_cache_t *dr_open_file_cache_init(dr_pool_t *pool, dr_uint_t max,
    time_t inactive);

/*
 * Opens (or with of->test_only, stats) the file <name> (NUL-terminated;
 * name->len does not count the NUL), through <cache> if it is not NULL,
 * and fills <of>. A cleanup in <pool> releases the descriptor. DR_OK, or
 * DR_ERROR with of->err and of->failed set (of->err == 0: no memory, or a
 * system error already logged at crit). Never blocks beyond the file
 * system calls. Symlinks are checked as of->disable_symlinks says: ON and
 * NOTOWNER walk the path one component at a time with openat() (ELOOP or
 * EMLINK/ENOTDIR for a refused symlink).
 */
dr_int_t dr_open_cached_file(dr_open_file_cache_t *cache, dr_str_t *name,
    dr_open_file_info_t *of, dr_pool_t *pool);

#endif /* DR_OPEN_FILE_CACHE_H_INCLUDED */
