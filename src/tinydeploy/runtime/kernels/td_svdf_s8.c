/* td_svdf_s8.c - see td_svdf_s8.h and td_svdf_impl.h. */
#include "td_svdf_s8.h"

#define TD_SVDF_T int16_t
#define TD_SVDF_MIN (-32768)
#define TD_SVDF_MAX 32767

#include "td_svdf_impl.h"

void td_svdf_s8(const td_svdf_s8_args_t *args, const int8_t *x, const int8_t *w_feature,
                const int16_t *w_time, const int32_t *bias, int8_t *y, int16_t *state,
                void *scratch, const td_team_t *team)
{
    svdf_run(args, x, w_feature, w_time, bias, y, state, scratch, team);
}
