"""One reader and one op table per format, shared by the int8 frontend and the float
quantizer: both loaders accept exactly the operators the table gives them (checked by
loading one-operator models, not by asking the loaders), every role/hook the table uses is
implemented by the loaders that accept it, bad files fail the same way in both, and no
module outside ``tinydeploy.frontend`` reaches into the frontend's private names."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import onnx
import pytest
from onnx import TensorProto, defs, helper
from tflite.utils import BUILTIN_OPCODE2NAME

import tinydeploy
from tests.conftest import model_path
from tests.tflite_writer import TFLiteBuilder
from tinydeploy.errors import TinyDeployError
from tinydeploy.frontend import onnx_ops, onnx_select, tflite_ops
from tinydeploy.frontend.onnx import HANDLERS as INT8_ONNX_HANDLERS
from tinydeploy.frontend.onnx import load_onnx
from tinydeploy.frontend.tflite import load_tflite
from tinydeploy.ir.graph import QuantParams
from tinydeploy.quantize.float_onnx import load_float_onnx
from tinydeploy.quantize.float_onnx_ops import HANDLERS as FLOAT_ONNX_HANDLERS
from tinydeploy.quantize.float_tflite import load_float_tflite

TFLITE_LOADERS = {"int8": (load_tflite, "int8"), "float": (load_float_tflite, "float32")}
ONNX_LOADERS = {"int8": (load_onnx, TensorProto.INT8), "float": (load_float_onnx,
                                                                 TensorProto.FLOAT)}
# standard operators neither loader supports: they must be refused by both
ONNX_UNSUPPORTED = ["Hardmax", "LeakyRelu", "Sub", "HardSwish", "Exp", "ConvTranspose", "Resize"]


def _refuses(load, path: Path, opname: str) -> bool:
    """True when ``load`` rejects ``path`` because of operator ``opname`` itself; any other
    outcome (success, or an error about tensors/options) means the operator got through."""
    try:
        load(path)
    except TinyDeployError as e:
        return f"unsupported operator {opname}" in str(e)
    return False


# ---- TFLite ----------------------------------------------------------------------------

def _tflite_one_op(tmp_path: Path, opname: str, dtype: str) -> Path:
    w = TFLiteBuilder()
    q = QuantParams.make(0.05, 0) if dtype == "int8" else None
    x, y = (w.tensor(n, (1, 4, 4, 2), dtype, q) for n in ("x", "y"))
    w.op(opname, [x], [y])
    path = tmp_path / f"{opname}_{dtype}.tflite"
    path.write_bytes(w.finish([x], [y]))
    return path


@pytest.mark.parametrize("loader", sorted(TFLITE_LOADERS))
def test_tflite_loader_accepts_exactly_the_op_table(tmp_path, loader):
    load, dtype = TFLITE_LOADERS[loader]
    names = sorted(set(BUILTIN_OPCODE2NAME.values()) - {"CUSTOM", "DELEGATE"})
    accepted = [n for n in names if not _refuses(load, _tflite_one_op(tmp_path, n, dtype), n)]
    table = tflite_ops.supported(loader)
    assert accepted == [n for n in table if not n.startswith("CUSTOM(")]
    assert set(accepted) <= set(names)          # every table name is a real builtin
    # the only custom operators: TFLite Micro's signal library (int8 loader)
    custom = [n for n in table if n.startswith("CUSTOM(")]
    assert all(n.startswith("CUSTOM(Signal") for n in custom)
    assert len(custom) == (9 if loader == "int8" else 0)


def test_tflite_loaders_differ_only_where_the_table_says_why():
    """The float quantizer takes the CNN core; TFLite Micro's further builtins (rows added
    by tflite_ops_math/_movement/_linear/_recurrent/_signal) are int8-loader only, as is
    QUANTIZE - but EXP and NEG, which TFLite Micro runs in float32 only, and
    UNIDIRECTIONAL_SEQUENCE_LSTM, which TFLite Micro also runs in float32 (its own
    mnist_lstm example is a float model: the float32 kernel td_lstm_f32 compiles it)."""
    from tinydeploy.frontend import (tflite_ops_linear, tflite_ops_math, tflite_ops_movement,
                                     tflite_ops_recurrent, tflite_ops_signal)

    int8, flt = set(tflite_ops.supported("int8")), set(tflite_ops.supported("float"))
    more = {*tflite_ops_math.ROWS, *tflite_ops_movement.ROWS, *tflite_ops_linear.ROWS,
            *tflite_ops_recurrent.ROWS, *tflite_ops_signal.ROWS}
    float_only_in_tflm = {"EXP", "NEG"}
    float_too = {"UNIDIRECTIONAL_SEQUENCE_LSTM"}
    assert int8 - flt == {"QUANTIZE"} | (more - float_only_in_tflm - float_too) and \
        flt - int8 == set()
    assert float_only_in_tflm | float_too <= flt


def test_tflite_converters_implement_every_hook_of_the_table():
    """The dtype-specific hooks the shared mappers call exist in both loaders."""
    base = tflite_ops.OpConverter
    hooks = [name for name, f in vars(base).items()
             if callable(f) and "raise NotImplementedError" in inspect.getsource(f)]
    assert {"convert_tensor", "weights", "dequantize"} <= set(hooks)
    loaders = {c.LOADER: c for c in base.__subclasses__()}
    assert set(loaders) == {"int8", "float"}
    for cls in loaders.values():
        missing = [h for h in hooks if getattr(cls, h) is getattr(base, h)]
        assert not missing, f"{cls.__name__} lacks {missing}"


# ---- ONNX ------------------------------------------------------------------------------

def _onnx_one_node(tmp_path: Path, op: str, domain: str, elem: int) -> Path:
    """x -> <op>(x, x, ...) -> y with the schema's minimum inputs and required attributes."""
    schema, opset = None, 17
    if defs.has(op, domain):     # operators newer than opset 17 (Gelu): their first opset
        if not defs.has(op, 17, domain):
            opset = defs.get_schema(op, domain=domain).since_version
        schema = defs.get_schema(op, opset, domain)
    n_in = max(schema.min_input, 1) if schema else 8      # com.microsoft: no schema here
    dummy = {defs.OpSchema.AttrType.INT: 1, defs.OpSchema.AttrType.FLOAT: 1.0,
             defs.OpSchema.AttrType.INTS: [1], defs.OpSchema.AttrType.STRING: "x"}
    attrs = {n: dummy[a.type] for n, a in schema.attributes.items() if a.required} \
        if schema else {}
    if op == "Cast":
        attrs["to"] = elem
    node = helper.make_node(op, ["x"] * n_in, ["y"], name="n", domain=domain, **attrs)
    x, y = (helper.make_tensor_value_info(n, elem, [1, 2, 4, 4]) for n in ("x", "y"))
    opsets = [helper.make_opsetid("", opset)] + ([helper.make_opsetid(domain, 1)] if domain
                                              else [])
    model = helper.make_model(helper.make_graph([node], "g", [x], [y]), ir_version=8,
                              opset_imports=opsets)
    path = tmp_path / f"{op}_{elem}.onnx"
    onnx.save(model, path)
    return path


