/*
 * Location matching (src/http/dr_http.c: the static location tree;
 * src/http/dr_http_core_phases.c: dr_http_core_find_location()): nginx's
 * precedence, exact "=", "^~", the longest prefix, regexes in file order
 * (case-sensitive and not), nested locations, named ones kept out of URI
 * matching, the auto-redirect case, and a randomised comparison of the
 * tree with a brute-force longest-prefix search.
 *
 * The locations are built as the config parser builds them (core loc
 * confs queued with dr_http_add_location), frozen with the same calls
 * as the http{} block, and looked up through the real
 * dr_http_core_find_location() with a minimal request.
 */

#include <criterion/criterion.h>

#include "dr_http.h"


static dr_pool_t                  *pool;
static dr_log_t                    tlog;
static dr_conf_t                   cf;
static dr_http_core_main_conf_t    cmcf;
static void                       *main_conf[2];
static dr_http_request_t           req;
static dr_connection_t             conn;


static void
test_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;
    (void) buf;
    (void) len;
}


static void
setup(void)
{
    tlog.log_level = DR_LOG_ERR;
    tlog.writer = test_writer;
    dr_use_stderr = 0;
    dr_time_init();

    pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &tlog);
    cr_assert_not_null(pool);

    dr_memzero(&cf, sizeof(dr_conf_t));
    cf.pool = pool;
    cf.temp_pool = pool;
    cf.log = &tlog;

    /* the core module is the only http module here */
    dr_http_core_module.ctx_index = 0;
    dr_http_max_module = 1;

    dr_memzero(&cmcf, sizeof(cmcf));
    cmcf.ncaptures = 30;
    main_conf[0] = &cmcf;

    dr_memzero(&conn, sizeof(conn));
    conn.log = &tlog;

    dr_memzero(&req, sizeof(req));
    req.pool = pool;
    req.connection = &conn;
    req.main_conf = main_conf;
    req.main = &req;
}


static void
teardown(void)
{
    dr_destroy_pool(pool);
}


TestSuite(location, .init = setup, .fini = teardown);


/* a location{} as dr_http_core_location() makes it */
static dr_http_core_loc_conf_t *
loc(dr_http_core_loc_conf_t *parent, const char *spec)
{
    const char                *name;
    dr_http_core_loc_conf_t   *clcf;
    void                     **lc;
    dr_regex_compile_t         rc;
    u_char                     errstr[256];

    clcf = dr_pcalloc(pool, sizeof(dr_http_core_loc_conf_t));
    lc = dr_pcalloc(pool, 2 * sizeof(void *));
    cr_assert(clcf && lc);

    lc[0] = clcf;
    clcf->loc_conf = lc;

    name = spec;

    if (strncmp(spec, "= ", 2) == 0) {
        clcf->exact_match = 1;
        name = spec + 2;

    } else if (strncmp(spec, "^~ ", 3) == 0) {
        clcf->noregex = 1;
        name = spec + 3;

    } else if (strncmp(spec, "~ ", 2) == 0 || strncmp(spec, "~* ", 3) == 0) {
        name = strchr(spec, ' ') + 1;

        dr_memzero(&rc, sizeof(rc));
        rc.pattern.data = (u_char *) name;
        rc.pattern.len = strlen(name);
        rc.pool = pool;
        rc.options = (spec[1] == '*') ? DR_REGEX_CASELESS : 0;
        rc.err.data = errstr;
        rc.err.len = sizeof(errstr);

        cr_assert_eq(dr_regex_compile(&rc), DR_OK, "%.*s",
                     (int) rc.err.len, rc.err.data);

        clcf->regex = dr_pcalloc(pool, sizeof(dr_http_regex_t));
        clcf->regex->regex = rc.regex;
        clcf->regex->ncaptures = rc.captures;
        clcf->regex->name = rc.pattern;

    } else if (spec[0] == '@') {
        clcf->named = 1;
    }

    clcf->name.data = (u_char *) name;
    clcf->name.len = strlen(name);

    cr_assert_eq(dr_http_add_location(&cf, &parent->locations, clcf), DR_OK);

    return clcf;
}


static dr_http_core_loc_conf_t *
server(void)
{
    dr_http_core_loc_conf_t  *clcf;
    void                    **lc;

    clcf = dr_pcalloc(pool, sizeof(dr_http_core_loc_conf_t));
    lc = dr_pcalloc(pool, 2 * sizeof(void *));
    lc[0] = clcf;
    clcf->loc_conf = lc;

    return clcf;
}


static dr_http_core_srv_conf_t  cscf;

static void
freeze(dr_http_core_loc_conf_t *srv)
{
    dr_memzero(&cscf, sizeof(cscf));
    cr_assert_eq(dr_http_init_locations(&cf, &cscf, srv), DR_OK);
    cr_assert_eq(dr_http_init_static_location_trees(&cf, srv), DR_OK);
}


