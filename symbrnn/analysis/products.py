"""Norms of the Jacobian products Π_{j=k+1..t} ∂s_j/∂s_{j-1} by lag, the fitted rate per step, a verdict.

The products end at the last step T: lag ℓ is ‖J_T·J_{T-1}···J_{T-ℓ+1}‖, how
much the gradient of the last loss shrinks or grows on its way ℓ steps back
(lag 0 is the identity, norm 1). The norm is the spectral norm (the largest
singular value; the absolute value for a scalar state). The product is
renormalised at every step and its logarithm accumulated, so T = 10,000
steps of a rate 0.5 neither underflow nor lose precision.

Examples
--------
>>> import numpy as np
>>> J = np.zeros((5, 1, 1)); J[1:, 0, 0] = [0.5, 0.5, 0.5, 0.5]
>>> np.exp(log_product_norms(J))
array([1.    , 0.5   , 0.25  , 0.125 , 0.0625])
>>> rate = fitted_rate(log_product_norms(J))
>>> round(rate, 6), verdict(rate, 3), verdict(rate, 4)   # 0.5**3 > 1/10 >= 0.5**4
(0.5, 'neither', 'vanishing')
"""

from __future__ import annotations

import math

import numpy as np

__all__ = ["FACTOR", "VERDICTS", "fitted_rate", "log_product_norms", "verdict"]

VERDICTS = ("vanishing", "exploding", "neither")
#: the verdict says vanishing (exploding) when the fitted products shrink (grow) by this factor over the lags
FACTOR = 10.0


def _spectral(M: np.ndarray) -> float:
    return float(abs(M[0, 0])) if M.shape == (1, 1) else float(np.linalg.norm(M, 2))


def log_product_norms(J: np.ndarray) -> np.ndarray:
    """log ‖J_T···J_{T-ℓ+1}‖₂ for ℓ = 0..T (natural logarithm; -inf once a product is exactly zero).

    Parameters
    ----------
    J : ndarray, shape (T + 1, n, n)
        The step Jacobians J_t = ∂s_t/∂s_{t-1} at t = 1..T (``J[0]`` unused).
    """
    T = J.shape[0] - 1
    out = np.full(T + 1, -np.inf)
    out[0] = 0.0
    M, scale = np.eye(J.shape[1]), 0.0
    for lag in range(1, T + 1):
        M = M @ J[T - lag + 1]
        s = _spectral(M)
        if s == 0.0 or not math.isfinite(s):
            if not math.isfinite(s):
                out[lag:] = np.inf
            break
        scale += math.log(s)
        out[lag] = scale
        M = M / s
    return out


def fitted_rate(log_norms: np.ndarray) -> float:
    """The per-step factor r of the least-squares line log‖P_ℓ‖ ≈ a + ℓ·log r over the lags ℓ = 1..T.

    With one lag, r is that lag's norm; a product that reaches exactly zero gives r = 0.
    """
    logs = np.asarray(log_norms[1:], dtype=float)
    if np.any(np.isneginf(logs)):
        return 0.0
    if np.any(np.isposinf(logs)):
        return math.inf
    if len(logs) == 1:
        return math.exp(logs[0])
    lags = np.arange(1, len(logs) + 1, dtype=float)
    slope = np.polyfit(lags, logs, 1)[0]
    return math.exp(float(slope))


def verdict(rate: float, lags: int, factor: float = FACTOR) -> str:
    """``"vanishing"`` if rate**lags <= 1/factor, ``"exploding"`` if >= factor, else ``"neither"`` (over these lags).

    Examples
    --------
    >>> verdict(0.9, 10), verdict(0.9, 30), verdict(1.3, 10)
    ('neither', 'vanishing', 'exploding')
    """
    if rate == 0.0:
        return "vanishing"
    if math.isinf(rate):
        return "exploding"
    growth = lags * math.log(rate)
    if growth <= -math.log(factor):
        return "vanishing"
    if growth >= math.log(factor):
        return "exploding"
    return "neither"
