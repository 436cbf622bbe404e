"""Results that overflow are reported, the same way on every strategy and backend.

The forward values are checked as they are read (a value that is inf or nan
names its quantity and step). A backward pass can still overflow when every
forward value is finite: ``exp(h)`` at h = 709 is 8.2e307, its derivative
times 709 is not a float. Each strategy used to return that ``inf`` as a
gradient, while the batch reported it; now every path raises the same
:class:`~symbrnn.ValuesError`.

Examples
--------
>>> finite_result(0.5, {"w": 1.0})
(0.5, {'w': 1.0})
>>> try:
...     finite_result(0.5, {"w": float("inf")})
... except errors.ValuesError as err:
...     print(err)
dL/dw is inf: the backward pass overflows float64 although every forward value is finite; scale the values \
down (inputs, params) or check them
"""

from __future__ import annotations

import math

import numpy as np

from ..core import errors

__all__ = ["finite_result", "finite_term"]

_FIX = "scale the values down (inputs, params) or check them"


def finite_result(loss, grads: dict):
    """``(loss, grads)`` unchanged, or a ValuesError naming the first gradient (component) that is not finite."""
    if not math.isfinite(loss):
        raise errors.ValuesError(f"the loss L is {loss}: it overflows float64; {_FIX}")
    for name, g in grads.items():
        arr = np.asarray(g, dtype=float)
        if not np.isfinite(arr).all():
            where = "" if arr.ndim == 0 else "[" + ",".join(map(str, np.argwhere(~np.isfinite(arr))[0])) + "]"
            bad = float(arr[tuple(np.argwhere(~np.isfinite(arr))[0])]) if arr.ndim else float(arr)
            raise errors.ValuesError(f"dL/d{name}{where} is {bad}: the backward pass overflows float64 although"
                                     f" every forward value is finite; {_FIX}")
    return loss, grads


def finite_term(symbol, t, value: float) -> None:
    """Raise a ValuesError if a derivation term's number is not finite, naming the term and its step."""
    if not math.isfinite(value):
        step = f" (step {t})" if t is not None else ""
        raise errors.ValuesError(f"the term {symbol}{step} is {value}: the derivation overflows float64 although"
                                 f" every forward value is finite; {_FIX}")
