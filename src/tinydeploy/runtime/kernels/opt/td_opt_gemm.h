/* td_opt_gemm.h - register-blocked pixel-pair loops of the optimized convolution
 * (kernels/opt/td_conv2d_s8_opt.c), with requantization and stores.
 *
 * A block is R output channels x P pixels = P / 2 pair words x 2 lanes per channel:
 * accumulators l<r><i> (low lane of pair i: pixel i, 256 * sum w*(x + 129)) and h<r><i>
 * (high lane: pixel i + P / 2, started at hi_init). Weights come pre-packed as int16
 * w*256, [tap][R] (Python: quant/opt/conv2d.py). Blocks: td_cv_block5/4 (im2col words,
 * 5 or 4 channels x 4 pixels), td_cv_tail5/4 (the same on one pixel: the 1-3 pixels a
 * pass has beyond its groups of 4 take 1 or 2 of them, or a block through a buffer),
 * td_cv_row4/row2 (row ring, 3 taps wide: 4 x 4 or 2 x 8).
 * The loops are written out (macros) because GCC keeps 16-20 accumulators in registers
 * only for straight-line code (and only with the options set in td_opt_common.h);
 * instructions per MAC in the inner loops (rv32imc, gcc -O3): block5 2.37 (379 per 8
 * taps), block4 2.42 (155 per 4 taps), row4 2.40, row2 2.31. The P pixels of a block are
 * consecutive output pixels: pixel p of group g writes its R channels at
 * y + g * gstep + p * ps.
 *
 * Epilogues per block mode (the modes, the requantization and the stores):
 * td_opt_cv_epi.h.
 */
#ifndef TD_OPT_GEMM_H
#define TD_OPT_GEMM_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"
#include "td_opt_cv_epi.h"
#include "td_opt_rq.h"

/* The packed weights' element type and their value times 256 (the including kernel may
 * set them: int16 w * 256 by default, int8 w for the integer-graph kernels). */
#ifndef TD_CV_WT
#define TD_CV_WT int16_t
#define TD_CV_WV(x) ((int32_t)(x))
#endif

/* Row-path work of one block: `groups` groups of 4 or 8 pixels along an output row. */
typedef struct {
    const int32_t *rows[16];   /* per kernel row: ring row at the first group's pixel 0 */
    int32_t kh, cg, wstride;   /* kernel rows, channels, ring words per channel row */
    int32_t groups;            /* groups of pixels; group g starts g * gstep words later */
    int32_t gstep;
    int8_t *y;                 /* output of pixel 0 of the first group (channel 0) */
    int32_t ps;                /* bytes from one pixel's outputs to the next */
    int32_t ystep;             /* bytes from one group's outputs to the next */
} td_cv_rowjob_t;

#define TD_CV_MAC(r, i, v, x) (l##r##i += td_opt_mul(v, x), h##r##i += td_opt_mulh(v, x))
#define TD_CV_W(r, u, R) { const int32_t v = TD_CV_WV(wp[(R) * (u) + (r)]);              \
                           TD_CV_MAC(r, 0, v, x0); TD_CV_MAC(r, 1, v, x1); }
#define TD_CV_X(u) const int32_t x0 = xp[2 * (u)], x1 = xp[2 * (u) + 1];
#define TD_CV_STEP5(u) { TD_CV_X(u) TD_CV_W(0, u, 5) TD_CV_W(1, u, 5) TD_CV_W(2, u, 5)     \
                         TD_CV_W(3, u, 5) TD_CV_W(4, u, 5) }
#define TD_CV_STEP4(u) { TD_CV_X(u) TD_CV_W(0, u, 4) TD_CV_W(1, u, 4) TD_CV_W(2, u, 4)     \
                         TD_CV_W(3, u, 4) }

#define TD_CV_INIT4                                                                      \
    uint32_t l00 = 0, l01 = 0, l10 = 0, l11 = 0, l20 = 0, l21 = 0, l30 = 0, l31 = 0;     \
    uint32_t h00 = (uint32_t)TD_CHV(0, HI), h01 = h00, h10 = (uint32_t)TD_CHV(1, HI);    \
    uint32_t h11 = h10, h20 = (uint32_t)TD_CHV(2, HI), h21 = h20;                        \
    uint32_t h30 = (uint32_t)TD_CHV(3, HI), h31 = h30;

/* 5 channels x 4 pixels over k taps, for `groups` groups: xp: [groups][k][2] pair words,
 * wp: [k][5] weights * 256; pixel p of group g goes to y + g * gstep + p * ps. */
