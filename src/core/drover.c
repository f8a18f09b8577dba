/*
 * main(): the command line (nginx's options, nginx's messages), the first
 * cycle, then the master (or the single process) loop.
 *
 *   -?,-h  help           -v  version        -V  version and build
 *   -t     test config    -T  test and dump  -q  quiet (with -t)
 *   -s signal  send stop|quit|reopen|reload to the master in the pid file
 *   -p prefix  -c file  -e error_log|stderr  -g "directives"
 *
 * Relative paths resolve as nginx resolves them: the config file, logs, pid
 * and most paths against the prefix; include against the config file's
 * directory (conf_prefix).
 */

#include "dr_core.h"
#include "dr_os.h"
#include <openssl/opensslv.h>
#include <openssl/crypto.h>

static void dr_show_version_info(void);
static dr_int_t dr_get_options(int argc, char *const *argv);
static dr_int_t dr_process_options(dr_cycle_t *cycle);
static void dr_dump_configuration(dr_cycle_t *cycle);
static dr_int_t dr_set_binary_path(dr_cycle_t *cycle, char *argv0);
static dr_int_t dr_save_argv(dr_cycle_t *cycle, int argc, char *const *argv);

static dr_uint_t   dr_show_help;
static dr_uint_t   dr_show_version;
static dr_uint_t   dr_show_configure;
static u_char     *dr_prefix;
static u_char     *dr_error_log;
static u_char     *dr_conf_file;
static u_char     *dr_conf_params;
static char       *dr_signal;


int
main(int argc, char *const *argv)
{
    dr_log_t        *log;
    dr_pool_t       *pool;
    dr_cycle_t      *cycle = NULL, init_cycle;
    dr_core_conf_t  *ccf;

    if (dr_get_options(argc, argv) != DR_OK) {
        return 1;
    }

    if (dr_show_version) {
        dr_show_version_info();

        if (!dr_test_config) {
            return 0;
        }
    }

    dr_time_init();

    dr_pid = getpid();
    dr_parent = getppid();

    log = dr_log_init(dr_prefix, dr_error_log);
    if (log == NULL) {
        return 1;
    }

    /*
     * init_cycle->log is required for signal handlers and
     * dr_process_options()
     */

    dr_memzero(&init_cycle, sizeof(dr_cycle_t));
    init_cycle.log = log;
    dr_cycle = &init_cycle;

    pool = dr_create_pool(1024, log);
    if (pool == NULL) {
        goto failed;
    }
    init_cycle.pool = pool;

    if (dr_array_init(&init_cycle.listening, pool, 4, sizeof(dr_listening_t))
        != DR_OK)
    {
        goto failed;
    }

    /*
     * the title of a process is written over the argv area: the USR2
     * upgrade needs the arguments as they were, so they are copied first
     */

    if (dr_save_argv(&init_cycle, argc, argv) != DR_OK) {
        goto failed;
    }

    if (dr_process_options(&init_cycle) != DR_OK) {
        goto failed;
    }

    if (dr_set_binary_path(&init_cycle, dr_argv[0]) != DR_OK) {
        goto failed;
    }

    if (dr_init_setproctitle(log) != DR_OK) {
        goto failed;
    }

    /* the listening sockets of an old master at a binary upgrade (USR2) */

    if (dr_set_inherited_sockets(&init_cycle) != DR_OK) {
        goto failed;
    }

    if (dr_preinit_modules() != DR_OK) {
        goto failed;
    }

    if (dr_signal) {
        dr_process = DR_PROCESS_SIGNALLER;
    }

    cycle = dr_init_cycle(&init_cycle);

    if (cycle == NULL) {
        if (dr_test_config) {
            dr_log_stderr(0, "configuration file %s test failed",
                          init_cycle.conf_file.data);
        }

        goto failed;
    }

    if (dr_test_config) {
        if (!dr_quiet_mode) {
            dr_log_stderr(0, "configuration file %s test is successful",
                          cycle->conf_file.data);
        }

        if (dr_dump_config) {
            dr_dump_configuration(cycle);
        }

        dr_destroy_pool(cycle->pool);
        dr_destroy_pool(pool);
        return 0;
    }

    if (dr_signal) {
        int  rc;

        rc = (int) dr_signal_process(cycle, dr_signal);

        dr_destroy_pool(cycle->pool);
        dr_destroy_pool(pool);
        return rc;
    }

    dr_cycle = cycle;

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (ccf->master && dr_process == DR_PROCESS_SINGLE) {
        dr_process = DR_PROCESS_MASTER;
    }

    if (dr_init_signals(cycle->log) != DR_OK) {
        goto failed;
    }

    if (!dr_inherited && ccf->daemon) {
        if (dr_daemon(cycle->log) != DR_OK) {
            goto failed;
        }

        dr_daemonized = 1;
    }

    if (dr_inherited) {
        dr_daemonized = 1;
    }

    /* written only now: the listening sockets are bound */

    if (dr_create_pidfile(&ccf->pid, cycle->log) != DR_OK) {
        goto failed;
    }

    if (dr_log_redirect_stderr(cycle) != DR_OK) {
        goto failed;
    }

    if (log->file->fd != STDERR_FILENO) {
        if (close(log->file->fd) == -1) {
            dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                         "close() built-in log failed");
        }
    }

    dr_use_stderr = 0;

    if (dr_process == DR_PROCESS_SINGLE) {
        dr_single_process_cycle(cycle);

    } else {
        dr_master_process_cycle(cycle);
    }

    return 0;

