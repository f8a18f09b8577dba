/*
 * Error and redirect responses (nginx's ngx_http_special_response.c):
 * error_page (a URI, a named location, or a redirect, with =code), else
 * the built-in HTML bodies of 301..507 with nginx's wording, whose tail
 * names the server ("drover/x.y.z", or just "drover" with server_tokens
 * off). The bodies are static strings: a special response allocates only
 * two buffer structs. Runs in workers.
 */

#include "dr_http.h"


static dr_int_t dr_http_send_error_page(dr_http_request_t *r,
    dr_http_err_page_t *err_page);
static dr_int_t dr_http_send_special_response(dr_http_request_t *r,
    dr_http_core_loc_conf_t *clcf, dr_uint_t err);
static dr_int_t dr_http_send_refresh(dr_http_request_t *r);


static u_char  dr_http_error_full_tail[] =
"<hr><center>" DR_VER "</center>" CRLF
"</body>" CRLF
"</html>" CRLF
;


static u_char  dr_http_error_build_tail[] =
"<hr><center>" DR_VER " (" DR_COMPILER ")</center>" CRLF
"</body>" CRLF
"</html>" CRLF
;


static u_char  dr_http_error_tail[] =
"<hr><center>drover</center>" CRLF
"</body>" CRLF
"</html>" CRLF
;


static u_char  dr_http_msie_padding[] =
"<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
"<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
"<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
"<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
"<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
"<!-- a padding to disable MSIE and Chrome friendly error page -->" CRLF
;


static u_char  dr_http_msie_refresh_head[] =
"<html><head><meta http-equiv=\"Refresh\" content=\"0; URL=";


static u_char  dr_http_msie_refresh_tail[] =
"\"></head><body></body></html>" CRLF;


#define dr_http_error_page(code, text)                                        \
"<html>" CRLF                                                                 \
"<head><title>" code " " text "</title></head>" CRLF                          \
"<body>" CRLF                                                                 \
"<center><h1>" code " " text "</h1></center>" CRLF


static char dr_http_error_301_page[] =
    dr_http_error_page("301", "Moved Permanently");
static char dr_http_error_302_page[] =
    dr_http_error_page("302", "Found");
static char dr_http_error_303_page[] =
    dr_http_error_page("303", "See Other");
static char dr_http_error_307_page[] =
    dr_http_error_page("307", "Temporary Redirect");
static char dr_http_error_308_page[] =
    dr_http_error_page("308", "Permanent Redirect");

static char dr_http_error_400_page[] =
    dr_http_error_page("400", "Bad Request");
static char dr_http_error_401_page[] =
    dr_http_error_page("401", "Authorization Required");
static char dr_http_error_402_page[] =
    dr_http_error_page("402", "Payment Required");
static char dr_http_error_403_page[] =
    dr_http_error_page("403", "Forbidden");
static char dr_http_error_404_page[] =
    dr_http_error_page("404", "Not Found");
static char dr_http_error_405_page[] =
    dr_http_error_page("405", "Not Allowed");
static char dr_http_error_406_page[] =
    dr_http_error_page("406", "Not Acceptable");
static char dr_http_error_408_page[] =
    dr_http_error_page("408", "Request Time-out");
static char dr_http_error_409_page[] =
    dr_http_error_page("409", "Conflict");
static char dr_http_error_410_page[] =
    dr_http_error_page("410", "Gone");
static char dr_http_error_411_page[] =
    dr_http_error_page("411", "Length Required");
static char dr_http_error_412_page[] =
    dr_http_error_page("412", "Precondition Failed");
static char dr_http_error_413_page[] =
    dr_http_error_page("413", "Request Entity Too Large");
static char dr_http_error_414_page[] =
    dr_http_error_page("414", "Request-URI Too Large");
static char dr_http_error_415_page[] =
    dr_http_error_page("415", "Unsupported Media Type");
static char dr_http_error_416_page[] =
    dr_http_error_page("416", "Requested Range Not Satisfiable");
static char dr_http_error_421_page[] =
    dr_http_error_page("421", "Misdirected Request");
