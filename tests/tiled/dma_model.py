"""An independent model of the exact DMA traffic of a tiled layer, for the tests.

The plan's own numbers (``TileSolution.dma``, the manifest's ``tiled.layers[*].dma``) are
computed by walking the same tile tables that the code generator writes
(``tinydeploy.tiling.schedule.iter_tiles`` / ``count_dma``), so comparing the measured
counters with them cannot catch a wrong tile table. This module counts the traffic again
from first principles and shares no code with the tiler: the layer's geometry is read
from the IR op itself (tensor shapes, strides, pads, dilation, the weight and bias tensors,
the per-channel requantization arrays of the kernel args) - not from ``LayerGeometry`` -
and the tiles are enumerated here, not with ``dim_tiles``/``iter_tiles``/``input_span``.
Only the planner's *choices* come from the plan: which ops are tiled, each chunk's output
channels, whether the layer's constants stream from L3, and each chunk's tile sizes and
loop order (``Tiling``).

The rules below are those of the runtime (``runtime/tiled/td_tiled.c``, contract in
``td_tiled.h``) and of the host HAL (``td_hal_host.c``), read from their source:

R1  A DMA transfer is one ``td_dma_start``: it moves a box of ``n0 * n1 * n2`` bytes
    (3-D strided copy) and counts as ONE transfer, whatever its shape. Directions:
    L2->L1 (tile loads, parameters), L1->L2 (tile stores), L3->L2 (weight streaming).
R2  A layer runs as one or more chunks of output channels ``[c0, c1)`` (one, unless its
    constants stream from L3 in pieces), one after the other; each chunk is a fresh tile
    loop - nothing it loaded into L1 survives into the next chunk.
R3  If the layer's constants stream from L3, every chunk first copies its slice of the
    bias (int32, when the op has one) and its slice of the weights L3 -> L2: one transfer
    each (the depthwise weights ``[KH, KW, C]`` as one box of ``KH*KW`` rows of the
    chunk's channels).
R4  Then the chunk's per-channel parameter arrays - bias (if any), requant multiplier,
    requant shift; each the chunk's channels times its element size - are loaded into L1,
    one transfer per array, once per chunk.
R5  Tiles: output tile sizes ``t_h, t_w, t_c`` cut rows, columns and the chunk's channels
    from the start (the last tile along a dimension may be smaller). Loop order ``hwc``:
    rows outermost, channels innermost; ``chw``: channels outermost, then rows, columns.
R6  A tile's input box: along rows (columns alike) the outputs ``[o0, o1)`` read input
    positions ``o*s - pad_before + j*d`` for taps ``j < k``; the box is the hull from the
    first tap of output ``o0`` to the last tap of output ``o1 - 1``, clipped to the tensor
    (positions in between that no tap reads - stride larger than the kernel extent - are
    inside the box and move too). Channels: the input channels of the groups of the
    tile's output channels (all input channels for conv/fully-connected, the tile's own
    channels for depthwise (``o // depth_multiplier``), pooling, add and mul).
    Fully-connected: all leading dimensions are rows, one column; add/mul: a tensor is
    ``[prod(leading dims), dim[-2], dim[-1]]`` with no halo.
R7  The input box is (re)loaded on a chunk's first tile and whenever the input box's
    identity differs from the previous tile's: its row tile, column tile, or - only when
    the input channels depend on the output channels (grouped/channel-wise ops with more
    than one group in the chunk) - its channel tile. add/mul load both inputs (two
    transfers of the same box). Double buffering changes *where* a load goes, never
    whether it happens, so it does not enter the count.
R8  The weights of the tile's output channels (``t_c`` times the weight bytes of one
    output channel, one transfer) are (re)loaded on the chunk's first tile and whenever
    the channel tile differs from the previous tile's.
R9  Every tile stores its output box once (one transfer, L1 -> L2).
R10 Integer graphs' products with the requant fused in (fully-connected, matmul of two
    activations): R4's arrays are the requant's mul, add, div (int64) and the bias;
    matmul's "weights" are B (its tile's columns, ``K`` bytes per output column), its
    rows the output's second-to-last dim, and R5..R9 repeat once per batch (the product
    of the output's leading dims; the parameters load once).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from tinydeploy.check.dma import KEYS
from tinydeploy.ir.graph import Graph, Op


@dataclass(frozen=True)
class Axis:
    """One spatial axis of a layer: input ``size`` positions, ``out`` outputs, window of
    ``k`` taps ``d`` apart, moving ``s`` per output, starting ``pad`` before position 0."""

    size: int
    out: int
    k: int = 1
    s: int = 1
    d: int = 1
    pad: int = 0

    def window(self, o: int) -> tuple[int, int]:
        """First and last input position (unclipped) of output ``o``'s window."""
        first = o * self.s - self.pad
        return first, first + (self.k - 1) * self.d

    def span(self, o0: int, o1: int) -> int:
        """Input positions loaded for outputs ``[o0, o1)`` (R6: clipped hull)."""
        lo, hi = self.window(o0)[0], self.window(o1 - 1)[1] + 1
        return max(0, min(hi, self.size) - max(lo, 0))

    def touched(self) -> int:
        """Input positions that at least one window tap reads (lower bound of any tiling)."""
        taps = {o * self.s - self.pad + j * self.d for o in range(self.out)
                for j in range(self.k)}
        return sum(1 for p in taps if 0 <= p < self.size)


