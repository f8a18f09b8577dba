/*
 * libFuzzer target for the jute codec and the protocol records.
 *
 * The input is one frame payload (no length prefix). It is split as a
 * stream by the frame parser, decoded as a ConnectRequest and a
 * ConnectResponse, as RequestHeader + the body of every client opcode of the
 * table (whatever the header says), and as ReplyHeader + every response
 * record and a multi response. Whatever decodes must survive a round trip:
 * encode, decode the encoding, encode again, same bytes (booleans are
 * normalised by the first encoding, so the first pass is not compared with
 * the input). Validated vectors and multi views must walk without error.
 * Seeds: tests/fuzz/corpus/zk_jute/, frames recorded between kazoo /
 * zkCli.sh and ZooKeeper 3.8.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_zk.h"


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)


/* room for any decoded record, aligned for its int64_t fields */
typedef union {
    u_char    bytes[512];
    int64_t   align;
    void     *ptr;
} fuzz_record_u;


static u_char  *fuzz_out1, *fuzz_out2;
static size_t   fuzz_cap;


static const dr_zk_jute_record_t  *fuzz_responses[] = {
    &dr_zk_stat_rec, &dr_zk_multi_header_rec, &dr_zk_watcher_event_rec,
    &dr_zk_create_response_rec, &dr_zk_create2_response_rec,
    &dr_zk_sync_response_rec, &dr_zk_exists_response_rec,
    &dr_zk_set_data_response_rec, &dr_zk_set_acl_response_rec,
    &dr_zk_get_data_response_rec, &dr_zk_get_acl_response_rec,
    &dr_zk_get_children_response_rec, &dr_zk_get_children2_response_rec,
    &dr_zk_get_ephemerals_response_rec,
    &dr_zk_get_all_children_number_response_rec, &dr_zk_error_response_rec,
    &dr_zk_who_am_i_response_rec, &dr_zk_set_sasl_response_rec,
    &dr_zk_create_ttl_request_rec, &dr_zk_set_watches2_rec,
};


/* walks every vector field of a decoded record: it must never fail */
static void
fuzz_walk_vectors(const dr_zk_jute_record_t *rec, void *r)
{
    dr_uint_t                  i;
    dr_int_t                   rc;
    dr_str_t                   s;
    dr_zk_acl_t                acl;
    dr_zk_id_t                 id;
    dr_zk_client_info_t        ci;
    dr_zk_vec_iter_t           it;
    const dr_zk_jute_field_t  *f;

    for (i = 0; i < rec->nfields; i++) {
        f = &rec->fields[i];

        if (f->type < DR_ZK_JUTE_VEC_USTRING) {
            if (f->type == DR_ZK_JUTE_USTRING) {
                (void) dr_zk_path_validate((dr_str_t *) ((u_char *) r
                                                         + f->offset), 0);
                (void) dr_zk_path_validate((dr_str_t *) ((u_char *) r
                                                         + f->offset), 1);
            }
            continue;
        }

        it = dr_zk_vec_iter((dr_zk_vec_t *) ((u_char *) r + f->offset));

        do {
            switch (f->type) {
            case DR_ZK_JUTE_VEC_USTRING:
                rc = dr_zk_vec_next_str(&it, &s);
                break;
            case DR_ZK_JUTE_VEC_ACL:
                rc = dr_zk_vec_next_acl(&it, &acl);
                break;
            case DR_ZK_JUTE_VEC_ID:
                rc = dr_zk_vec_next_id(&it, &id);
                break;
            default:
                rc = dr_zk_vec_next_client_info(&it, &ci);
                break;
            }

            fuzz_assert(rc == DR_OK || rc == DR_DONE);

        } while (rc == DR_OK);
    }
}


/* decoded <r> as <rec>: encode, decode, encode again: same bytes */
static void
fuzz_round_trip(const dr_zk_jute_record_t *rec, void *r)
{
    fuzz_record_u   back;
    size_t          len;
    dr_zk_writer_t  wr;
    dr_zk_reader_t  rd;

    fuzz_assert(rec->size <= sizeof(back));

    wr = dr_zk_writer_init(fuzz_out1, fuzz_cap);
    fuzz_assert(dr_zk_jute_encode(rec, &wr, r) == DR_OK);
    len = dr_zk_writer_len(&wr);

    rd = dr_zk_reader_init(fuzz_out1, len);
    fuzz_assert(dr_zk_jute_decode(rec, &rd, &back) == DR_OK);
    fuzz_assert(dr_zk_reader_left(&rd) == 0);

    wr = dr_zk_writer_init(fuzz_out2, fuzz_cap);
    fuzz_assert(dr_zk_jute_encode(rec, &wr, &back) == DR_OK);
    fuzz_assert(dr_zk_writer_len(&wr) == len);
    fuzz_assert(memcmp(fuzz_out1, fuzz_out2, len) == 0);

    /* a writer one byte short refuses and writes nothing */
    if (len) {
        wr = dr_zk_writer_init(fuzz_out2, len - 1);
        fuzz_assert(dr_zk_jute_encode(rec, &wr, &back) == DR_ERROR);
        fuzz_assert(dr_zk_writer_len(&wr) == 0);
    }
}


