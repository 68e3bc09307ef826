/* td_fully_connected_s8.c - int8 fully connected layer optimized for RV32IMC (same
 * results as the reference kernels/td_fully_connected_s8.c for every input).
 *
 * Every weight is used once per batch row, so a weight load is unavoidable per MAC; the
 * kernel makes it the only extra instruction: the input row is widened once to int16
 * with the input offset folded in (x + input_offset), the weight offset is folded into
 * the start value (weight_offset * sum(x + input_offset)), and 8 output rows are
 * accumulated together, unrolled 16 times (lb, mul, add per MAC plus 1/8 load of x):
 * about 3.2 instructions per MAC. Requantization uses the fast path of td_opt_common.h
 * when the channel's multiplier allows it and |acc| < 2^29 (checked per output).
 *
 * Static scratch: 2 * TD_OPT_FC_CHUNK bytes (2 KiB).
 */
#include "../td_fully_connected_s8.h"

#include "../td_common.h"
#include "td_opt_common.h"

#ifndef TD_OPT_FC_CHUNK
#define TD_OPT_FC_CHUNK 1024    /* input features widened at a time (int16 buffer) */
#endif

#define FC_R 8                  /* output rows per block */

static int16_t g_x[TD_OPT_FC_CHUNK];

#define FC_MAC(r, u) a##r += (uint32_t)(w##r[u] * x)
#define FC_STEP(u) {                                                                     \
    const int32_t x = xp[u];                                                             \
    FC_MAC(0, u); FC_MAC(1, u); FC_MAC(2, u); FC_MAC(3, u);                               \
    FC_MAC(4, u); FC_MAC(5, u); FC_MAC(6, u); FC_MAC(7, u); }

/* acc[r] += sum_k w[r * stride + k] * xp[k] over k < n, for 8 rows. */
TD_OPT_NOINLINE static void fc_rows8(const int16_t *xp, const int8_t *w, int32_t stride,
                                     int32_t n, uint32_t *acc)
{
    const int8_t *w0 = w, *w1 = w0 + stride, *w2 = w1 + stride, *w3 = w2 + stride;
    const int8_t *w4 = w3 + stride, *w5 = w4 + stride, *w6 = w5 + stride, *w7 = w6 + stride;
    uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
    uint32_t a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
    const int16_t *end = xp + (n & ~15);
    while (xp != end) {
        FC_STEP(0) FC_STEP(1) FC_STEP(2) FC_STEP(3) FC_STEP(4) FC_STEP(5) FC_STEP(6) FC_STEP(7)
        FC_STEP(8) FC_STEP(9) FC_STEP(10) FC_STEP(11) FC_STEP(12) FC_STEP(13) FC_STEP(14)
        FC_STEP(15)
        xp += 16;
        w0 += 16; w1 += 16; w2 += 16; w3 += 16; w4 += 16; w5 += 16; w6 += 16; w7 += 16;
    }
    end = xp + (n & 15);
    while (xp != end) {
        FC_STEP(0)
        xp += 1;
        w0 += 1; w1 += 1; w2 += 1; w3 += 1; w4 += 1; w5 += 1; w6 += 1; w7 += 1;
    }
    acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
    acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
}

/* Requantize, clamp and store output o of accumulator a. */
static int8_t fc_out(const td_fully_connected_s8_args_t *args, int32_t o, int32_t a)
{
    td_opt_chan_t q;
    if (td_opt_chan_requant(&q, args->out_mult[o], args->out_shift[o], args->output_offset, 0)
        && a > -(1 << 29) && a < (1 << 29)) {
        return td_opt_sat(td_opt_rq(a, q.m4, q.c_pos, q.d_neg, q.sh), args->act_min,
                          args->act_max);
    }
    return td_opt_sat(td_opt_rq_slow(a, &q, args->output_offset), args->act_min, args->act_max);
}

void td_fully_connected_s8(const td_fully_connected_s8_args_t *args, const int8_t *input,
                           const int8_t *weight, const int32_t *bias, int8_t *output)
{
    const td_fully_connected_s8_args_t *a = args;
    const int32_t nin = a->in_features, nout = a->out_features;
    for (int32_t b = 0; b < a->batches; ++b) {
        const int8_t *x = input + b * nin;
        int8_t *y = output + b * nout;
        uint32_t xsum = 0;     /* sum (x + input_offset), for the weight offset */
        for (int32_t i = 0; i < nin; ++i) xsum += (uint32_t)(x[i] + a->input_offset);
        for (int32_t o0 = 0; o0 < nout; o0 += FC_R) {
            const int32_t nr = TD_MIN(FC_R, nout - o0);
            /* rows past nout repeat the last row (never stored) */
            const int8_t *w = weight + (nr == FC_R ? o0 : nout - FC_R) * nin;
            const int32_t r0 = nr == FC_R ? 0 : FC_R - nr;
            uint32_t acc[FC_R];
            if (nout < FC_R) {
                /* fewer rows than a block: plain loop */
                for (int32_t r = 0; r < nr; ++r) {
                    uint32_t s = (bias != NULL ? (uint32_t)bias[o0 + r] : 0u)
                                 + (uint32_t)a->weight_offset * xsum;
                    for (int32_t i = 0; i < nin; ++i) {
                        s += (uint32_t)(weight[(o0 + r) * nin + i] * (x[i] + a->input_offset));
                    }
                    y[o0 + r] = fc_out(a, o0 + r, (int32_t)s);
                }
                continue;
            }
            for (int32_t r = 0; r < FC_R; ++r) {
                const int32_t o = (nr == FC_R ? o0 : nout - FC_R) + r;
                acc[r] = (bias != NULL ? (uint32_t)bias[o] : 0u)
                         + (uint32_t)a->weight_offset * xsum;
            }
            for (int32_t k0 = 0; k0 < nin; k0 += TD_OPT_FC_CHUNK) {
                const int32_t n = TD_MIN(TD_OPT_FC_CHUNK, nin - k0);
                if (o0 == 0 || nin > TD_OPT_FC_CHUNK) {
                    for (int32_t i = 0; i < n; ++i) {
                        g_x[i] = (int16_t)(x[k0 + i] + a->input_offset);
                    }
                }
                fc_rows8(g_x, w + k0, nin, n, acc);
            }
            for (int32_t r = r0; r < FC_R; ++r) {
                const int32_t o = (nr == FC_R ? o0 : nout - FC_R) + r;
                y[o] = fc_out(a, o, (int32_t)acc[r]);
            }
        }
    }
}
