"""The header's arena is all the RAM a network has: `size` of the network's objects
reports a bss of exactly <PREFIX>_ARENA_BYTES and no data, for every MLPerf Tiny model
and both kernel sets (the optimized kernels' scratch is inside the arena, planned with
its layer: nothing hidden)."""

from __future__ import annotations

import re

import pytest

import tinydeploy
from tests.conftest import MLPERF_MODELS, model_path
from tinydeploy.check.static_ram import network_sizes

pytestmark = pytest.mark.cc


@pytest.mark.parametrize("kernels", ["ref", "opt"])
@pytest.mark.parametrize("model", MLPERF_MODELS)
def test_header_arena_is_the_networks_whole_ram(model, kernels, tmp_path):
    proj = tinydeploy.compile(model_path(model + ".tflite"), tmp_path / "p", kernels=kernels,
                              name="net")
    header = (proj.path / "net.h").read_text()
    arena = int(re.search(r"#define NET_ARENA_BYTES (\d+)", header).group(1))
    sizes = network_sizes(proj.path)
    assert (sizes.data, sizes.bss) == (0, arena)
    assert arena >= proj.lowered.memory.arena_bytes
