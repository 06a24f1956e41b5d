/* DetachedSampler, the Python side of _detached.c: run() the passes without the GIL,
 * teach() what they may recognize, drain() what they buffered (see the .pyi). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "_stackkey.h"

#if defined(STACKWALK_THREADS) && defined(__linux__)
#include "_detached.h"
#include <string.h>
#include <unistd.h>

#if PY_VERSION_HEX >= 0x030D0000
#define FINALIZING() Py_IsFinalizing()
#else
#define FINALIZING() _Py_IsFinalizing()
#endif

static void
detached_dealloc(Detached *self)
{
    PyTypeObject *type = Py_TYPE(self);
    table_clear(&self->stacks);
    table_clear(&self->codes);
    table_clear(&self->loops);
    table_clear(&self->recorded);
    table_clear(&self->threads);
    table_clear(&self->ignored);
    PyMem_RawFree(self->samples);
    PyMem_RawFree(self->lanes);
    PyMem_RawFree(self->copy);
    PyMem_RawFree(self->walk);
    PyMem_RawFree(self->quiet);
    PyMem_RawFree(self->roots);
    if (self->mutex) {
        PyThread_free_lock(self->mutex);
    }
    if (self->wakeup) {
        PyThread_free_lock(self->wakeup);
    }
    Py_XDECREF(self->held);
    type->tp_free((PyObject *)self);
    Py_DECREF(type);
}

static PyObject *
detached_new(PyTypeObject *type, PyObject *args, PyObject *kwargs)
{
    Py_ssize_t max_depth;
    static char *names[] = {"max_depth", NULL};
    if (!PyArg_ParseTupleAndKeywords(args, kwargs, "n", names, &max_depth)) {
        return NULL;
    }
    if (max_depth < 1 || max_depth > 4096) {
        PyErr_SetString(PyExc_ValueError, "max_depth must be 1 to 4096");
        return NULL;
    }
    int usable;
    Py_BEGIN_ALLOW_THREADS
    usable = detached_usable();
    Py_END_ALLOW_THREADS
    if (!usable) {
        PyErr_SetString(PyExc_OSError, "process_vm_readv() cannot read this process");
        return NULL;
    }
    Detached *self = (Detached *)type->tp_alloc(type, 0);
    if (self == NULL) {
        return NULL;
    }
    self->interp = PyInterpreterState_Get();
    self->max_depth = max_depth;
    self->mutex = PyThread_allocate_lock();
    self->wakeup = PyThread_allocate_lock();
    self->held = PyList_New(0);
    self->samples = PyMem_RawMalloc(MAX_SAMPLES * sizeof(Sample));
    self->lanes = PyMem_RawMalloc(MAX_LANE_WORDS * sizeof(uintptr_t));
    self->copy = PyMem_RawMalloc((size_t)BATCH * STACK_BYTES);
    self->walk = PyMem_RawMalloc((size_t)(2 * max_depth) * sizeof(uintptr_t));
    self->quiet = PyMem_RawCalloc(QUIET_SLOTS, sizeof(Quiet));
    self->roots = PyMem_RawCalloc(QUIET_SLOTS, sizeof(Root));
    if (!self->mutex || !self->wakeup || !self->held || !self->samples || !self->lanes ||
        !self->copy || !self->walk || !self->quiet || !self->roots) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    if (table_reserve(&self->recorded, 2 * (MAX_LANE_WORDS / 4)) < 0) {
        Py_DECREF(self);
        return PyErr_NoMemory();
    }
    PyThread_acquire_lock(self->wakeup, WAIT_LOCK);
    return (PyObject *)self;
}

/* run(interval, passes, own_thread_id, first=interval, max_samples=None): sample every
 * other thread, `first` s from now and then every `interval` s, without the GIL,
 * `passes` times at most; why it returned (DUE after `passes`, or NEW_THREAD, NEW_CODE,
 * EVENT_LOOP, INTERRUPTED, FULL: also once `max_samples` are buffered; BUSY at once when
 * another thread is in run()). A pass is spaced at least 9 times its own duration from
 * the next. */
