/*
 * idleconns: open N keep-alive HTTP connections to a server, send one request
 * on each, read its whole response, then hold every connection open, idle,
 * until told to go. The benchmark (tests/bench/run, scenario f) measures the
 * server's resident memory before and after, so what it learns is the
 * server's cost of an idle keep-alive connection that has served a request.
 *
 * Connections come from several loopback source addresses (127.0.0.2, ...),
 * bound with IP_BIND_ADDRESS_NO_PORT, so the ephemeral port range is never
 * the limit. They are opened a batch at a time (non-blocking connects
 * driven by poll), so 10,000 take about a second.
 *
 * Protocol on stdout/stdin (line based, for the driver):
 *     stdout "ready opened=N failed=M"   every connection has its response
 *     stdin  "check"                      count connections still open
 *     stdout "open=N closed=M"
 *     stdin  EOF or "quit"                close everything and exit 0
 *
 * usage: idleconns -p PORT [-n N] [-a 127.0.0.1] [-s NSRC] [-u /uri]
 *                  [-b BATCH] [-t TIMEOUT_S]
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef IP_BIND_ADDRESS_NO_PORT
#define IP_BIND_ADDRESS_NO_PORT  24
#endif

#define IDLE_RESP_MAX  65536

enum {
    IDLE_CONNECTING = 0,
    IDLE_SENDING,
    IDLE_READING,
    IDLE_DONE,
    IDLE_FAILED
};

typedef struct {
    int     fd;
    int     state;
    size_t  sent;
    size_t  got;
    char   *resp;
} idle_conn_t;

static char    *idle_req;
static size_t   idle_req_len;


static double
idle_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* 1 when resp[0..len) holds a complete response (headers and, with a
 * Content-Length, the body), 0 when more is needed, -1 when it is broken */

static int
idle_response_complete(const char *resp, size_t len)
{
    const char  *end, *p;
    long         clen;
    size_t       hlen;

    end = memmem(resp, len, "\r\n\r\n", 4);
    if (end == NULL) {
        return len >= IDLE_RESP_MAX - 1 ? -1 : 0;
    }

    hlen = (size_t) (end - resp) + 4;

    if (len < 12 || memcmp(resp, "HTTP/1.", 7) != 0) {
        return -1;
    }

    clen = 0;

    for (p = resp; p < end; p++) {
        if ((p == resp || p[-1] == '\n')
            && strncasecmp(p, "content-length:", 15) == 0)
        {
            clen = strtol(p + 15, NULL, 10);
            break;
        }
    }

    if (clen < 0) {
        return -1;
    }

    return len >= hlen + (size_t) clen ? 1 : 0;
}


/* one step of connection c after poll said revents; returns its new state */

static int
idle_step(idle_conn_t *c, short revents)
{
    int      err;
    ssize_t  n;
    socklen_t  elen;

    if (c->state == IDLE_CONNECTING) {
        if (!(revents & (POLLOUT | POLLERR | POLLHUP))) {
            return c->state;
        }

        err = 0;
        elen = sizeof(err);

        if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen) == -1
            || err != 0)
        {
            return IDLE_FAILED;
        }

        c->state = IDLE_SENDING;
    }

    if (c->state == IDLE_SENDING) {
        n = send(c->fd, idle_req + c->sent, idle_req_len - c->sent,
                 MSG_NOSIGNAL);
        if (n == -1) {
            return (errno == EAGAIN || errno == EINTR) ? c->state
                                                       : IDLE_FAILED;
        }

        c->sent += (size_t) n;
        if (c->sent < idle_req_len) {
            return c->state;
        }

        c->state = IDLE_READING;
        return c->state;
    }

    if (c->state == IDLE_READING && (revents & (POLLIN | POLLERR | POLLHUP))) {
        n = recv(c->fd, c->resp + c->got, IDLE_RESP_MAX - 1 - c->got, 0);
        if (n == 0) {
            return IDLE_FAILED;
        }

        if (n == -1) {
            return (errno == EAGAIN || errno == EINTR) ? c->state
                                                       : IDLE_FAILED;
        }

        c->got += (size_t) n;

        switch (idle_response_complete(c->resp, c->got)) {
        case 1:
            free(c->resp);
            c->resp = NULL;
            return IDLE_DONE;
        case -1:
            return IDLE_FAILED;
        default:
            return c->state;
        }
    }

    return c->state;
}


static int
idle_start(idle_conn_t *c, struct sockaddr_in *dst, struct sockaddr_in *src)
{
    int  one;

    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd == -1) {
        perror("idleconns: socket");
        return -1;
    }

    one = 1;
    (void) setsockopt(c->fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one,
                      sizeof(one));

    if (bind(c->fd, (struct sockaddr *) src, sizeof(*src)) == -1) {
        perror("idleconns: bind");
        return -1;
    }

    c->resp = malloc(IDLE_RESP_MAX);
    if (c->resp == NULL) {
        return -1;
    }

    c->sent = 0;
    c->got = 0;

    if (connect(c->fd, (struct sockaddr *) dst, sizeof(*dst)) == -1
        && errno != EINPROGRESS)
    {
        c->state = IDLE_FAILED;
        return 0;
    }

    c->state = IDLE_CONNECTING;
    return 0;
}


