"""Names from a model file, made safe to show in a terminal table: control and other
non-printable characters as ``\\xNN``/``\\uNNNN`` escapes (no terminal escape sequence
reaches the screen), and rich's markup characters escaped (a name is text, not style)."""

from __future__ import annotations

from rich.markup import escape


def printable(name: str) -> str:
    """``name`` with every non-printable character written as a Python escape."""
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in name)


def shown(name: str, width: int | None = None) -> str:
    """``name`` for a rich table cell: printable, cut to ``width``, markup escaped."""
    text = printable(name)
    return escape(text[:width] if width else text)
