/*
 * The keeper's transaction log (src/keeper/dr_keeper_log.c) and its replay
 * (src/keeper/dr_keeper_recover.c): record framing, group commit through a
 * real event loop and sync thread, rolling, failures; recovery from
 * synthesized files, every byte of a torn last record, every bit flipped,
 * corruption in the middle, missing segments.
 */

#include "event/event_fixture.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"

#include <criterion/criterion.h>
#include <ftw.h>


static char       tdir[64];
static dr_str_t   tdir_str;

static int64_t    applied[8192];
static dr_uint_t  napplied;
static int64_t    apply_fail;

static int64_t    done_zxid[8192];
static dr_int_t   done_rc[8192];
static dr_uint_t  ndone;
static int        done_flag;
static dr_uint_t  done_want;


static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;

    return remove(path);
}


static void
setup(void)
{
    evfx_init(0);
    evfx_start();

    strcpy(tdir, "/tmp/dr_test_klog_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));

    tdir_str.data = (u_char *) tdir;
    tdir_str.len = strlen(tdir);

    napplied = 0;
    apply_fail = -1;
    ndone = 0;
    done_flag = 0;
    done_want = 0;
}


static void
teardown(void)
{
    (void) nftw(tdir, rm_entry, 16, FTW_DEPTH|FTW_PHYS);
}


/* a body that says which zxid it belongs to, <len> bytes long */
static dr_str_t
body_of(int64_t zxid, size_t len, u_char *buf)
{
    size_t    i;
    dr_str_t  b;

    for (i = 0; i < len; i++) {
        buf[i] = (u_char) ('a' + (zxid + i) % 26);
    }

    b.data = buf;
    b.len = len;

    return b;
}


static dr_keeper_log_txn_t
txn_of(int64_t zxid, size_t len, u_char *buf)
{
    dr_keeper_log_txn_t  t;

    t.zxid = zxid;
    t.session = 0x1000 + zxid;
    t.time = 1700000000000LL + zxid;
    t.cxid = (int32_t) (zxid * 3);
    t.type = 1;
    t.body = body_of(zxid, len, buf);

    return t;
}


static dr_int_t
mock_apply(void *data, dr_keeper_log_txn_t *txn)
{
    u_char    buf[8192];
    dr_str_t  b;

    (void) data;

    cr_assert_eq(txn->session, 0x1000 + txn->zxid);
    cr_assert_eq(txn->time, 1700000000000LL + txn->zxid);
    cr_assert_eq(txn->cxid, (int32_t) (txn->zxid * 3));
    cr_assert_eq(txn->type, 1);
    cr_assert_leq(txn->body.len, sizeof(buf));

    b = body_of(txn->zxid, txn->body.len, buf);
    cr_assert(memcmp(b.data, txn->body.data, b.len) == 0,
              "body of zxid %ld", (long) txn->zxid);

    if (txn->zxid == apply_fail) {
        return DR_ERROR;
    }

    applied[napplied++] = txn->zxid;

    return DR_OK;
}


static dr_int_t
mock_node(void *data, dr_keeper_snap_node_t *n)
{
    (void) data;
    (void) n;

    return DR_OK;
}


static dr_int_t
mock_session(void *data, dr_keeper_snap_session_t *s)
{
    (void) data;
    (void) s;

    return DR_OK;
}


static dr_keeper_recover_handler_t  handler = {
    { NULL, mock_node, mock_session }, mock_apply
};


static dr_int_t
recover(dr_keeper_recover_info_t *info)
{
    return dr_keeper_recover(&tdir_str, &handler, info, &evfx.log);
}


static void
path_of(char *buf, const char *name)
{
    (void) snprintf(buf, 256, "%s/%s", tdir, name);
}


static off_t
file_size(const char *name)
{
    char         path[256];
    struct stat  st;

    path_of(path, name);

    if (stat(path, &st) == -1) {
        return -1;
    }

    return st.st_size;
}


/*
 * Writes log.<first>: header (prev, first), then records for the zxids in
 * <zxids> with bodies of <blen> bytes, then zeros up to <pad> bytes in all.
 * Returns the offsets of the records in <offs> (and the end after them).
 */
static size_t
write_log(int64_t prev, int64_t *zxids, dr_uint_t n, size_t blen, size_t pad,
    size_t *offs, u_char **image)
{
    int                     fd;
    char                    path[256];
    u_char                 *p, buf[8192], name[DR_KEEPER_LOG_NAME_MAX];
    size_t                  off, size;
    dr_uint_t               i;
    dr_keeper_log_txn_t     t;
    dr_keeper_log_header_t  h;

    size = DR_KEEPER_LOG_HEADER_SIZE + n * (DR_KEEPER_LOG_RECORD_MIN + blen);
    size = dr_max(size, pad);

    p = calloc(1, size);
    cr_assert_not_null(p);

    h.prev = prev;
    h.first = zxids[0];
    dr_keeper_log_header_write(p, &h);

    off = DR_KEEPER_LOG_HEADER_SIZE;

    for (i = 0; i < n; i++) {
        if (offs) {
            offs[i] = off;
        }

        t = txn_of(zxids[i], blen, buf);
        dr_keeper_log_record_write(p + off, &t);
        dr_keeper_log_record_seal(p + off);
        off += DR_KEEPER_LOG_RECORD_MIN + blen;
    }

    if (offs) {
        offs[n] = off;
    }

    (void) dr_keeper_log_name(name, "log", zxids[0], NULL);
    path_of(path, (char *) name);

    fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0600);
    cr_assert_neq(fd, -1);
    cr_assert_eq(write(fd, p, size), (ssize_t) size);
    close(fd);

    if (image) {
        *image = p;
    } else {
        free(p);
    }

    return size;
}


