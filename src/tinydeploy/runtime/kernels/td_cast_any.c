/* td_cast_any.c - see td_cast_any.h. */
#include "td_cast_any.h"

/* Element i of the input, as an integer (t != 3) or a float (t == 3). */
static int64_t load_int(const void *p, int32_t t, int32_t i)
{
    if (t == 0) return ((const int8_t *)p)[i];
    if (t == 1) return ((const int16_t *)p)[i];
    if (t == 4) return ((const uint32_t *)p)[i];
    return ((const int32_t *)p)[i];
}

/* A float truncated toward zero and saturated to [lo, hi]; NaN gives 0. */
static int64_t float_to_int(float f, int64_t lo, int64_t hi)
{
    if (f != f) return 0;
    if (f <= (float)lo) return lo;
    if (f >= (float)hi) return hi;
    return (int64_t)f;
}

static void store(void *p, int32_t t, int32_t i, int64_t v, float f, int is_float)
{
    static const int64_t lo[5] = {INT8_MIN, INT16_MIN, INT32_MIN, 0, 0};
    static const int64_t hi[5] = {INT8_MAX, INT16_MAX, INT32_MAX, 0, UINT32_MAX};
    if (t == 3) {
        ((float *)p)[i] = is_float ? f : (float)v;
        return;
    }
    if (is_float) v = float_to_int(f, lo[t], hi[t]);
    /* narrowing wraps: keep the low bits (defined through the unsigned types) */
    if (t == 0) ((int8_t *)p)[i] = (int8_t)(uint8_t)(uint64_t)v;
    else if (t == 1) ((int16_t *)p)[i] = (int16_t)(uint16_t)(uint64_t)v;
    else if (t == 4) ((uint32_t *)p)[i] = (uint32_t)(uint64_t)v;
    else ((int32_t *)p)[i] = (int32_t)(uint32_t)(uint64_t)v;
}

void td_cast_any(const td_cast_any_args_t *args, const void *in, void *out)
{
    for (int32_t i = 0; i < args->size; ++i) {
        const int is_float = args->in_type == 3;
        const float f = is_float ? ((const float *)in)[i] : 0.0f;
        const int64_t v = is_float ? 0 : load_int(in, args->in_type, i);
        store(out, args->out_type, i, v, f, is_float);
    }
}
