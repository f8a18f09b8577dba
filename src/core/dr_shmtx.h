/*
 * A mutex shared between processes: its state (dr_shmtx_sh_t) lives in a
 * shared memory zone; each process holds a dr_shmtx_t pointing at it
 * (created before fork, so the pointers are valid in every child).
 *
 * The lock word holds the holder's pid (0 = free), so that the master can
 * release a lock left behind by a crashed worker (dr_shmtx_force_unlock).
 * See dr_shmtx.c for why it spins and then sleeps on a futex.
 */
#ifndef DR_SHMTX_H_INCLUDED
#define DR_SHMTX_H_INCLUDED

typedef struct {
    dr_atomic_t          lock;      /* holder pid, 0 = free */
    dr_atomic_t          waiters;   /* processes asleep (or about to be) */
    volatile uint32_t    wake;      /* futex word: bumped at each wakeup */
    uint32_t             pad;
} dr_shmtx_sh_t;

typedef struct {
    dr_atomic_t         *lock;
    dr_atomic_t         *waiters;
    volatile uint32_t   *wake;
    dr_uint_t            spin;      /* 0: do not spin (one CPU) */
    u_char              *name;
} dr_shmtx_t;

/*
 * Binds <mtx> to <addr> (zeroed shared memory or a mutex that an earlier
 * cycle created). <name> is kept for log lines. Always DR_OK.
 */
dr_int_t dr_shmtx_create(dr_shmtx_t *mtx, dr_shmtx_sh_t *addr, u_char *name);
void dr_shmtx_destroy(dr_shmtx_t *mtx);
/* 1 if the lock was taken, 0 if it is held (by anyone, including us) */
dr_uint_t dr_shmtx_trylock(dr_shmtx_t *mtx);
/* blocks until taken; not reentrant */
void dr_shmtx_lock(dr_shmtx_t *mtx);
void dr_shmtx_unlock(dr_shmtx_t *mtx);
/* master: releases the lock if <pid> holds it; 1 if it did */
dr_uint_t dr_shmtx_force_unlock(dr_shmtx_t *mtx, pid_t pid);

#endif /* DR_SHMTX_H_INCLUDED */
