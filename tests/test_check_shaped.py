"""symbrnn.check on shaped cells, component by component: seed 000's LSTM and seed 004's softmax RNN."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
from test_check import write

from symbrnn import check, derive, gradients
from symbrnn.cells import elman_softmax, lstm_gomez

CELLS = Path(__file__).resolve().parents[1] / "examples" / "cells"
LSTM_VALUES = json.loads((CELLS / "seed000_values.json").read_text())
SOFTMAX_VALUES = json.loads((CELLS / "seed004_values.json").read_text())


def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def lstm_step_one():
    """Step 1 of seed 000's LSTM by hand: gates [a, i, f, o], h_0 = c_0 = 0."""
    W, b = np.array(LSTM_VALUES["W"]), np.array(LSTM_VALUES["b"])
    x = np.array(LSTM_VALUES["x"][0])
    z = W @ x + b
    a, i, o = np.tanh(z[0]), sigmoid(z[1]), sigmoid(z[3])
    c = a * i
    return {"x": x, "z": z, "a": a, "i": i, "o": o, "c": c, "h": o * np.tanh(c)}


def test_lstm_component_slips():
    s = lstm_step_one()
    g = gradients(lstm_gomez(2, 1), 2, LSTM_VALUES, wrt=["W[1,0]"])["W[1,0]"]
    answers = {
        "h[0]_1": write(s["h"], 4),                                     # right
        "i[0]_1": write(s["z"][1], 4),                                  # σ left out
        "∂c[0]_1/∂W[1,0]": write(s["a"] * s["x"][0] * s["i"], 5),       # σ' taken as σ
        "W_new[1,0]": write(LSTM_VALUES["W"][1][0] - 0.1 * g, 5),        # right
        "dL/dW[1,0]": write(10 * g, 5),                                 # the decimal point
    }
    marks = {m.key: m for m in check(lstm_gomez(2, 1), 2, LSTM_VALUES, answers)}
    assert marks["h[0]_1"].verdict == marks["W_new[1,0]"].verdict == "right"
    assert marks["i[0]_1"].cause == "the activation σ omitted"
    assert marks["∂c[0]_1/∂W[1,0]"].cause.startswith("σ' written as σ")
    assert "factor of 10" in marks["dL/dW[1,0]"].cause


def test_lstm_component_keys_in_ascii():
    s = lstm_step_one()
    marks = check(lstm_gomez(2, 1), 2, LSTM_VALUES, {"h_1[0]": write(s["h"], 3), "W[1,0]_new": "0.95"})
    assert [m.key for m in marks] == ["h[0]_1", "W_new[1,0]"] and marks.ok


def test_softmax_rnn_slips_and_follow_through():
    cell = elman_softmax()
    ev = derive(cell, 3, wrt="V[1,0]").evaluate(SOFTMAX_VALUES)
    terms = {str(t.symbol): t.value for t in ev.terms}
    z = np.array([ev.forward[f"z[{k}]_2"] for k in range(3)])
    z_slipped = z.copy()
    z_slipped[1] = -z[1]                                                 # a sign slip in z[1]_2
    yhat = np.exp(z_slipped) / np.exp(z_slipped).sum()                   # what follows from it
    answers = {"z[1]_2": write(z_slipped[1], 4), "yhat[0]_2": write(yhat[0], 4), "yhat[1]_2": write(yhat[1], 4),
               "∂L_2/∂h[0]_2": write(-terms["∂L_2/∂h[0]_2"], 4), "dL/dV[1,0]": write(ev.value, 3)}
    marks = {m.key: m for m in check(cell, 3, SOFTMAX_VALUES, answers)}
    assert marks["z[1]_2"].verdict == "wrong" and marks["z[1]_2"].cause == "the sign flipped"
    assert marks["∂L_2/∂h[0]_2"].cause == "the sign flipped"
    for k in ("yhat[0]_2", "yhat[1]_2"):
        assert marks[k].verdict == "carried" and marks[k].uses == ("z[1]_2",)
    assert marks["dL/dV[1,0]"].verdict == "right"
