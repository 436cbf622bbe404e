"""Exercises: values a student can work by hand, the quantities to compute, and the answer key.

:func:`exercise` draws short decimals (one decimal place) for the params and
inputs, again and again from the same seed until every tanh and σ is
unsaturated (its pre-activation within ±2) and no asked quantity rounds to 0
at the digits asked (unless it is 0); the answer key is an answer sheet that
:func:`~symbrnn.checking.check` marks all right.

Examples
--------
>>> from symbrnn.cells import elman
>>> from symbrnn.checking import check
>>> ex = exercise(elman(), 2, seed=0, digits=3)
>>> ex.values["U"], ex.values["x"]
(-0.5, [0.6, 0.9])
>>> list(ex.key)[:4], ex.key["h_1"]     # h_1 = tanh(w·x_1 + b) = tanh(0.8·0.6 − 0.1)
(['a_1', 'h_1', 'yhat_1', 'L_1'], '0.363')
>>> check(elman(), 2, ex.values, ex.key).ok
True
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..core import errors
from ..core.kinds import INPUT, PARAM, TARGET
from ..declare.cell import Cell
from ..declare.lower import component_count
from ..numeric.optimizers import SGD
from .program import Program, build_program

__all__ = ["ASKED", "MAX_COMPONENTS", "MAX_STEPS", "Exercise", "exercise"]

#: the kinds of quantity an exercise asks for, by group
ASKED = (("forward pass", ("state", "node", "loss", "total_loss")),
         ("backward pass", ("delta",)),
         ("gradients", ("result",)),
         ("update", ("update",)))
#: an exercise is hand work: a shaped cell of at most this many param components
MAX_COMPONENTS = 64
#: a pre-activation of tanh or σ is unsaturated within ±this
UNSATURATED = 2.0
#: an exercise is hand work: at most this many steps
MAX_STEPS = 10
#: draws tried before giving up
ATTEMPTS = 400


@dataclass(frozen=True)
class Exercise:
    """A problem and its answer key (see :func:`exercise`).

    Attributes
    ----------
    cell : Cell
    T, seed, digits : int
    values : dict
        The params and data (a values file's content).
    groups : tuple of (str, tuple of str)
        The quantities to compute, by group (forward pass, backward pass, gradients, update).
    key : dict
        Quantity -> its exact value at ``digits`` decimals, as text: an answer sheet.
    lr : float
        The SGD step of the update.
    """

    cell: Cell
    T: int
    seed: int
    digits: int
    values: dict
    groups: tuple
    key: dict
    lr: float


def _draw(cell, T: int, rng: np.random.Generator) -> dict:
    """One decimal place, never 0: params in ±0.9, inputs in ±1; targets as the cell's distribution asks."""
    def short(shape):
        return (rng.integers(1, 10, size=shape) * rng.choice([-1, 1], size=shape) / 10).tolist()

    values = {}
    for n in cell.names(PARAM) + cell.names(INPUT) + cell.names(TARGET):
        shape = cell.shape(n) if cell.kind(n) == PARAM else (T, *cell.shape(n))
        distribution = cell.distribution(n) if cell.kind(n) == TARGET else None
        if distribution:  # one-hot rows: a probability vector a student can work with
            values[n] = np.eye(shape[-1])[rng.integers(shape[-1], size=shape[:-1])].tolist()
        else:
            values[n] = short(shape) if shape else float(short(()))
    return values


def _asked(program: Program) -> tuple:
    keys = program.keys()
    return tuple((title, tuple(k for k in keys if program[k].kind in kinds)) for title, kinds in ASKED)


def _workable(program: Program, asked, digits: int) -> bool:
    """Every tanh and σ unsaturated, no asked number that rounds to 0 at ``digits`` decimals (one that is 0
    exactly, δf_1 = δc_1·c_0 with c_0 = 0, is asked all the same)."""
    exact = program.exact
    for q in program.quantities.values():
        if q.kind in ("state", "node") and q.defs and type(q.defs[0]).__name__ in ("tanh", "sigmoid"):
            v = exact[q.key]
            pre = math.atanh(min(abs(v), 1 - 1e-16)) if type(q.defs[0]).__name__ == "tanh" else \
                abs(math.log(max(v, 1e-300) / max(1 - v, 1e-300)))
            if pre > UNSATURATED:
                return False
    return all(exact[k] == 0 or abs(exact[k]) >= 10.0 ** -digits for _, keys in asked for k in keys)


def exercise(cell: Cell, T: int = 2, *, seed: int = 0, digits: int = 4, lr: float = 0.1) -> Exercise:
    """An exercise on ``cell`` over ``T`` steps: hand-workable values, the quantities to compute, the answer key.

    Parameters
    ----------
    cell : Cell
        At most :data:`MAX_COMPONENTS` param components (hand work).
    T : int
        Steps, 1 to :data:`MAX_STEPS` (default 2).
    seed : int
        The same seed gives the same exercise.
    digits : int
        Decimals of the answers (1 to 8).
    lr : float
        The SGD step of the update asked for.

    Returns
    -------
    Exercise

    Raises
    ------
    SpecError
        A cell too large for hand work, bad digits or seed, or no workable values within the draws.
    """
    if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
        raise errors.SpecError(f"seed={seed!r}: the seed of an exercise is a whole number >= 0")
    if isinstance(digits, bool) or not isinstance(digits, int) or not 1 <= digits <= 8:
        raise errors.SpecError(f"digits={digits!r}: an exercise's answers have 1 to 8 decimals")
    if isinstance(T, bool) or not isinstance(T, int) or not 1 <= T <= MAX_STEPS:
        raise errors.SpecError(f"T={T!r}: an exercise is hand work, 1 to {MAX_STEPS} steps")
    if cell.shaped and component_count(cell) > MAX_COMPONENTS:
        raise errors.SpecError(f"cell {cell.name!r} has {component_count(cell)} param components; an exercise is"
                               f" hand work, at most {MAX_COMPONENTS}: use a smaller --hidden-size")
    optimizer = SGD(lr)
    for attempt in range(ATTEMPTS):
        values = _draw(cell.origin or cell, T, np.random.default_rng([seed, attempt]))
        program = build_program(cell, T, values, forward=[], optimizer=optimizer)
        asked = _asked(program)
        if _workable(program, asked, digits):
            key = {k: f"{program.exact[k]:.{digits}f}" for _, keys in asked for k in keys}
            return Exercise(cell, T, seed, digits, values, asked, key, lr)
    raise errors.SpecError(f"no hand-workable values for cell {cell.name!r} at T = {T} in {ATTEMPTS} draws"
                           " (every tanh and σ unsaturated, no answer rounding to 0): try fewer steps or more"
                           " --digits")

