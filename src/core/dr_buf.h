/*
 * Buffers and chains. A dr_buf_t is a pos..last window in start..end memory,
 * and/or a file_pos..file_last range of a file (sent with sendfile); chains
 * mix both kinds. Flags say whether memory may be written (temporary) or is
 * read-only (memory), and mark the last buffer of a response (last_buf).
 */
#ifndef DR_BUF_H_INCLUDED
#define DR_BUF_H_INCLUDED

typedef void *dr_buf_tag_t;

/* what a chain writer returns when the connection failed */
#define DR_CHAIN_ERROR  (dr_chain_t *) DR_ERROR

typedef struct dr_buf_s  dr_buf_t;

struct dr_buf_s {
    u_char          *pos;
    u_char          *last;
    off_t            file_pos;
    off_t            file_last;

    u_char          *start;
    u_char          *end;
    dr_buf_tag_t     tag;
    dr_file_t       *file;
    dr_buf_t        *shadow;

    unsigned         temporary:1;
    unsigned         memory:1;
    unsigned         mmap:1;
    unsigned         recycled:1;
    unsigned         in_file:1;
    unsigned         flush:1;
    unsigned         sync:1;
    unsigned         last_buf:1;
    unsigned         last_in_chain:1;
    unsigned         temp_file:1;
};

struct dr_chain_s {
    dr_buf_t        *buf;
    dr_chain_t      *next;
};

typedef struct {
    dr_int_t         num;
    size_t           size;
} dr_bufs_t;

#define dr_buf_in_memory(b)       ((b)->temporary || (b)->memory || (b)->mmap)
#define dr_buf_in_memory_only(b)  (dr_buf_in_memory(b) && !(b)->in_file)
#define dr_buf_special(b)                                                     \
    (((b)->flush || (b)->last_buf || (b)->sync)                               \
     && !dr_buf_in_memory(b) && !(b)->in_file)
#define dr_buf_size(b)                                                        \
    (dr_buf_in_memory(b) ? (off_t) ((b)->last - (b)->pos)                     \
                         : ((b)->file_last - (b)->file_pos))

dr_buf_t *dr_create_temp_buf(dr_pool_t *pool, size_t size);
dr_chain_t *dr_create_chain_of_bufs(dr_pool_t *pool, dr_bufs_t *bufs);

#define dr_alloc_buf(pool)   dr_palloc(pool, sizeof(dr_buf_t))
#define dr_calloc_buf(pool)  dr_pcalloc(pool, sizeof(dr_buf_t))

dr_chain_t *dr_alloc_chain_link(dr_pool_t *pool);


/* appends copies of the links of <in> to <*chain> (buffers are shared) */
dr_int_t dr_chain_add_copy(dr_pool_t *pool, dr_chain_t **chain, dr_chain_t *in);
/* skips <sent> bytes of <in>, returns the first link with data left */
dr_chain_t *dr_chain_update_sent(dr_chain_t *in, off_t sent);
off_t dr_chain_size(dr_chain_t *in);

#endif
