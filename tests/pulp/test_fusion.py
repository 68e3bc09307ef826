"""Raw accumulators fused into their requant (passes/fuse_requant.py).

- Random accumulator -> requant pairs for every fused kernel (conv2d from int8/int16,
  depthwise, fully connected from int8/int16, add, sum_pool2d; int8 and int16 outputs;
  every float32-rounding mode, floor and trunc): the fused graph's golden and the fused C
  kernels (one ASan/UBSan build) equal the unfused pair's golden, i.e. the accumulator op
  followed by the separate requant op.
- What stays unfused: an accumulator read twice, one that is a graph output, a requant to
  int32 (no fused kernel).
- Every network in ../shared/models/pulp compiles for gap8 and matches every golden layer
  with fused layers; the memory planner sees no int32 activation but int32 graph outputs.
- QuantLab's DVS CNN, 640 KiB of activations unfused, fits GAP8's 512 KiB L2 fused.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import model_path
from tests.graphs import act, const, one_op, random_input
from tests.harness import run_c_graph_many
from tests.kernels import attention_cases
from tests.kernels.test_td_conv2d import merge_graphs
from tests.pulp.test_kernels import add_case, conv_case, fc_case, pool_case
from tests.pulp.test_networks import NETWORKS
from tinydeploy.compiler import compile_model, lower
from tinydeploy.frontend import load_model
from tinydeploy.ir.graph import Graph, Op
from tinydeploy.ir.ops import macs
from tinydeploy.memory import plan_graph
from tinydeploy.passes import run_passes
from tinydeploy.passes.fuse_requant import fuse_requant
from tinydeploy.quant.execute import prepare_all, run_graph
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.report.layers import layer_rows
from tinydeploy.tiling import tileable
from tinydeploy.check.validate import validate_golden

GAP8_L2 = 512 * 1024

# One builder per fused accumulator kernel (tests/pulp/test_kernels.py): (rng, prefix) ->
# a one-op graph whose output is the int32 accumulator.
ACCUMULATORS = {
    "conv2d_s8": lambda rng, p: conv_case(rng, p),
    "conv2d_s16": lambda rng, p: conv_case(rng, p, dtype="int16"),
    "depthwise_s8": lambda rng, p: conv_case(rng, p, depthwise=True),
    "fc_s8": lambda rng, p: fc_case(rng, p),
    "fc_s16": lambda rng, p: fc_case(rng, p, dtype="int16"),
    "add_s8": lambda rng, p: add_case(rng, p),
    "sum_pool_s8": lambda rng, p: pool_case(rng, p),
    "matmul_s8": lambda rng, p: attention_cases.matmul(rng, p)[0],
    "igelu_s8": lambda rng, p: attention_cases.igelu(rng, p)[0],
    "ihardswish_s8": lambda rng, p: attention_cases.ihardswish(rng, p)[0],
    "add_any_s8": lambda rng, p: attention_cases.add_mul_any(rng, p, "add")[0],
    "mul_any_s8": lambda rng, p: attention_cases.add_mul_any(rng, p, "mul")[0],
}
INT8_OUT_ONLY = ("add_any_s8", "mul_any_s8")     # fused kernels with an int8 output only


def with_requant(g: Graph, rng, out: str, fp32: int, rounding: str, zp: int = 0) -> Graph:
    """``g`` (one accumulator op) followed by a requant of its output to ``out``.

    ``add`` cancels each channel's mean accumulator (times ``mul``) and the divisors are
    scaled to the spread around it on 16 random inputs, so that most results land inside the
    clamp range (the arithmetic is exercised, not just the clamp). Where the mean is far
    from 0 (:func:`offset_conv_case`), the products exceed 2**24 and float32 rounding
    changes results."""
    acc = g.t(g.outputs[0])
    c = acc.shape[-1]
    sample = np.concatenate([
        run_graph(g, [random_input(rng, g.t(n)) for n in g.inputs])[acc.name].reshape(-1, c)
        for _ in range(16)]).astype(np.float64)
    center = sample.mean(axis=0)
    spread = np.maximum(np.abs(sample - center).mean(axis=0), 1.0)
    mul = rng.integers(2**10, 2**13, size=c) * rng.choice([-1, 1], size=c)
    mul2 = int(rng.integers(1, 4))
    scale = 40.0 if out == "int8" else 8000.0
    div = np.maximum(1, (spread * np.abs(mul) * mul2 / scale).astype(np.int64))
    add = (-np.round(center * mul) + rng.uniform(-20, 20, size=c) * div / mul2
           ).astype(np.int64)
    info = np.iinfo(out)
    lo = int(info.min) - zp + int(rng.integers(0, 5))
    hi = int(info.max) - zp - int(rng.integers(0, 5))
    p = acc.name[:-1]
    y = act(p + "out", acc.shape, 1.0, zp, out)
    rq = Op("requant", p + "rq", (acc.name,), (y.name,),
            dict(mul=mul, add=add, mul2=mul2, div=div, fp32=fp32,
                 rounding=rounding, clip=(lo, hi)))
    return Graph(g.name, {**g.tensors, y.name: y}, [*g.ops, rq], list(g.inputs), [y.name])


def offset_conv_case(rng, p: str) -> Graph:
    """A 1x1 conv whose accumulator is a large bias (~2**22) plus a small variation."""
    x = act(p + "x", (1, 8, 8, 1), 1.0, 0, "int8")
    w = const(p + "w", rng.integers(-2, 3, size=(4, 1, 1, 1)).astype(np.int8), 1.0)
    b = const(p + "b", (rng.integers(2**21, 2**23, size=4) * rng.choice([-1, 1], size=4)
                        ).astype(np.int32), 1.0)
    return one_op("conv2d", [x, w, b], act(p + "y", (1, 8, 8, 4), 1.0, 0, "int32"),
                  name=p + "op")


def _pairs(seed: int) -> Graph:
    rng = np.random.default_rng(seed)
    graphs, i = [], 0
    for out in ("int8", "int16"):
        for name, make in ACCUMULATORS.items():
            if out != "int8" and name in INT8_OUT_ONLY:
                continue
            for zp in ((-128, 0) if out == "int8" else (1000, 0)):   # output zero point
                fp32, rounding = i % 4, ("floor", "trunc")[(i // 4) % 2]
                graphs.append(with_requant(make(rng, f"{name}_{out}_{i}_"), rng, out, fp32,
                                           rounding, zp))
                i += 1
    for k, fp32 in enumerate((1, 3, 1, 3)):
        graphs.append(with_requant(offset_conv_case(rng, f"offset_{k}_"), rng,
                                   ("int8", "int16")[k // 2], fp32, "floor", -k))
    return merge_graphs(graphs, "pairs")


@pytest.mark.cc
def test_fused_kernels_equal_the_unfused_accumulator_then_requant():
    unfused = _pairs(seed=41)
    fused = fuse_requant(unfused)
    assert [op.kind for op in fused.ops] == [op.kind for op in unfused.ops
                                             if op.kind != "requant"]
    assert not [n for n, t in fused.tensors.items() if t.dtype == "int32" and not t.is_const]
    kernels = {a.C_FUNC for a in prepare_all(fused).values()}
    assert kernels == {cls.C_FUNC for cls in FUSED.values()}      # every fused kernel
    rng = np.random.default_rng(42)
    recs = [[random_input(rng, unfused.t(n)) for n in unfused.inputs] for _ in range(2)]
    c_runs = run_c_graph_many(unfused, recs, sanitize=True)        # lower() fuses them
    interior = []
    for rec, c in zip(recs, c_runs):
        want = run_graph(unfused, rec)        # the accumulator op, then the requant op
        ours = run_graph(fused, rec)
        for rq in (op for op in unfused.ops if op.kind == "requant"):
            name, (lo, hi) = rq.outputs[0], rq.attrs["clip"]
            np.testing.assert_array_equal(ours[name], want[name], err_msg=name)
            np.testing.assert_array_equal(c[name].reshape(want[name].shape), want[name],
                                          err_msg=name)
            q = want[name].astype(np.int64) - unfused.t(name).quant.zp
            interior.append(np.mean((q > lo) & (q < hi)))
    assert np.mean(interior) > 0.7, f"the cases mostly test the clamp ({np.mean(interior)})"
    exact = [op.with_(attrs={**op.attrs, "fp32": 0}) if op.kind == "requant" else op
             for op in unfused.ops]
    plain = run_graph(Graph("exact", unfused.tensors, exact, unfused.inputs, unfused.outputs),
                      recs[0])
    want = run_graph(unfused, recs[0])
    assert any(not np.array_equal(plain[n], want[n]) for n in unfused.outputs), \
        "float32 rounding changes no result: the fp32 modes are not exercised"


def _fc_requant(prefix: str, out: str = "int8") -> Graph:
    return with_requant(fc_case(np.random.default_rng(5), prefix), np.random.default_rng(6),
                        out, 0, "floor")


def test_accumulator_read_twice_or_a_graph_output_or_requantized_to_int32_stays():
    shared = _fc_requant("s_")
    acc = shared.ops[0].outputs[0]
    y2 = act("s_out2", shared.t(acc).shape, 1.0, 0, "int8")
    rq2 = shared.ops[1].with_(name="s_rq2", outputs=(y2.name,))
    shared = Graph("shared", {**shared.tensors, y2.name: y2}, [*shared.ops, rq2],
                   shared.inputs, [*shared.outputs, y2.name])
    output = _fc_requant("o_")
    output.outputs.append(output.ops[0].outputs[0])
    to_int32 = _fc_requant("w_", out="int32")
    for g in (shared, output, to_int32):
        after = run_passes(g)
        assert [op.kind for op in after.ops] == [op.kind for op in g.ops], g.name
        assert not any("requant" in op.attrs for op in after.ops)
    single = run_passes(_fc_requant("f_"))
    assert [op.kind for op in single.ops] == ["fully_connected"]
    assert single.ops[0].name == "f_op+f_rq" and single.ops[0].attrs["requant"].rq_op == "f_rq"


@pytest.fixture(scope="module")
def gap8_builds(tmp_path_factory):
    cache: dict[str, tuple] = {}

    def get(stem: str, opts: dict):
        if stem not in cache:
            out = tmp_path_factory.mktemp("gap8") / stem
            low = compile_model(model_path(f"pulp/{stem}.onnx"), out, target="gap8",
                                **opts)
            cache[stem] = (out, low)
        return cache[stem]
    return get


@pytest.mark.models
@pytest.mark.cc
@pytest.mark.parametrize("stem,dialect,opts", NETWORKS, ids=[n[0] for n in NETWORKS])
def test_pulp_network_compiles_for_gap8_fused_and_matches_every_golden_layer(
        gap8_builds, stem, dialect, opts):
    out, low = gap8_builds(stem, opts)
    g = low.graph
    fused = [op for op in g.ops if "requant" in op.attrs]
    assert fused and not any(op.kind == "requant" for op in g.ops)
    planned = {b.name: g.t(b.name).dtype for b in low.memory.buffers}
    # raw int32 sums stay in the arena only as outputs or as what a float head reads
    head_in = {op.inputs[0] for op in g.ops if op.kind in ("cast", "dequantize")
               and g.t(op.outputs[0]).dtype == "float32"}
    assert {n for n, d in planned.items() if d == "int32"} <= set(g.outputs) | head_in, planned
    tiled = {lay["name"] for lay in json.loads((out / "manifest.json").read_text())
             ["tiled"]["layers"]}
    # fused fully-connected / matmul layers tile (their requant arrays loaded to L1 once);
    # the other fused kernels have no tiled adapter and run from L2
    tiles = {"fully_connected", "matmul"}
    assert {op.name for op in fused if op.kind in tiles} <= tiled
    assert not tiled & {op.name for op in fused if op.kind not in tiles}
    assert all(tileable(g, op) == (op.kind in tiles) for op in fused)
    assert list((out / "kernels").glob("td_*_rq.c"))
    check = validate_golden(out, model_path(f"pulp/{stem}.golden"))
    bad = [m for m in check.matches if not m.ok]
    assert check.matches and not bad, "\n".join(f"{m.golden}: {m.detail}" for m in bad)
    if stem == "deeploy_minimobilenet":       # its goldens list the conv/fc int32 sums
        sums = [m for m in check.matches if "pact_conv2d" in m.golden or "pact_lin" in m.golden]
        assert len(sums) == 5 and all("int32 sum inside fused" in m.tensor for m in sums)


@pytest.mark.models
def test_dvs_cnn_arena_shrinks_below_gap8_l2_with_the_same_layers():
    g = load_model(model_path("pulp/ql_dvs_cnn9.onnx"))
    before = plan_graph(g, sliding=False).arena_bytes       # frontend graph: unfused
    low = lower(g, sliding=False)
    after = low.memory.arena_bytes
    assert before > GAP8_L2 >= after and after * 3 <= before, (before, after)
    assert sum(op.kind == "requant" for op in g.ops) == len(
        [op for op in low.graph.ops if "requant" in op.attrs]) == 5
    rows = {r.name: r for r in layer_rows(low)}
    conv = rows["16+22"]                                     # conv '16' + requant '22'
    assert conv.kind == "conv2d+requant" and conv.output == [1, 64, 64, 32]
    assert conv.macs == macs(g, next(op for op in g.ops if op.name == "16"))
    assert conv.activation_bytes == 64 * 64 * 16 + 64 * 64 * 32      # int8 in and out
