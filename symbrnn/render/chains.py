"""A step partial as the chain of the cell's local (edge) partials, the way a hand derivation writes it.

∂L_t/∂h_t = ∂L_t/∂yhat_t·∂yhat_t/∂h_t = (-y_t + yhat_t)·V: each path from
the quantity down to the variable through intermediate nodes (and, for a
state, through the other states of the same step) is a product of local
partials ∂v/∂u of single expressions; the step partial is their sum.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.derive.partials import CellPartials
>>> P = CellPartials(elman())
>>> c = local_chain(P, "L", P.cell.symbol("h"))
>>> print(c.symbolic)
∂L_t/∂yhat_t*∂yhat_t/∂h_t
>>> print(c.concrete)
V*(-y_t + yhat_t)
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy as sp

from ..core.kinds import NODE, STATE
from ..core.symbols import Named, Now, Prev, now
from ..declare.cell import Cell
from ..derive.partials import CellPartials
from ..derive.unroll import step_substitution

__all__ = ["LocalChain", "fold", "local_chain"]


def _name(s) -> str:
    if isinstance(s, Now):
        return f"{s.name}_t"
    if isinstance(s, Prev):
        return f"{s.name}_{{t-1}}"
    return s.name


@dataclass(frozen=True)
class LocalChain:
    """The paths of a step partial: ``symbolic`` in local-partial symbols, ``concrete`` in expressions.

    Attributes
    ----------
    paths : tuple of tuple of sympy.Symbol
        Each path from the quantity down to the variable.
    symbolic : sympy.Expr
        Σ over paths of Π ∂v/∂u (Named symbols ``∂yhat_t/∂h_t``).
    concrete : sympy.Expr
        The same with each local partial replaced by its expression.
    factors : tuple of tuple of sympy.Symbol
        The local partials of each path, in chain-rule order (outermost first).
    """

    paths: tuple[tuple[sp.Symbol, ...], ...]
    symbolic: sp.Expr
    concrete: sp.Expr
    factors: tuple[tuple[sp.Symbol, ...], ...] = ()

    @property
    def is_single_edge(self) -> bool:
        """True when the partial is one local partial (nothing to chain)."""
        return len(self.paths) == 1 and len(self.paths[0]) == 2


def _paths(P: CellPartials, name: str, z, through_states: bool) -> list[list]:
    out = []
    for u in sorted(P.cell.expr(name).free_symbols, key=sp.default_sort_key):
        if u == z:
            out.append([Now(name, real=True), z])
        elif isinstance(u, Now) and (P.cell.kind(u.name) == NODE or (through_states and P.cell.kind(u.name) == STATE)):
            out += [[Now(name, real=True), *p] for p in _paths(P, u.name, z, through_states)]
    return out


def local_chain(P: CellPartials, name: str, z) -> LocalChain:
    """The chain of local partials behind ``P.partial(name, z)``.

    Parameters
    ----------
    P : CellPartials
    name : str
        A state, node or the loss.
    z : sympy.Symbol
        A param or a symbol of ``name``'s frontier (``h.prev``, ``h``).
    """
    paths = _paths(P, name, z, P.cell.kind(name) == STATE)
    symbolic, concrete, factors = sp.S.Zero, sp.S.Zero, []
    for path in paths:
        edges = list(zip(path[:-1], path[1:], strict=True))
        factors.append(tuple(Named(f"∂{_name(v)}/∂{_name(u)}", real=True) for v, u in edges))
        symbolic += sp.Mul(*factors[-1])
        concrete += sp.Mul(*(P.local(v.name, u) for v, u in edges))
    return LocalChain(tuple(tuple(p) for p in paths), symbolic, concrete, tuple(factors))


def fold(cell: Cell, expr: sp.Expr, t: int | None = None) -> sp.Expr:
    """``expr`` with each intermediate node's expression written as the node (for display).

    sympy differentiates σ(z) as σ(z)(1 - σ(z)) with z written out; a hand
    derivation writes g_t(1 - g_t). The value is the same. ``t`` is the step
    of ``expr`` (None for generic-time expressions).

    Examples
    --------
    >>> import sympy as sp
    >>> from symbrnn import Cell, sigmoid
    >>> cell = Cell("c")
    >>> x = cell.input("x")
    >>> w = cell.param("w")
    >>> h = cell.state("h")
    >>> g = cell.node("g", sigmoid(w*x + h.prev))
    >>> cell.update(h, g*h.prev)
    >>> cell.loss(h**2)
    L_t
    >>> d = sp.diff(cell.expr("g"), w)
    >>> d
    x_t*(1 - sigmoid(h_{t-1} + w*x_t))*sigmoid(h_{t-1} + w*x_t)
    >>> fold(cell, d)
    g_t*x_t*(1 - g_t)
    """
    sub = step_substitution(cell, t) if t is not None else {}
    mapping = {}
    for n in cell.order():
        if cell.kind(n) == NODE:
            e = cell.expr(n).xreplace(sub) if sub else cell.expr(n)
            if not e.is_Atom:
                mapping[e] = sub.get(now(n), now(n)) if sub else now(n)
    return expr.xreplace(mapping) if mapping else expr
