/*
 * Red-black trees (nginx's ngx_rbtree): intrusive nodes, a caller-supplied
 * sentinel (the black leaf every NIL points to) and an insert callback that
 * decides where an equal or differently-ordered key goes. The tree only
 * balances; lookups walk it by hand (see dr_rbtree_lookup_str()).
 *
 * Timers use dr_rbtree_insert_timer_value(): keys are dr_msec_t deadlines
 * compared with wraparound in mind.
 */
#ifndef DR_RBTREE_H_INCLUDED
#define DR_RBTREE_H_INCLUDED

typedef dr_uint_t  dr_rbtree_key_t;
typedef dr_int_t   dr_rbtree_key_int_t;

typedef struct dr_rbtree_node_s  dr_rbtree_node_t;

struct dr_rbtree_node_s {
    dr_rbtree_key_t       key;
    dr_rbtree_node_t     *left;
    dr_rbtree_node_t     *right;
    dr_rbtree_node_t     *parent;
    u_char                color;
    u_char                data;
};

typedef struct dr_rbtree_s  dr_rbtree_t;

typedef void (*dr_rbtree_insert_pt)(dr_rbtree_node_t *root,
    dr_rbtree_node_t *node, dr_rbtree_node_t *sentinel);

struct dr_rbtree_s {
    dr_rbtree_node_t     *root;
    dr_rbtree_node_t     *sentinel;
    dr_rbtree_insert_pt   insert;
};

#define dr_rbtree_init(tree, s, i)                                            \
    dr_rbtree_sentinel_init(s);                                               \
    (tree)->root = s;                                                         \
    (tree)->sentinel = s;                                                     \
    (tree)->insert = i

#define dr_rbtree_data(node, type, link)                                      \
    (type *) ((u_char *) (node) - offsetof(type, link))

#define dr_rbtree_empty(tree)  ((tree)->root == (tree)->sentinel)

/* inserts <node> (key set by the caller); never fails */
void dr_rbtree_insert(dr_rbtree_t *tree, dr_rbtree_node_t *node);
/* removes <node>, which must be in <tree> */
void dr_rbtree_delete(dr_rbtree_t *tree, dr_rbtree_node_t *node);

/* insert callbacks: plain unsigned keys; equal keys go to the right */
void dr_rbtree_insert_value(dr_rbtree_node_t *root, dr_rbtree_node_t *node,
    dr_rbtree_node_t *sentinel);
/* keys are msec deadlines: compared as (key - key) signed, wrap-safe */
void dr_rbtree_insert_timer_value(dr_rbtree_node_t *root,
    dr_rbtree_node_t *node, dr_rbtree_node_t *sentinel);

/* the in-order successor of <node>, NULL after the last one */
dr_rbtree_node_t *dr_rbtree_next(dr_rbtree_t *tree, dr_rbtree_node_t *node);

#define dr_rbt_red(node)               ((node)->color = 1)
#define dr_rbt_black(node)             ((node)->color = 0)
#define dr_rbt_is_red(node)            ((node)->color)
#define dr_rbt_is_black(node)          (!dr_rbt_is_red(node))
#define dr_rbt_copy_color(n1, n2)      (n1->color = n2->color)

/* a sentinel must be black */
#define dr_rbtree_sentinel_init(node)  dr_rbt_black(node)

static inline dr_rbtree_node_t *
dr_rbtree_min(dr_rbtree_node_t *node, dr_rbtree_node_t *sentinel)
{
    while (node->left != sentinel) {
        node = node->left;
    }

    return node;
}

/*
 * String-keyed trees (nginx's ngx_str_rbtree): node.key is a hash of <str>
 * (dr_hash_key()), ties are ordered by the bytes. Lookup returns the node
 * whose bytes equal <name>, or NULL.
 */
typedef struct {
    dr_rbtree_node_t      node;
    dr_str_t              str;
} dr_rbtree_str_node_t;

void dr_rbtree_insert_str_value(dr_rbtree_node_t *root,
    dr_rbtree_node_t *node, dr_rbtree_node_t *sentinel);
dr_rbtree_str_node_t *dr_rbtree_lookup_str(dr_rbtree_t *rbtree,
    dr_str_t *name, dr_rbtree_key_t hash);

#endif /* DR_RBTREE_H_INCLUDED */
