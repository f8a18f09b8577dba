/*
 * The slab allocator for shared memory zones, nginx's ngx_slab.c.
 *
 * Layout of a zone: [dr_slab_pool_t][slot list heads][stats][page
 * descriptors][pages...]. Requests above half a page take runs of whole
 * pages (first fit on the free list, neighbours coalesced on free). Smaller
 * requests are rounded up to a power of two >= min_size and served from a
 * page split into chunks of that size; a page descriptor's fields say how:
 *   small (chunk < exact): a bitmap at the start of the page itself;
 *   exact (chunk = page / bits in a word): the bitmap is <slab>;
 *   big (larger chunks): the bitmap is <slab>'s high half, the shift low.
 * <prev> carries the page type in its low two bits. Pages with free chunks
 * sit on their size's slot list; a page that fills up leaves it (next =
 * NULL), and rejoins on its first free.
 *
 * Everything here runs under pool->mutex (the non-_locked entry points
 * take it) in whatever process calls it. A zone is laid out once by the
 * process that maps it (the master) and inherited by fork. Nothing here
 * sleeps or calls malloc.
 */

#include "dr_core.h"


#define DR_SLAB_PAGE_MASK   3
#define DR_SLAB_PAGE        0
#define DR_SLAB_BIG         1
#define DR_SLAB_EXACT       2
#define DR_SLAB_SMALL       3

#if (UINTPTR_MAX == 0xffffffffU)

#define DR_SLAB_PAGE_FREE   0
#define DR_SLAB_PAGE_BUSY   0xffffffff
#define DR_SLAB_PAGE_START  0x80000000

#define DR_SLAB_SHIFT_MASK  0x0000000f
#define DR_SLAB_MAP_MASK    0xffff0000
#define DR_SLAB_MAP_SHIFT   16

#define DR_SLAB_BUSY        0xffffffff

#else

#define DR_SLAB_PAGE_FREE   0
#define DR_SLAB_PAGE_BUSY   0xffffffffffffffff
#define DR_SLAB_PAGE_START  0x8000000000000000

#define DR_SLAB_SHIFT_MASK  0x000000000000000f
#define DR_SLAB_MAP_MASK    0xffffffff00000000
#define DR_SLAB_MAP_SHIFT   32

#define DR_SLAB_BUSY        0xffffffffffffffff

#endif


#define dr_slab_slots(pool)                                                   \
    (dr_slab_page_t *) ((u_char *) (pool) + sizeof(dr_slab_pool_t))

#define dr_slab_page_type(page)   ((page)->prev & DR_SLAB_PAGE_MASK)

#define dr_slab_page_prev(page)                                               \
    (dr_slab_page_t *) ((page)->prev & ~DR_SLAB_PAGE_MASK)

#define dr_slab_page_addr(pool, page)                                         \
    ((((page) - (pool)->pages) << dr_slab_pagesize_shift)                     \
     + (uintptr_t) (pool)->start)

#if (DR_DEBUG)
#define dr_slab_junk(p, size)     dr_memset(p, 0xA5, size)
#else
#define dr_slab_junk(p, size)
#endif


static dr_slab_page_t *dr_slab_alloc_pages(dr_slab_pool_t *pool,
    dr_uint_t pages);
static void dr_slab_free_pages(dr_slab_pool_t *pool, dr_slab_page_t *page,
    dr_uint_t pages);
static void dr_slab_error(dr_slab_pool_t *pool, dr_uint_t level,
    char *text);


static dr_uint_t  dr_slab_pagesize;
static dr_uint_t  dr_slab_pagesize_shift;
static dr_uint_t  dr_slab_max;
static dr_uint_t  dr_slab_exact_size;
static dr_uint_t  dr_slab_exact_shift;


