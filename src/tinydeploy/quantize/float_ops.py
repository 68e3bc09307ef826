"""Float reference of every op a float graph may contain, and the float graph executor.

A *float graph* is an IR :class:`~tinydeploy.ir.graph.Graph` whose activations and
weights are float32 (biases too), in the IR layouts (NHWC, OHWI conv weights, ``[KH, KW,
C]`` depthwise, ``[C_out, C_in]`` fully connected). Besides the IR op kinds it may hold
what float models carry and int8 models fold away:

- ``batch_norm`` (inputs x, scale, offset): ``y = x * scale + offset`` along the last axis
  (mean and variance already folded into scale/offset by the loader);
- ``act`` (attr ``act`` in relu, relu6, relu_n1_to_1): a standalone activation.

Every kernel computes in float64 (the reference the quantized stages are measured
against; TFLite's float kernels, float32, agree to about 1e-6 relative).
"""

from __future__ import annotations

from typing import Callable

import numpy as np

from tinydeploy.ir.graph import Graph, Op

ACT_BOUNDS = {"none": (-np.inf, np.inf), "relu": (0.0, np.inf), "relu6": (0.0, 6.0),
              "relu_n1_to_1": (-1.0, 1.0)}


def activation(y: np.ndarray, act: str) -> np.ndarray:
    lo, hi = ACT_BOUNDS[act]
    return y if act == "none" else np.clip(y, lo, hi)


def _windows(x: np.ndarray, op: Op, kh: int, kw: int, pad_value: float = 0.0):
    """Yield (i, j, patch) with patch[n, oy, ox, c] = padded x at window offset (i, j)."""
    t, left, b, r = op.attrs["pads"]
    sh, sw = op.attrs["stride"]
    dh, dw = op.attrs.get("dilation", (1, 1))
    xp = np.pad(x, ((0, 0), (t, b), (left, r), (0, 0)), constant_values=pad_value)
    oh = (xp.shape[1] - ((kh - 1) * dh + 1)) // sh + 1
    ow = (xp.shape[2] - ((kw - 1) * dw + 1)) // sw + 1
    for i in range(kh):
        for j in range(kw):
            yield i, j, xp[:, i * dh: i * dh + sh * (oh - 1) + 1: sh,
                           j * dw: j * dw + sw * (ow - 1) + 1: sw, :]


def conv2d(op: Op, x, w, b=None) -> np.ndarray:
    """NHWC x OHWI -> NHWC."""
    out = 0.0
    for i, j, patch in _windows(x, op, w.shape[1], w.shape[2]):
        out = out + patch @ w[:, i, j, :].T
    out = out + (0.0 if b is None else b)
    return activation(out, op.attrs.get("act", "none"))


def depthwise_conv2d(op: Op, x, w, b=None) -> np.ndarray:
    """NHWC x [KH, KW, C*M] -> NHWC; output channel c*M + m reads input channel c."""
    mult = w.shape[2] // x.shape[-1]
    src = np.repeat(np.arange(x.shape[-1]), mult)
    out = 0.0
    for i, j, patch in _windows(x, op, w.shape[0], w.shape[1]):
        out = out + patch[..., src] * w[i, j, :]
    out = out + (0.0 if b is None else b)
    return activation(out, op.attrs.get("act", "none"))


def fully_connected(op: Op, x, w, b=None) -> np.ndarray:
    out = x @ w.T + (0.0 if b is None else b)
    return activation(out, op.attrs.get("act", "none"))


def _pool(op: Op, x, reduce: str) -> np.ndarray:
    kh, kw = op.attrs["kernel"]
    if reduce == "max":
        out = -np.inf
        for _, _, patch in _windows(x, op, kh, kw, pad_value=-np.inf):
            out = np.maximum(out, patch)
    else:   # average over the valid (non-padding) elements, as TFLite
        total = count = 0.0
        ones = np.ones((1, *x.shape[1:3], 1))
        for (_, _, patch), (_, _, n) in zip(_windows(x, op, kh, kw),
                                            _windows(ones, op, kh, kw)):
            total, count = total + patch, count + n
        out = total / count
    return activation(out, op.attrs.get("act", "none"))


def _softmax(op: Op, x) -> np.ndarray:
    z = x * op.attrs.get("beta", 1.0)
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def _concat(op: Op, *xs) -> np.ndarray:
    return np.concatenate(xs, axis=op.attrs["axis"])


