/*
 * String helpers and the formatter behind every log line.
 *
 * dr_vslprintf() is nginx's formatter: it knows drover's types (%V for a
 * dr_str_t, %i for dr_int_t, %M for milliseconds...) and never writes past
 * <last>, truncating instead. It does not NUL-terminate unless told to with
 * %Z. Conversions (dr_atoi...) reject empty input, signs, any non-digit and
 * overflow with DR_ERROR: they are used on untrusted input (headers, config).
 */

#include "dr_core.h"

static u_char *dr_sprintf_num(u_char *buf, u_char *last, uint64_t ui64,
    u_char zero, dr_uint_t hexadecimal, dr_uint_t width);


void
dr_strlow(u_char *dst, u_char *src, size_t n)
{
    while (n) {
        *dst = dr_tolower(*src);
        dst++;
        src++;
        n--;
    }
}


u_char *
dr_cpystrn(u_char *dst, u_char *src, size_t n)
{
    if (n == 0) {
        return dst;
    }

    while (--n) {
        *dst = *src;
        if (*dst == '\0') {
            return dst;
        }
        dst++;
        src++;
    }

    *dst = '\0';
    return dst;
}


u_char *
dr_pstrdup(dr_pool_t *pool, dr_str_t *src)
{
    u_char  *dst;

    /* never NULL for an empty string: a NULL data means "unset" to callers */

    dst = dr_pnalloc(pool, src->len ? src->len : 1);
    if (dst == NULL) {
        return NULL;
    }

    if (src->len) {
        dr_memcpy(dst, src->data, src->len);
    }

    return dst;
}


char *
dr_pstrz(dr_pool_t *pool, dr_str_t *src)
{
    u_char  *dst;

    dst = dr_pnalloc(pool, src->len + 1);
    if (dst == NULL) {
        return NULL;
    }

    dr_memcpy(dst, src->data, src->len);
    dst[src->len] = '\0';
    return (char *) dst;
}


u_char *
dr_sprintf(u_char *buf, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = dr_vslprintf(buf, (void *) -1, fmt, args);
    va_end(args);

    return p;
}


u_char *
dr_snprintf(u_char *buf, size_t max, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = dr_vslprintf(buf, buf + max, fmt, args);
    va_end(args);

    return p;
}


u_char *
dr_slprintf(u_char *buf, u_char *last, const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = dr_vslprintf(buf, last, fmt, args);
    va_end(args);

    return p;
}


