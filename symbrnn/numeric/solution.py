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

A shaped cell is solved in reverse mode, with whole arrays; :func:`train` takes
several update steps:

>>> from symbrnn.cells import lstm_gomez
>>> seed000 = {"W": [[.45, .25], [.95, .8], [.7, .45], [.6, .4]], "U": [[.15], [.8], [.1], [.25]],
...            "b": [.2, .65, .15, .1], "x": [[1, 2], [.5, 3]], "y": [[.5], [1.25]]}
>>> s = solve(lstm_gomez(), 2, seed000)
>>> s.mode, s.gradients["b"].round(5)
('reverse', array([-0.03641, -0.00276, -0.00631, -0.05361]))
>>> [round(k.loss, 6) for k in train(elman(), 3, values, updates=3)]
[0.046575, 0.016187, 0.00839]
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import sympy as sp

from ..core import errors
from ..core.symbols import split_step, step
from ..declare.cell import Cell
from ..declare.values import resolve_values
from ..derive.total import derive
from .evaluate import Evaluation
from .gradients import loss_and_gradients
from .optimizers import SGD, Adam, AdamState, Clipping, clip_by_norm

__all__ = ["MAX_UPDATES", "Solution", "UpdateStep", "solve", "train"]

MAX_UPDATES = 10_000  # update steps one call of train takes


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
    clipping : Clipping or None
        The clipping by norm before the update, when the optimizer has ``clip``.
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
    clipping: Clipping | None = None
    _locals: dict = field(default_factory=dict, repr=False)

    @property
    def step_gradients(self) -> dict:
        """The gradients the update used: clipped by norm when the optimizer clips, else dL/dθ."""
        return self.clipping.grads if self.clipping is not None else self.gradients

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


def solve(cell: Cell, T: int, values, *, wrt=None, optimizer=None, mode: str | None = None,
          adam_state: AdamState | None = None) -> Solution:
    """Derive and evaluate dL/dθ for every θ in ``wrt`` (default every param) and take one update step.

    ``mode`` is ``"forward"`` by default for a scalar cell; a shaped cell is solved in reverse mode
    (the deltas, as seed 000 writes them), each θ a whole array.
    """
    optimizer = optimizer if optimizer is not None else SGD(0.1)
    wrt = tuple(wrt) if wrt is not None else cell.names("param")
    if cell.shaped:
        if mode not in (None, "reverse"):
            raise errors.SpecError(f"solve: cell {cell.name!r} has arrays, and its worked solution is written in"
                                   " reverse mode (the deltas); leave out mode, or use mode='reverse'")
        mode = "reverse"
    mode = mode or "forward"
    evaluations = {th: derive(cell, T, wrt=th, mode=mode).evaluate(values) for th in wrt}
    gradients = {th: ev.value for th, ev in evaluations.items()}
    first = evaluations[wrt[0]]
    if cell.shaped:
        params = {p: first.values.arrays[p] for p in cell.names("param")}
    else:
        params = {p: first.values.params[p] for p in cell.names("param")}
    chosen = {th: params[th] for th in wrt}
    if isinstance(optimizer, Adam):
        updated, _ = optimizer.step(chosen, gradients, adam_state)
    else:
        updated = optimizer.step(chosen, gradients)
    clipping = _clipping(optimizer, gradients)
    return Solution(cell, T, mode, wrt, evaluations, params, gradients, updated, optimizer, adam_state, clipping)


def _clipping(optimizer, grads: dict) -> Clipping | None:
    clip = getattr(optimizer, "clip", None)
    return None if clip is None else clip_by_norm(grads, clip)


@dataclass(frozen=True)
class UpdateStep:
    """Update step k of :func:`train`: the params it started from, their loss and gradients, and the result.

    ``adam`` holds Adam's moments after the step (None for SGD), ``clipping`` the clipping by norm
    before it (None when the optimizer does not clip).
    """

    k: int
    params: dict
    loss: float
    gradients: dict
    updated: dict
    adam: AdamState | None = None
    clipping: Clipping | None = None


def train(cell: Cell, T: int, values, *, wrt=None, optimizer=None, updates: int = 1,
          adam_state: AdamState | None = None) -> list[UpdateStep]:
    """``updates`` steps of ``optimizer`` (default SGD, η = 0.1) on the params ``wrt`` (default all), each
    from the last one's params, with the loss and gradients before each step (the compiled programs)."""
    if not isinstance(updates, (int, np.integer)) or isinstance(updates, bool) or not 1 <= updates <= MAX_UPDATES:
        raise errors.SpecError(f"updates={updates!r}: give a whole number of update steps from 1 to {MAX_UPDATES}")
    optimizer = optimizer if optimizer is not None else SGD(0.1)
    wrt = tuple(wrt) if wrt is not None else cell.names("param")
    given = resolve_values(cell, T, values)  # checked once; the params are replaced step by step
    data = {n: a for n, a in given.arrays.items() if n not in cell.names("param")}
    params = {p: (float(a) if a.ndim == 0 else a) for p, a in given.arrays.items() if p in cell.names("param")}
    out, state = [], adam_state
    for k in range(1, int(updates) + 1):
        loss, grads = loss_and_gradients(cell, T, {**data, **params}, wrt=list(wrt))
        chosen = {th: params[th] for th in wrt}
        if isinstance(optimizer, Adam):
            new, state = optimizer.step(chosen, grads, state)
        else:
            new = optimizer.step(chosen, grads)
        out.append(UpdateStep(k, dict(params), float(loss), dict(grads), new, state,
                              _clipping(optimizer, {th: grads[th] for th in wrt})))
        params = {**params, **new}
    return out
