/* td_conv2d_s8.c - int8 convolution optimized for RV32IMC (same results as the reference
 * kernels/td_conv2d_s8.c for every input; see td_opt_common.h for the two tricks).
 *
 * Per group and per chunk of output channels (as many as fit TD_OPT_CONV_PACK_BYTES):
 *   1. pack: weights * 256 as int16 [K][R] per block of R = 5 (or 4) channels, plus the
 *      per-channel constants (bias and offset folding, requant constants).
 *   2. per 4 output pixels (flattened over rows): im2col into pixel-pair words
 *      [K][2]: pair i holds pixels i (low lane) and i + 2 (high lane); padding taps read
 *      the input zero point.
 *   3. per block: a 20-accumulator loop (R * 2 pairs * 2 lanes) over K, 2.4 instructions
 *      per MAC on RV32IMC, then requantization and stores.
 * Layers whose buffers do not fit, or whose weights could overflow a low lane (sum |w| of
 * a channel >= 32768), take plain loops (same results, slower).
 */
#include "td_conv2d_s8.h"

#include "td_common.h"
#include "td_opt_common.h"

#ifndef TD_OPT_CONV_PACK_BYTES
#define TD_OPT_CONV_PACK_BYTES 16384   /* packed weights + constants of a channel chunk */
#endif
#ifndef TD_OPT_CONV_COL_WORDS
#define TD_OPT_CONV_COL_WORDS 2048     /* im2col of 4 pixels: 2 * K words (K <= 1024) */
#endif

#define CV_HDR 4          /* block header words: r, valid, mode, first channel */
#define CV_MODE_FAST 0    /* fast requantization for all channels of the block */
#define CV_MODE_SLOW 1    /* reference requantization */
#define CV_MODE_WIDE 2    /* a low lane could overflow: plain accumulation */

static int32_t g_pack[TD_OPT_CONV_PACK_BYTES / 4];
static int32_t g_col[TD_OPT_CONV_COL_WORDS];

typedef struct {
    int32_t lo;           /* clamp bounds */
    int32_t hi;
    int32_t out_off;      /* output offset */
    int32_t in_off;       /* input offset */
} cv_io_t;

/* ---- the register-blocked inner loops ------------------------------------------- */

#define CV_MAC(r, i, v) (l##r##i += td_opt_mul(v, x##i), h##r##i += td_opt_mulh(v, x##i))
#define CV_W(r, u, R) { const int32_t v = wp[(R) * (u) + (r)]; CV_MAC(r, 0, v); CV_MAC(r, 1, v); }
#define CV_X(u) const int32_t x0 = xp[2 * (u)], x1 = xp[2 * (u) + 1];
#define CV_STEP5(u) { CV_X(u) CV_W(0, u, 5) CV_W(1, u, 5) CV_W(2, u, 5) CV_W(3, u, 5) CV_W(4, u, 5) }
#define CV_STEP4(u) { CV_X(u) CV_W(0, u, 4) CV_W(1, u, 4) CV_W(2, u, 4) CV_W(3, u, 4) }

