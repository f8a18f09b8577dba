/*
 * Snapshots: the keeper forks, and the child writes its copy-on-write image
 * of the tree and the sessions while the keeper goes on serving (format:
 * dr_keeper_snap.h). The keeper never blocks on the snapshot's disk I/O.
 *
 * The child is a DR_PROCESS_HELPER: it closes every inherited descriptor
 * but the error log's and its socket to the keeper (so a client whose
 * connection the keeper closes sees it closed), dies with the keeper
 * (PR_SET_PDEATHSIG), never runs the event loop. It writes and fsyncs
 * snapshot.<zxid>.tmp, says so, and waits: the keeper answers "go" once
 * its log is durable up to that zxid, so a published snapshot is never
 * ahead of the log (the log stays one unbroken chain behind any snapshot).
 * Then the child renames the file into place, fsyncs the directory, says
 * "done" and exits; the keeper purges the snapshots beyond keep_snapshots
 * and the log files only they needed. Messages go over a SOCK_SEQPACKET
 * pair: 'w' + zxid + counts, 'g', 'd', 'e'.
 *
 * A snapshot that fails (fork, disk, the child killed) is logged and
 * tried again after another snapshot_every transactions; a leftover .tmp
 * is removed by the next snapshot of that zxid or by recovery.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_event.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"

#include <sys/prctl.h>
#include <zlib.h>


struct dr_keeper_snap_writer_s {
    int                     fd;
    u_char                 *start;
    u_char                 *pos;
    u_char                 *end;
    uLong                   crc;
    uint64_t                body;
    uint64_t                nodes;
    uint64_t                sessions;
    dr_uint_t               in_sessions;
    const char             *err_what;
    dr_err_t                err;
};


#define DR_KEEPER_SNAP_BUF        (256 * 1024)
#define DR_KEEPER_SNAP_NODE_MIN   (4 + 4 + 4 + DR_ZK_STAT_SIZE + 4)
#define DR_KEEPER_SNAP_SESS_MIN   (8 + 4 + 4 + 8)
#define DR_KEEPER_SNAP_MSG_W      (1 + 3 * 8)


static dr_int_t dr_keeper_snap_encode_node(dr_zk_writer_t *wr,
    dr_keeper_snap_node_t *n);
static dr_int_t dr_keeper_snap_encode_session(dr_zk_writer_t *wr,
    dr_keeper_snap_session_t *s);
static dr_int_t dr_keeper_snap_put(dr_keeper_snap_writer_t *w,
    dr_int_t (*encode)(dr_zk_writer_t *wr, void *rec), void *rec);
static dr_int_t dr_keeper_snap_flush(dr_keeper_snap_writer_t *w);
static dr_int_t dr_keeper_snap_write_all(int fd, u_char *p, size_t n);
static void dr_keeper_snap_child(dr_keeper_snap_t *snap, int s,
    int64_t zxid);
static void dr_keeper_snap_close_fds(dr_keeper_snap_t *snap, int s);
static void dr_keeper_snap_handler(dr_event_t *ev);
static void dr_keeper_snap_finish(dr_keeper_snap_t *snap, dr_uint_t ok);
static void dr_keeper_snap_remove_tmp(dr_keeper_snap_t *snap, int64_t zxid);
static int64_t dr_keeper_snap_now(void);
static int dr_keeper_snap_cmp(const void *a, const void *b);


/* the writer */

dr_int_t
dr_keeper_snap_write_node(dr_keeper_snap_writer_t *w, dr_keeper_snap_node_t *n)
{
    if (w->in_sessions || n->path.data == NULL || n->path.len == 0) {
        w->err_what = "a node out of order or without a path";
        w->err = 0;
        return DR_ERROR;
    }

    if (dr_keeper_snap_put(w, (dr_int_t (*)(dr_zk_writer_t *, void *))
                              dr_keeper_snap_encode_node, n)
        != DR_OK)
    {
        return DR_ERROR;
    }

    w->nodes++;

    return DR_OK;
}


dr_int_t
dr_keeper_snap_write_session(dr_keeper_snap_writer_t *w,
    dr_keeper_snap_session_t *s)
{
    w->in_sessions = 1;

    if (dr_keeper_snap_put(w, (dr_int_t (*)(dr_zk_writer_t *, void *))
                              dr_keeper_snap_encode_session, s)
        != DR_OK)
    {
        return DR_ERROR;
    }

    w->sessions++;

    return DR_OK;
}


