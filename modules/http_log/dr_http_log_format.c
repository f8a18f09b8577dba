/*
 * Access log line formats (nginx's log_format, from ngx_http_log_module).
 *
 * A format compiles once, at configuration time, into an array of ops:
 * literal text (up to 8 bytes kept in the op itself, longer in the cycle
 * pool), a few values read straight from the clock or the request
 * ($time_local, $time_iso8601, $msec, $status, $pipe: a fixed bound
 * each), and variables, escaped as the format says. A line costs two
 * passes over the ops: the lengths (a variable is evaluated once, cached
 * in the request, and scanned for the bytes to escape), then the bytes,
 * written once, where the caller wants them (a log buffer, or r->pool).
 *
 * Escaping applies to variable values only (nginx's rules): default turns
 * '"', '\', bytes below 0x20 and from 0x7f up into \xXX and writes an
 * unset variable as "-"; json escapes for a JSON string and writes an
 * unset variable as nothing; none copies.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_http.h"
#include "dr_http_log_format.h"


#define DR_HTTP_LOG_FORMAT_ESCAPE_DEFAULT  0
#define DR_HTTP_LOG_FORMAT_ESCAPE_JSON     1
#define DR_HTTP_LOG_FORMAT_ESCAPE_NONE     2


typedef struct {
    dr_str_t                        name;
    size_t                          len;
    dr_http_log_format_run_pt       run;
} dr_http_log_format_var_t;


static dr_int_t dr_http_log_format_escaping(dr_conf_t *cf, dr_str_t *value,
    dr_uint_t *escape);
static char *dr_http_log_format_compile_var(dr_conf_t *cf,
    dr_http_log_format_t *fmt, dr_http_log_format_op_t *op, dr_str_t *value,
    size_t *pos, dr_uint_t escape);
static dr_int_t dr_http_log_format_text(dr_conf_t *cf,
    dr_http_log_format_op_t *op, u_char *data, size_t len);

static u_char *dr_http_log_format_copy_short(dr_http_request_t *r,
    u_char *buf, dr_http_log_format_op_t *op);
static u_char *dr_http_log_format_copy_long(dr_http_request_t *r,
    u_char *buf, dr_http_log_format_op_t *op);
static u_char *dr_http_log_format_pipe(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op);
static u_char *dr_http_log_format_time(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op);
static u_char *dr_http_log_format_iso8601(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op);
static u_char *dr_http_log_format_msec(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op);
static u_char *dr_http_log_format_status(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op);

static dr_int_t dr_http_log_format_variable_compile(dr_conf_t *cf,
    dr_http_log_format_op_t *op, dr_str_t *value, dr_uint_t escape);
static size_t dr_http_log_format_variable_getlen(dr_http_request_t *r,
    uintptr_t data);
static u_char *dr_http_log_format_variable(dr_http_request_t *r,
    u_char *buf, dr_http_log_format_op_t *op);
static size_t dr_http_log_format_escape_len(u_char *src, size_t size);
static u_char *dr_http_log_format_escape(u_char *dst, u_char *src,
    size_t size);
static size_t dr_http_log_format_json_getlen(dr_http_request_t *r,
    uintptr_t data);
static u_char *dr_http_log_format_json(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op);
static size_t dr_http_log_format_json_escape_len(u_char *src, size_t size);
static u_char *dr_http_log_format_json_escape(u_char *dst, u_char *src,
    size_t size);
static size_t dr_http_log_format_unescaped_getlen(dr_http_request_t *r,
    uintptr_t data);
static u_char *dr_http_log_format_unescaped(dr_http_request_t *r,
    u_char *buf, dr_http_log_format_op_t *op);


/* values the log reads itself; any other name is a variable */
static dr_http_log_format_var_t  dr_http_log_format_vars[] = {
    { dr_string("pipe"), 1, dr_http_log_format_pipe },
    { dr_string("time_local"), sizeof("28/Sep/1970:12:00:00 +0600") - 1,
      dr_http_log_format_time },
    { dr_string("time_iso8601"), sizeof("1970-09-28T12:00:00+06:00") - 1,
      dr_http_log_format_iso8601 },
    { dr_string("msec"), DR_TIME_T_LEN + 4, dr_http_log_format_msec },
    { dr_string("status"), DR_INT_T_LEN, dr_http_log_format_status },
    { dr_null_string, 0, NULL }
};


/* default escaping: '"', '\', bytes < 0x20 and >= 0x7f become \xXX */
static uint32_t  dr_http_log_format_escape_map[] = {
    0xffffffff,     /* 0x00-0x1f */
    0x00000004,     /* 0x20-0x3f: '"' */
    0x10000000,     /* 0x40-0x5f: '\' */
    0x80000000,     /* 0x60-0x7f: DEL */
    0xffffffff,
    0xffffffff,
    0xffffffff,
    0xffffffff
};

