/*
 * Shared memory mappings and the named zones of a cycle.
 *
 * Zones are declared during config parsing (dr_shared_memory_add), mapped
 * by the master when the cycle is built (dr_shm_cycle_zones) and inherited
 * by every child through fork: MAP_SHARED|MAP_ANONYMOUS, so there is no
 * file or name in the system to clean up, and the address is the same in
 * all processes (the slab allocator stores absolute pointers).
 *
 * Across a reload a zone keeps its mapping when the new config declares it
 * with the same name, size and tag (and without noreuse): its init gets
 * the old zone's data and may adopt the structures in it. Zones of the old
 * cycle that nobody took over are unmapped once the new cycle is in place
 * (dr_shm_cycle_free_old); if the new cycle fails, the mappings it made
 * are unmapped instead (dr_shm_cycle_rollback).
 */

#include "dr_core.h"


#define DR_SHM_MIN_PAGES  8


static dr_shm_zone_t *dr_shm_find_zone(dr_list_t *list, dr_str_t *name);
static dr_uint_t dr_shm_addr_in(dr_list_t *list, u_char *addr);


dr_int_t
dr_shm_alloc(dr_shm_t *shm)
{
    shm->addr = (u_char *) mmap(NULL, shm->size, PROT_READ|PROT_WRITE,
                                MAP_ANONYMOUS|MAP_SHARED, -1, 0);

    if (shm->addr == MAP_FAILED) {
        dr_log_error(DR_LOG_ALERT, shm->log, dr_errno,
                     "mmap(MAP_ANON|MAP_SHARED, %uz) failed", shm->size);
        shm->addr = NULL;
        return DR_ERROR;
    }

    return DR_OK;
}


void
dr_shm_free(dr_shm_t *shm)
{
    if (shm->addr == NULL) {
        return;
    }

    if (munmap((void *) shm->addr, shm->size) == -1) {
        dr_log_error(DR_LOG_ALERT, shm->log, dr_errno,
                     "munmap(%p, %uz) failed", shm->addr, shm->size);
    }

    shm->addr = NULL;
}


dr_shm_zone_t *
dr_shared_memory_add(dr_conf_t *cf, dr_str_t *name, size_t size, void *tag)
{
    dr_shm_zone_t  *shm_zone;

    shm_zone = dr_shm_find_zone(&cf->cycle->shared_memory, name);

    if (shm_zone) {

        if (tag != shm_zone->tag) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "the shared memory zone \"%V\" is "
                              "already declared for a different use",
                              &shm_zone->shm.name);
            return NULL;
        }

        if (shm_zone->shm.size == 0) {
            shm_zone->shm.size = size;
        }

        if (size && size != shm_zone->shm.size) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "the size %uz of shared memory zone \"%V\" "
                              "conflicts with already declared size %uz",
                              size, &shm_zone->shm.name, shm_zone->shm.size);
            return NULL;
        }

        return shm_zone;
    }

    shm_zone = dr_list_push(&cf->cycle->shared_memory);
    if (shm_zone == NULL) {
        return NULL;
    }

    shm_zone->data = NULL;
    shm_zone->shm.log = cf->cycle->log;
    shm_zone->shm.addr = NULL;
    shm_zone->shm.size = size;
    shm_zone->shm.name = *name;
    shm_zone->shm.exists = 0;
    shm_zone->init = NULL;
    shm_zone->tag = tag;
    shm_zone->sync = NULL;
    shm_zone->noreuse = 0;

    return shm_zone;
}


dr_int_t
dr_shm_zone_init_pool(dr_log_t *log, dr_shm_zone_t *zn)
{
    u_char          *p, *ctx, *name;
    size_t           min, len;
    dr_slab_pool_t  *sp;

    sp = (dr_slab_pool_t *) zn->shm.addr;

    if (zn->shm.exists) {

        if (sp == sp->addr) {
            return DR_OK;
        }

        dr_log_error(DR_LOG_EMERG, log, 0,
                     "shared zone \"%V\" has no equal addresses: %p vs %p",
                     &zn->shm.name, sp->addr, sp);
        return DR_ERROR;
    }

    min = DR_SHM_MIN_PAGES * (size_t) sysconf(_SC_PAGESIZE);

    if (zn->shm.size < min) {
        dr_log_error(DR_LOG_EMERG, log, 0,
                     "shared zone \"%V\" is too small: %uz bytes, "
                     "at least %uz needed", &zn->shm.name, zn->shm.size, min);
        return DR_ERROR;
    }

    sp->end = zn->shm.addr + zn->shm.size;
    sp->min_shift = 3;
    sp->addr = zn->shm.addr;

    if (dr_shmtx_create(&sp->mutex, &sp->lock, NULL) != DR_OK) {
        return DR_ERROR;
    }

    dr_slab_init(sp);

    /*
     * The zone's name for the mutex's and the allocator's messages lives
     * in the zone itself (users may set their own log_ctx).
     */

    len = sizeof(" in shared zone \"\"") + zn->shm.name.len;

    ctx = dr_slab_alloc_locked(sp, len + zn->shm.name.len + 1);
    if (ctx == NULL) {
        return DR_ERROR;
    }

    p = dr_cpymem(ctx, " in shared zone \"", sizeof(" in shared zone \"") - 1);
    p = dr_cpymem(p, zn->shm.name.data, zn->shm.name.len);
    *p++ = '"';
    *p++ = '\0';

    name = p;
    p = dr_cpymem(p, zn->shm.name.data, zn->shm.name.len);
    *p = '\0';

    sp->log_ctx = ctx;
    sp->mutex.name = name;

    return DR_OK;
}


