"""Format-blind mutations of a model file's bytes: bit flips, interesting bytes and words,
truncation and span edits (delete, duplicate, copy over, insert random)."""

from __future__ import annotations

import random
import struct

INTERESTING_BYTES = (0x00, 0x01, 0x7F, 0x80, 0xFF, 0x40, 0x10)
INTERESTING_I32 = (0, 1, -1, 2, 127, 128, 255, 256, 32767, 65535, 65536, 1 << 24,
                   2**31 - 1, -2**31, -2, 1000)


def flip(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    b = bytearray(data)
    n = rng.choice((1, 1, 2, 4, 8))
    where = []
    for _ in range(n):
        bit = rng.randrange(len(b) * 8)
        b[bit // 8] ^= 1 << (bit % 8)
        where.append(bit // 8)
    return bytes(b), f"flip {n} bit(s) at {sorted(where)[:4]}"


def interesting(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    b = bytearray(data)
    if rng.random() < 0.5:
        p = rng.randrange(len(b))
        b[p] = rng.choice(INTERESTING_BYTES)
        return bytes(b), f"byte {p} := {b[p]:#x}"
    p = rng.randrange(0, max(1, len(b) - 4)) & ~3
    v = rng.choice(INTERESTING_I32)
    struct.pack_into("<i", b, p, v)
    return bytes(b), f"int32 at {p} := {v}"


def truncate(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    n = rng.choice((0, 4, 8, 16, rng.randrange(len(data)), len(data) // 2, len(data) - 1))
    return data[:n], f"truncate to {n} of {len(data)} bytes"


def span(rng: random.Random, data: bytes) -> tuple[bytes, str]:
    n = len(data)
    a = rng.randrange(n)
    ln = min(n - a, rng.choice((1, 2, 4, 8, 16, 64, 256, 4096)))
    what = rng.choice(("delete", "duplicate", "copy", "insert", "zero"))
    if what == "delete":
        out = data[:a] + data[a + ln:]
    elif what == "duplicate":
        out = data[:a + ln] + data[a:a + ln] + data[a + ln:]
    elif what == "copy":
        src = rng.randrange(n)
        chunk = data[src:src + ln]
        out = data[:a] + chunk + data[a + len(chunk):]
    elif what == "insert":
        out = data[:a] + bytes(rng.randrange(256) for _ in range(ln)) + data[a:]
    else:
        out = data[:a] + bytes(ln) + data[a + ln:]
    return out, f"{what} {ln} bytes at {a}"


KINDS = {"flip": flip, "interesting": interesting, "truncate": truncate, "span": span}
