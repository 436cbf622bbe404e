"""Numeric values for evaluation: checked against the cell, keyed by name or by symbol.

Examples
--------
>>> from symbrnn.cells import elman
>>> v = resolve_values(elman(), 2, {"w": 1, "U": 0.5, "V": 1, "b": 0, "c": 0, "x": [1, 2], "y": [0, 1]})
>>> v.params["U"], v.series["x"]
(0.5, (1.0, 2.0))
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import sympy as sp

from . import errors
from .cell import INPUT, PARAM, STATE, TARGET, Cell
from .symbols import Prev, Step

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
    raise errors.UnknownValueError(f"values key {key!r}: use a quantity name or its symbol")


def resolve_values(cell: Cell, T: int, values: Mapping) -> Values:
    """Check ``values`` against ``cell`` for ``T`` steps and convert them to floats.

    Raises
    ------
    MissingValueError
        A param, input or target has no value.
    UnknownValueError
        A key names nothing the cell declares.
    SequenceLengthError
        Per-step data does not have exactly T entries.
    ValuesError
        A value is not a finite real number (or a param is given a sequence).
    """
    if not isinstance(values, Mapping):
        raise errors.ValuesError(f"values must be a mapping of names to numbers, got {type(values).__name__}")
    given: dict[str, object] = {}
    for key, value in values.items():
        name = _key(key)
        if name in given:
            raise errors.ValuesError(f"values gives {name!r} twice (by name and by symbol); give it once")
        given[name] = value
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


def _is_sequence(value) -> bool:
    if isinstance(value, (str, bytes, Mapping)) or getattr(value, "ndim", 1) == 0:
        return False
    return isinstance(value, (Sequence, set, frozenset)) or hasattr(value, "__array__")


def _example(cell: Cell, name: str, T: int) -> str:
    if cell.kind(name) == PARAM:
        return f"{name!r}: <number>"
    return f"{name!r}: [<{T} numbers>]"
