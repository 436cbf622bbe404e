"""Numbers for a matrix derivation: every array term's value, and the forward values they read.

The forward pass evaluates each quantity's array expression step by step
(:mod:`.tensors`); each term of a
:class:`~symbrnn.derive.matrix.total.MatrixDerivative` is then evaluated in
order from the named arrays it reads: forward values (``h_2``), params, and
earlier terms (``δh_3``). The result is pinned by the tests to
``gradients()``, the componentwise engine and PyTorch.

Examples
--------
>>> import numpy as np
>>> from symbrnn import derive
>>> from symbrnn.cells import elman
>>> rng = np.random.default_rng(0)
>>> values = {"w": rng.normal(size=(3, 2)), "U": rng.normal(size=(3, 3)), "V": rng.normal(size=(1, 3)),
...           "b": np.zeros(3), "c": np.zeros(1), "x": rng.normal(size=(4, 2)), "y": rng.normal(size=(4, 1))}
>>> ev = derive(elman(2, 3, 1), T=4, wrt="U").evaluate(values)
>>> ev.value.shape, ev.delta(2, "h").value.shape
((3, 3), (3,))
"""

from __future__ import annotations

import dataclasses

import numpy as np
import sympy as sp

from ..core import errors
from ..core.display import Displayed
from ..core.kinds import INPUT, PARAM, TARGET
from ..core.symbols import Now, Prev, Step, split_step
from ..declare.cell import Cell
from ..declare.tensor import Tensor, split_component
from ..declare.values import Values, resolve_values
from ..derive.matrix.total import MatrixDerivative
from ..derive.terms import TermIndex
from .gradients import loss_and_gradients
from .tensors import evaluate as evaluate_tensor
from .tensors import scalar_value

__all__ = ["MatrixEvaluation", "evaluate", "forward_arrays", "value"]


class _Arrays:
    """Every named array's number: params, data and forward values by (name, step), terms by their names."""

    def __init__(self, cell: Cell, vals: Values):
        self.cell, self.vals = cell, vals
        self.by_key: dict[tuple, np.ndarray] = {}
        for p in cell.names(PARAM):
            self.by_key[p, "param"] = vals.arrays[p]
        for n in cell.names(INPUT) + cell.names(TARGET):
            for t in range(1, vals.T + 1):
                self.by_key[n, t] = vals.arrays[n][t - 1]
        for s in cell.states():
            self.by_key[s, 0] = self._initial(s)

    def _initial(self, s: str) -> np.ndarray:
        init, shape = self.cell.init(s), self.cell.shape(s)
        p = self.cell.init_param(s)
        if p is not None:
            return np.broadcast_to(self.vals.arrays[p], shape).astype(float)
        if isinstance(init, Tensor):
            return np.array(init.tolist(), dtype=float)
        return np.full(shape, float(init))

    def leaf(self, key: tuple):
        try:
            return self.by_key[key]
        except KeyError:
            raise errors.SymbrnnError(f"no number for {key[0]} at {key[1]}") from None  # pragma: no cover

    def symbol(self, s):
        """The number of a scalar symbol: a param, a quantity at a step, or one component of either."""
        name, when = s.name, "param"
        if isinstance(s, Step):
            name, when = split_step(s.name)
        split = split_component(name)
        base, index = split if split else (name, ())
        return float(np.asarray(self.leaf((base, when)))[index]) if index else float(self.leaf((base, when)))


def forward_arrays(cell: Cell, vals: Values) -> _Arrays:
    """The forward pass at the array level: every computed quantity at every step."""
    arrays = _Arrays(cell, vals)
    order = cell.order()
    for t in range(1, vals.T + 1):
        steps = {"now": t, "prev": t - 1}

        def leaf(key, steps=steps):
            name, when = key
            return arrays.leaf(key if when == "param" else (name, steps[when]))

        def symbol(s, t=t):
            if isinstance(s, (Now, Prev)):
                s = Step(f"{s.name}_{t if isinstance(s, Now) else t - 1}")
            return arrays.symbol(s)

        for q in order:
            expr = cell.expr(q)
            if isinstance(expr, Tensor):
                got = evaluate_tensor(expr, leaf, symbol)
            else:
                got = scalar_value(expr, symbol)
            if not np.isfinite(got).all():
                raise errors.ValuesError(f"{q} at step {t} is not finite: the values overflow; check them")
            arrays.by_key[q, t] = np.asarray(got, dtype=float)
    return arrays


class MatrixEvaluation(TermIndex, Displayed):
    """A matrix derivation with numbers: every term's ``value`` (an array), the forward values, the loss.

    Attributes
    ----------
    derivative : MatrixDerivative
    terms : tuple of MatrixTerm
    forward : dict
        Forward values by name at step (``"h_3"``), initial states as ``"h_0"``.
    loss : float
    value : numpy.ndarray
        dL/dθ, of θ's shape.
    """

    def __init__(self, derivative: MatrixDerivative, terms: tuple, arrays: _Arrays):
        self.derivative = derivative
        self.cell, self.mode, self.T = derivative.cell, "reverse", derivative.T
        self.default_quantity = derivative.default_quantity
        self.terms = terms
        self.values, self._arrays = arrays.vals, arrays
        self.forward = {f"{n}_{t}": v for (n, t), v in arrays.by_key.items() if isinstance(t, int)}
        loss = self.cell.loss_name
        self.loss = float(sum(arrays.by_key[loss, t] for t in range(1, self.T + 1)))
        self.value = self.result.value

    def __repr__(self) -> str:
        return f"MatrixEvaluation(dL/d{self.derivative.wrt} {self.value.shape}, T={self.T})"

    def contribution(self, t: int):
        return self.select("contribution", t=t)[0]

    def number(self, expr) -> np.ndarray:
        """The value of an expression in this evaluation's arrays: a term's addend (``Uᵀ·δz_3``), say."""
        if not isinstance(expr, Tensor):
            return np.asarray(scalar_value(sp.sympify(expr), self._arrays.symbol), dtype=float)
        return np.asarray(evaluate_tensor(expr, self._arrays.leaf, self._arrays.symbol), dtype=float)


def evaluate(derivative: MatrixDerivative, values) -> MatrixEvaluation:
    """Every forward value and every term of ``derivative`` for ``values``."""
    vals = resolve_values(derivative.cell, derivative.T, values)
    arrays = forward_arrays(derivative.cell, vals)
    out = []
    for term in derivative.terms:
        got = evaluate_tensor(term.expr, arrays.leaf, arrays.symbol) if isinstance(term.expr, Tensor) else \
            np.full(term.shape, float(term.expr))
        got = np.broadcast_to(np.asarray(got, dtype=float), term.shape).copy()
        arrays.by_key[term.symbol.extra] = got
        out.append(dataclasses.replace(term, value=got))
    return MatrixEvaluation(derivative, tuple(out), arrays)


def value(derivative: MatrixDerivative, values) -> np.ndarray:
    """dL/dθ as an array (the generated programs' number; :func:`evaluate` gives every term's)."""
    return loss_and_gradients(derivative.cell, derivative.T, values, wrt=[derivative.wrt])[1][derivative.wrt]