@pytest.mark.parametrize("loader", sorted(ONNX_LOADERS))
def test_onnx_loader_accepts_exactly_the_op_table(tmp_path, loader):
    load, elem = ONNX_LOADERS[loader]
    ops = {name: spec.domain for name, spec in onnx_ops.OPS.items()}
    ops.update({name: "" for name in ONNX_UNSUPPORTED})
    accepted = sorted(n for n, domain in ops.items()
                      if not _refuses(load, _onnx_one_node(tmp_path, n, domain, elem), n))
    assert accepted == onnx_ops.supported(loader)


def test_onnx_loaders_differ_only_where_the_table_says_why():
    int8, flt = set(onnx_ops.supported("int8")), set(onnx_ops.supported("float"))
    assert flt - int8 == {"BatchNormalization"}
    assert int8 - flt == {"Cast", "Shape"} | {n for n, s in onnx_ops.OPS.items() if s.quantized} \
        | onnx_ops.TRANSFORMER_ROWS | set(onnx_select.ROWS)     # Gather/Slice: int8 picks


@pytest.mark.parametrize("loader,handlers", [("int8", INT8_ONNX_HANDLERS),
                                             ("float", FLOAT_ONNX_HANDLERS)])
def test_onnx_loader_handles_exactly_the_roles_of_its_table_entries(loader, handlers):
    roles = {spec.role for spec in onnx_ops.OPS.values() if loader in spec.loaders}
    assert set(handlers) == roles


def test_onnx_microsoft_ops_are_refused_in_the_default_domain(tmp_path):
    path = _onnx_one_node(tmp_path, "Conv", "", TensorProto.INT8)
    m = onnx.load(path)
    m.graph.node[0].op_type = "QLinearAdd"      # a com.microsoft op in the ai.onnx domain
    onnx.save(m, path)
    with pytest.raises(TinyDeployError):
        load_onnx(path)
    assert onnx_ops.lookup(m.graph.node[0], "int8") is None


