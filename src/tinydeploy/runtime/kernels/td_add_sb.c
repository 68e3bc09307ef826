/* td_add_sb.c - reference sub-byte add (see td_add_sb.h). */
#include "td_add_sb.h"

#include "td_common.h"
#include "td_pack.h"

void td_add_sb(const td_add_sb_args_t *args, const void *a, const void *b, void *out)
{
    const td_add_sb_args_t *p = args;
    td_packer_t y;
    td_pack_init(&y, out, p->out_bits);
    for (int32_t i = 0; i < p->size; ++i) {
        const int32_t av = td_unpack((const uint8_t *)a, i, p->a_bits, p->a_signed);
        const int32_t bv = td_unpack((const uint8_t *)b, i, p->b_bits, p->b_signed);
        const int32_t x = (av + p->a_offset) * (1 << p->left_shift);
        const int32_t z = (bv + p->b_offset) * (1 << p->left_shift);
        const int32_t sum = td_requant(x, p->a_multiplier, p->a_shift) +
                            td_requant(z, p->b_multiplier, p->b_shift);
        const int32_t raw = td_requant(sum, p->out_multiplier, p->out_shift) + p->out_offset;
        td_pack_put(&y, td_clamp(raw, p->act_min, p->act_max));
    }
    td_pack_flush(&y);
}
