/* td_svdf_s8_s8.h - TFLite Micro's "full int8" SVDF: td_svdf_s8.h's arithmetic with an int8
 * state and int8 time weights (EvalIntegerSvdfReference<int8_t>): the feature sums are
 * requantized and clamped to [-128, 127], then the state's zero point is added and the
 * result stored as int8 (wrapping, as TFLM's store does).
 *
 * Preconditions (checked at compile time, quant/preconditions.py, recurrent.py; a layer that
 * violates one is refused naming it): those of td_svdf_s8.h with state_zp of int8.
 */
#ifndef TD_SVDF_S8_S8_H
#define TD_SVDF_S8_S8_H

#include "../td_names.h"

#include <stdint.h>

#include "td_svdf_s8.h"

/* The args of td_svdf_s8.h. */
typedef td_svdf_s8_args_t td_svdf_s8_s8_args_t;

void td_svdf_s8_s8(const td_svdf_s8_s8_args_t *args, const int8_t *x, const int8_t *w_feature,
                   const int8_t *w_time, const int32_t *bias, int8_t *y, int8_t *state,
                   void *scratch, const td_team_t *team);

#endif /* TD_SVDF_S8_S8_H */