#define dr_http_log_format_escaped(c)                                         \
    (dr_http_log_format_escape_map[(c) >> 5] & (1U << ((c) & 0x1f)))


dr_int_t
dr_http_log_format_init(dr_pool_t *pool, dr_http_log_format_t *fmt,
    dr_str_t *name)
{
    fmt->name = *name;

    fmt->flushes = dr_array_create(pool, 4, sizeof(dr_int_t));
    fmt->ops = dr_array_create(pool, 16, sizeof(dr_http_log_format_op_t));

    if (fmt->flushes == NULL || fmt->ops == NULL) {
        return DR_ERROR;
    }

    return DR_OK;
}


char *
dr_http_log_format_compile(dr_conf_t *cf, dr_http_log_format_t *fmt,
    dr_array_t *args, dr_uint_t s)
{
    char                     *rv;
    u_char                   *data;
    size_t                    i;
    dr_str_t                 *value;
    dr_uint_t                 escape;
    dr_http_log_format_op_t  *op;

    escape = DR_HTTP_LOG_FORMAT_ESCAPE_DEFAULT;
    value = args->elts;

    if (s < args->nelts && value[s].len >= 7
        && dr_strncmp(value[s].data, "escape=", 7) == 0)
    {
        if (dr_http_log_format_escaping(cf, &value[s], &escape) != DR_OK) {
            return DR_CONF_ERROR;
        }

        s++;
    }

    for ( /* void */ ; s < args->nelts; s++) {

        i = 0;

        while (i < value[s].len) {

            op = dr_array_push(fmt->ops);
            if (op == NULL) {
                return DR_CONF_ERROR;
            }

            if (value[s].data[i] == '$') {
                rv = dr_http_log_format_compile_var(cf, fmt, op, &value[s],
                                                    &i, escape);
                if (rv != DR_CONF_OK) {
                    return rv;
                }

                continue;
            }

            data = &value[s].data[i++];

            while (i < value[s].len && value[s].data[i] != '$') {
                i++;
            }

            if (dr_http_log_format_text(cf, op, data,
                                        &value[s].data[i] - data)
                != DR_OK)
            {
                return DR_CONF_ERROR;
            }
        }
    }

    return DR_CONF_OK;
}


/* "escape=default|json|none" */
static dr_int_t
dr_http_log_format_escaping(dr_conf_t *cf, dr_str_t *value,
    dr_uint_t *escape)
{
    dr_str_t  s;

    s.len = value->len - 7;
    s.data = value->data + 7;

    if (s.len == 4 && dr_strncmp(s.data, "json", 4) == 0) {
        *escape = DR_HTTP_LOG_FORMAT_ESCAPE_JSON;

    } else if (s.len == 4 && dr_strncmp(s.data, "none", 4) == 0) {
        *escape = DR_HTTP_LOG_FORMAT_ESCAPE_NONE;

    } else if (s.len == 7 && dr_strncmp(s.data, "default", 7) == 0) {
        *escape = DR_HTTP_LOG_FORMAT_ESCAPE_DEFAULT;

    } else {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "unknown log format escaping \"%V\"", &s);
        return DR_ERROR;
    }

    return DR_OK;
}


/*
 * The "$name" or "${name}" at value->data[*pos] into <op>; *pos moves past
 * it. Names are nginx's: letters, digits, '_'.
 */
static char *
dr_http_log_format_compile_var(dr_conf_t *cf, dr_http_log_format_t *fmt,
    dr_http_log_format_op_t *op, dr_str_t *value, size_t *pos,
    dr_uint_t escape)
{
    u_char                     ch, *start;
    size_t                     i;
    dr_int_t                  *flush;
    dr_str_t                   var;
    dr_uint_t                  bracket;
    dr_http_log_format_var_t  *v;

    i = *pos;
    start = &value->data[i];

    if (++i == value->len) {
        goto invalid;
    }

    bracket = (value->data[i] == '{');

    if (bracket && ++i == value->len) {
        goto invalid;
    }

    var.data = &value->data[i];

    for (var.len = 0; i < value->len; i++, var.len++) {
        ch = value->data[i];

        if (ch == '}' && bracket) {
            i++;
            bracket = 0;
            break;
        }

        if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')
            || (ch >= '0' && ch <= '9') || ch == '_')
        {
            continue;
        }

        break;
    }

    *pos = i;

    if (bracket) {
        dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                          "the closing bracket in \"%V\" variable is missing",
                          &var);
        return DR_CONF_ERROR;
    }

    if (var.len == 0) {
        goto invalid;
    }

    for (v = dr_http_log_format_vars; v->name.len; v++) {
        if (dr_str_eq(&v->name, &var)) {
            op->len = v->len;
            op->getlen = NULL;
            op->run = v->run;
            op->data = 0;
            return DR_CONF_OK;
        }
    }

    if (dr_http_log_format_variable_compile(cf, op, &var, escape) != DR_OK) {
        return DR_CONF_ERROR;
    }

    flush = dr_array_push(fmt->flushes);
    if (flush == NULL) {
        return DR_CONF_ERROR;
    }

    *flush = op->data;

    return DR_CONF_OK;

