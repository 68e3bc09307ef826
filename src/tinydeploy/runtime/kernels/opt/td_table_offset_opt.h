/* td_table_offset_opt.h - the byte tables that are a pure offset, t[x] == (x + c) mod 256
 * for every byte x (quant/opt/table_s8.py, requantize_u8.py set the args' `offset` to c,
 * else -1): a uint8 input re-stored as int8 (c = 128: x - 128 == x ^ 0x80) or an int8
 * requantization that changes nothing (c = 0), the only offsets a clamping requantization
 * can give. For those, four bytes per word (one xor) where input and output share their
 * word phase, bytes before the first word boundary and after the last whole word one by
 * one; any other c (no maker gives one) byte by byte. Every word is read before it is
 * written at the same place, so the output may be the input (in place) or not overlap
 * it at all.
 */
#ifndef TD_TABLE_OFFSET_OPT_H
#define TD_TABLE_OFFSET_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

/* y[0, n) = (x[0, n) + c) mod 256; c in [0, 255]. */
static void td_table_offset_run(const uint8_t *x, uint8_t *y, int32_t n, uint32_t c)
{
    const uint8_t cb = (uint8_t)c;
    if ((c & 0x7fu) == 0 && n >= 8 && (((uintptr_t)x ^ (uintptr_t)y) & 3u) == 0) {
        const uint32_t h = c * 0x01010101u;
        const uint32_t *s;
        uint32_t *d;
        const uint32_t *end;
        for (; ((uintptr_t)x & 3u) != 0; --n) *y++ = (uint8_t)(*x++ ^ cb);
        s = (const uint32_t *)(const void *)x;
        d = (uint32_t *)(void *)y;
        end = s + (n >> 2);
        for (; s + 4 <= end; s += 4, d += 4) {
            const uint32_t v0 = s[0], v1 = s[1], v2 = s[2], v3 = s[3];
            d[0] = v0 ^ h;
            d[1] = v1 ^ h;
            d[2] = v2 ^ h;
            d[3] = v3 ^ h;
        }
        for (; s != end; ++s, ++d) *d = *s ^ h;
        x = (const uint8_t *)(const void *)s;
        y = (uint8_t *)(void *)d;
        n &= 3;
    }
    for (; n > 0; --n) *y++ = (uint8_t)(*x++ + cb);
}

/* The elements [i0, i1) of an int8 input through a 256-entry byte table (entry v + 128
 * for stored v: td_table_s8_opt, td_table_s8_u8_opt), or through the offset c >= 0. */
static inline void td_table_s8_run(const uint8_t *table, int32_t offset, const int8_t *input,
                                   uint8_t *output, int32_t i0, int32_t i1)
{
    if (offset >= 0) {
        td_table_offset_run((const uint8_t *)(const void *)(input + i0), output + i0,
                            i1 - i0, (uint32_t)offset);
        return;
    }
    const uint8_t *t = table + 128;
    const int8_t *x = input + i1;
    uint8_t *y = output + i1;
    for (int32_t i = i0 - i1; i < 0; ++i) y[i] = t[x[i]];
}

#endif /* TD_TABLE_OFFSET_OPT_H */
