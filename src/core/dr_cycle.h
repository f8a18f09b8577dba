/*
 * A cycle is one configuration generation: everything parsed from the
 * config file and everything that lives exactly as long as it (the pool,
 * listening sockets, shared memory zones, open log files, the process roles
 * to run). A reload builds a new cycle from the old one; if that fails, the
 * old cycle goes on untouched.
 */
#ifndef DR_CYCLE_H_INCLUDED
#define DR_CYCLE_H_INCLUDED

#define DR_CYCLE_POOL_SIZE     DR_DEFAULT_POOL_SIZE

typedef struct dr_process_role_s  dr_process_role_t;

/*
 * A kind of child process the master runs: "worker" × N, "keeper",
 * "agent". Modules add roles from init_module; the master forks <count>
 * processes of each and calls run() in them (it must not return). At a
 * reload, the processes of a role whose <fingerprint> is unchanged and
 * non-empty are kept (the keeper keeps its sessions); the others are
 * replaced: new ones start, old ones get QUIT.
 */
struct dr_process_role_s {
    const char     *name;           /* "worker process" */
    dr_uint_t       count;
    void          (*run)(dr_cycle_t *cycle, dr_uint_t slot);
    dr_str_t        fingerprint;
};

#define DR_MAX_ROLES  8

typedef struct {
    dr_flag_t       daemon;
    dr_flag_t       master;
    dr_msec_t       timer_resolution;
    dr_msec_t       shutdown_timeout;
    dr_int_t        worker_processes;
    dr_int_t        rlimit_nofile;
    dr_int_t        rlimit_core;
    uid_t           user;
    gid_t           group;
    u_char         *username;
    dr_str_t        pid;
    dr_str_t        oldpid;
    dr_array_t      env;            /* dr_str_t "NAME" or "NAME=value" */
    char          **environment;
} dr_core_conf_t;

struct dr_cycle_s {
    void                  **conf_ctx;   /* [module index] -> conf */
    dr_pool_t              *pool;

    dr_log_t               *log;
    dr_log_t                new_log;
    dr_uint_t               log_use_stderr;

    /* event layer: per-process connection table (see src/event) */
    dr_connection_t       **files;
    dr_connection_t        *free_connections;
    dr_uint_t               free_connection_n;
    dr_uint_t               files_n;
    dr_uint_t               connection_n;
    dr_connection_t        *connections;
    dr_event_t             *read_events;
    dr_event_t             *write_events;
    dr_queue_t              reusable_connections_queue;
    dr_uint_t               reusable_connections_n;

    dr_module_t           **modules;
    dr_uint_t               modules_n;
    dr_uint_t               modules_used;

    dr_array_t              listening;      /* dr_listening_t (src/os) */
    dr_array_t              config_dump;    /* dr_conf_dump_t, for -T */
    dr_list_t               open_files;     /* dr_open_file_t */
    dr_list_t               shared_memory;  /* dr_shm_zone_t */

    dr_process_role_t       roles[DR_MAX_ROLES];
    dr_uint_t               nroles;

    dr_cycle_t             *old_cycle;

    dr_str_t                conf_file;
    dr_str_t                conf_param;
    dr_str_t                conf_prefix;
    dr_str_t                prefix;
    dr_str_t                error_log;
    dr_str_t                hostname;
};

extern volatile dr_cycle_t  *dr_cycle;
extern dr_module_t           dr_core_module;
extern dr_uint_t             dr_test_config;
extern dr_uint_t             dr_dump_config;
extern dr_uint_t             dr_quiet_mode;

/*
 * Builds a new cycle from the configuration file named in <old_cycle>
 * (prefix, conf_file and conf_param are taken from it). Returns NULL on any
 * error, already logged, with <old_cycle> untouched and still serving. On
 * success the old cycle is still alive; the caller releases it with
 * dr_cycle_free_old() once it no longer needs its roles.
 */
dr_cycle_t *dr_init_cycle(dr_cycle_t *old_cycle);
/* closes what <old_cycle> holds that <cycle> did not take over; frees it */
void dr_cycle_free_old(dr_cycle_t *cycle, dr_cycle_t *old_cycle);
dr_int_t dr_create_pidfile(dr_str_t *name, dr_log_t *log);
void dr_delete_pidfile(dr_cycle_t *cycle);
dr_int_t dr_signal_process(dr_cycle_t *cycle, char *sig);
void dr_reopen_files(dr_cycle_t *cycle, uid_t user);
char **dr_set_environment(dr_cycle_t *cycle, dr_uint_t *last);
/* called from init_module hooks: the master will run <role> (copied) */
dr_int_t dr_add_process_role(dr_cycle_t *cycle, dr_process_role_t *role);
dr_process_role_t *dr_cycle_find_role(dr_cycle_t *cycle, const char *name);
dr_int_t dr_cycle_set_hostname(dr_cycle_t *cycle);

#endif
