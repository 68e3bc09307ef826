"""Requantization chains are reduced by what they compute, not by their node sequence.

Small NEMO/QuantLab/Deeploy graphs (tests/pulp/nets.py), with variants an exporter may
produce (extra Cast/Identity, Mul/Add reordered or commuted), are compiled and compared
layer by layer with onnxruntime (C outputs too). Chains that do not reduce give one clear
error line naming the node, what the chain computes and why; exit code 2.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pytest

from tests.pulp import nets
from tests.pulp.ortcheck import compare_layers
from tinydeploy.cli import main
from tinydeploy.compiler import compile_model, lower_file
from tinydeploy.frontend import load_model
from tinydeploy.frontend.pulp import chains, reduce
from tinydeploy.frontend.pulp.evaluate import graph_values, reduced_values
from tinydeploy.frontend.pulp.values import IntVal, ints, leaf
from tinydeploy.quant.golden import GOLDENS, Golden, requant
from tinydeploy.check.inputs import random_inputs
from tinydeploy.check.validate import validate

VARIANTS = {
    "as_exported": {},
    "extra_cast_and_identity": {"extra_cast": True, "identity": True},
    "add_before_mul": {"add_first": True},
    "commuted_operands": {"commuted": True, "add_first": True},
}


def _requants(g) -> int:
    """Requantizations, as ``requant`` ops or fused into their accumulator
    (passes/fuse_requant.py)."""
    return sum(op.kind == "requant" or "requant" in op.attrs for op in g.ops)


def _save(tmp_path, model: onnx.ModelProto, name: str) -> str:
    p = tmp_path / f"{name}.onnx"
    onnx.save(model, p)
    return str(p)


@pytest.mark.cc
@pytest.mark.parametrize("variant", list(VARIANTS))
def test_nemo_chain_variant_lowers_and_matches_onnxruntime(tmp_path, variant):
    path = _save(tmp_path, nets.nemo_net(seed=1, **VARIANTS[variant]), variant)
    low = compile_model(path, tmp_path / "out")
    kinds = [op.kind for op in low.graph.ops]
    assert _requants(low.graph) >= 4 and "sum_pool2d" in kinds and "add" in kinds
    assert len(compare_layers(path, low, random_inputs(low.graph, 10, seed=5))) >= 8
    v = validate(tmp_path / "out", n=10, seed=6)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


def test_float32_rounding_emulation_is_what_makes_it_exact(tmp_path, monkeypatch):
    """Without reproducing the graph's float32 rounding of x*mul + add, the integer
    requantization differs from onnxruntime (products near 2**35, quotient step 64)."""
    path = _save(tmp_path, nets.wide_requant_net(seed=1), "wide")
    low = lower_file(path)
    assert [op.attrs["fp32"] for op in low.graph.ops if op.kind == "requant"] == [3]
    records = random_inputs(low.graph, 10, seed=5)
    compare_layers(path, low, records)
    g = GOLDENS["requant"]

    def prepare_without(graph, op):
        return dataclasses.replace(g.prepare(graph, op), fp32=0)
    monkeypatch.setitem(GOLDENS, "requant", Golden("requant", prepare_without, g.run,
                                                    g.args_type))
    with pytest.raises(AssertionError, match="differ from onnxruntime"):
        compare_layers(path, lower_file(path), records)


@pytest.mark.cc
def test_unclamped_float32_requant_c_matches_onnxruntime(tmp_path):
    path = _save(tmp_path, nets.wide_requant_net(seed=2), "wide")
    compile_model(path, tmp_path / "out")
    v = validate(tmp_path / "out", n=10)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


@pytest.mark.cc
def test_quantlab_chain_with_annotations_matches_onnxruntime(tmp_path):
    path = _save(tmp_path, nets.quantlab_net(seed=2), "ql")
    low = compile_model(path, tmp_path / "out")
    assert low.graph.meta["dialect"] == "quantlab"
    compare_layers(path, low, random_inputs(low.graph, 10, seed=7))
    v = validate(tmp_path / "out", n=10)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


@pytest.mark.cc
def test_tcn_like_dilated_1d_net_matches_onnxruntime(tmp_path):
    path = _save(tmp_path, nets.tcn_net(seed=4), "tcn")
    low = compile_model(path, tmp_path / "out", input_type="int8")
    assert {"conv2d", "sum_pool2d", "fully_connected"} <= {op.kind for op in low.graph.ops}
    assert _requants(low.graph) >= 3
    compare_layers(path, low, random_inputs(low.graph, 10, seed=8))
    v = validate(tmp_path / "out", n=10)
    assert v.c_vs_golden_exact and v.c_vs_reference_max_lsb == 0, v.messages


def test_deeploy_requant_shift_rounds_half_up_then_clamps(tmp_path):
    """Independent numpy statement of RequantShift: floor((x*mul + add + div/2) / div)."""
    model = nets.deeploy_net(seed=3)
    path = _save(tmp_path, model, "dp")
    g = load_model(path)           # unfused: the int32 accumulator is a tensor
    inits = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    rs = next(n for n in model.graph.node if n.op_type == "RequantShift")
    mul, add = (inits[rs.input[1]].astype(np.int64).reshape(-1),
                inits[rs.input[2]].astype(np.int64).reshape(-1))
    from tinydeploy.quant.execute import run_graph
    x = random_inputs(g, 1, seed=1)[0]
    env = run_graph(g, x)
    acc = env[rs.input[0]].astype(np.int64)                   # NHWC int32 accumulator
    want = np.clip((acc * mul + add + 2**15) // 2**16, -128, 127)
    got = env[g.outputs[0]].astype(np.int64).transpose(0, 2, 3, 1)
    np.testing.assert_array_equal(got, want)


@pytest.mark.cc
def test_deeploy_residual_add_requantized_by_requant_shift_matches_golden(tmp_path):
    path = _save(tmp_path, nets.deeploy_net(seed=4, residual=True), "dpres")
    low = compile_model(path, tmp_path / "out")
    assert _requants(low.graph) == 3
    assert any(op.kind == "add" for op in low.graph.ops)
    v = validate(tmp_path / "out", n=10)
    assert v.c_vs_golden_exact, v.messages


def _compile_error(tmp_path, capsys, model: onnx.ModelProto, name: str) -> str:
    path = _save(tmp_path, model, name)
    rc = main(["compile", path, "-o", str(tmp_path / "out")])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1, err
    assert path in err and not (tmp_path / "out").exists()
    return err


def test_float_division_that_rounds_does_not_reduce(tmp_path, capsys):
    err = _compile_error(tmp_path, capsys, nets.float_div_net(), "fdiv")
    assert "node 'div_by_3'" in err and "floor(x*500)" in err
    assert "is rounded" in err and "the graph gives" in err


def test_unrounded_value_reaching_a_conv_does_not_reduce(tmp_path, capsys):
    err = _compile_error(tmp_path, capsys, nets.not_integer_net(), "notint")
    assert "node 'scale_by_0.3'" in err and "not an integer" in err
    assert "/ 16777216" in err          # what the chain computes: x * 0.3f exactly


def _int_leaf(lo: int, hi: int, bits=24):
    return leaf(IntVal("x", (1, 1), ints([lo]), ints([hi])), "x", bits)


def _c(v):
    """A float32 constant, as the graph stores it."""
    return chains.per_channel(np.array(v, dtype=np.float32), (1, 1), "c")


def test_integer_division_truncates_toward_zero_like_onnxruntime():
    ch = chains.cast(_int_leaf(-1000, 1000), "int64", "cast")
    ch = chains.div(chains.mul(ch, _c(3), "m"), _c(7), "d")
    r = reduce.reduce_chain(ch, "test")
    assert r.rounding == "trunc"
    x = np.arange(-1000, 1001, dtype=np.int64)
    np.testing.assert_array_equal(reduced_values(r, [x], 0), np.trunc(x * 3 / 7))


def test_mul_add_order_changes_where_float32_rounds():
    """x*k + l rounds twice, (x + l')*k once: both are reproduced, and differently."""
    x = np.random.default_rng(0).integers(-2**20, 2**20, size=200000)
    k, l = 1533, 1234567
    lk = int(np.float32(l * k))                       # the float32 constant l*k
    a = chains.add(chains.mul(_int_leaf(-2**20, 2**20), _c(k), "m"), _c(lk), "a")
    b = chains.mul(chains.add(_int_leaf(-2**20, 2**20), _c(l), "a"), _c(k), "m")
    ra, rb = (reduce.reduce_chain(chains.round_to_int(chains.div(c, _c(2**20), "d"),
                                                       "floor", "f"), "t") for c in (a, b))
    assert (ra.fp32, rb.fp32) == (3, 2)
    for ch, r in ((a, ra), (b, rb)):
        ch = chains.round_to_int(chains.div(ch, _c(2**20), "d"), "floor", "f")
        got = graph_values(ch.trace, {id(ch.terms[0]): x}, 0)
        np.testing.assert_array_equal(reduced_values(r, [x], 0), got)
    assert not np.array_equal(requant.round_f32(requant.round_f32(x * k) + lk),
                              requant.round_f32(x * k + l * k))


def test_float_op_between_integer_layers_is_unsupported_not_cut(tmp_path, capsys):
    err = _compile_error(tmp_path, capsys, nets.mid_sigmoid_net(), "mid")
    assert "node 'mid_sigmoid' (Sigmoid)" in err and "unsupported operator Sigmoid" in err


def test_unknown_output_tensor_is_an_error(tmp_path, capsys):
    path = _save(tmp_path, nets.nemo_net(), "nemo")
    rc = main(["compile", path, "-o", str(tmp_path / "o"), "--output-tensor", "nope"])
    assert rc == 2 and "--output-tensor 'nope': no such tensor" in capsys.readouterr().err
