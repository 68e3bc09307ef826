"""Layers at a graph's NCHW edges read (and write) NCHW themselves: no transposes.

The ONNX frontends keep the source layout at the graph edges and bridge to the NHWC body
with transposes (passes/io_layout.py). Two kinds of layer take the NCHW tensors directly,
with the optimized kernels:

- a depthwise convolution treats every channel on its own, so when its input comes
  through such a bridge and its output leaves through the opposite one, the kernel reads
  the NCHW planes and writes NCHW planes (quant/opt/depthwise_conv2d.py, ``planar``);
  the op gets ``attrs["nchw"] = True`` and NCHW tensors;
- a pointwise convolution (1x1, stride 1, no padding, one image, up to 32 output
  channels) whose input comes through a bridge reads the NCHW planes: output pixel p
  takes tap k at ``x[k * H * W + p]`` (quant/opt/conv2d_rq_direct.py, make_nchw); its
  output stays NHWC and the op gets ``attrs["nchw"] = "in"``.

Both transposes (or the input one) - permuting copies of the activations, and the arena
they need - disappear. A uint8 -> int8 ``quantize`` on the input side that only moves
the zero point by 128 (the same scale: the byte's top bit flips) goes with them: the
kernels flip the bit while they stage, or fold it into the sums' start values, so they
read the caller's uint8 input in place.

The goldens (quant/golden/depthwise_nchw.py, conv_nchw.py) are the NHWC goldens between
the transposes. Only the optimized kernels implement these layers: the pass runs for them
alone (compiler.lower), and only where the optimized kernel takes the layer (checked here
with its maker).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.golden import golden
from tinydeploy.quant.opt import MAKERS

TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


def _only_reader(g: Graph, name: str) -> Op | None:
    readers = g.consumers(name)
    return readers[0] if len(readers) == 1 and name not in g.outputs else None


def _bridge(op: Op | None, perm: tuple[int, ...]) -> bool:
    return op is not None and op.kind == "transpose" and tuple(op.attrs["perm"]) == perm


def _flip(g: Graph, op: Op | None) -> bool:
    """A quantize uint8 -> int8 of one scale whose zero point moves by 128: x ^ 0x80."""
    if op is None or op.kind != "quantize" or op.attrs.get("act"):
        return False
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != "uint8" or y.dtype != "int8" or x.quant is None or y.quant is None or \
            x.quant.per_channel or y.quant.per_channel:
        return False
    return x.quant.s == y.quant.s and x.quant.zp - 128 == y.quant.zp


def _input_side(g: Graph, op: Op) -> tuple[str, list[Op]] | None:
    """(the NCHW tensor the op can read, the ops that go) when its input is a transpose
    from NCHW, with at most one zero-point flip before or after it, each read only by the
    next."""
    x, gone, transposed, flipped = op.inputs[0], [], False, False
    reader = op
    while True:
        p = g.producer(x)
        if p is None or _only_reader(g, x) is not reader:
            break
        if not transposed and _bridge(p, TO_NHWC):
            transposed = True
        elif not flipped and _flip(g, p):
            flipped = True
        else:
            break
        gone.append(p)
        x, reader = p.inputs[0], p
    return (x, gone) if transposed else None


def _depthwise(g: Graph, op: Op) -> tuple[Op, list[Op]] | None:
    """A depthwise between both bridges rewritten to NCHW and the ops it replaces."""
    src = _input_side(g, op)
    out = _only_reader(g, op.outputs[0])
    if src is None or not _bridge(out, TO_NCHW):
        return None
    attrs = {**op.attrs, "nchw": True}
    if "requant" in attrs:                    # (the fused int32 sums: NCHW like the output)
        acc = attrs["requant"].acc
        attrs["requant"] = dataclasses.replace(
            attrs["requant"], acc=dataclasses.replace(
                acc, shape=tuple(acc.shape[i] for i in TO_NCHW)))
    new = op.with_(inputs=(src[0], *op.inputs[1:]), outputs=out.outputs, attrs=attrs)
    return new, src[1] + [out]


def _pointwise(g: Graph, op: Op) -> tuple[Op, list[Op]] | None:
    """A pointwise conv after an input bridge reading NCHW, and the ops it replaces."""
    a, x, w = op.attrs, g.t(op.inputs[0]), g.t(op.inputs[1])
    if w.shape != (w.shape[0], 1, 1, x.shape[3]) or x.shape[0] != 1 \
            or tuple(a.get("stride", (1, 1))) != (1, 1) or any(a.get("pads", (0,) * 4)):
        return None                           # (one group: w.shape[3] == in_c)
    src = _input_side(g, op)
    if src is None:
        return None
    return op.with_(inputs=(src[0], *op.inputs[1:]), attrs={**a, "nchw": "in"}), src[1]


def _candidate(g: Graph, op: Op) -> tuple[Op, list[Op]] | None:
    """The op rewritten to NCHW and the ops it replaces, or None."""
    if op.kind not in ("depthwise_conv2d", "conv2d") or "nchw" in op.attrs or \
            len(op.outputs) != 1:
        return None
    if g.t(op.inputs[0]).dtype != "int8" or len(g.t(op.inputs[0]).shape) != 4:
        return None
    if len(op.inputs) < 2 or any(n and not g.t(n).is_const for n in op.inputs[1:]):
        return None                           # (the kernels take constant weights, bias)
    return (_depthwise if op.kind == "depthwise_conv2d" else _pointwise)(g, op)


def _taken(g: Graph, op: Op) -> bool:
    """The optimized kernel takes the rewritten op (asked for its least-scratch variant:
    the maker refuses no other variant of a layer it takes so)."""
    try:
        a = golden(op.kind, op.name).prepare(g, op)
    except UnsupportedError:
        return False
    maker = MAKERS.get(type(a))
    consts = [None if not n or not g.t(n).is_const else np.asarray(g.t(n).data)
              for n in op.inputs]
    return maker is not None and maker(a, consts, 1, True) is not None


def nchw_edges(g: Graph) -> Graph:
    """``g`` with the depthwise and pointwise layers at its NCHW bridges reading (and
    writing) NCHW (module doc)."""
    for op in list(g.ops):
        found = _candidate(g, op)
        if found is None:
            continue
        new, gone = found
        names = {o.name for o in gone}
        ops = [new if o is op else o for o in g.ops if o.name not in names]
        dropped = {o.outputs[0] for o in gone if o.outputs[0] not in new.outputs}
        dropped |= {op.outputs[0]} - set(new.outputs)                     # (bridged over)
        tensors: dict[str, Tensor] = {n: t for n, t in g.tensors.items() if n not in dropped}
        trial = Graph(g.name, tensors, ops, list(g.inputs), list(g.outputs), g.source,
                      dict(g.meta))
        if _taken(trial, new):
            trial.validate()
            g = trial
    return g
