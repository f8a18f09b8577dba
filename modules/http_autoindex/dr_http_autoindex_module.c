/*
 * The autoindex module (nginx's ngx_http_autoindex_module): for a URI
 * ending in '/' that no index file answered, lists the directory as HTML
 * (nginx's page, byte for byte) or JSON (`autoindex_format json`), with
 * `autoindex_exact_size` and `autoindex_localtime` for the HTML listing.
 *
 * Entries whose name starts with '.' are hidden; directories come first,
 * then names in byte order. The listing is built in r->pool: the entries
 * are read and stat()ed (fstatat on the directory's descriptor; a dangling
 * symlink is listed as itself), the exact length of the output is
 * computed, and one buffer is filled. A directory that cannot be opened is
 * a 404 (ENOENT, ENOTDIR), a 403 (EACCES) or a 500, as in nginx. Unlike
 * nginx, the listing is complete before the header goes, so it has a
 * Content-Length (nginx sends it chunked).
 */

#include "dr_http_static_module.h"


typedef struct {
    dr_str_t          name;            /* NUL-terminated */
    size_t            utf_len;
    size_t            escape;
    size_t            escape_html;
    time_t            mtime;
    off_t             size;

    unsigned          dir:1;
    unsigned          file:1;
} dr_http_autoindex_entry_t;


typedef struct {
    dr_flag_t         enable;
    dr_uint_t         format;
    dr_flag_t         localtime;
    dr_flag_t         exact_size;
} dr_http_autoindex_loc_conf_t;


#define DR_HTTP_AUTOINDEX_HTML         0
#define DR_HTTP_AUTOINDEX_JSON         1

#define DR_HTTP_AUTOINDEX_PREALLOCATE  50
#define DR_HTTP_AUTOINDEX_NAME_LEN     50


static dr_int_t dr_http_autoindex_handler(dr_http_request_t *r);
static dr_int_t dr_http_autoindex_read(dr_http_request_t *r, DIR *dir,
    dr_str_t *path, dr_array_t *entries);
static dr_buf_t *dr_http_autoindex_html(dr_http_request_t *r,
    dr_array_t *entries);
static u_char *dr_http_autoindex_html_size(u_char *p,
    dr_http_autoindex_entry_t *entry, dr_flag_t exact);
static dr_buf_t *dr_http_autoindex_json(dr_http_request_t *r,
    dr_array_t *entries);
static int dr_http_autoindex_cmp_entries(const void *one, const void *two);

static uintptr_t dr_http_autoindex_escape_html(u_char *dst, u_char *src,
    size_t size);
static uintptr_t dr_http_autoindex_escape_json(u_char *dst, u_char *src,
    size_t size);
static size_t dr_http_autoindex_utf8_length(u_char *p, size_t n);
static u_char *dr_http_autoindex_utf8_cpystrn(u_char *dst, u_char *src,
    size_t n, size_t len);

static void *dr_http_autoindex_create_loc_conf(dr_conf_t *cf);
static char *dr_http_autoindex_merge_loc_conf(dr_conf_t *cf, void *parent,
    void *child);
static dr_int_t dr_http_autoindex_init(dr_conf_t *cf);


static dr_conf_enum_t  dr_http_autoindex_format[] = {
    { dr_string("html"), DR_HTTP_AUTOINDEX_HTML },
    { dr_string("json"), DR_HTTP_AUTOINDEX_JSON },
    { dr_null_string, 0 }
};