u_char *
dr_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args)
{
    u_char      *p, zero;
    int          d;
    double       f;
    size_t       len, slen;
    int64_t      i64;
    uint64_t     ui64, frac;
    dr_msec_t    ms;
    dr_uint_t    width, sign, hex, max_width, frac_width, scale, n;
    dr_str_t    *v;

    while (*fmt && buf < last) {

        if (*fmt != '%') {
            *buf++ = *fmt++;
            continue;
        }

        i64 = 0;
        ui64 = 0;

        zero = (u_char) ((*++fmt == '0') ? '0' : ' ');
        width = 0;
        sign = 1;
        hex = 0;
        max_width = 0;
        frac_width = 0;
        slen = (size_t) -1;

        while (*fmt >= '0' && *fmt <= '9') {
            width = width * 10 + (*fmt++ - '0');
        }

        for ( ;; ) {
            switch (*fmt) {

            case 'u':
                sign = 0;
                fmt++;
                continue;

            case 'm':
                max_width = 1;
                fmt++;
                continue;

            case 'X':
                hex = 2;
                sign = 0;
                fmt++;
                continue;

            case 'x':
                hex = 1;
                sign = 0;
                fmt++;
                continue;

            case '.':
                fmt++;
                while (*fmt >= '0' && *fmt <= '9') {
                    frac_width = frac_width * 10 + (*fmt++ - '0');
                }
                break;

            case '*':
                slen = va_arg(args, size_t);
                fmt++;
                continue;

            default:
                break;
            }

            break;
        }

        switch (*fmt) {

        case 'V':
            v = va_arg(args, dr_str_t *);
            len = dr_min(((size_t) (last - buf)), v->len);
            if (len) {
                buf = dr_cpymem(buf, v->data, len);
            }
            fmt++;
            continue;

        case 's':
            p = va_arg(args, u_char *);
            if (p == NULL) {
                p = (u_char *) "(null)";
                slen = (size_t) -1;
            }
            if (slen == (size_t) -1) {
                while (*p && buf < last) {
                    *buf++ = *p++;
                }
            } else {
                len = dr_min(((size_t) (last - buf)), slen);
                buf = dr_cpymem(buf, p, len);
            }
            fmt++;
            continue;

        case 'O':
            i64 = (int64_t) va_arg(args, off_t);
            sign = 1;
            break;

        case 'P':
            i64 = (int64_t) va_arg(args, pid_t);
            sign = 1;
            break;

        case 'T':
            i64 = (int64_t) va_arg(args, time_t);
            sign = 1;
            break;

        case 'M':
            ms = (dr_msec_t) va_arg(args, dr_msec_t);
            if ((dr_msec_int_t) ms == -1) {
                sign = 1;
                i64 = -1;
            } else {
                sign = 0;
                ui64 = (uint64_t) ms;
            }
            break;

        case 'z':
            if (sign) {
                i64 = (int64_t) va_arg(args, ssize_t);
            } else {
                ui64 = (uint64_t) va_arg(args, size_t);
            }
            break;

        case 'i':
            if (sign) {
                i64 = (int64_t) va_arg(args, dr_int_t);
            } else {
                ui64 = (uint64_t) va_arg(args, dr_uint_t);
            }
            if (max_width) {
                width = DR_INT_T_LEN;
            }
            break;

        case 'd':
            if (sign) {
                i64 = (int64_t) va_arg(args, int);
            } else {
                ui64 = (uint64_t) va_arg(args, u_int);
            }
            break;

        case 'l':
            if (sign) {
                i64 = (int64_t) va_arg(args, long);
            } else {
                ui64 = (uint64_t) va_arg(args, u_long);
            }
            break;

        case 'D':
            if (sign) {
                i64 = (int64_t) va_arg(args, int32_t);
            } else {
                ui64 = (uint64_t) va_arg(args, uint32_t);
            }
            break;

        case 'L':
            if (sign) {
                i64 = va_arg(args, int64_t);
            } else {
                ui64 = va_arg(args, uint64_t);
            }
            break;

        case 'A':
            if (sign) {
                i64 = (int64_t) va_arg(args, dr_atomic_int_t);
            } else {
                ui64 = (uint64_t) va_arg(args, dr_atomic_uint_t);
            }
            if (max_width) {
                width = DR_INT_T_LEN;
            }
            break;

        case 'f':
            f = va_arg(args, double);
            if (f < 0) {
                *buf++ = '-';
                f = -f;
            }
            ui64 = (uint64_t) f;
            frac = 0;
            if (frac_width) {
                scale = 1;
                for (n = frac_width; n; n--) {
                    scale *= 10;
                }
                frac = (uint64_t) ((f - (double) ui64) * scale + 0.5);
                if (frac == scale) {
                    ui64++;
                    frac = 0;
                }
            }
            buf = dr_sprintf_num(buf, last, ui64, zero, 0, width);
            if (frac_width) {
                if (buf < last) {
                    *buf++ = '.';
                }
                buf = dr_sprintf_num(buf, last, frac, '0', 0, frac_width);
            }
            fmt++;
            continue;

        case 'r':
            i64 = (int64_t) va_arg(args, rlim_t);
            sign = 1;
            break;

        case 'p':
            ui64 = (uintptr_t) va_arg(args, void *);
            hex = 2;
            sign = 0;
            zero = '0';
            width = 2 * sizeof(void *);
            break;

        case 'c':
            d = va_arg(args, int);
            *buf++ = (u_char) (d & 0xff);
            fmt++;
            continue;

        case 'Z':
            *buf++ = '\0';
            fmt++;
            continue;

        case 'N':
            *buf++ = LF;
            fmt++;
            continue;

        case '%':
            *buf++ = '%';
            fmt++;
            continue;

        default:
            *buf++ = *fmt++;
            continue;
        }

        if (sign) {
            if (i64 < 0) {
                *buf++ = '-';
                ui64 = (uint64_t) -(i64 + 1) + 1;
            } else {
                ui64 = (uint64_t) i64;
            }
        }

        buf = dr_sprintf_num(buf, last, ui64, zero, hex, width);
        fmt++;
    }

    return buf;
}


