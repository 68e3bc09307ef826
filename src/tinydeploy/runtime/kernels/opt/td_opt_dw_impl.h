/* td_opt_dw_impl.h - the optimized depthwise convolution, included by its two kernels
 * (td_depthwise_conv2d_s8_opt.c: TFLite; td_depthwise_conv2d_rq_opt.c: integer graphs);
 * see td_depthwise_conv2d_s8_opt.h (args, staging, write order). All static.
 *
 * The includer defines DW_MODES, the channel modes its args can hold (bit m: mode m);
 * td_opt_config.h's TD_DW_PATHS says which paths the project's layers reach (the
 * general per-pixel loop, the 3x3 loop for any tap step, the visits of fewer than 4
 * pixels, the channel modes, the requantization forms of td_opt_rq_any; quant/opt/
 * depthwise_conv2d.py c_config): the code of the others is left out. */
#ifndef TD_OPT_DW_IMPL_H
#define TD_OPT_DW_IMPL_H

#include "../../td_names.h"

#include "td_depthwise_conv2d_s8_opt.h"


#include "../td_common.h"
#include "td_opt_common.h"
#include "td_opt_config.h"

#ifndef TD_DW_PAIR_STEPS          /* (a generated td_opt_config.h without pair layers) */
#define TD_DW_PAIR_STEPS(X)
#endif
#ifndef TD_DW_PLANE_ROWS
#define TD_DW_PLANE_ROWS(X)
#endif

#ifndef DW_MODES
#define DW_MODES 0x1f
#endif

/* TD_DW_PATHS (td_opt_config.h): 1 the general per-pixel loop (dw_channel_any), 2 the 3x3
 * loop for any tap step (dw_row3), 3 the channels-inner visits of fewer than 4 pixels
 * (DW_FEW_PIXELS), 4 their channels of modes other than 2 (dw_any), 5 NCHW layers (their
 * staging), 6 their uint8 inputs, 10 + m channels of mode m, 30 + f the forms f that
 * td_opt_rq_any handles (td_opt_rq.h TD_RQ_FORMS_IN). */
#define DW_HAS_PATH(p) TD_OPT_IN(TD_DW_PATHS, p)
#define DW_MODE_IN(m) (((DW_MODES >> (m)) & 1) && DW_HAS_PATH(10 + (m)))
#define DW_RQ_KERNEL ((DW_MODES & 0x1c) != 0)     /* integer-graph modes 2..4 */
#ifndef TD_RQ_FORMS_IN
#define TD_RQ_FORMS_IN TD_RQ_FORMS_OF(TD_DW_PATHS)
#endif

#include "td_opt_rq.h"
#include "td_opt_dw_px.h"

/* Bit m set: the 3x3 loop has its branch for integer-graph mode m (td_opt_config.h). */
#define DW_FORM_BIT(m) | (1 << (m))
enum { DW_RQ_FORMS = 0 TD_DW_RQ_FORMS(DW_FORM_BIT) };
#define DW_HAS_FORM(m) (((DW_MODES >> (m)) & 1) && ((DW_RQ_FORMS >> (m)) & 1))

#define DW_START 0        /* chan words of this kernel (the rest as td_opt_common.h) */
#define DW_MODE 1
#define TD_DW_RING 32     /* most ring rows (and staged rows of one visit) */

/* n bytes of value v at d (words where aligned). */
static void dw_fill(int8_t *d, int8_t v, int32_t n)
{
    const uint32_t word = 0x01010101u * (uint8_t)v;
    while (n > 0 && ((uintptr_t)d & 3u) != 0) {
        *d++ = v;
        --n;
    }
    for (; n >= 4; n -= 4, d += 4) *(uint32_t *)(void *)d = word;
    while (n-- > 0) *d++ = v;
}

/* Bytes before each staged row's left padding, so that its first input column starts on
 * a word boundary (word copies while staging; quant/opt/depthwise_conv2d.py). */
#define TD_DW_LEAD(a) ((0 - (a)->pad_left * (a)->px_in) & 3)

