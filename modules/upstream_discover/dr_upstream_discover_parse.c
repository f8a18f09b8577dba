/*
 * What a registration says: the parsers of discovery. Pure code, no I/O,
 * no state; the agent calls them on the bytes of a reply and keeps the
 * result (dr_upstream_discover_instance_t holds bounded copies, because
 * libyaml owns what it parses and is freed before we return).
 *
 * A registration is the data of a child of the discovered path:
 *   - "host:port" or "[v6]:port", nothing else on the line;
 *   - else a JSON or YAML mapping (libyaml reads both): the address in
 *     "address" (Curator), "host" or "ip", the port in "port", else
 *     "sslPort"; drover's fields weight, backup, max_conns, version, group,
 *     tags, enabled -- at the top level, else in "payload" (Curator's
 *     user payload), else in "payload.metadata" (Spring Cloud's, where
 *     instance_status other than UP also disables the instance);
 * or, under a Dubbo path, the child's name: a URL-encoded provider URL.
 *
 * The walk of a document is three levels at most and never follows a
 * node twice, so hostile documents (deep nesting, alias loops, "billion
 * laughs") cost at most their own size, which the caller bounds.
 */

#include <yaml.h>

#include "dr_upstream_discover.h"


#define DR_UPSTREAM_DISCOVER_MAX_WEIGHT     1000000
#define DR_UPSTREAM_DISCOVER_MAX_CONNS      1000000000
#define DR_UPSTREAM_DISCOVER_MAX_OVERRIDES  65536
#define DR_UPSTREAM_DISCOVER_DUBBO_MAX      8192

/* which level of a document set a field: a higher one is not overwritten */
typedef struct {
    dr_upstream_discover_instance_t  *inst;
    dr_uint_t                         level;
    dr_uint_t                         enabled_set;
    dr_uint_t                         port_set;
    dr_uint_t                         ssl_port;
    const char                       *err;
} dr_upstream_discover_parse_ctx_t;


static dr_int_t dr_upstream_discover_parse_plain(u_char *p, u_char *last);
static dr_int_t dr_upstream_discover_parse_hostport(u_char *p, u_char *last,
    dr_upstream_discover_instance_t *inst, const char **err);
static dr_int_t dr_upstream_discover_parse_yaml(u_char *data, size_t len,
    yaml_parser_t *parser, yaml_document_t *doc, const char **err);
static dr_int_t dr_upstream_discover_parse_map(
    dr_upstream_discover_parse_ctx_t *ctx, yaml_document_t *doc,
    yaml_node_t *map);
static dr_int_t dr_upstream_discover_parse_field(
    dr_upstream_discover_parse_ctx_t *ctx, yaml_document_t *doc,
    dr_str_t *key, yaml_node_t *value);
static dr_int_t dr_upstream_discover_parse_scalar(yaml_node_t *node,
    dr_str_t *s);
static dr_uint_t dr_upstream_discover_parse_is_null(yaml_node_t *node);
static dr_int_t dr_upstream_discover_parse_int(dr_str_t *s, dr_int_t max);
static dr_int_t dr_upstream_discover_parse_bool(dr_str_t *s);
static dr_int_t dr_upstream_discover_parse_text(dr_str_t *s, u_char *dst,
    size_t size, size_t *len);
static dr_int_t dr_upstream_discover_parse_tags(yaml_document_t *doc,
    yaml_node_t *node, dr_upstream_discover_instance_t *inst);
static dr_int_t dr_upstream_discover_parse_tag_add(
    dr_upstream_discover_instance_t *inst, dr_str_t *tag);
static dr_int_t dr_upstream_discover_parse_override(yaml_document_t *doc,
    yaml_node_t *node, dr_upstream_discover_override_t *ov);
static ssize_t dr_upstream_discover_parse_unescape(u_char *src, size_t len,
    u_char *dst);
static dr_int_t dr_upstream_discover_parse_dubbo_param(
    dr_upstream_discover_instance_t *inst, dr_str_t *key, dr_str_t *value,
    const char **err);
static dr_uint_t dr_upstream_discover_parse_in(dr_array_t *values,
    u_char *p, size_t len, dr_uint_t any);
static int dr_upstream_discover_parse_cmp_id(const void *a, const void *b);


static void
dr_upstream_discover_parse_init(dr_upstream_discover_instance_t *inst)
{
    dr_memzero(inst, sizeof(dr_upstream_discover_instance_t));

    inst->weight = -1;
    inst->max_conns = -1;
    inst->backup = -1;
    inst->enabled = 1;
}


