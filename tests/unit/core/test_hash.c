/*
 * dr_hash: the key functions, the exact-match table (every key found,
 * misses miss, names lowercased, first duplicate wins, max_size honoured)
 * and server-name wildcards with nginx's precedence.
 */

#include <criterion/criterion.h>

#include "dr_core.h"


static dr_pool_t  *pool;
static u_char      test_hash_logbuf[8192];
static size_t      test_hash_loglen;
static dr_log_t    test_hash_log;


static void
test_hash_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;

    len = dr_min(len, sizeof(test_hash_logbuf) - test_hash_loglen - 1);
    dr_memcpy(test_hash_logbuf + test_hash_loglen, buf, len);
    test_hash_loglen += len;
    test_hash_logbuf[test_hash_loglen] = '\0';
}


static void
setup(void)
{
    test_hash_log.log_level = DR_LOG_DEBUG;
    test_hash_log.writer = test_hash_writer;
    test_hash_loglen = 0;
    dr_use_stderr = 0;
    dr_time_init();

    pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &test_hash_log);
    cr_assert_not_null(pool);
}


static void
teardown(void)
{
    dr_destroy_pool(pool);
}


TestSuite(hash, .init = setup, .fini = teardown);


Test(hash, key_functions)
{
    u_char     dst[16];
    dr_uint_t  k;

    k = 0;
    k = dr_hash(k, 'a');
    k = dr_hash(k, 'b');
    cr_assert_eq(k, (dr_uint_t) 'a' * 31 + 'b');
    cr_assert_eq(dr_hash_key((u_char *) "ab", 2), k);
    cr_assert_eq(dr_hash_key((u_char *) "", 0), 0);

    cr_assert_eq(dr_hash_key_lc((u_char *) "HoSt", 4),
                 dr_hash_key((u_char *) "host", 4));

    k = dr_hash_strlow(dst, (u_char *) "Content-TYPE", 12);
    cr_assert_eq(dr_memcmp(dst, "content-type", 12), 0);
    cr_assert_eq(k, dr_hash_key((u_char *) "content-type", 12));
}


static dr_int_t
test_hash_build(dr_hash_t *hash, dr_hash_key_t *keys, dr_uint_t n,
    dr_uint_t max_size)
{
    dr_hash_init_t  hinit;

    hinit.hash = hash;
    hinit.max_size = max_size;
    hinit.bucket_size = 64;
    hinit.name = "test_hash";
    hinit.pool = pool;
    hinit.temp_pool = pool;

    return dr_hash_init(&hinit, keys, n);
}


Test(hash, many_keys_all_found)
{
    u_char          *names, *p;
    dr_uint_t        i, n;
    dr_hash_t        hash;
    dr_hash_key_t   *keys;

    n = 5000;

    keys = dr_palloc(pool, n * sizeof(dr_hash_key_t));
    names = dr_palloc(pool, n * 16);
    cr_assert(keys && names);

    for (i = 0; i < n; i++) {
        p = names + i * 16;
        keys[i].key.len = snprintf((char *) p, 16, "key-%lu",
                                   (unsigned long) i);
        keys[i].key.data = p;
        keys[i].key_hash = dr_hash_key(p, keys[i].key.len);
        keys[i].value = (void *) (uintptr_t) (i + 1);
    }

    cr_assert_eq(test_hash_build(&hash, keys, n, 0), DR_OK);
    cr_assert_eq(hash.nelts, n);
    /* at most half full */
    cr_assert_geq(hash.mask + 1, 2 * n);

    for (i = 0; i < n; i++) {
        cr_assert_eq(dr_hash_find(&hash, keys[i].key_hash, keys[i].key.data,
                                  keys[i].key.len),
                     (void *) (uintptr_t) (i + 1));
    }

    cr_assert_null(dr_hash_find(&hash, dr_hash_key((u_char *) "key-5000", 8),
                                (u_char *) "key-5000", 8));
    cr_assert_null(dr_hash_find(&hash, dr_hash_key((u_char *) "key-", 4),
                                (u_char *) "key-", 4));
    /* the right hash with the wrong bytes */
    cr_assert_null(dr_hash_find(&hash, keys[7].key_hash,
                                (u_char *) "key-8", 5));
}


