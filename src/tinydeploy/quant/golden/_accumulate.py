"""Raw int32 accumulators of conv2d, depthwise_conv2d, fully_connected and add.

Integer-deployable graphs (NEMO, QuantLab, Deeploy) write every requantization out as
separate nodes, so their conv/fc/add produce the plain integer sum. When an IR op of
these kinds has an int32 output tensor, its ``prepare`` returns one of the Args below
instead of the TFLite-style int8 Args, and ``run`` computes

    conv / depthwise / fc:  acc = sum_k w[k] * (x[k] + input_offset) [+ bias]
    add:                    acc = (a + a_offset) * a_mult + (b + b_offset) * b_mult

with ``input_offset = -zero point`` of x (``x_i8 = x_u8 - 128`` has zero point -128, so
the sum is over the source's uint8 values). Padding taps contribute nothing. The
requantization that follows is the ``requant`` op (:mod:`.requant`).

int32 overflow: :func:`check_bound` rejects a layer whose worst-case |acc| over every
input of the input dtype can exceed INT32_MAX, so the C kernels' int32 sums never
overflow and equal these int64 sums.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.args import KernelArgs
from tinydeploy.quant.golden import _conv_common as cc
from tinydeploy.quant.requant import INT32_MAX

_IN_TYPES = ("int8", "int16")


@dataclass(frozen=True, eq=False)
class Conv2dS32Args(cc.Conv2dGeometry):
    C_FUNC: ClassVar[str] = "td_conv2d_s8_s32"
    input_offset: int    # -input zero point


@dataclass(frozen=True, eq=False)
class Conv2dS16S32Args(Conv2dS32Args):
    C_FUNC: ClassVar[str] = "td_conv2d_s16_s32"


@dataclass(frozen=True, eq=False)
class DepthwiseConv2dS32Args(cc.DepthwiseGeometry):
    C_FUNC: ClassVar[str] = "td_depthwise_conv2d_s8_s32"
    input_offset: int


@dataclass(frozen=True, eq=False)
class FullyConnectedS32Args(KernelArgs):
    C_FUNC: ClassVar[str] = "td_fully_connected_s8_s32"
    batches: int
    in_features: int
    out_features: int
    input_offset: int


@dataclass(frozen=True, eq=False)
class FullyConnectedS16S32Args(FullyConnectedS32Args):
    C_FUNC: ClassVar[str] = "td_fully_connected_s16_s32"


@dataclass(frozen=True, eq=False)
class AddS32Args(KernelArgs):
    C_FUNC: ClassVar[str] = "td_add_s8_s32"
    size: int
    a_offset: int        # -zero point of a
    b_offset: int
    a_mult: int
    b_mult: int


def _offset(op: Op, t: Tensor) -> int:
    if t.dtype not in _IN_TYPES:
        raise UnsupportedError(f"{op.kind} with int32 output: input '{t.name}' is {t.dtype}, "
                               f"expected one of {', '.join(_IN_TYPES)}", node=op.name)
    return -(t.quant.zp if t.quant is not None else 0)


def _x_max(t: Tensor, offset: int) -> int:
    info = np.iinfo(np.dtype(t.dtype))
    return max(abs(int(info.min) + offset), abs(int(info.max) + offset))


def check_bound(op: Op, w_abs_sum: np.ndarray, x_max: int, bias: np.ndarray | None) -> None:
    """Reject the op if some channel's int32 accumulator could overflow for some input."""
    bound = np.asarray(w_abs_sum, dtype=np.int64) * x_max
    if bias is not None:
        bound = bound + np.abs(bias)
    worst = int(bound.max(initial=0))
    if worst > INT32_MAX:
        raise UnsupportedError(f"{op.kind}: int32 accumulator may overflow (worst case "
                               f"|acc| = {worst} > {INT32_MAX})", node=op.name)


