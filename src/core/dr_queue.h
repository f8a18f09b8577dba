/* Intrusive doubly linked circular lists (nginx's ngx_queue_t). */
#ifndef DR_QUEUE_H_INCLUDED
#define DR_QUEUE_H_INCLUDED

typedef struct dr_queue_s  dr_queue_t;

struct dr_queue_s {
    dr_queue_t  *prev;
    dr_queue_t  *next;
};

#define dr_queue_init(q)     (q)->prev = q; (q)->next = q
#define dr_queue_empty(h)    (h == (h)->prev)
#define dr_queue_insert_head(h, x)                                            \
    (x)->next = (h)->next; (x)->next->prev = x; (x)->prev = h; (h)->next = x
#define dr_queue_insert_tail(h, x)                                            \
    (x)->prev = (h)->prev; (x)->prev->next = x; (x)->next = h; (h)->prev = x
#define dr_queue_head(h)     (h)->next
#define dr_queue_last(h)     (h)->prev
#define dr_queue_sentinel(h) (h)
#define dr_queue_next(q)     (q)->next
#define dr_queue_prev(q)     (q)->prev
#define dr_queue_remove(x)                                                    \
    (x)->next->prev = (x)->prev; (x)->prev->next = (x)->next;                 \
    (x)->prev = NULL; (x)->next = NULL
#define dr_queue_data(q, type, link)                                          \
    (type *) ((u_char *) q - offsetof(type, link))

#endif
