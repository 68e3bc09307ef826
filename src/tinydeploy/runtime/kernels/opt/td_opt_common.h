/* td_opt_common.h - helpers shared by the optimized int8 kernels (kernels/opt/).
 *
 * An optimized kernel computes the same bytes as its reference kernel (same golden, same
 * buffers) from an args struct of its own that Python fills at compile time
 * (quant/opt/): weights already packed in the order the inner loops read them, per-channel
 * constants already folded, the path and block sizes already chosen. Nothing is packed,
 * folded or decided per call, and no kernel keeps static or global memory: the scratch
 * a layer needs (size in its args, per core) is a buffer of the static arena that the
 * memory planner placed with the layer's lifetime.
 *
 * Two tricks carry most of the speed of the convolutions on a plain RV32IMC core:
 *
 * 1. Two MACs per loaded input word ("pixel pairs"). An input word packs two raw int8
 *    activations of two output pixels,  X = xb * 2^24 + (xa + 129),  and the weight is
 *    stored pre-shifted,  W = w * 2^8  (int16). The 64-bit product is
 *        W * X = w*xb * 2^32 + w*(xa + 129) * 2^8,
 *    so `mulh` (high word) gives  w*xb - [w < 0]  (the low part lies in (-2^24, 0) when
 *    w < 0, because xa + 129 >= 1) and `mul` (low word) gives  256 * w*(xa + 129)
 *    exactly. The low-lane sum stays within int32 while 65536 * sum|w| < 2^31, i.e.
 *    sum |w| < 32768 per channel (Python marks other blocks "wide": plain loops). The
 *    input offset and the constant parts ([w < 0] counts, 129 * sum(w)) are folded into
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
 *    only look at floor(acc*M / 2^30), which is acc + mulhsu(acc, 4M - 2^32)). Python
 *    (quant/opt/requant.py) proves the conditions per channel from the weights and
 *    the bias; other channels take the reference td_requant.
 *
 * 3. Clamp thresholds. The requantization is monotonic in the accumulator, so Python
 *    finds, per channel, the accumulators below which the output is act_min and from
 *    which it is act_max: a clamped output (half of a ReLU layer's) costs a compare and a
 *    store, any other skips the clamp.
 *
 * Per-channel constants: TD_OPT_CH words per channel, in this order.
 */
#ifndef TD_OPT_COMMON_H
#define TD_OPT_COMMON_H

#include "../../td_names.h"

#include <stddef.h>
#include <stdint.h>

#include "../td_common.h"

/* GCC's default scheduler and register allocator spill the 20-accumulator blocks on
 * RV32 (~2.9 instead of ~2.4 instructions per MAC); the first three options avoid that.
 * The last keeps short fills and copies inline instead of calls to memset/memcpy (the
 * kernels need no libc). They change instruction order, registers and calls, never
 * results. */
#if defined(__GNUC__) && !defined(__clang__) && defined(TD_OPT_IRA_ONE)
/* (a kernel that defines TD_OPT_IRA_ONE before its includes: its register allocation is
 * one region, so no moves at the loops' borders - the depthwise 3x3 loops keep their nine
 * weights and the channel's constants where they were loaded) */
#pragma GCC optimize("no-schedule-insns", "ira-algorithm=priority", "no-tree-reassoc",  \
                     "no-tree-loop-distribute-patterns", "ira-region=one")
#elif defined(__GNUC__) && !defined(__clang__)
#pragma GCC optimize("no-schedule-insns", "ira-algorithm=priority", "no-tree-reassoc",  \
                     "no-tree-loop-distribute-patterns")
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

/* Membership in a td_opt_config.h list of values 0..63 (the project's code paths):
 * TD_OPT_SET(LIST) the bit set of its values, TD_OPT_IN(LIST, v) 1 when it holds v -
 * constants the compiler folds and #if can test. TD_RQ_FORMS_OF(LIST): the td_opt_rq.h
 * forms f a list holds as 30 + f (td_opt_rq.h TD_RQ_FORMS_IN). */
#define TD_OPT_BIT_(v) | (1ull << (v))
#define TD_OPT_SET(LIST) (0ull LIST(TD_OPT_BIT_))
#define TD_OPT_IN(LIST, v) ((TD_OPT_SET(LIST) >> (v)) & 1u)
#define TD_RQ_FORMS_OF(LIST) ((TD_OPT_SET(LIST) >> 30) & 0x3fu)

