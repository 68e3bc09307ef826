/* td_stream_window_any.h - the receptive-field window of one time step of a causal
 * temporal convolution computed one step per call (tinydeploy compile --stream).
 *
 * Seen as [outer, time, row] (elements of elem_bytes: 1, 2 or 4 bytes, moved, never
 * changed): window[o] = history[o] (hist steps) followed by x[o] (one step), then
 * history[o] = window[o] without its oldest step. The history lives in memory the network
 * keeps across calls (reset by the network's _reset() to the convolution's padding
 * value) and is updated in place. window, x and history are distinct buffers.
 *
 * Preconditions (checked at compile time, quant/preconditions.py, stream.py; a layer that
 * violates one is refused naming it): elem_bytes in {1, 2, 4}; outer, hist, row > 0;
 * byte counts within int32; x of outer * row elements, window of outer * (hist + 1) *
 * row, history of outer * hist * row.
 */
#ifndef TD_STREAM_WINDOW_ANY_H
#define TD_STREAM_WINDOW_ANY_H

#include "../td_names.h"

#include <stdint.h>

typedef struct {
    int32_t elem_bytes;
    int32_t outer;             /* product of the dims before the time axis */
    int32_t hist;              /* steps the history keeps: (K - 1) * dilation */
    int32_t row;               /* elements per step: product of the dims after the axis */
} td_stream_window_any_args_t;

void td_stream_window_any(const td_stream_window_any_args_t *args, const void *x,
                          void *window, void *history);

#endif /* TD_STREAM_WINDOW_ANY_H */
