"""Write IR graphs as .tflite files and run them in TFLite Micro (test-only helper).

``graph_to_tflite(g)`` turns an IR graph into a schema-v3 TFLite flatbuffer that TFLM
runs, so golden tests can compare the numpy goldens with the reference interpreter.
Layouts are the frontend's, inverted: depthwise weights ``[KH, KW, C]`` become
``[1, KH, KW, C]`` (per-channel axis 2 -> quantized_dimension 3); all else is stored as is.

Padding: TFLite only knows SAME and VALID. IR pads equal to what TFLite computes for SAME
(or VALID) are written as such; other pads on conv2d / depthwise_conv2d / max_pool2d
become a PADV2 op in front of a VALID op. Convolutions pad with the input zero point
(real 0, the IR's zero padding); max pooling pads with the dtype minimum, which never
wins a max, so the result is the max over the valid window elements as the IR defines.
avg_pool2d averages over valid elements only, which no PAD op reproduces: only SAME/VALID
pads are accepted there (ValueError otherwise).

``TFLiteBuilder`` is the lower level; tests use it to write models the IR cannot express
(unsupported ops, dynamic shapes, several subgraphs).
"""

from __future__ import annotations

from dataclasses import dataclass

import flatbuffers
from flatbuffers import flexbuffers
import numpy as np
import tflite
from tflite_micro import runtime

from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor

_TYPES = {"float32": 0, "int32": 2, "uint8": 3, "int64": 4, "int16": 7, "int8": 9,
          "uint64": 12, "uint32": 15}
_ACTS = {"none": 0, "relu": 1, "relu_n1_to_1": 2, "relu6": 3}
_SAME, _VALID = tflite.Padding.SAME, tflite.Padding.VALID


@dataclass
class _T:
    name: str
    shape: tuple[int, ...]
    dtype: str
    quant: QuantParams | None
    data: np.ndarray | None
    signature: tuple[int, ...] | None
    variable: bool = False       # a TFLite variable tensor (state kept across invokes)


@dataclass
class _Op:
    opname: str                  # BuiltinOperator name, e.g. "CONV_2D"
    inputs: list[int]
    outputs: list[int]
    options: tuple[str, dict] | None   # ("Conv2DOptions", {"StrideW": 1, ...})
    # custom ops (opname "CUSTOM:<code>", e.g. "CUSTOM:SignalWindow"): options is
    # ("flexbuffer", {...}), written as the op's flexbuffer custom options


