/* td_opt_dw_px.h - the per-pixel loops of the optimized depthwise 3x3 (td_opt_dw_impl.h's
 * DW_ROW3 instances): the integer-graph output stores (mode 2, mode 4), one channel's
 * rows pixel by pixel or in pixel pairs, and the channels-inner loop of tiny visits.
 * Macros only: they expand inside DW_ROW3 (its locals and td_opt_dw_impl.h's helpers). */
#ifndef TD_OPT_DW_PX_H
#define TD_OPT_DW_PX_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_rq.h"

#if defined(__GNUC__)
#define DW_UNLIKELY(c) __builtin_expect(!!(c), 0)
#else
#define DW_UNLIKELY(c) (c)
#endif

/* An integer-graph output of channel mode 2 (int8, TD_RQ_S32 with its clamp thresholds
 * tl <= th, the zero point folded into pb; quant/opt/depthwise_conv2d.py): one unsigned
 * compare (rng = th - tl) finds the unclamped outputs, (acc * pm + pb) >> psh. */
#define TD_RQ_PUT(y, acc, tl, rng, pm, pb, psh, lo2, hi2)                                \
    do {                                                                                 \
        const int32_t a_ = (int32_t)(acc);                                               \
        int32_t v_;                                                                      \
        if (DW_UNLIKELY((uint32_t)a_ - (uint32_t)(tl) >= (rng))) v_ = a_ < (tl) ? (lo2) : (hi2); \
        else v_ = (int32_t)((uint32_t)a_ * (pm) + (pb)) >> (psh);                        \
        *(y) = (int8_t)v_;                                                               \
    } while (0)

/* An integer-graph output of mode TD_RQ_DIV (int8): clamp thresholds, then the
 * reciprocal division of td_opt_rq.h and the clamp (thresholds decide only for M >= 0). */
#define TD_DIV_PUT(y, acc, tl, th, pm, pb, pd, pr, rnd, qlo, qhi, off2)                   \
    do {                                                                                 \
        const int32_t a_ = (int32_t)(acc);                                               \
        int32_t v_ = a_ < (tl) ? (qlo) : a_ >= (th) ? (qhi)                              \
                     : td_opt_rq_div(a_, (pm), (pb), (pd), (pr), (rnd));                 \
        v_ = v_ < (qlo) ? (qlo) : v_ > (qhi) ? (qhi) : v_;                               \
        *(y) = (int8_t)(v_ + (off2));                                                    \
    } while (0)

/* The rows of one channel: 3x3 windows on the staged rows (rp: each output row's three,
 * column 0, channel 0), tap step D; PUT stores acc at y (ystep bytes from one pixel's
 * output to the next, rowb from one row's). */
#define DW_PIXELS(D, PUT) DW_PIXELS_AT(D, PUT, ystep, rowb)
#define DW_PIXELS_AT(D, PUT, ystep, rowb)                                                \
    for (const int8_t *const *t = rp; t != rp_end; t += 3) {                             \
        const int8_t *r0 = t[0] + ic, *r1 = t[1] + ic, *r2 = t[2] + ic;                  \
        int8_t *const end = y + (rowb);                                                  \
        for (; y != end; r0 += s, r1 += s, r2 += s, y += (ystep)) {                      \
            uint32_t acc = start;                                                        \
            acc += (uint32_t)(w0 * r0[0]) + (uint32_t)(w1 * r0[D])                       \
                   + (uint32_t)(w2 * r0[2 * D]);                                         \
            acc += (uint32_t)(w3 * r1[0]) + (uint32_t)(w4 * r1[D])                       \
                   + (uint32_t)(w5 * r1[2 * D]);                                         \
            acc += (uint32_t)(w6 * r2[0]) + (uint32_t)(w7 * r2[D])                       \
                   + (uint32_t)(w8 * r2[2 * D]);                                         \
            PUT;                                                                         \
        }                                                                                \
    }

/* DW_PIXELS for stride 1, dilation 1 and one output per input channel (pixel, input
 * and output steps all D): two pixels per step, sharing the middle columns' loads (12
 * loads for 18 MACs) and the pointer steps; the sums start from 0 (DW_RQ_PUT0 adds the
 * channel's start value back) and PUT(yy, acc) stores one output. RB > 0: each output row's three input rows lie RB bytes apart (one
 * pointer, offsets as immediates). */
#define DW_MAC3(acc, wa, wb, wc, r, D)                                                   \
    (acc) += (uint32_t)((wa) * (r)[0]) + (uint32_t)((wb) * (r)[D])                       \
             + (uint32_t)((wc) * (r)[2 * D])
#define DW_PAIR_ROW(a0, a1, r, wa, wb, wc, D)                                            \
    do {                                                                                 \
        const int32_t x0_ = (r)[0], x1_ = (r)[D], x2_ = (r)[2 * D], x3_ = (r)[3 * D];    \
        (a0) += (uint32_t)((wa) * x0_) + (uint32_t)((wb) * x1_) + (uint32_t)((wc) * x2_); \
        (a1) += (uint32_t)((wa) * x1_) + (uint32_t)((wb) * x2_) + (uint32_t)((wc) * x3_); \
    } while (0)
