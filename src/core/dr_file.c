/* Path resolution and whole writes. */

#include "dr_core.h"


dr_int_t
dr_get_full_name(dr_pool_t *pool, dr_str_t *prefix, dr_str_t *name)
{
    size_t   len;
    u_char  *p, *n;

    if (name->len > 0 && name->data[0] == '/') {
        n = dr_pnalloc(pool, name->len + 1);
        if (n == NULL) {
            return DR_ERROR;
        }
        p = dr_cpymem(n, name->data, name->len);
        *p = '\0';
        name->data = n;
        return DR_OK;
    }

    len = prefix->len;
    if (len && prefix->data[len - 1] == '/') {
        len--;
    }

    n = dr_pnalloc(pool, len + 1 + name->len + 1);
    if (n == NULL) {
        return DR_ERROR;
    }

    p = len ? dr_cpymem(n, prefix->data, len) : n;
    *p++ = '/';
    p = name->len ? dr_cpymem(p, name->data, name->len) : p;
    *p = '\0';

    name->len = p - n;
    name->data = n;

    return DR_OK;
}


ssize_t
dr_write_fd_all(dr_fd_t fd, u_char *buf, size_t n)
{
    ssize_t  rc;
    size_t   written;

    written = 0;

    while (written < n) {
        rc = write(fd, buf + written, n - written);

        if (rc == -1) {
            if (errno == EINTR) {
                continue;
            }
            return -1;
        }

        written += rc;
    }

    return written;
}
