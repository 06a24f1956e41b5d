/* DetachedSampler's teaching side (see _detached_type.c): what the passes may
 * recognize, what they met and could not, and counts of what they did. With the GIL;
 * the tables are changed under the sampler's mutex, with the raw allocator only. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "_stackkey.h"

#if defined(STACKWALK_THREADS) && defined(__linux__)
#include "_detached.h"
#include <string.h>

/* The addresses of a list of code objects; NULL with an exception set. */
static uintptr_t *
code_keys(PyObject *items)
{
    Py_ssize_t count = PyList_GET_SIZE(items);
    uintptr_t *keys = PyMem_RawMalloc((size_t)(count ? count : 1) * sizeof(uintptr_t));
    if (keys == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *item = PyList_GET_ITEM(items, i);
        if (!PyCode_Check(item)) {
            PyErr_SetString(PyExc_TypeError, "codes and loops must be code objects");
            PyMem_RawFree(keys);
            return NULL;
        }
        keys[i] = (uintptr_t)item;
    }
    return keys;
}

/* The (raw key, stack index) pairs of a list; -1 with an exception set. */
static int
stack_pairs(PyObject *items, uintptr_t *raws, intptr_t *indices)
{
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++) {
        PyObject *pair = PyList_GET_ITEM(items, i);
        Py_hash_t raw = -1;
        Py_ssize_t index = -1;
        if (!PyTuple_Check(pair) || !PyArg_ParseTuple(pair, "nn", &raw, &index) || index < 0) {
            if (!PyErr_Occurred() || PyErr_ExceptionMatches(PyExc_TypeError)) {
                PyErr_SetString(PyExc_TypeError, "stacks: (raw key, stack index >= 0) pairs");
            }
            return -1;
        }
        raws[i] = (uintptr_t)raw;
        indices[i] = (intptr_t)index;
    }
    return 0;
}

/* A list of ints (thread ids, addresses) as keys; NULL with an exception set. */
static uintptr_t *
int_keys(PyObject *items)
{
    Py_ssize_t count = PyList_GET_SIZE(items);
    uintptr_t *keys = PyMem_RawMalloc((size_t)(count ? count : 1) * sizeof(uintptr_t));
    for (Py_ssize_t i = 0; keys != NULL && i < count; i++) {
        keys[i] = (uintptr_t)PyLong_AsUnsignedLong(PyList_GET_ITEM(items, i));
        if (PyErr_Occurred()) {
            PyMem_RawFree(keys);
            return NULL;
        }
    }
    if (keys == NULL) {
        PyErr_NoMemory();
    }
    return keys;
}

/* teach(stacks, codes, loops, threads, ignored): the pairs (raw key, stack index) a
 * pass turns into samples, the code objects it may read (kept alive until
 * reset(True)), the codes that mean "an event loop runs here", the threads the caller
 * has named, and the addresses of untaught codes the caller knows of (until reset()). */
PyObject *
detached_teach(Detached *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyList_Check(args[0]) || !PyList_Check(args[1]) ||
        !PyList_Check(args[2]) || !PyList_Check(args[3]) || !PyList_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError, "teach(stacks, codes, loops, threads, ignored): lists");
        return NULL;
    }
    Py_ssize_t n_stacks = PyList_GET_SIZE(args[0]);
    uintptr_t *raws = PyMem_RawMalloc((size_t)(n_stacks + 1) * sizeof(uintptr_t));
    intptr_t *indices = PyMem_RawMalloc((size_t)(n_stacks + 1) * sizeof(intptr_t));
    uintptr_t *codes = code_keys(args[1]);
    uintptr_t *loops = codes ? code_keys(args[2]) : NULL;
    uintptr_t *threads = loops ? int_keys(args[3]) : NULL;
    uintptr_t *ignored = threads ? int_keys(args[4]) : NULL; /* addresses: ints too */
    int failed = !raws || !indices || !codes || !loops || !threads || !ignored;
    if (failed && !PyErr_Occurred()) {
        PyErr_NoMemory();
    }
    failed = failed || stack_pairs(args[0], raws, indices) < 0 ||
             PyList_SetSlice(self->held, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, args[1]) < 0 ||
             PyList_SetSlice(self->held, PY_SSIZE_T_MAX, PY_SSIZE_T_MAX, args[2]) < 0;
    if (!failed) {
        PyThread_acquire_lock(self->mutex, WAIT_LOCK);
        for (Py_ssize_t i = 0; !failed && i < n_stacks; i++) {
            failed = table_put(&self->stacks, raws[i], indices[i]) < 0;
        }
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(args[1]); i++) {
            PyCodeObject *code = (PyCodeObject *)codes[i];
            failed = table_put(&self->codes, codes[i], code->_co_firsttraceable) < 0;
        }
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(args[2]); i++) {
            failed = table_put(&self->loops, loops[i], 0) < 0;
        }
        if (PyList_GET_SIZE(args[2])) {
            self->epoch++; /* a quiet thread's sample may have one of those loops */
        }
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(args[3]); i++) {
            failed = table_put(&self->threads, threads[i], 0) < 0;
        }
        for (Py_ssize_t i = 0; !failed && i < PyList_GET_SIZE(args[4]); i++) {
            failed = table_put(&self->ignored, ignored[i], 0) < 0;
        }
        PyThread_release_lock(self->mutex);
        if (failed) {
            PyErr_NoMemory();
        }
    }
    PyMem_RawFree(raws);
    PyMem_RawFree(indices);
    PyMem_RawFree(codes);
    PyMem_RawFree(loops);
    PyMem_RawFree(threads);
    PyMem_RawFree(ignored);
    if (failed) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* reset(everything): forget the stacks taught and the samples buffered; with
 * `everything`, the codes, loops and threads too (and let the codes go). */