static void
write_file(const char *name, u_char *p, size_t size)
{
    int   fd;
    char  path[256];

    path_of(path, name);

    fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0600);
    cr_assert_neq(fd, -1);
    cr_assert_eq(write(fd, p, size), (ssize_t) size);
    close(fd);
}


static void
seq(int64_t *z, int64_t from, dr_uint_t n)
{
    dr_uint_t  i;

    for (i = 0; i < n; i++) {
        z[i] = from + i;
    }
}


/* framing */

TestSuite(keeper_log_format, .init = setup, .fini = teardown);

Test(keeper_log_format, record_round_trip)
{
    u_char               buf[256], body[64];
    ssize_t              n;
    size_t               len;
    dr_keeper_log_txn_t  t, out;

    t = txn_of(0x1234567890LL, 17, body);
    t.type = -11;
    t.cxid = -2;

    len = dr_keeper_log_record_write(buf, &t);
    cr_assert_eq(len, DR_KEEPER_LOG_RECORD_MIN + 17);
    dr_keeper_log_record_seal(buf);

    n = dr_keeper_log_record_parse(buf, len, &out);
    cr_assert_eq(n, (ssize_t) len);
    cr_assert_eq(out.zxid, t.zxid);
    cr_assert_eq(out.session, t.session);
    cr_assert_eq(out.time, t.time);
    cr_assert_eq(out.cxid, -2);
    cr_assert_eq(out.type, -11);
    cr_assert_eq(out.body.len, 17);
    cr_assert(out.body.data == buf + DR_KEEPER_LOG_RECORD_MIN);
    cr_assert(memcmp(out.body.data, body, 17) == 0);

    /* an empty body */

    t.body.len = 0;
    len = dr_keeper_log_record_write(buf, &t);
    dr_keeper_log_record_seal(buf);
    cr_assert_eq(dr_keeper_log_record_parse(buf, len + 10, &out),
                 (ssize_t) DR_KEEPER_LOG_RECORD_MIN);
    cr_assert_eq(out.body.len, 0);
}


Test(keeper_log_format, record_every_truncation_and_bit)
{
    u_char               buf[256], body[64];
    size_t               len, i;
    ssize_t              n;
    unsigned             bit;
    dr_keeper_log_txn_t  t, out;

    t = txn_of(77, 40, body);
    len = dr_keeper_log_record_write(buf, &t);
    dr_keeper_log_record_seal(buf);

    for (i = 0; i < len; i++) {
        n = dr_keeper_log_record_parse(buf, i, &out);

        /* the length field starts with zero bytes: a cut there reads as
         * the end of the records */
        if (i <= 3) {
            cr_assert_eq(n, 0, "cut at %zu", i);
        } else {
            cr_assert_eq(n, DR_PARSE_AGAIN, "cut at %zu: %zd", i, n);
        }
    }

    for (i = 0; i < len; i++) {
        for (bit = 0; bit < 8; bit++) {
            buf[i] ^= (u_char) (1 << bit);
            n = dr_keeper_log_record_parse(buf, sizeof(buf), &out);
            cr_assert(n == DR_PARSE_ERROR || n == DR_PARSE_AGAIN || n == 0,
                      "byte %zu bit %u parsed as %zd", i, bit, n);
            buf[i] ^= (u_char) (1 << bit);
        }
    }

    cr_assert_eq(dr_keeper_log_record_parse(buf, len, &out), (ssize_t) len);
}


Test(keeper_log_format, record_bad_lengths)
{
    u_char               buf[128];
    dr_keeper_log_txn_t  out;

    dr_memzero(buf, sizeof(buf));
    cr_assert_eq(dr_keeper_log_record_parse(buf, sizeof(buf), &out), 0);
    cr_assert_eq(dr_keeper_log_record_parse(buf, 0, &out), 0);

    (void) dr_keeper_log_put32(buf, 31);        /* below the txn header */
    cr_assert_eq(dr_keeper_log_record_parse(buf, sizeof(buf), &out),
                 DR_PARSE_ERROR);

    (void) dr_keeper_log_put32(buf, 0xffffffff);
    cr_assert_eq(dr_keeper_log_record_parse(buf, sizeof(buf), &out),
                 DR_PARSE_ERROR);

    (void) dr_keeper_log_put32(buf, 1000);      /* beyond the bytes */
    cr_assert_eq(dr_keeper_log_record_parse(buf, sizeof(buf), &out),
                 DR_PARSE_AGAIN);

    (void) dr_keeper_log_put32(buf, 32);        /* crc 0 is wrong */
    cr_assert_eq(dr_keeper_log_record_parse(buf, sizeof(buf), &out),
                 DR_PARSE_ERROR);
}


