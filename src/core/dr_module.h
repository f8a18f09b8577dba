/*
 * Modules. Every feature, including the core's own directives, is a module:
 * a directive table plus hooks. configure writes objs/dr_modules.c with the
 * ordered list (dr_modules[], NULL-terminated); order is meaningful (filters
 * run in it). index is the module's place in dr_modules[]; ctx_index its
 * place among the modules of its type (http, event, ...), which is what the
 * per-context conf arrays are indexed by.
 *
 * Hooks, each optional, with the process that calls them:
 *   init_module   master, after a configuration has been parsed and merged
 *                 (at start and at every reload), before processes fork
 *   init_process  each child process right after fork (check dr_process to
 *                 know which role you are in)
 *   exit_process  each child process before it exits
 *   exit_master   the master before it exits
 *   master_tick   the master, each time it wakes up (signals, timers); may
 *                 lower *next (a dr_current_msec deadline, 0 = none) to be
 *                 woken again then: periodic master work (log rotation)
 */
#ifndef DR_MODULE_H_INCLUDED
#define DR_MODULE_H_INCLUDED

#define DR_MODULE_UNSET_INDEX  (dr_uint_t) -1

struct dr_module_s {
    dr_uint_t       ctx_index;
    dr_uint_t       index;
    const char     *name;
    dr_uint_t       type;
    void           *ctx;
    dr_command_t   *commands;

    dr_int_t      (*init_module)(dr_cycle_t *cycle);
    dr_int_t      (*init_process)(dr_cycle_t *cycle);
    void          (*exit_process)(dr_cycle_t *cycle);
    void          (*exit_master)(dr_cycle_t *cycle);
    void          (*master_tick)(dr_cycle_t *cycle, dr_msec_t *next);
};

/* the context of DR_CORE_MODULE modules: one conf struct per cycle */
typedef struct {
    dr_str_t        name;
    void         *(*create_conf)(dr_cycle_t *cycle);
    char         *(*init_conf)(dr_cycle_t *cycle, void *conf);
} dr_core_module_t;

extern dr_module_t  *dr_modules[];      /* objs/dr_modules.c */
extern char         *dr_module_names[];
extern dr_uint_t     dr_max_module;

dr_int_t dr_preinit_modules(void);
dr_int_t dr_cycle_modules(dr_cycle_t *cycle);
dr_int_t dr_init_modules(dr_cycle_t *cycle);
/* numbers the modules of <type> (ctx_index); returns how many there are */
dr_int_t dr_count_modules(dr_cycle_t *cycle, dr_uint_t type);

#endif
