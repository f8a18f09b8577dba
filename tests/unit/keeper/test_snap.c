/*
 * Snapshots (src/keeper/dr_keeper_snap.c): the file format round trip
 * (null vs empty data, ACLs, stats, sequential counters, sessions, records
 * larger than the write buffer), hostile images (every truncation, every
 * bit, well-sealed lies), purging, the forked writer and its handshake
 * with the log, and recovery from snapshot + log.
 */

#include "event/event_fixture.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <zlib.h>


static char       tdir[64];
static dr_str_t   tdir_str;


/* the mock tree: what walk() writes and what the sink must get back */

typedef struct {
    const char               *path;
    const char               *data;     /* NULL: null */
    size_t                    len;
    dr_uint_t                 nacl;
    dr_zk_acl_t               acl[2];
    dr_zk_stat_t              stat;
    int32_t                   seq;
} mock_node_t;

static mock_node_t                 mnodes[8];
static dr_uint_t                   nmnodes;
static dr_keeper_snap_session_t    msessions[4];
static dr_uint_t                   nmsessions;
static int64_t                     mzxid;
static dr_uint_t                   walk_fail;
static dr_uint_t                   walk_session_first;
static u_char                     *big;

/* what the sink got */
static dr_uint_t                   got_nodes;
static dr_uint_t                   got_sessions;
static int64_t                     applied[1024];
static dr_uint_t                   napplied;


static int
rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void) st;
    (void) flag;
    (void) ftw;

    return remove(path);
}


static void
add_node(const char *path, const char *data, size_t len, int64_t zxid,
    int32_t seq)
{
    mock_node_t  *n;

    n = &mnodes[nmnodes++];
    dr_memzero(n, sizeof(mock_node_t));

    n->path = path;
    n->data = data;
    n->len = data ? len : 0;
    n->nacl = 1;
    n->acl[0].perms = DR_ZK_PERM_ALL;
    dr_str_set(&n->acl[0].id.scheme, "world");
    dr_str_set(&n->acl[0].id.id, "anyone");
    n->stat.czxid = zxid;
    n->stat.mzxid = zxid + 1;
    n->stat.pzxid = zxid + 2;
    n->stat.ctime = 1700000000000LL + zxid;
    n->stat.mtime = 1700000000500LL + zxid;
    n->stat.version = (int32_t) zxid % 7;
    n->stat.cversion = seq * 2;
    n->stat.aversion = -1;
    n->stat.ephemeral_owner = (int64_t) 0x8000000000000000ULL;
    n->stat.data_length = (int32_t) n->len;
    n->stat.num_children = 0;
    n->seq = seq;
}


