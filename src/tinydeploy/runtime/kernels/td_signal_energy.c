/* td_signal_energy.c - see td_signal_energy.h. */
#include "td_signal_energy.h"

void td_signal_energy(const td_signal_energy_args_t *args, const int16_t *x, uint32_t *y)
{
    for (int32_t k = 0; k < args->size; ++k) {
        if (k >= args->start_index && k < args->end_index) {
            int32_t re = x[2 * k], im = x[2 * k + 1];
            /* each square <= 2^30; their sum <= 2^31 fits uint32 (TFLM's int32 sum wraps
             * to the same bits) */
            y[k] = (uint32_t)(re * re) + (uint32_t)(im * im);
        } else {
            y[k] = 0;
        }
    }
}
