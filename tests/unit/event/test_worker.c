/*
 * A real worker process (src/event/dr_event_worker.c): forked from the
 * test as the master would, it runs dr_event_worker_run() and serves a
 * small echo handler on a loopback listening socket. QUIT lets a request
 * in progress finish and then exits with status 0; worker_shutdown_timeout
 * bounds that wait; TERM exits at once.
 */

#include <criterion/criterion.h>

#include "event/event_fixture.h"


static in_port_t  test_worker_port;
static int        test_worker_log[2];
static char       test_worker_logtext[65536];


static void
test_worker_close(dr_connection_t *c)
{
    dr_pool_t  *pool;

    pool = c->pool;
    dr_close_connection(c);
    dr_destroy_pool(pool);
}


/* echoes one read, then closes; asked to close (shutdown timeout): closes */
static void
test_worker_read(dr_event_t *ev)
{
    u_char            buf[64];
    ssize_t           n;
    dr_connection_t  *c = ev->data;

    if (c->close || ev->timedout) {
        test_worker_close(c);
        return;
    }

    n = c->recv(c, buf, sizeof(buf));

    if (n == DR_AGAIN) {
        return;
    }

    if (n > 0) {
        (void) c->send(c, buf, n);
    }

    test_worker_close(c);
}


static void
test_worker_accept(dr_connection_t *c)
{
    c->read->handler = test_worker_read;

    /*
     * as http's client_header_timeout: a connection is "in progress" for
     * a graceful exit because its timer is not cancelable
     */

    dr_event_add_timer(c->read, 60000);

    if (dr_handle_read_event(c->read, 0) != DR_OK) {
        test_worker_close(c);
    }
}


static void
test_worker_leave(int status, void *arg)
{
    (void) arg;

    _exit(status);
}


static pid_t
test_worker_spawn(dr_msec_t shutdown_timeout, dr_connection_handler_pt h)
{
    pid_t            pid;
    dr_listening_t  *ls;

    evfx_init(0);

    evfx.ccf.master = 1;
    evfx.ccf.worker_processes = 1;
    evfx.ccf.shutdown_timeout = shutdown_timeout;
    evfx.ccf.user = (uid_t) DR_CONF_UNSET_UINT;
    evfx.ccf.rlimit_core = DR_CONF_UNSET;

    ls = evfx_listen(0, h);

    cr_assert_eq(dr_listening_inherit_from(&evfx.cycle, NULL), DR_OK);
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    dr_configure_listening_sockets(&evfx.cycle);

    test_worker_port = evfx_port(ls);

    dr_process = DR_PROCESS_MASTER;

    cr_assert_eq(dr_init_signals(&evfx.log), DR_OK);

    cr_assert_eq(pipe(test_worker_log), 0);

    pid = fork();
    cr_assert_neq(pid, -1);

    if (pid == 0) {
        close(test_worker_log[0]);
        evfx.logfd = test_worker_log[1];

        /* leave without the test runner's (and LeakSanitizer's) atexit work */
        on_exit(test_worker_leave, NULL);

        dr_pid = getpid();
        dr_event_worker_run(&evfx.cycle, 0);
        _exit(3);   /* never reached */
    }

    /* the test reaps its child itself, not the master's SIGCHLD handler */

    signal(SIGCHLD, SIG_DFL);
    dr_process = DR_PROCESS_SINGLE;

    close(test_worker_log[1]);

    return pid;
}


static int
test_worker_wait(pid_t pid, int msec)
{
    int    status;
    pid_t  rc;

    while (msec > 0) {
        rc = waitpid(pid, &status, WNOHANG);

        if (rc == pid) {
            ssize_t  n, len = 0;

            while ((n = read(test_worker_log[0], test_worker_logtext + len,
                             sizeof(test_worker_logtext) - 1 - len)) > 0)
            {
                len += n;
            }

            test_worker_logtext[len] = '\0';
            close(test_worker_log[0]);

            return status;
        }

        usleep(10000);
        msec -= 10;
    }

    kill(pid, SIGKILL);
    waitpid(pid, &status, 0);

    cr_assert_fail("the worker did not exit");

    return -1;
}