static void
setup(void)
{
    evfx_init(0);
    evfx_start();

    strcpy(tdir, "/tmp/dr_test_ksnap_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));

    tdir_str.data = (u_char *) tdir;
    tdir_str.len = strlen(tdir);

    nmnodes = 0;
    nmsessions = 0;
    walk_fail = 0;
    walk_session_first = 0;
    got_nodes = 0;
    got_sessions = 0;
    napplied = 0;
    mzxid = 0x42;

    big = malloc(600 * 1024);
    cr_assert_not_null(big);
    memset(big, 'B', 600 * 1024);

    add_node("/", NULL, 0, 0, 2);
    add_node("/a", NULL, 0, 3, 0);
    add_node("/b", "", 0, 4, 5);
    add_node("/b/big", (char *) big, 600 * 1024, 5, 0);
    add_node("/c", "hello", 5, 6, 0);

    mnodes[2].nacl = 2;
    mnodes[2].acl[1].perms = DR_ZK_PERM_READ;
    dr_str_set(&mnodes[2].acl[1].id.scheme, "digest");
    dr_str_set(&mnodes[2].acl[1].id.id, "u:abcdefghijklmnopqrstuvwxyz0=");
    mnodes[4].stat.ephemeral_owner = 0x123456789LL;

    msessions[0].id = 0x123456789LL;
    msessions[0].timeout = 4000;
    memset(msessions[0].passwd, 0xa5, DR_ZK_PASSWD_LEN);
    msessions[0].last_seen = 1700000001000LL;
    msessions[1].id = 0x77;
    msessions[1].timeout = 30000;
    memset(msessions[1].passwd, 0x01, DR_ZK_PASSWD_LEN);
    msessions[1].last_seen = 1700000002000LL;
    nmsessions = 2;
}


static void
teardown(void)
{
    free(big);
    (void) nftw(tdir, rm_entry, 16, FTW_DEPTH|FTW_PHYS);
}


static int64_t
mock_zxid(void *data)
{
    (void) data;

    return mzxid;
}


static dr_int_t
mock_walk(void *data, dr_keeper_snap_writer_t *w)
{
    dr_uint_t                 i;
    mock_node_t              *m;
    dr_keeper_snap_node_t     n;

    (void) data;

    if (walk_session_first
        && dr_keeper_snap_write_session(w, &msessions[0]) != DR_OK)
    {
        return DR_ERROR;
    }

    for (i = 0; i < nmnodes; i++) {
        if (walk_fail && i == 2) {
            return DR_ERROR;
        }

        m = &mnodes[i];

        n.path.data = (u_char *) m->path;
        n.path.len = strlen(m->path);
        n.data.data = (u_char *) m->data;
        n.data.len = m->len;
        n.acl.nelts = (int32_t) m->nacl;
        n.acl.elts = m->acl;
        n.acl.start = NULL;
        n.acl.end = NULL;
        n.stat = m->stat;
        n.seq = m->seq;

        if (dr_keeper_snap_write_node(w, &n) != DR_OK) {
            return DR_ERROR;
        }
    }

    for (i = 0; i < nmsessions; i++) {
        if (dr_keeper_snap_write_session(w, &msessions[i]) != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static dr_keeper_snap_source_t  source = { NULL, mock_zxid, mock_walk };


static dr_int_t
sink_node(void *data, dr_keeper_snap_node_t *n)
{
    dr_uint_t          i;
    dr_zk_acl_t        acl;
    mock_node_t       *m;
    dr_zk_vec_iter_t   it;

    (void) data;

    cr_assert_lt(got_nodes, nmnodes);
    m = &mnodes[got_nodes++];

    cr_assert_eq(n->path.len, strlen(m->path));
    cr_assert(memcmp(n->path.data, m->path, n->path.len) == 0);

    if (m->data == NULL) {
        cr_assert_null(n->data.data, "%s: null stays null", m->path);

    } else {
        cr_assert_not_null(n->data.data, "%s: empty is not null", m->path);
        cr_assert_eq(n->data.len, m->len);
        cr_assert(memcmp(n->data.data, m->data, m->len) == 0);
    }

    cr_assert_eq(n->acl.nelts, (int32_t) m->nacl);
    it = dr_zk_vec_iter(&n->acl);

    for (i = 0; i < m->nacl; i++) {
        cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_OK);
        cr_assert_eq(acl.perms, m->acl[i].perms);
        cr_assert(dr_str_eq(&acl.id.scheme, &m->acl[i].id.scheme));
        cr_assert(dr_str_eq(&acl.id.id, &m->acl[i].id.id));
    }

    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_DONE);
    cr_assert(memcmp(&n->stat, &m->stat, sizeof(dr_zk_stat_t)) == 0,
              "%s: stat", m->path);
    cr_assert_eq(n->seq, m->seq);

    return DR_OK;
}


static dr_int_t
sink_session(void *data, dr_keeper_snap_session_t *s)
{
    dr_keeper_snap_session_t  *m;

    (void) data;

    cr_assert_lt(got_sessions, nmsessions);
    m = &msessions[got_sessions++];

    cr_assert_eq(s->id, m->id);
    cr_assert_eq(s->timeout, m->timeout);
    cr_assert_eq(s->last_seen, m->last_seen);
    cr_assert(memcmp(s->passwd, m->passwd, DR_ZK_PASSWD_LEN) == 0);

    return DR_OK;
}


static dr_keeper_snap_sink_t  sink = { NULL, sink_node, sink_session };


/* a sink that only counts (for hostile images) */

static dr_int_t
count_node(void *data, dr_keeper_snap_node_t *n)
{
    (void) data;
    (void) n;

    got_nodes++;
    return DR_OK;
}


static dr_int_t
count_session(void *data, dr_keeper_snap_session_t *s)
{
    (void) data;
    (void) s;

    got_sessions++;
    return DR_OK;
}


static dr_keeper_snap_sink_t  counter = { NULL, count_node, count_session };


static void
path_of(char *buf, const char *name)
{
    (void) snprintf(buf, 256, "%s/%s", tdir, name);
}


static int
exists(const char *name)
{
    char         path[256];
    struct stat  st;

    path_of(path, name);

    return stat(path, &st) == 0;
}


static u_char *
read_file(const char *name, size_t *size)
{
    int          fd;
    char         path[256];
    u_char      *p;
    struct stat  st;

    path_of(path, name);

    fd = open(path, O_RDONLY);
    cr_assert_neq(fd, -1, "%s", path);
    cr_assert_eq(fstat(fd, &st), 0);

    p = malloc(st.st_size + 1);
    cr_assert_not_null(p);
    cr_assert_eq(read(fd, p, st.st_size), st.st_size);
    close(fd);

    *size = st.st_size;

    return p;
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
touch(const char *name)
{
    write_file(name, (u_char *) "", 0);
}


/* recomputes both crcs: a lie that is well sealed */
static void
reseal(u_char *p, size_t size)
{
    size_t  body;

    body = size - DR_KEEPER_SNAP_HEADER_SIZE - DR_KEEPER_SNAP_TRAILER_SIZE;

    (void) dr_keeper_log_put32(p + 44, (uint32_t) crc32(0, p, 44));
    (void) dr_keeper_log_put64(p + size - 12, body);
    (void) dr_keeper_log_put32(p + size - 4,
                               (uint32_t) crc32(0, p + 48, body));
}


static void
save(int64_t zxid)
{
    dr_keeper_snap_info_t  info;

    cr_assert_eq(dr_keeper_snap_write_tmp(&tdir_str, zxid, &source, 1, &info,
                                          &evfx.log), DR_OK);
    cr_assert_eq(info.zxid, zxid);
    cr_assert_eq(info.nodes, nmnodes);
    cr_assert_eq(info.sessions, nmsessions);
    cr_assert_eq(dr_keeper_snap_publish(&tdir_str, zxid, 1, &evfx.log),
                 DR_OK);
}


/* the format */

TestSuite(keeper_snap_format, .init = setup, .fini = teardown,
          .timeout = 60);

Test(keeper_snap_format, round_trip)
{
    dr_keeper_snap_info_t  info;

    save(0x42);

    cr_assert(exists("snapshot.0000000000000042"));
    cr_assert(!exists("snapshot.0000000000000042.tmp"));

    cr_assert_eq(dr_keeper_snap_load(&tdir_str, 0x42, &sink, &info,
                                     &evfx.log), DR_OK);
    cr_assert_eq(got_nodes, nmnodes);
    cr_assert_eq(got_sessions, nmsessions);
    cr_assert_eq(info.zxid, 0x42);
    cr_assert_eq(info.nodes, 5);
    cr_assert_eq(info.sessions, 2);
    cr_assert_gt(info.time, 1700000000000LL);
}


Test(keeper_snap_format, empty_tree)
{
    size_t                 size;
    u_char                *p;
    dr_keeper_snap_info_t  info;

    nmnodes = 0;
    nmsessions = 0;
    save(1);

    p = read_file("snapshot.0000000000000001", &size);
    cr_assert_eq(size, DR_KEEPER_SNAP_HEADER_SIZE
                       + DR_KEEPER_SNAP_TRAILER_SIZE);
    cr_assert(memcmp(p, "DRKS", 4) == 0);
    cr_assert(memcmp(p + 48, "DRKE", 4) == 0);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_OK);
    cr_assert_eq(got_nodes + got_sessions, 0);
    free(p);
}


Test(keeper_snap_format, every_truncation_and_every_bit)
{
    size_t                 size, i;
    u_char                *p;
    unsigned               bit;
    dr_keeper_snap_info_t  info;

    /* a small one: without the big node */

    mnodes[3] = mnodes[4];
    nmnodes = 4;
    save(7);

    p = read_file("snapshot.0000000000000007", &size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_OK);
    cr_assert_eq(got_nodes, 4);
    got_nodes = 0;
    got_sessions = 0;

    for (i = 0; i < size; i++) {
        cr_assert_eq(dr_keeper_snap_parse(p, i, &counter, &info), DR_ERROR,
                     "cut at %zu", i);
    }

    for (i = 0; i < size; i++) {
        for (bit = 0; bit < 8; bit++) {
            p[i] ^= (u_char) (1 << bit);
            cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info),
                         DR_ERROR, "byte %zu bit %u", i, bit);
            p[i] ^= (u_char) (1 << bit);
        }
    }

    cr_assert_eq(got_nodes + got_sessions, 0, "nothing fed from a bad one");
    free(p);
}


