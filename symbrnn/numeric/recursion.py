"""The reference strategy: the derivation's recursions run on numbers, fed by the compiled step kernels.

The same recursions as :mod:`symbrnn.derive` (forward: dh_t/dθ = explicit +
Σ J · dh_{t-1}/dθ; reverse: δh_t = ∂L_t/∂h_t + Σ δ_{t+1} · J_{t+1}), on the
values of the step partials' templates at every step. Reverse mode computes
the deltas once for every param. It is ``strategy="terms"`` of
:func:`symbrnn.numeric.gradients.loss_and_gradients`, the oracle the tests pin
every generated program to, and the checked path a program falls back to
when values overflow (its errors name the quantity and the step).

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> loss, grads = reference(elman(), 3, values, mode="forward")
>>> round(loss, 12), round(grads["U"], 12)
(0.046575036937, -0.07697096081)
"""

from __future__ import annotations

from ..codegen.kernels import kernels_for
from ..core import errors
from ..core.kinds import PARAM
from ..core.symbols import Now, initial_name
from ..declare.cell import Cell
from ..declare.lower import assemble, expand_wrt, lowered
from ..declare.values import resolve_values
from ..derive.partials import CellPartials

__all__ = ["reference", "templates", "wrt_plan"]


def templates(P: CellPartials, levels, params) -> dict:
    """The step partials a recursion reads: (level, param or frontier symbol) -> template expression."""
    out = {}
    for v in levels:
        for p in params:
            out[v, p] = P.partial(v, p)
        for z in P.frontier(v):
            out[v, z] = P.partial(v, z)
    return out


def wrt_plan(cell: Cell, wrt=None) -> tuple[list, list[str]]:
    """The plan of :func:`~symbrnn.declare.lower.expand_wrt` for ``wrt`` (default every param) and its components.

    Raises :class:`~symbrnn.WrtError` for a name that is not a param or an initial state.
    """
    low = lowered(cell)
    asked = list(cell.names(PARAM)) if wrt is None else [str(getattr(w, "name", w)) for w in wrt]
    plan = expand_wrt(cell, asked)
    comps = [c for _, _, cs in plan for c in cs]
    initials = {initial_name(s) for s in low.states()}
    for w in comps:
        if w not in low.names(PARAM) and w not in initials:
            raise errors.WrtError(f"wrt={w}: not a param or an initial state of cell {low.name!r}")
    return plan, comps


def reference(cell: Cell, T: int, values, *, wrt=None, mode: str = "reverse") -> tuple[float, dict]:
    """The total loss and dL/dθ by the recursions on the step kernels' numbers.

    Parameters and returns are those of :func:`symbrnn.numeric.gradients.loss_and_gradients`.
    """
    shaped, cell = cell, lowered(cell)
    vals = resolve_values(cell, T, values)
    params = cell.names(PARAM)
    states = cell.states()
    plan, wrt = wrt_plan(shaped, wrt)
    levels = states + (cell.loss_name,)
    kernels = kernels_for(cell)
    P = kernels.partials
    kernels.use_templates(templates(P, levels, [cell.symbol(p) for p in params]))
    forward = kernels.forward(vals)
    loss = sum(forward[cell.loss_name][1:])
    index = kernels.template_index()
    rows = [None] + [kernels.template_row(t, forward, vals) for t in range(1, T + 1)]
    steps = _Steps(cell, states, levels, rows, wrt)
    # per level: (template position, state read, 0 if read at the same step else 1) for its frontier
    steps.reads = {v: [(index[v, z], z.name, 0 if isinstance(z, Now) else 1) for z in P.frontier(v)] for v in levels}
    steps.explicit = {(v, w): index[v, cell.symbol(w)] for v in levels for w in wrt if w in params}
    grads = steps.forward() if mode == "forward" else steps.reverse()
    return loss, assemble(plan, grads)


class _Steps:
    """The numbers of one recursion: template rows by step, and which templates each level reads."""

    def __init__(self, cell: Cell, states, levels, rows, wrt):
        self.cell, self.states, self.levels, self.rows, self.wrt = cell, states, levels, rows, wrt
        self.T = len(rows) - 1
        self.reads: dict = {}
        self.explicit: dict = {}

    def init_derivative(self, s: str, w: str) -> float:
        return float(self.cell.init_derivative(s, w))

    def forward(self) -> dict:
        """dL/dw = Σ_t dL_t/dw, carrying d(state)/dw forward."""
        loss, grads = self.cell.loss_name, {}
        for w in self.wrt:
            D = {s: self.init_derivative(s, w) for s in self.states}  # d(state)/dw at the previous step
            total = 0.0
            for t in range(1, self.T + 1):
                row = self.rows[t]
                now: dict = {}
                for v in self.levels:
                    d = row[self.explicit[v, w]] if (v, w) in self.explicit else 0.0
                    for i, s, lag in self.reads[v]:
                        d += row[i] * (D[s] if lag else now[s])
                    now[v] = d
                total += now[loss]
                D = now
            grads[w] = total
        return grads

    def reverse(self) -> dict:
        """dL/dw = Σ_t Σ_v δv_t · ∂v_t/∂w, carrying the deltas backward (δ of the loss is 1 at every step)."""
        ones = {self.cell.loss_name: 1.0}
        later = {**ones, **{s: 0.0 for s in self.states}}  # deltas at step t + 1
        shares = {w: 0.0 for w in self.wrt}
        for t in range(self.T, -1, -1):
            delta = {**ones, **{s: 0.0 for s in self.states}} if t else {s: 0.0 for s in self.states}
            for v in self.levels:  # readers at step t (same step), then at t + 1 (previous values)
                if t >= 1:
                    for i, s, lag in self.reads[v]:
                        if not lag:
                            delta[s] += delta[v] * self.rows[t][i]
                if t + 1 <= self.T:
                    for i, s, lag in self.reads[v]:
                        if lag:
                            delta[s] += later[v] * self.rows[t + 1][i]
            if t >= 1:
                for (v, w), i in self.explicit.items():
                    shares[w] += delta[v] * self.rows[t][i]
            later = {**delta, **ones}
        return {w: shares[w] + sum(later[s] * self.init_derivative(s, w) for s in self.states) for w in self.wrt}
