/*
 * Recovery at keeper start: the newest valid snapshot, then every log
 * record with a greater zxid, through the keeper's own restore and apply
 * functions (so replay is exactly what serving did). Keeper process, before
 * it serves; blocking I/O is fine here.
 *
 * What a crash can leave, given how the log writes (dr_keeper_log.c): a
 * torn tail in the last log file only (a file is complete and synced
 * before the next one gets a byte), possibly a last file whose creation
 * was torn, a snapshot.*.tmp. Those are repaired: the tail is cut at the
 * last good record (ftruncate, fsync), the empty last file and the .tmp
 * removed. The last batch may have been written out of order (the page
 * cache writes back pages, not records), so a bad record followed by valid
 * ones is still a torn write when some 512-byte sector between them is
 * all zeros (never written: the file is preallocated with zeros); without
 * such a sector it is a corruption. Anything else that is wrong (a bad
 * record followed by good ones, a bad file that is not the last, a chain
 * of files with a hole not covered by the snapshot) stops the keeper: it
 * must not serve a tree that lost acknowledged writes.
 *
 * The zxid never goes backwards: it is the greatest of the snapshot's and
 * the last record's, and the log's next file chains on it.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"


#define DR_KEEPER_RECOVER_SECTOR   512


typedef struct {
    int64_t                 first;
    int                     fd;
    u_char                 *p;
    size_t                  size;
    dr_keeper_log_header_t  h;
} dr_keeper_recover_file_t;


static dr_int_t dr_keeper_recover_dir(dr_str_t *dir, dr_log_t *log);
static dr_int_t dr_keeper_recover_snapshot(dr_str_t *dir,
    dr_keeper_snap_dir_t *d, dr_keeper_recover_handler_t *h,
    dr_keeper_recover_info_t *info, dr_log_t *log);
static dr_int_t dr_keeper_recover_logs(dr_str_t *dir, int dirfd,
    dr_keeper_snap_dir_t *d, dr_keeper_recover_handler_t *h,
    dr_keeper_recover_info_t *info, dr_log_t *log);
static dr_int_t dr_keeper_recover_open(dr_str_t *dir, int dirfd,
    dr_keeper_recover_file_t *f, dr_uint_t rw, dr_log_t *log);
static void dr_keeper_recover_close(dr_keeper_recover_file_t *f);
static dr_int_t dr_keeper_recover_cut(dr_str_t *dir, int dirfd,
    dr_keeper_recover_file_t *f, size_t end, dr_log_t *log);
static void dr_keeper_recover_classify(u_char *p, size_t size,
    dr_keeper_recover_scan_t *r);
static dr_uint_t dr_keeper_recover_zero_sector(u_char *p, size_t from,
    size_t to);


dr_int_t
dr_keeper_recover(dr_str_t *dir, dr_keeper_recover_handler_t *h,
    dr_keeper_recover_info_t *info, dr_log_t *log)
{
    int                   dirfd;
    u_char                name[DR_KEEPER_LOG_NAME_MAX];
    int64_t              *z;
    dr_int_t              rc;
    dr_uint_t             i;
    dr_keeper_snap_dir_t  d;

    dr_memzero(info, sizeof(dr_keeper_recover_info_t));
    info->snapshot = -1;

    if (dr_keeper_recover_dir(dir, log) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_keeper_snap_list(dir, &d, log) != DR_OK) {
        return DR_ERROR;
    }

    dirfd = open((char *) dir->data, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (dirfd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: open(\"%V\") failed", dir);
        dr_keeper_snap_list_free(&d);
        return DR_ERROR;
    }

    /* a snapshot that was never published */

    z = d.tmps.elts;

    for (i = 0; i < d.tmps.nelts; i++) {
        (void) dr_keeper_log_name(name, "snapshot", z[i], ".tmp");

        dr_log_error(DR_LOG_NOTICE, log, 0,
                     "keeper: removing the unfinished \"%V/%s\"", dir, name);

        if (unlinkat(dirfd, (char *) name, 0) == -1) {
            dr_log_error(DR_LOG_WARN, log, dr_errno,
                         "keeper: unlink(\"%V/%s\") failed", dir, name);
        }
    }

    rc = dr_keeper_recover_snapshot(dir, &d, h, info, log);

    if (rc == DR_OK) {
        rc = dr_keeper_recover_logs(dir, dirfd, &d, h, info, log);
    }

    (void) close(dirfd);
    dr_keeper_snap_list_free(&d);

    /* the caller reports what was recovered (info) */

    return (rc == DR_OK) ? DR_OK : DR_ERROR;
}


