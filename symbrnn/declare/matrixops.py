"""Operations that derivatives of array expressions need: outer products, embedding a slice, sums to a shape.

They build :class:`~symbrnn.declare.tensor.Tensor` nodes like the operators
do, and keep expressions small where the result is plain: a sum back to the
shape it has is the expression itself, adding zeros or multiplying by one
leaves it as it is, and slices that tile an array are joined by
concatenation (seed 000's δ of the stacked gates).

Examples
--------
>>> from symbrnn.declare.tensor import Tensor
>>> g, x = Tensor.symbols("g", 3), Tensor.symbols("x", 2)
>>> print(outer(g, x), outer(g, x).shape)
outer(g_t, x_t) (3, 2)
>>> print(unbroadcast(outer(g, x), (2,)))
outer(g_t, x_t).sum(axis=0)
>>> print(add(embed(g[0:1], (slice(0, 1),), (3,)), embed(g[1:3], (slice(1, 3),), (3,))))
concatenate([g_t[0:1], g_t[1:3]])
"""

from __future__ import annotations

import sympy as sp

from .tensor import Tensor

__all__ = ["add", "coefficient", "concat", "embed", "is_zero", "named", "outer", "scale", "spread", "unbroadcast",
           "zeros"]


def named(label: str, shape: tuple, when) -> Tensor:
    """A named intermediate array of a derivation at a time (``δh`` at step 3): a leaf of its own name."""
    return Tensor.node("leaf", (), shape, (label, when), label)


def zeros(shape: tuple) -> Tensor:
    """An array of zeros."""
    return Tensor.full(tuple(shape), 0)


def is_zero(t) -> bool:
    """True for a zero array or the scalar 0."""
    if isinstance(t, Tensor):
        return t.op == "fill" and t.args[0] == 0
    return sp.S(t) == 0


def outer(a: Tensor, b: Tensor) -> Tensor:
    """The outer product of two vectors: a·bᵀ."""
    return Tensor.node("outer", (a, b), a.shape + b.shape)


def embed(g: Tensor, key: tuple, shape: tuple) -> Tensor:
    """An array of ``shape``, zero but for ``g`` at ``key`` (the adjoint of a slice)."""
    return Tensor.node("embed", (g,), tuple(shape), tuple(key))


def spread(g, axis, shape: tuple) -> Tensor:
    """``g`` repeated along ``axis`` (every axis if None) to ``shape`` (the adjoint of a sum)."""
    if tuple(getattr(g, "shape", ())) == tuple(shape):
        return g
    if not isinstance(g, Tensor):  # a scalar everywhere
        return Tensor.full(tuple(shape), g)
    return Tensor.node("spread", (g,), tuple(shape), axis)


def unbroadcast(g, shape: tuple):
    """``g`` summed back over the axes numpy broadcast to (the adjoint of a broadcast operand)."""
    have = tuple(getattr(g, "shape", ()))
    shape = tuple(shape)
    if have == shape:
        return g
    if not shape:
        return g.sum()
    lead = len(have) - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, n in enumerate(shape) if n == 1 and have[lead + i] != 1)
    out = g
    for axis in reversed(axes):
        out = out.sum(axis=axis)
    if out.shape != shape:  # the axes of size 1 that were summed come back
        out = Tensor.node("reshape", (out,), shape)
    return out


def scale(g, factor):
    """``factor·g``, written as ``g`` when the factor is 1, ``-g`` for -1 and zeros for 0."""
    if factor == 1:
        return g
    if factor == 0:
        return zeros(getattr(g, "shape", ()))
    if factor == -1:
        return -g
    return factor * g


def concat(parts: list, axis: int = 0) -> Tensor:
    """The arrays joined along ``axis``."""
    shape = list(parts[0].shape)
    shape[axis] = sum(p.shape[axis] for p in parts)
    return Tensor.node("concat", tuple(parts), tuple(shape), axis)


def coefficient(t) -> tuple:
    """(c, base) with ``t`` = c·base for a scalar c: ``(1/2, h - y)`` for ``(h - y)/2``, ``(-1, x)`` for ``-x``."""
    if isinstance(t, Tensor):
        if t.op == "*" and not isinstance(t.args[0], Tensor):
            c, base = coefficient(t.args[1])
            return t.args[0] * c, base
        if t.op == "*" and not isinstance(t.args[1], Tensor):
            c, base = coefficient(t.args[0])
            return t.args[1] * c, base
        if t.op == "/" and not isinstance(t.args[1], Tensor):
            c, base = coefficient(t.args[0])
            return c / t.args[1], base
        if t.op == "neg":
            c, base = coefficient(t.args[0])
            return -c, base
    return sp.S.One, t


def add(*terms):
    """The sum of the terms: zeros left out, like terms collected (x + x is 2·x), embeds of slices that tile
    their array joined by one concatenation."""
    terms = [t for t in terms if not is_zero(t)]
    if not terms:
        return sp.S.Zero
    tiled = _tiling(terms)
    if tiled is not None:
        return tiled
    collected: dict = {}
    for t in terms:
        c, base = coefficient(t)
        key = base.key if isinstance(base, Tensor) else ("scalar", base)
        total, _ = collected.get(key, (sp.S.Zero, base))
        collected[key] = (total + c, base)
    parts = [scale(base, c) for c, base in collected.values() if c != 0]
    if not parts:
        return zeros(getattr(terms[0], "shape", ()))
    out = parts[0]
    for t in parts[1:]:
        out = out + t
    return out


def _tiling(terms: list):
    """The concatenation of embeds whose slices of one axis cover the array once; else None.

    Each embed's index is whole on every axis but one (``[0:4]``, ``[:, 4:8]``), the same axis for all.
    """
    if len(terms) < 2 or not all(isinstance(t, Tensor) and t.op == "embed" for t in terms):
        return None
    shape, axes, spans = terms[0].shape, set(), []
    for t in terms:
        cut = _cut(t.extra, shape) if t.shape == shape else None
        if cut is None:
            return None
        axis, start, stop = cut
        axes.add(axis)
        spans.append((start, stop, t.args[0]))
    if len(axes) != 1:
        return None
    axis = axes.pop()
    spans.sort(key=lambda s: s[0])
    joined = all(a[1] == b[0] for a, b in zip(spans[:-1], spans[1:], strict=True))
    if spans[0][0] != 0 or spans[-1][1] != shape[axis] or not joined:
        return None
    return concat([g for _, _, g in spans], axis)


def _cut(key: tuple, shape: tuple):
    """(axis, start, stop) if ``key`` slices one axis with step 1 and takes every other whole; else None."""
    cut = None
    for axis, k in enumerate(key):
        if not isinstance(k, slice) or k.step not in (None, 1):
            return None
        start, stop, _ = k.indices(shape[axis])
        if (start, stop) != (0, shape[axis]):
            if cut is not None:
                return None
            cut = (axis, start, stop)
    if cut is None and len(key) == 0:
        return None
    return cut if cut is not None else (0, 0, shape[0])
