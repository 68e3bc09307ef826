/* td_mul_s16.c - see td_mul_s16.h and td_mul_impl.h. */
#include "td_mul_s16.h"

#define TD_MUL_T int16_t

#include "td_mul_impl.h"

void td_mul_s16(const td_mul_s16_args_t *args, const int16_t *a, const int16_t *b,
                int16_t *out)
{
    mul_run(args, a, b, out);
}
