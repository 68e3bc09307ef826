"""Sub-byte weight variants of an integer graph (e.g. 4-bit weights for MLPerf Tiny models).

:func:`requantize_weights` re-quantizes the int8 weights of conv2d, depthwise_conv2d and
fully_connected layers to ``bits`` bits, symmetric and per output channel:

    w_real = s_c * (q_c - zp_c)                     (the int8 weights, as stored)
    s'_c   = max|w_real_c| / (2**(bits-1) - 1)      (float32, like a model file stores it)
    q'_c   = clamp(round(w_real_c / s'_c), -(2**(bits-1) - 1), 2**(bits-1) - 1)

(round half away from zero; a channel of zeros keeps its old scale). The int32 bias is
re-expressed in the new scale, ``round(b_real / (s_x * s'_c))``, so the layer computes
the same function up to weight rounding. Activations keep their dtype and quantization,
so only the weights shrink (to ``ceil(n * bits / 8)`` bytes, packed) and the layers run on
the sub-byte kernels (``td_*_sb``). The result is an integer-deployable graph that our
golden defines (TFLite has no int4 kernels to compare with).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

import numpy as np

from tinydeploy.errors import TinyDeployError
from tinydeploy.ir.graph import Graph, Op, QuantParams, Tensor
from tinydeploy.quant.requant import INT32_MAX, INT32_MIN, round_half_away

WEIGHTED_KINDS = ("conv2d", "depthwise_conv2d", "fully_connected")
WEIGHT_DTYPE = {2: "int2", 4: "int4", 8: "int8"}


def requantize_weights(g: Graph, bits: int, layers: Iterable[str] | None = None) -> Graph:
    """A copy of ``g`` whose selected layers have ``bits``-bit weights (see module doc).

    ``layers``: op names or fnmatch patterns (``"conv*"``) of the layers to change;
    None changes every conv2d / depthwise_conv2d / fully_connected. The input graph is
    not modified.
    """
    if bits not in WEIGHT_DTYPE:
        raise TinyDeployError(f"weight bits must be 2, 4 or 8, got {bits}")
    patterns = None if layers is None else list(layers)
    tensors = dict(g.tensors)
    done: set[str] = set()
    for op in g.ops:
        if op.kind not in WEIGHTED_KINDS or not _selected(op.name, patterns):
            continue
        w = g.t(op.inputs[1])
        if w.name in done:
            continue
        axis = w.data.ndim - 1 if op.kind == "depthwise_conv2d" else 0
        new_w = _requantize(op, w, bits, axis)
        tensors[w.name] = new_w
        done.add(w.name)
        bias = op.inputs[2] if len(op.inputs) > 2 else ""
        if bias:
            tensors[bias] = _rescale_bias(op, g.t(op.inputs[0]), g.t(bias), w, new_w, axis)
    if patterns and not done:
        raise TinyDeployError(f"no conv/depthwise/fully_connected layer matches "
                              f"{', '.join(patterns)}")
    return Graph(f"{g.name}_w{bits}", tensors, list(g.ops), list(g.inputs), list(g.outputs),
                 g.source, {**g.meta, "weight_bits": bits, "requantized_layers": sorted(done)})


def _selected(name: str, patterns: list[str] | None) -> bool:
    return patterns is None or any(fnmatch.fnmatchcase(name, p) for p in patterns)


def _channel_view(values: np.ndarray, n: int, axis: int) -> np.ndarray:
    """Per-channel values shaped to broadcast along ``axis`` of an ``n``-d array."""
    shape = [1] * n
    shape[axis] = -1
    return np.asarray(values, dtype=np.float64).reshape(shape)


def _requantize(op: Op, w: Tensor, bits: int, axis: int) -> Tensor:
    if w.data is None or w.quant is None or w.dtype != "int8":
        raise TinyDeployError(f"{op.kind}: weight '{w.name}' must be a constant quantized "
                              f"int8 tensor to re-quantize, got {w.dtype}", node=op.name)
    data = np.asarray(w.data, dtype=np.float64)
    channels = data.shape[axis]
    scale = np.broadcast_to(np.asarray(w.quant.scale, np.float64), (channels,)) \
        if w.quant.scale.size == 1 else np.asarray(w.quant.scale, np.float64)
    zp = np.broadcast_to(np.asarray(w.quant.zero_point, np.float64), (channels,))
    if scale.size != channels:
        raise TinyDeployError(f"{op.kind}: weight '{w.name}' has {scale.size} scales for "
                              f"{channels} channels", node=op.name)
    real = (data - _channel_view(zp, data.ndim, axis)) * _channel_view(scale, data.ndim, axis)
    qmax = (1 << (bits - 1)) - 1
    other = tuple(d for d in range(data.ndim) if d != axis)
    peak = np.abs(real).max(axis=other) if other else np.abs(real)
    new_scale = np.where(peak > 0, peak / qmax, scale).astype(np.float32).astype(np.float64)
    q = round_half_away(real / _channel_view(new_scale, data.ndim, axis))
    q = np.clip(q, -qmax, qmax).astype(np.int8)
    quant = QuantParams(new_scale, np.zeros(channels, np.int64), axis if channels > 1 else None)
    return Tensor(w.name, w.shape, WEIGHT_DTYPE[bits], quant, q)


def _rescale_bias(op: Op, x: Tensor, b: Tensor, w_old: Tensor, w_new: Tensor, axis: int
                  ) -> Tensor:
    """The int32 bias in the new scale ``s_x * s'_w`` (per channel)."""
    if b.data is None or b.dtype != "int32" or x.quant is None:
        raise TinyDeployError(f"{op.kind}: bias '{b.name}' must be a constant int32 tensor",
                              node=op.name)
    channels = w_new.shape[axis]
    old = np.broadcast_to(np.asarray(w_old.quant.scale, np.float64), (channels,))
    real = np.asarray(b.data, np.float64).reshape(channels) * x.quant.s * old
    new_scale = x.quant.s * w_new.quant.scale
    q = np.clip(round_half_away(real / new_scale), INT32_MIN, INT32_MAX).astype(np.int32)
    quant = QuantParams(new_scale.astype(np.float32).astype(np.float64),
                        np.zeros(channels, np.int64), 0 if channels > 1 else None)
    return Tensor(b.name, b.shape, "int32", quant, q.reshape(b.shape))
