/*
 * The master's loop and the common life of a child process.
 *
 * The master forks the processes of each role the cycle declares (workers,
 * the keeper, the agent), sleeps in sigsuspend() and acts on what the
 * signal handler flagged: reap and respawn children, reload, reopen logs,
 * upgrade the binary, shut down. It never touches a request.
 *
 * Reload: a new cycle is built from the file; if that fails the old one
 * goes on untouched. Otherwise, for each role of the new cycle, the running
 * processes are kept when the role's fingerprint is non-empty and unchanged
 * (the keeper keeps its sessions), else new processes start and the old
 * ones get QUIT and finish their work (bounded by worker_shutdown_timeout).
 *
 * Respawn: a child that dies unexpectedly is logged and started again; one
 * that dies within a second of its start, again and again, is restarted
 * after a doubling delay (100 ms up to 10 s) so that a crash loop cannot
 * burn the machine. Exit code 2 means "fatal at start": not respawned.
 */

#include "dr_core.h"
#include "dr_os.h"
#include <sys/prctl.h>

#define DR_FAST_DEATH_MSEC     1000
#define DR_RESPAWN_MIN_MSEC    100
#define DR_RESPAWN_MAX_MSEC    10000
#define DR_TERMINATE_KILL_MSEC 1000

static void dr_master_start_role(dr_cycle_t *cycle, dr_process_role_t *role);
static dr_int_t dr_master_spawn(dr_cycle_t *cycle, dr_process_role_t *role,
    dr_uint_t slot, dr_int_t s);
static void dr_master_signal_children(int signo, const char *only,
    dr_uint_t mark_exiting);
static dr_uint_t dr_master_reap_children(dr_cycle_t *cycle);
static dr_uint_t dr_master_respawn_due(dr_cycle_t *cycle);
static void dr_master_arm_timer(dr_msec_t deadline);
static dr_cycle_t *dr_master_reload(dr_cycle_t *cycle);
static void dr_master_exec_new_binary(dr_cycle_t *cycle);
static void dr_master_process_exit(dr_cycle_t *cycle);
static void dr_master_close_listening(dr_cycle_t *cycle);
static dr_uint_t dr_master_live(void);
static void dr_master_unlock_mutexes(dr_cycle_t *cycle, pid_t pid);
static void dr_master_tick(dr_cycle_t *cycle, dr_msec_t *deadline);

static dr_uint_t  dr_single;
static u_char     dr_master_title[512];


