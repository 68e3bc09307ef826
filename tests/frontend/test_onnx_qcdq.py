"""QCDQ (QuantizeLinear -> Clip -> DequantizeLinear, Brevitas' ONNX export) built with
onnx.helper, so the importer's support is tested without PyTorch/Brevitas
(tests/interop/test_pytorch.py exports real Brevitas models).

The net: x -> Q int8 -> Clip(-64, 63) -> DQ (the input quantize: maximum/minimum clamp)
-> Conv [weights Q(float) -> Clip(-8, 7) -> DQ: int4] -> Relu -> Q uint8 -> Clip(0, 15)
-> DQ (uint4: the conv writes it packed) -> Conv [int8 weights -> Clip(-7, 7): int4] ->
Q int8 -> Clip(-100, 100) -> DQ (int8, clamped) -> GlobalAveragePool -> Q -> DQ -> y.
The C (ASan/UBSan) is the golden of the imported graph bit for bit; vs onnxruntime the
sub-byte layers requantize with TFLite's two roundings (onnxruntime: one, in float), as in
tests/quantize/test_mixed.py, so agreement is an SQNR bound, not bytes.
"""

from __future__ import annotations

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.harness import run_c_graph_many
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.report import sqnr_db

pytestmark = pytest.mark.cc
N = 8


def _init(inits, name, value):
    inits.append(numpy_helper.from_array(np.asarray(value), name))
    return name


def qcdq_net(path, *, act_clip=(0, 15), w_clip=((-8, 7), (-7, 7)), out_to_graph=False,
             dq_scale=None):
    rng = np.random.default_rng(3)
    inits, n = [], helper.make_node
    i = lambda name, v: _init(inits, name, v)       # noqa: E731
    nodes = [
        n("QuantizeLinear", ["x", i("xs", np.float32(0.03)), i("xz", np.int8(0))], ["xq"]),
        n("Clip", ["xq", i("x_lo", np.int8(-64)), i("x_hi", np.int8(63))], ["xc"],
          name="x_clip"),
        n("DequantizeLinear", ["xc", "xs", "xz"], ["xd"]),
        # weights 1: float -> QuantizeLinear -> Clip(-8, 7) -> DequantizeLinear
        n("QuantizeLinear", [i("w1f", rng.normal(0, 0.1, (6, 3, 3, 3)).astype(np.float32)),
                             i("w1s", np.float32(0.02)), i("w1z", np.int8(0))], ["w1q"]),
        n("Clip", ["w1q", i("w_lo4", np.int8(w_clip[0][0])),
                      i("w_hi4", np.int8(w_clip[0][1]))], ["w1c"]),
        n("DequantizeLinear", ["w1c", "w1s", "w1z"], ["w1"]),
        n("Conv", ["xd", "w1", i("b1", rng.normal(0, 0.1, 6).astype(np.float32))], ["c1"],
          pads=[1, 1, 1, 1], name="conv1"),
        n("Relu", ["c1"], ["r1"]),
        n("QuantizeLinear", ["r1", i("a1s", np.float32(0.05)), i("a1z", np.uint8(0))],
          ["a1q"], name="a1_quant"),
        n("Clip", ["a1q", i("a_lo", np.uint8(act_clip[0])), i("a_hi", np.uint8(act_clip[1]))],
          ["a1c"], name="a1_clip"),
        n("DequantizeLinear", ["a1c", i("a1s_dq", np.float32(dq_scale or 0.05)), "a1z"],
          ["a1"], name="a1_dequant"),
        # weights 2: an int8 initializer -> Clip(-7, 7) (narrow-range 4-bit)
        n("Clip", [i("w2q", rng.integers(-20, 20, (5, 6, 3, 3)).astype(np.int8)),
                   i("w_lo", np.int8(w_clip[1][0])),
                   i("w_hi", np.int8(w_clip[1][1]))], ["w2c"]),
        n("DequantizeLinear", ["w2c", i("w2s", np.float32(0.03)), "w1z"], ["w2"]),
        n("Conv", ["a1", "w2"], ["c2"], pads=[1, 1, 1, 1], strides=[2, 2], name="conv2"),
        n("QuantizeLinear", ["c2", i("a2s", np.float32(0.02)), i("a2z", np.int8(3))],
          ["a2q"]),
        n("Clip", ["a2q", i("c_lo", np.int8(-100)), i("c_hi", np.int8(100))], ["a2c"],
          name="a2_clip"),
        n("DequantizeLinear", ["a2c", "a2s", "a2z"], ["a2"]),
        n("GlobalAveragePool", ["a2"], ["p"]),
        n("QuantizeLinear", ["p", i("ps", np.float32(0.01)), i("pz", np.int8(0))], ["pq"]),
        n("DequantizeLinear", ["pq", "ps", "pz"], ["y"]),
    ]
    outs = [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 5, 1, 1])]
    if out_to_graph:
        outs.append(helper.make_tensor_value_info("a1c", TensorProto.UINT8, [1, 6, 8, 8]))
    g = helper.make_graph(nodes, "qcdq", [helper.make_tensor_value_info(
        "x", TensorProto.FLOAT, [1, 3, 8, 8])], outs, inits)
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return path


def _ort(path, xs):
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    return np.stack([sess.run(None, {"x": x})[0] for x in xs])


