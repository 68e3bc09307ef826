"""ONNX frontend: demo model, KWS mirror, onnxruntime-quantized nets, QDQ variants, errors.

References: onnxruntime (every layer within 1 LSB; see onnx_compare for why whole networks
drift further), TFLite Micro (the KWS mirror's golden must equal it bit for bit) and the
TFLite frontend (same integers, same IR semantics).
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.conftest import model_path
from tests.frontend import onnx_nets as nets
from tests.frontend.onnx_compare import end_to_end, per_layer, random_records
from tinydeploy.demo import make_demo_model
from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.passes import run_passes
from tinydeploy.quant.requant import activation_range
from tinydeploy.quant.execute import run_graph

N_INPUTS = 10
CONV_KINDS = ("conv2d", "fully_connected")


def _check_layers(g, path, tmp_path, expect_compared: set[str]) -> dict:
    stats = per_layer(g, path, random_records(g, N_INPUTS, seed=1), tmp_path)
    for name, (worst, exact) in stats.items():
        print(f"  {name}: max {worst} LSB, {100 * exact:.2f}% exact")
    assert expect_compared <= set(stats), f"layers not compared: {expect_compared - set(stats)}"
    assert max(w for w, _ in stats.values()) <= 1
    kinds = {op.outputs[0]: op.kind for op in g.ops}
    for name, (_, exact) in stats.items():
        # Others differ more often (never by more than 1 LSB): TFLite's MEAN folds 1/count
        # into a multiplier with few fraction bits, logistic/softmax use fixed-point
        # exp and TFLite's output scale then a requantize, a rescaling average pool is
        # a depthwise conv with weight scale 1/(kh*kw).
        assert exact >= (0.95 if kinds[name] in CONV_KINDS else 0.6), name
    return stats


def _e2e(g, path, label: str) -> tuple[float, float]:
    worst, exact = end_to_end(g, path, random_records(g, N_INPUTS, seed=2))
    print(f"{label}: golden vs onnxruntime, {N_INPUTS} inputs: max |diff| {worst:g} LSB, "
          f"{100 * exact:.1f}% identical")
    return worst, exact


def _fused(path):
    """The imported graph after the passes: each QDQ conv / fc is imported as an int32
    accumulator + a one-rounding requant (the QDQ graph's arithmetic), one op again after
    fuse_requant, named and shaped as the ONNX layer."""
    return run_passes(load_onnx(path))


def _act_clip(g, op, act: str) -> bool:
    """The fused requant of ``op`` clamps as the activation ``act`` does."""
    y = g.t(op.outputs[0])
    lo, hi = activation_range(act, y.quant.s, y.quant.zp)
    return tuple(op.attrs["requant"].attrs["clip"]) == (lo - y.quant.zp, hi - y.quant.zp)


# -- demo model ----------------------------------------------------------------------------
@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    path = make_demo_model(tmp_path_factory.mktemp("demo") / "demo.onnx", seed=0)
    return path, _fused(path)


def test_demo_model_imports_as_ds_cnn(demo):
    path, g = demo
    kinds = [op.kind for op in g.ops]
    assert kinds == ["quantize", "reshape", "conv2d"] + ["depthwise_conv2d", "conv2d"] * 4 + \
        ["mean", "reshape", "fully_connected", "dequantize"]
    assert all(_act_clip(g, op, "relu") for op in g.ops if op.kind.endswith("conv2d"))
    assert g.t(g.inputs[0]).shape == (1, 1, 49, 10) and g.t(g.inputs[0]).dtype == "float32"
    assert g.t(g.outputs[0]).shape == (1, 12) and g.t(g.outputs[0]).dtype == "float32"
    params = sum(t.size for t in g.tensors.values() if t.is_const)
    assert 20_000 <= params <= 50_000
    m = onnx.load(path)
    assert {n.op_type for n in m.graph.node} >= {"QuantizeLinear", "DequantizeLinear", "Conv"}


def test_demo_model_each_layer_within_one_lsb_of_onnxruntime(demo, tmp_path):
    path, g = demo
    convs = {op.outputs[0] for op in g.ops if op.kind.endswith("conv2d")}
    _check_layers(g, path, tmp_path, convs | {"pool_q", "fc_q"})


def test_demo_model_end_to_end_vs_onnxruntime(demo):
    path, g = demo
    worst, exact = _e2e(g, path, "demo")
    # 10 requantizing layers, each within 1 LSB on ~0.5% of its outputs (asserted above);
    # the average pool absorbs most of that, what is left is at most 2 LSB of the scores.
    assert worst <= 2 and exact >= 0.6


# -- KWS mirror (QOperator) -----------------------------------------------------------------
@pytest.fixture(scope="module")
def kws(tmp_path_factory):
    from tests.onnx_mirror import kws_to_qoperator_onnx

    tfl = model_path("kws_dscnn_int8.tflite")
    path = kws_to_qoperator_onnx(tfl, tmp_path_factory.mktemp("kws") / "kws_qop.onnx")
    return tfl, path, load_onnx(path)


def test_kws_mirror_is_qoperator_and_imports_like_tflite(kws):
    from tinydeploy.frontend.tflite import load_tflite

    tfl, path, g = kws
    ops = {n.op_type for n in onnx.load(path).graph.node}
    assert {"QLinearConv", "QLinearAveragePool", "QGemm", "QLinearSoftmax"} <= ops
    assert not ops & {"Conv", "QuantizeLinear", "DequantizeLinear"}
    ref = load_tflite(tfl)
    assert [op.kind for op in g.ops if op.kind != "reshape"] == \
        [op.kind for op in ref.ops if op.kind != "reshape"]


def test_kws_mirror_golden_equals_tflite_micro_bit_exact(kws):
    from tests.tflite_writer import run_tflm

    tfl, _, g = kws
    data = tfl.read_bytes()
    for rec in random_records(g, N_INPUTS, seed=3):
        want = run_tflm(data, [rec[0].reshape(1, 49, 10, 1)])[0]
        got = run_graph(g, rec)[g.outputs[0]]
        np.testing.assert_array_equal(got, want.reshape(got.shape))


def test_kws_mirror_each_layer_within_one_lsb_of_onnxruntime(kws, tmp_path):
    _, path, g = kws
    layers = {op.outputs[0] for op in g.ops if op.kind != "reshape"}
    _check_layers(g, path, tmp_path, layers)


def test_kws_mirror_end_to_end_vs_onnxruntime(kws):
    _, path, g = kws
    worst, exact = _e2e(g, path, "kws mirror")
    # softmax output: a 1-LSB logit difference moves a probability by up to
    # 256 * p(1-p) * s_logit LSBs, so only the identical fraction is a useful check here.
    assert exact >= 0.9


# -- models quantized by onnxruntime --------------------------------------------------------
NETS = {
    "residual": (nets.float_net, {"conv2d", "depthwise_conv2d", "add", "max_pool2d", "mean",
                                  "fully_connected", "softmax"}),
    "more_ops": (nets.float_net_more_ops, {"conv2d", "logistic", "mul",
                                           "max_pool2d", "concat", "pad", "reshape",
                                           "fully_connected", "add"}),
}


@pytest.mark.parametrize("net", sorted(NETS))
@pytest.mark.parametrize("fmt,act_type", [("QOperator", "QUInt8"), ("QOperator", "QInt8"),
                                          ("QDQ", "QInt8"), ("QDQ", "QUInt8")])
def test_onnxruntime_quantized_net_each_layer_within_one_lsb(tmp_path, net, fmt, act_type):
    build, kinds = NETS[net]
    path = nets.ort_quantize(build(tmp_path / "float.onnx"), tmp_path / "q.onnx", fmt,
                             act_type)
    g = load_onnx(path)
    assert kinds <= {op.kind for op in g.ops}, [op.kind for op in g.ops]
    assert g.t(g.inputs[0]).dtype == "float32" and g.t(g.outputs[0]).dtype == "float32"
    stats = _check_layers(g, path, tmp_path, set())
    assert len(stats) >= 6, "too few layers compared"
    _e2e(g, path, f"onnxruntime {net} {fmt} {act_type}")


# -- QDQ robustness -------------------------------------------------------------------------
def _kinds_and_acts(g):
    return [(op.kind, op.attrs.get("act")) for op in g.ops]


@pytest.mark.parametrize("variant,act", [
    (dict(extra="identity"), "relu"), (dict(extra="cast"), "relu"),
    (dict(act="clip6"), "relu6"), (dict(uint8=True), "relu")])
def test_qdq_variants_import_to_the_same_ir(tmp_path, variant, act):
    base = _fused(nets.small_qdq(tmp_path / "base.onnx"))
    path = nets.small_qdq(tmp_path / "v.onnx", **variant)
    g = _fused(path)
    assert [k for k, _ in _kinds_and_acts(g)] == [k for k, _ in _kinds_and_acts(base)]
    assert [op.kind for op in base.ops] == ["quantize", "transpose", "conv2d", "mean",
                                            "reshape", "fully_connected", "dequantize"]
    assert _act_clip(g, next(op for op in g.ops if op.kind == "conv2d"), act)
    worst, _ = _e2e(g, path, f"small qdq {variant}")
    assert worst <= 1


def test_uint8_activations_are_int8_inside(tmp_path):
    g = load_onnx(nets.small_qdq(tmp_path / "u8.onnx", uint8=True))
    ref = load_onnx(nets.small_qdq(tmp_path / "s8.onnx"))
    for a, b in zip(g.ops, ref.ops):
        for n, m in zip(a.outputs, b.outputs):
            ta, tb = g.t(n), ref.t(m)
            assert ta.dtype == tb.dtype
            if ta.dtype == "int8":    # same reals: zero points shifted by exactly 128
                assert ta.quant.s == tb.quant.s and ta.quant.zp == tb.quant.zp


def test_qoperator_uint8_edges_and_nchw_flatten(tmp_path):
    path = nets.qop_net(tmp_path / "qop.onnx")
    g = load_onnx(path)
    assert [g.t(n).dtype for n in (*g.inputs, *g.outputs)] == ["uint8", "uint8", "uint8"]
    assert g.t("z").shape == (1, 4, 1, 1) and g.outputs == ["y", "z"]
    flat = next(op for op in g.ops if op.name == "f")
    assert g.producer(flat.inputs[0]).kind == "transpose"   # back to NCHW before Flatten
    assert g.ops[0].kind == "quantize" and g.ops[-1].kind == "quantize"
    worst, _ = _e2e(g, path, "hand-written QOperator")
    assert worst <= 1


def test_qdq_reduce_mean_squeeze_tanh_and_matmul_add_bias(tmp_path):
    path = nets.qdq_tail_ops(tmp_path / "tail.onnx")
    g = _fused(path)
    assert [op.kind for op in g.ops] == ["quantize", "transpose", "conv2d", "mean", "tanh",
                                         "fully_connected"]
    conv, mean, fc = (next(op for op in g.ops if op.kind == k)
                      for k in ("conv2d", "mean", "fully_connected"))
    assert conv.attrs["pads"] == (0, 0, 1, 1)                  # SAME_UPPER, stride 2
    assert mean.attrs == {"axes": (1, 2), "keepdims": False}   # H, W of NHWC
    assert fc.inputs[2] and _act_clip(g, fc, "relu6")         # Add fused as bias, Clip
    assert g.t(g.outputs[0]).dtype == "int8"
    worst, _ = _e2e(g, path, "qdq tail ops")
    assert worst <= 1


# -- errors ---------------------------------------------------------------------------------
def _err(path, cls=TinyDeployError) -> str:
    with pytest.raises(cls) as e:
        load_onnx(path)
    msg = str(e.value)
    assert str(path) in msg, msg
    return msg


def test_corrupt_file_is_an_error(tmp_path):
    p = tmp_path / "garbage.onnx"
    p.write_bytes(np.random.default_rng(0).integers(0, 256, 3000).astype(np.uint8).tobytes())
    assert "not a valid ONNX file" in _err(p)


def test_truncated_file_is_an_error(tmp_path):
    full = make_demo_model(tmp_path / "full.onnx").read_bytes()
    p = tmp_path / "truncated.onnx"
    p.write_bytes(full[: len(full) // 2])
    assert "ONNX" in _err(p)


def test_dynamic_dimension_names_the_tensor(tmp_path):
    p = nets.small_qdq(tmp_path / "dyn.onnx")
    m = onnx.load(p)
    m.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "H"
    onnx.save(m, p)
    msg = _err(p)
    assert "'x'" in msg and "dynamic" in msg and "'H'" in msg


def test_symbolic_batch_is_fixed_to_one_with_a_note(tmp_path):
    p = nets.small_qdq(tmp_path / "batch.onnx")
    m = onnx.load(p)
    m.graph.input[0].type.tensor_type.shape.dim[0].dim_param = "N"
    onnx.save(m, p)
    g = load_onnx(p)
    assert g.t("x").shape == (1, 3, 8, 8)
    assert any("'N'" in note and "1" in note for note in g.meta["notes"])


def test_unsupported_operator_names_node_and_op(tmp_path):
    p = nets.small_qdq(tmp_path / "lstm.onnx")
    m = onnx.load(p)
    relu = next(n for n in m.graph.node if n.op_type == "Relu")
    relu.op_type, relu.name = "Hardmax", "conv3"
    onnx.save(m, p)
    msg = _err(p, UnsupportedError)
    assert msg == f"{p}: node 'conv3' (Hardmax): unsupported operator Hardmax"


def test_float_model_without_quantization_is_a_float32_graph(tmp_path):
    """(issue 12: no longer "quantize it first") the float32 importer, ONNX layout, convs
    and pools in NHWC between transposes."""
    g = load_onnx(nets.float_net(tmp_path / "float.onnx"))
    assert all(t.dtype == "float32" for t in g.tensors.values())
    assert {"conv2d", "depthwise_conv2d", "max_pool2d", "reduce", "matmul", "softmax",
            "unary", "add"} <= {op.kind for op in g.ops}
    assert g.t(g.inputs[0]).shape == (1, 3, 8, 8) and g.meta["float"]


def test_unsupported_float_operator_names_node_and_op(tmp_path):
    p = nets.float_net(tmp_path / "float.onnx")
    m = onnx.load(p)
    relu = next(n for n in m.graph.node if n.op_type == "Relu")
    relu.op_type, relu.name = "Hardmax", "head"
    onnx.save(m, p)
    msg = _err(p, UnsupportedError)
    assert msg == f"{p}: node 'head' (Hardmax): unsupported operator Hardmax in a float32 graph"


def test_int16_qdq_is_an_unsupported_dtype(tmp_path):
    p = nets.small_qdq(tmp_path / "i16.onnx")
    m = onnx.load(p)
    for init in m.graph.initializer:
        if init.name == "z_x":
            init.CopyFrom(numpy_helper.from_array(np.int16(3), "z_x"))
    onnx.save(m, p)
    msg = _err(p, UnsupportedError)
    assert "int16" in msg and "node 'q_x' (QuantizeLinear)" in msg


def test_unquantized_float_op_output_names_the_node(tmp_path):
    p = nets.small_qdq(tmp_path / "noq.onnx")
    m = onnx.load(p)
    keep = [n for n in m.graph.node if n.name not in ("q_y", "dq_y")]
    keep[-1].output[0] = "y"       # Gemm writes the float graph output directly
    del m.graph.node[:]
    m.graph.node.extend(keep)
    onnx.save(m, p)
    msg = _err(p)
    assert "node 'fc' (Gemm)" in msg and "not quantized" in msg


def test_grouped_convolution_is_unsupported(tmp_path):
    x = helper.make_tensor_value_info("x", TensorProto.INT8, [1, 4, 5, 5])
    y = helper.make_tensor_value_info("y", TensorProto.INT8, [1, 4, 5, 5])
    inits = [numpy_helper.from_array(v, n) for n, v in [
        ("s", np.float32(0.1)), ("z", np.int8(0)), ("w", np.ones((4, 2, 3, 3), np.int8)),
        ("ws", np.float32(0.01)), ("wz", np.int8(0))]]
    node = helper.make_node("QLinearConv", ["x", "s", "z", "w", "ws", "wz", "s", "z"], ["y"],
                            name="gconv", group=2, pads=[1, 1, 1, 1])
    m = helper.make_model(helper.make_graph([node], "g", [x], [y], inits), ir_version=8,
                          opset_imports=[helper.make_opsetid("", 17)])
    onnx.save(m, tmp_path / "g.onnx")
    assert "grouped convolution" in _err(tmp_path / "g.onnx", UnsupportedError)
