"""The one reader of .onnx files, shared by the int8 frontend and the float quantizer.

:class:`OnnxModel` reads and checks the file (protobuf parse, ``onnx.checker``), makes
every shape static (a symbolic batch dimension of an input becomes 1, with a note; any
other unknown dimension is an error naming the tensor) and runs ONNX shape inference, so
a bad file fails the same way, with the file named, whichever loader asked. It also
collects what both loaders need before converting a node: initializers as numpy arrays,
the consumers of every tensor, element types and the inferred static shapes.

The node-level helpers (:func:`attrs`, :func:`opt`, :func:`constant_value`,
:func:`evaluate`, :func:`node_error`) give both loaders the same attribute access,
constant folding and error format: file, node name (or first output), op type, reason.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from tinydeploy.errors import TinyDeployError, UnsupportedError


def read_onnx(path: str) -> onnx.ModelProto:
    """Parse and check an .onnx file; a TinyDeployError naming the file if it is bad."""
    if not Path(path).is_file():
        raise TinyDeployError("no such file", file=path)
    try:
        model = onnx.load(path)
    except Exception as e:  # noqa: BLE001 - protobuf raises several types on bad bytes
        raise TinyDeployError(f"not a valid ONNX file (corrupt or truncated): "
                              f"{type(e).__name__}: {e}".strip(), file=path) from None
    if not model.graph.node or not model.graph.output:
        raise TinyDeployError("not a valid ONNX file (corrupt or truncated): no graph nodes "
                              "or outputs", file=path)
    try:
        onnx.checker.check_model(model)
    except Exception as e:  # noqa: BLE001 - ValidationError and friends
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise TinyDeployError(f"invalid ONNX model: {first}", file=path) from None
    return model


def static_shapes(model: onnx.ModelProto, path: str, notes: list[str]) -> onnx.ModelProto:
    """Fix a symbolic batch dim of the inputs to 1, reject other unknown dims, infer."""
    m = onnx.ModelProto()
    m.CopyFrom(model)
    inits = {i.name for i in m.graph.initializer}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        tt = inp.type.tensor_type
        if not tt.HasField("shape"):
            raise TinyDeployError(f"input '{inp.name}' has an unknown (dynamic) shape; "
                                  "tinydeploy needs static shapes", file=path)
        for i, d in enumerate(tt.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                continue
            label = d.dim_param or "?"
            if i == 0 and len(tt.shape.dim) > 1:
                d.Clear()
                d.dim_value = 1
                notes.append(f"input '{inp.name}': symbolic batch dimension '{label}' "
                             "fixed to 1")
            else:
                raise TinyDeployError(f"input '{inp.name}' has a dynamic dimension "
                                      f"'{label}' (dim {i}); tinydeploy needs static "
                                      "shapes", file=path)
    del m.graph.value_info[:]
    for out in m.graph.output:
        out.type.tensor_type.ClearField("shape")
    try:
        return onnx.shape_inference.infer_shapes(m, strict_mode=False, data_prop=True)
    except Exception as e:  # noqa: BLE001 - InferenceError and friends
        raise TinyDeployError(f"shape inference failed: {e}", file=path) from None


class OnnxModel:
    """A checked ONNX model with static, inferred shapes, and what every loader reads first.

    ``proto``/``graph``: the static-shaped model; ``opset``: its default-domain opset;
    ``notes``: what was changed (a fixed batch dimension); ``initializers``: name -> numpy
    array; ``consumers``: tensor name -> the nodes reading it.
    """

    def __init__(self, path: str | Path):
        self.path = str(path)
        self.notes: list[str] = []
        self.proto = static_shapes(read_onnx(self.path), self.path, self.notes)
        self.graph = self.proto.graph
        self.opset = next((o.version for o in self.proto.opset_import
                           if o.domain in ("", "ai.onnx")), 1)
        self.initializers = {i.name: numpy_helper.to_array(i) for i in self.graph.initializer}
        self.consumers: dict[str, list[onnx.NodeProto]] = {}
        for node in self.graph.node:
            for i in node.input:
                if i:
                    self.consumers.setdefault(i, []).append(node)

    def value_infos(self) -> tuple:
        return (*self.graph.value_info, *self.graph.input, *self.graph.output)

    def elem_types(self) -> dict[str, int]:
        """ONNX element type of every tensor known (initializers, inferred values, edges)."""
        types = {i.name: i.data_type for i in self.graph.initializer}
        for vi in self.value_infos():
            if vi.type.tensor_type.elem_type:
                types.setdefault(vi.name, vi.type.tensor_type.elem_type)
        return types

    def inferred_shapes(self, consts) -> dict[str, tuple[int, ...]]:
        """Static shape of every inferred non-constant value; unknown dims are an error."""
        shapes = {}
        for vi in self.value_infos():
            tt = vi.type.tensor_type
            if vi.name in consts or not tt.HasField("shape"):
                continue
            dims = tt.shape.dim
            if any(not d.HasField("dim_value") for d in dims):
                raise TinyDeployError(f"tensor '{vi.name}' has a dynamic or unknown shape "
                                      f"({_dims(dims)}); tinydeploy needs static shapes",
                                      file=self.path)
            shapes[vi.name] = tuple(int(d.dim_value) for d in dims)
        return shapes


def _dims(dims) -> str:
    return "[" + ", ".join(str(d.dim_value) if d.HasField("dim_value") else
                           (d.dim_param or "?") for d in dims) + "]"


def attrs(node: onnx.NodeProto) -> dict:
    """The node's attributes as Python values (strings decoded)."""
    out = {}
    for a in node.attribute:
        v = helper.get_attribute_value(a)
        out[a.name] = v.decode() if isinstance(v, bytes) else v
    return out


