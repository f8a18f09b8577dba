/*
 * Internet (and unix domain) addresses, nginx's ngx_inet.c trimmed to what
 * drover uses: literal parsing and printing, "host:port" URLs for listen,
 * upstream servers, proxy_pass and zk connect strings, CIDR blocks.
 *
 * Everything is pure computation on caller buffers except
 * dr_inet_resolve_host() (and dr_parse_url() on a name), which blocks in
 * getaddrinfo(): config time in the master, or the agent, never a worker's
 * event loop. Results are allocated in the caller's pool; dr_url_t fields
 * are views into u->url unless said otherwise. Printing does not depend on
 * dr_sprintf: addresses are formatted here, into a bounded buffer.
 */

#include "dr_core.h"


static dr_int_t dr_inet_parse4(u_char *text, size_t len, in_addr_t *addr);
static dr_int_t dr_inet_parse_port(u_char *p, size_t len);
static u_char *dr_inet_fmt_port(u_char *p, dr_uint_t port);
static dr_int_t dr_inet_parse_unix_url(dr_pool_t *pool, dr_url_t *u);
static dr_int_t dr_inet_parse_inet_url(dr_pool_t *pool, dr_url_t *u);
static dr_int_t dr_inet_parse_inet6_url(dr_pool_t *pool, dr_url_t *u);
static dr_int_t dr_inet_add_addr(dr_pool_t *pool, dr_url_t *u,
    struct sockaddr *sockaddr, socklen_t socklen, dr_uint_t total);


/* strict dotted quad: four 1-3 digit decimal octets <= 255 */
static dr_int_t
dr_inet_parse4(u_char *text, size_t len, in_addr_t *addr)
{
    u_char      c, *p, *last;
    uint32_t    a;
    dr_uint_t   octet, digits, dots;

    a = 0;
    octet = 0;
    digits = 0;
    dots = 0;
    last = text + len;

    for (p = text; p < last; p++) {
        c = *p;

        if (c >= '0' && c <= '9') {
            octet = octet * 10 + (c - '0');

            if (++digits > 3 || octet > 255) {
                return DR_ERROR;
            }

            continue;
        }

        if (c == '.' && digits && dots < 3) {
            a = (a << 8) | (uint32_t) octet;
            octet = 0;
            digits = 0;
            dots++;
            continue;
        }

        return DR_ERROR;
    }

    if (dots != 3 || digits == 0) {
        return DR_ERROR;
    }

    a = (a << 8) | (uint32_t) octet;
    *addr = htonl(a);

    return DR_OK;
}


in_addr_t
dr_inet_addr(u_char *text, size_t len)
{
    in_addr_t  addr;

    if (dr_inet_parse4(text, len, &addr) != DR_OK) {
        return INADDR_NONE;
    }

    return addr;
}


dr_int_t
dr_inet6_addr(u_char *p, size_t len, u_char *addr)
{
    char  buf[DR_INET6_ADDRSTRLEN + 1];

    if (len == 0 || len > DR_INET6_ADDRSTRLEN) {
        return DR_ERROR;
    }

    if (memchr(p, '\0', len) != NULL) {
        return DR_ERROR;
    }

    dr_memcpy(buf, p, len);
    buf[len] = '\0';

    if (inet_pton(AF_INET6, buf, addr) != 1) {
        return DR_ERROR;
    }

    return DR_OK;
}


/* 1..65535, decimal digits only; -1 otherwise */
static dr_int_t
dr_inet_parse_port(u_char *p, size_t len)
{
    dr_int_t  n;

    if (len == 0 || len > 5) {
        return -1;
    }

    n = 0;

    while (len--) {
        if (*p < '0' || *p > '9') {
            return -1;
        }

        n = n * 10 + (*p++ - '0');
    }

    if (n < 1 || n > 65535) {
        return -1;
    }

    return n;
}


static u_char *
dr_inet_fmt_port(u_char *p, dr_uint_t port)
{
    u_char   tmp[5], *t;

    t = tmp + sizeof(tmp);

    do {
        *--t = (u_char) ('0' + port % 10);
        port /= 10;
    } while (port && t > tmp);

    return dr_cpymem(p, t, tmp + sizeof(tmp) - t);
}


