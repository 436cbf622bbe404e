"""Numeric values for evaluation: checked against the cell, keyed by name or by symbol.

Examples
--------
>>> from symbrnn.cells import elman
>>> v = resolve_values(elman(), 2, {"w": 1, "U": 0.5, "V": 1, "b": 0, "c": 0, "x": [1, 2], "y": [0, 1]})
>>> v.params["U"], v.series["x"]
(0.5, (1.0, 2.0))

A cell with vector and matrix quantities takes arrays (nested lists or numpy),
per-step data one row per step; they are split into components:

>>> from symbrnn import Cell
>>> cell = Cell()
>>> x, W = cell.input("x", shape=2), cell.param("W", shape=(1, 2))
>>> _ = cell.loss((W @ x).sum())
>>> from symbrnn.declare.lower import lowered
>>> v = resolve_values(lowered(cell), 2, {"x": [[1, 2], [3, 4]], "W": [[0.5, -1]]})
>>> v.params, v.series
({'W[0,0]': 0.5, 'W[0,1]': -1.0}, {'x[0]': (1.0, 3.0), 'x[1]': (2.0, 4.0)})
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

import numpy as np
import sympy as sp

from ..core import errors
from ..core.symbols import Prev, Step
from .cell import INPUT, PARAM, STATE, TARGET, Cell
from .lower import lowered
from .tensor import Tensor, component_name, shape_text

__all__ = ["Values", "resolve_values"]


@dataclass(frozen=True)
class Values:
    """Checked numbers for one evaluation: params, per-step series, initial states."""

    T: int
    params: dict[str, float]
    series: dict[str, tuple[float, ...]]
    initial: dict[str, float]


def _number(value, what: str) -> float:
    if isinstance(value, sp.Basic) and value.is_number and value.is_real:
        value = float(value)  # 1/2, pi
    elif getattr(value, "ndim", None) == 0 and getattr(value, "dtype", None) is not None and value.dtype.kind in "iuf":
        value = float(value)  # a 0-d numpy array
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise errors.ValuesError(f"{what} must be a real number, got {value!r}")
    x = float(value)
    if not math.isfinite(x):
        raise errors.ValuesError(f"{what} is {x}; give a finite number")
    return x


def _key(key) -> str:
    if isinstance(key, str):
        return key
    if isinstance(key, (Step, Prev)):
        raise errors.UnknownValueError(
            f"values are keyed by quantity, not by {key}: give per-step data as one sequence"
            f" under {key.name.rpartition('_')[0] or key.name!r}"
        )
    if isinstance(key, sp.Symbol):
        return key.name
    if isinstance(key, Tensor) and key.name:
        return key.name
    raise errors.UnknownValueError(f"values key {key!r}: use a quantity name or its symbol")


def resolve_values(cell: Cell, T: int, values: Mapping) -> Values:
    """Check ``values`` against ``cell`` for ``T`` steps and convert them to floats.

    For a shaped cell (or its lowered cell, ``cell.origin`` set), ``values``
    are in the shaped cell's terms: an array of the quantity's shape for a
    param, T rows of it for per-step data; the result is by component.

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
    if cell.shaped:
        cell = lowered(cell)
    if cell.origin is not None:  # the components of a shaped cell: split the arrays
        given = _split(cell.origin, T, _given(values))
    else:
        given = _given(values)
        _check_names(cell, T, given)
    params = {}
    for n in cell.names(PARAM):
        if _is_sequence(given[n]):
            raise errors.ValuesError(f"param {n!r} is shared across steps: give one number, not a sequence")
        params[n] = _number(given[n], f"param {n!r}")
    series = {}
    for n in cell.names(INPUT) + cell.names(TARGET):
        seq = given[n]
        if not _is_sequence(seq):
            raise errors.SequenceLengthError(
                f"{cell.kind(n)} {n!r} is per-step data: give a sequence of {T} numbers, one per step, not {seq!r}"
            )
        if isinstance(seq, (set, frozenset)):
            raise errors.ValuesError(
                f"{cell.kind(n)} {n!r} is a set; per-step data is an ordered sequence: give a list or an array"
            )
        seq = list(seq)
        if len(seq) != T:
            raise errors.SequenceLengthError(
                f"{cell.kind(n)} {n!r} has {len(seq)} values but T={T}; give exactly one per step"
            )
        series[n] = tuple(_number(v, f"{n}[{i}] (step {i + 1})") for i, v in enumerate(seq))
    initial = {}
    for s in cell.names(STATE):
        init = cell.init(s)
        initial[s] = params[init.name] if init.is_Symbol else float(init)
    return Values(T, params, series, initial)


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