dr_int_t
dr_shm_cycle_zones(dr_cycle_t *cycle, dr_cycle_t *old_cycle)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_shm_zone_t    *shm_zone, *oshm_zone;

    part = &cycle->shared_memory.part;
    shm_zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            shm_zone = part->elts;
            i = 0;
        }

        if (shm_zone[i].shm.size == 0) {
            dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                         "zero size shared memory zone \"%V\"",
                         &shm_zone[i].shm.name);
            return DR_ERROR;
        }

        shm_zone[i].shm.log = cycle->log;

        oshm_zone = NULL;

        if (old_cycle && old_cycle->shared_memory.part.elts) {
            oshm_zone = dr_shm_find_zone(&old_cycle->shared_memory,
                                         &shm_zone[i].shm.name);
        }

        if (oshm_zone
            && oshm_zone->shm.addr
            && shm_zone[i].tag == oshm_zone->tag
            && shm_zone[i].shm.size == oshm_zone->shm.size
            && !shm_zone[i].noreuse)
        {
            shm_zone[i].shm.addr = oshm_zone->shm.addr;
            shm_zone[i].shm.exists = 1;

            if (shm_zone[i].init
                && shm_zone[i].init(&shm_zone[i], oshm_zone->data) != DR_OK)
            {
                return DR_ERROR;
            }

            continue;
        }

        if (dr_shm_alloc(&shm_zone[i].shm) != DR_OK) {
            return DR_ERROR;
        }

        shm_zone[i].shm.exists = 0;

        if (dr_shm_zone_init_pool(cycle->log, &shm_zone[i]) != DR_OK) {
            return DR_ERROR;
        }

        if (shm_zone[i].init && shm_zone[i].init(&shm_zone[i], NULL) != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


void
dr_shm_cycle_free_old(dr_cycle_t *cycle, dr_cycle_t *old_cycle)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_shm_zone_t    *oshm_zone;

    if (old_cycle == NULL || old_cycle->shared_memory.part.elts == NULL) {
        return;
    }

    part = &old_cycle->shared_memory.part;
    oshm_zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            oshm_zone = part->elts;
            i = 0;
        }

        if (oshm_zone[i].shm.addr == NULL) {
            continue;
        }

        if (!dr_shm_addr_in(&cycle->shared_memory, oshm_zone[i].shm.addr)) {
            dr_shm_free(&oshm_zone[i].shm);
        }
    }
}


void
dr_shm_cycle_rollback(dr_cycle_t *cycle, dr_cycle_t *old_cycle)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_shm_zone_t    *shm_zone;

    if (cycle->shared_memory.part.elts == NULL) {
        return;
    }

    part = &cycle->shared_memory.part;
    shm_zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            shm_zone = part->elts;
            i = 0;
        }

        if (shm_zone[i].shm.addr == NULL) {
            continue;
        }

        if (old_cycle == NULL
            || old_cycle->shared_memory.part.elts == NULL
            || !dr_shm_addr_in(&old_cycle->shared_memory,
                               shm_zone[i].shm.addr))
        {
            dr_shm_free(&shm_zone[i].shm);

        } else {
            /* the old cycle's: it goes on using it */
            shm_zone[i].shm.addr = NULL;
        }
    }
}


static dr_shm_zone_t *
dr_shm_find_zone(dr_list_t *list, dr_str_t *name)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_shm_zone_t    *shm_zone;

    part = &list->part;
    shm_zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }
            part = part->next;
            shm_zone = part->elts;
            i = 0;
        }

        if (name->len == shm_zone[i].shm.name.len
            && dr_memcmp(name->data, shm_zone[i].shm.name.data, name->len)
               == 0)
        {
            return &shm_zone[i];
        }
    }
}


static dr_uint_t
dr_shm_addr_in(dr_list_t *list, u_char *addr)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_shm_zone_t    *shm_zone;

    part = &list->part;
    shm_zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }
            part = part->next;
            shm_zone = part->elts;
            i = 0;
        }

        if (shm_zone[i].shm.addr == addr) {
            return 1;
        }
    }
}
