/*
 * Unit tests of src/zk/dr_zk_jute.c: primitives, hostile lengths and counts,
 * vectors and their iterators, Stat, the generic record codec, the writer's
 * capacity checks and framing. Inputs that a decoder must reject end at a
 * PROT_NONE guard page, so an over-read crashes the (forked) test.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_zk.h"

#include <criterion/criterion.h>


/* a copy of <p, n> ending right at a PROT_NONE page; freed at exit */
static u_char *
guarded(const void *p, size_t n)
{
    u_char  *mem;
    size_t   page, size;

    page = (size_t) sysconf(_SC_PAGESIZE);
    size = (n + page - 1) / page * page + page;

    mem = mmap(NULL, size, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS,
               -1, 0);
    cr_assert(mem != MAP_FAILED);
    cr_assert_eq(mprotect(mem + size - page, page, PROT_NONE), 0);

    mem = mem + size - page - n;
    if (n) {
        memcpy(mem, p, n);
    }

    return mem;
}


static dr_zk_reader_t
reader(const void *p, size_t n)
{
    return dr_zk_reader_init(guarded(p, n), n);
}


static int
stat_eq(dr_zk_stat_t *a, dr_zk_stat_t *b)
{
    return a->czxid == b->czxid && a->mzxid == b->mzxid
           && a->ctime == b->ctime && a->mtime == b->mtime
           && a->version == b->version && a->cversion == b->cversion
           && a->aversion == b->aversion
           && a->ephemeral_owner == b->ephemeral_owner
           && a->data_length == b->data_length
           && a->num_children == b->num_children && a->pzxid == b->pzxid;
}


Test(zk_jute, reads_big_endian_int_and_long)
{
    u_char          in[] = { 0x80, 0x00, 0x00, 0x01,
                             0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe,
                             0x00, 0x02 };
    int32_t         i;
    int64_t         l;
    dr_uint_t       b;
    dr_zk_reader_t  rd = reader(in, sizeof(in));

    cr_assert_eq(dr_zk_jute_read_int(&rd, &i), DR_OK);
    cr_assert_eq(i, INT32_MIN + 1);
    cr_assert_eq(dr_zk_jute_read_long(&rd, &l), DR_OK);
    cr_assert_eq(l, -2);
    cr_assert_eq(dr_zk_jute_read_bool(&rd, &b), DR_OK);
    cr_assert_eq(b, 0);
    cr_assert_eq(dr_zk_jute_read_bool(&rd, &b), DR_OK);
    cr_assert_eq(b, 1, "any non-zero byte is true, as in Java");
    cr_assert_eq(dr_zk_reader_left(&rd), 0);
    cr_assert_eq(dr_zk_jute_read_bool(&rd, &b), DR_ERROR);
}


Test(zk_jute, truncated_primitives_fail)
{
    u_char          in[8] = { 0 };
    size_t          n;
    int32_t         i;
    int64_t         l;
    dr_zk_reader_t  rd;

    for (n = 0; n < 4; n++) {
        rd = reader(in, n);
        cr_assert_eq(dr_zk_jute_read_int(&rd, &i), DR_ERROR);
    }

    for (n = 0; n < 8; n++) {
        rd = reader(in, n);
        cr_assert_eq(dr_zk_jute_read_long(&rd, &l), DR_ERROR);
    }
}


Test(zk_jute, rejects_length_below_minus_one)
{
    u_char          frame[] = { 0xff, 0xff, 0xff, 0xfe };      /* -2 */
    dr_zk_reader_t  rd = reader(frame, sizeof(frame));
    dr_str_t        s;
    dr_uint_t       null;

    cr_assert_eq(dr_zk_jute_read_buffer(&rd, &s, &null), DR_ERROR);
}


