"""Calibration data and activation statistics.

Calibration data is the user's: a ``.npy`` file per graph input holding ``N`` samples,
shape ``[N, *input_shape[1:]]`` (or one sample in the input's own shape), any float dtype.
Without data the quantizer does not guess silently: :func:`fallback_data` gives the
clearly named :data:`FALLBACK` inputs and the caller prints a warning (the name is also
recorded in the output model's metadata).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph
from tinydeploy.quantize.float_ops import run_float
from tinydeploy.quantize.observers import TensorStats

FALLBACK_SAMPLES = 32
FALLBACK = "synthetic-normal (seeded N(0, 1) samples)"
BATCH = 16


@dataclass(frozen=True)
class CalibrationData:
    inputs: list[np.ndarray]      # one float32 array [N, *shape[1:]] per graph input
    source: str                   # file names, or FALLBACK

    @property
    def n(self) -> int:
        return int(self.inputs[0].shape[0])


def load_calibration(g: Graph, paths: list[str]) -> CalibrationData:
    """Read one ``.npy`` per graph input; errors name the file and the input."""
    if len(paths) != len(g.inputs):
        raise TinyDeployError(f"{len(paths)} calibration file(s) for {len(g.inputs)} model "
                              f"input(s) ({', '.join(g.inputs)}): give one .npy per input")
    arrays = [_load_one(g, name, p) for name, p in zip(g.inputs, paths)]
    if len({a.shape[0] for a in arrays}) > 1:
        raise TinyDeployError("calibration files hold different numbers of samples: "
                              + ", ".join(f"{p}: {a.shape[0]}" for p, a in zip(paths, arrays)))
    return CalibrationData(arrays, ", ".join(Path(p).name for p in paths))


def _load_one(g: Graph, name: str, path: str) -> np.ndarray:
    t = g.t(name)
    try:
        x = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise TinyDeployError("calibration data: no such file", file=path) from None
    except Exception as e:  # noqa: BLE001 - any unreadable file is the user's error
        raise TinyDeployError(f"calibration data is not a readable .npy file: {e}",
                              file=path) from None
    if x.dtype.kind != "f":
        raise TinyDeployError(f"calibration data for input '{name}' has dtype {x.dtype}; "
                              f"the float model's input '{name}' is {t.dtype} (give float "
                              "samples in the model's input units)", file=path)
    shape = tuple(t.shape)
    if x.shape == shape:
        x = x.reshape(1, *shape[1:]) if shape and shape[0] == 1 else x[None]
    elif shape and shape[0] == 1 and x.shape[1:] == shape[1:] and x.ndim == len(shape):
        pass
    elif x.shape[1:] == shape:
        x = x.reshape(-1, *shape[1:]) if shape and shape[0] == 1 else x
    else:
        raise TinyDeployError(f"calibration data for input '{name}' has shape "
                              f"{list(x.shape)}; expected [N, {', '.join(map(str, shape[1:]))}]"
                              f" (input '{name}' is {list(shape)})", file=path)
    if x.shape[0] == 0:
        raise TinyDeployError(f"calibration data for input '{name}' holds no samples",
                              file=path)
    if not np.all(np.isfinite(x)):
        raise TinyDeployError(f"calibration data for input '{name}' contains NaN or "
                              "infinite values", file=path)
    return np.ascontiguousarray(x, dtype=np.float32)


def fallback_data(g: Graph, seed: int = 0) -> CalibrationData:
    """The no-data fallback: seeded standard-normal samples (see :data:`FALLBACK`)."""
    rng = np.random.default_rng(seed)
    arrays = [rng.standard_normal((FALLBACK_SAMPLES, *g.t(n).shape[1:])).astype(np.float32)
              for n in g.inputs]
    return CalibrationData(arrays, FALLBACK)


def batches(data: CalibrationData, size: int = BATCH):
    """Input lists of at most ``size`` samples each, in order."""
    for i in range(0, data.n, size):
        yield [a[i:i + size] for a in data.inputs]


def collect_stats(g: Graph, data: CalibrationData) -> dict[str, TensorStats]:
    """Statistics of every activation of float graph ``g`` over the calibration data."""
    stats = {n: TensorStats(seed=i) for i, n in enumerate(g.activations())}

    def seen(name: str, x: np.ndarray) -> None:
        stats[name].update(x)

    for batch in batches(data):
        run_float(g, batch, on_tensor=seen)
    return stats