TD_OPT_NOINLINE static void td_cv_block5(const int32_t *xp, const TD_CV_WT *w0, int32_t k,
                                         const int32_t *ch, int8_t *y, int32_t ps,
                                         int32_t gstep, int32_t groups, const td_cv_io_t *io,
                                         int32_t mode)
{
    for (int32_t g = 0; g < groups; ++g) {
        const TD_CV_WT *wp = w0;
        const int32_t *end = xp + 2 * (k & ~7);
        int8_t *const yg = y + g * gstep;
        TD_CV_INIT4
        uint32_t l40 = 0, l41 = 0, h40 = (uint32_t)TD_CHV(4, HI), h41 = h40;
        while (xp != end) {
            TD_CV_STEP5(0) TD_CV_STEP5(1) TD_CV_STEP5(2) TD_CV_STEP5(3)
            TD_CV_STEP5(4) TD_CV_STEP5(5) TD_CV_STEP5(6) TD_CV_STEP5(7)
            xp += 16;
            wp += 40;
        }
        for (int32_t t = k & 7; t > 0; --t) {
            TD_CV_STEP5(0)
            xp += 2;
            wp += 5;
        }
        TD_CV_EPI4(TD_CV_FAST_ON, TD_CV_FASTZ_ON, TD_CV_FASTP_ON, TD_CV_RQ32_ON, 5)
    }
}

/* 4 channels x 4 pixels (as td_cv_block5). */
TD_OPT_NOINLINE static void td_cv_block4(const int32_t *xp, const TD_CV_WT *w0, int32_t k,
                                         const int32_t *ch, int8_t *y, int32_t ps,
                                         int32_t gstep, int32_t groups, const td_cv_io_t *io,
                                         int32_t mode)
{
    for (int32_t g = 0; g < groups; ++g) {
        const TD_CV_WT *wp = w0;
        const int32_t *end = xp + 2 * (k & ~3);
        int8_t *const yg = y + g * gstep;
        TD_CV_INIT4
        while (xp != end) {
            TD_CV_STEP4(0) TD_CV_STEP4(1) TD_CV_STEP4(2) TD_CV_STEP4(3)
            xp += 8;
            wp += 16;
        }
        for (int32_t t = k & 3; t > 0; --t) {
            TD_CV_STEP4(0)
            xp += 2;
            wp += 4;
        }
        TD_CV_EPI4(TD_CV_FAST_ON, TD_CV_FASTZ_ON, TD_CV_FASTP_ON, TD_CV_RQ32_ON, 4)
    }
}

/* R channels x one pixel (the low lane of the staged pair words) over k taps: the tail
 * of a pass (1 or 2 pixels; a 4-pixel block would compute 4). xp: [k][2] staged words
 * (word 0 of each tap read), wp: [k][R]; the outputs at y. */
#define TD_CV_T1(r, u) l##r += td_opt_mul(TD_CV_WV(wp[TD_CV_TR * (u) + (r)]), x0);
#define TD_CV_TSTEP(u) { const int32_t x0 = xp[2 * (u)];                                \
    TD_CV_T1(0, u) TD_CV_T1(1, u) TD_CV_T1(2, u) TD_CV_T1(3, u) TD_CV_T1X(u) }
#define TD_CV_TPUT(r) { TD_CV_CONSTS(r) (void)tlh; (void)thh;                            \
    TD_CV_PUT(y + (r), l##r, tll, thl, (int32_t)((uint32_t)((int32_t)l##r >> 8)          \
                                                 + (uint32_t)adj)) }
