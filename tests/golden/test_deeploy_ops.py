"""The goldens of Deeploy's integer operators (quant/golden/isoftmax.py, itamax.py, ...)
against the independent reference (check/deeploy_ops.py: quantlib's definitions run in
the ONNX reference evaluator), on random source values, and the matrix product against
numpy. The goldens are the bit-exact spec the C kernels are tested against."""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from onnx.reference import ReferenceEvaluator

from tests.graphs import act, const, one_op
from tests.kernels import attention_cases as cases
from tinydeploy.check import deeploy_ops
from tinydeploy.quant.execute import run_graph


def reference(op_type: str, inputs: list[np.ndarray], **attrs) -> np.ndarray:
    """One Deeploy node evaluated by the independent reference (float64 containers)."""
    names = [f"i{k}" for k in range(len(inputs))]
    node = helper.make_node(op_type, names, ["y"], **attrs)
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info(
        n, TensorProto.DOUBLE, list(x.shape)) for n, x in zip(names, inputs)],
        [helper.make_empty_tensor_value_info("y")])
    m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    ev = ReferenceEvaluator(m, new_ops=deeploy_ops.op_classes(m))
    return ev.run(None, {n: x.astype(np.float64) for n, x in zip(names, inputs)})[0]


def golden(g, x: list[np.ndarray]) -> np.ndarray:
    return run_graph(g, x)[g.outputs[0]]


def source(g, name: str, v: np.ndarray) -> np.ndarray:
    return v.astype(np.int64) - g.t(name).quant.zp


@pytest.mark.parametrize("seed", range(4))
def test_isoftmax_golden_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    g, (x,) = cases.isoftmax(rng, "")
    a = g.ops[0].attrs
    want = reference("iSoftmax", [source(g, g.inputs[0], x)],
                     coeffA=a["coeff_a"], coeffB=a["coeff_b"], coeffC=a["coeff_c"],
                     log2=a["log2"], n_levels=a["n_levels"])
    np.testing.assert_array_equal(source(g, g.outputs[0], golden(g, [x])), want)


@pytest.mark.parametrize("seed", range(4))
def test_itamax_golden_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    g, (x,) = cases.itamax(rng, "")
    want = reference("ITAMax", [source(g, g.inputs[0], x)], n_levels=256)
    np.testing.assert_array_equal(source(g, g.outputs[0], golden(g, [x])), want)


@pytest.mark.parametrize("seed", range(3))
def test_itapartialmax_golden_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    g, (x,) = cases.itapartialmax(rng, "")
    want = reference("ITAPartialMax", [x.astype(np.int64)], n_levels=256,
                     group_width=g.ops[0].attrs["group_width"])
    np.testing.assert_array_equal(golden(g, [x]).astype(np.int64), want)


@pytest.mark.parametrize("kind,op_type", [("igelu", "iGELU"), ("ihardswish", "iHardswish")])
@pytest.mark.parametrize("seed", range(3))
def test_activation_golden_equals_the_reference(kind, op_type, seed):
    rng = np.random.default_rng(seed)
    g, (x,) = getattr(cases, kind)(rng, "")
    want = reference(op_type, [source(g, g.inputs[0], x)], **g.ops[0].attrs)
    np.testing.assert_array_equal(golden(g, [x]).astype(np.int64), want)


def _norm_graph(rng, kind: str, shape):
    length = shape[-1]
    ins = [act("x", shape, 1.0, int(rng.choice([0, -128])), "int8"),
           const("w", rng.integers(-2**22, 2**22, size=length).astype(np.int32), 1.0)]
    if kind == "ilayernorm":
        ins.append(const("b", rng.integers(-2**20, 2**20, size=length).astype(np.int32), 1.0))
    return one_op(kind, ins, act("y", shape, 1.0, 0, "int8"), log2d=16, clip=(-128, 127))


@pytest.mark.parametrize("kind,op_type", [("ilayernorm", "iLayerNorm"),
                                          ("irmsnorm", "iRMSNorm")])
