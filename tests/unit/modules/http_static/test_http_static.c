/*
 * Unit tests of modules/http_static/dr_http_static_module.c and of the
 * validators static responses carry: the ETag nginx computes ("mtime-size"
 * in lowercase hex, W/ when weakened), the open_file_cache and
 * disable_symlinks directive handlers (values and nginx's error phrases),
 * their merge, and disable_symlinks from= (which prefixes of the path keep
 * symlinks allowed).
 */

#include <criterion/criterion.h>

#include "dr_http.h"

#include "../../../../modules/http_static/dr_http_static_module.c"


static dr_pool_t                   *pool;
static dr_log_t                     tlog;
static dr_conf_t                    cf;
static dr_cycle_t                   cycle;
static dr_conf_file_t               conf_file;
static dr_http_conf_ctx_t           ctx;
static dr_http_core_loc_conf_t     *clcf;
static dr_http_static_loc_conf_t   *slcf;
static void                        *loc_conf[2];
static dr_http_request_t            req;
static dr_connection_t              conn;
static u_char                       logbuf[4096];
static size_t                       loglen;


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
    logbuf[0] = '\0';
    dr_use_stderr = 0;
    dr_time_init();

    pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &tlog);
    cr_assert_not_null(pool);

    dr_memzero(&cycle, sizeof(cycle));
    cycle.pool = pool;
    dr_str_set(&cycle.prefix, "/usr/local/drover/");
    dr_str_set(&cycle.conf_prefix, "/usr/local/drover/conf/");
    dr_cycle = &cycle;

    dr_http_core_module.ctx_index = 0;
    dr_http_static_module.ctx_index = 1;
    dr_http_max_module = 2;

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
    cf.args = dr_array_create(pool, 4, sizeof(dr_str_t));
    cr_assert_not_null(cf.args);

    clcf = dr_pcalloc(pool, sizeof(dr_http_core_loc_conf_t));
    clcf->loc_conf = loc_conf;
    clcf->etag = 1;
    loc_conf[0] = clcf;

    slcf = dr_http_static_create_loc_conf(&cf);
    cr_assert_not_null(slcf);
    loc_conf[1] = slcf;

    ctx.loc_conf = loc_conf;

    dr_memzero(&conn, sizeof(conn));
    conn.log = &tlog;

    dr_memzero(&req, sizeof(req));
    req.pool = pool;
    req.connection = &conn;
    req.loc_conf = loc_conf;
    req.main = &req;
    cr_assert_eq(dr_list_init(&req.headers_out.headers, pool, 4,
                              sizeof(dr_table_elt_t)), DR_OK);
}


static void
teardown(void)
{
    dr_destroy_pool(pool);
}


/* runs a directive handler with <words> as its arguments */
static char *
directive(dr_command_t *cmd, void *conf, const char *words)
{
    char      *copy, *w, *save;
    dr_str_t  *arg;

    cf.args->nelts = 0;
    arg = dr_array_push(cf.args);
    *arg = cmd->name;

    copy = dr_pnalloc(pool, strlen(words) + 1);
    strcpy(copy, words);

    for (w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        arg = dr_array_push(cf.args);
        arg->data = (u_char *) w;
        arg->len = strlen(w);
    }

    return cmd->set(&cf, cmd, conf);
}


static dr_command_t *
command(const char *name)
{
    dr_command_t  *cmd;

    for (cmd = dr_http_static_commands; cmd->name.len; cmd++) {
        if (dr_strcmp(cmd->name.data, name) == 0) {
            return cmd;
        }
    }

    cr_assert_fail("no directive %s", name);
    return NULL;
}


TestSuite(http_static, .init = setup, .fini = teardown);


