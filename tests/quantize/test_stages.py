"""The four stages on small generated nets: each runnable on the same inputs, agreeing in
the expected direction; calibration data handling; bias correction."""

from __future__ import annotations

import numpy as np
import pytest

from tests.frontend.onnx_nets import float_net_more_ops
from tests.quantize.nets import onnx_bn_net, tflite_cnn, tflite_more_ops, write
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.quant.execute import run_graph
from tinydeploy.quantize.bits import parse_bits
from tinydeploy.quantize.calibrate import (FALLBACK, CalibrationData, fallback_data,
                                           load_calibration)
from tinydeploy.quantize.float_graph import load_float_model
from tinydeploy.quantize.plan import make_plan
from tinydeploy.quantize.report import format_report, sqnr_db, stage_report
from tinydeploy.quantize.stages import IntegerStage, run_all

NETS = {"tflite_cnn": lambda p: write(p / "n.tflite", tflite_cnn()),
        "tflite_more_ops": lambda p: write(p / "n.tflite", tflite_more_ops()),
        "onnx_bn_net": lambda p: onnx_bn_net(p / "n.onnx"),
        "onnx_more_ops": lambda p: float_net_more_ops(p / "n.onnx")}


def _data(g: Graph, n: int, seed: int) -> np.ndarray:
    shape = g.t(g.inputs[0]).shape[1:]
    return np.random.default_rng(seed).normal(0, 1, (n, *shape)).astype(np.float32)


def _plan(tmp_path, net: str, **kw):
    g = load_float_model(NETS[net](tmp_path))
    return make_plan(g, CalibrationData([_data(g, 64, 0)], "test"), **kw), g


@pytest.mark.parametrize("net", list(NETS))
def test_stages_agree_in_the_expected_direction(tmp_path, net):
    plan, g = _plan(tmp_path, net)
    envs = run_all(plan, [_data(g, 16, 1)])
    y = g.outputs[0]
    fq, qd, it = envs["fake_quant"][y], envs["deployable"][y], envs["integer"][y]
    assert sqnr_db(envs["float"][y], fq) > 20          # 8-bit quantization noise only
    assert sqnr_db(fq, it) > 30 and sqnr_db(qd, it) > 30
    for op in plan.graph.ops:                            # every layer, integer vs real scales
        t = op.outputs[0]
        assert sqnr_db(envs["deployable"][t], envs["integer"][t]) > 30, op.name


@pytest.mark.parametrize("net", ["tflite_cnn", "onnx_bn_net"])
def test_quantized_stages_put_every_stored_tensor_on_its_grid(tmp_path, net):
    plan, g = _plan(tmp_path, net)
    envs = run_all(plan, [_data(g, 4, 2)])
    for stage in ("fake_quant", "deployable", "integer"):
        for name, q in plan.act.items():
            if name not in envs[stage]:
                continue
            code = envs[stage][name] / q.s + q.zp
            assert np.abs(code - np.round(code)).max() < 1e-6, (stage, name)
            assert code.min() >= -128.5 and code.max() <= 127.5


def test_integer_stage_is_run_graph_of_the_integer_graph(tmp_path):
    plan, g = _plan(tmp_path, "tflite_cnn")
    stage = IntegerStage(plan)
    x = _data(g, 3, 3)
    got = stage.run([x])[g.outputs[0]]
    for i in range(3):
        want = run_graph(stage.graph, [x[i:i + 1]])[g.outputs[0]]
        assert np.array_equal(got[i:i + 1].astype(np.float32), want)


def test_graph_edges_are_float_and_the_body_int8(tmp_path):
    plan, g = _plan(tmp_path, "onnx_bn_net")
    ig = IntegerStage(plan).graph
    assert ig.inputs == g.inputs and ig.outputs == g.outputs
    assert ig.t(ig.inputs[0]).shape == (1, 3, 8, 8) and ig.t(ig.outputs[0]).dtype == "float32"
    assert [ig.ops[0].kind, ig.ops[-1].kind] == ["quantize", "dequantize"]
    body = [n for op in ig.ops[1:-1] for n in (*op.inputs, *op.outputs)]
    linear = [op for op in ig.ops if op.kind in ("conv2d", "depthwise_conv2d",
                                                  "fully_connected")]
    weights, biases = {op.inputs[1] for op in linear}, {op.inputs[2] for op in linear}
    # all-int8: each linear layer's int32 accumulator feeds a one-rounding requant
    accs = {op.outputs[0] for op in linear}
    assert accs == {op.inputs[0] for op in ig.ops if op.kind == "requant"}
    for n in body:
        t = ig.t(n)
        want = "int32" if n in biases | accs else "int8"
        assert t.dtype == want, n
        if n in weights:
            assert t.quant.per_channel or t.shape[0] == 1
            assert not t.quant.zero_point.any()