size_t
dr_inet_ntop(int family, void *addr, u_char *text, size_t len)
{
    char    buf[INET6_ADDRSTRLEN];
    size_t  n;

    switch (family) {

    case AF_INET:
    case AF_INET6:
        if (inet_ntop(family, addr, buf, sizeof(buf)) == NULL) {
            return 0;
        }

        n = dr_min(dr_strlen(buf), len);
        dr_memcpy(text, buf, n);

        return n;

    default:
        return 0;
    }
}


size_t
dr_sock_ntop(struct sockaddr *sa, socklen_t socklen, u_char *text,
    size_t len, dr_uint_t port)
{
    u_char               *p, *path, buf[DR_SOCKADDR_STRLEN];
    size_t                n, max;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;
    struct sockaddr_un   *saun;

    switch (sa->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) sa;

        p = buf + dr_inet_ntop(AF_INET, &sin->sin_addr, buf, sizeof(buf));

        if (port) {
            *p++ = ':';
            p = dr_inet_fmt_port(p, ntohs(sin->sin_port));
        }

        break;

    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;

        p = buf;

        if (port) {
            *p++ = '[';
        }

        p += dr_inet_ntop(AF_INET6, &sin6->sin6_addr, p,
                          DR_INET6_ADDRSTRLEN);

        if (port) {
            *p++ = ']';
            *p++ = ':';
            p = dr_inet_fmt_port(p, ntohs(sin6->sin6_port));
        }

        break;

    case AF_UNIX:
        saun = (struct sockaddr_un *) sa;

        p = dr_cpymem(buf, "unix:", sizeof("unix:") - 1);

        /* on Linux the address may end before sun_path (unnamed) */

        if (socklen > (socklen_t) offsetof(struct sockaddr_un, sun_path)) {
            max = dr_min((size_t) socklen
                         - offsetof(struct sockaddr_un, sun_path),
                         sizeof(saun->sun_path));
            path = (u_char *) saun->sun_path;

            if (path[0] == '\0' && max > 1) {
                /* Linux abstract namespace: length-defined, shown as @ */
                *p++ = '@';
                p = dr_cpymem(p, path + 1, max - 1);

            } else {
                n = strnlen((char *) path, max);
                p = dr_cpymem(p, path, n);
            }
        }

        break;

    default:
        return 0;
    }

    n = dr_min((size_t) (p - buf), len);
    dr_memcpy(text, buf, n);

    return n;
}


dr_int_t
dr_ptocidr(dr_str_t *text, dr_cidr_t *cidr)
{
    u_char     *addr, *mask, *last, *m;
    size_t      len;
    dr_int_t    shift, rc;
    dr_uint_t   s, i;

    dr_memzero(cidr, sizeof(dr_cidr_t));

    if (text->len == 3 && dr_strncmp(text->data, "all", 3) == 0) {
        cidr->family = AF_UNSPEC;
        return DR_OK;
    }

    addr = text->data;
    last = addr + text->len;

    mask = dr_strlchr(addr, last, '/');
    len = (mask ? mask : last) - addr;

    if (dr_inet_parse4(addr, len, &cidr->u.in.addr) == DR_OK) {
        cidr->family = AF_INET;

        if (mask == NULL) {
            cidr->u.in.mask = 0xffffffff;
            return DR_OK;
        }

    } else if (dr_inet6_addr(addr, len, cidr->u.in6.addr.s6_addr) == DR_OK) {
        cidr->family = AF_INET6;

        if (mask == NULL) {
            dr_memset(cidr->u.in6.mask.s6_addr, 0xff, 16);
            return DR_OK;
        }

    } else {
        return DR_ERROR;
    }

    mask++;

    if (last - mask == 0 || last - mask > 3) {
        return DR_ERROR;
    }

    shift = 0;

    for (m = mask; m < last; m++) {
        if (*m < '0' || *m > '9') {
            return DR_ERROR;
        }

        shift = shift * 10 + (*m - '0');
    }

    switch (cidr->family) {

    case AF_INET6:
        if (shift > 128) {
            return DR_ERROR;
        }

        addr = cidr->u.in6.addr.s6_addr;
        m = cidr->u.in6.mask.s6_addr;
        rc = DR_OK;

        for (i = 0; i < 16; i++) {
            s = (shift > 8) ? 8 : (dr_uint_t) shift;
            shift -= s;

            m[i] = (u_char) (0xffu << (8 - s));

            if (addr[i] != (addr[i] & m[i])) {
                rc = DR_DONE;
                addr[i] &= m[i];
            }
        }

        return rc;

    default: /* AF_INET */
        if (shift > 32) {
            return DR_ERROR;
        }

        if (shift) {
            cidr->u.in.mask = htonl((uint32_t) (0xffffffffu << (32 - shift)));

        } else {
            /* x86 shifts by the count modulo 32 */
            cidr->u.in.mask = 0;
        }

        if (cidr->u.in.addr == (cidr->u.in.addr & cidr->u.in.mask)) {
            return DR_OK;
        }

        cidr->u.in.addr &= cidr->u.in.mask;

        return DR_DONE;
    }
}


