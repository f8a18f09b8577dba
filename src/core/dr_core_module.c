/*
 * The core module: the main-context directives (daemon, master_process,
 * worker_processes, worker_rlimit_nofile, worker_shutdown_timeout, pid,
 * user, env, timer_resolution, worker_rlimit_core) and their defaults.
 * Its conf (dr_core_conf_t, in dr_cycle.h) is read by the process code.
 * Runs in the master only, while a configuration is parsed.
 */

#include "dr_core.h"
#include <sched.h>

static void *dr_core_module_create_conf(dr_cycle_t *cycle);
static char *dr_core_module_init_conf(dr_cycle_t *cycle, void *conf);
static char *dr_core_module_set_user(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_core_module_set_env(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_core_module_set_worker_processes(dr_conf_t *cf,
    dr_command_t *cmd, void *conf);
static char *dr_core_module_set_rlimit(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);

static dr_command_t  dr_core_commands[] = {

    { dr_string("daemon"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      0,
      offsetof(dr_core_conf_t, daemon),
      NULL },

    { dr_string("master_process"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      0,
      offsetof(dr_core_conf_t, master),
      NULL },

    { dr_string("timer_resolution"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      0,
      offsetof(dr_core_conf_t, timer_resolution),
      NULL },

    { dr_string("pid"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_slot,
      0,
      offsetof(dr_core_conf_t, pid),
      NULL },

    { dr_string("worker_processes"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_core_module_set_worker_processes,
      0,
      0,
      NULL },

    { dr_string("worker_rlimit_nofile"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_core_module_set_rlimit,
      0,
      offsetof(dr_core_conf_t, rlimit_nofile),
      NULL },

    { dr_string("worker_rlimit_core"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_core_module_set_rlimit,
      0,
      offsetof(dr_core_conf_t, rlimit_core),
      NULL },

    { dr_string("worker_shutdown_timeout"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      0,
      offsetof(dr_core_conf_t, shutdown_timeout),
      NULL },

    { dr_string("user"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE12,
      dr_core_module_set_user,
      0,
      0,
      NULL },

    { dr_string("env"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_core_module_set_env,
      0,
      0,
      NULL },

    dr_null_command
};

static dr_core_module_t  dr_core_module_ctx = {
    .name = dr_string("core"),
    .create_conf = dr_core_module_create_conf,
    .init_conf = dr_core_module_init_conf,
};

dr_module_t  dr_core_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "core",
    .type = DR_CORE_MODULE,
    .ctx = &dr_core_module_ctx,
    .commands = dr_core_commands,
};


static void *
dr_core_module_create_conf(dr_cycle_t *cycle)
{
    dr_core_conf_t  *ccf;

    ccf = dr_pcalloc(cycle->pool, sizeof(dr_core_conf_t));
    if (ccf == NULL) {
        return NULL;
    }

    /*
     * set by dr_pcalloc():
     *
     *     ccf->pid = NULL;
     *     ccf->oldpid = NULL;
     *     ccf->username = NULL;
     */

    ccf->daemon = DR_CONF_UNSET;
    ccf->master = DR_CONF_UNSET;
    ccf->timer_resolution = DR_CONF_UNSET_MSEC;
    ccf->shutdown_timeout = DR_CONF_UNSET_MSEC;
    ccf->worker_processes = DR_CONF_UNSET;
    ccf->rlimit_nofile = DR_CONF_UNSET;
    ccf->rlimit_core = DR_CONF_UNSET;
    ccf->user = (uid_t) DR_CONF_UNSET_UINT;
    ccf->group = (gid_t) DR_CONF_UNSET_UINT;

    if (dr_array_init(&ccf->env, cycle->pool, 1, sizeof(dr_str_t)) != DR_OK)
    {
        return NULL;
    }

    return ccf;
}


static char *
dr_core_module_init_conf(dr_cycle_t *cycle, void *conf)
{
    dr_core_conf_t  *ccf = conf;

    struct passwd   *pwd;
    struct group    *grp;

    dr_conf_init_value(ccf->daemon, 1);
    dr_conf_init_value(ccf->master, 1);
    dr_conf_init_msec_value(ccf->timer_resolution, 0);
    dr_conf_init_msec_value(ccf->shutdown_timeout, 0);
    dr_conf_init_value(ccf->worker_processes, 1);

    if (ccf->pid.len == 0) {
        dr_str_set(&ccf->pid, DR_PID_PATH);
    }

    if (dr_conf_full_name(cycle, &ccf->pid, 0) != DR_OK) {
        return DR_CONF_ERROR;
    }

    ccf->oldpid.len = ccf->pid.len + sizeof(".oldbin") - 1;

    ccf->oldpid.data = dr_pnalloc(cycle->pool, ccf->oldpid.len + 1);
    if (ccf->oldpid.data == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memcpy(dr_cpymem(ccf->oldpid.data, ccf->pid.data, ccf->pid.len),
              ".oldbin", sizeof(".oldbin"));

    if (ccf->user == (uid_t) DR_CONF_UNSET_UINT && geteuid() == 0) {

        /* as nginx: a root master runs its children as nobody:nogroup */

        pwd = getpwnam("nobody");
        if (pwd == NULL) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "getpwnam(\"nobody\") failed");
            return DR_CONF_ERROR;
        }

        ccf->username = (u_char *) "nobody";
        ccf->user = pwd->pw_uid;

        grp = getgrnam("nogroup");
        if (grp == NULL) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "getgrnam(\"nogroup\") failed");
            return DR_CONF_ERROR;
        }

        ccf->group = grp->gr_gid;
    }

    return DR_CONF_OK;
}


static char *
dr_core_module_set_user(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_core_conf_t  *ccf = conf;

    char            *group;
    struct passwd   *pwd;
    struct group    *grp;
    dr_str_t        *value;

    if (ccf->user != (uid_t) DR_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    if (geteuid() != 0) {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "the \"user\" directive makes sense only "
                          "if the master process runs "
                          "with super-user privileges, ignored");
        return DR_CONF_OK;
    }

    value = cf->args->elts;

    ccf->username = value[1].data;

    errno = 0;
    pwd = getpwnam((const char *) value[1].data);
    if (pwd == NULL) {
        dr_conf_log_error(DR_LOG_EMERG, cf, errno,
                          "getpwnam(\"%s\") failed", value[1].data);
        return DR_CONF_ERROR;
    }

    ccf->user = pwd->pw_uid;

    group = (char *) ((cf->args->nelts == 2) ? value[1].data : value[2].data);

    errno = 0;
    grp = getgrnam(group);
    if (grp == NULL) {
        dr_conf_log_error(DR_LOG_EMERG, cf, errno,
                          "getgrnam(\"%s\") failed", group);
        return DR_CONF_ERROR;
    }

    ccf->group = grp->gr_gid;

    return DR_CONF_OK;
}


static char *
dr_core_module_set_env(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_core_conf_t  *ccf = conf;

    dr_str_t  *value, *var;

    var = dr_array_push(&ccf->env);
    if (var == NULL) {
        return DR_CONF_ERROR;
    }

    value = cf->args->elts;
    *var = value[1];

    if (var->len == 0 || var->data[0] == '=') {
        return "has an empty variable name";
    }

    return DR_CONF_OK;
}


static dr_int_t
dr_core_module_ncpu(void)
{
    cpu_set_t  set;
    long       n;

    if (sched_getaffinity(0, sizeof(set), &set) == 0) {
        n = CPU_COUNT(&set);
        if (n > 0) {
            return n;
        }
    }

    n = sysconf(_SC_NPROCESSORS_ONLN);

    return n > 0 ? n : 1;
}


static char *
dr_core_module_set_worker_processes(dr_conf_t *cf, dr_command_t *cmd,
    void *conf)
{
    dr_core_conf_t  *ccf = conf;

    dr_str_t  *value;

    if (ccf->worker_processes != DR_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (dr_str_eq_lit(&value[1], "auto")) {
        ccf->worker_processes = dr_core_module_ncpu();
        return DR_CONF_OK;
    }

    ccf->worker_processes = dr_atoi(value[1].data, value[1].len);

    if (ccf->worker_processes == DR_ERROR) {
        return "invalid value";
    }

    if (ccf->worker_processes < 1 || ccf->worker_processes > 512) {
        ccf->worker_processes = DR_ERROR;
        return "must be between 1 and 512 (or \"auto\")";
    }

    return DR_CONF_OK;
}


static char *
dr_core_module_set_rlimit(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char  *p = conf;

    off_t      v;
    dr_int_t  *np;
    dr_str_t  *value;

    np = (dr_int_t *) (p + cmd->offset);

    if (*np != DR_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    v = (cmd->offset == offsetof(dr_core_conf_t, rlimit_core))
        ? dr_parse_offset(&value[1])
        : (off_t) dr_atoi(value[1].data, value[1].len);

    if (v == DR_ERROR) {
        return (cmd->offset == offsetof(dr_core_conf_t, rlimit_core))
               ? "invalid value" : "invalid number";
    }

    *np = (dr_int_t) v;

    return DR_CONF_OK;
}
