/* td_act_grad_f32.h - float32 gradient of a clamping activation from its forward OUTPUT
 * y: dx[i] = dy[i] where y[i] lies in the open active range of fn (0 relu: y > 0; 1
 * relu6: 0 < y < 6; 2 relu_n1_to_1: -1 < y < 1), else 0.0f (a NaN y gives 0.0f). No
 * arithmetic: exact. dx may be dy or y (element i is read before it is written).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, backward.py): size >=
 * 1; fn in [0, 2]; dy, y and dx of size floats.
 */
#ifndef TD_ACT_GRAD_F32_H
#define TD_ACT_GRAD_F32_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    int32_t fn;
} td_act_grad_f32_args_t;

void td_act_grad_f32(const td_act_grad_f32_args_t *args, const float *dy, const float *y,
                     float *dx);

#endif /* TD_ACT_GRAD_F32_H */
