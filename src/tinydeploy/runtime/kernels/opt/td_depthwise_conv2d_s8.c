/* td_depthwise_conv2d_s8.c - int8 depthwise convolution optimized for RV32IMC (same
 * results as the reference kernels/td_depthwise_conv2d_s8.c for every input; see
 * td_opt_common.h for the pixel-pair words and the fast requantization).
 *
 * Output pixels are paired: (oy, ox) with (oy + dy, ox + dx), (dy, dx) = half the output
 * height (or half the width for a single output row). For a chunk of input channels and a
 * tile of output rows, planes of pair words (one per channel, row stride S = 8, 16, 32 or
 * 64 words) hold the two inputs each tap of such a pair reads, with the zero point in the
 * padding; the planes are filled channel-innermost so the padding logic runs once per
 * position, not per channel. Then each tap is one load and 4 instructions for 2 MACs;
 * the 3x3 (dilation 1) case keeps the 9 weights in registers and reads the plane with
 * constant offsets. Layers that do not fit the buffer, or whose weights could overflow
 * a low lane, take plain loops (same results, slower).
 *
 * Static scratch: 4 * TD_OPT_DW_WORDS bytes (8 KiB).
 */
#include "../td_depthwise_conv2d_s8.h"

#include "../td_common.h"
#include "td_opt_common.h"

#ifndef TD_OPT_DW_WORDS
#define TD_OPT_DW_WORDS 2048     /* plane buffer, 32-bit words (8 KiB) */
#endif

static int32_t g_plane[TD_OPT_DW_WORDS];

typedef struct {
    int32_t dy, dx;        /* pair partner offset in output pixels */
    int32_t ny, nx;        /* first pixels of pairs: rows [0, ny), columns [0, nx) */
    int32_t cols, s;       /* plane width and row stride (words) */
    int32_t tile;          /* output rows per plane */
    int32_t cc;            /* channels per plane chunk */
    int32_t ps;            /* words per channel plane */
} dw_plan_t;

/* One output channel: constants and weights * 256 ([k_h * k_w]). */
typedef struct {
    td_opt_chan_t q;
    int32_t fast;          /* fast requantization is exact */
    int32_t oc;
    int16_t w[256];
} dw_chan_t;

/* ---- planes ---------------------------------------------------------------------- */

/* Planes of channels [c0, c0 + cc) for output rows from oy0, `rows` plane rows:
 * plane_k[r][j] = pair(x(iy, ix), x(iy + dy*stride_h, ix + dx*stride_w)), channel c0 + k,
 * iy = oy0*stride_h - pad_top + r, ix = j - pad_left; the zero point outside the input. */
TD_OPT_NOINLINE static void dw_fill(const td_depthwise_conv2d_s8_args_t *a, const dw_plan_t *pl,
                                    const int8_t *xb, int32_t c0, int32_t cc, int32_t oy0,
                                    int32_t rows)
{
    const int32_t ey = pl->dy * a->stride_h, ex = pl->dx * a->stride_w, ic = a->in_c;
    const int32_t zp = -a->input_offset, ps = pl->ps;
    for (int32_t r = 0; r < rows; ++r) {
        const int32_t iy = oy0 * a->stride_h - a->pad_top + r;
        const int aok = iy >= 0 && iy < a->in_h, bok = iy + ey >= 0 && iy + ey < a->in_h;
        for (int32_t j = 0; j < pl->cols; ++j) {
            const int32_t ix = j - a->pad_left;
            const int in_a = aok && ix >= 0 && ix < a->in_w;
            const int in_b = bok && ix + ex >= 0 && ix + ex < a->in_w;
            const int8_t *pa = in_a ? xb + (iy * a->in_w + ix) * ic + c0 : NULL;
            const int8_t *pb = in_b ? xb + ((iy + ey) * a->in_w + ix + ex) * ic + c0 : NULL;
            int32_t *d = g_plane + r * pl->s + j;
            const int32_t *end = d + cc * ps;
            if (pa != NULL && pb != NULL) {
                if (cc & 1) {
                    *d = td_opt_pair(*pa++, *pb++);
                    d += ps;
                }
                for (; d != end; d += 2 * ps, pa += 2, pb += 2) {
                    d[0] = td_opt_pair(pa[0], pb[0]);
                    d[ps] = td_opt_pair(pa[1], pb[1]);
                }
            } else if (pa != NULL) {
                for (; d != end; d += ps) *d = td_opt_pair(*pa++, zp);
            } else if (pb != NULL) {
                for (; d != end; d += ps) *d = td_opt_pair(zp, *pb++);
            } else {
                for (; d != end; d += ps) *d = td_opt_pair(zp, zp);
            }
        }
    }
}

