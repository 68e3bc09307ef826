/* td_kv_append_any.h - one decode step's new key/value rows written into a KV cache that
 * lives across calls: the cache seen as [outer, capacity, row] (elements of elem_bytes:
 * 1, 2 or 4), the new rows as [outer, rows, row]; rows at..at+rows-1 of every outer slice
 * are overwritten, the others kept. No copy of the cache is made.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): elem_bytes in {1, 2, 4}; outer, rows, row, capacity
 * > 0; 0 <= at and at + rows <= capacity (the step function checks the context before
 * it patches `at`); input buffer of exactly outer * rows * row elements, cache of
 * outer * capacity * row.
 */
#ifndef TD_KV_APPEND_ANY_H
#define TD_KV_APPEND_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t outer;             /* product of the dims before the time axis */
    int32_t rows;              /* new rows per step */
    int32_t row;               /* elements per row */
    int32_t capacity;          /* rows the cache holds */
    int32_t at;                /* first row written: the tokens already cached */
} td_kv_append_any_args_t;

void td_kv_append_any(const td_kv_append_any_args_t *args, const void *new_rows,
                      void *cache);

#endif /* TD_KV_APPEND_ANY_H */
