/*
 * Entity-tag lists (nginx's ngx_http_test_if_match), reading a view of
 * the header value.
 */

#include "dr_http_not_modified_etag.h"


dr_uint_t
dr_http_not_modified_etag_match(dr_str_t *list, dr_str_t *etag,
    dr_uint_t weak)
{
    u_char    *start, *end, ch;
    dr_str_t   tag;

    if (list->len == 1 && list->data[0] == '*') {
        return 1;
    }

    if (etag == NULL) {
        return 0;
    }

    tag = *etag;

    if (weak && tag.len > 2 && tag.data[0] == 'W' && tag.data[1] == '/') {
        tag.len -= 2;
        tag.data += 2;
    }

    start = list->data;
    end = list->data + list->len;

    while (start < end) {

        if (weak && end - start > 2 && start[0] == 'W' && start[1] == '/') {
            start += 2;
        }

        if (tag.len > (size_t) (end - start)) {
            return 0;
        }

        if (dr_memcmp(start, tag.data, tag.len) != 0) {
            goto skip;
        }

        start += tag.len;

        while (start < end) {
            ch = *start;

            if (ch == ' ' || ch == '\t') {
                start++;
                continue;
            }

            break;
        }

        if (start == end || *start == ',') {
            return 1;
        }

    skip:

        while (start < end && *start != ',') { start++; }

        while (start < end) {
            ch = *start;

            if (ch == ' ' || ch == '\t' || ch == ',') {
                start++;
                continue;
            }

            break;
        }
    }

    return 0;
}
