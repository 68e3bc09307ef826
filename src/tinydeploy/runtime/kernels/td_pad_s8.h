/* td_pad_s8.h - int8 constant padding (TFLite Micro PAD): the input bytes are copied
 * unchanged and every new element is pad_value (the output zero point, i.e. real 0).
 * Shapes are left-extended to TD_PAD_MAX_DIMS dims with size 1 (pad_before 0).
 *
 * Preconditions (checked at compile time, quant/preconditions.py; a layer that violates one
 * is refused naming it):
 * in_shape, out_shape >= 1, pad_before >= 0 and in_shape + pad_before <= out_shape in every
 * dim; pad_value of int8; buffers of exactly prod(in_shape) (input) and prod(out_shape)
 * (output) bytes.
 */
#ifndef TD_PAD_S8_H
#define TD_PAD_S8_H

#include "../td_names.h"

#include <stdint.h>

#define TD_PAD_MAX_DIMS 6

typedef struct {
    const int32_t *in_shape;   /* [TD_PAD_MAX_DIMS] */
    const int32_t *out_shape;  /* [TD_PAD_MAX_DIMS] */
    const int32_t *pad_before; /* [TD_PAD_MAX_DIMS] */
    int32_t pad_value;
} td_pad_s8_args_t;

void td_pad_s8(const td_pad_s8_args_t *args, const int8_t *in, int8_t *out);

#endif
