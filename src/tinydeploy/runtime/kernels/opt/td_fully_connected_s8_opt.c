/* td_fully_connected_s8_opt.c - int8 fully connected layer optimized for RV32IMC; see
 * td_fully_connected_s8_opt.h. No scratch, no packing per call.
 */
#include "td_fully_connected_s8_opt.h"

#include "../td_common.h"
#include "td_opt_common.h"
#include "td_opt_config.h"

#define FC_START 0        /* chan words of this kernel (the rest as td_opt_common.h) */
#define FC_MODE 1

/* TD_FC_PATHS (td_opt_config.h, quant/opt/fully_connected.py): 1, 2, 4, 8 the blocks of
 * that many rows the layers take, 9 outputs with the reference requantization (mode 1);
 * the code of the others is left out. */
#define FC_HAS(p) TD_OPT_IN(TD_FC_PATHS, p)

#define FC_MAC(r, u) a##r += (uint32_t)(wp[FC_R * (u) + (r)] * x)

/* acc[r] += sum_k w[k * R + r] * x[k] over k < n (a block of R = 8, 4, 2 or 1 rows, its
 * weights interleaved by Python: one pointer, the offsets immediates). */
#define FC_ROWS(R, STEP, LOAD, SAVE)                                                     \
TD_OPT_NOINLINE static void fc_rows##R(const int8_t *xp, const int8_t *wp, int32_t n,     \
                                       uint32_t *acc)                                     \
{                                                                                        \
    LOAD                                                                                 \
    const int8_t *end = xp + (n & ~15);                                                  \
    while (xp != end) {                                                                  \
        STEP(0) STEP(1) STEP(2) STEP(3) STEP(4) STEP(5) STEP(6) STEP(7)                  \
        STEP(8) STEP(9) STEP(10) STEP(11) STEP(12) STEP(13) STEP(14) STEP(15)            \
        xp += 16;                                                                        \
        wp += 16 * (R);                                                                  \
    }                                                                                    \
    end = xp + (n & 15);                                                                 \
    while (xp != end) {                                                                  \
        STEP(0)                                                                          \
        xp += 1;                                                                         \
        wp += (R);                                                                       \
    }                                                                                    \
    SAVE                                                                                 \
}

#define FC_R 8
#define FC_S8(u) { const int32_t x = xp[u]; FC_MAC(0, u); FC_MAC(1, u); FC_MAC(2, u);     \
                   FC_MAC(3, u); FC_MAC(4, u); FC_MAC(5, u); FC_MAC(6, u); FC_MAC(7, u); }
#define FC_L8 uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];                \
              uint32_t a4 = acc[4], a5 = acc[5], a6 = acc[6], a7 = acc[7];
#define FC_V8 acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;                          \
              acc[4] = a4; acc[5] = a5; acc[6] = a6; acc[7] = a7;
FC_ROWS(8, FC_S8, FC_L8, FC_V8)
#undef FC_R

#define FC_R 4
#define FC_S4(u) { const int32_t x = xp[u]; FC_MAC(0, u); FC_MAC(1, u); FC_MAC(2, u);     \
                   FC_MAC(3, u); }
#define FC_L4 uint32_t a0 = acc[0], a1 = acc[1], a2 = acc[2], a3 = acc[3];
#define FC_V4 acc[0] = a0; acc[1] = a1; acc[2] = a2; acc[3] = a3;
FC_ROWS(4, FC_S4, FC_L4, FC_V4)
#undef FC_R

#define FC_R 2
#define FC_S2(u) { const int32_t x = xp[u]; FC_MAC(0, u); FC_MAC(1, u); }
#define FC_L2 uint32_t a0 = acc[0], a1 = acc[1];
#define FC_V2 acc[0] = a0; acc[1] = a1;
FC_ROWS(2, FC_S2, FC_L2, FC_V2)
#undef FC_R

#define FC_R 1
#define FC_S1(u) { const int32_t x = xp[u]; FC_MAC(0, u); }
#define FC_L1 uint32_t a0 = acc[0];
#define FC_V1 acc[0] = a0;
FC_ROWS(1, FC_S1, FC_L1, FC_V1)
#undef FC_R

/* Requantize, clamp and store output o of accumulator v. */
static void fc_store(const td_fully_connected_s8_opt_args_t *a, int32_t o, uint32_t v,
                     int8_t *y)
{
    const int32_t *ch = a->chan + o * TD_OPT_CH;
    int32_t r;
    if (!FC_HAS(9) || ch[FC_MODE] == 0) {
        TD_OPT_PUT(y + o, v, ch[TD_CH_TLH], ch[TD_CH_THH], (int32_t)v,
                   (uint32_t)ch[TD_CH_M4], ch[TD_CH_CP], ch[TD_CH_DN], ch[TD_CH_SH],
                   a->act_min, a->act_max);
        return;
    } else {
        r = td_opt_rq_slow((int32_t)v, ch, a->output_offset);
    }
    y[o] = td_opt_sat(r, a->act_min, a->act_max);
}

/* Rows [o0, o1) of one batch row x into y. */
static void fc_range(const td_fully_connected_s8_opt_args_t *a, const int8_t *x, int8_t *y,
                     int32_t o0, int32_t o1)
{
    const int32_t nin = a->in_features;
    uint32_t xadd = 0;
    if (a->weight_offset != 0) {
        uint32_t xs = 0;
        for (int32_t i = 0; i < nin; ++i) xs += (uint32_t)x[i];
        xadd = xs * (uint32_t)a->weight_offset;
    }
    for (int32_t o = o0; o < o1;) {
        const int32_t left = o1 - o, r = left >= 8 ? 8 : left >= 4 ? 4 : left >= 2 ? 2 : 1;
        const int8_t *w = a->wts + o * nin;
        uint32_t acc[8];
        for (int32_t j = 0; j < r; ++j) acc[j] = (uint32_t)a->chan[(o + j) * TD_OPT_CH] + xadd;
        if (r == 8) {
            if (FC_HAS(8)) fc_rows8(x, w, nin, acc);
        } else if (r == 4) {
            if (FC_HAS(4)) fc_rows4(x, w, nin, acc);
        } else if (r == 2) {
            if (FC_HAS(2)) fc_rows2(x, w, nin, acc);
        } else if (FC_HAS(1)) {
            fc_rows1(x, w, nin, acc);
        }
        for (int32_t j = 0; j < r; ++j) fc_store(a, o + j, acc[j], y);
        o += r;
    }
}

void td_fully_connected_s8_opt(const td_fully_connected_s8_opt_args_t *args,
                               const int8_t *input, int8_t *output, void *scratch,
                               const td_team_t *team)
{
    const td_fully_connected_s8_opt_args_t *a = args;
    const int32_t nblk = (a->out_features + 7) / 8;
    int32_t b0, b1;
    (void)scratch;
    td_team_range(nblk, td_team_cores(team), td_team_core(team), &b0, &b1);
    for (int32_t b = 0; b < a->batches; ++b) {
        fc_range(a, input + b * a->in_features, output + b * a->out_features, 8 * b0,
                 TD_MIN(8 * b1, a->out_features));
    }
}
