"""Recomputation instead of storage (``tinydeploy train --recompute``,
train/recompute.py) on ResNet-8 (../shared/models/float): full fine-tuning and
``--last 4``. The step with recomputation plans a strictly smaller arena, and its new
parameters are byte-identical to the step without it, in the numpy golden and in C
(ASan/UBSan), over two steps; ``tinydeploy report`` and the train command show both
arenas and the MACs recomputed; without the option nothing changes. Also the update
schedule recomputation relies on (passes/train_updates.py): each gradient dies at its
update, as early as the update may run."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import model_path
from tests.train.steps import build_runner, compile_step, run_steps
from tinydeploy.cli import main
from tinydeploy.ir.training import training
from tinydeploy.quant.execute import run_graph

IC = "float/ic_resnet8_float.tflite"
LR = 0.05


def _samples(g, n: int = 2):
    rng = np.random.default_rng(21)
    xs = [rng.uniform(0, 1, g.t(g.inputs[0]).shape).astype(np.float32) for _ in range(n)]
    return xs, [np.array([k + 2], np.int64) for k in range(n)]


def _golden_new(g, x, lab) -> dict:
    env = run_graph(g, [x], labels=lab)
    return {p: env[u] for p, u in training(g).updates}


@pytest.mark.cc
@pytest.mark.models
@pytest.mark.parametrize("what", [{"trainable": ["*"]}, {"last": 4}], ids=["full", "last4"])
def test_recomputation_lowers_the_arena_and_gives_byte_identical_parameters(what, tmp_path):
    base = compile_step(model_path(IC), tmp_path / "keep", lr=LR, **what)
    rec = compile_step(model_path(IC), tmp_path / "rec", lr=LR, recompute=True, **what)
    g0, g1 = base.graph, rec.graph
    rc = g1.meta["train"]["recompute"]
    a0, a1 = base.memory.arena_bytes, rec.memory.arena_bytes
    print(f"{what}: arena {a0:,} B kept, {a1:,} B recomputed ({len(rc['ops'])} layers, "
          f"{rc['macs']:,} extra MACs)")
    assert "recompute" not in g0.meta["train"]
    assert rc["applied"] and a1 < a0 and (rc["without"], rc["with"]) == (a0, a1)
    assert rc["macs"] > 0 and rc["ops"]
    start = training(g1).start                   # the clones run in the training part
    names = [op.name for op in g1.ops]
    assert all(names.index(n) > start for n in rc["ops"])
    assert [op.name for op in g1.ops[:start]] == [op.name for op in g0.ops[:start]]
    # the backward pass keeps fewer forward activations
    kept = {n for op in g0.ops[start:] for n in op.inputs if n in g0.tensors and
            not g0.t(n).is_const and any(n in o.outputs for o in g0.ops[:start])}
    kept1 = {n for op in g1.ops[start:] for n in op.inputs if n in kept}
    assert kept1 < kept
    xs, labs = _samples(g0)
    assert training(g0).params == training(g1).params
    n0, n1 = _golden_new(g0, xs[0], labs[0]), _golden_new(g1, xs[0], labs[0])
    for p in n0:                                  # golden: the same bytes
        assert n0[p].tobytes() == n1[p].tobytes(), p
    l0, p0, o0 = run_steps(build_runner(tmp_path / "keep"), base, xs, labs)
    l1, p1, o1 = run_steps(build_runner(tmp_path / "rec"), rec, xs, labs)
    assert l0.tobytes() == l1.tobytes() and o0.tobytes() == o1.tobytes()
    for p in p0:                                  # C: the same bytes after two steps
        assert p0[p].tobytes() == p1[p].tobytes(), p
        assert not np.array_equal(p0[p], g0.t(p).data), p       # the steps moved it


@pytest.mark.models
def test_report_and_train_command_show_both_arenas(tmp_path, capsys):
    out = tmp_path / "ic"
    assert main(["train", str(model_path(IC)), "--last", "4", "--recompute", "-o",
                 str(out), "--name", "ic"]) == 0
    said = capsys.readouterr().out
    line = next(w for w in said.splitlines() if "recomputation" in w)
    assert "B without" in line and "B with - applied" in line and "extra MACs" in line
    assert json.loads((out / "manifest.json").read_text())["options"]["train"]["recompute"]
    assert main(["report", str(out), "--json", "-"]) == 0
    tr = json.loads(capsys.readouterr().out)["training"]
    rc = tr["recompute"]
    assert rc["applied"] and rc["arena_with_bytes"] < rc["arena_without_bytes"]
    assert rc["recomputed_layers"] > 0 and rc["extra_macs"] > 0
    assert f"arena {rc['arena_without_bytes']:,} B without, {rc['arena_with_bytes']:,} B " \
           "with - applied" in line
    keep = tmp_path / "keep"                     # the default: no recomputation
    assert main(["train", str(model_path(IC)), "--last", "4", "-o", str(keep)]) == 0
    assert "recomputation" not in capsys.readouterr().out
    assert main(["report", str(keep), "--json", "-"]) == 0
    tr0 = json.loads(capsys.readouterr().out)["training"]
    assert tr0["recompute"] is None
    assert tr0["kept_for_backward_bytes"] > tr["kept_for_backward_bytes"]
    assert main(["report", str(out)]) == 0
    text = capsys.readouterr().out
    assert f"{rc['arena_without_bytes']:,} B without, {rc['arena_with_bytes']:,} B with" \
        in text.replace("\n", " ")


@pytest.mark.models
def test_recomputation_is_not_applied_where_it_does_not_lower_the_arena(tmp_path):
    """--last 1: the classifier's input and the logits are all the backward pass reads;
    recomputing them cannot lower the peak (the inference's), so the step stays as it
    is, and the report says so."""
    base = compile_step(model_path(IC), tmp_path / "keep", last=1)
    rec = compile_step(model_path(IC), tmp_path / "rec", last=1, recompute=True)
    rc = rec.graph.meta["train"]["recompute"]
    assert not rc["applied"] and rc["ops"] == [] and rc["macs"] == 0
    assert rc["without"] == rc["with"] == base.memory.arena_bytes == rec.memory.arena_bytes
    assert [op.name for op in rec.graph.ops] == [op.name for op in base.graph.ops]


@pytest.mark.models
def test_each_update_runs_as_soon_as_its_gradient_and_the_weights_last_reader_allow(
        tmp_path):
    """passes/train_updates.py: SGD's ``lr * grad`` and the in-place ``p - step`` of each
    parameter follow the last op their inputs or the parameter's other readers need, so
    a gradient dies there, not at the end of the step (full fine-tuning: 20 updates)."""
    g = compile_step(model_path(IC), tmp_path / "o", trainable=["*"]).graph
    step = training(g)
    at = {n: i for i, op in enumerate(g.ops) for n in op.outputs}
    for p, u in step.updates:
        sub = g.ops[at[u]]
        mul = g.ops[at[sub.inputs[1]]]
        grad = mul.inputs[1]
        readers = [i for i, op in enumerate(g.ops) if p in op.inputs and op is not sub]
        need = max([at[grad], *readers])
        assert [at[mul.outputs[0]], at[u]] == [need + 1, need + 2], p
        assert [i for i, op in enumerate(g.ops) if grad in op.inputs] == [at[mul.outputs[0]]]
    # not all at the end, where the reverse sweep appended them
    assert min(at[u] for _, u in step.updates) < len(g.ops) - 2 * len(step.updates)
