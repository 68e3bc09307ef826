/* td_batch_matmul_s16.c - see td_batch_matmul_s16.h and td_batch_matmul_impl.h. */
#include "td_batch_matmul_s16.h"

#include "td_16x8.h"

#define TD_BMM_T int16_t
#define TD_BMM_ACC int64_t
#define TD_BMM_REQUANT td_requant64

#include "td_batch_matmul_impl.h"

void td_batch_matmul_s16(const td_batch_matmul_s16_args_t *args, const int16_t *a,
                         const int16_t *b, int16_t *out)
{
    bmm_run(args, a, b, out);
}
