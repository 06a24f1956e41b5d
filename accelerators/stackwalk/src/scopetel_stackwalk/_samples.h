/* _samples.c: a profile chunk's samples as JSON text. */
#ifndef SCOPETEL_STACKWALK_SAMPLES_H
#define SCOPETEL_STACKWALK_SAMPLES_H

#include <Python.h>

#include "_hidden.h"

/* encode_samples(timestamps, thread_ids, stack_ids, tasks, task_json, /) -> bytes */
STACKWALK_HIDDEN PyObject *stackwalk_encode_samples(PyObject *module, PyObject *const *args,
                                                    Py_ssize_t nargs);

#endif
