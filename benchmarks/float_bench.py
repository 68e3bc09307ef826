"""make bench (float32): float networks and training steps on QEMU rv32imafc, measured.

A network with float32 tensors is built by the qemu-rv32 board for the F extension
(``-march=rv32imafc -mabi=ilp32f``, gcc -O3) and runs on a QEMU CPU with F. For each of
the float MLPerf Tiny TFLite files (``../shared/models/float``), Deeploy's float CCTs and
float microLlama, and the two ONNX Runtime training graphs (one ``<name>_run`` = one SGD
step), printed: instructions per inference / step (exact: ``-icount shift=0`` + minstret
around every layer), instructions per MAC (MACs as ``tinydeploy profile`` counts them:
conv/matmul MACs plus one per element of the elementwise and normalization layers), static
RAM (data + bss of the network's objects) and flash (text + rodata of the network and its
kernels) from ``size``, and the check of the outputs (Deeploy's outputs.npz, TFLite Micro,
or for the hybrid KWS file the float64 reference, within 1e-3 relative + 1e-4 absolute):
a wrong output makes the bench exit 1. The soft-float rv32imc count of one small network
shows what the F extension saves. A plot of instructions per MAC goes to out/bench/.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
MODELS = REPO.parent / "shared" / "models"
DEEPLOY = MODELS / "deeploy"
PLOT = REPO / "out" / "bench" / "float_bench.png"
RTOL, ATOL = 1e-3, 1e-4
CCT = "Models_CCT_FP32_CCT_1_16_16_8"
# quoted from issue 12 (Deeploy's generic C on rv32imafc): measured at filing, not here
DEEPLOY_CCT = {"ipm_o3": 18.2, "ipm_lto": 14.8, "ram": 56_112}
SOFT_NET = "ad_autoencoder_float"


def networks() -> list[tuple[str, str, Path]]:
    """(label, kind, path): kind tflite, deeploy (inference) or train (one SGD step)."""
    nets = [(p.stem, "tflite", p) for pre in ("ad", "ic", "kws", "vww")
            for p in sorted((MODELS / "float").glob(f"{pre}_*_float.tflite"))]
    for d in sorted(DEEPLOY.glob("Models_CCT_FP32_*")) + \
            sorted(DEEPLOY.glob("Models_microLlama_FP32_*")):
        nets.append((d.name.removeprefix("Models_"), "deeploy", d))
    for name in ("Models_Transformer_Train", "Models_CCT_Train_CCT2_FT1"):
        nets.append((name.removeprefix("Models_"), "train", DEEPLOY / name))
    return nets


def _close(got: list[np.ndarray], want: list[np.ndarray]) -> str | None:
    """None, or what is off (1e-3 relative + 1e-4 absolute, NaN equal to NaN)."""
    if len(got) != len(want):
        return f"{len(got)} outputs, expected {len(want)}"
    for k, (y, w) in enumerate(zip(got, want)):
        y = np.asarray(y, np.float64).ravel()
        w = np.asarray(w, np.float64).ravel()
        if y.size != w.size:
            return f"output {k}: {y.size} values, expected {w.size}"
        same = (y == w) | (np.isnan(y) & np.isnan(w))
        with np.errstate(invalid="ignore"):
            d = np.where(same, 0.0, np.abs(y - w))
        bad = np.flatnonzero(~(d <= ATOL + RTOL * np.abs(w)))
        if bad.size:
            i = bad[0]
            return f"output {k}: {bad.size} of {y.size} off, first [{i}] {y[i]} vs {w[i]}"
    return None


def _records_and_reference(kind: str, path: Path, proj):
    """One input record and the expected outputs (None: not computable here, with why)."""
    from tests.pulp.test_deeploy_float import record
    from tinydeploy.check.reference import run_reference
    from tinydeploy.quantize.float_ops import run_float

    man = proj.manifest
    if kind in ("deeploy", "train"):
        o = np.load(path / "outputs.npz")
        return [record(path, man)], [o[k] for k in o.files], "Deeploy outputs.npz"
    rng = np.random.default_rng(7)
    rec = [rng.uniform(-1, 1, s["shape"]).astype(np.float32) for s in man["inputs"]]
    if path.stem.startswith("kws_"):      # dynamic-range file: TFLite Micro refuses it
        g = proj.lowered.graph
        env = run_float(g, rec)
        return [rec], [np.asarray(env[n]) for n in g.outputs], "float64 reference"
    return [rec], run_reference(path, [rec])[0], "TFLite Micro"


def _prof_run_total(elf, manifest, records) -> int:
    from tinydeploy.check.rv32 import qemu

    _, console = qemu.run_raw(elf, manifest, records, icount=True)
    for line in console.splitlines():
        w = line.split()
        if len(w) == 3 and w[:2] == ["td-prof", "run"]:
            return int(w[2])
    raise RuntimeError(f"no instruction count in:\n{console[-1500:]}")


def measure(label: str, kind: str, path: Path, tmp: Path, console) -> dict | None:
    from tinydeploy import api
    from tinydeploy.check import rv32
    from tinydeploy.check.static_ram import network_sizes
    from tinydeploy.codegen.boards.rv32imc import ARCH_F
    from tinydeploy.errors import TinyDeployError

    src = path if kind == "tflite" else path / "network.onnx"
    try:
        proj = api.compile(src, tmp / label, board="qemu-rv32")
    except TinyDeployError as e:
        console.print(f"[yellow]skipping {label}: does not compile: {e}")
        return None
    man = proj.manifest
    recs, want, ref = _records_and_reference(kind, path, proj)
    elf = rv32.build(proj.path)
    outs = rv32.run(elf, man, recs)[0]
    bad = _close(outs, want)
    prof = rv32.profile(proj.path, records=recs)
    sizes = network_sizes(proj.path, "rv32", arch=ARCH_F)
    t = prof["totals"]
    return {"label": label, "kind": kind, "proj": proj, "prof": prof, "records": recs,
            "instructions": t["run_instructions"], "macs": t["macs"],
            "ipm": t["instructions_per_mac"], "ram": sizes.ram, "flash": sizes.text,
            "arena": proj.lowered.memory.arena_bytes, "ref": ref, "bad": bad}


def soft_float(row: dict, console) -> None:
    """The same project built for soft-float rv32imc (libgcc's __addsf3, __mulsf3, ...)."""
    from tinydeploy.check.rv32 import qemu
    from tinydeploy.codegen.boards.rv32imc import ARCH

    proj = row["proj"]
    elf = qemu.build(proj.path, "prof", arch=ARCH)
    soft = _prof_run_total(elf, proj.manifest, row["records"])
    console.print(f"F extension's effect ({row['label']}, measured): {soft:,} instructions "
                  f"per inference on soft-float rv32imc vs {row['instructions']:,} on "
                  f"rv32imafc: {soft / row['instructions']:.1f}x fewer with F "
                  f"({soft / row['macs']:.1f} vs {row['ipm']:.2f} per MAC)")


def top_layers(row: dict, console, n: int = 8) -> None:
    prof = row["prof"]
    total = prof["totals"]["run_instructions"]
    console.print(f"{row['label']}: where the instructions go (top {n} layers, measured)")
    for r in sorted(prof["layers"], key=lambda r: -r["instructions"])[:n]:
        ipm = f"{r['instructions_per_mac']:.1f}/MAC" if r["instructions_per_mac"] else ""
        console.print(f"  {r['instructions']:>10,} {100 * r['instructions'] / total:5.1f}% "
                      f"{r['kind']:>12s} {r['macs']:>8,} MACs {ipm:>10s}  {r['name'][:60]}")
    console.print("  by kernel kind: " + by_kind(row))


def by_kind(row: dict, n: int = 8) -> str:
    """Share of the instructions per layer kind (and per MAC), largest first."""
    prof = row["prof"]
    total = prof["totals"]["run_instructions"]
    by: dict[str, list[int]] = {}
    for r in prof["layers"]:
        b = by.setdefault(r["kind"], [0, 0])
        b[0] += r["instructions"]
        b[1] += r["macs"]
    return ", ".join(f"{k} {v[0] / total:.0%}" + (f" ({v[0] / v[1]:.1f}/MAC)" if v[1] else "")
                     for k, v in sorted(by.items(), key=lambda kv: -kv[1][0])[:n])


def plot(rows: list[dict], console) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 0.45 * len(rows) + 1.5))
    labels = [r["label"] for r in rows]
    ax.barh(labels, [r["ipm"] for r in rows], color=["tab:orange" if r["kind"] == "train"
                                                    else "tab:blue" for r in rows])
    ax.axvline(DEEPLOY_CCT["ipm_o3"], ls="--", c="gray",
               label="Deeploy float CCT_1_16_16_8, -O3 (issue, not measured here)")
    ax.invert_yaxis()
    ax.set_xlabel("instructions per MAC (QEMU rv32imafc, gcc -O3, exact)")
    ax.set_title("tinydeploy float32 networks (blue) and training steps (orange)")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), fontsize=8)
    PLOT.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(PLOT, dpi=120, bbox_inches="tight")
    plt.close(fig)
    console.print(f"plot: {PLOT}")


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    from tinydeploy.check.rv32.qemu import require_tools
    from tinydeploy.errors import TinyDeployError

    console = Console(width=160)
    try:
        require_tools()
    except TinyDeployError as e:
        console.print(f"[red]skipping the float benchmark: {e}")
        return 0
    if not DEEPLOY.is_dir():
        console.print(f"[red]skipping the float benchmark: no {DEEPLOY}")
        return 0
    rows = []
    with tempfile.TemporaryDirectory(prefix="td_float_bench_") as tmp:
        for label, kind, path in networks():
            row = measure(label, kind, path, Path(tmp), console)
            if row is not None:
                rows.append(row)
                console.print(f"done {label}", style="dim")
        tab = Table(title="float32 on QEMU rv32imafc (gcc -O3, exact: -icount + minstret), "
                    "measured in this run")
        for col in ("network", "per", "MACs", "instructions", "instr/MAC", "RAM B",
                    "(arena B)", "flash B", "check"):
            tab.add_column(col, justify="left" if col in ("network", "per", "check")
                           else "right")
        for r in rows:
            ok = f"[red]WRONG: {r['bad']}" if r["bad"] else f"ok vs {r['ref']}"
            tab.add_row(r["label"], "SGD step" if r["kind"] == "train" else "inference",
                        f"{r['macs']:,}", f"{r['instructions']:,}", f"{r['ipm']:.2f}",
                        f"{r['ram']:,}", f"{r['arena']:,}", f"{r['flash']:,}", ok)
        console.print(tab)
        console.print("where the instructions go, per network (layer kind: share of the "
                      "instructions, per MAC):")
        for r in rows:
            console.print(f"  {r['label']}: {by_kind(r, 5)}")
        cct = next((r for r in rows if r["label"] == CCT.removeprefix("Models_")), None)
        if cct is not None:
            d = DEEPLOY_CCT
            console.print(
                f"float CCT_1_16_16_8: ours {cct['ipm']:.2f} instructions/MAC, "
                f"{cct['ram']:,} B RAM (measured); Deeploy generic C {d['ipm_o3']} (-O3) / "
                f"{d['ipm_lto']} (-flto) instructions/MAC, {d['ram']:,} B RAM (quoted from "
                f"issue 12: measured at filing, not in this run). Ratio ours/Deeploy: "
                f"{cct['ipm'] / d['ipm_o3']:.2f} (-O3), {cct['ipm'] / d['ipm_lto']:.2f} "
                f"(-flto); RAM {cct['ram'] / d['ram']:.2f}. Deeploy's generic platform cannot "
                "compile the training graphs (issue 12).")
            top_layers(cct, console)
        small = next((r for r in rows if r["label"] == SOFT_NET), None)
        if small is not None:
            soft_float(small, console)
    if rows:
        plot(rows, console)
    wrong = [r["label"] for r in rows if r["bad"]]
    if wrong:
        console.print(f"[red bold]FAILED: wrong outputs on QEMU rv32imafc: {', '.join(wrong)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
