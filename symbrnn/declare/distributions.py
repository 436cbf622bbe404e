"""Targets declared as distributions: a cross-entropy's target must be a probability vector (or one-hot).

``logsumexp(z) - (y * z).sum()`` is the cross-entropy −Σ_k y_k log softmax(z)_k
only when Σ_k y_k = 1; for any other target it is a different number, and
nothing would say so. A target declared with ``distribution=`` has its
values checked here, row by row (the last axis), with the step named.

Examples
--------
>>> import numpy as np
>>> check_distribution(np.array([[0.0, 1.0, 0.0], [0.5, 0.25, 0.25]]), "y", "probabilities")
>>> check_distribution(np.array([[0.0, 1.0, 1.0]]), "y", "probabilities")
Traceback (most recent call last):
...
symbrnn.ValuesError: target 'y' at step 1 is [0.0, 1.0, 1.0], which sums to 2: the cross-entropy needs a \
probability vector (entries >= 0 summing to 1), e.g. one-hot [0, 1, 0]
"""

from __future__ import annotations

import numpy as np

from ..core import errors
from ..core.kinds import DISTRIBUTIONS

__all__ = ["check_declared_distribution", "check_distribution"]


def check_declared_distribution(name: str, distribution, shape: tuple) -> None:
    """Refuse an unknown distribution, or one declared for a scalar target."""
    if distribution not in DISTRIBUTIONS:
        raise errors.SpecError(f"target {name!r}: distribution={distribution!r}; use 'probabilities', 'one_hot'"
                               " or None")
    if distribution and not shape:
        raise errors.SpecError(f"target {name!r}: a distribution is a vector; give shape=(number of classes)")


def check_distribution(arr: np.ndarray, n: str, distribution: str, batch: bool = False) -> None:
    """Refuse a target whose rows (the last axis: one per step, and per sequence of a ``batch``) are not
    what ``distribution`` says."""
    rows = np.asarray(arr, dtype=float).reshape(-1, arr.shape[-1])
    totals = rows.sum(axis=1)
    negative = (rows < -1e-12).any(axis=1)
    bad = negative | (np.abs(totals - 1) > 1e-9)  # one pass over every row; the first bad one is named
    if distribution == "one_hot":
        bad |= ~(np.isin(rows, (0.0, 1.0)).all(axis=1) & (totals == 1))
    if not bad.any():
        return
    k = int(np.argmax(bad))
    row, total = rows[k], float(totals[k])
    where = f"target {n!r} at {_where(arr.shape[:-1], k, batch)}"
    example = "e.g. one-hot [" + ", ".join("1" if i == 1 else "0" for i in range(len(row))) + "]"
    if negative[k] or abs(total - 1) > 1e-9:
        what = f"has the negative entry {float(row.min()):g}" if negative[k] else f"sums to {total:g}"
        raise errors.ValuesError(f"{where} is {_row(row)}, which {what}: the cross-entropy needs a probability"
                                 f" vector (entries >= 0 summing to 1), {example}")
    raise errors.ValuesError(f"{where} is {_row(row)}, not one-hot: give a single 1 and 0 elsewhere, {example}")


def _where(lead: tuple, k: int, batch: bool) -> str:
    """The k-th row of a target whose leading axes are ``lead``: (T,), (T, N) rows, or (N, T) for a batch."""
    index = [int(i) for i in np.unravel_index(k, lead)]
    if batch:
        seq, index = index[0], index[1:]
    out = f"step {index[0] + 1}" + (f", row {', '.join(map(str, index[1:]))}" if len(index) > 1 else "")
    return f"sequence {seq}, {out}" if batch else out


def _row(row: np.ndarray) -> str:
    shown = [float(v) for v in row[:8]]
    return str(shown)[:-1] + (", ...]" if len(row) > 8 else "]")
