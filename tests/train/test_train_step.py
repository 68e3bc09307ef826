"""`tinydeploy train`: a training step built on the IR from the plain float IC model
(ResNet-8, ../shared/models/float), with --last 1 and --lora 4.

The gradients of the numpy golden are checked against an independent reference: central
finite differences, in float64, of the loss as a function of the trained parameters
(cross-entropy of the classifier on the features the frozen layers give); the C step
(ASan/UBSan) equals the golden step; 20 steps in C on a fixed batch lower its loss; the
base weights stay const and the trained ones are RAM arrays."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import model_path
from tests.train.steps import (build_runner, compile_step, golden_step, run_steps,
                               with_params)
from tinydeploy.ir.training import training

IC = "float/ic_resnet8_float.tflite"
LR = 0.05


def _ce64(logits: np.ndarray, label: int) -> float:
    z = logits.astype(np.float64)
    m = z.max()
    return float(m + np.log(np.exp(z - m).sum()) - z[label])


def _fd(f, params: dict, h: float = 1e-4) -> dict:
    """Central differences of f(params) (float64) for every element of every param."""
    out = {}
    for k, v in params.items():
        g = np.zeros(v.shape)
        flat = g.reshape(-1)
        for i in range(v.size):
            up = {n: a.copy() for n, a in params.items()}
            dn = {n: a.copy() for n, a in params.items()}
            up[k].reshape(-1)[i] += h
            dn[k].reshape(-1)[i] -= h
            flat[i] = (f(up) - f(dn)) / (2 * h)
        out[k] = g
    return out


def _sample(g, seed: int):
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, g.t(g.inputs[0]).shape).astype(np.float32)
    return x, rng.integers(0, 10, size=(1,)).astype(np.int64)


def _fc(g):
    return next(op for op in g.ops if op.kind == "fully_connected")


@pytest.mark.models
def test_last_layer_gradients_match_finite_differences(tmp_path):
    low = compile_step(model_path(IC), tmp_path / "out", last=1, lr=LR)
    g = low.graph
    fc = _fc(g)
    w, b = fc.inputs[1], fc.inputs[2]
    assert training(g).params == (w, b)
    x, lab = _sample(g, 1)
    loss, _, grads, env = golden_step(g, x, lab)
    feat = env[fc.inputs[0]].astype(np.float64).reshape(-1)

    def f(p):
        return _ce64(p[w] @ feat + p[b], int(lab[0]))

    p0 = {w: g.t(w).data.astype(np.float64), b: g.t(b).data.astype(np.float64)}
    assert loss == pytest.approx(f(p0), rel=1e-5)
    fd = _fd(f, p0)
    for p in (w, b):
        np.testing.assert_allclose(grads[p], fd[p], rtol=1e-4, atol=1e-6, err_msg=p)
    assert np.abs(grads[w]).max() > 1e-3


@pytest.mark.models
def test_lora_gradients_match_finite_differences_and_base_weights_stay_const(tmp_path):
    low = compile_step(model_path(IC), tmp_path / "out", lora=4, lr=LR)
    g = low.graph
    step = training(g)
    a, bm = step.params
    assert g.t(a).shape == (4, 64) and g.t(bm).shape == (10, 4)
    assert not g.t(bm).data.any()                    # B starts at zero
    base = next(op for op in g.ops if op.name.endswith("_base"))
    w, bias = base.inputs[1], base.inputs[2]
    src = (tmp_path / "out" / "net.c").read_text()
    for name in (w, bias):                           # frozen base: const, in flash
        assert f"(tensor '{name}')" in src
    assert src.count("static float net_") == 2 and src.count("trainable parameter") == 2
    # at a point where B is not zero, so that A's gradient is not zero either
    rng = np.random.default_rng(5)
    g = with_params(g, {bm: rng.normal(0, 0.3, (10, 4)).astype(np.float32)})
    x, lab = _sample(g, 2)
    loss, _, grads, env = golden_step(g, x, lab)
    feat = env[base.inputs[0]].astype(np.float64).reshape(-1)
    w64, b64 = g.t(w).data.astype(np.float64), g.t(bias).data.astype(np.float64)

    def f(p):
        return _ce64(w64 @ feat + b64 + (p[bm] @ (p[a] @ feat)), int(lab[0]))

    p0 = {a: g.t(a).data.astype(np.float64), bm: g.t(bm).data.astype(np.float64)}
    assert loss == pytest.approx(f(p0), rel=1e-5)
    fd = _fd(f, p0)
    for p in (a, bm):
        np.testing.assert_allclose(grads[p], fd[p], rtol=1e-4, atol=1e-6, err_msg=p)
        assert np.abs(grads[p]).max() > 1e-4


@pytest.mark.cc
@pytest.mark.models
@pytest.mark.parametrize("what", [{"last": 1}, {"lora": 4}], ids=["last1", "lora4"])
def test_twenty_steps_in_c_lower_the_loss_and_equal_the_golden(what, tmp_path):
    """A fixed batch of 4 samples, 5 passes = 20 steps, in C (ASan/UBSan): each step's
    loss and the parameters after the last equal the golden stepped the same way (libm
    expf/logf ulps aside), and the batch's mean loss falls with every pass (by a fifth at
    least over the 20 steps)."""
    low = compile_step(model_path(IC), tmp_path / "out", lr=LR, **what)
    g0 = low.graph
    batch = [_sample(g0, 10 + i) for i in range(4)]
    xs = [batch[i % 4][0] for i in range(20)]
    labs = [batch[i % 4][1] for i in range(20)]
    losses, params, out = run_steps(build_runner(tmp_path / "out"), low, xs, labs)
    g, gold = g0, []
    for x, lab in zip(xs, labs):
        loss, new, _, _ = golden_step(g, x, lab)
        gold.append(loss)
        g = with_params(g, new)
    np.testing.assert_allclose(losses, gold, rtol=1e-4, atol=1e-6)
    for p, v in params.items():
        np.testing.assert_allclose(v, g.t(p).data, rtol=1e-4, atol=1e-6, err_msg=p)
    means = losses.reshape(5, 4).mean(axis=1)       # the batch's mean loss, pass by pass
    first, last = float(means[0]), float(means[-1])
    assert np.all(np.diff(means) < 0) and last < 0.8 * first, f"mean losses {means}"
    # <name>_run infers with the trained parameters (the golden's inference, same params)
    from_golden = golden_step(g, xs[0], labs[0])[3][g.outputs[0]]
    np.testing.assert_allclose(out, from_golden.reshape(-1), rtol=1e-5, atol=1e-7)
    print(f"{what}: mean batch loss {first:.4f} -> {last:.4f} over 20 steps")


def _act64(y, act):
    lo, hi = {"none": (None, None), "relu": (0, None), "relu6": (0, 6)}[act]
    return np.clip(y, lo, hi) if lo is not None else y


def _conv64(x, w, b, op):
    """NHWC conv2d (OHWI weights) in float64, from its definition."""
    sh, sw = op.attrs.get("stride", (1, 1))
    dh, dw = op.attrs.get("dilation", (1, 1))
    pt, pl, pb, pr = op.attrs.get("pads", (0, 0, 0, 0))
    co, kh, kw, _ = w.shape
    xp = np.pad(x, ((0, 0), (pt, pb), (pl, pr), (0, 0)))
    oh = (xp.shape[1] - dh * (kh - 1) - 1) // sh + 1
    ow = (xp.shape[2] - dw * (kw - 1) - 1) // sw + 1
    y = np.zeros((x.shape[0], oh, ow, co))
    for ky in range(kh):
        for kx in range(kw):
            patch = xp[:, ky * dh:ky * dh + sh * (oh - 1) + 1:sh,
                       kx * dw:kx * dw + sw * (ow - 1) + 1:sw, :]
            y += patch @ w[:, ky, kx, :].T
    return _act64(y + b, op.attrs.get("act", "none"))


def _forward64(g, x, params: dict):
    """The loss of ResNet-8 in float64 (conv2d, add, avg_pool2d, reshape,
    fully_connected, softmax), parameters from ``params`` else the graph's constants."""
    env = {g.inputs[0]: x.astype(np.float64)}

    def val(n):
        return params[n] if n in params else env[n] if n in env else \
            g.t(n).data.astype(np.float64)

    step = training(g)
    for op in g.ops[:step.start]:
        ins = [val(n) for n in op.inputs if n]
        if op.kind == "conv2d":
            y = _conv64(ins[0], ins[1], ins[2], op)
        elif op.kind == "add":
            y = _act64(ins[0] + ins[1], op.attrs.get("act", "none"))
        elif op.kind == "avg_pool2d":
            y = ins[0].mean(axis=(1, 2), keepdims=True)     # (the global pool here)
        elif op.kind == "reshape":
            y = ins[0].reshape(g.t(op.outputs[0]).shape)
        elif op.kind == "fully_connected":
            y = _act64(ins[0] @ ins[1].T + ins[2], op.attrs.get("act", "none"))
        elif op.kind == "softmax":
            return ins[0].reshape(-1)                       # the logits
        else:
            raise AssertionError(op.kind)
        env[op.outputs[0]] = y
    raise AssertionError("no softmax")


