/* td_conv2d_s16_rq_opt.c - see td_conv2d_s16_rq_opt.h (body: td_opt_cv_direct_impl.h). */
#include "td_conv2d_s16_rq_opt.h"

#define TD_CVD_T int16_t

#include "td_opt_cv_direct_impl.h"

void td_conv2d_s16_rq_opt(const td_conv2d_s16_rq_opt_args_t *args, const int16_t *input,
                          void *output, void *scratch, const td_team_t *team)
{
    td_cvd_run(args, input, output, scratch, team);
}
