/*
 * A cycle for the event layer's unit tests: the real module table, core
 * conf set by hand, the events{} defaults (as when the block is absent),
 * a log captured in memory. Each Criterion test runs in its own process,
 * so the globals (dr_cycle, the timer tree, the epoll fd) start clean.
 */
#ifndef EVENT_FIXTURE_H_INCLUDED
#define EVENT_FIXTURE_H_INCLUDED

#include "dr_event.h"

typedef struct {
    dr_cycle_t       cycle;
    dr_core_conf_t   ccf;
    dr_conf_t        cf;
    dr_log_t         log;
    u_char           logbuf[65536];
    size_t           loglen;
    int              logfd;     /* > 0: lines are also written there */
} event_fixture_t;

extern event_fixture_t  evfx;

/* builds dr_cycle (not yet started): <connections> 0 keeps the default */
void evfx_init(dr_uint_t connections);
/* parses <text> as a configuration file; DR_CONF_OK or DR_CONF_ERROR */
char *evfx_parse(const char *text);
/* a listening socket on 127.0.0.1:<port> accepted by this process */
dr_listening_t *evfx_listen(in_port_t port, dr_connection_handler_pt h);
/* opens the listening sockets and runs the event module's init_process */
void evfx_start(void);
in_port_t evfx_port(dr_listening_t *ls);
/* a blocking client socket connected to 127.0.0.1:<port> */
int evfx_client(in_port_t port);
/* turns the loop until *<flag> is non-zero or <msec> pass; 1 if it was */
int evfx_run_until(volatile int *flag, dr_msec_t msec);
int evfx_log_has(const char *s);

#endif
