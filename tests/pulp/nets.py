"""Small integer-deployable ONNX graphs written the way NEMO / QuantLab / Deeploy export them,
plus variants (extra Cast/Identity, reordered Mul/Add) a chain importer must not trip on.

Every builder returns an ``onnx.ModelProto``; weights, kappa/lambda and multipliers are
seeded random integers sized so the float32 graph rounds where real exports do (products
beyond 2**24), which the requant op must reproduce.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class G:
    """A tiny graph writer: ``g.node(op, inputs, **attrs)`` returns the output name."""

    def __init__(self, opset: int = 9):
        self.nodes, self.inits, self.opset, self.n = [], [], opset, 0

    def const(self, value, dtype=np.float32) -> str:
        name = f"c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(value, dtype=dtype), name))
        return name

    def node(self, op: str, inputs, name: str | None = None, **attrs) -> str:
        self.n += 1
        out = f"t{self.n}"
        self.nodes.append(helper.make_node(op, list(inputs), [out], name=name or f"{op}_{self.n}",
                                           **attrs))
        return out

    def model(self, x_shape, outputs: list[str], domain_ops: bool = False) -> onnx.ModelProto:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(x_shape))
        outs = [helper.make_empty_tensor_value_info(o) for o in outputs]
        g = helper.make_graph(self.nodes, "net", [x], outs, self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)],
                              producer_name="tests")
        m.ir_version = 7
        return m


def conv(g: G, x: str, rng, cin: int, cout: int, k: int = 3, group: int = 1,
         pad: int = 1) -> str:
    w = rng.integers(-60, 61, size=(cout, cin // group, k, k)).astype(np.float32)
    b = rng.integers(-300, 300, size=cout).astype(np.float32)
    return g.node("Conv", [x, g.const(w), g.const(b)], kernel_shape=[k, k],
                  pads=[pad] * 4, strides=[1, 1], group=group)


def nemo_requant(g: G, acc: str, rng, c: int, *, extra_cast=False, identity=False,
                 add_first=False, commuted=False, div: int = 2**24) -> str:
    """NEMO: Mul kappa -> Add lambda -> Cast int64 -> Mul m -> Div D -> Cast -> Clip."""
    kappa = rng.integers(200, 2047, size=(1, c, 1, 1)).astype(np.float32)
    lam = rng.integers(-2**22, 2**22, size=(1, c, 1, 1)).astype(np.float32)
    if add_first:                        # (acc + lambda') * kappa: same kind of chain
        v = g.node("Add", [acc, g.const(np.round(lam / kappa))])
        v = g.node("Mul", [v, g.const(kappa)] if commuted else [g.const(kappa), v])
    else:
        v = g.node("Mul", [acc, g.const(kappa)] if commuted else [g.const(kappa), acc])
        v = g.node("Add", [v, g.const(lam)])
    if identity:
        v = g.node("Identity", [v])
    if extra_cast:
        v = g.node("Cast", [v], to=TensorProto.FLOAT)
    v = g.node("Cast", [v], to=TensorProto.INT64)
    v = g.node("Mul", [v, g.const([int(rng.integers(20, 60))], np.int64)])
    v = g.node("Div", [v, g.const(div, np.int64)])
    v = g.node("Cast", [v], to=TensorProto.INT64)
    if identity:
        v = g.node("Identity", [v])
    v = g.node("Cast", [v], to=TensorProto.FLOAT)
    return g.node("Clip", [v], min=0.0, max=255.0)


def nemo_net(seed: int = 0, **variant) -> onnx.ModelProto:
    """conv -> requant -> depthwise -> requant -> residual add -> conv -> requant -> avgpool
    chain -> Flatten -> Gemm (raw int32 output) -> LogSoftmax (float head)."""
    rng = np.random.default_rng(seed)
    g = G(9)
    a = nemo_requant(g, conv(g, "x", rng, 3, 8), rng, 8, **variant)
    b = nemo_requant(g, conv(g, a, rng, 8, 8, group=8), rng, 8, **variant)
    s = g.node("Add", [g.node("Mul", [b, g.const(16.0)]), g.node("Mul", [a, g.const(16.0)])])
    s = g.node("Floor", [g.node("Div", [s, g.const(32.0)])])
    c = nemo_requant(g, conv(g, s, rng, 8, 6), rng, 6, **variant)
    p = g.node("AveragePool", [c], kernel_shape=[2, 2], strides=[2, 2])
    p = g.node("Floor", [g.node("Div", [g.node("Mul", [g.node("Mul", [p, g.const(4.0)]),
                                                       g.const(29.0)]), g.const(128.0)])])
    f = g.node("Flatten", [p], axis=1)
    w = rng.integers(-50, 50, size=(5, 6 * 3 * 3)).astype(np.float32)
    y = g.node("Gemm", [f, g.const(w), g.const(rng.integers(-99, 99, 5).astype(np.float32))],
               transB=1)
    return g.model((1, 3, 6, 6), [g.node("LogSoftmax", [y], axis=1)])


def quantlab_net(seed: int = 0) -> onnx.ModelProto:
    """QuantLab: Conv -> Mul -> Add -> Div 2^d -> Floor -> Clip, annotated ops, MaxPool."""
    rng = np.random.default_rng(seed)
    g = G(10)
    acc = conv(g, "x", rng, 4, 8)
    g.nodes[-1].attribute.extend([helper.make_attribute("weight_bits", 8)])
    m = rng.integers(2**16, 2**18, size=(8, 1, 1)).astype(np.float32)
    v = g.node("Mul", [acc, g.const(m)], mult_bits=32)
    v = g.node("Add", [v, g.const(rng.integers(-2**24, 2**24, size=(8, 1, 1)).astype(
        np.float32))], add_bits=32)
    v = g.node("Floor", [g.node("Div", [v, g.const(2.0**22)])])
    v = g.node("Clip", [v], min=0.0, max=15.0, out_bits=4)
    v = g.node("MaxPool", [v], kernel_shape=[2, 2], strides=[2, 2])
    return g.model((1, 4, 8, 8), [g.node("Flatten", [v], axis=1)])


def requant_shift(g: G, acc: str, rng, c: int, lo: int = 100, hi: int = 600) -> str:
    mul = g.const(rng.integers(lo, hi, size=(1, c, 1, 1)), np.int32)
    add = g.const(rng.integers(-2**20, 2**20, size=(1, c, 1, 1)), np.int32)
    return g.node("RequantShift", [acc, mul, add],
                  div=helper.make_tensor("d", TensorProto.FLOAT, [], [2.0**16]),
                  n_levels_out=helper.make_tensor("n", TensorProto.FLOAT, [1], [256.0]),
                  signed=helper.make_tensor("s", TensorProto.FLOAT, [1], [1.0]))


def deeploy_net(seed: int = 0, residual: bool = False) -> onnx.ModelProto:
    """Deeploy: Conv -> RequantShift(mul, add; div, n_levels_out, signed); with
    ``residual``, a second conv and an Add of both branches, requantized again."""
    rng = np.random.default_rng(seed)
    g = G(13)
    y = requant_shift(g, conv(g, "x", rng, 3, 4), rng, 4)
    if residual:
        z = requant_shift(g, conv(g, y, rng, 4, 4), rng, 4, 3000, 9000)
        y = requant_shift(g, g.node("Add", [y, z]), rng, 4, 2**15, 2**16)
    return g.model((1, 3, 6, 6), [y])


def float_div_net(seed: int = 0) -> onnx.ModelProto:
    """Not reducible: Floor(x / 3) in float32 of values beyond 2**24 (the quotient rounds)."""
    rng = np.random.default_rng(seed)
    g = G(9)
    acc = conv(g, "x", rng, 3, 4)
    v = g.node("Mul", [acc, g.const(np.full((1, 4, 1, 1), 1500.0, np.float32))], name="scale")
    v = g.node("Floor", [g.node("Div", [v, g.const(3.0)], name="div_by_3")], name="floor")
    v = g.node("Clip", [g.node("Div", [v, g.const(2.0**16)])], min=0.0, max=255.0)
    return g.model((1, 3, 6, 6), [g.node("Floor", [v])])


def not_integer_net(seed: int = 0) -> onnx.ModelProto:
    """Not reducible: after a proper NEMO layer, a Mul by 0.3 whose result reaches the next
    Conv unrounded."""
    rng = np.random.default_rng(seed)
    g = G(9)
    a = nemo_requant(g, conv(g, "x", rng, 3, 4), rng, 4)
    v = g.node("Mul", [conv(g, a, rng, 4, 4), g.const(0.3)], name="scale_by_0.3")
    return g.model((1, 3, 6, 6), [conv(g, v, rng, 4, 2)])


def wide_requant_net(seed: int = 0) -> onnx.ModelProto:
    """Gemm -> Mul (~2**17) -> Add -> Div 2**6 -> Floor, unclamped: the float32 products
    (~2**35) round by far more than the quotient step, on almost every input."""
    rng = np.random.default_rng(seed)
    g = G(11)
    w = rng.integers(-60, 61, size=(32, 16)).astype(np.float32)
    acc = g.node("Gemm", ["x", g.const(w)], transB=1)     # opset 11: bias optional
    v = g.node("Mul", [acc, g.const(rng.integers(2**16, 2**17, size=32).astype(np.float32))])
    v = g.node("Add", [v, g.const(rng.integers(-2**20, 2**20, size=32).astype(np.float32))])
    return g.model((1, 16), [g.node("Floor", [g.node("Div", [v, g.const(64.0)])])])


def tcn_net(seed: int = 0) -> onnx.ModelProto:
    """TCN-like, opset 13: dilated 1-D convs on [N, C, L], Clip with bound inputs, Relu,
    GlobalAveragePool, Reshape, Gemm."""
    rng = np.random.default_rng(seed)
    g = G(13)
    v = "x"
    for cin, cout, dil in ((4, 6, 2), (6, 6, 4)):
        w = rng.integers(-60, 61, size=(cout, cin, 3)).astype(np.float32)
        v = g.node("Conv", [v, g.const(w)], kernel_shape=[3], dilations=[dil],
                   pads=[2 * dil, 0], strides=[1])
        v = g.node("Mul", [v, g.const(rng.integers(1, 900, size=(cout, 1)).astype(np.float32))])
        v = g.node("Add", [v, g.const(rng.integers(-2**18, 2**18, size=(cout, 1)).astype(
            np.float32))])
        v = g.node("Relu", [g.node("Floor", [g.node("Div", [v, g.const(2.0**13)])])])
        v = g.node("Clip", [v, g.const(0.0), g.const(127.0)])
    v = g.node("GlobalAveragePool", [v])
    v = g.node("Floor", [g.node("Div", [g.node("Mul", [v, g.const(32.0)]), g.const(8.0)])])
    v = g.node("Reshape", [v, g.const([1, -1], np.int64)])
    w = rng.integers(-60, 61, size=(3, 6)).astype(np.float32)
    return g.model((1, 4, 32), [g.node("Gemm", [v, g.const(w)], transB=1)])


def mid_sigmoid_net(seed: int = 0) -> onnx.ModelProto:
    """A float Sigmoid between two integer layers: not a head, not integer arithmetic."""
    rng = np.random.default_rng(seed)
    g = G(9)
    a = nemo_requant(g, conv(g, "x", rng, 3, 4), rng, 4)
    v = g.node("Sigmoid", [a], name="mid_sigmoid")
    return g.model((1, 3, 6, 6), [conv(g, v, rng, 4, 2)])