dr_int_t
dr_cidr_match(struct sockaddr *sa, dr_array_t *cidrs)
{
    u_char               *p;
    in_addr_t             inaddr;
    dr_uint_t             i, n, family;
    dr_cidr_t            *cidr;
    struct sockaddr_in6  *sin6;

    family = sa->sa_family;
    inaddr = 0;
    p = NULL;

    if (family == AF_INET) {
        inaddr = ((struct sockaddr_in *) sa)->sin_addr.s_addr;

    } else if (family == AF_INET6) {
        sin6 = (struct sockaddr_in6 *) sa;
        p = sin6->sin6_addr.s6_addr;

        /* an IPv4 client on a dual-stack socket: match it as IPv4 */

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            family = AF_INET;
            dr_memcpy(&inaddr, &p[12], sizeof(in_addr_t));
        }
    }

    cidr = cidrs->elts;

    for (i = 0; i < cidrs->nelts; i++) {

        if (cidr[i].family == AF_UNSPEC) {
            return DR_OK;
        }

        if (cidr[i].family != family) {
            continue;
        }

        switch (family) {

        case AF_INET:
            if ((inaddr & cidr[i].u.in.mask) == cidr[i].u.in.addr) {
                return DR_OK;
            }

            break;

        case AF_INET6:
            for (n = 0; n < 16; n++) {
                if ((p[n] & cidr[i].u.in6.mask.s6_addr[n])
                    != cidr[i].u.in6.addr.s6_addr[n])
                {
                    break;
                }
            }

            if (n == 16) {
                return DR_OK;
            }

            break;

        default: /* AF_UNIX: a cidr of that family matches any peer */
            return DR_OK;
        }
    }

    return DR_DECLINED;
}


dr_int_t
dr_parse_addr(dr_pool_t *pool, dr_addr_t *addr, u_char *text, size_t len)
{
    in_addr_t             inaddr;
    socklen_t             socklen;
    struct in6_addr       inaddr6;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    if (dr_inet_parse4(text, len, &inaddr) == DR_OK) {
        socklen = sizeof(struct sockaddr_in);

    } else if (dr_inet6_addr(text, len, inaddr6.s6_addr) == DR_OK) {
        socklen = sizeof(struct sockaddr_in6);

    } else {
        return DR_DECLINED;
    }

    addr->sockaddr = dr_pcalloc(pool, socklen);
    if (addr->sockaddr == NULL) {
        return DR_ERROR;
    }

    addr->socklen = socklen;
    addr->name.len = len;
    addr->name.data = text;

    if (socklen == sizeof(struct sockaddr_in)) {
        sin = (struct sockaddr_in *) addr->sockaddr;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = inaddr;

    } else {
        sin6 = (struct sockaddr_in6 *) addr->sockaddr;
        sin6->sin6_family = AF_INET6;
        sin6->sin6_addr = inaddr6;
    }

    return DR_OK;
}


