/* Files and paths. */
#ifndef DR_FILE_H_INCLUDED
#define DR_FILE_H_INCLUDED

struct dr_file_s {
    dr_fd_t         fd;
    dr_str_t        name;
    off_t           offset;
    dr_log_t       *log;
};

/* files that every process keeps open and USR1 reopens (logs) */
struct dr_open_file_s {
    dr_fd_t         fd;
    dr_str_t        name;       /* NUL-terminated; "stderr" is fd 2 */
    void          (*flush)(dr_open_file_t *file, dr_log_t *log);
    void           *data;
};

#define dr_path_separator(c)    ((c) == '/')

/*
 * Makes <name> absolute against <prefix> (a directory, with or without a
 * trailing slash); name->data ends up NUL-terminated in <pool>.
 */
dr_int_t dr_get_full_name(dr_pool_t *pool, dr_str_t *prefix, dr_str_t *name);

/* writes all of <buf> (retrying on EINTR and short writes) */
ssize_t dr_write_fd_all(dr_fd_t fd, u_char *buf, size_t n);

#endif