dr_int_t
dr_upstream_discover_parse_data(u_char *data, size_t len,
    dr_upstream_discover_instance_t *inst, const char **err)
{
    u_char                            *p, *last;
    dr_int_t                           rc;
    yaml_node_t                       *root;
    yaml_parser_t                      parser;
    yaml_document_t                    doc;
    dr_upstream_discover_parse_ctx_t   ctx;

    dr_upstream_discover_parse_init(inst);

    if (data == NULL || len == 0) {
        *err = "no data";
        return DR_ERROR;
    }

    if (len > DR_UPSTREAM_DISCOVER_MAX_DATA) {
        *err = "data longer than 64 KiB";
        return DR_ERROR;
    }

    p = data;
    last = data + len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == CR || *p == LF)) {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == CR
               || last[-1] == LF))
    {
        last--;
    }

    if (p == last) {
        *err = "no data";
        return DR_ERROR;
    }

    if (dr_upstream_discover_parse_plain(p, last) == DR_OK) {
        return dr_upstream_discover_parse_hostport(p, last, inst, err);
    }

    if (dr_upstream_discover_parse_yaml(data, len, &parser, &doc, err)
        != DR_OK)
    {
        return DR_ERROR;
    }

    root = yaml_document_get_root_node(&doc);

    if (root == NULL || root->type != YAML_MAPPING_NODE) {
        yaml_document_delete(&doc);
        yaml_parser_delete(&parser);
        *err = "neither host:port nor a JSON/YAML mapping";
        return DR_ERROR;
    }

    dr_memzero(&ctx, sizeof(ctx));
    ctx.inst = inst;

    rc = dr_upstream_discover_parse_map(&ctx, &doc, root);

    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);

    if (rc != DR_OK) {
        *err = ctx.err;
        return DR_ERROR;
    }

    if (inst->host_len == 0) {
        *err = "no \"address\" or \"host\"";
        return DR_ERROR;
    }

    if (!ctx.port_set) {
        if (ctx.ssl_port == 0) {
            *err = "no \"port\"";
            return DR_ERROR;
        }

        inst->port = (in_port_t) ctx.ssl_port;
    }

    return DR_OK;
}


/* DR_OK if [p, last) looks like a bare address: no blanks, no YAML/JSON */
static dr_int_t
dr_upstream_discover_parse_plain(u_char *p, u_char *last)
{
    for ( /* void */ ; p < last; p++) {
        switch (*p) {
        case ' ': case '\t': case CR: case LF: case '{': case '}':
        case '"': case '\'': case ',': case '#': case '&': case '*':
        case '!': case '|': case '>': case '%': case '@': case '`':
            return DR_DECLINED;
        }
    }

    return DR_OK;
}


/* "host:port", "[v6]:port": the whole of [p, last) */
static dr_int_t
dr_upstream_discover_parse_hostport(u_char *p, u_char *last,
    dr_upstream_discover_instance_t *inst, const char **err)
{
    u_char    *colon, *host, *host_end;
    dr_int_t   port;
    dr_str_t   s;

    if (*p == '[') {
        host = p + 1;
        host_end = dr_strlchr(host, last, ']');

        if (host_end == NULL || host_end + 1 >= last || host_end[1] != ':') {
            *err = "invalid IPv6 address, \"[addr]:port\" expected";
            return DR_ERROR;
        }

        colon = host_end + 1;

    } else {
        host = p;
        colon = NULL;

        for ( /* void */ ; p < last; p++) {
            if (*p == ':') {
                if (colon) {
                    *err = "IPv6 addresses must be in brackets";
                    return DR_ERROR;
                }
                colon = p;
            }
        }

        if (colon == NULL) {
            *err = "no port";
            return DR_ERROR;
        }

        host_end = colon;
    }

    s.data = host;
    s.len = host_end - host;

    if (dr_upstream_discover_parse_text(&s, (u_char *) &inst->host,
                                        sizeof(inst->host), &inst->host_len)
        != DR_OK || inst->host_len == 0)
    {
        *err = "invalid host";
        return DR_ERROR;
    }

    for (p = inst->host; p < inst->host + inst->host_len; p++) {
        if (*p <= ' ' || *p == '/' || *p == '[' || *p == ']' || *p >= 0x7f)
        {
            *err = "invalid host";
            return DR_ERROR;
        }
    }

    port = dr_atoi(colon + 1, last - colon - 1);

    if (port < 1 || port > 65535) {
        *err = "invalid port";
        return DR_ERROR;
    }

    inst->port = (in_port_t) port;

    return DR_OK;
}


