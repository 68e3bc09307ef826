/* td_logistic_s16.c - see td_logistic_s16.h. */
#include "td_logistic_s16.h"

static int16_t logistic_one(const td_logistic_s16_args_t *p, int16_t x)
{
    const int32_t rnd = p->input_shift > 0 ? 1 << (p->input_shift - 1) : 0;
    const int32_t v = (x * p->input_multiplier + rnd) >> p->input_shift;
    const uint32_t mag = (uint32_t)(v < 0 ? -v : v);
    const uint32_t uh = mag >> 9;
    uint32_t r = 0x7FFFu << 10;                              /* saturated */
    if (uh < 255) {
        const uint32_t ua = p->table[uh], ub = p->table[uh + 1];
        r = (ua << 9) + (mag & 0x1FF) * (ub - ua);
    }
    r = v >= 0 ? r + (1u << 9) : (1u << 25) - r + (1u << 9) - 1;
    return (int16_t)(r >> 10);
}

void td_logistic_s16(const td_logistic_s16_args_t *args, const int16_t *x, int16_t *out)
{
    for (int32_t i = 0; i < args->size; ++i) out[i] = logistic_one(args, x[i]);
}
