/* Open-addressing tables of pointer-sized keys for _detached.c: read by a pass without
 * the GIL, written by the sampler's teaching calls, both under the sampler's mutex.
 * Memory from the raw allocator only (usable without the GIL). */
#ifndef SCOPETEL_STACKWALK_DETACHED_TABLES_H
#define SCOPETEL_STACKWALK_DETACHED_TABLES_H

#define TABLE_EMPTY ((intptr_t)-1) /* values are never negative */

typedef struct {
    uintptr_t *keys;
    intptr_t *values;
    size_t capacity; /* a power of two, or 0 */
    size_t count;
} Table;

static inline size_t
table_slot(const Table *table, uintptr_t key)
{
    return (size_t)((key * 0x9E3779B97F4A7C15ULL) >> 17) & (table->capacity - 1);
}

static inline int
table_get(const Table *table, uintptr_t key, intptr_t *value)
{
    if (table->capacity == 0) {
        return 0;
    }
    for (size_t slot = table_slot(table, key);; slot = (slot + 1) & (table->capacity - 1)) {
        if (table->values[slot] == TABLE_EMPTY) {
            return 0;
        }
        if (table->keys[slot] == key) {
            *value = table->values[slot];
            return 1;
        }
    }
}

static inline void
table_clear(Table *table)
{
    PyMem_RawFree(table->keys);
    PyMem_RawFree(table->values);
    *table = (Table){NULL, NULL, 0, 0};
}

static int table_put(Table *table, uintptr_t key, intptr_t value);

/* Twice the slots (at least 64), every entry re-inserted; -1 without memory. */
static inline int
table_grow(Table *table)
{
    Table old = *table;
    size_t capacity = old.capacity ? 2 * old.capacity : 64;
    uintptr_t *keys = PyMem_RawMalloc(capacity * sizeof(uintptr_t));
    intptr_t *values = PyMem_RawMalloc(capacity * sizeof(intptr_t));
    if (keys == NULL || values == NULL) {
        PyMem_RawFree(keys);
        PyMem_RawFree(values);
        return -1;
    }
    for (size_t slot = 0; slot < capacity; slot++) {
        values[slot] = TABLE_EMPTY;
    }
    *table = (Table){keys, values, capacity, 0};
    for (size_t slot = 0; slot < old.capacity; slot++) {
        if (old.values[slot] != TABLE_EMPTY) {
            table_put(table, old.keys[slot], old.values[slot]);
        }
    }
    table_clear(&old);
    return 0;
}

/* Insert or replace; -1 without memory (the table is unchanged). */
static int
table_put(Table *table, uintptr_t key, intptr_t value)
{
    if (2 * (table->count + 1) > table->capacity && table_grow(table) < 0) {
        return -1;
    }
    size_t slot = table_slot(table, key);
    while (table->values[slot] != TABLE_EMPTY && table->keys[slot] != key) {
        slot = (slot + 1) & (table->capacity - 1);
    }
    table->count += table->values[slot] == TABLE_EMPTY;
    table->keys[slot] = key;
    table->values[slot] = value;
    return 0;
}

/* Every slot empty again, the storage kept. */
static inline void
table_empty(Table *table)
{
    for (size_t slot = 0; slot < table->capacity; slot++) {
        table->values[slot] = TABLE_EMPTY;
    }
    table->count = 0;
}

/* table_put without growing (no allocation: usable while a pass holds its locks);
 * -1 when it is half full. */
static inline int
table_put_fixed(Table *table, uintptr_t key, intptr_t value)
{
    if (2 * (table->count + 1) > table->capacity) {
        return -1;
    }
    return table_put(table, key, value);
}

/* Allocate at least `slots` slots (a power of two) beforehand; -1 without memory. */
static inline int
table_reserve(Table *table, size_t slots)
{
    while (table->capacity < slots) {
        if (table_grow(table) < 0) {
            return -1;
        }
    }
    return 0;
}
#endif