Test(keeper_snap_format, well_sealed_lies)
{
    size_t                 size, body;
    u_char                *p, *q;
    dr_keeper_snap_info_t  info;

    nmnodes = 2;            /* "/" and "/a" */
    save(9);
    p = read_file("snapshot.0000000000000009", &size);

    /* one node more than there is */

    (void) dr_keeper_log_put64(p + 16, 3);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put64(p + 16, 2);

    /* one session fewer: bytes are left over */

    (void) dr_keeper_log_put64(p + 24, 1);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put64(p + 24, 2);

    /* a count no body could hold */

    (void) dr_keeper_log_put64(p + 16, 1ULL << 40);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put64(p + 16, 2);

    /* a relative path: "/" -> "x" (the first node's path byte) */

    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, NULL, &info), DR_OK);
    p[48 + 4] = 'x';
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    p[48 + 4] = '/';

    /* a data length that is not the data's: "/" has null data, length 0 */

    body = 48 + (4 + 1) + 4 + (4 + 4 + 4 + 5 + 4 + 6) + 8 * 4 + 4 * 3 + 8;
    cr_assert_eq(dr_keeper_log_get32(p + body), 0);
    (void) dr_keeper_log_put32(p + body, 1);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put32(p + body, 0);

    /* a password of 15 bytes: the last session's length field */

    q = p + size - DR_KEEPER_SNAP_TRAILER_SIZE - 8 - 16 - 4;
    cr_assert_eq(dr_keeper_log_get32(q), 16);
    (void) dr_keeper_log_put32(q, 15);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put32(q, 16);

    /* a timeout of 0 */

    (void) dr_keeper_log_put32(q - 4, 0);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put32(q - 4, 30000);

    /* another version */

    (void) dr_keeper_log_put32(p + 4, 2);
    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_ERROR);
    (void) dr_keeper_log_put32(p + 4, 1);

    reseal(p, size);
    cr_assert_eq(dr_keeper_snap_parse(p, size, &counter, &info), DR_OK);
    cr_assert_eq(got_nodes, 2);
    cr_assert_eq(got_sessions, 2);

    free(p);
}


