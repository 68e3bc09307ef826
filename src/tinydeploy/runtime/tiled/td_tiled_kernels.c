/* td_tiled_kernels.c - one part of a tile through the reference kernel: the tile-args
 * adapters.
 *
 * A part (td_split.h) is an output box of the tile whose output bytes are contiguous in
 * the L1 output tile. The adapter copies the layer's kernel args and overrides what the
 * tile changes: the input box (in_h/in_w/in_c), the output box, the kernel padding at
 * the part's first output row/column, the channel count and the per-channel arrays
 * (pointers into the L1 parameter buffer, offset to the part's first channel).
 *
 * Rows: the input pointer moves to the first row the part reads and the padding before
 * it is what remains of the tile's pad_top (in_h then counts the rows from there).
 * Columns (parts of one pixel): the kernels use in_w as the row stride, so the pointer
 * cannot move; the part's window origin is expressed as pad_left - w0 * stride_w, which
 * may be negative - the reference kernels clip every tap against [0, in_w), so that is
 * exactly the tile's window shifted by w0 outputs.
 */
#include "td_tiled.h"

#include <stddef.h>

#include "../kernels/td_add_s8.h"
#include "../kernels/td_avg_pool2d_s8.h"
#include "../kernels/td_conv2d_s8.h"
#include "../kernels/td_depthwise_conv2d_s8.h"
#include "../kernels/td_fully_connected_s8.h"
#include "../kernels/td_fully_connected_s8_rq.h"
#include "../kernels/td_matmul_s8_rq.h"
#include "../kernels/td_max_pool2d_s8.h"
#include "../kernels/td_mul_s8.h"

typedef struct {              /* the part's view of the tile */
    const td_tile_job_t *job;
    const td_tile_t *t;
    const td_part_t *p;
    int32_t in_rows, in_cols, in_chans;   /* L1 input tile box */
    int32_t cols, chans;                  /* output tile cols and channels */
    int32_t row0;                         /* first input row the part reads */
    int32_t pad_top;                      /* padding before that row */
    int32_t c;                            /* the part's first channel in the chunk */
} view_t;

static void make_view(view_t *v, const td_tile_job_t *job, const td_part_t *p,
                      int32_t stride_h)
{
    const td_tile_t *t = job->tile;
    v->job = job;
    v->t = t;
    v->p = p;
    v->in_rows = t->in_h1 - t->in_h0;
    v->in_cols = t->in_w1 - t->in_w0;
    v->in_chans = t->in_c1 - t->in_c0;
    v->cols = t->out_w1 - t->out_w0;
    v->chans = t->out_c1 - t->out_c0;
    v->c = t->out_c0 + p->c0;
    const int32_t lo = p->r0 * stride_h - t->pad_top;
    v->row0 = lo < 0 ? 0 : (lo < v->in_rows ? lo : v->in_rows);
    v->pad_top = lo < 0 ? -lo : 0;
}

static const int8_t *in_ptr(const view_t *v)
{
    return v->job->in + (size_t)v->row0 * v->in_cols * v->in_chans;
}

static int8_t *out_ptr(const view_t *v)
{
    return v->job->out + ((size_t)v->p->r0 * v->cols + v->p->w0) * v->chans + v->p->c0;
}

static const int32_t *bias_ptr(const view_t *v)
{
    return v->job->bias != NULL ? v->job->bias + v->c : NULL;
}

static void whole_channels_only(const view_t *v)
{
    if (v->p->c0 != 0 || v->p->c1 != v->chans)
        td_hal_fail("tiled: this kernel cannot compute a channel range of a tile");
}

static void conv_part(const view_t *v)
{
    const td_conv2d_s8_args_t *la = (const td_conv2d_s8_args_t *)v->job->layer->args;
    td_conv2d_s8_args_t a = *la;
    if (la->groups > 1) whole_channels_only(v);
    a.batches = 1;
    a.in_h = v->in_rows - v->row0;
    a.in_w = v->in_cols;
    a.in_c = v->in_chans;
    a.out_h = v->p->r1 - v->p->r0;
    a.out_w = v->p->w1 - v->p->w0;
    a.out_c = v->p->c1 - v->p->c0;
    a.groups = la->groups > 1 ? v->chans / v->job->layer->c_step : 1;
    a.pad_top = v->pad_top;
    a.pad_left = v->t->pad_left - v->p->w0 * a.stride_w;
    a.out_mult = v->job->mult + v->c;
    a.out_shift = v->job->shift + v->c;
    td_conv2d_s8(&a, in_ptr(v), v->job->weight + (size_t)v->p->c0 * v->job->layer->w_per_oc,
                 bias_ptr(v), out_ptr(v));
}

