"""td_fully_connected_s8_rq_opt and td_matmul_s8_rq_opt: the optimized products of
integer graphs with Deeploy's RequantShift fused in (kernels/opt/td_opt_mm.h).

With ``s = sum_k w*x`` over the raw int8 operands, the reference computes
``floor_or_trunc(((s + C) * mul + add) / 2^shift)`` per output column, C the bias and the
input offset times the column's weight sum; ``kc = C * mul + add`` makes it
``(s * mul + kc) >> shift``: two words of kc per column, and (mul, shift) once for the
layer when every column shares them (Deeploy's per-tensor requantization) or per column.
The layer computes in int32 (mode 0) when ``|s| * |mul| + |kc| < 2^31`` for every s the
weights allow in every column, else in int64 (mode 1). A fully connected layer with any
other per-channel requantization (float32 rounding flags, mul2 != 1, a divisor that is
no power of two) takes mode 2: kc's low word is C, and the column's descriptor of
``_pulp_rq.py`` (TD_OPT_CH words, td_opt_rq.h td_opt_rq_any) requantizes the reference's
accumulator ``s + C`` (in int32: every ``|s| + |C|`` the weights allow is < 2^31). The
products keep the reference kernel (None) outside modes 0 and 1, as do int16 outputs, an
offset of B and a per-row bias; A's offset times each column's
sum is added per call (the kernel sums the column while packing it).

The weights of a fully connected layer are packed here into panels of 8 outputs
([ceil(out / 8)][in][8], zero columns past the last output); a product of two
activations packs B's panels per call in its scratch (8 * k bytes per core).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field, scalar_field
from tinydeploy.quant.golden import requant as _rq
from tinydeploy.quant.golden._accumulate import FullyConnectedS32Args
from tinydeploy.quant.golden.fused_requant import FUSED
from tinydeploy.quant.golden.matmul import MatMulS32Args
from tinydeploy.quant.opt import MAKERS, OptArgs, register
from tinydeploy.quant.opt._pulp_rq import descriptors
from tinydeploy.quant.opt._tflite_rq import CH, wrap32

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
    rq_fp32: int
    rq_rounding: int
    rq_mul2: int = scalar_field("int64_t")
    kc: np.ndarray = array_field("int32_t")
    rq: np.ndarray = array_field("int32_t")
    wts: np.ndarray = array_field("int8_t")
    chan: np.ndarray = array_field("int32_t")
    gmul: np.ndarray = array_field("int64_t")
    gadd: np.ndarray = array_field("int64_t")
    gdiv: np.ndarray = array_field("int64_t")

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """TD_FC_PATHS (td_fully_connected_s8_rq_opt.c): 20 when batch rows go two at a
        time, 21 when one is left alone, 22 + mode, and mode 2's descriptor forms."""
        paths = {22 + self.mode}
        paths |= {20} if self.batches >= 2 else set()
        paths |= {21} if self.batches % 2 else set()
        if self.mode == 2:
            paths |= {30 + int(f) for f in np.asarray(self.chan).reshape(-1, CH)[:, 2]}
        return {"TD_FC_PATHS": tuple(sorted(paths))}


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


def any_words(rq, input_offset: int, bias: np.ndarray, const: np.ndarray,
              w: np.ndarray) -> dict | None:
    """Mode 2 (module doc): the fields of a fully connected layer whose requantization
    ``rq`` (int8 outputs) takes the per-channel descriptors, or None (the accumulator
    ``s + C`` could leave int32)."""
    if type(rq) is not _rq.RequantArgs:
        return None
    x_max = max(abs(-128 + input_offset), abs(127 + input_offset))
    wsum = np.abs(w).sum(axis=1)
    if int((wsum * X_MAX + np.abs(const)).max()) >= 2**31:
        return None
    desc, layer = descriptors(rq, np.abs(bias) + wsum * x_max)
    chan = [v for c in range(len(const))
            for v in (wrap32(int(const[c])), 0, *desc[c], 0)]
    return {"lo": layer["rq_lo"], "hi": layer["rq_hi"], "out_offset": int(rq.out_offset),
            "trunc": int(rq.rounding == 1), "mode": 2, "rq_step": 0,
            "rq_fp32": layer["rq_fp32"], "rq_rounding": layer["rq_rounding"],
            "rq_mul2": layer["rq_mul2"], "kc": np.array([[wrap32(int(v)), 0] for v in const],
                                                        np.int64).reshape(-1),
            "rq": np.zeros(2, np.int64), "chan": np.array(chan, np.int64),
            "gmul": layer["gmul"], "gadd": layer["gadd"], "gdiv": layer["gdiv"]}


def make_fc(a, consts, cores: int = 1, lean: bool = False):
    acc, rq = a.acc, a.rq
    if type(acc) is not FullyConnectedS32Args or consts[1] is None:
        return None
    n, k = acc.out_features, acc.in_features
    w = np.asarray(consts[1], dtype=np.int64).reshape(n, k)
    b = consts[2] if len(consts) > 2 and consts[2] is not None else np.zeros(n)
    const = np.asarray(b, dtype=np.int64) + acc.input_offset * w.sum(axis=1)
    s_max = np.abs(w).sum(axis=1) * X_MAX
    fields = words(rq, const, s_max)
    if fields is not None:
        fields.update(rq_fp32=0, rq_rounding=0, rq_mul2=0, chan=np.zeros(CH, np.int64),
                      gmul=np.zeros(1, np.int64), gadd=np.zeros(1, np.int64),
                      gdiv=np.ones(1, np.int64))
    else:
        fields = any_words(rq, acc.input_offset, np.asarray(b, np.int64), const, w)
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
