"""Valid args and violations of the precondition rule of the recurrent kernels
(quant/preconditions/recurrent.py), for tests/codegen/test_preconditions.py."""

from __future__ import annotations

import numpy as np

from tinydeploy.quant.golden.int16.luts import SIGMOID_Q16
from tinydeploy.quant.golden.float32.lstm import LstmF32Args
from tinydeploy.quant.golden.lstm import LstmS16Args, LstmS8Args
from tinydeploy.quant.golden.svdf import SvdfArgs, SvdfS8StateArgs

M = 1 << 30


def i32(*v) -> np.ndarray:
    return np.array(v, dtype=np.int32)


LSTM = LstmS8Args(n_batch=2, n_time=3, n_input=5, n_state=4, time_major=0, x_offset=3,
                  h_offset=-5, h_zp=5, cell_sigmoid=0, f_mult=M, f_shift=-14, i_mult=M,
                  i_shift=-18, o_mult=M, o_shift=-22, tanh_mult=6, tanh_shift=0, clip=0,
                  cell_clip=0, x_mult=i32(M, M, M, M), x_shift=i32(-2, -2, -3, -2),
                  h_mult=i32(M, M, M, M), h_shift=i32(-3, -3, -3, -3), table=SIGMOID_Q16)

SVDF = SvdfArgs(n_batch=1, n_input=6, n_filter=4, n_memory=3, rank=2, x_offset=5,
                state_zp=0, out_offset=-3, mult_1=M, mult_2=M, shift_1=-3, shift_2=-12)

CASES_RECURRENT = {
    "td_svdf_s8_s8": (SvdfS8StateArgs(**{**vars(SVDF), "state_zp": -7}), [
        ({"state_zp": 200}, "state_zp = 200 outside"),
        ({"rank": 3}, "n_filter = 4 is not a multiple of rank = 3")]),
    "td_svdf_s8": (SVDF, [
        ({"rank": 3}, "n_filter = 4 is not a multiple of rank = 3"),
        ({"n_memory": 0}, "n_memory = 0 must be > 0"),
        ({"state_zp": 40000}, "state_zp = 40000 outside"),
        ({"n_input": 1 << 17}, "feature sum: the int32 accumulator may overflow"),
        ({"shift_2": 1}, "the requantized unit sum plus the output offset can reach"),
        ({"mult_1": 5}, "mult_1 = 5 is not a Q31")]),
    "td_lstm_s8": (LSTM, [
        ({"n_state": 0}, "n_state = 0 must be > 0"),
        ({"time_major": 2}, "time_major = 2 outside [0, 1]"),
        ({"x_shift": i32(-2, -2, 40, -2)}, "x_shift[2] = 40 outside"),
        ({"h_mult": i32(M, M, M)}, "h_mult has 3 entries, the kernel reads 4"),
        ({"x_offset": 200}, "x_offset = 200 outside"),
        ({"o_shift": 5}, "requant(tanh(c) * o) + the zero point can reach"),
        ({"tanh_mult": 70000}, "tanh_mult = 70000 outside"),
        ({"n_input": 1 << 17}, "the int32 accumulator may overflow"),
        ({"table": SIGMOID_Q16[:255]}, "table has 255 entries, the kernel reads 256")]),
    "td_lstm_f32": (LstmF32Args(n_batch=2, n_time=3, n_input=5, n_state=4, time_major=1,
                                cell_sigmoid=0, cell_clip=0.5), [
        ({"n_time": 0}, "n_time = 0 must be > 0"),
        ({"cell_sigmoid": 2}, "cell_sigmoid = 2 outside [0, 1]"),
        ({"cell_clip": -1.0}, "cell_clip = -1.0 is not a finite value >= 0"),
        ({"cell_clip": float("inf")}, "cell_clip = inf is not a finite float32"),
        ({"n_state": 1 << 16}, "recurrent weights = 4294967296 exceeds INT32_MAX")]),
    "td_lstm_s16": (LstmS16Args(**{**LSTM.__dict__, "x_offset": 0, "h_offset": 0, "h_zp": 0}), [
        ({"x_offset": 3}, "x_offset = 3 outside [0, 0]"),
        ({"x_shift": i32(-2, -2, 8, -2)}, "x_shift[2] = 8 outside the kernel's range [-31, 7]"),
        ({"n_input": 1 << 25}, "the int64 accumulator may reach")]),
}
