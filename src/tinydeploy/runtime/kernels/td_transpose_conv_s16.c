/* td_transpose_conv_s16.c - reference transposed convolution (see td_transpose_conv_s16.h
 * and td_transpose_conv_impl.h). */
#include "td_transpose_conv_s16.h"

#include "td_16x8.h"

#define TD_TC_T int16_t
#define TD_TC_ACC int64_t
#define TD_TC_REQUANT td_requant64

#include "td_transpose_conv_impl.h"

void td_transpose_conv_s16(const td_transpose_conv_s16_args_t *args, const int16_t *input,
                           const int8_t *weight, const int64_t *bias, int16_t *output)
{
    tconv_run(args, input, weight, bias, output);
}