static PyObject *
detached_run(Detached *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs < 3 || nargs > 5) {
        PyErr_SetString(PyExc_TypeError,
                        "run(interval, passes, own_thread_id, first=interval, max_samples=None)");
        return NULL;
    }
    double interval = PyFloat_AsDouble(args[0]);
    Py_ssize_t passes = PyLong_AsSsize_t(args[1]);
    unsigned long own = PyLong_AsUnsignedLongMask(args[2]);
    double first = nargs >= 4 ? PyFloat_AsDouble(args[3]) : interval;
    Py_ssize_t cap = nargs == 5 && args[4] != Py_None ? PyLong_AsSsize_t(args[4]) : PY_SSIZE_T_MAX;
    if (PyErr_Occurred()) {
        return NULL;
    }
    if (!(interval > 0 && interval < 3600) || passes < 1 || !(first >= 0 && first < 3600) ||
        cap < 1) {
        PyErr_SetString(PyExc_ValueError, "interval must be in (0, 3600) s, first in [0, 3600) s, "
                                          "passes >= 1, max_samples >= 1");
        return NULL;
    }
    if (atomic_exchange(&self->running, 1)) {
        return PyLong_FromLong(BUSY); /* a profiler thread that was stopped, ending */
    }
    self->own = own;
    pid_t pid = getpid();
    int reason = DUE;
    Py_BEGIN_ALLOW_THREADS
    double next = detached_monotonic() + first;
    for (Py_ssize_t done = 0; reason == DUE && done < passes; done++) {
        if (detached_sleep_until(self, next)) {
            reason = INTERRUPTED;
            break;
        }
        if (FINALIZING()) { /* the runtime's locks are being freed */
            reason = INTERRUPTED;
            break;
        }
        double began = detached_monotonic();
        PyThread_acquire_lock(self->mutex, WAIT_LOCK);
        self->new_thread = self->new_code = 0;
        reason = detached_pass(self, pid, began);
        if (reason == DUE && (self->new_thread || self->new_code)) {
            reason = self->new_code ? NEW_CODE : NEW_THREAD;
        }
        /* (the cap: the caller's chunk has room for so many; a pass adds a sample a
         * thread, however many threads the caller knows of) */
        int full = self->n_samples > MAX_SAMPLES / 2 || self->n_lanes > MAX_LANE_WORDS / 2 ||
                   self->n_samples >= cap;
        PyThread_release_lock(self->mutex);
        if (reason == DUE && full) {
            reason = FULL;
        }
        double now = detached_monotonic();
        next += interval;
        if (next < now + 9 * (now - began)) { /* behind, or a long pass: skip ticks */
            next = now + 9 * (now - began);
        }
    }
    Py_END_ALLOW_THREADS
    atomic_store(&self->running, 0);
    return PyLong_FromLong(reason);
}

static PyObject *
detached_interrupt(Detached *self, PyObject *unused)
{
    (void)unused;
    if (!atomic_exchange(&self->interrupted, 1)) {
        PyThread_release_lock(self->wakeup);
    }
    Py_RETURN_NONE;
}

/* An untaught stack's record as (position, raw key, lanes); lanes None after its first
 * sample (the record is marked as given). */
static PyObject *
lanes_record(Py_ssize_t position, uintptr_t *record)
{
    if (record[1] == UINTPTR_MAX) {
        return Py_BuildValue("(nnO)", position, (Py_ssize_t)(Py_hash_t)record[0], Py_None);
    }
    Py_ssize_t depth = (Py_ssize_t)record[1];
    record[1] = UINTPTR_MAX;
    PyObject *lanes = PyTuple_New(2 * depth);
    for (Py_ssize_t i = 0; lanes != NULL && i < depth; i++) {
        PyObject *code = PyLong_FromVoidPtr((void *)record[2 + 2 * i]);
        PyObject *lasti = PyLong_FromSsize_t((Py_ssize_t)(intptr_t)record[3 + 2 * i]);
        if (code == NULL || lasti == NULL) {
            Py_XDECREF(code);
            Py_XDECREF(lasti);
            Py_CLEAR(lanes);
            break;
        }
        PyTuple_SET_ITEM(lanes, 2 * i, code);
        PyTuple_SET_ITEM(lanes, 2 * i + 1, lasti);
    }
    if (lanes == NULL) {
        return NULL;
    }
    return Py_BuildValue("(nnN)", position, (Py_ssize_t)(Py_hash_t)record[0], lanes);
}

/* One buffered sample appended to the four columns; its record, if untaught, to
 * `records`. -1 on failure. */
