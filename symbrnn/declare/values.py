"""Numeric values, checked once: the one place where the numbers a user gives are read and refused.

:func:`resolve_values` checks the values of one sequence (params, and T
entries of per-step data) and returns :class:`Values`: one float array per
quantity, which every strategy and backend reads, and which is handed down
instead of being checked again. :func:`resolve_batch` checks N sequences at
once; :func:`steps_of` tells T from the per-step data.

Examples
--------
>>> from symbrnn.cells import elman
>>> cell = elman()
>>> v = resolve_values(cell, 2, {"w": 1, "U": 0.5, "V": 1, "b": 0, "c": 0, "x": [1, 2], "y": [0, 1]})
>>> v.params["U"], v.series["x"]
(0.5, (1.0, 2.0))
>>> resolve_values(cell, 2, v) is v   # checked values are handed down as they are
True

A cell with vector and matrix quantities takes arrays (nested lists or numpy),
per-step data one row per step; the component views split them:

>>> from symbrnn import Cell
>>> cell = Cell()
>>> x, W = cell.input("x", shape=2), cell.param("W", shape=(1, 2))
>>> _ = cell.loss((W @ x).sum())
>>> v = resolve_values(cell, 2, {"x": [[1, 2], [3, 4]], "W": [[0.5, -1]]})
>>> v.arrays["x"].shape, v.params, v.series
((2, 2), {'W[0,0]': 0.5, 'W[0,1]': -1.0}, {'x[0]': (1.0, 3.0), 'x[1]': (2.0, 4.0)})
>>> resolve_values(cell, 2, {"x": [[1, 2], [3, 4]], "W": [0.5, -1]})  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
symbrnn.ValuesError: param 'W' has shape (1, 2): give an array of shape (1, 2) ... got shape (2,)
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np
import sympy as sp

from ..core import errors
from ..core.kinds import INPUT, PARAM, STATE, TARGET
from ..core.symbols import Prev, Step, check_steps, split_step
from .cell import Cell
from .distributions import check_distribution
from .lower import components, lowered
from .tensor import Tensor, component_name, shape_text

__all__ = ["Batch", "Values", "resolve_batch", "resolve_values", "steps_of"]


@dataclass(frozen=True, eq=False)
class Values:
    """Checked numbers for one evaluation of ``cell`` over ``T`` steps.

    Attributes
    ----------
    cell : Cell
        The cell they were checked against (a shaped cell itself, not its components).
    T : int
    arrays : dict
        Quantity name -> float array: a param's of its shape, per-step data's
        of shape (T, *shape). Every number is finite.
    """

    cell: Cell
    T: int
    arrays: dict[str, np.ndarray]

    @cached_property
    def params(self) -> dict[str, float]:
        """Each param (component) as a float, by the component cell's names (``W[1,0]``)."""
        out = {}
        for n in self.cell.names(PARAM):
            arr = self.arrays[n]
            for c, v in zip(components(self.cell, n), arr.ravel().tolist(), strict=True):
                out[c] = v
        return out

    @cached_property
    def series(self) -> dict[str, tuple[float, ...]]:
        """Each per-step datum (component) as T floats."""
        out = {}
        for n in self.cell.names(INPUT) + self.cell.names(TARGET):
            columns = self.arrays[n].reshape(self.T, -1).T.tolist()
            for c, column in zip(components(self.cell, n), columns, strict=True):
                out[c] = tuple(column)
        return out

    @cached_property
    def initial(self) -> dict[str, float]:
        """Each state (component)'s initial value."""
        low = lowered(self.cell)
        out = {}
        for s in low.names(STATE):
            init = low.init(s)
            out[s] = self.params[init.name] if init.is_Symbol else float(init)
        return out


