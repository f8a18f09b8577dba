/*
 * The gzip filter (nginx's ngx_http_gzip_filter_module): compresses a
 * 200/403/404 response of a `gzip_types` type (text/html by default) of
 * at least `gzip_min_length` bytes for a client that accepts gzip
 * (dr_http_gzip.c), with zlib, into `gzip_buffers` output buffers. It
 * drops Content-Length (chunked framing follows) and ranges, and adds
 * "Content-Encoding: gzip"; `gzip_vary` adds "Vary: Accept-Encoding" to
 * every response it could have compressed. $gzip_ratio is the ratio.
 *
 * Per response: one zlib state preallocated in r->pool (freed as soon as
 * the stream ends, not with the request) and at most gzip_buffers output
 * buffers, recycled once the write filter has sent them: when they are all
 * in flight the filter stops and says DR_AGAIN, and the write event brings
 * it back with the rest of its input (ctx->in). File bufs (a static file)
 * are read with pread() into one buffer of gzip_buffers' size, so a big
 * file is compressed in bounded memory; memory bufs are fed directly.
 *
 * Header filters: not_modified runs before it (a 304 is not compressed),
 * range after it (a gzipped response has no ranges). Body filters: before
 * chunked (config: after dr_http_chunked_filter_module in the table).
 */

#include "dr_http_gzip.h"

#include <zlib.h>


typedef struct {
    dr_chain_t          *in;
    dr_chain_t          *free;
    dr_chain_t          *busy;
    dr_chain_t          *out;
    dr_chain_t         **last_out;

    dr_buf_t            *in_buf;
    dr_buf_t            *out_buf;
    dr_buf_t            *file_buf;     /* what pread() fills */
    dr_int_t             bufs;

    void                *preallocated;
    u_char              *free_mem;
    size_t               allocated;

    int                  wbits;
    int                  memlevel;

    unsigned             flush:4;
    unsigned             redo:1;
    unsigned             done:1;
    unsigned             nomem:1;
    unsigned             gzheader:1;
    unsigned             from_file:1;  /* zstream reads file_buf */

    size_t               zin;
    size_t               zout;

    uint32_t             crc32;
    z_stream             zstream;
    dr_http_request_t   *request;
} dr_http_gzip_ctx_t;


