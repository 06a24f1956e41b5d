/* encode_samples(): a profile chunk's samples as the JSON array Sentry reads, from the
 * chunk's columns, without an object per sample.
 *
 * A chunk holds up to 60,000 samples (a hundred threads for six seconds); built as a
 * dict each, then encoded, they cost ~0.5 µs apiece in the profiler's thread (a second
 * of CPU for every 100 s of a hundred threads' profile), most of it making the dicts.
 * Written here directly (a timestamp to the microsecond, the thread id as a string, the
 * task name as JSON text the caller encoded once per name), they cost about a quarter
 * of that (~0.12 µs a sample, some of it the page faults of a fresh 5 MB buffer). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

#include "_samples.h"

typedef struct {
    char *data;
    size_t size, capacity;
} Buffer;

static int
reserve(Buffer *buffer, size_t more)
{
    if (buffer->size + more <= buffer->capacity) {
        return 0;
    }
    size_t capacity = buffer->capacity ? buffer->capacity : 4096;
    while (capacity < buffer->size + more) {
        if (capacity > PY_SSIZE_T_MAX / 2) {
            PyErr_NoMemory();
            return -1;
        }
        capacity *= 2;
    }
    char *grown = PyMem_Realloc(buffer->data, capacity);
    if (grown == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    buffer->data = grown;
    buffer->capacity = capacity;
    return 0;
}

/* Write into room reserved beforehand. */
static void
put(Buffer *buffer, const char *text, size_t size)
{
    memcpy(buffer->data + buffer->size, text, size);
    buffer->size += size;
}

static int
append(Buffer *buffer, const char *text, size_t size)
{
    if (reserve(buffer, size) < 0) {
        return -1;
    }
    put(buffer, text, size);
    return 0;
}

static void put_unsigned(Buffer *buffer, unsigned long long number);

/* A timestamp (s since the epoch) to the microsecond: fixed-point digits written here,
 * as a float's shortest repr() costs ~0.5 µs (a 10 ms sampling interval needs no finer).
 * Any other finite value as repr() writes it (JSON has no NaN). */
static int
append_timestamp(Buffer *buffer, PyObject *value)
{
    if (!PyFloat_CheckExact(value)) {
        PyErr_SetString(PyExc_TypeError, "encode_samples: a timestamp is not a float");
        return -1;
    }
    double number = PyFloat_AS_DOUBLE(value);
    if (!Py_IS_FINITE(number)) {
        PyErr_SetString(PyExc_ValueError, "encode_samples: a timestamp is not finite");
        return -1;
    }
    if (number >= 0 && number < 9e9) { /* (until 2255: µs then fit in 53 bits, exactly) */
        unsigned long long micros = (unsigned long long)llround(number * 1e6);
        char fraction[8] = {'.'};
        unsigned long long rest = micros % 1000000u;
        for (int digit = 6; digit >= 1; digit--) {
            fraction[digit] = (char)('0' + rest % 10u);
            rest /= 10u;
        }
        put_unsigned(buffer, micros / 1000000u); /* (room: see SAMPLE_ROOM) */
        put(buffer, fraction, 7);
        return 0;
    }
    char *text = PyOS_double_to_string(number, 'r', 0, Py_DTSF_ADD_DOT_0, NULL);
    if (text == NULL) {
        return -1;
    }
    int result = append(buffer, text, strlen(text));
    PyMem_Free(text);
    return result;
}

static void
put_unsigned(Buffer *buffer, unsigned long long number)
{
    char text[24];
    int at = (int)sizeof text;
    do {
        text[--at] = (char)('0' + number % 10u);
        number /= 10u;
    } while (number != 0);
    put(buffer, text + at, sizeof text - (size_t)at);
}

/* Room for a sample but its task name: the keys' text (40, the task's 13 more), a comma,
 * braces, a timestamp (at most 24 characters) and two numbers of 20 digits at most. */
#define SAMPLE_ROOM 128

