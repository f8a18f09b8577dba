/*
 * Signals and the process primitives shared by every role: the signal table
 * and handler (which only sets flags; the loops act), reaping children,
 * daemonizing, sending a signal for `drover -s`, and the binary path used
 * for a USR2 upgrade.
 *
 * One handler serves every process; what a signal means depends on
 * dr_process (nginx's scheme): the master reloads on HUP, a worker ignores
 * it. WINCH is honoured only by a daemonized master, because a terminal
 * sends it to a foreground process whenever its window is resized.
 */

#include "dr_core.h"
#include "dr_os.h"

typedef struct {
    int      signo;
    char    *signame;
    char    *name;
    void   (*handler)(int signo, siginfo_t *siginfo, void *ucontext);
} dr_signal_t;

static void dr_signal_handler(int signo, siginfo_t *siginfo, void *ucontext);
static void dr_process_get_status(void);

dr_uint_t       dr_process;
dr_uint_t       dr_worker;
pid_t           dr_pid;
pid_t           dr_parent;
dr_process_t    dr_processes[DR_MAX_PROCESSES];
dr_int_t        dr_last_process;

sig_atomic_t    dr_reap;
sig_atomic_t    dr_sigio;
sig_atomic_t    dr_sigalrm;
sig_atomic_t    dr_terminate;
sig_atomic_t    dr_quit;
sig_atomic_t    dr_debug_quit;
dr_uint_t       dr_exiting;
sig_atomic_t    dr_reconfigure;
sig_atomic_t    dr_reopen;
sig_atomic_t    dr_change_binary;
sig_atomic_t    dr_noaccept;
dr_uint_t       dr_noaccepting;
dr_uint_t       dr_restart;
pid_t           dr_new_binary;
dr_uint_t       dr_inherited;
dr_uint_t       dr_daemonized;
char          **dr_os_argv;
int             dr_argc;
char          **dr_argv;
char          **dr_os_environ;
u_char         *dr_binary_path;
dr_uint_t       dr_generation;
void          (*dr_process_reaped_hook)(pid_t pid);

static dr_signal_t  signals[] = {
    { DR_RECONFIGURE_SIGNAL, "SIGHUP", "reload", dr_signal_handler },
    { DR_REOPEN_SIGNAL, "SIGUSR1", "reopen", dr_signal_handler },
    { DR_NOACCEPT_SIGNAL, "SIGWINCH", "", dr_signal_handler },
    { DR_TERMINATE_SIGNAL, "SIGTERM", "stop", dr_signal_handler },
    { DR_SHUTDOWN_SIGNAL, "SIGQUIT", "quit", dr_signal_handler },
    { DR_CHANGEBIN_SIGNAL, "SIGUSR2", "", dr_signal_handler },
    { SIGALRM, "SIGALRM", "", dr_signal_handler },
    { SIGINT, "SIGINT", "", dr_signal_handler },
    { SIGIO, "SIGIO", "", dr_signal_handler },
    { SIGCHLD, "SIGCHLD", "", dr_signal_handler },
    { SIGSYS, "SIGSYS, SIG_IGN", "", NULL },
    { SIGPIPE, "SIGPIPE, SIG_IGN", "", NULL },
    { 0, NULL, "", NULL }
};


