/*
 * The configuration language: tokenizer, parser, directive dispatch,
 * `include`, and the generic slot setters.
 *
 * Grammar (nginx's): a directive is words ended by ';' or followed by a
 * '{ ... }' block; '#' starts a comment where a word could start; words may
 * be quoted with " or ' (escapes \" \' \\ \t \r \n; any other backslash pair
 * is kept as written, so regexes survive); "${name}" does not open a block.
 * A file is read whole into memory (kept for -T when dumping); each word is
 * copied into cf->pool, so values live as long as the cycle.
 *
 * Errors are [emerg] lines ending in "in <file>:<line>" (or "in command
 * line" for -g); the parse stops at the first one and the caller discards
 * the cycle, so nothing half-parsed is ever used.
 */

#include "dr_core.h"

#define DR_CONF_BUFFER          4096
#define DR_CONF_MAX_FILE_SIZE   (64 * 1024 * 1024)
#define DR_CONF_MAX_INCLUDE     32

static dr_int_t dr_conf_add_dump(dr_conf_t *cf, dr_str_t *filename,
    dr_buf_t *b);
static dr_int_t dr_conf_read_file(dr_conf_t *cf, dr_conf_file_t *cfile,
    dr_str_t *filename);
static dr_int_t dr_conf_handler(dr_conf_t *cf, dr_int_t last);
static dr_int_t dr_conf_read_token(dr_conf_t *cf);
static dr_int_t dr_conf_push_word(dr_conf_t *cf, u_char *start, u_char *end,
    dr_uint_t quoted);
static void dr_conf_flush_files(dr_cycle_t *cycle);

static dr_uint_t  dr_conf_include_depth;

static dr_command_t  dr_conf_commands[] = {

    { dr_string("include"),
      DR_ANY_CONF|DR_CONF_TAKE1,
      dr_conf_include,
      0,
      0,
      NULL },

    dr_null_command
};

dr_module_t  dr_conf_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "conf",
    .type = DR_CONF_MODULE,
    .commands = dr_conf_commands,
    .exit_process = dr_conf_flush_files,
};

/* the argument count flag each number of words needs, words - 1 as index */
static dr_uint_t  argument_number[] = {
    DR_CONF_NOARGS,
    DR_CONF_TAKE1,
    DR_CONF_TAKE2,
    DR_CONF_TAKE3,
    DR_CONF_TAKE4,
    DR_CONF_TAKE5,
    DR_CONF_TAKE6,
    DR_CONF_TAKE7
};


char *
dr_conf_param(dr_conf_t *cf)
{
    char            *rv;
    dr_str_t        *param;
    dr_buf_t         b;
    dr_conf_file_t   conf_file;

    param = &cf->cycle->conf_param;

    if (param->len == 0) {
        return DR_CONF_OK;
    }

    dr_memzero(&conf_file, sizeof(dr_conf_file_t));
    dr_memzero(&b, sizeof(dr_buf_t));

    b.start = param->data;
    b.pos = param->data;
    b.last = param->data + param->len;
    b.end = b.last;
    b.temporary = 1;

    conf_file.file.fd = DR_INVALID_FILE;
    conf_file.file.name.data = NULL;
    conf_file.line = 0;

    cf->conf_file = &conf_file;
    cf->conf_file->buffer = &b;

    rv = dr_conf_parse(cf, NULL);

    cf->conf_file = NULL;

    return rv;
}


static dr_int_t
dr_conf_add_dump(dr_conf_t *cf, dr_str_t *filename, dr_buf_t *b)
{
    dr_uint_t        i;
    dr_conf_dump_t  *cd;

    cd = cf->cycle->config_dump.elts;

    for (i = 0; i < cf->cycle->config_dump.nelts; i++) {
        if (dr_str_eq(&cd[i].name, filename)) {
            return DR_OK;   /* included twice: dumped once */
        }
    }

    cd = dr_array_push(&cf->cycle->config_dump);
    if (cd == NULL) {
        return DR_ERROR;
    }

    cd->name.len = filename->len;
    cd->name.data = dr_pstrdup(cf->cycle->pool, filename);
    if (cd->name.data == NULL) {
        return DR_ERROR;
    }

    cd->buffer = b;

    return DR_OK;
}


