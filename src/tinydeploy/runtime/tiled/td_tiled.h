/* td_tiled.h - run one layer tile by tile through L1, from a schedule given as data.
 *
 * The code generator (codegen/tiled.py) emits, per tiled layer, a td_tiled_layer_t: the
 * layer's kernel args (whole-layer values), its L2 tensor strides, and one or more
 * chunks. A chunk is a range of output channels with its own tile table and L1 layout,
 * computed by the same Python code that counts the DMA traffic (tiling/schedule.py), so
 * the bytes moved here equal the planner's prediction exactly. A layer has one chunk
 * unless its weights stream from L3 in pieces (then each chunk first copies its
 * weights and bias L3 -> L2 into a staging buffer).
 *
 * Execution of a chunk (the contract of tiling/schedule.py):
 * 1. copy the chunk's constants L3 -> L2 if it has any to stream, wait;
 * 2. load the per-channel parameters (bias if any, multiplier, shift: `channels` int32
 *    each, back to back; *_RQ kinds: the requant's mul, add, div as int64, then the bias)
 *    into the params buffer, one transfer each, wait (a matmul then runs 3-4 per batch);
 * 3. for every tile i: wait for its loads; start the loads of tile i + 1 (input(s) when
 *    TD_LOAD_INPUT, weights when TD_LOAD_WEIGHT; each operand toggles between its two
 *    slots on every new load); wait for the store that last used this output slot;
 *    compute the tile on nb_cores cores (td_split.h) with the reference kernel; start
 *    its store (a 3-D strided copy into the L2 output);
 * 4. wait for the remaining stores.
 * L1 layouts: input [rows, cols, chans] of the tile's input box, weights [t_c, ...]
 * (depthwise [taps, t_c]), output [rows, cols, t_c], all dense.
 *
 * Checks: none at run time. The layer's args struct is the untiled kernel's and passes the
 * same compile-time preconditions (quant/preconditions.py); tiles and L1 buffers fit by
 * construction (tiling/schedule.py), and the host HAL's L1 is an exact-size heap block. The
 * bounds-checking build (-DTD_BOUNDS_CHECK) also hands td_tiled_run exact-size heap copies
 * of its L2 input(s) and output, so every DMA outside them is reported by ASan.
 */
#ifndef TD_TILED_H
#define TD_TILED_H

#include "../td_names.h"

#include <stddef.h>
#include <stdint.h>

#include "../hal/td_hal.h"
#include "td_split.h"

enum {
    TD_TILED_CONV2D = 1,
    TD_TILED_DEPTHWISE_CONV2D = 2,
    TD_TILED_FULLY_CONNECTED = 3,
    TD_TILED_AVG_POOL2D = 4,
    TD_TILED_MAX_POOL2D = 5,
    TD_TILED_ADD = 6,
    TD_TILED_MUL = 7,
    TD_TILED_FULLY_CONNECTED_RQ = 8,  /* td_fully_connected_s8_rq (integer graphs) */
    TD_TILED_MATMUL_RQ = 9            /* td_matmul_s8_rq: B (in_b) is the "weights" */
};

#define TD_LOAD_INPUT 1
#define TD_LOAD_WEIGHT 2

typedef struct {
    int32_t out_h0, out_h1, out_w0, out_w1, out_c0, out_c1;   /* output box, chunk coords */
    int32_t in_h0, in_h1, in_w0, in_w1, in_c0, in_c1;         /* clipped input box */
    int32_t pad_top, pad_left;   /* window positions before the input box (kernel pads) */
    int32_t load;                /* TD_LOAD_INPUT | TD_LOAD_WEIGHT */
} td_tile_t;

typedef struct {
    int32_t offset;       /* bytes from the L1 base */
    int32_t slot_bytes;
    int32_t slots;        /* 0: buffer absent, 1, or 2 (double buffered) */
} td_l1_buf_t;

