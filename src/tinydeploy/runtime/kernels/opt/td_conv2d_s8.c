/* td_conv2d_s8.c - int8 convolution optimized for RV32IMC (same results as the reference
 * kernels/td_conv2d_s8.c for every input; see td_opt_common.h for the two tricks).
 *
 * Per group and per chunk of output channels (as many as TD_OPT_CONV_PACK_BYTES holds):
 *   1. pack: weights * 256 as int16 [K][R] per block of R = 5 or 4 channels, plus the
 *      per-channel constants (bias and offset folding, requantization).
 *   2. per 4 output pixels, pair words: pair i holds pixels i (low lane) and i + 2 (high
 *      lane); padding taps read the input zero point. Two ways to get them:
 *      - "row" path (3 taps wide, stride 1, dilation 1, >= 4 channels per group): a ring
 *        of input rows converted once to pair words [c][column]; 4 words per kernel row
 *        and channel serve the 3 taps of 4 pixels (td_opt_gemm.h: td_cv_row4);
 *      - "im2col" path (any other shape): [K][2] words per 4 flattened pixels
 *        (td_cv_block5 / td_cv_block4, ~2.4 instructions per MAC).
 *   3. requantization and stores in the same block function.
 * Layers whose buffers do not fit, or whose weights could overflow a low lane (sum |w| of
 * a channel >= 32768), take plain loops (same results, slower).
 */
#include "td_conv2d_s8.h"

#include "td_common.h"
#include "td_opt_common.h"
#include "td_opt_gemm.h"

#ifndef TD_OPT_CONV_PACK_BYTES
#define TD_OPT_CONV_PACK_BYTES 16384   /* packed weights + constants of a channel chunk */
#endif
#ifndef TD_OPT_CONV_COL_WORDS
#define TD_OPT_CONV_COL_WORDS 2048     /* im2col of 4 pixels (2 K words) or the row ring */
#endif

#define CV_HDR 4          /* packed block header words: r, valid, mode, first channel */

static int32_t g_pack[TD_OPT_CONV_PACK_BYTES / 4];
static int32_t g_col[TD_OPT_CONV_COL_WORDS];

/* How the layer is computed. */
typedef struct {
    int32_t row;          /* 1: row path, 0: im2col path */
    int32_t cg, og, k;    /* channels per group (in, out), taps * cg */
    int32_t wp;           /* row path: words per channel row in the ring */
    int32_t span;         /* row path: ring slots */
    int32_t rp, rr;       /* row path: pixels (4 or 8) and channels (4 or 2) per block */
} cv_plan_t;

/* ---- packing --------------------------------------------------------------------- */

/* Words one packed block of r channels takes. */
static int32_t cv_block_words(int32_t k, int32_t r)
{
    return CV_HDR + r * (int32_t)(sizeof(td_opt_chan_t) / 4) + (k * r + 1) / 2;
}

/* dst[t * r] = 256 * w[tap t] over the packed tap order: the filter's own (ky, kx, c) for
 * im2col, (ky, c, kx) with 3 taps per row for the row path. Returns sum(w); *neg gets
 * the number of negative weights. */
static int32_t cv_pack_taps(int16_t *dst, int32_t r, const int8_t *w, const cv_plan_t *pl,
                            int32_t kh, int32_t *neg)
{
    int32_t sum = 0, n = 0;
    if (!pl->row) {
        for (const int8_t *end = w + pl->k; w != end; ++w, dst += r) {
            const int32_t v = *w;
            *dst = (int16_t)(v * 256);
            sum += v;
            n += (int32_t)((uint32_t)v >> 31);
        }
    } else {
        for (int32_t ky = 0; ky < kh; ++ky, w += 3 * pl->cg) {
            for (int32_t c = 0; c < pl->cg; ++c) {
                for (int32_t kx = 0; kx < 3; ++kx, dst += r) {
                    const int32_t v = w[kx * pl->cg + c];
                    *dst = (int16_t)(v * 256);
                    sum += v;
                    n += (int32_t)((uint32_t)v >> 31);
                }
            }
        }
    }
    *neg = n;
    return sum;
}