Test(keeper_snap_format, writer_errors)
{
    dr_keeper_snap_info_t  info;

    walk_session_first = 1;
    cr_assert_eq(dr_keeper_snap_write_tmp(&tdir_str, 3, &source, 1, &info,
                                          &evfx.log), DR_ERROR);
    cr_assert(evfx_log_has("a node out of order"));
    cr_assert(!exists("snapshot.0000000000000003.tmp"));

    walk_session_first = 0;
    walk_fail = 1;
    cr_assert_eq(dr_keeper_snap_write_tmp(&tdir_str, 3, &source, 1, &info,
                                          &evfx.log), DR_ERROR);
    cr_assert(evfx_log_has("the tree walk failed"));
    cr_assert(!exists("snapshot.0000000000000003.tmp"));

    cr_assert_eq(dr_keeper_snap_publish(&tdir_str, 3, 1, &evfx.log),
                 DR_ERROR);
    cr_assert(evfx_log_has("rename("));
}


Test(keeper_snap_format, load_checks_the_name)
{
    char                   a[256], b[256];
    dr_keeper_snap_info_t  info;

    save(5);
    path_of(a, "snapshot.0000000000000005");
    path_of(b, "snapshot.0000000000000006");
    cr_assert_eq(rename(a, b), 0);

    cr_assert_eq(dr_keeper_snap_load(&tdir_str, 6, &counter, &info,
                                     &evfx.log), DR_DECLINED);
    cr_assert_eq(got_nodes, 0);

    touch("snapshot.0000000000000007");
    cr_assert_eq(dr_keeper_snap_load(&tdir_str, 7, &counter, &info,
                                     &evfx.log), DR_DECLINED);

    cr_assert_eq(dr_keeper_snap_load(&tdir_str, 8, &counter, &info,
                                     &evfx.log), DR_ERROR);
}


