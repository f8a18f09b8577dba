/*
 * dr_rbtree: the red-black invariants hold after every insert and delete
 * (random and adversarial orders), in-order walks are sorted, timer keys
 * order across wraparound, string trees find what was put in.
 */

#include <criterion/criterion.h>

#include "dr_core.h"


typedef struct {
    dr_rbtree_node_t   node;
    dr_uint_t          in;
} test_rb_item_t;


/* black height of the subtree, or -1 on any violation */
static int
test_rb_check(dr_rbtree_node_t *node, dr_rbtree_node_t *sentinel,
    dr_rbtree_node_t *parent, dr_uint_t timer)
{
    int  lh, rh;

    if (node == sentinel) {
        return 1;
    }

    if (node->parent != parent) {
        return -1;
    }

    if (dr_rbt_is_red(node)
        && (dr_rbt_is_red(node->left) || dr_rbt_is_red(node->right)))
    {
        return -1;
    }

    if (node->left != sentinel) {
        if (timer ? (dr_rbtree_key_int_t) (node->left->key - node->key) > 0
                  : node->left->key > node->key)
        {
            return -1;
        }
    }

    if (node->right != sentinel) {
        if (timer ? (dr_rbtree_key_int_t) (node->right->key - node->key) < 0
                  : node->right->key < node->key)
        {
            return -1;
        }
    }

    lh = test_rb_check(node->left, sentinel, node, timer);
    rh = test_rb_check(node->right, sentinel, node, timer);

    if (lh < 0 || rh < 0 || lh != rh) {
        return -1;
    }

    return lh + dr_rbt_is_black(node);
}


static void
test_rb_valid(dr_rbtree_t *tree, dr_uint_t timer)
{
    cr_assert(dr_rbt_is_black(tree->sentinel));

    if (tree->root == tree->sentinel) {
        return;
    }

    cr_assert(dr_rbt_is_black(tree->root));
    cr_assert_gt(test_rb_check(tree->root, tree->sentinel, NULL, timer), 0,
                 "red-black invariants violated");
}


static dr_uint_t
test_rb_count_sorted(dr_rbtree_t *tree)
{
    dr_uint_t          n;
    dr_rbtree_node_t  *node, *prev;

    if (tree->root == tree->sentinel) {
        return 0;
    }

    n = 0;
    prev = NULL;

    for (node = dr_rbtree_min(tree->root, tree->sentinel);
         node;
         node = dr_rbtree_next(tree, node))
    {
        if (prev) {
            cr_assert_leq(prev->key, node->key);
        }

        prev = node;
        n++;
    }

    return n;
}


Test(rbtree, empty_tree)
{
    dr_rbtree_t       tree;
    dr_rbtree_node_t  sentinel;

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_value);

    cr_assert(dr_rbtree_empty(&tree));
    cr_assert_eq(test_rb_count_sorted(&tree), 0);
}


Test(rbtree, single_node_insert_delete)
{
    dr_rbtree_t       tree;
    dr_rbtree_node_t  sentinel, node;

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_value);

    node.key = 42;
    dr_rbtree_insert(&tree, &node);

    cr_assert_eq(tree.root, &node);
    cr_assert(dr_rbt_is_black(&node));
    cr_assert_eq(dr_rbtree_min(tree.root, tree.sentinel), &node);
    cr_assert_null(dr_rbtree_next(&tree, &node));

    dr_rbtree_delete(&tree, &node);
    cr_assert(dr_rbtree_empty(&tree));
}


static void
test_rb_run(dr_uint_t n, dr_uint_t mode)
{
    dr_uint_t          i, j, live;
    dr_rbtree_t        tree;
    test_rb_item_t    *items, tmp;
    dr_rbtree_node_t   sentinel;

    items = calloc(n, sizeof(test_rb_item_t));
    cr_assert_not_null(items);

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_value);

    for (i = 0; i < n; i++) {
        switch (mode) {
        case 0:  items[i].node.key = i; break;                 /* ascending */
        case 1:  items[i].node.key = n - i; break;             /* descending */
        case 2:  items[i].node.key = i % 7; break;             /* many equal */
        default: items[i].node.key = (dr_uint_t) random();     /* random */
        }
    }

    for (i = 0; i < n; i++) {
        dr_rbtree_insert(&tree, &items[i].node);
        items[i].in = 1;

        if (i % 37 == 0) {
            test_rb_valid(&tree, 0);
        }
    }

    test_rb_valid(&tree, 0);
    cr_assert_eq(test_rb_count_sorted(&tree), n);

    /* delete in a shuffled order, checking as we go */

    for (i = n - 1; i > 0; i--) {
        j = (dr_uint_t) random() % (i + 1);
        tmp = items[i];
        items[i] = items[j];
        items[j] = tmp;
    }

    /* the swap moved nodes in memory: rebuild the tree from the new array */

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_value);

    for (i = 0; i < n; i++) {
        dr_rbtree_insert(&tree, &items[i].node);
    }

    live = n;

    for (i = 0; i < n; i++) {
        dr_rbtree_delete(&tree, &items[i].node);
        items[i].in = 0;
        live--;

        if (i % 31 == 0 || live < 10) {
            test_rb_valid(&tree, 0);
            cr_assert_eq(test_rb_count_sorted(&tree), live);
        }

        /* reinsert now and then: interleaved operations */

        if (i % 5 == 0 && i + 1 < n) {
            dr_rbtree_insert(&tree, &items[i].node);
            dr_rbtree_delete(&tree, &items[i].node);
        }
    }

    cr_assert(dr_rbtree_empty(&tree));

    free(items);
}


