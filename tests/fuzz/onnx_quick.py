"""Quick seeded mutation driver for hostile ONNX files (a small stand-in for the full fuzzer).

Seeds: the demo network, the ONNX test nets (tests/frontend/onnx_nets.py), the PULP test
nets (tests/pulp/nets.py), the PULP models (../shared/models/pulp/*.onnx, when present) and
a few Deeploy kernels that compile today; the float nets for the quantizer's loader. Each
case applies one mutation, sometimes two (a NaN/inf/0 scale,
an out-of-range zero point, an initializer whose dtype changed but not its bytes, a
truncated raw_data, dims of 0/-1/2**31, a removed/huge/negative/mistyped attribute, an
invalid perm/axes, a swapped op type, a removed/renamed input, shuffled nodes, a cycle,
an unknown enum, an odd opset, removed graph outputs, ...) and runs the result through
``tinydeploy.cli.main(["compile", f, "-o", out])`` in-process (or, for float seeds,
``load_float_model``). Outcomes:

- ``compiled``: exit 0;
- ``clean``: exit 2, one line "tinydeploy: error: ..." naming the file, no output left;
- ``unnamed``: exit 2 but the message does not name the file / is not one line / output
  left behind;
- ``internal``: exit 3 (an exception tinydeploy did not expect);
- ``escaped``: an exception out of ``main`` (or, for the float loader, anything but a
  TinyDeployError naming the file); ``timeout``: a case over the time limit.

Run ``python tests/fuzz/onnx_quick.py -n 300 --seed 0`` (``-v`` lists every bad case).
"""

from __future__ import annotations

import argparse
import contextlib
import copy
import io
import random
import signal
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

REPO = Path(__file__).resolve().parents[2]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))
MODELS = REPO.parent / "shared" / "models"
DEEPLOY = ["Kernels_Integer_Add_Regular_RQ", "Kernels_Integer_Conv_DW_2D_RQ",
           "Kernels_Integer_Conv_StriddedPadded_2D_RQ",
           "Kernels_Integer_GEMM_Regular_RQPerColumn"]
# the big PULP nets take ~1 s each to compile: used less often
SLOW = {"nemo_penguinet32", "ql_dvs_cnn9", "nemo_dscnn"}
BAD_INTS = [0, -1, -7, 2**31, -2**31, 2**31 - 1, 2**62, 1000]
BAD_FLOATS = [float("nan"), float("inf"), float("-inf"), 0.0, 1e38, -0.5, 1e-45, 3.4e38]
OPS = ["Conv", "Gemm", "MatMul", "Add", "Mul", "Sub", "Div", "AveragePool", "MaxPool",
       "GlobalAveragePool", "Relu", "Clip", "Floor", "Cast", "Reshape", "Flatten",
       "Transpose", "Identity", "Pad", "Concat", "Softmax", "Sigmoid", "ReduceMean",
       "Squeeze", "Unsqueeze", "QuantizeLinear", "DequantizeLinear", "QLinearConv",
       "QLinearMatMul", "RequantShift", "BatchNormalization", "Shape", "Tanh", "Dropout"]
EXTRA_ATTRS = {
    "pads": [[2**31] * 4, [-3] * 4, [1, 1], [2**62, 0, 0, 0]],
    "strides": [[0, 0], [2**31, 2**31], [-1, 1], [1]],
    "dilations": [[2**31, 2**31], [0, 0], [-2, 1], [1, 1, 1]],
    "kernel_shape": [[0, 0], [2**31, 2**31], [-1, 3], [3]],
    "group": [0, -1, 3, 2**31], "axis": [99, -99, 2**31], "axes": [[99], [-99], [0, 0]],
    "perm": [[0, 0, 1, 1], [5, 4, 3, 2], [0, 1], [-1, 0, 1, 2]],
    "ceil_mode": [1, 7], "auto_pad": ["SAME_UPPER", "VALID", "BOGUS"],
    "count_include_pad": [1], "transA": [1], "transB": [1, 5], "alpha": [float("nan"), -1.0],
    "beta": [float("inf"), 0.0], "to": [1000, 0, 8, 7], "n_levels": [0, -5, 2**40, 1],
    "n_levels_out": [0, 2**62], "div": [0, -8, 2**62, 3], "signed": [7, -1],
    "keepdims": [0], "allowzero": [1], "mode": ["reflect", "bogus"], "block_size": [4],
    "output_dtype": [99, 6, 1], "epsilon": [float("nan")], "min": [float("nan")],
    "max": [-1e38], "value": [float("nan"), 7.0], "channels_last": [1], "opset": [1, 99],
}


