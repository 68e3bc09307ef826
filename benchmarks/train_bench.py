"""make bench (training): on-device training steps on QEMU rv32imafc, measured.

The float IC model (ResNet-8, ``../shared/models/float/ic_resnet8_float.tflite``) is
compiled by the train API (``compile_model(..., board="qemu-rv32", train={...})``, the same
as ``tinydeploy train``) five ways: ``--last 1`` (the classifier), ``--lora 4`` (adapters
on the fully-connected layer), ``--last 4`` and full fine-tuning (``--trainable '*'``, also
with ``--recompute``: forward activations recomputed in the backward pass when that lowers
the arena);
beside them the two ONNX Runtime training graphs compiled as they are. Printed per row:

- memory, from the report (``tinydeploy report --json``'s "training"): trainable tensors
  and bytes (RAM arrays), frozen weight bytes (const, flash), the activations the backward
  pass keeps, the arena (whole, peak during the forward part, during the backward part);
  and from ``size`` of the network's objects built for rv32imafc: static RAM (data + bss:
  the arena and the trainable arrays), flash (text: code and frozen weights) and the
  program image (text + data: on a microcontroller the trainable arrays' initial values
  are in flash too, copied to RAM at start);
- measured on QEMU rv32imafc (gcc -O3, ``-icount shift=0`` + minstret, exact):
  instructions per training step and per inference (``<name>_run`` with the trained
  parameters), each per MAC (a step's MACs: every layer; an inference's: its layers);
- the check: K steps on QEMU equal K steps of the same runner built on the host
  (``tests/train/train_main.c`` both times: losses, every trainable parameter after the
  last step and the inference after them: byte-identical, or where picolibc's and
  glibc's expf/logf differ by an ulp, within 1e-5 relative: ||qemu - host|| / ||host||
  per tensor; the ulps spread through the backward pass and the next steps, so single
  elements near zero differ more), the parameters moved, the losses are finite, and for
  the IC model (one sample, a small learning rate) the loss fell over the steps; for the
  ONNX Runtime graphs also the new parameters vs Deeploy's ``outputs.npz`` (1e-3
  relative + 1e-4 absolute).
  A failed check makes the bench exit 1.

The plain inference project of the same model is a reference row. A plot (memory per
mode, stacked: trainable / kept activations / rest of the arena; instructions per step
and per inference) goes to out/bench/train_bench.png.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODELS = REPO.parent / "shared" / "models"
IC = MODELS / "float" / "ic_resnet8_float.tflite"
DEEPLOY = MODELS / "deeploy"
MAIN = Path(__file__).resolve().parents[1] / "tests" / "train" / "train_main.c"
PLOT = REPO / "out" / "bench" / "train_bench.png"
STEPS, LR = 3, 1e-4                    # the same sample each step: the loss falls
REL = 1e-5                              # QEMU vs host where libm differs
RTOL, ATOL = 1e-3, 1e-4                 # vs ONNX Runtime's outputs.npz (as float_bench)
MODES = [("last 1", {"last": 1}), ("lora 4", {"lora": 4}), ("last 4", {"last": 4}),
         ("full (*)", {"trainable": ["*"]}),
         ("full, recompute", {"trainable": ["*"], "recompute": True})]
ORT = ["Models_Transformer_Train", "Models_CCT_Train_CCT2_FT1"]
HOST_CFLAGS = ["-O2", "-std=c99", "-Wall", "-Wextra", "-Werror"]


def runner_flags(prefix: str, step) -> list[str]:
    """How train_main.c is built for a project: its header, its names, and which of
    ``_loss`` / inference ``_run`` it has."""
    flags = [f"-include {prefix}.h", f"-DTD_P={prefix}", f"-DTD_PU={prefix.upper()}"]
    if step.loss is None:
        flags.append("-DTD_NO_LOSS")
    if step.labels is None:             # an ONNX Runtime graph: _run is the step itself
        flags.append("-DTD_NO_RUN")
    return flags


def records(low, folder: Path | None) -> tuple[bytes, int]:
    """The runner's records (input, int64 labels) and the labels per record: for the IC
    model one seeded sample STEPS times (each step lowers its loss), for an ONNX Runtime
    graph Deeploy's sample once."""
    from tests.pulp.test_deeploy_float import record
    from tinydeploy.ir.training import training

    g, step = low.graph, training(low.graph)
    if folder is not None:              # ONNX Runtime graph: Deeploy's sample (x, labels)
        m = {"inputs": [{"name": n, "shape": list(g.t(n).shape), "dtype": g.t(n).dtype}
                        for n in g.inputs]}
        x, lab = record(folder, m)
        return x.astype(np.float32).tobytes() + lab.astype(np.int64).tobytes(), lab.size
    rng = np.random.default_rng(3)
    shape, n_lab = g.t(g.inputs[0]).shape, g.t(step.labels).size
    n_cls = int(np.prod(g.t(g.outputs[0]).shape)) // n_lab
    one = (rng.uniform(0, 1, shape).astype(np.float32).tobytes()
           + rng.integers(0, n_cls, n_lab).astype(np.int64).tobytes())
    return one * STEPS, n_lab


