/*
 * The jute codec: primitives, the data records (Stat, Id, ACL, ClientInfo),
 * vectors and framing, shared by the keeper (server side) and the
 * asynchronous client (agent process). Pure code: no allocation, no I/O, no
 * logging; any process may call it.
 *
 * Readers never trust a length: a buffer or string must fit in what is left
 * of the frame, and a vector count must be payable with the least bytes its
 * elements take, so a hostile frame cannot make a caller allocate or loop
 * beyond the frame's size. ZooKeeper's Java reader is laxer (a vector count
 * below -1 reads as empty); we reject it, and the keeper answers such a
 * request as ZooKeeper answers any undecodable one.
 *
 * Writers check capacity before every write and write nothing when it would
 * not fit, so a caller can grow its buffer and encode the frame again.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_zk.h"


static const size_t  dr_zk_jute_vec_min_size[] = {
    4,      /* ustring: length */
    12,     /* ACL: perms + scheme length + id length */
    8,      /* Id: two lengths */
    8       /* ClientInfo: two lengths */
};


dr_int_t
dr_zk_jute_read_int(dr_zk_reader_t *rd, int32_t *v)
{
    u_char  *p;

    if (rd->last - rd->pos < 4) {
        return DR_ERROR;
    }

    p = rd->pos;
    *v = (int32_t) ((uint32_t) p[0] << 24 | (uint32_t) p[1] << 16
                    | (uint32_t) p[2] << 8 | (uint32_t) p[3]);
    rd->pos += 4;

    return DR_OK;
}


dr_int_t
dr_zk_jute_read_long(dr_zk_reader_t *rd, int64_t *v)
{
    u_char    *p;
    uint64_t   u;
    dr_uint_t  i;

    if (rd->last - rd->pos < 8) {
        return DR_ERROR;
    }

    p = rd->pos;
    u = 0;

    for (i = 0; i < 8; i++) {
        u = u << 8 | p[i];
    }

    *v = (int64_t) u;
    rd->pos += 8;

    return DR_OK;
}


dr_int_t
dr_zk_jute_read_bool(dr_zk_reader_t *rd, dr_uint_t *v)
{
    if (rd->pos >= rd->last) {
        return DR_ERROR;
    }

    *v = (*rd->pos != 0);
    rd->pos++;

    return DR_OK;
}


/*
 * Reads a jute buffer (int32 length, -1 = null). <out> points into <rd>'s
 * frame until its reply is sent; a null sets *null and out->data = NULL.
 * DR_ERROR on a malformed frame: the reference C client lets len < -1 reach
 * malloc.
 */
dr_int_t
dr_zk_jute_read_buffer(dr_zk_reader_t *rd, dr_str_t *out, dr_uint_t *null)
{
    int32_t  len;

    if (dr_zk_jute_read_int(rd, &len) != DR_OK) {
        return DR_ERROR;
    }

    if (len < -1 || (len > 0 && (size_t) len > dr_zk_reader_left(rd))) {
        return DR_ERROR;
    }

    *null = (len == -1);
    out->data = *null ? NULL : rd->pos;
    out->len = *null ? 0 : (size_t) len;
    rd->pos += out->len;

    return DR_OK;
}


dr_int_t
dr_zk_jute_read_ustring(dr_zk_reader_t *rd, dr_str_t *out, dr_uint_t *null)
{
    return dr_zk_jute_read_buffer(rd, out, null);
}


dr_int_t
dr_zk_jute_read_vector(dr_zk_reader_t *rd, int32_t *count, size_t min_size)
{
    int32_t  n;

    if (dr_zk_jute_read_int(rd, &n) != DR_OK) {
        return DR_ERROR;
    }

    if (n < -1) {
        return DR_ERROR;
    }

    if (n > 0
        && (min_size == 0 || (size_t) n > dr_zk_reader_left(rd) / min_size))
    {
        return DR_ERROR;
    }

    *count = n;

    return DR_OK;
}


