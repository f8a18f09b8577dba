/*
 * Unit tests of modules/http_not_modified/dr_http_not_modified_etag.c: the
 * If-Match / If-None-Match list matcher, nginx's rules: "*", lists with
 * blanks and commas, weak comparison ("W/" ignored on both sides) for
 * If-None-Match only, no prefix matches, bounded by the value's length.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http.h"

#include "../../../../modules/http_not_modified/dr_http_not_modified_etag.c"

#include <criterion/criterion.h>


static dr_uint_t
match(const char *list, const char *etag, dr_uint_t weak)
{
    u_char     buf[256];
    dr_str_t   l, e;
    size_t     n;

    /* the list is copied without a NUL after it: reads stop at its end */
    n = strlen(list);
    memcpy(buf, list, n);
    memset(buf + n, 'x', sizeof(buf) - n);
    l.data = buf;
    l.len = n;

    if (etag == NULL) {
        return dr_http_not_modified_etag_match(&l, NULL, weak);
    }

    e.data = (u_char *) etag;
    e.len = strlen(etag);

    return dr_http_not_modified_etag_match(&l, &e, weak);
}


Test(http_not_modified, star_matches_anything)
{
    cr_assert(match("*", "\"a-1\"", 0));
    cr_assert(match("*", "\"a-1\"", 1));
    cr_assert(match("*", NULL, 0), "even without an ETag");
    cr_assert(!match("**", "\"a-1\"", 0));
    cr_assert(!match(" *", "\"a-1\"", 0));
}


Test(http_not_modified, no_etag_matches_nothing_but_star)
{
    cr_assert(!match("\"a-1\"", NULL, 0));
    cr_assert(!match("\"a-1\"", NULL, 1));
}


Test(http_not_modified, single_tag)
{
    cr_assert(match("\"5f5e1000-3\"", "\"5f5e1000-3\"", 0));
    cr_assert(match("\"5f5e1000-3\"", "\"5f5e1000-3\"", 1));
    cr_assert(!match("\"5f5e1000-4\"", "\"5f5e1000-3\"", 0));
    cr_assert(!match("\"5F5E1000-3\"", "\"5f5e1000-3\"", 0),
              "byte for byte");
}


Test(http_not_modified, lists)
{
    const char  *e = "\"b-2\"";

    cr_assert(match("\"a-1\", \"b-2\"", e, 0));
    cr_assert(match("\"a-1\",\"b-2\"", e, 0));
    cr_assert(match("\"a-1\" ,\t\"b-2\" , \"c-3\"", e, 0));
    cr_assert(match("\"b-2\", \"a-1\"", e, 0));
    cr_assert(match("\"b-2\" ", e, 0), "trailing blanks");
    cr_assert(match("\"b-2\"\t,", e, 0));
    cr_assert(match(", , \"b-2\"", e, 0), "empty elements");
    cr_assert(!match("\"a-1\", \"c-3\"", e, 0));
    cr_assert(!match("", e, 0));
    cr_assert(!match(" , ", e, 0));
}


Test(http_not_modified, no_prefix_or_suffix_matches)
{
    const char  *e = "\"ab-12\"";

    cr_assert(!match("\"ab-12\"x", e, 0));
    cr_assert(!match("\"ab-12\"\"", e, 0));
    cr_assert(!match("\"ab-1", e, 0));
    cr_assert(!match("\"ab-12", e, 0));
    cr_assert(!match("x\"ab-12\"", e, 0));
    cr_assert(!match("\"ab-12\"x, \"zz\"", e, 0));
    cr_assert(match("\"ab-12\"x, \"ab-12\"", e, 0));
}


Test(http_not_modified, weak_comparison_for_if_none_match)
{
    cr_assert(match("W/\"a-1\"", "\"a-1\"", 1));
    cr_assert(match("\"a-1\"", "W/\"a-1\"", 1));
    cr_assert(match("W/\"a-1\"", "W/\"a-1\"", 1));
    cr_assert(match("\"x\", W/\"a-1\"", "\"a-1\"", 1));
    cr_assert(!match("w/\"a-1\"", "\"a-1\"", 1), "W is case-sensitive");
}


Test(http_not_modified, strong_comparison_for_if_match)
{
    cr_assert(!match("W/\"a-1\"", "\"a-1\"", 0));
    cr_assert(!match("\"a-1\"", "W/\"a-1\"", 0));
    cr_assert(match("W/\"a-1\"", "W/\"a-1\"", 0), "bytes equal");
}


Test(http_not_modified, tag_longer_than_the_rest_of_the_list)
{
    cr_assert(!match("\"a\"", "\"a-1234567890\"", 0));
    cr_assert(!match("\"x\", \"a\"", "\"a-1234567890\"", 1));
}