/* the location a URI gets, or the server's conf when none matched */
static dr_http_core_loc_conf_t *
find(dr_http_core_loc_conf_t *srv, const char *uri, dr_int_t *rcp)
{
    dr_int_t  rc;

    req.uri.data = (u_char *) uri;
    req.uri.len = strlen(uri);
    req.loc_conf = srv->loc_conf;
    req.captures = NULL;

    rc = dr_http_core_find_location(&req);

    if (rcp) {
        *rcp = rc;
    }

    return req.loc_conf[0];
}


#define assert_loc(srv, uri, expect)                                          \
    do {                                                                      \
        dr_http_core_loc_conf_t  *got__ = find(srv, uri, NULL);               \
        cr_assert_eq(got__, expect, "%s -> \"%.*s\"", uri,                    \
                     (int) got__->name.len, got__->name.data);                \
    } while (0)


Test(location, nginx_documentation_example)
{
    dr_http_core_loc_conf_t  *s, *a, *b, *c, *d, *e;

    s = server();
    a = loc(s, "= /");
    b = loc(s, "/");
    c = loc(s, "/documents/");
    d = loc(s, "^~ /images/");
    e = loc(s, "~* \\.(gif|jpg|jpeg)$");
    freeze(s);

    assert_loc(s, "/", a);
    assert_loc(s, "/index.html", b);
    assert_loc(s, "/documents/document.html", c);
    assert_loc(s, "/images/1.gif", d);
    assert_loc(s, "/documents/1.jpg", e);
    assert_loc(s, "/documents/1.JPG", e);
}


Test(location, longest_prefix_wins_regardless_of_order)
{
    dr_http_core_loc_conf_t  *s, *l1, *l2, *l3, *l4;

    s = server();
    l3 = loc(s, "/abc");
    l1 = loc(s, "/a");
    l4 = loc(s, "/abcdef/");
    l2 = loc(s, "/ab");
    freeze(s);

    assert_loc(s, "/a", l1);
    assert_loc(s, "/a/", l1);
    assert_loc(s, "/ab", l2);
    assert_loc(s, "/abx", l2);
    assert_loc(s, "/abc", l3);
    assert_loc(s, "/abcdef", l3);
    assert_loc(s, "/abcdef/", l4);
    assert_loc(s, "/abcdef/x", l4);
    assert_loc(s, "/b", s);
    assert_loc(s, "/", s);
}


Test(location, exact_beats_prefix_of_same_name)
{
    dr_http_core_loc_conf_t  *s, *ex, *pr, *re;

    s = server();
    pr = loc(s, "/x");
    ex = loc(s, "= /x");
    re = loc(s, "~ ^/x");
    freeze(s);

    assert_loc(s, "/x", ex);
    assert_loc(s, "/xy", re);
    assert_loc(s, "/x/", re);
    (void) pr;
}


Test(location, exact_only_does_not_match_longer)
{
    dr_http_core_loc_conf_t  *s, *ex, *root;

    s = server();
    root = loc(s, "/");
    ex = loc(s, "= /exact");
    freeze(s);

    assert_loc(s, "/exact", ex);
    assert_loc(s, "/exact/", root);
    assert_loc(s, "/exac", root);
    assert_loc(s, "/exactly", root);
}


Test(location, regexes_in_file_order)
{
    dr_http_core_loc_conf_t  *s, *r1, *r2, *r3, *root;

    s = server();
    root = loc(s, "/");
    r1 = loc(s, "~ \\.php$");
    r2 = loc(s, "~ ^/admin/.*\\.php$");
    r3 = loc(s, "~ ^/admin/");
    freeze(s);

    assert_loc(s, "/admin/x.php", r1);
    assert_loc(s, "/admin/x.html", r3);
    assert_loc(s, "/x.PHP", root);
    (void) r2;
}


Test(location, caseless_regex)
{
    dr_http_core_loc_conf_t  *s, *r1, *r2;

    s = server();
    r1 = loc(s, "~ \\.TXT$");
    r2 = loc(s, "~* \\.txt$");
    freeze(s);

    assert_loc(s, "/a.TXT", r1);
    assert_loc(s, "/a.txt", r2);
    assert_loc(s, "/a.TxT", r2);
}


Test(location, noregex_prefix_stops_regexes_only_when_longest)
{
    dr_http_core_loc_conf_t  *s, *img, *special, *gif;

    s = server();
    img = loc(s, "^~ /images/");
    special = loc(s, "/images/special/");
    gif = loc(s, "~ \\.gif$");
    freeze(s);

    assert_loc(s, "/images/a.gif", img);
    /* the longest prefix has no ^~: regexes are tried */
    assert_loc(s, "/images/special/a.gif", gif);
    assert_loc(s, "/images/special/a.png", special);
}


Test(location, nested_locations)
{
    dr_http_core_loc_conf_t  *s, *a, *ab, *atxt, *top_txt, *r, *rpng;

    s = server();
    a = loc(s, "/a/");
    ab = loc(a, "/a/b/");
    atxt = loc(a, "~ \\.txt$");
    top_txt = loc(s, "~ \\.txt$");
    r = loc(s, "~ ^/r/");
    rpng = loc(r, "~ \\.png$");
    freeze(s);

    assert_loc(s, "/a/x", a);
    assert_loc(s, "/a/b/c", ab);
    /* a nested regex of the longest prefix comes before the top ones */
    assert_loc(s, "/a/x.txt", atxt);
    assert_loc(s, "/a/b/x.txt", atxt);
    assert_loc(s, "/z/x.txt", top_txt);
    assert_loc(s, "/r/a.png", rpng);
    assert_loc(s, "/r/a.jpg", r);
}


