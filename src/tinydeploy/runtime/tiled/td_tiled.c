/* td_tiled.c - the double-buffered tile loop of a tiled layer (see td_tiled.h). */
#include "td_tiled.h"

#include <stddef.h>

/* L1 slots of the operands of one tile, and the loads that fill them. */
typedef struct {
    int32_t in_slot, w_slot;      /* -1: nothing loaded yet */
    int in_id[2], w_id;           /* pending transfer ids, -1: none */
} stage_t;

typedef struct {
    const td_tiled_layer_t *layer;
    const td_tiled_chunk_t *chunk;
    uint8_t *l1;
    const int8_t *in, *in_b;      /* L2 inputs of the chunk (channel base applied) */
    int8_t *out;                  /* L2 output of the chunk */
    const int8_t *w;              /* L2 weights: the chunk's, or matmul's B of the batch */
} chunk_ctx_t;

static uint8_t *slot(const chunk_ctx_t *c, const td_l1_buf_t *b, int32_t s)
{
    return c->l1 + b->offset + (size_t)s * (size_t)b->slot_bytes;
}

static int32_t next_slot(const td_l1_buf_t *b, int32_t cur)
{
    if (cur < 0) return 0;
    if (b->slots != 2) td_hal_fail("tiled: reloading a single-slot L1 buffer");
    return 1 - cur;
}

static void check_fits(const td_l1_buf_t *b, int32_t bytes, const char *what)
{
    if (b->slots < 1 || bytes < 0 || bytes > b->slot_bytes) td_hal_fail(what);
}

static int load_input(const chunk_ctx_t *c, const td_tile_t *t, const td_l1_buf_t *b,
                      int32_t s, const int8_t *src)
{
    const td_tiled_layer_t *L = c->layer;
    const int32_t rows = t->in_h1 - t->in_h0, cols = t->in_w1 - t->in_w0;
    const int32_t chans = t->in_c1 - t->in_c0;
    td_dma_box_t box = {{rows, cols, chans}, {L->in_w * L->in_c, L->in_c},
                        {cols * chans, chans}};
    check_fits(b, rows * cols * chans, "tiled: input tile larger than its L1 slot");
    src += ((size_t)t->in_h0 * L->in_w + t->in_w0) * L->in_c + t->in_c0;
    return td_dma_start(slot(c, b, s), src, &box, TD_DMA_L2_TO_L1);
}

static int load_weights(const chunk_ctx_t *c, const td_tile_t *t, int32_t s)
{
    const td_tiled_layer_t *L = c->layer;
    const td_tiled_chunk_t *ch = c->chunk;
    const int32_t tc = t->out_c1 - t->out_c0;
    td_dma_box_t box;
    const int8_t *src;
    if (L->w_taps > 0) {          /* depthwise [taps, channels]: one row of tc per tap */
        td_dma_box_t dw = {{1, L->w_taps, tc}, {0, ch->channels}, {0, tc}};
        box = dw;
        src = c->w + t->out_c0;
    } else {                      /* [channels, ...]: tc contiguous channel rows */
        td_dma_box_t rows = {{1, 1, tc * L->w_per_oc}, {0, 0}, {0, 0}};
        box = rows;
        src = c->w + (size_t)t->out_c0 * L->w_per_oc;
    }
    check_fits(&ch->weight_buf, tc * L->w_per_oc, "tiled: weight tile larger than its slot");
    return td_dma_start(slot(c, &ch->weight_buf, s), src, &box, TD_DMA_L2_TO_L1);
}

/* Starts the loads tile t needs, into the slots after `prev`'s. */
static void issue_loads(const chunk_ctx_t *c, const td_tile_t *t, const stage_t *prev,
                        stage_t *next)
{
    const td_tiled_chunk_t *ch = c->chunk;
    *next = *prev;
    next->in_id[0] = next->in_id[1] = next->w_id = -1;
    if (t->load & TD_LOAD_INPUT) {
        next->in_slot = next_slot(&ch->input, prev->in_slot);
        next->in_id[0] = load_input(c, t, &ch->input, next->in_slot, c->in);
        if (c->layer->n_inputs == 2)
            next->in_id[1] = load_input(c, t, &ch->input_b, next->in_slot, c->in_b);
    }
    if ((t->load & TD_LOAD_WEIGHT) && c->layer->w_per_oc > 0) {
        next->w_slot = next_slot(&ch->weight_buf, prev->w_slot);
        next->w_id = load_weights(c, t, next->w_slot);
    }
}

