/* td_isoftmax_s8_opt.h - Deeploy's integer softmax (the reference: kernels/td_isoftmax_s8.h)
 * with its exponential tabulated: e depends only on max(x) - x in [0, 255], so
 * quant/opt/isoftmax.py evaluates the reference formula for all 256 differences at compile
 * time and the kernel looks them up (the division e * (n_levels - 1) / sum stays: one
 * 32-bit divide per output). The output may overwrite the input (a row is read whole for
 * its maximum and sum before the pass that reads element j, then writes it). Several
 * cores: core c takes its share of the rows.
 *
 * Preconditions (quant/preconditions/opt_tables.py): those of the reference on the row
 * sums (length * max e and max e * (n_levels - 1) below 2^32, e(0) > 0); table of 256
 * values in [0, 2^31); outputs fit int8.
 */
#ifndef TD_ISOFTMAX_S8_OPT_H
#define TD_ISOFTMAX_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t rows;
    int32_t length;
    int32_t levels;            /* n_levels - 1 */
    int32_t out_offset;
    const int32_t *exp;        /* [256]: e of max(x) - x, < 2^31 */
} td_isoftmax_s8_opt_args_t;

void td_isoftmax_s8_opt(const td_isoftmax_s8_opt_args_t *args, const int8_t *input,
                        int8_t *output, void *scratch, const td_team_t *team);

#endif /* TD_ISOFTMAX_S8_OPT_H */
