"""Deployment targets as data: one TOML file per target in this folder.

``load_target("gap8")`` reads ``gap8.toml`` beside this module; ``load_target(path)``
reads any other ``.toml`` file, so a user adds a target by writing one file. Files are
validated on load (:mod:`.schema`); every cost-model parameter is cited in its file.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from tinydeploy.errors import TinyDeployError
from tinydeploy.targets.schema import (KERNEL_CLASSES, KernelRates, MemoryLevel, Target,
                                       parse_target)

__all__ = ["Target", "MemoryLevel", "KernelRates", "KERNEL_CLASSES", "TARGET_DIR",
           "list_targets", "load_target", "targets_table"]

TARGET_DIR = Path(__file__).resolve().parent


def list_targets() -> list[str]:
    """Names of the bundled targets (file stems), sorted."""
    return sorted(p.stem for p in TARGET_DIR.glob("*.toml"))


def _resolve(name_or_path: str | Path) -> Path:
    s = str(name_or_path)
    if s.endswith(".toml") or "/" in s or "\\" in s:
        p = Path(s)
        if not p.is_file():
            raise TinyDeployError("target file not found", file=s)
        return p
    p = TARGET_DIR / f"{s}.toml"
    if not p.is_file():
        raise TinyDeployError(f"unknown target '{s}' (available: {', '.join(list_targets())}; "
                              "or give the path of a .toml file)")
    return p


def load_target(name_or_path: str | Path) -> Target:
    """Load and validate a bundled target by name, or any target file by path."""
    path = _resolve(name_or_path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as e:
        raise TinyDeployError(f"invalid TOML: {e}", file=str(path)) from None
    except (OSError, UnicodeDecodeError) as e:
        raise TinyDeployError(f"cannot read target file: {e}", file=str(path)) from None
    return parse_target(data, str(path))


def _kib(n: int) -> str:
    if n >= 1 << 20 and n % (1 << 20) == 0:
        return f"{n >> 20} MiB"
    if n % 1024 == 0:
        return f"{n >> 10} KiB"
    return f"{n} B"


def _levels(t: Target) -> str:
    parts = []
    for m in t.memory:
        bw = f" ({m.bandwidth:g} B/cyc)" if m.bandwidth is not None else ""
        parts.append(f"{m.name} {_kib(m.size)}{bw}")
    return " > ".join(parts)


def targets_table(names: list[str] | None = None) -> str:
    """A plain-text table of targets for ``tinydeploy targets`` (one line per target).

    Columns: name, cores, MHz, memory levels (size and DMA bandwidth to the next level),
    conv / depthwise MACs per cycle per core, description.
    """
    targets = [load_target(n) for n in (names if names is not None else list_targets())]
    rows = [("target", "cores", "MHz", "memory (innermost first)", "conv/dw MAC/cyc/core",
             "description")]
    for t in targets:
        rows.append((t.name, str(t.cores), f"{t.frequency_mhz:g}", _levels(t),
                     f"{t.kernels.conv:g}/{t.kernels.depthwise:g}", t.description))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]) - 1)]
    lines = []
    for r in rows:
        cells = [c.ljust(w) for c, w in zip(r[:-1], widths)] + [r[-1]]
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)
