/* td_fully_connected_s8_rq_opt.h - fully connected layer with Deeploy's RequantShift fused
 * in (the reference: kernels/td_fully_connected_s8_rq.h), optimized for RV32IMC: the same
 * bytes from an args struct Python fills at compile time (quant/opt/matmul_rq.py).
 *
 * Weights are packed in panels of 8 outputs, [ceil(out / 8)][in][8] int8 (zero columns
 * past out_features); two batch rows at a time run against each panel (td_opt_mm.h:
 * 2.6 instructions per MAC), then requantize with the per-output constants kc and rq
 * (the bias, input offset and RequantShift folded, td_opt_mm.h). No
 * scratch. Several cores: core c takes its share of the panels.
 *
 * Preconditions (quant/preconditions/opt_mm.py): batches, in_features,
 * out_features > 0; kc sized 2 * out_features, rq 2 or 2 * out_features, wts ceil(out_features / 8) * 8 *
 * in_features; lo <= hi; the requantization words as td_opt_mm.h proves them.
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
    int32_t mode;              /* 0: int32 requantization, 1: int64 */
    int32_t rq_step;           /* 0: one (mul, shift) for all outputs, 2: one per output */
    const int32_t *kc;         /* [out_features][2] (td_opt_mm.h) */
    const int32_t *rq;         /* [1 or out_features][2]: mul, shift */
    const int8_t *wts;         /* [ceil(out_features / 8)][in_features][8] */
} td_fully_connected_s8_rq_opt_args_t;

void td_fully_connected_s8_rq_opt(const td_fully_connected_s8_rq_opt_args_t *args,
                                  const int8_t *input, int8_t *output, void *scratch,
                                  const td_team_t *team);

#endif /* TD_FULLY_CONNECTED_S8_RQ_OPT_H */
