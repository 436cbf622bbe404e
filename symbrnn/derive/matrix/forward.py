"""Forward mode (RTRL) for a whole vector: every quantity's Jacobian dq_t/db, explicit + implicit, as array terms.

For a vector param b of n entries (or a vector state's initial value), each
quantity's sensitivity dq_t/db is a matrix (q's entries × n): the tangent of
q's own expression, by a rule per operation (of ``W @ x``, ``W·dx``; of an
elementwise f, ``diag(f'(a))·da``; of a slice, its rows; of a sum, the sum
of the rows), with a part per leaf it reads: ``explicit`` (b itself),
``through r_t`` (a quantity at the same step) and ``implicit`` (a state's
previous value, whose sensitivity the step before carried). The loss's is a
vector, and dL/db = Σ_t dL_t/db. A quantity with two axes (the row
convention) would have a third-order sensitivity: forward mode refuses it.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.derive.matrix.total import MatrixDerivative
>>> d = MatrixDerivative(elman(2, 3, 1), T=2, wrt="b", mode="forward")
>>> print(d.total(2, "a"))
da_2/db = eye(3) + U @ dh_1/db
>>> print(d.total(2, "h"))
dh_2/db = rowscale(1 - h_2**2, da_2/db)
"""

from __future__ import annotations

import sympy as sp

from ...core import errors
from ...core.kinds import STATE
from ...core.symbols import Now, Prev
from ...declare.cell import Cell
from ...declare.functions import softmax
from ...declare.matrixops import add, named, outer
from ...declare.tensor import Tensor, shape_text, split_component
from .rules import dmap

__all__ = ["ForwardSweep", "eye", "rowscale", "tangent_leaf"]


def eye(n: int) -> Tensor:
    """The n × n identity: the sensitivity of a vector to itself."""
    return Tensor.node("eye", (), (n, n))


def rowscale(v, m: Tensor) -> Tensor:
    """diag(v)·m: each row of ``m`` times the matching entry of the vector ``v`` (a scalar scales them all)."""
    if not isinstance(v, Tensor):
        return _scale(v, m)
    if not v.shape:
        return v * m
    if m.op == "neg":  # diag(v)·(-m) is written -diag(v)·m
        return -rowscale(v, m.args[0])
    return Tensor.node("rowscale", (v, m), m.shape)


def tangent_leaf(name: str, wrt: str, shape: tuple, when) -> Tensor:
    """The named sensitivity ``dq/db`` of quantity ``name`` at a time."""
    return named(f"d{name}/d{wrt}", shape, when)


def _jvp(t: Tensor, tangents: list, out):  # noqa: PLR0911 - one return per operation
    """The tangent of ``t`` given its operands' (None: zero)."""
    op, args = t.op, t.args
    ta = tangents[0] if tangents else None
    if op in ("+", "-"):
        parts = [tangents[0], None if tangents[1] is None else (-tangents[1] if op == "-" else tangents[1])]
        return add(*[p for p in parts if p is not None]) if any(p is not None for p in parts) else None
    if op == "neg":
        return None if ta is None else -ta
    if op == "*":
        parts = [rowscale(args[1], tangents[0]) if tangents[0] is not None else None,
                 rowscale(args[0], tangents[1]) if tangents[1] is not None else None]
        return add(*[p for p in parts if p is not None]) if any(p is not None for p in parts) else None
    if op == "/":
        if tangents[1] is not None:
            raise errors.ExpressionError("forward mode through a division by an array that depends on θ")
        return None if ta is None else rowscale(1 / args[1], ta) if isinstance(args[1], Tensor) \
            else _scale(1 / args[1], ta)
    if op == "**":
        return None if ta is None else rowscale(args[1] * (args[0] if args[1] == 2 else args[0] ** (args[1] - 1)), ta)
    if op == "map":
        return None if ta is None else rowscale(dmap(t.extra, args[0], out), ta)
    if op == "@":
        return _matmul(t, tangents)
    if op == "getitem":
        return None if ta is None else ta[t.extra]
    if op == "T":
        return ta
    if op == "sum" and t.extra is None:
        return None if ta is None else _sum_rows(ta)
    if op == "softmax":
        return None if ta is None else rowscale(out, ta) - outer(out, out @ ta)
    if op == "reduce":
        return None if ta is None else softmax(args[0]) @ ta
    if op == "fill":
        return None
    if op == "concat":
        if all(x is None for x in tangents):
            return None
        raise errors.ExpressionError("forward mode through a concatenation")  # pragma: no cover
    raise errors.ExpressionError(f"forward mode has no rule for the tensor operation {op!r}")


def _sum_rows(ta: Tensor) -> Tensor:
    """Σ_i of the rows of a tangent; of diag(v)·m (times a scalar c) it is c·vᵀ·m, as a hand derivation writes."""
    scale, m = sp.S.One, ta
    if m.op == "*" and not isinstance(m.args[0], Tensor):
        scale, m = m.args[0], m.args[1]
    if m.op == "rowscale" and isinstance(m.args[0], Tensor) and m.args[0].ndim == 1:
        return _scale(scale, m.args[0] @ m.args[1])
    return ta.sum(axis=0)


