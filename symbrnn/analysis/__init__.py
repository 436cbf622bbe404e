"""analysis: how gradients travel through a cell, in closed form and in numbers.

- :func:`flow`: the norms of the Jacobian products Π ∂s_j/∂s_{j-1} by lag,
  each lag's share of dL/dθ, a verdict (vanishing, exploding, neither) with
  the fitted rate per step, and truncated BPTT's distance to the full gradient;
- :func:`step_bound` and :func:`derivative_max`: ‖∂h_t/∂h_{t-1}‖ ≤ ‖U‖·max|f'|
  with max|f'| found by sympy (σ' ≤ 1/4, tanh' ≤ 1, relu' ≤ 1), or the reason
  there is no simple bound;
- :func:`gated_paths`: for a gated cell, each state s_t = g_t ⊙ s_{t-1} + r_t
  with its gate g_t, the direct path whose Jacobian is diag(g_t).

Layer: above numeric (it reads the step partials of
:mod:`symbrnn.numeric.steparrays`), below render (which draws a :class:`Flow`).

Examples
--------
>>> from symbrnn.cells import elman
>>> values = {"w": .5, "U": 3.0, "V": .5, "b": 0.0, "c": .1, "x": [0.0] * 8, "y": [0.0] * 8}
>>> f = flow(elman(), 8, values)      # h stays 0, so every ∂h_t/∂h_{t-1} is U = 3
>>> f.verdict, round(f.rate, 6), f.bound_over(8) == 3.0 ** 8
('exploding', 3.0, True)
"""

from .bounds import StepBound, derivative_max, step_bound
from .flow import MAX_LAG, Flow, Truncation, flow
from .gates import GatedPath, gated_paths
from .products import FACTOR, VERDICTS, fitted_rate, log_product_norms, verdict

__all__ = [
    "FACTOR",
    "MAX_LAG",
    "VERDICTS",
    "Flow",
    "GatedPath",
    "StepBound",
    "Truncation",
    "derivative_max",
    "fitted_rate",
    "flow",
    "gated_paths",
    "log_product_norms",
    "step_bound",
    "verdict",
]
