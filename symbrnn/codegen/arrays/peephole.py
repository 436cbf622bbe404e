"""Rewrites of the backward step's lines: an adjoint built from slices scattered into zeros becomes one join.

The adjoint of a gate vector z, read by the gates through slices z[0:4],
z[4:8], ..., is written by the rule table as a scatter per slice, each into a
fresh array of zeros, summed::

    _a_z = _scatter(_a_v9, (slice(12, 16, None),), (16,))
    _a_z = _a_z + _scatter(_a_v6, (slice(0, 4, None),), (16,))
    ...

When the slices tile the vector exactly, :func:`joined` writes the last of
those lines as ``_a_z = concatenate([_a_v6, _a_v4, _a_v5, _a_v9])`` and
drops the others: one array made per step instead of one per slice and a sum
per slice (issue 15).

Examples
--------
>>> lines = ["_a_z = _scatter(b, (slice(2, 4, None),), (4,))", "c = 2 * b",
...          "_a_z = _a_z + _scatter(a, (slice(0, 2, None),), (4,))", "y = _a_z @ W"]
>>> joined(lines)
['c = 2 * b', '_a_z = concatenate([a, b])', 'y = _a_z @ W']
"""

from __future__ import annotations

import re

__all__ = ["joined"]

_PIECE = r"_scatter\((\w+), \(slice\((\d+), (\d+), None\),\), \((\d+),\)\)"
_FIRST = re.compile(rf"(\w+) = {_PIECE}")
_MORE = re.compile(rf"(\w+) = (\w+) \+ {_PIECE}")
_NAME = re.compile(r"[A-Za-z_]\w*")


def _assigned(line: str) -> str:
    return line.split(" = ", 1)[0] if " = " in line else ""


def joined(lines: list[str]) -> list[str]:
    """``lines`` with every adjoint that is a tiling of scattered slices written as one ``concatenate``."""
    out = list(lines)
    for target in sorted({m.group(1) for line in lines if (m := _FIRST.fullmatch(line))}):
        out = _join(out, target)
    return out


def _join(lines: list[str], target: str) -> list[str]:
    at = [i for i, line in enumerate(lines) if _assigned(line) == target]
    first = _FIRST.fullmatch(lines[at[0]])
    more = [_MORE.fullmatch(lines[i]) for i in at[1:]]
    if first is None or not more or any(m is None or m.group(2) != target for m in more):
        return lines
    pieces = [first.groups()[1:]] + [m.groups()[2:] for m in more if m is not None]
    start, end = at[0], at[-1]
    reads = [i for i in range(start, end) if i not in at and target in _NAME.findall(lines[i])]
    # each piece keeps its value from its own line to the last one, where the join reads it
    moved = any(_assigned(lines[i]) == v for k, (v, *_) in zip(at, pieces, strict=True) for i in range(k + 1, end))
    spans = sorted((int(s), int(e), v) for v, s, e, _ in pieces)
    size = {int(n) for *_, n in pieces}
    tiles = len(size) == 1 and spans[0][0] == 0 and spans[-1][1] == size.pop() and all(
        a[1] == b[0] for a, b in zip(spans, spans[1:], strict=False))
    if reads or not tiles or moved:
        return lines
    joined_line = f"{target} = concatenate([{', '.join(v for *_, v in spans)}])"
    return [joined_line if i == end else line for i, line in enumerate(lines) if i == end or i not in at]
