/* errno text for log lines. */

#include "dr_core.h"


u_char *
dr_strerror(dr_err_t err, u_char *errstr, size_t size)
{
    char    buf[256];
    char   *msg;
    size_t  len;

    msg = strerror_r(err, buf, sizeof(buf));     /* the GNU variant */
    len = dr_min(strlen(msg), size);

    return dr_cpymem(errstr, msg, len);
}
