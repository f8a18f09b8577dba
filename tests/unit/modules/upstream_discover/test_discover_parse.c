/*
 * Discovery's parsers (modules/upstream_discover/dr_upstream_discover_
 * parse.c): registrations as host:port, JSON and YAML documents (Curator's
 * ServiceInstance as Curator 5 writes it, Spring Cloud Zookeeper's
 * payload, drover's own fields), Dubbo provider URLs as Dubbo 2.7/3
 * names its znodes, the version/group/protocol/tags filters, override
 * documents and the keeper's disconnected-session list. Every input is
 * copied to the end of a page followed by a PROT_NONE one, so a read past
 * it faults.
 */

#include <sys/mman.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "dr_upstream_discover.h"


static u_char  *guard_page;
static size_t   page_size;


/* <s> at the very end of a readable page */
static u_char *
guarded(const char *s, size_t len)
{
    u_char  *p;

    if (guard_page == NULL) {
        page_size = (size_t) sysconf(_SC_PAGESIZE);
        guard_page = mmap(NULL, 4 * page_size, PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        cr_assert_neq(guard_page, MAP_FAILED);
        cr_assert_eq(mprotect(guard_page + 3 * page_size, page_size,
                              PROT_NONE), 0);
    }

    cr_assert_leq(len, 3 * page_size);

    p = guard_page + 3 * page_size - len;
    memcpy(p, s, len);

    return p;
}


static dr_int_t
parse(const char *s, dr_upstream_discover_instance_t *inst, const char **err)
{
    *err = NULL;
    return dr_upstream_discover_parse_data(guarded(s, strlen(s)), strlen(s),
                                           inst, err);
}


static dr_int_t
dubbo(const char *s, dr_upstream_discover_instance_t *inst, const char **err)
{
    *err = NULL;
    return dr_upstream_discover_parse_dubbo(guarded(s, strlen(s)), strlen(s),
                                            inst, err);
}


#define assert_text(buf, len, lit)                                            \
    do {                                                                      \
        cr_assert_eq(len, sizeof(lit) - 1, "%.*s != %s", (int) (len), buf,    \
                     lit);                                                    \
        cr_assert_eq(memcmp(buf, lit, len), 0);                               \
    } while (0)


/* ------------------------------------------------------------ host:port */


Test(discover_parse, plain_host_port)
{
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(parse("127.0.0.1:9001", &inst, &err), DR_OK);
    assert_text(inst.host, inst.host_len, "127.0.0.1");
    cr_assert_eq(inst.port, 9001);
    cr_assert_eq(inst.weight, -1);
    cr_assert_eq(inst.backup, -1);
    cr_assert_eq(inst.max_conns, -1);
    cr_assert_eq(inst.enabled, 1);

    cr_assert_eq(dr_upstream_discover_parse_addr(&inst), DR_OK);
    cr_assert_eq(inst.sockaddr.sockaddr.sa_family, AF_INET);
    cr_assert_eq(ntohs(inst.sockaddr.sockaddr_in.sin_port), 9001);
    cr_assert_eq(inst.sockaddr.sockaddr_in.sin_addr.s_addr,
                 htonl(0x7f000001));

    /* zkCli.sh and echo leave a newline; blanks around are fine */

    cr_assert_eq(parse("  10.1.2.3:80\r\n", &inst, &err), DR_OK);
    assert_text(inst.host, inst.host_len, "10.1.2.3");
    cr_assert_eq(inst.port, 80);
}


Test(discover_parse, plain_ipv6_and_names)
{
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(parse("[::1]:8080", &inst, &err), DR_OK);
    assert_text(inst.host, inst.host_len, "::1");
    cr_assert_eq(dr_upstream_discover_parse_addr(&inst), DR_OK);
    cr_assert_eq(inst.sockaddr.sockaddr.sa_family, AF_INET6);
    cr_assert_eq(ntohs(inst.sockaddr.sockaddr_in6.sin6_port), 8080);

    cr_assert_eq(parse("app-1.internal:80", &inst, &err), DR_OK);
    cr_assert_eq(dr_upstream_discover_parse_addr(&inst), DR_DECLINED);

    cr_assert_eq(parse("300.1.1.1:80", &inst, &err), DR_OK);
    cr_assert_eq(dr_upstream_discover_parse_addr(&inst), DR_ERROR);
}


Test(discover_parse, plain_errors)
{
    static const char  *bad[] = {
        "127.0.0.1", "127.0.0.1:", "127.0.0.1:0", "127.0.0.1:65536",
        "127.0.0.1:80x", "::1:80", ":80", "[::1]", "[::1]80", "[::1:80",
        "", "   \n", "a/b:80",
    };

    dr_uint_t                         i;
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    for (i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(parse(bad[i], &inst, &err), DR_ERROR, "\"%s\"", bad[i]);
        cr_assert_not_null(err, "\"%s\"", bad[i]);
    }
}


/* ------------------------------------------------------------ documents */


/* what Curator 5's JsonInstanceSerializer writes for a registration */
Test(discover_parse, curator_service_instance)
{
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(parse("{\"name\":\"app\",\"id\":\"1f6e6c7c-0b4a-4b9b-8b8d-"
                       "3d1f0a2e9c11\",\"address\":\"10.0.0.5\",\"port\":8080,"
                       "\"sslPort\":null,\"payload\":null,"
                       "\"registrationTimeUTC\":1700000000000,"
                       "\"serviceType\":\"DYNAMIC\",\"uriSpec\":{\"parts\":"
                       "[{\"value\":\"scheme\",\"variable\":true}]},"
                       "\"enabled\":true}", &inst, &err), DR_OK);

    assert_text(inst.host, inst.host_len, "10.0.0.5");
    cr_assert_eq(inst.port, 8080);
    cr_assert_eq(inst.enabled, 1);
    cr_assert_eq(inst.weight, -1);

    /* only an sslPort: that is the port */

    cr_assert_eq(parse("{\"address\":\"10.0.0.5\",\"port\":null,"
                       "\"sslPort\":8443}", &inst, &err), DR_OK);
    cr_assert_eq(inst.port, 8443);

    cr_assert_eq(parse("{\"address\":\"10.0.0.5\",\"port\":8080,"
                       "\"enabled\":false}", &inst, &err), DR_OK);
    cr_assert_eq(inst.enabled, 0);
}


/* a payload map of drover's fields; a Spring Cloud Zookeeper payload */
Test(discover_parse, payloads)
{
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(parse("{\"address\":\"10.0.0.5\",\"port\":80,\"weight\":2,"
                       "\"payload\":{\"weight\":9,\"backup\":true,"
                       "\"version\":\"2.1\",\"tags\":[\"blue\",\"eu\"],"
                       "\"max_conns\":50}}", &inst, &err), DR_OK);

    cr_assert_eq(inst.weight, 2);               /* the top level wins */
    cr_assert_eq(inst.backup, 1);
    cr_assert_eq(inst.max_conns, 50);
    cr_assert(inst.has_version);
    assert_text(inst.version, inst.version_len, "2.1");
    assert_text(inst.tags, inst.tags_len, "blue,eu");

    cr_assert_eq(parse("{\"name\":\"app\",\"id\":\"x\",\"address\":"
                       "\"192.168.0.7\",\"port\":8081,\"payload\":{"
                       "\"@class\":\"org.springframework.cloud.zookeeper."
                       "discovery.ZookeeperInstance\",\"id\":\"app-1\","
                       "\"name\":\"app\",\"metadata\":{\"instance_status\":"
                       "\"UP\",\"weight\":\"3\",\"version\":\"1.0\"}}}",
                       &inst, &err), DR_OK);

    assert_text(inst.host, inst.host_len, "192.168.0.7");
    cr_assert_eq(inst.enabled, 1);
    cr_assert_eq(inst.weight, 3);               /* metadata: strings */
    assert_text(inst.version, inst.version_len, "1.0");

    cr_assert_eq(parse("{\"address\":\"192.168.0.7\",\"port\":8081,"
                       "\"payload\":{\"metadata\":{\"instance_status\":"
                       "\"OUT_OF_SERVICE\"}}}", &inst, &err), DR_OK);
    cr_assert_eq(inst.enabled, 0);

    /* a payload that is no map (a class Curator serialized as a string) */

    cr_assert_eq(parse("{\"address\":\"10.0.0.1\",\"port\":1,"
                       "\"payload\":\"opaque\"}", &inst, &err), DR_OK);

    /* a payload's "host" is not the address */

    cr_assert_eq(parse("{\"port\":1,\"payload\":{\"host\":\"10.0.0.1\"}}",
                       &inst, &err), DR_ERROR);
}


Test(discover_parse, yaml)
{
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(parse("# drover's own fields\n"
                       "host: 10.0.0.9\n"
                       "port: 8080\n"
                       "weight: 5\n"
                       "backup: yes\n"
                       "max_conns: 100\n"
                       "version: \"3.0\"\n"
                       "group: payments\n"
                       "tags: blue, canary\n", &inst, &err), DR_OK);

    assert_text(inst.host, inst.host_len, "10.0.0.9");
    cr_assert_eq(inst.port, 8080);
    cr_assert_eq(inst.weight, 5);
    cr_assert_eq(inst.backup, 1);
    cr_assert_eq(inst.max_conns, 100);
    assert_text(inst.version, inst.version_len, "3.0");
    assert_text(inst.group, inst.group_len, "payments");
    assert_text(inst.tags, inst.tags_len, "blue,canary");

    cr_assert_eq(parse("address: \"[::1]\"\nport: 80\nweight: 0\n", &inst,
                       &err), DR_OK);
    assert_text(inst.host, inst.host_len, "::1");
    cr_assert_eq(inst.weight, 0);

    cr_assert_eq(parse("{address: 10.0.0.1, port: 80, enabled: off}", &inst,
                       &err), DR_OK);
    cr_assert_eq(inst.enabled, 0);
}


Test(discover_parse, document_errors)
{
    static const char  *bad[] = {
        "{", "[1, 2]", "just a phrase", "{\"address\":\"10.0.0.1\"}",
        "{\"port\":80}", "{\"address\":\"10.0.0.1\",\"port\":70000}",
        "{\"address\":\"10.0.0.1\",\"port\":\"eighty\"}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"weight\":-1}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"weight\":\"x\"}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"weight\":99999999}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"backup\":\"maybe\"}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"max_conns\":[1]}",
        "{\"address\":\"10 0 0 1\",\"port\":80}",
        "{\"address\":{\"ip\":\"10.0.0.1\"},\"port\":80}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"tags\":[\"a,b\"]}",
        "{\"address\":\"10.0.0.1\",\"port\":80,\"version\":\"a\\u0001\"}",
    };

    dr_uint_t                         i;
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    for (i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(parse(bad[i], &inst, &err), DR_ERROR, "%s", bad[i]);
        cr_assert_not_null(err, "%s", bad[i]);
    }
}


/* anchors and aliases, even looping ones, cost nothing more */
Test(discover_parse, hostile_documents)
{
    char                              deep[20000];
    size_t                            i, n;
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(parse("&a {address: 10.0.0.1, port: 80, payload: *a}",
                       &inst, &err), DR_OK);
    cr_assert_eq(parse("a: &x [*x, *x]\naddress: 10.0.0.1\nport: 80\n"
                       "payload: {metadata: {m: *x}}", &inst, &err), DR_OK);

    n = 0;
    for (i = 0; i < 5000; i++) {
        deep[n++] = '[';
    }
    for (i = 0; i < 5000; i++) {
        deep[n++] = ']';
    }
    deep[n] = '\0';

    cr_assert_eq(parse(deep, &inst, &err), DR_ERROR);
}


Test(discover_parse, size_limit)
{
    char                             *big;
    size_t                            len;
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    len = DR_UPSTREAM_DISCOVER_MAX_DATA + 1;
    big = malloc(len);
    cr_assert_not_null(big);
    memset(big, ' ', len);
    memcpy(big, "127.0.0.1:80", 12);

    cr_assert_eq(dr_upstream_discover_parse_data((u_char *) big, len, &inst,
                                                 &err), DR_ERROR);
    cr_assert_eq(dr_upstream_discover_parse_data(NULL, 0, &inst, &err),
                 DR_ERROR);

    free(big);
}


/* ------------------------------------------------------------ Dubbo */


/* a provider znode's name as Dubbo's ZookeeperRegistry writes it */
#define DUBBO_NAME                                                            \
    "dubbo%3A%2F%2F192.168.1.10%3A20880%2Fcom.example.DemoService%3F"        \
    "anyhost%3Dtrue%26application%3Ddemo-provider%26deprecated%3Dfalse"      \
    "%26dubbo%3D2.0.2%26dynamic%3Dtrue%26generic%3Dfalse%26group%3Dg1"       \
    "%26interface%3Dcom.example.DemoService%26methods%3DsayHello%2C"        \
    "sayHelloAsync%26pid%3D4242%26release%3D3.2.0%26side%3Dprovider"        \
    "%26timestamp%3D1700000000000%26version%3D1.0.0%26weight%3D50"


Test(discover_parse, dubbo_provider_url)
{
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    cr_assert_eq(dubbo(DUBBO_NAME, &inst, &err), DR_OK, "%s", err);

    assert_text(inst.protocol, inst.protocol_len, "dubbo");
    assert_text(inst.host, inst.host_len, "192.168.1.10");
    cr_assert_eq(inst.port, 20880);
    cr_assert_eq(inst.weight, 50);
    cr_assert_eq(inst.enabled, 1);
    assert_text(inst.version, inst.version_len, "1.0.0");
    assert_text(inst.group, inst.group_len, "g1");

    cr_assert_eq(dubbo("rest%3A%2F%2F10.0.0.3%3A8080%2Fapi%3Fenabled%3Dfalse",
                       &inst, &err), DR_OK);
    assert_text(inst.protocol, inst.protocol_len, "rest");
    cr_assert_eq(inst.port, 8080);
    cr_assert_eq(inst.enabled, 0);
    cr_assert_eq(inst.has_version, 0);

    cr_assert_eq(dubbo("tri%3A%2F%2F10.0.0.3%3A50051%3Fdisabled%3Dtrue",
                       &inst, &err), DR_OK);
    cr_assert_eq(inst.enabled, 0);

    /* an already decoded name, user info, IPv6 */

    cr_assert_eq(dubbo("http://u:p@[::1]:8080/x?weight=7", &inst, &err),
                 DR_OK);
    assert_text(inst.host, inst.host_len, "::1");
    cr_assert_eq(inst.weight, 7);
}


Test(discover_parse, dubbo_errors)
{
    static const char  *bad[] = {
        "", "%2", "%zz", "dubbo%3A%2F%2F", "no-scheme-here",
        "dubbo://10.0.0.1/x", "dubbo://10.0.0.1:99999/x",
        "dubbo://10.0.0.1:1?weight=heavy", "dubbo://10.0.0.1:1?enabled=2",
        "://10.0.0.1:1",
    };

    dr_uint_t                         i;
    const char                       *err;
    dr_upstream_discover_instance_t   inst;

    for (i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(dubbo(bad[i], &inst, &err), DR_ERROR, "\"%s\"", bad[i]);
        cr_assert_not_null(err);
    }
}


/* ------------------------------------------------------------ filters */


static dr_array_t *
list(dr_pool_t *pool, const char *a, const char *b)
{
    dr_str_t    *s;
    dr_array_t  *arr;

    arr = dr_array_create(pool, 2, sizeof(dr_str_t));

    s = dr_array_push(arr);
    s->data = (u_char *) a;
    s->len = strlen(a);

    if (b) {
        s = dr_array_push(arr);
        s->data = (u_char *) b;
        s->len = strlen(b);
    }

    return arr;
}


Test(discover_parse, filters)
{
    dr_log_t                          log;
    dr_pool_t                        *pool;
    const char                       *err;
    dr_upstream_discover_filter_t     f;
    dr_upstream_discover_instance_t   v1, v2, none;

    memset(&log, 0, sizeof(log));
    pool = dr_create_pool(4096, &log);

    cr_assert_eq(parse("{host: 10.0.0.1, port: 1, version: '1.0', "
                       "group: a, tags: [blue, eu]}", &v1, &err), DR_OK);
    cr_assert_eq(parse("{host: 10.0.0.2, port: 1, version: '2.0', "
                       "group: b, tags: green}", &v2, &err), DR_OK);
    cr_assert_eq(parse("10.0.0.3:1", &none, &err), DR_OK);

    memset(&f, 0, sizeof(f));
    cr_assert(dr_upstream_discover_parse_match(&f, &v1));
    cr_assert(dr_upstream_discover_parse_match(&f, &none));

    f.versions = list(pool, "1.0", "1.5");
    cr_assert(dr_upstream_discover_parse_match(&f, &v1));
    cr_assert_not(dr_upstream_discover_parse_match(&f, &v2));
    cr_assert_not(dr_upstream_discover_parse_match(&f, &none));

    f.versions = list(pool, "*", NULL);
    cr_assert(dr_upstream_discover_parse_match(&f, &v2));
    cr_assert(dr_upstream_discover_parse_match(&f, &none));

    /* version= (empty): the instances without one, as a Dubbo consumer */

    f.versions = list(pool, "", NULL);
    cr_assert_not(dr_upstream_discover_parse_match(&f, &v1));
    cr_assert(dr_upstream_discover_parse_match(&f, &none));

    f.versions = NULL;
    f.groups = list(pool, "b", NULL);
    cr_assert(dr_upstream_discover_parse_match(&f, &v2));
    cr_assert_not(dr_upstream_discover_parse_match(&f, &v1));

    f.groups = NULL;
    f.tags = list(pool, "blue", "eu");
    cr_assert(dr_upstream_discover_parse_match(&f, &v1));
    f.tags = list(pool, "blue", "green");
    cr_assert_not(dr_upstream_discover_parse_match(&f, &v1));
    cr_assert_not(dr_upstream_discover_parse_match(&f, &v2));
    cr_assert_not(dr_upstream_discover_parse_match(&f, &none));

    /* protocols concern Dubbo registrations, case-insensitively */

    f.tags = NULL;
    f.protocols = list(pool, "REST", NULL);
    cr_assert(dr_upstream_discover_parse_match(&f, &none));
    cr_assert_eq(dubbo("rest://10.0.0.1:1", &v1, &err), DR_OK);
    cr_assert(dr_upstream_discover_parse_match(&f, &v1));
    cr_assert_eq(dubbo("dubbo://10.0.0.1:1", &v1, &err), DR_OK);
    cr_assert_not(dr_upstream_discover_parse_match(&f, &v1));

    dr_destroy_pool(pool);
}


/* ------------------------------------------------------------ overrides */


Test(discover_parse, overrides)
{
    dr_log_t                          log;
    dr_uint_t                         n;
    dr_pool_t                        *pool;
    const char                       *err, *doc;
    dr_upstream_discover_override_t  *ov;

    memset(&log, 0, sizeof(log));
    pool = dr_create_pool(4096, &log);

    doc = "b1: {weight: 5}\n"
          "127.0.0.1:9002: {down: true, drain: no}\n"
          "\"b3\":\n  drain: yes\n"
          "b4: ~\n";

    cr_assert_eq(dr_upstream_discover_parse_overrides(
                     guarded(doc, strlen(doc)), strlen(doc), pool, &ov, &n,
                     &err), DR_OK);
    cr_assert_eq(n, 4);

    assert_text(ov[0].key.data, ov[0].key.len, "b1");
    cr_assert_eq(ov[0].weight, 5);
    cr_assert_eq(ov[0].down, -1);
    cr_assert_eq(ov[0].drain, -1);

    assert_text(ov[1].key.data, ov[1].key.len, "127.0.0.1:9002");
    cr_assert_eq(ov[1].down, 1);
    cr_assert_eq(ov[1].drain, 0);

    assert_text(ov[2].key.data, ov[2].key.len, "b3");
    cr_assert_eq(ov[2].drain, 1);

    cr_assert_eq(ov[3].weight, -1);

    /* JSON, empty, null */

    doc = "{\"b1\": {\"weight\": 0}}";
    cr_assert_eq(dr_upstream_discover_parse_overrides(
                     guarded(doc, strlen(doc)), strlen(doc), pool, &ov, &n,
                     &err), DR_OK);
    cr_assert_eq(n, 1);
    cr_assert_eq(ov[0].weight, 0);

    cr_assert_eq(dr_upstream_discover_parse_overrides(NULL, 0, pool, &ov, &n,
                                                      &err), DR_OK);
    cr_assert_eq(n, 0);

    doc = "~";
    cr_assert_eq(dr_upstream_discover_parse_overrides(
                     guarded(doc, 1), 1, pool, &ov, &n, &err), DR_OK);
    cr_assert_eq(n, 0);

    dr_destroy_pool(pool);
}


Test(discover_parse, override_errors)
{
    static const char  *bad[] = {
        "[b1, b2]", "b1: 5", "b1: {wieght: 5}", "b1: {weight: -1}",
        "b1: {down: perhaps}", "b1: {drain: [1]}", "{", "? [a]\n: {}\n",
        "\"\": {weight: 1}",
    };

    dr_log_t                          log;
    dr_uint_t                         i, n;
    dr_pool_t                        *pool;
    const char                       *err;
    dr_upstream_discover_override_t  *ov;

    memset(&log, 0, sizeof(log));
    pool = dr_create_pool(4096, &log);

    for (i = 0; i < dr_nelems(bad); i++) {
        err = NULL;
        cr_assert_eq(dr_upstream_discover_parse_overrides(
                         guarded(bad[i], strlen(bad[i])), strlen(bad[i]),
                         pool, &ov, &n, &err), DR_ERROR, "%s", bad[i]);
        cr_assert_not_null(err);
    }

    dr_destroy_pool(pool);
}


/* ------------------------------------------------------------ sessions */


Test(discover_parse, sessions)
{
    int64_t      ids[4];
    const char  *s;

    s = "0x00a210d870f30002\n0x00a210d870f30001\n";
    cr_assert_eq(dr_upstream_discover_parse_sessions(guarded(s, strlen(s)),
                                                     strlen(s), ids, 4), 2);
    cr_assert_eq(ids[0], 0x00a210d870f30001LL);
    cr_assert_eq(ids[1], 0x00a210d870f30002LL);

    cr_assert_eq(dr_upstream_discover_parse_sessions(NULL, 0, ids, 4), 0);

    s = "0x1\n\n0XfF";
    cr_assert_eq(dr_upstream_discover_parse_sessions(guarded(s, strlen(s)),
                                                     strlen(s), ids, 4), 2);
    cr_assert_eq(ids[0], 1);
    cr_assert_eq(ids[1], 255);

    s = "12\n";
    cr_assert_eq(dr_upstream_discover_parse_sessions(guarded(s, strlen(s)),
                                                     strlen(s), ids, 4),
                 DR_ERROR);
    s = "0xg\n";
    cr_assert_eq(dr_upstream_discover_parse_sessions(guarded(s, strlen(s)),
                                                     strlen(s), ids, 4),
                 DR_ERROR);
    s = "0x1\n0x2\n0x3\n";
    cr_assert_eq(dr_upstream_discover_parse_sessions(guarded(s, strlen(s)),
                                                     strlen(s), ids, 2),
                 DR_ERROR);
    s = "0x11111111111111111\n";
    cr_assert_eq(dr_upstream_discover_parse_sessions(guarded(s, strlen(s)),
                                                     strlen(s), ids, 4),
                 DR_ERROR);
}
