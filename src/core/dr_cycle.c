/*
 * Configuration generations ("cycles"): building one from the config file,
 * opening what it needs (log files, shared memory zones, listening sockets),
 * and releasing the previous one.
 *
 * Runs in the master (and in `drover -t`/`-s`). The rule that makes reloads
 * safe: dr_init_cycle() touches nothing the running cycle uses until the new
 * configuration has been parsed, checked and everything it needs has been
 * opened; any failure before that frees the new cycle and returns NULL, and
 * the old one goes on serving. Listening sockets and shared memory zones
 * that both generations declare are handed over (same fd, same mapping), so
 * a reload neither refuses a connection nor loses peer state.
 *
 * This file and drover.c are the composition root of the core layer: they
 * include the os layer (sockets), which nothing else in src/core does.
 */

#include "dr_core.h"
#include "dr_os.h"

static dr_int_t dr_cycle_open_files(dr_cycle_t *cycle);
static void dr_cycle_close_files(dr_cycle_t *cycle, dr_cycle_t *keep);
static void dr_cycle_destroy(dr_cycle_t *cycle);

volatile dr_cycle_t  *dr_cycle;

dr_uint_t            dr_test_config;
dr_uint_t            dr_dump_config;
dr_uint_t            dr_quiet_mode;


dr_cycle_t *
dr_init_cycle(dr_cycle_t *old_cycle)
{
    void                *rv;
    char               **senv;
    dr_uint_t            i, n;
    dr_log_t            *log;
    dr_conf_t            conf;
    dr_pool_t           *pool;
    dr_cycle_t          *cycle;
    dr_core_conf_t      *ccf, *old_ccf;
    dr_core_module_t    *module;

    dr_time_update();

    log = old_cycle->log;

    pool = dr_create_pool(DR_CYCLE_POOL_SIZE, log);
    if (pool == NULL) {
        return NULL;
    }
    pool->log = log;

    cycle = dr_pcalloc(pool, sizeof(dr_cycle_t));
    if (cycle == NULL) {
        dr_destroy_pool(pool);
        return NULL;
    }

    cycle->pool = pool;
    cycle->log = log;
    cycle->old_cycle = old_cycle;

    cycle->conf_prefix.len = old_cycle->conf_prefix.len;
    cycle->conf_prefix.data = dr_pstrdup(pool, &old_cycle->conf_prefix);
    cycle->prefix.len = old_cycle->prefix.len;
    cycle->prefix.data = dr_pstrdup(pool, &old_cycle->prefix);
    cycle->error_log.len = old_cycle->error_log.len;
    cycle->error_log.data = dr_pnalloc(pool, old_cycle->error_log.len + 1);
    cycle->conf_file.len = old_cycle->conf_file.len;
    cycle->conf_file.data = dr_pnalloc(pool, old_cycle->conf_file.len + 1);
    cycle->conf_param.len = old_cycle->conf_param.len;
    cycle->conf_param.data = dr_pstrdup(pool, &old_cycle->conf_param);

    if (cycle->conf_prefix.data == NULL || cycle->prefix.data == NULL
        || cycle->error_log.data == NULL || cycle->conf_file.data == NULL
        || (cycle->conf_param.len && cycle->conf_param.data == NULL))
    {
        dr_destroy_pool(pool);
        return NULL;
    }

    dr_cpystrn(cycle->error_log.data, old_cycle->error_log.data,
               old_cycle->error_log.len + 1);
    dr_cpystrn(cycle->conf_file.data, old_cycle->conf_file.data,
               old_cycle->conf_file.len + 1);

    n = old_cycle->open_files.part.nelts ? 16 : 20;

    if (dr_list_init(&cycle->open_files, pool, n, sizeof(dr_open_file_t))
        != DR_OK
        || dr_list_init(&cycle->shared_memory, pool, 4, sizeof(dr_shm_zone_t))
           != DR_OK
        || dr_array_init(&cycle->listening, pool, 4, sizeof(dr_listening_t))
           != DR_OK
        || dr_array_init(&cycle->config_dump, pool, 1,
                         sizeof(dr_conf_dump_t)) != DR_OK)
    {
        dr_destroy_pool(pool);
        return NULL;
    }

    dr_queue_init(&cycle->reusable_connections_queue);

    if (dr_cycle_set_hostname(cycle) != DR_OK) {
        dr_destroy_pool(pool);
        return NULL;
    }

    if (dr_cycle_modules(cycle) != DR_OK) {
        dr_destroy_pool(pool);
        return NULL;
    }

    cycle->conf_ctx = dr_pcalloc(pool, dr_max_module * sizeof(void *));
    if (cycle->conf_ctx == NULL) {
        dr_destroy_pool(pool);
        return NULL;
    }

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != DR_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->create_conf) {
            rv = module->create_conf(cycle);
            if (rv == NULL) {
                dr_destroy_pool(pool);
                return NULL;
            }
            cycle->conf_ctx[cycle->modules[i]->index] = rv;
        }
    }

    senv = environ;

    dr_memzero(&conf, sizeof(dr_conf_t));

    conf.args = dr_array_create(pool, 10, sizeof(dr_str_t));
    if (conf.args == NULL) {
        dr_destroy_pool(pool);
        return NULL;
    }

    conf.temp_pool = dr_create_pool(DR_CYCLE_POOL_SIZE, log);
    if (conf.temp_pool == NULL) {
        dr_destroy_pool(pool);
        return NULL;
    }

    conf.ctx = cycle->conf_ctx;
    conf.cycle = cycle;
    conf.pool = pool;
    conf.log = log;
    conf.module_type = DR_CORE_MODULE;
    conf.cmd_type = DR_MAIN_CONF;

    /* -g first, as nginx: the file then cannot repeat what -g set */

    if (dr_conf_param(&conf) != DR_CONF_OK) {
        environ = senv;
        goto failed;
    }

    if (dr_conf_parse(&conf, &cycle->conf_file) != DR_CONF_OK) {
        environ = senv;
        goto failed;
    }

    if (dr_test_config && !dr_quiet_mode) {
        dr_log_stderr(0, "the configuration file %s syntax is ok",
                      cycle->conf_file.data);
    }

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->type != DR_CORE_MODULE) {
            continue;
        }

        module = cycle->modules[i]->ctx;

        if (module->init_conf) {
            if (module->init_conf(cycle,
                                  cycle->conf_ctx[cycle->modules[i]->index])
                == DR_CONF_ERROR)
            {
                environ = senv;
                goto failed;
            }
        }
    }

    if (cycle->new_log.file == NULL) {

        /* no error_log in the main context: -e or the built-in path */

        cycle->new_log.file = dr_conf_open_file(cycle, &cycle->error_log);
        if (cycle->new_log.file == NULL) {
            goto failed;
        }

        cycle->new_log.log_level = DR_LOG_ERR;
    }

    if (dr_process == DR_PROCESS_SIGNALLER) {
        dr_destroy_pool(conf.temp_pool);
        return cycle;
    }

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (dr_test_config) {

        /* as nginx -t: check that the pid file could be written */

        if (dr_create_pidfile(&ccf->pid, log) != DR_OK) {
            goto failed;
        }
        (void) unlink((char *) ccf->pid.data);

    } else if (old_cycle->conf_ctx) {

        /* a reload with a new pid path writes the new file at once */

        old_ccf = (dr_core_conf_t *) dr_get_conf(old_cycle->conf_ctx,
                                                 dr_core_module);

        if (!dr_str_eq(&ccf->pid, &old_ccf->pid)) {
            if (dr_create_pidfile(&ccf->pid, log) != DR_OK) {
                goto failed;
            }
            dr_delete_pidfile(old_cycle);
        }
    }

    if (dr_cycle_open_files(cycle) != DR_OK) {
        goto failed;
    }

    cycle->log = &cycle->new_log;
    pool->log = &cycle->new_log;

    if (dr_test_config) {
        dr_destroy_pool(conf.temp_pool);
        return cycle;
    }

    if (dr_shm_cycle_zones(cycle, old_cycle->conf_ctx ? old_cycle : NULL)
        != DR_OK)
    {
        goto failed;
    }

    /* sockets of the running cycle, or inherited at a binary upgrade */

    if (old_cycle->listening.nelts) {
        if (dr_listening_inherit_from(cycle, old_cycle) != DR_OK) {
            goto failed;
        }
    }

    if (dr_open_listening_sockets(cycle) != DR_OK) {
        goto failed;
    }

    dr_configure_listening_sockets(cycle);

    /* the configuration is committed: nothing below may fail the reload */

    if (!dr_use_stderr) {
        (void) dr_log_redirect_stderr(cycle);
    }

    ccf->environment = dr_set_environment(cycle, NULL);

    if (dr_init_modules(cycle) != DR_OK) {
        /* a module could not start: the master exits, as nginx */
        exit(1);
    }

    dr_destroy_pool(conf.temp_pool);

    return cycle;

