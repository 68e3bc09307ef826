/* td_opt_conv_stage.h - input staging of the optimized convolution
 * (kernels/opt/td_conv2d_s8_opt.c): raw int8 inputs to pixel-pair words (td_opt_common.h).
 *
 * - im2col: [K][2] words for 4 flattened output pixels (pair i = pixels i and i + 2);
 * - row ring: one input row as [c][column] words, word j = columns j and j + rp / 2, so
 *   the row kernels of td_opt_gemm.h read the 3 taps of rp pixels from consecutive words.
 * Padding taps read the input zero point (x + input_offset = 0, as the reference skips
 * them; the offset itself is folded into per-channel constants).
 */
#ifndef TD_OPT_CONV_STAGE_H
#define TD_OPT_CONV_STAGE_H

#include "../../td_names.h"

#include <stddef.h>
#include <stdint.h>

#include "td_conv2d_s8_opt.h"
#include "td_opt_common.h"

/* The args' plan in the loops' terms (td_conv2d_s8_opt.c: cv_plan). */
typedef struct {
    int32_t row;          /* 1: row path, 0: im2col path */
    int32_t cg, og, k;    /* channels per group (in, out), taps * cg */
    int32_t wp;           /* row path: words per channel row in the ring */
    int32_t span;         /* row path: ring slots */
    int32_t rp;           /* row path: pixels (4 or 8) per block */
    int32_t es;           /* output element bytes */
    int32_t direct;       /* 1x1, stride 1, no padding: pixel n's window is input pixel n */
} cv_plan_t;

/* ---- im2col into pixel-pair words ------------------------------------------------ */

/* d[2 * c] = pair(pa[c], pb[c]) for c < n. */
static void cv_pairs(int32_t *d, const int8_t *pa, const int8_t *pb, int32_t n)
{
    const int32_t *end = d + 2 * (n & ~3);
    while (d != end) {
        d[0] = td_opt_pair(pa[0], pb[0]);
        d[2] = td_opt_pair(pa[1], pb[1]);
        d[4] = td_opt_pair(pa[2], pb[2]);
        d[6] = td_opt_pair(pa[3], pb[3]);
        d += 8;
        pa += 4;
        pb += 4;
    }
    for (int32_t i = 0; i < (n & 3); ++i) d[2 * i] = td_opt_pair(pa[i], pb[i]);
}

/* The padded pair word of one tap: row r (NULL: padding) at column x (checked). */
static inline int32_t cv_tap1(const td_conv2d_s8_opt_args_t *a, const int8_t *ra, int32_t xa,
                              const int8_t *rb, int32_t xb_)
{
    const int32_t zp = -a->input_offset;
    return td_opt_pair(ra != NULL && xa >= 0 && xa < a->in_w ? ra[xa * a->in_c] : zp,
                       rb != NULL && xb_ >= 0 && xb_ < a->in_w ? rb[xb_ * a->in_c] : zp);
}

/* cv_im2col_pair for one channel per group (first layers): rows checked once per ky,
 * and the columns [k0, k1) inside the input for both windows found once per pair (only
 * the taps outside it are checked one by one). */
static void cv_im2col_pair1(const td_conv2d_s8_opt_args_t *a, const int8_t *xb, int32_t iya,
                            int32_t ixa, int32_t iyb, int32_t ixb, int32_t *d)
{
    const int32_t ic = a->in_c, dw = a->dilation_w, step = dw * ic, kw = a->k_w;
    const int32_t lo = ixa < ixb ? ixa : ixb, hi = ixa > ixb ? ixa : ixb;
    int32_t k0 = lo >= 0 ? 0 : (-lo + dw - 1) / dw;      /* first tap inside for both */
    int32_t k1 = hi < a->in_w ? (a->in_w - 1 - hi) / dw + 1 : 0;
    k1 = k1 < kw ? k1 : kw;
    k0 = k0 < k1 ? k0 : k1;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t ya = iya + ky * a->dilation_h, yb = iyb + ky * a->dilation_h;
        const int8_t *ra = ya >= 0 && ya < a->in_h ? xb + ya * a->in_w * ic : NULL;
        const int8_t *rb = yb >= 0 && yb < a->in_h ? xb + yb * a->in_w * ic : NULL;
        int32_t kx = 0;
        if (ra != NULL && rb != NULL) {
            for (; kx < k0; ++kx) *d = cv_tap1(a, ra, ixa + kx * dw, rb, ixb + kx * dw), d += 2;
            const int8_t *pa = ra + (ixa + k0 * dw) * ic, *pb = rb + (ixb + k0 * dw) * ic;
            for (; kx < k1; ++kx, d += 2, pa += step, pb += step) *d = td_opt_pair(*pa, *pb);
        }
        for (; kx < kw; ++kx, d += 2) *d = cv_tap1(a, ra, ixa + kx * dw, rb, ixb + kx * dw);
    }
}

