/* td_conv2d_rq_opt.c - the optimized convolution of integer-deployable graphs (NEMO,
 * QuantLab, Deeploy): int8 activations, int8 weights (the model's bytes, reordered), the
 * graph's requantization in its narrowest exact form per channel (td_opt_rq.h) and an
 * int8, int16 or raw int32 output; see td_conv2d_rq_opt.h and td_opt_conv_impl.h. */
#include "td_conv2d_rq_opt.h"
#include "td_opt_config.h"

#define TD_CV_WT int8_t
#define TD_CV_WV(x) ((int32_t)(x) * 256)
#define TD_CV_WTS wts8
/* no TFLite epilogue; the TD_CV_RQ32 ones the project's layers use (td_opt_config.h:
 * 6 / 7 / 8 im2col blocks, 22 / 23 / 24 row blocks; td_opt_cv_epi.h) */
#define TD_CV_FAST_ON 0
#define TD_CV_ROWF_ON 0
#define TD_CV_FORM_Q(v) || (v) == 6
#define TD_CV_FORM_QH(v) || (v) == 7
#define TD_CV_FORM_RQ(v) || (v) == 22
#define TD_CV_FORM_RQH(v) || (v) == 23
#define TD_CV_FORM_QX(v) || (v) == 8
#define TD_CV_FORM_RQX(v) || (v) == 24
#define TD_CV_RQ32_ON ((0 TD_CV_FORMS(TD_CV_FORM_Q)) + 2 * (0 TD_CV_FORMS(TD_CV_FORM_QH))    \
                       + 4 * (0 TD_CV_FORMS(TD_CV_FORM_QX)))
#define TD_CV_ROWQ_ON ((0 TD_CV_FORMS(TD_CV_FORM_RQ)) + 2 * (0 TD_CV_FORMS(TD_CV_FORM_RQH))  \
                       + 4 * (0 TD_CV_FORMS(TD_CV_FORM_RQX)))

#include "td_opt_conv_impl.h"

void td_conv2d_rq_opt(const td_conv2d_rq_opt_args_t *args, const int8_t *input, void *output,
                      void *scratch, const td_team_t *team)
{
    td_cv_run(args, input, output, scratch, team);
}