failed:

    /* every way out after the first allocation frees what it made */

    if (cycle) {
        dr_destroy_pool(cycle->pool);
    }

    dr_destroy_pool(pool);

    return 1;
}


static void
dr_show_version_info(void)
{
    dr_write_fd_all(STDERR_FILENO, (u_char *) "drover version: " DR_VER "\n",
                    sizeof("drover version: " DR_VER "\n") - 1);

    if (dr_show_help) {
        static const char  help[] =
            "Usage: drover [-?hvVtTq] [-s signal] [-p prefix]\n"
            "             [-e filename] [-c filename] [-g directives]\n"
            "\n"
            "Options:\n"
            "  -?,-h         : this help\n"
            "  -v            : show version and exit\n"
            "  -V            : show version and configure options then exit\n"
            "  -t            : test configuration and exit\n"
            "  -T            : test configuration, dump it and exit\n"
            "  -q            : suppress non-error messages "
                               "during configuration testing\n"
            "  -s signal     : send signal to a master process: "
                               "stop, quit, reopen, reload\n"
            "  -p prefix     : set prefix path (default: " DR_PREFIX ")\n"
            "  -e filename   : set error log file (default: "
                               DR_ERROR_LOG_PATH ")\n"
            "  -c filename   : set configuration file (default: "
                               DR_CONF_PATH ")\n"
            "  -g directives : set global directives out of "
                               "configuration file\n\n";

        dr_write_fd_all(STDERR_FILENO, (u_char *) help, sizeof(help) - 1);
    }

    if (dr_show_configure) {
        u_char  buf[1024], *p;

        p = dr_snprintf(buf, sizeof(buf),
                        "built by %s\n"
                        "built with %s (running with %s)\n"
                        "configure arguments:%s%s\n",
                        DR_COMPILER, OPENSSL_VERSION_TEXT,
                        OpenSSL_version(OPENSSL_VERSION),
                        DR_CONFIGURE[0] ? " " : "", DR_CONFIGURE);

        dr_write_fd_all(STDERR_FILENO, buf, p - buf);
    }
}


static void
dr_dump_configuration(dr_cycle_t *cycle)
{
    dr_uint_t        i;
    dr_conf_dump_t  *cd;
    dr_buf_t        *b;
    u_char           head[PATH_MAX + 64], *p;

    cd = cycle->config_dump.elts;

    for (i = 0; i < cycle->config_dump.nelts; i++) {

        p = dr_snprintf(head, sizeof(head), "# configuration file %V:%N",
                        &cd[i].name);
        dr_write_fd_all(STDOUT_FILENO, head, p - head);

        b = cd[i].buffer;

        if (b->last > b->start) {
            dr_write_fd_all(STDOUT_FILENO, b->start, b->last - b->start);

            if (*(b->last - 1) != LF) {
                dr_write_fd_all(STDOUT_FILENO, (u_char *) "\n", 1);
            }
        }

        dr_write_fd_all(STDOUT_FILENO, (u_char *) "\n", 1);
    }
}