def _weights(op: Op, w: Tensor) -> np.ndarray:
    if w.dtype != "int8" or w.data is None:
        raise UnsupportedError(f"{op.kind}: weight '{w.name}' must be a constant int8 tensor",
                               node=op.name)
    if w.quant is not None and np.any(np.asarray(w.quant.zero_point) != 0):
        raise UnsupportedError(f"{op.kind}: weight '{w.name}' has a non-zero zero point",
                               node=op.name)
    return w.data.astype(np.int64)


def prepare_conv2d(g: Graph, op: Op) -> Conv2dS32Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    off = _offset(op, x)
    wd = _weights(op, w)
    geo = cc.conv2d_geometry(op, x, w, y)
    c_out = w.shape[0]
    check_bound(op, np.abs(wd).reshape(c_out, -1).sum(axis=1), _x_max(x, off),
                cc.bias_data(g, op, c_out))
    cls = Conv2dS16S32Args if x.dtype == "int16" else Conv2dS32Args
    return cls(*geo, off)


def run_conv2d(a: Conv2dS32Args, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
               ) -> np.ndarray:
    return cc.conv2d_sum(a, x, w, b, a.input_offset).astype(np.int32)


def prepare_depthwise(g: Graph, op: Op) -> DepthwiseConv2dS32Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    off = _offset(op, x)
    if x.dtype != "int8":
        raise UnsupportedError("depthwise_conv2d with int32 output needs an int8 input, got "
                               f"{x.dtype}", node=op.name)
    wd = _weights(op, w)
    geo = cc.depthwise_geometry(op, x, w, y)
    c_out = w.shape[2]
    check_bound(op, np.abs(wd).reshape(-1, c_out).sum(axis=0), _x_max(x, off),
                cc.bias_data(g, op, c_out))
    return DepthwiseConv2dS32Args(*geo, off)


def run_depthwise(a: DepthwiseConv2dS32Args, x: np.ndarray, w: np.ndarray,
                  b: np.ndarray | None) -> np.ndarray:
    return cc.depthwise_sum(a, x, w, b, a.input_offset).astype(np.int32)


def prepare_fc(g: Graph, op: Op) -> FullyConnectedS32Args:
    x, w, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    off = _offset(op, x)
    wd = _weights(op, w)
    batches, c_in, c_out = cc.fc_geometry(op, x, w, y, wd.shape)
    check_bound(op, np.abs(wd).sum(axis=1), _x_max(x, off), cc.bias_data(g, op, c_out))
    cls = FullyConnectedS16S32Args if x.dtype == "int16" else FullyConnectedS32Args
    return cls(batches, c_in, c_out, off)


def run_fc(a: FullyConnectedS32Args, x: np.ndarray, w: np.ndarray, b: np.ndarray | None
           ) -> np.ndarray:
    xo = x.reshape(a.batches, a.in_features).astype(np.int64) + a.input_offset
    acc = xo @ w.reshape(a.out_features, a.in_features).astype(np.int64).T
    if b is not None:
        acc += b.astype(np.int64).reshape(a.out_features)
    return acc.astype(np.int32)


def prepare_add(g: Graph, op: Op) -> AddS32Args:
    a, b, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    offs = [_offset(op, t) for t in (a, b)]
    if a.dtype != "int8" or b.dtype != "int8" or a.shape != b.shape or a.size != y.size:
        raise UnsupportedError(f"add with int32 output needs two int8 inputs of the output's "
                               f"shape, got {a.dtype}{list(a.shape)} + {b.dtype}"
                               f"{list(b.shape)} -> {list(y.shape)}", node=op.name)
    mults = [int(m) for m in op.attrs.get("mults", (1, 1))]
    worst = sum(abs(m) * _x_max(t, o) for m, t, o in zip(mults, (a, b), offs))
    if worst > INT32_MAX:
        raise UnsupportedError(f"add: int32 sum may overflow (worst case {worst})",
                               node=op.name)
    return AddS32Args(y.size, offs[0], offs[1], mults[0], mults[1])


def run_add(args: AddS32Args, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    x = (a.astype(np.int64).ravel() + args.a_offset) * args.a_mult
    y = (b.astype(np.int64).ravel() + args.b_offset) * args.b_mult
    return (x + y).astype(np.int32)