static void wait_loads(const stage_t *s)
{
    for (int k = 0; k < 2; ++k)
        if (s->in_id[k] >= 0) td_dma_wait(s->in_id[k]);
    if (s->w_id >= 0) td_dma_wait(s->w_id);
}

static void copy_1d(void *dst, const void *src, int32_t bytes, td_dma_dir_t dir, int *id)
{
    td_dma_box_t box = {{1, 1, bytes}, {0, 0}, {0, 0}};
    *id = td_dma_start(dst, src, &box, dir);
}

/* The fused requant's arrays (int64: mul, add, div) then the bias (int32) of the chunk's
 * channels into the params buffer; returns the bias in L1 (NULL if none). */
static const int32_t *rq_prologue(const chunk_ctx_t *c, const int64_t **rq)
{
    const td_tiled_layer_t *L = c->layer;
    const td_tiled_chunk_t *ch = c->chunk;
    const int32_t n = ch->channels, b64 = n * (int32_t)sizeof(int64_t);
    const int64_t *src[3] = {L->rq_mul, L->rq_add, L->rq_div};
    int ids[4];
    check_fits(&ch->params, 3 * b64 + (ch->bias != NULL ? n * (int32_t)sizeof(int32_t) : 0),
               "tiled: parameters larger than their buffer");
    int64_t *p = (int64_t *)(void *)slot(c, &ch->params, 0);
    for (int k = 0; k < 3; ++k)
        copy_1d(p + (size_t)k * n, src[k] + ch->c_base, b64, TD_DMA_L2_TO_L1, &ids[k]);
    int32_t *bias = (int32_t *)(void *)(p + (size_t)3 * n);
    if (ch->bias != NULL)
        copy_1d(bias, ch->bias, n * (int32_t)sizeof(int32_t), TD_DMA_L2_TO_L1, &ids[3]);
    for (int k = 0; k < (ch->bias != NULL ? 4 : 3); ++k) td_dma_wait(ids[k]);
    *rq = p;
    return ch->bias != NULL ? bias : NULL;
}

/* Streams the chunk's constants L3 -> L2 and loads its parameters into L1. */
static const int32_t *chunk_prologue(const chunk_ctx_t *c)
{
    const td_tiled_layer_t *L = c->layer;
    const td_tiled_chunk_t *ch = c->chunk;
    int ids[4];
    for (int32_t k = 0; k < ch->n_l3; ++k) {
        const td_l3_copy_t *cp = &ch->l3[k];
        td_dma_wait(td_dma_start(cp->dst, cp->src, &cp->box, TD_DMA_L3_TO_L2));
    }
    if (ch->params.slots == 0) return NULL;
    const int32_t n = ch->channels, bytes = n * (int32_t)sizeof(int32_t);
    const int32_t arrays = ch->bias != NULL ? 3 : 2;
    check_fits(&ch->params, arrays * bytes, "tiled: parameters larger than their buffer");
    int32_t *p = (int32_t *)(void *)slot(c, &ch->params, 0);
    int k = 0;
    if (ch->bias != NULL) copy_1d(p, ch->bias, bytes, TD_DMA_L2_TO_L1, &ids[k++]);
    copy_1d(p + (arrays - 2) * n, L->mult + ch->c_base, bytes, TD_DMA_L2_TO_L1, &ids[k++]);
    copy_1d(p + (arrays - 1) * n, L->shift + ch->c_base, bytes, TD_DMA_L2_TO_L1, &ids[k++]);
    for (int i = 0; i < k; ++i) td_dma_wait(ids[i]);
    return p;
}

static void compute_worker(void *arg)
{
    const td_tile_job_t *job = (const td_tile_job_t *)arg;
    const td_tile_t *t = job->tile;
    const td_tiled_layer_t *L = job->layer;
    td_core_parts(L->split, t->out_h1 - t->out_h0, t->out_w1 - t->out_w0,
                  t->out_c1 - t->out_c0, L->c_step, L->nb_cores, td_core_id(),
                  td_tile_part, job);
}

