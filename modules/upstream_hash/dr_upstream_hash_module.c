/*
 * `hash key [consistent]` in an upstream{} block (nginx's hash module).
 *
 * Plain: crc32 of the key picks a point of the weighted line of primaries
 * (Cache::Memcached's formula); an unusable peer makes it rehash
 * ("<n><key>"), up to 20 times, then round-robin takes over.
 *
 * Consistent (ketama): each peer puts 160 points per weight unit on a
 * ring of crc32 hashes of its name ("host\0port" then the previous
 * point's hash, as nginx), and a key goes to the first point at or after
 * its hash; an unusable peer moves it to the next point. Adding or
 * removing one of N peers moves about 1/N of the keys.
 *
 * The ring (and the line) are derived from the peer table; a worker
 * rebuilds its own copy, in its heap, whenever the table's generation
 * changes (discovery), so the table in the zone stays as small as the
 * peers. Workers, per attempt.
 */

#include "dr_http_upstream.h"
#include "dr_upstream_round_robin.h"


#define DR_UPSTREAM_HASH_POINTS  160
#define DR_UPSTREAM_HASH_TRIES   20


typedef struct {
    uint32_t                   hash;
    dr_uint_t                  peer;       /* index in the table */
} dr_upstream_hash_point_t;

typedef struct {
    dr_http_complex_value_t    key;
    dr_uint_t                  consistent;

    /* this worker's ring, for the table of <generation> */
    dr_uint_t                  generation;
    dr_upstream_hash_point_t  *points;
    dr_uint_t                  npoints;
} dr_upstream_hash_conf_t;

typedef struct {
    dr_upstream_rr_peer_data_t    *rrp;
    dr_upstream_hash_conf_t       *conf;
    dr_str_t                       key;
    dr_uint_t                      tries;
    dr_uint_t                      rehash;
    uint32_t                       hash;
} dr_upstream_hash_peer_data_t;


