/*
 * zkload: load and latency for a ZooKeeper-compatible server through the
 * ZooKeeper C client's asynchronous API (libzookeeper-mt), the way a real
 * application drives one. tests/bench/run uses it for the keeper scenarios:
 *
 *   create  zoo_acreate of new persistent znodes, VALUE bytes each
 *   set     zoo_aset on one pre-created znode per request slot
 *   get     zoo_aget of the same znodes
 *           each with INFLIGHT requests always outstanding: a completion
 *           records its latency and issues the next request of its slot
 *   watch   two sessions: B sets a child watch on a parent, A creates a
 *           child; the latency is from A's send to B's notification. One
 *           trial at a time; the child is deleted before the next trial.
 *
 * The run is WARMUP seconds unrecorded, then SECONDS recorded. On stdout,
 * for the driver, which samples the server's CPU time at the two marks:
 *     "phase measure"   the recorded window starts
 *     "phase end"       it ends (requests still in flight are drained)
 *     "result mode=... ops=N seconds=S ops_per_s=X p50_us=... p99_us=...
 *      max_us=... errors=E [ack_p50_us=... ack_p99_us=...]"
 * A request counts when it completes inside the window; its latency is from
 * its send to its completion (CLOCK_MONOTONIC).
 *
 * usage: zkload -s HOST:PORT -m create|set|get|watch [-c INFLIGHT]
 *               [-d SECONDS] [-w WARMUP] [-z VALUE]
 */

#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define THREADED  1            /* the synchronous calls of zookeeper_mt */
#include <zookeeper/zookeeper.h>

typedef struct {
    uint64_t  *v;
    size_t     n;
    size_t     cap;
} zkl_lat_t;

typedef struct {
    int        index;
    uint64_t   t0;
} zkl_slot_t;

static zhandle_t        *zkl_zh;
static const char       *zkl_mode;
static char             *zkl_value;
static int               zkl_value_len;
static char              zkl_prefix[64];

static uint64_t          zkl_measure_at;      /* ns, window start */
static uint64_t          zkl_end_at;          /* ns, window end */
static int               zkl_stop;            /* atomic: issue no more */
static int               zkl_inflight;        /* atomic */
static uint64_t          zkl_seq;             /* create counter */
static uint64_t          zkl_ops;
static uint64_t          zkl_errors;
static int               zkl_first_error;
static zkl_lat_t         zkl_lat;
static zkl_lat_t         zkl_ack;

static pthread_mutex_t   zkl_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t    zkl_cv = PTHREAD_COND_INITIALIZER;
static int               zkl_connected[2];
static uint64_t          zkl_watch_at;        /* watch: notification time */
static uint64_t          zkl_ack_at;          /* watch: create reply time */
static int               zkl_ack_rc;

static void zkl_issue(zkl_slot_t *s);


static uint64_t
zkl_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000u + (uint64_t) ts.tv_nsec;
}


static void
zkl_lat_add(zkl_lat_t *l, uint64_t ns)
{
    uint64_t  *nv;

    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 65536;
        nv = realloc(l->v, l->cap * sizeof(uint64_t));
        if (nv == NULL) {
            fprintf(stderr, "zkload: out of memory\n");
            exit(1);
        }
        l->v = nv;
    }

    l->v[l->n++] = ns;
}


static int
zkl_cmp(const void *a, const void *b)
{
    uint64_t  x = *(const uint64_t *) a, y = *(const uint64_t *) b;

    return x < y ? -1 : x > y;
}


/* the q-th percentile (nearest rank) in microseconds; l sorted */

static double
zkl_pct(zkl_lat_t *l, double q)
{
    size_t  rank;

    if (l->n == 0) {
        return 0;
    }

    rank = (size_t) (q / 100.0 * (double) l->n + 0.999999);
    if (rank < 1) {
        rank = 1;
    }
    if (rank > l->n) {
        rank = l->n;
    }

    return (double) l->v[rank - 1] / 1000.0;
}


static void
zkl_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    int  which = (int) (intptr_t) ctx;

    if (type != ZOO_SESSION_EVENT) {
        return;
    }

    pthread_mutex_lock(&zkl_mu);
    if (state == ZOO_CONNECTED_STATE) {
        zkl_connected[which] = 1;
    } else if (state == ZOO_EXPIRED_SESSION_STATE
               || state == ZOO_AUTH_FAILED_STATE)
    {
        zkl_connected[which] = -1;
    }
    pthread_cond_broadcast(&zkl_cv);
    pthread_mutex_unlock(&zkl_mu);
}