/* loads one document; on DR_OK the caller deletes <doc> and <parser> */
static dr_int_t
dr_upstream_discover_parse_yaml(u_char *data, size_t len,
    yaml_parser_t *parser, yaml_document_t *doc, const char **err)
{
    if (!yaml_parser_initialize(parser)) {
        *err = "no memory for the YAML parser";
        return DR_ERROR;
    }

    yaml_parser_set_input_string(parser, data, len);

    if (!yaml_parser_load(parser, doc)) {
        *err = (parser->error == YAML_MEMORY_ERROR)
               ? "no memory for the YAML parser"
               : "invalid JSON/YAML";
        yaml_parser_delete(parser);
        return DR_ERROR;
    }

    return DR_OK;
}


static dr_int_t
dr_upstream_discover_parse_map(dr_upstream_discover_parse_ctx_t *ctx,
    yaml_document_t *doc, yaml_node_t *map)
{
    dr_str_t           key;
    yaml_node_t       *k, *v, *nested[2];
    yaml_node_pair_t  *pair;
    dr_uint_t          i;

    nested[0] = NULL;       /* payload */
    nested[1] = NULL;       /* metadata */

    for (pair = map->data.mapping.pairs.start;
         pair < map->data.mapping.pairs.top;
         pair++)
    {
        k = yaml_document_get_node(doc, pair->key);
        v = yaml_document_get_node(doc, pair->value);

        if (k == NULL || v == NULL
            || dr_upstream_discover_parse_scalar(k, &key) != DR_OK)
        {
            continue;           /* a complex key is none of ours */
        }

        if (dr_str_eq_lit(&key, "payload") && ctx->level == 0) {
            nested[0] = v;
            continue;
        }

        if (dr_str_eq_lit(&key, "metadata") && ctx->level == 1) {
            nested[1] = v;
            continue;
        }

        if (dr_upstream_discover_parse_field(ctx, doc, &key, v) != DR_OK) {
            return DR_ERROR;
        }
    }

    /* the deeper levels fill what the upper ones did not say */

    for (i = 0; i < 2; i++) {
        if (nested[i] == NULL || nested[i]->type != YAML_MAPPING_NODE) {
            continue;
        }

        ctx->level++;

        if (dr_upstream_discover_parse_map(ctx, doc, nested[i]) != DR_OK) {
            return DR_ERROR;
        }

        ctx->level--;
    }

    return DR_OK;
}