static dr_int_t
dr_keeper_snap_encode_node(dr_zk_writer_t *wr, dr_keeper_snap_node_t *n)
{
    if (dr_zk_jute_write_ustring(wr, &n->path) != DR_OK
        || dr_zk_jute_write_buffer(wr, &n->data) != DR_OK
        || dr_zk_jute_write_vec(wr, DR_ZK_VEC_ACL, &n->acl) != DR_OK
        || dr_zk_jute_write_stat(wr, &n->stat) != DR_OK
        || dr_zk_jute_write_int(wr, n->seq) != DR_OK)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_snap_encode_session(dr_zk_writer_t *wr, dr_keeper_snap_session_t *s)
{
    dr_str_t  passwd;

    passwd.data = s->passwd;
    passwd.len = DR_ZK_PASSWD_LEN;

    if (dr_zk_jute_write_long(wr, s->id) != DR_OK
        || dr_zk_jute_write_int(wr, s->timeout) != DR_OK
        || dr_zk_jute_write_buffer(wr, &passwd) != DR_OK
        || dr_zk_jute_write_long(wr, s->last_seen) != DR_OK)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * Encodes one record at the buffer's end; when it does not fit, flushes
 * the buffer, and when it does not fit an empty one, grows it.
 */
static dr_int_t
dr_keeper_snap_put(dr_keeper_snap_writer_t *w,
    dr_int_t (*encode)(dr_zk_writer_t *wr, void *rec), void *rec)
{
    size_t          size, used;
    u_char         *p;
    dr_zk_writer_t  wr;

    for ( ;; ) {
        wr = dr_zk_writer_init(w->pos, w->end - w->pos);

        if (encode(&wr, rec) == DR_OK) {
            w->pos = wr.pos;
            return DR_OK;
        }

        if (w->pos > w->start) {
            if (dr_keeper_snap_flush(w) != DR_OK) {
                return DR_ERROR;
            }

            continue;
        }

        size = (w->end - w->start) * 2;
        if (size > (size_t) INT32_MAX * 4) {
            w->err_what = "a record too large";
            w->err = 0;
            return DR_ERROR;
        }

        used = w->pos - w->start;

        p = realloc(w->start, size);
        if (p == NULL) {
            w->err_what = "realloc()";
            w->err = errno;
            return DR_ERROR;
        }

        w->start = p;
        w->pos = p + used;
        w->end = p + size;
    }
}


static dr_int_t
dr_keeper_snap_flush(dr_keeper_snap_writer_t *w)
{
    size_t  n;

    n = w->pos - w->start;

    if (n == 0) {
        return DR_OK;
    }

    w->crc = crc32_z(w->crc, w->start, n);
    w->body += n;

    if (dr_keeper_snap_write_all(w->fd, w->start, n) != DR_OK) {
        w->err_what = "write()";
        w->err = errno;
        return DR_ERROR;
    }

    w->pos = w->start;

    return DR_OK;
}


static dr_int_t
dr_keeper_snap_write_all(int fd, u_char *p, size_t n)
{
    ssize_t  k;

    while (n) {
        k = write(fd, p, n);

        if (k == -1) {
            if (errno == EINTR) {
                continue;
            }

            return DR_ERROR;
        }

        if (k == 0) {
            errno = EIO;
            return DR_ERROR;
        }

        p += k;
        n -= k;
    }

    return DR_OK;
}


dr_int_t
dr_keeper_snap_write_tmp(dr_str_t *dir, int64_t zxid,
    dr_keeper_snap_source_t *src, dr_flag_t sync,
    dr_keeper_snap_info_t *info, dr_log_t *log)
{
    int                      dirfd;
    u_char                   name[DR_KEEPER_LOG_NAME_MAX];
    u_char                   hdr[DR_KEEPER_SNAP_HEADER_SIZE];
    u_char                   trl[DR_KEEPER_SNAP_TRAILER_SIZE];
    u_char                  *p;
    int64_t                  now;
    dr_int_t                 rc;
    dr_keeper_snap_writer_t  w;

    dr_memzero(&w, sizeof(dr_keeper_snap_writer_t));
    w.fd = -1;
    rc = DR_ERROR;

    (void) dr_keeper_log_name(name, "snapshot", zxid, ".tmp");

    dirfd = open((char *) dir->data, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (dirfd == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno,
                     "keeper: open(\"%V\") failed", dir);
        return DR_ERROR;
    }

    w.fd = openat(dirfd, (char *) name, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC,
                  0600);
    if (w.fd == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno,
                     "keeper: open(\"%V/%s\") failed", dir, name);
        (void) close(dirfd);
        return DR_ERROR;
    }

    w.start = dr_alloc(DR_KEEPER_SNAP_BUF, log);
    if (w.start == NULL) {
        goto failed;
    }

    w.pos = w.start;
    w.end = w.start + DR_KEEPER_SNAP_BUF;
    w.crc = crc32_z(0, NULL, 0);

    /* the header is written last, when the counts are known */

    dr_memzero(hdr, sizeof(hdr));

    if (dr_keeper_snap_write_all(w.fd, hdr, sizeof(hdr)) != DR_OK) {
        w.err_what = "write()";
        w.err = errno;
        goto werror;
    }

    if (src->walk(src->data, &w) != DR_OK || dr_keeper_snap_flush(&w) != DR_OK)
    {
        goto werror;
    }

    p = dr_keeper_log_put32(trl, DR_KEEPER_SNAP_END_MAGIC);
    p = dr_keeper_log_put64(p, w.body);
    (void) dr_keeper_log_put32(p, (uint32_t) w.crc);

    now = dr_keeper_snap_now();

    p = dr_keeper_log_put32(hdr, DR_KEEPER_SNAP_MAGIC);
    p = dr_keeper_log_put32(p, DR_KEEPER_SNAP_VERSION);
    p = dr_keeper_log_put64(p, (uint64_t) zxid);
    p = dr_keeper_log_put64(p, w.nodes);
    p = dr_keeper_log_put64(p, w.sessions);
    p = dr_keeper_log_put64(p, (uint64_t) now);
    p = dr_keeper_log_put32(p, 0);
    (void) dr_keeper_log_put32(p, (uint32_t) crc32(0, hdr, 44));

    if (dr_keeper_snap_write_all(w.fd, trl, sizeof(trl)) != DR_OK
        || pwrite(w.fd, hdr, sizeof(hdr), 0) != (ssize_t) sizeof(hdr))
    {
        w.err_what = "write()";
        w.err = errno ? errno : EIO;
        goto werror;
    }

    if (sync && fdatasync(w.fd) == -1) {
        w.err_what = "fdatasync()";
        w.err = errno;
        goto werror;
    }

    if (info) {
        info->zxid = zxid;
        info->nodes = w.nodes;
        info->sessions = w.sessions;
        info->time = now;
    }

    rc = DR_OK;
    goto done;

werror:

    if (w.err_what) {
        dr_log_error(DR_LOG_CRIT, log, w.err,
                     "keeper: snapshot \"%V/%s\": %s failed", dir, name,
                     w.err_what);
    } else {
        dr_log_error(DR_LOG_CRIT, log, 0,
                     "keeper: snapshot \"%V/%s\": the tree walk failed",
                     dir, name);
    }

failed:

    (void) unlinkat(dirfd, (char *) name, 0);

done:

    if (close(w.fd) == -1 && rc == DR_OK) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno,
                     "keeper: close(\"%V/%s\") failed", dir, name);
        (void) unlinkat(dirfd, (char *) name, 0);
        rc = DR_ERROR;
    }

    (void) close(dirfd);
    dr_free(w.start);

    return rc;
}