def host_run(path: Path, flags: list[str], data: bytes, steps: int, labels: int) -> bytes:
    """The same runner built with the host's cc (ASan/UBSan) over the same records."""
    from tinydeploy.check.hostrun import SANITIZE
    from tinydeploy.check.static_ram import network_sources

    exe = path / "train_bench_host"
    srcs = [str(path / s) for s in network_sources(path)]
    fl = [w for f in flags for w in f.split()]
    res = subprocess.run(["cc", *HOST_CFLAGS, *SANITIZE.split(), *fl, "-o", str(exe),
                          str(MAIN), *srcs, "-lm"], cwd=path, capture_output=True, text=True)
    if res.returncode:
        raise RuntimeError(f"host build failed:\n{res.stderr[-3000:]}")
    (path / "in.bin").write_bytes(data)
    res = subprocess.run([str(exe), "in.bin", "host_out.bin", str(steps), str(labels)],
                         cwd=path, capture_output=True, text=True, timeout=600)
    if res.returncode:
        raise RuntimeError(f"host run failed (exit {res.returncode}):\n{res.stderr[-3000:]}")
    return (path / "host_out.bin").read_bytes()


def split(raw: bytes, low, steps: int) -> tuple[np.ndarray, dict, np.ndarray]:
    """The runner's OUT.bin: losses, parameters after the last step, inference output."""
    from tinydeploy.ir.training import training

    g = low.graph
    losses = np.frombuffer(raw[:4 * steps], np.float32)
    at, params = 4 * steps, {}
    for p in training(g).params:
        t = g.t(p)
        params[p] = np.frombuffer(raw[at:at + t.nbytes], np.float32).reshape(t.shape)
        at += t.nbytes
    return losses, params, np.frombuffer(raw[at:], np.float32)


def compare(qemu_raw: bytes, host_raw: bytes, low, steps: int) -> tuple[str, str | None]:
    """(how QEMU's results relate to the host's, what is wrong or None)."""
    g = low.graph
    q, h = split(qemu_raw, low, steps), split(host_raw, low, steps)
    if len(qemu_raw) != len(host_raw):
        return "", f"{len(qemu_raw)} output bytes on QEMU, {len(host_raw)} on the host"
    if not np.all(np.isfinite(q[0])):
        return "", f"non-finite loss {q[0]}"
    moved = [p for p, v in q[1].items()
             if not np.array_equal(v, g.t(p).data.astype(np.float32))]
    if not moved:
        return "", "no trainable parameter changed"
    if qemu_raw == host_raw:
        return "= host (bytes)", None
    worst, differ, total = 0.0, 0, 0
    for a, b in [(q[0], h[0]), *((q[1][p], h[1][p]) for p in q[1]), (q[2], h[2])]:
        a, b = a.astype(np.float64).ravel(), b.astype(np.float64).ravel()
        differ, total = differ + int(np.count_nonzero(a != b)), total + a.size
        err = float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))
        worst = max(worst, err if np.isfinite(err) else np.inf)
    if not worst <= REL:
        return "", f"QEMU vs host: {worst:.2e} relative (> {REL:g})"
    return f"= host but {differ} of {total} values ({worst:.1e} rel)", None


def vs_ort(params: dict, folder: Path) -> str | None:
    """An ONNX Runtime graph's new parameters after one step vs its outputs.npz (named
    after the parameter, ``<P>_updated``)."""
    o = np.load(folder / "outputs.npz")
    for k in o.files:
        got = next((v for p, v in params.items() if k in (p, f"{p}_updated")), None)
        if got is None:
            return f"no parameter for {k}"
        w = np.asarray(o[k], np.float64).ravel()
        d = np.abs(got.astype(np.float64).ravel() - w)
        bad = np.flatnonzero(~(d <= ATOL + RTOL * np.abs(w)))
        if bad.size:
            return f"{k}: {bad.size} of {w.size} off vs outputs.npz"
    return None


