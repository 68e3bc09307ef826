"""The C project the templates read: arrays, args structs, buffers, layers, inputs and
outputs, trainable parameters (filled by :func:`tinydeploy.codegen.emit.build_project`;
nothing here decides anything)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class CArray:
    name: str
    ctype: str
    length: int
    values: str
    comment: str = ""
    mutable: bool = False      # not const: the step function of a decode loop sets entries


@dataclass
class CArgs:
    name: str
    struct: str
    members: list[tuple[str, str]]
    mutable: bool = False      # not const: the step function of a decode loop sets members


@dataclass
class CBuffer:
    """An arena pointer expression the run function passes: the planned buffer it names."""
    tensor: str
    cast: str                  # pointer target type, e.g. "const int8_t"
    offset: int
    nbytes: int
    written: bool              # an output (non-const pointer)
    reads: bool = False        # an output the kernel also reads (state updated in place)


@dataclass
class CBlock:
    """Bounds-checking build: one exact-size heap copy of a planned buffer for one call."""
    name: str
    offset: int
    nbytes: int
    written: bool              # copied back to the arena after the call
    reads: bool = False        # written, and filled from the arena before the call too


@dataclass
class CLayer:
    index: int
    name: str
    kind: str
    func: str | None           # None: no code (aliased reshape)
    args: str | None
    params: list[str]
    out_ptr: str
    out_bytes: int
    ins_array: list[str] | None = None    # variadic kernels: the input pointers
    ins_ctype: str = "const int8_t"        # ... and what they point to
    # the arena pointer expressions of this layer's call -> the planned buffer each names
    buffers: dict[str, CBuffer] = field(default_factory=dict)
    # bounds-checking build (-DTD_BOUNDS_CHECK): the call on heap blocks instead
    blocks: list[CBlock] = field(default_factory=list)
    bounds_params: list[str] = field(default_factory=list)
    bounds_ins: list[str] | None = None


@dataclass
class CIo:
    name: str
    ctype: str
    size: int
    nbytes: int
    offset: int
    shape: tuple[int, ...]
    tensor: str = ""           # the IR tensor name (for comments)
    copy: str = ""             # bytes copied, when a C expression (follows the context)
    external: bool = False     # read/written in the caller's buffer: no copy, no offset
    unread: bool = False       # an external input no layer reads (the label of a loss)
    source: str = ""           # an output copied from a trainable parameter's array
    lent: int = 0              # bytes of this output's buffer used before it is written


@dataclass
class CParam:
    """A trainable parameter: a RAM array the training step updates in place."""
    tensor: str
    array: str
    ctype: str
    nbytes: int


@dataclass
class Project:
    prefix: str
    arrays: list[CArray] = field(default_factory=list)
    args: list[CArgs] = field(default_factory=list)
    layers: list[CLayer] = field(default_factory=list)
    inputs: list[CIo] = field(default_factory=list)
    outputs: list[CIo] = field(default_factory=list)
    arena_bytes: int = 0
    kernels: list[str] = field(default_factory=list)
    opt_kernels: list[str] = field(default_factory=list)   # those run by their opt variant
    sources: list[str] = field(default_factory=list)       # runtime .c files shipped
    weight_bytes: int = 0
    headers: dict[str, str] = field(default_factory=dict)  # kernel -> its header (runtime-rel.)
    includes: list[str] = field(default_factory=list)      # the headers network.c includes
    parallel: bool = False     # some layer takes a team (the rv32 board's TD_PARALLEL build)
    trainable: list[CParam] = field(default_factory=list)  # in the step's update order