/* Pack channels [oc, oc + valid) (the last one repeated up to r) at dst. */
static void cv_pack_block(int32_t *dst, const td_conv2d_s8_args_t *a, const cv_plan_t *pl,
                          const int8_t *weight, const int32_t *bias, int32_t oc, int32_t r,
                          int32_t valid)
{
    td_opt_chan_t *ch = (td_opt_chan_t *)(void *)(dst + CV_HDR);
    int16_t *wp = (int16_t *)(void *)(ch + r);
    const int32_t k = pl->k;
    const int64_t xmax = td_opt_xmax(a->input_offset);
    int32_t mode = TD_CV_FAST;
    for (int32_t j = 0; j < r; ++j) {
        const int32_t c = oc + (j < valid ? j : valid - 1);
        const int8_t *w = weight + c * k;
        const int32_t b = bias != NULL ? bias[c] : 0;
        int32_t neg, sum_abs = 128 * k;      /* exact sum |w| only when the bound needs it */
        const int32_t sum = cv_pack_taps(wp + j, r, w, pl, a->k_h, &neg);
        if (sum_abs >= 32768 || td_opt_abs64(b) + sum_abs * xmax >= (1 << 29)) {
            sum_abs = 0;
            for (int32_t t = 0; t < k; ++t) sum_abs += w[t] < 0 ? -w[t] : w[t];
        }
        ch[j].hi_init = (int32_t)((uint32_t)b + (uint32_t)a->input_offset * (uint32_t)sum
                                  + (uint32_t)neg);
        ch[j].lo_adj = (int32_t)((uint32_t)b + (uint32_t)(a->input_offset - 129) * (uint32_t)sum);
        if (!td_opt_chan_requant(&ch[j], a->out_mult[c], a->out_shift[c], a->output_offset,
                                 td_opt_abs64(b) + (int64_t)sum_abs * xmax)) {
            mode = mode == TD_CV_WIDE ? mode : TD_CV_SLOW;
        }
        if (sum_abs >= 32768) mode = TD_CV_WIDE;
    }
    dst[0] = r;
    dst[1] = valid;
    dst[2] = mode;
    dst[3] = oc;
}

/* Blocks of 5 for a group of n channels, as long as the rest splits into blocks of 4. */
static int32_t cv_blocks_of_5(int32_t n)
{
    for (int32_t b5 = n / 5; b5 >= 0; --b5) {
        if ((n - 5 * b5) % 4 == 0) return b5;
    }
    return n / 5;
}

/* Pack blocks for group channels [oc, end) into g_pack until full; returns the next
 * channel and the block count in *nblk. */
static int32_t cv_pack_chunk(const td_conv2d_s8_args_t *a, const cv_plan_t *pl,
                             const int8_t *weight, const int32_t *bias, int32_t oc,
                             int32_t end, int32_t *b5_left, int32_t *nblk)
{
    int32_t used = 0;
    *nblk = 0;
    while (oc < end) {
        const int32_t r = pl->row ? pl->rr : *b5_left > 0 ? 5 : 4;
        const int32_t valid = TD_MIN(r, end - oc);
        const int32_t words = cv_block_words(pl->k, r);
        if (used + words > TD_OPT_CONV_PACK_BYTES / 4) break;
        cv_pack_block(g_pack + used, a, pl, weight, bias, oc, r, valid);
        used += words;
        oc += valid;
        *b5_left -= r == 5;
        ++*nblk;
    }
    return oc;
}

/* ---- im2col into pixel-pair words ------------------------------------------------ */

/* d[2 * c] = pair(pa[c], pb[c]) for c < n. */
static void cv_pairs(int32_t *d, const int8_t *pa, const int8_t *pb, int32_t n)
{
    const int32_t *end = d + 2 * (n & ~1);
    while (d != end) {
        d[0] = td_opt_pair(pa[0], pb[0]);
        d[2] = td_opt_pair(pa[1], pb[1]);
        d += 4;
        pa += 2;
        pb += 2;
    }
    if (n & 1) d[0] = td_opt_pair(pa[0], pb[0]);
}

