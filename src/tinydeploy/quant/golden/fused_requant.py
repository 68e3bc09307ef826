"""An accumulator op with its requant fused in: requant(accumulate(x)), one value at a time.

conv2d, depthwise_conv2d, fully_connected, add, sum_pool2d, matmul, igelu, ihardswish and
broadcasting add/mul ops with an int32 output produce the raw accumulator of an
integer-deployable graph (:mod:`._accumulate`, :mod:`.sum_pool2d`, :mod:`.matmul`,
:mod:`.igelu`, :mod:`.ihardswish`, :mod:`.elementwise_any`); a ``requant`` op
(:mod:`.requant`) turns it into int8/int16.
:mod:`tinydeploy.passes.fuse_requant` merges such a pair into one op of the accumulator's
kind whose output is the requant's, with ``attrs["requant"]`` = :class:`FusedRequant`
(what the pair looked like), so the int32 tensor - 4 bytes per element - never exists.

The arithmetic is not restated here: ``prepare`` splits the op back into the pair and
calls their own prepare; ``run`` is the requant golden applied to the accumulator golden's
result. The C kernels (``td_<op>_<in>[_<out>]_rq``) compute each accumulator and
requantize it at once with ``td_requant_value`` (``td_requant_common.h``, shared with
``td_requant_s32_*``), so their output equals the unfused pair's bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import golden, register_variant
from tinydeploy.quant.golden import _accumulate as _acc
from tinydeploy.quant.golden.elementwise_any import AddAnyS32Args, MulAnyS32Args
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden.igelu import IGeluS32Args
from tinydeploy.quant.golden.ihardswish import IHardswishS32Args
from tinydeploy.quant.golden.matmul import MatMulS32Args
from tinydeploy.quant.golden.sum_pool2d import SumPool2dArgs

KINDS = ("conv2d", "depthwise_conv2d", "fully_connected", "add", "sum_pool2d", "matmul",
         "igelu", "ihardswish", "mul")


@dataclass(frozen=True, eq=False)
class FusedRequant:
    """``op.attrs["requant"]`` of a fused op: the pair it replaces, to split it back."""

    acc_op: str               # name of the accumulator op
    acc: Tensor               # its int32 output, no longer a tensor of the graph
    rq_op: str                # name of the requant op
    attrs: dict[str, Any]     # the requant op's attributes


@dataclass(frozen=True, eq=False)
class FusedRequantArgs(KernelArgs):
    """The accumulator's and the requant's args, as one C struct.

    C members: the accumulator struct's members, then the requant struct's with the
    prefix ``rq_`` (``rq_mul``, ``rq_div``, ...; its ``size`` is left out: the geometry
    gives the count). A subclass per kernel (:data:`FUSED`) sets ``C_FUNC``.
    """

    acc: KernelArgs
    rq: _rq.RequantArgs

    def c_members(self) -> list[tuple[str, str, object]]:
        rq = [(f"rq_{n}", kind, v) for n, kind, v in self.rq.c_members() if n != "size"]
        return self.acc.c_members() + rq


_ACC_TYPES = (_acc.Conv2dS32Args, _acc.Conv2dS16S32Args, _acc.DepthwiseConv2dS32Args,
              _acc.FullyConnectedS32Args, _acc.FullyConnectedS16S32Args, _acc.AddS32Args,
              SumPool2dArgs, MatMulS32Args, IGeluS32Args, IHardswishS32Args)
_RQ_TYPES = (_rq.RequantArgs, _rq.RequantS16Args)     # int8 and int16 outputs


def _c_func(acc_type: type, rq_type: type) -> str:
    """td_conv2d_s8_s32 + td_requant_s32_s16 -> td_conv2d_s8_s16_rq (s8 -> s8: _s8_rq)."""
    base = acc_type.C_FUNC.removesuffix("_s32")
    src, out = base.rsplit("_", 1)[1], rq_type.C_FUNC.rsplit("_", 1)[1]
    return f"{base}_rq" if src == out else f"{base}_{out}_rq"


# (accumulator args type, requant args type) -> the fused kernel's args type.
FUSED: dict[tuple[type, type], type] = {
    (a, r): type(_c_func(a, r), (FusedRequantArgs,), {"C_FUNC": _c_func(a, r)})
    for a in _ACC_TYPES for r in _RQ_TYPES}
# broadcasting add/mul of any integer inputs (td_add_any_s8_rq, td_mul_any_s8_rq): int8 out
FUSED.update({(a, _rq.RequantArgs): type(_c_func(a, _rq.RequantArgs), (FusedRequantArgs,),
                                         {"C_FUNC": _c_func(a, _rq.RequantArgs)})
              for a in (AddAnyS32Args, MulAnyS32Args)})


def split(g: Graph, op: Op) -> tuple[Graph, Op, Op]:
    """The fused op as the pair it was: (a graph view holding the int32 tensor, the
    accumulator op, the requant op)."""
    f: FusedRequant = op.attrs["requant"]
    y = g.t(op.outputs[0])
    if f.acc.shape != y.shape:
        raise UnsupportedError(f"fused requant: accumulator {list(f.acc.shape)} and output "
                               f"{list(y.shape)} differ in shape", node=op.name)
    acc_op = op.with_(name=f.acc_op, outputs=(f.acc.name,),
                      attrs={k: v for k, v in op.attrs.items() if k != "requant"})
    rq_op = Op("requant", f.rq_op, (f.acc.name,), op.outputs, dict(f.attrs))
    view = Graph(g.name, {**g.tensors, f.acc.name: f.acc}, [acc_op, rq_op],
                 list(g.inputs), list(g.outputs), g.source, g.meta)
    return view, acc_op, rq_op


def prepare(g: Graph, op: Op) -> FusedRequantArgs:
    view, acc_op, rq_op = split(g, op)
    acc = golden(op.kind, acc_op.name).prepare(view, acc_op)
    rq = golden("requant", rq_op.name).prepare(view, rq_op)
    cls = FUSED.get((type(acc), type(rq)))
    if cls is None:
        raise UnsupportedError(f"no fused kernel for {op.kind} ({type(acc).__name__}) with "
                               f"requant to {view.t(rq_op.outputs[0]).dtype}", node=op.name)
    return cls(acc, rq)


def accumulate(kind: str, a: FusedRequantArgs, *inputs) -> np.ndarray:
    """The int32 accumulator inside the fused op (the unfused op's output)."""
    return golden(kind).run(a.acc, *inputs)


def _is_fused(g: Graph, op: Op) -> bool:
    return "requant" in op.attrs


def _register(kind: str) -> None:
    def run(a: FusedRequantArgs, *inputs) -> np.ndarray:
        return _rq.run(a.rq, accumulate(kind, a, *inputs))

    register_variant(kind, _is_fused, prepare, run, FusedRequantArgs)


for _kind in KINDS:
    _register(_kind)
