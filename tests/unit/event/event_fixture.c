/*
 * The event tests' cycle (see event_fixture.h).
 */

#include <criterion/criterion.h>

#include "event/event_fixture.h"


event_fixture_t  evfx;


static void
evfx_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    (void) log;
    (void) level;

    if (evfx.logfd > 0) {
        (void) dr_write_fd_all(evfx.logfd, buf, len);
    }

    len = dr_min(len, sizeof(evfx.logbuf) - evfx.loglen - 1);
    dr_memcpy(evfx.logbuf + evfx.loglen, buf, len);
    evfx.loglen += len;
    evfx.logbuf[evfx.loglen] = '\0';
}


void
evfx_init(dr_uint_t connections)
{
    dr_cycle_t         *cycle;
    dr_core_module_t   *events;
    dr_event_conf_t    *ecf;

    /* a test may start over: what the last start made goes first */

    if (evfx.cycle.pool) {
        dr_destroy_pool(evfx.cycle.pool);
    }

    if (evfx.cf.temp_pool) {
        dr_destroy_pool(evfx.cf.temp_pool);
    }

    dr_memzero(&evfx, sizeof(event_fixture_t));

    dr_use_stderr = 0;
    dr_time_init();

    evfx.log.log_level = DR_LOG_INFO;
    evfx.log.writer = evfx_writer;

    cycle = &evfx.cycle;
    cycle->log = &evfx.log;
    cycle->new_log = evfx.log;

    cycle->pool = dr_create_pool(16384, &evfx.log);
    cr_assert_not_null(cycle->pool);

    cr_assert_eq(dr_array_init(&cycle->listening, cycle->pool, 4,
                               sizeof(dr_listening_t)), DR_OK);
    dr_queue_init(&cycle->reusable_connections_queue);

    dr_cycle = cycle;

    cr_assert_eq(dr_preinit_modules(), DR_OK);
    cr_assert_eq(dr_cycle_modules(cycle), DR_OK);

    cycle->conf_ctx = dr_pcalloc(cycle->pool, dr_max_module * sizeof(void *));
    cr_assert_not_null(cycle->conf_ctx);

    evfx.ccf.master = 0;
    evfx.ccf.worker_processes = 1;
    evfx.ccf.rlimit_nofile = DR_CONF_UNSET;
    evfx.ccf.shutdown_timeout = 0;
    cycle->conf_ctx[dr_core_module.index] = &evfx.ccf;

    evfx.cf.cycle = cycle;
    evfx.cf.pool = cycle->pool;
    evfx.cf.log = &evfx.log;
    evfx.cf.args = dr_array_create(cycle->pool, 10, sizeof(dr_str_t));
    evfx.cf.temp_pool = dr_create_pool(4096, &evfx.log);
    evfx.cf.ctx = cycle->conf_ctx;
    evfx.cf.module_type = DR_CORE_MODULE;
    evfx.cf.cmd_type = DR_MAIN_CONF;

    dr_process = DR_PROCESS_SINGLE;
    dr_worker = 0;

    if (connections == (dr_uint_t) -1) {
        return;     /* evfx_parse() will make the event confs */
    }

    events = dr_events_module.ctx;
    cr_assert_eq(events->init_conf(cycle, NULL), DR_CONF_OK);

    if (connections) {
        ecf = dr_event_get_conf(cycle->conf_ctx, dr_event_core_module);
        ecf->connections = connections;
        cycle->connection_n = connections;
    }
}


char *
evfx_parse(const char *text)
{
    int                fd;
    char               name[] = "/tmp/dr_test_event_XXXXXX";
    char              *rv;
    dr_str_t           file;
    dr_core_module_t  *events;

    fd = mkstemp(name);
    cr_assert_neq(fd, -1);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t) strlen(text));
    close(fd);

    file.data = (u_char *) name;
    file.len = strlen(name);

    rv = dr_conf_parse(&evfx.cf, &file);

    unlink(name);

    if (rv != DR_CONF_OK) {
        return rv;
    }

    events = dr_events_module.ctx;

    return events->init_conf(&evfx.cycle,
                             evfx.cycle.conf_ctx[dr_events_module.index]);
}


dr_listening_t *
evfx_listen(in_port_t port, dr_connection_handler_pt h)
{
    dr_listening_t      *ls;
    struct sockaddr_in   sin;

    dr_memzero(&sin, sizeof(struct sockaddr_in));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    ls = dr_create_listening(&evfx.cf, (struct sockaddr *) &sin, sizeof(sin));
    cr_assert_not_null(ls);

    ls->handler = h;

    return ls;
}


void
evfx_start(void)
{
    cr_assert_eq(dr_listening_inherit_from(&evfx.cycle, NULL), DR_OK);
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    dr_configure_listening_sockets(&evfx.cycle);

    cr_assert_eq(dr_event_core_module.init_process(&evfx.cycle), DR_OK);
}


in_port_t
evfx_port(dr_listening_t *ls)
{
    socklen_t           len;
    struct sockaddr_in  sin;

    len = sizeof(sin);
    cr_assert_eq(getsockname(ls->fd, (struct sockaddr *) &sin, &len), 0);

    return ntohs(sin.sin_port);
}


int
evfx_client(in_port_t port)
{
    int                 s;
    struct sockaddr_in  sin;

    s = socket(AF_INET, SOCK_STREAM, 0);
    cr_assert_neq(s, -1);

    dr_memzero(&sin, sizeof(struct sockaddr_in));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);

    cr_assert_eq(connect(s, (struct sockaddr *) &sin, sizeof(sin)), 0,
                 "connect: %s", strerror(errno));

    return s;
}


static void
evfx_deadline_handler(dr_event_t *ev)
{
    (void) ev;
}


int
evfx_run_until(volatile int *flag, dr_msec_t msec)
{
    dr_event_t  deadline;

    dr_memzero(&deadline, sizeof(dr_event_t));
    deadline.handler = evfx_deadline_handler;
    deadline.log = &evfx.log;
    deadline.data = &deadline;

    dr_event_add_timer(&deadline, msec);

    while (!*flag && deadline.timer_set) {
        dr_process_events_and_timers(&evfx.cycle);
    }

    if (deadline.timer_set) {
        dr_event_del_timer(&deadline);
    }

    return *flag != 0;
}


int
evfx_log_has(const char *s)
{
    return strstr((char *) evfx.logbuf, s) != NULL;
}
