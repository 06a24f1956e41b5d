/* DetachedSampler: the profiler's passes without the GIL (Linux, CPython 3.11 to 3.13).
 *
 * A pass that takes the GIL makes the thread holding it hand it over, 101 times a
 * second: the holder is stopped, both threads switch, and the sampler's wake-up costs
 * it three times what the pass does. run() instead sleeps and samples with the GIL
 * released: under the runtime's thread-list lock (tried, as sample_threads() does; a
 * thread state stays allocated while it is listed) it reads each thread's frames as
 * they are in memory now, while the thread holding the GIL may be changing them. Memory
 * a thread may free meanwhile (a frame, the current-frame pointer) is read through
 * process_vm_readv() on this process, which fails instead of faulting, unless it is
 * known to stay mapped: a thread's root data-stack chunk (see Root) and the C stack of
 * a thread seen running lately (see read_tops) are read directly, as the system call
 * costs tens of µs a pass on a virtual machine. The data stack a thread's frames live
 * in is copied (one call, or memcpy) and walked in the copy. Only code objects the
 * sampler was taught (and holds a reference to) are
 * ever dereferenced: a thread whose stack has any other code gets no sample that pass
 * (the code's address is kept for the caller, and the run ends after the pass with
 * NEW_CODE unless the caller said it knows of it: it looks for the code), nor
 * does one whose frames cannot be read or hold values out of range (read while they
 * changed). A thread not taught is sampled, and ends the run after the pass with
 * NEW_THREAD (for the caller to name it). A thread running a taught event-loop code
 * ends the run with EVENT_LOOP
 * (asyncio task names are read under the GIL). A stack whose key was not taught, all
 * of whose codes were, is kept as its lanes (id(code), f_lasti, ...) for the caller to
 * resolve from the codes it holds. Samples are buffered until drain(); what was
 * skipped and why is counted (stats()). A thread whose CPU clock (a system call that
 * reads none of its memory) and thread state's stack fields have not moved since its
 * last sample has not run: that sample is repeated without reading its stack (most
 * threads of a server wait), a bounded number of times in a row.
 *
 * What it reads is the interpreter's own state, not a consistent snapshot: a stack
 * copied while its thread runs may mix two moments. Such a mix is either a stack that
 * was taught (the thread was there an instant apart) or one the caller resolves from
 * its codes; it never makes the sampler read memory that is not a taught code.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "_stackkey.h"

#if defined(STACKWALK_THREADS) && defined(__linux__)
#include "_detached.h"
#include "_threadlock.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

typedef struct {
    pid_t pid;
    uintptr_t base, end; /* the copied range of the thread's data stack */
    const char *copy;
    _PyInterpreterFrame scratch;
} Reader;

typedef struct { /* one thread of a batch */
    PyThreadState *t;
    uint64_t cpu;        /* its CPU time before its stack was read (0: unknown) */
    uintptr_t fingerprint; /* of its stack fields, then */
    uintptr_t top;       /* its innermost frame's address; 0: none, 1: unreadable */
    uintptr_t base, end; /* the range of its data stack copied */
    int alive;           /* its OS thread ran lately: its C stack is mapped */
} Slot;

static int
read_memory(pid_t pid, void *into, uintptr_t from, size_t size)
{
    struct iovec local = {into, size}, remote = {(void *)from, size};
    return process_vm_readv(pid, &local, 1, &remote, 1, 0) == (ssize_t)size ? 0 : -1;
}

/* The frame at `address`, from the copy or read on its own; NULL when unreadable. */
static const _PyInterpreterFrame *
fetch(Reader *reader, uintptr_t address)
{
    /* (no `address + size`: a torn `previous` near the top of the address space wraps) */
    if (reader->end - reader->base >= sizeof(_PyInterpreterFrame) && address >= reader->base &&
        address - reader->base <= reader->end - reader->base - sizeof(_PyInterpreterFrame) &&
        address % sizeof(void *) == 0) {
        return (const _PyInterpreterFrame *)(reader->copy + (address - reader->base));
    }
    if (read_memory(reader->pid, &reader->scratch, address, sizeof reader->scratch) < 0) {
        return NULL;
    }
    return &reader->scratch;
}

