"""make bench (attention models): measured on QEMU rv32imc in this run.

1. Deeploy's ICCT (compact convolutional transformer, int8): instructions per MAC of the
   whole network and per layer type, optimized and reference kernels (``-icount shift=0``
   + minstret around every layer, as benchmarks/rv32_bench.py), RAM (the static arena)
   and ROM (code and constants of the network's own objects, gcc -O3 rv32imc), beside
   Deeploy's generic C figures from the issue (8.12 / 6.34 instructions per MAC, 622,876 B
   RAM, 412,677 B ROM); the arena with and without depth-first attention.
2. microLlama as a decode loop (``--max-context 64``, optimized kernels): instructions of
   one ``<name>_step`` at 1..64 tokens of context (each the difference of two runs of
   n and n - 1 steps from an empty cache), RAM with the KV cache, ROM.
3. Depth-first attention on a multi-head attention block (8 heads x 64 tokens, built as
   in tests/memory/test_depth_first.py): the arena with and without it.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
DEEPLOY = REPO.parent / "shared" / "models" / "deeploy"
ICCT = DEEPLOY / "Models_CCT_Int_ICCT"
LLAMA = DEEPLOY / "Models_microLlama_INT8_microLlama1"
DEEPLOY_ICCT = {"ipm": (8.12, 6.34), "ram": 622_876, "rom": 412_677}
CONTEXTS = (1, 2, 4, 8, 16, 32, 64)
KINDS = {"fully_connected": "fc", "matmul": "matmul", "conv2d": "conv",
         "ilayernorm": "norms", "irmsnorm": "norms", "itamax": "softmax",
         "isoftmax": "softmax", "igelu": "activations", "ihardswish": "activations",
         "add": "elementwise", "requant": "elementwise", "max_pool2d": "pool"}


def rom_bytes(project: Path) -> int:
    """.text + .rodata + .data of the network's own objects (network.c and its kernels),
    compiled as the rv32 build does (-O3 rv32imc); no test runner, libc or startup code."""
    from tinydeploy.check.rv32.qemu import GCC as RV_GCC
    srcs = [project / "network.c", *sorted((project / "kernels").rglob("*.c"))]
    total = 0
    with tempfile.TemporaryDirectory() as tmp:
        for k, src in enumerate(srcs):
            obj = Path(tmp) / f"{k}.o"
            subprocess.run([RV_GCC, "-march=rv32imc", "-mabi=ilp32", "-O3", "-std=c99",
                            "--specs=picolibc.specs",
                            "-ffunction-sections", "-fdata-sections", "-c", str(src),
                            "-o", str(obj), f"-I{project}"], check=True, cwd=project)
            out = subprocess.run([RV_GCC.replace("gcc", "size"), "-A", str(obj)],
                                 capture_output=True, text=True, check=True).stdout
            for line in out.splitlines():
                w = line.split()
                if len(w) >= 2 and w[0].startswith((".text", ".rodata", ".srodata", ".data",
                                                    ".sdata")):
                    total += int(w[1])
    return total


def icct(tmp: Path, console) -> None:
    from tests.pulp import deeploy_data as dd
    from tinydeploy import api
    from tinydeploy.check.rv32 import profile

    rows = {}
    for k in ("opt", "ref"):
        proj = api.compile(ICCT / "network.onnx", tmp / f"icct_{k}", board="qemu-rv32",
                           kernels=k, input_type=dd.input_type(ICCT))
        p = profile(proj.path, records=[dd.record(proj.manifest, ICCT)])
        by: dict[str, list[int]] = {}
        for lay in p["layers"]:
            b = by.setdefault(KINDS.get(lay["kind"], "other"), [0, 0])
            b[0] += lay["instructions"]
            b[1] += lay["macs"]
        rows[k] = (p["totals"], by, proj)
    (t_opt, by_opt, proj), (t_ref, by_ref, _) = rows["opt"], rows["ref"]
    console.print(f"ICCT on QEMU rv32imc (measured): {t_opt['macs']:,} MACs, "
                  f"{t_opt['run_instructions']:,} instructions optimized, "
                  f"{t_ref['run_instructions']:,} reference")
    console.print(f"  instructions per MAC, whole network: {t_opt['instructions_per_mac']:.2f} "
                  f"optimized / {t_ref['instructions_per_mac']:.2f} reference "
                  f"(Deeploy generic C: {DEEPLOY_ICCT['ipm'][0]} / {DEEPLOY_ICCT['ipm'][1]}; "
                  "goal <= 4)")
    for cat in sorted(by_opt, key=lambda c: -by_opt[c][0]):
        (io, mo), (ir, _) = by_opt[cat], by_ref[cat]
        per = f"{io / mo:.2f} / {ir / mo:.2f} per MAC" if mo else "no MACs"
        console.print(f"    {cat:12s} {io:>12,} / {ir:>12,} instructions ({per})")
    low = proj.lowered
    rom = rom_bytes(proj.path)
    console.print(f"  RAM (static arena) {low.memory.arena_bytes:,} B "
                  f"(Deeploy {DEEPLOY_ICCT['ram']:,} B, goal <= {DEEPLOY_ICCT['ram'] // 4:,}); "
                  f"ROM (network code + constants) {rom:,} B (Deeploy {DEEPLOY_ICCT['rom']:,})")
    df = low.graph.meta.get("depth_first")
    if df:
        console.print(f"  arena with depth-first attention {df['with']:,} B, without "
                      f"{df['without']:,} B: {'applied' if df['applied'] else 'not applied'} "
                      "(ICCT's peak is its MLP, not its single-head 64x64 scores)")


def _step_records(manifest: dict, n: int, max_context: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    out = []
    for t in range(n):
        feed = {"input": rng.integers(-128, 128, 64), "x.9": rng.integers(-30, 30, t + 1),
                "MatMul_2": rng.integers(-128, 128, 16)}
        rec = []
        for spec in manifest["inputs"]:
            x = np.zeros(int(np.prod(spec["shape"])), spec["dtype"])
            v = np.asarray(feed[spec["name"]]).ravel()[:x.size]
            x[:v.size] = v
            rec.append(x.reshape(spec["shape"]))
        out.append(rec)
    return out


def _run_total(elf: Path, manifest: dict, records) -> int:
    from tinydeploy.check.rv32 import qemu
    _, console = qemu.run_raw(elf, manifest, records, icount=True)
    for line in console.splitlines():
        w = line.split()
        if len(w) == 3 and w[:2] == ["td-prof", "run"]:
            return int(w[2])
    raise RuntimeError(f"no instruction count in:\n{console[-1500:]}")


def llama(tmp: Path, console) -> None:
    from tinydeploy import api
    from tinydeploy.check.rv32 import qemu

    ctx = max(CONTEXTS)
    proj = api.compile(LLAMA / "network.onnx", tmp / "llama", board="qemu-rv32",
                       kernels="opt", input_type="int8", max_context=ctx)
    man = proj.manifest
    elf = qemu.build(proj.path, "prof")
    recs = _step_records(man, ctx, ctx)
    totals = {0: 0}
    for c in CONTEXTS:
        for n in (c - 1, c):
            if n not in totals:
                totals[n] = _run_total(elf, man, recs[:n])
    per = {c: totals[c] - totals[c - 1] for c in CONTEXTS}
    low = proj.lowered
    console.print(f"microLlama decode loop on QEMU rv32imc (measured, optimized kernels, "
                  f"--max-context {ctx}): instructions per generated token at a context of")
    console.print("  " + ", ".join(f"{c}: {per[c]:,}" for c in CONTEXTS) + " tokens")
    console.print(f"  RAM (static arena) {low.memory.arena_bytes:,} B, of which KV cache "
                  f"{low.decode.kv_bytes:,} B; ROM (network code + constants) "
                  f"{rom_bytes(proj.path):,} B")


def depth_first(console) -> None:
    from tests.memory.test_depth_first import mha
    from tinydeploy.compiler import lower

    low = lower(mha(heads=8, seq=64, dim=16))
    df = low.graph.meta["depth_first"]
    console.print(f"multi-head attention, 8 heads x 64 tokens x 16: arena {df['without']:,} B "
                  f"without depth-first attention, {df['with']:,} B with "
                  f"({'applied' if df['applied'] else 'not applied'})")


def main() -> int:
    from rich.console import Console

    from tinydeploy.check.rv32.qemu import require_tools
    from tinydeploy.errors import TinyDeployError

    console = Console(width=160)
    try:
        require_tools()
    except TinyDeployError as e:
        console.print(f"[red]skipping the attention benchmarks: {e}")
        return 0
    if not ICCT.is_dir():
        console.print(f"[red]skipping the attention benchmarks: no {ICCT}")
        return 0
    with tempfile.TemporaryDirectory(prefix="td_attention_bench_") as tmp:
        icct(Path(tmp), console)
        llama(Path(tmp), console)
    depth_first(console)
    return 0


if __name__ == "__main__":
    sys.exit(main())
