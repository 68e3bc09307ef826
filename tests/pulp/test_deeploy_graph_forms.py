"""Deeploy graphs in the forms issue 11 names, through the command line:

- inputs with symbolic dims, resolved by ``--input-shape NAME=DIMS`` (a KV cache's length,
  the token count), compile to the same exact network; without the option the compile is
  refused in one line naming the input;
- nodes that are not topologically sorted compile and run exactly as the sorted graph;
- every Deeploy folder outside the integer families (float, mixed, training graphs) either
  compiles or is refused in one line naming the file and the reason, exit 2, no output.
"""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from tests.conftest import MODELS_DIR, model_path
from tests.pulp import deeploy_data as dd
from tinydeploy.check.hostrun import build, run
from tinydeploy.cli import main

pytestmark = [pytest.mark.cc, pytest.mark.models]

LLAMA = "Models_microLlama_INT8_microLlama4"


def _exact(out, folder) -> None:
    man = json.loads((out / "manifest.json").read_text())
    got = run(build(out, sanitize=True), man, [dd.record(man, folder)])[0]
    for y, w in zip(got, dd.expected(folder)):
        assert np.array_equal(y.astype(np.int64).ravel(), w.astype(np.int64).ravel())


def _symbolic(folder, path) -> dict[str, tuple[int, ...]]:
    """The network with the token input's and every KV cache's length symbolic; the
    shapes that resolve them."""
    m = onnx.load(folder / "network.onnx")
    shapes = {}
    for inp in m.graph.input:
        dims = inp.type.tensor_type.shape.dim
        if inp.name == "input" or inp.name.startswith("Concat_"):
            shapes[inp.name] = tuple(d.dim_value for d in dims)
            axis = 1 if inp.name == "input" else 2
            dims[axis].Clear()
            dims[axis].dim_param = "tokens" if inp.name == "input" else "context"
    onnx.save(m, path)
    return shapes


def test_symbolic_dims_resolved_by_the_input_shape_option(tmp_path, capsys):
    folder = model_path(f"deeploy/{LLAMA}")
    path = tmp_path / "symbolic.onnx"
    shapes = _symbolic(folder, path)
    assert len(shapes) == 17
    rc = main(["compile", str(path), "-o", str(tmp_path / "no"), "--input-type", "int8"])
    err = capsys.readouterr().err.strip()
    assert rc == 2 and len(err.splitlines()) == 1 and "--input-shape" in err, err
    assert not (tmp_path / "no").exists()
    opts = [a for n, s in shapes.items() for a in ("--input-shape",
                                                   f"{n}={','.join(map(str, s))}")]
    out = tmp_path / "out"
    assert main(["compile", str(path), "-o", str(out), "--input-type", "int8", *opts]) == 0
    man = json.loads((out / "manifest.json").read_text())
    assert [tuple(i["shape"]) for i in man["inputs"]][3] == shapes["Concat_3"]
    _exact(out, folder)


@pytest.mark.parametrize("name", [LLAMA, "Models_CCT_Int_ICCT"])
def test_nodes_out_of_topological_order_compile_exactly(name, tmp_path):
    folder = model_path(f"deeploy/{name}")
    m = onnx.load(folder / "network.onnx")
    nodes = list(m.graph.node)
    order = nodes[1::2][::-1] + nodes[0::2]            # consumers before producers
    del m.graph.node[:]
    m.graph.node.extend(order)
    path = tmp_path / "shuffled.onnx"
    onnx.save(m, path)
    out = tmp_path / "out"
    args = ["compile", str(path), "-o", str(out), "--input-type", dd.input_type(folder)]
    assert main(args) == 0
    _exact(out, folder)


def _others() -> list[str]:
    root = MODELS_DIR / "deeploy"
    if not root.is_dir():
        return ["Models_Transformer_Train"]
    return sorted(p.name for p in root.iterdir()
                  if (p / "network.onnx").exists() and not dd.integer_family(p.name))


@pytest.mark.parametrize("name", _others())
def test_other_deeploy_graphs_compile_or_are_refused_in_one_line(name, tmp_path, capsys):
    path = model_path(f"deeploy/{name}") / "network.onnx"
    out = tmp_path / "out"
    rc = main(["compile", str(path), "-o", str(out)])
    err = capsys.readouterr().err.strip()
    if rc == 0:
        assert (out / "network.c").exists()
        return
    assert rc == 2, err
    assert err.startswith("tinydeploy: error: ") and len(err.splitlines()) == 1, err
    assert str(path) in err and not out.exists(), err
