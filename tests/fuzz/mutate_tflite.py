"""Structure-aware mutations of .tflite files, by patching the flatbuffer in place.

:class:`FlatModel` walks a model once and lists every place a number lives (a *site*):
scalar fields (tensor type, buffer index, opcode index, option values, ...), elements and
lengths of scalar vectors (shapes, scales, zero points, operator inputs/outputs, subgraph
inputs/outputs, buffer bytes) and present fields (which can be removed). Field slots and
types are read from the ``tflite`` package's generated accessors, so they are the
schema's. A mutation picks sites of one category and writes an "interesting" value there;
a removed field gets a private copy of its table's vtable (appended to the file) with the
slot zeroed, so only that table loses the field. Nothing moves, so the rest of the file
stays intact and the reader gets past the damage to the code that uses the value.
"""

from __future__ import annotations

import functools
import inspect
import math
import random
import re
import struct
from dataclasses import dataclass

import flatbuffers
import tflite

_FMT = {"Bool": "<B", "Int8": "<b", "Uint8": "<B", "Int16": "<h", "Uint16": "<H",
        "Int32": "<i", "Uint32": "<I", "Int64": "<q", "Uint64": "<Q", "Float32": "<f",
        "Float64": "<d"}
_OPTION_CLASSES = {v: k for k, v in vars(tflite.BuiltinOptions).items()
                   if not k.startswith("_")}


@functools.cache
def table_fields(cls: type) -> dict[str, tuple[int, str, str]]:
    """``{field: (vtable slot, "s"calar | "v"ector, struct format)}`` of a generated table
    class, read from its accessors' source (scalar and scalar-vector fields only)."""
    out = {}
    for name, fn in vars(cls).items():
        if name.startswith("_") or not inspect.isfunction(fn) or name.endswith(
                ("AsNumpy", "Length", "IsNone")):
            continue
        src = inspect.getsource(fn)
        slot = re.search(r"Offset\((\d+)\)", src)
        s = re.search(r"Get\(flatbuffers\.number_types\.(\w+)Flags, o \+ self\._tab\.Pos\)",
                      src)
        v = re.search(r"Get\(flatbuffers\.number_types\.(\w+)Flags, a \+", src)
        if slot and s:
            out[name] = (int(slot.group(1)), "s", _FMT[s.group(1)])
        elif slot and v:
            out[name] = (int(slot.group(1)), "v", _FMT[v.group(1)])
    return out


def _slot(cls: type, field: str) -> int:
    fields = table_fields(cls)
    if field in fields:
        return fields[field][0]
    src = inspect.getsource(getattr(cls, field))        # table / table-vector fields
    return int(re.search(r"Offset\((\d+)\)", src).group(1))


@dataclass
class Scalar:
    cat: str
    label: str
    pos: int
    fmt: str


@dataclass
class Vector:
    cat: str
    label: str
    len_pos: int          # the uint32 length; elements follow
    length: int
    fmt: str

    def elem(self, i: int) -> int:
        return self.len_pos + 4 + i * struct.calcsize(self.fmt)


@dataclass
class Field:
    cat: str
    label: str
    table: int
    slot: int


