/* td_opt_config.h - which specialized instances the optimized kernels compile.
 *
 * A generated project gets its own copy listing exactly what its layers use (quant/opt/,
 * codegen/emit.py), so its code holds no instance it does not call; this default (the
 * library, tests) lists common values. Every kernel also has its general instance, so
 * a missing value only costs speed.
 *
 * TD_DW_TAP_STEPS(X): the depthwise 3x3 tap steps (in_c * dilation_w, < 1024) with their
 * own loop (td_depthwise_conv2d_s8_opt.c: address offsets as immediates).
 *
 * TD_DW_PAIR_STEPS(X): the same for integer-graph 3x3 layers of stride 1, no dilation
 * and depth multiplier 1 (in_c, < 683): mode-2 channels take two pixels per step.
 *
 * TD_DW_PLANE_ROWS(X): NCHW depthwise layers (passes/nchw_edges.py) of that kind: the
 * bytes between their staged rows (row_bytes, 2 * row_bytes + 3 < 2048), with pixel pairs
 * that reach the three rows from one pointer.
 *
 * TD_DW_RQ_FORMS(X): the integer-graph channel modes the depthwise 3x3 loop handles in
 * its unrolled taps besides mode 2 (4: the inline reciprocal division; 3: any form
 * through a call); a mode not listed takes the general per-pixel loop.
 *
 * TD_CV_FORMS(X): the fast epilogues the TFLite convolution's im2col blocks compile
 * (td_opt_gemm.h: 0 TD_CV_FAST, 4 TD_CV_FASTZ: right shifts of 22..29, the output offset
 * added after the shift; 5 TD_CV_FASTP: no sign test, a ReLU's channels); ~1-2 KB of
 * flash each on rv32imc. The integer-graph convolution's (td_opt_cv_epi.h): 6 TD_CV_RQ32,
 * 7 TD_CV_RQ32H, 8 TD_CV_RQ64 in the im2col blocks, 22, 23, 24 the same in the row
 * blocks. A mode not listed takes the reference epilogue (still exact).
 *
 * TD_CV_PATHS(X): the convolution block functions the layers reach (td_opt_conv_impl.h;
 * quant/opt/conv2d.py c_config): 1 / 2 im2col blocks of 5 / 4 channels, 3 / 4 their
 * one-pixel tails, 5 / 6 row blocks of 4 / 2 channels, 7 the plain loops of a block whose
 * low lanes could overflow (TD_CV_WIDE), 8 the reference epilogue (a block mode without a
 * fast one). A path left out is one no layer of the project can reach.
 *
 * TD_CVD_PATHS(X): the same for the direct integer convolutions (td_opt_cv_direct_impl.h;
 * quant/opt/conv2d_s16.py c_config): 1 td_cvd_block4x4, 2 td_cvd_block8, 3 td_cvd_block,
 * 4 td_cvd_store8, 5 td_cvd_store, 6 its general requantization (a channel of form 0).
 *
 * TD_DW_PATHS(X): what the depthwise layers reach besides their tap-step instances
 * (td_opt_dw_impl.h; quant/opt/depthwise_conv2d.py c_config): 1 the general per-pixel
 * loop (windows other than 3x3, TFLite's reference requantization), 2 the 3x3 loop for
 * any tap step, 3 the channels-inner visits of fewer than 4 pixels, 4 their channels of
 * modes other than 2; 5 NCHW layers (channel-major staging, passes/nchw_edges.py),
 * 6 their uint8 inputs (the top bit flipped while staged); 10 + m channels of mode m
 * (0..4); 30 + f the td_opt_rq.h forms f that td_opt_rq_any requantizes (modes 3, 4).
 *
 * TD_FC_PATHS(X): the same for the fully connected layers (quant/opt/fully_connected.py,
 * matmul_rq.py): TFLite (td_fully_connected_s8_opt.c) 1, 2, 4, 8 the row blocks of that
 * many rows, 9 the reference requantization; integer graphs
 * (td_fully_connected_s8_rq_opt.c) 20 two batch rows per panel, 21 one, 22 + m
 * requantization mode m (0 int32, 1 int64, 2 descriptors), 30 + f the forms f of mode 2.
 *
 * TD_TR_PATHS(X): 1 when some byte transpose can take the register-block path
 * (td_transpose_opt_impl.h; quant/opt/transpose.py decides from its strides).
 */
#ifndef TD_OPT_CONFIG_H
#define TD_OPT_CONFIG_H

#ifndef TD_DW_TAP_STEPS
#define TD_DW_TAP_STEPS(X) X(8) X(16) X(32) X(64) X(128) X(256)
#endif

#ifndef TD_DW_PAIR_STEPS
#define TD_DW_PAIR_STEPS(X) X(8) X(16) X(32) X(64) X(128) X(256)
#endif

#ifndef TD_DW_PLANE_ROWS
#define TD_DW_PLANE_ROWS(X) X(20) X(36) X(68) X(100)
#endif

#ifndef TD_DW_RQ_FORMS
#define TD_DW_RQ_FORMS(X) X(3) X(4)
#endif

#ifndef TD_CV_FORMS
#define TD_CV_FORMS(X) X(0) X(4) X(5) X(6) X(7) X(8) X(22) X(23) X(24)
#endif

#ifndef TD_CV_PATHS
#define TD_CV_PATHS(X) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8)
#endif

#ifndef TD_CVD_PATHS
#define TD_CVD_PATHS(X) X(1) X(2) X(3) X(4) X(5) X(6)
#endif

#ifndef TD_DW_PATHS
#define TD_DW_PATHS(X) X(1) X(2) X(3) X(4) X(5) X(6) X(10) X(11) X(12) X(13) X(14)         \
    X(30) X(31) X(32) X(33) X(34) X(35)
#endif

#ifndef TD_FC_PATHS
#define TD_FC_PATHS(X) X(1) X(2) X(4) X(8) X(9) X(20) X(21) X(22) X(23) X(24)               \
    X(30) X(31) X(32) X(33) X(34) X(35)
#endif

#ifndef TD_TR_PATHS
#define TD_TR_PATHS(X) X(1)
#endif

#endif /* TD_OPT_CONFIG_H */
