/*
 * Virtual server selection (src/http/dr_http.c: dr_http_server_names()
 * builds the per-address names; src/http/dr_http_request.c:
 * dr_http_find_virtual_server() looks a Host up): nginx's order — exact
 * name, longest "*.x" / ".x", longest "x.*", then ~regexes in the order
 * of the configuration; "" for requests without a Host; the default
 * server otherwise; named regex captures become variables.
 */

#include <criterion/criterion.h>

#include "../../../src/http/dr_http.c"
#include "../../../src/http/dr_http_request.c"
#include "../../../src/http/dr_http_core_module.c"


static dr_pool_t                  *pool;
static dr_log_t                    tlog;
static dr_conf_t                   cf;
static dr_http_conf_ctx_t          ctx;
static dr_http_core_main_conf_t    cmcf;
static void                       *main_conf[2];
static dr_http_request_t           req;
static dr_connection_t             conn;
static dr_http_conf_addr_t         addr;
static dr_http_virtual_names_t     vn;
static dr_conf_file_t              conf_file;


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

    dr_http_core_module.ctx_index = 0;
    dr_http_max_module = 1;

    dr_memzero(&cmcf, sizeof(cmcf));
    cmcf.server_names_hash_max_size = 512;
    main_conf[0] = &cmcf;

    ctx.main_conf = (void **) main_conf;

    dr_memzero(&cf, sizeof(dr_conf_t));
    cf.pool = pool;
    cf.temp_pool = pool;
    cf.log = &tlog;
    cf.ctx = &ctx;

    dr_memzero(&conf_file, sizeof(conf_file));
    conf_file.file.name.data = (u_char *) "test.conf";
    conf_file.file.name.len = sizeof("test.conf") - 1;
    conf_file.file.fd = DR_INVALID_FILE;
    cf.conf_file = &conf_file;

    cr_assert_eq(dr_http_variables_add_core_vars(&cf), DR_OK);

    dr_memzero(&addr, sizeof(addr));
    dr_array_init(&addr.servers, pool, 4, sizeof(dr_http_core_srv_conf_t *));
    addr.opt.addr_text.data = (u_char *) "127.0.0.1:80";
    addr.opt.addr_text.len = sizeof("127.0.0.1:80") - 1;

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


TestSuite(server_name, .init = setup, .fini = teardown);


/* a server{} with "server_name <names...>" as the directive parses it */
static dr_http_core_srv_conf_t *
srv(const char *names)
{
    char                      *copy, *tok, *save;
    dr_str_t                   args[16];
    dr_uint_t                  n;
    dr_array_t                 a;
    dr_http_core_srv_conf_t   *cscf, **p;

    cscf = dr_pcalloc(pool, sizeof(dr_http_core_srv_conf_t));
    cr_assert_not_null(cscf);
    dr_array_init(&cscf->server_names, pool, 4,
                  sizeof(dr_http_server_name_t));

    copy = dr_pnalloc(pool, strlen(names) + 1);
    strcpy(copy, names);

    n = 0;
    args[n].data = (u_char *) "server_name";
    args[n++].len = sizeof("server_name") - 1;

    for (tok = strtok_r(copy, " ", &save); tok;
         tok = strtok_r(NULL, " ", &save))
    {
        if (strcmp(tok, "\"\"") == 0) {
            *tok = '\0';
        }

        args[n].data = (u_char *) tok;
        args[n++].len = strlen(tok);
    }

    a.elts = args;
    a.nelts = n;
    cf.args = &a;

    /* the real directive handler, from the core module's table */

    for (dr_command_t *c = dr_http_core_module.commands; c->name.len; c++) {
        if (dr_str_eq_lit(&c->name, "server_name")) {
            cr_assert_eq(c->set(&cf, c, cscf), DR_CONF_OK);
        }
    }

    p = dr_array_push(&addr.servers);
    *p = cscf;

    return cscf;
}


static void
freeze(dr_http_core_srv_conf_t *dflt)
{
    addr.default_server = dflt;

    cr_assert_eq(dr_http_server_names(&cf, &cmcf, &addr), DR_OK);
    cr_assert_eq(dr_http_variables_init_vars(&cf), DR_OK);

    if (cmcf.ncaptures) {
        cmcf.ncaptures = (cmcf.ncaptures + 1) * 3;
    }

    vn.names = addr.names;
    vn.nregex = addr.nregex;
    vn.regex = addr.regex;

    req.variables = dr_pcalloc(pool, (cmcf.variables.nelts + 1)
                                     * sizeof(dr_http_variable_value_t));
}


static dr_http_core_srv_conf_t *
lookup(const char *host)
{
    dr_int_t                  rc;
    dr_str_t                  h;
    dr_http_core_srv_conf_t  *cscf;

    h.data = (u_char *) host;
    h.len = strlen(host);

    req.captures = NULL;

    rc = dr_http_find_virtual_server(&req, &vn, &h, &cscf);

    if (rc == DR_DECLINED) {
        return addr.default_server;
    }

    cr_assert_eq(rc, DR_OK);

    return cscf;
}