/* ---- per-channel row loops ------------------------------------------------------- */

typedef struct {
    const int32_t *plane;  /* the channel's plane, row 0 = output row oy0 */
    int8_t *y;             /* output of (oy0, 0) for this channel */
    int32_t rows;          /* output rows of first pixels */
    int32_t nxb_row;       /* pairs per row with a second pixel (rows before oyb) */
    int32_t oyb;           /* rows (relative) with a partner row */
} dw_job_t;

#define DW_TAP(t, off) (lo += td_opt_mul(w##t, p[off]), hi += td_opt_mulh(w##t, p[off]))

/* One pair of 3x3 outputs at plane position p (row stride S): 9 loads, 36 mul/adds. */
#define DW_PAIR3(S, store_b) {                                                           \
    uint32_t lo = 0, hi = hi_init;                                                       \
    DW_TAP(0, 0); DW_TAP(1, 1); DW_TAP(2, 2);                                            \
    DW_TAP(3, S); DW_TAP(4, S + 1); DW_TAP(5, S + 2);                                    \
    DW_TAP(6, 2 * S); DW_TAP(7, 2 * S + 1); DW_TAP(8, 2 * S + 2);                        \
    {                                                                                    \
        const int32_t va = (int32_t)((uint32_t)((int32_t)lo >> 8) + lo_adj);             \
        const int32_t ra = td_opt_rq(va, m4, cp, dn, sh);                                \
        const int32_t rb = td_opt_rq((int32_t)hi, m4, cp, dn, sh);                       \
        td_opt_store(ya, ra, clo, range);                                                \
        if (store_b) td_opt_store(ya + pstep, rb, clo, range);                           \
    }                                                                                    \
    p += sw;                                                                             \
    ya += step; }

/* 3x3, dilation 1, fast requantization, plane row stride S. All constants are loaded
 * before the loops (int8_t stores alias everything). */
#define DW_ROWS3(S)                                                                      \
TD_OPT_NOINLINE static void dw_rows3_##S(const td_depthwise_conv2d_s8_args_t *a,         \
                                         const dw_plan_t *pl, const dw_chan_t *ch,       \
                                         const dw_job_t *job)                            \
{                                                                                        \
    const int32_t w0 = ch->w[0], w1 = ch->w[1], w2 = ch->w[2], w3 = ch->w[3];            \
    const int32_t w4 = ch->w[4], w5 = ch->w[5], w6 = ch->w[6], w7 = ch->w[7];            \
    const int32_t w8 = ch->w[8];                                                         \
    const uint32_t m4 = ch->q.m4, hi_init = (uint32_t)ch->q.hi_init;                     \
    const uint32_t lo_adj = (uint32_t)ch->q.lo_adj;                                      \
    const int32_t cp = ch->q.c_pos, dn = ch->q.d_neg, sh = ch->q.sh;                     \
    const int32_t clo = a->act_min, nx = pl->nx;                                         \
    const uint32_t range = (uint32_t)(a->act_max - a->act_min);                          \
    const int32_t sw = a->stride_w, step = a->out_c, ystep = a->out_w * a->out_c;        \
    const int32_t pstep = (pl->dy * a->out_w + pl->dx) * step;                           \
    const int32_t prow = a->stride_h * (S), nxb_row = job->nxb_row, oyb = job->oyb;      \
    const int32_t *prow0 = job->plane;                                                   \
    int8_t *yrow = job->y;                                                               \
    for (int32_t oy = 0; oy < job->rows; ++oy, prow0 += prow, yrow += ystep) {          \
        const int32_t nxb = oy < oyb ? nxb_row : 0;                                      \
        const int32_t *p = prow0;                                                        \
        int8_t *ya = yrow;                                                               \
        int32_t ox = 0;                                                                  \
        for (; ox < nxb; ++ox) DW_PAIR3(S, 1)                                            \
        for (; ox < nx; ++ox) DW_PAIR3(S, 0)                                             \
    }                                                                                    \
}
DW_ROWS3(8)
DW_ROWS3(16)
DW_ROWS3(32)
DW_ROWS3(64)

