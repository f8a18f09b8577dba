/*
 * Process-shared mutexes over shared memory (nginx's ngx_shmtx, atomic
 * variant). The lock word is the holder's pid, taken with a compare-and-
 * swap; the master can release the lock of a worker that died holding it.
 *
 * Waiting: the critical sections this guards (slab alloc/free, a peer's
 * counters) last well under a microsecond, so a waiter first spins with
 * growing pause bursts while the holder, running on another CPU, finishes
 * (no spinning on a single CPU: the holder cannot run while we spin). If
 * the lock is still held, the holder was probably descheduled; then we
 * sleep on a futex instead of sched_yield()ing in a loop: yield is a no-op
 * when nothing else is runnable on our CPU and burns the CPU the holder
 * needs when many workers pile up, while a futex costs nothing until the
 * unlock wakes one sleeper. The futex word is a separate 32-bit counter
 * ("wake") bumped at each wakeup, so the 64-bit pid lock stays a plain
 * CAS target; "waiters" lets an unlock skip the syscall when nobody sleeps.
 * Sleeps time out (DR_SHMTX_SLEEP_MS) as a backstop, and a sleeper that
 * finds the holder's pid gone (ESRCH) takes the lock over.
 *
 * The pid is read with getpid() at each lock: cheap, and right in a child
 * right after fork, with no dependency on the os layer's dr_pid.
 */

#include "dr_core.h"

#include <linux/futex.h>
#include <sys/syscall.h>


#define DR_SHMTX_SPIN      2048
#define DR_SHMTX_SLEEP_MS  100


static dr_uint_t dr_shmtx_wait(dr_shmtx_t *mtx, dr_atomic_uint_t pid);
static void dr_shmtx_wakeup(dr_shmtx_t *mtx);
static void dr_shmtx_error(dr_uint_t level, const char *fmt, ...);


dr_int_t
dr_shmtx_create(dr_shmtx_t *mtx, dr_shmtx_sh_t *addr, u_char *name)
{
    long  ncpu;

    mtx->lock = &addr->lock;
    mtx->waiters = &addr->waiters;
    mtx->wake = &addr->wake;
    mtx->name = name;

    ncpu = sysconf(_SC_NPROCESSORS_ONLN);

    mtx->spin = (ncpu > 1) ? DR_SHMTX_SPIN : 0;

    return DR_OK;
}


void
dr_shmtx_destroy(dr_shmtx_t *mtx)
{
    /* nothing to release: the state lives and dies with the zone */
    (void) mtx;
}


dr_uint_t
dr_shmtx_trylock(dr_shmtx_t *mtx)
{
    dr_atomic_uint_t  pid;

    pid = (dr_atomic_uint_t) getpid();

    return (*mtx->lock == 0 && dr_atomic_cmp_set(mtx->lock, 0, pid));
}


void
dr_shmtx_lock(dr_shmtx_t *mtx)
{
    dr_uint_t         i, n;
    dr_atomic_uint_t  pid;

    pid = (dr_atomic_uint_t) getpid();

    for ( ;; ) {

        if (*mtx->lock == 0 && dr_atomic_cmp_set(mtx->lock, 0, pid)) {
            return;
        }

        for (n = 1; n < mtx->spin; n <<= 1) {

            for (i = 0; i < n; i++) {
                dr_cpu_pause();
            }

            if (*mtx->lock == 0 && dr_atomic_cmp_set(mtx->lock, 0, pid)) {
                return;
            }
        }

        if (dr_shmtx_wait(mtx, pid)) {
            /* a dead holder's lock was taken over */
            return;
        }
    }
}


/*
 * One sleep; 1 if it took the lock over from a dead holder. The order
 * matters: waiters++ (a full barrier) before the last look at the lock,
 * against the unlock's lock = 0 (a full barrier) before its look at
 * waiters: either the unlock sees us and bumps "wake" (then FUTEX_WAIT
 * returns at once or is woken), or we see the lock free.
 */
static dr_uint_t
dr_shmtx_wait(dr_shmtx_t *mtx, dr_atomic_uint_t pid)
{
    long              rc;
    dr_uint_t         taken;
    uint32_t          wake;
    dr_atomic_uint_t  holder;
    struct timespec   ts;

    taken = 0;

    (void) dr_atomic_fetch_add(mtx->waiters, 1);

    wake = __atomic_load_n(mtx->wake, __ATOMIC_SEQ_CST);

    holder = *mtx->lock;

    if (holder == 0) {
        goto done;
    }

    ts.tv_sec = 0;
    ts.tv_nsec = DR_SHMTX_SLEEP_MS * 1000000L;

    rc = syscall(SYS_futex, mtx->wake, FUTEX_WAIT, wake, &ts, NULL, 0);

    if (rc == -1 && errno == ETIMEDOUT
        && *mtx->lock == holder
        && kill((pid_t) holder, 0) == -1 && errno == ESRCH
        && dr_atomic_cmp_set(mtx->lock, holder, pid))
    {
        taken = 1;

        dr_shmtx_error(DR_LOG_CRIT,
                       "shared mutex \"%s\" was held by the dead process %P, "
                       "taken over", mtx->name ? (char *) mtx->name : "",
                       (pid_t) holder);
    }

done:

    (void) dr_atomic_fetch_add(mtx->waiters, (dr_atomic_uint_t) -1);

    return taken;
}


void
dr_shmtx_unlock(dr_shmtx_t *mtx)
{
    dr_atomic_uint_t  pid;

    pid = (dr_atomic_uint_t) getpid();

    if (dr_atomic_cmp_set(mtx->lock, pid, 0)) {
        dr_shmtx_wakeup(mtx);
        return;
    }

    dr_shmtx_error(DR_LOG_ALERT,
                   "shared mutex \"%s\" unlocked by %P, but held by %uL",
                   mtx->name ? (char *) mtx->name : "", (pid_t) pid,
                   (uint64_t) *mtx->lock);
}


dr_uint_t
dr_shmtx_force_unlock(dr_shmtx_t *mtx, pid_t pid)
{
    if (dr_atomic_cmp_set(mtx->lock, (dr_atomic_uint_t) pid, 0)) {
        dr_shmtx_wakeup(mtx);
        return 1;
    }

    return 0;
}


static void
dr_shmtx_wakeup(dr_shmtx_t *mtx)
{
    dr_memory_barrier();

    if (*mtx->waiters == 0) {
        return;
    }

    (void) __atomic_fetch_add(mtx->wake, 1, __ATOMIC_SEQ_CST);

    (void) syscall(SYS_futex, mtx->wake, FUTEX_WAKE, 1, NULL, NULL, 0);
}


/* to the cycle's log, or stderr before there is one (and in tests) */
static void
dr_shmtx_error(dr_uint_t level, const char *fmt, ...)
{
    u_char   *p, buf[DR_MAX_ERROR_STR];
    va_list   args;

    va_start(args, fmt);
    p = dr_vslprintf(buf, buf + sizeof(buf), fmt, args);
    va_end(args);

    if (dr_cycle && dr_cycle->log) {
        dr_log_error(level, dr_cycle->log, 0, "%*s", (size_t) (p - buf), buf);

    } else {
        dr_log_stderr(0, "%*s", (size_t) (p - buf), buf);
    }
}
