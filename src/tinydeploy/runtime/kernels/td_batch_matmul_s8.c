/* td_batch_matmul_s8.c - see td_batch_matmul_s8.h and td_batch_matmul_impl.h. */
#include "td_batch_matmul_s8.h"

#define TD_BMM_T int8_t
#define TD_BMM_ACC int32_t
#define TD_BMM_REQUANT td_requant

#include "td_batch_matmul_impl.h"

void td_batch_matmul_s8(const td_batch_matmul_s8_args_t *args, const int8_t *a, const int8_t *b,
                        int8_t *out)
{
    bmm_run(args, a, b, out);
}
