"""Deeploy's ONNX Runtime training graphs (one SGD step: forward, SoftmaxCrossEntropyLoss,
the *Grad ops, SGD; inputs a float32 sample and its int64 label, outputs the updated
parameters) compiled as they are and run under ASan/UBSan: ``<name>_run`` gives the
updated parameters in graph order, within 1e-4 absolute + 1e-3 relative of outputs.npz.
The SGD-updated initializers are the trainable parameters: RAM arrays each call
overwrites with their new values (a second call is a second step, tested below). Since
an update (lr times the gradient) is far smaller than a weight, the tolerance alone would pass a wrong gradient: each output's update (output
minus the initial parameter) must also match Deeploy's update within 1% of its largest
element (float rounding of the weights reaches ~0.5% on the smallest updates here).
Ten steps in C, the updated parameters fed back (moved to graph inputs for the test),
equal ten steps of the numpy golden. Unsupported forms of the training operators are
refused with one line naming the node."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

import tinydeploy
from tests.conftest import model_path
from tests.pulp.test_deeploy_float import assert_close, record
from tests.train.steps import with_params
from tinydeploy.check.hostrun import build, run
from tinydeploy.compiler import compile_model
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.training import training
from tinydeploy.quant.execute import run_graph

TRAIN = ["Models_Transformer_Train", "Models_CCT_Train_CCT2_FT1"]
UPDATE_TOL = 0.01


@pytest.mark.cc
@pytest.mark.models
@pytest.mark.parametrize("name", TRAIN)
def test_training_step_gives_deeploys_updated_parameters(name, tmp_path):
    folder = model_path(f"deeploy/{name}")
    m = onnx.load(folder / "network.onnx")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out")
    man = proj.manifest
    assert [(s["name"], s["dtype"]) for s in man["inputs"]] == [("input", "float32"),
                                                                ("labels", "int64")]
    assert [s["name"] for s in man["outputs"]] == [o.name for o in m.graph.output]
    outs = run(build(proj.path, sanitize=True), man, [record(folder, man)])[0]
    worst = assert_close(outs, folder)
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    param = {n.output[0]: n.input[0] for n in m.graph.node if n.op_type == "SGD"}
    want = np.load(folder / "outputs.npz")
    worst_update = 0.0
    for y, k in zip(outs, want.files):
        w = inits[param[k]].astype(np.float64)
        got, ref = y.reshape(w.shape) - w, want[k] - w
        scale = float(np.abs(ref).max())
        err = float(np.abs(got - ref).max())
        assert err <= UPDATE_TOL * scale + 1e-9, f"{k}: update off by {err:.3g} (largest " \
                                                 f"update {scale:.3g})"
        worst_update = max(worst_update, err / scale if scale else 0.0)
    print(f"{name}: max abs {worst[0]:.2e}, max rel {worst[1]:.2e}, update "
          f"{worst_update:.2e} of the largest")


def _model(path, nodes, inputs, outputs, inits=()):
    g = helper.make_graph(nodes, "g", inputs, outputs, list(inits))
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                            helper.make_opsetid("com.microsoft", 1)])
    onnx.save(m, path)
    return path


def _vi(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


LOGITS = _vi("logits", TensorProto.FLOAT, [4, 10])
LABELS = _vi("labels", TensorProto.INT64, [4])
REFUSALS = {
    "sum": ([helper.make_node("SoftmaxCrossEntropyLoss", ["logits", "labels"], ["lp"],
                              name="sce", reduction="sum")],
            [LOGITS, LABELS], [_vi("lp", TensorProto.FLOAT, [4, 10])],
            "reduction 'sum'"),
    "loss_output": ([helper.make_node("SoftmaxCrossEntropyLoss", ["logits", "labels"],
                                      ["loss", "lp"], name="sce")],
                    [LOGITS, LABELS], [_vi("lp", TensorProto.FLOAT, [4, 10])],
                    "the loss output"),
    "grad_with_dy": ([helper.make_node("SoftmaxCrossEntropyLossGrad",
                                       ["dy", "logits", "labels"], ["dx"], name="sce",
                                       domain="com.microsoft")],
                     [_vi("dy", TensorProto.FLOAT, []), LOGITS, LABELS],
                     [_vi("dx", TensorProto.FLOAT, [4, 10])], "3 inputs"),
    "ln_grad_dscale": ([helper.make_node("LayerNormalizationGrad",
                                         ["logits", "x", "s", "b"], ["dx", "ds", "db"],
                                         name="sce", domain="com.microsoft")],
                       [LOGITS, _vi("x", TensorProto.FLOAT, [4, 10])],
                       [_vi("dx", TensorProto.FLOAT, [4, 10])], "only dX"),
    "float_labels": ([helper.make_node("SoftmaxCrossEntropyLossGrad", ["logits", "x"],
                                       ["dx"], name="sce", domain="com.microsoft")],
                     [LOGITS, _vi("x", TensorProto.FLOAT, [4])],
                     [_vi("dx", TensorProto.FLOAT, [4, 10])], "must be an int64"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unsupported_training_forms_are_refused_with_one_line(case, tmp_path):
    nodes, ins, outs, why = REFUSALS[case]
    inits = [numpy_helper.from_array(np.ones(10, np.float32), n) for n in ("s", "b")]
    path = _model(str(tmp_path / "m.onnx"), nodes, ins, outs, inits)
    with pytest.raises(TinyDeployError) as e:
        tinydeploy.compile(path, tmp_path / "out")
    msg = str(e.value)
    assert "\n" not in msg and why in msg and "sce" in msg, msg


def _params_as_inputs(folder, path) -> list[str]:
    """The training graph with its SGD-updated initializers moved to graph inputs (after
    the sample and the label), so that a step's outputs can be fed to the next step."""
    m = onnx.load(folder / "network.onnx")
    params = [n.input[0] for n in m.graph.node if n.op_type == "SGD"]
    inits = {i.name: i for i in m.graph.initializer}
    for p in params:
        init = inits[p]
        m.graph.initializer.remove(init)
        m.graph.input.append(_vi(p, init.data_type, list(init.dims)))
    onnx.save(m, path)
    return params


