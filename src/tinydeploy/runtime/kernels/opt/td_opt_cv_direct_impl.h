/* td_opt_cv_direct_impl.h - the body of the blocked direct integer convolutions
 * (td_conv2d_s16_rq_opt.h, td_conv2d_rq_direct_opt.h): one kernel per input element
 * type. Include once from a .c file after defining TD_CVD_T (the input element type); the
 * kernel calls td_cvd_run. The args struct is td_conv2d_s16_rq_opt_args_t for both.
 * Windows inside the input are read in place (k_h rows of k_w * in_c consecutive values),
 * others are staged into the scratch with pad_value at the padding taps. */
#ifndef TD_OPT_CV_DIRECT_IMPL_H
#define TD_OPT_CV_DIRECT_IMPL_H

#include "td_conv2d_s16_rq_opt.h"
#include "td_opt_config.h"
#include "td_opt_cv_direct_store.h"
#include "td_opt_rq.h"

/* One tap of a block: input values u (pixel 0) and v (pixel 1), weights w[0..3]. */
#define TD_CVD_TAP(u_, v_, w_)                                                            \
    do {                                                                                  \
        const int32_t u = (u_), v = (v_);                                                 \
        int32_t c = (w_)[0];                                                              \
        s0 += (uint32_t)(c * u);                                                          \
        s4 += (uint32_t)(c * v);                                                          \
        c = (w_)[1];                                                                      \
        s1 += (uint32_t)(c * u);                                                          \
        s5 += (uint32_t)(c * v);                                                          \
        c = (w_)[2];                                                                      \
        s2 += (uint32_t)(c * u);                                                          \
        s6 += (uint32_t)(c * v);                                                          \
        c = (w_)[3];                                                                      \
        s3 += (uint32_t)(c * u);                                                          \
        s7 += (uint32_t)(c * v);                                                          \
    } while (0)

/* Where one output pixel's window is read: k_h rows of k_w * in_c values from x, one row
 * `step` values after the other. */
typedef struct {
    const TD_CVD_T *x;
    int32_t step;
} td_cvd_src_t;

/* The sums of one block (4 channels x 2 pixels), added to acc[0..7] (channel r of pixel
 * 0 in acc[r], of pixel 1 in acc[4 + r]). */