def _scale(c, m: Tensor) -> Tensor:
    """c·m, with a scalar factor already on ``m`` folded in (½·(2·v) is v)."""
    if isinstance(m, Tensor) and m.op == "*" and not isinstance(m.args[0], Tensor):
        c, m = c * m.args[0], m.args[1]
    return m if c == 1 else c * m


def _matmul(t: Tensor, tangents: list):
    (a, b), (ta, tb) = t.args, tangents
    parts = []
    if ta is not None:  # x @ W with x depending on θ: (dx)ᵀ·W, as W ᵀ·dx
        if a.ndim != 1:
            raise errors.ExpressionError("forward mode through a matrix that depends on θ")
        parts.append(b.T @ ta if b.ndim == 2 else b @ ta)
    if tb is not None:
        if b.ndim != 1:
            raise errors.ExpressionError("forward mode through a matrix that depends on θ")
        parts.append(a @ tb)
    return add(*parts) if parts else None


class ForwardSweep:
    """The tangent templates of one step of ``cell`` with respect to the vector ``wrt`` (n entries).

    Attributes
    ----------
    totals : dict
        Computed quantity -> its addends (label, reader leaf, expression) of dq_t/dθ at a generic t.
    """

    def __init__(self, cell: Cell, wrt: str, n: int):
        self.cell, self.wrt, self.n = cell, wrt, n
        for q in cell.order():
            if len(cell.shape(q)) > 1:
                raise errors.WrtError(
                    f"mode='forward' with wrt={wrt}: {q!r} has shape {shape_text(cell.shape(q))}, so d{q}_t/d{wrt}"
                    " would be a third-order tensor; use mode='reverse' (the deltas)"
                )
        self.totals: dict[str, list] = {q: self._addends(q) for q in cell.order()}

    def _addends(self, q: str) -> list:
        expr = self.cell.expr(q)
        if not isinstance(expr, Tensor):
            raise errors.WrtError(f"mode='forward' with wrt={self.wrt}: {q!r} is written in components; use"
                                  " mode='reverse'")
        out = []
        for key in sorted(expr.leaves() | _component_keys(expr.scalars()), key=str):
            seed = self._seed(key)
            if seed is None:
                continue
            tangent = _propagate(expr, key, seed, self.cell.symbol(q))
            if tangent is not None:
                out.append((self._label(key), key, tangent))
        return out

    def _seed(self, key: tuple):
        """The tangent of a leaf: I for θ itself, a named sensitivity for a quantity, None (zero) for data."""
        name, when = key
        if when == "param":
            return eye(self.n) if name == self.wrt else None
        if self.cell.kind(name) in ("input", "target") or (when == "prev" and self.cell.kind(name) != STATE):
            return None
        return tangent_leaf(name, self.wrt, self.cell.shape(name) + (self.n,), when)

    def _label(self, key: tuple) -> str:
        name, when = key
        if when == "param":
            return "explicit"
        return "implicit" if when == "prev" else f"through {name}_t"


def _component_key(u):
    """(name, when) of a component symbol such as ``h[0]_t``, or None for a plain scalar."""
    split = split_component(u.name)
    if split is None:
        return None
    return split[0], "prev" if isinstance(u, Prev) else "now" if isinstance(u, Now) else "param"


def _component_keys(symbols) -> set:
    """The arrays whose components a scalar operand reads (``0.1*h[0]_t*h[1]_t`` reads h now)."""
    return {k for k in map(_component_key, symbols) if k is not None}


def _scalar_tangent(e, key: tuple, seed: Tensor):
    """The tangent of a scalar written in components (``h[0]_t*h[1]_t``): Σ_u ∂e/∂u times u's row of ``seed``."""
    parts = []
    for u in sorted(getattr(e, "free_symbols", ()), key=sp.default_sort_key):
        if _component_key(u) == key:
            parts.append(sp.diff(e, u) * seed[split_component(u.name)[1]])
    return add(*parts) if parts else None


def _propagate(expr: Tensor, key: tuple, seed: Tensor, out_root):
    """The tangent of ``expr`` when only the leaf ``key`` moves, with tangent ``seed``."""
    done: dict[int, object] = {}

    def walk(t):
        if not isinstance(t, Tensor):
            return _scalar_tangent(t, key, seed)
        if id(t) not in done:
            if t.op == "leaf":
                done[id(t)] = seed if t.extra == key else None
            else:
                tangents = [walk(a) for a in t.args]
                scalars = [x for a, x in zip(t.args, tangents, strict=True) if not isinstance(a, Tensor)]
                if t.shape and any(x is not None for x in scalars):
                    raise errors.ExpressionError("forward mode through a scalar written in components inside an"
                                                 " array; use mode='reverse'")
                out = out_root if t is expr else t
                done[id(t)] = None if all(x is None for x in tangents) else _jvp(t, tangents, out)
        return done[id(t)]

    return walk(expr)
