/* td_transpose_s8_opt.c - see td_transpose_s8_opt.h and td_transpose_opt_impl.h. */
#include "td_transpose_s8_opt.h"

#define TD_TR_T int8_t

#include "td_transpose_opt_impl.h"

void td_transpose_s8_opt(const td_transpose_s8_opt_args_t *args, const int8_t *input,
                         int8_t *output, void *scratch, const td_team_t *team)
{
    transpose_run(args, input, output, scratch, team);
}