Test(server_name, nginx_selection_order)
{
    dr_http_core_srv_conf_t  *dflt, *exact, *head, *head_a, *dot, *tail,
                             *re1, *re2;

    dflt = srv("default.test");
    exact = srv("www.example.com");
    head = srv("*.example.com");
    head_a = srv("*.a.example.com");
    dot = srv(".example.org");
    tail = srv("www.example.*");
    re1 = srv("~^www\\d+\\.example\\.net$");
    re2 = srv("~^www");
    freeze(dflt);

    cr_assert_eq(lookup("www.example.com"), exact);
    cr_assert_eq(lookup("mail.example.com"), head);
    cr_assert_eq(lookup("x.a.example.com"), head_a);
    cr_assert_eq(lookup("a.example.com"), head);
    /* "*.x" is only subdomains; ".x" is the domain too */
    cr_assert_eq(lookup("example.com"), dflt);
    cr_assert_eq(lookup("example.org"), dot);
    cr_assert_eq(lookup("deep.sub.example.org"), dot);
    /* a leading wildcard before a trailing one */
    cr_assert_eq(lookup("www.example.net"), tail);
    cr_assert_eq(lookup("www.example.co.uk"), tail);
    cr_assert_eq(lookup("mail.example.net"), dflt);
    cr_assert_eq(lookup("www.example.io"), tail);
    /* regexes last, in configuration order */
    cr_assert_eq(lookup("www1.example.net"), re1);
    cr_assert_eq(lookup("www7.example.com.br"), re2);
    cr_assert_eq(lookup("nothing.test"), dflt);
}


Test(server_name, regex_order_is_configuration_order)
{
    dr_http_core_srv_conf_t  *dflt, *first, *second;

    dflt = srv("a.test");
    first = srv("~^api\\.");
    second = srv("~^api\\.v2\\.");
    freeze(dflt);

    cr_assert_eq(lookup("api.v2.test"), first);
    (void) second;
}


Test(server_name, empty_name_matches_no_host)
{
    dr_http_core_srv_conf_t  *dflt, *empty, *underscore;

    dflt = srv("a.test");
    empty = srv("\"\"");
    underscore = srv("_");
    freeze(dflt);

    cr_assert_eq(lookup(""), empty);
    cr_assert_eq(lookup("_"), underscore);
    cr_assert_eq(lookup("b.test"), dflt);
}


Test(server_name, names_are_lowercased_at_config_time)
{
    dr_http_core_srv_conf_t  *dflt, *s;

    dflt = srv("a.test");
    s = srv("WWW.Mixed.TEST *.Upper.TEST");
    freeze(dflt);

    cr_assert_eq(lookup("www.mixed.test"), s);
    cr_assert_eq(lookup("x.upper.test"), s);
}


Test(server_name, regex_named_capture_becomes_variable)
{
    dr_str_t                   name;
    dr_http_core_srv_conf_t   *dflt, *s;
    dr_http_variable_value_t  *v;
    dr_int_t                   index;

    dflt = srv("a.test");
    s = srv("~^(?<user>[a-z]+)\\.users\\.test$");

    dr_str_set(&name, "user");
    index = dr_http_get_variable_index(&cf, &name);
    cr_assert(index >= 0);

    freeze(dflt);

    cr_assert_eq(lookup("alice.users.test"), s);
    cr_assert_eq(s->captures, 1);

    v = &req.variables[index];
    cr_assert(v->valid);
    cr_assert_eq(v->len, 5);
    cr_assert_eq(memcmp(v->data, "alice", 5), 0);
}


Test(server_name, first_name_of_server_is_server_name)
{
    dr_http_core_srv_conf_t  *s;
    char                     *rv;

    s = srv("first.test second.test");
    rv = dr_http_core_merge_srv_conf(&cf, s, s);
    (void) rv;
    cr_assert_eq(s->server_name.len, sizeof("first.test") - 1);
    cr_assert_eq(memcmp(s->server_name.data, "first.test", 10), 0);
}


Test(server_name, invalid_wildcards_are_refused)
{
    dr_http_core_srv_conf_t  *s;
    dr_str_t                  args[2];
    dr_array_t                a;
    dr_command_t             *c;

    s = dr_pcalloc(pool, sizeof(dr_http_core_srv_conf_t));
    dr_array_init(&s->server_names, pool, 4, sizeof(dr_http_server_name_t));

    for (c = dr_http_core_module.commands; c->name.len; c++) {
        if (dr_str_eq_lit(&c->name, "server_name")) {
            break;
        }
    }

    args[0].data = (u_char *) "server_name";
    args[0].len = 11;
    args[1].data = (u_char *) "*example.com";
    args[1].len = 12;
    a.elts = args;
    a.nelts = 2;
    cf.args = &a;

    cr_assert_eq(c->set(&cf, c, s), DR_CONF_ERROR);
}
