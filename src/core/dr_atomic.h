/*
 * Atomics and memory barriers: GCC/clang builtins, nothing else. Shared
 * memory (zones, the peer tables the agent publishes) is read and written
 * through these only.
 */
#ifndef DR_ATOMIC_H_INCLUDED
#define DR_ATOMIC_H_INCLUDED

typedef int64_t                   dr_atomic_int_t;
typedef uint64_t                  dr_atomic_uint_t;
typedef volatile dr_atomic_uint_t dr_atomic_t;

#define dr_atomic_cmp_set(lock, old, set)                                     \
    __sync_bool_compare_and_swap(lock, old, set)
#define dr_atomic_fetch_add(value, add)  __sync_fetch_and_add(value, add)
#define dr_atomic_load(p)       __atomic_load_n(p, __ATOMIC_ACQUIRE)
#define dr_atomic_store(p, v)   __atomic_store_n(p, v, __ATOMIC_RELEASE)
#define dr_memory_barrier()     __sync_synchronize()
#define dr_cpu_pause()          __builtin_ia32_pause()

#endif