static char dr_http_error_429_page[] =
    dr_http_error_page("429", "Too Many Requests");
static char dr_http_error_494_page[] =
"<html>" CRLF
"<head><title>400 Request Header Or Cookie Too Large</title></head>" CRLF
"<body>" CRLF
"<center><h1>400 Bad Request</h1></center>" CRLF
"<center>Request Header Or Cookie Too Large</center>" CRLF
;

static char dr_http_error_500_page[] =
    dr_http_error_page("500", "Internal Server Error");
static char dr_http_error_501_page[] =
    dr_http_error_page("501", "Not Implemented");
static char dr_http_error_502_page[] =
    dr_http_error_page("502", "Bad Gateway");
static char dr_http_error_503_page[] =
    dr_http_error_page("503", "Service Temporarily Unavailable");
static char dr_http_error_504_page[] =
    dr_http_error_page("504", "Gateway Time-out");
static char dr_http_error_505_page[] =
    dr_http_error_page("505", "HTTP Version Not Supported");
static char dr_http_error_507_page[] =
    dr_http_error_page("507", "Insufficient Storage");


#define dr_string_page(p)  { sizeof(p) - 1, (u_char *) p }

static dr_str_t dr_http_error_pages[] = {

    dr_null_string,                          /* 201, 204 */

#define DR_HTTP_LAST_2XX  202
#define DR_HTTP_OFF_3XX   (DR_HTTP_LAST_2XX - 201)

    /* dr_null_string, */                    /* 300 */
    dr_string_page(dr_http_error_301_page),
    dr_string_page(dr_http_error_302_page),
    dr_string_page(dr_http_error_303_page),
    dr_null_string,                          /* 304 */
    dr_null_string,                          /* 305 */
    dr_null_string,                          /* 306 */
    dr_string_page(dr_http_error_307_page),
    dr_string_page(dr_http_error_308_page),

#define DR_HTTP_LAST_3XX  309
#define DR_HTTP_OFF_4XX   (DR_HTTP_LAST_3XX - 301 + DR_HTTP_OFF_3XX)

    dr_string_page(dr_http_error_400_page),
    dr_string_page(dr_http_error_401_page),
    dr_string_page(dr_http_error_402_page),
    dr_string_page(dr_http_error_403_page),
    dr_string_page(dr_http_error_404_page),
    dr_string_page(dr_http_error_405_page),
    dr_string_page(dr_http_error_406_page),
    dr_null_string,                          /* 407 */
    dr_string_page(dr_http_error_408_page),
    dr_string_page(dr_http_error_409_page),
    dr_string_page(dr_http_error_410_page),
    dr_string_page(dr_http_error_411_page),
    dr_string_page(dr_http_error_412_page),
    dr_string_page(dr_http_error_413_page),
    dr_string_page(dr_http_error_414_page),
    dr_string_page(dr_http_error_415_page),
    dr_string_page(dr_http_error_416_page),
    dr_null_string,                          /* 417 */
    dr_null_string,                          /* 418 */
    dr_null_string,                          /* 419 */
    dr_null_string,                          /* 420 */
    dr_string_page(dr_http_error_421_page),
    dr_null_string,                          /* 422 */
    dr_null_string,                          /* 423 */
    dr_null_string,                          /* 424 */
    dr_null_string,                          /* 425 */
    dr_null_string,                          /* 426 */
    dr_null_string,                          /* 427 */
    dr_null_string,                          /* 428 */
    dr_string_page(dr_http_error_429_page),

#define DR_HTTP_LAST_4XX  430
#define DR_HTTP_OFF_5XX   (DR_HTTP_LAST_4XX - 400 + DR_HTTP_OFF_4XX)

    dr_string_page(dr_http_error_494_page),  /* 494, request header too large */

    dr_string_page(dr_http_error_500_page),
    dr_string_page(dr_http_error_501_page),
    dr_string_page(dr_http_error_502_page),
    dr_string_page(dr_http_error_503_page),
    dr_string_page(dr_http_error_504_page),
    dr_string_page(dr_http_error_505_page),
    dr_null_string,                          /* 506 */
    dr_string_page(dr_http_error_507_page)

#define DR_HTTP_LAST_5XX  508

};