/* dst = left bytes zp, the mid bytes of src, right bytes zp; words where aligned. */
static inline void dw_stage_row(int8_t *dst, const int8_t *src, int32_t left, int32_t mid,
                                int32_t right, int8_t zp)
{
    dw_fill(dst, zp, left);
    dst += left;
    if ((((uintptr_t)dst | (uintptr_t)src | (uintptr_t)mid) & 3u) == 0) {
        const uint32_t *s = (const uint32_t *)(const void *)src;
        uint32_t *d = (uint32_t *)(void *)dst;
        const uint32_t *end = s + mid / 4;
        for (; s + 4 <= end; s += 4, d += 4) {
            const uint32_t v0 = s[0], v1 = s[1], v2 = s[2], v3 = s[3];
            d[0] = v0;
            d[1] = v1;
            d[2] = v2;
            d[3] = v3;
        }
        while (s != end) *d++ = *s++;
    } else {
        td_opt_copy(dst, src, mid);
    }
    dw_fill(dst + mid, zp, right);
}

#include "td_opt_dw_nchw.h"

/* Staged input row iy: [wpad][in_c] bytes, input zero point in the padding columns (NCHW
 * layers: dw_visit_rows). */
static void dw_stage(const td_depthwise_conv2d_s8_opt_args_t *a, const int8_t *xb, int32_t iy,
                     int8_t *dst)
{
    const int8_t zp = (int8_t)(-a->input_offset);
    const int32_t c = a->in_c, left = a->pad_left * c, mid = a->in_w * c;
    dw_stage_row(dst, xb + iy * mid, left, mid, a->wpad * c - left - mid, zp);
}

/* Requantize (fast, reference or integer-graph), clamp and store one output; y is the
 * address of output element (pixel, channel) in elements of esize bytes. */
static inline void dw_store(const td_depthwise_conv2d_s8_opt_args_t *a, const int32_t *ch,
                            int32_t acc, int8_t *y)
{
    if (DW_MODE_IN(2) && ch[DW_MODE] == 2) {
        TD_RQ_PUT(y, acc, ch[7], (uint32_t)ch[8] - (uint32_t)ch[7], (uint32_t)ch[3],
                  (uint32_t)ch[4], ch[6], a->rq_lo + a->output_offset,
                  a->rq_hi + a->output_offset);
    } else if ((DW_MODE_IN(3) || DW_MODE_IN(4)) && ch[DW_MODE] >= 2) {
        const td_opt_rqp_t rq = {a->esize, a->rq_lo, a->rq_hi, a->output_offset, a->rq_fp32,
                                 a->rq_rounding, a->rq_mul2, a->gmul, a->gadd, a->gdiv};
        td_opt_store_any(y, a->esize, td_opt_rq_any(acc, ch, &rq));
    } else if (DW_MODE_IN(0) && ch[DW_MODE] == 0) {
        const int32_t v = td_opt_rq(acc, (uint32_t)ch[TD_CH_M4], ch[TD_CH_CP], ch[TD_CH_DN],
                                    ch[TD_CH_SH]);
        *y = td_opt_sat(v, a->act_min, a->act_max);
    } else if (DW_MODE_IN(1)) {
        *y = td_opt_sat(td_opt_rq_slow(acc, ch, a->output_offset), a->act_min, a->act_max);
    }
}

/* One output pixel of one channel, any window: rows[ky] are the staged rows (at the
 * window's left column). */
static void dw_any(const td_depthwise_conv2d_s8_opt_args_t *a, const int8_t *const *rows,
                   const int8_t *w, const int32_t *ch, int8_t *y)
{
    uint32_t acc = (uint32_t)ch[DW_START];
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        for (int32_t kx = 0; kx < a->k_w; ++kx, ++w) {
            acc += (uint32_t)(*w * rows[ky][kx * a->dilation_w * a->px_in]);
        }
    }
    dw_store(a, ch, (int32_t)acc, y);
}

/* Channel c of output row yrow, any window and requantization. */
TD_OPT_NOINLINE static void dw_channel_any(const td_depthwise_conv2d_s8_opt_args_t *a,
                                           const int8_t *const *base, int32_t c, int8_t *yrow)
{
    const int32_t ic = c / a->depth_multiplier * a->ch_in, s = a->stride_w * a->px_in;
    const int8_t *w = a->wts + c * a->k_h * a->k_w;
    const int32_t *ch = a->chan + c * TD_OPT_CH;
    for (int32_t ox = 0; ox < a->out_w; ++ox) {
        const int8_t *rows[16];
        for (int32_t ky = 0; ky < a->k_h; ++ky) {
            rows[ky] = base[ky * a->dilation_h] + ic + ox * s;
        }
        dw_any(a, rows, w, ch, yrow + (ox * a->px_out + c * a->ch_out) * a->esize);
    }
}

