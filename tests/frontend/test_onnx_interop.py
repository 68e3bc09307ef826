"""ONNX interop (issue 14, point 6): the forms other tools write an int8 QDQ file in.

Starting from a conv/matmul net as onnxruntime's ``quantize_static`` writes it, each
form is a mutation that keeps every value (``onnx_interop_nets``): quantization
parameters as graph inputs with initializers (IR >= 4), as Constant / Identity chains and
constant arithmetic (Mul, Div, Sub, Cast, Concat, Reshape, Squeeze), a Flatten written as
``Reshape(x, Concat(Gather(Shape(x)), -1))``, and IR version 3 (initializers that are not
graph inputs: onnx.checker refuses, onnxruntime runs). Each is compiled with
``tinydeploy.compile``, built and run under ASan/UBSan, and must give the same bytes as
the unmutated file's C, which is compared with onnxruntime (basic optimizations: the
QDQ graph's own float arithmetic). A DroNet-like head picked apart by Gather / Slice is
compiled and compared the same way; the picks are exact copies of the head's values.

vs onnxruntime: the C requantizes each conv / fully-connected layer with one rounding of
the exact product; onnxruntime sums in float32 and rounds that, so a layer's output can
differ by 1 LSB where its float32 sum falls on the other side of a .5; those differences
travel through the later layers; softmax / sigmoid follow TFLite's fixed point, onnxruntime
computes them in float. Measured over these inputs (printed): every output within 1 LSB of
onnxruntime's (77.5% identical for the conv net's softmax, 79.2% for the DroNet-like
head's outputs). Gather / Slice themselves are exact: the picks equal the head's values.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
from onnx import TensorProto, helper

import tinydeploy
from tests.frontend import onnx_interop_nets as forms
from tests.frontend import onnx_nets as nets
from tinydeploy.check import hostrun
from tinydeploy.cli import main
from tinydeploy.errors import TinyDeployError, UnsupportedError
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.quant.execute import run_graph

N = 8
MAX_LSB = 1          # C vs onnxruntime, per output (see the module docstring)


def _records(seed: int) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [rng.normal(0, 1, nets.X_SHAPE).astype(np.float32) for _ in range(N)]


def _ort(path, xs) -> list[list[np.ndarray]]:
    so = ort.SessionOptions()
    so.log_severity_level = 3
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
    sess = ort.InferenceSession(str(path), so, providers=["CPUExecutionProvider"])
    assert [i.name for i in sess.get_inputs()] == ["x"]    # inputs with defaults: fed none
    return [sess.run(None, {"x": x}) for x in xs]


def _c(path, out_dir, xs) -> list[list[np.ndarray]]:
    """``tinydeploy.compile``, build with ASan/UBSan, run; outputs in graph order."""
    proj = tinydeploy.compile(path, out_dir)
    manifest = json.loads((proj.path / "manifest.json").read_text())
    exe = hostrun.build(proj.path, sanitize=True)
    return hostrun.run(exe, manifest, [[x] for x in xs])


def _out_scales(m: onnx.ModelProto, names=None) -> list[float]:
    """The scale of the DequantizeLinear that computes each graph output (or ``names``)."""
    inits = {t.name: onnx.numpy_helper.to_array(t) for t in m.graph.initializer}
    dq = {n.output[0]: n for n in m.graph.node if n.op_type == "DequantizeLinear"}
    return [float(inits[dq[o].input[1]]) for o in names or [o.name for o in m.graph.output]]


def _lsb(c_outs, ort_outs, scales) -> tuple[int, float]:
    """(max |C - onnxruntime| in output LSBs, fraction of identical values)."""
    diffs = [np.rint(np.abs(np.asarray(c, np.float64).ravel() - o.astype(np.float64).ravel())
                     / s) for c_rec, o_rec in zip(c_outs, ort_outs)
             for c, o, s in zip(c_rec, o_rec, scales)]
    d = np.concatenate(diffs)
    return int(d.max()), float(np.mean(d == 0))


def _save(m: onnx.ModelProto, path):
    onnx.save(m, path)
    return path


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """The onnxruntime-quantized conv net, its C outputs and onnxruntime's."""
    d = tmp_path_factory.mktemp("interop")
    path = nets.ort_quantize(nets.float_net(d / "float.onnx"), d / "qdq.onnx", "QDQ")
    xs = _records(0)
    c, want = _c(path, d / "c", xs), _ort(path, xs)
    worst, same = _lsb(c, want, _out_scales(onnx.load(path)))
    print(f"onnxruntime QDQ conv net: C vs onnxruntime max {worst} LSB over {N} inputs, "
          f"{100 * same:.1f}% identical")
    assert worst <= MAX_LSB
    return {"model": onnx.load(path), "x": xs, "c": c, "ort": want}