/* Read `n` remote ranges into their local buffers in as few system calls as there
 * are unreadable ranges, plus one (none when all are empty: those the caller read
 * directly count as read); read[i] tells which were. (A call stops at the first range
 * it cannot read, and never splits one.) */
static void
read_many(pid_t pid, struct iovec *local, struct iovec *remote, int n, char *read)
{
    int i = 0;
    while (i < n) {
        if (remote[i].iov_len == 0) { /* nothing to read there (none, or read directly) */
            read[i++] = 1;
            continue;
        }
        ssize_t got = process_vm_readv(pid, local + i, (unsigned long)(n - i), remote + i,
                                       (unsigned long)(n - i), 0);
        while (i < n && got >= 0 && (size_t)got >= remote[i].iov_len) {
            got -= (ssize_t)remote[i].iov_len;
            read[i++] = 1;
        }
        if (i < n) {
            read[i++] = 0; /* the range the call stopped at */
        }
    }
}

/* The batch's innermost frame addresses (0: none; 1: unreadable). Before 3.13 the
 * address is in the thread's current _PyCFrame: in its thread state when it runs no
 * Python code, else on its C stack, which stays mapped while its OS thread lives, so
 * it is read there directly for a thread seen running lately (its stack fields moved,
 * or its CPU clock could be read just now), and through the system call for the
 * others (a thread state whose OS thread ended inside Python code stays listed; the
 * GIL side and sys._current_frames() read it directly all the same), and for all once
 * a library that runs coroutines on C stacks it frees was imported. */
static void
read_tops(pid_t pid, Slot *slots, int n)
{
#if PY_VERSION_HEX >= 0x030D0000
    (void)pid;
    for (int i = 0; i < n; i++) {
        slots[i].top = (uintptr_t)slots[i].t->current_frame;
    }
#else
    struct iovec local[BATCH], remote[BATCH];
    char read[BATCH];
    for (int i = 0; i < n; i++) {
        PyThreadState *t = slots[i].t;
        _PyCFrame *cframe = *(_PyCFrame *volatile *)&t->cframe;
        int direct = cframe == &t->root_cframe || (slots[i].alive && detached_switching < 2);
        size_t size = cframe != NULL && !direct ? sizeof(uintptr_t) : 0;
        slots[i].top = cframe != NULL && direct
                           ? (uintptr_t) * (_PyInterpreterFrame *volatile *)&cframe->current_frame
                           : 0;
        local[i] = (struct iovec){&slots[i].top, size};
        remote[i] = (struct iovec){(void *)((uintptr_t)cframe + offsetof(_PyCFrame, current_frame)),
                                   size};
    }
    read_many(pid, local, remote, n, read);
    for (int i = 0; i < n; i++) {
        slots[i].top = read[i] ? slots[i].top : 1;
    }
#endif
}

/* Copy the innermost part of each thread's current data-stack chunk (where its frames
 * are, but generators') into self->copy, STACK_BYTES apiece: with memcpy() from a root
 * chunk learned (see Root), else through the system call. */
