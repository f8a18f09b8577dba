/*
 * The gzip module's shared part: its location conf and the "may this
 * response be gzipped for this client?" test, used by the gzip filter and
 * by gzip_static (in nginx the test and its directives gzip_vary,
 * gzip_http_version, gzip_proxied and gzip_disable belong to the core).
 */
#ifndef DR_HTTP_GZIP_H_INCLUDED
#define DR_HTTP_GZIP_H_INCLUDED

#include "dr_http.h"


typedef struct {
    dr_flag_t          enable;
    dr_bufs_t          bufs;
    dr_int_t           level;
    size_t             wbits;
    size_t             memlevel;
    ssize_t            min_length;

    dr_hash_t          types;
    dr_array_t        *types_keys;

    dr_flag_t          vary;
    dr_uint_t          http_version;       /* DR_HTTP_VERSION_10 or _11 */
    dr_uint_t          proxied;            /* DR_HTTP_GZIP_PROXIED_* */
    dr_array_t        *disable;            /* dr_regex_elt_t, or NULL */
    dr_flag_t          disable_msie6;
} dr_http_gzip_loc_conf_t;


/*
 * Whether the client of <r> gets gzip: an Accept-Encoding with gzip (not
 * "q=0"), gzip_http_version, gzip_disable (User-Agent) and, for a request
 * with Via (a proxy's), gzip_proxied against the response's headers.
 * Remembers the answer (r->gzip_tested, r->gzip_ok). DR_OK or DR_DECLINED.
 */
dr_int_t dr_http_gzip_ok(dr_http_request_t *r);

/*
 * Does the Accept-Encoding value <ae> accept gzip? nginx's rules: "gzip"
 * as a token ("x-gzip" does not count), with no parameter or a q value
 * above 0 (at most 3 decimals). DR_OK or DR_DECLINED.
 */
dr_int_t dr_http_gzip_accept_encoding(dr_str_t *ae);


extern dr_module_t  dr_http_gzip_filter_module;

#endif /* DR_HTTP_GZIP_H_INCLUDED */
