/* td_fully_connected_s16_s32.c - see td_fully_connected_s16_s32.h. */
#include "td_fully_connected_s16_s32.h"

#include <stddef.h>

void td_fully_connected_s16_s32(const td_fully_connected_s16_s32_args_t *args,
                                const int16_t *input, const int8_t *weight,
                                const int32_t *bias, int32_t *output)
{
    const td_fully_connected_s16_s32_args_t *a = args;
    for (int32_t b = 0; b < a->batches; ++b) {
        const int16_t *x = input + b * a->in_features;
        for (int32_t o = 0; o < a->out_features; ++o) {
            const int8_t *w = weight + o * a->in_features;
            int32_t acc = bias != NULL ? bias[o] : 0;
            for (int32_t i = 0; i < a->in_features; ++i) {
                acc += (int32_t)w[i] * ((int32_t)x[i] + a->input_offset);
            }
            output[b * a->out_features + o] = acc;
        }
    }
}
