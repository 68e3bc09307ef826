"""reshape: same bytes, new shape. No kernel: codegen aliases the output to the input.

``prepare`` only validates (same dtype and element count; TFLite's RESHAPE copies bytes
without rescaling, so quantization is carried over as is) and returns ``None``. ``run``
returns the bytes flat; the executor gives them the output tensor's shape.
"""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import UnsupportedError
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.quant.golden import register


def prepare(g: Graph, op: Op) -> None:
    x, y = g.t(op.inputs[0]), g.t(op.outputs[0])
    if x.dtype != y.dtype or x.size != y.size:
        raise UnsupportedError(f"reshape {x.shape} {x.dtype} -> {y.shape} {y.dtype} changes "
                               "the dtype or the element count", node=op.name)
    return None


def run(args: None, x: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(x).reshape(-1)


register("reshape", prepare, run)