# -- seeds ---------------------------------------------------------------------------------
def int8_seeds(work: Path) -> list[Path]:
    """Paths of the int8 seed models (generated into ``work`` where needed)."""
    from tests.frontend import onnx_nets as nets
    from tests.pulp import nets as pulp_nets
    from tinydeploy.demo import make_demo_model
    work.mkdir(parents=True, exist_ok=True)
    out = [work / "demo.onnx"]
    make_demo_model(out[0], seed=0)
    out.append(nets.small_qdq(work / "small_qdq.onnx"))
    out.append(nets.small_qdq(work / "small_qdq_u8.onnx", act="clip6", extra="cast",
                              uint8=True))
    out.append(nets.qop_net(work / "qop.onnx"))
    out.append(nets.qdq_tail_ops(work / "qdq_tail.onnx"))
    for name, build in (("pulp_nemo", pulp_nets.nemo_net), ("pulp_quantlab",
                        pulp_nets.quantlab_net), ("pulp_deeploy", pulp_nets.deeploy_net),
                        ("pulp_tcn", pulp_nets.tcn_net)):
        onnx.save(build(), work / f"{name}.onnx")
        out.append(work / f"{name}.onnx")
    if MODELS.is_dir():
        out += sorted((MODELS / "pulp").glob("*.onnx"))
        out += [MODELS / "deeploy" / d / "network.onnx" for d in DEEPLOY
                if (MODELS / "deeploy" / d / "network.onnx").exists()]
    return out


def float_seeds(work: Path) -> list[Path]:
    from tests.frontend import onnx_nets as nets
    work.mkdir(parents=True, exist_ok=True)
    return [nets.float_net(work / "float_net.onnx"),
            nets.float_net_more_ops(work / "float_more.onnx")]


# -- helpers -------------------------------------------------------------------------------
def _const_tensors(m: onnx.ModelProto) -> list[onnx.TensorProto]:
    ts = list(m.graph.initializer)
    for n in m.graph.node:
        for a in n.attribute:
            if a.type == onnx.AttributeProto.TENSOR:
                ts.append(a.t)
    return ts


def _consumers(m: onnx.ModelProto) -> dict[str, list[tuple[onnx.NodeProto, int]]]:
    out: dict[str, list] = {}
    for n in m.graph.node:
        for i, x in enumerate(n.input):
            out.setdefault(x, []).append((n, i))
    return out


def _as_raw(t: onnx.TensorProto) -> None:
    """Store ``t``'s data in raw_data (what exporters write)."""
    if t.HasField("raw_data") or t.data_type in (0, TensorProto.STRING):
        return
    try:
        arr = numpy_helper.to_array(t)
    except Exception:  # noqa: BLE001 - already broken: leave it
        return
    t.CopyFrom(numpy_helper.from_array(arr, t.name))


def _set_array(t: onnx.TensorProto, arr: np.ndarray) -> None:
    t.CopyFrom(numpy_helper.from_array(np.asarray(arr), t.name))


def _named(m, names) -> list[onnx.TensorProto]:
    return [t for t in m.graph.initializer if t.name in names]


def _scale_names(m) -> set[str]:
    """Names of constants that are scales: Q/DQ input 1, QLinear scale slots, and float
    constants of Mul/Div/Add (the requantization multipliers of the PULP dialects)."""
    slots = {"QuantizeLinear": (1,), "DequantizeLinear": (1,), "QLinearConv": (1, 4, 6),
             "QLinearMatMul": (1, 4, 6), "QLinearGlobalAveragePool": (1, 3),
             "QLinearAdd": (1, 4, 6), "QLinearMul": (1, 4, 6), "QGemm": (1, 4, 7),
             "Mul": (0, 1), "Div": (1,), "Add": (0, 1), "RequantShift": (1, 2)}
    out = set()
    for n in m.graph.node:
        for i in slots.get(n.op_type, ()):
            if i < len(n.input):
                out.add(n.input[i])
    return out


