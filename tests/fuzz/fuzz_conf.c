/*
 * libFuzzer target: the configuration tokenizer, parser and dispatcher
 * (src/core/dr_conf_file.c) on hostile text.
 *
 * The input is written to a memfd and parsed as a file through the real
 * open/read path, with a module set that has directives of every argument
 * shape, nested blocks and the generic setters, so that dispatch, argument
 * checks and value parsing all run. `include` is left out on purpose: it
 * would let the fuzzer read the machine's files. Every run must end in
 * DR_CONF_OK or DR_CONF_ERROR without a crash, leak or sanitizer report.
 */

#include "dr_core.h"
#include <sys/mman.h>

typedef struct {
    dr_flag_t      flag;
    dr_int_t       num;
    dr_str_t       str;
    size_t         size;
    off_t          off;
    dr_msec_t      msec;
    time_t         sec;
    dr_uint_t      mode;
    dr_uint_t      mask;
    dr_bufs_t      bufs;
    dr_array_t    *strs;
    dr_array_t    *kvs;
    dr_str_t       path;
} fuzz_conf_t;

#define FUZZ_BLOCK_CONF  0x02000000

static char *fuzz_block(dr_conf_t *cf, dr_command_t *cmd, void *conf);
static char *fuzz_any(dr_conf_t *cf, dr_command_t *cmd, void *conf);

static dr_conf_enum_t  fuzz_modes[] = {
    { dr_string("a"), 1 }, { dr_string("b"), 2 }, { dr_null_string, 0 }
};

static dr_conf_bitmask_t  fuzz_masks[] = {
    { dr_string("x"), 1 }, { dr_string("y"), 2 }, { dr_null_string, 0 }
};

#define FUZZ_ANYWHERE  (DR_MAIN_CONF|FUZZ_BLOCK_CONF|DR_DIRECT_CONF)

