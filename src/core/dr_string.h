/*
 * Strings: dr_str_t is {len, data}, never NUL-terminated except at a libc or
 * syscall boundary. dr_sprintf() and friends format nginx's way:
 *   %V dr_str_t *, %s NUL-terminated, %*s length + u_char *, %d int, %i dr_int_t,
 *   %ui dr_uint_t, %uz size_t, %z ssize_t, %O off_t, %T time_t, %M dr_msec_t,
 *   %D int32_t, %uD uint32_t, %L int64_t, %uL uint64_t, %l long, %ul unsigned
 *   long, %p pointer, %P pid_t, %c char, %xd / %Xd hex, %0Nd zero-pad, %.Nf
 *   double, %Z '\0', %N '\n', %% '%'.
 */
#ifndef DR_STRING_H_INCLUDED
#define DR_STRING_H_INCLUDED

typedef struct {
    size_t      len;
    u_char     *data;
} dr_str_t;

typedef struct {
    dr_str_t    key;
    dr_str_t    value;
} dr_keyval_t;

#define dr_string(str)     { sizeof(str) - 1, (u_char *) str }
#define dr_null_string     { 0, NULL }
#define dr_str_set(str, text)                                                 \
    (str)->len = sizeof(text) - 1; (str)->data = (u_char *) text
#define dr_str_null(str)   (str)->len = 0; (str)->data = NULL

#define dr_tolower(c)      (u_char) ((c >= 'A' && c <= 'Z') ? (c | 0x20) : c)
#define dr_toupper(c)      (u_char) ((c >= 'a' && c <= 'z') ? (c & ~0x20) : c)

#define dr_strncmp(s1, s2, n)  strncmp((const char *) s1, (const char *) s2, n)
#define dr_strcmp(s1, s2)  strcmp((const char *) s1, (const char *) s2)
#define dr_strstr(s1, s2)  strstr((const char *) s1, (const char *) s2)
#define dr_strlen(s)       strlen((const char *) s)
#define dr_strchr(s1, c)   strchr((const char *) s1, (int) c)

#define dr_memzero(buf, n)       (void) memset(buf, 0, n)
#define dr_memset(buf, c, n)     (void) memset(buf, c, n)
#define dr_memcpy(dst, src, n)   (void) memcpy(dst, src, n)
#define dr_cpymem(dst, src, n)   (((u_char *) memcpy(dst, src, n)) + (n))
#define dr_memmove(dst, src, n)  (void) memmove(dst, src, n)
#define dr_movemem(dst, src, n)  (((u_char *) memmove(dst, src, n)) + (n))
#define dr_memcmp(s1, s2, n)     memcmp((const char *) s1, (const char *) s2, n)

#define dr_str_eq(a, b)                                                       \
    ((a)->len == (b)->len && dr_memcmp((a)->data, (b)->data, (a)->len) == 0)
#define dr_str_eq_lit(a, lit)                                                 \
    ((a)->len == sizeof(lit) - 1 && dr_memcmp((a)->data, lit, (a)->len) == 0)

static inline u_char *
dr_strlchr(u_char *p, u_char *last, u_char c)
{
    while (p < last) {
        if (*p == c) {
            return p;
        }
        p++;
    }
    return NULL;
}

void dr_strlow(u_char *dst, u_char *src, size_t n);
u_char *dr_cpystrn(u_char *dst, u_char *src, size_t n);
u_char *dr_pstrdup(dr_pool_t *pool, dr_str_t *src);
/* a NUL-terminated copy of <src> in <pool> (for libc and syscalls) */
char *dr_pstrz(dr_pool_t *pool, dr_str_t *src);

u_char *dr_sprintf(u_char *buf, const char *fmt, ...);
u_char *dr_snprintf(u_char *buf, size_t max, const char *fmt, ...);
u_char *dr_slprintf(u_char *buf, u_char *last, const char *fmt, ...);
u_char *dr_vslprintf(u_char *buf, u_char *last, const char *fmt, va_list args);
#define dr_vsnprintf(buf, max, fmt, args)                                     \
    dr_vslprintf(buf, buf + (max), fmt, args)

dr_int_t dr_strcasecmp(u_char *s1, u_char *s2);
dr_int_t dr_strncasecmp(u_char *s1, u_char *s2, size_t n);
u_char *dr_strnstr(u_char *s1, char *s2, size_t n);
u_char *dr_strlcasestrn(u_char *s1, u_char *last, u_char *s2, size_t n);
dr_int_t dr_memn2cmp(u_char *s1, u_char *s2, size_t n1, size_t n2);

/* decimal/hex conversions: DR_ERROR on empty input, a non-digit or overflow */
dr_int_t dr_atoi(u_char *line, size_t n);
dr_int_t dr_atofp(u_char *line, size_t n, size_t point);
ssize_t dr_atosz(u_char *line, size_t n);
off_t dr_atoof(u_char *line, size_t n);
time_t dr_atotm(u_char *line, size_t n);
dr_int_t dr_hextoi(u_char *line, size_t n);

u_char *dr_hex_dump(u_char *dst, u_char *src, size_t len);

#define dr_base64_encoded_length(len)  (((len + 2) / 3) * 4)
#define dr_base64_decoded_length(len)  (((len + 3) / 4) * 3)
void dr_encode_base64(dr_str_t *dst, dr_str_t *src);
dr_int_t dr_decode_base64(dr_str_t *dst, dr_str_t *src);

#endif /* DR_STRING_H_INCLUDED */
