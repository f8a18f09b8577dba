/*
 * libFuzzer target for the keeper's on-disk decoders: what recovery reads
 * from a data_dir that a crash, a bad disk or a hostile hand left behind.
 *
 * The first byte picks a mode, the rest is the file image:
 *   0  a log file as is (a valid header is put in front unless it has one),
 *      through the recovery scanner with a replaying handler;
 *   1  the same with every record's crc recomputed, so that the record
 *      decoder, the zxid order checks and the tail classifier see records
 *      that pass the crc;
 *   2  a snapshot as is;
 *   3  a snapshot with its header and body crcs recomputed, so that the
 *      node and session decoders run on hostile structure;
 *   4  node and session records back to back, through their decoders.
 * Invariants: nothing reads outside the image, views stay inside it, a
 * scan's good prefix parses again to the same records, a clean tail is
 * zeros, a snapshot feeds exactly the counts of its header (or nothing).
 * Seeds: tests/fuzz/corpus/keeper_log/.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_keeper_log.h"
#include "dr_keeper_snap.h"

#include <zlib.h>


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)


static u_char     *fuzz_lo, *fuzz_hi;
static int64_t     fuzz_last;
static uint64_t    fuzz_nodes, fuzz_sessions, fuzz_applied;
static volatile u_char  fuzz_sink;


static void
fuzz_view(dr_str_t *s)
{
    size_t  i;

    if (s->data == NULL) {
        fuzz_assert(s->len == 0);
        return;
    }

    fuzz_assert(s->data >= fuzz_lo && s->data + s->len <= fuzz_hi);

    for (i = 0; i < s->len; i++) {
        fuzz_sink ^= s->data[i];
    }
}


static dr_int_t
fuzz_apply(void *data, dr_keeper_log_txn_t *txn)
{
    (void) data;

    fuzz_assert(txn->zxid > fuzz_last);
    fuzz_last = txn->zxid;
    fuzz_view(&txn->body);
    fuzz_applied++;

    /* a replay failure must stop the scan: fail now and then */
    return (txn->zxid % 97 == 13) ? DR_ERROR : DR_OK;
}


static dr_int_t
fuzz_node(void *data, dr_keeper_snap_node_t *n)
{
    dr_int_t          rc;
    dr_zk_acl_t       acl;
    dr_zk_vec_iter_t  it;

    (void) data;

    fuzz_view(&n->path);
    fuzz_view(&n->data);
    fuzz_assert(n->path.len > 0 && n->path.data[0] == '/');
    fuzz_assert(n->acl.nelts >= 0);

    it = dr_zk_vec_iter(&n->acl);

    while ((rc = dr_zk_vec_next_acl(&it, &acl)) == DR_OK) {
        fuzz_view(&acl.id.scheme);
        fuzz_view(&acl.id.id);
    }

    fuzz_assert(rc == DR_DONE);
    fuzz_nodes++;

    return DR_OK;
}


static dr_int_t
fuzz_session(void *data, dr_keeper_snap_session_t *s)
{
    (void) data;

    fuzz_assert(s->timeout > 0);
    fuzz_sessions++;

    return DR_OK;
}


static dr_keeper_recover_handler_t  fuzz_handler = {
    { NULL, fuzz_node, fuzz_session }, fuzz_apply
};


/* recomputes the crc of every record whose length fits */
static void
fuzz_seal_records(u_char *p, size_t size)
{
    size_t    off;
    uint32_t  len;

    off = DR_KEEPER_LOG_HEADER_SIZE;

    while (off + DR_KEEPER_LOG_RECORD_MIN <= size) {
        len = dr_keeper_log_get32(p + off);

        if (len < DR_KEEPER_LOG_TXN_SIZE
            || len > size - off - DR_KEEPER_LOG_FRAME_SIZE)
        {
            return;
        }

        dr_keeper_log_record_seal(p + off);
        off += DR_KEEPER_LOG_FRAME_SIZE + len;
    }
}


