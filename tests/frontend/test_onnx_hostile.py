"""Hostile .onnx files (QDQ/QOperator importer and the float quantizer's loader): every
defect is one clean error line naming the file (and the node where there is one), exit 2,
no output; and a seeded run of the quick mutation driver (tests/fuzz/onnx_quick.py) gives
no escaped exception and no internal error.

Each case is one class of defect and the place that validates it: the reader
(``frontend/onnx_reader.py``: dtypes vs byte counts, dims, enums, graph structure,
unknown shapes), the op-table decoders (``frontend/onnx_ops.py``: pads, strides,
dilations, axes, perm, ...), the quantization readers (``frontend/onnx_build.py``: scales,
zero points, per-channel axes) and the float loader's constants.
"""

from __future__ import annotations

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from tests.frontend import onnx_nets as nets
from tinydeploy.cli import main
from tinydeploy.errors import TinyDeployError
from tinydeploy.quantize.float_graph import load_float_model


@pytest.fixture(scope="module")
def seeds(tmp_path_factory) -> dict[str, onnx.ModelProto]:
    d = tmp_path_factory.mktemp("seeds")
    return {"qdq": onnx.load(nets.small_qdq(d / "qdq.onnx")),
            "qdq_cast": onnx.load(nets.small_qdq(d / "qdq_cast.onnx", act="clip6",
                                                 extra="cast")),
            "qop": onnx.load(nets.qop_net(d / "qop.onnx")),
            "tail": onnx.load(nets.qdq_tail_ops(d / "tail.onnx")),
            "float": onnx.load(nets.float_net_more_ops(d / "float.onnx"))}


# -- mutation helpers ----------------------------------------------------------------------
def _init(m, name):
    return next(t for t in m.graph.initializer if t.name == name)


def _node(m, name):
    return next(n for n in m.graph.node if n.name == name)


def _set(m, name, value):
    t = _init(m, name)
    t.CopyFrom(numpy_helper.from_array(np.asarray(value), name))


def _attr(m, node, key, value, attr_type=None):
    n = _node(m, node)
    keep = [a for a in n.attribute if a.name != key]
    del n.attribute[:]
    n.attribute.extend(keep + [helper.make_attribute(key, value, attr_type=attr_type)])


def _dtype_keep_bytes(m, name, dtype):
    _init(m, name).data_type = dtype


def _truncate(m, name):
    t = _init(m, name)
    t.raw_data = t.raw_data[:10]


def _dims(m, name, i, value):
    _init(m, name).dims[i] = value


def _input_dim(m, i, value):
    m.graph.input[0].type.tensor_type.shape.dim[i].dim_value = value


def _drop_attrs(m, node):
    del _node(m, node).attribute[:]


def _op(m, node, op_type):
    _node(m, node).op_type = op_type


def _input(m, node, i, name):
    _node(m, node).input[i] = name


def _constant_without_value(m, name):
    m.graph.initializer.remove(_init(m, name))
    m.graph.node.insert(0, helper.make_node("Constant", [], [name], name="k"))


def _duplicate_input(m):
    m.graph.input.append(m.graph.input[0])