void
dr_slab_sizes_init(void)
{
    long       ps;
    dr_uint_t  n;

    ps = sysconf(_SC_PAGESIZE);
    dr_slab_pagesize = (ps > 0) ? (dr_uint_t) ps : 4096;

    dr_slab_pagesize_shift = 0;
    for (n = dr_slab_pagesize; n >>= 1; dr_slab_pagesize_shift++) {
        /* void */
    }

    dr_slab_max = dr_slab_pagesize / 2;
    dr_slab_exact_size = dr_slab_pagesize / (8 * sizeof(uintptr_t));

    dr_slab_exact_shift = 0;
    for (n = dr_slab_exact_size; n >>= 1; dr_slab_exact_shift++) {
        /* void */
    }
}


size_t
dr_slab_max_size(void)
{
    if (dr_slab_pagesize == 0) {
        dr_slab_sizes_init();
    }

    return dr_slab_max;
}


void
dr_slab_init(dr_slab_pool_t *pool)
{
    u_char          *p;
    size_t           size;
    dr_int_t         m;
    dr_uint_t        i, n, pages;
    dr_slab_page_t  *slots, *page;

    if (dr_slab_pagesize == 0) {
        dr_slab_sizes_init();
    }

    if (pool->min_shift == 0) {
        pool->min_shift = 3;
    }

    pool->min_size = (size_t) 1 << pool->min_shift;

    slots = dr_slab_slots(pool);

    p = (u_char *) slots;
    size = pool->end - p;

    dr_slab_junk(p, size);

    n = dr_slab_pagesize_shift - pool->min_shift;

    for (i = 0; i < n; i++) {
        /* only "next" is used in list head */
        slots[i].slab = 0;
        slots[i].next = &slots[i];
        slots[i].prev = 0;
    }

    p += n * sizeof(dr_slab_page_t);

    pool->stats = (dr_slab_stat_t *) p;
    dr_memzero(pool->stats, n * sizeof(dr_slab_stat_t));

    p += n * sizeof(dr_slab_stat_t);

    size -= n * (sizeof(dr_slab_page_t) + sizeof(dr_slab_stat_t));

    pages = (dr_uint_t) (size / (dr_slab_pagesize + sizeof(dr_slab_page_t)));

    pool->pages = (dr_slab_page_t *) p;
    dr_memzero(pool->pages, pages * sizeof(dr_slab_page_t));

    page = pool->pages;

    /* only "next" is used in list head */
    pool->free.slab = 0;
    pool->free.next = page;
    pool->free.prev = 0;

    page->slab = pages;
    page->next = &pool->free;
    page->prev = (uintptr_t) &pool->free;

    pool->start = dr_align_ptr(p + pages * sizeof(dr_slab_page_t),
                               dr_slab_pagesize);

    /* the alignment may have eaten the last page(s) */

    m = pages - (pool->end - pool->start) / (dr_int_t) dr_slab_pagesize;
    if (m > 0) {
        pages -= m;
        page->slab = pages;
    }

    pool->last = pool->pages + pages;
    pool->pfree = pages;

    if (pages == 0) {
        /* an empty free list: every allocation fails */
        pool->free.next = &pool->free;
    }

    pool->log_nomem = 1;
    pool->log_ctx = &pool->zero;
    pool->zero = '\0';
}


void *
dr_slab_alloc(dr_slab_pool_t *pool, size_t size)
{
    void  *p;

    dr_shmtx_lock(&pool->mutex);

    p = dr_slab_alloc_locked(pool, size);

    dr_shmtx_unlock(&pool->mutex);

    return p;
}


