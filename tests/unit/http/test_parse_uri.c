/*
 * Tests of dr_http_parse_uri_normalize() (src/http/dr_http_parse_uri.c)
 * and dr_http_parse_host() (src/http/dr_http_parse.c).
 *
 * The expected paths are nginx 1.22's $uri for the same request-targets
 * (checked against a running nginx, merge_slashes on and off). Source and
 * destination both end at PROT_NONE guard pages, and the destination is
 * exactly as long as the source, so an over-read or over-write crashes.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http_parse.h"

#include <criterion/criterion.h>


#define ARENA_SIZE  (64 * 1024)


static u_char *
guarded_in(u_char **end, const void *data, size_t len)
{
    size_t   page;
    u_char  *m;

    if (*end == NULL) {
        page = (size_t) sysconf(_SC_PAGESIZE);
        m = mmap(NULL, ARENA_SIZE + page, PROT_READ|PROT_WRITE,
                 MAP_PRIVATE|MAP_ANONYMOUS, -1, 0);
        cr_assert(m != MAP_FAILED);
        cr_assert_eq(mprotect(m + ARENA_SIZE, page, PROT_NONE), 0);
        *end = m + ARENA_SIZE;
    }

    cr_assert(len <= ARENA_SIZE);

    if (data) {
        memmove(*end - len, data, len);

    } else {
        memset(*end - len, 0xAA, len);
    }

    return *end - len;
}


static u_char  *src_end, *dst_end;


/* normalises <in>; returns the result NUL-terminated, or NULL and *err */
static char *
normalize(const char *in, dr_uint_t merge, dr_uint_t *err)
{
    static char   out[ARENA_SIZE + 1];
    u_char       *src, *dst;
    size_t        len, n;
    dr_int_t      rc;

    len = strlen(in);
    src = guarded_in(&src_end, in, len);
    dst = guarded_in(&dst_end, NULL, len ? len : 1);

    *err = DR_HTTP_PARSE_ERR_NONE;
    n = (size_t) -1;
    rc = dr_http_parse_uri_normalize(src, len, dst, &n, merge, err);

    if (rc != DR_OK) {
        cr_assert_eq(rc, DR_PARSE_ERROR);
        cr_assert_neq(*err, DR_HTTP_PARSE_ERR_NONE);
        return NULL;
    }

    cr_assert(n <= (len ? len : 1), "\"%s\": output longer than input", in);
    memcpy(out, dst, n);
    out[n] = '\0';

    /* in place gives the same */
    src = guarded_in(&src_end, in, len ? len : 1);
    cr_assert_eq(dr_http_parse_uri_normalize(src, len, src, &n, merge, NULL),
                 DR_OK);
    cr_assert_eq(n, strlen(out));
    cr_assert_eq(memcmp(src, out, n), 0, "\"%s\" in place", in);

    return out;
}


static void
expect(const char *in, dr_uint_t merge, const char *want)
{
    dr_uint_t   err;
    char       *got;

    got = normalize(in, merge, &err);

    cr_assert_not_null(got, "\"%s\" (merge %lu): %s", in, (unsigned long) merge,
                       dr_http_parse_err_text(err));
    cr_assert_str_eq(got, want, "\"%s\" (merge %lu)", in,
                     (unsigned long) merge);
}


static void
expect_err(const char *in, dr_uint_t merge, dr_uint_t want)
{
    dr_uint_t   err;
    char       *got;

    got = normalize(in, merge, &err);

    cr_assert_null(got, "\"%s\" gave \"%s\"", in, got);
    cr_assert_eq(err, want, "\"%s\": got \"%s\", want \"%s\"", in,
                 dr_http_parse_err_text(err), dr_http_parse_err_text(want));
    cr_assert_eq(dr_http_parse_err_status(err), 400);
}


Test(parse_uri, plain_paths_unchanged)
{
    expect("/", 1, "/");
    expect("/index.html", 1, "/index.html");
    expect("/a/b/c", 1, "/a/b/c");
    expect("/a/b/", 1, "/a/b/");
    expect("/...", 1, "/...");
    expect("/.a/..b/a.", 1, "/.a/..b/a.");
    expect("/a+b", 1, "/a+b");
    expect("/caf\xc3\xa9", 1, "/caf\xc3\xa9");
}