dr_int_t
dr_parse_addr_port(dr_pool_t *pool, dr_addr_t *addr, u_char *text,
    size_t len)
{
    u_char    *p, *last;
    size_t     plen, alen;
    dr_int_t   rc, port;

    rc = dr_parse_addr(pool, addr, text, len);

    if (rc != DR_DECLINED) {
        return rc;
    }

    last = text + len;

    if (len && text[0] == '[') {
        p = dr_strlchr(text, last, ']');

        if (p == NULL || p == last - 1 || p[1] != ':') {
            return DR_DECLINED;
        }

        p++;
        alen = p - text - 2;

        rc = dr_parse_addr(pool, addr, text + 1, alen);

        if (rc == DR_OK && addr->sockaddr->sa_family != AF_INET6) {
            return DR_DECLINED;
        }

    } else {
        p = dr_strlchr(text, last, ':');

        if (p == NULL) {
            return DR_DECLINED;
        }

        alen = p - text;

        rc = dr_parse_addr(pool, addr, text, alen);

        if (rc == DR_OK && addr->sockaddr->sa_family != AF_INET) {
            return DR_DECLINED;
        }
    }

    if (rc != DR_OK) {
        return rc;
    }

    p++;
    plen = last - p;

    port = dr_inet_parse_port(p, plen);

    if (port == -1) {
        return DR_DECLINED;
    }

    dr_inet_set_port(addr->sockaddr, (in_port_t) port);

    addr->name.len = len;
    addr->name.data = text;

    return DR_OK;
}


dr_int_t
dr_parse_url(dr_pool_t *pool, dr_url_t *u)
{
    u_char  *p;
    size_t   len;

    p = u->url.data;
    len = u->url.len;

    if (len >= 5 && dr_strncasecmp(p, (u_char *) "unix:", 5) == 0) {
        return dr_inet_parse_unix_url(pool, u);
    }

    if (len && p[0] == '[') {
        return dr_inet_parse_inet6_url(pool, u);
    }

    return dr_inet_parse_inet_url(pool, u);
}


static dr_int_t
dr_inet_parse_unix_url(dr_pool_t *pool, dr_url_t *u)
{
    u_char              *path, *uri, *last;
    size_t               len;
    struct sockaddr_un  *saun;

    len = u->url.len - 5;
    path = u->url.data + 5;

    if (u->uri_part) {
        last = path + len;
        uri = dr_strlchr(path, last, ':');

        if (uri) {
            len = uri - path;
            uri++;
            u->uri.len = last - uri;
            u->uri.data = uri;
        }
    }

    if (len == 0) {
        u->err = "no path in the unix domain socket";
        return DR_ERROR;
    }

    if (len + 1 > sizeof(saun->sun_path)) {
        u->err = "too long path in the unix domain socket";
        return DR_ERROR;
    }

    if (memchr(path, '\0', len) != NULL) {
        u->err = "invalid path in the unix domain socket";
        return DR_ERROR;
    }

    u->host.len = len;
    u->host.data = path;

    u->family = AF_UNIX;
    u->socklen = sizeof(struct sockaddr_un);

    saun = &u->sockaddr.sockaddr_un;
    dr_memzero(saun, sizeof(struct sockaddr_un));
    saun->sun_family = AF_UNIX;
    dr_memcpy(saun->sun_path, path, len);

    u->addrs = dr_pcalloc(pool, sizeof(dr_addr_t));
    if (u->addrs == NULL) {
        return DR_ERROR;
    }

    saun = dr_pcalloc(pool, sizeof(struct sockaddr_un));
    if (saun == NULL) {
        return DR_ERROR;
    }

    saun->sun_family = AF_UNIX;
    dr_memcpy(saun->sun_path, path, len);

    u->naddrs = 1;
    u->addrs[0].sockaddr = (struct sockaddr *) saun;
    u->addrs[0].socklen = sizeof(struct sockaddr_un);
    u->addrs[0].name.len = len + 5;
    u->addrs[0].name.data = u->url.data;

    return DR_OK;
}


