/*
 * Process titles ("drover: master process /usr/sbin/drover -c ...",
 * "drover: worker process") as ps and /proc/<pid>/cmdline show them.
 *
 * Linux has no setproctitle(): the title is written over the argv area,
 * which is made longer by moving the environment strings (that follow argv
 * in memory) to the heap first (nginx's and PostgreSQL's technique).
 */

#include "dr_core.h"
#include "dr_os.h"
#include <sys/prctl.h>

extern char  **environ;

static char   *dr_os_argv_last;


dr_int_t
dr_init_setproctitle(dr_log_t *log)
{
    u_char     *p;
    size_t      size;
    dr_uint_t   i;

    size = 0;

    for (i = 0; environ[i]; i++) {
        size += dr_strlen(environ[i]) + 1;
    }

    p = malloc(size ? size : 1);
    if (p == NULL) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "malloc() failed");
        return DR_ERROR;
    }

    dr_os_argv_last = dr_os_argv[0];

    for (i = 0; dr_os_argv[i]; i++) {
        if (dr_os_argv_last == dr_os_argv[i]) {
            dr_os_argv_last = dr_os_argv[i] + dr_strlen(dr_os_argv[i]) + 1;
        }
    }

    for (i = 0; environ[i]; i++) {
        if (dr_os_argv_last == environ[i]) {

            size = dr_strlen(environ[i]) + 1;
            dr_os_argv_last = environ[i] + size;

            dr_cpystrn(p, (u_char *) environ[i], size);
            environ[i] = (char *) p;
            p += size;
        }
    }

    dr_os_argv_last--;

    return DR_OK;
}


void
dr_setproctitle(const char *title)
{
    u_char     *p, *last;
    char        comm[16];

    if (dr_os_argv_last == NULL) {
        return;
    }

    dr_os_argv[1] = NULL;

    p = dr_cpystrn((u_char *) dr_os_argv[0], (u_char *) "drover: ",
                   dr_os_argv_last - dr_os_argv[0]);

    p = dr_cpystrn(p, (u_char *) title, dr_os_argv_last - (char *) p);

    last = (u_char *) dr_os_argv_last;

    if (last > p) {
        dr_memset(p, '\0', last - p);
    }

    /* the 15-character comm that top shows */

    (void) snprintf(comm, sizeof(comm), "drover: %s", title);
    (void) prctl(PR_SET_NAME, comm, 0, 0, 0);
}