Test(keeper_log_format, header)
{
    u_char                  buf[DR_KEEPER_LOG_HEADER_SIZE];
    unsigned                i;
    dr_keeper_log_header_t  h, out;

    h.prev = 41;
    h.first = 42;
    dr_keeper_log_header_write(buf, &h);

    cr_assert(memcmp(buf, "DRKL", 4) == 0);
    cr_assert_eq(dr_keeper_log_header_parse(buf, sizeof(buf), &out), DR_OK);
    cr_assert_eq(out.prev, 41);
    cr_assert_eq(out.first, 42);

    cr_assert_eq(dr_keeper_log_header_parse(buf, sizeof(buf) - 1, &out),
                 DR_ERROR);

    for (i = 0; i < sizeof(buf) * 8; i++) {
        buf[i / 8] ^= (u_char) (1 << (i % 8));
        cr_assert_eq(dr_keeper_log_header_parse(buf, sizeof(buf), &out),
                     DR_ERROR, "bit %u", i);
        buf[i / 8] ^= (u_char) (1 << (i % 8));
    }

    /* first must follow prev */

    h.prev = 42;
    dr_keeper_log_header_write(buf, &h);
    cr_assert_eq(dr_keeper_log_header_parse(buf, sizeof(buf), &out),
                 DR_ERROR);
}


Test(keeper_log_format, names)
{
    u_char    buf[DR_KEEPER_LOG_NAME_MAX];
    int64_t   z;

    (void) dr_keeper_log_name(buf, "log", 0x1a2b, NULL);
    cr_assert_str_eq((char *) buf, "log.0000000000001a2b");

    (void) dr_keeper_log_name(buf, "snapshot", INT64_MAX, ".tmp");
    cr_assert_str_eq((char *) buf, "snapshot.7fffffffffffffff.tmp");

    cr_assert_eq(dr_keeper_log_name_parse("log.0000000000001a2b", "log", NULL,
                                          &z), DR_OK);
    cr_assert_eq(z, 0x1a2b);
    cr_assert_eq(dr_keeper_log_name_parse("log.1a", "log", NULL, &z), DR_OK);
    cr_assert_eq(z, 0x1a);
    cr_assert_eq(dr_keeper_log_name_parse("snapshot.ff.tmp", "snapshot",
                                          ".tmp", &z), DR_OK);
    cr_assert_eq(z, 0xff);

    cr_assert_eq(dr_keeper_log_name_parse("log.", "log", NULL, &z),
                 DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("log.1A", "log", NULL, &z),
                 DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("log.1.tmp", "log", NULL, &z),
                 DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("logs.1", "log", NULL, &z),
                 DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("log.8000000000000000", "log",
                                          NULL, &z), DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("log.00000000000000001", "log",
                                          NULL, &z), DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("snapshot.ff", "snapshot", ".tmp",
                                          &z), DR_DECLINED);
    cr_assert_eq(dr_keeper_log_name_parse("snapshot.ff.tmp", "snapshot",
                                          NULL, &z), DR_DECLINED);
}


/* the writer: group commit on the loop, the sync thread */

static void
on_done(void *data, dr_int_t rc)
{
    done_zxid[ndone] = (int64_t) (intptr_t) data;
    done_rc[ndone] = rc;
    ndone++;

    if (ndone >= done_want) {
        done_flag = 1;
    }
}


static dr_keeper_log_t *
open_log(off_t prealloc, off_t roll, dr_flag_t fsync, int64_t zxid)
{
    dr_keeper_log_t      *lg;
    dr_keeper_log_conf_t  conf;

    dr_memzero(&conf, sizeof(conf));
    conf.dir = tdir_str;
    conf.fsync = fsync;
    conf.prealloc = prealloc;
    conf.roll_size = roll;

    lg = dr_keeper_log_init(&conf, zxid, &evfx.log);
    cr_assert_not_null(lg);

    return lg;
}


/*
 * The end of a loop turn: the log's flush is a posted event. The tests
 * append outside the loop, so they end the turn themselves (the keeper's
 * appends happen in event handlers, and the same turn ends with it).
 */
static void
end_turn(void)
{
    dr_event_process_posted(&evfx.cycle, &dr_posted_events);
}