void
dr_master_process_cycle(dr_cycle_t *cycle)
{
    int              i;
    u_char          *p, *last;
    sigset_t         set;
    dr_uint_t        quit_sent;
    dr_msec_t        kill_at, deadline;
    dr_core_conf_t  *ccf;

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    sigaddset(&set, SIGALRM);
    sigaddset(&set, SIGIO);
    sigaddset(&set, SIGINT);
    sigaddset(&set, DR_RECONFIGURE_SIGNAL);
    sigaddset(&set, DR_REOPEN_SIGNAL);
    sigaddset(&set, DR_NOACCEPT_SIGNAL);
    sigaddset(&set, DR_TERMINATE_SIGNAL);
    sigaddset(&set, DR_SHUTDOWN_SIGNAL);
    sigaddset(&set, DR_CHANGEBIN_SIGNAL);

    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "sigprocmask() failed");
    }

    sigemptyset(&set);

    last = dr_master_title + sizeof(dr_master_title) - 1;
    p = dr_cpymem(dr_master_title, "master process", 14);

    for (i = 0; i < dr_argc; i++) {
        p = dr_slprintf(p, last, " %s", dr_argv[i]);
    }

    *p = '\0';

    dr_setproctitle((char *) dr_master_title);

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "%s started",
                 DR_VER);

    for (i = 0; i < (int) cycle->nroles; i++) {
        dr_master_start_role(cycle, &cycle->roles[i]);
    }

    quit_sent = 0;
    kill_at = 0;

    for ( ;; ) {

        deadline = kill_at;

        if (!dr_quit && !dr_terminate) {
            dr_master_tick(cycle, &deadline);
        }

        for (i = 0; i < dr_last_process; i++) {
            if (dr_processes[i].respawn_at
                && (deadline == 0 || dr_processes[i].respawn_at < deadline))
            {
                deadline = dr_processes[i].respawn_at;
            }
        }

        dr_master_arm_timer(deadline);

        sigsuspend(&set);

        dr_time_update();

        if (dr_reap) {
            dr_reap = 0;
            (void) dr_master_reap_children(cycle);
        }

        if (dr_sigalrm) {
            dr_sigalrm = 0;

            if (!dr_terminate && !dr_quit) {
                (void) dr_master_respawn_due(cycle);
            }
        }

        if ((dr_terminate || dr_quit) && !dr_master_live()) {
            dr_master_process_exit(cycle);
        }

        if (dr_terminate) {
            if (kill_at == 0) {
                dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                             "fast shutdown: stopping children");
                dr_master_signal_children(DR_TERMINATE_SIGNAL, NULL, 1);
                kill_at = dr_current_msec + DR_TERMINATE_KILL_MSEC;

                if (!dr_master_live()) {
                    dr_master_process_exit(cycle);
                }

            } else if (dr_current_msec >= kill_at) {
                dr_master_signal_children(SIGKILL, NULL, 1);
                kill_at = dr_current_msec + DR_TERMINATE_KILL_MSEC;
            }

            continue;
        }

        if (dr_quit) {
            if (!quit_sent) {
                quit_sent = 1;
                dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                             "graceful shutdown: waiting for children");
                dr_master_signal_children(DR_SHUTDOWN_SIGNAL, NULL, 1);
                dr_master_close_listening(cycle);

                if (!dr_master_live()) {
                    dr_master_process_exit(cycle);
                }
            }

            continue;
        }

        if (dr_reconfigure) {
            dr_reconfigure = 0;

            if (dr_new_binary) {
                /* an old master after WINCH: its workers come back */
                dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                             "start worker processes again");
                dr_master_start_role(cycle,
                                 dr_cycle_find_role(cycle, "worker process"));
                dr_noaccepting = 0;
                continue;
            }

            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "reconfiguring");

            cycle = dr_master_reload(cycle);
        }

        if (dr_restart) {
            dr_restart = 0;
            dr_master_start_role(cycle,
                                 dr_cycle_find_role(cycle, "worker process"));
        }

        if (dr_reopen) {
            dr_reopen = 0;
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "reopening logs");

            ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx,
                                                 dr_core_module);
            dr_reopen_files(cycle, ccf->user);
            dr_master_signal_children(DR_REOPEN_SIGNAL, NULL, 0);
        }

        if (dr_change_binary) {
            dr_change_binary = 0;
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "changing binary");
            dr_master_exec_new_binary(cycle);
        }

        if (dr_noaccept) {
            dr_noaccept = 0;
            dr_noaccepting = 1;
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                         "gracefully stopping worker processes");
            dr_master_signal_children(DR_SHUTDOWN_SIGNAL, "worker process",
                                      1);
        }
    }
}


/* starts every process of <role> that is not already running */
static void
dr_master_start_role(dr_cycle_t *cycle, dr_process_role_t *role)
{
    dr_int_t   i;
    dr_uint_t  slot, running;

    if (role == NULL) {
        return;
    }

    for (slot = 0; slot < role->count; slot++) {

        running = 0;

        for (i = 0; i < dr_last_process; i++) {
            if (dr_processes[i].pid != -1
                && !dr_processes[i].exiting
                && !dr_processes[i].detached
                && dr_processes[i].generation == dr_generation
                && dr_processes[i].slot == slot
                && strcmp(dr_processes[i].name, role->name) == 0)
            {
                running = 1;
                break;
            }
        }

        if (!running) {
            (void) dr_master_spawn(cycle, role, slot, -1);
        }
    }
}