static void
read_stacks(Detached *self, pid_t pid, Slot *slots, int n)
{
    struct iovec local[BATCH], remote[BATCH];
    char read[BATCH];
    for (int i = 0; i < n; i++) {
        PyThreadState *t = slots[i].t;
        _PyStackChunk *chunk = *(_PyStackChunk *volatile *)&t->datastack_chunk;
        uintptr_t top = (uintptr_t) * (PyObject **volatile *)&t->datastack_top;
        const Root *root = detached_root(self, t);
        char *into = self->copy + (size_t)i * STACK_BYTES;
        uintptr_t base = chunk ? (uintptr_t)chunk->data : 0; /* a root's: root->base */
        int direct = root != NULL && (uintptr_t)chunk == root->chunk && top > root->base &&
                     top <= root->end;
        if (base == 0 || top <= base || top % sizeof(void *)) {
            base = top = 0;
            direct = 0;
        }
        else if (top - base > STACK_BYTES) {
            base = top - STACK_BYTES;
        }
        if (direct) {
            memcpy(into, (const void *)base, top - base); /* (frames may change meanwhile) */
            self->stats[STAT_COPIED]++;
        }
        slots[i].base = base;
        slots[i].end = top;
        local[i] = (struct iovec){into, direct ? 0 : top - base};
        remote[i] = (struct iovec){(void *)base, local[i].iov_len};
    }
    read_many(pid, local, remote, n, read);
    for (int i = 0; i < n; i++) {
        if (!read[i]) {
            slots[i].base = slots[i].end = 0;
        }
    }
}

/* Keep the address of a code met but not taught, if it is one (only a number: the
 * caller looks for a live code object at it among the functions it can reach); 0 when
 * what is there is no code object (a frame read while it was being replaced). */
static int
note_unknown(Detached *self, Reader *reader, uintptr_t code)
{
    uintptr_t type = 0;
    if (read_memory(reader->pid, &type, code + offsetof(PyObject, ob_type), sizeof type) < 0 ||
        type != (uintptr_t)&PyCode_Type) {
        return 0;
    }
    for (int i = 0; i < self->n_unknown; i++) {
        if (self->unknown[i] == code) {
            return 1;
        }
    }
    if (self->n_unknown < MAX_UNKNOWN) {
        self->unknown[self->n_unknown++] = code;
    }
    return 1;
}

/* Whether a frame whose code was not taught has not started (its code's first
 * traceable instruction read without dereferencing the code). */
static int
untaught_incomplete(Reader *reader, const _PyInterpreterFrame *frame, PyCodeObject *code)
{
    int first = 0;
    if (frame->owner == FRAME_OWNED_BY_GENERATOR ||
        read_memory(reader->pid, &first,
                    (uintptr_t)code + offsetof(PyCodeObject, _co_firsttraceable),
                    sizeof first) < 0) {
        return 0;
    }
    return FRAME_INSTR(frame) < _PyCode_CODE(code) + first;
}

/* The innermost complete frame at or below `address` (as sys._current_frames() and
 * f_back skip frames that have not started, and C-stack shims): 1 and its code, lasti
 * and caller; 0 at the end of the stack; or why the thread is not sampled (-TORN,
 * -UNKNOWN) or the run ends (-EVENT_LOOP). */
static int
complete_frame(Detached *self, Reader *reader, uintptr_t address, PyCodeObject **code,
               int *lasti, uintptr_t *caller)
{
    for (int guard = 0; address != 0 && guard < WALK_LIMIT; guard++) {
        const _PyInterpreterFrame *frame = fetch(reader, address);
        if (frame == NULL) {
            return -TORN;
        }
        address = (uintptr_t)frame->previous;
#if PY_VERSION_HEX >= 0x030C0000
        if (frame->owner == FRAME_OWNED_BY_CSTACK) {
            continue;
        }
#endif
        PyCodeObject *found = FRAME_CODE(frame);
        intptr_t first;
        if (table_get(&self->loops, (uintptr_t)found, &first)) {
            return -EVENT_LOOP;
        }
        _Py_CODEUNIT *instr = FRAME_INSTR(frame);
        if (!table_get(&self->codes, (uintptr_t)found, &first)) {
            if (untaught_incomplete(reader, frame, found)) {
                continue; /* a frame f_back skips (3.13's __init__ shim is one) */
            }
            if (table_get(&self->ignored, (uintptr_t)found, &first)) {
                return -UNKNOWN;
            }
            if (!note_unknown(self, reader, (uintptr_t)found)) {
                return -TORN;
            }
            self->new_code = 1; /* the run ends after this pass, for the caller to look */
            return -UNKNOWN;
        }
        if (frame->owner != FRAME_OWNED_BY_GENERATOR && instr < _PyCode_CODE(found) + first) {
            continue; /* incomplete */
        }
        Py_ssize_t units = instr - _PyCode_CODE(found);
        if (units < -1 || units >= Py_SIZE(found)) {
            return -TORN;
        }
        *code = found;
        *lasti = (int)units;
        *caller = address;
        return 1;
    }
    return address == 0 ? 0 : -TORN;
}

