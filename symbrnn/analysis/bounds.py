"""Bounds in closed form: the maximum of an activation's derivative, and ‖∂h_t/∂h_{t-1}‖ ≤ ‖U‖·max|f'|.

The maximum of |f'| is found by sympy from the derivative sympy gives
(``fdiff``), not from a table, so a user's own activation gets one too:
written in terms of f's own output when it can be (σ' = σ(1 − σ) over
σ ∈ (0, 1)), else directly, rewritten with ``exp`` or split into pieces
(relu' = Heaviside). A state of the Elman family, h_t = f(A·h_{t-1} + terms
without h_{t-1}) with A made of params, has the step Jacobian
J_t = diag(f'(a_t))·A, so ‖J_t‖₂ ≤ max|f'|·‖A‖₂ and a product over k steps
is at most (max|f'|·‖A‖₂)^k. For seed 003's scalar h_t = σ(w·h_{t-1} + …)
that is |w|/4: the gradient vanishes for every input when |w| < 4. A cell
whose states are not of this form gets no simple bound, and
:attr:`StepBound.reason` says why. For a gated cell (LSTM, GRU) the bound
that holds is on the direct path s_{t-1} → s_t through the gate
(:mod:`.gates`): :attr:`StepBound.gates` lists it.

Examples
--------
>>> from symbrnn import sigmoid, relu
>>> import sympy as sp
>>> derivative_max(sigmoid), derivative_max(sp.tanh), derivative_max(relu), derivative_max(sp.exp)
(1/4, 1, 1, oo)
>>> from symbrnn.cells import elman
>>> b = step_bound(elman())
>>> b.expr, b.value({"U": -0.8})
(Abs(U), 0.8)
>>> from symbrnn.cells import lstm
>>> g = step_bound(lstm(2, 3))
>>> g.holds, [(p.state, str(p.gate), p.whole) for p in g.gates]
(False, [('c', 'f_t', True)])
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..core.display import Displayed
from ..core.kinds import PARAM, STATE
from ..core.symbols import Prev, now, prev
from ..declare.cell import Cell
from ..declare.lower import components, lowered
from .gates import GatedPath, gated_paths
from .ranges import X, function_values, value_range

__all__ = ["StepBound", "derivative_max", "step_bound"]



def _sup_abs(expr, x, domain=sp.S.Reals):
    """sup |expr| over ``domain``, or None if sympy cannot find it."""
    if expr.has(sp.Heaviside):
        expr = expr.rewrite(sp.Piecewise)
    if isinstance(expr, sp.Piecewise):
        found, rest = [], domain
        for piece, cond in expr.args:
            where = rest if cond is sp.true else sp.Intersection(cond.as_set(), rest)
            rest = sp.Complement(rest, where)
            if not where.is_empty:
                found.append(_sup_abs(piece, x, where))
        return None if any(f is None for f in found) else sp.Max(*found)
    values = value_range(expr, x, domain) or value_range(expr.rewrite(sp.exp), x, domain)
    if values is None:
        return None
    return sp.Max(sp.Abs(values.inf), sp.Abs(values.sup))


def derivative_max(f) -> sp.Expr | None:
    """max over real x of |f'(x)|, found by sympy from the derivative ``fdiff`` gives (None if it cannot).

    Parameters
    ----------
    f : a one-argument sympy Function (class or callable), e.g. ``sigmoid``, ``sympy.tanh``, ``relu``

    Returns
    -------
    sympy number (``oo`` if unbounded) or None
    """
    fx = f(X)
    d = sp.diff(fx, X)
    y = sp.Dummy("y", real=True)
    own = d.xreplace({fx: y})  # the derivative in terms of f's own output
    if X not in own.free_symbols and y in own.free_symbols:
        outputs = function_values(f)
        if outputs is not None:
            found = _sup_abs(own, y, outputs)
            if found is not None:
                return found
    return _sup_abs(d, X)


@dataclass(frozen=True, eq=False)
class StepBound(Displayed):
    """‖∂s_t/∂s_{t-1}‖₂ ≤ factor·‖A‖₂ for a cell whose states are f(A·s_{t-1} + …), or why there is none.

    Attributes
    ----------
    cell_name : str
    activations : dict
        Each activation's name -> max |f'| (sympy).
    factor : sympy number or None
        The largest of them.
    matrix : sympy.Matrix or None
        A: the coefficients of the previous states (params only).
    matrix_name : str or None
        The param A is (``"U"``), when it is exactly one param's components.
    expr : sympy expression or None
        The bound in closed form for a scalar state (``Abs(w)/4``).
    reason : str or None
        Why there is no simple bound (None when there is one).
    gates : tuple of GatedPath
        For a gated cell, each state s_t = g_t ⊙ s_{t-1} + r_t: the direct path's bound (see :mod:`.gates`).
    """

    cell_name: str
    activations: dict = field(default_factory=dict)
    factor: sp.Expr | None = None
    matrix: sp.Matrix | None = None
    matrix_name: str | None = None
    expr: sp.Expr | None = None
    reason: str | None = None
    gates: tuple[GatedPath, ...] = ()

    @property
    def holds(self) -> bool:
        """Whether a simple bound was found."""
        return self.reason is None

    def value(self, params) -> float | None:
        """The bound's number for param values: by name (``{"U": [[...]]}``) or by component (``"U[0,1]"``)."""
        if not self.holds:
            return None
        numbers = {}
        for name, v in params.items():
            name = str(getattr(name, "name", name))
            arr = np.asarray(v, dtype=float)
            numbers[name] = float(arr) if arr.ndim == 0 else arr
        subs = {}
        for s in self.matrix.free_symbols:
            base, _, index = s.name.partition("[")
            v = numbers[s.name] if s.name in numbers else numbers[base]
            subs[s] = float(np.asarray(v)[tuple(int(i) for i in index.rstrip("]").split(","))] if index else v)
        A = np.array(self.matrix.xreplace(subs).tolist(), dtype=float)
        return float(self.factor) * float(np.linalg.norm(A, 2))

    def over(self, k: int, params) -> float | None:
        """The bound on a product of k step Jacobians: value**k."""
        v = self.value(params)
        return None if v is None else v ** k


