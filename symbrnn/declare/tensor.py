"""Tensor: vectors and matrices as expressions over named arrays, with numpy's semantics; components on request.

A quantity declared with a shape (``cell.param("W", shape=(3, 2))``) is a
:class:`Tensor` leaf: the named array ``W``. Expressions built from it
follow numpy: ``@`` is the matrix product, ``*``, ``/``, ``+``, ``-`` and
``**`` act elementwise and broadcast, ``.T`` transposes, ``.sum()`` and
``.mean()`` reduce, ``h[0:4]`` slices. Each result is a small graph node
(an operation and its operands) whose cost does not depend on the shapes;
its components, sympy expressions in ``W[0,0]``, ``x[1]_t``, ..., are made
only when something asks for them (:meth:`Tensor.tolist`, ``t[i, j]`` with
whole numbers, the componentwise engine), see :mod:`.components`.

Examples
--------
>>> W = Tensor.symbols("W", (2, 2), kind="param")
>>> x = Tensor.symbols("x", 2)
>>> print(W @ x + 1)
W @ x_t + 1
>>> (W @ x).tolist()
[W[0,0]*x[0]_t + W[0,1]*x[1]_t, W[1,0]*x[0]_t + W[1,1]*x[1]_t]
>>> (x * 2 + 1).shape, W.T[0, 1], (W @ x).sum().shape
((2,), W[1,0], ())
>>> x + Tensor.symbols("b", 3, kind="param")
Traceback (most recent call last):
...
symbrnn.ShapeError: x + b: shapes (2,) and (3,) do not broadcast; make them equal (or one a scalar)
"""

from __future__ import annotations

import numbers
import re

import numpy as np
import sympy as sp

from ..core import errors
from ..core.symbols import step_name
from . import tensortext, tensorwalk
from .components import component, component_name, element, materialize

__all__ = ["Tensor", "component_name", "element", "shape_text", "split_component"]

_COMPONENT = re.compile(r"^(.+)\[(\d+(?:,\d+)*)\]$")
LEAF = "leaf"


def split_component(name: str) -> tuple[str, tuple[int, ...]] | None:
    """``("W", (1, 0))`` for ``"W[1,0]"``; None if ``name`` is not a component name."""
    m = _COMPONENT.fullmatch(name)
    if not m:
        return None
    return m.group(1), tuple(int(i) for i in m.group(2).split(","))


def shape_text(shape: tuple[int, ...]) -> str:
    """A shape as Python writes it: ``(3,)``, ``(3, 2)``, ``()``."""
    return str(tuple(int(n) for n in shape))


def _key_part(v):
    if isinstance(v, Tensor):
        return v.key
    if isinstance(v, slice):
        return ("slice", v.start, v.stop, v.step)
    if isinstance(v, tuple):
        return tuple(_key_part(p) for p in v)
    return v