Test(zk_jute, rejects_lengths_beyond_the_frame)
{
    u_char          huge[] = { 0x7f, 0xff, 0xff, 0xff, 'a', 'b' };
    u_char          min[] = { 0x80, 0x00, 0x00, 0x00, 'a', 'b' };
    u_char          one[] = { 0x00, 0x00, 0x00, 0x03, 'a', 'b' };
    dr_zk_reader_t  rd;
    dr_str_t        s;
    dr_uint_t       null;

    rd = reader(huge, sizeof(huge));
    cr_assert_eq(dr_zk_jute_read_ustring(&rd, &s, &null), DR_ERROR);
    rd = reader(min, sizeof(min));
    cr_assert_eq(dr_zk_jute_read_ustring(&rd, &s, &null), DR_ERROR);
    rd = reader(one, sizeof(one));
    cr_assert_eq(dr_zk_jute_read_buffer(&rd, &s, &null), DR_ERROR);
}


Test(zk_jute, null_and_empty_buffers_differ)
{
    u_char          in[] = { 0xff, 0xff, 0xff, 0xff,  0, 0, 0, 0,
                             0, 0, 0, 2, 'h', 'i' };
    dr_zk_reader_t  rd = reader(in, sizeof(in));
    dr_str_t        s;
    dr_uint_t       null;

    cr_assert_eq(dr_zk_jute_read_buffer(&rd, &s, &null), DR_OK);
    cr_assert_eq(null, 1);
    cr_assert_null(s.data);
    cr_assert_eq(s.len, 0);

    cr_assert_eq(dr_zk_jute_read_buffer(&rd, &s, &null), DR_OK);
    cr_assert_eq(null, 0);
    cr_assert_not_null(s.data);
    cr_assert_eq(s.len, 0);

    cr_assert_eq(dr_zk_jute_read_ustring(&rd, &s, &null), DR_OK);
    cr_assert_eq(null, 0);
    cr_assert_eq(s.len, 2);
    cr_assert_eq(memcmp(s.data, "hi", 2), 0);
    cr_assert_eq(s.data, rd.pos - 2, "a view into the frame, not a copy");
}


Test(zk_jute, vector_count_is_bounded_by_the_frame)
{
    u_char          minus2[] = { 0xff, 0xff, 0xff, 0xfe };
    u_char          huge[] = { 0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0 };
    u_char          two[] = { 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0 };
    u_char          null[] = { 0xff, 0xff, 0xff, 0xff };
    u_char          zero[] = { 0, 0, 0, 0 };
    int32_t         n;
    dr_zk_reader_t  rd;

    rd = reader(minus2, sizeof(minus2));
    cr_assert_eq(dr_zk_jute_read_vector(&rd, &n, 4), DR_ERROR);

    rd = reader(huge, sizeof(huge));
    cr_assert_eq(dr_zk_jute_read_vector(&rd, &n, 4), DR_ERROR);

    /* two strings need at least 8 bytes; 7 are left */
    rd = reader(two, sizeof(two));
    cr_assert_eq(dr_zk_jute_read_vector(&rd, &n, 4), DR_ERROR);

    rd = reader(two, sizeof(two));
    cr_assert_eq(dr_zk_jute_read_vector(&rd, &n, 1), DR_OK);
    cr_assert_eq(n, 2);

    rd = reader(null, sizeof(null));
    cr_assert_eq(dr_zk_jute_read_vector(&rd, &n, 4), DR_OK);
    cr_assert_eq(n, -1);

    rd = reader(zero, sizeof(zero));
    cr_assert_eq(dr_zk_jute_read_vector(&rd, &n, 12), DR_OK);
    cr_assert_eq(n, 0);
}