static void
append(dr_keeper_log_t *lg, int64_t zxid, size_t blen)
{
    u_char               buf[8192];
    dr_keeper_log_txn_t  t;

    t = txn_of(zxid, blen, buf);

    cr_assert_eq(dr_keeper_log_append(lg, &t, on_done,
                                      (void *) (intptr_t) zxid), DR_OK);

    /* the body was copied */
    dr_memset(buf, 0, blen);
}


TestSuite(keeper_log_writer, .init = setup, .fini = teardown, .timeout = 30);

Test(keeper_log_writer, one_turn_one_batch)
{
    dr_uint_t                 i;
    dr_keeper_log_t          *lg;
    dr_keeper_log_stats_t     st;
    dr_keeper_recover_info_t  info;

    lg = open_log(0, 0, 1, 0);

    done_want = 3;
    append(lg, 1, 10);
    append(lg, 2, 0);
    append(lg, 3, 100);

    cr_assert_eq(ndone, 0, "nothing completes before it is durable");
    cr_assert_eq(dr_keeper_log_durable_zxid(lg), 0);
    cr_assert_eq(dr_keeper_log_last_zxid(lg), 3);

    end_turn();
    cr_assert_eq(ndone, 0);
    cr_assert(evfx_run_until(&done_flag, 10000));

    for (i = 0; i < 3; i++) {
        cr_assert_eq(done_zxid[i], (int64_t) i + 1);
        cr_assert_eq(done_rc[i], DR_OK);
    }

    dr_keeper_log_stats(lg, &st);
    cr_assert_eq(st.batches, 1);
    cr_assert_eq(st.records, 3);
    cr_assert_eq(st.files, 1);
    cr_assert_eq(st.max_batch, 3);
    cr_assert_eq(dr_keeper_log_durable_zxid(lg), 3);

    /* preallocated while open, cut to the records when closed */

    cr_assert_eq(file_size("log.0000000000000001"), DR_KEEPER_LOG_PREALLOC);

    dr_keeper_log_close(lg);

    cr_assert_eq(file_size("log.0000000000000001"),
                 DR_KEEPER_LOG_HEADER_SIZE + 3 * DR_KEEPER_LOG_RECORD_MIN
                 + 110);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 3);
    cr_assert_eq(info.zxid, 3);
    cr_assert_eq(info.replayed, 3);
    cr_assert_eq(info.files, 1);
}


Test(keeper_log_writer, appends_during_a_sync_share_the_next)
{
    int64_t                z;
    dr_keeper_log_t       *lg;
    dr_keeper_log_stats_t  st;

    lg = open_log(0, 0, 1, 100);

    done_want = 50;
    append(lg, 101, 10);

    /* the end of the loop turn: the batch goes to the thread */
    end_turn();

    for (z = 102; z <= 150; z++) {
        append(lg, z, 10);
    }

    end_turn();

    cr_assert(evfx_run_until(&done_flag, 10000));

    for (z = 0; z < 50; z++) {
        cr_assert_eq(done_zxid[z], 101 + z);
    }

    dr_keeper_log_stats(lg, &st);
    cr_assert_eq(st.batches, 2);
    cr_assert_eq(st.max_batch, 49);
    cr_assert_eq(st.files, 1);

    dr_keeper_log_close(lg);

    /* the first file of a log started at 100 chains on it */
    cr_assert_geq(file_size("log.0000000000000065"), 0);
}


static dr_keeper_log_t  *reentrant_lg;

static void
on_done_append(void *data, dr_int_t rc)
{
    int64_t  zxid;

    on_done(data, rc);

    zxid = (int64_t) (intptr_t) data;

    if (zxid < 5) {
        append(reentrant_lg, zxid + 10, 1);
    }
}


static int64_t    durable_calls[16];
static dr_uint_t  ndurable_calls;

static void
on_durable(void *data, int64_t zxid)
{
    cr_assert_eq(data, (void *) &ndurable_calls);

    /* after the batch's own completions */
    cr_assert_eq(done_zxid[ndone - 1], zxid);

    durable_calls[ndurable_calls++] = zxid;
}


Test(keeper_log_writer, one_durable_call_per_batch)
{
    dr_keeper_log_t      *lg;
    dr_keeper_log_conf_t  conf;

    dr_memzero(&conf, sizeof(conf));
    conf.dir = tdir_str;
    conf.fsync = 1;
    conf.durable = on_durable;
    conf.data = &ndurable_calls;

    lg = dr_keeper_log_init(&conf, 0, &evfx.log);
    cr_assert_not_null(lg);

    append(lg, 1, 1);
    append(lg, 2, 1);
    end_turn();
    append(lg, 3, 1);
    end_turn();

    done_want = 3;
    cr_assert(evfx_run_until(&done_flag, 10000));
    cr_assert_eq(ndurable_calls, 2);
    cr_assert_eq(durable_calls[0], 2);
    cr_assert_eq(durable_calls[1], 3);

    dr_keeper_log_close(lg);
}


