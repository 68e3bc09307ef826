/* td_conv2d_rq_nchw_u8_opt.h - td_conv2d_rq_nchw_s8_opt (see there) for a uint8 input
 * whose int8 layer first moved it by the zero-point flip x - 128 (the same scale): the
 * stored values are summed as they are, each channel's start value lowered by 128 * sum(w)
 * (quant/opt/conv2d_rq_direct.py, make_nchw), so the caller's uint8 planes are read in
 * place.
 *
 * Preconditions (quant/preconditions/opt_s16.py): those of td_conv2d_rq_nchw_s8_opt,
 * with sums of the stored values (0..255) within int32.
 */
#ifndef TD_CONV2D_RQ_NCHW_U8_OPT_H
#define TD_CONV2D_RQ_NCHW_U8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_conv2d_s16_rq_opt.h"

typedef td_conv2d_s16_rq_opt_args_t td_conv2d_rq_nchw_u8_opt_args_t;

void td_conv2d_rq_nchw_u8_opt(const td_conv2d_rq_nchw_u8_opt_args_t *args,
                              const uint8_t *input, void *output, void *scratch,
                              const td_team_t *team);

#endif /* TD_CONV2D_RQ_NCHW_U8_OPT_H */
