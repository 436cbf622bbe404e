"""User input to checked sympy: expressions, shapes and initial values, checked against a cell.

Text is never parsed here. Every symbol an expression uses must be a quantity
the cell declares (or a component of one, ``W[1,0]``); plain Symbols are
mapped by name to the cell's own.

Examples
--------
>>> as_shape(3, "h"), as_shape((4, 2), "W"), as_shape(None, "w")
((3,), (4, 2), ())
>>> owner("W[1,0]"), owner("h")
('W', 'h')
"""

from __future__ import annotations

import numbers

import sympy as sp
from sympy.core.function import AppliedUndef

from ..core import errors
from ..core.kinds import LOSS, PARAM, PER_STEP, STATE, a
from ..core.symbols import Prev, Step, param, split_step
from .activations import with_declared
from .differentiable import check_differentiable
from .tensor import Tensor, element, shape_text, split_component

__all__ = ["as_expr", "as_shape", "as_value", "node_expr", "normalise", "owner", "reads", "scalar_init",
           "tensor_init", "update_expr"]



def as_expr(value, where: str, *, loss: bool = False) -> sp.Expr:
    """Turn a number or sympy expression into a sympy ``Expr``; reject everything else.

    Text is never parsed here: a string is an error. A matrix (or a list) is a
    :class:`NonScalarLossError` where a loss is expected.
    """
    if isinstance(value, bool) or value is None:
        raise errors.ExpressionError(f"{where}: expected a sympy expression or a number, got {value!r}")
    if isinstance(value, Tensor):
        if value.shape == ():
            return sp.sympify(value)  # its one component
        error = errors.NonScalarLossError if loss else errors.ExpressionError
        raise error(
            f"{where}: got a {shape_text(value.shape)} tensor where a scalar is needed; reduce it to a scalar"
            " (e.g. its .sum())"
        )
    array_loss = loss and (isinstance(value, (list, tuple)) or getattr(value, "ndim", 0) > 0)
    if isinstance(value, sp.MatrixBase) or array_loss:
        shape = "x".join(map(str, getattr(value, "shape", (len(value),))))
        error = errors.NonScalarLossError if loss else errors.ExpressionError
        raise error(
            f"{where}: got a {shape} {'matrix' if isinstance(value, sp.MatrixBase) else 'array'} where a scalar"
            " is needed; reduce it to a scalar (e.g. a sum of its entries)"
        )
    if isinstance(value, str):
        raise errors.ExpressionError(
            f"{where}: got the text {value!r}; write the expression with the symbols the cell"
            " returned (e.g. w*x + U*h.prev + b), text is never parsed"
        )
    return element(value, where)


#: axes of a vector, matrix or array quantity (numpy's own limit is 64)
MAX_AXES = 8


def as_shape(shape, name) -> tuple[int, ...]:
    """``shape`` as a tuple of positive ints (at most :data:`MAX_AXES` of them); None and () mean a scalar."""
    if shape is None:
        return ()
    dims = (shape,) if isinstance(shape, numbers.Integral) else shape
    try:
        dims = tuple(dims)
    except TypeError:
        dims = None
    if dims is not None and len(dims) > MAX_AXES:
        raise errors.ShapeError(f"shape of {name!r} has {len(dims)} axes; at most {MAX_AXES} are allowed")
    if dims is None or any(isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1 for n in dims):
        raise errors.ShapeError(
            f"shape of {name!r} is {shape!r}; give a positive int (a vector) or a tuple of them, e.g. (3, 2)"
        )
    return tuple(int(n) for n in dims)


def as_value(expr, where: str, *, loss: bool = False) -> sp.Expr | Tensor:
    """A scalar expression or a Tensor (a scalar one, such as ``h.sum()``, is kept as the expression it is).

    Where a ``loss`` is expected, a Tensor with axes is a :class:`~symbrnn.NonScalarLossError`.
    """
    if isinstance(expr, Tensor) and (not loss or not expr.shape):
        return expr
    return as_expr(expr, where, loss=loss)


def reads(e: sp.Expr | Tensor, cell=()) -> dict[str, set[int]]:
    """The quantities an expression reads, each with its lags: 0 for the current step, 1 for the previous.

    A symbol is the quantity of its name if ``cell`` has one (the cells of components name them
    ``h[0]``), else the quantity it is a component of.
    """
    lags: dict[str, set[int]] = {}
    if isinstance(e, Tensor):
        for name, when in e.leaves():
            lags.setdefault(name, set()).add(1 if when == "prev" else 0)
        symbols = e.scalars()
    else:
        symbols = e.free_symbols
    for s in symbols:
        who = s.name if s.name in cell else owner(s.name)
        lags.setdefault(who, set()).add(1 if isinstance(s, Prev) else 0)
    return lags


