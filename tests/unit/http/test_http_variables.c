/*
 * Variables, complex values and URI-to-path mapping
 * (src/http/dr_http_variables.c, dr_http_script.c,
 * dr_http_core_phases.c: dr_http_map_uri_to_path()).
 *
 * A configuration is compiled as the http{} block does it (core variables
 * declared, references indexed, then bound by dr_http_variables_init_
 * vars()), and evaluated against a request built by hand: headers in
 * r->headers_in, args, a connection with addresses. root and alias go
 * through the real directive handlers of the core module's table.
 */

#include <criterion/criterion.h>

#include "dr_http.h"


static dr_pool_t                  *pool;
static dr_log_t                    tlog;
static dr_conf_t                   cf;
static dr_cycle_t                  cycle;
static dr_conf_file_t              conf_file;
static dr_http_conf_ctx_t          ctx;
static dr_http_core_main_conf_t   *cmcf;
static dr_http_core_srv_conf_t     cscf;
static dr_http_core_loc_conf_t    *clcf;
static void                       *main_conf[2], *srv_conf[2], *loc_conf[2];
static dr_http_request_t           req;
static dr_connection_t             conn;
static struct sockaddr_in          peer, local;
static u_char                      logbuf[4096];
static size_t                      loglen;


static void
test_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;

    len = dr_min(len, sizeof(logbuf) - loglen - 1);
    dr_memcpy(logbuf + loglen, buf, len);
    loglen += len;
    logbuf[loglen] = '\0';
}


static void
setup(void)
{
    tlog.log_level = DR_LOG_WARN;
    tlog.writer = test_writer;
    loglen = 0;
    dr_use_stderr = 0;
    dr_time_init();

    pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &tlog);
    cr_assert_not_null(pool);

    dr_memzero(&cycle, sizeof(cycle));
    cycle.pool = pool;
    dr_str_set(&cycle.prefix, "/usr/local/drover/");
    dr_str_set(&cycle.conf_prefix, "/usr/local/drover/conf/");
    dr_str_set(&cycle.hostname, "testhost");
    dr_cycle = &cycle;

    dr_http_core_module.ctx_index = 0;
    dr_http_max_module = 1;

    dr_memzero(&conf_file, sizeof(conf_file));
    dr_str_set(&conf_file.file.name, "test.conf");
    conf_file.file.fd = DR_INVALID_FILE;

    dr_memzero(&cf, sizeof(dr_conf_t));
    cf.pool = pool;
    cf.temp_pool = pool;
    cf.log = &tlog;
    cf.cycle = &cycle;
    cf.conf_file = &conf_file;
    cf.ctx = &ctx;

    cmcf = dr_pcalloc(pool, sizeof(dr_http_core_main_conf_t));
    cmcf->variables_hash_max_size = 1024;
    main_conf[0] = cmcf;

    dr_memzero(&cscf, sizeof(cscf));
    dr_str_set(&cscf.server_name, "srv.test");
    srv_conf[0] = &cscf;

    clcf = dr_pcalloc(pool, sizeof(dr_http_core_loc_conf_t));
    clcf->loc_conf = loc_conf;
    loc_conf[0] = clcf;

    ctx.main_conf = main_conf;
    ctx.srv_conf = srv_conf;
    ctx.loc_conf = loc_conf;

    cr_assert_eq(dr_http_variables_add_core_vars(&cf), DR_OK);

    dr_memzero(&peer, sizeof(peer));
    peer.sin_family = AF_INET;
    peer.sin_port = htons(54321);
    peer.sin_addr.s_addr = htonl(0x7f000001);

    local = peer;
    local.sin_port = htons(8080);
    local.sin_addr.s_addr = htonl(0x7f000002);

    dr_memzero(&conn, sizeof(conn));
    conn.log = &tlog;
    conn.sockaddr = (struct sockaddr *) &peer;
    conn.socklen = sizeof(peer);
    conn.local_sockaddr = (struct sockaddr *) &local;
    conn.local_socklen = sizeof(local);
    dr_str_set(&conn.addr_text, "127.0.0.1");
    conn.number = 77;
    conn.requests = 3;

    dr_memzero(&req, sizeof(req));
    req.pool = pool;
    req.connection = &conn;
    req.main_conf = main_conf;
    req.srv_conf = srv_conf;
    req.loc_conf = loc_conf;
    req.main = &req;
    req.headers_in.content_length_n = -1;
    req.headers_out.content_length_n = -1;
    req.headers_out.last_modified_time = -1;
    dr_list_init(&req.headers_in.headers, pool, 4, sizeof(dr_table_elt_t));
    dr_list_init(&req.headers_out.headers, pool, 4, sizeof(dr_table_elt_t));
    dr_list_init(&req.headers_out.trailers, pool, 1, sizeof(dr_table_elt_t));
}


