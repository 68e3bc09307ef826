/* td_fully_connected_s8_rq_opt.h - fully connected layer with Deeploy's RequantShift fused
 * in (the reference: kernels/td_fully_connected_s8_rq.h), optimized for RV32IMC: the same
 * bytes from an args struct Python fills at compile time (quant/opt/matmul_rq.py).
 *
 * Weights are packed in panels of 8 outputs, [ceil(out / 8)][in][8] int8 (zero columns
 * past out_features); two batch rows at a time run against each panel (td_opt_mm.h:
 * 2.6 instructions per MAC), then requantize with the per-output constants kc and rq
 * (the bias, input offset and RequantShift folded, td_opt_mm.h). Mode 2 takes any other
 * per-channel requantization (float32 rounding flags, mul2 != 1, any divisor): kc[2 c]
 * holds C (bias + input offset times the column's weight sum) and chan the column's
 * descriptor (td_opt_rq.h, Python's quant/opt/_pulp_rq.py), which requantizes the
 * reference's accumulator s + C (int32: Python proves |s| + |C| < 2^31). No
 * scratch. Several cores: core c takes its share of the panels.
 *
 * Preconditions (quant/preconditions/opt_mm.py): batches, in_features,
 * out_features > 0; kc sized 2 * out_features, rq 2 or 2 * out_features, wts ceil(out_features / 8) * 8 *
 * in_features; lo <= hi; the requantization words as td_opt_mm.h proves them; mode 2:
 * chan holds TD_OPT_CH words per output with valid descriptors (gmul/gadd/gdiv entries),
 * |s| + |C| < 2^31 for every sum s.
 */
#ifndef TD_FULLY_CONNECTED_S8_RQ_OPT_H
#define TD_FULLY_CONNECTED_S8_RQ_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t batches;
    int32_t in_features;
    int32_t out_features;
    int32_t lo;                /* clamp bounds before the output zero point */
    int32_t hi;
    int32_t out_offset;
    int32_t trunc;             /* 1: requant rounds toward zero, 0: floor */
    int32_t mode;              /* 0: int32 requantization, 1: int64, 2: descriptors */
    int32_t rq_step;           /* 0: one (mul, shift) for all outputs, 2: one per output */
    int32_t rq_fp32;           /* mode 2, TD_RQ_GEN / F32G columns: as td_requant_value */
    int32_t rq_rounding;
    int64_t rq_mul2;
    const int32_t *kc;         /* [out_features][2] (td_opt_mm.h) */
    const int32_t *rq;         /* [1 or out_features][2]: mul, shift */
    const int8_t *wts;         /* [ceil(out_features / 8)][in_features][8] */
    const int32_t *chan;       /* mode 2: TD_OPT_CH words per output (td_opt_rq.h) */
    const int64_t *gmul;       /* mode 2: TD_RQ_GEN / F32G columns' reference tables */
    const int64_t *gadd;
    const int64_t *gdiv;
} td_fully_connected_s8_rq_opt_args_t;

void td_fully_connected_s8_rq_opt(const td_fully_connected_s8_rq_opt_args_t *args,
                                  const int8_t *input, int8_t *output, void *scratch,
                                  const td_team_t *team);

#endif /* TD_FULLY_CONNECTED_S8_RQ_OPT_H */
