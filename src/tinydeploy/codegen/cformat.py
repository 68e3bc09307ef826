"""Formatting of C literals and identifiers (data only; code shape lives in the .j2 files)."""

from __future__ import annotations

import re

import numpy as np

C_TYPES = {
    "int8": "int8_t",
    "uint8": "uint8_t",
    "int16": "int16_t",
    "int32": "int32_t",
    "int64": "int64_t",
    "float32": "float",
}


def c_type(dtype: str) -> str:
    return C_TYPES[dtype]


def c_ident(name: str, maxlen: int = 40) -> str:
    """A C identifier derived from a tensor/op name (not guaranteed unique: prefix it)."""
    s = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_")
    s = re.sub(r"_+", "_", s)[-maxlen:].strip("_")
    return s or "t"


def c_scalar(value, ctype: str) -> str:
    if ctype == "float":
        v = float(np.float32(value))
        r = repr(v)
        if "inf" in r or "nan" in r:
            raise ValueError(f"non-finite float constant {value}")
        return (r if ("e" in r or "." in r) else r + ".0") + "f"
    v = int(value)
    if ctype == "int32_t" and v == -(2**31):
        return "(-2147483647 - 1)"
    if ctype == "int64_t":
        return f"INT64_C({v})"
    return str(v)


def c_values(values: np.ndarray, ctype: str, per_line: int = 16) -> str:
    """Comma-separated literals, ``per_line`` to a line, indented by 4 spaces."""
    flat = np.asarray(values).ravel()
    if ctype == "float":
        items = [c_scalar(v, ctype) for v in flat]
    else:
        items = [c_scalar(v, ctype) for v in flat.tolist()]
    lines = [", ".join(items[i:i + per_line]) for i in range(0, len(items), per_line)]
    return ",\n".join("    " + ln for ln in lines)


def c_string(text: str) -> str:
    """A C string literal's contents (printable ASCII, escaped)."""
    out = []
    for ch in text:
        if ch in '\\"':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("?")
    return "".join(out)


def c_comment(text: str) -> str:
    """Text safe inside a /* */ comment."""
    text = text.replace("\\", "/")
    return c_string(text).replace("*/", "* /").replace("/*", "/ *")