/* The cores that run one layer together (a cluster, or QEMU's harts): each calls the
 * kernel with its own index; `barrier` makes all of them meet (NULL: cores == 1). A
 * NULL team pointer means one core. */
typedef struct td_team_s {
    int32_t core;
    int32_t cores;
    void (*barrier)(void);
} td_team_t;

static inline int32_t td_team_core(const td_team_t *t) { return t != NULL ? t->core : 0; }
static inline int32_t td_team_cores(const td_team_t *t) { return t != NULL ? t->cores : 1; }

static inline void td_team_barrier(const td_team_t *t)
{
    if (t != NULL && t->cores > 1 && t->barrier != NULL) t->barrier();
}

/* [lo, hi) of n units for core `core` of `cores`: ceil(n / cores) per core, in core order
 * (the chunking of tiled/td_split.h and of the cost model). */
static inline void td_team_range(int32_t n, int32_t cores, int32_t core, int32_t *lo,
                                 int32_t *hi)
{
    const int32_t chunk = (n + cores - 1) / cores;
    const int32_t a = core * chunk < n ? core * chunk : n;
    *lo = a;
    *hi = a + chunk < n ? a + chunk : n;
}

/* dst[0, n) = src[0, n) (no libc: kernels stay freestanding). */
static inline void td_opt_copy(int8_t *dst, const int8_t *src, int32_t n)
{
    for (int32_t i = 0; i < n; ++i) dst[i] = src[i];
}

/* Per-channel constants (int32 words, TD_OPT_CH per channel). */
enum {
    TD_CH_HI = 0,      /* bias + offset*sum(w) + #(w < 0): start of a high-lane sum */
    TD_CH_LO = 1,      /* bias + (offset - 129)*sum(w): added to (low-lane sum >> 8) */
    TD_CH_M4 = 2,      /* 4*M - 2^32 as uint32 (fast requant) */
    TD_CH_CP = 3,      /* rounding + output offset constant (fast requant) */
    TD_CH_DN = 4,      /* subtracted from c_pos for negative accumulators (0 or 2) */
    TD_CH_SH = 5,      /* r + 1 */
    TD_CH_MULT = 6,    /* reference multiplier and shift (slow requant) */
    TD_CH_SHIFT = 7,
    TD_CH_TLL = 8,     /* clamp thresholds of a fast channel (quant/opt/_tflite_rq.py): */
    TD_CH_THL = 9,     /*   low lane raw sum < TLL: act_min, >= THL: act_max */
    TD_CH_TLH = 10,    /*   accumulator < TLH: act_min, >= THH: act_max; between them the */
    TD_CH_THH = 11,    /*   requantized value needs no clamp */
    TD_OPT_CH = 12
};

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

/* The two activations of a pair word (plain loops of wide blocks): xa + 129, xb + 129. */
static inline int32_t td_opt_pair_a(int32_t p) { return p & 0x1ff; }
static inline int32_t td_opt_pair_b(int32_t p) { return (p >> 24) + 129; }

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
 * reference kernels do it; ch: the channel's constants. */
static inline int32_t td_opt_rq_slow(int32_t a, const int32_t *ch, int32_t output_offset)
{
    int32_t v = td_requant(a, ch[TD_CH_MULT], ch[TD_CH_SHIFT]);
    return (int32_t)((uint32_t)v + (uint32_t)output_offset);
}

static inline int8_t td_opt_sat(int32_t v, int32_t lo, int32_t hi)
{
    return (int8_t)(v < lo ? lo : (v > hi ? hi : v));
}

/* The output of accumulator `a` compared as `raw` with thresholds [tl, th) (clamped
 * outputs: a compare and a store; others: the fast requantization without a clamp). */
#define TD_OPT_PUT(y, raw, tl, th, a, m4, cp, dn, sh, lo, hi)                            \
    do {                                                                                 \
        const int32_t v_ = (int32_t)(raw) < (tl) ? (lo)                                  \
                           : (int32_t)(raw) >= (th) ? (hi)                               \
                           : td_opt_rq((a), (m4), (cp), (dn), (sh));                     \
        *(y) = (int8_t)v_;                                                               \
    } while (0)

/* *y = clamp(v, lo, lo + range): sub, bleu, sb when v is in range (the common case). */
static inline void td_opt_store(int8_t *y, int32_t v, int32_t lo, uint32_t range)
{
    if ((uint32_t)(v - lo) > range) v = v < lo ? lo : lo + (int32_t)range;
    *y = (int8_t)v;
}

#endif /* TD_OPT_COMMON_H */