dr_int_t
dr_zk_jute_read_stat(dr_zk_reader_t *rd, dr_zk_stat_t *st)
{
    if (dr_zk_reader_left(rd) < DR_ZK_STAT_SIZE) {
        return DR_ERROR;
    }

    /* the length is checked: the reads below cannot fail */
    (void) dr_zk_jute_read_long(rd, &st->czxid);
    (void) dr_zk_jute_read_long(rd, &st->mzxid);
    (void) dr_zk_jute_read_long(rd, &st->ctime);
    (void) dr_zk_jute_read_long(rd, &st->mtime);
    (void) dr_zk_jute_read_int(rd, &st->version);
    (void) dr_zk_jute_read_int(rd, &st->cversion);
    (void) dr_zk_jute_read_int(rd, &st->aversion);
    (void) dr_zk_jute_read_long(rd, &st->ephemeral_owner);
    (void) dr_zk_jute_read_int(rd, &st->data_length);
    (void) dr_zk_jute_read_int(rd, &st->num_children);
    (void) dr_zk_jute_read_long(rd, &st->pzxid);

    return DR_OK;
}


dr_int_t
dr_zk_jute_read_id(dr_zk_reader_t *rd, dr_zk_id_t *id)
{
    dr_uint_t  null;

    if (dr_zk_jute_read_ustring(rd, &id->scheme, &null) != DR_OK
        || dr_zk_jute_read_ustring(rd, &id->id, &null) != DR_OK)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_zk_jute_read_acl(dr_zk_reader_t *rd, dr_zk_acl_t *acl)
{
    if (dr_zk_jute_read_int(rd, &acl->perms) != DR_OK) {
        return DR_ERROR;
    }

    return dr_zk_jute_read_id(rd, &acl->id);
}


dr_int_t
dr_zk_jute_read_client_info(dr_zk_reader_t *rd, dr_zk_client_info_t *ci)
{
    dr_uint_t  null;

    if (dr_zk_jute_read_ustring(rd, &ci->auth_scheme, &null) != DR_OK
        || dr_zk_jute_read_ustring(rd, &ci->user, &null) != DR_OK)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_zk_jute_read_elt(dr_zk_reader_t *rd, dr_zk_vec_type_e type)
{
    dr_str_t             s;
    dr_uint_t            null;
    dr_zk_id_t           id;
    dr_zk_acl_t          acl;
    dr_zk_client_info_t  ci;

    switch (type) {

    case DR_ZK_VEC_USTRING:
        return dr_zk_jute_read_ustring(rd, &s, &null);

    case DR_ZK_VEC_ACL:
        return dr_zk_jute_read_acl(rd, &acl);

    case DR_ZK_VEC_ID:
        return dr_zk_jute_read_id(rd, &id);

    case DR_ZK_VEC_CLIENT_INFO:
        return dr_zk_jute_read_client_info(rd, &ci);
    }

    return DR_ERROR;
}


dr_int_t
dr_zk_jute_read_vec(dr_zk_reader_t *rd, dr_zk_vec_type_e type,
    dr_zk_vec_t *vec)
{
    int32_t  i;

    if ((size_t) type >= dr_nelems(dr_zk_jute_vec_min_size)) {
        return DR_ERROR;
    }

    if (dr_zk_jute_read_vector(rd, &vec->nelts, dr_zk_jute_vec_min_size[type])
        != DR_OK)
    {
        return DR_ERROR;
    }

    vec->start = rd->pos;
    vec->elts = NULL;

    for (i = 0; i < vec->nelts; i++) {
        if (dr_zk_jute_read_elt(rd, type) != DR_OK) {
            return DR_ERROR;
        }
    }

    vec->end = rd->pos;

    return DR_OK;
}


dr_zk_vec_iter_t
dr_zk_vec_iter(dr_zk_vec_t *vec)
{
    dr_zk_vec_iter_t  it;

    if (vec->start && vec->end > vec->start) {
        it.rd = dr_zk_reader_init(vec->start, vec->end - vec->start);

    } else {
        it.rd.pos = vec->start;
        it.rd.last = vec->start;
    }

    it.elts = vec->elts;
    it.left = vec->nelts;
    it.index = 0;

    return it;
}


dr_int_t
dr_zk_vec_next_str(dr_zk_vec_iter_t *it, dr_str_t *s)
{
    dr_uint_t  null;

    if (it->left <= 0) {
        return DR_DONE;
    }

    it->left--;

    if (it->elts) {
        *s = ((dr_str_t *) it->elts)[it->index++];
        return DR_OK;
    }

    return dr_zk_jute_read_ustring(&it->rd, s, &null);
}


dr_int_t
dr_zk_vec_next_acl(dr_zk_vec_iter_t *it, dr_zk_acl_t *acl)
{
    if (it->left <= 0) {
        return DR_DONE;
    }

    it->left--;

    if (it->elts) {
        *acl = ((dr_zk_acl_t *) it->elts)[it->index++];
        return DR_OK;
    }

    return dr_zk_jute_read_acl(&it->rd, acl);
}


dr_int_t
dr_zk_vec_next_id(dr_zk_vec_iter_t *it, dr_zk_id_t *id)
{
    if (it->left <= 0) {
        return DR_DONE;
    }

    it->left--;

    if (it->elts) {
        *id = ((dr_zk_id_t *) it->elts)[it->index++];
        return DR_OK;
    }

    return dr_zk_jute_read_id(&it->rd, id);
}


dr_int_t
dr_zk_vec_next_client_info(dr_zk_vec_iter_t *it, dr_zk_client_info_t *ci)
{
    if (it->left <= 0) {
        return DR_DONE;
    }

    it->left--;

    if (it->elts) {
        *ci = ((dr_zk_client_info_t *) it->elts)[it->index++];
        return DR_OK;
    }

    return dr_zk_jute_read_client_info(&it->rd, ci);
}


dr_int_t
dr_zk_jute_write_int(dr_zk_writer_t *wr, int32_t v)
{
    uint32_t  u;

    if (wr->end - wr->pos < 4) {
        return DR_ERROR;
    }

    u = (uint32_t) v;
    wr->pos[0] = (u_char) (u >> 24);
    wr->pos[1] = (u_char) (u >> 16);
    wr->pos[2] = (u_char) (u >> 8);
    wr->pos[3] = (u_char) u;
    wr->pos += 4;

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_long(dr_zk_writer_t *wr, int64_t v)
{
    uint64_t  u;
    dr_int_t  i;

    if (wr->end - wr->pos < 8) {
        return DR_ERROR;
    }

    u = (uint64_t) v;

    for (i = 7; i >= 0; i--) {
        wr->pos[i] = (u_char) u;
        u >>= 8;
    }

    wr->pos += 8;

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_bool(dr_zk_writer_t *wr, dr_uint_t v)
{
    if (wr->pos >= wr->end) {
        return DR_ERROR;
    }

    *wr->pos++ = v ? 1 : 0;

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_buffer(dr_zk_writer_t *wr, dr_str_t *s)
{
    if (s == NULL || s->data == NULL) {
        return dr_zk_jute_write_int(wr, -1);
    }

    if (s->len > INT32_MAX || (size_t) (wr->end - wr->pos) < 4 + s->len) {
        return DR_ERROR;
    }

    (void) dr_zk_jute_write_int(wr, (int32_t) s->len);
    wr->pos = dr_cpymem(wr->pos, s->data, s->len);

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_ustring(dr_zk_writer_t *wr, dr_str_t *s)
{
    return dr_zk_jute_write_buffer(wr, s);
}


dr_int_t
dr_zk_jute_write_raw(dr_zk_writer_t *wr, u_char *p, size_t n)
{
    if ((size_t) (wr->end - wr->pos) < n) {
        return DR_ERROR;
    }

    if (n) {
        wr->pos = dr_cpymem(wr->pos, p, n);
    }

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_stat(dr_zk_writer_t *wr, dr_zk_stat_t *st)
{
    if (wr->end - wr->pos < DR_ZK_STAT_SIZE) {
        return DR_ERROR;
    }

    (void) dr_zk_jute_write_long(wr, st->czxid);
    (void) dr_zk_jute_write_long(wr, st->mzxid);
    (void) dr_zk_jute_write_long(wr, st->ctime);
    (void) dr_zk_jute_write_long(wr, st->mtime);
    (void) dr_zk_jute_write_int(wr, st->version);
    (void) dr_zk_jute_write_int(wr, st->cversion);
    (void) dr_zk_jute_write_int(wr, st->aversion);
    (void) dr_zk_jute_write_long(wr, st->ephemeral_owner);
    (void) dr_zk_jute_write_int(wr, st->data_length);
    (void) dr_zk_jute_write_int(wr, st->num_children);
    (void) dr_zk_jute_write_long(wr, st->pzxid);

    return DR_OK;
}


/* the multi-field writers undo a partial write, keeping "nothing written" */

dr_int_t
dr_zk_jute_write_id(dr_zk_writer_t *wr, dr_zk_id_t *id)
{
    u_char  *mark;

    mark = wr->pos;

    if (dr_zk_jute_write_ustring(wr, &id->scheme) != DR_OK
        || dr_zk_jute_write_ustring(wr, &id->id) != DR_OK)
    {
        wr->pos = mark;
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_acl(dr_zk_writer_t *wr, dr_zk_acl_t *acl)
{
    u_char  *mark;

    mark = wr->pos;

    if (dr_zk_jute_write_int(wr, acl->perms) != DR_OK
        || dr_zk_jute_write_id(wr, &acl->id) != DR_OK)
    {
        wr->pos = mark;
        return DR_ERROR;
    }

    return DR_OK;
}


dr_int_t
dr_zk_jute_write_client_info(dr_zk_writer_t *wr, dr_zk_client_info_t *ci)
{
    u_char  *mark;

    mark = wr->pos;

    if (dr_zk_jute_write_ustring(wr, &ci->auth_scheme) != DR_OK
        || dr_zk_jute_write_ustring(wr, &ci->user) != DR_OK)
    {
        wr->pos = mark;
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_zk_jute_write_elts(dr_zk_writer_t *wr, dr_zk_vec_type_e type,
    dr_zk_vec_t *vec)
{
    int32_t   i;
    dr_int_t  rc;

    rc = DR_OK;

    for (i = 0; i < vec->nelts && rc == DR_OK; i++) {

        switch (type) {

        case DR_ZK_VEC_USTRING:
            rc = dr_zk_jute_write_ustring(wr, &((dr_str_t *) vec->elts)[i]);
            break;

        case DR_ZK_VEC_ACL:
            rc = dr_zk_jute_write_acl(wr, &((dr_zk_acl_t *) vec->elts)[i]);
            break;

        case DR_ZK_VEC_ID:
            rc = dr_zk_jute_write_id(wr, &((dr_zk_id_t *) vec->elts)[i]);
            break;

        case DR_ZK_VEC_CLIENT_INFO:
            rc = dr_zk_jute_write_client_info(wr,
                                  &((dr_zk_client_info_t *) vec->elts)[i]);
            break;

        default:
            rc = DR_ERROR;
        }
    }

    return rc;
}


dr_int_t
dr_zk_jute_write_vec(dr_zk_writer_t *wr, dr_zk_vec_type_e type,
    dr_zk_vec_t *vec)
{
    u_char    *mark;
    dr_int_t   rc;

    if (vec->nelts < -1) {
        return DR_ERROR;
    }

    mark = wr->pos;

    if (dr_zk_jute_write_int(wr, vec->nelts) != DR_OK) {
        return DR_ERROR;
    }

    if (vec->nelts <= 0) {
        return DR_OK;
    }

    if (vec->elts) {
        rc = dr_zk_jute_write_elts(wr, type, vec);

    } else if (vec->start && vec->end >= vec->start) {
        rc = dr_zk_jute_write_raw(wr, vec->start, vec->end - vec->start);

    } else {
        rc = DR_ERROR;
    }

    if (rc != DR_OK) {
        wr->pos = mark;
    }

    return rc;
}


dr_int_t
dr_zk_jute_reserve_int(dr_zk_writer_t *wr, size_t *mark)
{
    *mark = dr_zk_writer_mark(wr);

    return dr_zk_jute_write_int(wr, 0);
}


void
dr_zk_jute_patch_int(dr_zk_writer_t *wr, size_t mark, int32_t v)
{
    dr_zk_writer_t  pw;

    pw = dr_zk_writer_init(wr->start + mark, 4);
    (void) dr_zk_jute_write_int(&pw, v);
}


dr_int_t
dr_zk_jute_frame_begin(dr_zk_writer_t *wr, size_t *mark)
{
    return dr_zk_jute_reserve_int(wr, mark);
}


dr_int_t
dr_zk_jute_frame_end(dr_zk_writer_t *wr, size_t mark, size_t max)
{
    size_t  len;

    len = dr_zk_writer_len(wr) - mark - 4;

    if (len > INT32_MAX || (max && len > max)) {
        wr->pos = wr->start + mark;
        return DR_ERROR;
    }

    dr_zk_jute_patch_int(wr, mark, (int32_t) len);

    return DR_OK;
}


ssize_t
dr_zk_jute_frame_parse(u_char *p, size_t len, size_t max, dr_str_t *payload)
{
    int32_t         n;
    dr_zk_reader_t  rd;

    rd = dr_zk_reader_init(p, len);

    if (dr_zk_jute_read_int(&rd, &n) != DR_OK) {
        return DR_PARSE_AGAIN;
    }

    if (n < 0 || (max && (size_t) n > max)) {
        return DR_PARSE_ERROR;
    }

    if ((size_t) n > dr_zk_reader_left(&rd)) {
        return DR_PARSE_AGAIN;
    }

    payload->data = rd.pos;
    payload->len = (size_t) n;

    return 4 + (ssize_t) n;
}


dr_int_t
dr_zk_jute_decode(const dr_zk_jute_record_t *rec, dr_zk_reader_t *rd, void *r)
{
    u_char                    *p;
    dr_int_t                   rc;
    dr_uint_t                  i, null;
    const dr_zk_jute_field_t  *f;

    for (i = 0; i < rec->nfields; i++) {
        f = &rec->fields[i];
        p = (u_char *) r + f->offset;

        switch (f->type) {

        case DR_ZK_JUTE_INT:
            rc = dr_zk_jute_read_int(rd, (int32_t *) p);
            break;

        case DR_ZK_JUTE_LONG:
            rc = dr_zk_jute_read_long(rd, (int64_t *) p);
            break;

        case DR_ZK_JUTE_BOOL:
            rc = dr_zk_jute_read_bool(rd, (dr_uint_t *) p);
            break;

        case DR_ZK_JUTE_BUFFER:
        case DR_ZK_JUTE_USTRING:
            rc = dr_zk_jute_read_buffer(rd, (dr_str_t *) p, &null);
            break;

        case DR_ZK_JUTE_STAT:
            rc = dr_zk_jute_read_stat(rd, (dr_zk_stat_t *) p);
            break;

        case DR_ZK_JUTE_VEC_USTRING:
        case DR_ZK_JUTE_VEC_ACL:
        case DR_ZK_JUTE_VEC_ID:
        case DR_ZK_JUTE_VEC_CLIENT_INFO:
            rc = dr_zk_jute_read_vec(rd, (dr_zk_vec_type_e)
                                     (f->type - DR_ZK_JUTE_VEC_USTRING),
                                     (dr_zk_vec_t *) p);
            break;

        default:
            rc = DR_ERROR;
        }

        if (rc != DR_OK) {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


dr_int_t
dr_zk_jute_encode(const dr_zk_jute_record_t *rec, dr_zk_writer_t *wr, void *r)
{
    u_char                    *p, *mark;
    dr_int_t                   rc;
    dr_uint_t                  i;
    const dr_zk_jute_field_t  *f;

    mark = wr->pos;

    for (i = 0; i < rec->nfields; i++) {
        f = &rec->fields[i];
        p = (u_char *) r + f->offset;

        switch (f->type) {

        case DR_ZK_JUTE_INT:
            rc = dr_zk_jute_write_int(wr, *(int32_t *) p);
            break;

        case DR_ZK_JUTE_LONG:
            rc = dr_zk_jute_write_long(wr, *(int64_t *) p);
            break;

        case DR_ZK_JUTE_BOOL:
            rc = dr_zk_jute_write_bool(wr, *(dr_uint_t *) p);
            break;

        case DR_ZK_JUTE_BUFFER:
        case DR_ZK_JUTE_USTRING:
            rc = dr_zk_jute_write_buffer(wr, (dr_str_t *) p);
            break;

        case DR_ZK_JUTE_STAT:
            rc = dr_zk_jute_write_stat(wr, (dr_zk_stat_t *) p);
            break;

        case DR_ZK_JUTE_VEC_USTRING:
        case DR_ZK_JUTE_VEC_ACL:
        case DR_ZK_JUTE_VEC_ID:
        case DR_ZK_JUTE_VEC_CLIENT_INFO:
            rc = dr_zk_jute_write_vec(wr, (dr_zk_vec_type_e)
                                      (f->type - DR_ZK_JUTE_VEC_USTRING),
                                      (dr_zk_vec_t *) p);
            break;

        default:
            rc = DR_ERROR;
        }

        if (rc != DR_OK) {
            wr->pos = mark;
            return DR_ERROR;
        }
    }

    return DR_OK;
}
