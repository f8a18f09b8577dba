/*
 * Unit tests of modules/http_gzip/dr_http_gzip.c: the Accept-Encoding test
 * (nginx's ngx_http_gzip_accept_encoding and quantity rules), bounded by
 * the value's length.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http.h"

#include "../../../../modules/http_gzip/dr_http_gzip.c"

#include <criterion/criterion.h>


/* the module is not linked into this test: gzip_ok is not exercised */
dr_module_t  dr_http_gzip_filter_module;


static dr_int_t
accepts(const char *value)
{
    u_char    buf[256];
    dr_str_t  ae;
    size_t    n;

    n = strlen(value);
    memcpy(buf, value, n);
    memset(buf + n, 'z', sizeof(buf) - n);
    ae.data = buf;
    ae.len = n;

    return dr_http_gzip_accept_encoding(&ae);
}


Test(http_gzip, accepts_gzip_tokens)
{
    static const char  *yes[] = {
        "gzip", "GZIP", "deflate, gzip", "br,gzip", "gzip, deflate, br",
        "gzip;q=1", "gzip; q=0.5", "gzip;q=0.001", "gzip;Q=1.0",
        "gzip ;q=1", "deflate, gzip ; q=0.8, br", "gzip;q=1.000",
        "x-gzip, gzip", "gzip;q=1 ", "gzip; ",
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(yes); i++) {
        cr_assert_eq(accepts(yes[i]), DR_OK, "\"%s\"", yes[i]);
    }
}


Test(http_gzip, refuses_others)
{
    static const char  *no[] = {
        "", "deflate", "br", "x-gzip", "gzipx", "gzip;q=0", "gzip; q=0.0",
        "gzip;q=0.000", "gzip;q=", "gzip;q", "gzip;q=2", "gzip;q=1.5",
        "gzip;q=0.0001", "gzip;level=1", "gzip;q=a", "agzip",
        "deflate, gzip;q=0",
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(no); i++) {
        cr_assert_eq(accepts(no[i]), DR_DECLINED, "\"%s\"", no[i]);
    }
}
