"""The generic-T form: dL/dθ for any number of steps T, as sympy Sum and Product over indexed step quantities.

For a cell with one state h, in forward mode (sum over the loss step t first)::

    dL/dθ = Σ_{t=1..T} ∂L_t/∂h_t · Σ_{k=1..t} (Π_{j=k+1..t} ∂h_j/∂h_{j-1}) · ∂h_k/∂θ

(plus Σ_t ∂L_t/∂θ when the loss reads θ itself, and the initial-state term
(Π_{j=1..t} ∂h_j/∂h_{j-1}) · dh_0/dθ when θ is, or sets, h_0). In reverse mode
the same sum is taken over k first, and its inner sum is the delta
δh_k = Σ_{t=k..T} ∂L_t/∂h_t · Π_{j=k+1..t} ∂h_j/∂h_{j-1}.

A cell with several states (c, h) has the same form in the state vector
s_t = (c_t, h_t): ∂L_t/∂s_t is a row, ∂s_j/∂s_{j-1} the step Jacobian (a
matrix), ∂s_k/∂θ a column. Those quantities are non-commutative, and the
ordered product J_t · J_{t-1} ⋯ J_{k+1} is written Π_{i=0..t-k-1} J_{t-i}.

The form is built from the cell's step partials only (O(cell), no T).
:meth:`GenericForm.at` specialises it to a number of steps and
:meth:`GenericForm.unrolled` replaces each indexed quantity by the engine's
partial at that step, so it can be compared with a derivation.

:class:`symbrnn.render.GenericForm` prints it.

Examples
--------
>>> from symbrnn.cells import elman
>>> g = GenericDerivative(elman(), "U")
>>> g.expr
Sum(G0[t]*Sum(E[k]*Product(J[j], (j, k + 1, t)), (k, 1, t)), (t, 1, T))
>>> print(g.unrolled(2))
∂L_1/∂h_1*∂h_1/∂U + ∂L_2/∂h_2*∂h_1/∂U*∂h_2/∂h_1 + ∂L_2/∂h_2*∂h_2/∂U
"""

from __future__ import annotations

import sympy as sp

from ..core import errors
from ..core.symbols import Named, Now, Prev, Step, step
from ..declare.cell import Cell
from .partials import CellPartials
from .total import resolve_wrt
from .unroll import step_substitution

__all__ = ["GenericDerivative"]

_INTEGER = {"integer": True, "positive": True}