def measure(label: str, model: Path, out: Path, train: dict | None, folder: Path | None,
            steps: int) -> dict:
    from tinydeploy.check.rv32 import qemu
    from tinydeploy.check.static_ram import network_sizes
    from tinydeploy.codegen.boards.rv32imc import ARCH_F
    from tinydeploy.compiler import compile_model
    from tinydeploy.ir.training import training
    from tinydeploy.report import report_dict

    kw = {"train": dict(train, lr=LR)} if train is not None else {}
    low = compile_model(model, out, board="qemu-rv32", name="net", **kw)
    d, step = report_dict(low), training(low.graph)
    tr = d["training"]
    sizes = network_sizes(out, "rv32", arch=ARCH_F)
    flags = runner_flags("net", step)
    data, n_lab = records(low, folder)
    elf = qemu.build(out, "prof", main=MAIN, cflags=tuple(flags))
    got, console = qemu.run_files(elf, {"in.bin": data},
                                  ["in.bin", "out.bin", str(steps), str(n_lab)],
                                  ["out.bin"], icount=True)
    step_counts, run_count = [], None
    for line in console.splitlines():
        w = line.split()
        if w[:2] == ["td-train", "step"]:
            step_counts.append(int(w[3]))
        elif w[:2] == ["td-train", "run"]:
            run_count = int(w[2])
    if len(step_counts) != steps:
        raise RuntimeError(f"{label}: no instruction counts in:\n{console[-1500:]}")
    how, bad = compare(got["out.bin"], host_run(out, flags, data, steps, n_lab), low, steps)
    if bad is None and folder is not None:
        bad = vs_ort(split(got["out.bin"], low, steps)[1], folder)
        how += ", = ORT" if bad is None else ""
    losses = split(got["out.bin"], low, steps)[0]
    if bad is None and folder is None and not losses[-1] < losses[0]:
        bad = f"the loss on one sample did not fall over {steps} steps: {losses}"
    n_inf = tr["inference_layers"] if step.labels is not None else 0
    return {"label": label, "trainable_n": len(tr["trainable"]),
            "trainable": tr["trainable_bytes"], "frozen": tr["frozen_weight_bytes"],
            "kept": tr["kept_for_backward_bytes"], "arena": d["totals"]["arena_bytes"],
            "arena_fwd": tr["arena_forward_bytes"], "arena_bwd": tr["arena_backward_bytes"],
            "ram": sizes.ram, "flash": sizes.text, "image": sizes.text + sizes.data,
            "macs_step": d["totals"]["macs"],
            "macs_inf": sum(r["macs"] for r in d["layers"][:n_inf]) if n_inf else None,
            "step": round(np.mean(step_counts)), "step_spread": max(step_counts) -
            min(step_counts), "run": run_count, "losses": losses,
            "steps": steps, "check": how, "bad": bad}


def inference_row(out: Path) -> dict:
    """The plain inference project of the IC model (no training): RAM, flash, per-run."""
    from tinydeploy import api
    from tinydeploy.check import rv32
    from tinydeploy.check.static_ram import network_sizes
    from tinydeploy.codegen.boards.rv32imc import ARCH_F

    proj = api.compile(IC, out, board="qemu-rv32")
    sizes = network_sizes(out, "rv32", arch=ARCH_F)
    prof = rv32.profile(proj.path)
    t = prof["totals"]
    return {"ram": sizes.ram, "flash": sizes.text, "image": sizes.text + sizes.data,
            "run": t["run_instructions"],
            "macs": t["macs"], "arena": proj.lowered.memory.arena_bytes}


def _k(n) -> str:
    return "-" if n is None else f"{n:,}"


def tables(rows: list[dict], inf: dict | None, console) -> None:
    from rich.table import Table

    mem = Table(title="training steps: memory (bytes; report + size of the rv32imafc "
                "objects, this run)")
    for col in ("model / trains", "trainable", "trainable B (RAM)", "frozen B (flash)",
                "kept acts B", "arena B", "fwd", "bwd", "static RAM B", "flash B",
                "image B"):
        mem.add_column(col, justify="left" if col == "model / trains" else "right")
    if inf is not None:
        mem.add_row("IC inference only", "-", "-", _k(inf["frozen"]), "-", _k(inf["arena"]),
                    _k(inf["arena"]), "-", _k(inf["ram"]), _k(inf["flash"]), _k(inf["image"]))
    for r in rows:
        one = r["kind"] == "ort"        # one graph: no forward/backward split to report
        mem.add_row(r["label"], str(r["trainable_n"]), _k(r["trainable"]), _k(r["frozen"]),
                    "-" if one else _k(r["kept"]), _k(r["arena"]),
                    "-" if one else _k(r["arena_fwd"]), "-" if one else _k(r["arena_bwd"]),
                    _k(r["ram"]), _k(r["flash"]), _k(r["image"]))
    console.print(mem)
    spd = Table(title="training steps on QEMU rv32imafc (gcc -O3, exact: -icount + "
                "minstret), measured in this run")
    for col in ("model / trains", "MACs/step", "instr/step", "instr/MAC", "MACs/inference",
                "instr/inference", "instr/MAC", "step/inference", "losses", "check"):
        spd.add_column(col, justify="left" if col in ("model / trains", "losses", "check")
                       else "right")
    if inf is not None:
        spd.add_row("IC inference only", "-", "-", "-", _k(inf["macs"]), _k(inf["run"]),
                    f"{inf['run'] / inf['macs']:.2f}", "-", "-", "-")
    for r in rows:
        ok = f"[red]WRONG: {r['bad']}" if r["bad"] else f"ok: {r['steps']} steps {r['check']}"
        run = r["run"]
        spd.add_row(r["label"], _k(r["macs_step"]), _k(r["step"]),
                    f"{r['step'] / r['macs_step']:.2f}", _k(r["macs_inf"]), _k(run),
                    f"{run / r['macs_inf']:.2f}" if run and r["macs_inf"] else "-",
                    f"{r['step'] / run:.2f}x" if run else "-",
                    " ".join(f"{v:.3f}" for v in r["losses"]) if r["kind"] == "ic" else "-",
                    ok)
    console.print(spd)