class FlatModel:
    """A .tflite file as a mutable byte array plus the sites of its numbers."""

    def __init__(self, data: bytes):
        self.buf = bytearray(data)
        self.scalars: list[Scalar] = []
        self.vectors: list[Vector] = []
        self.fields: list[Field] = []
        self.n_tensors = self.n_buffers = self.n_opcodes = 0
        self.op_io: list[tuple[list[int], list[int]]] = []   # per operator (ins, outs)
        self._walk()

    # -- raw reads ----------------------------------------------------------------------
    def get(self, fmt: str, pos: int):
        return struct.unpack_from(fmt, self.buf, pos)[0]

    def put(self, fmt: str, pos: int, value) -> None:
        struct.pack_into(fmt, self.buf, pos, _fit(fmt, value))

    def _field(self, tab: int, slot: int) -> int | None:
        vt = tab - self.get("<i", tab)
        if slot >= self.get("<H", vt):
            return None
        off = self.get("<H", vt + slot)
        return tab + off if off else None

    def _table(self, tab: int, slot: int) -> int | None:
        p = self._field(tab, slot)
        return None if p is None else p + self.get("<I", p)

    def _vector(self, tab: int, slot: int) -> tuple[int, int] | None:
        """(position of the length word, length)."""
        p = self._field(tab, slot)
        if p is None:
            return None
        start = p + self.get("<I", p)
        return start, self.get("<I", start)

    def _tables(self, tab: int, slot: int) -> list[int]:
        v = self._vector(tab, slot)
        if v is None:
            return []
        start, n = v
        return [start + 4 + 4 * i + self.get("<I", start + 4 + 4 * i) for i in range(n)]

    # -- the walk -----------------------------------------------------------------------
    def _add(self, cls: type, tab: int, cat: str, label: str, removable=True) -> None:
        """Every scalar/vector field of table ``tab`` of class ``cls``, category
        ``cat.<Field>``."""
        for name, (slot, kind, fmt) in table_fields(cls).items():
            p = self._field(tab, slot)
            if p is None:
                continue
            if removable:
                self.fields.append(Field(f"{cat}.{name}", f"{label}.{name}", tab, slot))
            if kind == "s":
                self.scalars.append(Scalar(f"{cat}.{name}", f"{label}.{name}", p, fmt))
            else:
                start = p + self.get("<I", p)
                self.vectors.append(Vector(f"{cat}.{name}", f"{label}.{name}", start,
                                           self.get("<I", start), fmt))

    def _walk(self) -> None:
        root = self.get("<I", 0)
        self._add(tflite.Model, root, "model", "model")
        codes = self._tables(root, _slot(tflite.Model, "OperatorCodes"))
        self.n_opcodes = len(codes)
        for i, c in enumerate(codes):
            self._add(tflite.OperatorCode, c, "opcode", f"opcode[{i}]")
        buffers = self._tables(root, _slot(tflite.Model, "Buffers"))
        self.n_buffers = len(buffers)
        for i, b in enumerate(buffers):
            self._add(tflite.Buffer, b, "buffer", f"buffer[{i}]")
        for s, sg in enumerate(self._tables(root, _slot(tflite.Model, "Subgraphs"))):
            self._add(tflite.SubGraph, sg, "subgraph", f"subgraph[{s}]")
            tensors = self._tables(sg, _slot(tflite.SubGraph, "Tensors"))
            self.n_tensors = max(self.n_tensors, len(tensors))
            for i, t in enumerate(tensors):
                self._add(tflite.Tensor, t, "tensor", f"tensor[{i}]")
                q = self._table(t, _slot(tflite.Tensor, "Quantization"))
                if q is not None:
                    self.fields.append(Field("tensor.Quantization", f"tensor[{i}].Quantization",
                                             t, _slot(tflite.Tensor, "Quantization")))
                    self._add(tflite.QuantizationParameters, q, "quant", f"tensor[{i}].quant")
            for i, op in enumerate(self._tables(sg, _slot(tflite.SubGraph, "Operators"))):
                self._add(tflite.Operator, op, "op", f"op[{i}]")
                ins = self._vector(op, _slot(tflite.Operator, "Inputs"))
                outs = self._vector(op, _slot(tflite.Operator, "Outputs"))
                self.op_io.append((self._ints(ins), self._ints(outs)))
                kind = self._field(op, _slot(tflite.Operator, "BuiltinOptionsType"))
                opts = self._table(op, _slot(tflite.Operator, "BuiltinOptions"))
                if opts is None or kind is None:
                    continue
                self.fields.append(Field("op.BuiltinOptions", f"op[{i}].BuiltinOptions", op,
                                         _slot(tflite.Operator, "BuiltinOptions")))
                name = _OPTION_CLASSES.get(self.get("<B", kind))
                cls = getattr(tflite, name, None) if name else None
                if cls is not None:
                    self._add(cls, opts, "options", f"op[{i}].{name}")

    def _ints(self, v) -> list[int]:
        if v is None:
            return []
        start, n = v
        return [self.get("<i", start + 4 + 4 * k) for k in range(n)]

    # -- edits --------------------------------------------------------------------------
    def remove(self, f: Field) -> None:
        """Remove field ``f`` from its table only: the table gets a private vtable copy
        (appended, 2-aligned) whose slot for the field is 0."""
        vt = f.table - self.get("<i", f.table)
        size = self.get("<H", vt)
        while len(self.buf) % 4:
            self.buf.append(0)
        new = len(self.buf)
        self.buf += self.buf[vt:vt + size]
        self.put("<i", f.table, f.table - new)
        self.put("<H", new + f.slot, 0)

    def sites(self, prefix: tuple[str, ...]) -> tuple[list[Scalar], list[Vector], list[Field]]:
        def ok(cat: str) -> bool:
            return cat.startswith(prefix)
        return ([s for s in self.scalars if ok(s.cat)], [v for v in self.vectors if ok(v.cat)],
                [f for f in self.fields if ok(f.cat)])