Test(zk_jute, string_vector_view_and_iteration)
{
    u_char            in[] = { 0, 0, 0, 3,
                               0, 0, 0, 1, 'a',
                               0, 0, 0, 0,
                               0, 0, 0, 2, 'b', 'c',
                               0xee };
    dr_str_t          s;
    dr_zk_vec_t       v;
    dr_zk_reader_t    rd = reader(in, sizeof(in));
    dr_zk_vec_iter_t  it;

    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_USTRING, &v), DR_OK);
    cr_assert_eq(v.nelts, 3);
    cr_assert_eq(v.end - v.start, 15);
    cr_assert_eq(dr_zk_reader_left(&rd), 1);

    it = dr_zk_vec_iter(&v);
    cr_assert_eq(dr_zk_vec_next_str(&it, &s), DR_OK);
    cr_assert(s.len == 1 && s.data[0] == 'a');
    cr_assert_eq(dr_zk_vec_next_str(&it, &s), DR_OK);
    cr_assert(s.len == 0 && s.data != NULL);
    cr_assert_eq(dr_zk_vec_next_str(&it, &s), DR_OK);
    cr_assert(s.len == 2 && memcmp(s.data, "bc", 2) == 0);
    cr_assert_eq(dr_zk_vec_next_str(&it, &s), DR_DONE);
    cr_assert_eq(dr_zk_vec_next_str(&it, &s), DR_DONE);
}


Test(zk_jute, vector_with_a_bad_element_fails)
{
    u_char          in[] = { 0, 0, 0, 2,
                             0, 0, 0, 1, 'a',
                             0xff, 0xff, 0xff, 0xfe };
    dr_zk_vec_t     v;
    dr_zk_reader_t  rd = reader(in, sizeof(in));

    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_USTRING, &v), DR_ERROR);
}


Test(zk_jute, null_vector_iterates_nothing)
{
    u_char            in[] = { 0xff, 0xff, 0xff, 0xff };
    dr_str_t          s;
    dr_zk_vec_t       v;
    dr_zk_reader_t    rd = reader(in, sizeof(in));
    dr_zk_vec_iter_t  it;
    dr_zk_writer_t    wr;
    u_char            out[8];

    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_ACL, &v), DR_OK);
    cr_assert_eq(v.nelts, -1);
    it = dr_zk_vec_iter(&v);
    cr_assert_eq(dr_zk_vec_next_str(&it, &s), DR_DONE);

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_write_vec(&wr, DR_ZK_VEC_ACL, &v), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr), 4);
    cr_assert_eq(memcmp(out, in, 4), 0);
}


Test(zk_jute, acl_vector_round_trip_from_an_array)
{
    u_char            out[128];
    dr_zk_acl_t       acls[2], acl;
    dr_zk_vec_t       v, d;
    dr_zk_writer_t    wr;
    dr_zk_reader_t    rd;
    dr_zk_vec_iter_t  it;
    dr_str_t          world = dr_string("world"), anyone = dr_string("anyone");
    dr_str_t          digest = dr_string("digest");
    dr_str_t          id = dr_string("alice:aYXlLOpEooaV1cRAvUL1fp9Qt7E=");

    acls[0].perms = DR_ZK_PERM_ALL;
    acls[0].id.scheme = world;
    acls[0].id.id = anyone;
    acls[1].perms = DR_ZK_PERM_READ|DR_ZK_PERM_ADMIN;
    acls[1].id.scheme = digest;
    acls[1].id.id = id;

    v.nelts = 2;
    v.elts = acls;
    v.start = v.end = NULL;

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_write_vec(&wr, DR_ZK_VEC_ACL, &v), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr),
                 4 + (4 + 4 + 5 + 4 + 6) + (4 + 4 + 6 + 4 + id.len));

    rd = reader(out, dr_zk_writer_len(&wr));
    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_ACL, &d), DR_OK);
    cr_assert_eq(d.nelts, 2);
    cr_assert_eq(dr_zk_reader_left(&rd), 0);

    it = dr_zk_vec_iter(&d);
    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_OK);
    cr_assert_eq(acl.perms, 31);
    cr_assert(dr_str_eq_lit(&acl.id.scheme, "world"));
    cr_assert(dr_str_eq_lit(&acl.id.id, "anyone"));
    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_OK);
    cr_assert_eq(acl.perms, 17);
    cr_assert(dr_str_eq(&acl.id.id, &id));
    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_DONE);

    /* the iterator also walks the encode-side array */
    it = dr_zk_vec_iter(&v);
    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_OK);
    cr_assert(dr_str_eq_lit(&acl.id.scheme, "world"));
    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_OK);
    cr_assert_eq(dr_zk_vec_next_acl(&it, &acl), DR_DONE);

    /* a decoded view re-encodes byte for byte */
    {
        u_char  again[128];

        wr = dr_zk_writer_init(again, sizeof(again));
        cr_assert_eq(dr_zk_jute_write_vec(&wr, DR_ZK_VEC_ACL, &d), DR_OK);
        cr_assert_eq(dr_zk_writer_len(&wr), (size_t) (rd.pos - (d.start - 4)));
        cr_assert_eq(memcmp(again, out, dr_zk_writer_len(&wr)), 0);
    }
}


