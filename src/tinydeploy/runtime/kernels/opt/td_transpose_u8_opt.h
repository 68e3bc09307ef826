/* td_transpose_u8_opt.h - a transpose of uint8_t values (the NCHW <-> NHWC edges of the
 * integer graphs of NEMO, QuantLab and Deeploy) with its dimensions collapsed at compile
 * time (quant/opt/transpose.py: size-1 dimensions dropped, neighbours that stay
 * contiguous merged) to at most three output dimensions n0 x n1 x n2 read at input
 * strides s0, s1, s2. A 2-D transpose (s1 = 1) from a word-aligned input with s2 (and s0)
 * multiples of 4 into an even output with n2 even moves 8 x 8 / 4 x 4 byte blocks in
 * registers (td_transpose_opt_impl.h: about two instructions per byte on RV32IMC); other
 * shapes and alignments copy byte by byte at constant strides. The output may not overlap
 * the input. Several cores: core c takes its share of the groups of four output rows.
 *
 * Preconditions (quant/preconditions/opt_tables.py): n0, n1, n2 >= 1, strides >= 0, every
 * read inside the n0 * n1 * n2 input values.
 */
#ifndef TD_TRANSPOSE_U8_OPT_H
#define TD_TRANSPOSE_U8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"
#include "td_transpose_s8_opt.h"

/* The args of td_transpose_s8_opt.h. */
typedef td_transpose_s8_opt_args_t td_transpose_u8_opt_args_t;

void td_transpose_u8_opt(const td_transpose_u8_opt_args_t *args, const uint8_t *input,
                         uint8_t *output, void *scratch, const td_team_t *team);

#endif /* TD_TRANSPOSE_U8_OPT_H */
