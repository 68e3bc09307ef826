/* td_conv2d_rq_nchw_u8_opt.c - see td_conv2d_rq_nchw_u8_opt.h (body: td_opt_cv_nchw_impl.h). */
#include "td_conv2d_rq_nchw_u8_opt.h"

#define TD_CVD_T uint8_t

#include "td_opt_cv_nchw_impl.h"

void td_conv2d_rq_nchw_u8_opt(const td_conv2d_rq_nchw_u8_opt_args_t *args,
                              const uint8_t *input, void *output, void *scratch,
                              const td_team_t *team)
{
    td_cvp_run(args, input, output, scratch, team);
}
