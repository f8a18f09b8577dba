/*
 * drover: the core layer's umbrella header.
 *
 * Layers include downward only: core <- os <- event <- {http, upstream, zk}
 * <- keeper. The forward typedefs below break the cycles between the core's
 * own headers (a cycle holds modules, a module holds commands that take a
 * conf, a conf points at a cycle).
 */

#ifndef DR_CORE_H_INCLUDED
#define DR_CORE_H_INCLUDED

#include "dr_config.h"

typedef struct dr_module_s       dr_module_t;
typedef struct dr_conf_s         dr_conf_t;
typedef struct dr_cycle_s        dr_cycle_t;
typedef struct dr_pool_s         dr_pool_t;
typedef struct dr_chain_s        dr_chain_t;
typedef struct dr_log_s          dr_log_t;
typedef struct dr_open_file_s    dr_open_file_t;
typedef struct dr_command_s      dr_command_t;
typedef struct dr_file_s         dr_file_t;
typedef struct dr_event_s        dr_event_t;
typedef struct dr_connection_s   dr_connection_t;
typedef struct dr_shm_zone_s     dr_shm_zone_t;

typedef void (*dr_event_handler_pt)(dr_event_t *ev);
typedef void (*dr_connection_handler_pt)(dr_connection_t *c);

/*
 * Return codes are a protocol (nginx's): DR_AGAIN = not ready yet, the event
 * calls again; DR_DECLINED = not mine, try the next handler; DR_DONE =
 * finished elsewhere.
 */
#define DR_OK          0
#define DR_ERROR      -1
#define DR_AGAIN      -2
#define DR_BUSY       -3
#define DR_DONE       -4
#define DR_DECLINED   -5
#define DR_ABORT      -6

/* parsers own nothing: they return bytes consumed or one of these */
#define DR_PARSE_ERROR  -1
#define DR_PARSE_AGAIN  -2

#include "dr_errno.h"
#include "dr_atomic.h"
#include "dr_string.h"
#include "dr_palloc.h"
#include "dr_array.h"
#include "dr_list.h"
#include "dr_queue.h"
#include "dr_buf.h"
#include "dr_file.h"
#include "dr_times.h"
#include "dr_log.h"
#include "dr_objpool.h"
#include "dr_rbtree.h"
#include "dr_hash.h"
#include "dr_shmtx.h"
#include "dr_slab.h"
#include "dr_shm.h"
#include "dr_inet.h"
#include "dr_conf_file.h"
#include "dr_module.h"
#include "dr_cycle.h"

#define dr_abort       abort

#define DR_BUG_ON(cond, log, msg)                                             \
    do {                                                                      \
        if (dr_unlikely(cond)) {                                              \
            dr_log_error(DR_LOG_ALERT, log, 0, "BUG: %s (%s:%d)", msg,        \
                         __FILE__, __LINE__);                                 \
            if (DR_DEBUG) { dr_abort(); }                                     \
        }                                                                     \
    } while (0)

#endif /* DR_CORE_H_INCLUDED */