/*
 * Forks one process of <role>; <s> is the table entry to reuse, or -1.
 * In the child, runs role->run() which never returns.
 */
static dr_int_t
dr_master_spawn(dr_cycle_t *cycle, dr_process_role_t *role, dr_uint_t slot,
    dr_int_t s)
{
    pid_t  pid;

    if (s == -1) {
        for (s = 0; s < dr_last_process; s++) {
            if (dr_processes[s].pid == -1) {
                break;
            }
        }

        if (s == DR_MAX_PROCESSES) {
            dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                         "no more than %d processes can be spawned",
                         DR_MAX_PROCESSES);
            return DR_ERROR;
        }
    }

    pid = fork();

    switch (pid) {

    case -1:
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "fork() failed while spawning \"%s\"", role->name);
        return DR_ERROR;

    case 0:
        dr_parent = dr_pid;
        dr_pid = getpid();
        dr_worker = slot;
        /* an orphan finishes its work and exits: no request is cut */
        (void) prctl(PR_SET_PDEATHSIG, DR_SHUTDOWN_SIGNAL, 0, 0, 0);
        dr_setproctitle(role->name);
        role->run(cycle, slot);
        exit(2);    /* run() must not return */

    default:
        break;
    }

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "start %s %P", role->name,
                 pid);

    dr_processes[s].pid = pid;
    dr_processes[s].status = 0;
    dr_processes[s].name = role->name;
    dr_processes[s].slot = slot;
    dr_processes[s].generation = dr_generation;
    dr_processes[s].started = dr_current_msec;
    dr_processes[s].respawn_at = 0;
    dr_processes[s].exiting = 0;
    dr_processes[s].exited = 0;
    dr_processes[s].detached = 0;
    dr_processes[s].respawn = 1;

    if (s == dr_last_process) {
        dr_last_process++;
    }

    return DR_OK;
}


/* signals live children (all, or those of role <only>) */
static void
dr_master_signal_children(int signo, const char *only, dr_uint_t mark_exiting)
{
    dr_int_t  i;

    for (i = 0; i < dr_last_process; i++) {

        if (dr_processes[i].pid == -1 || dr_processes[i].exited
            || dr_processes[i].detached)
        {
            continue;
        }

        if (only && strcmp(dr_processes[i].name, only) != 0) {
            continue;
        }

        if (dr_processes[i].pid == 0) {
            /* waiting for a respawn: there is nothing to signal */
            if (mark_exiting) {
                dr_processes[i].respawn_at = 0;
                dr_processes[i].pid = -1;
            }
            continue;
        }

        if (mark_exiting) {
            dr_processes[i].exiting = 1;
        }

        if (kill(dr_processes[i].pid, signo) == -1) {
            if (errno != ESRCH) {
                dr_log_error(DR_LOG_ALERT, dr_cycle->log, dr_errno,
                             "kill(%P, %d) failed", dr_processes[i].pid,
                             signo);
            }
        }
    }
}


/*
 * Logs the children that exited and respawns or schedules those that
 * should run. Returns 1 while any child lives or waits for a respawn.
 */
