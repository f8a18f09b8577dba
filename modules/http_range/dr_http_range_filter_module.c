/*
 * The range filter (nginx's ngx_http_range_header_filter_module and
 * ngx_http_range_body_filter_module, one module here): byte ranges of a
 * 200 response whose length is known and whose producer allows ranges
 * (r->allow_ranges: static files).
 *
 *   no Range, or Range ignored          200, "Accept-Ranges: bytes"
 *   one satisfiable range               206, Content-Range: bytes S-E/T
 *   several                             206, multipart/byteranges
 *   none satisfiable, or a syntax error 416, Content-Range: bytes * /T
 *
 * If-Range (an ETag compared byte for byte, or a date equal to
 * Last-Modified) turns a mismatch into a plain 200. `max_ranges` (core)
 * caps the number of ranges (more: 200; 0 disables ranges). The header
 * filter runs after gzip's (before it in the module table): a gzipped
 * response has no ranges, as in nginx.
 *
 * The body filter trims the file bufs in place (file_pos/file_last), so a
 * single range is still sent with sendfile; the multipart form needs the
 * whole body in one buf (a static file is one) and wraps a buf per range
 * in boundary lines, all from r->pool.
 *
 *   "--BOUNDARY" CRLF "Content-Type: T" CRLF "Content-Range: bytes S-E/L"
 *   CRLF CRLF data CRLF ... "--BOUNDARY--" CRLF
 */

#include "dr_http.h"
#include "dr_http_range_parse.h"


typedef struct {
    off_t         offset;
    dr_str_t      boundary_header;
    dr_array_t    ranges;               /* dr_http_range_t */
} dr_http_range_filter_ctx_t;


#define DR_HTTP_RANGE_BOUNDARY_LEN  20


static dr_int_t dr_http_range_singlepart_header(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx);
static dr_int_t dr_http_range_multipart_header(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx);
static dr_int_t dr_http_range_not_satisfiable(dr_http_request_t *r);
static dr_int_t dr_http_range_test_overlapped(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx, dr_chain_t *in);
static dr_int_t dr_http_range_singlepart_body(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx, dr_chain_t *in);
static dr_int_t dr_http_range_multipart_body(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx, dr_chain_t *in);
static dr_chain_t *dr_http_range_memory_link(dr_http_request_t *r,
    u_char *pos, size_t len);
static uint64_t dr_http_range_next_boundary(void);

static dr_int_t dr_http_range_filter_init(dr_conf_t *cf);


static dr_http_module_t  dr_http_range_filter_module_ctx = {
    .postconfiguration = dr_http_range_filter_init,
};


dr_module_t  dr_http_range_filter_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_range_filter",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_range_filter_module_ctx,
};


static dr_http_output_header_filter_pt  dr_http_next_header_filter;
static dr_http_output_body_filter_pt    dr_http_next_body_filter;