static int store_output(const chunk_ctx_t *c, const td_tile_t *t, int32_t s)
{
    const td_tiled_layer_t *L = c->layer;
    const int32_t rows = t->out_h1 - t->out_h0, cols = t->out_w1 - t->out_w0;
    const int32_t chans = t->out_c1 - t->out_c0;
    td_dma_box_t box = {{rows, cols, chans}, {cols * chans, chans},
                        {L->out_w * L->out_c, L->out_c}};
    int8_t *dst = c->out + ((size_t)t->out_h0 * L->out_w + t->out_w0) * L->out_c + t->out_c0;
    return td_dma_start(dst, slot(c, &c->chunk->output, s), &box, TD_DMA_L1_TO_L2);
}

/* The chunk's tile loop for one batch (c: its L2 pointers); params as loaded. */
static void run_tiles(const chunk_ctx_t *c, const int32_t *params, const int32_t *bias,
                      const int64_t *rq)
{
    const td_tiled_layer_t *L = c->layer;
    const td_tiled_chunk_t *ch = c->chunk;
    const int32_t n = ch->channels;
    int store_id[2] = {-1, -1};
    stage_t cur = {-1, -1, {-1, -1}, -1}, nxt;
    if (ch->n_tiles > 0) issue_loads(c, &ch->tiles[0], &cur, &cur);
    for (int32_t i = 0; i < ch->n_tiles; ++i) {
        const td_tile_t *t = &ch->tiles[i];
        const int32_t out_slot = ch->output.slots == 2 ? (i & 1) : 0;
        wait_loads(&cur);
        if (i + 1 < ch->n_tiles) issue_loads(c, &ch->tiles[i + 1], &cur, &nxt);
        if (store_id[out_slot] >= 0) td_dma_wait(store_id[out_slot]);
        check_fits(&ch->output, (t->out_h1 - t->out_h0) * (t->out_w1 - t->out_w0) *
                   (t->out_c1 - t->out_c0), "tiled: output tile larger than its L1 slot");
        td_tile_job_t job = {
            L, t, (const int8_t *)slot(c, &ch->input, cur.in_slot),
            L->n_inputs == 2 ? (const int8_t *)slot(c, &ch->input_b, cur.in_slot) : NULL,
            L->w_per_oc > 0 ? (const int8_t *)slot(c, &ch->weight_buf, cur.w_slot) : NULL,
            bias,
            params != NULL ? params + (ch->bias != NULL ? n : 0) : NULL,
            params != NULL ? params + (ch->bias != NULL ? 2 * n : n) : NULL,
            (int8_t *)slot(c, &ch->output, out_slot), rq, n};
        td_parallel(L->nb_cores, compute_worker, &job);
        store_id[out_slot] = store_output(c, t, out_slot);
        if (i + 1 < ch->n_tiles) cur = nxt;
    }
    for (int s = 0; s < 2; ++s)
        if (store_id[s] >= 0) td_dma_wait(store_id[s]);
}

static void run_chunk(const chunk_ctx_t *c)
{
    const td_tiled_layer_t *L = c->layer;
    const int64_t *rq = NULL;
    const int32_t *params = NULL, *bias = NULL;
    if (L->rq_mul != NULL) {
        bias = rq_prologue(c, &rq);
    } else {
        params = chunk_prologue(c);
        bias = params != NULL && c->chunk->bias != NULL ? params : NULL;
    }
    const int32_t batches = L->batches > 0 ? L->batches : 1;
    for (int32_t b = 0; b < batches; ++b) {
        size_t in_off, b_off, out_off;
        td_tile_batch(L, b, &in_off, &b_off, &out_off);
        chunk_ctx_t cb = *c;
        cb.in = c->in + in_off;
        cb.out = c->out + out_off;
        if (L->kind == TD_TILED_MATMUL_RQ) cb.w = c->in_b + b_off;
        run_tiles(&cb, params, bias, rq);
    }
}

void td_tiled_run(const td_tiled_layer_t *layer, const int8_t *in, const int8_t *in_b,
                  int8_t *out)
{
    uint8_t *l1 = td_l1_acquire(layer->l1_size);
    for (int32_t k = 0; k < layer->n_chunks; ++k) {
        const td_tiled_chunk_t *ch = &layer->chunks[k];
        chunk_ctx_t c = {layer, ch, l1, in + ch->in_c_base,
                         in_b != NULL ? in_b + ch->in_c_base : NULL, out + ch->c_base,
                         ch->weight};
        run_chunk(&c);
    }
}
