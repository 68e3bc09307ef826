/* td_integer.h - helpers of the integer-graph kernels (Deeploy's operators): reading and
 * writing integers of a width given at run time, floor shifts and divisions of signed
 * values, the integer square root.
 *
 * Every function is defined for all arguments its callers pass, as checked at compile time
 * (quant/preconditions/attention.py): widths are 1, 2 or 4 bytes; shifts in [0, 62];
 * divisors > 0.
 */
#ifndef TD_INTEGER_H
#define TD_INTEGER_H

#include "../td_names.h"

#include <stdint.h>
#include <string.h>

/* Element i of an array of `bytes`-wide signed integers. */
static inline int32_t td_load_int(const void *p, int32_t bytes, int32_t i)
{
    if (bytes == 1) return ((const int8_t *)p)[i];
    if (bytes == 2) return ((const int16_t *)p)[i];
    return ((const int32_t *)p)[i];
}

/* Store v (which fits the width) as element i. */
static inline void td_store_int(void *p, int32_t bytes, int32_t i, int64_t v)
{
    if (bytes == 1) ((int8_t *)p)[i] = (int8_t)v;
    else if (bytes == 2) ((int16_t *)p)[i] = (int16_t)v;
    else ((int32_t *)p)[i] = (int32_t)v;
}

/* floor(v / 2^s) for 0 <= s <= 62 (no right shift of a negative value: that is
 * implementation-defined in C99). */
static inline int64_t td_floor_shift(int64_t v, int32_t s)
{
    return v >= 0 ? v >> s : -((-(v + 1)) >> s) - 1;
}

/* floor(v / d) for d > 0. */
static inline int64_t td_floor_div(int64_t v, int64_t d)
{
    int64_t q = v / d;
    return (v % d != 0 && v < 0) ? q - 1 : q;
}

/* floor(sqrt(n)), exact, for any uint32_t n (bit by bit). */
static inline uint32_t td_isqrt_u32(uint32_t n)
{
    uint32_t root = 0, bit = 1u << 30;
    while (bit > n) bit >>= 2;
    while (bit != 0) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

/* floor(sqrt(n)), exact, for any uint64_t n (bit by bit). */
static inline uint64_t td_isqrt_u64(uint64_t n)
{
    uint64_t root = 0, bit = (uint64_t)1 << 62;
    while (bit > n) bit >>= 2;
    while (bit != 0) {
        if (n >= root + bit) {
            n -= root + bit;
            root = (root >> 1) + bit;
        } else {
            root >>= 1;
        }
        bit >>= 2;
    }
    return root;
}

static inline int64_t td_clamp64(int64_t v, int64_t lo, int64_t hi)
{
    return v < lo ? lo : (v > hi ? hi : v);
}

#endif /* TD_INTEGER_H */