static void dr_http_gzip_filter_memory(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_deflate_start(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_gzheader(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_add_data(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_read_file(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx, dr_buf_t *b);
static dr_int_t dr_http_gzip_filter_get_buf(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_deflate(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_deflate_end(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx);
static dr_int_t dr_http_gzip_filter_out(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx, dr_buf_t *b);
static void dr_http_gzip_filter_update_chains(dr_http_gzip_ctx_t *ctx);

static void *dr_http_gzip_filter_alloc(void *opaque, u_int items,
    u_int size);
static void dr_http_gzip_filter_free(void *opaque, void *address);

static dr_int_t dr_http_gzip_add_variables(dr_conf_t *cf);
static dr_int_t dr_http_gzip_ratio_variable(dr_http_request_t *r,
    dr_http_variable_value_t *v, uintptr_t data);

static dr_int_t dr_http_gzip_filter_init(dr_conf_t *cf);
static void *dr_http_gzip_create_conf(dr_conf_t *cf);
static char *dr_http_gzip_merge_conf(dr_conf_t *cf, void *parent,
    void *child);
static char *dr_http_gzip_window(dr_conf_t *cf, void *post, void *data);
static char *dr_http_gzip_hash(dr_conf_t *cf, void *post, void *data);
static char *dr_http_gzip_disable(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);


static dr_conf_num_bounds_t  dr_http_gzip_comp_level_bounds = {
    dr_conf_check_num_bounds, 1, 9
};

static dr_conf_post_t  dr_http_gzip_window_p = { dr_http_gzip_window };
static dr_conf_post_t  dr_http_gzip_hash_p = { dr_http_gzip_hash };


static dr_conf_enum_t  dr_http_gzip_http_version[] = {
    { dr_string("1.0"), DR_HTTP_VERSION_10 },
    { dr_string("1.1"), DR_HTTP_VERSION_11 },
    { dr_null_string, 0 }
};


static dr_conf_bitmask_t  dr_http_gzip_proxied_mask[] = {
    { dr_string("off"), DR_HTTP_GZIP_PROXIED_OFF },
    { dr_string("expired"), DR_HTTP_GZIP_PROXIED_EXPIRED },
    { dr_string("no-cache"), DR_HTTP_GZIP_PROXIED_NO_CACHE },
    { dr_string("no-store"), DR_HTTP_GZIP_PROXIED_NO_STORE },
    { dr_string("private"), DR_HTTP_GZIP_PROXIED_PRIVATE },
    { dr_string("no_last_modified"), DR_HTTP_GZIP_PROXIED_NO_LM },
    { dr_string("no_etag"), DR_HTTP_GZIP_PROXIED_NO_ETAG },
    { dr_string("auth"), DR_HTTP_GZIP_PROXIED_AUTH },
    { dr_string("any"), DR_HTTP_GZIP_PROXIED_ANY },
    { dr_null_string, 0 }
};


static dr_command_t  dr_http_gzip_filter_commands[] = {

    { dr_string("gzip"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_HTTP_LIF_CONF
                       |DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, enable),
      NULL },

    { dr_string("gzip_buffers"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE2,
      dr_conf_set_bufs_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, bufs),
      NULL },

    { dr_string("gzip_types"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_http_types_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, types_keys),
      &dr_http_html_default_types[0] },

    { dr_string("gzip_comp_level"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, level),
      &dr_http_gzip_comp_level_bounds },

    { dr_string("gzip_window"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, wbits),
      &dr_http_gzip_window_p },

    { dr_string("gzip_hash"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, memlevel),
      &dr_http_gzip_hash_p },

    { dr_string("gzip_min_length"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, min_length),
      NULL },

    { dr_string("gzip_vary"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, vary),
      NULL },

    { dr_string("gzip_http_version"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, http_version),
      &dr_http_gzip_http_version },

    { dr_string("gzip_proxied"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_conf_set_bitmask_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_gzip_loc_conf_t, proxied),
      &dr_http_gzip_proxied_mask },

    { dr_string("gzip_disable"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_1MORE,
      dr_http_gzip_disable,
      DR_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_gzip_filter_module_ctx = {
    .preconfiguration = dr_http_gzip_add_variables,
    .postconfiguration = dr_http_gzip_filter_init,
    .create_loc_conf = dr_http_gzip_create_conf,
    .merge_loc_conf = dr_http_gzip_merge_conf,
};


dr_module_t  dr_http_gzip_filter_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_gzip_filter",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_gzip_filter_module_ctx,
    .commands = dr_http_gzip_filter_commands,
};


static dr_str_t  dr_http_gzip_ratio = dr_string("gzip_ratio");

static dr_http_output_header_filter_pt  dr_http_next_header_filter;
static dr_http_output_body_filter_pt    dr_http_next_body_filter;


static dr_int_t
dr_http_gzip_header_filter(dr_http_request_t *r)
{
    dr_table_elt_t           *h;
    dr_http_gzip_ctx_t       *ctx;
    dr_http_gzip_loc_conf_t  *conf;

    conf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

    if (!conf->enable
        || (r->headers_out.status != DR_HTTP_OK
            && r->headers_out.status != DR_HTTP_FORBIDDEN
            && r->headers_out.status != DR_HTTP_NOT_FOUND)
        || (r->headers_out.content_encoding
            && r->headers_out.content_encoding->value.len)
        || (r->headers_out.content_length_n != -1
            && r->headers_out.content_length_n < conf->min_length)
        || dr_http_test_content_type(r, &conf->types) == NULL
        || r->header_only)
    {
        return dr_http_next_header_filter(r);
    }

    /* the core's header filter adds "Vary: Accept-Encoding" for it */

    if (conf->vary) {
        r->gzip_vary = 1;
    }

    if (!r->gzip_tested) {
        if (dr_http_gzip_ok(r) != DR_OK) {
            return dr_http_next_header_filter(r);
        }

    } else if (!r->gzip_ok) {
        return dr_http_next_header_filter(r);
    }

    ctx = dr_pcalloc(r->pool, sizeof(dr_http_gzip_ctx_t));
    if (ctx == NULL) {
        return DR_ERROR;
    }

    dr_http_set_ctx(r, ctx, dr_http_gzip_filter_module);

    ctx->request = r;

    dr_http_gzip_filter_memory(r, ctx);

    h = dr_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return DR_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    h->lowcase_key = NULL;
    dr_str_set(&h->key, "Content-Encoding");
    dr_str_set(&h->value, "gzip");
    r->headers_out.content_encoding = h;

    r->main_filter_need_in_memory = 1;

    dr_http_clear_content_length(r);
    dr_http_clear_accept_ranges(r);
    dr_http_weak_etag(r);

    return dr_http_next_header_filter(r);
}


static dr_int_t
dr_http_gzip_body_filter(dr_http_request_t *r, dr_chain_t *in)
{
    dr_int_t             rc;
    dr_http_gzip_ctx_t  *ctx;

    ctx = dr_http_get_module_ctx(r, dr_http_gzip_filter_module);

    if (ctx == NULL || ctx->done || r->header_only) {
        return dr_http_next_body_filter(r, in);
    }

    if (ctx->preallocated == NULL) {
        if (dr_http_gzip_filter_deflate_start(r, ctx) != DR_OK) {
            goto failed;
        }
    }

    if (in) {
        if (dr_chain_add_copy(r->pool, &ctx->in, in) != DR_OK) {
            goto failed;
        }
    }

    if (ctx->nomem) {

        /* every buffer is in flight: push the write filter first */

        if (dr_http_next_body_filter(r, NULL) == DR_ERROR) {
            goto failed;
        }

        dr_http_gzip_filter_update_chains(ctx);
        ctx->nomem = 0;
    }

    for ( ;; ) {

        /* as long as the client can take data */

        for ( ;; ) {

            /* as long as there is input for zlib and buffers for output */

            rc = dr_http_gzip_filter_add_data(r, ctx);

            if (rc == DR_DECLINED) {
                break;
            }

            if (rc == DR_ERROR) {
                goto failed;
            }

            if (rc == DR_AGAIN) {
                continue;
            }

            rc = dr_http_gzip_filter_get_buf(r, ctx);

            if (rc == DR_DECLINED) {
                break;
            }

            if (rc == DR_ERROR) {
                goto failed;
            }

            rc = dr_http_gzip_filter_deflate(r, ctx);

            if (rc == DR_OK) {
                break;
            }

            if (rc == DR_ERROR) {
                goto failed;
            }

            /* rc == DR_AGAIN */
        }

        if (ctx->out == NULL) {
            return ctx->busy ? DR_AGAIN : DR_OK;
        }

        if (!ctx->gzheader) {
            if (dr_http_gzip_filter_gzheader(r, ctx) != DR_OK) {
                goto failed;
            }
        }

        rc = dr_http_next_body_filter(r, ctx->out);

        if (rc == DR_ERROR) {
            goto failed;
        }

        dr_http_gzip_filter_update_chains(ctx);
        ctx->last_out = &ctx->out;

        ctx->nomem = 0;

        if (ctx->done) {
            return rc;
        }
    }

    /* unreachable */

failed:

    ctx->done = 1;

    if (ctx->preallocated) {
        deflateEnd(&ctx->zstream);
        dr_pfree(r->pool, ctx->preallocated);
        ctx->preallocated = NULL;
    }

    return DR_ERROR;
}


/* zlib's window and hash sized to the response when its length is known */
static void
dr_http_gzip_filter_memory(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx)
{
    int                        wbits, memlevel;
    dr_http_gzip_loc_conf_t   *conf;

    conf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

    wbits = (int) conf->wbits;
    memlevel = (int) conf->memlevel;

    if (r->headers_out.content_length_n > 0) {

        /* the actual zlib window size is smaller by 262 bytes */

        while (r->headers_out.content_length_n < ((1 << (wbits - 1)) - 262)) {
            wbits--;
            memlevel--;
        }

        if (memlevel < 1) {
            memlevel = 1;
        }
    }

    ctx->wbits = wbits;
    ctx->memlevel = memlevel;

    /*
     * One block for zlib (deflate_state about 6K, window, prev, head and
     * the pending buffer); zlib versions that want more get it from the
     * pool, see dr_http_gzip_filter_alloc().
     */

    ctx->allocated = 8192 + 16 + (1 << (wbits + 2)) + (1 << (memlevel + 9));
}


static dr_int_t
dr_http_gzip_filter_deflate_start(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx)
{
    int                        rc;
    dr_http_gzip_loc_conf_t   *conf;

    conf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

    ctx->preallocated = dr_palloc(r->pool, ctx->allocated);
    if (ctx->preallocated == NULL) {
        return DR_ERROR;
    }

    ctx->free_mem = ctx->preallocated;

    ctx->zstream.zalloc = dr_http_gzip_filter_alloc;
    ctx->zstream.zfree = dr_http_gzip_filter_free;
    ctx->zstream.opaque = ctx;

    rc = deflateInit2(&ctx->zstream, (int) conf->level, Z_DEFLATED,
                      - ctx->wbits, ctx->memlevel, Z_DEFAULT_STRATEGY);

    if (rc != Z_OK) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "deflateInit2() failed: %d", rc);
        dr_pfree(r->pool, ctx->preallocated);
        ctx->preallocated = NULL;
        return DR_ERROR;
    }

    ctx->last_out = &ctx->out;
    ctx->crc32 = crc32(0L, Z_NULL, 0);
    ctx->flush = Z_NO_FLUSH;

    return DR_OK;
}


static dr_int_t
dr_http_gzip_filter_gzheader(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx)
{
    dr_buf_t       *b;
    dr_chain_t     *cl;

    /* magic, deflate, no flags, no mtime, no extra flags, OS unix */
    static u_char  gzheader[10] =
                               { 0x1f, 0x8b, Z_DEFLATED, 0, 0, 0, 0, 0, 0, 3 };

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_ERROR;
    }

    b->memory = 1;
    b->pos = gzheader;
    b->last = b->pos + 10;

    cl = dr_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return DR_ERROR;
    }

    cl->buf = b;
    cl->next = ctx->out;
    ctx->out = cl;

    ctx->gzheader = 1;

    return DR_OK;
}


/*
 * Gives zlib its next input: the rest of a memory buf, or the next piece
 * of a file buf read into file_buf. DR_OK (input or a flush to do),
 * DR_AGAIN (an empty buf: take the next), DR_DECLINED (no input left),
 * DR_ERROR (a read failed).
 */
static dr_int_t
dr_http_gzip_filter_add_data(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx)
{
    dr_buf_t   *b;
    dr_uint_t   whole;

    if (ctx->zstream.avail_in || ctx->flush != Z_NO_FLUSH || ctx->redo) {
        return DR_OK;
    }

    b = ctx->in_buf;

    if (b == NULL
        || dr_buf_in_memory(b)
        || !b->in_file
        || b->file_pos >= b->file_last)
    {
        if (ctx->in == NULL) {
            return DR_DECLINED;
        }

        b = ctx->in->buf;
        ctx->in_buf = b;
        ctx->in = ctx->in->next;
    }

    if (dr_buf_in_memory(b)) {
        ctx->from_file = 0;
        ctx->zstream.next_in = b->pos;
        ctx->zstream.avail_in = b->last - b->pos;
        whole = 1;

    } else if (b->in_file && b->file_pos < b->file_last) {
        if (dr_http_gzip_filter_read_file(r, ctx, b) != DR_OK) {
            return DR_ERROR;
        }

        whole = (b->file_pos == b->file_last);

    } else {
        ctx->from_file = 0;
        ctx->zstream.next_in = NULL;
        ctx->zstream.avail_in = 0;
        whole = 1;
    }

    if (whole) {
        if (b->last_buf) {
            ctx->flush = Z_FINISH;

        } else if (b->flush) {
            ctx->flush = Z_SYNC_FLUSH;
        }
    }

    if (ctx->zstream.avail_in) {
        ctx->crc32 = crc32(ctx->crc32, ctx->zstream.next_in,
                           ctx->zstream.avail_in);

    } else if (ctx->flush == Z_NO_FLUSH) {
        return DR_AGAIN;
    }

    return DR_OK;
}


/* reads the next piece of the file buf <b> into ctx->file_buf */
static dr_int_t
dr_http_gzip_filter_read_file(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx,
    dr_buf_t *b)
{
    off_t                      left;
    size_t                     size;
    ssize_t                    n;
    dr_http_gzip_loc_conf_t   *conf;

    if (ctx->file_buf == NULL) {
        conf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

        size = conf->bufs.size < 32768 ? 32768 : conf->bufs.size;

        ctx->file_buf = dr_create_temp_buf(r->pool, size);
        if (ctx->file_buf == NULL) {
            return DR_ERROR;
        }
    }

    left = b->file_last - b->file_pos;
    size = ctx->file_buf->end - ctx->file_buf->start;

    if ((off_t) size > left) {
        size = (size_t) left;
    }

    for ( ;; ) {
        n = pread(b->file->fd, ctx->file_buf->start, size, b->file_pos);

        if (n == -1 && dr_errno == DR_EINTR) {
            continue;
        }

        break;
    }

    if (n == -1) {
        dr_log_error(DR_LOG_CRIT, r->connection->log, dr_errno,
                     "pread() \"%V\" failed", &b->file->name);
        return DR_ERROR;
    }

    if ((size_t) n != size) {
        dr_log_error(DR_LOG_CRIT, r->connection->log, 0,
                     "pread() has read only %z of %uz from \"%V\": the file "
                     "was truncated", n, size, &b->file->name);
        return DR_ERROR;
    }

    b->file_pos += n;

    ctx->from_file = 1;
    ctx->zstream.next_in = ctx->file_buf->start;
    ctx->zstream.avail_in = (uInt) n;

    return DR_OK;
}


static dr_int_t
dr_http_gzip_filter_get_buf(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx)
{
    dr_chain_t                *cl;
    dr_http_gzip_loc_conf_t   *conf;

    if (ctx->zstream.avail_out) {
        return DR_OK;
    }

    conf = dr_http_get_module_loc_conf(r, dr_http_gzip_filter_module);

    if (ctx->free) {
        cl = ctx->free;
        ctx->out_buf = cl->buf;
        ctx->free = cl->next;

    } else if (ctx->bufs < conf->bufs.num) {

        ctx->out_buf = dr_create_temp_buf(r->pool, conf->bufs.size);
        if (ctx->out_buf == NULL) {
            return DR_ERROR;
        }

        ctx->out_buf->tag = (dr_buf_tag_t) &dr_http_gzip_filter_module;
        ctx->out_buf->recycled = 1;
        ctx->bufs++;

    } else {
        ctx->nomem = 1;
        return DR_DECLINED;
    }

    ctx->out_buf->pos = ctx->out_buf->start;
    ctx->out_buf->last = ctx->out_buf->start;
    ctx->out_buf->flush = 0;
    ctx->out_buf->last_buf = 0;

    ctx->zstream.next_out = ctx->out_buf->pos;
    ctx->zstream.avail_out = conf->bufs.size;

    return DR_OK;
}


static dr_int_t
dr_http_gzip_filter_deflate(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx)
{
    int  rc;

    rc = deflate(&ctx->zstream, ctx->flush);

    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "deflate() failed: %d, %d", ctx->flush, rc);
        return DR_ERROR;
    }

    if (ctx->zstream.next_in) {
        if (!ctx->from_file) {
            ctx->in_buf->pos = ctx->zstream.next_in;
        }

        if (ctx->zstream.avail_in == 0) {
            ctx->zstream.next_in = NULL;
        }
    }

    ctx->out_buf->last = ctx->zstream.next_out;

    if (ctx->zstream.avail_out == 0) {

        /* zlib has more to say: this buffer is full */

        if (dr_http_gzip_filter_out(r, ctx, ctx->out_buf) != DR_OK) {
            return DR_ERROR;
        }

        ctx->redo = 1;

        return DR_AGAIN;
    }

    ctx->redo = 0;

    if (ctx->flush == Z_SYNC_FLUSH) {

        ctx->zstream.avail_out = 0;
        ctx->out_buf->flush = 1;
        ctx->flush = Z_NO_FLUSH;

        if (dr_http_gzip_filter_out(r, ctx, ctx->out_buf) != DR_OK) {
            return DR_ERROR;
        }

        return DR_OK;
    }

    if (rc == Z_STREAM_END) {

        if (dr_http_gzip_filter_deflate_end(r, ctx) != DR_OK) {
            return DR_ERROR;
        }

        return DR_OK;
    }

    return DR_AGAIN;
}


/* the trailer (CRC32 and length, little-endian) ends the stream */
static dr_int_t
dr_http_gzip_filter_deflate_end(dr_http_request_t *r,
    dr_http_gzip_ctx_t *ctx)
{
    int        rc;
    u_char    *t;
    dr_buf_t  *b;

    ctx->zin = ctx->zstream.total_in;
    ctx->zout = 10 + ctx->zstream.total_out + 8;

    rc = deflateEnd(&ctx->zstream);

    if (rc != Z_OK) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                     "deflateEnd() failed: %d", rc);
        return DR_ERROR;
    }

    dr_pfree(r->pool, ctx->preallocated);
    ctx->preallocated = NULL;

    if (dr_http_gzip_filter_out(r, ctx, ctx->out_buf) != DR_OK) {
        return DR_ERROR;
    }

    if (ctx->zstream.avail_out >= 8) {
        b = ctx->out_buf;

    } else {
        b = dr_create_temp_buf(r->pool, 8);
        if (b == NULL) {
            return DR_ERROR;
        }

        if (dr_http_gzip_filter_out(r, ctx, b) != DR_OK) {
            return DR_ERROR;
        }
    }

    t = b->last;

    t[0] = (u_char) (ctx->crc32 & 0xff);
    t[1] = (u_char) ((ctx->crc32 >> 8) & 0xff);
    t[2] = (u_char) ((ctx->crc32 >> 16) & 0xff);
    t[3] = (u_char) ((ctx->crc32 >> 24) & 0xff);

    t[4] = (u_char) (ctx->zin & 0xff);
    t[5] = (u_char) ((ctx->zin >> 8) & 0xff);
    t[6] = (u_char) ((ctx->zin >> 16) & 0xff);
    t[7] = (u_char) ((ctx->zin >> 24) & 0xff);

    b->last += 8;
    b->last_buf = 1;

    ctx->zstream.avail_in = 0;
    ctx->zstream.avail_out = 0;

    ctx->done = 1;

    return DR_OK;
}