static void
teardown(void)
{
    dr_destroy_pool(pool);
}


TestSuite(variables, .init = setup, .fini = teardown);


static dr_http_complex_value_t *
compile(const char *text, dr_int_t expect)
{
    dr_str_t                          *v;
    dr_http_complex_value_t           *cv;
    dr_http_compile_complex_value_t    ccv;

    v = dr_palloc(pool, sizeof(dr_str_t));
    v->len = strlen(text);
    v->data = dr_pnalloc(pool, v->len + 1);
    memcpy(v->data, text, v->len + 1);

    cv = dr_palloc(pool, sizeof(dr_http_complex_value_t));

    dr_memzero(&ccv, sizeof(ccv));
    ccv.cf = &cf;
    ccv.value = v;
    ccv.complex_value = cv;

    cr_assert_eq(dr_http_compile_complex_value(&ccv), expect, "%s", text);

    return cv;
}


static void
finish(void)
{
    cr_assert_eq(dr_http_variables_init_vars(&cf), DR_OK, "%s", logbuf);

    req.variables = dr_pcalloc(pool, (cmcf->variables.nelts + 1)
                                     * sizeof(dr_http_variable_value_t));
}


static void
header_in(const char *name, const char *value, dr_table_elt_t **shortcut)
{
    dr_table_elt_t  *h, **ph;

    h = dr_list_push(&req.headers_in.headers);
    h->key.data = (u_char *) name;
    h->key.len = strlen(name);
    h->value.data = (u_char *) value;
    h->value.len = strlen(value);
    h->lowcase_key = dr_pnalloc(pool, h->key.len);
    h->hash = dr_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
    h->next = NULL;

    if (shortcut) {
        for (ph = shortcut; *ph; ph = &(*ph)->next) { /* void */ }
        *ph = h;
    }
}


#define assert_cv(cv, expect)                                                 \
    do {                                                                      \
        dr_str_t  out__;                                                      \
        cr_assert_eq(dr_http_complex_value(&req, cv, &out__), DR_OK);        \
        cr_assert_eq(out__.len, strlen(expect), "got \"%.*s\"",               \
                     (int) out__.len, out__.data);                            \
        cr_assert_eq(memcmp(out__.data, expect, out__.len), 0,                \
                     "got \"%.*s\"", (int) out__.len, out__.data);            \
    } while (0)


Test(variables, static_text_is_not_compiled)
{
    dr_http_complex_value_t  *cv;

    cv = compile("plain text", DR_OK);
    finish();

    cr_assert_null(cv->lengths);
    assert_cv(cv, "plain text");
}


