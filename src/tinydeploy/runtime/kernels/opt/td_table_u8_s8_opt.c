/* td_table_u8_s8_opt.c - see td_table_u8_s8_opt.h. */
#include "td_table_u8_s8_opt.h"

#include "td_table_offset_opt.h"

void td_table_u8_s8_opt(const td_table_u8_s8_opt_args_t *args, const uint8_t *input,
                        int8_t *output, void *scratch, const td_team_t *team)
{
    const int8_t *t = args->table;
    int32_t i0, i1, i;
    (void)scratch;
    td_team_range(args->size, td_team_cores(team), td_team_core(team), &i0, &i1);
    if (args->offset >= 0) {
        td_table_offset_run(input + i0, (uint8_t *)(void *)(output + i0), i1 - i0,
                            (uint32_t)args->offset);
        return;
    }
    for (i = i0; i + 4 <= i1; i += 4) {
        const int8_t a = t[input[i]], b = t[input[i + 1]];
        const int8_t c = t[input[i + 2]], d = t[input[i + 3]];
        output[i] = a;
        output[i + 1] = b;
        output[i + 2] = c;
        output[i + 3] = d;
    }
    for (; i < i1; ++i) output[i] = t[input[i]];
}