#define TD_CV_TQ(r) { TD_CV_QCONSTS(r) (void)qtlh; (void)qthh; (void)qbh;                \
    TD_CV_QPUT(y, r, (int32_t)l##r >> 8, qtll, qthl, qbl) }
#define TD_CV_TQ6(r) { TD_CV_Q64CONSTS(r) TD_CV_Q64PUT(y, r, TD_CV_Q64LOW(r, )) }
#define TD_CV_TACC(r) l##r, (uint32_t)((int32_t)l##r >> 8) + (uint32_t)TD_CHV(r, LO)
#define TD_CV_TAIL_FN(name)                                                              \
TD_OPT_NOINLINE static void name(const int32_t *xp, const TD_CV_WT *wp, int32_t k,        \
                                 const int32_t *ch, int8_t *y, const td_cv_io_t *io,      \
                                 int32_t mode)                                            \
{                                                                                        \
    const int32_t *const end = xp + 2 * (k & ~3);                                        \
    uint32_t l0 = 0, l1 = 0, l2 = 0, l3 = 0, l4 = 0;                                     \
    while (xp != end) {                                                                  \
        TD_CV_TSTEP(0) TD_CV_TSTEP(1) TD_CV_TSTEP(2) TD_CV_TSTEP(3)                      \
        xp += 8;                                                                         \
        wp += 4 * TD_CV_TR;                                                              \
    }                                                                                    \
    for (int32_t t = k & 3; t > 0; --t) {                                                \
        TD_CV_TSTEP(0)                                                                   \
        xp += 2;                                                                         \
        wp += TD_CV_TR;                                                                  \
    }                                                                                    \
    if ((TD_CV_FAST_ON || TD_CV_FASTZ_ON || TD_CV_FASTP_ON)                              \
        && (mode == TD_CV_FAST || mode == TD_CV_FASTZ || mode == TD_CV_FASTP)) {         \
        const int32_t lo = io->lo, hi = io->hi, sg = 1;   /* the sign test is exact */   \
        const int32_t zo = mode == TD_CV_FASTZ ? io->out_off : 0;                        \
        TD_CV_TPUT(0) TD_CV_TPUT(1) TD_CV_TPUT(2) TD_CV_TPUT(3) TD_CV_TPUTX              \
    } else if ((TD_CV_RQ32_ON & 1) && mode == TD_CV_RQ32) {                              \
        TD_CV_EPIQ(int8_t, TD_CV_TQ(0) TD_CV_TQ(1) TD_CV_TQ(2) TD_CV_TQ(3) TD_CV_TQX)    \
    } else if ((TD_CV_RQ32_ON & 2) && mode == TD_CV_RQ32H) {                             \
        TD_CV_EPIQ(int16_t, TD_CV_TQ(0) TD_CV_TQ(1) TD_CV_TQ(2) TD_CV_TQ(3) TD_CV_TQX)   \
    } else if ((TD_CV_RQ32_ON & 4) && mode == TD_CV_RQ64) {                              \
        TD_CV_EPIQ(int8_t, TD_CV_TQ6(0) TD_CV_TQ6(1) TD_CV_TQ6(2) TD_CV_TQ6(3)           \
                   TD_CV_TQ6X)                                                           \
    } else if (TD_CV_SLOW_ON) { /* each output written twice: the low lane, then the sum */ \
        const uint32_t acc[10] = {TD_CV_TACC(0), TD_CV_TACC(1), TD_CV_TACC(2),           \
                                  TD_CV_TACC(3), TD_CV_TACCX};                           \
        td_cv_epi_slow(acc, TD_CV_TR, 2, ch, y, 0, io);                                  \
    }                                                                                    \
    (void)l4;                                                                            \
}
#define TD_CV_TR 5
#define TD_CV_T1X(u) TD_CV_T1(4, u)
#define TD_CV_TPUTX TD_CV_TPUT(4)
#define TD_CV_TQX TD_CV_TQ(4)
#define TD_CV_TQ6X TD_CV_TQ6(4)
#define TD_CV_TACCX TD_CV_TACC(4)
TD_CV_TAIL_FN(td_cv_tail5)
#undef TD_CV_TR
#undef TD_CV_T1X
#undef TD_CV_TPUTX
#undef TD_CV_TQX
#undef TD_CV_TQ6X
#undef TD_CV_TACCX
#define TD_CV_TR 4
#define TD_CV_T1X(u)
#define TD_CV_TPUTX
#define TD_CV_TQX
#define TD_CV_TQ6X
#define TD_CV_TACCX 0u, 0u
TD_CV_TAIL_FN(td_cv_tail4)
#undef TD_CV_TR
#undef TD_CV_T1X
#undef TD_CV_TPUTX
#undef TD_CV_TQX
#undef TD_CV_TQ6X
#undef TD_CV_TACCX

/* One tap of the row kernel: channel weights w[4*kx + r] against pair words xa (pair 0)
 * and xb (pair 1). */
#define TD_CV_RTAP(kx, xa, xb) {                                                         \
    int32_t v;                                                                           \
    v = TD_CV_WV(wp[4 * (kx) + 0]); TD_CV_MAC(0, 0, v, xa); TD_CV_MAC(0, 1, v, xb);                \
    v = TD_CV_WV(wp[4 * (kx) + 1]); TD_CV_MAC(1, 0, v, xa); TD_CV_MAC(1, 1, v, xb);                \
    v = TD_CV_WV(wp[4 * (kx) + 2]); TD_CV_MAC(2, 0, v, xa); TD_CV_MAC(2, 1, v, xb);                \
    v = TD_CV_WV(wp[4 * (kx) + 3]); TD_CV_MAC(3, 0, v, xa); TD_CV_MAC(3, 1, v, xb); }

