"""What every C kernel requires of its arguments, checked at compile time.

The code generator passes every args struct it emits through :func:`check_call` before
it writes a file (:func:`tinydeploy.codegen.emit.build_project`). A violation is a
:class:`KernelPreconditionError` naming the layer, e.g.

    layer '3_FULLY_CONNECTED' (fully_connected): out_shift[0] = 128 outside the kernel's
    range [-31, 31]: the scales make the requantization impossible

so no kernel ever runs with arguments under which its C would be undefined (a shift of
32 bits or more, a signed overflow) or would touch memory outside the buffers the code
generator planned for it. The same conditions are written in each kernel's header
comment (``runtime/kernels/*.h``, "Preconditions"); :data:`RULES` is the table, keyed by
C function, one rule per kernel family. Each rule checks the scalar and array fields and
declares the operands the kernel reads and writes, with their byte sizes as implied by
the args; :func:`check_call` compares those with the buffers the code generator passes
(the arena buffer of each activation, the const array of each constant). With every
implied size equal to the passed buffer's size, every read and write of the kernel stays
inside the planned buffers (the bounds-checking build, ``-DTD_BOUNDS_CHECK``, tests that
claim: codegen/templates/network.c.j2).

The rules live in this package's modules, one per kernel family, each registering its
kernels with :func:`register` where the rule is defined (``cnn.py``: the int8 conv,
depthwise, fully connected, pool, add and mul kernels; ``elementwise.py``: requantize,
(de)quantize, softmax, logistic/tanh, mean, pad, transpose, concat; ``pulp.py``: the
int32 accumulators, ``td_requant_s32_*`` and the fused ``*_rq`` kernels; ``subbyte.py``:
the packed ``*_sb`` kernels; ``attention.py``: the integer-graph kernels of transformers -
matmul, integer softmaxes, norms, activations - and the ``td_*_any`` data movers;
``int16.py``: the 16x8 kernels of TFLite's int16 mode; ``tflite_ops.py``: the kernels of
TFLite Micro's further builtins - table lookups, PRELU, DIV, TRANSPOSE_CONV, ...). The
modules are imported automatically: there is no list to keep in sync. Helpers shared by
several families (geometry, accumulator bounds) are in ``_common.py``.

Shared facts about the C helpers (td_common.h, td_fixedpoint.h, td_requant_common.h):

- ``td_requant(x, mult, shift)`` is defined for every int32 ``x`` when ``0 <= mult <
  2^31`` and ``-31 <= shift <= 31`` (left shifts are done in uint32_t, right shifts use
  ``1LL << exponent`` and ``x >> exponent`` with exponent <= 31). Its result lies in
  [-(2^31 - 1), 2^31 - 1] (never INT32_MIN). :func:`requant_bound` bounds it more tightly
  for a bounded ``x``: kernels that add an offset to it in plain ``int32_t`` (requantize,
  add, mul, mean) must not overflow there.
- Multipliers made by QuantizeMultiplier are 0 (a real multiplier below 2^-32) or
  normalized Q31 values in [2^30, 2^31); kernels whose multipliers come from it require
  exactly that. The optimized kernels (``runtime/kernels/opt``) take their fast
  requantization only where it is exact (multiplier >= 2^30, right shift <= 21, small
  accumulators) and fall back to ``td_requant`` per channel otherwise
  (``td_opt_chan_requant``): they need nothing beyond the reference kernels' conditions,
  so nothing is rejected because of them.
- ``td_requant_value`` (integer-deployable requant) needs ``div > 0`` and every
  intermediate below 2^62 in magnitude over the input range.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

import numpy as np

from tinydeploy.errors import TinyDeployError

INT32_MIN, INT32_MAX = -(2**31), 2**31 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
Q31_LO, Q31_HI = 1 << 30, 1 << 31            # normalized Q31 multipliers: [2^30, 2^31)
SHIFT_LO, SHIFT_HI = -31, 31                 # td_requant: defined for these shifts
RQ_LIMIT = 2**62                             # td_requant_value: |intermediates| < 2^62
FLT_MAX = float(np.finfo(np.float32).max)
MAX_DIMS = 6                                 # TD_MAX_DIMS, TD_PAD_MAX_DIMS, ...
SOFTMAX_MAX_DEPTH = 4095                     # each exp adds up to 2^19 to an int32 sum

_CTYPE_RANGE = {"int8_t": (-128, 127), "uint8_t": (0, 255), "int16_t": (-(2**15), 2**15 - 1),
                "uint16_t": (0, 2**16 - 1),
                "int32_t": (INT32_MIN, INT32_MAX), "int64_t": (INT64_MIN, INT64_MAX)}
_DTYPE_BYTES = {"int8": 1, "uint8": 1, "int16": 2, "int32": 4, "int64": 8, "float32": 4}
_SUB = {(8, 1): "int8", (8, 0): "uint8", (4, 1): "int4", (4, 0): "uint4", (2, 1): "int2",
        (2, 0): "uint2"}
_RANGE = {"int8": (-128, 127), "uint8": (0, 255), "int16": (-(2**15), 2**15 - 1),
          "int32": (INT32_MIN, INT32_MAX), "int4": (-8, 7), "uint4": (0, 15), "int2": (-2, 1),
          "uint2": (0, 3)}


class KernelPreconditionError(TinyDeployError):
    """A kernel's arguments violate its preconditions (see this module's doc)."""


@dataclass(frozen=True)
class Operand:
    """A buffer a kernel reads (input) or writes (output): what the args imply."""

    role: str                 # "input", "weights", "bias", "a", "in2", "output", ...
    nbytes: int               # bytes the kernel reads/writes, as the args imply
    dtypes: tuple[str, ...]   # tensor dtypes the kernel's pointer type may carry
    optional: bool = False    # NULL allowed (bias)


@dataclass(frozen=True)
class Passed:
    """What the code generator passes for one operand: the tensor and its buffer."""

    tensor: str
    dtype: str
    nbytes: int               # bytes of the arena buffer or of the const array
    values: np.ndarray | None = None   # constant data (unpacked), for value bounds


@dataclass
class Spec:
    """A rule's verdict on one args struct: the operands the kernel touches."""

    inputs: list[Operand]
    output: Operand


