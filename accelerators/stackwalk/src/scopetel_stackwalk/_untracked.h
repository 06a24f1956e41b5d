/* _untracked.c: objects kept out of the cyclic garbage collector's care. */
#ifndef SCOPETEL_STACKWALK_UNTRACKED_H
#define SCOPETEL_STACKWALK_UNTRACKED_H

#include <Python.h>

#include "_hidden.h"

/* untrack_columns(*lists) -> None */
STACKWALK_HIDDEN PyObject *stackwalk_untrack_columns(PyObject *module, PyObject *const *args,
                                                     Py_ssize_t nargs);

/* untrack_weak_tuples(tuples, /) -> None */
STACKWALK_HIDDEN PyObject *stackwalk_untrack_weak_tuples(PyObject *module, PyObject *tuples);

#endif
