/*
 * The agent process: one child of the master, beside the workers, that
 * does the upstream work that must happen once for the whole server, not
 * once per worker: active health checks (modules/upstream_health_check)
 * and, later, service discovery (modules/upstream_discover). It is the
 * writer of the pools' shared state (verdicts, memberships); it serves no
 * client and accepts on no socket.
 *
 * A feature plugs in per pool at config time with
 * dr_upstream_agent_add_task(cf, us, init, data); the master adds the
 * "agent process" role at init_module when at least one pool has a task,
 * and the agent calls every task's init(cycle, us, data) from its
 * init_process, then turns the common event loop (dr_event_loop()): a
 * task lives on timers and connections of its own. With master_process
 * off, the single process starts the tasks itself.
 *
 * A reload replaces the agent, unless every task has a fingerprint
 * (dr_upstream_agent_fingerprint()) and the role's, made of them all, is
 * unchanged: then the running agent goes on with its connections and
 * sessions. A new agent starts with the new configuration; the tasks'
 * verdicts and memberships persist in the zones, not in the agent.
 */

#include "dr_upstream.h"


static dr_int_t dr_upstream_agent_role_fingerprint(dr_cycle_t *cycle,
    dr_array_t *pools, dr_str_t *fp);
static void dr_upstream_agent_run(dr_cycle_t *cycle, dr_uint_t slot);


dr_int_t
dr_upstream_agent_add_task(dr_conf_t *cf, dr_upstream_conf_t *us,
    dr_upstream_agent_init_pt init, void *data)
{
    dr_upstream_agent_task_t  *task;

    if (us->agent_tasks == NULL) {
        us->agent_tasks = dr_array_create(cf->pool, 2,
                                          sizeof(dr_upstream_agent_task_t));
        if (us->agent_tasks == NULL) {
            return DR_ERROR;
        }
    }

    task = dr_array_push(us->agent_tasks);
    if (task == NULL) {
        return DR_ERROR;
    }

    task->init = init;
    task->data = data;
    dr_str_null(&task->fingerprint);

    return DR_OK;
}


dr_int_t
dr_upstream_agent_fingerprint(dr_upstream_conf_t *us, void *data,
    dr_str_t *fingerprint)
{
    dr_uint_t                  i;
    dr_upstream_agent_task_t  *task;

    if (us->agent_tasks == NULL) {
        return DR_ERROR;
    }

    task = us->agent_tasks->elts;

    for (i = 0; i < us->agent_tasks->nelts; i++) {
        if (task[i].data == data) {
            task[i].fingerprint = *fingerprint;
            return DR_OK;
        }
    }

    return DR_ERROR;
}


/*
 * "<pool>\n<task fingerprint>\n..." over every task, in cycle->pool; an
 * empty string when a task has none (the agent is then always replaced)
 */
static dr_int_t
dr_upstream_agent_role_fingerprint(dr_cycle_t *cycle, dr_array_t *pools,
    dr_str_t *fp)
{
    u_char                    *p;
    size_t                     len;
    dr_uint_t                  i, j;
    dr_upstream_conf_t       **usp;
    dr_upstream_agent_task_t  *task;

    usp = pools->elts;
    len = 0;

    dr_str_null(fp);

    for (i = 0; i < pools->nelts; i++) {
        if (usp[i]->agent_tasks == NULL) {
            continue;
        }

        task = usp[i]->agent_tasks->elts;

        for (j = 0; j < usp[i]->agent_tasks->nelts; j++) {
            if (task[j].fingerprint.len == 0) {
                return DR_OK;
            }

            len += usp[i]->name.len + task[j].fingerprint.len + 2;
        }
    }

    p = dr_pnalloc(cycle->pool, len ? len : 1);
    if (p == NULL) {
        return DR_ERROR;
    }

    fp->data = p;

    for (i = 0; i < pools->nelts; i++) {
        if (usp[i]->agent_tasks == NULL) {
            continue;
        }

        task = usp[i]->agent_tasks->elts;

        for (j = 0; j < usp[i]->agent_tasks->nelts; j++) {
            p = dr_cpymem(p, usp[i]->name.data, usp[i]->name.len);
            *p++ = LF;
            p = dr_cpymem(p, task[j].fingerprint.data,
                          task[j].fingerprint.len);
            *p++ = LF;
        }
    }

    fp->len = p - fp->data;

    return DR_OK;
}


dr_int_t
dr_upstream_agent_init_module(dr_cycle_t *cycle, dr_array_t *pools)
{
    dr_uint_t             i, any;
    dr_process_role_t     role;
    dr_upstream_conf_t  **usp;

    usp = pools->elts;
    any = 0;

    for (i = 0; i < pools->nelts; i++) {
        if (usp[i]->agent_tasks && usp[i]->agent_tasks->nelts) {
            any = 1;
            break;
        }
    }

    if (!any) {
        return DR_OK;
    }

    dr_memzero(&role, sizeof(dr_process_role_t));

    role.name = DR_UPSTREAM_AGENT_ROLE;
    role.count = 1;
    role.run = dr_upstream_agent_run;

    if (dr_upstream_agent_role_fingerprint(cycle, pools, &role.fingerprint)
        != DR_OK)
    {
        return DR_ERROR;
    }

    return dr_add_process_role(cycle, &role);
}


dr_int_t
dr_upstream_agent_init_process(dr_cycle_t *cycle, dr_array_t *pools)
{
    dr_uint_t                  i, j;
    dr_upstream_conf_t       **usp;
    dr_upstream_agent_task_t  *task;

    usp = pools->elts;

    for (i = 0; i < pools->nelts; i++) {
        if (usp[i]->agent_tasks == NULL) {
            continue;
        }

        task = usp[i]->agent_tasks->elts;

        for (j = 0; j < usp[i]->agent_tasks->nelts; j++) {
            if (task[j].init(cycle, usp[i], task[j].data) != DR_OK) {
                return DR_ERROR;
            }
        }
    }

    return DR_OK;
}


static void
dr_upstream_agent_run(dr_cycle_t *cycle, dr_uint_t slot)
{
    dr_worker = slot;

    dr_child_process_init(cycle, DR_PROCESS_AGENT);

    dr_event_loop(cycle);
}
