/*
 * Active health checks, the agent's side: one timer per pool; at each
 * tick, every peer of the pool's current table gets one probe (unless the
 * last one is still running): connect (to the peer's address, or its
 * address with port=), send "GET uri HTTP/1.0", read the answer within
 * timeout=, parse its head with the strict response parser, and judge it
 * by the match{} block (a 2xx or 3xx status without one).
 *
 * Verdicts: `fails` consecutive failures make a peer DOWN in the zone
 * (zstate->health), `passes` consecutive successes bring it back UP, with
 * its slow_start origin set (zstate->health_changed) so round-robin ramps
 * its weight up. A peer the checks have not judged yet is UNKNOWN, which
 * balancers treat as usable; a new agent (after a reload) starts from the
 * verdicts in the zone. The agent finds a peer's state by its address in
 * the current table, under the zone's lock, each time it writes one:
 * tables and states are not the agent's to keep (discovery may replace
 * them at any moment).
 *
 * The agent process only (or the single process). Each probe has its own
 * small pool and connection; nothing is shared with the workers but the
 * zone.
 */

#include "dr_upstream_health_check.h"


#define DR_UPSTREAM_HC_BUFFER       32768
#define DR_UPSTREAM_HC_MAX_HEADERS  64


struct dr_upstream_hc_peer_s {
    dr_upstream_hc_peer_t     *next;
    dr_upstream_hc_conf_t     *hc;

    dr_sockaddr_t              sockaddr;       /* the peer's */
    socklen_t                  socklen;
    dr_sockaddr_t              probe_addr;     /* with port= applied */
    dr_str_t                   name;           /* the probe's address */
    u_char                     name_data[DR_SOCKADDR_STRLEN + 1];

    dr_uint_t                  nfails;
    dr_uint_t                  npasses;
    dr_uint_t                  verdict;        /* DR_UPSTREAM_HEALTH_* */
    dr_uint_t                  tick;

    /* the probe in flight: pool != NULL */
    dr_pool_t                 *pool;
    dr_peer_connection_t       pc;
    dr_buf_t                  *request;
    dr_buf_t                  *buf;
    dr_http_parse_response_t   parse;
    dr_http_parse_header_t     headers[DR_UPSTREAM_HC_MAX_HEADERS];
    size_t                     head_len;       /* 0: head not complete */
};


static void dr_upstream_hc_tick(dr_event_t *ev);
static dr_upstream_hc_peer_t *dr_upstream_hc_peer(dr_upstream_hc_conf_t *hc,
    dr_upstream_zpeer_t *zp);
static void dr_upstream_hc_probe(dr_upstream_hc_peer_t *hp);
static void dr_upstream_hc_write_handler(dr_event_t *wev);
static void dr_upstream_hc_read_handler(dr_event_t *rev);
static dr_int_t dr_upstream_hc_head(dr_upstream_hc_peer_t *hp);
static void dr_upstream_hc_judge(dr_upstream_hc_peer_t *hp);
static void dr_upstream_hc_done(dr_upstream_hc_peer_t *hp, dr_uint_t ok,
    const char *reason);
static void dr_upstream_hc_publish(dr_upstream_hc_peer_t *hp,
    dr_uint_t health);
static dr_uint_t dr_upstream_hc_header_match(dr_upstream_hc_cond_t *cond,
    dr_http_parse_response_t *st);


dr_int_t
dr_upstream_hc_start(dr_cycle_t *cycle, dr_upstream_conf_t *us, void *data)
{
    dr_upstream_hc_conf_t  *hc = data;

    if (us->zone == NULL) {
        dr_log_error(DR_LOG_ALERT, cycle->log, 0,
                     "health_check of upstream \"%V\" has no zone",
                     &us->name);
        return DR_ERROR;
    }

    hc->log = cycle->log;
    hc->peers = NULL;
    hc->ticks = 0;

    dr_memzero(&hc->timer, sizeof(dr_event_t));

    hc->timer.handler = dr_upstream_hc_tick;
    hc->timer.data = hc;
    hc->timer.log = cycle->log;

    /* the checks must not hold a graceful exit back */
    hc->timer.cancelable = 1;

    dr_log_error(DR_LOG_NOTICE, cycle->log, 0,
                 "upstream \"%V\": health checks every %M ms", &us->name,
                 hc->interval);

    /* the first round at once */
    dr_add_timer(&hc->timer, 1);

    return DR_OK;
}