class TFLiteBuilder:
    """Collects one subgraph's tensors and ops, then serializes a whole model."""

    def __init__(self) -> None:
        self.tensors: list[_T] = []
        self.ops: list[_Op] = []
        self.index: dict[str, int] = {}

    def tensor(self, name: str, shape, dtype: str, quant: QuantParams | None = None,
               data: np.ndarray | None = None, signature=None, variable: bool = False) -> int:
        """Add a tensor (constant when ``data`` is given; ``variable``: a TFLite variable
        tensor, the state of an LSTM); returns its index."""
        assert name not in self.index, f"tensor {name} added twice"
        shape = tuple(int(s) for s in shape)
        if data is not None:
            data = np.ascontiguousarray(np.asarray(data, dtype=dtype).reshape(shape))
        self.index[name] = len(self.tensors)
        self.tensors.append(_T(name, shape, dtype, quant, data,
                               None if signature is None else tuple(signature), variable))
        return self.index[name]

    def ir(self, t: Tensor) -> int:
        """Index of IR tensor ``t``, adding it on first use."""
        if t.name not in self.index:
            self.tensor(t.name, t.shape, t.dtype, t.quant, t.data)
        return self.index[t.name]

    def const(self, name: str, values, dtype: str = "int32") -> int:
        """A small constant parameter tensor (shapes, paddings, axes)."""
        a = np.asarray(values, dtype=dtype)
        return self.tensor(self.fresh(name), a.shape, dtype, data=a)

    def op(self, opname: str, inputs, outputs, options: tuple[str, dict] | None = None):
        self.ops.append(_Op(opname, list(inputs), list(outputs), options))

    def fresh(self, name: str) -> str:
        """``name``, or ``name_<i>`` if taken."""
        n, i = name, 1
        while n in self.index:
            n, i = f"{name}_{i}", i + 1
        return n

    def finish(self, inputs, outputs, n_subgraphs: int = 1,
               description: str = "tinydeploy test writer") -> bytes:
        """Serialize; ``n_subgraphs`` > 1 repeats the subgraph (for error tests only)."""
        b = flatbuffers.Builder(1024)
        buffers, tensor_offs = self._write_tensors(b)
        codes = sorted({o.opname for o in self.ops})
        op_offs = [self._write_op(b, o, codes) for o in self.ops]
        sub = self._write_subgraph(b, tensor_offs, op_offs, inputs, outputs)
        code_offs = [_write_opcode(b, c) for c in codes]
        desc = b.CreateString(description)
        subs = _vector(b, tflite.ModelStartSubgraphsVector, [sub] * n_subgraphs)
        codes_v = _vector(b, tflite.ModelStartOperatorCodesVector, code_offs)
        bufs_v = _vector(b, tflite.ModelStartBuffersVector, buffers)
        tflite.ModelStart(b)
        tflite.ModelAddVersion(b, 3)
        tflite.ModelAddOperatorCodes(b, codes_v)
        tflite.ModelAddSubgraphs(b, subs)
        tflite.ModelAddDescription(b, desc)
        tflite.ModelAddBuffers(b, bufs_v)
        b.Finish(tflite.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())

    def _write_tensors(self, b) -> tuple[list[int], list[int]]:
        tflite.BufferStart(b)
        buffers = [tflite.BufferEnd(b)]             # buffer 0: empty, by convention
        offs = []
        for t in self.tensors:
            buf_index = 0
            if t.data is not None:
                buf_index = len(buffers)
                buffers.append(_write_buffer(b, t.data.tobytes()))
            offs.append(_write_tensor(b, t, buf_index))
        return buffers, offs

    def _write_op(self, b, o: _Op, codes: list[str]) -> int:
        ins = _int_vector(b, tflite.OperatorStartInputsVector, o.inputs)
        outs = _int_vector(b, tflite.OperatorStartOutputsVector, o.outputs)
        custom = o.opname.startswith("CUSTOM:")
        if custom:
            raw = flexbuffers.Dumps(o.options[1]) if o.options else b""
            opts = b.CreateNumpyVector(np.frombuffer(raw, np.uint8)) if raw else None
        else:
            opts = _write_options(b, o.options) if o.options else None
        tflite.OperatorStart(b)
        tflite.OperatorAddOpcodeIndex(b, codes.index(o.opname))
        tflite.OperatorAddInputs(b, ins)
        tflite.OperatorAddOutputs(b, outs)
        if opts is not None and custom:
            tflite.OperatorAddCustomOptions(b, opts)
            tflite.OperatorAddCustomOptionsFormat(b, tflite.CustomOptionsFormat.FLEXBUFFERS)
        elif opts is not None:
            tflite.OperatorAddBuiltinOptionsType(b, getattr(tflite.BuiltinOptions,
                                                            o.options[0]))
            tflite.OperatorAddBuiltinOptions(b, opts)
        return tflite.OperatorEnd(b)

    def _write_subgraph(self, b, tensor_offs, op_offs, inputs, outputs) -> int:
        tv = _vector(b, tflite.SubGraphStartTensorsVector, tensor_offs)
        iv = _int_vector(b, tflite.SubGraphStartInputsVector, inputs)
        ov = _int_vector(b, tflite.SubGraphStartOutputsVector, outputs)
        opv = _vector(b, tflite.SubGraphStartOperatorsVector, op_offs)
        name = b.CreateString("main")
        tflite.SubGraphStart(b)
        tflite.SubGraphAddTensors(b, tv)
        tflite.SubGraphAddInputs(b, iv)
        tflite.SubGraphAddOutputs(b, ov)
        tflite.SubGraphAddOperators(b, opv)
        tflite.SubGraphAddName(b, name)
        return tflite.SubGraphEnd(b)


def _vector(b, start, offsets: list[int]) -> int:
    start(b, len(offsets))
    for off in reversed(offsets):
        b.PrependUOffsetTRelative(off)
    return b.EndVector()


def _int_vector(b, start, values) -> int:
    start(b, len(values))
    for v in reversed(list(values)):
        b.PrependInt32(int(v))
    return b.EndVector()