class Tensor:
    """An n-dimensional array expression: an operation on named arrays (and scalars), with numpy's operators.

    Parameters
    ----------
    data : nested lists, numpy array or sympy Matrix
        An array given by its components (numbers or sympy expressions).
    name : str, optional
        The quantity it is (set for declared quantities, used in messages).

    Attributes
    ----------
    op : str
        How it is made: ``"leaf"`` (a named array; ``extra`` is (name, when),
        when ``"param"``, ``"now"``, ``"prev"`` or a step), ``"const"``
        (given by components), ``"fill"``, ``+ - * / **``, ``"neg"``, ``"@"``,
        ``"T"``, ``"getitem"`` (``extra``: the index), ``"sum"`` (the axis),
        ``"map"`` (the elementwise function), ``"softmax"``, ``"reduce"`` (a
        function of every component, such as logsumexp) or ``"concat"``.
    args : tuple
        The operands: Tensors, or sympy scalars.
    shape : tuple of int

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

    def __init__(self, data, *, name: str | None = None):
        if isinstance(data, sp.MatrixBase):
            data = data.tolist()
        arr = np.array(data, dtype=object)
        out = np.empty(arr.shape, dtype=object)
        for index in np.ndindex(arr.shape):
            out[index] = element(arr[index])
        self.op, self.args, self.extra, self.shape, self.name = "const", (), None, out.shape, name
        self._components, self._key = out, None

    @classmethod
    def node(cls, op: str, args: tuple, shape: tuple, extra=None, name: str | None = None) -> Tensor:
        """The Tensor of operation ``op`` on ``args`` (no checks: the operators check their operands)."""
        t = cls.__new__(cls)
        t.op, t.args, t.extra, t.shape, t.name = op, tuple(args), extra, tuple(shape), name
        t._components = t._key = None
        return t

    @classmethod
    def symbols(cls, name: str, shape, *, kind: str = "input") -> Tensor:
        """The named array of a declared quantity (a param is step-free, the rest per step)."""
        shape = (shape,) if isinstance(shape, numbers.Integral) else tuple(shape)
        return cls.node(LEAF, (), shape, (name, "param" if kind == "param" else "now"), name)

    @classmethod
    def full(cls, shape: tuple, value) -> Tensor:
        """Every component ``value`` (a scalar broadcast to ``shape``)."""
        return cls.node("fill", (element(value),), shape)

    # ------------------------------------------------------------------ basics
    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def tolist(self):
        """The components as nested lists."""
        return materialize(self).tolist()

    def flat(self) -> list[sp.Expr]:
        """The components in row-major order."""
        return list(materialize(self).flat)

    def items(self):
        """(index, component) pairs in row-major order."""
        arr = materialize(self)
        return [(index, arr[index]) for index in np.ndindex(self.shape)]

    @property
    def key(self) -> tuple:
        """What two equal expressions share: the operation, shape and operands (components for a constant)."""
        if self._key is None:  # made once: a node never changes
            if self.op == "const":
                self._key = ("const", self.shape, tuple(self._components.flat))
            else:
                self._key = (self.op, self.shape, _key_part(self.extra), tuple(_key_part(a) for a in self.args))
        return self._key

    def __eq__(self, other) -> bool:
        return isinstance(other, Tensor) and self.key == other.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"Tensor({self}, shape={shape_text(self.shape)})"

    def __str__(self) -> str:
        return tensortext.text(self)

    def _sympy_(self):
        if not self.shape:  # a scalar: its one component
            return materialize(self)[()]
        raise errors.ExpressionError(
            f"{_describe(self)} is a tensor: sympy's own functions take scalars; use symbrnn's elementwise"
            " functions (symbrnn.tanh, sigmoid, exp, log, relu, softmax)"
        )

    @property
    def free_symbols(self) -> set:
        """The component symbols the components use (builds the components)."""
        return set().union(*(e.free_symbols for e in materialize(self).flat)) if self.size else set()

    def leaves(self) -> set[tuple[str, object]]:
        """The named arrays the expression reads: (name, when) pairs."""
        return tensorwalk.leaves(self)

    def scalars(self) -> set[sp.Symbol]:
        """The free symbols of the expression's scalar operands and constant components (not of its leaves)."""
        return tensorwalk.scalars(self)

    def diff(self, *symbols) -> sp.Expr:
        """A 0-d tensor's derivative, as sympy's of its component."""
        return sp.diff(sp.sympify(self), *symbols)

    # ------------------------------------------------------------------ rebuilding
    def rebuild(self, leaf=None, scalar=None) -> Tensor:
        """The same expression with each leaf replaced by ``leaf(t)`` and each scalar operand by ``scalar(e)``.

        Either function returns None to keep what it was given; unchanged parts are shared, not copied.
        """
        return tensorwalk.rebuild(self, leaf, scalar)

    def map(self, f) -> Tensor:
        """``f`` applied to every component (an activation of :mod:`symbrnn.declare.functions`, sympy's ``exp``)."""
        return Tensor.node("map", (self,), self.shape, f)

    def xreplace(self, mapping) -> Tensor:
        """The components with ``mapping`` applied (sympy's ``xreplace``): a constant Tensor of the result."""
        return Tensor(np.vectorize(lambda e: e.xreplace(mapping), otypes=[object])(materialize(self)))

    def __getitem__(self, key):
        key = _plain_key(key, self.shape)
        shape = np.broadcast_to(0, self.shape)[key].shape
        if shape == () and all(isinstance(k, int) for k in key) and len(key) == self.ndim:  # one component
            return component(self, tuple(k + n if k < 0 else k for k, n in zip(key, self.shape, strict=False)))
        return Tensor.node("getitem", (self,), shape, key)

    @property
    def T(self) -> Tensor:
        """The transpose (axes reversed, as numpy's ``.T``)."""
        return Tensor.node("T", (self,), tuple(reversed(self.shape)), None,
                           None if self.name is None else f"{self.name}.T")

    def transpose(self) -> Tensor:
        return self.T

    def sum(self, axis=None) -> Tensor:
        """The sum of the components (a 0-d Tensor), or along ``axis``."""
        if axis is not None:
            if not isinstance(axis, numbers.Integral) or not -self.ndim <= axis < self.ndim:
                raise errors.ShapeError(f"sum(axis={axis!r}): {_describe(self)} has shape {shape_text(self.shape)}")
            axis = int(axis) % self.ndim
        shape = () if axis is None else self.shape[:axis] + self.shape[axis + 1:]
        return Tensor.node("sum", (self,), shape, axis)

    def mean(self, axis=None) -> Tensor:
        """The mean of the components, or along ``axis``."""
        n = self.size if axis is None else self.shape[axis]
        return self.sum(axis) / n

    @property
    def prev(self) -> Tensor:
        """The previous-step value of a declared state: ``h_{t-1}``."""
        if self.op != LEAF or self.extra[1] != "now":
            raise errors.ExpressionError(f".prev: {_describe(self)} is not a declared per-step quantity")
        return Tensor.node(LEAF, (), self.shape, (self.extra[0], "prev"), f"{self.name}.prev")

    def at(self, t: int) -> Tensor:
        """The quantity at the concrete step ``t`` (``h.at(0)``: the initial state)."""
        if self.op != LEAF or self.extra[1] != "now":
            raise errors.ExpressionError(f".at: {_describe(self)} is not a declared per-step quantity")
        return Tensor.node(LEAF, (), self.shape, (self.extra[0], int(t)), step_name(self.name, t))

    # --------------------------------------------------------------- operators
    def _binary(self, other, symbol: str, reflected: bool = False):
        b = _operand(other)
        if b is None:
            return NotImplemented
        left, right = (b, self) if reflected else (self, b)
        try:
            shape = np.broadcast_shapes(_shape(left), _shape(right))
        except ValueError:
            raise errors.ShapeError(
                f"{_describe(left)} {symbol} {_describe(right)}: shapes {shape_text(_shape(left))} and"
                f" {shape_text(_shape(right))} do not broadcast; make them equal (or one a scalar)"
            ) from None
        return Tensor.node(symbol, (left, right), shape)

    def __add__(self, other):
        return self._binary(other, "+")

    def __radd__(self, other):
        return self._binary(other, "+", True)

    def __sub__(self, other):
        return self._binary(other, "-")

    def __rsub__(self, other):
        return self._binary(other, "-", True)

    def __mul__(self, other):
        return self._binary(other, "*")

    def __rmul__(self, other):
        return self._binary(other, "*", True)

    def __truediv__(self, other):
        return self._binary(other, "/")

    def __rtruediv__(self, other):
        return self._binary(other, "/", True)

    def __pow__(self, other):
        if isinstance(other, Tensor):
            raise errors.ShapeError(f"{_describe(self)} ** {_describe(other)}: the exponent must be a scalar")
        return self._binary(other, "**")

    def __rpow__(self, other):
        return self._binary(other, "**", True)

    def __neg__(self):
        return Tensor.node("neg", (self,), self.shape)

    def __pos__(self):
        return self

    def __matmul__(self, other):
        return _matmul(self, other)

    def __rmatmul__(self, other):
        return _matmul(other, self)