Test(http_static, etag_is_mtime_and_size_in_hex)
{
    req.headers_out.last_modified_time = 1700000000;
    req.headers_out.content_length_n = 13;

    cr_assert_eq(dr_http_set_etag(&req), DR_OK);
    cr_assert_not_null(req.headers_out.etag);
    cr_assert_eq(req.headers_out.etag->hash, 1);
    cr_assert(dr_str_eq_lit(&req.headers_out.etag->key, "ETag"));
    cr_assert(dr_str_eq_lit(&req.headers_out.etag->value, "\"6553f100-d\""));

    dr_http_weak_etag(&req);
    cr_assert(dr_str_eq_lit(&req.headers_out.etag->value,
                            "W/\"6553f100-d\""));

    /* already weak: unchanged */
    dr_http_weak_etag(&req);
    cr_assert(dr_str_eq_lit(&req.headers_out.etag->value,
                            "W/\"6553f100-d\""));
}


Test(http_static, etag_of_an_empty_file_and_a_big_one)
{
    req.headers_out.last_modified_time = 0;
    req.headers_out.content_length_n = 0;
    cr_assert_eq(dr_http_set_etag(&req), DR_OK);
    cr_assert(dr_str_eq_lit(&req.headers_out.etag->value, "\"0-0\""));

    req.headers_out.last_modified_time = 0x7fffffff;
    req.headers_out.content_length_n = 0x1234567890LL;
    cr_assert_eq(dr_http_set_etag(&req), DR_OK);
    cr_assert(dr_str_eq_lit(&req.headers_out.etag->value,
                            "\"7fffffff-1234567890\""));
}


Test(http_static, etag_off)
{
    clcf->etag = 0;
    req.headers_out.last_modified_time = 1;
    req.headers_out.content_length_n = 1;
    cr_assert_eq(dr_http_set_etag(&req), DR_OK);
    cr_assert_null(req.headers_out.etag);
}


Test(http_static, defaults_after_merge)
{
    dr_http_static_loc_conf_t  *parent;

    parent = dr_http_static_create_loc_conf(&cf);
    cr_assert_null(dr_http_static_merge_loc_conf(&cf, parent, slcf));

    cr_assert_null(slcf->open_file_cache);
    cr_assert_eq(slcf->open_file_cache_valid, 60);
    cr_assert_eq(slcf->open_file_cache_min_uses, 1);
    cr_assert_eq(slcf->open_file_cache_errors, 0);
    cr_assert_eq(slcf->disable_symlinks, DR_DISABLE_SYMLINKS_OFF);
    cr_assert_null(slcf->disable_symlinks_from);
}


Test(http_static, open_file_cache_directive)
{
    dr_http_static_loc_conf_t  *child;

    cr_assert_null(directive(command("open_file_cache"), slcf,
                             "max=100 inactive=20s"));
    cr_assert_not_null(slcf->open_file_cache);
    cr_assert_eq(slcf->open_file_cache->max, 100);
    cr_assert_eq(slcf->open_file_cache->inactive, 20);

    cr_assert_str_eq(directive(command("open_file_cache"), slcf, "max=5"),
                     "is duplicate");

    /* inherited: one cache for the whole http{} */
    child = dr_http_static_create_loc_conf(&cf);
    cr_assert_null(dr_http_static_merge_loc_conf(&cf, slcf, child));
    cr_assert_eq(child->open_file_cache, slcf->open_file_cache);
}


Test(http_static, open_file_cache_default_inactive_and_off)
{
    cr_assert_null(directive(command("open_file_cache"), slcf, "max=1"));
    cr_assert_eq(slcf->open_file_cache->inactive, 60);

    slcf = dr_http_static_create_loc_conf(&cf);
    cr_assert_null(directive(command("open_file_cache"), slcf, "off"));
    cr_assert_null(slcf->open_file_cache);
}


Test(http_static, open_file_cache_errors_in_arguments)
{
    static const char  *bad[][2] = {
        { "max=0", "invalid \"open_file_cache\" parameter \"max=0\"" },
        { "max=-1", "invalid \"open_file_cache\" parameter \"max=-1\"" },
        { "max=", "invalid \"open_file_cache\" parameter \"max=\"" },
        { "max=10 x=1", "invalid \"open_file_cache\" parameter \"x=1\"" },
        { "max=10 inactive=1q",
          "invalid \"open_file_cache\" parameter \"inactive=1q\"" },
        { "inactive=10s",
          "\"open_file_cache\" must have the \"max\" parameter" },
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(bad); i++) {
        slcf = dr_http_static_create_loc_conf(&cf);
        loglen = 0;
        logbuf[0] = '\0';
        cr_assert_eq(directive(command("open_file_cache"), slcf, bad[i][0]),
                     DR_CONF_ERROR, "%s", bad[i][0]);
        cr_assert_not_null(strstr((char *) logbuf, bad[i][1]),
                           "%s: %s", bad[i][0], logbuf);
    }
}


