"""Random one-op graphs of every sub-byte precision combination, and a batched C check.

Each builder takes the storage of every tensor (e.g. x ``"uint4"``, w ``"int2"``, y
``"int8"``) and a numpy Generator, and returns a one-op graph whose quantization keeps the
outputs spread over the output range (neither all clamped nor all at the zero point).
"""

from __future__ import annotations

import itertools
import json
import math
import tempfile
from pathlib import Path

import numpy as np

from tests.graphs import one_op
from tests.harness import run_c_graph_many
from tinydeploy.check import hostrun
from tinydeploy.codegen.project import write_project
from tinydeploy.lowered import Lowered
from tinydeploy.ir.graph import Graph, QuantParams, Tensor
from tinydeploy.memory import plan_graph
from tinydeploy.quant.golden import VARIANTS, _load_all
from tinydeploy.quant.execute import run_graph
from tinydeploy.quant.packing import dtype_bits, dtype_range

BITS = (2, 4, 8)
W_DTYPE = {2: "int2", 4: "int4", 8: "int8"}


def act_dtype(bits: int, signed: bool) -> str:
    return f"{'' if signed else 'u'}int{bits}"


def bit_combos(n: int) -> list[tuple[int, ...]]:
    """All ``n``-tuples of bit widths in {2, 4, 8} (27 for n = 3)."""
    return list(itertools.product(BITS, repeat=n))


def act_dtypes(rng: np.random.Generator, bits: tuple[int, ...]) -> list[str]:
    """Activation dtypes of these widths, each randomly signed or unsigned; all int8 when
    every width is 8 (an op without a packed tensor is the int8 kernels' business, and
    those take int8 only; test_kernels covers td_*_sb at 8 bits separately)."""
    if all(b == 8 for b in bits):
        return ["int8"] * len(bits)
    return [act_dtype(b, bool(rng.random() < 0.5)) for b in bits]


