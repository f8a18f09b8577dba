/*
 * Shared memory: anonymous shared mappings made by the master before it
 * forks, so every child sees them at the same address; and the named zones
 * that modules declare at config time (nginx's ngx_shared_memory_add).
 *
 * A reload keeps a zone's mapping (and its contents) when the new config
 * declares it with the same name, size and tag; the zone's init callback
 * then gets the old zone's data so it can adopt it.
 */
#ifndef DR_SHM_H_INCLUDED
#define DR_SHM_H_INCLUDED

typedef struct {
    u_char       *addr;
    size_t        size;
    dr_str_t      name;
    dr_log_t     *log;
    dr_uint_t     exists;   /* the mapping was inherited, already set up */
} dr_shm_t;

/* mmap(MAP_ANON|MAP_SHARED) of shm->size bytes; DR_OK or DR_ERROR (logged) */
dr_int_t dr_shm_alloc(dr_shm_t *shm);
void dr_shm_free(dr_shm_t *shm);

typedef dr_int_t (*dr_shm_zone_init_pt)(dr_shm_zone_t *zone, void *data);

struct dr_shm_zone_s {
    void                  *data;
    dr_shm_t               shm;
    dr_shm_zone_init_pt    init;
    void                  *tag;
    void                  *sync;
    dr_uint_t              noreuse;     /* never take over an old mapping */
};

/*
 * Declares (or references) the zone <name> in cf->cycle. <size> 0 means a
 * reference whose size is given elsewhere. <tag> identifies the user
 * (usually &dr_xxx_module): the same name with another tag is an error.
 * Returns the zone (the caller sets init and data) or NULL (logged).
 */
dr_shm_zone_t *dr_shared_memory_add(dr_conf_t *cf, dr_str_t *name,
    size_t size, void *tag);

/* lays a slab pool (dr_slab.h) over a freshly mapped zone; DR_OK/DR_ERROR */
dr_int_t dr_shm_zone_init_pool(dr_log_t *log, dr_shm_zone_t *zn);

/*
 * Maps the zones of <cycle>, reusing <old_cycle>'s (may be NULL) mappings
 * where name, size and tag match, and calls each zone's init. DR_OK, or
 * DR_ERROR (logged): then call dr_shm_cycle_rollback().
 */
dr_int_t dr_shm_cycle_zones(dr_cycle_t *cycle, dr_cycle_t *old_cycle);
/* after the new cycle is committed: unmaps old zones that were not reused */
void dr_shm_cycle_free_old(dr_cycle_t *cycle, dr_cycle_t *old_cycle);
/* after a failed new cycle: unmaps the new cycle's zones not taken over */
void dr_shm_cycle_rollback(dr_cycle_t *cycle, dr_cycle_t *old_cycle);

#endif /* DR_SHM_H_INCLUDED */