static void
dr_upstream_hc_tick(dr_event_t *ev)
{
    dr_upstream_hc_conf_t  *hc = ev->data;

    dr_uint_t               i;
    dr_upstream_zone_t     *uz;
    dr_upstream_ztable_t   *t;
    dr_upstream_hc_peer_t  *hp, **hpp;

    if (dr_exiting) {
        return;
    }

    hc->ticks++;

    uz = hc->us->zone;

    /* who is in the pool now (the table may change at any time) */

    dr_shmtx_lock(&uz->lock);

    t = uz->table;

    for (i = 0; t && i < t->npeers; i++) {
        hp = dr_upstream_hc_peer(hc, &t->peers[i]);

        if (hp) {
            hp->tick = hc->ticks;
        }
    }

    dr_shmtx_unlock(&uz->lock);

    /* those who left are forgotten once their probe is over */

    for (hpp = &hc->peers; *hpp; /* void */) {
        hp = *hpp;

        if (hp->tick != hc->ticks && hp->pool == NULL) {
            *hpp = hp->next;
            dr_free(hp);
            continue;
        }

        hpp = &hp->next;
    }

    for (hp = hc->peers; hp; hp = hp->next) {
        if (hp->tick == hc->ticks && hp->pool == NULL) {
            dr_upstream_hc_probe(hp);
        }
    }

    dr_add_timer(ev, hc->interval);
}


/* the agent's record of peer <zp> (found by address, or made); lock held */
static dr_upstream_hc_peer_t *
dr_upstream_hc_peer(dr_upstream_hc_conf_t *hc, dr_upstream_zpeer_t *zp)
{
    dr_upstream_hc_peer_t  *hp;

    for (hp = hc->peers; hp; hp = hp->next) {
        if (hp->socklen == zp->socklen
            && dr_cmp_sockaddr(&hp->sockaddr.sockaddr, hp->socklen,
                               &zp->sockaddr.sockaddr, zp->socklen, 1)
               == DR_OK)
        {
            return hp;
        }
    }

    hp = dr_calloc(sizeof(dr_upstream_hc_peer_t), hc->log);
    if (hp == NULL) {
        return NULL;
    }

    hp->hc = hc;
    dr_memcpy(&hp->sockaddr, &zp->sockaddr, zp->socklen);
    hp->socklen = zp->socklen;

    dr_memcpy(&hp->probe_addr, &zp->sockaddr, zp->socklen);

    if (hc->port && zp->sockaddr.sockaddr.sa_family != AF_UNIX) {
        dr_inet_set_port(&hp->probe_addr.sockaddr, hc->port);
    }

    hp->name.data = hp->name_data;
    hp->name.len = dr_sock_ntop(&hp->probe_addr.sockaddr, hp->socklen,
                                hp->name_data, DR_SOCKADDR_STRLEN, 1);

    /* a verdict of an earlier agent stands until this one has its own */
    hp->verdict = (dr_uint_t) __atomic_load_n(&zp->state->health,
                                              __ATOMIC_RELAXED);

    hp->next = hc->peers;
    hc->peers = hp;

    return hp;
}


static void
dr_upstream_hc_probe(dr_upstream_hc_peer_t *hp)
{
    dr_int_t                rc;
    dr_connection_t        *c;
    dr_upstream_hc_conf_t  *hc;

    hc = hp->hc;

    hp->pool = dr_create_pool(1024, hc->log);
    if (hp->pool == NULL) {
        return;
    }

    hp->buf = dr_create_temp_buf(hp->pool, DR_UPSTREAM_HC_BUFFER);
    hp->request = dr_create_temp_buf(hp->pool,
                                     sizeof("GET  HTTP/1.0" CRLF "Host: " CRLF
                                            "User-Agent: drover-health-check"
                                            CRLF "Connection: close" CRLF
                                            CRLF) - 1
                                     + hc->uri.len + hc->us->name.len);

    if (hp->buf == NULL || hp->request == NULL) {
        dr_upstream_hc_done(hp, 0, "no memory");
        return;
    }

    hp->request->last = dr_sprintf(hp->request->last,
                                   "GET %V HTTP/1.0" CRLF
                                   "Host: %V" CRLF
                                   "User-Agent: drover-health-check" CRLF
                                   "Connection: close" CRLF CRLF,
                                   &hc->uri, &hc->us->name);

    dr_http_parse_response_init(&hp->parse, hp->headers,
                                DR_UPSTREAM_HC_MAX_HEADERS);
    hp->head_len = 0;

    dr_memzero(&hp->pc, sizeof(dr_peer_connection_t));

    hp->pc.sockaddr = &hp->probe_addr.sockaddr;
    hp->pc.socklen = hp->socklen;
    hp->pc.name = &hp->name;
    hp->pc.get = dr_event_get_peer;
    hp->pc.log = hc->log;
    hp->pc.log_error = DR_ERROR_INFO;

    rc = dr_event_connect_peer(&hp->pc);

    if (rc != DR_OK && rc != DR_AGAIN) {
        hp->pc.connection = NULL;
        dr_upstream_hc_done(hp, 0, "connect() failed");
        return;
    }

    c = hp->pc.connection;

    c->data = hp;
    c->pool = hp->pool;
    c->read->handler = dr_upstream_hc_read_handler;
    c->write->handler = dr_upstream_hc_write_handler;

    /* the whole probe has one deadline, on the read side */
    dr_add_timer(c->read, hc->timeout);

    if (rc == DR_OK) {
        dr_upstream_hc_write_handler(c->write);
    }
}


