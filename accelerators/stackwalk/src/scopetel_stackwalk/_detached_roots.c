/* DetachedSampler's root chunks (see Root in _detached.h): learned with the GIL,
 * looked up by the passes; and the libraries that make direct reads unsafe. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "_stackkey.h"

#if defined(STACKWALK_THREADS) && defined(__linux__)
#include "_detached.h"
#include "_threadlock.h"

#define MAX_CHUNKS 100000 /* links followed to a root (a chain longer is not trusted) */

/* Modules that give coroutines data stacks of their own (swapped into the thread state
 * and freed when one ends): once one was imported, no root is learned again (those
 * learned before are the threads' own, which they never free). The last two also run
 * coroutines on C stacks of their own: a thread's current-frame pointer is then read
 * through the system call. Sticky for the process: a module taken out of sys.modules
 * is still loaded. */
static const char *const SWITCHING[] = {
    "greenlet", "greenlet._greenlet", "gevent", "eventlet", "tealet", "_tealet",
    "runloom", "runloom_c", NULL,
};
#define FIRST_WITH_STACKS 4 /* SWITCHING's from here on switch C stacks too */

int detached_switching = 0; /* 1: data stacks; 2: C stacks too (see SWITCHING) */

/* Update detached_switching from sys.modules (with the GIL; no Python code runs); 0
 * when it cannot be read now (the interpreter is finalizing). */
static int
note_switching(void)
{
    PyObject *modules = PyImport_GetModuleDict();
    if (modules == NULL) {
        return 0;
    }
    if (!PyDict_CheckExact(modules)) {
        detached_switching = 2; /* what a lookup would run is unknown: assume the worst */
        return 1;
    }
    for (int i = 0; SWITCHING[i] != NULL; i++) {
        if (PyDict_GetItemString(modules, SWITCHING[i]) != NULL) { /* (borrowed; no error) */
            int level = i >= FIRST_WITH_STACKS ? 2 : 1;
            detached_switching = level > detached_switching ? level : detached_switching;
        }
    }
    return 1;
}

/* learn_roots(): note the root data-stack chunk of every thread of the interpreter
 * (the caller holds the GIL, so none is pushing or popping frames or switching
 * coroutines, from the check of sys.modules to the end of the walk); how many threads
 * have one; None when the sampler or the thread list was busy (a pass, a thread
 * starting or ending: the next call learns them) or sys.modules is gone; False once a
 * library that switches data stacks was imported (see SWITCHING). */
PyObject *
detached_learn_roots(Detached *self, PyObject *unused)
{
    (void)unused;
    if (!note_switching()) {
        Py_RETURN_NONE;
    }
    if (detached_switching) {
        Py_RETURN_FALSE;
    }
    long learned = 0;
    /* tried, not waited for (a long pass would stall every thread waiting for the GIL);
     * the passes' order: the mutex, then the thread list */
    if (!PyThread_acquire_lock(self->mutex, NOWAIT_LOCK)) {
        Py_RETURN_NONE;
    }
    if (!stackwalk_try_lock_threads()) {
        PyThread_release_lock(self->mutex);
        Py_RETURN_NONE;
    }
    for (PyThreadState *t = PyInterpreterState_ThreadHead(self->interp); t != NULL;
         t = PyThreadState_Next(t)) {
        _PyStackChunk *chunk = t->datastack_chunk;
        for (int links = 0; chunk != NULL && chunk->previous != NULL; links++) {
            chunk = links < MAX_CHUNKS ? chunk->previous : NULL;
        }
        Root *root = &self->roots[(size_t)t->id & (QUIET_SLOTS - 1)];
        if (chunk == NULL || chunk->size < sizeof(_PyStackChunk)) {
            continue; /* no frame yet (its first push makes the root) */
        }
        *root = (Root){.t = t, .id = t->id, .chunk = (uintptr_t)chunk,
                       .base = (uintptr_t)&chunk->data[0], .end = (uintptr_t)chunk + chunk->size};
        learned++;
    }
    stackwalk_unlock_threads();
    PyThread_release_lock(self->mutex);
    return PyLong_FromLong(learned);
}

/* The root chunk learned for `t` (this thread state, not an earlier one at its
 * address), or NULL. */
const Root *
detached_root(const Detached *self, const PyThreadState *t)
{
    const Root *root = &self->roots[(size_t)t->id & (QUIET_SLOTS - 1)];
    return root->t == t && root->id == t->id && root->chunk != 0 ? root : NULL;
}
#endif
