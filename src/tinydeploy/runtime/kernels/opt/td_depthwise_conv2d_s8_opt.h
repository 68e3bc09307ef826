/* td_depthwise_conv2d_s8_opt.h - int8 depthwise convolution optimized for RV32IMC: the
 * same bytes as the reference td_depthwise_conv2d_s8 (kernels/td_depthwise_conv2d_s8.h:
 * layouts, semantics, golden) from an args struct Python fills at compile time
 * (quant/opt/depthwise_conv2d.py).
 *
 * Staged rows, direct computation: the input rows an output row reads are copied once
 * into a ring in the scratch ([wpad][in_c] bytes each after a lead of 0..3 bytes that
 * puts the first input column on a word boundary, the input zero point in the
 * padding columns; padding rows read a row of zero points), so every window lies inside
 * staged data and every pixel takes the same loop: per `rows` output rows, per channel,
 * the channel's weights (int8, wts[c][k_h * k_w]) and constants sit in registers while
 * the rows' pixels are computed (3x3: unrolled, lb, mul, add per MAC). Padded taps add
 * w * zero point, so the input offset is folded into the channel's start value,
 * start = bias + input_offset * sum(w). chan: TD_OPT_CH words per output channel: start,
 * mode (0 TFLite fast, 1 TFLite reference requantization; integer graphs: 2 the int32
 * multiply-shift of td_opt_rq.h inline, 4 its reciprocal division inline (int8 outputs),
 * 3 any other form, words 2..10 its descriptor; mode 2 keeps the pixel pairs' words in
 * 9..11, td_opt_dw_px.h DW_RQ_PUT0: their sums start from 0),
 * then m4, c_pos, d_neg, sh, mult, shift as td_opt_common.h (TFLite), the clamp
 * thresholds in words 10 and 11.
 *
 * Order of the writes (memory/sliding.py, quant/opt/depthwise_conv2d.py): output rows in
 * order, `rows` at a time, each after all the input rows it reads are staged, so nothing
 * is written before the reads it could disturb (write ahead 0: the output may overwrite
 * its dying input from a margin below it). With several cores (team) core c takes rows
 * [c * rows, (c + 1) * rows) of every round of cores * rows; the cores meet between
 * staging a round and computing it.
 *
 * NCHW layers (planar, passes/nchw_edges.py: between a graph's NCHW edges) read NCHW
 * planes and write NCHW planes: a staged row holds every channel's row [wpad] one after
 * the other (ch_in bytes apart), so the same loops run with pixel step 1; a uint8 input
 * (planar 2) is moved to int8 while staged (x ^ 0x80: its zero-point flip). They never
 * share bytes with their input (the caller's buffers).
 *
 * Preconditions (quant/preconditions/opt.py): the reference kernel's on the geometry;
 * chan and wts sized out_c * TD_OPT_CH and out_c * k_h * k_w; span and wpad as the
 * geometry implies (ring <= 32); scratch_bytes >= (ring + 1) * row_bytes per core (NCHW
 * layers: ring * row_bytes, their padding rows staged in their slots).
 */
#ifndef TD_DEPTHWISE_CONV2D_S8_OPT_H
#define TD_DEPTHWISE_CONV2D_S8_OPT_H

#include "../../td_names.h"

#include <stdint.h>

#include "td_opt_common.h"

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
    int32_t depth_multiplier;
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
    int32_t span;              /* input rows of a window: (k_h - 1) * dilation_h + 1 */
    int32_t rows;              /* output rows per visit of a channel */
    int32_t ring;              /* ring rows: (rows - 1) * stride_h + span, <= 32 */
    int32_t wpad;              /* staged row width: pad_left + in_w + right padding */
    int32_t row_bytes;         /* lead + wpad * in_c (NCHW: (in_c - 1) * ch_in + wpad),
                                * rounded up to 4 (lead: TD_DW_LEAD) */
    int32_t scratch_bytes;     /* per core: (ring + 1) * row_bytes, NCHW ring rows */
    const int32_t *chan;       /* [out_c][TD_OPT_CH] */
    const int8_t *wts;         /* [out_c][k_h * k_w] */
    /* integer graphs (td_depthwise_conv2d_rq_opt: modes 2 to 4; dummies for TFLite) */
    int32_t esize;             /* output element bytes */
    int32_t rq_lo;             /* clamp bounds before the zero point (output_offset) */
    int32_t rq_hi;
    int32_t rq_fp32;
    int32_t rq_rounding;
    int64_t rq_mul2;
    const int64_t *gmul;
    const int64_t *gadd;
    const int64_t *gdiv;
    /* layout (quant/opt/depthwise_conv2d.py make): NHWC, or NCHW input and output */
    int32_t planar;            /* 0 NHWC; NCHW: 1 int8 input, 2 uint8 (top bit flipped) */
    int32_t px_in;             /* staged bytes from a pixel to the next: in_c, NCHW 1 */
    int32_t ch_in;             /* staged bytes from a channel to the next: 1, NCHW a row */
    int32_t px_out;            /* output elements from a pixel to the next: out_c, NCHW 1 */
    int32_t ch_out;            /* ... from a channel to the next: 1, NCHW out_h * out_w */
    int32_t row_out;           /* ... from an output row to the next */
} td_depthwise_conv2d_s8_opt_args_t;

void td_depthwise_conv2d_s8_opt(const td_depthwise_conv2d_s8_opt_args_t *args,
                                const void *input, void *output, void *scratch,
                                const td_team_t *team);

#endif /* TD_DEPTHWISE_CONV2D_S8_OPT_H */