Test(keeper_snap_format, purge)
{
    dr_uint_t  i;
    char       name[64];
    int64_t    snaps[] = { 0x10, 0x20, 0x30, 0x40 };
    int64_t    logs[] = { 0x1, 0x8, 0x15, 0x25, 0x35, 0x41 };

    for (i = 0; i < 4; i++) {
        (void) dr_keeper_log_name((u_char *) name, "snapshot", snaps[i],
                                  NULL);
        touch(name);
    }

    for (i = 0; i < 6; i++) {
        (void) dr_keeper_log_name((u_char *) name, "log", logs[i], NULL);
        touch(name);
    }

    touch("unrelated");

    dr_keeper_snap_purge(&tdir_str, 2, &evfx.log);

    cr_assert(!exists("snapshot.0000000000000010"));
    cr_assert(!exists("snapshot.0000000000000020"));
    cr_assert(exists("snapshot.0000000000000030"));
    cr_assert(exists("snapshot.0000000000000040"));

    /* replaying from 0x30 needs log.25 on (it holds 0x25..0x34) */

    cr_assert(!exists("log.0000000000000001"));
    cr_assert(!exists("log.0000000000000008"));
    cr_assert(!exists("log.0000000000000015"));
    cr_assert(exists("log.0000000000000025"));
    cr_assert(exists("log.0000000000000035"));
    cr_assert(exists("log.0000000000000041"));
    cr_assert(exists("unrelated"));

    /* a log that starts right after the snapshot is all it needs */

    touch("log.0000000000000031");
    dr_keeper_snap_purge(&tdir_str, 2, &evfx.log);
    cr_assert(!exists("log.0000000000000025"));
    cr_assert(exists("log.0000000000000031"));

    /* keep 1 */

    dr_keeper_snap_purge(&tdir_str, 1, &evfx.log);
    cr_assert(!exists("snapshot.0000000000000030"));
    cr_assert(exists("snapshot.0000000000000040"));
    cr_assert(!exists("log.0000000000000031"));

    /* log.35 holds 0x35..0x40: all in snapshot 0x40 */
    cr_assert(!exists("log.0000000000000035"));
    cr_assert(exists("log.0000000000000041"));
}


/* recovery: snapshot + log */

static dr_int_t
rec_apply(void *data, dr_keeper_log_txn_t *txn)
{
    (void) data;

    applied[napplied++] = txn->zxid;
    return DR_OK;
}


static dr_keeper_recover_handler_t  rhandler = {
    { NULL, count_node, count_session }, rec_apply
};


