/* td_binary_s8_rq_opt.h - the integer graphs' add or mul of two int8 tensors with numpy
 * broadcasting and Deeploy's RequantShift fused in (the references:
 * kernels/td_add_any_s8_rq.h, td_mul_any_s8_rq.h) as two tables over the stored bytes
 * (quant/opt/table_s8.py; every channel requantizes alike, the divisor is 2^shift):
 *     add: v = ta[a] + tb[b],  ta[a] = (a + a_offset) * a_mult * mul,
 *                              tb[b] = (b + b_offset) * b_mult * mul + add
 *     mul: v = ta[a] * tb[b] + kc,  ta[a] = (a + a_offset) * mul, tb[b] = b + b_offset
 *     out = clamp(floor_or_trunc(v / 2^shift), lo, hi) + out_offset
 * with |v| < 2^31 for every pair of bytes (proved when the tables are made). The walk is
 * td_broadcast.h's, the last (merged) dim in a plain inner loop. The output may overwrite
 * an input of its size (element i is read before it is written).
 *
 * Preconditions (quant/preconditions/opt_tables.py): 1 <= ndim <= 6, shape > 0, strides
 * >= 0 and inside the operands; tables of 256 int32 values keeping |v| < 2^31; 0 <= shift
 * <= 31; lo <= hi; outputs fit int8.
 */
#ifndef TD_BINARY_S8_RQ_OPT_H
#define TD_BINARY_S8_RQ_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t ndim;              /* dims of the merged broadcast walk */
    int32_t mul;               /* 0: add (ta + tb), 1: mul (ta * tb + kc) */
    int32_t kc;
    int32_t shift;
    int32_t trunc;             /* 1: round toward zero, 0: floor */
    int32_t lo;                /* clamp bounds before the output zero point */
    int32_t hi;
    int32_t out_offset;
    const int32_t *shape;      /* [6]: the last ndim are the merged output dims */
    const int32_t *a_strides;  /* [6] element strides (0: broadcast) */
    const int32_t *b_strides;
    const int32_t *ta;         /* [256] indexed by the stored value + 128 */
    const int32_t *tb;
} td_binary_s8_rq_opt_args_t;

void td_binary_s8_rq_opt(const td_binary_s8_rq_opt_args_t *args, const int8_t *a,
                         const int8_t *b, int8_t *output, void *scratch,
                         const td_team_t *team);

#endif /* TD_BINARY_S8_RQ_OPT_H */