def owner(name: str) -> str:
    """The quantity a symbol name belongs to: ``W`` for ``W[1,0]``, else the name itself."""
    split = split_component(name)
    return split[0] if split else name


def scalar_init(cell, name: str, init) -> sp.Expr:
    where = f"initial value of state {name!r}"
    if isinstance(init, Tensor) or (getattr(init, "ndim", 0) or 0) > 0 or isinstance(init, (list, tuple)):
        raise errors.ShapeError(f"{where}: state {name!r} is a scalar, give a number or a scalar param")
    init_expr = as_expr(init, where)
    if init_expr.is_Number and not init_expr.is_finite:
        raise errors.ExpressionError(f"initial value of state {name!r} is {init_expr}; give a finite number")
    if not (init_expr.is_Number or cell.is_scalar_param(init_expr)):
        raise errors.ExpressionError(
            f"initial value of state {name!r} must be a number or a param of cell"
            f" {cell.name!r}, got {init_expr}; declare it first with cell.param(...)"
        )
    return param(init_expr.name) if cell.is_scalar_param(init_expr) else init_expr



def tensor_init(cell, name: str, init, shape: tuple) -> sp.Expr | Tensor:
    where = f"initial value of state {name!r}"
    if isinstance(init, Tensor) and init.name in cell and cell.kind(init.name) == PARAM:
        if init.shape != shape:
            raise errors.ShapeError(
                f"{where}: state {name!r} has shape {shape_text(shape)} but param {init.name!r}"
                f" has shape {shape_text(init.shape)}"
            )
        return cell.symbol(init.name)
    if isinstance(init, Tensor) or isinstance(init, (list, tuple)) or (getattr(init, "ndim", 0) or 0) > 0:
        try:
            values = init if isinstance(init, Tensor) else Tensor(init)
        except (ValueError, errors.ExpressionError) as e:
            raise errors.ExpressionError(f"{where}: expected numbers of shape {shape_text(shape)} ({e})") from None
        if values.shape != shape:
            raise errors.ShapeError(
                f"{where}: state {name!r} has shape {shape_text(shape)} but the value has shape"
                f" {shape_text(values.shape)}"
            )
        for v in values.flat():
            if not (v.is_Number and v.is_finite):
                raise errors.ExpressionError(
                    f"{where}: every component must be a finite number (or give a param), got {v}"
                )
        return values
    return scalar_init(cell, name, init)



def node_expr(cell, name: str, expr) -> sp.Expr | Tensor:
    """The checked expression of a new node ``name`` (it may not read itself)."""
    where = f"node {name!r}"
    e = as_value(expr, where)
    if name in reads(e):
        raise errors.AlgebraicLoopError(
            f"algebraic loop in cell {cell.name!r}: {name} -> {name} at the same step;"
            " break it by using a state's previous value (h.prev) somewhere on the loop"
        )
    return normalise(cell, e, where)


def update_expr(cell, name: str, expr) -> sp.Expr | Tensor:
    """The checked update of state ``name``, of the state's shape (a scalar broadcasts to every component)."""
    where = f"update of state {name!r}"
    e = normalise(cell, as_value(expr, where), where)
    shape, got = cell.shape(name), (e.shape if isinstance(e, Tensor) else ())
    if got != shape:
        if got:
            raise errors.ShapeError(
                f"{where}: state {name!r} has shape {shape_text(shape)} but the expression has shape"
                f" {shape_text(got)}"
            )
        e = Tensor.full(shape, e)
    return e


def normalise(cell, expr, where: str) -> sp.Expr | Tensor:
    """Check every symbol is declared; map plain Symbols by name to the cell's symbols."""
    if isinstance(expr, Tensor):
        return expr.rebuild(leaf=lambda t: _check_leaf(cell, t, where), scalar=lambda e: _changed(cell, e, where))
    e = with_declared(as_expr(expr, where))  # sp.Function("phi")(a), for a declared activation phi
    _check_defined(e, where)
    check_differentiable(e, where)
    mapping = {}
    for s in sorted(e.free_symbols, key=sp.default_sort_key):
        canonical = _canonical(cell, s, where)
        if canonical is not None and canonical != s:
            mapping[s] = canonical
    return e.xreplace(mapping) if mapping else e


def _changed(cell, e: sp.Expr, where: str) -> sp.Expr | None:
    out = normalise(cell, e, where)
    return None if out is e else out


