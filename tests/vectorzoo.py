"""Vector cells for the tests: the library's cells and two written from scratch, each with a
hand-written (or nn-module) PyTorch float64 twin that computes the same total loss.

Every ``torch_*`` function takes the values (numpy arrays) and returns the loss and a dict of
leaf tensors keyed like symbrnn's gradients; ``loss.backward()`` fills their ``.grad``.
"""

from __future__ import annotations

import numpy as np

from symbrnn import Cell, exp, log, relu, sigmoid, softmax, tanh
from symbrnn.cells import elman, elman_softmax, gru, lstm, lstm_gomez, stacked


def random_values(cell: Cell, T: int, seed: int, *, one_hot: str | None = None) -> dict:
    """Seeded normal params (scale 0.5), inputs and targets; ``one_hot`` names a target of one-hot rows."""
    rng = np.random.default_rng(seed)
    values = {n: 0.5 * rng.normal(size=cell.shape(n)) for n in cell.names("param")}
    for n in cell.names("input") + cell.names("target"):
        values[n] = rng.normal(size=(T, *cell.shape(n)))
    for n in cell.names("target"):
        if n == one_hot or cell.distribution(n):  # a declared distribution gets one-hot rows
            k = cell.shape(n)[-1]
            values[n] = np.eye(k)[rng.integers(0, k, size=(T, *cell.shape(n)[:-1]))]
    return values


# ----------------------------------------------------------------------------- cells from scratch
def gated_elman() -> Cell:
    """The gated Elman cell of the issue, verbatim."""
    cell = Cell("gated_elman")
    x = cell.input("x", shape=2)
    y = cell.target("y", shape=3)
    W, U, b = cell.param("W", shape=(3, 2)), cell.param("U", shape=(3, 3)), cell.param("b", shape=3)
    Wg, Ug, bg = cell.param("W_g", shape=(3, 2)), cell.param("U_g", shape=(3, 3)), cell.param("b_g", shape=3)
    h0 = cell.param("h0", shape=3)
    h = cell.state("h", shape=3, init=h0)
    g = cell.node("g", sigmoid(Wg @ x + Ug @ h.prev + bg))
    cell.update(h, g * tanh(W @ x + U @ h.prev + b) + (1 - g) * h.prev)
    cell.loss(((h - y) * (h - y)).sum() / 2)
    return cell


INIT_C = [0.1, -0.2, 0.3, 0.05]


def softplus_peephole() -> Cell:
    """Two states, relu, exp/log, a scalar param broadcast, .T, indexing, an array initial value,
    and a softmax cross-entropy loss that also reads a param directly."""
    cell = Cell("softplus_peephole")
    x = cell.input("x", shape=3)
    y = cell.target("y", shape=2)
    W, U, b = cell.param("W", shape=(4, 3)), cell.param("U", shape=(4, 4)), cell.param("b", shape=4)
    V, s = cell.param("V", shape=(2, 4)), cell.param("s")
    h = cell.state("h", shape=4, init=cell.param("h0", shape=4))
    c = cell.state("c", shape=4, init=INIT_C)
    a = cell.node("a", relu(W @ x + (h.prev @ U.T) + b))
    cell.update(c, sigmoid(s * h.prev) * c.prev + log(1 + exp(-a)) / 2)
    cell.update(h, tanh(c) * (1 - h.prev ** 2 / 4))
    p = cell.node("p", softmax(V @ h + s * x.sum()))
    cell.loss(-(y * log(p)).sum() + 0.1 * h[0] * h[1] + 0.01 * (W * W).sum())
    return cell


# ----------------------------------------------------------------------------- torch twins
def _leaves(torch, values, names):
    return {n: torch.tensor(np.asarray(values[n], dtype=float), dtype=torch.float64, requires_grad=True)
            for n in names}


def _data(torch, values, name):
    return torch.tensor(np.asarray(values[name], dtype=float), dtype=torch.float64)


def torch_rnn_module(torch, module, values, states, prefix=""):
    """An nn.LSTM / nn.GRU run on x with initial states from values (or zeros), loss ½Σ‖h_t − y_t‖²."""
    names = ["W_ih", "W_hh", "b_ih", "b_hh"]
    leaves = {prefix + n: p for n, p in zip(names, _module_params(module), strict=True)}
    with torch.no_grad():
        for n, p in leaves.items():
            p.copy_(_data(torch, values, n))
    return leaves


def _module_params(module):
    return [module.weight_ih_l0, module.weight_hh_l0, module.bias_ih_l0, module.bias_hh_l0]


def torch_lstm(torch, values, H, init):
    m = torch.nn.LSTM(values["x"].shape[1], H, dtype=torch.float64)
    leaves = torch_rnn_module(torch, m, values, ("h", "c"))
    h0, c0 = (_leaves(torch, values, ["h0", "c0"]).values() if init == "param"
              else (torch.zeros(H, dtype=torch.float64, requires_grad=True) for _ in range(2)))
    out, _ = m(_data(torch, values, "x"), (h0[None], c0[None]))
    loss = 0.5 * ((out - _data(torch, values, "y")) ** 2).sum()
    return loss, {**leaves, "h0" if init == "param" else "h_0": h0, "c0" if init == "param" else "c_0": c0}


def torch_gru(torch, values, H, init):
    m = torch.nn.GRU(values["x"].shape[1], H, dtype=torch.float64)
    leaves = torch_rnn_module(torch, m, values, ("h",))
    h0 = (_leaves(torch, values, ["h0"])["h0"] if init == "param"
          else torch.zeros(H, dtype=torch.float64, requires_grad=True))
    out, _ = m(_data(torch, values, "x"), h0[None])
    loss = 0.5 * ((out - _data(torch, values, "y")) ** 2).sum()
    return loss, {**leaves, "h0" if init == "param" else "h_0": h0}