static u_char *
dr_sprintf_num(u_char *buf, u_char *last, uint64_t ui64, u_char zero,
    dr_uint_t hexadecimal, dr_uint_t width)
{
    u_char         *p, temp[DR_INT_T_LEN + 1];
    size_t          len;
    static u_char   hex[] = "0123456789abcdef";
    static u_char   HEX[] = "0123456789ABCDEF";

    p = temp + DR_INT_T_LEN;

    if (hexadecimal == 0) {
        do {
            *--p = (u_char) (ui64 % 10 + '0');
        } while (ui64 /= 10);

    } else if (hexadecimal == 1) {
        do {
            *--p = hex[(uint32_t) (ui64 & 0xf)];
        } while (ui64 >>= 4);

    } else {
        do {
            *--p = HEX[(uint32_t) (ui64 & 0xf)];
        } while (ui64 >>= 4);
    }

    len = (temp + DR_INT_T_LEN) - p;

    while (len++ < width && buf < last) {
        *buf++ = zero;
    }

    len = (temp + DR_INT_T_LEN) - p;

    if (buf + len > last) {
        len = last - buf;
    }

    return dr_cpymem(buf, p, len);
}


dr_int_t
dr_strcasecmp(u_char *s1, u_char *s2)
{
    dr_uint_t  c1, c2;

    for ( ;; ) {
        c1 = (dr_uint_t) *s1++;
        c2 = (dr_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {
            if (c1) {
                continue;
            }
            return 0;
        }

        return c1 - c2;
    }
}


dr_int_t
dr_strncasecmp(u_char *s1, u_char *s2, size_t n)
{
    dr_uint_t  c1, c2;

    while (n) {
        c1 = (dr_uint_t) *s1++;
        c2 = (dr_uint_t) *s2++;

        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;
        c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;

        if (c1 == c2) {
            if (c1) {
                n--;
                continue;
            }
            return 0;
        }

        return c1 - c2;
    }

    return 0;
}


u_char *
dr_strnstr(u_char *s1, char *s2, size_t len)
{
    u_char  c1, c2;
    size_t  n;

    c2 = *(u_char *) s2++;
    n = dr_strlen(s2);

    do {
        do {
            if (len-- == 0) {
                return NULL;
            }
            c1 = *s1++;
            if (c1 == 0) {
                return NULL;
            }
        } while (c1 != c2);

        if (n > len) {
            return NULL;
        }

    } while (dr_strncmp(s1, (u_char *) s2, n) != 0);

    return --s1;
}


u_char *
dr_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n)
{
    dr_uint_t  c1, c2;

    if (n == 0) {
        return s1;
    }

    c2 = (dr_uint_t) *s2++;
    c2 = (c2 >= 'A' && c2 <= 'Z') ? (c2 | 0x20) : c2;
    n--;

    while (s1 + n < last) {
        c1 = (dr_uint_t) *s1++;
        c1 = (c1 >= 'A' && c1 <= 'Z') ? (c1 | 0x20) : c1;

        if (c1 == c2 && dr_strncasecmp(s1, s2, n) == 0) {
            return --s1;
        }
    }

    return NULL;
}


dr_int_t
dr_memn2cmp(u_char *s1, u_char *s2, size_t n1, size_t n2)
{
    size_t     n;
    dr_int_t   m, z;

    if (n1 <= n2) {
        n = n1;
        z = -1;
    } else {
        n = n2;
        z = 1;
    }

    m = dr_memcmp(s1, s2, n);

    if (m || n1 == n2) {
        return m;
    }

    return z;
}


dr_int_t
dr_atoi(u_char *line, size_t n)
{
    dr_int_t  value, cutoff, cutlim;

    if (n == 0) {
        return DR_ERROR;
    }

    cutoff = DR_MAX_INT_T_VALUE / 10;
    cutlim = DR_MAX_INT_T_VALUE % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return DR_ERROR;
        }
        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return DR_ERROR;
        }
        value = value * 10 + (*line - '0');
    }

    return value;
}


/* parses "123.45" into 12345 for point = 2 */
dr_int_t
dr_atofp(u_char *line, size_t n, size_t point)
{
    dr_int_t   value, cutoff, cutlim;
    dr_uint_t  dot;

    if (n == 0) {
        return DR_ERROR;
    }

    cutoff = DR_MAX_INT_T_VALUE / 10;
    cutlim = DR_MAX_INT_T_VALUE % 10;
    dot = 0;

    for (value = 0; n--; line++) {

        if (point == 0) {
            return DR_ERROR;
        }

        if (*line == '.') {
            if (dot) {
                return DR_ERROR;
            }
            dot = 1;
            continue;
        }

        if (*line < '0' || *line > '9') {
            return DR_ERROR;
        }

        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return DR_ERROR;
        }

        value = value * 10 + (*line - '0');
        point -= dot;
    }

    while (point--) {
        if (value > cutoff) {
            return DR_ERROR;
        }
        value = value * 10;
    }

    return value;
}