def requant_bound(v_max: int, mult, shift) -> int | None:
    """Largest ``|td_requant(v, mult, shift)|`` over ``|v| <= v_max`` (max over channels for
    arrays), or None when ``v << left`` may wrap (then any int32 value can come out)."""
    worst = 0
    for m, s in zip(np.atleast_1d(np.asarray(mult, dtype=object)).ravel(),
                    np.atleast_1d(np.asarray(shift, dtype=object)).ravel()):
        m, s = int(m), int(s)
        left, right = max(s, 0), max(-s, 0)
        xl = int(v_max) << left
        if xl > INT32_MAX + (left == 0):      # |INT32_MIN| = 2^31 itself needs no shift
            return None
        high = (xl * abs(m) + (1 << 30)) >> 31          # |SaturatingRoundingDoublingHighMul|
        worst = max(worst, ((high + ((1 << right) >> 1)) >> right) + 1)   # + rounding slack
    return worst


class _Check:
    """Collects the checks of one args struct; the first failure raises."""

    def __init__(self, args, layer: str, kind: str, x_range=None,
                 consts: list[np.ndarray | None] | None = None):
        self.a, self.layer, self.kind = args, layer, kind
        self.x_range = x_range
        self.consts = consts or []

    def fail(self, msg: str):
        raise KernelPreconditionError(f"layer '{self.layer}' ({self.kind}): {msg}")

    def v(self, name: str):
        return getattr(self.a, name)

    # -- scalar fields ------------------------------------------------------------------
    def within(self, name: str, lo: int, hi: int, why: str, value=None) -> int:
        v = int(self.v(name) if value is None else value)
        if not lo <= v <= hi:
            self.fail(f"{name} = {v} outside [{lo}, {hi}]: {why}")
        return v

    def positive(self, *names: str) -> None:
        for n in names:
            if int(self.v(n)) < 1:
                self.fail(f"{n} = {int(self.v(n))} must be > 0 (an empty or negative "
                          "dimension)")

    def nonneg(self, *names: str) -> None:
        for n in names:
            if int(self.v(n)) < 0:
                self.fail(f"{n} = {int(self.v(n))} must be >= 0")

    def product(self, what: str, *factors: int) -> int:
        """A count the kernel computes (or indexes up to) in int32."""
        n = 1
        for f in factors:
            n *= int(f)
        if n > INT32_MAX:
            self.fail(f"{what} = {n} exceeds INT32_MAX: the kernel's int32 index arithmetic "
                      "would overflow")
        return n

    def fits_int32(self, what: str, bound: int | None, why: str) -> None:
        if bound is None or bound > INT32_MAX:
            shown = "any int32 value (the left shift wraps)" if bound is None else str(bound)
            self.fail(f"{what} can reach {shown}, beyond INT32_MAX: {why}")

    def activation(self, lo_name: str, hi_name: str, dtype: str) -> None:
        lo, hi = _RANGE[dtype]
        a_lo = self.within(lo_name, lo, hi, f"the clamp must lie in the output type {dtype}")
        a_hi = self.within(hi_name, lo, hi, f"the clamp must lie in the output type {dtype}")
        if a_lo > a_hi:
            self.fail(f"{lo_name} = {a_lo} > {hi_name} = {a_hi}: empty activation range")

    def offset(self, name: str, dtype: str, negated: bool) -> int:
        """A zero point (``negated``: the field holds -zero point) within ``dtype``."""
        lo, hi = _RANGE[dtype]
        if negated:
            lo, hi = -hi, -lo
        what = "-zero point" if negated else "zero point"
        return self.within(name, lo, hi, f"a {what} of a {dtype} tensor")

    def bits(self, bits_name: str, signed_name: str | None = None) -> str:
        """A sub-byte storage descriptor -> the dtype it names."""
        b = self.within(bits_name, 2, 8, "storage of 2, 4 or 8 bits")
        if b not in (2, 4, 8):
            self.fail(f"{bits_name} = {b}: storage must be 2, 4 or 8 bits")
        s = 1 if signed_name is None else self.within(signed_name, 0, 1, "a 0/1 flag")
        return _SUB[(b, s)]

    # -- arrays ---------------------------------------------------------------------------
    def array(self, name: str, length: int) -> np.ndarray:
        arr = np.asarray(self.v(name), dtype=object).ravel()
        if arr.size != length:
            self.fail(f"{name} has {arr.size} entries, the kernel reads {length}")
        return arr

    def q31(self, name: str, values, allow_zero: bool = True) -> None:
        for k, m in enumerate(np.atleast_1d(np.asarray(values, dtype=object)).ravel()):
            m = int(m)
            if not (Q31_LO <= m < Q31_HI or (allow_zero and m == 0)):
                at = f"[{k}]" if np.ndim(values) else ""
                self.fail(f"{name}{at} = {m} is not a Q31 multiplier (0 or in [2^30, 2^31)): "
                          "the scales make the requantization impossible")

    def shifts(self, name: str, values, lo: int = SHIFT_LO, hi: int = SHIFT_HI) -> None:
        for k, s in enumerate(np.atleast_1d(np.asarray(values, dtype=object)).ravel()):
            s = int(s)
            if not lo <= s <= hi:
                at = f"[{k}]" if np.ndim(values) else ""
                self.fail(f"{name}{at} = {s} outside the kernel's range [{lo}, {hi}]: the "
                          "scales make the requantization impossible")

    def requant_pair(self, mult: str, shift: str, n: int | None = None,
                     shift_range=(SHIFT_LO, SHIFT_HI)) -> tuple:
        """A (multiplier, shift) pair of td_requant, per channel when ``n`` is given."""
        m = self.array(mult, n) if n is not None else self.v(mult)
        s = self.array(shift, n) if n is not None else self.v(shift)
        self.q31(mult, m)
        self.shifts(shift, s, *shift_range)
        return m, s

    def const(self, k: int) -> np.ndarray | None:
        return self.consts[k] if k < len(self.consts) else None


