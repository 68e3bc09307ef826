"""An int8 SVDF (TFLite's SVDF, TFLite Micro's integer kernel: int16 state and time
weights) streamed over 20 calls, as a keyword spotter runs it: the test writer's .tflite
with the state as a variable tensor, compiled by ``tinydeploy.compile`` and run as one
process (the state in the network's arena across calls) under ASan/UBSan; every step's
output equals TFLite Micro's and the numpy golden's."""

from __future__ import annotations

import json

import numpy as np
import pytest

import tinydeploy
from tests.graphs import act
from tests.models.test_lstm_models import seeded_steps, stream_golden, stream_tflm
from tests.netbuild import Net, kernels
from tests.tflite_writer import graph_to_tflite
from tinydeploy.check import hostrun
from tinydeploy.ir.graph import Op

pytestmark = pytest.mark.cc

STEPS = 20


def svdf_net(name: str = "svdf_s8", n_in: int = 10, units: int = 4, rank: int = 2,
             memory: int = 5, batch: int = 1, seed: int = 3, state_zp: int = 0,
             head: bool = True, state_dtype: str = "int16") -> Net:
    """x [B, I] -> svdf (state [B, F * M], F = units * rank) -> (fully connected).
    ``state_dtype`` int8: TFLite Micro's "full int8" SVDF (int8 state and time weights)."""
    net = Net(name, seed)
    rng = net.rng
    n_filter = units * rank
    x = net.input("x", (batch, n_in), 0.05, -4, "int8")
    small = state_dtype == "int8"
    s_state = 0.5 if small else 0.004
    s_wt = float(np.float32(rng.uniform(1e-4, 3e-4) if small else rng.uniform(2e-5, 6e-5)))
    wt_max = 127 if small else 32767
    wf = net.const("w_feature", rng.integers(-127, 128, (n_filter, n_in)).astype(np.int8),
                   scale=0.008, zp=0)
    wt = net.const("w_time", rng.integers(-wt_max, wt_max + 1, (n_filter, memory))
                   .astype(state_dtype), scale=s_wt, zp=0)
    b = net.const("bias", rng.integers(-20000, 20000, units).astype(np.int32),
                  scale=float(np.float32(s_state) * np.float32(s_wt)), zp=0)
    y = net.add(act("y", (batch, units), 0.15, 6, "int8"))
    st = net.add(act("state", (batch, n_filter * memory), s_state, state_zp, state_dtype))
    net.ops.append(Op("svdf", "0_svdf", (x, wf, wt, b), (y, st), {"rank": rank}))
    net.out = [y]
    if head:
        w = net.const("w_head", rng.integers(-127, 128, (3, units)).astype(np.int8),
                      scale=0.02, zp=0)
        hb = net.const("b_head", rng.integers(-300, 300, 3).astype(np.int32),
                       scale=float(np.float32(0.15) * np.float32(0.02)), zp=0)
        net.out = [net.op("fully_connected", [y, w, hb], act("z", (batch, 3), 0.1, -2,
                                                               "int8"), act="none")]
    return net


CONFIGS = {
    "stream": dict(),
    "rank1_batch2": dict(rank=1, units=6, memory=8, batch=2, head=False, seed=5),
    "long_memory": dict(n_in=16, units=3, rank=3, memory=12, seed=8),
    "int8_state": dict(state_dtype="int8", state_zp=-3, units=5, rank=2, memory=7, seed=11),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_int8_svdf_streams_like_tflm_at_every_step(tmp_path, name):
    net = svdf_net(name=f"svdf_{name}", **CONFIGS[name])
    g = net.graph(net.out)
    model = tmp_path / f"{g.name}.tflite"
    model.write_bytes(graph_to_tflite(g))
    proj = tinydeploy.compile(model, tmp_path / g.name)
    assert ("td_svdf_s8_s8" if name == "int8_state" else "td_svdf_s8") in kernels(proj)
    xs = seeded_steps(g)
    exe = hostrun.build(tmp_path / g.name, sanitize=True)
    manifest = json.loads((tmp_path / g.name / "manifest.json").read_text())
    c_out = [r[0] for r in hostrun.run(exe, manifest, [[x] for x in xs])]
    tflm = stream_tflm(model.read_bytes(), xs)
    gold = stream_golden(model, xs)
    for k, (c, t, o) in enumerate(zip(c_out, tflm, gold)):
        assert np.array_equal(c.reshape(t.shape), t), f"step {k}: C != TFLM"
        assert np.array_equal(o.reshape(t.shape), t), f"step {k}: golden != TFLM"
    assert len({t.tobytes() for t in tflm}) > STEPS // 2
    assert len(np.unique(np.concatenate([t.ravel() for t in tflm]))) > 4
