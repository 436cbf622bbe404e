"""An elementwise function's derivative, from sympy: its ``fdiff``, written in the function's own output.

sympy's ``fdiff`` is the derivative registry: this module only asks it, once
per function, and writes f(a) back as the output v where the derivative
reads it, so that tanh' is 1 − v², σ' is v·(1 − v) and exp' is v.

Examples
--------
>>> import sympy as sp
>>> d, a, v = derivative(sp.tanh)
>>> d.xreplace({v: sp.Symbol("h")})
1 - h**2
"""

from __future__ import annotations

import functools

import sympy as sp

from ..core import errors

__all__ = ["derivative", "is_elementwise"]


def is_elementwise(f) -> bool:
    """True for a function mapped over an array: a sympy Function that takes one argument, or sqrt."""
    return f is sp.sqrt or (isinstance(f, sp.FunctionClass) and 1 in f.nargs)


@functools.cache
def derivative(f) -> tuple[sp.Expr, sp.Symbol, sp.Symbol]:
    """f' as a sympy expression in dummies (a, v): sympy's own derivative of f(a), with f(a) written v."""
    a, v = sp.Dummy("a", real=True), sp.Dummy("v", real=True)
    d = sp.diff(f(a), a).subs(f(a), v)
    if d.has(sp.Derivative, sp.Subs):
        raise errors.ExpressionError(f"the elementwise function {getattr(f, '__name__', f)!r} has no derivative")
    return d, a, v