static dr_int_t
dr_keeper_recover_dir(dr_str_t *dir, dr_log_t *log)
{
    struct stat  st;

    if (stat((char *) dir->data, &st) == 0) {
        if (!S_ISDIR(st.st_mode)) {
            dr_log_error(DR_LOG_EMERG, log, 0,
                         "keeper: data_dir \"%V\" is not a directory", dir);
            return DR_ERROR;
        }

        return DR_OK;
    }

    if (errno != ENOENT || mkdir((char *) dir->data, 0700) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: data_dir \"%V\" cannot be created", dir);
        return DR_ERROR;
    }

    dr_log_error(DR_LOG_NOTICE, log, 0, "keeper: created data_dir \"%V\"",
                 dir);

    return DR_OK;
}


static dr_int_t
dr_keeper_recover_snapshot(dr_str_t *dir, dr_keeper_snap_dir_t *d,
    dr_keeper_recover_handler_t *h, dr_keeper_recover_info_t *info,
    dr_log_t *log)
{
    int64_t                *z;
    dr_int_t                rc;
    dr_uint_t               i;
    dr_keeper_snap_info_t   si;

    z = d->snaps.elts;

    for (i = d->snaps.nelts; i-- > 0; /* void */) {
        rc = dr_keeper_snap_load(dir, z[i], &h->sink, &si, log);

        if (rc == DR_OK) {
            info->snapshot = z[i];
            info->zxid = z[i];
            info->nodes = si.nodes;
            info->sessions = si.sessions;
            return DR_OK;
        }

        if (rc == DR_ERROR) {
            dr_log_error(DR_LOG_EMERG, log, 0,
                         "keeper: loading \"%V/snapshot.%016xL\" failed",
                         dir, z[i]);
            return DR_ERROR;
        }

        /* the log, if it goes back far enough, makes up for it */

        dr_log_error(DR_LOG_ERR, log, 0,
                     "keeper: \"%V/snapshot.%016xL\" is corrupt, trying an "
                     "older one", dir, z[i]);
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_recover_logs(dr_str_t *dir, int dirfd, dr_keeper_snap_dir_t *d,
    dr_keeper_recover_handler_t *h, dr_keeper_recover_info_t *info,
    dr_log_t *log)
{
    int64_t                    *z, snap, lastz;
    dr_int_t                    rc;
    dr_uint_t                   i, n, s, found, last;
    dr_keeper_recover_scan_t    r;
    dr_keeper_recover_file_t   *files, *f;

    n = d->logs.nelts;

    if (n == 0) {
        return DR_OK;
    }

    files = dr_calloc(n * sizeof(dr_keeper_recover_file_t), log);
    if (files == NULL) {
        return DR_ERROR;
    }

    z = d->logs.elts;

    for (i = 0; i < n; i++) {
        files[i].first = z[i];
        files[i].fd = -1;
    }

    rc = DR_ERROR;
    snap = info->zxid;

    /*
     * From the newest file back to the first one that starts at or before
     * the snapshot: every one of these is needed. A last file without a
     * valid header is a torn creation (its header is synced before any
     * record goes in): it never held a record.
     */

    s = 0;
    found = 0;

    for (i = n; i-- > 0; /* void */) {
        f = &files[i];

        if (dr_keeper_recover_open(dir, dirfd, f, i == n - 1, log) != DR_OK) {
            goto done;
        }

        if (dr_keeper_log_header_parse(f->p, f->size, &f->h) != DR_OK
            || f->h.first != f->first)
        {
            if (i == n - 1) {
                dr_log_error(DR_LOG_WARN, log, 0,
                             "keeper: \"%V/log.%016xL\" has no valid header "
                             "(its creation was cut short), removed",
                             dir, f->first);

                dr_keeper_recover_close(f);

                if (dr_keeper_recover_cut(dir, dirfd, f, 0, log) != DR_OK) {
                    goto done;
                }

                n--;
                continue;
            }

            dr_log_error(DR_LOG_EMERG, log, 0,
                         "keeper: \"%V/log.%016xL\" has a corrupt header",
                         dir, f->first);
            goto done;
        }

        if (f->h.prev <= snap) {
            s = i;
            found = 1;
            break;
        }
    }

    if (!found) {
        if (n == 0) {
            rc = DR_OK;
            goto done;
        }

        dr_log_error(DR_LOG_EMERG, log, 0,
                     "keeper: a log segment is missing: the %s is at zxid "
                     "0x%xL but the oldest log file needed, \"%V/log.%016xL\","
                     " follows zxid 0x%xL", info->snapshot >= 0
                     ? "snapshot" : "empty tree", snap, dir,
                     files[i + 1].first, files[i + 1].h.prev);
        goto done;
    }

    lastz = files[s].h.prev;

    for (i = s; i < n; i++) {
        f = &files[i];
        last = (i == n - 1);

        if (f->h.prev != lastz && !(f->h.prev > lastz && f->h.prev <= snap)) {
            dr_log_error(DR_LOG_EMERG, log, 0,
                         "keeper: a log segment is missing: \"%V/log.%016xL\""
                         " follows zxid 0x%xL, the file before it ends at "
                         "0x%xL", dir, f->first, f->h.prev, lastz);
            goto done;
        }

        info->files++;

        if (dr_keeper_recover_scan(f->p, f->size, &f->h, snap, h, &r)
            != DR_OK)
        {
            dr_log_error(DR_LOG_EMERG, log, 0,
                         "keeper: \"%V/log.%016xL\" at offset %uz: %s",
                         dir, f->first, r.end, r.why);
            goto done;
        }

        info->replayed += r.applied;

        if (r.tail == DR_KEEPER_RECOVER_CORRUPT
            || (r.tail == DR_KEEPER_RECOVER_TORN && !last))
        {
            dr_log_error(DR_LOG_EMERG, log, 0,
                         "keeper: \"%V/log.%016xL\" is corrupt at offset %uz "
                         "(%s)%s: refusing to serve a tree that may have lost "
                         "acknowledged writes", dir, f->first, r.end, r.why,
                         last ? ", valid records follow" : ", not the last "
                         "log file");
            goto done;
        }

        if (last && r.end < f->size) {
            if (r.tail == DR_KEEPER_RECOVER_TORN) {
                info->truncated = f->size - r.end;

                dr_log_error(DR_LOG_WARN, log, 0,
                             "keeper: \"%V/log.%016xL\": %s at offset %uz, "
                             "the log is truncated there (the write was not "
                             "acknowledged)", dir, f->first, r.why, r.end);
            }

            /* the unused preallocation goes too: this file is done */

            if (dr_keeper_recover_cut(dir, dirfd, f,
                                      r.records ? r.end : 0, log)
                != DR_OK)
            {
                goto done;
            }

        } else if (last && r.records == 0) {
            if (dr_keeper_recover_cut(dir, dirfd, f, 0, log) != DR_OK) {
                goto done;
            }
        }

        lastz = r.last;
    }

    if (lastz > info->zxid) {
        info->zxid = lastz;
    }

    rc = DR_OK;

done:

    for (i = 0; i < d->logs.nelts; i++) {
        dr_keeper_recover_close(&files[i]);
    }

    dr_free(files);

    return rc;
}


dr_int_t
dr_keeper_recover_scan(u_char *p, size_t size, dr_keeper_log_header_t *hd,
    int64_t after, dr_keeper_recover_handler_t *h, dr_keeper_recover_scan_t *r)
{
    size_t               off;
    ssize_t              n;
    dr_keeper_log_txn_t  txn;

    r->end = DR_KEEPER_LOG_HEADER_SIZE;
    r->last = hd->prev;
    r->records = 0;
    r->applied = 0;
    r->tail = DR_KEEPER_RECOVER_CLEAN;
    r->why = NULL;

    if (size < DR_KEEPER_LOG_HEADER_SIZE) {
        r->end = size;
        return DR_OK;
    }

    for (off = DR_KEEPER_LOG_HEADER_SIZE; /* void */; off += n) {
        r->end = off;

        n = dr_keeper_log_record_parse(p + off, size - off, &txn);

        if (n == 0) {
            dr_keeper_recover_classify(p, size, r);
            return DR_OK;
        }

        if (n < 0) {
            r->why = (n == DR_PARSE_AGAIN) ? "a short record"
                                           : "a record with a bad length or "
                                             "crc";
            dr_keeper_recover_classify(p, size, r);
            return DR_OK;
        }

        if (txn.zxid <= r->last
            || (r->records == 0 && txn.zxid != hd->first))
        {
            r->tail = DR_KEEPER_RECOVER_CORRUPT;
            r->why = "a record out of zxid order";
            return DR_ERROR;
        }

        if (txn.zxid > after) {
            if (h && h->apply(h->sink.data, &txn) != DR_OK) {
                r->tail = DR_KEEPER_RECOVER_CORRUPT;
                r->why = "replaying the record failed";
                return DR_ERROR;
            }

            r->applied++;
        }

        r->records++;
        r->last = txn.zxid;
    }
}


/*
 * What follows the last good record at r->end: zeros up to the end of the
 * file (clean), a bad tail with no valid record after it, or with an
 * unwritten sector before the next valid record (torn), or bad bytes then
 * a valid record (corrupt).
 */
static void
dr_keeper_recover_classify(u_char *p, size_t size,
    dr_keeper_recover_scan_t *r)
{
    size_t               data, q;
    uint32_t             rlen;
    dr_keeper_log_txn_t  txn;

    for (data = size; data > r->end && p[data - 1] == 0; data--) {
        /* void */
    }

    if (data == r->end) {
        r->tail = DR_KEEPER_RECOVER_CLEAN;
        r->why = NULL;
        return;
    }

    if (r->why == NULL) {
        r->why = "garbage after the last record";
    }

    for (q = r->end + 1; q + DR_KEEPER_LOG_RECORD_MIN <= data; q++) {
        rlen = dr_keeper_log_get32(p + q);

        if (rlen < DR_KEEPER_LOG_TXN_SIZE
            || rlen > size - q - DR_KEEPER_LOG_FRAME_SIZE
            || (int64_t) dr_keeper_log_get64(p + q + 8) <= r->last)
        {
            continue;
        }

        if (dr_keeper_log_record_parse(p + q, size - q, &txn) <= 0) {
            continue;
        }

        r->tail = dr_keeper_recover_zero_sector(p, r->end, q)
                  ? DR_KEEPER_RECOVER_TORN : DR_KEEPER_RECOVER_CORRUPT;
        return;
    }

    r->tail = DR_KEEPER_RECOVER_TORN;
}


static dr_uint_t
dr_keeper_recover_zero_sector(u_char *p, size_t from, size_t to)
{
    size_t  s, i;

    s = (from + DR_KEEPER_RECOVER_SECTOR - 1)
        & ~((size_t) DR_KEEPER_RECOVER_SECTOR - 1);

    for ( /* void */ ; s + DR_KEEPER_RECOVER_SECTOR <= to;
         s += DR_KEEPER_RECOVER_SECTOR)
    {
        for (i = 0; i < DR_KEEPER_RECOVER_SECTOR && p[s + i] == 0; i++) {
            /* void */
        }

        if (i == DR_KEEPER_RECOVER_SECTOR) {
            return 1;
        }
    }

    return 0;
}


static dr_int_t
dr_keeper_recover_open(dr_str_t *dir, int dirfd, dr_keeper_recover_file_t *f,
    dr_uint_t rw, dr_log_t *log)
{
    u_char       name[DR_KEEPER_LOG_NAME_MAX];
    void        *p;
    struct stat  st;

    (void) dr_keeper_log_name(name, "log", f->first, NULL);

    f->fd = openat(dirfd, (char *) name, (rw ? O_RDWR : O_RDONLY)|O_CLOEXEC);
    if (f->fd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: open(\"%V/%s\") failed", dir, name);
        return DR_ERROR;
    }

    if (fstat(f->fd, &st) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: fstat(\"%V/%s\") failed", dir, name);
        return DR_ERROR;
    }

    f->size = st.st_size;
    f->p = NULL;

    if (f->size == 0) {
        f->p = (u_char *) "";
        return DR_OK;
    }

    p = mmap(NULL, f->size, PROT_READ, MAP_PRIVATE, f->fd, 0);
    if (p == MAP_FAILED) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: mmap(\"%V/%s\") failed", dir, name);
        return DR_ERROR;
    }

    /*
     * no MADV_SEQUENTIAL: the classifier reads the zeros of the
     * preallocation backwards, and sequential read-ahead then costs seconds
     */

    f->p = p;

    return DR_OK;
}


static void
dr_keeper_recover_close(dr_keeper_recover_file_t *f)
{
    if (f->p && f->size) {
        (void) munmap(f->p, f->size);
    }

    f->p = NULL;

    if (f->fd != -1) {
        (void) close(f->fd);
        f->fd = -1;
    }
}


/*
 * Cuts the last log file at <end> and makes that durable; <end> 0 (no
 * record in it) removes the file, so that the log can start it again.
 */
static dr_int_t
dr_keeper_recover_cut(dr_str_t *dir, int dirfd, dr_keeper_recover_file_t *f,
    size_t end, dr_log_t *log)
{
    int     fd;
    u_char  name[DR_KEEPER_LOG_NAME_MAX];

    (void) dr_keeper_log_name(name, "log", f->first, NULL);

    if (end == 0) {
        if (unlinkat(dirfd, (char *) name, 0) == -1 || fsync(dirfd) == -1) {
            dr_log_error(DR_LOG_EMERG, log, dr_errno,
                         "keeper: removing \"%V/%s\" failed", dir, name);
            return DR_ERROR;
        }

        return DR_OK;
    }

    fd = (f->fd != -1) ? f->fd
                       : openat(dirfd, (char *) name, O_RDWR|O_CLOEXEC);

    if (fd == -1 || ftruncate(fd, end) == -1 || fsync(fd) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: truncating \"%V/%s\" to %uz bytes failed",
                     dir, name, end);

        if (fd != -1 && fd != f->fd) {
            (void) close(fd);
        }

        return DR_ERROR;
    }

    if (fd != f->fd) {
        (void) close(fd);
    }

    return DR_OK;
}