static dr_int_t
dr_get_options(int argc, char *const *argv)
{
    u_char     *p;
    dr_int_t    i;

    for (i = 1; i < argc; i++) {

        p = (u_char *) argv[i];

        if (*p++ != '-') {
            dr_log_stderr(0, "invalid option: \"%s\"", argv[i]);
            return DR_ERROR;
        }

        while (*p) {

            switch (*p++) {

            case '?':
            case 'h':
                dr_show_version = 1;
                dr_show_help = 1;
                break;

            case 'v':
                dr_show_version = 1;
                break;

            case 'V':
                dr_show_version = 1;
                dr_show_configure = 1;
                break;

            case 't':
                dr_test_config = 1;
                break;

            case 'T':
                dr_test_config = 1;
                dr_dump_config = 1;
                break;

            case 'q':
                dr_quiet_mode = 1;
                break;

            case 'p':
                if (*p) {
                    dr_prefix = p;
                    goto next;
                }

                if (argv[++i]) {
                    dr_prefix = (u_char *) argv[i];
                    goto next;
                }

                dr_log_stderr(0, "option \"-p\" requires directory name");
                return DR_ERROR;

            case 'e':
                if (*p) {
                    dr_error_log = p;

                } else if (argv[++i]) {
                    dr_error_log = (u_char *) argv[i];

                } else {
                    dr_log_stderr(0, "option \"-e\" requires file name");
                    return DR_ERROR;
                }

                if (dr_strcmp(dr_error_log, "stderr") == 0) {
                    dr_error_log = (u_char *) "";
                }

                goto next;

            case 'c':
                if (*p) {
                    dr_conf_file = p;
                    goto next;
                }

                if (argv[++i]) {
                    dr_conf_file = (u_char *) argv[i];
                    goto next;
                }

                dr_log_stderr(0, "option \"-c\" requires file name");
                return DR_ERROR;

            case 'g':
                if (*p) {
                    dr_conf_params = p;
                    goto next;
                }

                if (argv[++i]) {
                    dr_conf_params = (u_char *) argv[i];
                    goto next;
                }

                dr_log_stderr(0, "option \"-g\" requires parameter");
                return DR_ERROR;

            case 's':
                if (*p) {
                    dr_signal = (char *) p;

                } else if (argv[++i]) {
                    dr_signal = argv[i];

                } else {
                    dr_log_stderr(0, "option \"-s\" requires parameter");
                    return DR_ERROR;
                }

                if (dr_strcmp(dr_signal, "stop") == 0
                    || dr_strcmp(dr_signal, "quit") == 0
                    || dr_strcmp(dr_signal, "reopen") == 0
                    || dr_strcmp(dr_signal, "reload") == 0)
                {
                    dr_process = DR_PROCESS_SIGNALLER;
                    goto next;
                }

                dr_log_stderr(0, "invalid option: \"-s %s\"", dr_signal);
                return DR_ERROR;

            default:
                dr_log_stderr(0, "invalid option: \"%c\"", *(p - 1));
                return DR_ERROR;
            }
        }

    next:

        continue;
    }

    return DR_OK;
}


