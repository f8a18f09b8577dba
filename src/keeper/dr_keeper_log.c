/*
 * The transaction log: group commit on the keeper's event loop, the disk in
 * a thread. Runs in the keeper process only (format: dr_keeper_log.h).
 *
 * Why a thread: an fdatasync takes milliseconds and the loop must not stop
 * for it. With two batches, the loop appends to the "fill" batch while the
 * thread writes and syncs the "io" one; when the sync returns (eventfd),
 * the loop runs io's completions in order (replies go out), then hands
 * fill over at once. So a batch is everything that arrived during one
 * sync, its size adapts to the disk's latency, and there is exactly one
 * write (the batch is one contiguous buffer) and one fdatasync per batch.
 * An idle log hands the fill batch over at the end of the loop iteration
 * that filled it (a posted event): one iteration's writes share a sync.
 *
 * The loop's cost per record is a bounds check and a memcpy into a reused
 * buffer (no allocation once buffers have grown); the thread computes the
 * crcs. Files are preallocated (fallocate) so that appends do not change
 * the file's size; a new file is created, fsynced and its directory entry
 * fsynced before any record goes into it, and the file before it was fully
 * synced by then: a torn write can only ever be at the tail of the last
 * file, which is what recovery (dr_keeper_recover.c) relies on.
 *
 * A failed write or sync is final (after a failed fdatasync the page cache
 * cannot be trusted): every waiting completion gets DR_ERROR and the keeper
 * is expected to exit and recover from the disk.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_event.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"

#include <pthread.h>
#include <sys/eventfd.h>
#include <zlib.h>


typedef struct {
    dr_keeper_log_done_pt   done;
    void                   *data;
} dr_keeper_log_wait_t;

typedef struct {
    u_char                 *start;
    u_char                 *pos;
    u_char                 *end;
    dr_keeper_log_wait_t   *waits;
    dr_uint_t               nwaits;
    dr_uint_t               nalloc;
    int64_t                 first;
    int64_t                 last;
    dr_uint_t               roll;       /* main: start a new file */
    dr_uint_t               opened;     /* thread: it started one */
    uint64_t                usec;       /* thread: how long it took */
} dr_keeper_log_batch_t;

struct dr_keeper_log_s {
    dr_keeper_log_conf_t    conf;
    dr_log_t               *log;

    dr_keeper_log_batch_t   batches[2];
    dr_keeper_log_batch_t  *fill;
    dr_keeper_log_batch_t  *io;

    int64_t                 appended;
    int64_t                 durable;
    dr_uint_t               since_snapshot;
    dr_uint_t               roll;
    dr_uint_t               failed;
    dr_uint_t               started;
    dr_keeper_log_stats_t   stats;

    dr_event_t              flush;
    dr_connection_t        *notify;
    int                     efd;

    /* shared with the thread, under <mutex> */
    pthread_mutex_t         mutex;
    pthread_cond_t          cond;
    dr_keeper_log_batch_t  *job;
    dr_uint_t               job_done;
    dr_int_t                job_rc;
    dr_uint_t               quit;
    const char             *err_what;
    dr_err_t                err;

    /* the thread's */
    pthread_t               thread;
    int                     fd;
    int                     old_fd;     /* rolled, its preallocation due */
    off_t                   old_off;
    int                     dirfd;
    off_t                   off;
    off_t                   allocated;
    int64_t                 written;
    u_char                  name[DR_KEEPER_LOG_NAME_MAX];
};


#define DR_KEEPER_LOG_BUF_MIN     (64 * 1024)
#define DR_KEEPER_LOG_BUF_KEEP    (4 * 1024 * 1024)
#define DR_KEEPER_LOG_WAITS_MIN   256


static void *dr_keeper_log_thread(void *arg);
static dr_int_t dr_keeper_log_write_batch(dr_keeper_log_t *lg,
    dr_keeper_log_batch_t *b);