dr_int_t
dr_init_signals(dr_log_t *log)
{
    dr_signal_t       *sig;
    struct sigaction   sa;

    for (sig = signals; sig->signo != 0; sig++) {
        dr_memzero(&sa, sizeof(struct sigaction));

        if (sig->handler) {
            sa.sa_sigaction = sig->handler;
            sa.sa_flags = SA_SIGINFO;

        } else {
            sa.sa_handler = SIG_IGN;
        }

        sigemptyset(&sa.sa_mask);

        if (sigaction(sig->signo, &sa, NULL) == -1) {
            dr_log_error(DR_LOG_EMERG, log, dr_errno,
                         "sigaction(%s) failed", sig->signame);
            return DR_ERROR;
        }
    }

    /* an exec'ed upgrade or a test harness may hand us a blocked mask */

    {
        sigset_t  set;

        sigemptyset(&set);
        if (sigprocmask(SIG_SETMASK, &set, NULL) == -1) {
            dr_log_error(DR_LOG_EMERG, log, dr_errno,
                         "sigprocmask() failed");
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static void
dr_signal_handler(int signo, siginfo_t *siginfo, void *ucontext)
{
    int           err;
    char         *action;
    dr_signal_t  *sig;

    err = errno;

    for (sig = signals; sig->signo != 0; sig++) {
        if (sig->signo == signo) {
            break;
        }
    }

    action = "";

    switch (dr_process) {

    case DR_PROCESS_MASTER:
    case DR_PROCESS_SINGLE:
        switch (signo) {

        case DR_SHUTDOWN_SIGNAL:
            dr_quit = 1;
            action = ", shutting down";
            break;

        case DR_TERMINATE_SIGNAL:
        case SIGINT:
            dr_terminate = 1;
            action = ", exiting";
            break;

        case DR_NOACCEPT_SIGNAL:
            if (dr_daemonized) {
                dr_noaccept = 1;
                action = ", stop accepting connections";
            } else {
                action = ", ignoring (not daemonized)";
            }
            break;

        case DR_RECONFIGURE_SIGNAL:
            dr_reconfigure = 1;
            action = ", reconfiguring";
            break;

        case DR_REOPEN_SIGNAL:
            dr_reopen = 1;
            action = ", reopening logs";
            break;

        case DR_CHANGEBIN_SIGNAL:

            /*
             * a new master whose old master still runs (the upgrade is not
             * finished) or a master already upgrading ignores USR2. nginx
             * tests only getppid() == parent, which also ignores USR2 in
             * every foreground (daemon off) master; drover upgrades there.
             */

            if ((dr_inherited && getppid() == dr_parent)
                || dr_new_binary > 0)
            {
                action = ", ignoring";
                break;
            }

            dr_change_binary = 1;
            action = ", changing binary";
            break;

        case SIGALRM:
            dr_sigalrm = 1;
            break;

        case SIGIO:
            dr_sigio = 1;
            break;

        case SIGCHLD:
            dr_reap = 1;
            break;
        }

        break;

    default:    /* the children */
        switch (signo) {

        case DR_SHUTDOWN_SIGNAL:
            dr_quit = 1;
            action = ", shutting down";
            break;

        case DR_TERMINATE_SIGNAL:
        case SIGINT:
            dr_terminate = 1;
            action = ", exiting";
            break;

        case DR_REOPEN_SIGNAL:
            dr_reopen = 1;
            action = ", reopening logs";
            break;

        case SIGCHLD:
            dr_reap = 1;
            break;

        case SIGALRM:
            dr_sigalrm = 1;
            break;

        default:
            action = ", ignoring";   /* HUP, WINCH, USR2: the master's */
            break;
        }

        break;
    }

    /*
     * as nginx, logged from the handler: dr_log_error() formats into a
     * stack buffer and write()s, no allocation and no lock
     */

    if (signo != SIGALRM && signo != SIGIO && dr_cycle != NULL
        && !(signo == SIGCHLD && dr_process != DR_PROCESS_MASTER
             && dr_process != DR_PROCESS_SINGLE))
    {
        /* a child's own helpers (snapshots, compressors) end quietly */
        dr_time_sigsafe_update();

        if (siginfo && siginfo->si_pid) {
            dr_log_error(DR_LOG_NOTICE, dr_cycle->log, 0,
                         "signal %d (%s) received from %P%s", signo,
                         sig->signame, siginfo->si_pid, action);

        } else {
            dr_log_error(DR_LOG_NOTICE, dr_cycle->log, 0,
                         "signal %d (%s) received%s", signo, sig->signame,
                         action);
        }
    }

    if (signo == SIGCHLD && (dr_process == DR_PROCESS_MASTER
                             || dr_process == DR_PROCESS_SINGLE))
    {
        dr_process_get_status();
    }

    errno = err;
}


/* reaps every exited child; runs in the SIGCHLD handler (async-signal-safe) */
static void
dr_process_get_status(void)
{
    int        status;
    pid_t      pid;
    dr_int_t   i;

    for ( ;; ) {
        pid = waitpid(-1, &status, WNOHANG);

        if (pid == 0 || pid == -1) {
            return;
        }

        for (i = 0; i < dr_last_process; i++) {
            if (dr_processes[i].pid == pid) {
                dr_processes[i].status = status;
                dr_processes[i].exited = 1;
                break;
            }
        }
    }
}


dr_int_t
dr_os_signal_process(dr_cycle_t *cycle, char *name, pid_t pid)
{
    dr_signal_t  *sig;

    for (sig = signals; sig->signo != 0; sig++) {
        if (dr_strcmp(name, sig->name) == 0) {
            if (kill(pid, sig->signo) != -1) {
                return 0;
            }

            dr_log_error(DR_LOG_ALERT, cycle->log, dr_errno,
                         "kill(%P, %d) failed", pid, sig->signo);
        }
    }

    return 1;
}


dr_int_t
dr_daemon(dr_log_t *log)
{
    int  fd;

    switch (fork()) {
    case -1:
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "fork() failed");
        return DR_ERROR;

    case 0:
        break;

    default:
        exit(0);
    }

    dr_parent = dr_pid;
    dr_pid = getpid();

    if (setsid() == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "setsid() failed");
        return DR_ERROR;
    }

    umask(0);

    fd = open("/dev/null", O_RDWR);
    if (fd == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno,
                     "open(\"/dev/null\") failed");
        return DR_ERROR;
    }

    if (dup2(fd, STDIN_FILENO) == -1 || dup2(fd, STDOUT_FILENO) == -1) {
        dr_log_error(DR_LOG_EMERG, log, dr_errno, "dup2() failed");
        return DR_ERROR;
    }

    if (fd > STDERR_FILENO) {
        (void) close(fd);
    }

    return DR_OK;
}
