/*
 * The not_modified header filter (nginx's
 * ngx_http_not_modified_filter_module): conditional requests on a 200
 * response that has a Last-Modified time or an ETag, i.e. static files.
 *
 *   If-Unmodified-Since older than Last-Modified (or unparsable) -> 412
 *   If-Match not matching the ETag (strong comparison)           -> 412
 *   If-Modified-Since / If-None-Match (weak comparison) saying
 *   "unchanged", both when both are present                     -> 304
 *
 * `if_modified_since off | exact | before` (a core directive) says how
 * If-Modified-Since compares; `etag` (core) whether static responses have
 * an ETag. A 304 keeps the validators and loses the body's headers
 * (Content-Type, Content-Length, Accept-Ranges, Content-Encoding). It is
 * the first header filter to run (last in the module table), so that the
 * range and gzip filters see the final status.
 */

#include "dr_http.h"
#include "dr_http_not_modified_etag.h"


static dr_uint_t dr_http_not_modified_test_if_unmodified(dr_http_request_t *r);
static dr_uint_t dr_http_not_modified_test_if_modified(dr_http_request_t *r);
static dr_uint_t dr_http_not_modified_test_if_match(dr_http_request_t *r,
    dr_table_elt_t *header, dr_uint_t weak);
static dr_int_t dr_http_not_modified_filter_init(dr_conf_t *cf);


static dr_http_module_t  dr_http_not_modified_filter_module_ctx = {
    .postconfiguration = dr_http_not_modified_filter_init,
};


dr_module_t  dr_http_not_modified_filter_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_not_modified_filter",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_not_modified_filter_module_ctx,
};


static dr_http_output_header_filter_pt  dr_http_next_header_filter;


static dr_int_t
dr_http_not_modified_header_filter(dr_http_request_t *r)
{
    if (r->headers_out.status != DR_HTTP_OK
        || r != r->main
        || r->disable_not_modified)
    {
        return dr_http_next_header_filter(r);
    }

    if (r->headers_in.if_unmodified_since
        && !dr_http_not_modified_test_if_unmodified(r))
    {
        return dr_http_filter_finalize_request(r, NULL,
                                               DR_HTTP_PRECONDITION_FAILED);
    }

    if (r->headers_in.if_match
        && !dr_http_not_modified_test_if_match(r, r->headers_in.if_match, 0))
    {
        return dr_http_filter_finalize_request(r, NULL,
                                               DR_HTTP_PRECONDITION_FAILED);
    }

    if (r->headers_in.if_modified_since || r->headers_in.if_none_match) {

        if (r->headers_in.if_modified_since
            && dr_http_not_modified_test_if_modified(r))
        {
            return dr_http_next_header_filter(r);
        }

        if (r->headers_in.if_none_match
            && !dr_http_not_modified_test_if_match(r,
                                              r->headers_in.if_none_match, 1))
        {
            return dr_http_next_header_filter(r);
        }

        /* not modified */

        r->headers_out.status = DR_HTTP_NOT_MODIFIED;
        r->headers_out.status_line.len = 0;
        r->headers_out.content_type.len = 0;
        dr_http_clear_content_length(r);
        dr_http_clear_accept_ranges(r);

        if (r->headers_out.content_encoding) {
            r->headers_out.content_encoding->hash = 0;
            r->headers_out.content_encoding = NULL;
        }
    }

    return dr_http_next_header_filter(r);
}


/* 1 if the resource is not newer than If-Unmodified-Since */
static dr_uint_t
dr_http_not_modified_test_if_unmodified(dr_http_request_t *r)
{
    time_t           iums;
    dr_table_elt_t  *h;

    if (r->headers_out.last_modified_time == (time_t) -1) {
        return 0;
    }

    h = r->headers_in.if_unmodified_since;

    /* an invalid date (-1) fails the test: 412, as nginx */
    iums = dr_parse_http_time(h->value.data, h->value.len);

    return iums >= r->headers_out.last_modified_time;
}


/* 1 if the resource counts as modified since If-Modified-Since */
static dr_uint_t
dr_http_not_modified_test_if_modified(dr_http_request_t *r)
{
    time_t                     ims;
    dr_table_elt_t            *h;
    dr_http_core_loc_conf_t   *clcf;

    if (r->headers_out.last_modified_time == (time_t) -1) {
        return 1;
    }

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->if_modified_since == DR_HTTP_IMS_OFF) {
        return 1;
    }

    h = r->headers_in.if_modified_since;
    ims = dr_parse_http_time(h->value.data, h->value.len);

    if (ims == r->headers_out.last_modified_time) {
        return 0;
    }

    if (clcf->if_modified_since == DR_HTTP_IMS_EXACT
        || ims < r->headers_out.last_modified_time)
    {
        return 1;
    }

    return 0;
}


static dr_uint_t
dr_http_not_modified_test_if_match(dr_http_request_t *r,
    dr_table_elt_t *header, dr_uint_t weak)
{
    dr_str_t  *etag;

    etag = r->headers_out.etag ? &r->headers_out.etag->value : NULL;

    return dr_http_not_modified_etag_match(&header->value, etag, weak);
}


static dr_int_t
dr_http_not_modified_filter_init(dr_conf_t *cf)
{
    dr_http_next_header_filter = dr_http_top_header_filter;
    dr_http_top_header_filter = dr_http_not_modified_header_filter;

    return DR_OK;
}
