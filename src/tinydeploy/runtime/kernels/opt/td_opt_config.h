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

#ifndef TD_DW_RQ_FORMS
#define TD_DW_RQ_FORMS(X) X(3) X(4)
#endif

#ifndef TD_CV_FORMS
#define TD_CV_FORMS(X) X(0) X(4) X(5) X(6) X(7) X(8) X(22) X(23) X(24)
#endif

#ifndef TD_TR_PATHS
#define TD_TR_PATHS(X) X(1)
#endif

#endif /* TD_OPT_CONFIG_H */