Test(zk_jute, client_info_and_id_vectors)
{
    u_char               out[64];
    dr_zk_client_info_t  ci[1], c;
    dr_zk_id_t           ids[1], id;
    dr_zk_vec_t          v, d;
    dr_zk_writer_t       wr;
    dr_zk_reader_t       rd;
    dr_zk_vec_iter_t     it;

    dr_str_set(&ci[0].auth_scheme, "ip");
    dr_str_set(&ci[0].user, "127.0.0.1");
    v.nelts = 1;
    v.elts = ci;

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_write_vec(&wr, DR_ZK_VEC_CLIENT_INFO, &v), DR_OK);
    /* what ZooKeeper 3.8 answers zkCli's whoami on loopback */
    cr_assert_eq(dr_zk_writer_len(&wr), 23);
    cr_assert_eq(memcmp(out, "\0\0\0\1\0\0\0\2ip\0\0\0\011127.0.0.1", 23), 0);

    rd = reader(out, 23);
    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_CLIENT_INFO, &d), DR_OK);
    it = dr_zk_vec_iter(&d);
    cr_assert_eq(dr_zk_vec_next_client_info(&it, &c), DR_OK);
    cr_assert(dr_str_eq_lit(&c.user, "127.0.0.1"));
    cr_assert_eq(dr_zk_vec_next_client_info(&it, &c), DR_DONE);

    dr_str_set(&ids[0].scheme, "digest");
    dr_str_set(&ids[0].id, "bob:x");
    v.elts = ids;
    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_write_vec(&wr, DR_ZK_VEC_ID, &v), DR_OK);
    rd = reader(out, dr_zk_writer_len(&wr));
    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_ID, &d), DR_OK);
    it = dr_zk_vec_iter(&d);
    cr_assert_eq(dr_zk_vec_next_id(&it, &id), DR_OK);
    cr_assert(dr_str_eq_lit(&id.id, "bob:x"));
    cr_assert_eq(dr_zk_vec_next_id(&it, &id), DR_DONE);
}


Test(zk_jute, stat_is_68_bytes_in_jute_order)
{
    u_char          out[DR_ZK_STAT_SIZE], *p;
    dr_zk_stat_t    st, back;
    dr_zk_writer_t  wr;
    dr_zk_reader_t  rd;
    size_t          n;

    st.czxid = 0x0102030405060708LL;
    st.mzxid = 2;
    st.ctime = 1700000000000LL;
    st.mtime = 1700000000001LL;
    st.version = 3;
    st.cversion = 4;
    st.aversion = -1;
    st.ephemeral_owner = (int64_t) 0x8000000000000000ULL;
    st.data_length = 5;
    st.num_children = 6;
    st.pzxid = 7;

    wr = dr_zk_writer_init(out, sizeof(out) - 1);
    cr_assert_eq(dr_zk_jute_write_stat(&wr, &st), DR_ERROR);
    cr_assert_eq(dr_zk_writer_len(&wr), 0);

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_write_stat(&wr, &st), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr), 68);

    p = out;
    cr_assert_eq(p[0], 1);
    cr_assert_eq(p[7], 8);
    cr_assert_eq(p[32 + 3], 3);                     /* version */
    cr_assert_eq(p[40], 0xff);                      /* aversion */
    cr_assert_eq(p[44], 0x80);                      /* ephemeralOwner */
    cr_assert_eq(p[52 + 3], 5);                     /* dataLength */
    cr_assert_eq(p[56 + 3], 6);                     /* numChildren */
    cr_assert_eq(p[60 + 7], 7);                     /* pzxid */

    rd = reader(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_read_stat(&rd, &back), DR_OK);
    cr_assert(stat_eq(&st, &back));

    for (n = 0; n < sizeof(out); n++) {
        rd = reader(out, n);
        cr_assert_eq(dr_zk_jute_read_stat(&rd, &back), DR_ERROR);
    }
}


