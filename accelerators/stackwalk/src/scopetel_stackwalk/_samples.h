/* _samples.c: a profile chunk's samples as JSON text, and its columns kept out of the
 * cyclic garbage collector's care. */
#ifndef SCOPETEL_STACKWALK_SAMPLES_H
#define SCOPETEL_STACKWALK_SAMPLES_H

#include <Python.h>

#ifndef STACKWALK_HIDDEN
#if defined(__GNUC__)
#define STACKWALK_HIDDEN __attribute__((visibility("hidden")))
#else
#define STACKWALK_HIDDEN
#endif
#endif

/* encode_samples(timestamps, thread_ids, stack_ids, tasks, task_json, /) -> bytes */
STACKWALK_HIDDEN PyObject *stackwalk_encode_samples(PyObject *module, PyObject *const *args,
                                                    Py_ssize_t nargs);

/* untrack_columns(*lists) -> None */
STACKWALK_HIDDEN PyObject *stackwalk_untrack_columns(PyObject *module, PyObject *const *args,
                                                     Py_ssize_t nargs);

#endif