ssize_t
dr_atosz(u_char *line, size_t n)
{
    return (ssize_t) dr_atoi(line, n);
}


off_t
dr_atoof(u_char *line, size_t n)
{
    off_t  value, cutoff, cutlim;

    if (n == 0) {
        return DR_ERROR;
    }

    cutoff = DR_MAX_OFF_T_VALUE / 10;
    cutlim = DR_MAX_OFF_T_VALUE % 10;

    for (value = 0; n--; line++) {
        if (*line < '0' || *line > '9') {
            return DR_ERROR;
        }
        if (value >= cutoff && (value > cutoff || *line - '0' > cutlim)) {
            return DR_ERROR;
        }
        value = value * 10 + (*line - '0');
    }

    return value;
}


time_t
dr_atotm(u_char *line, size_t n)
{
    return (time_t) dr_atoof(line, n);
}


dr_int_t
dr_hextoi(u_char *line, size_t n)
{
    u_char     c, ch;
    dr_int_t   value, cutoff;

    if (n == 0) {
        return DR_ERROR;
    }

    cutoff = DR_MAX_INT_T_VALUE / 16;

    for (value = 0; n--; line++) {
        if (value > cutoff) {
            return DR_ERROR;
        }

        ch = *line;

        if (ch >= '0' && ch <= '9') {
            value = value * 16 + (ch - '0');
            continue;
        }

        c = (u_char) (ch | 0x20);

        if (c >= 'a' && c <= 'f') {
            value = value * 16 + (c - 'a' + 10);
            continue;
        }

        return DR_ERROR;
    }

    return value;
}


u_char *
dr_hex_dump(u_char *dst, u_char *src, size_t len)
{
    static u_char  hex[] = "0123456789abcdef";

    while (len--) {
        *dst++ = hex[*src >> 4];
        *dst++ = hex[*src++ & 0xf];
    }

    return dst;
}


void
dr_encode_base64(dr_str_t *dst, dr_str_t *src)
{
    u_char         *d, *s;
    size_t          len;
    static u_char   basis[] =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    len = src->len;
    s = src->data;
    d = dst->data;

    while (len > 2) {
        *d++ = basis[(s[0] >> 2) & 0x3f];
        *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
        *d++ = basis[((s[1] & 0x0f) << 2) | (s[2] >> 6)];
        *d++ = basis[s[2] & 0x3f];
        s += 3;
        len -= 3;
    }

    if (len) {
        *d++ = basis[(s[0] >> 2) & 0x3f];

        if (len == 1) {
            *d++ = basis[(s[0] & 3) << 4];
            *d++ = '=';
        } else {
            *d++ = basis[((s[0] & 3) << 4) | (s[1] >> 4)];
            *d++ = basis[(s[1] & 0x0f) << 2];
        }

        *d++ = '=';
    }

    dst->len = d - dst->data;
}


dr_int_t
dr_decode_base64(dr_str_t *dst, dr_str_t *src)
{
    size_t   len;
    u_char  *d, *s, c;
    int      v[4], i;

    for (len = 0; len < src->len; len++) {
        if (src->data[len] == '=') {
            break;
        }
        c = src->data[len];
        if (!(isalnum(c) || c == '+' || c == '/')) {
            return DR_ERROR;
        }
    }

    if (len % 4 == 1) {
        return DR_ERROR;
    }

    s = src->data;
    d = dst->data;

    while (len) {
        for (i = 0; i < 4; i++) {
            if ((size_t) i >= len) {
                v[i] = 0;
                continue;
            }
            c = s[i];
            v[i] = (c >= 'A' && c <= 'Z') ? c - 'A'
                 : (c >= 'a' && c <= 'z') ? c - 'a' + 26
                 : (c >= '0' && c <= '9') ? c - '0' + 52
                 : (c == '+') ? 62 : 63;
        }

        *d++ = (u_char) (v[0] << 2 | v[1] >> 4);
        if (len > 2) {
            *d++ = (u_char) (v[1] << 4 | v[2] >> 2);
        }
        if (len > 3) {
            *d++ = (u_char) (v[2] << 6 | v[3]);
        }

        if (len <= 4) {
            break;
        }
        s += 4;
        len -= 4;
    }

    dst->len = d - dst->data;
    return DR_OK;
}
