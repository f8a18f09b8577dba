/*
 * The jute codec: ZooKeeper's binary serialization (big-endian int32/int64,
 * one-byte booleans, int32-length-prefixed buffers and UTF-8 strings where
 * -1 means null, int32-count-prefixed vectors where -1 means null) and the
 * data records shared by every message: Stat, Id, ACL, ClientInfo.
 *
 * Decoding is zero-copy: strings, buffers and vectors come out as views into
 * the frame, valid until the frame's buffer is reused. A decoded dr_str_t
 * with data == NULL is a jute null (length -1); an empty one has a non-NULL
 * data pointer into the frame. Encoders follow the same convention, so a
 * caller that wants to send an empty buffer must pass a non-NULL pointer
 * (DR_ZK_EMPTY_DATA).
 */
#ifndef DR_ZK_JUTE_H_INCLUDED
#define DR_ZK_JUTE_H_INCLUDED

/* jute.maxbuffer: ZooKeeper drops a connection whose frame is longer */
#define DR_ZK_JUTE_MAXBUFFER      0xfffff

#define DR_ZK_STAT_SIZE           68
#define DR_ZK_EMPTY_DATA          ((u_char *) "")

#define dr_zk_str_is_null(s)      ((s)->data == NULL)


typedef struct {
    u_char          *pos;
    u_char          *last;
} dr_zk_reader_t;

/*
 * Output for the encoders: start..end memory, pos the next byte. Marks are
 * offsets from start, so a caller that grows the memory keeps its marks.
 * A write that does not fit returns DR_ERROR and writes nothing; the caller
 * then grows the buffer and encodes the frame again from its mark.
 */
typedef struct {
    u_char          *start;
    u_char          *pos;
    u_char          *end;
} dr_zk_writer_t;


typedef struct {
    int64_t          czxid;
    int64_t          mzxid;
    int64_t          ctime;
    int64_t          mtime;
    int32_t          version;
    int32_t          cversion;
    int32_t          aversion;
    int64_t          ephemeral_owner;
    int32_t          data_length;
    int32_t          num_children;
    int64_t          pzxid;
} dr_zk_stat_t;

typedef struct {
    dr_str_t         scheme;
    dr_str_t         id;
} dr_zk_id_t;

typedef struct {
    int32_t          perms;
    dr_zk_id_t       id;
} dr_zk_acl_t;

typedef struct {
    dr_str_t         auth_scheme;
    dr_str_t         user;
} dr_zk_client_info_t;


/* element types of a vector, and the least bytes one element takes */
typedef enum {
    DR_ZK_VEC_USTRING = 0,      /* dr_str_t             4 */
    DR_ZK_VEC_ACL,              /* dr_zk_acl_t          12 */
    DR_ZK_VEC_ID,               /* dr_zk_id_t           8 */
    DR_ZK_VEC_CLIENT_INFO       /* dr_zk_client_info_t  8 */
} dr_zk_vec_type_e;

/*
 * A jute vector. Decoded: nelts (-1 for a null vector) and start..end, the
 * already validated encoded elements in the frame (walk them with
 * dr_zk_vec_iter()), elts NULL. To encode: either nelts + elts, an array of
 * nelts elements of the vector's C type, or elts NULL and start..end raw
 * encoded elements (a decoded vector is re-encoded byte for byte).
 */
typedef struct {
    int32_t          nelts;
    u_char          *start;
    u_char          *end;
    void            *elts;
} dr_zk_vec_t;

typedef struct {
    dr_zk_reader_t   rd;
    void            *elts;
    int32_t          left;
    int32_t          index;
} dr_zk_vec_iter_t;


/*
 * A record is described by its fields: the generic dr_zk_jute_decode() and
 * dr_zk_jute_encode() walk the description over a C struct, so every record
 * shares one audited reader and one writer (src/zk/dr_zk_proto.h lists the
 * records and their typed wrappers).
 */