static dr_uint_t
dr_master_reap_children(dr_cycle_t *cycle)
{
    int                 status;
    dr_int_t            i;
    dr_uint_t           live, delay;
    dr_process_t       *p;
    dr_core_conf_t     *ccf;
    dr_process_role_t  *role;

    live = 0;

    for (i = 0; i < dr_last_process; i++) {

        p = &dr_processes[i];

        if (p->pid == -1) {
            continue;
        }

        if (!p->exited) {
            live = 1;
            continue;
        }

        status = p->status;

        if (WIFSIGNALED(status)) {
            dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                         "%s %P exited on signal %d%s", p->name, p->pid,
                         WTERMSIG(status),
                         WCOREDUMP(status) ? " (core dumped)" : "");

        } else if (WEXITSTATUS(status) == 0) {
            dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                         "%s %P exited with code 0", p->name, p->pid);

        } else {
            dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                         "%s %P exited with code %d", p->name, p->pid,
                         WEXITSTATUS(status));
        }

        dr_master_unlock_mutexes(cycle, p->pid);

        if (dr_process_reaped_hook) {
            dr_process_reaped_hook(p->pid);
        }

        if (p->pid == dr_new_binary) {

            /* the upgrade failed or was rolled back: we are the master */

            ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx,
                                                 dr_core_module);

            if (rename((char *) ccf->oldpid.data, (char *) ccf->pid.data)
                == -1)
            {
                dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                             "rename() %s back to %s failed after "
                             "the new binary process \"%s\" exited",
                             ccf->oldpid.data, ccf->pid.data,
                             dr_binary_path);
            }

            dr_new_binary = 0;

            if (dr_noaccepting) {
                dr_restart = 1;
                dr_noaccepting = 0;
            }

            p->pid = -1;
            continue;
        }

        role = dr_cycle_find_role(cycle, p->name);

        if (p->exiting || p->detached || role == NULL
            || p->generation != dr_generation || p->slot >= role->count)
        {
            p->pid = -1;
            continue;
        }

        if (WIFEXITED(status) && WEXITSTATUS(status) == 2) {
            dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                         "%s %P exited with fatal code 2 "
                         "and cannot be respawned", p->name, p->pid);
            p->pid = -1;
            continue;
        }

        if (dr_current_msec - p->started < DR_FAST_DEATH_MSEC) {
            p->fast_deaths++;
        } else {
            p->fast_deaths = 0;
        }

        /* one quick death is respawned at once; a crash loop backs off */

        if (p->fast_deaths <= 1) {
            p->exited = 0;
            if (dr_master_spawn(cycle, role, p->slot, i) == DR_OK) {
                live = 1;
            } else {
                p->pid = -1;
            }
            continue;
        }

        delay = DR_RESPAWN_MIN_MSEC << dr_min(p->fast_deaths - 2, 7);
        if (delay > DR_RESPAWN_MAX_MSEC) {
            delay = DR_RESPAWN_MAX_MSEC;
        }

        dr_log_error(DR_LOG_WARN, cycle->log, 0,
                     "%s died %ui times in a row right after start, "
                     "respawning in %ui ms", p->name, p->fast_deaths, delay);

        p->respawn_at = dr_current_msec + delay;
        p->pid = 0;             /* taken, waiting: not -1, not a process */
        p->exited = 0;
        live = 1;
    }

    /* entries waiting for a respawn keep the master alive */

    for (i = 0; i < dr_last_process; i++) {
        if (dr_processes[i].respawn_at) {
            live = 1;
        }
    }

    return live;
}


static dr_uint_t
dr_master_respawn_due(dr_cycle_t *cycle)
{
    dr_int_t            i;
    dr_uint_t           live, fast_deaths;
    dr_process_t       *p;
    dr_process_role_t  *role;

    live = 0;

    for (i = 0; i < dr_last_process; i++) {

        p = &dr_processes[i];

        if (p->respawn_at == 0) {
            continue;
        }

        if (p->respawn_at > dr_current_msec) {
            live = 1;
            continue;
        }

        p->respawn_at = 0;
        role = dr_cycle_find_role(cycle, p->name);

        if (role == NULL || p->generation != dr_generation
            || p->slot >= role->count)
        {
            p->pid = -1;
            continue;
        }

        fast_deaths = p->fast_deaths;

        if (dr_master_spawn(cycle, role, p->slot, i) == DR_OK) {
            p->fast_deaths = fast_deaths;
            live = 1;

        } else {
            p->pid = -1;
        }
    }

    return live;
}


