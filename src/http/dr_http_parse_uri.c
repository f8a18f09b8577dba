/*
 * Request path normalisation, nginx's ngx_http_parse_complex_uri() in
 * fewer states: %XX is decoded, "." and ".." segments are removed, "//"
 * merged when asked, and the path ends at a raw '?' or '#'.
 *
 * Decoding comes first, so "%2e%2e" is a ".." segment and "%2F" a slash, as
 * in nginx: the result is the path a file system or an upstream would see,
 * and location matching must see the same. A decoded '?', '#' or '%' is an
 * ordinary byte. What cannot be a safe path is refused rather than
 * repaired: a bad escape, %00, and a ".." that would climb above the root
 * ("/../etc/passwd").
 *
 * The output is never longer than the input and the writer never passes
 * the reader, so the caller may normalise in place. Pure code, no
 * allocation; runs in HTTP workers.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"


static dr_int_t dr_http_parse_uri_fail(dr_uint_t *err, dr_uint_t e);


#define dr_http_parse_uri_hex(c)                                              \
    (((c) <= '9') ? (c) - '0' : ((c) | 0x20) - 'a' + 10)


dr_int_t
dr_http_parse_uri_normalize(u_char *src, size_t len, u_char *dst,
    size_t *dst_len, dr_uint_t merge_slashes, dr_uint_t *err)
{
    u_char  ch, *p, *last, *u, *seg;

    if (len == 0) {
        dst[0] = '/';
        *dst_len = 1;
        return DR_OK;
    }

    if (src[0] != '/') {
        return dr_http_parse_uri_fail(err, DR_HTTP_PARSE_ERR_INVALID_URI);
    }

    p = src + 1;
    last = src + len;

    u = dst;
    *u++ = '/';

    /* the segment being written is [seg, u); a '/' precedes it */
    seg = u;

    for ( ;; ) {

        if (p == last) {
            ch = '\0';

        } else {
            ch = *p++;

            if (ch == '?' || ch == '#') {
                ch = '\0';

            } else if (ch == '%') {
                if (last - p < 2
                    || !(dr_http_parse_chars[p[0]] & DR_HTTP_PARSE_C_HEX)
                    || !(dr_http_parse_chars[p[1]] & DR_HTTP_PARSE_C_HEX))
                {
                    return dr_http_parse_uri_fail(err,
                                         DR_HTTP_PARSE_ERR_INVALID_PERCENT);
                }

                ch = (u_char) ((dr_http_parse_uri_hex(p[0]) << 4)
                               + dr_http_parse_uri_hex(p[1]));
                p += 2;

                if (ch == '\0') {
                    return dr_http_parse_uri_fail(err,
                                             DR_HTTP_PARSE_ERR_ENCODED_NUL);
                }

                if (ch != '/') {
                    *u++ = ch;
                    continue;
                }

            } else if (ch == '\0') {
                return dr_http_parse_uri_fail(err,
                                              DR_HTTP_PARSE_ERR_INVALID_URI);

            } else if (ch != '/') {
                *u++ = ch;
                continue;
            }
        }

        /* a segment ends: at a '/' or at the end ('\0') */

        if (u - seg == 1 && seg[0] == '.') {
            u = seg;

        } else if (u - seg == 2 && seg[0] == '.' && seg[1] == '.') {

            /* drop the segment before: seg[-1] is its closing '/' */

            if (seg - 1 == dst) {
                return dr_http_parse_uri_fail(err,
                                              DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
            }

            for (u = seg - 2; *u != '/'; u--) { /* void */ }

            u++;
            seg = u;

        } else if (ch == '/') {
            if (!(merge_slashes && u == seg)) {
                *u++ = '/';
                seg = u;
            }
        }

        if (ch == '\0') {
            break;
        }
    }

    *dst_len = u - dst;

    return DR_OK;
}


static dr_int_t
dr_http_parse_uri_fail(dr_uint_t *err, dr_uint_t e)
{
    if (err) {
        *err = e;
    }

    return DR_PARSE_ERROR;
}
