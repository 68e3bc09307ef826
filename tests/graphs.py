"""Small builders for one-op IR graphs used by golden and kernel tests."""

from __future__ import annotations

import numpy as np

from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor


def act(name: str, shape, scale: float = 0.05, zp: int = 0, dtype: str = "int8") -> Tensor:
    """An activation tensor with per-tensor quantization (no quant for float32)."""
    q = None if dtype == "float32" else QuantParams.make(scale, zp)
    return Tensor(name, tuple(int(s) for s in shape), dtype, q)


def const(name: str, data: np.ndarray, scale=None, zp=0, axis: int | None = None) -> Tensor:
    """A constant tensor; ``scale`` may be a per-channel array (then ``axis`` is required)."""
    data = np.asarray(data)
    q = None if scale is None else QuantParams.make(scale, zp, axis)
    return Tensor(name, tuple(data.shape), str(data.dtype), q, data)


def one_op(kind: str, inputs: list[Tensor | None], output: Tensor, name: str = "op0",
           **attrs) -> Graph:
    """A graph with a single op; non-constant inputs become graph inputs (in order).

    ``None`` in ``inputs`` is an absent optional input (e.g. no bias) and is kept as "".
    """
    tensors = {t.name: t for t in inputs if t is not None}
    tensors[output.name] = output
    g_inputs = [t.name for t in inputs if t is not None and not t.is_const]
    op = Op(kind, name, tuple("" if t is None else t.name for t in inputs),
            (output.name,), dict(attrs))
    return Graph(f"{kind}_test", tensors, [op], g_inputs, [output.name])


def random_input(rng: np.random.Generator, t: Tensor) -> np.ndarray:
    """Uniform random values over the full range of ``t``'s integer dtype."""
    info = np.iinfo(np.dtype(t.dtype))
    return rng.integers(info.min, info.max, size=t.shape, endpoint=True).astype(t.dtype)
