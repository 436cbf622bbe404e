"""Numeric forms of symbrnn's own functions, for every backend: the one place their formulas are written.

:mod:`symbrnn.declare.functions` defines sigmoid, relu, softmax (a vector's
components, ``Softmax(k, z...)``) and logsumexp as sympy Functions; this
module says how each backend computes them: Python floats (:mod:`math`),
numpy, mpmath (high-precision checks), JAX and C. The formulas are the same
numerically stable ones everywhere: σ(x) = 1/(1 + e^(−x)) for x ≥ 0 and
e^x/(1 + e^x) below (full relative precision, no overflow), softmax and
logsumexp with the maximum subtracted first.

Examples
--------
>>> import math
>>> python = numeric_forms("python")
>>> python["sigmoid"](0.0), python["relu"](-2.0), python["Softmax"](1, 0.0, math.log(3.0))
(0.5, 0.0, 0.75)
>>> float(numeric_forms("numpy")["sigmoid"](-745.0)) > 0.0
True
>>> print(C_HELPERS["symbrnn_relu"])
static double symbrnn_relu(double x)
{
    return x > 0.0 ? x : 0.0;
}
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass

import mpmath
import numpy as np

__all__ = ["BACKENDS", "C_HELPERS", "FORMS", "MPMATH_FUNCTIONS", "NUMPY_FUNCTIONS", "NumericForms", "numeric_forms",
           "register"]


# ---------------------------------------------------------------- sigmoid
def _py_sigmoid(x: float) -> float:
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


def _np_sigmoid(x):
    # e = e^-|x| never overflows; 1/(1+e) for x >= 0, e/(1+e) below: full relative precision for very
    # negative x too (0.5*(1+tanh(x/2)) cancels there and reaches 0 at x = -40)
    e = np.exp(-np.abs(x))
    s = 1.0 / (1.0 + e)
    return np.where(np.asarray(x) >= 0, s, e * s)[()]


def _mp_sigmoid(x):
    return 1 / (1 + mpmath.exp(-x))


# ---------------------------------------------------------------- softmax and logsumexp
def _py_softmax(k, *z):
    m = max(z)
    e = [math.exp(v - m) for v in z]
    return e[int(k)] / math.fsum(e)


def _py_logsumexp(*z):
    m = max(z)
    return m + math.log(math.fsum(math.exp(v - m) for v in z))


def _np_softmax(k, *z):
    m = functools.reduce(np.maximum, z)
    e = [np.exp(v - m) for v in z]
    return e[int(k)] / sum(e)


def _np_logsumexp(*z):
    m = functools.reduce(np.maximum, z)
    return m + np.log(sum(np.exp(v - m) for v in z))


def _np_softmax_vector(z):
    e = np.exp(z - np.max(z))
    return e / e.sum()


def _np_logsumexp_vector(z):
    m = np.max(z)
    return m + np.log(np.exp(z - m).sum())


def _mp_softmax(k, *z):
    e = [mpmath.exp(v) for v in z]
    return e[int(k)] / mpmath.fsum(e)


def _mp_logsumexp(*z):
    return mpmath.log(mpmath.fsum(mpmath.exp(v) for v in z))


def _jax_softmax(jax):
    return lambda k, *z: jax.nn.softmax(jax.numpy.stack(z))[int(k)]


def _jax_logsumexp(jax):
    return lambda *z: jax.scipy.special.logsumexp(jax.numpy.stack(z))


_C_MAX_AND_SUM = """    double m = z[0], s = 0.0;
    for (long j = 1; j < n; j++)
        m = z[j] > m ? z[j] : m;
    for (long j = 0; j < n; j++)
        s += exp(z[j] - m);"""


@dataclass(frozen=True)
class NumericForms:
    """One function as each backend computes it; ``jax`` takes the jax module, ``c`` is a C99 definition."""

    python: Callable | None = None
    numpy: Callable | None = None
    mpmath: Callable | None = None
    jax: Callable | None = None
    c: str | None = None


BACKENDS = ("python", "numpy", "mpmath", "jax")

#: name (as sympy prints the function) -> its numeric forms; ``softmax`` and ``logsumexp_vector`` take a
#: whole vector (the array programs')
FORMS = {
    "sigmoid": NumericForms(
        python=_py_sigmoid, numpy=_np_sigmoid, mpmath=_mp_sigmoid, jax=lambda jax: jax.nn.sigmoid,
        c="static double symbrnn_sigmoid(double x)\n{\n    if (x >= 0.0)\n        return 1.0 / (1.0 + exp(-x));\n"
          "    const double e = exp(x);\n    return e / (1.0 + e);\n}"),
    "relu": NumericForms(
        python=lambda x: x if x > 0 else 0.0, numpy=lambda x: np.maximum(x, 0.0), mpmath=lambda x: max(x, 0),
        jax=lambda jax: (lambda x: jax.numpy.maximum(x, 0.0)),
        c="static double symbrnn_relu(double x)\n{\n    return x > 0.0 ? x : 0.0;\n}"),
    "Softmax": NumericForms(
        python=_py_softmax, numpy=_np_softmax, mpmath=_mp_softmax, jax=_jax_softmax,
        c=f"static double symbrnn_softmax(long k, long n, const double *z)\n{{\n{_C_MAX_AND_SUM}\n"
          "    return exp(z[k] - m) / s;\n}"),
    "logsumexp": NumericForms(
        python=_py_logsumexp, numpy=_np_logsumexp, mpmath=_mp_logsumexp, jax=_jax_logsumexp,
        c=f"static double symbrnn_logsumexp(long n, const double *z)\n{{\n{_C_MAX_AND_SUM}\n"
          "    return m + log(s);\n}"),
    "softmax": NumericForms(numpy=_np_softmax_vector, jax=lambda jax: jax.nn.softmax),
    "logsumexp_vector": NumericForms(numpy=_np_logsumexp_vector, jax=lambda jax: jax.scipy.special.logsumexp),
}

#: sympy's own functions on Python floats: math is several times faster than numpy on scalars
_PYTHON_MATH = {name: getattr(math, name) for name in ("tanh", "exp", "log", "sqrt", "sin", "cos", "cosh", "sinh",
                                                          "erf")}


def numeric_forms(backend: str, jax=None) -> dict[str, Callable]:
    """Every function's form for ``backend`` ("python", "numpy", "mpmath", or "jax" with the jax module)."""
    if backend not in BACKENDS:
        raise ValueError(f"backend={backend!r}: one of {', '.join(BACKENDS)}")
    out = dict(_PYTHON_MATH) if backend == "python" else {}
    for name, forms in FORMS.items():
        form = getattr(forms, backend)
        if form is not None:
            out[name] = form(jax) if backend == "jax" else form
    return out


#: the C helpers, by the name the generated C calls (``symbrnn_sigmoid``)
C_HELPERS = {f"symbrnn_{name.lower()}": forms.c for name, forms in FORMS.items() if forms.c is not None}
#: the componentwise numpy and mpmath forms (lambdify's modules for the step kernels and the checks)
NUMPY_FUNCTIONS = {k: v for k, v in numeric_forms("numpy").items() if k not in ("softmax", "logsumexp_vector")}
MPMATH_FUNCTIONS = numeric_forms("mpmath")


def register(name: str, forms: NumericForms) -> None:
    """Add (or replace) the numeric forms of a function: a researcher's own activation and its derivative.

    Every backend looks the forms up when it builds a program, so a function
    registered here is known to all of them (:mod:`symbrnn.declare.activations`).
    """
    FORMS[name] = forms
    for table, form in ((NUMPY_FUNCTIONS, forms.numpy), (MPMATH_FUNCTIONS, forms.mpmath)):
        if form is not None:
            table[name] = form