static void
write_log(int64_t prev, int64_t first, dr_uint_t n)
{
    int                     fd;
    char                    path[256];
    u_char                  buf[4096], name[DR_KEEPER_LOG_NAME_MAX], *p;
    dr_uint_t               i;
    dr_keeper_log_txn_t     t;
    dr_keeper_log_header_t  h;

    h.prev = prev;
    h.first = first;
    dr_keeper_log_header_write(buf, &h);
    p = buf + DR_KEEPER_LOG_HEADER_SIZE;

    for (i = 0; i < n; i++) {
        dr_memzero(&t, sizeof(t));
        t.zxid = first + i;
        t.type = 5;
        dr_str_set(&t.body, "body");

        dr_keeper_log_record_write(p, &t);
        dr_keeper_log_record_seal(p);
        p += DR_KEEPER_LOG_RECORD_MIN + 4;
    }

    (void) dr_keeper_log_name(name, "log", first, NULL);
    path_of(path, (char *) name);

    fd = open(path, O_WRONLY|O_CREAT|O_TRUNC, 0600);
    cr_assert_neq(fd, -1);
    cr_assert_eq(write(fd, buf, p - buf), p - buf);
    close(fd);
}


TestSuite(keeper_snap_recover, .init = setup, .fini = teardown,
          .timeout = 60);

Test(keeper_snap_recover, snapshot_then_the_log_after_it)
{
    dr_keeper_recover_info_t  info;

    nmnodes = 3;
    save(5);
    write_log(0, 1, 8);
    touch("snapshot.0000000000000009.tmp");

    cr_assert_eq(dr_keeper_recover(&tdir_str, &rhandler, &info, &evfx.log),
                 DR_OK);
    cr_assert_eq(info.snapshot, 5);
    cr_assert_eq(got_nodes, 3);
    cr_assert_eq(got_sessions, 2);
    cr_assert_eq(napplied, 3);
    cr_assert_eq(applied[0], 6);
    cr_assert_eq(applied[2], 8);
    cr_assert_eq(info.replayed, 3);
    cr_assert_eq(info.zxid, 8);
    cr_assert(!exists("snapshot.0000000000000009.tmp"));
    cr_assert(evfx_log_has("removing the unfinished"));
}


Test(keeper_snap_recover, the_newest_valid_snapshot_wins)
{
    size_t                    size;
    u_char                   *p;
    dr_keeper_recover_info_t  info;

    nmnodes = 2;
    save(3);
    nmnodes = 3;
    save(6);
    write_log(0, 1, 4);
    write_log(4, 5, 4);

    /* 6 is corrupt: 3, then the log from 4 */

    p = read_file("snapshot.0000000000000006", &size);
    p[60] ^= 1;
    write_file("snapshot.0000000000000006", p, size);
    free(p);

    cr_assert_eq(dr_keeper_recover(&tdir_str, &rhandler, &info, &evfx.log),
                 DR_OK);
    cr_assert_eq(info.snapshot, 3);
    cr_assert_eq(got_nodes, 2, "the corrupt one fed nothing");
    cr_assert_eq(napplied, 5);
    cr_assert_eq(applied[0], 4);
    cr_assert_eq(info.zxid, 8);
    cr_assert(evfx_log_has("snapshot.0000000000000006\" is corrupt"));
}


Test(keeper_snap_recover, a_corrupt_snapshot_without_the_log_behind_it)
{
    size_t                    size;
    u_char                   *p;
    dr_keeper_recover_info_t  info;

    save(6);
    write_log(6, 7, 2);

    p = read_file("snapshot.0000000000000006", &size);
    p[60] ^= 1;
    write_file("snapshot.0000000000000006", p, size);
    free(p);

    cr_assert_eq(dr_keeper_recover(&tdir_str, &rhandler, &info, &evfx.log),
                 DR_ERROR);
    cr_assert(evfx_log_has("a log segment is missing"));
}


Test(keeper_snap_recover, the_zxid_never_goes_back)
{
    dr_keeper_recover_info_t  info;

    /* a snapshot newer than anything in the log */

    write_log(0, 1, 5);
    save(9);

    cr_assert_eq(dr_keeper_recover(&tdir_str, &rhandler, &info, &evfx.log),
                 DR_OK);
    cr_assert_eq(napplied, 0);
    cr_assert_eq(info.zxid, 9);

    /* the log goes on at 10, chained on 9: the gap 6..9 is the snapshot's */

    write_log(9, 10, 2);

    cr_assert_eq(dr_keeper_recover(&tdir_str, &rhandler, &info, &evfx.log),
                 DR_OK);
    cr_assert_eq(napplied, 2);
    cr_assert_eq(info.zxid, 11);
}