static int
test_worker_echo(int s, const char *text)
{
    char     buf[64];
    ssize_t  n;

    cr_assert_eq(write(s, text, strlen(text)), (ssize_t) strlen(text));

    n = read(s, buf, sizeof(buf) - 1);

    if (n <= 0) {
        return 0;
    }

    buf[n] = '\0';

    return strcmp(buf, text) == 0;
}


Test(worker, serves_then_quits_after_the_request_in_progress)
{
    int    s, t, status;
    pid_t  pid;

    pid = test_worker_spawn(0, test_worker_accept);

    s = evfx_client(test_worker_port);
    cr_assert(test_worker_echo(s, "one"));
    close(s);

    /* a request in progress when QUIT comes */

    t = evfx_client(test_worker_port);
    usleep(100000);

    cr_assert_eq(kill(pid, SIGQUIT), 0);
    usleep(100000);

    cr_assert_eq(waitpid(pid, &status, WNOHANG), 0, "exited too early");

    cr_assert(test_worker_echo(t, "two"));
    close(t);

    status = test_worker_wait(pid, 5000);

    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0);

    cr_assert(strstr(test_worker_logtext, "[notice]"));
    cr_assert(strstr(test_worker_logtext, "gracefully shutting down"));
    cr_assert(strstr(test_worker_logtext, "exiting"));
    cr_assert_null(strstr(test_worker_logtext, "[alert]"), "%s",
                   test_worker_logtext);
}


Test(worker, shutdown_timeout_bounds_the_graceful_exit)
{
    int    t, status;
    char   c;
    pid_t  pid;

    pid = test_worker_spawn(300, test_worker_accept);

    t = evfx_client(test_worker_port);
    usleep(100000);

    cr_assert_eq(kill(pid, SIGQUIT), 0);

    /* the client never sends: the timeout closes its connection */

    status = test_worker_wait(pid, 5000);

    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0);

    cr_assert_eq(read(t, &c, 1), 0);
    close(t);

    cr_assert(strstr(test_worker_logtext, "gracefully shutting down"));
    cr_assert_null(strstr(test_worker_logtext, "[alert]"), "%s",
                   test_worker_logtext);
}


static void
test_worker_forget(dr_connection_t *c)
{
    /* neither a timer nor a close: the bug the exit check is there for */

    (void) c;
}


Test(worker, a_graceful_exit_reports_connections_left_open)
{
    int    t, status;
    pid_t  pid;

    pid = test_worker_spawn(0, test_worker_forget);

    t = evfx_client(test_worker_port);
    usleep(100000);

    cr_assert_eq(kill(pid, SIGQUIT), 0);

    status = test_worker_wait(pid, 5000);

    cr_assert(WIFEXITED(status));
    cr_assert(strstr(test_worker_logtext, "[alert]"));
    cr_assert(strstr(test_worker_logtext, "open socket #"));
    cr_assert(strstr(test_worker_logtext, "left in connection"));

    close(t);
}


Test(worker, terminate_exits_at_once)
{
    int    t, status;
    pid_t  pid;

    pid = test_worker_spawn(0, test_worker_accept);

    t = evfx_client(test_worker_port);
    usleep(100000);

    cr_assert_eq(kill(pid, SIGTERM), 0);

    /* the open connection (and its 60 s timer) does not hold it */

    status = test_worker_wait(pid, 2000);

    cr_assert(WIFEXITED(status));
    cr_assert_eq(WEXITSTATUS(status), 0);
    cr_assert(strstr(test_worker_logtext, "exiting"));
    cr_assert_null(strstr(test_worker_logtext, "gracefully"));
    cr_assert_null(strstr(test_worker_logtext, "[alert]"));

    close(t);
}
