"""Float heads of integer-deployable graphs run in C (frontend/pulp/float_head.py).

The NEMO networks of ../shared/models/pulp end in float operators applied to the integer
result: nemo_dscnn a LogSoftmax, nemo_rescon1 a Sigmoid, nemo_penguinet32 four Gather +
Unsqueeze picks. By default the head is compiled to float32 kernels and the C API returns
its float32 outputs; built under ASan/UBSan, they match onnxruntime running the original
file (the head included) on the golden input and seeded random inputs within 1e-5
relative + 1e-6 absolute, and the integer tensor feeding the head stays bit-exact
(test_networks.py: every golden layer, and every layer vs onnxruntime). ``output_tensors``
(``--output-tensor``) still cuts before the head; a head operator without a float32
kernel is one error line naming the node.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import helper

from tests.conftest import model_path
from tests.pulp import nets
from tinydeploy.check import hostrun
from tinydeploy.check.golden_files import read_golden
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate
from tinydeploy.cli import main
from tinydeploy.compiler import compile_model
from tinydeploy.project import as_project
from tinydeploy.quant.execute import run_graph

RTOL, ATOL = 1e-5, 1e-6

# stem: (head operators, the integer tensor feeding the head, graph outputs)
HEADS = {"nemo_dscnn": (["LogSoftmax"], "192", 1),
         "nemo_rescon1": (["Sigmoid"], "129", 1),
         "nemo_penguinet32": (["Gather", "Unsqueeze"], "127", 4)}


def _ort(path: str, records: list[list[np.ndarray]]) -> list[list[np.ndarray]]:
    """onnxruntime on the file as exported (its own outputs, graph optimizations off)."""
    import onnxruntime as ort

    opts = ort.SessionOptions()
    opts.log_severity_level = 3
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])
    inp = sess.get_inputs()[0]
    return [sess.run(None, {inp.name: rec[0].astype(np.float32).reshape(inp.shape)})
            for rec in records]


def _golden_input(stem: str, g) -> list[np.ndarray]:
    """The golden folder's input (single-channel images: CHW and HWC orders coincide)."""
    rec = read_golden(model_path(f"pulp/{stem}.golden"))[0]
    t = g.t(g.inputs[0])
    return [rec.inputs[0].values.reshape(t.shape).astype(t.dtype)]


@pytest.fixture(scope="module")
def compiled(tmp_path_factory):
    cache = {}

    def get(stem: str):
        if stem not in cache:
            out = tmp_path_factory.mktemp("head") / stem
            cache[stem] = (out, compile_model(model_path(f"pulp/{stem}.onnx"), out))
        return cache[stem]
    return get


@pytest.mark.models
@pytest.mark.cc
@pytest.mark.parametrize("stem", list(HEADS))
def test_float_head_runs_in_c_and_matches_onnxruntime(compiled, stem):
    ops, feed, n_out = HEADS[stem]
    out, low = compiled(stem)
    g = low.graph
    assert g.meta["float_head"] == ops
    assert [g.t(o).dtype for o in g.outputs] == ["float32"] * n_out
    path = str(model_path(f"pulp/{stem}.onnx"))
    assert g.meta["source_outputs"] == [o.name for o in onnx.load(path).graph.output]
    conv = [op for op in g.ops if op.kind in ("cast", "dequantize")]
    assert len(conv) == 1 and g.t(conv[0].outputs[0]).dtype == "float32"   # one entry
    records = [_golden_input(stem, g)] + random_inputs(g, 10, seed=7)
    proj = as_project(out)
    exe = hostrun.build(proj.path, sanitize=True)
    c_out = hostrun.run(exe, proj.manifest, records)
    ref = _ort(path, records)
    worst_abs = worst_rel = 0.0
    for k, (c, r) in enumerate(zip(c_out, ref)):
        assert len(c) == len(r) == n_out
        for y, want in zip(c, r):
            assert y.dtype == np.float32
            want = np.asarray(want, dtype=np.float32).reshape(y.shape)
            np.testing.assert_allclose(y, want, rtol=RTOL, atol=ATOL,
                                       err_msg=f"{stem} record {k}")
            d = np.abs(y.astype(np.float64) - want.astype(np.float64))
            worst_abs = max(worst_abs, float(d.max()))
            worst_rel = max(worst_rel, float((d / np.maximum(np.abs(want), 1e-30)).max()))
    print(f"{stem}: C (ASan/UBSan) vs onnxruntime over {len(records)} inputs: max abs "
          f"{worst_abs:.3g}, max rel {worst_rel:.3g}")
    v = validate(out, n=4, seed=9, sanitize=True)      # the validate command agrees
    assert v.ok and v.c_vs_golden_exact and v.reference.startswith("onnxruntime"), v.messages


