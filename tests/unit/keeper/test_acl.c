/*
 * Unit tests of src/keeper/dr_keeper_acl.c: ZooKeeper's digest, the ip
 * provider's address/CIDR parsing and matching (Java's Integer.parseInt
 * rules), digest id validity (Java's split), checkACL per permission bit,
 * super, fixupACL (duplicates, "auth" expansion, InvalidACL cases), auth
 * packets and getACL's masking.
 */

#include "../../../src/keeper/dr_keeper_acl.c"

#include "keeper/keeper_test.h"


static dr_keeper_t  *k;


static void
setup(void)
{
    k = kt_keeper();
}


TestSuite(keeper_acl, .init = setup);


static dr_str_t
str(const char *s)
{
    dr_str_t  v;

    v.data = (u_char *) s;
    v.len = strlen(s);

    return v;
}


/* an encoded ACL vector of up to 4 entries, in <buf> */
static dr_zk_vec_t
acl_vec(u_char *buf, size_t size, int n, const char **ent)
{
    int             i;
    dr_zk_acl_t     a;
    dr_zk_vec_t     vec;
    dr_zk_reader_t  rd;
    dr_zk_writer_t  wr;

    wr = dr_zk_writer_init(buf, size);
    cr_assert_eq(dr_zk_jute_write_int(&wr, n), DR_OK);

    for (i = 0; i < n; i++) {
        a.perms = atoi(ent[3 * i]);
        a.id.scheme = str(ent[3 * i + 1]);
        a.id.id = str(ent[3 * i + 2]);
        cr_assert_eq(dr_zk_jute_write_acl(&wr, &a), DR_OK);
    }

    rd = dr_zk_reader_init(buf, dr_zk_writer_len(&wr));
    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_ACL, &vec), DR_OK);

    return vec;
}


Test(keeper_acl, digest_is_zookeepers)
{
    u_char    out[128];
    size_t    n;
    dr_str_t  cred;

    cred = str("super:secret");
    n = dr_keeper_acl_digest(&cred, out);
    cr_assert_eq(n, strlen("super:lK75jTNcA+U9vtVEw5vB51mj/w4="));
    cr_assert(memcmp(out, "super:lK75jTNcA+U9vtVEw5vB51mj/w4=", n) == 0);

    /* no colon: the whole credential is the user */
    cred = str("justaname");
    n = dr_keeper_acl_digest(&cred, out);
    cr_assert(memcmp(out, "justaname:XijmjXz0IUB2IJAChyRwpvP06OE=", n) == 0);

    /* the first colon splits; the digest is of everything */
    cred = str("a:b:c");
    n = dr_keeper_acl_digest(&cred, out);
    cr_assert(memcmp(out, "a:cLzgnoJ6mP5qz3w+mwvPE2vDgu0=", n) == 0);
}


Test(keeper_acl, java_parse_int)
{
    dr_int_t  v;

    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "010", 3, &v), DR_OK);
    cr_assert_eq(v, 10);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "+7", 2, &v), DR_OK);
    cr_assert_eq(v, 7);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "-0", 2, &v), DR_OK);
    cr_assert_eq(v, 0);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "-", 1, &v), DR_ERROR);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "", 0, &v), DR_ERROR);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "1a", 2, &v), DR_ERROR);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "2147483648", 10, &v),
                 DR_ERROR);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "-2147483648", 11, &v),
                 DR_OK);
    cr_assert_eq(dr_keeper_acl_java_int((u_char *) "99999999999999999999",
                                        20, &v), DR_ERROR);
}


Test(keeper_acl, digest_id_validity_as_java_split)
{
    struct {
        const char  *id;
        dr_uint_t    ok;
    } t[] = {
        { "a:b", 1 }, { ":b", 1 }, { "a:b:", 1 }, { "a:b::", 1 },
        { "a:", 0 }, { "a", 0 }, { "", 0 }, { ":", 0 }, { "::", 0 },
        { "a::b", 0 }, { "a:b:c", 0 },
    };
    dr_uint_t  i;
    dr_str_t   s;

    for (i = 0; i < dr_nelems(t); i++) {
        s = str(t[i].id);
        cr_assert_eq(dr_keeper_acl_digest_valid(&s), t[i].ok, "%s", t[i].id);
    }
}


Test(keeper_acl, ip_expressions)
{
    struct {
        const char  *expr;
        dr_uint_t    valid;
    } t[] = {
        { "127.0.0.1", 1 }, { "10.0.0.0/8", 1 }, { "10.0.0.0/0", 1 },
        { "10.0.0.1/32", 1 }, { "010.000.000.001", 1 }, { "::1", 1 },
        { "fe80::/10", 1 }, { "::1/128", 1 },
        { "10.0.0.0/33", 0 }, { "10.0.0.0/-1", 0 }, { "256.0.0.1", 0 },
        { "1.2.3", 0 }, { "1.2.3.4.5", 0 }, { "a.b.c.d", 0 }, { "", 0 },
        { "1.2.3.4/", 0 }, { "::1/129", 0 }, { "all", 0 }, { "1..2.3", 0 },
    };
    u_char     addr[16];
    dr_int_t   bits;
    dr_uint_t  i;
    dr_str_t   s;

    for (i = 0; i < dr_nelems(t); i++) {
        s = str(t[i].expr);
        cr_assert_eq(dr_keeper_acl_ip_valid(&s, addr, &bits), t[i].valid,
                     "%s", t[i].expr);
    }
}


