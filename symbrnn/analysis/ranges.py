"""The range of an expression, and of a one-argument activation, as sympy finds it (None when it cannot).

Examples
--------
>>> from symbrnn import sigmoid
>>> import sympy as sp
>>> function_outputs(sigmoid), function_outputs(sp.tanh), function_outputs(sp.exp)
(AccumBounds(0, 1), AccumBounds(-1, 1), None)
"""

from __future__ import annotations

from functools import lru_cache

import sympy as sp
from sympy.calculus.accumulationbounds import AccumBounds
from sympy.calculus.util import function_range

__all__ = ["X", "function_outputs", "function_values", "value_range"]

X = sp.Symbol("x", real=True)


def value_range(expr, x, domain) -> sp.Set | None:
    """The set of values of ``expr`` for ``x`` in ``domain``, or None if sympy cannot find it."""
    try:
        found = function_range(expr, x, domain)
    except (NotImplementedError, ValueError, TypeError):
        return None
    return found if isinstance(found, sp.Set) and not found.is_empty else None


@lru_cache(maxsize=256)
def function_values(f) -> sp.Set | None:
    """The set of f's outputs over the reals (σ: the open interval (0, 1)), or None if sympy cannot find it.

    Cached by function: sympy takes a fraction of a second per call."""
    fx = f(X)
    return value_range(fx, X, sp.S.Reals) or value_range(fx.rewrite(sp.exp), X, sp.S.Reals)


def function_outputs(f) -> AccumBounds | None:
    """The closure of f's outputs over the reals, when it is a bounded interval (σ: [0, 1]), else None."""
    found = function_values(f)
    if not isinstance(found, sp.Interval) or not (found.inf.is_finite and found.sup.is_finite):
        return None
    return AccumBounds(found.inf, found.sup)