Test(keeper_log_writer, completion_may_append)
{
    u_char               buf[16];
    int64_t              z;
    dr_keeper_log_txn_t  t;

    reentrant_lg = open_log(0, 0, 1, 0);
    done_want = 8;

    for (z = 1; z <= 4; z++) {
        t = txn_of(z, 1, buf);
        cr_assert_eq(dr_keeper_log_append(reentrant_lg, &t, on_done_append,
                                          (void *) (intptr_t) z), DR_OK);
    }

    end_turn();
    cr_assert(evfx_run_until(&done_flag, 10000));

    cr_assert_eq(done_zxid[3], 4);
    cr_assert_eq(done_zxid[4], 11);
    cr_assert_eq(done_zxid[7], 14);

    dr_keeper_log_close(reentrant_lg);
}


Test(keeper_log_writer, rolls_at_size_and_on_demand)
{
    int                       fd;
    char                      path[256];
    u_char                    hdr[DR_KEEPER_LOG_HEADER_SIZE];
    u_char                    name[DR_KEEPER_LOG_NAME_MAX];
    int64_t                   z, names[] = { 1, 4, 7, 9, 10 },
                              prevs[] = { 0, 3, 6, 8, 9 };
    dr_uint_t                 i;
    dr_keeper_log_t          *lg;
    dr_keeper_log_stats_t     st;
    dr_keeper_log_header_t    h;
    dr_keeper_recover_info_t  info;

    /* 1040-byte records: three fit a 4 KiB file */

    lg = open_log(4096, 4096, 1, 0);

    for (z = 1; z <= 10; z++) {
        if (z == 9 || z == 10) {
            dr_keeper_log_roll(lg);
        }

        append(lg, z, 1000);
        cr_assert_eq(dr_keeper_log_sync(lg), DR_OK);
        cr_assert_eq(ndone, (dr_uint_t) z);
    }

    dr_keeper_log_stats(lg, &st);
    cr_assert_eq(st.batches, 10);
    cr_assert_eq(st.files, 5);

    /* a rolled file gives its unused preallocation back */
    cr_assert_eq(file_size("log.0000000000000001"),
                 DR_KEEPER_LOG_HEADER_SIZE + 3 * 1040);

    dr_keeper_log_close(lg);

    /* (the thread releases it after answering: it is done by now) */
    cr_assert_eq(file_size("log.0000000000000009"),
                 DR_KEEPER_LOG_HEADER_SIZE + 1040);

    for (i = 0; i < 5; i++) {
        (void) dr_keeper_log_name(name, "log", names[i], NULL);
        path_of(path, (char *) name);

        fd = open(path, O_RDONLY);
        cr_assert_neq(fd, -1, "%s", path);
        cr_assert_eq(read(fd, hdr, sizeof(hdr)), (ssize_t) sizeof(hdr));
        close(fd);

        cr_assert_eq(dr_keeper_log_header_parse(hdr, sizeof(hdr), &h), DR_OK);
        cr_assert_eq(h.prev, prevs[i]);
        cr_assert_eq(h.first, names[i]);
    }

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 10);
    cr_assert_eq(info.zxid, 10);
    cr_assert_eq(info.files, 5);
}


Test(keeper_log_writer, big_batch_beyond_the_preallocation)
{
    int64_t                   z;
    dr_keeper_log_t          *lg;
    dr_keeper_recover_info_t  info;

    lg = open_log(4096, 1 << 20, 1, 0);

    done_want = 100;

    for (z = 1; z <= 100; z++) {
        append(lg, z, 500);
    }

    end_turn();
    cr_assert(evfx_run_until(&done_flag, 10000));
    cr_assert_eq(file_size("log.0000000000000001"),
                 DR_KEEPER_LOG_HEADER_SIZE + 100 * 540);

    /* a chunk more each time the records go beyond: 5400 bytes, 2 chunks */

    for (z = 101; z <= 110; z++) {
        append(lg, z, 500);
        cr_assert_eq(dr_keeper_log_sync(lg), DR_OK);
    }

    cr_assert_eq(file_size("log.0000000000000001"),
                 DR_KEEPER_LOG_HEADER_SIZE + 100 * 540 + 2 * 4096);

    dr_keeper_log_close(lg);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 110);
}


Test(keeper_log_writer, fsync_off_warns_and_still_writes)
{
    dr_keeper_log_t          *lg;
    dr_keeper_recover_info_t  info;

    lg = open_log(0, 0, 0, 0);
    cr_assert(evfx_log_has("[warn]"));
    cr_assert(evfx_log_has("\"fsync off\""));

    append(lg, 1, 5);
    cr_assert_eq(dr_keeper_log_sync(lg), DR_OK);
    cr_assert_eq(ndone, 1);
    dr_keeper_log_close(lg);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 1);
}


