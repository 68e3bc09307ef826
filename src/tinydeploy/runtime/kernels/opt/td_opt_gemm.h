/* td_opt_gemm.h - register-blocked pixel-pair loops of the optimized convolution
 * (kernels/opt/td_conv2d_s8.c), with requantization and stores.
 *
 * A block is R output channels x 4 pixels = 2 pair words x 2 lanes per channel:
 * accumulators l<r><i> (low lane of pair i: pixel i, 256 * sum w*(x + 129)) and h<r><i>
 * (high lane: pixel i + 2, started at hi_init). Weights come pre-packed as int16 w*256,
 * [tap][R]. The loops are written out (macros) because GCC keeps 20 accumulators in
 * registers only for straight-line code (and only with the options set in
 * td_opt_common.h): 5 x 4 runs at 191 instructions per 4 taps (2.39 per MAC).
 */
#ifndef TD_OPT_GEMM_H
#define TD_OPT_GEMM_H

#include <stdint.h>

#include "td_opt_common.h"

#define TD_CV_FAST 0      /* fast requantization for all channels of the block */
#define TD_CV_SLOW 1      /* reference requantization */
#define TD_CV_WIDE 2      /* a low lane could overflow: the caller uses plain loops */

typedef struct {
    int32_t lo;           /* clamp bounds */
    int32_t hi;
    int32_t out_off;      /* output offset */
} td_cv_io_t;

#define TD_CV_MAC(r, i, v, x) (l##r##i += td_opt_mul(v, x), h##r##i += td_opt_mulh(v, x))
#define TD_CV_W(r, u, R) { const int32_t v = wp[(R) * (u) + (r)];                        \
                           TD_CV_MAC(r, 0, v, x0); TD_CV_MAC(r, 1, v, x1); }
#define TD_CV_X(u) const int32_t x0 = xp[2 * (u)], x1 = xp[2 * (u) + 1];
#define TD_CV_STEP5(u) { TD_CV_X(u) TD_CV_W(0, u, 5) TD_CV_W(1, u, 5) TD_CV_W(2, u, 5)     \
                         TD_CV_W(3, u, 5) TD_CV_W(4, u, 5) }
#define TD_CV_STEP4(u) { TD_CV_X(u) TD_CV_W(0, u, 4) TD_CV_W(1, u, 4) TD_CV_W(2, u, 4)     \
                         TD_CV_W(3, u, 4) }

#define TD_CV_INIT4                                                                      \
    uint32_t l00 = 0, l01 = 0, l10 = 0, l11 = 0, l20 = 0, l21 = 0, l30 = 0, l31 = 0;     \
    uint32_t h00 = (uint32_t)ch[0].hi_init, h01 = h00, h10 = (uint32_t)ch[1].hi_init;    \
    uint32_t h11 = h10, h20 = (uint32_t)ch[2].hi_init, h21 = h20;                        \
    uint32_t h30 = (uint32_t)ch[3].hi_init, h31 = h30;

/* Channel r's requantized results (int8_t stores may alias anything: every value is
 * read before the first store). */