PyObject *
detached_reset(Detached *self, PyObject *everything)
{
    int all = PyObject_IsTrue(everything);
    if (all < 0) {
        return NULL;
    }
    PyThread_acquire_lock(self->mutex, WAIT_LOCK);
    table_clear(&self->stacks);
    table_clear(&self->ignored);
    self->epoch++; /* the stack indices remembered for quiet threads are stale now */
    if (all) {
        table_clear(&self->codes);
        table_clear(&self->loops);
        table_clear(&self->threads);
        self->n_unknown = 0;
    }
    self->n_samples = self->n_lanes = 0;
    table_empty(&self->recorded);
    self->drains++;
    PyThread_release_lock(self->mutex);
    /* no pass can read a code now: let them go */
    if (all && PyList_SetSlice(self->held, 0, PY_SSIZE_T_MAX, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

/* unknown_codes(): the addresses of codes the passes met but were not taught (at most
 * MAX_UNKNOWN since the last call), as ints; forgotten here. */
PyObject *
detached_unknown_codes(Detached *self, PyObject *unused)
{
    (void)unused;
    uintptr_t unknown[MAX_UNKNOWN];
    PyThread_acquire_lock(self->mutex, WAIT_LOCK);
    int count = self->n_unknown;
    memcpy(unknown, self->unknown, (size_t)count * sizeof(uintptr_t));
    self->n_unknown = 0;
    PyThread_release_lock(self->mutex);
    PyObject *result = PyList_New(count);
    for (int i = 0; result != NULL && i < count; i++) {
        PyObject *address = PyLong_FromVoidPtr((void *)unknown[i]);
        if (address == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, address);
    }
    return result;
}

/* code_file(address): the file name of the code object at `address` (one that
 * unknown_codes() gave), read without dereferencing it; None when there is no code
 * object with an ASCII file name there now. */
PyObject *
detached_code_file_of(Detached *self, PyObject *address)
{
    (void)self;
    char name[4096];
    void *code = PyLong_AsVoidPtr(address);
    if (code == NULL && PyErr_Occurred()) {
        return NULL;
    }
    /* with the GIL held (a few system calls): no thread frees the code meanwhile */
    Py_ssize_t length = code == NULL ? -1 : detached_code_file((uintptr_t)code, name, sizeof name);
    if (length < 0) {
        Py_RETURN_NONE;
    }
    return PyUnicode_DecodeASCII(name, length, "strict");
}

/* stats(): counts since the sampler was made. */
PyObject *
detached_stats(Detached *self, PyObject *unused)
{
    (void)unused;
    uint64_t stats[N_STATS];
    PyThread_acquire_lock(self->mutex, WAIT_LOCK);
    memcpy(stats, self->stats, sizeof stats);
    PyThread_release_lock(self->mutex);
    return Py_BuildValue("{sKsKsKsKsKsKsKsK}", "passes", (unsigned long long)stats[STAT_PASSES],
                         "samples", (unsigned long long)stats[STAT_SAMPLES],
                         "unknown_code", (unsigned long long)stats[STAT_UNKNOWN],
                         "unreadable", (unsigned long long)stats[STAT_TORN],
                         "threads_busy", (unsigned long long)stats[STAT_BUSY],
                         "quiet", (unsigned long long)stats[STAT_QUIET],
                         "copied", (unsigned long long)stats[STAT_COPIED],
                         "calm", (unsigned long long)stats[STAT_CALM]);
}
#endif
