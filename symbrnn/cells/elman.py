"""The scalar Elman RNN of seed 002."""

from __future__ import annotations

import sympy as sp

from ..cell import Cell

__all__ = ["elman"]


def elman() -> Cell:
    r"""The scalar Elman RNN: tanh hidden state, linear output, half squared error.

    .. math::

        a_t = w x_t + U h_{t-1} + b, \quad h_t = \tanh(a_t), \quad
        \hat y_t = V h_t + c, \quad L_t = \tfrac12 (\hat y_t - y_t)^2,

    with h_0 = 0 and params w, U, V, b, c (seed 002).

    Examples
    --------
    >>> cell = elman()
    >>> cell.names()
    ('x', 'y', 'w', 'U', 'V', 'b', 'c', 'h', 'a', 'yhat', 'L')
    >>> cell.expr("L")
    (-y_t + yhat_t)**2/2
    """
    cell = Cell("elman")
    x = cell.input("x")
    y = cell.target("y")
    w, U, V, b, c = cell.params("w U V b c")
    h = cell.state("h", init=0)
    a = cell.node("a", w * x + U * h.prev + b)
    cell.update(h, sp.tanh(a))
    yhat = cell.node("yhat", V * h + c)
    cell.loss(sp.Rational(1, 2) * (yhat - y) ** 2)
    return cell