Test(zk_jute, writer_refuses_to_overflow_and_writes_nothing)
{
    u_char          out[9];
    dr_zk_writer_t  wr;
    dr_str_t        s = dr_string("hello");

    memset(out, 0xaa, sizeof(out));
    wr = dr_zk_writer_init(out, 8);

    cr_assert_eq(dr_zk_jute_write_buffer(&wr, &s), DR_ERROR);
    cr_assert_eq(dr_zk_writer_len(&wr), 0);
    cr_assert_eq(dr_zk_jute_write_long(&wr, 1), DR_OK);
    cr_assert_eq(dr_zk_jute_write_int(&wr, 1), DR_ERROR);
    cr_assert_eq(dr_zk_jute_write_bool(&wr, 1), DR_ERROR);
    cr_assert_eq(dr_zk_jute_write_raw(&wr, (u_char *) "x", 1), DR_ERROR);
    cr_assert_eq(dr_zk_jute_write_raw(&wr, NULL, 0), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr), 8);
    cr_assert_eq(out[8], 0xaa);
}


Test(zk_jute, writes_null_and_empty)
{
    u_char          out[16];
    dr_zk_writer_t  wr = dr_zk_writer_init(out, sizeof(out));
    dr_str_t        null = dr_null_string;
    dr_str_t        empty = { 0, DR_ZK_EMPTY_DATA };

    cr_assert_eq(dr_zk_jute_write_buffer(&wr, NULL), DR_OK);
    cr_assert_eq(dr_zk_jute_write_ustring(&wr, &null), DR_OK);
    cr_assert_eq(dr_zk_jute_write_buffer(&wr, &empty), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr), 12);
    cr_assert_eq(memcmp(out, "\xff\xff\xff\xff\xff\xff\xff\xff\0\0\0\0", 12),
                 0);
}


Test(zk_jute, multi_field_writes_are_all_or_nothing)
{
    u_char               out[64];
    dr_zk_acl_t          acl;
    dr_zk_client_info_t  ci;
    dr_zk_writer_t       wr;
    size_t               n;

    acl.perms = 31;
    dr_str_set(&acl.id.scheme, "world");
    dr_str_set(&acl.id.id, "anyone");
    dr_str_set(&ci.auth_scheme, "digest");
    dr_str_set(&ci.user, "alice");

    for (n = 0; n < 4 + 4 + 5 + 4 + 6; n++) {
        wr = dr_zk_writer_init(out, n);
        cr_assert_eq(dr_zk_jute_write_acl(&wr, &acl), DR_ERROR);
        cr_assert_eq(dr_zk_writer_len(&wr), 0);
    }

    for (n = 0; n < 4 + 6 + 4 + 5; n++) {
        wr = dr_zk_writer_init(out, n);
        cr_assert_eq(dr_zk_jute_write_client_info(&wr, &ci), DR_ERROR);
        cr_assert_eq(dr_zk_writer_len(&wr), 0);
    }
}