static dr_int_t
fail_session(void *data, dr_keeper_snap_session_t *s)
{
    (void) data;
    (void) s;

    return DR_ERROR;
}


Test(keeper_snap_recover, a_sink_failure_stops_the_keeper)
{
    dr_keeper_recover_info_t     info;
    dr_keeper_recover_handler_t  h;

    save(2);
    save(1);

    /* not a corrupt file: the older snapshot is not tried */

    h = rhandler;
    h.sink.session = fail_session;

    cr_assert_eq(dr_keeper_recover(&tdir_str, &h, &info, &evfx.log),
                 DR_ERROR);
    cr_assert(evfx_log_has("loading \""));
    cr_assert(evfx_log_has("snapshot.0000000000000002\" failed"));
    cr_assert_eq(got_nodes, nmnodes);
}


/* the forked snapshot */

static dr_keeper_snap_t  snap;


static void
snap_conf(void)
{
    dr_memzero(&snap, sizeof(snap));
    snap.dir = tdir_str;
    snap.keep = 2;
    snap.fsync = 1;
    snap.source = source;
    snap.log = &evfx.log;
}


/* turns the loop until cond() is false or <msec> pass; 1 if it is */
static int
run_while(int (*cond)(void), dr_msec_t msec)
{
    int  never;

    never = 0;

    while (cond() && msec) {
        (void) evfx_run_until(&never, 50);
        msec = msec > 50 ? msec - 50 : 0;
    }

    return !cond();
}


static int
not_written(void)
{
    return snap.running && !snap.written;
}


static int
running(void)
{
    return snap.running;
}


Test(keeper_snap_process, writes_waits_for_the_log_publishes_purges,
     .init = setup, .fini = teardown, .timeout = 60)
{
    int      sv[2];
    char     c;
    ssize_t  n;

    snap_conf();

    /* a client connection the keeper has: the child must not hold it */

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

    touch("snapshot.0000000000000001");
    touch("snapshot.0000000000000002");
    touch("log.0000000000000001");
    touch("log.0000000000000003");

    cr_assert_eq(dr_keeper_snap_start(&snap, 0x40), DR_OK);
    cr_assert_eq(dr_keeper_snap_start(&snap, 0x40), DR_BUSY);

    cr_assert(run_while(not_written, 20000));
    cr_assert(snap.running);
    cr_assert(snap.written);
    cr_assert_eq(snap.info.nodes, 5);
    cr_assert_eq(snap.info.sessions, 2);

    /* the log is not durable up to 0x42 yet: nothing published */

    cr_assert(exists("snapshot.0000000000000042.tmp"));
    cr_assert(!exists("snapshot.0000000000000042"));

    close(sv[0]);
    do {
        n = recv(sv[1], &c, 1, 0);
    } while (n == -1 && errno == EINTR);
    cr_assert_eq(n, 0, "the snapshot process held the keeper's socket");
    close(sv[1]);

    dr_keeper_snap_durable(&snap, 0x41);
    cr_assert(!snap.go);

    dr_keeper_snap_durable(&snap, 0x42);
    cr_assert(snap.go);

    cr_assert(run_while(running, 20000));
    cr_assert_eq(snap.done, 1);
    cr_assert_eq(snap.failed, 0);
    cr_assert_eq(snap.last, 0x42);
    cr_assert(exists("snapshot.0000000000000042"));
    cr_assert(!exists("snapshot.0000000000000042.tmp"));
    cr_assert(evfx_log_has("snapshot of zxid 0x42 written"));

    /* keep 2: 1 goes, and the log before 3 */

    cr_assert(!exists("snapshot.0000000000000001"));
    cr_assert(exists("snapshot.0000000000000002"));
    cr_assert(!exists("log.0000000000000001"));
    cr_assert(exists("log.0000000000000003"));

    /* the child was reaped */
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
    cr_assert_eq(errno, ECHILD);

    /* nothing new */
    cr_assert_eq(dr_keeper_snap_start(&snap, 0x42), DR_DECLINED);

    mzxid = 0x50;
    cr_assert_eq(dr_keeper_snap_start(&snap, 0x50), DR_OK);
    cr_assert(run_while(not_written, 20000));

    /* already durable when written: published without being told */
    cr_assert(snap.go);
    cr_assert(run_while(running, 20000));
    cr_assert(exists("snapshot.0000000000000050"));
    cr_assert(!exists("snapshot.0000000000000002"));
}