def plot(rows: list[dict], inf: dict | None, console) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    if inf is not None:                 # the plain inference project as the first bar
        rows = [{"label": "IC inference only", "trainable": 0, "kept": 0,
                 "arena": inf["arena"], "step": 0, "run": inf["run"]}, *rows]
    labels = [r["label"] for r in rows]
    y = np.arange(len(rows))
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 0.5 * len(rows) + 2.5))
    left = np.zeros(len(rows))
    for what, vals, c in (
            ("trainable parameters (RAM arrays)", [r["trainable"] for r in rows], "tab:red"),
            ("activations kept for the backward pass", [r["kept"] for r in rows],
             "tab:orange"),
            ("rest of the arena", [r["arena"] - r["kept"] for r in rows], "tab:blue")):
        v = np.asarray(vals, float) / 1024
        a.barh(y, v, left=left, color=c, label=what)
        left += v
    a.set_yticks(y, labels)
    a.invert_yaxis()
    a.set_xlabel("KiB of RAM (report)")
    a.set_title("memory per training mode")
    a.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize=8)
    b.barh(y - 0.2, [r["step"] / 1e6 for r in rows], 0.4, color="tab:orange",
           label="one training step")
    b.barh(y + 0.2, [(r["run"] or 0) / 1e6 for r in rows], 0.4, color="tab:blue",
           label="one inference (_run)")
    b.set_yticks(y, [""] * len(rows))
    b.invert_yaxis()
    b.set_xscale("log")
    b.set_xlabel("million instructions (QEMU rv32imafc, exact)")
    b.set_title("instructions per step / inference")
    b.legend(loc="upper center", bbox_to_anchor=(0.5, -0.15), fontsize=8)
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=120, bbox_inches="tight")
    plt.close(fig)
    console.print(f"plot: {PLOT}")


def main() -> int:
    from rich.console import Console

    from tinydeploy.check.rv32.qemu import require_tools
    from tinydeploy.errors import TinyDeployError

    console = Console(width=200)
    try:
        require_tools()
    except TinyDeployError as e:
        console.print(f"[red]skipping the training benchmark: {e}")
        return 0
    if not IC.is_file():
        console.print(f"[red]skipping the training benchmark: no {IC}")
        return 0
    rows, inf = [], None
    with tempfile.TemporaryDirectory(prefix="td_train_bench_") as tmp:
        tmp = Path(tmp)
        for k, (label, spec) in enumerate(MODES):
            r = measure(f"IC {label}", IC, tmp / f"ic{k}", spec, None, STEPS)
            rows.append(dict(r, kind="ic"))
            console.print(f"done IC {label}", style="dim")
        for name in ORT:
            if (DEEPLOY / name).is_dir():
                r = measure(name.removeprefix("Models_"), DEEPLOY / name / "network.onnx",
                            tmp / name, None, DEEPLOY / name, 1)
                rows.append(dict(r, kind="ort"))
                console.print(f"done {name}", style="dim")
        inf = inference_row(tmp / "ic_inference")
        inf["frozen"] = rows[0]["trainable"] + rows[0]["frozen"]   # every weight, const
        tables(rows, inf, console)
    console.print(f"IC: {STEPS} SGD steps (lr {LR:g}) on one seeded random sample "
                  "(losses: each step's, before its update). ONNX Runtime graphs: one step "
                  "on Deeploy's sample (one graph: the report has no forward/backward split, "
                  "its kept activations are in the arena); per step = <name>_train_step "
                  "(their _run is the same step plus copies of the new parameters). The steps "
                  "of one mode differ by "
                  f"at most {max(r['step_spread'] for r in rows):,} instructions (libm's "
                  "expf/logf depend on the data); instr/step is their mean.")
    plot(rows, inf, console)
    wrong = [r["label"] for r in rows if r["bad"]]
    if wrong:
        console.print(f"[red bold]FAILED: wrong training steps on QEMU rv32imafc: "
                      f"{', '.join(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