/* Buffer a sample of `t` (room checked by the caller). */
static int
push_sample(Detached *self, PyThreadState *t, double timestamp, Py_ssize_t stack)
{
    self->samples[self->n_samples++] = (Sample){timestamp, t->thread_id, stack};
    intptr_t known;
    if (!table_get(&self->threads, (uintptr_t)t->thread_id, &known)) {
        self->new_thread = 1; /* the run ends after this pass: to name it while it runs */
    }
    return DUE;
}

/* Buffer a sample of the stack whose key is `hash` (its lanes in self->walk). */
static int
add_sample(Detached *self, PyThreadState *t, double timestamp, Py_hash_t hash,
           Py_ssize_t depth)
{
    intptr_t stack;
    if (self->n_samples >= MAX_SAMPLES) {
        return FULL;
    }
    if (!table_get(&self->stacks, (uintptr_t)hash, &stack)) {
        intptr_t offset;
        if (!table_get(&self->recorded, (uintptr_t)hash, &offset)) { /* once per drain */
            if (self->n_lanes + 2 + 2 * depth > MAX_LANE_WORDS) {
                return FULL;
            }
            offset = self->n_lanes;
            uintptr_t *record = self->lanes + offset; /* hash, depth, the lanes */
            record[0] = (uintptr_t)hash;
            record[1] = (uintptr_t)depth;
            memcpy(&record[2], self->walk, (size_t)(2 * depth) * sizeof(uintptr_t));
            self->n_lanes += 2 + 2 * depth;
            /* its slots allocated beforehand: a pass never allocates (an allocator
             * tracemalloc wraps takes the GIL: a deadlock, under the locks held) */
            table_put_fixed(&self->recorded, (uintptr_t)hash, offset); /* full: repeats */
        }
        stack = -1 - offset;
    }
    return push_sample(self, t, timestamp, stack);
}

/* One thread's sample into the buffers, or a count of why there is none: DUE, or why
 * the pass stops (EVENT_LOOP, FULL). */
static int
sample_thread(Detached *self, Reader *reader, PyThreadState *t, uintptr_t address,
              double timestamp)
{
    PyCodeObject *code = NULL;
    int lasti = 0;
    int found = address == 1 ? -TORN : complete_frame(self, reader, address, &code, &lasti, &address);
    Py_uhash_t acc = LANE_PRIME_5;
    Py_ssize_t depth = 0;
    while (found > 0 && depth < self->max_depth) {
        acc = mix_frame(acc, code, lasti);
        self->walk[2 * depth] = (uintptr_t)code;
        self->walk[2 * depth + 1] = (uintptr_t)(intptr_t)(lasti < 0 ? -1 : lasti * 2);
        depth++;
        if (depth < self->max_depth) {
            found = complete_frame(self, reader, address, &code, &lasti, &address);
        }
    }
    if (found == -TORN || found == -UNKNOWN) {
        self->stats[found == -TORN ? STAT_TORN : STAT_UNKNOWN]++;
        return DUE;
    }
    if (found < 0) {
        return -found;
    }
    if (depth == 0) {
        return DUE; /* no Python frame: not sampled (as sys._current_frames) */
    }
    return add_sample(self, t, timestamp, finish_hash(acc, depth), depth);
}

