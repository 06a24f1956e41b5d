/* The runtime's thread-list lock (HEAD_LOCK inside CPython), for _stackwalk.c.
 *
 * Reaching it needs CPython's internal runtime structure, whose header only compiles
 * as part of the core (Py_BUILD_CORE before Python.h), so it gets a translation unit
 * of its own; _stackwalk.c sees just the two functions (see _threadlock.h). Built for
 * the versions sample_threads knows (3.11 to 3.13), empty otherwise.
 */
#include "_threadlock.h"

#ifdef STACKWALK_THREADLOCK
#define Py_BUILD_CORE 1
#include <Python.h>
#include <internal/pycore_runtime.h>

int
stackwalk_try_lock_threads(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    return PyMutex_LockFast(&_PyRuntime.interpreters.mutex._bits);
#else
    return PyThread_acquire_lock(_PyRuntime.interpreters.mutex, NOWAIT_LOCK);
#endif
}

void
stackwalk_unlock_threads(void)
{
#if PY_VERSION_HEX >= 0x030D0000
    PyMutex_Unlock(&_PyRuntime.interpreters.mutex);
#else
    PyThread_release_lock(_PyRuntime.interpreters.mutex);
#endif
}
#endif
