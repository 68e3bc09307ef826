/* td_resize_bilinear_s8.h - int8 NHWC RESIZE_BILINEAR, bit-exact with TFLite's
 * ResizeBilinearInteger (double-rounding build): output pixel (y, x) is
 *   (p[y0][x0] (1024 - wy)(1024 - wx) + p[y1][x0] wy (1024 - wx)
 *    + p[y0][x1] (1024 - wy) wx + p[y1][x1] wy wx) / 2^20,
 * in int64, rounded half away from zero, stored as int8. The source rows/columns and
 * weights of every output row/column are precomputed (quant/golden/resize_bilinear.py).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, tflite_ops.py; a layer
 * that violates one is refused naming it):
 * all dims > 0 with element counts within int32; y0, y1 in [0, in_h) and x0, x1 in
 * [0, in_w) (out_h resp. out_w entries), weights in [-1024, 2048]; buffers of exactly
 * batches*in_h*in_w*channels (input) and batches*out_h*out_w*channels (output) bytes.
 */
#ifndef TD_RESIZE_BILINEAR_S8_H
#define TD_RESIZE_BILINEAR_S8_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t channels;
    int32_t out_h;
    int32_t out_w;
    const int32_t *y0;           /* [out_h] */
    const int32_t *y1;           /* [out_h] */
    const int32_t *wy;           /* [out_h] weight of y1 in 1/1024 */
    const int32_t *x0;           /* [out_w] */
    const int32_t *x1;           /* [out_w] */
    const int32_t *wx;           /* [out_w] weight of x1 in 1/1024 */
} td_resize_bilinear_s8_args_t;

void td_resize_bilinear_s8(const td_resize_bilinear_s8_args_t *args, const int8_t *in,
                           int8_t *out);

#endif /* TD_RESIZE_BILINEAR_S8_H */