@pytest.mark.cc
@pytest.mark.models
def test_full_fine_tuning_backpropagates_through_every_layer(tmp_path):
    """--trainable '*': every weight and bias of ResNet-8 trains (conv, residual add,
    fused ReLU, average pool, reshape, fully-connected). Per parameter tensor, the
    golden gradient's component along a random direction v (16 random elements) equals
    the central difference of the loss of an independent float64 forward (written here
    from the ops' definitions; h = 1e-6, so that no ReLU changes side); two steps in C
    equal the golden."""
    low = compile_step(model_path(IC), tmp_path / "out", trainable=["*"], lr=LR)
    g = low.graph
    step = training(g)
    assert len(step.params) == 20
    x, lab = _sample(g, 3)
    loss, _, grads, _ = golden_step(g, x, lab)
    assert loss == pytest.approx(_ce64(_forward64(g, x, {}), int(lab[0])), rel=1e-5)
    rng = np.random.default_rng(9)
    h = 1e-6
    for p in step.params:
        v = np.zeros(g.t(p).size)
        v[rng.choice(v.size, size=min(16, v.size), replace=False)] = 1.0
        v = v.reshape(g.t(p).shape)
        w = g.t(p).data.astype(np.float64)
        up = _ce64(_forward64(g, x, {p: w + h * v}), int(lab[0]))
        dn = _ce64(_forward64(g, x, {p: w - h * v}), int(lab[0]))
        want = (up - dn) / (2 * h)
        got = float(np.sum(grads[p].astype(np.float64) * v))
        assert got == pytest.approx(want, rel=1e-3, abs=1e-5), p
    losses, params, _ = run_steps(build_runner(tmp_path / "out"), low, [x, x], [lab, lab])
    g1 = with_params(g, golden_step(g, x, lab)[1])
    loss2, new2, _, _ = golden_step(g1, x, lab)
    np.testing.assert_allclose(losses, [loss, loss2], rtol=1e-4)
    for p in step.params:
        np.testing.assert_allclose(params[p], new2[p], rtol=1e-4, atol=1e-6, err_msg=p)
    assert loss2 < loss
