/* td_svdf_impl.h - TFLite Micro's integer SVDF (EvalIntegerSvdfReference<T>), compiled once
 * per state type by the kernel that includes it: td_svdf_s8.c (int16 state and time
 * weights) and td_svdf_s8_s8.c (int8 state and time weights). The includer defines
 * TD_SVDF_T (the state / time-weight type) and TD_SVDF_MIN, TD_SVDF_MAX (its range); its
 * public function calls svdf_run (a real definition in the .c file, so the link-name scan
 * of td_names.h sees it). Arithmetic and preconditions: td_svdf_s8.h.
 */
#ifndef TD_SVDF_IMPL_H
#define TD_SVDF_IMPL_H

#include "../td_names.h"

#include "td_common.h"
#include "td_svdf_s8.h"

static void svdf_run(const td_svdf_s8_args_t *args, const int8_t *x, const int8_t *w_feature,
                     const TD_SVDF_T *w_time, const int32_t *bias, int8_t *y,
                     TD_SVDF_T *state, void *scratch, const td_team_t *team)
{
    const int32_t n_f = args->n_filter, n_m = args->n_memory, n_in = args->n_input;
    const int32_t n_u = n_f / args->rank;
    const int32_t total = args->n_batch * n_f * n_m;
    int32_t *acc = (int32_t *)scratch;                       /* [n_batch * n_filter] */
    int32_t *out = acc + args->n_batch * n_f;                /* [n_batch * n_unit] */
    if (td_team_core(team) != 0) return;
    for (int32_t i = 0; i + 1 < total; ++i) state[i] = state[i + 1];
    for (int32_t b = 0; b < args->n_batch; ++b) {
        const int8_t *xb = x + b * n_in;
        for (int32_t f = 0; f < n_f; ++f) {
            const int8_t *w = w_feature + f * n_in;
            int32_t dot = 0;
            for (int32_t i = 0; i < n_in; ++i) dot += w[i] * (xb[i] + args->x_offset);
            dot = td_clamp(td_requant(dot, args->mult_1, args->shift_1), TD_SVDF_MIN,
                           TD_SVDF_MAX);
            /* TFLM adds the zero point after the clamp and stores into T (wraps) */
            state[(b * n_f + f) * n_m + n_m - 1] = (TD_SVDF_T)(args->state_zp + dot);
        }
        /* the time and unit sums wrap modulo 2^32 like TFLM's int32 sums (unsigned here,
         * so the wrap is defined) */
        for (int32_t f = 0; f < n_f; ++f) {
            const TD_SVDF_T *s = state + (b * n_f + f) * n_m, *w = w_time + f * n_m;
            uint32_t sum = 0;
            for (int32_t m = 0; m < n_m; ++m)
                sum += (uint32_t)((int64_t)w[m] * (s[m] - args->state_zp));
            acc[b * n_f + f] = (int32_t)sum;
        }
        for (int32_t u = 0; u < n_u; ++u) {
            uint32_t v = (uint32_t)bias[u];
            for (int32_t r = 0; r < args->rank; ++r)
                v += (uint32_t)acc[b * n_f + u * args->rank + r];
            out[b * n_u + u] = (int32_t)v;
        }
        for (int32_t u = 0; u < n_u; ++u) {
            const int32_t v = td_requant(out[b * n_u + u], args->mult_2, args->shift_2) +
                              args->out_offset;
            y[b * n_u + u] = (int8_t)td_clamp(v, -128, 127);
        }
    }
}

#endif /* TD_SVDF_IMPL_H */