failed:

    if (old_cycle->conf_ctx) {
        dr_log_error(DR_LOG_EMERG, old_cycle->log, 0,
                     "the configuration was not applied; "
                     "the running one is kept");
    }

    dr_cycle_close_files(cycle, old_cycle->conf_ctx ? old_cycle : NULL);

    /* listening sockets opened for this cycle alone are closed */

    if (cycle->listening.nelts) {
        dr_listening_t  *ls = cycle->listening.elts;

        for (i = 0; i < cycle->listening.nelts; i++) {
            if (ls[i].fd == -1 || !ls[i].open) {
                continue;
            }
            if (close(ls[i].fd) == -1) {
                dr_log_error(DR_LOG_EMERG, log, dr_errno,
                             "close() socket %V failed", &ls[i].addr_text);
            }
        }
    }

    dr_shm_cycle_rollback(cycle, old_cycle->conf_ctx ? old_cycle : NULL);

    dr_destroy_pool(conf.temp_pool);
    dr_destroy_pool(pool);

    return NULL;
}


void
dr_cycle_free_old(dr_cycle_t *cycle, dr_cycle_t *old_cycle)
{
    dr_uint_t        i;
    dr_listening_t  *ls;

    if (old_cycle == NULL || old_cycle->conf_ctx == NULL) {
        return;
    }

    ls = old_cycle->listening.elts;

    for (i = 0; i < old_cycle->listening.nelts; i++) {
        if (ls[i].remain || ls[i].fd == -1) {
            continue;
        }

        if (close(ls[i].fd) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "close() socket listening on %V failed",
                         &ls[i].addr_text);
        }
    }

    dr_cycle_close_files(old_cycle, cycle);

    dr_shm_cycle_free_old(cycle, old_cycle);

    dr_cycle_destroy(old_cycle);
}