dr_int_t
dr_http_special_response_handler(dr_http_request_t *r, dr_int_t error)
{
    dr_uint_t                  i, err;
    dr_http_err_page_t        *err_page;
    dr_http_core_loc_conf_t   *clcf;

    dr_log_debug(r->connection->log, "http special response: %i, \"%V?%V\"",
                 error, &r->uri, &r->args);

    r->err_status = error;

    if (r->keepalive) {
        switch (error) {
            case DR_HTTP_BAD_REQUEST:
            case DR_HTTP_REQUEST_ENTITY_TOO_LARGE:
            case DR_HTTP_REQUEST_URI_TOO_LARGE:
            case DR_HTTP_REQUEST_HEADER_TOO_LARGE:
            case DR_HTTP_INTERNAL_SERVER_ERROR:
            case DR_HTTP_NOT_IMPLEMENTED:
                r->keepalive = 0;
        }
    }

    if (r->lingering_close) {
        switch (error) {
            case DR_HTTP_BAD_REQUEST:
                r->lingering_close = 0;
        }
    }

    r->headers_out.content_type.len = 0;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (!r->error_page && clcf->error_pages && r->uri_changes != 0) {

        if (clcf->recursive_error_pages == 0) {
            r->error_page = 1;
        }

        err_page = clcf->error_pages->elts;

        for (i = 0; i < clcf->error_pages->nelts; i++) {
            if (err_page[i].status == error) {
                return dr_http_send_error_page(r, &err_page[i]);
            }
        }
    }

    r->expect_tested = 1;

    if (dr_http_discard_request_body(r) != DR_OK) {
        r->keepalive = 0;
    }

    if (clcf->msie_refresh
        && r->headers_in.msie
        && (error == DR_HTTP_MOVED_PERMANENTLY
            || error == DR_HTTP_MOVED_TEMPORARILY))
    {
        return dr_http_send_refresh(r);
    }

    if (error == DR_HTTP_CREATED) {
        /* 201 */
        err = 0;

    } else if (error == DR_HTTP_NO_CONTENT) {
        /* 204 */
        err = 0;

    } else if (error >= DR_HTTP_MOVED_PERMANENTLY
               && error < DR_HTTP_LAST_3XX)
    {
        /* 3XX */
        err = error - DR_HTTP_MOVED_PERMANENTLY + DR_HTTP_OFF_3XX;

    } else if (error >= DR_HTTP_BAD_REQUEST
               && error < DR_HTTP_LAST_4XX)
    {
        /* 4XX */
        err = error - DR_HTTP_BAD_REQUEST + DR_HTTP_OFF_4XX;

    } else if (error == DR_HTTP_REQUEST_HEADER_TOO_LARGE) {
        err = DR_HTTP_OFF_5XX;

    } else if (error >= DR_HTTP_INTERNAL_SERVER_ERROR
               && error < DR_HTTP_LAST_5XX)
    {
        /* 5XX */
        err = error - DR_HTTP_INTERNAL_SERVER_ERROR + DR_HTTP_OFF_5XX + 1;

    } else {
        /* unknown code, zero body */
        err = 0;
    }

    /* nginx's own code goes out as 400 */

    if (error == DR_HTTP_REQUEST_HEADER_TOO_LARGE) {
        r->err_status = DR_HTTP_BAD_REQUEST;
    }

    return dr_http_send_special_response(r, clcf, err);
}


dr_int_t
dr_http_filter_finalize_request(dr_http_request_t *r, dr_module_t *m,
    dr_int_t error)
{
    void       *ctx;
    dr_int_t    rc;

    dr_http_clean_header(r);

    ctx = NULL;

    if (m) {
        ctx = r->ctx[m->ctx_index];
    }

    /* clear the modules contexts */
    dr_memzero(r->ctx, sizeof(void *) * dr_http_max_module);

    if (m) {
        r->ctx[m->ctx_index] = ctx;
    }

    r->filter_finalize = 1;

    rc = dr_http_special_response_handler(r, error);

    /* NGX_ERROR resets any pending data */

    switch (rc) {

    case DR_OK:
    case DR_DONE:
        return DR_ERROR;

    default:
        return rc;
    }
}


