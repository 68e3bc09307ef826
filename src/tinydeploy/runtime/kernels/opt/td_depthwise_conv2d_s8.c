#include "../td_depthwise_conv2d_s8.c"
