"""dL/dθ for a whole vector or matrix θ: the delta recursion as array expressions, every term labelled.

Reverse mode (BPTT) at the matrix level: from the last step back, each
quantity's δ_t = dL/dq_t (the loss's own is 1) from the templates of
:class:`~symbrnn.derive.matrix.sweep.StepSweep`, instantiated at t; then the
step's share of dL/dθ (for the Elman cell's U, ``outer(δa_t, h_{t-1})``, that
is δa_t·h_{t-1}ᵀ); then the initial states' δ; the result is the sum of the
shares (plus δs_0 when θ is an initial state or the param it starts from).
Every term is an expression over named arrays with its shape; nothing grows
with the arrays' sizes, and the terms grow linearly in T.

Examples
--------
>>> from symbrnn.cells import elman
>>> d = MatrixDerivative(elman(2, 3, 1), T=3, wrt="U")
>>> print(d.delta(2, "h"))
δh_2 = V.T @ δyhat_2 + U.T @ δa_3
>>> print(d.delta(2, "a"))
δa_2 = δh_2*(1 - h_2**2)
>>> print(d.contribution(2))
dL/dU[2] = outer(δa_2, h_1)
>>> print(d.result, d.result.shape)
dL/dU = dL/dU[1] + dL/dU[2] + dL/dU[3] (3, 3)
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import sympy as sp

from ...core import errors, gcpause
from ...core.display import Displayed
from ...core.kinds import INPUT, LOSS, PARAM
from ...core.symbols import MAX_SYMBOLIC_STEPS, Now, Prev, check_steps, step
from ...declare.cell import Cell
from ...declare.matrixops import add, named, unbroadcast, zeros
from ...declare.tensor import Tensor, shape_text
from ..numbers import numbers_for
from ..terms import TermIndex
from .forward import ForwardSweep, eye, tangent_leaf
from .sweep import StepSweep, delta_leaf

__all__ = ["MatrixDerivative", "MatrixTerm", "at_step", "is_whole"]


@dataclass(frozen=True)
class MatrixTerm:
    """One labelled array term of a matrix derivation: its symbol (a named array), expression and shape.

    Attributes
    ----------
    kind : str
        ``delta``, ``contribution`` or ``result`` (reverse mode); ``total`` or ``result`` (forward mode).
    quantity : str
        The quantity it belongs to (``"h"``; the loss for a contribution and the result).
    t : int or None
        Its step (None for the result).
    symbol : Tensor
        The named array later terms use for it (``δh_3``).
    expr : Tensor
        Its definition, in earlier terms' symbols, forward values and params.
    addends : tuple of (str, Tensor)
        The labelled parts of ``expr`` (explicit, through r_t, through r_{t+1}, ...).
    value : numpy.ndarray or None
        Its number, on the terms of an evaluation.
    """

    kind: str
    quantity: str
    t: int | None
    symbol: Tensor
    expr: object
    addends: tuple = ()
    value: object = None

    @property
    def shape(self) -> tuple:
        return self.symbol.shape

    def __str__(self) -> str:
        text = f"{self.symbol} = {self.expr}"
        return text if self.value is None else f"{text} = {self.value!r}"


def is_whole(cell: Cell, wrt) -> bool:
    """True if ``wrt`` names a whole vector or matrix: a shaped param, or a shaped state's initial value."""
    name = wrt.name if isinstance(wrt, Tensor) else wrt if isinstance(wrt, str) else None
    if name is None:
        return False
    if name in cell and cell.kind(name) == PARAM:
        return bool(cell.shape(name))
    state = cell.initial_of(name)
    return state is not None and bool(cell.shape(state))


def at_step(expr, t: int):
    """A template at step ``t``: leaves at now, prev and next become steps t, t - 1 and t + 1."""
    steps = {"now": t, "prev": t - 1, "next": t + 1}
    if not isinstance(expr, Tensor):
        return expr.xreplace({s: step(s.name, t if isinstance(s, Now) else t - 1)
                              for s in expr.free_symbols if isinstance(s, (Now, Prev))})

    def leaf(node):
        name, when = node.extra
        return None if when == "param" else Tensor.node("leaf", (), node.shape, (name, steps[when]), name)

    return expr.rebuild(leaf=leaf, scalar=lambda e: at_step(e, t) if e.free_symbols else None)