Test(zk_jute, frame_helper_patches_the_length)
{
    u_char          out[32];
    size_t          mark, cmark;
    dr_zk_writer_t  wr = dr_zk_writer_init(out, sizeof(out));

    cr_assert_eq(dr_zk_jute_write_int(&wr, 7), DR_OK);      /* earlier data */
    cr_assert_eq(dr_zk_jute_frame_begin(&wr, &mark), DR_OK);
    cr_assert_eq(mark, 4);
    cr_assert_eq(dr_zk_jute_reserve_int(&wr, &cmark), DR_OK);
    cr_assert_eq(dr_zk_jute_write_long(&wr, -1), DR_OK);
    dr_zk_jute_patch_int(&wr, cmark, 0x01020304);
    cr_assert_eq(dr_zk_jute_frame_end(&wr, mark, 0), DR_OK);

    cr_assert_eq(dr_zk_writer_len(&wr), 4 + 4 + 12);
    cr_assert_eq(memcmp(out + 4, "\0\0\0\x0c\x01\x02\x03\x04", 8), 0);

    /* a frame above the limit is refused and rewound */
    cr_assert_eq(dr_zk_jute_frame_begin(&wr, &mark), DR_OK);
    cr_assert_eq(dr_zk_jute_write_long(&wr, 1), DR_OK);
    cr_assert_eq(dr_zk_jute_frame_end(&wr, mark, 7), DR_ERROR);
    cr_assert_eq(dr_zk_writer_len(&wr), 20);

    /* the writer cannot hold a frame prefix: nothing written */
    wr = dr_zk_writer_init(out, 3);
    cr_assert_eq(dr_zk_jute_frame_begin(&wr, &mark), DR_ERROR);
}


Test(zk_jute, frame_parse_splits_a_stream)
{
    u_char    in[] = { 0, 0, 0, 2, 'a', 'b', 0, 0, 0, 0, 0, 0 };
    ssize_t   n;
    dr_str_t  payload;
    size_t    i;

    n = dr_zk_jute_frame_parse(in, sizeof(in), DR_ZK_JUTE_MAXBUFFER, &payload);
    cr_assert_eq(n, 6);
    cr_assert_eq(payload.len, 2);
    cr_assert_eq(payload.data, in + 4);

    n = dr_zk_jute_frame_parse(in + 6, 6, DR_ZK_JUTE_MAXBUFFER, &payload);
    cr_assert_eq(n, 4, "an empty frame is a frame");
    cr_assert_eq(payload.len, 0);

    for (i = 0; i < 6; i++) {
        cr_assert_eq(dr_zk_jute_frame_parse(guarded(in, i), i,
                                            DR_ZK_JUTE_MAXBUFFER, &payload),
                     DR_PARSE_AGAIN);
    }
}


Test(zk_jute, frame_parse_rejects_hostile_lengths)
{
    u_char    neg[] = { 0xff, 0xff, 0xff, 0xfe };
    u_char    big[] = { 0x00, 0x10, 0x00, 0x00 };        /* 0xfffff + 1 */
    u_char    max[] = { 0x00, 0x0f, 0xff, 0xff };
    dr_str_t  payload;

    cr_assert_eq(dr_zk_jute_frame_parse(neg, 4, 0, &payload), DR_PARSE_ERROR);
    cr_assert_eq(dr_zk_jute_frame_parse(big, 4, DR_ZK_JUTE_MAXBUFFER,
                                        &payload), DR_PARSE_ERROR);
    cr_assert_eq(dr_zk_jute_frame_parse(max, 4, DR_ZK_JUTE_MAXBUFFER,
                                        &payload), DR_PARSE_AGAIN,
                 "jute.maxbuffer itself is allowed");
}


typedef struct {
    int32_t       i;
    int64_t       l;
    dr_uint_t     b;
    dr_str_t      buf;
    dr_str_t      s;
    dr_zk_stat_t  st;
    dr_zk_vec_t   strs;
    dr_zk_vec_t   acls;
} test_rec_t;

