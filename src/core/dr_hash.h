/*
 * Hashes built once from a list of keys, then read-only (config lifetime):
 *
 *  - dr_hash_t: exact match, open addressing with linear probing, load
 *    factor <= 1/2 (<= 3/4 when max_size caps it). dr_hash_init() copies the
 *    names LOWERCASED into hinit->pool (as nginx's ngx_hash_init does), so
 *    callers hash with dr_hash_key_lc() and look up lowercase names.
 *
 *  - dr_hash_combined_t: server names (nginx's ngx_hash_combined):
 *    exact "www.example.com", leading "*.example.com" (subdomains only) and
 *    ".example.com" (the domain and its subdomains), trailing
 *    "www.example.*". Lookup order as nginx: exact, then the longest leading
 *    wildcard, then the longest trailing wildcard. Keys are collected with
 *    dr_hash_add_key() into a dr_hash_keys_arrays_t (which also detects
 *    duplicates), then frozen with dr_hash_combined_init().
 */
#ifndef DR_HASH_H_INCLUDED
#define DR_HASH_H_INCLUDED

#define dr_hash(key, c)  ((dr_uint_t) (key) * 31 + (c))

dr_uint_t dr_hash_key(u_char *data, size_t len);
dr_uint_t dr_hash_key_lc(u_char *data, size_t len);
/* lowercases <n> bytes of <src> into <dst> and returns their dr_hash_key */
dr_uint_t dr_hash_strlow(u_char *dst, u_char *src, size_t n);

typedef struct {
    dr_str_t      key;
    dr_uint_t     key_hash;
    void         *value;
} dr_hash_key_t;

typedef struct {
    dr_uint_t     key_hash;
    u_char       *name;         /* NULL: empty slot */
    size_t        len;
    void         *value;
} dr_hash_slot_t;

typedef struct {
    dr_hash_slot_t  *slots;
    dr_uint_t        mask;      /* number of slots - 1 */
    dr_uint_t        nelts;
} dr_hash_t;

typedef struct {
    dr_hash_t    *hash;
    /* 0: no limit; else the largest number of slots allowed */
    dr_uint_t     max_size;
    /* accepted for nginx compatibility (*_hash_bucket_size); unused */
    dr_uint_t     bucket_size;
    char         *name;         /* for messages: "server_names_hash" */
    dr_pool_t    *pool;         /* slots and the name copies */
    dr_pool_t    *temp_pool;
} dr_hash_init_t;

/*
 * Builds <hinit->hash> from <names>. Values must not be NULL (NULL means
 * "not found"). With duplicate names the first one wins. DR_OK, or DR_ERROR
 * (logged at emerg to pool->log: no memory, or max_size too small).
 */
dr_int_t dr_hash_init(dr_hash_init_t *hinit, dr_hash_key_t *names,
    dr_uint_t nelts);
/* <key> is the dr_hash_key of <name>; returns the value or NULL */
void *dr_hash_find(dr_hash_t *hash, dr_uint_t key, u_char *name, size_t len);

/* wildcards */

#define DR_HASH_WILDCARD_KEY  1     /* "*.x", ".x", "x.*" are wildcards */
#define DR_HASH_READONLY_KEY  2     /* accepted for nginx compatibility */

typedef struct dr_hash_keys_node_s  dr_hash_keys_node_t;

typedef struct {
    dr_pool_t              *pool;       /* the frozen hashes, key copies */
    dr_pool_t              *temp_pool;  /* arrays and the duplicate index */

    dr_array_t              keys;       /* dr_hash_key_t: exact names */
    dr_array_t              dns_wc_head;   /* key: "example.com" */
    dr_array_t              dns_wc_tail;   /* key: "www.example" */

    dr_hash_keys_node_t   **index;      /* duplicate detection */
    dr_uint_t               index_size;
} dr_hash_keys_arrays_t;

/* what a leading wildcard's slot points to */
typedef struct {
    void         *value;
    dr_uint_t     bare;     /* ".example.com": also matches "example.com" */
} dr_hash_wc_head_t;

typedef struct {
    dr_hash_t     hash;
    dr_hash_t     wc_head;  /* "example.com" -> dr_hash_wc_head_t * */
    dr_hash_t     wc_tail;  /* "www.example" -> value */
} dr_hash_combined_t;

dr_int_t dr_hash_keys_array_init(dr_hash_keys_arrays_t *ha, dr_pool_t *pool,
    dr_pool_t *temp_pool);
/*
 * Adds <key> -> <value> (a lowercased copy of <key> is stored). With
 * DR_HASH_WILDCARD_KEY, leading and trailing wildcards are recognised.
 * DR_OK; DR_BUSY if the same key (same kind) was added before; DR_DECLINED
 * for an invalid wildcard ("*", "a.*.b", "*example.com"); DR_ERROR on no
 * memory.
 */
dr_int_t dr_hash_add_key(dr_hash_keys_arrays_t *ha, dr_str_t *key,
    void *value, dr_uint_t flags);
/* freezes <ha> into <hash>; DR_OK or DR_ERROR (logged) */
dr_int_t dr_hash_combined_init(dr_hash_combined_t *hash,
    dr_hash_keys_arrays_t *ha, char *name, dr_uint_t max_size);
/*
 * <key> is dr_hash_key() of <name>, which must be lowercase. Returns the
 * value of the best match (see the top of this file) or NULL.
 */
void *dr_hash_find_combined(dr_hash_combined_t *hash, dr_uint_t key,
    u_char *name, size_t len);
void *dr_hash_find_wc_head(dr_hash_combined_t *hash, u_char *name,
    size_t len);
void *dr_hash_find_wc_tail(dr_hash_combined_t *hash, u_char *name,
    size_t len);

#endif /* DR_HASH_H_INCLUDED */