def _fit(fmt: str, v):
    """Wrap an int into the field's range (the file can only hold that); floats as is."""
    if fmt[-1] in "fd":
        return float(v)
    bits = struct.calcsize(fmt) * 8
    v = int(v) & ((1 << bits) - 1)
    if fmt[-1].islower() and fmt[-1] != "?" and v >= 1 << (bits - 1):
        v -= 1 << bits
    return v


# -- value choices --------------------------------------------------------------------------
def int_values(rng: random.Random, orig: int, extra=()) -> int:
    return rng.choice((0, 1, -1, 2, 3, orig + 1, orig - 1, orig * 2, -orig, 7, 8, 16, 31,
                       32, 63, 64, 127, 128, 255, 256, 1000, 32767, 65536, 1 << 24,
                       2**31 - 1, -2**31, 2**30, rng.randrange(-2**31, 2**31), *extra))


def float_values(rng: random.Random, orig: float) -> float:
    return rng.choice((math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, -orig, 1e38, 3.4e38,
                       1e-38, 1e-45, 1e-30, 1e-12, 1e12, 1e20, 2.0**31, 2.0**-40, 1.0,
                       orig * 1e6, orig * 1e-6, orig * 2, orig / 2))


def _value(rng: random.Random, fmt: str, orig, extra=()):
    if fmt[-1] in "fd":
        return float_values(rng, orig if math.isfinite(orig) else 1.0)
    if fmt[-1] in "qQ":
        return rng.choice((int_values(rng, orig, extra), 2**40, -2**40, 2**63 - 1, -2**63,
                           -129, 128, 256, -128, 127, 255))
    if struct.calcsize(fmt) == 1:
        return rng.choice((0, 1, 2, 3, 4, 5, 6, 9, 10, 17, 99, 127, -1, -128, orig + 1,
                           orig - 1, rng.randrange(256), *extra))
    return int_values(rng, orig, extra)


def _poke_scalar(rng, m: FlatModel, s: Scalar, extra=()) -> str:
    orig = m.get(s.fmt, s.pos)
    v = _value(rng, s.fmt, orig, extra)
    m.put(s.fmt, s.pos, v)
    return f"{s.label} {orig!r} -> {m.get(s.fmt, s.pos)!r}"


def _poke_vector(rng, m: FlatModel, v: Vector, extra=(), shrink=0.2) -> str:
    if v.length and rng.random() >= shrink:
        i = rng.randrange(v.length)
        orig = m.get(v.fmt, v.elem(i))
        m.put(v.fmt, v.elem(i), _value(rng, v.fmt, orig, extra))
        return f"{v.label}[{i}] {orig!r} -> {m.get(v.fmt, v.elem(i))!r}"
    n = rng.randrange(v.length) if v.length else 0
    m.put("<I", v.len_pos, n)
    return f"{v.label} length {v.length} -> {n}"


def _pick(rng, m: FlatModel, prefix, extra=(), shrink=0.2) -> str | None:
    scalars, vectors, _ = m.sites(prefix)
    sites = scalars + vectors
    if not sites:
        return None
    s = rng.choice(sites)
    if isinstance(s, Scalar):
        return _poke_scalar(rng, m, s, extra)
    return _poke_vector(rng, m, s, extra, shrink)


# -- mutation kinds -------------------------------------------------------------------------
def shape(rng, m: FlatModel):
    return _pick(rng, m, ("tensor.Shape", "tensor.ShapeSignature", "options.ReshapeOptions"),
                 shrink=0.15)


def dtype(rng, m: FlatModel):
    return _pick(rng, m, ("tensor.Type",), extra=tuple(range(18)))


def scale(rng, m: FlatModel):
    return _pick(rng, m, ("quant.Scale",), shrink=0.0)


def zero_point(rng, m: FlatModel):
    return _pick(rng, m, ("quant.ZeroPoint",), shrink=0.0)