typedef struct {          /* one L3 -> L2 copy before a chunk runs */
    void *dst;
    const void *src;
    td_dma_box_t box;
} td_l3_copy_t;

typedef struct {
    int32_t c_base;             /* first output channel of the chunk in the layer */
    int32_t in_c_base;          /* first input channel its outputs read */
    int32_t channels;           /* output channels of the chunk */
    int32_t n_l3;
    const td_l3_copy_t *l3;     /* constants to stream before the chunk (n_l3 copies) */
    const int8_t *weight;       /* the chunk's weights in L2, or NULL */
    const int32_t *bias;        /* the chunk's bias in L2, or NULL */
    td_l1_buf_t input, input_b, weight_buf, params, output;
    int32_t n_tiles;
    const td_tile_t *tiles;
} td_tiled_chunk_t;

typedef struct {
    int32_t kind;               /* TD_TILED_* */
    const void *args;           /* the kernel's args struct, whole-layer values */
    int32_t nb_cores;
    int32_t split;              /* TD_SPLIT_ROWS or TD_SPLIT_CHANNELS */
    int32_t l1_size;            /* bytes of L1 (td_l1_acquire) */
    int32_t n_inputs;           /* activation inputs read per tile (add, mul: 2) */
    int32_t in_w, in_c;         /* L2 input as [rows, in_w, in_c] (the strides) */
    int32_t out_w, out_c;       /* L2 output as [rows, out_w, out_c] */
    int32_t c_step;             /* output channels per group (grouped ops), else 1 */
    int32_t w_per_oc;           /* weight bytes per output channel (0: no weights) */
    int32_t w_taps;             /* depthwise: k_h * k_w (weights [taps, channels]) */
    const int32_t *mult;        /* per-channel requant multipliers of the layer, or NULL */
    const int32_t *shift;
    int32_t n_chunks;
    const td_tiled_chunk_t *chunks;
    /* *_RQ kinds: the fused requant's per-channel arrays (else NULL). In L1 they come
     * first in the params buffer (8-byte aligned): mul, add, div, then the bias. */
    const int64_t *rq_mul, *rq_add, *rq_div;
    int32_t batches;            /* TD_TILED_MATMUL_RQ: batches of the product (else 0) */
} td_tiled_layer_t;

/* Runs the layer: `in` (and `in_b` for add/mul and matmul's B, else NULL) and `out` are its
 * L2 tensors. A matmul runs its tiles once per batch (td_tile_batch gives the offsets). */
void td_tiled_run(const td_tiled_layer_t *layer, const int8_t *in, const int8_t *in_b,
                  int8_t *out);

/* Everything one tile's computation needs, for the per-kind adapters (td_tiled_kernels.c). */
typedef struct {
    const td_tiled_layer_t *layer;
    const td_tile_t *tile;
    const int8_t *in;           /* L1 input tile */
    const int8_t *in_b;         /* L1 second input tile (add, mul) */
    const int8_t *weight;       /* L1 weights of the tile's channels */
    const int32_t *bias;        /* L1 parameters of the chunk's channel 0 (bias may be NULL) */
    const int32_t *mult;
    const int32_t *shift;
    int8_t *out;                /* L1 output tile */
    const int64_t *rq;          /* *_RQ: L1 mul, add, div of the chunk (rq_n each), or NULL */
    int32_t rq_n;
} td_tile_job_t;

/* Computes one part (tile-local output box, td_split.h) of a tile with the reference kernel
 * of the layer's kind, on args derived from the layer's. */
void td_tile_part(const void *job, const td_part_t *part);

/* Element offsets of batch `b` (flat, row-major over the output's batch dims) in the
 * layer's input (A), in_b (B) and output; (0, 0, 0) for kinds without batches. */
void td_tile_batch(const td_tiled_layer_t *layer, int32_t b, size_t *in_off, size_t *b_off,
                   size_t *out_off);

#endif /* TD_TILED_H */
