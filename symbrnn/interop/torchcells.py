r"""The cell of a ``torch.nn.RNN``, ``nn.LSTM`` or ``nn.GRU`` configuration, and torch's names for its params.

One layer is a cell in torch's convention, with the loss symbrnn's library
cells use, half the squared error of the output against a target:

.. math::

    L_t = \tfrac12 \lVert h_t - y_t \rVert^2, \qquad L = \sum_t L_t.

- ``RNN_TANH`` / ``RNN_RELU``: a_t = W_ih x_t + b_ih + W_hh h_{t-1} + b_hh, h_t = tanh(a_t) or relu(a_t);
- ``LSTM``: the equations of :func:`symbrnn.cells.lstm` (gates [i, f, g, o]);
- ``GRU``: the equations of :func:`symbrnn.cells.gru` (gates [r, z, n], b_hn inside the reset product).

Without biases (torch's ``bias=False``) the cell has no b_ih, b_hh. Several
layers are one :func:`symbrnn.cells.stacked` cell: layer k's params are
``l{k}_W_ih`` ..., and its readout V h_t + c is the identity (V = I, c = 0,
the values :func:`readout_values` gives), so the loss is on the top layer's
h_t, which is what the torch module outputs. This module does not import
torch.

Examples
--------
>>> cell = torch_cell("GRU", 3, 2, num_layers=2, bias=False)
>>> cell.names("param")
('l1_W_ih', 'l1_W_hh', 'l2_W_ih', 'l2_W_hh', 'V', 'c')
>>> param_names("GRU", 2, bias=False)["weight_hh_l1"]
'l2_W_hh'
>>> torch_cell("RNN_RELU", 2, 3).expr("h")[0]
relu(a[0]_t)
"""

from __future__ import annotations

import numpy as np

from ..cells.stacked import stacked
from ..core import errors
from ..declare.cell import Cell
from ..declare.functions import relu, sigmoid, tanh

__all__ = ["MODES", "READOUT", "initial_names", "param_names", "readout_values", "state_names", "torch_cell"]

#: torch's ``RNNBase.mode`` -> (the cell's name, gates stacked in W_ih, the states)
MODES = {
    "RNN_TANH": ("rnn_tanh", 1, ("h",)),
    "RNN_RELU": ("rnn_relu", 1, ("h",)),
    "LSTM": ("lstm", 4, ("h", "c")),
    "GRU": ("gru", 3, ("h",)),
}
#: torch's name of each per-layer param (without its ``_l{k}``) -> symbrnn's
PARAMS = {"weight_ih": "W_ih", "weight_hh": "W_hh", "bias_ih": "b_ih", "bias_hh": "b_hh"}
#: the params of the identity readout a stacked cell has on top (not in the torch module)
READOUT = ("V", "c")


def torch_cell(mode: str, input_size: int, hidden_size: int, *, num_layers: int = 1, bias: bool = True,
               learn_init: bool = False) -> Cell:
    """The cell of a torch recurrent module: its mode, sizes, layer count and biases.

    Parameters
    ----------
    mode : {"RNN_TANH", "RNN_RELU", "LSTM", "GRU"}
        torch's ``module.mode``.
    input_size, hidden_size, num_layers : int
    bias : bool
        Whether the cell has the biases b_ih and b_hh.
    learn_init : bool
        If True each initial state is a param (``h0``, ``c0``; ``l{k}_h0`` with layers), else zero.

    Returns
    -------
    Cell
        One layer's cell, or for ``num_layers > 1`` the :func:`~symbrnn.cells.stacked` cell of the layers.

    Examples
    --------
    >>> cell = torch_cell("LSTM", 3, 4)
    >>> [(n, cell.shape(n)) for n in cell.names("param")]
    [('W_ih', (16, 3)), ('W_hh', (16, 4)), ('b_ih', (16,)), ('b_hh', (16,))]
    >>> print(torch_cell("RNN_TANH", 2, 3, bias=False).expr("a"))
    W_ih @ x_t + W_hh @ h_{t-1}
    """
    if mode not in MODES:
        raise errors.SpecError(f"mode {mode!r}: use one of {', '.join(map(repr, MODES))}")
    layers = [_layer(mode, input_size if k == 0 else hidden_size, hidden_size, bias, learn_init)
              for k in range(num_layers)]
    if num_layers == 1:
        return layers[0]
    return stacked(*layers, output_size=hidden_size, name=f"{MODES[mode][0]}_{num_layers}_layers")


