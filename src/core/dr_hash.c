/*
 * Read-only hashes built at config time: header names, mime types,
 * variables, server names. They live in the cycle pool and are looked up by
 * every worker on every request, so lookups are the point: one multiply-add
 * hash computed while the caller lowercases the name, then linear probing
 * in a table at most half full (3/4 when max_size caps it) whose slots
 * carry the full hash, so a miss rarely touches the name bytes.
 *
 * Unlike nginx, there is no search for a bucket size that fits: the table
 * is sized from the key count. max_size only caps it (a config that set
 * *_hash_max_size small still builds while the table can stay <= 3/4 full).
 *
 * Server names (dr_hash_combined_t) use three such tables: exact names,
 * leading wildcards keyed by their domain ("example.com" for both
 * "*.example.com" and ".example.com"), trailing wildcards keyed by their
 * head ("www.example" for "www.example.*"). A lookup tries the name's
 * suffixes at each dot, longest first, then its prefixes, longest first:
 * at most one probe per label.
 */

#include "dr_core.h"


struct dr_hash_keys_node_s {
    dr_hash_keys_node_t  *next;
    dr_uint_t             kind;
    dr_uint_t             key_hash;
    dr_str_t              key;
};

#define DR_HASH_KIND_EXACT    0
#define DR_HASH_KIND_WC_HEAD  1
#define DR_HASH_KIND_WC_TAIL  2

#define DR_HASH_KEYS_INDEX    1021


static dr_uint_t dr_hash_slots(dr_uint_t nelts, dr_uint_t max_size);
static dr_int_t dr_hash_keys_check(dr_hash_keys_arrays_t *ha, dr_str_t *key,
    dr_uint_t key_hash, dr_uint_t kind);


dr_uint_t
dr_hash_key(u_char *data, size_t len)
{
    dr_uint_t  i, key;

    key = 0;

    for (i = 0; i < len; i++) {
        key = dr_hash(key, data[i]);
    }

    return key;
}


dr_uint_t
dr_hash_key_lc(u_char *data, size_t len)
{
    dr_uint_t  i, key;

    key = 0;

    for (i = 0; i < len; i++) {
        key = dr_hash(key, dr_tolower(data[i]));
    }

    return key;
}


dr_uint_t
dr_hash_strlow(u_char *dst, u_char *src, size_t n)
{
    dr_uint_t  key;

    key = 0;

    while (n--) {
        *dst = dr_tolower(*src);
        key = dr_hash(key, *dst);
        dst++;
        src++;
    }

    return key;
}


/*
 * The number of slots for <nelts> keys: a power of two, at least twice
 * nelts, or the largest power of two <= max_size that keeps the load at or
 * under 3/4. 0 if even that does not fit.
 */
static dr_uint_t
dr_hash_slots(dr_uint_t nelts, dr_uint_t max_size)
{
    dr_uint_t  size;

    size = 1;

    while (size < 2 * nelts) {
        size <<= 1;
    }

    if (max_size == 0 || size <= max_size) {
        return size;
    }

    while (size > max_size) {
        size >>= 1;
    }

    if (size == 0 || nelts * 4 > size * 3) {
        return 0;
    }

    return size;
}


dr_int_t
dr_hash_init(dr_hash_init_t *hinit, dr_hash_key_t *names, dr_uint_t nelts)
{
    u_char          *name;
    size_t           len;
    dr_uint_t        n, i, size, mask;
    dr_hash_t       *hash;
    dr_hash_slot_t  *slots, *slot;

    hash = hinit->hash;

    size = dr_hash_slots(nelts, hinit->max_size);

    if (size == 0) {
        dr_log_error(DR_LOG_EMERG, hinit->pool->log, 0,
                     "could not build %s, you should increase %s_max_size: "
                     "%ui keys need more than %ui slots",
                     hinit->name, hinit->name, nelts, hinit->max_size);
        return DR_ERROR;
    }

    slots = dr_pcalloc(hinit->pool, size * sizeof(dr_hash_slot_t));
    if (slots == NULL) {
        return DR_ERROR;
    }

    len = 0;

    for (n = 0; n < nelts; n++) {
        len += names[n].key.len;
    }

    name = NULL;

    if (len) {
        name = dr_pnalloc(hinit->pool, len);
        if (name == NULL) {
            return DR_ERROR;
        }
    }

    mask = size - 1;
    hash->nelts = 0;

    for (n = 0; n < nelts; n++) {

        if (names[n].key.data == NULL) {
            continue;
        }

        len = names[n].key.len;

        for (i = names[n].key_hash & mask; /* void */ ; i = (i + 1) & mask) {
            slot = &slots[i];

            if (slot->name == NULL) {
                break;
            }

            if (slot->key_hash == names[n].key_hash
                && slot->len == len
                && dr_strncasecmp(slot->name, names[n].key.data, len) == 0)
            {
                /* a duplicate: the first one wins */
                slot = NULL;
                break;
            }
        }

        if (slot == NULL) {
            continue;
        }

        for (i = 0; i < len; i++) {
            name[i] = dr_tolower(names[n].key.data[i]);
        }

        /* an empty name still needs a non-NULL marker */
        slot->name = len ? name : (u_char *) "";
        slot->len = len;
        slot->key_hash = names[n].key_hash;
        slot->value = names[n].value;

        name += len;
        hash->nelts++;
    }

    hash->slots = slots;
    hash->mask = mask;

    return DR_OK;
}


