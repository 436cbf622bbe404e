"""The numbers of a worked solution: every evaluation, the gradients, the update, the local partials by step.

:func:`solve` computes them; :class:`symbrnn.render.WorkedSolution` writes
them out in the order a student works.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> s = solve(elman(), 3, values)
>>> round(s.gradients["U"], 6), round(s.updated["U"], 6)
(-0.076971, 0.507697)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import sympy as sp

from ..core.symbols import split_step, step
from ..declare.cell import Cell
from ..derive.total import derive
from .evaluate import Evaluation
from .optimizers import SGD, Adam, AdamState

__all__ = ["Solution", "solve"]


@dataclass
class Solution:
    """Every number of a worked solution.

    Attributes
    ----------
    cell : Cell
    T : int
    mode : {"forward", "reverse"}
    wrt : tuple of str
        The params differentiated, in order.
    evaluations : dict
        θ -> :class:`~symbrnn.Evaluation`.
    params, gradients, updated : dict
        θ -> its value, dL/dθ, and its value after the update.
    optimizer : SGD or Adam
    adam_state : AdamState or None
        The moments the update started from.
    """

    cell: Cell
    T: int
    mode: str
    wrt: tuple
    evaluations: dict
    params: dict
    gradients: dict
    updated: dict
    optimizer: object
    adam_state: AdamState | None = None
    _locals: dict = field(default_factory=dict, repr=False)

    @property
    def first(self) -> Evaluation:
        """The evaluation of the first θ (its forward values are every evaluation's)."""
        return self.evaluations[self.wrt[0]]

    def numbers(self) -> dict:
        """Every forward value and param by symbol (``h_3``, ``U``)."""
        out = {self.cell.symbol(p): v for p, v in self.params.items()}
        for key, v in self.first.forward.items():
            out[step(*split_step(key))] = v
        return out

    def local_value(self, expr: sp.Expr, at: dict) -> float:
        """The number of a local partial written at a step, the forward values ``at`` substituted."""
        if expr not in self._locals:
            self._locals[expr] = float(sp.N(expr.xreplace(at)))
        return self._locals[expr]


def solve(cell: Cell, T: int, values, *, wrt=None, optimizer=None, mode: str = "forward",
          adam_state: AdamState | None = None) -> Solution:
    """Derive and evaluate dL/dθ for every θ in ``wrt`` (default every param) and take one update step."""
    optimizer = optimizer if optimizer is not None else SGD(0.1)
    wrt = tuple(wrt) if wrt is not None else cell.names("param")
    evaluations = {th: derive(cell, T, wrt=th, mode=mode).evaluate(values) for th in wrt}
    gradients = {th: ev.value for th, ev in evaluations.items()}
    first = evaluations[wrt[0]]
    params = {p: first.values.params[p] for p in cell.names("param")}
    chosen = {th: params[th] for th in wrt}
    if isinstance(optimizer, Adam):
        updated, _ = optimizer.step(chosen, gradients, adam_state)
    else:
        updated = optimizer.step(chosen, gradients)
    return Solution(cell, T, mode, wrt, evaluations, params, gradients, updated, optimizer, adam_state)
