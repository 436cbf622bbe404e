"""Tensor: vectors and matrices of sympy expressions, with numpy's semantics.

A quantity declared with a shape (``cell.param("W", shape=(3, 2))``) is a
:class:`Tensor` of component symbols named ``W[0,0]``, ``W[0,1]``, ...; the
expressions built from it follow numpy: ``@`` is the matrix product, ``*``,
``/``, ``+``, ``-`` and ``**`` act elementwise and broadcast, ``.T``
transposes, ``.sum()`` sums, ``h[0]`` indexes and slices. Every component is
an ordinary sympy expression, which is what the engine differentiates.

Examples
--------
>>> W = Tensor.symbols("W", (2, 2), kind="param")
>>> x = Tensor.symbols("x", 2)
>>> W @ x
Tensor([W[0,0]*x[0]_t + W[0,1]*x[1]_t, W[1,0]*x[0]_t + W[1,1]*x[1]_t])
>>> (x * 2 + 1).shape, W.T[0, 1], (W @ x).sum()
((2,), W[1,0], W[0,0]*x[0]_t + W[0,1]*x[1]_t + W[1,0]*x[0]_t + W[1,1]*x[1]_t)
>>> x + Tensor.symbols("b", 3, kind="param")
Traceback (most recent call last):
...
symbrnn.ShapeError: x + b: shapes (2,) and (3,) do not broadcast; make them equal (or one a scalar)
"""

from __future__ import annotations

import numbers
import operator
import re

import numpy as np
import sympy as sp

from ..core import errors
from ..core.symbols import Now, now, param, step_name

__all__ = ["Tensor", "component_name", "shape_text", "split_component"]

_COMPONENT = re.compile(r"^(.+)\[(\d+(?:,\d+)*)\]$")


def component_name(name: str, index: tuple[int, ...]) -> str:
    """The name of one component of a shaped quantity: ``W[1,0]``, ``h[2]``."""
    return f"{name}[{','.join(str(int(i)) for i in index)}]"


