/*
 * Cached time. The event loop calls dr_time_update() once per iteration, so
 * a request handler reads the time without a syscall. Strings are kept in
 * slots that rotate, so a reader in a signal handler (or a log line being
 * formatted while the time updates) never sees a half-written string: a
 * single process, but signal handlers may update the time (nginx's scheme).
 * dr_current_msec is monotonic (timers); dr_cached_time is wall clock.
 */

#include "dr_core.h"

#define DR_TIME_SLOTS   64

static dr_uint_t        slot;
static volatile int     dr_time_lock;

volatile dr_msec_t      dr_current_msec;
volatile dr_time_t     *dr_cached_time;
volatile dr_str_t       dr_cached_err_log_time;
volatile dr_str_t       dr_cached_http_time;
volatile dr_str_t       dr_cached_http_log_time;
volatile dr_str_t       dr_cached_http_log_iso8601;

static dr_time_t        cached_time[DR_TIME_SLOTS];
static u_char           cached_err_log_time[DR_TIME_SLOTS]
                                    [sizeof("1970/09/28 12:00:00")];
static u_char           cached_http_time[DR_TIME_SLOTS]
                                    [sizeof("Mon, 28 Sep 1970 06:00:00 GMT")];
static u_char           cached_http_log_time[DR_TIME_SLOTS]
                                    [sizeof("28/Sep/1970:12:00:00 +0600")];
static u_char           cached_http_log_iso8601[DR_TIME_SLOTS]
                                    [sizeof("1970-09-28T12:00:00+06:00")];

static char  *week[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
static char  *months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };


void
dr_time_init(void)
{
    dr_cached_err_log_time.len = sizeof("1970/09/28 12:00:00") - 1;
    dr_cached_http_time.len = sizeof("Mon, 28 Sep 1970 06:00:00 GMT") - 1;
    dr_cached_http_log_time.len = sizeof("28/Sep/1970:12:00:00 +0600") - 1;
    dr_cached_http_log_iso8601.len = sizeof("1970-09-28T12:00:00+06:00") - 1;

    dr_cached_time = &cached_time[0];

    dr_time_update();
}


