/* td_opt_common.h - helpers shared by the optimized int8 kernels (kernels/opt/).
 *
 * The optimized kernels keep the reference kernels' file names, signatures and args
 * structs and give bit-identical outputs for every input; only the instruction count on
 * a plain RV32IMC core differs. Two tricks carry most of the gain:
 *
 * 1. Two MACs per loaded input word ("pixel pairs"). An input word packs two raw int8
 *    activations of two output pixels,  X = xb * 2^24 + (xa + 129),  and the weight is
 *    stored pre-shifted,  W = w * 2^8  (int16). The 64-bit product is
 *        W * X = w*xb * 2^32 + w*(xa + 129) * 2^8,
 *    so `mulh` (high word) gives  w*xb - [w < 0]  (the low part lies in (-2^24, 0) when
 *    w < 0, because xa + 129 >= 1) and `mul` (low word) gives  256 * w*(xa + 129)
 *    exactly. The low-lane sum stays within int32 while 65536 * sum|w| < 2^31, i.e.
 *    sum |w| < 32768 per channel (checked when packing; else plain loops), so one load
 *    feeds two multiply-accumulates of two pixels. The input
 *    offset and the constant parts ([w < 0] counts, 129 * sum(w)) are folded into
 *    per-channel constants; padding taps read the input zero point (x + offset = 0).
 *    All sums are done in uint32_t: they equal the reference int32 accumulator modulo
 *    2^32, and the reference accumulator fits in int32 (the code generator checks it),
 *    so the results are exact and no signed overflow can happen.
 *
 * 2. A 6-instruction requantization. For a multiplier M in [2^30, 2^31), a right shift
 *    r in [0, 21] (out_shift = -r) and |acc| < 2^29, TFLite's double-rounding
 *        RoundingDivideByPOT(SaturatingRoundingDoublingHighMul(acc, M), r) + zp
 *    equals  (acc + mulhsu(acc, 4M - 2^32) + c) >> (r + 1)  with
 *    c = 1 + [r > 0] 2^r - 2 [r > 0][acc < 0] + zp 2^(r + 1)  (derivation: both roundings
 *    only look at floor(acc*M / 2^30), which is acc + mulhsu(acc, 4M - 2^32)). Channels
 *    outside that range (left shifts, tiny scales, M = 0, huge accumulators) take the
 *    reference td_requant; the kernels decide per channel (or block) once per call.
 *
 * Scratch memory: each kernel keeps its own static buffers; their sizes are the
 * TD_OPT_* macros in the kernel files (override with -D). Layers that do not fit fall
 * back to a plain loop with the same results. Not reentrant (one inference at a time).
 */
#ifndef TD_OPT_COMMON_H
#define TD_OPT_COMMON_H

#include "../../td_names.h"

#include <stdint.h>

#include "../td_common.h"

/* GCC's default scheduler and register allocator spill the 20-accumulator blocks on
 * RV32 (~2.9 instead of ~2.4 instructions per MAC); these three options avoid that.
 * They only change instruction order/registers, never results. */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "ira-algorithm=priority", "no-tree-reassoc")
#endif

/* Keeps a hot block function out of its caller (register allocation stays local), and
 * in one copy (no constant-propagated clones: code size). */
#if defined(__GNUC__) && !defined(__clang__)
#define TD_OPT_NOINLINE __attribute__((noinline, noclone))
#elif defined(__GNUC__)
#define TD_OPT_NOINLINE __attribute__((noinline))
#else
#define TD_OPT_NOINLINE
#endif

/* Per-output-channel constants, computed once per call. */
typedef struct {
    int32_t hi_init;   /* bias + offset*sum(w) + #(w < 0): start of a high-lane sum */
    int32_t lo_adj;    /* bias + (offset - 129)*sum(w): added to (low-lane sum >> 8) */
    uint32_t m4;       /* 4*M - 2^32 (fast requant) */
    int32_t c_pos;     /* rounding + output offset constant (fast requant) */
    int32_t d_neg;     /* subtracted from c_pos for negative accumulators (0 or 2) */
    int32_t sh;        /* r + 1 */
    int32_t mult;      /* reference multiplier and shift (slow requant) */
    int32_t shift;
} td_opt_chan_t;

/* High word of the signed 64-bit product (one `mulh`). */
static inline uint32_t td_opt_mulh(int32_t w, int32_t x)
{
    return (uint32_t)(int32_t)(((int64_t)w * (int64_t)x) >> 32);
}

/* Low word of the product (one `mul`), as the wrapping unsigned value. */
static inline uint32_t td_opt_mul(int32_t w, int32_t x)
{
    return (uint32_t)w * (uint32_t)x;
}

/* Pixel-pair input word: xb in the top byte, xa + 129 (1..256) below. */
static inline int32_t td_opt_pair(int32_t xa, int32_t xb)
{
    return (int32_t)(((uint32_t)xb << 24) + (uint32_t)(xa + 129));
}

static inline int64_t td_opt_abs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* Largest |x + input_offset| over int8 x. */
static inline int64_t td_opt_xmax(int32_t input_offset)
{
    return TD_MAX(td_opt_abs64(-128 + (int64_t)input_offset),
                  td_opt_abs64(127 + (int64_t)input_offset));
}

/* Fill the requantization part of *c. Returns 1 when the fast path is exact for every
 * accumulator of magnitude <= acc_bound, else 0 (then only mult/shift are meaningful). */
static inline int td_opt_chan_requant(td_opt_chan_t *c, int32_t mult, int32_t shift,
                                      int32_t output_offset, int64_t acc_bound)
{
    c->mult = mult;
    c->shift = shift;
    c->m4 = 0;
    c->c_pos = 0;
    c->d_neg = 0;
    c->sh = 1;
    if (mult < (1 << 30) || shift > 0 || shift < -21 || acc_bound >= (1 << 29)) return 0;
    {
        const int32_t r = -shift;
        const int32_t half = r > 0 ? (1 << r) : 0;
        c->m4 = (uint32_t)mult << 2;
        c->c_pos = 1 + half + output_offset * (1 << (r + 1));
        c->d_neg = r > 0 ? 2 : 0;
        c->sh = r + 1;
    }
    return 1;
}

/* Fast requantization incl. the output offset (no clamp); needs the fast conditions.
 * 5 instructions (6 for a < 0): mulhsu, add, add, bge, [sub], sra. */
static inline int32_t td_opt_rq(int32_t a, uint32_t m4, int32_t c_pos, int32_t d_neg,
                                int32_t sh)
{
    int32_t h = (int32_t)(((int64_t)a * (int64_t)(uint64_t)m4) >> 32);   /* mulhsu */
    int32_t z = a + h + c_pos;
    if (a < 0) z -= d_neg;
    return z >> sh;
}

/* Reference requantization incl. the output offset (no clamp), exactly as the
 * reference kernels do it. */
static inline int32_t td_opt_rq_slow(int32_t a, const td_opt_chan_t *c, int32_t output_offset)
{
    int32_t v = td_requant(a, c->mult, c->shift);
    return (int32_t)((uint32_t)v + (uint32_t)output_offset);
}

static inline int8_t td_opt_sat(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* *y = clamp(v, lo, lo + range): sub, bleu, sb when v is in range (the common case). */
static inline void td_opt_store(int8_t *y, int32_t v, int32_t lo, uint32_t range)
{
    if ((uint32_t)(v - lo) > range) v = v < lo ? lo : lo + (int32_t)range;
    *y = (int8_t)v;
}

#endif /* TD_OPT_COMMON_H */
