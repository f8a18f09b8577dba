/*
 * The keeper{} block: configuration of the embedded ZooKeeper-compatible
 * server, and the "keeper process" role.
 *
 * A core module. Its conf struct always exists; <enabled> says whether the
 * block was seen. The directives are named after zoo.cfg's settings (see
 * docs/keeper.md for the mapping) and default to ZooKeeper 3.8's values,
 * except for the listen address (127.0.0.1:2181, not every address) and
 * the four-letter word whitelist (ruok srvr stat mntr isro envi, where
 * ZooKeeper whitelists srvr only).
 *
 * The listening sockets are created here, in the master, once the block is
 * parsed: the master binds them and keeps them across reloads and keeper
 * restarts, and only the keeper process accepts on them (ls->process).
 * init_module (master, after every successful parse) adds the role with a
 * fingerprint, a canonical text of the block's resolved settings: a
 * reload that leaves it unchanged keeps the running keeper and its
 * sessions. init_process / exit_process set the keeper up and tear it
 * down in the process that serves it (the keeper, or the single process
 * of "master_process off").
 */

#include "dr_keeper.h"


#define DR_KEEPER_DEFAULT_PORT       2181


static void *dr_keeper_create_conf(dr_cycle_t *cycle);
static char *dr_keeper_init_conf(dr_cycle_t *cycle, void *conf);
static char *dr_keeper_block(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *dr_keeper_listen(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *dr_keeper_session_timeout(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_keeper_four_letter_words(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_keeper_super_digest(dr_conf_t *cf, dr_command_t *cmd,
    void *conf);
static char *dr_keeper_check_max_frame(dr_conf_t *cf, void *post,
    void *data);
static char *dr_keeper_check_positive_msec(dr_conf_t *cf, void *post,
    void *data);
static dr_int_t dr_keeper_add_listening(dr_conf_t *cf, dr_keeper_conf_t *kcf);
static dr_int_t dr_keeper_fingerprint(dr_cycle_t *cycle,
    dr_keeper_conf_t *kcf);
static dr_int_t dr_keeper_module_init(dr_cycle_t *cycle);
static dr_int_t dr_keeper_create_data_dir(dr_cycle_t *cycle,
    dr_keeper_conf_t *kcf);
static dr_int_t dr_keeper_module_init_process(dr_cycle_t *cycle);
static void dr_keeper_module_exit_process(dr_cycle_t *cycle);


static dr_conf_num_bounds_t  dr_keeper_positive_bounds = {
    dr_conf_check_num_bounds, 1, INT32_MAX
};

static dr_conf_num_bounds_t  dr_keeper_unsigned_bounds = {
    dr_conf_check_num_bounds, 0, INT32_MAX
};

static dr_conf_post_t  dr_keeper_max_frame_post = {
    dr_keeper_check_max_frame
};

static dr_conf_post_t  dr_keeper_positive_msec_post = {
    dr_keeper_check_positive_msec
};


static dr_command_t  dr_keeper_commands[] = {

    { dr_string("keeper"),
      DR_MAIN_CONF|DR_DIRECT_CONF|DR_CONF_BLOCK|DR_CONF_NOARGS,
      dr_keeper_block,
      0,
      0,
      NULL },

    { dr_string("listen"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE12,
      dr_keeper_listen,
      0,
      0,
      NULL },

    { dr_string("data_dir"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_str_slot,
      0,
      offsetof(dr_keeper_conf_t, data_dir),
      NULL },

    { dr_string("tick_time"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      0,
      offsetof(dr_keeper_conf_t, tick_time),
      &dr_keeper_positive_msec_post },

    { dr_string("session_timeout"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE2,
      dr_keeper_session_timeout,
      0,
      0,
      NULL },

    { dr_string("fsync"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      0,
      offsetof(dr_keeper_conf_t, fsync),
      NULL },

    { dr_string("snapshot_every"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      0,
      offsetof(dr_keeper_conf_t, snapshot_every),
      &dr_keeper_positive_bounds },

    { dr_string("keep_snapshots"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      0,
      offsetof(dr_keeper_conf_t, keep_snapshots),
      &dr_keeper_positive_bounds },

    { dr_string("max_connections_per_ip"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      0,
      offsetof(dr_keeper_conf_t, max_connections_per_ip),
      &dr_keeper_unsigned_bounds },

    { dr_string("max_frame"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_size_slot,
      0,
      offsetof(dr_keeper_conf_t, max_frame),
      &dr_keeper_max_frame_post },

    { dr_string("max_outstanding"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      0,
      offsetof(dr_keeper_conf_t, max_outstanding),
      &dr_keeper_positive_bounds },

    { dr_string("max_watches"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_num_slot,
      0,
      offsetof(dr_keeper_conf_t, max_watches),
      &dr_keeper_unsigned_bounds },

    { dr_string("four_letter_words"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_1MORE,
      dr_keeper_four_letter_words,
      0,
      0,
      NULL },

    { dr_string("super_digest"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_keeper_super_digest,
      0,
      0,
      NULL },

    { dr_string("extended_types"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_FLAG,
      dr_conf_set_flag_slot,
      0,
      offsetof(dr_keeper_conf_t, extended_types),
      NULL },

    { dr_string("container_reap_interval"),
      DR_KEEPER_CONF|DR_DIRECT_CONF|DR_CONF_TAKE1,
      dr_conf_set_msec_slot,
      0,
      offsetof(dr_keeper_conf_t, container_reap_interval),
      &dr_keeper_positive_msec_post },

    dr_null_command
};


static dr_core_module_t  dr_keeper_module_ctx = {
    .name = dr_string("keeper"),
    .create_conf = dr_keeper_create_conf,
    .init_conf = dr_keeper_init_conf,
};


dr_module_t  dr_keeper_module = {
    .ctx_index = DR_MODULE_UNSET_INDEX,
    .index = DR_MODULE_UNSET_INDEX,
    .name = "keeper",
    .type = DR_CORE_MODULE,
    .ctx = &dr_keeper_module_ctx,
    .commands = dr_keeper_commands,
    .init_module = dr_keeper_module_init,
    .init_process = dr_keeper_module_init_process,
    .exit_process = dr_keeper_module_exit_process,
};


static struct {
    const char  *name;
    dr_uint_t    bit;
} dr_keeper_4lw_names[] = {
    { "ruok", DR_KEEPER_4LW_RUOK },
    { "stat", DR_KEEPER_4LW_STAT },
    { "srvr", DR_KEEPER_4LW_SRVR },
    { "mntr", DR_KEEPER_4LW_MNTR },
    { "cons", DR_KEEPER_4LW_CONS },
    { "wchs", DR_KEEPER_4LW_WCHS },
    { "dump", DR_KEEPER_4LW_DUMP },
    { "conf", DR_KEEPER_4LW_CONF },
    { "envi", DR_KEEPER_4LW_ENVI },
    { "isro", DR_KEEPER_4LW_ISRO },
    { "wchc", DR_KEEPER_4LW_WCHC },
    { "wchp", DR_KEEPER_4LW_WCHP },
    { "crst", DR_KEEPER_4LW_CRST },
    { "srst", DR_KEEPER_4LW_SRST },
    { "dirs", DR_KEEPER_4LW_DIRS },
    { NULL, 0 }
};


dr_uint_t
dr_keeper_4lw_bit(u_char *name, size_t len)
{
    dr_uint_t  i;

    if (len != 4) {
        return 0;
    }

    for (i = 0; dr_keeper_4lw_names[i].name; i++) {
        if (dr_memcmp(name, dr_keeper_4lw_names[i].name, 4) == 0) {
            return dr_keeper_4lw_names[i].bit;
        }
    }

    return 0;
}


static void *
dr_keeper_create_conf(dr_cycle_t *cycle)
{
    dr_keeper_conf_t  *kcf;

    kcf = dr_pcalloc(cycle->pool, sizeof(dr_keeper_conf_t));
    if (kcf == NULL) {
        return NULL;
    }

    if (dr_array_init(&kcf->listen, cycle->pool, 2,
                      sizeof(dr_keeper_listen_t))
        != DR_OK)
    {
        return NULL;
    }

    /* pcalloc: data_dir, super_digest, fingerprint are null strings */

    kcf->enabled = 0;
    kcf->tick_time = DR_CONF_UNSET_MSEC;
    kcf->min_session_timeout = DR_CONF_UNSET_MSEC;
    kcf->max_session_timeout = DR_CONF_UNSET_MSEC;
    kcf->fsync = DR_CONF_UNSET;
    kcf->snapshot_every = DR_CONF_UNSET;
    kcf->keep_snapshots = DR_CONF_UNSET;
    kcf->max_connections_per_ip = DR_CONF_UNSET;
    kcf->max_frame = DR_CONF_UNSET_SIZE;
    kcf->max_outstanding = DR_CONF_UNSET;
    kcf->max_watches = DR_CONF_UNSET;
    kcf->four_letter_words = DR_CONF_UNSET_UINT;
    kcf->extended_types = DR_CONF_UNSET;
    kcf->container_reap_interval = DR_CONF_UNSET_MSEC;

    return kcf;
}


static char *
dr_keeper_init_conf(dr_cycle_t *cycle, void *conf)
{
    dr_keeper_conf_t  *kcf = conf;

    if (!kcf->enabled) {
        return DR_CONF_OK;
    }

    dr_conf_init_msec_value(kcf->tick_time, 2000);

    if (kcf->min_session_timeout == DR_CONF_UNSET_MSEC) {
        kcf->min_session_timeout = 2 * kcf->tick_time;
        kcf->max_session_timeout = 20 * kcf->tick_time;

        if (kcf->max_session_timeout > INT32_MAX) {
            kcf->max_session_timeout = INT32_MAX;
        }

        if (kcf->min_session_timeout > INT32_MAX) {
            kcf->min_session_timeout = INT32_MAX;
        }
    }

    dr_conf_init_value(kcf->fsync, 1);
    dr_conf_init_value(kcf->snapshot_every, 100000);
    dr_conf_init_value(kcf->keep_snapshots, 3);
    dr_conf_init_value(kcf->max_connections_per_ip, 60);
    dr_conf_init_size_value(kcf->max_frame, DR_ZK_JUTE_MAXBUFFER);
    dr_conf_init_value(kcf->max_outstanding, 1000);
    dr_conf_init_value(kcf->max_watches, 0);
    dr_conf_init_uint_value(kcf->four_letter_words,
                            DR_KEEPER_4LW_RUOK|DR_KEEPER_4LW_SRVR
                            |DR_KEEPER_4LW_STAT|DR_KEEPER_4LW_MNTR
                            |DR_KEEPER_4LW_ISRO|DR_KEEPER_4LW_ENVI);
    dr_conf_init_value(kcf->extended_types, 0);
    dr_conf_init_msec_value(kcf->container_reap_interval, 60000);

    if (kcf->data_dir.data == NULL) {
        dr_str_set(&kcf->data_dir, "keeper");
    }

    if (dr_conf_full_name(cycle, &kcf->data_dir, 0) != DR_OK) {
        return DR_CONF_ERROR;
    }

    if (dr_keeper_fingerprint(cycle, kcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


static char *
dr_keeper_block(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_keeper_conf_t  *kcf = conf;

    char       *rv;
    dr_conf_t   pcf;

    if (kcf->enabled) {
        return "is duplicate";
    }

    kcf->enabled = 1;

    pcf = *cf;
    cf->cmd_type = DR_KEEPER_CONF;

    rv = dr_conf_parse(cf, NULL);

    *cf = pcf;

    if (rv != DR_CONF_OK) {
        return rv;
    }

    if (kcf->min_session_timeout != DR_CONF_UNSET_MSEC
        && kcf->tick_time != DR_CONF_UNSET_MSEC
        && kcf->min_session_timeout < kcf->tick_time)
    {
        dr_conf_log_error(DR_LOG_WARN, cf, 0,
                          "keeper: the minimum session timeout %M ms is "
                          "shorter than tick_time %M ms: sessions are "
                          "expired on ticks", kcf->min_session_timeout,
                          kcf->tick_time);
    }

    if (dr_keeper_add_listening(cf, kcf) != DR_OK) {
        return DR_CONF_ERROR;
    }

    return DR_CONF_OK;
}


/* listen <address:port | port | *:port> [backlog=N] */
static char *
dr_keeper_listen(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_keeper_conf_t  *kcf = conf;

    dr_int_t             n;
    dr_str_t            *value;
    dr_url_t             u;
    dr_uint_t            i;
    dr_keeper_listen_t  *kl;

    value = cf->args->elts;

    dr_memzero(&u, sizeof(dr_url_t));

    u.url = value[1];
    u.listen = 1;
    u.default_port = DR_KEEPER_DEFAULT_PORT;

    if (dr_parse_url(cf->pool, &u) != DR_OK) {
        if (u.err) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0, "%s in \"%V\" of the "
                              "\"listen\" directive", u.err, &u.url);
        }

        return DR_CONF_ERROR;
    }

    if (u.family == AF_UNIX) {
        return "does not take unix sockets in keeper{}";
    }

    kl = kcf->listen.elts;

    for (i = 0; i < kcf->listen.nelts; i++) {
        if (dr_cmp_sockaddr(&kl[i].sockaddr.sockaddr, kl[i].socklen,
                            &u.sockaddr.sockaddr, u.socklen, 1)
            == DR_OK)
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "duplicate listen %V in keeper{}", &u.url);
            return DR_CONF_ERROR;
        }
    }

    kl = dr_array_push(&kcf->listen);
    if (kl == NULL) {
        return DR_CONF_ERROR;
    }

    dr_memcpy(&kl->sockaddr, &u.sockaddr, u.socklen);
    kl->socklen = u.socklen;
    kl->text = value[1];
    kl->backlog = DR_LISTEN_BACKLOG;

    if (cf->args->nelts == 3) {
        if (value[2].len <= 8
            || dr_strncmp(value[2].data, "backlog=", 8) != 0)
        {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid parameter \"%V\"", &value[2]);
            return DR_CONF_ERROR;
        }

        n = dr_atoi(value[2].data + 8, value[2].len - 8);

        if (n == DR_ERROR || n == 0 || n > INT_MAX) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "invalid backlog \"%V\"", &value[2]);
            return DR_CONF_ERROR;
        }

        kl->backlog = (int) n;
    }

    return DR_CONF_OK;
}


/* session_timeout <min> <max>: minSessionTimeout, maxSessionTimeout */
static char *
dr_keeper_session_timeout(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_keeper_conf_t  *kcf = conf;

    dr_int_t   min, max;
    dr_str_t  *value;

    if (kcf->min_session_timeout != DR_CONF_UNSET_MSEC) {
        return "is duplicate";
    }

    value = cf->args->elts;

    min = dr_parse_time(&value[1], 0);
    max = dr_parse_time(&value[2], 0);

    if (min == DR_ERROR || max == DR_ERROR) {
        return "invalid value";
    }

    if (min == 0 || max > INT32_MAX) {
        return "must be between 1ms and 24d";
    }

    if (min > max) {
        return "has a minimum above its maximum";
    }

    kcf->min_session_timeout = (dr_msec_t) min;
    kcf->max_session_timeout = (dr_msec_t) max;

    return DR_CONF_OK;
}


/* four_letter_words ruok srvr ... | * | none (4lw.commands.whitelist) */
static char *
dr_keeper_four_letter_words(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_keeper_conf_t  *kcf = conf;

    dr_str_t   *value;
    dr_uint_t   i, bit, words;

    if (kcf->four_letter_words != DR_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    words = 0;

    for (i = 1; i < cf->args->nelts; i++) {

        if (dr_str_eq_lit(&value[i], "*")) {
            words |= DR_KEEPER_4LW_ALL;
            continue;
        }

        if (dr_str_eq_lit(&value[i], "none")) {
            if (cf->args->nelts != 2) {
                return "takes \"none\" alone";
            }

            continue;
        }

        bit = dr_keeper_4lw_bit(value[i].data, value[i].len);

        if (bit == 0) {
            dr_conf_log_error(DR_LOG_EMERG, cf, 0,
                              "unknown four-letter word \"%V\"", &value[i]);
            return DR_CONF_ERROR;
        }

        words |= bit;
    }

    kcf->four_letter_words = words;

    return DR_CONF_OK;
}


/*
 * super_digest super:<base64 of a SHA-1> (DigestAuthenticationProvider's
 * superDigest): whoever authenticates with the matching "digest"
 * credential may do anything.
 */
static char *
dr_keeper_super_digest(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    dr_keeper_conf_t  *kcf = conf;

    u_char     *colon;
    u_char      bin[32];
    dr_str_t   *value, hash, dec;

    if (kcf->super_digest.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    colon = dr_strlchr(value[1].data, value[1].data + value[1].len, ':');

    if (colon == NULL || colon == value[1].data) {
        return "must be \"user:base64(sha1(user:password))\"";
    }

    hash.data = colon + 1;
    hash.len = value[1].data + value[1].len - hash.data;

    dec.data = bin;

    if (hash.len != 28 || dr_decode_base64(&dec, &hash) != DR_OK
        || dec.len != 20)
    {
        return "must end with the base64 of a SHA-1 digest (28 characters)";
    }

    kcf->super_digest = value[1];

    return DR_CONF_OK;
}


static char *
dr_keeper_check_max_frame(dr_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    if (*sp < 1024 || *sp > 64 * 1024 * 1024) {
        return "must be between 1k and 64m";
    }

    return DR_CONF_OK;
}


static char *
dr_keeper_check_positive_msec(dr_conf_t *cf, void *post, void *data)
{
    dr_msec_t  *mp = data;

    if (*mp == 0 || *mp > INT32_MAX) {
        return "must be between 1ms and 24d";
    }

    return DR_CONF_OK;
}


/* the sockets the master binds for the keeper (127.0.0.1:2181 if none) */
static dr_int_t
dr_keeper_add_listening(dr_conf_t *cf, dr_keeper_conf_t *kcf)
{
    dr_uint_t            i;
    dr_listening_t      *ls;
    dr_keeper_listen_t  *kl;
    struct sockaddr_in  *sin;

    if (kcf->listen.nelts == 0) {
        kl = dr_array_push(&kcf->listen);
        if (kl == NULL) {
            return DR_ERROR;
        }

        dr_memzero(kl, sizeof(dr_keeper_listen_t));

        sin = &kl->sockaddr.sockaddr_in;
        sin->sin_family = AF_INET;
        sin->sin_port = htons(DR_KEEPER_DEFAULT_PORT);
        sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);

        kl->socklen = sizeof(struct sockaddr_in);
        dr_str_set(&kl->text, "127.0.0.1:2181");
        kl->backlog = DR_LISTEN_BACKLOG;
    }

    kl = kcf->listen.elts;

    for (i = 0; i < kcf->listen.nelts; i++) {
        ls = dr_create_listening(cf, &kl[i].sockaddr.sockaddr,
                                 kl[i].socklen);
        if (ls == NULL) {
            return DR_ERROR;
        }

        ls->process = DR_PROCESS_KEEPER;
        ls->handler = dr_keeper_init_connection;
        ls->backlog = kl[i].backlog;
        ls->pool_size = 1024;
        ls->keepalive = 1;
    }

    return DR_OK;
}


/*
 * A canonical text of every resolved setting: two blocks that mean the
 * same (spacing, comments, order of the other directives, a default
 * written out) have the same fingerprint.
 */
static dr_int_t
dr_keeper_fingerprint(dr_cycle_t *cycle, dr_keeper_conf_t *kcf)
{
    u_char              *p, *last;
    size_t               len;
    dr_str_t             super;
    dr_uint_t            i;
    dr_keeper_listen_t  *kl;

    kl = kcf->listen.elts;

    super = kcf->super_digest;

    if (super.data == NULL) {
        dr_str_set(&super, "");
    }

    len = 512 + kcf->data_dir.len + kcf->super_digest.len;

    for (i = 0; i < kcf->listen.nelts; i++) {
        len += DR_SOCKADDR_STRLEN + 32;
    }

    p = dr_pnalloc(cycle->pool, len);
    if (p == NULL) {
        return DR_ERROR;
    }

    kcf->fingerprint.data = p;
    last = p + len;

    for (i = 0; i < kcf->listen.nelts; i++) {
        p = dr_slprintf(p, last, "listen=");
        p += dr_sock_ntop(&kl[i].sockaddr.sockaddr, kl[i].socklen, p,
                          (size_t) (last - p), 1);
        p = dr_slprintf(p, last, ",%d;", kl[i].backlog);
    }

    p = dr_slprintf(p, last,
                    "data_dir=%V;tick=%M;session=%M,%M;fsync=%i;"
                    "snapshot=%i,%i;ip=%i;frame=%uz;outstanding=%i;"
                    "watches=%i;4lw=%ui;super=%V;ttl=%i;reap=%M;",
                    &kcf->data_dir, kcf->tick_time,
                    kcf->min_session_timeout, kcf->max_session_timeout,
                    kcf->fsync, kcf->snapshot_every, kcf->keep_snapshots,
                    kcf->max_connections_per_ip, kcf->max_frame,
                    kcf->max_outstanding, kcf->max_watches,
                    kcf->four_letter_words, &super,
                    kcf->extended_types, kcf->container_reap_interval);

    kcf->fingerprint.len = p - kcf->fingerprint.data;

    return DR_OK;
}


/* master: the keeper runs as one process of its own */
static dr_int_t
dr_keeper_module_init(dr_cycle_t *cycle)
{
    dr_keeper_conf_t   *kcf;
    dr_process_role_t   role;

    kcf = (dr_keeper_conf_t *) dr_get_conf(cycle->conf_ctx, dr_keeper_module);

    if (!kcf->enabled) {
        return DR_OK;
    }

    dr_memzero(&role, sizeof(dr_process_role_t));

    role.name = DR_KEEPER_PROCESS_ROLE;
    role.count = 1;
    role.run = dr_keeper_process_run;
    role.fingerprint = kcf->fingerprint;

    if (dr_add_process_role(cycle, &role) != DR_OK) {
        return DR_ERROR;
    }

    if (dr_test_config) {
        return DR_OK;
    }

    return dr_keeper_create_data_dir(cycle, kcf);
}


/*
 * The master creates data_dir (0700) and, when it runs as root, gives it
 * to the "user" the keeper process runs as, as nginx does its temp paths:
 * the keeper could not create it in a root-owned prefix.
 */
static dr_int_t
dr_keeper_create_data_dir(dr_cycle_t *cycle, dr_keeper_conf_t *kcf)
{
    char             *path;
    struct stat       st;
    dr_core_conf_t   *ccf;

    path = dr_pstrz(cycle->pool, &kcf->data_dir);
    if (path == NULL) {
        return DR_ERROR;
    }

    if (mkdir(path, 0700) == -1 && errno != EEXIST) {
        dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                     "keeper: mkdir(\"%s\") failed", path);
        return DR_ERROR;
    }

    if (stat(path, &st) == -1) {
        dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                     "keeper: stat(\"%s\") failed", path);
        return DR_ERROR;
    }

    if (!S_ISDIR(st.st_mode)) {
        dr_log_error(DR_LOG_EMERG, cycle->log, 0,
                     "keeper: data_dir \"%s\" is not a directory", path);
        return DR_ERROR;
    }

    ccf = (dr_core_conf_t *) dr_get_conf(cycle->conf_ctx, dr_core_module);

    if (geteuid() != 0 || ccf->user == (uid_t) DR_CONF_UNSET_UINT
        || st.st_uid == ccf->user)
    {
        return DR_OK;
    }

    if (chown(path, ccf->user, ccf->group) == -1) {
        dr_log_error(DR_LOG_EMERG, cycle->log, dr_errno,
                     "keeper: chown(\"%s\", %d) failed", path,
                     (int) ccf->user);
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_keeper_module_init_process(dr_cycle_t *cycle)
{
    dr_keeper_conf_t  *kcf;

    if (dr_process != DR_PROCESS_KEEPER && dr_process != DR_PROCESS_SINGLE) {
        return DR_OK;
    }

    kcf = (dr_keeper_conf_t *) dr_get_conf(cycle->conf_ctx, dr_keeper_module);

    if (!kcf->enabled) {
        return DR_OK;
    }

    return dr_keeper_init(dr_keeper, cycle, kcf);
}


static void
dr_keeper_module_exit_process(dr_cycle_t *cycle)
{
    if (dr_keeper->cycle) {
        dr_keeper_done(dr_keeper);
    }
}