/* col[(tap * cg + c) * 2 + i] for one pair i: pixels na (low lane), nb (high lane). */
static void cv_im2col_pair(const td_conv2d_s8_args_t *a, const int8_t *xb, int32_t c0,
                           int32_t cg, int32_t na, int32_t nb, int32_t *d)
{
    const int32_t zp = -a->input_offset, ic = a->in_c;
    const int32_t iya = (na / a->out_w) * a->stride_h - a->pad_top;
    const int32_t ixa = (na % a->out_w) * a->stride_w - a->pad_left;
    const int32_t iyb = (nb / a->out_w) * a->stride_h - a->pad_top;
    const int32_t ixb = (nb % a->out_w) * a->stride_w - a->pad_left;
    const int32_t eh = (a->k_h - 1) * a->dilation_h, ew = (a->k_w - 1) * a->dilation_w;
    if (iya >= 0 && iyb >= 0 && ixa >= 0 && ixb >= 0 && iya + eh < a->in_h
        && iyb + eh < a->in_h && ixa + ew < a->in_w && ixb + ew < a->in_w) {
        /* both windows inside the input: no checks */
        const int8_t *pa0 = xb + (iya * a->in_w + ixa) * ic + c0;
        const int8_t *pb0 = xb + (iyb * a->in_w + ixb) * ic + c0;
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
static void cv_fill_row(const td_conv2d_s8_args_t *a, const cv_plan_t *pl, const int8_t *xb,
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

/* ---- plain loops ----------------------------------------------------------------- */

/* Output (pixel n, channel oc) of one batch like the reference (any shape). */
static int8_t cv_plain_out(const td_conv2d_s8_args_t *a, const int8_t *xb, const int8_t *weight,
                           const int32_t *bias, int32_t n, int32_t oc)
{
    const int32_t cg = a->in_c / a->groups, c0 = (oc / (a->out_c / a->groups)) * cg;
    const int32_t oy = n / a->out_w, ox = n % a->out_w;
    uint32_t acc = bias != NULL ? (uint32_t)bias[oc] : 0u;
    int32_t v;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
        if (iy < 0 || iy >= a->in_h) continue;
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
            const int8_t *x, *w;
            if (ix < 0 || ix >= a->in_w) continue;
            x = xb + (iy * a->in_w + ix) * a->in_c + c0;
            w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * cg;
            for (int32_t c = 0; c < cg; ++c) acc += (uint32_t)(w[c] * (x[c] + a->input_offset));
        }
    }
    v = td_requant((int32_t)acc, a->out_mult[oc], a->out_shift[oc]);
    v = (int32_t)((uint32_t)v + (uint32_t)a->output_offset);
    return td_opt_sat(v, a->act_min, a->act_max);
}

/* ---- driver ---------------------------------------------------------------------- */

/* Every packed block of the chunk on `groups` groups of pix pixels: pixel p of group g
 * is n[p] + g * pix (flattened), its outputs (all channels) at y[p] + g * ystep; only
 * the first np pixels of a single group may be partial (np < pix: groups == 1). The
 * im2col path reads g_col (groups == 1), the row path job->rows. */
static void cv_run_chunk(const td_conv2d_s8_args_t *a, const cv_plan_t *pl, int32_t nblk,
                         td_cv_rowjob_t *job, const int8_t *xb, const int8_t *weight,
                         const int32_t *bias, const int32_t *n, int8_t *const *y, int32_t np,
                         const td_cv_io_t *io)
{
    const int32_t pix = pl->row ? pl->rp : 4, groups = pl->row ? job->groups : 1;
    const int32_t ystep = pix * a->out_c;
    const int32_t *blk = g_pack;
    for (int32_t b = 0; b < nblk; ++b) {
        const int32_t r = blk[0], valid = blk[1], mode = blk[2], oc = blk[3];
        const td_opt_chan_t *ch = (const td_opt_chan_t *)(const void *)(blk + CV_HDR);
        const int16_t *wp = (const int16_t *)(const void *)(ch + r);
        int8_t tmp[8][5];
        int8_t *yo[8];
        const int direct = valid == r && np == pix && mode != TD_CV_WIDE;
        blk += cv_block_words(pl->k, r);
        for (int32_t p = 0; p < pix; ++p) yo[p] = direct ? y[p] + oc : tmp[p];
        if (!direct) {
            /* one group at a time through tmp (partial block/group, or plain loops) */
            for (int32_t g = 0; g < groups; ++g) {
                if (mode == TD_CV_WIDE) {
                    for (int32_t p = 0; p < np; ++p) {
                        for (int32_t j = 0; j < valid; ++j) {
                            tmp[p][j] = cv_plain_out(a, xb, weight, bias, n[p] + g * pix, oc + j);
                        }
                    }
                } else if (pl->row) {
                    td_cv_rowjob_t one = *job;
                    one.groups = 1;
                    for (int32_t ky = 0; ky < job->kh; ++ky) one.rows[ky] += g * job->gstep;
                    for (int32_t p = 0; p < pix; ++p) one.y[p] = yo[p];
                    if (r == 2) td_cv_row2(&one, wp, ch, io, mode);
                    else td_cv_row4(&one, wp, ch, io, mode);
                } else if (r == 5) {
                    td_cv_block5(g_col, wp, pl->k, ch, yo, io, mode);
                } else {
                    td_cv_block4(g_col, wp, pl->k, ch, yo, io, mode);
                }
                for (int32_t p = 0; p < np; ++p) {
                    for (int32_t j = 0; j < valid; ++j) y[p][g * ystep + oc + j] = tmp[p][j];
                }
            }
        } else if (pl->row) {
            for (int32_t p = 0; p < pix; ++p) job->y[p] = yo[p];
            if (r == 2) td_cv_row2(job, wp, ch, io, mode);
            else td_cv_row4(job, wp, ch, io, mode);
        } else if (r == 5) {
            td_cv_block5(g_col, wp, pl->k, ch, yo, io, mode);
        } else {
            td_cv_block4(g_col, wp, pl->k, ch, yo, io, mode);
        }
    }
}

/* im2col path over all pixels of batch xb for the packed chunk of group g. */
static void cv_im2col_pass(const td_conv2d_s8_args_t *a, const cv_plan_t *pl, int32_t nblk,
                           int32_t g, const int8_t *xb, const int8_t *weight,
                           const int32_t *bias, int8_t *yb, const td_cv_io_t *io)
{
    const int32_t npix = a->out_h * a->out_w;
    for (int32_t n0 = 0; n0 < npix; n0 += 4) {
        const int32_t np = TD_MIN(4, npix - n0);
        int32_t n[4];
        int8_t *y[4];
        for (int32_t p = 0; p < 4; ++p) {
            n[p] = n0 + (p < np ? p : 0);        /* missing pixels repeat pixel n0 */
            y[p] = yb + n[p] * a->out_c;
        }
        cv_im2col_pair(a, xb, g * pl->cg, pl->cg, n[0], n[2], g_col);
        cv_im2col_pair(a, xb, g * pl->cg, pl->cg, n[1], n[3], g_col + 1);
        cv_run_chunk(a, pl, nblk, NULL, xb, weight, bias, n, y, np, io);
    }
}

/* Row path over all output rows of batch xb for the packed chunk of group g. */
static void cv_row_pass(const td_conv2d_s8_args_t *a, const cv_plan_t *pl, int32_t nblk,
                        int32_t g, const int8_t *xb, const int8_t *weight, const int32_t *bias,
                        int8_t *yb, const td_cv_io_t *io)
{
    int32_t held[TD_OPT_CONV_COL_WORDS / 8];     /* input row in each ring slot */
    const int32_t slot_words = pl->cg * pl->wp;
    int32_t *const pad_row = g_col + pl->span * slot_words;   /* all pair(zp, zp) */
    for (int32_t s = 0; s < pl->span; ++s) held[s] = -1;
    for (int32_t i = 0; i < slot_words; ++i) pad_row[i] = td_opt_pair(-a->input_offset,
                                                                      -a->input_offset);
    td_cv_rowjob_t job;
    job.kh = a->k_h;
    job.cg = pl->cg;
    job.wstride = pl->wp;
    job.gstep = pl->rp;
    job.ystep = pl->rp * a->out_c;
    for (int32_t oy = 0; oy < a->out_h; ++oy) {
        int32_t *base[16];
        for (int32_t ky = 0; ky < a->k_h; ++ky) {
            const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
            const int32_t s = ((iy % pl->span) + pl->span) % pl->span;
            base[ky] = pad_row;      /* padding rows still add w * zp (offset folding) */
            if (iy < 0 || iy >= a->in_h) continue;
            base[ky] = g_col + s * slot_words;
            if (held[s] != iy) {
                cv_fill_row(a, pl, xb, g * pl->cg, iy, base[ky]);
                held[s] = iy;
            }
        }
        /* all full groups of the row in one call per block, then the partial one */
        for (int32_t ox0 = 0; ox0 < a->out_w; ox0 += job.groups * pl->rp) {
            const int32_t np = TD_MIN(pl->rp, a->out_w - ox0);
            int32_t n[8];
            int8_t *y[8];
            job.groups = np < pl->rp ? 1 : a->out_w / pl->rp;
            for (int32_t p = 0; p < pl->rp; ++p) {
                n[p] = oy * a->out_w + ox0 + (p < np ? p : 0);
                y[p] = yb + n[p] * a->out_c;
            }
            for (int32_t ky = 0; ky < a->k_h; ++ky) job.rows[ky] = base[ky] + ox0;
            cv_run_chunk(a, pl, nblk, &job, xb, weight, bias, n, y, np, io);
        }
    }
}

/* Row path when the kernel is 3 taps wide with stride and dilation 1 along W, groups
 * have >= 4 channels and the ring fits; else im2col if 4 pixels fit; 0: plain loops.
 * The row path takes blocks of 2 channels x 8 pixels (2.31 instructions per MAC) or
 * 4 x 4 (2.40), whichever computes fewer padded outputs x cost. */
static int cv_make_plan(const td_conv2d_s8_args_t *a, cv_plan_t *pl)
{
    const int32_t w8 = (a->out_w + 7) & ~7, w4 = (a->out_w + 3) & ~3;
    pl->cg = a->in_c / a->groups;
    pl->og = a->out_c / a->groups;
    pl->k = a->k_h * a->k_w * pl->cg;
    pl->rp = w8 * ((pl->og + 1) & ~1) * 231 <= w4 * ((pl->og + 3) & ~3) * 240 ? 8 : 4;
    pl->rr = pl->rp == 8 ? 2 : 4;
    pl->wp = pl->rp == 8 ? w8 : w4;
    pl->span = (a->k_h - 1) * a->dilation_h + 1;
    pl->row = a->k_w == 3 && a->stride_w == 1 && a->dilation_w == 1 && pl->cg >= 4
              && a->k_h <= 16 && (pl->span + 1) * pl->cg * pl->wp <= TD_OPT_CONV_COL_WORDS
              && pl->span <= TD_OPT_CONV_COL_WORDS / 8;
    if (!pl->row && 2 * pl->k > TD_OPT_CONV_COL_WORDS) return 0;
    return cv_block_words(pl->k, 5) <= TD_OPT_CONV_PACK_BYTES / 4;
}

void td_conv2d_s8(const td_conv2d_s8_args_t *args, const int8_t *input,
                  const int8_t *weight, const int32_t *bias, int8_t *output)
{
    const td_conv2d_s8_args_t *a = args;
    const int32_t in_size = a->in_h * a->in_w * a->in_c;
    const int32_t out_size = a->out_h * a->out_w * a->out_c;
    const td_cv_io_t io = {a->act_min, a->act_max, a->output_offset};
    cv_plan_t pl;
    if (!cv_make_plan(a, &pl)) {
        for (int32_t b = 0; b < a->batches; ++b) {
            for (int32_t n = 0; n < a->out_h * a->out_w; ++n) {
                for (int32_t oc = 0; oc < a->out_c; ++oc) {
                    output[b * out_size + n * a->out_c + oc]
                        = cv_plain_out(a, input + b * in_size, weight, bias, n, oc);
                }
            }
        }
        return;
    }
    for (int32_t g = 0; g < a->groups; ++g) {
        int32_t b5_left = pl.row ? 0 : cv_blocks_of_5(pl.og);
        int32_t oc = g * pl.og;
        while (oc < (g + 1) * pl.og) {
            int32_t nblk;
            const int32_t next = cv_pack_chunk(a, &pl, weight, bias, oc, (g + 1) * pl.og,
                                               &b5_left, &nblk);
            for (int32_t b = 0; b < a->batches; ++b) {
                if (pl.row) {
                    cv_row_pass(a, &pl, nblk, g, input + b * in_size, weight, bias,
                                output + b * out_size, &io);
                } else {
                    cv_im2col_pass(a, &pl, nblk, g, input + b * in_size, weight, bias,
                                   output + b * out_size, &io);
                }
            }
            oc = next;
        }
    }
}