dr_int_t
dr_keeper_snap_publish(dr_str_t *dir, int64_t zxid, dr_flag_t sync,
    dr_log_t *log)
{
    int     dirfd;
    u_char  tmp[DR_KEEPER_LOG_NAME_MAX], name[DR_KEEPER_LOG_NAME_MAX];

    (void) dr_keeper_log_name(tmp, "snapshot", zxid, ".tmp");
    (void) dr_keeper_log_name(name, "snapshot", zxid, NULL);

    dirfd = open((char *) dir->data, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (dirfd == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno,
                     "keeper: open(\"%V\") failed", dir);
        return DR_ERROR;
    }

    if (renameat(dirfd, (char *) tmp, dirfd, (char *) name) == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno,
                     "keeper: rename(\"%V/%s\", \"%s\") failed", dir, tmp,
                     name);
        (void) close(dirfd);
        return DR_ERROR;
    }

    if (sync && fsync(dirfd) == -1) {
        dr_log_error(DR_LOG_CRIT, log, dr_errno,
                     "keeper: fsync(\"%V\") failed", dir);
        (void) close(dirfd);
        return DR_ERROR;
    }

    (void) close(dirfd);

    return DR_OK;
}


/* the reader */

dr_int_t
dr_keeper_snap_read_node(dr_zk_reader_t *rd, dr_keeper_snap_node_t *n)
{
    dr_uint_t  null;

    if (dr_zk_jute_read_ustring(rd, &n->path, &null) != DR_OK
        || null || n->path.len == 0 || n->path.data[0] != '/'
        || dr_zk_jute_read_buffer(rd, &n->data, &null) != DR_OK
        || dr_zk_jute_read_vec(rd, DR_ZK_VEC_ACL, &n->acl) != DR_OK
        || n->acl.nelts < 0
        || dr_zk_jute_read_stat(rd, &n->stat) != DR_OK
        || dr_zk_jute_read_int(rd, &n->seq) != DR_OK)
    {
        return DR_ERROR;
    }

    if (n->stat.data_length != (int32_t) n->data.len || n->seq < 0
        || n->stat.num_children < 0)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_keeper_snap_read_session(dr_zk_reader_t *rd, dr_keeper_snap_session_t *s)
{
    dr_str_t   passwd;
    dr_uint_t  null;

    if (dr_zk_jute_read_long(rd, &s->id) != DR_OK
        || dr_zk_jute_read_int(rd, &s->timeout) != DR_OK
        || dr_zk_jute_read_buffer(rd, &passwd, &null) != DR_OK
        || passwd.len != DR_ZK_PASSWD_LEN
        || dr_zk_jute_read_long(rd, &s->last_seen) != DR_OK)
    {
        return DR_ERROR;
    }

    if (s->timeout <= 0) {
        return DR_ERROR;
    }

    dr_memcpy(s->passwd, passwd.data, DR_ZK_PASSWD_LEN);

    return DR_OK;
}


dr_int_t
dr_keeper_snap_parse(u_char *p, size_t len, dr_keeper_snap_sink_t *sink,
    dr_keeper_snap_info_t *info)
{
    u_char                    *t;
    uint64_t                   i, body, nodes, sessions;
    dr_uint_t                  pass;
    dr_zk_reader_t             rd;
    dr_keeper_snap_node_t      n;
    dr_keeper_snap_session_t   s;

    if (len < DR_KEEPER_SNAP_HEADER_SIZE + DR_KEEPER_SNAP_TRAILER_SIZE
        || dr_keeper_log_get32(p) != DR_KEEPER_SNAP_MAGIC
        || dr_keeper_log_get32(p + 4) != DR_KEEPER_SNAP_VERSION
        || dr_keeper_log_get32(p + 44) != (uint32_t) crc32(0, p, 44))
    {
        return DR_ERROR;
    }

    body = len - DR_KEEPER_SNAP_HEADER_SIZE - DR_KEEPER_SNAP_TRAILER_SIZE;
    t = p + len - DR_KEEPER_SNAP_TRAILER_SIZE;

    if (dr_keeper_log_get32(t) != DR_KEEPER_SNAP_END_MAGIC
        || dr_keeper_log_get64(t + 4) != body
        || dr_keeper_log_get32(t + 12)
           != (uint32_t) crc32_z(0, p + DR_KEEPER_SNAP_HEADER_SIZE, body))
    {
        return DR_ERROR;
    }

    info->zxid = (int64_t) dr_keeper_log_get64(p + 8);
    info->nodes = nodes = dr_keeper_log_get64(p + 16);
    info->sessions = sessions = dr_keeper_log_get64(p + 24);
    info->time = (int64_t) dr_keeper_log_get64(p + 32);

    if (info->zxid < 0 || nodes > body / DR_KEEPER_SNAP_NODE_MIN
        || sessions > body / DR_KEEPER_SNAP_SESS_MIN)
    {
        return DR_ERROR;
    }

    /* pass 0 validates everything, pass 1 feeds the sink */

    for (pass = 0; pass < (sink ? 2 : 1); pass++) {
        rd = dr_zk_reader_init(p + DR_KEEPER_SNAP_HEADER_SIZE, body);

        for (i = 0; i < nodes; i++) {
            if (dr_keeper_snap_read_node(&rd, &n) != DR_OK) {
                return DR_ERROR;
            }

            if (pass && sink->node(sink->data, &n) != DR_OK) {
                return DR_ERROR;
            }
        }

        for (i = 0; i < sessions; i++) {
            if (dr_keeper_snap_read_session(&rd, &s) != DR_OK) {
                return DR_ERROR;
            }

            if (pass && sink->session(sink->data, &s) != DR_OK) {
                return DR_ERROR;
            }
        }

        if (rd.pos != rd.last) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_keeper_snap_load(dr_str_t *dir, int64_t zxid, dr_keeper_snap_sink_t *sink,
    dr_keeper_snap_info_t *info, dr_log_t *log)
{
    int          dirfd, fd;
    u_char       name[DR_KEEPER_LOG_NAME_MAX];
    void        *p;
    dr_int_t     rc;
    struct stat  st;

    (void) dr_keeper_log_name(name, "snapshot", zxid, NULL);

    dirfd = open((char *) dir->data, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (dirfd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: open(\"%V\") failed", dir);
        return DR_ERROR;
    }

    fd = openat(dirfd, (char *) name, O_RDONLY|O_CLOEXEC);
    (void) close(dirfd);

    if (fd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: open(\"%V/%s\") failed", dir, name);
        return DR_ERROR;
    }

    if (fstat(fd, &st) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: fstat(\"%V/%s\") failed", dir, name);
        (void) close(fd);
        return DR_ERROR;
    }

    if (st.st_size < DR_KEEPER_SNAP_HEADER_SIZE + DR_KEEPER_SNAP_TRAILER_SIZE)
    {
        (void) close(fd);
        return DR_DECLINED;
    }

    p = mmap(NULL, st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
    (void) close(fd);

    if (p == MAP_FAILED) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: mmap(\"%V/%s\") failed", dir, name);
        return DR_ERROR;
    }

    (void) madvise(p, st.st_size, MADV_SEQUENTIAL);

    /* validate first: a corrupt file must not leave half a tree behind */

    rc = dr_keeper_snap_parse(p, st.st_size, NULL, info);

    if (rc == DR_OK && info->zxid != zxid) {
        rc = DR_ERROR;
    }

    if (rc != DR_OK) {
        rc = DR_DECLINED;

    } else if (sink) {
        rc = dr_keeper_snap_parse(p, st.st_size, sink, info);
    }

    (void) munmap(p, st.st_size);

    return rc;
}


/* the directory */

dr_int_t
dr_keeper_snap_list(dr_str_t *dir, dr_keeper_snap_dir_t *d, dr_log_t *log)
{
    DIR            *dp;
    int64_t         zxid, *z;
    dr_uint_t       i;
    dr_array_t     *a;
    struct dirent  *de;

    dr_memzero(d, sizeof(dr_keeper_snap_dir_t));

    for (i = 0; i < 3; i++) {
        a = (i == 0) ? &d->snaps : (i == 1) ? &d->logs : &d->tmps;
        a->elts = NULL;
        a->nelts = 0;
        a->size = sizeof(int64_t);
        a->nalloc = 0;
    }

    dp = opendir((char *) dir->data);
    if (dp == NULL) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: opendir(\"%V\") failed", dir);
        return DR_ERROR;
    }

    for ( ;; ) {
        errno = 0;
        de = readdir(dp);

        if (de == NULL) {
            break;
        }

        if (dr_keeper_log_name_parse(de->d_name, "snapshot", NULL, &zxid)
            == DR_OK)
        {
            a = &d->snaps;

        } else if (dr_keeper_log_name_parse(de->d_name, "log", NULL, &zxid)
                   == DR_OK)
        {
            a = &d->logs;

        } else if (dr_keeper_log_name_parse(de->d_name, "snapshot", ".tmp",
                                            &zxid)
                   == DR_OK)
        {
            a = &d->tmps;

        } else {
            continue;
        }

        if (a->nelts == a->nalloc) {
            a->nalloc = a->nalloc ? a->nalloc * 2 : 16;

            z = realloc(a->elts, a->nalloc * sizeof(int64_t));
            if (z == NULL) {
                dr_log_error(DR_LOG_EMERG, log, dr_errno,
                             "keeper: realloc() failed");
                (void) closedir(dp);
                dr_keeper_snap_list_free(d);
                return DR_ERROR;
            }

            a->elts = z;
        }

        ((int64_t *) a->elts)[a->nelts++] = zxid;
    }

    if (errno != 0) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "keeper: readdir(\"%V\") failed", dir);
        (void) closedir(dp);
        dr_keeper_snap_list_free(d);
        return DR_ERROR;
    }

    (void) closedir(dp);

    for (i = 0; i < 3; i++) {
        a = (i == 0) ? &d->snaps : (i == 1) ? &d->logs : &d->tmps;

        if (a->nelts > 1) {
            qsort(a->elts, a->nelts, sizeof(int64_t), dr_keeper_snap_cmp);
        }
    }

    return DR_OK;
}


void
dr_keeper_snap_list_free(dr_keeper_snap_dir_t *d)
{
    dr_free(d->snaps.elts);
    dr_free(d->logs.elts);
    dr_free(d->tmps.elts);

    d->snaps.elts = NULL;
    d->logs.elts = NULL;
    d->tmps.elts = NULL;
}


static int
dr_keeper_snap_cmp(const void *a, const void *b)
{
    int64_t  x, y;

    x = *(const int64_t *) a;
    y = *(const int64_t *) b;

    return (x > y) - (x < y);
}


void
dr_keeper_snap_purge(dr_str_t *dir, dr_uint_t keep, dr_log_t *log)
{
    int                   dirfd;
    u_char                name[DR_KEEPER_LOG_NAME_MAX];
    int64_t              *snaps, *logs, oldest;
    dr_uint_t             i, first;
    dr_keeper_snap_dir_t  d;

    if (keep == 0) {
        keep = 1;
    }

    if (dr_keeper_snap_list(dir, &d, log) != DR_OK) {
        return;
    }

    dirfd = open((char *) dir->data, O_RDONLY|O_DIRECTORY|O_CLOEXEC);
    if (dirfd == -1 || d.snaps.nelts == 0) {
        goto done;
    }

    snaps = d.snaps.elts;
    logs = d.logs.elts;

    first = (d.snaps.nelts > keep) ? d.snaps.nelts - keep : 0;
    oldest = snaps[first];

    for (i = 0; i < first; i++) {
        (void) dr_keeper_log_name(name, "snapshot", snaps[i], NULL);

        if (unlinkat(dirfd, (char *) name, 0) == -1) {
            dr_log_error(DR_LOG_ERR, log, dr_errno,
                         "keeper: unlink(\"%V/%s\") failed", dir, name);
        }
    }

    /*
     * log.<z> holds zxids below the next file's first: when that is at most
     * oldest + 1, the oldest kept snapshot contains all of it
     */

    for (i = 0; i + 1 < d.logs.nelts && logs[i + 1] <= oldest + 1; i++) {
        (void) dr_keeper_log_name(name, "log", logs[i], NULL);

        if (unlinkat(dirfd, (char *) name, 0) == -1) {
            dr_log_error(DR_LOG_ERR, log, dr_errno,
                         "keeper: unlink(\"%V/%s\") failed", dir, name);
        }
    }

done:

    if (dirfd != -1) {
        (void) close(dirfd);
    }

    dr_keeper_snap_list_free(&d);
}


/* the snapshot process */

dr_int_t
dr_keeper_snap_start(dr_keeper_snap_t *snap, int64_t durable)
{
    int               sv[2];
    pid_t             pid;
    int64_t           zxid;
    dr_connection_t  *c;

    if (snap->running) {
        return DR_BUSY;
    }

    zxid = snap->source.zxid(snap->source.data);

    if (zxid <= snap->last) {
        return DR_DECLINED;
    }

    if (socketpair(AF_UNIX, SOCK_SEQPACKET|SOCK_CLOEXEC, 0, sv) == -1) {
        dr_log_error(DR_LOG_ERR, snap->log, dr_errno,
                     "keeper: socketpair() for a snapshot failed");
        snap->failed++;
        return DR_ERROR;
    }

    pid = fork();

    if (pid == -1) {
        dr_log_error(DR_LOG_ERR, snap->log, dr_errno,
                     "keeper: fork() for a snapshot failed");
        (void) close(sv[0]);
        (void) close(sv[1]);
        snap->failed++;
        return DR_ERROR;
    }

    if (pid == 0) {
        (void) close(sv[0]);
        dr_keeper_snap_child(snap, sv[1], zxid);
        _exit(1);
    }

    (void) close(sv[1]);

    if (dr_nonblocking(sv[0]) == -1) {
        goto failed;
    }

    c = dr_get_connection(sv[0], snap->log);
    if (c == NULL) {
        goto failed;
    }

    c->data = snap;
    c->read->handler = dr_keeper_snap_handler;
    c->read->log = snap->log;
    c->write->log = snap->log;

    if (dr_add_event(c->read, DR_READ_EVENT, DR_CLEAR_EVENT) != DR_OK) {
        dr_close_connection(c);
        sv[0] = -1;
        goto failed;
    }

    snap->c = c;
    snap->pid = pid;
    snap->zxid = zxid;
    snap->durable = durable;
    snap->started = dr_current_msec;
    snap->running = 1;
    snap->written = 0;
    snap->go = 0;

    dr_log_error(DR_LOG_INFO, snap->log, 0,
                 "keeper: snapshot of zxid 0x%xL started, process %P",
                 zxid, pid);

    return DR_OK;

failed:

    if (sv[0] != -1) {
        (void) close(sv[0]);
    }

    (void) kill(pid, SIGKILL);
    (void) waitpid(pid, NULL, 0);
    dr_keeper_snap_remove_tmp(snap, zxid);
    snap->failed++;

    return DR_ERROR;
}


void
dr_keeper_snap_durable(dr_keeper_snap_t *snap, int64_t durable)
{
    u_char  g;

    snap->durable = durable;

    if (!snap->running || !snap->written || snap->go
        || durable < snap->zxid)
    {
        return;
    }

    g = 'g';

    if (write(snap->c->fd, &g, 1) != 1) {
        dr_log_error(DR_LOG_ERR, snap->log, dr_errno,
                     "keeper: write() to the snapshot process failed");
        dr_keeper_snap_finish(snap, 0);
        return;
    }

    snap->go = 1;
}


void
dr_keeper_snap_abort(dr_keeper_snap_t *snap)
{
    if (!snap->running) {
        return;
    }

    dr_keeper_snap_finish(snap, 0);
}


static void
dr_keeper_snap_handler(dr_event_t *ev)
{
    u_char            msg[DR_KEEPER_SNAP_MSG_W];
    ssize_t           n;
    dr_connection_t  *c;
    dr_keeper_snap_t *snap;

    c = ev->data;
    snap = c->data;

    for ( ;; ) {
        n = recv(c->fd, msg, sizeof(msg), 0);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            if (errno == EAGAIN) {
                return;
            }

            dr_log_error(DR_LOG_ERR, snap->log, dr_errno,
                         "keeper: recv() from the snapshot process failed");
            dr_keeper_snap_finish(snap, 0);
            return;
        }

        if (n == 0) {
            dr_log_error(DR_LOG_ERR, snap->log, 0,
                         "keeper: the snapshot process %P of zxid 0x%xL "
                         "exited before it finished", snap->pid, snap->zxid);
            dr_keeper_snap_finish(snap, 0);
            return;
        }

        switch (msg[0]) {

        case 'w':
            if (n != DR_KEEPER_SNAP_MSG_W || snap->written) {
                goto bad;
            }

            snap->info.zxid = (int64_t) dr_keeper_log_get64(msg + 1);
            snap->info.nodes = dr_keeper_log_get64(msg + 9);
            snap->info.sessions = dr_keeper_log_get64(msg + 17);
            snap->written = 1;

            dr_keeper_snap_durable(snap, snap->durable);

            if (!snap->running) {
                return;
            }

            break;

        case 'd':
            if (n != 1 || !snap->go) {
                goto bad;
            }

            dr_keeper_snap_finish(snap, 1);
            return;

        case 'e':
            /* the child logged why */
            dr_keeper_snap_finish(snap, 0);
            return;

        default:
            goto bad;
        }
    }

bad:

    dr_log_error(DR_LOG_ALERT, snap->log, 0,
                 "keeper: BUG: unexpected message from the snapshot process");
    dr_keeper_snap_finish(snap, 0);
}