@pytest.mark.parametrize("seed", range(3))
def test_norm_golden_equals_the_reference(kind, op_type, seed):
    rng = np.random.default_rng(seed)
    g = _norm_graph(rng, kind, (2, 3, int(rng.integers(2, 70))))
    x = cases.values(rng, g.t("x"))
    params = [g.t(n).data for n in g.ops[0].inputs[1:]]
    want = reference(op_type, [source(g, "x", x), *params], D=2**16, n_levels=256)
    np.testing.assert_array_equal(golden(g, [x]).astype(np.int64), want)


def test_inonorm_golden_equals_the_reference():
    rng = np.random.default_rng(5)
    shape = (1, 6, 8)
    w = rng.integers(-100, 100, size=(6, 8)).astype(np.int32)
    b = rng.integers(-3000, 3000, size=8).astype(np.int32)
    g = one_op("inonorm", [act("x", shape, 1.0, 0, "int8"), const("w", w.ravel(), 1.0),
                           const("b", b, 1.0)], act("y", shape, 1.0, 0, "int8"),
               mul=311, log2d=14, clip=(-128, 127))
    x = cases.values(rng, g.t("x"))
    want = reference("iNoNorm", [x.astype(np.int64), w, b], D=2**14, mul=311, n_levels=256)
    np.testing.assert_array_equal(golden(g, [x]).astype(np.int64), want)


@pytest.mark.parametrize("seed", range(3))
def test_integer_div_golden_equals_the_reference(seed):
    rng = np.random.default_rng(seed)
    g, (a, b) = cases.integer_div(rng, "")
    k = g.ops[0].attrs
    want = reference("IntegerDiv", [a.astype(np.int64), source(g, g.inputs[1], b)],
                     Delta=k["delta"], eps=k["eps"], eta=k["eta"])
    np.testing.assert_array_equal(golden(g, [a, b]).astype(np.int64), want)


def test_integer_mean_golden_rounds_half_up_like_the_reference():
    x = np.array([[[-3, -2, 5, 1], [7, -8, 0, 2]]], np.int8)      # means 2, -5, 2.5, 1.5
    g = one_op("reduce", [act("x", x.shape, 1.0, 0, "int8")], act("y", (1, 4), 1.0, 0, "int32"),
               axes=(1,), mode="mean")
    want = reference("IntegerMean", [x.astype(np.int64)], axes=[1], keepdims=0)
    np.testing.assert_array_equal(golden(g, [x]), want)
    assert golden(g, [x]).ravel().tolist() == [2, -5, 3, 2]


@pytest.mark.parametrize("seed", range(6))
def test_matmul_golden_equals_numpy(seed):
    rng = np.random.default_rng(seed)
    g, xs = cases.matmul(rng, "")
    op = g.ops[0]
    vals = dict(zip(g.inputs, xs))

    def operand(name: str, trans: bool) -> np.ndarray:
        t = g.t(name)
        v = (t.data if t.is_const else vals[name]).astype(np.int64) - t.quant.zp
        return np.swapaxes(v, -1, -2) if trans else v
    a = operand(op.inputs[0], op.attrs["trans_a"])
    b = operand(op.inputs[1], op.attrs["trans_b"])
    want = op.attrs["alpha"] * np.matmul(a, b)
    if len(op.inputs) > 2 and op.inputs[2]:
        want = want + op.attrs["beta"] * g.t(op.inputs[2]).data.astype(np.int64)
    np.testing.assert_array_equal(golden(g, xs).astype(np.int64), want)


def test_reference_model_has_one_class_per_domain():
    m = helper.make_model(helper.make_graph(
        [helper.make_node("iSoftmax", ["x"], ["y"], domain="PACTOps"),
         helper.make_node("ITAMax", ["y"], ["z"])], "g", [], []))
    classes = deeploy_ops.op_classes(m)
    assert [(c.__name__, c.op_domain) for c in classes] == [("iSoftmax", "PACTOps"),
                                                            ("ITAMax", "")]
    assert onnx.__version__
