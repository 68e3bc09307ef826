"""Compile options: one frozen record, written into the project's manifest and read back
by :func:`tinydeploy.load_project`, so a project is always re-checked exactly as it was
compiled."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace

from tinydeploy.errors import TinyDeployError
from tinydeploy.train.spec import TrainSpec

KERNEL_SETS = ("ref", "opt")
BOARDS = ("host", "qemu-rv32")
IO_LAYOUTS = ("source", "nhwc")
INPUT_TYPES = ("int8", "uint8", "int16", "int32")
DEFAULT_KERNELS = {"host": "ref", "qemu-rv32": "opt"}


@dataclass(frozen=True)
class CompileOptions:
    """How to compile a model.

    - ``target``: a bundled target name (``tinydeploy targets``) or a target ``.toml`` path;
      targets with more than one memory level tile every layer through L1.
    - ``board``: ``host`` (portable C only) or ``qemu-rv32`` (adds the bare-metal rv32imc
      build and QEMU runner).
    - ``kernels``: ``ref`` (plain reference C) or ``opt`` (optimized variants tuned for
      rv32imc); ``None`` picks the board's default (host ref, qemu-rv32 opt).
    - ``name``: the C prefix of the generated API (default: the model file's name).
    - ``io_layout``: ``source`` (the model's own, NCHW for ONNX) or ``nhwc``.
    - ``input_type``: NEMO/QuantLab/Deeploy graphs: C type of the input (int8 or uint8;
      int16/int32 for integer graphs read tensor by tensor).
    - ``input_shapes``: ``NAME=D0,D1,..`` per input whose ONNX dims are symbolic (integer
      graphs; a dim of 0 is an empty input, e.g. an empty KV cache).
    - ``max_context``: language models given as one decode step whose KV cache comes in as
      inputs: generate ``<name>_reset``/``<name>_step`` with the cache in static memory for
      up to this many tokens (see :mod:`tinydeploy.passes.decode`).
    - ``output_tensors``: NEMO/QuantLab/Deeploy graphs: ONNX tensors to produce as outputs
      instead of the graph outputs.
    - ``train``: a training step instead of inference only (``tinydeploy train``): the
      fields of :class:`tinydeploy.train.TrainSpec` as a dict.
    - ``harts``: cores that run every layer together (``--board qemu-rv32``: the harts of
      ``qemu -smp N``, ``make rv32-par``); the optimized kernels split each layer over
      them and the memory plan reserves each core's scratch.
    - ``stream``: one time step per call: a causal temporal convolution network given as
      a whole sequence keeps each layer's receptive-field history in RAM across calls
      (:mod:`tinydeploy.passes.streaming`; ``<name>_reset()`` restarts the sequence).
    """

    target: str = "host"
    board: str = "host"
    kernels: str | None = None
    name: str | None = None
    io_layout: str = "source"
    input_type: str | None = None
    output_tensors: tuple[str, ...] = ()
    input_shapes: tuple[str, ...] = ()
    max_context: int | None = None
    harts: int = 1
    train: dict | None = None
    stream: bool = False

    @classmethod
    def make(cls, base: "CompileOptions | None" = None, **values) -> "CompileOptions":
        """``base`` with ``values`` replaced; unknown names are an error."""
        known = {f.name for f in fields(cls)}
        bad = sorted(set(values) - known)
        if bad:
            raise TypeError(f"unknown compile option(s) {', '.join(bad)} "
                            f"(known: {', '.join(sorted(known))})")
        if "output_tensors" in values:
            values["output_tensors"] = tuple(values["output_tensors"] or ())
        if "input_shapes" in values:
            values["input_shapes"] = _shape_specs(values["input_shapes"])
        if isinstance(values.get("train"), TrainSpec):
            values["train"] = values["train"].to_dict()
        if values.get("io_layout") is None and "io_layout" in values:
            values["io_layout"] = "source"
        return replace(base or cls(), **values)

    def resolved(self, file: str | None = None) -> "CompileOptions":
        """Checked, with the board's default kernel set filled in."""
        def bad(what: str, value, allowed) -> TinyDeployError:
            return TinyDeployError(f"unknown {what} '{value}' ({' or '.join(allowed)})",
                                   file=file)

        if self.board not in BOARDS:
            raise bad("board", self.board, BOARDS)
        if self.io_layout not in IO_LAYOUTS:
            raise bad("io layout", self.io_layout, IO_LAYOUTS)
        if self.input_type is not None and self.input_type not in INPUT_TYPES:
            raise bad("input type", self.input_type, INPUT_TYPES)
        kernels = self.kernels or DEFAULT_KERNELS[self.board]
        if kernels not in KERNEL_SETS:
            raise bad("kernel set", kernels, KERNEL_SETS)
        if not 1 <= int(self.harts) <= 64 or (self.harts > 1 and (
                self.board != "qemu-rv32" or kernels != "opt")):
            raise TinyDeployError(f"--harts {self.harts}: 1 to 64, and more than one only "
                                  "with --board qemu-rv32 and the optimized kernels",
                                  file=file)
        parse_input_shapes(self.input_shapes, file)
        if self.train is not None:
            TrainSpec.make(file, **self.train)
            if self.harts > 1 or self.max_context:
                raise TinyDeployError("a training step runs on one core and is not a "
                                      "decode loop (no --harts, no --max-context)", file=file)
        if self.stream and (self.train is not None or self.max_context):
            raise TinyDeployError("--stream compiles inference one time step per call (no "
                                  "training step, no --max-context)", file=file)
        return replace(self, kernels=kernels, output_tensors=tuple(self.output_tensors),
                       stream=bool(self.stream))

    def frontend(self) -> dict:
        """The keyword arguments of :func:`tinydeploy.frontend.load_model`."""
        return {"io_layout": self.io_layout, "input_type": self.input_type,
                "outputs": list(self.output_tensors) or None,
                "input_shapes": parse_input_shapes(self.input_shapes) or None}

    def to_dict(self) -> dict:
        d = asdict(self)
        d["output_tensors"] = list(self.output_tensors)
        d["input_shapes"] = list(self.input_shapes)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "CompileOptions":
        return cls.make(**{k: v for k, v in d.items() if k in {f.name for f in fields(cls)}})


def _shape_specs(values) -> tuple[str, ...]:
    """``input_shapes`` as "NAME=D0,D1" strings (a dict name -> dims is accepted too)."""
    if isinstance(values, dict):
        return tuple(f"{k}={','.join(str(int(d)) for d in v)}" for k, v in values.items())
    return tuple(values or ())


def parse_input_shapes(specs, file: str | None = None) -> dict[str, tuple[int, ...]]:
    """{"NAME": dims} of ``NAME=D0,D1,..`` strings; an error for a malformed one."""
    out: dict[str, tuple[int, ...]] = {}
    for spec in specs:
        name, sep, dims = str(spec).rpartition("=")
        try:
            shape = tuple(int(d) for d in dims.split(",")) if dims.strip() else ()
        except ValueError:
            shape = None
        if not sep or not name or shape is None or any(d < 0 for d in shape):
            raise TinyDeployError(f"--input-shape '{spec}' is not NAME=D0,D1,.. with "
                                  "non-negative integer dims", file=file)
        out[name] = shape
    return out
