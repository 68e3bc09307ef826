"""The forms other tools write an int8 QDQ file in (issue 14, point 6), as mutations of a
file onnxruntime's ``quantize_static`` wrote: quantization parameters as graph inputs with
initializers, as Constant / Identity chains and small constant arithmetic, a Flatten as
``Reshape(x, Concat(Gather(Shape(x)), -1))``, the IR 3 form (initializers that are not
graph inputs); and a DroNet-like float net whose head is picked apart by Gather / Slice.
Every mutation keeps the values bit for bit (scales are rebuilt with exact float32
arithmetic: powers of two, 2v - v), so onnxruntime's outputs do not change either.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

from tests.frontend.onnx_nets import X_SHAPE

Q_OPS = ("QuantizeLinear", "DequantizeLinear")


def copy(m: onnx.ModelProto) -> onnx.ModelProto:
    c = onnx.ModelProto()
    c.CopyFrom(m)
    return c


def param_names(m: onnx.ModelProto) -> list[str]:
    """Initializers read as scales / zero points (slots 1, 2 of Q/DQ), in file order."""
    used = {i for n in m.graph.node if n.op_type in Q_OPS for i in n.input[1:3]}
    return [t.name for t in m.graph.initializer if t.name in used]


def initializer(m: onnx.ModelProto, name: str) -> onnx.TensorProto:
    return next(t for t in m.graph.initializer if t.name == name)


def params_as_inputs(m: onnx.ModelProto) -> onnx.ModelProto:
    """Every scale / zero point also a graph input (IR >= 4: an input with a default)."""
    m = copy(m)
    for name in param_names(m):
        t = initializer(m, name)
        m.graph.input.append(helper.make_tensor_value_info(name, t.data_type, list(t.dims)))
    return m


def param_as_runtime_input(m: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """Scale ``name`` a graph input without an initializer (dynamic quantization)."""
    m = copy(m)
    t = initializer(m, name)
    m.graph.initializer.remove(t)
    m.graph.input.append(helper.make_tensor_value_info(name, t.data_type, list(t.dims)))
    return m


def param_computed_from_input(m: onnx.ModelProto, name: str) -> onnx.ModelProto:
    """Scale ``name`` = Mul(graph input 'k', its old value)."""
    m = copy(m)
    t = initializer(m, name)
    t.name = f"{name}_base"
    m.graph.input.append(helper.make_tensor_value_info("k", TensorProto.FLOAT, []))
    m.graph.node.insert(0, helper.make_node("Mul", ["k", t.name], [name], name="scale_k"))
    return m


def _chain(name: str, v: np.ndarray, form: int) -> list[onnx.NodeProto]:
    """Nodes computing the constant ``v`` as ``name`` in form ``form`` (mod 5), exactly."""
    n = helper.make_node

    def const(tag: str, value) -> tuple[str, onnx.NodeProto]:
        out = f"{name}_{tag}"
        return out, n("Constant", [], [out], value=numpy_helper.from_array(
            np.asarray(value), out))
    floats = v.dtype == np.float32
    form %= 5
    if form == 0:                                       # Constant -> Identity -> Identity
        c, k = const("c", v)
        return [k, n("Identity", [c], [f"{name}_i1"]), n("Identity", [f"{name}_i1"], [name])]
    if form == 1 and floats:                            # Mul(v / 2, 2)
        a, ka = const("half", (v / np.float32(2)).astype(np.float32))
        b, kb = const("two", np.float32(2))
        return [ka, kb, n("Mul", [a, b], [name])]
    if form == 1:                                       # Cast(int32 -> zero point dtype)
        c, k = const("i32", v.astype(np.int32))
        return [k, n("Cast", [c], [name], to=helper.np_dtype_to_tensor_dtype(v.dtype))]
    if form == 2 and floats:                            # Div(4v, 4)
        a, ka = const("x4", (v * np.float32(4)).astype(np.float32))
        b, kb = const("four", np.float32(4))
        return [ka, kb, n("Div", [a, b], [name])]
    if form == 3 and floats:                            # Sub(2v, v)
        a, ka = const("x2", (v * np.float32(2)).astype(np.float32))
        b, kb = const("x1", v)
        return [ka, kb, n("Sub", [a, b], [name])]
    if v.ndim == 1 and v.size >= 2:                     # Concat of two halves
        h = v.size // 2
        a, ka = const("lo", v[:h])
        b, kb = const("hi", v[h:])
        return [ka, kb, n("Concat", [a, b], [name], axis=0)]
    c, k = const("c", v.reshape(1, -1))                 # Reshape [1, n] -> Squeeze
    ax, kx = const("axes", np.array([0], np.int64))
    if v.ndim == 0:
        return [k, kx, n("Squeeze", [c, ax], [name])]
    shp, ks = const("shape", np.array(v.shape, np.int64))
    return [k, ks, n("Reshape", [c, shp], [name])]


def params_as_constant_chains(m: onnx.ModelProto) -> onnx.ModelProto:
    """Every scale / zero point computed by a chain of constant nodes (the five forms of
    :func:`_chain` in turn), and the Flatten as ``Reshape(x, Concat(Gather(Shape(x), 0),
    [-1]))`` (PyTorch's export of ``x.view(x.size(0), -1)``)."""
    m = copy(m)
    nodes = []
    for k, name in enumerate(param_names(m)):
        t = initializer(m, name)
        nodes += _chain(name, numpy_helper.to_array(t), k)
        m.graph.initializer.remove(t)
    flat = next(n for n in m.graph.node if n.op_type == "Flatten")
    x, y = flat.input[0], flat.output[0]
    n = helper.make_node
    reshape = [n("Shape", [x], ["fl_shape"]),
               n("Constant", [], ["fl_zero"], value=numpy_helper.from_array(
                   np.array([0], np.int64), "fl_zero")),
               n("Gather", ["fl_shape", "fl_zero"], ["fl_batch"], axis=0),
               n("Constant", [], ["fl_rest"], value=numpy_helper.from_array(
                   np.array([-1], np.int64), "fl_rest")),
               n("Concat", ["fl_batch", "fl_rest"], ["fl_target"], axis=0),
               n("Reshape", [x, "fl_target"], [y], name=flat.name)]
    body = []
    for node in m.graph.node:
        body += reshape if node is flat else [node]
    del m.graph.node[:]
    m.graph.node.extend(nodes + body)
    return m


def ir3(m: onnx.ModelProto) -> onnx.ModelProto:
    """IR version 3 with initializers that are not graph inputs (onnx.checker refuses,
    onnxruntime runs it); unused initializers dropped (onnxruntime refuses those in IR 3)."""
    m = copy(m)
    m.ir_version = 3
    used = {i for node in m.graph.node for i in node.input}
    keep = [t for t in m.graph.initializer if t.name in used]
    del m.graph.initializer[:]
    m.graph.initializer.extend(keep)
    inits = {t.name for t in keep}
    assert not inits & {i.name for i in m.graph.input}
    return m


def dronet_float(path: Path, seed: int = 0) -> Path:
    """A float DroNet-like net: conv 3x3 (8) + relu -> Gather channels [0, 2, 4, 6, 7]
    (a 4-D value held NHWC) -> conv 1x1 (6) + relu -> Slice of the last dim (W 1:7:2) ->
    global average pool -> flatten -> Gemm (2) = head; outputs: ``steer`` = Gather(head,
    0, axis 1) [1], ``coll`` = Sigmoid(Slice(head, 1:2, axis 1)) [1, 1], ``rev`` =
    Slice(head, -1::-1 on the last dim) [1, 2], and the head itself."""
    rng = np.random.default_rng(seed)

    def init(name, value):
        return numpy_helper.from_array(np.asarray(value), name)
    i64 = np.int64
    inits = [init("w1", rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32)),
             init("b1", rng.normal(0, 0.1, 8).astype(np.float32)),
             init("w2", rng.normal(0, 0.3, (6, 5, 1, 1)).astype(np.float32)),
             init("b2", rng.normal(0, 0.1, 6).astype(np.float32)),
             init("fw", rng.normal(0, 0.4, (2, 6)).astype(np.float32)),
             init("fb", rng.normal(0, 0.1, 2).astype(np.float32)),
             init("ch", np.array([0, 2, 4, 6, 7], i64)), init("i0", np.array(0, i64)),
             init("w_st", np.array([1], i64)), init("w_en", np.array([7], i64)),
             init("w_ax", np.array([3], i64)), init("w_sp", np.array([2], i64)),
             init("c_st", np.array([1], i64)), init("c_en", np.array([2], i64)),
             init("ax1", np.array([1], i64)), init("r_st", np.array([-1], i64)),
             init("r_en", np.array([-(2**63)], i64)), init("r_sp", np.array([-1], i64))]
    n = helper.make_node
    nodes = [n("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
             n("Relu", ["c1"], ["r1"], name="relu1"),
             n("Gather", ["r1", "ch"], ["sel"], name="pick_channels", axis=1),
             n("Conv", ["sel", "w2", "b2"], ["c2"], name="conv2"),
             n("Relu", ["c2"], ["r2"], name="relu2"),
             n("Slice", ["r2", "w_st", "w_en", "w_ax", "w_sp"], ["cols"], name="pick_cols"),
             n("GlobalAveragePool", ["cols"], ["g"], name="gap"),
             n("Flatten", ["g"], ["f"], name="flatten"),
             n("Gemm", ["f", "fw", "fb"], ["head"], name="fc", transB=1),
             n("Gather", ["head", "i0"], ["steer"], name="pick_steer", axis=1),
             n("Slice", ["head", "c_st", "c_en", "ax1"], ["cl"], name="pick_coll"),
             n("Sigmoid", ["cl"], ["coll"], name="sigmoid"),
             n("Slice", ["head", "r_st", "r_en", "ax1", "r_sp"], ["rev"], name="reverse")]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, list(X_SHAPE))
    outs = [helper.make_tensor_value_info(o, TensorProto.FLOAT, s)
            for o, s in (("steer", [1]), ("coll", [1, 1]), ("rev", [1, 2]), ("head", [1, 2]))]
    model = helper.make_model(helper.make_graph(nodes, "dronet", [x], outs, inits),
                              opset_imports=[helper.make_opsetid("", 13)], ir_version=8)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return path
