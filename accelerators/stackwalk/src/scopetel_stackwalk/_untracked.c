/* _untracked.c: objects the profiler keeps by the thousand, taken out of the cyclic
 * garbage collector's care where they cannot be part of a cycle, so that a full
 * collection (several a second in a busy process, paid by whichever application thread
 * allocates then) does not visit each of them. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#include "_untracked.h"

/* untrack_columns(*lists): the lists, which hold only numbers, None and strings (the
 * chunk's sample columns, tens of thousands of entries), are taken out of the cyclic
 * garbage collector's care: they cannot be part of a cycle, and a full collection,
 * which in a busy process runs several times a second, would otherwise visit each of
 * their entries every time (~1.5 ms a collection for a hundred threads' chunk), a cost
 * paid by whichever application thread allocates then. The caller keeps them so. */
PyObject *
stackwalk_untrack_columns(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    for (Py_ssize_t i = 0; i < nargs; i++) {
        PyObject *column = args[i];
        if (!PyList_CheckExact(column)) {
            PyErr_SetString(PyExc_TypeError, "untrack_columns: lists only");
            return NULL;
        }
        for (Py_ssize_t j = 0; j < PyList_GET_SIZE(column); j++) {
            PyObject *item = PyList_GET_ITEM(column, j);
            if (item != Py_None && !PyFloat_CheckExact(item) && !PyLong_CheckExact(item) &&
                !PyUnicode_CheckExact(item)) {
                PyErr_SetString(PyExc_TypeError,
                                "untrack_columns: a list holds more than numbers and strings");
                return NULL;
            }
        }
    }
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (PyObject_GC_IsTracked(args[i])) {
            PyObject_GC_UnTrack(args[i]);
        }
    }
    Py_RETURN_NONE;
}

/* untrack_weak_tuples(tuples): tuples holding weak references made without a callback,
 * strings, numbers and None (the profiler's known codes: a weak reference and its module's
 * name for each code object a search found, up to 200,000 in a large process, ~0.7 ms a
 * full collection for 15,000) are taken out of the collector's care, with their weak
 * references. A weak reference's only edge the collector follows is its callback; without
 * one it cannot be part of a cycle, and it is still cleared when its referent dies (through
 * the referent's list of weak references, not the collector). The collector would not
 * untrack such a tuple itself: it keeps any tuple holding an object of a tracked type. */
static int
weak_tuple(PyObject *tuple)
{
    if (!PyTuple_CheckExact(tuple)) {
        return 0;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(tuple); i++) {
        PyObject *item = PyTuple_GET_ITEM(tuple, i);
        int weak = PyWeakref_CheckRefExact(item) && ((PyWeakReference *)item)->wr_callback == NULL;
        if (!weak && item != Py_None && !PyUnicode_CheckExact(item) && !PyLong_CheckExact(item) &&
            !PyFloat_CheckExact(item)) {
            return 0;
        }
    }
    return 1;
}

PyObject *
stackwalk_untrack_weak_tuples(PyObject *module, PyObject *tuples)
{
    (void)module;
    if (!PyList_CheckExact(tuples)) {
        PyErr_SetString(PyExc_TypeError, "untrack_weak_tuples: a list of tuples");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tuples); i++) {
        if (!weak_tuple(PyList_GET_ITEM(tuples, i))) {
            PyErr_SetString(PyExc_TypeError,
                            "untrack_weak_tuples: tuples of weak references without a callback, "
                            "strings, numbers and None only");
            return NULL;
        }
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(tuples); i++) {
        PyObject *tuple = PyList_GET_ITEM(tuples, i);
        for (Py_ssize_t j = 0; j < PyTuple_GET_SIZE(tuple); j++) {
            PyObject *item = PyTuple_GET_ITEM(tuple, j);
            if (PyWeakref_CheckRefExact(item) && PyObject_GC_IsTracked(item)) {
                PyObject_GC_UnTrack(item);
            }
        }
        if (PyObject_GC_IsTracked(tuple)) {
            PyObject_GC_UnTrack(tuple);
        }
    }
    Py_RETURN_NONE;
}
