/* td_max_pool2d_s8_opt.c - see td_max_pool2d_s8_opt.h. */
#include "td_max_pool2d_s8_opt.h"

/* m = max(m, x) (a compare and, when x wins, a move). */
#define MP_MAX(m, x)                                                                     \
    do {                                                                                 \
        const int32_t x_ = (x);                                                          \
        if (x_ > (m)) (m) = x_;                                                          \
    } while (0)

/* Channel k of a 2x2 window: p0/p1 the top row's two pixels, q0/q1 the bottom row's. */
#define MP_2X2(k)                                                                        \
    do {                                                                                 \
        int32_t m_ = p0[k];                                                              \
        MP_MAX(m_, p1[k]);                                                               \
        MP_MAX(m_, q0[k]);                                                               \
        MP_MAX(m_, q1[k]);                                                               \
        y[k] = (int8_t)m_;                                                               \
    } while (0)

/* One output pixel of a 2x2 window inside the input (no clamp: act_min/act_max the int8
 * range): p its top-left element, rs the input row's bytes, c the channels. */
static inline void mp_2x2(const int8_t *p, int32_t rs, int32_t c, int8_t *y)
{
    const int8_t *p0 = p, *p1 = p + c, *q0 = p + rs, *q1 = p + rs + c;
    int32_t n = c;
    for (; n >= 4; n -= 4, p0 += 4, p1 += 4, q0 += 4, q1 += 4, y += 4) {
        MP_2X2(0);
        MP_2X2(1);
        MP_2X2(2);
        MP_2X2(3);
    }
    for (; n > 0; --n, ++p0, ++p1, ++q0, ++q1, ++y) MP_2X2(0);
}

/* npix output pixels of any window of nh x nw elements, the first at p, the next pstep
 * bytes on (rs bytes per input row); the maxima start at lo (the low clamp for free), the
 * high clamp costs a compare per output (one copy serves both clamp cases). */
TD_OPT_NOINLINE static void mp_run(const int8_t *p, int32_t nh, int32_t nw, int32_t rs,
                                   int32_t c, int8_t *y, int32_t lo, int32_t hi,
                                   int32_t npix, int32_t pstep)
{
    const int32_t step = rs - nw * c;          /* from a window row's end to the next */
    for (; npix > 0; --npix, p += pstep) {
        const int8_t *q = p;
        int32_t n = c;
        for (; n >= 4; n -= 4, q += 4, y += 4) {
            int32_t m0 = lo, m1 = lo, m2 = lo, m3 = lo;
            const int8_t *e = q;
            for (int32_t ky = 0; ky < nh; ++ky, e += step) {
                for (int32_t kx = 0; kx < nw; ++kx, e += c) {
                    MP_MAX(m0, e[0]);
                    MP_MAX(m1, e[1]);
                    MP_MAX(m2, e[2]);
                    MP_MAX(m3, e[3]);
                }
            }
            y[0] = (int8_t)TD_MIN(m0, hi);
            y[1] = (int8_t)TD_MIN(m1, hi);
            y[2] = (int8_t)TD_MIN(m2, hi);
            y[3] = (int8_t)TD_MIN(m3, hi);
        }
        for (; n > 0; --n, ++q, ++y) {
            int32_t m = lo;
            const int8_t *e = q;
            for (int32_t ky = 0; ky < nh; ++ky, e += step) {
                for (int32_t kx = 0; kx < nw; ++kx, e += c) MP_MAX(m, e[0]);
            }
            *y = (int8_t)TD_MIN(m, hi);
        }
    }
}

/* Output pixel ox of a row (window rows from img, nh of them), clipped to the input. */
static void mp_edge(const td_max_pool2d_s8_opt_args_t *a, const int8_t *img, int32_t nh,
                    int32_t ox, int8_t *y)
{
    const int32_t c = a->channels, x_org = ox * a->stride_w - a->pad_left;
    const int32_t x0 = TD_MAX(0, x_org), x1 = TD_MIN(a->in_w, x_org + a->kernel_w);
    mp_run(img + (size_t)x0 * (size_t)c, nh, x1 - x0, a->in_w * c, c, y + (size_t)ox * c,
           a->act_min, a->act_max, 1, 0);
}

/* Output rows [r0, r1) (over the batches): per row, the pixels whose windows lie inside
 * the input columns in one run, the clipped ones at either end one by one. */
static void mp_rows(const td_max_pool2d_s8_opt_args_t *a, const int8_t *input, int8_t *output,
                    int32_t r0, int32_t r1)
{
    const int32_t c = a->channels, rs = a->in_w * c, lo = a->act_min, hi = a->act_max;
    const int32_t sw = a->stride_w, kw = a->kernel_w, pl = a->pad_left, ow = a->out_w;
    const int full = lo == INT8_MIN && hi == INT8_MAX;     /* no clamp: 2x2 windows inline */
    const int32_t room = a->in_w - kw + pl;        /* window origin (+ pl) fits up to it */
    const int32_t ox_a = TD_MIN(ow, (pl + sw - 1) / sw);
    const int32_t ox_b = TD_MAX(ox_a, room < 0 ? 0 : TD_MIN(ow, room / sw + 1));
    for (int32_t r = r0; r < r1; ++r) {
        const int32_t b = r / a->out_h, oy = r - b * a->out_h;
        const int32_t y_org = oy * a->stride_h - a->pad_top;
        const int32_t y0 = TD_MAX(0, y_org), y1 = TD_MIN(a->in_h, y_org + a->kernel_h);
        const int8_t *img = input + ((size_t)b * a->in_h + (size_t)y0) * (size_t)rs;
        int8_t *const yr = output + (size_t)r * (size_t)ow * (size_t)c;
        for (int32_t ox = 0; ox < ox_a; ++ox) mp_edge(a, img, y1 - y0, ox, yr);
        if (ox_b > ox_a) {                 /* (then ox_a's window starts inside the row) */
            const int8_t *p = img + (size_t)(ox_a * sw - pl) * (size_t)c;
            int8_t *y = yr + (size_t)ox_a * (size_t)c;
            if (full && y1 - y0 == 2 && kw == 2) {
                for (int32_t ox = ox_a; ox < ox_b; ++ox, p += sw * c, y += c) {
                    mp_2x2(p, rs, c, y);
                }
            } else {
                mp_run(p, y1 - y0, kw, rs, c, y, lo, hi, ox_b - ox_a, sw * c);
            }
        }
        for (int32_t ox = ox_b; ox < ow; ++ox) mp_edge(a, img, y1 - y0, ox, yr);
    }
}

void td_max_pool2d_s8_opt(const td_max_pool2d_s8_opt_args_t *args, const int8_t *input,
                          int8_t *output, void *scratch, const td_team_t *team)
{
    int32_t r0, r1;
    (void)scratch;
    td_team_range(args->batches * args->out_h, td_team_cores(team), td_team_core(team), &r0,
                  &r1);
    mp_rows(args, input, output, r0, r1);
}