@pytest.mark.cc
@pytest.mark.models
@pytest.mark.parametrize("name", TRAIN)
def test_ten_steps_in_c_equal_ten_steps_of_the_numpy_golden(name, tmp_path):
    """The updated parameters fed back as the next step's parameters, ten times, on random
    samples and labels: the C and the numpy golden (quant/golden, the same IR) agree
    within libm ulps (expf, erff, tanhf) carried through ten steps."""
    folder = model_path(f"deeploy/{name}")
    path = tmp_path / "params_in.onnx"
    params = _params_as_inputs(folder, path)
    m = onnx.load(folder / "network.onnx")
    inits = {i.name: numpy_helper.to_array(i) for i in m.graph.initializer}
    low = compile_model(path, tmp_path / "out")
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    exe = build(tmp_path / "out", sanitize=False)
    by_param = {o.name: n.input[0] for o in m.graph.output for n in m.graph.node
                if n.op_type == "SGD" and n.output[0] == o.name}
    x_spec, lab_spec = man["inputs"][0], man["inputs"][1]
    rng = np.random.default_rng(7)
    c_params = {p: inits[p] for p in params}
    g_params = dict(c_params)
    for _ in range(10):
        x = rng.standard_normal(x_spec["shape"]).astype(np.float32)
        lab = rng.integers(0, 10, size=lab_spec["shape"]).astype(np.int64)
        rec = [x, lab] + [c_params[s["name"]].astype(np.float32).reshape(s["shape"])
                          for s in man["inputs"][2:]]
        c_out = run(exe, man, [rec])[0]
        env = run_graph(low.graph, dict(zip(low.graph.inputs, [x, lab] + [
            g_params[s["name"]].astype(np.float32).reshape(s["shape"])
            for s in man["inputs"][2:]])))
        g_out = [env[n] for n in low.graph.outputs]
        c_params = {by_param[o.name]: y for o, y in zip(m.graph.output, c_out)}
        g_params = {by_param[o.name]: y for o, y in zip(m.graph.output, g_out)}
    moved = diff = 0.0
    for p in params:
        diff = max(diff, float(np.abs(c_params[p].reshape(-1) - g_params[p].reshape(-1))
                               .max()))
        np.testing.assert_allclose(c_params[p].reshape(-1), g_params[p].reshape(-1),
                                   rtol=1e-5, atol=1e-7, err_msg=p)
        moved = max(moved, float(np.abs(g_params[p].reshape(-1) - inits[p].reshape(-1))
                                 .max()))
    assert moved > 1e-4          # (ten steps moved the parameters)
    print(f"{name}: 10 steps, C - golden max abs {diff:.2e}, parameters moved up to "
          f"{moved:.2e}")