static void
dr_keeper_snap_finish(dr_keeper_snap_t *snap, dr_uint_t ok)
{
    int     status;
    pid_t   pid;

    dr_close_connection(snap->c);
    snap->c = NULL;
    snap->running = 0;

    if (!ok) {
        (void) kill(snap->pid, SIGKILL);    /* it may wait for 'g' */
    }

    do {
        pid = waitpid(snap->pid, &status, 0);
    } while (pid == -1 && errno == EINTR);

    if (!ok) {
        /* a child that could not publish: its .tmp, if any, goes */
        dr_keeper_snap_remove_tmp(snap, snap->zxid);
        snap->failed++;
        return;
    }

    snap->last = snap->zxid;
    snap->done++;

    dr_log_error(DR_LOG_NOTICE, snap->log, 0,
                 "keeper: snapshot of zxid 0x%xL written: %uL nodes, "
                 "%uL sessions in %M ms", snap->zxid, snap->info.nodes,
                 snap->info.sessions, dr_current_msec - snap->started);

    dr_keeper_snap_purge(&snap->dir, snap->keep, snap->log);
}


static void
dr_keeper_snap_remove_tmp(dr_keeper_snap_t *snap, int64_t zxid)
{
    u_char  name[DR_KEEPER_LOG_NAME_MAX + 256];
    u_char *p;

    p = dr_snprintf(name, sizeof(name) - DR_KEEPER_LOG_NAME_MAX, "%V/",
                    &snap->dir);
    (void) dr_keeper_log_name(p, "snapshot", zxid, ".tmp");

    (void) unlink((char *) name);
}