/* a completion of slot s with result rc: record, then issue the next */

static void
zkl_complete(zkl_slot_t *s, int rc)
{
    uint64_t  now = zkl_now();

    if (now >= zkl_measure_at && now < zkl_end_at) {
        if (rc == ZOK) {
            zkl_ops++;
            zkl_lat_add(&zkl_lat, now - s->t0);
        } else {
            if (zkl_errors++ == 0) {
                zkl_first_error = rc;
            }
        }
    }

    if (now >= zkl_end_at) {
        __atomic_store_n(&zkl_stop, 1, __ATOMIC_RELAXED);
    }

    if (__atomic_load_n(&zkl_stop, __ATOMIC_RELAXED)) {
        pthread_mutex_lock(&zkl_mu);
        zkl_inflight--;
        pthread_cond_broadcast(&zkl_cv);
        pthread_mutex_unlock(&zkl_mu);
        return;
    }

    zkl_issue(s);
}


static void
zkl_string_done(int rc, const char *value, const void *data)
{
    zkl_complete((zkl_slot_t *) data, rc);
}


static void
zkl_stat_done(int rc, const struct Stat *stat, const void *data)
{
    zkl_complete((zkl_slot_t *) data, rc);
}


static void
zkl_data_done(int rc, const char *value, int len, const struct Stat *stat,
    const void *data)
{
    if (rc == ZOK && len != zkl_value_len) {
        rc = ZRUNTIMEINCONSISTENCY;
    }

    zkl_complete((zkl_slot_t *) data, rc);
}


static void
zkl_issue(zkl_slot_t *s)
{
    int   rc;
    char  path[128];

    s->t0 = zkl_now();

    if (strcmp(zkl_mode, "create") == 0) {
        snprintf(path, sizeof(path), "/zkload/%s-c%llu", zkl_prefix,
                 (unsigned long long) __atomic_fetch_add(&zkl_seq, 1,
                                                         __ATOMIC_RELAXED));
        rc = zoo_acreate(zkl_zh, path, zkl_value, zkl_value_len,
                         &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                         zkl_string_done, s);

    } else {
        snprintf(path, sizeof(path), "/zkload/%s-k%d", zkl_prefix, s->index);

        if (strcmp(zkl_mode, "set") == 0) {
            rc = zoo_aset(zkl_zh, path, zkl_value, zkl_value_len, -1,
                          zkl_stat_done, s);
        } else {
            rc = zoo_aget(zkl_zh, path, 0, zkl_data_done, s);
        }
    }

    if (rc != ZOK) {
        fprintf(stderr, "zkload: %s: %s\n", zkl_mode, zerror(rc));
        exit(1);
    }
}


