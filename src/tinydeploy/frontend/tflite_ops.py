"""The TFLite op table: each supported builtin operator, the IR op it becomes, how it is
decoded, and which loaders accept it. One entry per operator, for both loaders.

The int8 frontend (:mod:`tinydeploy.frontend.tflite`) and the float quantizer
(:mod:`tinydeploy.quantize.float_tflite`) dispatch through :data:`OPS`, so an operator
cannot be supported by one and silently mapped differently by the other. A mapper decodes
everything that does not depend on the data type (options, padding, strides, dilation,
fused activation, axes, shapes) and emits IR ops through an :class:`OpConverter`; the
loaders' subclasses supply only what does: how a TFLite tensor becomes an IR tensor (int8
with quantization, or float32 data), which weight/bias dtypes are accepted, and the few
operators whose meaning is quantization itself (standalone activations, DEQUANTIZE, the
fill value of PAD). Adding an operator is one :data:`OPS` entry (plus a mapper when no
existing one fits). The CNN core's rows are below; TFLite Micro's further builtins
(int8 loader only) are rows added by ``tflite_ops_math.py`` (elementwise, reductions),
``tflite_ops_movement.py`` (slices, splits, gathers, resizes) and ``tflite_ops_linear.py``
(TRANSPOSE_CONV, BATCH_MATMUL), loaded at the end of this module.

Layout changes:

- SAME/VALID padding becomes explicit ``pads`` (top, left, bottom, right) as TFLite
  computes them (:meth:`OpReader.explicit_pads`).
- Depthwise weights ``[1, KH, KW, C*M]`` lose the leading 1 (per-channel axis 3 -> 2).
- FULLY_CONNECTED on an input that is not ``[N, in_features]`` gets an IR ``reshape`` in
  front (and one behind when the output is not ``[N, out_features]``).
- RESHAPE, SQUEEZE and EXPAND_DIMS all become ``reshape`` (the output shape says it all).
"""

from __future__ import annotations

import importlib
import pkgutil
import struct
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import tflite

from tinydeploy.frontend.tflite_reader import OpReader, RawOp, TFLiteModel
from tinydeploy.ir.graph import Op, Tensor

INT8, FLOAT = "int8", "float"        # the two loaders
BOTH = frozenset({INT8, FLOAT})


@dataclass
class GraphState:
    """What the op contexts of one model conversion share: IR tensors and ops so far."""

    tensors: dict[str, Tensor] = field(default_factory=dict)
    ops: list[Op] = field(default_factory=list)
    converted: dict[int, str] = field(default_factory=dict)    # TFLite index -> IR name


