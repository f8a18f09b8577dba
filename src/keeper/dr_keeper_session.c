/*
 * Sessions: the table (a hash by id, grown by doubling) and the expiry
 * schedule (a red-black tree of deadlines), ZooKeeper's SessionTracker.
 *
 * Expiry as ZooKeeper's ExpiryQueue: a session heard from at <now> expires
 * at the first tick boundary after now + timeout (the tick grid is
 * multiples of tick_time on the monotonic clock), and the tick handler,
 * which runs on those boundaries, expires every session whose deadline
 * has come. A silent session thus dies between timeout and timeout +
 * tick_time after its last packet, whether its TCP connection is open or
 * not. Since deadlines sit on the grid, a busy session moves in the tree
 * at most once per tick, not once per request.
 *
 * Ids as ZooKeeper 3.8's standalone server makes them: the wall clock in
 * ms shifted into bits 16..55 at start, then one by one; the top byte is
 * 0, so an id never collides with the container (0x80...) or TTL (0xff...)
 * markers of ephemeralOwner. Passwords are 16 random bytes (getrandom),
 * kept in the createSession txn so that sessions survive a restart.
 *
 * Sessions are objects of k->session_pool, owned by the table; a
 * connection points at its session and the session at its current
 * connection (NULL while the client is away). Keeper process.
 */

#include "dr_keeper.h"

#if (DR_HAVE_GETRANDOM)
#include <sys/random.h>
#endif


#define DR_KEEPER_SESSIONS_MIN   256


static dr_int_t dr_keeper_session_grow(dr_keeper_t *k);
static dr_uint_t dr_keeper_session_hash(int64_t id);
static void dr_keeper_session_schedule(dr_keeper_t *k);


dr_int_t
dr_keeper_session_init(dr_keeper_t *k)
{
    uint64_t  ms;

    k->sessions = dr_calloc(DR_KEEPER_SESSIONS_MIN * sizeof(void *), k->log);
    if (k->sessions == NULL) {
        return DR_ERROR;
    }

    k->sessions_mask = DR_KEEPER_SESSIONS_MIN - 1;
    k->nsessions = 0;

    dr_rbtree_init(&k->expiry, &k->expiry_sentinel,
                   dr_rbtree_insert_timer_value);

    if (dr_objpool_init(&k->session_pool, sizeof(dr_keeper_session_t), 0,
                        k->log)
        != DR_OK)
    {
        return DR_ERROR;
    }

    k->session_pool.name = "keeper session";

    ms = (uint64_t) dr_keeper_now();

    k->next_session_id = (int64_t) ((ms << 24) >> 8);

    if (k->next_session_id == 0) {
        k->next_session_id = 1;
    }

    return DR_OK;
}


void
dr_keeper_session_done(dr_keeper_t *k)
{
    dr_uint_t             i;
    dr_keeper_session_t  *s, *next;

    if (k->sessions) {
        for (i = 0; i <= k->sessions_mask; i++) {
            for (s = k->sessions[i]; s; s = next) {
                next = s->hnext;
                dr_objpool_free(&k->session_pool, s);
            }
        }

        dr_free(k->sessions);
        k->sessions = NULL;
    }

    dr_objpool_destroy(&k->session_pool);
    k->nsessions = 0;
}


/* a 64-bit mix (the low bits of ids are a counter, the high bits time) */
static dr_uint_t
dr_keeper_session_hash(int64_t id)
{
    uint64_t  h;

    h = (uint64_t) id;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;

    return (dr_uint_t) h;
}


dr_keeper_session_t *
dr_keeper_session_find(dr_keeper_t *k, int64_t id)
{
    dr_keeper_session_t  *s;

    for (s = k->sessions[dr_keeper_session_hash(id) & k->sessions_mask];
         s;
         s = s->hnext)
    {
        if (s->id == id) {
            return s;
        }
    }

    return NULL;
}


static dr_int_t
dr_keeper_session_grow(dr_keeper_t *k)
{
    dr_uint_t              i, n, b;
    dr_keeper_session_t  **buckets, *s, *next;

    n = (k->sessions_mask + 1) * 2;

    buckets = dr_calloc(n * sizeof(void *), k->log);
    if (buckets == NULL) {
        return DR_ERROR;
    }

    for (i = 0; i <= k->sessions_mask; i++) {
        for (s = k->sessions[i]; s; s = next) {
            next = s->hnext;
            b = dr_keeper_session_hash(s->id) & (n - 1);
            s->hnext = buckets[b];
            buckets[b] = s;
        }
    }

    dr_free(k->sessions);

    k->sessions = buckets;
    k->sessions_mask = n - 1;

    return DR_OK;
}


dr_keeper_session_t *
dr_keeper_session_create(dr_keeper_t *k, int64_t id, int32_t timeout,
    const u_char *passwd)
{
    dr_uint_t             b;
    dr_keeper_session_t  *s;

    if (k->nsessions > k->sessions_mask && dr_keeper_session_grow(k) != DR_OK)
    {
        return NULL;
    }

    if (id == 0) {
        for ( ;; ) {
            id = k->next_session_id++;

            /* ephemeralOwner markers: never a session's */

            if (((uint64_t) id & DR_ZK_EPHEMERAL_TTL_MASK)
                == DR_ZK_EPHEMERAL_TTL_MASK)
            {
                k->next_session_id = 1;
                continue;
            }

            if (id != 0 && id != DR_ZK_EPHEMERAL_CONTAINER
                && dr_keeper_session_find(k, id) == NULL)
            {
                break;
            }
        }

    } else if (id >= k->next_session_id) {

        /* restored from the log or a snapshot: new ids come after it */

        k->next_session_id = id + 1;
    }

    s = dr_objpool_alloc(&k->session_pool);
    if (s == NULL) {
        return NULL;
    }

    if (passwd) {
        dr_memcpy(s->passwd, passwd, DR_ZK_PASSWD_LEN);

    } else if (dr_keeper_session_random(s->passwd, DR_ZK_PASSWD_LEN)
               != DR_OK)
    {
        dr_objpool_free(&k->session_pool, s);
        return NULL;
    }

    s->id = id;
    s->timeout = timeout;
    s->created_timeout = timeout;

    b = dr_keeper_session_hash(id) & k->sessions_mask;
    s->hnext = k->sessions[b];
    k->sessions[b] = s;
    k->nsessions++;

    dr_keeper_session_touch(k, s);

    return s;
}


