/*
 * The static module's file opening, shared with the other static-files
 * modules (index, autoindex, gzip_static): the `open_file_cache*` and
 * `disable_symlinks` directives live here (they are nginx core directives;
 * drover keeps them with the module that opens files).
 */
#ifndef DR_HTTP_STATIC_MODULE_H_INCLUDED
#define DR_HTTP_STATIC_MODULE_H_INCLUDED

#include "dr_http.h"
#include "dr_open_file_cache.h"


typedef struct {
    dr_open_file_cache_t      *open_file_cache;       /* NULL: off */
    time_t                     open_file_cache_valid;
    dr_uint_t                  open_file_cache_min_uses;
    dr_flag_t                  open_file_cache_errors;

    dr_uint_t                  disable_symlinks;      /* DR_DISABLE_* */
    dr_http_complex_value_t   *disable_symlinks_from;
} dr_http_static_loc_conf_t;


/*
 * Opens (or stats, with of->test_only / of->test_dir set by the caller)
 * <path> for <r> as the location's open_file_cache and disable_symlinks
 * say. <path> must be NUL-terminated (path->len without the NUL) and
 * writable (the symlink walk cuts it in place and restores it). The
 * descriptor lives as long as r->pool. DR_OK, or DR_ERROR with of->err
 * (0: no memory or an error already logged; answer 500).
 */
dr_int_t dr_http_static_open_file(dr_http_request_t *r, dr_str_t *path,
    dr_open_file_info_t *of);


extern dr_module_t  dr_http_static_module;

#endif /* DR_HTTP_STATIC_MODULE_H_INCLUDED */