static void
dr_cycle_destroy(dr_cycle_t *cycle)
{
    dr_destroy_pool(cycle->pool);
}


/* opens the log files the configuration names (the master's copy) */
static dr_int_t
dr_cycle_open_files(dr_cycle_t *cycle)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_open_file_t   *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].name.len == 0) {
            continue;
        }

        file[i].fd = open((char *) file[i].name.data,
                          O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0644);

        if (file[i].fd == DR_INVALID_FILE) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "open() \"%s\" failed", file[i].name.data);
            return DR_ERROR;
        }
    }

    return DR_OK;
}


/* closes the files of <cycle>; <keep> is unused (each cycle has its fds) */
static void
dr_cycle_close_files(dr_cycle_t *cycle, dr_cycle_t *keep)
{
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_open_file_t   *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].fd == DR_INVALID_FILE || file[i].fd == STDERR_FILENO) {
            continue;
        }

        if (file[i].flush) {
            file[i].flush(&file[i], cycle->log);
        }

        (void) close(file[i].fd);
        file[i].fd = DR_INVALID_FILE;
    }

    (void) keep;
}


dr_int_t
dr_create_pidfile(dr_str_t *name, dr_log_t *log)
{
    size_t   len;
    dr_fd_t  fd;
    u_char   pid[DR_INT_T_LEN + 2];

    fd = open((char *) name->data, O_WRONLY|O_CREAT|O_TRUNC|O_CLOEXEC, 0644);

    if (fd == DR_INVALID_FILE) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "open() \"%s\" failed",
                     name->data);
        return DR_ERROR;
    }

    len = dr_snprintf(pid, DR_INT_T_LEN + 2, "%P%N", (pid_t) getpid()) - pid;

    if (dr_write_fd_all(fd, pid, len) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "write() \"%s\" failed",
                     name->data);
        (void) close(fd);
        return DR_ERROR;
    }

    if (close(fd) == -1) {
        dr_log_error(DR_LOG_ALERT, log, dr_errno, "close() \"%s\" failed",
                     name->data);
    }

    return DR_OK;
}


void
dr_delete_pidfile(dr_cycle_t *cycle)
{
    u_char          *name;
    dr_core_conf_t  *ccf;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    name = dr_new_binary ? ccf->oldpid.data : ccf->pid.data;

    if (unlink((char *) name) == -1 && errno != ENOENT) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "unlink() \"%s\" failed", name);
    }
}


dr_int_t
dr_signal_process(dr_cycle_t *cycle, char *sig)
{
    ssize_t          n;
    dr_fd_t          fd;
    dr_int_t         pid;
    dr_core_conf_t  *ccf;
    u_char           buf[DR_INT_T_LEN + 2];

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "signal process started");

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    fd = open((char *) ccf->pid.data, O_RDONLY|O_CLOEXEC);

    if (fd == DR_INVALID_FILE) {
        dr_log_error(DR_LOG_ERR, cycle->log, dr_errno,
                     "open() \"%s\" failed", ccf->pid.data);
        return 1;
    }

    n = read(fd, buf, DR_INT_T_LEN + 2);

    (void) close(fd);

    if (n == -1) {
        dr_log_error(DR_LOG_ERR, cycle->log, dr_errno,
                     "read() \"%s\" failed", ccf->pid.data);
        return 1;
    }

    while (n-- && (buf[n] == CR || buf[n] == LF)) { /* void */ }

    pid = dr_atoi(buf, ++n);

    if (pid == DR_ERROR || pid <= 1) {
        dr_log_error(DR_LOG_ERR, cycle->log, 0,
                     "invalid PID number \"%*s\" in \"%s\"",
                     n, buf, ccf->pid.data);
        return 1;
    }

    return dr_os_signal_process(cycle, sig, (pid_t) pid);
}