class OpConverter(OpReader):
    """One operator being converted into IR ops.

    The shared mappers below use only this interface. Subclasses implement the hooks that
    depend on the data type (the methods raising NotImplementedError); ``LOADER`` says
    which :data:`OPS` entries they accept.
    """

    LOADER = ""
    # set while a recurrent op converts its state tensors (TFLite variables, which are
    # refused anywhere else): tflite_ops_recurrent.py
    variables_ok = False

    def __init__(self, model: TFLiteModel, op: RawOp, state: GraphState):
        super().__init__(model, op)
        self.state = state

    def convert(self) -> None:
        """Map this operator through its :data:`OPS` entry (unsupported -> error)."""
        spec = lookup(self.opname, self.LOADER)
        if spec is None:
            self.fail(self.unsupported(self.opname))
        if not self.outs:
            self.fail("operator without outputs", unsupported=False)
        lo, hi = spec.n_inputs
        if not lo <= len(self.ins) <= (hi if hi is not None else len(self.ins)) or \
                not (len(self.outs) == 1 or spec.many_outputs):
            want = f"{lo}" if lo == hi else f"{lo} or more" if hi is None else f"{lo} to {hi}"
            self.fail(f"{self.opname} takes {want} input(s) and 1 output, got "
                      f"{len(self.ins)} and {len(self.outs)}", unsupported=False)
        self.check_tensors()
        if not self.ins or self.ins[0] < 0:
            self.fail("operator without input", unsupported=False)
        try:
            spec.convert(self, spec)
        except struct.error as e:
            self.fail(f"corrupt operator options ({e})", unsupported=False)

    def unsupported(self, opname: str) -> str:
        """The reason given for an operator this loader does not accept."""
        return f"unsupported operator {opname}"

    def check_tensors(self) -> None:
        """Checks of the operator's tensors before it is mapped (none by default)."""

    # -- tensors ------------------------------------------------------------------------
    def tensor(self, j: int) -> str:
        """IR name of TFLite tensor ``j`` (converted on first use); "" for -1."""
        if j < 0:
            return ""
        if j not in self.state.converted:
            t = self.convert_tensor(j)
            self.state.tensors[t.name] = t
            self.state.converted[j] = t.name
        return self.state.converted[j]

    def input(self, n: int) -> str:
        """IR name of input ``n``; "" when absent."""
        return self.tensor(self.ins[n]) if n < len(self.ins) else ""

    def output(self, n: int = 0) -> str:
        return self.tensor(self.outs[n])

    def t(self, name: str) -> Tensor:
        return self.state.tensors[name]

    def put(self, t: Tensor) -> str:
        self.state.tensors[t.name] = t
        return t.name

    def new_tensor(self, hint: str, like: Tensor, shape) -> str:
        """A new activation shaped ``shape``, typed (and quantized) like ``like``."""
        name = hint
        while name in self.state.tensors or name in self.model.names:
            name += "_"
        return self.put(Tensor(name, tuple(int(s) for s in shape), like.dtype, like.quant))

    def const(self, n: int, what: str) -> np.ndarray:
        """Values of constant input ``n`` (paddings, axes, ...)."""
        name = self.input(n)
        if not name or not self.t(name).is_const:
            self.fail(f"input {n} ({what}) must be a constant tensor")
        return self.t(name).data

    def require_rank(self, t: Tensor, ranks: tuple[int, ...], what: str) -> None:
        """Refuse tensor ``t`` (the op's ``what``) unless its rank is one of ``ranks``."""
        if len(t.shape) not in ranks:
            self.fail(f"{what} '{t.name}' of shape {list(t.shape)}: expected "
                      f"{' or '.join(f'{r}-D' for r in ranks)}", unsupported=False)

    def axis(self, value: int, rank: int, what: str = "axis") -> int:
        """A TFLite axis in [-rank, rank) as a non-negative axis."""
        if not -rank <= value < rank:
            self.fail(f"{what} {value} out of range for a {rank}-D tensor", unsupported=False)
        return value % rank

    def add(self, kind: str, inputs, outputs=None, suffix: str = "", **attrs) -> None:
        """Append an IR op named after this operator (output: the operator's first)."""
        name = self.name + (f"_{suffix}" if suffix else "")
        outs = tuple(outputs or (self.output(),))
        self.state.ops.append(Op(kind, name, tuple(inputs), outs, attrs))

    # -- dtype-specific hooks -----------------------------------------------------------
    def convert_tensor(self, j: int) -> Tensor:
        """IR tensor of TFLite tensor ``j`` (checked, constants with their data)."""
        raise NotImplementedError

    def weights(self, n: int) -> Tensor:
        """Constant weights at input ``n``, of the dtype this loader accepts."""
        raise NotImplementedError

    def depthwise_weights(self, n: int) -> Tensor:
        """Depthwise weights at input ``n`` as an IR ``[KH, KW, C*M]`` constant."""
        raise NotImplementedError

    def bias(self, n: int) -> str:
        """IR name of the constant bias at input ``n`` ("" when absent)."""
        raise NotImplementedError

    def activation(self, act: str) -> None:
        """A standalone activation (RELU, RELU6, RELU_N1_TO_1) of input 0."""
        raise NotImplementedError

    def check_pad_value(self, x: Tensor, y: Tensor, n: int) -> None:
        """Refuse a pad that would not fill with real 0 (``n``: PADV2's value input)."""
        raise NotImplementedError

    def dequantize(self) -> None:
        """DEQUANTIZE of input 0."""
        raise NotImplementedError


Mapper = Callable[[OpConverter, "OpSpec"], None]


@dataclass(frozen=True)
class OpSpec:
    """One row of the op table."""

    kind: str                      # the IR op kind the operator becomes
    convert: Mapper                # decodes the operator and emits IR ops
    options: type | None = None    # its builtin options table
    attrs: dict = field(default_factory=dict)     # fixed IR attributes
    loaders: frozenset = BOTH      # which loaders accept it (INT8, FLOAT)
    n_inputs: tuple = (1, 1)       # (min, max) inputs TFLite's kernel takes (None: any)
    many_outputs: bool = False     # SPLIT, SPLIT_V: one output per part


