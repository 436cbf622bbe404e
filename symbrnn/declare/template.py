"""A values file's contents for a cell: every name it needs, with valid numbers, so nobody guesses the format.

:func:`values_template` lists what :func:`~symbrnn.declare.values.resolve_values`
asks for: each param (one number, or an array of its shape; an initial state
that is a param among them) and each input and target (T entries, one per
step, each of the quantity's shape), in the order the cell declares them.

Without a seed the numbers are placeholders, the same for every cell
(:data:`PLACEHOLDERS`): every entry of a param is 0.1, of an input 1.0, of a
target 0.0, and a target declared as a distribution (one-hot or
probabilities) is one-hot on its first class. With ``seed=N`` they are drawn
from ``numpy.random.default_rng(N)``, in declaration order, and rounded to
:data:`DIGITS` decimals: params uniform in [-0.5, 0.5), inputs and targets
uniform in [-1, 1), a one-hot target one class per row drawn uniformly, a
probabilities target a Dirichlet(1, ..., 1) row whose rounded entries still sum
to 1. Either way the values pass :func:`~symbrnn.declare.values.resolve_values`.

Examples
--------
>>> from symbrnn.cells import elman, elman_softmax
>>> t = values_template(elman(), 3)
>>> t.as_dict()
{'w': 0.1, 'U': 0.1, 'V': 0.1, 'b': 0.1, 'c': 0.1, 'x': [1.0, 1.0, 1.0], 'y': [0.0, 0.0, 0.0]}
>>> t.entries[-1].description
'target, one number per step (3 steps)'
>>> r = values_template(elman_softmax(), 2, seed=0)
>>> r.entries[-1].description
'target, 2 steps of shape (3,): each a probability vector (entries >= 0 summing to 1)'
>>> [round(sum(row), 12) for row in r.as_dict()["y"]]
[1.0, 1.0]
>>> values_template(elman(), 2, seed=0).as_dict() == values_template(elman(), 2, seed=0).as_dict()
True
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

import numpy as np

from ..core import errors
from ..core.kinds import INPUT, PARAM, TARGET
from ..core.symbols import check_steps
from .cell import Cell
from .tensor import shape_text

__all__ = ["DIGITS", "MAX_NUMBERS", "PLACEHOLDERS", "TemplateEntry", "ValuesTemplate", "values_template"]

#: every entry's number when no seed is given, by kind (a distribution target: one-hot on its first class)
PLACEHOLDERS = {PARAM: 0.1, INPUT: 1.0, TARGET: 0.0}
#: the decimals a random draw is rounded to
DIGITS = 4
#: the numbers a template may hold in all (params, and T times each per-step quantity's entries)
MAX_NUMBERS = 1_000_000

_DISTRIBUTIONS = {"one_hot": "each one-hot (a single 1, 0 elsewhere)",
                  "probabilities": "each a probability vector (entries >= 0 summing to 1)"}


@dataclass(frozen=True)
class TemplateEntry:
    """One name of a values file: its kind, shape and value.

    Attributes
    ----------
    name, kind : str
        The quantity and its kind (``"param"``, ``"input"`` or ``"target"``).
    shape : tuple of int
        The quantity's own shape (``()`` for a scalar); per-step data has T of them.
    value : float or list
        A number, or nested lists of numbers of shape ``shape`` (a param) or ``(T, *shape)``.
    steps : int or None
        T for per-step data, None for a param.
    distribution : str or None
        A target's declared distribution (``"one_hot"``, ``"probabilities"``).
    initial_of : str or None
        The state whose initial value this param is.
    """

    name: str
    kind: str
    shape: tuple[int, ...]
    value: float | list
    steps: int | None = None
    distribution: str | None = None
    initial_of: str | None = None

    @property
    def description(self) -> str:
        """What the entry is, in words: kind and shape (``"param, shape (8, 2)"``)."""
        if self.steps is None:
            text = f"param, shape {shape_text(self.shape)}" if self.shape else "param, a number"
            return text + (f": the initial value of state {self.initial_of!r}" if self.initial_of else "")
        if not self.shape:
            return f"{self.kind}, one number per step ({self.steps} steps)"
        text = f"{self.kind}, {self.steps} steps of shape {shape_text(self.shape)}"
        return text + (f": {_DISTRIBUTIONS[self.distribution]}" if self.distribution else "")


@dataclass(frozen=True)
class ValuesTemplate:
    """Every value a cell needs for T steps (see :func:`values_template`).

    Attributes
    ----------
    cell : str
        The cell's name.
    T : int
    seed : int or None
        The seed of the random draw; None for the placeholders.
    entries : tuple of TemplateEntry
        Params, then inputs, then targets, each in declaration order.
    """

    cell: str
    T: int
    seed: int | None
    entries: tuple[TemplateEntry, ...]

    def as_dict(self) -> dict:
        """The values by name, as a values file (or :func:`symbrnn.gradients`) takes them."""
        return {e.name: e.value for e in self.entries}


def values_template(cell: Cell, T: int = 3, *, seed: int | None = None) -> ValuesTemplate:
    """Every value ``cell`` needs for ``T`` steps: placeholders, or a reproducible random draw.

    Parameters
    ----------
    cell : Cell
    T : int
        The number of steps of the per-step data (default 3).
    seed : int, optional
        None (the default) gives the placeholders of :data:`PLACEHOLDERS`; a
        whole number >= 0 a draw from ``numpy.random.default_rng(seed)``
        (see the module's description), the same for the same seed.

    Returns
    -------
    ValuesTemplate

    Raises
    ------
    StepsError
        T is not a whole number from 1 to the evaluation limit.
    SpecError
        ``seed`` is not a whole number >= 0, or the template would hold more
        than :data:`MAX_NUMBERS` numbers.

    Examples
    --------
    >>> from symbrnn.cells import lstm
    >>> t = values_template(lstm(2, 2), 4, seed=0)
    >>> [(e.name, e.kind, len(e.value)) for e in t.entries][-2:]
    [('x', 'input', 4), ('y', 'target', 4)]
    >>> t.entries[0].description
    'param, shape (8, 2)'
    """
    T = check_steps(T)
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or seed < 0):
        raise errors.SpecError(f"seed={seed!r}: the seed of a random draw is a whole number >= 0")
    cell = cell.origin or cell
    cell.validate()
    names = cell.names(PARAM) + cell.names(INPUT) + cell.names(TARGET)
    total = sum(math.prod(cell.shape(n)) * (1 if cell.kind(n) == PARAM else T) for n in names)
    if total > MAX_NUMBERS:
        raise errors.SpecError(f"the values of cell {cell.name!r} over {T:,} steps are {total:,} numbers; a template"
                               f" holds at most {MAX_NUMBERS:,}: use fewer steps")
    starts = {cell.init_param(s): s for s in cell.states() if cell.init_param(s)}
    rng = None if seed is None else np.random.default_rng(int(seed))
    entries = []
    for n in names:
        kind, shape = cell.kind(n), cell.shape(n)
        distribution = cell.distribution(n) if kind == TARGET else None
        full = shape if kind == PARAM else (T, *shape)
        arr = _placeholder(kind, full, distribution) if rng is None else _draw(rng, kind, full, distribution)
        entries.append(TemplateEntry(n, kind, shape, arr.tolist() if full else float(arr),
                                     None if kind == PARAM else T, distribution, starts.get(n)))
    return ValuesTemplate(cell.name, T, None if seed is None else int(seed), tuple(entries))


def _placeholder(kind: str, shape: tuple, distribution: str | None) -> np.ndarray:
    if distribution:  # one-hot on the first class: a valid row for both distributions
        arr = np.zeros(shape)
        arr[..., 0] = 1.0
        return arr
    return np.full(shape, PLACEHOLDERS[kind])


def _draw(rng: np.random.Generator, kind: str, shape: tuple, distribution: str | None) -> np.ndarray:
    if distribution == "one_hot":
        return np.eye(shape[-1])[rng.integers(shape[-1], size=shape[:-1])]
    if distribution == "probabilities":
        return _probabilities(rng.dirichlet(np.ones(shape[-1]), size=shape[:-1]))
    low = -0.5 if kind == PARAM else -1.0
    return np.round(rng.uniform(low, -low, size=shape), DIGITS) + 0.0  # + 0.0: no -0.0


def _probabilities(p: np.ndarray) -> np.ndarray:
    """Rows of ``p`` rounded to :data:`DIGITS` decimals that still sum to 1 (largest remainders)."""
    scale = 10 ** DIGITS
    units = np.floor(p * scale).astype(np.int64)
    short = scale - units.sum(axis=-1, keepdims=True)  # the units the flooring lost, 0 to k - 1 per row
    rank = np.argsort(np.argsort(units - p * scale, axis=-1, kind="stable"), axis=-1, kind="stable")
    return (units + (rank < short)) / scale