class MatrixDerivative(TermIndex, Displayed):
    """The total derivative dL/dθ of an unrolled cell for a whole vector or matrix θ, as array terms (reverse mode).

    Built by :func:`symbrnn.derive` when ``wrt`` names a shaped param or a
    shaped initial state. The terms are built on first use;
    :meth:`value` and :meth:`evaluate` compute numbers (arrays).

    Attributes
    ----------
    cell : Cell
    T : int
    wrt : str
        The param (``"W"``) or initial state (``"h_0"``).
    shape : tuple of int
        The shape of θ, and of the result.
    mode : {"reverse", "forward"}
        Reverse mode (the deltas) for any shape; forward mode (every quantity's Jacobian dq_t/dθ) for a vector.
    states : tuple of str
    sweep : StepSweep
        The templates of one backward step.
    """

    of_step = None

    def __init__(self, cell: Cell, T: int, wrt, of=None, mode: str = "reverse"):
        self.T = check_steps(T, MAX_SYMBOLIC_STEPS)
        cell.validate()
        self.cell = cell
        self.wrt = wrt.name if isinstance(wrt, Tensor) else str(wrt)
        state = cell.initial_of(self.wrt)
        self.shape = cell.shape(state) if state else cell.shape(self.wrt)
        _check_request(cell, self.wrt, self.shape, of, mode)
        self.mode = mode
        self.target, self.states = cell.loss_name, cell.states()
        self.of = sp.Symbol(self.target)
        self.default_quantity = self.states[0] if len(self.states) == 1 else None
        self.sweep = StepSweep(cell) if mode == "reverse" else None
        self.forward_sweep = ForwardSweep(cell, self.wrt, self.shape[0]) if mode == "forward" else None

    def __repr__(self) -> str:
        return (f"MatrixDerivative(dL/d{self.wrt} {shape_text(self.shape)}, cell={self.cell.name!r}, T={self.T},"
                f" mode={self.mode!r})")

    @cached_property
    def terms(self) -> tuple[MatrixTerm, ...]:
        """Every term in evaluation order, ending with the result."""
        with gcpause.paused():  # acyclic objects only: the collector's walks made long T superlinear
            return tuple(_Builder(self).terms() if self.mode == "reverse" else _forward_terms(self))

    @property
    def expr(self):
        """The result's expression in named terms (``dL/dW[1] + dL/dW[2] + ...``)."""
        return self.result.expr

    def contribution(self, t: int) -> MatrixTerm:
        """Step t's share of dL/dθ."""
        found = self.select("contribution", t=t)
        if not found:
            raise KeyError(f"no contribution term at step {t}")
        return found[0]

    def value(self, values):
        """dL/dθ as an array of θ's shape."""
        return numbers_for("matrix_value")(self, values)

    def evaluate(self, values):
        """Every term's number (arrays): a :class:`~symbrnn.numeric.matrix.MatrixEvaluation`."""
        return numbers_for("matrix_evaluate")(self, values)


def _check_request(cell: Cell, wrt: str, shape: tuple, of, mode: str) -> None:
    if of is not None and str(getattr(of, "name", of)) != cell.loss_name:
        raise errors.WrtError(
            f"of={of}: the derivative with respect to the whole {wrt!r} is of the total loss;"
            f" for one quantity, derive with respect to a component (wrt='{wrt}[{','.join('0' * len(shape))}]')"
        )
    if mode == "forward" and len(shape) > 1:
        raise errors.WrtError(
            f"mode='forward' with wrt={wrt} {shape_text(shape)}: forward mode carries a third-order tensor"
            f" dh_t/d{wrt} per step, which symbrnn does not build for a whole matrix; use mode='reverse' (the"
            f" deltas), or a component such as wrt='{wrt}[{','.join('0' * len(shape))}]'"
        )
    if mode not in ("forward", "reverse"):
        raise errors.WrtError(f"mode={mode!r}: use 'forward' (Jacobians, for a vector) or 'reverse' (deltas)")


