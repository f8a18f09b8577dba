/*
 * drover: system headers and the basic integer types.
 *
 * Everything in drover includes this first (through dr_core.h). The build
 * writes objs/dr_auto_config.h (configure's probes, paths, version) and this
 * file pulls it in; nothing here depends on anything else of drover.
 */

#ifndef DR_CONFIG_H_INCLUDED
#define DR_CONFIG_H_INCLUDED

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "dr_auto_config.h"

#include <sys/types.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <sys/resource.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <netdb.h>
#include <unistd.h>
#include <stddef.h>
#include <stdint.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <time.h>
#include <glob.h>
#include <pwd.h>
#include <grp.h>
#include <dirent.h>
#include <ctype.h>

typedef intptr_t        dr_int_t;
typedef uintptr_t       dr_uint_t;
typedef intptr_t        dr_flag_t;
typedef unsigned char   u_char;
typedef int             dr_err_t;
typedef int             dr_fd_t;
typedef int             dr_socket_t;
typedef int64_t         dr_msec_int_t;
typedef uint64_t        dr_msec_t;

#define DR_INT_T_LEN    (sizeof("-9223372036854775808") - 1)
#define DR_MAX_INT_T_VALUE   INTPTR_MAX
#define DR_MAX_UINT32_VALUE  0xffffffffU
#define DR_MAX_OFF_T_VALUE   INT64_MAX
#define DR_MAX_SIZE_T_VALUE  SIZE_MAX
#define DR_OFF_T_LEN    DR_INT_T_LEN
#define DR_TIME_T_LEN   DR_INT_T_LEN

#define DR_ALIGNMENT    sizeof(unsigned long)
#define dr_align(d, a)     (((d) + (a - 1)) & ~(a - 1))
#define dr_align_ptr(p, a)                                                    \
    (u_char *) (((uintptr_t) (p) + ((uintptr_t) a - 1)) & ~((uintptr_t) a - 1))

#define DR_INVALID_FILE  -1
#define DR_FILE_ERROR    -1
#define DR_INVALID_PID   -1

#define dr_abs(value)       (((value) >= 0) ? (value) : - (value))
#define dr_max(val1, val2)  ((val1 < val2) ? (val2) : (val1))
#define dr_min(val1, val2)  ((val1 > val2) ? (val2) : (val1))
#define dr_nelems(a)        (sizeof(a) / sizeof((a)[0]))

#define dr_likely(x)        __builtin_expect(!!(x), 1)
#define dr_unlikely(x)      __builtin_expect(!!(x), 0)

#define DR_LINEFEED      "\x0a"
#define LF      (u_char) '\n'
#define CR      (u_char) '\r'
#define CRLF    "\r\n"

#endif /* DR_CONFIG_H_INCLUDED */
