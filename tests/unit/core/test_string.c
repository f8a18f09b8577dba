/* Strings, the formatter and the number parsers (src/core/dr_string.c). */

#include <criterion/criterion.h>
#include "dr_core.h"

static const char *
fmt(const char *f, ...)
{
    static u_char  buf[256];
    u_char        *p;
    va_list        args;

    va_start(args, f);
    p = dr_vslprintf(buf, buf + sizeof(buf) - 1, f, args);
    va_end(args);
    *p = '\0';
    return (char *) buf;
}

Test(string, formats_drover_types)
{
    dr_str_t  v = dr_string("view");

    cr_assert_str_eq(fmt("%V|%s|%*s", &v, "cstr", (size_t) 3, "abcdef"),
                     "view|cstr|abc");
    cr_assert_str_eq(fmt("%d %ui %i %z", -5, (dr_uint_t) 7, (dr_int_t) -8,
                         (ssize_t) -9), "-5 7 -8 -9");
    cr_assert_str_eq(fmt("%L %uL", (int64_t) INT64_MIN, (uint64_t) UINT64_MAX),
                     "-9223372036854775808 18446744073709551615");
    cr_assert_str_eq(fmt("%O %T %P", (off_t) 123, (time_t) 456, (pid_t) 789),
                     "123 456 789");
    cr_assert_str_eq(fmt("%05d|%5d|%xd|%Xd", 42, 42, 255, 255),
                     "00042|   42|ff|FF");
    cr_assert_str_eq(fmt("%M", (dr_msec_t) 1500), "1500");
    cr_assert_str_eq(fmt("%.2f %.1f %f", 1.5, 0.25, 3.9), "1.50 0.3 3");
    cr_assert_str_eq(fmt("%c%%%N", 'x'), "x%\n");
    cr_assert_str_eq(fmt("%s", (char *) NULL), "(null)");
}

Test(string, formatter_never_writes_past_last)
{
    u_char    buf[8];
    u_char   *p;
    dr_str_t  v = dr_string("0123456789");

    memset(buf, 'Z', sizeof(buf));
    p = dr_slprintf(buf, buf + 5, "%V", &v);
    cr_assert_eq(p - buf, 5);
    cr_assert_eq(buf[5], 'Z');

    p = dr_snprintf(buf, 4, "%d", 123456);
    cr_assert_eq(p - buf, 4);
    cr_assert_eq(memcmp(buf, "1234", 4), 0);
}

Test(string, atoi_rejects_garbage_and_overflow)
{
    cr_assert_eq(dr_atoi((u_char *) "12345", 5), 12345);
    cr_assert_eq(dr_atoi((u_char *) "", 0), DR_ERROR);
    cr_assert_eq(dr_atoi((u_char *) "-1", 2), DR_ERROR);
    cr_assert_eq(dr_atoi((u_char *) "+1", 2), DR_ERROR);
    cr_assert_eq(dr_atoi((u_char *) "1a", 2), DR_ERROR);
    cr_assert_eq(dr_atoi((u_char *) "9223372036854775807", 19), INTPTR_MAX);
    cr_assert_eq(dr_atoi((u_char *) "9223372036854775808", 19), DR_ERROR);
    cr_assert_eq(dr_atoof((u_char *) "99999999999999999999", 20), DR_ERROR);
    cr_assert_eq(dr_hextoi((u_char *) "fF0", 3), 0xff0);
    cr_assert_eq(dr_hextoi((u_char *) "g", 1), DR_ERROR);
    cr_assert_eq(dr_hextoi((u_char *) "", 0), DR_ERROR);
    cr_assert_eq(dr_hextoi((u_char *) "80000000000000000", 17), DR_ERROR);
    cr_assert_eq(dr_atofp((u_char *) "1.5", 3, 2), 150);
    cr_assert_eq(dr_atofp((u_char *) "1.555", 5, 2), DR_ERROR);
    cr_assert_eq(dr_atofp((u_char *) "1..5", 4, 2), DR_ERROR);
}

