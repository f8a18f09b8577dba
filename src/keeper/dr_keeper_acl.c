/*
 * ACLs and authentication, as ZooKeeper 3.8's server with its two default
 * providers (ip and digest) and the world:anyone id.
 *
 * A connection carries the ids it proved (ServerCnxn.authInfo): always
 * "ip:<its address>" first, then "digest:user:base64(sha1(user:password))"
 * for each accepted digest auth packet, and "super:" when that digest is
 * the configured super_digest. Auth info belongs to the connection, not
 * the session: a client that reconnects sends its auth packets again.
 *
 * Checks (checkACL): an empty ACL or a super connection passes; otherwise
 * some entry with one of the wanted permission bits must be world:anyone
 * or match one of the connection's ids of the same scheme (digest: equal
 * ids; ip: the address within the entry's address/bits). fixup
 * (fixupACL): duplicates removed, "auth" entries expanded to the
 * connection's authenticated (digest) ids, every other id validated by its
 * scheme; an empty list, an unknown scheme, world with an id other than
 * anyone, a malformed digest or ip id are InvalidACL.
 *
 * Nothing here allocates per request except the auth id copies, in one
 * array per connection. Keeper process.
 */

#include "dr_keeper.h"

#include <openssl/evp.h>


#define DR_KEEPER_ACL_MAX_AUTH   64


static dr_int_t dr_keeper_acl_add_id(dr_keeper_conn_t *kc, const char *scheme,
    u_char *id, size_t len);
static dr_uint_t dr_keeper_acl_match(dr_zk_id_t *mine, dr_zk_id_t *acl);
static dr_uint_t dr_keeper_acl_valid(dr_zk_id_t *id);
static dr_uint_t dr_keeper_acl_digest_valid(dr_str_t *id);
static dr_int_t dr_keeper_acl_addr(u_char *p, size_t len, u_char *addr);
static dr_int_t dr_keeper_acl_java_int(u_char *p, size_t len, dr_int_t *v);
static dr_uint_t dr_keeper_acl_ip_match(dr_str_t *client, dr_str_t *expr);
static dr_uint_t dr_keeper_acl_ip_valid(dr_str_t *expr, u_char *addr,
    dr_int_t *bits);
static dr_uint_t dr_keeper_acl_eq(dr_zk_acl_t *a, dr_zk_acl_t *b);


size_t
dr_keeper_acl_digest(dr_str_t *cred, u_char *out)
{
    u_char        *colon, *p;
    unsigned int   mdlen;
    u_char         md[EVP_MAX_MD_SIZE];
    dr_str_t       src, dst;

    /* "user:password" -> "user:" + base64(sha1("user:password")) */

    colon = dr_strlchr(cred->data, cred->data + cred->len, ':');

    p = dr_cpymem(out, cred->data,
                  colon ? (size_t) (colon - cred->data) : cred->len);
    *p++ = ':';

    mdlen = 0;

    if (EVP_Digest(cred->data, cred->len, md, &mdlen, EVP_sha1(), NULL) != 1)
    {
        mdlen = 0;
    }

    src.data = md;
    src.len = mdlen;
    dst.data = p;

    dr_encode_base64(&dst, &src);

    return (size_t) (p - out) + dst.len;
}


/* the implicit "ip" id of every connection (getHostAddress()'s text) */
dr_int_t
dr_keeper_acl_init_conn(dr_keeper_conn_t *kc)
{
    u_char                *p;
    size_t                 len;
    u_char                 text[DR_INET6_ADDRSTRLEN + 8];
    struct sockaddr       *sa;
    struct sockaddr_in6   *sin6;

    sa = kc->c->sockaddr;

    switch (sa->sa_family) {

    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) sa;

        if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
            p = &sin6->sin6_addr.s6_addr[12];
            len = dr_sprintf(text, "%ud.%ud.%ud.%ud", p[0], p[1], p[2], p[3])
                  - text;
            break;
        }

        /* Java writes every group, in hex, without "::" */

        p = text;

        for (len = 0; len < 16; len += 2) {
            p = dr_sprintf(p, "%s%xd", len ? ":" : "",
                           (dr_uint_t) (sin6->sin6_addr.s6_addr[len] << 8
                                        | sin6->sin6_addr.s6_addr[len + 1]));
        }

        len = (size_t) (p - text);
        break;

    default:
        len = dr_inet_ntop(sa->sa_family,
                           &((struct sockaddr_in *) sa)->sin_addr, text,
                           sizeof(text));
        break;
    }

    return dr_keeper_acl_add_id(kc, "ip", text, len);
}