def _full_exprs(low: Cell) -> dict:
    """Each state component's expression in previous states, data and params (nodes substituted)."""
    full: dict = {}
    for n in low.order():
        full[now(n)] = low.expr(n).xreplace(full)
    return {s: full[now(s)] for s in low.names(STATE)}


def _split(expr):
    """(f, argument) if ``expr`` is one application of a one-argument function with a derivative, else None."""
    if isinstance(expr, sp.Function) and len(expr.args) == 1 and expr.args[0].has(Prev):
        return type(expr), expr.args[0]
    return None


def step_bound(cell: Cell) -> StepBound:
    """The closed-form bound on ‖∂s_t/∂s_{t-1}‖ of ``cell`` (see the module), or a StepBound saying why not."""
    low = lowered(cell)
    states = low.names(STATE)
    params = {low.symbol(p) for p in low.names(PARAM)}
    olds = [prev(s) for s in states]
    rows, acts = [], {}
    for s, e in _full_exprs(low).items():
        split = _split(e)
        if split is None:
            return _gated(cell, s)
        f, arg = split
        row = [sp.diff(arg, o) for o in olds]
        if any(not (r.free_symbols <= params) for r in row):  # a coefficient that is not made of params alone
            return StepBound(cell.name, reason=f"{s}'s activation is not linear in the previous states:"
                                               " no simple bound")
        acts.setdefault(f.__name__, derivative_max(f))
        rows.append(row)
    if any(m is None for m in acts.values()):
        missing = ", ".join(k for k, m in acts.items() if m is None)
        return StepBound(cell.name, activations=acts, reason=f"sympy finds no maximum of {missing}': no simple bound")
    factor = sp.Max(*acts.values())
    A = sp.Matrix(rows)
    return StepBound(cell.name, acts, factor, A, _param_named(cell, A), factor * sp.Abs(A[0, 0]) if A.shape == (1, 1)
                     else None)


def _gated(cell: Cell, s: str) -> StepBound:
    """The StepBound of a cell whose state ``s`` is not one activation: no simple bound, and the gated paths."""
    gates = gated_paths(cell)
    if not gates:
        return StepBound(cell.name, reason=f"{s} is not one activation of its previous states"
                                           " (a gated or additive update): no simple bound")
    said = "; ".join(p.statement() for p in gates)
    return StepBound(cell.name, reason=f"{cell.name} is a gated cell: the whole step Jacobian has no simple bound,"
                                       f" but the direct path through the gate has one. {said}.", gates=gates)


def _param_named(cell: Cell, A: sp.Matrix) -> str | None:
    for p in cell.names(PARAM):
        shape = cell.shape(p) or (1, 1)
        if tuple(shape) == A.shape and [str(a) for a in A] == components(cell, p):
            return p
    return None