static void
dr_master_arm_timer(dr_msec_t deadline)
{
    struct itimerval  itv;
    dr_msec_t         delay;

    dr_memzero(&itv, sizeof(struct itimerval));

    if (deadline) {
        delay = (deadline > dr_current_msec) ? deadline - dr_current_msec : 1;
        itv.it_value.tv_sec = delay / 1000;
        itv.it_value.tv_usec = (delay % 1000) * 1000;
    }

    if (setitimer(ITIMER_REAL, &itv, NULL) == -1) {
        dr_log_error(DR_LOG_ALERT, dr_cycle->log, dr_errno,
                     "setitimer() failed");
    }
}


/*
 * HUP: a new cycle, new processes where a role changed, QUIT to the old
 * ones. Returns the cycle that now runs (the old one if the file is bad).
 */
static dr_cycle_t *
dr_master_reload(dr_cycle_t *cycle)
{
    dr_int_t            i;
    dr_uint_t           r, keep, old_generation;
    dr_cycle_t         *new_cycle;
    dr_process_role_t  *role, *old_role;

    new_cycle = dr_init_cycle(cycle);

    if (new_cycle == NULL) {
        dr_cycle = cycle;
        return cycle;
    }

    dr_cycle = new_cycle;
    old_generation = dr_generation++;

    for (r = 0; r < new_cycle->nroles; r++) {

        role = &new_cycle->roles[r];
        old_role = dr_cycle_find_role(cycle, role->name);

        keep = old_role != NULL
               && role->fingerprint.len > 0
               && role->count == old_role->count
               && dr_str_eq(&role->fingerprint, &old_role->fingerprint);

        if (keep) {
            dr_log_error(DR_LOG_NOTICE, new_cycle->log, 0,
                         "%s: configuration unchanged, kept running",
                         role->name);

            for (i = 0; i < dr_last_process; i++) {
                if (dr_processes[i].pid != -1
                    && !dr_processes[i].exiting
                    && dr_processes[i].generation == old_generation
                    && strcmp(dr_processes[i].name, role->name) == 0)
                {
                    dr_processes[i].generation = dr_generation;
                    dr_processes[i].name = role->name;
                }
            }

            continue;
        }

        dr_master_start_role(new_cycle, role);
    }

    /* what belongs to the old configuration finishes and exits */

    for (i = 0; i < dr_last_process; i++) {

        if (dr_processes[i].pid == -1 || dr_processes[i].detached
            || dr_processes[i].generation == dr_generation)
        {
            continue;
        }

        if (dr_processes[i].pid == 0) {         /* waiting for a respawn */
            dr_processes[i].respawn_at = 0;
            dr_processes[i].pid = -1;
            continue;
        }

        dr_processes[i].exiting = 1;

        if (!dr_processes[i].exited
            && kill(dr_processes[i].pid, DR_SHUTDOWN_SIGNAL) == -1
            && errno != ESRCH)
        {
            dr_log_error(DR_LOG_ALERT, new_cycle->log, dr_errno,
                         "kill(%P, QUIT) failed", dr_processes[i].pid);
        }
    }

    /* role names of kept processes must outlive the old cycle */

    dr_cycle_free_old(new_cycle, cycle);

    return new_cycle;
}


/*
 * USR2: renames the pid file to .oldbin and starts the binary again with
 * the listening sockets' fds in $DROVER ("fd;fd;"); both masters serve
 * until the old one is told WINCH and QUIT.
 */