/* adds an id (copied) unless the connection has it already */
static dr_int_t
dr_keeper_acl_add_id(dr_keeper_conn_t *kc, const char *scheme, u_char *id,
    size_t len)
{
    u_char      *p;
    size_t       slen;
    dr_uint_t    i;
    dr_zk_id_t  *ids;

    slen = dr_strlen(scheme);

    for (i = 0; i < kc->nauth; i++) {
        if (kc->auth[i].scheme.len == slen
            && dr_memcmp(kc->auth[i].scheme.data, scheme, slen) == 0
            && kc->auth[i].id.len == len
            && dr_memcmp(kc->auth[i].id.data, id, len) == 0)
        {
            return DR_OK;
        }
    }

    if (kc->nauth == DR_KEEPER_ACL_MAX_AUTH) {
        return DR_DECLINED;
    }

    if (kc->nauth == kc->auth_size) {
        ids = dr_alloc((kc->auth_size + 4) * sizeof(dr_zk_id_t), kc->c->log);
        if (ids == NULL) {
            return DR_ERROR;
        }

        if (kc->auth) {
            dr_memcpy(ids, kc->auth, kc->nauth * sizeof(dr_zk_id_t));
            dr_free(kc->auth);
        }

        kc->auth = ids;
        kc->auth_size += 4;
    }

    p = dr_pnalloc(kc->c->pool, slen + len + 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    kc->auth[kc->nauth].scheme.data = p;
    kc->auth[kc->nauth].scheme.len = slen;
    p = dr_cpymem(p, scheme, slen);

    kc->auth[kc->nauth].id.data = p;
    kc->auth[kc->nauth].id.len = len;
    dr_memcpy(p, id, len);

    kc->nauth++;

    return DR_OK;
}


dr_int_t
dr_keeper_acl_auth(dr_keeper_conn_t *kc, dr_zk_auth_packet_t *ap)
{
    size_t             len;
    u_char            *buf;
    dr_int_t           rc;
    dr_str_t          *sd;
    dr_keeper_conf_t  *kcf;

    kcf = kc->k->conf;

    if (dr_str_eq_lit(&ap->scheme, "digest")) {

        if (ap->auth.data == NULL) {
            return DR_ZK_AUTHFAILED;
        }

        buf = dr_alloc(ap->auth.len + 64, kc->c->log);
        if (buf == NULL) {
            return DR_ERROR;
        }

        len = dr_keeper_acl_digest(&ap->auth, buf);

        sd = &kcf->super_digest;

        rc = DR_OK;

        if (sd->len && sd->len == len && dr_memcmp(sd->data, buf, len) == 0) {
            rc = dr_keeper_acl_add_id(kc, "super", (u_char *) "", 0);
            kc->super = 1;
        }

        if (rc == DR_OK) {
            rc = dr_keeper_acl_add_id(kc, "digest", buf, len);
        }

        dr_free(buf);

        if (rc == DR_DECLINED) {
            return DR_ZK_AUTHFAILED;
        }

        return rc;
    }

    if (dr_str_eq_lit(&ap->scheme, "ip")) {

        /* the connection's address, which it has already */

        return DR_OK;
    }

    return DR_ZK_AUTHFAILED;
}


int32_t
dr_keeper_acl_check(dr_keeper_conn_t *kc, dr_zk_vec_t *acl, int32_t perm)
{
    dr_uint_t         i;
    dr_zk_acl_t       a;
    dr_zk_vec_iter_t  it;

    if (acl->nelts <= 0 || kc->super) {
        return DR_ZK_OK;
    }

    it = dr_zk_vec_iter(acl);

    while (dr_zk_vec_next_acl(&it, &a) == DR_OK) {

        if ((a.perms & perm) == 0) {
            continue;
        }

        if (dr_str_eq_lit(&a.id.scheme, "world")
            && dr_str_eq_lit(&a.id.id, "anyone"))
        {
            return DR_ZK_OK;
        }

        for (i = 0; i < kc->nauth; i++) {
            if (dr_keeper_acl_match(&kc->auth[i], &a.id)) {
                return DR_ZK_OK;
            }
        }
    }

    return DR_ZK_NOAUTH;
}


/* does one of my ids match the ACL entry's id (the providers' matches()) */
static dr_uint_t
dr_keeper_acl_match(dr_zk_id_t *mine, dr_zk_id_t *acl)
{
    if (!dr_str_eq(&mine->scheme, &acl->scheme)) {
        return 0;
    }

    if (dr_str_eq_lit(&acl->scheme, "digest")) {
        return dr_str_eq(&mine->id, &acl->id);
    }

    if (dr_str_eq_lit(&acl->scheme, "ip")) {
        return dr_keeper_acl_ip_match(&mine->id, &acl->id);
    }

    return 0;
}


int32_t
dr_keeper_acl_fixup(dr_keeper_conn_t *kc, dr_zk_vec_t *in, dr_zk_writer_t *wr)
{
    size_t            mark;
    int32_t           n, i, j;
    dr_uint_t         k, valid, dup;
    dr_zk_acl_t       a, b, out;
    dr_zk_vec_iter_t  it, it2;

    if (in->nelts <= 0) {
        return DR_ZK_INVALIDACL;
    }

    if (dr_zk_jute_reserve_int(wr, &mark) != DR_OK) {
        return DR_ERROR;
    }

    n = 0;
    i = 0;

    it = dr_zk_vec_iter(in);

    while (dr_zk_vec_next_acl(&it, &a) == DR_OK) {

        /* removeDuplicates(): an entry equal to an earlier one is skipped */

        dup = 0;
        it2 = dr_zk_vec_iter(in);

        for (j = 0; j < i && dr_zk_vec_next_acl(&it2, &b) == DR_OK; j++) {
            if (dr_keeper_acl_eq(&a, &b)) {
                dup = 1;
                break;
            }
        }

        i++;

        if (dup) {
            continue;
        }

        if (a.id.scheme.data == NULL) {
            return DR_ZK_INVALIDACL;
        }

        /* the id of an "auth" entry is not used: kazoo sends a null one */

        if (dr_str_eq_lit(&a.id.scheme, "auth")) {

            /* the authenticated ids: digest (ip and super are not) */

            valid = 0;

            for (k = 0; k < kc->nauth; k++) {
                if (!dr_str_eq_lit(&kc->auth[k].scheme, "digest")) {
                    continue;
                }

                out.perms = a.perms;
                out.id = kc->auth[k];

                if (dr_zk_jute_write_acl(wr, &out) != DR_OK) {
                    return DR_ERROR;
                }

                valid = 1;
                n++;
            }

            if (!valid) {
                return DR_ZK_INVALIDACL;
            }

            continue;
        }

        if (a.id.id.data == NULL || !dr_keeper_acl_valid(&a.id)) {
            return DR_ZK_INVALIDACL;
        }

        if (dr_zk_jute_write_acl(wr, &a) != DR_OK) {
            return DR_ERROR;
        }

        n++;
    }

    dr_zk_jute_patch_int(wr, mark, n);

    return DR_ZK_OK;
}


static dr_uint_t
dr_keeper_acl_eq(dr_zk_acl_t *a, dr_zk_acl_t *b)
{
    return a->perms == b->perms
           && dr_memn2cmp(a->id.scheme.data, b->id.scheme.data,
                          a->id.scheme.len, b->id.scheme.len) == 0
           && (a->id.scheme.data == NULL) == (b->id.scheme.data == NULL)
           && dr_memn2cmp(a->id.id.data, b->id.id.data,
                          a->id.id.len, b->id.id.len) == 0
           && (a->id.id.data == NULL) == (b->id.id.data == NULL);
}


/* world:anyone, or an id its scheme's provider accepts */
static dr_uint_t
dr_keeper_acl_valid(dr_zk_id_t *id)
{
    u_char    addr[16];
    dr_int_t  bits;

    if (dr_str_eq_lit(&id->scheme, "world")) {
        return dr_str_eq_lit(&id->id, "anyone");
    }

    if (dr_str_eq_lit(&id->scheme, "digest")) {
        return dr_keeper_acl_digest_valid(&id->id);
    }

    if (dr_str_eq_lit(&id->scheme, "ip")) {
        return dr_keeper_acl_ip_valid(&id->id, addr, &bits);
    }

    return 0;
}


/* Java's id.split(":").length == 2: trailing empty parts do not count */
static dr_uint_t
dr_keeper_acl_digest_valid(dr_str_t *id)
{
    u_char     *p, *last, *start;
    dr_uint_t   parts, nonempty_end;

    p = id->data;
    last = p + id->len;

    parts = 0;
    nonempty_end = 0;
    start = p;

    for ( ;; ) {
        if (p == last || *p == ':') {
            parts++;

            if (p > start) {
                nonempty_end = parts;
            }

            if (p == last) {
                break;
            }

            start = p + 1;
        }

        p++;
    }

    return nonempty_end == 2;
}


/*
 * "a.b.c.d[/bits]" or an IPv6 address "[/bits]" as IPAuthenticationProvider
 * reads them: the address into <addr> (4 or 16 bytes, returned as the
 * bits of the whole address in <bits> when no /bits is given).
 */
static dr_uint_t
dr_keeper_acl_ip_valid(dr_str_t *expr, u_char *addr, dr_int_t *bits)
{
    u_char    *slash;
    size_t     len;
    dr_int_t   alen, b;

    slash = dr_strlchr(expr->data, expr->data + expr->len, '/');
    len = slash ? (size_t) (slash - expr->data) : expr->len;

    alen = dr_keeper_acl_addr(expr->data, len, addr);
    if (alen == DR_ERROR) {
        return 0;
    }

    *bits = alen * 8;

    if (slash) {
        len = (size_t) (expr->data + expr->len - slash - 1);

        if (dr_keeper_acl_java_int(slash + 1, len, &b)
            != DR_OK
            || b < 0 || b > alen * 8)
        {
            return 0;
        }

        *bits = b;
    }

    return 1;
}


/* the bytes of a v4 (4) or v6 (16) address; returns the length or DR_ERROR */
static dr_int_t
dr_keeper_acl_addr(u_char *p, size_t len, u_char *addr)
{
    u_char    *last, *dot;
    dr_int_t   v;
    dr_uint_t  i;

    if (dr_strlchr(p, p + len, ':')) {
        if (dr_inet6_addr(p, len, addr) != DR_OK) {
            return DR_ERROR;
        }

        return 16;
    }

    last = p + len;

    for (i = 0; i < 4; i++) {
        dot = dr_strlchr(p, last, '.');

        if ((i < 3) != (dot != NULL)) {
            return DR_ERROR;
        }

        if (dot == NULL) {
            dot = last;
        }

        if (dr_keeper_acl_java_int(p, (size_t) (dot - p), &v) != DR_OK
            || v < 0 || v > 255)
        {
            return DR_ERROR;
        }

        addr[i] = (u_char) v;
        p = dot + 1;
    }

    return 4;
}


/* Integer.parseInt(): an optional sign, then decimal digits, an int */
static dr_int_t
dr_keeper_acl_java_int(u_char *p, size_t len, dr_int_t *v)
{
    dr_int_t   n, sign;
    u_char    *last;

    last = p + len;
    sign = 1;

    if (p < last && (*p == '+' || *p == '-')) {
        sign = (*p == '-') ? -1 : 1;
        p++;
    }

    if (p == last) {
        return DR_ERROR;
    }

    n = 0;

    for ( /* void */ ; p < last; p++) {
        if (*p < '0' || *p > '9') {
            return DR_ERROR;
        }

        n = n * 10 + (*p - '0');

        if (n > (dr_int_t) INT32_MAX + 1) {
            return DR_ERROR;
        }
    }

    n *= sign;

    if (n > INT32_MAX || n < INT32_MIN) {
        return DR_ERROR;
    }

    *v = n;

    return DR_OK;
}


static dr_uint_t
dr_keeper_acl_ip_match(dr_str_t *client, dr_str_t *expr)
{
    u_char    acl[16], remote[16];
    dr_int_t  bits, alen, rlen, i, n;

    if (!dr_keeper_acl_ip_valid(expr, acl, &bits)) {
        return 0;
    }

    alen = dr_strlchr(expr->data, expr->data + expr->len, ':') ? 16 : 4;

    rlen = dr_keeper_acl_addr(client->data, client->len, remote);

    if (rlen != alen) {
        return 0;
    }

    for (i = 0; i < alen; i++) {
        n = bits - i * 8;

        if (n >= 8) {
            if (acl[i] != remote[i]) {
                return 0;
            }

            continue;
        }

        if (n <= 0) {
            break;
        }

        if ((acl[i] ^ remote[i]) & (0xff << (8 - n)) & 0xff) {
            return 0;
        }
    }

    return 1;
}


dr_int_t
dr_keeper_acl_write_masked(dr_zk_writer_t *wr, dr_zk_vec_t *acl,
    dr_uint_t admin)
{
    u_char            *colon;
    size_t             len;
    dr_zk_acl_t        a;
    dr_zk_vec_iter_t   it;

    if (admin) {
        return dr_zk_jute_write_vec(wr, DR_ZK_VEC_ACL, acl);
    }

    if (dr_zk_jute_write_int(wr, acl->nelts) != DR_OK) {
        return DR_ERROR;
    }

    it = dr_zk_vec_iter(acl);

    while (dr_zk_vec_next_acl(&it, &a) == DR_OK) {

        colon = NULL;

        if (dr_str_eq_lit(&a.id.scheme, "digest") && a.id.id.data) {
            colon = dr_strlchr(a.id.id.data, a.id.id.data + a.id.id.len,
                               ':');
        }

        if (colon == NULL) {
            if (dr_zk_jute_write_acl(wr, &a) != DR_OK) {
                return DR_ERROR;
            }

            continue;
        }

        /* ZooKeeper: id.replaceAll(":.*", ":x") for digest ids */

        len = (size_t) (colon - a.id.id.data);

        if (dr_zk_jute_write_int(wr, a.perms) != DR_OK
            || dr_zk_jute_write_ustring(wr, &a.id.scheme) != DR_OK
            || dr_zk_jute_write_int(wr, (int32_t) (len + 2)) != DR_OK
            || dr_zk_jute_write_raw(wr, a.id.id.data, len) != DR_OK
            || dr_zk_jute_write_raw(wr, (u_char *) ":x", 2) != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}