def split_component(name: str) -> tuple[str, tuple[int, ...]] | None:
    """``("W", (1, 0))`` for ``"W[1,0]"``; None if ``name`` is not a component name."""
    m = _COMPONENT.fullmatch(name)
    if not m:
        return None
    return m.group(1), tuple(int(i) for i in m.group(2).split(","))


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python writes it: ``(3,)``, ``(3, 2)``, ``()``."""
    return str(tuple(int(n) for n in shape))


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


def _object_array(value) -> np.ndarray:
    if isinstance(value, sp.MatrixBase):
        value = value.tolist()
    arr = np.array(value, dtype=object)
    out = np.empty(arr.shape, dtype=object)
    for index in np.ndindex(arr.shape):
        out[index] = element(arr[index])
    return out


def _scalar_array(value) -> np.ndarray:
    out = np.empty((), dtype=object)
    out[()] = value
    return out


class Tensor:
    """An n-dimensional array of sympy expressions with numpy's operators.

    Parameters
    ----------
    data : nested lists, numpy array or sympy Matrix
        The components: numbers or sympy expressions.
    name : str, optional
        The quantity it is (set for declared quantities, used in messages).

    Examples
    --------
    >>> a, b = sp.symbols("a b")
    >>> t = Tensor([[a, 1], [0, b]])
    >>> t.shape, t[0, 1], t.T.tolist()
    ((2, 2), 1, [[a, 0], [1, b]])
    >>> (t * t).tolist(), (2 ** Tensor([a])).tolist()
    ([[a**2, 1], [0, b**2]], [2**a])
    """

    _op_priority = 20.0  # sympy defers to Tensor's reflected operators
    __array_ufunc__ = None  # and so does numpy
    #: how the tensor was made, for the array-level program (:mod:`symbrnn.codegen.arrays.plan`): ("leaf", name, lag),
    #: (operator, left, right), ("neg", a), ("getitem", a, key), ("T", a), ("sum", a, axis),
    #: ("map", function, a) or ("softmax", a); None if unknown (built from components)
    op = None

    def __init__(self, data, *, name: str | None = None):
        ready = isinstance(data, np.ndarray) and data.dtype == object and _checked(data)
        self._a = data if ready else _object_array(data)
        self.name = name

    @classmethod
    def symbols(cls, name: str, shape, *, kind: str = "input") -> Tensor:
        """The component symbols of a declared quantity (params are step-free, the rest per step)."""
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        make = param if kind == "param" else now
        arr = np.empty(shape, dtype=object)
        for index in np.ndindex(shape):
            arr[index] = make(component_name(name, index))
        return _traced(cls._wrap(arr, name), "leaf", name, "param" if kind == "param" else "now")

    @classmethod
    def _wrap(cls, arr: np.ndarray, name: str | None = None) -> Tensor:
        t = cls.__new__(cls)
        t._a, t.name = arr, name
        return t

    # ------------------------------------------------------------------ basics
    @property
    def shape(self) -> tuple[int, ...]:
        """The shape, as numpy gives it."""
        return self._a.shape

    @property
    def ndim(self) -> int:
        return self._a.ndim

    @property
    def size(self) -> int:
        return self._a.size

    def __len__(self) -> int:
        return len(self._a)

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def tolist(self):
        """The components as nested lists."""
        return self._a.tolist()

    def flat(self) -> list[sp.Expr]:
        """The components in row-major order."""
        return list(self._a.flat)

    def items(self):
        """(index, component) pairs in row-major order."""
        return [(index, self._a[index]) for index in np.ndindex(self.shape)]

    def __repr__(self) -> str:
        return f"Tensor({_text(self.tolist())})"

    def __str__(self) -> str:
        return _text(self.tolist())

    def __eq__(self, other) -> bool:
        return isinstance(other, Tensor) and self.shape == other.shape and all(
            a == b for a, b in zip(self._a.flat, other._a.flat, strict=True))

    def __hash__(self) -> int:
        return hash((self.shape, tuple(self._a.flat)))

    def _sympy_(self):
        raise errors.ExpressionError(
            f"{_describe(self)} is a tensor: sympy's own functions take scalars; use symbrnn's elementwise"
            " functions (symbrnn.tanh, sigmoid, exp, log, relu, softmax)"
        )

    @property
    def free_symbols(self) -> set:
        return set().union(*(e.free_symbols for e in self._a.flat)) if self.size else set()

    def map(self, f) -> Tensor:
        """``f`` applied to every component (an activation of :mod:`symbrnn.declare.functions` is recorded as such)."""
        out = np.empty(self.shape, dtype=object)
        for index in np.ndindex(self.shape):
            out[index] = element(f(self._a[index]))
        return _traced(Tensor._wrap(out), "map", f, self)

    def xreplace(self, mapping) -> Tensor:
        """Every component with ``mapping`` applied (sympy's ``xreplace``)."""
        return self.map(lambda e: e.xreplace(mapping))

    def __getitem__(self, key):
        r = self._a[key]
        if isinstance(r, np.ndarray):
            return _traced(Tensor._wrap(r), "getitem", self, key)
        return r

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed, as numpy's ``.T``)."""
        return _traced(Tensor._wrap(self._a.T, None if self.name is None else f"{self.name}.T"), "T", self)

    def transpose(self) -> Tensor:
        return self.T

    def sum(self, axis=None):
        """The sum of the components (a scalar), or along ``axis`` (a Tensor)."""
        if axis is None:
            return sp.Add(*self._a.flat)
        return _traced(_result(self._a.sum(axis=axis)), "sum", self, axis)

    def mean(self, axis=None):
        """The mean of the components, or along ``axis``."""
        n = self.size if axis is None else self.shape[axis]
        return self.sum(axis) / n

    @property
    def prev(self) -> Tensor:
        """The previous-step value of a declared state: its components' ``h[i]_{t-1}``."""
        if not all(isinstance(e, Now) for e in self._a.flat):
            raise errors.ExpressionError(f".prev: {_describe(self)} is not a declared per-step quantity")
        out = Tensor._wrap(_map_raw(self._a, lambda e: e.prev), f"{self.name}.prev")
        return _traced(out, "leaf", self.op[1], "prev") if self.op and self.op[:1] == ("leaf",) else out

    def at(self, t: int) -> Tensor:
        """The components at the concrete step ``t`` (``h.at(0)``: the initial state)."""
        if not all(isinstance(e, Now) for e in self._a.flat):
            raise errors.ExpressionError(f".at: {_describe(self)} is not a declared per-step quantity")
        return Tensor._wrap(_map_raw(self._a, lambda e: e.at(t)), step_name(self.name, t))

    # --------------------------------------------------------------- operators
    def _binary(self, other, op, symbol: str, reflected: bool = False):
        b = _operand(other)
        if b is None:
            return NotImplemented
        a = self._a
        left, right = (other, self) if reflected else (self, other)
        try:
            np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise errors.ShapeError(
                f"{_describe(left)} {symbol} {_describe(right)}: shapes {shape_text(_shape(left))} and"
                f" {shape_text(_shape(right))} do not broadcast; make them equal (or one a scalar)"
            ) from None
        return _traced(_result(op(b, a) if reflected else op(a, b)), symbol, _traceable(left), _traceable(right))

    def __add__(self, other):
        return self._binary(other, operator.add, "+")

    def __radd__(self, other):
        return self._binary(other, operator.add, "+", True)

    def __sub__(self, other):
        return self._binary(other, operator.sub, "-")

    def __rsub__(self, other):
        return self._binary(other, operator.sub, "-", True)

    def __mul__(self, other):
        return self._binary(other, operator.mul, "*")

    def __rmul__(self, other):
        return self._binary(other, operator.mul, "*", True)

    def __truediv__(self, other):
        return self._binary(other, operator.truediv, "/")

    def __rtruediv__(self, other):
        return self._binary(other, operator.truediv, "/", True)

    def __pow__(self, other):
        if isinstance(other, Tensor):
            raise errors.ShapeError(f"{_describe(self)} ** {_describe(other)}: the exponent must be a scalar")
        return self._binary(other, operator.pow, "**")

    def __rpow__(self, other):
        return self._binary(other, operator.pow, "**", True)

    def __neg__(self):
        return _traced(Tensor._wrap(_map_raw(self._a, operator.neg)), "neg", self)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)


