"""The reference of a decode loop: the one-step graph's numpy golden evaluated at each
context length, its caches carried from step to step (the spec every ``<name>_step``
call must equal byte for byte), and the C program run over a sequence of tokens."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.compiler import lower
from tinydeploy.decode import one_step_graph
from tinydeploy.frontend import load_model
from tinydeploy.passes.kv_cache import find_caches
from tinydeploy.quant.execute import run_graph


def golden_steps(model: str | Path, frontend: dict, steps: list[dict[str, np.ndarray]],
                 kv: dict[str, np.ndarray] | None = None, start: int = 0
                 ) -> list[dict[str, np.ndarray]]:
    """Outputs of every step (ONNX output name -> array) of the one-step graph run token
    after token: step ``t`` is the graph at context ``start + t`` fed the step's inputs
    (``steps[t]``, by ONNX input name; inputs that follow the context given at their
    current size) and the caches the previous step returned (``kv``: the first step's,
    by cache input name; none for an empty context)."""
    base = load_model(model, **frontend)
    caches = find_caches(base)
    named = dict(zip(base.outputs, base.meta["source_outputs"]))
    onnx_out = {c.input: named[c.output] for c in caches}     # by what the graph computes
    kv = dict(kv or {})
    out = []
    for t, feeds in enumerate(steps):
        g = lower(one_step_graph(model, frontend, start + t, caches)).graph
        rec = []
        for n in g.inputs:
            x = kv[n] if n in kv else feeds[n]
            rec.append(np.asarray(x).astype(g.t(n).dtype).reshape(g.t(n).shape))
        env = run_graph(g, rec)
        values = {name: env[ir] for name, ir in zip(g.meta["source_outputs"], g.outputs)}
        for c in caches:
            kv[c.input] = values[onnx_out[c.input]]
        out.append(values)
    return out


def run_steps(project_path: str | Path, manifest: dict, records: list[list[np.ndarray]]
              ) -> list[list[np.ndarray]]:
    """The C decode loop over ``records`` (one per token, inputs at their largest size),
    from an empty context: the outputs of every step."""
    exe = hostrun.build(Path(project_path), sanitize=True)
    return hostrun.run(exe, manifest, records)
