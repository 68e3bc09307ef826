/* td_max_pool2d_s8_opt.h - the optimized int8 NHWC max_pool2d: the bytes of the reference
 * td_max_pool2d_s8 (TFLite Micro's: the maximum of the window elements inside the input,
 * padding never read, clamped to [act_min, act_max]) from the same geometry
 * (quant/opt/max_pool2d.py).
 *
 * Output pixels in order, each one's channels four at a time (one load, a compare and at
 * most a move per element; address offsets as immediates), the rest one by one; a 2x2
 * window that lies inside the input (the common 2x2 / stride 2 pool) has its own fully
 * unrolled loop when the clamp is the int8 range (the integer graphs' pools). Other
 * windows (and clamped pools) start their maxima at act_min and compare with act_max once
 * per output. Several cores: core c takes its share of the output rows (in-place planning
 * only for one core: the margin of quant/opt/max_pool2d.py assumes this order).
 *
 * Preconditions (quant/preconditions/cnn.py, as td_max_pool2d_s8): dims, kernel and
 * strides > 0, pads >= 0, no window entirely in the padding, int8 act_min <= act_max;
 * buffers of batches*in_h*in_w*channels (input) and batches*out_h*out_w*channels (output)
 * bytes.
 */
#ifndef TD_MAX_POOL2D_S8_OPT_H
#define TD_MAX_POOL2D_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "../td_avg_pool2d_s8.h"
#include "td_opt_common.h"

/* The reference pools' args (td_avg_pool2d_s8.h). */
typedef td_avg_pool2d_s8_args_t td_max_pool2d_s8_opt_args_t;

void td_max_pool2d_s8_opt(const td_max_pool2d_s8_opt_args_t *args, const int8_t *input,
                          int8_t *output, void *scratch, const td_team_t *team);

#endif /* TD_MAX_POOL2D_S8_OPT_H */