Test(variables, request_line_parts)
{
    dr_http_complex_value_t  *cv1, *cv2, *cv3;

    cv1 = compile("$scheme://$host$request_uri", DR_OK);
    cv2 = compile("[$request_method $uri $args $is_args $query_string]",
                  DR_OK);
    cv3 = compile("${uri}x $request|$server_protocol", DR_OK);
    finish();

    dr_str_set(&req.headers_in.server, "example.com");
    dr_str_set(&req.unparsed_uri, "/a%20b?x=1");
    dr_str_set(&req.uri, "/a b");
    dr_str_set(&req.args, "x=1");
    dr_str_set(&req.method_name, "POST");
    dr_str_set(&req.request_line, "POST /a%20b?x=1 HTTP/1.1");
    dr_str_set(&req.http_protocol, "HTTP/1.1");

    assert_cv(cv1, "http://example.com/a%20b?x=1");
    assert_cv(cv2, "[POST /a b x=1 ? x=1]");
    assert_cv(cv3, "/a bx POST /a%20b?x=1 HTTP/1.1|HTTP/1.1");
}


Test(variables, host_falls_back_to_server_name)
{
    dr_http_complex_value_t  *cv;

    cv = compile("$host|$server_name", DR_OK);
    finish();

    assert_cv(cv, "srv.test|srv.test");
}


Test(variables, args)
{
    dr_http_complex_value_t  *cv;

    cv = compile("[$arg_foo][$arg_x][$arg_missing][$arg_A]", DR_OK);
    finish();

    /* names match without case, as nginx: "A" finds "a=1" first */
    dr_str_set(&req.args, "a=1&foo=bar&x=&xfoo=no&A=up");
    assert_cv(cv, "[bar][][][1]");

    /* $arg_ is not cacheable: a changed $args is seen */
    dr_str_set(&req.args, "foo=new");
    assert_cv(cv, "[new][][][]");
}


Test(variables, headers_and_cookies)
{
    dr_http_complex_value_t  *cv;

    cv = compile("$http_user_agent|$http_x_custom_thing|$http_x_forwarded_for"
                 "|$cookie_sid|$cookie_none|$http_cookie|$http_nope", DR_OK);
    finish();

    header_in("User-Agent", "curl/8", &req.headers_in.user_agent);
    header_in("X-Custom-Thing", "one", NULL);
    header_in("x-custom-thing", "two", NULL);
    header_in("X-Forwarded-For", "10.0.0.1", &req.headers_in.x_forwarded_for);
    header_in("X-Forwarded-For", "10.0.0.2", &req.headers_in.x_forwarded_for);
    header_in("Cookie", "a=1; sid=xyz", &req.headers_in.cookie);
    header_in("Cookie", "b=2", &req.headers_in.cookie);

    assert_cv(cv, "curl/8|one, two|10.0.0.1, 10.0.0.2|xyz||a=1; sid=xyz; b=2|");
}


Test(variables, sent_headers_and_status)
{
    dr_table_elt_t           *h;
    dr_http_complex_value_t  *cv;

    cv = compile("$status|$sent_http_content_type|$sent_http_x_out"
                 "|$sent_http_content_length", DR_OK);
    finish();

    req.headers_out.status = 404;
    dr_str_set(&req.headers_out.content_type, "text/html");
    req.headers_out.content_length_n = 153;

    h = dr_list_push(&req.headers_out.headers);
    h->hash = 1;
    dr_str_set(&h->key, "X-Out");
    dr_str_set(&h->value, "v");
    h->next = NULL;

    assert_cv(cv, "404|text/html|v|153");
}


Test(variables, connection_and_addresses)
{
    dr_http_complex_value_t  *cv;

    dr_str_t                  out;
    dr_http_complex_value_t  *bin;

    cv = compile("$remote_addr:$remote_port $server_addr:$server_port "
                 "$connection/$connection_requests", DR_OK);
    bin = compile("$binary_remote_addr", DR_OK);
    finish();

    assert_cv(cv, "127.0.0.1:54321 127.0.0.2:8080 77/3");

    cr_assert_eq(dr_http_complex_value(&req, bin, &out), DR_OK);
    cr_assert_eq(out.len, 4);
    cr_assert_eq(memcmp(out.data, "\x7f\x00\x00\x01", 4), 0);
}


