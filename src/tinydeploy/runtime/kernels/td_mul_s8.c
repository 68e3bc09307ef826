/* td_mul_s8.c - see td_mul_s8.h and td_mul_impl.h. */
#include "td_mul_s8.h"

#define TD_MUL_T int8_t

#include "td_mul_impl.h"

void td_mul_s8(const td_mul_s8_args_t *args, const int8_t *a, const int8_t *b, int8_t *out)
{
    mul_run(args, a, b, out);
}