Test(parse_uri, nginx_cases_merge_on)
{
    expect("/foo/../bar", 1, "/bar");
    expect("/foo/./bar", 1, "/foo/bar");
    expect("/foo//bar", 1, "/foo/bar");
    expect("/foo/%2e%2e/bar", 1, "/bar");
    expect("/foo%2fbar", 1, "/foo/bar");
    expect("/a/b/../..", 1, "/");
    expect("/a/..", 1, "/");
    expect("/a/.", 1, "/a/");
    expect("/a/b/..", 1, "/a/");
    expect("/a/%2e/b", 1, "/a/b");
    expect("/a/.%2e/b", 1, "/b");
    expect("/a%2f..%2fb", 1, "/b");
    expect("/a//../b", 1, "/b");
    expect("/a/b/%2E%2E", 1, "/a/");
    expect("/.", 1, "/");
    expect("/a/./../b", 1, "/b");
    expect("//", 1, "/");
    expect("/a%2F%2Fb", 1, "/a/b");
}

Test(parse_uri, nginx_cases_merge_off)
{
    expect("/foo//bar", 0, "/foo//bar");
    expect("/a//../b", 0, "/a/b");
    expect("//", 0, "//");
    expect("/a/.//b", 0, "/a//b");
    expect("/a%2F%2Fb", 0, "/a//b");
    expect("///x/..", 0, "///");
    expect("/foo/../bar", 0, "/bar");
}

Test(parse_uri, decoding)
{
    expect("/%3F", 1, "/?");
    expect("/%25", 1, "/%");
    expect("/%2b", 1, "/+");
    expect("/a%23b", 1, "/a#b");
    expect("/a%3fb?c", 1, "/a?b");
    expect("/%41%62%7e", 1, "/Ab~");
    expect("/%e2%9C%93", 1, "/\xe2\x9c\x93");
    expect("/%2525", 1, "/%25");
    expect("/a%20b", 1, "/a b");
    expect("/%0a", 1, "/\n");
}

Test(parse_uri, stops_at_query_and_fragment)
{
    expect("/a?b/../c", 1, "/a");
    expect("/a/b?x=%2e%2e", 1, "/a/b");
    expect("/a#frag", 1, "/a");
    expect("/a/..?x", 1, "/");
    expect("/a/.#x", 1, "/a/");
    expect("/?%zz", 1, "/");
    expect("/#%00", 1, "/");
}