static void depthwise_part(const view_t *v)
{
    td_depthwise_conv2d_s8_args_t a =
        *(const td_depthwise_conv2d_s8_args_t *)v->job->layer->args;
    whole_channels_only(v);
    a.batches = 1;
    a.in_h = v->in_rows - v->row0;
    a.in_w = v->in_cols;
    a.in_c = v->in_chans;
    a.out_h = v->p->r1 - v->p->r0;
    a.out_w = v->p->w1 - v->p->w0;
    a.out_c = v->chans;
    a.pad_top = v->pad_top;
    a.pad_left = v->t->pad_left - v->p->w0 * a.stride_w;
    a.out_mult = v->job->mult + v->c;
    a.out_shift = v->job->shift + v->c;
    td_depthwise_conv2d_s8(&a, in_ptr(v), v->job->weight, bias_ptr(v), out_ptr(v));
}

static void fully_connected_part(const view_t *v)
{
    td_fully_connected_s8_args_t a = *(const td_fully_connected_s8_args_t *)v->job->layer->args;
    if (v->p->r1 - v->p->r0 > 1) whole_channels_only(v);
    a.batches = v->p->r1 - v->p->r0;
    a.in_features = v->in_chans;
    a.out_features = v->p->c1 - v->p->c0;
    a.out_mult = v->job->mult + v->c;
    a.out_shift = v->job->shift + v->c;
    td_fully_connected_s8(&a, v->job->in + (size_t)v->p->r0 * v->in_chans,
                          v->job->weight + (size_t)v->p->c0 * v->in_chans, bias_ptr(v),
                          out_ptr(v));
}

/* The fused requant's arrays of the part's first channel (L1, td_tiled.c's layout). */
#define RQ_ARRAYS(a, v)                                        \
    do {                                                       \
        (a).rq_mul = (v)->job->rq + (v)->c;                    \
        (a).rq_add = (v)->job->rq + (v)->job->rq_n + (v)->c;   \
        (a).rq_div = (v)->job->rq + 2 * (v)->job->rq_n + (v)->c; \
    } while (0)

static void fully_connected_rq_part(const view_t *v)
{
    td_fully_connected_s8_rq_args_t a =
        *(const td_fully_connected_s8_rq_args_t *)v->job->layer->args;
    if (v->p->r1 - v->p->r0 > 1) whole_channels_only(v);
    a.batches = v->p->r1 - v->p->r0;
    a.in_features = v->in_chans;
    a.out_features = v->p->c1 - v->p->c0;
    a.rq_channels = a.out_features;
    RQ_ARRAYS(a, v);
    td_fully_connected_s8_rq(&a, v->job->in + (size_t)v->p->r0 * v->in_chans,
                             v->job->weight + (size_t)v->p->c0 * v->in_chans, bias_ptr(v),
                             out_ptr(v));
}

/* A part of a matmul tile: rows of A (L1 [rows, K]) times the tile's columns of B (L1
 * [t_c, K] when w_taps is 0, else [K, t_c]); one batch, no bias. */
static void matmul_rq_part(const view_t *v)
{
    const int32_t ones[TD_MATMUL_BATCH_DIMS] = {1, 1, 1, 1};
    const int32_t zeros[TD_MATMUL_BATCH_DIMS] = {0, 0, 0, 0};
    td_matmul_s8_rq_args_t a = *(const td_matmul_s8_rq_args_t *)v->job->layer->args;
    const int8_t *b;
    if (v->p->r1 - v->p->r0 > 1) whole_channels_only(v);
    a.m = v->p->r1 - v->p->r0;
    a.channels = v->p->c1 - v->p->c0;
    a.rq_channels = a.channels;
    a.a_m = a.k;
    a.a_k = 1;
    if (v->job->layer->w_taps > 0) {
        a.b_k = v->chans;
        a.b_n = 1;
        b = v->job->weight + v->p->c0;
    } else {
        a.b_k = 1;
        a.b_n = a.k;
        b = v->job->weight + (size_t)v->p->c0 * a.k;
    }
    a.a_size = a.m * a.k;
    a.b_size = a.k * v->chans - (v->job->layer->w_taps > 0 ? v->p->c0 : v->p->c0 * a.k);
    a.batch = ones;
    a.a_batch = zeros;
    a.b_batch = zeros;
    a.c_batch = zeros;
    RQ_ARRAYS(a, v);
    td_matmul_s8_rq(&a, v->job->in + (size_t)v->p->r0 * a.k, b, NULL, out_ptr(v));
}

