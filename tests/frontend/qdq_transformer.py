"""A small transformer encoder layer written with the ONNX helper API (pre-norm: LayerNorm,
multi-head self-attention, residual, LayerNorm, GELU MLP, residual) and quantized by
onnxruntime's quantize_static in the QDQ format: the model of the QDQ transformer tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class _Graph:
    def __init__(self) -> None:
        self.nodes, self.inits = [], []

    def const(self, name: str, value) -> str:
        v = np.asarray(value)
        v = v.astype(np.float32) if v.dtype.kind == "f" else v
        self.inits.append(numpy_helper.from_array(v, name))
        return name

    def node(self, op: str, ins: list[str], out: str, **attrs) -> str:
        self.nodes.append(helper.make_node(op, ins, [out], name=out, **attrs))
        return out


def encoder(seq: int = 8, embed: int = 16, heads: int = 2, hidden: int = 32, seed: int = 0,
            gelu: str = "erf") -> onnx.ModelProto:
    """Float32 encoder layer [1, seq, embed] -> [1, seq, embed]; ``gelu``: "erf" (the
    exact GELU as torch exports it: Div, Erf, Add, Mul, Mul) or "op" (ONNX Gelu, opset 20)."""
    rng = np.random.default_rng(seed)
    d = embed // heads
    g = _Graph()

    def w(*shape):
        return (rng.standard_normal(shape) * 0.3).astype(np.float32)

    def linear(x: str, name: str, n_in: int, n_out: int) -> str:
        y = g.node("MatMul", [x, g.const(f"{name}_w", w(n_in, n_out))], f"{name}_mm")
        return g.node("Add", [y, g.const(f"{name}_b", w(n_out))], name)

    def norm(x: str, name: str) -> str:
        return g.node("LayerNormalization",
                      [x, g.const(f"{name}_g", 1 + 0.1 * rng.standard_normal(embed)),
                       g.const(f"{name}_b", 0.1 * rng.standard_normal(embed))],
                      name, axis=-1, epsilon=1e-5)

    heads_shape = g.const("heads_shape", np.array([1, seq, heads, d], np.int64))
    x = "x"
    h = norm(x, "ln1")
    q, k, v = (g.node("Reshape", [linear(h, n, embed, embed), heads_shape], f"{n}_r")
               for n in ("q", "k", "v"))
    q = g.node("Transpose", [q], "q_t", perm=[0, 2, 1, 3])
    k = g.node("Transpose", [k], "k_t", perm=[0, 2, 3, 1])
    v = g.node("Transpose", [v], "v_t", perm=[0, 2, 1, 3])
    s = g.node("Div", [g.node("MatMul", [q, k], "qk"), g.const("sqrt_d", np.sqrt(d))], "sc")
    o = g.node("MatMul", [g.node("Softmax", [s], "p", axis=-1), v], "pv")
    o = g.node("Transpose", [o], "pv_t", perm=[0, 2, 1, 3])
    o = g.node("Reshape", [o, g.const("seq_shape", np.array([1, seq, embed], np.int64))],
               "pv_r")
    r1 = g.node("Add", [linear(o, "proj", embed, embed), x], "res1")
    f = linear(norm(r1, "ln2"), "fc1", embed, hidden)
    if gelu == "erf":
        e = g.node("Erf", [g.node("Div", [f, g.const("sqrt2", np.sqrt(2))], "f_s")], "f_e")
        e = g.node("Add", [e, g.const("one", 1.0)], "f_e1")
        f = g.node("Mul", [g.node("Mul", [f, e], "f_m"), g.const("half", 0.5)], "gelu")
    else:
        f = g.node("Gelu", [f], "gelu")
    y = g.node("Add", [linear(f, "fc2", hidden, embed), r1], "y")
    graph = helper.make_graph(
        g.nodes, "encoder", [helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                                           [1, seq, embed])],
        [helper.make_tensor_value_info(y, TensorProto.FLOAT, [1, seq, embed])], g.inits)
    m = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 20 if gelu == "op"
                                                                     else 17)])
    m.ir_version = 9
    onnx.checker.check_model(m)
    return m


def quantized_encoder(folder: Path, **kw) -> Path:
    """``encoder(**kw)`` quantized by onnxruntime's quantize_static (QDQ, int8 activations
    and weights, per-tensor, calibrated on 16 seeded random inputs); returns its path."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    m = encoder(**kw)
    shape = [d.dim_value for d in m.graph.input[0].type.tensor_type.shape.dim]
    rng = np.random.default_rng(kw.get("seed", 0) + 100)

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.data = iter([{"x": rng.standard_normal(shape).astype(np.float32)}
                              for _ in range(16)])

        def get_next(self):
            return next(self.data, None)

    src, dst = folder / "encoder_float.onnx", folder / "encoder_qdq.onnx"
    onnx.save(m, src)
    quantize_static(str(src), str(dst), Reader(), quant_format=QuantFormat.QDQ,
                    activation_type=QuantType.QInt8, weight_type=QuantType.QInt8)
    return dst