Test(hash, names_are_lowercased_and_copied)
{
    u_char          name[] = "Content-Length";
    dr_hash_t       hash;
    dr_hash_key_t   keys[2];

    keys[0].key.data = name;
    keys[0].key.len = sizeof(name) - 1;
    keys[0].key_hash = dr_hash_key_lc(name, keys[0].key.len);
    keys[0].value = "cl";

    keys[1].key.data = (u_char *) "HOST";
    keys[1].key.len = 4;
    keys[1].key_hash = dr_hash_key_lc(keys[1].key.data, 4);
    keys[1].value = "host";

    cr_assert_eq(test_hash_build(&hash, keys, 2, 0), DR_OK);

    /* the table owns its copy */
    dr_memset(name, 'x', sizeof(name) - 1);

    cr_assert_str_eq(dr_hash_find(&hash,
                                  dr_hash_key((u_char *) "content-length", 14),
                                  (u_char *) "content-length", 14), "cl");
    cr_assert_str_eq(dr_hash_find(&hash, dr_hash_key((u_char *) "host", 4),
                                  (u_char *) "host", 4), "host");
    /* lookups are exact: callers lowercase */
    cr_assert_null(dr_hash_find(&hash, dr_hash_key((u_char *) "host", 4),
                                (u_char *) "HOST", 4));
}


Test(hash, first_duplicate_wins)
{
    dr_hash_t       hash;
    dr_hash_key_t   keys[3];

    keys[0].key.data = (u_char *) "a";
    keys[1].key.data = (u_char *) "b";
    keys[2].key.data = (u_char *) "a";
    keys[0].key.len = keys[1].key.len = keys[2].key.len = 1;
    keys[0].value = "first";
    keys[1].value = "b";
    keys[2].value = "second";
    keys[0].key_hash = keys[2].key_hash = dr_hash_key((u_char *) "a", 1);
    keys[1].key_hash = dr_hash_key((u_char *) "b", 1);

    cr_assert_eq(test_hash_build(&hash, keys, 3, 0), DR_OK);
    cr_assert_eq(hash.nelts, 2);
    cr_assert_str_eq(dr_hash_find(&hash, keys[0].key_hash,
                                  (u_char *) "a", 1), "first");
}


Test(hash, colliding_hashes)
{
    dr_uint_t       i;
    dr_hash_t       hash;
    dr_hash_key_t   keys[4];
    char           *names[4] = { "w", "x", "y", "z" };

    /* all keys share one (fake) hash: probing must still tell them apart */

    for (i = 0; i < 4; i++) {
        keys[i].key.data = (u_char *) names[i];
        keys[i].key.len = 1;
        keys[i].key_hash = 12345;
        keys[i].value = names[i];
    }

    cr_assert_eq(test_hash_build(&hash, keys, 4, 0), DR_OK);

    for (i = 0; i < 4; i++) {
        cr_assert_eq(dr_hash_find(&hash, 12345, (u_char *) names[i], 1),
                     names[i]);
    }

    cr_assert_null(dr_hash_find(&hash, 12345, (u_char *) "v", 1));
}


Test(hash, empty_and_unbuilt)
{
    dr_hash_t  hash, zero;

    dr_memzero(&zero, sizeof(dr_hash_t));
    cr_assert_null(dr_hash_find(&zero, 0, (u_char *) "", 0));

    cr_assert_eq(test_hash_build(&hash, NULL, 0, 0), DR_OK);
    cr_assert_eq(hash.nelts, 0);
    cr_assert_null(dr_hash_find(&hash, dr_hash_key((u_char *) "a", 1),
                                (u_char *) "a", 1));
}


