"""Random layer cases for the optimized kernels (kernels/opt/) and the host driver.

A case is ``(args, x, w, b)``: a golden ``KernelArgs`` (conv2d, depthwise_conv2d or
fully_connected) and int8 input, int8 weights, int32 bias (or None). The expected output
is the numpy golden's ``run(args, x, w, b)``, independent of both C kernels.
"""

from __future__ import annotations

import dataclasses
import math
import subprocess
from pathlib import Path

import numpy as np

from tinydeploy.quant.golden.conv2d import Conv2dArgs
from tinydeploy.quant.golden.conv2d import run as conv_golden
from tinydeploy.quant.golden.depthwise_conv2d import DepthwiseConv2dArgs
from tinydeploy.quant.golden.depthwise_conv2d import run as dw_golden
from tinydeploy.quant.golden.fully_connected import FullyConnectedArgs
from tinydeploy.quant.golden.fully_connected import run as fc_golden
from tinydeploy.quant.requant import INT32_MAX, quantize_multiplier

REPO = Path(__file__).resolve().parents[2]
KERNELS = REPO / "src" / "tinydeploy" / "runtime" / "kernels"
OPT_FUNCS = ("td_conv2d_s8", "td_depthwise_conv2d_s8", "td_fully_connected_s8")
KIND = {Conv2dArgs: 0, DepthwiseConv2dArgs: 1, FullyConnectedArgs: 2}
GOLDEN = {Conv2dArgs: conv_golden, DepthwiseConv2dArgs: dw_golden, FullyConnectedArgs: fc_golden}


def golden(case) -> np.ndarray:
    args, x, w, b = case
    return GOLDEN[type(args)](args, x, w, b).ravel()


# ---- requantization parameters -------------------------------------------------------