static dr_int_t
dr_process_options(dr_cycle_t *cycle)
{
    u_char   *p;
    size_t    len;
    char      cwd[PATH_MAX];

    if (dr_prefix) {
        len = dr_strlen(dr_prefix);
        p = dr_prefix;

        if (len && p[0] != '/') {

            /* a relative -p is relative to the current directory */

            if (getcwd(cwd, sizeof(cwd)) == NULL) {
                dr_log_stderr(dr_errno, "[emerg] getcwd() failed");
                return DR_ERROR;
            }

            p = dr_pnalloc(cycle->pool, dr_strlen(cwd) + 1 + len + 2);
            if (p == NULL) {
                return DR_ERROR;
            }

            p = (u_char *) strcpy((char *) p, cwd);
            strcat((char *) p, "/");
            strcat((char *) p, (char *) dr_prefix);
            len = dr_strlen(p);
        }

        if (len && !dr_path_separator(p[len - 1])) {
            u_char  *np = dr_pnalloc(cycle->pool, len + 2);

            if (np == NULL) {
                return DR_ERROR;
            }

            dr_memcpy(np, p, len);
            np[len++] = '/';
            np[len] = '\0';
            p = np;
        }

        cycle->conf_prefix.len = len;
        cycle->conf_prefix.data = p;
        cycle->prefix.len = len;
        cycle->prefix.data = p;

    } else {
        dr_str_set(&cycle->conf_prefix, DR_CONF_PREFIX);
        dr_str_set(&cycle->prefix, DR_PREFIX);
    }

    if (dr_conf_file) {
        cycle->conf_file.len = dr_strlen(dr_conf_file);
        cycle->conf_file.data = dr_conf_file;

    } else {
        dr_str_set(&cycle->conf_file, DR_CONF_PATH);
    }

    if (dr_conf_full_name(cycle, &cycle->conf_file, 0) != DR_OK) {
        return DR_ERROR;
    }

    /* includes are relative to the directory of the configuration file */

    for (p = cycle->conf_file.data + cycle->conf_file.len - 1;
         p > cycle->conf_file.data;
         p--)
    {
        if (dr_path_separator(*p)) {
            cycle->conf_prefix.len = p - cycle->conf_file.data + 1;
            cycle->conf_prefix.data = cycle->conf_file.data;
            break;
        }
    }

    if (dr_error_log) {
        cycle->error_log.len = dr_strlen(dr_error_log);
        cycle->error_log.data = dr_error_log;

    } else {
        dr_str_set(&cycle->error_log, DR_ERROR_LOG_PATH);
    }

    if (dr_conf_params) {
        cycle->conf_param.len = dr_strlen(dr_conf_params);
        cycle->conf_param.data = dr_conf_params;
    }

    if (dr_test_config) {
        cycle->log->log_level = DR_LOG_INFO;
    }

    return DR_OK;
}


/*
 * The path a USR2 upgrade executes: argv[0] made absolute now, while the
 * working directory is the one the user started us from.
 */
static dr_int_t
dr_set_binary_path(dr_cycle_t *cycle, char *argv0)
{
    char    cwd[PATH_MAX], *path, *dir, *save;
    size_t  len;
    u_char  *p;

    if (argv0[0] == '/') {
        dr_binary_path = (u_char *) argv0;
        return DR_OK;
    }

    if (strchr(argv0, '/') != NULL) {
        if (getcwd(cwd, sizeof(cwd)) == NULL) {
            dr_log_stderr(dr_errno, "[emerg] getcwd() failed");
            return DR_ERROR;
        }

        len = dr_strlen(cwd) + 1 + dr_strlen(argv0) + 1;
        p = dr_pnalloc(cycle->pool, len);
        if (p == NULL) {
            return DR_ERROR;
        }

        (void) snprintf((char *) p, len, "%s/%s", cwd, argv0);
        dr_binary_path = p;
        return DR_OK;
    }

    /* found through $PATH */

    path = getenv("PATH");
    dr_binary_path = (u_char *) argv0;

    if (path == NULL) {
        return DR_OK;
    }

    path = strdup(path);
    if (path == NULL) {
        return DR_ERROR;
    }

    for (dir = strtok_r(path, ":", &save); dir;
         dir = strtok_r(NULL, ":", &save))
    {
        len = dr_strlen(dir) + 1 + dr_strlen(argv0) + 1;
        p = dr_pnalloc(cycle->pool, len);
        if (p == NULL) {
            free(path);
            return DR_ERROR;
        }

        (void) snprintf((char *) p, len, "%s/%s", dir, argv0);

        if (access((char *) p, X_OK) == 0) {
            dr_binary_path = p;
            break;
        }
    }

    free(path);

    return DR_OK;
}


static dr_int_t
dr_save_argv(dr_cycle_t *cycle, int argc, char *const *argv)
{
    int      i;
    size_t   len;

    dr_os_argv = (char **) argv;
    dr_argc = argc;
    dr_os_environ = environ;

    /* malloc, not the pool: the copies outlive every cycle */

    dr_argv = malloc((argc + 1) * sizeof(char *));
    if (dr_argv == NULL) {
        return DR_ERROR;
    }

    for (i = 0; i < argc; i++) {
        len = dr_strlen(argv[i]) + 1;

        dr_argv[i] = malloc(len);
        if (dr_argv[i] == NULL) {
            return DR_ERROR;
        }

        (void) dr_cpystrn((u_char *) dr_argv[i], (u_char *) argv[i], len);
    }

    dr_argv[i] = NULL;

    /* environ is moved by setproctitle: keep the copy that upgrades pass on */
    (void) cycle;

    return DR_OK;
}