static dr_int_t
dr_inet_parse_inet_url(dr_pool_t *pool, dr_url_t *u)
{
    u_char              *host, *port, *last, *uri, *args;
    size_t               len;
    dr_int_t             n;
    struct sockaddr_in  *sin;

    u->socklen = sizeof(struct sockaddr_in);
    sin = &u->sockaddr.sockaddr_in;
    dr_memzero(sin, sizeof(struct sockaddr_in));
    sin->sin_family = AF_INET;

    u->family = AF_INET;

    host = u->url.data;
    last = host + u->url.len;

    port = dr_strlchr(host, last, ':');
    uri = dr_strlchr(host, last, '/');
    args = dr_strlchr(host, last, '?');

    if (args && (uri == NULL || args < uri)) {
        uri = args;
    }

    if (uri) {
        if (u->listen || !u->uri_part) {
            u->err = "invalid host";
            return DR_ERROR;
        }

        u->uri.len = last - uri;
        u->uri.data = uri;

        last = uri;

        if (port && uri < port) {
            port = NULL;
        }
    }

    if (port) {
        port++;
        len = last - port;

        n = dr_inet_parse_port(port, len);

        if (n == -1) {
            u->err = "invalid port";
            return DR_ERROR;
        }

        u->port = (in_port_t) n;
        sin->sin_port = htons((in_port_t) n);

        u->port_text.len = len;
        u->port_text.data = port;

        last = port - 1;

    } else {

        if (uri == NULL && u->listen) {

            /* "listen 80": all digits is a port */

            len = last - host;

            for (n = 0; n < (dr_int_t) len; n++) {
                if (host[n] < '0' || host[n] > '9') {
                    break;
                }
            }

            if (len && n == (dr_int_t) len) {

                n = dr_inet_parse_port(host, len);

                if (n == -1) {
                    u->err = "invalid port";
                    return DR_ERROR;
                }

                u->port = (in_port_t) n;
                sin->sin_port = htons((in_port_t) n);
                sin->sin_addr.s_addr = INADDR_ANY;

                u->port_text.len = len;
                u->port_text.data = host;

                u->wildcard = 1;

                return dr_inet_add_addr(pool, u, &u->sockaddr.sockaddr,
                                        u->socklen, 1);
            }
        }

        u->no_port = 1;
        u->port = u->default_port;
        sin->sin_port = htons(u->default_port);
    }

    len = last - host;

    if (len == 0) {
        u->err = "no host";
        return DR_ERROR;
    }

    u->host.len = len;
    u->host.data = host;

    if (u->listen && len == 1 && *host == '*') {
        sin->sin_addr.s_addr = INADDR_ANY;
        u->wildcard = 1;
        return dr_inet_add_addr(pool, u, &u->sockaddr.sockaddr, u->socklen, 1);
    }

    if (dr_inet_parse4(host, len, &sin->sin_addr.s_addr) == DR_OK) {

        if (sin->sin_addr.s_addr == INADDR_ANY) {
            u->wildcard = 1;
        }

        return dr_inet_add_addr(pool, u, &u->sockaddr.sockaddr, u->socklen, 1);
    }

    if (u->no_resolve) {
        return DR_OK;
    }

    if (dr_inet_resolve_host(pool, u) != DR_OK) {
        return DR_ERROR;
    }

    u->family = u->addrs[0].sockaddr->sa_family;
    u->socklen = u->addrs[0].socklen;
    dr_memcpy(&u->sockaddr, u->addrs[0].sockaddr, u->addrs[0].socklen);
    u->wildcard = dr_inet_wildcard(&u->sockaddr.sockaddr);

    return DR_OK;
}