void
dr_keeper_session_remove(dr_keeper_t *k, dr_keeper_session_t *s)
{
    dr_keeper_session_t  **sp;

    for (sp = &k->sessions[dr_keeper_session_hash(s->id) & k->sessions_mask];
         *sp;
         sp = &(*sp)->hnext)
    {
        if (*sp == s) {
            *sp = s->hnext;
            break;
        }
    }

    if (s->in_expiry) {
        dr_rbtree_delete(&k->expiry, &s->expiry);
    }

    if (s->conn) {
        s->conn->session = NULL;
    }

    dr_keeper_virtual_session(k, s, 1);

    k->nsessions--;

    dr_objpool_free(&k->session_pool, s);
}


/* the deadline moves to the first tick boundary after now + timeout */
void
dr_keeper_session_touch(dr_keeper_t *k, dr_keeper_session_t *s)
{
    dr_msec_t  tick, deadline;

    tick = k->conf->tick_time;
    deadline = ((dr_current_msec + (dr_msec_t) s->timeout) / tick + 1) * tick;

    if (s->in_expiry) {
        if ((dr_msec_t) s->expiry.key == deadline) {
            return;
        }

        dr_rbtree_delete(&k->expiry, &s->expiry);
    }

    s->expiry.key = (dr_rbtree_key_t) deadline;
    dr_rbtree_insert(&k->expiry, &s->expiry);
    s->in_expiry = 1;
}


int32_t
dr_keeper_session_clamp(dr_keeper_t *k, int32_t timeout)
{
    if (timeout < (int32_t) k->conf->min_session_timeout) {
        return (int32_t) k->conf->min_session_timeout;
    }

    if (timeout > (int32_t) k->conf->max_session_timeout) {
        return (int32_t) k->conf->max_session_timeout;
    }

    return timeout;
}


dr_int_t
dr_keeper_session_random(u_char *buf, size_t len)
{
    ssize_t  n;
    int      fd;

#if (DR_HAVE_GETRANDOM)

    while (len) {
        n = getrandom(buf, len, 0);

        if (n == -1) {
            if (errno == EINTR) {
                continue;
            }

            if (errno != ENOSYS) {
                return DR_ERROR;
            }

            break;
        }

        buf += n;
        len -= (size_t) n;
    }

    if (len == 0) {
        return DR_OK;
    }

#endif

    fd = open("/dev/urandom", O_RDONLY|O_CLOEXEC);
    if (fd == -1) {
        return DR_ERROR;
    }

    while (len) {
        n = read(fd, buf, len);

        if (n <= 0) {
            if (n == -1 && errno == EINTR) {
                continue;
            }

            (void) close(fd);
            return DR_ERROR;
        }

        buf += n;
        len -= (size_t) n;
    }

    (void) close(fd);

    return DR_OK;
}


/*
 * The tick: every session whose deadline has come is closed with a
 * closeSession txn (its ephemerals go, the watches on them fire), its
 * connection, if any, is closed. Then the next boundary is armed.
 */
void
dr_keeper_session_tick(dr_event_t *ev)
{
    dr_keeper_t          *k;
    dr_rbtree_node_t     *node;
    dr_keeper_session_t  *s;

    k = ev->data;

    while (!dr_rbtree_empty(&k->expiry)) {
        node = dr_rbtree_min(k->expiry.root, k->expiry.sentinel);

        if ((dr_msec_int_t) ((dr_msec_t) node->key - dr_current_msec) > 0) {
            break;
        }

        s = dr_rbtree_data(node, dr_keeper_session_t, expiry);

        dr_rbtree_delete(&k->expiry, &s->expiry);
        s->in_expiry = 0;

        dr_log_error(DR_LOG_INFO, k->log, 0,
                     "keeper: expiring session 0x%xL, timeout of %Dms "
                     "exceeded", s->id, s->timeout);

        if (dr_keeper_ops_close_session(k, s, 0, 1) != DR_OK) {
            dr_child_process_exit(k->cycle, 1);
        }
    }

    dr_keeper_session_schedule(k);
}


/* arms the tick for the next boundary of the grid */
static void
dr_keeper_session_schedule(dr_keeper_t *k)
{
    dr_msec_t  tick, next;

    tick = k->conf->tick_time;
    next = (dr_current_msec / tick + 1) * tick;

    dr_event_add_timer(&k->tick_event, next - dr_current_msec);
}


void
dr_keeper_session_start(dr_keeper_t *k)
{
    k->tick_event.handler = dr_keeper_session_tick;
    k->tick_event.data = k;
    k->tick_event.log = k->log;
    k->tick_event.cancelable = 1;

    dr_keeper_session_schedule(k);
}


void
dr_keeper_session_walk(dr_keeper_t *k, dr_keeper_session_walk_pt handler,
    void *data)
{
    dr_uint_t             i;
    dr_keeper_session_t  *s, *next;

    for (i = 0; i <= k->sessions_mask; i++) {
        for (s = k->sessions[i]; s; s = next) {
            next = s->hnext;
            handler(s, data);
        }
    }
}
