/* td_conv2d_s8.c - int8 convolution optimized for RV32IMC (same results as the reference
 * kernels/td_conv2d_s8.c for every input; td_opt_common.h explains the two tricks:
 * pixel-pair words and the 6-instruction requantization).
 *
 * Per group and per chunk of output channels (as many as TD_OPT_CONV_PACK_BYTES holds):
 *   1. pack: weights * 256 as int16 [tap][R] per block of R output channels, plus the
 *      per-channel constants (bias and offset folding, requantization);
 *   2. stage the inputs as pixel-pair words (td_opt_conv_stage.h) and run the register
 *      blocks of td_opt_gemm.h, which also requantize and store:
 *      - row path (3 taps wide, stride and dilation 1 along W, >= 4 channels per group):
 *        a ring of converted input rows; blocks of 2 channels x 8 pixels (2.31
 *        instructions per MAC) or 4 x 4 (2.40), all full groups of an output row per call;
 *      - im2col path (any other shape): as many groups of 4 pixels as TD_OPT_CONV_COL_WORDS
 *        holds per call; blocks of 5 (2.39) or 4 (2.47) channels x 4 pixels.
 * Layers whose buffers do not fit, and blocks whose weights could overflow a low lane
 * (sum |w| of a channel >= 32768), take plain loops (same results, slower).
 *
 * Static scratch: TD_OPT_CONV_PACK_BYTES + 4 * TD_OPT_CONV_COL_WORDS bytes (24 KiB).
 */
#include "../td_conv2d_s8.h"

#include "../td_common.h"
#include "td_opt_common.h"
#include "td_opt_conv_stage.h"
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
 * is n[p] + g * pix (flattened), its outputs (all channels) at y[p] + g * ystep; only a
 * single group may be partial (np < pix). The im2col path reads g_col ([groups][K][2]),
 * the row path job->rows. */
static void cv_run_chunk(const td_conv2d_s8_args_t *a, const cv_plan_t *pl, int32_t nblk,
                         td_cv_rowjob_t *job, int32_t groups, const int8_t *xb,
                         const int8_t *weight, const int32_t *bias, const int32_t *n,
                         int8_t *const *y, int32_t np, const td_cv_io_t *io)
{
    const int32_t pix = pl->row ? pl->rp : 4;
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
                    td_cv_block5(g_col + g * 2 * pl->k, wp, pl->k, ch, yo, 0, 1, io, mode);
                } else {
                    td_cv_block4(g_col + g * 2 * pl->k, wp, pl->k, ch, yo, 0, 1, io, mode);
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
            td_cv_block5(g_col, wp, pl->k, ch, yo, ystep, groups, io, mode);
        } else {
            td_cv_block4(g_col, wp, pl->k, ch, yo, ystep, groups, io, mode);
        }
    }
}

/* im2col path over all pixels of batch xb for the packed chunk of group g: as many
 * groups of 4 pixels per pass as g_col holds. */
static void cv_im2col_pass(const td_conv2d_s8_args_t *a, const cv_plan_t *pl, int32_t nblk,
                           int32_t g, const int8_t *xb, const int8_t *weight,
                           const int32_t *bias, int8_t *yb, const td_cv_io_t *io)
{
    const int32_t npix = a->out_h * a->out_w, gmax = TD_OPT_CONV_COL_WORDS / (2 * pl->k);
    for (int32_t n0 = 0, groups; n0 < npix; n0 += 4 * groups) {
        const int32_t np = TD_MIN(4, npix - n0);
        int32_t n[4];
        int8_t *y[4];
        groups = np < 4 ? 1 : TD_MIN(gmax, (npix - n0) / 4);
        for (int32_t p = 0; p < 4; ++p) {
            n[p] = n0 + (p < np ? p : 0);        /* missing pixels repeat pixel n0 */
            y[p] = yb + n[p] * a->out_c;
        }
        for (int32_t j = 0; j < groups; ++j) {
            int32_t *col = g_col + j * 2 * pl->k;
            const int32_t m = n0 + 4 * j;
            cv_im2col_pair(a, xb, g * pl->cg, pl->cg, n[0] + 4 * j, np < 4 ? n[2] : m + 2, col);
            cv_im2col_pair(a, xb, g * pl->cg, pl->cg, n[1] + 4 * j, np < 4 ? n[3] : m + 3,
                           col + 1);
        }
        cv_run_chunk(a, pl, nblk, NULL, groups, xb, weight, bias, n, y, np, io);
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
            cv_run_chunk(a, pl, nblk, &job, job.groups, xb, weight, bias, n, y, np, io);
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