Test(hash, max_size)
{
    dr_uint_t       i;
    dr_hash_t       hash;
    dr_hash_key_t   keys[12];
    u_char          names[12][4];

    for (i = 0; i < 12; i++) {
        keys[i].key.len = snprintf((char *) names[i], 4, "k%lu",
                                   (unsigned long) i);
        keys[i].key.data = names[i];
        keys[i].key_hash = dr_hash_key(names[i], keys[i].key.len);
        keys[i].value = names[i];
    }

    /* 12 keys fit in 16 slots at 3/4 */
    cr_assert_eq(test_hash_build(&hash, keys, 12, 16), DR_OK);
    cr_assert_eq(hash.mask + 1, 16);

    for (i = 0; i < 12; i++) {
        cr_assert_eq(dr_hash_find(&hash, keys[i].key_hash, names[i],
                                  keys[i].key.len), names[i]);
    }

    /* but not in 8 */
    cr_assert_eq(test_hash_build(&hash, keys, 12, 15), DR_ERROR);
    cr_assert_not_null(strstr((char *) test_hash_logbuf,
                              "could not build test_hash, you should "
                              "increase test_hash_max_size"));
}


static dr_hash_combined_t  names;

static void
test_hash_add(dr_hash_keys_arrays_t *ha, char *name, dr_int_t expect)
{
    dr_str_t  s;

    s.data = (u_char *) name;
    s.len = strlen(name);

    cr_assert_eq(dr_hash_add_key(ha, &s, name, DR_HASH_WILDCARD_KEY), expect,
                 "adding \"%s\"", name);
}


static char *
test_hash_lookup(char *name)
{
    size_t  len;

    len = strlen(name);

    return dr_hash_find_combined(&names, dr_hash_key((u_char *) name, len),
                                 (u_char *) name, len);
}


static void
test_hash_build_names(void)
{
    dr_hash_keys_arrays_t  ha;

    cr_assert_eq(dr_hash_keys_array_init(&ha, pool, pool), DR_OK);

    test_hash_add(&ha, "example.com", DR_OK);
    test_hash_add(&ha, "www.example.com", DR_OK);
    test_hash_add(&ha, "*.example.com", DR_OK);
    test_hash_add(&ha, "*.b.example.com", DR_OK);
    test_hash_add(&ha, ".example.org", DR_OK);
    test_hash_add(&ha, "*.com", DR_OK);
    test_hash_add(&ha, "www.example.*", DR_OK);
    test_hash_add(&ha, "www.*", DR_OK);
    test_hash_add(&ha, "Mixed.Case.NET", DR_OK);

    /* duplicates, also through case */
    test_hash_add(&ha, "EXAMPLE.com", DR_BUSY);
    test_hash_add(&ha, "*.example.com", DR_BUSY);
    test_hash_add(&ha, ".example.com", DR_BUSY);
    test_hash_add(&ha, "www.example.*", DR_BUSY);

    /* invalid wildcards */
    test_hash_add(&ha, "*", DR_DECLINED);
    test_hash_add(&ha, "*.", DR_DECLINED);
    test_hash_add(&ha, ".", DR_DECLINED);
    test_hash_add(&ha, "a.*.b", DR_DECLINED);
    test_hash_add(&ha, "*example.com", DR_DECLINED);
    test_hash_add(&ha, "*.example.*", DR_DECLINED);
    test_hash_add(&ha, "www*", DR_DECLINED);
    test_hash_add(&ha, "..x", DR_DECLINED);

    cr_assert_eq(dr_hash_combined_init(&names, &ha, "server_names_hash", 0),
                 DR_OK);
}


