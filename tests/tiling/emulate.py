"""Run a TileSolution tile by tile in numpy, the way the generated code will.

DMA = copying into one L1 byte array laid out as ``sol.buffers`` (each operand toggles
between its slots on every new load, as the schedule contract says); kernel = the numpy
golden on views of L1. This checks the contract independently of the tiler's own
counting: results must equal the untiled golden bit for bit, every copy must fit its
slot, a single-slot buffer must never be loaded twice, and the bytes counted here must
equal :func:`count_dma`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import golden
from tinydeploy.tiling import TileSolution
from tinydeploy.tiling.schedule import Tile


@dataclass
class Counters:
    input_bytes: int = 0
    weight_bytes: int = 0
    param_bytes: int = 0
    output_bytes: int = 0
    transfers: int = 0
    max_bytes: dict | None = None     # buffer name -> largest copy into one slot


class L1:
    def __init__(self, sol: TileSolution):
        self.mem = np.zeros(max(sol.l1_bytes, 1), np.uint8)
        self.size = sol.l1_size
        self.bufs = {b.name: b for b in sol.buffers}
        self.cur: dict[str, int] = {}
        self.max_bytes: dict[str, int] = {}

    def next_slot(self, name: str) -> int:
        b, cur = self.bufs[name], self.cur.get(name)
        assert not (b.slots == 1 and cur is not None), f"{name}: reloaded a single slot"
        self.cur[name] = 0 if cur is None else (1 - cur if b.slots == 2 else 0)
        return self.cur[name]

    def _span(self, name: str, slot: int, nbytes: int) -> slice:
        b = self.bufs[name]
        assert nbytes <= b.bytes, f"{name}: {nbytes} bytes overflow a {b.bytes}-byte slot"
        off = b.offset + slot * b.bytes
        assert off + nbytes <= self.mem.size <= self.size
        return slice(off, off + nbytes)

    def write(self, name: str, slot: int, arr: np.ndarray) -> int:
        raw = np.ascontiguousarray(arr).view(np.uint8).ravel()
        self.mem[self._span(name, slot, raw.size)] = raw
        self.max_bytes[name] = max(self.max_bytes.get(name, 0), raw.size)
        return raw.size

    def read(self, name: str, shape, dtype=np.int8) -> np.ndarray:
        n = math.prod(shape) * np.dtype(dtype).itemsize
        return self.mem[self._span(name, self.cur[name], n)].view(dtype).reshape(shape)


def _weight_tile(kind: str, w: np.ndarray, c0: int, c1: int) -> np.ndarray:
    return w[:, :, c0:c1] if kind == "depthwise_conv2d" else w[c0:c1]


def _tile_args(args, op: Op, geom, tile: Tile, mult, shift):
    (h0, h1), (w0, w1), (c0, c1) = tile.out
    (i0, i1), (j0, j1), (k0, k1) = tile.inp
    sp = dict(in_h=i1 - i0, in_w=j1 - j0, out_h=h1 - h0, out_w=w1 - w0,
              pad_top=tile.pad[0], pad_left=tile.pad[1])
    if op.kind == "conv2d":
        groups = (c1 - c0) // geom.c_step if geom.groups > 1 else 1
        return replace(args, in_c=k1 - k0, out_c=c1 - c0, groups=groups, out_mult=mult,
                       out_shift=shift, **sp)
    if op.kind == "depthwise_conv2d":
        return replace(args, in_c=k1 - k0, out_c=c1 - c0, out_mult=mult, out_shift=shift,
                       **sp)
    if op.kind in ("avg_pool2d", "max_pool2d"):
        return replace(args, channels=c1 - c0, **sp)
    if op.kind == "fully_connected":
        return replace(args, batches=h1 - h0, out_features=c1 - c0, out_mult=mult,
                       out_shift=shift)
    one = np.array([1], np.int32)
    return replace(args, ndim=1, shape=np.array([tile.out_elems], np.int32), a_strides=one,
                   b_strides=one)


def _load_params(l1: L1, args, op: Op, g: Graph, cnt: Counters):
    """Bias (if any), multipliers and shifts of all channels, into the params buffer."""
    arrays = []
    if len(op.inputs) > 2 and op.inputs[2]:
        arrays.append(g.t(op.inputs[2]).data.astype(np.int32).ravel())
    arrays += [np.asarray(args.out_mult, np.int32), np.asarray(args.out_shift, np.int32)]
    l1.next_slot("params")
    flat = np.concatenate(arrays)
    cnt.param_bytes += l1.write("params", 0, flat)
    cnt.transfers += len(arrays)
    n = arrays[-1].size
    views = l1.read("params", (len(arrays), n), np.int32)
    return (views[0] if len(arrays) == 3 else None), views[-2], views[-1]


def emulate(g: Graph, op: Op, sol: TileSolution, inputs: list[np.ndarray]
            ) -> tuple[np.ndarray, Counters]:
    """The layer's output computed tile by tile through L1, and the DMA counters."""
    geom, gold, cnt = sol.geometry, golden(op.kind), Counters()
    args = gold.prepare(g, op)
    l1 = L1(sol)
    xs = [x.reshape(geom.in_h, geom.in_w, geom.in_c) for x in inputs]
    y = np.zeros((geom.out_h, geom.out_w, geom.out_c), np.int8)
    wdata = g.t(op.inputs[1]).data if geom.weight_bytes_per_oc else None
    bias = mult = shift = None
    if geom.param_bytes:
        bias, mult, shift = _load_params(l1, args, op, g, cnt)
    for tile in sol.tiles():
        (h0, h1), (w0, w1), (c0, c1) = tile.out
        (i0, i1), (j0, j1), (k0, k1) = tile.inp
        names = ["input", "input_b"][:len(xs)]
        if tile.load_input:
            for name, x in zip(names, xs):
                cnt.input_bytes += l1.write(name, l1.next_slot(name), x[i0:i1, j0:j1, k0:k1])
                cnt.transfers += 1
        if wdata is not None and tile.load_weight:
            wt = _weight_tile(op.kind, wdata, c0, c1)
            cnt.weight_bytes += l1.write("weight", l1.next_slot("weight"), wt)
            cnt.transfers += 1
        box = (i1 - i0, j1 - j0, k1 - k0)
        ins = [l1.read(n, box) for n in names]
        if op.kind == "fully_connected":
            ins = [ins[0].reshape(i1 - i0, k1 - k0)]
        else:
            ins = [a[None] for a in ins]
        if wdata is not None:
            wshape = _weight_tile(op.kind, wdata, c0, c1).shape
            ins += [l1.read("weight", wshape), None if bias is None else bias[c0:c1]]
        targs = _tile_args(args, op, geom, tile, None if mult is None else mult[c0:c1],
                           None if shift is None else shift[c0:c1])
        out = gold.run(targs, *ins).reshape(h1 - h0, w1 - w0, c1 - c0)
        l1.write("output", l1.next_slot("output"), out)
        y[h0:h1, w0:w1, c0:c1] = l1.read("output", out.shape)
        cnt.output_bytes += out.size
        cnt.transfers += 1
    cnt.max_bytes = l1.max_bytes
    return y, cnt