Test(variables, times_and_ids)
{
    dr_str_t                  out;
    dr_http_complex_value_t  *cv, *id;

    cv = compile("$msec $time_local $time_iso8601 $request_time", DR_OK);
    id = compile("$request_id", DR_OK);
    finish();

    req.start_sec = dr_time();
    req.start_msec = dr_timeofday()->msec;

    cr_assert_eq(dr_http_complex_value(&req, cv, &out), DR_OK);
    cr_assert(out.len > 40);
    cr_assert(memchr(out.data, '.', out.len) != NULL);
    cr_assert(dr_strnstr(out.data, "0.000", out.len) != NULL,
              "%.*s", (int) out.len, out.data);

    cr_assert_eq(dr_http_complex_value(&req, id, &out), DR_OK);
    cr_assert_eq(out.len, 32);

    for (size_t i = 0; i < 32; i++) {
        cr_assert(isxdigit(out.data[i]));
    }
}


Test(variables, captures)
{
    dr_str_t                   s;
    dr_http_regex_t           *re;
    dr_regex_compile_t         rc;
    dr_http_complex_value_t   *cv;
    u_char                     errstr[256];

    dr_memzero(&rc, sizeof(rc));
    dr_str_set(&rc.pattern, "^/(\\w+)/(\\d+)(/x)?$");
    rc.err.data = errstr;
    rc.err.len = sizeof(errstr);

    re = dr_http_regex_compile(&cf, &rc);
    cr_assert_not_null(re);

    cv = compile("$2-$1-[$3]-${1}s", DR_OK);
    finish();

    cmcf->ncaptures = (cmcf->ncaptures + 1) * 3;

    dr_str_set(&s, "/user/42");
    cr_assert_eq(dr_http_regex_exec(&req, re, &s), DR_OK);

    assert_cv(cv, "42-user-[]-users");

    dr_str_set(&s, "/nomatch");
    cr_assert_eq(dr_http_regex_exec(&req, re, &s), DR_DECLINED);
}


Test(variables, unknown_variable_is_a_config_error)
{
    compile("$no_such_variable", DR_OK);
    cr_assert_eq(dr_http_variables_init_vars(&cf), DR_ERROR);
    cr_assert(strstr((char *) logbuf, "unknown \"no_such_variable\" variable"),
              "%s", logbuf);
}


Test(variables, invalid_variable_names)
{
    compile("abc$", DR_ERROR);
    compile("${host", DR_ERROR);
}


Test(variables, declared_variable_by_name)
{
    dr_str_t                   name;
    dr_http_variable_value_t  *v;

    finish();

    dr_str_set(&req.headers_in.server, "by.name");
    dr_str_set(&name, "host");

    v = dr_http_get_variable(&req, &name, dr_hash_key(name.data, name.len));
    cr_assert_not_null(v);
    cr_assert_eq(v->len, 7);

    dr_str_set(&name, "http_accept");
    header_in("Accept", "*/*", NULL);

    v = dr_http_get_variable(&req, &name, dr_hash_key(name.data, name.len));
    cr_assert_not_null(v);
    cr_assert(!v->not_found);
    cr_assert_eq(memcmp(v->data, "*/*", 3), 0);
}


/* URI to path */

static char *
directive(const char *name, const char *arg, dr_http_core_loc_conf_t *lc)
{
    dr_str_t       args[2];
    dr_array_t     a;
    dr_command_t  *c;

    args[0].data = (u_char *) name;
    args[0].len = strlen(name);
    args[1].len = strlen(arg);
    args[1].data = dr_pnalloc(pool, args[1].len + 1);
    memcpy(args[1].data, arg, args[1].len + 1);

    a.elts = args;
    a.nelts = 2;
    cf.args = &a;

    for (c = dr_http_core_module.commands; c->name.len; c++) {
        if (c->name.len == args[0].len
            && memcmp(c->name.data, name, args[0].len) == 0)
        {
            return c->set(&cf, c, lc);
        }
    }

    cr_assert_fail("no directive %s", name);
    return NULL;
}


