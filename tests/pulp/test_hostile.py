"""Hostile NEMO/QuantLab/Deeploy files: every defect is one clean error line naming the file
(and the node where there is one), exit 2, no output.

These graphs skip ``onnx.checker`` as a whole (``RequantShift`` is not an ONNX operator),
so each class of defect is validated where the importer first relies on it: the shared
reader (``read_onnx(checker=False)``: dtypes vs byte counts, dims, enums, order/cycles,
Constant nodes; ``check_schemas``: the standard nodes' attributes and input counts), the
layer decoders (pads, strides, dilations, group), the chain constants (finite, within
int64), RequantShift's attributes and the reduced requantization's int64 range.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.pulp import nets
from tinydeploy.cli import main

SEEDS = {"nemo": nets.nemo_net, "deeploy": nets.deeploy_net}


def _init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)


def _node(m, name):
    return next(n for n in m.graph.node if n.name == name)


def _set(m, name, value):
    _init(m, name).CopyFrom(numpy_helper.from_array(np.asarray(value), name))


def _set_one(m, name, value):
    a = numpy_helper.to_array(_init(m, name)).copy()
    a.reshape(-1)[1] = value
    _set(m, name, a)


def _fill(m, name, value, dtype):
    _set(m, name, np.full(list(_init(m, name).dims), value, dtype))


def _attr(m, node, key, value):
    n = _node(m, node)
    keep = [a for a in n.attribute if a.name != key]
    del n.attribute[:]
    n.attribute.extend(keep + [helper.make_attribute(key, value)])


def _truncate(m, name):
    t = _init(m, name)
    t.raw_data = t.raw_data[:7]


def _constant_without_value(m, name):
    m.graph.initializer.remove(_init(m, name))
    m.graph.node.insert(0, helper.make_node("Constant", [], [name], name="k"))


# name: (seed, mutation, node named in the message or None, words of the reason)
CASES = {
    "multiplier_nan": ("nemo", lambda m: _set_one(m, "c2", np.nan), "Mul_2", ["non-finite"]),
    "multiplier_inf": ("nemo", lambda m: _set_one(m, "c2", np.inf), "Mul_2", ["non-finite"]),
    "multiplier_huge": ("nemo", lambda m: _set_one(m, "c2", 3.4e38), "Mul_2",
                        ["3.4e+38", "int64"]),
    "integer_multiplier_2_62": ("nemo", lambda m: _set(m, "c4", np.array([2**62], np.int64)),
                                "Mul_5", ["int64"]),
    "divisor_zero": ("nemo", lambda m: _set(m, "c5", np.array(0, np.int64)), "Div_6",
                     ["Div by zero"]),
    "weight_dtype_changed_bytes_kept": ("nemo", lambda m: setattr(_init(m, "c0"), "data_type",
                                                                  TensorProto.INT8),
                                        None, ["initializer 'c0'", "864 bytes", "216"]),
    "weight_raw_data_truncated": ("nemo", lambda m: _truncate(m, "c0"), None,
                                  ["initializer 'c0'", "7 bytes"]),
    "dims_2_31": ("nemo", lambda m: _init(m, "c2").dims.__setitem__(1, 2**31), None,
                  ["initializer 'c2'", "int32"]),
    "pads_2_31": ("nemo", lambda m: _attr(m, "Conv_1", "pads", [2**31] * 4), "Conv_1",
                  ["pads", "2147483648"]),
    "dilations_huge": ("nemo", lambda m: _attr(m, "Conv_1", "dilations", [2**30] * 2),
                       "Conv_1", ["dilation", "output"]),
    "strides_zero": ("nemo", lambda m: _attr(m, "Conv_1", "strides", [0, 0]), "Conv_1",
                     ["strides"]),
    "group_zero": ("nemo", lambda m: _attr(m, "Conv_1", "group", 0), "Conv_1", ["group"]),
    "clip_bound_beyond_int64": ("nemo", lambda m: _attr(m, "Clip_9", "max", -1e38), "Clip_9",
                                ["int64"]),
    "cast_to_unknown": ("nemo", lambda m: _attr(m, "Cast_4", "to", 1000), "Cast_4",
                        ["Cast to 1000"]),
    "cast_to_removed": ("nemo", lambda m: _node(m, "Cast_4").ClearField("attribute"),
                        "Cast_4", ["'to'"]),
    "op_type_swapped": ("nemo", lambda m: setattr(_node(m, "Mul_5"), "op_type", "MaxPool"),
                        "Mul_5", ["input size 2"]),
    "operator_in_unknown_domain": ("nemo", lambda m: setattr(_node(m, "Mul_5"), "domain",
                                                             "bogus"),
                                   "Mul_5", ["unsupported operator Mul (domain 'bogus')"]),
    "input_removed": ("nemo", lambda m: _node(m, "Add_3").input.pop(), "Add_3",
                      ["input size 1"]),
    "input_renamed": ("nemo", lambda m: _node(m, "Add_3").input.__setitem__(0, "ghost"),
                      "Add_3", ["'ghost'", "not computed"]),
    "cycle": ("nemo", lambda m: _node(m, "Add_3").input.__setitem__(0, "t9"), "Add_3",
              ["later node"]),
    "opset_unknown": ("nemo", lambda m: setattr(m.opset_import[0], "version", 10**6), None,
                      ["opset 1000000"]),
    "input_elem_type_unknown": ("nemo", lambda m: setattr(
        m.graph.input[0].type.tensor_type, "elem_type", 99), None, ["input 'x'", "(99)"]),
    "graph_outputs_removed": ("nemo", lambda m: m.graph.ClearField("output"), None,
                              ["no graph nodes or outputs"]),
    "constant_without_value": ("nemo", lambda m: _constant_without_value(m, "c5"), "k",
                               ["Constant with 0 attributes"]),
    "requantshift_div_zero": ("deeploy", lambda m: _attr(m, "RequantShift_2", "div", 0),
                              "RequantShift_2", ["div 0"]),
    "requantshift_levels_zero": ("deeploy", lambda m: _attr(m, "RequantShift_2",
                                                            "n_levels_out", 0),
                                 "RequantShift_2", ["n_levels 0"]),
    "requantshift_signed_unknown": ("deeploy", lambda m: _attr(m, "RequantShift_2", "signed",
                                                               7),
                                    "RequantShift_2", ["signed 7"]),
    "requantshift_input_removed": ("deeploy", lambda m: _node(m, "RequantShift_2").input.pop(),
                                   "RequantShift_2", ["expected x, mul, add"]),
    "requantshift_add_beyond_int64": ("deeploy", lambda m: _fill(m, "c3", 2**62, np.int64),
                                      "RequantShift_2", ["int64"]),
    "requant_intermediates_beyond_int64": ("deeploy", lambda m: _fill(m, "c2", 2**55,
                                                                      np.int64),
                                           "RequantShift_2", ["beyond the int64 range"]),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_hostile_pulp_onnx_is_one_clean_error(case, tmp_path, capsys):
    seed, mutate, node, words = CASES[case]
    m = SEEDS[seed]()
    mutate(m)
    path, out = tmp_path / "hostile.onnx", tmp_path / "out"
    onnx.save(m, path)
    rc = main(["compile", str(path), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    assert rc == 2, err
    assert err.startswith("tinydeploy: error: ") and len(err.splitlines()) == 1, err
    assert str(path) in err, f"the file is not named: {err}"
    assert not out.exists()
    if node:
        assert f"node '{node}'" in err, err
    for w in words:
        assert w in err, f"{w!r} not in: {err}"


def test_seeds_compile(tmp_path, capsys):
    """The unmutated seeds compile (the cases above fail because of their mutation)."""
    for name, build in SEEDS.items():
        path = tmp_path / f"{name}.onnx"
        onnx.save(build(), path)
        assert main(["compile", str(path), "-o", str(tmp_path / name)]) == 0, \
            capsys.readouterr().err
