"""Golden folders written by the PULP tool flow, read into records of inputs and layers.

- DORY text files: ``input.txt`` and ``out_layer<k>.txt``, or per record ``input_<i>.txt``,
  ``out_<i>_layer<k>.txt`` and ``output_<i>.txt``; a header line, then one integer per
  line (``v,`` with optional ``\\`` continuations). Headers can be wrong: ignored.
- Deeploy: ``inputs.npz``, ``outputs.npz`` and ``activations.npz``, one array per tensor.

How the records are checked against a compiled project: :mod:`.goldens`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinydeploy.errors import TinyDeployError


@dataclass
class Golden:
    label: str                 # where it came from, e.g. "out_0_layer3.txt"
    values: np.ndarray         # flat int64
    shape: tuple[int, ...] | None = None    # the array's shape (.npz); None for text
    kind: str = "layer"        # "layer", "output" (a network output), "last" (DORY's
    #                            last out_layer: the network output if one has its size)


@dataclass
class Record:
    inputs: list[Golden]
    layers: list[Golden]
    fmt: str = "dory"          # "dory" or "deeploy"



# -- reading ------------------------------------------------------------------------------
def _read_txt(path: Path, kind: str = "layer") -> Golden:
    values = []
    for i, line in enumerate(path.read_text(errors="replace").splitlines()):
        s = line.strip().rstrip("\\").strip().rstrip(",").strip()
        if not s:
            continue
        try:
            v = float(s)
        except ValueError:
            if i == 0 or s.startswith("#"):
                continue
            raise TinyDeployError(f"line {i + 1} is not a number: {line[:60]!r}",
                                  file=str(path)) from None
        if v != int(v):
            raise TinyDeployError(f"line {i + 1} holds the non-integer {v}", file=str(path))
        values.append(int(v))
    if not values:
        raise TinyDeployError("no values", file=str(path))
    return Golden(path.name, np.array(values, dtype=np.int64), kind=kind)


def _layer_key(path: Path) -> int:
    return int(re.findall(r"layer(\d+)", path.name)[0])


def _layer_files(paths: list[Path]) -> list[Golden]:
    """DORY out_layer files in order, the last one marked as the possible output."""
    return [_read_txt(q, "last" if k == len(paths) - 1 else "layer")
            for k, q in enumerate(paths)]


def _read_dory(folder: Path, notes: list[str]) -> list[Record]:
    multi = sorted(folder.glob("input_*.txt"), key=lambda p: int(re.findall(r"\d+", p.stem)[0]))
    if multi:
        if (folder / "input.txt").exists():
            notes.append("input.txt ignored: the per-record input_<i>.txt files are used")
        records = []
        for p in multi:
            i = int(re.findall(r"\d+", p.stem)[0])
            layers = _layer_files(sorted(folder.glob(f"out_{i}_layer*.txt"), key=_layer_key))
            out = folder / f"output_{i}.txt"
            outs = [_read_txt(out, "output")] if out.exists() else []
            records.append(Record([_read_txt(p)], layers + outs))
        return records
    layers = sorted(folder.glob("out_layer*.txt"), key=_layer_key)
    return [Record([_read_txt(folder / "input.txt")], _layer_files(layers))]


def _npz(path: Path, kind: str = "layer") -> list[Golden]:
    if not path.exists():
        return []
    try:
        z = np.load(path, allow_pickle=False)
        out = []
        for k in z.files:
            a = np.asarray(z[k])
            if a.dtype.kind == "f" and (not np.all(np.isfinite(a)) or
                                        np.any(a != np.round(a))):
                raise ValueError(f"array '{k}' holds non-integer values")
            out.append(Golden(f"{path.name}:{k}", a.astype(np.int64).ravel(),
                              tuple(int(d) for d in a.shape), kind))
        return out
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's error
        raise TinyDeployError(f"cannot read: {e}", file=str(path)) from None


def read_golden(folder: str | Path, notes: list[str] | None = None) -> list[Record]:
    """The records (inputs + golden layers) of a DORY or Deeploy golden folder."""
    folder = Path(folder)
    notes = notes if notes is not None else []
    if not folder.is_dir():
        raise TinyDeployError("golden folder not found", file=str(folder))
    if (folder / "inputs.npz").exists():
        layers = _npz(folder / "activations.npz") + _npz(folder / "outputs.npz", "output")
        return [Record(_npz(folder / "inputs.npz"), layers, "deeploy")]
    if (folder / "input.txt").exists() or list(folder.glob("input_*.txt")):
        return _read_dory(folder, notes)
    raise TinyDeployError("no golden files: expected DORY input.txt/out_layer<k>.txt or "
                          "Deeploy inputs.npz/outputs.npz", file=str(folder))
