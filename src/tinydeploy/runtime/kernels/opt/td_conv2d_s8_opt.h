/* td_conv2d_s8_opt.h - int8 convolution optimized for RV32IMC: the same bytes as the
 * reference td_conv2d_s8 (kernels/td_conv2d_s8.h: layouts, semantics, golden) from an
 * args struct that Python fills at compile time (quant/opt/conv2d.py).
 *
 * Python chooses the path and packs the weights in the order its loops read them:
 * - im2col path: every pass stages `col_groups` groups of 4 output pixels as pixel-pair
 *   words ([k][2] words per group) in the scratch, then runs every block of R = 5 or 4
 *   output channels over them (td_opt_gemm.h); weights [tap][R] with taps (ky, kx, c);
 * - row path (kernel 3 wide, stride and dilation 1 along W, >= 4 channels per group):
 *   a ring of `span` converted input rows plus one padding row in the scratch; blocks of
 *   2 channels x 8 pixels or 4 x 4 of one output row; weights [ky][c][kx][R].
 * blk[6 b + 0..5] = (R, valid channels, mode, first output channel, first constant,
 * first weight) of block b; the blocks of group g are [g * n_blocks, (g + 1) * n_blocks).
 * chan: TD_OPT_CH int32 per packed channel (td_opt_common.h); wts: int16 w * 256. Mode:
 * TD_CV_FAST (fast requantization for the whole block), TD_CV_SLOW (td_requant),
 * TD_CV_WIDE (a low lane could overflow: plain loops on the staged words, im2col path
 * only), TD_CV_RQ, TD_CV_RQ32, TD_CV_RQ32H, TD_CV_RQ64 (integer graphs: td_conv2d_rq_opt.h,
 * td_opt_cv_epi.h); im2col path only: TD_CV_FASTP
 * (fast, no unclamped accumulator below 0) and TD_CV_FASTZ (fast, output offset after the
 * shift: right shifts up to 29). A channel with all-zero weights has one output: its fast
 * constants give it whatever the shift (quant/opt/_tflite_rq.py, constant_words).
 *
 * Order of the writes (memory/sliding.py relies on it, quant/opt/conv2d.py declares it):
 * each pass reads all its input bytes (staging) before it writes its first output, and
 * writes only its own pixels, all channels; passes go in pixel order. So an output may
 * overwrite its dying input from a margin below it (lookahead 0). With several cores
 * (team): split 0 = core c takes pass c of every round of `cores` passes, split 1 =
 * every core takes every pass for its share of the blocks; either way all cores stage a
 * round before any writes it (one barrier per round), so the same margin holds.
 *
 * Scratch: `scratch_bytes` per core, core c at scratch + c * scratch_bytes (int32
 * aligned). Preconditions (quant/preconditions/opt.py): the reference kernel's on the
 * geometry; the packed arrays sized as the fields imply; every block's channels inside
 * its group; scratch large enough for the path.
 */
#ifndef TD_CONV2D_S8_OPT_H
#define TD_CONV2D_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

#define TD_CV_PATH_IM2COL 0
#define TD_CV_PATH_ROW 1

typedef struct {
    int32_t batches;
    int32_t in_h;
    int32_t in_w;
    int32_t in_c;
    int32_t out_h;
    int32_t out_w;
    int32_t out_c;
    int32_t k_h;
    int32_t k_w;
    int32_t groups;
    int32_t stride_h;
    int32_t stride_w;
    int32_t dilation_h;
    int32_t dilation_w;
    int32_t pad_top;
    int32_t pad_left;
    int32_t input_offset;      /* -input zero point */
    int32_t output_offset;     /* output zero point */
    int32_t act_min;
    int32_t act_max;
    int32_t path;              /* TD_CV_PATH_* */
    int32_t k;                 /* taps per output channel: k_h * k_w * in_c / groups */
    int32_t col_groups;        /* im2col: groups of 4 pixels per pass */
    int32_t rp;                /* row path: pixels per block (4 or 8) */
    int32_t wp;                /* row path: words per channel row of the ring */
    int32_t span;              /* row path: ring rows */
    int32_t split;             /* several cores: 0 by passes, 1 by blocks */
    int32_t scratch_bytes;     /* per core */
    int32_t n_blocks;          /* blocks per group */
    const int32_t *blk;        /* [groups * n_blocks][6] */
    const int32_t *chan;       /* [packed channels][TD_OPT_CH] */
    const int16_t *wts;        /* TFLite: packed weights * 256 */
    /* integer graphs (td_conv2d_rq_opt, kind TD_CV_KIND_RQ; dummies for TFLite) */
    int32_t kind;              /* TD_CV_KIND_TFLITE or TD_CV_KIND_RQ */
    int32_t esize;             /* output element bytes: 1 (TFLite), 1, 2 or 4 */
    int32_t rq_lo;             /* clamp bounds before the zero point (output_offset) */
    int32_t rq_hi;
    int32_t rq_fp32;           /* td_requant_value's, for TD_RQ_GEN channels */
    int32_t rq_rounding;
    int64_t rq_mul2;
    const int64_t *gmul;       /* [TD_RQ_GEN channels] */
    const int64_t *gadd;
    const int64_t *gdiv;
    const int8_t *wts8;        /* integer graphs: packed weights w */
} td_conv2d_s8_opt_args_t;

#define TD_CV_KIND_TFLITE 0
#define TD_CV_KIND_RQ 1

void td_conv2d_s8_opt(const td_conv2d_s8_opt_args_t *args, const int8_t *input,
                      void *output, void *scratch, const td_team_t *team);

#endif /* TD_CONV2D_S8_OPT_H */
