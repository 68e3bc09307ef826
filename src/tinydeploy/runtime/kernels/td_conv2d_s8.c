/* td_conv2d_s8.c - reference int8 convolution (see td_conv2d_s8.h and td_conv2d_impl.h). */
#include "td_conv2d_s8.h"

#define TD_CONV_ARGS td_conv2d_s8_args_t
#define TD_CONV_T int8_t
#define TD_CONV_ACC int32_t
#define TD_CONV_X(a, x) ((int32_t)(x) + (a)->input_offset)
/* requantized, then offset with the wrap of TFLite's int32 add (unsigned keeps it defined) */
#define TD_CONV_OUT(a, acc, oc) \
    ((int32_t)((uint32_t)td_requant((acc), (a)->out_mult[oc], (a)->out_shift[oc]) + \
               (uint32_t)(a)->output_offset))

#include "td_conv2d_impl.h"

void td_conv2d_s8(const td_conv2d_s8_args_t *args, const int8_t *input,
                  const int8_t *weight, const int32_t *bias, int8_t *output)
{
    conv_run(args, input, weight, bias, output);
}
