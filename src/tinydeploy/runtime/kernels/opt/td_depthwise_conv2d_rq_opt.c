/* td_depthwise_conv2d_rq_opt.c - the optimized depthwise convolution of integer graphs
 * (NEMO, QuantLab, Deeploy); see td_depthwise_conv2d_rq_opt.h and td_opt_dw_impl.h. */
#include "td_depthwise_conv2d_rq_opt.h"

#include "td_opt_dw_impl.h"

void td_depthwise_conv2d_rq_opt(const td_depthwise_conv2d_rq_opt_args_t *args,
                                const int8_t *input, void *output, void *scratch,
                                const td_team_t *team)
{
    dw_run(args, input, output, scratch, team);
}