def quant_layout(rng, m: FlatModel):
    """quantized_dimension, or per-channel scale/zero-point lists of the wrong length."""
    if rng.random() < 0.4:
        return _pick(rng, m, ("quant.QuantizedDimension",), extra=(0, 1, 2, 3, 4, -1))
    _, vectors, _ = m.sites(("quant.Scale", "quant.ZeroPoint"))
    vectors = [v for v in vectors if v.length] or vectors
    if not vectors:
        return None
    v = rng.choice(vectors)
    n = rng.choice((0, 1, 2, max(0, v.length - 1), v.length // 2))
    if n == v.length:
        return None
    m.put("<I", v.len_pos, n)
    return f"{v.label} length {v.length} -> {n}"


def buffer(rng, m: FlatModel):
    """A tensor's buffer index, or a buffer's bytes/offset/size."""
    if rng.random() < 0.5:
        return _pick(rng, m, ("tensor.Buffer",),
                     extra=(0, m.n_buffers, m.n_buffers - 1, rng.randrange(max(1, m.n_buffers))))
    return _pick(rng, m, ("buffer.",), shrink=0.5)


def index(rng, m: FlatModel):
    """An operator's input/output tensor index: -1, out of range, another tensor; or the
    list emptied / shortened."""
    n = m.n_tensors
    return _pick(rng, m, ("op.Inputs", "op.Outputs", "op.Intermediates"),
                 extra=(-1, -2, n, n + 1, n - 1, *(rng.randrange(n) for _ in range(4))),
                 shrink=0.25)


def cycle(rng, m: FlatModel):
    """An operator reads its own output or a later operator's output."""
    _, vectors, _ = m.sites(("op.Inputs",))
    if not vectors or not m.op_io:
        return None
    i = rng.randrange(len(vectors))
    v = vectors[i]
    later = [t for ins, outs in m.op_io[i:] for t in outs if t >= 0]
    if not v.length or not later:
        return None
    k = rng.randrange(v.length)
    t = rng.choice(later)
    orig = m.get("<i", v.elem(k))
    m.put("<i", v.elem(k), t)
    return f"{v.label}[{k}] {orig} -> {t} (output of op >= {i})"


def opcode(rng, m: FlatModel):
    """An operator's opcode index, or an operator code's builtin code."""
    if rng.random() < 0.5:
        n = m.n_opcodes
        return _pick(rng, m, ("op.OpcodeIndex",),
                     extra=(n, n + 1, 2**32 - 1, *range(n)))
    codes = vars(tflite.BuiltinOperator)
    common = [codes[k] for k in ("QUANTIZE", "DEQUANTIZE", "RELU", "RELU6", "ADD", "MUL",
                                 "RESHAPE", "SOFTMAX", "CONV_2D", "DEPTHWISE_CONV_2D",
                                 "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D",
                                 "CONCATENATION", "PAD", "MEAN", "LOGISTIC", "TANH",
                                 "TRANSPOSE", "SQUEEZE", "CUSTOM", "PADV2")]
    scalars, _, _ = m.sites(("opcode.BuiltinCode", "opcode.DeprecatedBuiltinCode"))
    if not scalars:
        return None
    s = rng.choice(scalars)
    orig = m.get(s.fmt, s.pos)
    v = rng.choice(common + [rng.randrange(210), 127, 255, 1000, -1])
    m.put(s.fmt, s.pos, v)
    # keep both codes in step so the new one is what a reader sees
    other = "DeprecatedBuiltinCode" if s.cat.endswith(".BuiltinCode") else "BuiltinCode"
    for o in scalars:
        if o.cat.endswith("." + other) and o.label.split(".")[0] == s.label.split(".")[0]:
            m.put(o.fmt, o.pos, min(v, 127) if other.startswith("Dep") else v)
    return f"{s.label} {orig} -> {m.get(s.fmt, s.pos)}"


def options(rng, m: FlatModel):
    """A value inside an operator's options table, or the options type."""
    if rng.random() < 0.2:
        return _pick(rng, m, ("op.BuiltinOptionsType",), extra=tuple(range(1, 30)))
    return _pick(rng, m, ("options.",))


def remove_field(rng, m: FlatModel):
    """A field removed from one table (options, quantization, shape, inputs, ...)."""
    _, _, fields = m.sites(("op.", "tensor.", "quant.", "subgraph.", "opcode.", "buffer."))
    if not fields:
        return None
    f = rng.choice(fields)
    m.remove(f)
    return f"removed {f.label}"


def subgraph_io(rng, m: FlatModel):
    """The subgraph's inputs/outputs: emptied, out of range, another tensor, duplicated."""
    n = m.n_tensors
    return _pick(rng, m, ("subgraph.Inputs", "subgraph.Outputs"),
                 extra=(-1, n, n - 1, *(rng.randrange(n) for _ in range(6))), shrink=0.3)


def vector_grow(rng, m: FlatModel):
    """(kept apart) A vector's length grown: it reads the bytes behind it."""
    if not m.vectors:
        return None
    v = rng.choice(m.vectors)
    n = v.length + rng.choice((1, 2, 16, 1000, 2**20, 2**31))
    m.put("<I", v.len_pos, n)
    return f"{v.label} length {v.length} -> {n}"


def swap_tables(rng, m: FlatModel):
    """(kept apart) Two scalars of the same category exchanged (e.g. two tensors' types,
    buffers or two operators' opcode indices)."""
    cats: dict[str, list[Scalar]] = {}
    for s in m.scalars:
        cats.setdefault(s.cat, []).append(s)
    cats = {k: v for k, v in cats.items() if len(v) > 1}
    if not cats:
        return None
    a, b = rng.sample(cats[rng.choice(sorted(cats))], 2)
    va, vb = m.get(a.fmt, a.pos), m.get(b.fmt, b.pos)
    m.put(a.fmt, a.pos, vb)
    m.put(b.fmt, b.pos, va)
    return f"swapped {a.label} ({va!r}) and {b.label} ({vb!r})"


KINDS = {"tfl_shape": shape, "tfl_dtype": dtype, "tfl_scale": scale,
         "tfl_zero_point": zero_point, "tfl_quant_layout": quant_layout,
         "tfl_buffer": buffer, "tfl_index": index, "tfl_cycle": cycle, "tfl_opcode": opcode,
         "tfl_options": options, "tfl_remove_field": remove_field,
         "tfl_subgraph_io": subgraph_io}
HELD_OUT = {"tfl_vector_grow": vector_grow, "tfl_swap": swap_tables}


def mutate(kind: str, rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    """Apply mutation ``kind`` to a .tflite file's bytes; None if it does not apply."""
    if kind in REBUILD_KINDS:
        return rebuild(kind, rng, data)
    m = FlatModel(data)
    desc = {**KINDS, **HELD_OUT}[kind](rng, m)
    if desc is None:
        return None
    return bytes(m.buf), desc


# -- rebuilding: edits that move bytes ------------------------------------------------------
# In-place patches cannot give a value to a field the writer left out (flatbuffers omit
# defaults: opcode index 0, SAME padding, ...), add an operator code or change one
# operator's opcode alone. These kinds read the model into plain lists and dicts
# (:func:`read_model`), edit them, and write a new flatbuffer (:func:`write_model`) with
# every field the dicts hold, raw values included (unknown enums, wrong lengths).

_PREPEND = {"<b": "PrependInt8Slot", "<B": "PrependUint8Slot", "<h": "PrependInt16Slot",
            "<H": "PrependUint16Slot", "<i": "PrependInt32Slot", "<I": "PrependUint32Slot",
            "<q": "PrependInt64Slot", "<Q": "PrependUint64Slot", "<f": "PrependFloat32Slot",
            "<d": "PrependFloat64Slot"}


def _read_scalars(cls: type, obj) -> dict[str, object]:
    out = {}
    for name, (slot, kind, fmt) in table_fields(cls).items():
        if kind == "s" and obj._tab.Offset(slot):
            out[name] = getattr(obj, name)()
        elif kind == "v" and obj._tab.Offset(slot):
            out[name] = [x.item() for x in getattr(obj, name + "AsNumpy")()]
    return out


def read_model(data: bytes) -> dict:
    """A single-subgraph .tflite as plain data: opcodes, buffers, tensors, ops, I/O."""
    m = tflite.Model.GetRootAs(data, 0)
    sg = m.Subgraphs(0)
    d = {"version": m.Version(), "opcodes": [], "buffers": [], "tensors": [], "ops": [],
         "inputs": [int(i) for i in sg.InputsAsNumpy()] if not sg.InputsIsNone() else [],
         "outputs": [int(i) for i in sg.OutputsAsNumpy()] if not sg.OutputsIsNone() else []}
    for i in range(m.OperatorCodesLength()):
        d["opcodes"].append(_read_scalars(tflite.OperatorCode, m.OperatorCodes(i)))
    for i in range(m.BuffersLength()):
        b = m.Buffers(i)
        d["buffers"].append(b.DataAsNumpy().tobytes() if b.DataLength() else b"")
    for i in range(sg.TensorsLength()):
        t = sg.Tensors(i)
        td = _read_scalars(tflite.Tensor, t)
        td["Name"] = (t.Name() or b"").decode("utf-8", "replace")
        q = t.Quantization()
        td["quant"] = None if q is None else _read_scalars(tflite.QuantizationParameters, q)
        d["tensors"].append(td)
    for i in range(sg.OperatorsLength()):
        op = sg.Operators(i)
        od = _read_scalars(tflite.Operator, op)
        od.setdefault("OpcodeIndex", 0)
        name = _OPTION_CLASSES.get(op.BuiltinOptionsType())
        od["options"] = None
        if name and op.BuiltinOptions() is not None and hasattr(tflite, name):
            opts = getattr(tflite, name)()
            table = op.BuiltinOptions()
            opts.Init(table.Bytes, table.Pos)
            od["options"] = (name, _read_scalars(getattr(tflite, name), opts))
        d["ops"].append(od)
    return d


def _table(b: flatbuffers.Builder, cls: type, values: dict, offsets: dict) -> int:
    """Write one table: ``values`` by scalar field name, ``offsets`` (already written
    vectors/tables) by field name; every value written, defaults included."""
    fields = table_fields(cls)
    slots = {n: _slot(cls, n) for n in offsets}
    n = max([(fields[k][0] - 4) // 2 + 1 for k in values if k in fields]
            + [(s - 4) // 2 + 1 for s in slots.values()] + [0])
    b.StartObject(n)
    for k, v in values.items():
        if k in fields and fields[k][1] == "s":
            fmt = fields[k][2]
            getattr(b, _PREPEND[fmt])((fields[k][0] - 4) // 2, _fit(fmt, v), 0)
    for k, off in offsets.items():
        b.PrependUOffsetTRelativeSlot((slots[k] - 4) // 2, off, 0)
    return b.EndObject()


def _vec(b: flatbuffers.Builder, fmt: str, values) -> int:
    size = struct.calcsize(fmt)
    b.StartVector(size, len(values), max(size, 4))
    for v in reversed(list(values)):
        getattr(b, "Prepend" + _PREPEND[fmt][7:-4])(_fit(fmt, v))
    return b.EndVector()


def _offsets_vec(b: flatbuffers.Builder, offs: list[int]) -> int:
    b.StartVector(4, len(offs), 4)
    for o in reversed(offs):
        b.PrependUOffsetTRelative(o)
    return b.EndVector()


def _vector_fields(b, cls, values: dict) -> dict:
    fields = table_fields(cls)
    return {k: _vec(b, fields[k][2], v) for k, v in values.items()
            if k in fields and fields[k][1] == "v"}


def write_model(d: dict) -> bytes:
    """The flatbuffer of :func:`read_model`'s data (edited or not)."""
    b = flatbuffers.Builder(1 << 16)
    b.ForceDefaults(True)
    bufs = []
    for data in d["buffers"]:
        offs = {}
        if data:
            b.StartVector(1, len(data), 16)
            b.head -= len(data)
            b.Bytes[b.head:b.head + len(data)] = data
            offs["Data"] = b.EndVector()
        bufs.append(_table(b, tflite.Buffer, {}, offs))
    tensors = []
    for t in d["tensors"]:
        offs = _vector_fields(b, tflite.Tensor, t)
        offs["Name"] = b.CreateString(t["Name"])
        if t["quant"] is not None:
            q = t["quant"]
            offs["Quantization"] = _table(b, tflite.QuantizationParameters, q,
                                          _vector_fields(b, tflite.QuantizationParameters, q))
        tensors.append(_table(b, tflite.Tensor, t, offs))
    ops = []
    for o in d["ops"]:
        offs = _vector_fields(b, tflite.Operator, o)
        if o["options"] is not None:
            name, vals = o["options"]
            cls = getattr(tflite, name)
            offs["BuiltinOptions"] = _table(b, cls, vals, _vector_fields(b, cls, vals))
        ops.append(_table(b, tflite.Operator, o, offs))
    sg_offs = {"Tensors": _offsets_vec(b, tensors), "Operators": _offsets_vec(b, ops),
               "Inputs": _vec(b, "<i", d["inputs"]), "Outputs": _vec(b, "<i", d["outputs"]),
               "Name": b.CreateString("main")}
    sg = _table(b, tflite.SubGraph, {}, sg_offs)
    codes = [_table(b, tflite.OperatorCode, c, {}) for c in d["opcodes"]]
    model = _table(b, tflite.Model, {"Version": d["version"]},
                   {"OperatorCodes": _offsets_vec(b, codes), "Subgraphs": _offsets_vec(b, [sg]),
                    "Buffers": _offsets_vec(b, bufs),
                    "Description": b.CreateString("tinydeploy fuzz rebuild")})
    b.Finish(model, file_identifier=b"TFL3")
    return bytes(b.Output())


_BUILTINS = {k: v for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_")}
_COMMON_OPS = ("QUANTIZE", "DEQUANTIZE", "RELU", "RELU6", "RELU_N1_TO_1", "ADD", "MUL",
               "RESHAPE", "SQUEEZE", "EXPAND_DIMS", "SOFTMAX", "LOGISTIC", "TANH", "CONV_2D",
               "DEPTHWISE_CONV_2D", "FULLY_CONNECTED", "AVERAGE_POOL_2D", "MAX_POOL_2D",
               "CONCATENATION", "PAD", "PADV2", "MEAN", "TRANSPOSE", "CUSTOM")
_OPTIONS_OF = {"CONV_2D": "Conv2DOptions", "DEPTHWISE_CONV_2D": "DepthwiseConv2DOptions",
               "FULLY_CONNECTED": "FullyConnectedOptions", "AVERAGE_POOL_2D": "Pool2DOptions",
               "MAX_POOL_2D": "Pool2DOptions", "ADD": "AddOptions", "MUL": "MulOptions",
               "CONCATENATION": "ConcatenationOptions", "SOFTMAX": "SoftmaxOptions",
               "MEAN": "ReducerOptions", "RESHAPE": "ReshapeOptions", "PAD": "PadOptions"}


def _opcode(d: dict, opname: str) -> int:
    """Index of ``opname``'s operator code, added if the model has none."""
    code = _BUILTINS[opname]
    for i, c in enumerate(d["opcodes"]):
        if max(c.get("BuiltinCode", 0), c.get("DeprecatedBuiltinCode", 0)) == code:
            return i
    d["opcodes"].append({"DeprecatedBuiltinCode": min(code, 127), "BuiltinCode": code,
                         "Version": 1})
    return len(d["opcodes"]) - 1


def _opname(d: dict, op: dict) -> str:
    c = d["opcodes"][op["OpcodeIndex"]] if op["OpcodeIndex"] < len(d["opcodes"]) else {}
    code = max(c.get("BuiltinCode", 0), c.get("DeprecatedBuiltinCode", 0))
    return next((k for k, v in _BUILTINS.items() if v == code), str(code))


def _default_options(opname: str):
    name = _OPTIONS_OF.get(opname)
    return None if name is None else (name, {})


def rebuild_op(rng, d: dict):
    """One operator changed: its operator (the options follow, or not), its options
    (any field, defaults included), its inputs/outputs (reordered, one more, one less)."""
    if not d["ops"]:
        return None
    i = rng.randrange(len(d["ops"]))
    op = d["ops"][i]
    was = _opname(d, op)
    what = rng.random()
    if what < 0.35:
        new = rng.choice(_COMMON_OPS)
        op["OpcodeIndex"] = _opcode(d, new)
        if rng.random() < 0.6:
            opts = _default_options(new)
            op["options"] = opts
            op["BuiltinOptionsType"] = (0 if opts is None else
                                        getattr(tflite.BuiltinOptions, opts[0]))
        return f"op[{i}] {was} -> {new} (options {op['options'] and op['options'][0]})"
    if what < 0.7:
        name = (op["options"] or _default_options(was) or ("Conv2DOptions", {}))[0]
        cls = getattr(tflite, name)
        fields = [k for k, (_, kind, _) in table_fields(cls).items() if kind == "s"]
        if not fields:
            return None
        vals = dict(op["options"][1]) if op["options"] else {}
        k = rng.choice(fields)
        fmt = table_fields(cls)[k][2]
        vals[k] = _value(rng, fmt, vals.get(k, 0), extra=(0, 1, 2, 3, 4, 5, 6))
        op["options"] = (name, vals)
        op["BuiltinOptionsType"] = getattr(tflite.BuiltinOptions, name)
        return f"op[{i}] {was} {name}.{k} -> {_fit(fmt, vals[k])!r}"
    key = rng.choice(("Inputs", "Outputs"))
    lst = list(op.get(key, []))
    how = rng.choice(("swap", "append", "drop", "dup"))
    if how == "swap" and len(lst) >= 2:
        a, c = rng.sample(range(len(lst)), 2)
        lst[a], lst[c] = lst[c], lst[a]
    elif how == "append":
        lst.append(rng.randrange(len(d["tensors"])))
    elif how == "drop" and lst:
        del lst[rng.randrange(len(lst))]
    elif lst:
        lst.append(lst[0])
    else:
        return None
    op[key] = lst
    return f"op[{i}] {was} {key} {how} -> {lst}"


def rebuild_graph(rng, d: dict):
    """Operators removed, duplicated, moved; graph inputs/outputs changed."""
    ops = d["ops"]
    what = rng.random()
    if what < 0.25 and ops:
        i = rng.randrange(len(ops))
        del ops[i]
        return f"op[{i}] removed"
    if what < 0.45 and ops:
        i = rng.randrange(len(ops))
        ops.insert(rng.randrange(len(ops) + 1), dict(ops[i]))
        return f"op[{i}] duplicated"
    if what < 0.65 and len(ops) >= 2:
        i, j = rng.sample(range(len(ops)), 2)
        ops.insert(j, ops.pop(i))
        return f"op[{i}] moved to {j}"
    n = len(d["tensors"])
    key = rng.choice(("inputs", "outputs"))
    lst = d[key]
    how = rng.choice(("add", "replace", "clear"))
    if how == "add":
        lst.append(rng.randrange(n))
    elif how == "replace" and lst:
        lst[rng.randrange(len(lst))] = rng.randrange(n)
    else:
        lst.clear()
    return f"graph {key} {how} -> {lst}"


def rebuild_tensor(rng, d: dict):
    """A tensor's shape rank, quantization lists and axis, type, buffer, or variable flag;
    values that in-place patches cannot write (absent fields, other lengths)."""
    i = rng.randrange(len(d["tensors"]))
    t = d["tensors"][i]
    what = rng.random()
    if what < 0.3:
        shape = list(t.get("Shape", []))
        how = rng.choice(("add", "drop", "scale"))
        if how == "add":
            shape.insert(rng.randrange(len(shape) + 1), rng.choice((1, 2, 3)))
        elif how == "drop" and shape:
            del shape[rng.randrange(len(shape))]
        elif shape:
            k = rng.randrange(len(shape))
            shape[k] = shape[k] * rng.choice((2, 3)) or 1
        t["Shape"] = shape
        t.pop("ShapeSignature", None)
        return f"tensor[{i}] shape -> {shape}"
    if what < 0.7:
        q = t["quant"] if t["quant"] is not None else {}
        scale = list(q.get("Scale", [1.0]))
        how = rng.choice(("len", "axis", "zp_len", "new", "none"))
        if how == "len":
            scale = scale * rng.choice((2, 3)) if rng.random() < 0.5 else scale[:max(1,
                                                                                  len(scale) // 2)]
            q["Scale"] = scale
        elif how == "axis":
            q["QuantizedDimension"] = rng.choice((0, 1, 2, 3, 4, -1, 7))
        elif how == "zp_len":
            q["ZeroPoint"] = [0] * rng.choice((0, 2, len(scale) + 1))
        elif how == "new":
            q = {"Scale": [rng.choice((0.5, 1e-3, 1e-38, 1e38))] * rng.choice((1, 2, 8, 64)),
                 "ZeroPoint": [rng.choice((0, -128, 127, 300))],
                 "QuantizedDimension": rng.randrange(4)}
        else:
            t["quant"] = None
            return f"tensor[{i}] quantization removed"
        t["quant"] = q
        return (f"tensor[{i}] quant {how} -> {len(q.get('Scale', []))} scales, "
                f"{len(q.get('ZeroPoint', []))} zero points, axis "
                f"{q.get('QuantizedDimension', 0)}")
    if what < 0.85:
        t["Type"] = rng.choice((0, 1, 2, 3, 4, 6, 7, 9, 10, 16, 17, 99, -1))
        return f"tensor[{i}] type -> {t['Type']}"
    t["Buffer"] = rng.choice((0, len(d["buffers"]), rng.randrange(len(d["buffers"]))))
    return f"tensor[{i}] buffer -> {t['Buffer']}"


def rebuild(kind: str, rng: random.Random, data: bytes) -> tuple[bytes, str] | None:
    d = read_model(data)
    desc = {"tfl_rebuild_op": rebuild_op, "tfl_rebuild_graph": rebuild_graph,
            "tfl_rebuild_tensor": rebuild_tensor}[kind](rng, d)
    return None if desc is None else (write_model(d), desc)


REBUILD_KINDS = ("tfl_rebuild_op", "tfl_rebuild_graph", "tfl_rebuild_tensor")
KINDS.update({k: rebuild for k in REBUILD_KINDS})
