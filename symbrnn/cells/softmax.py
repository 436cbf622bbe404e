"""The Elman RNN with a softmax output and cross-entropy on one-hot targets (seed 004)."""

from __future__ import annotations

from ..declare.cell import Cell
from ..declare.functions import logsumexp, softmax, tanh

__all__ = ["elman_softmax"]


def elman_softmax(input_size: int = 2, hidden_size: int = 2, classes: int = 3, *, learn_init: bool = False) -> Cell:
    r"""An Elman RNN classifying every step: softmax output, cross-entropy on one-hot targets.

    .. math::

        h_t = \tanh(w x_t + U h_{t-1} + b), \quad z_t = V h_t + c, \quad
        \hat y_t = \operatorname{softmax}(z_t),

        L_t = -\sum_k y_{t,k} \log \hat y_{t,k} = \operatorname{logsumexp}(z_t) - y_t \cdot z_t,

    the last form holding for one-hot y_t (Σ_k y_{t,k} = 1), which is how the
    cell writes it: then ∂L_t/∂z_t = softmax(z_t) − y_t = ŷ_t − y_t, the
    result seed 004 derives by hand. The targets y_t are one-hot rows (or any
    probability vectors); other values are refused, since the loss would
    then not be the cross-entropy.

    Parameters
    ----------
    input_size, hidden_size, classes : int
    learn_init : bool
        If True the initial state is a param ``h0`` (else zero).

    Examples
    --------
    >>> cell = elman_softmax(2, 3, 2)
    >>> z = cell.symbol("z")
    >>> cell.expr("L").diff(z[1])
    -y[1]_t + softmax(z[0]_t, z[1]_t)[1]
    >>> cell.expr("yhat")[1]
    softmax(z[0]_t, z[1]_t)[1]
    """
    D, H, C = input_size, hidden_size, classes
    cell = Cell("elman_softmax")
    x = cell.input("x", shape=D)
    y = cell.target("y", shape=C, distribution="probabilities")  # the loss below is the cross-entropy only then
    w, U, b = cell.param("w", shape=(H, D)), cell.param("U", shape=(H, H)), cell.param("b", shape=H)
    V, c = cell.param("V", shape=(C, H)), cell.param("c", shape=C)
    h = cell.state("h", shape=H, init=cell.param("h0", shape=H) if learn_init else 0)
    cell.update(h, tanh(w @ x + U @ h.prev + b))
    z = cell.node("z", V @ h + c)
    cell.node("yhat", softmax(z))
    cell.loss(logsumexp(z) - (y * z).sum())
    return cell