typedef enum {
    DR_ZK_JUTE_INT = 0,         /* int32_t */
    DR_ZK_JUTE_LONG,            /* int64_t */
    DR_ZK_JUTE_BOOL,            /* dr_uint_t */
    DR_ZK_JUTE_BUFFER,          /* dr_str_t, data NULL = null */
    DR_ZK_JUTE_USTRING,         /* dr_str_t, data NULL = null */
    DR_ZK_JUTE_STAT,            /* dr_zk_stat_t */
    DR_ZK_JUTE_VEC_USTRING,     /* dr_zk_vec_t of dr_str_t */
    DR_ZK_JUTE_VEC_ACL,         /* dr_zk_vec_t of dr_zk_acl_t */
    DR_ZK_JUTE_VEC_ID,          /* dr_zk_vec_t of dr_zk_id_t */
    DR_ZK_JUTE_VEC_CLIENT_INFO  /* dr_zk_vec_t of dr_zk_client_info_t */
} dr_zk_jute_type_e;

typedef struct {
    uint16_t         type;      /* dr_zk_jute_type_e */
    uint16_t         offset;    /* offsetof() the field in the C struct */
} dr_zk_jute_field_t;

typedef struct {
    const char                *name;      /* the jute class, for logs */
    size_t                     size;      /* sizeof the C struct */
    dr_uint_t                  nfields;
    const dr_zk_jute_field_t  *fields;
} dr_zk_jute_record_t;


static inline dr_zk_reader_t
dr_zk_reader_init(u_char *buf, size_t len)
{
    dr_zk_reader_t  rd;

    rd.pos = buf;
    rd.last = len ? buf + len : buf;

    return rd;
}

#define dr_zk_reader_left(rd)   ((size_t) ((rd)->last - (rd)->pos))


static inline dr_zk_writer_t
dr_zk_writer_init(u_char *buf, size_t size)
{
    dr_zk_writer_t  wr;

    wr.start = buf;
    wr.pos = buf;
    wr.end = size ? buf + size : buf;

    return wr;
}

#define dr_zk_writer_len(wr)    ((size_t) ((wr)->pos - (wr)->start))
#define dr_zk_writer_mark(wr)   dr_zk_writer_len(wr)


/*
 * Readers: DR_OK, or DR_ERROR when the frame is truncated or a length is
 * malformed (< -1, or beyond the frame); <rd> is then left unspecified.
 */
dr_int_t dr_zk_jute_read_int(dr_zk_reader_t *rd, int32_t *v);
dr_int_t dr_zk_jute_read_long(dr_zk_reader_t *rd, int64_t *v);
/* any non-zero byte is true, as Java's DataInput.readBoolean() */
dr_int_t dr_zk_jute_read_bool(dr_zk_reader_t *rd, dr_uint_t *v);
dr_int_t dr_zk_jute_read_buffer(dr_zk_reader_t *rd, dr_str_t *out,
    dr_uint_t *null);
/* the bytes are not checked for UTF-8 here: dr_zk_path_validate() does */
dr_int_t dr_zk_jute_read_ustring(dr_zk_reader_t *rd, dr_str_t *out,
    dr_uint_t *null);
/*
 * A vector's element count: -1 (null) or 0..remaining/<min_size>, so that a
 * hostile count can never make the caller allocate beyond the frame.
 */
dr_int_t dr_zk_jute_read_vector(dr_zk_reader_t *rd, int32_t *count,
    size_t min_size);
dr_int_t dr_zk_jute_read_stat(dr_zk_reader_t *rd, dr_zk_stat_t *st);
dr_int_t dr_zk_jute_read_id(dr_zk_reader_t *rd, dr_zk_id_t *id);
dr_int_t dr_zk_jute_read_acl(dr_zk_reader_t *rd, dr_zk_acl_t *acl);
dr_int_t dr_zk_jute_read_client_info(dr_zk_reader_t *rd,
    dr_zk_client_info_t *ci);
/* reads and validates a whole vector of <type> into the view <vec> */
dr_int_t dr_zk_jute_read_vec(dr_zk_reader_t *rd, dr_zk_vec_type_e type,
    dr_zk_vec_t *vec);

/*
 * Walks a decoded vector (elts NULL) or an encode-side array (elts set).
 * next: DR_OK with the element, DR_DONE after the last one (also for a null
 * vector), DR_ERROR only if start..end was not a validated vector. The
 * element type must be the vector's.
 */