Test(hash, server_names)
{
    test_hash_build_names();

    /* exact first */
    cr_assert_str_eq(test_hash_lookup("example.com"), "example.com");
    cr_assert_str_eq(test_hash_lookup("www.example.com"), "www.example.com");
    cr_assert_str_eq(test_hash_lookup("mixed.case.net"), "Mixed.Case.NET");

    /* leading wildcards, longest match */
    cr_assert_str_eq(test_hash_lookup("a.example.com"), "*.example.com");
    cr_assert_str_eq(test_hash_lookup("x.y.example.com"), "*.example.com");
    cr_assert_str_eq(test_hash_lookup("a.b.example.com"), "*.b.example.com");
    cr_assert_str_eq(test_hash_lookup("z.a.b.example.com"),
                     "*.b.example.com");
    /* "*.b.example.com" does not match "b.example.com": "*.example.com" does */
    cr_assert_str_eq(test_hash_lookup("b.example.com"), "*.example.com");
    cr_assert_str_eq(test_hash_lookup("other.com"), "*.com");

    /* ".example.org" matches the domain itself and its subdomains */
    cr_assert_str_eq(test_hash_lookup("example.org"), ".example.org");
    cr_assert_str_eq(test_hash_lookup("a.b.example.org"), ".example.org");
    cr_assert_null(test_hash_lookup("badexample.org"));

    /* trailing wildcards, after the leading ones, longest match */
    cr_assert_str_eq(test_hash_lookup("www.example.net"), "www.example.*");
    cr_assert_str_eq(test_hash_lookup("www.example.co.uk"), "www.example.*");
    cr_assert_str_eq(test_hash_lookup("www.other.net"), "www.*");
    /* a leading wildcard beats a trailing one */
    cr_assert_str_eq(test_hash_lookup("www.foo.com"), "*.com");

    /* misses */
    cr_assert_null(test_hash_lookup("com"));
    cr_assert_null(test_hash_lookup("www"));
    cr_assert_null(test_hash_lookup("example.net"));
    cr_assert_null(test_hash_lookup(""));
    cr_assert_null(test_hash_lookup("."));
    cr_assert_null(test_hash_lookup("wwwx.example.net"));
}


Test(hash, server_names_without_wildcard_flag)
{
    dr_str_t               s;
    dr_hash_keys_arrays_t  ha;

    cr_assert_eq(dr_hash_keys_array_init(&ha, pool, pool), DR_OK);

    s.data = (u_char *) "*.literal";
    s.len = 9;
    cr_assert_eq(dr_hash_add_key(&ha, &s, "lit", 0), DR_OK);
    cr_assert_eq(dr_hash_combined_init(&names, &ha, "h", 0), DR_OK);

    cr_assert_str_eq(test_hash_lookup("*.literal"), "lit");
    cr_assert_null(test_hash_lookup("a.literal"));
}


Test(hash, many_server_names)
{
    u_char                 buf[64];
    dr_str_t               s;
    dr_uint_t              i;
    dr_hash_keys_arrays_t  ha;
    char                  *v;

    cr_assert_eq(dr_hash_keys_array_init(&ha, pool, pool), DR_OK);

    for (i = 0; i < 3000; i++) {
        s.len = snprintf((char *) buf, sizeof(buf), "*.h%lu.example.com",
                         (unsigned long) i);
        s.data = dr_pnalloc(pool, s.len);
        dr_memcpy(s.data, buf, s.len);
        cr_assert_eq(dr_hash_add_key(&ha, &s, s.data, DR_HASH_WILDCARD_KEY),
                     DR_OK);
        cr_assert_eq(dr_hash_add_key(&ha, &s, s.data, DR_HASH_WILDCARD_KEY),
                     DR_BUSY);
    }

    cr_assert_eq(dr_hash_combined_init(&names, &ha, "h", 0), DR_OK);

    for (i = 0; i < 3000; i += 7) {
        snprintf((char *) buf, sizeof(buf), "www.h%lu.example.com",
                 (unsigned long) i);
        v = test_hash_lookup((char *) buf);
        cr_assert_not_null(v);
        cr_assert_eq(dr_memcmp(v + 1, buf + 3, strlen((char *) buf) - 3), 0);
    }
}