void *
dr_slab_alloc_locked(dr_slab_pool_t *pool, size_t size)
{
    size_t           s;
    uintptr_t        p, m, mask, *bitmap;
    dr_uint_t        i, n, slot, shift, map;
    dr_slab_page_t  *page, *prev, *slots;

    if (size > dr_slab_max) {

        if (size > (size_t) (pool->end - pool->start)) {
            page = NULL;
            if (pool->log_nomem) {
                dr_slab_error(pool, DR_LOG_CRIT,
                              "dr_slab_alloc() failed: no memory");
            }

        } else {
            page = dr_slab_alloc_pages(pool,
                                       (size >> dr_slab_pagesize_shift)
                                       + ((size % dr_slab_pagesize) ? 1 : 0));
        }

        p = page ? dr_slab_page_addr(pool, page) : 0;

        return (void *) p;
    }

    if (size > pool->min_size) {
        shift = 1;
        for (s = size - 1; s >>= 1; shift++) { /* void */ }
        slot = shift - pool->min_shift;

    } else {
        shift = pool->min_shift;
        slot = 0;
    }

    pool->stats[slot].reqs++;

    slots = dr_slab_slots(pool);
    page = slots[slot].next;

    if (page->next != page) {

        if (shift < dr_slab_exact_shift) {

            bitmap = (uintptr_t *) dr_slab_page_addr(pool, page);

            map = (dr_slab_pagesize >> shift) / (8 * sizeof(uintptr_t));

            for (n = 0; n < map; n++) {

                if (bitmap[n] != DR_SLAB_BUSY) {

                    for (m = 1, i = 0; m; m <<= 1, i++) {
                        if (bitmap[n] & m) {
                            continue;
                        }

                        bitmap[n] |= m;

                        i = (n * 8 * sizeof(uintptr_t) + i) << shift;

                        p = (uintptr_t) bitmap + i;

                        pool->stats[slot].used++;

                        if (bitmap[n] == DR_SLAB_BUSY) {
                            for (n = n + 1; n < map; n++) {
                                if (bitmap[n] != DR_SLAB_BUSY) {
                                    return (void *) p;
                                }
                            }

                            prev = dr_slab_page_prev(page);
                            prev->next = page->next;
                            page->next->prev = page->prev;

                            page->next = NULL;
                            page->prev = DR_SLAB_SMALL;
                        }

                        return (void *) p;
                    }
                }
            }

        } else if (shift == dr_slab_exact_shift) {

            for (m = 1, i = 0; m; m <<= 1, i++) {
                if (page->slab & m) {
                    continue;
                }

                page->slab |= m;

                if (page->slab == DR_SLAB_BUSY) {
                    prev = dr_slab_page_prev(page);
                    prev->next = page->next;
                    page->next->prev = page->prev;

                    page->next = NULL;
                    page->prev = DR_SLAB_EXACT;
                }

                p = dr_slab_page_addr(pool, page) + (i << shift);

                pool->stats[slot].used++;

                return (void *) p;
            }

        } else { /* shift > dr_slab_exact_shift */

            mask = ((uintptr_t) 1 << (dr_slab_pagesize >> shift)) - 1;
            mask <<= DR_SLAB_MAP_SHIFT;

            for (m = (uintptr_t) 1 << DR_SLAB_MAP_SHIFT, i = 0;
                 m & mask;
                 m <<= 1, i++)
            {
                if (page->slab & m) {
                    continue;
                }

                page->slab |= m;

                if ((page->slab & DR_SLAB_MAP_MASK) == mask) {
                    prev = dr_slab_page_prev(page);
                    prev->next = page->next;
                    page->next->prev = page->prev;

                    page->next = NULL;
                    page->prev = DR_SLAB_BIG;
                }

                p = dr_slab_page_addr(pool, page) + (i << shift);

                pool->stats[slot].used++;

                return (void *) p;
            }
        }

        dr_slab_error(pool, DR_LOG_ALERT, "dr_slab_alloc(): page is busy");
    }

    page = dr_slab_alloc_pages(pool, 1);

    if (page) {
        if (shift < dr_slab_exact_shift) {
            bitmap = (uintptr_t *) dr_slab_page_addr(pool, page);

            /* the chunks the bitmap itself occupies */

            n = (dr_slab_pagesize >> shift) / ((1 << shift) * 8);

            if (n == 0) {
                n = 1;
            }

            /* "n" elements for bitmap, plus one requested */

            for (i = 0; i < (n + 1) / (8 * sizeof(uintptr_t)); i++) {
                bitmap[i] = DR_SLAB_BUSY;
            }

            m = ((uintptr_t) 1 << ((n + 1) % (8 * sizeof(uintptr_t)))) - 1;
            bitmap[i] = m;

            map = (dr_slab_pagesize >> shift) / (8 * sizeof(uintptr_t));

            for (i = i + 1; i < map; i++) {
                bitmap[i] = 0;
            }

            page->slab = shift;
            page->next = &slots[slot];
            page->prev = (uintptr_t) &slots[slot] | DR_SLAB_SMALL;

            slots[slot].next = page;

            pool->stats[slot].total += (dr_slab_pagesize >> shift) - n;

            p = dr_slab_page_addr(pool, page) + (n << shift);

            pool->stats[slot].used++;

            return (void *) p;

        } else if (shift == dr_slab_exact_shift) {

            page->slab = 1;
            page->next = &slots[slot];
            page->prev = (uintptr_t) &slots[slot] | DR_SLAB_EXACT;

            slots[slot].next = page;

            pool->stats[slot].total += 8 * sizeof(uintptr_t);

            p = dr_slab_page_addr(pool, page);

            pool->stats[slot].used++;

            return (void *) p;

        } else { /* shift > dr_slab_exact_shift */

            page->slab = ((uintptr_t) 1 << DR_SLAB_MAP_SHIFT) | shift;
            page->next = &slots[slot];
            page->prev = (uintptr_t) &slots[slot] | DR_SLAB_BIG;

            slots[slot].next = page;

            pool->stats[slot].total += dr_slab_pagesize >> shift;

            p = dr_slab_page_addr(pool, page);

            pool->stats[slot].used++;

            return (void *) p;
        }
    }

    pool->stats[slot].fails++;

    return NULL;
}


