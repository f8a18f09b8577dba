/*
 * A ZooKeeper C client (libzookeeper_mt 3.8) scenario for
 * test_keeper_cclient.py: run against the keeper and against ZooKeeper, it
 * prints one line per step; the two outputs must be the same. Zxids,
 * times and session ids are not printed (they differ between servers),
 * their relations are.
 *
 *   keeper_cclient host:port
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <pthread.h>
#include <zookeeper/zookeeper.h>


static pthread_mutex_t  lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t   cond = PTHREAD_COND_INITIALIZER;
static int              connected;
static char             events[16][128];
static int              nevents;


static void
watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void) zh;
    (void) ctx;

    pthread_mutex_lock(&lock);

    if (type == ZOO_SESSION_EVENT) {
        if (state == ZOO_CONNECTED_STATE) {
            connected = 1;
        }

    } else if (nevents < 16) {
        snprintf(events[nevents++], sizeof(events[0]), "event %d %s", type,
                 path);
    }

    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
}


static void
wait_events(int n)
{
    int  i;

    pthread_mutex_lock(&lock);

    for (i = 0; i < 50 && nevents < n; i++) {
        pthread_mutex_unlock(&lock);
        usleep(100000);
        pthread_mutex_lock(&lock);
    }

    for (i = 0; i < nevents; i++) {
        printf("%s\n", events[i]);
    }

    nevents = 0;
    pthread_mutex_unlock(&lock);
}


int
main(int argc, char **argv)
{
    int                  rc, i, len;
    char                 buf[256], path[256];
    struct Stat          st, st2;
    struct String_vector kids;
    struct ACL           digest_acl[1];
    struct ACL_vector    acl;
    zoo_op_t             ops[3];
    zoo_op_result_t      results[3];
    zhandle_t           *zh;

    if (argc != 2) {
        fprintf(stderr, "usage: keeper_cclient host:port\n");
        return 2;
    }

    zoo_set_debug_level(ZOO_LOG_LEVEL_ERROR);

    zh = zookeeper_init(argv[1], watcher, 10000, NULL, NULL, 0);
    if (zh == NULL) {
        perror("zookeeper_init");
        return 1;
    }

    for (i = 0; i < 100 && !connected; i++) {
        usleep(50000);
    }

    printf("connected %d timeout %d\n", connected, zoo_recv_timeout(zh));

    rc = zoo_create(zh, "/cc", "hello", 5, &ZOO_OPEN_ACL_UNSAFE, 0, path,
                    sizeof(path));
    printf("create %d %s\n", rc, path);

    rc = zoo_create(zh, "/cc", "again", 5, &ZOO_OPEN_ACL_UNSAFE, 0, path,
                    sizeof(path));
    printf("create again %d\n", rc);

    rc = zoo_create2(zh, "/cc/e-", NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
                     ZOO_EPHEMERAL_SEQUENTIAL, path, sizeof(path), &st);
    printf("create2 %d %s owner-is-me %d datalen %d\n", rc, path,
           st.ephemeralOwner == zoo_client_id(zh)->client_id,
           st.dataLength);

    rc = zoo_create(zh, "/cc/box", NULL, -1, &ZOO_OPEN_ACL_UNSAFE,
                    ZOO_CONTAINER, path, sizeof(path));
    printf("container %d %s\n", rc, path);

    len = sizeof(buf);
    rc = zoo_get(zh, "/cc", 1, buf, &len, &st);
    printf("get %d %.*s version %d children %d cversion %d\n", rc, len, buf,
           st.version, st.numChildren, st.cversion);

    rc = zoo_set(zh, "/cc", "world", 5, 0);
    printf("set %d\n", rc);
    wait_events(1);

    rc = zoo_set(zh, "/cc", "x", 1, 0);
    printf("set stale %d\n", rc);

    rc = zoo_get_children(zh, "/cc", 1, &kids);
    printf("children %d %d\n", rc, kids.count);
    deallocate_String_vector(&kids);

    rc = zoo_exists(zh, "/cc/nope", 1, &st2);
    printf("exists %d\n", rc);

    zoo_create_op_init(&ops[0], "/cc/m1", "1", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
                       NULL, 0);
    zoo_create_op_init(&ops[1], "/cc", "2", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
                       NULL, 0);
    zoo_set_op_init(&ops[2], "/cc", "y", 1, 99, NULL);
    rc = zoo_multi(zh, 3, ops, results);
    printf("multi %d %d %d %d\n", rc, results[0].err, results[1].err,
           results[2].err);

    zoo_create_op_init(&ops[0], "/cc/m1", "1", 1, &ZOO_OPEN_ACL_UNSAFE, 0,
                       NULL, 0);
    zoo_delete_op_init(&ops[1], "/cc/m1", -1);
    rc = zoo_multi(zh, 2, ops, results);
    printf("multi create+delete %d %d %d\n", rc, results[0].err,
           results[1].err);

    wait_events(1);

    rc = zoo_add_auth(zh, "digest", "alice:pw", 8, NULL, NULL);
    usleep(200000);
    printf("auth %d\n", rc);

    digest_acl[0].perms = ZOO_PERM_ALL;
    digest_acl[0].id.scheme = "auth";
    digest_acl[0].id.id = "";
    acl.count = 1;
    acl.data = digest_acl;

    rc = zoo_create(zh, "/cc/private", "s", 1, &acl, 0, path, sizeof(path));
    printf("create private %d\n", rc);

    rc = zoo_get_acl(zh, "/cc/private", &acl, &st);
    printf("acl %d %d %s %s\n", rc, acl.count, acl.data[0].id.scheme,
           acl.data[0].id.id);
    deallocate_ACL_vector(&acl);

    rc = zoo_delete(zh, "/cc/private", -1);
    rc = zoo_delete(zh, "/cc/box", -1);
    printf("delete box %d\n", rc);

    rc = zookeeper_close(zh);
    printf("close %d\n", rc);

    zh = zookeeper_init(argv[1], watcher, 10000, NULL, NULL, 0);
    connected = 0;
    for (i = 0; i < 100 && !connected; i++) {
        usleep(50000);
    }

    rc = zoo_get_children(zh, "/cc", 0, &kids);
    printf("after close %d %d\n", rc, kids.count);
    deallocate_String_vector(&kids);

    rc = zoo_delete(zh, "/cc", -1);
    printf("cleanup %d\n", rc);

    zookeeper_close(zh);

    return 0;
}