def resolve_values(cell: Cell, T: int, values) -> Values:
    """Check ``values`` against ``cell`` for ``T`` steps and convert them to float arrays.

    ``values`` maps quantity names (or their symbols) to numbers: an array of
    the quantity's shape for a param, T of them for per-step data. Values
    already checked for this cell and T are returned as they are.

    Raises
    ------
    MissingValueError
        A param, input or target has no value.
    UnknownValueError
        A key names nothing the cell declares.
    SequenceLengthError
        Per-step data does not have exactly T entries.
    ValuesError
        A value is not a finite real number (or a param is given a sequence),
        or an array does not have its quantity's shape.
    """
    cell = cell.origin or cell
    if isinstance(values, Values) and values.cell is cell and values.T == T:
        return values
    given = _given(values)
    _check_names(cell, T, given)
    arrays = {}
    for n in _needed(cell):
        shape, kind = cell.shape(n), cell.kind(n)
        if not shape:
            arrays[n] = _scalar(given[n], n, kind, T)
        else:
            arrays[n] = _shaped(given[n], n, kind, shape, T)
        if kind == TARGET and cell.distribution(n):
            check_distribution(arrays[n], n, cell.distribution(n))
    return Values(cell, T, arrays)


def _needed(cell: Cell) -> tuple[str, ...]:
    return cell.names(PARAM) + cell.names(INPUT) + cell.names(TARGET)


def _number(value, what: str) -> float:
    if isinstance(value, sp.Basic) and value.is_number and value.is_real:
        value = float(value)  # 1/2, pi
    elif getattr(value, "ndim", None) == 0 and getattr(value, "dtype", None) is not None and value.dtype.kind in "iuf":
        value = float(value)  # a 0-d numpy array
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise errors.ValuesError(f"{what} must be a real number, got {value!r}")
    try:
        x = float(value)
    except OverflowError:  # an int beyond the largest float
        raise errors.ValuesError(f"{what} is an integer of {len(str(abs(int(value)))):,} digits, too large; numbers"
                                 " are at most about 1.8e308") from None
    if not math.isfinite(x):
        raise errors.ValuesError(f"{what} is {x}; give a finite number")
    return x


def _plain_floats(seq) -> bool:
    """True for a list or tuple of finite Python floats and ints (no bools): the common case, checked fast."""
    return isinstance(seq, (list, tuple)) and all(
        type(v) is float and math.isfinite(v) or type(v) is int and abs(v) < 2 ** 1023 for v in seq)


def _scalar(value, n: str, kind: str, T: int) -> np.ndarray:
    """A scalar quantity's value: a 0-d array for a param, T numbers for per-step data."""
    if kind == PARAM:
        if _is_sequence(value):
            raise errors.ValuesError(f"param {n!r} is shared across steps: give one number, not a sequence")
        return np.array(_number(value, f"param {n!r}"))
    if not _is_sequence(value):
        raise errors.SequenceLengthError(
            f"{kind} {n!r} is per-step data: give a sequence of {T} numbers, one per step, not {value!r}"
        )
    if isinstance(value, (set, frozenset)):
        raise errors.ValuesError(
            f"{kind} {n!r} is a set; per-step data is an ordered sequence: give a list or an array"
        )
    seq = value if isinstance(value, (list, tuple)) else list(value)
    if len(seq) != T:
        raise errors.SequenceLengthError(f"{kind} {n!r} has {len(seq)} values but T={T}; give exactly one per step")
    if _plain_floats(seq):
        return np.array(seq, dtype=float)
    return np.array([_number(v, f"{n}[{i}] (step {i + 1})") for i, v in enumerate(seq)], dtype=float)