void *
dr_slab_calloc(dr_slab_pool_t *pool, size_t size)
{
    void  *p;

    dr_shmtx_lock(&pool->mutex);

    p = dr_slab_calloc_locked(pool, size);

    dr_shmtx_unlock(&pool->mutex);

    return p;
}


void *
dr_slab_calloc_locked(dr_slab_pool_t *pool, size_t size)
{
    void  *p;

    p = dr_slab_alloc_locked(pool, size);
    if (p) {
        dr_memzero(p, size);
    }

    return p;
}


void
dr_slab_free(dr_slab_pool_t *pool, void *p)
{
    dr_shmtx_lock(&pool->mutex);

    dr_slab_free_locked(pool, p);

    dr_shmtx_unlock(&pool->mutex);
}


void
dr_slab_free_locked(dr_slab_pool_t *pool, void *p)
{
    size_t           size;
    uintptr_t        slab, m, *bitmap;
    dr_uint_t        i, n, type, slot, shift, map;
    dr_slab_page_t  *slots, *page;

    if ((u_char *) p < pool->start || (u_char *) p >= pool->end) {
        dr_slab_error(pool, DR_LOG_ALERT, "dr_slab_free(): outside of pool");
        return;
    }

    n = ((u_char *) p - pool->start) >> dr_slab_pagesize_shift;

    if (&pool->pages[n] >= pool->last) {
        dr_slab_error(pool, DR_LOG_ALERT, "dr_slab_free(): outside of pool");
        return;
    }

    page = &pool->pages[n];
    slab = page->slab;
    type = dr_slab_page_type(page);

    switch (type) {

    case DR_SLAB_SMALL:

        shift = slab & DR_SLAB_SHIFT_MASK;
        size = (size_t) 1 << shift;

        if ((uintptr_t) p & (size - 1)) {
            goto wrong_chunk;
        }

        n = ((uintptr_t) p & (dr_slab_pagesize - 1)) >> shift;
        m = (uintptr_t) 1 << (n % (8 * sizeof(uintptr_t)));
        n /= 8 * sizeof(uintptr_t);
        bitmap = (uintptr_t *)
                          ((uintptr_t) p & ~((uintptr_t) dr_slab_pagesize - 1));

        /* the chunks holding the bitmap are never handed out */

        i = (dr_slab_pagesize >> shift) / ((1 << shift) * 8);
        if (i == 0) {
            i = 1;
        }

        if ((((uintptr_t) p & (dr_slab_pagesize - 1)) >> shift) < i) {
            goto wrong_chunk;
        }

        if (bitmap[n] & m) {
            slot = shift - pool->min_shift;

            if (page->next == NULL) {
                slots = dr_slab_slots(pool);

                page->next = slots[slot].next;
                slots[slot].next = page;

                page->prev = (uintptr_t) &slots[slot] | DR_SLAB_SMALL;
                page->next->prev = (uintptr_t) page | DR_SLAB_SMALL;
            }

            bitmap[n] &= ~m;

            n = (dr_slab_pagesize >> shift) / ((1 << shift) * 8);

            if (n == 0) {
                n = 1;
            }

            i = n / (8 * sizeof(uintptr_t));
            m = ((uintptr_t) 1 << (n % (8 * sizeof(uintptr_t)))) - 1;

            if (bitmap[i] & ~m) {
                goto done;
            }

            map = (dr_slab_pagesize >> shift) / (8 * sizeof(uintptr_t));

            for (i = i + 1; i < map; i++) {
                if (bitmap[i]) {
                    goto done;
                }
            }

            dr_slab_free_pages(pool, page, 1);

            pool->stats[slot].total -= (dr_slab_pagesize >> shift) - n;

            goto done;
        }

        goto chunk_already_free;

    case DR_SLAB_EXACT:

        m = (uintptr_t) 1 <<
            (((uintptr_t) p & (dr_slab_pagesize - 1)) >> dr_slab_exact_shift);
        size = dr_slab_exact_size;

        if ((uintptr_t) p & (size - 1)) {
            goto wrong_chunk;
        }

        if (slab & m) {
            slot = dr_slab_exact_shift - pool->min_shift;

            if (slab == DR_SLAB_BUSY) {
                slots = dr_slab_slots(pool);

                page->next = slots[slot].next;
                slots[slot].next = page;

                page->prev = (uintptr_t) &slots[slot] | DR_SLAB_EXACT;
                page->next->prev = (uintptr_t) page | DR_SLAB_EXACT;
            }

            page->slab &= ~m;

            if (page->slab) {
                goto done;
            }

            dr_slab_free_pages(pool, page, 1);

            pool->stats[slot].total -= 8 * sizeof(uintptr_t);

            goto done;
        }

        goto chunk_already_free;

    case DR_SLAB_BIG:

        shift = slab & DR_SLAB_SHIFT_MASK;
        size = (size_t) 1 << shift;

        if ((uintptr_t) p & (size - 1)) {
            goto wrong_chunk;
        }

        m = (uintptr_t) 1
            << ((((uintptr_t) p & (dr_slab_pagesize - 1)) >> shift)
                + DR_SLAB_MAP_SHIFT);

        if (slab & m) {
            slot = shift - pool->min_shift;

            if (page->next == NULL) {
                slots = dr_slab_slots(pool);

                page->next = slots[slot].next;
                slots[slot].next = page;

                page->prev = (uintptr_t) &slots[slot] | DR_SLAB_BIG;
                page->next->prev = (uintptr_t) page | DR_SLAB_BIG;
            }

            page->slab &= ~m;

            if (page->slab & DR_SLAB_MAP_MASK) {
                goto done;
            }

            dr_slab_free_pages(pool, page, 1);

            pool->stats[slot].total -= dr_slab_pagesize >> shift;

            goto done;
        }

        goto chunk_already_free;

    case DR_SLAB_PAGE:

        if ((uintptr_t) p & (dr_slab_pagesize - 1)) {
            goto wrong_chunk;
        }

        if (!(slab & DR_SLAB_PAGE_START)) {
            dr_slab_error(pool, DR_LOG_ALERT,
                          "dr_slab_free(): page is already free");
            return;
        }

        if (slab == DR_SLAB_PAGE_BUSY) {
            dr_slab_error(pool, DR_LOG_ALERT,
                          "dr_slab_free(): pointer to wrong page");
            return;
        }

        size = slab & ~DR_SLAB_PAGE_START;

        dr_slab_free_pages(pool, page, size);

        dr_slab_junk(p, size << dr_slab_pagesize_shift);

        return;
    }

    /* not reached */

    return;

done:

    pool->stats[slot].used--;

    dr_slab_junk(p, size);

    return;

wrong_chunk:

    dr_slab_error(pool, DR_LOG_ALERT,
                  "dr_slab_free(): pointer to wrong chunk");

    return;

chunk_already_free:

    dr_slab_error(pool, DR_LOG_ALERT,
                  "dr_slab_free(): chunk is already free");
}


