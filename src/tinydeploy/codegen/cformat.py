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
    "uint32": "uint32_t",
    "uint64": "uint64_t",
    "float32": "float",
}


def c_type(dtype: str) -> str:
    return C_TYPES[dtype]


# Words a generated name must never be: C keywords (C99 and later) and names the standard
# library or the generated project itself uses at file scope.
C_KEYWORDS = frozenset("""auto break case char const continue default do double else enum
extern float for goto if inline int long register restrict return short signed sizeof static
struct switch typedef union unsigned void volatile while _Bool _Complex _Imaginary _Alignas
_Alignof _Atomic _Generic _Noreturn _Static_assert _Thread_local bool true false alignas
alignof static_assert thread_local typeof nullptr constexpr""".split())
# Header stems a project's "<prefix>.h" must not shadow (an -I. include path would make
# <stdint.h> find it), plus the project's own fixed file names.
RESERVED_STEMS = frozenset("""assert complex ctype errno fenv float inttypes iso646 limits
locale math setjmp signal stdalign stdarg stdatomic stdbool stddef stdint stdio stdlib
stdnoreturn string tgmath threads time uchar wchar wctype main td_names""".split())


def c_ident(name: str, maxlen: int = 40) -> str:
    """A C identifier fragment derived from a tensor/op name (not guaranteed unique and
    possibly a keyword: callers prefix it). Only [A-Za-z0-9_], no leading/trailing/double
    underscores, at most ``maxlen`` characters (the end of the name is kept)."""
    s = re.sub(r"[^0-9A-Za-z_]", "_", name).strip("_")
    s = re.sub(r"_+", "_", s)[-maxlen:].strip("_")
    return s or "t"


def c_prefix(name: str, maxlen: int = 32) -> str:
    """The project's C prefix (lower case) from a user-given name or a file name: a valid
    identifier that is no keyword, no standard header's name, does not start with a
    digit or ``td_`` (the runtime's own names) and is not reserved (``_X``, ``__``)."""
    s = c_ident(name, maxlen).lower()
    if s[0].isdigit() or s in C_KEYWORDS or s in RESERVED_STEMS or s == "td" \
            or s.startswith("td_"):
        s = "net_" + s
    return s


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
    if ctype in ("uint32_t", "uint64_t"):
        return f"UINT64_C({v})" if ctype == "uint64_t" else f"{v}u"
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


def c_escape(text: str) -> str:
    """``text`` as the inside of a C string literal, and safe in a comment too: printable
    ASCII stays, ``\\`` ``"`` and ``?`` (trigraphs) are escaped, everything else (newlines,
    control bytes, non-ASCII as UTF-8) becomes three-digit octal escapes, which - unlike
    ``\\x`` - cannot swallow a following character."""
    out = []
    for ch in text:
        if ch in '\\"?':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.extend(f"\\{b:03o}" for b in ch.encode("utf-8", "surrogatepass"))
    return "".join(out)


def c_string(text: str) -> str:
    """A C string literal's contents (see :func:`c_escape`)."""
    return c_escape(text)


def c_comment(text: str) -> str:
    """Text safe inside a ``/* */`` comment: :func:`c_escape`, and no ``*/`` or ``/*``
    (broken by a backslash, which the reader sees as part of the escaped name)."""
    return c_escape(text).replace("*/", "*\\/").replace("/*", "/\\*")