dr_zk_vec_iter_t dr_zk_vec_iter(dr_zk_vec_t *vec);
dr_int_t dr_zk_vec_next_str(dr_zk_vec_iter_t *it, dr_str_t *s);
dr_int_t dr_zk_vec_next_acl(dr_zk_vec_iter_t *it, dr_zk_acl_t *acl);
dr_int_t dr_zk_vec_next_id(dr_zk_vec_iter_t *it, dr_zk_id_t *id);
dr_int_t dr_zk_vec_next_client_info(dr_zk_vec_iter_t *it,
    dr_zk_client_info_t *ci);


/* Writers: DR_OK, or DR_ERROR (nothing written) when it would not fit. */
dr_int_t dr_zk_jute_write_int(dr_zk_writer_t *wr, int32_t v);
dr_int_t dr_zk_jute_write_long(dr_zk_writer_t *wr, int64_t v);
dr_int_t dr_zk_jute_write_bool(dr_zk_writer_t *wr, dr_uint_t v);
/* <s> NULL or s->data NULL writes a null (-1); DR_ERROR beyond INT32_MAX */
dr_int_t dr_zk_jute_write_buffer(dr_zk_writer_t *wr, dr_str_t *s);
dr_int_t dr_zk_jute_write_ustring(dr_zk_writer_t *wr, dr_str_t *s);
dr_int_t dr_zk_jute_write_raw(dr_zk_writer_t *wr, u_char *p, size_t n);
dr_int_t dr_zk_jute_write_stat(dr_zk_writer_t *wr, dr_zk_stat_t *st);
dr_int_t dr_zk_jute_write_id(dr_zk_writer_t *wr, dr_zk_id_t *id);
dr_int_t dr_zk_jute_write_acl(dr_zk_writer_t *wr, dr_zk_acl_t *acl);
dr_int_t dr_zk_jute_write_client_info(dr_zk_writer_t *wr,
    dr_zk_client_info_t *ci);
dr_int_t dr_zk_jute_write_vec(dr_zk_writer_t *wr, dr_zk_vec_type_e type,
    dr_zk_vec_t *vec);

/*
 * Decodes record <rec> from <rd> into the C struct <r> (views into the
 * frame); DR_ERROR when truncated or malformed. Fields after a failure are
 * unspecified. Trailing bytes are left in <rd>: ZooKeeper ignores them.
 */
dr_int_t dr_zk_jute_decode(const dr_zk_jute_record_t *rec, dr_zk_reader_t *rd,
    void *r);
/* Encodes the C struct <r> as <rec>; on DR_ERROR nothing is written. */
dr_int_t dr_zk_jute_encode(const dr_zk_jute_record_t *rec, dr_zk_writer_t *wr,
    void *r);

/*
 * For counts and lengths known only at the end (children of a hash walk):
 * reserve writes a placeholder int and returns its mark; patch fills it in.
 */
dr_int_t dr_zk_jute_reserve_int(dr_zk_writer_t *wr, size_t *mark);
void dr_zk_jute_patch_int(dr_zk_writer_t *wr, size_t mark, int32_t v);

/*
 * A frame: begin reserves the 4-byte length prefix, end patches it with the
 * payload length. end returns DR_ERROR if the payload exceeds <max> (0: no
 * limit but INT32_MAX); the writer is then rewound to the frame's mark.
 */
dr_int_t dr_zk_jute_frame_begin(dr_zk_writer_t *wr, size_t *mark);
dr_int_t dr_zk_jute_frame_end(dr_zk_writer_t *wr, size_t mark, size_t max);

/*
 * Splits a frame off a byte stream (a parser: owns nothing). Returns the
 * bytes consumed including the 4-byte prefix, with <payload> a view of the
 * payload; DR_PARSE_AGAIN when more bytes are needed; DR_PARSE_ERROR when
 * the length is negative or above <max> (ZooKeeper closes the connection).
 */
ssize_t dr_zk_jute_frame_parse(u_char *p, size_t len, size_t max,
    dr_str_t *payload);

#endif /* DR_ZK_JUTE_H_INCLUDED */