static dr_int_t
dr_conf_read_file(dr_conf_t *cf, dr_conf_file_t *cfile, dr_str_t *filename)
{
    dr_fd_t       fd;
    ssize_t       n;
    size_t        size, got;
    struct stat   st;
    dr_buf_t     *b;
    dr_pool_t    *pool;

    fd = open((char *) filename->data, O_RDONLY|O_CLOEXEC);

    if (fd == DR_INVALID_FILE) {
        dr_conf_log_error(DR_LOG_EMERG, cf, dr_errno, "open() \"%s\" failed",
                          filename->data);
        return DR_ERROR;
    }

    if (fstat(fd, &st) == -1) {
        dr_log_error(DR_LOG_EMERG, cf->log, dr_errno,
                     "fstat() \"%s\" failed", filename->data);
        goto failed;
    }

    if (!S_ISREG(st.st_mode)) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0, "\"%s\" is not a regular file",
                          filename->data);
        goto failed;
    }

    if (st.st_size > DR_CONF_MAX_FILE_SIZE) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%s\" is too large (%O bytes)",
                          filename->data, (off_t) st.st_size);
        goto failed;
    }

    size = (size_t) st.st_size;

    /* the text outlives the parse only when -T will print it */
    pool = dr_dump_config ? cf->cycle->pool : cf->temp_pool;

    b = dr_calloc_buf(pool);
    if (b == NULL) {
        goto failed;
    }

    b->start = dr_pnalloc(pool, size + 1);
    if (b->start == NULL) {
        goto failed;
    }

    for (got = 0; got < size; got += n) {
        n = read(fd, b->start + got, size - got);

        if (n == -1) {
            if (errno == EINTR) {
                n = 0;
                continue;
            }
            dr_conf_log_error(DR_LOG_EMERG, cf, dr_errno,
                              "read() \"%s\" failed", filename->data);
            goto failed;
        }

        if (n == 0) {
            break;      /* the file shrank under us: parse what is there */
        }
    }

    b->pos = b->start;
    b->last = b->start + got;
    b->end = b->last;
    b->temporary = 1;

    cfile->file.fd = fd;
    cfile->file.name = *filename;
    cfile->file.log = cf->log;
    cfile->line = 1;
    cfile->buffer = b;

    if (dr_dump_config && dr_conf_add_dump(cf, filename, b) != DR_OK) {
        goto failed;
    }

    return DR_OK;

failed:

    (void) close(fd);
    return DR_ERROR;
}


char *
dr_conf_parse(dr_conf_t *cf, dr_str_t *filename)
{
    dr_int_t         rc;
    dr_conf_file_t  *prev, conf_file;
    enum {
        parse_file = 0,
        parse_block,
        parse_param
    } type;

    prev = NULL;

    if (filename) {

        /* errors opening the file belong to the line that included it */

        prev = cf->conf_file;

        if (dr_conf_read_file(cf, &conf_file, filename) != DR_OK) {
            return DR_CONF_ERROR;
        }

        cf->conf_file = &conf_file;

        type = parse_file;

    } else if (cf->conf_file->file.fd != DR_INVALID_FILE) {

        type = parse_block;

    } else {
        type = parse_param;
    }

    for ( ;; ) {
        rc = dr_conf_read_token(cf);

        /*
         * dr_conf_read_token() may return
         *
         *    DR_ERROR             there is an error
         *    DR_OK                the token terminated by ";" was found
         *    DR_CONF_BLOCK_START  the token terminated by "{" was found
         *    DR_CONF_BLOCK_DONE   the "}" was found
         *    DR_CONF_FILE_DONE    the configuration file is done
         */

        if (rc == DR_ERROR) {
            goto done;
        }

        if (rc == DR_CONF_BLOCK_DONE) {

            if (type != parse_block) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0, "unexpected \"}\"");
                goto failed;
            }

            goto done;
        }

        if (rc == DR_CONF_FILE_DONE) {

            if (type == parse_block) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "unexpected end of file, expecting \"}\"");
                goto failed;
            }

            goto done;
        }

        if (rc == DR_CONF_BLOCK_START) {

            if (type == parse_param) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "block directives are not supported "
                                  "in -g option");
                goto failed;
            }
        }

        /* rc == DR_OK || rc == DR_CONF_BLOCK_START */

        if (cf->handler) {
            char  *rv;

            /*
             * a block whose content is not directives, e.g. "types { ... }":
             * the block's handler takes each line's words itself
             */

            if (rc == DR_CONF_BLOCK_START) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0, "unexpected \"{\"");
                goto failed;
            }

            rv = (*cf->handler)(cf, NULL, cf->handler_conf);
            if (rv == DR_CONF_OK) {
                continue;
            }

            if (rv == DR_CONF_ERROR) {
                goto failed;
            }

            dr_conf_log_error(DR_LOG_EMERG, cf, 0, "%s", rv);

            goto failed;
        }

        rc = dr_conf_handler(cf, rc);

        if (rc == DR_ERROR) {
            goto failed;
        }
    }