#define TD_CV_EPI_FAST(r) {                                                              \
    const int32_t adj = ch[r].lo_adj;                                                    \
    const int32_t a0 = (int32_t)((uint32_t)((int32_t)l##r##0 >> 8) + (uint32_t)adj);     \
    const int32_t a1 = (int32_t)((uint32_t)((int32_t)l##r##1 >> 8) + (uint32_t)adj);     \
    const uint32_t m4 = ch[r].m4;                                                        \
    const int32_t cp = ch[r].c_pos, dn = ch[r].d_neg, sh = ch[r].sh;                     \
    const int32_t v0 = td_opt_rq(a0, m4, cp, dn, sh), v1 = td_opt_rq(a1, m4, cp, dn, sh); \
    const int32_t v2 = td_opt_rq((int32_t)h##r##0, m4, cp, dn, sh);                       \
    const int32_t v3 = td_opt_rq((int32_t)h##r##1, m4, cp, dn, sh);                       \
    td_opt_store(y0 + r, v0, lo, range);                                                 \
    td_opt_store(y1 + r, v1, lo, range);                                                 \
    td_opt_store(y2 + r, v2, lo, range);                                                 \
    td_opt_store(y3 + r, v3, lo, range); }
#define TD_CV_KEEP(r) { acc[r][0] = l##r##0; acc[r][1] = l##r##1;                         \
                        acc[r][2] = h##r##0; acc[r][3] = h##r##1; }
#define TD_CV_LOCALS                                                                     \
    const int32_t lo = io->lo;                                                           \
    const uint32_t range = (uint32_t)(io->hi - io->lo);                                  \
    int8_t *const y0 = y[0], *const y1 = y[1], *const y2 = y[2], *const y3 = y[3];

/* Fast requantization of a block's raw sums acc[r][pixel] (see td_cv_epi_slow). A loop
 * over channels: with the sums in memory GCC needs few registers (straight-line code over
 * 20 live accumulators spills more than the 40 loads/stores this costs). */
static void td_cv_epi_fast(uint32_t acc[][4], int32_t r, const td_opt_chan_t *ch,
                           int8_t *const *y, const td_cv_io_t *io)
{
    const int32_t lo = io->lo;
    const uint32_t range = (uint32_t)(io->hi - io->lo);
    int8_t *y0 = y[0], *y1 = y[1], *y2 = y[2], *y3 = y[3];
    for (int32_t j = 0; j < r; ++j, ++ch, ++y0, ++y1, ++y2, ++y3) {
        const uint32_t m4 = ch->m4;
        const int32_t cp = ch->c_pos, dn = ch->d_neg, sh = ch->sh, adj = ch->lo_adj;
        const int32_t a0 = (int32_t)((uint32_t)((int32_t)acc[j][0] >> 8) + (uint32_t)adj);
        const int32_t a1 = (int32_t)((uint32_t)((int32_t)acc[j][1] >> 8) + (uint32_t)adj);
        const int32_t v0 = td_opt_rq(a0, m4, cp, dn, sh), v1 = td_opt_rq(a1, m4, cp, dn, sh);
        const int32_t v2 = td_opt_rq((int32_t)acc[j][2], m4, cp, dn, sh);
        const int32_t v3 = td_opt_rq((int32_t)acc[j][3], m4, cp, dn, sh);
        td_opt_store(y0, v0, lo, range);
        td_opt_store(y1, v1, lo, range);
        td_opt_store(y2, v2, lo, range);
        td_opt_store(y3, v3, lo, range);
    }
}

/* Reference requantization of a block's raw sums acc[r][pixel] (pixels 0, 1: low lanes;
 * 2, 3: high lanes). */
static void td_cv_epi_slow(uint32_t acc[][4], int32_t r, const td_opt_chan_t *ch,
                           int8_t *const *y, const td_cv_io_t *io)
{
    for (int32_t j = 0; j < r; ++j) {
        for (int32_t p = 0; p < 4; ++p) {
            const int32_t a = p < 2 ? (int32_t)((uint32_t)((int32_t)acc[j][p] >> 8)
                                                + (uint32_t)ch[j].lo_adj)
                                    : (int32_t)acc[j][p];
            y[p][j] = td_opt_sat(td_opt_rq_slow(a, &ch[j], io->out_off), io->lo, io->hi);
        }
    }
}

/* 5 channels x 4 pixels over k taps; xp: [k][2] pair words, wp: [k][5] weights * 256. */
TD_OPT_NOINLINE static void td_cv_block5(const int32_t *xp, const int16_t *wp, int32_t k,
                                         const td_opt_chan_t *ch, int8_t *const *y,
                                         const td_cv_io_t *io, int32_t mode)
{
    TD_CV_INIT4
    uint32_t l40 = 0, l41 = 0, h40 = (uint32_t)ch[4].hi_init, h41 = h40;
    const int32_t *end = xp + 2 * (k & ~3);
    while (xp != end) {
        TD_CV_STEP5(0) TD_CV_STEP5(1) TD_CV_STEP5(2) TD_CV_STEP5(3)
        xp += 8;
        wp += 20;
    }
    for (int32_t t = k & 3; t > 0; --t) {
        TD_CV_STEP5(0)
        xp += 2;
        wp += 5;
    }
    {
        uint32_t acc[5][4];
        TD_CV_KEEP(0) TD_CV_KEEP(1) TD_CV_KEEP(2) TD_CV_KEEP(3) TD_CV_KEEP(4)
        if (mode == TD_CV_FAST) {
            td_cv_epi_fast(acc, 5, ch, y, io);
        } else {
            td_cv_epi_slow(acc, 5, ch, y, io);
        }
    }
}

/* 4 channels x 4 pixels (as td_cv_block5). */
TD_OPT_NOINLINE static void td_cv_block4(const int32_t *xp, const int16_t *wp, int32_t k,
                                         const td_opt_chan_t *ch, int8_t *const *y,
                                         const td_cv_io_t *io, int32_t mode)
{
    TD_CV_INIT4
    const int32_t *end = xp + 2 * (k & ~1);
    while (xp != end) {
        TD_CV_STEP4(0) TD_CV_STEP4(1)
        xp += 4;
        wp += 8;
    }
    if (k & 1) {
        TD_CV_STEP4(0)
    }
    {
        uint32_t acc[4][4];
        TD_CV_KEEP(0) TD_CV_KEEP(1) TD_CV_KEEP(2) TD_CV_KEEP(3)
        if (mode == TD_CV_FAST) {
            td_cv_epi_fast(acc, 4, ch, y, io);
        } else {
            td_cv_epi_slow(acc, 4, ch, y, io);
        }
    }
}

/* One tap of the row kernel: channel weights w[4*kx + r] against pair words xa (pair 0)
 * and xb (pair 1). */
#define TD_CV_RTAP(kx, xa, xb) {                                                         \
    int32_t v;                                                                           \
    v = wp[4 * (kx) + 0]; TD_CV_MAC(0, 0, v, xa); TD_CV_MAC(0, 1, v, xb);                \
    v = wp[4 * (kx) + 1]; TD_CV_MAC(1, 0, v, xa); TD_CV_MAC(1, 1, v, xb);                \
    v = wp[4 * (kx) + 2]; TD_CV_MAC(2, 0, v, xa); TD_CV_MAC(2, 1, v, xb);                \
    v = wp[4 * (kx) + 3]; TD_CV_MAC(3, 0, v, xa); TD_CV_MAC(3, 1, v, xb); }

/* 4 channels x 4 pixels of one output row, kernel 3 taps wide, stride and dilation 1.
 * rows[ky]: the ring row of kernel row ky at the block's first pixel ([c][wstride] pair
 * words, word j = columns j and j + 2; a row of pair(zp, zp) in the padding).
 * wp: [ky][c][kx][4]. */
TD_OPT_NOINLINE static void td_cv_row4(const int32_t *const *rows, int32_t kh, int32_t cg,
                                       int32_t wstride, const int16_t *wp,
                                       const td_opt_chan_t *ch, int8_t *const *y,
                                       const td_cv_io_t *io, int32_t mode)
{
    TD_CV_INIT4
    for (int32_t ky = 0; ky < kh; ++ky) {
        const int32_t *xp = rows[ky];
        const int32_t *end = xp + cg * wstride;
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
    {
        uint32_t acc[4][4];
        TD_CV_KEEP(0) TD_CV_KEEP(1) TD_CV_KEEP(2) TD_CV_KEEP(3)
        if (mode == TD_CV_FAST) {
            td_cv_epi_fast(acc, 4, ch, y, io);
        } else {
            td_cv_epi_slow(acc, 4, ch, y, io);
        }
    }
}

#endif /* TD_OPT_GEMM_H */