def _traced(result, *op):
    """``result`` with how it was made recorded (only a Tensor records it)."""
    if isinstance(result, Tensor):
        result.op = op
    return result


def _traceable(value):
    """An operand as the op records it: a Tensor as it is, anything else as a Tensor or sympy scalar."""
    if isinstance(value, Tensor):
        return value
    arr = _operand(value)
    return Tensor._wrap(arr) if arr.ndim else arr[()]


def _checked(arr: np.ndarray) -> bool:
    return all(isinstance(e, sp.Expr) for e in arr.flat)


def _map_raw(arr: np.ndarray, f) -> np.ndarray:
    out = np.empty(arr.shape, dtype=object)
    for index in np.ndindex(arr.shape):
        out[index] = f(arr[index])
    return out


def _operand(value) -> np.ndarray | None:
    """``value`` as an object array, or None if Tensor arithmetic does not take it."""
    if isinstance(value, Tensor):
        return value._a
    if isinstance(value, (np.ndarray, sp.MatrixBase)):
        return _object_array(value)
    if isinstance(value, (sp.Expr, numbers.Number, np.generic)) and not isinstance(value, bool):
        return _scalar_array(element(value))
    return None


def _shape(value) -> tuple[int, ...]:
    arr = _operand(value)
    return () if arr is None else arr.shape


def _describe(value) -> str:
    if isinstance(value, Tensor) and value.name:
        return value.name
    shape = _shape(value)
    return f"a {shape_text(shape)} tensor" if shape else "a scalar"


def _result(arr):
    if isinstance(arr, np.ndarray) and arr.ndim > 0:
        return Tensor._wrap(_map_raw(arr, element))
    return element(arr[()] if isinstance(arr, np.ndarray) else arr)


def _matmul(left, right):
    a, b = _operand(left), _operand(right)
    if a is None or b is None:
        return NotImplemented
    if a.ndim == 0 or b.ndim == 0:
        raise errors.ShapeError(
            f"{_describe(left)} @ {_describe(right)}: @ is the matrix product of arrays; to scale by a scalar use *"
        )
    try:
        return _traced(_result(_product(a, b)), "@", _traceable(left), _traceable(right))
    except ValueError:
        raise errors.ShapeError(
            f"{_describe(left)} @ {_describe(right)}: shapes {shape_text(a.shape)} and {shape_text(b.shape)}"
            f" do not fit: the last axis of the left ({a.shape[-1]}) must equal"
            f" the {'only' if b.ndim == 1 else 'second-to-last'} axis of the right ({b.shape[-2 if b.ndim > 1 else 0]})"
        ) from None


def _product(a: np.ndarray, b: np.ndarray):
    """np.matmul of object arrays, each entry one sympy Add of its products (numpy adds them pairwise: O(n²))."""
    if a.ndim > 2 or b.ndim > 2 or a.shape[-1] != b.shape[0]:
        return np.matmul(a, b)  # raises ValueError if the shapes do not fit
    rows = a if a.ndim == 2 else a[None, :]
    cols = b if b.ndim == 2 else b[:, None]
    out = np.empty((rows.shape[0], cols.shape[1]), dtype=object)
    for i in range(rows.shape[0]):
        for j in range(cols.shape[1]):
            out[i, j] = sp.Add(*[x * y for x, y in zip(rows[i], cols[:, j], strict=True)])
    if a.ndim == 1 and b.ndim == 1:
        return out[0, 0]
    return out[0] if a.ndim == 1 else out[:, 0] if b.ndim == 1 else out


def _text(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_text(v) for v in value) + "]"
    return str(value)
