/*
 * Listening sockets (src/os/dr_socket.c): defaults and address texts,
 * opening (options, EADDRINUSE in test mode and with retries), taking
 * over an old cycle's sockets at a reload, inheriting them from an old
 * binary through DROVER="fd;fd;", the string handed to a new binary,
 * reuseport, unix sockets, closing.
 */

#include <criterion/criterion.h>
#include <sys/un.h>

#include "event/event_fixture.h"


static void
setup(void)
{
    evfx_init(0);
    dr_test_config = 0;
    dr_inherited = 0;
    unsetenv(DR_LISTENING_ENV);
}


TestSuite(socket, .init = setup, .timeout = 30);


static dr_listening_t *
test_socket_inet(const char *addr, in_port_t port)
{
    struct sockaddr_in  sin;

    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    cr_assert_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);

    return dr_create_listening(&evfx.cf, (struct sockaddr *) &sin,
                               sizeof(sin));
}


static int
test_socket_opt(int fd, int level, int name)
{
    int        value;
    socklen_t  len;

    value = -1;
    len = sizeof(int);
    cr_assert_eq(getsockopt(fd, level, name, &value, &len), 0);

    return value;
}


/* a loopback port that was free a moment ago */
static in_port_t
test_socket_free_port(void)
{
    int                 s;
    socklen_t           len;
    struct sockaddr_in  sin;

    s = socket(AF_INET, SOCK_STREAM, 0);
    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(s, (struct sockaddr *) &sin, sizeof(sin)), 0);
    len = sizeof(sin);
    cr_assert_eq(getsockname(s, (struct sockaddr *) &sin, &len), 0);
    close(s);

    return ntohs(sin.sin_port);
}


static int
test_socket_is_open(int fd)
{
    return fcntl(fd, F_GETFD) != -1;
}