/* appends <b> to the output chain */
static dr_int_t
dr_http_gzip_filter_out(dr_http_request_t *r, dr_http_gzip_ctx_t *ctx,
    dr_buf_t *b)
{
    dr_chain_t  *cl;

    cl = dr_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return DR_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;
    *ctx->last_out = cl;
    ctx->last_out = &cl->next;

    return DR_OK;
}


/*
 * After a pass to the next filter: what was output is busy; busy buffers
 * the write filter has sent completely become free again (nginx's
 * ngx_chain_update_chains). Buffers that are not ours (the header) drop.
 */
static void
dr_http_gzip_filter_update_chains(dr_http_gzip_ctx_t *ctx)
{
    dr_chain_t  *cl, **ll;

    if (ctx->out) {
        for (ll = &ctx->busy; *ll; ll = &(*ll)->next) { /* void */ }
        *ll = ctx->out;
        ctx->out = NULL;
    }

    while (ctx->busy) {
        cl = ctx->busy;

        if (dr_buf_size(cl->buf) != 0) {
            break;
        }

        ctx->busy = cl->next;

        if (cl->buf->tag != (dr_buf_tag_t) &dr_http_gzip_filter_module) {
            continue;
        }

        cl->buf->pos = cl->buf->start;
        cl->buf->last = cl->buf->start;

        cl->next = ctx->free;
        ctx->free = cl;
    }
}


