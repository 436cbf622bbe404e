"""The components of a Tensor, made only when asked for: the whole array, or one entry.

A :class:`~symbrnn.declare.tensor.Tensor` is an expression graph over named
arrays; its components are sympy expressions in the component symbols of
those arrays (``W[1,0]``, ``h[2]_{t-1}``). :func:`materialize` builds all of
them, bottom up, each node once (a node's array is kept on it); this is
O(the components' size), so the engine does it only for the componentwise
programs, a component ``wrt`` and the tests' oracles. :func:`component`
gives one entry without building the rest.

Examples
--------
>>> from symbrnn.declare.tensor import Tensor
>>> W, x = Tensor.symbols("W", (2, 3), kind="param"), Tensor.symbols("x", 3)
>>> component(W @ x, (1,))
W[1,0]*x[0]_t + W[1,1]*x[1]_t + W[1,2]*x[2]_t
>>> materialize((W @ x).T + 1).shape
(2,)
"""

from __future__ import annotations

import numbers
import operator

import numpy as np
import sympy as sp

from ..core import errors
from ..core.symbols import now, param, prev, step
from .derivatives import derivative

__all__ = ["component", "component_name", "element", "materialize"]

_BINARY = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv, "**": operator.pow}


def component_name(name: str, index: tuple[int, ...]) -> str:
    """The name of one component of a shaped quantity: ``W[1,0]``, ``h[2]``."""
    return f"{name}[{','.join(str(int(i)) for i in index)}]"