Test(socket, create_listening_defaults_and_texts)
{
    dr_listening_t       *ls;
    struct sockaddr_in6   sin6;
    struct sockaddr_un    sun;

    ls = test_socket_inet("127.0.0.1", 8080);

    cr_assert_eq(evfx.cycle.listening.nelts, 1);
    cr_assert_eq(ls->fd, -1);
    cr_assert_eq(ls->type, SOCK_STREAM);
    cr_assert_eq(ls->backlog, DR_LISTEN_BACKLOG);
    cr_assert_eq(ls->rcvbuf, -1);
    cr_assert_eq(ls->sndbuf, -1);
    cr_assert_eq(ls->fastopen, -1);
    cr_assert_eq(ls->process, DR_PROCESS_WORKER);
    cr_assert_not(ls->wildcard);
    cr_assert_str_eq((char *) ls->addr_text.data, "127.0.0.1:8080");
    cr_assert_eq(ls->addr_text.len, sizeof("127.0.0.1:8080") - 1);
    cr_assert_eq(ls->addr_text_max_len, DR_INET_ADDRSTRLEN);
    cr_assert_eq(ls->log.handler, dr_listening_log_error);

    ls = test_socket_inet("0.0.0.0", 80);
    cr_assert(ls->wildcard);
    cr_assert_str_eq((char *) ls->addr_text.data, "0.0.0.0:80");

    dr_memzero(&sin6, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(443);
    sin6.sin6_addr = in6addr_loopback;

    ls = dr_create_listening(&evfx.cf, (struct sockaddr *) &sin6,
                             sizeof(sin6));
    cr_assert_str_eq((char *) ls->addr_text.data, "[::1]:443");
    cr_assert_eq(ls->addr_text_max_len, DR_INET6_ADDRSTRLEN);
    cr_assert(ls->ipv6only);

    dr_memzero(&sun, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, "/tmp/drover-test.sock");

    ls = dr_create_listening(&evfx.cf, (struct sockaddr *) &sun,
                             sizeof(sun));
    cr_assert_str_eq((char *) ls->addr_text.data,
                     "unix:/tmp/drover-test.sock");
    cr_assert_not(ls->wildcard);

    cr_assert_eq(evfx.cycle.listening.nelts, 4);
}


Test(socket, open_and_configure_set_the_options)
{
    int              flags;
    dr_listening_t  *ls;

    ls = test_socket_inet("127.0.0.1", 0);
    ls->backlog = 17;
    ls->rcvbuf = 65536;
    ls->sndbuf = 32768;
    ls->keepalive = 1;
    ls->keepidle = 30;
    ls->deferred_accept = 1;
    ls->post_accept_timeout = 5000;

    cr_assert_eq(dr_listening_inherit_from(&evfx.cycle, NULL), DR_OK);
    cr_assert(ls->open);
    cr_assert(ls->add_deferred);

    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    dr_configure_listening_sockets(&evfx.cycle);

    cr_assert_neq(ls->fd, -1);
    cr_assert(ls->listen);

    flags = fcntl(ls->fd, F_GETFL);
    cr_assert(flags & O_NONBLOCK);

    /* it must survive exec() for a binary upgrade */

    cr_assert_not(fcntl(ls->fd, F_GETFD) & FD_CLOEXEC);

    cr_assert(test_socket_opt(ls->fd, SOL_SOCKET, SO_REUSEADDR));
    cr_assert(test_socket_opt(ls->fd, SOL_SOCKET, SO_ACCEPTCONN));
    cr_assert_not(test_socket_opt(ls->fd, SOL_SOCKET, SO_REUSEPORT));
    cr_assert_geq(test_socket_opt(ls->fd, SOL_SOCKET, SO_RCVBUF), 65536);
    cr_assert_geq(test_socket_opt(ls->fd, SOL_SOCKET, SO_SNDBUF), 32768);
    cr_assert(test_socket_opt(ls->fd, SOL_SOCKET, SO_KEEPALIVE));
    cr_assert_eq(test_socket_opt(ls->fd, IPPROTO_TCP, TCP_KEEPIDLE), 30);
    cr_assert_gt(test_socket_opt(ls->fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
    cr_assert(ls->deferred_accept);

    /* the configured log takes over, with the accept context */

    cr_assert_eq(ls->log.data, &ls->addr_text);
    cr_assert_eq(ls->log.handler, dr_listening_log_error);

    dr_close_listening_sockets(&evfx.cycle);
}


Test(socket, reuseport_sockets_share_the_port)
{
    in_port_t        port;
    dr_listening_t  *ls, *ls2;
    struct sockaddr_in sin;
    socklen_t        len;

    ls = test_socket_inet("127.0.0.1", 0);
    ls->reuseport = 1;

    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    cr_assert(test_socket_opt(ls->fd, SOL_SOCKET, SO_REUSEPORT));

    len = sizeof(sin);
    cr_assert_eq(getsockname(ls->fd, (struct sockaddr *) &sin, &len), 0);
    port = ntohs(sin.sin_port);

    /* worker 1's copy binds the same address */

    ls = evfx.cycle.listening.elts;
    ls2 = test_socket_inet("127.0.0.1", port);
    ls = evfx.cycle.listening.elts;
    ls2->reuseport = 1;
    ls2->worker = 1;

    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    cr_assert_neq(ls2->fd, -1);
    cr_assert_neq(ls2->fd, ls[0].fd);

    dr_close_listening_sockets(&evfx.cycle);
}


Test(socket, address_in_use_is_retried_then_fails)
{
    int                 blocker;
    socklen_t           len;
    dr_listening_t     *ls;
    struct sockaddr_in  sin;

    blocker = socket(AF_INET, SOCK_STREAM, 0);
    dr_memzero(&sin, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    cr_assert_eq(bind(blocker, (struct sockaddr *) &sin, sizeof(sin)), 0);
    cr_assert_eq(listen(blocker, 1), 0);
    len = sizeof(sin);
    cr_assert_eq(getsockname(blocker, (struct sockaddr *) &sin, &len), 0);

    ls = test_socket_inet("127.0.0.1", ntohs(sin.sin_port));

    /* -t: a port in use is not an error (the running server has it) */

    dr_test_config = 1;
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    cr_assert_eq(ls->fd, -1);
    cr_assert_not(evfx_log_has("[emerg]"));

    dr_test_config = 0;
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_ERROR);
    cr_assert(evfx_log_has("bind() to 127.0.0.1:"));
    cr_assert(evfx_log_has("(98: Address already in use)"));
    cr_assert(evfx_log_has("try again to bind() after 500ms"));
    cr_assert(evfx_log_has("still could not bind()"));

    close(blocker);
}


Test(socket, reload_takes_over_the_old_sockets)
{
    dr_cycle_t        old;
    dr_listening_t   *ls, *ols;
    in_port_t         port;

    /* the running cycle: one socket, opened */

    port = test_socket_free_port();

    ols = test_socket_inet("127.0.0.1", port);
    ols->deferred_accept = 1;
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);

    old = evfx.cycle;

    /* the new one: the same address (other backlog), and a new one */

    cr_assert_eq(dr_array_init(&evfx.cycle.listening, evfx.cycle.pool, 4,
                               sizeof(dr_listening_t)), DR_OK);

    ls = test_socket_inet("127.0.0.1", port);
    ls->backlog = 100;
    ls->reuseport = 1;
    (void) test_socket_inet("127.0.0.1", 0);

    ls = evfx.cycle.listening.elts;
    ols = old.listening.elts;

    cr_assert_eq(dr_listening_inherit_from(&evfx.cycle, &old), DR_OK);

    cr_assert_eq(ls[0].fd, ols[0].fd);
    cr_assert_eq(ls[0].previous, &ols[0]);
    cr_assert(ols[0].remain);
    cr_assert_not(ls[0].open);
    cr_assert(ls[0].listen);            /* the backlog changed */
    cr_assert(ls[0].delete_deferred);   /* deferred no more */
    cr_assert(ls[0].add_reuseport);

    cr_assert_eq(ls[1].fd, -1);
    cr_assert(ls[1].open);

    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    cr_assert_neq(ls[1].fd, -1);
    cr_assert_eq(ls[0].fd, ols[0].fd);
    cr_assert_not(ls[0].add_reuseport);
    cr_assert(test_socket_opt(ls[0].fd, SOL_SOCKET, SO_REUSEPORT));

    dr_configure_listening_sockets(&evfx.cycle);
    cr_assert_eq(test_socket_opt(ls[0].fd, IPPROTO_TCP, TCP_DEFER_ACCEPT), 0);
    cr_assert_not(ls[0].deferred_accept);

    dr_close_listening_sockets(&evfx.cycle);
}


Test(socket, binary_upgrade_env_round_trip)
{
    int               fd;
    char              env[64];
    dr_str_t          out;
    dr_cycle_t        next;
    dr_listening_t   *ls;
    in_port_t         port;

    ls = test_socket_inet("127.0.0.1", 0);
    ls = test_socket_inet("127.0.0.1", 0);
    ls = evfx.cycle.listening.elts;

    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);

    ls[1].ignore = 1;     /* not handed over */

    cr_assert_eq(dr_listening_env(&evfx.cycle, &out), DR_OK);

    snprintf(env, sizeof(env), "%d;", ls[0].fd);
    cr_assert_str_eq((char *) out.data, env);
    cr_assert_eq(out.len, strlen(env));

    port = evfx_port(&ls[0]);

    /* the new binary's bootstrap cycle */

    dr_memzero(&next, sizeof(dr_cycle_t));
    next.pool = evfx.cycle.pool;
    next.log = &evfx.log;

    cr_assert_eq(setenv(DR_LISTENING_ENV, (char *) out.data, 1), 0);
    cr_assert_eq(dr_set_inherited_sockets(&next), DR_OK);

    cr_assert(dr_inherited);
    cr_assert_eq(next.listening.nelts, 1);

    ls = next.listening.elts;

    cr_assert_eq(ls[0].fd, ((dr_listening_t *) evfx.cycle.listening.elts)->fd);
    cr_assert(ls[0].inherited);
    cr_assert_not(ls[0].ignore);
    cr_assert_eq(ls[0].type, SOCK_STREAM);
    cr_assert_eq(ls[0].sockaddr->sa_family, AF_INET);
    snprintf(env, sizeof(env), "127.0.0.1:%u", (unsigned) port);
    cr_assert_str_eq((char *) ls[0].addr_text.data, env);
    cr_assert(evfx_log_has("using inherited sockets from"));

    /* a bad entry stops the parse; a dead fd is ignored */

    fd = dup(0);
    close(fd);

    dr_memzero(&next, sizeof(dr_cycle_t));
    next.pool = evfx.cycle.pool;
    next.log = &evfx.log;

    snprintf(env, sizeof(env), "%d;x1;%d;", fd, ls[0].fd);
    cr_assert_eq(setenv(DR_LISTENING_ENV, env, 1), 0);
    cr_assert_eq(dr_set_inherited_sockets(&next), DR_OK);

    cr_assert_eq(next.listening.nelts, 1);
    cr_assert(((dr_listening_t *) next.listening.elts)->ignore);
    cr_assert(evfx_log_has("invalid socket number \"x1;"));
    cr_assert(evfx_log_has("getsockname() of the inherited socket"));

    unsetenv(DR_LISTENING_ENV);
}


Test(socket, no_env_no_inherited_sockets)
{
    dr_cycle_t  next;

    dr_memzero(&next, sizeof(dr_cycle_t));
    next.pool = evfx.cycle.pool;
    next.log = &evfx.log;

    cr_assert_eq(dr_set_inherited_sockets(&next), DR_OK);
    cr_assert_not(dr_inherited);
    cr_assert_eq(next.listening.nelts, 0);
}


Test(socket, unix_socket_file_lives_with_the_master)
{
    char                path[] = "/tmp/drover-test-XXXXXX";
    char                sock[64];
    struct stat         st;
    dr_listening_t     *ls;
    struct sockaddr_un  sun;

    cr_assert_not_null(mkdtemp(path));
    snprintf(sock, sizeof(sock), "%s/s.sock", path);

    dr_memzero(&sun, sizeof(sun));
    sun.sun_family = AF_UNIX;
    strcpy(sun.sun_path, sock);

    ls = dr_create_listening(&evfx.cf, (struct sockaddr *) &sun,
                             sizeof(sun));
    cr_assert_not_null(ls);

    /* -t binds to test, then removes the file */

    dr_test_config = 1;
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    cr_assert_neq(stat(sock, &st), 0);
    close(ls->fd);
    ls->fd = -1;

    dr_test_config = 0;
    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);
    cr_assert_eq(stat(sock, &st), 0);
    cr_assert(S_ISSOCK(st.st_mode));
    cr_assert_eq(st.st_mode & 0777, 0666);

    dr_process = DR_PROCESS_MASTER;
    dr_close_listening_sockets(&evfx.cycle);

    cr_assert_neq(stat(sock, &st), 0);
    cr_assert_eq(evfx.cycle.listening.nelts, 0);

    rmdir(path);
}


