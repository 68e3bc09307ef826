/* td_signal_filter_bank_square_root.c - see td_signal_filter_bank_square_root.h. */
#include "td_signal_filter_bank_square_root.h"

#include "td_signal_common.h"

void td_signal_filter_bank_square_root(const td_signal_filter_bank_square_root_args_t *args,
                                       const uint64_t *x, const int32_t *scale_bits,
                                       uint32_t *y)
{
    const uint32_t shift = (uint32_t)*scale_bits & 31u;
    for (int32_t c = 0; c < args->size; ++c) y[c] = td_signal_sqrt64(x[c]) >> shift;
}