/* 4 channels x 4 pixels of one output row, kernel 3 taps wide, stride and dilation 1.
 * rows[ky]: the ring row of kernel row ky at the block's first pixel ([c][wstride] pair
 * words, word j = columns j and j + 2; a row of pair(zp, zp) in the padding).
 * wp: [ky][c][kx][4]. */
TD_OPT_NOINLINE static void td_cv_row4(const td_cv_rowjob_t *job, const TD_CV_WT *w0,
                                       const int32_t *ch, const td_cv_io_t *io,
                                       int32_t mode)
{
    const int32_t ps = job->ps;
    for (int32_t g = 0; g < job->groups; ++g) {
        const TD_CV_WT *wp = w0;
        int8_t *const yg = job->y + g * job->ystep;
        TD_CV_INIT4
        for (int32_t ky = 0; ky < job->kh; ++ky) {
            const int32_t *xp = job->rows[ky] + g * job->gstep;
            const int32_t *end = xp + job->cg * job->wstride;
            const int32_t wstride = job->wstride;
            while (xp != end) {
                const int32_t x0 = xp[0], x1 = xp[1];
                TD_CV_RTAP(0, x0, x1)
                {
                    const int32_t x2 = xp[2];
                    TD_CV_RTAP(1, x1, x2)
                    {
                        const int32_t x3 = xp[3];
                        TD_CV_RTAP(2, x2, x3)
                    }
                }
                xp += wstride;
                wp += 12;
            }
        }
        TD_CV_EPI4(TD_CV_ROWF_ON, 0, 0, TD_CV_ROWQ_ON, 4)
    }
}

/* Row kernel with 2 channels x 8 pixels: pair i = pixels i and i + 4 (ring word j =
 * columns j and j + 4); 6 pair words and 6 weights per kernel row and channel feed 96
 * MACs (2.31 instructions per MAC). wp: [ky][c][kx][2]. */
#define TD_CV_R2MAC(r, v, a0, a1, a2, a3)                                                \
    TD_CV_MAC(r, 0, v, a0); TD_CV_MAC(r, 1, v, a1); TD_CV_MAC(r, 2, v, a2);              \
    TD_CV_MAC(r, 3, v, a3);
#define TD_CV_R2TAP(kx, a0, a1, a2, a3) {                                                \
    int32_t v = TD_CV_WV(wp[2 * (kx)]);                                                            \
    TD_CV_R2MAC(0, v, a0, a1, a2, a3)                                                    \
    v = TD_CV_WV(wp[2 * (kx) + 1]);                                                                \
    TD_CV_R2MAC(1, v, a0, a1, a2, a3) }
