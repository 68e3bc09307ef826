"""Float graph -> the deployable float graph: BatchNorm folded, activations fused.

These rewrites are exact in real arithmetic (only float rounding changes), so they need no
data; they decide which tensors a deployed network stores, i.e. where quantization
happens:

1. a ``batch_norm`` right after a conv / depthwise conv / fully connected layer (its only
   consumer) is folded into that layer's weights and bias: ``w' = w * k``, ``b' = b * k + c``
   per output channel;
2. any other ``batch_norm`` on a 4-D tensor becomes a 1x1 depthwise convolution with
   weights ``k`` and bias ``c`` (a 2-D one is not supported);
3. a standalone activation right after a layer that can fuse it (conv, depthwise, fully
   connected, add, mul, pools) becomes that layer's ``act``;
4. a linear layer without bias gets a zero bias (bias correction may make it nonzero).

A fused group keeps the name of its first op and outputs the tensor of its last one, so
every tensor of the result also exists in the float graph it came from.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor

LINEAR = ("conv2d", "depthwise_conv2d", "fully_connected")
FUSES_ACT = (*LINEAR, "add", "mul", "avg_pool2d", "max_pool2d")


def canonicalize(g: Graph) -> Graph:
    """A new float graph with BatchNorm folded and activations fused (``g`` untouched)."""
    g = Graph(g.name, dict(g.tensors), list(g.ops), list(g.inputs), list(g.outputs),
              g.source, dict(g.meta))
    _fold_batch_norms(g)
    _fuse_activations(g)
    _ensure_biases(g)
    g.validate()
    return g


def _single_producer(g: Graph, op: Op, kinds) -> Op | None:
    """The producer of ``op``'s input when it is of ``kinds``, has no activation yet and
    ``op`` is its output's only use."""
    x = op.inputs[0]
    p = g.producer(x)
    if p is None or p.kind not in kinds or p.attrs.get("act", "none") != "none":
        return None
    if len(g.consumers(x)) != 1 or x in g.outputs:
        return None
    return p


def _fold_batch_norms(g: Graph) -> None:
    for bn in [op for op in g.ops if op.kind == "batch_norm"]:
        k = g.t(bn.inputs[1]).data.astype(np.float64)
        c = g.t(bn.inputs[2]).data.astype(np.float64)
        p = _single_producer(g, bn, LINEAR)
        if p is not None:
            new = _folded(g, p, k, c).with_(outputs=bn.outputs)
        elif len(g.t(bn.inputs[0]).shape) == 4:
            new = _as_depthwise(g, bn, k, c)
        else:
            raise UnsupportedError("BatchNorm that does not follow a convolution or fully "
                                   "connected layer is supported on 4-D tensors only",
                                   node=bn.name)
        g.ops = [new if o is p else o for o in g.ops if o is not bn] if p is not None else \
            [new if o is bn else o for o in g.ops]
        if p is not None:
            del g.tensors[p.outputs[0]]


def _const(g: Graph, base: str, data: np.ndarray) -> str:
    name = base
    while name in g.tensors:
        name += "_"
    g.tensors[name] = Tensor(name, data.shape, "float32", None, data.astype(np.float32))
    return name


def _folded(g: Graph, p: Op, k: np.ndarray, c: np.ndarray) -> Op:
    w = g.t(p.inputs[1]).data.astype(np.float64)
    if p.kind == "depthwise_conv2d":
        w = w * k                                   # [KH, KW, C_out]
    else:
        w = w * k.reshape(-1, *([1] * (w.ndim - 1)))    # output channels first
    b = g.t(p.inputs[2]).data.astype(np.float64) if p.inputs[2] else 0.0
    wn = _const(g, f"{p.name}_weight_folded", w)
    bn = _const(g, f"{p.name}_bias_folded", np.broadcast_to(b * k + c, k.shape).copy())
    return p.with_(inputs=(p.inputs[0], wn, bn))


def _as_depthwise(g: Graph, bn: Op, k: np.ndarray, c: np.ndarray) -> Op:
    wn = _const(g, f"{bn.name}_weight", k.reshape(1, 1, -1))
    bn_ = _const(g, f"{bn.name}_bias", c)
    return Op("depthwise_conv2d", bn.name, (bn.inputs[0], wn, bn_), bn.outputs,
              dict(stride=(1, 1), dilation=(1, 1), pads=(0, 0, 0, 0), act="none",
                   depth_multiplier=1))


def _fuse_activations(g: Graph) -> None:
    for a in [op for op in g.ops if op.kind == "act"]:
        p = _single_producer(g, a, FUSES_ACT)
        if p is None:
            continue
        fused = p.with_(outputs=a.outputs, attrs={**p.attrs, "act": a.attrs["act"]})
        g.ops = [fused if o is p else o for o in g.ops if o is not a]
        del g.tensors[p.outputs[0]]


def _ensure_biases(g: Graph) -> None:
    for i, op in enumerate(g.ops):
        if op.kind in LINEAR and not op.inputs[2]:
            c_out = g.t(op.inputs[1]).shape[2 if op.kind == "depthwise_conv2d" else 0]
            b = _const(g, f"{op.name}_bias", np.zeros(c_out))
            g.ops[i] = op.with_(inputs=(op.inputs[0], op.inputs[1], b))