def _zp_names(m) -> set[str]:
    slots = {"QuantizeLinear": (2,), "DequantizeLinear": (2,), "QLinearConv": (2, 5, 7),
             "QLinearMatMul": (2, 5, 7), "QLinearGlobalAveragePool": (2, 4),
             "RequantShift": (2,)}
    return {n.input[i] for n in m.graph.node for i in slots.get(n.op_type, ())
            if i < len(n.input)}


# -- mutations: each changes ``m`` in place and returns a description (None: n/a) -------------
def mut_scale(m, r):
    ts = [t for t in _named(m, _scale_names(m)) if t.data_type in
          (TensorProto.FLOAT, TensorProto.DOUBLE)]
    if not ts:
        return None
    t = r.choice(ts)
    a = numpy_helper.to_array(t).copy()
    v = r.choice(BAD_FLOATS)
    if a.size and r.random() < 0.6:
        a.reshape(-1)[r.randrange(a.size)] = v
    else:
        a[...] = v
    _set_array(t, a.astype(a.dtype))
    return f"scale/multiplier '{t.name}' <- {v}"


def mut_zero_point(m, r):
    ts = _named(m, _zp_names(m))
    if not ts:
        return None
    t = r.choice(ts)
    a = numpy_helper.to_array(t)
    how = r.choice(["int32", "int16", "resize", "uint8", "big"])
    if how in ("int32", "int16"):
        _set_array(t, np.full(a.shape, r.choice([300, -1000, 2**15 - 1]), how))
    elif how == "resize":
        _set_array(t, np.zeros(a.size + r.choice([1, 2, 5]), a.dtype))
    elif how == "uint8":
        _set_array(t, np.full(a.shape, 255, np.uint8))
    else:
        _set_array(t, np.full(a.shape, r.choice([2**40, -2**62]), np.int64))
    return f"zero point/offset '{t.name}' -> {how}"


def mut_dtype(m, r):
    ts = [t for t in _const_tensors(m) if t.data_type]
    if not ts:
        return None
    t = r.choice(ts)
    _as_raw(t)
    new = r.choice([TensorProto.FLOAT, TensorProto.INT8, TensorProto.UINT8, TensorProto.INT32,
                    TensorProto.INT64, TensorProto.FLOAT16, TensorProto.DOUBLE,
                    TensorProto.INT16, TensorProto.BOOL, TensorProto.INT4, TensorProto.UINT64,
                    TensorProto.BFLOAT16, TensorProto.COMPLEX64])
    old = t.data_type
    t.data_type = new
    return f"'{t.name}' dtype {old} -> {new}, bytes kept"


