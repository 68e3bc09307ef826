/* td_opt_cv_direct_store.h - the stores of the blocked direct integer convolutions
 * (td_opt_cv_direct_impl.h): a block's sums requantized by the channels' descriptors
 * (td_opt_rq.h) into int8, int16 or int32 outputs; td_cvd_store8 for int8 outputs whose
 * channels all take the inline TD_RQ_S32 form (word 1 = 1). */
#ifndef TD_OPT_CV_DIRECT_STORE_H
#define TD_OPT_CV_DIRECT_STORE_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"
#include "td_opt_config.h"
#include "td_opt_rq.h"

/* The block and store functions the project compiles (td_opt_config.h TD_CVD_PATHS; 6:
 * some layer has a channel of form 0). */
#define TD_CVD_ON(n) TD_OPT_IN(TD_CVD_PATHS, n)

/* The 4 channels x 4 pixels blocks' sums: s<r> pixel 0, t<r> pixel 1, u<r> pixel 2, v<r>
 * pixel 3 of channel r, each starting at its channel's word 0 (ch: TD_OPT_CH words per
 * channel); TD_CVD_Q1 adds channel r's weight c times the tap's values a0..a3,
 * TD_CVD_Q4 the four channels' weights w_[0..3];
 * TD_CVD_PUT16 stores them (channel r of pixel i in acc[4 * i + r]). */
#define TD_CVD_SUMS16(ch)                                                                 \
    uint32_t s0 = (uint32_t)(ch)[0], s1 = (uint32_t)(ch)[TD_OPT_CH];                      \
    uint32_t s2 = (uint32_t)(ch)[2 * TD_OPT_CH], s3 = (uint32_t)(ch)[3 * TD_OPT_CH];      \
    uint32_t t0 = s0, t1 = s1, t2 = s2, t3 = s3, u0 = s0, u1 = s1, u2 = s2, u3 = s3;      \
    uint32_t v0 = s0, v1 = s1, v2 = s2, v3 = s3
#define TD_CVD_Q1(r, c)                                                                   \
    s##r += (uint32_t)((c) * a0);                                                         \
    t##r += (uint32_t)((c) * a1);                                                         \
    u##r += (uint32_t)((c) * a2);                                                         \
    v##r += (uint32_t)((c) * a3);
#define TD_CVD_Q4(w_)                                                                     \
    do {                                                                                  \
        int32_t c = (w_)[0];                                                              \
        TD_CVD_Q1(0, c)                                                                   \
        c = (w_)[1];                                                                      \
        TD_CVD_Q1(1, c)                                                                   \
        c = (w_)[2];                                                                      \
        TD_CVD_Q1(2, c)                                                                   \
        c = (w_)[3];                                                                      \
        TD_CVD_Q1(3, c)                                                                   \
    } while (0)
#define TD_CVD_PUT16(acc)                                                                 \
    do {                                                                                  \
        (acc)[0] = s0; (acc)[1] = s1; (acc)[2] = s2; (acc)[3] = s3;                       \
        (acc)[4] = t0; (acc)[5] = t1; (acc)[6] = t2; (acc)[7] = t3;                       \
        (acc)[8] = u0; (acc)[9] = u1; (acc)[10] = u2; (acc)[11] = u3;                     \
        (acc)[12] = v0; (acc)[13] = v1; (acc)[14] = v2; (acc)[15] = v3;                   \
    } while (0)

/* td_opt_rq_any out of line (the store loop keeps its registers for the inline forms). */
static TD_OPT_NOINLINE int32_t td_cvd_rq_any(int32_t s, const int32_t *d,
                                             const td_opt_rqp_t *q)
{
    return td_opt_rq_any(s, d, q);
}

/* Requantize and store the block's outputs: channels oc.. (valid of them) of its npx
 * pixels, sums acc[nr * pixel + r]. Word 1 of a channel with
 * M >= 0: 1, its TD_RQ_S32 form inline (td_opt_rq_any's first case, without the clamp
 * that its thresholds make redundant); 2, its TD_RQ_S64 form with S >= 32 likewise (the
 * high word of the 64-bit sum shifted by S - 32); 0 (any channel), td_opt_rq_any. */
static TD_OPT_NOINLINE void td_cvd_store(const td_opt_rqp_t *q, const uint32_t *acc,
                                         int32_t nr, const int32_t *ch, int32_t valid,
                                         int32_t npx, uint8_t *y, int32_t ps)
{
    const int32_t es = q->esize, off = q->off, lo = q->lo + off, hi = q->hi + off;
    for (int32_t r = 0; r < valid; ++r, ch += TD_OPT_CH, y += es) {
        /* the channel's words in locals: the stores below may alias them for the compiler */
        const int32_t form = ch[1], tlo = ch[7], thi = ch[8], m = ch[3], sh = ch[6];
        const uint32_t bl = (uint32_t)ch[4], bh = (uint32_t)ch[5];
        for (int32_t i = 0; i < npx; ++i) {
            const int32_t s = (int32_t)acc[nr * i + r];
            int32_t v;
            if (TD_CVD_ON(6) && form == 0) {
                v = td_cvd_rq_any(s, ch, q);
            } else if (s < tlo) {
                v = lo;
            } else if (s >= thi) {
                v = hi;
            } else {
                if (form == 1) {
                    v = (int32_t)((uint32_t)s * (uint32_t)m + bl) >> sh;
                } else {            /* the high word of s * M + B, shifted by S - 32 */
                    const uint32_t l = (uint32_t)s * (uint32_t)m, l2 = l + bl;
                    const uint32_t h = td_opt_mulh(s, m) + bh + (l2 < l);
                    v = (int32_t)h >> (sh - 32);
                }
                v += off;            /* (M >= 0: between the thresholds, within [lo, hi]) */
            }
            if (es == 1) *(int8_t *)(y + i * ps) = (int8_t)v;
            else if (es == 2) *(int16_t *)(void *)(y + i * ps) = (int16_t)v;
            else *(int32_t *)(void *)(y + i * ps) = v;
        }
    }
}

/* td_cvd_store for int8 outputs when every channel's word 1 is 1 (the form inline):
 * lo and hi with the output offset added. */
static TD_OPT_NOINLINE void td_cvd_store8(const uint32_t *acc, int32_t nr, const int32_t *ch,
                                          int32_t valid, int32_t npx, int8_t *y, int32_t ps,
                                          int32_t lo, int32_t hi, int32_t off)
{
    for (int32_t r = 0; r < valid; ++r, ch += TD_OPT_CH) {
        const int32_t tlo = ch[7], thi = ch[8], m = ch[3], sh = ch[6];
        const uint32_t bl = (uint32_t)ch[4];
        const uint32_t *s = acc + r;
        int8_t *q = y + r;
        for (int32_t i = 0; i < npx; ++i, s += nr, q += ps) {
            const int32_t v = (int32_t)*s;
            int32_t o;
            if (v < tlo) o = lo;
            else if (v >= thi) o = hi;
            else o = ((int32_t)((uint32_t)v * (uint32_t)m + bl) >> sh) + off;
            *q = (int8_t)o;
        }
    }
}

#endif /* TD_OPT_CV_DIRECT_STORE_H */