static void
dr_upstream_hc_write_handler(dr_event_t *wev)
{
    int                     err;
    ssize_t                 n;
    socklen_t               len;
    dr_connection_t        *c;
    dr_upstream_hc_peer_t  *hp;

    c = wev->data;
    hp = c->data;

    if (hp->request->pos == hp->request->last) {
        return;
    }

    err = 0;
    len = sizeof(int);

    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, (void *) &err, &len) == -1) {
        err = dr_socket_errno;
    }

    if (err) {
        dr_upstream_hc_done(hp, 0, "connect() failed");
        return;
    }

    while (hp->request->pos < hp->request->last) {
        n = c->send(c, hp->request->pos,
                    hp->request->last - hp->request->pos);

        if (n == DR_AGAIN) {
            if (dr_handle_write_event(wev, 0) != DR_OK) {
                dr_upstream_hc_done(hp, 0, "epoll failed");
            }

            return;
        }

        if (n == DR_ERROR || n == 0) {
            dr_upstream_hc_done(hp, 0, "send() failed");
            return;
        }

        hp->request->pos += n;
    }

    if (c->read->ready) {
        dr_upstream_hc_read_handler(c->read);
    }
}


static void
dr_upstream_hc_read_handler(dr_event_t *rev)
{
    ssize_t                 n;
    dr_buf_t               *b;
    dr_int_t                rc;
    dr_connection_t        *c;
    dr_upstream_hc_peer_t  *hp;

    c = rev->data;
    hp = c->data;
    b = hp->buf;

    if (rev->timedout) {
        dr_upstream_hc_done(hp, 0, "timed out");
        return;
    }

    if (hp->request->pos < hp->request->last) {
        /* not connected yet: a refused connect shows on both sides */
        dr_upstream_hc_write_handler(c->write);
        return;
    }

    for ( ;; ) {

        if (b->last == b->end) {
            /* enough to judge: the match sees the first bytes only */
            if (hp->head_len == 0) {
                dr_upstream_hc_done(hp, 0, "too big header");
                return;
            }

            dr_upstream_hc_judge(hp);
            return;
        }

        n = c->recv(c, b->last, b->end - b->last);

        if (n == DR_AGAIN) {
            if (dr_handle_read_event(rev, 0) != DR_OK) {
                dr_upstream_hc_done(hp, 0, "epoll failed");
            }

            return;
        }

        if (n == DR_ERROR) {
            dr_upstream_hc_done(hp, 0, "recv() failed");
            return;
        }

        if (n == 0) {
            if (hp->head_len == 0) {
                dr_upstream_hc_done(hp, 0, "closed before the header");
                return;
            }

            dr_upstream_hc_judge(hp);
            return;
        }

        b->last += n;

        if (hp->head_len == 0) {
            rc = dr_upstream_hc_head(hp);

            if (rc == DR_AGAIN) {
                continue;
            }

            if (rc == DR_ERROR) {
                return;
            }
        }

        /* the body only matters if the match looks at it */

        if (hp->hc->match == NULL || !hp->hc->match->has_body) {
            dr_upstream_hc_judge(hp);
            return;
        }

        if (hp->parse.fields.content_length_n >= 0
            && (off_t) (b->last - b->pos - hp->head_len)
               >= hp->parse.fields.content_length_n)
        {
            dr_upstream_hc_judge(hp);
            return;
        }
    }
}


