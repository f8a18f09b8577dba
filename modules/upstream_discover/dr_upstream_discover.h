/*
 * Service discovery: upstream pools fed by znodes of the embedded keeper or
 * of any ZooKeeper ensemble (docs/discovery.md is the user's view).
 *
 *   dr_upstream_discover_module.c  the `discover` directive, its checks,
 *                                  the agent task it registers per pool
 *   dr_upstream_discover_parse.c   registrations (host:port, JSON/YAML,
 *                                  Curator, Dubbo URLs), filters and
 *                                  override documents: pure code
 *   dr_upstream_discover_agent.c   the agent process side: ZooKeeper
 *                                  clients, watches, publishing
 *
 * Only this module knows both src/upstream and src/zk.
 */
#ifndef DR_UPSTREAM_DISCOVER_H_INCLUDED
#define DR_UPSTREAM_DISCOVER_H_INCLUDED

#include "dr_upstream.h"
#include "dr_zk_client.h"


/* the embedded keeper's list of sessions that lost their connection */
#define DR_UPSTREAM_DISCOVER_VNODE     "/zookeeper/drover/disconnected"

/* a registration's data beyond this is skipped (Curator's are < 1 KiB) */
#define DR_UPSTREAM_DISCOVER_MAX_DATA  (64 * 1024)

#define DR_UPSTREAM_DISCOVER_AUTO      0    /* data, or Dubbo by the path */
#define DR_UPSTREAM_DISCOVER_DATA      1    /* host:port, JSON or YAML */
#define DR_UPSTREAM_DISCOVER_DUBBO     2    /* URL-encoded child names */


/*
 * One registration as parsed: an address and what the registration says
 * of it. Text fields are copies (libyaml owns what it parsed), bounded;
 * -1 in an integer field means "not said".
 */
typedef struct {
    u_char                     host[256];   /* no brackets for IPv6 */
    size_t                     host_len;
    in_port_t                  port;

    /* the address, when host is a literal one (else resolved later) */
    dr_sockaddr_t              sockaddr;
    socklen_t                  socklen;

    dr_int_t                   weight;
    dr_int_t                   max_conns;
    dr_int_t                   backup;
    dr_uint_t                  enabled;     /* 0: registered as disabled */

    u_char                     version[64];
    size_t                     version_len;
    unsigned                   has_version:1;
    u_char                     group[64];
    size_t                     group_len;
    unsigned                   has_group:1;
    u_char                     protocol[32];    /* Dubbo: "rest", "tri" */
    size_t                     protocol_len;
    u_char                     tags[256];   /* "a,b,c" */
    size_t                     tags_len;
} dr_upstream_discover_instance_t;

/*
 * The selection of a source: each array holds dr_str_t values, NULL when
 * the parameter was not given (no filter). "*" in versions or groups
 * matches anything; an empty value matches instances that have none.
 */
typedef struct {
    dr_array_t                *versions;
    dr_array_t                *groups;
    dr_array_t                *protocols;
    dr_array_t                *tags;        /* all of them required */
} dr_upstream_discover_filter_t;

/* one entry of an override document (-1: not said) */
typedef struct {
    dr_str_t                   key;         /* znode name or host:port */
    dr_int_t                   weight;
    dr_int_t                   down;
    dr_int_t                   drain;
} dr_upstream_discover_override_t;


/* one `discover` line */
typedef struct {
    dr_str_t                   url;         /* as written, for messages */
    dr_str_t                   hosts;       /* "h1:2181,h2:2181", sorted */
    dr_str_t                   path;        /* "/services/app" */
    dr_str_t                   auth;        /* "user:password" or empty */
    dr_uint_t                  format;      /* DR_UPSTREAM_DISCOVER_* */
    dr_upstream_discover_filter_t  filter;

    /* what instances get unless their registration says otherwise */
    dr_int_t                   weight;
    dr_uint_t                  max_conns;
    dr_uint_t                  max_fails;
    dr_msec_t                  fail_timeout;
    dr_msec_t                  slow_start;
    dr_uint_t                  backup;

    dr_msec_t                  empty_guard;
    dr_msec_t                  session_timeout;
    dr_str_t                   overrides;   /* a path; empty: off */

    dr_str_t                   raw;         /* the words, for fingerprints */
    u_char                    *file_name;
    dr_uint_t                  line;
} dr_upstream_discover_source_conf_t;

/* us->discover */
typedef struct {
    dr_array_t                 sources;     /* ..._source_conf_t */
    dr_upstream_conf_t        *us;
    dr_msec_t                  empty_guard; /* the largest of the sources' */
    dr_str_t                   fingerprint;
} dr_upstream_discover_conf_t;


/* dr_upstream_discover_parse.c: parsers own nothing they are given */

/*
 * A registration's data: "host:port" (IPv6 in brackets), or a JSON/YAML
 * mapping (Curator's ServiceInstance, drover's own fields, a Spring Cloud
 * payload). DR_OK with <inst> filled; DR_ERROR with *err a static phrase
 * ("no port", "not a mapping") for the warning that names the znode.
 */
dr_int_t dr_upstream_discover_parse_data(u_char *data, size_t len,
    dr_upstream_discover_instance_t *inst, const char **err);
/*
 * A Dubbo provider's child name: the URL-encoded provider URL
 * ("dubbo%3A%2F%2F10.0.0.1%3A20880%2Fcom.Svc%3Fweight%3D5..."). Honours
 * weight, enabled, disabled, version and group. DR_OK / DR_ERROR as above.
 */
dr_int_t dr_upstream_discover_parse_dubbo(u_char *name, size_t len,
    dr_upstream_discover_instance_t *inst, const char **err);
/*
 * Sets inst->sockaddr from a literal host: DR_OK; DR_DECLINED when the
 * host is a name (the caller resolves it); DR_ERROR if invalid.
 */
dr_int_t dr_upstream_discover_parse_addr(dr_upstream_discover_instance_t *inst);
/* 1 if <inst> passes <filter> */
dr_uint_t dr_upstream_discover_parse_match(dr_upstream_discover_filter_t *f,
    dr_upstream_discover_instance_t *inst);
/*
 * An override document: a YAML/JSON mapping of instance (znode name or
 * host:port) -> { weight: N, down: bool, drain: bool }. Empty or null data
 * is no override. DR_OK with *out / *n allocated in <pool>; DR_ERROR with
 * *err. The keys are copies in <pool>.
 */
dr_int_t dr_upstream_discover_parse_overrides(u_char *data, size_t len,
    dr_pool_t *pool, dr_upstream_discover_override_t **out, dr_uint_t *n,
    const char **err);
/*
 * The keeper's disconnected-session list: one "0x<hex>" id per line.
 * Writes up to <max> ids into <ids>, sorted; returns how many, or
 * DR_ERROR if malformed or longer than <max>.
 */
dr_int_t dr_upstream_discover_parse_sessions(u_char *data, size_t len,
    int64_t *ids, dr_uint_t max);


/* dr_upstream_discover_agent.c: the agent process */

/* the agent task of a pool (dr_upstream_agent_init_pt) */
dr_int_t dr_upstream_discover_agent_init(dr_cycle_t *cycle,
    dr_upstream_conf_t *us, void *data);
/* the agent exits: closes the sessions, frees everything */
void dr_upstream_discover_agent_exit(dr_cycle_t *cycle);

#endif /* DR_UPSTREAM_DISCOVER_H_INCLUDED */