def opt(node: onnx.NodeProto, i: int) -> str | None:
    """Name of optional input ``i``, None when absent or empty."""
    return node.input[i] if len(node.input) > i and node.input[i] else None


def node_label(node: onnx.NodeProto) -> str:
    """How messages name a node: its name, else its first output."""
    return node.name or (node.output[0] if node.output else node.op_type)


def node_error(path: str, node: onnx.NodeProto | None, reason: str,
               cls: type = UnsupportedError) -> TinyDeployError:
    """An error naming the file and ``node`` (raise it)."""
    return cls(reason, file=path, node=node_label(node) if node else None,
               op=node.op_type if node else None)


def constant_value(node: onnx.NodeProto, path: str) -> np.ndarray:
    """The value of a Constant node."""
    a = node.attribute[0]
    if a.name == "value":
        return numpy_helper.to_array(a.t)
    v = helper.get_attribute_value(a)
    if a.name in ("value_float", "value_floats"):
        return np.array(v, dtype=np.float32)
    if a.name in ("value_int", "value_ints"):
        return np.array(v, dtype=np.int64)
    raise node_error(path, node, f"Constant with attribute '{a.name}' is not supported")


def evaluate(node: onnx.NodeProto, consts: dict[str, np.ndarray], opset: int,
             path: str) -> list[np.ndarray]:
    """Outputs of a node whose inputs are all constants (shape arithmetic, weight prep),
    computed by ONNX's reference evaluator."""

    ins = [i for i in node.input if i]
    feeds = {i: consts[i] for i in ins}
    vis = [helper.make_tensor_value_info(i, helper.np_dtype_to_tensor_dtype(v.dtype), v.shape)
           for i, v in feeds.items()]
    outs = [helper.make_empty_tensor_value_info(o) for o in node.output if o]
    model = helper.make_model(helper.make_graph([node], "fold", vis, outs),
                              opset_imports=[helper.make_opsetid("", opset)])
    try:
        return [np.asarray(v) for v in ReferenceEvaluator(model).run(None, feeds)]
    except Exception as e:  # noqa: BLE001 - any evaluation failure is the model's
        raise node_error(path, node, f"cannot evaluate constant node: {e}") from None