@pytest.mark.models
@pytest.mark.cc
@pytest.mark.parametrize("stem", list(HEADS))
def test_output_tensor_still_cuts_before_the_head(tmp_path, stem):
    _, feed, _ = HEADS[stem]
    low = compile_model(model_path(f"pulp/{stem}.onnx"), tmp_path / "o",
                        output_tensors=[feed])
    g = low.graph
    assert "float_head" not in g.meta
    assert [g.t(o).dtype for o in g.outputs] == ["int32"]
    assert not any(g.t(t).dtype == "float32" for op in g.ops for t in op.outputs)
    v = validate(tmp_path / "o", n=3, seed=2)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


def _with_head(tmp_path, node_type: str, scale: float | None = None, **attrs) -> str:
    """nets.nemo_net with its LogSoftmax replaced by ``node_type``; ``scale``: the Gemm's
    integers times a float eps first (NEMO's real value of its output)."""
    m = nets.nemo_net()
    head = m.graph.node[-1]
    assert head.op_type == "LogSoftmax"
    src = head.input[0]
    m.graph.node.remove(head)
    if scale is not None:
        m.graph.initializer.append(onnx.numpy_helper.from_array(
            np.array(scale, dtype=np.float32), "eps_out"))
        m.graph.node.append(helper.make_node("Mul", [src, "eps_out"], ["real"],
                                             name="times_eps"))
        src = "real"
    m.graph.node.append(helper.make_node(node_type, [src], list(head.output),
                                         name="the_head", **attrs))
    p = tmp_path / f"{node_type}.onnx"
    onnx.save(m, p)
    return str(p)