static dr_int_t
dr_inet_parse_inet6_url(dr_pool_t *pool, dr_url_t *u)
{
    u_char               *p, *host, *port, *last, *uri;
    size_t                len;
    dr_int_t              n;
    struct sockaddr_in6  *sin6;

    u->socklen = sizeof(struct sockaddr_in6);
    sin6 = &u->sockaddr.sockaddr_in6;
    dr_memzero(sin6, sizeof(struct sockaddr_in6));
    sin6->sin6_family = AF_INET6;

    host = u->url.data + 1;
    last = u->url.data + u->url.len;

    p = dr_strlchr(host, last, ']');

    if (p == NULL) {
        u->err = "invalid host";
        return DR_ERROR;
    }

    port = p + 1;

    uri = dr_strlchr(port, last, '/');

    if (uri) {
        if (u->listen || !u->uri_part) {
            u->err = "invalid host";
            return DR_ERROR;
        }

        u->uri.len = last - uri;
        u->uri.data = uri;

        last = uri;
    }

    if (port < last) {
        if (*port != ':') {
            u->err = "invalid host";
            return DR_ERROR;
        }

        port++;
        len = last - port;

        n = dr_inet_parse_port(port, len);

        if (n == -1) {
            u->err = "invalid port";
            return DR_ERROR;
        }

        u->port = (in_port_t) n;
        sin6->sin6_port = htons((in_port_t) n);

        u->port_text.len = len;
        u->port_text.data = port;

    } else {
        u->no_port = 1;
        u->port = u->default_port;
        sin6->sin6_port = htons(u->default_port);
    }

    len = p - host;

    if (len == 0) {
        u->err = "no host";
        return DR_ERROR;
    }

    u->host.len = len + 2;
    u->host.data = host - 1;

    if (dr_inet6_addr(host, len, sin6->sin6_addr.s6_addr) != DR_OK) {
        u->err = "invalid IPv6 address";
        return DR_ERROR;
    }

    if (IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr)) {
        u->wildcard = 1;
    }

    u->family = AF_INET6;

    return dr_inet_add_addr(pool, u, &u->sockaddr.sockaddr, u->socklen, 1);
}


dr_int_t
dr_inet_resolve_host(dr_pool_t *pool, dr_url_t *u)
{
    int               rc;
    char              host[NI_MAXHOST];
    dr_uint_t         n, i;
    struct addrinfo   hints, *res, *rp;

    if (u->host.len == 0 || u->host.len >= sizeof(host)
        || memchr(u->host.data, '\0', u->host.len) != NULL)
    {
        u->err = "invalid host";
        return DR_ERROR;
    }

    dr_memcpy(host, u->host.data, u->host.len);
    host[u->host.len] = '\0';

    dr_memzero(&hints, sizeof(struct addrinfo));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(host, NULL, &hints, &res);

    if (rc != 0) {
        u->err = "host not found";
        return DR_ERROR;
    }

    for (n = 0, rp = res; rp != NULL; rp = rp->ai_next) {
        if (rp->ai_family == AF_INET || rp->ai_family == AF_INET6) {
            n++;
        }
    }

    if (n == 0) {
        u->err = "host not found";
        goto failed;
    }

    /* IPv4 first, as nginx; duplicates (hosts files repeat) dropped */

    for (i = 0; i < 2; i++) {

        for (rp = res; rp != NULL; rp = rp->ai_next) {

            if (rp->ai_family != (i == 0 ? AF_INET : AF_INET6)) {
                continue;
            }

            if (dr_inet_add_addr(pool, u, rp->ai_addr, rp->ai_addrlen, n)
                != DR_OK)
            {
                goto failed;
            }
        }
    }

    freeaddrinfo(res);
    return DR_OK;

failed:

    freeaddrinfo(res);
    return DR_ERROR;
}


/*
 * Appends a copy of <sockaddr> with u->port to u->addrs (room for <total>
 * allocated on the first call), named "addr:port". An address already in
 * the list is skipped.
 */