def element(value, where: str = "tensor element") -> sp.Expr:
    """A number or sympy expression as a sympy ``Expr`` (numbers become exact or Float)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or value is None:
        raise errors.ExpressionError(f"{where}: expected a sympy expression or a number, got {value!r}")
    if isinstance(value, sp.Expr):
        return value
    if isinstance(value, numbers.Integral):
        return sp.Integer(int(value))
    if isinstance(value, numbers.Rational):
        return sp.Rational(value.numerator, value.denominator)
    if isinstance(value, numbers.Real):
        return sp.Float(float(value))
    raise errors.ExpressionError(f"{where}: expected a sympy expression or a number, got {type(value).__name__}")


def leaf_symbol(name: str, when, index: tuple[int, ...]) -> sp.Symbol:
    """The component symbol of a named array at ``index``: a param's, or a quantity's now, prev or at a step."""
    c = component_name(name, index) if index else name
    if when == "param":
        return param(c)
    if when == "now":
        return now(c)
    if when == "prev":
        return prev(c)
    return step(c, when)


def _elementwise(arr, f) -> np.ndarray:
    if not isinstance(arr, np.ndarray):  # numpy gives a scalar for 0-d operands
        arr = _array(arr)
    out = np.empty(arr.shape, dtype=object)
    for index in np.ndindex(arr.shape):
        out[index] = element(f(arr[index]))
    return out


def _array(value) -> np.ndarray:
    """An operand's components: a Tensor's array, or a scalar as a 0-d array."""
    if hasattr(value, "op"):
        return materialize(value)
    out = np.empty((), dtype=object)
    out[()] = value
    return out


def materialize(t) -> np.ndarray:
    """Every component of ``t`` as an object array of sympy expressions (built once per node, then kept)."""
    cached = getattr(t, "_components", None)
    if cached is not None:
        return cached
    arr = _build(t)
    t._components = arr
    return arr


def _build(t) -> np.ndarray:
    op, args = t.op, t.args
    if op == "leaf":
        name, when = t.extra
        out = np.empty(t.shape, dtype=object)
        for index in np.ndindex(t.shape):
            out[index] = leaf_symbol(name, when, index)
        return out
    if op == "fill":
        return np.full(t.shape, args[0], dtype=object)
    if op in _BINARY:
        return _elementwise(_BINARY[op](_array(args[0]), _array(args[1])), lambda e: e)
    if op == "neg":
        return _elementwise(materialize(args[0]), operator.neg)
    if op == "@":
        return _product(materialize(args[0]), materialize(args[1]))
    if op == "T":
        return materialize(args[0]).T
    if op == "getitem":
        return np.asarray(materialize(args[0])[t.extra], dtype=object).reshape(t.shape)
    if op == "sum":
        return _sum(materialize(args[0]), t.extra)
    if op == "map":
        return _elementwise(materialize(args[0]), t.extra)
    if op == "softmax":
        z = list(materialize(args[0]).flat)
        return np.array([t.extra(k, *z) for k in range(len(z))], dtype=object)
    if op == "reduce":
        out = np.empty((), dtype=object)
        out[()] = t.extra(*materialize(args[0]).flat)
        return out
    if op == "concat":
        return np.concatenate([materialize(a) for a in args], axis=t.extra)
    return _build_derived(t)


def _build_derived(t) -> np.ndarray:
    """The operations that derivatives add: outer, embed, spread, reshape."""
    op, args = t.op, t.args
    if op == "outer":
        a, b = materialize(args[0]), materialize(args[1])
        return _elementwise(a.reshape(a.shape + (1,) * b.ndim) * b, lambda e: e)
    if op == "embed":
        out = np.full(t.shape, sp.S.Zero, dtype=object)
        out[t.extra] = materialize(args[0])
        return out
    if op == "spread":
        g = materialize(args[0])
        g = g if t.extra is None else np.expand_dims(g, t.extra)
        return np.array(np.broadcast_to(g, t.shape), dtype=object)
    if op == "reshape":
        return materialize(args[0]).reshape(t.shape)
    if op == "eye":
        return np.array(sp.eye(t.shape[0]).tolist(), dtype=object)
    if op == "rowscale":  # diag(v)·m
        v, m = materialize(args[0]), materialize(args[1])
        return _elementwise(v.reshape(v.shape + (1,) * (m.ndim - 1)) * m, lambda e: e)
    if op == "dmap":  # f'(a), written in the output where sympy's derivative reads it
        d, a, v = derivative(t.extra)
        pairs = zip(materialize(args[0]).flat, materialize(args[1]).flat, strict=True)
        return np.array([element(d.xreplace({a: x, v: y})) for x, y in pairs], dtype=object).reshape(t.shape)
    raise errors.ExpressionError(f"a tensor of operation {op!r} has no components")  # pragma: no cover


def _sum(arr: np.ndarray, axis) -> np.ndarray:
    if axis is None:
        out = np.empty((), dtype=object)
        out[()] = sp.Add(*arr.flat)
        return out
    moved = np.moveaxis(arr, axis, 0)
    out = np.empty(moved.shape[1:], dtype=object)
    for index in np.ndindex(out.shape):
        out[index] = sp.Add(*[moved[(k,) + index] for k in range(moved.shape[0])])
    return out


def _product(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """The matrix product of object arrays, each entry one sympy Add of its products (numpy adds them pairwise)."""
    rows = a if a.ndim == 2 else a[None, :]
    cols = b if b.ndim == 2 else b[:, None]
    out = np.empty((rows.shape[0], cols.shape[1]), dtype=object)
    for i in range(rows.shape[0]):
        for j in range(cols.shape[1]):
            out[i, j] = sp.Add(*[x * y for x, y in zip(rows[i], cols[:, j], strict=True)])
    if a.ndim == 1 and b.ndim == 1:
        return out.reshape(())
    return out[0] if a.ndim == 1 else out[:, 0] if b.ndim == 1 else out


def component(t, index: tuple[int, ...]) -> sp.Expr:
    """The component of ``t`` at ``index`` (a full index of whole numbers), building only what it needs."""
    cached = getattr(t, "_components", None)
    if cached is not None:
        return cached[index]
    op, args = t.op, t.args
    if op == "leaf":
        return leaf_symbol(*t.extra, index)
    if op == "fill":
        return args[0]
    if op in _BINARY:
        a, b = (_at(v, index, t.shape) for v in args)
        return element(_BINARY[op](a, b))
    if op == "neg":
        return -component(args[0], index)
    if op == "map":
        return element(t.extra(component(args[0], index)))
    if op == "T":
        return component(args[0], tuple(reversed(index)))
    if op == "@":
        return _product_entry(args[0], args[1], index)
    return materialize(t)[index]  # slices, sums, softmax: their arrays


def _at(value, index: tuple, shape: tuple):
    """The entry of a broadcast operand that lines up with ``index`` of the result of ``shape``."""
    if not hasattr(value, "op"):
        return value
    own = value.shape
    lead = len(shape) - len(own)
    return component(value, tuple(0 if n == 1 else i for i, n in zip(index[lead:], own, strict=True)))


def _product_entry(a, b, index: tuple) -> sp.Expr:
    if a.ndim == 2 and b.ndim == 2:
        i, j = index
        return sp.Add(*[component(a, (i, k)) * component(b, (k, j)) for k in range(a.shape[1])])
    if a.ndim == 2:
        (i,) = index
        return sp.Add(*[component(a, (i, k)) * component(b, (k,)) for k in range(a.shape[1])])
    if b.ndim == 2:
        (j,) = index
        return sp.Add(*[component(a, (k,)) * component(b, (k, j)) for k in range(b.shape[0])])
    return sp.Add(*[component(a, (k,)) * component(b, (k,)) for k in range(a.shape[0])])
