/* What _detached.c (the passes, without the GIL) and _detached_type.c (the Python
 * type) share. Built on Linux for the CPython versions _stackkey.h knows. */
#ifndef SCOPETEL_STACKWALK_DETACHED_H
#define SCOPETEL_STACKWALK_DETACHED_H

#include "_detached_tables.h"
#include <stdatomic.h>

/* why run() returns; TORN and UNKNOWN only inside a pass (a thread not sampled) */
enum {
    DUE = 0, NEW_THREAD = 1, EVENT_LOOP = 2, INTERRUPTED = 3, FULL = 4, BUSY = 5, NEW_CODE = 6,
    TORN = 7, UNKNOWN = 8
};
/* what stats() counts */
enum {
    STAT_PASSES, STAT_SAMPLES, STAT_UNKNOWN, STAT_TORN, STAT_BUSY, STAT_QUIET, STAT_COPIED, STAT_CALM,
    N_STATS
};
#define BATCH 32                 /* threads whose stacks are read in one system call */
#define STACK_BYTES (32 * 1024)  /* the innermost part of a thread's data stack copied */
#define MAX_SAMPLES 4096         /* buffered samples before run() returns FULL */
#define MAX_LANE_WORDS (1 << 16) /* buffered lanes of untaught stacks */
#define WALK_LIMIT 4096          /* frames looked at per thread, incomplete ones too */
#define MAX_UNKNOWN 32           /* untaught codes' addresses kept for the caller */
#define QUIET_SLOTS 512          /* threads whose last sample is remembered (a power of 2) */
#define QUIET_REPEATS 32         /* then the stack is read again all the same */
#define RAN_LATELY 0.1           /* s: a stack that moved since a read this recent ran */
#define CALM_AFTER 8             /* quiet passes in a row, then the clock is read less often */
#define CALM_SKIP 3              /* passes a calm thread's clock is left unread, at most */

typedef struct {
    double timestamp;
    unsigned long thread_id;
    Py_ssize_t stack; /* a taught stack's index, or -1 - the offset of its lanes record */
} Sample;

/* A thread's last sample, and the thread's CPU time (ns) and the fingerprint of its
 * thread state's stack fields, both read before its stack was: while neither moved,
 * the thread has not run, so its stack is the same and the next pass repeats the
 * sample without reading it, QUIET_REPEATS times at most in a row. (The fingerprint
 * covers a thread state run by another OS thread than the one whose clock is read, and
 * clocks that count in ticks.) A thread found running has its clock read less often
 * (`skip` passes, doubling up to 15) while its stack fields keep moving. A thread
 * found quiet CALM_AFTER passes in a row is calm: while its stack fields stay put its
 * clock is read every CALM_SKIP + 1 passes only (each read is a system call, ~1 µs a
 * thread on a virtual machine, and a server's idle threads are most of its threads).
 * A calm thread that runs again moves its stack fields at its first call or return, so
 * it is read at once; one that only runs on in the frame it waited in (a loop without
 * calls) keeps its old sample CALM_SKIP passes at most. */
typedef struct {
    PyThreadState *t;
    uint64_t id;     /* t->id: unique in the interpreter (a thread state's memory is reused) */
    uint64_t cpu;    /* 0: none */
    uintptr_t fingerprint;
    int repeats;
    Py_ssize_t stack;
    uint64_t epoch;  /* the stacks taught then (reset() forgets them) */
    uint64_t drains; /* the records buffered then (an untaught stack's, -1 - offset) */
    int skip, backoff;
    int calm;   /* passes found quiet by the clock in a row (up to CALM_AFTER) */
    int unread; /* calm passes since the clock was last read */
    double seen; /* when its stack was last read (the pass's timestamp) */
} Quiet;

/* A thread's root data-stack chunk (the first, whose `previous` is NULL): CPython never
 * frees it while the thread state is listed (push_chunk keeps the first frame slot of
 * a root chunk empty so that popping never frees it; the chunks go after the thread
 * state is unlinked, under the thread-list lock a pass holds). So while the thread
 * runs in it, its frames are copied with memcpy() instead of process_vm_readv()
 * (tens of µs a pass on a virtual machine). Learned with the GIL (learn_roots()),
 * where no thread can be moving its frames, and only while no library that gives
 * coroutines data stacks of their own (greenlet, ...: it frees them when one ends) was
 * imported, checked in the same call: the thread's own root stays its main
 * coroutine's, and a coroutine's chunk is never one learned. By the thread state's
 * serial id, as Quiet. */