failed:

    rc = DR_ERROR;

done:

    if (filename) {
        if (cf->conf_file->file.fd != DR_INVALID_FILE
            && close(cf->conf_file->file.fd) == -1)
        {
            dr_log_error(DR_LOG_ALERT, cf->log, dr_errno,
                         "close() %s failed", filename->data);
            rc = DR_ERROR;
        }

        cf->conf_file = prev;
    }

    if (rc == DR_ERROR) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_conf_handler(dr_conf_t *cf, dr_int_t last)
{
    char           *rv;
    void           *conf, **confp;
    dr_uint_t       i, found;
    dr_str_t       *name;
    dr_command_t   *cmd;

    name = cf->args->elts;

    found = 0;

    for (i = 0; cf->cycle->modules[i]; i++) {

        cmd = cf->cycle->modules[i]->commands;
        if (cmd == NULL) {
            continue;
        }

        for ( /* void */ ; cmd->name.len; cmd++) {

            if (!dr_str_eq(name, &cmd->name)) {
                continue;
            }

            found = 1;

            if (cf->cycle->modules[i]->type != DR_CONF_MODULE
                && cf->cycle->modules[i]->type != cf->module_type)
            {
                continue;
            }

            /* is the directive's location right ? */

            if (!(cmd->type & cf->cmd_type)) {
                continue;
            }

            if (!(cmd->type & DR_CONF_BLOCK) && last != DR_OK) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "directive \"%V\" is not terminated by \";\"",
                                  name);
                return DR_ERROR;
            }

            if ((cmd->type & DR_CONF_BLOCK) && last != DR_CONF_BLOCK_START) {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "directive \"%V\" has no opening \"{\"",
                                  name);
                return DR_ERROR;
            }

            /* is the directive's argument count right ? */

            if (!(cmd->type & DR_CONF_ANY)) {

                if (cmd->type & DR_CONF_FLAG) {

                    if (cf->args->nelts != 2) {
                        goto invalid;
                    }

                } else if (cmd->type & DR_CONF_1MORE) {

                    if (cf->args->nelts < 2) {
                        goto invalid;
                    }

                } else if (cmd->type & DR_CONF_2MORE) {

                    if (cf->args->nelts < 3) {
                        goto invalid;
                    }

                } else if (cf->args->nelts > DR_CONF_MAX_ARGS) {

                    goto invalid;

                } else if (!(cmd->type & argument_number[cf->args->nelts - 1]))
                {
                    goto invalid;
                }
            }

            /* set up the directive's configuration context */

            conf = NULL;

            if (cmd->type & DR_DIRECT_CONF) {
                conf = ((void **) cf->ctx)[cf->cycle->modules[i]->index];

            } else if (cmd->type & DR_MAIN_CONF) {
                conf = &(((void **) cf->ctx)[cf->cycle->modules[i]->index]);

            } else if (cf->ctx) {
                confp = *(void **) ((char *) cf->ctx + cmd->conf);

                if (confp) {
                    conf = confp[cf->cycle->modules[i]->ctx_index];
                }
            }

            rv = cmd->set(cf, cmd, conf);

            if (rv == DR_CONF_OK) {
                return DR_OK;
            }

            if (rv == DR_CONF_ERROR) {
                return DR_ERROR;
            }

            dr_conf_log_error(DR_LOG_EMERG, cf, 0, "\"%V\" directive %s",
                              name, rv);

            return DR_ERROR;
        }
    }

    if (found) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "\"%V\" directive is not allowed here", name);
        return DR_ERROR;
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0, "unknown directive \"%V\"", name);

    return DR_ERROR;

invalid:

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid number of arguments in \"%V\" directive",
                      name);

    return DR_ERROR;
}


/*
 * Reads the words of one directive into cf->args. The states: between words
 * (last_space), inside a bare word, inside a quoted word, in a comment;
 * need_space after a closing quote; a backslash quotes the next character.
 */