/* The kernel's per-thread scheduler clock of thread `tid` (glibc's encoding:
 * (~tid << 3) | CPUCLOCK_PERTHREAD | CPUCLOCK_SCHED; it holds for tids below 2^28). */
static clockid_t
thread_clock(unsigned long tid)
{
    return (clockid_t)((~(unsigned int)tid << 3) | 6u);
}

/* The CPU time (ns) thread `t` has used, from its kernel thread's clock (a system call
 * that reads no memory of the thread's); 0 when unknown. */
static uint64_t
thread_cpu(PyThreadState *t)
{
    unsigned long tid = t->native_thread_id;
    struct timespec used;
    if (tid == 0 || tid >= (1ul << 28) || clock_gettime(thread_clock(tid), &used) != 0) {
        return 0;
    }
    return (uint64_t)used.tv_sec * 1000000000u + (uint64_t)used.tv_nsec + 1u;
}

/* The thread state's own fields that move when its stack does (plain fields, read
 * under the thread-list lock): where its frames end, their chunk, its frame link. */
static uintptr_t
stack_fingerprint(PyThreadState *t)
{
#if PY_VERSION_HEX >= 0x030D0000
    uintptr_t link = (uintptr_t)t->current_frame;
#else
    uintptr_t link = (uintptr_t)t->cframe;
#endif
    return (uintptr_t)t->datastack_top ^ ((uintptr_t)t->datastack_chunk * 0x9E3779B97F4A7C15ULL) ^
           (link * 0xC2B2AE3D27D4EB4FULL);
}

/* By the thread state's serial id, not its address: threads started together have
 * consecutive ids, so hundreds of them do not evict one another (addresses hashed did:
 * about a third of 300 idle threads). */
static Quiet *
quiet_slot(Detached *self, PyThreadState *t)
{
    return &self->quiet[(size_t)t->id & (QUIET_SLOTS - 1)];
}

/* Whether the sample remembered in `quiet` may be repeated as it is. */
static int
repeatable(const Detached *self, const Quiet *quiet)
{
    return quiet->repeats < QUIET_REPEATS && quiet->epoch == self->epoch &&
           (quiet->stack >= 0 || quiet->drains == self->drains);
}

/* Whether `t` needs its stack read this pass: 0 when it has not run since its
 * remembered sample (repeated now, counted in `counts`: quiet, and calm among them,
 * those repeated without reading the clock). Fills `slot` with its clock (0: not read)
 * and stack fingerprint, both read before its stack is. */
static int
needs_reading(Detached *self, PyThreadState *t, double timestamp, Slot *slot, int counts[2])
{
    Quiet *quiet = quiet_slot(self, t);
    int known = quiet->t == t && quiet->id == t->id;
    slot->cpu = 0;
    slot->fingerprint = stack_fingerprint(t);
    int still = known && quiet->fingerprint == slot->fingerprint;
    if (still && quiet->cpu != 0 && quiet->calm >= CALM_AFTER && quiet->unread < CALM_SKIP &&
        repeatable(self, quiet)) { /* calm: its clock is not read this pass */
        push_sample(self, t, timestamp, quiet->stack);
        quiet->unread++;
        quiet->repeats++;
        counts[0]++;
        counts[1]++;
        return 0;
    }
    slot->alive = known && !still && timestamp - quiet->seen < RAN_LATELY;
    if (slot->alive && quiet->skip > 0) { /* it runs: its clock is read later */
        quiet->skip--;
        return 1;
    }
    uint64_t cpu = slot->cpu = thread_cpu(t);
    slot->alive = slot->alive || cpu != 0;
    if (!known || cpu == 0 || quiet->cpu == 0) {
        return 1;
    }
    quiet->unread = 0;
    if (quiet->cpu == cpu && still && repeatable(self, quiet)) {
        push_sample(self, t, timestamp, quiet->stack);
        quiet->backoff = 0;
        quiet->repeats++;
        quiet->calm += quiet->calm < CALM_AFTER;
        counts[0]++;
        return 0;
    }
    if (quiet->cpu != cpu) { /* it ran: busy threads pay for the clock less often */
        quiet->calm = 0;
        quiet->skip = quiet->backoff;
        quiet->backoff = quiet->backoff < 8 ? 2 * quiet->backoff + 1 : 15;
    }
    return 1;
}