def _layer(mode: str, D: int, H: int, bias: bool, learn_init: bool) -> Cell:
    name, gates, states = MODES[mode]
    cell = Cell(name)
    x = cell.input("x", shape=D)
    y = cell.target("y", shape=H)
    W_ih, W_hh = cell.param("W_ih", shape=(gates * H, D)), cell.param("W_hh", shape=(gates * H, H))
    b_ih, b_hh = (cell.param("b_ih", shape=gates * H), cell.param("b_hh", shape=gates * H)) if bias else (None, None)
    s = {n: cell.state(n, shape=H, init=cell.param(n + "0", shape=H) if learn_init else 0) for n in states}
    h = s["h"]
    if mode == "LSTM":
        _lstm(cell, H, _affine(W_ih, x, b_ih) + _affine(W_hh, h.prev, b_hh), h, s["c"])
    elif mode == "GRU":
        _gru(cell, H, cell.node("gi", _affine(W_ih, x, b_ih)), cell.node("gh", _affine(W_hh, h.prev, b_hh)), h)
    else:
        a = cell.node("a", _affine(W_ih, x, b_ih) + _affine(W_hh, h.prev, b_hh))
        cell.update(h, tanh(a) if mode == "RNN_TANH" else relu(a))
    cell.loss(((h - y) * (h - y)).sum() / 2)
    return cell


def _affine(W, v, b):
    return W @ v if b is None else W @ v + b


def _lstm(cell: Cell, H: int, pre, h, c) -> None:
    z = cell.node("z", pre)
    i = cell.node("i", sigmoid(z[0:H]))
    f = cell.node("f", sigmoid(z[H:2 * H]))
    g = cell.node("g", tanh(z[2 * H:3 * H]))
    o = cell.node("o", sigmoid(z[3 * H:4 * H]))
    cell.update(c, f * c.prev + i * g)
    cell.update(h, o * tanh(c))


def _gru(cell: Cell, H: int, gi, gh, h) -> None:
    r = cell.node("r", sigmoid(gi[0:H] + gh[0:H]))
    z = cell.node("z", sigmoid(gi[H:2 * H] + gh[H:2 * H]))
    n = cell.node("n", tanh(gi[2 * H:3 * H] + r * gh[2 * H:3 * H]))
    cell.update(h, (1 - z) * n + z * h.prev)


def _prefix(layer: int, num_layers: int) -> str:
    return "" if num_layers == 1 else f"l{layer + 1}_"


def param_names(mode: str, num_layers: int, *, bias: bool = True) -> dict[str, str]:
    """torch's param names, in the module's order, -> the cell's (``weight_ih_l0`` -> ``W_ih`` or ``l1_W_ih``).

    Examples
    --------
    >>> param_names("LSTM", 1)
    {'weight_ih_l0': 'W_ih', 'weight_hh_l0': 'W_hh', 'bias_ih_l0': 'b_ih', 'bias_hh_l0': 'b_hh'}
    """
    stems = list(PARAMS) if bias else ["weight_ih", "weight_hh"]
    return {f"{stem}_l{k}": _prefix(k, num_layers) + PARAMS[stem] for k in range(num_layers) for stem in stems}


def state_names(mode: str) -> tuple[str, ...]:
    """The states of one layer, in torch's order: ``("h", "c")`` for an LSTM, ``("h",)`` otherwise."""
    return MODES[mode][2]


def initial_names(mode: str, num_layers: int, *, learned: bool) -> dict[str, list[str]]:
    """Each state's initial value per layer, by the name a gradient has: a param (``h0``) or not (``h_0``).

    Examples
    --------
    >>> initial_names("LSTM", 2, learned=True)
    {'h': ['l1_h0', 'l2_h0'], 'c': ['l1_c0', 'l2_c0']}
    >>> initial_names("GRU", 1, learned=False)
    {'h': ['h_0']}
    """
    suffix = "0" if learned else "_0"
    return {s: [_prefix(k, num_layers) + s + suffix for k in range(num_layers)] for s in state_names(mode)}


def readout_values(hidden_size: int, num_layers: int) -> dict[str, np.ndarray]:
    """The values of the identity readout (V = I, c = 0) of a stacked cell; none for one layer."""
    if num_layers == 1:
        return {}
    return {"V": np.eye(hidden_size), "c": np.zeros(hidden_size)}