static dr_int_t
dr_conf_read_token(dr_conf_t *cf)
{
    u_char      *start, ch, *last;
    dr_uint_t    found, need_space, last_space, sharp_comment, variable;
    dr_uint_t    quoted, s_quoted, d_quoted, start_line, escaped;
    dr_buf_t    *b;

    found = 0;
    need_space = 0;
    last_space = 1;
    sharp_comment = 0;
    variable = 0;
    quoted = 0;
    s_quoted = 0;
    d_quoted = 0;
    escaped = 0;

    cf->args->nelts = 0;
    b = cf->conf_file->buffer;
    last = b->last;
    start = b->pos;
    start_line = cf->conf_file->line;

    for ( ;; ) {

        if (b->pos >= last) {

            if (s_quoted || d_quoted) {
                cf->conf_file->line = start_line;
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "unterminated quoted string");
                return DR_ERROR;
            }

            if (cf->args->nelts > 0 || !last_space) {

                if (cf->conf_file->file.fd == DR_INVALID_FILE) {
                    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                      "unexpected end of parameter, "
                                      "expecting \";\"");
                    return DR_ERROR;
                }

                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "unexpected end of file, "
                                  "expecting \";\" or \"}\"");
                return DR_ERROR;
            }

            return DR_CONF_FILE_DONE;
        }

        ch = *b->pos++;

        if (ch == LF) {
            cf->conf_file->line++;

            if (sharp_comment) {
                sharp_comment = 0;
            }
        }

        if (sharp_comment) {
            continue;
        }

        if (quoted) {
            quoted = 0;
            continue;
        }

        if (need_space) {
            if (ch == ' ' || ch == '\t' || ch == CR || ch == LF) {
                last_space = 1;
                need_space = 0;
                continue;
            }

            if (ch == ';') {
                return DR_OK;
            }

            if (ch == '{') {
                return DR_CONF_BLOCK_START;
            }

            if (ch == ')') {
                last_space = 1;
                need_space = 0;

            } else {
                dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                  "unexpected \"%c\"", ch);
                return DR_ERROR;
            }
        }

        if (last_space) {

            start = b->pos - 1;
            start_line = cf->conf_file->line;

            if (ch == ' ' || ch == '\t' || ch == CR || ch == LF) {
                continue;
            }

            switch (ch) {

            case ';':
            case '{':
                if (cf->args->nelts == 0) {
                    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                      "unexpected \"%c\"", ch);
                    return DR_ERROR;
                }

                if (ch == '{') {
                    return DR_CONF_BLOCK_START;
                }

                return DR_OK;

            case '}':
                if (cf->args->nelts != 0) {
                    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                                      "unexpected \"}\"");
                    return DR_ERROR;
                }

                return DR_CONF_BLOCK_DONE;

            case '#':
                sharp_comment = 1;
                continue;

            case '\\':
                quoted = 1;
                escaped = 1;
                last_space = 0;
                continue;

            case '"':
                start++;
                d_quoted = 1;
                last_space = 0;
                continue;

            case '\'':
                start++;
                s_quoted = 1;
                last_space = 0;
                continue;

            case '$':
                variable = 1;
                last_space = 0;
                continue;

            default:
                last_space = 0;
            }

        } else {
            if (ch == '{' && variable) {
                continue;
            }

            variable = 0;

            if (ch == '\\') {
                quoted = 1;
                escaped = 1;
                continue;
            }

            if (ch == '$') {
                variable = 1;
                continue;
            }

            if (d_quoted) {
                if (ch == '"') {
                    d_quoted = 0;
                    need_space = 1;
                    found = 1;
                }

            } else if (s_quoted) {
                if (ch == '\'') {
                    s_quoted = 0;
                    need_space = 1;
                    found = 1;
                }

            } else if (ch == ' ' || ch == '\t' || ch == CR || ch == LF
                       || ch == ';' || ch == '{')
            {
                last_space = 1;
                found = 1;
            }

            if (found) {
                if (dr_conf_push_word(cf, start, b->pos - 1, escaped)
                    != DR_OK)
                {
                    return DR_ERROR;
                }

                if (ch == ';') {
                    return DR_OK;
                }

                if (ch == '{') {
                    return DR_CONF_BLOCK_START;
                }

                found = 0;
                escaped = 0;
            }
        }
    }
}


/* copies one word into cf->pool, resolving the escapes */
static dr_int_t
dr_conf_push_word(dr_conf_t *cf, u_char *start, u_char *end,
    dr_uint_t escaped)
{
    u_char    *dst, *src;
    dr_str_t  *word;

    word = dr_array_push(cf->args);
    if (word == NULL) {
        return DR_ERROR;
    }

    word->data = dr_pnalloc(cf->pool, end - start + 1);
    if (word->data == NULL) {
        return DR_ERROR;
    }

    if (!escaped) {
        dst = dr_cpymem(word->data, start, end - start);
        *dst = '\0';
        word->len = end - start;
        return DR_OK;
    }

    for (dst = word->data, src = start; src < end; /* void */) {

        if (*src == '\\' && src + 1 < end) {
            switch (src[1]) {
            case '"':
            case '\'':
            case '\\':
                src++;
                break;

            case 't':
                *dst++ = '\t';
                src += 2;
                continue;

            case 'r':
                *dst++ = '\r';
                src += 2;
                continue;

            case 'n':
                *dst++ = '\n';
                src += 2;
                continue;

            default:
                *dst++ = *src++;    /* kept: "\d" in a regex */
                break;
            }
        }

        *dst++ = *src++;
    }

    *dst = '\0';
    word->len = dst - word->data;

    return DR_OK;
}


