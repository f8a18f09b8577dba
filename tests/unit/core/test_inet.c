/*
 * dr_inet: literal addresses both ways, URLs as listen/proxy_pass/server
 * write them (with their error messages), CIDR parsing and matching,
 * sockaddr comparison. Name resolution only uses "localhost".
 */

#include <criterion/criterion.h>

#include "dr_core.h"


static dr_pool_t  *pool;
static dr_log_t    test_inet_log;


static void
setup(void)
{
    dr_use_stderr = 0;
    dr_time_init();
    test_inet_log.log_level = DR_LOG_WARN;

    pool = dr_create_pool(DR_DEFAULT_POOL_SIZE, &test_inet_log);
    cr_assert_not_null(pool);
}


static void
teardown(void)
{
    dr_destroy_pool(pool);
}


TestSuite(inet, .init = setup, .fini = teardown);


#define S(s)  (u_char *) (s), sizeof(s) - 1


Test(inet, inet_addr)
{
    cr_assert_eq(dr_inet_addr(S("127.0.0.1")), htonl(0x7f000001));
    cr_assert_eq(dr_inet_addr(S("0.0.0.0")), 0);
    cr_assert_eq(dr_inet_addr(S("10.1.2.3")), htonl(0x0a010203));
    cr_assert_eq(dr_inet_addr(S("010.001.002.003")), htonl(0x0a010203));
    cr_assert_eq(dr_inet_addr(S("255.255.255.254")), htonl(0xfffffffe));

    cr_assert_eq(dr_inet_addr(S("256.0.0.1")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("1.2.3")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("1.2.3.4.5")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("1..2.3")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S(".1.2.3")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("1.2.3.")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("1.2.3.4 ")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("0001.2.3.4")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("a.b.c.d")), INADDR_NONE);
    cr_assert_eq(dr_inet_addr(S("")), INADDR_NONE);
    /* only the given length is read */
    cr_assert_eq(dr_inet_addr((u_char *) "1.2.3.4:80", 7), htonl(0x01020304));
    cr_assert_eq(dr_inet_addr((u_char *) "1.2.3.4", 5), INADDR_NONE);
}