static dr_int_t dr_keeper_log_open_file(dr_keeper_log_t *lg, int64_t first,
    size_t len);
static dr_int_t dr_keeper_log_allocate(dr_keeper_log_t *lg, off_t from,
    off_t len);
static dr_int_t dr_keeper_log_grow(dr_keeper_log_t *lg,
    dr_keeper_log_batch_t *b, size_t need);
static void dr_keeper_log_flush_handler(dr_event_t *ev);
static void dr_keeper_log_notify_handler(dr_event_t *ev);
static void dr_keeper_log_reap(dr_keeper_log_t *lg);
static void dr_keeper_log_handoff(dr_keeper_log_t *lg);
static void dr_keeper_log_complete(dr_keeper_log_batch_t *b, dr_int_t rc);
static void dr_keeper_log_reset(dr_keeper_log_batch_t *b);


dr_keeper_log_t *
dr_keeper_log_init(dr_keeper_log_conf_t *conf, int64_t zxid, dr_log_t *log)
{
    int               err;
    sigset_t          all, old;
    dr_connection_t  *c;
    dr_keeper_log_t  *lg;

    lg = dr_calloc(sizeof(dr_keeper_log_t), log);
    if (lg == NULL) {
        return NULL;
    }

    lg->conf = *conf;
    lg->log = log;
    lg->fill = &lg->batches[0];
    lg->appended = zxid;
    lg->durable = zxid;
    lg->written = zxid;
    lg->fd = -1;
    lg->old_fd = -1;
    lg->efd = -1;

    if (lg->conf.prealloc <= 0) {
        lg->conf.prealloc = DR_KEEPER_LOG_PREALLOC;
    }

    if (lg->conf.roll_size <= 0) {
        lg->conf.roll_size = DR_KEEPER_LOG_ROLL_SIZE;
    }

    lg->dirfd = open((char *) conf->dir.data,
                     O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (lg->dirfd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: open(\"%V\") failed", &conf->dir);
        goto failed;
    }

    lg->efd = eventfd(0, EFD_NONBLOCK|EFD_CLOEXEC);
    if (lg->efd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "keeper: eventfd() failed");
        goto failed;
    }

    c = dr_get_connection(lg->efd, log);
    if (c == NULL) {
        goto failed;
    }

    lg->notify = c;
    c->data = lg;
    c->read->handler = dr_keeper_log_notify_handler;
    c->read->log = log;
    c->write->log = log;

    if (dr_add_event(c->read, DR_READ_EVENT, DR_CLEAR_EVENT) != DR_OK) {
        goto failed;
    }

    lg->flush.handler = dr_keeper_log_flush_handler;
    lg->flush.data = lg;
    lg->flush.log = log;

    (void) pthread_mutex_init(&lg->mutex, NULL);
    (void) pthread_cond_init(&lg->cond, NULL);

    /* signals are the loop's business: the thread blocks them all */

    sigfillset(&all);
    (void) pthread_sigmask(SIG_SETMASK, &all, &old);
    err = pthread_create(&lg->thread, NULL, dr_keeper_log_thread, lg);
    (void) pthread_sigmask(SIG_SETMASK, &old, NULL);

    if (err != 0) {
        dr_log_error(DR_LOG_EMERG, log, err,
                     "keeper: pthread_create() failed");
        (void) pthread_cond_destroy(&lg->cond);
        (void) pthread_mutex_destroy(&lg->mutex);
        goto failed;
    }

    lg->started = 1;

    if (!conf->fsync) {
        dr_log_error(DR_LOG_WARN, log, 0,
                     "keeper: \"fsync off\": the transaction log is never "
                     "synced, acknowledged writes are lost if the machine "
                     "crashes (for tests only)");
    }

    return lg;

failed:

    if (lg->notify) {
        dr_close_connection(lg->notify);

    } else if (lg->efd != -1) {
        (void) close(lg->efd);
    }

    if (lg->dirfd != -1) {
        (void) close(lg->dirfd);
    }

    dr_free(lg);

    return NULL;
}