/* Channel r's four results: low lanes are pixels 0 and 1, high lanes pixels 2 and 3. */
#define CV_ACC(r)                                                                        \
    const int32_t adj = ch[r].lo_adj;                                                    \
    const int32_t a0 = (int32_t)((uint32_t)((int32_t)l##r##0 >> 8) + (uint32_t)adj);     \
    const int32_t a1 = (int32_t)((uint32_t)((int32_t)l##r##1 >> 8) + (uint32_t)adj);     \
    const int32_t a2 = (int32_t)h##r##0;                                                  \
    const int32_t a3 = (int32_t)h##r##1;
/* int8_t stores may alias anything: every value is read before the first store. */
#define CV_EPI_FAST(r) {                                                                 \
    CV_ACC(r)                                                                            \
    const uint32_t m4 = ch[r].m4;                                                        \
    const int32_t cp = ch[r].c_pos, cn = ch[r].c_neg, sh = ch[r].sh;                     \
    const int32_t v0 = td_opt_rq(a0, m4, cp, cn, sh), v1 = td_opt_rq(a1, m4, cp, cn, sh); \
    const int32_t v2 = td_opt_rq(a2, m4, cp, cn, sh), v3 = td_opt_rq(a3, m4, cp, cn, sh); \
    y0[r] = td_opt_sat(v0, lo, hi);                                                      \
    y1[r] = td_opt_sat(v1, lo, hi);                                                      \
    y2[r] = td_opt_sat(v2, lo, hi);                                                      \
    y3[r] = td_opt_sat(v3, lo, hi); }
#define CV_EPI_KEEP(r) { CV_ACC(r) acc[r][0] = a0; acc[r][1] = a1; acc[r][2] = a2; acc[r][3] = a3; }
#define CV_EPI_LOCALS                                                                    \
    const int32_t lo = io->lo, hi = io->hi;                                              \
    int8_t *const y0 = y[0], *const y1 = y[1], *const y2 = y[2], *const y3 = y[3];

/* Reference requantization of a block's accumulators acc[r][pixel]. */
static void cv_epi_slow(int32_t acc[][4], int32_t r, const td_opt_chan_t *ch,
                        int8_t *const *y, const cv_io_t *io)
{
    for (int32_t j = 0; j < r; ++j) {
        for (int32_t p = 0; p < 4; ++p) {
            y[p][j] = td_opt_sat(td_opt_rq_slow(acc[j][p], &ch[j], io->out_off), io->lo, io->hi);
        }
    }
}

/* 5 channels x 4 pixels over K taps; xp: [K][2] pair words, wp: [K][5] weights * 256. */
TD_OPT_NOINLINE static void cv_block5(const int32_t *xp, const int16_t *wp, int32_t k, const td_opt_chan_t *ch,
                      int8_t *const *y, const cv_io_t *io, int32_t mode)
{
    uint32_t l00 = 0, l01 = 0, l10 = 0, l11 = 0, l20 = 0, l21 = 0, l30 = 0, l31 = 0;
    uint32_t l40 = 0, l41 = 0;
    uint32_t h00 = (uint32_t)ch[0].hi_init, h01 = h00, h10 = (uint32_t)ch[1].hi_init, h11 = h10;
    uint32_t h20 = (uint32_t)ch[2].hi_init, h21 = h20, h30 = (uint32_t)ch[3].hi_init, h31 = h30;
    uint32_t h40 = (uint32_t)ch[4].hi_init, h41 = h40;
    const int16_t *end = wp + 5 * (k & ~3);
    while (wp != end) {
        CV_STEP5(0) CV_STEP5(1) CV_STEP5(2) CV_STEP5(3)
        xp += 8;
        wp += 20;
    }
    end = wp + 5 * (k & 3);
    while (wp != end) {
        CV_STEP5(0)
        xp += 2;
        wp += 5;
    }
    if (mode == CV_MODE_FAST) {
        CV_EPI_LOCALS
        CV_EPI_FAST(0) CV_EPI_FAST(1) CV_EPI_FAST(2) CV_EPI_FAST(3) CV_EPI_FAST(4)
    } else {
        int32_t acc[5][4];
        CV_EPI_KEEP(0) CV_EPI_KEEP(1) CV_EPI_KEEP(2) CV_EPI_KEEP(3) CV_EPI_KEEP(4)
        cv_epi_slow(acc, 5, ch, y, io);
    }
}

/* 4 channels x 4 pixels (same as cv_block5). */
TD_OPT_NOINLINE static void cv_block4(const int32_t *xp, const int16_t *wp, int32_t k, const td_opt_chan_t *ch,
                      int8_t *const *y, const cv_io_t *io, int32_t mode)
{
    uint32_t l00 = 0, l01 = 0, l10 = 0, l11 = 0, l20 = 0, l21 = 0, l30 = 0, l31 = 0;
    uint32_t h00 = (uint32_t)ch[0].hi_init, h01 = h00, h10 = (uint32_t)ch[1].hi_init, h11 = h10;
    uint32_t h20 = (uint32_t)ch[2].hi_init, h21 = h20, h30 = (uint32_t)ch[3].hi_init, h31 = h30;
    const int16_t *end = wp + 4 * (k & ~1);
    while (wp != end) {
        CV_STEP4(0) CV_STEP4(1)
        xp += 4;
        wp += 8;
    }
    if (k & 1) {
        CV_STEP4(0)
    }
    if (mode == CV_MODE_FAST) {
        CV_EPI_LOCALS
        CV_EPI_FAST(0) CV_EPI_FAST(1) CV_EPI_FAST(2) CV_EPI_FAST(3)
    } else {
        int32_t acc[4][4];
        CV_EPI_KEEP(0) CV_EPI_KEEP(1) CV_EPI_KEEP(2) CV_EPI_KEEP(3)
        cv_epi_slow(acc, 4, ch, y, io);
    }
}

/* Any block with plain loops (a low lane could overflow): acc = bias + sum w * (x + off). */
static void cv_block_wide(const int32_t *xp, const int8_t *w, const int32_t *bias, int32_t k,
                          int32_t r, const td_opt_chan_t *ch, int8_t *const *y, const cv_io_t *io)
{
    int32_t acc[5][4];
    for (int32_t j = 0; j < r; ++j) {
        const uint32_t b = bias != NULL ? (uint32_t)bias[j] : 0u;
        uint32_t s[4] = {b, b, b, b};
        for (int32_t t = 0; t < k; ++t) {
            const int32_t wv = w[j * k + t];
            for (int32_t i = 0; i < 2; ++i) {
                const int32_t x = xp[2 * t + i];
                s[i] += (uint32_t)(wv * ((x & 0x1ff) - 129 + io->in_off));
                s[i + 2] += (uint32_t)(wv * ((x >> 24) + io->in_off));
            }
        }
        for (int32_t p = 0; p < 4; ++p) acc[j][p] = (int32_t)s[p];
    }
    cv_epi_slow(acc, r, ch, y, io);
}

/* ---- packing --------------------------------------------------------------------- */

/* Words one packed block of r channels takes. */
static int32_t cv_block_words(int32_t k, int32_t r)
{
    return CV_HDR + r * (int32_t)(sizeof(td_opt_chan_t) / 4) + (k * r + 1) / 2;
}

/* Pack channels [oc, oc + valid) (repeating the last one up to r) at dst. */
static void cv_pack_block(int32_t *dst, const td_conv2d_s8_args_t *a, const int8_t *weight,
                          const int32_t *bias, int32_t k, int32_t oc, int32_t r, int32_t valid)
{
    td_opt_chan_t *ch = (td_opt_chan_t *)(void *)(dst + CV_HDR);
    int16_t *wp = (int16_t *)(void *)(ch + r);
    const int64_t xmax = td_opt_xmax(a->input_offset);
    int32_t mode = CV_MODE_FAST;
    for (int32_t j = 0; j < r; ++j) {
        const int32_t c = oc + (j < valid ? j : valid - 1);
        const int8_t *w = weight + c * k;
        const int32_t b = bias != NULL ? bias[c] : 0;
        int32_t sum = 0, sum_abs = 0, neg = 0;
        for (int32_t t = 0; t < k; ++t) {
            const int32_t v = w[t];
            wp[t * r + j] = (int16_t)(v * 256);
            sum += v;
            sum_abs += v < 0 ? -v : v;
            neg += v < 0;
        }
        ch[j].hi_init = (int32_t)((uint32_t)b + (uint32_t)a->input_offset * (uint32_t)sum
                                  + (uint32_t)neg);
        ch[j].lo_adj = (int32_t)((uint32_t)b + (uint32_t)(a->input_offset - 129) * (uint32_t)sum);
        if (!td_opt_chan_requant(&ch[j], a->out_mult[c], a->out_shift[c], a->output_offset,
                                 td_opt_abs64(b) + (int64_t)sum_abs * xmax)) {
            mode = mode == CV_MODE_WIDE ? mode : CV_MODE_SLOW;
        }
        if (sum_abs >= 32768) mode = CV_MODE_WIDE;
    }
    dst[0] = r;
    dst[1] = valid;
    dst[2] = mode;
    dst[3] = oc;
}

/* Channels of a group of n: blocks of 5 as long as the rest splits into blocks of 4. */
static int32_t cv_blocks_of_5(int32_t n)
{
    for (int32_t b5 = n / 5; b5 >= 0; --b5) {
        if ((n - 5 * b5) % 4 == 0) return b5;
    }
    return n / 5;
}

/* Pack blocks for group channels [oc, end) into g_pack until full; returns the next
 * channel. *nblk receives the block count. */
static int32_t cv_pack_chunk(const td_conv2d_s8_args_t *a, const int8_t *weight,
                             const int32_t *bias, int32_t k, int32_t oc, int32_t end,
                             int32_t *b5_left, int32_t *nblk)
{
    int32_t used = 0;
    *nblk = 0;
    while (oc < end) {
        const int32_t r = *b5_left > 0 ? 5 : 4;
        const int32_t valid = TD_MIN(r, end - oc);
        const int32_t words = cv_block_words(k, r);
        if (used + words > TD_OPT_CONV_PACK_BYTES / 4) break;
        cv_pack_block(g_pack + used, a, weight, bias, k, oc, r, valid);
        used += words;
        oc += valid;
        *b5_left -= r == 5;
        ++*nblk;
    }
    return oc;
}

/* ---- im2col into pixel-pair words ------------------------------------------------ */

/* Tap source of output pixel n (flattened) for tap (ky, kx), or NULL in the padding. */
static const int8_t *cv_tap(const td_conv2d_s8_args_t *a, const int8_t *xb, int32_t n,
                            int32_t ky, int32_t kx)
{
    const int32_t oy = n / a->out_w, ox = n - oy * a->out_w;
    const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
    const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
    if (iy < 0 || iy >= a->in_h || ix < 0 || ix >= a->in_w) return NULL;
    return xb + (iy * a->in_w + ix) * a->in_c;
}

/* col[(tap * cg + c) * 2 + i] = pair(pixel n0 + i, pixel n0 + 2 + i), channel c0 + c.
 * Pixels past np repeat pixel n0 (their results are never stored). */
static void cv_im2col(const td_conv2d_s8_args_t *a, const int8_t *xb, int32_t c0, int32_t cg,
                      int32_t n0, int32_t np, int32_t *col)
{
    const int32_t zp = -a->input_offset;
    int32_t *dst = col;
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            for (int32_t i = 0; i < 2; ++i) {
                const int8_t *sa = cv_tap(a, xb, n0 + (i < np ? i : 0), ky, kx);
                const int8_t *sb = cv_tap(a, xb, n0 + (i + 2 < np ? i + 2 : 0), ky, kx);
                int32_t *d = dst + i;
                if (sa != NULL && sb != NULL) {
                    sa += c0;
                    sb += c0;
                    for (int32_t c = 0; c < cg; ++c) d[2 * c] = td_opt_pair(sa[c], sb[c]);
                } else {
                    for (int32_t c = 0; c < cg; ++c) {
                        d[2 * c] = td_opt_pair(sa != NULL ? sa[c0 + c] : zp,
                                               sb != NULL ? sb[c0 + c] : zp);
                    }
                }
            }
            dst += 2 * cg;
        }
    }
}

/* ---- driver ---------------------------------------------------------------------- */

/* Run every packed block of the chunk on the 4 pixels whose rows start at y[0..3]. */
static void cv_run_chunk(int32_t nblk, int32_t k, const int8_t *weight, const int32_t *bias,
                         int8_t *const *yrow, int32_t np, const cv_io_t *io)
{
    const int32_t *blk = g_pack;
    for (int32_t n = 0; n < nblk; ++n) {
        const int32_t r = blk[0], valid = blk[1], mode = blk[2], oc = blk[3];
        const td_opt_chan_t *ch = (const td_opt_chan_t *)(const void *)(blk + CV_HDR);
        const int16_t *wp = (const int16_t *)(const void *)(ch + r);
        int8_t tmp[4][5];
        int8_t *y[4];
        const int direct = valid == r && np == 4;
        for (int32_t p = 0; p < 4; ++p) y[p] = direct ? yrow[p] + oc : tmp[p];
        if (mode == CV_MODE_WIDE) {
            cv_block_wide(g_col, weight + oc * k, bias != NULL ? bias + oc : NULL, k, valid,
                          ch, y, io);
        } else if (r == 5) {
            cv_block5(g_col, wp, k, ch, y, io, mode);
        } else {
            cv_block4(g_col, wp, k, ch, y, io, mode);
        }
        if (!direct) {
            for (int32_t p = 0; p < np; ++p) {
                for (int32_t j = 0; j < valid; ++j) yrow[p][oc + j] = tmp[p][j];
            }
        }
        blk += cv_block_words(k, r);
    }
}

/* The reference loops (any shape), for layers whose buffers do not fit. */
static void cv_plain(const td_conv2d_s8_args_t *a, const int8_t *input, const int8_t *weight,
                     const int32_t *bias, int8_t *y)
{
    const int32_t cg = a->in_c / a->groups, og = a->out_c / a->groups;
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t n = 0; n < a->out_h * a->out_w; ++n) {
            for (int32_t oc = 0; oc < a->out_c; ++oc) {
                uint32_t acc = bias != NULL ? (uint32_t)bias[oc] : 0u;
                for (int32_t ky = 0; ky < a->k_h; ++ky) {
                    for (int32_t kx = 0; kx < a->k_w; ++kx) {
                        const int8_t *x = cv_tap(a, input + b * a->in_h * a->in_w * a->in_c,
                                                 n, ky, kx);
                        const int8_t *w = weight + ((oc * a->k_h + ky) * a->k_w + kx) * cg;
                        if (x == NULL) continue;
                        x += (oc / og) * cg;
                        for (int32_t c = 0; c < cg; ++c) {
                            acc += (uint32_t)(w[c] * (x[c] + a->input_offset));
                        }
                    }
                }
                {
                    int32_t v = td_requant((int32_t)acc, a->out_mult[oc], a->out_shift[oc]);
                    v = (int32_t)((uint32_t)v + (uint32_t)a->output_offset);
                    *y++ = td_opt_sat(v, a->act_min, a->act_max);
                }
            }
        }
    }
}

