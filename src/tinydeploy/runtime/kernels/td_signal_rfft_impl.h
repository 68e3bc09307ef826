/* td_signal_rfft_impl.h - the body of td_signal_rfft_s16.c and td_signal_rfft_s32.c: kissfft
 * v130's fixed-point real FFT (FIXED_POINT = 16 or 32) as TFLite Micro builds it; see
 * td_signal_rfft_s16.h for what it computes.
 *
 * The including source defines TD_RFFT_BITS (16 or 32) and TD_RFFT_T (the element type,
 * kissfft's kiss_fft_scalar) and includes this file once. Intermediates are held in
 * TD_RFFT_V (int32_t for 16 bits, int64_t for 32), wide enough for every product sum and
 * C int sum exactly; each store to kiss_fft_scalar wraps modulo 2^BITS (td_rfft_w), as the
 * C conversions (and, for 32 bits, TFLM's int additions) do on two's-complement targets.
 * Static functions only: no state.
 */
#ifndef TD_SIGNAL_RFFT_IMPL_H
#define TD_SIGNAL_RFFT_IMPL_H

#include <stdint.h>

#define TD_RFFT_MAX_STAGES 16

#if TD_RFFT_BITS == 16
typedef int32_t td_rfft_v_t;
#define TD_RFFT_FRAC 15
#define TD_RFFT_SAMP_MAX 32767

/* The store to int16 (modulo 2^16, written portably). */
static inline td_rfft_v_t td_rfft_w(td_rfft_v_t v)
{
    const uint32_t u = (uint32_t)v & 0xFFFFu;
    return u >= 0x8000u ? (td_rfft_v_t)u - 0x10000 : (td_rfft_v_t)u;
}

/* HALF_OF of a C int sum (exact here: two int16 values). */
static inline td_rfft_v_t td_rfft_half(td_rfft_v_t v) { return v >> 1; }
#else
typedef int64_t td_rfft_v_t;
#define TD_RFFT_FRAC 31
#define TD_RFFT_SAMP_MAX 2147483647

/* The store to int32 (modulo 2^32, written portably). */
static inline td_rfft_v_t td_rfft_w(td_rfft_v_t v)
{
    const uint32_t u = (uint32_t)((uint64_t)v & 0xFFFFFFFFu);
    return u >= 0x80000000u ? (td_rfft_v_t)u - ((td_rfft_v_t)1 << 32) : (td_rfft_v_t)u;
}

/* HALF_OF of a C int sum: the int32 addition wraps first. */
static inline td_rfft_v_t td_rfft_half(td_rfft_v_t v) { return td_rfft_w(v) >> 1; }
#endif

/* A complex value whose parts hold kiss_fft_scalar values. */
typedef struct {
    td_rfft_v_t r, i;
} td_rfft_cpx_t;

/* sround: (scalar)((v + 2^(FRAC-1)) >> FRAC) of a product sum. */
static inline td_rfft_v_t td_rfft_round(td_rfft_v_t v)
{
    return td_rfft_w((v + ((td_rfft_v_t)1 << (TD_RFFT_FRAC - 1))) >> TD_RFFT_FRAC);
}

static inline td_rfft_cpx_t td_rfft_ld(const TD_RFFT_T *p)
{
    td_rfft_cpx_t c;
    c.r = p[0];
    c.i = p[1];
    return c;
}

static inline void td_rfft_st(TD_RFFT_T *p, td_rfft_cpx_t c)
{
    p[0] = (TD_RFFT_T)c.r;        /* already within the scalar's range */
    p[1] = (TD_RFFT_T)c.i;
}

static inline td_rfft_cpx_t td_rfft_mk(td_rfft_v_t r, td_rfft_v_t i)
{
    td_rfft_cpx_t c;
    c.r = td_rfft_w(r);
    c.i = td_rfft_w(i);
    return c;
}

/* C_FIXDIV(c, p): both parts times SAMP_MAX / p, rounded. */
static inline td_rfft_cpx_t td_rfft_fixdiv(td_rfft_cpx_t c, int32_t p)
{
    const td_rfft_v_t k = TD_RFFT_SAMP_MAX / p;
    td_rfft_cpx_t o;
    o.r = td_rfft_round(c.r * k);
    o.i = td_rfft_round(c.i * k);
    return o;
}