Test(keeper_acl, ip_matching)
{
    struct {
        const char  *client;
        const char  *expr;
        dr_uint_t    match;
    } t[] = {
        { "127.0.0.1", "127.0.0.1", 1 },
        { "127.0.0.1", "127.0.0.0/8", 1 },
        { "127.1.2.3", "127.0.0.0/8", 1 },
        { "128.0.0.1", "127.0.0.0/8", 0 },
        { "10.1.2.3", "10.1.2.0/23", 1 },
        { "10.1.3.3", "10.1.2.0/23", 1 },
        { "10.1.4.3", "10.1.2.0/23", 0 },
        { "10.1.2.3", "10.1.2.7/29", 1 },      /* host bits are masked */
        { "1.2.3.4", "0.0.0.0/0", 1 },
        { "127.0.0.1", "::1", 0 },              /* lengths differ */
        { "0:0:0:0:0:0:0:1", "::1", 1 },
        { "fe80:0:0:0:0:0:0:1", "fe80::/10", 1 },
        { "fec0:0:0:0:0:0:0:1", "fe80::/10", 0 },
    };
    dr_uint_t  i;
    dr_str_t   c, e;

    for (i = 0; i < dr_nelems(t); i++) {
        c = str(t[i].client);
        e = str(t[i].expr);
        cr_assert_eq(dr_keeper_acl_ip_match(&c, &e), t[i].match, "%s in %s",
                     t[i].client, t[i].expr);
    }
}


Test(keeper_acl, connection_ids)
{
    dr_keeper_conn_t     *kc;
    dr_zk_auth_packet_t   ap;

    kc = kt_conn(k, "127.0.0.1", 5000);
    cr_assert_eq(kc->nauth, 1);
    cr_assert(dr_str_eq_lit(&kc->auth[0].scheme, "ip"));
    cr_assert(dr_str_eq_lit(&kc->auth[0].id, "127.0.0.1"));

    dr_memzero(&ap, sizeof(ap));
    ap.scheme = str("digest");
    ap.auth = str("bob:pw");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);      /* no duplicate */
    cr_assert_eq(kc->nauth, 2);
    cr_assert(dr_str_eq_lit(&kc->auth[1].id,
                            "bob:ikIaKsbtGweaHnb/jKn7OHqbunM="));
    cr_assert_eq(kc->super, 0);

    ap.scheme = str("ip");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);
    cr_assert_eq(kc->nauth, 2);

    ap.scheme = str("sasl");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_ZK_AUTHFAILED);
    ap.scheme = str("world");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_ZK_AUTHFAILED);

    ap.scheme = str("digest");
    ap.auth.data = NULL;
    ap.auth.len = 0;
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_ZK_AUTHFAILED);
}


Test(keeper_acl, super_digest)
{
    dr_keeper_conn_t     *kc;
    dr_zk_auth_packet_t   ap;
    u_char                buf[256];
    const char           *ent[] = { "31", "digest", "other:xxx" };
    dr_zk_vec_t           acl;

    kt_conf.super_digest = str("super:lK75jTNcA+U9vtVEw5vB51mj/w4=");

    kc = kt_conn(k, "127.0.0.1", 5001);
    acl = acl_vec(buf, sizeof(buf), 1, ent);
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_READ),
                 DR_ZK_NOAUTH);

    dr_memzero(&ap, sizeof(ap));
    ap.scheme = str("digest");
    ap.auth = str("super:secret");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);
    cr_assert_eq(kc->super, 1);
    cr_assert(dr_str_eq_lit(&kc->auth[1].scheme, "super"));
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_ADMIN), DR_ZK_OK);
}


Test(keeper_acl, checks_per_permission_bit)
{
    dr_keeper_conn_t     *kc;
    dr_zk_auth_packet_t   ap;
    u_char                buf[512];
    dr_zk_vec_t           acl;
    const char           *ent[] = {
        "1", "ip", "10.0.0.0/8",
        "3", "digest", "bob:ikIaKsbtGweaHnb/jKn7OHqbunM=",
        "16", "ip", "127.0.0.1",
    };

    kc = kt_conn(k, "127.0.0.1", 5002);
    acl = acl_vec(buf, sizeof(buf), 3, ent);

    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_READ),
                 DR_ZK_NOAUTH);
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_ADMIN), DR_ZK_OK);
    cr_assert_eq(dr_keeper_acl_check(kc, &acl,
                                     DR_ZK_PERM_READ|DR_ZK_PERM_ADMIN),
                 DR_ZK_OK);

    dr_memzero(&ap, sizeof(ap));
    ap.scheme = str("digest");
    ap.auth = str("bob:pw");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);

    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_READ), DR_ZK_OK);
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_WRITE), DR_ZK_OK);
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_CREATE),
                 DR_ZK_NOAUTH);
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_DELETE),
                 DR_ZK_NOAUTH);

    /* an empty ACL lets everyone in */
    acl.nelts = 0;
    cr_assert_eq(dr_keeper_acl_check(kc, &acl, DR_ZK_PERM_DELETE), DR_ZK_OK);
}


