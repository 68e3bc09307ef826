/* td_opt_config.h - which specialized instances the optimized kernels compile.
 *
 * A generated project gets its own copy listing exactly what its layers use (quant/opt/,
 * codegen/emit.py), so its code holds no instance it does not call; this default (the
 * library, tests) lists common values. Every kernel also has its general instance, so
 * a missing value only costs speed.
 *
 * TD_DW_TAP_STEPS(X): the depthwise 3x3 tap steps (in_c * dilation_w, < 1024) with their
 * own loop (td_depthwise_conv2d_s8_opt.c: address offsets as immediates).
 */
#ifndef TD_OPT_CONFIG_H
#define TD_OPT_CONFIG_H

#ifndef TD_DW_TAP_STEPS
#define TD_DW_TAP_STEPS(X) X(8) X(16) X(32) X(64) X(128) X(256)
#endif

#endif /* TD_OPT_CONFIG_H */
