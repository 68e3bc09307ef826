/* td_table_s8_u8_opt.h - an int8 -> uint8 elementwise op as a 256-entry table: the
 * requantization of an int8 tensor to uint8 (a NEMO or Deeploy graph's uint8 output;
 * quant/opt/requantize_u8.py computes the table with the op's own golden, so the bytes are
 * the reference kernel's, td_requantize_s8_u8). out[i] = table[in[i] + 128]: two loads
 * and a store per element. The output may overwrite the input (element i is read before
 * it is written). Several cores: core c takes its share of the elements.
 *
 * A table that only adds a constant to every byte (offset >= 0: an int8 tensor re-stored
 * as uint8, x + 128 == x ^ 0x80) runs without it, four bytes per word for offsets 0 and
 * 128 (td_table_offset_opt.h).
 *
 * Preconditions (quant/preconditions/opt_tables.py): size > 0; table of 256 uint8 values;
 * offset -1, or c in [0, 255] with every entry the offset input byte.
 */
#ifndef TD_TABLE_S8_U8_OPT_H
#define TD_TABLE_S8_U8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t size;
    int32_t offset;            /* c if every output byte is (input byte + c) mod 256, else -1
                                * (then td_table_offset_opt.h, no table look-ups) */
    const uint8_t *table;      /* [256]: the output of stored input v at v + 128 */
} td_table_s8_u8_opt_args_t;

void td_table_s8_u8_opt(const td_table_s8_u8_opt_args_t *args, const int8_t *input,
                        uint8_t *output, void *scratch, const td_team_t *team);

#endif /* TD_TABLE_S8_U8_OPT_H */