/* the head: DR_OK (complete), DR_AGAIN, DR_ERROR (judged already) */
static dr_int_t
dr_upstream_hc_head(dr_upstream_hc_peer_t *hp)
{
    dr_int_t   rc;
    dr_buf_t  *b;
    u_char     reason[128];

    b = hp->buf;

    for ( ;; ) {
        rc = dr_http_parse_response(&hp->parse, b->pos, b->last - b->pos);

        if (rc == DR_PARSE_AGAIN) {
            return DR_AGAIN;
        }

        if (rc == DR_PARSE_ERROR) {
            (void) dr_snprintf(reason, sizeof(reason), "invalid response: %s%Z",
                               dr_http_parse_err_text(hp->parse.err));
            dr_upstream_hc_done(hp, 0, (const char *) reason);
            return DR_ERROR;
        }

        if (hp->parse.status >= 100 && hp->parse.status < 200) {
            /* an interim response: the final one follows */
            b->pos += rc;
            dr_http_parse_response_init(&hp->parse, hp->headers,
                                        DR_UPSTREAM_HC_MAX_HEADERS);
            continue;
        }

        hp->head_len = (size_t) rc;
        return DR_OK;
    }
}


static void
dr_upstream_hc_judge(dr_upstream_hc_peer_t *hp)
{
    u_char     reason[64];
    dr_str_t   body;

    body.data = hp->buf->pos + hp->head_len;
    body.len = hp->buf->last - body.data;

    if (dr_upstream_hc_match(hp->hc->match, &hp->parse, &body)) {
        dr_upstream_hc_done(hp, 1, "passed");
        return;
    }

    (void) dr_snprintf(reason, sizeof(reason), "status %ui did not match%Z",
                       hp->parse.status);

    dr_upstream_hc_done(hp, 0, (const char *) reason);
}


dr_uint_t
dr_upstream_hc_match(dr_upstream_hc_match_t *m, dr_http_parse_response_t *st,
    dr_str_t *body)
{
    dr_int_t                 rc;
    dr_uint_t                i, j, in;
    dr_upstream_hc_cond_t   *cond;
    dr_upstream_hc_range_t  *range;

    if (m == NULL || !m->has_status) {
        if (st->status < 200 || st->status >= 400) {
            return 0;
        }
    }

    if (m == NULL) {
        return 1;
    }

    cond = m->conds.elts;

    for (i = 0; i < m->conds.nelts; i++) {

        switch (cond[i].type) {

        case DR_UPSTREAM_HC_STATUS:
            in = 0;
            range = cond[i].ranges->elts;

            for (j = 0; j < cond[i].ranges->nelts; j++) {
                if (st->status >= range[j].low && st->status <= range[j].high)
                {
                    in = 1;
                    break;
                }
            }

            if (in == cond[i].negate) {
                return 0;
            }

            break;

        case DR_UPSTREAM_HC_HEADER:
            if (!dr_upstream_hc_header_match(&cond[i], st)) {
                return 0;
            }

            break;

        default: /* DR_UPSTREAM_HC_BODY */
            rc = dr_regex_exec(cond[i].regex, body, NULL, 0);

            if (rc < 0 && rc != DR_REGEX_NO_MATCHED) {
                return 0;
            }

            if ((rc != DR_REGEX_NO_MATCHED)
                != (cond[i].op == DR_UPSTREAM_HC_OP_MATCH))
            {
                return 0;
            }
        }
    }

    return 1;
}


/* a header condition: true if some line of that name satisfies it */
static dr_uint_t
dr_upstream_hc_header_match(dr_upstream_hc_cond_t *cond,
    dr_http_parse_response_t *st)
{
    dr_int_t                 rc;
    dr_uint_t                i, found, ok;
    dr_http_parse_header_t  *h;

    h = st->fields.headers;
    found = 0;
    ok = 0;

    for (i = 0; i < st->fields.nheaders; i++) {

        if (h[i].name.len != cond->name.len
            || dr_strncasecmp(h[i].name.data, cond->name.data,
                              cond->name.len) != 0)
        {
            continue;
        }

        found = 1;

        switch (cond->op) {

        case DR_UPSTREAM_HC_OP_EQUAL:
            ok |= dr_str_eq(&h[i].value, &cond->value);
            break;

        case DR_UPSTREAM_HC_OP_NOTEQUAL:
            ok |= !dr_str_eq(&h[i].value, &cond->value);
            break;

        case DR_UPSTREAM_HC_OP_MATCH:
        case DR_UPSTREAM_HC_OP_NOMATCH:
            rc = dr_regex_exec(cond->regex, &h[i].value, NULL, 0);

            if (rc < 0 && rc != DR_REGEX_NO_MATCHED) {
                return 0;
            }

            ok |= (rc != DR_REGEX_NO_MATCHED)
                  == (cond->op == DR_UPSTREAM_HC_OP_MATCH);
            break;

        default:
            ok = 1;
        }
    }

    if (cond->op == DR_UPSTREAM_HC_OP_ABSENT) {
        return !found;
    }

    return found && ok;
}


