"""Valid args and violations of the integer-graph kernels' precondition rules
(quant/preconditions/attention.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.elementwise_any import AddAnyS32Args, MulAnyS32Args
from tinydeploy.quant.golden.gather import GatherArgs
from tinydeploy.quant.golden.igelu import IGeluS32Args
from tinydeploy.quant.golden.ihardswish import IHardswishS32Args
from tinydeploy.quant.golden.ilayernorm import ILayerNormArgs
from tinydeploy.quant.golden.inonorm import INoNormArgs
from tinydeploy.quant.golden.insert import InsertArgs
from tinydeploy.quant.golden.integer_div import IntegerDivArgs
from tinydeploy.quant.golden.irmsnorm import IRMSNormArgs
from tinydeploy.quant.golden.isoftmax import ISoftmaxArgs
from tinydeploy.quant.golden.itamax import ITAMaxArgs
from tinydeploy.quant.golden.itapartialmax import ITAPartialMaxArgs
from tinydeploy.quant.golden.kv_append import KvAppendArgs
from tinydeploy.quant.golden.layernorm import LayerNormArgs
from tinydeploy.quant.golden.matmul import MatMulS32Args
from tinydeploy.quant.golden.movement_any import Concat2AnyArgs, PadAnyArgs
from tinydeploy.quant.golden.reduce import ReduceS8Args, ReduceS32Args
from tinydeploy.quant.golden.requant_any import RequantAnyArgs
from tinydeploy.quant.golden.slice import StridedCopyArgs
from tinydeploy.quant.golden.softmax_exp import SoftmaxExpArgs


def i32(*v) -> np.ndarray:
    return np.array(v, dtype=np.int32)


def i64(*v) -> np.ndarray:
    return np.array(v, dtype=np.int64)


MATMUL = MatMulS32Args(m=3, channels=4, k=5, a_offset=0, b_offset=128, alpha=1, beta=1,
                       a_m=5, a_k=1, b_k=1, b_n=5, c_m=0, c_n=1, a_size=30, b_size=20,
                       batch=i32(1, 1, 1, 2),
                       a_batch=i32(0, 0, 0, 15), b_batch=i32(0, 0, 0, 0),
                       c_batch=i32(0, 0, 0, 0))
IGELU = IGeluS32Args(size=12, channels=4, x_offset=0, b=-40, one=1743)
IHSW = IHardswishS32Args(size=12, channels=4, x_offset=128, one_over_six=33, three=765,
                         six=1530)
NORM = dict(rows=3, length=8, x_offset=0, log2d=14, clip_lo=-128, clip_hi=127, out_offset=0)
RED = dict(count=4, mode=1, x_offset=0, out_offset=0, keep_dims=i32(1, 1, 1, 1, 2, 3),
           keep_strides=i32(0, 0, 0, 0, 12, 1), red_dims=i32(1, 1, 1, 1, 1, 4),
           red_strides=i32(0, 0, 0, 0, 0, 3))
BIN = dict(ndim=2, a_bytes=1, b_bytes=2, a_offset=0, b_offset=0, a_mult=1, b_mult=-1,
           shape=i32(1, 1, 1, 1, 3, 4), a_strides=i32(0, 0, 0, 0, 4, 1),
           b_strides=i32(0, 0, 0, 0, 0, 1))
RQ_ANY = RequantAnyArgs(size=12, channels=4, fp32=0, rounding=0, clip_lo=-128, clip_hi=127,
                        out_offset=0, mul2=1, mul=i64(3, 3, 3, 3), add=i64(1, 1, 1, 1),
                        div=i64(4, 4, 4, 4), in_bytes=2, out_bytes=1, in_offset=0)

ATTENTION_ACCS = {MatMulS32Args: MATMUL, IGeluS32Args: IGELU, IHardswishS32Args: IHSW,
                  AddAnyS32Args: AddAnyS32Args(**BIN), MulAnyS32Args: MulAnyS32Args(**BIN)}
# accumulators whose requant channel is the element index modulo rq_channels
WALKED = ("td_add_any_s32", "td_mul_any_s32")

ATTENTION_CASES = {
    "td_matmul_s8_s32": (MATMUL, [
        ({"k": 0}, "k = 0 must be > 0"),
        ({"a_m": -1}, "a_m = -1 must be >= 0"),
        ({"batch": i32(1, 1, 1, 0)}, "batch = [1, 1, 1, 0]"),
        ({"a_offset": 200}, "a_offset = 200 outside"),
        ({"b_size": 19}, "the strides reach 20 elements of B"),
        ({"k": 70000, "a_size": 10**6, "b_size": 10**6},
         "the int32 accumulator would overflow")]),
    "td_isoftmax_s8": (ISoftmaxArgs(rows=2, length=8, coeff_a=1, coeff_b=345,
                                    coeff_c=62395, log2=255, n_levels=256, out_offset=-128), [
        ({"log2": 0}, "log2 = 0 outside"),
        ({"coeff_a": 50000}, "reach 2^31"),
        ({"coeff_a": 0, "coeff_c": 0, "coeff_b": 0}, "the row sum could be 0"),
        ({"out_offset": 0}, "outputs must fit int8"),
        ({"length": 0}, "length = 0 must be > 0")]),
    "td_itamax_s8": (ITAMaxArgs(rows=2, length=8, out_offset=-128), [
        ({"out_offset": 0}, "needs zero point -128"), ({"rows": 0}, "rows = 0")]),
    "td_itapartialmax_s8": (ITAPartialMaxArgs(rows=2, length=8, group_width=4, out_offset=0),
                            [({"group_width": 3}, "must divide length"),
                             ({"out_offset": 1}, "outputs [0, 127] must fit int8")]),
    "td_igelu_s8_s32": (IGELU, [({"b": 1}, "b = 1 outside"),
                                ({"channels": 5}, "does not divide size"),
                                ({"one": 2**29}, "the int32 arithmetic would overflow")]),
    "td_ihardswish_s8_s32": (IHSW, [({"six": -1}, "six = -1 outside"),
                                    ({"one_over_six": 2**20}, "would overflow")]),
    "td_ilayernorm_s8": (ILayerNormArgs(**NORM), [
        ({"log2d": 63}, "log2d = 63 outside"), ({"length": 2**15}, "could overflow"),
        ({"clip_hi": 200}, "does not fit int8")]),
    "td_irmsnorm_s8": (IRMSNormArgs(**NORM), [
        ({"rows": 0}, "rows = 0"), ({"out_offset": 5}, "does not fit int8")]),
    "td_inonorm_s8": (INoNormArgs(size=12, w_period=12, b_period=4, x_offset=0, mul=425,
                                  log2d=16, clip_lo=-128, clip_hi=127, out_offset=0), [
        ({"w_period": 5}, "does not divide size"), ({"log2d": -1}, "log2d = -1 outside")]),
    "td_integer_div_s32": (IntegerDivArgs(a_bytes=1, b_bytes=1, a_offset=0, b_offset=0,
                                          b_min=0, delta=2, eps=2, eta=3,
                                          shape=i32(1, 1, 1, 1, 2, 3),
                                          b_strides=i32(0, 0, 0, 0, 1, 0)), [
        ({"a_bytes": 3}, "a_bytes = 3"), ({"b_min": -100}, "can be <= 0"),
        ({"delta": 2**40}, "reaches 2^62"), ({"a_bytes": 4}, "the quotient can exceed")]),
    "td_reduce_s8_s32": (ReduceS32Args(**RED), [
        ({"count": 5}, "count = 5 must be"), ({"mode": 2}, "mode = 2 outside")]),
    "td_reduce_s8_s8": (ReduceS8Args(**RED), [
        ({"mode": 0}, "an int8 output holds means"), ({"red_dims": i32(1, 1, 1, 1, 1, 0)},
                                                      "red_dims")]),
    "td_strided_copy_any": (StridedCopyArgs(elem_bytes=2, in_offset=5, in_size=24,
                                            out_shape=i32(1, 1, 1, 1, 2, 3),
                                            in_strides=i32(0, 0, 0, 0, 12, -2)), [
        ({"in_offset": 3}, "outside the input"), ({"elem_bytes": 8}, "elem_bytes = 8")]),
    "td_gather_any": (GatherArgs(elem_bytes=4, outer=2, axis_len=5, inner=3, num_indices=2,
                                 indices=i32(4, 0)), [
        ({"indices": i32(5, 0)}, "outside [0, 5)"), ({"inner": 0}, "inner = 0")]),
    "td_concat2_any": (Concat2AnyArgs(elem_bytes=2, outer=3, a_row=4, b_row=1), [
        ({"b_row": 0}, "b_row = 0"), ({"elem_bytes": 0}, "elem_bytes = 0")]),
    "td_pad_any": (PadAnyArgs(elem_bytes=2, fill=-3, in_shape=i32(1, 1, 1, 1, 2, 3),
                              out_shape=i32(1, 1, 1, 1, 4, 3),
                              pad_before=i32(0, 0, 0, 0, 1, 0)), [
        ({"pad_before": i32(0, 0, 0, 0, 3, 0)}, "> out_shape"),
        ({"fill": 2**15}, "the fill must fit int16")]),
    "td_add_any_s32": (AddAnyS32Args(**BIN), [
        ({"ndim": 7}, "ndim = 7 outside"), ({"a_bytes": 4, "a_mult": 2},
                                            "the int32 result would overflow")]),
    "td_mul_any_s32": (MulAnyS32Args(**BIN), [
        ({"a_bytes": 4}, "the int32 result would overflow"),
        ({"b_strides": i32(0, 0, 0, 0, 0, -1)}, "b_strides")]),
    "td_insert_any": (InsertArgs(elem_bytes=1, out_size=24, offset=5,
                                 src_shape=i32(1, 1, 1, 1, 2, 3),
                                 out_strides=i32(0, 0, 0, 0, 12, 1)), [
        ({"offset": 10}, "reaches element 24"), ({"out_strides": i32(0, 0, 0, 0, -12, 1)},
                                                 "entries must be >= 0")]),
    "td_kv_append_any": (KvAppendArgs(elem_bytes=1, outer=16, rows=1, row=4, capacity=8, at=3),
                         [({"at": 8}, "beyond the cache"), ({"row": 0}, "row = 0")]),
    "td_layernorm_s8": (LayerNormArgs(rows=2, length=16, x_offset=3, var_shift=30,
                                      norm_shift=30, out_shift=44, eps=12345,
                                      gain=np.full(16, 2**20, np.int64),
                                      bias=np.full(16, 2**40, np.int64)), [
        ({"var_shift": 63}, "var_shift = 63 outside"),
        ({"norm_shift": 60}, "the scaled centered value reaches 2^62"),
        ({"gain": np.full(16, 2**46, np.int64)}, "n * gain + bias can reach 2^63"),
        ({"gain": np.full(15, 1, np.int64)}, "gain has 15 entries")]),
    "td_softmax_exp_s8": (SoftmaxExpArgs(rows=2, length=8, out_shift=24, out_offset=-128,
                                         out_mul=255 << 24,
                                         table=np.full(256, 2**30, np.int32)), [
        ({"out_shift": 0}, "out_shift = 0 outside"), ({"length": 5000}, "at most 4096"),
        ({"out_mul": 2**33}, "reaches 2^62")]),
    "td_requant_any": (RQ_ANY, [
        ({"in_bytes": 4}, "in_bytes = 4"), ({"out_bytes": 3}, "out_bytes = 3"),
        ({"clip_hi": 128}, "does not fit int8"), ({"channels": 5}, "has 4 entries")]),
}
