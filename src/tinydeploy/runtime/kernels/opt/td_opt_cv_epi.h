/* td_opt_cv_epi.h - the epilogues of the convolution blocks (td_opt_gemm.h): block modes,
 * the requantization and the stores of a block's register accumulators.
 *
 * Epilogues per block mode (td_conv2d_s8_opt.h): TD_CV_FAST (td_opt_rq: mulhsu, add, add,
 * sign test, sra after the clamp thresholds), TD_CV_FASTP (no sign test: every unclamped
 * accumulator of the block's channels is >= 0, as after a ReLU), TD_CV_FASTZ (right shifts
 * 22..29: the output offset no longer fits the rounding constant and is added after the
 * shift), TD_CV_RQ32 / TD_CV_RQ32H (integer graphs, every channel of the block in the form
 * TD_RQ_S32 with exact clamp thresholds: int8 / int16 outputs, below), TD_CV_RQ64 (the
 * same in TD_RQ_S64, int8 outputs, below), else the reference
 * td_requant (or the integer graphs' forms, td_opt_rq_any) on the spilled accumulators.
 *
 * TD_CV_RQ32: v = (a * M + B) >> S between the thresholds d[7] <= a < d[8] needs no clamp
 * (Python proves lo <= v <= hi there), and the output offset is folded into B (Python
 * proves the sum stays in int32 there). A low lane holds 256 * s with a = s + adj (adj =
 * d[1]): its own constants take s directly, B_l = B + adj * M and the thresholds minus
 * adj, so an output costs sra (low lanes), two compares, mul, add, sra and a store. The
 * words the form TD_RQ_S32 leaves free hold them (td_opt_rq.h keeps its meaning of the
 * others: a block whose epilogue the project does not compile takes td_opt_rq_any):
 * d[5] = B_l, d[9] / d[10] = low-lane thresholds, d[11] = B + offset * 2^S.
 * TD_CV_RQ64 (int8 outputs): every channel of the block in the form TD_RQ_S64 with
 * S >= 32 and exact thresholds (a TD_RQ_S32 channel scaled by 2^(32 - S) when M stays in
 * int32, Python): v = (a * M + B) >> S from the 64-bit product (mul, mulh), B + offset *
 * 2^S added with its carry (d[9] low, d[10] high word), then the high word shifted by
 * S - 32 (a low lane takes a = s + adj first): four instructions more than TD_CV_RQ32.
 */
#ifndef TD_OPT_CV_EPI_H
#define TD_OPT_CV_EPI_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"
#include "td_opt_config.h"
#include "td_opt_rq.h"

/* The block functions the project compiles (td_opt_config.h TD_CV_PATHS): a call guarded
 * by one that is off is dropped with its function. */
#define TD_CV_ON(n) TD_OPT_IN(TD_CV_PATHS, n)
#define TD_CV_B5_ON TD_CV_ON(1)       /* td_cv_block5 */
#define TD_CV_B4_ON TD_CV_ON(2)       /* td_cv_block4 */
#define TD_CV_T5_ON TD_CV_ON(3)       /* td_cv_tail5 (else such a tail takes a block) */
#define TD_CV_T4_ON TD_CV_ON(4)       /* td_cv_tail4 */
#define TD_CV_R4_ON TD_CV_ON(5)       /* td_cv_row4 */
#define TD_CV_R2_ON TD_CV_ON(6)       /* td_cv_row2 */
#define TD_CV_WIDE_ON TD_CV_ON(7)     /* cv_wide */
#define TD_CV_SLOW_ON TD_CV_ON(8)     /* td_cv_epi_slow */

/* Constant f of channel r of the block (ch: the block's first channel). */
#define TD_CHV(r, f) ch[(r) * TD_OPT_CH + TD_CH_##f]

#define TD_CV_FAST 0      /* fast requantization for all channels of the block */
#define TD_CV_SLOW 1      /* reference requantization */
#define TD_CV_WIDE 2      /* a low lane could overflow: the caller uses plain loops */
#define TD_CV_RQ 3        /* integer-graph requantization (td_opt_rq.h), any output type */
#define TD_CV_FASTZ 4     /* fast requantization with the output offset added after the
                           * shift (right shifts up to 29: td_opt_common.h, trick 2) */
