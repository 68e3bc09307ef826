/* td_transpose_opt_impl.h - the collapsed-dimension transpose of td_transpose_s8_opt.h,
 * compiled once per byte type by the kernel that includes it (td_transpose_s8_opt.c,
 * td_transpose_u8_opt.c). The includer defines TD_TR_T (int8_t or uint8_t); its public
 * function calls transpose_run (a real definition in the .c file, so the link-name scan of
 * td_names.h sees it).
 */
#ifndef TD_TRANSPOSE_OPT_IMPL_H
#define TD_TRANSPOSE_OPT_IMPL_H

#include "../../td_names.h"

#include "td_transpose_s8_opt.h"

static void transpose_run(const td_transpose_s8_opt_args_t *args, const TD_TR_T *input,
                          TD_TR_T *output, void *scratch, const td_team_t *team)
{
    const int32_t n1 = args->n1, n2 = args->n2, s1 = args->s1, s2 = args->s2;
    const int32_t s2x2 = 2 * s2, s2x3 = 3 * s2, s2x4 = 4 * s2;
    int32_t a0, a1;
    TD_TR_T *y;
    (void)scratch;
    td_team_range(args->n0, td_team_cores(team), td_team_core(team), &a0, &a1);
    y = output + (int32_t)a0 * n1 * n2;
    for (int32_t i0 = a0; i0 < a1; ++i0) {
        const TD_TR_T *p1 = input + i0 * args->s0;
        for (int32_t i1 = 0; i1 < n1; ++i1, p1 += s1) {
            const TD_TR_T *p = p1;
            int32_t k = n2;
            for (; k >= 4; k -= 4, p += s2x4, y += 4) {
                const TD_TR_T v0 = p[0], v1 = p[s2], v2 = p[s2x2], v3 = p[s2x3];
                y[0] = v0;
                y[1] = v1;
                y[2] = v2;
                y[3] = v3;
            }
            for (; k > 0; --k, p += s2) *y++ = *p;
        }
    }
}

#endif /* TD_TRANSPOSE_OPT_IMPL_H */