# name: (seed, mutation, node named in the message or None, words of the reason)
INT8_CASES = {
    "scale_nan": ("qdq", lambda m: _set(m, "s_x", np.float32(np.nan)), "q_x", ["scale 's_x'"]),
    "scale_inf": ("qdq", lambda m: _set(m, "s_x", np.float32(np.inf)), "q_x", ["scale 's_x'"]),
    "scale_zero": ("qdq", lambda m: _set(m, "s_x", np.float32(0)), "q_x", ["scale 's_x'"]),
    "scale_1e38": ("qdq", lambda m: _set(m, "s_w", np.full(8, 1e38, np.float32)), "dq_w",
                   ["scale 's_w'", "1e+38"]),
    "scale_negative": ("qdq", lambda m: _set(m, "s_y", np.float32(-0.05)), "q_y",
                       ["scale 's_y'", "positive"]),
    "zero_point_count": ("qdq", lambda m: _set(m, "z_w", np.zeros(3, np.int8)), "dq_w",
                         ["zero point 'z_w'", "3 values for 8"]),
    "dtype_changed_bytes_kept": ("qdq", lambda m: _dtype_keep_bytes(m, "w", TensorProto.INT32),
                                 None, ["initializer 'w'", "216 bytes", "864"]),
    "raw_data_truncated": ("qdq", lambda m: _truncate(m, "w"), None,
                           ["initializer 'w'", "10 bytes"]),
    "initializer_dims_2_31": ("qdq", lambda m: _dims(m, "w", 0, 2**31), None,
                              ["initializer 'w'", "int32"]),
    "input_dim_2_31": ("qdq", lambda m: _input_dim(m, 2, 2**31), None, ["input 'x'", "int32"]),
    "input_dim_zero": ("qdq", lambda m: _input_dim(m, 3, 0), None, ["input 'x'", "0"]),
    "per_channel_axis_removed": ("qdq", lambda m: _drop_attrs(m, "dq_b"), "dq_b",
                                 ["axis 1", "out of range"]),
    "per_channel_axis_out_of_range": ("tail", lambda m: _attr(m, "dq_fw", "axis", 5), "dq_fw",
                                      ["axis 5", "out of range"]),
    "pads_2_31": ("qdq", lambda m: _attr(m, "conv", "pads", [2**31] * 4), "conv", ["int32"]),
    "dilations_2_31": ("qdq", lambda m: _attr(m, "conv", "dilations", [2**31] * 2), "conv",
                       ["int32"]),
    "strides_zero": ("qdq", lambda m: _attr(m, "conv", "strides", [0, 0]), "conv",
                     ["strides"]),
    "axes_out_of_range": ("tail", lambda m: _set(m, "axes", np.array([7], np.int64)), "unsq",
                          ["axes", "7"]),
    "op_type_swapped": ("qop", lambda m: _op(m, "gap", "QLinearAdd"), "gap",
                        ["5 inputs", "at least 7"]),
    "input_renamed": ("qdq", lambda m: _input(m, "conv", 0, "ghost"), "conv",
                      ["'ghost'", "not computed"]),
    "cycle": ("qdq", lambda m: _input(m, "conv", 0, "cq"), "conv", ["'cq'", "later node"]),
    "cast_to_unknown": ("qdq_cast", lambda m: _attr(m, "cast", "to", 1000), "cast", ["to"]),
    "input_elem_type_unknown": ("qdq", lambda m: setattr(
        m.graph.input[0].type.tensor_type, "elem_type", 99), None, ["input 'x'", "(99)"]),
    "initializer_dtype_unknown": ("qdq", lambda m: setattr(_init(m, "w"), "data_type", 99),
                                  None, ["initializer 'w'", "(99)"]),
    "opset_unknown": ("qdq", lambda m: setattr(m.opset_import[0], "version", 10**6), None,
                      ["opset 1000000"]),
    "graph_outputs_removed": ("qdq", lambda m: m.graph.ClearField("output"), None,
                              ["no graph nodes or outputs"]),
    "duplicate_graph_input": ("qdq", _duplicate_input, None, ["'x'", "declared twice"]),
    "constant_without_value": ("qdq", lambda m: _constant_without_value(m, "s_x"), "k",
                               ["Constant with 0 attributes"]),
    "clip_bound_not_a_number": ("tail", lambda m: _set(m, "lo", np.zeros(0, np.float32)),
                                "matmul", ["Clip bound 'lo'", "one number"]),
    "bias_not_finite": ("tail", lambda m: _set(m, "fb", np.full(4, np.nan, np.float32)),
                        "matmul", ["bias", "finite"]),
}


def _copy(m: onnx.ModelProto) -> onnx.ModelProto:
    c = onnx.ModelProto()
    c.CopyFrom(m)
    return c


@pytest.mark.parametrize("case", sorted(INT8_CASES))
def test_hostile_int8_onnx_is_one_clean_error(case, seeds, tmp_path, capsys):
    seed, mutate, node, words = INT8_CASES[case]
    m = _copy(seeds[seed])
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


FLOAT_CASES = {
    "perm_not_a_permutation": (lambda m: _attr(m, "to_nhwc", "perm", [0, 0, 1, 1]),
                               "to_nhwc", ["perm [0, 0, 1, 1]"]),
    "shape_constant_complex": (lambda m: _dtype_keep_bytes(m, "shape", TensorProto.COMPLEX64),
                               "reshape", ["shape 'shape'", "integers"]),
    "pool_pads_empty": (lambda m: _attr(m, "maxpool", "pads", [], onnx.AttributeProto.INTS),
                        "maxpool", ["pads", "0 values"]),
    "weight_not_finite": (lambda m: _set(m, "w1", np.full((6, 3, 3, 3), np.inf, np.float32)),
                          "conv1", ["finite"]),
    "initializer_dtype_unknown": (lambda m: setattr(_init(m, "pads"), "data_type", 99), None,
                                  ["initializer 'pads'", "(99)"]),
}


@pytest.mark.parametrize("case", sorted(FLOAT_CASES))
def test_hostile_float_onnx_raises_only_tinydeploy_error(case, seeds, tmp_path):
    mutate, node, words = FLOAT_CASES[case]
    m = _copy(seeds["float"])
    mutate(m)
    path = tmp_path / "hostile_float.onnx"
    onnx.save(m, path)
    with pytest.raises(TinyDeployError) as info:
        load_float_model(path)
    msg = str(info.value)
    assert len(msg.splitlines()) == 1 and str(path) in msg, msg
    if node:
        assert f"node '{node}'" in msg, msg
    for w in words:
        assert w in msg, f"{w!r} not in: {msg}"


def test_seeded_mutations_never_escape_or_fail_internally(tmp_path):
    """~150 seeded cases of the quick driver (int8 compile and float loader): only
    'compiled' or 'clean' (exit 2, one line naming the file, no output left)."""
    from tests.fuzz import onnx_quick

    results = onnx_quick.run(150, seed=0, work=tmp_path, slow_share=0.0)
    bad = [r for r in results if r.outcome not in ("compiled", "clean")]
    assert not bad, "\n".join(f"[{r.outcome}] {r.seed}: {r.mutation}: {r.message[:300]}"
                              for r in bad)
    assert {r.outcome for r in results} == {"compiled", "clean"}