/* zlib's allocations come from the preallocated block, else r->pool */
static void *
dr_http_gzip_filter_alloc(void *opaque, u_int items, u_int size)
{
    dr_http_gzip_ctx_t *ctx = opaque;

    void    *p;
    size_t   alloc;

    alloc = (size_t) items * size;

    if (alloc % 512 != 0 && alloc < 8192) {

        /* the deflate_state, about 6K: take 8K; the rest are 512 * n */

        alloc = 8192;
    }

    if (alloc <= ctx->allocated) {
        p = ctx->free_mem;
        ctx->free_mem += alloc;
        ctx->allocated -= alloc;

        return p;
    }

    return dr_palloc(ctx->request->pool, (size_t) items * size);
}


static void
dr_http_gzip_filter_free(void *opaque, void *address)
{
    /* the block goes at once after deflateEnd(); the rest with the pool */
}


static dr_int_t
dr_http_gzip_add_variables(dr_conf_t *cf)
{
    dr_http_variable_t  *var;

    var = dr_http_add_variable(cf, &dr_http_gzip_ratio, DR_HTTP_VAR_NOHASH);
    if (var == NULL) {
        return DR_ERROR;
    }

    var->get_handler = dr_http_gzip_ratio_variable;

    return DR_OK;
}


/* $gzip_ratio: "3.14", input over output, rounded to 2 decimals */
static dr_int_t
dr_http_gzip_ratio_variable(dr_http_request_t *r, dr_http_variable_value_t *v,
    uintptr_t data)
{
    dr_uint_t            zint, zfrac;
    dr_http_gzip_ctx_t  *ctx;

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    ctx = dr_http_get_module_ctx(r, dr_http_gzip_filter_module);

    if (ctx == NULL || ctx->zout == 0) {
        v->not_found = 1;
        return DR_OK;
    }

    v->data = dr_pnalloc(r->pool, DR_INT_T_LEN + 3);
    if (v->data == NULL) {
        return DR_ERROR;
    }

    zint = (dr_uint_t) (ctx->zin / ctx->zout);
    zfrac = (dr_uint_t) ((ctx->zin * 100 / ctx->zout) % 100);

    if ((ctx->zin * 1000 / ctx->zout) % 10 > 4) {

        /* rounding: 2.125 -> 2.13 */

        zfrac++;

        if (zfrac > 99) {
            zint++;
            zfrac = 0;
        }
    }

    v->len = dr_sprintf(v->data, "%ui.%02ui", zint, zfrac) - v->data;

    return DR_OK;
}


