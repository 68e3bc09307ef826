/* td_ilayernorm_s8_opt.h - Deeploy's integer LayerNorm (the reference:
 * kernels/td_ilayernorm_s8.h) in 32-bit arithmetic: the same bytes when every product
 * centered value * weight and every quotient + bias stays within int32, which
 * quant/opt/ilayernorm.py proves from the weights (|centered| <= 255); the division is
 * then one 32-bit div (truncating, as the reference's 64-bit one) instead of a 64-bit
 * library call. Weight and bias travel in the struct. The output may overwrite the input
 * (a row is read whole for its statistics before the pass that reads element j, then
 * writes it). Several cores: core c takes its share of the rows.
 *
 * Preconditions (quant/preconditions/opt_tables.py): rows, length > 0, length <= 2^15;
 * weight and bias of length entries with 255 * |weight| + |bias| < 2^31; 0 <= log2d <= 31;
 * clip_lo <= clip_hi; outputs fit int8.
 */
#ifndef TD_ILAYERNORM_S8_OPT_H
#define TD_ILAYERNORM_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t rows;
    int32_t length;
    int32_t x_offset;          /* -zero point of the input */
    int32_t log2d;
    int32_t clip_lo;           /* clamp in the source domain */
    int32_t clip_hi;
    int32_t out_offset;
    const int32_t *weight;     /* [length] */
    const int32_t *bias;       /* [length] */
} td_ilayernorm_s8_opt_args_t;

void td_ilayernorm_s8_opt(const td_ilayernorm_s8_opt_args_t *args, const int8_t *input,
                          int8_t *output, void *scratch, const td_team_t *team);

#endif /* TD_ILAYERNORM_S8_OPT_H */
