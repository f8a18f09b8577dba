/*
 * Red-black trees, after nginx's ngx_rbtree.c (itself after CLR).
 *
 * The tree owns nothing: nodes are embedded in the caller's objects, and
 * the sentinel is the caller's too (one per tree, black; delete's fix-up
 * may write its parent pointer, as in CLR, and nothing reads it later).
 * Used for timers (the event loop), string-keyed maps in the keeper, and
 * anything ordered that lives in one process. Not thread safe; in shared
 * memory only under a shmtx.
 *
 * Insertion is split in two: the insert callback places the node as a
 * leaf (so each tree chooses its order and tie-breaking), then
 * dr_rbtree_insert() rebalances.
 */

#include "dr_core.h"


static void dr_rbtree_left_rotate(dr_rbtree_node_t **root,
    dr_rbtree_node_t *sentinel, dr_rbtree_node_t *node);
static void dr_rbtree_right_rotate(dr_rbtree_node_t **root,
    dr_rbtree_node_t *sentinel, dr_rbtree_node_t *node);


void
dr_rbtree_insert(dr_rbtree_t *tree, dr_rbtree_node_t *node)
{
    dr_rbtree_node_t  **root, *temp, *sentinel;

    root = &tree->root;
    sentinel = tree->sentinel;

    if (*root == sentinel) {
        node->parent = NULL;
        node->left = sentinel;
        node->right = sentinel;
        dr_rbt_black(node);
        *root = node;

        return;
    }

    tree->insert(*root, node, sentinel);

    /* re-balance tree */

    while (node != *root && dr_rbt_is_red(node->parent)) {

        if (node->parent == node->parent->parent->left) {
            temp = node->parent->parent->right;

            if (dr_rbt_is_red(temp)) {
                dr_rbt_black(node->parent);
                dr_rbt_black(temp);
                dr_rbt_red(node->parent->parent);
                node = node->parent->parent;

            } else {
                if (node == node->parent->right) {
                    node = node->parent;
                    dr_rbtree_left_rotate(root, sentinel, node);
                }

                dr_rbt_black(node->parent);
                dr_rbt_red(node->parent->parent);
                dr_rbtree_right_rotate(root, sentinel, node->parent->parent);
            }

        } else {
            temp = node->parent->parent->left;

            if (dr_rbt_is_red(temp)) {
                dr_rbt_black(node->parent);
                dr_rbt_black(temp);
                dr_rbt_red(node->parent->parent);
                node = node->parent->parent;

            } else {
                if (node == node->parent->left) {
                    node = node->parent;
                    dr_rbtree_right_rotate(root, sentinel, node);
                }

                dr_rbt_black(node->parent);
                dr_rbt_red(node->parent->parent);
                dr_rbtree_left_rotate(root, sentinel, node->parent->parent);
            }
        }
    }

    dr_rbt_black(*root);
}


