"""conv2d reading an NCHW input (``attrs["nchw"] == "in"``, passes/nchw_edges.py): the
op's NHWC golden after the transpose it replaced; a uint8 input is first moved to int8 by
the zero-point flip it absorbed (x - 128, the same scale). The output stays NHWC.

Only the optimized kernel computes it (quant/opt/conv2d_rq_direct.py, make_nchw: a
pointwise layer of up to 32 channels): the args carry the NHWC op's args (``inner``, a
fused conv + requant or a raw int32 conv) and no reference C kernel exists (empty C_FUNC;
compiler.lower refuses a layer left without its optimized kernel).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import fused_requant, golden, register_variant
from tinydeploy.quant.golden.depthwise_nchw import nhwc_view, nhwc_input


@dataclass(frozen=True, eq=False)
class ConvNchwArgs(KernelArgs):
    C_FUNC: ClassVar[str] = ""
    inner: KernelArgs = field(default=None)    # the NHWC op's args
    flip: int = 0                              # uint8 input: x - 128 first


def prepare(g: Graph, op: Op) -> ConvNchwArgs:
    x = g.t(op.inputs[0])
    if len(x.shape) != 4 or x.dtype not in ("int8", "uint8") or \
            (x.dtype == "uint8" and (x.quant is None or x.quant.per_channel)):
        raise UnsupportedError(f"conv2d reading NCHW: input {x.dtype}{list(x.shape)}",
                               node=op.name)
    flip = x.dtype == "uint8"
    attrs = {k: v for k, v in op.attrs.items() if k != "nchw"}
    view = Graph(g.name, {**g.tensors, x.name: nhwc_view(x, flip)}, list(g.ops),
                 list(g.inputs), list(g.outputs), g.source, g.meta)
    inner = golden(op.kind, op.name).prepare(view, op.with_(attrs=attrs))
    return ConvNchwArgs(inner, int(flip))


def run(a: ConvNchwArgs, x: np.ndarray, *rest) -> np.ndarray:
    return golden("conv2d").run(a.inner, nhwc_input(a, x), *rest)


def accumulate(a: ConvNchwArgs, x: np.ndarray, *rest) -> np.ndarray:
    """The int32 sums inside a fused layer (NHWC, like its output)."""
    return fused_requant.accumulate("conv2d", a.inner, nhwc_input(a, x), *rest)


def _reads_nchw(g: Graph, op: Op) -> bool:
    return op.attrs.get("nchw") == "in"


# (first: before the fused-requant variant, which then serves the inner op)
register_variant("conv2d", _reads_nchw, prepare, run, ConvNchwArgs, first=True)