static dr_int_t
dr_upstream_discover_parse_field(dr_upstream_discover_parse_ctx_t *ctx,
    yaml_document_t *doc, dr_str_t *key, yaml_node_t *value)
{
    dr_int_t                          n, top;
    dr_str_t                          s;
    dr_upstream_discover_instance_t  *inst;

    inst = ctx->inst;
    top = (ctx->level == 0);

    /* the address: only at the top level (a payload's "host" is not it) */

    if (top && (dr_str_eq_lit(key, "address") || dr_str_eq_lit(key, "host")
                || dr_str_eq_lit(key, "ip")))
    {
        if (inst->host_len || dr_upstream_discover_parse_is_null(value)) {
            return DR_OK;
        }

        if (dr_upstream_discover_parse_scalar(value, &s) != DR_OK
            || s.len == 0)
        {
            ctx->err = "invalid \"address\"";
            return DR_ERROR;
        }

        if (s.len > 2 && s.data[0] == '[' && s.data[s.len - 1] == ']') {
            s.data++;
            s.len -= 2;
        }

        if (dr_upstream_discover_parse_text(&s, inst->host,
                                            sizeof(inst->host),
                                            &inst->host_len)
            != DR_OK
            || dr_strlchr(s.data, s.data + s.len, ' ')
            || dr_strlchr(s.data, s.data + s.len, '/'))
        {
            ctx->err = "invalid \"address\"";
            return DR_ERROR;
        }

        return DR_OK;
    }

    if (top && (dr_str_eq_lit(key, "port") || dr_str_eq_lit(key, "sslPort")))
    {
        if (dr_upstream_discover_parse_is_null(value)) {
            return DR_OK;       /* Curator writes "port": null */
        }

        if (dr_upstream_discover_parse_scalar(value, &s) != DR_OK) {
            ctx->err = "invalid \"port\"";
            return DR_ERROR;
        }

        n = dr_upstream_discover_parse_int(&s, 65535);

        if (n < 1) {
            ctx->err = "invalid \"port\"";
            return DR_ERROR;
        }

        if (key->len == 4) {
            inst->port = (in_port_t) n;
            ctx->port_set = 1;

        } else {
            ctx->ssl_port = (dr_uint_t) n;
        }

        return DR_OK;
    }

    if (dr_str_eq_lit(key, "weight")) {
        if (inst->weight >= 0 || dr_upstream_discover_parse_is_null(value)) {
            return DR_OK;
        }

        if (dr_upstream_discover_parse_scalar(value, &s) != DR_OK
            || (n = dr_upstream_discover_parse_int(
                        &s, DR_UPSTREAM_DISCOVER_MAX_WEIGHT)) < 0)
        {
            ctx->err = "invalid \"weight\"";
            return DR_ERROR;
        }

        inst->weight = n;
        return DR_OK;
    }

    if (dr_str_eq_lit(key, "max_conns")) {
        if (inst->max_conns >= 0
            || dr_upstream_discover_parse_is_null(value))
        {
            return DR_OK;
        }

        if (dr_upstream_discover_parse_scalar(value, &s) != DR_OK
            || (n = dr_upstream_discover_parse_int(
                        &s, DR_UPSTREAM_DISCOVER_MAX_CONNS)) < 0)
        {
            ctx->err = "invalid \"max_conns\"";
            return DR_ERROR;
        }

        inst->max_conns = n;
        return DR_OK;
    }

    if (dr_str_eq_lit(key, "backup") || dr_str_eq_lit(key, "enabled")) {
        if (dr_upstream_discover_parse_is_null(value)) {
            return DR_OK;
        }

        if (dr_upstream_discover_parse_scalar(value, &s) != DR_OK
            || (n = dr_upstream_discover_parse_bool(&s)) < 0)
        {
            ctx->err = (key->data[0] == 'b') ? "invalid \"backup\""
                                             : "invalid \"enabled\"";
            return DR_ERROR;
        }

        if (key->data[0] == 'b') {
            if (inst->backup < 0) {
                inst->backup = n;
            }

        } else if (!ctx->enabled_set) {
            inst->enabled = (dr_uint_t) n;
            ctx->enabled_set = 1;
        }

        return DR_OK;
    }

    if (dr_str_eq_lit(key, "instance_status") && ctx->level == 2) {
        if (dr_upstream_discover_parse_scalar(value, &s) == DR_OK
            && !ctx->enabled_set)
        {
            inst->enabled = (s.len == 2 && dr_strncasecmp(s.data,
                                                (u_char *) "UP", 2) == 0);
            ctx->enabled_set = 1;
        }

        return DR_OK;
    }

    if (dr_str_eq_lit(key, "version") || dr_str_eq_lit(key, "group")) {
        if (dr_upstream_discover_parse_is_null(value)) {
            return DR_OK;
        }

        if (key->data[0] == 'v' ? inst->has_version : inst->has_group) {
            return DR_OK;
        }

        if (dr_upstream_discover_parse_scalar(value, &s) != DR_OK
            || (key->data[0] == 'v'
                ? dr_upstream_discover_parse_text(&s, inst->version,
                                                  sizeof(inst->version),
                                                  &inst->version_len)
                : dr_upstream_discover_parse_text(&s, inst->group,
                                                  sizeof(inst->group),
                                                  &inst->group_len))
               != DR_OK)
        {
            ctx->err = (key->data[0] == 'v') ? "invalid \"version\""
                                             : "invalid \"group\"";
            return DR_ERROR;
        }

        if (key->data[0] == 'v') {
            inst->has_version = 1;
        } else {
            inst->has_group = 1;
        }

        return DR_OK;
    }

    if (dr_str_eq_lit(key, "tags")) {
        if (inst->tags_len || dr_upstream_discover_parse_is_null(value)) {
            return DR_OK;
        }

        if (dr_upstream_discover_parse_tags(doc, value, inst) != DR_OK) {
            ctx->err = "invalid \"tags\"";
            return DR_ERROR;
        }

        return DR_OK;
    }

    return DR_OK;           /* Curator's name, id, uriSpec... */
}


/* a scalar's text (a view into libyaml's memory) */
static dr_int_t
dr_upstream_discover_parse_scalar(yaml_node_t *node, dr_str_t *s)
{
    if (node->type != YAML_SCALAR_NODE) {
        return DR_ERROR;
    }

    s->data = node->data.scalar.value;
    s->len = node->data.scalar.length;

    return DR_OK;
}


