"""The depthwise and fully connected kernels compile only the paths their layers reach
(issue 13: flash): td_opt_config.h's TD_DW_PATHS (kernels/opt/td_opt_dw_impl.h, from
quant/opt/depthwise_conv2d.py c_config) and TD_FC_PATHS (td_fully_connected_s8_opt.c,
td_fully_connected_s8_rq_opt.c; quant/opt/fully_connected.py, matmul_rq.py). Each layer
lists exactly what its kernel reaches - e.g. an integer-graph 3x3 layer whose channels
all take the inline requantization compiles neither the general per-pixel loop nor any
td_opt_rq_any form, a TFLite layer of 12 outputs only the blocks of 8 and 4 rows - and,
built alone with its own header (the other paths left out) and split over 1 to 3 cores,
still gives the golden's bytes under ASan/UBSan."""

from __future__ import annotations

import numpy as np
import pytest

from tests.kernels import opt_cases as oc
from tests.kernels import opt_program as op
from tinydeploy.codegen.opt_config import opt_config_header
from tinydeploy.quant.golden import _accumulate as acc_mod
from tinydeploy.quant.golden import requant as rq_mod
from tinydeploy.quant.golden.fused_requant import FUSED

pytestmark = pytest.mark.cc


def _paths(case: op.Case, macro: str) -> tuple[int, ...]:
    return case.opt_args().c_config()[macro]


def _assert_alone_exact(cases: list[op.Case], work) -> None:
    """Every case built alone with its own td_opt_config.h: optimized == golden."""
    op.assert_exact(cases, work, together=False)


def _modes(case: op.Case) -> set[int]:
    return set(np.asarray(case.opt_args().chan).reshape(-1, 12)[:, 1].tolist())


def test_depthwise_layers_compile_only_the_paths_they_reach(tmp_path):
    rng = np.random.default_rng(13)
    one_by_five = dict(h=1, w=12, cin=6, k=(1, 5), pads=(0, 2, 0, 2))
    few = dict(h=4, w=2, cin=16, stride=(2, 2))             # visits of 2 pixels
    cases = [oc.as_case(oc.dw_case(rng, h=6, w=5, cin=16), cores=2),     # 3x3: tap steps
             oc.as_case(oc.dw_case(rng, h=1, w=9, cin=6, k=(1, 5), pads=(0, 2, 0, 2)), 3),
             oc.as_case(oc.dw_case(rng, h=5, w=6, cin=3, dm=2, edge=True), 1),
             oc.dw_rq_case(rng, h=7, w=5, cin=64, cores=3),                # pixel pairs
             oc.dw_rq_case(rng, h=4, w=2, cin=64, stride=(2, 2), cores=2),
             oc.dw_rq_case(rng, **one_by_five),
             oc.dw_rq_case(rng, h=6, w=7, cin=5, out="int16", cores=2),    # mode 3 in 3x3
             oc.dw_rq_case(rng, h=5, w=7, cin=8, pow2=False, fp32=3, cores=2),
             oc.dw_rq_case(rng, h=3, w=5, cin=512, dilation=(1, 2), pads=(1, 2, 1, 2))]
    rng = np.random.default_rng(5)
    cases += [oc.dw_rq_case(rng, **few, out="int16", cores=2),
              oc.dw_rq_case(rng, **one_by_five, out="int16"),
              oc.dw_rq_case(rng, h=5, w=6, cin=8, pow2=False, cores=3),        # mode 4
              oc.dw_rq_case(rng, **few, pow2=False, cores=3),
              oc.dw_rq_case(rng, **one_by_five, pow2=False)]
    got = [_paths(c, "TD_DW_PATHS") for c in cases]
    # (modes 10 + m, forms 30 + f of the channels that call td_opt_rq_any)
    assert got == [(10,), (1, 10), (1, 10, 11),   # TFLite: tap steps, 1x5, reference rq
                   (12,), (3, 12), (1, 12),       # all inline: no td_opt_rq_any form
                   (13, 30), (12, 13, 31),        # mode 3 in the 3x3 loop: a call
                   (2, 12),                       # a tap step of 1024: the any-step loop
                   (3, 4, 13, 31), (1, 13, 31),   # int16 in 2-pixel visits, in a 1x5
                   (14,),                         # mode 4 inline: no call
                   (3, 4, 14, 35), (1, 12, 14, 35)], got
    assert "#define TD_DW_PATHS(X) X(12)\n" in opt_config_header([cases[3].opt_args()])
    _assert_alone_exact(cases, tmp_path)


def _fc_rq_case(rng, batches: int, n: int, k: int, pow2: bool, cores: int,
                fine: tuple[int, int] | None = None) -> op.Case:
    """A fully connected layer with Deeploy's RequantShift fused in: a power-of-two
    divisor and mul2 = 1 (modes 0 and 1; ``fine``: multipliers that need int64) or odd
    divisors (mode 2: per-column descriptors)."""
    acc = acc_mod.FullyConnectedS32Args(batches, k, n, int(rng.choice([0, 128, -3])))
    w = rng.integers(-128, 128, (n, k)).astype(np.int8)
    b = rng.integers(-2**12, 2**12, n).astype(np.int32)
    x = rng.integers(-128, 128, (batches, k)).astype(np.int8)
    s = acc_mod.run_fc(acc, x, w, b)
    rq = oc.requant_args(rng, n, acc_scale=float(np.abs(s).max() + 1), pow2=pow2, fine=fine)
    if pow2:
        rq = rq_mod.RequantArgs(**{**rq.__dict__, "mul2": 1})
    return op.Case(FUSED[(type(acc), type(rq))](acc, rq), [x, w, b],
                   rq_mod.run(rq, s).ravel(), cores=cores)


def test_fully_connected_layers_compile_only_the_paths_they_reach(tmp_path):
    rng = np.random.default_rng(17)
    cases = [oc.as_case(oc.fc_case(rng, cin=20, cout=12), cores=2),
             oc.as_case(oc.fc_case(rng, n=2, cin=9, cout=7), cores=1),
             oc.as_case(oc.fc_case(rng, cin=33, cout=16, per_channel=False), cores=3),
             oc.as_case(oc.fc_case(rng, cin=40, cout=3, edge=True, bias="huge"), cores=1),
             _fc_rq_case(rng, 1, 10, 30, True, 2), _fc_rq_case(rng, 2, 9, 17, True, 1),
             _fc_rq_case(rng, 3, 20, 25, False, 3), _fc_rq_case(rng, 1, 6, 64, False, 1),
             _fc_rq_case(rng, 1, 10, 30, True, 2, fine=(20, 22))]
    assert 1 in _modes(cases[3])
    assert [getattr(c.opt_args(), "mode", None) for c in cases[4:]] == [0, 0, 2, 2, 1]
    assert [_paths(c, "TD_FC_PATHS") for c in cases] == [
        (4, 8), (1, 2, 4), (8,),        # TFLite: blocks of 8 then what is left: 4, 2, 1
        (1, 2, 9),                      # an output with the reference requantization
        (21, 22), (20, 22),             # one batch row / two at a time, int32
        (20, 21, 24, 30, 35), (21, 24, 30, 35),     # descriptors: their forms only
        (21, 23)]                       # int64
    _assert_alone_exact(cases, tmp_path)
