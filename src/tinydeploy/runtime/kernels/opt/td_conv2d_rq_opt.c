/* td_conv2d_rq_opt.c - the optimized convolution of integer-deployable graphs (NEMO,
 * QuantLab, Deeploy): int8 activations, int8 weights (the model's bytes, reordered), the
 * graph's requantization in its narrowest exact form per channel (td_opt_rq.h) and an
 * int8, int16 or raw int32 output; see td_conv2d_rq_opt.h and td_opt_conv_impl.h. */
#include "td_conv2d_rq_opt.h"

#define TD_CV_WT int8_t
#define TD_CV_WV(x) ((int32_t)(x) * 256)
#define TD_CV_WTS wts8

#include "td_opt_conv_impl.h"

void td_conv2d_rq_opt(const td_conv2d_rq_opt_args_t *args, const int8_t *input, void *output,
                      void *scratch, const td_team_t *team)
{
    td_cv_run(args, input, output, scratch, team);
}
