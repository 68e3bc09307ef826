"""A model file is untrusted input: names inside it (graph, nodes, tensors, graph inputs
and outputs) must never become C code. Every name that reaches the C files is escaped for
the context it lands in (comment, string literal; identifiers are never taken from it),
the project builds under -Werror, defines no symbol the model named, and the names
still appear, escaped, in the comments and in the reports."""

from __future__ import annotations

import copy
import dataclasses
import io
import subprocess

import onnx
import pytest
from rich.console import Console

import tinydeploy
from tinydeploy.codegen.cformat import c_comment, c_escape
from tinydeploy.codegen.runtime_files import strip_comments_and_strings
from tinydeploy.demo import make_demo_model
from tinydeploy.report import print_report
from tinydeploy.report.html import render_html
from tinydeploy.report.text import printable

INJECT = "demo*/ int td_injected_by_model = 42; /*"
HOSTILE = [
    INJECT,
    "a??/",                          # trigraph: a backslash in C99 phase 1
    "x??=y??'z??(??)??!??<??>??-",
    'q"uote\\back\\',
    "line\nbreak\r\tand tab",
    "ctl\x01\x02\x1b[31m\x7fend",    # control bytes, an ANSI escape
    "caf\u00e9 \u2603 \U0001f600",  # non-ASCII
    "*/", "/*", "//", "\\",
    "int", "return", "main", "static",
    "[bold red]markup[/]",           # rich markup in the terminal report
    "<script>alert(1)</script>",
    "$\\frac{1}{0}$",                # matplotlib mathtext
    "%s%n%x",
]


def _rename_everything(model: onnx.ModelProto) -> dict[str, str]:
    """Give the graph, every node and every tensor a hostile name (unique per object)."""
    g = model.graph
    names = {}
    tensors = ([i.name for i in g.input] + [o.name for o in g.output]
               + [t.name for t in g.initializer] + [o for n in g.node for o in n.output])
    for k, t in enumerate(dict.fromkeys(tensors)):
        names[t] = f"{HOSTILE[k % len(HOSTILE)]}#{k}"
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        vi.name = names.get(vi.name, vi.name)
    for t in g.initializer:
        t.name = names[t.name]
    for k, n in enumerate(g.node):
        n.name = f"{HOSTILE[(k + 3) % len(HOSTILE)]}@{k}"
        n.input[:] = [names.get(i, i) for i in n.input]
        n.output[:] = [names.get(o, o) for o in n.output]
    g.name = INJECT
    return names


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    d = tmp_path_factory.mktemp("hostile")
    model = d / "demo.onnx"
    make_demo_model(model, seed=0)
    m = onnx.load(str(model))
    names = _rename_everything(m)
    hostile_model = d / "hostile.onnx"
    onnx.save(m, str(hostile_model))
    proj = tinydeploy.compile(hostile_model, d / "out", io_layout="nhwc")
    return proj, names, m


def test_hostile_names_build_under_werror_and_run_exact(hostile):
    proj, _, _ = hostile
    v = proj.validate(n=3, sanitize=True)          # cc -Werror + ASan/UBSan, vs onnxruntime
    assert v.ok, v.messages


def test_no_symbol_the_model_named(hostile, tmp_path):
    proj, _, _ = hostile
    srcs = sorted(str(f) for f in proj.path.rglob("*.c") if f.name != "main.c")
    objs = []
    for i, s in enumerate(srcs):
        o = tmp_path / f"o{i}.o"
        subprocess.run(["cc", "-std=c99", "-Wall", "-Wextra", "-Werror", "-c", s, "-o", str(o)],
                       check=True)
        objs.append(str(o))
    syms = subprocess.run(["nm", *objs], capture_output=True, text=True, check=True).stdout
    assert "td_injected_by_model" not in syms
    defined = [ln.split()[-1] for ln in syms.splitlines() if len(ln.split()) == 3
               and ln.split()[1] in "TDBRC"]
    assert all(s.startswith(proj.prefix + "_") for s in defined), defined


def test_names_appear_escaped_in_comments_and_strings(hostile):
    proj, _, m = hostile
    c = (proj.path / f"{proj.prefix}.c").read_text()
    h = (proj.path / f"{proj.prefix}.h").read_text()
    assert c_comment(INJECT) in c                         # the graph's name, escaped
    for text in (c, h):                 # outside comments and string literals: never
        assert "injected" not in strip_comments_and_strings(text)
    for op in proj.lowered.graph.ops:
        assert c_comment(op.name) in c, op.name           # layer comments
        assert f'"{c_escape(op.name)}"' in c, op.name     # the debug dump's name literal
    for name in [i.name for i in m.graph.input] + [o.name for o in m.graph.output]:
        assert c_comment(name) in h, name
    for text in (c, h):
        assert "??" not in text                           # no trigraph survives
        assert all(ch == "\n" or 32 <= ord(ch) < 127 for ch in text)


def _report_text(low) -> str:
    buf = io.StringIO()
    print_report(low, Console(file=buf, width=400, color_system=None))
    return buf.getvalue()


def test_names_appear_in_the_reports(hostile):
    proj, _, _ = hostile
    low = proj.lowered
    text = _report_text(low)
    for op in low.graph.ops:           # control bytes as escapes, never raw
        assert printable(op.name)[:32] in text, op.name
    assert "\x1b" not in text and "\x01" not in text
    marked = copy.copy(low)            # rich markup in a name is text, not markup
    marked.graph = copy.copy(low.graph)
    marked.graph.ops = [dataclasses.replace(low.graph.ops[0], name="[bold red]x[/]"),
                        *low.graph.ops[1:]]
    assert "[bold red]x[/]" in _report_text(marked)
    page = render_html(low)
    assert "td_injected_by_model" in page and "<script>" not in page
    assert proj.report()["layers"][0]["name"] == low.graph.ops[0].name


def test_hostile_prefix_from_a_file_name(tmp_path):
    model = tmp_path / "stdint.onnx"            # would shadow <stdint.h> as "stdint.h"
    make_demo_model(model, seed=0)
    proj = tinydeploy.compile(model, tmp_path / "o")
    assert proj.prefix == "net_stdint"
    assert proj.validate(n=1).ok
    bad = tmp_path / "x*\\ y;\"\n.onnx"             # odd but legal file name
    bad.write_bytes(model.read_bytes())
    proj = tinydeploy.compile(bad, tmp_path / "o2")
    assert proj.prefix == "x_y" and proj.validate(n=1).ok
