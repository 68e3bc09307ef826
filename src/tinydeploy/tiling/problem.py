"""A layer's tiling problem: geometry from an IR op, tiles, halos, L1 buffers.

Tile variables are the *output* tile sizes along rows (``h``), columns (``w``) and
channels (``c``), plus the loop order. Everything the input needs follows exactly from
them (halo math in :func:`input_span`):

- output rows ``[o0, o1)`` read input rows ``o0*s - pad_top ... (o1-1)*s - pad_top +
  (k-1)*d``, i.e. ``(t-1)*s + (k-1)*d + 1`` rows for a tile of ``t`` rows, clipped to the
  input at the borders (the clipped part is padding the kernel skips). A stride larger
  than the kernel extent still loads the whole span (one 3-D DMA, rows in between
  included): that is what a tiled execution moves.
- input channels: conv and fully-connected need *all* input channels for every output
  channel (``groups == 1``); channel-wise ops (depthwise, pooling, elementwise) and
  grouped convs need only the channels of their groups.

Input channels are never tiled: splitting the accumulation of a conv would need an int32
partial-sum buffer in L1 and a separate requantization pass, because the int8 output
only exists after the full sum. So reductions stay whole within a tile.

Batch > 1 is not tiled for spatial ops (:func:`tileable` says False); fully-connected and
elementwise ops fold leading dimensions into rows (no halo, so that is exact).

Integer-graph products with the requantization fused in (``attrs["requant"]``,
td_fully_connected_s8_rq / td_matmul_s8_rq) tile like fully-connected: rows of the output
by output channels, the whole reduction in every tile. Their per-channel arrays are the
requant's ``mul``, ``add``, ``div`` (int64) and the bias (int32). A matmul of two
activations (attention's Q.K^T and P.V) takes B as its "weights": the tile's columns of
B, ``[t_c, K]`` when B is read transposed (rows of B^T contiguous), else ``[K, t_c]`` (a
strided box, as depthwise weights); every batch (``batches``: the product of the output's
leading dims) runs the layer's tiles once with its own A, B and output.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from tinydeploy.ir.graph import Graph, Op

ORDERS = ("hwc", "chw")   # loop nests, outermost first: c innermost, or c outermost
DIMS = ("h", "w", "c")
TILED_KINDS = ("conv2d", "depthwise_conv2d", "fully_connected", "avg_pool2d", "max_pool2d",
               "add", "mul")
ALIGN = 4                 # every L1 buffer slot starts at a multiple of this


def align_up(n: int, a: int = ALIGN) -> int:
    return -(-n // a) * a


@dataclass(frozen=True)
class LayerGeometry:
    """Everything about a layer that the tiler needs, in elements of int8 (1 byte).

    ``groups``: output channel ``o`` reads input channels of group ``o // (out_c/groups)``;
    conv/fc have 1, depthwise ``in_c``, pooling and elementwise ops ``in_c`` (= out_c).
    ``param_bytes`` lists, per per-channel parameter array loaded into L1 once per layer
    (int32 bias if present, Q31 multiplier, shift), its bytes per output channel.
    """

    name: str
    kind: str
    kernel_class: str          # a key of targets.KERNEL_CLASSES
    in_h: int
    in_w: int
    in_c: int
    out_h: int
    out_w: int
    out_c: int
    k_h: int = 1
    k_w: int = 1
    stride_h: int = 1
    stride_w: int = 1
    dil_h: int = 1
    dil_w: int = 1
    pad_top: int = 0
    pad_left: int = 0
    pad_bottom: int = 0
    pad_right: int = 0
    groups: int = 1
    n_inputs: int = 1                  # activation inputs with the output's tile (add: 2)
    weight_bytes_per_oc: int = 0       # weight bytes for one output channel
    param_bytes: tuple[int, ...] = ()  # per-channel arrays: bytes per output channel
    macs_per_output: int = 1
    requant: bool = False              # outputs pay requant_cycles
    group_channels: int = 1            # a chunk of ONE group of a grouped conv: its size
    batches: int = 1                   # matmul: the tiles run once per batch

    @property
    def macs(self) -> int:
        return self.batches * self.out_h * self.out_w * self.out_c * self.macs_per_output

    @property
    def input_depends_on_c(self) -> bool:
        return self.groups > 1

    @property
    def c_step(self) -> int:
        """Channel tiles are multiples of this (whole groups), for grouped/channel-wise ops.
        A one-group chunk of a grouped conv computes like a dense conv but its tiles still
        hold whole groups: the runtime counts a tile's groups with the layer's step."""
        return self.out_c // self.groups if self.groups > 1 else self.group_channels

    def extent(self, dim: str) -> int:
        return {"h": self.out_h, "w": self.out_w, "c": self.out_c}[dim]

    def input_span(self, dim: str, o0: int, o1: int) -> tuple[int, int, int, int]:
        """Clipped input range ``[lo, hi)`` read by outputs ``[o0, o1)`` along ``h``/``w``,
        and the padding before and after it (window positions outside the input)."""
        if dim == "h":
            size, k, s, d, p = self.in_h, self.k_h, self.stride_h, self.dil_h, self.pad_top
        else:
            size, k, s, d, p = self.in_w, self.k_w, self.stride_w, self.dil_w, self.pad_left
        lo = o0 * s - p
        hi = (o1 - 1) * s - p + (k - 1) * d + 1
        clo, chi = max(lo, 0), min(hi, size)
        chi = max(chi, clo)
        return clo, chi, clo - lo, max(hi - chi, 0)

    def input_channels(self, c0: int, c1: int) -> tuple[int, int]:
        """Input channels ``[lo, hi)`` needed by output channels ``[c0, c1)``."""
        if self.groups == 1:
            return 0, self.in_c
        cog, cig = self.out_c // self.groups, self.in_c // self.groups
        return (c0 // cog) * cig, -(-c1 // cog) * cig


@dataclass(frozen=True)
class Tiling:
    """Output tile sizes (the last tile along a dim may be smaller) and the loop order."""

    h: int
    w: int
    c: int
    order: str = "hwc"

    def size(self, dim: str) -> int:
        return getattr(self, dim)


def tile_ranges(extent: int, t: int) -> list[tuple[int, int]]:
    """``[start, stop)`` of each tile of size ``t`` over ``extent`` (last one may be short)."""
    return [(a, min(a + t, extent)) for a in range(0, extent, t)]


def n_tiles(extent: int, t: int) -> int:
    return -(-extent // t)


def full_tiling(geom: LayerGeometry) -> Tiling:
    return Tiling(geom.out_h, geom.out_w, geom.out_c, "hwc")


def scratch_bytes(geom: LayerGeometry, in_rows_max: int, cores: int, im2col: bool) -> int:
    """Kernel scratch in L1, after DORY's tiler (pulp-platform/dory, tiler_conv2d.py):
    conv: 2 im2col columns per core; depthwise: one padded column strip per core."""
    if not im2col:
        return 0
    if geom.kernel_class in ("conv", "pointwise"):
        return cores * 2 * geom.k_h * geom.k_w * (geom.in_c // geom.groups)
    if geom.kernel_class == "depthwise":
        return cores * (geom.k_w * (in_rows_max + geom.pad_top + geom.pad_bottom) + geom.k_w)
    return 0


# ------------------------------------------------------------------ geometry from IR

def _int8(g: Graph, *names: str) -> bool:
    return all(g.t(n).dtype == "int8" for n in names)


def _rq_product(g: Graph, op: Op) -> bool:
    """A fused (accumulator + requant) fully-connected or matmul the tiled runtime runs:
    int8 operands and output, int8 weights / int32 bias if constant; a matmul of two
    activations without bias, A not transposed and whole (no KV-cache row count)."""
    if op.kind not in ("fully_connected", "matmul") or len(op.outputs) != 1:
        return False
    if not _int8(g, op.inputs[0], op.inputs[1], op.outputs[0]):
        return False
    bias = op.inputs[2] if len(op.inputs) > 2 else ""
    if op.kind == "fully_connected":
        w = g.t(op.inputs[1])
        return (w.is_const and len(w.shape) == 2 and not g.t(op.inputs[0]).is_const
                and (not bias or g.t(bias).dtype == "int32"))
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    return (not bias and not a.is_const and not b.is_const and not op.attrs.get("trans_a")
            and "a_rows" not in op.attrs and "b_rows" not in op.attrs
            and len(y.shape) >= 2 and tuple(a.shape[:-2]) == tuple(y.shape[:-2])
            and tuple(a.shape[-2:]) == (y.shape[-2], int(op.attrs["k"])))


def tileable(g: Graph, op: Op) -> bool:
    """True if :func:`geometry` supports the op; other ops run untiled from L2."""
    if "requant" in op.attrs:   # accumulator + requant (passes/fuse_requant.py)
        return _rq_product(g, op)
    if op.kind not in TILED_KINDS or not _int8(g, op.inputs[0], op.outputs[0]):
        return False
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if op.kind in ("add", "mul"):
        b = g.t(op.inputs[1])
        return (not b.is_const and b.dtype == "int8" and x.shape == y.shape == b.shape
                and not x.is_const)
    if op.kind == "fully_connected":
        return g.t(op.inputs[1]).is_const and len(g.t(op.inputs[1]).shape) == 2
    if len(x.shape) != 4 or x.shape[0] != 1:
        return False
    return op.kind in ("avg_pool2d", "max_pool2d") or g.t(op.inputs[1]).is_const


def _params(op: Op) -> tuple[int, ...]:
    has_bias = len(op.inputs) > 2 and bool(op.inputs[2])
    if "requant" in op.attrs:                  # requant mul, add, div (int64), bias
        return (8, 8, 8, 4) if has_bias else (8, 8, 8)
    return (4, 4, 4) if has_bias else (4, 4)   # bias, multiplier, shift (int32 each)


def _matmul(g: Graph, op: Op) -> LayerGeometry:
    y = g.t(op.outputs[0])
    m, n, k = y.shape[-2], y.shape[-1], int(op.attrs["k"])
    return LayerGeometry(op.name, op.kind, "fully_connected", m, 1, k, m, 1, n,
                         weight_bytes_per_oc=k, param_bytes=_params(op), macs_per_output=k,
                         requant=True, batches=math.prod(y.shape[:-2]))


def _spatial(op: Op) -> dict:
    top, left, bottom, right = op.attrs.get("pads", (0, 0, 0, 0))
    sh, sw = op.attrs.get("stride", (1, 1))
    dh, dw = op.attrs.get("dilation", (1, 1))
    return dict(stride_h=sh, stride_w=sw, dil_h=dh, dil_w=dw, pad_top=top, pad_left=left,
                pad_bottom=bottom, pad_right=right)


def geometry(g: Graph, op: Op) -> LayerGeometry:
    """The tiling geometry of a :func:`tileable` op."""
    assert tileable(g, op), f"{op.name}: {op.kind} is not tileable"
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if op.kind == "matmul":
        return _matmul(g, op)
    if op.kind in ("add", "mul"):
        s = (1, 1, 1) + tuple(y.shape)
        h, w, c = math.prod(s[:-2]), s[-2], s[-1]
        return LayerGeometry(op.name, op.kind, "elementwise", h, w, c, h, w, c, groups=c,
                             n_inputs=2)
    if op.kind == "fully_connected":
        wt = g.t(op.inputs[1])
        c_out, c_in = wt.shape
        m = y.size // c_out
        return LayerGeometry(op.name, op.kind, "fully_connected", m, 1, c_in, m, 1, c_out,
                             weight_bytes_per_oc=c_in, param_bytes=_params(op),
                             macs_per_output=c_in, requant=True)
    _, ih, iw, ic = x.shape
    _, oh, ow, oc = y.shape
    base = dict(name=op.name, kind=op.kind, in_h=ih, in_w=iw, in_c=ic, out_h=oh, out_w=ow,
                out_c=oc, **_spatial(op))
    if op.kind in ("avg_pool2d", "max_pool2d"):
        kh, kw = op.attrs["kernel"]
        return LayerGeometry(kernel_class="pool", k_h=kh, k_w=kw, groups=ic,
                             macs_per_output=kh * kw, requant=op.kind == "avg_pool2d", **base)
    wt = g.t(op.inputs[1])
    if op.kind == "depthwise_conv2d":
        kh, kw, _ = wt.shape
        return LayerGeometry(kernel_class="depthwise", k_h=kh, k_w=kw, groups=ic,
                             weight_bytes_per_oc=kh * kw, param_bytes=_params(op),
                             macs_per_output=kh * kw, requant=True, **base)
    _, kh, kw, wc = wt.shape
    groups = ic // wc
    cls = "pointwise" if (kh, kw) == (1, 1) and groups == 1 else "conv"
    return LayerGeometry(kernel_class=cls, k_h=kh, k_w=kw, groups=groups,
                         weight_bytes_per_oc=kh * kw * wc, param_bytes=_params(op),
                         macs_per_output=kh * kw * wc, requant=True, **base)
