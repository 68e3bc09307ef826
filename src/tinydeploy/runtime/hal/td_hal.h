/* td_hal.h - the hardware abstraction a tiled network needs: DMA, cores, L1.
 *
 * Everything target-specific of a tiled layer goes through these few calls; the tiled
 * runtime (td_tiled.c) and the generated network are plain C99 on top of them. A port to
 * a PULP cluster maps td_dma_start to the cluster DMA (L2 <-> L1) or the uDMA (L3 -> L2),
 * td_parallel to a fork/join over the cluster cores and td_l1_acquire to the TCDM.
 * td_hal_host.c is the host implementation used for validation.
 *
 * Contract:
 * - td_dma_start copies a 3-D box: n[0] x n[1] rows of n[2] contiguous bytes, row (i, j)
 *   at src + i*src_stride[0] + j*src_stride[1], to dst + i*dst_stride[0] + j*dst_stride[1].
 *   It returns a transfer id; the data may move any time until td_dma_wait(id) returns,
 *   so neither side may be touched before that. Every started transfer is waited once.
 *   A box of 0 bytes is a valid transfer (it still counts as one).
 * - td_parallel(n, fn, arg) runs fn(arg) on cores 0..n-1 and returns when all are done;
 *   inside fn, td_core_id() is the core's index. Cores must write disjoint memory.
 * - td_l1_acquire(bytes) returns the base of L1 (at least 8-byte aligned) for a layer that
 *   uses `bytes` bytes from it, `bytes` being the target's L1 size.
 * - td_dma_counters reports the bytes and transfers moved so far, per direction.
 */
#ifndef TD_HAL_H
#define TD_HAL_H

#include "../td_names.h"

#include <stddef.h>
#include <stdint.h>

typedef enum {
    TD_DMA_L2_TO_L1 = 0,   /* tile loads: inputs, weights, per-channel parameters */
    TD_DMA_L1_TO_L2 = 1,   /* tile stores: outputs */
    TD_DMA_L3_TO_L2 = 2,   /* weight streaming into the L2 staging buffer */
    TD_DMA_DIRS = 3
} td_dma_dir_t;

typedef struct {
    int32_t n[3];            /* rows along dim 0, rows along dim 1, contiguous bytes */
    int32_t src_stride[2];   /* bytes between rows along dim 0 and dim 1, in src */
    int32_t dst_stride[2];   /* the same in dst */
} td_dma_box_t;

typedef struct td_dma_counters_s {
    uint64_t bytes[TD_DMA_DIRS];
    uint64_t transfers[TD_DMA_DIRS];
} td_dma_counters_t;

int td_dma_start(void *dst, const void *src, const td_dma_box_t *box, td_dma_dir_t dir);
void td_dma_wait(int id);
void td_parallel(int32_t nb_cores, void (*fn)(void *arg), void *arg);
int32_t td_core_id(void);
uint8_t *td_l1_acquire(int32_t bytes);
void td_dma_counters(td_dma_counters_t *out);

/* A contract violation the runtime detected (a tile larger than its L1 slot, a DMA never
 * waited for, ...): never returns. */
void td_hal_fail(const char *what);

#endif /* TD_HAL_H */
