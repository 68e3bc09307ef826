/* td_hal_host.c - the HAL on a development host (see td_hal.h), for validation.
 *
 * - L1 is a heap block of exactly the requested size (the target's L1), refilled with a
 *   junk pattern for every layer: AddressSanitizer flags any access past its end, and a
 *   tile that reads L1 bytes nobody wrote gets junk instead of a lucky zero.
 * - DMA is memcpy, deferred: a transfer's bytes move only when it is waited for. A
 *   schedule that reads a tile before waiting for its load, or overwrites an output slot
 *   whose store is still pending, therefore computes wrong results here (and fails
 *   validation) instead of passing by accident. At most TD_HOST_DMA_QUEUE transfers may
 *   be pending, like a hardware queue.
 * - Cores run one after another on the calling thread; td_core_id() says which.
 * - Counters of bytes and transfers per direction (td_dma_counters).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "td_hal.h"

#define TD_HOST_DMA_QUEUE 16
#define TD_HOST_L1_JUNK 0xA5

typedef struct {
    int id;                  /* -1: free */
    uint8_t *dst;
    const uint8_t *src;
    td_dma_box_t box;
} td_host_dma_t;

static td_host_dma_t queue[TD_HOST_DMA_QUEUE];
static int next_id = 1;
static int queue_ready = 0;
static td_dma_counters_t counters;
static int32_t current_core = 0;
static uint8_t *l1_block = NULL;
static int32_t l1_size = -1;

void td_hal_fail(const char *what)
{
    fprintf(stderr, "td_hal: %s\n", what);
    abort();
}

static void queue_init(void)
{
    if (queue_ready) return;
    for (int i = 0; i < TD_HOST_DMA_QUEUE; ++i) queue[i].id = -1;
    queue_ready = 1;
}

static void copy_box(uint8_t *dst, const uint8_t *src, const td_dma_box_t *b)
{
    for (int32_t i = 0; i < b->n[0]; ++i) {
        for (int32_t j = 0; j < b->n[1]; ++j) {
            memcpy(dst + (size_t)i * b->dst_stride[0] + (size_t)j * b->dst_stride[1],
                   src + (size_t)i * b->src_stride[0] + (size_t)j * b->src_stride[1],
                   (size_t)b->n[2]);
        }
    }
}

int td_dma_start(void *dst, const void *src, const td_dma_box_t *box, td_dma_dir_t dir)
{
    queue_init();
    if (box->n[0] < 0 || box->n[1] < 0 || box->n[2] < 0 || (unsigned)dir >= TD_DMA_DIRS)
        td_hal_fail("td_dma_start: bad box or direction");
    for (int i = 0; i < TD_HOST_DMA_QUEUE; ++i) {
        if (queue[i].id < 0) {
            queue[i].id = next_id;
            queue[i].dst = (uint8_t *)dst;
            queue[i].src = (const uint8_t *)src;
            queue[i].box = *box;
            next_id = next_id == 0x7fffffff ? 1 : next_id + 1;
            counters.bytes[dir] += (uint64_t)box->n[0] * (uint64_t)box->n[1] *
                                   (uint64_t)box->n[2];
            counters.transfers[dir] += 1;
            return queue[i].id;
        }
    }
    td_hal_fail("td_dma_start: more than TD_HOST_DMA_QUEUE transfers pending");
    return -1;
}

void td_dma_wait(int id)
{
    queue_init();
    for (int i = 0; i < TD_HOST_DMA_QUEUE; ++i) {
        if (queue[i].id == id) {
            copy_box(queue[i].dst, queue[i].src, &queue[i].box);
            queue[i].id = -1;
            return;
        }
    }
    td_hal_fail("td_dma_wait: unknown or already waited transfer id");
}

void td_parallel(int32_t nb_cores, void (*fn)(void *arg), void *arg)
{
    for (int32_t c = 0; c < nb_cores; ++c) {
        current_core = c;
        fn(arg);
    }
    current_core = 0;
}

int32_t td_core_id(void)
{
    return current_core;
}

uint8_t *td_l1_acquire(int32_t bytes)
{
    queue_init();
    for (int i = 0; i < TD_HOST_DMA_QUEUE; ++i) {
        if (queue[i].id >= 0) td_hal_fail("td_l1_acquire: a DMA transfer was never waited");
    }
    if (bytes <= 0) td_hal_fail("td_l1_acquire: L1 size must be positive");
    if (bytes != l1_size) {
        free(l1_block);
        l1_block = (uint8_t *)malloc((size_t)bytes);
        if (l1_block == NULL) td_hal_fail("td_l1_acquire: out of host memory");
        l1_size = bytes;
    }
    memset(l1_block, TD_HOST_L1_JUNK, (size_t)bytes);
    return l1_block;
}

void td_dma_counters(td_dma_counters_t *out)
{
    *out = counters;
}