Test(keeper_log_writer, rejects_a_zxid_that_does_not_grow)
{
    u_char               buf[8];
    dr_keeper_log_t     *lg;
    dr_keeper_log_txn_t  t;

    lg = open_log(0, 0, 1, 10);

    t = txn_of(10, 1, buf);
    cr_assert_eq(dr_keeper_log_append(lg, &t, on_done, NULL), DR_ERROR);
    cr_assert(evfx_log_has("[alert]"));

    t = txn_of(11, 1, buf);
    cr_assert_eq(dr_keeper_log_append(lg, &t, on_done, NULL), DR_OK);
    t = txn_of(11, 1, buf);
    cr_assert_eq(dr_keeper_log_append(lg, &t, on_done, NULL), DR_ERROR);

    dr_keeper_log_close(lg);
    cr_assert_eq(ndone, 1);
}


Test(keeper_log_writer, a_failed_write_fails_every_waiter)
{
    u_char               buf[8];
    struct rlimit        rl;
    dr_keeper_log_t     *lg;
    dr_keeper_log_txn_t  t;

    /* files may not grow beyond 1 KiB: the preallocation fails (EFBIG) */

    signal(SIGXFSZ, SIG_IGN);
    rl.rlim_cur = 1024;
    rl.rlim_max = RLIM_INFINITY;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &rl), 0);

    lg = open_log(0, 0, 1, 0);

    done_want = 2;
    append(lg, 1, 5);
    append(lg, 2, 5);

    end_turn();
    cr_assert(evfx_run_until(&done_flag, 10000));
    cr_assert_eq(done_rc[0], DR_ERROR);
    cr_assert_eq(done_rc[1], DR_ERROR);
    cr_assert(evfx_log_has("[crit]"));
    cr_assert(evfx_log_has("fallocate() of the transaction log"));
    cr_assert_eq(dr_keeper_log_durable_zxid(lg), 0);

    t = txn_of(3, 1, buf);
    cr_assert_eq(dr_keeper_log_append(lg, &t, on_done, NULL), DR_ERROR);
    cr_assert_eq(dr_keeper_log_sync(lg), DR_ERROR);

    dr_keeper_log_close(lg);
}


/* recovery from synthesized files */

TestSuite(keeper_log_replay, .init = setup, .fini = teardown, .timeout = 60);

Test(keeper_log_replay, empty_and_missing_dir)
{
    char                      sub[128];
    dr_keeper_recover_info_t  info;

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(info.zxid, 0);
    cr_assert_eq(info.snapshot, -1);

    (void) snprintf(sub, sizeof(sub), "%s/sub", tdir);
    tdir_str.data = (u_char *) sub;
    tdir_str.len = strlen(sub);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert(evfx_log_has("created data_dir"));

    cr_assert_eq(rmdir(sub), 0);
    tdir_str.data = (u_char *) tdir;
    tdir_str.len = strlen(tdir);
}


Test(keeper_log_replay, clean_file_with_preallocation)
{
    int64_t                   z[5];
    size_t                    offs[6];
    dr_keeper_recover_info_t  info;

    seq(z, 1, 5);
    (void) write_log(0, z, 5, 30, 65536, offs, NULL);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 5);
    cr_assert_eq(applied[4], 5);
    cr_assert_eq(info.zxid, 5);
    cr_assert_eq(info.truncated, 0);
    cr_assert(!evfx_log_has("[warn]"));

    /* the unused preallocation was released */
    cr_assert_eq(file_size("log.0000000000000001"), (off_t) offs[5]);

    /* and it is still the same log */
    napplied = 0;
    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 5);
}


Test(keeper_log_replay, torn_last_record_at_every_byte)
{
    int64_t                   z[3];
    u_char                   *img;
    size_t                    offs[4], cut, size;
    dr_uint_t                 pad;
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    size = write_log(0, z, 3, 50, 0, offs, &img);

    for (pad = 0; pad < 2; pad++) {
        for (cut = offs[2]; cut < offs[3]; cut++) {

            /* the last record is cut at <cut>; pad: zeros follow */

            if (pad) {
                u_char  *copy = calloc(1, size + 4096);

                dr_memcpy(copy, img, cut);
                write_file("log.0000000000000001", copy, size + 4096);
                free(copy);

            } else {
                write_file("log.0000000000000001", img, cut);
            }

            napplied = 0;
            evfx.loglen = 0;

            cr_assert_eq(recover(&info), DR_OK, "cut at %zu", cut);
            cr_assert_eq(napplied, 2, "cut at %zu", cut);
            cr_assert_eq(info.zxid, 2);
            cr_assert_eq(file_size("log.0000000000000001"), (off_t) offs[2],
                         "cut at %zu", cut);

            /* a cut inside the leading zeros of the length is a clean end */
            cr_assert(cut <= offs[2] + 3 || evfx_log_has("truncated"),
                      "cut at %zu: %s", cut, evfx.logbuf);
        }
    }

    free(img);
}