def test_sub_byte_weights_are_simulated_and_deployed_as_int4(tmp_path):
    g = load_float_model(NETS["tflite_cnn"](tmp_path))
    data = CalibrationData([_data(g, 64, 0)], "test")
    low = make_plan(g, data, bits=parse_bits({"layers": {"0_CONV_2D": {"weights": 4}}}))
    full = make_plan(g, data)
    x = [_data(g, 16, 1)]
    y = g.outputs[0]
    ref = run_all(full, x)["float"][y]
    from tinydeploy.quantize.stages import run_deployable
    assert sqnr_db(ref, run_deployable(low, x)[y]) < sqnr_db(ref, run_deployable(full, x)[y])
    assert np.abs(low.weights["0_CONV_2D"].w).max() <= 7
    ig = IntegerStage(low).graph
    assert ig.t(ig.ops[1].inputs[1]).dtype == "int4"      # 0_CONV_2D (tests/quantize/test_mixed)


def test_report_has_a_row_per_layer_and_the_final_error(tmp_path):
    plan, g = _plan(tmp_path, "tflite_cnn")
    rep = stage_report(plan, [_data(g, 8, 4)])
    assert [r.name for r in rep.rows] == [op.name for op in plan.graph.ops]
    assert set(rep.outputs) == {"y"} and 0.0 <= rep.top1["y"] <= 1.0
    text = format_report(rep)
    assert "final SQNR vs float" in text and "0_CONV_2D" in text and "w8a8" in text


def _fc_graph(w: np.ndarray) -> Graph:
    t = {"x": Tensor("x", (1, w.shape[1]), "float32"),
         "w": Tensor("w", w.shape, "float32", None, w),
         "y": Tensor("y", (1, w.shape[0]), "float32")}
    return Graph("fc", t, [Op("fully_connected", "fc", ("x", "w", ""), ("y",),
                              {"act": "none"})], ["x"], ["y"])


def test_bias_correction_removes_the_mean_error_of_biased_weight_rounding():
    """Weights sit 0.4 step above a grid point (each rounds down by 0.4 step) and inputs
    are positive, so the quantized layer's output is low on average, by a known amount."""
    rng = np.random.default_rng(5)
    steps = rng.integers(-100, 100, (6, 64)) + 0.4
    steps[:, 0] = 127.0                            # fixes the scale: max |w| = 127 steps
    g = _fc_graph((steps * 0.01).astype(np.float32))
    calib = CalibrationData([rng.uniform(0, 1, (200, 64)).astype(np.float32)], "test")
    x = [rng.uniform(0, 1, (400, 64)).astype(np.float32)]
    errs = {}
    for bc in (False, True):
        plan = make_plan(g, calib, bias_correction=bc)
        envs = run_all(plan, x)
        errs[bc] = np.abs((envs["integer"]["y"] - envs["float"]["y"]).mean(axis=0))
    assert errs[False].min() > 0.05                # about 0.4 * 0.01 * 63 * 0.5
    assert errs[True].max() < 0.2 * errs[False].min()


# ---- calibration data --------------------------------------------------------------------

@pytest.fixture
def cnn(tmp_path):
    return load_float_model(NETS["tflite_cnn"](tmp_path))


@pytest.mark.parametrize("shape", [(5, 8, 8, 3), (1, 8, 8, 3), (5, 1, 8, 8, 3)])
def test_calibration_npy_accepts_batches_and_single_samples(tmp_path, cnn, shape):
    p = tmp_path / "c.npy"
    np.save(p, np.zeros(shape, np.float64))
    data = load_calibration(cnn, [str(p)])
    assert data.inputs[0].shape == (int(np.prod(shape)) // 192, 8, 8, 3)
    assert data.inputs[0].dtype == np.float32 and data.source == "c.npy"


@pytest.mark.parametrize("array,msg", [
    (np.zeros((4, 8, 8), np.float32), r"shape \[4, 8, 8\]; expected \[N, 8, 8, 3\]"),
    (np.zeros((4, 8, 8, 3), np.uint8), "input 'x' has dtype uint8"),
    (np.zeros((0, 8, 8, 3), np.float32), "holds no samples"),
    (np.full((2, 8, 8, 3), np.nan, np.float32), "NaN"),
])
def test_bad_calibration_data_names_the_input(tmp_path, cnn, array, msg):
    p = tmp_path / "c.npy"
    np.save(p, array)
    with pytest.raises(TinyDeployError, match=msg) as e:
        load_calibration(cnn, [str(p)])
    assert str(p) in str(e.value) and "\n" not in str(e.value)


def test_calibration_file_count_must_match_the_inputs(tmp_path, cnn):
    with pytest.raises(TinyDeployError, match="2 calibration file"):
        load_calibration(cnn, ["a.npy", "b.npy"])


def test_missing_and_corrupt_calibration_files_are_errors(tmp_path, cnn):
    with pytest.raises(TinyDeployError, match="no such file"):
        load_calibration(cnn, [str(tmp_path / "none.npy")])
    bad = tmp_path / "bad.npy"
    bad.write_bytes(b"not numpy")
    with pytest.raises(TinyDeployError, match="not a readable .npy"):
        load_calibration(cnn, [str(bad)])


def test_fallback_data_is_named_and_seeded(cnn):
    a, b = fallback_data(cnn), fallback_data(cnn)
    assert a.source == FALLBACK and "synthetic" in FALLBACK
    assert np.array_equal(a.inputs[0], b.inputs[0]) and a.inputs[0].shape[1:] == (8, 8, 3)
