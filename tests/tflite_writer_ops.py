"""Writers of the IR op kinds that map to TFLite Micro's further builtin ops (SUB,
STRIDED_SLICE, LEAKY_RELU, ...), for :func:`tests.tflite_writer.graph_to_tflite`; they use
its helpers. Each is the inverse of the frontend's mapping in
:mod:`tinydeploy.frontend.tflite_ops` and its companions."""

from __future__ import annotations

import numpy as np

from tests.tflite_writer import _act, _simple, _with_param


def _strided_slice(w, g, op):
    """IR slice as STRIDED_SLICE: end = start + count * step, or the end mask where that
    would fall before index 0 (TFLite reads a negative end from the back)."""
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    starts, steps = list(op.attrs["starts"]), list(op.attrs["steps"])
    ends, end_mask = [], 0
    for d, (s, k, n) in enumerate(zip(starts, steps, y.shape)):
        e = s + n * k
        if e < 0:
            end_mask |= 1 << d
            e = 0
        ends.append(e)
    ins = [w.ir(x), w.const(f"{op.name}_begin", starts), w.const(f"{op.name}_end", ends),
           w.const(f"{op.name}_strides", steps)]
    w.op("STRIDED_SLICE", ins, [w.ir(y)], ("StridedSliceOptions", {"EndMask": end_mask}))


def _transpose_conv(w, g, op):
    """IR transpose_conv as TRANSPOSE_CONV: SAME or VALID, whichever gives its pads."""
    from tinydeploy.frontend.tflite_ops_linear import transpose_conv_pads

    x, wt, y = g.t(op.inputs[0]), g.t(op.inputs[1]), g.t(op.outputs[0])
    stride, pads = tuple(op.attrs["stride"]), tuple(op.attrs["pads"])
    modes = [m for m, same in ((0, True), (1, False))       # tflite.Padding SAME, VALID
             if transpose_conv_pads(y.shape[1:3], wt.shape[1:3], stride, same) == pads]
    if not modes:
        raise ValueError(f"{op.name}: pads {pads} are neither SAME nor VALID")
    bias = op.inputs[2] if len(op.inputs) > 2 else ""
    ins = [w.const(f"{op.name}_shape", list(y.shape)), w.ir(wt), w.ir(x)]
    ins += [w.ir(g.t(bias))] if bias else []
    w.op("TRANSPOSE_CONV", ins, [w.ir(y)],
         ("TransposeConvOptions", {"Padding": modes[0], "StrideH": stride[0],
                                   "StrideW": stride[1], "FusedActivationFunction": _act(op)}))


def _gather(w, g, op):
    idx = np.asarray(op.attrs["indices"], dtype=np.int32)
    w.op("GATHER", [w.ir(g.t(op.inputs[0])), w.const(f"{op.name}_indices", idx)],
         [w.ir(g.t(op.outputs[0]))], ("GatherOptions", {"Axis": op.attrs["axis"]}))


def _lstm(w, g, op):
    """IR lstm as UNIDIRECTIONAL_SEQUENCE_LSTM: 24 inputs (absent peephole, projection and
    layer-norm tensors as -1), the state (the op's outputs 1 and 2) as variable tensors."""
    ins = [-1] * 24
    names = list(op.inputs)
    ins[0] = w.ir(g.t(names[0]))
    for k in range(8):                                      # weights: inputs 1..8
        ins[1 + k] = w.ir(g.t(names[1 + k]))
    for k in range(4):                                      # biases: inputs 12..15
        ins[12 + k] = w.ir(g.t(names[9 + k]))
    for pos, n in ((18, op.outputs[1]), (19, op.outputs[2])):
        t = g.t(n)
        ins[pos] = w.tensor(n, t.shape, t.dtype, t.quant, variable=True)
    w.op("UNIDIRECTIONAL_SEQUENCE_LSTM", ins, [w.ir(g.t(op.outputs[0]))],
         ("UnidirectionalSequenceLSTMOptions",
          {"FusedActivationFunction": 4, "CellClip": float(op.attrs.get("cell_clip", 0.0)),
           "TimeMajor": bool(op.attrs.get("time_major", False))}))


def _svdf(w, g, op):
    """IR svdf as SVDF: input, feature weights, time weights, bias, the state (the op's
    output 1) as a variable tensor."""
    s = g.t(op.outputs[1])
    ins = [w.ir(g.t(n)) for n in op.inputs[:4]]
    ins.append(w.tensor(s.name, s.shape, s.dtype, s.quant, variable=True))
    w.op("SVDF", ins, [w.ir(g.t(op.outputs[0]))],
         ("SVDFOptions", {"Rank": int(op.attrs["rank"]), "FusedActivationFunction": 0}))


WRITERS = {
    "lstm": _lstm,
    "svdf": _svdf,
    "sub": _simple("SUB", "SubOptions", lambda op: {"FusedActivationFunction": _act(op)}),
    "leaky_relu": _simple("LEAKY_RELU", "LeakyReluOptions",
                          lambda op: {"Alpha": op.attrs["alpha"]}),
    "hard_swish": _simple("HARD_SWISH"),
    "abs": _simple("ABS"),
    "rsqrt": _simple("RSQRT"),
    "prelu": _simple("PRELU"),
    "squared_difference": _simple("SQUARED_DIFFERENCE"),
    "div": _simple("DIV", "DivOptions", lambda op: {"FusedActivationFunction": _act(op)}),
    "maximum": _simple("MAXIMUM"),
    "minimum": _simple("MINIMUM"),
    "slice": _strided_slice,
    "gather": _gather,
    "transpose_conv": _transpose_conv,
    "sum": _with_param("SUM", "ReducerOptions", lambda op, y: list(op.attrs["axes"]),
                       lambda op, y: {"KeepDims": bool(op.attrs["keepdims"])}),
    "reduce_max": _with_param("REDUCE_MAX", "ReducerOptions",
                              lambda op, y: list(op.attrs["axes"]),
                              lambda op, y: {"KeepDims": bool(op.attrs["keepdims"])}),
    "arg_max": _with_param("ARG_MAX", "ArgMaxOptions", lambda op, y: [op.attrs["axis"]],
                           lambda op, y: {"OutputType": 2}),
    "arg_min": _with_param("ARG_MIN", "ArgMinOptions", lambda op, y: [op.attrs["axis"]],
                           lambda op, y: {"OutputType": 2}),
    "cast": _simple("CAST"),
    "l2_normalization": _simple("L2_NORMALIZATION", "L2NormOptions",
                                lambda op: {"FusedActivationFunction": 0}),
    "resize_bilinear": _with_param(
        "RESIZE_BILINEAR", "ResizeBilinearOptions", lambda op, y: list(y.shape[1:3]),
        lambda op, y: {"AlignCorners": bool(op.attrs["align_corners"]),
                       "HalfPixelCenters": bool(op.attrs["half_pixel_centers"])}),
    "batch_matmul": _simple("BATCH_MATMUL", "BatchMatMulOptions",
                            lambda op: {"AdjX": bool(op.attrs["adj_x"]),
                                        "AdjY": bool(op.attrs["adj_y"])}),
}