void td_tile_batch(const td_tiled_layer_t *layer, int32_t b, size_t *in_off, size_t *b_off,
                   size_t *out_off)
{
    *in_off = *b_off = *out_off = 0;
    if (layer->kind != TD_TILED_MATMUL_RQ) return;
    const td_matmul_s8_rq_args_t *a = (const td_matmul_s8_rq_args_t *)layer->args;
    int32_t i[TD_MATMUL_BATCH_DIMS], rest = b;
    for (int d = TD_MATMUL_BATCH_DIMS - 1; d >= 0; --d) {
        i[d] = rest % a->batch[d];
        rest /= a->batch[d];
    }
    const td_matmul_base_t o = td_matmul_base(a, i[0], i[1], i[2], i[3]);
    *in_off = (size_t)o.a;
    *b_off = (size_t)o.b;
    *out_off = (size_t)b * (size_t)a->m * (size_t)a->channels;
}

#define POOL_PART(NAME, KERNEL, ARGS)                                              \
    static void NAME(const view_t *v)                                             \
    {                                                                             \
        ARGS a = *(const ARGS *)v->job->layer->args;                              \
        whole_channels_only(v);                                                   \
        a.batches = 1;                                                            \
        a.in_h = v->in_rows - v->row0;                                            \
        a.in_w = v->in_cols;                                                      \
        a.channels = v->chans;                                                    \
        a.out_h = v->p->r1 - v->p->r0;                                            \
        a.out_w = v->p->w1 - v->p->w0;                                            \
        a.pad_top = v->pad_top;                                                   \
        a.pad_left = v->t->pad_left - v->p->w0 * a.stride_w;                      \
        KERNEL(&a, in_ptr(v), out_ptr(v));                                        \
    }

POOL_PART(avg_pool_part, td_avg_pool2d_s8, td_avg_pool2d_s8_args_t)
POOL_PART(max_pool_part, td_max_pool2d_s8, td_max_pool2d_s8_args_t)

/* Elementwise: the part's elements are contiguous and at the same index in all tiles. */
static size_t elem_offset(const view_t *v)
{
    return ((size_t)v->p->r0 * v->cols + v->p->w0) * v->chans + v->p->c0;
}

static int32_t elem_count(const view_t *v)
{
    return (v->p->r1 - v->p->r0) * (v->p->w1 - v->p->w0) * (v->p->c1 - v->p->c0);
}

static void add_part(const view_t *v)
{
    static const int32_t one[1] = {1};
    td_add_s8_args_t a = *(const td_add_s8_args_t *)v->job->layer->args;
    const int32_t shape[1] = {elem_count(v)};
    const size_t off = elem_offset(v);
    a.ndim = 1;
    a.shape = shape;
    a.a_strides = one;
    a.b_strides = one;
    td_add_s8(&a, v->job->in + off, v->job->in_b + off, v->job->out + off);
}

static void mul_part(const view_t *v)
{
    static const int32_t one[1] = {1};
    td_mul_s8_args_t a = *(const td_mul_s8_args_t *)v->job->layer->args;
    const int32_t shape[1] = {elem_count(v)};
    const size_t off = elem_offset(v);
    a.ndim = 1;
    a.shape = shape;
    a.a_strides = one;
    a.b_strides = one;
    td_mul_s8(&a, v->job->in + off, v->job->in_b + off, v->job->out + off);
}

void td_tile_part(const void *job_arg, const td_part_t *part)
{
    const td_tile_job_t *job = (const td_tile_job_t *)job_arg;
    view_t v;
    switch (job->layer->kind) {
    case TD_TILED_CONV2D:
        make_view(&v, job, part, ((const td_conv2d_s8_args_t *)job->layer->args)->stride_h);
        conv_part(&v);
        break;
    case TD_TILED_DEPTHWISE_CONV2D:
        make_view(&v, job, part,
                  ((const td_depthwise_conv2d_s8_args_t *)job->layer->args)->stride_h);
        depthwise_part(&v);
        break;
    case TD_TILED_FULLY_CONNECTED:
        make_view(&v, job, part, 1);
        fully_connected_part(&v);
        break;
    case TD_TILED_FULLY_CONNECTED_RQ:
        make_view(&v, job, part, 1);
        fully_connected_rq_part(&v);
        break;
    case TD_TILED_MATMUL_RQ:
        make_view(&v, job, part, 1);
        matmul_rq_part(&v);
        break;
    case TD_TILED_AVG_POOL2D:
        make_view(&v, job, part, ((const td_avg_pool2d_s8_args_t *)job->layer->args)->stride_h);
        avg_pool_part(&v);
        break;
    case TD_TILED_MAX_POOL2D:
        make_view(&v, job, part, ((const td_max_pool2d_s8_args_t *)job->layer->args)->stride_h);
        max_pool_part(&v);
        break;
    case TD_TILED_ADD:
        make_view(&v, job, part, 1);
        add_part(&v);
        break;
    case TD_TILED_MUL:
        make_view(&v, job, part, 1);
        mul_part(&v);
        break;
    default:
        td_hal_fail("tiled: unknown layer kind");
    }
}
