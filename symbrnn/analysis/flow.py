"""flow(): how the gradient travels back through a cell's steps, in numbers, with its bound and verdict.

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> f = flow(elman(), 3, values)
>>> f.norms.round(6)                 # 1, ‖∂h_3/∂h_2‖, ‖∂h_3/∂h_2·∂h_2/∂h_1‖, ... by lag 0..3
array([1.      , 0.258086, 0.062637, 0.019879])
>>> f.verdict, round(f.rate, 4), f.bound.expr, f.bound_value   # the bound: |U|·max|tanh'| = |U|
('vanishing', 0.2775, Abs(U), 0.5)
>>> f.shares("U").round(4)           # the share of dL/dU by lag (explicit terms at lag 0)
array([0.876, 0.124, 0.   , 0.   ])
>>> t = flow(elman(), 3, values, truncate=1).truncation    # truncated after one step: the explicit terms
>>> round(t.relative_error, 4), round(t.cosine, 4), round(t.lost, 4)
(0.0689, 0.9978, 0.0661)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..core.display import Displayed
from ..declare.cell import Cell
from ..numeric.compiled import compile_cell
from ..numeric.steparrays import StepArrays, full_gradient, step_arrays
from ..numeric.truncation import check_truncate, distance, lag_contributions, truncated_gradient
from .bounds import StepBound, step_bound
from .gates import direct_log_norms
from .products import FACTOR, fitted_rate, log_product_norms, verdict

__all__ = ["MAX_LAG", "Flow", "Truncation", "flow"]

#: the lags whose share of the gradient :func:`flow` computes by default (the rest is summed): O(T·MAX_LAG)
MAX_LAG = 100


@dataclass(frozen=True, eq=False)
class Truncation:
    """Truncated BPTT against the full gradient.

    Attributes
    ----------
    truncate : int or tuple
        τ, or ``("random", p, seed)``.
    gradients : dict
        The truncated gradients by name.
    relative_error, cosine : float
        ‖g_τ − g‖/‖g‖ and the cosine of g_τ and g (over every component asked for).
    lost : float or None
        For fixed truncation: the share of the gradient's mass by lag (Σ_ℓ ‖c_ℓ‖,
        the lags past the computed ones summed into one) at lags ≥ τ, the terms dropped.
    """

    truncate: object
    gradients: dict
    relative_error: float
    cosine: float
    lost: float | None


@dataclass(frozen=True, eq=False)
class Flow(Displayed):
    """The gradient flow of one cell over T steps of given values.

    Attributes
    ----------
    cell : Cell
    T : int
    states : tuple of str
        The state components, the axes of the joint Jacobian ∂s_t/∂s_{t-1}.
    log_norms : ndarray, shape (T + 1,)
        log ‖J_T···J_{T-ℓ+1}‖₂ by lag ℓ (see :mod:`.products`).
    rate : float
        The fitted factor per step.
    verdict : str
        ``"vanishing"``, ``"exploding"`` or ``"neither"`` over these T steps.
    contributions : dict
        Name -> array (max_lag + 1, *shape): the sum of the terms of each lag in dL/dθ.
    rest : dict
        Name -> the terms of lags past ``max_lag``, summed.
    gradients : dict
        The full dL/dθ by name.
    bound : StepBound
    bound_value : float or None
        The bound's number at these values.
    truncation : Truncation or None
    factor : float
        The verdict's factor (:data:`~symbrnn.analysis.products.FACTOR`).
    direct : dict
        For a gated cell, each gated state (``bound.gates``) -> log ‖Π diag(g_j)‖ by lag 0..T: the direct
        path's product through the gate alone (:func:`~.gates.direct_log_norms`).
    """

    cell: Cell
    T: int
    states: tuple
    log_norms: np.ndarray
    rate: float
    verdict: str
    contributions: dict
    rest: dict
    gradients: dict
    bound: StepBound
    bound_value: float | None
    truncation: Truncation | None
    factor: float = FACTOR
    direct: dict = field(default_factory=dict)

    @property
    def norms(self) -> np.ndarray:
        """‖J_T···J_{T-ℓ+1}‖₂ by lag ℓ = 0..T (0 where it underflows)."""
        return np.exp(self.log_norms)

    @property
    def max_lag(self) -> int:
        """The last lag whose contribution is kept on its own."""
        return len(next(iter(self.contributions.values()))) - 1

    def shares(self, name: str | None = None) -> np.ndarray:
        """Each lag's share of dL/dθ: ‖c_ℓ‖ over Σ_ℓ ‖c_ℓ‖ for lags 0..max_lag, then the rest (if any).

        ``name`` picks one param (default: every component asked for together).
        """
        names = list(self.contributions) if name is None else [name]
        by_lag = np.concatenate([np.reshape(self.contributions[n], (self.max_lag + 1, -1)) for n in names], axis=1)
        mass = np.linalg.norm(by_lag, axis=1)
        if self.max_lag < self.T:
            mass = np.append(mass, np.linalg.norm(np.concatenate([np.ravel(self.rest[n]) for n in names])))
        total = mass.sum()
        return mass / total if total else mass

    def bound_over(self, k: int) -> float | None:
        """The closed-form bound on a product of k step Jacobians at these values, or None."""
        return None if self.bound_value is None else self.bound_value ** k


def _by_name(a: StepArrays, rows: np.ndarray) -> dict:
    per = [a.assemble(r) for r in rows]
    return {n: np.array([p[n] for p in per]) for n in per[0]}


def _truncation(a: StepArrays, truncate, full: np.ndarray, rows: np.ndarray, rest: np.ndarray) -> Truncation:
    approx = truncated_gradient(a, truncate)
    lost = None
    if isinstance(truncate, int):
        mass = np.append(np.linalg.norm(rows, axis=1), np.linalg.norm(rest))
        lost = float(mass[truncate:].sum() / mass.sum()) if mass.sum() else 0.0
    return Truncation(truncate, a.assemble(approx), **distance(full, approx), lost=lost)


def flow(cell: Cell, T: int, values, *, wrt=None, truncate=None, max_lag: int | None = None,
         factor: float = FACTOR) -> Flow:
    """How the gradient of ``cell`` travels back over T steps of ``values``.

    Parameters
    ----------
    cell : Cell
    T : int
    values : mapping
        As for :func:`symbrnn.gradients`.
    wrt : list of str, optional
        The params (and initial states) whose gradient is split by lag; default every param.
    truncate : int or ("random", p, seed), optional
        Also compute truncated BPTT and its distance to the full gradient.
    max_lag : int, optional
        The lags whose share is kept on its own (default ``min(T, MAX_LAG)``;
        the cost is O(T·max_lag)); the norms are computed for every lag.
    factor : float
        The verdict says vanishing (exploding) if the fitted products shrink (grow) by this factor over T lags.

    Returns
    -------
    Flow
    """
    truncate = check_truncate(truncate)
    a = step_arrays(cell, T, values, wrt=wrt)
    logs = log_product_norms(a.J)
    rate = fitted_rate(logs)
    top = min(a.T, MAX_LAG if max_lag is None else max(int(max_lag), 0))
    if isinstance(truncate, int):
        top = max(top, min(truncate, a.T))
    rows = lag_contributions(a, top)
    full = full_gradient(a)
    rest = full - rows.sum(axis=0)
    bound = step_bound(cell)
    params = _named_params(cell, values)
    trunc = None if truncate is None else _truncation(a, truncate, full, rows, rest)
    direct = {}
    if bound.gates:
        forward = compile_cell(cell).forward(values, T=a.T)
        direct = {p.state: direct_log_norms(p, forward, a.T) for p in bound.gates}
    return Flow(cell, a.T, a.states, logs, rate, verdict(rate, a.T, factor), _by_name(a, rows), a.assemble(rest),
                a.assemble(full), bound, bound.value(params) if bound.holds else None, trunc, factor, direct)


def _named_params(cell: Cell, values) -> dict:
    names = set(cell.names("param"))
    return {str(getattr(k, "name", k)): v for k, v in values.items() if str(getattr(k, "name", k)) in names}
