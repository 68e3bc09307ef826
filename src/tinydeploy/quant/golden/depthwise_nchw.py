"""depthwise_conv2d on NCHW tensors (``attrs["nchw"]``, passes/nchw_edges.py): the
op's NHWC golden between the two transposes it replaced; a uint8 input is first moved to
int8 by the zero-point flip it absorbed (x - 128, the same scale).

Only the optimized kernel computes it (quant/opt/depthwise_conv2d.py, ``planar``): the
args carry the NHWC op's args (``inner``, a plain or fused depthwise) and no reference C
kernel exists (empty C_FUNC; compiler.lower refuses a layer left without its optimized
kernel).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, QuantParams
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import fused_requant, golden, register_variant

TO_NHWC, TO_NCHW = (0, 2, 3, 1), (0, 3, 1, 2)


@dataclass(frozen=True, eq=False)
class DepthwiseNchwArgs(KernelArgs):
    C_FUNC: ClassVar[str] = ""
    inner: KernelArgs = field(default=None)    # the NHWC op's args
    flip: int = 0                              # uint8 input: x - 128 first


def nhwc_view(t, flip: bool = False):
    q = t.quant
    if flip:
        q = QuantParams.make(q.scale, q.zero_point - 128, q.axis)
    return dataclasses.replace(t, shape=tuple(t.shape[i] for i in TO_NHWC),
                               dtype="int8" if flip else t.dtype, quant=q)


def prepare(g: Graph, op: Op) -> DepthwiseNchwArgs:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if len(x.shape) != 4 or len(y.shape) != 4 or x.dtype not in ("int8", "uint8") or \
            (x.dtype == "uint8" and (x.quant is None or x.quant.per_channel)):
        raise UnsupportedError(f"NCHW depthwise_conv2d: input {x.dtype}{list(x.shape)}, "
                               f"output {list(y.shape)}", node=op.name)
    flip = x.dtype == "uint8"
    attrs = {k: v for k, v in op.attrs.items() if k != "nchw"}
    if "requant" in attrs:
        attrs["requant"] = dataclasses.replace(attrs["requant"],
                                               acc=nhwc_view(attrs["requant"].acc))
    view = Graph(g.name, {**g.tensors, x.name: nhwc_view(x, flip), y.name: nhwc_view(y)},
                 list(g.ops), list(g.inputs), list(g.outputs), g.source, g.meta)
    inner = golden(op.kind, op.name).prepare(view, op.with_(attrs=attrs))
    return DepthwiseNchwArgs(inner, int(flip))


def nhwc_input(a: DepthwiseNchwArgs, x: np.ndarray) -> np.ndarray:
    x = np.asarray(x)
    if a.flip:
        x = (x.astype(np.int16) - 128).astype(np.int8)
    return np.ascontiguousarray(x.transpose(TO_NHWC))


def run(a: DepthwiseNchwArgs, x: np.ndarray, *rest) -> np.ndarray:
    y = golden("depthwise_conv2d").run(a.inner, nhwc_input(a, x), *rest)
    return np.ascontiguousarray(y.transpose(TO_NCHW))


def accumulate(a: DepthwiseNchwArgs, x: np.ndarray, *rest) -> np.ndarray:
    """The int32 sums inside a fused NCHW layer (NCHW, like its output; the fused
    requant's :func:`~tinydeploy.quant.golden.fused_requant.accumulate`)."""
    y = fused_requant.accumulate("depthwise_conv2d", a.inner, nhwc_input(a, x), *rest)
    return np.ascontiguousarray(y.transpose(TO_NCHW))


def _is_nchw(g: Graph, op: Op) -> bool:
    return bool(op.attrs.get("nchw"))


# (first: before the fused-requant variant, which then serves the inner op)
register_variant("depthwise_conv2d", _is_nchw, prepare, run, DepthwiseNchwArgs, first=True)