static int32_t
fixup(dr_keeper_conn_t *kc, int n, const char **ent, u_char *out,
    size_t size, int32_t *nout)
{
    u_char          in[512];
    int32_t         rc;
    dr_zk_vec_t     vec;
    dr_zk_writer_t  wr;

    vec = acl_vec(in, sizeof(in), n, ent);
    wr = dr_zk_writer_init(out, size);

    rc = dr_keeper_acl_fixup(kc, &vec, &wr);

    if (rc == DR_ZK_OK) {
        *nout = (int32_t) dr_keeper_get32(out);
    }

    return rc;
}


Test(keeper_acl, fixup)
{
    int32_t               n;
    u_char                out[1024];
    dr_keeper_conn_t     *kc;
    dr_zk_auth_packet_t   ap;
    const char           *dup[] = { "31", "world", "anyone",
                                    "31", "world", "anyone",
                                    "1", "world", "anyone" };
    const char           *auth[] = { "5", "auth", "ignored" };
    const char           *bad[][3] = {
        { "31", "world", "everyone" }, { "31", "digest", "nocolon" },
        { "31", "ip", "1.2.3.4/40" }, { "31", "sasl", "bob" },
        { "31", "x509", "CN=x" }, { "31", "super", "" },
    };
    dr_uint_t             i;

    kc = kt_conn(k, "127.0.0.1", 5003);

    cr_assert_eq(fixup(kc, 3, dup, out, sizeof(out), &n), DR_ZK_OK);
    cr_assert_eq(n, 2);

    cr_assert_eq(fixup(kc, 0, dup, out, sizeof(out), &n), DR_ZK_INVALIDACL);

    /* "auth" with only the ip id: nothing authenticated */
    cr_assert_eq(fixup(kc, 1, auth, out, sizeof(out), &n), DR_ZK_INVALIDACL);

    dr_memzero(&ap, sizeof(ap));
    ap.scheme = str("digest");
    ap.auth = str("bob:pw");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);
    ap.auth = str("eve:pw");
    cr_assert_eq(dr_keeper_acl_auth(kc, &ap), DR_OK);

    cr_assert_eq(fixup(kc, 1, auth, out, sizeof(out), &n), DR_ZK_OK);
    cr_assert_eq(n, 2);                 /* both digests, perms kept */
    cr_assert_eq(dr_keeper_get32(out + 4), 5);

    for (i = 0; i < dr_nelems(bad); i++) {
        cr_assert_eq(fixup(kc, 1, bad[i], out, sizeof(out), &n),
                     DR_ZK_INVALIDACL, "%s:%s", bad[i][1], bad[i][2]);
    }

    /* too small an output: DR_ERROR, the caller grows it */
    cr_assert_eq(fixup(kc, 3, dup, out, 10, &n), DR_ERROR);
}


Test(keeper_acl, get_acl_masks_digests)
{
    u_char            buf[512], out[512];
    dr_zk_vec_t       acl, back;
    dr_zk_reader_t    rd;
    dr_zk_writer_t    wr;
    dr_zk_acl_t       a;
    dr_zk_vec_iter_t  it;
    const char       *ent[] = { "31", "digest", "bob:ikIaKsbtGweaHnb",
                                "1", "world", "anyone",
                                "1", "digest", "nocolon" };

    acl = acl_vec(buf, sizeof(buf), 3, ent);

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_keeper_acl_write_masked(&wr, &acl, 0), DR_OK);

    rd = dr_zk_reader_init(out, dr_zk_writer_len(&wr));
    cr_assert_eq(dr_zk_jute_read_vec(&rd, DR_ZK_VEC_ACL, &back), DR_OK);
    it = dr_zk_vec_iter(&back);

    cr_assert_eq(dr_zk_vec_next_acl(&it, &a), DR_OK);
    cr_assert(dr_str_eq_lit(&a.id.id, "bob:x"));
    cr_assert_eq(dr_zk_vec_next_acl(&it, &a), DR_OK);
    cr_assert(dr_str_eq_lit(&a.id.id, "anyone"));
    cr_assert_eq(dr_zk_vec_next_acl(&it, &a), DR_OK);
    cr_assert(dr_str_eq_lit(&a.id.id, "nocolon"));

    wr = dr_zk_writer_init(out, sizeof(out));
    cr_assert_eq(dr_keeper_acl_write_masked(&wr, &acl, 1), DR_OK);
    cr_assert_eq(dr_zk_writer_len(&wr), (size_t) (acl.end - acl.start) + 4);
}
