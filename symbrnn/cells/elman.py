"""The Elman RNN: scalar (seed 002) or with vector and matrix quantities."""

from __future__ import annotations

import sympy as sp

from ..declare.cell import Cell
from ..declare.functions import tanh

__all__ = ["elman"]


def elman(input_size: int = 1, hidden_size: int = 1, output_size: int = 1, *, learn_init: bool = False) -> Cell:
    r"""The Elman RNN: tanh hidden state, linear output, half squared error.

    .. math::

        a_t = w x_t + U h_{t-1} + b, \quad h_t = \tanh(a_t), \quad
        \hat y_t = V h_t + c, \quad L_t = \tfrac12 \lVert \hat y_t - y_t \rVert^2,

    with params w (hidden × input), U (hidden × hidden), V (output × hidden),
    b (hidden), c (output) and h_0 = 0. With every size 1 the quantities are
    scalars: the cell of seed 002. Otherwise they are vectors and matrices
    (``w @ x`` is the matrix product).

    Parameters
    ----------
    input_size, hidden_size, output_size : int
    learn_init : bool
        If True the initial state is a param ``h0`` (of the state's shape), so
        its gradient dL/dh_0 comes with the others.

    Examples
    --------
    >>> cell = elman()
    >>> cell.names()
    ('x', 'y', 'w', 'U', 'V', 'b', 'c', 'h', 'a', 'yhat', 'L')
    >>> cell.expr("L")
    (-y_t + yhat_t)**2/2
    >>> vec = elman(2, 3, 1)
    >>> vec.shape("w"), vec.shape("h"), vec.shape("yhat")
    ((3, 2), (3,), (1,))
    >>> from symbrnn import gradients
    >>> values = {"w": [[.1, .2], [.3, .4], [.5, .6]], "U": [[.1, 0, 0], [0, .1, 0], [0, 0, .1]],
    ...           "V": [[1, -1, .5]], "b": [0, .1, .2], "c": [.3], "x": [[1, 2], [3, 4]], "y": [[.5], [.2]]}
    >>> gradients(vec, T=2, values=values)["V"].round(6)
    array([[0.3043  , 0.343729, 0.33604 ]])
    """
    sizes = (input_size, hidden_size, output_size)
    if sizes == (1, 1, 1):
        return _scalar(learn_init)
    D, H, K = sizes
    cell = Cell("elman")
    x = cell.input("x", shape=D)
    y = cell.target("y", shape=K)
    w, U = cell.param("w", shape=(H, D)), cell.param("U", shape=(H, H))
    V, b, c = cell.param("V", shape=(K, H)), cell.param("b", shape=H), cell.param("c", shape=K)
    h = cell.state("h", shape=H, init=cell.param("h0", shape=H) if learn_init else 0)
    a = cell.node("a", w @ x + U @ h.prev + b)
    cell.update(h, tanh(a))
    yhat = cell.node("yhat", V @ h + c)
    cell.loss(((yhat - y) * (yhat - y)).sum() / 2)
    return cell


def _scalar(learn_init: bool) -> Cell:
    cell = Cell("elman")
    x = cell.input("x")
    y = cell.target("y")
    w, U, V, b, c = cell.params("w U V b c")
    h = cell.state("h", init=cell.param("h0") if learn_init else 0)
    a = cell.node("a", w * x + U * h.prev + b)
    cell.update(h, sp.tanh(a))
    yhat = cell.node("yhat", V * h + c)
    cell.loss(sp.Rational(1, 2) * (yhat - y) ** 2)
    return cell
