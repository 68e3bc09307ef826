"""Linear op kinds of TFLite models beyond CONV_2D / FULLY_CONNECTED: the transposed
convolution and the batched matrix product."""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import ACTIVATIONS, OpDef, register


def transpose_conv_macs(g: Graph, op: Op) -> int:
    return g.t(op.inputs[0]).size * int(np.prod(g.t(op.inputs[1]).shape[:3]))


register(OpDef("transpose_conv", ("x", "weight", "bias"),
               {"stride": "(sh, sw)",
                "pads": "(top, left): output rows/columns cut at the start",
                "act": "fused activation, one of " + ", ".join(ACTIVATIONS)},
               transpose_conv_macs,
               "NHWC transposed convolution, OHWI weights [C_out, KH, KW, C_in]: input "
               "pixel (iy, ix) adds w * x to output (iy * sh - top + ky, ix * sw - left + kx)"))


def batch_matmul_macs(g: Graph, op: Op) -> int:
    a = g.t(op.inputs[0])
    k = a.shape[-2] if op.attrs.get("adj_x") else a.shape[-1]
    return g.t(op.outputs[0]).size * int(k)


register(OpDef("batch_matmul", ("a", "b"),
               {"adj_x": "a is stored [.., K, M]", "adj_y": "b is stored [.., N, K]"},
               batch_matmul_macs,
               "y[.., m, n] = sum_k a[.., m, k] * b[.., k, n], batch dims broadcast"))
