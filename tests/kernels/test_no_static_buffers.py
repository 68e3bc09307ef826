"""No kernel keeps memory of its own: every byte a layer uses is in the arena the memory
planner sized (its tensors and its declared scratch), so the header's arena size is the
whole RAM of the network. Scans every runtime kernel source (reference and optimized,
and the tiled runtime's adapters) for variables with static storage that are not const:
file-scope definitions (static or not) and ``static`` locals."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tinydeploy.codegen.runtime_files import RUNTIME, strip_comments_and_strings

SOURCES = sorted([*(RUNTIME / "kernels").rglob("*.c"), *(RUNTIME / "kernels").rglob("*.h"),
                  RUNTIME / "tiled" / "td_tiled_kernels.c"])


def static_variables(text: str) -> list[str]:
    """Declarations with static storage and no const: ``static`` anywhere, or any
    declaration at file scope, that declares an object rather than a function or type."""
    toks = re.findall(r"[A-Za-z_]\w*|\S", strip_comments_and_strings(text))
    found, depth, stmt, i = [], 0, [], 0
    while i < len(toks):
        tok = toks[i]
        if tok == "{" and (stmt[-1:] == ["="] or {"struct", "union", "enum"} & set(stmt)):
            level = 0                          # an initializer or a type body: skip it
            while True:
                level += {"{": 1, "}": -1}.get(toks[i], 0)
                if level == 0:
                    break
                i += 1
            stmt.append("{...}")
        elif tok == "{":                       # a function body or a compound statement
            stmt, depth = [], depth + 1
        elif tok == "}":
            stmt, depth = [], depth - 1
        elif tok == ";":
            if depth == 0 or "static" in stmt:
                found += _object(stmt, depth == 0)
            stmt = []
        else:
            stmt.append(tok)
        i += 1
    return found


def _object(stmt: list[str], file_scope: bool) -> list[str]:
    if not stmt or {"typedef", "extern"} & set(stmt):
        return []
    if stmt[0] in ("struct", "union", "enum") and stmt[-1] == "{...}":
        return []                         # a type definition without a declarator
    if not file_scope and "static" not in stmt:
        return []
    head = stmt[:stmt.index("=")] if "=" in stmt else stmt
    if "(" in head and head.index("(") > 0 and head[head.index("(") - 1] not in ("*",):
        return []                         # a function (definition or prototype)
    if "const" in head and head.index("const") < len(head) - 1 and not _pointer_const(head):
        return []                         # a read-only table
    return [" ".join(stmt[:12])]


def _pointer_const(head: list[str]) -> bool:
    """``const T *p``: the pointer itself is writable (still a variable)."""
    i = head.index("const")
    return "*" in head[i:] and "const" not in head[head.index("*", i):]


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(RUNTIME)))
def test_kernel_has_no_static_or_global_buffer(path: Path):
    assert static_variables(path.read_text()) == []


def test_the_scan_finds_what_it_must():
    assert static_variables("static int32_t g_pack[4096];\nint f(void) { return 0; }")
    assert static_variables("int32_t counter;")
    assert static_variables("void f(void) { static int8_t buf[8]; buf[0] = 1; }")
    assert static_variables("static const int8_t *p;")
    assert not static_variables("static const int16_t tab[2] = {1, 2};")
    assert not static_variables("static inline int f(int x) { return x; }")
    assert not static_variables("typedef struct { int a; } t;\nvoid g(const t *a);")
    assert not static_variables("void f(void) { const int x = 1; int y[4]; (void)x; }")
