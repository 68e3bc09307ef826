"""Property: random layers, tiled at random L1 sizes (from the smallest that fits, as the
solver's error states it, up to the untiled footprint) and random core counts, run as
generated C bit-identical to the golden, ASan/UBSan clean, with exactly the planned DMA
and exactly the DMA of the independent model (tests/tiled/dma_model.py).

Each case batches 15 layers (every kind twice, and a mul) into one C build."""

from __future__ import annotations

import re
from dataclasses import replace

import numpy as np
import pytest

from tests.graphs import act, one_op, random_input
from tests.tiled.dma_model import bound_violations, mismatches, model_plan
from tests.tiled.helpers import (golden, l1_range, lowered, merge, plan_for,
                                 run_tiled_measured)
from tests.tiling.layers import KINDS, random_layer
from tinydeploy.check.dma import compare
from tinydeploy.errors import TinyDeployError
from tinydeploy.targets import load_target
from tinydeploy.tiling import geometry, solve_layer

TARGETS = ["gap8", "gap9", "siracusa"]


def mul_layer(rng):
    h, w, c = (int(v) for v in rng.integers(1, 10, size=3))
    a = act("a", (1, h, w, c), 0.05, int(rng.integers(-10, 10)))
    b = act("b", (1, h, w, c), 0.08, int(rng.integers(-10, 10)))
    return one_op("mul", [a, b], act("y", (1, h, w, c), 0.2, int(rng.integers(-10, 10))),
                  act="none")


def smallest_l1_from_the_error(geom, target) -> int:
    with pytest.raises(TinyDeployError) as e:
        solve_layer(geom, target.with_l1_size(16))
    msg = str(e.value)
    assert f"layer '{geom.name}'" in msg
    return int(re.search(r"smallest tile needs (\d+) bytes", msg).group(1))


def _l1_size(rng, lo: int, hi: int) -> int:
    pick = int(rng.integers(0, 4))
    return [lo, hi, int(rng.integers(lo, hi + 1)), int(np.sqrt(lo * hi))][pick]


def _layer_targets(rng, low, base):
    out = {}
    for op in low.graph.ops:
        t = replace(base, cores=int(rng.integers(1, 17)))
        geom = geometry(low.graph, op)
        lo, hi = l1_range(geom, t)
        if lo > 16:
            assert smallest_l1_from_the_error(geom, t) == lo
        out[op.name] = t.with_l1_size(max(_l1_size(rng, lo, hi), 16))
    return out


@pytest.mark.parametrize("seed", range(4))
def test_random_layers_at_random_l1_and_cores_are_bit_exact_with_planned_dma(seed, tmp_path):
    rng = np.random.default_rng(4000 + seed)
    base = load_target(TARGETS[seed % len(TARGETS)])
    g = merge([random_layer(rng, kind, max_hw=11, max_c=14) for kind in KINDS * 2]
              + [mul_layer(rng)])
    low = lowered(g)
    plan = plan_for(low, base, _layer_targets(rng, low, base))
    assert set(plan.layers) == {op.name for op in low.graph.ops}
    records = [[random_input(rng, low.graph.t(n)) for n in low.graph.inputs]
               for _ in range(2)]
    got, measured, manifest = run_tiled_measured(low, plan, records, tmp_path / "proj",
                                                 sanitize=True)
    want = golden(low, records)
    for r, (a, b) in enumerate(zip(got, want)):
        for name in low.graph.outputs:
            np.testing.assert_array_equal(a[name].reshape(b[name].shape), b[name],
                                          err_msg=f"record {r}, {name}")
    assert compare(manifest, measured) == []
    # and the independent per-tile model (tests/tiled/dma_model.py), and its lower bound
    assert mismatches(low.graph, model_plan(low.graph, low.args, plan), measured) == []
    assert bound_violations(low.graph, low.args, plan, measured) == []
    assert sum(lay.tiles > 1 for lay in plan.layers.values()) >= 4   # really tiled
    assert any(lay.cores > 1 for lay in plan.layers.values())
