"""Language models as a decode loop (tinydeploy/decode.py, passes/kv_cache.py): a
Deeploy microLlama one-step graph compiled with ``max_context`` into ``<name>_reset`` /
``<name>_step`` with its KV caches in the arena.

- 16 tokens through ``<name>_step`` (C under ASan/UBSan) equal, byte for byte, the numpy
  golden of the one-step graph evaluated at each of the 16 cache lengths (caches carried
  from step to step, starting empty);
- with the caches loaded from Deeploy's inputs.npz (``<name>_kv_load``), one step
  reproduces Deeploy's outputs.npz at the length of its graph;
- a full context refuses the step; the caches are in the memory plan and the report.
"""

from __future__ import annotations

import numpy as np
import pytest

import tinydeploy
from tests.conftest import model_path
from tests.pulp.decode_driver import run_decode
from tinydeploy.check.decode import golden_steps
from tinydeploy.errors import TinyDeployError

pytestmark = [pytest.mark.cc, pytest.mark.models]

FRONTEND = {"input_type": "int8"}


def _steps(manifest: dict, n: int, seed: int = 0, n_max: int = 16):
    """Per token: the one-step graph's inputs (the mask at its current length) and the C
    record (every input at its largest size)."""
    rng = np.random.default_rng(seed)
    feeds, records = [], []
    for t in range(n):
        f = {"input": rng.integers(-128, 128, (1, 1, 64)),
             "x.9": rng.integers(-30, 30, (min(t, n_max - 1) + 1,)),
             "MatMul_2": rng.integers(-128, 128, (1, 1, 4, 4))}
        rec = []
        for spec in manifest["inputs"]:
            x = np.zeros(int(np.prod(spec["shape"])), spec["dtype"])
            v = np.asarray(f[spec["name"]]).ravel()
            x[:v.size] = v
            rec.append(x.reshape(spec["shape"]))
        feeds.append(f)
        records.append(rec)
    return feeds, records


@pytest.fixture(scope="module")
def microllama(tmp_path_factory):
    path = model_path("deeploy/Models_microLlama_INT8_microLlama1/network.onnx")
    proj = tinydeploy.compile(path, tmp_path_factory.mktemp("ml") / "out", input_type="int8",
                              max_context=16)
    return path, proj


def test_sixteen_steps_equal_the_one_step_golden_at_each_length(microllama):
    path, proj = microllama
    man = proj.manifest
    feeds, records = _steps(man, 16)
    gold = golden_steps(path, FRONTEND, feeds)
    _, codes, outs = run_decode(proj.path, man, records)
    assert codes == [0] * 16
    for t in range(16):
        want = gold[t]["output"].astype(np.int64).ravel()
        assert np.array_equal(outs[t][0], want), f"step {t} (cache length {t}) differs"


def test_the_optimized_kernels_step_equally(tmp_path):
    """--kernels opt: the products, tables and their length-following arguments (the
    patched structs are the optimized kernels' own) give the same 16 steps."""
    path = model_path("deeploy/Models_microLlama_INT8_microLlama1/network.onnx")
    proj = tinydeploy.compile(path, tmp_path / "out", input_type="int8", max_context=16,
                              kernels="opt")
    assert "MatMulRqOptArgs" in {type(a).__name__ for a in proj.lowered.c_args.values()}
    feeds, records = _steps(proj.manifest, 16, seed=3)
    gold = golden_steps(path, FRONTEND, feeds)
    _, codes, outs = run_decode(proj.path, proj.manifest, records)
    assert codes == [0] * 16
    for t in range(16):
        assert np.array_equal(outs[t][0], gold[t]["output"].astype(np.int64).ravel()), t


def test_a_full_context_refuses_the_step(microllama):
    _, proj = microllama
    _, records = _steps(proj.manifest, 17, seed=1)
    _, codes, _ = run_decode(proj.path, proj.manifest, records)
    assert codes == [0] * 16 + [-1]


def test_caches_are_in_the_memory_plan_and_the_report(microllama):
    _, proj = microllama
    low = proj.lowered
    g = low.graph
    caches = g.meta["kv_caches"]
    assert len(caches) == 16 and low.decode.kv_bytes == 16 * 16 * 16 * 4
    for c in caches:
        assert c["state"] in low.memory.offsets
        assert g.t(c["state"]).shape == (1, 16, 16, 4)
    assert [n for n in g.inputs] == ["input", "x.9", "MatMul_2"]
    d = proj.report()
    assert d["totals"]["kv_cache_bytes"] == low.decode.kv_bytes
    assert d["decode"]["max_context"] == 16
    assert "kv_append" in {op.kind for op in g.ops}
    assert "concat" not in {op.kind for op in g.ops}


@pytest.mark.parametrize("name", ["Models_microLlama_INT8_microLlama1",
                                  "Models_microLlama_INT8_microLlama4"])
def test_loaded_caches_reproduce_deeploys_outputs_at_the_graphs_length(name, tmp_path):
    folder = model_path(f"deeploy/{name}")
    proj = tinydeploy.compile(folder / "network.onnx", tmp_path / "out", input_type="int8",
                              max_context=8)
    z, o = np.load(folder / "inputs.npz"), np.load(folder / "outputs.npz")
    arrays = [z[k] for k in z.files]
    token, mask, rope, kv = arrays[0], arrays[1], arrays[2], arrays[3:]
    length = kv[0].shape[2]
    rec = []
    for spec, v in zip(proj.manifest["inputs"], (token, mask, rope)):
        x = np.zeros(int(np.prod(spec["shape"])), spec["dtype"])
        x[:v.size] = v.ravel()
        rec.append(x)
    load, codes, outs = run_decode(proj.path, proj.manifest, [rec], kv=kv, kv_length=length)
    assert load == 0 and codes == [0]
    want = o[o.files[0]].astype(np.int64).ravel()
    assert np.array_equal(outs[0][0], want)


def test_a_graph_without_a_kv_cache_is_refused(tmp_path):
    path = model_path("deeploy/Models_CCT_Int_ICCT/network.onnx")
    with pytest.raises(TinyDeployError, match="no such input found"):
        tinydeploy.compile(path, tmp_path / "out", max_context=8)
    assert not (tmp_path / "out").exists()
