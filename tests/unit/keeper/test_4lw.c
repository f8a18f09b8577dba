/*
 * Unit tests of src/keeper/dr_keeper_4lw.c: the words known and their
 * bits, the whitelist refusal, and the exact text of ruok, isro, srvr,
 * stat, cons, wchs, wchc, wchp, dump, conf, mntr, crst and srst in
 * ZooKeeper 3.8's formats (ServerCnxn.dumpConnectionInfo(), the commands
 * of org.apache.zookeeper.server.command), and that the connection closes
 * once the answer is out.
 */

#include "keeper/keeper_test.h"


static dr_keeper_t  *k;
static char          text[65536];


static void
setup(void)
{
    k = kt_keeper();
    dr_current_msec = 7000000;
}


TestSuite(keeper_4lw, .init = setup);


/* the answer to <word> on a fresh connection, as a C string */
static const char *
ask(const char *word)
{
    size_t             n;
    dr_keeper_conn_t  *kc;

    kc = kt_conn(k, "127.0.0.1", 40000);

    cr_assert_eq(dr_keeper_4lw(kc, (u_char *) word), DR_OK);
    cr_assert(kc->closing);
    cr_assert(kc->four);

    n = kt_output(kc, (u_char *) text, sizeof(text) - 1);
    text[n] = '\0';

    /* as if the answer was written: the connection leaves */

    dr_queue_remove(&kc->queue);
    k->nconns--;

    return text;
}


Test(keeper_4lw, words)
{
    const char  *known[] = { "ruok", "stat", "srvr", "mntr", "cons", "wchs",
                             "dump", "conf", "envi", "isro", "wchc", "wchp",
                             "crst", "srst", "dirs" };
    dr_uint_t    i, all;

    all = 0;

    for (i = 0; i < dr_nelems(known); i++) {
        all |= dr_keeper_4lw_bit((u_char *) known[i], 4);
    }

    cr_assert_eq(all, DR_KEEPER_4LW_ALL);
    cr_assert_eq(dr_keeper_4lw_bit((u_char *) "gtmk", 4), 0);
    cr_assert_eq(dr_keeper_4lw_bit((u_char *) "RUOK", 4), 0);
    cr_assert_eq(dr_keeper_4lw_bit((u_char *) "ruok", 3), 0);

    /* not a word: the ConnectRequest's length, not answered here */

    cr_assert_eq(dr_keeper_4lw(kt_conn(k, "127.0.0.1", 1),
                               (u_char *) "\0\0\0-"), DR_DECLINED);
}


Test(keeper_4lw, ruok_isro_whitelist)
{
    cr_assert_str_eq(ask("ruok"), "imok");
    cr_assert_str_eq(ask("isro"), "rw");

    kt_conf.four_letter_words = DR_KEEPER_4LW_RUOK;
    cr_assert_str_eq(ask("ruok"), "imok");
    cr_assert_str_eq(ask("mntr"),
                     "mntr is not executed because it is not in the "
                     "whitelist.\n");
}


Test(keeper_4lw, srvr)
{
    char  expect[512];

    k->received = 3;
    k->sent = 2;
    k->last_zxid = 0x1a;

    snprintf(expect, sizeof(expect),
             "Zookeeper version: %s\n"
             "Latency min/avg/max: 0/0.0/0\n"
             "Received: 4\nSent: 2\nConnections: 1\nOutstanding: 0\n"
             "Zxid: 0x1a\nMode: standalone\nNode count: 5\n",
             DR_KEEPER_ZK_VERSION);

    cr_assert_str_eq(ask("srvr"), expect);
}


Test(keeper_4lw, latency_as_java_prints_it)
{
    k->latency.min = 1;
    k->latency.max = 12;
    k->latency.total = 15;
    k->latency.count = 7;

    cr_assert(strstr(ask("srvr"), "\nLatency min/avg/max: 1/2.1429/12\n"));

    k->latency.total = 14;
    cr_assert(strstr(ask("srvr"), "\nLatency min/avg/max: 1/2.0/12\n"));

    k->latency.total = 7;
    k->latency.count = 2;
    cr_assert(strstr(ask("srvr"), "\nLatency min/avg/max: 1/3.5/12\n"));
}


Test(keeper_4lw, stat_and_cons)
{
    const char        *s;
    dr_keeper_conn_t  *kc;

    kc = kt_session_conn(k, "127.0.0.1", 5555);
    kc->received = 7;
    kc->sent = 6;
    kc->last_op = "GETD";
    kc->last_cxid = 0x2a;
    kc->last_zxid = 0x1f;
    kc->established = 1700000000123;
    kc->last_response = 7000000;
    kc->latency.min = 0;
    kc->latency.max = 4;
    kc->latency.total = 5;
    kc->latency.count = 2;
    kc->latency.last = 1;

    s = ask("stat");
    cr_assert(strstr(s, "\nClients:\n /127.0.0.1:5555[1](queued=0,recved=7,"
                        "sent=6)\n /127.0.0.1:40000[0](queued=0,recved=1,"
                        "sent=0)\n\nLatency min/avg/max: "), "%s", s);

    s = ask("cons");
    cr_assert(strstr(s, " /127.0.0.1:5555[1](queued=0,recved=7,sent=6,"), "%s",
              s);
    cr_assert(strstr(s, ",lop=GETD,est=1700000000123,to=10000,lcxid=0x2a,"
                        "lzxid=0x1f,lresp=7000000,llat=1,minlat=0,avglat=2,"
                        "maxlat=4)\n"), "%s", s);
    cr_assert(strstr(s, " /127.0.0.1:40000[0](queued=0,recved=1,sent=0)\n\n"),
              "%s", s);

    cr_assert_str_eq(ask("crst"), "Connection stats reset.\n");
    cr_assert_eq(kc->received, 0);
    cr_assert_eq(kc->latency.count, 0);

    cr_assert_str_eq(ask("srst"), "Server stats reset.\n");
    cr_assert_eq(k->received, 0);
}