/* C_MUL(a, b), b a twiddle (parts within +-SAMP_MAX: the sums of products cannot
 * overflow td_rfft_v_t). */
static inline td_rfft_cpx_t td_rfft_mul(td_rfft_cpx_t a, td_rfft_cpx_t b)
{
    td_rfft_cpx_t o;
    o.r = td_rfft_round(a.r * b.r - a.i * b.i);
    o.i = td_rfft_round(a.r * b.i + a.i * b.r);
    return o;
}

static inline td_rfft_cpx_t td_rfft_add(td_rfft_cpx_t a, td_rfft_cpx_t b)
{
    return td_rfft_mk(a.r + b.r, a.i + b.i);
}

static inline td_rfft_cpx_t td_rfft_sub(td_rfft_cpx_t a, td_rfft_cpx_t b)
{
    return td_rfft_mk(a.r - b.r, a.i - b.i);
}

static void td_rfft_bfly2(TD_RFFT_T *f, int32_t fs, int32_t m, const TD_RFFT_T *tw)
{
    for (int32_t k = 0; k < m; ++k) {
        TD_RFFT_T *p0 = f + 2 * k, *p1 = f + 2 * (k + m);
        const td_rfft_cpx_t a = td_rfft_fixdiv(td_rfft_ld(p0), 2);
        const td_rfft_cpx_t b = td_rfft_fixdiv(td_rfft_ld(p1), 2);
        const td_rfft_cpx_t t = td_rfft_mul(b, td_rfft_ld(tw + 2 * k * fs));
        td_rfft_st(p1, td_rfft_sub(a, t));
        td_rfft_st(p0, td_rfft_add(a, t));
    }
}

static void td_rfft_bfly3(TD_RFFT_T *f, int32_t fs, int32_t m, const TD_RFFT_T *tw)
{
    const td_rfft_v_t e = tw[2 * fs * m + 1];         /* imaginary part of exp(-2 pi i / 3) */
    for (int32_t k = 0; k < m; ++k) {
        TD_RFFT_T *p0 = f + 2 * k, *p1 = f + 2 * (k + m), *p2 = f + 2 * (k + 2 * m);
        const td_rfft_cpx_t a = td_rfft_fixdiv(td_rfft_ld(p0), 3);
        const td_rfft_cpx_t b = td_rfft_fixdiv(td_rfft_ld(p1), 3);
        const td_rfft_cpx_t c = td_rfft_fixdiv(td_rfft_ld(p2), 3);
        const td_rfft_cpx_t s1 = td_rfft_mul(b, td_rfft_ld(tw + 2 * k * fs));
        const td_rfft_cpx_t s2 = td_rfft_mul(c, td_rfft_ld(tw + 4 * k * fs));
        const td_rfft_cpx_t s3 = td_rfft_add(s1, s2);
        td_rfft_cpx_t s0 = td_rfft_sub(s1, s2);
        const td_rfft_cpx_t o1 = td_rfft_mk(a.r - td_rfft_half(s3.r),
                                            a.i - td_rfft_half(s3.i));
        s0.r = td_rfft_round(s0.r * e);
        s0.i = td_rfft_round(s0.i * e);
        td_rfft_st(p0, td_rfft_add(a, s3));
        td_rfft_st(p2, td_rfft_mk(o1.r + s0.i, o1.i - s0.r));
        td_rfft_st(p1, td_rfft_mk(o1.r - s0.i, o1.i + s0.r));
    }
}

