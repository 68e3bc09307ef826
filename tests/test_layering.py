"""The package's shape: pipeline stages never import what runs or inspects a compiled
project (check/, report/), and no two modules import each other, directly or in a circle.

Imports are read from the source (ast), at any depth: a function-local import counts as
much as a top-level one (hiding a cycle inside a function does not remove it); only
``if TYPE_CHECKING:`` blocks (annotations) are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

import tinydeploy

ROOT = Path(tinydeploy.__file__).parent
PIPELINE = ("frontend", "ir", "passes", "quant", "quantize", "train", "tiling", "memory",
            "targets", "codegen", "runtime")
INSPECTION = ("check", "report")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_nodes(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip |= {id(n) for stmt in node.body for n in ast.walk(stmt)}
    return skip


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The tinydeploy modules ``path`` imports (``from a import b``: a.b if a module)."""
    tree = ast.parse(path.read_text())
    skip = _type_checking_nodes(tree)
    me = module_name(path)
    package = me if path.name == "__init__.py" else me.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(up + ([base] if base else []))
            for a in node.names:
                sub = f"{base}.{a.name}"
                found.add(sub if sub in modules else base)
    return {m for m in found if m in modules and m != me}


def graph() -> dict[str, set[str]]:
    files = sorted(ROOT.rglob("*.py"))
    modules = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, modules) for f in files}


def _stage(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_pipeline_never_imports_check_or_report():
    bad = [(m, d) for m, deps in graph().items() if _stage(m) in PIPELINE
           for d in deps if _stage(d) in INSPECTION]
    assert not bad, f"pipeline modules import check/ or report/: {bad}"


def test_check_and_report_do_not_import_the_api_or_cli():
    bad = [(m, d) for m, deps in graph().items() if _stage(m) in INSPECTION
           for d in deps if d in ("tinydeploy", "tinydeploy.api", "tinydeploy.cli")]
    assert not bad, bad


def find_cycle(g: dict[str, set[str]]) -> list[str] | None:
    """One import cycle of ``g`` (a list of modules, first == last), or None.

    A package imports its ``__init__``'s names, so ``a.b`` -> ``a`` edges are real; the
    edge from a package ``a`` to its own submodule ``a.b`` is the package exposing it."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        stack.append(m)
        for d in sorted(g.get(m, ())):
            if state.get(d) == 1:
                return stack[stack.index(d):] + [d]
            if d not in state:
                c = visit(d)
                if c:
                    return c
        stack.pop()
        state[m] = 2
        return None

    for m in sorted(g):
        if m not in state:
            c = visit(m)
            if c:
                return c
    return None


def _without_package_exports(g: dict[str, set[str]]) -> dict[str, set[str]]:
    """Drop submodule -> own ancestor package edges: importing ``tinydeploy.x.y`` runs
    ``tinydeploy.x/__init__`` first anyway, so such an edge adds no ordering."""
    return {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in g.items()}


def test_no_import_cycles():
    cycle = find_cycle(_without_package_exports(graph()))
    assert cycle is None, "import cycle: " + " -> ".join(cycle)


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_function_local_imports_are_rare():
    """Imports belong at the top of a module; the few inside functions are optional,
    heavy dependencies, listed here with the reason."""
    allowed = {
        "tinydeploy.check.reference": {"tflite_micro", "onnxruntime"},   # test extras
        "tinydeploy.check.pulp_reference": {"onnxruntime"},
        "tinydeploy.quantize.stages": {"onnxruntime"},
        "tinydeploy.quantize.export_onnx": {"onnxruntime"},
    }
    found = {}
    for f in sorted(ROOT.rglob("*.py")):
        tree = ast.parse(f.read_text())
        for fn in ast.walk(tree):
            if not isinstance(fn, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(fn):
                if isinstance(node, (ast.Import, ast.ImportFrom)):
                    names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                             else [node.module or ""])
                    for n in names:
                        if n.split(".")[0] not in allowed.get(module_name(f), set()):
                            found.setdefault(module_name(f), []).append(n)
    assert not found, f"function-local imports: {found}"
