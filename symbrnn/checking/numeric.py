"""Numbers of the definitions: a small evaluator of sympy expressions over named values (no code is generated).

Only sums, products, powers, numbers, names and symbrnn's functions are
evaluated, each function by its Python form from
:func:`symbrnn.declare.forms.numeric_forms`; anything else is an error.
A value that cannot be computed (a log of a negative number) is NaN.

Examples
--------
>>> import sympy as sp
>>> a, h = sp.symbols("a_3 h_2")
>>> round(evaluate(h * (1 - sp.tanh(a) ** 2), {"a_3": 0.8587, "h_2": 0.7174}.__getitem__), 4)
0.3703
"""

from __future__ import annotations

import math
from collections.abc import Callable

from ..declare.forms import numeric_forms

__all__ = ["FUNCTIONS", "evaluate"]

#: every function a definition may apply, by its sympy class name
FUNCTIONS: dict[str, Callable] = {**numeric_forms("python"), "Heaviside": lambda x, h0=0.0: 1.0 if x > 0 else
                                  (h0 if x == 0 else 0.0), "Abs": abs}


def _apply(expr, args: list[float]) -> float:
    if expr.is_Add:
        return math.fsum(args)
    if expr.is_Mul:
        return math.prod(args)
    if expr.is_Pow:
        return args[0] ** args[1]
    name = type(expr).__name__
    if name not in FUNCTIONS:
        raise TypeError(f"cannot evaluate {name} in {expr}")
    return FUNCTIONS[name](*args)


def evaluate(expr, lookup: Callable[[str], float]) -> float:
    """The number of ``expr``, with ``lookup(name)`` giving each symbol's value."""
    if expr.is_Symbol:
        return lookup(expr.name)
    if expr.is_Number:
        return float(expr)
    args = [evaluate(a, lookup) for a in expr.args]
    try:
        value = _apply(expr, args)
    except (ValueError, ZeroDivisionError, OverflowError):
        return math.nan
    if isinstance(value, complex):
        return math.nan
    return float(value)

