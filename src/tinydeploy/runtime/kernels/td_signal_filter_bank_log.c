/* td_signal_filter_bank_log.c - see td_signal_filter_bank_log.h. */
#include "td_signal_filter_bank_log.h"

#include "td_signal_common.h"

static uint32_t log32(uint32_t v, uint32_t out_scale, const uint16_t *lut)
{
    const uint32_t e = td_signal_msb32(v) - 1;          /* v > 1: e in [1, 31] */
    int32_t f = (int32_t)(v - ((uint32_t)1 << e));      /* < 2^31 */
    int32_t seg, c0, c1, rel;
    uint32_t frac, log2v, loge;
    if (e < 16) {
        f = (int32_t)((uint32_t)f << (16 - e));         /* < 2^16 */
    } else {
        f >>= e - 16;
    }
    seg = f >> 9;                                       /* [0, 127] */
    c0 = lut[seg];
    c1 = lut[seg + 1];
    rel = ((c1 - c0) * (f - (seg << 9))) >> 16;         /* arithmetic shift, as TFLM */
    frac = (uint32_t)(f + c0 + rel);
    log2v = (e << 16) + frac;
    loge = (uint32_t)(((uint64_t)45426 * log2v + 32768u) >> 16);
    return (out_scale * loge + 32768u) >> 16;           /* uint32: wraps as TFLM's */
}

void td_signal_filter_bank_log(const td_signal_filter_bank_log_args_t *args,
                               const uint32_t *x, int16_t *y)
{
    const uint32_t bits = (uint32_t)args->correction_bits;
    for (int32_t c = 0; c < args->size; ++c) {
        const uint32_t v = x[c] << bits;
        if (v > 1) {
            const uint32_t l = log32(v, (uint32_t)args->output_scale, args->lut);
            y[c] = (int16_t)(l < (uint32_t)INT16_MAX ? l : (uint32_t)INT16_MAX);
        } else {
            y[c] = 0;
        }
    }
}
