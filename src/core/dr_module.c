/*
 * The module registry. dr_modules[] comes from objs/dr_modules.c, written by
 * configure in a meaningful order. Indexes are assigned once at start-up;
 * each cycle gets its own copy of the list so that a future dynamic-module
 * loader can differ per cycle without touching this code's callers.
 */

#include "dr_core.h"

dr_uint_t  dr_max_module;


dr_int_t
dr_preinit_modules(void)
{
    dr_uint_t  i;

    for (i = 0; dr_modules[i]; i++) {
        dr_modules[i]->index = i;
        dr_modules[i]->name = dr_module_names[i];
    }

    dr_max_module = i;

    return DR_OK;
}


dr_int_t
dr_cycle_modules(dr_cycle_t *cycle)
{
    cycle->modules = dr_pcalloc(cycle->pool,
                                (dr_max_module + 1) * sizeof(dr_module_t *));
    if (cycle->modules == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(cycle->modules, dr_modules,
              dr_max_module * sizeof(dr_module_t *));

    cycle->modules_n = dr_max_module;

    return DR_OK;
}


dr_int_t
dr_init_modules(dr_cycle_t *cycle)
{
    dr_uint_t  i;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->init_module) {
            if (cycle->modules[i]->init_module(cycle) != DR_OK) {
                return DR_ERROR;
            }
        }
    }

    return DR_OK;
}


dr_int_t
dr_count_modules(dr_cycle_t *cycle, dr_uint_t type)
{
    dr_uint_t  i, next;

    next = 0;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != type) {
            continue;
        }

        cycle->modules[i]->ctx_index = next++;
    }

    cycle->modules_used = 1;

    return next;
}