/* the probe is over: count it, maybe change the verdict, clean up */
static void
dr_upstream_hc_done(dr_upstream_hc_peer_t *hp, dr_uint_t ok,
    const char *reason)
{
    dr_uint_t               was_down;
    dr_pool_t              *pool;
    dr_upstream_hc_conf_t  *hc;

    hc = hp->hc;

    if (hp->pc.connection) {
        dr_close_connection(hp->pc.connection);
        hp->pc.connection = NULL;
    }

    pool = hp->pool;
    hp->pool = NULL;

    if (ok) {
        hp->npasses++;
        hp->nfails = 0;

        if ((hp->verdict == DR_UPSTREAM_HEALTH_DOWN
             && hp->npasses >= hc->passes)
            || hp->verdict == DR_UPSTREAM_HEALTH_UNKNOWN)
        {
            was_down = (hp->verdict == DR_UPSTREAM_HEALTH_DOWN);

            /* published first: whoever reads the log sees it applied */
            dr_upstream_hc_publish(hp, DR_UPSTREAM_HEALTH_UP);

            if (was_down) {
                dr_log_error(DR_LOG_WARN, hc->log, 0,
                             "upstream \"%V\": peer %V is up after %ui "
                             "passed health checks", &hc->us->name,
                             &hp->name, hp->npasses);
            }
        }

    } else {
        hp->nfails++;
        hp->npasses = 0;

        if (hp->verdict != DR_UPSTREAM_HEALTH_DOWN
            && hp->nfails >= hc->fails)
        {
            dr_upstream_hc_publish(hp, DR_UPSTREAM_HEALTH_DOWN);

            dr_log_error(DR_LOG_WARN, hc->log, 0,
                         "upstream \"%V\": peer %V is down after %ui failed "
                         "health checks (%s)", &hc->us->name, &hp->name,
                         hp->nfails, reason);

        } else {
            dr_log_error(DR_LOG_INFO, hc->log, 0,
                         "upstream \"%V\": health check of %V failed (%s)",
                         &hc->us->name, &hp->name, reason);
        }
    }

    if (pool) {
        dr_destroy_pool(pool);
    }
}


/*
 * Writes <health> to every entry of the current table with hp's address.
 * A peer coming back from DOWN gets its slow_start origin.
 */
static void
dr_upstream_hc_publish(dr_upstream_hc_peer_t *hp, dr_uint_t health)
{
    dr_uint_t              i, old;
    dr_upstream_zone_t    *uz;
    dr_upstream_zpeer_t   *zp;
    dr_upstream_ztable_t  *t;

    old = hp->verdict;
    hp->verdict = health;

    uz = hp->hc->us->zone;

    dr_shmtx_lock(&uz->lock);

    t = uz->table;

    for (i = 0; t && i < t->npeers; i++) {
        zp = &t->peers[i];

        if (zp->socklen != hp->socklen
            || dr_cmp_sockaddr(&zp->sockaddr.sockaddr, zp->socklen,
                               &hp->sockaddr.sockaddr, hp->socklen, 1)
               != DR_OK)
        {
            continue;
        }

        if (health == DR_UPSTREAM_HEALTH_UP
            && old == DR_UPSTREAM_HEALTH_DOWN)
        {
            __atomic_store_n(&zp->state->health_changed, dr_current_msec,
                             __ATOMIC_RELAXED);

            /* and a clean slate for passive health */
            __atomic_store_n(&zp->state->fails, 0, __ATOMIC_RELAXED);
        }

        __atomic_store_n(&zp->state->health, health, __ATOMIC_RELEASE);
    }

    dr_shmtx_unlock(&uz->lock);
}