def _check_names(cell: Cell, T: int, given: dict) -> None:
    needed = cell.names(PARAM) + cell.names(INPUT) + cell.names(TARGET)
    unknown = [n for n in given if n not in needed]
    if unknown:
        raise errors.UnknownValueError(
            f"values has {', '.join(map(repr, unknown))}, not a param, input or target of cell"
            f" {cell.name!r} (expected: {', '.join(needed)})"
        )
    missing = [n for n in needed if n not in given]
    if missing:
        raise errors.MissingValueError(
            f"values lacks {', '.join(map(repr, missing))} for cell {cell.name!r}; add"
            f" {' and '.join(_example(cell, n, T) for n in missing)}"
        )


def _split(cell: Cell, T: int, given: dict) -> dict[str, object]:
    """Values in the shapes of ``cell``'s quantities, split into one value (or sequence) per component."""
    _check_names(cell, T, given)
    out = {}
    for n in cell.names(PARAM) + cell.names(INPUT) + cell.names(TARGET):
        shape, kind = cell.shape(n), cell.kind(n)
        if not shape:
            out[n] = given[n]
            continue
        arr = _array(given[n], n, kind, shape, T)
        want = shape if kind == PARAM else (T, *shape)
        if kind != PARAM and arr.ndim == len(want) and arr.shape[1:] == shape and len(arr) != T:
            raise errors.SequenceLengthError(
                f"{kind} {n!r} has {len(arr)} rows but T={T}; give exactly one row of shape {shape_text(shape)}"
                " per step"
            )
        if arr.shape != want:
            per = "" if kind == PARAM else f"{T} rows of shape {shape_text(shape)}, i.e. "
            raise errors.ValuesError(
                f"{kind} {n!r} has shape {shape_text(shape)}: give {per}an array of shape {shape_text(want)}"
                f" (nested lists or numpy), got shape {shape_text(arr.shape)}"
            )
        for index in np.ndindex(shape):
            out[component_name(n, index)] = float(arr[index]) if kind == PARAM else arr[(slice(None), *index)]
    return out


def _array(value, name: str, kind: str, shape: tuple, T: int) -> np.ndarray:
    what = shape_text(shape) if kind == PARAM else f"{T} rows of shape {shape_text(shape)}"
    if isinstance(value, (str, bytes, Mapping, set, frozenset)):
        raise errors.ValuesError(f"{kind} {name!r} needs numbers ({what}), got {type(value).__name__}")
    try:
        if np.asarray(value).dtype == bool:
            raise TypeError("booleans are not numbers")
        return np.asarray(value, dtype=float)
    except (TypeError, ValueError) as e:
        raise errors.ValuesError(f"{kind} {name!r} needs numbers ({what}): {e}") from None


def _is_sequence(value) -> bool:
    if isinstance(value, (str, bytes, Mapping)) or getattr(value, "ndim", 1) == 0:
        return False
    return isinstance(value, (Sequence, set, frozenset)) or hasattr(value, "__array__")


def _example(cell: Cell, name: str, T: int) -> str:
    shape = cell.shape(name)
    if cell.kind(name) == PARAM:
        return f"{name!r}: <array of shape {shape_text(shape)}>" if shape else f"{name!r}: <number>"
    return f"{name!r}: [<{T} rows of shape {shape_text(shape)}>]" if shape else f"{name!r}: [<{T} numbers>]"