/* JSON null, YAML null, ~ or an empty plain scalar */
static dr_uint_t
dr_upstream_discover_parse_is_null(yaml_node_t *node)
{
    dr_str_t  s;

    if (node->type != YAML_SCALAR_NODE
        || node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
    {
        return 0;
    }

    s.data = node->data.scalar.value;
    s.len = node->data.scalar.length;

    return s.len == 0 || dr_str_eq_lit(&s, "~") || dr_str_eq_lit(&s, "null")
           || dr_str_eq_lit(&s, "Null") || dr_str_eq_lit(&s, "NULL");
}


/* a decimal 0..max (JSON numbers, or the strings of a metadata map) */
static dr_int_t
dr_upstream_discover_parse_int(dr_str_t *s, dr_int_t max)
{
    dr_int_t  n;

    n = dr_atoi(s->data, s->len);

    if (n == DR_ERROR || n > max) {
        return DR_ERROR;
    }

    return n;
}


/* YAML 1.1 booleans and JSON's: 1, 0 or DR_ERROR */
static dr_int_t
dr_upstream_discover_parse_bool(dr_str_t *s)
{
    static const char  *yes[] = { "true", "yes", "on", "y", "1" };
    static const char  *no[] = { "false", "no", "off", "n", "0" };

    dr_uint_t  i;

    for (i = 0; i < dr_nelems(yes); i++) {
        if (s->len == dr_strlen(yes[i])
            && dr_strncasecmp(s->data, (u_char *) yes[i], s->len) == 0)
        {
            return 1;
        }

        if (s->len == dr_strlen(no[i])
            && dr_strncasecmp(s->data, (u_char *) no[i], s->len) == 0)
        {
            return 0;
        }
    }

    return DR_ERROR;
}


/* copies printable text (no control bytes, no ",") into dst[size] */
static dr_int_t
dr_upstream_discover_parse_text(dr_str_t *s, u_char *dst, size_t size,
    size_t *len)
{
    size_t  i;

    if (s->len >= size) {
        return DR_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        if (s->data[i] < ' ' || s->data[i] == 0x7f || s->data[i] == ',') {
            return DR_ERROR;
        }
    }

    dr_memcpy(dst, s->data, s->len);
    *len = s->len;

    return DR_OK;
}


/* tags: a sequence of scalars, or one "a,b,c" scalar */
static dr_int_t
dr_upstream_discover_parse_tags(yaml_document_t *doc, yaml_node_t *node,
    dr_upstream_discover_instance_t *inst)
{
    u_char            *p, *last, *comma;
    dr_str_t           s, tag;
    yaml_node_t       *item;
    yaml_node_item_t  *it;

    if (node->type == YAML_SEQUENCE_NODE) {
        for (it = node->data.sequence.items.start;
             it < node->data.sequence.items.top;
             it++)
        {
            item = yaml_document_get_node(doc, *it);

            if (item == NULL
                || dr_upstream_discover_parse_scalar(item, &s) != DR_OK
                || dr_strlchr(s.data, s.data + s.len, ',')
                || dr_upstream_discover_parse_tag_add(inst, &s) != DR_OK)
            {
                return DR_ERROR;
            }
        }

        return DR_OK;
    }

    if (dr_upstream_discover_parse_scalar(node, &s) != DR_OK) {
        return DR_ERROR;
    }

    p = s.data;
    last = s.data + s.len;

    while (p < last) {
        comma = dr_strlchr(p, last, ',');
        if (comma == NULL) {
            comma = last;
        }

        tag.data = p;
        tag.len = comma - p;

        while (tag.len && tag.data[0] == ' ') {
            tag.data++;
            tag.len--;
        }

        while (tag.len && tag.data[tag.len - 1] == ' ') {
            tag.len--;
        }

        if (dr_upstream_discover_parse_tag_add(inst, &tag) != DR_OK) {
            return DR_ERROR;
        }

        p = comma + 1;
    }

    return DR_OK;
}


static dr_int_t
dr_upstream_discover_parse_tag_add(dr_upstream_discover_instance_t *inst,
    dr_str_t *tag)
{
    size_t  i, need;

    if (tag->len == 0) {
        return DR_OK;
    }

    for (i = 0; i < tag->len; i++) {
        if (tag->data[i] < ' ' || tag->data[i] == 0x7f) {
            return DR_ERROR;
        }
    }

    need = tag->len + (inst->tags_len ? 1 : 0);

    if (inst->tags_len + need > sizeof(inst->tags)) {
        return DR_ERROR;
    }

    if (inst->tags_len) {
        inst->tags[inst->tags_len++] = ',';
    }

    dr_memcpy(inst->tags + inst->tags_len, tag->data, tag->len);
    inst->tags_len += tag->len;

    return DR_OK;
}


dr_int_t
dr_upstream_discover_parse_dubbo(u_char *name, size_t len,
    dr_upstream_discover_instance_t *inst, const char **err)
{
    u_char    *p, *last, *scheme_end, *host, *host_end, *q, *amp, *eq;
    u_char     url[DR_UPSTREAM_DISCOVER_DUBBO_MAX];
    ssize_t    n;
    dr_str_t   key, value, s;

    dr_upstream_discover_parse_init(inst);

    if (len == 0 || len > sizeof(url)) {
        *err = len ? "provider URL too long" : "empty provider URL";
        return DR_ERROR;
    }

    n = dr_upstream_discover_parse_unescape(name, len, url);
    if (n < 0) {
        *err = "invalid URL encoding";
        return DR_ERROR;
    }

    p = url;
    last = url + n;

    /* protocol://[user[:password]@]host:port[/path][?query] */

    scheme_end = dr_strnstr(p, "://", last - p);

    if (scheme_end == NULL || scheme_end == p) {
        *err = "not a provider URL";
        return DR_ERROR;
    }

    s.data = p;
    s.len = scheme_end - p;

    if (dr_upstream_discover_parse_text(&s, inst->protocol,
                                        sizeof(inst->protocol),
                                        &inst->protocol_len)
        != DR_OK)
    {
        *err = "invalid protocol";
        return DR_ERROR;
    }

    host = scheme_end + 3;

    for (host_end = host; host_end < last; host_end++) {
        if (*host_end == '/' || *host_end == '?') {
            break;
        }
    }

    q = dr_strlchr(host, host_end, '@');
    if (q) {
        host = q + 1;
    }

    if (dr_upstream_discover_parse_hostport(host, host_end, inst, err)
        != DR_OK)
    {
        return DR_ERROR;
    }

    q = dr_strlchr(host_end, last, '?');

    if (q == NULL) {
        return DR_OK;
    }

    for (p = q + 1; p < last; p = amp + 1) {
        amp = dr_strlchr(p, last, '&');
        if (amp == NULL) {
            amp = last;
        }

        eq = dr_strlchr(p, amp, '=');

        key.data = p;
        key.len = (eq ? eq : amp) - p;
        value.data = eq ? eq + 1 : amp;
        value.len = amp - value.data;

        if (dr_upstream_discover_parse_dubbo_param(inst, &key, &value, err)
            != DR_OK)
        {
            return DR_ERROR;
        }
    }

    return DR_OK;
}


static dr_int_t
dr_upstream_discover_parse_dubbo_param(dr_upstream_discover_instance_t *inst,
    dr_str_t *key, dr_str_t *value, const char **err)
{
    dr_int_t  n;

    if (dr_str_eq_lit(key, "weight")) {
        n = dr_upstream_discover_parse_int(value,
                                           DR_UPSTREAM_DISCOVER_MAX_WEIGHT);
        if (n < 0) {
            *err = "invalid \"weight\" parameter";
            return DR_ERROR;
        }

        inst->weight = n;
        return DR_OK;
    }

    if (dr_str_eq_lit(key, "enabled") || dr_str_eq_lit(key, "disabled")) {
        n = dr_upstream_discover_parse_bool(value);
        if (n < 0) {
            *err = "invalid \"enabled\" parameter";
            return DR_ERROR;
        }

        if (key->data[0] == 'e' ? n == 0 : n == 1) {
            inst->enabled = 0;
        }

        return DR_OK;
    }

    if (dr_str_eq_lit(key, "version")) {
        if (dr_upstream_discover_parse_text(value, inst->version,
                                            sizeof(inst->version),
                                            &inst->version_len)
            != DR_OK)
        {
            *err = "invalid \"version\" parameter";
            return DR_ERROR;
        }

        inst->has_version = 1;
        return DR_OK;
    }

    if (dr_str_eq_lit(key, "group")) {
        if (dr_upstream_discover_parse_text(value, inst->group,
                                            sizeof(inst->group),
                                            &inst->group_len)
            != DR_OK)
        {
            *err = "invalid \"group\" parameter";
            return DR_ERROR;
        }

        inst->has_group = 1;
        return DR_OK;
    }

    return DR_OK;
}


/* %XX and '+' (Java's URLEncoder) into <dst>; -1 on a broken escape */
static ssize_t
dr_upstream_discover_parse_unescape(u_char *src, size_t len, u_char *dst)
{
    u_char  *d, c, h, l;
    size_t   i;

    d = dst;

    for (i = 0; i < len; i++) {
        c = src[i];

        if (c == '+') {
            *d++ = ' ';
            continue;
        }

        if (c != '%') {
            *d++ = c;
            continue;
        }

        if (i + 2 >= len) {
            return -1;
        }

        h = src[i + 1] | 0x20;
        l = src[i + 2] | 0x20;

        if (!((h >= '0' && h <= '9') || (h >= 'a' && h <= 'f'))
            || !((l >= '0' && l <= '9') || (l >= 'a' && l <= 'f')))
        {
            return -1;
        }

        h = (h <= '9') ? h - '0' : h - 'a' + 10;
        l = (l <= '9') ? l - '0' : l - 'a' + 10;

        *d++ = (u_char) (h << 4 | l);
        i += 2;
    }

    return d - dst;
}


dr_int_t
dr_upstream_discover_parse_addr(dr_upstream_discover_instance_t *inst)
{
    in_addr_t             a;
    struct sockaddr_in   *sin;
    struct sockaddr_in6  *sin6;

    dr_memzero(&inst->sockaddr, sizeof(dr_sockaddr_t));

    a = dr_inet_addr(inst->host, inst->host_len);

    if (a != INADDR_NONE) {
        sin = &inst->sockaddr.sockaddr_in;
        sin->sin_family = AF_INET;
        sin->sin_addr.s_addr = a;
        sin->sin_port = htons(inst->port);
        inst->socklen = sizeof(struct sockaddr_in);
        return DR_OK;
    }

    if (dr_strlchr(inst->host, inst->host + inst->host_len, ':')) {
        sin6 = &inst->sockaddr.sockaddr_in6;

        if (dr_inet6_addr(inst->host, inst->host_len,
                          sin6->sin6_addr.s6_addr)
            != DR_OK)
        {
            return DR_ERROR;
        }

        sin6->sin6_family = AF_INET6;
        sin6->sin6_port = htons(inst->port);
        inst->socklen = sizeof(struct sockaddr_in6);
        return DR_OK;
    }

    /* digits and dots only, but not a valid address: "300.1.1.1" */

    for (a = 0; a < inst->host_len; a++) {
        if ((inst->host[a] < '0' || inst->host[a] > '9')
            && inst->host[a] != '.')
        {
            return DR_DECLINED;
        }
    }

    return DR_ERROR;
}


dr_uint_t
dr_upstream_discover_parse_match(dr_upstream_discover_filter_t *f,
    dr_upstream_discover_instance_t *inst)
{
    u_char    *p, *last, *comma;
    dr_str_t  *tag;
    dr_uint_t  i, found;

    if (f->versions
        && !dr_upstream_discover_parse_in(f->versions, inst->version,
                                          inst->version_len, 1))
    {
        return 0;
    }

    if (f->groups
        && !dr_upstream_discover_parse_in(f->groups, inst->group,
                                          inst->group_len, 1))
    {
        return 0;
    }

    /* a protocol filter concerns the registrations that have one */

    if (f->protocols && inst->protocol_len
        && !dr_upstream_discover_parse_in(f->protocols, inst->protocol,
                                          inst->protocol_len, 0))
    {
        return 0;
    }

    if (f->tags == NULL) {
        return 1;
    }

    tag = f->tags->elts;

    for (i = 0; i < f->tags->nelts; i++) {
        found = 0;
        p = inst->tags;
        last = inst->tags + inst->tags_len;

        while (p < last) {
            comma = dr_strlchr(p, last, ',');
            if (comma == NULL) {
                comma = last;
            }

            if ((size_t) (comma - p) == tag[i].len
                && dr_memcmp(p, tag[i].data, tag[i].len) == 0)
            {
                found = 1;
                break;
            }

            p = comma + 1;
        }

        if (!found) {
            return 0;
        }
    }

    return 1;
}


static dr_uint_t
dr_upstream_discover_parse_in(dr_array_t *values, u_char *p, size_t len,
    dr_uint_t any)
{
    dr_str_t   *v;
    dr_uint_t   i;

    v = values->elts;

    for (i = 0; i < values->nelts; i++) {
        if (any && dr_str_eq_lit(&v[i], "*")) {
            return 1;
        }

        if (v[i].len == len
            && (any ? dr_memcmp(v[i].data, p, len) == 0
                    : dr_strncasecmp(v[i].data, p, len) == 0))
        {
            return 1;
        }
    }

    return 0;
}


dr_int_t
dr_upstream_discover_parse_overrides(u_char *data, size_t len,
    dr_pool_t *pool, dr_upstream_discover_override_t **out, dr_uint_t *n,
    const char **err)
{
    dr_int_t                          rc;
    dr_str_t                          key;
    dr_uint_t                         i;
    yaml_node_t                      *root, *k, *v;
    yaml_parser_t                     parser;
    yaml_document_t                   doc;
    yaml_node_pair_t                 *pair;
    dr_upstream_discover_override_t  *ov;

    *out = NULL;
    *n = 0;

    if (data == NULL || len == 0) {
        return DR_OK;
    }

    if (dr_upstream_discover_parse_yaml(data, len, &parser, &doc, err)
        != DR_OK)
    {
        return DR_ERROR;
    }

    root = yaml_document_get_root_node(&doc);
    rc = DR_OK;

    if (root == NULL || dr_upstream_discover_parse_is_null(root)) {
        goto done;              /* an empty document */
    }

    if (root->type != YAML_MAPPING_NODE) {
        *err = "not a mapping of instances";
        rc = DR_ERROR;
        goto done;
    }

    i = root->data.mapping.pairs.top - root->data.mapping.pairs.start;

    if (i > DR_UPSTREAM_DISCOVER_MAX_OVERRIDES) {
        *err = "more than 65536 instances";
        rc = DR_ERROR;
        goto done;
    }

    ov = dr_pcalloc(pool,
                    (i ? i : 1) * sizeof(dr_upstream_discover_override_t));
    if (ov == NULL) {
        *err = "no memory";
        rc = DR_ERROR;
        goto done;
    }

    i = 0;

    for (pair = root->data.mapping.pairs.start;
         pair < root->data.mapping.pairs.top;
         pair++)
    {
        k = yaml_document_get_node(&doc, pair->key);
        v = yaml_document_get_node(&doc, pair->value);

        if (k == NULL || v == NULL
            || dr_upstream_discover_parse_scalar(k, &key) != DR_OK
            || key.len == 0)
        {
            *err = "an instance must be named by a znode or host:port";
            rc = DR_ERROR;
            goto done;
        }

        ov[i].key.data = dr_pnalloc(pool, key.len);
        if (ov[i].key.data == NULL) {
            *err = "no memory";
            rc = DR_ERROR;
            goto done;
        }

        dr_memcpy(ov[i].key.data, key.data, key.len);
        ov[i].key.len = key.len;

        if (dr_upstream_discover_parse_override(&doc, v, &ov[i]) != DR_OK) {
            *err = "invalid weight, down or drain";
            rc = DR_ERROR;
            goto done;
        }

        i++;
    }

    *out = ov;
    *n = i;

done:

    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);

    return rc;
}


