"""TFLite frontend: real models load with the right ops/weights, the writer round-trips them
bit-exactly in TFLite Micro, and bad files fail with a message naming file, op and reason."""

from __future__ import annotations

import numpy as np
import pytest
import tflite

from tests.conftest import MLPERF_MODELS, model_path
from tests.graphs import act, const, one_op, random_input
from tests.signal.common import check_three_ways
from tests.tflite_writer import TFLiteBuilder, graph_to_tflite, run_tflm
from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.tflite import load_tflite
from tinydeploy.ir.graph import QuantParams
from tinydeploy.ir.ops import macs

ALL_MODELS = MLPERF_MODELS + ["extra/sww_streaming_wakeword_int8"]

# Transcribed from /work/shared/models/README.md: TFLite ops, conv/fc MACs, int8 weight bytes.
README = {
    "kws_dscnn_int8": ({"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE",
                        "FULLY_CONNECTED", "SOFTMAX"}, 2_656_768, 22_016),
    "vww_mobilenet_int8": ({"CONV_2D", "DEPTHWISE_CONV_2D", "AVERAGE_POOL_2D", "RESHAPE",
                            "FULLY_CONNECTED", "SOFTMAX"}, 7_489_664, 208_112),
    "ic_resnet8_int8": ({"CONV_2D", "ADD", "AVERAGE_POOL_2D", "RESHAPE", "FULLY_CONNECTED",
                         "SOFTMAX"}, 12_501_632, 77_360),
    "ad_autoencoder_int8": ({"FULLY_CONNECTED"}, 264_192, 264_192),
    "extra/sww_streaming_wakeword_int8": ({"CONV_2D", "DEPTHWISE_CONV_2D", "FULLY_CONNECTED",
                                           "RESHAPE", "SOFTMAX"}, 826_368, 46_040),
}
IR_KIND = {"CONV_2D": "conv2d", "DEPTHWISE_CONV_2D": "depthwise_conv2d", "ADD": "add",
           "AVERAGE_POOL_2D": "avg_pool2d", "RESHAPE": "reshape", "SOFTMAX": "softmax",
           "FULLY_CONNECTED": "fully_connected"}
WEIGHTED = ("conv2d", "depthwise_conv2d", "fully_connected")


def _file_tensors(data: bytes) -> dict[str, tuple[bytes, np.ndarray | None]]:
    """Tensor name -> (raw buffer bytes, float32 scales), read with the tflite package."""
    m = tflite.Model.GetRootAs(data, 0)
    sg, out = m.Subgraphs(0), {}
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        b, q = m.Buffers(t.Buffer()), t.Quantization()
        scale = q.ScaleAsNumpy() if q is not None and q.ScaleLength() else None
        out[t.Name().decode()] = (b.DataAsNumpy().tobytes() if b.DataLength() else b"", scale)
    return out


def _load_bytes(tmp_path, data: bytes, name: str = "model.tflite"):
    (tmp_path / name).write_bytes(data)
    return load_tflite(tmp_path / name)


def _error(tmp_path, data: bytes, name: str = "bad.tflite", cls=TinyDeployError) -> str:
    (p := tmp_path / name).write_bytes(data)
    with pytest.raises(cls) as e:
        load_tflite(p)
    assert str(p) in str(e.value)
    return str(e.value)


# ---- real models -----------------------------------------------------------------------

@pytest.mark.parametrize("name", ALL_MODELS)
def test_model_loads_with_readme_ops_macs_and_weight_bytes(name):
    path = model_path(name + ".tflite")
    g = load_tflite(path)
    g.validate()
    ops, n_macs, weight_bytes = README[name]
    assert {op.kind for op in g.ops} == {IR_KIND[o] for o in ops}
    assert sum(macs(g, op) for op in g.ops if op.kind in WEIGHTED) == n_macs
    assert sum(t.nbytes for t in g.tensors.values()
               if t.is_const and t.dtype == "int8") == weight_bytes
    assert g.name == path.stem and g.source == str(path)
    assert all(g.t(n).dtype == "int8" for n in g.inputs + g.outputs)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_model_weights_bias_and_scales_equal_file_buffers(name):
    path = model_path(name + ".tflite")
    g, raw = load_tflite(path), _file_tensors(path.read_bytes())
    for op in (op for op in g.ops if op.kind in WEIGHTED):
        w, b = g.t(op.inputs[1]), g.t(op.inputs[2])
        assert w.dtype == "int8" and b.dtype == "int32"
        assert w.data.tobytes() == raw[w.name][0] and b.data.tobytes() == raw[b.name][0]
        assert np.array_equal(w.quant.scale, raw[w.name][1].astype(np.float64))
        assert w.shape[0 if op.kind != "depthwise_conv2d" else 2] == b.shape[0]
        if w.quant.per_channel:
            assert w.quant.axis == (2 if op.kind == "depthwise_conv2d" else 0)