static void td_rfft_bfly4(TD_RFFT_T *f, int32_t fs, int32_t m, const TD_RFFT_T *tw)
{
    for (int32_t k = 0; k < m; ++k) {
        TD_RFFT_T *p0 = f + 2 * k, *p1 = f + 2 * (k + m), *p2 = f + 2 * (k + 2 * m),
                  *p3 = f + 2 * (k + 3 * m);
        td_rfft_cpx_t a = td_rfft_fixdiv(td_rfft_ld(p0), 4);
        const td_rfft_cpx_t b = td_rfft_fixdiv(td_rfft_ld(p1), 4);
        const td_rfft_cpx_t c = td_rfft_fixdiv(td_rfft_ld(p2), 4);
        const td_rfft_cpx_t d = td_rfft_fixdiv(td_rfft_ld(p3), 4);
        const td_rfft_cpx_t s0 = td_rfft_mul(b, td_rfft_ld(tw + 2 * k * fs));
        const td_rfft_cpx_t s1 = td_rfft_mul(c, td_rfft_ld(tw + 4 * k * fs));
        const td_rfft_cpx_t s2 = td_rfft_mul(d, td_rfft_ld(tw + 6 * k * fs));
        const td_rfft_cpx_t s5 = td_rfft_sub(a, s1);
        td_rfft_cpx_t s3, s4;
        a = td_rfft_add(a, s1);
        s3 = td_rfft_add(s0, s2);
        s4 = td_rfft_sub(s0, s2);
        td_rfft_st(p2, td_rfft_sub(a, s3));
        td_rfft_st(p0, td_rfft_add(a, s3));
        td_rfft_st(p1, td_rfft_mk(s5.r + s4.i, s5.i - s4.r));
        td_rfft_st(p3, td_rfft_mk(s5.r - s4.i, s5.i + s4.r));
    }
}

static void td_rfft_bfly5(TD_RFFT_T *f, int32_t fs, int32_t m, const TD_RFFT_T *tw)
{
    const td_rfft_cpx_t ya = td_rfft_ld(tw + 2 * fs * m), yb = td_rfft_ld(tw + 4 * fs * m);
    for (int32_t u = 0; u < m; ++u) {
        TD_RFFT_T *p[5];
        td_rfft_cpx_t s[5], s5, s6, s11, s12;
        for (int32_t q = 0; q < 5; ++q) {
            p[q] = f + 2 * (u + q * m);
            s[q] = td_rfft_fixdiv(td_rfft_ld(p[q]), 5);
            if (q > 0) s[q] = td_rfft_mul(s[q], td_rfft_ld(tw + 2 * q * u * fs));
        }
        {
            const td_rfft_cpx_t s7 = td_rfft_add(s[1], s[4]), s10 = td_rfft_sub(s[1], s[4]);
            const td_rfft_cpx_t s8 = td_rfft_add(s[2], s[3]), s9 = td_rfft_sub(s[2], s[3]);
            td_rfft_st(p[0], td_rfft_mk(s[0].r + s7.r + s8.r, s[0].i + s7.i + s8.i));
            s5 = td_rfft_mk(s[0].r + td_rfft_round(s7.r * ya.r) + td_rfft_round(s8.r * yb.r),
                            s[0].i + td_rfft_round(s7.i * ya.r) + td_rfft_round(s8.i * yb.r));
            s6 = td_rfft_mk(td_rfft_round(s10.i * ya.i) + td_rfft_round(s9.i * yb.i),
                            -td_rfft_round(s10.r * ya.i) - td_rfft_round(s9.r * yb.i));
            s11 = td_rfft_mk(s[0].r + td_rfft_round(s7.r * yb.r) + td_rfft_round(s8.r * ya.r),
                             s[0].i + td_rfft_round(s7.i * yb.r) + td_rfft_round(s8.i * ya.r));
            s12 = td_rfft_mk(-td_rfft_round(s10.i * yb.i) + td_rfft_round(s9.i * ya.i),
                             td_rfft_round(s10.r * yb.i) - td_rfft_round(s9.r * ya.i));
        }
        td_rfft_st(p[1], td_rfft_sub(s5, s6));
        td_rfft_st(p[4], td_rfft_add(s5, s6));
        td_rfft_st(p[2], td_rfft_add(s11, s12));
        td_rfft_st(p[3], td_rfft_sub(s11, s12));
    }
}

/* The complex FFT's leaves: buf[j] = pair idx(j) of the zero-padded frame, idx the
 * mixed-radix digit reversal of j (kissfft's recursive decimation), by an odometer. */