static const dr_zk_jute_field_t  test_rec_fields[] = {
    { DR_ZK_JUTE_INT, offsetof(test_rec_t, i) },
    { DR_ZK_JUTE_LONG, offsetof(test_rec_t, l) },
    { DR_ZK_JUTE_BOOL, offsetof(test_rec_t, b) },
    { DR_ZK_JUTE_BUFFER, offsetof(test_rec_t, buf) },
    { DR_ZK_JUTE_USTRING, offsetof(test_rec_t, s) },
    { DR_ZK_JUTE_STAT, offsetof(test_rec_t, st) },
    { DR_ZK_JUTE_VEC_USTRING, offsetof(test_rec_t, strs) },
    { DR_ZK_JUTE_VEC_ACL, offsetof(test_rec_t, acls) },
};

static const dr_zk_jute_record_t  test_rec = {
    "Test", sizeof(test_rec_t), dr_nelems(test_rec_fields), test_rec_fields
};


Test(zk_jute, generic_record_round_trip_and_truncation)
{
    u_char          out[256], again[256];
    size_t          len, n;
    dr_str_t        names[2] = { dr_string("x"), dr_string("yz") };
    dr_zk_acl_t     acl;
    test_rec_t      r, d;
    dr_zk_writer_t  wr;
    dr_zk_reader_t  rd;

    memset(&r, 0, sizeof(r));
    r.i = -5;
    r.l = INT64_MIN;
    r.b = 1;
    r.buf.data = NULL;                                  /* null */
    dr_str_set(&r.s, "/a/b");
    r.st.version = 9;
    r.strs.nelts = 2;
    r.strs.elts = names;
    acl.perms = 1;
    dr_str_set(&acl.id.scheme, "ip");
    dr_str_set(&acl.id.id, "10.0.0.0/8");
    r.acls.nelts = 1;
    r.acls.elts = &acl;

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_zk_jute_encode(&test_rec, &wr, &r), DR_OK);
    len = dr_zk_writer_len(&wr);
    cr_assert_eq(len, 4 + 8 + 1 + 4 + 8 + 68 + (4 + 5 + 6) + (4 + 4 + 6 + 14));

    rd = reader(out, len);
    cr_assert_eq(dr_zk_jute_decode(&test_rec, &rd, &d), DR_OK);
    cr_assert_eq(dr_zk_reader_left(&rd), 0);
    cr_assert_eq(d.i, -5);
    cr_assert_eq(d.l, INT64_MIN);
    cr_assert_eq(d.b, 1);
    cr_assert_null(d.buf.data);
    cr_assert(dr_str_eq_lit(&d.s, "/a/b"));
    cr_assert_eq(d.st.version, 9);
    cr_assert_eq(d.strs.nelts, 2);
    cr_assert_eq(d.acls.nelts, 1);

    wr = dr_zk_writer_init(again, sizeof(again));
    cr_assert_eq(dr_zk_jute_encode(&test_rec, &wr, &d), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr), len);
    cr_assert_eq(memcmp(out, again, len), 0);

    for (n = 0; n < len; n++) {
        rd = reader(out, n);
        cr_assert_eq(dr_zk_jute_decode(&test_rec, &rd, &d), DR_ERROR,
                     "prefix of %zu bytes", n);

        wr = dr_zk_writer_init(again, n);
        cr_assert_eq(dr_zk_jute_encode(&test_rec, &wr, &r), DR_ERROR);
        cr_assert_eq(dr_zk_writer_len(&wr), 0);
    }
}


Test(zk_jute, empty_input_and_null_buffers_are_safe)
{
    dr_zk_reader_t  rd = dr_zk_reader_init(NULL, 0);
    dr_zk_writer_t  wr = dr_zk_writer_init(NULL, 0);
    int32_t         i;
    dr_str_t        payload;

    cr_assert_eq(dr_zk_jute_read_int(&rd, &i), DR_ERROR);
    cr_assert_eq(dr_zk_jute_write_int(&wr, 1), DR_ERROR);
    cr_assert_eq(dr_zk_jute_frame_parse(NULL, 0, 0, &payload), DR_PARSE_AGAIN);
}