dr_int_t
dr_keeper_log_append(dr_keeper_log_t *lg, dr_keeper_log_txn_t *txn,
    dr_keeper_log_done_pt done, void *data)
{
    size_t                  need;
    dr_keeper_log_wait_t   *w;
    dr_keeper_log_batch_t  *b;

    if (lg->failed) {
        return DR_ERROR;
    }

    if (txn->zxid <= lg->appended) {
        dr_log_error(DR_LOG_ALERT, lg->log, 0,
                     "keeper: BUG: txn zxid 0x%xL appended after 0x%xL",
                     txn->zxid, lg->appended);
        return DR_ERROR;
    }

    if (txn->body.len > DR_KEEPER_LOG_BODY_MAX) {
        dr_log_error(DR_LOG_ERR, lg->log, 0,
                     "keeper: txn 0x%xL of %uz bytes is too large to log",
                     txn->zxid, txn->body.len);
        return DR_ERROR;
    }

    b = lg->fill;
    need = DR_KEEPER_LOG_RECORD_MIN + txn->body.len;

    if ((size_t) (b->end - b->pos) < need
        && dr_keeper_log_grow(lg, b, need) != DR_OK)
    {
        return DR_ERROR;
    }

    if (b->nwaits == b->nalloc) {
        need = b->nalloc ? b->nalloc * 2 : DR_KEEPER_LOG_WAITS_MIN;

        w = realloc(b->waits, need * sizeof(dr_keeper_log_wait_t));
        if (w == NULL) {
            dr_log_error(DR_LOG_CRIT, lg->log, dr_errno,
                         "keeper: realloc(%uz) failed",
                         need * sizeof(dr_keeper_log_wait_t));
            return DR_ERROR;
        }

        b->waits = w;
        b->nalloc = need;
    }

    /* the crc is the thread's job (dr_keeper_log_record_seal) */

    b->pos += dr_keeper_log_record_write(b->pos, txn);

    w = &b->waits[b->nwaits++];
    w->done = done;
    w->data = data;

    if (b->first == 0) {
        b->first = txn->zxid;
    }

    b->last = txn->zxid;
    lg->appended = txn->zxid;
    lg->since_snapshot++;

    if (!lg->flush.posted) {
        dr_post_event(&lg->flush, &dr_posted_events);
    }

    return DR_OK;
}


void
dr_keeper_log_roll(dr_keeper_log_t *lg)
{
    lg->roll = 1;
}


int64_t
dr_keeper_log_durable_zxid(dr_keeper_log_t *lg)
{
    return lg->durable;
}


int64_t
dr_keeper_log_last_zxid(dr_keeper_log_t *lg)
{
    return lg->appended;
}


void
dr_keeper_log_stats(dr_keeper_log_t *lg, dr_keeper_log_stats_t *st)
{
    *st = lg->stats;
}


dr_int_t
dr_keeper_log_sync(dr_keeper_log_t *lg)
{
    for ( ;; ) {
        if (lg->failed) {
            return DR_ERROR;
        }

        if (lg->io == NULL) {
            if (lg->fill->nwaits == 0) {
                return DR_OK;
            }

            dr_keeper_log_handoff(lg);
        }

        (void) pthread_mutex_lock(&lg->mutex);

        while (!lg->job_done) {
            (void) pthread_cond_wait(&lg->cond, &lg->mutex);
        }

        (void) pthread_mutex_unlock(&lg->mutex);

        dr_keeper_log_reap(lg);
    }
}