char *
dr_conf_include(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char        *rv;
    dr_int_t     n;
    dr_str_t    *value, file, name;
    glob_t       gl;
    size_t       i;
    int          grc;

    value = cf->args->elts;
    file = value[1];

    if (dr_conf_full_name(cf->cycle, &file, 1) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (dr_conf_include_depth >= DR_CONF_MAX_INCLUDE) {
        return "is nested too deeply (an include loop?)";
    }

    if (strpbrk((char *) file.data, "*?[") == NULL) {

        dr_conf_include_depth++;
        rv = dr_conf_parse(cf, &file);
        dr_conf_include_depth--;

        return rv;
    }

    dr_memzero(&gl, sizeof(glob_t));

    grc = glob((char *) file.data, 0, NULL, &gl);

    if (grc == GLOB_NOMATCH) {
        globfree(&gl);
        return DR_CONF_OK;      /* as nginx: a pattern may match nothing */
    }

    if (grc != 0) {
        globfree(&gl);
        dr_conf_log_error(DR_LOG_EMERG, cf, dr_errno,
                          "glob() \"%s\" failed", file.data);
        return DR_CONF_ERROR;
    }

    rv = DR_CONF_OK;

    for (i = 0; i < gl.gl_pathc; i++) {
        name.len = dr_strlen(gl.gl_pathv[i]);
        name.data = dr_pnalloc(cf->pool, name.len + 1);
        if (name.data == NULL) {
            rv = DR_CONF_ERROR;
            break;
        }
        dr_memcpy(name.data, gl.gl_pathv[i], name.len + 1);

        dr_conf_include_depth++;
        rv = dr_conf_parse(cf, &name);
        dr_conf_include_depth--;

        if (rv != DR_CONF_OK) {
            break;
        }
    }

    globfree(&gl);
    n = 0;
    (void) n;

    return rv;
}


dr_int_t
dr_conf_full_name(dr_cycle_t *cycle, dr_str_t *name, dr_uint_t conf_prefix)
{
    dr_str_t  *prefix;

    prefix = conf_prefix ? &cycle->conf_prefix : &cycle->prefix;

    return dr_get_full_name(cycle->pool, prefix, name);
}


dr_open_file_t *
dr_conf_open_file(dr_cycle_t *cycle, dr_str_t *name)
{
    dr_str_t          full;
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_open_file_t   *file;

    if (name->len) {
        full = *name;

        if (dr_conf_full_name(cycle, &full, 0) != DR_OK) {
            return NULL;
        }

        part = &cycle->open_files.part;
        file = part->elts;

        for (i = 0; /* void */ ; i++) {

            if (i >= part->nelts) {
                if (part->next == NULL) {
                    break;
                }
                part = part->next;
                file = part->elts;
                i = 0;
            }

            if (dr_str_eq(&full, &file[i].name)) {
                return &file[i];
            }
        }
    }

    file = dr_list_push(&cycle->open_files);
    if (file == NULL) {
        return NULL;
    }

    if (name->len) {
        file->fd = DR_INVALID_FILE;
        file->name = full;

    } else {
        file->fd = STDERR_FILENO;
        file->name = *name;
    }

    file->flush = NULL;
    file->data = NULL;

    return file;
}


static void
dr_conf_flush_files(dr_cycle_t *cycle)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_open_file_t   *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].flush) {
            file[i].flush(&file[i], cycle->log);
        }
    }
}


void
dr_conf_log_error(dr_uint_t level, dr_conf_t *cf, dr_err_t err,
    const char *fmt, ...)
{
    u_char   errstr[DR_MAX_CONF_ERRSTR], *p, *last;
    va_list  args;

    last = errstr + DR_MAX_CONF_ERRSTR;

    va_start(args, fmt);
    p = dr_vslprintf(errstr, last, fmt, args);
    va_end(args);

    if (err) {
        p = dr_log_errno(p, last, err);
    }

    if (cf->conf_file == NULL) {
        dr_log_error(level, cf->log, 0, "%*s", p - errstr, errstr);
        return;
    }

    if (cf->conf_file->file.fd == DR_INVALID_FILE) {
        dr_log_error(level, cf->log, 0, "%*s in command line",
                     p - errstr, errstr);
        return;
    }

    dr_log_error(level, cf->log, 0, "%*s in %s:%ui",
                 p - errstr, errstr,
                 cf->conf_file->file.name.data, cf->conf_file->line);
}