def requant_params(rng: np.random.Generator, n: int, edge: bool, per_tensor: bool = False
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel (mult, shift) from random scales (``per_tensor``: all channels equal);
    ``edge`` mixes in the corner cases of the fast requantization (shift 0 / -1 / -21 /
    -22 / > 0, M = 2^30, M = 0)."""
    scales = np.exp(rng.uniform(math.log(1e-5), math.log(0.9), n))
    pairs = [quantize_multiplier(float(s)) for s in scales]
    if edge:
        corner = [(2**30, 0), (2**31 - 1, 0), (2**30, -1), (1518500250, -1), (2**30 + 7, -21),
                  (2**31 - 1, -22), (1431655765, 1), (2**30, 3), (0, 0), (1073741824, -31),
                  (1717986918, -2), (2**30, -5)]
        for i in range(n):
            if rng.random() < 0.5:
                pairs[i] = corner[int(rng.integers(len(corner)))]
    if per_tensor:
        pairs = pairs[:1] * n
    mult = np.array([p[0] for p in pairs], dtype=np.int32)
    shift = np.array([p[1] for p in pairs], dtype=np.int32)
    return mult, shift


def act_range(rng: np.random.Generator, out_zp: int) -> tuple[int, int]:
    kind = int(rng.integers(3))
    if kind == 0:
        return -128, 127
    if kind == 1:
        return out_zp, 127                      # relu
    lo = int(rng.integers(-128, 100))
    return lo, int(rng.integers(lo, 128))


def weights(rng: np.random.Generator, shape, small: bool) -> np.ndarray:
    if small:
        return rng.integers(-40, 41, shape).astype(np.int8)
    return rng.integers(-128, 128, shape).astype(np.int8)


def bias_for(rng: np.random.Generator, w_abs: np.ndarray, in_off: int, mode: str):
    """int32 bias keeping |bias| + sum|w| * max|x + off| <= INT32_MAX (the codegen check).
    mode: "none", "small", or "huge" (accumulators beyond 2^29: the slow requant path)."""
    if mode == "none":
        return None
    x_max = max(abs(-128 + in_off), abs(127 + in_off))
    room = INT32_MAX - w_abs.astype(np.int64) * x_max
    assert np.all(room > 0)
    if mode == "small":
        mag = np.minimum(room, 1 << 20)
    else:
        mag = room
    return (rng.uniform(-1, 1, len(w_abs)) * mag).astype(np.int64).astype(np.int32)


# ---- case generators -----------------------------------------------------------------

def conv_case(rng: np.random.Generator, n=1, h=5, w=5, cin=3, cout=5, k=(3, 3),
              stride=(1, 1), dilation=(1, 1), pads=(1, 1, 1, 1), groups=1, edge=False,
              bias="small", small_w=False, per_tensor=False):
    kh, kw = k
    out_h = (h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    assert out_h >= 1 and out_w >= 1
    in_off, out_zp = -int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    wt = weights(rng, (cout, kh, kw, cin // groups), small_w)
    b = bias_for(rng, np.abs(wt.astype(np.int64)).reshape(cout, -1).sum(1), in_off, bias)
    mult, shift = requant_params(rng, cout, edge, per_tensor)
    lo, hi = act_range(rng, out_zp)
    args = Conv2dArgs(n, h, w, cin, out_h, out_w, cout, kh, kw, groups, *stride, *dilation,
                      pads[0], pads[1], in_off, out_zp, lo, hi, mult, shift)
    x = rng.integers(-128, 128, (n, h, w, cin)).astype(np.int8)
    return args, x, wt, b


def random_conv_case(rng: np.random.Generator, edge=False):
    """Random conv: 1-D or 2-D, strides, dilation, asymmetric pads, groups, batch."""
    one_d = rng.random() < 0.25
    kh = 1 if one_d else int(rng.integers(1, 5))
    kw = int(rng.integers(1, 6))
    stride = (1 if one_d else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dil = (1 if one_d else int(rng.integers(1, 3)), int(rng.integers(1, 3)))
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    h = 1 if one_d else int(rng.integers(eh, eh + 7))
    w = int(rng.integers(ew, ew + 9))
    pads = (0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)),
            0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)))
    groups = int(rng.choice([1, 1, 1, 2, 3]))
    return conv_case(rng, n=int(rng.integers(1, 3)), h=h, w=w,
                     cin=groups * int(rng.integers(1, 7)), cout=groups * int(rng.integers(1, 15)),
                     k=(kh, kw), stride=stride, dilation=dil, pads=pads, groups=groups,
                     edge=edge, bias=str(rng.choice(["none", "small", "small", "huge"])),
                     small_w=bool(rng.random() < 0.5), per_tensor=bool(rng.random() < 0.3))


def dw_case(rng: np.random.Generator, n=1, h=5, w=5, cin=3, dm=1, k=(3, 3), stride=(1, 1),
            dilation=(1, 1), pads=(1, 1, 1, 1), edge=False, bias="small", small_w=False,
            per_tensor=False):
    kh, kw = k
    out_h = (h + pads[0] + pads[2] - dilation[0] * (kh - 1) - 1) // stride[0] + 1
    out_w = (w + pads[1] + pads[3] - dilation[1] * (kw - 1) - 1) // stride[1] + 1
    assert out_h >= 1 and out_w >= 1
    cout = cin * dm
    in_off, out_zp = -int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    wt = weights(rng, (kh, kw, cout), small_w)
    b = bias_for(rng, np.abs(wt.astype(np.int64)).reshape(-1, cout).sum(0), in_off, bias)
    mult, shift = requant_params(rng, cout, edge, per_tensor)
    lo, hi = act_range(rng, out_zp)
    args = DepthwiseConv2dArgs(n, h, w, cin, out_h, out_w, cout, kh, kw, dm, *stride,
                               *dilation, pads[0], pads[1], in_off, out_zp, lo, hi, mult, shift)
    x = rng.integers(-128, 128, (n, h, w, cin)).astype(np.int8)
    return args, x, wt, b


def random_dw_case(rng: np.random.Generator, edge=False):
    one_d = rng.random() < 0.2
    kh = 1 if one_d else int(rng.choice([1, 2, 3, 3, 3, 5]))
    kw = int(rng.choice([1, 2, 3, 3, 3, 4]))
    stride = (1 if one_d else int(rng.integers(1, 4)), int(rng.integers(1, 4)))
    dil = (1, 1) if rng.random() < 0.7 else (1 if one_d else int(rng.integers(1, 3)),
                                             int(rng.integers(1, 3)))
    eh, ew = (kh - 1) * dil[0] + 1, (kw - 1) * dil[1] + 1
    h = 1 if one_d else int(rng.integers(eh, eh + 8))
    w = int(rng.integers(ew, ew + 10))
    pads = (0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)),
            0 if one_d else int(rng.integers(0, kh)), int(rng.integers(0, kw)))
    return dw_case(rng, n=int(rng.integers(1, 3)), h=h, w=w, cin=int(rng.integers(1, 9)),
                   dm=int(rng.choice([1, 1, 1, 2, 3])), k=(kh, kw), stride=stride,
                   dilation=dil, pads=pads, edge=edge,
                   bias=str(rng.choice(["none", "small", "small", "huge"])),
                   small_w=bool(rng.random() < 0.5), per_tensor=bool(rng.random() < 0.3))


def fc_case(rng: np.random.Generator, n=1, cin=16, cout=8, per_channel=True, edge=False,
            bias="small", small_w=False):
    in_off, out_zp = -int(rng.integers(-128, 128)), int(rng.integers(-128, 128))
    w_off = 0 if per_channel else -int(rng.integers(-128, 128))
    wt = weights(rng, (cout, cin), small_w)
    w_abs = np.abs(wt.astype(np.int64) + w_off).sum(1)
    b = bias_for(rng, w_abs, in_off, bias)
    mult, shift = requant_params(rng, cout, edge, per_tensor=not per_channel)
    lo, hi = act_range(rng, out_zp)
    args = FullyConnectedArgs(n, cin, cout, in_off, w_off, out_zp, lo, hi, mult, shift)
    x = rng.integers(-128, 128, (n, cin)).astype(np.int8)
    return args, x, wt, b


def random_fc_case(rng: np.random.Generator, edge=False):
    return fc_case(rng, n=int(rng.integers(1, 4)), cin=int(rng.integers(1, 90)),
                   cout=int(rng.integers(1, 23)), per_channel=bool(rng.random() < 0.6),
                   edge=edge, bias=str(rng.choice(["none", "small", "small", "huge"])),
                   small_w=bool(rng.random() < 0.5))


# ---- host driver -----------------------------------------------------------------------

def out_size(args) -> int:
    if isinstance(args, FullyConnectedArgs):
        return args.batches * args.out_features
    return args.batches * args.out_h * args.out_w * args.out_c


def _i32(values) -> bytes:
    return np.asarray(values, dtype="<i4").ravel().tobytes()


def _bytes_block(a: np.ndarray) -> bytes:
    raw = np.ascontiguousarray(a, dtype=np.int8).tobytes()
    return _i32([len(raw)]) + raw + b"\0" * (-len(raw) % 4)


def encode(cases) -> bytes:
    """The driver's case file (format in tests/kernels/opt_driver.c)."""
    out = []
    for args, x, w, b in cases:
        scalars = [getattr(args, f.name) for f in dataclasses.fields(args)
                   if "array" not in f.metadata]
        out += [_i32([KIND[type(args)], len(scalars)] + scalars), _i32(args.out_mult),
                _i32(args.out_shift), _bytes_block(x), _bytes_block(w),
                _i32([b is not None]), _i32(b) if b is not None else b"",
                _i32([out_size(args)])]
    return b"".join(out)


def build_driver(out_dir: Path, defines: tuple[str, ...] = (), sanitize: bool = True) -> Path:
    """Host build of opt_driver.c + reference + optimized kernels (compiled in parallel)."""
    exe = out_dir / ("opt_driver" + "".join(d.split("=")[0][-4:] for d in defines))
    flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-O1", "-g"]
    if sanitize:
        flags += ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    jobs, objs = [], []
    for f in OPT_FUNCS:
        obj = out_dir / f"{f}_opt.o"
        jobs.append(subprocess.Popen(
            ["cc", *flags, *[f"-D{d}" for d in defines], f"-D{f}={f}_opt", f"-I{KERNELS}", "-c",
             str(KERNELS / "opt" / f"{f}.c"), "-o", str(obj)],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        objs.append(str(obj))
    srcs = [str(KERNELS / f"{f}.c") for f in OPT_FUNCS]
    main = subprocess.run(["cc", *flags, f"-I{KERNELS}", "-c",
                           str(Path(__file__).with_name("opt_driver.c")), *srcs],
                          cwd=out_dir, capture_output=True, text=True)
    for job in jobs:
        out, _ = job.communicate()
        assert job.returncode == 0, out
    assert main.returncode == 0, main.stderr
    subprocess.run(["cc", *flags, *[str(out_dir / (Path(s).stem + ".o")) for s in
                                     ["opt_driver.c", *srcs]], *objs, "-o", str(exe)],
                   check=True, capture_output=True, text=True)
    return exe


def run_driver(exe: Path, cases, work: Path) -> list[tuple[np.ndarray, np.ndarray]]:
    """[(reference output, optimized output)] per case."""
    fin, fout = work / "cases.bin", work / "out.bin"
    fin.write_bytes(encode(cases))
    r = subprocess.run([str(exe), str(fin), str(fout)], capture_output=True, text=True)
    assert r.returncode == 0, f"opt_driver failed ({r.returncode}):\n{r.stderr[-3000:]}"
    data = np.frombuffer(fout.read_bytes(), dtype=np.int8)
    res, pos = [], 0
    for args, *_ in cases:
        n = out_size(args)
        res.append((data[pos:pos + n], data[pos + n:pos + 2 * n]))
        pos += 2 * n
    assert pos == data.size
    return res
