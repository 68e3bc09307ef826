/* td_fully_connected_s16.c - reference 16x8 fully connected layer
 * (see td_fully_connected_s16.h). */
#include "td_fully_connected_s16.h"

#include "td_16x8.h"
#include "td_common.h"

void td_fully_connected_s16(const td_fully_connected_s16_args_t *args, const int16_t *input,
                            const int8_t *weight, const int64_t *bias, int16_t *output)
{
    const td_fully_connected_s16_args_t *a = args;
    for (int32_t b = 0; b < a->batches; ++b) {
        const int16_t *x = input + b * a->in_features;
        for (int32_t o = 0; o < a->out_features; ++o) {
            const int8_t *w = weight + o * a->in_features;
            int64_t acc = 0;
            for (int32_t i = 0; i < a->in_features; ++i) {
                acc += (int32_t)w[i] * (int32_t)x[i];
            }
            if (bias != NULL) acc += bias[o];
            const int32_t v = td_requant64(acc, a->out_mult[o], a->out_shift[o]);
            output[b * a->out_features + o] = (int16_t)td_clamp(v, a->act_min, a->act_max);
        }
    }
}