def test_qcdq_narrows_weights_and_activations(tmp_path):
    path = qcdq_net(tmp_path / "qcdq.onnx")
    g = load_onnx(path)
    kinds = [op.kind for op in g.ops]
    convs = [op for op in g.ops if op.kind == "conv2d"]
    # weights of both convs packed as int4; the first conv writes uint4 (zero point 0:
    # uint8's 0, unshifted); the second conv's output ([-100, 100] is no sub-byte range)
    # and the input quantize (its producer has no sub-byte kernel) stay int8, clamped by
    # maximum / minimum
    assert [g.t(op.inputs[1]).dtype for op in convs] == ["int4", "int4"]
    a1 = g.t(convs[0].outputs[0])
    assert a1.dtype == "uint4" and a1.quant.zp == 0 and np.isclose(a1.quant.s, 0.05)
    assert g.t(convs[1].outputs[0]).dtype == "int8"
    assert kinds.count("maximum") == 2 and kinds.count("minimum") == 2, kinds
    clamps = {op.name: int(g.t(op.inputs[1]).data[0]) for op in g.ops
              if op.kind in ("maximum", "minimum")}
    assert sorted(clamps.values()) == [-100, -64, 63, 100], clamps

    rng = np.random.default_rng(0)
    xs = [rng.normal(0, 1.5, (1, 3, 8, 8)).astype(np.float32) for _ in range(N)]
    got = run_c_graph_many(g, [[x] for x in xs])
    vals = [run_graph(g, [x]) for x in xs]
    for o, v in zip(got, vals):
        np.testing.assert_array_equal(o[g.outputs[0]], v[g.outputs[0]])
    # the clamps bite: some inputs and some conv2 outputs reach the narrowed bounds
    xq = np.concatenate([v[g.ops[0].outputs[0]].ravel() for v in vals])
    assert xq.min() < -64 and xq.max() > 63
    a1v = np.concatenate([v[a1.name].ravel() for v in vals])
    assert a1v.max() == 15 and len(np.unique(a1v)) > 8

    want = _ort(path, xs).reshape(N, -1).astype(np.float64)
    ours = np.stack([o[g.outputs[0]] for o in got]).reshape(N, -1).astype(np.float64)
    db = sqnr_db(want, ours)
    print(f"QCDQ net: C vs onnxruntime SQNR {db:.1f} dB, max diff "
          f"{np.abs(ours - want).max() / 0.01:.0f} LSB")
    assert db > 25.0


def test_qcdq_int8_clamp_without_sub_byte(tmp_path):
    """Activation bounds that are no sub-byte range ([0, 100] of uint8): int8 clamped."""
    g = load_onnx(qcdq_net(tmp_path / "q.onnx", act_clip=(0, 100)))
    conv1 = next(op for op in g.ops if op.kind == "conv2d")
    assert g.t(conv1.outputs[0]).dtype == "int8"
    mins = [op for op in g.ops if op.kind == "minimum"]
    assert any(op.inputs[0] == conv1.outputs[0] and
               int(g.t(op.inputs[1]).data[0]) == 100 - 128 for op in mins)


def test_qcdq_8bit_weights_4bit_activations_clamp_in_the_requant(tmp_path):
    """int8 weights (narrow range, no sub-byte constant in the file): the conv layers
    requantize with one rounding as onnxruntime does, and the uint8 Clip(0, 15) of the
    first is its requant's clamp; the C is then within 1 LSB of onnxruntime."""
    path = qcdq_net(tmp_path / "w8a4.onnx", w_clip=((-127, 127), (-127, 127)))
    g = load_onnx(path)
    rq = [op for op in g.ops if op.kind == "requant"]
    assert len(rq) == 2 and all(g.t(op.inputs[1]).dtype == "int8" for op in g.ops
                                if op.kind == "conv2d")
    zp = int(g.t(rq[0].outputs[0]).quant.zp)
    assert zp == -128 and tuple(rq[0].attrs["clip"]) == (0, 15), rq[0].attrs["clip"]
    assert g.t(rq[0].outputs[0]).dtype == "int8"
    rng = np.random.default_rng(1)
    xs = [rng.normal(0, 1.5, (1, 3, 8, 8)).astype(np.float32) for _ in range(N)]
    got = run_c_graph_many(g, [[x] for x in xs])
    a1 = np.concatenate([run_graph(g, [x])[rq[0].outputs[0]].ravel() for x in xs])
    assert a1.max() == 15 - 128 and a1.min() == -128        # the clamp bites
    ours = np.stack([o[g.outputs[0]] for o in got]).astype(np.float64).ravel()
    lsb = np.rint(np.abs(ours - _ort(path, xs).astype(np.float64).ravel()) / 0.01)
    print(f"QCDQ w8a4: C vs onnxruntime max {lsb.max():.0f} LSB, "
          f"{100 * np.mean(lsb == 0):.1f}% identical")
    assert lsb.max() <= 1


@pytest.mark.parametrize("kw, match", [
    (dict(out_to_graph=True), r"node 'a1_clip' \(Clip\): the clipped quantized tensor "
                              r"'a1c' must be read by DequantizeLinear only"),
    (dict(dq_scale=0.07), r"node 'a1_clip' \(Clip\): DequantizeLinear 'a1_dequant' after "
                          r"the Clip has other parameters"),
])
def test_other_clip_forms_are_refused_naming_the_node(tmp_path, kw, match):
    with pytest.raises(TinyDeployError, match=match):
        load_onnx(qcdq_net(tmp_path / "bad.onnx", **kw))
