/* td_matmul_s8_rq.h - integer matrix product with batch broadcasting and the
 * requantization of integer graphs fused in: int8_t operands, int8_t output. Per output
 * element (batch index b, row m, column n)
 *
 *   acc = alpha * sum_k (A[b, m, k] + a_offset) * (B[b, k, n] + b_offset)
 *         + beta * bias[b, m, n]                               (bias may be NULL)
 *   out = td_requant_value(acc, rq_*[n]) + rq_out_offset
 *
 * i.e. td_requant_s32_s8 applied to what td_matmul_s8_s32 writes, without the int32 tensor
 * (quant/golden/fused_requant.py). Element (m, k) of batch b of A is at
 * sum_d(b_d * a_batch[d]) + m * a_m + k * a_k, likewise B (k, n: b_k, b_n) and the bias
 * (c_m, c_n, c_batch); a stride of 0 broadcasts. The output is [batch.., m, channels],
 * row-major.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, attention.py; a layer that
 * violates one is refused naming it): those of td_matmul_s8_s32.h and of the requant
 * (td_requant_s32_*.h) on the rq_* members, with rq_channels = channels; the output buffer
 * holds exactly one element per accumulator.
 */
#ifndef TD_MATMUL_S8_RQ_H
#define TD_MATMUL_S8_RQ_H

#include "../td_names.h"

#include <stddef.h>
#include <stdint.h>

#include "td_requant_common.h"

#define TD_MATMUL_BATCH_DIMS 4

typedef struct {
    int32_t m;                 /* rows of each output matrix */
    int32_t channels;          /* columns (n) of each output matrix */
    int32_t k;                 /* reduced dimension */
    int32_t a_offset;          /* -zero point of A */
    int32_t b_offset;          /* -zero point of B */
    int32_t alpha;
    int32_t beta;
    int32_t a_m, a_k;          /* element strides of A along m and k */
    int32_t b_k, b_n;          /* element strides of B along k and n */
    int32_t c_m, c_n;          /* element strides of the bias along m and n */
    int32_t a_size, b_size;    /* elements of A's and B's buffers (checked, not read) */
    const int32_t *batch;      /* [TD_MATMUL_BATCH_DIMS] batch dims, leading 1s */
    const int32_t *a_batch;    /* [TD_MATMUL_BATCH_DIMS] strides of A per batch dim */
    const int32_t *b_batch;
    const int32_t *c_batch;
    int32_t rq_channels;       /* length of rq_mul/rq_add/rq_div (= channels) */
    int32_t rq_fp32;           /* bit 0: round x*mul, bit 1: round +add (float32) */
    int32_t rq_rounding;       /* 0 floor, 1 toward zero */
    int32_t rq_clip_lo;        /* clamp bounds before the zero point */
    int32_t rq_clip_hi;
    int32_t rq_out_offset;     /* zero point of the output */
    int64_t rq_mul2;
    const int64_t *rq_mul;
    const int64_t *rq_add;
    const int64_t *rq_div;     /* > 0 */
} td_matmul_s8_rq_args_t;

/* Offsets of batch index (i0..i3) in A, B and the bias. */
typedef struct {
    int32_t a, b, c;
} td_matmul_base_t;

static inline td_matmul_base_t td_matmul_base(const td_matmul_s8_rq_args_t *p, int32_t i0,
                                              int32_t i1, int32_t i2, int32_t i3)
{
    td_matmul_base_t o;
    o.a = i0 * p->a_batch[0] + i1 * p->a_batch[1] + i2 * p->a_batch[2] + i3 * p->a_batch[3];
    o.b = i0 * p->b_batch[0] + i1 * p->b_batch[1] + i2 * p->b_batch[2] + i3 * p->b_batch[3];
    o.c = i0 * p->c_batch[0] + i1 * p->c_batch[1] + i2 * p->c_batch[2] + i3 * p->c_batch[3];
    return o;
}

/* The int32 result of output element (m, n) of the batch at `o` (before requantization);
 * shared by the td_matmul_s8_* kernels. */
static inline int32_t td_matmul_s8_acc(const td_matmul_s8_rq_args_t *p, td_matmul_base_t o,
                                       const int8_t *a, const int8_t *b, const int32_t *bias,
                                       int32_t m, int32_t n)
{
    const int8_t *x = a + o.a + m * p->a_m;
    const int8_t *w = b + o.b + n * p->b_n;
    int32_t acc = 0;
    for (int32_t k = 0; k < p->k; ++k) {
        acc += ((int32_t)x[k * p->a_k] + p->a_offset) * ((int32_t)w[k * p->b_k] + p->b_offset);
    }
    acc *= p->alpha;
    if (bias != NULL) acc += p->beta * bias[o.c + m * p->c_m + n * p->c_n];
    return acc;
}

/* acc requantized with column n's parameters, plus the output zero point. */
static inline int64_t td_matmul_s8_rq_out(const td_matmul_s8_rq_args_t *p, int32_t acc,
                                          int32_t n)
{
    return td_requant_value(acc, p->rq_mul[n], p->rq_add[n], p->rq_mul2, p->rq_div[n],
                            p->rq_fp32, p->rq_rounding, p->rq_clip_lo, p->rq_clip_hi)
           + p->rq_out_offset;
}

#define TD_MATMUL_FOR_EACH(p, i0, i1, i2, i3)                          \
    for (int32_t i0 = 0; i0 < (p)->batch[0]; ++i0)                     \
    for (int32_t i1 = 0; i1 < (p)->batch[1]; ++i1)                     \
    for (int32_t i2 = 0; i2 < (p)->batch[2]; ++i2)                     \
    for (int32_t i3 = 0; i3 < (p)->batch[3]; ++i3)

void td_matmul_s8_rq(const td_matmul_s8_rq_args_t *args, const int8_t *a, const int8_t *b,
                     const int32_t *bias, int8_t *out);

#endif /* TD_MATMUL_S8_RQ_H */
