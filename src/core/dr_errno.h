#ifndef DR_ERRNO_H_INCLUDED
#define DR_ERRNO_H_INCLUDED

#define dr_errno             errno
#define dr_socket_errno      errno
#define dr_set_errno(err)    errno = err

#define DR_EPERM         EPERM
#define DR_ENOENT        ENOENT
#define DR_EINTR         EINTR
#define DR_EAGAIN        EAGAIN
#define DR_EACCES        EACCES
#define DR_EEXIST        EEXIST
#define DR_ENOTDIR       ENOTDIR
#define DR_EISDIR        EISDIR
#define DR_EINVAL        EINVAL
#define DR_EPIPE         EPIPE
#define DR_EINPROGRESS   EINPROGRESS
#define DR_EADDRINUSE    EADDRINUSE
#define DR_ECONNABORTED  ECONNABORTED
#define DR_ECONNRESET    ECONNRESET
#define DR_ENOTCONN      ENOTCONN
#define DR_ETIMEDOUT     ETIMEDOUT
#define DR_ECONNREFUSED  ECONNREFUSED
#define DR_ELOOP         ELOOP
#define DR_EMFILE        EMFILE
#define DR_ENFILE        ENFILE

/* strerror_r into a caller's buffer; returns the end of what was written */
u_char *dr_strerror(dr_err_t err, u_char *errstr, size_t size);

#endif