static zhandle_t *
zkl_connect(const char *host, int which)
{
    zhandle_t        *zh;
    struct timespec   ts;

    zh = zookeeper_init(host, zkl_watcher, 30000, NULL,
                        (void *) (intptr_t) which, 0);
    if (zh == NULL) {
        fprintf(stderr, "zkload: zookeeper_init: %s\n", strerror(errno));
        exit(1);
    }

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 10;

    pthread_mutex_lock(&zkl_mu);
    while (zkl_connected[which] == 0) {
        if (pthread_cond_timedwait(&zkl_cv, &zkl_mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    pthread_mutex_unlock(&zkl_mu);

    if (zkl_connected[which] != 1) {
        fprintf(stderr, "zkload: could not connect to %s\n", host);
        exit(1);
    }

    return zh;
}


static void
zkl_mkdir(zhandle_t *zh, const char *path)
{
    int  rc;

    rc = zoo_create(zh, path, NULL, -1, &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT,
                    NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
        fprintf(stderr, "zkload: create %s: %s\n", path, zerror(rc));
        exit(1);
    }
}


static void
zkl_watch_fired(zhandle_t *zh, int type, int state, const char *path,
    void *ctx)
{
    uint64_t  now = zkl_now();

    if (type != ZOO_CHILD_EVENT) {
        return;
    }

    pthread_mutex_lock(&zkl_mu);
    zkl_watch_at = now;
    pthread_cond_broadcast(&zkl_cv);
    pthread_mutex_unlock(&zkl_mu);
}


static void
zkl_watch_ack(int rc, const char *value, const void *data)
{
    uint64_t  now = zkl_now();

    pthread_mutex_lock(&zkl_mu);
    zkl_ack_at = now;
    zkl_ack_rc = rc;
    pthread_cond_broadcast(&zkl_cv);
    pthread_mutex_unlock(&zkl_mu);
}


/* one watch trial; returns 0 and the latencies, or -1 on a timeout/error */

static int
zkl_watch_trial(zhandle_t *a, zhandle_t *b, const char *parent,
    uint64_t *lat, uint64_t *ack)
{
    int                     rc;
    char                    path[160];
    uint64_t                t0;
    struct timespec         ts;
    struct String_vector    sv;

    snprintf(path, sizeof(path), "%s/n", parent);

    memset(&sv, 0, sizeof(sv));
    rc = zoo_wget_children(b, parent, zkl_watch_fired, NULL, &sv);
    if (rc != ZOK) {
        fprintf(stderr, "zkload: getChildren %s: %s\n", parent, zerror(rc));
        return -1;
    }
    deallocate_String_vector(&sv);

    pthread_mutex_lock(&zkl_mu);
    zkl_watch_at = 0;
    zkl_ack_at = 0;
    pthread_mutex_unlock(&zkl_mu);

    t0 = zkl_now();
    rc = zoo_acreate(a, path, zkl_value, zkl_value_len, &ZOO_OPEN_ACL_UNSAFE,
                     ZOO_PERSISTENT, zkl_watch_ack, NULL);
    if (rc != ZOK) {
        fprintf(stderr, "zkload: create %s: %s\n", path, zerror(rc));
        return -1;
    }

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += 5;

    pthread_mutex_lock(&zkl_mu);
    while (zkl_watch_at == 0 || zkl_ack_at == 0) {
        if (pthread_cond_timedwait(&zkl_cv, &zkl_mu, &ts) == ETIMEDOUT) {
            break;
        }
    }
    rc = (zkl_watch_at && zkl_ack_at && zkl_ack_rc == ZOK) ? 0 : -1;
    *lat = zkl_watch_at - t0;
    *ack = zkl_ack_at - t0;
    pthread_mutex_unlock(&zkl_mu);

    if (rc != 0) {
        fprintf(stderr, "zkload: watch trial: no notification or reply "
                "within 5 s (create rc %d)\n", zkl_ack_rc);
        return -1;
    }

    rc = zoo_delete(a, path, -1);
    if (rc != ZOK) {
        fprintf(stderr, "zkload: delete %s: %s\n", path, zerror(rc));
        return -1;
    }

    return 0;
}


static void
zkl_phase(const char *what)
{
    printf("phase %s\n", what);
    fflush(stdout);
}


int
main(int argc, char **argv)
{
    int               opt, inflight, i;
    double            seconds, warmup;
    char             *host, parent[96];
    uint64_t          now, lat, ack;
    zhandle_t        *zb;
    zkl_slot_t       *slots;
    struct timespec   ts;

    host = NULL;
    zkl_mode = "get";
    inflight = 100;
    seconds = 5;
    warmup = 0;
    zkl_value_len = 100;

    while ((opt = getopt(argc, argv, "s:m:c:d:w:z:")) != -1) {
        switch (opt) {
        case 's': host = optarg; break;
        case 'm': zkl_mode = optarg; break;
        case 'c': inflight = atoi(optarg); break;
        case 'd': seconds = atof(optarg); break;
        case 'w': warmup = atof(optarg); break;
        case 'z': zkl_value_len = atoi(optarg); break;
        default:
            goto usage;
        }
    }

    if (host == NULL || inflight <= 0 || seconds <= 0 || warmup < 0
        || zkl_value_len < 0
        || (strcmp(zkl_mode, "create") != 0 && strcmp(zkl_mode, "set") != 0
            && strcmp(zkl_mode, "get") != 0 && strcmp(zkl_mode, "watch") != 0))
    {
        goto usage;
    }

    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);

    zkl_value = malloc((size_t) zkl_value_len + 1);
    if (zkl_value == NULL) {
        return 1;
    }
    memset(zkl_value, 'v', (size_t) zkl_value_len);

    snprintf(zkl_prefix, sizeof(zkl_prefix), "%ld", (long) getpid());

    zkl_zh = zkl_connect(host, 0);
    zkl_mkdir(zkl_zh, "/zkload");

    if (strcmp(zkl_mode, "watch") == 0) {
        zb = zkl_connect(host, 1);
        snprintf(parent, sizeof(parent), "/zkload/%s-w", zkl_prefix);
        zkl_mkdir(zkl_zh, parent);

        now = zkl_now();
        zkl_measure_at = now + (uint64_t) (warmup * 1e9);
        zkl_end_at = zkl_measure_at + (uint64_t) (seconds * 1e9);
        i = 0;     /* 1 once the recorded window has started */

        for ( ;; ) {
            now = zkl_now();
            if (now >= zkl_end_at) {
                break;
            }

            if (!i && now >= zkl_measure_at) {
                zkl_phase("measure");
                i = 1;
            }

            if (zkl_watch_trial(zkl_zh, zb, parent, &lat, &ack) != 0) {
                zkl_errors++;
                break;
            }

            if (i) {
                zkl_ops++;
                zkl_lat_add(&zkl_lat, lat);
                zkl_lat_add(&zkl_ack, ack);
            }
        }

        zkl_phase("end");
        zookeeper_close(zb);

    } else {
        slots = calloc((size_t) inflight, sizeof(zkl_slot_t));
        if (slots == NULL) {
            return 1;
        }

        for (i = 0; i < inflight; i++) {
            slots[i].index = i;

            if (strcmp(zkl_mode, "create") != 0) {
                char  path[128];
                int   rc;

                snprintf(path, sizeof(path), "/zkload/%s-k%d", zkl_prefix, i);
                rc = zoo_create(zkl_zh, path, zkl_value, zkl_value_len,
                                &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT, NULL, 0);
                if (rc != ZOK) {
                    fprintf(stderr, "zkload: create %s: %s\n", path,
                            zerror(rc));
                    return 1;
                }
            }
        }

        now = zkl_now();
        zkl_measure_at = now + (uint64_t) (warmup * 1e9);
        zkl_end_at = zkl_measure_at + (uint64_t) (seconds * 1e9);
        zkl_inflight = inflight;

        for (i = 0; i < inflight; i++) {
            zkl_issue(&slots[i]);
        }

        if (warmup > 0) {
            ts.tv_sec = (time_t) warmup;
            ts.tv_nsec = (long) ((warmup - (double) ts.tv_sec) * 1e9);
            while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
                /* the rest of the sleep */
            }
        }

        zkl_phase("measure");

        ts.tv_sec = (time_t) seconds;
        ts.tv_nsec = (long) ((seconds - (double) ts.tv_sec) * 1e9);
        while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {
            /* the rest of the sleep */
        }

        zkl_phase("end");

        __atomic_store_n(&zkl_stop, 1, __ATOMIC_RELAXED);

        clock_gettime(CLOCK_REALTIME, &ts);
        ts.tv_sec += 30;

        pthread_mutex_lock(&zkl_mu);
        while (zkl_inflight > 0) {
            if (pthread_cond_timedwait(&zkl_cv, &zkl_mu, &ts) == ETIMEDOUT) {
                fprintf(stderr, "zkload: %d requests never completed\n",
                        zkl_inflight);
                zkl_errors += (uint64_t) zkl_inflight;
                break;
            }
        }
        pthread_mutex_unlock(&zkl_mu);
    }

    qsort(zkl_lat.v, zkl_lat.n, sizeof(uint64_t), zkl_cmp);
    qsort(zkl_ack.v, zkl_ack.n, sizeof(uint64_t), zkl_cmp);

    printf("result mode=%s ops=%llu seconds=%.3f ops_per_s=%.1f "
           "p50_us=%.1f p99_us=%.1f max_us=%.1f errors=%llu",
           zkl_mode, (unsigned long long) zkl_ops, seconds,
           (double) zkl_ops / seconds, zkl_pct(&zkl_lat, 50),
           zkl_pct(&zkl_lat, 99), zkl_pct(&zkl_lat, 100),
           (unsigned long long) zkl_errors);

    if (zkl_ack.n) {
        printf(" ack_p50_us=%.1f ack_p99_us=%.1f", zkl_pct(&zkl_ack, 50),
               zkl_pct(&zkl_ack, 99));
    }

    if (zkl_errors) {
        printf(" first_error=%s", zerror(zkl_first_error));
    }

    printf("\n");
    fflush(stdout);

    zookeeper_close(zkl_zh);

    return zkl_errors && zkl_ops == 0 ? 1 : 0;

usage:

    fprintf(stderr, "usage: zkload -s HOST:PORT -m create|set|get|watch "
            "[-c INFLIGHT] [-d SECONDS] [-w WARMUP] [-z VALUE]\n");
    return 2;
}