def _forward_terms(d: MatrixDerivative) -> list:
    """dq_t/dθ for every quantity from step 1 up, sensitivities that are 0 left out; dL/dθ = Σ_t dL_t/dθ."""
    cell, sweep, n, out = d.cell, d.forward_sweep, d.shape[0], []
    nonzero: dict[int, set] = {0: set()}
    for s in d.states:
        if cell.init_derivative(s, d.wrt):
            nonzero[0].add(s)
            out.append(MatrixTerm("total", s, 0, tangent_leaf(s, d.wrt, cell.shape(s) + (n,), 0), eye(n),
                                  (("initial", eye(n)),)))
    losses = []
    for t in range(1, d.T + 1):
        nonzero[t] = set()
        for q in cell.order():
            parts = []
            for label, (name, when), expr in sweep.totals[q]:
                step = t - 1 if when == "prev" else t
                if when == "param" or name in nonzero[step]:
                    parts.append((label if label != f"through {name}_t" else f"through {name}_{t}", at_step(expr, t)))
            if not parts:
                continue
            nonzero[t].add(q)
            symbol = tangent_leaf(q, d.wrt, cell.shape(q) + (n,), t)
            out.append(MatrixTerm("total", q, t, symbol, add(*(e for _, e in parts)), tuple(parts)))
            if q == cell.loss_name:
                losses.append(symbol)
    result = add(*losses) if losses else zeros(d.shape)
    out.append(MatrixTerm("result", cell.loss_name, None, named(f"dL/d{d.wrt}", d.shape, "param"), result))
    return out


class _Builder:
    """The terms of one matrix derivation, step by step from the last, leaving out the δ that are 0."""

    def __init__(self, d: MatrixDerivative):
        self.d, self.cell, self.sweep = d, d.cell, d.sweep
        self.nonzero: dict[int, set] = {}
        self.loss = self.cell.loss_name

    def _live(self, addends, t: int, reader_step: int) -> list:
        live = self.nonzero.get(reader_step, set())
        return [(self._label(a, reader_step), at_step(a.expr, t)) for a in addends
                if a.reader == self.loss or a.reader in live]

    def _label(self, a, reader_step: int) -> str:
        """An addend's label at its step: ``through a_3`` for the reader a at step 3."""
        return a.label if a.reader == self.loss else f"through {a.reader}_{reader_step}"

    def terms(self) -> list:
        d, cell, sweep, out = self.d, self.cell, self.sweep, []
        order = [q for q in cell.order() if cell.kind(q) != LOSS][::-1] + list(cell.names(INPUT))
        shares = []
        for t in range(d.T, 0, -1):
            self.nonzero[t] = set()
            for q in order:
                parts = self._live(sweep.deltas[q], t, t)
                if q in sweep.next_step and t < d.T:
                    parts += self._live(sweep.next_step[q], t, t + 1)
                if parts:
                    self.nonzero[t].add(q)
                    out.append(MatrixTerm("delta", q, t, delta_leaf(q, cell.shape(q), t),
                                          add(*(e for _, e in parts)), tuple(parts)))
            if sweep.params.get(d.wrt):  # a param that something reads (not only an initial state)
                parts = self._live(sweep.params[d.wrt], t, t)
                symbol = named(f"dL/d{d.wrt}[{t}]", d.shape, "param")
                expr = add(*(e for _, e in parts)) if parts else zeros(d.shape)
                out.append(MatrixTerm("contribution", self.loss, t, symbol, expr, tuple(parts)))
                shares.append(symbol)
        result = list(reversed(shares))
        for s in d.states:
            parts = self._live(sweep.next_step[s], 0, 1)
            if parts and (cell.init_derivative(s, d.wrt)):
                delta = MatrixTerm("delta", s, 0, delta_leaf(s, cell.shape(s), 0), add(*(e for _, e in parts)),
                                   tuple(parts))
                out.append(delta)
                result.append(unbroadcast(delta.symbol, d.shape))
        out.append(MatrixTerm("result", self.loss, None, named(f"dL/d{d.wrt}", d.shape, "param"), add(*result)))
        return out