/* Remember the sample just taken of the thread in `slot` with the clock read before it
 * (else that it has none to repeat). */
static void
remember(Detached *self, const Slot *slot, Py_ssize_t samples_before, double timestamp)
{
    Quiet *quiet = quiet_slot(self, slot->t);
    int sampled = self->n_samples > samples_before;
    if (quiet->t != slot->t || quiet->id != slot->t->id) {
        *quiet = (Quiet){.t = slot->t, .id = slot->t->id, .stack = -1};
    }
    if (!sampled || slot->cpu == 0 || slot->cpu != quiet->cpu ||
        slot->fingerprint != quiet->fingerprint) {
        /* it ran, moved or has no sample; one read again unmoved (after QUIET_REPEATS,
         * or in a new epoch) stays calm */
        quiet->calm = 0;
    }
    quiet->unread = 0;
    quiet->cpu = sampled ? slot->cpu : 0;
    quiet->fingerprint = slot->fingerprint;
    quiet->repeats = 0;
    quiet->stack = sampled ? self->samples[self->n_samples - 1].stack : -1;
    quiet->epoch = self->epoch;
    quiet->drains = self->drains;
    quiet->seen = timestamp;
}

/* One pass over every other thread, under self->mutex and without the GIL. A pass
 * that meets an event loop drops what it had buffered; one that fills the buffers
 * (FULL) keeps what fit, so that what it recorded is taught before the next. */
int
detached_pass(Detached *self, pid_t pid, double timestamp)
{
    if (!stackwalk_try_lock_threads()) {
        self->stats[STAT_BUSY]++;
        return DUE; /* a thread starting or ending: no sample this time */
    }
    Py_ssize_t samples = self->n_samples, lanes = self->n_lanes;
    int reason = DUE;
    int repeated[2] = {0, 0}; /* samples repeated: quiet, and calm among them */
    PyThreadState *t = PyInterpreterState_ThreadHead(self->interp);
    while (t != NULL && reason == DUE) { /* the threads in batches, read together */
        Slot slots[BATCH];
        int n = 0;
        for (; t != NULL && n < BATCH && reason == DUE; t = PyThreadState_Next(t)) {
            if (t->thread_id == self->own) {
                continue;
            }
            if (self->n_samples >= MAX_SAMPLES) {
                reason = FULL;
            }
            else if (needs_reading(self, t, timestamp, &slots[n], repeated)) {
                slots[n++].t = t;
            }
        }
        read_tops(pid, slots, n);
        read_stacks(self, pid, slots, n);
        for (int i = 0; i < n && reason == DUE; i++) {
            Reader reader = {.pid = pid, .base = slots[i].base, .end = slots[i].end,
                             .copy = self->copy + (size_t)i * STACK_BYTES};
            Py_ssize_t before = self->n_samples;
            reason = sample_thread(self, &reader, slots[i].t, slots[i].top, timestamp);
            remember(self, &slots[i], before, timestamp);
        }
    }
    stackwalk_unlock_threads();
    if (reason == EVENT_LOOP) { /* the tick is the GIL side's: what was taken is dropped */
        self->n_samples = samples;
        self->n_lanes = lanes;
        table_empty(&self->recorded); /* it may name records dropped now */
        self->drains++;
    }
    else {
        self->stats[STAT_PASSES]++;
        self->stats[STAT_SAMPLES] += (uint64_t)(self->n_samples - samples);
        self->stats[STAT_QUIET] += (uint64_t)repeated[0];
        self->stats[STAT_CALM] += (uint64_t)repeated[1];
    }
    return reason;
}

