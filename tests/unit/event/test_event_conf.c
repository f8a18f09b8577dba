/*
 * The events{} block (src/event/dr_event.c, dr_epoll.c): every directive,
 * the defaults (also when the block is absent, a drover difference from
 * nginx), and each error with the message users see.
 */

#include <criterion/criterion.h>

#include "event/event_fixture.h"


static void
setup(void)
{
    evfx_init((dr_uint_t) -1);
}


TestSuite(event_conf, .init = setup);


static dr_event_conf_t *
test_event_conf_ecf(void)
{
    return dr_event_get_conf(evfx.cycle.conf_ctx, dr_event_core_module);
}


Test(event_conf, all_directives)
{
    dr_event_conf_t  *ecf;

    cr_assert_eq(evfx_parse("events {\n"
                            "    worker_connections 64;\n"
                            "    use epoll;\n"
                            "    multi_accept on;\n"
                            "    accept_mutex on;\n"
                            "    accept_mutex_delay 100ms;\n"
                            "    epoll_events 32;\n"
                            "}\n"), DR_CONF_OK, "%s", evfx.logbuf);

    ecf = test_event_conf_ecf();

    cr_assert_eq(ecf->connections, 64);
    cr_assert_eq(evfx.cycle.connection_n, 64);
    cr_assert_eq(ecf->use, dr_epoll_module.ctx_index);
    cr_assert_str_eq((char *) ecf->name, "epoll");
    cr_assert_eq(ecf->multi_accept, 1);
    cr_assert_eq(ecf->accept_mutex, 1);
    cr_assert_eq(ecf->accept_mutex_delay, 100);
}


Test(event_conf, defaults_with_an_empty_block)
{
    dr_event_conf_t  *ecf;

    cr_assert_eq(evfx_parse("events { }\n"), DR_CONF_OK);

    ecf = test_event_conf_ecf();

    cr_assert_eq(ecf->connections, 512);
    cr_assert_eq(evfx.cycle.connection_n, 512);
    cr_assert_eq(ecf->use, dr_epoll_module.ctx_index);
    cr_assert_eq(ecf->multi_accept, 0);
    cr_assert_eq(ecf->accept_mutex, 0);
    cr_assert_eq(ecf->accept_mutex_delay, 500);
}


Test(event_conf, no_events_block_means_defaults)
{
    dr_event_conf_t  *ecf;

    cr_assert_eq(evfx_parse("# nothing\n"), DR_CONF_OK);

    cr_assert_not_null(evfx.cycle.conf_ctx[dr_events_module.index]);

    ecf = test_event_conf_ecf();

    cr_assert_eq(ecf->connections, 512);
    cr_assert_eq(evfx.cycle.connection_n, 512);
    cr_assert_eq(ecf->multi_accept, 0);
}


Test(event_conf, only_epoll_is_an_event_type)
{
    cr_assert_eq(evfx_parse("events {\n    use kqueue;\n}\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("invalid event type \"kqueue\" in "));
    cr_assert(evfx_log_has(":2"));
}


Test(event_conf, duplicate_block_and_directives)
{
    cr_assert_eq(evfx_parse("events { }\nevents { }\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("\"events\" directive is duplicate in "));

    setup();
    cr_assert_eq(evfx_parse("events { worker_connections 1; "
                            "worker_connections 2; }\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("\"worker_connections\" directive is duplicate"));

    setup();
    cr_assert_eq(evfx_parse("events { use epoll; use epoll; }\n"),
                 DR_CONF_ERROR);
    cr_assert(evfx_log_has("\"use\" directive is duplicate"));
}


Test(event_conf, bad_values)
{
    cr_assert_eq(evfx_parse("events { worker_connections many; }\n"),
                 DR_CONF_ERROR);
    cr_assert(evfx_log_has("invalid number \"many\""));

    setup();
    cr_assert_eq(evfx_parse("events { multi_accept yes; }\n"),
                 DR_CONF_ERROR);
    cr_assert(evfx_log_has("it must be \"on\" or \"off\""));

    setup();
    cr_assert_eq(evfx_parse("events { epoll_events 0; }\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("value must be between 1 and"));

    setup();
    cr_assert_eq(evfx_parse("events { accept_mutex_delay soon; }\n"),
                 DR_CONF_ERROR);
    cr_assert(evfx_log_has("\"accept_mutex_delay\" directive invalid value"));
}


Test(event_conf, directives_in_the_wrong_place)
{
    cr_assert_eq(evfx_parse("worker_connections 10;\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("\"worker_connections\" directive is not "
                           "allowed here"));

    setup();
    cr_assert_eq(evfx_parse("events { events { } }\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("\"events\" directive is not allowed here"));

    setup();
    cr_assert_eq(evfx_parse("events { bogus 1; }\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("unknown directive \"bogus\""));

    setup();
    cr_assert_eq(evfx_parse("events { use; }\n"), DR_CONF_ERROR);
    cr_assert(evfx_log_has("invalid number of arguments in \"use\""));
}


Test(event_conf, worker_connections_must_cover_the_listening_sockets)
{
    (void) evfx_listen(8080, NULL);
    (void) evfx_listen(8081, NULL);

    cr_assert_eq(evfx_parse("events { worker_connections 2; }\n"),
                 DR_CONF_ERROR);
    cr_assert(evfx_log_has("2 worker_connections are not enough for "
                           "2 listening sockets"));

    setup();
    (void) evfx_listen(8080, NULL);
    cr_assert_eq(evfx_parse("events { worker_connections 2; }\n"),
                 DR_CONF_OK);
}


Test(event_conf, reuseport_sockets_are_cloned_per_worker)
{
    dr_uint_t        i;
    dr_listening_t  *ls;

    evfx.ccf.master = 1;
    evfx.ccf.worker_processes = 4;

    ls = evfx_listen(8080, NULL);
    ls->reuseport = 1;
    (void) evfx_listen(8081, NULL);

    cr_assert_eq(evfx_parse("events { }\n"), DR_CONF_OK);

    cr_assert_eq(evfx.cycle.listening.nelts, 5);

    ls = evfx.cycle.listening.elts;

    cr_assert_eq(ls[0].worker, 0);
    cr_assert_eq(ls[1].worker, 0);
    cr_assert_not(ls[1].reuseport);

    for (i = 2; i < 5; i++) {
        cr_assert(ls[i].reuseport);
        cr_assert_eq(ls[i].worker, i - 1);
        cr_assert_eq(ls[i].sockaddr, ls[0].sockaddr);
    }
}
