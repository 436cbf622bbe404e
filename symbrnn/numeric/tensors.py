"""Numbers for array expressions: a Tensor's graph evaluated with numpy, given the arrays its leaves name.

Each node is evaluated once (graphs share nodes); an elementwise function
and its derivative are compiled once each (lambdify with symbrnn's numpy
forms), so the evaluation of a derivation's terms costs a few numpy calls
per operation, at any array size.

Examples
--------
>>> import numpy as np
>>> from symbrnn import tanh
>>> from symbrnn.declare.tensor import Tensor
>>> W, x = Tensor.symbols("W", (2, 2), kind="param"), Tensor.symbols("x", 2)
>>> arrays = {("W", "param"): np.eye(2), ("x", "now"): np.array([0.5, -1.0])}
>>> evaluate(tanh(W @ x) * 2, arrays.__getitem__).round(6)
array([ 0.924234, -1.523188])
"""

from __future__ import annotations

import functools
from collections.abc import Callable

import numpy as np
import sympy as sp

from ..core import errors
from ..declare.derivatives import derivative
from ..declare.forms import NUMPY_FUNCTIONS, numeric_forms

__all__ = ["evaluate", "scalar_value"]

_FORMS = numeric_forms("numpy")
_MODULES = [NUMPY_FUNCTIONS, "numpy"]
_BINARY = {"+": np.add, "-": np.subtract, "*": np.multiply, "/": np.divide, "**": np.power}


@functools.cache
def _elementwise(f) -> Callable:
    a = sp.Dummy("a", real=True)
    return sp.lambdify([a], f(a), modules=_MODULES)


@functools.cache
def _derivative(f) -> Callable:
    d, a, v = derivative(f)
    return sp.lambdify([a, v], d, modules=_MODULES)


def scalar_value(e: sp.Expr, symbol: Callable) -> float:
    """The number of a scalar sympy expression, each free symbol's number from ``symbol(s)``."""
    if e.is_Number:
        return float(e)
    free = sorted(e.free_symbols, key=sp.default_sort_key)
    return float(sp.lambdify(free, e, modules=_MODULES)(*(symbol(s) for s in free)))


def evaluate(t, leaf: Callable, symbol: Callable | None = None):
    """``t``'s number: ``leaf((name, when))`` gives each named array, ``symbol(s)`` each scalar symbol's number."""
    done: dict[int, object] = {}

    def value(v):
        if not hasattr(v, "op"):
            if symbol is None and not v.is_Number:
                raise errors.ValuesError(f"the scalar {v} in an array expression has no number")
            return scalar_value(v, symbol)
        if id(v) not in done:
            done[id(v)] = _node(v, [value(a) for a in v.args], leaf)
        return done[id(v)]

    return value(t)


def _node(t, args: list, leaf: Callable):  # noqa: PLR0911 - one return per operation
    op = t.op
    if op == "leaf":
        return np.asarray(leaf(t.extra), dtype=float)
    if op == "const":
        return np.array(t.tolist(), dtype=float)
    if op == "fill":
        return np.full(t.shape, args[0], dtype=float)
    if op in _BINARY:
        return _BINARY[op](args[0], args[1])
    simple = {
        "neg": lambda: -args[0], "@": lambda: np.matmul(args[0], args[1]), "T": lambda: args[0].T,
        "getitem": lambda: args[0][t.extra], "map": lambda: _elementwise(t.extra)(args[0]),
        "dmap": lambda: _derivative(t.extra)(args[0], args[1]), "softmax": lambda: _FORMS["softmax"](args[0]),
        "reduce": lambda: _FORMS["logsumexp_vector"](args[0]), "outer": lambda: np.multiply.outer(args[0], args[1]),
        "concat": lambda: np.concatenate(args, axis=t.extra), "reshape": lambda: np.reshape(args[0], t.shape),
        "eye": lambda: np.eye(t.shape[0]),
        "rowscale": lambda: np.reshape(args[0], np.shape(args[0]) + (1,) * (np.ndim(args[1]) - 1)) * args[1],
    }
    if op in simple:
        return simple[op]()
    if op == "sum":
        return np.sum(args[0], axis=t.extra)
    if op == "embed":
        out = np.zeros(t.shape)
        out[t.extra] = args[0]
        return out
    if op == "spread":
        g = args[0] if t.extra is None else np.expand_dims(args[0], t.extra)
        return np.broadcast_to(g, t.shape)
    raise errors.SymbrnnError(f"no numeric form for the tensor operation {op!r}")  # pragma: no cover