/* Any kernel and requantization, plane row stride pl->s. */
static void dw_rows_any(const td_depthwise_conv2d_s8_args_t *a, const dw_plan_t *pl,
                        const dw_chan_t *ch, const dw_job_t *job)
{
    const int32_t step = a->out_c, pstep = (pl->dy * a->out_w + pl->dx) * step;
    for (int32_t oy = 0; oy < job->rows; ++oy) {
        for (int32_t ox = 0; ox < pl->nx; ++ox) {
            const int32_t *p = job->plane + oy * a->stride_h * pl->s + ox * a->stride_w;
            int8_t *ya = job->y + (oy * a->out_w + ox) * step;
            const int has_b = oy < job->oyb && ox < job->nxb_row;
            uint32_t lo = 0, hi = (uint32_t)ch->q.hi_init;
            int32_t va, vb;
            for (int32_t ky = 0; ky < a->k_h; ++ky) {
                const int32_t *pr = p + ky * a->dilation_h * pl->s;
                for (int32_t kx = 0; kx < a->k_w; ++kx) {
                    const int32_t w = ch->w[ky * a->k_w + kx], x = pr[kx * a->dilation_w];
                    lo += td_opt_mul(w, x);
                    hi += td_opt_mulh(w, x);
                }
            }
            va = (int32_t)((uint32_t)((int32_t)lo >> 8) + (uint32_t)ch->q.lo_adj);
            vb = (int32_t)hi;
            if (ch->fast) {
                va = td_opt_rq(va, ch->q.m4, ch->q.c_pos, ch->q.d_neg, ch->q.sh);
                vb = td_opt_rq(vb, ch->q.m4, ch->q.c_pos, ch->q.d_neg, ch->q.sh);
            } else {
                va = td_opt_rq_slow(va, &ch->q, a->output_offset);
                vb = td_opt_rq_slow(vb, &ch->q, a->output_offset);
            }
            *ya = td_opt_sat(va, a->act_min, a->act_max);
            if (has_b) ya[pstep] = td_opt_sat(vb, a->act_min, a->act_max);
        }
    }
}