void *
dr_hash_find(dr_hash_t *hash, dr_uint_t key, u_char *name, size_t len)
{
    dr_uint_t        i;
    dr_hash_slot_t  *slot;

    if (hash->slots == NULL) {
        return NULL;
    }

    for (i = key & hash->mask; /* void */ ; i = (i + 1) & hash->mask) {
        slot = &hash->slots[i];

        if (slot->name == NULL) {
            return NULL;
        }

        if (slot->key_hash == key
            && slot->len == len
            && (len == 0 || dr_memcmp(slot->name, name, len) == 0))
        {
            return slot->value;
        }
    }
}


dr_int_t
dr_hash_keys_array_init(dr_hash_keys_arrays_t *ha, dr_pool_t *pool,
    dr_pool_t *temp_pool)
{
    ha->pool = pool;
    ha->temp_pool = temp_pool;

    if (dr_array_init(&ha->keys, temp_pool, 16, sizeof(dr_hash_key_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    if (dr_array_init(&ha->dns_wc_head, temp_pool, 16, sizeof(dr_hash_key_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    if (dr_array_init(&ha->dns_wc_tail, temp_pool, 16, sizeof(dr_hash_key_t))
        != DR_OK)
    {
        return DR_ERROR;
    }

    ha->index_size = DR_HASH_KEYS_INDEX;
    ha->index = dr_pcalloc(temp_pool,
                           ha->index_size * sizeof(dr_hash_keys_node_t *));
    if (ha->index == NULL) {
        return DR_ERROR;
    }

    return DR_OK;
}


/* DR_BUSY if (key, kind) was added before, else records it: DR_OK/ERROR */
static dr_int_t
dr_hash_keys_check(dr_hash_keys_arrays_t *ha, dr_str_t *key,
    dr_uint_t key_hash, dr_uint_t kind)
{
    dr_hash_keys_node_t  **bucket, *node;

    bucket = &ha->index[key_hash % ha->index_size];

    for (node = *bucket; node; node = node->next) {
        if (node->kind == kind
            && node->key_hash == key_hash
            && node->key.len == key->len
            && dr_memcmp(node->key.data, key->data, key->len) == 0)
        {
            return DR_BUSY;
        }
    }

    node = dr_palloc(ha->temp_pool, sizeof(dr_hash_keys_node_t));
    if (node == NULL) {
        return DR_ERROR;
    }

    node->kind = kind;
    node->key_hash = key_hash;
    node->key = *key;
    node->next = *bucket;
    *bucket = node;

    return DR_OK;
}


dr_int_t
dr_hash_add_key(dr_hash_keys_arrays_t *ha, dr_str_t *key, void *value,
    dr_uint_t flags)
{
    u_char             *p, *data;
    size_t              len, i;
    dr_int_t            rc;
    dr_str_t            k;
    dr_uint_t           kind, key_hash, bare;
    dr_array_t         *array;
    dr_hash_key_t      *hk;
    dr_hash_wc_head_t  *wc;

    data = key->data;
    len = key->len;
    kind = DR_HASH_KIND_EXACT;
    bare = 0;

    if (flags & DR_HASH_WILDCARD_KEY) {

        if (len > 2 && data[0] == '*' && data[1] == '.') {
            kind = DR_HASH_KIND_WC_HEAD;
            data += 2;
            len -= 2;

        } else if (len > 1 && data[0] == '.') {
            kind = DR_HASH_KIND_WC_HEAD;
            bare = 1;
            data += 1;
            len -= 1;

        } else if (len > 2 && data[len - 1] == '*' && data[len - 2] == '.') {
            kind = DR_HASH_KIND_WC_TAIL;
            len -= 2;
        }

        for (i = 0; i < len; i++) {
            if (data[i] == '*') {
                return DR_DECLINED;
            }
        }

        if (len == 0 || data[0] == '.' || data[len - 1] == '.') {
            return DR_DECLINED;
        }
    }

    /* dr_hash_combined_init() copies the key again into ha->pool */
    p = dr_pnalloc(ha->temp_pool, len ? len : 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    key_hash = dr_hash_strlow(p, data, len);

    k.len = len;
    k.data = p;

    rc = dr_hash_keys_check(ha, &k, key_hash, kind);
    if (rc != DR_OK) {
        return rc;
    }

    switch (kind) {

    case DR_HASH_KIND_WC_HEAD:
        array = &ha->dns_wc_head;

        wc = dr_palloc(ha->pool, sizeof(dr_hash_wc_head_t));
        if (wc == NULL) {
            return DR_ERROR;
        }

        wc->value = value;
        wc->bare = bare;
        value = wc;
        break;

    case DR_HASH_KIND_WC_TAIL:
        array = &ha->dns_wc_tail;
        break;

    default:
        array = &ha->keys;
    }

    hk = dr_array_push(array);
    if (hk == NULL) {
        return DR_ERROR;
    }

    hk->key = k;
    hk->key_hash = key_hash;
    hk->value = value;

    return DR_OK;
}


dr_int_t
dr_hash_combined_init(dr_hash_combined_t *hash, dr_hash_keys_arrays_t *ha,
    char *name, dr_uint_t max_size)
{
    dr_hash_init_t  hinit;

    hinit.max_size = max_size;
    hinit.bucket_size = 0;
    hinit.name = name;
    hinit.pool = ha->pool;
    hinit.temp_pool = ha->temp_pool;

    hinit.hash = &hash->hash;

    if (dr_hash_init(&hinit, ha->keys.elts, ha->keys.nelts) != DR_OK) {
        return DR_ERROR;
    }

    hinit.hash = &hash->wc_head;

    if (dr_hash_init(&hinit, ha->dns_wc_head.elts, ha->dns_wc_head.nelts)
        != DR_OK)
    {
        return DR_ERROR;
    }

    hinit.hash = &hash->wc_tail;

    if (dr_hash_init(&hinit, ha->dns_wc_tail.elts, ha->dns_wc_tail.nelts)
        != DR_OK)
    {
        return DR_ERROR;
    }

    return DR_OK;
}


void *
dr_hash_find_wc_head(dr_hash_combined_t *hash, u_char *name, size_t len)
{
    size_t              i;
    dr_hash_wc_head_t  *wc;

    if (hash->wc_head.nelts == 0 || len == 0) {
        return NULL;
    }

    /* the whole name: only ".example.com" matches "example.com" */

    wc = dr_hash_find(&hash->wc_head, dr_hash_key(name, len), name, len);

    if (wc && wc->bare) {
        return wc->value;
    }

    /* then each suffix after a dot, longest first */

    for (i = 0; i < len; i++) {

        if (name[i] != '.' || i + 1 == len) {
            continue;
        }

        wc = dr_hash_find(&hash->wc_head,
                          dr_hash_key(&name[i + 1], len - i - 1),
                          &name[i + 1], len - i - 1);
        if (wc) {
            return wc->value;
        }
    }

    return NULL;
}


void *
dr_hash_find_wc_tail(dr_hash_combined_t *hash, u_char *name, size_t len)
{
    size_t  i;
    void   *value;

    if (hash->wc_tail.nelts == 0) {
        return NULL;
    }

    /* each prefix before a dot, longest first */

    for (i = len; i > 0; i--) {

        if (name[i - 1] != '.' || i == 1) {
            continue;
        }

        value = dr_hash_find(&hash->wc_tail, dr_hash_key(name, i - 1),
                             name, i - 1);
        if (value) {
            return value;
        }
    }

    return NULL;
}


void *
dr_hash_find_combined(dr_hash_combined_t *hash, dr_uint_t key, u_char *name,
    size_t len)
{
    void  *value;

    if (hash->hash.nelts) {
        value = dr_hash_find(&hash->hash, key, name, len);

        if (value) {
            return value;
        }
    }

    if (len == 0) {
        return NULL;
    }

    value = dr_hash_find_wc_head(hash, name, len);

    if (value) {
        return value;
    }

    return dr_hash_find_wc_tail(hash, name, len);
}