int
main(int argc, char **argv)
{
    int                 opt, n, nsrc, batch, port, i, lo, pending;
    int                 opened, failed, open_now, k;
    double              timeout, deadline;
    char               *addr, *uri, line[64];
    idle_conn_t        *conns;
    struct pollfd      *pfd;
    struct rlimit       rl;
    struct sockaddr_in  dst, src;

    n = 10000;
    nsrc = 4;
    batch = 256;
    port = 0;
    timeout = 30;
    addr = "127.0.0.1";
    uri = "/";

    while ((opt = getopt(argc, argv, "p:n:a:s:u:b:t:")) != -1) {
        switch (opt) {
        case 'p': port = atoi(optarg); break;
        case 'n': n = atoi(optarg); break;
        case 'a': addr = optarg; break;
        case 's': nsrc = atoi(optarg); break;
        case 'u': uri = optarg; break;
        case 'b': batch = atoi(optarg); break;
        case 't': timeout = atof(optarg); break;
        default:
            fprintf(stderr, "usage: idleconns -p PORT [-n N] [-a ADDR] "
                    "[-s NSRC] [-u URI] [-b BATCH] [-t TIMEOUT]\n");
            return 2;
        }
    }

    if (port <= 0 || n <= 0 || nsrc <= 0 || nsrc > 250 || batch <= 0) {
        fprintf(stderr, "idleconns: bad arguments\n");
        return 2;
    }

    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t) n + 64) {
        rl.rlim_cur = (rlim_t) n + 64;
        if (rl.rlim_max < rl.rlim_cur) {
            rl.rlim_max = rl.rlim_cur;
        }
        if (setrlimit(RLIMIT_NOFILE, &rl) == -1) {
            perror("idleconns: setrlimit(RLIMIT_NOFILE)");
            return 1;
        }
    }

    signal(SIGPIPE, SIG_IGN);

    if (asprintf(&idle_req, "GET %s HTTP/1.1\r\nHost: bench\r\n"
                 "User-Agent: idleconns\r\n\r\n", uri) == -1)
    {
        return 1;
    }

    idle_req_len = strlen(idle_req);

    memset(&dst, 0, sizeof(dst));
    dst.sin_family = AF_INET;
    dst.sin_port = htons((unsigned short) port);

    if (inet_pton(AF_INET, addr, &dst.sin_addr) != 1) {
        fprintf(stderr, "idleconns: bad address %s\n", addr);
        return 2;
    }

    conns = calloc((size_t) n, sizeof(idle_conn_t));
    pfd = calloc((size_t) n, sizeof(struct pollfd));
    if (conns == NULL || pfd == NULL) {
        return 1;
    }

    memset(&src, 0, sizeof(src));
    src.sin_family = AF_INET;

    deadline = idle_now() + timeout;
    opened = 0;
    failed = 0;

    /* batches of connections: start them, drive them to done or failed */

    for (lo = 0; lo < n; lo += batch) {
        int  hi = lo + batch < n ? lo + batch : n;

        for (i = lo; i < hi; i++) {
            /* 127.0.0.2, 127.0.0.3, ...: spread over nsrc addresses */
            src.sin_addr.s_addr = htonl(0x7f000002u + (unsigned) (i % nsrc));
            if (idle_start(&conns[i], &dst, &src) != 0) {
                return 1;
            }
        }

        for ( ;; ) {
            pending = 0;

            for (i = lo; i < hi; i++) {
                if (conns[i].state == IDLE_DONE
                    || conns[i].state == IDLE_FAILED)
                {
                    continue;
                }

                pfd[pending].fd = conns[i].fd;
                pfd[pending].events = conns[i].state == IDLE_READING
                                      ? POLLIN : POLLOUT;
                pfd[pending].revents = 0;
                pending++;
            }

            if (pending == 0) {
                break;
            }

            if (idle_now() > deadline) {
                fprintf(stderr, "idleconns: timed out with %d pending\n",
                        pending);
                for (i = lo; i < hi; i++) {
                    if (conns[i].state != IDLE_DONE) {
                        conns[i].state = IDLE_FAILED;
                    }
                }
                break;
            }

            if (poll(pfd, (nfds_t) pending, 1000) == -1 && errno != EINTR) {
                perror("idleconns: poll");
                return 1;
            }

            k = 0;
            for (i = lo; i < hi; i++) {
                if (conns[i].state == IDLE_DONE
                    || conns[i].state == IDLE_FAILED)
                {
                    continue;
                }

                if (pfd[k].revents) {
                    conns[i].state = idle_step(&conns[i], pfd[k].revents);
                }
                k++;
            }
        }

        for (i = lo; i < hi; i++) {
            if (conns[i].state == IDLE_DONE) {
                opened++;
            } else {
                failed++;
                free(conns[i].resp);
                conns[i].resp = NULL;
                close(conns[i].fd);
                conns[i].fd = -1;
            }
        }
    }

    printf("ready opened=%d failed=%d\n", opened, failed);
    fflush(stdout);

    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (strncmp(line, "quit", 4) == 0) {
            break;
        }

        if (strncmp(line, "check", 5) != 0) {
            continue;
        }

        /* an open idle connection has nothing to read; a closed one reads
         * EOF (or an error) at once */
        open_now = 0;
        k = 0;
        for (i = 0; i < n; i++) {
            char  b;

            if (conns[i].fd == -1) {
                continue;
            }

            if (recv(conns[i].fd, &b, 1, MSG_PEEK | MSG_DONTWAIT) == -1
                && (errno == EAGAIN || errno == EWOULDBLOCK))
            {
                open_now++;
            } else {
                k++;
            }
        }

        printf("open=%d closed=%d\n", open_now, k);
        fflush(stdout);
    }

    for (i = 0; i < n; i++) {
        if (conns[i].fd != -1) {
            close(conns[i].fd);
        }
    }

    free(conns);
    free(pfd);
    free(idle_req);

    return 0;
}
