/* Stack keys for scopetel's profiler (see the package docstring).
 *
 * stack_hash(frame, max_depth) walks frame -> f_back with the public frame API (the
 * same frame objects the Python walk would make) and hashes the lanes
 * id(code), f_lasti, id(code), f_lasti, ... the way CPython's tuple hash does on 64-bit
 * builds (xxHash-style lanes, each lane the hash of a non-negative int, i.e. the int
 * modulo 2**61 - 1, and hash(-1) == -2), so the result is hash(tuple(key)) of the
 * Python walk: both walks name the same stack with the same key. The tests check it
 * against hash() and sys.hash_info. It runs under the GIL and never releases it itself;
 * making a caller's frame object may start a garbage collection whose finalizers can
 * (as with f_back in Python): the stack may then change under the walk, and the key
 * names a mix, which the profiler detects when it resolves a new key.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

/* sample_threads() reads CPython's own frame structures (the interpreter frames a frame
 * object would be made for), whose layout is private and changes between minor
 * versions: it is built only for the versions whose layout it was written and tested
 * against (see _stackkey.h). The extension is compiled for the interpreter that runs it. */
#include "_samples.h"
#include "_untracked.h"
#include "_stackkey.h"
#ifdef STACKWALK_THREADS
#include "_threadlock.h"
#endif

/* A depth limit from Python: -1 with an exception set when it is not one. */
static Py_ssize_t
as_max_depth(PyObject *value)
{
    Py_ssize_t max_depth = PyLong_AsSsize_t(value);
    if (max_depth < 0 && !PyErr_Occurred()) {
        PyErr_SetString(PyExc_ValueError, "max_depth must not be negative");
    }
    return max_depth < 0 ? -1 : max_depth;
}

static PyObject *
stack_hash(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyFrame_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "stack_hash(frame, max_depth): a frame and an int");
        return NULL;
    }
    Py_ssize_t max_depth = as_max_depth(args[1]);
    if (max_depth < 0) {
        return NULL;
    }
    PyFrameObject *frame = (PyFrameObject *)Py_NewRef(args[0]);
    Py_uhash_t acc = LANE_PRIME_5;
    Py_ssize_t depth = 0;
    while (frame != NULL && depth < max_depth) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        Py_DECREF(code); /* the frame keeps its code alive */
        int lasti = PyFrame_GetLasti(frame); /* in bytes, -1 before the first one */
        acc = mix_frame(acc, code, lasti < 0 ? -1 : lasti / (int)sizeof(_Py_CODEUNIT));
        PyFrameObject *caller = PyFrame_GetBack(frame); /* NULL: none, or no memory */
        Py_DECREF(frame);
        frame = caller;
        depth++;
    }
    Py_XDECREF(frame);
    if (PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromSsize_t(finish_hash(acc, depth));
}

#ifdef STACKWALK_THREADS

/* The innermost frame a frame object would be made for (as sys._current_frames and
 * f_back skip frames that have not started their code, and 3.12+'s C-stack shims). */
static inline _PyInterpreterFrame *
complete(_PyInterpreterFrame *frame)
{
    while (frame != NULL && _PyFrame_IsIncomplete(frame)) {
        frame = frame->previous;
    }
    return frame;
}

/* stack_hash() of the frame object sys._current_frames() would make for this frame,
 * without making it or any caller's: the same code objects, the same f_lasti. */
static Py_hash_t
frame_chain_hash(_PyInterpreterFrame *frame, Py_ssize_t max_depth)
{
    Py_uhash_t acc = LANE_PRIME_5;
    Py_ssize_t depth = 0;
    while (frame != NULL && depth < max_depth) {
        acc = mix_frame(acc, FRAME_CODE(frame), _PyInterpreterFrame_LASTI(frame));
        frame = complete(frame->previous);
        depth++;
    }
    return finish_hash(acc, depth);
}

typedef struct {
    unsigned long thread_id;
    Py_hash_t hash;
} ThreadKey;

/* Every thread's key, into a raw buffer, read as sys._current_frames() reads the
 * threads: under the runtime's thread-list lock (HEAD_LOCK) and the GIL, allocating
 * only with the raw allocator (which neither collects nor lets the GIL go, nor takes
 * that lock). The GIL alone is not enough: a thread state is linked and filled in
 * (PyGILState_Ensure on a thread C started), or unlinked and freed, under the lock
 * alone. The lock is tried, never waited for: a holder may be waiting for the GIL
 * (python/cpython#106883 before 3.11.9), so a busy lock skips the pass.
 * NULL with an exception set on failure; NULL without one when the lock is busy. */
