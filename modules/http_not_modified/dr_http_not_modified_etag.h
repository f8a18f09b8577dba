/*
 * The entity-tag list matcher of the not_modified filter (If-Match,
 * If-None-Match), apart so that it can be tested alone.
 */
#ifndef DR_HTTP_NOT_MODIFIED_ETAG_H_INCLUDED
#define DR_HTTP_NOT_MODIFIED_ETAG_H_INCLUDED

#include "dr_http.h"


/*
 * Does the list <list> (an If-Match or If-None-Match value: "*" or
 * comma-separated entity tags) match <etag> (the response's ETag value, or
 * NULL if it has none)? With <weak> (If-None-Match), a "W/" prefix is
 * ignored on both sides (weak comparison); without it (If-Match), tags
 * compare byte for byte, so a weak tag never matches a strong one. nginx's
 * rules: blanks and commas separate, a tag must be followed by a blank, a
 * comma or the end. Returns 1 or 0.
 */
dr_uint_t dr_http_not_modified_etag_match(dr_str_t *list, dr_str_t *etag,
    dr_uint_t weak);

#endif /* DR_HTTP_NOT_MODIFIED_ETAG_H_INCLUDED */