static dr_int_t
dr_upstream_discover_parse_override(yaml_document_t *doc, yaml_node_t *node,
    dr_upstream_discover_override_t *ov)
{
    dr_int_t           n;
    dr_str_t           key, s;
    yaml_node_t       *k, *v;
    yaml_node_pair_t  *pair;

    ov->weight = -1;
    ov->down = -1;
    ov->drain = -1;

    if (dr_upstream_discover_parse_is_null(node)) {
        return DR_OK;
    }

    if (node->type != YAML_MAPPING_NODE) {
        return DR_ERROR;
    }

    for (pair = node->data.mapping.pairs.start;
         pair < node->data.mapping.pairs.top;
         pair++)
    {
        k = yaml_document_get_node(doc, pair->key);
        v = yaml_document_get_node(doc, pair->value);

        if (k == NULL || v == NULL
            || dr_upstream_discover_parse_scalar(k, &key) != DR_OK
            || dr_upstream_discover_parse_scalar(v, &s) != DR_OK)
        {
            return DR_ERROR;
        }

        if (dr_str_eq_lit(&key, "weight")) {
            n = dr_upstream_discover_parse_int(&s,
                                               DR_UPSTREAM_DISCOVER_MAX_WEIGHT);
            if (n < 0) {
                return DR_ERROR;
            }
            ov->weight = n;

        } else if (dr_str_eq_lit(&key, "down")) {
            if ((ov->down = dr_upstream_discover_parse_bool(&s)) < 0) {
                return DR_ERROR;
            }

        } else if (dr_str_eq_lit(&key, "drain")) {
            if ((ov->drain = dr_upstream_discover_parse_bool(&s)) < 0) {
                return DR_ERROR;
            }

        } else {
            return DR_ERROR;    /* a typo must not be silently ignored */
        }
    }

    return DR_OK;
}


