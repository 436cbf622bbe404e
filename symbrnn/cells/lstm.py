"""LSTM cells: the seed 000 form (gates a, i, f, o), PyTorch's nn.LSTM convention (gates i, f, g, o), and seed
001's row (batch) convention."""

from __future__ import annotations

from ..core import errors
from ..declare.cell import Cell
from ..declare.functions import sigmoid, tanh

__all__ = ["lstm", "lstm_gomez", "lstm_step_batch"]


def _squared_error(cell: Cell, h, y) -> None:
    cell.loss(((h - y) * (h - y)).sum() / 2)


#: the names of the LSTM's two states: symbrnn's (c, h), and seed 000's, which calls c the state and h the out
NAMINGS = {"symbrnn": ("c", "h"), "seed000": ("state", "out")}


def lstm_gomez(input_size: int = 2, hidden_size: int = 1, *, learn_init: bool = False,
               naming: str = "symbrnn") -> Cell:
    r"""The LSTM of seed 000: gates a (tanh), i, f, o (sigmoid), one bias per gate, loss on h_t.

    The gates' weights are stacked in the order [a, i, f, o]:

    .. math::

        z_t = W x_t + U h_{t-1} + b, \quad
        a_t = \tanh(z_t^{a}),\ i_t = \sigma(z_t^{i}),\ f_t = \sigma(z_t^{f}),\ o_t = \sigma(z_t^{o}),

        c_t = a_t \odot i_t + f_t \odot c_{t-1}, \quad h_t = o_t \odot \tanh(c_t), \quad
        L_t = \tfrac12 \lVert h_t - y_t \rVert^2,

    where z^a, z^i, z^f, z^o are the four blocks of hidden_size rows of z (the
    pre-activations, "delta_gates" in seed 000 are dL/dz_t), W is
    (4·hidden × input), U (4·hidden × hidden), b (4·hidden), c_0 = h_0 = 0.
    Seed 000 calls c the "state" and h the "out": ``naming="seed000"`` names
    them so, for reading the output beside the notes.

    Parameters
    ----------
    input_size, hidden_size : int
        Seed 000 has input 2, hidden 1 (the defaults).
    learn_init : bool
        If True the initial states are params ``c0`` and ``h0`` (``state0``, ``out0``).
    naming : {"symbrnn", "seed000"}
        The states' names: c and h, or seed 000's state and out.

    Examples
    --------
    >>> from symbrnn import gradients
    >>> cell = lstm_gomez(2, 1)
    >>> cell.shape("W"), cell.shape("U"), cell.order()
    ((4, 2), (4, 1), ('z', 'a', 'f', 'i', 'c', 'o', 'h', 'L'))
    >>> values = {"W": [[.45, .25], [.95, .8], [.7, .45], [.6, .4]], "U": [[.15], [.8], [.1], [.25]],
    ...           "b": [.2, .65, .15, .1], "x": [[1, 2], [.5, 3]], "y": [[.5], [1.25]]}
    >>> gradients(cell, T=2, values=values)["b"].round(5)
    array([-0.03641, -0.00276, -0.00631, -0.05361])
    >>> lstm_gomez(naming="seed000").names("state")
    ('state', 'out')
    """
    if naming not in NAMINGS:
        raise errors.SpecError(f"naming={naming!r}: use one of {', '.join(map(repr, NAMINGS))}")
    D, H = input_size, hidden_size
    cname, hname = NAMINGS[naming]
    cell = Cell("lstm_gomez")
    x = cell.input("x", shape=D)
    y = cell.target("y", shape=H)
    W, U, b = cell.param("W", shape=(4 * H, D)), cell.param("U", shape=(4 * H, H)), cell.param("b", shape=4 * H)
    c0, h0 = (cell.param(cname + "0", shape=H), cell.param(hname + "0", shape=H)) if learn_init else (0, 0)
    c = cell.state(cname, shape=H, init=c0)
    h = cell.state(hname, shape=H, init=h0)
    z = cell.node("z", W @ x + U @ h.prev + b)
    a = cell.node("a", tanh(z[0:H]))
    i = cell.node("i", sigmoid(z[H:2 * H]))
    f = cell.node("f", sigmoid(z[2 * H:3 * H]))
    o = cell.node("o", sigmoid(z[3 * H:4 * H]))
    cell.update(c, a * i + f * c.prev)
    cell.update(h, o * tanh(c))
    _squared_error(cell, h, y)
    return cell


