"""unroll(cell, T): the cell copied for t = 1..T, initial states at t = 0, as a DAG.

Examples
--------
>>> from symbrnn.cells import elman
>>> u = unroll(elman(), T=3)
>>> u.expr(u.symbol("h", 2))
tanh(a_2)
>>> u.expr(u.symbol("a", 2))
U*h_1 + b + w*x_2
>>> u.graph.nodes["h_0"]["kind"], u.graph.nodes["h_0"]["expr"]
('initial', 0)
>>> [str(s) for s in u.order[:4]]
['h_0', 'a_1', 'h_1', 'yhat_1']
"""

from __future__ import annotations

from functools import cached_property

import networkx as nx
import sympy as sp

from ..core import errors
from ..core.kinds import EXPR, INPUT, KIND, PARAM, PER_STEP, STATE, SYMBOL, TARGET
from ..core.symbols import MAX_SYMBOLIC_STEPS, Step, check_steps, now, param, prev, split_step, step
from ..declare.cell import Cell
from ..declare.lower import lowered

__all__ = ["INITIAL", "TOTAL_LOSS", "Unrolled", "step_substitution", "unroll"]

INITIAL, TOTAL_LOSS = "initial", "total_loss"
STEP = "t"


def step_substitution(cell: Cell, t: int) -> dict:
    """The map from generic-time symbols to step ``t``: x_t -> x_3, h_{t-1} -> h_2."""
    sub = {}
    for name in cell.names():
        kind = cell.kind(name)
        if kind in PER_STEP:
            sub[now(name)] = step(name, t)
        if kind == STATE:
            sub[prev(name)] = step(name, t - 1)
    return sub


class Unrolled:
    """The unrolled computation: every quantity at every step, as a networkx DAG.

    Attributes
    ----------
    cell : Cell
    T : int
    graph : networkx.DiGraph
        Nodes are named ``"h_3"`` (per-step quantities at a step), ``"w"``
        (params) and the loss name (the total loss L = Σ L_t); attributes
        ``kind``, ``t`` (None for params), ``symbol`` and, where computed,
        ``expr``. Initial states have kind ``"initial"`` and t = 0.
    order : tuple of sympy.Symbol
        The computed symbols in evaluation order.
    """

    def __init__(self, cell: Cell, T: int):
        self.T = check_steps(T, MAX_SYMBOLIC_STEPS)
        cell.validate()
        cell = lowered(cell)  # a shaped cell unrolls componentwise
        self.cell = cell
        self._defs: dict[sp.Symbol, sp.Expr] = {}
        self.graph = nx.DiGraph(name=f"{cell.name} unrolled", T=self.T)
        order = []
        for p in cell.names(PARAM):
            self.graph.add_node(p, **{KIND: PARAM, STEP: None, SYMBOL: param(p)})
        for s in cell.names(STATE):
            order.append(self._add(step(s, 0), INITIAL, 0, cell.init(s)))
        step_order = cell.order()
        for t in range(1, self.T + 1):
            sub = step_substitution(cell, t)
            for n in cell.names():
                if cell.kind(n) in (INPUT, TARGET):
                    self._add(step(n, t), cell.kind(n), t, None)
            for n in step_order:
                order.append(self._add(step(n, t), cell.kind(n), t, cell.expr(n).xreplace(sub)))
        self.order = tuple(order)
        total = cell.loss_name
        self.graph.add_node(total, **{KIND: TOTAL_LOSS, STEP: None, SYMBOL: sp.Symbol(total), EXPR: self.loss})
        self.graph.add_edges_from((step(total, t).name, total) for t in range(1, self.T + 1))

    def _add(self, sym: Step, kind: str, t: int, expr) -> Step:
        attrs = {KIND: kind, STEP: t, SYMBOL: sym}
        if expr is not None:
            attrs[EXPR] = expr
            self._defs[sym] = expr
        self.graph.add_node(sym.name, **attrs)
        if expr is not None:
            for s in sorted(expr.free_symbols, key=sp.default_sort_key):
                self.graph.add_edge(s.name, sym.name)
        return sym

    def __repr__(self) -> str:
        return f"Unrolled({self.cell.name!r}, T={self.T}: {self.graph.number_of_nodes()} nodes)"

    def symbol(self, name: str, t: int) -> Step:
        """The symbol of quantity ``name`` at step ``t`` (t = 0 for initial states)."""
        sym = step(name, t)
        if sym.name not in self.graph:
            raise errors.WrtError(f"{sym} is not in the unrolled graph of {self.cell.name!r} (T={self.T})")
        return sym

    def expr(self, sym: sp.Symbol | str) -> sp.Expr:
        """The one-step definition of a computed symbol (h_2 -> tanh(a_2)); its name ``"h_2"`` works too."""
        if isinstance(sym, str):
            parts = split_step(sym)
            sym = step(*parts) if parts else sp.Symbol(sym)
        try:
            return self._defs[sym]
        except KeyError:
            raise errors.WrtError(f"{sym} is not a computed quantity of the unrolled {self.cell.name!r}") from None

    @cached_property
    def loss(self) -> sp.Expr:
        """The total loss L = Σ_t L_t, in per-step loss symbols."""
        name = self.cell.loss_name
        return sp.Add(*(step(name, t) for t in range(1, self.T + 1)))

    def expanded(self, expr: sp.Expr, *, keep_initial: bool = False) -> sp.Expr:
        """``expr`` with every computed symbol replaced by its definition, recursively.

        The result is in params, inputs, targets (and initial states if
        ``keep_initial``). It grows fast with T: meant for small T, as an
        independent oracle and for printing.
        """
        full: dict[sp.Symbol, sp.Expr] = {}
        for sym in self.order:
            if keep_initial and sym.t == 0:
                continue
            full[sym] = self._defs[sym].xreplace(full)
        return expr.xreplace(full)


def unroll(cell: Cell, T: int) -> Unrolled:
    """Unroll ``cell`` for ``T`` steps.

    Raises
    ------
    StepsError
        If T is not a whole number >= 1.
    CellError
        If the cell is incomplete or has an algebraic loop.
    """
    return Unrolled(cell, T)