void
dr_keeper_log_close(dr_keeper_log_t *lg)
{
    dr_uint_t  i;

    if (lg->started) {
        (void) dr_keeper_log_sync(lg);

        if (lg->stats.batches) {
            dr_log_error(DR_LOG_INFO, lg->log, 0,
                         "keeper: transaction log closed: %uL records in "
                         "%uL batches (at most %uL), %uL bytes, %uL files, "
                         "write + sync %uL us on average, %uL at most",
                         lg->stats.records, lg->stats.batches,
                         lg->stats.max_batch, lg->stats.bytes,
                         lg->stats.files,
                         lg->stats.sync_usec / lg->stats.batches,
                         lg->stats.max_sync_usec);
        }

        (void) pthread_mutex_lock(&lg->mutex);
        lg->quit = 1;
        (void) pthread_cond_broadcast(&lg->cond);
        (void) pthread_mutex_unlock(&lg->mutex);

        (void) pthread_join(lg->thread, NULL);
        (void) pthread_cond_destroy(&lg->cond);
        (void) pthread_mutex_destroy(&lg->mutex);
    }

    if (lg->flush.posted) {
        dr_delete_posted_event(&lg->flush);
    }

    if (lg->old_fd != -1) {
        (void) ftruncate(lg->old_fd, lg->old_off);
        (void) close(lg->old_fd);
    }

    if (lg->fd != -1) {
        /* the unused preallocation goes back; the records stay */
        (void) ftruncate(lg->fd, lg->off);
        (void) close(lg->fd);
    }

    (void) close(lg->dirfd);
    dr_close_connection(lg->notify);

    for (i = 0; i < 2; i++) {
        dr_free(lg->batches[i].start);
        dr_free(lg->batches[i].waits);
    }

    dr_free(lg);
}


/* the loop side */

static void
dr_keeper_log_flush_handler(dr_event_t *ev)
{
    dr_int_t          rc;
    dr_keeper_log_t  *lg;

    lg = ev->data;

    dr_keeper_log_handoff(lg);

    if (lg->conf.snap == NULL || lg->conf.snapshot_every == 0
        || lg->since_snapshot < lg->conf.snapshot_every || lg->failed)
    {
        return;
    }

    rc = dr_keeper_snap_start(lg->conf.snap, lg->durable);

    if (rc == DR_BUSY) {
        return;     /* the last one still runs: try at the next flush */
    }

    lg->since_snapshot = 0;

    if (rc == DR_OK) {
        lg->roll = 1;
    }
}


static void
dr_keeper_log_notify_handler(dr_event_t *ev)
{
    uint64_t          n;
    dr_connection_t  *c;
    dr_keeper_log_t  *lg;

    c = ev->data;
    lg = c->data;

    while (read(lg->efd, &n, sizeof(uint64_t)) == sizeof(uint64_t)) {
        /* void */
    }

    dr_keeper_log_reap(lg);
}


static void
dr_keeper_log_reap(dr_keeper_log_t *lg)
{
    dr_int_t                rc;
    dr_uint_t               done;
    dr_keeper_log_batch_t  *b;

    (void) pthread_mutex_lock(&lg->mutex);
    done = lg->job_done;
    rc = lg->job_rc;
    lg->job_done = 0;
    (void) pthread_mutex_unlock(&lg->mutex);

    if (!done) {
        return;
    }

    b = lg->io;
    lg->io = NULL;

    if (rc != DR_OK) {
        dr_log_error(DR_LOG_CRIT, lg->log, lg->err,
                     "keeper: %s of the transaction log \"%V/%s\" failed, "
                     "%ui transactions are not durable: the log is closed",
                     lg->err_what, &lg->conf.dir, lg->name, b->nwaits);

        lg->failed = 1;
        dr_keeper_log_complete(b, DR_ERROR);
        dr_keeper_log_complete(lg->fill, DR_ERROR);
        return;
    }

    lg->durable = b->last;

    lg->stats.batches++;
    lg->stats.records += b->nwaits;
    lg->stats.bytes += b->pos - b->start;
    lg->stats.files += b->opened;
    lg->stats.sync_usec += b->usec;

    if (b->usec > lg->stats.max_sync_usec) {
        lg->stats.max_sync_usec = b->usec;
    }

    if (b->nwaits > lg->stats.max_batch) {
        lg->stats.max_batch = b->nwaits;
    }

    dr_keeper_log_complete(b, DR_OK);

    if (lg->conf.durable) {
        lg->conf.durable(lg->conf.data, lg->durable);
    }

    if (lg->conf.snap) {
        dr_keeper_snap_durable(lg->conf.snap, lg->durable);
    }

    dr_keeper_log_handoff(lg);
}