#define DW_PIXEL_PAIRS(D, RB, PUT)                                                       \
    if ((RB) > 0) {                                                                      \
        DW_PIXEL_PAIRS_AT(D, PUT, r0, r0 + (RB), r0 + 2 * (RB), r0 += 2 * D)              \
    } else {                                                                             \
        DW_PIXEL_PAIRS_AT(D, PUT, r0, r1, r2, (r0 += 2 * D, r1 += 2 * D, r2 += 2 * D))     \
    }
/* (rows a, b, c: expressions of r0, r1, r2; STEP advances them two pixels) */
#define DW_PIXEL_PAIRS_AT(D, PUT, A, B, C, STEP)                                         \
    for (const int8_t *const *t = rp; t != rp_end; t += 3) {                             \
        const int8_t *r0 = t[0] + ic, *r1 = t[1] + ic, *r2 = t[2] + ic;                  \
        (void)r1;                                                                        \
        (void)r2;                                                                        \
        if (odd) {                  /* (first: no pointers live after the pairs) */      \
            uint32_t acc = 0;                                                            \
            DW_MAC3(acc, w0, w1, w2, (A), D);                                            \
            DW_MAC3(acc, w3, w4, w5, (B), D);                                            \
            DW_MAC3(acc, w6, w7, w8, (C), D);                                            \
            PUT(y, acc);                                                                 \
            r0 += D;                                                                     \
            r1 += D;                                                                     \
            r2 += D;                                                                     \
            y += D;                                                                      \
        }                                                                                \
        int8_t *const end2 = y + rowb2;                                                  \
        for (; y != end2; STEP, y += 2 * D) {                                            \
            uint32_t acc0 = 0, acc1 = 0;                                                 \
            DW_PAIR_ROW(acc0, acc1, (A), w0, w1, w2, D);                                 \
            DW_PAIR_ROW(acc0, acc1, (B), w3, w4, w5, D);                                 \
            DW_PAIR_ROW(acc0, acc1, (C), w6, w7, w8, D);                                 \
            PUT(y, acc0);                                                                \
            PUT(y + D, acc1);                                                            \
        }                                                                                \
    }
#define DW_RQ_PUT2(yy, acc) TD_RQ_PUT(yy, acc, tl, rng, pm, pb, psh, lo2, hi2)

/* TD_RQ_PUT of a sum without the channel's start value (DW_PIXEL_PAIRS from 0: two adds
 * per pair fewer), from chan words 9..11 of a mode-2 channel (quant/opt/depthwise_conv2d.py):
 * pb0 = pb + start * pm and tl0 = tl' - start (wrapping), rng0 = th' - tl', where tl' <= th'
 * are the thresholds moved into [-bound, bound + 1] (the same decisions on every reachable
 * accumulator), so a0 - tl0 = acc - tl' fits int32: its sign says which clamp. */
#define DW_RQ_PUT0(yy, acc)                                                              \
    do {                                                                                 \
        const uint32_t d_ = (acc) - tl0;                                                 \
        int32_t v_;                                                                      \
        if (DW_UNLIKELY(d_ >= rng0)) v_ = (int32_t)d_ < 0 ? (lo2) : (hi2);               \
        else v_ = (int32_t)((acc) * pm + pb0) >> psh;                                    \
        *(yy) = (int8_t)v_;                                                              \
    } while (0)

/* Visits of fewer than 4 pixels (tiny strided layers) of an integer-graph layer: pixels
 * outer, channels inner, so no channel pays a setup for one or two pixels; channels of
 * mode 2 inline (int8), the others through dw_any. Depth multiplier 1. */
#define DW_FEW_PIXELS(D)                                                                 \
    {                                                                                    \
        int32_t pix = 0;                                                                 \
        for (const int8_t *const *t = rp; t != rp_end; t += 3) {                         \
            for (int32_t ox = 0; ox < a->out_w; ++ox, ++pix) {                           \
                const int8_t *r0 = t[0] + ox * s, *r1 = t[1] + ox * s, *r2 = t[2] + ox * s; \
                const int8_t *w = a->wts;                                                \
                const int32_t *ch = a->chan;                                             \
                int8_t *y = yrow + pix * oc;                                             \
                for (int32_t c = 0; c < oc; ++c, ++r0, ++r1, ++r2, w += 9, ch += TD_OPT_CH, \
                     ++y) {                                                              \
                    uint32_t acc = (uint32_t)ch[DW_START];                               \
                    if (ch[DW_MODE] != 2) {    /* (TD_DW_PATHS 4: some such channel) */  \
                        const int8_t *const rows3[3] = {r0, r1, r2};                     \
                        if (DW_HAS_PATH(4))                                              \
                            dw_any(a, rows3, w, ch, yrow + (pix * oc + c) * a->esize);   \
                        continue;                                                        \
                    }                                                                    \
                    DW_MAC3(acc, w[0], w[1], w[2], r0, D);                               \
                    DW_MAC3(acc, w[3], w[4], w[5], r1, D);                               \
                    DW_MAC3(acc, w[6], w[7], w[8], r2, D);                               \
                    TD_RQ_PUT(y, acc, ch[7], (uint32_t)ch[8] - (uint32_t)ch[7],          \
                              (uint32_t)ch[3], (uint32_t)ch[4], ch[6], lo2, hi2);        \
                }                                                                        \
            }                                                                            \
        }                                                                                \
        return;                                                                          \
    }

#endif /* TD_OPT_DW_PX_H */