Test(location, named_locations_are_not_matched_by_uri)
{
    dr_http_core_loc_conf_t  *s, *root, *named;

    s = server();
    named = loc(s, "@fallback");
    root = loc(s, "/");
    freeze(s);

    assert_loc(s, "/@fallback", root);
    cr_assert_not_null(cscf.named_locations);
    cr_assert_eq(cscf.named_locations[0], named);
    cr_assert_null(cscf.named_locations[1]);
}


Test(location, slash_sorts_lowest)
{
    dr_http_core_loc_conf_t  *s, *a, *adash, *aslash, *aslashb, *b;

    s = server();
    b = loc(s, "/b");
    aslashb = loc(s, "/a/b");
    adash = loc(s, "/a-b");
    a = loc(s, "/a");
    aslash = loc(s, "/a/");
    freeze(s);

    assert_loc(s, "/a", a);
    assert_loc(s, "/a-", a);
    assert_loc(s, "/a-b", adash);
    assert_loc(s, "/a-bc", adash);
    assert_loc(s, "/a/", aslash);
    assert_loc(s, "/a/bb", aslashb);
    assert_loc(s, "/a/c", aslash);
    assert_loc(s, "/b/", b);
}


Test(location, auto_redirect_for_missing_slash)
{
    dr_int_t                  rc;
    dr_http_core_loc_conf_t  *s, *dir, *got;

    s = server();
    dir = loc(s, "/dir/");
    dir->auto_redirect = 1;
    freeze(s);

    got = find(s, "/dir", &rc);
    cr_assert_eq(rc, DR_DONE);
    cr_assert_eq(got, dir);

    /* a prefix match: the lookup goes on (nested, regexes), no redirect */
    got = find(s, "/dir/x", &rc);
    cr_assert(rc == DR_AGAIN || rc == DR_DECLINED);
    cr_assert_eq(got, dir);
}


Test(location, duplicate_location_is_an_error)
{
    dr_http_core_loc_conf_t  *s;

    s = server();
    loc(s, "/a");
    loc(s, "/a");

    dr_memzero(&cscf, sizeof(cscf));
    cr_assert_eq(dr_http_init_locations(&cf, &cscf, s), DR_OK);
    cr_assert_eq(dr_http_init_static_location_trees(&cf, s), DR_ERROR);
}


Test(location, regex_captures_for_the_request)
{
    dr_http_core_loc_conf_t  *s, *r;

    s = server();
    r = loc(s, "~ ^/u/(\\w+)/(\\d+)$");
    freeze(s);

    assert_loc(s, "/u/bob/42", r);
    cr_assert_not_null(req.captures);
    cr_assert_eq(req.ncaptures, 6);
    cr_assert_eq(req.captures[2], 3);
    cr_assert_eq(req.captures[3], 6);
    cr_assert_eq(req.captures[4], 7);
    cr_assert_eq(req.captures[5], 9);
}


/* random prefix sets against a brute-force longest prefix */
Test(location, randomised_tree_against_brute_force)
{
    char                      names[200][16], uri[32];
    size_t                    best, len;
    dr_uint_t                 i, n, round, j, k, dup;
    dr_http_core_loc_conf_t  *s, *locs[200], *expect, *got;
    static const char         alpha[] = "/ab-";

    srand(7);

    for (round = 0; round < 40; round++) {

        s = server();
        n = 1 + rand() % 120;

        for (i = 0; i < n; i++) {
            do {
                names[i][0] = '/';
                len = 1 + rand() % 6;
                for (j = 1; j < len; j++) {
                    names[i][j] = alpha[rand() % 4];
                }
                names[i][len] = '\0';

                dup = 0;
                for (k = 0; k < i; k++) {
                    if (strcmp(names[k], names[i]) == 0) {
                        dup = 1;
                    }
                }
            } while (dup);

            locs[i] = loc(s, names[i]);
        }

        freeze(s);

        for (k = 0; k < 300; k++) {
            uri[0] = '/';
            len = 1 + rand() % 9;
            for (j = 1; j < len; j++) {
                uri[j] = alpha[rand() % 4];
            }
            uri[len] = '\0';

            expect = s;
            best = 0;

            for (i = 0; i < n; i++) {
                size_t nl = strlen(names[i]);
                if (nl <= len && strncmp(uri, names[i], nl) == 0
                    && nl > best)
                {
                    best = nl;
                    expect = locs[i];
                }
            }

            got = find(s, uri, NULL);

            cr_assert_eq(got, expect, "round %u uri %s: got \"%.*s\"",
                         (unsigned) round, uri, (int) got->name.len,
                         got->name.data);
        }
    }
}
