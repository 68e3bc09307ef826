/* td_concat_s8.h - int8 concatenation (TFLite Micro CONCATENATION): a byte copy, all inputs
 * share the output's quantization. Seen as [outer, sum(copy_sizes)], each of the outer rows
 * is input 0's copy_sizes[0] bytes, then input 1's copy_sizes[1] bytes, ...
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * num_inputs, outer > 0; copy_sizes has num_inputs entries >= 0; input i holds exactly
 * outer*copy_sizes[i] bytes, the output outer*sum(copy_sizes).
 */
#ifndef TD_CONCAT_S8_H
#define TD_CONCAT_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t num_inputs;
    int32_t outer;               /* product of the dims before the concat axis */
    const int32_t *copy_sizes;   /* [num_inputs]: dim(axis) * inner, per input */
} td_concat_s8_args_t;

void td_concat_s8(const td_concat_s8_args_t *args, const int8_t *const *ins, int8_t *out);

#endif
