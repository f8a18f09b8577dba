"""
ACLs and authentication with kazoo, against the keeper and ZooKeeper 3.8
(both with a super digest for "super:secret"): digest auth and ids, the
"auth" scheme, ip ACLs with CIDR, per-operation permission bits, getACL's
masking of digests without ADMIN, setACL and its version, super, and
AuthFailed closing the connection.
"""

import pytest

from kazoo.exceptions import (AuthFailedError, BadVersionError,
                              InvalidACLError, NoAuthError)
from kazoo.security import (ACL, Id, Permissions, make_acl,
                            make_digest_acl)

import zk_fixture as zf

SUPER = zf.digest("super", "secret")
OPEN = [make_acl("world", "anyone", all=True)]


@pytest.fixture(scope="module", params=["drover", "zookeeper"])
def server(request):
    srv = zf.make_server(request.param, tick_time=500, super_digest=SUPER)
    yield srv
    zf.finish_server(srv)


@pytest.fixture
def clients(server):
    made = []

    def make(*auth, **kw):
        c = server.client(auth_data=list(auth) or None, **kw)
        made.append(c)
        return c

    yield make
    for c in made:
        try:
            zf.stop_client(c)
        except Exception:
            pass


@pytest.fixture
def root(clients, request):
    admin = clients(("digest", "super:secret"))
    path = "/acl-" + request.node.name.replace("[", "-").replace("]", "")
    if admin.exists(path):
        admin.delete(path, recursive=True)
    admin.create(path, acl=OPEN)
    yield path
    if admin.connected:
        admin.delete(path, recursive=True)


def test_digest_acl_and_auth(clients, root):
    alice = clients(("digest", "alice:pw"))
    anon = clients()
    p = root + "/private"
    alice.create(p, b"secret", acl=[make_digest_acl("alice", "pw", all=True)])
    assert alice.get(p)[0] == b"secret"
    with pytest.raises(NoAuthError):
        anon.get(p)
    with pytest.raises(NoAuthError):
        anon.set(p, b"x")
    # exists needs nothing
    assert anon.exists(p).dataLength == 6
    anon.add_auth("digest", "alice:pw")
    assert anon.get(p)[0] == b"secret"


def test_permission_bits_per_operation(clients, root):
    owner = clients(("digest", "o:o"))
    other = clients(("digest", "x:x"))
    oid = Id("digest", zf.digest("o", "o"))
    xid = Id("digest", zf.digest("x", "x"))
    p = root + "/n"
    owner.create(p, b"d", acl=[ACL(Permissions.ALL, oid),
                               ACL(Permissions.READ, xid)])
    assert other.get(p)[0] == b"d"
    assert other.get_children(p) == []
    with pytest.raises(NoAuthError):
        other.set(p, b"x")                  # WRITE
    with pytest.raises(NoAuthError):
        other.create(p + "/c")              # CREATE on the parent
    owner.create(p + "/c")
    with pytest.raises(NoAuthError):
        other.delete(p + "/c")              # DELETE on the parent
    with pytest.raises(NoAuthError):
        other.set_acls(p, OPEN)             # ADMIN
    # getACL with READ but no ADMIN: digests masked
    acl, st = other.get_acls(p)
    assert [a.id.id for a in acl] == ["o:x", "x:x"]
    acl, st = owner.get_acls(p)
    assert [a.id.id for a in acl] == [oid.id, xid.id]


def test_auth_scheme_expands_to_the_digest(clients, root):
    bob = clients(("digest", "bob:pw"))
    p = root + "/auth"
    bob.create(p, acl=[ACL(Permissions.ALL, Id("auth", ""))])
    acl, _ = bob.get_acls(p)
    assert [(a.id.scheme, a.id.id) for a in acl] == [
        ("digest", zf.digest("bob", "pw"))]
    anon = clients()
    with pytest.raises(InvalidACLError):
        anon.create(root + "/auth2", acl=[ACL(Permissions.ALL,
                                              Id("auth", ""))])


def test_invalid_acls(clients, root):
    c = clients()
    for acl in ([ACL(Permissions.ALL, Id("digest", "nocolon"))],
                [ACL(Permissions.ALL, Id("ip", "300.1.1.1"))],
                [ACL(Permissions.ALL, Id("ip", "10.0.0.0/40"))],
                [ACL(Permissions.ALL, Id("sasl", "bob"))],
                [ACL(Permissions.ALL, Id("world", "everyone"))]):
        with pytest.raises(InvalidACLError):
            c.create(root + "/bad", acl=acl)


def test_ip_acls(clients, root):
    c = clients()
    allowed = root + "/mine"
    denied = root + "/theirs"
    c.create(allowed, b"1", acl=[ACL(Permissions.ALL,
                                     Id("ip", "127.0.0.0/8"))])
    c.create(denied, b"2", acl=[ACL(Permissions.ALL,
                                    Id("ip", "10.1.2.3"))])
    assert c.get(allowed)[0] == b"1"
    with pytest.raises(NoAuthError):
        c.get(denied)
    c.create(root + "/exact", b"3", acl=[ACL(Permissions.READ,
                                             Id("ip", "127.0.0.1"))])
    assert c.get(root + "/exact")[0] == b"3"


def test_set_acl_and_version(clients, root):
    c = clients(("digest", "a:a"))
    p = root + "/v"
    c.create(p, acl=OPEN)
    st = c.set_acls(p, [make_digest_acl("a", "a", all=True)])
    assert st.aversion == 1
    with pytest.raises(BadVersionError):
        c.set_acls(p, OPEN, version=0)
    st = c.set_acls(p, OPEN, version=1)
    assert st.aversion == 2


def test_super_can_do_anything(clients, root):
    owner = clients(("digest", "o:o"))
    p = root + "/locked"
    owner.create(p, b"x", acl=[make_digest_acl("o", "o", all=True)])
    admin = clients(("digest", "super:secret"))
    assert admin.get(p)[0] == b"x"
    admin.set(p, b"y")
    admin.delete(p)


def test_unknown_scheme_fails_auth(clients):
    c = clients()
    with pytest.raises(AuthFailedError):
        c.add_auth("nosuch", "x")


def test_digest_without_colon_is_accepted(clients):
    c = clients(("digest", "justaname"))
    assert c.get_children("/")
