/* td_lut_s8.h - int8 -> int8 through a table: out[i] = table[in[i] + 128].
 *
 * The compiler evaluates the op once per input code: TFLite's integer arithmetic of the
 * int8 LEAKY_RELU, HARD_SWISH, ABS and RSQRT (quant/golden/_lut8.py), or a float
 * elementwise function of QDQ models (quant/golden/lut.py). Element i is written after it
 * is read: the output may overwrite the input.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it): size > 0; the table holds 256 entries; buffers
 * of exactly size bytes.
 */
#ifndef TD_LUT_S8_H
#define TD_LUT_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t size;
    const int8_t *table;       /* [256] */
} td_lut_s8_args_t;

void td_lut_s8(const td_lut_s8_args_t *args, const int8_t *in, int8_t *out);

#endif /* TD_LUT_S8_H */
