"""What the generated BPTT program computes, apart from the language it is written in; and its Python text.

A :class:`BPTTPlan` holds, for one (lowered, scalar) cell, the forward
assignments of a step, the cse'd step partials of the backward step, and
for each state, param and carried delta the products that make it up, as
sympy expressions over plain identifiers. :mod:`symbrnn.codegen.python` writes the
plan as a Python function; :mod:`symbrnn.codegen.c.source` writes the same plan in C.

Examples
--------
>>> from symbrnn.cells import elman
>>> plan = BPTTPlan(elman())
>>> plan.params, plan.states, plan.loss
(('w', 'U', 'V', 'b', 'c'), ('h',), 'L')
>>> plan.forward[0]
('a', U*h_prev + b + w*x)
>>> plan.grads[1]
('U', [('h', _c0*h_prev)])
"""

from __future__ import annotations

import sympy as sp

from ..core import progress
from ..core.kinds import INPUT, PARAM, STATE, TARGET
from ..core.symbols import Now, now, param, prev
from ..declare.cell import Cell
from ..derive.partials import CellPartials
from .printing import identifiers

__all__ = ["BPTTPlan"]


class BPTTPlan:
    """The forward and backward step of a scalar cell, as named assignments (independent of T).

    Parameters
    ----------
    low : Cell
        A scalar cell (a shaped cell's :func:`~symbrnn.declare.lower.lowered` form).

    Attributes
    ----------
    data, params, states : tuple of str
        The cell's per-step data (inputs, then targets), params and states (in step order).
    ident : dict
        The identifier of each quantity, param and previous state (``"h_prev"``) in the generated code.
    forward : list of (str, sympy.Expr)
        One step's assignments, in order: quantity name, its expression over identifiers.
    loss : str
        The name of the per-step loss.
    stored : list of str
        The quantities the backward loop reads back (kept per step by the forward loop).
    prevs : list of str
        The states whose previous value the backward loop reads.
    back_data, back_stored : list of str
        The data and stored quantities the backward step reads.
    temps : list of (sympy.Symbol, sympy.Expr)
        The backward step's common subexpressions (``_c0``, ``_c1``, ...).
    deltas : list of (str, list of sympy.Expr)
        Per state s: the loss's same-step partials that add to the carried delta into δs_t.
    grads : list of (str, list of (str or None, sympy.Expr))
        Per param: (level, factor) products; the level's delta times the factor (None: the loss, delta 1).
    carries : list of (str, list of (str or None, sympy.Expr))
        Per state s: the products that make δ carried to step t - 1 (through s_{t-1}).
    """

    def __init__(self, low: Cell):
        P = CellPartials(low)
        order = low.order()
        self.states = states = tuple(n for n in order if low.kind(n) == STATE)
        self.data = data = low.names(INPUT) + low.names(TARGET)
        self.params = params = low.names(PARAM)
        ids = identifiers(low)
        self.ident = {n: ids[param(n) if low.kind(n) == PARAM else now(n)].name for n in low.names()}
        self.ident.update({f"{s}.prev": ids[prev(s)].name for s in states})
        self.loss = loss = low.loss_name
        self.forward = [(n, low.expr(n).xreplace(ids)) for n in order]
        terms = _step_partials(low, P, order, params, states + (loss,))
        temps, reduced = sp.cse([e.xreplace(ids) for _, _, e in terms], symbols=sp.numbered_symbols("_c"))
        self.temps = temps
        value = dict(zip([(v, what) for v, what, _ in terms], reduced, strict=True))
        used = {str(x) for e in [*reduced, *(e for _, e in temps)] for x in e.free_symbols}
        self.prevs = [s for s in states if self.ident[f"{s}.prev"] in used]
        self.stored = [n for n in order if self.ident[n] in used or n in self.prevs]
        self.back_data = [n for n in data if self.ident[n] in used]
        self.back_stored = [n for n in self.stored if self.ident[n] in used]

        def level(v: str) -> str | None:
            return None if v == loss else v

        self.deltas = [(s, [value[v, w] for v, w in value if w == ("now", s) and v == loss]) for s in states]
        self.grads = [(p, [(level(v), value[v, w]) for v, w in value if w == p]) for p in params]
        self.carries = [(s, [(level(v), value[v, w]) for v, w in value if w == ("prev", s)]) for s in states]

    def __repr__(self) -> str:
        return f"BPTTPlan(params={self.params!r}, states={self.states!r})"


def _step_partials(low: Cell, P: CellPartials, order, params, levels) -> list:
    """(level, what, expression) for every nonzero partial: what is a param, ("now", s) or ("prev", s)."""
    back = {low.expr(n): now(n) for n in order if not low.expr(n).is_Symbol}  # tanh(a_t) read back as h_t
    terms, symbols = [], [(p, param(p)) for p in params]
    for v in progress.track(levels, f"differentiating cell {low.name!r} for BPTT"):
        for p, sym in symbols:
            e = P.partial(v, sym)
            if e != 0:
                terms.append((v, p, e.xreplace(back)))
        for z in P.frontier(v):
            e = P.partial(v, z)
            if e != 0:
                terms.append((v, ("now" if isinstance(z, Now) else "prev", z.name), e.xreplace(back)))
    return terms
