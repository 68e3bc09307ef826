"""make bench (PULP dialects): the NEMO, QuantLab and Deeploy integer graphs on QEMU rv32imc.

For every graph in ``../shared/models/pulp/*.onnx`` (and any MLPerf Tiny network exported
by Deeploy found under ``../shared/models/deeploy`` - a folder whose name says MLPerf, with
Deeploy's network.onnx / inputs.npz / outputs.npz; kept apart from this repository's
inputs, skipped with a message when absent), compiled for ``--board qemu-rv32`` with the
optimized kernels (the default) and with the reference kernels, all measured in this run:

- correctness: the rv32 build's outputs on QEMU == the host build's == the numpy golden ==
  the dialect's reference (onnxruntime, or the restated Deeploy operators) on seeded random
  inputs, and every golden layer of ``<name>.golden`` (or Deeploy's outputs.npz) bit for bit
  (host build). Any mismatch: exit status 1;
- instructions per MAC, whole network (exact: ``-icount shift=0`` + minstret around every
  layer, tinydeploy.check.rv32.profile), optimized and reference kernels, and the layer kinds
  taking the most instructions (fused requantization shown as ``+rq``);
- flash of the network: .text/.rodata/.data of the network's own objects (its C file and
  its kernels, gcc -O3 for the project's rv32 arch, no runner/libc/startup), split into
  constants (the network file's data: weights, requantization tables, argument structs)
  and code (everything else), against the int8 weight bytes (one byte per weight of the
  conv / depthwise / fully-connected / matmul layers) - the issue's goal is flash <= 1.1x
  the weights and <= 4 instructions per MAC - and against the floor no deployment goes
  below (the weights plus an int32 multiplier and offset per requantized output channel).

A plot of instructions per MAC and flash / weights per network goes to out/bench/.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODELS = REPO.parent / "shared" / "models"
PULP = MODELS / "pulp"
DEEPLOY = MODELS / "deeploy"
PLOT = REPO / "out" / "bench" / "pulp_bench.png"
# Deeploy's own tests feed 0..255 images to these (tests/pulp/test_networks.py)
INPUT_TYPE = {"deeploy_minimobilenet": "uint8", "deeploy_cnn_linear2": "uint8",
              "deeploy_dwconv2d_rq": "uint8"}
WEIGHT_KINDS = ("conv2d", "depthwise_conv2d", "fully_connected", "matmul", "batch_matmul",
                "transpose_conv")
GOAL_IPM, GOAL_FLASH = 4.0, 1.1


def mlperf_folders() -> list[Path]:
    if not DEEPLOY.is_dir():
        return []
    return sorted(p for p in DEEPLOY.iterdir()
                  if p.is_dir() and re.search("mlperf", p.name, re.I)
                  and (p / "network.onnx").is_file())


def _sections(obj: Path, size_tool: str) -> dict[str, int]:
    out = subprocess.run([size_tool, "-A", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    by = {"text": 0, "data": 0}
    for line in out.splitlines():
        w = line.split()
        if len(w) >= 2 and w[0].startswith(".text"):
            by["text"] += int(w[1])
        elif len(w) >= 2 and w[0].startswith((".rodata", ".srodata", ".data", ".sdata")):
            by["data"] += int(w[1])
    return by


def flash(project: Path, prefix: str) -> dict[str, int]:
    """Bytes of the network's own objects as the rv32 build compiles them: ``consts`` (the
    network file's rodata/data: weights, requantization tables, args), ``code`` (its text
    and the kernels' text and data)."""
    from tinydeploy.check.rv32.qemu import GCC as RV_GCC
    mk = (project / "Makefile").read_text()
    srcs = re.search(r"^NET_SRCS\s*=\s*(.*)$", mk, re.M).group(1).split()
    arch = re.search(r"^RV_ARCH\s*\?=\s*(.*)$", (project / "rv32" / "rv32.mk").read_text(),
                     re.M).group(1).split()
    res = {"consts": 0, "code": 0}
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(srcs):
            obj = Path(tmp) / f"{k}.o"
            subprocess.run([RV_GCC, *arch, "-O3", "-std=c99", "--specs=picolibc.specs",
                            "-ffunction-sections", "-fdata-sections", "-c", src, "-o",
                            str(obj), f"-I{project}"], check=True, cwd=project)
            s = _sections(obj, RV_GCC.replace("gcc", "size"))
            if src == f"{prefix}.c":
                res["consts"] += s["data"]
                res["code"] += s["text"]
            else:
                res["code"] += s["text"] + s["data"]
    return res


