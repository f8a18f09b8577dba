/*
 * Chunked transfer encoding of responses (nginx's ngx_http_chunked_
 * filter_module.c): when the length is unknown and the client speaks
 * HTTP/1.1 (and chunked_transfer_encoding is on), each call's data
 * becomes one chunk: a size line before it, CRLF after, and "0" CRLF
 * CRLF (with trailers, if any) at the last buffer. Without chunked the
 * connection cannot be kept alive. The size-line buffers are recycled
 * through the request's free lists. Runs in workers.
 */

#include "dr_http.h"


typedef struct {
    dr_chain_t         *free;
    dr_chain_t         *busy;
} dr_http_chunked_filter_ctx_t;


static dr_int_t dr_http_chunked_filter_init(dr_conf_t *cf);
static dr_chain_t *dr_http_chunked_create_trailers(dr_http_request_t *r,
    dr_http_chunked_filter_ctx_t *ctx);


static dr_http_module_t  dr_http_chunked_filter_module_ctx = {
    .postconfiguration = dr_http_chunked_filter_init,
};


dr_module_t  dr_http_chunked_filter_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_chunked_filter",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_chunked_filter_module_ctx,
};


static dr_http_output_header_filter_pt  dr_http_next_header_filter;
static dr_http_output_body_filter_pt    dr_http_next_body_filter;


static dr_int_t
dr_http_chunked_header_filter(dr_http_request_t *r)
{
    dr_http_core_loc_conf_t       *clcf;
    dr_http_chunked_filter_ctx_t  *ctx;

    if (r->headers_out.status == DR_HTTP_NOT_MODIFIED
        || r->headers_out.status == DR_HTTP_NO_CONTENT
        || r->headers_out.status < DR_HTTP_OK
        || r != r->main
        || r->method == DR_HTTP_HEAD)
    {
        return dr_http_next_header_filter(r);
    }

    if (r->headers_out.content_length_n == -1
        || r->expect_trailers)
    {
        clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

        if (r->http_version >= DR_HTTP_VERSION_11
            && clcf->chunked_transfer_encoding)
        {
            if (r->expect_trailers) {
                dr_http_clear_content_length(r);
            }

            r->chunked = 1;

            ctx = dr_pcalloc(r->pool, sizeof(dr_http_chunked_filter_ctx_t));
            if (ctx == NULL) {
                return DR_ERROR;
            }

            dr_http_set_ctx(r, ctx, dr_http_chunked_filter_module);

        } else if (r->headers_out.content_length_n == -1) {
            r->keepalive = 0;
        }
    }

    return dr_http_next_header_filter(r);
}