static dr_command_t  dr_http_autoindex_commands[] = {

    { dr_string("autoindex"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_autoindex_loc_conf_t, enable),
      NULL },

    { dr_string("autoindex_format"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_TAKE1,
      dr_conf_set_enum_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_autoindex_loc_conf_t, format),
      &dr_http_autoindex_format },

    { dr_string("autoindex_localtime"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_autoindex_loc_conf_t, localtime),
      NULL },

    { dr_string("autoindex_exact_size"),
      DR_HTTP_MAIN_CONF|DR_HTTP_SRV_CONF|DR_HTTP_LOC_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      DR_HTTP_LOC_CONF_OFFSET,
      offsetof(dr_http_autoindex_loc_conf_t, exact_size),
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_http_autoindex_module_ctx = {
    .postconfiguration = dr_http_autoindex_init,
    .create_loc_conf = dr_http_autoindex_create_loc_conf,
    .merge_loc_conf = dr_http_autoindex_merge_loc_conf,
};


dr_module_t  dr_http_autoindex_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "http_autoindex",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_http_autoindex_module_ctx,
    .commands = dr_http_autoindex_commands,
};


static dr_int_t
dr_http_autoindex_handler(dr_http_request_t *r)
{
    u_char                         *last;
    size_t                          root;
    DIR                            *dir;
    dr_err_t                        err;
    dr_buf_t                       *b;
    dr_int_t                        rc;
    dr_str_t                        path;
    dr_uint_t                       level;
    dr_chain_t                      out;
    dr_array_t                      entries;
    dr_http_autoindex_loc_conf_t   *alcf;

    if (r->uri.data[r->uri.len - 1] != '/') {
        return DR_DECLINED;
    }

    if (!(r->method & (DR_HTTP_GET|DR_HTTP_HEAD))) {
        return DR_DECLINED;
    }

    alcf = dr_http_get_module_loc_conf(r, dr_http_autoindex_module);

    if (!alcf->enable) {
        return DR_DECLINED;
    }

    last = dr_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* without the final slash, unless the path is "/" */

    path.len = last - path.data;
    if (path.len > 1) {
        path.len--;
    }
    path.data[path.len] = '\0';

    dir = opendir((char *) path.data);

    if (dir == NULL) {
        err = dr_errno;

        if (err == DR_ENOENT || err == DR_ENOTDIR || err == ENAMETOOLONG) {
            level = DR_LOG_ERR;
            rc = DR_HTTP_NOT_FOUND;

        } else if (err == DR_EACCES) {
            level = DR_LOG_ERR;
            rc = DR_HTTP_FORBIDDEN;

        } else {
            level = DR_LOG_CRIT;
            rc = DR_HTTP_INTERNAL_SERVER_ERROR;
        }

        dr_log_error(level, r->connection->log, err,
                     "opendir() \"%s\" failed", path.data);

        return rc;
    }

    rc = dr_http_autoindex_read(r, dir, &path, &entries);

    if (closedir(dir) == -1) {
        dr_log_error(DR_LOG_ALERT, r->connection->log, dr_errno,
                     "closedir() \"%V\" failed", &path);
    }

    if (rc != DR_OK) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (entries.nelts > 1) {
        qsort(entries.elts, (size_t) entries.nelts,
              sizeof(dr_http_autoindex_entry_t),
              dr_http_autoindex_cmp_entries);
    }

    rc = dr_http_discard_request_body(r);
    if (rc != DR_OK) {
        return rc;
    }

    r->headers_out.status = DR_HTTP_OK;

    if (alcf->format == DR_HTTP_AUTOINDEX_JSON) {
        dr_str_set(&r->headers_out.content_type, "application/json");

    } else {
        dr_str_set(&r->headers_out.content_type, "text/html");
    }

    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;

    /* built before the header goes, so that a failure is still a 500 */

    if (alcf->format == DR_HTTP_AUTOINDEX_JSON) {
        b = dr_http_autoindex_json(r, &entries);

    } else {
        b = dr_http_autoindex_html(r, &entries);
    }

    if (b == NULL) {
        return DR_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->headers_out.content_length_n = b->last - b->pos;

    rc = dr_http_send_header(r);

    if (rc == DR_ERROR || rc > DR_OK || r->header_only) {
        return rc;
    }

    b->last_buf = 1;
    b->last_in_chain = 1;

    out.buf = b;
    out.next = NULL;

    return dr_http_output_filter(r, &out);
}


/* reads <dir> into <entries> (in r->pool); DR_OK or DR_ERROR (logged) */
static dr_int_t
dr_http_autoindex_read(dr_http_request_t *r, DIR *dir, dr_str_t *path,
    dr_array_t *entries)
{
    int                          dfd;
    size_t                       len;
    dr_err_t                     err;
    struct stat                  st;
    struct dirent               *de;
    dr_http_autoindex_entry_t   *entry;

    if (dr_array_init(entries, r->pool, 40,
                      sizeof(dr_http_autoindex_entry_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    dfd = dirfd(dir);

    for ( ;; ) {
        dr_set_errno(0);

        de = readdir(dir);

        if (de == NULL) {
            err = dr_errno;

            if (err != 0) {
                dr_log_error(DR_LOG_CRIT, r->connection->log, err,
                             "readdir() \"%V\" failed", path);
                return DR_ERROR;
            }

            return DR_OK;
        }

        if (de->d_name[0] == '.') {
            continue;
        }

        len = dr_strlen(de->d_name);

        if (fstatat(dfd, de->d_name, &st, 0) == -1) {
            err = dr_errno;

            if (err != DR_ENOENT && err != DR_ELOOP) {
                dr_log_error(DR_LOG_CRIT, r->connection->log, err,
                             "stat() \"%V/%s\" failed", path, de->d_name);

                if (err == DR_EACCES) {
                    continue;
                }

                return DR_ERROR;
            }

            /* a dangling or looping symlink: list the link itself */

            if (fstatat(dfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
                dr_log_error(DR_LOG_CRIT, r->connection->log, dr_errno,
                             "lstat() \"%V/%s\" failed", path, de->d_name);
                return DR_ERROR;
            }
        }

        entry = dr_array_push(entries);
        if (entry == NULL) {
            return DR_ERROR;
        }

        entry->name.len = len;
        entry->name.data = dr_pnalloc(r->pool, len + 1);
        if (entry->name.data == NULL) {
            return DR_ERROR;
        }

        dr_memcpy(entry->name.data, de->d_name, len + 1);

        entry->dir = S_ISDIR(st.st_mode) ? 1 : 0;
        entry->file = S_ISREG(st.st_mode) ? 1 : 0;
        entry->mtime = st.st_mtime;
        entry->size = st.st_size;
    }
}


static dr_buf_t *
dr_http_autoindex_html(dr_http_request_t *r, dr_array_t *entries)
{
    u_char                         *last;
    size_t                          len, char_len, escape_html;
    dr_buf_t                       *b;
    dr_uint_t                       i, utf8;
    struct tm                       tm;
    dr_http_autoindex_entry_t      *entry;
    dr_http_autoindex_loc_conf_t   *alcf;

    static u_char  title[] =
        "<html>" CRLF
        "<head><title>Index of ";

    static u_char  header[] =
        "</title></head>" CRLF
        "<body>" CRLF
        "<h1>Index of ";

    static u_char  tail[] =
        "</body>" CRLF
        "</html>" CRLF;

    static char  *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                               "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };

    utf8 = (r->headers_out.charset.len == 5
            && dr_strncasecmp(r->headers_out.charset.data,
                              (u_char *) "utf-8", 5) == 0);

    escape_html = dr_http_autoindex_escape_html(NULL, r->uri.data, r->uri.len);

    len = sizeof(title) - 1
          + r->uri.len + escape_html
          + sizeof(header) - 1
          + r->uri.len + escape_html
          + sizeof("</h1>") - 1
          + sizeof("<hr><pre><a href=\"../\">../</a>" CRLF) - 1
          + sizeof("</pre><hr>") - 1
          + sizeof(tail) - 1;

    entry = entries->elts;

    for (i = 0; i < entries->nelts; i++) {
        entry[i].escape = 2 * dr_http_escape_uri(NULL, entry[i].name.data,
                                                 entry[i].name.len,
                                                 DR_ESCAPE_URI_COMPONENT);

        entry[i].escape_html = dr_http_autoindex_escape_html(NULL,
                                                      entry[i].name.data,
                                                      entry[i].name.len);

        if (utf8) {
            entry[i].utf_len = dr_http_autoindex_utf8_length(
                                     entry[i].name.data, entry[i].name.len);
        } else {
            entry[i].utf_len = entry[i].name.len;
        }

        len += sizeof("<a href=\"") - 1
            + entry[i].name.len + entry[i].escape
            + 1                                      /* '/' */
            + sizeof("\">") - 1
            + entry[i].name.len - entry[i].utf_len
            + entry[i].escape_html
            + DR_HTTP_AUTOINDEX_NAME_LEN + sizeof("&gt;") - 2
            + sizeof("</a>") - 1
            + sizeof(" 28-Sep-1970 12:00 ") - 1
            + 20                                     /* the size */
            + 2;
    }

    b = dr_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->last = dr_cpymem(b->last, title, sizeof(title) - 1);

    if (escape_html) {
        b->last = (u_char *) dr_http_autoindex_escape_html(b->last,
                                                  r->uri.data, r->uri.len);
        b->last = dr_cpymem(b->last, header, sizeof(header) - 1);
        b->last = (u_char *) dr_http_autoindex_escape_html(b->last,
                                                  r->uri.data, r->uri.len);

    } else {
        b->last = dr_cpymem(b->last, r->uri.data, r->uri.len);
        b->last = dr_cpymem(b->last, header, sizeof(header) - 1);
        b->last = dr_cpymem(b->last, r->uri.data, r->uri.len);
    }

    b->last = dr_cpymem(b->last, "</h1>", sizeof("</h1>") - 1);

    b->last = dr_cpymem(b->last, "<hr><pre><a href=\"../\">../</a>" CRLF,
                        sizeof("<hr><pre><a href=\"../\">../</a>" CRLF) - 1);

    alcf = dr_http_get_module_loc_conf(r, dr_http_autoindex_module);

    for (i = 0; i < entries->nelts; i++) {
        b->last = dr_cpymem(b->last, "<a href=\"", sizeof("<a href=\"") - 1);

        if (entry[i].escape) {
            dr_http_escape_uri(b->last, entry[i].name.data, entry[i].name.len,
                               DR_ESCAPE_URI_COMPONENT);

            b->last += entry[i].name.len + entry[i].escape;

        } else {
            b->last = dr_cpymem(b->last, entry[i].name.data,
                                entry[i].name.len);
        }

        if (entry[i].dir) {
            *b->last++ = '/';
        }

        *b->last++ = '"';
        *b->last++ = '>';

        /* the name, cut to 50 characters ("..>" when longer), padded */

        len = entry[i].utf_len;

        if (entry[i].name.len != len) {
            if (len > DR_HTTP_AUTOINDEX_NAME_LEN) {
                char_len = DR_HTTP_AUTOINDEX_NAME_LEN - 3 + 1;

            } else {
                char_len = DR_HTTP_AUTOINDEX_NAME_LEN + 1;
            }

            last = b->last;
            b->last = dr_http_autoindex_utf8_cpystrn(b->last,
                                                     entry[i].name.data,
                                                     char_len,
                                                     entry[i].name.len + 1);

            if (entry[i].escape_html) {
                b->last = (u_char *) dr_http_autoindex_escape_html(last,
                                                  entry[i].name.data,
                                                  b->last - last);
            }

            last = b->last;

        } else {
            if (entry[i].escape_html) {
                if (len > DR_HTTP_AUTOINDEX_NAME_LEN) {
                    char_len = DR_HTTP_AUTOINDEX_NAME_LEN - 3;

                } else {
                    char_len = len;
                }

                b->last = (u_char *) dr_http_autoindex_escape_html(b->last,
                                                  entry[i].name.data,
                                                  char_len);
                last = b->last;

            } else {
                b->last = dr_cpystrn(b->last, entry[i].name.data,
                                     DR_HTTP_AUTOINDEX_NAME_LEN + 1);
                last = b->last - 3;
            }
        }

        if (len > DR_HTTP_AUTOINDEX_NAME_LEN) {
            b->last = dr_cpymem(last, "..&gt;</a>", sizeof("..&gt;</a>") - 1);

        } else {
            if (entry[i].dir && DR_HTTP_AUTOINDEX_NAME_LEN - len > 0) {
                *b->last++ = '/';
                len++;
            }

            b->last = dr_cpymem(b->last, "</a>", sizeof("</a>") - 1);

            if (DR_HTTP_AUTOINDEX_NAME_LEN - len > 0) {
                dr_memset(b->last, ' ', DR_HTTP_AUTOINDEX_NAME_LEN - len);
                b->last += DR_HTTP_AUTOINDEX_NAME_LEN - len;
            }
        }

        *b->last++ = ' ';

        dr_gmtime(entry[i].mtime
                  + dr_cached_time->gmtoff * 60 * alcf->localtime, &tm);

        b->last = dr_sprintf(b->last, "%02d-%s-%d %02d:%02d ",
                             tm.tm_mday, months[tm.tm_mon],
                             tm.tm_year + 1900, tm.tm_hour, tm.tm_min);

        b->last = dr_http_autoindex_html_size(b->last, &entry[i],
                                              alcf->exact_size);

        *b->last++ = CR;
        *b->last++ = LF;
    }

    b->last = dr_cpymem(b->last, "</pre><hr>", sizeof("</pre><hr>") - 1);
    b->last = dr_cpymem(b->last, tail, sizeof(tail) - 1);

    return b;
}


/* the size column: 19 digits, or 1024-based and rounded ("  1.2M" style) */
static u_char *
dr_http_autoindex_html_size(u_char *p, dr_http_autoindex_entry_t *entry,
    dr_flag_t exact)
{
    off_t     length;
    u_char    scale;
    dr_int_t  size;

    if (exact) {
        if (entry->dir) {
            return dr_cpymem(p, "                  -",
                             sizeof("                  -") - 1);
        }

        return dr_sprintf(p, "%19O", entry->size);
    }

    if (entry->dir) {
        return dr_cpymem(p, "      -", sizeof("      -") - 1);
    }

    length = entry->size;

    if (length > 1024 * 1024 * 1024 - 1) {
        size = (dr_int_t) (length / (1024 * 1024 * 1024));
        if ((length % (1024 * 1024 * 1024)) > (1024 * 1024 * 1024 / 2 - 1)) {
            size++;
        }
        scale = 'G';

    } else if (length > 1024 * 1024 - 1) {
        size = (dr_int_t) (length / (1024 * 1024));
        if ((length % (1024 * 1024)) > (1024 * 1024 / 2 - 1)) {
            size++;
        }
        scale = 'M';

    } else if (length > 9999) {
        size = (dr_int_t) (length / 1024);
        if (length % 1024 > 511) {
            size++;
        }
        scale = 'K';

    } else {
        size = (dr_int_t) length;
        scale = '\0';
    }

    if (scale) {
        return dr_sprintf(p, "%6i%c", size, scale);
    }

    return dr_sprintf(p, " %6i", size);
}


static dr_buf_t *
dr_http_autoindex_json(dr_http_request_t *r, dr_array_t *entries)
{
    size_t                       len;
    dr_buf_t                    *b;
    dr_uint_t                    i;
    dr_http_autoindex_entry_t   *entry;

    len = sizeof("[" CRLF CRLF "]") - 1;

    entry = entries->elts;

    for (i = 0; i < entries->nelts; i++) {
        entry[i].escape = dr_http_autoindex_escape_json(NULL,
                                                        entry[i].name.data,
                                                        entry[i].name.len);

        len += sizeof("{  }," CRLF) - 1
            + sizeof("\"name\":\"\"") - 1
            + entry[i].name.len + entry[i].escape
            + sizeof(", \"type\":\"directory\"") - 1
            + sizeof(", \"mtime\":\"Wed, 31 Dec 1986 10:00:00 GMT\"") - 1;

        if (entry[i].file) {
            len += sizeof(", \"size\":") - 1 + DR_OFF_T_LEN;
        }
    }

    b = dr_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    *b->last++ = '[';

    for (i = 0; i < entries->nelts; i++) {
        b->last = dr_cpymem(b->last, CRLF "{ \"name\":\"",
                            sizeof(CRLF "{ \"name\":\"") - 1);

        if (entry[i].escape) {
            b->last = (u_char *) dr_http_autoindex_escape_json(b->last,
                                                      entry[i].name.data,
                                                      entry[i].name.len);
        } else {
            b->last = dr_cpymem(b->last, entry[i].name.data,
                                entry[i].name.len);
        }

        b->last = dr_cpymem(b->last, "\", \"type\":\"",
                            sizeof("\", \"type\":\"") - 1);

        if (entry[i].dir) {
            b->last = dr_cpymem(b->last, "directory", sizeof("directory") - 1);

        } else if (entry[i].file) {
            b->last = dr_cpymem(b->last, "file", sizeof("file") - 1);

        } else {
            b->last = dr_cpymem(b->last, "other", sizeof("other") - 1);
        }

        b->last = dr_cpymem(b->last, "\", \"mtime\":\"",
                            sizeof("\", \"mtime\":\"") - 1);

        b->last = dr_http_time(b->last, entry[i].mtime);

        if (entry[i].file) {
            b->last = dr_cpymem(b->last, "\", \"size\":",
                                sizeof("\", \"size\":") - 1);
            b->last = dr_sprintf(b->last, "%O", entry[i].size);

        } else {
            *b->last++ = '"';
        }

        b->last = dr_cpymem(b->last, " },", sizeof(" },") - 1);
    }

    if (i > 0) {
        b->last--;      /* the last comma */
    }

    b->last = dr_cpymem(b->last, CRLF "]", sizeof(CRLF "]") - 1);

    return b;
}


static int
dr_http_autoindex_cmp_entries(const void *one, const void *two)
{
    const dr_http_autoindex_entry_t  *first = one;
    const dr_http_autoindex_entry_t  *second = two;

    if (first->dir && !second->dir) {
        return -1;
    }

    if (!first->dir && second->dir) {
        return 1;
    }

    return dr_strcmp(first->name.data, second->name.data);
}


/*
 * HTML entities for < > & " (nginx's ngx_escape_html). With <dst> NULL,
 * returns the number of extra bytes needed; else the end of the output.
 */
static uintptr_t
dr_http_autoindex_escape_html(u_char *dst, u_char *src, size_t size)
{
    u_char      ch;
    dr_uint_t   len;

    if (dst == NULL) {
        len = 0;

        while (size--) {
            switch (*src++) {
            case '<':
                len += sizeof("&lt;") - 2;
                break;
            case '>':
                len += sizeof("&gt;") - 2;
                break;
            case '&':
                len += sizeof("&amp;") - 2;
                break;
            case '"':
                len += sizeof("&quot;") - 2;
                break;
            default:
                break;
            }
        }

        return (uintptr_t) len;
    }

    while (size--) {
        ch = *src++;

        switch (ch) {
        case '<':
            dst = dr_cpymem(dst, "&lt;", sizeof("&lt;") - 1);
            break;
        case '>':
            dst = dr_cpymem(dst, "&gt;", sizeof("&gt;") - 1);
            break;
        case '&':
            dst = dr_cpymem(dst, "&amp;", sizeof("&amp;") - 1);
            break;
        case '"':
            dst = dr_cpymem(dst, "&quot;", sizeof("&quot;") - 1);
            break;
        default:
            *dst++ = ch;
            break;
        }
    }

    return (uintptr_t) dst;
}


/*
 * JSON string escapes (nginx's ngx_escape_json): " and \ with a
 * backslash, control bytes as \uXXXX (\n and friends by name). With <dst>
 * NULL, returns the number of extra bytes; else the end of the output.
 */
static uintptr_t
dr_http_autoindex_escape_json(u_char *dst, u_char *src, size_t size)
{
    u_char      ch;
    dr_uint_t   len;

    static u_char  hex[] = "0123456789abcdef";

    if (dst == NULL) {
        len = 0;

        while (size) {
            ch = *src++;

            if (ch == '\\' || ch == '"') {
                len++;

            } else if (ch <= 0x1f) {

                switch (ch) {
                case '\n':
                case '\r':
                case '\t':
                case '\b':
                case '\f':
                    len++;
                    break;

                default:
                    len += sizeof("\\u001F") - 2;
                }
            }

            size--;
        }

        return (uintptr_t) len;
    }

    while (size) {
        ch = *src++;

        if (ch > 0x1f) {

            if (ch == '\\' || ch == '"') {
                *dst++ = '\\';
            }

            *dst++ = ch;

        } else {
            *dst++ = '\\';

            switch (ch) {
            case '\n':
                *dst++ = 'n';
                break;

            case '\r':
                *dst++ = 'r';
                break;

            case '\t':
                *dst++ = 't';
                break;

            case '\b':
                *dst++ = 'b';
                break;

            case '\f':
                *dst++ = 'f';
                break;

            default:
                *dst++ = 'u'; *dst++ = '0'; *dst++ = '0';
                *dst++ = hex[ch >> 4];
                *dst++ = hex[ch & 0xf];
            }
        }

        size--;
    }

    return (uintptr_t) dst;
}


/*
 * Decodes one UTF-8 character at *p (at most <n> bytes), advancing *p.
 * Returns the code point, or 0xffffffff for an invalid or incomplete one
 * (nginx's ngx_utf8_decode).
 */
static uint32_t
dr_http_autoindex_utf8_decode(u_char **p, size_t n)
{
    size_t    len;
    uint32_t  u, i, valid;

    u = **p;

    if (u >= 0xf0) {
        u &= 0x07;
        valid = 0xffff;
        len = 3;

    } else if (u >= 0xe0) {
        u &= 0x0f;
        valid = 0x7ff;
        len = 2;

    } else if (u >= 0xc2) {
        u &= 0x1f;
        valid = 0x7f;
        len = 1;

    } else {
        (*p)++;
        return 0xffffffff;
    }

    if (n - 1 < len) {
        return 0xfffffffe;
    }

    (*p)++;

    while (len) {
        i = *(*p)++;

        if (i < 0x80) {
            return 0xffffffff;
        }

        u = (u << 6) | (i & 0x3f);

        len--;
    }

    if (u > valid) {
        return u;
    }

    return 0xffffffff;
}


/* the number of characters of <p>, or <n> if it is not valid UTF-8 */
static size_t
dr_http_autoindex_utf8_length(u_char *p, size_t n)
{
    u_char  c, *last;
    size_t  len;

    last = p + n;

    for (len = 0; p < last; len++) {
        c = *p;

        if (c < 0x80) {
            p++;
            continue;
        }

        if (dr_http_autoindex_utf8_decode(&p, last - p) > 0x10ffff) {
            return n;
        }
    }

    return len;
}


/*
 * Copies at most <n> - 1 characters (not bytes) of <src> (<len> bytes,
 * counting its NUL) and a NUL; returns the position of that NUL.
 */
static u_char *
dr_http_autoindex_utf8_cpystrn(u_char *dst, u_char *src, size_t n,
    size_t len)
{
    u_char  c, *next;

    if (n == 0) {
        return dst;
    }

    while (--n) {
        c = *src;
        *dst = c;

        if (c < 0x80) {

            if (c != '\0') {
                dst++;
                src++;
                len--;

                continue;
            }

            return dst;
        }

        next = src;

        if (dr_http_autoindex_utf8_decode(&next, len) > 0x10ffff) {
            /* invalid UTF-8 */
            break;
        }

        while (src < next) {
            *dst++ = *src++;
            len--;
        }
    }

    *dst = '\0';

    return dst;
}


static void *
dr_http_autoindex_create_loc_conf(dr_conf_t *cf)
{
    dr_http_autoindex_loc_conf_t  *conf;

    conf = dr_palloc(cf->pool, sizeof(dr_http_autoindex_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    conf->enable = DR_CONF_UNSET;
    conf->format = DR_CONF_UNSET_UINT;
    conf->localtime = DR_CONF_UNSET;
    conf->exact_size = DR_CONF_UNSET;

    return conf;
}


static char *
dr_http_autoindex_merge_loc_conf(dr_conf_t *cf, void *parent, void *child)
{
    dr_http_autoindex_loc_conf_t  *prev = parent;
    dr_http_autoindex_loc_conf_t  *conf = child;

    dr_conf_merge_value(conf->enable, prev->enable, 0);
    dr_conf_merge_uint_value(conf->format, prev->format,
                             DR_HTTP_AUTOINDEX_HTML);
    dr_conf_merge_value(conf->localtime, prev->localtime, 0);
    dr_conf_merge_value(conf->exact_size, prev->exact_size, 1);

    return DR_CONF_OK;
}


static dr_int_t
dr_http_autoindex_init(dr_conf_t *cf)
{
    return dr_http_add_phase_handler(cf, DR_HTTP_CONTENT_PHASE,
                                     dr_http_autoindex_handler);
}
