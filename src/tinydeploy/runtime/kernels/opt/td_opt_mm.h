/* td_opt_mm.h - the register-blocked product and the requantization shared by the
 * optimized kernels of integer graphs (Deeploy's RequantShift after FC and MatMul):
 * td_fully_connected_s8_rq_opt and td_matmul_s8_rq_opt.
 *
 * Product: 2 rows x 8 columns per block. The rows are two int8 vectors read in place
 * (contiguous along k); the 8 columns come as a panel [k][8] of int8 (weights packed so
 * at compile time, quant/opt/matmul_rq.py; an activation operand packed per call into
 * the kernel's scratch). Per k: 2 + 8 loads, 16 mul, 16 add: 2.6 instructions per MAC,
 * 16 accumulators, 4 pointers and 4 temporaries in registers (one weight at a time). Sums are uint32_t: they
 * equal the exact int32 sums modulo 2^32, and the exact sums fit in int32 (the code
 * generator checks the worst case), so no signed overflow can happen.
 *
 * Requantization (Deeploy's RequantShift with a power-of-two divisor, mul2 = 1, no
 * float32 rounding): with s = sum_k w*x (raw int8 operands, offsets folded), for column c
 *   v = s * mul + kc[c];  q = floor(v / 2^shift) (or toward zero: trunc)
 *   out = clamp(q, lo, hi) + out_offset
 * kc (the bias and offset terms times mul, plus add) is two words per column (low, high);
 * (mul, shift) is one pair for the whole layer (rq_step 0: Deeploy's usual per-tensor
 * requantization) or one per column (rq_step 2). mode 0: |v| < 2^31 for every input the
 * layer can see (proved at compile time): int32 arithmetic; mode 1: int64.
 */
#ifndef TD_OPT_MM_H
#define TD_OPT_MM_H

#include "../../td_names.h"

#include <stdint.h>

#include "../td_integer.h"
#include "td_opt_common.h"

/* Output-side constants of a layer. */
typedef struct {
    const int32_t *kc;        /* [columns][2]: low, high word */
    const int32_t *rq;        /* [groups][2]: mul, shift */
    int32_t rq_step;          /* 0: one group, 2: a group per column */
    int32_t mode;             /* 0: int32, 1: int64 */
    int32_t lo, hi;           /* clamp bounds before the zero point */
    int32_t out_offset;
    int32_t trunc;            /* 1: round toward zero, 0: floor */
} td_mm_out_t;

/* Output c (column) of sum s, requantized. */
static inline int8_t td_mm_rq(uint32_t s, int32_t c, const td_mm_out_t *o)
{
    const int32_t *r = o->rq + c * o->rq_step, *k = o->kc + 2 * c;
    const int32_t mul = r[0], sh = r[1];
    int32_t q;
    if (o->mode == 0) {
        const int32_t v = (int32_t)((uint32_t)s * (uint32_t)mul + (uint32_t)k[0]);
        if (v >= 0) q = v >> sh;
        else q = o->trunc ? -((-v) >> sh) : ~((~v) >> sh);
    } else {
        const int64_t kc = (int64_t)(((uint64_t)(uint32_t)k[1] << 32) | (uint32_t)k[0]);
        const int64_t v = (int64_t)(int32_t)s * mul + kc;
        const int64_t w = v < 0 && o->trunc ? -td_floor_shift(-v, sh)
                                            : td_floor_shift(v, sh);
        q = w < o->lo ? o->lo : (w > o->hi ? o->hi : (int32_t)w);
    }
    q = q < o->lo ? o->lo : (q > o->hi ? o->hi : q);
    return (int8_t)(q + o->out_offset);
}

/* One k step: each weight is loaded once and used for both rows before the next (16
 * accumulators, 2 row values, 1 weight, 1 product in registers: no spills). */
#define TD_MM_C2(j, u) { const int32_t w_ = wp[8 * (u) + (j)];                           \
    s0##j += (uint32_t)(x0 * w_); s1##j += (uint32_t)(x1 * w_); }
