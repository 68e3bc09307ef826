/* td_fully_connected_s8.c - reference int8 fully connected layer
 * (see td_fully_connected_s8.h). */
#include "td_fully_connected_s8.h"

#include "td_common.h"

void td_fully_connected_s8(const td_fully_connected_s8_args_t *args, const int8_t *input,
                           const int8_t *weight, const int32_t *bias, int8_t *output)
{
    const td_fully_connected_s8_args_t *a = args;
    for (int32_t b = 0; b < a->batches; ++b) {
        const int8_t *x = input + b * a->in_features;
        for (int32_t o = 0; o < a->out_features; ++o) {
            const int8_t *w = weight + o * a->in_features;
            int32_t acc = 0;
            for (int32_t i = 0; i < a->in_features; ++i) {
                acc += ((int32_t)w[i] + a->weight_offset) * ((int32_t)x[i] + a->input_offset);
            }
            if (bias != NULL) acc += bias[o];
            acc = td_requant(acc, a->out_mult[o], a->out_shift[o]);
            /* wraps like TFLite's int32 add; unsigned keeps it defined */
            acc = (int32_t)((uint32_t)acc + (uint32_t)a->output_offset);
            output[b * a->out_features + o] = (int8_t)td_clamp(acc, a->act_min, a->act_max);
        }
    }
}