static void
dr_keeper_log_handoff(dr_keeper_log_t *lg)
{
    dr_keeper_log_batch_t  *b;

    b = lg->fill;

    if (lg->io != NULL || lg->failed || b->nwaits == 0) {
        return;
    }

    b->roll = lg->roll;
    lg->roll = 0;

    lg->io = b;
    lg->fill = (b == &lg->batches[0]) ? &lg->batches[1] : &lg->batches[0];

    (void) pthread_mutex_lock(&lg->mutex);
    lg->job = b;
    (void) pthread_cond_broadcast(&lg->cond);
    (void) pthread_mutex_unlock(&lg->mutex);
}


/*
 * Runs the completions of <b> in order and empties it. A completion may
 * append (to the other batch) but must not sync or close the log.
 */
static void
dr_keeper_log_complete(dr_keeper_log_batch_t *b, dr_int_t rc)
{
    dr_uint_t              i, n;
    dr_keeper_log_wait_t  *w;

    w = b->waits;
    n = b->nwaits;

    for (i = 0; i < n; i++) {
        if (w[i].done) {
            w[i].done(w[i].data, rc);
        }
    }

    dr_keeper_log_reset(b);
}


static void
dr_keeper_log_reset(dr_keeper_log_batch_t *b)
{
    /* a rare huge batch does not pin its memory forever */

    if (b->end - b->start > DR_KEEPER_LOG_BUF_KEEP
        && b->pos - b->start < DR_KEEPER_LOG_BUF_KEEP / 4)
    {
        dr_free(b->start);
        b->start = NULL;
        b->end = NULL;
    }

    b->pos = b->start;
    b->nwaits = 0;
    b->first = 0;
    b->last = 0;
    b->roll = 0;
    b->opened = 0;
    b->usec = 0;
}


static dr_int_t
dr_keeper_log_grow(dr_keeper_log_t *lg, dr_keeper_log_batch_t *b,
    size_t need)
{
    size_t   size, used;
    u_char  *p;

    used = b->pos - b->start;
    size = b->end - b->start;

    if (size < DR_KEEPER_LOG_BUF_MIN) {
        size = DR_KEEPER_LOG_BUF_MIN;
    }

    while (size - used < need) {
        size *= 2;
    }

    p = realloc(b->start, size);
    if (p == NULL) {
        dr_log_error(DR_LOG_CRIT, lg->log, dr_errno,
                     "keeper: realloc(%uz) failed", size);
        return DR_ERROR;
    }

    b->start = p;
    b->pos = p + used;
    b->end = p + size;

    return DR_OK;
}


/* the thread side: owns fd, off, allocated, written, name */

