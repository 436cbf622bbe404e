"""Activations as sympy Functions, and their numeric forms for each backend.

sympy's ``fdiff`` is the derivative registry: :class:`sigmoid` differentiates
as σ(x)(1 − σ(x)), written in terms of its own output, everywhere sympy
differentiates it. The numeric forms are named explicitly for lambdify, never
guessed.

Examples
--------
>>> import sympy as sp
>>> z = sp.Symbol("z")
>>> sigmoid(z).diff(z)
(1 - sigmoid(z))*sigmoid(z)
>>> sigmoid(0)
1/2
>>> float(sigmoid(sp.Float(2)).evalf())
0.8807970779778823
"""

from __future__ import annotations

import mpmath
import numpy as np
import sympy as sp
from sympy.core.function import ArgumentIndexError

__all__ = ["MPMATH_FUNCTIONS", "NUMPY_FUNCTIONS", "sigmoid", "tanh"]

tanh = sp.tanh


class sigmoid(sp.Function):
    """The logistic function σ(x) = 1 / (1 + e^(−x)); σ'(x) = σ(x)(1 − σ(x)).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> sigmoid(x).rewrite(sp.exp)
    1/(1 + exp(-x))
    """

    nargs = 1

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        s = sigmoid(self.args[0])
        return s * (1 - s)

    @classmethod
    def eval(cls, x):
        if x.is_zero:
            return sp.S.Half
        return None

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return 1 / (1 + sp.exp(-x))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real

    def _eval_is_positive(self):
        return self.args[0].is_real


def _np_sigmoid(x):
    # 0.5*(1+tanh(x/2)) equals 1/(1+exp(-x)) and never overflows
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


#: numeric forms of symbrnn's own functions for the numpy backend
NUMPY_FUNCTIONS = {"sigmoid": _np_sigmoid}
#: numeric forms of symbrnn's own functions for mpmath (high-precision checks)
MPMATH_FUNCTIONS = {"sigmoid": _mp_sigmoid}