static ThreadKey *
thread_keys(Py_ssize_t max_depth, Py_ssize_t *found)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    if (!stackwalk_try_lock_threads()) {
        return NULL;
    }
    Py_ssize_t count = 0;
    for (PyThreadState *t = PyInterpreterState_ThreadHead(interp); t; t = PyThreadState_Next(t)) {
        count++;
    }
    ThreadKey *keys = PyMem_RawMalloc((size_t)(count ? count : 1) * sizeof(ThreadKey));
    *found = 0;
    for (PyThreadState *t = PyInterpreterState_ThreadHead(interp); keys && t && *found < count;
         t = PyThreadState_Next(t)) {
        _PyInterpreterFrame *top = complete(TOP_FRAME(t));
        if (top != NULL) {
            keys[*found].thread_id = t->thread_id;
            keys[*found].hash = frame_chain_hash(top, max_depth);
            (*found)++;
        }
    }
    stackwalk_unlock_threads();
    if (keys == NULL) {
        PyErr_NoMemory();
    }
    return keys;
}

#endif

/* Drop what was appended to the columns after their first `lengths` items: the four
 * lists stay the same length when an append fails midway (no memory). */
void
stackwalk_truncate_columns(PyObject *const *columns, const Py_ssize_t *lengths)
{
    PyObject *type, *value, *traceback;
    PyErr_Fetch(&type, &value, &traceback);
    for (int i = 0; i < 4; i++) {
        if (PyList_GET_SIZE(columns[i]) > lengths[i]) {
            PyList_SetSlice(columns[i], lengths[i], PyList_GET_SIZE(columns[i]), NULL);
        }
    }
    PyErr_Restore(type, value, traceback);
}

#ifdef STACKWALK_THREADS

/* One sample of every other thread's stack, appended to a chunk's columns where the
 * chunk knows both the thread and the stack; the rest returned for the caller.
 *
 * sample_threads(max_depth, skip, stacks, names, timestamp, tasks,
 *                timestamps, thread_ids, stack_ids, task_names)
 *   stacks: {raw key: stack index}; names: {thread id: name};
 *   tasks: {thread id: asyncio task name}.
 * Every thread of this interpreter that runs Python code (sys._current_frames()'s
 * threads), but `skip`, is keyed as stack_hash(its innermost frame, max_depth) without
 * making any frame object. A thread found in `names` whose key is in `stacks` gets a
 * sample: timestamp, thread id, stack index and tasks.get(thread id) appended to the
 * four lists. Returns None when every thread got one, else a list of
 * (thread id, raw key) of those that did not (a new stack, or a new thread); an empty
 * list when the thread list was busy (a thread starting or ending) and nothing was
 * sampled. Only this interpreter's threads: a chunk belongs to one interpreter. */