char *
dr_conf_set_flag_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t        *value;
    dr_flag_t       *fp;
    dr_conf_post_t  *post;

    fp = (dr_flag_t *) (p + cmd->offset);

    if (*fp != DR_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (dr_strcasecmp(value[1].data, (u_char *) "on") == 0) {
        *fp = 1;

    } else if (dr_strcasecmp(value[1].data, (u_char *) "off") == 0) {
        *fp = 0;

    } else {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "invalid value \"%s\" in \"%s\" directive, "
                          "it must be \"on\" or \"off\"",
                          value[1].data, cmd->name.data);
        return DR_CONF_ERROR;
    }

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, fp);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_str_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t        *field, *value;
    dr_conf_post_t  *post;

    field = (dr_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *field = value[1];

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, field);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_str_array_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t         *value, *s;
    dr_array_t      **a;
    dr_conf_post_t   *post;

    a = (dr_array_t **) (p + cmd->offset);

    if (*a == DR_CONF_UNSET_PTR || *a == NULL) {
        *a = dr_array_create(cf->pool, 4, sizeof(dr_str_t));
        if (*a == NULL) {
            return DR_CONF_ERROR;
        }
    }

    s = dr_array_push(*a);
    if (s == NULL) {
        return DR_CONF_ERROR;
    }

    value = cf->args->elts;

    *s = value[1];

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, s);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_keyval_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t         *value;
    dr_array_t      **a;
    dr_keyval_t      *kv;
    dr_conf_post_t   *post;

    a = (dr_array_t **) (p + cmd->offset);

    if (*a == DR_CONF_UNSET_PTR || *a == NULL) {
        *a = dr_array_create(cf->pool, 4, sizeof(dr_keyval_t));
        if (*a == NULL) {
            return DR_CONF_ERROR;
        }
    }

    kv = dr_array_push(*a);
    if (kv == NULL) {
        return DR_CONF_ERROR;
    }

    value = cf->args->elts;

    kv->key = value[1];
    kv->value = value[2];

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, kv);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_num_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_int_t        *np;
    dr_str_t        *value;
    dr_conf_post_t  *post;

    np = (dr_int_t *) (p + cmd->offset);

    if (*np != DR_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;
    *np = dr_atoi(value[1].data, value[1].len);
    if (*np == DR_ERROR) {
        return "invalid number";
    }

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, np);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_size_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    size_t          *sp;
    dr_str_t        *value;
    dr_conf_post_t  *post;

    sp = (size_t *) (p + cmd->offset);
    if (*sp != DR_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *sp = dr_parse_size(&value[1]);
    if (*sp == (size_t) DR_ERROR) {
        return "invalid value";
    }

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, sp);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_off_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    off_t           *op;
    dr_str_t        *value;
    dr_conf_post_t  *post;

    op = (off_t *) (p + cmd->offset);
    if (*op != DR_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *op = dr_parse_offset(&value[1]);
    if (*op == (off_t) DR_ERROR) {
        return "invalid value";
    }

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, op);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_msec_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_int_t         t;
    dr_msec_t       *msp;
    dr_str_t        *value;
    dr_conf_post_t  *post;

    msp = (dr_msec_t *) (p + cmd->offset);
    if (*msp != DR_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    t = dr_parse_time(&value[1], 0);
    if (t == DR_ERROR) {
        return "invalid value";
    }

    *msp = (dr_msec_t) t;

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, msp);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_sec_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    time_t          *sp;
    dr_int_t         t;
    dr_str_t        *value;
    dr_conf_post_t  *post;

    sp = (time_t *) (p + cmd->offset);
    if (*sp != DR_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    t = dr_parse_time(&value[1], 1);
    if (t == DR_ERROR) {
        return "invalid value";
    }

    *sp = (time_t) t;

    if (cmd->post) {
        post = cmd->post;
        return post->post_handler(cf, post, sp);
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_bufs_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char *p = conf;

    dr_str_t   *value;
    dr_bufs_t  *bufs;
    ssize_t     size;

    bufs = (dr_bufs_t *) (p + cmd->offset);
    if (bufs->num) {
        return "is duplicate";
    }

    if (cf->args->nelts != 3) {
        return "invalid number of arguments";
    }

    value = cf->args->elts;

    bufs->num = dr_atoi(value[1].data, value[1].len);
    if (bufs->num == DR_ERROR || bufs->num == 0) {
        bufs->num = 0;
        return "invalid value";
    }

    size = dr_parse_size(&value[2]);
    if (size == (ssize_t) DR_ERROR || size == 0) {
        bufs->num = 0;
        return "invalid value";
    }

    bufs->size = (size_t) size;

    return DR_CONF_OK;
}


char *
dr_conf_set_enum_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_uint_t       *np, i;
    dr_str_t        *value;
    dr_conf_enum_t  *e;

    np = (dr_uint_t *) (p + cmd->offset);

    if (*np != DR_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    e = cmd->post;

    for (i = 0; e[i].name.len != 0; i++) {
        if (e[i].name.len != value[1].len
            || dr_strcasecmp(e[i].name.data, value[1].data) != 0)
        {
            continue;
        }

        *np = e[i].value;

        return DR_CONF_OK;
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                      "invalid value \"%s\" in \"%s\" directive",
                      value[1].data, cmd->name.data);

    return DR_CONF_ERROR;
}


char *
dr_conf_set_bitmask_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_uint_t           *np, i, m;
    dr_str_t            *value;
    dr_conf_bitmask_t   *mask;

    np = (dr_uint_t *) (p + cmd->offset);
    value = cf->args->elts;
    mask = cmd->post;

    for (i = 1; i < cf->args->nelts; i++) {
        for (m = 0; mask[m].name.len != 0; m++) {

            if (mask[m].name.len != value[i].len
                || dr_strcasecmp(mask[m].name.data, value[i].data) != 0)
            {
                continue;
            }

            if (*np & mask[m].mask) {
                dr_conf_log_error(DR_LOG_WARN, cf, 0,
                                  "duplicate value \"%s\"", value[i].data);

            } else {
                *np |= mask[m].mask;
            }

            break;
        }

        if (mask[m].name.len == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid value \"%s\"", value[i].data);

            return DR_CONF_ERROR;
        }
    }

    return DR_CONF_OK;
}