Test(parse_uri, above_root)
{
    expect_err("/..", 1, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
    expect_err("/../foo", 1, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
    expect_err("/a/b/../../..", 1, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
    expect_err("/%2e%2e/", 1, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
    expect_err("/a/%2E%2e%2f%2E%2E%2fetc/passwd", 1,
               DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
    expect_err("/a%2f..%2f..", 0, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
    expect_err("/./..", 1, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
}

Test(parse_uri, bad_escapes)
{
    expect_err("/%00", 1, DR_HTTP_PARSE_ERR_ENCODED_NUL);
    expect_err("/a%00b", 0, DR_HTTP_PARSE_ERR_ENCODED_NUL);
    expect_err("/%zz", 1, DR_HTTP_PARSE_ERR_INVALID_PERCENT);
    expect_err("/%2", 1, DR_HTTP_PARSE_ERR_INVALID_PERCENT);
    expect_err("/%", 1, DR_HTTP_PARSE_ERR_INVALID_PERCENT);
    expect_err("/%g0", 1, DR_HTTP_PARSE_ERR_INVALID_PERCENT);
    expect_err("/%0g", 1, DR_HTTP_PARSE_ERR_INVALID_PERCENT);
    expect_err("/a%%41", 1, DR_HTTP_PARSE_ERR_INVALID_PERCENT);
}

Test(parse_uri, not_a_path)
{
    expect_err("a/b", 1, DR_HTTP_PARSE_ERR_INVALID_URI);
    expect_err("*", 1, DR_HTTP_PARSE_ERR_INVALID_URI);
}

Test(parse_uri, raw_nul_refused)
{
    static const u_char  in[] = "/a\0b";
    u_char               dst[8];
    size_t               n;
    dr_uint_t            err;

    cr_assert_eq(dr_http_parse_uri_normalize((u_char *) in, 4, dst, &n, 1,
                                             &err),
                 DR_PARSE_ERROR);
    cr_assert_eq(err, DR_HTTP_PARSE_ERR_INVALID_URI);
}

Test(parse_uri, empty_path_is_root)
{
    u_char     dst[1];
    size_t     n;
    dr_uint_t  err;

    cr_assert_eq(dr_http_parse_uri_normalize((u_char *) "", 0, dst, &n, 1,
                                             &err),
                 DR_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(dst[0], '/');
}

Test(parse_uri, long_paths)
{
    static char  in[16384], want[16384];
    size_t       i, n, w;

    /* "/a/./b/../" repeated: every segment is dropped, then "/end" */
    n = 0;
    w = 0;

    for (i = 0; i < 1000; i++) {
        memcpy(in + n, "/a/./b/..", 9);
        n += 9;
    }

    memcpy(in + n, "/end", 5);
    strcpy(want, "/a");

    for (i = 1; i < 1000; i++) {
        w = strlen(want);
        memcpy(want + w, "/a", 3);
    }

    w = strlen(want);
    strcpy(want + w, "/end");
    expect(in, 1, want);

    /* many ".." back to the root, then one too many */
    n = 0;

    for (i = 0; i < 500; i++) {
        in[n++] = '/';
        in[n++] = 'x';
    }

    for (i = 0; i < 500; i++) {
        memcpy(in + n, "/..", 3);
        n += 3;
    }

    in[n] = '\0';
    expect(in, 1, "/");

    memcpy(in + n, "/..", 4);
    expect_err(in, 1, DR_HTTP_PARSE_ERR_URI_ABOVE_ROOT);
}

Test(parse_uri, every_byte)
{
    /* no byte crashes or grows the output; only NUL is refused raw */
    char       in[4];
    dr_uint_t  err;
    char      *got;
    int        c;

    for (c = 1; c < 256; c++) {
        in[0] = '/';
        in[1] = (char) c;
        in[2] = '\0';

        got = normalize(in, 1, &err);

        if (c == '%') {
            cr_assert_null(got);

        } else {
            cr_assert_not_null(got, "byte %02x", c);
        }
    }
}


/* ------------------------------------------------------------ Host */

static dr_int_t
host(const char *in, dr_str_t *name, dr_str_t *port)
{
    u_char  *p;

    p = guarded_in(&src_end, in, strlen(in));

    return dr_http_parse_host(p, strlen(in), name, port);
}


#define assert_view(s, lit)                                                   \
    cr_assert((s)->len == sizeof(lit) - 1                                     \
              && memcmp((s)->data, lit, sizeof(lit) - 1) == 0,                \
              #s " is \"%.*s\", want \"%s\"", (int) (s)->len,                 \
              (s)->data ? (char *) (s)->data : "", lit)


Test(parse_host, valid)
{
    dr_str_t  name, port;

    cr_assert_eq(host("example.com", &name, &port), DR_OK);
    assert_view(&name, "example.com");
    cr_assert_eq(port.len, 0);

    cr_assert_eq(host("Example.com.:8080", &name, &port), DR_OK);
    assert_view(&name, "Example.com");
    assert_view(&port, "8080");

    cr_assert_eq(host("[2001:db8::1]:443", &name, &port), DR_OK);
    assert_view(&name, "[2001:db8::1]");
    assert_view(&port, "443");

    cr_assert_eq(host("[::ffff:1.2.3.4]", &name, &port), DR_OK);
    assert_view(&name, "[::ffff:1.2.3.4]");

    cr_assert_eq(host("x:", &name, &port), DR_OK);
    assert_view(&name, "x");
    cr_assert_eq(port.len, 0);

    cr_assert_eq(host("a%2Db", &name, &port), DR_OK);
    cr_assert_eq(host(".leading", &name, &port), DR_OK);
    cr_assert_eq(host("0", &name, &port), DR_OK);
    cr_assert_eq(host("h:0", &name, &port), DR_OK);
}

Test(parse_host, invalid)
{
    static const char  *bad[] = {
        "", ".", ":80", "a..b", "a b", "a/b", "a\\b", "a@b", "a:b",
        "a:123456", "a:65536", "a:-1", "a:1:2", "[::1", "[::1]x", "[]",
        "[:]", "[1.2.3.4]", "[::g]", "a%", "a%4", "a%4g", "a\x7f", "a\x01",
        "\xc3\xa9", "a?b", "a#b", "a[b", "a]b", "a\"b", "a<b",
    };
    dr_str_t  name, port;
    size_t    i;

    for (i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(host(bad[i], &name, &port), DR_PARSE_ERROR, "\"%s\"",
                     bad[i]);
    }
}