Test(socket, close_listening_sockets_closes_everything)
{
    int              fd[2];
    dr_listening_t  *ls;

    (void) test_socket_inet("127.0.0.1", 0);
    (void) test_socket_inet("127.0.0.1", 0);

    cr_assert_eq(dr_open_listening_sockets(&evfx.cycle), DR_OK);

    ls = evfx.cycle.listening.elts;
    fd[0] = ls[0].fd;
    fd[1] = ls[1].fd;

    cr_assert(test_socket_is_open(fd[0]) && test_socket_is_open(fd[1]));

    dr_close_listening_sockets(&evfx.cycle);

    cr_assert_not(test_socket_is_open(fd[0]));
    cr_assert_not(test_socket_is_open(fd[1]));
    cr_assert_eq(evfx.cycle.listening.nelts, 0);
}


Test(socket, blocking_helpers)
{
    int  sv[2];

    cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);

    cr_assert_eq(dr_nonblocking(sv[0]), 0);
    cr_assert(fcntl(sv[0], F_GETFL) & O_NONBLOCK);

    cr_assert_eq(dr_blocking(sv[0]), 0);
    cr_assert_not(fcntl(sv[0], F_GETFL) & O_NONBLOCK);

    close(sv[0]);
    close(sv[1]);

    cr_assert_eq(dr_nonblocking(sv[0]), -1);
}


Test(socket, log_handler_names_the_listener)
{
    u_char           buf[128], *p;
    dr_listening_t  *ls;

    ls = test_socket_inet("127.0.0.1", 8080);

    p = dr_listening_log_error(&ls->log, buf, sizeof(buf));
    *p = '\0';

    cr_assert_str_eq((char *) buf,
                     " while accepting new connection on 127.0.0.1:8080");
}
