/*
 * Unit tests of modules/http_log/dr_http_log_module.c and its format
 * compiler, dr_http_log_format.c: the compiler (literal text kept in the
 * op up to 8 bytes, $name and ${name}, the values the log reads itself,
 * the escape= modes, "combined" compiled only when used, errors), the
 * three escapings over every byte, lines rendered for a request built by
 * hand, and the LOG phase handler's buffer (whole lines, flush when full,
 * a line longer than the buffer, the flush hook, if=, gzip members). The
 * configuration is parsed by the real http{} machinery through the event
 * fixture.
 */

#include "event/event_fixture.h"
#include "dr_http.h"

#include "../../../../modules/http_log/dr_http_log_module.c"
#include "../../../../modules/http_log/dr_http_log_format.c"

#include <criterion/criterion.h>


static char        test_dir[64];
static dr_pool_t  *test_pool;


/* a fresh cycle for evfx_parse(): the fixture's plus what http{} uses */
static void
test_cycle(void)
{
    evfx_init((dr_uint_t) -1);

    dr_str_set(&evfx.cycle.prefix, "/");
    dr_str_set(&evfx.cycle.conf_prefix, "/");

    cr_assert_eq(dr_list_init(&evfx.cycle.open_files, evfx.cycle.pool, 4,
                              sizeof(dr_open_file_t)), DR_OK);
    cr_assert_eq(dr_list_init(&evfx.cycle.shared_memory, evfx.cycle.pool, 1,
                              sizeof(dr_shm_zone_t)), DR_OK);
}


static void
setup(void)
{
    snprintf(test_dir, sizeof(test_dir), "/tmp/dr-logfmt-XXXXXX");
    cr_assert_not_null(mkdtemp(test_dir));

    test_cycle();

    test_pool = dr_create_pool(4096, &evfx.log);
    cr_assert_not_null(test_pool);
}