/* col[(tap * cg + c) * 2 + i] for one pair i: pixels na (low lane), nb (high lane). */
static void cv_im2col_pair(const td_conv2d_s8_opt_args_t *a, const int8_t *xb, int32_t c0,
                           int32_t cg, int32_t na, int32_t nb, int32_t *d)
{
    const int32_t zp = -a->input_offset, ic = a->in_c;
    const int32_t iya = (na / a->out_w) * a->stride_h - a->pad_top;
    const int32_t ixa = (na % a->out_w) * a->stride_w - a->pad_left;
    const int32_t iyb = (nb / a->out_w) * a->stride_h - a->pad_top;
    const int32_t ixb = (nb % a->out_w) * a->stride_w - a->pad_left;
    const int32_t eh = (a->k_h - 1) * a->dilation_h, ew = (a->k_w - 1) * a->dilation_w;
    const int32_t inside = iya >= 0 && iyb >= 0 && ixa >= 0 && ixb >= 0 && iya + eh < a->in_h
                           && iyb + eh < a->in_h && ixa + ew < a->in_w && ixb + ew < a->in_w;
    if (cg == 1 && !(inside && a->dilation_w == 1 && ic == 1)) {
        cv_im2col_pair1(a, xb + c0, iya, ixa, iyb, ixb, d);
        return;
    }
    if (inside) {
        /* both windows inside the input: no checks */
        const int8_t *pa0 = xb + (iya * a->in_w + ixa) * ic + c0;
        const int8_t *pb0 = xb + (iyb * a->in_w + ixb) * ic + c0;
        if (a->dilation_w == 1 && cg == ic) {   /* a kernel row is one run of bytes */
            const int32_t run = a->k_w * ic, rstep = a->dilation_h * a->in_w * ic;
            for (int32_t ky = 0; ky < a->k_h; ++ky, d += 2 * run) {
                cv_pairs(d, pa0 + ky * rstep, pb0 + ky * rstep, run);
            }
            return;
        }
        for (int32_t ky = 0; ky < a->k_h; ++ky) {
            const int32_t ro = ky * a->dilation_h * a->in_w * ic;
            for (int32_t kx = 0; kx < a->k_w; ++kx) {
                const int32_t o = ro + kx * a->dilation_w * ic;
                cv_pairs(d, pa0 + o, pb0 + o, cg);
                d += 2 * cg;
            }
        }
        return;
    }
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t ya = iya + ky * a->dilation_h, yb = iyb + ky * a->dilation_h;
        const int8_t *ra = ya >= 0 && ya < a->in_h ? xb + ya * a->in_w * ic + c0 : NULL;
        const int8_t *rb = yb >= 0 && yb < a->in_h ? xb + yb * a->in_w * ic + c0 : NULL;
        int32_t xa = ixa, xb_ = ixb;
        for (int32_t kx = 0; kx < a->k_w; ++kx, xa += a->dilation_w, xb_ += a->dilation_w) {
            const int8_t *pa = ra != NULL && xa >= 0 && xa < a->in_w ? ra + xa * ic : NULL;
            const int8_t *pb = rb != NULL && xb_ >= 0 && xb_ < a->in_w ? rb + xb_ * ic : NULL;
            const int32_t *end = d + 2 * cg;
            if (pa != NULL && pb != NULL) {
                cv_pairs(d, pa, pb, cg);
                d += 2 * cg;
            } else if (pa != NULL) {
                for (; d != end; d += 2) *d = td_opt_pair(*pa++, zp);
            } else if (pb != NULL) {
                for (; d != end; d += 2) *d = td_opt_pair(zp, *pb++);
            } else {
                for (; d != end; d += 2) *d = td_opt_pair(zp, zp);
            }
        }
    }
}

/* ---- row ring (row path) --------------------------------------------------------- */

/* Ring slot of input row iy converted to pair words: slot[c * wp + j] = pair(x(iy, j - pl),
 * x(iy, j - pl + rp / 2)), channels c0 .. c0 + cg - 1. */
static void cv_fill_row(const td_conv2d_s8_opt_args_t *a, const cv_plan_t *pl, const int8_t *xb,
                        int32_t c0, int32_t iy, int32_t *slot)
{
    const int32_t zp = -a->input_offset, ic = a->in_c, cg = pl->cg, wp = pl->wp;
    const int8_t *row = xb + iy * a->in_w * ic + c0;
    for (int32_t j = 0; j < wp; ++j) {
        const int32_t xa = j - a->pad_left, xb_ = xa + pl->rp / 2;
        int32_t *d = slot + j;
        const int32_t *end = d + cg * wp;
        if (xa >= 0 && xb_ < a->in_w) {
            const int8_t *pa = row + xa * ic, *pb = row + xb_ * ic;
            for (; d != end; d += wp) *d = td_opt_pair(*pa++, *pb++);
        } else {
            const int8_t *pa = xa >= 0 && xa < a->in_w ? row + xa * ic : NULL;
            const int8_t *pb = xb_ >= 0 && xb_ < a->in_w ? row + xb_ * ic : NULL;
            for (int32_t c = 0; d != end; d += wp, ++c) {
                *d = td_opt_pair(pa != NULL ? pa[c] : zp, pb != NULL ? pb[c] : zp);
            }
        }
    }
}

#endif /* TD_OPT_CONV_STAGE_H */
