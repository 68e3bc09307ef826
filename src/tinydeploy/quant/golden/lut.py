"""lut: int8 -> int8 through a table of 256 output codes, indexed by the input code + 128.

What a float elementwise function between a DequantizeLinear and a QuantizeLinear (QDQ
models: onnxruntime's Erf or Gelu, a Div by a constant) computes is one output code per
input code: the frontend evaluates the function once per code, in float32 as onnxruntime
does, and the kernel looks the codes up.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register, require_same_size
from tinydeploy.quant.golden._integer import dtypes, require
from tinydeploy.quant.golden._lut8 import LutS8Args, run_lut


class LutArgs(LutS8Args):
    """The table kernel of the TFLite int8 ops (``td_lut_s8``), with the table given."""


def prepare(g: Graph, op: Op) -> LutArgs:
    require_same_size(g, op)
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    dtypes(op, x, ("int8",), "input")
    dtypes(op, y, ("int8",), "output")
    table = np.asarray(op.attrs["table"], dtype=np.int64).ravel()
    require(table.size == 256 and table.min() >= -128 and table.max() <= 127, op,
            "the table must hold 256 int8 codes")
    return LutArgs(x.size, table.astype(np.int8))


register("lut", prepare, lambda a, x: run_lut(a, x).reshape(-1), LutArgs)