def lstm(input_size: int = 2, hidden_size: int = 2, *, learn_init: bool = False) -> Cell:
    r"""The LSTM of PyTorch's ``nn.LSTM``: gates i, f, g, o and two biases, loss on h_t.

    .. math::

        z_t = W_{ih} x_t + b_{ih} + W_{hh} h_{t-1} + b_{hh}, \quad
        i_t = \sigma(z_t^{i}),\ f_t = \sigma(z_t^{f}),\ g_t = \tanh(z_t^{g}),\ o_t = \sigma(z_t^{o}),

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \quad h_t = o_t \odot \tanh(c_t), \quad
        L_t = \tfrac12 \lVert h_t - y_t \rVert^2,

    with W_ih (4·hidden × input), W_hh (4·hidden × hidden), b_ih and b_hh
    (4·hidden) stacked in PyTorch's order [i, f, g, o], so that
    ``weight_ih_l0``, ``weight_hh_l0``, ``bias_ih_l0``, ``bias_hh_l0`` of an
    ``nn.LSTM`` are the values of W_ih, W_hh, b_ih, b_hh.

    Parameters
    ----------
    input_size, hidden_size : int
    learn_init : bool
        If True the initial states are params ``h0`` and ``c0`` (else zero).

    Examples
    --------
    >>> cell = lstm(3, 4)
    >>> [(n, cell.shape(n)) for n in cell.names("param")]
    [('W_ih', (16, 3)), ('W_hh', (16, 4)), ('b_ih', (16,)), ('b_hh', (16,))]
    >>> cell.expr("c")[0], cell.expr("h")[0]
    (c[0]_{t-1}*f[0]_t + g[0]_t*i[0]_t, o[0]_t*tanh(c[0]_t))
    """
    D, H = input_size, hidden_size
    cell = Cell("lstm")
    x = cell.input("x", shape=D)
    y = cell.target("y", shape=H)
    W_ih, W_hh = cell.param("W_ih", shape=(4 * H, D)), cell.param("W_hh", shape=(4 * H, H))
    b_ih, b_hh = cell.param("b_ih", shape=4 * H), cell.param("b_hh", shape=4 * H)
    h0, c0 = (cell.param("h0", shape=H), cell.param("c0", shape=H)) if learn_init else (0, 0)
    h = cell.state("h", shape=H, init=h0)
    c = cell.state("c", shape=H, init=c0)
    z = cell.node("z", W_ih @ x + b_ih + W_hh @ h.prev + b_hh)
    i = cell.node("i", sigmoid(z[0:H]))
    f = cell.node("f", sigmoid(z[H:2 * H]))
    g = cell.node("g", tanh(z[2 * H:3 * H]))
    o = cell.node("o", sigmoid(z[3 * H:4 * H]))
    cell.update(c, f * c.prev + i * g)
    cell.update(h, o * tanh(c))
    _squared_error(cell, h, y)
    return cell


def lstm_step_batch(batch_size: int = 2, input_size: int = 3, hidden_size: int = 2) -> Cell:
    r"""The LSTM of seed 001 in the row (batch) convention: N sequences at once, ``x @ W_x``, gates [i, f, o, g].

    .. math::

        a_t = x_t W_x + h_{t-1} W_h + b, \quad
        i_t = \sigma(a_t^{i}),\ f_t = \sigma(a_t^{f}),\ o_t = \sigma(a_t^{o}),\ g_t = \tanh(a_t^{g}),

        c_t = f_t \odot c_{t-1} + i_t \odot g_t, \quad h_t = o_t \odot \tanh(c_t), \quad
        L_t = \tfrac12 \sum_{n,k} (h_t - y_t)_{nk}^2,

    with x_t (N × D) and h_t, c_t (N × H) one row per sequence, W_x (D × 4H),
    W_h (H × 4H), b (4H) broadcast over the rows, and a^i, a^f, a^o, a^g the
    four blocks of H columns of a (N × 4H). Its matrix derivation gives seed
    001's equations: dx = da·W_xᵀ, dW_x = xᵀ·da, dW_h = h_prevᵀ·da,
    dh_prev = da·W_hᵀ, db = Σ_N da.

    Parameters
    ----------
    batch_size, input_size, hidden_size : int
        N, D and H.

    Examples
    --------
    >>> from symbrnn import derive
    >>> cell = lstm_step_batch(2, 3, 2)
    >>> cell.shape("x"), cell.shape("W_x"), cell.shape("a")
    ((2, 3), (3, 8), (2, 8))
    >>> print(derive(cell, T=1, wrt="W_x").contribution(1))
    dL/dW_x[1] = x_1.T @ δa_1
    """
    N, D, H = batch_size, input_size, hidden_size
    cell = Cell("lstm_step_batch")
    x = cell.input("x", shape=(N, D))
    y = cell.target("y", shape=(N, H))
    W_x, W_h, b = cell.param("W_x", shape=(D, 4 * H)), cell.param("W_h", shape=(H, 4 * H)), cell.param("b", shape=4 * H)
    h = cell.state("h", shape=(N, H), init=0)
    c = cell.state("c", shape=(N, H), init=0)
    a = cell.node("a", x @ W_x + h.prev @ W_h + b)
    i = cell.node("i", sigmoid(a[:, 0:H]))
    f = cell.node("f", sigmoid(a[:, H:2 * H]))
    o = cell.node("o", sigmoid(a[:, 2 * H:3 * H]))
    g = cell.node("g", tanh(a[:, 3 * H:4 * H]))
    cell.update(c, f * c.prev + i * g)
    cell.update(h, o * tanh(c))
    _squared_error(cell, h, y)
    return cell