void
dr_http_clean_header(dr_http_request_t *r)
{
    dr_memzero(&r->headers_out.status,
               sizeof(dr_http_headers_out_t)
                   - offsetof(dr_http_headers_out_t, status));

    r->headers_out.headers.part.nelts = 0;
    r->headers_out.headers.part.next = NULL;
    r->headers_out.headers.last = &r->headers_out.headers.part;

    r->headers_out.trailers.part.nelts = 0;
    r->headers_out.trailers.part.next = NULL;
    r->headers_out.trailers.last = &r->headers_out.trailers.part;

    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;
}


static dr_int_t
dr_http_send_error_page(dr_http_request_t *r, dr_http_err_page_t *err_page)
{
    dr_int_t                  overwrite;
    dr_str_t                  uri, args;
    dr_table_elt_t           *location;
    dr_http_core_loc_conf_t  *clcf;

    overwrite = err_page->overwrite;

    if (overwrite && overwrite != DR_HTTP_OK) {
        r->expect_tested = 1;
    }

    if (overwrite >= 0) {
        r->err_status = overwrite;
    }

    if (dr_http_complex_value(r, &err_page->value, &uri) != DR_OK) {
        return DR_ERROR;
    }

    if (uri.len && uri.data[0] == '/') {

        if (err_page->value.lengths) {
            dr_http_split_args(r, &uri, &args);

        } else {
            args = err_page->args;
        }

        if (r->method != DR_HTTP_HEAD) {
            r->method = DR_HTTP_GET;
            r->method_name = dr_http_core_get_method;
        }

        return dr_http_internal_redirect(r, &uri, &args);
    }

    if (uri.len && uri.data[0] == '@') {
        return dr_http_named_location(r, &uri);
    }

    r->expect_tested = 1;

    if (dr_http_discard_request_body(r) != DR_OK) {
        r->keepalive = 0;
    }

    location = dr_list_push(&r->headers_out.headers);

    if (location == NULL) {
        return DR_ERROR;
    }

    if (overwrite != DR_HTTP_MOVED_PERMANENTLY
        && overwrite != DR_HTTP_MOVED_TEMPORARILY
        && overwrite != DR_HTTP_SEE_OTHER
        && overwrite != DR_HTTP_TEMPORARY_REDIRECT
        && overwrite != DR_HTTP_PERMANENT_REDIRECT)
    {
        r->err_status = DR_HTTP_MOVED_TEMPORARILY;
    }

    location->hash = 1;
    location->next = NULL;
    location->lowcase_key = NULL;
    dr_str_set(&location->key, "Location");
    location->value = uri;

    dr_http_clear_location(r);

    r->headers_out.location = location;

    clcf = dr_http_get_module_loc_conf(r, dr_http_core_module);

    if (clcf->msie_refresh
        && r->headers_in.msie
        && r->err_status == DR_HTTP_MOVED_TEMPORARILY)
    {
        return dr_http_send_refresh(r);
    }

    return dr_http_send_special_response(r, clcf, r->err_status
                                         - DR_HTTP_MOVED_PERMANENTLY
                                         + DR_HTTP_OFF_3XX);
}


