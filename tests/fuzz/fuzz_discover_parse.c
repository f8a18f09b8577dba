/*
 * libFuzzer target for discovery's parsers (modules/upstream_discover/
 * dr_upstream_discover_parse.c): what any ZooKeeper client may write in a
 * registration, a Dubbo child's name, an override document or the keeper's
 * session list reaches them. The first byte picks the parser, the rest is
 * its input. Whatever parses must be sane: bounded text fields, a port,
 * an address that converts or is a name; the filters must not trip on it.
 * Seeds: tests/fuzz/corpus/discover_parse/.
 */

#include "dr_config.h"
#include "dr_core.h"
#include "dr_upstream_discover.h"


#define fuzz_assert(cond)  do { if (!(cond)) __builtin_trap(); } while (0)


static dr_log_t                        fuzz_log;
static dr_array_t                      fuzz_versions, fuzz_tags;
static dr_str_t                        fuzz_values[2] = {
    dr_string("1.0"), dr_string("blue")
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
fuzz_check(dr_upstream_discover_instance_t *inst)
{
    dr_int_t                        rc;
    dr_upstream_discover_filter_t   f;

    fuzz_assert(inst->host_len > 0 && inst->host_len < sizeof(inst->host));
    fuzz_assert(inst->port > 0);
    fuzz_assert(inst->version_len < sizeof(inst->version));
    fuzz_assert(inst->group_len < sizeof(inst->group));
    fuzz_assert(inst->protocol_len < sizeof(inst->protocol));
    fuzz_assert(inst->tags_len <= sizeof(inst->tags));
    fuzz_assert(inst->weight >= -1 && inst->max_conns >= -1);
    fuzz_assert(inst->backup >= -1 && inst->backup <= 1);

    rc = dr_upstream_discover_parse_addr(inst);
    fuzz_assert(rc == DR_OK || rc == DR_DECLINED || rc == DR_ERROR);

    if (rc == DR_OK) {
        fuzz_assert(inst->socklen == sizeof(struct sockaddr_in)
                    || inst->socklen == sizeof(struct sockaddr_in6));
    }

    dr_memzero(&f, sizeof(f));
    (void) dr_upstream_discover_parse_match(&f, inst);

    f.versions = &fuzz_versions;
    f.groups = &fuzz_versions;
    f.protocols = &fuzz_tags;
    f.tags = &fuzz_tags;
    (void) dr_upstream_discover_parse_match(&f, inst);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char                           *p;
    int64_t                           ids[64];
    dr_int_t                          rc;
    dr_uint_t                         i, n;
    dr_pool_t                        *pool;
    const char                       *err;
    dr_upstream_discover_override_t  *ov;
    dr_upstream_discover_instance_t   inst;

    if (size < 1) {
        return 0;
    }

    if (fuzz_versions.elts == NULL) {
        fuzz_versions.elts = &fuzz_values[0];
        fuzz_versions.nelts = 1;
        fuzz_tags.elts = &fuzz_values[1];
        fuzz_tags.nelts = 1;
    }

    /* a copy of exactly the input, so that ASan sees any overread */

    p = malloc(size - 1 ? size - 1 : 1);
    if (p == NULL) {
        return 0;
    }

    memcpy(p, data + 1, size - 1);
    err = NULL;

    switch (data[0] % 4) {

    case 0:
        rc = dr_upstream_discover_parse_data(p, size - 1, &inst, &err);
        fuzz_assert(rc == DR_OK || (rc == DR_ERROR && err != NULL));
        if (rc == DR_OK) {
            fuzz_check(&inst);
        }
        break;

    case 1:
        rc = dr_upstream_discover_parse_dubbo(p, size - 1, &inst, &err);
        fuzz_assert(rc == DR_OK || (rc == DR_ERROR && err != NULL));
        if (rc == DR_OK) {
            fuzz_check(&inst);
        }
        break;

    case 2:
        pool = dr_create_pool(1024, &fuzz_log);
        if (pool == NULL) {
            break;
        }

        rc = dr_upstream_discover_parse_overrides(p, size - 1, pool, &ov, &n,
                                                  &err);
        fuzz_assert(rc == DR_OK || (rc == DR_ERROR && err != NULL));

        for (i = 0; rc == DR_OK && i < n; i++) {
            fuzz_assert(ov[i].key.len > 0);
            fuzz_assert(ov[i].weight >= -1 && ov[i].down >= -1
                        && ov[i].drain >= -1);
        }

        dr_destroy_pool(pool);
        break;

    default:
        rc = dr_upstream_discover_parse_sessions(p, size - 1, ids, 64);
        fuzz_assert(rc == DR_ERROR || (rc >= 0 && rc <= 64));
        for (i = 1; rc > 0 && i < (dr_uint_t) rc; i++) {
            fuzz_assert(ids[i - 1] <= ids[i]);
        }
        break;
    }

    free(p);

    return 0;
}