def _write_buffer(b, data: bytes) -> int:
    # 16-byte aligned like the TFLite converter does (TFLM reads int32 bias in place).
    b.StartVector(1, len(data), 16)
    b.head = b.head - len(data)
    b.Bytes[b.head:b.head + len(data)] = data
    vec = b.EndVector()
    tflite.BufferStart(b)
    tflite.BufferAddData(b, vec)
    return tflite.BufferEnd(b)


def _write_quant(b, q: QuantParams) -> int:
    scale = b.CreateNumpyVector(np.asarray(q.scale, dtype=np.float32))
    zp = b.CreateNumpyVector(np.asarray(q.zero_point, dtype=np.int64))
    tflite.QuantizationParametersStart(b)
    tflite.QuantizationParametersAddScale(b, scale)
    tflite.QuantizationParametersAddZeroPoint(b, zp)
    tflite.QuantizationParametersAddQuantizedDimension(b, q.axis or 0)
    return tflite.QuantizationParametersEnd(b)


def _write_tensor(b, t: _T, buf_index: int) -> int:
    name = b.CreateString(t.name)
    shape = _int_vector(b, tflite.TensorStartShapeVector, t.shape)
    sig = (None if t.signature is None
           else _int_vector(b, tflite.TensorStartShapeSignatureVector, t.signature))
    quant = _write_quant(b, t.quant) if t.quant is not None else None
    tflite.TensorStart(b)
    tflite.TensorAddShape(b, shape)
    tflite.TensorAddType(b, _TYPES[t.dtype])
    tflite.TensorAddBuffer(b, buf_index)
    tflite.TensorAddName(b, name)
    if quant is not None:
        tflite.TensorAddQuantization(b, quant)
    if sig is not None:
        tflite.TensorAddShapeSignature(b, sig)
    if t.variable:
        tflite.TensorAddIsVariable(b, True)
    return tflite.TensorEnd(b)


def _write_options(b, options: tuple[str, dict]) -> int:
    cls, fields = options
    vectors = {k: b.CreateNumpyVector(np.asarray(v, dtype=np.int32))
               for k, v in fields.items() if isinstance(v, (list, tuple))}
    getattr(tflite, cls + "Start")(b)
    for k, v in fields.items():
        getattr(tflite, f"{cls}Add{k}")(b, vectors.get(k, v))
    return getattr(tflite, cls + "End")(b)


def _write_opcode(b, opname: str) -> int:
    if opname.startswith("CUSTOM:"):
        name = b.CreateString(opname[len("CUSTOM:"):])
        tflite.OperatorCodeStart(b)
        tflite.OperatorCodeAddDeprecatedBuiltinCode(b, tflite.BuiltinOperator.CUSTOM)
        tflite.OperatorCodeAddBuiltinCode(b, tflite.BuiltinOperator.CUSTOM)
        tflite.OperatorCodeAddCustomCode(b, name)
        tflite.OperatorCodeAddVersion(b, 1)
        return tflite.OperatorCodeEnd(b)
    code = getattr(tflite.BuiltinOperator, opname)
    tflite.OperatorCodeStart(b)
    tflite.OperatorCodeAddDeprecatedBuiltinCode(b, min(code, 127))
    tflite.OperatorCodeAddBuiltinCode(b, code)
    tflite.OperatorCodeAddVersion(b, 1)
    return tflite.OperatorCodeEnd(b)


# ---- IR op kinds -> TFLite ops -------------------------------------------------------