@pytest.mark.parametrize("name", ALL_MODELS)
def test_model_round_trip_through_writer_is_bit_exact_in_tflm(name):
    path = model_path(name + ".tflite")
    original, g, rng = path.read_bytes(), load_tflite(path), np.random.default_rng(1234)
    rewritten = graph_to_tflite(g)
    for _ in range(3):
        xs = [random_input(rng, g.t(n)) for n in g.inputs]
        want, got = run_tflm(original, xs), run_tflm(rewritten, xs)
        assert len(want) == len(got) and all(
            a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(want, got))


# ---- mapping details -------------------------------------------------------------------

def _conv_model(padding, size, k, stride, dil, depthwise=False, pad_input=None):
    """CONV_2D / DEPTHWISE_CONV_2D built directly with the builder (not via the IR)."""
    rng = np.random.default_rng(size * 100 + k * 10 + stride)
    c_in, c_out, w = 3, 6 if depthwise else 4, TFLiteBuilder()
    in_hw = size + (sum(pad_input[:2]) if pad_input else 0)
    eff = (k - 1) * dil + 1
    out = -(-size // stride) if padding == tflite.Padding.SAME else (in_hw - eff) // stride + 1
    x = w.tensor("x", (1, in_hw, in_hw, c_in), "int8", QuantParams.make(0.05, 3))
    wshape = (1, k, k, c_out) if depthwise else (c_out, k, k, c_in)
    wq = QuantParams.make(np.linspace(0.01, 0.03, c_out), 0, 3 if depthwise else 0)
    wi = w.tensor("w", wshape, "int8", wq, rng.integers(-127, 128, wshape))
    bi = w.tensor("b", (c_out,), "int32", None, rng.integers(-500, 500, c_out))
    y = w.tensor("y", (1, out, out, c_out), "int8", QuantParams.make(0.1, -2))
    opts = {"Padding": padding, "StrideW": stride, "StrideH": stride,
            "DilationWFactor": dil, "DilationHFactor": dil, "FusedActivationFunction": 0}
    if depthwise:
        opts["DepthMultiplier"] = 2
    w.op("DEPTHWISE_CONV_2D" if depthwise else "CONV_2D", [x, wi, bi], [y],
         ("DepthwiseConv2DOptions" if depthwise else "Conv2DOptions", opts))
    return w.finish([x], [y])


@pytest.mark.parametrize("size,k,stride,dil,depthwise", [
    (8, 3, 2, 1, False), (7, 3, 2, 1, False), (9, 4, 3, 1, False), (8, 3, 1, 2, False),
    (10, 5, 2, 2, True), (6, 2, 1, 1, True), (5, 1, 2, 1, False)])
def test_same_padding_pads_reproduce_tflm_same_conv(tmp_path, size, k, stride, dil, depthwise):
    """SAME conv == VALID conv on the input zero-padded by the pads the frontend derived."""
    same = _conv_model(tflite.Padding.SAME, size, k, stride, dil, depthwise)
    g = _load_bytes(tmp_path, same)
    top, left, bottom, right = g.ops[0].attrs["pads"]
    assert (top, left) == (bottom, right) or (bottom - top, right - left) == (1, 1)
    valid = _conv_model(tflite.Padding.VALID, size, k, stride, dil, depthwise,
                        pad_input=(top, bottom))
    x = random_input(np.random.default_rng(0), g.t("x"))
    xp = np.pad(x, ((0, 0), (top, bottom), (left, right), (0, 0)),
                constant_values=g.t("x").quant.zp)
    assert np.array_equal(run_tflm(same, [x])[0], run_tflm(valid, [xp])[0])


def test_depthwise_weights_are_squeezed_with_channel_axis_2(tmp_path):
    g = _load_bytes(tmp_path, _conv_model(tflite.Padding.VALID, 6, 3, 1, 1, True))
    op, w = g.ops[0], g.t(g.ops[0].inputs[1])
    assert op.kind == "depthwise_conv2d" and op.attrs["depth_multiplier"] == 2
    assert w.shape == (3, 3, 6) and w.quant.axis == 2 and op.attrs["pads"] == (0, 0, 0, 0)


def _fc_graph(x_shape, y_shape):
    rng = np.random.default_rng(5)
    x = act("x", x_shape, 0.05, 1)
    w = const("w", rng.integers(-127, 128, (6, 16)).astype(np.int8),
              np.linspace(0.01, 0.02, 6), 0, axis=0)
    b = const("b", rng.integers(-300, 300, 6).astype(np.int32))
    return one_op("fully_connected", [x, w, b], act("y", y_shape, 0.2, -3), act="relu")


@pytest.mark.parametrize("x_shape,y_shape,kinds", [
    ((1, 2, 2, 4), (1, 6), ["reshape", "fully_connected"]),
    ((1, 1, 16), (1, 1, 6), ["reshape", "fully_connected", "reshape"]),
    ((3, 16), (3, 6), ["fully_connected"])])
def test_fully_connected_on_non_2d_input_gets_reshapes(tmp_path, x_shape, y_shape, kinds):
    data = graph_to_tflite(_fc_graph(x_shape, y_shape))
    g = _load_bytes(tmp_path, data)
    assert [op.kind for op in g.ops] == kinds
    fc = next(op for op in g.ops if op.kind == "fully_connected")
    assert g.t(fc.inputs[0]).shape == (x_shape[0] if len(x_shape) == 2 else 1, 16)
    x = random_input(np.random.default_rng(2), g.t("x"))
    assert np.array_equal(run_tflm(data, [x])[0], run_tflm(graph_to_tflite(g), [x])[0])


def _every_kind_graphs():
    rng = np.random.default_rng(7)
    x, x2 = act("x", (1, 6, 6, 4), 0.05, 3), act("x2", (1, 6, 6, 4), 0.03, -2)
    wc = const("w", rng.integers(-127, 128, (5, 3, 3, 4)).astype(np.int8),
               np.linspace(0.01, 0.02, 5), 0, axis=0)
    wd = const("w", rng.integers(-127, 128, (3, 3, 4)).astype(np.int8), 0.02)
    y = act("y", (1, 6, 6, 4), 0.07, 1)
    spatial = dict(stride=(1, 1), dilation=(1, 1), pads=(1, 1, 1, 1), act="relu6")
    return [
        one_op("conv2d", [x, wc, None], act("y", (1, 6, 6, 5), 0.2, 0), **spatial),
        one_op("depthwise_conv2d", [x, wd, None], y, depth_multiplier=1, **spatial),
        one_op("avg_pool2d", [x], act("y", (1, 3, 3, 4), 0.05, 3), kernel=(2, 2),
               stride=(2, 2), pads=(0, 0, 0, 0), act="none"),
        one_op("max_pool2d", [x], act("y", (1, 3, 3, 4), 0.05, 3), kernel=(3, 3),
               stride=(2, 2), pads=(0, 0, 1, 1), act="relu"),
        one_op("add", [x, x2], y, act="none"),
        one_op("mul", [x, x2], y, act="relu"),
        one_op("concat", [x, act("x2", (1, 6, 6, 2), 0.05, 3)],   # TFLM: equal quant
               act("y", (1, 6, 6, 6), 0.05, 3), axis=3),
        one_op("pad", [x], act("y", (1, 7, 8, 4), 0.05, 3), pads=((0, 0), (1, 0), (1, 1), (0, 0))),
        one_op("reshape", [x], act("y", (1, 144), 0.05, 3)),
        one_op("mean", [x], act("y", (1, 4), 0.04, 2), axes=(1, 2), keepdims=False),
        one_op("softmax", [x], act("y", (1, 6, 6, 4), 1 / 256, -128), beta=1.0),
        one_op("logistic", [x], act("y", (1, 6, 6, 4), 1 / 256, -128)),
        one_op("tanh", [x], act("y", (1, 6, 6, 4), 1 / 128, 0)),
        one_op("quantize", [x], act("y", (1, 6, 6, 4), 0.02, -5), act="none"),
        one_op("quantize", [x], act("y", (1, 6, 6, 4), 0.05, -128), act="relu"),
    ]


@pytest.mark.parametrize("g", _every_kind_graphs(), ids=lambda g: g.name)
def test_written_one_op_graph_loads_back_identically(tmp_path, g):
    data = graph_to_tflite(g)
    back = _load_bytes(tmp_path, data, "one_op.tflite")
    assert [(op.kind, op.attrs) for op in back.ops] == [(op.kind, op.attrs) for op in g.ops]
    assert back.inputs == g.inputs and back.outputs == g.outputs and back.name == "one_op"
    for name, t in g.tensors.items():
        u = back.t(name)
        assert (u.shape, u.dtype) == (t.shape, t.dtype)
        assert np.array_equal(u.quant.scale, t.quant.scale.astype(np.float32))
        assert t.data is None or np.array_equal(u.data, t.data)
    xs = [random_input(np.random.default_rng(3), g.t(n)) for n in g.inputs]
    assert np.array_equal(run_tflm(data, xs)[0], run_tflm(graph_to_tflite(back), xs)[0])


@pytest.mark.parametrize("edge", ["float32", "uint8"])
def test_float_and_uint8_graph_edges_via_quantize_dequantize_are_accepted(tmp_path, edge):
    w = TFLiteBuilder()
    eq = None if edge == "float32" else QuantParams.make(0.02, 127)
    x = w.tensor("x", (1, 8), edge, eq, signature=(-1, 8))
    q = w.tensor("q", (1, 8), "int8", QuantParams.make(0.02, -1))
    r = w.tensor("r", (1, 8), "int8", QuantParams.make(0.02, -128))
    y = w.tensor("y", (1, 8), edge, eq)
    w.op("QUANTIZE", [x], [q])
    w.op("RELU", [q], [r])
    w.op("DEQUANTIZE" if edge == "float32" else "QUANTIZE", [r], [y])
    data = w.finish([x], [y])
    g = _load_bytes(tmp_path, data)
    last = ("dequantize", None) if edge == "float32" else ("quantize", "none")
    assert [(op.kind, op.attrs.get("act")) for op in g.ops] == [
        ("quantize", "none"), ("quantize", "relu"), last]
    assert (g.t("x").shape, g.t("x").dtype, g.t("y").dtype) == ((1, 8), edge, edge)
    xv = (np.linspace(-3, 3, 8, dtype=np.float32) if edge == "float32"
          else np.arange(0, 256, 32, dtype=np.uint8)).reshape(1, 8)
    assert np.array_equal(run_tflm(data, [xv])[0], run_tflm(graph_to_tflite(g), [xv])[0])


def test_squeeze_expand_dims_and_padv2_map_to_reshape_and_pad(tmp_path):
    w = TFLiteBuilder()
    q = QuantParams.make(0.1, -3)
    x, s = w.tensor("x", (1, 1, 4, 2), "int8", q), w.tensor("s", (1, 4, 2), "int8", q)
    e, p = w.tensor("e", (1, 4, 1, 2), "int8", q), w.tensor("p", (1, 5, 3, 2), "int8", q)
    w.op("SQUEEZE", [x], [s], ("SqueezeOptions", {"SqueezeDims": [1]}))
    w.op("EXPAND_DIMS", [s, w.const("axis", [2])], [e])
    w.op("PADV2", [e, w.const("pads", [[0, 0], [1, 0], [1, 1], [0, 0]]),
                   w.tensor("value", (), "int8", q, np.int8(-3))], [p], ("PadV2Options", {}))
    data = w.finish([x], [p])
    g = _load_bytes(tmp_path, data)
    assert [op.kind for op in g.ops] == ["reshape", "reshape", "pad"]
    assert g.ops[2].attrs["pads"] == ((0, 0), (1, 0), (1, 1), (0, 0))
    xv = np.arange(8, dtype=np.int8).reshape(1, 1, 4, 2)
    assert np.array_equal(run_tflm(data, [xv])[0], run_tflm(graph_to_tflite(g), [xv])[0])


def test_duplicate_and_empty_tensor_names_are_made_unique(tmp_path):
    w = TFLiteBuilder()
    q = QuantParams.make(0.1, 0)
    x, t, y = (w.tensor(n, (1, 4), "int8", q) for n in ("x", "t", "y"))
    w.op("RELU", [x], [t])
    w.op("RELU6", [t], [y])
    w.tensors[1].name, w.tensors[2].name = "x", ""
    g = _load_bytes(tmp_path, w.finish([x], [y]), "1st model-v2.tflite")
    assert len({g.ops[0].inputs[0], g.ops[0].outputs[0], g.ops[1].outputs[0]}) == 3
    assert g.inputs == ["x"] and g.outputs == ["tensor_2"] and g.name == "m_1st_model_v2"


# ---- writer: explicit pads -------------------------------------------------------------

def test_writer_asymmetric_conv_pads_equal_valid_conv_on_zero_point_padded_input():
    rng = np.random.default_rng(11)
    x = act("x", (1, 5, 5, 2), 0.05, 7)
    w = const("w", rng.integers(-127, 128, (3, 3, 3, 2)).astype(np.int8), 0.02)
    kw = dict(stride=(1, 1), dilation=(1, 1), act="none")
    padded = one_op("conv2d", [x, w, None], act("y", (1, 6, 4, 3), 0.1, 0),
                    pads=(2, 0, 1, 1), **kw)
    valid = one_op("conv2d", [act("x", (1, 8, 6, 2), 0.05, 7), w, None],
                   act("y", (1, 6, 4, 3), 0.1, 0), pads=(0, 0, 0, 0), **kw)
    xv = random_input(rng, x)
    xp = np.pad(xv, ((0, 0), (2, 1), (0, 1), (0, 0)), constant_values=7)
    want = run_tflm(graph_to_tflite(valid), [xp])[0]
    assert np.array_equal(run_tflm(graph_to_tflite(padded), [xv])[0], want)


def test_writer_explicit_max_pool_pads_use_only_valid_window_elements():
    x = act("x", (1, 4, 4, 1), 0.05, 0)
    g = one_op("max_pool2d", [x], act("y", (1, 3, 3, 1), 0.05, 0), kernel=(2, 2),
               stride=(2, 2), pads=(1, 1, 1, 1), act="none")
    xv = np.full((1, 4, 4, 1), -100, np.int8)      # all below the zero point
    xv[0, 3, 3, 0] = -50
    got = run_tflm(graph_to_tflite(g), [xv])[0].reshape(3, 3)
    assert np.array_equal(got, [[-100, -100, -100], [-100, -100, -100], [-100, -100, -50]])


def test_writer_refuses_avg_pool_pads_that_are_not_same_or_valid():
    g = one_op("avg_pool2d", [act("x", (1, 4, 4, 1))], act("y", (1, 3, 3, 1)),
               kernel=(2, 2), stride=(2, 2), pads=(1, 1, 1, 1), act="none")
    with pytest.raises(ValueError, match="neither SAME nor VALID"):
        graph_to_tflite(g)


# ---- errors ----------------------------------------------------------------------------

def test_truncated_file_is_error(tmp_path):
    data = model_path("kws_dscnn_int8.tflite").read_bytes()
    msg = _error(tmp_path, data[:len(data) // 2], "truncated.tflite")
    assert "corrupt or truncated" in msg


def test_garbage_bytes_are_error(tmp_path):
    data = np.random.default_rng(0).integers(0, 256, 4096).astype(np.uint8).tobytes()
    assert "not a TFLite model" in _error(tmp_path, data, "garbage.tflite")
    msg = _error(tmp_path, data[:4] + b"TFL3" + data[8:], "garbage_magic.tflite")
    assert "corrupt or truncated" in msg


def test_wrong_magic_is_error(tmp_path):
    data = model_path("ic_resnet8_int8.tflite").read_bytes()
    msg = _error(tmp_path, data[:4] + b"ONNX" + data[8:], "magic.tflite")
    assert "b'ONNX'" in msg and "TFL3" in msg


def _unary_chain(opnames, dtype="int8", signature=None, n_subgraphs=1) -> bytes:
    w = TFLiteBuilder()
    q = QuantParams.make(0.05, 0)
    names = ["x"] + [f"t{i}" for i in range(len(opnames))]
    idx = [w.tensor(n, (1, 4, 4), dtype, q, signature=signature if n == "x" else None)
           for n in names]
    for i, opname in enumerate(opnames):
        w.op(opname, [idx[i]], [idx[i + 1]])
    return w.finish([idx[0]], [idx[-1]], n_subgraphs=n_subgraphs)


def test_unsupported_operator_is_error_naming_index_type_and_output(tmp_path):
    data = _unary_chain(["RELU", "ELU"])
    x = np.arange(-8, 8, dtype=np.int8).reshape(1, 4, 4)
    assert run_tflm(data, [x])[0].shape == (1, 4, 4)       # a valid model TFLM runs
    msg = _error(tmp_path, data, cls=UnsupportedError)
    assert "node '1_ELU'" in msg and "output 't1'" in msg
    assert "unsupported operator ELU" in msg


def test_dynamic_shape_is_error(tmp_path):
    msg = _error(tmp_path, _unary_chain(["RELU"], signature=(1, -1, 4)), cls=UnsupportedError)
    assert "node '0_RELU'" in msg and "'x'" in msg and "dynamic" in msg


def test_dynamic_batch_only_is_accepted(tmp_path):
    g = _load_bytes(tmp_path, _unary_chain(["RELU"], signature=(-1, 4, 4)))
    assert g.t("x").shape == (1, 4, 4)


def test_several_subgraphs_are_error(tmp_path):
    msg = _error(tmp_path, _unary_chain(["RELU"], n_subgraphs=2), cls=UnsupportedError)
    assert "2 subgraphs" in msg


def test_float_model_is_a_float32_graph(tmp_path):
    """(issue 12) a float model loads as a float32 graph (quantize/float_tflite.py)."""
    g = load_tflite(model_path("float/ic_resnet8_float.tflite"))
    assert all(g.t(n).dtype == "float32" for op in g.ops for n in (*op.inputs, *op.outputs)
               if n)
    assert {"conv2d", "add", "avg_pool2d", "fully_connected", "softmax"} <= \
        {op.kind for op in g.ops}


def test_float_island_inside_an_integer_network_equals_tflm(tmp_path):
    """DEQUANTIZE -> float LOGISTIC -> QUANTIZE, and int16 -> CAST float -> MUL by a float
    constant (micro_speech's float preprocessor ends so): TFLite Micro runs them in float,
    so do the float kernels, bit for bit."""
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 16), "int8", QuantParams.make(0.05, 0))
    f, h = w.tensor("f", (1, 16), "float32"), w.tensor("h", (1, 16), "float32")
    y = w.tensor("y", (1, 16), "int8", QuantParams.make(1 / 256, -128))
    w.op("DEQUANTIZE", [x], [f])
    w.op("LOGISTIC", [f], [h])
    w.op("QUANTIZE", [h], [y])
    s = w.tensor("s", (40,), "int16")
    c, z = w.tensor("c", (40,), "float32"), w.tensor("z", (40,), "float32")
    w.op("CAST", [s], [c])
    w.op("MUL", [c, w.tensor("k", (), "float32", data=np.float32(1 / 25.6))], [z],
         ("MulOptions", {}))
    rng = np.random.default_rng(0)
    calls = [[rng.integers(-128, 128, (1, 16)).astype(np.int8),
              rng.integers(-32768, 32768, 40).astype(np.int16)] for _ in range(3)]
    check_three_ways(tmp_path, w.finish([x, s], [y, z]), calls)


def test_float_activation_into_an_integer_kernel_is_error(tmp_path):
    w = TFLiteBuilder()
    x = w.tensor("x", (1, 4), "int8", QuantParams.make(0.05, 0))
    f = w.tensor("f", (1, 4), "float32")
    y = w.tensor("y", (1, 2), "int8", QuantParams.make(0.1, 0))
    w.op("DEQUANTIZE", [x], [f])
    wt = w.tensor("w", (2, 4), "int8", QuantParams.make(0.01, 0), data=np.ones((2, 4)))
    w.op("FULLY_CONNECTED", [f, wt], [y], ("FullyConnectedOptions", {}))
    msg = _error(tmp_path, w.finish([x], [y]), cls=UnsupportedError)
    assert "node '1_FULLY_CONNECTED'" in msg and "float32 activation 'f' inside" in msg


def test_padv2_with_a_value_other_than_zero_point_is_error(tmp_path):
    w = TFLiteBuilder()
    q = QuantParams.make(0.1, -3)
    x, y = w.tensor("x", (1, 2, 2, 1), "int8", q), w.tensor("y", (1, 3, 2, 1), "int8", q)
    pads = w.const("pads", [[0, 0], [1, 0], [0, 0], [0, 0]])
    w.op("PADV2", [x, pads, w.tensor("v", (), "int8", q, np.int8(5))], [y])
    msg = _error(tmp_path, w.finish([x], [y]), cls=UnsupportedError)
    assert "node '0_PADV2'" in msg and "output 'y'" in msg and "not the zero point" in msg


def test_int64_activations_are_error(tmp_path):
    """int8, int16 (16x8 models) and int32 activations load; int64 ones do not."""
    x, x2 = act("x", (1, 8), 0.001, 0, "int64"), act("x2", (1, 8), 0.001, 0, "int64")
    data = graph_to_tflite(one_op("add", [x, x2], act("y", (1, 8), 0.002, 0, "int64"),
                                  act="none"))
    msg = _error(tmp_path, data, cls=UnsupportedError)
    assert "node '0_ADD'" in msg and "output 'y'" in msg
    assert "int64 activation 'x' is not supported (int8, int16, int32" in msg