/*
 * The child: never returns. Exit codes are for waitpid() only; what went
 * wrong is in the error log and the keeper hears 'e' or EOF.
 */
static void
dr_keeper_snap_child(dr_keeper_snap_t *snap, int s, int64_t zxid)
{
    u_char                 msg[DR_KEEPER_SNAP_MSG_W], *p;
    ssize_t                n;
    dr_uint_t              i;
    dr_keeper_snap_info_t  info;
    static int             sigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP,
                                      SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD,
                                      SIGALRM, SIGIO, SIGPIPE };

    dr_process = DR_PROCESS_HELPER;
    dr_pid = getpid();

    for (i = 0; i < dr_nelems(sigs); i++) {
        (void) signal(sigs[i], sigs[i] == SIGPIPE ? SIG_IGN : SIG_DFL);
    }

    if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1 || getppid() == 1) {
        _exit(1);
    }

    dr_keeper_snap_close_fds(snap, s);
    dr_setproctitle("keeper snapshot");

    if (dr_keeper_snap_write_tmp(&snap->dir, zxid, &snap->source, snap->fsync,
                                 &info, snap->log)
        != DR_OK)
    {
        msg[0] = 'e';
        (void) write(s, msg, 1);
        _exit(1);
    }

    msg[0] = 'w';
    p = dr_keeper_log_put64(msg + 1, (uint64_t) info.zxid);
    p = dr_keeper_log_put64(p, info.nodes);
    (void) dr_keeper_log_put64(p, info.sessions);

    if (write(s, msg, sizeof(msg)) != (ssize_t) sizeof(msg)) {
        goto abandon;
    }

    do {
        n = read(s, msg, 1);
    } while (n == -1 && errno == EINTR);

    if (n != 1 || msg[0] != 'g') {
        goto abandon;       /* the keeper is gone */
    }

    if (dr_keeper_snap_publish(&snap->dir, zxid, snap->fsync, snap->log)
        != DR_OK)
    {
        msg[0] = 'e';
        (void) write(s, msg, 1);
        _exit(1);
    }

    msg[0] = 'd';
    (void) write(s, msg, 1);
    _exit(0);