/* Channel constants and weights * 256. Returns 0 if a low lane could overflow. */
static int dw_prepare_channel(const td_depthwise_conv2d_s8_args_t *a, const int8_t *weight,
                              const int32_t *bias, int32_t oc, dw_chan_t *ch)
{
    const int32_t taps = a->k_h * a->k_w, b = bias != NULL ? bias[oc] : 0;
    const int64_t xmax = td_opt_xmax(a->input_offset);
    const int8_t *w = weight + oc;
    int32_t sum = 0, neg = 0, sum_abs = 128 * taps;   /* exact sum |w| only if needed */
    for (int32_t t = 0; t < taps; ++t, w += a->out_c) {
        const int32_t v = *w;
        ch->w[t] = (int16_t)(v * 256);
        sum += v;
        neg += (int32_t)((uint32_t)v >> 31);
    }
    if (sum_abs >= 32768 || td_opt_abs64(b) + sum_abs * xmax >= (1 << 29)) {
        sum_abs = 0;
        for (int32_t t = 0; t < taps; ++t) sum_abs += (ch->w[t] < 0 ? -ch->w[t] : ch->w[t]) / 256;
    }
    ch->oc = oc;
    ch->q.hi_init = (int32_t)((uint32_t)b + (uint32_t)a->input_offset * (uint32_t)sum
                              + (uint32_t)neg);
    ch->q.lo_adj = (int32_t)((uint32_t)b + (uint32_t)(a->input_offset - 129) * (uint32_t)sum);
    ch->fast = td_opt_chan_requant(&ch->q, a->out_mult[oc], a->out_shift[oc], a->output_offset,
                                   td_opt_abs64(b) + (int64_t)sum_abs * xmax);
    return sum_abs < 32768;
}

/* ---- plain loops ----------------------------------------------------------------- */

/* Output channel oc, output rows [oy0, oy1) of one batch, like the reference. */
static void dw_plain(const td_depthwise_conv2d_s8_args_t *a, const int8_t *xb,
                     const int8_t *weight, const int32_t *bias, int8_t *yb, int32_t oc,
                     int32_t oy0, int32_t oy1)
{
    const int32_t ic = oc / a->depth_multiplier;
    for (int32_t oy = oy0; oy < oy1; ++oy) {
        for (int32_t ox = 0; ox < a->out_w; ++ox) {
            uint32_t acc = bias != NULL ? (uint32_t)bias[oc] : 0u;
            int32_t v;
            for (int32_t ky = 0; ky < a->k_h; ++ky) {
                const int32_t iy = oy * a->stride_h - a->pad_top + ky * a->dilation_h;
                if (iy < 0 || iy >= a->in_h) continue;
                for (int32_t kx = 0; kx < a->k_w; ++kx) {
                    const int32_t ix = ox * a->stride_w - a->pad_left + kx * a->dilation_w;
                    if (ix < 0 || ix >= a->in_w) continue;
                    acc += (uint32_t)(weight[(ky * a->k_w + kx) * a->out_c + oc]
                                      * (xb[(iy * a->in_w + ix) * a->in_c + ic]
                                         + a->input_offset));
                }
            }
            v = td_requant((int32_t)acc, a->out_mult[oc], a->out_shift[oc]);
            v = (int32_t)((uint32_t)v + (uint32_t)a->output_offset);
            yb[(oy * a->out_w + ox) * a->out_c + oc] = td_opt_sat(v, a->act_min, a->act_max);
        }
    }
}

/* ---- driver ---------------------------------------------------------------------- */

static int32_t dw_plane_rows(const td_depthwise_conv2d_s8_args_t *a, int32_t out_rows)
{
    return (out_rows - 1) * a->stride_h + (a->k_h - 1) * a->dilation_h + 1;
}

/* Pairing, plane stride, row tiles and channel chunks; 0 if the buffer cannot hold it. */
static int dw_make_plan(const td_depthwise_conv2d_s8_args_t *a, dw_plan_t *pl)
{
    int32_t want_cc = TD_MIN(a->in_c, 4);
    if (a->out_h >= 2) {
        pl->dy = (a->out_h + 1) / 2;
        pl->dx = 0;
        pl->ny = pl->dy;
        pl->nx = a->out_w;
    } else {
        pl->dy = 0;
        pl->dx = (a->out_w + 1) / 2;
        pl->ny = a->out_h;
        pl->nx = pl->dx;
    }
    pl->cols = (pl->nx - 1) * a->stride_w + (a->k_w - 1) * a->dilation_w + 1;
    for (pl->s = 8; pl->s < pl->cols; pl->s *= 2) continue;
    if (pl->s > 64 || a->k_h * a->k_w > 256) return 0;
    pl->tile = pl->ny;
    while (pl->tile > 1 && dw_plane_rows(a, pl->tile) * pl->s * want_cc > TD_OPT_DW_WORDS) {
        pl->tile = (pl->tile + 1) / 2;
    }
    pl->ps = dw_plane_rows(a, pl->tile) * pl->s;
    pl->cc = TD_MIN(a->in_c, TD_OPT_DW_WORDS / pl->ps);
    return pl->cc >= 1;
}

