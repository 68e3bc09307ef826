/* td_conv2d_rq_opt.h - the optimized convolution of integer-deployable graphs (NEMO,
 * QuantLab, Deeploy): the same bytes as the reference td_conv2d_s8_rq / _s8_s16_rq /
 * _s8_s32 (kernels/td_conv2d_s8_rq.h, td_conv2d_s8_s32.h) from the args struct of
 * td_conv2d_s8_opt.h filled by Python (quant/opt/conv2d_rq.py): kind TD_CV_KIND_RQ, int8
 * weights w (wts8, packed like wts), per channel the lane starts with bias and input
 * offset folded in and the requantization descriptor of td_opt_rq.h (blocks of mode
 * TD_CV_RQ; blocks whose channels all have a shift form with exact thresholds take the
 * epilogues TD_CV_RQ32 / RQ32H / RQ64 on the register accumulators, td_opt_cv_epi.h;
 * decreasing channels come mirrored: weights, bias and multiplier negated, Python),
 * output elements of esize bytes. Same paths, write order and scratch as
 * td_conv2d_s8_opt; the weights cost one shift per load more (flash: the model's bytes).
 */
#ifndef TD_CONV2D_RQ_OPT_H
#define TD_CONV2D_RQ_OPT_H

#include "../../td_names.h"

#include "td_conv2d_s8_opt.h"

typedef td_conv2d_s8_opt_args_t td_conv2d_rq_opt_args_t;

void td_conv2d_rq_opt(const td_conv2d_rq_opt_args_t *args, const int8_t *input,
                      void *output, void *scratch, const td_team_t *team);

#endif /* TD_CONV2D_RQ_OPT_H */
