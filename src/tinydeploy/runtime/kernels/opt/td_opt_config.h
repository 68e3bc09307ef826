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
 * TD_DW_RQ_FORMS(X): the integer-graph channel modes the depthwise 3x3 loop handles in
 * its unrolled taps besides mode 2 (4: the inline reciprocal division; 3: any form
 * through a call); a mode not listed takes the general per-pixel loop.
 */
#ifndef TD_OPT_CONFIG_H
#define TD_OPT_CONFIG_H

#ifndef TD_DW_TAP_STEPS
#define TD_DW_TAP_STEPS(X) X(8) X(16) X(32) X(64) X(128) X(256)
#endif

#ifndef TD_DW_RQ_FORMS
#define TD_DW_RQ_FORMS(X) X(3) X(4)
#endif

#endif /* TD_OPT_CONFIG_H */
