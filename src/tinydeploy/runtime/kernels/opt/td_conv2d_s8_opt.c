/* td_conv2d_s8_opt.c - int8 convolution optimized for RV32IMC (TFLite requantization,
 * weights int16 w * 256); see td_conv2d_s8_opt.h and the driver td_opt_conv_impl.h. */
#include "td_conv2d_s8_opt.h"

#define TD_CV_WT int16_t
#define TD_CV_WV(x) ((int32_t)(x))
#define TD_CV_WTS wts

#include "td_opt_conv_impl.h"

void td_conv2d_s8_opt(const td_conv2d_s8_opt_args_t *args, const int8_t *input, void *output,
                      void *scratch, const td_team_t *team)
{
    td_cv_run(args, input, output, scratch, team);
}