#define TD_CV_FASTP 5     /* TD_CV_FAST for channels whose unclamped accumulators are all
                           * >= 0 (a ReLU's: the clamp thresholds say so): no sign test */
#define TD_CV_RQ32 6      /* integer graphs, all channels TD_RQ_S32 (above), int8 output */
#define TD_CV_RQ32H 7     /* the same with int16 outputs */
#define TD_CV_RQ64 8      /* integer graphs, all channels TD_RQ_S64 (above), int8 output */

/* The epilogues the blocks compile (the includer may set them; a mode without its
 * epilogue takes the reference one, still exact): FAST/FASTZ/FASTP for the im2col blocks,
 * ROWF (FAST) for the row blocks, RQ32 / ROWQ: bit 0 TD_CV_RQ32, bit 1 TD_CV_RQ32H, bit 2
 * TD_CV_RQ64 for the im2col / row blocks. */
#ifndef TD_CV_FAST_ON
#define TD_CV_FAST_ON 1
#endif
#ifndef TD_CV_FASTZ_ON
#define TD_CV_FASTZ_ON 0
#endif
#ifndef TD_CV_FASTP_ON
#define TD_CV_FASTP_ON 0
#endif
#ifndef TD_CV_ROWF_ON
#define TD_CV_ROWF_ON 1
#endif
#ifndef TD_CV_RQ32_ON
#define TD_CV_RQ32_ON 0
#endif
#ifndef TD_CV_ROWQ_ON
#define TD_CV_ROWQ_ON 0
#endif

/* TD_CV_RQ32 words of a channel (see above). */
enum {
    TD_CH_QBL = 5, TD_CH_QM = 3, TD_CH_QS = 6, TD_CH_QTLH = 7, TD_CH_QTHH = 8,
    TD_CH_QTLL = 9, TD_CH_QTHL = 10, TD_CH_QBH = 11, TD_CH_QB0 = 9, TD_CH_QB1 = 10
};

typedef struct {
    int32_t lo;           /* clamp bounds */
    int32_t hi;
    int32_t out_off;      /* output offset */
    const td_opt_rqp_t *rq;   /* TD_CV_RQ blocks: the layer's requantization */
} td_cv_io_t;

#define TD_CV_EACH2(M) M(0) M(1)
#define TD_CV_EACH4(M) M(0) M(1) M(2) M(3)
#define TD_CV_EACH5(M) M(0) M(1) M(2) M(3) M(4)

/* One output: a clamped one is stored without requantization (the thresholds of
 * td_opt_common.h, trick 3); one value, one byte store. zo: the output offset of a
 * TD_CV_FASTZ block, 0 (folded away) in the others; sg: 0 (folded away) in a TD_CV_FASTP
 * block, where an unclamped accumulator is never negative. */
#define TD_CV_PUT(yp, raw, tl, th, a)                                                    \
    { int32_t v_;                                                                        \
      if (TD_CV_UNLIKELY((int32_t)(raw) < (tl))) v_ = lo;                                \
      else if (TD_CV_UNLIKELY((int32_t)(raw) >= (th))) v_ = hi;                          \
      else v_ = td_opt_rq((a), m4, cp, sg ? dn : 0, sh) + zo;                            \
      *(yp) = (int8_t)v_; }
#if defined(__GNUC__)
#define TD_CV_UNLIKELY(c) __builtin_expect(!!(c), 0)
#else
#define TD_CV_UNLIKELY(c) (c)
#endif

/* Channel r's results at q + r, q + ps + r, ... (int8_t stores may alias anything:
 * every value is read before the first store). Low lanes compare their raw sums
 * (256 * S), high lanes the sums. */
#define TD_CV_LOW(r, i) (int32_t)((uint32_t)((int32_t)l##r##i >> 8) + (uint32_t)adj)
#define TD_CV_CONSTS(r)                                                                  \
    const int32_t adj = TD_CHV(r, LO), tll = TD_CHV(r, TLL), thl = TD_CHV(r, THL);       \
    const int32_t tlh = TD_CHV(r, TLH), thh = TD_CHV(r, THH);                            \
    const uint32_t m4 = (uint32_t)TD_CHV(r, M4);                                         \
    const int32_t cp = TD_CHV(r, CP), dn = TD_CHV(r, DN), sh = TD_CHV(r, SH);
#define TD_CV_EPI_FAST(r) {                                                              \
    TD_CV_CONSTS(r)                                                                      \
    TD_CV_PUT(q0 + (r), l##r##0, tll, thl, TD_CV_LOW(r, 0))                              \
    TD_CV_PUT(q1 + (r), l##r##1, tll, thl, TD_CV_LOW(r, 1))                              \
    TD_CV_PUT(q2 + (r), h##r##0, tlh, thh, (int32_t)h##r##0)                             \
    TD_CV_PUT(q3 + (r), h##r##1, tlh, thh, (int32_t)h##r##1) }
#define TD_CV_KEEP(r) { acc[4 * (r)] = l##r##0; acc[4 * (r) + 1] = l##r##1;                 \
                        acc[4 * (r) + 2] = h##r##0; acc[4 * (r) + 3] = h##r##1; }

/* TD_CV_RQ32 output r of the element row at q (td_cv_q_t: the output type): a = s of a
 * low lane (l) or the sum (h) against thresholds [tl, th), b = its B. */
#define TD_CV_QPUT(q, r, a, tl, th, b)                                                   \
    { const int32_t a_ = (a); int32_t v_;                                                \
      if (TD_CV_UNLIKELY(a_ < (tl))) v_ = qlo;                                           \
      else if (TD_CV_UNLIKELY(a_ >= (th))) v_ = qhi;                                     \
      else v_ = (int32_t)((uint32_t)a_ * qm + (uint32_t)(b)) >> qs;                      \
      ((td_cv_q_t *)(void *)(q))[r] = (td_cv_q_t)v_; }
#define TD_CV_QLOW(r, i) ((int32_t)l##r##i >> 8)
#define TD_CV_QCONSTS(r)                                                                 \
    const uint32_t qm = (uint32_t)TD_CHV(r, QM);                                         \
    const int32_t qs = TD_CHV(r, QS), qbl = TD_CHV(r, QBL), qbh = TD_CHV(r, QBH);        \
    const int32_t qtll = TD_CHV(r, QTLL), qthl = TD_CHV(r, QTHL);                        \
    const int32_t qtlh = TD_CHV(r, QTLH), qthh = TD_CHV(r, QTHH);
#define TD_CV_EPI_Q(r) {                                                                 \
    TD_CV_QCONSTS(r)                                                                     \
    TD_CV_QPUT(q0, r, TD_CV_QLOW(r, 0), qtll, qthl, qbl)                                 \
    TD_CV_QPUT(q1, r, TD_CV_QLOW(r, 1), qtll, qthl, qbl)                                 \
    TD_CV_QPUT(q2, r, (int32_t)h##r##0, qtlh, qthh, qbh)                                 \
    TD_CV_QPUT(q3, r, (int32_t)h##r##1, qtlh, qthh, qbh) }
/* TD_CV_RQ64: output r at q of accumulator a (S64 channels; constants below). */
#define TD_CV_Q64PUT(q, r, a)                                                            \
    { const int32_t a_ = (a); int32_t v_;                                                \
      if (TD_CV_UNLIKELY(a_ < qtl)) v_ = qlo;                                            \
      else if (TD_CV_UNLIKELY(a_ >= qth)) v_ = qhi;                                      \
      else {                                                                             \
          const uint32_t p_ = (uint32_t)a_ * (uint32_t)qm, s_ = p_ + qb0;                \
          v_ = (int32_t)(td_opt_mulh(a_, qm) + qb1 + (uint32_t)(s_ < p_)) >> qs; }       \
      ((td_cv_q_t *)(void *)(q))[r] = (td_cv_q_t)v_; }
#define TD_CV_Q64CONSTS(r)                                                               \
    const int32_t qm = TD_CHV(r, QM), qs = TD_CHV(r, QS) - 32, qtl = TD_CHV(r, QTLH);    \
    const int32_t qth = TD_CHV(r, QTHH), adj = TD_CHV(r, LO);                            \
    const uint32_t qb0 = (uint32_t)TD_CHV(r, QB0), qb1 = (uint32_t)TD_CHV(r, QB1);
#define TD_CV_Q64LOW(r, i) (int32_t)((uint32_t)((int32_t)l##r##i >> 8) + (uint32_t)adj)
#define TD_CV_EPI_Q64(r) {                                                               \
    TD_CV_Q64CONSTS(r)                                                                   \
    TD_CV_Q64PUT(q0, r, TD_CV_Q64LOW(r, 0)) TD_CV_Q64PUT(q1, r, TD_CV_Q64LOW(r, 1))      \
    TD_CV_Q64PUT(q2, r, (int32_t)h##r##0) TD_CV_Q64PUT(q3, r, (int32_t)h##r##1) }
/* A TD_CV_RQ32 / RQ32H / RQ64 epilogue with outputs of type T (clamped values: the
 * bounds plus the offset). */
#define TD_CV_EPIQ(T, ...) {                                                             \
        typedef T td_cv_q_t;                                                             \
        const int32_t qlo = io->rq->lo + io->rq->off, qhi = io->rq->hi + io->rq->off;    \
        __VA_ARGS__ }

/* td_opt_rq_any out of line: inlined, its code changes how GCC allocates the registers
 * of the block functions that inline td_cv_epi_slow (nemo_penguinet32: ~1% more
 * instructions in their loops when a project compiles few of them). */
static TD_OPT_NOINLINE int32_t td_cv_rq_any(int32_t s, const int32_t *d,
                                            const td_opt_rqp_t *q)
{
    return td_opt_rq_any(s, d, q);
}

/* Reference (or integer-graph) requantization of a block's raw sums acc[j * np + p],
 * np = 4 or 8 pixels (the first np / 2 are low lanes, 256 * sum w*(x + 129), the rest high
 * lanes), pixel p of channel j stored at y + p * ps + j * esize (bytes). */
static void td_cv_epi_slow(const uint32_t *acc, int32_t r, int32_t np, const int32_t *ch,
                           int8_t *y, int32_t ps, const td_cv_io_t *io)
{
    const int32_t es = io->rq != NULL ? io->rq->esize : 1;
    for (int32_t j = 0; j < r; ++j) {
        for (int32_t p = 0; p < np; ++p) {
            const uint32_t s = acc[j * np + p];
            const int32_t a = p < np / 2 ? (int32_t)((uint32_t)((int32_t)s >> 8)
                                                     + (uint32_t)TD_CHV(j, LO))
                                         : (int32_t)s;
            if (io->rq != NULL) {
                td_opt_store_any(y + p * ps + j * es, es,
                                 td_cv_rq_any(a, ch + j * TD_OPT_CH, io->rq));
            } else {
                const int32_t v = td_opt_rq_slow(a, ch + j * TD_OPT_CH, io->out_off);
                y[p * ps + j] = td_opt_sat(v, io->lo, io->hi);
            }
        }
    }
}

/* Fast epilogues / slow epilogue of a 4-pixel block, the group's outputs at yg (F, Z, P:
 * the block function has the TD_CV_FAST, TD_CV_FASTZ, TD_CV_FASTP epilogue; Q: bit 0
 * TD_CV_RQ32, bit 1 TD_CV_RQ32H; R: channels). */
#define TD_CV_EPIF(zo_, sg_, ...) {                                                      \
        const int32_t lo = io->lo, hi = io->hi, zo = (zo_), sg = (sg_);                  \
        int8_t *const q0 = yg, *const q1 = q0 + ps, *const q2 = q1 + ps;                 \
        int8_t *const q3 = q2 + ps;                                                      \
        __VA_ARGS__ }
#define TD_CV_EPIQ4(T, R) {                                                              \
        int8_t *const q0 = yg, *const q1 = q0 + ps, *const q2 = q1 + ps;                 \
        int8_t *const q3 = q2 + ps;                                                      \
        TD_CV_EPIQ(T, TD_CV_EACH##R(TD_CV_EPI_Q)) }
#define TD_CV_EPIQ4X(R) {                                                                \
        int8_t *const q0 = yg, *const q1 = q0 + ps, *const q2 = q1 + ps;                 \
        int8_t *const q3 = q2 + ps;                                                      \
        TD_CV_EPIQ(int8_t, TD_CV_EACH##R(TD_CV_EPI_Q64)) }
#define TD_CV_EPI4(F, Z, P, Q, R) {                                                      \
    if ((P) && mode == TD_CV_FASTP) TD_CV_EPIF(0, 0, TD_CV_EACH##R(TD_CV_EPI_FAST))      \
    else if ((F) && mode == TD_CV_FAST) TD_CV_EPIF(0, 1, TD_CV_EACH##R(TD_CV_EPI_FAST))  \
    else if ((Z) && mode == TD_CV_FASTZ)                                                 \
        TD_CV_EPIF(io->out_off, 1, TD_CV_EACH##R(TD_CV_EPI_FAST))                        \
    else if (((Q) & 1) && mode == TD_CV_RQ32) TD_CV_EPIQ4(int8_t, R)                     \
    else if (((Q) & 2) && mode == TD_CV_RQ32H) TD_CV_EPIQ4(int16_t, R)                   \
    else if (((Q) & 4) && mode == TD_CV_RQ64) TD_CV_EPIQ4X(R)                            \
    else if (TD_CV_SLOW_ON) {                                                            \
        uint32_t acc[4 * (R)];                                                           \
        TD_CV_EACH##R(TD_CV_KEEP)                                                        \
        td_cv_epi_slow(acc, R, 4, ch, yg, ps, io);                                       \
    } }

#endif /* TD_OPT_CV_EPI_H */