def torch_lstm_gomez(torch, values, H, init):
    p = _leaves(torch, values, ["W", "U", "b"] + (["c0", "h0"] if init == "param" else []))
    c = p.get("c0", torch.zeros(H, dtype=torch.float64))
    h = p.get("h0", torch.zeros(H, dtype=torch.float64))
    x, y = _data(torch, values, "x"), _data(torch, values, "y")
    loss = 0
    for t in range(len(x)):
        z = p["W"] @ x[t] + p["U"] @ h + p["b"]
        a, i = torch.tanh(z[:H]), torch.sigmoid(z[H:2 * H])
        f, o = torch.sigmoid(z[2 * H:3 * H]), torch.sigmoid(z[3 * H:])
        c = a * i + f * c
        h = o * torch.tanh(c)
        loss = loss + 0.5 * ((h - y[t]) ** 2).sum()
    return loss, p


def torch_elman(torch, values, H, init, *, softmax_output=False):
    p = _leaves(torch, values, ["w", "U", "b", "V", "c"] + (["h0"] if init == "param" else []))
    scalar = np.ndim(values["w"]) == 0
    h = p.get("h0", torch.zeros(() if scalar else H, dtype=torch.float64))
    x, y = _data(torch, values, "x"), _data(torch, values, "y")
    loss = 0
    for t in range(len(x)):
        h = torch.tanh((p["w"] * x[t] if scalar else p["w"] @ x[t]) + (p["U"] * h if scalar else p["U"] @ h) + p["b"])
        z = (p["V"] * h if scalar else p["V"] @ h) + p["c"]
        if softmax_output:
            loss = loss + torch.nn.functional.cross_entropy(z[None], y[t].argmax()[None], reduction="sum")
        else:
            loss = loss + 0.5 * ((z - y[t]) ** 2).sum()
    return loss, p


def torch_gated_elman(torch, values):
    p = _leaves(torch, values, ["W", "U", "b", "W_g", "U_g", "b_g", "h0"])
    h, x, y = p["h0"], _data(torch, values, "x"), _data(torch, values, "y")
    loss = 0
    for t in range(len(x)):
        g = torch.sigmoid(p["W_g"] @ x[t] + p["U_g"] @ h + p["b_g"])
        h = g * torch.tanh(p["W"] @ x[t] + p["U"] @ h + p["b"]) + (1 - g) * h
        loss = loss + ((h - y[t]) * (h - y[t])).sum() / 2
    return loss, p


def torch_softplus_peephole(torch, values):
    p = _leaves(torch, values, ["W", "U", "b", "V", "s", "h0"])
    h, c = p["h0"], torch.tensor(INIT_C, dtype=torch.float64)
    x, y = _data(torch, values, "x"), _data(torch, values, "y")
    loss = 0
    for t in range(len(x)):
        a = torch.relu(p["W"] @ x[t] + h @ p["U"].T + p["b"])
        c = torch.sigmoid(p["s"] * h) * c + torch.log(1 + torch.exp(-a)) / 2
        h = torch.tanh(c) * (1 - h ** 2 / 4)
        prob = torch.softmax(p["V"] @ h + p["s"] * x[t].sum(), dim=0)
        loss = loss + (-(y[t] * torch.log(prob)).sum() + 0.1 * h[0] * h[1] + 0.01 * (p["W"] * p["W"]).sum())
    return loss, p


def torch_stacked_lstm_gru(torch, values, sizes):
    D, H1, H2 = sizes
    m1 = torch.nn.LSTM(D, H1, dtype=torch.float64)
    m2 = torch.nn.GRU(H1, H2, dtype=torch.float64)
    leaves = {**torch_rnn_module(torch, m1, values, ("h", "c"), "l1_"),
              **torch_rnn_module(torch, m2, values, ("h",), "l2_")}
    p = _leaves(torch, values, ["l1_h0", "l1_c0", "l2_h0", "V", "c"])
    out1, _ = m1(_data(torch, values, "x"), (p["l1_h0"][None], p["l1_c0"][None]))
    out2, _ = m2(out1, p["l2_h0"][None])
    yhat = out2 @ p["V"].T + p["c"]
    loss = 0.5 * ((yhat - _data(torch, values, "y")) ** 2).sum()
    return loss, {**leaves, **p}


#: name -> (cell factory, torch twin (torch, values) -> (loss, leaves), one-hot target or None)
def cases(D: int, H: int, init: str) -> dict:
    learn = init == "param"
    return {
        "lstm": (lambda: lstm(D, H, learn_init=learn), lambda tc, v: torch_lstm(tc, v, H, init), None),
        "gru": (lambda: gru(D, H, learn_init=learn), lambda tc, v: torch_gru(tc, v, H, init), None),
        "lstm_gomez": (lambda: lstm_gomez(D, H, learn_init=learn),
                       lambda tc, v: torch_lstm_gomez(tc, v, H, init), None),
        "elman": (lambda: elman(D, H, 2, learn_init=learn), lambda tc, v: torch_elman(tc, v, H, init), None),
        "elman_softmax": (lambda: elman_softmax(D, H, 3, learn_init=learn),
                          lambda tc, v: torch_elman(tc, v, H, init, softmax_output=True), "y"),
    }


def stacked_cell(sizes):
    D, H1, H2 = sizes
    return stacked(lstm(D, H1, learn_init=True), gru(H1, H2, learn_init=True), output_size=2)