static int
append_sample(PyObject *const *columns, PyObject *records, const Sample *sample,
              uintptr_t *lanes, double offset)
{
    Py_ssize_t position = PyList_GET_SIZE(columns[0]);
    PyObject *timestamp = PyFloat_FromDouble(sample->timestamp + offset);
    PyObject *thread_id = PyLong_FromUnsignedLong(sample->thread_id);
    PyObject *stack = sample->stack >= 0 ? PyLong_FromSsize_t(sample->stack) : Py_NewRef(Py_None);
    PyObject *record = sample->stack >= 0 ? NULL : lanes_record(position, lanes - 1 - sample->stack);
    int failed = !timestamp || !thread_id || !stack || (sample->stack < 0 && !record) ||
                 PyList_Append(columns[0], timestamp) < 0 ||
                 PyList_Append(columns[1], thread_id) < 0 || PyList_Append(columns[2], stack) < 0 ||
                 PyList_Append(columns[3], Py_None) < 0 ||
                 (record && PyList_Append(records, record) < 0);
    Py_XDECREF(timestamp);
    Py_XDECREF(thread_id);
    Py_XDECREF(stack);
    Py_XDECREF(record);
    return failed ? -1 : 0;
}

/* drain(offset, timestamps, thread_ids, stack_ids, tasks): the buffered samples, in
 * the order taken, appended to the four columns (timestamp + offset, task None); an
 * untaught stack's sample gets stack None and a record (position in the columns, raw
 * key, lanes) in the list returned, for the caller to resolve or remove; lanes are
 * None in the records of the stack's later samples. */
static PyObject *
detached_drain(Detached *self, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 5 || !PyList_Check(args[1]) || !PyList_Check(args[2]) ||
        !PyList_Check(args[3]) || !PyList_Check(args[4])) {
        PyErr_SetString(PyExc_TypeError,
                        "drain(offset, timestamps, thread_ids, stack_ids, tasks): lists");
        return NULL;
    }
    double offset = PyFloat_AsDouble(args[0]);
    if (offset == -1.0 && PyErr_Occurred()) {
        return NULL;
    }
    /* copied out under the mutex, turned into objects after it (which may collect) */
    PyThread_acquire_lock(self->mutex, WAIT_LOCK);
    Py_ssize_t n_samples = self->n_samples, n_lanes = self->n_lanes;
    Sample *samples = PyMem_RawMalloc((size_t)(n_samples + 1) * sizeof(Sample));
    uintptr_t *lanes = PyMem_RawMalloc((size_t)(n_lanes + 1) * sizeof(uintptr_t));
    if (samples != NULL && lanes != NULL) {
        memcpy(samples, self->samples, (size_t)n_samples * sizeof(Sample));
        memcpy(lanes, self->lanes, (size_t)n_lanes * sizeof(uintptr_t));
        self->n_samples = self->n_lanes = 0;
        table_empty(&self->recorded);
        self->drains++; /* the records the quiet threads' samples name are gone */
        for (Py_ssize_t i = 0; i < n_samples; i++) { /* taught since (see untaught()) */
            intptr_t stack;
            if (samples[i].stack < 0 &&
                table_get(&self->stacks, lanes[-1 - samples[i].stack], &stack)) {
                samples[i].stack = stack;
            }
        }
    }
    PyThread_release_lock(self->mutex);
    PyObject *records = samples && lanes ? PyList_New(0) : PyErr_NoMemory();
    PyObject *const *columns = args + 1;
    Py_ssize_t lengths[4];
    for (int i = 0; i < 4; i++) {
        lengths[i] = PyList_GET_SIZE(columns[i]);
    }
    int failed = records == NULL;
    for (Py_ssize_t i = 0; !failed && i < n_samples; i++) {
        failed = append_sample(columns, records, &samples[i], lanes, offset) < 0;
    }
    PyMem_RawFree(samples);
    PyMem_RawFree(lanes);
    if (failed) {
        stackwalk_truncate_columns(columns, lengths);
        Py_XDECREF(records);
        return NULL;
    }
    return records;
}

/* untaught(): [(raw key, lanes)] of each stack the buffered samples name that was not
 * taught: for the caller to resolve and teach before drain(). */