static void
teardown(void)
{
    char  cmd[128];

    dr_destroy_pool(test_pool);

    snprintf(cmd, sizeof(cmd), "rm -rf %s", test_dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(http_log_format, .init = setup, .fini = teardown);


/* parses "events {} http { <http> server { listen ...; <srv> } }" */
static char *
test_parse(const char *http, const char *srv)
{
    char  text[4096];

    snprintf(text, sizeof(text),
             "events { }\nhttp {\n%s\nserver {\nlisten 127.0.0.1:1;\n%s\n}\n"
             "}\n", http, srv);

    return evfx_parse(text);
}


static dr_http_conf_ctx_t *
test_http_ctx(void)
{
    return evfx.cycle.conf_ctx[dr_http_module.index];
}


static dr_http_log_main_conf_t *
test_lmcf(void)
{
    return test_http_ctx()->main_conf[dr_http_log_module.ctx_index];
}


static dr_http_log_format_t *
test_format(const char *name)
{
    dr_uint_t                 i;
    dr_http_log_format_t     *fmt;
    dr_http_log_main_conf_t  *lmcf;

    lmcf = test_lmcf();
    fmt = lmcf->formats.elts;

    for (i = 0; i < lmcf->formats.nelts; i++) {
        if (fmt[i].name.len == strlen(name)
            && dr_strncmp(fmt[i].name.data, name, fmt[i].name.len) == 0)
        {
            return &fmt[i];
        }
    }

    cr_assert_fail("no log_format %s", name);
    return NULL;
}


/* a request of the first server, as the core would have it at the end */
static dr_http_request_t *
test_request(void)
{
    dr_connection_t            *c;
    dr_http_request_t          *r;
    dr_http_core_srv_conf_t   **cscfp;
    dr_http_core_main_conf_t   *cmcf;

    cmcf = test_http_ctx()->main_conf[dr_http_core_module.ctx_index];
    cscfp = cmcf->servers.elts;

    c = dr_pcalloc(test_pool, sizeof(dr_connection_t));
    r = dr_pcalloc(test_pool, sizeof(dr_http_request_t));
    cr_assert(c && r);

    c->log = &evfx.log;
    c->pool = test_pool;

    r->connection = c;
    r->pool = test_pool;
    r->main = r;
    r->main_conf = cscfp[0]->ctx->main_conf;
    r->srv_conf = cscfp[0]->ctx->srv_conf;
    r->loc_conf = cscfp[0]->ctx->loc_conf;
    r->http_version = DR_HTTP_VERSION_11;
    r->headers_out.status = 200;

    r->ctx = dr_pcalloc(test_pool, sizeof(void *) * dr_http_max_module);
    r->variables = dr_pcalloc(test_pool, cmcf->variables.nelts
                                         * sizeof(dr_http_variable_value_t));
    cr_assert(r->ctx && r->variables);

    cr_assert_eq(dr_list_init(&r->headers_in.headers, test_pool, 4,
                              sizeof(dr_table_elt_t)), DR_OK);
    cr_assert_eq(dr_list_init(&r->headers_out.headers, test_pool, 4,
                              sizeof(dr_table_elt_t)), DR_OK);

    return r;
}


static dr_table_elt_t *
test_header(dr_http_request_t *r, const char *name, const char *value,
    size_t len)
{
    dr_table_elt_t  *h;

    h = dr_list_push(&r->headers_in.headers);
    cr_assert_not_null(h);

    h->hash = 1;
    h->key.data = (u_char *) name;
    h->key.len = strlen(name);
    h->value.data = (u_char *) value;
    h->value.len = len;
    h->lowcase_key = NULL;
    h->next = NULL;

    return h;
}


/* the line <fmt> makes for <r>, as the handler builds it (without LF) */
static char *
test_line(const char *name, dr_http_request_t *r)
{
    char                  *line;
    u_char                *p;
    size_t                 len;
    dr_http_log_format_t  *fmt;

    fmt = test_format(name);
    len = dr_http_log_format_len(r, fmt);

    line = dr_pnalloc(test_pool, len + 1);
    cr_assert_not_null(line);

    p = dr_http_log_format_run(r, fmt, (u_char *) line);

    cr_assert_leq((size_t) (p - (u_char *) line), len, "within the bound");
    *p = '\0';

    return line;
}


/* compiler */

Test(http_log_format, compiles_text_variables_and_own_values)
{
    dr_http_log_format_op_t  *op;
    dr_http_log_format_t     *fmt;

    cr_assert_eq(test_parse("log_format f 'ab${status}cdefghijkl$msec'"
                            " '$uri' 'x';", ""), DR_CONF_OK);

    fmt = test_format("f");
    op = fmt->ops->elts;
    cr_assert_eq(fmt->ops->nelts, 6);

    cr_assert_eq(op[0].run, dr_http_log_format_copy_short);
    cr_assert_eq(op[0].len, 2);
    cr_assert_eq(op[0].data, 'a' | ('b' << 8));

    cr_assert_eq(op[1].run, dr_http_log_format_status);
    cr_assert_eq(op[1].getlen, NULL);

    cr_assert_eq(op[2].run, dr_http_log_format_copy_long);
    cr_assert_eq(op[2].len, 10);
    cr_assert_eq(dr_memcmp((u_char *) op[2].data, "cdefghijkl", 10), 0);

    cr_assert_eq(op[3].run, dr_http_log_format_msec);

    cr_assert_eq(op[4].run, dr_http_log_format_variable);
    cr_assert_eq(op[4].len, 0);

    /* the strings are joined without a separator */
    cr_assert_eq(op[5].run, dr_http_log_format_copy_short);
    cr_assert_eq(op[5].len, 1);

    cr_assert_eq(fmt->flushes->nelts, 1, "the one variable");
}


Test(http_log_format, escape_modes_pick_their_ops)
{
    cr_assert_eq(test_parse("log_format d escape=default $uri;\n"
                            "log_format j escape=json $uri;\n"
                            "log_format n escape=none $uri;\n"
                            "log_format e escape=json;", ""), DR_CONF_OK);

    cr_assert_eq(((dr_http_log_format_op_t *) test_format("d")->ops->elts)->run,
                 dr_http_log_format_variable);
    cr_assert_eq(((dr_http_log_format_op_t *) test_format("j")->ops->elts)->run,
                 dr_http_log_format_json);
    cr_assert_eq(((dr_http_log_format_op_t *) test_format("n")->ops->elts)->run,
                 dr_http_log_format_unescaped);
    cr_assert_eq(test_format("e")->ops->nelts, 0);
}


Test(http_log_format, combined_is_compiled_only_when_used)
{
    cr_assert_eq(test_parse("log_format f $uri; access_log /dev/null f;",
                            ""), DR_CONF_OK);
    cr_assert_eq(test_format("combined")->ops->nelts, 0);
    cr_assert_eq(test_lmcf()->combined_used, 0);
}


Test(http_log_format, combined_renders_as_nginx)
{
    char                *line;
    dr_http_request_t   *r;

    cr_assert_eq(test_parse("access_log /dev/null;", ""), DR_CONF_OK);
    cr_assert_gt(test_format("combined")->ops->nelts, 10);

    r = test_request();
    r->headers_in.user_agent = test_header(r, "User-Agent", "curl/8", 6);

    line = test_line("combined", r);

    /* no client address, request line nor body: the variables say "-" */
    cr_assert(strstr(line, "- - [") != NULL, "%s", line);
    cr_assert(strstr(line, "] \"") != NULL, "%s", line);
    cr_assert(strstr(line, "\" 200 ") != NULL, "%s", line);
    cr_assert(strstr(line, " \"-\" \"curl/8\"") != NULL, "%s", line);
}


Test(http_log_format, errors)
{
    static const char  *bad[][2] = {
        { "log_format a escape=xml x;", "unknown log format escaping \"xml\"" },
        { "log_format a 'x $';", "invalid parameter \"$\"" },
        { "log_format a '${}';", "invalid parameter \"${}\"" },
        { "log_format a '${uri';",
          "the closing bracket in \"uri\" variable is missing" },
        { "log_format a x; log_format a y;",
          "duplicate \"log_format\" name \"a\"" },
        { "access_log /dev/null nosuch;", "unknown log format \"nosuch\"" },
        { "access_log /dev/null combined buffer=0;",
          "invalid buffer size \"0\"" },
        { "access_log /dev/null combined gzip=0;",
          "invalid compression level \"0\"" },
        { "access_log /dev/null combined flush=1s;",
          "no buffer is defined for access_log \"/dev/null\"" },
        { "access_log /tmp/$uri combined buffer=1k;",
          "buffered logs cannot have variables in name" },
        { "access_log syslog:server=x;", "logging to syslog is not supported" },
        { "access_log_rotate interval=1d keep=x;",
          "invalid number of files to keep \"keep=x\"" },
    };
    dr_uint_t  i;

    for (i = 0; i < dr_nelems(bad); i++) {
        test_cycle();

        cr_assert_eq(test_parse(bad[i][0], ""), DR_CONF_ERROR, "%s",
                     bad[i][0]);
        cr_assert(evfx_log_has(bad[i][1]), "%s: wanted %s, got %s",
                  bad[i][0], bad[i][1], evfx.logbuf);
    }
}


/* rendering */

Test(http_log_format, escapings_and_unset_variables)
{
    static const char   value[] = "say \"hi\" \\o/\t\x01" "caf\xc3\xa9\x7f";
    dr_http_request_t  *r;

    cr_assert_eq(test_parse(
        "log_format d '[$http_x_test][$http_x_none]';\n"
        "log_format j escape=json '[$http_x_test][$http_x_none]';\n"
        "log_format n escape=none '[$http_x_test][$http_x_none]';", ""),
        DR_CONF_OK);

    r = test_request();
    test_header(r, "X-Test", value, sizeof(value) - 1);

    cr_assert_str_eq(test_line("d", r),
                     "[say \\x22hi\\x22 \\x5Co/\\x09\\x01caf\\xC3\\xA9\\x7F]"
                     "[-]");
    cr_assert_str_eq(test_line("j", r),
                     "[say \\\"hi\\\" \\\\o/\\t\\u0001caf\xc3\xa9\x7f][]");
    cr_assert_str_eq(test_line("n", r),
                     "[say \"hi\" \\o/\t\x01" "caf\xc3\xa9\x7f][]");
}


Test(http_log_format, own_values)
{
    char               *line;
    dr_http_request_t  *r;

    cr_assert_eq(test_parse("log_format s '$status|$pipe';\n"
                            "log_format t '$time_local|$time_iso8601|$msec';",
                            ""), DR_CONF_OK);

    r = test_request();
    cr_assert_str_eq(test_line("s", r), "200|.");

    r->err_status = 413;
    r->pipeline = 1;
    cr_assert_str_eq(test_line("s", r), "413|p");

    r->err_status = 0;
    r->headers_out.status = 0;
    cr_assert_str_eq(test_line("s", r), "000|p");

    r->http_version = DR_HTTP_VERSION_9;
    cr_assert_str_eq(test_line("s", r), "009|p");

    dr_time_update();
    line = test_line("t", r);
    cr_assert_eq(strlen(line), 26 + 1 + 25 + 1 + 10 + 4, "%s", line);
    cr_assert_eq(dr_memcmp(line, dr_cached_http_log_time.data, 26), 0);
    cr_assert_eq(dr_memcmp(line + 27, dr_cached_http_log_iso8601.data, 25),
                 0);
}


Test(http_log_format, default_escape_every_byte)
{
    u_char     in[1], out[4], *p;
    dr_uint_t  c;

    for (c = 0; c < 256; c++) {
        in[0] = (u_char) c;
        p = dr_http_log_format_escape(out, in, 1);

        if (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') {
            cr_assert_eq(dr_http_log_format_escape_len(in, 1), 1);
            cr_assert_eq(p - out, 4);
            cr_assert_eq(out[0], '\\');
            cr_assert_eq(out[1], 'x');
            cr_assert_eq(out[2], "0123456789ABCDEF"[c >> 4]);
            cr_assert_eq(out[3], "0123456789ABCDEF"[c & 0xf]);

        } else {
            cr_assert_eq(dr_http_log_format_escape_len(in, 1), 0);
            cr_assert_eq(p - out, 1);
            cr_assert_eq(out[0], c);
        }
    }
}


Test(http_log_format, json_escape_every_byte)
{
    u_char      in[1], out[6], *p;
    char        want[8];
    dr_uint_t   c;

    for (c = 0; c < 256; c++) {
        in[0] = (u_char) c;
        p = dr_http_log_format_json_escape(out, in, 1);

        switch (c) {
        case '"':  strcpy(want, "\\\""); break;
        case '\\': strcpy(want, "\\\\"); break;
        case '\n': strcpy(want, "\\n"); break;
        case '\r': strcpy(want, "\\r"); break;
        case '\t': strcpy(want, "\\t"); break;
        case '\b': strcpy(want, "\\b"); break;
        case '\f': strcpy(want, "\\f"); break;
        default:
            if (c < 0x20) {
                snprintf(want, sizeof(want), "\\u%04x", (unsigned) c);
            } else {
                want[0] = (char) c;
                want[1] = '\0';
            }
        }

        cr_assert_eq((size_t) (p - out), strlen(want), "%u", (unsigned) c);
        cr_assert_eq(dr_memcmp(out, want, p - out), 0, "%u", (unsigned) c);
        cr_assert_eq(dr_http_log_format_json_escape_len(in, 1),
                     (size_t) (p - out) - 1);
    }
}


/* the handler */

static char *
test_read(const char *path)
{
    int      fd;
    char    *buf;
    ssize_t  n;

    buf = dr_pnalloc(test_pool, 65536);
    cr_assert_not_null(buf);

    fd = open(path, O_RDONLY);
    if (fd == -1) {
        buf[0] = '\0';
        return buf;
    }

    n = read(fd, buf, 65535);
    cr_assert_geq(n, 0);
    buf[n] = '\0';
    close(fd);

    return buf;
}


/* opens the cycle's files as the master does */
static void
test_open_files(void)
{
    dr_uint_t        i;
    dr_list_part_t  *part;
    dr_open_file_t  *file;

    part = &evfx.cycle.open_files.part;
    file = part->elts;

    for (i = 0; i < part->nelts; i++) {
        file[i].fd = open((char *) file[i].name.data,
                          O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0644);
        cr_assert_neq(file[i].fd, -1, "%s", file[i].name.data);
    }
}


Test(http_log_format, handler_buffers_whole_lines)
{
    char                     conf[512], path[128], *text;
    dr_uint_t                i;
    dr_http_request_t       *r;
    dr_http_log_t           *log;
    dr_http_log_buf_t       *buffer;
    dr_http_log_loc_conf_t  *lcf;

    snprintf(path, sizeof(path), "%s/a.log", test_dir);
    snprintf(conf, sizeof(conf),
             "log_format f '$arg_n-line';"
             "access_log %s f buffer=64;", path);

    cr_assert_eq(test_parse(conf, ""), DR_CONF_OK);
    test_open_files();

    r = test_request();
    lcf = dr_http_get_module_loc_conf(r, dr_http_log_module);
    log = lcf->logs->elts;
    buffer = log[0].file->data;
    cr_assert_eq(buffer->last - buffer->start, 64);
    cr_assert_eq(log[0].file->flush, dr_http_log_flush);

    /* 9 bytes a line: seven fit, the eighth writes them out */
    for (i = 0; i < 8; i++) {
        r = test_request();
        r->args.data = (u_char *) dr_pnalloc(test_pool, 8);
        r->args.len = snprintf((char *) r->args.data, 8, "n=%03u",
                               (unsigned) i);
        cr_assert_eq(dr_http_log_handler(r), DR_OK);

        if (i < 7) {
            cr_assert_str_eq(test_read(path), "");
        }
    }

    cr_assert_str_eq(test_read(path), "000-line\n001-line\n002-line\n"
                     "003-line\n004-line\n005-line\n006-line\n");
    cr_assert_eq(buffer->pos - buffer->start, 9);

    /* longer than the buffer: the buffer first, then the line alone */
    r = test_request();
    r->args.data = (u_char *) dr_pnalloc(test_pool, 200);
    r->args.len = 2 + 100;
    memcpy(r->args.data, "n=", 2);
    memset(r->args.data + 2, 'y', 100);
    cr_assert_eq(dr_http_log_handler(r), DR_OK);
    cr_assert_eq(buffer->pos, buffer->start);

    text = test_read(path);
    cr_assert_eq(strlen(text), 8 * 9 + 106);
    cr_assert_eq(strncmp(text + 63, "007-line\nyyyy", 13), 0);
    cr_assert_str_eq(text + strlen(text) - 6, "-line\n");

    /* the hook the core calls before a reopen and at exit */
    r = test_request();
    r->args.data = (u_char *) "n=end";
    r->args.len = 5;
    cr_assert_eq(dr_http_log_handler(r), DR_OK);
    log[0].file->flush(log[0].file, &evfx.log);
    cr_assert_eq(buffer->pos, buffer->start);
    text = test_read(path);
    cr_assert_str_eq(text + strlen(text) - 9, "end-line\n");
}


Test(http_log_format, handler_if_and_off)
{
    char                     conf[512], path[128];
    dr_http_request_t       *r;

    snprintf(path, sizeof(path), "%s/c.log", test_dir);
    snprintf(conf, sizeof(conf),
             "log_format f '$arg_log';"
             "access_log %s f if=$arg_log;", path);

    cr_assert_eq(test_parse(conf, ""), DR_CONF_OK);
    test_open_files();

    static const char  *args[] = { "log=1", "log=0", "log=", "x=1", "log=00" };

    for (dr_uint_t i = 0; i < dr_nelems(args); i++) {
        r = test_request();
        r->args.data = (u_char *) args[i];
        r->args.len = strlen(args[i]);
        cr_assert_eq(dr_http_log_handler(r), DR_OK);
    }

    cr_assert_str_eq(test_read(path), "1\n00\n");
}


Test(http_log_format, gzip_members_concatenate)
{
    int                  n;
    char                 conf[512], path[128], buf[4096];
    gzFile               gz;
    dr_uint_t            i;
    dr_http_request_t   *r;
    dr_http_log_t       *log;
    dr_http_log_loc_conf_t  *lcf;

    snprintf(path, sizeof(path), "%s/g.log.gz", test_dir);
    snprintf(conf, sizeof(conf),
             "log_format f '$arg_n';"
             "access_log %s f gzip=9 buffer=16;", path);

    cr_assert_eq(test_parse(conf, ""), DR_CONF_OK);
    test_open_files();

    for (i = 0; i < 10; i++) {
        r = test_request();
        r->args.data = (u_char *) dr_pnalloc(test_pool, 8);
        r->args.len = snprintf((char *) r->args.data, 8, "n=%u", (unsigned) i);
        cr_assert_eq(dr_http_log_handler(r), DR_OK);
    }

    lcf = dr_http_get_module_loc_conf(r, dr_http_log_module);
    log = lcf->logs->elts;
    log[0].file->flush(log[0].file, &evfx.log);

    gz = gzopen(path, "rb");
    cr_assert_not_null(gz);
    n = gzread(gz, buf, sizeof(buf) - 1);
    cr_assert_geq(n, 0);
    buf[n] = '\0';
    gzclose(gz);

    cr_assert_str_eq(buf, "0\n1\n2\n3\n4\n5\n6\n7\n8\n9\n");
}
