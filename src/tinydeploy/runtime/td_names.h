/* td_names.h - the link names of the runtime's functions.
 *
 * Every runtime header includes this file. In a generated project it is rewritten to
 * prefix each function the project's sources define with the project's prefix
 * (#define td_conv2d_s8 kws_td_conv2d_s8, as zlib's Z_PREFIX does), so that any two
 * generated projects link into one program, whichever kernel sets and targets they use.
 * Here, in the library itself (tests), names stay as written.
 */
#ifndef TD_NAMES_H
#define TD_NAMES_H
#endif /* TD_NAMES_H */