static char *dr_upstream_hash(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static dr_int_t dr_upstream_hash_init_pool(dr_conf_t *cf,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_hash_init_peer(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us);
static dr_int_t dr_upstream_hash_init_peer_key(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us, dr_str_t *key);
static dr_int_t dr_upstream_hash_get(dr_peer_connection_t *pc, void *data);
static dr_int_t dr_upstream_chash_get(dr_peer_connection_t *pc, void *data);
static dr_int_t dr_upstream_hash_ring(dr_upstream_hash_conf_t *hcf,
    dr_upstream_ztable_t *t);
static dr_uint_t dr_upstream_hash_find_point(dr_upstream_hash_conf_t *hcf,
    uint32_t hash);
static int dr_upstream_hash_cmp_points(const void *one, const void *two);
static uint32_t dr_upstream_hash_crc32_update(uint32_t crc, u_char *p,
    size_t len);
static uint32_t dr_upstream_hash_crc32(u_char *p, size_t len);
static void dr_upstream_hash_free(dr_peer_connection_t *pc, void *data,
    dr_uint_t state);


static uint32_t  dr_upstream_hash_crc32_table[256];


static dr_command_t  dr_upstream_hash_commands[] = {

    { dr_string("hash"),
      DR_HTTP_UPS_CONF|DR_CONF_TAKE12,
      dr_upstream_hash,
      0,
      0,
      NULL },

    dr_null_command
};


static dr_http_module_t  dr_upstream_hash_module_ctx = {
    .preconfiguration = NULL,
};


dr_module_t  dr_upstream_hash_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "upstream_hash",
    .type = DR_HTTP_MODULE,
    .ctx = &dr_upstream_hash_module_ctx,
    .commands = dr_upstream_hash_commands,
};


static dr_int_t
dr_upstream_hash_init_pool(dr_conf_t *cf, dr_upstream_conf_t *us)
{
    uint32_t   c;
    dr_uint_t  i, k;

    for (i = 0; i < 256; i++) {
        c = (uint32_t) i;

        for (k = 0; k < 8; k++) {
            c = (c & 1) ? 0xedb88320 ^ (c >> 1) : c >> 1;
        }

        dr_upstream_hash_crc32_table[i] = c;
    }

    us->init_peer = dr_upstream_hash_init_peer;

    return DR_OK;
}


static dr_int_t
dr_upstream_hash_init_peer(dr_upstream_pick_t *pk, dr_upstream_conf_t *us)
{
    dr_str_t                  key;
    dr_upstream_hash_conf_t  *hcf = us->balancer_data;

    if (dr_http_complex_value(pk->request, &hcf->key, &key) != DR_OK) {
        return DR_ERROR;
    }

    return dr_upstream_hash_init_peer_key(pk, us, &key);
}


/* init_peer once the key is known (the unit tests start here) */
static dr_int_t
dr_upstream_hash_init_peer_key(dr_upstream_pick_t *pk,
    dr_upstream_conf_t *us, dr_str_t *key)
{
    dr_upstream_hash_conf_t       *hcf = us->balancer_data;
    dr_upstream_hash_peer_data_t  *hp;

    hp = dr_pcalloc(pk->pool, sizeof(dr_upstream_hash_peer_data_t));
    if (hp == NULL) {
        return DR_ERROR;
    }

    hp->rrp = dr_upstream_rr_create(pk, us);
    if (hp->rrp == NULL) {
        return DR_ERROR;
    }

    hp->conf = hcf;
    hp->key = *key;

    dr_log_debug(pk->log, "upstream hash key: \"%V\"", key);

    pk->pc->get = hcf->consistent ? dr_upstream_chash_get
                                  : dr_upstream_hash_get;
    pk->pc->free = dr_upstream_hash_free;
    pk->pc->data = hp;

    return DR_OK;
}


static dr_int_t
dr_upstream_hash_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_hash_peer_data_t  *hp = data;

    u_char                 buf[DR_INT_T_LEN];
    size_t                 size;
    uint32_t               hash;
    dr_int_t               w;
    dr_uint_t              p;
    dr_msec_t              now;
    dr_upstream_ztable_t  *t;

    t = dr_upstream_rr_sync(hp->rrp);
    if (t == NULL) {
        return DR_ERROR;
    }

    if (hp->tries > DR_UPSTREAM_HASH_TRIES || t->nprimary < 2
        || hp->key.len == 0)
    {
        return dr_upstream_rr_get(pc, hp->rrp);
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = dr_current_msec;

    dr_upstream_rr_lock(hp->rrp->uz);

    for ( ;; ) {

        /*
         * Cache::Memcached's: ((crc32([REHASH] KEY) >> 16) & 0x7fff)
         * + PREV_HASH, with REHASH left out the first time
         */

        hash = 0xffffffff;

        if (hp->rehash > 0) {
            size = dr_sprintf(buf, "%ui", hp->rehash) - buf;
            hash = dr_upstream_hash_crc32_update(hash, buf, size);
        }

        hash = dr_upstream_hash_crc32_update(hash, hp->key.data, hp->key.len);
        hash ^= 0xffffffff;

        hash = (hash >> 16) & 0x7fff;

        hp->hash += hash;
        hp->rehash++;

        w = (dr_int_t) (hp->hash % (uint32_t) t->total_weight);
        p = 0;

        while (w >= t->peers[p].weight) {
            w -= t->peers[p].weight;
            p++;
        }

        if (!dr_upstream_rr_tried(hp->rrp, p)
            && dr_upstream_rr_usable(&t->peers[p], now, 0))
        {
            break;
        }

        if (++hp->tries > DR_UPSTREAM_HASH_TRIES) {
            dr_upstream_rr_unlock(hp->rrp->uz);
            return dr_upstream_rr_get(pc, hp->rrp);
        }
    }

    if (dr_upstream_rr_take(hp->rrp, t, p, pc, now) != DR_OK) {
        dr_upstream_rr_unlock(hp->rrp->uz);
        return DR_ERROR;
    }

    dr_upstream_rr_unlock(hp->rrp->uz);

    return DR_OK;
}


static dr_int_t
dr_upstream_chash_get(dr_peer_connection_t *pc, void *data)
{
    dr_upstream_hash_peer_data_t  *hp = data;

    dr_uint_t                  p;
    dr_msec_t                  now;
    dr_upstream_ztable_t      *t;
    dr_upstream_hash_conf_t   *hcf;

    hcf = hp->conf;

    t = dr_upstream_rr_sync(hp->rrp);
    if (t == NULL) {
        return DR_ERROR;
    }

    if (hp->tries > DR_UPSTREAM_HASH_TRIES || t->nprimary < 2
        || hp->key.len == 0)
    {
        return dr_upstream_rr_get(pc, hp->rrp);
    }

    if (hcf->generation != t->generation) {
        if (dr_upstream_hash_ring(hcf, t) != DR_OK) {
            return DR_ERROR;
        }
    }

    if (hp->rehash == 0) {
        /* the first attempt: where the key lands on the ring */
        hp->hash = (uint32_t) dr_upstream_hash_find_point(hcf,
                         dr_upstream_hash_crc32(hp->key.data, hp->key.len));
        hp->rehash = 1;
    }

    pc->cached = 0;
    pc->connection = NULL;

    now = dr_current_msec;

    dr_upstream_rr_lock(hp->rrp->uz);

    for ( ;; ) {
        p = hcf->points[hp->hash % hcf->npoints].peer;

        if (!dr_upstream_rr_tried(hp->rrp, p)
            && dr_upstream_rr_usable(&t->peers[p], now, 0))
        {
            break;
        }

        hp->hash++;

        if (++hp->tries > DR_UPSTREAM_HASH_TRIES) {
            dr_upstream_rr_unlock(hp->rrp->uz);
            return dr_upstream_rr_get(pc, hp->rrp);
        }
    }

    if (dr_upstream_rr_take(hp->rrp, t, p, pc, now) != DR_OK) {
        dr_upstream_rr_unlock(hp->rrp->uz);
        return DR_ERROR;
    }

    dr_upstream_rr_unlock(hp->rrp->uz);

    return DR_OK;
}


/* this worker's ring for table <t>; DR_OK or DR_ERROR (no memory) */
static dr_int_t
dr_upstream_hash_ring(dr_upstream_hash_conf_t *hcf, dr_upstream_ztable_t *t)
{
    u_char                    *host, *port, c, prev[4];
    size_t                     host_len, port_len, size;
    uint32_t                   base, hash;
    dr_uint_t                  i, j, k, n, npoints;
    dr_upstream_zpeer_t       *zp;
    dr_upstream_hash_point_t  *points;

    n = 0;

    for (i = 0; i < t->nprimary; i++) {
        n += (dr_uint_t) t->peers[i].weight * DR_UPSTREAM_HASH_POINTS;
    }

    size = (n ? n : 1) * sizeof(dr_upstream_hash_point_t);

    points = dr_alloc(size, dr_cycle->log);
    if (points == NULL) {
        return DR_ERROR;
    }

    npoints = 0;

    for (i = 0; i < t->nprimary; i++) {
        zp = &t->peers[i];

        /* "host:port" -> host, port; "unix:/path" -> the path */

        if (zp->name_len >= 5
            && dr_strncasecmp(zp->name, (u_char *) "unix:", 5) == 0)
        {
            host = zp->name + 5;
            host_len = zp->name_len - 5;
            port = NULL;
            port_len = 0;

        } else {
            host = zp->name;
            host_len = zp->name_len;
            port = NULL;
            port_len = 0;

            for (j = 0; j < zp->name_len; j++) {
                c = zp->name[zp->name_len - j - 1];

                if (c == ':') {
                    host_len = zp->name_len - j - 1;
                    port = zp->name + zp->name_len - j;
                    port_len = j;
                    break;
                }

                if (c < '0' || c > '9') {
                    break;
                }
            }
        }

        base = 0xffffffff;
        base = dr_upstream_hash_crc32_update(base, host, host_len);
        base = dr_upstream_hash_crc32_update(base, (u_char *) "", 1);
        base = dr_upstream_hash_crc32_update(base, port, port_len);

        dr_memzero(prev, 4);

        for (k = 0; k < (dr_uint_t) zp->weight * DR_UPSTREAM_HASH_POINTS;
             k++)
        {
            hash = dr_upstream_hash_crc32_update(base, prev, 4);
            hash ^= 0xffffffff;

            points[npoints].hash = hash;
            points[npoints].peer = i;
            npoints++;

            /* the previous hash, little-endian, as nginx on x86 */
            prev[0] = (u_char) (hash & 0xff);
            prev[1] = (u_char) ((hash >> 8) & 0xff);
            prev[2] = (u_char) ((hash >> 16) & 0xff);
            prev[3] = (u_char) ((hash >> 24) & 0xff);
        }
    }

    qsort(points, npoints, sizeof(dr_upstream_hash_point_t),
          dr_upstream_hash_cmp_points);

    for (i = 0, j = 1; j < npoints; j++) {
        if (points[i].hash != points[j].hash) {
            points[++i] = points[j];
        }
    }

    if (hcf->points) {
        dr_free(hcf->points);
    }

    hcf->points = points;
    hcf->npoints = npoints ? i + 1 : 0;
    hcf->generation = t->generation;

    return DR_OK;
}


/* the first point at or after <hash>, wrapping around */
static dr_uint_t
dr_upstream_hash_find_point(dr_upstream_hash_conf_t *hcf, uint32_t hash)
{
    dr_uint_t  i, j, k;

    i = 0;
    j = hcf->npoints;

    while (i < j) {
        k = (i + j) / 2;

        if (hash > hcf->points[k].hash) {
            i = k + 1;

        } else if (hash < hcf->points[k].hash) {
            j = k;

        } else {
            return k;
        }
    }

    return i;
}


static int
dr_upstream_hash_cmp_points(const void *one, const void *two)
{
    const dr_upstream_hash_point_t  *a = one, *b = two;

    if (a->hash < b->hash) {
        return -1;
    }

    if (a->hash > b->hash) {
        return 1;
    }

    /* equal hashes: the order must not depend on qsort */
    return (a->peer > b->peer) - (a->peer < b->peer);
}


static uint32_t
dr_upstream_hash_crc32_update(uint32_t crc, u_char *p, size_t len)
{
    while (len--) {
        crc = dr_upstream_hash_crc32_table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    }

    return crc;
}


static uint32_t
dr_upstream_hash_crc32(u_char *p, size_t len)
{
    return dr_upstream_hash_crc32_update(0xffffffff, p, len) ^ 0xffffffff;
}


/* the round-robin data is one level down */
static void
dr_upstream_hash_free(dr_peer_connection_t *pc, void *data, dr_uint_t state)
{
    dr_upstream_hash_peer_data_t  *hp = data;

    dr_upstream_rr_free(pc, hp->rrp, state);
}


static char *
dr_upstream_hash(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_str_t                          *value;
    dr_upstream_conf_t                *us;
    dr_upstream_hash_conf_t           *hcf;
    dr_http_compile_complex_value_t    ccv;

    us = dr_http_conf_upstream_pool(cf);
    value = cf->args->elts;

    hcf = dr_pcalloc(cf->pool, sizeof(dr_upstream_hash_conf_t));
    if (hcf == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memzero(&ccv, sizeof(dr_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = &hcf->key;

    if (dr_http_compile_complex_value(&ccv) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (!dr_str_eq_lit(&value[2], "consistent")) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[2]);
            return DR_CONF_ERROR;
        }

        hcf->consistent = 1;
    }

    if (us->init_pool) {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "load balancing method redefined");
    }

    us->balancer = "hash";
    us->balancer_data = hcf;
    us->init_pool = dr_upstream_hash_init_pool;

    us->flags = DR_UPSTREAM_CREATE
                |DR_UPSTREAM_WEIGHT
                |DR_UPSTREAM_MAX_CONNS
                |DR_UPSTREAM_MAX_FAILS
                |DR_UPSTREAM_FAIL_TIMEOUT
                |DR_UPSTREAM_DOWN;

    return DR_CONF_OK;
}
