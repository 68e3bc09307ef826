"""td_fully_connected_s8_rq_opt and td_matmul_s8_rq_opt: the optimized products of
integer graphs with Deeploy's RequantShift fused in (kernels/opt/td_opt_mm.h).

With ``s = sum_k w*x`` over the raw int8 operands, the reference computes
``floor_or_trunc(((s + C) * mul + add) / 2^shift)`` per output column, C the bias and the
input offset times the column's weight sum; ``kc = C * mul + add`` makes it
``(s * mul + kc) >> shift``: two words of kc per column, and (mul, shift) once for the
layer when every column shares them (Deeploy's per-tensor requantization) or per column.
The layer computes in int32 (mode 0) when ``|s| * |mul| + |kc| < 2^31`` for every s the
weights allow in every column, else in int64 (mode 1). Layers outside that form (float32
rounding flags, mul2 != 1, a divisor that is no power of two, int16 outputs, an offset
of B, a per-row bias) keep the reference kernel (None); A's offset times each column's
sum is added per call (the kernel sums the column while packing it).

The weights of a fully connected layer are packed here into panels of 8 outputs
([ceil(out / 8)][in][8], zero columns past the last output); a product of two
activations packs B's panels per call in its scratch (8 * k bytes per core).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import FullyConnectedS32Args
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.golden.matmul import MatMulS32Args
from tinydeploy.quant.opt import MAKERS, OptArgs, register

X_MAX = 128               # |int8|


@dataclass(frozen=True, eq=False)
class FullyConnectedRqOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_fully_connected_s8_rq_opt"
    batches: int
    in_features: int
    out_features: int
    lo: int
    hi: int
    out_offset: int
    trunc: int
    mode: int
    rq_step: int
    kc: np.ndarray = array_field("int32_t")
    rq: np.ndarray = array_field("int32_t")
    wts: np.ndarray = array_field("int8_t")


@dataclass(frozen=True, eq=False)
class MatMulRqOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_matmul_s8_rq_opt"
    C_INPUTS: ClassVar[tuple[int, ...]] = (0, 1)
    m: int
    n: int
    k: int
    a_offset: int
    a_m: int
    b_k: int
    b_n: int
    a_size: int
    b_size: int
    lo: int
    hi: int
    out_offset: int
    trunc: int
    mode: int
    rq_step: int
    batch: np.ndarray = array_field()
    a_batch: np.ndarray = array_field()
    b_batch: np.ndarray = array_field()
    kc: np.ndarray = array_field("int32_t")
    rq: np.ndarray = array_field("int32_t")

    def scratch_size(self) -> int:
        return 8 * self.k


def words(rq: _rq.RequantArgs, const: np.ndarray, s_max: np.ndarray,
          scale: int = 1) -> dict | None:
    """The requantization fields of the args (module doc), or None when the requant has
    no such form. ``const``: C per column, ``s_max``: the largest |s|, ``scale``: alpha."""
    if type(rq) is not _rq.RequantArgs or rq.fp32 or int(rq.mul2) != 1:
        return None
    pairs, kc, reach = [], [], 0
    for c in range(int(rq.channels)):
        mul, add, div = int(rq.mul[c]) * scale, int(rq.add[c]), int(rq.div[c])
        if div <= 0 or div & (div - 1) or abs(mul) >= 2**31 or div.bit_length() > 63:
            return None
        pairs.append((mul, div.bit_length() - 1))
        k = int(const[c]) * mul + add
        kc += [(k & 0xFFFFFFFF) - ((k & 0x80000000) << 1), k >> 32]
        reach = max(reach, int(s_max[c]) * abs(mul) + abs(k))
    mode = 0 if reach < 2**31 and max(sh for _, sh in pairs) <= 31 else 1
    if mode and reach >= 2**61:
        return None
    same = all(p == pairs[0] for p in pairs)
    rq_words = [v for p in (pairs[:1] if same else pairs) for v in p]
    out = {"lo": int(rq.clip_lo), "hi": int(rq.clip_hi), "out_offset": int(rq.out_offset),
           "trunc": int(rq.rounding == 1), "mode": mode, "rq_step": 0 if same else 2}
    return {**out, "kc": np.array(kc, dtype=np.int64), "rq": np.array(rq_words, np.int64)}


def make_fc(a, consts, cores: int = 1, lean: bool = False):
    acc, rq = a.acc, a.rq
    if type(acc) is not FullyConnectedS32Args or consts[1] is None:
        return None
    n, k = acc.out_features, acc.in_features
    w = np.asarray(consts[1], dtype=np.int64).reshape(n, k)
    b = consts[2] if len(consts) > 2 and consts[2] is not None else np.zeros(n)
    const = np.asarray(b, dtype=np.int64) + acc.input_offset * w.sum(axis=1)
    fields = words(rq, const, np.abs(w).sum(axis=1) * X_MAX)
    if fields is None:
        return None
    panels = -(-n // 8)
    wp = np.zeros((panels * 8, k), dtype=np.int64)
    wp[:n] = w
    wts = wp.reshape(panels, 8, k).transpose(0, 2, 1).reshape(-1)
    return FullyConnectedRqOptArgs(acc.batches, k, n, **fields, wts=wts)


def make_matmul(a, consts, cores: int = 1, lean: bool = False):
    acc, rq = a.acc, a.rq
    if type(acc) is not MatMulS32Args or acc.b_offset or acc.a_k != 1:
        return None
    n, k = acc.channels, acc.k
    bias = consts[2] if len(consts) > 2 else None
    const = np.zeros(n, dtype=np.int64)
    if bias is not None:
        if acc.c_m or np.any(np.asarray(acc.c_batch)):
            return None                      # a bias per row or batch: reference
        flat = np.asarray(bias, dtype=np.int64).reshape(-1)
        const = acc.beta * flat[np.arange(n) * acc.c_n]
    a_max = max(abs(-128 + acc.a_offset), abs(127 + acc.a_offset))
    fields = words(rq, const, np.full(n, k * a_max * X_MAX), acc.alpha)
    if fields is None:
        return None
    return MatMulRqOptArgs(acc.m, n, k, acc.a_offset, acc.a_m, acc.b_k, acc.b_n, acc.a_size,
                           acc.b_size, **fields, batch=np.asarray(acc.batch),
                           a_batch=np.asarray(acc.a_batch), b_batch=np.asarray(acc.b_batch))


# registered unless a maker for these args exists already (another optimized kernel)
for (_acc, _rqt), _cls in FUSED.items():
    _make = {FullyConnectedS32Args: make_fc, MatMulS32Args: make_matmul}.get(_acc)
    if _make is not None and _rqt is _rq.RequantArgs and _cls not in MAKERS:
        register(_cls, _make)