FLOAT_KERNELS: dict[str, Callable[..., np.ndarray]] = {
    "conv2d": conv2d,
    "depthwise_conv2d": depthwise_conv2d,
    "fully_connected": fully_connected,
    "avg_pool2d": lambda op, x: _pool(op, x, "avg"),
    "max_pool2d": lambda op, x: _pool(op, x, "max"),
    "add": lambda op, a, b: activation(a + b, op.attrs.get("act", "none")),
    "mul": lambda op, a, b: activation(a * b, op.attrs.get("act", "none")),
    "concat": _concat,
    "pad": lambda op, x: np.pad(x, op.attrs["pads"]),
    "reshape": lambda op, x: x,              # the executor reshapes to the output shape
    "transpose": lambda op, x: np.transpose(x, op.attrs["perm"]),
    "mean": lambda op, x: x.mean(axis=tuple(op.attrs["axes"]),
                                 keepdims=bool(op.attrs["keepdims"])),
    "softmax": _softmax,
    "logistic": lambda op, x: 1.0 / (1.0 + np.exp(-x)),
    "tanh": lambda op, x: np.tanh(x),
    "batch_norm": lambda op, x, scale, offset: x * scale + offset,
    "act": lambda op, x: activation(x, op.attrs["act"]),
}

# ops whose output is only a rearrangement/selection of input values: a quantized
# network keeps the input's quantization for them (no requantization)
SAME_QUANT_KINDS = ("reshape", "transpose", "pad", "max_pool2d", "avg_pool2d")


Hook = Callable[[str, np.ndarray], np.ndarray]


def run_float(g: Graph, inputs: list[np.ndarray] | dict[str, np.ndarray],
              on_tensor: Hook | None = None,
              consts: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Evaluate float graph ``g`` in float64; returns every activation by name.

    ``on_tensor(name, value)`` sees each activation as it is produced (graph inputs first)
    and may return a replacement (fake quantization); ``consts`` replaces constants by
    name (quantized weights). Each input is one sample in the input's shape or a batch
    ``(n, *shape[1:])`` when the graph's batch dimension is 1; every tensor then carries
    that batch on axis 0.
    """
    if not isinstance(inputs, dict):
        inputs = dict(zip(g.inputs, inputs))
    first = g.t(g.inputs[0])
    n = np.asarray(inputs[g.inputs[0]]).size // max(first.size, 1)
    if n > 1 and not all(t.shape and t.shape[0] == 1 for t in g.tensors.values()
                         if not t.is_const):
        # some tensor has no batch dimension of 1: one sample at a time, stacked
        runs = [_run(g, {k: np.asarray(v).reshape(n, -1)[i] for k, v in inputs.items()},
                     on_tensor, consts or {}, 1) for i in range(n)]
        return {k: np.stack([r[k] for r in runs]) for k in runs[0]}
    return _run(g, inputs, on_tensor, consts or {}, n)


def _run(g: Graph, inputs: dict[str, np.ndarray], on_tensor: Hook | None,
         consts: dict[str, np.ndarray], n: int) -> dict[str, np.ndarray]:
    env: dict[str, np.ndarray] = {}
    for name in g.inputs:
        x = np.asarray(inputs[name], dtype=np.float64)
        env[name] = _hook(on_tensor, name, x.reshape(batched(g.t(name).shape, n)))
    for op in g.ops:
        ins = [None if not k else env[k] if k in env else
               np.asarray(consts.get(k, g.t(k).data), dtype=np.float64) for k in op.inputs]
        y = FLOAT_KERNELS[op.kind](op, *ins)
        out = op.outputs[0]
        y = np.asarray(y, dtype=np.float64).reshape(batched(g.t(out).shape, n))
        env[out] = _hook(on_tensor, out, y)
    return env


def batched(shape: tuple[int, ...], n: int) -> tuple[int, ...]:
    """``shape`` with its leading batch of 1 replaced by ``n``."""
    if n == 1:
        return tuple(shape)
    if not shape or shape[0] != 1:
        raise ValueError(f"cannot batch a tensor of shape {list(shape)} (batch must be 1)")
    return (n, *shape[1:])


def _hook(on_tensor: Hook | None, name: str, x: np.ndarray) -> np.ndarray:
    if on_tensor is None:
        return x
    y = on_tensor(name, x)
    return x if y is None else y
