/* td_signal_common.h - integer helpers shared by the signal kernels (td_signal_*.c), bit-exact
 * with TFLite Micro's signal library (signal/src/msb_32.cc, msb_64.cc, square_root_32.cc,
 * square_root_64.cc as built by GCC/Clang on a host). Static inline functions only: no
 * state, nothing to link. The Python twins are quant/golden/_signal_common.py.
 *
 * td_signal_msb32(x), td_signal_msb64(x): the number of significant bits of x (1 + the
 * index of its highest set bit); for x == 0 they return 32 and 64 (TFLM's __GNUC__
 * branch: 32 - clz, with 0 special-cased to 32 / 64, not 0).
 *
 * td_signal_sqrt32(x): round(sqrt(x)) for a uint32 (the bitwise integer square root, then
 * + 1 when x - r^2 > r), saturating at 0xFFFF; td_signal_sqrt64(x) the same for a uint64,
 * saturating at 0xFFFFFFFF (and td_signal_sqrt32 when x < 2^32).
 */
#ifndef TD_SIGNAL_COMMON_H
#define TD_SIGNAL_COMMON_H

#include <stdint.h>

static inline uint32_t td_signal_msb32(uint32_t x)
{
    uint32_t n = 0;
    if (x == 0) return 32;
    while (x) {
        x >>= 1;
        ++n;
    }
    return n;
}

static inline uint32_t td_signal_msb64(uint64_t x)
{
    uint32_t n = 0;
    if (x == 0) return 64;
    if (x >> 32) {
        n = 32;
        x >>= 32;
    }
    return n + td_signal_msb32((uint32_t)x);
}

static inline uint16_t td_signal_sqrt32(uint32_t num)
{
    uint32_t res = 0, bit;
    int32_t top, iterations;
    if (num == 0) return 0;
    top = (int32_t)(32 - td_signal_msb32(num)) | 1;     /* odd count of leading zeros */
    bit = (uint32_t)1 << (31 - top);                     /* highest power of 4 <= num */
    iterations = (31 - top) / 2 + 1;
    while (iterations--) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != 0xFFFFu) ++res;
    return (uint16_t)res;
}

static inline uint32_t td_signal_sqrt64(uint64_t num)
{
    uint64_t res = 0, bit;
    int32_t top, iterations;
    if ((num >> 32) == 0) return td_signal_sqrt32((uint32_t)num);
    top = (int32_t)(64 - td_signal_msb64(num)) | 1;
    bit = (uint64_t)1 << (63 - top);
    iterations = (63 - top) / 2 + 1;
    while (iterations--) {
        if (num >= res + bit) {
            num -= res + bit;
            res = (res >> 1) + bit;
        } else {
            res >>= 1;
        }
        bit >>= 2;
    }
    if (num > res && res != UINT64_C(0xFFFFFFFF)) ++res;
    return (uint32_t)res;
}

#endif /* TD_SIGNAL_COMMON_H */