def _same_as_base(base, m: onnx.ModelProto, tmp_path) -> None:
    """``m`` compiles and runs (ASan/UBSan) to the unmutated file's C bytes, and
    onnxruntime gives the same values for both files."""
    path = _save(m, tmp_path / "form.onnx")
    for got, want in zip(_ort(path, base["x"]), base["ort"]):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)
    for got, want in zip(_c(path, tmp_path / "c", base["x"]), base["c"]):
        for g, w in zip(got, want):
            np.testing.assert_array_equal(g, w)


# -- (a) quantization parameters as graph inputs ---------------------------------------------
def test_params_as_graph_inputs_with_initializers_are_constants(base, tmp_path):
    m = forms.params_as_inputs(base["model"])
    assert len(m.graph.input) > 10
    _same_as_base(base, m, tmp_path)


def test_param_as_runtime_input_is_refused_naming_the_node(base, tmp_path, capsys):
    m = forms.param_as_runtime_input(base["model"], "r1_scale")
    path, out = _save(m, tmp_path / "dyn.onnx"), tmp_path / "out"
    assert main(["compile", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and not out.exists(), err
    assert "quantization parameter 'r1_scale' is a runtime input" in err, err
    assert "node 'r1_QuantizeLinear'" in err, err


def test_param_computed_from_an_input_is_refused_naming_the_node(base, tmp_path):
    m = forms.param_computed_from_input(base["model"], "s_scale")
    with pytest.raises(UnsupportedError, match=r"node 's_QuantizeLinear'.*quantization "
                       r"parameter 's_scale' is computed at run time \(from graph input 'k'\)"):
        load_onnx(_save(m, tmp_path / "k.onnx"))


# -- (b) constants computed by nodes ---------------------------------------------------------
def test_params_from_constant_chains_and_shape_arithmetic_fold(base, tmp_path):
    m = forms.params_as_constant_chains(base["model"])
    ops = {n.op_type for n in m.graph.node}
    assert {"Constant", "Identity", "Mul", "Div", "Sub", "Cast", "Concat", "Shape",
            "Gather", "Reshape"} <= ops
    assert not set(forms.param_names(m))          # no scale is an initializer any more
    g, g0 = load_onnx(_save(m, tmp_path / "chains.onnx")), \
        load_onnx(_save(base["model"], tmp_path / "base.onnx"))
    assert [op.kind for op in g.ops] == [op.kind for op in g0.ops]
    _same_as_base(base, m, tmp_path)


def test_constant_folding_refuses_an_exploding_constant(base, tmp_path):
    """Mul of a [4096, 1] and a [1, 8192] constant: 32M elements from 12K, refused."""
    m = forms.copy(base["model"])
    a = onnx.numpy_helper.from_array(np.ones((4096, 1), np.float32), "big_a")
    b = onnx.numpy_helper.from_array(np.ones((1, 8192), np.float32), "big_b")
    m.graph.initializer.extend([a, b])
    m.graph.node.insert(0, helper.make_node("Mul", ["big_a", "big_b"], ["big"], name="big"))
    m.graph.node.insert(1, helper.make_node("ReduceMax", ["big"], ["big_r"], keepdims=0))
    with pytest.raises(TinyDeployError, match=r"node 'big'.*33554432 elements"):
        load_onnx(_save(m, tmp_path / "big.onnx"))


# -- (c) IR version 3 ------------------------------------------------------------------------
def test_ir3_with_initializers_not_inputs_runs_as_onnxruntime_does(base, tmp_path):
    m = forms.ir3(base["model"])
    with pytest.raises(onnx.checker.ValidationError, match="not in graph input"):
        onnx.checker.check_model(m)
    _same_as_base(base, m, tmp_path)


def _input_renamed(m):
    next(n for n in m.graph.node if n.op_type == "Conv").input[0] = "ghost"


def _cycle(m):
    conv = next(n for n in m.graph.node if n.op_type == "Conv")
    conv.input[0] = "s_QuantizeLinear_Output"


@pytest.mark.parametrize("damage,words", [
    (_input_renamed, ["node 'conv1'", "'ghost' is not computed"]),
    (_cycle, ["node 'conv1'", "computed by a later node"]),
    (lambda m: setattr(m, "ir_version", 2), ["invalid ONNX model", "IR version < 3"]),
])
def test_malformed_ir3_files_are_still_one_clean_error(base, tmp_path, capsys, damage, words):
    m = forms.ir3(base["model"])
    damage(m)
    path, out = _save(m, tmp_path / "bad.onnx"), tmp_path / "out"
    assert main(["compile", str(path), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and str(path) in err and not out.exists(), err
    for w in words:
        assert w in err, err


# -- (d) Gather / Slice heads ----------------------------------------------------------------
def test_gather_slice_head_compiles_and_matches_onnxruntime(tmp_path):
    path = nets.ort_quantize(forms.dronet_float(tmp_path / "dronet.onnx"),
                             tmp_path / "dronet_qdq.onnx", "QDQ")
    m = onnx.load(path)
    assert {"Gather", "Slice"} <= {n.op_type for n in m.graph.node}
    g = load_onnx(path)
    kinds = [op.kind for op in g.ops]
    assert kinds.count("gather") == 2 and kinds.count("slice") == 3
    nhwc = set(g.meta["nhwc_of_nchw"])
    picks = {op.name: op for op in g.ops if op.kind in ("gather", "slice")}
    assert picks["pick_channels"].attrs["axis"] == 3 and picks["pick_channels"].inputs[0] in nhwc
    assert picks["reverse"].attrs["steps"] == (1, -1) and picks["reverse"].attrs["starts"] == (0, 1)

    xs = _records(1)
    c, want = _c(path, tmp_path / "c", xs), _ort(path, xs)
    gold = [run_graph(g, [x]) for x in xs]
    worst, same = _lsb(c, want, _out_scales(m))
    print(f"DroNet-like Gather/Slice head: C vs onnxruntime max {worst} LSB over {N} "
          f"inputs, {100 * same:.1f}% identical")
    assert worst <= MAX_LSB
    for c_rec, g_rec in zip(c, gold):          # C == numpy golden, bit for bit
        for name, cv in zip(g.outputs, c_rec):
            np.testing.assert_array_equal(np.asarray(cv).ravel(), g_rec[name].ravel())
    for steer, _, rev, head in c:               # the picks are copies of the head
        np.testing.assert_array_equal(steer.ravel(), head.ravel()[:1])
        np.testing.assert_array_equal(rev.ravel(), head.ravel()[::-1])
    for steer, _, rev, head in want:
        np.testing.assert_array_equal(steer.ravel(), head.ravel()[:1])


def _with_picks(m: onnx.ModelProto, nodes, inits: dict, outputs) -> onnx.ModelProto:
    """``m`` plus ``nodes`` (constants ``inits``), with ``outputs`` added after its own."""
    m = forms.copy(m)
    m.graph.initializer.extend(onnx.numpy_helper.from_array(np.asarray(v), k)
                               for k, v in inits.items())
    m.graph.node.extend(nodes)
    m.graph.output.extend(helper.make_tensor_value_info(name, et, [1])   # (inferred)
                          for name, et in outputs)
    return m


def _check_picks(c, want, units, picks) -> None:
    """Every output within 1 LSB (``units``: one LSB per output) of onnxruntime's; each
    pick ``k: (source, fn)`` exactly ``fn(output source)`` in the C and in onnxruntime."""
    for c_rec, o_rec in zip(c, want):
        for cv, ov, unit in zip(c_rec, o_rec, units):
            assert np.asarray(cv).shape == ov.shape
            d = np.abs(np.asarray(cv, np.float64) - ov.astype(np.float64)) / unit
            assert np.rint(d).max() <= MAX_LSB
        for k, (src, fn) in picks.items():
            for rec in (c_rec, o_rec):
                np.testing.assert_array_equal(rec[k], fn(np.asarray(rec[src])))


def test_qdq_picks_without_quantize_after_them_and_to_a_scalar(tmp_path):
    """On small_qdq's float output y [1, 4] (a DequantizeLinear): Gather [3, 1] straight
    to a float output, Slice 3::-2, Reshape [4] -> Gather 2 (a rank-0 output)."""
    n = helper.make_node
    m = _with_picks(onnx.load(nets.small_qdq(tmp_path / "small.onnx")), [
        n("Gather", ["y", "g_idx"], ["z_gather"], name="g", axis=1),
        n("Slice", ["y", "s_st", "s_en", "s_ax", "s_sp"], ["z_slice"], name="s"),
        n("Reshape", ["y", "r4"], ["y4"], name="flat"),
        n("Gather", ["y4", "i2"], ["z_scalar"], name="g0", axis=0)],
        {"g_idx": np.array([3, 1]), "s_st": np.array([3]), "s_en": np.array([-9]),
         "s_ax": np.array([-1]), "s_sp": np.array([-2]), "r4": np.array([4]),
         "i2": np.array(2)},
        [("z_gather", TensorProto.FLOAT), ("z_slice", TensorProto.FLOAT),
         ("z_scalar", TensorProto.FLOAT)])
    path = _save(m, tmp_path / "picks.onnx")
    g = load_onnx(path)
    assert g.t("z_scalar").shape == () and g.t("z_gather").shape == (1, 2)
    xs = _records(2)
    c, want = _c(path, tmp_path / "c", xs), _ort(path, xs)
    _check_picks(c, want, _out_scales(m, ["y"]) * 4, {
        1: (0, lambda y: y[:, [3, 1]]), 2: (0, lambda y: y[:, 3::-2]),
        3: (0, lambda y: y.reshape(-1)[2])})


def test_qoperator_uint8_picks_match_onnxruntime(tmp_path):
    """qop_net (uint8 QLinear ops): Gather [2, 0] of the QLinearMatMul output y [1, 3]
    and Slice 1::2 of the channels of the QLinearGlobalAveragePool output z [1, 4, 1, 1],
    both uint8 outputs."""
    n = helper.make_node
    m = _with_picks(onnx.load(nets.qop_net(tmp_path / "qop.onnx")), [
        n("Gather", ["y", "g_idx"], ["y_gather"], name="g", axis=1),
        n("Slice", ["z", "s_st", "s_en", "s_ax", "s_sp"], ["z_slice"], name="s")],
        {"g_idx": np.array([2, 0]), "s_st": np.array([1]), "s_en": np.array([4]),
         "s_ax": np.array([1]), "s_sp": np.array([2])},
        [("y_gather", TensorProto.UINT8), ("z_slice", TensorProto.UINT8)])
    path = _save(m, tmp_path / "qop_picks.onnx")
    rng = np.random.default_rng(3)
    feeds = [rng.integers(0, 256, (1, 2, 4, 4)).astype(np.uint8) for _ in range(N)]
    c, want = _c(path, tmp_path / "c", feeds), _ort(path, feeds)
    _check_picks(c, want, [1.0] * 4, {2: (0, lambda y: y[:, [2, 0]]),
                                      3: (1, lambda z: z[:, 1::2])})


def _head_net(tmp_path, node: onnx.NodeProto, inits: dict) -> onnx.ModelProto:
    m = forms.copy(onnx.load(nets.small_qdq(tmp_path / "small.onnx")))
    y = m.graph.output[0]
    m.graph.initializer.extend(onnx.numpy_helper.from_array(np.asarray(v), k)
                               for k, v in inits.items())
    node.input[0] = y.name
    m.graph.node.append(node)
    del m.graph.output[:]
    m.graph.output.append(helper.make_tensor_value_info(node.output[0], TensorProto.FLOAT,
                                                        [1]))    # (inferred on import)
    return m


@pytest.mark.parametrize("node,inits,words", [
    (helper.make_node("Gather", ["y", "y"], ["z"], name="g", axis=1), {},
     ["node 'g'", "indices 'y' must be a constant"]),
    (helper.make_node("Gather", ["y", "i"], ["z"], name="g", axis=1), {"i": np.int64(4)},
     ["node 'g'", "indices 'i'", "outside [-4, 3]"]),
    (helper.make_node("Slice", ["y", "s", "e", "a"], ["z"], name="s"),
     {"s": np.array([3]), "e": np.array([1]), "a": np.array([1])},
     ["node 's'", "shape [1, 0]", "empty"]),
    (helper.make_node("Slice", ["y", "s", "e", "a", "st"], ["z"], name="s"),
     {"s": np.array([0]), "e": np.array([3]), "a": np.array([1]), "st": np.array([0])},
     ["node 's'", "step 0"]),
])
def test_gather_slice_refusals_name_the_node(tmp_path, node, inits, words):
    path = _save(_head_net(tmp_path, node, inits), tmp_path / "bad.onnx")
    with pytest.raises(TinyDeployError) as e:
        load_onnx(path)
    for w in words:
        assert w in str(e.value), str(e.value)
