/* td_transpose_conv_s8.c - reference transposed convolution (see td_transpose_conv_s8.h
 * and td_transpose_conv_impl.h). */
#include "td_transpose_conv_s8.h"

#define TD_TC_T int8_t
#define TD_TC_ACC int32_t
#define TD_TC_REQUANT td_requant

#include "td_transpose_conv_impl.h"

void td_transpose_conv_s8(const td_transpose_conv_s8_args_t *args, const int8_t *input,
                          const int8_t *weight, const int32_t *bias, int8_t *output)
{
    tconv_run(args, input, weight, bias, output);
}