#define TD_MM_C1(j, u) { const int32_t w_ = wp[8 * (u) + (j)]; s0##j += (uint32_t)(x0 * w_); }
#define TD_MM_STEP2(u) { const int32_t x0 = a[u], x1 = b[u];                              \
    TD_MM_C2(0, u) TD_MM_C2(1, u) TD_MM_C2(2, u) TD_MM_C2(3, u)                           \
    TD_MM_C2(4, u) TD_MM_C2(5, u) TD_MM_C2(6, u) TD_MM_C2(7, u) }
#define TD_MM_STEP1(u) { const int32_t x0 = a[u];                                         \
    TD_MM_C1(0, u) TD_MM_C1(1, u) TD_MM_C1(2, u) TD_MM_C1(3, u)                           \
    TD_MM_C1(4, u) TD_MM_C1(5, u) TD_MM_C1(6, u) TD_MM_C1(7, u) }
#define TD_MM_DECL(r) uint32_t s##r##0 = 0, s##r##1 = 0, s##r##2 = 0, s##r##3 = 0,       \
    s##r##4 = 0, s##r##5 = 0, s##r##6 = 0, s##r##7 = 0;
#define TD_MM_SAVE(r) acc[8 * (r)] = s##r##0; acc[8 * (r) + 1] = s##r##1;                \
    acc[8 * (r) + 2] = s##r##2; acc[8 * (r) + 3] = s##r##3; acc[8 * (r) + 4] = s##r##4;   \
    acc[8 * (r) + 5] = s##r##5; acc[8 * (r) + 6] = s##r##6; acc[8 * (r) + 7] = s##r##7;

/* acc[8 r + j] = sum_k row_r[k] * wp[8 k + j] for rows a (r = 0) and b (r = 1). */
TD_OPT_NOINLINE static void td_mm_2x8(const int8_t *a, const int8_t *b, const int8_t *wp,
                                      int32_t k, uint32_t *acc)
{
    TD_MM_DECL(0)
    TD_MM_DECL(1)
    const int8_t *end = a + (k & ~3);
    while (a != end) {
        TD_MM_STEP2(0) TD_MM_STEP2(1) TD_MM_STEP2(2) TD_MM_STEP2(3)
        a += 4;
        b += 4;
        wp += 32;
    }
    for (int32_t t = k & 3; t > 0; --t) {
        TD_MM_STEP2(0)
        a += 1;
        b += 1;
        wp += 8;
    }
    TD_MM_SAVE(0)
    TD_MM_SAVE(1)
}

/* acc[j] = sum_k a[k] * wp[8 k + j] (one row). */
TD_OPT_NOINLINE static void td_mm_1x8(const int8_t *a, const int8_t *wp, int32_t k,
                                      uint32_t *acc)
{
    TD_MM_DECL(0)
    const int8_t *end = a + (k & ~3);
    while (a != end) {
        TD_MM_STEP1(0) TD_MM_STEP1(1) TD_MM_STEP1(2) TD_MM_STEP1(3)
        a += 4;
        wp += 32;
    }
    for (int32_t t = k & 3; t > 0; --t) {
        TD_MM_STEP1(0)
        a += 1;
        wp += 8;
    }
    TD_MM_SAVE(0)
}

/* Rows x (and y, unless NULL) times the panel wp ([k][8], columns c0 .. c0 + 7 of which
 * the first n are real), plus add8[j] per column (NULL: none), requantized into outputs
 * yx[c0 + j] (and yy[c0 + j]). */
static inline void td_mm_block(const int8_t *x, const int8_t *y, const int8_t *wp,
                               int32_t k, int32_t c0, int32_t n, const td_mm_out_t *o,
                               const uint32_t *add8, int8_t *yx, int8_t *yy)
{
    uint32_t acc[16];
    if (y != NULL) td_mm_2x8(x, y, wp, k, acc);
    else td_mm_1x8(x, wp, k, acc);
    if (add8 != NULL) {
        for (int32_t j = 0; j < 8; ++j) {
            acc[j] += add8[j];
            acc[8 + j] += add8[j];
        }
    }
    for (int32_t j = 0; j < n; ++j) {
        yx[c0 + j] = td_mm_rq(acc[j], c0 + j, o);
        if (y != NULL) yy[c0 + j] = td_mm_rq(acc[8 + j], c0 + j, o);
    }
}

#endif /* TD_OPT_MM_H */
