/* td_opt_cv_nchw_impl.h - the body of the pointwise integer convolutions that read an
 * NCHW input (td_conv2d_rq_nchw_s8_opt.h, td_conv2d_rq_nchw_u8_opt.h): one kernel per
 * input element type. Include once from a .c file after defining TD_CVD_T (the input
 * element type); the kernel calls td_cvp_run. Output pixels p..p+3 read tap k at
 * x[k * H * W + p..p+3]: one pointer per group, a plane apart per tap. */
#ifndef TD_OPT_CV_NCHW_IMPL_H
#define TD_OPT_CV_NCHW_IMPL_H

#include "td_conv2d_s16_rq_opt.h"
#include "td_opt_config.h"
#include "td_opt_cv_direct_store.h"
#include "td_opt_rq.h"

/* One tap: the four pixels' values x[0..3], then x moves ts values on. */
#define TD_CVP_TAP(w_)                                                                    \
    do {                                                                                  \
        const int32_t a0 = x[0], a1 = x[1], a2 = x[2], a3 = x[3];                         \
        TD_CVD_Q4(w_);                                                                    \
        x += ts;                                                                          \
    } while (0)

/* The sums of 4 channels x 4 pixels (x[0..3] of each of the len taps, ts values apart)
 * into acc[0..15] (channel r of pixel i in acc[4 * i + r]), each starting at its
 * channel's word 0 (ch: TD_OPT_CH words per channel): per tap 4 input loads, 4 weight
 * loads and 16 multiply-adds. */
static TD_OPT_NOINLINE void td_cvp_block(const TD_CVD_T *x, int32_t ts, int32_t len,
                                         const int8_t *w, const int32_t *ch, uint32_t *acc)
{
    TD_CVD_SUMS16(ch);
    for (const int8_t *const end = w + 4 * len; w != end; w += 4) TD_CVP_TAP(w);
    TD_CVD_PUT16(acc);
}

/* Groups of 4 output pixels in order, core c taking its share, each through the n4
 * blocks of 4 channels; a last group of fewer pixels is staged into the core's scratch
 * (4 values per tap, zeros for the missing pixels: computed, not stored), so that no read
 * passes the input's end. */
static void td_cvp_run(const td_conv2d_s16_rq_opt_args_t *args, const TD_CVD_T *input,
                       void *output, void *scratch, const td_team_t *team)
{
    const td_conv2d_s16_rq_opt_args_t *a = args;
    const int32_t hw = a->out_h * a->out_w, k = a->k;
    TD_CVD_T *const col = (TD_CVD_T *)(void *)((uint8_t *)scratch
                                             + (size_t)td_team_core(team)
                                               * (size_t)a->scratch_bytes);
    const td_opt_rqp_t q = {a->esize, a->rq_lo, a->rq_hi, a->output_offset, a->rq_fp32,
                            a->rq_rounding, a->rq_mul2, a->gmul, a->gadd, a->gdiv};
    int32_t r0, r1;
    int32_t inl = a->esize == 1;         /* int8 outputs, every channel inline: store8 */
    for (int32_t c = 0; c < a->out_c; ++c) inl = inl && a->chan[c * TD_OPT_CH + 1] == 1;
    td_team_range((hw + 3) / 4, td_team_cores(team), td_team_core(team), &r0, &r1);
    for (int32_t p = 4 * r0; p < 4 * r1 && p < hw; p += 4) {
        const int32_t npx = hw - p < 4 ? hw - p : 4;
        const TD_CVD_T *x = input + p;
        int32_t ts = hw;
        uint32_t acc[16];
        uint8_t *const y = (uint8_t *)output + (size_t)p * (size_t)(a->out_c * a->esize);
        if (npx < 4) {
            for (int32_t t = 0; t < k; ++t)
                for (int32_t j = 0; j < 4; ++j)
                    col[4 * t + j] = j < npx ? x[t * hw + j] : (TD_CVD_T)0;
            x = col;
            ts = 4;
        }
        for (int32_t oc = 0; oc < a->out_c; oc += 4) {       /* blocks of 4 channels */
            const int32_t *const ch = a->chan + oc * TD_OPT_CH;
            const int32_t valid = a->out_c - oc < 4 ? a->out_c - oc : 4;
            td_cvp_block(x, ts, k, a->wts + (size_t)oc * (size_t)k, ch, acc);
            if (TD_CVD_ON(4) && inl)
                td_cvd_store8(acc, 4, ch, valid, npx, (int8_t *)(y + oc), a->out_c,
                              q.lo + q.off, q.hi + q.off, q.off);
            else if (TD_CVD_ON(5))
                td_cvd_store(&q, acc, 4, ch, valid, npx, y + oc * a->esize,
                             a->out_c * a->esize);
        }
    }
}

#endif /* TD_OPT_CV_NCHW_IMPL_H */