static void td_rfft_load(TD_RFFT_T *buf, const TD_RFFT_T *x, int32_t len, int32_t n,
                         const int32_t *factors, int32_t n_stages)
{
    int32_t digit[TD_RFFT_MAX_STAGES], stride[TD_RFFT_MAX_STAGES];
    int32_t idx = 0, s;
    stride[0] = 1;
    for (s = 0; s < n_stages; ++s) {
        digit[s] = 0;
        if (s > 0) stride[s] = stride[s - 1] * factors[2 * (s - 1)];
    }
    for (int32_t j = 0; j < n; ++j) {
        const int32_t e = 2 * idx;
        buf[2 * j] = e < len ? x[e] : 0;
        buf[2 * j + 1] = e + 1 < len ? x[e + 1] : 0;
        for (s = n_stages - 1; s >= 0; --s) {        /* the last stage's digit is the lowest */
            idx += stride[s];
            if (++digit[s] < factors[2 * s]) break;
            idx -= factors[2 * s] * stride[s];
            digit[s] = 0;
        }
    }
}

/* One frame: the complex FFT of fft_length / 2 points in buf, then kiss_fftr's split. */
static void td_rfft_frame(int32_t input_length, int32_t fft_length, int32_t n_stages,
                          const int32_t *factors, const TD_RFFT_T *twiddles,
                          const TD_RFFT_T *super_twiddles, const TD_RFFT_T *x, TD_RFFT_T *y,
                          TD_RFFT_T *buf)
{
    const int32_t n = fft_length / 2;
    td_rfft_load(buf, x, input_length, n, factors, n_stages);
    for (int32_t s = n_stages - 1; s >= 0; --s) {
        const int32_t p = factors[2 * s], m = factors[2 * s + 1];
        int32_t fs = 1;
        for (int32_t t = 0; t < s; ++t) fs *= factors[2 * t];
        for (int32_t b = 0; b < fs; ++b) {
            TD_RFFT_T *f = buf + 2 * b * p * m;
            switch (p) {
            case 2: td_rfft_bfly2(f, fs, m, twiddles); break;
            case 3: td_rfft_bfly3(f, fs, m, twiddles); break;
            case 4: td_rfft_bfly4(f, fs, m, twiddles); break;
            default: td_rfft_bfly5(f, fs, m, twiddles); break;
            }
        }
    }
    {   /* the two interleaved real FFTs: DC and Nyquist */
        const td_rfft_cpx_t dc = td_rfft_fixdiv(td_rfft_ld(buf), 2);
        y[0] = (TD_RFFT_T)td_rfft_w(dc.r + dc.i);
        y[1] = 0;
        y[2 * n] = (TD_RFFT_T)td_rfft_w(dc.r - dc.i);
        y[2 * n + 1] = 0;
    }
    for (int32_t k = 1; k <= n / 2; ++k) {
        const td_rfft_cpx_t pk = td_rfft_fixdiv(td_rfft_ld(buf + 2 * k), 2);
        td_rfft_cpx_t pnk = td_rfft_ld(buf + 2 * (n - k));
        td_rfft_cpx_t f1, f2, t;
        pnk.i = td_rfft_w(-pnk.i);
        pnk = td_rfft_fixdiv(pnk, 2);
        f1 = td_rfft_add(pk, pnk);
        f2 = td_rfft_sub(pk, pnk);
        t = td_rfft_mul(f2, td_rfft_ld(super_twiddles + 2 * (k - 1)));
        y[2 * k] = (TD_RFFT_T)td_rfft_w(td_rfft_half(f1.r + t.r));
        y[2 * k + 1] = (TD_RFFT_T)td_rfft_w(td_rfft_half(f1.i + t.i));
        /* bin n - k after bin k: at k = n / 2 it wins, as in kiss_fftr */
        y[2 * (n - k)] = (TD_RFFT_T)td_rfft_w(td_rfft_half(f1.r - t.r));
        y[2 * (n - k) + 1] = (TD_RFFT_T)td_rfft_w(td_rfft_half(t.i - f1.i));
    }
}

#endif /* TD_SIGNAL_RFFT_IMPL_H */
