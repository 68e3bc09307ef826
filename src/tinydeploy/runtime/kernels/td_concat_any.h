/* td_concat_any.h - concatenation along one axis of any number of inputs whose elements
 * are elem_bytes wide (1, 2 or 4), copied unchanged (TFLite's CONCATENATION of inputs that
 * share the output's quantization; the 16x8 int16 case).
 *
 * The output is seen as [outer, sum(copy_sizes)]: each of the outer rows is copy_sizes[0]
 * elements of input 0, then copy_sizes[1] of input 1, ...
 *
 * Preconditions (checked at compile time, quant/preconditions.py, int16.py; a layer that
 * violates one is refused naming it):
 * elem_bytes in {1, 2, 4}; num_inputs > 0, outer > 0, copy_sizes >= 0; input i a buffer of
 * exactly elem_bytes*outer*copy_sizes[i] bytes, output elem_bytes*outer*sum(copy_sizes).
 */
#ifndef TD_CONCAT_ANY_H
#define TD_CONCAT_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t num_inputs;
    int32_t outer;               /* product of the dims before the axis */
    const int32_t *copy_sizes;   /* [num_inputs] elements per row of each input */
} td_concat_any_args_t;

void td_concat_any(const td_concat_any_args_t *args, const void *const *ins, void *out);

#endif /* TD_CONCAT_ANY_H */