Test(keeper_log_replay, every_bit_of_the_last_record)
{
    int64_t                   z[3];
    u_char                   *img;
    size_t                    offs[4], size, i;
    unsigned                  bit;
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    size = write_log(0, z, 3, 20, 8192, offs, &img);

    for (i = offs[2]; i < offs[3]; i++) {
        for (bit = 0; bit < 8; bit++) {
            img[i] ^= (u_char) (1 << bit);
            write_file("log.0000000000000001", img, size);
            img[i] ^= (u_char) (1 << bit);

            napplied = 0;
            evfx.loglen = 0;

            cr_assert_eq(recover(&info), DR_OK, "byte %zu bit %u", i, bit);
            cr_assert_eq(napplied, 2, "byte %zu bit %u", i, bit);
            cr_assert_eq(file_size("log.0000000000000001"), (off_t) offs[2]);
            cr_assert(evfx_log_has("[warn]"), "byte %zu bit %u", i, bit);
            cr_assert(evfx_log_has("truncated"));
        }
    }

    free(img);
}


Test(keeper_log_replay, corruption_in_the_middle_stops_the_keeper)
{
    int64_t                   z[4];
    u_char                   *img;
    size_t                    offs[5], size, i;
    dr_keeper_recover_info_t  info;

    seq(z, 1, 4);
    size = write_log(0, z, 4, 20, 8192, offs, &img);

    /* a bit of record 2 of 4, of each of its bytes in turn */

    for (i = offs[1]; i < offs[2]; i++) {
        img[i] ^= 0x10;
        write_file("log.0000000000000001", img, size);
        img[i] ^= 0x10;

        evfx.loglen = 0;

        cr_assert_eq(recover(&info), DR_ERROR, "byte %zu", i);
        cr_assert(evfx_log_has("[emerg]"));
        cr_assert(evfx_log_has("valid records follow"), "%s", evfx.logbuf);

        /* the file was left as it was, for a human to look at */
        cr_assert_eq(file_size("log.0000000000000001"), (off_t) size);
    }

    free(img);
}


Test(keeper_log_replay, torn_batch_written_out_of_order)
{
    int64_t                   z[3];
    u_char                   *img;
    size_t                    offs[4], size, s;
    dr_keeper_recover_info_t  info;

    /* 3 records of 2 KiB: record 2 lost a sector, record 3 made it */

    seq(z, 1, 3);
    size = write_log(0, z, 3, 2000, 16384, offs, &img);

    s = (offs[1] + 511 + 100) & ~(size_t) 511;
    cr_assert_lt(s + 512, offs[2]);
    dr_memzero(img + s, 512);

    write_file("log.0000000000000001", img, size);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 1);
    cr_assert_eq(info.zxid, 1);
    cr_assert_eq(file_size("log.0000000000000001"), (off_t) offs[1]);
    cr_assert(evfx_log_has("[warn]"));

    free(img);
}


Test(keeper_log_replay, garbage_after_a_zero_length_is_cut)
{
    int64_t                   z[2];
    u_char                   *img;
    size_t                    offs[3], size;
    dr_keeper_recover_info_t  info;

    seq(z, 1, 2);
    size = write_log(0, z, 2, 20, 8192, offs, &img);
    img[offs[2] + 100] = 0x55;
    write_file("log.0000000000000001", img, size);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 2);
    cr_assert_eq(file_size("log.0000000000000001"), (off_t) offs[2]);
    cr_assert(evfx_log_has("garbage after the last record"));

    free(img);
}


Test(keeper_log_replay, a_bad_file_that_is_not_the_last)
{
    int64_t                   z[3];
    u_char                   *img;
    size_t                    offs[4], size;
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    size = write_log(0, z, 3, 20, 0, offs, &img);
    img[offs[3] - 1] ^= 1;
    write_file("log.0000000000000001", img, size);
    free(img);

    z[0] = 4;
    (void) write_log(3, z, 1, 20, 0, NULL, NULL);

    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("not the last log file"));

    /* a corrupt header of a needed file that is not the last */

    seq(z, 1, 3);
    size = write_log(0, z, 3, 20, 0, offs, &img);
    img[20] ^= 1;
    write_file("log.0000000000000001", img, size);
    free(img);

    evfx.loglen = 0;
    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("corrupt header"));
}


Test(keeper_log_replay, chained_files)
{
    int64_t                   z[3];
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    (void) write_log(0, z, 3, 20, 0, NULL, NULL);
    seq(z, 4, 3);
    (void) write_log(3, z, 3, 20, 0, NULL, NULL);
    seq(z, 7, 2);
    (void) write_log(6, z, 2, 20, 4096, NULL, NULL);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 8);
    cr_assert_eq(applied[7], 8);
    cr_assert_eq(info.files, 3);
    cr_assert_eq(info.zxid, 8);
}


Test(keeper_log_replay, missing_segment)
{
    int64_t                   z[3];
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    (void) write_log(0, z, 3, 20, 0, NULL, NULL);
    seq(z, 7, 2);
    (void) write_log(6, z, 2, 20, 0, NULL, NULL);

    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("a log segment is missing"));
    cr_assert(evfx_log_has("[emerg]"));
}