static void
fuzz_multi_request(dr_zk_multi_request_t *m)
{
    dr_int_t          rc;
    dr_uint_t         n;
    dr_zk_reader_t    ops;
    dr_zk_writer_t    wr;
    dr_zk_multi_op_t  op;

    ops = m->ops;
    wr = dr_zk_writer_init(fuzz_out1, fuzz_cap);
    n = 0;

    while ((rc = dr_zk_multi_next(&ops, &op)) == DR_OK) {
        fuzz_assert(dr_zk_multi_op_encode(&wr, &op) == DR_OK);
        n++;
    }

    fuzz_assert(rc == DR_DONE);
    fuzz_assert(n == m->nops && m->reads + m->writes == n);
    fuzz_assert(dr_zk_multi_end_encode(&wr) == DR_OK);
}


static void
fuzz_multi_response(dr_zk_reader_t rd)
{
    dr_int_t                rc;
    dr_uint_t               n;
    dr_zk_reader_t          results;
    dr_zk_writer_t          wr;
    dr_zk_multi_result_t    res;
    dr_zk_multi_response_t  m;

    if (dr_zk_multi_response_decode(&rd, &m) != DR_OK) {
        return;
    }

    results = m.results;
    wr = dr_zk_writer_init(fuzz_out1, fuzz_cap);
    n = 0;

    while ((rc = dr_zk_multi_result_next(&results, &res)) == DR_OK) {
        fuzz_assert(dr_zk_multi_result_encode(&wr, &res) == DR_OK);
        n++;
    }

    fuzz_assert(rc == DR_DONE && n == m.nresults);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                    *p;
    int32_t                    type;
    dr_str_t                   payload;
    dr_uint_t                  i;
    dr_zk_reader_t             rd, body;
    dr_zk_writer_t             wr;
    dr_zk_request_t            req;
    const dr_zk_op_t          *op;
    dr_zk_reply_header_t       rh;
    dr_zk_request_header_t     h;
    dr_zk_connect_request_t    cr;
    dr_zk_connect_response_t   cresp;
    fuzz_record_u              any;

    p = (u_char *) data;

    fuzz_cap = size + 64;
    fuzz_out1 = malloc(fuzz_cap);
    fuzz_out2 = malloc(fuzz_cap);
    fuzz_assert(fuzz_out1 && fuzz_out2);

    (void) dr_zk_jute_frame_parse(p, size, DR_ZK_JUTE_MAXBUFFER, &payload);

    rd = dr_zk_reader_init(p, size);
    if (dr_zk_connect_request_decode(&rd, &cr) == DR_OK) {
        wr = dr_zk_writer_init(fuzz_out1, fuzz_cap);
        fuzz_assert(dr_zk_connect_request_encode(&wr, &cr) == DR_OK);
        fuzz_assert(dr_zk_writer_len(&wr) <= size);
    }

    rd = dr_zk_reader_init(p, size);
    if (dr_zk_connect_response_decode(&rd, &cresp) == DR_OK) {
        wr = dr_zk_writer_init(fuzz_out1, fuzz_cap);
        fuzz_assert(dr_zk_connect_response_encode(&wr, &cresp) == DR_OK);
    }

    /* client -> server: the body as every opcode */
    rd = dr_zk_reader_init(p, size);
    if (dr_zk_request_header_decode(&rd, &h) == DR_OK) {
        (void) dr_zk_op_find(h.type);

        for (type = DR_ZK_OPCODE_CLOSE_SESSION;
             type <= DR_ZK_OPCODE_WHO_AM_I;
             type++)
        {
            op = dr_zk_op_find(type);
            if (op == NULL) {
                continue;
            }

            body = rd;
            if (dr_zk_op_decode(op, &body, &req) != DR_OK) {
                continue;
            }

            fuzz_assert(body.pos <= body.last);

            if (op->record) {
                fuzz_walk_vectors(op->record, &req);
                fuzz_round_trip(op->record, &req);

            } else if (type == DR_ZK_OPCODE_MULTI
                       || type == DR_ZK_OPCODE_MULTI_READ)
            {
                fuzz_multi_request(&req.multi);
            }
        }
    }

    /* server -> client: the body as every response */
    rd = dr_zk_reader_init(p, size);
    if (dr_zk_reply_header_decode(&rd, &rh) == DR_OK) {

        for (i = 0; i < dr_nelems(fuzz_responses); i++) {
            body = rd;
            if (dr_zk_jute_decode(fuzz_responses[i], &body, &any) == DR_OK) {
                fuzz_walk_vectors(fuzz_responses[i], &any);
                fuzz_round_trip(fuzz_responses[i], &any);
            }
        }

        fuzz_multi_response(rd);
    }

    free(fuzz_out1);
    free(fuzz_out2);

    return 0;
}