static dr_slab_page_t *
dr_slab_alloc_pages(dr_slab_pool_t *pool, dr_uint_t pages)
{
    dr_slab_page_t  *page, *p;

    for (page = pool->free.next; page != &pool->free; page = page->next) {

        if (page->slab >= pages) {

            if (page->slab > pages) {
                page[page->slab - 1].prev = (uintptr_t) &page[pages];

                page[pages].slab = page->slab - pages;
                page[pages].next = page->next;
                page[pages].prev = page->prev;

                p = (dr_slab_page_t *) page->prev;
                p->next = &page[pages];
                page->next->prev = (uintptr_t) &page[pages];

            } else {
                p = (dr_slab_page_t *) page->prev;
                p->next = page->next;
                page->next->prev = page->prev;
            }

            page->slab = pages | DR_SLAB_PAGE_START;
            page->next = NULL;
            page->prev = DR_SLAB_PAGE;

            pool->pfree -= pages;

            if (--pages == 0) {
                return page;
            }

            for (p = page + 1; pages; pages--) {
                p->slab = DR_SLAB_PAGE_BUSY;
                p->next = NULL;
                p->prev = DR_SLAB_PAGE;
                p++;
            }

            return page;
        }
    }

    if (pool->log_nomem) {
        dr_slab_error(pool, DR_LOG_CRIT, "dr_slab_alloc() failed: no memory");
    }

    return NULL;
}