@pytest.mark.cc
def test_loss_and_grad_with_constant_labels_match_numpy(tmp_path):
    """SoftmaxCrossEntropyLoss then its Grad on labels held in an initializer (an int64
    constant in the C): (softmax - one-hot) / N^2, in float64 numpy."""
    n, c = 3, 7
    labels = np.array([6, 0, 3], np.int64)
    nodes = [helper.make_node("SoftmaxCrossEntropyLoss", ["logits", "labels"], ["lp"],
                              name="sce", reduction="mean"),
             helper.make_node("SoftmaxCrossEntropyLossGrad", ["lp", "labels"], ["dx"],
                              name="sce_grad", reduction="mean", domain="com.microsoft")]
    path = _model(str(tmp_path / "m.onnx"), nodes,
                  [_vi("logits", TensorProto.FLOAT, [n, c])],
                  [_vi("dx", TensorProto.FLOAT, [n, c])],
                  [numpy_helper.from_array(labels, "labels")])
    compile_model(path, tmp_path / "out")
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    x = np.random.default_rng(3).uniform(-5, 5, (n, c)).astype(np.float32)
    got = run(build(tmp_path / "out", sanitize=True), man, [[x]])[0][0]
    e = np.exp(x.astype(np.float64) - x.max(axis=1, keepdims=True))
    want = e / e.sum(axis=1, keepdims=True)
    want[np.arange(n), labels] -= 1.0
    np.testing.assert_allclose(got, want / n / n, rtol=1e-5, atol=1e-7)


@pytest.mark.cc
@pytest.mark.models
@pytest.mark.parametrize("name", TRAIN)
def test_steps_update_the_trainable_parameters_in_place(name, tmp_path):
    """Compiled as it is, a training graph keeps its SGD-updated initializers in RAM
    (mutable arrays, NAME_TRAINABLE_BYTES) and every call writes their new values over
    them: four calls in one process are four steps, each equal to the numpy golden
    stepped from the previous step's parameters (the frozen weights stay const)."""
    folder = model_path(f"deeploy/{name}")
    low = compile_model(folder / "network.onnx", tmp_path / "out")
    man = json.loads((tmp_path / "out" / "manifest.json").read_text())
    step = training(low.graph)
    assert step is not None and len(step.updates) == sum(
        n.op_type == "SGD" for n in onnx.load(folder / "network.onnx").graph.node)
    header = (tmp_path / "out" / "network.h").read_text()
    nbytes = sum(low.graph.t(p).nbytes for p in step.params)
    assert f"#define NETWORK_TRAINABLE_BYTES {nbytes}\n" in header
    assert "int network_train_step(" in header
    source = (tmp_path / "out" / "network.c").read_text()
    assert source.count("trainable parameter float32") == len(step.updates)
    rng = np.random.default_rng(11)
    recs = [[rng.standard_normal(s["shape"]).astype(np.float32) if s["dtype"] == "float32"
             else rng.integers(0, 10, size=s["shape"]).astype(np.int64)
             for s in man["inputs"]] for _ in range(4)]
    c_out = run(build(tmp_path / "out", sanitize=True), man, recs)
    g = low.graph
    by_out = {u: p for p, u in step.updates}
    for rec, got in zip(recs, c_out):
        env = run_graph(g, rec)
        new = {by_out[n]: env[n] for n in g.outputs}
        for n, y in zip(g.outputs, got):
            np.testing.assert_allclose(y.reshape(-1), env[n].reshape(-1), rtol=1e-5,
                                       atol=1e-7, err_msg=n)
        g = with_params(g, new)


@pytest.mark.cc
@pytest.mark.models
def test_validate_steps_the_golden_with_the_program(tmp_path):
    """`validate` runs its inputs in one program, so each is one more step: the golden
    carries the parameters the same way, and (onnxruntime cannot run training graphs) says
    it is the only reference instead of failing."""
    folder = model_path("deeploy/Models_Transformer_Train")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out")
    v = proj.validate(n=3, sanitize=True)
    assert v.c_vs_golden_exact and v.ok and "numpy golden" in v.reference
