"""One error type for everything a user can get wrong.

The CLI prints ``str(err)`` as a single line and exits with code 2. The message always
names the file, the node/op when there is one, and the reason. Names from a model file can
hold any character: the message shows control characters escaped (``\\n``, ``\\x02``), so
it stays one line; only ``detail`` (a C compiler's or QEMU's output) follows on more lines.
"""

from __future__ import annotations

from contextlib import contextmanager


class TinyDeployError(Exception):
    """A user-facing error: bad input file, unsupported op/dtype, model too big, ..."""

    def __init__(self, reason: str, *, file: str | None = None, node: str | None = None,
                 op: str | None = None, detail: str = ""):
        self.reason = reason
        self.file = file
        self.node = node
        self.op = op          # the node's operator type, shown as "node 'x' (Conv)"
        self.detail = detail  # tool output shown after the one-line message
        super().__init__(self.__str__())

    def with_file(self, file: str) -> "TinyDeployError":
        """Return the same error with the file filled in (frontends raise before they know it)."""
        if self.file is None:
            self.file = file
        return self

    def with_node(self, node: str | None, op: str | None = None) -> "TinyDeployError":
        """Return the same error naming ``node`` unless it already names one."""
        if self.node is None and node:
            self.node, self.op = node, self.op or op
        return self

    def __str__(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.node:
            parts.append(f"node '{self.node}'" + (f" ({self.op})" if self.op else ""))
        parts.append(self.reason)
        line = one_line(": ".join(parts))
        return f"{line}\n{self.detail}" if self.detail else line


def one_line(text: str) -> str:
    """``text`` with its non-printable characters escaped as Python writes them."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


class UnsupportedError(TinyDeployError):
    """The model is valid but uses something tinydeploy does not implement (yet)."""


@contextmanager
def naming(file: str | None = None, node: str | None = None, op: str | None = None):
    """Errors raised inside the block name ``file`` (and ``node``) unless they already
    name one: stages that work on a graph name its source file, per-op code the op."""
    try:
        yield
    except TinyDeployError as e:
        if file:
            e.with_file(file)
        e.with_node(node, op)
        raise
