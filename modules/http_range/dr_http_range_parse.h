/*
 * The Range header parser of the range filter, apart so that it can be
 * tested alone. It owns nothing: it reads a view of the header value.
 */
#ifndef DR_HTTP_RANGE_PARSE_H_INCLUDED
#define DR_HTTP_RANGE_PARSE_H_INCLUDED

#include "dr_http.h"


typedef struct {
    off_t        start;
    off_t        end;              /* exclusive */
    dr_str_t     content_range;    /* "S-E/T" CRLF CRLF, multipart only */
} dr_http_range_t;


/*
 * Parses the byte ranges of a Range value after "bytes=", [<p>, <last>),
 * against a body of <content_length> bytes, appending each satisfiable
 * range to <ranges> (an initialised array of dr_http_range_t), clipped to
 * the body. Exactly nginx's rules: blanks are allowed around the numbers
 * and the '-', "N-" runs to the end, "-N" is the last N bytes, a range
 * that starts at or after the end is skipped, numbers that overflow off_t
 * and any syntax error make the whole header unsatisfiable.
 *
 * Returns DR_OK (at least one range), DR_HTTP_RANGE_NOT_SATISFIABLE (none
 * is satisfiable, or a syntax error), DR_DECLINED (ignore the header and
 * send the whole body: more than <max_ranges> ranges, ranges adding up to
 * more than the body, as overlapping ones do, or a range from 0 of an
 * empty body), DR_ERROR (no memory).
 */
dr_int_t dr_http_range_parse(u_char *p, u_char *last, off_t content_length,
    dr_uint_t max_ranges, dr_array_t *ranges);

#endif /* DR_HTTP_RANGE_PARSE_H_INCLUDED */
