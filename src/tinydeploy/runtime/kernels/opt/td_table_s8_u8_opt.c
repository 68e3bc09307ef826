/* td_table_s8_u8_opt.c - see td_table_s8_u8_opt.h. */
#include "td_table_s8_u8_opt.h"

#include "td_table_offset_opt.h"

void td_table_s8_u8_opt(const td_table_s8_u8_opt_args_t *args, const int8_t *input,
                        uint8_t *output, void *scratch, const td_team_t *team)
{
    int32_t i0, i1;
    (void)scratch;
    td_team_range(args->size, td_team_cores(team), td_team_core(team), &i0, &i1);
    td_table_s8_run(args->table, args->offset, input, output, i0, i1);
}
