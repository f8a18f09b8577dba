/*
 * Addresses: text <-> sockaddr, "host:port" URLs as the config writes them
 * (listen, proxy_pass, server, zk hosts), CIDR blocks for allow/deny.
 * Resolution is blocking getaddrinfo(): config time only, never in a
 * worker's event loop.
 */
#ifndef DR_INET_H_INCLUDED
#define DR_INET_H_INCLUDED

#define DR_INET_ADDRSTRLEN   (sizeof("255.255.255.255") - 1)
#define DR_INET6_ADDRSTRLEN                                                   \
    (sizeof("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255") - 1)
#define DR_UNIX_ADDRSTRLEN                                                    \
    (sizeof("unix:") - 1 +                                                    \
     sizeof(struct sockaddr_un) - offsetof(struct sockaddr_un, sun_path))
/* enough for any dr_sock_ntop() output, with port */
#define DR_SOCKADDR_STRLEN   DR_UNIX_ADDRSTRLEN
#define DR_SOCKADDRLEN       sizeof(dr_sockaddr_t)

typedef union {
    struct sockaddr           sockaddr;
    struct sockaddr_in        sockaddr_in;
    struct sockaddr_in6       sockaddr_in6;
    struct sockaddr_un        sockaddr_un;
} dr_sockaddr_t;

typedef struct {
    in_addr_t                 addr;     /* network order, host bits zero */
    in_addr_t                 mask;
} dr_in_cidr_t;

typedef struct {
    struct in6_addr           addr;
    struct in6_addr           mask;
} dr_in6_cidr_t;

/* family AF_UNSPEC is "all": it matches any address */
typedef struct {
    dr_uint_t                 family;
    union {
        dr_in_cidr_t          in;
        dr_in6_cidr_t         in6;
    } u;
} dr_cidr_t;

typedef struct {
    struct sockaddr          *sockaddr;
    socklen_t                 socklen;
    dr_str_t                  name;     /* "127.0.0.1:80", "[::1]:80" */
} dr_addr_t;

typedef struct {
    dr_str_t                  url;          /* in: the text */
    dr_str_t                  host;         /* "[::1]" keeps its brackets */
    dr_str_t                  port_text;
    dr_str_t                  uri;          /* "/path" when uri_part */

    in_port_t                 port;         /* host order */
    in_port_t                 default_port; /* in */
    int                       family;

    unsigned                  listen:1;     /* in: "*:80" and "80" allowed */
    unsigned                  uri_part:1;   /* in: allow a trailing /uri */
    unsigned                  no_resolve:1; /* in: do not resolve names */

    unsigned                  no_port:1;    /* out: default_port used */
    unsigned                  wildcard:1;   /* out: INADDR_ANY / :: */

    socklen_t                 socklen;      /* out: the first address */
    dr_sockaddr_t             sockaddr;

    dr_addr_t                *addrs;        /* out: in pool */
    dr_uint_t                 naddrs;

    char                     *err;          /* out: static message */
} dr_url_t;

/* dotted quad -> network order address, or INADDR_NONE */
in_addr_t dr_inet_addr(u_char *text, size_t len);
/* IPv6 text (no brackets) -> 16 bytes; DR_OK or DR_ERROR */
dr_int_t dr_inet6_addr(u_char *p, size_t len, u_char *addr);
/*
 * Writes the address (with ":port" / "[v6]:port" if <port>) into <text>,
 * at most <len> bytes, no NUL; returns the length written. AF_UNIX gives
 * "unix:/path". Unknown families give 0.
 */
size_t dr_sock_ntop(struct sockaddr *sa, socklen_t socklen, u_char *text,
    size_t len, dr_uint_t port);
/* AF_INET (struct in_addr *) or AF_INET6 (16 bytes) -> text; length */
size_t dr_inet_ntop(int family, void *addr, u_char *text, size_t len);

/*
 * "10.0.0.0/8", "::1/128", "192.168.1.1", "all". DR_OK; DR_DONE if the
 * address had bits set beyond the mask (they are cleared: nginx warns
 * "low address bits of ... are meaningless"); DR_ERROR if invalid.
 */
dr_int_t dr_ptocidr(dr_str_t *text, dr_cidr_t *cidr);
/* DR_OK if <sa> is in any of <cidrs> (dr_cidr_t), else DR_DECLINED */
dr_int_t dr_cidr_match(struct sockaddr *sa, dr_array_t *cidrs);

/*
 * A literal address, no port -> addr (sockaddr in pool, name a view of
 * <text>). DR_OK; DR_DECLINED if <text> is not an address; DR_ERROR.
 */
dr_int_t dr_parse_addr(dr_pool_t *pool, dr_addr_t *addr, u_char *text,
    size_t len);
/* the same for "addr:port", "[v6]:port" (or a bare address, port 0) */
dr_int_t dr_parse_addr_port(dr_pool_t *pool, dr_addr_t *addr, u_char *text,
    size_t len);

/*
 * Parses u->url: "host:port", "host", "*:port" and "port" (listen only),
 * "[::1]:port", "unix:/path", with a trailing "/uri" if uri_part. Literal
 * addresses are never resolved; names are (blocking) unless no_resolve.
 * DR_OK, or DR_ERROR with u->err set ("invalid port", "host not found"...)
 * or, on no memory, u->err NULL.
 */
dr_int_t dr_parse_url(dr_pool_t *pool, dr_url_t *u);
/* getaddrinfo(u->host): fills u->addrs (IPv4 first); DR_OK or DR_ERROR */
dr_int_t dr_inet_resolve_host(dr_pool_t *pool, dr_url_t *u);

/* DR_OK if equal (ports compared if <cmp_port>), else DR_DECLINED */
dr_int_t dr_cmp_sockaddr(struct sockaddr *sa1, socklen_t slen1,
    struct sockaddr *sa2, socklen_t slen2, dr_uint_t cmp_port);
/* host order; 0 for AF_UNIX */
in_port_t dr_inet_get_port(struct sockaddr *sa);
void dr_inet_set_port(struct sockaddr *sa, in_port_t port);
/* 1 for INADDR_ANY and :: */
dr_uint_t dr_inet_wildcard(struct sockaddr *sa);

#endif /* DR_INET_H_INCLUDED */