dr_int_t
dr_upstream_discover_parse_sessions(u_char *data, size_t len, int64_t *ids,
    dr_uint_t max)
{
    u_char     *p, *last, *eol;
    size_t      i, n;
    uint64_t    v;
    dr_uint_t   count;

    count = 0;
    p = data;
    last = data ? data + len : data;

    while (p < last) {
        eol = dr_strlchr(p, last, LF);
        if (eol == NULL) {
            eol = last;
        }

        n = eol - p;

        if (n) {
            if (n < 3 || n > 18 || p[0] != '0' || (p[1] | 0x20) != 'x'
                || count == max)
            {
                return DR_ERROR;
            }

            v = 0;

            for (i = 2; i < n; i++) {
                u_char  c = p[i] | 0x20;

                if (c >= '0' && c <= '9') {
                    v = v << 4 | (uint64_t) (c - '0');

                } else if (c >= 'a' && c <= 'f') {
                    v = v << 4 | (uint64_t) (c - 'a' + 10);

                } else {
                    return DR_ERROR;
                }
            }

            ids[count++] = (int64_t) v;
        }

        p = eol + 1;
    }

    qsort(ids, count, sizeof(int64_t), dr_upstream_discover_parse_cmp_id);

    return (dr_int_t) count;
}


static int
dr_upstream_discover_parse_cmp_id(const void *a, const void *b)
{
    int64_t  x = *(const int64_t *) a, y = *(const int64_t *) b;

    return (x > y) - (x < y);
}