void
dr_time_update(void)
{
    u_char          *p0, *p1, *p2, *p3;
    dr_time_t       *tp;
    struct tm        tm, gmt;
    time_t           sec;
    dr_uint_t        msec;
    dr_int_t         off;
    struct timeval   tv;
    struct timespec  ts;

    if (!__sync_bool_compare_and_swap(&dr_time_lock, 0, 1)) {
        return;
    }

    gettimeofday(&tv, NULL);
    sec = tv.tv_sec;
    msec = tv.tv_usec / 1000;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    dr_current_msec = (dr_msec_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;

    tp = &cached_time[slot];

    if (tp->sec == sec) {
        tp->msec = msec;
        __sync_lock_release(&dr_time_lock);
        return;
    }

    slot = (slot == DR_TIME_SLOTS - 1) ? 0 : slot + 1;

    tp = &cached_time[slot];
    tp->sec = sec;
    tp->msec = msec;

    dr_gmtime(sec, &gmt);

    p0 = &cached_http_time[slot][0];
    (void) dr_sprintf(p0, "%s, %02d %s %4d %02d:%02d:%02d GMT",
                      week[gmt.tm_wday], gmt.tm_mday, months[gmt.tm_mon],
                      gmt.tm_year + 1900, gmt.tm_hour, gmt.tm_min,
                      gmt.tm_sec);

    dr_localtime(sec, &tm);
    off = tm.tm_gmtoff / 60;
    tp->gmtoff = off;

    p1 = &cached_err_log_time[slot][0];
    (void) dr_sprintf(p1, "%4d/%02d/%02d %02d:%02d:%02d",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);

    p2 = &cached_http_log_time[slot][0];
    (void) dr_sprintf(p2, "%02d/%s/%d:%02d:%02d:%02d %c%02i%02i",
                      tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
                      tm.tm_hour, tm.tm_min, tm.tm_sec,
                      off < 0 ? '-' : '+', dr_abs(off) / 60, dr_abs(off) % 60);

    p3 = &cached_http_log_iso8601[slot][0];
    (void) dr_sprintf(p3, "%4d-%02d-%02dT%02d:%02d:%02d%c%02i:%02i",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec,
                      off < 0 ? '-' : '+', dr_abs(off) / 60, dr_abs(off) % 60);

    __sync_synchronize();

    dr_cached_time = tp;
    dr_cached_http_time.data = p0;
    dr_cached_err_log_time.data = p1;
    dr_cached_http_log_time.data = p2;
    dr_cached_http_log_iso8601.data = p3;

    __sync_lock_release(&dr_time_lock);
}


/*
 * The error log's time for a line written from a signal handler (nginx's
 * ngx_time_sigsafe_update): the local offset cached by the last full
 * update, gmtime_r() arithmetic only; localtime_r() may lock.
 */
void
dr_time_sigsafe_update(void)
{
    u_char          *p;
    dr_time_t       *tp;
    struct tm        tm;
    struct timeval   tv;

    if (!__sync_bool_compare_and_swap(&dr_time_lock, 0, 1)) {
        return;
    }

    gettimeofday(&tv, NULL);

    tp = &cached_time[slot];

    if (tp->sec == tv.tv_sec) {
        __sync_lock_release(&dr_time_lock);
        return;
    }

    slot = (slot == DR_TIME_SLOTS - 1) ? 0 : slot + 1;

    tp = &cached_time[slot];
    tp->sec = 0;        /* the next full update rewrites every string */
    tp->gmtoff = cached_time[slot ? slot - 1 : DR_TIME_SLOTS - 1].gmtoff;

    dr_gmtime(tv.tv_sec + tp->gmtoff * 60, &tm);

    p = &cached_err_log_time[slot][0];
    (void) dr_sprintf(p, "%4d/%02d/%02d %02d:%02d:%02d",
                      tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                      tm.tm_hour, tm.tm_min, tm.tm_sec);

    __sync_synchronize();

    dr_cached_err_log_time.data = p;

    __sync_lock_release(&dr_time_lock);
}


u_char *
dr_http_time(u_char *buf, time_t t)
{
    struct tm  tm;

    dr_gmtime(t, &tm);

    return dr_sprintf(buf, "%s, %02d %s %4d %02d:%02d:%02d GMT",
                      week[tm.tm_wday], tm.tm_mday, months[tm.tm_mon],
                      tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}


void
dr_gmtime(time_t t, struct tm *tp)
{
    (void) gmtime_r(&t, tp);
}


void
dr_localtime(time_t t, struct tm *tp)
{
    (void) localtime_r(&t, tp);
}


static dr_int_t
dr_times_month(u_char *p)
{
    dr_uint_t  i;

    for (i = 0; i < 12; i++) {
        if (dr_memcmp(p, months[i], 3) == 0) {
            return i;
        }
    }

    return -1;
}


static dr_int_t
dr_times_num(u_char *p, dr_uint_t n)
{
    dr_int_t  v;

    for (v = 0; n; n--, p++) {
        if (*p < '0' || *p > '9') {
            return -1;
        }
        v = v * 10 + (*p - '0');
    }

    return v;
}


time_t
dr_parse_http_time(u_char *value, size_t len)
{
    u_char     *p, *end;
    dr_int_t    day, month, year, hour, min, sec;
    struct tm   tm;

    p = value;
    end = value + len;

    /* skip the weekday: "Sun, ", "Sunday, " or "Sun " */
    while (p < end && *p != ',' && *p != ' ') {
        p++;
    }

    if (p < end && *p == ',') {
        p++;
        if (p == end || *p != ' ') {
            return DR_ERROR;
        }
        p++;

        if (end - p == 24 && p[2] == ' ') {
            /* RFC 1123: "06 Nov 1994 08:49:37 GMT" */
            day = dr_times_num(p, 2);
            month = dr_times_month(p + 3);
            year = p[6] == ' ' ? dr_times_num(p + 7, 4) : -1;
            p += 12;

        } else if (end - p == 22 && p[2] == '-') {
            /* RFC 850: "06-Nov-94 08:49:37 GMT" */
            day = dr_times_num(p, 2);
            month = dr_times_month(p + 3);
            year = p[6] == '-' ? dr_times_num(p + 7, 2) : -1;
            if (year >= 0) {
                year += (year < 70) ? 2000 : 1900;
            }
            p += 10;

        } else {
            return DR_ERROR;
        }

        if (end - p != 12 || dr_memcmp(p + 8, " GMT", 4) != 0) {
            return DR_ERROR;
        }

    } else if (p < end && end - p == 21) {
        /* asctime: "Sun Nov  6 08:49:37 1994" */
        p++;
        month = dr_times_month(p);
        day = p[4] == ' ' ? dr_times_num(p + 5, 1) : dr_times_num(p + 4, 2);
        year = dr_times_num(p + 16, 4);
        if (p[3] != ' ' || p[6] != ' ' || p[15] != ' ') {
            return DR_ERROR;
        }
        p += 7;

    } else {
        return DR_ERROR;
    }

    if (p[2] != ':' || p[5] != ':') {
        return DR_ERROR;
    }

    hour = dr_times_num(p, 2);
    min = dr_times_num(p + 3, 2);
    sec = dr_times_num(p + 6, 2);

    if (day < 1 || day > 31 || month < 0 || year < 1970 || hour < 0
        || hour > 23 || min < 0 || min > 59 || sec < 0 || sec > 60)
    {
        return DR_ERROR;
    }

    dr_memzero(&tm, sizeof(tm));
    tm.tm_year = year - 1900;
    tm.tm_mon = month;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = min;
    tm.tm_sec = sec;

    return timegm(&tm);
}