/* The file name of the code object that was at `code` (an address a pass met; the
 * code may be gone since), read through the system call like a frame: into `into`,
 * NUL-terminated; its length, or -1 when no code object with an ASCII file name of
 * fewer than `size` characters is there. A hint for the caller's search only: memory
 * reused by another code names that code's file. */
Py_ssize_t
detached_code_file(uintptr_t code, char *into, size_t size)
{
    pid_t pid = getpid();
    uintptr_t type = 0, name = 0;
    PyASCIIObject head;
    if (read_memory(pid, &type, code + offsetof(PyObject, ob_type), sizeof type) < 0 ||
        type != (uintptr_t)&PyCode_Type ||
        read_memory(pid, &name, code + offsetof(PyCodeObject, co_filename), sizeof name) < 0 ||
        read_memory(pid, &head, name, sizeof head) < 0 ||
        (uintptr_t)head.ob_base.ob_type != (uintptr_t)&PyUnicode_Type || !head.state.compact ||
        !head.state.ascii || head.length < 0 || (size_t)head.length >= size ||
        read_memory(pid, into, name + sizeof head, (size_t)head.length) < 0) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < head.length; i++) {
        if ((unsigned char)into[i] >= 0x80) { /* the string was freed and reused meanwhile */
            return -1;
        }
    }
    into[head.length] = '\0';
    return head.length;
}

double
detached_monotonic(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)now.tv_sec + (double)now.tv_nsec * 1e-9;
}

/* Sleep until `until` (monotonic s) or an interrupt(): 1 when interrupted. */
int
detached_sleep_until(Detached *self, double until)
{
    double left = until - detached_monotonic();
    PY_TIMEOUT_T wait = left > 0 ? (PY_TIMEOUT_T)(left * 1e6) : 0;
    if (PyThread_acquire_lock_timed(self->wakeup, wait, 0) == PY_LOCK_ACQUIRED) {
        atomic_store(&self->interrupted, 0); /* the next interrupt() releases it again */
        return 1;
    }
    return 0; /* an interrupt() meanwhile is seen by the next sleep, at once */
}

static int
reads_itself(void)
{
    uintptr_t value = 0x5C09E7E1, copy = 0;
    /* and the thread CPU clock a pass reads (a filter may restrict clock ids too) */
    struct timespec used;
    return read_memory(getpid(), &copy, (uintptr_t)&value, sizeof copy) == 0 && copy == value &&
           clock_gettime(thread_clock((unsigned long)syscall(SYS_gettid)), &used) == 0;
}

/* The seccomp mode of this process (/proc/self/status), -1 when unknown. */
static int
seccomp_mode(void)
{
    FILE *status = fopen("/proc/self/status", "r");
    char line[256];
    int mode = -1;
    while (status != NULL && fgets(line, sizeof line, status) != NULL) {
        if (strncmp(line, "Seccomp:", 8) == 0) {
            mode = atoi(line + 8);
            break;
        }
    }
    if (status != NULL) {
        fclose(status);
    }
    return mode;
}

int
detached_usable(void)
{
    static int usable = -1; /* probed once a process: a filter is inherited, never lifted */
    if (usable >= 0) {
        return usable;
    }
    if (seccomp_mode() != 0) {
        /* A filter may kill a process for a call it does not allow (systemd's default
         * action): try it in a child that only makes that call, then exits. */
        pid_t child = fork();
        if (child == 0) {
            _exit(reads_itself() ? 0 : 1);
        }
        if (child < 0) {
            return usable = 0; /* never tried here: the filter might kill the process */
        }
        int status = 0;
        pid_t waited = -1;
        do {
            waited = child > 0 ? waitpid(child, &status, 0) : -1;
        } while (waited < 0 && child > 0 && errno == EINTR);
        if (waited != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
            return usable = 0;
        }
    }
    return usable = reads_itself();
}
#endif
