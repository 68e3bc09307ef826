/* td_pad_any.h - constant padding of a tensor of elem_bytes-wide integers (1, 2 or 4):
 * the output (out_shape, left-extended to 6 dims) is filled with `fill` (the stored code
 * of the pad value) and the input (in_shape) copied into the box starting at pad_before.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): elem_bytes in {1, 2, 4}; in_shape > 0, pad_before
 * >= 0, pad_before + in_shape <= out_shape per dim; fill fits the element type; buffers
 * of exactly prod(in_shape) and prod(out_shape) elements.
 */
#ifndef TD_PAD_ANY_H
#define TD_PAD_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t fill;              /* stored value of the padding */
    const int32_t *in_shape;   /* [6] */
    const int32_t *out_shape;  /* [6] */
    const int32_t *pad_before; /* [6] */
} td_pad_any_args_t;

void td_pad_any(const td_pad_any_args_t *args, const void *in, void *out);

#endif /* TD_PAD_ANY_H */
