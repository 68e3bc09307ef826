"""Target description: frozen dataclasses and the validation of one parsed TOML file.

A target file has four tables (see ``gap8.toml`` for a commented example):

- top level: ``name`` (str), ``description`` (str);
- ``[cores]``: ``count`` (int >= 1: cores that compute a layer together),
  ``frequency_mhz`` (number > 0: the clock that all cycle counts refer to);
- ``[[memory]]``: one entry per level, innermost (L1) first. ``name`` (str), ``size``
  (int > 0, bytes usable for data), and for every level but the outermost
  ``bandwidth`` (number > 0, bytes/cycle of DMA to and from the next, outer, level) and
  ``dma_setup`` (int >= 0, cycles per DMA transfer: programming plus latency). The
  outermost level has no next level, so these two keys are not allowed there;
- ``[kernels]``: cost-model throughputs, all per core: MACs/cycle for ``conv``,
  ``pointwise``, ``depthwise``, ``fully_connected``, ``pool`` and ``elementwise``
  (for the last two: outputs x window taps, resp. outputs, per cycle),
  ``requant_cycles`` (number >= 0, cycles per requantized output),
  ``tile_overhead`` (int >= 0, cycles per tile: kernel launch, fork/join barrier, DMA
  waits), ``leftover_channel_penalty`` (int >= 0: extra cost, in channels, of each output
  channel past the last multiple of 4 in a conv tile - SIMD kernels handle those
  scalar), ``im2col`` (bool: reserve PULP-NN style im2col scratch in L1).

Every check failure raises :class:`TinyDeployError` naming the file and the field.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any, Callable

from tinydeploy.errors import TinyDeployError

KERNEL_CLASSES = ("conv", "pointwise", "depthwise", "fully_connected", "pool", "elementwise")


@dataclass(frozen=True)
class MemoryLevel:
    """One memory level. ``bandwidth``/``dma_setup`` describe DMA to the next outer level."""

    name: str
    size: int                      # bytes
    bandwidth: float | None        # bytes/cycle to the next outer level; None: outermost
    dma_setup: int                 # cycles per transfer to/from the next outer level


@dataclass(frozen=True)
class KernelRates:
    """Per-core throughputs of the kernels, the inputs of the tiling cost model."""

    conv: float                    # MACs/cycle/core, KxK convolution
    pointwise: float               # MACs/cycle/core, 1x1 convolution
    depthwise: float
    fully_connected: float
    pool: float                    # window taps/cycle/core
    elementwise: float             # outputs/cycle/core (add, mul)
    requant_cycles: float          # cycles per requantized output, per core
    tile_overhead: int             # cycles per tile
    leftover_channel_penalty: int  # extra channel-equivalents per channel past a multiple of 4
    im2col: bool                   # reserve im2col scratch in L1

    def macs_per_cycle(self, kernel_class: str) -> float:
        return float(getattr(self, kernel_class))


@dataclass(frozen=True)
class Target:
    """A deployment target: memory hierarchy, cores and kernel throughputs."""

    name: str
    description: str
    cores: int
    frequency_mhz: float
    memory: tuple[MemoryLevel, ...]    # innermost first
    kernels: KernelRates
    source: str = ""                   # the file it was loaded from

    @property
    def flat(self) -> bool:
        """One memory level: layers run in place, nothing to tile."""
        return len(self.memory) == 1

    @property
    def l1(self) -> MemoryLevel:
        return self.memory[0]

    def level(self, name: str) -> MemoryLevel:
        for m in self.memory:
            if m.name == name:
                return m
        raise KeyError(name)

    def with_l1_size(self, size: int) -> "Target":
        """The same target with another innermost-level size (tests, what-if studies)."""
        mem = (replace(self.memory[0], size=int(size)),) + self.memory[1:]
        return replace(self, memory=mem)


# ---------------------------------------------------------------- validation helpers

def _is_int(v) -> bool:
    return isinstance(v, int) and not isinstance(v, bool)


def _is_num(v) -> bool:
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


_TYPES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "str": (lambda v: isinstance(v, str), "a string"),
    "int": (_is_int, "an integer"),
    "num": (_is_num, "a number"),
    "bool": (lambda v: isinstance(v, bool), "a boolean"),
}
# constraint name -> (test, words)
_RANGES: dict[str, tuple[Callable[[Any], bool], str]] = {
    "": (lambda v: True, ""),
    "pos": (lambda v: v > 0, "positive"),
    "nonneg": (lambda v: v >= 0, "non-negative"),
    "ge1": (lambda v: v >= 1, "at least 1"),
    "nonempty": (lambda v: len(v.strip()) > 0, "non-empty"),
}


def _fail(file: str, msg: str) -> TinyDeployError:
    return TinyDeployError(msg, file=file)


def _fields(table: Any, where: str, spec: dict[str, tuple[str, str, bool]], file: str
            ) -> dict[str, Any]:
    """Check ``table`` against ``spec`` = {key: (type, range, required)}; return its values."""
    if not isinstance(table, dict):
        raise _fail(file, f"field '{where}' must be a table")
    prefix = f"{where}." if where else ""
    for key in table:
        if key not in spec:
            raise _fail(file, f"unknown key '{prefix}{key}' (allowed: {', '.join(spec)})")
    out = {}
    for key, (typ, rng, required) in spec.items():
        if key not in table:
            if required:
                raise _fail(file, f"missing field '{prefix}{key}'")
            continue
        v = table[key]
        test, words = _TYPES[typ]
        if not test(v):
            raise _fail(file, f"field '{prefix}{key}' must be {words}, got "
                              f"{type(v).__name__} {v!r}")
        ok, rwords = _RANGES[rng]
        if not ok(v):
            raise _fail(file, f"field '{prefix}{key}' must be {rwords}, got {v!r}")
        out[key] = v
    return out


_TOP = {"name": ("str", "nonempty", True), "description": ("str", "", True),
        "cores": ("table", "", True), "memory": ("list", "", True),
        "kernels": ("table", "", True)}
_CORES = {"count": ("int", "ge1", True), "frequency_mhz": ("num", "pos", True)}
_LEVEL = {"name": ("str", "nonempty", True), "size": ("int", "pos", True),
          "bandwidth": ("num", "pos", False), "dma_setup": ("int", "nonneg", False)}
_KERNELS = {**{k: ("num", "pos", True) for k in KERNEL_CLASSES},
            "requant_cycles": ("num", "nonneg", True), "tile_overhead": ("int", "nonneg", True),
            "leftover_channel_penalty": ("int", "nonneg", True), "im2col": ("bool", "", True)}


def _memory(levels: Any, file: str) -> tuple[MemoryLevel, ...]:
    if not isinstance(levels, list) or not levels:
        raise _fail(file, "field 'memory' must be a non-empty array of tables ([[memory]])")
    out, names = [], set()
    for i, table in enumerate(levels):
        where = f"memory[{i}]"
        v = _fields(table, where, _LEVEL, file)
        outer = i == len(levels) - 1
        for key in ("bandwidth", "dma_setup"):
            if outer and key in v:
                raise _fail(file, f"field '{where}.{key}' is not allowed: the outermost "
                                  "level has no next level to transfer to")
            if not outer and key not in v:
                raise _fail(file, f"missing field '{where}.{key}'")
        if v["name"] in names:
            raise _fail(file, f"field '{where}.name': level '{v['name']}' appears twice")
        names.add(v["name"])
        out.append(MemoryLevel(v["name"], v["size"],
                               None if outer else float(v["bandwidth"]),
                               0 if outer else v["dma_setup"]))
    return tuple(out)


def parse_target(data: dict, file: str) -> Target:
    """Validate the parsed TOML ``data`` of ``file`` into a :class:`Target`."""
    for key in data:
        if key not in _TOP:
            raise _fail(file, f"unknown key '{key}' (allowed: {', '.join(_TOP)})")
    for key in _TOP:
        if key not in data:
            raise _fail(file, f"missing field '{key}'")
    top = _fields({k: data[k] for k in ("name", "description")}, "",
                  {k: _TOP[k] for k in ("name", "description")}, file)
    cores = _fields(data["cores"], "cores", _CORES, file)
    kern = _fields(data["kernels"], "kernels", _KERNELS, file)
    rates = KernelRates(**{k: (float(v) if _KERNELS[k][0] == "num" else v)
                           for k, v in kern.items()})
    return Target(name=top["name"], description=top["description"], cores=cores["count"],
                  frequency_mhz=float(cores["frequency_mhz"]),
                  memory=_memory(data["memory"], file), kernels=rates, source=file)
