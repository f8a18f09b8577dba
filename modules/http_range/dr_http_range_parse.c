/*
 * The Range header parser (nginx's ngx_http_range_parse, bounded by
 * <last> instead of a NUL: header values are views into the connection
 * buffer here). "bytes=" has been checked and skipped by the caller.
 */

#include "dr_http_range_parse.h"


/* the byte at <p>, or NUL at the end: nginx's parser reads a C string */
#define dr_http_range_ch(p, last)  ((p) < (last) ? *(p) : '\0')


dr_int_t
dr_http_range_parse(u_char *p, u_char *last, off_t content_length,
    dr_uint_t max_ranges, dr_array_t *ranges)
{
    u_char            ch;
    off_t             start, end, size, cutoff, cutlim;
    dr_uint_t         suffix, too_big;
    dr_http_range_t  *range;

    size = 0;
    too_big = 0;

    cutoff = DR_MAX_OFF_T_VALUE / 10;
    cutlim = DR_MAX_OFF_T_VALUE % 10;

    for ( ;; ) {
        start = 0;
        end = 0;
        suffix = 0;

        while (dr_http_range_ch(p, last) == ' ') { p++; }

        ch = dr_http_range_ch(p, last);

        if (ch != '-') {
            if (ch < '0' || ch > '9') {
                return DR_HTTP_RANGE_NOT_SATISFIABLE;
            }

            while ((ch = dr_http_range_ch(p, last)) >= '0' && ch <= '9') {
                if (start >= cutoff
                    && (start > cutoff || ch - '0' > cutlim))
                {
                    return DR_HTTP_RANGE_NOT_SATISFIABLE;
                }

                start = start * 10 + (ch - '0');
                p++;
            }

            while (dr_http_range_ch(p, last) == ' ') { p++; }

            if (dr_http_range_ch(p, last) != '-') {
                return DR_HTTP_RANGE_NOT_SATISFIABLE;
            }

            p++;

            while (dr_http_range_ch(p, last) == ' ') { p++; }

            ch = dr_http_range_ch(p, last);

            if (ch == ',' || ch == '\0') {
                end = content_length;
                goto found;
            }

        } else {
            suffix = 1;
            p++;
        }

        ch = dr_http_range_ch(p, last);

        if (ch < '0' || ch > '9') {
            return DR_HTTP_RANGE_NOT_SATISFIABLE;
        }

        while ((ch = dr_http_range_ch(p, last)) >= '0' && ch <= '9') {
            if (end >= cutoff && (end > cutoff || ch - '0' > cutlim)) {
                return DR_HTTP_RANGE_NOT_SATISFIABLE;
            }

            end = end * 10 + (ch - '0');
            p++;
        }

        while (dr_http_range_ch(p, last) == ' ') { p++; }

        ch = dr_http_range_ch(p, last);

        if (ch != ',' && ch != '\0') {
            return DR_HTTP_RANGE_NOT_SATISFIABLE;
        }

        if (suffix) {
            start = (end < content_length) ? content_length - end : 0;
            end = content_length - 1;
        }

        if (end >= content_length) {
            end = content_length;

        } else {
            end++;
        }

    found:

        if (start < end) {
            range = dr_array_push(ranges);
            if (range == NULL) {
                return DR_ERROR;
            }

            range->start = start;
            range->end = end;
            range->content_range.len = 0;
            range->content_range.data = NULL;

            /* saturated: many huge ranges must not wrap around */

            if (end - start > content_length - size) {
                too_big = 1;

            } else {
                size += end - start;
            }

            if (max_ranges-- == 0) {
                return DR_DECLINED;
            }

        } else if (start == 0) {

            /* an empty body: "0-" or a suffix means all of it (nginx) */

            return DR_DECLINED;
        }

        if (dr_http_range_ch(p, last) != ',') {
            break;
        }

        p++;
    }

    if (ranges->nelts == 0) {
        return DR_HTTP_RANGE_NOT_SATISFIABLE;
    }

    if (too_big) {
        return DR_DECLINED;
    }

    return DR_OK;
}