def rand_act(rng: np.random.Generator, name: str, shape, dtype: str, scale: float) -> Tensor:
    lo, hi = dtype_range(dtype)
    span = hi - lo
    zp = int(rng.integers(lo + span // 4, hi - span // 4, endpoint=True)) if span > 3 else \
        int(rng.integers(lo, hi, endpoint=True))
    return Tensor(name, tuple(int(s) for s in shape), dtype, QuantParams.make(scale, zp))


def random_values(rng: np.random.Generator, t: Tensor) -> np.ndarray:
    """Uniform values over ``t``'s full range, in its numpy value dtype."""
    lo, hi = dtype_range(t.dtype)
    return rng.integers(lo, hi, size=t.shape, endpoint=True).astype(t.np_dtype)


def _weights(rng, name: str, shape, dtype: str, channels: int, axis: int) -> Tensor:
    lo, hi = dtype_range(dtype)
    data = rng.integers(lo, hi, size=shape, endpoint=True).astype(np.int8)
    scale = rng.uniform(0.01, 0.05, size=channels).astype(np.float32).astype(np.float64)
    return Tensor(name, tuple(shape), dtype, QuantParams.make(scale, 0, axis), data)


def _out_scale(rng, x: Tensor, w: Tensor, taps: int, out_dtype: str) -> float:
    """About the accumulator's spread divided by a quarter of the output levels."""
    x_lo, x_hi = dtype_range(x.dtype)
    w_lo, w_hi = dtype_range(w.dtype)
    spread = (x_hi - x_lo) / 2 * (w_hi - w_lo) / 3 * math.sqrt(taps)
    lo, hi = dtype_range(out_dtype)
    real = spread * x.quant.s * float(np.mean(w.quant.scale)) / ((hi - lo) / 4)
    return float(np.float32(real * rng.uniform(0.5, 2.0)))


def _bias(rng, name: str, c_out: int, x: Tensor, w: Tensor, taps: int) -> Tensor | None:
    if rng.random() < 0.25:
        return None
    w_hi = dtype_range(w.dtype)[1]
    x_hi = dtype_range(x.dtype)[1]
    lim = max(1, int(w_hi * x_hi * math.sqrt(taps)))
    data = rng.integers(-lim, lim, size=c_out, endpoint=True).astype(np.int32)
    return Tensor(name, (c_out,), "int32", QuantParams.make(x.quant.s * w.quant.scale, 0, 0),
                  data)


def conv_case(rng, p: str, x_dt: str, w_dt: str, y_dt: str, pointwise: bool = False) -> Graph:
    k = (1, 1) if pointwise else (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = (1, 1) if pointwise else tuple(int(v) for v in rng.integers(1, 3, size=2))
    dil = (1, 1) if pointwise else tuple(int(v) for v in rng.integers(1, 3, size=2))
    pads = (0, 0, 0, 0) if pointwise else tuple(int(rng.integers(0, k[i % 2]))
                                                 for i in range(4))
    groups = int(rng.choice([1, 1, 1, 2]))
    cin, cout = groups * int(rng.integers(1, 5)), groups * int(rng.integers(1, 4))
    n = int(rng.integers(1, 3))
    h, w = ((e - 1) * d + 1 + int(rng.integers(0, 4)) for e, d in zip(k, dil))
    oh, ow = ((i + pads[a] + pads[a + 2] - d * (e - 1) - 1) // s + 1
              for i, e, d, s, a in zip((h, w), k, dil, stride, (0, 1)))
    x = rand_act(rng, p + "x", (n, h, w, cin), x_dt, float(np.float32(rng.uniform(0.01, 0.1))))
    wt = _weights(rng, p + "w", (cout, k[0], k[1], cin // groups), w_dt, cout, 0)
    taps = k[0] * k[1] * cin // groups
    y = rand_act(rng, p + "y", (n, oh, ow, cout), y_dt, _out_scale(rng, x, wt, taps, y_dt))
    return one_op("conv2d", [x, wt, _bias(rng, p + "b", cout, x, wt, taps)], y, p + "op",
                  stride=stride, dilation=dil, pads=pads, act=_act(rng))


def depthwise_case(rng, p: str, x_dt: str, w_dt: str, y_dt: str) -> Graph:
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = tuple(int(v) for v in rng.integers(1, 3, size=2))
    pads = tuple(int(rng.integers(0, k[i % 2])) for i in range(4))
    cin, dm, n = int(rng.integers(1, 6)), int(rng.integers(1, 3)), int(rng.integers(1, 3))
    h, w = (e + int(rng.integers(0, 4)) for e in k)
    oh, ow = ((i + pads[a] + pads[a + 2] - e) // s + 1
              for i, e, s, a in zip((h, w), k, stride, (0, 1)))
    x = rand_act(rng, p + "x", (n, h, w, cin), x_dt, float(np.float32(rng.uniform(0.01, 0.1))))
    wt = _weights(rng, p + "w", (k[0], k[1], cin * dm), w_dt, cin * dm, 2)
    taps = k[0] * k[1]
    y = rand_act(rng, p + "y", (n, oh, ow, cin * dm), y_dt, _out_scale(rng, x, wt, taps, y_dt))
    return one_op("depthwise_conv2d", [x, wt, _bias(rng, p + "b", cin * dm, x, wt, taps)], y,
                  p + "op", stride=stride, pads=pads, depth_multiplier=dm, act=_act(rng))


def fc_case(rng, p: str, x_dt: str, w_dt: str, y_dt: str) -> Graph:
    n, c_in, c_out = int(rng.integers(1, 3)), int(rng.integers(1, 24)), int(rng.integers(1, 7))
    x = rand_act(rng, p + "x", (n, c_in), x_dt, float(np.float32(rng.uniform(0.01, 0.1))))
    wt = _weights(rng, p + "w", (c_out, c_in), w_dt, c_out, 0)
    y = rand_act(rng, p + "y", (n, c_out), y_dt, _out_scale(rng, x, wt, c_in, y_dt))
    return one_op("fully_connected", [x, wt, _bias(rng, p + "b", c_out, x, wt, c_in)], y,
                  p + "op", act=_act(rng))


def add_case(rng, p: str, a_dt: str, b_dt: str, y_dt: str) -> Graph:
    shape = (1, int(rng.integers(1, 4)), int(rng.integers(1, 4)), int(rng.integers(1, 6)))
    sa, sb = (float(np.float32(rng.uniform(0.02, 0.2))) for _ in range(2))
    a = rand_act(rng, p + "a", shape, a_dt, sa)
    b = rand_act(rng, p + "b", shape, b_dt, sb)
    levels = {2: 3, 4: 15, 8: 255}
    spread = max(sa * levels[a.bits], sb * levels[b.bits])
    y = rand_act(rng, p + "y", shape, y_dt,
                 float(np.float32(spread / levels[dtype_bits(y_dt)] * rng.uniform(0.7, 2.0))))
    return one_op("add", [a, b], y, p + "op", act=_act(rng))


def pool_case(rng, p: str, kind: str, x_dt: str, y_dt: str) -> Graph:
    k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    stride = tuple(int(v) for v in rng.integers(1, 3, size=2))
    pads = tuple(int(rng.integers(0, k[i % 2])) for i in range(4))
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 6))
    h, w = (e + int(rng.integers(0, 4)) for e in k)
    oh, ow = ((i + pads[a] + pads[a + 2] - e) // s + 1
              for i, e, s, a in zip((h, w), k, stride, (0, 1)))
    x = rand_act(rng, p + "x", (n, h, w, c), x_dt, 0.05)
    lo, hi = dtype_range(y_dt)
    zp = int(np.clip(x.quant.zp, lo, hi))   # pooling keeps the quantization
    x = Tensor(x.name, x.shape, x_dt, QuantParams.make(0.05, zp))
    y = Tensor(p + "y", (n, oh, ow, c), y_dt, QuantParams.make(0.05, zp))
    return one_op(kind, [x], y, p + "op", kernel=k, stride=stride, pads=pads, act=_act(rng))


def _act(rng) -> str:
    return str(rng.choice(["none", "none", "relu", "relu6"]))


def merge(graphs: list[Graph], name: str = "subbyte") -> Graph:
    """Independent one-op graphs side by side, so one C build runs them all."""
    tensors, ops, ins, outs = {}, [], [], []
    for g in graphs:
        assert not set(tensors) & set(g.tensors), "tensor names clash"
        tensors.update(g.tensors)
        ops += g.ops
        ins += g.inputs
        outs += g.outputs
    return Graph(name, tensors, ops, ins, outs)


def assert_c_matches_golden(graphs: list[Graph], seed: int, records: int = 2) -> None:
    """One ASan/UBSan build of all graphs; every output equals the golden's on random
    full-range inputs (packed on the way in, unpacked on the way out)."""
    g = merge(graphs)
    rng = np.random.default_rng(seed)
    recs = [[random_values(rng, g.t(n)) for n in g.inputs] for _ in range(records)]
    got = run_c_graph_many(g, recs, sanitize=True)
    for rec, out in zip(recs, got):
        want = run_graph(g, rec)
        for name in g.outputs:
            assert out[name].dtype == g.t(name).np_dtype, name
            np.testing.assert_array_equal(out[name], want[name], err_msg=name)


def subbyte_args(g: Graph) -> dict:
    """Every op's args from its sub-byte golden variant, even with no packed tensor (to
    run ``td_*_sb`` at 8 bits, which the dispatcher leaves to the int8 kernels)."""
    _load_all()
    sub = {k: next(v for v in vs if ".golden.subbyte." in v.golden.args_type.__module__)
           for k, vs in VARIANTS.items() if k in {op.kind for op in g.ops}}
    return {op.name: sub[op.kind].golden.prepare(g, op) for op in g.ops}


def run_c_with_args(g: Graph, args: dict, records: list) -> list[dict]:
    """The harness's build-and-run (ASan/UBSan) with the given kernel args."""
    low = Lowered(g, args, plan_graph(g))
    with tempfile.TemporaryDirectory(prefix="td_sb_") as tmp:
        proj = write_project(low, Path(tmp) / "proj", prefix="net")
        exe = hostrun.build(proj, sanitize=True)
        manifest = json.loads((proj / "manifest.json").read_text())
        outs = hostrun.run(exe, manifest, records)
    return [dict(zip(g.outputs, rec)) for rec in outs]
