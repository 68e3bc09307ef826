"""Exact in-place margins of the optimized windowed kernels (their own order of reads).

An output may start ``margin`` bytes below its dying input when, at every moment, the
output bytes written so far end at or below the first input byte still to be read
(memory/sliding.py has the general picture). The optimized kernels work in rounds that
first read (stage) all the input a round needs and then write the round's outputs, so
the margin is the largest, over rounds, of (end of the outputs written up to that round)
- (first input byte any later round reads): exact for the kernel, and never larger than
the reference kernels' pixel-by-pixel rule. Inputs are int8; outputs have ``item`` bytes
per element (the integer graphs' kernels write int16 or raw int32 too: an output that
grows faster than the input it replaces needs a larger margin).
"""

from __future__ import annotations

import numpy as np


def margin_by_pixels(n: int, ih: int, iw: int, ic: int, oh: int, ow: int, oc: int,
                     sh: int, sw: int, pt: int, pl: int, starts: list[int],
                     item: int = 1) -> int:
    """Rounds of output pixels: round k starts at pixel ``starts[k]`` (global index over
    the batches, in order) and writes its pixels after reading all of theirs. Later
    rounds read from the least clipped window corner of their pixels on."""
    total = n * oh * ow
    p = np.arange(total, dtype=np.int64)
    b, rest = p // (oh * ow), p % (oh * ow)
    r, c = rest // ow, rest % ow
    row0 = np.clip(r * sh - pt, 0, ih - 1)
    col0 = np.clip(c * sw - pl, 0, iw - 1)
    first_read = ((b * ih + row0) * iw + col0) * ic
    suffix = np.minimum.accumulate(first_read[::-1])[::-1]       # min over pixels >= p
    worst = 0
    for s in starts[1:]:
        worst = max(worst, s * oc * item - int(suffix[s]))
    return max(0, worst)


def margin_by_rows(n: int, ih: int, iw: int, ic: int, oh: int, ow: int, oc: int, sh: int,
                   pt: int, span: int, rows_per_round: int, ring_keeps: bool,
                   item: int = 1) -> int:
    """Rounds of ``rows_per_round`` output rows (per batch), each staging the input rows
    it needs before writing. ``ring_keeps``: one core whose ring holds every staged row a
    later row needs (later rounds read only rows not staged yet); else later rounds read
    from their own first window row."""
    worst = 0
    for b in range(n):
        for oy in range(0, oh, rows_per_round):
            nxt = oy + rows_per_round
            if nxt >= oh:
                break
            if ring_keeps:
                first = min((nxt - 1) * sh - pt + span, ih)       # rows up to it staged
            else:
                first = min(max(nxt * sh - pt, 0), ih)
            end = (b * oh + nxt) * ow * oc * item
            worst = max(worst, end - (b * ih + first) * iw * ic)
    return max(0, worst)