Test(inet, inet6_addr)
{
    u_char  a[16], loop[16] = { [15] = 1 };
    u_char  mapped[16] = { [10] = 0xff, [11] = 0xff, 10, 0, 0, 1 };

    cr_assert_eq(dr_inet6_addr(S("::1"), a), DR_OK);
    cr_assert_eq(dr_memcmp(a, loop, 16), 0);

    cr_assert_eq(dr_inet6_addr(S("::ffff:10.0.0.1"), a), DR_OK);
    cr_assert_eq(dr_memcmp(a, mapped, 16), 0);

    cr_assert_eq(dr_inet6_addr(S("2001:db8::a:b:c"), a), DR_OK);
    cr_assert_eq(a[0], 0x20);
    cr_assert_eq(a[1], 0x01);
    cr_assert_eq(a[15], 0x0c);

    cr_assert_eq(dr_inet6_addr(S("::"), a), DR_OK);
    cr_assert_eq(dr_inet6_addr(S(":::"), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr(S("1::2::3"), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr(S("12345::"), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr(S("g::1"), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr(S("1:2:3:4:5:6:7:8:9"), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr(S("[::1]"), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr(S(""), a), DR_ERROR);
    cr_assert_eq(dr_inet6_addr((u_char *) "::1\0", 4, a), DR_ERROR);
}


static void
test_inet_sin(struct sockaddr_in *sin, const char *addr, in_port_t port)
{
    dr_memzero(sin, sizeof(struct sockaddr_in));
    sin->sin_family = AF_INET;
    sin->sin_port = htons(port);
    cr_assert_eq(inet_pton(AF_INET, addr, &sin->sin_addr), 1);
}


static void
test_inet_sin6(struct sockaddr_in6 *sin6, const char *addr, in_port_t port)
{
    dr_memzero(sin6, sizeof(struct sockaddr_in6));
    sin6->sin6_family = AF_INET6;
    sin6->sin6_port = htons(port);
    cr_assert_eq(inet_pton(AF_INET6, addr, &sin6->sin6_addr), 1);
}


static void
test_inet_ntop_is(struct sockaddr *sa, socklen_t len, dr_uint_t port,
    const char *expect)
{
    u_char  text[DR_SOCKADDR_STRLEN];
    size_t  n;

    n = dr_sock_ntop(sa, len, text, sizeof(text), port);
    cr_assert_eq(n, strlen(expect), "\"%.*s\" vs \"%s\"", (int) n, text,
                 expect);
    cr_assert_eq(dr_memcmp(text, expect, n), 0, "\"%.*s\" vs \"%s\"",
                 (int) n, text, expect);
}


Test(inet, sock_ntop)
{
    u_char               small[8];
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;
    struct sockaddr_un   saun;
    socklen_t            len;

    test_inet_sin(&sin, "127.0.0.1", 8080);
    test_inet_ntop_is((struct sockaddr *) &sin, sizeof(sin), 0, "127.0.0.1");
    test_inet_ntop_is((struct sockaddr *) &sin, sizeof(sin), 1,
                      "127.0.0.1:8080");

    test_inet_sin(&sin, "255.255.255.255", 65535);
    test_inet_ntop_is((struct sockaddr *) &sin, sizeof(sin), 1,
                      "255.255.255.255:65535");

    test_inet_sin6(&sin6, "::1", 443);
    test_inet_ntop_is((struct sockaddr *) &sin6, sizeof(sin6), 0, "::1");
    test_inet_ntop_is((struct sockaddr *) &sin6, sizeof(sin6), 1,
                      "[::1]:443");

    test_inet_sin6(&sin6, "2001:db8:0:0:1:0:0:1", 1);
    test_inet_ntop_is((struct sockaddr *) &sin6, sizeof(sin6), 1,
                      "[2001:db8::1:0:0:1]:1");

    test_inet_sin6(&sin6, "::ffff:10.0.0.1", 0);
    test_inet_ntop_is((struct sockaddr *) &sin6, sizeof(sin6), 0,
                      "::ffff:10.0.0.1");

    dr_memzero(&saun, sizeof(saun));
    saun.sun_family = AF_UNIX;
    strcpy(saun.sun_path, "/tmp/drover.sock");
    test_inet_ntop_is((struct sockaddr *) &saun, sizeof(saun), 1,
                      "unix:/tmp/drover.sock");

    /* an unnamed socket (what accept() gives for a client) */
    test_inet_ntop_is((struct sockaddr *) &saun, sizeof(sa_family_t), 1,
                      "unix:");

    /* abstract */
    dr_memzero(&saun, sizeof(saun));
    saun.sun_family = AF_UNIX;
    dr_memcpy(saun.sun_path, "\0abs", 4);
    len = offsetof(struct sockaddr_un, sun_path) + 4;
    test_inet_ntop_is((struct sockaddr *) &saun, len, 1, "unix:@abs");

    /* truncation to the buffer, never beyond */
    test_inet_sin(&sin, "127.0.0.1", 8080);
    small[7] = 'X';
    cr_assert_eq(dr_sock_ntop((struct sockaddr *) &sin, sizeof(sin), small, 7,
                              1), 7);
    cr_assert_eq(dr_memcmp(small, "127.0.0", 7), 0);
    cr_assert_eq(small[7], 'X');

    sin.sin_family = AF_APPLETALK;
    cr_assert_eq(dr_sock_ntop((struct sockaddr *) &sin, sizeof(sin), small, 7,
                              1), 0);
}


Test(inet, inet_ntop)
{
    u_char          text[DR_INET6_ADDRSTRLEN];
    struct in_addr  in;
    u_char          in6[16] = { 0xfe, 0x80, [15] = 5 };

    in.s_addr = htonl(0xc0a80101);
    cr_assert_eq(dr_inet_ntop(AF_INET, &in, text, sizeof(text)), 11);
    cr_assert_eq(dr_memcmp(text, "192.168.1.1", 11), 0);

    cr_assert_eq(dr_inet_ntop(AF_INET6, in6, text, sizeof(text)), 7);
    cr_assert_eq(dr_memcmp(text, "fe80::5", 7), 0);

    cr_assert_eq(dr_inet_ntop(AF_UNIX, in6, text, sizeof(text)), 0);
}


static dr_int_t
test_inet_url(dr_url_t *u, const char *text, in_port_t default_port,
    dr_uint_t listen)
{
    dr_memzero(u, sizeof(dr_url_t));
    u->url.data = (u_char *) text;
    u->url.len = strlen(text);
    u->default_port = default_port;
    u->listen = listen;

    return dr_parse_url(pool, u);
}


static void
test_inet_str_is(dr_str_t *s, const char *expect)
{
    cr_assert_eq(s->len, strlen(expect), "\"%.*s\" vs \"%s\"", (int) s->len,
                 s->data, expect);
    cr_assert_eq(dr_memcmp(s->data, expect, s->len), 0);
}


Test(inet, url_host_port)
{
    dr_url_t             u;
    struct sockaddr_in  *sin;

    cr_assert_eq(test_inet_url(&u, "127.0.0.1:8080", 80, 0), DR_OK);
    cr_assert_eq(u.family, AF_INET);
    cr_assert_eq(u.port, 8080);
    cr_assert_eq(u.no_port, 0);
    cr_assert_eq(u.wildcard, 0);
    test_inet_str_is(&u.host, "127.0.0.1");
    test_inet_str_is(&u.port_text, "8080");
    cr_assert_eq(u.naddrs, 1);
    test_inet_str_is(&u.addrs[0].name, "127.0.0.1:8080");
    cr_assert_eq(u.addrs[0].socklen, sizeof(struct sockaddr_in));
    sin = (struct sockaddr_in *) u.addrs[0].sockaddr;
    cr_assert_eq(sin->sin_port, htons(8080));
    cr_assert_eq(sin->sin_addr.s_addr, htonl(0x7f000001));
    cr_assert_eq(u.sockaddr.sockaddr_in.sin_port, htons(8080));

    /* no port: the default */
    cr_assert_eq(test_inet_url(&u, "127.0.0.2", 80, 0), DR_OK);
    cr_assert_eq(u.port, 80);
    cr_assert_eq(u.no_port, 1);
    test_inet_str_is(&u.addrs[0].name, "127.0.0.2:80");

    cr_assert_eq(test_inet_url(&u, "0.0.0.0:80", 0, 1), DR_OK);
    cr_assert_eq(u.wildcard, 1);
}


Test(inet, url_listen_forms)
{
    dr_url_t  u;

    cr_assert_eq(test_inet_url(&u, "8080", 80, 1), DR_OK);
    cr_assert_eq(u.port, 8080);
    cr_assert_eq(u.wildcard, 1);
    cr_assert_eq(u.naddrs, 1);
    test_inet_str_is(&u.addrs[0].name, "0.0.0.0:8080");

    cr_assert_eq(test_inet_url(&u, "*:9000", 80, 1), DR_OK);
    cr_assert_eq(u.port, 9000);
    cr_assert_eq(u.wildcard, 1);
    test_inet_str_is(&u.addrs[0].name, "0.0.0.0:9000");

    cr_assert_eq(test_inet_url(&u, "[::]:8443", 80, 1), DR_OK);
    cr_assert_eq(u.family, AF_INET6);
    cr_assert_eq(u.wildcard, 1);
    test_inet_str_is(&u.addrs[0].name, "[::]:8443");

    /* "*" is not a host outside of listen */
    cr_assert_eq(test_inet_url(&u, "*:9000", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "host not found");

    cr_assert_eq(test_inet_url(&u, "70000", 80, 1), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
    cr_assert_eq(test_inet_url(&u, "0", 80, 1), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
}


Test(inet, url_ipv6)
{
    dr_url_t              u;
    struct sockaddr_in6  *sin6;

    cr_assert_eq(test_inet_url(&u, "[::1]:2181", 0, 0), DR_OK);
    cr_assert_eq(u.family, AF_INET6);
    cr_assert_eq(u.port, 2181);
    test_inet_str_is(&u.host, "[::1]");
    test_inet_str_is(&u.addrs[0].name, "[::1]:2181");
    sin6 = (struct sockaddr_in6 *) u.addrs[0].sockaddr;
    cr_assert_eq(u.addrs[0].socklen, sizeof(struct sockaddr_in6));
    cr_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
    cr_assert_eq(sin6->sin6_port, htons(2181));

    cr_assert_eq(test_inet_url(&u, "[::1]", 80, 0), DR_OK);
    cr_assert_eq(u.no_port, 1);
    cr_assert_eq(u.port, 80);

    cr_assert_eq(test_inet_url(&u, "[::1", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid host");
    cr_assert_eq(test_inet_url(&u, "[::1]x80", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid host");
    cr_assert_eq(test_inet_url(&u, "[]:80", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "no host");
    cr_assert_eq(test_inet_url(&u, "[::g]:80", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid IPv6 address");
    cr_assert_eq(test_inet_url(&u, "[::1]:", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
}


Test(inet, url_unix)
{
    dr_url_t             u;
    struct sockaddr_un  *saun;
    char                 longpath[200];

    cr_assert_eq(test_inet_url(&u, "unix:/run/drover.sock", 0, 0), DR_OK);
    cr_assert_eq(u.family, AF_UNIX);
    test_inet_str_is(&u.host, "/run/drover.sock");
    cr_assert_eq(u.naddrs, 1);
    test_inet_str_is(&u.addrs[0].name, "unix:/run/drover.sock");
    saun = (struct sockaddr_un *) u.addrs[0].sockaddr;
    cr_assert_str_eq(saun->sun_path, "/run/drover.sock");
    cr_assert_str_eq(u.sockaddr.sockaddr_un.sun_path, "/run/drover.sock");

    cr_assert_eq(test_inet_url(&u, "UNIX:/x", 0, 0), DR_OK);

    cr_assert_eq(test_inet_url(&u, "unix:", 0, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "no path in the unix domain socket");

    memset(longpath, 'a', sizeof(longpath));
    memcpy(longpath, "unix:/", 6);
    longpath[sizeof(longpath) - 1] = '\0';
    cr_assert_eq(test_inet_url(&u, longpath, 0, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "too long path in the unix domain socket");

    /* with uri_part, ":" ends the path (proxy_pass http://unix:/p:/uri) */
    dr_memzero(&u, sizeof(dr_url_t));
    u.url.data = (u_char *) "unix:/run/app.sock:/api";
    u.url.len = strlen((char *) u.url.data);
    u.uri_part = 1;
    cr_assert_eq(dr_parse_url(pool, &u), DR_OK);
    test_inet_str_is(&u.host, "/run/app.sock");
    test_inet_str_is(&u.uri, "/api");
}


Test(inet, url_uri_part)
{
    dr_url_t  u;

    dr_memzero(&u, sizeof(dr_url_t));
    u.url.data = (u_char *) "127.0.0.1:8080/path?x=1";
    u.url.len = strlen((char *) u.url.data);
    u.uri_part = 1;
    cr_assert_eq(dr_parse_url(pool, &u), DR_OK);
    cr_assert_eq(u.port, 8080);
    test_inet_str_is(&u.uri, "/path?x=1");

    /* a colon inside the uri is not a port */
    dr_memzero(&u, sizeof(dr_url_t));
    u.url.data = (u_char *) "127.0.0.1/a:b";
    u.url.len = strlen((char *) u.url.data);
    u.uri_part = 1;
    u.default_port = 80;
    cr_assert_eq(dr_parse_url(pool, &u), DR_OK);
    cr_assert_eq(u.port, 80);
    test_inet_str_is(&u.uri, "/a:b");

    cr_assert_eq(test_inet_url(&u, "127.0.0.1:8080/path", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid host");
    cr_assert_eq(test_inet_url(&u, "127.0.0.1:80/", 80, 1), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid host");
}


Test(inet, url_errors)
{
    dr_url_t  u;

    cr_assert_eq(test_inet_url(&u, "127.0.0.1:", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
    cr_assert_eq(test_inet_url(&u, "127.0.0.1:65536", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
    cr_assert_eq(test_inet_url(&u, "127.0.0.1:8o", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
    cr_assert_eq(test_inet_url(&u, ":80", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "no host");
    cr_assert_eq(test_inet_url(&u, "", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "no host");
    cr_assert_eq(test_inet_url(&u, "::1", 80, 0), DR_ERROR);
    cr_assert_str_eq(u.err, "invalid port");
    cr_assert_eq(test_inet_url(&u, "no-such-host.invalid:80", 80, 0),
                 DR_ERROR);
    cr_assert_str_eq(u.err, "host not found");
}


Test(inet, url_names)
{
    dr_url_t   u;
    dr_uint_t  i;

    dr_memzero(&u, sizeof(dr_url_t));
    u.url.data = (u_char *) "backend.internal:9000";
    u.url.len = strlen((char *) u.url.data);
    u.no_resolve = 1;
    cr_assert_eq(dr_parse_url(pool, &u), DR_OK);
    test_inet_str_is(&u.host, "backend.internal");
    cr_assert_eq(u.port, 9000);
    cr_assert_eq(u.naddrs, 0);

    cr_assert_eq(test_inet_url(&u, "localhost:7000", 80, 0), DR_OK);
    cr_assert_geq(u.naddrs, 1);

    for (i = 0; i < u.naddrs; i++) {
        cr_assert_eq(dr_inet_get_port(u.addrs[i].sockaddr), 7000);
    }

    /* IPv4 first */
    if (u.naddrs > 1) {
        cr_assert_eq(u.addrs[0].sockaddr->sa_family, AF_INET);
    }

    cr_assert_eq(u.family, u.addrs[0].sockaddr->sa_family);
    cr_assert_eq(dr_cmp_sockaddr(&u.sockaddr.sockaddr, u.socklen,
                                 u.addrs[0].sockaddr, u.addrs[0].socklen, 1),
                 DR_OK);
}


static dr_int_t
test_inet_cidr(dr_cidr_t *cidr, const char *text)
{
    dr_str_t  s;

    s.data = (u_char *) text;
    s.len = strlen(text);

    return dr_ptocidr(&s, cidr);
}


Test(inet, ptocidr)
{
    u_char     mask[16];
    dr_cidr_t  c;

    cr_assert_eq(test_inet_cidr(&c, "10.0.0.0/8"), DR_OK);
    cr_assert_eq(c.family, AF_INET);
    cr_assert_eq(c.u.in.addr, htonl(0x0a000000));
    cr_assert_eq(c.u.in.mask, htonl(0xff000000));

    cr_assert_eq(test_inet_cidr(&c, "192.168.1.7"), DR_OK);
    cr_assert_eq(c.u.in.mask, 0xffffffff);

    cr_assert_eq(test_inet_cidr(&c, "0.0.0.0/0"), DR_OK);
    cr_assert_eq(c.u.in.mask, 0);

    cr_assert_eq(test_inet_cidr(&c, "255.255.255.255/32"), DR_OK);
    cr_assert_eq(c.u.in.addr, 0xffffffff);

    cr_assert_eq(test_inet_cidr(&c, "10.1.2.3/8"), DR_DONE);
    cr_assert_eq(c.u.in.addr, htonl(0x0a000000));

    cr_assert_eq(test_inet_cidr(&c, "::1/128"), DR_OK);
    cr_assert_eq(c.family, AF_INET6);
    dr_memset(mask, 0xff, 16);
    cr_assert_eq(dr_memcmp(c.u.in6.mask.s6_addr, mask, 16), 0);

    cr_assert_eq(test_inet_cidr(&c, "2001:db8::/33"), DR_OK);
    cr_assert_eq(c.u.in6.mask.s6_addr[3], 0xff);
    cr_assert_eq(c.u.in6.mask.s6_addr[4], 0x80);
    cr_assert_eq(c.u.in6.mask.s6_addr[5], 0);

    cr_assert_eq(test_inet_cidr(&c, "2001:db8::1/64"), DR_DONE);
    cr_assert_eq(c.u.in6.addr.s6_addr[15], 0);

    cr_assert_eq(test_inet_cidr(&c, "all"), DR_OK);
    cr_assert_eq(c.family, AF_UNSPEC);

    cr_assert_eq(test_inet_cidr(&c, "10.0.0.0/33"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "::/129"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "10.0.0.0/"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "10.0.0.0/8x"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "10.0.0.0/-1"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "10.0.0.0/0008"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "example.com"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, "All"), DR_ERROR);
    cr_assert_eq(test_inet_cidr(&c, ""), DR_ERROR);
}


static dr_array_t *
test_inet_cidrs(const char **texts)
{
    dr_array_t  *a;
    dr_cidr_t   *c;

    a = dr_array_create(pool, 4, sizeof(dr_cidr_t));
    cr_assert_not_null(a);

    for ( /* void */ ; *texts; texts++) {
        c = dr_array_push(a);
        cr_assert_not_null(c);
        cr_assert_neq(test_inet_cidr(c, *texts), DR_ERROR, "%s", *texts);
    }

    return a;
}


Test(inet, cidr_match)
{
    dr_array_t           *a;
    struct sockaddr_in    sin;
    struct sockaddr_in6   sin6;
    struct sockaddr_un    saun;
    const char           *list[] = { "10.0.0.0/8", "192.168.1.1",
                                     "2001:db8::/32", NULL };
    const char           *all[] = { "::1", "all", NULL };
    const char           *none[] = { NULL };

    a = test_inet_cidrs(list);

    test_inet_sin(&sin, "10.200.3.4", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin, a), DR_OK);
    test_inet_sin(&sin, "192.168.1.1", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin, a), DR_OK);
    test_inet_sin(&sin, "192.168.1.2", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin, a), DR_DECLINED);
    test_inet_sin(&sin, "11.0.0.1", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin, a), DR_DECLINED);

    test_inet_sin6(&sin6, "2001:db8:1::5", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin6, a), DR_OK);
    test_inet_sin6(&sin6, "2001:db9::5", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin6, a), DR_DECLINED);

    /* an IPv4 client on a dual-stack socket matches IPv4 blocks */
    test_inet_sin6(&sin6, "::ffff:10.9.8.7", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin6, a), DR_OK);
    test_inet_sin6(&sin6, "::ffff:11.9.8.7", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin6, a), DR_DECLINED);

    dr_memzero(&saun, sizeof(saun));
    saun.sun_family = AF_UNIX;
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &saun, a), DR_DECLINED);

    a = test_inet_cidrs(all);
    test_inet_sin(&sin, "8.8.8.8", 80);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin, a), DR_OK);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &saun, a), DR_OK);

    a = test_inet_cidrs(none);
    cr_assert_eq(dr_cidr_match((struct sockaddr *) &sin, a), DR_DECLINED);
}


Test(inet, cmp_sockaddr)
{
    struct sockaddr_in   a, b;
    struct sockaddr_in6  a6, b6;
    struct sockaddr_un   u1, u2;

    test_inet_sin(&a, "127.0.0.1", 80);
    test_inet_sin(&b, "127.0.0.1", 81);

    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                 (struct sockaddr *) &b, sizeof(b), 0), DR_OK);
    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                 (struct sockaddr *) &b, sizeof(b), 1),
                 DR_DECLINED);

    test_inet_sin(&b, "127.0.0.2", 80);
    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                 (struct sockaddr *) &b, sizeof(b), 0),
                 DR_DECLINED);

    test_inet_sin6(&a6, "::1", 80);
    test_inet_sin6(&b6, "::1", 80);
    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &a6, sizeof(a6),
                                 (struct sockaddr *) &b6, sizeof(b6), 1),
                 DR_OK);
    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &a, sizeof(a),
                                 (struct sockaddr *) &a6, sizeof(a6), 0),
                 DR_DECLINED);

    dr_memzero(&u1, sizeof(u1));
    dr_memzero(&u2, sizeof(u2));
    u1.sun_family = u2.sun_family = AF_UNIX;
    strcpy(u1.sun_path, "/tmp/s");
    strcpy(u2.sun_path, "/tmp/s");

    /* a full-size sockaddr_un and one cut after the path are equal */
    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &u1, sizeof(u1),
                                 (struct sockaddr *) &u2,
                                 offsetof(struct sockaddr_un, sun_path) + 7,
                                 0), DR_OK);
    strcpy(u2.sun_path, "/tmp/t");
    cr_assert_eq(dr_cmp_sockaddr((struct sockaddr *) &u1, sizeof(u1),
                                 (struct sockaddr *) &u2, sizeof(u2), 0),
                 DR_DECLINED);
}


Test(inet, ports_and_wildcards)
{
    struct sockaddr_in   sin;
    struct sockaddr_in6  sin6;
    struct sockaddr_un   saun;

    test_inet_sin(&sin, "0.0.0.0", 1);
    cr_assert_eq(dr_inet_get_port((struct sockaddr *) &sin), 1);
    dr_inet_set_port((struct sockaddr *) &sin, 65535);
    cr_assert_eq(sin.sin_port, htons(65535));
    cr_assert_eq(dr_inet_wildcard((struct sockaddr *) &sin), 1);

    test_inet_sin6(&sin6, "::", 2);
    cr_assert_eq(dr_inet_get_port((struct sockaddr *) &sin6), 2);
    dr_inet_set_port((struct sockaddr *) &sin6, 3);
    cr_assert_eq(sin6.sin6_port, htons(3));
    cr_assert_eq(dr_inet_wildcard((struct sockaddr *) &sin6), 1);

    test_inet_sin6(&sin6, "::1", 2);
    cr_assert_eq(dr_inet_wildcard((struct sockaddr *) &sin6), 0);

    dr_memzero(&saun, sizeof(saun));
    saun.sun_family = AF_UNIX;
    cr_assert_eq(dr_inet_get_port((struct sockaddr *) &saun), 0);
    dr_inet_set_port((struct sockaddr *) &saun, 80);
    cr_assert_eq(dr_inet_wildcard((struct sockaddr *) &saun), 0);
}


Test(inet, parse_addr_and_addr_port)
{
    dr_addr_t            addr;
    struct sockaddr_in6 *sin6;

    cr_assert_eq(dr_parse_addr(pool, &addr, S("10.0.0.1")), DR_OK);
    cr_assert_eq(addr.socklen, sizeof(struct sockaddr_in));
    cr_assert_eq(addr.sockaddr->sa_family, AF_INET);
    cr_assert_eq(dr_inet_get_port(addr.sockaddr), 0);

    cr_assert_eq(dr_parse_addr(pool, &addr, S("fe80::1")), DR_OK);
    cr_assert_eq(addr.socklen, sizeof(struct sockaddr_in6));

    cr_assert_eq(dr_parse_addr(pool, &addr, S("example.com")), DR_DECLINED);
    cr_assert_eq(dr_parse_addr(pool, &addr, S("10.0.0.1:80")), DR_DECLINED);

    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("10.0.0.1:80")), DR_OK);
    cr_assert_eq(dr_inet_get_port(addr.sockaddr), 80);
    test_inet_str_is(&addr.name, "10.0.0.1:80");

    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("[::1]:2181")), DR_OK);
    cr_assert_eq(addr.sockaddr->sa_family, AF_INET6);
    sin6 = (struct sockaddr_in6 *) addr.sockaddr;
    cr_assert(IN6_IS_ADDR_LOOPBACK(&sin6->sin6_addr));
    cr_assert_eq(dr_inet_get_port(addr.sockaddr), 2181);

    /* a bare address is accepted, port 0 */
    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("10.0.0.1")), DR_OK);
    cr_assert_eq(dr_inet_get_port(addr.sockaddr), 0);

    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("10.0.0.1:0")),
                 DR_DECLINED);
    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("10.0.0.1:x")),
                 DR_DECLINED);
    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("[::1]")), DR_DECLINED);
    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("[::1]80")), DR_DECLINED);
    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("[10.0.0.1]:80")),
                 DR_DECLINED);
    cr_assert_eq(dr_parse_addr_port(pool, &addr, S("host:80")), DR_DECLINED);
}