def _weight_ops(g):
    """The layers with MACs and constant weights."""
    return [op for op in g.ops if op.kind in WEIGHT_KINDS and len(op.inputs) > 1
            and op.inputs[1] and g.t(op.inputs[1]).is_const]


def weight_bytes(g) -> int:
    """One byte per weight of the layers with MACs (the int8 weights)."""
    return sum(int(np.prod(g.t(op.inputs[1]).shape)) for op in _weight_ops(g))


def floor_bytes(g) -> int:
    """The least any deployment stores besides code: the int8 weights plus, per output
    channel of those layers, an int32 multiplier and an int32 offset (bias folded in) where
    the layer requantizes, its int32 bias where it does not."""
    return weight_bytes(g) + sum((8 if "requant" in op.attrs else 4)
                                 * int(g.t(op.outputs[0]).shape[-1]) for op in _weight_ops(g))


def by_kind(prof: dict, g, n: int = 3) -> str:
    total = prof["totals"]["run_instructions"]
    rq = {op.name for op in g.ops if "requant" in op.attrs}
    by: dict[str, list[int]] = {}
    for r in prof["layers"]:
        b = by.setdefault(r["kind"] + ("+rq" if r["name"] in rq else ""), [0, 0])
        b[0] += r["instructions"]
        b[1] += r["macs"]
    return ", ".join(f"{k} {v[0] / total:.0%}" + (f" ({v[0] / v[1]:.1f}/MAC)" if v[1] else "")
                     for k, v in sorted(by.items(), key=lambda kv: -kv[1][0])[:n])


def _check_pulp(proj, stem: str) -> list[str]:
    """Mismatches (empty: exact) of one compiled PULP-folder network."""
    from tinydeploy.check.validate import validate, validate_golden
    bad = []
    v = validate(proj, n=2, seed=7, on="qemu")
    if not v.ok:
        bad += v.messages or ["outputs differ"]
    gold = PULP / f"{stem}.golden"
    if gold.is_dir():
        c = validate_golden(proj, gold)
        if not c.matches:
            bad.append("no golden layer read")
        bad += [f"{m.golden}: {m.detail}" for m in c.matches if not m.ok]
    return bad


def _check_deeploy(proj, folder: Path, records) -> list[str]:
    from tests.pulp import deeploy_data as dd
    from tinydeploy.check.rv32 import qemu
    outs = qemu.run(qemu.build(proj.path), proj.manifest, records)[0]
    bad = []
    for y, w, spec in zip(outs, dd.expected(folder), proj.manifest["outputs"]):
        if y.size != w.size or np.any(y.astype(np.int64).ravel() != w.astype(np.int64).ravel()):
            bad.append(f"output {spec['name']} differs from Deeploy's outputs.npz")
    return bad


def measure(model: Path, label: str, tmp: Path, console) -> dict:
    from tests.pulp import deeploy_data as dd
    from tinydeploy import api
    from tinydeploy.check.rv32 import profile

    folder = model.parent if model.name == "network.onnx" else None
    opts = {}
    if folder is not None:
        opts = {"input_type": dd.input_type(folder), "input_shapes": dd.input_shapes(folder)}
    elif label in INPUT_TYPE:
        opts = {"input_type": INPUT_TYPE[label]}
    row: dict = {"label": label, "bad": []}
    for k in ("opt", "ref"):
        proj = api.compile(model, tmp / f"{label}_{k}", board="qemu-rv32", kernels=k, **opts)
        records = [dd.record(proj.manifest, folder)] if folder is not None else None
        prof = profile(proj.path, records=records)
        g = proj.lowered.graph
        bad = (_check_deeploy(proj, folder, records) if folder is not None
               else _check_pulp(proj, label))
        row["bad"] += [f"{k}: {b}" for b in bad]
        row[k] = {"prof": prof, "ipm": prof["totals"]["instructions_per_mac"],
                  "flash": flash(proj.path, proj.prefix), "kinds": by_kind(prof, g)}
        row["macs"] = prof["totals"]["macs"]
        row["weights"] = weight_bytes(g)
        row["floor"] = floor_bytes(g)
    console.print(f"done {label}" + (f" [red]WRONG: {row['bad'][0]}" if row["bad"] else ""),
                  style="dim")
    return row