Test(keeper_4lw, watches)
{
    dr_str_t           p1, p2;
    const char        *s;
    char               expect[256];
    dr_keeper_conn_t  *kc;

    kc = kt_session_conn(k, "127.0.0.1", 5556);

    dr_str_set(&p1, "/a");
    dr_str_set(&p2, "/b");

    cr_assert_eq(dr_keeper_watch_add(kc, &p1, DR_KEEPER_WATCH_DATA,
                                     DR_KEEPER_WATCH_STANDARD), DR_OK);
    cr_assert_eq(dr_keeper_watch_add(kc, &p2, DR_KEEPER_WATCH_DATA,
                                     DR_KEEPER_WATCH_STANDARD), DR_OK);
    cr_assert_eq(dr_keeper_watch_add(kc, &p2, DR_KEEPER_WATCH_CHILD,
                                     DR_KEEPER_WATCH_STANDARD), DR_OK);

    /* data watches only, as DataTree.getWatchesSummary() */

    cr_assert_str_eq(ask("wchs"),
                     "1 connections watching 2 paths\nTotal watches:2\n");

    snprintf(expect, sizeof(expect), "0x%llx\n\t/a\n\t/b\n\n",
             (unsigned long long) kc->session->id);
    cr_assert_str_eq(ask("wchc"), expect);

    s = ask("wchp");
    snprintf(expect, sizeof(expect), "/a\n\t0x%llx\n",
             (unsigned long long) kc->session->id);
    cr_assert(strstr(s, expect), "%s", s);
    snprintf(expect, sizeof(expect), "/b\n\t0x%llx\n",
             (unsigned long long) kc->session->id);
    cr_assert(strstr(s, expect), "%s", s);
}


Test(keeper_4lw, dump)
{
    u_char             body[256];
    size_t             len;
    char               expect[256];
    const char        *s;
    dr_keeper_conn_t  *kc;

    kc = kt_session_conn(k, "127.0.0.1", 5557);

    len = kt_create_body(body, "/eph", "", DR_ZK_CREATE_EPHEMERAL);
    cr_assert_eq(kt_request(kc, 1, DR_ZK_OPCODE_CREATE, body, len), DR_OK);

    s = ask("dump");

    cr_assert(strncmp(s, "SessionTracker dump:\nSession Sets (1)/(1):\n1 "
                         "expire at ",
                      sizeof("SessionTracker dump:\nSession Sets (1)/(1):\n1 "
                             "expire at ") - 1) == 0, "%s", s);
    snprintf(expect, sizeof(expect), ":\n\t0x%llx\nephemeral nodes dump:\n"
             "Sessions with Ephemerals (1):\n0x%llx:\n\t/eph\n"
             "Connections dump:\nConnections Sets (1)/(2):\n2 expire at ",
             (unsigned long long) kc->session->id,
             (unsigned long long) kc->session->id);
    cr_assert(strstr(s, expect), "%s", s);
    snprintf(expect, sizeof(expect),
             "\tip: /127.0.0.1:5557 sessionId: 0x%llx\n"
             "\tip: /127.0.0.1:40000 sessionId: 0x0\n",
             (unsigned long long) kc->session->id);
    cr_assert(strstr(s, expect), "%s", s);
}


Test(keeper_4lw, conf_dirs_envi)
{
    cr_assert_str_eq(ask("conf"),
                     "clientPort=2181\nsecureClientPort=-1\n"
                     "dataDir=/nonexistent/keeper\ndataDirSize=0\n"
                     "dataLogDir=/nonexistent/keeper\ndataLogSize=0\n"
                     "tickTime=2000\nmaxClientCnxns=60\n"
                     "minSessionTimeout=4000\nmaxSessionTimeout=40000\n"
                     "clientPortListenBacklog=-1\nserverId=0\n");

    cr_assert_str_eq(ask("dirs"), "datadir_size: 0\nlogdir_size: 0\n");

    cr_assert(strncmp(ask("envi"), "Environment:\nzookeeper.version=3.8.0-",
                      sizeof("Environment:\nzookeeper.version=3.8.0-") - 1)
              == 0);
    cr_assert(strstr(text, "\nhost.name=testhost\n"));
}


Test(keeper_4lw, mntr)
{
    const char  *s;

    k->tree->nephemerals = 3;
    k->nwatches = 4;
    k->nsessions = 2;

    s = ask("mntr");

    cr_assert(strncmp(s, "zk_version\t3.8.0-", 17) == 0);
    cr_assert(strstr(s, "\nzk_server_state\tstandalone\n"));
    cr_assert(strstr(s, "\nzk_ephemerals_count\t3\n"));
    cr_assert(strstr(s, "\nzk_num_alive_connections\t1\n"));
    cr_assert(strstr(s, "\nzk_avg_latency\t0.0\n"));
    cr_assert(strstr(s, "\nzk_znode_count\t5\n"));
    cr_assert(strstr(s, "\nzk_watch_count\t4\n"));
    cr_assert(strstr(s, "\nzk_global_sessions\t2\n"));
    cr_assert(strstr(s, "\nzk_min_latency\t0\n"));
    cr_assert(strstr(s, "\nzk_approximate_data_size\t"));
    cr_assert(s[strlen(s) - 1] == '\n');
}
