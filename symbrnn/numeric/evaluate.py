"""Numbers for a derivation: every forward value and every term, and gradients().

Terms defined by a template (explicit and partial terms) take their numbers
from the compiled step kernels; the recursion terms (implicit, total, delta,
contribution, result) are sums of products of earlier terms and are computed
from their own expressions, so each number is the one its expression says.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> g = gradients(elman(), T=3, values=values)
>>> {k: round(v, 6) for k, v in g.items()}
{'w': -0.126075, 'U': -0.076971, 'V': -0.335927, 'b': -0.162131, 'c': -0.491348}
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from functools import reduce
from operator import mul

import sympy as sp

from ..codegen.kernels import kernels_for
from ..core import errors
from ..core.display import Displayed
from ..core.symbols import step
from ..declare.cell import Cell
from ..declare.values import Values, resolve_values, steps_of
from ..derive.terms import Term, TermIndex
from ..derive.total import TotalDerivative
from .finite import finite_term
from .gradients import loss_and_gradients

__all__ = ["Evaluation", "evaluate", "gradients", "value"]

class Evaluation(TermIndex, Displayed):
    """A derivation with numbers: every term's ``value``, the forward values, the loss.

    Attributes
    ----------
    derivative : TotalDerivative
    terms : tuple of Term
        The derivation's terms, each with its ``value``.
    forward : dict
        Forward values keyed by name at step (``"h_3"``), initial states as ``"h_0"``.
    loss : float
        The total loss L = Σ_t L_t.
    value : float
        The derivative asked for.
    """

    def __init__(self, derivative: TotalDerivative, terms: tuple[Term, ...], forward: dict[str, list], values: Values):
        self.derivative = derivative
        self.cell, self.mode, self.T = derivative.cell, derivative.mode, derivative.T
        self.default_quantity = derivative.default_quantity
        self.terms = terms
        self.values = values
        self.forward = {
            step(n, t).name: column[t]
            for t in range(self.T + 1) for n, column in forward.items() if column[t] is not None
        }
        self.loss = sum(forward[self.cell.loss_name][1:])
        self.value = self.result.value

    def __repr__(self) -> str:
        d = self.derivative
        return f"Evaluation(d{d.of}/d{d.wrt} = {self.value!r}, T={self.T}, mode={self.mode!r})"

    def forward_table(self) -> list[dict[str, float]]:
        """One row per step: t and every per-step quantity's value."""
        rows = []
        for t in range(1, self.T + 1):
            row = {"t": t}
            data = self.cell.names("input") + self.cell.names("target")
            for name in data + self.cell.order():
                key = step(name, t).name
                if key in self.forward:
                    row[name] = self.forward[key]
            rows.append(row)
        return rows


def _combine(expr: sp.Expr, env: dict) -> float:
    """Evaluate a sum of products of named terms and numbers."""
    if expr.is_Symbol:
        return env[expr]
    if expr.is_Number:
        return float(expr)
    parts = [_combine(a, env) for a in expr.args]
    if expr.is_Add:
        return sum(parts)
    if expr.is_Mul:
        return reduce(mul, parts, 1.0)
    raise TypeError(f"not a recursion expression: {expr}")  # pragma: no cover - construction guarantees it


def evaluate(derivative: TotalDerivative, values) -> Evaluation:
    """Compute every forward value and every term of ``derivative`` for ``values``."""
    vals = resolve_values(derivative.cell, derivative.T, values)
    kernels = kernels_for(derivative.cell)
    terms = derivative.terms
    templates = {}
    for term in terms:
        if term.template is not None and term.template not in templates:
            name, z = term.template
            templates[term.template] = derivative.cell_partials.partial(name, z)
    kernels.use_templates(templates)
    forward = kernels.forward(vals)
    at_step: dict[int, dict] = {}  # template values, computed for the steps the terms visit
    env: dict[sp.Symbol, float] = {}
    out = []
    for term in terms:
        if term.template is not None:
            if term.t not in at_step:
                at_step[term.t] = kernels.templates_at(term.t, forward, vals)
            value = at_step[term.t][term.template]
        else:
            value = _combine(term.expr, env)
        finite_term(term.symbol, term.t, value)
        env[term.symbol] = value
        out.append(dataclasses.replace(term, value=value))
    return Evaluation(derivative, tuple(out), forward, vals)


