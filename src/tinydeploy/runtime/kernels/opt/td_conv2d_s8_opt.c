/* td_conv2d_s8_opt.c - int8 convolution optimized for RV32IMC (TFLite requantization,
 * weights int16 w * 256); see td_conv2d_s8_opt.h and the driver td_opt_conv_impl.h. */
#include "td_conv2d_s8_opt.h"
#include "td_opt_config.h"

#define TD_CV_WT int16_t
#define TD_CV_WV(x) ((int32_t)(x))
#define TD_CV_WTS wts
/* the im2col blocks' epilogues the project's layers use (td_opt_config.h) */
#define TD_CV_FORM_F(v) || (v) == 0
#define TD_CV_FORM_Z(v) || (v) == 4
#define TD_CV_FORM_P(v) || (v) == 5
#define TD_CV_FAST_ON (0 TD_CV_FORMS(TD_CV_FORM_F))
#define TD_CV_FASTZ_ON (0 TD_CV_FORMS(TD_CV_FORM_Z))
#define TD_CV_FASTP_ON (0 TD_CV_FORMS(TD_CV_FORM_P))

#include "td_opt_conv_impl.h"

void td_conv2d_s8_opt(const td_conv2d_s8_opt_args_t *args, const int8_t *input, void *output,
                      void *scratch, const td_team_t *team)
{
    td_cv_run(args, input, output, scratch, team);
}
