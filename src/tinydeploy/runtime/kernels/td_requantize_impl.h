/* td_requantize_impl.h - the requantization driver, compiled once per input/output type
 * pair by the kernel that includes it (td_requantize_s8.c, td_requantize_s8_u8.c,
 * td_requantize_u8_s8.c, td_requantize_s16.c, td_requantize_s16_s8.c,
 * td_requantize_s8_s16.c, and between int8/int16 and int32: td_requantize_s8_s32.c,
 * td_requantize_s32_s8.c, td_requantize_s16_s32.c, td_requantize_s32_s16.c; args and
 * arithmetic in td_requantize_s8.h). The includer
 * defines TD_RQ_IN and TD_RQ_OUT (element types); its public function calls rq_run (a real
 * definition in the .c file, so the link-name scan of td_names.h sees it).
 */
#ifndef TD_REQUANTIZE_IMPL_H
#define TD_REQUANTIZE_IMPL_H

#include "../td_names.h"

#include "td_common.h"
#include "td_requantize_s8.h"

static void rq_run(const td_requantize_s8_args_t *args, const TD_RQ_IN *x, TD_RQ_OUT *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int32_t v = td_requant(x[i] + args->input_offset, args->multiplier, args->shift);
        out[i] = (TD_RQ_OUT)td_clamp(v + args->output_offset, args->act_min, args->act_max);
    }
}

#endif /* TD_REQUANTIZE_IMPL_H */