/* An integer-graph output in any form and output type (td_opt_rq.h), y its address. */
TD_OPT_NOINLINE static void dw_put_rq(int8_t *y, int32_t acc, const int32_t *ch,
                                      const td_opt_rqp_t *rq)
{
    td_opt_store_any(y, rq->esize, td_opt_rq_any(acc, ch, rq));
}

/* Output rows yrow (nrows of them), all channels, 3x3 windows, from the staged rows
 * base[] (column 0, channel 0); D: the column step of a tap. Channels with TFLite's
 * reference requantization go to dw_channel_any; integer-graph channels of mode 2 (int8,
 * TD_RQ_PUT) take the unrolled taps, in pixel pairs where pixel, input and output steps
 * are all D (PAIRS instances: ~33 instructions per pixel, else ~39); mode 4 inline, other
 * forms (or int16/int32 outputs) the unrolled taps and dw_put_rq per output. Visits of
 * fewer than 4 pixels: DW_FEW_PIXELS. Instantiated for the tap steps the project uses
 * (td_opt_config.h: address offsets as immediates; TD_DW_PAIR_STEPS with the pairs) and
 * once for any step (PAIRS -1: neither pairs nor DW_FEW_PIXELS, the least code). */
#define DW_ROW3(NAME, D_DECL, D, PAIRS, RB)                                              \
TD_OPT_NOINLINE static void NAME(const td_depthwise_conv2d_s8_opt_args_t *a,             \
                                 const int8_t *const *base, D_DECL int8_t *yrow,         \
                                 int32_t nrows)                                          \
{                                                                                        \
    /* fields copied once: the int8 stores below may alias anything */                   \
    const int32_t s = a->stride_w * a->px_in, ystep = a->px_out, oc = a->out_c;          \
    const int32_t dm = a->depth_multiplier, sh_rows = a->stride_h, dh = a->dilation_h;   \
    const int32_t rowb = a->row_out, lo = a->act_min, hi = a->act_max;                  \
    const int32_t lo2 = a->rq_lo + a->output_offset, hi2 = a->rq_hi + a->output_offset;  \
    const int32_t off2 = a->output_offset, cin = a->ch_in, cout = a->ch_out;             \
    /* pixel, input and output steps all D (and 3 * D an immediate): pixel pairs (the   \
     * PAIRS instances run only so: dw_rows, out_c = in_c * depth_multiplier) */         \
    const int unit = (PAIRS) > 0 && 3 * (D) < 2048;                                      \
    const int32_t rowb2 = (a->out_w & ~1) * ystep, odd = a->out_w & 1;                   \
    const int8_t *w = a->wts;                                                            \
    const int32_t *ch = a->chan;                                                         \
    const int8_t *rp[3 * TD_DW_RING];        /* the rows' staged input rows, once */      \
    const int8_t *const *const rp_end = rp + 3 * nrows;                                  \
    for (int32_t row = 0; row < nrows; ++row) {                                          \
        const int8_t *const *b_ = base + row * sh_rows;                                  \
        rp[3 * row] = b_[0];                                                             \
        rp[3 * row + 1] = b_[dh];                                                        \
        rp[3 * row + 2] = b_[2 * dh];                                                    \
    }                                                                                    \
    if ((PAIRS) >= 0 && DW_RQ_KERNEL && DW_HAS_PATH(3) && nrows * a->out_w < 4 && dm == 1 \
        && a->chan[DW_MODE] >= 2 && a->planar == 0)     /* (integer graphs: modes 2..4) */ \
        DW_FEW_PIXELS(D)                                                                 \
    for (int32_t c = 0; c < oc; ++c, w += 9, ch += TD_OPT_CH) {                          \
        const int32_t ic = (dm == 1 ? c : c / dm) * cin;                                 \
        if (DW_MODE_IN(2) && ch[DW_MODE] == 2) {   /* int8, thresholds, zero point in pb */ \
            const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];         \
            const int32_t w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];                    \
            const uint32_t start = (uint32_t)ch[DW_START];                               \
            const uint32_t pm = (uint32_t)ch[3], pb = (uint32_t)ch[4];                   \
            const int32_t psh = ch[6], tl = ch[7];                                       \
            const uint32_t rng = (uint32_t)ch[8] - (uint32_t)tl;                         \
            int8_t *y = yrow + c * cout;                                                 \
            if (unit) {                 /* (sums from 0: chan words 9..11) */             \
                const uint32_t pb0 = (uint32_t)ch[9], tl0 = (uint32_t)ch[10];            \
                const uint32_t rng0 = (uint32_t)ch[11];                                  \
                DW_PIXEL_PAIRS(D, RB, DW_RQ_PUT0)                                        \
            } else {                                                                     \
                DW_PIXELS(D, DW_RQ_PUT2(y, acc))                                         \
            }                                                                            \
            continue;                                                                    \
        }                                                                                \
        if (!(DW_MODE_IN(0) && ch[DW_MODE] == 0) && !(DW_HAS_FORM(4) && ch[DW_MODE] == 4) \
            && !(DW_HAS_FORM(3) && ch[DW_MODE] >= 2)) {                                  \
            for (int32_t row = 0; DW_HAS_PATH(1) && row < nrows; ++row) {                \
                dw_channel_any(a, base + row * sh_rows, c, yrow + row * rowb * a->esize); \
            }                                                                            \
            continue;                                                                    \
        }                                                                                \
        {                                                                                \
            const int32_t w0 = w[0], w1 = w[1], w2 = w[2], w3 = w[3], w4 = w[4];         \
            const int32_t w5 = w[5], w6 = w[6], w7 = w[7], w8 = w[8];                    \
            const uint32_t start = (uint32_t)ch[DW_START];                               \
            int8_t *y = yrow + c * cout;                                                 \
            if (DW_MODE_IN(0) && ch[DW_MODE] == 0) {                                     \
                const uint32_t m4 = (uint32_t)ch[TD_CH_M4];                              \
                const int32_t cp = ch[TD_CH_CP], dn = ch[TD_CH_DN], sh = ch[TD_CH_SH];   \
                const int32_t tl = ch[TD_CH_TLH], th = ch[TD_CH_THH];                    \
                DW_PIXELS(D, TD_OPT_PUT(y, acc, tl, th, (int32_t)acc, m4, cp, dn, sh, lo, hi)) \
            } else if (DW_HAS_FORM(4) && ch[DW_MODE] == 4) {                             \
                const uint32_t pm = (uint32_t)ch[3], pb = (uint32_t)ch[4];               \
                const uint32_t pd = (uint32_t)ch[5], pr = (uint32_t)ch[10];              \
                const int32_t tl = ch[7], th = ch[8], rnd = a->rq_rounding;              \
                const int32_t qlo = a->rq_lo, qhi = a->rq_hi;                            \
                DW_PIXELS(D, TD_DIV_PUT(y, acc, tl, th, pm, pb, pd, pr, rnd, qlo, qhi, off2)) \
            } else if (DW_HAS_FORM(3)) {                                                 \
                const td_opt_rqp_t rq = {a->esize, a->rq_lo, a->rq_hi, a->output_offset,  \
                                         a->rq_fp32, a->rq_rounding, a->rq_mul2, a->gmul, \
                                         a->gadd, a->gdiv};                              \
                const int32_t es = a->esize;                                             \
                y = yrow + c * cout * es;                                                \
                DW_PIXELS_AT(D, dw_put_rq(y, (int32_t)acc, ch, &rq), ystep * es, rowb * es) \
            }                                                                            \
        }                                                                                \
    }                                                                                    \
}
#define DW_COMMA ,
DW_ROW3(dw_row3, int32_t d DW_COMMA, d, -1, 0)  /* (any step: no pairs, no channel-inner) */
#define DW_ROW3_D(D) DW_ROW3(dw_row3_##D, , D, 0, 0)
TD_DW_TAP_STEPS(DW_ROW3_D)
#define DW_ROW3_P(D) DW_ROW3(dw_row3p_##D, , D, 1, 0)
TD_DW_PAIR_STEPS(DW_ROW3_P)
/* NCHW layers' pixel pairs from rows RB bytes apart (dw_visit_rows stages a visit's rows
 * in order): one pointer, the other rows' bytes at immediate offsets. */