static dr_int_t
dr_http_chunked_body_filter(dr_http_request_t *r, dr_chain_t *in)
{
    u_char                         *chunk;
    off_t                           size;
    dr_int_t                        rc;
    dr_buf_t                       *b;
    dr_chain_t                     *out, *cl, *tl, **ll;
    dr_http_chunked_filter_ctx_t   *ctx;

    if (in == NULL || !r->chunked || r->header_only) {
        return dr_http_next_body_filter(r, in);
    }

    ctx = dr_http_get_module_ctx(r, dr_http_chunked_filter_module);

    out = NULL;
    ll = &out;

    size = 0;
    cl = in;

    for ( ;; ) {
        size += dr_buf_size(cl->buf);

        if (cl->buf->flush
            || cl->buf->sync
            || dr_buf_in_memory(cl->buf)
            || cl->buf->in_file)
        {
            tl = dr_http_alloc_chain_link(r);
            if (tl == NULL) {
                return DR_ERROR;
            }

            tl->buf = cl->buf;
            *ll = tl;
            ll = &tl->next;
        }

        if (cl->next == NULL) {
            break;
        }

        cl = cl->next;
    }

    if (size) {
        tl = dr_http_chain_get_free_buf(r, &ctx->free);
        if (tl == NULL) {
            return DR_ERROR;
        }

        b = tl->buf;
        chunk = b->start;

        if (chunk == NULL) {
            /* the "0000000000000000" is 64-bit hexadecimal string */

            chunk = dr_palloc(r->pool, sizeof("0000000000000000" CRLF) - 1);
            if (chunk == NULL) {
                return DR_ERROR;
            }

            b->start = chunk;
            b->end = chunk + sizeof("0000000000000000" CRLF) - 1;
        }

        b->tag = (dr_buf_tag_t) &dr_http_chunked_filter_module;
        b->memory = 0;
        b->temporary = 1;
        b->pos = chunk;
        b->last = dr_sprintf(chunk, "%xO" CRLF, size);

        tl->next = out;
        out = tl;
    }

    if (cl->buf->last_buf) {
        tl = dr_http_chunked_create_trailers(r, ctx);
        if (tl == NULL) {
            return DR_ERROR;
        }

        cl->buf->last_buf = 0;

        *ll = tl;

        if (size == 0) {
            tl->buf->pos += 2;
        }

    } else if (size > 0) {
        tl = dr_http_chain_get_free_buf(r, &ctx->free);
        if (tl == NULL) {
            return DR_ERROR;
        }

        b = tl->buf;

        b->tag = (dr_buf_tag_t) &dr_http_chunked_filter_module;
        b->temporary = 0;
        b->memory = 1;
        b->pos = (u_char *) CRLF;
        b->last = b->pos + 2;

        *ll = tl;

    } else {
        *ll = NULL;
    }

    rc = dr_http_next_body_filter(r, out);

    dr_http_chain_update_chains(r, &ctx->free, &ctx->busy, &out,
                                (dr_buf_tag_t) &dr_http_chunked_filter_module);

    return rc;
}


static dr_chain_t *
dr_http_chunked_create_trailers(dr_http_request_t *r,
    dr_http_chunked_filter_ctx_t *ctx)
{
    size_t            len;
    dr_buf_t         *b;
    dr_uint_t         i;
    dr_chain_t       *cl;
    dr_list_part_t   *part;
    dr_table_elt_t   *header;

    len = 0;

    part = &r->headers_out.trailers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        len += header[i].key.len + sizeof(": ") - 1
               + header[i].value.len + sizeof(CRLF) - 1;
    }

    cl = dr_http_chain_get_free_buf(r, &ctx->free);
    if (cl == NULL) {
        return NULL;
    }

    b = cl->buf;

    b->tag = (dr_buf_tag_t) &dr_http_chunked_filter_module;
    b->temporary = 0;
    b->memory = 1;
    b->last_buf = 1;

    if (len == 0) {
        b->pos = (u_char *) CRLF "0" CRLF CRLF;
        b->last = b->pos + sizeof(CRLF "0" CRLF CRLF) - 1;
        return cl;
    }

    len += sizeof(CRLF "0" CRLF CRLF) - 1;

    b->pos = dr_palloc(r->pool, len);
    if (b->pos == NULL) {
        return NULL;
    }

    b->last = b->pos;

    *b->last++ = CR; *b->last++ = LF;
    *b->last++ = '0';
    *b->last++ = CR; *b->last++ = LF;

    part = &r->headers_out.trailers.part;
    header = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            header = part->elts;
            i = 0;
        }

        if (header[i].hash == 0) {
            continue;
        }

        b->last = dr_cpymem(b->last, header[i].key.data, header[i].key.len);
        *b->last++ = ':'; *b->last++ = ' ';

        b->last = dr_cpymem(b->last, header[i].value.data,
                            header[i].value.len);
        *b->last++ = CR; *b->last++ = LF;
    }

    *b->last++ = CR; *b->last++ = LF;

    return cl;
}


static dr_int_t
dr_http_chunked_filter_init(dr_conf_t *cf)
{
    dr_http_next_header_filter = dr_http_top_header_filter;
    dr_http_top_header_filter = dr_http_chunked_header_filter;

    dr_http_next_body_filter = dr_http_top_body_filter;
    dr_http_top_body_filter = dr_http_chunked_body_filter;

    return DR_OK;
}