def _shaped(value, n: str, kind: str, shape: tuple, T: int) -> np.ndarray:
    """A vector or matrix quantity's value: an array of its shape for a param, (T, *shape) for per-step data."""
    arr = _array(value, n, kind, shape, T)
    want = shape if kind == PARAM else (T, *shape)
    if kind != PARAM and arr.ndim == len(want) and arr.shape[1:] == shape and len(arr) != T:
        raise errors.SequenceLengthError(
            f"{kind} {n!r} has {len(arr)} rows but T={T}; give exactly one row of shape {shape_text(shape)} per step"
        )
    if arr.shape != want:
        per = "" if kind == PARAM else f"{T} rows of shape {shape_text(shape)}, i.e. "
        raise errors.ValuesError(
            f"{kind} {n!r} has shape {shape_text(shape)}: give {per}an array of shape {shape_text(want)}"
            f" (nested lists or numpy), got shape {shape_text(arr.shape)}"
        )
    if not np.isfinite(arr).all():  # name the first component that is not finite
        at = tuple(int(i) for i in np.argwhere(~np.isfinite(arr))[0])
        if kind == PARAM:
            what = f"param {component_name(n, at)!r}"
        else:
            what = f"{component_name(n, at[1:])}[{at[0]}] (step {at[0] + 1})"
        raise errors.ValuesError(f"{what} is {float(arr[at])}; give a finite number")
    return arr


def _given(values) -> dict[str, object]:
    if not isinstance(values, Mapping):
        raise errors.ValuesError(f"values must be a mapping of names to numbers, got {type(values).__name__}")
    given: dict[str, object] = {}
    for key, value in values.items():
        name = _key(key)
        if name in given:
            raise errors.ValuesError(f"values gives {name!r} twice (by name and by symbol); give it once")
        given[name] = value
    return given


def _key(key) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (Step, Prev)):
        raise errors.UnknownValueError(
            f"values are keyed by quantity, not by {key}: give per-step data as one sequence"
            f" under {(split_step(key.name) or (key.name,))[0]!r}"
        )
    if isinstance(key, sp.Symbol):
        return key.name
    if isinstance(key, Tensor) and key.name:
        return key.name
    raise errors.UnknownValueError(f"values key {key!r}: use a quantity name or its symbol")


def _check_names(cell: Cell, T: int | None, given: dict) -> None:
    needed = _needed(cell)
    unknown = [n for n in given if n not in needed]
    if unknown:
        raise errors.UnknownValueError(
            f"values has {', '.join(repr(n if len(n) <= 40 else n[:24] + '...') for n in unknown[:5])}"
            f"{f' and {len(unknown) - 5:,} more' if len(unknown) > 5 else ''}, not a param, input or target of cell"
            f" {cell.name!r} (expected: {', '.join(needed)})"
        )
    missing = [n for n in needed if n not in given]
    if missing:
        raise errors.MissingValueError(
            f"values lacks {', '.join(map(repr, missing))} for cell {cell.name!r}; add"
            f" {' and '.join(_example(cell, n, T) for n in missing)}"
        )


def _array(value, name: str, kind: str, shape: tuple, T: int) -> np.ndarray:
    what = shape_text(shape) if kind == PARAM else f"{T} rows of shape {shape_text(shape)}"
    if isinstance(value, (str, bytes, Mapping, set, frozenset)):
        raise errors.ValuesError(f"{kind} {name!r} needs numbers ({what}), got {type(value).__name__}")
    try:
        if np.asarray(value).dtype == bool:
            raise TypeError("booleans are not numbers")
        return np.asarray(value, dtype=float)
    except OverflowError:
        raise errors.ValuesError(f"{kind} {name!r} has a number too large for a float; numbers are at most about"
                                 " 1.8e308") from None
    except (TypeError, ValueError) as e:
        why = "its rows have different lengths" if "inhomogeneous" in str(e) else e
        raise errors.ValuesError(f"{kind} {name!r} needs numbers ({what}): {why}") from None


def _is_sequence(value) -> bool:
    if type(value) in (list, tuple):
        return True
    if isinstance(value, (str, bytes, Mapping)) or getattr(value, "ndim", 1) == 0:
        return False
    return isinstance(value, (Sequence, set, frozenset)) or hasattr(value, "__array__")


