/* td_add_s8_opt.h - int8 add (TFLite's rescaled add) optimized for RV32IMC: the same
 * bytes as the reference td_add_s8 (kernels/td_add_s8.h) from an args struct Python fills
 * at compile time (quant/opt/add.py).
 *
 * Each input's rescale, td_requant((x + offset) << left_shift, multiplier, shift), is a
 * function of the input byte alone: Python tabulates it (ta, tb: 256 int32 each, indexed
 * by the byte as unsigned), so an element costs two loads from tables, one add, and the
 * output requantization: the fast one of td_opt_common.h with clamp thresholds (q[]:
 * m4, c_pos, d_neg, sh, lo, hi) when `fast`, else td_requant and a clamp.
 * Elements are written in order, each after its two reads (it may write over an input).
 * Broadcasting inputs are walked like the reference (td_broadcast.h). Several cores:
 * core c takes its share of the elements (no barrier: elementwise).
 *
 * Preconditions (quant/preconditions/opt.py): the reference kernel's walk (ndim, shape,
 * strides); ta, tb of 256 entries each; q of 6 entries with 1 <= sh <= 31 when fast.
 */
#ifndef TD_ADD_S8_OPT_H
#define TD_ADD_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t ndim;                /* dims of the broadcast walk (<= TD_MAX_DIMS) */
    const int32_t *shape;        /* [ndim] output shape (dims merged) */
    const int32_t *a_strides;    /* [ndim] element strides of a, 0 = broadcast */
    const int32_t *b_strides;    /* [ndim] element strides of b */
    int32_t fast;                /* 1: q holds the fast requantization and thresholds */
    int32_t out_multiplier;      /* the reference output requantization */
    int32_t out_shift;
    int32_t out_offset;
    int32_t act_min;
    int32_t act_max;
    const int32_t *ta;           /* [256] rescaled a, by (uint8_t)a */
    const int32_t *tb;           /* [256] rescaled b */
    const int32_t *q;            /* [6] m4, c_pos, d_neg, sh, lo threshold, hi threshold */
} td_add_s8_opt_args_t;

void td_add_s8_opt(const td_add_s8_opt_args_t *args, const int8_t *a, const int8_t *b,
                   int8_t *out, void *scratch, const td_team_t *team);

#endif /* TD_ADD_S8_OPT_H */
