/* td_add_tables_s8_s16_opt.h - the integer graphs' add of two int8 tensors of one shape
 * with a requantization to int16 fused in (the reference: kernels/td_add_s8_s16_rq.h):
 * every channel requantizes alike with a power-of-two divisor 2^shift, no float32
 * rounding and mul2 = 1 (quant/opt/add_s16.py), in one of two forms:
 *   linear = 0: the tables of td_add_tables_s8_opt.h, ta[a] = (a + a_offset) * a_mult *
 *       mul, tb[b] = (b + b_offset) * b_mult * mul + add (|ta| + |tb| < 2^31),
 *       out = clamp(floor_or_trunc((ta[a] + tb[b]) / 2^shift), lo, hi) + out_offset;
 *   linear = 1: Python proved shift = 0 and that no pair of bytes reaches the clamp, so
 *       out = a * am + b * bm + c (am = a_mult * mul, bm = b_mult * mul, c the rest),
 *       computed modulo 2^32 (the value fits int16: exact).
 * The output never shares bytes with an input (it is twice the size: the planner places
 * it apart).
 * Several cores: core c takes its share of the elements.
 *
 * Preconditions (quant/preconditions/opt_s16.py): size > 0; linear 0 or 1; (linear = 0)
 * tables of 256 int32 values whose sums stay within int32; 0 <= shift <= 31; lo <= hi;
 * outputs fit int16 (linear = 1: a * am + b * bm + c in [lo, hi] + out_offset over all
 * bytes).
 */
#ifndef TD_ADD_TABLES_S8_S16_OPT_H
#define TD_ADD_TABLES_S8_S16_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t size;
    int32_t linear;            /* 1: out = a * am + b * bm + c */
    int32_t am;
    int32_t bm;
    int32_t c;
    int32_t shift;
    int32_t trunc;             /* 1: round toward zero, 0: floor */
    int32_t lo;                /* clamp bounds before the output zero point */
    int32_t hi;
    int32_t out_offset;
    const int32_t *ta;         /* [256] indexed by the stored value + 128 (linear: [1], */
    const int32_t *tb;         /* not read) */
} td_add_tables_s8_s16_opt_args_t;

void td_add_tables_s8_s16_opt(const td_add_tables_s8_s16_opt_args_t *args, const int8_t *a,
                              const int8_t *b, int16_t *output, void *scratch,
                              const td_team_t *team);

#endif /* TD_ADD_TABLES_S8_S16_OPT_H */
