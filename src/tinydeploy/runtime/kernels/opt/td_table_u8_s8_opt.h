/* td_table_u8_s8_opt.h - a uint8 -> int8 elementwise op as a 256-entry table: the
 * requantization of a uint8 graph input to int8 (NEMO's and Deeploy's 0..255 images;
 * quant/opt/requantize_u8.py computes the table with the op's own golden, so the bytes are
 * the reference kernel's, td_requantize_u8_s8). out[i] = table[in[i]]: two loads and a
 * store per element (four elements per loop turn). The output may overwrite the input
 * (element i is read before it is written). Several cores: core c takes its share.
 *
 * A table that only adds a constant to every byte (offset >= 0: a uint8 input re-stored as
 * int8, x - 128 == x ^ 0x80) runs without it, four bytes per word for offsets 0 and 128
 * (td_table_offset_opt.h).
 *
 * Preconditions (quant/preconditions/opt_tables.py): size > 0; table of 256 int8 values;
 * offset -1, or c in [0, 255] with every entry the offset input byte.
 */
#ifndef TD_TABLE_U8_S8_OPT_H
#define TD_TABLE_U8_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

typedef struct {
    int32_t size;
    int32_t offset;            /* c if every output byte is (input byte + c) mod 256, else -1
                                * (then td_table_offset_opt.h, no table look-ups) */
    const int8_t *table;       /* [256]: the output of input byte v at v */
} td_table_u8_s8_opt_args_t;

void td_table_u8_s8_opt(const td_table_u8_s8_opt_args_t *args, const uint8_t *input,
                        int8_t *output, void *scratch, const td_team_t *team);

#endif /* TD_TABLE_U8_S8_OPT_H */
