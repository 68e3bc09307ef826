"""Input records for checks: seeded random inputs over each input's full range, or the
user's .npy files."""

from __future__ import annotations

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph


def random_inputs(g: Graph, n: int, seed: int) -> list[list[np.ndarray]]:
    """``n`` seeded input records covering each input's full integer range.

    Float inputs get values spread over the range their QuantizeLinear/QUANTIZE represents.
    """
    rng = np.random.default_rng(seed)
    records = []
    for _ in range(n):
        rec = []
        for name in g.inputs:
            t = g.t(name)
            if t.dtype == "float32":
                q = _float_input_range(g, name)
                rec.append(rng.uniform(q[0], q[1], size=t.shape).astype(np.float32))
            else:
                info = np.iinfo(np.dtype(t.dtype))
                rec.append(rng.integers(info.min, info.max, size=t.shape, endpoint=True)
                           .astype(t.dtype))
        records.append(rec)
    return records


def _float_input_range(g: Graph, name: str) -> tuple[float, float]:
    for op in g.consumers(name):
        out = g.t(op.outputs[0])
        if op.kind == "quantize" and out.quant is not None:
            info = np.iinfo(np.dtype(out.dtype))
            s, z = out.quant.s, out.quant.zp
            return s * (info.min - z), s * (info.max - z)
    return -1.0, 1.0


def load_npy_inputs(g: Graph, paths: list[str]) -> list[list[np.ndarray]]:
    """User inputs. A ``.npy`` holds the one input of a single-input network (or a batch
    along a new leading axis); a ``.npz`` holds every input, by input name or in order
    (``arr_0``, ``arr_1``, ...), each one record or a batch of the same length."""
    records = []
    for p in paths:
        try:
            data = np.load(p, allow_pickle=False)
            arrays = ([data[k] for k in _npz_order(g, data.files, p)]
                      if isinstance(data, np.lib.npyio.NpzFile) else [data])
        except TinyDeployError:
            raise
        except Exception as e:  # noqa: BLE001 - any unreadable file is the user's error
            raise TinyDeployError(f"cannot read inputs: {e}", file=p) from None
        if len(arrays) != len(g.inputs):
            raise TinyDeployError(f"{len(arrays)} array(s) for {len(g.inputs)} network "
                                  "inputs (use one .npz holding every input)", file=p)
        batches = [_batch(g, n, x, p) for n, x in zip(g.inputs, arrays)]
        if len({len(b) for b in batches}) != 1:
            raise TinyDeployError("the inputs hold different numbers of records", file=p)
        records += [list(rec) for rec in zip(*batches)]
    return records


def _npz_order(g: Graph, keys: list[str], path: str) -> list[str]:
    if set(g.inputs) <= set(keys):
        return list(g.inputs)
    if len(keys) == len(g.inputs):
        return keys
    raise TinyDeployError(f"arrays {keys} name none of the inputs {list(g.inputs)}",
                          file=path)


def _batch(g: Graph, name: str, x: np.ndarray, path: str) -> np.ndarray:
    t = g.t(name)
    if x.dtype != np.dtype(t.dtype):
        raise TinyDeployError(f"dtype {x.dtype} does not match input '{t.name}' "
                              f"({t.dtype})", file=path)
    if x.size == 0 or x.size % t.size:
        raise TinyDeployError(f"shape {x.shape} does not match input '{t.name}' "
                              f"{list(t.shape)}", file=path)
    return x.reshape((-1, *t.shape))
