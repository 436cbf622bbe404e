"""Activations as sympy Functions, elementwise on Tensors, and their numeric forms for each backend.

sympy's ``fdiff`` is the derivative registry: :class:`sigmoid` differentiates
as σ(x)(1 − σ(x)), written in terms of its own output, everywhere sympy
differentiates it; a softmax component as ŷ_k(δ_kj − ŷ_j). On a scalar every
activation is a sympy Function application; on a :class:`~symbrnn.declare.tensor.Tensor`
it applies to each component (``softmax`` and ``logsumexp`` take the whole
vector). Their numeric forms, for every backend, are in :mod:`symbrnn.declare.forms`.

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
>>> tanh(z), relu(z).diff(z)
(tanh(z), Heaviside(z, 0))
>>> from symbrnn.declare.tensor import Tensor
>>> v = Tensor.symbols("v", 2)
>>> tanh(v), tanh(v).tolist()
(Tensor(tanh(v_t), shape=(2,)), [tanh(v[0]_t), tanh(v[1]_t)])
>>> s = softmax(v)
>>> s.tolist()
[softmax(v[0]_t, v[1]_t)[0], softmax(v[0]_t, v[1]_t)[1]]
>>> s[0].diff(v[1])
-softmax(v[0]_t, v[1]_t)[0]*softmax(v[0]_t, v[1]_t)[1]
>>> logsumexp(v).diff(v[0]) == s[0]
True
"""

from __future__ import annotations

import sympy as sp
from sympy.core.function import ArgumentIndexError

from ..core import errors
from .tensor import Tensor

__all__ = [
    "Softmax",
    "exp",
    "log",
    "logsumexp",
    "relu",
    "sigmoid",
    "softmax",
    "tanh",
]


def _elementwise(f, x):
    return x.map(f) if isinstance(x, Tensor) else f(x)


def tanh(x):
    """tanh, elementwise on a Tensor; on a scalar it is ``sympy.tanh`` (derivative 1 − tanh²).

    Examples
    --------
    >>> import sympy as sp
    >>> tanh(sp.Symbol("a")).diff(sp.Symbol("a"))
    1 - tanh(a)**2
    """
    return _elementwise(sp.tanh, x)


def exp(x):
    """The exponential, elementwise on a Tensor (``sympy.exp`` on a scalar).

    Examples
    --------
    >>> exp(0), exp(Tensor([0, 1])).tolist()
    (1, [1, E])
    """
    return _elementwise(sp.exp, x)


def log(x):
    """The natural logarithm, elementwise on a Tensor (``sympy.log`` on a scalar).

    Examples
    --------
    >>> log(1), log(Tensor([1, sp.E])).tolist()
    (0, [0, 1])
    """
    return _elementwise(sp.log, x)


class _Elementwise(sp.Function):
    """A one-argument sympy Function that maps itself over a Tensor."""

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and isinstance(args[0], Tensor):
            return args[0].map(cls)
        return super().__new__(cls, *args, **kwargs)


class sigmoid(_Elementwise):
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


class relu(_Elementwise):
    """The rectifier max(x, 0); relu'(x) = Heaviside(x, 0), so relu'(0) = 0 (as PyTorch takes it).

    Examples
    --------
    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> relu(x).diff(x), relu(x).diff(x).subs(x, 0), relu(-2), relu(sp.Rational(3, 2))
    (Heaviside(x, 0), 0, 0, 3/2)
    """

    nargs = 1

    def fdiff(self, argindex=1):
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return sp.Heaviside(self.args[0], 0)

    @classmethod
    def eval(cls, x):
        if x.is_Number:
            return sp.Max(x, 0)
        return None

    def _eval_rewrite_as_Max(self, x, **kwargs):
        return sp.Max(x, 0)

    def _eval_evalf(self, prec):
        return sp.Max(self.args[0], 0)._eval_evalf(prec)

    def _eval_is_real(self):
        return self.args[0].is_real


class Softmax(sp.Function):
    """Component k of the softmax of a vector: ``Softmax(k, z_0, ..., z_{n-1})`` = e^(z_k) / Σ_j e^(z_j).

    Its derivative is written in its own outputs: ∂ŷ_k/∂z_j = ŷ_k (δ_kj − ŷ_j).
    Build it with :func:`softmax`, which gives every component of a vector.
    """

    def fdiff(self, argindex=1):
        if argindex < 2:
            raise ArgumentIndexError(self, argindex)
        k, z = int(self.args[0]), self.args[1:]
        j = argindex - 2
        return self * ((1 if j == k else 0) - Softmax(j, *z))

    def _eval_rewrite_as_exp(self, k, *z, **kwargs):
        return sp.exp(z[int(k)]) / sp.Add(*(sp.exp(v) for v in z))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)

    def _eval_is_real(self):
        return all(v.is_real for v in self.args[1:]) or None

    def _sympystr(self, printer) -> str:
        return f"softmax({', '.join(printer._print(v) for v in self.args[1:])})[{self.args[0]}]"

    def _latex(self, printer) -> str:
        inner = ", ".join(printer._print(v) for v in self.args[1:])
        return r"\operatorname{softmax}\left(" + inner + r"\right)_{" + str(self.args[0]) + "}"


def softmax(z) -> Tensor:
    """The softmax of a vector: component k is e^(z_k) / Σ_j e^(z_j).

    Parameters
    ----------
    z : Tensor of shape (n,)

    Returns
    -------
    Tensor of shape (n,); its components are :class:`Softmax` applications.
    """
    if not isinstance(z, Tensor) or z.ndim != 1:
        shape = z.shape if isinstance(z, Tensor) else ()
        raise errors.ShapeError(f"softmax needs a vector (a Tensor of shape (n,)), got shape {shape}")
    return Tensor.node("softmax", (z,), z.shape, Softmax)


class logsumexp(sp.Function):
    """log Σ_j e^(z_j) of a vector's components; ∂/∂z_k is softmax(z)_k.

    With one-hot targets y, the cross-entropy −Σ_k y_k log softmax(z)_k equals
    ``logsumexp(z) - (y * z).sum()``, whose gradient in z is softmax(z) − y.

    Examples
    --------
    >>> from symbrnn.declare.tensor import Tensor
    >>> z = Tensor.symbols("z", 2)
    >>> logsumexp(z).diff(z[1])
    softmax(z[0]_t, z[1]_t)[1]
    >>> float(sp.sympify(logsumexp(Tensor([0.0, 0.0]))).evalf())
    0.6931471805599453
    """

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and isinstance(args[0], Tensor):  # of a whole vector: a scalar Tensor
            return Tensor.node("reduce", (args[0],), (), cls)
        return super().__new__(cls, *args, **kwargs)

    def fdiff(self, argindex=1):
        return Softmax(argindex - 1, *self.args)

    def _eval_rewrite_as_exp(self, *z, **kwargs):
        return sp.log(sp.Add(*(sp.exp(v) for v in z)))

    def _eval_evalf(self, prec):
        return self.rewrite(sp.exp)._eval_evalf(prec)