def _check_leaf(cell, t: Tensor, where: str) -> None:
    """A named array in an expression is a declared quantity of its shape, read at a time it has."""
    name, when = t.extra
    if name not in cell:
        known = ", ".join(cell.names()) or "none yet"
        raise errors.UnknownSymbolError(
            f"{where} uses {name!r}, which cell {cell.name!r} does not declare (known: {known});"
            f" declare it first, e.g. cell.param({name!r}, shape={t.shape!r})"
        )
    kind, shape = cell.kind(name), cell.shape(name)
    if shape != t.shape:
        raise errors.ShapeError(
            f"{where} uses {name!r} with shape {shape_text(t.shape)}, but it has shape {shape_text(shape)}"
        )
    if isinstance(when, int):
        raise errors.ExpressionError(
            f"{where} uses {name}_{when}, a value at a fixed step; a cell describes a generic step:"
            f" use {name} (current) or {name}.prev (previous)"
        )
    if (when == "param") != (kind == PARAM):
        raise errors.ExpressionError(f"{where} uses {name!r} as {'a param' if when == 'param' else a(kind)}"
                                     f" but it is {a(kind)} of cell {cell.name!r}")
    _check_use(Prev(name) if when == "prev" else sp.Symbol(name), name, kind, where)


def _check_defined(e: sp.Expr, where: str) -> None:
    """No infinity, no imaginary number, no undefined function."""
    if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
        raise errors.ExpressionError(f"{where} is infinite or undefined ({e}): it divides by zero; check it")
    if e.has(sp.I):
        raise errors.ExpressionError(
            f"{where} has an imaginary number ({e}): symbrnn works with real quantities; check it"
        )
    undefined = sorted(e.atoms(AppliedUndef), key=sp.default_sort_key)
    if undefined:
        f = undefined[0].func.__name__
        raise errors.ExpressionError(
            f"{where} uses {f!r}, an undefined function; use a sympy function (sp.tanh, sp.exp, ...)"
            f" or one of symbrnn's (sigmoid), or declare it: {f} = symbrnn.activation({f!r}, lambda z: ...)"
        )


def _canonical(cell, s: sp.Symbol, where: str) -> sp.Symbol | None:
    """The cell's own symbol for ``s`` (None for a previous value, kept as it is); raises if ``s`` is not one."""
    if isinstance(s, Step):
        raise errors.ExpressionError(
            f"{where} uses {s}, a value at a fixed step; a cell describes a generic step:"
            f" use {s.base} (current) or {s.base}.prev (previous)"
        )
    component = _component(cell, s.name)
    if component is not None:
        owner, index = component
        _check_use(s, owner, cell.kind(owner), where)
        return None if isinstance(s, Prev) else cell.symbol(owner)[index]
    _check_known(cell, s, where)
    _check_use(s, s.name, cell.kind(s.name), where)
    return None if isinstance(s, Prev) else cell.symbol(s.name)


def _check_known(cell, s: sp.Symbol, where: str) -> None:
    """``s`` names a scalar quantity of the cell, or a clear error says what it is instead."""
    if s.name in cell and cell.shape(s.name):
        raise errors.ShapeError(
            f"{where} uses {s.name!r} as a scalar, but it has shape {shape_text(cell.shape(s.name))}; use the"
            f" Tensor cell.symbol({s.name!r}) or its components ({s.name}[0], ...)"
        )
    split = split_component(s.name)
    if split and split[0] in cell:
        raise errors.ShapeError(
            f"{where} uses {s.name!r}, but {split[0]!r} has shape {shape_text(cell.shape(split[0]))}:"
            " no such component"
        )
    if s.name not in cell:
        found = split_step(s.name)
        if found and found[0] in cell and cell.kind(found[0]) in PER_STEP:
            raise errors.ExpressionError(
                f"{where} uses {s.name}, a value at a fixed step; a cell describes a generic step:"
                f" use {found[0]} (current) or {found[0]}.prev (previous)"
            )
        known = ", ".join(cell.names()) or "none yet"
        raise errors.UnknownSymbolError(
            f"{where} uses {s.name!r}, which cell {cell.name!r} does not declare (known: {known});"
            f" declare it first, e.g. cell.param({s.name!r})"
        )


def _component(cell, name: str) -> tuple[str, tuple] | None:
    """(owner, index) if ``name`` is a component of a declared shaped quantity (``W[1,0]``)."""
    split = split_component(name)
    if split is None or split[0] not in cell:
        return None
    owner, index = split
    shape = cell.shape(owner)
    if len(index) != len(shape) or any(i >= n for i, n in zip(index, shape, strict=True)):
        return None
    return owner, index


def _check_use(s: sp.Symbol, name: str, kind: str, where: str) -> None:
    if isinstance(s, Prev) and kind != STATE:
        raise errors.ExpressionError(
            f"{where} uses {s.name}.prev, but {name!r} is {a(kind)}: only states have a previous value"
        )
    if kind == LOSS:
        raise errors.ExpressionError(f"{where} uses the loss {name!r}; nothing may depend on the loss")
