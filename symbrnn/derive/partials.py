"""Differentiate the cell once: step partials as generic-time templates.

A *level* is a quantity the derivation tracks from step to step: every state,
the loss, and a node asked for as a target. Its *frontier* is the set of state
values it is differentiated against:

- a state's frontier is the previous state values it depends on, through
  intermediate nodes and through other states at the same step (stacked
  cells): its partials are those of the step function, so ∂h_t/∂θ holds
  exactly h_{t-1} fixed (the explicit term) and ∂h_t/∂h_{t-1} is the step
  Jacobian;
- the loss's (and a node's) frontier is the state values it reads through
  intermediate nodes only (h_t, sometimes h_{t-1}): dL_t/dθ = ∂L_t/∂θ +
  ∂L_t/∂h_t · dh_t/dθ.

:meth:`CellPartials.partial` chains the local partials of the cell's edges
accordingly, holding the frontier, the data and every other param fixed. The
result is a template in generic-time symbols; a derivation instantiates it
per step by substitution, so the cost is O(cell) once plus O(cell) per step,
never the size of the unrolled formula.

Examples
--------
>>> from symbrnn.cells import elman
>>> P = CellPartials(elman())
>>> P.frontier("h"), P.frontier("L")
((h_{t-1},), (h_t,))
>>> U = P.cell.symbol("U")
>>> P.partial("h", U)
h_{t-1}*(1 - tanh(a_t)**2)
>>> P.partial("h", P.cell.symbol("h").prev)
U*(1 - tanh(a_t)**2)
>>> P.local("a", U)
h_{t-1}
"""

from __future__ import annotations

import sympy as sp

from ..core.kinds import NODE, STATE
from ..core.symbols import Now, Prev
from ..declare.cell import Cell
from ..declare.lower import lowered

__all__ = ["CellPartials"]


class CellPartials:
    """The local and step partial derivatives of one cell, computed once and memoised."""

    def __init__(self, cell: Cell):
        cell = lowered(cell)  # a shaped cell is differentiated componentwise
        cell.validate()
        self.cell = cell
        self._memo: dict[tuple[str, sp.Symbol, bool], sp.Expr] = {}
        self._frontiers: dict[str, tuple[sp.Symbol, ...]] = {}
        self._symbols: dict[str, tuple[sp.Symbol, ...]] = {}
        self._locals: dict[tuple[str, sp.Symbol], sp.Expr] = {}
        self._sums: dict[str, tuple] = {}
        self._reach: dict[tuple[str, bool], frozenset] = {}

    def levels(self) -> tuple[str, ...]:
        """States in step order, then the loss."""
        order = self.cell.order()
        states = tuple(n for n in order if self.cell.kind(n) == STATE)
        return states + (self.cell.loss_name,)

    def frontier(self, name: str) -> tuple[sp.Symbol, ...]:
        """The state values quantity ``name`` is differentiated against, sorted."""
        if name not in self._frontiers:
            found: set[sp.Symbol] = set()
            self._collect(name, found, through_states=self.cell.kind(name) == STATE)
            self._frontiers[name] = tuple(sorted(found, key=sp.default_sort_key))
        return self._frontiers[name]

    def _collect(self, name: str, found: set, through_states: bool) -> None:
        for s in self.cell.expr(name).free_symbols:
            if isinstance(s, Prev):
                found.add(s)
            elif isinstance(s, Now):
                kind = self.cell.kind(s.name)
                if kind == NODE or (kind == STATE and through_states):
                    self._collect(s.name, found, through_states)
                elif kind == STATE:
                    found.add(s)

    def local(self, name: str, u: sp.Symbol) -> sp.Expr:
        """The local partial ∂v/∂u of quantity ``name``'s own expression (one edge).

        The same expression as ``e.diff(u)``. A sum (e = Σ terms, or f(Σ terms)
        as in tanh(W @ x + U @ h.prev)) differentiates only its terms that read
        u: the others give 0, and a sum of 256 products would differentiate
        each of them again for every one of its 256 symbols.
        """
        key = (name, u)
        if key not in self._locals:
            e = self.cell.expr(name)
            outer, terms = self._terms(name)
            if terms is None:
                self._locals[key] = e.diff(u)
            else:
                inner = sp.Add(*[a for a, symbols in terms if u in symbols]).diff(u)
                self._locals[key] = inner if outer is None or inner == 0 else outer * inner
        return self._locals[key]

    def _terms(self, name: str) -> tuple:
        """(f'(Σ) or None, [(term, its symbols)]) if the expression is Σ terms or f(Σ terms); else (None, None)."""
        if name not in self._sums:
            e = self.cell.expr(name)
            found = (None, None)
            if e.is_Add:
                found = (None, e.args)
            elif isinstance(e, sp.Function) and len(e.args) == 1 and e.args[0].is_Add and \
                    type(e)._eval_derivative is sp.Function._eval_derivative:  # sympy's chain rule, f'(g)·g'
                found = (e.fdiff(1), e.args[0].args)
            outer, terms = found
            self._sums[name] = (outer, None if terms is None else [(a, a.free_symbols) for a in terms])
        return self._sums[name]

    def _reads(self, name: str) -> tuple[sp.Symbol, ...]:
        """The symbols of ``name``'s own expression, sorted."""
        if name not in self._symbols:
            self._symbols[name] = tuple(sorted(self.cell.expr(name).free_symbols, key=sp.default_sort_key))
        return self._symbols[name]

    def _reaches(self, name: str, through_states: bool) -> frozenset:
        """Every symbol ``name`` depends on at its step (through nodes, and states if asked)."""
        key = (name, through_states)
        if key not in self._reach:
            found = set(self._reads(name))
            for u in self._reads(name):
                if isinstance(u, Now) and self._passes(u.name, through_states):
                    found |= self._reaches(u.name, through_states)
            self._reach[key] = frozenset(found)
        return self._reach[key]

    def partial(self, name: str, z: sp.Symbol) -> sp.Expr:
        """∂v/∂z for quantity ``name``, ``z`` a param or a symbol of its frontier.

        For a state, chained through intermediate nodes and other states at
        the same step; otherwise through intermediate nodes only. Every other
        param, the data and the rest of the frontier are held fixed.
        """
        return self._chain(name, z, self.cell.kind(name) == STATE)

    def _chain(self, name: str, z: sp.Symbol, through_states: bool) -> sp.Expr:
        key = (name, z, through_states)
        if key not in self._memo:
            total = sp.S.Zero
            if z in self._reaches(name, through_states):  # else every path gives 0: skip them (a speed-up only)
                for u in self._reads(name):
                    if u == z:
                        total += self.local(name, u)
                    elif isinstance(u, Now) and self._passes(u.name, through_states):
                        inner = self._chain(u.name, z, through_states)
                        if inner != 0:
                            total += self.local(name, u) * inner
            self._memo[key] = total
        return self._memo[key]

    def _passes(self, name: str, through_states: bool) -> bool:
        kind = self.cell.kind(name)
        return kind == NODE or (kind == STATE and through_states)