static PyObject *
detached_untaught(Detached *self, PyObject *unused)
{
    (void)unused;
    PyThread_acquire_lock(self->mutex, WAIT_LOCK);
    Py_ssize_t n_lanes = self->n_lanes;
    uintptr_t *lanes = PyMem_RawMalloc((size_t)(n_lanes + 1) * sizeof(uintptr_t));
    if (lanes != NULL) {
        memcpy(lanes, self->lanes, (size_t)n_lanes * sizeof(uintptr_t));
    }
    PyThread_release_lock(self->mutex);
    PyObject *result = lanes ? PyList_New(0) : PyErr_NoMemory();
    for (Py_ssize_t at = 0; result != NULL && at < n_lanes;) {
        Py_ssize_t depth = (Py_ssize_t)lanes[at + 1];
        PyObject *record = lanes_record(0, lanes + at); /* (0, raw, lanes) */
        PyObject *pair = record ? PyTuple_GetSlice(record, 1, 3) : NULL;
        if (pair == NULL || PyList_Append(result, pair) < 0) {
            Py_CLEAR(result);
        }
        Py_XDECREF(pair);
        Py_XDECREF(record);
        at += 2 + 2 * depth;
    }
    PyMem_RawFree(lanes);
    return result;
}

static PyMethodDef detached_methods[] = {
    {"untaught", (PyCFunction)detached_untaught, METH_NOARGS,
     "untaught()\n--\n\nThe (raw key, lanes) of the buffered samples' untaught stacks."},
    {"unknown_codes", (PyCFunction)detached_unknown_codes, METH_NOARGS,
     "unknown_codes()\n--\n\nAddresses of codes met but not taught (since the last call)."},
    {"code_file", (PyCFunction)detached_code_file_of, METH_O,
     "code_file(address, /)\n--\n\nThe file name of the code object at an address met, or None."},
    {"stats", (PyCFunction)detached_stats, METH_NOARGS,
     "stats()\n--\n\nPasses, samples, and threads not sampled (and why) so far."},
    {"run", (PyCFunction)(void (*)(void))detached_run, METH_FASTCALL,
     "run(interval, passes, own_thread_id, first=interval, max_samples=None, /)\n--\n\n"
     "Sample without the GIL; why it returned."},
    {"interrupt", (PyCFunction)detached_interrupt, METH_NOARGS,
     "interrupt()\n--\n\nEnd run()'s sleep now (or the next one's)."},
    {"teach", (PyCFunction)(void (*)(void))detached_teach, METH_FASTCALL,
     "teach(stacks, codes, loops, threads, /)\n--\n\nWhat a pass may recognize."},
    {"drain", (PyCFunction)(void (*)(void))detached_drain, METH_FASTCALL,
     "drain(offset, timestamps, thread_ids, stack_ids, tasks, /)\n--\n\n"
     "Buffered samples into the columns; the untaught stacks' lanes."},
    {"learn_roots", (PyCFunction)detached_learn_roots, METH_NOARGS,
     "learn_roots()\n--\n\nNote every thread's root data-stack chunk, read without the system "
     "call from then on (with the GIL, greenlet never imported); how many, None when busy."},
    {"reset", (PyCFunction)detached_reset, METH_O,
     "reset(everything, /)\n--\n\nForget the stacks and samples (everything: all taught)."},
    {NULL, NULL, 0, NULL},
};

static PyType_Slot detached_slots[] = {
    {Py_tp_new, detached_new},
    {Py_tp_dealloc, detached_dealloc},
    {Py_tp_methods, detached_methods},
    {Py_tp_doc, "DetachedSampler(max_depth): the profiler's passes without "
                "the GIL (see scopetel_stackwalk)."},
    {0, NULL},
};

static PyType_Spec detached_spec = {
    .name = "scopetel_stackwalk._stackwalk.DetachedSampler",
    .basicsize = sizeof(Detached),
    .flags = Py_TPFLAGS_DEFAULT,
    .slots = detached_slots,
};

int
stackwalk_add_detached(PyObject *module)
{
    PyObject *type = PyType_FromModuleAndSpec(module, &detached_spec, NULL);
    if (type == NULL) {
        return -1;
    }
    const char *names[] = {"DUE",  "NEW_THREAD", "EVENT_LOOP", "INTERRUPTED",
                           "FULL", "BUSY",       "NEW_CODE"};
    const long values[] = {DUE, NEW_THREAD, EVENT_LOOP, INTERRUPTED, FULL, BUSY, NEW_CODE};
    for (int i = 0; i < 7; i++) {
        PyObject *number = PyLong_FromLong(values[i]);
        int failed = number == NULL || PyObject_SetAttrString(type, names[i], number) < 0;
        Py_XDECREF(number);
        if (failed) {
            Py_DECREF(type);
            return -1;
        }
    }
    int result = PyModule_AddObjectRef(module, "DetachedSampler", type);
    Py_DECREF(type);
    return result;
}
#else
int
stackwalk_add_detached(PyObject *module)
{
    (void)module;
    return 0; /* not built here: the profiler samples with the GIL */
}
#endif