static TD_OPT_NOINLINE void td_cvd_block(td_cvd_src_t p0, td_cvd_src_t p1, int32_t rows,
                                         int32_t len, const int8_t *w, uint32_t *acc)
{
    uint32_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
    uint32_t s4 = acc[4], s5 = acc[5], s6 = acc[6], s7 = acc[7];
    const int32_t len4 = len & ~3, tail = len & 3;
    const int32_t skip0 = p0.step - len, skip1 = p1.step - len;
    const TD_CVD_T *x = p0.x, *z = p1.x;
    for (int32_t r = rows; r > 0; --r) {     /* (x, z walk the rows: few live values) */
        const TD_CVD_T *const end4 = x + len4;
        while (x != end4) {
            TD_CVD_TAP(x[0], z[0], w);
            TD_CVD_TAP(x[1], z[1], w + 4);
            TD_CVD_TAP(x[2], z[2], w + 8);
            TD_CVD_TAP(x[3], z[3], w + 12);
            x += 4;
            z += 4;
            w += 16;
        }
        for (int32_t i = tail; i > 0; --i) {
            TD_CVD_TAP(x[0], z[0], w);
            x += 1;
            z += 1;
            w += 4;
        }
        x += skip0;
        z += skip1;
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
    acc[4] = s4;
    acc[5] = s5;
    acc[6] = s6;
    acc[7] = s7;
}

/* One tap of an 8-channel block: s<r> pixel 0, t<r> pixel 1 (w: the tap's 8 weights). */
#define TD_CVD_M2(j)                                                                      \
    c = wp[j];                                                                            \
    s##j += (uint32_t)(c * u);                                                            \
    t##j += (uint32_t)(c * v);
#define TD_CVD_TAP8(u_, v_, w_)                                                           \
    do {                                                                                  \
        const int32_t u = (u_), v = (v_);                                                 \
        const int8_t *const wp = (w_);                                                    \
        int32_t c;                                                                        \
        TD_CVD_M2(0) TD_CVD_M2(1) TD_CVD_M2(2) TD_CVD_M2(3)                              \
        TD_CVD_M2(4) TD_CVD_M2(5) TD_CVD_M2(6) TD_CVD_M2(7)                              \
    } while (0)

/* td_cvd_block for 8 channels (acc[r] pixel 0, acc[8 + r] pixel 1): 16 sums in
 * registers, two taps per turn (four would make GCC spill). */
static TD_OPT_NOINLINE void td_cvd_block8(td_cvd_src_t p0, td_cvd_src_t p1, int32_t rows,
                                          int32_t len, const int8_t *w, uint32_t *acc)
{
    uint32_t s0 = acc[0], s1 = acc[1], s2 = acc[2], s3 = acc[3];
    uint32_t s4 = acc[4], s5 = acc[5], s6 = acc[6], s7 = acc[7];
    uint32_t t0 = acc[8], t1 = acc[9], t2 = acc[10], t3 = acc[11];
    uint32_t t4 = acc[12], t5 = acc[13], t6 = acc[14], t7 = acc[15];
    for (int32_t r = 0; r < rows; ++r) {
        const TD_CVD_T *x = p0.x + r * p0.step, *z = p1.x + r * p1.step;
        const TD_CVD_T *const end2 = x + (len & ~1);
        while (x != end2) {
            TD_CVD_TAP8(x[0], z[0], w);
            TD_CVD_TAP8(x[1], z[1], w + 8);
            x += 2;
            z += 2;
            w += 16;
        }
        if (len & 1) {
            TD_CVD_TAP8(x[0], z[0], w);
            w += 8;
        }
    }
    acc[0] = s0;
    acc[1] = s1;
    acc[2] = s2;
    acc[3] = s3;
    acc[4] = s4;
    acc[5] = s5;
    acc[6] = s6;
    acc[7] = s7;
    acc[8] = t0;
    acc[9] = t1;
    acc[10] = t2;
    acc[11] = t3;
    acc[12] = t4;
    acc[13] = t5;
    acc[14] = t6;
    acc[15] = t7;
}

/* One tap of the 4-pixel block: input values of pixels 0..3 at x0..x3[i], weights w_[0..3]
 * (TD_CVD_Q1: td_opt_cv_direct_store.h). */
#define TD_CVD_TAPQ(i, w_)                                                                \
    do {                                                                                  \
        const int32_t a0 = x0[i], a1 = x1[i], a2 = x2[i], a3 = x3[i];                     \
        TD_CVD_Q4(w_);                                                                    \
    } while (0)

/* The sums of one block of 4 channels x 4 pixels (layers of at most 4 output channels)
 * into acc[0..15] (channel r of pixel i in acc[4 * i + r]), each starting at its channel's
 * word 0 (ch: TD_OPT_CH words per channel): per tap 4 input loads, 4 weight loads and 16
 * multiply-adds; the four windows walk their rows together. */
static TD_OPT_NOINLINE void td_cvd_block4x4(const td_cvd_src_t *src, int32_t rows,
                                            int32_t len, const int8_t *w, const int32_t *ch,
                                            uint32_t *acc)
{
    TD_CVD_SUMS16(ch);
    for (int32_t r = 0; r < rows; ++r) {
        const TD_CVD_T *x0 = src[0].x + r * src[0].step, *x1 = src[1].x + r * src[1].step;
        const TD_CVD_T *x2 = src[2].x + r * src[2].step, *x3 = src[3].x + r * src[3].step;
        for (int32_t n = len >> 2; n != 0; --n) {
            TD_CVD_TAPQ(0, w);
            TD_CVD_TAPQ(1, w + 4);
            TD_CVD_TAPQ(2, w + 8);
            TD_CVD_TAPQ(3, w + 12);
            x0 += 4;
            x1 += 4;
            x2 += 4;
            x3 += 4;
            w += 16;
        }
        if (len & 2) {
            TD_CVD_TAPQ(0, w);
            TD_CVD_TAPQ(1, w + 4);
            x0 += 2;
            x1 += 2;
            x2 += 2;
            x3 += 2;
            w += 8;
        }
        if (len & 1) {
            TD_CVD_TAPQ(0, w);
            w += 4;
        }
    }
    TD_CVD_PUT16(acc);
}

/* Output pixel (b, oy, ox)'s window: in place when it lies inside the input, else
 * staged into col with the padding taps at pad_value. */
static td_cvd_src_t td_cvd_window(const td_conv2d_s16_rq_opt_args_t *a, const TD_CVD_T *input,
                                  int32_t b, int32_t oy, int32_t ox, TD_CVD_T *col)
{
    const int32_t iy0 = oy * a->stride_h - a->pad_top, ix0 = ox * a->stride_w - a->pad_left;
    const int32_t c = a->in_c, pad = a->pad_value;
    td_cvd_src_t s;
    if (a->dilation_w == 1 && iy0 >= 0 && ix0 >= 0
        && iy0 + (a->k_h - 1) * a->dilation_h < a->in_h && ix0 + a->k_w <= a->in_w) {
        s.x = input + ((b * a->in_h + iy0) * a->in_w + ix0) * c;
        s.step = a->dilation_h * a->in_w * c;
        return s;
    }
    for (int32_t ky = 0; ky < a->k_h; ++ky) {
        const int32_t iy = iy0 + ky * a->dilation_h;
        if (a->dilation_w == 1) {          /* a row: padding, the inside run, padding */
            const int32_t len = a->k_w * c;
            TD_CVD_T *d = col + ky * len;
            int32_t lo = 0, hi = 0, i = 0;  /* the inside taps' values: [lo, hi) */
            const TD_CVD_T *src = input;
            if (iy >= 0 && iy < a->in_h) {
                lo = (ix0 < 0 ? -ix0 : 0) * c;
                hi = (ix0 + a->k_w > a->in_w ? a->in_w - ix0 : a->k_w) * c;
                if (hi < lo) hi = lo;
                src = input + ((b * a->in_h + iy) * a->in_w + ix0) * c + lo;
            }
            for (; i < lo; ++i) d[i] = (TD_CVD_T)pad;
            for (; i < hi; ++i) d[i] = *src++;
            for (; i < len; ++i) d[i] = (TD_CVD_T)pad;
            continue;
        }
        for (int32_t kx = 0; kx < a->k_w; ++kx) {
            const int32_t ix = ix0 + kx * a->dilation_w;
            TD_CVD_T *d = col + (ky * a->k_w + kx) * c;
            if (iy < 0 || iy >= a->in_h || ix < 0 || ix >= a->in_w) {
                for (int32_t i = 0; i < c; ++i) d[i] = (TD_CVD_T)pad;
            } else {
                const TD_CVD_T *src = input + ((b * a->in_h + iy) * a->in_w + ix) * c;
                for (int32_t i = 0; i < c; ++i) d[i] = src[i];
            }
        }
    }
    s.x = col;
    s.step = a->k_w * c;
    return s;
}

/* The outputs whose windows lie inside the input (read in place): rows [y0, y1) and
 * columns [x0, x1); per output row, the input offset of its column 0's window (which may
 * lie outside the input: only columns in [x0, x1) use it, sx values apart). */
typedef struct {
    int32_t y0, y1, x0, x1, sx, vstep, row, inrow;
} td_cvd_in_t;

/* First in-range index of out positions o with o * s - p >= 0, and the end of those with
 * o * s - p + span <= n (span: the window's extent), both within [0, out). */
static inline void td_cvd_inside(int32_t out, int32_t s, int32_t p, int32_t span, int32_t n,
                                 int32_t *lo, int32_t *hi)
{
    const int32_t last = n - span + p;          /* o * s <= last */
    *lo = p > 0 ? (p + s - 1) / s : 0;
    *hi = last >= 0 ? last / s + 1 : 0;
    if (*hi > out) *hi = out;
    if (*lo > *hi) *lo = *hi;
}

static inline void td_cvd_in_init(const td_conv2d_s16_rq_opt_args_t *a, td_cvd_in_t *in)
{
    td_cvd_inside(a->out_h, a->stride_h, a->pad_top, (a->k_h - 1) * a->dilation_h + 1,
                  a->in_h, &in->y0, &in->y1);
    td_cvd_inside(a->out_w, a->stride_w, a->pad_left, a->k_w, a->in_w, &in->x0, &in->x1);
    if (a->dilation_w != 1) in->x1 = in->x0;
    in->sx = a->stride_w * a->in_c;
    in->vstep = a->dilation_h * a->in_w * a->in_c;
}

/* Output row (b, oy) starts: its offset and whether its windows' rows are inside. */
static inline void td_cvd_in_row(const td_conv2d_s16_rq_opt_args_t *a, td_cvd_in_t *in,
                                 int32_t b, int32_t oy)
{
    in->inrow = oy >= in->y0 && oy < in->y1;
    in->row = ((b * a->in_h + oy * a->stride_h - a->pad_top) * a->in_w - a->pad_left)
              * a->in_c;
}

/* After the last pixel of output row (b, oy): the next row's first pixel. */
static inline void td_cvd_next_row(const td_conv2d_s16_rq_opt_args_t *a, td_cvd_in_t *in,
                                   int32_t *b, int32_t *oy, int32_t *ox)
{
    *ox = 0;
    if (++*oy == a->out_h) {
        *oy = 0;
        ++*b;
    }
    td_cvd_in_row(a, in, *b, *oy);
}

/* Layers of at most 4 output channels (n8 = 0): groups of 4 output pixels, one
 * td_cvd_block4x4 each (windows staged in col slots 0..3); else pairs of pixels. */
static void td_cvd_run(const td_conv2d_s16_rq_opt_args_t *args, const TD_CVD_T *input,
                       void *output, void *scratch, const td_team_t *team)
{
    const td_conv2d_s16_rq_opt_args_t *a = args;
    const int32_t npix = a->out_h * a->out_w, total = a->batches * npix;
    const int32_t len = a->k_w * a->in_c, quad = a->n8 == 0, P = quad ? 4 : 2;
    TD_CVD_T *const col = (TD_CVD_T *)(void *)((uint8_t *)scratch
                                             + (size_t)td_team_core(team)
                                               * (size_t)a->scratch_bytes);
    const td_opt_rqp_t q = {a->esize, a->rq_lo, a->rq_hi, a->output_offset, a->rq_fp32,
                            a->rq_rounding, a->rq_mul2, a->gmul, a->gadd, a->gdiv};
    int32_t r0, r1, b, oy, ox;
    td_cvd_in_t in;
    td_team_range((total + P - 1) / P, td_team_cores(team), td_team_core(team), &r0, &r1);
    b = (P * r0) / npix;
    oy = ((P * r0) % npix) / a->out_w;
    ox = (P * r0) % a->out_w;
    int32_t inl = a->esize == 1;         /* int8 outputs, every channel inline: store8 */
    for (int32_t c = 0; c < a->out_c; ++c) inl = inl && a->chan[c * TD_OPT_CH + 1] == 1;
    td_cvd_in_init(a, &in);
    td_cvd_in_row(a, &in, b, oy);
    for (int32_t p = P * r0; p < P * r1 && p < total; p += P) {
        const int32_t npx = total - p < P ? total - p : P;
        td_cvd_src_t w[4];
        uint8_t *const y = (uint8_t *)output + (size_t)p * (size_t)(a->out_c * a->esize);
        if (npx == P && in.inrow && ox >= in.x0 && ox + P <= in.x1) {
            int32_t at = in.row + ox * in.sx;                 /* a whole group in place */
            for (int32_t i = 0; i < P; ++i, at += in.sx) {
                w[i].x = input + at;
                w[i].step = in.vstep;
            }
            ox += P;
            if (ox == a->out_w) td_cvd_next_row(a, &in, &b, &oy, &ox);
        } else {
            for (int32_t i = 0; i < P; ++i) {
                if (i < npx) {
                    if (in.inrow && ox >= in.x0 && ox < in.x1) {   /* in place, no call */
                        w[i].x = input + (in.row + ox * in.sx);
                        w[i].step = in.vstep;
                    } else {
                        w[i] = td_cvd_window(a, input, b, oy, ox, col + i * a->k);
                    }
                    if (++ox == a->out_w) td_cvd_next_row(a, &in, &b, &oy, &ox);
                } else {
                    w[i] = w[0];        /* a last group's missing pixels: computed, not stored */
                }
            }
        }
        for (int32_t blk = 0, oc = 0; blk < a->n8 + a->n4; ++blk) {
            const int32_t nr = blk < a->n8 ? 8 : 4;
            const int32_t *ch = a->chan + oc * TD_OPT_CH;
            const int32_t valid = a->out_c - oc < nr ? a->out_c - oc : nr;
            const int8_t *const wt = a->wts + (size_t)oc * (size_t)a->k;
            uint32_t acc[16];
            if (quad) {
                if (TD_CVD_ON(1)) td_cvd_block4x4(w, a->k_h, len, wt, ch, acc);
            } else {
                for (int32_t r = 0; r < nr; ++r) {
                    acc[r] = (uint32_t)ch[r * TD_OPT_CH];
                    for (int32_t i = 1; i < 16 / nr; ++i) acc[nr * i + r] = acc[r];
                }
                if (TD_CVD_ON(2) && nr == 8) td_cvd_block8(w[0], w[1], a->k_h, len, wt, acc);
                else if (TD_CVD_ON(3)) td_cvd_block(w[0], w[1], a->k_h, len, wt, acc);
            }
            if (TD_CVD_ON(4) && inl)
                td_cvd_store8(acc, nr, ch, valid, npx, (int8_t *)(y + oc), a->out_c,
                              q.lo + q.off, q.hi + q.off, q.off);
            else if (TD_CVD_ON(5))
                td_cvd_store(&q, acc, nr, ch, valid, npx, y + oc * a->esize,
                             a->out_c * a->esize);
            oc += nr;
        }
    }
}

#endif /* TD_OPT_CV_DIRECT_IMPL_H */