# ---- the table: each family module registers its kernels' rules ------------------------

RULES: dict[str, Callable[[_Check], Spec]] = {}
_FUSED: list[Callable[[_Check], Spec]] = []      # the one rule of the fused *_rq kernels


def register(c_func: str, rule: Callable[[_Check], Spec]) -> None:
    """The rule of the C kernel ``c_func`` (one rule per kernel, registered once)."""
    if c_func in RULES:
        raise ValueError(f"precondition rule for {c_func} registered twice")
    RULES[c_func] = rule


def register_fused(rule: Callable[[_Check], Spec]) -> None:
    """The rule of every fused accumulator + requant kernel (args with ``acc`` and ``rq``
    members), whatever its C function: it checks both parts."""
    if _FUSED:
        raise ValueError("precondition rule for the fused kernels registered twice")
    _FUSED.append(rule)


def _acc_channels(acc) -> int:
    for n in ("out_c", "out_features", "channels"):
        if hasattr(acc, n):
            return int(getattr(acc, n))
    raise AssertionError(acc)


def _is_fused(args) -> bool:
    return hasattr(args, "acc") and hasattr(args, "rq")


def _c_ranges(c: _Check) -> None:
    """Every member fits its C type (a value that does not would change on conversion)."""
    for name, kind, value in c.a.c_members():
        what, ctype = kind.split(":", 1)
        if ctype == "float":
            v = float(value)
            if not np.isfinite(v) or abs(v) > FLT_MAX:
                c.fail(f"{name} = {v} is not a finite float32")
            continue
        lo, hi = _CTYPE_RANGE[ctype]
        vals = np.asarray(value, dtype=object).ravel() if what == "array" else [value]
        for k, v in enumerate(vals):
            if not lo <= int(v) <= hi:
                at = f"[{k}]" if what == "array" else ""
                c.fail(f"{name}{at} = {int(v)} does not fit the C type {ctype}")


