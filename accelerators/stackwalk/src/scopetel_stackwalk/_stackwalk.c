/* One stack's raw key for scopetel's profiler (see the package docstring).
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

#if SIZEOF_PY_UHASH_T <= 4
#error "64-bit builds only: the Python walk is used elsewhere"
#endif
#ifdef Py_GIL_DISABLED
/* Without the GIL another thread's frames may change under the walk, and a module
 * that does not declare itself GIL-free switches the GIL back on: not built there. */
#error "free-threaded builds use the Python walk"
#endif

#define LANE_PRIME_1 ((Py_uhash_t)11400714785074694791ULL)
#define LANE_PRIME_2 ((Py_uhash_t)14029467366897019727ULL)
#define LANE_PRIME_5 ((Py_uhash_t)2870177450012600261ULL)
#define INT_HASH_MODULUS ((Py_uhash_t)0x1FFFFFFFFFFFFFFFULL) /* 2**61 - 1 */

static inline Py_uhash_t
mix(Py_uhash_t acc, Py_uhash_t lane)
{
    acc += lane * LANE_PRIME_2;
    acc = (acc << 31) | (acc >> 33);
    return acc * LANE_PRIME_1;
}

static PyObject *
stack_hash(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    if (nargs != 2 || !PyFrame_Check(args[0])) {
        PyErr_SetString(PyExc_TypeError, "stack_hash(frame, max_depth): a frame and an int");
        return NULL;
    }
    Py_ssize_t max_depth = PyLong_AsSsize_t(args[1]);
    if (max_depth == -1 && PyErr_Occurred()) {
        return NULL;
    }
    if (max_depth < 0) {
        PyErr_SetString(PyExc_ValueError, "max_depth must not be negative");
        return NULL;
    }
    PyFrameObject *frame = (PyFrameObject *)Py_NewRef(args[0]);
    Py_uhash_t acc = LANE_PRIME_5;
    Py_ssize_t depth = 0;
    while (frame != NULL && depth < max_depth) {
        PyCodeObject *code = PyFrame_GetCode(frame);
        Py_uhash_t address = (Py_uhash_t)(uintptr_t)code;
        Py_DECREF(code); /* the frame keeps its code alive */
        int lasti = PyFrame_GetLasti(frame);
        acc = mix(acc, address % INT_HASH_MODULUS);
        acc = mix(acc, lasti == -1 ? (Py_uhash_t)-2 : (Py_uhash_t)lasti);
        PyFrameObject *caller = PyFrame_GetBack(frame); /* NULL: none, or no memory */
        Py_DECREF(frame);
        frame = caller;
        depth++;
    }
    Py_XDECREF(frame);
    if (PyErr_Occurred()) {
        return NULL;
    }
    acc += (Py_uhash_t)(2 * depth) ^ (LANE_PRIME_5 ^ 3527539UL);
    if (acc == (Py_uhash_t)-1) {
        return PyLong_FromLong(1546275796);
    }
    return PyLong_FromSsize_t((Py_hash_t)acc);
}

static PyMethodDef methods[] = {
    {"stack_hash", (PyCFunction)(void (*)(void))stack_hash, METH_FASTCALL,
     "stack_hash(frame, max_depth, /)\n--\n\n"
     "hash(tuple(key)), key: id(code), f_lasti of frame and its callers, innermost first."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef_Slot slots[] = {
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