#define DW_ROW3_S(RB) DW_ROW3(dw_row3s_##RB, , 1, 1, RB)
TD_DW_PLANE_ROWS(DW_ROW3_S)

/* Output rows [oy, oy + nrows), all channels, from the staged input rows: base[j] is
 * the one of input row oy * stride_h - pad_top + j (column 0, channel 0). */
static void dw_rows(const td_depthwise_conv2d_s8_opt_args_t *a, const int8_t *const *base,
                    int8_t *yrow, int32_t nrows)
{
    if (a->k_h == 3 && a->k_w == 3) {
        if (a->stride_w == 1 && a->dilation_w == 1 && a->depth_multiplier == 1 &&
            a->px_out == a->px_in) {
            if (DW_HAS_PATH(5) && a->planar != 0 && a->dilation_h == 1) {
                switch (a->row_bytes) {   /* (NCHW: a visit's rows row_bytes apart) */
#define DW_SCASE(RB) case RB: dw_row3s_##RB(a, base, yrow, nrows); return;
                    TD_DW_PLANE_ROWS(DW_SCASE)
                default:
                    break;
                }
            }
            switch (a->px_in) {       /* pixel, input and output steps all one: pairs */
#define DW_PCASE(D) case D: dw_row3p_##D(a, base, yrow, nrows); return;
                TD_DW_PAIR_STEPS(DW_PCASE)
            default:
                break;
            }
        }
        switch (a->dilation_w * a->px_in) {
#define DW_CASE(D) case D: dw_row3_##D(a, base, yrow, nrows); return;
            TD_DW_TAP_STEPS(DW_CASE)
        default:
            if (DW_HAS_PATH(2)) dw_row3(a, base, a->dilation_w * a->px_in, yrow, nrows);
            return;
        }
    }
    for (int32_t row = 0; DW_HAS_PATH(1) && row < nrows; ++row) {
        for (int32_t c = 0; c < a->out_c; ++c) {
            dw_channel_any(a, base + row * a->stride_h, c, yrow + row * a->row_out * a->esize);
        }
    }
}