def check_args(args, layer: str = "", kind: str = "", x_range=None,
               consts: list[np.ndarray | None] | None = None) -> Spec:
    """Check ``args`` against its kernel's preconditions; returns the operands it implies.

    ``x_range``: the (lo, hi) input range of an integer-deployable requant (default: all of
    int32); ``consts``: the constant data of the op's inputs (weights, bias), by position,
    for the accumulator bound (worst-case weights when absent)."""
    c = _Check(args, layer, kind or args.C_FUNC, x_range, consts)
    if _is_fused(args):
        _c_ranges(_Check(args.acc, layer, c.kind))
        _c_ranges(_Check(args.rq, layer, c.kind))
        if not _FUSED:
            c.fail(f"kernel {args.C_FUNC} has no precondition rule (quant/preconditions.py)")
        return _FUSED[0](c)
    rule = RULES.get(args.C_FUNC)
    if rule is None:
        c.fail(f"kernel {args.C_FUNC} has no precondition rule (quant/preconditions.py)")
    _c_ranges(c)
    return rule(c)


def check_call(args, layer: str, kind: str, inputs: list[Passed | None], output: Passed,
               x_range=None) -> Spec:
    """Check ``args`` and that the buffers the code generator passes are exactly the ones
    the kernel will read and write (dtype and byte size per operand).

    ``inputs``: one entry per op input, in order (None for an absent optional input)."""
    spec = check_args(args, layer, kind, x_range,
                      [None if p is None else p.values for p in inputs])
    c = _Check(args, layer, kind or args.C_FUNC)
    if len(inputs) > len(spec.inputs) or any(
            p is None and not o.optional for o, p in zip(spec.inputs, inputs)) or \
            any(not o.optional for o in spec.inputs[len(inputs):]):
        c.fail(f"{args.C_FUNC} takes {len(spec.inputs)} inputs "
               f"({', '.join(o.role for o in spec.inputs)}), the layer passes {len(inputs)}")
    given = list(inputs) + [None] * (len(spec.inputs) - len(inputs))
    for k, (o, p) in enumerate(zip(spec.inputs + [spec.output], given + [output])):
        if p is None:
            continue
        where = "output" if k == len(spec.inputs) else f"input {k} ({o.role})"
        if p.dtype not in o.dtypes:
            c.fail(f"{where} '{p.tensor}' is {p.dtype}, the kernel takes "
                   f"{'/'.join(o.dtypes)}")
        if p.nbytes != o.nbytes:
            verb = "writes" if k == len(spec.inputs) else "reads"
            c.fail(f"the kernel {verb} {o.nbytes} bytes of {where} '{p.tensor}', whose "
                   f"buffer holds {p.nbytes}: the args do not match the tensors")
    return spec


def check_layer(g, op, args, operand_bytes: dict[str, int] | None = None) -> Spec:
    """:func:`check_call` for an IR op, with each operand's buffer taken from the graph
    (``operand_bytes`` overrides a tensor's byte size by name, e.g. the array emitted)."""
    operand_bytes = operand_bytes or {}

    def passed(name: str) -> Passed | None:
        if not name:
            return None
        t = g.t(name)
        return Passed(name, t.dtype, operand_bytes.get(name, t.nbytes),
                      t.data if t.is_const else None)

    return check_call(args, op.name, op.kind, [passed(n) for n in op.inputs],
                      passed(op.outputs[0]), x_range=requant_x_range(op))


def requant_x_range(op) -> tuple[int, int] | None:
    """The input range the frontend proved for a requant (or a fused one), if any; for an
    integer add/mul with an int32 result, the range of that result."""
    if "requant" in op.attrs:
        attrs = getattr(op.attrs["requant"], "attrs", None) or {}
    elif op.kind in ("requant", "add", "mul"):   # add/mul: the range of the raw result
        attrs = op.attrs
    else:
        return None
    xr = attrs.get("x_range")
    return None if xr is None else (int(xr[0]), int(xr[1]))


def _load_all() -> None:
    for m in pkgutil.iter_modules(__path__):
        if not m.name.startswith("_"):
            importlib.import_module(f"{__name__}.{m.name}")


_load_all()

__all__ = ["KernelPreconditionError", "Operand", "Passed", "Spec", "RULES", "check_args",
           "check_call", "check_layer", "register", "register_fused", "requant_bound",
           "requant_x_range"]