static dr_int_t
dr_http_send_special_response(dr_http_request_t *r,
    dr_http_core_loc_conf_t *clcf, dr_uint_t err)
{
    u_char       *tail;
    size_t        len;
    dr_int_t      rc;
    dr_buf_t     *b;
    dr_uint_t     msie_padding;
    dr_chain_t    out[3];

    if (clcf->server_tokens == DR_HTTP_SERVER_TOKENS_ON) {
        len = sizeof(dr_http_error_full_tail) - 1;
        tail = dr_http_error_full_tail;

    } else if (clcf->server_tokens == DR_HTTP_SERVER_TOKENS_BUILD) {
        len = sizeof(dr_http_error_build_tail) - 1;
        tail = dr_http_error_build_tail;

    } else {
        len = sizeof(dr_http_error_tail) - 1;
        tail = dr_http_error_tail;
    }

    msie_padding = 0;

    if (err < dr_nelems(dr_http_error_pages)
        && dr_http_error_pages[err].len)
    {
        r->headers_out.content_length_n = dr_http_error_pages[err].len + len;

        if (clcf->msie_padding
            && (r->headers_in.msie || r->headers_in.chrome)
            && r->http_version >= DR_HTTP_VERSION_10
            && err >= DR_HTTP_OFF_4XX)
        {
            r->headers_out.content_length_n +=
                                         sizeof(dr_http_msie_padding) - 1;
            msie_padding = 1;
        }

        r->headers_out.content_type_len = sizeof("text/html") - 1;
        dr_str_set(&r->headers_out.content_type, "text/html");
        r->headers_out.content_type_lowcase = NULL;

    } else {
        err = 0;
        r->headers_out.content_length_n = 0;
    }

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    dr_http_clear_accept_ranges(r);
    dr_http_clear_last_modified(r);
    dr_http_clear_etag(r);

    rc = dr_http_send_header(r);

    if (rc == DR_ERROR || r->header_only) {
        return rc;
    }

    if (err == 0) {
        return dr_http_send_special(r, DR_HTTP_LAST);
    }

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_ERROR;
    }

    b->memory = 1;
    b->pos = dr_http_error_pages[err].data;
    b->last = dr_http_error_pages[err].data + dr_http_error_pages[err].len;

    out[0].buf = b;
    out[0].next = &out[1];

    b = dr_calloc_buf(r->pool);
    if (b == NULL) {
        return DR_ERROR;
    }

    b->memory = 1;

    b->pos = tail;
    b->last = tail + len;

    out[1].buf = b;
    out[1].next = NULL;

    if (msie_padding) {
        b = dr_calloc_buf(r->pool);
        if (b == NULL) {
            return DR_ERROR;
        }

        b->memory = 1;
        b->pos = dr_http_msie_padding;
        b->last = dr_http_msie_padding + sizeof(dr_http_msie_padding) - 1;

        out[1].next = &out[2];
        out[2].buf = b;
        out[2].next = NULL;
    }

    b->last_buf = 1;
    b->last_in_chain = 1;

    return dr_http_output_filter(r, &out[0]);
}


static dr_int_t
dr_http_send_refresh(dr_http_request_t *r)
{
    u_char       *p, *location;
    size_t        len, size;
    uintptr_t     escape;
    dr_int_t      rc;
    dr_buf_t     *b;
    dr_chain_t    out;

    len = r->headers_out.location->value.len;
    location = r->headers_out.location->value.data;

    escape = 2 * dr_http_escape_uri(NULL, location, len, DR_ESCAPE_REFRESH);

    size = sizeof(dr_http_msie_refresh_head) - 1
           + escape + len
           + sizeof(dr_http_msie_refresh_tail) - 1;

    r->err_status = DR_HTTP_OK;

    r->headers_out.content_type_len = sizeof("text/html") - 1;
    dr_str_set(&r->headers_out.content_type, "text/html");
    r->headers_out.content_type_lowcase = NULL;

    r->headers_out.location->hash = 0;
    r->headers_out.location = NULL;

    r->headers_out.content_length_n = size;

    if (r->headers_out.content_length) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }

    dr_http_clear_accept_ranges(r);
    dr_http_clear_last_modified(r);
    dr_http_clear_etag(r);

    rc = dr_http_send_header(r);

    if (rc == DR_ERROR || r->header_only) {
        return rc;
    }

    b = dr_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return DR_ERROR;
    }

    p = dr_cpymem(b->pos, dr_http_msie_refresh_head,
                  sizeof(dr_http_msie_refresh_head) - 1);

    if (escape == 0) {
        p = dr_cpymem(p, location, len);

    } else {
        p = (u_char *) dr_http_escape_uri(p, location, len,
                                          DR_ESCAPE_REFRESH);
    }

    b->last = dr_cpymem(p, dr_http_msie_refresh_tail,
                        sizeof(dr_http_msie_refresh_tail) - 1);

    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return dr_http_output_filter(r, &out);
}
