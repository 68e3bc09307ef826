"""How far below its input a windowed op's output may start and still be computed in place.

Contract of the kernels this relies on (reference and optimized alike): output pixels
(batch, row, col) are produced in increasing linear order, all channels of a pixel
together, and at most :data:`LOOKAHEAD` pixels are written before the reads of the
earliest of them are done. Then output pixel ``q``'s bytes may overwrite input bytes that
no pixel ``>= q - LOOKAHEAD + 1`` still reads. Tiled and multicore execution breaks this
order, so callers enable sliding only for sequential single-core code.

Which kinds keep the contract depends on the kernel set the project is compiled with
(:data:`SLIDING_KINDS`): the reference kernels all do; the optimized rv32 kernels
(runtime/kernels/opt) do not for convolutions (output-channel chunks over all pixels when
the packed weights exceed their buffer) nor depthwise (channel chunks over all pixels).
"""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op

SLIDING_KINDS = {
    "ref": ("conv2d", "depthwise_conv2d", "avg_pool2d", "max_pool2d"),
    "opt": ("avg_pool2d", "max_pool2d"),
}
LOOKAHEAD = 4


def sliding_margin(g: Graph, op: Op, kernels: str = "ref") -> int | None:
    """Bytes the output must start below the input (>= 0), or None if not applicable.

    For every output pixel ``p``: the end of the bytes written up to pixel
    ``p + LOOKAHEAD - 1`` must not pass the lowest input byte pixel ``p`` reads. The lowest
    read is taken at the window's clipped top-left corner (a lower bound with dilation, so
    the margin is conservative).
    """
    if op.kind not in SLIDING_KINDS[kernels]:
        return None
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or x.dtype != y.dtype or x.bits < 8:
        return None   # (packed sub-byte pixels need not start on a byte boundary)
    n, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    sh, sw = op.attrs.get("stride", (1, 1))
    pt, pl = op.attrs.get("pads", (0, 0, 0, 0))[:2]
    item = x.itemsize
    b, r, c = np.meshgrid(np.arange(n), np.arange(oh), np.arange(ow), indexing="ij")
    row0 = np.clip(r * sh - pt, 0, ih - 1)
    col0 = np.clip(c * sw - pl, 0, iw - 1)
    min_in = ((b * ih + row0) * iw + col0).ravel() * ic * item
    pixels = min_in.size
    last = np.minimum(np.arange(pixels) + LOOKAHEAD, pixels)   # pixels written so far
    end_write = last * oc * item
    return int(max(0, (end_write - min_in).max()))