static void
dr_master_exec_new_binary(dr_cycle_t *cycle)
{
    char            **env, *var;
    pid_t             pid;
    dr_str_t          fds;
    dr_uint_t         i, n;
    dr_core_conf_t   *ccf;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (dr_listening_env(cycle, &fds) != DR_OK) {
        return;
    }

    var = dr_alloc(sizeof("DROVER=") + fds.len, cycle->log);
    if (var == NULL) {
        return;
    }

    dr_memcpy(var, "DROVER=", 7);
    dr_memcpy(var + 7, fds.data, fds.len);
    var[7 + fds.len] = '\0';

    for (n = 0; dr_os_environ[n]; n++) { /* void */ }

    env = dr_alloc((n + 2) * sizeof(char *), cycle->log);
    if (env == NULL) {
        dr_free(var);
        return;
    }

    for (i = 0, n = 0; dr_os_environ[i]; i++) {
        if (dr_strncmp(dr_os_environ[i], "DROVER=", 7) != 0) {
            env[n++] = dr_os_environ[i];
        }
    }

    env[n++] = var;
    env[n] = NULL;

    if (rename((char *) ccf->pid.data, (char *) ccf->oldpid.data) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "rename() %s to %s failed "
                     "before executing new binary process \"%s\"",
                     ccf->pid.data, ccf->oldpid.data, dr_binary_path);
        goto done;
    }

    pid = fork();

    if (pid == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "fork() failed while executing new binary process");
        (void) rename((char *) ccf->oldpid.data, (char *) ccf->pid.data);
        goto done;
    }

    if (pid == 0) {
        sigset_t  set;

        sigemptyset(&set);
        (void) sigprocmask(SIG_SETMASK, &set, NULL);

        execve((char *) dr_binary_path, dr_argv, env);

        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "execve() failed while executing new binary process "
                     "\"%s\"", dr_binary_path);
        _exit(1);
    }

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "start new binary process %P",
                 pid);

    for (i = 0; i < (dr_uint_t) dr_last_process; i++) {
        if (dr_processes[i].pid == -1) {
            break;
        }
    }

    if (i < DR_MAX_PROCESSES) {
        dr_memzero(&dr_processes[i], sizeof(dr_process_t));
        dr_processes[i].pid = pid;
        dr_processes[i].name = "new binary process";
        dr_processes[i].detached = 1;
        dr_processes[i].generation = dr_generation;
        dr_processes[i].started = dr_current_msec;

        if (i == (dr_uint_t) dr_last_process) {
            dr_last_process++;
        }
    }

    dr_new_binary = pid;

done:

    dr_free(env);
    dr_free(var);
}


static void
dr_master_close_listening(dr_cycle_t *cycle)
{
    dr_uint_t        i;
    dr_listening_t  *ls;

    ls = cycle->listening.elts;

    for (i = 0; i < cycle->listening.nelts; i++) {
        if (ls[i].fd != -1) {
            (void) close(ls[i].fd);
            ls[i].fd = -1;
        }
    }
}


/*
 * A child killed while it held a shared zone's lock would block every
 * other process: release what <pid> held (nginx's ngx_unlock_mutexes).
 */
static void
dr_master_unlock_mutexes(dr_cycle_t *cycle, pid_t pid)
{
    dr_uint_t          i;
    dr_shm_zone_t     *zone;
    dr_list_part_t    *part;
    dr_slab_pool_t    *sp;

    part = &cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }
            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].shm.addr == NULL) {
            continue;
        }

        sp = (dr_slab_pool_t *) zone[i].shm.addr;

        if (dr_shmtx_force_unlock(&sp->mutex, pid)) {
            dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                         "shared memory zone \"%V\" was locked by %P",
                         &zone[i].shm.name, pid);
        }
    }
}


/* the modules' periodic master work; each may ask for an earlier wake-up */
static void
dr_master_tick(dr_cycle_t *cycle, dr_msec_t *deadline)
{
    dr_uint_t  i;
    dr_msec_t  next;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->master_tick == NULL) {
            continue;
        }

        next = 0;
        cycle->modules[i]->master_tick(cycle, &next);

        if (next && (*deadline == 0 || next < *deadline)) {
            *deadline = next;
        }
    }
}


static dr_uint_t
dr_master_live(void)
{
    dr_int_t  i;

    for (i = 0; i < dr_last_process; i++) {
        if (dr_processes[i].detached) {
            continue;
        }

        if ((dr_processes[i].pid > 0 && !dr_processes[i].exited)
            || dr_processes[i].respawn_at)
        {
            return 1;
        }
    }

    return 0;
}