def plot(rows: list[dict], console) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.ticker import NullFormatter, ScalarFormatter

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(12, 0.45 * len(rows) + 1.8), sharey=True)
    labels = [r["label"] for r in rows]
    y = np.arange(len(rows))
    a1.barh(y - 0.2, [r["opt"]["ipm"] for r in rows], 0.4, label="optimized kernels")
    a1.barh(y + 0.2, [r["ref"]["ipm"] for r in rows], 0.4, label="reference kernels")
    a1.axvline(GOAL_IPM, ls="--", c="gray", label=f"goal {GOAL_IPM:g}")
    a1.set_yticks(y, labels)
    a1.invert_yaxis()
    a1.set_xscale("log")
    a1.set_xticks([2, 4, 8, 16, 32, 64])
    a1.set_xlabel("instructions per MAC (QEMU rv32, gcc -O3, exact)")
    a1.legend(fontsize=8)
    for k, (key, c) in enumerate((("consts", "tab:green"), ("code", "tab:red"))):
        left = [0.0] * len(rows) if k == 0 else [r["opt"]["flash"]["consts"] / r["weights"]
                                                for r in rows]
        a2.barh(y, [r["opt"]["flash"][key] / r["weights"] for r in rows], 0.6, left=left,
                color=c, label=f"{key} (optimized build)")
    a2.axvline(GOAL_FLASH, ls="--", c="gray", label=f"goal {GOAL_FLASH:g}")
    a2.set_xscale("log")
    a2.set_xticks([1, 2, 5, 10, 50, 200])
    for ax in (a1, a2):
        ax.xaxis.set_major_formatter(ScalarFormatter())
        ax.xaxis.set_minor_formatter(NullFormatter())
    a2.set_xlabel("flash / int8 weight bytes")
    a2.legend(fontsize=8)
    fig.suptitle("PULP-dialect networks on QEMU rv32 (measured)")
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=120, bbox_inches="tight")
    plt.close(fig)
    console.print(f"plot: {PLOT}")


def main(argv: list[str]) -> int:
    from rich.console import Console
    from rich.table import Table

    from tinydeploy.check.rv32.qemu import require_tools
    from tinydeploy.errors import TinyDeployError

    console = Console(width=200)
    try:
        require_tools()
    except TinyDeployError as e:
        console.print(f"[red]skipping the PULP benchmark: {e}")
        return 0
    if not PULP.is_dir():
        console.print(f"[red]skipping the PULP benchmark: no {PULP}")
        return 0
    nets = [(p, p.stem) for p in sorted(PULP.glob("*.onnx"))]
    extra = mlperf_folders()
    if not extra:
        console.print(f"no Deeploy MLPerf Tiny exports under {DEEPLOY} (kept apart from this "
                      "repository): skipped, only the PULP folder's networks run")
    nets += [(f / "network.onnx", f.name) for f in extra]
    if argv:
        nets = [n for n in nets if any(a in n[1] for a in argv)]
    rows = []
    with tempfile.TemporaryDirectory(prefix="td_pulp_bench_") as tmp:
        for model, label in nets:
            rows.append(measure(model, label, Path(tmp), console))
    tab = Table(title="PULP-dialect networks on QEMU rv32 (all measured in this run: exact "
                "instructions, gcc -O3 object sizes); optimized / reference kernels")
    for col in ("network", "MACs", "instr/MAC opt", "ref", "top layer kinds (opt)",
                "weights B", "floor/w", "flash opt (consts+code)", "flash/w opt",
                "flash ref", "flash/w ref", "exact"):
        tab.add_column(col, justify="left" if col.startswith(("network", "top")) else "right")
    for r in rows:
        fo, fr = r["opt"]["flash"], r["ref"]["flash"]
        to, tr = fo["consts"] + fo["code"], fr["consts"] + fr["code"]
        w = max(1, r["weights"])
        tab.add_row(r["label"], f"{r['macs']:,}", f"{r['opt']['ipm']:.2f}",
                    f"{r['ref']['ipm']:.2f}", r["opt"]["kinds"], f"{r['weights']:,}",
                    f"{r['floor'] / w:.2f}", f"{to:,} ({fo['consts']:,}+{fo['code']:,})", f"{to / w:.2f}",
                    f"{tr:,} ({fr['consts']:,}+{fr['code']:,})", f"{tr / w:.2f}",
                    "yes" if not r["bad"] else "[red]NO")
    console.print(tab)
    console.print(f"goals (issue 13): <= {GOAL_IPM:g} instructions per MAC over the whole "
                  f"network, flash <= {GOAL_FLASH:g}x the int8 weights. Inputs: seeded random "
                  "(Deeploy folders: their inputs.npz). floor/w: the int8 weights plus 8 bytes "
                  "per requantized output channel (4 per raw one), no code - the least any "
                  "deployment of the graph stores; above 1.1, the flash goal cannot be met.")
    if rows:
        plot(rows, console)
    bad = [(r["label"], b) for r in rows for b in r["bad"]]
    for label, b in bad:
        console.print(f"[red]{label}: {b}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