abandon:

    dr_keeper_snap_remove_tmp(snap, zxid);
    _exit(1);
}


/*
 * Closes what the child inherited but must not hold: client connections
 * (a connection the keeper closes must close), the listening sockets, the
 * epoll and log descriptors of the keeper. Keeps 0-2, <s> and the error
 * log files.
 */
static void
dr_keeper_snap_close_fds(dr_keeper_snap_t *snap, int s)
{
    int             fd, *fds, *q;
    DIR            *dp;
    size_t          n, nalloc;
    dr_uint_t       i, keep;
    dr_log_t       *l;
    struct dirent  *de;

    dp = opendir("/proc/self/fd");
    if (dp == NULL) {
        return;
    }

    fds = NULL;
    n = 0;
    nalloc = 0;

    while ((de = readdir(dp)) != NULL) {
        if (de->d_name[0] < '0' || de->d_name[0] > '9') {
            continue;
        }

        fd = atoi(de->d_name);

        if (fd <= 2 || fd == s || fd == dirfd(dp)) {
            continue;
        }

        keep = 0;

        for (l = snap->log; l; l = l->next) {
            if (l->file && l->file->fd == fd) {
                keep = 1;
                break;
            }
        }

        if (keep) {
            continue;
        }

        if (n == nalloc) {
            nalloc = nalloc ? nalloc * 2 : 256;
            q = realloc(fds, nalloc * sizeof(int));
            if (q == NULL) {
                break;
            }
            fds = q;
        }

        fds[n++] = fd;
    }

    (void) closedir(dp);

    for (i = 0; i < n; i++) {
        (void) close(fds[i]);
    }

    dr_free(fds);
}


static int64_t
dr_keeper_snap_now(void)
{
    struct timeval  tv;

    (void) gettimeofday(&tv, NULL);

    return (int64_t) tv.tv_sec * 1000 + tv.tv_usec / 1000;
}
