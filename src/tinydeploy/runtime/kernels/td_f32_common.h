/* td_f32_common.h - helpers shared by the float32 kernels (td_*_f32.c). */
#ifndef TD_F32_COMMON_H
#define TD_F32_COMMON_H

#include <stdint.h>

/* Fused activation codes of the float32 kernels' act member. */
enum { TD_F32_ACT_NONE = 0, TD_F32_ACT_RELU = 1, TD_F32_ACT_RELU6 = 2,
       TD_F32_ACT_RELU_N1_TO_1 = 3 };

static inline float td_f32_act(float v, int32_t act)
{
    switch (act) {
    case TD_F32_ACT_RELU: return v < 0.0f ? 0.0f : v;
    case TD_F32_ACT_RELU6: return v < 0.0f ? 0.0f : (v > 6.0f ? 6.0f : v);
    case TD_F32_ACT_RELU_N1_TO_1: return v < -1.0f ? -1.0f : (v > 1.0f ? 1.0f : v);
    default: return v;
    }
}

#endif /* TD_F32_COMMON_H */