/* Ring slots for output rows [oy, oy + nrows) (staged where they hold another input
 * row); base[j]: input row oy * stride_h - pad_top + j, the padding row outside. */
static void dw_ring(const td_depthwise_conv2d_s8_opt_args_t *a, const int8_t *xb, int8_t *ring,
                    int32_t *held, int32_t oy, int32_t nrows, const int8_t **base)
{
    const int32_t rowb = a->row_bytes, nin = (nrows - 1) * a->stride_h + a->span;
    int8_t *const lead = ring + TD_DW_LEAD(a);     /* input columns from a word boundary */
    for (int32_t j = 0; j < nin; ++j) {
        const int32_t iy = oy * a->stride_h - a->pad_top + j;
        const int32_t s = ((iy % a->ring) + a->ring) % a->ring;
        base[j] = lead + a->ring * rowb;              /* the padding row: all zero point */
        if (iy < 0 || iy >= a->in_h) continue;
        base[j] = lead + s * rowb;
        if (held[s] != iy) {
            dw_stage(a, xb, iy, lead + s * rowb);
            held[s] = iy;
        }
    }
}

/* The whole layer (both kernels' entry). */
static void dw_run(const td_depthwise_conv2d_s8_opt_args_t *args, const int8_t *input,
                   void *output_, void *scratch, const td_team_t *team)
{
    int8_t *const output = (int8_t *)output_;
    const td_depthwise_conv2d_s8_opt_args_t *a = args;
    const int32_t in_size = a->in_h * a->in_w * a->in_c;
    const int32_t out_size = a->out_h * a->out_w * a->out_c * a->esize;
    const int32_t core = td_team_core(team), cores = td_team_cores(team);
    const int32_t per = cores * a->rows, rounds = (a->out_h + per - 1) / per;
    const int32_t row = a->row_out * a->esize;
    int8_t *const ring = (int8_t *)scratch + (size_t)core * (size_t)a->scratch_bytes;
    const int8_t zp = (int8_t)(-a->input_offset);
    int32_t held[TD_DW_RING];
    if (DW_HAS_PATH(5) && a->planar != 0)    /* (NCHW: every padding column, once) */
        dw_fill(ring, zp, a->ring * a->row_bytes);
    else
        dw_fill(ring + a->ring * a->row_bytes, zp, a->row_bytes);
    for (int32_t b = 0; b < a->batches; ++b) {
        for (int32_t s = 0; s < a->ring; ++s) held[s] = -1;
        for (int32_t round = 0; round < rounds; ++round) {
            const int32_t oy = round * per + core * a->rows;
            const int32_t n = TD_MIN(a->rows, a->out_h - oy);
            const int8_t *base[TD_DW_RING];
            if (n > 0 && DW_HAS_PATH(5) && a->planar != 0)
                dw_visit_rows(a, input + b * in_size, ring, oy, n, base);
            else if (n > 0)
                dw_ring(a, input + b * in_size, ring, held, oy, n, base);
            td_team_barrier(team);     /* every core staged its rows: writes may start */
            if (n > 0) dw_rows(a, base, output + b * out_size + oy * row, n);
        }
    }
}


#endif /* TD_OPT_DW_IMPL_H */