static void
fuzz_log(const uint8_t *data, size_t size, dr_uint_t seal)
{
    u_char                    *p;
    size_t                     n, i, off;
    ssize_t                    k;
    dr_int_t                   rc;
    dr_keeper_log_txn_t        txn;
    dr_keeper_log_header_t     h;
    dr_keeper_recover_scan_t   r;

    p = malloc(size + DR_KEEPER_LOG_HEADER_SIZE);
    if (p == NULL) {
        return;
    }

    if (dr_keeper_log_header_parse((u_char *) data, size, &h) == DR_OK) {
        dr_memcpy(p, data, size);
        n = size;

    } else {
        h.prev = 0;
        h.first = (size >= 8 + DR_KEEPER_LOG_FRAME_SIZE)
                  ? (int64_t) (dr_keeper_log_get64(data
                                                   + DR_KEEPER_LOG_FRAME_SIZE)
                               & 0x7fffffffffffffffULL)
                  : 1;
        if (h.first <= 0) {
            h.first = 1;
        }

        dr_keeper_log_header_write(p, &h);
        dr_memcpy(p + DR_KEEPER_LOG_HEADER_SIZE, data, size);
        n = size + DR_KEEPER_LOG_HEADER_SIZE;
    }

    if (seal) {
        fuzz_seal_records(p, n);
    }

    fuzz_lo = p;
    fuzz_hi = p + n;
    fuzz_last = h.prev;

    rc = dr_keeper_recover_scan(p, n, &h, h.prev, &fuzz_handler, &r);

    fuzz_assert(r.end >= DR_KEEPER_LOG_HEADER_SIZE || n
                                                   < DR_KEEPER_LOG_HEADER_SIZE);
    fuzz_assert(r.end <= n);
    fuzz_assert(r.tail <= DR_KEEPER_RECOVER_CORRUPT);
    fuzz_assert(r.applied <= r.records);

    if (rc == DR_OK) {
        fuzz_assert(r.applied == r.records);

        if (r.tail == DR_KEEPER_RECOVER_CLEAN) {
            for (i = r.end; i < n; i++) {
                fuzz_assert(p[i] == 0);
            }

        } else {
            fuzz_assert(r.why != NULL);
        }

        /* the good prefix reads again as the same records */

        for (off = DR_KEEPER_LOG_HEADER_SIZE, i = 0; off < r.end; i++) {
            k = dr_keeper_log_record_parse(p + off, r.end - off, &txn);
            fuzz_assert(k > 0);
            off += k;
        }

        fuzz_assert(off == r.end || r.end < DR_KEEPER_LOG_HEADER_SIZE);
        fuzz_assert(i == r.records);

    } else {
        fuzz_assert(r.why != NULL);
        fuzz_assert(r.tail == DR_KEEPER_RECOVER_CORRUPT);
    }

    free(p);
}


static void
fuzz_snap(const uint8_t *data, size_t size, dr_uint_t seal)
{
    u_char                 *p;
    size_t                  body;
    dr_int_t                rc;
    dr_keeper_snap_info_t   info;
    dr_keeper_snap_sink_t   sink;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return;
    }

    dr_memcpy(p, data, size);

    if (seal && size >= DR_KEEPER_SNAP_HEADER_SIZE
                        + DR_KEEPER_SNAP_TRAILER_SIZE)
    {
        body = size - DR_KEEPER_SNAP_HEADER_SIZE - DR_KEEPER_SNAP_TRAILER_SIZE;

        (void) dr_keeper_log_put32(p, DR_KEEPER_SNAP_MAGIC);
        (void) dr_keeper_log_put32(p + 4, DR_KEEPER_SNAP_VERSION);
        (void) dr_keeper_log_put32(p + 44, (uint32_t) crc32(0, p, 44));
        (void) dr_keeper_log_put32(p + size - 16, DR_KEEPER_SNAP_END_MAGIC);
        (void) dr_keeper_log_put64(p + size - 12, body);
        (void) dr_keeper_log_put32(p + size - 4,
                                   (uint32_t) crc32_z(0, p + 48, body));
    }

    fuzz_lo = p;
    fuzz_hi = p + size;
    fuzz_nodes = 0;
    fuzz_sessions = 0;

    sink = fuzz_handler.sink;

    rc = dr_keeper_snap_parse(p, size, &sink, &info);

    if (rc == DR_OK) {
        fuzz_assert(fuzz_nodes == info.nodes);
        fuzz_assert(fuzz_sessions == info.sessions);

    } else {
        fuzz_assert(fuzz_nodes == 0 && fuzz_sessions == 0);
    }

    free(p);
}


static void
fuzz_records(const uint8_t *data, size_t size)
{
    u_char                    *p;
    dr_zk_reader_t             rd;
    dr_keeper_snap_node_t      n;
    dr_keeper_snap_session_t   s;

    p = malloc(size ? size : 1);
    if (p == NULL) {
        return;
    }

    dr_memcpy(p, data, size);
    fuzz_lo = p;
    fuzz_hi = p + size;

    rd = dr_zk_reader_init(p, size);

    while (dr_keeper_snap_read_node(&rd, &n) == DR_OK) {
        fuzz_assert(rd.pos <= rd.last);
        (void) fuzz_node(NULL, &n);
    }

    rd = dr_zk_reader_init(p, size);

    while (dr_keeper_snap_read_session(&rd, &s) == DR_OK) {
        fuzz_assert(rd.pos <= rd.last);
    }

    free(p);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0) {
        return 0;
    }

    switch (data[0] % 5) {

    case 0:
    case 1:
        fuzz_log(data + 1, size - 1, data[0] % 5);
        break;

    case 2:
    case 3:
        fuzz_snap(data + 1, size - 1, data[0] % 5 == 3);
        break;

    default:
        fuzz_records(data + 1, size - 1);
        break;
    }

    return 0;
}