# ---- one reader: the same error for a bad file, from both loaders -------------------------

def test_truncated_tflite_fails_the_same_way_in_both_loaders(tmp_path):
    data = model_path("kws_dscnn_int8.tflite").read_bytes()
    path = tmp_path / "truncated.tflite"
    path.write_bytes(data[:len(data) // 2])
    msgs = set()
    for load, _ in TFLITE_LOADERS.values():
        with pytest.raises(TinyDeployError) as e:
            load(path)
        msgs.add(str(e.value))
    assert len(msgs) == 1 and str(path) in msgs.pop()


def test_dynamic_onnx_input_fails_the_same_way_in_both_loaders(tmp_path):
    msgs = set()
    for load, elem in ONNX_LOADERS.values():
        path = _onnx_one_node(tmp_path, "Relu", "", elem)
        m = onnx.load(path)
        m.graph.input[0].type.tensor_type.shape.dim[2].dim_param = "H"
        onnx.save(m, path)
        with pytest.raises(TinyDeployError) as e:
            load(path)
        msgs.add(str(e.value).replace(str(path), "<file>"))
    assert msgs == {"<file>: input 'x' has a dynamic dimension 'H' (dim 2); tinydeploy "
                    "needs static shapes"}


# ---- layering: nobody outside frontend/ imports its private names --------------------------

def _module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    """Absolute module name of ``from <node.module> import ...`` (relative imports too)."""
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base[:len(base) - node.level + (1 if is_package else 0)]
    return ".".join(base + ([node.module] if node.module else []))


def _private_frontend_uses(path: Path, root: Path) -> list[str]:
    """``from tinydeploy.frontend... import _x`` and ``<frontend module>._x`` in ``path``."""
    module, tree = _module_name(path, root), ast.parse(path.read_text(), str(path))
    is_package = path.name == "__init__.py"
    bound: dict[str, str] = {}          # local name -> frontend module it refers to
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            src = _resolve(module, is_package, node)
            for a in node.names:
                full = f"{src}.{a.name}"
                if src.startswith("tinydeploy.frontend") and a.name.startswith("_"):
                    found.append(f"{path}:{node.lineno}: from {src} import {a.name}")
                if full.startswith("tinydeploy.frontend") or full == "tinydeploy.frontend":
                    bound[a.asname or a.name] = full
        elif isinstance(node, ast.Import):
            for a in node.names:            # "import a.b.c" binds a; "... as x" binds x
                if a.name.startswith("tinydeploy"):
                    name = a.name if a.asname else a.name.split(".")[0]
                    bound[a.asname or name] = name
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and \
                not node.attr.startswith("__"):
            dotted = _dotted(node.value)
            head = dotted.split(".")[0] if dotted else ""
            target = bound.get(head, "") + dotted[len(head):] if head in bound else ""
            if target.startswith("tinydeploy.frontend"):
                found.append(f"{path}:{node.lineno}: {target}.{node.attr}")
    return found


def _dotted(node) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        inner = _dotted(node.value)
        return f"{inner}.{node.attr}" if inner else ""
    return ""


def test_no_module_outside_frontend_imports_private_frontend_names():
    root = Path(tinydeploy.__file__).parent
    frontend = root / "frontend"
    files = [p for p in root.rglob("*.py") if frontend not in p.parents]
    assert len(files) > 20
    found = [hit for p in files for hit in _private_frontend_uses(p, root)]
    assert not found, "\n".join(found)


def test_the_private_import_scan_finds_what_it_looks_for(tmp_path):
    """The scan itself: absolute, relative and attribute uses are all caught."""
    pkg = tmp_path / "tinydeploy"
    (pkg / "quantize").mkdir(parents=True)
    bad = pkg / "quantize" / "bad.py"
    bad.write_text("from tinydeploy.frontend.tflite import _Reader\n"
                   "from ..frontend.onnx import _read, load_onnx\n"
                   "from tinydeploy.frontend import tflite as t\n"
                   "import tinydeploy.frontend.onnx\n"
                   "x = t._c_identifier('a')\n"
                   "y = tinydeploy.frontend.onnx._static_shapes\n"
                   "z = t.load_tflite\n")
    found = _private_frontend_uses(bad, pkg)
    assert len(found) == 4, found