Test(keeper_snap_process, a_failing_child, .init = setup, .fini = teardown,
     .timeout = 60)
{
    snap_conf();
    walk_fail = 1;

    cr_assert_eq(dr_keeper_snap_start(&snap, 0), DR_OK);
    cr_assert(run_while(running, 20000));
    cr_assert_eq(snap.failed, 1);
    cr_assert_eq(snap.done, 0);
    cr_assert(!exists("snapshot.0000000000000042.tmp"));
    cr_assert(!exists("snapshot.0000000000000042"));

    /* and the next one works */

    walk_fail = 0;
    cr_assert_eq(dr_keeper_snap_start(&snap, 0x42), DR_OK);
    cr_assert(run_while(running, 20000));
    cr_assert_eq(snap.done, 1);
    cr_assert(exists("snapshot.0000000000000042"));
}


Test(keeper_snap_process, abort_kills_a_waiting_child, .init = setup,
     .fini = teardown, .timeout = 60)
{
    snap_conf();

    cr_assert_eq(dr_keeper_snap_start(&snap, 0), DR_OK);
    cr_assert(run_while(not_written, 20000));

    dr_keeper_snap_abort(&snap);
    cr_assert(!snap.running);
    cr_assert(!exists("snapshot.0000000000000042.tmp"));
    cr_assert(!exists("snapshot.0000000000000042"));
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1);
}


/* the log starts snapshots every N transactions and rolls */

static int        log_done;

static void
on_done(void *data, dr_int_t rc)
{
    (void) data;

    cr_assert_eq(rc, DR_OK);
    log_done++;
}


Test(keeper_snap_process, the_log_triggers_snapshots, .init = setup,
     .fini = teardown, .timeout = 60)
{
    int64_t               z;
    dr_keeper_log_t      *lg;
    dr_keeper_log_txn_t   t;
    dr_keeper_log_conf_t  conf;

    snap_conf();

    dr_memzero(&conf, sizeof(conf));
    conf.dir = tdir_str;
    conf.fsync = 1;
    conf.snapshot_every = 5;
    conf.snap = &snap;

    lg = dr_keeper_log_init(&conf, 0, &evfx.log);
    cr_assert_not_null(lg);

    for (z = 1; z <= 5; z++) {
        dr_memzero(&t, sizeof(t));
        t.zxid = z;
        t.type = 2;
        cr_assert_eq(dr_keeper_log_append(lg, &t, on_done, NULL), DR_OK);
    }

    /* the tree is at 5 when the turn ends */

    mzxid = 5;
    dr_event_process_posted(&evfx.cycle, &dr_posted_events);
    cr_assert(snap.running);

    /* written, waits for the log; the log's completion releases it */

    cr_assert(run_while(running, 20000));
    cr_assert_eq(log_done, 5);
    cr_assert(exists("snapshot.0000000000000005"));

    /* the next batch went to a new file */

    dr_memzero(&t, sizeof(t));
    t.zxid = 6;
    cr_assert_eq(dr_keeper_log_append(lg, &t, on_done, NULL), DR_OK);
    cr_assert_eq(dr_keeper_log_sync(lg), DR_OK);
    cr_assert(exists("log.0000000000000006"));

    dr_keeper_log_close(lg);

    /* keep 2 snapshots: log.1 is still needed by nothing older */
    cr_assert(exists("log.0000000000000001"));
}