void td_conv2d_s8(const td_conv2d_s8_args_t *args, const int8_t *input,
                  const int8_t *weight, const int32_t *bias, int8_t *output)
{
    const td_conv2d_s8_args_t *a = args;
    const int32_t cg = a->in_c / a->groups, og = a->out_c / a->groups;
    const int32_t k = a->k_h * a->k_w * cg, npix = a->out_h * a->out_w;
    const cv_io_t io = {a->act_min, a->act_max, a->output_offset, a->input_offset};
    if (2 * k > TD_OPT_CONV_COL_WORDS || cv_block_words(k, 5) > TD_OPT_CONV_PACK_BYTES / 4) {
        cv_plain(a, input, weight, bias, output);
        return;
    }
    for (int32_t g = 0; g < a->groups; ++g) {
        int32_t b5_left = cv_blocks_of_5(og);
        int32_t oc = g * og;
        while (oc < (g + 1) * og) {
            int32_t nblk;
            const int32_t next = cv_pack_chunk(a, weight, bias, k, oc, (g + 1) * og, &b5_left,
                                               &nblk);
            for (int32_t b = 0; b < a->batches; ++b) {
                const int8_t *xb = input + b * a->in_h * a->in_w * a->in_c;
                int8_t *yb = output + b * npix * a->out_c;
                for (int32_t n0 = 0; n0 < npix; n0 += 4) {
                    const int32_t np = TD_MIN(4, npix - n0);
                    int8_t *yrow[4];
                    for (int32_t p = 0; p < 4; ++p) yrow[p] = yb + (n0 + (p < np ? p : 0)) * a->out_c;
                    cv_im2col(a, xb, g * cg, cg, n0, np, g_col);
                    cv_run_chunk(nblk, k, weight, bias, yrow, np, &io);
                }
            }
            oc = next;
        }
    }
}