static dr_int_t
dr_inet_add_addr(dr_pool_t *pool, dr_url_t *u, struct sockaddr *sockaddr,
    socklen_t socklen, dr_uint_t total)
{
    u_char           *p;
    size_t            len;
    dr_uint_t         i;
    dr_addr_t        *addr;
    struct sockaddr  *sa;

    if (u->addrs == NULL) {
        u->addrs = dr_palloc(pool, total * sizeof(dr_addr_t));
        if (u->addrs == NULL) {
            return DR_ERROR;
        }
    }

    sa = dr_pcalloc(pool, socklen);
    if (sa == NULL) {
        return DR_ERROR;
    }

    dr_memcpy(sa, sockaddr, socklen);
    dr_inet_set_port(sa, u->port);

    for (i = 0; i < u->naddrs; i++) {
        if (dr_cmp_sockaddr(u->addrs[i].sockaddr, u->addrs[i].socklen,
                            sa, socklen, 1)
            == DR_OK)
        {
            return DR_OK;
        }
    }

    len = (sa->sa_family == AF_INET6)
          ? DR_INET6_ADDRSTRLEN + sizeof("[]:65535") - 1
          : DR_INET_ADDRSTRLEN + sizeof(":65535") - 1;

    p = dr_pnalloc(pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    len = dr_sock_ntop(sa, socklen, p, len, 1);

    addr = &u->addrs[u->naddrs++];
    addr->sockaddr = sa;
    addr->socklen = socklen;
    addr->name.len = len;
    addr->name.data = p;

    return DR_OK;
}


dr_int_t
dr_cmp_sockaddr(struct sockaddr *sa1, socklen_t slen1, struct sockaddr *sa2,
    socklen_t slen2, dr_uint_t cmp_port)
{
    size_t                off, n1, n2;
    struct sockaddr_in   *sin1, *sin2;
    struct sockaddr_in6  *sin61, *sin62;
    struct sockaddr_un   *saun1, *saun2;

    if (sa1->sa_family != sa2->sa_family) {
        return DR_DECLINED;
    }

    switch (sa1->sa_family) {

    case AF_INET6:
        sin61 = (struct sockaddr_in6 *) sa1;
        sin62 = (struct sockaddr_in6 *) sa2;

        if (cmp_port && sin61->sin6_port != sin62->sin6_port) {
            return DR_DECLINED;
        }

        if (dr_memcmp(&sin61->sin6_addr, &sin62->sin6_addr, 16) != 0) {
            return DR_DECLINED;
        }

        break;

    case AF_UNIX:
        saun1 = (struct sockaddr_un *) sa1;
        saun2 = (struct sockaddr_un *) sa2;

        /* lengths differ with and without the trailing NUL: compare paths */

        off = offsetof(struct sockaddr_un, sun_path);

        n1 = (slen1 > (socklen_t) off)
             ? strnlen(saun1->sun_path,
                       dr_min((size_t) slen1 - off, sizeof(saun1->sun_path)))
             : 0;
        n2 = (slen2 > (socklen_t) off)
             ? strnlen(saun2->sun_path,
                       dr_min((size_t) slen2 - off, sizeof(saun2->sun_path)))
             : 0;

        if (n1 != n2 || dr_memcmp(saun1->sun_path, saun2->sun_path, n1) != 0)
        {
            return DR_DECLINED;
        }

        break;

    case AF_INET:
        sin1 = (struct sockaddr_in *) sa1;
        sin2 = (struct sockaddr_in *) sa2;

        if (cmp_port && sin1->sin_port != sin2->sin_port) {
            return DR_DECLINED;
        }

        if (sin1->sin_addr.s_addr != sin2->sin_addr.s_addr) {
            return DR_DECLINED;
        }

        break;

    default:
        if (slen1 != slen2 || dr_memcmp(sa1, sa2, slen1) != 0) {
            return DR_DECLINED;
        }
    }

    return DR_OK;
}


in_port_t
dr_inet_get_port(struct sockaddr *sa)
{
    switch (sa->sa_family) {

    case AF_INET:
        return ntohs(((struct sockaddr_in *) sa)->sin_port);

    case AF_INET6:
        return ntohs(((struct sockaddr_in6 *) sa)->sin6_port);

    default:
        return 0;
    }
}


void
dr_inet_set_port(struct sockaddr *sa, in_port_t port)
{
    switch (sa->sa_family) {

    case AF_INET:
        ((struct sockaddr_in *) sa)->sin_port = htons(port);
        break;

    case AF_INET6:
        ((struct sockaddr_in6 *) sa)->sin6_port = htons(port);
        break;

    default:
        break;
    }
}


dr_uint_t
dr_inet_wildcard(struct sockaddr *sa)
{
    struct sockaddr_in6  *sin6;

    switch (sa->sa_family) {

    case AF_INET:
        return ((struct sockaddr_in *) sa)->sin_addr.s_addr == INADDR_ANY;

    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;
        return IN6_IS_ADDR_UNSPECIFIED(&sin6->sin6_addr);

    default:
        return 0;
    }
}