@dataclass(frozen=True)
class Layer:
    """A tiled op as the model sees it (from the IR, see :func:`layer_of`)."""

    name: str
    kind: str
    rows: Axis
    cols: Axis
    in_c: int
    out_c: int
    go: int                   # output channels per group (out_c: one group)
    gi: int                   # input channels per group
    n_inputs: int             # activation inputs loaded per input load (add, mul: 2)
    w_per_oc: int             # weight bytes of one output channel (0: no weights)
    bias_per_oc: int          # bias bytes of one output channel (0: no bias)
    param_per_oc: tuple[int, ...]   # per-channel arrays loaded into L1: bytes per channel
    batches: int = 1          # R10: the tile loop runs once per batch

    def in_channels(self, c0: int, c1: int) -> int:
        """Input channels read by output channels ``[c0, c1)`` (whole groups)."""
        if c1 <= c0:
            return 0
        return (-(-c1 // self.go) - c0 // self.go) * self.gi

    def in_channel_range(self, c0: int, c1: int) -> tuple[int, int]:
        return (c0 // self.go) * self.gi, -(-c1 // self.go) * self.gi


def _per_channel_arrays(op: Op, args, g: Graph, out_c: int) -> tuple[int, ...]:
    """Bytes per output channel of each array the runtime copies into L1 (R4)."""
    out = []
    if len(op.inputs) > 2 and op.inputs[2]:
        out.append(g.t(op.inputs[2]).nbytes // out_c)
    rq = getattr(args, "rq", None)                                  # R10
    for a in ([rq.mul, rq.add, rq.div] if rq is not None else
              [getattr(args, n, None) for n in ("out_mult", "out_shift")]):
        if isinstance(a, np.ndarray) and a.size == out_c:
            out.append(a.itemsize)
    return tuple(out)


def layer_of(g: Graph, op: Op, args) -> Layer:
    """The model's view of a tiled op, from its tensors and attributes (not LayerGeometry)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    bias = (len(op.inputs) > 2 and bool(op.inputs[2]))
    if op.kind in ("add", "mul"):
        shape = (1, 1) + tuple(y.shape)
        rows, cols, c = math.prod(shape[:-2]), shape[-2], shape[-1]
        return Layer(op.name, op.kind, Axis(rows, rows), Axis(cols, cols), c, c, 1, 1, 2, 0,
                     0, ())
    if op.kind == "matmul":                                        # R10
        m, n = y.shape[-2:]
        k = int(op.attrs["k"])
        return Layer(op.name, op.kind, Axis(m, m), Axis(1, 1), k, n, n, k, 1, k, 0,
                     _per_channel_arrays(op, args, g, n), math.prod(y.shape[:-2]))
    if op.kind == "fully_connected":
        w = g.t(op.inputs[1])
        out_c, in_c = w.shape
        rows = y.size // out_c
        return Layer(op.name, op.kind, Axis(rows, rows), Axis(1, 1), in_c, out_c, out_c, in_c,
                     1, w.nbytes // out_c, g.t(op.inputs[2]).nbytes // out_c if bias else 0,
                     _per_channel_arrays(op, args, g, out_c))
    n, ih, iw, in_c = x.shape
    _, oh, ow, out_c = y.shape
    assert n == 1, f"{op.name}: batch {n} is not tiled"
    top, left, _bottom, _right = op.attrs.get("pads", (0, 0, 0, 0))
    sh, sw = op.attrs.get("stride", (1, 1))
    dh, dw = op.attrs.get("dilation", (1, 1))
    if op.kind in ("avg_pool2d", "max_pool2d"):
        kh, kw = op.attrs["kernel"]
        return Layer(op.name, op.kind, Axis(ih, oh, kh, sh, 1, top), Axis(iw, ow, kw, sw, 1, left),
                     in_c, out_c, 1, 1, 1, 0, 0, ())
    w = g.t(op.inputs[1])
    if op.kind == "depthwise_conv2d":
        kh, kw, _ = w.shape                       # [KH, KW, C_out]
        go, gi = out_c // in_c, 1                 # output channel o reads o // multiplier
    else:
        _, kh, kw, cg = w.shape                   # [C_out, KH, KW, C_in / groups]
        groups = in_c // cg
        go, gi = out_c // groups, cg
    return Layer(op.name, op.kind, Axis(ih, oh, kh, sh, dh, top), Axis(iw, ow, kw, sw, dw, left),
                 in_c, out_c, go, gi, 1, w.nbytes // out_c,
                 g.t(op.inputs[2]).nbytes // out_c if bias else 0,
                 _per_channel_arrays(op, args, g, out_c))


@dataclass(frozen=True)
class ChunkChoice:
    """The planner's choices for one chunk: channels, tile sizes, loop order."""

    c0: int
    c1: int
    t_h: int
    t_w: int
    t_c: int
    order: str


def _cuts(start: int, stop: int, t: int) -> list[tuple[int, int]]:
    assert t >= 1, t
    return [(a, min(a + t, stop)) for a in range(start, stop, t)]


def chunk_dma(layer: Layer, ch: ChunkChoice, streamed: bool) -> dict[str, int]:
    """Bytes and transfers per direction of one chunk (rules R2..R9)."""
    d = dict.fromkeys(KEYS, 0)
    nch = ch.c1 - ch.c0
    if streamed:                                                   # R3
        for per_oc in (layer.bias_per_oc, layer.w_per_oc):
            if per_oc:
                d["l3_bytes"] += nch * per_oc
                d["l3_transfers"] += 1
    for per_oc in layer.param_per_oc:                              # R4
        d["in_bytes"] += nch * per_oc
        d["in_transfers"] += 1
    hs = _cuts(0, layer.rows.out, ch.t_h)                          # R5
    ws = _cuts(0, layer.cols.out, ch.t_w)
    cs = _cuts(ch.c0, ch.c1, ch.t_c)
    if ch.order == "hwc":
        steps = [(i, j, k) for i, j, k in itertools.product(range(len(hs)), range(len(ws)),
                                                            range(len(cs)))]
    elif ch.order == "chw":
        steps = [(i, j, k) for k, i, j in itertools.product(range(len(cs)), range(len(hs)),
                                                            range(len(ws)))]
    else:
        raise ValueError(ch.order)
    # R7: do the input channels follow the output channel tile?
    ranges = {layer.in_channel_range(*c) for c in cs}
    prev_in = prev_c = None
    for i, j, k in steps:
        (h0, h1), (w0, w1), (c0, c1) = hs[i], ws[j], cs[k]
        in_id = (i, j, layer.in_channel_range(c0, c1) if len(ranges) > 1 else None)
        if in_id != prev_in:                                       # R6, R7
            box = layer.rows.span(h0, h1) * layer.cols.span(w0, w1) * layer.in_channels(c0, c1)
            d["in_bytes"] += layer.n_inputs * box
            d["in_transfers"] += layer.n_inputs
        if k != prev_c and layer.w_per_oc:                         # R8
            d["in_bytes"] += (c1 - c0) * layer.w_per_oc
            d["in_transfers"] += 1
        prev_in, prev_c = in_id, k
        d["out_bytes"] += (h1 - h0) * (w1 - w0) * (c1 - c0)        # R9
        d["out_transfers"] += 1
    for key in ("in_bytes", "in_transfers"):                       # R10: params once
        params = (nch * sum(layer.param_per_oc) if key == "in_bytes"
                  else len(layer.param_per_oc))
        d[key] = params + layer.batches * (d[key] - params)
    for key in ("out_bytes", "out_transfers"):
        d[key] *= layer.batches
    return d


def chunk_choices(tiled_layer) -> list[ChunkChoice]:
    """The planner's choices for a ``TiledLayer`` (channels, tile sizes, order) - only
    these, not its tile tables or counts."""
    out = []
    for c in tiled_layer.chunks:
        t = c.solution.tiling
        out.append(ChunkChoice(c.c0, c.c1, t.h, t.w, t.c, t.order))
    return out


def layer_dma(layer: Layer, choices: list[ChunkChoice], streamed: bool) -> dict[str, int]:
    total = dict.fromkeys(KEYS, 0)
    assert choices[0].c0 == 0 and choices[-1].c1 == layer.out_c, "chunks must cover out_c"
    assert all(a.c1 == b.c0 for a, b in zip(choices, choices[1:])), "chunks must be adjacent"
    for ch in choices:
        for k, v in chunk_dma(layer, ch, streamed).items():
            total[k] += v
    return total


def lower_bound(layer: Layer) -> int:
    """L2 <-> L1 bytes no tiling can go below: every input position some window tap reads,
    every weight and parameter byte and every output byte, once."""
    touched = layer.n_inputs * layer.rows.touched() * layer.cols.touched() * layer.in_c
    out = layer.rows.out * layer.cols.out * layer.out_c
    return (layer.batches * (touched + layer.out_c * layer.w_per_oc + out)
            + layer.out_c * sum(layer.param_per_oc))


def model_plan(g: Graph, args: dict, plan) -> dict[int, dict[str, int]]:
    """Per op index of ``g``: the modeled counters of one inference (0 for untiled ops)."""
    out = {}
    for idx, op in enumerate(g.ops):
        tl = plan.layers.get(op.name)
        if tl is None:
            out[idx] = dict.fromkeys(KEYS, 0)
            continue
        streamed = any(c.l3_bytes for c in tl.chunks)     # the planner's choice
        out[idx] = layer_dma(layer_of(g, op, args.get(op.name)), chunk_choices(tl), streamed)
    return out


def mismatches(g: Graph, model: dict[int, dict[str, int]],
               measured: dict[int, dict[str, int]]) -> list[str]:
    """One line per op whose measured counters differ from the model's."""
    msgs = []
    for idx, want in model.items():
        got = measured.get(idx)
        if got != want:
            diff = ", ".join(f"{k} measured {got.get(k) if got else None} model {want[k]}"
                             for k in KEYS if not got or got[k] != want[k])
            msgs.append(f"layer #{idx} '{g.ops[idx].name}' ({g.ops[idx].kind}): {diff}")
    return msgs


def touches_all_input(layer: Layer) -> bool:
    """True if the windows read every input position (no stride skips one)."""
    return (layer.rows.touched() == layer.rows.size
            and layer.cols.touched() == layer.cols.size)


def bound_violations(g: Graph, args: dict, plan, measured: dict[int, dict[str, int]]
                     ) -> list[str]:
    """Tiled layers that moved (L2 <-> L1, both directions) less than they must.

    Every layer kind must move at least :func:`lower_bound`. The plan's
    ``dma_lower_bound`` counts *every* input byte once, which is a lower bound only where
    the windows read every input position: where they skip some - a 1x1 conv of stride 2
    reads only even rows and columns (ic_resnet8's 6_CONV_2D and 10_CONV_2D), a pool whose
    stride exceeds its kernel, a stride that leaves the last rows unread - a tiling
    legitimately moves less than it. (That is why the old check was switched off for
    conv, depthwise and pool layers; here it holds for every kind where it is a bound.)"""
    msgs = []
    for idx, op in enumerate(g.ops):
        tl = plan.layers.get(op.name)
        if tl is None:
            continue
        layer = layer_of(g, op, args.get(op.name))
        moved = measured[idx]["in_bytes"] + measured[idx]["out_bytes"]
        if moved < lower_bound(layer):
            msgs.append(f"{op.name}: moved {moved} < lower bound {lower_bound(layer)}")
        if touches_all_input(layer) and moved < tl.dma_lower_bound:
            msgs.append(f"{op.name}: moved {moved} < plan's bound {tl.dma_lower_bound}")
    return msgs
