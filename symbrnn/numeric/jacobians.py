"""Step partials of shaped quantities as matrices: ∂h_t/∂h_{t-1}, ∂h_t/∂W (explicit), ∂L_t/∂h_t.

The engine works componentwise; these views gather its partials (the same
templates a derivation instantiates per step) into arrays of shape
``shape(of) + shape(wrt)``: a state's step Jacobian J_t = ∂h_t/∂h_{t-1} is
a matrix, the explicit term ∂h_t/∂W of an (H,) state and an (H, D) weight a
3-d array, the loss's ∂L_t/∂h_t a vector. :func:`jacobian` gives them in
generic-time symbols, :func:`jacobian_values` as numbers at every step.

Examples
--------
>>> from symbrnn import Cell, tanh
>>> cell = Cell("rnn")
>>> x = cell.input("x", shape=2)
>>> U = cell.param("U", shape=(2, 2))
>>> h = cell.state("h", shape=2)
>>> cell.update(h, tanh(x + U @ h.prev))
>>> _ = cell.loss(h.sum())
>>> J = jacobian(cell, "h", "h.prev")
>>> J.shape, J[0, 1]
((2, 2), U[0,1]*(1 - tanh(U[0,0]*h[0]_{t-1} + U[0,1]*h[1]_{t-1} + x[0]_t)**2))
>>> jacobian(cell, "h", "U").shape, jacobian(cell, "L", "h")
((2, 2, 2), Matrix([[1, 1]]))
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from ..codegen.kernels import kernels_for
from ..core import errors
from ..core.kinds import LOSS, PARAM, STATE
from ..core.symbols import check_steps, now, param, prev
from ..declare.cell import Cell
from ..declare.lower import components, lowered
from ..declare.values import resolve_values
from ..derive.partials import CellPartials

__all__ = ["jacobian", "jacobian_values"]


def _wrt_symbols(cell: Cell, of: str, wrt: str) -> tuple[tuple, list[sp.Symbol]]:
    name, _, lag = wrt.partition(".")
    if name not in cell.names() or lag not in ("", "prev"):
        raise errors.WrtError(f"jacobian wrt={wrt!r}: give a param ('W'), a state's previous value ('h.prev') or a"
                              " state the loss reads ('h')")
    kind = cell.kind(name)
    comps = components(cell, name)
    if kind == PARAM and not lag:
        return cell.shape(name), [param(c) for c in comps]
    if kind == STATE and lag:
        return cell.shape(name), [prev(c) for c in comps]
    if kind == STATE and cell.kind(of) == LOSS:
        return cell.shape(name), [now(c) for c in comps]
    raise errors.WrtError(f"jacobian wrt={wrt!r}: {name!r} is a {kind}; a state's partials are against params and"
                          " previous states ('h.prev'), the loss's also against current states ('h')")


def _entries(cell: Cell, of: str, wrt: str):
    if cell.kind(of) not in (STATE, LOSS):
        raise errors.WrtError(f"jacobian of={of!r}: give a state or the loss {cell.loss_name!r}")
    wrt_shape, zs = _wrt_symbols(cell, of, wrt)
    P = CellPartials(cell)
    exprs = [P.partial(v, z) for v in components(cell, of) for z in zs]
    return cell.shape(of) + wrt_shape, exprs


def jacobian(cell: Cell, of: str, wrt: str):
    """∂of_t/∂wrt as an array of shape ``shape(of) + shape(wrt)``, in generic-time symbols.

    Parameters
    ----------
    cell : Cell
    of : str
        A state (its step function: the other previous states held fixed) or the loss.
    wrt : str
        A param (``"W"``: the explicit term), a state's previous value
        (``"h.prev"``: the step Jacobian), or for the loss a state it reads (``"h"``).

    Returns
    -------
    sympy.ImmutableMatrix (two axes; one-axis results as a row) or sympy.ImmutableDenseNDimArray
    """
    shape, exprs = _entries(cell, of, wrt)
    if len(shape) <= 2:
        return sp.ImmutableMatrix(*((1,) + shape if len(shape) == 1 else shape or (1, 1)), exprs)
    return sp.ImmutableDenseNDimArray(exprs, shape)


def jacobian_values(cell: Cell, T: int, values, of: str, wrt: str) -> list:
    """The numbers of :func:`jacobian` at every step: a list indexed by step 1..T (index 0 is None).

    Each entry is an array of shape ``shape(of) + shape(wrt)`` exactly (the
    loss's ∂L_t/∂h_t of an (H,) state is a vector of shape (H,)).

    Examples
    --------
    >>> from symbrnn.cells import lstm
    >>> values = {"W_ih": np.ones((8, 1)), "W_hh": np.zeros((8, 2)), "b_ih": np.zeros(8), "b_hh": np.zeros(8),
    ...           "x": [[1.0], [2.0]], "y": [[0, 0], [0, 0]]}
    >>> J = jacobian_values(lstm(1, 2), 2, values, "c", "c.prev")  # ∂c_t/∂c_{t-1} = diag(f_t)
    >>> J[2].round(6)
    array([[0.880797, 0.      ],
           [0.      , 0.880797]])
    """
    T = check_steps(T)
    shape, exprs = _entries(cell, of, wrt)
    low = lowered(cell)
    vals = resolve_values(low, T, values)
    kernels = kernels_for(low)
    trace = kernels.forward(vals)
    at_step = kernels.step_function("_jacobian", exprs)
    return [None] + [np.array(at_step(t, trace, vals), dtype=float).reshape(shape) for t in range(1, T + 1)]
