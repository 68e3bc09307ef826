/* td_fully_connected_impl.h - the reference fully connected driver, compiled once per
 * variant by the kernel that includes it (td_fully_connected_s8.c,
 * td_fully_connected_s16.c; args and arithmetic in their headers). Each output sums
 * TD_FC_TERM(a, w, x) over the input features in TD_FC_ACC, adds the bias and stores
 * td_clamp(TD_FC_OUT(a, acc, o), act_min, act_max). The includer defines TD_FC_ARGS (args
 * struct), TD_FC_T (activation type), TD_FC_ACC (accumulator and bias type), TD_FC_TERM
 * and TD_FC_OUT; its public function calls fc_run (a real definition in the .c file, so
 * the link-name scan of td_names.h sees it).
 */
#ifndef TD_FULLY_CONNECTED_IMPL_H
#define TD_FULLY_CONNECTED_IMPL_H

#include "../td_names.h"

#include "td_common.h"

static void fc_run(const TD_FC_ARGS *a, const TD_FC_T *input, const int8_t *weight,
                   const TD_FC_ACC *bias, TD_FC_T *output)
{
    for (int32_t b = 0; b < a->batches; ++b) {
        const TD_FC_T *x = input + b * a->in_features;
        for (int32_t o = 0; o < a->out_features; ++o) {
            const int8_t *w = weight + o * a->in_features;
            TD_FC_ACC acc = 0;
            for (int32_t i = 0; i < a->in_features; ++i) {
                acc += TD_FC_TERM(a, w[i], x[i]);
            }
            if (bias != NULL) acc += bias[o];
            const int32_t v = TD_FC_OUT(a, acc, o);
            output[b * a->out_features + o] = (TD_FC_T)td_clamp(v, a->act_min, a->act_max);
        }
    }
}

#endif /* TD_FULLY_CONNECTED_IMPL_H */