/*
 * Returns a run of <pages> to the free list, merged with a free run right
 * after it and one right before it. A free run's first descriptor holds
 * its length, its last one's prev points back at the first (so the run
 * before can be found from its end); the descriptors in between are zero.
 */
static void
dr_slab_free_pages(dr_slab_pool_t *pool, dr_slab_page_t *page,
    dr_uint_t pages)
{
    dr_slab_page_t  *prev, *join;

    pool->pfree += pages;

    page->slab = pages--;

    if (pages) {
        dr_memzero(&page[1], pages * sizeof(dr_slab_page_t));
    }

    if (page->next) {
        prev = dr_slab_page_prev(page);
        prev->next = page->next;
        page->next->prev = page->prev;
    }

    join = page + page->slab;

    if (join < pool->last) {

        if (dr_slab_page_type(join) == DR_SLAB_PAGE) {

            if (join->next != NULL) {
                pages += join->slab;
                page->slab += join->slab;

                prev = dr_slab_page_prev(join);
                prev->next = join->next;
                join->next->prev = join->prev;

                join->slab = DR_SLAB_PAGE_FREE;
                join->next = NULL;
                join->prev = DR_SLAB_PAGE;
            }
        }
    }

    if (page > pool->pages) {
        join = page - 1;

        if (dr_slab_page_type(join) == DR_SLAB_PAGE) {

            if (join->slab == DR_SLAB_PAGE_FREE) {
                join = dr_slab_page_prev(join);
            }

            if (join->next != NULL) {
                pages += join->slab;
                join->slab += page->slab;

                prev = dr_slab_page_prev(join);
                prev->next = join->next;
                join->next->prev = join->prev;

                page->slab = DR_SLAB_PAGE_FREE;
                page->next = NULL;
                page->prev = DR_SLAB_PAGE;

                page = join;
            }
        }
    }

    if (pages) {
        page[pages].prev = (uintptr_t) page;
    }

    page->prev = (uintptr_t) &pool->free;
    page->next = pool->free.next;

    page->next->prev = (uintptr_t) page;

    pool->free.next = page;
}


/* to the cycle's log, or stderr before there is one (and in tests) */
static void
dr_slab_error(dr_slab_pool_t *pool, dr_uint_t level, char *text)
{
    if (dr_cycle && dr_cycle->log) {
        dr_log_error(level, dr_cycle->log, 0, "%s%s", text, pool->log_ctx);

    } else {
        dr_log_stderr(0, "%s%s", text, pool->log_ctx);
    }
}