void
dr_rbtree_insert_value(dr_rbtree_node_t *temp, dr_rbtree_node_t *node,
    dr_rbtree_node_t *sentinel)
{
    dr_rbtree_node_t  **p;

    for ( ;; ) {

        p = (node->key < temp->key) ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    dr_rbt_red(node);
}


void
dr_rbtree_insert_timer_value(dr_rbtree_node_t *temp, dr_rbtree_node_t *node,
    dr_rbtree_node_t *sentinel)
{
    dr_rbtree_node_t  **p;

    for ( ;; ) {

        /*
         * Timer values
         * 1) are spread in small range, usually several minutes,
         * 2) and overflow each 49 days, if milliseconds are stored in 32 bits.
         * The comparison takes into account that overflow.
         */

        /*  node->key < temp->key */

        p = ((dr_rbtree_key_int_t) (node->key - temp->key) < 0)
            ? &temp->left : &temp->right;

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    dr_rbt_red(node);
}


void
dr_rbtree_delete(dr_rbtree_t *tree, dr_rbtree_node_t *node)
{
    dr_uint_t           red;
    dr_rbtree_node_t  **root, *sentinel, *subst, *temp, *w;

    /* a binary tree delete */

    root = &tree->root;
    sentinel = tree->sentinel;

    if (node->left == sentinel) {
        temp = node->right;
        subst = node;

    } else if (node->right == sentinel) {
        temp = node->left;
        subst = node;

    } else {
        subst = dr_rbtree_min(node->right, sentinel);
        temp = subst->right;
    }

    if (subst == *root) {
        *root = temp;
        dr_rbt_black(temp);

        /* the root's parent is always NULL (a sentinel's does not matter) */
        temp->parent = NULL;

        node->left = NULL;
        node->right = NULL;
        node->parent = NULL;
        node->key = 0;

        return;
    }

    red = dr_rbt_is_red(subst);

    if (subst == subst->parent->left) {
        subst->parent->left = temp;

    } else {
        subst->parent->right = temp;
    }

    if (subst == node) {

        temp->parent = subst->parent;

    } else {

        if (subst->parent == node) {
            temp->parent = subst;

        } else {
            temp->parent = subst->parent;
        }

        subst->left = node->left;
        subst->right = node->right;
        subst->parent = node->parent;
        dr_rbt_copy_color(subst, node);

        if (node == *root) {
            *root = subst;

        } else {
            if (node == node->parent->left) {
                node->parent->left = subst;
            } else {
                node->parent->right = subst;
            }
        }

        if (subst->left != sentinel) {
            subst->left->parent = subst;
        }

        if (subst->right != sentinel) {
            subst->right->parent = subst;
        }
    }

    node->left = NULL;
    node->right = NULL;
    node->parent = NULL;
    node->key = 0;

    if (red) {
        return;
    }

    /* a delete fixup */

    while (temp != *root && dr_rbt_is_black(temp)) {

        if (temp == temp->parent->left) {
            w = temp->parent->right;

            if (dr_rbt_is_red(w)) {
                dr_rbt_black(w);
                dr_rbt_red(temp->parent);
                dr_rbtree_left_rotate(root, sentinel, temp->parent);
                w = temp->parent->right;
            }

            if (dr_rbt_is_black(w->left) && dr_rbt_is_black(w->right)) {
                dr_rbt_red(w);
                temp = temp->parent;

            } else {
                if (dr_rbt_is_black(w->right)) {
                    dr_rbt_black(w->left);
                    dr_rbt_red(w);
                    dr_rbtree_right_rotate(root, sentinel, w);
                    w = temp->parent->right;
                }

                dr_rbt_copy_color(w, temp->parent);
                dr_rbt_black(temp->parent);
                dr_rbt_black(w->right);
                dr_rbtree_left_rotate(root, sentinel, temp->parent);
                temp = *root;
            }

        } else {
            w = temp->parent->left;

            if (dr_rbt_is_red(w)) {
                dr_rbt_black(w);
                dr_rbt_red(temp->parent);
                dr_rbtree_right_rotate(root, sentinel, temp->parent);
                w = temp->parent->left;
            }

            if (dr_rbt_is_black(w->left) && dr_rbt_is_black(w->right)) {
                dr_rbt_red(w);
                temp = temp->parent;

            } else {
                if (dr_rbt_is_black(w->left)) {
                    dr_rbt_black(w->right);
                    dr_rbt_red(w);
                    dr_rbtree_left_rotate(root, sentinel, w);
                    w = temp->parent->left;
                }

                dr_rbt_copy_color(w, temp->parent);
                dr_rbt_black(temp->parent);
                dr_rbt_black(w->left);
                dr_rbtree_right_rotate(root, sentinel, temp->parent);
                temp = *root;
            }
        }
    }

    dr_rbt_black(temp);
}


static void
dr_rbtree_left_rotate(dr_rbtree_node_t **root, dr_rbtree_node_t *sentinel,
    dr_rbtree_node_t *node)
{
    dr_rbtree_node_t  *temp;

    temp = node->right;
    node->right = temp->left;

    if (temp->left != sentinel) {
        temp->left->parent = node;
    }

    temp->parent = node->parent;

    if (node == *root) {
        *root = temp;

    } else if (node == node->parent->left) {
        node->parent->left = temp;

    } else {
        node->parent->right = temp;
    }

    temp->left = node;
    node->parent = temp;
}


static void
dr_rbtree_right_rotate(dr_rbtree_node_t **root, dr_rbtree_node_t *sentinel,
    dr_rbtree_node_t *node)
{
    dr_rbtree_node_t  *temp;

    temp = node->left;
    node->left = temp->right;

    if (temp->right != sentinel) {
        temp->right->parent = node;
    }

    temp->parent = node->parent;

    if (node == *root) {
        *root = temp;

    } else if (node == node->parent->right) {
        node->parent->right = temp;

    } else {
        node->parent->left = temp;
    }

    temp->right = node;
    node->parent = temp;
}


dr_rbtree_node_t *
dr_rbtree_next(dr_rbtree_t *tree, dr_rbtree_node_t *node)
{
    dr_rbtree_node_t  *root, *sentinel, *parent;

    sentinel = tree->sentinel;

    if (node->right != sentinel) {
        return dr_rbtree_min(node->right, sentinel);
    }

    root = tree->root;

    for ( ;; ) {
        parent = node->parent;

        if (node == root) {
            return NULL;
        }

        if (node == parent->left) {
            return parent;
        }

        node = parent;
    }
}


void
dr_rbtree_insert_str_value(dr_rbtree_node_t *temp, dr_rbtree_node_t *node,
    dr_rbtree_node_t *sentinel)
{
    dr_rbtree_str_node_t   *n, *t;
    dr_rbtree_node_t      **p;

    for ( ;; ) {

        n = (dr_rbtree_str_node_t *) node;
        t = (dr_rbtree_str_node_t *) temp;

        if (node->key != temp->key) {

            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else if (n->str.len != t->str.len) {

            p = (n->str.len < t->str.len) ? &temp->left : &temp->right;

        } else {
            p = (dr_memcmp(n->str.data, t->str.data, n->str.len) < 0)
                 ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    dr_rbt_red(node);
}


dr_rbtree_str_node_t *
dr_rbtree_lookup_str(dr_rbtree_t *rbtree, dr_str_t *name,
    dr_rbtree_key_t hash)
{
    dr_int_t               rc;
    dr_rbtree_str_node_t  *n;
    dr_rbtree_node_t      *node, *sentinel;

    node = rbtree->root;
    sentinel = rbtree->sentinel;

    while (node != sentinel) {

        n = (dr_rbtree_str_node_t *) node;

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        if (name->len != n->str.len) {
            node = (name->len < n->str.len) ? node->left : node->right;
            continue;
        }

        rc = dr_memcmp(name->data, n->str.data, name->len);

        if (rc < 0) {
            node = node->left;
            continue;
        }

        if (rc > 0) {
            node = node->right;
            continue;
        }

        return n;
    }

    return NULL;
}