def _example(cell: Cell, name: str, T: int | None) -> str:
    shape, steps = cell.shape(name), "T" if T is None else T
    if cell.kind(name) == PARAM:
        return f"{name!r}: <array of shape {shape_text(shape)}>" if shape else f"{name!r}: <number>"
    return f"{name!r}: [<{steps} rows of shape {shape_text(shape)}>]" if shape else f"{name!r}: [<{steps} numbers>]"


def steps_of(cell: Cell, values, T: int | None = None) -> int:
    """T as given, or the number of steps of the per-step data in ``values`` (for a batch, its second axis)."""
    if T is not None:
        return check_steps(T)
    given = _given(values)
    for n in cell.names(INPUT) + cell.names(TARGET):
        seq = given.get(n)
        if hasattr(seq, "__len__") and not isinstance(seq, (str, bytes)):
            return len(seq)
    raise errors.MissingValueError(
        f"cannot tell T: values has no per-step data for cell {cell.name!r}; give T=... or the inputs as sequences"
    )


@dataclass(frozen=True, eq=False)
class Batch:
    """Checked numbers of N sequences (or N parameter sets) of ``cell`` over ``T`` steps.

    Attributes
    ----------
    cell : Cell
    N, T : int
    arrays : dict
        Quantity name -> float array: per-step data (N, T, *shape); a param
        its own shape (shared by the N sequences) or (N, *shape).
    """

    cell: Cell
    N: int
    T: int
    arrays: dict[str, np.ndarray]

    def per_sequence(self, name: str) -> bool:
        """True if quantity ``name`` has one value per sequence (a leading axis of N)."""
        return self.arrays[name].ndim > len(self.cell.shape(name))

    def sequence(self, k: int) -> Values:
        """Sequence ``k`` of the batch, as the values of one sequence."""
        arrays = {n: a[k] if self.per_sequence(n) else a for n, a in self.arrays.items()}
        return Values(self.cell, self.T, arrays)


def resolve_batch(cell: Cell, values, T: int | None = None) -> Batch:
    """Check the values of a batch: per-step data of shape (N, T, *shape), params shared or (N, *shape).

    The names are checked as by :func:`resolve_values`, with the same messages.
    """
    cell = cell.origin or cell
    given = _given(values)
    _check_names(cell, T, given)
    arrays, N = {}, None
    for n in _needed(cell):
        arr = _batch_array(cell, n, given[n])
        lead = arr.ndim - len(cell.shape(n))
        if lead:
            if N is not None and arr.shape[0] != N:
                raise errors.ValuesError(f"values: {n!r} has {arr.shape[0]} rows but the batch has {N}")
            N = arr.shape[0]
        if cell.kind(n) == TARGET and cell.distribution(n):
            check_distribution(arr, n, cell.distribution(n), batch=True)
        if cell.kind(n) != PARAM:
            if T is not None and arr.shape[1] != T:
                raise errors.SequenceLengthError(f"values: {n!r} has {arr.shape[1]} steps but T={T}")
            T = arr.shape[1]
        arrays[n] = arr
    if T is None:
        raise errors.MissingValueError("cannot tell T: give T=... or the inputs as (N, T, ...) arrays")
    return Batch(cell, 1 if N is None else N, check_steps(T), arrays)


def _batch_array(cell: Cell, n: str, value) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=float)
    except OverflowError:
        raise errors.ValuesError(f"values: {n!r} has a number too large for a float (at most about 1.8e308)") from None
    except (TypeError, ValueError):
        raise errors.ValuesError(f"values: {n!r} is not an array of numbers") from None
    shape, per_step = cell.shape(n), cell.kind(n) != PARAM
    lead = arr.ndim - len(shape)
    if arr.shape[lead:] != shape or lead not in ((2,) if per_step else (0, 1)):
        want = f"(N, T, {', '.join(map(str, shape))})" if per_step else f"{shape} or (N, *{shape})"
        raise errors.ValuesError(f"values: {n!r} has shape {arr.shape}; a batch needs {want}")
    if not np.isfinite(arr).all():
        raise errors.ValuesError(f"values: {n!r} has a value that is not a finite number")
    return arr
