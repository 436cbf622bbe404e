"""Truncated BPTT: fixed truncation after τ steps, and randomized truncation (unbiased), with their error.

The full gradient is a sum of terms by lag: the term ∂L_t/∂h_t ·
(Π_{j=k+1..t} ∂h_j/∂h_{j-1}) · ∂h_k/∂θ has lag t − k (the number of steps
the gradient travels back). :func:`lag_contributions` gives each lag's sum.

- **Fixed truncation** ``truncate=τ`` keeps the terms of lag < τ: a loss at
  step t reaches the parameters only through steps k with t − τ < k ≤ t
  (the initial state counts as step 0). τ = 1 keeps only the explicit
  terms; τ = T is the full gradient when the initial state does not depend
  on θ (h_0 = 0, the common case), and τ ≥ T + 1 always is.
- **Randomized truncation** ``truncate=("random", p, seed)`` (Tallec &
  Ollivier 2017; d2l §9.7.1.3) weights each step's link to the step before
  by ξ_t, which is 1/p with probability p and 0 otherwise, drawn with
  ``numpy.random.default_rng(seed)``. As E[ξ_t] = 1 and the ξ_t are
  independent, the estimate is unbiased: its mean over seeds is the full
  gradient. p = 1 is full BPTT.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.numeric.steparrays import step_arrays
>>> values = {"w": .5, "U": .5, "V": .5, "b": .2, "c": .1, "x": [1, .8, .6], "y": [.5, .6, .7]}
>>> a = step_arrays(elman(), 3, values, wrt=["U"])
>>> [round(float(c[0]), 6) for c in lag_contributions(a)]   # lags 0, 1, 2, 3
[-0.067423, -0.009548, 0.0, 0.0]
>>> round(float(truncated_gradient(a, 1)[0]), 6)             # τ = 1: the explicit terms only
-0.067423
>>> round(float(truncated_gradient(a, ("random", 0.5, 0))[0]), 6)  # one draw of the unbiased estimate
-0.086519
"""

from __future__ import annotations

import numbers

import numpy as np

from ..core import errors
from .steparrays import StepArrays, full_gradient

__all__ = ["check_truncate", "distance", "lag_contributions", "truncated_gradient"]

FIX = "use truncate=τ (a whole number >= 1) or truncate=('random', p, seed) with 0 < p <= 1 and an int seed"


def check_truncate(truncate):
    """``truncate`` checked: an int τ ≥ 1, or ``("random", p, seed)``; None stays None.

    Raises
    ------
    StepsError
        For anything else, naming the value and the fix.

    Examples
    --------
    >>> check_truncate(5), check_truncate(("random", 0.5, 0))
    (5, ('random', 0.5, 0))
    >>> check_truncate(0)
    Traceback (most recent call last):
    ...
    symbrnn.StepsError: truncate=0: use truncate=τ (a whole number >= 1) or truncate=('random', p, seed) with
    0 < p <= 1 and an int seed
    """
    if truncate is None:
        return None
    if isinstance(truncate, numbers.Integral) and not isinstance(truncate, bool):
        if int(truncate) >= 1:
            return int(truncate)
        raise errors.StepsError(f"truncate={truncate!r}: {FIX}")
    if isinstance(truncate, (tuple, list)) and len(truncate) == 3 and truncate[0] == "random":
        _, p, seed = truncate
        good_p = isinstance(p, numbers.Real) and not isinstance(p, bool) and 0 < float(p) <= 1
        good_seed = isinstance(seed, numbers.Integral) and not isinstance(seed, bool) and int(seed) >= 0
        if good_p and good_seed:
            return ("random", float(p), int(seed))
        what = f"p={p!r} must be in (0, 1]" if not good_p else f"seed={seed!r} must be an int >= 0"
        raise errors.StepsError(f"truncate={tuple(truncate)!r}: {what}; {FIX}")
    raise errors.StepsError(f"truncate={truncate!r}: {FIX}")


def lag_contributions(a: StepArrays, max_lag: int | None = None) -> np.ndarray:
    """Each lag's share of dL/dθ: row m is the sum of the terms of lag m, for m = 0..max_lag (default T).

    Row 0 holds the explicit terms (the loss's own ∂L_t/∂θ included); the rows
    of every lag 0..T sum to the full gradient. Cost O(T · max_lag) steps.
    The lag-m deltas are D⁽ᵐ⁾_k = D⁽ᵐ⁻¹⁾_{k+1}·J_{k+1} (plus ∂L_{k+1}/∂s_k at m = 1),
    D⁽⁰⁾_k = ∂L_k/∂s_k, and row m is Σ_k D⁽ᵐ⁾_k·E_k.
    """
    T = a.T
    top = T if max_lag is None else min(int(max_lag), T)
    out = np.zeros((top + 1, len(a.wrt)))
    D = a.g  # k = 0..T
    out[0] = a.l.sum(axis=0) + np.einsum("ki,kip->p", D, a.E)
    for m in range(1, top + 1):
        D = np.einsum("ki,kij->kj", D[1:], a.J[1:T - m + 2])  # k = 0..T-m
        if m == 1:
            D = D + a.g_prev[1:]
        out[m] = np.einsum("ki,kip->p", D, a.E[:T - m + 1])
    return out


def truncated_gradient(a: StepArrays, truncate) -> np.ndarray:
    """dL/dθ over ``a.wrt`` under ``truncate`` (checked by :func:`check_truncate`); None is full BPTT."""
    truncate = check_truncate(truncate)
    if truncate is None:
        return full_gradient(a)
    if isinstance(truncate, int):
        if truncate > a.T:
            return full_gradient(a)
        return lag_contributions(a, truncate - 1).sum(axis=0)
    _, p, seed = truncate
    rng = np.random.default_rng(seed)
    keep = np.concatenate([[1.0], np.where(rng.random(a.T) < p, 1.0 / p, 0.0)])
    return full_gradient(a, keep)


def distance(full, approx) -> dict[str, float]:
    """How far ``approx`` is from ``full`` (flat vectors): relative error ‖a − f‖/‖f‖ and cosine.

    A zero full gradient gives a relative error of 0 if ``approx`` is zero too
    (else inf), and a cosine of 1 if both are zero (else 0).

    Examples
    --------
    >>> distance([3.0, 4.0], [3.0, 0.0])
    {'relative_error': 0.8, 'cosine': 0.6}
    """
    f, g = np.ravel(np.asarray(full, dtype=float)), np.ravel(np.asarray(approx, dtype=float))
    nf, ng, nd = np.linalg.norm(f), np.linalg.norm(g), np.linalg.norm(g - f)
    rel = float(nd / nf) if nf else (0.0 if nd == 0 else float("inf"))
    cos = float(f @ g / (nf * ng)) if nf and ng else float(nf == ng)
    return {"relative_error": rel, "cosine": cos}
