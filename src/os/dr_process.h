/*
 * Processes: the master and its children. The master forks the processes of
 * each role in cycle->roles (see dr_cycle.h), reaps them, respawns the ones
 * that die (with a back-off when they die at once again and again) and turns
 * signals into actions. It never touches a request.
 *
 * Signals (nginx's): HUP reload, USR1 reopen logs, USR2 binary upgrade, WINCH
 * stop workers gracefully, QUIT graceful shutdown, TERM/INT fast shutdown.
 * The master passes QUIT/TERM/USR1 on to its children with kill(); a child
 * only sets the flags below in its handler and acts in its loop.
 */
#ifndef DR_PROCESS_H_INCLUDED
#define DR_PROCESS_H_INCLUDED

#define DR_PROCESS_SINGLE    0      /* master_process off: one process does all */
#define DR_PROCESS_MASTER    1
#define DR_PROCESS_WORKER    2
#define DR_PROCESS_KEEPER    3
#define DR_PROCESS_AGENT     4
#define DR_PROCESS_HELPER    5      /* short-lived children (log compression) */
#define DR_PROCESS_SIGNALLER 6      /* drover -s */

#define DR_SHUTDOWN_SIGNAL    SIGQUIT
#define DR_TERMINATE_SIGNAL   SIGTERM
#define DR_NOACCEPT_SIGNAL    SIGWINCH
#define DR_RECONFIGURE_SIGNAL SIGHUP
#define DR_REOPEN_SIGNAL      SIGUSR1
#define DR_CHANGEBIN_SIGNAL   SIGUSR2

#define DR_MAX_PROCESSES      1024

typedef struct {
    pid_t                pid;
    int                  status;
    const char          *name;       /* the role's name (a static string) */
    dr_uint_t            slot;       /* 0..count-1 within its role */
    dr_uint_t            generation; /* the configuration it runs */
    dr_msec_t            started;
    dr_uint_t            fast_deaths;
    dr_msec_t            respawn_at; /* back-off: 0 = not waiting */

    unsigned             exiting:1;  /* was told QUIT/TERM: do not respawn */
    unsigned             exited:1;
    unsigned             detached:1; /* the new binary of a USR2 upgrade */
    unsigned             respawn:1;
} dr_process_t;

extern dr_uint_t       dr_process;       /* DR_PROCESS_* of this process */
extern dr_uint_t       dr_worker;        /* slot within its role */
extern pid_t           dr_pid;
extern pid_t           dr_parent;
extern dr_process_t    dr_processes[DR_MAX_PROCESSES];
extern dr_int_t        dr_last_process;

/* set by signal handlers, acted upon by the loops */
extern sig_atomic_t    dr_reap;
extern sig_atomic_t    dr_sigio;
extern sig_atomic_t    dr_sigalrm;
extern sig_atomic_t    dr_terminate;
extern sig_atomic_t    dr_quit;
extern sig_atomic_t    dr_debug_quit;
extern dr_uint_t       dr_exiting;       /* graceful shutdown in progress */
extern sig_atomic_t    dr_reconfigure;
extern sig_atomic_t    dr_reopen;
extern sig_atomic_t    dr_change_binary;
extern sig_atomic_t    dr_noaccept;
extern dr_uint_t       dr_noaccepting;
extern dr_uint_t       dr_restart;
extern pid_t           dr_new_binary;
extern dr_uint_t       dr_inherited;
extern dr_uint_t       dr_daemonized;
extern char          **dr_os_argv;
extern int             dr_argc;
extern char          **dr_argv;
extern char          **dr_os_environ;
extern u_char         *dr_binary_path;   /* absolute, for USR2 */
extern dr_uint_t       dr_generation;    /* reloads so far */

/*
 * Called in the master for every child that exited, before it is
 * respawned: layers above (the event layer's accept mutex) release what
 * the dead process may have held. Set from an init_module hook.
 */
extern void          (*dr_process_reaped_hook)(pid_t pid);

dr_int_t dr_init_signals(dr_log_t *log);
dr_int_t dr_os_signal_process(dr_cycle_t *cycle, char *name, pid_t pid);
dr_int_t dr_daemon(dr_log_t *log);

void dr_master_process_cycle(dr_cycle_t *cycle);
void dr_single_process_cycle(dr_cycle_t *cycle);

/*
 * The common start of every child: sets dr_process, drops privileges
 * (user), applies rlimits, unblocks signals and runs the modules'
 * init_process hooks. Exits the process on failure.
 */
void dr_child_process_init(dr_cycle_t *cycle, dr_uint_t process_type);
/* runs the modules' exit_process hooks, destroys the cycle pool and exits */
void dr_child_process_exit(dr_cycle_t *cycle, int status);

/* for log lines and ps: "drover: worker process" */
void dr_setproctitle(const char *title);
dr_int_t dr_init_setproctitle(dr_log_t *log);

#endif
