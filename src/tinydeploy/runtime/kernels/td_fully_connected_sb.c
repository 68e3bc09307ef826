/* td_fully_connected_sb.c - reference sub-byte fully connected (see the header). */
#include "td_fully_connected_sb.h"

#include "td_common.h"
#include "td_pack.h"

void td_fully_connected_sb(const td_fully_connected_sb_args_t *args, const void *input,
                           const void *weight, const int32_t *bias, void *output)
{
    const td_fully_connected_sb_args_t *a = args;
    const uint8_t *x = (const uint8_t *)input;
    const uint8_t *w = (const uint8_t *)weight;
    const int32_t n_in = a->in_features;
    td_packer_t y;
    td_pack_init(&y, output, a->out_bits);
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t o = 0; o < a->out_features; ++o) {
            int32_t acc = 0;
            for (int32_t i = 0; i < n_in; ++i) {
                const int32_t xv = td_unpack(x, b * n_in + i, a->in_bits, a->in_signed);
                acc += td_unpack(w, o * n_in + i, a->w_bits, 1) * (xv + a->input_offset);
            }
            if (bias != NULL) acc += bias[o];
            acc = td_requant(acc, a->out_mult[o], a->out_shift[o]);
            acc = (int32_t)((uint32_t)acc + (uint32_t)a->output_offset);
            td_pack_put(&y, td_clamp(acc, a->act_min, a->act_max));
        }
    }
    td_pack_flush(&y);
}
