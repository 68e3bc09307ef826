/* td_logistic_s16.c - see td_logistic_s16.h. */
#include "td_logistic_s16.h"

#include "td_16x8.h"

void td_logistic_s16(const td_logistic_s16_args_t *args, const int16_t *x, int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int32_t v = td_rescale_s16(x[i], args->input_multiplier, args->input_shift);
        out[i] = td_sigmoid_s16(v, args->table);
    }
}