static dr_command_t  fuzz_commands[] = {
    { dr_string("f"), FUZZ_ANYWHERE|DR_CONF_FLAG,
      dr_conf_set_flag_slot, 0, offsetof(fuzz_conf_t, flag), NULL },
    { dr_string("n"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_num_slot, 0, offsetof(fuzz_conf_t, num), NULL },
    { dr_string("s"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_str_slot, 0, offsetof(fuzz_conf_t, str), NULL },
    { dr_string("z"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_size_slot, 0, offsetof(fuzz_conf_t, size), NULL },
    { dr_string("o"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_off_slot, 0, offsetof(fuzz_conf_t, off), NULL },
    { dr_string("ms"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_msec_slot, 0, offsetof(fuzz_conf_t, msec), NULL },
    { dr_string("sec"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_sec_slot, 0, offsetof(fuzz_conf_t, sec), NULL },
    { dr_string("e"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_enum_slot, 0, offsetof(fuzz_conf_t, mode), fuzz_modes },
    { dr_string("m"), FUZZ_ANYWHERE|DR_CONF_1MORE,
      dr_conf_set_bitmask_slot, 0, offsetof(fuzz_conf_t, mask), fuzz_masks },
    { dr_string("b"), FUZZ_ANYWHERE|DR_CONF_TAKE2,
      dr_conf_set_bufs_slot, 0, offsetof(fuzz_conf_t, bufs), NULL },
    { dr_string("a"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_str_array_slot, 0, offsetof(fuzz_conf_t, strs), NULL },
    { dr_string("k"), FUZZ_ANYWHERE|DR_CONF_TAKE2,
      dr_conf_set_keyval_slot, 0, offsetof(fuzz_conf_t, kvs), NULL },
    { dr_string("p"), FUZZ_ANYWHERE|DR_CONF_TAKE1,
      dr_conf_set_path_slot, 0, offsetof(fuzz_conf_t, path), NULL },
    { dr_string("w"), FUZZ_ANYWHERE|DR_CONF_TAKE1234,
      fuzz_any, 0, 0, NULL },
    { dr_string("any"), FUZZ_ANYWHERE|DR_CONF_ANY,
      fuzz_any, 0, 0, NULL },
    { dr_string("blk"), FUZZ_ANYWHERE|DR_CONF_BLOCK|DR_CONF_TAKE12,
      fuzz_block, 0, 0, NULL },
    { dr_string("nb"), FUZZ_ANYWHERE|DR_CONF_BLOCK|DR_CONF_NOARGS,
      fuzz_block, 0, 0, NULL },
    dr_null_command
};

static dr_module_t   fuzz_module = {
    .name = "fuzz", .type = DR_CORE_MODULE, .commands = fuzz_commands,
};

static dr_module_t  *fuzz_modules[] = { &fuzz_module, NULL };

static dr_uint_t     fuzz_depth;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static char *
fuzz_any(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    return DR_CONF_OK;
}


static char *
fuzz_block(dr_conf_t *cf, dr_command_t *cmd, void *conf)
{
    char       *rv;
    dr_conf_t   save;

    if (fuzz_depth > 64) {
        return "is nested too deeply";
    }

    save = *cf;
    cf->cmd_type = FUZZ_BLOCK_CONF;
    fuzz_depth++;
    rv = dr_conf_parse(cf, NULL);
    fuzz_depth--;
    *cf = save;

    return rv;
}


static void
fuzz_log_writer(dr_log_t *log, dr_uint_t level, u_char *buf, size_t len)
{
    /* the messages are built and dropped: formatting must be safe */
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int           fd;
    char          path[64];
    dr_str_t      name;
    dr_log_t      log;
    dr_conf_t     cf;
    dr_cycle_t    cycle;
    fuzz_conf_t  *fcf;
    static int    inited;

    if (!inited) {
        dr_time_init();
        dr_use_stderr = 0;
        inited = 1;
    }

    fd = memfd_create("drover-fuzz-conf", 0);
    if (fd == -1) {
        return 0;
    }

    if (size && dr_write_fd_all(fd, (u_char *) data, size) != (ssize_t) size) {
        close(fd);
        return 0;
    }

    memset(&log, 0, sizeof(log));
    log.log_level = DR_LOG_DEBUG;
    log.writer = fuzz_log_writer;

    memset(&cycle, 0, sizeof(cycle));
    cycle.log = &log;
    cycle.pool = dr_create_pool(16384, &log);
    cycle.modules = fuzz_modules;
    fuzz_module.index = 0;
    fuzz_module.ctx_index = 0;
    cycle.conf_ctx = dr_pcalloc(cycle.pool, sizeof(void *));
    dr_str_set(&cycle.prefix, "/prefix/");
    dr_str_set(&cycle.conf_prefix, "/conf/");
    dr_array_init(&cycle.config_dump, cycle.pool, 1, sizeof(dr_conf_dump_t));

    fcf = dr_pcalloc(cycle.pool, sizeof(fuzz_conf_t));
    fcf->flag = DR_CONF_UNSET;
    fcf->num = DR_CONF_UNSET;
    fcf->size = DR_CONF_UNSET_SIZE;
    fcf->off = DR_CONF_UNSET;
    fcf->msec = DR_CONF_UNSET_MSEC;
    fcf->sec = DR_CONF_UNSET;
    fcf->mode = DR_CONF_UNSET_UINT;
    fcf->strs = DR_CONF_UNSET_PTR;
    fcf->kvs = DR_CONF_UNSET_PTR;
    cycle.conf_ctx[0] = fcf;

    memset(&cf, 0, sizeof(cf));
    cf.args = dr_array_create(cycle.pool, 10, sizeof(dr_str_t));
    cf.temp_pool = dr_create_pool(16384, &log);
    cf.ctx = cycle.conf_ctx;
    cf.cycle = &cycle;
    cf.pool = cycle.pool;
    cf.log = &log;
    cf.module_type = DR_CORE_MODULE;
    cf.cmd_type = DR_MAIN_CONF;

    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    name.data = (u_char *) path;
    name.len = strlen(path);

    fuzz_depth = 0;
    (void) dr_conf_parse(&cf, &name);

    dr_destroy_pool(cf.temp_pool);
    dr_destroy_pool(cycle.pool);
    close(fd);

    return 0;
}
