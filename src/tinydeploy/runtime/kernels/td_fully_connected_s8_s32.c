/* td_fully_connected_s8_s32.c - see td_fully_connected_s8_s32.h. The accumulator is the one
 * of the fused td_fully_connected_s8_rq* kernels (td_fully_connected_s8_rq.h). */
#include "td_fully_connected_s8_s32.h"

#include "td_fully_connected_s8_rq.h"

void td_fully_connected_s8_s32(const td_fully_connected_s8_s32_args_t *args,
                               const int8_t *input, const int8_t *weight,
                               const int32_t *bias, int32_t *output)
{
    const td_fully_connected_s8_rq_args_t g = {
        .batches = args->batches, .in_features = args->in_features,
        .out_features = args->out_features, .input_offset = args->input_offset,
    };
    int32_t *y = output;
    for (int32_t b = 0; b < g.batches; ++b) {
        for (int32_t o = 0; o < g.out_features; ++o) {
            *y++ = td_fully_connected_s8_rq_acc(&g, input, weight, bias, b, o);
        }
    }
}
