/* td_depthwise_conv2d_rq_opt.c - the optimized depthwise convolution of integer graphs
 * (NEMO, QuantLab, Deeploy); see td_depthwise_conv2d_rq_opt.h and td_opt_dw_impl.h. */
#define TD_OPT_IRA_ONE 1      /* (td_opt_common.h) */
#include "td_depthwise_conv2d_rq_opt.h"

#define DW_MODES 0x1c        /* its channels: modes 2 to 4 (integer graphs) */
#include "td_opt_dw_impl.h"

void td_depthwise_conv2d_rq_opt(const td_depthwise_conv2d_rq_opt_args_t *args,
                                const void *input, void *output, void *scratch,
                                const td_team_t *team)
{
    dw_run(args, (const int8_t *)input, output, scratch, team);
}
