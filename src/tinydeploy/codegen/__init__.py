"""C code generation: an IR graph + kernel args + memory plan -> a standalone C99 project."""

from tinydeploy.codegen.emit import emit_project

__all__ = ["emit_project"]