class GenericDerivative:
    """dL/dθ for a symbolic number of steps T (Sum and Product over indexed quantities), as sympy expressions.

    Parameters
    ----------
    cell : Cell
    wrt : param symbol, initial-state symbol or str
        As for :func:`symbrnn.derive`.
    mode : {"forward", "reverse"}
        The order of the sums: over the loss step t first (forward), or over
        the step k of the explicit term first, with the delta inside (reverse).
    truncate : int, optional
        Truncated BPTT after τ steps: a loss at step t reaches θ only through
        steps k with t − τ < k ≤ t (paths at most τ − 1 steps long; the
        initial state is step 0), as :func:`symbrnn.gradients` with
        ``truncate=τ``. The form is written in the symbol τ (:attr:`tau`);
        :meth:`at` puts in its value. τ = 1 keeps the explicit terms only.

    Attributes
    ----------
    expr : sympy.Expr
        The form, in ``T`` and the indexed quantities ``X`` (∂L_t/∂θ), ``G0``
        (∂L_t/∂s_t), ``G1`` (∂L_t/∂s_{t-1}, when the loss reads a previous
        state), ``J`` (step Jacobian) and ``E`` (∂s_k/∂θ), and ``D[0]``
        (ds_0/dθ) for several states.
    T : sympy.Symbol
    tau : sympy.Symbol or None
        τ, the truncation, when ``truncate`` is given.
    legend : tuple of (str, str)
        Symbols and their meaning, e.g. ``("s_t", "(c_t, h_t)")``.

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> g = GenericDerivative(elman(), "h_0", mode="reverse")
    >>> g.at(2)
    G0[1]*J[1] + G0[2]*J[1]*J[2]

    Truncated after τ = 1 step, only the explicit terms are left:

    >>> t = GenericDerivative(elman(), "U", truncate=1)
    >>> t.expr
    Sum(G0[t]*Sum(E[k]*Product(J[j], (j, k + 1, t)), (k, Max(1, t - τ + 1), t)), (t, 1, T))
    >>> t.at(3)
    E[1]*G0[1] + E[2]*G0[2] + E[3]*G0[3]
    """

    def __init__(self, cell: Cell, wrt, *, mode: str = "forward", truncate: int | None = None):
        if mode not in ("forward", "reverse"):
            raise ValueError(f"mode={mode!r}: use 'forward' or 'reverse'")
        if truncate is not None and (isinstance(truncate, bool) or not isinstance(truncate, int) or truncate < 1):
            raise errors.StepsError(f"truncate={truncate!r}: the generic form truncates after a whole number"
                                    " τ >= 1 of steps, e.g. truncate=3")
        cell.validate()
        self.cell, self.mode, self.truncate = cell, mode, truncate
        self.tau = None if truncate is None else sp.Symbol("τ", **_INTEGER)
        self.wrt = resolve_wrt(cell, wrt)
        self.partials = CellPartials(cell)
        self.states = self.partials.levels()[:-1]
        self.loss = cell.loss_name
        self.T = sp.Symbol("T", **_INTEGER)
        self.vector = len(self.states) > 1
        self.s = self._vector_name() if self.vector else self.states[0]
        c = not self.vector
        self._base = {n: sp.IndexedBase(n, commutative=c) for n in ("D", "G0", "G1", "J", "E", "X")}
        lags = {1 if isinstance(z, Prev) else 0 for z in self.partials.frontier(self.loss)}
        self.lags = tuple(sorted(lags))
        self.has_explicit = any(self._template(s, self.wrt) != 0 for s in self.states)
        self.has_loss_explicit = self._template(self.loss, self.wrt) != 0
        self.initial = tuple(self._initial(s) for s in self.states)
        self.expr = self._build()

    def __repr__(self) -> str:
        cut = "" if self.truncate is None else f", truncate={self.truncate}"
        return f"{type(self).__name__}(dL/d{self.wrt}, cell={self.cell.name!r}, mode={self.mode!r}{cut})"

    # ------------------------------------------------------------------ building
    def _vector_name(self) -> str:
        return next(n for n in ("s", "z", "S", "state") if n not in self.cell.names())

    def _template(self, name: str, z) -> sp.Expr:
        if isinstance(z, Step):
            return sp.S.Zero  # an initial state enters through the recursion only
        return self.partials.partial(name, z)

    def _initial(self, s: str) -> int:
        return self.cell.init_derivative(s, self.wrt.name)

    def _chain(self, a, b):
        """The ordered product J_b ⋯ J_a of the step Jacobians (1 if a > b)."""
        J = self._base["J"]
        if self.vector:
            i = sp.Symbol("i", integer=True, nonnegative=True)
            return sp.Product(J[b - i], (i, 0, b - a))
        j = sp.Symbol("j", **_INTEGER)
        return sp.Product(J[j], (j, a, b))

    def _d0(self):
        if self.vector:
            return self._base["D"][0] if any(self.initial) else sp.S.Zero
        return sp.Integer(self.initial[0])

    def _build(self) -> sp.Expr:
        T, t, k = self.T, sp.Symbol("t", **_INTEGER), sp.Symbol("k", **_INTEGER)
        X = self._base["X"]
        total = sp.Sum(X[t], (t, 1, T)) if self.has_loss_explicit else sp.S.Zero
        if self.tau is not None:
            return total + self._truncated(t, k)
        E, d0 = self._base["E"], self._d0()
        if self.mode == "forward":
            for lag in self.lags:
                u = t - lag
                D = sp.S.Zero
                if self.has_explicit:
                    D += sp.Sum(self._chain(k + 1, u) * E[k], (k, 1, u))
                if d0 != 0:
                    D += self._chain(1, u) * d0
                if D != 0:
                    total += sp.Sum(self._base[f"G{lag}"][t] * D, (t, 1, T))
            return total
        if self.has_explicit:
            delta = sp.Add(*(sp.Sum(self._base[f"G{lag}"][t] * self._chain(k + 1, t - lag), (t, k + lag, T))
                             for lag in self.lags))
            total += sp.Sum(delta * E[k], (k, 1, T))
        if d0 != 0:
            total += self._initial_term(t)
        return total

    def _truncated(self, t, k) -> sp.Expr:
        """The terms of lag t − k < τ: the explicit steps k > t − τ, the initial state (k = 0) only for t < τ."""
        T, tau, E, total = self.T, self.tau, self._base["E"], sp.S.Zero
        if self.has_explicit and self.mode == "forward":
            for lag in self.lags:
                inner = sp.Sum(self._chain(k + 1, t - lag) * E[k], (k, sp.Max(1, t - tau + 1), t - lag))
                total += sp.Sum(self._base[f"G{lag}"][t] * inner, (t, 1, T))
        elif self.has_explicit:
            delta = sp.Add(*(sp.Sum(self._base[f"G{lag}"][t] * self._chain(k + 1, t - lag),
                                    (t, k + lag, sp.Min(T, k + tau - 1))) for lag in self.lags))
            total += sp.Sum(delta * E[k], (k, 1, T))
        if self._d0() != 0:
            total += self._initial_term(t, sp.Min(T, tau - 1))
        return total

    def _initial_term(self, t, last=None) -> sp.Expr:
        """The initial state's term Σ_t ∂L_t/∂s_t·(Π J)·ds_0/dθ over t = 1..``last`` (default T)."""
        last = self.T if last is None else last
        return sp.Add(*(sp.Sum(self._base[f"G{lag}"][t] * self._chain(1, t - lag), (t, 1, last))
                        for lag in self.lags)) * self._d0()

    # --------------------------------------------------------------- specialising
    def at(self, T: int) -> sp.Expr:
        """The form for ``T`` steps, sums and products carried out (indexed quantities kept).

        Examples
        --------
        >>> from symbrnn.cells import elman
        >>> GenericDerivative(elman(), "U").at(2)
        E[1]*G0[1] + E[1]*G0[2]*J[2] + E[2]*G0[2]
        """
        fixed = {self.T: int(T)} if self.tau is None else {self.T: int(T), self.tau: self.truncate}
        return sp.expand(self.expr.subs(fixed).doit())

    def unrolled(self, T: int, *, concrete: bool = False) -> sp.Expr:
        """The form for ``T`` steps in the engine's terms: partial symbols (``∂h_2/∂h_1``), or with
        ``concrete`` their expressions in forward values, params and data.

        Examples
        --------
        >>> from symbrnn.cells import elman
        >>> GenericDerivative(elman(), "U").unrolled(1, concrete=True)
        V*h_0*(1 - tanh(a_1)**2)*(-y_1 + yhat_1)
        """
        expr = self.at(T)
        if expr == 0:  # e.g. an initial state truncated away (τ = 1)
            return sp.S.Zero
        if not self.vector:
            found = sorted(expr.atoms(sp.Indexed), key=sp.default_sort_key)
            return expr.xreplace({q: self._entry(q, concrete)[0, 0] for q in found})
        return self._evaluate(expr, concrete)[0, 0]

    def _leaf(self, name: str, z, t: int, concrete: bool) -> sp.Expr:
        template = self._template(name, z)
        if template == 0:
            return sp.S.Zero
        sub = step_substitution(self.cell, t)
        value = template.xreplace(sub)
        if concrete or value.is_Number:
            return value
        against = sub[z].name if isinstance(z, (Now, Prev)) else z.name
        return Named(f"∂{step(name, t).name}/∂{against}", real=True)

    def _entry(self, q: sp.Indexed, concrete: bool) -> sp.Matrix:
        label, (t,) = str(q.base.label), q.indices
        t = int(t)
        S = self.states
        if label == "D":
            return sp.Matrix([[v] for v in self.initial])
        if label == "X":
            return sp.Matrix([[self._leaf(self.loss, self.wrt, t, concrete)]])
        if label == "E":
            return sp.Matrix([[self._leaf(s, self.wrt, t, concrete)] for s in S])
        if label == "J":
            return sp.Matrix([[self._leaf(a, Prev(b, real=True), t, concrete)
                               if Prev(b, real=True) in self.partials.frontier(a) else 0 for b in S] for a in S])
        read = Prev if label == "G1" else Now
        frontier = self.partials.frontier(self.loss)
        return sp.Matrix([[self._leaf(self.loss, read(s, real=True), t, concrete)
                           if read(s, real=True) in frontier else 0 for s in S]])

    def _evaluate(self, expr, concrete: bool) -> sp.Matrix:
        """An expression in non-commutative quantities, multiplied out as matrices."""
        if isinstance(expr, sp.Indexed):
            return self._entry(expr, concrete)
        if expr.is_Add:
            parts = [self._evaluate(a, concrete) for a in expr.args]
            return sum(parts[1:], parts[0])
        if expr.is_Mul:
            c, nc = expr.args_cnc()
            result = self._evaluate(nc[0], concrete)
            for factor in nc[1:]:
                result = result * self._evaluate(factor, concrete)
            return sp.Mul(*c) * result
        raise TypeError(f"unexpected {expr!r} in a generic form")  # pragma: no cover