def value(derivative: TotalDerivative, values) -> float:
    """The number of ``derivative`` (:meth:`TotalDerivative.value`).

    For the total loss this runs the recursion on numbers only, without
    building the symbolic terms; otherwise the terms are evaluated.
    """
    if derivative.of_step is None:
        name = derivative.wrt.name
        return loss_and_gradients(derivative.cell, derivative.T, values, wrt=[name], mode=derivative.mode)[1][name]
    return evaluate(derivative, values).value


def gradients(cell: Cell, T: int | None = None, values=None, *, mode: str = "reverse", wrt=None,
              truncate=None) -> dict:
    """dL/dθ for every param θ of ``cell`` (initial states that are params included).

    Parameters
    ----------
    cell : Cell
    T : int, optional
        The number of steps; by default the length of the per-step data in
        ``values`` (as :meth:`CompiledCell.gradients <symbrnn.CompiledCell.gradients>`
        tells it). ``gradients(cell, 3, values)`` and ``gradients(cell, values=values)``
        are the same call for 3-step data.
    values : mapping
        Params (numbers; arrays for shaped params) and per-step inputs and
        targets (sequences of T numbers; T rows for shaped data), keyed by
        name or by symbol. Required.
    mode : {"reverse", "forward"}
    wrt : list of str, optional
        Instead of every param: these params, components (``"W[1,0]"``) and
        initial states (``"h_0"``).
    truncate : int or ("random", p, seed), optional
        Truncated BPTT. ``truncate=τ`` (an int >= 1): a loss at step t
        reaches the params only through steps k with t − τ < k <= t, so τ = 1
        gives the explicit terms only and τ = T the full gradient (when h_0
        does not depend on the params; τ > T always). ``("random", p, seed)``:
        randomized truncation (Tallec & Ollivier 2017, d2l §9.7), each step's
        link to the step before kept with probability p and weighted 1/p, so
        the mean over seeds is the full gradient. See
        :mod:`symbrnn.numeric.truncation`.

    Returns
    -------
    dict
        Param name -> gradient, in the order the params were declared: a
        float for a scalar param, a numpy array of its shape for a shaped one.

    Examples
    --------
    >>> from symbrnn.cells import elman
    >>> values = {"w": [[.5, -.5]], "U": [[.5]], "V": [[1.0]], "b": [.2], "c": [.1],
    ...           "x": [[1, 0], [.8, .2]], "y": [[.5], [.6]]}
    >>> g = gradients(elman(2, 1, 1), T=2, values=values, wrt=["w", "h_0"])
    >>> g["w"].shape, g["h_0"].round(6)
    ((1, 2), array([0.079478]))

    Truncated after one step, only the explicit terms remain:

    >>> v = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
    >>> round(gradients(elman(), T=3, values=v, truncate=1)["U"], 6), round(gradients(elman(), 3, v)["U"], 6)
    (-0.067423, -0.076971)

    T is told by the per-step data when it is not given:

    >>> gradients(elman(), values=v) == gradients(elman(), 3, v)
    True
    """
    return loss_and_gradients(cell, _steps(cell, T, values), values, mode=mode, wrt=wrt, truncate=truncate)[1]


def _steps(cell: Cell, T, values) -> int:
    """T as given, or the length of the per-step data (checked values carry their own)."""
    if values is None:
        if isinstance(T, Mapping):  # gradients(cell, values): the values where T goes
            raise errors.ValuesError("gradients(cell, values): give the values by keyword, gradients(cell,"
                                     " values=...), or T first, gradients(cell, T, values)")
        raise errors.MissingValueError("gradients() needs values=...: the params and the per-step data")
    if T is None and isinstance(values, Values):
        return values.T
    return steps_of(cell, values, T)