#define TD_CV_EPI8(r) {                                                                  \
    TD_CV_CONSTS(r)                                                                      \
    TD_CV_PUT(yg + (r), l##r##0, tll, thl, TD_CV_LOW(r, 0))                              \
    TD_CV_PUT(yg + ps + (r), l##r##1, tll, thl, TD_CV_LOW(r, 1))                         \
    TD_CV_PUT(yg + 2 * ps + (r), l##r##2, tll, thl, TD_CV_LOW(r, 2))                     \
    TD_CV_PUT(yg + 3 * ps + (r), l##r##3, tll, thl, TD_CV_LOW(r, 3))                     \
    TD_CV_PUT(yg + 4 * ps + (r), h##r##0, tlh, thh, (int32_t)h##r##0)                    \
    TD_CV_PUT(yg + 5 * ps + (r), h##r##1, tlh, thh, (int32_t)h##r##1)                    \
    TD_CV_PUT(yg + 6 * ps + (r), h##r##2, tlh, thh, (int32_t)h##r##2)                    \
    TD_CV_PUT(yg + 7 * ps + (r), h##r##3, tlh, thh, (int32_t)h##r##3) }
#define TD_CV_EPIQ8(r) {                                                                 \
    TD_CV_QCONSTS(r)                                                                     \
    TD_CV_QPUT(yg, r, TD_CV_QLOW(r, 0), qtll, qthl, qbl)                                 \
    TD_CV_QPUT(yg + ps, r, TD_CV_QLOW(r, 1), qtll, qthl, qbl)                            \
    TD_CV_QPUT(yg + 2 * ps, r, TD_CV_QLOW(r, 2), qtll, qthl, qbl)                        \
    TD_CV_QPUT(yg + 3 * ps, r, TD_CV_QLOW(r, 3), qtll, qthl, qbl)                        \
    TD_CV_QPUT(yg + 4 * ps, r, (int32_t)h##r##0, qtlh, qthh, qbh)                        \
    TD_CV_QPUT(yg + 5 * ps, r, (int32_t)h##r##1, qtlh, qthh, qbh)                        \
    TD_CV_QPUT(yg + 6 * ps, r, (int32_t)h##r##2, qtlh, qthh, qbh)                        \
    TD_CV_QPUT(yg + 7 * ps, r, (int32_t)h##r##3, qtlh, qthh, qbh) }
#define TD_CV_EPIQ8X(r) {                                                                \
    TD_CV_Q64CONSTS(r)                                                                   \
    TD_CV_Q64PUT(yg, r, TD_CV_Q64LOW(r, 0)) TD_CV_Q64PUT(yg + ps, r, TD_CV_Q64LOW(r, 1))  \
    TD_CV_Q64PUT(yg + 2 * ps, r, TD_CV_Q64LOW(r, 2))                                     \
    TD_CV_Q64PUT(yg + 3 * ps, r, TD_CV_Q64LOW(r, 3))                                     \
    TD_CV_Q64PUT(yg + 4 * ps, r, (int32_t)h##r##0)                                       \
    TD_CV_Q64PUT(yg + 5 * ps, r, (int32_t)h##r##1)                                       \
    TD_CV_Q64PUT(yg + 6 * ps, r, (int32_t)h##r##2)                                       \
    TD_CV_Q64PUT(yg + 7 * ps, r, (int32_t)h##r##3) }
#define TD_CV_KEEP8(r) { acc[8 * (r)] = l##r##0; acc[8 * (r) + 1] = l##r##1;                 \
    acc[8 * (r) + 2] = l##r##2; acc[8 * (r) + 3] = l##r##3; acc[8 * (r) + 4] = h##r##0;     \
    acc[8 * (r) + 5] = h##r##1; acc[8 * (r) + 6] = h##r##2; acc[8 * (r) + 7] = h##r##3; }

TD_OPT_NOINLINE static void td_cv_row2(const td_cv_rowjob_t *job, const TD_CV_WT *w0,
                                       const int32_t *ch, const td_cv_io_t *io,
                                       int32_t mode)
{
    const int32_t ps = job->ps;
    for (int32_t g = 0; g < job->groups; ++g) {
        const TD_CV_WT *wp = w0;
        int8_t *const yg = job->y + g * job->ystep;
        uint32_t l00 = 0, l01 = 0, l02 = 0, l03 = 0, l10 = 0, l11 = 0, l12 = 0, l13 = 0;
        uint32_t h00 = (uint32_t)TD_CHV(0, HI), h01 = h00, h02 = h00, h03 = h00;
        uint32_t h10 = (uint32_t)TD_CHV(1, HI), h11 = h10, h12 = h10, h13 = h10;
        for (int32_t ky = 0; ky < job->kh; ++ky) {
            const int32_t *xp = job->rows[ky] + g * job->gstep;
            const int32_t *end = xp + job->cg * job->wstride;
            const int32_t wstride = job->wstride;
            while (xp != end) {
                const int32_t x0 = xp[0], x1 = xp[1], x2 = xp[2], x3 = xp[3];
                TD_CV_R2TAP(0, x0, x1, x2, x3)
                {
                    const int32_t x4 = xp[4];
                    TD_CV_R2TAP(1, x1, x2, x3, x4)
                    {
                        const int32_t x5 = xp[5];
                        TD_CV_R2TAP(2, x2, x3, x4, x5)
                    }
                }
                xp += wstride;
                wp += 6;
            }
        }
        if (TD_CV_ROWF_ON && mode == TD_CV_FAST) {
            const int32_t lo = io->lo, hi = io->hi, zo = 0, sg = 1;
            TD_CV_EPI8(0) TD_CV_EPI8(1)
        } else if ((TD_CV_ROWQ_ON & 1) && mode == TD_CV_RQ32) {
            TD_CV_EPIQ(int8_t, TD_CV_EPIQ8(0) TD_CV_EPIQ8(1))
        } else if ((TD_CV_ROWQ_ON & 2) && mode == TD_CV_RQ32H) {
            TD_CV_EPIQ(int16_t, TD_CV_EPIQ8(0) TD_CV_EPIQ8(1))
        } else if ((TD_CV_ROWQ_ON & 4) && mode == TD_CV_RQ64) {
            TD_CV_EPIQ(int8_t, TD_CV_EPIQ8X(0) TD_CV_EPIQ8X(1))
        } else if (TD_CV_SLOW_ON) {
            uint32_t acc[16];
            TD_CV_KEEP8(0) TD_CV_KEEP8(1)
            td_cv_epi_slow(acc, 2, 8, ch, yg, ps, io);
        }
    }
}

#endif /* TD_OPT_GEMM_H */
