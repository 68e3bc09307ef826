"""How far below its input a windowed op's output may start and still be computed in place.

Contract of the kernels this relies on (reference and optimized alike): output pixels
(batch, row, col) are produced in increasing linear order, all channels of a pixel
together, and at most :data:`LOOKAHEAD` pixels are written before the reads of the
earliest of them are done. Then output pixel ``q``'s bytes may overwrite input bytes that
no pixel ``>= q - LOOKAHEAD + 1`` still reads. Tiled and multicore execution breaks this
order, so callers enable sliding only for sequential single-core code.

An optimized kernel (quant/opt/) computes its own exact margin from its order of reads
and writes (``inplace_margin``, quant/opt/_inplace.py); the caller uses that instead.
``write_ahead`` replaces LOOKAHEAD for a kernel that writes pixel by pixel with another
look-ahead. Otherwise which kinds keep the contract depends on the kernel set the project
is compiled with
(:data:`SLIDING_KINDS`): the reference kernels all do; the optimized rv32 kernels
(runtime/kernels/opt) do not for convolutions (output-channel chunks over all pixels when
the packed weights exceed their buffer) nor depthwise (channel chunks over all pixels).
"""

from __future__ import annotations

from tinydeploy.ir.graph import Graph, Op

SLIDING_KINDS = {
    "ref": ("conv2d", "depthwise_conv2d", "avg_pool2d", "max_pool2d"),
    "opt": ("avg_pool2d", "max_pool2d"),
}
LOOKAHEAD = 4


def sliding_margin(g: Graph, op: Op, kernels: str = "ref",
                   write_ahead: int | None = None) -> int | None:
    """Bytes the output must start below the input (>= 0), or None if not applicable.

    For every output pixel ``p``: the end of the bytes written up to pixel
    ``p + LOOKAHEAD - 1`` must not pass the lowest input byte pixel ``p`` reads. The lowest
    read is taken at the window's clipped top-left corner (a lower bound with dilation, so
    the margin is conservative).
    """
    if op.attrs.get("nchw"):                 # (NCHW layers: passes/nchw_edges.py)
        return None
    if write_ahead is None and op.kind not in SLIDING_KINDS[kernels]:
        return None
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or x.dtype != y.dtype or x.bits < 8:
        return None   # (packed sub-byte pixels need not start on a byte boundary)
    n, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    sh, sw = (int(v) for v in op.attrs.get("stride", (1, 1)))
    pt, pl = (int(v) for v in op.attrs.get("pads", (0, 0, 0, 0))[:2])
    look = LOOKAHEAD if write_ahead is None else write_ahead
    return _margin(n, ih, iw, ic, oh, ow, oc, sh, sw, pt, pl, x.itemsize, look)


def _margin(n, ih, iw, ic, oh, ow, oc, sh, sw, pt, pl, item, look=LOOKAHEAD) -> int:
    """``max(0, max_p end_write(p) - min_in(p))`` over the output pixels ``p = (b, r, c)``
    in closed form (O(1), exact; tensors may have 2**31 pixels):

    - ``min_in(p) = ((b * ih + row0(r)) * iw + col0(c)) * ic * item`` with ``row0(r) =
      clip(r * sh - pt, 0, ih - 1)`` (``col0`` likewise),
    - ``end_write(p) = min(p + LOOKAHEAD, P) * oc * item`` (``P`` pixels in all).

    For the pixels before the last LOOKAHEAD the value is ``W * LOOKAHEAD + A(b) + B(r) +
    C(c)``, separable; ``B`` and ``C`` are piecewise linear with breakpoints where the clip
    starts and stops, so their maximum over a range is at its ends or next to a
    breakpoint. Those pixels form a prefix of the row-major order, whose maximum is taken
    over three rectangles. The last LOOKAHEAD pixels are evaluated one by one."""
    wo, wi = oc * item, ic * item
    pixels = n * oh * ow

    def row0(r):
        return min(max(r * sh - pt, 0), ih - 1)

    def col0(c):
        return min(max(c * sw - pl, 0), iw - 1)

    def f_a(b):
        return wo * b * oh * ow - wi * b * ih * iw

    def f_b(r):
        return wo * r * ow - wi * row0(r) * iw

    def f_c(c):
        return wo * c - wi * col0(c)

    def best(f, lo: int, hi: int, stride: int, pad: int, size: int) -> int | None:
        """max f over [lo, hi] (None if empty): f is linear between the clip points."""
        if hi < lo:
            return None
        knees = (pad // stride, (size - 1 + pad) // stride)
        cands = {lo, hi} | {k + d for k in knees for d in (0, 1) if lo <= k + d <= hi}
        return max(f(v) for v in cands)

    def min_in(p: int) -> int:
        b, rest = divmod(p, oh * ow)
        r, c = divmod(rest, ow)
        return ((b * ih + row0(r)) * iw + col0(c)) * wi

    head_end = pixels - look - 1               # last pixel with p + look < pixels
    values = [min(p + look, pixels) * wo - min_in(p)
              for p in range(max(0, head_end + 1), pixels)]
    if head_end >= 0:
        bq, rest = divmod(head_end, oh * ow)
        rq, cq = divmod(rest, ow)
        a_before = None if bq < 1 else max(f_a(0), f_a(bq - 1))      # f_a is linear
        parts = [(a_before, best(f_b, 0, oh - 1, sh, pt, ih),
                  best(f_c, 0, ow - 1, sw, pl, iw)),
                 (f_a(bq), best(f_b, 0, rq - 1, sh, pt, ih), best(f_c, 0, ow - 1, sw, pl, iw)),
                 (f_a(bq), f_b(rq), best(f_c, 0, cq, sw, pl, iw))]
        values += [wo * look + a + b + c for a, b, c in parts
                   if a is not None and b is not None and c is not None]
    return int(max(0, *values))
