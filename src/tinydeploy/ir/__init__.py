"""The intermediate representation every frontend produces and every later stage reads."""

from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor

__all__ = ["Graph", "Op", "QuantParams", "Tensor"]