Test(http_static, disable_symlinks_directive)
{
    cr_assert_null(directive(command("disable_symlinks"), slcf, "on"));
    cr_assert_eq(slcf->disable_symlinks, DR_DISABLE_SYMLINKS_ON);
    cr_assert_null(slcf->disable_symlinks_from);

    slcf = dr_http_static_create_loc_conf(&cf);
    cr_assert_null(directive(command("disable_symlinks"), slcf,
                             "if_not_owner from=/srv/www"));
    cr_assert_eq(slcf->disable_symlinks, DR_DISABLE_SYMLINKS_NOTOWNER);
    cr_assert_not_null(slcf->disable_symlinks_from);
    cr_assert(dr_str_eq_lit(&slcf->disable_symlinks_from->value,
                            "/srv/www"));

    cr_assert_str_eq(directive(command("disable_symlinks"), slcf, "off"),
                     "is duplicate");
}


Test(http_static, disable_symlinks_errors)
{
    static const char  *bad[][2] = {
        { "sometimes", "invalid parameter \"sometimes\"" },
        { "from=/x", "must have \"off\", \"on\" or \"if_not_owner\"" },
        { "off from=/x", "\"from=\" cannot be used with \"off\" parameter" },
        { "on off", "duplicate parameters \"on off\"" },
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(bad); i++) {
        slcf = dr_http_static_create_loc_conf(&cf);
        loglen = 0;
        logbuf[0] = '\0';
        cr_assert_eq(directive(command("disable_symlinks"), slcf, bad[i][0]),
                     DR_CONF_ERROR, "%s", bad[i][0]);
        cr_assert_not_null(strstr((char *) logbuf, bad[i][1]),
                           "%s: %s", bad[i][0], logbuf);
    }
}


/* of.disable_symlinks_from for <path> with from=<from> */
static size_t
from_len(const char *from, const char *path, dr_uint_t *mode)
{
    char                 words[256];
    dr_str_t             p;
    dr_open_file_info_t  of;

    slcf = dr_http_static_create_loc_conf(&cf);
    loc_conf[1] = slcf;
    snprintf(words, sizeof(words), "on from=%s", from);
    cr_assert_null(directive(command("disable_symlinks"), slcf, words));

    p.len = strlen(path);
    p.data = dr_pnalloc(pool, p.len + 1);
    memcpy(p.data, path, p.len + 1);

    dr_memzero(&of, sizeof(of));
    cr_assert_eq(dr_http_static_set_disable_symlinks(&req, slcf, &p, &of),
                 DR_OK);
    *mode = of.disable_symlinks;

    return of.disable_symlinks_from;
}


Test(http_static, disable_symlinks_from_prefixes)
{
    dr_uint_t  mode;

    cr_assert_eq(from_len("/srv/www", "/srv/www/a/b.html", &mode), 8);
    cr_assert_eq(mode, DR_DISABLE_SYMLINKS_ON);
    cr_assert_eq(from_len("/srv/www/", "/srv/www/a/b.html", &mode), 8);
    cr_assert_eq(from_len("/srv/w", "/srv/www/a/b.html", &mode), 0,
                 "not a directory of the path");
    cr_assert_eq(from_len("/other", "/srv/www/a/b.html", &mode), 0);
    cr_assert_eq(from_len("/srv/www/a/b.html/x", "/srv/www/a/b.html", &mode),
                 0);

    cr_assert_eq(from_len("/srv/www", "/srv/www", &mode), 0);
    cr_assert_eq(mode, DR_DISABLE_SYMLINKS_OFF, "the path itself: allowed");
}