typedef struct {
    PyThreadState *t;
    uint64_t id;         /* t->id */
    uintptr_t chunk;     /* the root chunk's address */
    uintptr_t base, end; /* where its frames may be */
} Root;

typedef struct {
    PyObject_HEAD
    PyInterpreterState *interp;
    unsigned long own; /* the thread in run(): not sampled */
    Py_ssize_t max_depth;
    PyThread_type_lock mutex; /* the tables and buffers: run()'s passes, the GIL side */
    PyThread_type_lock wakeup; /* held; released by interrupt() to end a sleep */
    atomic_int interrupted;
    atomic_int running;
    Table stacks, codes, loops, threads;
    Table ignored; /* untaught codes the caller knows of: they do not end a run */
    int new_thread; /* a pass sampled a thread not taught */
    int new_code; /* a pass met an untaught code the caller does not know of */
    Table recorded; /* untaught stacks' keys -> their records' offsets, until drained */
    uint64_t stats[N_STATS];
    PyObject *held; /* list: the codes taught, kept alive while the tables name them */
    Sample *samples;
    Py_ssize_t n_samples;
    uintptr_t *lanes; /* untaught stacks' records: hash, depth, 2 * depth lanes */
    Py_ssize_t n_lanes;
    uintptr_t unknown[MAX_UNKNOWN]; /* addresses of codes met but not taught */
    int n_unknown;
    char *copy; /* a batch's data stacks, STACK_BYTES apiece */
    uintptr_t *walk; /* one stack's lanes */
    Quiet *quiet; /* QUIET_SLOTS, by thread state serial id */
    Root *roots;  /* QUIET_SLOTS, likewise */
    uint64_t epoch; /* bumped when the stacks taught are forgotten */
    uint64_t drains; /* bumped when the records of untaught stacks are dropped */
} Detached;

/* One pass over every other thread into the buffers (caller holds self->mutex, not
 * the GIL): DUE, or why it stopped (its samples then dropped). */
STACKWALK_HIDDEN int detached_pass(Detached *self, pid_t pid, double timestamp);
/* Sleep until `until` (detached_monotonic() s) or interrupt(): 1 when interrupted. */
STACKWALK_HIDDEN int detached_sleep_until(Detached *self, double until);
STACKWALK_HIDDEN double detached_monotonic(void);
/* The ASCII file name of the code object at `code`, read without dereferencing it;
 * its length, or -1. */
STACKWALK_HIDDEN Py_ssize_t detached_code_file(uintptr_t code, char *into, size_t size);
/* 1 when process_vm_readv() reads this process's memory (a seccomp filter may forbid
 * it, or kill the caller: then tried in a forked child first). */
STACKWALK_HIDDEN int detached_usable(void);

/* _detached_teach.c: DetachedSampler's methods teach, reset, unknown_codes, stats. */
STACKWALK_HIDDEN PyObject *detached_teach(Detached *self, PyObject *const *args,
                                          Py_ssize_t nargs);
STACKWALK_HIDDEN PyObject *detached_reset(Detached *self, PyObject *everything);
STACKWALK_HIDDEN PyObject *detached_unknown_codes(Detached *self, PyObject *unused);
STACKWALK_HIDDEN PyObject *detached_stats(Detached *self, PyObject *unused);
STACKWALK_HIDDEN PyObject *detached_code_file_of(Detached *self, PyObject *address);
/* _detached_roots.c: learn_roots(), and a thread's root chunk if it was learned. */
STACKWALK_HIDDEN PyObject *detached_learn_roots(Detached *self, PyObject *unused);
STACKWALK_HIDDEN const Root *detached_root(const Detached *self, const PyThreadState *t);
/* 0, or 1 once a library that switches data stacks was imported, 2 one that switches C
 * stacks too (updated by learn_roots(); read by the passes). */
STACKWALK_HIDDEN extern int detached_switching;

#endif