static void *
dr_keeper_log_thread(void *arg)
{
    uint64_t                one;
    dr_int_t                rc;
    struct timespec         t0, t1;
    dr_keeper_log_t        *lg;
    dr_keeper_log_batch_t  *b;

    lg = arg;
    one = 1;

    (void) pthread_mutex_lock(&lg->mutex);

    for ( ;; ) {
        while (lg->job == NULL && !lg->quit) {
            (void) pthread_cond_wait(&lg->cond, &lg->mutex);
        }

        if (lg->job == NULL) {
            break;
        }

        b = lg->job;
        (void) pthread_mutex_unlock(&lg->mutex);

        (void) clock_gettime(CLOCK_MONOTONIC, &t0);
        rc = dr_keeper_log_write_batch(lg, b);
        (void) clock_gettime(CLOCK_MONOTONIC, &t1);

        b->usec = (uint64_t) (t1.tv_sec - t0.tv_sec) * 1000000
                  + (t1.tv_nsec - t0.tv_nsec) / 1000;

        (void) pthread_mutex_lock(&lg->mutex);
        lg->job = NULL;
        lg->job_rc = rc;
        lg->job_done = 1;
        (void) pthread_cond_broadcast(&lg->cond);

        if (write(lg->efd, &one, sizeof(uint64_t)) != sizeof(uint64_t)) {
            /* the counter cannot overflow: the loop drains it */
        }

        if (lg->old_fd != -1) {

            /*
             * the unused preallocation of the file before the roll goes
             * back; freeing its extents is slow, and the batch that made
             * the roll was answered first
             */

            (void) pthread_mutex_unlock(&lg->mutex);
            (void) ftruncate(lg->old_fd, lg->old_off);
            (void) close(lg->old_fd);
            lg->old_fd = -1;
            (void) pthread_mutex_lock(&lg->mutex);
        }
    }

    (void) pthread_mutex_unlock(&lg->mutex);

    return NULL;
}


static dr_int_t
dr_keeper_log_write_batch(dr_keeper_log_t *lg, dr_keeper_log_batch_t *b)
{
    off_t     off, end;
    size_t    len;
    ssize_t   n;
    u_char   *p;

    len = b->pos - b->start;

    if (lg->fd == -1 || b->roll
        || (lg->off > DR_KEEPER_LOG_HEADER_SIZE
            && lg->off + (off_t) len > lg->conf.roll_size))
    {
        if (dr_keeper_log_open_file(lg, b->first, len) != DR_OK) {
            return DR_ERROR;
        }

        b->opened = 1;
    }

    for (p = b->start; p < b->pos; p += DR_KEEPER_LOG_FRAME_SIZE
                                         + dr_keeper_log_get32(p))
    {
        dr_keeper_log_record_seal(p);
    }

    end = lg->off + (off_t) len;

    if (end > lg->allocated
        && dr_keeper_log_allocate(lg, lg->allocated,
                                  dr_max(lg->conf.prealloc,
                                         end - lg->allocated))
           != DR_OK)
    {
        return DR_ERROR;
    }

    for (p = b->start, off = lg->off; p < b->pos; /* void */) {
        n = pwrite(lg->fd, p, b->pos - p, off);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            lg->err_what = "pwrite()";
            lg->err = errno;
            return DR_ERROR;
        }

        p += n;
        off += n;
    }

    lg->off = end;

    if (lg->conf.fsync && fdatasync(lg->fd) == -1) {
        lg->err_what = "fdatasync()";
        lg->err = errno;
        return DR_ERROR;
    }

    lg->written = b->last;

    return DR_OK;
}


/*
 * Starts log.<first>: preallocated, with its header, and (fsync on) the
 * file and its directory entry durable before any record goes in.
 */
