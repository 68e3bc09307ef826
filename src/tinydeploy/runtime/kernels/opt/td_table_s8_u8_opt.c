/* td_table_s8_u8_opt.c - see td_table_s8_u8_opt.h. */
#include "td_table_s8_u8_opt.h"

#include "td_table_offset_opt.h"

void td_table_s8_u8_opt(const td_table_s8_u8_opt_args_t *args, const int8_t *input,
                        uint8_t *output, void *scratch, const td_team_t *team)
{
    const uint8_t *t = args->table + 128;
    int32_t i0, i1;
    (void)scratch;
    td_team_range(args->size, td_team_cores(team), td_team_core(team), &i0, &i1);
    if (args->offset >= 0) {
        td_table_offset_run((const uint8_t *)(const void *)(input + i0), output + i0,
                            i1 - i0, (uint32_t)args->offset);
        return;
    }
    const int8_t *x = input + i1;
    uint8_t *y = output + i1;
    for (int32_t i = i0 - i1; i < 0; ++i) y[i] = t[x[i]];
}
