/* td_pack.h - packed sub-byte storage (2, 4 or 8 bits per element), PULP-NN bit order.
 *
 * A b-bit tensor (b in {2, 4, 8}, k = 8 / b elements per byte) is packed flat in C order:
 * element i lives in bits [(i % k) * b, (i % k) * b + b) of byte i / k, lowest bits first.
 * Signed elements hold their low b two's-complement bits. Only the tensor's last byte is
 * padded; its unused high bits are written as 0. Same layout as quant/packing.py.
 * Precondition: bits is 2, 4 or 8 (checked for every emitted struct, quant/preconditions.py).
 */
#ifndef TD_PACK_H
#define TD_PACK_H

#include "../td_names.h"

#include <stdint.h>

/* Element i of a packed tensor, sign-extended when is_signed. */
static inline int32_t td_unpack(const uint8_t *p, int32_t i, int32_t bits, int32_t is_signed)
{
    const int32_t k = 8 / bits;
    const uint32_t mask = (1u << bits) - 1u;
    const uint32_t raw = ((uint32_t)p[i / k] >> ((i % k) * bits)) & mask;
    if (is_signed && raw > (mask >> 1)) return (int32_t)raw - (int32_t)(mask + 1u);
    return (int32_t)raw;
}

/* Sequential writer: elements are appended in index order from element 0; a byte is
 * stored once its last element is known (or by td_pack_flush), so an output byte is never
 * written before the inputs it depends on in an element-wise in-place op are read. */
typedef struct {
    uint8_t *p;
    int32_t bits;
    int32_t fill;   /* elements in acc */
    uint32_t acc;
} td_packer_t;

static inline void td_pack_init(td_packer_t *w, void *out, int32_t bits)
{
    w->p = (uint8_t *)out;
    w->bits = bits;
    w->fill = 0;
    w->acc = 0;
}

static inline void td_pack_put(td_packer_t *w, int32_t v)
{
    const uint32_t mask = (1u << w->bits) - 1u;
    w->acc |= ((uint32_t)v & mask) << (w->fill * w->bits);
    if (++w->fill == 8 / w->bits) {
        *w->p++ = (uint8_t)w->acc;
        w->fill = 0;
        w->acc = 0;
    }
}

/* Stores a partly filled last byte (unused bits 0). */
static inline void td_pack_flush(td_packer_t *w)
{
    if (w->fill != 0) {
        *w->p++ = (uint8_t)w->acc;
        w->fill = 0;
        w->acc = 0;
    }
}

#endif /* TD_PACK_H */