void
dr_reopen_files(dr_cycle_t *cycle, uid_t user)
{
    dr_fd_t           fd;
    dr_uint_t         i;
    dr_list_part_t   *part;
    dr_open_file_t   *file;

    part = &cycle->open_files.part;
    file = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            file = part->elts;
            i = 0;
        }

        if (file[i].name.len == 0) {
            continue;
        }

        if (file[i].flush) {
            file[i].flush(&file[i], cycle->log);
        }

        fd = open((char *) file[i].name.data,
                  O_WRONLY|O_APPEND|O_CREAT|O_CLOEXEC, 0644);

        if (fd == DR_INVALID_FILE) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "open() \"%s\" failed", file[i].name.data);
            continue;
        }

        if (user != (uid_t) DR_CONF_UNSET_UINT) {
            struct stat  st;

            if (fstat(fd, &st) == -1) {
                dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                             "fstat() \"%s\" failed", file[i].name.data);
                (void) close(fd);
                continue;
            }

            if (st.st_uid != user && fchown(fd, user, -1) == -1) {
                dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                             "fchown(\"%s\", %d) failed",
                             file[i].name.data, (int) user);
                (void) close(fd);
                continue;
            }
        }

        if (close(file[i].fd) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "close() \"%s\" failed", file[i].name.data);
        }

        file[i].fd = fd;
    }

    (void) dr_log_redirect_stderr(cycle);
}


/*
 * The environment of child processes: only TZ and the variables named by
 * "env" directives survive (nginx's rule), "NAME=value" ones are set.
 * Returns a NULL-terminated array in the cycle pool.
 */
char **
dr_set_environment(dr_cycle_t *cycle, dr_uint_t *last)
{
    char             **p, **env;
    dr_str_t          *var;
    dr_uint_t          i, n;
    dr_core_conf_t    *ccf;
    size_t             len;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    var = ccf->env.elts;
    n = 1;                                  /* TZ */

    for (i = 0; i < ccf->env.nelts; i++) {
        n++;
    }

    if (last) {
        n += *last;
    }

    env = dr_palloc(cycle->pool, (n + 1) * sizeof(char *));
    if (env == NULL) {
        return NULL;
    }

    n = 0;

    for (p = environ; p && *p; p++) {

        len = strcspn(*p, "=");

        if (len == 2 && dr_strncmp(*p, "TZ", 2) == 0) {
            env[n++] = *p;
            continue;
        }

        for (i = 0; i < ccf->env.nelts; i++) {
            if (var[i].len == len && dr_strncmp(*p, var[i].data, len) == 0) {
                env[n++] = *p;
                break;
            }
        }
    }

    for (i = 0; i < ccf->env.nelts; i++) {
        if (dr_strlchr(var[i].data, var[i].data + var[i].len, '=')) {
            env[n++] = (char *) var[i].data;    /* NUL-terminated by conf */
        }
    }

    env[n] = NULL;

    if (last) {
        *last = n;
    }

    return env;
}


dr_int_t
dr_add_process_role(dr_cycle_t *cycle, dr_process_role_t *role)
{
    if (cycle->nroles == DR_MAX_ROLES) {
        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "too many process roles (\"%s\")", role->name);
        return DR_ERROR;
    }

    if (dr_cycle_find_role(cycle, role->name) != NULL) {
        dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                     "process role \"%s\" is added twice", role->name);
        return DR_ERROR;
    }

    cycle->roles[cycle->nroles++] = *role;

    return DR_OK;
}


dr_process_role_t *
dr_cycle_find_role(dr_cycle_t *cycle, const char *name)
{
    dr_uint_t  i;

    for (i = 0; i < cycle->nroles; i++) {
        if (strcmp(cycle->roles[i].name, name) == 0) {
            return &cycle->roles[i];
        }
    }

    return NULL;
}


dr_int_t
dr_cycle_set_hostname(dr_cycle_t *cycle)
{
    char  host[256];

    if (gethostname(host, sizeof(host) - 1) == -1) {
        dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                     "gethostname() failed");
        return DR_ERROR;
    }

    host[sizeof(host) - 1] = '\0';

    cycle->hostname.len = dr_strlen(host);
    cycle->hostname.data = dr_pnalloc(cycle->pool, cycle->hostname.len);
    if (cycle->hostname.data == NULL) {
        return DR_ERROR;
    }

    dr_strlow(cycle->hostname.data, (u_char *) host, cycle->hostname.len);

    return DR_OK;
}
