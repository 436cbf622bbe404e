"""The GRU of PyTorch's nn.GRU convention (gates r, z, n; b_hn inside the reset product)."""

from __future__ import annotations

from ..declare.cell import Cell
from ..declare.functions import sigmoid, tanh

__all__ = ["gru"]


def gru(input_size: int = 2, hidden_size: int = 2, *, learn_init: bool = False) -> Cell:
    r"""The GRU of PyTorch's ``nn.GRU``, loss on h_t.

    .. math::

        g_t = W_{ih} x_t + b_{ih}, \quad k_t = W_{hh} h_{t-1} + b_{hh},

        r_t = \sigma(g_t^{r} + k_t^{r}), \quad z_t = \sigma(g_t^{z} + k_t^{z}), \quad
        n_t = \tanh(g_t^{n} + r_t \odot k_t^{n}),

        h_t = (1 - z_t) \odot n_t + z_t \odot h_{t-1}, \quad L_t = \tfrac12 \lVert h_t - y_t \rVert^2,

    with W_ih (3·hidden × input), W_hh (3·hidden × hidden), b_ih and b_hh
    (3·hidden) stacked in PyTorch's order [r, z, n]: the hidden bias of n,
    b_hn, sits inside the reset product r ⊙ (W_hn h + b_hn), as in ``nn.GRU``.

    Parameters
    ----------
    input_size, hidden_size : int
    learn_init : bool
        If True the initial state is a param ``h0`` (else zero).

    Examples
    --------
    >>> cell = gru(3, 2)
    >>> cell.order()
    ('gh', 'gi', 'r', 'n', 'z', 'h', 'L')
    >>> cell.expr("n")[0]
    tanh(gh[4]_t*r[0]_t + gi[4]_t)
    """
    D, H = input_size, hidden_size
    cell = Cell("gru")
    x = cell.input("x", shape=D)
    y = cell.target("y", shape=H)
    W_ih, W_hh = cell.param("W_ih", shape=(3 * H, D)), cell.param("W_hh", shape=(3 * H, H))
    b_ih, b_hh = cell.param("b_ih", shape=3 * H), cell.param("b_hh", shape=3 * H)
    h = cell.state("h", shape=H, init=cell.param("h0", shape=H) if learn_init else 0)
    gi = cell.node("gi", W_ih @ x + b_ih)
    gh = cell.node("gh", W_hh @ h.prev + b_hh)
    r = cell.node("r", sigmoid(gi[0:H] + gh[0:H]))
    z = cell.node("z", sigmoid(gi[H:2 * H] + gh[H:2 * H]))
    n = cell.node("n", tanh(gi[2 * H:3 * H] + r * gh[2 * H:3 * H]))
    cell.update(h, (1 - z) * n + z * h.prev)
    cell.loss(((h - y) * (h - y)).sum() / 2)
    return cell
