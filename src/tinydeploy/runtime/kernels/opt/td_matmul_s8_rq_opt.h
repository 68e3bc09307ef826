/* td_matmul_s8_rq_opt.h - the integer matrix product of two activations (or an
 * activation and a constant) with Deeploy's RequantShift fused in (the reference:
 * kernels/td_matmul_s8_rq.h), optimized for RV32IMC: the same bytes from an args struct
 * Python fills at compile time (quant/opt/matmul_rq.py).
 *
 * With fewer than 4 rows (a decode step's attention) each output is a strided dot
 * product instead. Otherwise, per batch index and panel of 8 columns, B's columns are
 * packed into the scratch as [k][8] (zeros past n), then every pair of A's rows
 * (contiguous along k: a_k = 1) runs against the panel (td_opt_mm.h: 2.6 instructions per MAC) and is requantized with the
 * per-column constants kc and rq (the bias and RequantShift folded); A's offset adds
 * a_offset times the column's sum, taken while packing (B's offset is 0).
 * Scratch: 8 * k bytes per core. Several cores: core c takes its share of the panels.
 *
 * Preconditions (quant/preconditions/opt_mm.py): m, n, k > 0; the batch walk, a_m and
 * the B strides stay inside the operands (a_size, b_size); kc sized 2 * n, rq 2 or 2 * n;
 * lo <= hi; scratch of 8 * k bytes per core.
 */
#ifndef TD_MATMUL_S8_RQ_OPT_H
#define TD_MATMUL_S8_RQ_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t m;                 /* rows of each output matrix */
    int32_t n;                 /* columns */
    int32_t k;
    int32_t a_offset;          /* -zero point of A (B's is 0) */
    int32_t a_m;               /* element stride of A's rows (along k: 1) */
    int32_t b_k;               /* element strides of B along k and n */
    int32_t b_n;
    int32_t a_size;            /* elements of A and B */
    int32_t b_size;
    int32_t lo;                /* clamp bounds before the output zero point */
    int32_t hi;
    int32_t out_offset;
    int32_t trunc;             /* 1: requant rounds toward zero, 0: floor */
    int32_t mode;              /* 0: int32 requantization, 1: int64 */
    int32_t rq_step;           /* 0: one (mul, shift) for all outputs, 2: one per output */
    const int32_t *batch;      /* [4] batch dims, leading 1s */
    const int32_t *a_batch;    /* [4] element strides of A and B per batch dim */
    const int32_t *b_batch;
    const int32_t *kc;         /* [n][2] (td_opt_mm.h) */
    const int32_t *rq;         /* [1 or n][2]: mul, shift */
} td_matmul_s8_rq_opt_args_t;

void td_matmul_s8_rq_opt(const td_matmul_s8_rq_opt_args_t *args, const int8_t *a,
                         const int8_t *b, int8_t *output, void *scratch,
                         const td_team_t *team);

#endif /* TD_MATMUL_S8_RQ_OPT_H */