static dr_int_t
dr_http_range_header_filter(dr_http_request_t *r)
{
    time_t                        if_range_time;
    dr_int_t                      rc;
    dr_str_t                     *if_range, *etag, *value;
    dr_uint_t                     max;
    dr_table_elt_t               *h;
    dr_http_core_loc_conf_t      *clcf;
    dr_http_range_filter_ctx_t   *ctx;

    if (r->http_version < DR_HTTP_VERSION_10
        || r->headers_out.status != DR_HTTP_OK
        || r != r->main
        || r->headers_out.content_length_n == -1
        || !r->allow_ranges)
    {
        return dr_http_next_header_filter(r);
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->max_ranges == 0) {
        return dr_http_next_header_filter(r);
    }

    if (r->headers_in.range == NULL
        || r->headers_in.range->value.len < 7
        || dr_strncasecmp(r->headers_in.range->value.data,
                          (u_char *) "bytes=", 6) != 0)
    {
        goto next_filter;
    }

    if (r->headers_in.if_range) {

        if_range = &r->headers_in.if_range->value;

        if (if_range->len >= 2 && if_range->data[if_range->len - 1] == '"') {

            if (r->headers_out.etag == NULL) {
                goto next_filter;
            }

            etag = &r->headers_out.etag->value;

            if (if_range->len != etag->len
                || dr_memcmp(if_range->data, etag->data, etag->len) != 0)
            {
                goto next_filter;
            }

            goto parse;
        }

        if (r->headers_out.last_modified_time == (time_t) -1) {
            goto next_filter;
        }

        if_range_time = dr_parse_http_time(if_range->data, if_range->len);

        if (if_range_time != r->headers_out.last_modified_time) {
            goto next_filter;
        }
    }

parse:

    ctx = dr_pcalloc(r->pool, sizeof(dr_http_range_filter_ctx_t));
    if (ctx == NULL) {
        return DR_ERROR;
    }

    ctx->offset = r->headers_out.content_offset;

    if (dr_array_init(&ctx->ranges, r->pool, 1, sizeof(dr_http_range_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    max = r->single_range ? 1 : clcf->max_ranges;
    value = &r->headers_in.range->value;

    rc = dr_http_range_parse(value->data + 6, value->data + value->len,
                             r->headers_out.content_length_n, max,
                             &ctx->ranges);

    switch (rc) {

    case DR_OK:
        dr_http_set_ctx(r, ctx, dr_http_range_filter_module);

        r->headers_out.status = DR_HTTP_PARTIAL_CONTENT;
        r->headers_out.status_line.len = 0;

        if (ctx->ranges.nelts == 1) {
            return dr_http_range_singlepart_header(r, ctx);
        }

        return dr_http_range_multipart_header(r, ctx);

    case DR_HTTP_RANGE_NOT_SATISFIABLE:
        return dr_http_range_not_satisfiable(r);

    case DR_ERROR:
        return DR_ERROR;

    default: /* DR_DECLINED */
        break;
    }

next_filter:

    h = dr_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return DR_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    h->lowcase_key = NULL;
    dr_str_set(&h->key, "Accept-Ranges");
    dr_str_set(&h->value, "bytes");

    r->headers_out.accept_ranges = h;

    return dr_http_next_header_filter(r);
}


static dr_int_t
dr_http_range_singlepart_header(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx)
{
    dr_table_elt_t   *h;
    dr_http_range_t  *range;

    h = dr_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return DR_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    h->lowcase_key = NULL;
    dr_str_set(&h->key, "Content-Range");

    h->value.data = dr_pnalloc(r->pool,
                               sizeof("bytes -/") - 1 + 3 * DR_OFF_T_LEN);
    if (h->value.data == NULL) {
        h->hash = 0;
        return DR_ERROR;
    }

    range = ctx->ranges.elts;

    h->value.len = dr_sprintf(h->value.data, "bytes %O-%O/%O",
                              range->start, range->end - 1,
                              r->headers_out.content_length_n)
                   - h->value.data;

    r->headers_out.content_range = h;

    r->headers_out.content_length_n = range->end - range->start;
    r->headers_out.content_offset = range->start;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return dr_http_next_header_filter(r);
}


static dr_int_t
dr_http_range_multipart_header(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx)
{
    size_t             len;
    u_char            *p;
    uint64_t           boundary;
    dr_uint_t          i;
    dr_http_range_t   *range;

    len = sizeof(CRLF "--") - 1 + DR_HTTP_RANGE_BOUNDARY_LEN
          + sizeof(CRLF "Content-Type: ") - 1
          + r->headers_out.content_type.len
          + sizeof(CRLF "Content-Range: bytes ") - 1;

    if (r->headers_out.content_type_len == r->headers_out.content_type.len
        && r->headers_out.charset.len)
    {
        len += sizeof("; charset=") - 1 + r->headers_out.charset.len;
    }

    ctx->boundary_header.data = dr_pnalloc(r->pool, len);
    if (ctx->boundary_header.data == NULL) {
        return DR_ERROR;
    }

    boundary = dr_http_range_next_boundary();

    p = ctx->boundary_header.data;

    if (r->headers_out.content_type_len == r->headers_out.content_type.len
        && r->headers_out.charset.len)
    {
        p = dr_sprintf(p, CRLF "--%020uL" CRLF
                       "Content-Type: %V; charset=%V" CRLF
                       "Content-Range: bytes ",
                       boundary, &r->headers_out.content_type,
                       &r->headers_out.charset);

    } else if (r->headers_out.content_type.len) {
        p = dr_sprintf(p, CRLF "--%020uL" CRLF
                       "Content-Type: %V" CRLF
                       "Content-Range: bytes ",
                       boundary, &r->headers_out.content_type);

    } else {
        p = dr_sprintf(p, CRLF "--%020uL" CRLF
                       "Content-Range: bytes ",
                       boundary);
    }

    ctx->boundary_header.len = p - ctx->boundary_header.data;

    r->headers_out.content_type.data =
        dr_pnalloc(r->pool, sizeof("multipart/byteranges; boundary=") - 1
                            + DR_HTTP_RANGE_BOUNDARY_LEN);
    if (r->headers_out.content_type.data == NULL) {
        return DR_ERROR;
    }

    r->headers_out.content_type_lowcase = NULL;

    r->headers_out.content_type.len =
        dr_sprintf(r->headers_out.content_type.data,
                   "multipart/byteranges; boundary=%020uL", boundary)
        - r->headers_out.content_type.data;

    r->headers_out.content_type_len = r->headers_out.content_type.len;

    r->headers_out.charset.len = 0;

    /* the closing boundary: CRLF "--0123456789--" CRLF */

    len = sizeof(CRLF "--") - 1 + DR_HTTP_RANGE_BOUNDARY_LEN
          + sizeof("--" CRLF) - 1;

    range = ctx->ranges.elts;

    for (i = 0; i < ctx->ranges.nelts; i++) {

        /* "SSSS-EEEE/TTTT" CRLF CRLF */

        range[i].content_range.data =
            dr_pnalloc(r->pool, 3 * DR_OFF_T_LEN + 2 + 4);
        if (range[i].content_range.data == NULL) {
            return DR_ERROR;
        }

        range[i].content_range.len =
            dr_sprintf(range[i].content_range.data, "%O-%O/%O" CRLF CRLF,
                       range[i].start, range[i].end - 1,
                       r->headers_out.content_length_n)
            - range[i].content_range.data;

        len += ctx->boundary_header.len + range[i].content_range.len
               + (size_t) (range[i].end - range[i].start);
    }

    r->headers_out.content_length_n = len;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    return dr_http_next_header_filter(r);
}


/* 416 with "Content-Range: bytes * /length" (no space in the header) */
static dr_int_t
dr_http_range_not_satisfiable(dr_http_request_t *r)
{
    dr_table_elt_t  *h;

    r->headers_out.status = DR_HTTP_RANGE_NOT_SATISFIABLE;

    h = dr_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return DR_ERROR;
    }

    h->hash = 1;
    h->next = NULL;
    h->lowcase_key = NULL;
    dr_str_set(&h->key, "Content-Range");

    h->value.data = dr_pnalloc(r->pool, sizeof("bytes */") - 1 + DR_OFF_T_LEN);
    if (h->value.data == NULL) {
        h->hash = 0;
        return DR_ERROR;
    }

    h->value.len = dr_sprintf(h->value.data, "bytes */%O",
                              r->headers_out.content_length_n)
                   - h->value.data;

    r->headers_out.content_range = h;

    dr_http_clear_content_length(r);

    return DR_HTTP_RANGE_NOT_SATISFIABLE;
}


static dr_int_t
dr_http_range_body_filter(dr_http_request_t *r, dr_chain_t *in)
{
    dr_http_range_filter_ctx_t  *ctx;

    if (in == NULL) {
        return dr_http_next_body_filter(r, in);
    }

    ctx = dr_http_get_module_ctx(r, dr_http_range_filter_module);

    if (ctx == NULL) {
        return dr_http_next_body_filter(r, in);
    }

    if (ctx->ranges.nelts == 1) {
        return dr_http_range_singlepart_body(r, ctx, in);
    }

    /* multipart ranges need the whole body in one buffer */

    if (dr_buf_special(in->buf)) {
        return dr_http_next_body_filter(r, in);
    }

    if (dr_http_range_test_overlapped(r, ctx, in) != DR_OK) {
        return DR_ERROR;
    }

    return dr_http_range_multipart_body(r, ctx, in);
}


static dr_int_t
dr_http_range_test_overlapped(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx, dr_chain_t *in)
{
    off_t              start, last;
    dr_buf_t          *buf;
    dr_uint_t          i;
    dr_http_range_t   *range;

    if (ctx->offset) {
        goto overlapped;
    }

    buf = in->buf;

    if (!buf->last_buf) {
        start = ctx->offset;
        last = ctx->offset + dr_buf_size(buf);

        range = ctx->ranges.elts;

        for (i = 0; i < ctx->ranges.nelts; i++) {
            if (start > range[i].start || last < range[i].end) {
                goto overlapped;
            }
        }
    }

    ctx->offset = dr_buf_size(buf);

    return DR_OK;

overlapped:

    dr_log_error(DR_LOG_ALERT, r->connection->log, 0,
                 "range in overlapped buffers");

    return DR_ERROR;
}


static dr_int_t
dr_http_range_singlepart_body(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx, dr_chain_t *in)
{
    off_t              start, last;
    dr_buf_t          *buf;
    dr_chain_t        *out, *cl, **ll;
    dr_http_range_t   *range;

    out = NULL;
    ll = &out;
    range = ctx->ranges.elts;

    for (cl = in; cl; cl = cl->next) {

        buf = cl->buf;

        start = ctx->offset;
        last = ctx->offset + dr_buf_size(buf);

        ctx->offset = last;

        if (dr_buf_special(buf)) {
            *ll = cl;
            ll = &cl->next;
            continue;
        }

        if (range->end <= start || range->start >= last) {

            /* wholly outside the range: consumed, sent as nothing */

            if (buf->in_file) {
                buf->file_pos = buf->file_last;
            }

            buf->pos = buf->last;
            buf->sync = 1;

            continue;
        }

        if (range->start > start) {

            if (buf->in_file) {
                buf->file_pos += range->start - start;
            }

            if (dr_buf_in_memory(buf)) {
                buf->pos += (size_t) (range->start - start);
            }
        }

        if (range->end <= last) {

            if (buf->in_file) {
                buf->file_last -= last - range->end;
            }

            if (dr_buf_in_memory(buf)) {
                buf->last -= (size_t) (last - range->end);
            }

            buf->last_buf = 1;
            *ll = cl;
            cl->next = NULL;

            break;
        }

        *ll = cl;
        ll = &cl->next;
    }

    if (out == NULL) {
        return DR_OK;
    }

    return dr_http_next_body_filter(r, out);
}


static dr_int_t
dr_http_range_multipart_body(dr_http_request_t *r,
    dr_http_range_filter_ctx_t *ctx, dr_chain_t *in)
{
    u_char            *p;
    dr_buf_t          *b, *buf;
    dr_uint_t          i;
    dr_chain_t        *out, *hcl, *rcl, *dcl, **ll;
    dr_http_range_t   *range;

    ll = &out;
    buf = in->buf;
    range = ctx->ranges.elts;

    for (i = 0; i < ctx->ranges.nelts; i++) {

        /* CRLF "--0123456789" CRLF "Content-Type: ..." "Content-Range: " */

        hcl = dr_http_range_memory_link(r, ctx->boundary_header.data,
                                        ctx->boundary_header.len);
        if (hcl == NULL) {
            return DR_ERROR;
        }

        /* "SSSS-EEEE/TTTT" CRLF CRLF */

        rcl = dr_http_range_memory_link(r, range[i].content_range.data,
                                        range[i].content_range.len);
        if (rcl == NULL) {
            return DR_ERROR;
        }

        /* the data: a view of the body's buf */

        b = dr_calloc_buf(r->pool);
        if (b == NULL) {
            return DR_ERROR;
        }

        b->in_file = buf->in_file;
        b->temporary = buf->temporary;
        b->memory = buf->memory;
        b->mmap = buf->mmap;
        b->file = buf->file;

        if (buf->in_file) {
            b->file_pos = buf->file_pos + range[i].start;
            b->file_last = buf->file_pos + range[i].end;
        }

        if (dr_buf_in_memory(buf)) {
            b->pos = buf->pos + (size_t) range[i].start;
            b->last = buf->pos + (size_t) range[i].end;
        }

        dcl = dr_alloc_chain_link(r->pool);
        if (dcl == NULL) {
            return DR_ERROR;
        }

        dcl->buf = b;

        *ll = hcl;
        hcl->next = rcl;
        rcl->next = dcl;
        ll = &dcl->next;
    }

    /* CRLF "--0123456789--" CRLF */

    p = dr_pnalloc(r->pool, sizeof(CRLF "--") - 1 + DR_HTTP_RANGE_BOUNDARY_LEN
                            + sizeof("--" CRLF) - 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    hcl = dr_http_range_memory_link(r, p, 0);
    if (hcl == NULL) {
        return DR_ERROR;
    }

    b = hcl->buf;
    b->last = dr_cpymem(b->pos, ctx->boundary_header.data,
                        sizeof(CRLF "--") - 1 + DR_HTTP_RANGE_BOUNDARY_LEN);
    *b->last++ = '-'; *b->last++ = '-';
    *b->last++ = CR; *b->last++ = LF;
    b->last_buf = 1;

    hcl->next = NULL;
    *ll = hcl;

    /* the original buf is sent through its views: it is consumed */

    if (buf->in_file) {
        buf->file_pos = buf->file_last;
    }

    buf->pos = buf->last;

    return dr_http_next_body_filter(r, out);
}


/* a link to a read-only memory buf over [pos, pos + len) */
static dr_chain_t *
dr_http_range_memory_link(dr_http_request_t *r, u_char *pos, size_t len)
{
    dr_buf_t    *b;
    dr_chain_t  *cl;

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return NULL;
    }

    b->memory = 1;
    b->pos = pos;
    b->last = pos + len;

    cl = dr_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;

    return cl;
}


/*
 * Boundaries need only be unlikely in the body: a per-process counter
 * from a start mixed of the time and the pid.
 */
static uint64_t
dr_http_range_next_boundary(void)
{
    static uint64_t  next;

    if (next == 0) {
        next = ((uint64_t) dr_time() << 20) ^ ((uint64_t) getpid() << 4)
               ^ (uint64_t) dr_current_msec;
        next %= 10000000000ULL;
    }

    return next++;
}


static dr_int_t
dr_http_range_filter_init(dr_conf_t *cf)
{
    dr_http_next_header_filter = dr_http_top_header_filter;
    dr_http_top_header_filter = dr_http_range_header_filter;

    dr_http_next_body_filter = dr_http_top_body_filter;
    dr_http_top_body_filter = dr_http_range_body_filter;

    return DR_OK;
}