char *
dr_conf_set_path_slot(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    dr_str_t  *field, *value;

    field = (dr_str_t *) (p + cmd->offset);

    if (field->data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *field = value[1];

    if (dr_conf_full_name(cf->cycle, field, 0) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


char *
dr_conf_check_num_bounds(dr_conf_t *cf, void *post, void *data)
{
    dr_conf_num_bounds_t  *bounds = post;
    dr_int_t              *np = data;

    if (bounds->high == -1) {
        if (*np >= bounds->low) {
            return DR_CONF_OK;
        }

        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "value must be equal to or greater than %i",
                          bounds->low);

        return DR_CONF_ERROR;
    }

    if (*np >= bounds->low && *np <= bounds->high) {
        return DR_CONF_OK;
    }

    dr_conf_log_error(DR_LOG_EMERG, cf, 0, "value must be between %i and %i",
                      bounds->low, bounds->high);

    return DR_CONF_ERROR;
}


ssize_t
dr_parse_size(dr_str_t *line)
{
    u_char    unit;
    size_t    len;
    ssize_t   size, scale, max;

    len = line->len;

    if (len == 0) {
        return DR_ERROR;
    }

    unit = line->data[len - 1];

    switch (unit) {
    case 'K':
    case 'k':
        len--;
        max = DR_MAX_INT_T_VALUE / 1024;
        scale = 1024;
        break;

    case 'M':
    case 'm':
        len--;
        max = DR_MAX_INT_T_VALUE / (1024 * 1024);
        scale = 1024 * 1024;
        break;

    case 'G':
    case 'g':
        len--;
        max = DR_MAX_INT_T_VALUE / (1024 * 1024 * 1024);
        scale = 1024 * 1024 * 1024;
        break;

    default:
        max = DR_MAX_INT_T_VALUE;
        scale = 1;
    }

    size = dr_atosz(line->data, len);
    if (size == DR_ERROR || size > max) {
        return DR_ERROR;
    }

    size *= scale;

    return size;
}


off_t
dr_parse_offset(dr_str_t *line)
{
    u_char  unit;
    off_t   offset, scale, max;
    size_t  len;

    len = line->len;

    if (len == 0) {
        return DR_ERROR;
    }

    unit = line->data[len - 1];

    switch (unit) {
    case 'K':
    case 'k':
        len--;
        max = DR_MAX_OFF_T_VALUE / 1024;
        scale = 1024;
        break;

    case 'M':
    case 'm':
        len--;
        max = DR_MAX_OFF_T_VALUE / (1024 * 1024);
        scale = 1024 * 1024;
        break;

    case 'G':
    case 'g':
        len--;
        max = DR_MAX_OFF_T_VALUE / (1024 * 1024 * 1024);
        scale = 1024 * 1024 * 1024;
        break;

    default:
        max = DR_MAX_OFF_T_VALUE;
        scale = 1;
    }

    offset = dr_atoof(line->data, len);
    if (offset == DR_ERROR || offset > max) {
        return DR_ERROR;
    }

    offset *= scale;

    return offset;
}


/*
 * "500ms", "30s", "5m", "1h 30m", "2d"; units ms s m h d w M (30 days)
 * y (365 days), largest first; no unit means seconds (nginx). Returns
 * milliseconds, or seconds when <is_sec> (then "ms" is invalid).
 */
dr_int_t
dr_parse_time(dr_str_t *line, dr_uint_t is_sec)
{
    u_char      *p, *last;
    dr_int_t     value, total, scale, max, cutoff, cutlim;
    dr_uint_t    valid;
    enum {
        st_start = 0,
        st_year,
        st_month,
        st_week,
        st_day,
        st_hour,
        st_min,
        st_sec,
        st_msec,
        st_last
    } step;

    valid = 0;
    value = 0;
    total = 0;
    cutoff = DR_MAX_INT_T_VALUE / 10;
    cutlim = DR_MAX_INT_T_VALUE % 10;
    step = is_sec ? st_start : st_month;

    p = line->data;
    last = p + line->len;

    while (p < last) {

        if (*p >= '0' && *p <= '9') {
            if (value >= cutoff && (value > cutoff || *p - '0' > cutlim)) {
                return DR_ERROR;
            }

            value = value * 10 + (*p++ - '0');
            valid = 1;
            continue;
        }

        switch (*p++) {

        case 'y':
            if (step > st_start) {
                return DR_ERROR;
            }
            step = st_year;
            max = DR_MAX_INT_T_VALUE / (60 * 60 * 24 * 365);
            scale = 60 * 60 * 24 * 365;
            break;

        case 'M':
            if (step >= st_month) {
                return DR_ERROR;
            }
            step = st_month;
            max = DR_MAX_INT_T_VALUE / (60 * 60 * 24 * 30);
            scale = 60 * 60 * 24 * 30;
            break;

        case 'w':
            if (step >= st_week) {
                return DR_ERROR;
            }
            step = st_week;
            max = DR_MAX_INT_T_VALUE / (60 * 60 * 24 * 7);
            scale = 60 * 60 * 24 * 7;
            break;

        case 'd':
            if (step >= st_day) {
                return DR_ERROR;
            }
            step = st_day;
            max = DR_MAX_INT_T_VALUE / (60 * 60 * 24);
            scale = 60 * 60 * 24;
            break;

        case 'h':
            if (step >= st_hour) {
                return DR_ERROR;
            }
            step = st_hour;
            max = DR_MAX_INT_T_VALUE / (60 * 60);
            scale = 60 * 60;
            break;

        case 'm':
            if (p < last && *p == 's') {
                if (is_sec || step >= st_msec) {
                    return DR_ERROR;
                }
                p++;
                step = st_msec;
                max = DR_MAX_INT_T_VALUE;
                scale = 1;
                break;
            }

            if (step >= st_min) {
                return DR_ERROR;
            }
            step = st_min;
            max = DR_MAX_INT_T_VALUE / 60;
            scale = 60;
            break;

        case 's':
            if (step >= st_sec) {
                return DR_ERROR;
            }
            step = st_sec;
            max = DR_MAX_INT_T_VALUE;
            scale = 1;
            break;

        case ' ':
            if (step >= st_sec) {
                return DR_ERROR;
            }
            step = st_last;
            max = DR_MAX_INT_T_VALUE;
            scale = 1;
            break;

        default:
            return DR_ERROR;
        }

        if (!valid) {
            return DR_ERROR;
        }

        if (step != st_msec && !is_sec) {
            scale *= 1000;
            max /= 1000;
        }

        if (value > max) {
            return DR_ERROR;
        }

        value *= scale;

        if (total > DR_MAX_INT_T_VALUE - value) {
            return DR_ERROR;
        }

        total += value;
        value = 0;
        valid = 0;

        while (p < last && *p == ' ') {
            p++;
        }
    }

    if (valid) {
        /* a trailing number without a unit: seconds */
        if (!is_sec) {
            if (value > DR_MAX_INT_T_VALUE / 1000) {
                return DR_ERROR;
            }
            value *= 1000;
        }

        if (total > DR_MAX_INT_T_VALUE - value) {
            return DR_ERROR;
        }

        return total + value;
    }

    if (step == st_start || step == st_month) {
        /* nothing at all was parsed */
        if (total == 0 && line->len == 0) {
            return DR_ERROR;
        }
    }

    return total;
}
