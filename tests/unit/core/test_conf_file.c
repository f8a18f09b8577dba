/*
 * The configuration language: tokenizer, dispatch, includes, -g, the
 * generic setters and every error message with its file:line.
 *
 * A private module set (one test module plus dr_conf_module for include)
 * is parsed into its conf struct; the log's writer captures the [emerg]
 * lines so that each test can assert the exact message.
 */

#include <criterion/criterion.h>
#include "dr_core.h"

typedef struct {
    dr_flag_t      flag;
    dr_int_t       num;
    dr_str_t       str;
    size_t         size;
    off_t          off;
    dr_msec_t      msec;
    time_t         sec;
    dr_array_t    *list;        /* every "word" directive's args joined */
    dr_uint_t      blocks;
    dr_uint_t      inner;
    dr_str_t       path;
    dr_uint_t      mode;
    dr_uint_t      mask;
    dr_bufs_t      bufs;
    dr_array_t    *strs;
    dr_array_t    *kvs;
} test_conf_t;

#define TEST_BLOCK_CONF  0x02000000

static char *test_words(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *test_block(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *test_inner(dr_conf_t *cf, dr_command_t *cmd, void *conf);

static dr_conf_enum_t  test_modes[] = {
    { dr_string("fast"), 1 },
    { dr_string("slow"), 2 },
    { dr_null_string, 0 }
};

static dr_conf_bitmask_t  test_masks[] = {
    { dr_string("a"), 0x1 },
    { dr_string("b"), 0x2 },
    { dr_null_string, 0 }
};

static dr_conf_num_bounds_t  test_bounds = {
    dr_conf_check_num_bounds, 1, 100
};

static dr_command_t  test_commands[] = {
    { dr_string("flag"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot, 0, offsetof(test_conf_t, flag), NULL },
    { dr_string("num"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot, 0, offsetof(test_conf_t, num), NULL },
    { dr_string("bounded"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot, 0, offsetof(test_conf_t, num), &test_bounds },
    { dr_string("str"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_slot, 0, offsetof(test_conf_t, str), NULL },
    { dr_string("size"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot, 0, offsetof(test_conf_t, size), NULL },
    { dr_string("off"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_off_slot, 0, offsetof(test_conf_t, off), NULL },
    { dr_string("msec"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot, 0, offsetof(test_conf_t, msec), NULL },
    { dr_string("sec"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_sec_slot, 0, offsetof(test_conf_t, sec), NULL },
    { dr_string("words"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_1MORE,
      test_words, 0, 0, NULL },
    { dr_string("two"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE2,
      test_words, 0, 0, NULL },
    { dr_string("path"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_path_slot, 0, offsetof(test_conf_t, path), NULL },
    { dr_string("mode"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot, 0, offsetof(test_conf_t, mode), test_modes },
    { dr_string("mask"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_1MORE,
      dr_conf_set_bitmask_slot, 0, offsetof(test_conf_t, mask), test_masks },
    { dr_string("bufs"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE2,
      dr_conf_set_bufs_slot, 0, offsetof(test_conf_t, bufs), NULL },
    { dr_string("strs"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_array_slot, 0, offsetof(test_conf_t, strs), NULL },
    { dr_string("kv"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE2,
      dr_conf_set_keyval_slot, 0, offsetof(test_conf_t, kvs), NULL },
    { dr_string("block"), DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_BLOCK
                          |DR_CONF_NOARGS|TEST_BLOCK_CONF,
      test_block, 0, 0, NULL },
    { dr_string("inner"), TEST_BLOCK_CONF|DR_DIRECT_CONF|DR_CONF_NOARGS,
      test_inner, 0, 0, NULL },
    dr_null_command
};

static dr_module_t  test_module = {
    .name = "test", .type = DR_CORE_MODULE, .commands = test_commands,
};

extern dr_module_t  dr_conf_module;

static dr_module_t  *test_modules[] = { &test_module, &dr_conf_module, NULL };

static char          logbuf[65536];
static size_t        loglen;
static dr_cycle_t    cycle;
static test_conf_t  *tcf;
static char          dir[] = "/tmp/drover-conf-test-XXXXXX";


static void
test_log_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    if (loglen + len < sizeof(logbuf) - 1) {
        memcpy(logbuf + loglen, buf, len);
        loglen += len;
        logbuf[loglen] = '\0';
    }
}


static char *
test_words(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    test_conf_t  *c = conf;
    dr_str_t     *value, *s;
    dr_uint_t     i;

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {
        s = dr_array_push(c->list);
        *s = value[i];
    }

    return DR_CONF_OK;
}


static char *
test_block(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char         *rv;
    dr_conf_t     save;
    test_conf_t  *c = conf;

    c->blocks++;
    save = *cf;
    cf->cmd_type = TEST_BLOCK_CONF;
    rv = dr_conf_parse(cf, NULL);
    *cf = save;

    return rv;
}


static char *
test_inner(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    test_conf_t  *c = conf;

    c->inner++;
    return DR_CONF_OK;
}


static void
setup(void)
{
    static dr_log_t  log;

    dr_time_init();

    memset(&log, 0, sizeof(log));
    log.log_level = DR_LOG_DEBUG;
    log.writer = test_log_writer;
    loglen = 0;
    logbuf[0] = '\0';

    memset(&cycle, 0, sizeof(cycle));
    cycle.log = &log;
    cycle.pool = dr_create_pool(16384, &log);
    cycle.modules = test_modules;
    test_module.index = 0;
    dr_conf_module.index = 1;
    cycle.conf_ctx = dr_pcalloc(cycle.pool, 2 * sizeof(void *));

    cr_assert_not_null(mkdtemp(dir));
    dr_str_set(&cycle.prefix, "/prefix/");
    cycle.conf_prefix.data = (u_char *) dir;
    cycle.conf_prefix.len = strlen(dir);
    dr_array_init(&cycle.config_dump, cycle.pool, 1, sizeof(dr_conf_dump_t));

    tcf = dr_pcalloc(cycle.pool, sizeof(test_conf_t));
    tcf->flag = DR_CONF_UNSET;
    tcf->num = DR_CONF_UNSET;
    tcf->size = DR_CONF_UNSET_SIZE;
    tcf->off = DR_CONF_UNSET;
    tcf->msec = DR_CONF_UNSET_MSEC;
    tcf->sec = DR_CONF_UNSET;
    tcf->mode = DR_CONF_UNSET_UINT;
    tcf->list = dr_array_create(cycle.pool, 4, sizeof(dr_str_t));
    tcf->strs = DR_CONF_UNSET_PTR;
    tcf->kvs = DR_CONF_UNSET_PTR;
    cycle.conf_ctx[0] = tcf;
}


static void
teardown(void)
{
    char  cmd[256];

    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    (void) system(cmd);
    strcpy(dir, "/tmp/drover-conf-test-XXXXXX");
    dr_destroy_pool(cycle.pool);
}


static void
write_file(const char *name, const char *text)
{
    char   path[512];
    FILE  *f;

    snprintf(path, sizeof(path), "%s/%s", dir, name);
    f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}


/* parses <text> as the file "main.conf"; returns DR_OK or DR_ERROR */
static dr_int_t
parse_param(const char *param, const char *text)
{
    char       path[512];
    char      *rv;
    dr_str_t   name;
    dr_conf_t  cf;

    memset(&cf, 0, sizeof(cf));
    cf.args = dr_array_create(cycle.pool, 10, sizeof(dr_str_t));
    cf.temp_pool = dr_create_pool(16384, cycle.log);
    cf.ctx = cycle.conf_ctx;
    cf.cycle = &cycle;
    cf.pool = cycle.pool;
    cf.log = cycle.log;
    cf.module_type = DR_CORE_MODULE;
    cf.cmd_type = DR_MAIN_CONF;

    if (param) {
        cycle.conf_param.data = (u_char *) param;
        cycle.conf_param.len = strlen(param);
        rv = dr_conf_param(&cf);
        if (rv != DR_CONF_OK) {
            dr_destroy_pool(cf.temp_pool);
            return DR_ERROR;
        }
    }

    rv = DR_CONF_OK;

    if (text) {
        write_file("main.conf", text);
        snprintf(path, sizeof(path), "%s/main.conf", dir);
        name.len = strlen(path);
        name.data = dr_pnalloc(cycle.pool, name.len + 1);
        memcpy(name.data, path, name.len + 1);
        rv = dr_conf_parse(&cf, &name);
    }

    dr_destroy_pool(cf.temp_pool);

    return rv == DR_CONF_OK ? DR_OK : DR_ERROR;
}

#define parse(text)  parse_param(NULL, text)

static void
assert_error(const char *text, const char *msg, unsigned line)
{
    char  expect[1024];

    cr_assert_eq(parse(text), DR_ERROR, "parse of <%s> should fail", text);
    snprintf(expect, sizeof(expect), "%s in %s/main.conf:%u", msg, dir, line);
    cr_assert(strstr(logbuf, expect) != NULL,
              "expected \"%s\" in log:\n%s", expect, logbuf);
    cr_assert(strstr(logbuf, "[emerg]") != NULL, "not emerg: %s", logbuf);
}


static const char *
word(dr_uint_t i)
{
    static char  buf[1024];
    dr_str_t    *w = tcf->list->elts;

    cr_assert_lt(i, tcf->list->nelts);
    memcpy(buf, w[i].data, w[i].len);
    buf[w[i].len] = '\0';
    return buf;
}


TestSuite(conf_file, .init = setup, .fini = teardown);

Test(conf_file, parses_simple_values)
{
    cr_assert_eq(parse("flag on;\nnum 42;\nstr hello;\nsize 10k;\n"
                       "off 2g;\nmsec 500ms;\nsec 1h;\n"), DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->flag, 1);
    cr_assert_eq(tcf->num, 42);
    cr_assert_eq(tcf->str.len, 5);
    cr_assert_eq(memcmp(tcf->str.data, "hello", 5), 0);
    cr_assert_eq(tcf->size, 10240);
    cr_assert_eq(tcf->off, (off_t) 2 * 1024 * 1024 * 1024);
    cr_assert_eq(tcf->msec, 500);
    cr_assert_eq(tcf->sec, 3600);
}

Test(conf_file, time_units)
{
    dr_str_t  s;

#define T(text, sec, v)                                                       \
    s.data = (u_char *) text; s.len = strlen(text);                           \
    cr_assert_eq(dr_parse_time(&s, sec), v, "%s", text)

    T("30", 1, 30);
    T("30", 0, 30000);
    T("30s", 0, 30000);
    T("1m", 0, 60000);
    T("1h 30m", 1, 5400);
    T("1d", 1, 86400);
    T("250ms", 0, 250);
    T("1s 500ms", 0, 1500);
    T("250ms", 1, DR_ERROR);
    T("", 0, DR_ERROR);
    T("s", 0, DR_ERROR);
    T("10x", 0, DR_ERROR);
    T("1m 1h", 0, DR_ERROR);
    T("-1", 0, DR_ERROR);
    T("99999999999999999999", 0, DR_ERROR);
#undef T
}

Test(conf_file, size_units)
{
    dr_str_t  s;

#define S(text, v)                                                            \
    s.data = (u_char *) text; s.len = strlen(text);                           \
    cr_assert_eq(dr_parse_size(&s), (ssize_t) v, "%s", text)

    S("0", 0);
    S("1", 1);
    S("1k", 1024);
    S("1K", 1024);
    S("8m", 8 * 1024 * 1024);
    S("1g", 1024 * 1024 * 1024);
    S("", DR_ERROR);
    S("k", DR_ERROR);
    S("1.5k", DR_ERROR);
    S("-1", DR_ERROR);
    S("1t", DR_ERROR);
    S("99999999999999999g", DR_ERROR);
#undef S
}

Test(conf_file, quotes_and_escapes)
{
    cr_assert_eq(parse("words \"a b\" 'c;d' e\\ f \"q\\\"q\" 'x\\'y' "
                       "\"t\\tn\\n\" \"\\d+\" \"\";\n"), DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->list->nelts, 8);
    cr_assert_str_eq(word(0), "a b");
    cr_assert_str_eq(word(1), "c;d");
    cr_assert_str_eq(word(2), "e\\ f");      /* kept, as nginx */
    cr_assert_str_eq(word(3), "q\"q");
    cr_assert_str_eq(word(4), "x'y");
    cr_assert_str_eq(word(5), "t\tn\n");
    cr_assert_str_eq(word(6), "\\d+");      /* kept for regexes */
    cr_assert_str_eq(word(7), "");
}

Test(conf_file, comments_and_whitespace)
{
    cr_assert_eq(parse("# a comment\n  words\ta # not a word\n\tb;\r\n"
                       "words c#d;\n"), DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->list->nelts, 3);
    cr_assert_str_eq(word(0), "a");
    cr_assert_str_eq(word(1), "b");
    cr_assert_str_eq(word(2), "c#d");       /* # inside a word is literal */
}

Test(conf_file, variables_with_braces_are_words)
{
    cr_assert_eq(parse("words $host ${host}x a${b}c;\n"), DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->list->nelts, 3);
    cr_assert_str_eq(word(0), "$host");
    cr_assert_str_eq(word(1), "${host}x");
    cr_assert_str_eq(word(2), "a${b}c");
}

Test(conf_file, nested_blocks)
{
    cr_assert_eq(parse("block {\n inner;\n inner;\n}\nblock{inner;}\n"),
                 DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->blocks, 2);
    cr_assert_eq(tcf->inner, 3);
}

Test(conf_file, enum_bitmask_bufs_arrays)
{
    cr_assert_eq(parse("mode slow;\nmask a b;\nbufs 4 8k;\nstrs x;\nstrs y;\n"
                       "kv k1 v1;\nkv k2 v2;\n"), DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->mode, 2);
    cr_assert_eq(tcf->mask, 3);
    cr_assert_eq(tcf->bufs.num, 4);
    cr_assert_eq(tcf->bufs.size, 8192);
    cr_assert_eq(tcf->strs->nelts, 2);
    cr_assert_eq(tcf->kvs->nelts, 2);
}

Test(conf_file, path_resolves_against_prefix)
{
    cr_assert_eq(parse("path logs/x.log;\n"), DR_OK, "%s", logbuf);
    cr_assert_str_eq((char *) tcf->path.data, "/prefix/logs/x.log");
}

Test(conf_file, include_relative_to_conf_dir)
{
    write_file("a.conf", "words from_a;\n");
    write_file("b.conf", "words from_b;\n");
    cr_assert_eq(parse("include a.conf;\nwords main;\ninclude b.conf;\n"),
                 DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->list->nelts, 3);
    cr_assert_str_eq(word(0), "from_a");
    cr_assert_str_eq(word(1), "main");
    cr_assert_str_eq(word(2), "from_b");
}

Test(conf_file, include_glob_sorted_and_empty_glob_ok)
{
    write_file("z1.inc", "words one;\n");
    write_file("z2.inc", "words two;\n");
    cr_assert_eq(parse("include z*.inc;\ninclude nothing*.inc;\n"), DR_OK,
                 "%s", logbuf);
    cr_assert_eq(tcf->list->nelts, 2);
    cr_assert_str_eq(word(0), "one");
    cr_assert_str_eq(word(1), "two");
}

Test(conf_file, include_missing_file_is_an_error)
{
    char  expect[512];

    snprintf(expect, sizeof(expect), "open() \"%s/missing.conf\" failed "
             "(2: No such file or directory)", dir);
    assert_error("\n\ninclude missing.conf;\n", expect, 3);
}

Test(conf_file, error_in_included_file_names_it)
{
    char  expect[512];

    write_file("bad.conf", "words ok;\n\nbogus;\n");
    cr_assert_eq(parse("include bad.conf;\n"), DR_ERROR);
    snprintf(expect, sizeof(expect),
             "unknown directive \"bogus\" in %s/bad.conf:3", dir);
    cr_assert(strstr(logbuf, expect) != NULL, "%s", logbuf);
}

Test(conf_file, include_loop_is_bounded)
{
    write_file("loop.conf", "include loop.conf;\n");
    cr_assert_eq(parse("include loop.conf;\n"), DR_ERROR);
    cr_assert(strstr(logbuf, "is nested too deeply") != NULL, "%s", logbuf);
}

Test(conf_file, unknown_directive)
{
    assert_error("flag on;\nfalg on;\n", "unknown directive \"falg\"", 2);
}

Test(conf_file, directive_not_allowed_here)
{
    assert_error("inner;\n", "\"inner\" directive is not allowed here", 1);
}

Test(conf_file, invalid_number_of_arguments)
{
    assert_error("num;\n", "invalid number of arguments in \"num\" directive",
                 1);
    teardown(); setup();
    assert_error("two a;\n",
                 "invalid number of arguments in \"two\" directive", 1);
    teardown(); setup();
    assert_error("flag on off;\n",
                 "invalid number of arguments in \"flag\" directive", 1);
    teardown(); setup();
    assert_error("words;\n",
                 "invalid number of arguments in \"words\" directive", 1);
}

Test(conf_file, invalid_values)
{
    assert_error("num abc;\n", "\"num\" directive invalid number", 1);
    teardown(); setup();
    assert_error("flag yes;\n", "invalid value \"yes\" in \"flag\" directive, "
                 "it must be \"on\" or \"off\"", 1);
    teardown(); setup();
    assert_error("\nsize 10q;\n", "\"size\" directive invalid value", 2);
    teardown(); setup();
    assert_error("msec 5 parsecs;\n",
                 "invalid number of arguments in \"msec\" directive", 1);
    teardown(); setup();
    assert_error("mode medium;\n",
                 "invalid value \"medium\" in \"mode\" directive", 1);
    teardown(); setup();
    assert_error("bounded 1000;\n", "value must be between 1 and 100", 1);
}

Test(conf_file, duplicate)
{
    assert_error("num 1;\nnum 2;\n", "\"num\" directive is duplicate", 2);
}

Test(conf_file, unexpected_close_brace)
{
    assert_error("flag on;\n}\n", "unexpected \"}\"", 2);
}

Test(conf_file, unexpected_end_of_file)
{
    assert_error("flag on", "unexpected end of file, expecting \";\" or \"}\"",
                 1);
    teardown(); setup();
    assert_error("block {\ninner;\n",
                 "unexpected end of file, expecting \"}\"", 3);
}

Test(conf_file, unterminated_quote_names_its_line)
{
    assert_error("words a;\nwords \"abc;\n\n", "unterminated quoted string",
                 2);
}

Test(conf_file, block_and_semicolon_mismatches)
{
    assert_error("flag on {\n}\n",
                 "directive \"flag\" is not terminated by \";\"", 1);
    teardown(); setup();
    assert_error("block;\n", "directive \"block\" has no opening \"{\"", 1);
    teardown(); setup();
    assert_error(";\n", "unexpected \";\"", 1);
    teardown(); setup();
    assert_error("words \"a\"b;\n", "unexpected \"b\"", 1);
}

Test(conf_file, param_is_parsed_first_and_duplicates_are_caught)
{
    cr_assert_eq(parse_param("num 7;", NULL), DR_OK, "%s", logbuf);
    cr_assert_eq(tcf->num, 7);

    cr_assert_eq(parse("num 8;\n"), DR_ERROR);
    cr_assert(strstr(logbuf, "\"num\" directive is duplicate") != NULL, "%s",
              logbuf);
}

Test(conf_file, param_errors_say_command_line)
{
    cr_assert_eq(parse_param("num 7", NULL), DR_ERROR);
    cr_assert(strstr(logbuf, "unexpected end of parameter, expecting \";\" "
                     "in command line") != NULL, "%s", logbuf);
    teardown(); setup();
    cr_assert_eq(parse_param("block { inner; }", NULL), DR_ERROR);
    cr_assert(strstr(logbuf, "block directives are not supported in -g "
                     "option in command line") != NULL, "%s", logbuf);
}

Test(conf_file, line_numbers_count_every_newline)
{
    assert_error("words a\nb\nc;\n# c\n\"\"\n;\nnope;\n",
                 "unknown directive \"\"", 6);
}
