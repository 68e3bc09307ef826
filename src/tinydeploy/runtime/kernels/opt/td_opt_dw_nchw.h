/* td_opt_dw_nchw.h - the staging of NCHW depthwise layers (planar: passes/
 * nchw_edges.py, quant/opt/depthwise_conv2d.py make_nchw), included by
 * td_opt_dw_impl.h after dw_fill and TD_DW_LEAD: a visit's input rows staged in order,
 * each channel's row after the other. All static. */
#ifndef TD_OPT_DW_NCHW_H
#define TD_OPT_DW_NCHW_H

#include "../../td_names.h"

#include <stdint.h>

#if defined(__GNUC__) && !defined(__clang__)
#define DW_NO_VECTORIZE __attribute__((optimize("no-tree-vectorize")))
#else
#define DW_NO_VECTORIZE
#endif
/* (DW_NO_VECTORIZE: GCC would rebuild the short byte loop out of word patterns - more
 * instructions than the loop, for rows this short) */

/* Input rows [iy, iy + n) of an NCHW layer (planar) staged at dst, row_bytes apart: each
 * channel's row ch_in bytes after the previous one, at its left padding (column 0), the
 * data only - dw_run filled the padding columns with the zero point once. Words where
 * the rows are word-aligned (the staged ones are when the scratch is: TD_DW_LEAD, ch_in
 * and row_bytes multiples of 4). A uint8 input moves to int8 on the way (x ^ 0x80). */
TD_OPT_NOINLINE DW_NO_VECTORIZE static void dw_stage_planar(
    const td_depthwise_conv2d_s8_opt_args_t *a, const int8_t *xb, int32_t iy, int32_t n,
    int8_t *dst)
{
    const int32_t plane = a->in_h * a->in_w, w = a->in_w, step = a->ch_in, nc = a->in_c;
    const int32_t rowb = a->row_bytes;
    const uint32_t flip = DW_HAS_PATH(6) && a->planar == 2 ? 0x80808080u : 0u;
    const int8_t fb = (int8_t)(flip & 0xffu);
    dst += a->pad_left;
    const int words = (((uintptr_t)xb | (uintptr_t)dst | (uintptr_t)plane | (uintptr_t)w) &
                       3u) == 0;
    for (int32_t r = 0; r < n; ++r, dst += rowb) {
        const int8_t *src = xb + (iy + r) * w;
        int8_t *d = dst;
        for (int32_t c = 0; c < nc; ++c, src += plane, d += step) {
            if (words) {          /* (two words a step: a row of 4k bytes, k odd, one more) */
                const uint32_t *si = (const uint32_t *)(const void *)src;
                uint32_t *o = (uint32_t *)(void *)d;
                int32_t k = w >> 2;
                if (k & 1) *o++ = *si++ ^ flip;
                for (k >>= 1; k > 0; --k, si += 2, o += 2) {
                    const uint32_t v0 = si[0], v1 = si[1];
                    o[0] = v0 ^ flip;
                    o[1] = v1 ^ flip;
                }
            } else {
                for (int32_t k = 0; k < w; ++k) d[k] = (int8_t)(src[k] ^ fb);
            }
        }
    }
}

/* An NCHW layer's visit of output rows [oy, oy + nrows): its input rows staged in order,
 * row_bytes apart (padding rows all zero point), base[j] the one of input row
 * oy * stride_h - pad_top + j - no ring: the rows a visit shares with the last one are
 * staged again, so that the pixel pairs reach every row from one pointer. */
static void dw_visit_rows(const td_depthwise_conv2d_s8_opt_args_t *a, const int8_t *xb,
                          int8_t *ring, int32_t oy, int32_t nrows, const int8_t **base)
{
    const int32_t rowb = a->row_bytes, nin = (nrows - 1) * a->stride_h + a->span;
    const int32_t iy0 = oy * a->stride_h - a->pad_top;
    const int32_t j0 = TD_MAX(0, -iy0), j1 = TD_MIN(nin, a->in_h - iy0);
    int8_t *const lead = ring + TD_DW_LEAD(a);
    for (int32_t j = 0; j < nin; ++j) {
        base[j] = lead + j * rowb;
        if (j < j0 || j >= j1)          /* a padding row (its slot: zero point) */
            dw_fill(ring + j * rowb, (int8_t)(-a->input_offset), rowb);
    }
    if (j1 > j0) dw_stage_planar(a, xb, iy0 + j0, j1 - j0, lead + j0 * rowb);
}

#endif /* TD_OPT_DW_NCHW_H */
