"""td_fully_connected_s8_opt: the optimized fully connected layer's args
(kernels/opt/td_fully_connected_s8_opt.h): the model's int8 weights interleaved per block
of rows (the kernel reads each block through one pointer), and per
output the start value (bias and the offsets' constant terms folded in), the
requantization mode and its constants (``_tflite_rq.py``). No scratch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from tinydeploy.quant.args import array_field
from tinydeploy.quant.golden.fully_connected import FullyConnectedArgs
from tinydeploy.quant.opt import OptArgs, register
from tinydeploy.quant.opt._tflite_rq import CH, requant_words, wrap32, x_max


@dataclass(frozen=True, eq=False)
class FullyConnectedOptArgs(OptArgs):
    C_FUNC: ClassVar[str] = "td_fully_connected_s8_opt"
    batches: int
    in_features: int
    out_features: int
    weight_offset: int
    output_offset: int
    act_min: int
    act_max: int
    chan: np.ndarray = array_field("int32_t")
    wts: np.ndarray = array_field("int8_t")

    def parallel_units(self) -> int:
        return -(-self.out_features // 8)

    def c_config(self) -> dict[str, tuple[int, ...]]:
        """TD_FC_PATHS: the row blocks the kernel takes - blocks of 8 from row 0, the rows
        left (out_features % 8) in blocks of 4, 2, 1: whatever the cores, as each core's
        share starts at a block of 8 - and 9 when an output needs the reference
        requantization."""
        n = self.out_features
        paths = {8} if n >= 8 else set()
        paths |= {r for r in (4, 2, 1) if n % 8 & r}
        if 1 in set(np.asarray(self.chan).reshape(-1, CH)[:, 1].tolist()):
            paths.add(9)
        return {"TD_FC_PATHS": tuple(sorted(paths))}


def make(a: FullyConnectedArgs, consts, cores: int = 1,
         lean: bool = False) -> FullyConnectedOptArgs | None:
    w = consts[1]
    if w is None:
        return None
    b = consts[2] if len(consts) > 2 and consts[2] is not None else None
    w = np.asarray(w, dtype=np.int64).reshape(a.out_features, a.in_features)
    xo, wo, k = a.input_offset, a.weight_offset, a.in_features
    bias = (np.zeros(a.out_features, dtype=np.int64) if b is None
            else np.asarray(b, dtype=np.int64))
    bound = np.abs(bias) + np.abs(w + wo).sum(axis=1) * x_max(xo)
    fast, rq = requant_words(a.out_mult, a.out_shift, a.output_offset, a.act_min, a.act_max,
                             bound)
    chan = []
    for o in range(a.out_features):
        chan += [wrap32(int(bias[o]) + xo * int(w[o].sum()) + k * wo * xo), int(not fast[o]),
                 *[int(v) for v in rq[o]]]
    return FullyConnectedOptArgs(a.batches, a.in_features, a.out_features, wo,
                                 a.output_offset, a.act_min, a.act_max,
                                 np.array(chan, dtype=np.int64), interleave(w))


def interleave(w: np.ndarray) -> np.ndarray:
    """The weights [out][in] as the kernel reads them: rows in blocks of 8 from row 0, the
    rest in blocks of 4, 2, 1; each block [in][R] at its first row's offset."""
    out, o = [], 0
    while o < w.shape[0]:
        left = w.shape[0] - o
        r = 8 if left >= 8 else 4 if left >= 4 else 2 if left >= 2 else 1
        out.append(w[o:o + r].T.ravel())
        o += r
    return np.concatenate(out)


register(FullyConnectedArgs, make)