/* Every output channel reading input channels [c0, c0 + cc), output rows [oy0, oy1). */
static void dw_chunk(const td_depthwise_conv2d_s8_args_t *a, const dw_plan_t *pl,
                     const int8_t *xb, const int8_t *weight, const int32_t *bias, int8_t *yb,
                     int32_t c0, int32_t cc, int32_t oy0, int32_t oy1)
{
    const int fast3 = a->k_h == 3 && a->k_w == 3 && a->dilation_h == 1 && a->dilation_w == 1;
    dw_job_t job;
    dw_chan_t ch;
    job.rows = oy1 - oy0;
    job.oyb = a->out_h - pl->dy - oy0;
    job.nxb_row = pl->dy > 0 ? pl->nx : a->out_w - pl->dx;
    dw_fill(a, pl, xb, c0, cc, oy0, dw_plane_rows(a, oy1 - oy0));
    for (int32_t k = 0; k < cc * a->depth_multiplier; ++k) {
        const int32_t oc = c0 * a->depth_multiplier + k;
        job.plane = g_plane + (k / a->depth_multiplier) * pl->ps;
        job.y = yb + oy0 * a->out_w * a->out_c + oc;
        if (!dw_prepare_channel(a, weight, bias, oc, &ch)) {
            /* sum |w| >= 32768: plain loops for this channel (both halves of the pairs) */
            dw_plain(a, xb, weight, bias, yb, oc, oy0, oy1);
            if (pl->dy > 0) {
                dw_plain(a, xb, weight, bias, yb, oc, oy0 + pl->dy, TD_MIN(a->out_h, oy1 + pl->dy));
            }
        } else if (!fast3 || !ch.fast) {
            dw_rows_any(a, pl, &ch, &job);
        } else if (pl->s == 8) {
            dw_rows3_8(a, pl, &ch, &job);
        } else if (pl->s == 16) {
            dw_rows3_16(a, pl, &ch, &job);
        } else if (pl->s == 32) {
            dw_rows3_32(a, pl, &ch, &job);
        } else {
            dw_rows3_64(a, pl, &ch, &job);
        }
    }
}

void td_depthwise_conv2d_s8(const td_depthwise_conv2d_s8_args_t *args, const int8_t *input,
                            const int8_t *weight, const int32_t *bias, int8_t *output)
{
    const td_depthwise_conv2d_s8_args_t *a = args;
    const int32_t in_size = a->in_h * a->in_w * a->in_c, out_size = a->out_h * a->out_w * a->out_c;
    dw_plan_t pl;
    const int ok = dw_make_plan(a, &pl);
    for (int32_t b = 0; b < a->batches; ++b) {
        const int8_t *xb = input + b * in_size;
        int8_t *yb = output + b * out_size;
        if (!ok) {
            for (int32_t oc = 0; oc < a->out_c; ++oc) {
                dw_plain(a, xb, weight, bias, yb, oc, 0, a->out_h);
            }
            continue;
        }
        for (int32_t oy0 = 0; oy0 < pl.ny; oy0 += pl.tile) {
            for (int32_t c0 = 0; c0 < a->in_c; c0 += pl.cc) {
                dw_chunk(a, &pl, xb, weight, bias, yb, c0, TD_MIN(pl.cc, a->in_c - c0), oy0,
                         TD_MIN(pl.ny, oy0 + pl.tile));
            }
        }
    }
}
