"""Rows of the TFLite op table (:data:`tinydeploy.frontend.tflite_ops.OPS`) for TFLite
Micro's linear builtins beyond CONV_2D / FULLY_CONNECTED: TRANSPOSE_CONV (int8 and 16x8)
and BATCH_MATMUL. The int8 loader (int8 and 16x8 models) takes them, the float quantizer
does not.
"""

from __future__ import annotations

import numpy as np
import tflite

from tinydeploy.frontend.tflite_ops import INT8, OPS, OpConverter, OpSpec

INT8_ONLY = frozenset({INT8})


def transpose_conv_pads(out_hw, k_hw, stride, same: bool) -> tuple[int, int]:
    """(top, left) as TFLite Micro derives them: the padding of the forward convolution
    whose input is the transposed convolution's output (ComputePaddingHeightWidth)."""
    pads = []
    for size, k, s in zip(out_hw, k_hw, stride):
        fwd = (size + s - 1) // s if same else (size + s - k) // s
        pads.append(max((fwd - 1) * s + k - size, 0) // 2)
    return pads[0], pads[1]


def _transpose_conv(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options)
    w, x, y = c.weights(1), c.t(c.input(2)), c.t(c.output())
    bias = c.bias(3)
    c.require_rank(x, (4,), "input")
    c.require_rank(y, (4,), "output")
    c.require_rank(w, (4,), "weights")
    # TFLite Micro never reads the output-shape input (the output tensor's static shape
    # decides); a constant one must agree with it, a runtime one (a graph input, as in
    # TFLM's own SEANet tests) is ignored as TFLM ignores it
    given = c.t(c.input(0)) if c.input(0) else None
    if given is not None and given.is_const:
        shape = [int(v) for v in np.asarray(given.data).ravel()]
        if shape != list(y.shape):
            c.fail(f"output shape input {shape} is not the output's {list(y.shape)}",
                   unsupported=False)
    if o.Padding() not in (tflite.Padding.SAME, tflite.Padding.VALID):
        c.fail(f"unknown padding {o.Padding()} (SAME or VALID)", unsupported=False)
    stride = (int(o.StrideH()), int(o.StrideW()))
    if min(stride) < 1:
        c.fail(f"invalid stride {stride}", unsupported=False)
    pads = transpose_conv_pads(y.shape[1:3], w.shape[1:3], stride,
                               o.Padding() == tflite.Padding.SAME)
    c.add(spec.kind, (x.name, w.name, bias), stride=stride, pads=pads,
          act=c.act(o.FusedActivationFunction()))


def _batch_matmul(c: OpConverter, spec: OpSpec) -> None:
    o = c.options(spec.options, required=False)
    if o is not None and o.AsymmetricQuantizeInputs():
        c.fail("BATCH_MATMUL with asymmetric input quantization (hybrid)")
    c.add(spec.kind, (c.input(0), c.input(1)), adj_x=bool(o and o.AdjX()),
          adj_y=bool(o and o.AdjY()))


ROWS: dict[str, OpSpec] = {
    "TRANSPOSE_CONV": OpSpec("transpose_conv", _transpose_conv, tflite.TransposeConvOptions,
                             loaders=INT8_ONLY, n_inputs=(3, 4)),
    "BATCH_MATMUL": OpSpec("batch_matmul", _batch_matmul, tflite.BatchMatMulOptions,
                           loaders=INT8_ONLY, n_inputs=(2, 2)),
}
OPS.update(ROWS)