static PyObject *
sample_threads(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 10 || !PyDict_Check(args[2]) || !PyDict_Check(args[3]) ||
        !PyDict_Check(args[5]) || !PyList_Check(args[6]) || !PyList_Check(args[7]) ||
        !PyList_Check(args[8]) || !PyList_Check(args[9])) {
        PyErr_SetString(PyExc_TypeError,
                        "sample_threads(max_depth, skip, stacks, names, timestamp, tasks, "
                        "timestamps, thread_ids, stack_ids, task_names): dicts and lists");
        return NULL;
    }
    Py_ssize_t max_depth = as_max_depth(args[0]);
    if (max_depth < 0) {
        return NULL;
    }
    unsigned long skip = PyLong_AsUnsignedLong(args[1]);
    if (skip == (unsigned long)-1 && PyErr_Occurred()) {
        return NULL;
    }
    PyObject *stacks = args[2], *names = args[3], *timestamp = args[4], *tasks = args[5];
    PyObject *timestamps = args[6], *thread_ids = args[7], *stack_ids = args[8];
    PyObject *task_names = args[9];
    int with_tasks = PyDict_GET_SIZE(tasks) > 0;

    PyObject *const *columns = args + 6;
    Py_ssize_t lengths[4];
    for (int i = 0; i < 4; i++) {
        lengths[i] = PyList_GET_SIZE(columns[i]);
    }
    Py_ssize_t found = 0;
    ThreadKey *keys = thread_keys(max_depth, &found);
    if (keys == NULL) { /* the thread list is busy: no sample this time */
        return PyErr_Occurred() ? NULL : PyList_New(0);
    }
    PyObject *rest = NULL; /* created on the first thread not sampled here */
    int failed = 0;
    for (Py_ssize_t i = 0; i < found && !failed; i++) {
        if (keys[i].thread_id == skip) {
            continue;
        }
        PyObject *thread_id = PyLong_FromUnsignedLong(keys[i].thread_id);
        PyObject *raw = thread_id ? PyLong_FromSsize_t(keys[i].hash) : NULL;
        PyObject *stack = NULL;
        int named = 0;
        if (raw == NULL) {
            failed = 1;
        }
        else {
            stack = PyDict_GetItemWithError(stacks, raw); /* borrowed */
            named = stack ? PyDict_Contains(names, thread_id) : 0;
            failed = PyErr_Occurred() != NULL;
        }
        if (!failed && stack != NULL && named == 1) {
            PyObject *task = with_tasks ? PyDict_GetItemWithError(tasks, thread_id) : NULL;
            failed = PyErr_Occurred() != NULL ||
                     PyList_Append(timestamps, timestamp) < 0 ||
                     PyList_Append(thread_ids, thread_id) < 0 ||
                     PyList_Append(stack_ids, stack) < 0 ||
                     PyList_Append(task_names, task ? task : Py_None) < 0;
        }
        else if (!failed) {
            if (rest == NULL) {
                rest = PyList_New(0);
            }
            PyObject *pair = rest ? PyTuple_Pack(2, thread_id, raw) : NULL;
            failed = pair == NULL || PyList_Append(rest, pair) < 0;
            Py_XDECREF(pair);
        }
        Py_XDECREF(thread_id);
        Py_XDECREF(raw);
    }
    PyMem_RawFree(keys);
    if (failed) {
        stackwalk_truncate_columns(columns, lengths);
        Py_XDECREF(rest);
        return NULL;
    }
    return rest ? rest : Py_NewRef(Py_None);
}
#endif

static PyMethodDef methods[] = {
    {"stack_hash", (PyCFunction)(void (*)(void))stack_hash, METH_FASTCALL,
     "stack_hash(frame, max_depth, /)\n--\n\n"
     "hash(tuple(key)), key: id(code), f_lasti of frame and its callers, innermost first."},
#ifdef STACKWALK_THREADS
    {"sample_threads", (PyCFunction)(void (*)(void))sample_threads, METH_FASTCALL,
     "sample_threads(max_depth, skip, stacks, names, timestamp, tasks, timestamps, "
     "thread_ids, stack_ids, task_names, /)\n--\n\n"
     "One sample of every other thread into the four lists where stacks and names know "
     "it; (thread id, raw key) of the others, or None."},
#endif
    {"encode_samples", (PyCFunction)(void (*)(void))stackwalk_encode_samples, METH_FASTCALL,
     "encode_samples(timestamps, thread_ids, stack_ids, tasks, task_json, /)\n--\n\n"
     "A profile chunk's samples as the JSON array Sentry reads (bytes): task_json maps "
     "each task name in tasks to its JSON text."},
    {"untrack_columns", (PyCFunction)(void (*)(void))stackwalk_untrack_columns, METH_FASTCALL,
     "untrack_columns(*lists)\n--\n\n"
     "Take lists that hold only numbers, None and strings (a chunk's sample columns) out "
     "of the cyclic garbage collector's care: a full collection no longer visits them."},
    {"untrack_weak_tuples", (PyCFunction)stackwalk_untrack_weak_tuples, METH_O,
     "untrack_weak_tuples(tuples, /)\n--\n\n"
     "Take tuples of weak references made without a callback, strings, numbers and None "
     "(a list of them), and their weak references, out of the cyclic garbage collector's "
     "care: none can be part of a cycle."},
    {NULL, NULL, 0, NULL},
};

static int
exec_module(PyObject *module)
{
    return stackwalk_add_detached(module);
}

static struct PyModuleDef_Slot slots[] = {
    {Py_mod_exec, exec_module},
#if PY_VERSION_HEX >= 0x030C0000
    /* no module state: fine in subinterpreters with their own GIL */
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#endif
    {0, NULL},
};

static struct PyModuleDef module_def = {
    PyModuleDef_HEAD_INIT,
    .m_name = "scopetel_stackwalk._stackwalk",
    .m_doc = "A stack's raw key for scopetel's profiler.",
    .m_size = 0,
    .m_methods = methods,
    .m_slots = slots,
};

PyMODINIT_FUNC
PyInit__stackwalk(void)
{
    return PyModuleDef_Init(&module_def);
}
