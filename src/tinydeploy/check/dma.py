"""Measured DMA traffic of a tiled project vs the plan's prediction.

The generated runner writes, when ``TD_DMA_STATS`` names a file, every layer's DMA
counters totalled over the records it ran (``main.c``; the host HAL counts every
transfer). :func:`run_measuring` runs the project that way and divides by the records;
:func:`compare` checks every layer against ``manifest["tiled"]`` byte for byte and
transfer for transfer (untiled layers must move nothing).
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tinydeploy.check import hostrun
from tinydeploy.errors import TinyDeployError

KEYS = ("in_bytes", "in_transfers", "out_bytes", "out_transfers", "l3_bytes", "l3_transfers")


def read_stats(path: Path) -> dict[int, dict[str, int]]:
    """Per layer index: the counters of one inference (totals / records, exactly)."""
    lines = Path(path).read_text().split("\n")
    records = int(lines[0].split()[1])
    out = {}
    for line in lines[1:]:
        if not line.strip():
            continue
        idx, *vals = (int(v) for v in line.split())
        if records == 0 or any(v % records for v in vals):
            raise TinyDeployError(f"DMA counters of layer {idx} differ between inputs",
                                  file=str(path))
        out[idx] = dict(zip(KEYS, (v // records for v in vals)))
    return out


def run_measuring(exe: Path, manifest: dict, records: list[list[np.ndarray]]
                  ) -> tuple[list[list[np.ndarray]], dict[int, dict[str, int]]]:
    """Outputs of ``exe`` on ``records`` and the measured DMA counters per layer."""
    with tempfile.TemporaryDirectory(prefix="td_dma_") as tmp:
        stats = Path(tmp) / "dma.txt"
        outs = hostrun.run(exe, manifest, records, env={"TD_DMA_STATS": str(stats)})
        return outs, read_stats(stats)


def predicted(manifest: dict) -> dict[int, dict[str, int]]:
    """The plan's DMA counters per layer index (zero for untiled layers)."""
    tiled = {lay["index"]: lay["dma"] for lay in manifest["tiled"]["layers"]}
    zero = dict.fromkeys(KEYS, 0)
    return {lay["index"]: {k: tiled.get(lay["index"], zero)[k] for k in KEYS}
            for lay in manifest["layers"]}


def compare(manifest: dict, measured: dict[int, dict[str, int]]) -> list[str]:
    """One message per layer whose measured counters differ from the prediction."""
    msgs = []
    for idx, want in predicted(manifest).items():
        got = measured.get(idx)
        if got != want:
            name = manifest["layers"][idx]["name"]
            diff = ", ".join(f"{k} {got.get(k) if got else None} (predicted {want[k]})"
                             for k in KEYS if not got or got[k] != want[k])
            msgs.append(f"DMA of layer #{idx} '{name}' differs from the plan: {diff}")
    return msgs
