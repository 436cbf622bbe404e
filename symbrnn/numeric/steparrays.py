"""The step partials of a whole sequence as arrays: J_t = ∂s_t/∂s_{t-1}, the explicit terms, ∂L_t/∂s_t.

``s_t`` is the cell's joint state: every state component in declaration
order (an LSTM's h then c). A state's step partials are those of the step
function (its frontier is the previous states only, see
:mod:`symbrnn.derive.partials`), so the rows of J_t are the states' partials
against the previous states, and J_t is the joint Jacobian of the step map
s_{t-1} ↦ s_t. The numbers come from the compiled step kernels, once per
step; truncated BPTT (:mod:`.truncation`) and the gradient-flow analysis
(:mod:`symbrnn.analysis`) are array arithmetic on them.

In these arrays dL/dθ = Σ_t (l_t + g_t · ds_t/dθ + g'_t · ds_{t-1}/dθ) with
ds_t/dθ = E_t + J_t · ds_{t-1}/dθ and ds_0/dθ = E_0.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> a = step_arrays(elman(), 3, values, wrt=["U"])
>>> a.states, a.wrt, a.J.shape, a.E.shape
(('h',), ('U',), (4, 1, 1), (4, 1, 1))
>>> round(float(a.J[3, 0, 0]), 6)          # ∂h_3/∂h_2 = U·(1 − tanh(a_3)²)
0.258086
>>> round(float(full_gradient(a)[0]), 12)  # the reverse recursion on these arrays
-0.07697096081
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..codegen.kernels import kernels_for
from ..core.kinds import PARAM
from ..core.progress import track
from ..core.symbols import Now, check_steps
from ..declare.cell import Cell
from ..declare.lower import assemble, lowered
from ..declare.values import resolve_values
from .recursion import templates, wrt_plan

__all__ = ["StepArrays", "full_gradient", "step_arrays"]


@dataclass(frozen=True)
class StepArrays:
    """The step partials of one sequence, indexed by step 0..T (n state components, p wrt components).

    Attributes
    ----------
    states : tuple of str
        The state components in declaration order (the axes of J).
    wrt : tuple of str
        The components differentiated against (params, initial states ``"h_0"``).
    plan : list
        How the components regroup into the names asked for (:func:`assemble`).
    J : ndarray, shape (T + 1, n, n)
        ``J[t]`` = ∂s_t/∂s_{t-1}; ``J[0]`` is zero.
    E : ndarray, shape (T + 1, n, p)
        ``E[t]`` = ∂s_t/∂θ with s_{t-1} held fixed (the explicit terms); ``E[0]`` = ds_0/dθ.
    g, g_prev : ndarray, shape (T + 1, n)
        ∂L_t/∂s_t, and ∂L_t/∂s_{t-1} for a loss that reads a previous state; zero at t = 0.
    l : ndarray, shape (T + 1, p)
        ∂L_t/∂θ with the states held fixed (the loss's own explicit terms); zero at t = 0.
    loss : float
        L = Σ_t L_t.
    """

    states: tuple
    wrt: tuple
    plan: list
    J: np.ndarray
    E: np.ndarray
    g: np.ndarray
    g_prev: np.ndarray
    l: np.ndarray  # noqa: E741 - the loss's explicit terms, as in the formulas
    loss: float

    @property
    def T(self) -> int:
        """The number of steps."""
        return self.J.shape[0] - 1

    def assemble(self, flat) -> dict:
        """A vector over :attr:`wrt` regrouped by name: floats for scalars, arrays for shaped names."""
        return assemble(self.plan, {c: float(v) for c, v in zip(self.wrt, flat, strict=True)})


def step_arrays(cell: Cell, T: int, values, *, wrt=None) -> StepArrays:
    """The :class:`StepArrays` of ``cell`` for T steps of ``values``, against ``wrt`` (default every param).

    Values are checked once, here (:func:`~symbrnn.declare.values.resolve_values`).
    """
    T = check_steps(T)
    cell.validate()
    plan, comps = wrt_plan(cell, wrt)
    low = lowered(cell)
    vals = resolve_values(low, T, values)
    params = low.names(PARAM)
    states = low.names("state")
    kernels = kernels_for(low)
    P = kernels.partials
    loss_name = low.loss_name
    levels = low.states() + (loss_name,)
    kernels.use_templates(templates(P, levels, [low.symbol(p) for p in params]))
    trace = kernels.forward(vals)
    index = kernels.template_index()
    rows = np.zeros((T + 1, len(index)))
    for t in track(range(1, T + 1), "step partials"):
        rows[t] = kernels.template_row(t, trace, vals)
    n, p = len(states), len(comps)
    pos = {s: i for i, s in enumerate(states)}
    J, E = np.zeros((T + 1, n, n)), np.zeros((T + 1, n, p))
    g, g_prev, l = np.zeros((T + 1, n)), np.zeros((T + 1, n)), np.zeros((T + 1, p))  # noqa: E741
    for v in levels:
        for z in P.frontier(v):
            column = rows[:, index[v, z]]
            if v != loss_name:
                J[:, pos[v], pos[z.name]] = column
            elif isinstance(z, Now):
                g[:, pos[z.name]] = column
            else:
                g_prev[:, pos[z.name]] = column
        for j, w in enumerate(comps):
            if w in params:
                column = rows[:, index[v, low.symbol(w)]]
                if v == loss_name:
                    l[:, j] = column
                else:
                    E[:, pos[v], j] = column
    for i, s in enumerate(states):
        E[0, i] = [low.init_derivative(s, w) for w in comps]
    loss = float(sum(trace[loss_name][1:]))
    return StepArrays(tuple(states), tuple(comps), plan, J, E, g, g_prev, l, loss)


def full_gradient(a: StepArrays, keep=None) -> np.ndarray:
    """dL/dθ over ``a.wrt`` by the reverse recursion δ_k = g_k + ξ_{k+1}·(g'_{k+1} + δ_{k+1}·J_{k+1}).

    ``keep`` gives the weights ξ_1..ξ_T of the links from each step to the one
    before (an array of T + 1 entries, ``keep[0]`` unused); all ones (full
    BPTT) by default. Randomized truncation draws them.
    """
    T = a.T
    xi = np.ones(T + 1) if keep is None else keep
    grad = a.l.sum(axis=0)
    delta = a.g[T].copy()
    for k in range(T, 0, -1):
        grad += delta @ a.E[k]
        delta = a.g[k - 1] + xi[k] * (a.g_prev[k] + delta @ a.J[k])
    return grad + delta @ a.E[0]
