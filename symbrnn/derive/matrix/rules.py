"""The rule table of matrix derivatives: each operation's vector-Jacobian product, as array expressions.

One row per operation: given the adjoint ``g`` of an operation's output (an
array of its shape, or the scalar 1 for a loss), the row gives each operand's
share, summed back over the axes numpy broadcast to. For ``A @ B`` these are
``g·Bᵀ`` and ``Aᵀ·g`` (``outer(g, x)`` and ``Wᵀ·g`` for a matrix and a
vector); for an elementwise f, ``g ⊙ f'(a)`` with f' sympy's own derivative
(the function's ``fdiff``), written in the output where it appears
(tanh' = 1 − out², σ' = out ⊙ (1 − out)); a slice is embedded back into its
source; a sum is spread back; a concatenation is split. The same table is
what the generated array programs compute, and each row is tested against
the componentwise engine.

Examples
--------
>>> from symbrnn.declare.tensor import Tensor
>>> from symbrnn.declare.functions import tanh
>>> W, x, g = Tensor.symbols("W", (3, 2), kind="param"), Tensor.symbols("x", 2), Tensor.symbols("g", 3)
>>> [str(s) for s in shares(W @ x, g, out=W @ x)]
['outer(g_t, x_t)', 'W.T @ g_t']
>>> a = Tensor.symbols("a", 3)
>>> print(shares(tanh(a), g, out=Tensor.symbols("h", 3))[0])
g_t*(1 - h_t**2)
"""

from __future__ import annotations

import sympy as sp

from ...core import errors
from ...declare.derivatives import derivative
from ...declare.functions import softmax
from ...declare.matrixops import embed, outer, scale, spread, unbroadcast
from ...declare.tensor import Tensor

__all__ = ["RULES", "dmap", "shares"]


def dmap(f, a: Tensor, out: Tensor) -> Tensor:
    """f'(a) elementwise, where ``out`` = f(a): an array of a's shape."""
    derivative(f)  # refuses a function without one
    return Tensor.node("dmap", (a, out), a.shape, f)


def _times(g, x):
    """g ⊙ x, with a scalar (or an array of one value, ``fill``) written as a scalar factor."""
    if isinstance(g, Tensor) and g.op == "fill" and isinstance(x, Tensor) and x.shape == g.shape:
        g = g.args[0]
    if isinstance(x, Tensor) and x.op == "fill" and isinstance(g, Tensor) and g.shape == x.shape:
        x = x.args[0]
    if not isinstance(g, Tensor) and g == 1:
        return x
    if not isinstance(x, Tensor) and x == 1:
        return g
    if not isinstance(g, Tensor) and isinstance(x, Tensor):
        return scale(x, g)
    return g * x


def _over(g, b):
    return scale(g, 1 / b) if not isinstance(b, Tensor) else g / b


def _shape(v) -> tuple:
    return getattr(v, "shape", ())


def _matmul(t, g, out):
    a, b = t.args
    if a.ndim == 2 and b.ndim == 1:
        return [outer(g, b), a.T @ g]
    if a.ndim == 1 and b.ndim == 2:
        return [b @ g, outer(a, g)]
    if a.ndim == 2 and b.ndim == 2:
        return [g @ b.T, a.T @ g]
    return [_times(g, b), _times(g, a)]  # two vectors: a scalar


def _power(t, g, out):
    a, k = t.args
    if isinstance(k, Tensor):  # pragma: no cover - Tensor refuses a tensor exponent
        raise errors.ShapeError("a power with a tensor exponent")
    base = _times(g, k * _pow(a, k - 1))
    exponent = None if k.is_Number else _times(g, out * (a.map(sp.log) if isinstance(a, Tensor) else sp.log(a)))
    return [base, exponent]


def _pow(a, k):
    """a**k, written a for k = 1 (the derivative of a square is 2·a, not 2·a**1)."""
    return a if k == 1 else a ** k


def _concat(t, g, out):
    shares, at = [], 0
    for part in t.args:
        n = part.shape[t.extra]
        key = (slice(None),) * t.extra + (slice(at, at + n),)
        shares.append(g[key])
        at += n
    return shares


#: operation -> rule(node, g, out): each operand's share, before summing back over broadcast axes
RULES = {
    "+": lambda t, g, out: [g, g],
    "-": lambda t, g, out: [g, -g],
    "*": lambda t, g, out: [_times(g, t.args[1]), _times(g, t.args[0])],
    "/": lambda t, g, out: [_over(g, t.args[1]), -_over(_times(g, out), t.args[1])],
    "**": _power,
    "neg": lambda t, g, out: [-g],
    "@": _matmul,
    "T": lambda t, g, out: [g.T],
    "getitem": lambda t, g, out: [embed(g, t.extra, t.args[0].shape)],
    "sum": lambda t, g, out: [spread(g, t.extra, t.args[0].shape)],
    "map": lambda t, g, out: [_times(g, dmap(t.extra, t.args[0], out))],
    "softmax": lambda t, g, out: [out * (g - (g * out).sum())],
    "reduce": lambda t, g, out: [_times(g, softmax(t.args[0]))],  # logsumexp' = softmax
    "fill": lambda t, g, out: [g.sum() if isinstance(g, Tensor) else g],
    "concat": _concat,
}


def shares(t: Tensor, g, *, out) -> list:
    """Each operand's share of the adjoint ``g`` of ``t`` (whose value is ``out``), summed back to its shape.

    An operand that needs none (a number exponent) gets None.
    """
    if t.op not in RULES:
        raise errors.ExpressionError(f"no derivative rule for the tensor operation {t.op!r}")
    if t.op == "reduce" and getattr(t.extra, "__name__", None) != "logsumexp":
        raise errors.ExpressionError(f"no derivative rule for {getattr(t.extra, '__name__', t.extra)!r}")
    raw = RULES[t.op](t, g, out)
    return [None if s is None else unbroadcast(s, _shape(a)) for s, a in zip(raw, t.args, strict=True)]