def _tfl_pads(mode: int, size: int, k: int, s: int, d: int) -> tuple[int, int, int]:
    """(out, pad_before, pad_after) TFLite derives for one spatial dim."""
    eff = (k - 1) * d + 1
    out = -(-size // s) if mode == _SAME else (size - eff + s) // s
    total = max((out - 1) * s + eff - size, 0)
    return out, total // 2, total - total // 2


def _padding_mode(g: Graph, op: Op, kernel, dilation=(1, 1)) -> int | None:
    """SAME or VALID if they reproduce the op's pads and output size, else None."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    top, left, bottom, right = op.attrs["pads"]
    for mode in (_VALID, _SAME):
        dims = [_tfl_pads(mode, x.shape[i + 1], kernel[i], op.attrs["stride"][i], dilation[i])
                for i in range(2)]
        if (dims[0] == (y.shape[1], top, bottom)) and dims[1] == (y.shape[2], left, right):
            return mode
    return None


def _padded_input(w: TFLiteBuilder, g: Graph, op: Op, value: int) -> int:
    """Emit PADV2(x, pads, value) for an op whose pads TFLite cannot express."""
    x = g.t(op.inputs[0])
    top, left, bottom, right = op.attrs["pads"]
    shape = (x.shape[0], x.shape[1] + top + bottom, x.shape[2] + left + right, x.shape[3])
    out = w.tensor(w.fresh(f"{op.name}_padded"), shape, x.dtype, x.quant)
    paddings = w.const(f"{op.name}_paddings", [[0, 0], [top, bottom], [left, right], [0, 0]])
    cval = w.tensor(w.fresh(f"{op.name}_pad_value"), (), x.dtype, x.quant,
                    np.asarray(value, dtype=x.dtype))
    w.op("PADV2", [w.ir(x), paddings, cval], [out], ("PadV2Options", {}))
    return out


def _spatial_input(w, g, op, kernel, dilation, pad_value) -> tuple[int, int]:
    """(input tensor index, TFLite padding) for a conv/pool op."""
    mode = _padding_mode(g, op, kernel, dilation)
    if mode is not None:
        return w.ir(g.t(op.inputs[0])), mode
    if pad_value is None:
        raise ValueError(f"{op.name}: pads {op.attrs['pads']} are neither SAME nor VALID "
                         f"and {op.kind} cannot be written with an explicit PAD")
    return _padded_input(w, g, op, pad_value), _VALID


def _depthwise_weights(w: TFLiteBuilder, wt: Tensor) -> int:
    """IR ``[KH, KW, C]`` -> TFLite ``[1, KH, KW, C]`` (per-channel axis 2 -> 3)."""
    if wt.name not in w.index:
        q = wt.quant
        if q is not None and q.per_channel:
            q = QuantParams(q.scale, q.zero_point, 3)
        w.tensor(wt.name, (1, *wt.shape), wt.dtype, q, wt.data.reshape(1, *wt.shape))
    return w.index[wt.name]


def _conv(opname: str, options: str):
    def write(w, g, op):
        x, wt, bias = g.t(op.inputs[0]), g.t(op.inputs[1]), op.inputs[2]
        depthwise = opname == "DEPTHWISE_CONV_2D"
        dil = op.attrs.get("dilation", (1, 1))
        kernel = wt.shape[0:2] if depthwise else wt.shape[1:3]
        xi, mode = _spatial_input(w, g, op, kernel, dil, x.quant.zp)
        opts = {"Padding": mode, "StrideH": op.attrs["stride"][0],
                "StrideW": op.attrs["stride"][1], "DilationHFactor": dil[0],
                "DilationWFactor": dil[1], "FusedActivationFunction": _act(op)}
        if depthwise:
            opts["DepthMultiplier"] = op.attrs.get("depth_multiplier", 1)
            # No bias: omit the input rather than write -1; TFLM's depthwise Prepare frees
            # a null bias tensor (segfault) when the op lists 3 inputs.
            ins = [xi, _depthwise_weights(w, wt)] + ([w.ir(g.t(bias))] if bias else [])
        else:
            ins = [xi, w.ir(wt), w.ir(g.t(bias)) if bias else -1]
        w.op(opname, ins, [w.ir(g.t(op.outputs[0]))], (options, opts))
    return write


def _fully_connected(w, g, op):
    x = g.t(op.inputs[0])
    opts = {"FusedActivationFunction": _act(op), "KeepNumDims": len(x.shape) != 2}
    bias = w.ir(g.t(op.inputs[2])) if op.inputs[2] else -1
    w.op("FULLY_CONNECTED", [w.ir(x), w.ir(g.t(op.inputs[1])), bias],
         [w.ir(g.t(op.outputs[0]))], ("FullyConnectedOptions", opts))


def _pool(opname: str, pad_value):
    def write(w, g, op):
        x = g.t(op.inputs[0])
        kh, kw = op.attrs["kernel"]
        value = None if pad_value is None else pad_value(x)
        xi, mode = _spatial_input(w, g, op, (kh, kw), (1, 1), value)
        opts = {"Padding": mode, "StrideW": op.attrs["stride"][1],
                "StrideH": op.attrs["stride"][0], "FilterWidth": kw, "FilterHeight": kh,
                "FusedActivationFunction": _act(op)}
        w.op(opname, [xi], [w.ir(g.t(op.outputs[0]))], ("Pool2DOptions", opts))
    return write


def _simple(opname: str, options: str | None = None, fields=lambda op: {}):
    """An op whose TFLite inputs are the IR inputs, in order."""
    def write(w, g, op):
        w.op(opname, [w.ir(g.t(n)) for n in op.inputs], [w.ir(g.t(op.outputs[0]))],
             (options, fields(op)) if options else None)
    return write


def _with_param(opname: str, options: str, param, fields=lambda op, y: {}):
    """An op with one int32 parameter tensor after its input (paddings, shape, axes...)."""
    def write(w, g, op):
        y = g.t(op.outputs[0])
        p = w.const(f"{op.name}_{opname.lower()}_param", param(op, y))
        w.op(opname, [w.ir(g.t(op.inputs[0])), p], [w.ir(y)], (options, fields(op, y)))
    return write


def _quantize(w, g, op):
    """IR quantize with an activation is TFLite's (requantizing) RELU/RELU6/RELU_N1_TO_1."""
    act = op.attrs.get("act", "none")
    _simple("QUANTIZE" if act == "none" else act.upper())(w, g, op)


def _act(op: Op) -> int:
    return _ACTS[op.attrs.get("act", "none")]


WRITERS = {
    "conv2d": _conv("CONV_2D", "Conv2DOptions"),
    "depthwise_conv2d": _conv("DEPTHWISE_CONV_2D", "DepthwiseConv2DOptions"),
    "fully_connected": _fully_connected,
    "avg_pool2d": _pool("AVERAGE_POOL_2D", None),
    "max_pool2d": _pool("MAX_POOL_2D", lambda x: int(np.iinfo(x.dtype).min)),
    "add": _simple("ADD", "AddOptions", lambda op: {"FusedActivationFunction": _act(op)}),
    "mul": _simple("MUL", "MulOptions", lambda op: {"FusedActivationFunction": _act(op)}),
    "concat": _simple("CONCATENATION", "ConcatenationOptions",
                      lambda op: {"Axis": op.attrs["axis"], "FusedActivationFunction": 0}),
    "pad": _with_param("PAD", "PadOptions", lambda op, y: [list(p) for p in op.attrs["pads"]]),
    "reshape": _with_param("RESHAPE", "ReshapeOptions", lambda op, y: list(y.shape),
                           lambda op, y: {"NewShape": list(y.shape)}),
    "transpose": _with_param("TRANSPOSE", "TransposeOptions",
                             lambda op, y: list(op.attrs["perm"])),
    "mean": _with_param("MEAN", "ReducerOptions", lambda op, y: list(op.attrs["axes"]),
                        lambda op, y: {"KeepDims": bool(op.attrs["keepdims"])}),
    "softmax": _simple("SOFTMAX", "SoftmaxOptions",
                       lambda op: {"Beta": op.attrs.get("beta", 1.0)}),
    "logistic": _simple("LOGISTIC"),
    "tanh": _simple("TANH"),
    "quantize": _quantize,
    "dequantize": _simple("DEQUANTIZE"),
}


def graph_to_tflite(g: Graph) -> bytes:
    """Serialize IR graph ``g`` as a .tflite flatbuffer (one subgraph, schema v3)."""
    from tests.tflite_writer_ops import WRITERS as more      # TFLite Micro's further ops
    w, writers = TFLiteBuilder(), {**WRITERS, **more}
    for name in g.inputs:
        w.ir(g.t(name))
    for op in g.ops:
        writers[op.kind](w, g, op)
    return w.finish([w.index[n] for n in g.inputs], [w.index[n] for n in g.outputs],
                    description=f"tinydeploy test writer: {g.name}")


def run_tflm(model: bytes, inputs: list[np.ndarray], arena_size: int = 2_000_000
             ) -> list[np.ndarray]:
    """Run ``model`` once in the TFLite Micro reference interpreter; outputs in order."""
    it = runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    for i, x in enumerate(inputs):
        it.set_input(np.ascontiguousarray(x), i)
    it.invoke()
    sg = tflite.Model.GetRootAs(model, 0).Subgraphs(0)
    return [np.array(it.get_output(i)) for i in range(sg.OutputsLength())]
