"""The float32 backward kernels of on-device training (op kinds ir/ops/backward.py:
act_grad, conv2d / depthwise_conv2d _grad_input / _grad_weight, avg/max_pool2d_grad,
ce_loss).

- Each golden against an independent float64 reference: central differences (h = 1e-3)
  of a float64 forward written from the op's definition (f32_grad_cases.py), element by
  element and along random directions, and for the convolutions the adjoint identities
  <conv(x, w), dy> = <x, grad_input(dy, w)> = <w, grad_weight(dy, x)>; each float64
  forward is first checked against the forward kind's own golden, so the gradients are
  those of the kinds the network runs. Strides 1 and 2, dilation 2, pads, groups 1, 2, 3
  and depthwise.
- The C kernels against the goldens bit for bit under ASan/UBSan (no libm call in these
  kernels): random cases, all of a kind in one build, NaN/inf/-0.0 and ties included.
- Malformed ops are refused with one error naming the node.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.graphs import one_op
from tests.kernels._movement_multi import C_SETTINGS, assert_c_matches_golden
from tests.kernels.f32_cases import t, vals
from tests.kernels.f32_grad_cases import (CASES, avg_pool64, central_diff, conv64,
                                          conv_geometry, conv_grad, distinct, max_pool64,
                                          pool_geometry, pool_grad)
from tests.harness import run_c_graph
from tinydeploy.compiler import lower
from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op, Tensor
from tinydeploy.memory import buffers_for_graph
from tinydeploy.quant.execute import run_graph

F = np.float32

# forward geometries every run covers: stride 2 with dilation 2 and pads in groups of 2
# and 3 and depthwise, a plain 1x1 conv, rows no window reaches (stride 2, no pad)
FIXED_CONVS = [
    {"kind": "conv2d", "x": [2, 7, 6, 4], "w": [6, 3, 2, 2], "y": [2, 3, 3, 6],
     "attrs": {"stride": (2, 2), "dilation": (2, 2), "pads": (2, 1, 1, 1), "groups": 2}},
    {"kind": "conv2d", "x": [1, 6, 7, 6], "w": [3, 2, 3, 2], "y": [1, 6, 3, 3],
     "attrs": {"stride": (1, 2), "dilation": (2, 1), "pads": (1, 0, 1, 1), "groups": 3}},
    {"kind": "conv2d", "x": [1, 4, 5, 3], "w": [2, 1, 1, 3], "y": [1, 4, 5, 2],
     "attrs": {"stride": (1, 1), "dilation": (1, 1), "pads": (0, 0, 0, 0), "groups": 1}},
    {"kind": "conv2d", "x": [1, 8, 8, 2], "w": [3, 3, 3, 2], "y": [1, 3, 3, 3],
     "attrs": {"stride": (2, 2), "dilation": (1, 1), "pads": (0, 0, 0, 0), "groups": 1}},
    {"kind": "depthwise_conv2d", "x": [2, 6, 6, 3], "w": [3, 3, 3], "y": [2, 2, 3, 3],
     "attrs": {"stride": (2, 2), "dilation": (2, 1), "pads": (1, 1, 0, 1),
               "depth_multiplier": 1}},
]


def _close(got, ref, what) -> None:
    """float32 golden vs float64 reference: within float32 rounding of the sums."""
    got, ref = np.asarray(got, np.float64), np.asarray(ref, np.float64)
    scale = max(1.0, float(np.abs(ref).max(initial=0.0)))
    np.testing.assert_allclose(got, ref, rtol=1e-4, atol=1e-4 * scale, err_msg=what)


def _golden(kind, ins, out_shape, inputs, **attrs) -> np.ndarray:
    g = one_op(kind, [t(f"i{k}", s) for k, s in enumerate(ins)], t("o", out_shape), **attrs)
    return run_graph(g, inputs)["o"].reshape(out_shape)


def _gradient_check(f, x, grad, what, rng, n_elems: int = 40, n_dirs: int = 4) -> None:
    """``grad`` (float32 golden) = d f / d x (float64): central differences element by
    element (a random subset of at most n_elems) and along random directions."""
    x = np.asarray(x, np.float64)
    pick = rng.permutation(x.size)[:n_elems]
    for i in pick:
        e = np.zeros(x.size)
        e[i] = 1.0
        e = e.reshape(x.shape)
        fd = (f(x + 1e-3 * e) - f(x - 1e-3 * e)) / 2e-3
        _close(grad.reshape(-1)[i], fd, f"{what}: element {np.unravel_index(i, x.shape)}")
    for _ in range(n_dirs):
        v = rng.standard_normal(x.shape)
        fd = (f(x + 1e-3 * v) - f(x - 1e-3 * v)) / 2e-3
        _close(np.sum(np.asarray(grad, np.float64) * v), fd, f"{what}: direction")


def _check_conv(geo, rng) -> None:
    kind, a = geo["kind"], geo["attrs"]
    x, w, dy = (vals(rng, geo[k], -2, 2) for k in ("x", "w", "y"))
    out_hw = geo["y"][1:3]
    what = f"{kind} {geo['x']} {geo['w']} -> {geo['y']} {a}"
    g = one_op(kind, [t("x", geo["x"]), t("w", geo["w"]), None], t("y", geo["y"]), **a)
    _close(run_graph(g, [x, w])["y"].reshape(geo["y"]), conv64(x, w, kind, a, out_hw),
           what + ": float64 forward vs the forward golden")
    gi = _golden(f"{kind}_grad_input", [geo["y"], geo["w"]], geo["x"], [dy, w], **a)
    gw = _golden(f"{kind}_grad_weight", [geo["y"], geo["x"]], geo["w"], [dy, x], **a)
    dy64 = dy.astype(np.float64)
    lx = lambda v: float(np.sum(conv64(v, w, kind, a, out_hw) * dy64))   # noqa: E731
    lw = lambda v: float(np.sum(conv64(x, v, kind, a, out_hw) * dy64))   # noqa: E731
    _gradient_check(lx, x, gi, what + ": grad_input", rng)
    _gradient_check(lw, w, gw, what + ": grad_weight", rng)
    # adjoint identities (exact in float64 for the exact gradients)
    ref = lx(x)
    _close(np.sum(x.astype(np.float64) * gi), ref, what + ": <x, grad_input>")
    _close(np.sum(w.astype(np.float64) * gw), ref, what + ": <w, grad_weight>")


@pytest.mark.parametrize("geo", FIXED_CONVS, ids=lambda g: f"{g['kind']}{g['x']}{g['w']}")
def test_conv_grads_match_finite_differences_fixed(geo):
    _check_conv(geo, np.random.default_rng(1))


def test_conv_grads_match_finite_differences_random():
    rng = np.random.default_rng(7)
    for k in range(12):
        _check_conv(conv_geometry(rng, depthwise=k % 3 == 0), rng)


def _check_pool(geo, rng, which) -> None:
    a = geo["attrs"]
    out_hw = geo["y"][1:3]
    x = distinct(rng, geo["x"])
    dy = vals(rng, geo["y"], -2, 2)
    what = f"{which}_pool2d {geo['x']} -> {geo['y']} {a}"
    fwd64 = avg_pool64 if which == "avg" else max_pool64
    g = one_op(f"{which}_pool2d", [t("x", geo["x"])], t("y", geo["y"]), act="none", **a)
    _close(run_graph(g, [x])["y"].reshape(geo["y"]), fwd64(x, a, out_hw),
           what + ": float64 forward vs the forward golden")
    if which == "avg":
        got = _golden("avg_pool2d_grad", [geo["y"]], geo["x"], [dy], **a)
    else:
        got = _golden("max_pool2d_grad", [geo["y"], geo["x"]], geo["x"], [dy, x], **a)
    dy64 = dy.astype(np.float64)
    f = lambda v: float(np.sum(fwd64(v, a, out_hw) * dy64))   # noqa: E731
    _close(got, central_diff(f, x), what)     # h = 1e-3 < half the gap between values


@pytest.mark.parametrize("which", ["avg", "max"])
def test_pool_grads_match_finite_differences(which):
    rng = np.random.default_rng(11 if which == "avg" else 12)
    geos = [{"x": [1, 7, 6, 2], "y": [1, 4, 3, 2],
             "attrs": {"kernel": (3, 2), "stride": (2, 2), "pads": (1, 0, 1, 0),
                       "count_include_pad": cp}} for cp in (False, True)]
    for geo in geos + [pool_geometry(rng) for _ in range(10)]:
        _check_pool(geo, rng, which)


def test_max_pool_grad_ties_go_to_the_first_maximum_and_accumulate():
    # 1 x 3 x 3 x 1 input of 5.0 but a 9.0 in the corner, 2x2 windows, stride 1: three
    # windows are all 5.0 (ties keep the first: each window's top-left element), the
    # fourth holds the 9.0
    x = np.full((1, 3, 3, 1), 5.0, F)
    x[0, 2, 2, 0] = 9.0
    dy = np.array([1.0, 2.0, 4.0, 8.0], F).reshape(1, 2, 2, 1)
    got = _golden("max_pool2d_grad", [[1, 2, 2, 1], [1, 3, 3, 1]], [1, 3, 3, 1], [dy, x],
                  kernel=(2, 2), stride=(1, 1), pads=(0, 0, 0, 0))
    want = np.zeros((3, 3), F)
    want[0, 0], want[0, 1], want[1, 0], want[2, 2] = 1.0, 2.0, 4.0, 8.0
    np.testing.assert_array_equal(got.reshape(3, 3), want)
    # overlapping windows sharing one maximum add up their dy
    x = np.zeros((1, 1, 4, 1), F)
    x[0, 0, 1, 0] = 3.0
    dy = np.array([0.5, 0.25, 1.0], F).reshape(1, 1, 3, 1)
    got = _golden("max_pool2d_grad", [[1, 1, 3, 1], [1, 1, 4, 1]], [1, 1, 4, 1], [dy, x],
                  kernel=(1, 2), stride=(1, 1), pads=(0, 0, 0, 0))
    np.testing.assert_array_equal(got.reshape(-1), np.array([0, 0.75, 1.0, 0], F))


@pytest.mark.parametrize("fn", ["relu", "relu6", "relu_n1_to_1"])
def test_act_grad_matches_finite_differences(fn):
    rng = np.random.default_rng(3)
    lo, hi = {"relu": (0, np.inf), "relu6": (0, 6), "relu_n1_to_1": (-1, 1)}[fn]
    x = vals(rng, [5, 40], -3, 8)
    x[np.abs(x - lo) < 0.01] = F(lo + 0.5)         # off the kinks (h = 1e-3)
    x[np.abs(x - hi) < 0.01] = F(hi - 0.5)
    dy = vals(rng, [5, 40], -2, 2)
    y = np.clip(x, lo, hi).astype(F)               # the forward output the op reads
    got = _golden("act_grad", [[5, 40], [5, 40]], [5, 40], [dy, y], fn=fn)
    f = lambda v: float(np.sum(np.clip(v, lo, hi) * dy.astype(np.float64)))  # noqa: E731
    _close(got, central_diff(f, x), fn)
    # at the kinks themselves (y on the bound) the gradient is 0
    edge = np.array([[lo, hi if np.isfinite(hi) else 0.0]], F)
    got = _golden("act_grad", [[1, 2], [1, 2]], [1, 2], [np.ones((1, 2), F), edge], fn=fn)
    np.testing.assert_array_equal(got, np.zeros((1, 2), F))


def test_ce_loss_matches_float64():
    rng = np.random.default_rng(4)
    for _ in range(20):
        g, (lp, lab) = CASES["ce_loss"](rng, "")
        op = g.ops[0]
        n_rows, n = lp.shape
        batch = op.attrs.get("batch", n_rows)
        ok = (lab >= 0) & (lab < n)
        want = -np.sum(lp.astype(np.float64)[np.arange(n_rows)[ok], lab[ok]]) / batch
        _close(run_graph(g, [lp, lab])[op.outputs[0]], [want], f"ce_loss {lab} {batch}")
        # its gradient is softmax_ce_grad's meaning: central differences of the loss in
        # log_prob are -1/batch at each valid label
        f = lambda v: -np.sum(v[np.arange(n_rows)[ok], lab[ok]]) / batch   # noqa: E731
        grad = np.zeros_like(lp, dtype=np.float64)
        grad[np.arange(n_rows)[ok], lab[ok]] = -1.0 / batch
        np.testing.assert_allclose(central_diff(f, lp), grad, atol=1e-9)


@pytest.mark.cc
@pytest.mark.parametrize("kind", sorted(CASES))
@C_SETTINGS
@given(seed=st.integers(0, 2**32 - 1))
def test_grad_kernel_matches_golden_on_random_cases(kind, seed):
    rng = np.random.default_rng(seed)
    cases = [CASES[kind](rng, "") for _ in range(8)]
    if kind == "conv_grad":          # the fixed geometries too, both gradients
        cases += [conv_grad(rng, "", which, geo) for geo in FIXED_CONVS
                  for which in ("input", "weight")]
    if kind == "pool_grad":
        cases += [pool_grad(rng, "", "max", ties=True), pool_grad(rng, "", "avg")]
    assert_c_matches_golden(cases)


@pytest.mark.cc
def test_act_grad_writes_over_its_dying_dy_in_c():
    """act_grad may take the bytes of a dying input (memory/lifetimes.py): the chain
    dy -> neg -> a; act_grad(a, y) -> b (over a); act_grad(y2, b) -> dx (over b) runs in
    C under the sanitizers equal to the golden."""
    ts = {n: t(n, (4, 9)) for n in ("dy", "y", "y2", "a", "b", "dx")}
    ops = [Op("unary", "op0", ("dy",), ("a",), {"fn": "neg", "alpha": 0.0, "beta": 0.0}),
           Op("act_grad", "op1", ("a", "y"), ("b",), {"fn": "relu6"}),
           Op("act_grad", "op2", ("b", "y2"), ("dx",), {"fn": "relu"})]
    g = Graph("act_grad_chain", ts, ops, ["dy", "y", "y2"], ["dx"])
    g.validate()
    spans = {b.name: b.inplace_of for b in buffers_for_graph(g).buffers}
    assert spans["b"] == "a" and spans["dx"] == "b"
    rng = np.random.default_rng(2)
    ins = [vals(rng, (4, 9), -2, 2), vals(rng, (4, 9), -1, 7), vals(rng, (4, 9), -1, 1)]
    got = run_c_graph(g, ins, sanitize=True)["dx"].reshape(4, 9)
    np.testing.assert_array_equal(got, run_graph(g, ins)["dx"])


def test_every_case_lowers_to_its_backward_kernel():
    rng = np.random.default_rng(5)
    want = {"act_grad": "td_act_grad_f32", "ce_loss": "td_ce_loss_f32",
            "conv2d_grad_input": "td_conv2d_grad_input_f32",
            "depthwise_conv2d_grad_input": "td_conv2d_grad_input_f32",
            "conv2d_grad_weight": "td_conv2d_grad_weight_f32",
            "depthwise_conv2d_grad_weight": "td_conv2d_grad_weight_f32",
            "avg_pool2d_grad": "td_avg_pool2d_grad_f32",
            "max_pool2d_grad": "td_max_pool2d_grad_f32"}
    seen = set()
    for make in CASES.values():
        for _ in range(12):
            g, _ = make(rng, "")
            op = g.ops[0]
            assert lower(g).args[op.name].C_FUNC == want[op.kind]
            seen.add(op.kind)
    assert seen == set(want)


def _refused(g, match: str) -> None:
    with pytest.raises(TinyDeployError, match=match) as e:
        lower(g)
    assert "node 'bad'" in str(e.value) and "\n" not in str(e.value), str(e.value)


def test_malformed_backward_ops_are_refused_naming_the_node():
    conv = dict(stride=(1, 1), dilation=(1, 1), pads=(1, 1, 1, 1))
    dy, w, x = t("dy", [1, 4, 4, 2]), t("w", [2, 3, 3, 2]), t("x", [1, 4, 4, 2])
    _refused(one_op("conv2d_grad_input", [dy, w], t("dx", [1, 5, 4, 2]), name="bad", **conv),
             "does not match the forward geometry")
    _refused(one_op("conv2d_grad_input", [dy, w], t("dx", [1, 4, 4, 2]), name="bad",
                    act="relu", **conv), "act_grad")
    _refused(one_op("conv2d_grad_weight", [dy, x], t("dw", [2, 3, 3, 1]), name="bad",
                    **conv), "do not fit")
    _refused(one_op("conv2d_grad_weight", [dy, x], t("dw", [2, 3, 3, 2]), name="bad",
                    stride=(1, 0), dilation=(1, 1), pads=(1, 1, 1, 1)), "strides")
    _refused(one_op("conv2d_grad_weight", [dy, x], t("dw", [2, 3, 3, 2]), name="bad",
                    stride=(1.5, 1), dilation=(1, 1), pads=(1, 1, 1, 1)), "not 2 integers")
    _refused(one_op("depthwise_conv2d_grad_weight", [dy, x], t("dw", [3, 3, 2]), name="bad",
                    depth_multiplier=2, **conv), "depth_multiplier")
    _refused(one_op("avg_pool2d_grad", [t("dy", [1, 2, 2, 2])], t("dx", [1, 4, 4, 2]),
                    name="bad", kernel=(2, 2), stride=(1, 1), pads=(0, 0, 0, 0)),
             "forward geometry")
    _refused(one_op("max_pool2d_grad", [t("dy", [1, 3, 1, 2]), t("x", [1, 2, 2, 2])],
                    t("dx", [1, 2, 2, 2]), name="bad", kernel=(2, 2), stride=(1, 1),
                    pads=(2, 0, 0, 0)), "wholly in the padding")
    _refused(one_op("act_grad", [t("dy", [3]), t("y", [3])], t("dx", [3]), name="bad",
                    fn="gelu"), "fn 'gelu'")
    _refused(one_op("act_grad", [t("dy", [3]), t("y", [4])], t("dx", [3]), name="bad",
                    fn="relu"), "one shape")
    _refused(one_op("ce_loss", [t("lp", [2, 3]), Tensor("lab", (2,), "int32")],
                    t("loss", [1]), name="bad"), "int64 only|unsupported dtype")
    _refused(one_op("ce_loss", [t("lp", [2, 3]), Tensor("lab", (2,), "int64")],
                    t("loss", [1]), name="bad", batch=float("nan")), "not an integer")
    _refused(one_op("ce_loss", [t("lp", [2, 3]), Tensor("lab", (3,), "int64")],
                    t("loss", [1]), name="bad"), "3 labels for 2 rows")