static void
assert_path(const char *uri, const char *expect)
{
    size_t     root;
    u_char    *last;
    dr_str_t   path;

    dr_str_set(&req.uri, "");
    req.uri.data = (u_char *) uri;
    req.uri.len = strlen(uri);
    req.valid_location = 1;

    last = dr_http_map_uri_to_path(&req, &path, &root, 0);
    cr_assert_not_null(last);

    cr_assert_str_eq((char *) path.data, expect);
    cr_assert_eq((size_t) (last - path.data), strlen(expect));
}


Test(variables, root_maps_whole_uri)
{
    cr_assert_eq(directive("root", "/var/www/", clcf), DR_CONF_OK);
    finish();

    assert_path("/a/b.html", "/var/www/a/b.html");
    assert_path("/", "/var/www/");
}


Test(variables, relative_root_uses_prefix)
{
    cr_assert_eq(directive("root", "html", clcf), DR_CONF_OK);
    finish();

    assert_path("/i.html", "/usr/local/drover/html/i.html");
}


Test(variables, alias_replaces_location_prefix)
{
    dr_str_set(&clcf->name, "/img/");
    cr_assert_eq(directive("alias", "/data/pics/", clcf), DR_CONF_OK);
    finish();

    assert_path("/img/x.png", "/data/pics/x.png");
    assert_path("/img/", "/data/pics/");
}


Test(variables, alias_with_regex_captures)
{
    dr_str_t                 s;
    dr_regex_compile_t       rc;
    u_char                   errstr[256];

    dr_memzero(&rc, sizeof(rc));
    dr_str_set(&rc.pattern, "^/u/(.+)$");
    rc.err.data = errstr;
    rc.err.len = sizeof(errstr);

    clcf->regex = dr_http_regex_compile(&cf, &rc);
    cr_assert_not_null(clcf->regex);
    clcf->name = rc.pattern;

    cr_assert_eq(directive("alias", "/data/users/$1", clcf), DR_CONF_OK);
    cr_assert_eq(clcf->alias, DR_MAX_SIZE_T_VALUE);
    finish();

    cmcf->ncaptures = (cmcf->ncaptures + 1) * 3;

    dr_str_set(&s, "/u/bob/file.txt");
    cr_assert_eq(dr_http_regex_exec(&req, clcf->regex, &s), DR_OK);

    assert_path("/u/bob/file.txt", "/data/users/bob/file.txt");
}


Test(variables, root_with_variables)
{
    cr_assert_eq(directive("root", "/srv/$host", clcf), DR_CONF_OK);
    finish();

    dr_str_set(&req.headers_in.server, "a.test");
    assert_path("/x", "/srv/a.test/x");
}


Test(variables, alias_after_rewrite_is_refused)
{
    size_t    root;
    dr_str_t  path;

    dr_str_set(&clcf->name, "/img/");
    cr_assert_eq(directive("alias", "/data/", clcf), DR_CONF_OK);
    finish();

    dr_str_set(&req.uri, "/img/a");
    req.valid_location = 0;

    cr_assert_null(dr_http_map_uri_to_path(&req, &path, &root, 0));
}


Test(variables, root_and_alias_conflict)
{
    cr_assert_eq(directive("root", "/a", clcf), DR_CONF_OK);
    cr_assert_eq(directive("alias", "/b", clcf), DR_CONF_ERROR);
    cr_assert_str_eq(directive("root", "/c", clcf), "is duplicate");
}


Test(variables, document_root_and_request_filename)
{
    dr_http_complex_value_t  *cv;

    cr_assert_eq(directive("root", "/var/www", clcf), DR_CONF_OK);
    cv = compile("$document_root|$request_filename", DR_OK);
    finish();

    dr_str_set(&req.uri, "/f.txt");
    req.valid_location = 1;

    assert_cv(cv, "/var/www|/var/www/f.txt");
}
