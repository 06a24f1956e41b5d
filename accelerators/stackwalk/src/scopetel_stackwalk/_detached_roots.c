/* DetachedSampler's root chunks (see Root in _detached.h): learned with the GIL,
 * looked up by the passes. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <frameobject.h>

#include "_stackkey.h"

#if defined(STACKWALK_THREADS) && defined(__linux__)
#include "_detached.h"
#include "_threadlock.h"

#define MAX_CHUNKS 100000 /* links followed to a root (a chain longer is not trusted) */

/* learn_roots(): note the root data-stack chunk of every thread of the interpreter
 * (the caller holds the GIL, so none is pushing or popping frames, and has made sure
 * greenlet was never imported); how many threads have one now, or None when the
 * thread list was busy (a thread starting or ending: the next call learns them). */
PyObject *
detached_learn_roots(Detached *self, PyObject *unused)
{
    (void)unused;
    long learned = 0;
    PyThread_acquire_lock(self->mutex, WAIT_LOCK); /* (the passes' order: mutex first) */
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