def _operand(value):
    """``value`` as a Tensor operand: a Tensor, a sympy scalar, or None if Tensor arithmetic does not take it."""
    if isinstance(value, Tensor):
        return value
    if isinstance(value, (np.ndarray, sp.MatrixBase, list)):
        return Tensor(value)
    if isinstance(value, (sp.Expr, numbers.Number, np.generic)) and not isinstance(value, bool):
        return element(value)
    return None


def _shape(value) -> tuple[int, ...]:
    return value.shape if isinstance(value, Tensor) else ()


def _describe(value) -> str:
    if isinstance(value, Tensor) and value.name:
        return value.name
    shape = _shape(value)
    return f"a {shape_text(shape)} tensor" if shape else "a scalar"


def _matmul(left, right):
    a, b = _operand(left), _operand(right)
    if a is None or b is None:
        return NotImplemented
    sa, sb = _shape(a), _shape(b)
    if not sa or not sb:
        raise errors.ShapeError(
            f"{_describe(a)} @ {_describe(b)}: @ is the matrix product of arrays; to scale by a scalar use *"
        )
    if len(sa) > 2 or len(sb) > 2:
        raise errors.ShapeError(f"{_describe(a)} @ {_describe(b)}: @ takes vectors and matrices (at most 2 axes)")
    inner = sb[-2] if len(sb) == 2 else sb[0]
    if sa[-1] != inner:
        raise errors.ShapeError(
            f"{_describe(a)} @ {_describe(b)}: shapes {shape_text(sa)} and {shape_text(sb)}"
            f" do not fit: the last axis of the left ({sa[-1]}) must equal"
            f" the {'only' if len(sb) == 1 else 'second-to-last'} axis of the right ({inner})"
        )
    shape = sa[:-1] + sb[1:] if len(sb) == 2 else sa[:-1]
    return Tensor.node("@", (a, b), shape)


def _plain_key(key, shape: tuple) -> tuple:
    """An index of whole numbers and slices, as a tuple of ints and slices; a clear error otherwise."""
    parts = key if isinstance(key, tuple) else (key,)
    out = []
    for k in parts:
        if isinstance(k, slice):
            for b in (k.start, k.stop, k.step):
                if b is not None and (isinstance(b, bool) or not isinstance(b, numbers.Integral)):
                    raise errors.ShapeError(f"index {key!r}: slice bounds must be whole numbers")
            out.append(slice(*(None if b is None else int(b) for b in (k.start, k.stop, k.step))))
        elif isinstance(k, numbers.Integral) and not isinstance(k, bool):
            out.append(int(k))
        elif k is None:  # a new axis, as numpy's
            out.append(None)
        else:
            raise errors.ShapeError(f"index {key!r}: use whole numbers, slices and None")
    if len([k for k in out if k is not None]) > len(shape):
        raise IndexError(f"too many indices for a tensor of shape {shape_text(shape)}")
    for k, n in zip([k for k in out if k is not None], shape, strict=False):
        if isinstance(k, int) and not -n <= k < n:
            raise IndexError(f"index {k} is out of bounds for an axis of size {n}")
    return tuple(out)