def lookup(opname: str, loader: str) -> OpSpec | None:
    """The table entry of ``opname`` if ``loader`` accepts it."""
    spec = OPS.get(opname)
    return spec if spec is not None and loader in spec.loaders else None


def supported(loader: str) -> list[str]:
    """Sorted builtin operator names ``loader`` accepts."""
    return sorted(n for n, s in OPS.items() if loader in s.loaders)


# -- mappers ----------------------------------------------------------------------------
def _conv2d(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    x, w = c.t(c.input(0)), c.weights(1)
    bias = c.bias(2)
    c.require_rank(x, (4,), "input")
    if len(w.shape) != 4 or w.shape[3] != x.shape[-1]:
        c.fail(f"weights {list(w.shape)} for input {list(x.shape)}: grouped convolution "
               "is not supported")
    c.add(spec.kind, (x.name, w.name, bias), **c.conv_geometry(o, w.shape[1:3]),
          act=c.act(o.FusedActivationFunction()))


def _depthwise_conv2d(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    x, w = c.t(c.input(0)), c.depthwise_weights(1)
    bias = c.bias(2)
    c.require_rank(x, (4,), "input")
    c.require_rank(w, (3,), "weights")
    c_in, c_out = x.shape[-1], w.shape[2]
    if c_out % c_in or o.DepthMultiplier() not in (0, c_out // c_in):
        c.fail(f"{c_out} output channels for {c_in} input channels and depth multiplier "
               f"{o.DepthMultiplier()}", unsupported=False)
    c.add(spec.kind, (x.name, w.name, bias), **c.conv_geometry(o, w.shape[0:2]),
          act=c.act(o.FusedActivationFunction()), depth_multiplier=c_out // c_in)


def _fully_connected(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options, required=False)     # absent: TFLite's defaults
    if o is not None and o.WeightsFormat() != 0:
        c.fail("shuffled FULLY_CONNECTED weights format")
    x, w, y = c.t(c.input(0)), c.weights(1), c.t(c.output())
    bias = c.bias(2)
    if len(w.shape) != 2 or x.size % w.shape[1]:
        c.fail(f"input {list(x.shape)} does not flatten to rows of weights "
               f"{list(w.shape)}", unsupported=False)
    n_out, n_in = w.shape
    rows = x.size // n_in
    xn, yn = x.name, y.name
    if x.shape != (rows, n_in):
        xn = c.new_tensor(f"{x.name}_2d", x, (rows, n_in))
        c.add("reshape", (x.name,), (xn,), suffix="flatten")
    if y.shape != (rows, n_out):
        yn = c.new_tensor(f"{y.name}_2d", y, (rows, n_out))
    c.add(spec.kind, (xn, w.name, bias), (yn,), act=c.fused_act(o))
    if yn != y.name:
        c.add("reshape", (yn,), (y.name,), suffix="unflatten")


def _pool(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    geometry = c.pool_geometry(o)
    c.add(spec.kind, (c.input(0),), **geometry, act=c.act(o.FusedActivationFunction()))


def _binary(c: OpConverter, spec: OpSpec) -> None:
    if len(c.ins) != 2:
        c.fail(f"expected 2 inputs, got {len(c.ins)}", unsupported=False)
    act = c.fused_act(c.options(spec.options, required=False))
    raw = c.t(c.output()).dtype == "int32" and c.t(c.output()).quant is None
    c.add(spec.kind, (c.input(0), c.input(1)), act=act,
          **({"wraps": True} if raw else {}))     # TFLM's raw int32 arithmetic wraps


def _concat(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    if o.FusedActivationFunction() != 0:
        c.fail(f"fused activation on {c.opname}")
    rank = len(c.t(c.output()).shape)
    c.add(spec.kind, [c.input(n) for n in range(len(c.ins))],
          axis=c.axis(o.Axis(), rank) if rank else 0)


def _pad(c: OpConverter, spec: OpSpec) -> None:
    """PAD/PADV2: explicit (before, after) per axis; the fill must be real 0."""
    x, y = c.t(c.input(0)), c.t(c.output())
    pads = c.const(1, "paddings")
    if pads.shape != (len(x.shape), 2):
        c.fail(f"paddings of shape {list(pads.shape)} for a {len(x.shape)}-D input "
               f"(expected [{len(x.shape)}, 2])", unsupported=False)
    c.check_pad_value(x, y, 2)
    c.add(spec.kind, (x.name,), pads=tuple((int(a), int(b)) for a, b in pads))


def _mean(c: OpConverter, spec: OpSpec) -> None:
    rank = len(c.t(c.input(0)).shape)
    axes = tuple(sorted({c.axis(int(a), rank) for a in c.const(1, "axes").ravel()}))
    o = c.options(spec.options, required=False)
    c.add(spec.kind, (c.input(0),), axes=axes, keepdims=bool(o.KeepDims()) if o else False)


def _softmax(c: OpConverter, spec: OpSpec) -> None:
    # required: TFLite runs a SOFTMAX without options with beta 0, not 1
    c.add(spec.kind, (c.input(0),), beta=float(c.options(spec.options).Beta()))


def _transpose(c: OpConverter, spec: OpSpec) -> None:
    perm = tuple(int(p) for p in c.const(1, "perm").ravel())
    c.add(spec.kind, (c.input(0),), perm=perm)


def _one_input(c: OpConverter, spec: OpSpec) -> None:
    """Ops whose output shape and fixed attributes say everything."""
    c.add(spec.kind, (c.input(0),), **spec.attrs)


def _activation(c: OpConverter, spec: OpSpec) -> None:
    c.activation(spec.attrs["act"])


def _dequantize(c: OpConverter, spec: OpSpec) -> None:
    c.dequantize()


def _relu(act: str) -> OpSpec:
    return OpSpec("act", _activation, attrs={"act": act})


OPS: dict[str, OpSpec] = {
    "CONV_2D": OpSpec("conv2d", _conv2d, tflite.Conv2DOptions, n_inputs=(2, 3)),
    "DEPTHWISE_CONV_2D": OpSpec("depthwise_conv2d", _depthwise_conv2d,
                                tflite.DepthwiseConv2DOptions, n_inputs=(2, 3)),
    "FULLY_CONNECTED": OpSpec("fully_connected", _fully_connected,
                              tflite.FullyConnectedOptions, n_inputs=(2, 3)),
    "AVERAGE_POOL_2D": OpSpec("avg_pool2d", _pool, tflite.Pool2DOptions),
    "MAX_POOL_2D": OpSpec("max_pool2d", _pool, tflite.Pool2DOptions),
    "ADD": OpSpec("add", _binary, tflite.AddOptions, n_inputs=(2, 2)),
    "MUL": OpSpec("mul", _binary, tflite.MulOptions, n_inputs=(2, 2)),
    "CONCATENATION": OpSpec("concat", _concat, tflite.ConcatenationOptions,
                            n_inputs=(1, None)),
    "PAD": OpSpec("pad", _pad, n_inputs=(2, 3)),
    "PADV2": OpSpec("pad", _pad, n_inputs=(2, 3)),
    "RESHAPE": OpSpec("reshape", _one_input, n_inputs=(1, 2)),
    "SQUEEZE": OpSpec("reshape", _one_input),
    "EXPAND_DIMS": OpSpec("reshape", _one_input, n_inputs=(2, 2)),
    # a byte permutation, as TFLite Micro's TRANSPOSE (which ignores the quantization too)
    "TRANSPOSE": OpSpec("transpose", _transpose, n_inputs=(2, 2)),
    "MEAN": OpSpec("mean", _mean, tflite.ReducerOptions, n_inputs=(2, 2)),
    "SOFTMAX": OpSpec("softmax", _softmax, tflite.SoftmaxOptions),
    "LOGISTIC": OpSpec("logistic", _one_input),
    "TANH": OpSpec("tanh", _one_input),
    # int8: a requantizing "quantize" with the clamp (OpConverter.activation)
    "RELU": _relu("relu"),
    "RELU6": _relu("relu6"),
    "RELU_N1_TO_1": _relu("relu_n1_to_1"),
    # a float model has no QUANTIZE; its DEQUANTIZE only unpacks float16/int8 weights
    "QUANTIZE": OpSpec("quantize", _one_input, attrs={"act": "none"},
                       loaders=frozenset({INT8})),
    "DEQUANTIZE": OpSpec("dequantize", _dequantize),
}


def _load_rows() -> None:
    """TFLite Micro's further builtins: their rows are defined, and added to :data:`OPS`,
    by the modules ``tflite_ops_<family>.py`` next to this one, imported here once the
    interface above exists (found by name: there is no list to keep in sync)."""
    for m in pkgutil.iter_modules([str(Path(__file__).parent)]):
        if m.name.startswith("tflite_ops_"):
            importlib.import_module(f"{__package__}.{m.name}")


_load_rows()
