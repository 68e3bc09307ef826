"""Deeploy test folders (``network.onnx``, ``inputs.npz``, ``outputs.npz``) as the C API
sees them: input C types and shapes taken from the data, as Deeploy takes them, and the
integer families the tensor-level importer is built for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnx

from tests.conftest import MODELS_DIR

# Folders of these families are integer networks the compiler reproduces bit for bit.
FAMILIES = ("Kernels_Integer_", "Models_CCT_Int_", "Models_microLlama_INT8_", "Models_CNN_",
            "Models_EEGFormer", "Models_miniMobileNet")


def integer_family(name: str) -> bool:
    return name.startswith(FAMILIES)


def family_folders() -> list[str]:
    """Names of the shared Deeploy folders in the families (empty without the models)."""
    root = MODELS_DIR / "deeploy"
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir()
                  if (p / "network.onnx").exists() and integer_family(p.name))


def input_type(folder: Path) -> str | None:
    """The C type Deeploy would give the inputs: the narrowest integer type holding every
    input value (None when they are not all integers: a float network)."""
    z = np.load(folder / "inputs.npz")
    arrays = [np.asarray(z[k]) for k in z.files if z[k].size]
    if not arrays or not all(np.all(a == np.round(a)) for a in arrays):
        return None
    lo, hi = min(int(a.min()) for a in arrays), max(int(a.max()) for a in arrays)
    for name, (a, b) in (("int8", (-128, 127)), ("uint8", (0, 255)),
                         ("int16", (-2**15, 2**15 - 1))):
        if a <= lo and hi <= b:
            return name
    return "int32"


def input_shapes(folder: Path) -> dict[str, tuple[int, ...]]:
    """Shapes of the inputs whose ONNX dims are not all fixed, from inputs.npz (by name,
    else in graph-input order)."""
    m = onnx.load(folder / "network.onnx", load_external_data=False)
    z = np.load(folder / "inputs.npz")
    inits = {i.name for i in m.graph.initializer}
    left, out = list(z.files), {}
    for inp in m.graph.input:
        if inp.name in inits:
            continue
        key = inp.name if inp.name in left else left[0]
        left.remove(key)
        dims = inp.type.tensor_type.shape.dim
        if any(not d.HasField("dim_value") or d.dim_value <= 0 for d in dims):
            out[inp.name] = tuple(z[key].shape)
    return out


def record(manifest: dict, folder: Path) -> list[np.ndarray]:
    """inputs.npz as one C record (by input name, else the next array of the input's
    size; some files also hold the weights), in the C type of each input."""
    z = np.load(folder / "inputs.npz")
    left, rec = list(z.files), []
    for spec in manifest["inputs"]:
        size = int(np.prod(spec["shape"]))
        key = spec["name"] if spec["name"] in left else \
            next(k for k in left if z[k].size == size)
        left.remove(key)
        rec.append(np.asarray(z[key]).astype(spec["dtype"]).reshape(spec["shape"]))
    return rec


def expected(folder: Path) -> list[np.ndarray]:
    o = np.load(folder / "outputs.npz")
    return [np.asarray(o[k]) for k in o.files]
