"""Which runtime files a project ships, and the link names that keep projects apart.

A project gets exactly the C sources its network calls (one variant per kernel: the
optimized one under ``kernels/opt/`` when compiled with ``--kernels opt`` and one exists,
else the reference one), the tiled runtime and HAL on tiled targets, and the headers
these include, found by following their ``#include "..."`` lines. Files keep their
place relative to ``runtime/`` and include each other by relative paths, so a project
builds without any ``-I`` option and an IDE that compiles every ``.c`` of the folder
compiles exactly the right set.

Every external function or variable those sources define gets the project's prefix
through the generated ``td_names.h`` (``#define td_conv2d_s8 kws_td_conv2d_s8``, as
zlib's ``Z_PREFIX`` does): two projects never share a symbol, so any two of them link
into one program whatever kernel sets, variants and targets they were built with.
"""

from __future__ import annotations

import posixpath
import re
from pathlib import Path

RUNTIME = Path(__file__).resolve().parents[1] / "runtime"
NAMES_HEADER = "td_names.h"
_INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)


def kernel_source(kernel: str, kernel_set: str) -> str:
    """The runtime-relative source of one kernel in the chosen kernel set."""
    if kernel_set == "opt" and (RUNTIME / "kernels" / "opt" / f"{kernel}.c").is_file():
        return f"kernels/opt/{kernel}.c"
    return f"kernels/{kernel}.c"


def include_closure(files: list[str], root: Path = RUNTIME) -> list[str]:
    """``files`` and every file they include with quotes, transitively (runtime-relative
    POSIX paths, sorted); ``td_names.h`` is left out: each project writes its own."""
    seen: set[str] = set()
    todo = list(files)
    while todo:
        f = todo.pop()
        if f in seen or f == NAMES_HEADER:
            continue
        seen.add(f)
        text = (root / f).read_text()
        for inc in _INCLUDE.findall(text):
            todo.append(posixpath.normpath(posixpath.join(posixpath.dirname(f), inc)))
    return sorted(seen)


def strip_comments_and_strings(text: str) -> str:
    """C source without comments, string/char literals and preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\])*"|\'(\\.|[^\'\\])*\'', '""', text)
    return re.sub(r"^[ \t]*#(?:\\\n|[^\n])*", " ", text, flags=re.M)


def external_names(source: str) -> list[str]:
    """Names with external linkage that a C source defines at file scope: functions with
    a body and variables, except ``static``/``extern``/``typedef`` declarations."""
    text, names, depth, stmt = strip_comments_and_strings(source), [], 0, []
    for tok in re.findall(r"[A-Za-z_]\w*|\S", text):
        if tok == "{":
            if depth == 0:
                names += _defined(stmt, body=True)
                stmt = []
            depth += 1
        elif tok == "}":
            depth -= 1
        elif depth == 0:
            if tok == ";":
                names += _defined(stmt, body=False)
                stmt = []
            else:
                stmt.append(tok)
    return sorted(set(names))


def _defined(stmt: list[str], body: bool) -> list[str]:
    """Names a file-scope statement defines with external linkage (``body``: it is
    followed by a brace, i.e. a function body or a braced initializer)."""
    if len(stmt) < 2 or {"static", "extern", "typedef"} & set(stmt):
        return []
    stmt = _without_attributes(stmt)
    eq = stmt.index("=") if "=" in stmt else len(stmt)
    paren = stmt.index("(") if "(" in stmt else len(stmt)
    if paren < eq:               # a function: defined if it has a body, else a prototype
        name = stmt[paren - 1] if paren > 0 else ""
        return [name] if body and re.match(r"[A-Za-z_]\w*$", name) else []
    if body and eq == len(stmt):
        return []                # struct/union/enum definition without a declarator
    names = []
    for part in " ".join(stmt[:eq] if body else stmt).split(","):   # int a, b[3] = ..
        words = [w for w in re.findall(r"[A-Za-z_]\w*|\[", part.split("=")[0].split("[")[0])]
        if words and words[-1] not in ("struct", "union", "enum"):
            names.append(words[-1])
    return names


def _without_attributes(stmt: list[str]) -> list[str]:
    """``stmt`` without ``__attribute__((...))`` groups."""
    out, i = [], 0
    while i < len(stmt):
        if stmt[i] == "__attribute__" and i + 1 < len(stmt) and stmt[i + 1] == "(":
            depth, i = 0, i + 1
            while i < len(stmt):
                depth += {"(": 1, ")": -1}.get(stmt[i], 0)
                i += 1
                if depth == 0:
                    break
            continue
        out.append(stmt[i])
        i += 1
    return out


def names_header(prefix: str, sources: dict[str, str]) -> str:
    """The project's ``td_names.h``: every external name of ``sources`` (file -> text)
    prefixed with ``<prefix>_``."""
    names = sorted({n for text in sources.values() for n in external_names(text)})
    lines = [
        f"/* td_names.h - generated by tinydeploy for '{prefix}': link names of the runtime.",
        " *",
        " * Every runtime header includes this file; it gives each function and variable the",
        f" * runtime's sources define the prefix '{prefix}_', so this project shares no symbol",
        " * with any other generated project linked into the same program. Do not edit.",
        " */",
        "#ifndef TD_NAMES_H",
        "#define TD_NAMES_H",
        "",
        *[f"#define {n} {prefix}_{n}" for n in names],
        "",
        "#endif /* TD_NAMES_H */",
        "",
    ]
    return "\n".join(lines)