Test(string, case_insensitive_compare_and_search)
{
    u_char  hay[] = "Content-Type: TEXT/html";

    cr_assert_eq(dr_strcasecmp((u_char *) "HeLLo", (u_char *) "hello"), 0);
    cr_assert_neq(dr_strcasecmp((u_char *) "a", (u_char *) "b"), 0);
    cr_assert_eq(dr_strncasecmp((u_char *) "abcX", (u_char *) "ABCy", 3), 0);
    cr_assert_eq(dr_strlcasestrn(hay, hay + sizeof(hay) - 1,
                                 (u_char *) "text", 4), hay + 14);
    cr_assert_null(dr_strlcasestrn(hay, hay + 10, (u_char *) "text", 4));
    cr_assert_eq(dr_strnstr(hay, "Type", sizeof(hay) - 1), hay + 8);
    cr_assert_null(dr_strnstr(hay, "Type", 10));
    cr_assert_lt(dr_memn2cmp((u_char *) "ab", (u_char *) "abc", 2, 3), 0);
    cr_assert_gt(dr_memn2cmp((u_char *) "abd", (u_char *) "abc", 3, 3), 0);
}

Test(string, base64_round_trip_and_rejects)
{
    u_char    out[64], back[64];
    dr_str_t  src, dst, dec;
    const char  *cases[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
    const char  *enc[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=",
                           "Zm9vYmFy" };
    size_t  i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        src.data = (u_char *) cases[i];
        src.len = strlen(cases[i]);
        dst.data = out;
        dr_encode_base64(&dst, &src);
        cr_assert_eq(dst.len, strlen(enc[i]));
        cr_assert_eq(memcmp(out, enc[i], dst.len), 0, "%s", cases[i]);

        dec.data = back;
        cr_assert_eq(dr_decode_base64(&dec, &dst), DR_OK);
        cr_assert_eq(dec.len, src.len);
        cr_assert_eq(memcmp(back, cases[i], dec.len), 0);
    }

    src.data = (u_char *) "Zm9v!";
    src.len = 5;
    dec.data = back;
    cr_assert_eq(dr_decode_base64(&dec, &src), DR_ERROR);
    src.data = (u_char *) "Z";
    src.len = 1;
    cr_assert_eq(dr_decode_base64(&dec, &src), DR_ERROR);
}

Test(string, cpystrn_and_strlow)
{
    u_char  buf[8];

    cr_assert_eq(dr_cpystrn(buf, (u_char *) "abcdefghij", 4), buf + 3);
    cr_assert_str_eq((char *) buf, "abc");
    dr_strlow(buf, (u_char *) "AbC", 3);
    cr_assert_eq(memcmp(buf, "abc", 3), 0);
}

Test(string, http_time_parse_and_format)
{
    u_char   buf[64], *p;
    time_t   t;
    const char  *rfc1123 = "Sun, 06 Nov 1994 08:49:37 GMT";
    const char  *rfc850 = "Sunday, 06-Nov-94 08:49:37 GMT";
    const char  *asctime = "Sun Nov  6 08:49:37 1994";

    t = dr_parse_http_time((u_char *) rfc1123, strlen(rfc1123));
    cr_assert_eq(t, 784111777);
    cr_assert_eq(dr_parse_http_time((u_char *) rfc850, strlen(rfc850)),
                 784111777);
    cr_assert_eq(dr_parse_http_time((u_char *) asctime, strlen(asctime)),
                 784111777);

    p = dr_http_time(buf, t);
    cr_assert_eq((size_t) (p - buf), strlen(rfc1123));
    cr_assert_eq(memcmp(buf, rfc1123, p - buf), 0);

    cr_assert_eq(dr_parse_http_time((u_char *) "garbage", 7), DR_ERROR);
    cr_assert_eq(dr_parse_http_time((u_char *) "Sun, 36 Nov 1994 08:49:37 GMT",
                                    29), DR_ERROR);
    cr_assert_eq(dr_parse_http_time((u_char *) "Sun, 06 Nov 1994 08:49:37 UTC",
                                    29), DR_ERROR);
}
