"""TFLite Micro reference numbers for the benchmarks: minimal arena and inference time.

The ``tflite-micro`` Python interpreter has no call that reports the bytes it needs, so
:func:`tflm_min_arena` binary-searches ``arena_size``. Each try runs in a forked child
process because some kernels crash (rather than raise) when the arena is too small; the
parent only reads the child's exit status. The child's C stderr is silenced (TFLM logs
every failed allocation there).

The arena covers TFLM's activation plan ("head") plus its runtime bookkeeping ("tail"),
so it is an upper bound on what a static planner like ``tinydeploy.memory`` must beat for
activations alone.

Run as a script to print both numbers for the four MLPerf Tiny models::

    .venv/bin/python benchmarks/tflm_reference.py [models_dir]
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np

MODELS = ["kws_dscnn_int8", "vww_mobilenet_int8", "ic_resnet8_int8", "ad_autoencoder_int8"]
# Minimal arenas stated in ../shared/models/README.md (x86-64 host, same tflite-micro).
README_ARENAS = {"kws_dscnn_int8": 24_272, "vww_mobilenet_int8": 103_672,
                 "ic_resnet8_int8": 55_984, "ad_autoencoder_int8": 4_632}


def _interpreter(model_bytes: bytes, arena_size: int):
    from tflite_micro import runtime
    return runtime.Interpreter.from_bytes(model_bytes, arena_size=arena_size)


def _num_inputs(model_bytes: bytes) -> int:
    from tflite_micro import runtime
    model = runtime.convert_bytearray_to_object(bytearray(model_bytes))
    return len(model.subgraphs[0].inputs)


def _zero_inputs(it, n_inputs: int) -> list[np.ndarray]:
    xs = []
    for i in range(n_inputs):
        d = it.get_input_details(i)
        xs.append(np.zeros(d["shape"], dtype=d["dtype"]))
    return xs


def _runs_in_child(model_bytes: bytes, arena_size: int, n_inputs: int) -> bool:
    """True when building the interpreter and one invoke succeed with ``arena_size``.

    Runs in a forked child so a segfault or abort counts as "does not run" instead of
    taking the caller down.
    """
    sys.stdout.flush()
    sys.stderr.flush()
    pid = os.fork()
    if pid == 0:                      # child: never returns
        code = 1
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 1)
            os.dup2(devnull, 2)
            it = _interpreter(model_bytes, arena_size)
            for i, x in enumerate(_zero_inputs(it, n_inputs)):
                it.set_input(x, i)
            it.invoke()
            code = 0
        except BaseException:          # any failure, including MemoryError, means "no"
            code = 1
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    return os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0


def tflm_min_arena(model_bytes: bytes, start: int = 1 << 14) -> int:
    """Smallest ``arena_size`` (bytes) with which TFLM builds and invokes the model.

    Doubles from ``start`` until a size runs, then bisects with the invariant
    ``fails(lo) and runs(hi)``; the result ``hi`` runs and ``hi - 1`` fails.
    """
    n_inputs = _num_inputs(model_bytes)
    lo, hi = 0, start
    while not _runs_in_child(model_bytes, hi, n_inputs):
        lo, hi = hi, hi * 2
        if hi > 1 << 30:
            raise RuntimeError("model does not run in TFLM even with a 1 GiB arena")
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if _runs_in_child(model_bytes, mid, n_inputs):
            hi = mid
        else:
            lo = mid
    return hi


def tflm_inference_time(model_bytes: bytes, n: int = 20, arena_size: int = 1 << 21,
                        seed: int = 0) -> float:
    """Median wall-clock seconds of one ``invoke()`` on random inputs (after one warm-up).

    Host x86-64 timing of the TFLM reference kernels: a relative baseline only, not a
    microcontroller number.
    """
    it = _interpreter(model_bytes, arena_size)
    rng = np.random.default_rng(seed)
    for i, x in enumerate(_zero_inputs(it, _num_inputs(model_bytes))):
        if np.issubdtype(x.dtype, np.integer):
            info = np.iinfo(x.dtype)
            x = rng.integers(info.min, info.max, size=x.shape, endpoint=True).astype(x.dtype)
        else:
            x = rng.standard_normal(x.shape).astype(x.dtype)
        it.set_input(x, i)
    it.invoke()
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        it.invoke()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main(argv: list[str]) -> int:
    default = Path(__file__).resolve().parents[2] / "shared" / "models"
    models_dir = Path(argv[1]) if len(argv) > 1 else default
    print(f"{'model':<22} {'min arena':>10} {'README':>10} {'ms/inference':>13}")
    ok = True
    for name in MODELS:
        data = (models_dir / f"{name}.tflite").read_bytes()
        arena = tflm_min_arena(data)
        ms = tflm_inference_time(data) * 1e3
        expected = README_ARENAS[name]
        ok &= arena == expected
        flag = "" if arena == expected else "  <-- differs from README"
        print(f"{name:<22} {arena:>10,} {expected:>10,} {ms:>13.3f}{flag}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
