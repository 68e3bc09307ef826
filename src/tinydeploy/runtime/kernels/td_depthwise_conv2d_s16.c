/* td_depthwise_conv2d_s16.c - reference 16x8 depthwise convolution
 * (see td_depthwise_conv2d_s16.h and td_conv2d_impl.h). */
#include "td_depthwise_conv2d_s16.h"

#include "td_16x8.h"

#define TD_CONV_ARGS td_depthwise_conv2d_s16_args_t
#define TD_CONV_T int16_t
#define TD_CONV_ACC int64_t
#define TD_CONV_DEPTHWISE
#define TD_CONV_X(a, x) ((void)(a), (int32_t)(x))
#define TD_CONV_OUT(a, acc, oc) td_requant64((acc), (a)->out_mult[oc], (a)->out_shift[oc])

#include "td_conv2d_impl.h"

void td_depthwise_conv2d_s16(const td_depthwise_conv2d_s16_args_t *args,
                             const int16_t *input, const int8_t *weight,
                             const int64_t *bias, int16_t *output)
{
    conv_run(args, input, weight, bias, output);
}