static dr_int_t
dr_keeper_log_open_file(dr_keeper_log_t *lg, int64_t first, size_t len)
{
    u_char                  hdr[DR_KEEPER_LOG_HEADER_SIZE];
    dr_keeper_log_header_t  h;

    /* the file before is released once this batch is answered */

    lg->old_fd = lg->fd;
    lg->old_off = lg->off;
    lg->fd = -1;

    (void) dr_keeper_log_name(lg->name, "log", first, NULL);

    lg->fd = openat(lg->dirfd, (char *) lg->name,
                    O_RDWR|O_CREAT|O_EXCL|O_CLOEXEC, 0600);
    if (lg->fd == -1) {
        lg->err_what = "open()";
        lg->err = errno;
        return DR_ERROR;
    }

    lg->allocated = 0;

    if (dr_keeper_log_allocate(lg, 0,
                               dr_max(lg->conf.prealloc,
                                      (off_t) (DR_KEEPER_LOG_HEADER_SIZE
                                               + len)))
        != DR_OK)
    {
        return DR_ERROR;
    }

    h.prev = lg->written;
    h.first = first;
    dr_keeper_log_header_write(hdr, &h);

    if (pwrite(lg->fd, hdr, sizeof(hdr), 0) != (ssize_t) sizeof(hdr)) {
        lg->err_what = "pwrite()";
        lg->err = errno ? errno : EIO;
        return DR_ERROR;
    }

    if (lg->conf.fsync) {
        if (fsync(lg->fd) == -1) {
            lg->err_what = "fsync()";
            lg->err = errno;
            return DR_ERROR;
        }

        if (fsync(lg->dirfd) == -1) {
            lg->err_what = "fsync() of the directory";
            lg->err = errno;
            return DR_ERROR;
        }
    }

    lg->off = DR_KEEPER_LOG_HEADER_SIZE;

    return DR_OK;
}


static dr_int_t
dr_keeper_log_allocate(dr_keeper_log_t *lg, off_t from, off_t len)
{
    if (fallocate(lg->fd, 0, from, len) == -1) {
        if (errno != EOPNOTSUPP && errno != ENOSYS) {
            lg->err_what = "fallocate()";
            lg->err = errno;
            return DR_ERROR;
        }

        /* no preallocation here: at least the size does not move */

        if (ftruncate(lg->fd, from + len) == -1) {
            lg->err_what = "ftruncate()";
            lg->err = errno;
            return DR_ERROR;
        }
    }

    lg->allocated = from + len;

    return DR_OK;
}


/* the format */

void
dr_keeper_log_header_write(u_char *p, dr_keeper_log_header_t *h)
{
    u_char  *q;

    q = dr_keeper_log_put32(p, DR_KEEPER_LOG_MAGIC);
    q = dr_keeper_log_put32(q, DR_KEEPER_LOG_VERSION);
    q = dr_keeper_log_put64(q, (uint64_t) h->prev);
    q = dr_keeper_log_put64(q, (uint64_t) h->first);
    q = dr_keeper_log_put32(q, 0);
    (void) dr_keeper_log_put32(q, (uint32_t) crc32(0, p, 28));
}


dr_int_t
dr_keeper_log_header_parse(u_char *p, size_t len, dr_keeper_log_header_t *h)
{
    if (len < DR_KEEPER_LOG_HEADER_SIZE
        || dr_keeper_log_get32(p) != DR_KEEPER_LOG_MAGIC
        || dr_keeper_log_get32(p + 4) != DR_KEEPER_LOG_VERSION
        || dr_keeper_log_get32(p + 28) != (uint32_t) crc32(0, p, 28))
    {
        return DR_ERROR;
    }

    h->prev = (int64_t) dr_keeper_log_get64(p + 8);
    h->first = (int64_t) dr_keeper_log_get64(p + 16);

    if (h->prev < 0 || h->first <= h->prev) {
        return DR_ERROR;
    }

    return DR_OK;
}


size_t
dr_keeper_log_record_write(u_char *p, dr_keeper_log_txn_t *txn)
{
    u_char  *q;

    q = dr_keeper_log_put32(p, (uint32_t) (DR_KEEPER_LOG_TXN_SIZE
                                           + txn->body.len));
    q = dr_keeper_log_put32(q, 0);
    q = dr_keeper_log_put64(q, (uint64_t) txn->zxid);
    q = dr_keeper_log_put64(q, (uint64_t) txn->session);
    q = dr_keeper_log_put64(q, (uint64_t) txn->time);
    q = dr_keeper_log_put32(q, (uint32_t) txn->cxid);
    q = dr_keeper_log_put32(q, (uint32_t) txn->type);

    if (txn->body.len) {
        q = dr_cpymem(q, txn->body.data, txn->body.len);
    }

    return q - p;
}