Test(keeper_log_replay, missing_start_without_snapshot)
{
    int64_t                   z[3];
    dr_keeper_recover_info_t  info;

    seq(z, 7, 2);
    (void) write_log(6, z, 2, 20, 0, NULL, NULL);

    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("a log segment is missing"));
}


Test(keeper_log_replay, out_of_order_record)
{
    int64_t                   z[3] = { 1, 2, 2 };
    dr_keeper_recover_info_t  info;

    (void) write_log(0, z, 3, 20, 0, NULL, NULL);

    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("out of zxid order"));
}


Test(keeper_log_replay, first_record_must_match_the_header)
{
    int64_t                   z[2] = { 2, 3 };
    u_char                   *img, hdr[DR_KEEPER_LOG_HEADER_SIZE];
    size_t                    size;
    dr_keeper_log_header_t    h;
    dr_keeper_recover_info_t  info;

    /* log.1 says its first record is 1, but it is 2 */

    size = write_log(0, z, 2, 20, 0, NULL, &img);
    h.prev = 0;
    h.first = 1;
    dr_keeper_log_header_write(hdr, &h);
    dr_memcpy(img, hdr, sizeof(hdr));
    write_file("log.0000000000000001", img, size);
    free(img);

    {
        char  path[256];

        path_of(path, "log.0000000000000002");
        cr_assert_eq(unlink(path), 0);
    }

    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("out of zxid order"));
}


Test(keeper_log_replay, torn_creation_of_the_last_file)
{
    int64_t                   z[3];
    u_char                    junk[100];
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    (void) write_log(0, z, 3, 20, 0, NULL, NULL);

    dr_memzero(junk, sizeof(junk));
    junk[0] = 'D';
    write_file("log.0000000000000004", junk, sizeof(junk));

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 3);
    cr_assert_eq(info.zxid, 3);
    cr_assert_eq(file_size("log.0000000000000004"), -1);
    cr_assert(evfx_log_has("has no valid header"));

    /* a last file with a header and no record goes too */

    z[0] = 4;
    (void) write_log(3, z, 1, 20, 4096, NULL, NULL);
    {
        int   fd;
        char  path[256];

        path_of(path, "log.0000000000000004");
        fd = open(path, O_WRONLY);
        cr_assert_eq(ftruncate(fd, DR_KEEPER_LOG_HEADER_SIZE), 0);
        cr_assert_eq(ftruncate(fd, 4096), 0);
        close(fd);
    }

    napplied = 0;
    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 3);
    cr_assert_eq(file_size("log.0000000000000004"), -1);
}


Test(keeper_log_replay, torn_first_record_of_the_last_file)
{
    int64_t                   z[3];
    u_char                   *img;
    size_t                    offs[2], size;
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    (void) write_log(0, z, 3, 20, 0, NULL, NULL);

    z[0] = 4;
    size = write_log(3, z, 1, 20, 4096, offs, &img);
    img[offs[0] + 30] ^= 0xff;
    write_file("log.0000000000000004", img, size);
    free(img);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 3);
    cr_assert_eq(info.zxid, 3);
    cr_assert_eq(file_size("log.0000000000000004"), -1);
}


Test(keeper_log_replay, apply_failure_stops_the_keeper)
{
    int64_t                   z[3];
    dr_keeper_recover_info_t  info;

    seq(z, 1, 3);
    (void) write_log(0, z, 3, 20, 0, NULL, NULL);
    apply_fail = 2;

    cr_assert_eq(recover(&info), DR_ERROR);
    cr_assert(evfx_log_has("replaying the record failed"));
}


Test(keeper_log_replay, the_log_resumes_after_recovery)
{
    int64_t                   z[3];
    size_t                    offs[4];
    u_char                   *img;
    dr_keeper_log_t          *lg;
    dr_keeper_recover_info_t  info;

    /* a crash left record 3 torn; recovery says 2; the next run chains */

    seq(z, 1, 3);
    (void) write_log(0, z, 3, 20, 4096, offs, &img);
    write_file("log.0000000000000001", img, offs[3] - 5);
    free(img);

    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(info.zxid, 2);

    lg = open_log(0, 0, 1, info.zxid);
    append(lg, 3, 20);
    append(lg, 4, 20);
    cr_assert_eq(dr_keeper_log_sync(lg), DR_OK);
    dr_keeper_log_close(lg);

    napplied = 0;
    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(napplied, 4);
    cr_assert_eq(info.files, 2);
    cr_assert_eq(info.zxid, 4);

    /* again, with nothing new: the zxid stays */

    lg = open_log(0, 0, 1, info.zxid);
    dr_keeper_log_close(lg);

    napplied = 0;
    cr_assert_eq(recover(&info), DR_OK);
    cr_assert_eq(info.zxid, 4);
}
