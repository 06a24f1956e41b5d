/* What _stackwalk.c and _detached.c share: the stack key's hash (CPython's tuple hash
 * of the lanes id(code), f_lasti, ... on 64-bit builds) and, on the CPython versions
 * whose private frame layout they were written against (3.11 to 3.13), that layout.
 * Include after Python.h. */
#ifndef SCOPETEL_STACKWALK_STACKKEY_H
#define SCOPETEL_STACKWALK_STACKKEY_H

#if PY_VERSION_HEX >= 0x030B0000 && PY_VERSION_HEX < 0x030E0000
#define STACKWALK_THREADS 1
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#undef Py_BUILD_CORE
#if PY_VERSION_HEX >= 0x030D0000
#define TOP_FRAME(tstate) ((tstate)->current_frame)
#define FRAME_CODE(frame) ((PyCodeObject *)(frame)->f_executable)
#define FRAME_INSTR(frame) ((frame)->instr_ptr)
#else
#define TOP_FRAME(tstate) ((tstate)->cframe ? (tstate)->cframe->current_frame : NULL)
#define FRAME_CODE(frame) ((frame)->f_code)
#define FRAME_INSTR(frame) ((frame)->prev_instr)
#endif
#endif

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

/* The lanes of one frame: hash(id(code)) and hash(f_lasti), f_lasti in code units. */
static inline Py_uhash_t
mix_frame(Py_uhash_t acc, const void *code, int lasti_units)
{
    acc = mix(acc, ((Py_uhash_t)(uintptr_t)code) % INT_HASH_MODULUS);
    return mix(acc, lasti_units < 0 ? (Py_uhash_t)-2
                                    : (Py_uhash_t)lasti_units * (Py_uhash_t)sizeof(_Py_CODEUNIT));
}

/* The tuple hash of `depth` frames' lanes, from the accumulator. */
static inline Py_hash_t
finish_hash(Py_uhash_t acc, Py_ssize_t depth)
{
    acc += (Py_uhash_t)(2 * depth) ^ (LANE_PRIME_5 ^ 3527539UL);
    return acc == (Py_uhash_t)-1 ? 1546275796 : (Py_hash_t)acc;
}

#include "_hidden.h"

/* _stackwalk.c: drop what was appended to the four columns after their first
 * `lengths` items (an append failed midway), keeping the exception. */
STACKWALK_HIDDEN void stackwalk_truncate_columns(PyObject *const *columns,
                                                 const Py_ssize_t *lengths);
/* _detached.c: adds DetachedSampler to the module where it is built; -1 on error. */
STACKWALK_HIDDEN int stackwalk_add_detached(PyObject *module);

#endif
