/*
 * Cached time, updated once per event loop iteration (and by signal-safe
 * callers via dr_time_update()). Strings are ready for logs and headers.
 */
#ifndef DR_TIMES_H_INCLUDED
#define DR_TIMES_H_INCLUDED

typedef struct {
    time_t      sec;
    dr_uint_t   msec;
    dr_int_t    gmtoff;
} dr_time_t;

void dr_time_init(void);
void dr_time_update(void);
/* from a signal handler: only the error log's time, no locale, no lock */
void dr_time_sigsafe_update(void);

extern volatile dr_time_t  *dr_cached_time;
extern volatile dr_str_t    dr_cached_err_log_time;     /* 1970/09/28 12:00:00 */
extern volatile dr_str_t    dr_cached_http_time;        /* Mon, 28 Sep 1970 06:00:00 GMT */
extern volatile dr_str_t    dr_cached_http_log_time;    /* 28/Sep/1970:12:00:00 +0600 */
extern volatile dr_str_t    dr_cached_http_log_iso8601; /* 1970-09-28T12:00:00+06:00 */
extern volatile dr_msec_t   dr_current_msec;            /* monotonic, milliseconds */

#define dr_time()           dr_cached_time->sec
#define dr_timeofday()      ((dr_time_t *) dr_cached_time)

u_char *dr_http_time(u_char *buf, time_t t);
void dr_gmtime(time_t t, struct tm *tp);
void dr_localtime(time_t t, struct tm *tp);
/* parses an HTTP date (RFC 1123, 850, asctime); DR_ERROR if invalid */
time_t dr_parse_http_time(u_char *value, size_t len);

#endif