PyObject *
stackwalk_encode_samples(PyObject *module, PyObject *const *args, Py_ssize_t nargs)
{
    (void)module;
    if (nargs != 5) {
        PyErr_SetString(PyExc_TypeError, "encode_samples() takes 5 arguments");
        return NULL;
    }
    PyObject *timestamps = args[0], *thread_ids = args[1], *stack_ids = args[2];
    PyObject *tasks = args[3], *task_json = args[4];
    if (!PyList_CheckExact(timestamps) || !PyList_CheckExact(thread_ids) ||
        !PyList_CheckExact(stack_ids) || !PyList_CheckExact(tasks) || !PyDict_Check(task_json)) {
        PyErr_SetString(PyExc_TypeError, "encode_samples: four lists and a dict");
        return NULL;
    }
    Py_ssize_t count = PyList_GET_SIZE(timestamps);
    if (PyList_GET_SIZE(thread_ids) != count || PyList_GET_SIZE(stack_ids) != count ||
        PyList_GET_SIZE(tasks) != count) {
        PyErr_SetString(PyExc_ValueError, "encode_samples: the columns differ in length");
        return NULL;
    }
    Buffer buffer = {NULL, 0, 0};
    static const char head[] = "{\"timestamp\":", thread[] = ",\"thread_id\":\"",
                      stack[] = "\",\"stack_id\":", task[] = ",\"task_name\":";
    int failed = reserve(&buffer, (size_t)count * 96 + 2) < 0 || append(&buffer, "[", 1) < 0;
    /* (the columns are read by index each time: nothing here runs Python code that could
     * change their length, but a list is checked all the same) */
    for (Py_ssize_t i = 0; !failed && i < count; i++) {
        if (i >= PyList_GET_SIZE(timestamps) || i >= PyList_GET_SIZE(thread_ids) ||
            i >= PyList_GET_SIZE(stack_ids) || i >= PyList_GET_SIZE(tasks)) {
            PyErr_SetString(PyExc_RuntimeError, "encode_samples: a column changed");
            failed = 1;
            break;
        }
        PyObject *thread_id = PyList_GET_ITEM(thread_ids, i);
        PyObject *stack_id = PyList_GET_ITEM(stack_ids, i);
        PyObject *name = PyList_GET_ITEM(tasks, i);
        if (!PyLong_CheckExact(thread_id) || !PyLong_CheckExact(stack_id)) {
            PyErr_SetString(PyExc_TypeError, "encode_samples: an id is not an int");
            failed = 1;
            break;
        }
        unsigned long long thread_number = PyLong_AsUnsignedLongLong(thread_id);
        Py_ssize_t stack_number = PyLong_AsSsize_t(stack_id);
        if ((thread_number == (unsigned long long)-1 && PyErr_Occurred()) ||
            (stack_number == -1 && PyErr_Occurred())) {
            failed = 1;
            break;
        }
        if (stack_number < 0) {
            PyErr_SetString(PyExc_ValueError, "encode_samples: a negative stack id");
            failed = 1;
            break;
        }
        PyObject *encoded = NULL;
        if (name != Py_None) {
            encoded = PyDict_GetItemWithError(task_json, name); /* borrowed */
            if (encoded == NULL || !PyBytes_CheckExact(encoded)) {
                if (!PyErr_Occurred()) {
                    PyErr_SetString(PyExc_KeyError, "encode_samples: a task name not encoded");
                }
                failed = 1;
                break;
            }
        }
        size_t task_size = encoded == NULL ? 0 : (size_t)PyBytes_GET_SIZE(encoded);
        if (reserve(&buffer, SAMPLE_ROOM + task_size) < 0) {
            failed = 1;
            break;
        }
        if (i > 0) {
            put(&buffer, ",", 1);
        }
        put(&buffer, head, sizeof head - 1);
        if (append_timestamp(&buffer, PyList_GET_ITEM(timestamps, i)) < 0) {
            failed = 1;
            break;
        }
        put(&buffer, thread, sizeof thread - 1);
        put_unsigned(&buffer, thread_number);
        put(&buffer, stack, sizeof stack - 1);
        put_unsigned(&buffer, (unsigned long long)stack_number);
        if (encoded != NULL) {
            put(&buffer, task, sizeof task - 1);
            put(&buffer, PyBytes_AS_STRING(encoded), task_size);
        }
        put(&buffer, "}", 1);
    }
    PyObject *result = NULL;
    if (!failed && append(&buffer, "]", 1) == 0) {
        result = PyBytes_FromStringAndSize(buffer.data, (Py_ssize_t)buffer.size);
    }
    PyMem_Free(buffer.data);
    return result;
}
