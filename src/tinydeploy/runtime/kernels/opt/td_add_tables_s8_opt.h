/* td_add_tables_s8_opt.h - the integer graphs' add of two int8 tensors of one shape with
 * Deeploy's RequantShift fused in (the reference: kernels/td_add_s8_rq.h), as two
 * tables: with ta[a] = (a + a_offset) * a_mult * mul and tb[b] = (b + b_offset) * b_mult *
 * mul + add (quant/opt/table_s8.py; every channel requantizes alike, the divisor is
 * 2^shift and |ta| + |tb| < 2^31),
 *     out = clamp(floor_or_trunc((ta[a] + tb[b]) / 2^shift), lo, hi) + out_offset.
 * The output may overwrite either input (element i is read before it is written).
 * Several cores: core c takes its share of the elements.
 *
 * Preconditions (quant/preconditions/opt_tables.py): size > 0; tables of 256 int32
 * values whose sums stay within int32; 0 <= shift <= 31; lo <= hi; outputs fit int8.
 */
#ifndef TD_ADD_TABLES_S8_OPT_H
#define TD_ADD_TABLES_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t size;
    int32_t shift;
    int32_t trunc;             /* 1: round toward zero, 0: floor */
    int32_t lo;                /* clamp bounds before the output zero point */
    int32_t hi;
    int32_t out_offset;
    const int32_t *ta;         /* [256] indexed by the stored value + 128 */
    const int32_t *tb;
} td_add_tables_s8_opt_args_t;

void td_add_tables_s8_opt(const td_add_tables_s8_opt_args_t *args, const int8_t *a,
                          const int8_t *b, int8_t *output, void *scratch,
                          const td_team_t *team);

#endif /* TD_ADD_TABLES_S8_OPT_H */