void
dr_keeper_log_record_seal(u_char *p)
{
    uLong     crc;
    uint32_t  len;

    len = dr_keeper_log_get32(p);

    crc = crc32(0, p, 4);
    crc = crc32(crc, p + DR_KEEPER_LOG_FRAME_SIZE, len);

    (void) dr_keeper_log_put32(p + 4, (uint32_t) crc);
}


ssize_t
dr_keeper_log_record_parse(u_char *p, size_t len, dr_keeper_log_txn_t *txn)
{
    uLong     crc;
    uint32_t  rlen;

    if (len < 4) {
        /* a file cut inside a length field of zeros still ends there */

        for (rlen = 0; rlen < len; rlen++) {
            if (p[rlen] != 0) {
                return DR_PARSE_AGAIN;
            }
        }

        return 0;
    }

    rlen = dr_keeper_log_get32(p);

    if (rlen == 0) {
        return 0;
    }

    if (rlen < DR_KEEPER_LOG_TXN_SIZE
        || rlen > DR_KEEPER_LOG_TXN_SIZE + DR_KEEPER_LOG_BODY_MAX)
    {
        return DR_PARSE_ERROR;
    }

    if (len < DR_KEEPER_LOG_FRAME_SIZE
        || len - DR_KEEPER_LOG_FRAME_SIZE < rlen)
    {
        return DR_PARSE_AGAIN;
    }

    crc = crc32(0, p, 4);
    crc = crc32(crc, p + DR_KEEPER_LOG_FRAME_SIZE, rlen);

    if ((uint32_t) crc != dr_keeper_log_get32(p + 4)) {
        return DR_PARSE_ERROR;
    }

    p += DR_KEEPER_LOG_FRAME_SIZE;

    txn->zxid = (int64_t) dr_keeper_log_get64(p);
    txn->session = (int64_t) dr_keeper_log_get64(p + 8);
    txn->time = (int64_t) dr_keeper_log_get64(p + 16);
    txn->cxid = (int32_t) dr_keeper_log_get32(p + 24);
    txn->type = (int32_t) dr_keeper_log_get32(p + 28);
    txn->body.len = rlen - DR_KEEPER_LOG_TXN_SIZE;
    txn->body.data = p + DR_KEEPER_LOG_TXN_SIZE;

    return DR_KEEPER_LOG_FRAME_SIZE + rlen;
}


u_char *
dr_keeper_log_name(u_char *buf, const char *prefix, int64_t zxid,
    const char *suffix)
{
    return dr_snprintf(buf, DR_KEEPER_LOG_NAME_MAX, "%s.%016xL%s%Z", prefix,
                       zxid, suffix ? suffix : "");
}


dr_int_t
dr_keeper_log_name_parse(const char *name, const char *prefix,
    const char *suffix, int64_t *zxid)
{
    size_t     plen, slen, len, i;
    uint64_t   v;
    dr_uint_t  c;

    plen = strlen(prefix);
    slen = suffix ? strlen(suffix) : 0;
    len = strlen(name);

    if (len < plen + 2 + slen || len > plen + 1 + 16 + slen
        || strncmp(name, prefix, plen) != 0 || name[plen] != '.'
        || (slen && strcmp(name + len - slen, suffix) != 0))
    {
        return DR_DECLINED;
    }

    v = 0;

    for (i = plen + 1; i < len - slen; i++) {
        c = (u_char) name[i];

        if (c >= '0' && c <= '9') {
            c -= '0';

        } else if (c >= 'a' && c <= 'f') {
            c = c - 'a' + 10;

        } else {
            return DR_DECLINED;
        }

        v = v << 4 | c;
    }

    if (v > (uint64_t) INT64_MAX) {
        return DR_DECLINED;
    }

    *zxid = (int64_t) v;

    return DR_OK;
}