def mut_truncate(m, r):
    ts = [t for t in _const_tensors(m) if t.data_type]
    if not ts:
        return None
    t = r.choice(ts)
    _as_raw(t)
    n = len(t.raw_data)
    if not n:
        return None
    t.raw_data = t.raw_data[:r.choice([0, n // 2, n - 1])]
    return f"'{t.name}' raw_data truncated to {len(t.raw_data)}/{n} bytes"


def mut_dims(m, r):
    v = r.choice([0, -1, 2**31, 2**40, 3])
    if r.random() < 0.5:
        ts = [t for t in _const_tensors(m) if t.dims]
        if not ts:
            return None
        t = r.choice(ts)
        how = r.choice(["set", "set", "drop", "add"])
        if how == "set":
            t.dims[r.randrange(len(t.dims))] = v
        elif how == "drop":
            del t.dims[r.randrange(len(t.dims))]
        else:
            t.dims.append(v)
        return f"initializer '{t.name}' dims {how} {v}"
    vis = [vi for vi in (*m.graph.input, *m.graph.output, *m.graph.value_info)
           if vi.type.tensor_type.shape.dim]
    if not vis:
        return None
    vi = r.choice(vis)
    d = vi.type.tensor_type.shape.dim[r.randrange(len(vi.type.tensor_type.shape.dim))]
    d.Clear()
    if v < 0 or r.random() < 0.8:
        d.dim_value = v
    else:
        d.dim_param = "N"
    return f"value '{vi.name}' dim -> {v}"


def _nodes_with_attrs(m):
    return [n for n in m.graph.node if n.attribute]


def mut_attr_remove(m, r):
    ns = _nodes_with_attrs(m)
    if not ns:
        return None
    n = r.choice(ns)
    i = r.randrange(len(n.attribute))
    name = n.attribute[i].name
    del n.attribute[i]
    return f"node '{n.name}' ({n.op_type}): attribute '{name}' removed"


def mut_attr_value(m, r):
    ns = _nodes_with_attrs(m)
    if not ns:
        return None
    n = r.choice(ns)
    a = r.choice(list(n.attribute))
    A = onnx.AttributeProto
    if a.type == A.INT:
        a.i = r.choice(BAD_INTS)
    elif a.type == A.INTS:
        if a.ints and r.random() < 0.7:
            a.ints[r.randrange(len(a.ints))] = r.choice(BAD_INTS)
        elif r.random() < 0.5:
            del a.ints[:]
        else:
            a.ints.append(r.choice(BAD_INTS))
    elif a.type == A.FLOAT:
        a.f = r.choice(BAD_FLOATS)
    elif a.type == A.FLOATS and a.floats:
        a.floats[r.randrange(len(a.floats))] = r.choice(BAD_FLOATS)
    elif a.type == A.STRING:
        a.s = r.choice([b"BOGUS", b"", b"\xff\xfe"])
    elif a.type == A.TENSOR:
        _set_array(a.t, np.array(r.choice([[float("nan")], [2**62], []]),
                                 r.choice([np.float32, np.int64])))
    else:
        return None
    return f"node '{n.name}' ({n.op_type}): attribute '{a.name}' changed"


def mut_attr_type(m, r):
    ns = _nodes_with_attrs(m)
    if not ns:
        return None
    n = r.choice(ns)
    i = r.randrange(len(n.attribute))
    name = n.attribute[i].name
    new = r.choice([helper.make_attribute(name, 1.5), helper.make_attribute(name, "x"),
                    helper.make_attribute(name, [1, 2, 3]), helper.make_attribute(name, 7),
                    helper.make_attribute(name, [0.5, 0.25])])
    n.attribute[i].CopyFrom(new)
    return f"node '{n.name}' ({n.op_type}): attribute '{name}' retyped"


def mut_attr_add(m, r):
    n = r.choice(list(m.graph.node))
    key = r.choice(list(EXTRA_ATTRS))
    val = r.choice(EXTRA_ATTRS[key])
    keep = [a for a in n.attribute if a.name != key]
    del n.attribute[:]
    n.attribute.extend(keep + [helper.make_attribute(key, val)])
    return f"node '{n.name}' ({n.op_type}): {key}={val}"


def mut_axes(m, r):
    """Invalid perm / axes / shape / pads constant inputs."""
    cands = []
    for n in m.graph.node:
        if n.op_type == "Transpose":
            cands.append((n, "perm"))
        for i, x in enumerate(n.input):
            if (n.op_type, i) in {("Reshape", 1), ("Squeeze", 1), ("Unsqueeze", 1),
                                  ("ReduceMean", 1), ("Pad", 1), ("Pad", 3), ("Clip", 1),
                                  ("Clip", 2)}:
                cands.append((n, x))
    if not cands:
        return None
    n, what = r.choice(cands)
    bad = r.choice([[0, 0, 1, 1], [9, -9], [2**31], [-2**62, 3], [], [1, 2, 3, 4, 5, 6, 7]])
    if what == "perm":
        keep = [a for a in n.attribute if a.name != "perm"]
        del n.attribute[:]
        n.attribute.extend(keep + [helper.make_attribute("perm", bad)])
        return f"Transpose '{n.name}' perm={bad}"
    ts = [t for t in _const_tensors(m) if t.name == what]
    for n2 in m.graph.node:                     # a Constant node producing it
        if n2.op_type == "Constant" and n2.output and n2.output[0] == what:
            ts += [a.t for a in n2.attribute if a.type == onnx.AttributeProto.TENSOR]
    if not ts:
        return None
    _set_array(ts[0], np.array(bad, np.int64))
    return f"{n.op_type} '{n.name}' constant '{what}' = {bad}"


def mut_op_swap(m, r):
    n = r.choice(list(m.graph.node))
    if r.random() < 0.2:
        n.domain = r.choice(["bogus", "ai.onnx", "com.microsoft", "ai.onnx.contrib"])
        return f"node '{n.name}' ({n.op_type}): domain '{n.domain}'"
    old = n.op_type
    n.op_type = r.choice([o for o in OPS if o != old])
    return f"node '{n.name}': {old} -> {n.op_type}"


def mut_inputs(m, r):
    ns = [n for n in m.graph.node if n.input]
    if not ns:
        return None
    n = r.choice(ns)
    how = r.choice(["remove", "rename", "empty", "extra", "swap"])
    i = r.randrange(len(n.input))
    if how == "remove":
        del n.input[i]
    elif how == "rename":
        n.input[i] = "ghost_tensor"
    elif how == "empty":
        n.input[i] = ""
    elif how == "extra":
        n.input.append(r.choice(list(n.input)))
    else:
        n.input[0], n.input[-1] = n.input[-1], n.input[0]
    return f"node '{n.name}' ({n.op_type}): input {i} {how}"


def mut_outputs_of_node(m, r):
    n = r.choice(list(m.graph.node))
    how = r.choice(["remove", "duplicate", "empty"])
    if how == "remove" or not n.output:
        del n.output[:]
    elif how == "duplicate":
        other = r.choice(list(m.graph.node))
        n.output[0] = other.output[0] if other.output else "x"
    else:
        n.output[0] = ""
    return f"node '{n.name}' ({n.op_type}): outputs {how}"


def mut_shuffle(m, r):
    nodes = list(m.graph.node)
    if len(nodes) < 2:
        return None
    copies = [copy.deepcopy(n) for n in nodes]
    r.shuffle(copies)
    del m.graph.node[:]
    m.graph.node.extend(copies)
    return "node order shuffled"


def mut_cycle(m, r):
    nodes = list(m.graph.node)
    if len(nodes) < 2:
        return None
    i = r.randrange(len(nodes) - 1)
    j = r.randrange(i, len(nodes))
    if not nodes[i].input or not nodes[j].output:
        return None
    nodes[i].input[0] = nodes[j].output[0]
    return f"cycle: '{nodes[i].name}' reads '{nodes[j].output[0]}'"


def mut_enum(m, r):
    how = r.choice(["cast", "input", "output", "init", "attrtype", "vi"])
    if how == "cast":
        casts = [n for n in m.graph.node if n.op_type == "Cast"]
        n = r.choice(casts or list(m.graph.node))
        keep = [a for a in n.attribute if a.name != "to"]
        del n.attribute[:]
        n.attribute.extend(keep + [helper.make_attribute("to", r.choice([1000, 0, -3, 99]))])
        return f"'{n.name}' ({n.op_type}) to=<unknown>"
    if how in ("input", "output", "vi"):
        vis = {"input": m.graph.input, "output": m.graph.output, "vi": m.graph.value_info}[how]
        if not len(vis):
            return None
        vi = r.choice(list(vis))
        vi.type.tensor_type.elem_type = r.choice([99, 0, 8, 17])
        return f"{how} '{vi.name}' elem_type {vi.type.tensor_type.elem_type}"
    if how == "init":
        ts = _const_tensors(m)
        if not ts:
            return None
        t = r.choice(ts)
        t.data_type = r.choice([99, 0, 1000])
        return f"initializer '{t.name}' data_type {t.data_type}"
    ns = _nodes_with_attrs(m)
    if not ns:
        return None
    n = r.choice(ns)
    a = r.choice(list(n.attribute))
    a.type = r.choice([99, 0])
    return f"'{n.name}' attribute '{a.name}' type {a.type}"


def mut_opset(m, r):
    ops = [o for o in m.opset_import if o.domain in ("", "ai.onnx")]
    v = r.choice([0, 1, 5, 7, 10, 99, 10**6, -1])
    if ops and r.random() < 0.8:
        ops[0].version = v
        return f"opset -> {v}"
    if ops:
        keep = [o for o in m.opset_import if o.domain not in ("", "ai.onnx")]
        del m.opset_import[:]
        m.opset_import.extend(keep)
        return "default opset removed"
    return None


def mut_graph_outputs(m, r):
    how = r.choice(["all", "one", "unknown", "input"])
    if how == "all":
        del m.graph.output[:]
    elif how == "one" and m.graph.output:
        del m.graph.output[r.randrange(len(m.graph.output))]
    elif how == "unknown":
        m.graph.output.append(helper.make_tensor_value_info("ghost_out", TensorProto.INT8,
                                                            [1, 4]))
    elif m.graph.input:
        m.graph.output.append(copy.deepcopy(m.graph.input[0]))
    return f"graph outputs: {how}"


def mut_graph_inputs(m, r):
    ins = [i for i in m.graph.input if i.name not in {t.name for t in m.graph.initializer}]
    how = r.choice(["remove", "duplicate", "noshape", "rank"])
    if not ins:
        return None
    vi = r.choice(ins)
    if how == "remove":
        m.graph.input.remove(vi)
    elif how == "duplicate":
        m.graph.input.append(copy.deepcopy(vi))
    elif how == "noshape":
        vi.type.tensor_type.ClearField("shape")
    else:
        vi.type.tensor_type.shape.dim.add().dim_value = 2
    return f"graph input '{vi.name}': {how}"


def mut_weights(m, r):
    """Weight/bias values out of their type's meaning (huge, NaN, non-integer)."""
    ts = [t for t in m.graph.initializer if t.data_type in (TensorProto.FLOAT,
                                                           TensorProto.INT32,
                                                           TensorProto.INT64)
          and int(np.prod(t.dims)) > 1]
    if not ts:
        return None
    t = r.choice(ts)
    a = numpy_helper.to_array(t).copy()
    if a.dtype.kind == "f":
        a.reshape(-1)[r.randrange(a.size)] = r.choice([float("nan"), 1e30, 0.5, -3e9])
    else:
        a.reshape(-1)[r.randrange(a.size)] = np.iinfo(a.dtype).max
    _set_array(t, a)
    return f"'{t.name}' value changed"


MUTATIONS = [mut_scale, mut_zero_point, mut_dtype, mut_truncate, mut_dims, mut_attr_remove,
             mut_attr_value, mut_attr_type, mut_attr_add, mut_axes, mut_op_swap, mut_inputs,
             mut_outputs_of_node, mut_shuffle, mut_cycle, mut_enum, mut_opset,
             mut_graph_outputs, mut_graph_inputs, mut_weights]


def _mutate_once(model: onnx.ModelProto, r: random.Random) -> tuple[onnx.ModelProto, str]:
    for _ in range(50):
        m = onnx.ModelProto()
        m.CopyFrom(model)
        fn = r.choice(MUTATIONS)
        try:
            what = fn(m, r)
        except (ValueError, TypeError, IndexError, OverflowError):
            what = None                      # the mutation itself did not apply
        if what:
            return m, f"{fn.__name__[4:]}: {what}"
    raise RuntimeError("no mutation applies")


def mutate(model: onnx.ModelProto, r: random.Random, double: float = 0.25
           ) -> tuple[onnx.ModelProto, str]:
    """A mutated copy of ``model`` and what was done: one mutation, or two with
    probability ``double`` (retries inapplicable mutations)."""
    m, what = _mutate_once(model, r)
    if r.random() < double:
        m, more = _mutate_once(m, r)
        what = f"{what}; {more}"
    return m, what


# -- running ------------------------------------------------------------------------------
class Timeout(BaseException):
    """Raised by SIGALRM: a BaseException so that the CLI's last line of defence (which
    catches Exception) lets it through."""


@dataclass
class Result:
    seed: str
    mutation: str
    outcome: str
    message: str
    seconds: float


def _alarm(_sig, _frame):
    raise Timeout()


def run_compile(path: Path, out: Path, limit: float = 30.0) -> tuple[str, str]:
    from tinydeploy.cli import main
    err = io.StringIO()
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            rc = main(["compile", str(path), "-o", str(out)])
    except Timeout:
        return "timeout", f"over {limit:g} s"
    except BaseException as e:  # noqa: BLE001 - the point of the driver
        return "escaped", f"{type(e).__name__}: {e}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    text = err.getvalue().strip()
    if rc == 0:
        return "compiled", ""
    if rc == 3:
        return "internal", text
    lines = text.splitlines()
    ok = (rc == 2 and len(lines) == 1 and lines[0].startswith("tinydeploy: error: ")
          and str(path) in lines[0] and not out.exists())
    return ("clean" if ok else "unnamed"), text


def run_float(path: Path, limit: float = 30.0) -> tuple[str, str]:
    from tinydeploy.errors import TinyDeployError
    from tinydeploy.quantize.float_graph import load_float_model
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, limit)
    try:
        load_float_model(path)
        return "compiled", ""
    except Timeout:
        return "timeout", f"over {limit:g} s"
    except TinyDeployError as e:
        msg = str(e)
        ok = len(msg.splitlines()) == 1 and str(path) in msg
        return ("clean" if ok else "unnamed"), msg
    except BaseException as e:  # noqa: BLE001
        return "escaped", f"{type(e).__name__}: {e}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)


def run(n: int, seed: int = 0, work: Path | None = None, float_share: float = 0.2,
        seeds_int8: list[Path] | None = None, seeds_float: list[Path] | None = None,
        slow_share: float = 0.1) -> list[Result]:
    """``n`` seeded cases (a share ``float_share`` through the float loader)."""
    tmp = tempfile.TemporaryDirectory() if work is None else None
    work = Path(tmp.name) if tmp else work
    try:
        i8 = seeds_int8 if seeds_int8 is not None else int8_seeds(work / "seeds")
        fl = seeds_float if seeds_float is not None else float_seeds(work / "seeds")
        fast = [p for p in i8 if p.stem not in SLOW]
        slow = [p for p in i8 if p.stem in SLOW]
        protos = {p: onnx.load(str(p)) for p in (*i8, *fl)}
        r = random.Random(seed)
        results = []
        for k in range(n):
            is_float = fl and r.random() < float_share
            pool = fl if is_float else (slow if slow and r.random() < slow_share else fast)
            src = r.choice(pool)
            m, what = mutate(protos[src], r)
            case = work / f"case{k:04d}"
            case.mkdir(parents=True, exist_ok=True)
            f = case / f"{src.stem}.onnx"
            f.write_bytes(m.SerializeToString())
            t0 = time.perf_counter()
            if is_float:
                outcome, msg = run_float(f)
            else:
                outcome, msg = run_compile(f, case / "out")
            results.append(Result(src.stem, what, outcome, msg, time.perf_counter() - t0))
        return results
    finally:
        if tmp:
            tmp.cleanup()


def summary(results: list[Result]) -> Counter:
    return Counter(r.outcome for r in results)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("-n", type=int, default=200)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--float-share", type=float, default=0.2)
    p.add_argument("-v", "--verbose", action="store_true", help="list every bad case")
    p.add_argument("--show-clean", action="store_true", help="also list clean errors")
    a = p.parse_args(argv)
    t0 = time.perf_counter()
    res = run(a.n, a.seed, float_share=a.float_share)
    bad = [r for r in res if r.outcome not in ("compiled", "clean")]
    for r in res if a.show_clean else bad:
        if a.verbose or a.show_clean:
            print(f"[{r.outcome}] {r.seed}: {r.mutation}\n    {r.message[:400]}")
    print(dict(summary(res)), f"{time.perf_counter() - t0:.1f} s")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
