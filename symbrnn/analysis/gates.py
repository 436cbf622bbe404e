"""Gated states: where a forget (or update) gate enters the step Jacobian, and the bound that holds there.

A state of a gated cell is written s_t = g_t ⊙ s_{t-1} + r_t, with the gate
g_t made of activations whose outputs lie in a bounded range (σ ∈ (0, 1), and
1 − σ). The LSTM's cell state is c_t = f_t ⊙ c_{t-1} + i_t ⊙ a_t; the GRU's
h_t = z_t ⊙ h_{t-1} + (1 − z_t) ⊙ n_t. The direct path s_{t-1} → s_t then has
the Jacobian diag(g_t), so a product over k steps along it is Π_j diag(g_j),
with norm max_i Π_j g_j[i] < 1: that path never explodes, and the gate sets
its rate (a forget gate near 1 keeps the gradient, near 0 cuts it). For the
LSTM's c the direct path is the whole of ∂c_t/∂c_{t-1} (the gates read
h_{t-1}, not c_{t-1}); for the GRU the paths through z_t, r_t and n_t add to
it. Those paths have no simple bound: c is not bounded, and a gate's
derivative multiplies the state.

:func:`gated_paths` finds the gated states of a cell symbolically (no hand
table of cells); :func:`direct_log_norms` gives the direct path's product
norms from the forward values.

Examples
--------
>>> from symbrnn.cells import gru, lstm
>>> [(p.state, str(p.gate), p.low, p.high, p.whole) for p in gated_paths(lstm(2, 3))]
[('c', 'f_t', 0, 1, True)]
>>> [(p.state, str(p.gate), p.whole) for p in gated_paths(gru(2, 3))]
[('h', 'z_t', False)]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import sympy as sp
from sympy.calculus.accumulationbounds import AccumBounds

from ..core.kinds import NODE, STATE
from ..core.symbols import Prev, now, prev
from ..declare.cell import Cell
from ..declare.lower import lowered
from .ranges import function_outputs

__all__ = ["GatedPath", "direct_log_norms", "gated_paths"]


@dataclass(frozen=True)
class GatedPath:
    """A state s_t = g_t ⊙ s_{t-1} + r_t whose coefficient g_t (the gate) lies in [low, high].

    Attributes
    ----------
    state : str
        The state's name (``"c"``).
    gate : sympy expression
        g_t in the cell's own names at step t (``f_t``, or ``1 - z_t``).
    low, high : sympy numbers
        The range of g_t over every input (σ: 0 and 1, not reached).
    whole : bool
        Whether diag(g_t) is all of ∂s_t/∂s_{t-1} (neither the gate nor r_t reads s_{t-1}).
    components : tuple of (str, sympy expression)
        Each component of the state and its gate in the lowered cell's names (for the numbers).
    reads : tuple of str
        The other states whose previous values the gate and r_t read (the LSTM's c: ``("h",)``).
    """

    state: str
    gate: sp.Expr
    low: sp.Expr
    high: sp.Expr
    whole: bool
    components: tuple = ()
    reads: tuple = ()

    @property
    def label(self) -> str:
        """The gate as text, with a true minus sign (``f_t``, ``1 − z_t``)."""
        return str(self.gate).replace("- ", "− ")

    def statement(self) -> str:
        """The bound in words (``∂c_t/∂c_{t-1} = diag(f_t) with 0 ≤ f_t ≤ 1, so ...``)."""
        s, g = self.state, self.label
        most = "1" if self.high == 1 else f"{self.high}^k"
        out = (f"∂{s}_t/∂{s}_{{t-1}} = diag({g})" + ("" if self.whole else " + (the paths through the gates)")
               + f" with {self.low} ≤ {g} ≤ {self.high}, so the direct path {s}_{{t-1}} → {s}_t over k steps has"
               f" norm at most {most} and {g} sets its rate")
        if not self.whole:
            return out + "; the paths through the gates have no simple bound"
        others = ", ".join(f"{r}_{{t-1}}" for r in self.reads)
        return out + (f"; the gates read {others}, and the paths through it have no simple bound" if others else "")


def _base(name: str) -> str:
    return name.partition("[")[0]


def _coefficient(expr: sp.Expr, p: sp.Symbol) -> tuple[sp.Expr, sp.Expr] | None:
    """(g, r) with expr = g·p + r, g and r free of p as a factor, or None if p is not a plain factor."""
    g, r = [], []
    for term in sp.Add.make_args(expr):
        factors = sp.Mul.make_args(term)
        if factors.count(p) == 1:
            rest = sp.Mul(*[f for f in factors if f != p])
            if rest.has(p):
                return None
            g.append(rest)
        else:
            r.append(term)
    return (sp.Add(*g), sp.Add(*r)) if g else None


def _interval(g: sp.Expr, nodes: dict) -> AccumBounds | None:
    """g's range when it is made of bounded activations (a gate), written inline or as nodes, else None."""
    if not g.free_symbols:  # a constant coefficient (a leaky integrator) is not a gate
        return None
    ranges = {}
    for app in g.atoms(sp.Function):  # xreplace replaces the outermost match, so nested ones do not matter
        if len(app.args) == 1 and (out := function_outputs(type(app))) is not None:
            ranges[app] = out
    for s in g.free_symbols:
        e = nodes.get(s)
        if isinstance(e, sp.Function) and len(e.args) == 1 and (out := function_outputs(type(e))) is not None:
            ranges[s] = out
    value = g.xreplace(ranges)
    if value.free_symbols:
        return None
    return value if isinstance(value, AccumBounds) else AccumBounds(value, value)


def gated_paths(cell: Cell) -> tuple[GatedPath, ...]:
    """Every state of ``cell`` written g_t ⊙ s_{t-1} + r_t with a bounded gate g_t, found symbolically.

    A state whose coefficient of its own previous value is a param (a leaky integrator) or unbounded is
    not gated. ``cell`` may be shaped (it is lowered to components).
    """
    low = lowered(cell)
    nodes = {now(n): low.expr(n) for n in low.names(NODE)}
    reads: dict = {}  # each quantity at step t -> the previous states it reads, through any nodes (linear work)
    for n in low.order():
        reads[now(n)] = _reads(low.expr(n), reads)
    found: dict = {}
    for s in low.names(STATE):
        split = _coefficient(low.expr(s), prev(s))
        if split is None:
            continue
        g, r = split
        span = _interval(g, nodes)
        if span is None or span.min < 0:
            continue
        found.setdefault(_base(s), []).append((s, g, r, span))
    return tuple(_path(base, parts, reads, low) for base, parts in found.items()
                 if len(parts) == len([s for s in low.names(STATE) if _base(s) == base]))


def _reads(expr, reads: dict) -> frozenset:
    out: set = set()
    for sym in getattr(expr, "free_symbols", ()):
        if isinstance(sym, Prev):
            out.add(sym)
        else:
            out |= reads.get(sym, frozenset())
    return frozenset(out)


def _path(base: str, parts: list, reads: dict, low: Cell) -> GatedPath:
    read = set().union(*[_reads(g, reads) | _reads(r, reads) for _, g, r, _ in parts])
    olds = {prev(s) for s in low.names(STATE) if _base(s) == base}
    whole = not read & olds
    others = sorted({_base(s.name) for s in read if isinstance(s, Prev)} - {base})
    _, g0, _, _ = parts[0]
    generic = g0.xreplace({sym: now(_base(sym.name)) for sym in g0.free_symbols})
    low_ = sp.Min(*[span.min for *_, span in parts])
    high = sp.Max(*[span.max for *_, span in parts])
    return GatedPath(base, generic, low_, high, whole, tuple((s, g) for s, g, _, _ in parts), tuple(others))


def direct_log_norms(path: GatedPath, forward: dict, T: int) -> np.ndarray:
    """log ‖Π_{j=T-ℓ+1..T} diag(g_j)‖₂ = max_i Σ_j log|g_j[i]| by lag ℓ = 0..T, from the forward values
    (:meth:`symbrnn.CompiledCell.forward`)."""
    columns = []
    for _, g in path.components:
        syms = sorted(g.free_symbols, key=lambda s: s.name)
        f = sp.lambdify(syms, g, "numpy")
        args = [_series(forward, s.name, T) for s in syms]
        columns.append(np.broadcast_to(np.asarray(f(*args), dtype=float), (T,)))
    logs = np.log(np.abs(np.stack(columns, axis=1)))[::-1]  # step T first
    return np.concatenate([[0.0], np.max(np.cumsum(logs, axis=0), axis=1)])


def _series(forward: dict, component: str, T: int) -> np.ndarray:
    base, _, index = component.partition("[")
    idx = tuple(int(i) for i in index.rstrip("]").split(",")) if index else ()
    return np.array([np.asarray(forward[base][t], dtype=float)[idx] for t in range(1, T + 1)])