invalid:

    var.data = start;
    var.len = value->data + value->len - start;

    dr_conf_log_error(DR_LOG_EMERG, cf, 0, "invalid parameter \"%V\"", &var);

    return DR_CONF_ERROR;
}


/* literal text: kept in the op when it fits a uintptr_t */
static dr_int_t
dr_http_log_format_text(dr_conf_t *cf, dr_http_log_format_op_t *op,
    u_char *data, size_t len)
{
    u_char  *p;

    op->len = len;
    op->getlen = NULL;

    if (len <= sizeof(uintptr_t)) {
        op->run = dr_http_log_format_copy_short;
        op->data = 0;

        while (len--) {
            op->data <<= 8;
            op->data |= data[len];
        }

        return DR_OK;
    }

    op->run = dr_http_log_format_copy_long;

    p = dr_pnalloc(cf->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(p, data, len);
    op->data = (uintptr_t) p;

    return DR_OK;
}


size_t
dr_http_log_format_len(dr_http_request_t *r, dr_http_log_format_t *fmt)
{
    size_t                    len;
    dr_uint_t                 i, n;
    dr_http_log_format_op_t  *op;

    if (fmt->flushes->nelts) {
        dr_http_script_flush_no_cacheable_variables(r, fmt->flushes);
    }

    op = fmt->ops->elts;
    n = fmt->ops->nelts;
    len = 0;

    for (i = 0; i < n; i++) {
        len += op[i].len ? op[i].len : op[i].getlen(r, op[i].data);
    }

    return len;
}


u_char *
dr_http_log_format_run(dr_http_request_t *r, dr_http_log_format_t *fmt,
    u_char *buf)
{
    dr_uint_t                 i, n;
    dr_http_log_format_op_t  *op;

    op = fmt->ops->elts;
    n = fmt->ops->nelts;

    for (i = 0; i < n; i++) {
        buf = op[i].run(r, buf, &op[i]);
    }

    return buf;
}


/* ops */

static u_char *
dr_http_log_format_copy_short(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    size_t     len;
    uintptr_t  data;

    len = op->len;
    data = op->data;

    while (len--) {
        *buf++ = (u_char) (data & 0xff);
        data >>= 8;
    }

    return buf;
}


static u_char *
dr_http_log_format_copy_long(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    return dr_cpymem(buf, (u_char *) op->data, op->len);
}


static u_char *
dr_http_log_format_pipe(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    *buf = r->pipeline ? 'p' : '.';

    return buf + 1;
}


static u_char *
dr_http_log_format_time(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    return dr_cpymem(buf, dr_cached_http_log_time.data, op->len);
}


static u_char *
dr_http_log_format_iso8601(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    return dr_cpymem(buf, dr_cached_http_log_iso8601.data, op->len);
}


static u_char *
dr_http_log_format_msec(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    dr_time_t  *tp;

    tp = dr_timeofday();

    return dr_sprintf(buf, "%T.%03ui", tp->sec, tp->msec);
}


/* nginx's: the error status if one was sent, 009 for HTTP/0.9 */
static u_char *
dr_http_log_format_status(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    dr_uint_t  status;

    if (r->err_status) {
        status = r->err_status;

    } else if (r->headers_out.status) {
        status = r->headers_out.status;

    } else if (r->http_version == DR_HTTP_VERSION_9) {
        status = 9;

    } else {
        status = 0;
    }

    return dr_sprintf(buf, "%03ui", status);
}


static dr_int_t
dr_http_log_format_variable_compile(dr_conf_t *cf, dr_http_log_format_op_t *op,
    dr_str_t *value, dr_uint_t escape)
{
    dr_int_t  index;

    index = dr_http_get_variable_index(cf, value);
    if (index == DR_ERROR) {
        return DR_ERROR;
    }

    op->len = 0;

    switch (escape) {

    case DR_HTTP_LOG_FORMAT_ESCAPE_JSON:
        op->getlen = dr_http_log_format_json_getlen;
        op->run = dr_http_log_format_json;
        break;

    case DR_HTTP_LOG_FORMAT_ESCAPE_NONE:
        op->getlen = dr_http_log_format_unescaped_getlen;
        op->run = dr_http_log_format_unescaped;
        break;

    default: /* DR_HTTP_LOG_FORMAT_ESCAPE_DEFAULT */
        op->getlen = dr_http_log_format_variable_getlen;
        op->run = dr_http_log_format_variable;
    }

    op->data = index;

    return DR_OK;
}


/* default escaping; an unset variable is "-" */
static size_t
dr_http_log_format_variable_getlen(dr_http_request_t *r, uintptr_t data)
{
    size_t                     n;
    dr_http_variable_value_t  *value;

    value = dr_http_get_indexed_variable(r, data);

    if (value == NULL || value->not_found) {
        return 1;
    }

    n = dr_http_log_format_escape_len(value->data, value->len);

    value->escape = n ? 1 : 0;

    return value->len + n * 3;
}


static u_char *
dr_http_log_format_variable(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    dr_http_variable_value_t  *value;

    value = dr_http_get_indexed_variable(r, op->data);

    if (value == NULL || value->not_found) {
        *buf = '-';
        return buf + 1;
    }

    if (value->escape == 0) {
        return value->len ? dr_cpymem(buf, value->data, value->len) : buf;
    }

    return dr_http_log_format_escape(buf, value->data, value->len);
}


/* how many bytes of <src> default escaping turns into \xXX */
static size_t
dr_http_log_format_escape_len(u_char *src, size_t size)
{
    size_t  n;

    n = 0;

    while (size--) {
        if (dr_http_log_format_escaped(*src)) {
            n++;
        }
        src++;
    }

    return n;
}


static u_char *
dr_http_log_format_escape(u_char *dst, u_char *src, size_t size)
{
    static u_char  hex[] = "0123456789ABCDEF";

    while (size--) {

        if (dr_http_log_format_escaped(*src)) {
            *dst++ = '\\';
            *dst++ = 'x';
            *dst++ = hex[*src >> 4];
            *dst++ = hex[*src & 0xf];
            src++;

        } else {
            *dst++ = *src++;
        }
    }

    return dst;
}


/* JSON string escaping; an unset variable is empty */
static size_t
dr_http_log_format_json_getlen(dr_http_request_t *r, uintptr_t data)
{
    size_t                     n;
    dr_http_variable_value_t  *value;

    value = dr_http_get_indexed_variable(r, data);

    if (value == NULL || value->not_found) {
        return 0;
    }

    n = dr_http_log_format_json_escape_len(value->data, value->len);

    value->escape = n ? 1 : 0;

    return value->len + n;
}


static u_char *
dr_http_log_format_json(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    dr_http_variable_value_t  *value;

    value = dr_http_get_indexed_variable(r, op->data);

    if (value == NULL || value->not_found) {
        return buf;
    }

    if (value->escape == 0) {
        return value->len ? dr_cpymem(buf, value->data, value->len) : buf;
    }

    return dr_http_log_format_json_escape(buf, value->data, value->len);
}


/* the bytes JSON escaping adds to <src> (nginx's ngx_escape_json) */
static size_t
dr_http_log_format_json_escape_len(u_char *src, size_t size)
{
    u_char  ch;
    size_t  n;

    n = 0;

    while (size--) {
        ch = *src++;

        if (ch == '\\' || ch == '"') {
            n++;

        } else if (ch <= 0x1f) {
            switch (ch) {
            case '\n':
            case '\r':
            case '\t':
            case '\b':
            case '\f':
                n++;
                break;

            default:
                n += sizeof("\\u001F") - 2;
            }
        }
    }

    return n;
}


static u_char *
dr_http_log_format_json_escape(u_char *dst, u_char *src, size_t size)
{
    u_char         ch;
    static u_char  hex[] = "0123456789abcdef";

    while (size--) {
        ch = *src++;

        if (ch > 0x1f) {
            if (ch == '\\' || ch == '"') {
                *dst++ = '\\';
            }

            *dst++ = ch;
            continue;
        }

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
            *dst++ = 'u';
            *dst++ = '0';
            *dst++ = '0';
            *dst++ = hex[ch >> 4];
            *dst++ = hex[ch & 0xf];
        }
    }

    return dst;
}


/* escape=none; an unset variable is empty */
static size_t
dr_http_log_format_unescaped_getlen(dr_http_request_t *r, uintptr_t data)
{
    dr_http_variable_value_t  *value;

    value = dr_http_get_indexed_variable(r, data);

    if (value == NULL || value->not_found) {
        return 0;
    }

    value->escape = 0;

    return value->len;
}


static u_char *
dr_http_log_format_unescaped(dr_http_request_t *r, u_char *buf,
    dr_http_log_format_op_t *op)
{
    dr_http_variable_value_t  *value;

    value = dr_http_get_indexed_variable(r, op->data);

    if (value == NULL || value->not_found || value->len == 0) {
        return buf;
    }

    return dr_cpymem(buf, value->data, value->len);
}