static void *
dr_http_gzip_create_conf(dr_conf_t *cf)
{
    dr_http_gzip_loc_conf_t  *conf;

    conf = dr_pcalloc(cf->pool, sizeof(dr_http_gzip_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by dr_pcalloc():
     *
     *     conf->bufs.num = 0;
     *     conf->types = { NULL };
     *     conf->types_keys = NULL;
     *     conf->proxied = 0;
     */

    conf->enable = DR_CONF_UNSET;
    conf->level = DR_CONF_UNSET;
    conf->wbits = DR_CONF_UNSET_SIZE;
    conf->memlevel = DR_CONF_UNSET_SIZE;
    conf->min_length = DR_CONF_UNSET;

    conf->vary = DR_CONF_UNSET;
    conf->http_version = DR_CONF_UNSET_UINT;
    conf->disable = DR_CONF_UNSET_PTR;
    conf->disable_msie6 = DR_CONF_UNSET;

    return conf;
}


static char *
dr_http_gzip_merge_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_gzip_loc_conf_t  *prev = parent;
    dr_http_gzip_loc_conf_t  *conf = child;

    long  pagesize;

    dr_conf_merge_value(conf->enable, prev->enable, 0);

    if (conf->bufs.num == 0) {
        if (prev->bufs.num) {
            conf->bufs = prev->bufs;

        } else {
            pagesize = sysconf(_SC_PAGESIZE);
            if (pagesize <= 0) {
                pagesize = 4096;
            }

            conf->bufs.num = (128 * 1024) / pagesize;
            conf->bufs.size = (size_t) pagesize;
        }
    }

    dr_conf_merge_value(conf->level, prev->level, 1);
    dr_conf_merge_size_value(conf->wbits, prev->wbits, MAX_WBITS);
    dr_conf_merge_size_value(conf->memlevel, prev->memlevel,
                             MAX_MEM_LEVEL - 1);
    dr_conf_merge_value(conf->min_length, prev->min_length, 20);

    dr_conf_merge_value(conf->vary, prev->vary, 0);
    dr_conf_merge_uint_value(conf->http_version, prev->http_version,
                             DR_HTTP_VERSION_11);
    dr_conf_merge_bitmask_value(conf->proxied, prev->proxied,
                                (DR_CONF_BITMASK_SET
                                 |DR_HTTP_GZIP_PROXIED_OFF));
    dr_conf_merge_ptr_value(conf->disable, prev->disable, NULL);
    dr_conf_merge_value(conf->disable_msie6, prev->disable_msie6, 0);

    if (dr_http_merge_types(cf, &conf->types_keys, &conf->types,
                            &prev->types_keys, &prev->types,
                            dr_http_html_default_types)
        != DR_OK)
    {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


/* gzip_window 512 .. 32k: stored as zlib's window bits */
static char *
dr_http_gzip_window(dr_conf_t *cf, void *post, void *data)
{
    size_t *np = data;

    size_t  wbits, wsize;

    wbits = 15;

    for (wsize = 32 * 1024; wsize > 256; wsize >>= 1) {

        if (wsize == *np) {
            *np = wbits;
            return DR_CONF_OK;
        }

        wbits--;
    }

    return "must be 512, 1k, 2k, 4k, 8k, 16k, or 32k";
}


/* gzip_hash 512 .. 128k: stored as zlib's memLevel */
static char *
dr_http_gzip_hash(dr_conf_t *cf, void *post, void *data)
{
    size_t *np = data;

    size_t  memlevel, hsize;

    memlevel = 9;

    for (hsize = 128 * 1024; hsize > 256; hsize >>= 1) {

        if (hsize == *np) {
            *np = memlevel;
            return DR_CONF_OK;
        }

        memlevel--;
    }

    return "must be 512, 1k, 2k, 4k, 8k, 16k, 32k, 64k, or 128k";
}


/* gzip_disable regex | msie6 ...: User-Agent patterns, caseless */
static char *
dr_http_gzip_disable(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_http_gzip_loc_conf_t  *glcf = conf;

    u_char               errstr[DR_MAX_CONF_ERRSTR];
    dr_str_t            *value;
    dr_uint_t            i;
    dr_regex_elt_t      *re;
    dr_regex_compile_t   rc;

    if (glcf->disable == DR_CONF_UNSET_PTR || glcf->disable == NULL) {
        glcf->disable = dr_array_create(cf->pool, 2, sizeof(dr_regex_elt_t));
        if (glcf->disable == NULL) {
            return DR_CONF_ERROR;
        }
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (dr_str_eq_lit(&value[i], "msie6")) {
            glcf->disable_msie6 = 1;
            continue;
        }

        re = dr_array_push(glcf->disable);
        if (re == NULL) {
            return DR_CONF_ERROR;
        }

        dr_memzero(&rc, sizeof(dr_regex_compile_t));
        rc.pattern = value[i];
        rc.pool = cf->pool;
        rc.options = DR_REGEX_CASELESS;
        rc.err.len = DR_MAX_CONF_ERRSTR;
        rc.err.data = errstr;

        if (dr_regex_compile(&rc) != DR_OK) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0, "%V", &rc.err);
            return DR_CONF_ERROR;
        }

        re->regex = rc.regex;
        re->name = (u_char *) dr_pstrz(cf->pool, &value[i]);
        if (re->name == NULL) {
            return DR_CONF_ERROR;
        }
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_http_gzip_filter_init(dr_conf_t *cf)
{
    dr_http_next_header_filter = dr_http_top_header_filter;
    dr_http_top_header_filter = dr_http_gzip_header_filter;

    dr_http_next_body_filter = dr_http_top_body_filter;
    dr_http_top_body_filter = dr_http_gzip_body_filter;

    return DR_OK;
}
