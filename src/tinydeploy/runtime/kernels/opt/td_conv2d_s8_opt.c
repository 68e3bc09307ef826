/* td_conv2d_s8_opt.c - int8 convolution optimized for RV32IMC (TFLite requantization,
 * weights int16 w * 256); see td_conv2d_s8_opt.h and the driver td_opt_conv_impl.h. */
#include "td_conv2d_s8_opt.h"

#define TD_CV_FN td_conv2d_s8_opt
#define TD_CV_WT int16_t
#define TD_CV_WV(x) ((int32_t)(x))
#define TD_CV_WTS wts

#include "td_opt_conv_impl.h"
