/* td_depthwise_conv2d_s8_opt.c - int8 depthwise convolution optimized for RV32IMC
 * (TFLite requantization); see td_depthwise_conv2d_s8_opt.h and td_opt_dw_impl.h. */
#define TD_OPT_IRA_ONE 1      /* (td_opt_common.h) */
#include "td_depthwise_conv2d_s8_opt.h"

#define DW_MODES 0x03        /* its channels: modes 0 and 1 (TFLite) */
#include "td_opt_dw_impl.h"

void td_depthwise_conv2d_s8_opt(const td_depthwise_conv2d_s8_opt_args_t *args,
                                const void *input, void *output, void *scratch,
                                const td_team_t *team)
{
    dw_run(args, (const int8_t *)input, output, scratch, team);
}