Test(rbtree, ascending)  { test_rb_run(2000, 0); }
Test(rbtree, descending) { test_rb_run(2000, 1); }
Test(rbtree, equal_keys) { test_rb_run(2000, 2); }

Test(rbtree, random)
{
    srandom(1);
    test_rb_run(5000, 3);
}


Test(rbtree, min_tracks_deletes)
{
    dr_uint_t          i;
    dr_rbtree_t        tree;
    dr_rbtree_node_t   sentinel, nodes[100], *min;

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_value);

    for (i = 0; i < 100; i++) {
        nodes[i].key = (i * 37) % 100;
        dr_rbtree_insert(&tree, &nodes[i]);
    }

    for (i = 0; i < 100; i++) {
        min = dr_rbtree_min(tree.root, tree.sentinel);
        cr_assert_eq(min->key, i);
        dr_rbtree_delete(&tree, min);
        test_rb_valid(&tree, 0);
    }

    cr_assert(dr_rbtree_empty(&tree));
}


Test(rbtree, timer_keys_wrap_around)
{
    dr_uint_t          i;
    dr_rbtree_t        tree;
    dr_rbtree_node_t   sentinel, nodes[6], *node;
    dr_uint_t          keys[6] = {
        (dr_uint_t) -3, 5, (dr_uint_t) -1, 0, 2, (dr_uint_t) -2
    };
    dr_uint_t          order[6] = {
        (dr_uint_t) -3, (dr_uint_t) -2, (dr_uint_t) -1, 0, 2, 5
    };

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_timer_value);

    for (i = 0; i < 6; i++) {
        nodes[i].key = keys[i];
        dr_rbtree_insert(&tree, &nodes[i]);
    }

    test_rb_valid(&tree, 1);

    node = dr_rbtree_min(tree.root, tree.sentinel);

    for (i = 0; i < 6; i++) {
        cr_assert_not_null(node);
        cr_assert_eq(node->key, order[i], "position %lu: %lu",
                     (unsigned long) i, (unsigned long) node->key);
        node = dr_rbtree_next(&tree, node);
    }

    cr_assert_null(node);
}


Test(rbtree, string_tree)
{
    char                  *words[] = { "alpha", "beta", "gamma", "delta",
                                       "epsilon", "zeta", "eta", "theta",
                                       "a", "ab", "abc", "" };
    dr_uint_t              i, n;
    dr_str_t               s;
    dr_rbtree_t            tree;
    dr_rbtree_node_t       sentinel;
    dr_rbtree_str_node_t   nodes[12], *found;

    n = dr_nelems(words);

    dr_rbtree_init(&tree, &sentinel, dr_rbtree_insert_str_value);

    for (i = 0; i < n; i++) {
        nodes[i].str.data = (u_char *) words[i];
        nodes[i].str.len = strlen(words[i]);
        /* a deliberately bad hash: everything collides, bytes decide */
        nodes[i].node.key = (i % 2) ? 7 : dr_hash_key(nodes[i].str.data,
                                                      nodes[i].str.len);
        dr_rbtree_insert(&tree, &nodes[i].node);
    }

    test_rb_valid(&tree, 0);

    for (i = 0; i < n; i++) {
        found = dr_rbtree_lookup_str(&tree, &nodes[i].str, nodes[i].node.key);
        cr_assert_eq(found, &nodes[i], "lookup of \"%s\"", words[i]);
    }

    s.data = (u_char *) "alph";
    s.len = 4;
    cr_assert_null(dr_rbtree_lookup_str(&tree, &s, dr_hash_key(s.data, 4)));
    cr_assert_null(dr_rbtree_lookup_str(&tree, &s, 7));

    dr_rbtree_delete(&tree, &nodes[3].node);
    cr_assert_null(dr_rbtree_lookup_str(&tree, &nodes[3].str,
                                        nodes[3].node.key));
    test_rb_valid(&tree, 0);
}