def test_head_op_without_a_float_kernel_is_one_error_line(tmp_path, capsys):
    path = _with_head(tmp_path, "ArgMax", axis=1, keepdims=1)
    m = onnx.load(path)
    feed = m.graph.node[-1].input[0]
    rc = main(["compile", path, "-o", str(tmp_path / "o")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert "'the_head'" in err and "ArgMax" in err and "no float32 kernel" in err
    assert f"--output-tensor {feed} to cut before it" in err
    rc = main(["compile", path, "-o", str(tmp_path / "cut"), "--output-tensor", feed])
    assert rc == 0, capsys.readouterr().err


@pytest.mark.cc
@pytest.mark.parametrize("head", ["LogSoftmax", "Softmax", "Sigmoid", "Tanh", "Exp"])
def test_scaled_nemo_head_matches_onnxruntime_within_float_rounding(tmp_path, head):
    """The synthetic NEMO net: Gemm (int32, about +-9000) -> Mul by eps -> head, so the
    head sees real values of a few units (the real networks' heads saturate: every
    output there is exact). The Mul joins the head (float32, one rounding as in
    onnxruntime); the C under ASan/UBSan matches onnxruntime within 1e-5 relative +
    1e-6 absolute and the numpy golden within libm's ulps; validate agrees."""
    path = _with_head(tmp_path, head, scale=1.13e-3, **({"axis": 1} if "Softmax" in head
                                                        else {}))
    low = compile_model(path, tmp_path / "o")
    g = low.graph
    assert low.graph.meta["float_head"] == sorted(["Mul", head])
    assert [op.kind for op in g.ops if g.t(op.outputs[0]).dtype == "float32"][:2] == \
        ["cast", "mul"]
    records = random_inputs(g, 20, seed=4)
    proj = as_project(tmp_path / "o")
    c_out = hostrun.run(hostrun.build(proj.path, sanitize=True), proj.manifest, records)
    ref = _ort(path, records)
    y = np.stack([c[0] for c in c_out]).astype(np.float64)
    want = np.stack([np.asarray(r[0]).reshape(c_out[0][0].shape) for r in ref])
    spread = np.ptp(want)
    assert spread > 0.1, f"degenerate head values (spread {spread})"
    np.testing.assert_allclose(y, want, rtol=RTOL, atol=ATOL)
    d = np.abs(y - want)
    print(f"{head}: C vs onnxruntime over {len(records)} inputs: max abs {d.max():.3g}, max "
          f"rel {(d / np.maximum(np.abs(want), 1e-30)).max():.3g}, "
          f"{np.mean(d == 0):.0%} identical")
    # the numpy golden: bit for bit except where the C calls libm (expf, logf, tanhf may
    # be an ulp off the correctly rounded value the golden takes)
    gold = np.stack([run_graph(g, rec, low.args)[g.outputs[0]] for rec in records])
    np.testing.assert_allclose(y, gold.reshape(y.shape), rtol=1e-6, atol=1e-7)
    v = validate(tmp_path / "o", n=10, seed=4)
    assert v.c_vs_reference_max_lsb <= v.tolerance_lsb == 1.0, v.messages


def test_scaling_before_a_head_is_part_of_it_but_not_before_a_layer(tmp_path):
    """Only a float Mul/Div/Add/Sub by a constant that nothing but the head reads joins
    the head; cutting before it with --output-tensor keeps the integer Gemm output."""
    path = _with_head(tmp_path, "Sigmoid", scale=0.5)
    feed = onnx.load(path).graph.node[-2].input[0]
    low = compile_model(path, tmp_path / "cut", output_tensors=[feed])
    assert [low.graph.t(o).dtype for o in low.graph.outputs] == ["int32"]
    low = compile_model(path, tmp_path / "head")
    assert low.graph.meta["float_head"] == ["Mul", "Sigmoid"]


def _deeploy_with_dequant(tmp_path, zero_point: float = 3.0) -> str:
    """nets.deeploy_net (int8 [1, 4, 6, 6] from a RequantShift) -> Deeploy's Dequant ->
    Softmax over the channels (NCHW axis 1: the head moves the axis last and back)."""
    m = nets.deeploy_net(seed=2)
    out = m.graph.output[0]
    m.graph.node.append(helper.make_node("Dequant", [out.name], ["real"], name="dequant",
                                         scale=0.0371, zero_point=zero_point, bit_width=8,
                                         signed=1))
    m.graph.node.append(helper.make_node("Softmax", ["real"], ["probs"], name="softmax",
                                         axis=1))
    shape = [d.dim_value for d in out.type.tensor_type.shape.dim]
    del m.graph.output[:]
    m.graph.output.append(helper.make_tensor_value_info("probs", onnx.TensorProto.FLOAT,
                                                        shape))
    p = tmp_path / "deeploy_dequant.onnx"
    onnx.save(m, p)
    return str(p)


@pytest.mark.cc
def test_deeploy_dequant_head_runs_in_c(tmp_path):
    """A Deeploy CNN ending in Dequant -> Softmax: the integer part as before, the head
    (x - zero_point) * scale and the softmax in float32; vs the reference (onnx reference
    evaluator + RequantShift, float64) within the tolerance, under ASan/UBSan."""
    path = _deeploy_with_dequant(tmp_path)
    low = compile_model(path, tmp_path / "o")
    g = low.graph
    assert g.meta["dialect"] == "deeploy" and g.meta["float_head"] == ["Dequant", "Softmax"]
    assert [g.t(o).dtype for o in g.outputs] == ["float32"]
    assert g.t(g.outputs[0]).shape == (1, 4, 6, 6)
    kinds = [op.kind for op in g.ops]
    assert {"dequantize", "sub", "mul", "softmax"} <= set(kinds)
    v = validate(tmp_path / "o", n=10, seed=3, sanitize=True)
    assert v.reference.startswith("onnx reference evaluator")
    assert v.c_vs_reference_max_lsb <= v.tolerance_lsb == 1.0, v.messages
    print(f"Dequant -> Softmax: C vs float64 reference max {v.c_vs_reference_max_lsb} x 1e-5"
          f" relative, {v.c_vs_reference_exact_fraction:.0%} identical")
    feed = onnx.load(path).graph.node[-2].input[0]          # the RequantShift's output
    cut = compile_model(path, tmp_path / "cut", output_tensors=[feed])
    assert [cut.graph.t(o).dtype for o in cut.graph.outputs] == ["int8"]