static void
dr_master_process_exit(dr_cycle_t *cycle)
{
    dr_uint_t  i;

    dr_delete_pidfile(cycle);

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "exit");

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->exit_master) {
            cycle->modules[i]->exit_master(cycle);
        }
    }

    /* as nginx: the master unlinks its unix sockets on the way out */
    dr_close_listening_sockets(cycle);

    exit(0);
}


void
dr_single_process_cycle(dr_cycle_t *cycle)
{
    dr_uint_t           i;
    dr_process_role_t  *role;

    dr_single = 1;

    role = dr_cycle_find_role(cycle, "worker process");

    for (i = 0; i < cycle->nroles; i++) {
        if (&cycle->roles[i] != role) {
            dr_log_error(DR_LOG_WARN, cycle->log, 0,
                         "\"master_process off\": the %s does not run "
                         "(it needs the master)", cycle->roles[i].name);
        }
    }

    if (role == NULL) {
        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "\"master_process off\" and nothing for a worker to do");
        dr_delete_pidfile(cycle);
        exit(1);
    }

    role->run(cycle, 0);

    exit(2);
}


void
dr_child_process_init(dr_cycle_t *cycle, dr_uint_t process_type)
{
    sigset_t          set;
    dr_uint_t         i;
    struct rlimit     rlmt;
    dr_core_conf_t   *ccf;

    dr_process = process_type;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (ccf->environment) {
        environ = ccf->environment;
    }

    if (ccf->rlimit_nofile != DR_CONF_UNSET) {
        rlmt.rlim_cur = (rlim_t) ccf->rlimit_nofile;
        rlmt.rlim_max = (rlim_t) ccf->rlimit_nofile;

        if (setrlimit(RLIMIT_NOFILE, &rlmt) == -1) {
            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "setrlimit(RLIMIT_NOFILE, %i) failed",
                         ccf->rlimit_nofile);
        }
    }

    if (ccf->rlimit_core != DR_CONF_UNSET) {
        rlmt.rlim_cur = (rlim_t) ccf->rlimit_core;
        rlmt.rlim_max = (rlim_t) ccf->rlimit_core;

        if (setrlimit(RLIMIT_CORE, &rlmt) == -1) {
            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "setrlimit(RLIMIT_CORE, %i) failed",
                         ccf->rlimit_core);
        }
    }

    /* a single process keeps the master's rights, as nginx: it owns the pid file */

    if (geteuid() == 0 && ccf->user != (uid_t) DR_CONF_UNSET_UINT
        && !dr_single)
    {
        if (setgid(ccf->group) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "setgid(%d) failed", (int) ccf->group);
            exit(2);
        }

        if (initgroups((char *) ccf->username, ccf->group) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "initgroups(%s, %d) failed",
                         ccf->username, (int) ccf->group);
        }

        if (setuid(ccf->user) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "setuid(%d) failed", (int) ccf->user);
            exit(2);
        }

        /* core dumps still possible after dropping privileges */
        (void) prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
    }

    sigemptyset(&set);

    if (sigprocmask(SIG_SETMASK, &set, NULL) == -1) {
        dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                     "sigprocmask() failed");
    }

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->init_process) {
            if (cycle->modules[i]->init_process(cycle) == DR_ERROR) {
                /* fatal */
                exit(2);
            }
        }
    }
}


void
dr_child_process_exit(dr_cycle_t *cycle, int status)
{
    dr_uint_t  i;

    for (i = 0; cycle->modules[i]; i++) {
        if (cycle->modules[i]->exit_process) {
            cycle->modules[i]->exit_process(cycle);
        }
    }

    if (dr_single) {
        dr_delete_pidfile(cycle);
    }

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0, "exit");

    exit(status);
}
